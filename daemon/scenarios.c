/*
 * scenarios.c - built-in experiments.
 *
 * A scenario is a plain JSON file in the scenarios directory: a title, the
 * learner's question, an explanation, the claim it tests, the machine to run
 * it on, a list of ops (the same ops anyone can POST), and the name of a
 * measurement. Running it applies the ops to a session (so the run is
 * recorded and can be replayed like any other), then computes the figure
 * from the events that run produced: nothing in the file says what the
 * answer is.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/db.h"
#include "daemon/log.h"
#include "daemon/recorder.h"
#include "daemon/scenarios.h"
#include "daemon/scenarios_core.h"
#include "daemon/scenarios_compaction.h"
#include "daemon/scenarios_oom.h"
#include "daemon/server.h"
#include "daemon/session.h"
#include "engine/layout.h"

#define SCENARIO_MAX_BYTES	(4u << 20)

/* Scenario names are file names: lower case, digits, '-' and '_' only. */
static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '-' && name[i] != '_')
			return false;
	return true;
}

static json_t *load(struct server *srv, const char *name, char *err, size_t errlen)
{
	char path[4200];
	json_error_t jerr;
	json_t *root;

	snprintf(path, sizeof(path), "%s/%s.json", srv->opt.scenarios_dir, name);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s", jerr.text);
		return NULL;
	}
	if (!json_is_object(root) || !json_is_array(json_object_get(root, "ops")) ||
	    !json_is_string(json_object_get(root, "title"))) {
		snprintf(err, errlen, "%s.json needs a title and an array of ops", name);
		json_decref(root);
		return NULL;
	}
	return root;
}

static const struct measure *find_measure(const char *name)
{
	for (const struct measure *m = scenario_measures; name && m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void api_scenarios_list(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	DIR *dir = opendir(srv->opt.scenarios_dir);
	char *names[256], err[256];
	unsigned int nr = 0;
	struct dirent *de;
	json_t *list;

	(void)req;
	if (!dir) {
		reply_error(rep, 503, "ENOENT", "no scenarios directory (%s)", srv->opt.scenarios_dir);
		return;
	}
	while ((de = readdir(dir)) && nr < 256) {
		size_t n = strlen(de->d_name);

		if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0) {
			names[nr] = strndup(de->d_name, n - 5);
			if (names[nr] && name_ok(names[nr]))
				nr++;
			else
				free(names[nr]);
		}
	}
	closedir(dir);
	qsort(names, nr, sizeof(names[0]), compare_names);
	list = json_array();
	for (unsigned int i = 0; i < nr; i++) {
		json_t *sc = load(srv, names[i], err, sizeof(err));

		if (sc) {
			json_t *item = json_pack("{s:s,s:O,s:O*,s:O*,s:O*,s:O*,s:i}", "name", names[i],
						 "title", json_object_get(sc, "title"),
						 "question", json_object_get(sc, "question"),
						 "claim", json_object_get(sc, "claim"),
						 "explanation", json_object_get(sc, "explanation"),
						 "machine", json_object_get(sc, "machine"),
						 "ops", (int)json_array_size(json_object_get(sc, "ops")));

			json_array_append_new(list, item);
			json_decref(sc);
		}
		free(names[i]);
	}
	reply_json(rep, 200, json_pack("{s:o}", "scenarios", list));
}

void api_scenario_get(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	const char *name = req->params[0];
	char err[256];
	json_t *sc;

	if (!name_ok(name)) {
		reply_error(rep, 404, "ENOENT", "no such scenario: %s", name);
		return;
	}
	sc = load(srv, name, err, sizeof(err));
	if (!sc) {
		reply_error(rep, 404, "ENOENT", "no such scenario: %s (%s)", name, err);
		return;
	}
	json_object_set_new(sc, "name", json_string(name));
	reply_json(rep, 200, sc);
}

/* Keep the run in scenario_runs, so a stored session still shows its experiment. */
static void store_run(struct server *srv, struct session *s, const char *name, uint64_t first,
		      uint64_t last, json_t *figure)
{
	char *text = json_dumps(figure, JSON_COMPACT);
	sqlite3_stmt *st;
	int rc = SQLITE_ERROR;

	if (sqlite3_prepare_v2(srv->db, "INSERT INTO scenario_runs (session_id, run_no, name, "
			       "first_seq, last_seq, figure) SELECT ?1, coalesce(max(run_no), 0) + 1, "
			       "?2, ?3, ?4, ?5 FROM scenario_runs WHERE session_id = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, s->id);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)first);
		sqlite3_bind_int64(st, 4, (int64_t)last);
		sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
		rc = db_step_retry(st);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_DONE)
		log_error("scenario %s: run not stored for session %lld: %s", name,
			  (long long)s->id, sqlite3_errmsg(srv->db));
	free(text);
}

json_t *scenario_runs_json(struct server *srv, int64_t id)
{
	json_t *runs = json_array();
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(srv->db, "SELECT run_no, name, first_seq, last_seq, figure FROM "
			       "scenario_runs WHERE session_id = ? ORDER BY run_no", -1, &st,
			       NULL) != SQLITE_OK)
		return runs;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(runs, json_pack("{s:I,s:s,s:I,s:I,s:o?}",
			"run", (json_int_t)sqlite3_column_int64(st, 0),
			"name", (const char *)sqlite3_column_text(st, 1),
			"first_seq", (json_int_t)sqlite3_column_int64(st, 2),
			"last_seq", (json_int_t)sqlite3_column_int64(st, 3),
			"figure", json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL)));
	sqlite3_finalize(st);
	return runs;
}

/*
 * The connection a figure is measured on: one of its own for the run. The
 * daemon's shared connection stays in the read transaction of any statement
 * another request is still stepping, and a query that joins it sees the
 * database as it was when that began, without the run's last events (an OOM
 * run's figure counted 2 of its 3 kills while the page read events).
 */
static __thread sqlite3 *measure_db;

sqlite3 *scenario_db(struct server *srv)
{
	return measure_db ? measure_db : srv->db;
}

