/*
 * session.c - the registry of live sessions and their records in SQLite.
 *
 * A session is the life of one machine: a row in sessions (config, seed,
 * state), its op log and its events. Live sessions are held here; stopped
 * ones ("closed") and those a dead daemon left behind ("crashed") exist only
 * in the database. Each live session has a mutex: an op batch or a view holds
 * it, so one machine is never touched by two threads at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/ops.h"
#include "daemon/recorder.h"
#include "daemon/scenarios.h"
#include "daemon/server.h"
#include "daemon/session.h"
#include "daemon/snapshots.h"

static void now_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* The engine's event callback: number the event and queue it for the writer. */
static void session_on_event(void *ctx, const struct mm_event *ev)
{
	struct session *s = ctx;

	s->last_seq++;
	if (!s->op_first_seq)
		s->op_first_seq = s->last_seq;
	recorder_event(s->srv->rec, s->id, s->last_seq, s->last_op, ev);
	stream_publish(&s->hub, s->last_seq, s->last_op, ev);
}

static int db_insert_session(struct server *srv, struct session *s)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(srv->db,
		"INSERT INTO sessions (id, name, created, machine, engine_version, seed, state) "
		"VALUES (" SESSION_NEXT_ID_SQL ", ?1, ?2, ?3, ?4, ?5, 'live')", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->created, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->machine_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, MMLAB_ENGINE_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)s->cfg.seed);
	session_bind_id_base(st, srv);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	s->id = sqlite3_last_insert_rowid(srv->db);
	return SQLITE_OK;
}

static void db_set_state(struct server *srv, int64_t id, const char *state)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(srv->db, "UPDATE sessions SET state = ? WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_error("cannot mark session %lld %s: %s", (long long)id, state,
			  sqlite3_errmsg(srv->db));
	sqlite3_finalize(st);
}

