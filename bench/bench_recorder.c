/*
 * bench_recorder.c - the recorder's ceiling: events per second pushed straight
 * through daemon/recorder.c into a fresh database, with no engine and no HTTP
 * in the way. bench/load.sh compares the ops throughput of the API with it.
 *
 *   bench_recorder [EVENTS] [EVENTS_PER_OP]
 *
 * Events come in ops of EVENTS_PER_OP events each (default 2), each op logged
 * before its events and closed after them, as a live session records them.
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long events = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	double per_op = argc > 2 ? strtod(argv[2], NULL) : 2.0;
	char dir[] = "/tmp/mmlab-bench-XXXXXX", path[64], err[256], cmd[96];
	struct recorder_stats st;
	struct recorder *r;
	struct mm_event ev;
	uint64_t seq = 0, op_no = 0;
	double t0, t1, owed = 0;
	sqlite3 *db;
	int rc = 1;

	if (!events || per_op < 1) {
		fprintf(stderr, "usage: bench_recorder [EVENTS] [EVENTS_PER_OP >= 1]\n");
		return 2;
	}
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
			mm_event_init(&ev, MM_EV_mm_page_alloc);
			ev.cpu = 0;
			ev.node = 0;
			ev.zone = 2;
			ev.order = 0;
			ev.migratetype = 0;
			ev.pfn = 0x100000 + seq;
			ev.gfp = 0xcc0;
			recorder_event(r, 1, ++seq, op_no, &ev);
		}
		recorder_op_end(r, 1, op_no, first, seq);
	}
	recorder_sync(r);
	t1 = now();
	recorder_get_stats(r, &st);
	recorder_stop(r);
	printf("recorder: %lu events (%.2f per op) in %.2f s: %.0f events/s, %llu transactions, %llu waits\n",
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