/* Measure run [@first, @last] of @s with @m on a connection of its own. */
static json_t *measure_run(struct server *srv, const struct measure *m, struct session *s,
			   uint64_t first, uint64_t last)
{
	json_t *figure;

	if (sqlite3_open_v2(srv->opt.db_path, &measure_db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(measure_db);
		measure_db = NULL;
	} else {
		sqlite3_busy_timeout(measure_db, 10000);
	}
	figure = m->fn(srv, s, first, last);
	sqlite3_close(measure_db);
	measure_db = NULL;
	return figure;
}

/* Wait until the recorder has written every event, up to 60 s (see run_scenario()). */
static void wait_recorded(struct server *srv)
{
	for (int tries = 0; recorder_sync(srv->rec) != 0 && tries < 600; tries++)
		usleep(100000);
}

/*
 * A scenario's "variant": the same ops on a second machine, the run's own
 * but for a few machine keys (a kernel built another way, such as
 * debug_virtual for CONFIG_DEBUG_VIRTUAL), so that one run shows both
 * outcomes. It runs in a session of its own, stopped once measured (its
 * record stays, to be opened and travelled like any other); its figure, with
 * that session's id, joins the first one's under the variant's name.
 */
static void run_variant(struct server *srv, struct session *s, const char *name, json_t *sc,
			json_t *figure)
{
	json_t *v = json_object_get(sc, "variant"), *machine, *res, *vfig;
	const struct measure *m = find_measure(json_string_value(json_object_get(sc, "measure")));
	const char *vname = json_string_value(json_object_get(v, "name"));
	struct mm_error e = { 0 };
	char sname[SESSION_NAME_MAX];
	unsigned int status;
	struct session *s2;
	uint64_t first, last;
	char *text;
	int64_t id;

	if (!m || !vname || !json_is_object(figure) || !json_is_object(json_object_get(v, "machine")))
		return;
	pthread_mutex_lock(&s->lock);
	text = machine_config_to_json(machine_get_config(s->m));
	pthread_mutex_unlock(&s->lock);
	machine = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!json_is_object(machine)) {
		json_decref(machine);
		return;
	}
	json_object_update(machine, json_object_get(v, "machine"));
	snprintf(sname, sizeof(sname), "scenario: %.24s, %.20s", name, vname);
	s2 = session_create(srv, sname, machine, &e, &status);
	json_decref(machine);
	if (!s2) {
		json_object_set_new(figure, vname, json_pack("{s:s}", "error", e.message));
		return;
	}
	res = session_apply(s2, json_object_get(sc, "ops"));
	first = (uint64_t)json_integer_value(json_object_get(res, "first_seq"));
	last = (uint64_t)json_integer_value(json_object_get(res, "last_seq"));
	json_decref(res);
	wait_recorded(srv);
	vfig = measure_run(srv, m, s2, first, last);
	if (json_is_object(vfig)) {
		store_run(srv, s2, name, first, last, vfig);
		json_object_set_new(vfig, "session", json_integer(s2->id));
	}
	json_object_set_new(figure, vname, vfig);
	id = s2->id;
	session_put(s2);
	session_stop(srv, id);
}

/* Apply @sc's ops to @s and measure; the reply body. */
static json_t *run_scenario(struct server *srv, struct session *s, const char *name, json_t *sc)
{
	const struct measure *m = find_measure(json_string_value(json_object_get(sc, "measure")));
	json_t *res = session_apply(s, json_object_get(sc, "ops")), *r, *out, *figure;
	uint64_t first = (uint64_t)json_integer_value(json_object_get(res, "first_seq"));
	uint64_t last = (uint64_t)json_integer_value(json_object_get(res, "last_seq"));
	unsigned long ok = 0, failed = 0;
	size_t i;

	json_array_foreach(json_object_get(res, "results"), i, r) {
		if (json_is_true(json_object_get(r, "ok")))
			ok++;
		else
			failed++;
	}
	/*
	 * The figure is measured from the stored events: wait until they are
	 * all written. recorder_sync() returns early while the recorder cannot
	 * write (another connection holding the database, as while a session of
	 * half a million events is deleted): wait that out too, up to 60 s.
	 */
	wait_recorded(srv);
	figure = m ? measure_run(srv, m, s, first, last) : json_null();
	if (json_object_get(sc, "variant"))
		run_variant(srv, s, name, sc, figure);
	store_run(srv, s, name, first, last, figure);
	out = json_pack("{s:s,s:I,s:O*,s:O*,s:O*,s:O*,s:I,s:I,s:I,s:I,s:O,s:o}",
			 "scenario", name, "session", (json_int_t)s->id,
			 "title", json_object_get(sc, "title"),
			 "question", json_object_get(sc, "question"),
			 "explanation", json_object_get(sc, "explanation"),
			 "claim", json_object_get(sc, "claim"),
			 "first_seq", (json_int_t)first, "last_seq", (json_int_t)last,
			 "ops_ok", (json_int_t)ok, "ops_failed", (json_int_t)failed,
			 "results", json_object_get(res, "results"),
			 "figure", figure);
	json_decref(res);
	return out;
}

static json_t *load_checked(struct server *srv, const char *name, struct http_reply *rep)
{
	char err[256];
	json_t *sc;

	if (!name_ok(name)) {
		reply_error(rep, 404, "ENOENT", "no such scenario: %s", name);
		return NULL;
	}
	sc = load(srv, name, err, sizeof(err));
	if (!sc)
		reply_error(rep, 404, "ENOENT", "no such scenario: %s (%s)", name, err);
	return sc;
}

/* POST /api/v1/sessions/{id}/scenarios/{name}: run on an existing live session. */
void api_session_scenario_run(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	struct session *s;
	json_t *sc, *out;

	if (id < 0)
		return;
	sc = load_checked(srv, req->params[1], rep);
	if (!sc)
		return;
	s = session_get(srv, id);
	if (!s && api_trace_refuse_change(srv, id, "a scenario", rep)) {
		json_decref(sc);
		return;
	}
	if (!s) {
		reply_error(rep, 404, "ENOENT", "no live session %lld", (long long)id);
		json_decref(sc);
		return;
	}
	out = run_scenario(srv, s, req->params[1], sc);
	reply_json(rep, 200, out);
	session_put(s);
	json_decref(sc);
}

/* POST /api/v1/scenarios/{name}/run: a new session with the scenario's machine. */
void api_scenario_run_new(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct mm_error e = { 0 };
	unsigned int status;
	struct session *s;
	char sname[SESSION_NAME_MAX];
	json_t *sc = load_checked(srv, req->params[0], rep);

	if (!sc)
		return;
	snprintf(sname, sizeof(sname), "scenario: %.48s", req->params[0]);
	s = session_create(srv, sname, json_object_get(sc, "machine"), &e, &status);
	if (!s) {
		reply_error(rep, status, mm_errno_name(e.err), "%s", e.message);
		json_decref(sc);
		return;
	}
	reply_json(rep, 201, run_scenario(srv, s, req->params[0], sc));
	session_put(s);
	json_decref(sc);
}

/*** Measurements: figures from the events of a run ***/

static sqlite3_stmt *prepare(struct server *srv, const char *sql, struct session *s,
			     uint64_t first, uint64_t last)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(scenario_db(srv), sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, s->id);
	sqlite3_bind_int64(st, 2, (int64_t)first);
	sqlite3_bind_int64(st, 3, (int64_t)last);
	return st;
}

