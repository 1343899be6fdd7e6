/*
 * session.c - the registry of live sessions and their records in SQLite.
 *
 * A session is the life of one machine: a row in sessions (config, seed,
 * state), its op log and its events. Live sessions are held here; stopped
 * ones ("closed") and those a dead daemon left behind ("crashed") exist only
 * in the database. Each live session has a mutex: an op batch or a view holds
 * it, so one machine is never touched by two threads at once.
 *
 * Memory, not a count, limits them: resident machines share --max-memory.
 * To make room, the least recently used idle one (no request, no stream)
 * hibernates: its machine is stored as a snapshot (snapshots.c), after the
 * recorder has stored all it emitted, and freed; its next request rebuilds it
 * from that snapshot and the ops after it (replay.c), the same machine to the
 * byte. In the database a hibernated session stays "live": a daemon that stops
 * closes it, one that dies leaves it "crashed", as it does a resident one.
 *
 * Lock order: a session's lock, then the registry's. Only resident sessions
 * that nobody holds hibernate, so a thread that holds one session's lock and
 * waits for another's never waits on a holder of its own.
 */
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/db.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/ops.h"
#include "daemon/recorder.h"
#include "daemon/replay.h"
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
		"INSERT INTO sessions (name, created, machine, engine_version, seed, state, id) "
		"VALUES (?1, ?2, ?3, ?4, ?5, 'live', " SESSION_NEXT_ID_SQL ") RETURNING id", -1,
		&st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->created, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->machine_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, MMLAB_ENGINE_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)s->cfg.seed);
	session_bind_id_base(st, srv);
	/* RETURNING: the connection is shared, so its last insert rowid may be another thread's */
	rc = db_step_retry(st);
	if (rc == SQLITE_ROW)
		s->id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static void db_set_state(struct server *srv, int64_t id, const char *state)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(srv->db, "UPDATE sessions SET state = ? WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (db_step_retry(st) != SQLITE_DONE)
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

const double session_wake_bounds[SESSION_WAKE_BUCKETS] = {
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5
};

uint64_t sessions_default_max_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);

	return pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size / 2
					  : (uint64_t)1 << 30;
}

long session_lru_pick(const struct session_lru_entry *c, size_t n)
{
	long best = -1;

	for (size_t i = 0; i < n; i++) {
		if (!c[i].resident || !c[i].idle || c[i].pinned)
			continue;
		if (best < 0 || c[i].last_used < c[best].last_used)
			best = (long)i;
	}
	return best;
}

/* With the registry lock: the live session @id, or NULL. */
static struct session *registry_find(struct server *srv, int64_t id)
{
	for (size_t i = 0; i < srv->nr_live; i++)
		if (srv->live[i]->id == id && srv->live[i]->ready && !srv->live[i]->stopping)
			return srv->live[i];
	return NULL;
}

