/*
 * api_reclaim.c - GET /api/v1/sessions/{id}/reclaim?at=SEQ: the reclaim
 * rounds of a session, live or imported from a real kernel's trace alike,
 * read from its mm_vmscan_* events (include/trace/events/vmscan.h of 6.18;
 * mm/vmscan.c emits them).
 *
 * A round is kswapd's from mm_vmscan_kswapd_wake to mm_vmscan_kswapd_sleep
 * (or its next wake), a direct reclaim's from mm_vmscan_direct_reclaim_begin
 * to _end, a memory cgroup's from mm_vmscan_memcg_reclaim_begin to _end. Its
 * steps are the mm_vmscan_lru_shrink_inactive events inside it: priority,
 * nr_scanned and nr_reclaimed, as the tracepoint names them. In a trace the
 * events of a round are those of its task (pid); a simulated machine runs
 * one reclaimer at a time, so there the innermost open round takes them. A
 * step with no open round (the trace began inside it) opens one, marked
 * began_before.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/api.h"
#include "daemon/recorder.h"
#include "daemon/server.h"

#define MAX_ROUNDS	2000
#define MAX_STEPS	20000
#define MAX_OPEN	64

enum kind { KSWAPD, DIRECT, MEMCG };
static const char *const kind_names[] = { "kswapd", "direct", "memcg" };

struct open_round {
	int64_t key;		/* pid in a trace; 0 in a simulated session */
	enum kind kind;
	json_t *round;
};

struct rounds {
	json_t *list;
	struct open_round open[MAX_OPEN];
	int nopen;
	size_t steps;
	bool truncated;
};

static json_t *round_new(struct rounds *r, enum kind kind, int64_t key, bool trace,
			 sqlite3_stmt *st, bool began_before)
{
	json_t *round;

	if (json_array_size(r->list) >= MAX_ROUNDS) {
		r->truncated = true;
		return NULL;
	}
	round = json_pack("{s:s,s:o,s:o,s:o,s:I,s:I,s:n,s:n,s:n,s:b,s:[]}",
			  "kind", kind_names[kind],
			  "pid", trace ? json_integer(key) : json_null(),
			  "task", trace && sqlite3_column_type(st, 10) != SQLITE_NULL
				  ? json_string((const char *)sqlite3_column_text(st, 10)) : json_null(),
			  "node", sqlite3_column_type(st, 2) != SQLITE_NULL
				  ? json_integer(sqlite3_column_int(st, 2)) : json_null(),
			  "start_seq", (json_int_t)sqlite3_column_int64(st, 0),
			  "start_t", (json_int_t)sqlite3_column_int64(st, 8),
			  "end_seq", "end_t", "nr_reclaimed", "began_before", began_before, "steps");
	json_object_set_new(round, "order", !began_before && sqlite3_column_type(st, 3) != SQLITE_NULL
			    ? json_integer(sqlite3_column_int(st, 3)) : json_null());
	json_array_append_new(r->list, round);
	if (r->nopen == MAX_OPEN) {	/* the oldest open round is dropped from the stack */
		memmove(r->open, r->open + 1, sizeof(r->open[0]) * (MAX_OPEN - 1));
		r->nopen--;
	}
	r->open[r->nopen++] = (struct open_round){ key, kind, round };
	return round;
}

/* The innermost open round of @key (of @kind, or any when @kind < 0); its index or -1. */
static int open_of(struct rounds *r, int64_t key, int kind)
{
	for (int i = r->nopen - 1; i >= 0; i--)
		if (r->open[i].key == key && (kind < 0 || (int)r->open[i].kind == kind))
			return i;
	return -1;
}