/* Scenario 1: where each GFP flag's pages came from, and what failed why. */
static json_t *measure_zones_by_gfp(struct server *srv, struct session *s, uint64_t first,
				    uint64_t last)
{
	json_t *rows = json_object(), *out;
	sqlite3_stmt *st;
	char gfp[128];
	bool dma_only_dma = true, dma32_below_4g = true;

	st = prepare(srv, "SELECT gfp, zone, type, count(*), max(pfn + (1 << \"order\")), "
		     "min(detail) FROM events WHERE session_id = ?1 AND seq BETWEEN ?2 AND ?3 "
		     "AND type IN (?4, ?5) GROUP BY gfp, zone, type", s, first, last);
	if (!st)
		return json_null();
	sqlite3_bind_int(st, 4, MM_EV_mm_page_alloc);
	sqlite3_bind_int(st, 5, MM_EV_alloc_fail);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *row;
		int zone = sqlite3_column_int(st, 1);
		bool fail = sqlite3_column_int(st, 2) == MM_EV_alloc_fail;
		int64_t n = sqlite3_column_int64(st, 3);
		uint32_t flags = (uint32_t)sqlite3_column_int64(st, 0);

		gfp_format(flags, gfp, sizeof(gfp));
		row = json_object_get(rows, gfp);
		if (!row) {
			row = json_pack("{s:{},s:I,s:n}", "zones", "failed", (json_int_t)0, "fail_reason");
			json_object_set_new(rows, gfp, row);
		}
		if (fail) {
			json_object_set_new(row, "failed", json_integer(n));
			json_object_set_new(row, "fail_reason",
					    json_string((const char *)sqlite3_column_text(st, 5)));
			continue;
		}
		json_object_set_new(json_object_get(row, "zones"), zone_type_name(zone), json_integer(n));
		if (strstr(gfp, "GFP_DMA") && !strstr(gfp, "GFP_DMA32") && zone != 0)
			dma_only_dma = false;
		if (strstr(gfp, "GFP_DMA32") && sqlite3_column_int64(st, 4) > (1 << 20))
			dma32_below_4g = false;
	}
	sqlite3_finalize(st);
	out = json_pack("{s:o,s:b,s:b}", "by_gfp", rows, "gfp_dma_only_from_zone_dma", dma_only_dma,
			"gfp_dma32_below_4gib", dma32_below_4g);
	return out;
}

/* Scenario 7: high-order failures while memory is free, fallback steals, indices. */
static json_t *measure_fragmentation(struct server *srv, struct session *s, uint64_t first,
				     uint64_t last)
{
	unsigned int nr_orders = machine_get_config(s->m)->max_order + 1;
	sqlite3_stmt *st;
	json_t *fails = json_array(), *zones = json_array(), *compaction;
	int64_t steals = 0, claims = 0;
	uint64_t free_total = 0, managed_total = 0;
	struct zone_info zi;

	st = prepare(srv, "SELECT \"order\", detail, count(*) FROM events WHERE session_id = ?1 "
		     "AND seq BETWEEN ?2 AND ?3 AND type = ?4 GROUP BY \"order\", detail", s, first, last);
	if (st) {
		sqlite3_bind_int(st, 4, MM_EV_alloc_fail);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(fails, json_pack("{s:i,s:s?,s:I}",
				"order", sqlite3_column_int(st, 0),
				"reason", (const char *)sqlite3_column_text(st, 1),
				"count", (json_int_t)sqlite3_column_int64(st, 2)));
		sqlite3_finalize(st);
	}
	st = prepare(srv, "SELECT count(*), sum(detail LIKE '%change_ownership=1%') FROM events WHERE "
		     "session_id = ?1 AND seq BETWEEN ?2 AND ?3 AND type = ?4", s, first, last);
	if (st) {
		sqlite3_bind_int(st, 4, MM_EV_mm_page_alloc_extfrag);
		if (sqlite3_step(st) == SQLITE_ROW) {
			steals = sqlite3_column_int64(st, 0);
			claims = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
	}
	/* The free lists as the run left them (the session's lock guards the machine). */
	pthread_mutex_lock(&s->lock);
	for (unsigned int node = 0; node < machine_nr_nodes(s->m); node++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			json_t *unusable = json_array(), *extfrag = json_array();

			if (machine_zone_info(s->m, (int)node, z, &zi) || !zi.present) {
				json_decref(unusable);
				json_decref(extfrag);
				continue;
			}
			for (unsigned int o = 0; o < nr_orders; o++) {
				json_array_append_new(unusable, json_real(zone_unusable_index(&zi, nr_orders, o) / 1000.0));
				json_array_append_new(extfrag, json_real(zone_fragmentation_index(&zi, nr_orders, o) / 1000.0));
			}
			free_total += zi.free;
			managed_total += zi.managed;
			json_array_append_new(zones, json_pack("{s:i,s:s,s:I,s:o,s:o}", "node", (int)node,
				"zone", zi.name, "free_pages", (json_int_t)zi.free,
				"unusable_index", unusable, "extfrag_index", extfrag));
		}
	pthread_mutex_unlock(&s->lock);
	/* what direct compaction made of it (scenarios_compaction.c), without the lists */
	compaction = measure_compaction(srv, s, first, last);
	json_object_del(compaction, "run_list");
	json_object_del(compaction, "high_order_requests");
	json_object_del(compaction, "request");
	return json_pack("{s:o,s:I,s:I,s:I,s:I,s:f,s:o,s:o}", "alloc_failures", fails,
			 "fallback_steals", (json_int_t)steals, "pageblocks_claimed", (json_int_t)claims,
			 "free_pages", (json_int_t)free_total, "managed_pages", (json_int_t)managed_total,
			 "free_percent", managed_total ? 100.0 * (double)free_total / (double)managed_total : 0.0,
			 "zones", zones, "compaction", compaction);
}

/* The smallest power of two >= @n (and >= 8, the smallest kmalloc cache). */
static uint64_t pow2_at_least(uint64_t n)
{
	uint64_t p = 8;

	while (p < n)
		p <<= 1;
	return p;
}

struct waste {
	uint64_t requests, requested, allocated, pow2;
};

static json_t *waste_json(const struct waste *w)
{
	return json_pack("{s:I,s:I,s:I,s:f,s:f}", "requests", (json_int_t)w->requests,
			 "bytes_requested", (json_int_t)w->requested,
			 "bytes_allocated", (json_int_t)w->allocated,
			 "waste_percent", w->allocated ? 100.0 * (double)(w->allocated - w->requested) /
						  (double)w->allocated : 0.0,
			 "waste_percent_if_only_powers_of_two", w->pow2 ?
				100.0 * (double)(w->pow2 - w->requested) / (double)w->pow2 : 0.0);
}

/*
 * Scenario 8: what rounding costs. Each kmalloc event carries the bytes asked
 * for (size) and the bytes the cache or the buddy handed out (value); the
 * same requests rounded to powers of two give the comparison.
 */
static json_t *measure_internal_fragmentation(struct server *srv, struct session *s,
					      uint64_t first, uint64_t last)
{
	struct waste slab = { 0 }, large = { 0 };
	sqlite3_stmt *st;

	st = prepare(srv, "SELECT type, size, value FROM events WHERE session_id = ?1 AND "
		     "seq BETWEEN ?2 AND ?3 AND type IN (?4, ?5) AND size IS NOT NULL", s, first, last);
	if (!st)
		return json_null();
	sqlite3_bind_int(st, 4, MM_EV_kmalloc);
	sqlite3_bind_int(st, 5, MM_EV_kmalloc_large);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct waste *w = sqlite3_column_int(st, 0) == MM_EV_kmalloc ? &slab : &large;
		uint64_t size = (uint64_t)sqlite3_column_int64(st, 1);

		w->requests++;
		w->requested += size;
		w->allocated += (uint64_t)sqlite3_column_int64(st, 2);
		w->pow2 += pow2_at_least(size);
	}
	sqlite3_finalize(st);
	return json_pack("{s:o,s:o}", "slab", waste_json(&slab), "buddy_large", waste_json(&large));
}

