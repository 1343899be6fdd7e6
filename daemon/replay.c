/*
 * replay.c - time travel: a session's machine at any past event, rebuilt from
 * its stored config and op log; verification by re-execution.
 *
 * Design notes
 *  The engine is deterministic, so config + ops 1..k give the machine after op
 *  k, event for event. To show the machine *inside* an op (just after event
 *  SEQ), the replay's event callback counts events and, on SEQ, takes a copy
 *  of the machine as it is at that moment (machine_clone only reads); the op
 *  then runs to its end as usual. The copy is good for reading, never for
 *  going on, and is thrown away after the view.
 *
 *  Seeking would cost the whole history each time, so machines at op
 *  boundaries are kept in a small cache (clones): every --snapshot-interval ops of
 *  a replay (and after any op that ends --snapshot-events events after the
 *  last boundary kept, so that big ops do not leave long stretches), the
 *  boundary just before the op a seek stopped in, and the machine a seek
 *  ended on when that is a boundary (handed over once the view has read it,
 *  without a copy: views only read). The
 *  interval boundaries are also offered to the snapshots table (snapshots.c),
 *  which outlives the daemon. A seek starts from the latest boundary at or
 *  before its target, in memory or stored.
 *
 *  Invariants:
 *  1. A cached machine is exactly the state after its op_no ops (never a
 *     copy taken inside an op).
 *  2. seq counts the events a replay has produced; it equals the stored seq
 *     of the same event (checked by replay_verify).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/clock.h"
#include "daemon/log.h"
#include "daemon/ops.h"
#include "daemon/recorder.h"
#include "daemon/replay.h"
#include "daemon/server.h"
#include "daemon/session.h"
#include "daemon/snapshots.h"

/*
 * Few: a stored snapshot loads in 30-60 ms (4 GiB), so the cache mostly
 * serves seeks close together, and every machine it keeps grows the heap
 * (a new machine then faults in fresh memory: a 4 GiB machine's clone takes
 * 60-70 ms into fresh heap, 9 ms into reused heap).
 */
#define CACHE_ENTRIES		4

struct cache_entry {
	int64_t session;
	uint64_t op_no, seq;
	struct machine *m;
	uint64_t used;			/* LRU clock */
	uint64_t bytes;			/* its share of the --max-memory budget */
};

static struct {
	pthread_mutex_t lock;
	struct cache_entry e[CACHE_ENTRIES];
	uint64_t clock;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* State of one replay run, shared with its event callback. */
struct run {
	uint64_t seq;
	uint64_t stop_at;		/* nothing after this event matters; 0: never */
	bool want_copy;			/* copy the machine at stop_at */
	struct machine *m;		/* the machine being replayed */
	struct machine *copy;		/* the copy taken at stop_at */
	/* verification */
	sqlite3_stmt *stored;		/* stored events in seq order, or NULL */
	json_t *diff;			/* the first difference found */
};

/*** The cache of machines at op boundaries ***/

/* A clone of the best cached machine of @session at or before @seq. */
static struct machine *cache_find(int64_t session, uint64_t seq, uint64_t *op_no,
				  uint64_t *at_seq)
{
	struct cache_entry *best = NULL;
	struct machine *m = NULL;

	pthread_mutex_lock(&cache.lock);
	for (int i = 0; i < CACHE_ENTRIES; i++) {
		struct cache_entry *c = &cache.e[i];

		if (c->m && c->session == session && c->seq <= seq &&
		    (!best || c->op_no > best->op_no))
			best = c;
	}
	if (best) {
		best->used = ++cache.clock;
		m = machine_clone(best->m);
		*op_no = best->op_no;
		*at_seq = best->seq;
	}
	pthread_mutex_unlock(&cache.lock);
	return m;
}

/*
 * With cache.lock held: the entry of @session's boundary @op_no (its use
 * noted), or NULL with *@lru set to the slot to reuse for it.
 */
static struct cache_entry *cache_lookup(int64_t session, uint64_t op_no, struct cache_entry **lru)
{
	struct cache_entry *slot = NULL;

	for (int i = 0; i < CACHE_ENTRIES; i++) {
		struct cache_entry *c = &cache.e[i];

		if (c->m && c->session == session && c->op_no == op_no) {
			c->used = ++cache.clock;
			return c;
		}
		if (!slot || !c->m || (slot->m && c->used < slot->used))
			slot = c;
	}
	*lru = slot;
	return NULL;
}

/*
 * Keep @copy (the cache owns it from now on), the state after @op_no ops and
 * @seq events; freed at once when that boundary is kept already, or when
 * the budget has no free room for it (its struct page array, as a
 * session's machine is counted).
 */
static void cache_adopt(struct server *srv, int64_t session, uint64_t op_no, uint64_t seq,
			struct machine *copy)
{
	struct cache_entry *slot, old = { 0 };
	uint64_t bytes = machine_mem_map_bytes(copy);