static void round_close(struct rounds *r, int i, sqlite3_stmt *st, bool reclaimed)
{
	json_t *round = r->open[i].round;

	json_object_set_new(round, "end_seq", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(round, "end_t", json_integer(sqlite3_column_int64(st, 8)));
	if (reclaimed)
		json_object_set_new(round, "nr_reclaimed", json_integer(sqlite3_column_int64(st, 6)));
	memmove(r->open + i, r->open + i + 1, sizeof(r->open[0]) * (size_t)(r->nopen - i - 1));
	r->nopen--;
}

void api_reclaim(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	const char *at_s = http_query(req, "at");
	uint64_t at = UINT64_MAX >> 1;
	struct rounds r = { 0 };
	sqlite3_stmt *st;
	bool trace = false;
	char *end;

	if (id < 0)
		return;
	if (at_s) {
		at = strtoull(at_s, &end, 10);
		if (!*at_s || *end || at_s[0] == '-') {
			reply_error(rep, 400, "EINVAL", "at must be an event seq, not \"%s\"", at_s);
			return;
		}
	}
	recorder_sync(srv->rec);
	if (sqlite3_prepare_v2(srv->db, "SELECT (SELECT count(*) FROM trace_sessions WHERE "
			       "session_id = s.id) FROM sessions s WHERE s.id = ?", -1, &st,
			       NULL) != SQLITE_OK) {
		reply_error(rep, 503, "EIO", "cannot read the session: %s", sqlite3_errmsg(srv->db));
		return;
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		reply_error(rep, 404, "ENOENT", "no such session: %lld", (long long)id);
		return;
	}
	trace = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	/* 0 seq, 1 type, 2 node, 3 order, 4 level, 5 size, 6 value, 7 detail, 8 t, 9 pid, 10 task */
	if (sqlite3_prepare_v2(srv->db, trace
			       ? "SELECT e.seq, e.type, e.node, e.\"order\", e.level, e.size, e.value, "
				 "e.detail, t.ts_ns, t.pid, t.task FROM events e JOIN trace_events t ON "
				 "t.session_id = e.session_id AND t.seq = e.seq WHERE e.session_id = ?1 "
				 "AND e.seq <= ?2 AND e.type IN (?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ORDER BY e.seq"
			       : "SELECT seq, type, node, \"order\", level, size, value, detail, seq, 0, "
				 "NULL FROM events WHERE session_id = ?1 AND seq <= ?2 AND type IN "
				 "(?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
		reply_error(rep, 503, "EIO", "cannot read the events: %s", sqlite3_errmsg(srv->db));
		return;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)at);
	sqlite3_bind_int(st, 3, MM_EV_mm_vmscan_kswapd_wake);
	sqlite3_bind_int(st, 4, MM_EV_mm_vmscan_kswapd_sleep);
	sqlite3_bind_int(st, 5, MM_EV_mm_vmscan_direct_reclaim_begin);
	sqlite3_bind_int(st, 6, MM_EV_mm_vmscan_direct_reclaim_end);
	sqlite3_bind_int(st, 7, MM_EV_mm_vmscan_memcg_reclaim_begin);
	sqlite3_bind_int(st, 8, MM_EV_mm_vmscan_memcg_reclaim_end);
	sqlite3_bind_int(st, 9, MM_EV_mm_vmscan_lru_shrink_inactive);
	sqlite3_bind_int(st, 10, MM_EV_mm_vmscan_lru_shrink_inactive);
	r.list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		int type = sqlite3_column_int(st, 1), i;
		int64_t key = trace ? sqlite3_column_int64(st, 9) : 0;
		const char *task = (const char *)sqlite3_column_text(st, 10);
		json_t *round;

		if (type == MM_EV_mm_vmscan_kswapd_wake) {
			i = open_of(&r, key, KSWAPD);
			if (i >= 0)	/* woken again before a sleep: the last round ends here */
				round_close(&r, i, st, false);
			round_new(&r, KSWAPD, key, trace, st, false);
		} else if (type == MM_EV_mm_vmscan_direct_reclaim_begin) {
			round_new(&r, DIRECT, key, trace, st, false);
		} else if (type == MM_EV_mm_vmscan_memcg_reclaim_begin) {
			round_new(&r, MEMCG, key, trace, st, false);
		} else if (type == MM_EV_mm_vmscan_kswapd_sleep) {
			i = open_of(&r, key, KSWAPD);
			if (i >= 0)
				round_close(&r, i, st, false);
		} else if (type == MM_EV_mm_vmscan_direct_reclaim_end ||
			   type == MM_EV_mm_vmscan_memcg_reclaim_end) {
			i = open_of(&r, key, type == MM_EV_mm_vmscan_direct_reclaim_end ? DIRECT : MEMCG);
			if (i >= 0)
				round_close(&r, i, st, true);
		} else {	/* mm_vmscan_lru_shrink_inactive */
			i = open_of(&r, key, -1);
			round = i >= 0 ? r.open[i].round
				: round_new(&r, (!trace || (task && !strncmp(task, "kswapd", 6)))
					    ? KSWAPD : DIRECT, key, trace, st, true);
			if (!round)
				continue;
			if (r.steps >= MAX_STEPS) {
				r.truncated = true;
				continue;
			}
			r.steps++;
			json_array_append_new(json_object_get(round, "steps"), json_pack(
				"{s:I,s:I,s:i,s:I,s:I}", "seq", (json_int_t)sqlite3_column_int64(st, 0),
				"t", (json_int_t)sqlite3_column_int64(st, 8),
				"priority", sqlite3_column_int(st, 4),
				"nr_scanned", (json_int_t)sqlite3_column_int64(st, 5),
				"nr_reclaimed", (json_int_t)sqlite3_column_int64(st, 6)));
		}
	}
	sqlite3_finalize(st);
	reply_json(rep, 200, json_pack("{s:s,s:s,s:o,s:b}", "source", trace ? "trace" : "simulated",
				       "time", trace ? "ts_ns" : "seq", "rounds", r.list,
				       "truncated", r.truncated));
}
