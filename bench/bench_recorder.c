/*
 * bench_recorder.c - recording, against a baseline measured in the same run:
 *
 *  - the baseline: one thread inserting the same event rows into the same
 *    schema with the writer's pragmas and prepared INSERT, in transactions of
 *    16384 rows, and nothing else;
 *  - the recorder: the same events pushed through daemon/recorder.c (the ring,
 *    the writer thread, the op log around them) with 1, 4 and 32 events per
 *    op, or EVENTS_PER_OP when given;
 *  - the engine's slowdown with every event recorded versus events off.
 *
 *   bench_recorder [EVENTS] [EVENTS_PER_OP]
 *
 * The events are the real ones: a 4 GiB machine runs the workload of
 * bench/load.sh (order-0 allocations, then their frees), and its events, with
 * their typed fields as the engine fills them, are what is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/recorder.h"
#include "mmlab.h"
#include "bench/bench.h"

/* The engine's events, kept for replaying into the recorder. */
struct captured {
	struct mm_event *ev;
	char (*detail)[48];
	size_t nr, cap;
	uint64_t ops;
};

static void capture(void *ctx, const struct mm_event *ev)
{
	struct captured *c = ctx;

	if (c->nr == c->cap)
		return;
	c->ev[c->nr] = *ev;
	snprintf(c->detail[c->nr], sizeof(c->detail[0]), "%s", ev->detail ? ev->detail : "");
	c->ev[c->nr].detail = ev->detail ? c->detail[c->nr] : NULL;
	c->nr++;
}

/* Run load.sh's workload on a fresh machine until @want events are captured. */
static int capture_workload(struct captured *c, size_t want)
{
	struct machine_config cfg;
	struct alloc_pages_result res;
	struct machine *m;
	static uint64_t pfns[10000];
	gfp_t gfp;

	c->ev = calloc(want, sizeof(*c->ev));
	c->detail = calloc(want, sizeof(*c->detail));
	c->cap = want;
	if (!c->ev || !c->detail || machine_config_parse(&cfg, "{\"mem_mib\":4096}", 0, NULL) ||
	    gfp_parse("GFP_KERNEL", &gfp, NULL))
		return -1;
	m = machine_create(&cfg, NULL, NULL, NULL);
	if (!m)
		return -1;
	machine_set_event_fn(m, capture, c);
	while (c->nr < c->cap) {
		size_t n = 0;

		for (; n < 10000 && !mm_alloc_pages(m, gfp, 0, -1, 0, &res, NULL); n++, c->ops++)
			pfns[n] = res.pfn;
		for (size_t i = 0; i < n; i++, c->ops++)
			mm_free_pages(m, pfns[i], 0, 0, NULL);
	}
	machine_destroy(m);
	machine_config_release(&cfg);
	return 0;
}