	machine_set_event_fn(copy, NULL, NULL);
	pthread_mutex_lock(&cache.lock);
	if (cache_lookup(session, op_no, &slot)) {
		pthread_mutex_unlock(&cache.lock);
		machine_destroy(copy);
		return;
	}
	old = *slot;
	slot->m = NULL;
	pthread_mutex_unlock(&cache.lock);
	if (old.m) {
		machine_destroy(old.m);
		sessions_budget_release_cache(srv, old.bytes);
	}
	if (!sessions_budget_take_cache(srv, bytes)) {
		machine_destroy(copy);
		return;
	}
	pthread_mutex_lock(&cache.lock);
	if (slot->m) {		/* another thread filled the slot meanwhile: keep theirs */
		pthread_mutex_unlock(&cache.lock);
		machine_destroy(copy);
		sessions_budget_release_cache(srv, bytes);
		return;
	}
	*slot = (struct cache_entry){ session, op_no, seq, copy, ++cache.clock, bytes };
	pthread_mutex_unlock(&cache.lock);
}

/* Keep a clone of @m, the state after @op_no ops and @seq events. */
static void cache_store(struct server *srv, int64_t session, uint64_t op_no, uint64_t seq,
			const struct machine *m)
{
	struct cache_entry *slot;
	struct machine *copy;
	bool kept;

	pthread_mutex_lock(&cache.lock);
	kept = cache_lookup(session, op_no, &slot) != NULL;
	pthread_mutex_unlock(&cache.lock);
	if (kept)
		return;		/* no clone for a boundary already kept */
	copy = machine_clone(m);
	if (copy)		/* a cache is allowed to forget */
		cache_adopt(srv, session, op_no, seq, copy);
}

/* Free the entries @pick chooses, their bytes back in the budget. */
static unsigned int cache_drop(struct server *srv, bool (*pick)(const struct cache_entry *, void *),
			       void *arg)
{
	struct cache_entry gone[CACHE_ENTRIES];
	unsigned int n = 0;

	pthread_mutex_lock(&cache.lock);
	for (int i = 0; i < CACHE_ENTRIES; i++)
		if (cache.e[i].m && pick(&cache.e[i], arg)) {
			gone[n++] = cache.e[i];
			cache.e[i].m = NULL;
		}
	pthread_mutex_unlock(&cache.lock);
	for (unsigned int i = 0; i < n; i++) {
		machine_destroy(gone[i].m);
		sessions_budget_release_cache(srv, gone[i].bytes);
	}
	return n;
}

static bool of_session(const struct cache_entry *c, void *arg)
{
	return c->session == *(int64_t *)arg;
}

static bool any(const struct cache_entry *c, void *arg)
{
	(void)c;
	(void)arg;
	return true;
}

static bool least_recent(const struct cache_entry *c, void *arg)
{
	return c->used == *(uint64_t *)arg;
}

void replay_forget(struct server *srv, int64_t id)
{
	cache_drop(srv, of_session, &id);
}

void replay_cache_clear(struct server *srv)
{
	cache_drop(srv, any, NULL);
}

bool replay_cache_evict(struct server *srv)
{
	uint64_t oldest = UINT64_MAX;

	pthread_mutex_lock(&cache.lock);
	for (int i = 0; i < CACHE_ENTRIES; i++)
		if (cache.e[i].m && cache.e[i].used < oldest)
			oldest = cache.e[i].used;
	pthread_mutex_unlock(&cache.lock);
	return oldest != UINT64_MAX && cache_drop(srv, least_recent, &oldest) > 0;
}

/*** Verification ***/

static json_t *event_json(const struct mm_event *ev)
{
	return json_pack("{s:s?,s:i,s:i,s:i,s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:s?}",
			 "type", mm_event_type_name(ev->type), "cpu", ev->cpu, "node", ev->node,
			 "zone", ev->zone, "order", ev->order, "migratetype", ev->migratetype,
			 "level", ev->level, "gfp", (json_int_t)ev->gfp,
			 "pfn", (json_int_t)ev->pfn, "vaddr", (json_int_t)ev->vaddr,
			 "paddr", (json_int_t)ev->paddr, "size", (json_int_t)ev->size,
			 "value", (json_int_t)ev->value, "detail", ev->detail);
}

static int64_t col(sqlite3_stmt *st, int i, int64_t na)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? na : sqlite3_column_int64(st, i);
}