/*
 * Scenario 5: the boot path's stages, every paging switch, and which of them
 * the CPU survived: a switch is survived when no triple fault follows it in
 * the same op.
 */
static json_t *measure_paging(struct server *srv, struct session *s, uint64_t first,
			      uint64_t last)
{
	json_t *stages = json_array(), *switches = json_array(), *faults = json_array();
	unsigned long survived = 0;
	sqlite3_stmt *st;
	char addr[24];

	st = prepare(srv, "SELECT e.type, e.cpu, e.seq, e.op_no, e.paddr, e.vaddr, e.detail, "
		     "EXISTS (SELECT 1 FROM events f WHERE f.session_id = e.session_id AND "
		     "f.seq BETWEEN e.seq + 1 AND coalesce((SELECT last_seq FROM ops o WHERE "
		     "o.session_id = e.session_id AND o.op_no = e.op_no), ?3) AND "
		     "f.op_no = e.op_no AND f.type = ?7) FROM events e "
		     "WHERE e.session_id = ?1 AND e.seq BETWEEN ?2 AND ?3 AND e.type IN (?4, ?5, ?6, ?7) "
		     "ORDER BY e.seq", s, first, last);
	if (!st)
		return json_null();
	sqlite3_bind_int(st, 4, MM_EV_boot_stage);
	sqlite3_bind_int(st, 5, MM_EV_paging_enable);
	sqlite3_bind_int(st, 6, MM_EV_paging_disable);
	sqlite3_bind_int(st, 7, MM_EV_triple_fault);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int type = sqlite3_column_int(st, 0);
		json_int_t seq = sqlite3_column_int64(st, 2);
		const char *detail = (const char *)sqlite3_column_text(st, 6);
		bool fault_after = sqlite3_column_int(st, 7);

		if (type == MM_EV_boot_stage) {
			json_array_append_new(stages, json_pack("{s:s?,s:I}", "stage", detail, "seq", seq));
		} else if (type == MM_EV_triple_fault) {
			snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)sqlite3_column_int64(st, 5));
			json_array_append_new(faults, json_pack("{s:i,s:I,s:s,s:s?}", "cpu",
				sqlite3_column_int(st, 1), "seq", seq, "rip", addr, "why", detail));
		} else {
			snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)sqlite3_column_int64(st, 4));
			survived += !fault_after;
			json_array_append_new(switches, json_pack("{s:s,s:i,s:I,s:s,s:b}",
				"paging", type == MM_EV_paging_enable ? "on" : "off",
				"cpu", sqlite3_column_int(st, 1), "seq", seq, "cr3", addr,
				"survived", !fault_after));
		}
	}
	sqlite3_finalize(st);
	return json_pack("{s:o,s:o,s:I,s:I,s:o}", "boot_stages", stages, "paging_switches", switches,
			 "switches_survived", (json_int_t)survived,
			 "triple_faults_count", (json_int_t)json_array_size(faults), "triple_faults", faults);
}

/*** Address regions, as the kernel's layout defines them ***/

static const char *region_of(const struct machine *m, uint64_t vaddr)
{
	unsigned int levels = machine_get_config(m)->paging_levels;
	uint64_t page_offset = layout_page_offset(levels);

	if (vaddr >= page_offset && vaddr < layout_vmalloc_start(levels) &&
	    vaddr - page_offset < (machine_max_pfn(m) << 12))
		return "direct map";
	if (vaddr >= layout_vmalloc_start(levels) && vaddr <= layout_vmalloc_end(levels))
		return "vmalloc";
	if (vaddr >= __START_KERNEL_map && vaddr - __START_KERNEL_map < KERNEL_IMAGE_SIZE)
		return "kernel image";
	if (vaddr < layout_task_size(levels))
		return "user";
	return "other";
}

static json_t *hex_json(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

/*
 * Scenario 3: __pa on each kind of address. A direct-map address converts by
 * subtracting one constant; the kernel image by another; anything else gets
 * a wrong number (the row says why), or, on a machine with debug_virtual
 * (CONFIG_DEBUG_VIRTUAL), an oops.
 */
static json_t *measure_linear_map(struct server *srv, struct session *s, uint64_t first,
				  uint64_t last)
{
	json_t *rows = json_array(), *offsets = json_object();
	sqlite3_stmt *st;

	st = prepare(srv, "SELECT vaddr, paddr, value, detail FROM events WHERE session_id = ?1 "
		     "AND seq BETWEEN ?2 AND ?3 AND type = ?4 ORDER BY seq", s, first, last);
	if (!st)
		return json_null();
	sqlite3_bind_int(st, 4, MM_EV_virt_to_phys);
	pthread_mutex_lock(&s->lock);
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t vaddr = (uint64_t)sqlite3_column_int64(st, 0);
		const char *region = region_of(s->m, vaddr);
		bool ok = sqlite3_column_type(st, 1) != SQLITE_NULL;
		json_t *row = json_pack("{s:o,s:s,s:b}", "vaddr", hex_json(vaddr), "region", region,
					"ok", ok);

		const char *detail = (const char *)sqlite3_column_text(st, 3);

		if (ok && detail && !strncmp(detail, "wrong", 5)) {
			json_object_set_new(row, "paddr", hex_json((uint64_t)sqlite3_column_int64(st, 1)));
			json_object_set_new(row, "wrong", json_true());
			json_object_set_new(row, "why", json_string(detail));
		} else if (ok) {
			uint64_t paddr = (uint64_t)sqlite3_column_int64(st, 1);
			json_t *list = json_object_get(offsets, region);

			json_object_set_new(row, "paddr", hex_json(paddr));
			json_object_set_new(row, "offset", hex_json(vaddr - paddr));
			if (!list)
				json_object_set_new(offsets, region, list = json_array());
			if (!json_array_size(list) ||
			    strcmp(json_string_value(json_array_get(list, json_array_size(list) - 1)),
				   json_string_value(json_object_get(row, "offset"))))
				json_array_append(list, json_object_get(row, "offset"));
		} else {
			json_object_set_new(row, "error", json_string((const char *)sqlite3_column_text(st, 3)));
		}
		json_array_append_new(rows, row);
	}
	pthread_mutex_unlock(&s->lock);
	sqlite3_finalize(st);
	return json_pack("{s:o,s:o}", "conversions", rows, "offsets_by_region", offsets);
}

