/*
 * api_pressure.c - GET /api/v1/sessions/{id}/pressure: the memory-pressure
 * view's series over a session. The machine is sampled at the end of up to
 * `points` ops, the first to end after each of `points` seqs spread evenly
 * over the session's events (the last op always), each
 * rebuilt by replay like any ?at=SEQ view: free pages against the min, low
 * and high watermarks (all zones summed, and the largest zone alone, where
 * kswapd's sawtooth shows), the LRU lists, swap, and the reclaim counters
 * of /proc/vmstat (cumulative; the view turns them into rates).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/api.h"
#include "daemon/recorder.h"
#include "daemon/replay.h"
#include "daemon/server.h"
#include "daemon/session.h"

#define PRESSURE_POINTS		120
#define PRESSURE_MAX_POINTS	400

/* The last seq of every op that emitted events, in order; *n of them (malloc'd). */
static uint64_t *op_ends(struct server *srv, int64_t id, size_t *n)
{
	sqlite3_stmt *st;
	uint64_t *v = NULL;
	size_t cap = 0;

	*n = 0;
	recorder_sync(srv->rec);
	if (sqlite3_prepare_v2(srv->db, "SELECT last_seq FROM ops WHERE session_id = ? AND "
			       "last_seq IS NOT NULL ORDER BY op_no", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			uint64_t *nv = realloc(v, (cap = cap ? cap * 2 : 256) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

/* The first op end at or after @seq (ends[] is sorted). */
static size_t first_end_at(const uint64_t *ends, size_t n, uint64_t seq)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ends[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

enum { S_SEQ, S_FREE, S_MIN, S_LOW, S_HIGH, S_ZFREE, S_ZMIN, S_ZLOW, S_ZHIGH,
       S_IA, S_AA, S_IF, S_AF, S_UNEV, S_SWAP_USED, S_SWAP_CACHED, S_SCAN_K, S_SCAN_D,
       S_STEAL_K, S_STEAL_D, S_PSWPIN, S_PSWPOUT, S_MAJFLT, S_STALL, S_KSWAPD_RUNS,
       S_OOM, NR_SERIES };

static const char *const series_names[NR_SERIES] = {
	"seq", "free", "min", "low", "high", "zone_free", "zone_min", "zone_low", "zone_high",
	"inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable",
	"swap_used", "swap_cached", "pgscan_kswapd", "pgscan_direct", "pgsteal_kswapd",
	"pgsteal_direct", "pswpin", "pswpout", "pgmajfault", "allocstall", "pageoutrun",
	"oom_kill",
};

static void sample(json_t *arr[NR_SERIES], uint64_t seq, const struct mm_pressure *p)
{
	const uint64_t v[NR_SERIES] = {
		seq, p->free, p->min, p->low, p->high, p->big_free, p->big_min, p->big_low,
		p->big_high, p->lru[0], p->lru[1], p->lru[2], p->lru[3], p->lru[4],
		p->swap_total - p->swap_free, p->swap_cached, p->pgscan_kswapd, p->pgscan_direct,
		p->pgsteal_kswapd, p->pgsteal_direct, p->pswpin, p->pswpout, p->pgmajfault,
		p->allocstall, p->pageoutrun, p->oom_kill,
	};

	for (int i = 0; i < NR_SERIES; i++)
		json_array_append_new(arr[i], json_integer((json_int_t)v[i]));
}

void api_pressure(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	const char *q = http_query(req, "points");
	json_t *arr[NR_SERIES], *body, *series;
	struct mm_pressure p = { 0 };
	unsigned long points = PRESSURE_POINTS;
	size_t n = 0, taken = 0;
	uint64_t *ends;
	char *end;

	if (id < 0)
		return;
	if (q) {
		points = strtoul(q, &end, 10);
		if (!*q || *end || q[0] == '-' || points < 2 || points > PRESSURE_MAX_POINTS) {
			reply_error(rep, 400, "EINVAL", "points must be 2..%d, not \"%s\"",
				    PRESSURE_MAX_POINTS, q);
			return;
		}
	}
	body = session_info_json(srv, id);
	if (!body) {
		reply_error(rep, 404, "ENOENT", "no such session: %lld", (long long)id);
		return;
	}
	json_decref(body);
	ends = op_ends(srv, id, &n);
	for (int i = 0; i < NR_SERIES; i++)
		arr[i] = json_array();
	for (size_t k = 0; k < points && n; k++) {
		size_t i = n <= points ? k : first_end_at(ends, n, ends[0] + (uint64_t)((double)k *
				(double)(ends[n - 1] - ends[0]) / (double)(points - 1)));
		struct replay rp;
		struct mm_error e = { 0 };

		if (i >= n || (taken && (json_int_t)ends[i] ==
					json_integer_value(json_array_get(arr[S_SEQ], taken - 1))))
			continue;
		if (replay_session(srv, id, ends[i], &rp, &e))
			continue;
		machine_pressure(rp.m, &p);
		replay_release(&rp);
		sample(arr, ends[i], &p);
		taken++;
	}
	free(ends);
	series = json_object();
	for (int i = 0; i < NR_SERIES; i++)
		json_object_set_new(series, series_names[i], arr[i]);
	body = json_pack("{s:I,s:I,s:s,s:I,s:o}", "points", (json_int_t)taken,
			 "ops", (json_int_t)n, "zone", p.big_zone >= 0 ?
			 zone_type_name(p.big_zone) : "", "swap_total", (json_int_t)p.swap_total,
			 "series", series);
	reply_json(rep, 200, body);
}