/* The stored event at the statement's current row, as an mm_event. */
static void stored_event(sqlite3_stmt *st, struct mm_event *ev)
{
	mm_event_init(ev, sqlite3_column_int(st, 1));
	ev->cpu = (int)col(st, 2, MM_NA);
	ev->node = (int)col(st, 3, MM_NA);
	ev->zone = (int)col(st, 4, MM_NA);
	ev->order = (int)col(st, 5, MM_NA);
	ev->migratetype = (int)col(st, 6, MM_NA);
	ev->level = (int)col(st, 7, MM_NA);
	ev->gfp = (uint32_t)col(st, 8, 0);
	ev->pfn = (uint64_t)col(st, 9, (int64_t)MM_NA_U64);
	ev->vaddr = (uint64_t)col(st, 10, (int64_t)MM_NA_U64);
	ev->paddr = (uint64_t)col(st, 11, (int64_t)MM_NA_U64);
	ev->size = (uint64_t)col(st, 12, (int64_t)MM_NA_U64);
	ev->value = col(st, 13, MM_NA);
	ev->detail = (const char *)sqlite3_column_text(st, 14);
}

/* Same event, as the recorder stores it (the whole detail)? */
static bool same_event(const struct mm_event *a, const struct mm_event *b)
{
	const char *cut = a->detail ? a->detail : "";

	return a->type == b->type && a->cpu == b->cpu && a->node == b->node &&
	       a->zone == b->zone && a->order == b->order && a->migratetype == b->migratetype &&
	       a->level == b->level && a->gfp == b->gfp && a->pfn == b->pfn &&
	       a->vaddr == b->vaddr && a->paddr == b->paddr && a->size == b->size &&
	       a->value == b->value && strcmp(cut, b->detail ? b->detail : "") == 0;
}

/* Compare one re-executed event with the stored one; keep the first difference. */
static void verify_event(struct run *r, const struct mm_event *ev)
{
	struct mm_event stored;
	int rc = sqlite3_step(r->stored);

	if (rc != SQLITE_ROW) {
		r->diff = json_pack("{s:b,s:I,s:s,s:n,s:o}", "ok", 0, "seq", (json_int_t)r->seq,
				    "reason", "the re-execution produced more events than are stored",
				    "expected", "actual", event_json(ev));
		return;
	}
	stored_event(r->stored, &stored);
	if ((uint64_t)sqlite3_column_int64(r->stored, 0) != r->seq || !same_event(ev, &stored))
		r->diff = json_pack("{s:b,s:I,s:s,s:o,s:o}", "ok", 0, "seq", (json_int_t)r->seq,
				    "reason", "the re-execution differs from the stored event",
				    "expected", event_json(&stored), "actual", event_json(ev));
}

static void replay_on_event(void *ctx, const struct mm_event *ev)
{
	struct run *r = ctx;

	r->seq++;
	if (r->stop_at && r->seq > r->stop_at)
		return;		/* the rest of the op that holds the target */
	if (r->stored && !r->diff)
		verify_event(r, ev);
	if (r->want_copy && r->seq == r->stop_at && !r->copy) {
		r->copy = machine_clone(r->m);
		if (r->copy)
			machine_set_event_fn(r->copy, NULL, NULL);
	}
}

/* Has the run reached its end: its target, or a verification difference? */
static bool run_done(const struct run *r)
{
	return r->diff || (r->stop_at && r->seq >= r->stop_at);
}

/*** Replay ***/

struct stored_session {
	struct machine_config cfg;
	uint64_t last_seq, last_op;
	bool crashed;
};

static int load_session(struct server *srv, int64_t id, struct stored_session *ss,
			struct mm_error *e)
{
	sqlite3_stmt *st;
	int err = -ENOENT;