/*
 * Scenario 4: the same kind of scan through the MMU over memory mapped with
 * big pages and with 4 KiB pages: TLB hits, misses and page-walk memory
 * references per address region, from the translate events.
 */
static json_t *measure_tlb_scan(struct server *srv, struct session *s, uint64_t first,
				uint64_t last)
{
	json_t *regions = json_object();
	sqlite3_stmt *st;

	st = prepare(srv, "SELECT vaddr, size, value, detail FROM events WHERE session_id = ?1 "
		     "AND seq BETWEEN ?2 AND ?3 AND type = ?4", s, first, last);
	if (!st)
		return json_null();
	sqlite3_bind_int(st, 4, MM_EV_translate);
	pthread_mutex_lock(&s->lock);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *region = region_of(s->m, (uint64_t)sqlite3_column_int64(st, 0));
		const char *detail = (const char *)sqlite3_column_text(st, 3);
		json_t *r = json_object_get(regions, region), *sizes;
		const char *outcome = !detail ? "miss" : strncmp(detail, "l1_hit", 6) == 0 ? "l1_hits" :
				      strncmp(detail, "stlb_hit", 8) == 0 ? "stlb_hits" : "misses";
		char size[24];

		if (!r) {
			r = json_pack("{s:I,s:I,s:I,s:I,s:I,s:{}}", "accesses", (json_int_t)0,
				      "l1_hits", (json_int_t)0, "stlb_hits", (json_int_t)0,
				      "misses", (json_int_t)0, "walk_refs", (json_int_t)0, "page_sizes");
			json_object_set_new(regions, region, r);
		}
		json_object_set_new(r, "accesses", json_integer(json_integer_value(json_object_get(r, "accesses")) + 1));
		json_object_set_new(r, outcome, json_integer(json_integer_value(json_object_get(r, outcome)) + 1));
		json_object_set_new(r, "walk_refs", json_integer(json_integer_value(json_object_get(r, "walk_refs")) +
								 sqlite3_column_int64(st, 2)));
		sizes = json_object_get(r, "page_sizes");
		snprintf(size, sizeof(size), "%lld", (long long)sqlite3_column_int64(st, 1));
		json_object_set_new(sizes, size, json_integer(json_integer_value(json_object_get(sizes, size)) + 1));
	}
	pthread_mutex_unlock(&s->lock);
	sqlite3_finalize(st);
	{
		const char *key;
		json_t *r;

		json_object_foreach(regions, key, r) {
			json_int_t n = json_integer_value(json_object_get(r, "accesses"));
			json_int_t miss = json_integer_value(json_object_get(r, "misses"));

			json_object_set_new(r, "misses_per_1000_accesses",
					    json_real(n ? 1000.0 * (double)miss / (double)n : 0));
			json_object_set_new(r, "walk_refs_per_access",
					    json_real(n ? (double)json_integer_value(json_object_get(r, "walk_refs")) / (double)n : 0));
		}
	}
	return json_pack("{s:o,s:b}", "by_region", regions, "gbpages",
			 machine_get_config(s->m)->gbpages);
}

/* How many runs of consecutive pfns a list of frames makes (1 = contiguous). */
static unsigned long contiguous_runs(const json_t *pfns)
{
	unsigned long runs = 0;
	json_int_t prev = -2;
	size_t i;
	json_t *v;

	json_array_foreach(pfns, i, v) {
		runs += json_integer_value(v) != prev + 1;
		prev = json_integer_value(v);
	}
	return runs;
}

/*
 * One swiotlb bounce of the kmalloc-vs-vmalloc run: where the buffer is,
 * the pool address the device was given, and (filled in later) whether the
 * mapping stood and what its unmap copied back.
 */
static json_t *bounce_json(sqlite3_stmt *st, const struct swiotlb_info *si)
{
	uint64_t dma = (uint64_t)sqlite3_column_int64(st, 4);

	return json_pack("{s:o,s:o,s:I,s:i,s:b,s:b,s:n,s:n}",
			 "paddr", hex_json((uint64_t)sqlite3_column_int64(st, 9)), "dma_addr", hex_json(dma),
			 "length", sqlite3_column_int64(st, 3), "mask_bits", sqlite3_column_int(st, 7),
			 "in_the_swiotlb_pool", si->active && dma >= si->start && dma < si->end,
			 "below_4_gib", dma < (1ULL << 32), "mapped", "copied_back_bytes");
}

/* The bounce still mapped whose buffer is at @paddr, the latest first. */
static json_t *mapped_bounce(json_t *bounces, uint64_t paddr)
{
	for (size_t i = json_array_size(bounces); i-- > 0;) {
		json_t *b = json_array_get(bounces, i);

		if (json_is_true(json_object_get(b, "mapped")) &&
		    json_is_null(json_object_get(b, "copied_back_bytes")) &&
		    strtoull(json_string_value(json_object_get(b, "paddr")), NULL, 16) == paddr)
			return b;
	}
	return NULL;
}

/*
 * Scenario 6: kmalloc against vmalloc: where the frames are, what vmalloc
 * itself kmallocs for its bookkeeping, what a DMA mapping makes of each, and
 * each swiotlb bounce: its address in the pool, and the copy back at unmap
 * (swiotlb_tbl_map_single(), swiotlb_tbl_unmap_single(), kernel/dma/swiotlb.c).
 */
