/*
 * bench_recorder.c - the recorder's ceiling: events per second pushed straight
 * through daemon/recorder.c into a fresh database, with no engine and no HTTP
 * in the way. bench/load.sh compares the ops throughput of the API with it.
 *
 *   bench_recorder [EVENTS] [EVENTS_PER_OP]
 *
 * The events are the real ones: a 4 GiB machine runs the workload of
 * bench/load.sh (order-0 allocations, then their frees) first, untimed, and
 * its events, with their typed fields as the engine fills them, are what is
 * pushed. Each op is logged before its events and closed after them, as a
 * live session records them; EVENTS_PER_OP (default: as the workload made
 * them) groups them into ops.
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

int main(int argc, char **argv)
{
	unsigned long events = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	double per_op = argc > 2 ? strtod(argv[2], NULL) : 0;
	struct captured c = { 0 };
	char dir[] = "/tmp/mmlab-bench-XXXXXX", path[64], err[256], cmd[96];
	struct recorder_stats st;
	struct recorder *r;
	uint64_t seq = 0, op_no = 0;
	double t0, t1, owed = 0;
	sqlite3 *db;
	int rc = 1;

	if (!events || (argc > 2 && per_op < 1)) {
		fprintf(stderr, "usage: bench_recorder [EVENTS] [EVENTS_PER_OP >= 1]\n");
		return 2;
	}
	if (capture_workload(&c, events)) {
		fprintf(stderr, "bench_recorder: cannot run the workload\n");
		return 1;
	}
	if (per_op < 1)
		per_op = (double)c.nr / (double)c.ops;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	db = db_open(path, err, sizeof(err));
	if (!db || sqlite3_exec(db, "INSERT INTO sessions (id, name, created, machine, engine_version, seed) "
				"VALUES (1, 'bench', 'now', '{}', 'bench', 1)", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_recorder: %s\n", db ? sqlite3_errmsg(db) : err);
		goto out;
	}
	r = recorder_start(path, 1u << 16, err, sizeof(err));	/* as mmlabd's */
	if (!r) {
		fprintf(stderr, "bench_recorder: %s\n", err);
		goto out;
	}
	t0 = now();
	while (seq < events) {
		uint64_t first = seq + 1;

		recorder_op(r, 1, ++op_no, "{\"op\":\"alloc_pages\",\"gfp\":\"GFP_KERNEL\",\"order\":0}");
		for (owed += per_op; owed >= 1 && seq < events; owed -= 1) {
			recorder_event(r, 1, seq + 1, op_no, &c.ev[seq]);
			seq++;
		}
		recorder_op_end(r, 1, op_no, first, seq);
	}
	recorder_sync(r);
	t1 = now();
	recorder_get_stats(r, &st);
	recorder_stop(r);
	printf("recorder: %lu engine events (%.2f per op) in %.2f s: %.0f events/s, %llu transactions, %llu waits\n",
	       events, per_op, t1 - t0, (double)events / (t1 - t0),
	       (unsigned long long)st.transactions, (unsigned long long)st.waits);
	rc = st.events_committed == events ? 0 : 1;
	if (rc)
		fprintf(stderr, "bench_recorder: %llu of %lu events committed\n",
			(unsigned long long)st.events_committed, events);
out:
	db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		rc = 1;
	return rc;
}