	if (sqlite3_prepare_v2(srv->db, "SELECT machine, last_seq, last_op, state FROM sessions "
			       "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return mm_error_set(e, -EIO, "%s", sqlite3_errmsg(srv->db));
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		err = machine_config_parse(&ss->cfg, (const char *)sqlite3_column_text(st, 0), 0, e);
		ss->last_seq = (uint64_t)sqlite3_column_int64(st, 1);
		ss->last_op = (uint64_t)sqlite3_column_int64(st, 2);
		ss->crashed = strcmp((const char *)sqlite3_column_text(st, 3), "crashed") == 0;
	} else {
		mm_error_set(e, -ENOENT, "no such session: %lld", (long long)id);
	}
	sqlite3_finalize(st);
	return err;
}

/* Apply one stored op, to its end. */
static void apply_stored_op(struct machine *m, const char *text)
{
	json_t *op = json_loads(text, 0, NULL);

	if (!op)
		return;
	json_decref(op_apply(m, op));
	json_decref(op);
}

/*
 * Run session @id's ops from a start state until event @target (or the end),
 * calling the verifier when r->stored is set. Fills @out.
 */
static int run_ops(struct server *srv, int64_t id, struct machine *m, struct run *r,
		   uint64_t op_no, uint64_t target, struct replay *out, struct mm_error *e)
{
	sqlite3_stmt *st;
	uint64_t kept = r->seq;		/* the seq of the last boundary kept (or started from) */

	if (sqlite3_prepare_v2(srv->db, "SELECT op_no, first_seq, last_seq, op FROM ops "
			       "WHERE session_id = ? AND op_no > ? ORDER BY op_no", -1, &st,
			       NULL) != SQLITE_OK)
		return mm_error_set(e, -EIO, "%s", sqlite3_errmsg(srv->db));
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)op_no);
	while (r->seq < target && !run_done(r) && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t no = (uint64_t)sqlite3_column_int64(st, 0), before = r->seq;
		/*
		 * No seq range: the op produced no event, or its end was never
		 * stored (a crash, or an op still running) and the target may lie
		 * inside it. Treat it as holding the target until it proves empty.
		 */
		bool unknown = sqlite3_column_type(st, 2) == SQLITE_NULL;
		bool inside = unknown || (uint64_t)sqlite3_column_int64(st, 2) > target;
		uint64_t stop_at = r->stop_at;

		if (inside && !r->stored) {
			/* The target lies inside this op: keep the boundary before it
			 * (not for every op that may be empty, nor a few events after
			 * the machine this replay started from: a clone costs, and
			 * grows the heap while the cache fills), and a copy of the
			 * machine at the target. */
			if (!unknown && r->seq - kept >= srv->opt.snapshot_events / 4)
				cache_store(srv, id, out->op_no, r->seq, m);
			r->stop_at = target;
			r->want_copy = true;
		}
		apply_stored_op(m, (const char *)sqlite3_column_text(st, 3));
		out->op_no = no;
		if (r->copy) {
			out->mid_op = true;
			break;
		}
		if (unknown && r->seq == before && !r->stored) {
			/* It was empty: the target lies further on. */
			r->stop_at = stop_at;
			r->want_copy = false;
		}
		if ((no % srv->opt.snapshot_interval == 0 || r->seq - kept >= srv->opt.snapshot_events) &&
		    !r->stored && !run_done(r)) {
			cache_store(srv, id, no, r->seq, m);
			snapshots_offer(srv, id, no, r->seq, m, true);
			kept = r->seq;
		}
	}
	sqlite3_finalize(st);
	out->seq = r->stop_at && r->seq > r->stop_at ? r->stop_at : r->seq;
	return 0;
}

int replay_session(struct server *srv, int64_t id, uint64_t seq, struct replay *out,
		   struct mm_error *e)
{
	struct stored_session ss;
	struct machine *stored;
	struct run *r;
	uint64_t op_no = 0, at = 0, stored_op_no = 0, stored_at = 0;
	double t0 = mono_seconds(), t1;
	const char *from;
	int err;