static json_t *measure_kmalloc_vs_vmalloc(struct server *srv, struct session *s, uint64_t first,
					  uint64_t last)
{
	json_t *kmallocs = json_array(), *areas = json_array(), *meta = json_array(), *dma = json_array();
	json_t *bounces = json_array(), *area = NULL, *pending = NULL;
	struct swiotlb_info si;
	sqlite3_stmt *st;

	pthread_mutex_lock(&s->lock);
	machine_swiotlb_info(s->m, &si);
	pthread_mutex_unlock(&s->lock);
	st = prepare(srv, "SELECT e.type, e.vaddr, e.pfn, e.size, e.value, e.detail, e.op_no, e.level, "
		     "e.op_no IN (SELECT op_no FROM events WHERE session_id = ?1 AND seq BETWEEN ?2 AND ?3 "
		     "AND type = ?8), e.paddr FROM events e WHERE e.session_id = ?1 AND e.seq BETWEEN ?2 AND ?3 "
		     "AND e.type IN (?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ORDER BY e.seq", s, first, last);
	if (!st)
		return json_null();
	sqlite3_bind_int(st, 4, MM_EV_kmalloc);
	sqlite3_bind_int(st, 5, MM_EV_kmalloc_large);
	sqlite3_bind_int(st, 6, MM_EV_vmap_area_alloc);
	sqlite3_bind_int(st, 7, MM_EV_vmap_page);
	sqlite3_bind_int(st, 8, MM_EV_vmalloc);
	sqlite3_bind_int(st, 9, MM_EV_dma_map);
	sqlite3_bind_int(st, 10, MM_EV_swiotlb_bounced);
	sqlite3_bind_int(st, 11, MM_EV_dma_unmap);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int type = sqlite3_column_int(st, 0);
		uint64_t vaddr = (uint64_t)sqlite3_column_int64(st, 1);
		const char *detail = (const char *)sqlite3_column_text(st, 5);

		switch (type) {
		case MM_EV_swiotlb_bounced:
			/* the map's own dma_map event follows: it says whether it stood */
			pending = bounce_json(st, &si);
			json_array_append_new(bounces, pending);
			break;
		case MM_EV_dma_unmap: {
			json_t *b = mapped_bounce(bounces, (uint64_t)sqlite3_column_int64(st, 9));

			if (b)
				json_object_set_new(b, "copied_back_bytes",
						    json_integer(sqlite3_column_int64(st, 4)));
			break;
		}
		case MM_EV_kmalloc:
		case MM_EV_kmalloc_large:
			/* A kmalloc inside a vmalloc op is vmalloc's own bookkeeping. */
			json_array_append_new(sqlite3_column_int(st, 8) ? meta : kmallocs, json_pack("{s:o,s:I,s:I,s:s?,s:I}",
				"addr", hex_json(vaddr), "size", sqlite3_column_int64(st, 3),
				"bytes_allocated", sqlite3_column_int64(st, 4), "cache", detail,
				"pfn", sqlite3_column_int64(st, 2)));
			break;
		case MM_EV_vmap_area_alloc:
			area = json_pack("{s:o,s:I,s:[]}", "addr", hex_json(vaddr),
					 "size", sqlite3_column_int64(st, 3), "pfns");
			json_array_append_new(areas, area);
			break;
		case MM_EV_vmap_page:
			if (area)
				json_array_append_new(json_object_get(area, "pfns"),
						      json_integer(sqlite3_column_int64(st, 2)));
			break;
		case MM_EV_vmalloc:
			area = NULL;	/* the area is complete */
			break;
		default:
			if (pending) {
				json_object_set_new(pending, "mapped", json_boolean(sqlite3_column_int64(st, 4) == 0));
				pending = NULL;
			}
			json_array_append_new(dma, json_pack("{s:o,s:I,s:i,s:b,s:s?,s:o}", "addr", hex_json(vaddr),
				"length", sqlite3_column_int64(st, 3), "mask_bits", sqlite3_column_int(st, 7),
				"accepted", sqlite3_column_int64(st, 4) == 0, "why", detail,
				"dma_addr", sqlite3_column_type(st, 9) == SQLITE_NULL ? json_null() :
				hex_json((uint64_t)sqlite3_column_int64(st, 9))));
			break;
		}
	}
	sqlite3_finalize(st);
	{
		size_t i;
		json_t *a;

		json_array_foreach(areas, i, a) {
			json_t *pfns = json_object_get(a, "pfns");

			json_object_set_new(a, "nr_pages", json_integer((json_int_t)json_array_size(pfns)));
			json_object_set_new(a, "contiguous_runs", json_integer((json_int_t)contiguous_runs(pfns)));
		}
	}
	return json_pack("{s:o,s:o,s:o,s:o,s:{s:o,s:o,s:o}}", "kmalloc", kmallocs, "vmalloc", areas,
			 "vmalloc_bookkeeping_kmallocs", meta, "dma_map", dma, "swiotlb",
			 "pool_start", si.active ? hex_json(si.start) : json_null(),
			 "pool_end", si.active ? hex_json(si.end) : json_null(), "bounces", bounces);
}

/* One struct page, as the learner sees it in the page view. */
static json_t *page_state_json(struct machine *m, const char *state, uint64_t pfn)
{
	struct page_info pi;

	if (machine_page_info(m, pfn, &pi))
		return json_pack("{s:s,s:I,s:s}", "state", state, "pfn", (json_int_t)pfn,
				 "owner", "hole");
	return json_pack("{s:s,s:I,s:s,s:s,s:s?,s:s,s:i,s:i,s:o,s:I,s:s?,s:i,s:i}", "state",
			 state, "pfn", (json_int_t)pfn, "owner", page_owner_name(pi.owner),
			 "flags", pi.flags_text, "page_type", pi.typed ? pi.page_type_name : NULL,
			 "kpageflags", pi.kpageflags_text,
			 "refcount", pi.refcount, "mapcount", pi.mapcount,
			 "order", pi.order == MM_NA ? json_null() : json_integer(pi.order),
			 "compound_head", (json_int_t)pi.compound_head,
			 "slab_cache", pi.slab_cache[0] ? pi.slab_cache : NULL,
			 "inuse", (int)pi.inuse, "objects", (int)pi.objects);
}

/*
 * Scenario 2: struct page. The array's size comes from the boot's memblock
 * reservation events; the sample pages are the frames this run's events
 * name (a freed one, a slab's, a vmalloc page, a process's page, a page
 * table, a compound block), read back from the machine afterwards.
 */