static void session_free(struct session *s)
{
	for (int i = 0; i < SESSION_VIEW_CACHE; i++)
		free(s->view_cache[i].body);
	if (s->m)
		machine_destroy(s->m);
	machine_config_release(&s->cfg);
	free(s->machine_json);
	stream_hub_destroy(&s->hub);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Pages of simulated RAM a config asks for (what its struct page array costs). */
static uint64_t config_pages(const struct machine_config *cfg)
{
	return cfg->mem_mib << (20 - 12);
}

static int free_slot(struct server *srv)
{
	for (int i = 0; i < SESSION_MAX_LIVE; i++)
		if (!srv->live[i])
			return i;
	return -1;
}

struct session *session_create(struct server *srv, const char *name, json_t *machine,
			       struct mm_error *e, unsigned int *status)
{
	struct session *s = calloc(1, sizeof(*s));
	char *text = machine ? json_dumps(machine, JSON_COMPACT) : NULL;
	uint64_t budget_mib;
	int slot, rc;

	*status = 500;
	if (!s || (machine && !text)) {
		mm_error_set(e, -ENOMEM, "out of memory");
		goto fail_early;
	}
	pthread_mutex_init(&s->lock, NULL);
	stream_hub_init(&s->hub);
	s->srv = srv;
	snprintf(s->name, sizeof(s->name), "%s", name);
	now_iso(s->created, sizeof(s->created));

	pthread_mutex_lock(&srv->sessions_lock);
	budget_mib = (srv->budget_pages - srv->used_pages) >> (20 - 12);
	rc = machine_config_parse(&s->cfg, text, budget_mib ? budget_mib : 1, e);
	if (rc) {
		pthread_mutex_unlock(&srv->sessions_lock);
		*status = 400;
		goto fail;
	}
	slot = free_slot(srv);
	if (slot < 0) {
		pthread_mutex_unlock(&srv->sessions_lock);
		mm_error_set(e, -EBUSY, "too many live sessions (at most %d): stop one first",
			     SESSION_MAX_LIVE);
		*status = 429;
		goto fail;
	}
	srv->live[slot] = s;		/* hold the slot and the memory while building */
	srv->used_pages += config_pages(&s->cfg);
	s->refs = 2;		/* the registry's and the caller's */
	pthread_mutex_unlock(&srv->sessions_lock);

	s->machine_json = machine_config_to_json(&s->cfg);
	if (!s->machine_json || db_insert_session(srv, s) != SQLITE_OK) {
		mm_error_set(e, -EIO, "cannot store the session: %s", sqlite3_errmsg(srv->db));
		*status = 503;
		goto fail_slot;
	}
	pthread_mutex_lock(&s->lock);
	s->m = machine_create(&s->cfg, session_on_event, s, e);
	pthread_mutex_unlock(&s->lock);
	if (!s->m) {
		*status = e->err == -ENOMEM ? 503 : 400;
		db_set_state(srv, s->id, "closed");
		goto fail_slot;
	}
	free(text);
	log_info("session %lld \"%s\" started (%llu MiB, %u node(s), %u CPU(s))",
		 (long long)s->id, s->name, (unsigned long long)s->cfg.mem_mib, s->cfg.nodes,
		 s->cfg.cpus);
	return s;

fail_slot:
	pthread_mutex_lock(&srv->sessions_lock);
	srv->live[slot] = NULL;
	s->refs = 0;
	srv->used_pages -= config_pages(&s->cfg);
	pthread_mutex_unlock(&srv->sessions_lock);
fail:
	session_free(s);
	free(text);
	return NULL;
fail_early:
	free(s);
	free(text);
	return NULL;
}

struct session *session_get(struct server *srv, int64_t id)
{
	struct session *s = NULL;

	pthread_mutex_lock(&srv->sessions_lock);
	for (int i = 0; i < SESSION_MAX_LIVE; i++)
		if (srv->live[i] && srv->live[i]->id == id && srv->live[i]->m &&
		    !srv->live[i]->stopping) {
			s = srv->live[i];
			s->refs++;
			break;
		}
	pthread_mutex_unlock(&srv->sessions_lock);
	return s;
}

void session_put(struct session *s)
{
	struct server *srv = s->srv;
	bool last;

	pthread_mutex_lock(&srv->sessions_lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&srv->sessions_lock);
	if (last)
		session_free(s);
}

/* Take @s out of the registry and drop the registry's reference. */
static void session_retire(struct server *srv, struct session *s, const char *state)
{
	bool last;

	pthread_mutex_lock(&srv->sessions_lock);
	for (int i = 0; i < SESSION_MAX_LIVE; i++)
		if (srv->live[i] == s)
			srv->live[i] = NULL;
	s->stopping = true;
	srv->used_pages -= config_pages(&s->cfg);
	last = --s->refs == 0;
	pthread_mutex_unlock(&srv->sessions_lock);
	/* Everything it emitted must be stored before it is marked closed. */
	recorder_sync(srv->rec);
	db_set_state(srv, s->id, state);
	log_info("session %lld \"%s\" %s at seq %llu", (long long)s->id, s->name, state,
		 (unsigned long long)s->last_seq);
	if (last)
		session_free(s);
}

int session_stop(struct server *srv, int64_t id)
{
	struct session *s = session_get(srv, id);

	if (!s)
		return -ENOENT;
	pthread_mutex_lock(&s->lock);	/* let a running batch finish */
	pthread_mutex_unlock(&s->lock);
	session_retire(srv, s, "closed");
	session_put(s);
	return 0;
}

int sessions_init(struct server *srv, char *err, size_t errlen)
{
	long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
	unsigned int status;
	struct mm_error e = { 0 };
	struct session *s;
	char *msg = NULL;

	pthread_mutex_init(&srv->sessions_lock, NULL);
	/* Half the host's RAM for struct page arrays, 64 bytes per simulated page. */
	srv->budget_pages = pages > 0 && page_size > 0
			    ? (uint64_t)pages * (uint64_t)page_size / 2 / 64 : (1u << 20);
	if (sqlite3_exec(srv->db, "UPDATE sessions SET state = 'crashed' WHERE state = 'live'",
			 NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot mark crashed sessions: %s", msg);
		sqlite3_free(msg);
		return -1;
	}
	if (sqlite3_changes(srv->db))
		log_warn("%d session(s) were live when the daemon last stopped: marked crashed",
			 sqlite3_changes(srv->db));
	s = session_create(srv, "default", NULL, &e, &status);
	if (!s) {
		snprintf(err, errlen, "cannot start the default session: %s", e.message);
		return -1;
	}
	session_put(s);
	return 0;
}

void sessions_shutdown(struct server *srv)
{
	for (int i = 0; i < SESSION_MAX_LIVE; i++) {
		struct session *s = srv->live[i];

		if (!s)
			continue;
		pthread_mutex_lock(&s->lock);
		pthread_mutex_unlock(&s->lock);
		session_retire(srv, s, "closed");
	}
}

static json_t *live_summary(struct session *s)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:I,s:s}", "id", (json_int_t)s->id, "name", s->name,
			 "state", "live", "last_seq", (json_int_t)s->last_seq,
			 "ops", (json_int_t)s->last_op, "created", s->created);
}