	memset(out, 0, sizeof(*out));
	out->srv = srv;
	recorder_sync(srv->rec);
	err = load_session(srv, id, &ss, e);
	if (err)
		return err;
	out->last_seq = ss.last_seq;
	if (seq != UINT64_MAX && seq > ss.last_seq) {
		machine_config_release(&ss.cfg);
		return mm_error_set(e, -ERANGE, "seq %llu is beyond the session's last event (%llu)",
				    (unsigned long long)seq, (unsigned long long)ss.last_seq);
	}
	if (seq == UINT64_MAX)
		seq = ss.last_seq;
	r = calloc(1, sizeof(*r));
	if (!r) {
		machine_config_release(&ss.cfg);
		return mm_error_set(e, -ENOMEM, "out of memory");
	}
	out->m = cache_find(id, seq, &op_no, &at);
	/* A stored snapshot nearer the target than anything in memory? */
	stored = snapshots_find(srv, id, out->m ? at : 0, seq, &stored_op_no, &stored_at);
	if (stored) {
		machine_destroy(out->m);
		out->m = stored;
		op_no = stored_op_no;
		at = stored_at;
	}
	from = stored ? "a stored snapshot" : out->m ? "memory" : "the first op";
	if (out->m) {
		r->seq = at;
		machine_set_event_fn(out->m, replay_on_event, r);
	} else {
		out->m = machine_create(&ss.cfg, replay_on_event, r, e);
		if (!out->m) {
			free(r);
			machine_config_release(&ss.cfg);
			return e->err ? e->err : -ENOMEM;
		}
	}
	out->op_no = op_no;
	r->m = out->m;
	t1 = mono_seconds();
	err = run_ops(srv, id, out->m, r, op_no, seq, out, e);
	machine_set_event_fn(out->m, NULL, NULL);
	log_debug("replay of session %lld to seq %llu: from %s at seq %llu (%.0f ms), then "
		  "%llu events (%.0f ms)", (long long)id, (unsigned long long)seq, from,
		  (unsigned long long)at, (t1 - t0) * 1e3, (unsigned long long)(r->seq - at),
		  (mono_seconds() - t1) * 1e3);
	out->session = id;	/* a boundary machine joins the cache in replay_release() */
	if (r->copy) {
		/* The machine as it was at the target event, inside its op. */
		machine_destroy(out->m);
		out->m = r->copy;
		out->op_no--;
	}
	free(r);
	machine_config_release(&ss.cfg);
	if (err) {	/* stopped half-way: not a boundary to keep */
		machine_destroy(out->m);
		out->m = NULL;
	}
	return err;
}

int replay_apply_ops(struct server *srv, int64_t id, struct machine *m, uint64_t *op_no,
		     uint64_t *seq, struct mm_error *e)
{
	struct run r = { .seq = *seq, .m = m };
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(srv->db, "SELECT op_no, op FROM ops WHERE session_id = ? AND "
			       "op_no > ? ORDER BY op_no", -1, &st, NULL) != SQLITE_OK)
		return mm_error_set(e, -EIO, "%s", sqlite3_errmsg(srv->db));
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)*op_no);
	machine_set_event_fn(m, replay_on_event, &r);
	while (sqlite3_step(st) == SQLITE_ROW) {
		apply_stored_op(m, (const char *)sqlite3_column_text(st, 1));
		*op_no = (uint64_t)sqlite3_column_int64(st, 0);
	}
	machine_set_event_fn(m, NULL, NULL);
	sqlite3_finalize(st);
	*seq = r.seq;
	return 0;
}

void replay_release(struct replay *r)
{
	if (r->m && !r->mid_op)
		cache_adopt(r->srv, r->session, r->op_no, r->seq, r->m);
	else if (r->m)
		machine_destroy(r->m);
	r->m = NULL;
}

json_t *replay_verify(struct server *srv, int64_t id, struct mm_error *e)
{
	struct stored_session ss;
	struct replay out;
	struct run *r;
	json_t *report;
	struct machine *m;
	int err;

	recorder_sync(srv->rec);
	if (load_session(srv, id, &ss, e))
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r || sqlite3_prepare_v2(srv->db,
			"SELECT seq, type, cpu, node, zone, \"order\", migratetype, level, gfp, pfn, "
			"vaddr, paddr, size, value, detail FROM events WHERE session_id = ? "
			"ORDER BY seq", -1, &r->stored, NULL) != SQLITE_OK) {
		mm_error_set(e, -EIO, "cannot read the stored events");
		goto fail;
	}
	sqlite3_bind_int64(r->stored, 1, id);
	/* A crashed session ends at its last stored event, maybe inside an op. */
	if (ss.crashed)
		r->stop_at = ss.last_seq;
	m = machine_create(&ss.cfg, replay_on_event, r, e);
	if (!m)
		goto fail;
	r->m = m;
	memset(&out, 0, sizeof(out));
	err = run_ops(srv, id, m, r, 0, UINT64_MAX, &out, e);
	machine_destroy(m);
	if (err)
		goto fail;
	if (!r->diff && sqlite3_step(r->stored) == SQLITE_ROW)
		r->diff = json_pack("{s:b,s:I,s:s}", "ok", 0,
				    "seq", (json_int_t)sqlite3_column_int64(r->stored, 0),
				    "reason", "the store holds events the re-execution did not produce");
	report = r->diff ? r->diff
			 : json_pack("{s:b,s:I,s:I}", "ok", 1, "events", (json_int_t)out.seq,
				     "ops", (json_int_t)out.op_no);
	sqlite3_finalize(r->stored);
	free(r);
	machine_config_release(&ss.cfg);
	return report;
fail:
	if (r) {
		sqlite3_finalize(r->stored);
		json_decref(r->diff);
	}
	free(r);
	machine_config_release(&ss.cfg);
	return NULL;
}