static int registry_add(struct server *srv, struct session *s)
{
	if (srv->nr_live == srv->live_cap) {
		size_t cap = srv->live_cap ? srv->live_cap * 2 : 32;
		struct session **a = realloc(srv->live, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		srv->live = a;
		srv->live_cap = cap;
	}
	srv->live[srv->nr_live++] = s;
	return 0;
}

static void registry_remove(struct server *srv, struct session *s)
{
	for (size_t i = 0; i < srv->nr_live; i++)
		if (srv->live[i] == s) {
			srv->live[i] = srv->live[--srv->nr_live];
			return;
		}
}

/* With the registry lock: the session that should hibernate next, or NULL. */
static struct session *pick_victim(struct server *srv)
{
	struct session_lru_entry *c;
	struct session *v = NULL;
	long i;

	if (!srv->nr_live)
		return NULL;
	c = malloc(srv->nr_live * sizeof(*c));
	if (!c)
		return NULL;
	for (size_t k = 0; k < srv->nr_live; k++) {
		struct session *s = srv->live[k];

		c[k] = (struct session_lru_entry){ s->last_used, s->resident && s->ready &&
						   !s->stopping && !s->hibernating,
						   s->refs == 1, s->pinned };
	}
	i = session_lru_pick(c, srv->nr_live);
	if (i >= 0)
		v = srv->live[i];
	free(c);
	return v;
}

/*
 * Take @s's machine out of memory: stored as a snapshot at its last op, then
 * freed. Refused (-EBUSY) when more than @refs references hold it or it is
 * pinned.
 */
static int hibernate(struct session *s, int refs, struct mm_error *e)
{
	struct server *srv = s->srv;
	struct recorder_stats rs;
	bool busy;
	int err;

	pthread_mutex_lock(&s->lock);
	pthread_mutex_lock(&srv->sessions_lock);
	busy = s->refs > refs || s->pinned;
	pthread_mutex_unlock(&srv->sessions_lock);
	if (!s->m || s->stopping) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	if (busy) {
		pthread_mutex_unlock(&s->lock);
		return mm_error_set(e, -EBUSY, "session %lld is in use (a request or a stream) "
				    "or pinned", (long long)s->id);
	}
	recorder_sync(srv->rec);
	recorder_get_stats(srv->rec, &rs);
	if (rs.failed) {
		pthread_mutex_unlock(&s->lock);
		return mm_error_set(e, -EIO, "recording is failing (%s)", rs.error);
	}
	err = snapshots_store_now(srv, s->id, s->last_op, s->last_seq, s->m, e);
	if (err) {
		pthread_mutex_unlock(&s->lock);
		return err;
	}
	machine_destroy(s->m);
	s->m = NULL;
	for (int i = 0; i < SESSION_VIEW_CACHE; i++) {
		free(s->view_cache[i].body);
		s->view_cache[i].body = NULL;
	}
	stream_hub_shrink(&s->hub);
	pthread_mutex_lock(&srv->sessions_lock);
	s->resident = false;
	s->hibernations++;
	srv->stats.hibernations++;
	srv->resident_bytes -= s->bytes;
	pthread_mutex_unlock(&srv->sessions_lock);
	pthread_mutex_unlock(&s->lock);
	malloc_trim(0);		/* give the freed arrays back to the system */
	log_debug("session %lld hibernated at op %llu (seq %llu)", (long long)s->id,
		  (unsigned long long)s->last_op, (unsigned long long)s->last_seq);
	return 0;
}

/*
 * Reserve @need bytes of the budget, hibernating idle sessions least
 * recently used first until they fit. -EBUSY when the rest is held.
 */
static int make_room(struct server *srv, uint64_t need, struct mm_error *e)
{
	for (;;) {
		struct mm_error he = { 0 };
		struct session *v;
		int err;

		pthread_mutex_lock(&srv->sessions_lock);
		if (srv->resident_bytes + need <= srv->opt.max_memory || !srv->resident_bytes) {
			srv->resident_bytes += need;
			pthread_mutex_unlock(&srv->sessions_lock);
			return 0;
		}
		if (srv->replay_cache_bytes) {	/* a cache forgets before a session sleeps */
			pthread_mutex_unlock(&srv->sessions_lock);
			if (replay_cache_evict(srv))
				continue;
			pthread_mutex_lock(&srv->sessions_lock);
		}
		v = pick_victim(srv);
		if (!v) {
			pthread_mutex_unlock(&srv->sessions_lock);
			return mm_error_set(e, -EBUSY, "no room within --max-memory (%llu MiB, %llu MiB "
					    "resident): every resident session is in use or pinned",
					    (unsigned long long)(srv->opt.max_memory >> 20),
					    (unsigned long long)(srv->resident_bytes >> 20));
		}
		v->hibernating = true;
		v->refs++;
		pthread_mutex_unlock(&srv->sessions_lock);
		err = hibernate(v, 2, &he);
		pthread_mutex_lock(&srv->sessions_lock);
		v->hibernating = false;
		pthread_mutex_unlock(&srv->sessions_lock);
		session_put(v);
		if (err && err != -EBUSY) {
			log_warn("session %lld cannot hibernate: %s", (long long)v->id, he.message);
			return mm_error_set(e, err, "no room within --max-memory: session %lld "
					    "cannot hibernate: %s", (long long)v->id, he.message);
		}
	}
}

static void release_room(struct server *srv, uint64_t bytes)
{
	pthread_mutex_lock(&srv->sessions_lock);
	srv->resident_bytes -= bytes;
	pthread_mutex_unlock(&srv->sessions_lock);
}

bool sessions_budget_take_cache(struct server *srv, uint64_t bytes)
{
	bool ok;

	pthread_mutex_lock(&srv->sessions_lock);
	ok = srv->resident_bytes + bytes <= srv->opt.max_memory;
	if (ok) {
		srv->resident_bytes += bytes;
		srv->replay_cache_bytes += bytes;
	}
	pthread_mutex_unlock(&srv->sessions_lock);
	return ok;
}

void sessions_budget_release_cache(struct server *srv, uint64_t bytes)
{
	pthread_mutex_lock(&srv->sessions_lock);
	srv->resident_bytes -= bytes;
	srv->replay_cache_bytes -= bytes;
	pthread_mutex_unlock(&srv->sessions_lock);
}

/* Keep the machine's figures, for when it is not in memory. */
static void note_machine(struct session *s)
{
	s->mem_map_bytes = machine_mem_map_bytes(s->m);
	s->present_pages = machine_present_pages(s->m);
	s->max_pfn = machine_max_pfn(s->m);
	s->nr_nodes = machine_nr_nodes(s->m);
	s->nr_cpus = machine_nr_cpus(s->m);
}

/* Rebuild @s's machine (its lock held): the snapshot, then the ops after it. */
static int wake_locked(struct session *s, struct mm_error *e)
{
	struct server *srv = s->srv;
	struct replay r;
	int err;

	if (s->stopping)
		return mm_error_set(e, -ENOENT, "session %lld was stopped", (long long)s->id);
	err = replay_session(srv, s->id, UINT64_MAX, &r, e);
	if (err)
		return err;
	if (!r.mid_op && r.seq == s->last_seq && r.op_no < s->last_op)
		err = replay_apply_ops(srv, s->id, r.m, &r.op_no, &r.seq, e);	/* ops without events */
	if (!err && (r.mid_op || r.seq != s->last_seq || r.op_no != s->last_op))
		err = mm_error_set(e, -EIO, "the stored record ends at op %llu (seq %llu), the "
				   "session at op %llu (seq %llu)", (unsigned long long)r.op_no,
				   (unsigned long long)r.seq, (unsigned long long)s->last_op,
				   (unsigned long long)s->last_seq);
	if (err) {
		machine_destroy(r.m);
		return err;
	}
	machine_set_event_fn(r.m, session_on_event, s);
	s->m = r.m;
	return 0;
}

static void note_wake(struct server *srv, struct session *s, double seconds, bool ok)
{
	pthread_mutex_lock(&srv->sessions_lock);
	if (ok) {
		s->resident = true;
		s->wakes++;
		srv->stats.wakes++;
		srv->stats.wake_seconds_sum += seconds;
		for (int b = 0; b < SESSION_WAKE_BUCKETS; b++)
			if (seconds <= session_wake_bounds[b])
				srv->stats.wake_buckets[b]++;
	} else {
		srv->stats.wake_failures++;
	}
	pthread_mutex_unlock(&srv->sessions_lock);
}

/* The wake of @s by this request is over: the requests waiting for it go on. */
static void end_waking(struct server *srv, struct session *s)
{
	pthread_mutex_lock(&srv->sessions_lock);
	s->waking = false;
	pthread_cond_broadcast(&srv->woken);
	pthread_mutex_unlock(&srv->sessions_lock);
}

/*
 * Bring @s's machine back into memory if it hibernated. One request wakes
 * it; the others that come meanwhile (a dashboard asks for several views
 * and its stream at once) wait for that wake rather than reserve its room
 * again, which in a full budget found nothing left to evict and refused
 * them (429) while the machine was on its way back.
 */
static int session_wake(struct session *s, struct mm_error *e)
{
	struct server *srv = s->srv;
	double t0;
	int err;

	pthread_mutex_lock(&srv->sessions_lock);
	while (s->waking)
		pthread_cond_wait(&srv->woken, &srv->sessions_lock);
	if (s->resident) {
		pthread_mutex_unlock(&srv->sessions_lock);
		return 0;
	}
	s->waking = true;
	pthread_mutex_unlock(&srv->sessions_lock);
	err = make_room(srv, s->bytes, e);
	if (err) {
		end_waking(srv, s);
		return err;
	}
	pthread_mutex_lock(&s->lock);
	t0 = mono_seconds();
	err = wake_locked(s, e);
	note_wake(srv, s, mono_seconds() - t0, !err);
	pthread_mutex_unlock(&s->lock);
	end_waking(srv, s);
	if (err) {
		release_room(srv, s->bytes);
		log_error("session %lld cannot wake: %s", (long long)s->id, e->message);
	} else {
		log_debug("session %lld woke in %.0f ms", (long long)s->id,
			  (mono_seconds() - t0) * 1e3);
	}
	return err;
}

struct session *session_create(struct server *srv, const char *name, json_t *machine,
			       struct mm_error *e, unsigned int *status)
{
	struct session *s = calloc(1, sizeof(*s));
	char *text = machine ? json_dumps(machine, JSON_COMPACT) : NULL;
	uint64_t limit_mib, reserved;
	int rc;

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

	/* The biggest machine whose struct pages fit in the whole budget. */
	limit_mib = srv->opt.max_memory / machine_struct_page_size() >> (20 - 12);
	rc = machine_config_parse(&s->cfg, text, limit_mib ? limit_mib : 1, e);
	if (rc) {
		*status = 400;
		goto fail;
	}
	reserved = config_pages(&s->cfg) * machine_struct_page_size();
	if (make_room(srv, reserved, e)) {
		*status = e->err == -EBUSY ? 429 : 503;
		goto fail;
	}
	pthread_mutex_lock(&srv->sessions_lock);
	rc = registry_add(srv, s);
	s->refs = 2;		/* the registry's and the caller's */
	pthread_mutex_unlock(&srv->sessions_lock);
	if (rc) {
		mm_error_set(e, -ENOMEM, "out of memory");
		s->refs = 0;
		release_room(srv, reserved);
		goto fail;
	}

	s->machine_json = machine_config_to_json(&s->cfg);
	if (!s->machine_json || db_insert_session(srv, s) != SQLITE_OK) {
		mm_error_set(e, -EIO, "cannot store the session: %s", sqlite3_errmsg(srv->db));
		*status = 503;
		goto fail_slot;
	}
	pthread_mutex_lock(&s->lock);
	s->m = machine_create(&s->cfg, session_on_event, s, e);
	if (s->m)
		note_machine(s);
	pthread_mutex_unlock(&s->lock);
	if (!s->m) {
		*status = e->err == -ENOMEM ? 503 : 400;
		db_set_state(srv, s->id, "closed");
		goto fail_slot;
	}
	pthread_mutex_lock(&srv->sessions_lock);
	s->bytes = s->mem_map_bytes;
	srv->resident_bytes += s->bytes;
	srv->resident_bytes -= reserved;
	s->resident = true;
	s->ready = true;
	pthread_mutex_unlock(&srv->sessions_lock);
	session_touch(s);
	free(text);
	log_info("session %lld \"%s\" started (%llu MiB, %u node(s), %u CPU(s))",
		 (long long)s->id, s->name, (unsigned long long)s->cfg.mem_mib, s->cfg.nodes,
		 s->cfg.cpus);
	return s;

fail_slot:
	pthread_mutex_lock(&srv->sessions_lock);
	registry_remove(srv, s);
	s->refs = 0;
	srv->resident_bytes -= reserved;
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

struct session *session_find(struct server *srv, int64_t id)
{
	struct session *s;

	pthread_mutex_lock(&srv->sessions_lock);
	s = registry_find(srv, id);
	if (s)
		s->refs++;
	pthread_mutex_unlock(&srv->sessions_lock);
	return s;
}

void session_touch(struct session *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&s->srv->sessions_lock);
	s->last_used = mono_seconds();
	s->last_used_wall = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
	pthread_mutex_unlock(&s->srv->sessions_lock);
}

struct session *session_get_ex(struct server *srv, int64_t id, struct mm_error *e)
{
	struct session *s = session_find(srv, id);

	if (!s)
		return NULL;
	session_touch(s);
	if (session_wake(s, e)) {
		session_put(s);
		return NULL;
	}
	return s;
}

struct session *session_get(struct server *srv, int64_t id)
{
	struct mm_error e = { 0 };

	return session_get_ex(srv, id, &e);
}

void session_put(struct session *s)
{
	struct server *srv = s->srv;
	bool last;

	pthread_mutex_lock(&srv->sessions_lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&srv->sessions_lock);
	if (last) {
		bool big = s->m != NULL;

		session_free(s);
		if (big)
			malloc_trim(0);	/* give the machine's arrays back to the system */
	}
}

int session_set_pinned(struct server *srv, int64_t id, bool pinned)
{
	struct session *s;

	pthread_mutex_lock(&srv->sessions_lock);
	s = registry_find(srv, id);
	if (s)
		s->pinned = pinned;
	pthread_mutex_unlock(&srv->sessions_lock);
	return s ? 0 : -ENOENT;
}

int session_hibernate(struct server *srv, int64_t id, struct mm_error *e)
{
	struct session *s = session_find(srv, id);
	int err;

	if (!s)
		return mm_error_set(e, -ENOENT, "no live session %lld", (long long)id);
	pthread_mutex_lock(&srv->sessions_lock);
	if (s->hibernating) {
		pthread_mutex_unlock(&srv->sessions_lock);
		session_put(s);
		return mm_error_set(e, -EBUSY, "session %lld is hibernating already", (long long)id);
	}
	s->hibernating = true;
	pthread_mutex_unlock(&srv->sessions_lock);
	err = hibernate(s, 2, e);
	pthread_mutex_lock(&srv->sessions_lock);
	s->hibernating = false;
	pthread_mutex_unlock(&srv->sessions_lock);
	session_put(s);
	return err;
}

void sessions_get_stats(struct server *srv, struct sessions_stats *st)
{
	pthread_mutex_lock(&srv->sessions_lock);
	*st = srv->stats;
	st->resident = st->hibernated = st->pinned = 0;
	for (size_t i = 0; i < srv->nr_live; i++) {
		const struct session *s = srv->live[i];

		if (!s->ready || s->stopping)
			continue;
		if (s->resident)
			st->resident++;
		else
			st->hibernated++;
		st->pinned += s->pinned;
	}
	st->resident_bytes = srv->resident_bytes - srv->replay_cache_bytes;
	st->replay_cache_bytes = srv->replay_cache_bytes;
	st->max_memory = srv->opt.max_memory;
	pthread_mutex_unlock(&srv->sessions_lock);
}

size_t sessions_get_bytes(struct server *srv, struct session_bytes **out)
{
	size_t n = 0;

	pthread_mutex_lock(&srv->sessions_lock);
	*out = srv->nr_live ? malloc(srv->nr_live * sizeof(**out)) : NULL;
	for (size_t i = 0; *out && i < srv->nr_live; i++) {
		const struct session *s = srv->live[i];

		if (s->ready && !s->stopping)
			(*out)[n++] = (struct session_bytes){ s->id, s->bytes, s->resident };
	}
	pthread_mutex_unlock(&srv->sessions_lock);
	return n;
}

/* Take @s out of the registry and drop the registry's reference. */
static void session_retire(struct server *srv, struct session *s, const char *state)
{
	bool last;

	pthread_mutex_lock(&s->lock);	/* let a running batch (or a wake) finish */
	pthread_mutex_lock(&srv->sessions_lock);
	registry_remove(srv, s);
	s->stopping = true;
	if (s->resident)
		srv->resident_bytes -= s->bytes;
	s->resident = false;
	last = --s->refs == 0;
	pthread_mutex_unlock(&srv->sessions_lock);
	pthread_mutex_unlock(&s->lock);
	/* Everything it emitted must be stored before it is marked closed. */
	recorder_sync(srv->rec);
	db_set_state(srv, s->id, state);
	log_info("session %lld \"%s\" %s at seq %llu", (long long)s->id, s->name, state,
		 (unsigned long long)s->last_seq);
	if (last) {
		bool big = s->m != NULL;

		session_free(s);
		if (big)
			malloc_trim(0);
	}
}

int session_stop(struct server *srv, int64_t id)
{
	struct session *s = session_find(srv, id);

	if (!s)
		return -ENOENT;
	session_retire(srv, s, "closed");
	session_put(s);
	return 0;
}

int sessions_init(struct server *srv, char *err, size_t errlen)
{
	unsigned int status;
	struct mm_error e = { 0 };
	struct session *s;
	char *msg = NULL;

	pthread_mutex_init(&srv->sessions_lock, NULL);
	pthread_cond_init(&srv->woken, NULL);
	if (!srv->opt.max_memory)
		srv->opt.max_memory = sessions_default_max_memory();
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
	for (;;) {
		struct session *s = NULL;

		pthread_mutex_lock(&srv->sessions_lock);
		if (srv->nr_live)
			s = srv->live[srv->nr_live - 1];
		pthread_mutex_unlock(&srv->sessions_lock);
		if (!s)
			break;
		session_retire(srv, s, "closed");
	}
	free(srv->live);
	srv->live = NULL;
	srv->live_cap = 0;
}

/* A live session as the list shows it: resident ("live") or "hibernated". */
static json_t *live_summary(struct session *s)
{
	struct server *srv = s->srv;
	char used[32] = "";
	bool resident, pinned;
	struct tm tm;
	time_t t;

	pthread_mutex_lock(&srv->sessions_lock);
	resident = s->resident;
	pinned = s->pinned;
	t = (time_t)s->last_used_wall;
	gmtime_r(&t, &tm);
	strftime(used, sizeof(used), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(used + strlen(used), sizeof(used) - strlen(used), ".%03dZ",
		 (int)(fmod(s->last_used_wall, 1.0) * 1000));
	pthread_mutex_unlock(&srv->sessions_lock);
	return json_pack("{s:I,s:s,s:s,s:I,s:I,s:s,s:I,s:s,s:b}", "id", (json_int_t)s->id,
			 "name", s->name, "state", resident ? "live" : "hibernated",
			 "last_seq", (json_int_t)s->last_seq, "ops", (json_int_t)s->last_op,
			 "created", s->created, "bytes", (json_int_t)s->bytes, "last_used", used,
			 "pinned", pinned);
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
		struct session *s = session_find(srv, id);
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
	return json_pack("{s:i,s:o}", "instance", (int)srv->opt.instance, "sessions", list);
}

/* What the struct page array costs on this machine (engine.md section 2). */
static json_t *struct_page_json(const struct session *s, const struct machine_config *cfg)
{
	uint64_t bytes = s->mem_map_bytes;
	uint64_t present = s->present_pages;

	return json_pack("{s:I,s:I,s:I,s:f,s:f}",
			 "struct_page_size", (json_int_t)machine_struct_page_size(),
			 "present_pages", (json_int_t)present,
			 "mem_map_bytes", (json_int_t)bytes,
			 "overhead_percent", present ? 100.0 * (double)bytes / (double)(present << 12) : 0.0,
			 "overhead_percent_of_mem", 100.0 * (double)bytes / (double)(cfg->mem_mib << 20));
}

json_t *session_info_json(struct server *srv, int64_t id)
{
	struct session *s = session_find(srv, id);
	sqlite3_stmt *st;
	json_t *info = NULL, *machine;

	if (s) {	/* the figures kept: a hibernated session is not woken for them */
		info = live_summary(s);
		json_object_set_new(info, "machine", json_loads(s->machine_json, 0, NULL));
		json_object_set_new(info, "engine_version", json_string(MMLAB_ENGINE_VERSION));
		json_object_set_new(info, "seed", json_integer((json_int_t)s->cfg.seed));
		json_object_set_new(info, "memory", struct_page_json(s, &s->cfg));
		json_object_set_new(info, "nodes", json_integer(s->nr_nodes));
		json_object_set_new(info, "cpus", json_integer(s->nr_cpus));
		json_object_set_new(info, "max_pfn", json_integer((json_int_t)s->max_pfn));
		pthread_mutex_lock(&srv->sessions_lock);
		json_object_set_new(info, "hibernations", json_integer((json_int_t)s->hibernations));
		json_object_set_new(info, "wakes", json_integer((json_int_t)s->wakes));
		pthread_mutex_unlock(&srv->sessions_lock);
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
 * offer, and only once the ops since have taken three times what a snapshot
 * costs: the clone here, and its storing (serialised and compressed, ~60 ms
 * for a 4 GiB machine) on the snapshot thread, which takes a core the
 * recording needs as much. Counting the clone alone, a 4 GiB machine under a
 * stream of op batches was offered every ~130k events, and its snapshots
 * took an eighth of both cores; counted whole, about every 600k (a seek
 * then replays at most about half a second). Four times the clone alone
 * left gaps of 290k events while the first clones, into fresh heap, took
 * 60-70 ms.
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
	cost = mono_seconds() - t0 + snapshots_store_cost(srv, s->m);
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
	db_step_retry(st);
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