json_t *sessions_list_json(struct server *srv)
{
	json_t *list = json_array();
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(srv->db, "SELECT id, name, " SESSION_STATE_SQL ", last_seq, last_op, "
			       "created FROM sessions WHERE id NOT IN (SELECT session_id FROM "
			       "trace_sessions WHERE status = 'importing') ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK) {
		json_decref(list);
		return NULL;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		struct session *s = session_get(srv, id);
		json_t *item;

		if (s) {
			item = live_summary(s);
			session_put(s);
		} else {
			item = json_pack("{s:I,s:s,s:s,s:I,s:I,s:s}", "id", (json_int_t)id,
					 "name", (const char *)sqlite3_column_text(st, 1),
					 "state", (const char *)sqlite3_column_text(st, 2),
					 "last_seq", (json_int_t)sqlite3_column_int64(st, 3),
					 "ops", (json_int_t)sqlite3_column_int64(st, 4),
					 "created", (const char *)sqlite3_column_text(st, 5));
		}
		json_array_append_new(list, item);
	}
	sqlite3_finalize(st);
	return json_pack("{s:o}", "sessions", list);
}

/* What the struct page array costs on this machine (engine.md section 2). */
static json_t *struct_page_json(struct machine *m, const struct machine_config *cfg)
{
	uint64_t bytes = machine_mem_map_bytes(m);
	uint64_t present = machine_present_pages(m);

	return json_pack("{s:I,s:I,s:I,s:f,s:f}",
			 "struct_page_size", (json_int_t)machine_struct_page_size(),
			 "present_pages", (json_int_t)present,
			 "mem_map_bytes", (json_int_t)bytes,
			 "overhead_percent", present ? 100.0 * (double)bytes / (double)(present << 12) : 0.0,
			 "overhead_percent_of_mem", 100.0 * (double)bytes / (double)(cfg->mem_mib << 20));
}