/* A fresh database with mmlabd's schema and one session, at @path. */
static sqlite3 *fresh_db(const char *path)
{
	char err[256];
	sqlite3 *db = db_open(path, err, sizeof(err));

	if (!db || sqlite3_exec(db, "INSERT INTO sessions (id, name, created, machine, engine_version, seed) "
				"VALUES (1, 'bench', 'now', '{}', 'bench', 1)", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_recorder: %s\n", db ? sqlite3_errmsg(db) : err);
		db_close(db);
		return NULL;
	}
	return db;
}

#define OP_JSON	"{\"op\":\"alloc_pages\",\"gfp\":\"GFP_KERNEL\",\"order\":0}"

/*
 * The baseline: one thread inserting rows into the same schema with the
 * writer's pragmas and prepared INSERTs, one transaction per @batch events,
 * and nothing else (no queue, no second thread): the event rows alone
 * (@per_op 0), or the rows the recorder stores, an op-log row with its seq
 * range for every @per_op events. Events per second, or -1.
 */
static double raw_loop(const char *path, const struct captured *c, size_t events, double per_op,
		       size_t batch)
{
	sqlite3 *db = fresh_db(path);
	sqlite3_stmt *st = NULL, *op = NULL;
	uint64_t op_no = 0;
	double t0, t, owed = 0;
	int rc = SQLITE_OK;

	if (!db || sqlite3_exec(db, recorder_pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, recorder_event_sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO ops (session_id, op_no, op, first_seq, last_seq) "
			       "VALUES (1, ?, ?, ?, ?)", -1, &op, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		db_close(db);
		return -1;
	}
	t0 = mono_seconds();
	for (size_t i = 0; i < events && rc == SQLITE_OK; i++) {
		if (i % batch == 0)
			rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (per_op > 0 && (owed -= 1) < 0) {
			size_t n = (size_t)(owed += per_op) + 1;

			sqlite3_bind_int64(op, 1, (int64_t)++op_no);
			sqlite3_bind_text(op, 2, OP_JSON, -1, SQLITE_STATIC);
			sqlite3_bind_int64(op, 3, (int64_t)i + 1);
			sqlite3_bind_int64(op, 4, (int64_t)(i + n < events ? i + n : events));
			if (sqlite3_step(op) != SQLITE_DONE)
				rc = SQLITE_ERROR;
			sqlite3_reset(op);
		}
		recorder_bind_event(st, 1, i + 1, op_no, &c->ev[i], c->ev[i].detail);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = SQLITE_ERROR;
		sqlite3_reset(st);
		if (rc == SQLITE_OK && (i % batch == batch - 1 || i == events - 1))
			rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	t = mono_seconds() - t0;
	sqlite3_finalize(st);
	sqlite3_finalize(op);
	db_close(db);
	return rc == SQLITE_OK ? (double)events / t : -1;
}

/* A recorder on a fresh database at @path (the database is left to it). */
static struct recorder *fresh_db_recorder(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = fresh_db(path);
	struct recorder *r = db ? recorder_start(path, RECORDER_CAPACITY, err, errlen) : NULL;

	db_close(db);
	return r;
}

/* Push the captured events through a recorder into the database at @path,
 * @per_op events to an op; events per second, or -1. */
static double record_run(const char *path, const struct captured *c, size_t events, double per_op,
			 struct recorder_stats *st)
{
	char err[256];
	struct recorder *r = fresh_db_recorder(path, err, sizeof(err));
	uint64_t seq = 0, op_no = 0;
	double t0, t, owed = 0;

	if (!r) {
		fprintf(stderr, "bench_recorder: %s\n", err);
		return -1;
	}
	t0 = mono_seconds();
	while (seq < events) {
		uint64_t first = seq + 1;

		recorder_op(r, 1, ++op_no, OP_JSON);
		for (owed += per_op; owed >= 1 && seq < events; owed -= 1) {
			recorder_event(r, 1, seq + 1, op_no, &c->ev[seq]);
			seq++;
		}
		recorder_op_end(r, 1, op_no, first, seq);
	}
	recorder_sync(r);
	t = mono_seconds() - t0;
	recorder_get_stats(r, st);
	recorder_stop(r);
	return st->events_committed == events ? (double)events / t : -1;
}

/*** The engine with recording off, then on (as a live session records) ***/

struct live {
	struct recorder *r;
	uint64_t seq, op_no;
};

static void record_live(void *ctx, const struct mm_event *ev)
{
	struct live *l = ctx;

	recorder_event(l->r, 1, ++l->seq, l->op_no, ev);
}

/* One op of the workload, logged and closed around its events when recording. */
static void live_op(struct live *l, const char *json)
{
	if (l->r)
		recorder_op(l->r, 1, ++l->op_no, json);
}

static void live_op_end(struct live *l, uint64_t first)
{
	if (l->r)
		recorder_op_end(l->r, 1, l->op_no, l->seq >= first ? first : 0, l->seq);
}

/* @ops ops of the workload on a fresh 4 GiB machine; seconds (until committed). */
static double engine_run(struct recorder *r, uint64_t ops)
{
	static uint64_t pfns[10000];
	struct live l = { r, 0, 0 };
	struct machine_config cfg;
	struct alloc_pages_result res;
	struct machine *m;
	uint64_t done = 0;
	double t0, t;
	gfp_t gfp;

	if (machine_config_parse(&cfg, "{\"mem_mib\":4096}", 0, NULL) || gfp_parse("GFP_KERNEL", &gfp, NULL))
		return -1;
	m = machine_create(&cfg, NULL, NULL, NULL);
	machine_config_release(&cfg);
	if (!m)
		return -1;
	if (r)
		machine_set_event_fn(m, record_live, &l);
	t0 = mono_seconds();
	while (done < ops) {
		size_t n = 0;

		for (; n < 10000 && done < ops; n++, done++) {
			uint64_t first = l.seq + 1;

			live_op(&l, OP_JSON);
			if (mm_alloc_pages(m, gfp, 0, -1, 0, &res, NULL))
				break;
			live_op_end(&l, first);
			pfns[n] = res.pfn;
		}
		for (size_t i = 0; i < n; i++, done++) {
			uint64_t first = l.seq + 1;

			live_op(&l, "{\"op\":\"free_pages\",\"order\":0}");
			mm_free_pages(m, pfns[i], 0, 0, NULL);
			live_op_end(&l, first);
		}
	}
	if (r)
		recorder_sync(r);
	t = mono_seconds() - t0;
	machine_destroy(m);
	return t;
}

int main(int argc, char **argv)
{
	static const double mixes[] = { 1, 4, 32 };
	unsigned long events = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	double per_op = argc > 2 ? strtod(argv[2], NULL) : 0;
	struct captured c = { 0 };
	char dir[] = "/tmp/mmlab-bench-XXXXXX", path[64], err[256], cmd[96];
	struct recorder_stats st;
	struct recorder *r;
	double raw = 0, rate, off, on;
	int rc = 1;

	if (!events || (argc > 2 && per_op < 1)) {
		fprintf(stderr, "usage: bench_recorder [EVENTS] [EVENTS_PER_OP >= 1]\n");
		return 2;
	}
	if (capture_workload(&c, events)) {
		fprintf(stderr, "bench_recorder: cannot run the workload\n");
		return 1;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/raw.db", dir);
	raw = raw_loop(path, &c, events, 0, 16384);
	if (raw < 0) {
		fprintf(stderr, "bench_recorder: the raw loop failed\n");
		goto out;
	}
	printf("baseline: raw loop of prepared INSERTs, the event rows alone: %.0f rows/s\n", raw);
	for (size_t i = 0; i < (argc > 2 ? 1 : sizeof(mixes) / sizeof(mixes[0])); i++) {
		double mix = argc > 2 ? per_op : mixes[i], same;

		snprintf(path, sizeof(path), "%s/raw%zu.db", dir, i);
		same = raw_loop(path, &c, events, mix, 16384);
		snprintf(path, sizeof(path), "%s/rec%zu.db", dir, i);
		rate = record_run(path, &c, events, mix, &st);
		if (rate < 0 || same < 0) {
			fprintf(stderr, "bench_recorder: a run failed or lost events\n");
			goto out;
		}
		printf("%.2f events per op: raw loop of the same rows (events and op log) %.0f events/s; "
		       "recorder: %.0f events/s, %llu transactions, %llu waits\n", mix, same, rate,
		       (unsigned long long)st.transactions, (unsigned long long)st.waits);
		printf("  recorder / same rows: %.2f (target >= 0.8); / event rows alone: %.2f\n",
		       rate / same, rate / raw);
	}
	/* The engine's own slowdown when every event is recorded. */
	off = engine_run(NULL, c.ops);
	snprintf(path, sizeof(path), "%s/live.db", dir);
	r = fresh_db_recorder(path, err, sizeof(err));
	on = r ? engine_run(r, c.ops) : -1;
	if (r)
		recorder_stop(r);
	if (off <= 0 || on <= 0) {
		fprintf(stderr, "bench_recorder: the engine run failed\n");
		goto out;
	}
	printf("engine, %llu ops: recording off %.3f s, on %.3f s (%.0f events/s committed): "
	       "slowdown %.1fx\n", (unsigned long long)c.ops, off, on, (double)c.nr / on, on / off);
	rc = 0;
out:
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		rc = 1;
	return rc;
}