static json_t *measure_struct_page(struct server *srv, struct session *s, uint64_t first,
				   uint64_t last)
{
	static const struct {
		const char *state;
		int type;
		const char *where;	/* extra condition on the event */
	} samples[] = {
		{ "freed (on a per-CPU list)", MM_EV_mm_page_free, "1" },
		{ "slab (kmalloc)", MM_EV_kmalloc, "1" },
		{ "vmalloc", MM_EV_vmap_page, "1" },
		{ "user page (demand paging)", MM_EV_mm_page_alloc, "(gfp & %u) = %u" },
		{ "page table", MM_EV_pgtable_alloc, "1" },
		{ "compound head", MM_EV_mm_page_alloc, "\"order\" = 3" },
	};
	json_t *pages = json_array();
	uint64_t reserved = 0, present = 0, bytes;
	struct zone_info zi;
	sqlite3_stmt *st;
	gfp_t user_gfp = 0;
	char sql[512], cond[64];

	gfp_parse("GFP_HIGHUSER_MOVABLE", &user_gfp, NULL);
	/* The boot's reservations, from the blocks that hold one (db.h). */
	st = prepare(srv, "SELECT coalesce(sum(size), 0) FROM " EVENTS_BY_KEY_FROM " WHERE "
		     "k.session_id = ?1 AND k.kind = 0 AND k.key = ?4 AND k.block <= ?3 >> 10 AND "
		     "e.seq <= ?3 AND e.seq >= 1 + 0 * ?2 AND type = ?4 AND detail LIKE 'mem_map%'",
		     s, first, last);
	if (st) {
		sqlite3_bind_int(st, 4, MM_EV_memblock_reserve);
		if (sqlite3_step(st) == SQLITE_ROW)
			reserved = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		snprintf(cond, sizeof(cond), samples[i].where, (unsigned int)user_gfp,
			 (unsigned int)user_gfp);
		snprintf(sql, sizeof(sql), "SELECT pfn FROM events WHERE session_id = ?1 AND seq BETWEEN "
			 "?2 AND ?3 AND type = ?4 AND pfn IS NOT NULL AND %s ORDER BY seq LIMIT 1", cond);
		st = prepare(srv, sql, s, first, last);
		if (!st)
			continue;
		sqlite3_bind_int(st, 4, samples[i].type);
		if (sqlite3_step(st) == SQLITE_ROW) {
			uint64_t pfn = (uint64_t)sqlite3_column_int64(st, 0);

			json_array_append_new(pages, page_state_json(s->m, samples[i].state, pfn));
			if (i == sizeof(samples) / sizeof(samples[0]) - 1)
				json_array_append_new(pages, page_state_json(s->m, "compound tail", pfn + 1));
		}
		sqlite3_finalize(st);
	}
	for (unsigned int node = 0; node < machine_nr_nodes(s->m); node++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (!machine_zone_info(s->m, (int)node, z, &zi))
				present += zi.present;
	bytes = machine_mem_map_bytes(s->m);
	pthread_mutex_unlock(&s->lock);
	return json_pack("{s:I,s:I,s:I,s:I,s:f,s:o}",
			 "struct_page_size", (json_int_t)machine_struct_page_size(),
			 "present_pages", (json_int_t)present, "mem_map_bytes", (json_int_t)bytes,
			 "mem_map_reserved_at_boot", (json_int_t)reserved,
			 "overhead_percent", present ? 100.0 * (double)reserved / (double)(present << 12) : 0.0,
			 "pages", pages);
}

/*** Memory pressure: kswapd, direct reclaim, swap (engine/vmscan.c) ***/

/* The number after "key=" in an event's detail, or -1. */
static long detail_num(const unsigned char *detail, const char *key)
{
	const char *p = detail ? strstr((const char *)detail, key) : NULL;

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/*
 * kswapd's sawtooth: every wakeup by an allocation names the zone's free
 * pages and the low mark it failed (a wakeup with gfp 0 is rmqueue()'s for a
 * boosted zone, counted apart), every sleep the free pages and the high mark
 * of the zone that let it sleep; the pages it reclaimed are the
 * shrink_inactive events outside direct reclaim's begin/end.
 */
static json_t *measure_kswapd_sawtooth(struct server *srv, struct session *s, uint64_t first,
				       uint64_t last)
{
	uint64_t wakeups = 0, below_low = 0, sleeps = 0, above_high = 0, runs = 0, boost_wakeups = 0;
	uint64_t kswapd_reclaimed = 0, direct_rounds = 0, direct_reclaimed = 0;
	int64_t lowest_wake_free = -1, lowest_sleep_margin = -1;
	bool in_direct = false;
	sqlite3_stmt *st;

	st = prepare(srv, "SELECT type, value, size, coalesce(gfp, 0) FROM events WHERE "
		     "session_id = ?1 AND seq BETWEEN ?2 AND ?3 AND type IN (?4, ?5, ?6, ?7, ?8, ?9) "
		     "ORDER BY seq", s, first, last);
	if (!st)
		return json_null();
	sqlite3_bind_int(st, 4, MM_EV_mm_vmscan_wakeup_kswapd);
	sqlite3_bind_int(st, 5, MM_EV_mm_vmscan_kswapd_wake);
	sqlite3_bind_int(st, 6, MM_EV_mm_vmscan_kswapd_sleep);
	sqlite3_bind_int(st, 7, MM_EV_mm_vmscan_direct_reclaim_begin);
	sqlite3_bind_int(st, 8, MM_EV_mm_vmscan_direct_reclaim_end);
	sqlite3_bind_int(st, 9, MM_EV_mm_vmscan_lru_shrink_inactive);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int type = sqlite3_column_int(st, 0);
		int64_t value = sqlite3_column_int64(st, 1), size = sqlite3_column_int64(st, 2);
		bool has = sqlite3_column_type(st, 1) != SQLITE_NULL;

		if (type == MM_EV_mm_vmscan_wakeup_kswapd && !sqlite3_column_int(st, 3)) {
			boost_wakeups++;	/* rmqueue() of a boosted zone: gfp 0 */
		} else if (type == MM_EV_mm_vmscan_wakeup_kswapd) {
			wakeups++;
			below_low += has && value <= size;	/* a zone passes only above its mark */
			if (has && (lowest_wake_free < 0 || value < lowest_wake_free))
				lowest_wake_free = value;
		} else if (type == MM_EV_mm_vmscan_kswapd_wake) {
			runs++;
		} else if (type == MM_EV_mm_vmscan_kswapd_sleep) {
			sleeps++;
			above_high += has && value > size;
			if (has && (lowest_sleep_margin < 0 || value - size < lowest_sleep_margin))
				lowest_sleep_margin = value - size;
		} else if (type == MM_EV_mm_vmscan_direct_reclaim_begin) {
			in_direct = true;
			direct_rounds++;
		} else if (type == MM_EV_mm_vmscan_direct_reclaim_end) {
			in_direct = false;
			direct_reclaimed += has ? (uint64_t)value : 0;
		} else if (!in_direct && has) {
			kswapd_reclaimed += (uint64_t)value;
		}
	}
	sqlite3_finalize(st);
	return json_pack("{s:I,s:I,s:I,s:b,s:I,s:I,s:I,s:b,s:I,s:I,s:I,s:I}",
			 "wakeups", (json_int_t)wakeups, "wakeups_for_a_boost", (json_int_t)boost_wakeups,
			 "wakeups_at_or_below_low", (json_int_t)below_low,
			 "woken_only_below_low", wakeups && below_low == wakeups,
			 "lowest_free_at_wakeup", (json_int_t)lowest_wake_free,
			 "sleeps", (json_int_t)sleeps, "sleeps_above_high", (json_int_t)above_high,
			 "slept_only_above_high", sleeps && above_high == sleeps,
			 "kswapd_runs", (json_int_t)runs, "kswapd_reclaimed", (json_int_t)kswapd_reclaimed,
			 "direct_reclaim_rounds", (json_int_t)direct_rounds,
			 "direct_reclaimed", (json_int_t)direct_reclaimed);
}

/*
 * Direct reclaim: each begin/end round, the priorities of its
 * shrink_inactive events in order (they must only go down, from 12), the
 * lowest one reached and the pages it reclaimed.
 */
static json_t *measure_direct_reclaim(struct server *srv, struct session *s, uint64_t first,
				      uint64_t last)
{
	uint64_t rounds = 0, descending = 0, from_12 = 0, reclaimed = 0, stalls_ok = 0;
	uint64_t by_lowest[13] = { 0 };
	long prev = -1, lowest = 13;
	bool in = false, down = true, started = false;
	json_t *hist = json_object();
	sqlite3_stmt *st;

	/* a shrink's priority is its event's level (the tracepoint's priority field) */
	st = prepare(srv, "SELECT type, value, level FROM events WHERE session_id = ?1 AND seq "
		     "BETWEEN ?2 AND ?3 AND type IN (?4, ?5, ?6) ORDER BY seq", s, first, last);
	if (!st)
		return json_null();
	sqlite3_bind_int(st, 4, MM_EV_mm_vmscan_direct_reclaim_begin);
	sqlite3_bind_int(st, 5, MM_EV_mm_vmscan_direct_reclaim_end);
	sqlite3_bind_int(st, 6, MM_EV_mm_vmscan_lru_shrink_inactive);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int type = sqlite3_column_int(st, 0);

		if (type == MM_EV_mm_vmscan_direct_reclaim_begin) {
			in = true;
			down = true;
			started = false;
			prev = -1;
			lowest = 13;
			rounds++;
		} else if (type == MM_EV_mm_vmscan_direct_reclaim_end && in) {
			in = false;
			descending += down;
			reclaimed += (uint64_t)sqlite3_column_int64(st, 1);
			stalls_ok += sqlite3_column_int64(st, 1) > 0;
			if (lowest <= 12)
				by_lowest[lowest]++;
		} else if (in) {
			long p = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1
				 : (long)sqlite3_column_int64(st, 2);

			if (!started)
				from_12 += p == 12;
			started = true;
			down &= prev < 0 || p <= prev;
			prev = p;
			if (p >= 0 && p < lowest)
				lowest = p;
		}
	}
	sqlite3_finalize(st);
	for (int p = 12; p >= 0; p--)
		if (by_lowest[p]) {
			char key[12];	/* an int in decimal */

			snprintf(key, sizeof(key), "%d", p);
			json_object_set_new(hist, key, json_integer((json_int_t)by_lowest[p]));
		}
	return json_pack("{s:I,s:I,s:I,s:b,s:o,s:I,s:I}", "rounds", (json_int_t)rounds,
			 "rounds_starting_at_12", (json_int_t)from_12,
			 "rounds_descending", (json_int_t)descending,
			 "priorities_only_descend", rounds && descending == rounds,
			 "rounds_by_lowest_priority", hist,
			 "rounds_that_reclaimed", (json_int_t)stalls_ok,
			 "pages_reclaimed", (json_int_t)reclaimed);
}