json_t *session_info_json(struct server *srv, int64_t id)
{
	struct session *s = session_get(srv, id);
	sqlite3_stmt *st;
	json_t *info = NULL, *machine;

	if (s) {
		pthread_mutex_lock(&s->lock);
		info = live_summary(s);
		json_object_set_new(info, "machine", json_loads(s->machine_json, 0, NULL));
		json_object_set_new(info, "engine_version", json_string(MMLAB_ENGINE_VERSION));
		json_object_set_new(info, "seed", json_integer((json_int_t)s->cfg.seed));
		json_object_set_new(info, "memory", struct_page_json(s->m, &s->cfg));
		json_object_set_new(info, "nodes", json_integer(machine_nr_nodes(s->m)));
		json_object_set_new(info, "cpus", json_integer(machine_nr_cpus(s->m)));
		json_object_set_new(info, "max_pfn", json_integer((json_int_t)machine_max_pfn(s->m)));
		pthread_mutex_unlock(&s->lock);
		session_put(s);
		json_object_set_new(info, "scenario_runs", scenario_runs_json(srv, id));
		return info;
	}
	if (sqlite3_prepare_v2(srv->db, "SELECT id, name, " SESSION_STATE_SQL ", last_seq, last_op, "
			       "created, machine, engine_version, seed FROM sessions WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		machine = json_loads((const char *)sqlite3_column_text(st, 6), 0, NULL);
		info = json_pack("{s:I,s:s,s:s,s:I,s:I,s:s,s:o,s:s,s:I}",
				 "id", (json_int_t)sqlite3_column_int64(st, 0),
				 "name", (const char *)sqlite3_column_text(st, 1),
				 "state", (const char *)sqlite3_column_text(st, 2),
				 "last_seq", (json_int_t)sqlite3_column_int64(st, 3),
				 "ops", (json_int_t)sqlite3_column_int64(st, 4),
				 "created", (const char *)sqlite3_column_text(st, 5),
				 "machine", machine ? machine : json_null(),
				 "engine_version", (const char *)sqlite3_column_text(st, 7),
				 "seed", (json_int_t)sqlite3_column_int64(st, 8));
	}
	sqlite3_finalize(st);
	if (info)
		json_object_set_new(info, "scenario_runs", scenario_runs_json(srv, id));
	return info;
}

/*
 * Offer the live machine, at the op boundary just passed (@apply: the op's
 * seconds), to the snapshots table: a seek into this session then starts at
 * most about --snapshot-events events before its target, without replaying
 * the session from its first op. At least that many events after the last
 * offer, and only once the ops since have taken three times what the offers'
 * clones take, so that cloning costs the recording at most about a quarter
 * on a big machine (a 4 GiB one: ~10 ms every ~0.2 s of ops, 5 %). Four
 * times left gaps of 290k events while the first clones, into fresh heap,
 * took 60-70 ms.
 */
static void live_snapshot(struct session *s, double apply)
{
	struct server *srv = s->srv;
	double t0, cost;

	s->apply_since += apply;
	if (s->last_seq - s->snap_seq < srv->opt.snapshot_events ||
	    s->apply_since < 3 * s->snap_cost)
		return;
	t0 = mono_seconds();
	if (!snapshots_offer(srv, s->id, s->last_op, s->last_seq, s->m, false))
		return;		/* the queue is full: at the next boundary */
	cost = mono_seconds() - t0;
	/* A mean that forgets, so that one slow clone (cold memory) does not
	 * hold the next offers back for long. */
	s->snap_cost = s->snap_seq ? 0.75 * s->snap_cost + 0.25 * cost : cost;
	s->snap_seq = s->last_seq;
	s->apply_since = 0;
}

void session_batch_begin(struct session *s, struct session_batch *b)
{
	pthread_mutex_lock(&s->lock);
	b->first_seq = s->last_seq + 1;
	b->failed_before = s->nr_ops_failed;
	b->nr_ops = 0;
}

json_t *session_batch_op(struct session *s, struct session_batch *b, json_t *op,
			 const char *text)
{
	json_t *res;
	char buf[256], *dumped = NULL;
	double t0;

	s->last_op++;
	s->op_first_seq = 0;
	b->nr_ops++;
	if (!text) {
		/* Most ops' text fits in @buf: no heap (json_dumps() grows a buffer
		 * from 16 bytes and copies it), ~1 us an op of a batch. */
		size_t len = json_dumpb(op, buf, sizeof(buf) - 1, JSON_COMPACT);

		if (len && len < sizeof(buf)) {
			buf[len] = '\0';
			text = buf;
		} else {
			text = dumped = json_dumps(op, JSON_COMPACT);
		}
	}
	recorder_op(s->srv->rec, s->id, s->last_op, text ? text : "{}");
	free(dumped);
	t0 = mono_seconds();
	res = op_apply(s->m, op);
	if (!json_is_true(json_object_get(res, "ok")))
		s->nr_ops_failed++;
	recorder_op_end(s->srv->rec, s->id, s->last_op, s->op_first_seq, s->last_seq);
	live_snapshot(s, mono_seconds() - t0);
	return res;
}

void session_batch_end(struct session *s, struct session_batch *b)
{
	b->last_seq = s->last_seq;
	pthread_mutex_unlock(&s->lock);
	stream_notify(&s->hub);
	metrics_ops(b->nr_ops, s->nr_ops_failed - b->failed_before);
}

json_t *session_apply(struct session *s, json_t *ops)
{
	json_t *results = json_array(), *op;
	struct session_batch b;
	size_t i;

	session_batch_begin(s, &b);
	json_array_foreach(ops, i, op) {
		op = op_resolve_refs(op, results);
		json_array_append_new(results, session_batch_op(s, &b, op, NULL));
		json_decref(op);
	}
	session_batch_end(s, &b);
	return json_pack("{s:o,s:I,s:I}", "results", results, "first_seq", (json_int_t)b.first_seq,
			 "last_seq", (json_int_t)b.last_seq);
}

void session_set_parent(struct server *srv, struct session *s, int64_t parent, uint64_t seq)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(srv->db, "UPDATE sessions SET parent_id = ?, parent_seq = ? "
			       "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, parent);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	sqlite3_bind_int64(st, 3, s->id);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

/*** The view cache: many clients polling one machine get one rendering ***/

char *session_cache_get(struct session *s, const char *key, uint64_t seq, size_t *len,
			const char **content_type)
{
	for (int i = 0; i < SESSION_VIEW_CACHE; i++) {
		struct view_cache_entry *c = &s->view_cache[i];
		char *copy;

		if (!c->body || c->key != key || c->seq != seq || c->op != s->last_op)
			continue;
		copy = malloc(c->len + 1);
		if (!copy)
			return NULL;
		memcpy(copy, c->body, c->len + 1);
		*len = c->len;
		*content_type = c->content_type;
		c->used = ++s->view_cache_clock;
		return copy;
	}
	return NULL;
}

void session_cache_put(struct session *s, const char *key, uint64_t seq, const char *body,
		       size_t len, const char *content_type)
{
	struct view_cache_entry *slot = &s->view_cache[0];
	char *copy = malloc(len + 1);

	if (!copy)
		return;
	for (int i = 0; i < SESSION_VIEW_CACHE; i++) {
		struct view_cache_entry *c = &s->view_cache[i];

		if (c->key == key) {	/* one entry per view: the newest */
			slot = c;
			break;
		}
		if (c->used < slot->used)
			slot = c;
	}
	memcpy(copy, body, len);
	copy[len] = '\0';
	free(slot->body);
	*slot = (struct view_cache_entry){ key, seq, s->last_op, copy, len, content_type,
					   ++s->view_cache_clock };
}
