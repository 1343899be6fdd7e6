/*
 * bench_reclaim.c - what reclaim costs, against the allocator's own order-0
 * alloc+free pair measured in the same run:
 *
 *  - 1 GiB of clean page cache (262,144 pages) read into a 2 GiB machine,
 *    then reclaimed with recording off: mm_shrink_all_memory() of all of it
 *    (the scan from priority 12 down), in seconds, ns per page and pairs per
 *    page;
 *  - a file twice the machine's size read through an 8 GiB machine with
 *    every event recorded (daemon/recorder.c into SQLite), one op per MiB,
 *    kswapd running at the end of each op: seconds, events, pages reclaimed.
 *
 * Each recording-off figure is the median of ROUNDS rounds (the best one in
 * brackets); never passes or fails on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/recorder.h"
#include "mmlab.h"
#include "bench/bench.h"

#define MIB		(1ULL << 20)
#define GIB		(1ULL << 30)
#define ROUNDS		3
#define PAIRS		2000000UL

static struct machine *make(uint64_t mem_mib, mm_event_fn fn, void *ctx)
{
	struct machine_config cfg;

	machine_config_defaults(&cfg);
	cfg.mem_mib = mem_mib;
	return bench_machine(&cfg, fn, ctx);
}

static void must(int err, const char *what, const struct mm_error *e)
{
	if (err) {
		fprintf(stderr, "bench_reclaim: %s: %s\n", what, e->message);
		exit(1);
	}
}

/* ns per order-0 GFP_KERNEL alloc+free pair on @m. */
static double pair_ns(struct machine *m)
{
	struct alloc_pages_result r;
	struct mm_error e;
	double t0 = mono_seconds();

	for (unsigned long i = 0; i < PAIRS; i++) {
		must(mm_alloc_pages(m, 0xcc0u, 0, -1, 0, &r, &e), "alloc", &e);
		must(mm_free_pages(m, r.pfn, 0, 0, &e), "free", &e);
	}
	return (mono_seconds() - t0) * 1e9 / (double)PAIRS;
}

/* One round: seconds to reclaim the 1 GiB of clean page cache; *pairs: its pair ns. */
static double reclaim_round(double *pairs, uint64_t *reclaimed)
{
	struct machine *m = make(2048, NULL, NULL);
	struct mm_file_io io;
	struct mm_error e;
	double t0, t;

	*pairs = pair_ns(m);
	must(mm_create_file(m, "cache", GIB, &e), "create_file", &e);
	must(mm_read_file(m, 0, "cache", 0, GIB, &io, &e), "read_file", &e);
	mm_kswapd_run(m);
	t0 = mono_seconds();
	*reclaimed = mm_shrink_all_memory(m, GIB >> 12);
	t = mono_seconds() - t0;
	machine_destroy(m);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*** Recording on ***/

struct live {
	struct recorder *r;
	uint64_t seq, op_no;
};

static void record_live(void *ctx, const struct mm_event *ev)
{
	struct live *l = ctx;

	recorder_event(l->r, 1, ++l->seq, l->op_no, ev);
}

static struct recorder *fresh_recorder(const char *path)
{
	char err[256];
	sqlite3 *db = db_open(path, err, sizeof(err));
	struct recorder *r = NULL;

	if (db && sqlite3_exec(db, "INSERT INTO sessions (id, name, created, machine, "
			       "engine_version, seed) VALUES (1, 'bench', 'now', '{}', 'bench', 1)",
			       NULL, NULL, NULL) == SQLITE_OK)
		r = recorder_start(path, 1 << 16, err, sizeof(err));
	if (!r)
		fprintf(stderr, "bench_reclaim: %s\n", db ? sqlite3_errmsg(db) : err);
	db_close(db);
	return r;
}

/* A file twice the size of an 8 GiB machine, read one MiB per op, recorded. */
static int read_twice_recorded(const char *path)
{
	struct live l = { fresh_recorder(path), 0, 0 };
	struct machine *m;
	struct mm_file_io io;
	struct mm_error e;
	struct recorder_stats st;
	char json[128];
	double t0, t;

	if (!l.r)
		return 1;
	m = make(8192, record_live, &l);
	t0 = mono_seconds();
	must(mm_create_file(m, "twice", 16 * GIB, &e), "create_file", &e);
	for (uint64_t off = 0; off < 16 * GIB; off += MIB) {
		uint64_t first = l.seq + 1;

		snprintf(json, sizeof(json), "{\"op\":\"read_file\",\"name\":\"twice\","
			 "\"offset\":%llu,\"length\":1048576}", (unsigned long long)off);
		recorder_op(l.r, 1, ++l.op_no, json);
		must(mm_read_file(m, 0, "twice", off, MIB, &io, &e), "read_file", &e);
		mm_kswapd_run(m);
		recorder_op_end(l.r, 1, l.op_no, l.seq >= first ? first : 0, l.seq);
	}
	recorder_sync(l.r);
	t = mono_seconds() - t0;
	recorder_get_stats(l.r, &st);
	printf("16 GiB file read through an 8 GiB machine, recording on: %.2f s, %llu ops, "
	       "%llu events committed (%.0f events/s); pgsteal_kswapd %llu, pgsteal_direct %llu, "
	       "kswapd woken %llu times\n", t, (unsigned long long)l.op_no,
	       (unsigned long long)st.events_committed, (double)st.events_committed / t,
	       (unsigned long long)bench_vmstat(m, "pgsteal_kswapd"),
	       (unsigned long long)bench_vmstat(m, "pgsteal_direct"),
	       (unsigned long long)bench_vmstat(m, "pageoutrun"));
	machine_set_event_fn(m, NULL, NULL);
	machine_destroy(m);
	recorder_stop(l.r);
	return st.events_committed == l.seq ? 0 : 1;
}

int main(void)
{
	double secs[ROUNDS], pairs[ROUNDS], ratio[ROUNDS];
	char dir[] = "/tmp/mmlab-bench-XXXXXX", path[64], cmd[96];
	uint64_t reclaimed = 0;
	int rc;

	for (int i = 0; i < ROUNDS; i++) {
		secs[i] = reclaim_round(&pairs[i], &reclaimed);
		ratio[i] = secs[i] * 1e9 / (double)reclaimed / pairs[i];
	}
	qsort(secs, ROUNDS, sizeof(double), cmp_double);
	qsort(pairs, ROUNDS, sizeof(double), cmp_double);
	qsort(ratio, ROUNDS, sizeof(double), cmp_double);
	printf("baseline: order-0 alloc+free pair %.1f ns [%.1f]\n", pairs[ROUNDS / 2], pairs[0]);
	printf("reclaim 1 GiB of clean page cache (%llu pages), recording off: %.3f s [%.3f] "
	       "(guide: under 0.5 s), %.1f ns per page, %.2f pairs per page\n",
	       (unsigned long long)reclaimed, secs[ROUNDS / 2], secs[0],
	       secs[ROUNDS / 2] * 1e9 / (double)reclaimed, ratio[ROUNDS / 2]);
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/read.db", dir);
	rc = read_twice_recorded(path);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		rc = 1;
	return rc;
}