/*
 * Swap and major faults: the content tag each slot was written with
 * (swap_writepage) against the one read back from it (swap_readpage), and
 * the faults that were major.
 */
static json_t *measure_swap_major_faults(struct server *srv, struct session *s, uint64_t first,
					 uint64_t last)
{
	uint64_t out = 0, in = 0, same = 0, differ = 0, unknown = 0, major = 0, faults = 0;
	size_t cap = 1 << 16;
	long *tag = calloc(cap, sizeof(*tag));
	sqlite3_stmt *st;

	if (!tag)
		return json_null();
	for (size_t i = 0; i < cap; i++)
		tag[i] = -1;
	st = prepare(srv, "SELECT type, detail FROM events WHERE session_id = ?1 AND seq BETWEEN "
		     "?2 AND ?3 AND type IN (?4, ?5, ?6) ORDER BY seq", s, first, last);
	if (!st) {
		free(tag);
		return json_null();
	}
	sqlite3_bind_int(st, 4, MM_EV_swap_writepage);
	sqlite3_bind_int(st, 5, MM_EV_swap_readpage);
	sqlite3_bind_int(st, 6, MM_EV_page_fault);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int type = sqlite3_column_int(st, 0);
		const unsigned char *d = sqlite3_column_text(st, 1);
		long off = detail_num(d, "offset="), content;
		const char *c = d ? strstr((const char *)d, "content=") : NULL;

		if (type == MM_EV_page_fault) {
			faults++;
			major += d && !strcmp((const char *)d, "major");
			continue;
		}
		content = c ? strtol(c + 8, NULL, 16) : -1;
		if (off < 0 || (size_t)off >= cap)
			continue;
		if (type == MM_EV_swap_writepage) {
			out++;
			tag[off] = content;
		} else {
			in++;
			if (tag[off] < 0)
				unknown++;
			else if (tag[off] == content)
				same++;
			else
				differ++;
		}
	}
	sqlite3_finalize(st);
	free(tag);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:I}", "pages_swapped_out", (json_int_t)out,
			 "pages_swapped_in", (json_int_t)in, "content_matches", (json_int_t)same,
			 "content_differs", (json_int_t)differ,
			 "read_before_written", (json_int_t)unknown,
			 "every_page_came_back_intact", in && same == in,
			 "page_faults", (json_int_t)faults, "major_faults", (json_int_t)major);
}

sqlite3_stmt *scenario_run_events(struct server *srv, struct session *s, uint64_t first,
				  uint64_t last, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(scenario_db(srv), sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, s->id);
	sqlite3_bind_int64(st, 2, (int64_t)first);
	sqlite3_bind_int64(st, 3, (int64_t)last);
	return st;
}

const struct measure scenario_measures[] = {
	{ "struct_page", measure_struct_page },
	{ "linear_map", measure_linear_map },
	{ "tlb_scan", measure_tlb_scan },
	{ "kmalloc_vs_vmalloc", measure_kmalloc_vs_vmalloc },
	{ "paging", measure_paging },
	{ "internal_fragmentation", measure_internal_fragmentation },
	{ "zones_by_gfp", measure_zones_by_gfp },
	{ "fragmentation", measure_fragmentation },
	{ "page_cache", measure_page_cache },	/* scenarios_core.c */
	{ "fork_cow", measure_fork_cow },
	{ "kswapd_sawtooth", measure_kswapd_sawtooth },
	{ "direct_reclaim", measure_direct_reclaim },
	{ "swap_major_faults", measure_swap_major_faults },
	{ "oom_victims", measure_oom_victims },		/* scenarios_oom.c */
	{ "memcg_limit", measure_memcg_limit },
	{ "compaction", measure_compaction },	/* scenarios_compaction.c */
	{ NULL, NULL },
};
