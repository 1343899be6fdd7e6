/*
 * test_recorder.c - the recorder (daemon/recorder.c): large transactions,
 * back-pressure without loss, flush on stop, last_seq bookkeeping,
 * recovery after a failing database, and a WAL kept short by a checkpointing
 * thread of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/db.h"
#include "daemon/recorder.h"

struct fixture {
	char dir[64];
	char path[128];
	sqlite3 *db;		/* the test's own connection, for checking */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/mmlab-rec-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/rec.db", f->dir);
	f->db = db_open(f->path, err, sizeof(err));
	if (!f->db)
		return -1;
	sqlite3_exec(f->db, "INSERT INTO sessions (id, name, created, machine, engine_version, seed) "
		     "VALUES (1, 't', 'now', '{}', 'x', 1), (2, 'u', 'now', '{}', 'x', 1)",
		     NULL, NULL, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	db_close(f->db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void queue_events(struct recorder *r, int64_t session, uint64_t from, uint64_t n)
{
	struct mm_event ev;

	for (uint64_t seq = from; seq < from + n; seq++) {
		mm_event_init(&ev, MM_EV_mm_page_alloc);
		ev.pfn = seq * 2;
		ev.order = (int)(seq % 11);
		ev.detail = seq % 2 ? "odd" : NULL;
		recorder_event(r, session, seq, seq / 10, &ev);
	}
}

/* Is a thread of this process named @name? */
static bool thread_named(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	bool found = false;

	assert_non_null(d);
	while (!found && (de = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *fp;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		if (fgets(comm, sizeof(comm), fp))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(fp);
		found = strcmp(comm, name) == 0;
	}
	closedir(d);
	return found;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/*
 * The writer leaves the WAL to a thread of its own (wal_checkpoint.h): that
 * thread exists while the recorder runs, and however many rows are written
 * the WAL stays near its 16 MiB mark (WAL_CHECKPOINT_FRAMES), not the size
 * of all the rows.
 */
static void test_wal_checkpointed_apart(void **state)
{
	struct fixture *f = *state;
	char err[256], wal[160];
	struct recorder *r = recorder_start(f->path, 1 << 16, err, sizeof(err));
	off_t biggest = 0;

	assert_non_null(r);
	assert_true(thread_named("mmlab-ckpt"));
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	for (uint64_t from = 1; from <= 1500000; from += 20000) {
		queue_events(r, 1, from, 20000);
		if (file_size(wal) > biggest)
			biggest = file_size(wal);
	}
	assert_int_equal(recorder_sync(r), 0);
	if (file_size(wal) > biggest)
		biggest = file_size(wal);
	recorder_stop(r);
	assert_false(thread_named("mmlab-ckpt"));
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events WHERE session_id = 1"), 1500000);
	/* the rows are far more than the WAL ever held (about 38 bytes an event) */
	assert_true(query_int(f->db, "SELECT page_count * page_size FROM pragma_page_count(), "
			      "pragma_page_size()") > 48 << 20);
	assert_true(biggest < 24 << 20);
}

/* 100 000 events: all stored, gap-free, in few large transactions. */
static void test_batching(void **state)
{
	struct fixture *f = *state;
	struct recorder_stats st;
	char err[256];
	struct recorder *r = recorder_start(f->path, 1 << 16, err, sizeof(err));

	assert_non_null(r);
	queue_events(r, 1, 1, 100000);
	assert_int_equal(recorder_sync(r), 0);
	recorder_get_stats(r, &st);
	assert_int_equal(st.events_committed, 100000);
	assert_true(st.transactions <= 100);
	assert_int_equal(st.queued, 0);
	recorder_stop(r);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events WHERE session_id = 1"), 100000);
	assert_int_equal(query_int(f->db, "SELECT max(seq) - min(seq) + 1 FROM events"), 100000);
	assert_int_equal(query_int(f->db, "SELECT last_seq FROM sessions WHERE id = 1"), 100000);
	assert_int_equal(query_int(f->db, "SELECT pfn FROM events WHERE seq = 777"), 1554);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events WHERE detail = 'odd'"), 50000);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events WHERE cpu IS NOT NULL"), 0);
}

/*
 * The op log keeps each op's JSON as given, short ones (kept in the record
 * itself) and long ones (copied aside) alike, with the seq range of its events.
 */
static void test_op_log(void **state)
{
	struct fixture *f = *state;
	char err[256], json[400], sql[600];
	struct recorder *r = recorder_start(f->path, 1 << 10, err, sizeof(err));
	struct mm_event ev;

	assert_non_null(r);
	mm_event_init(&ev, MM_EV_mm_page_alloc);
	for (unsigned int op = 1; op <= 300; op++) {
		snprintf(json, sizeof(json), "{\"op\":\"kmalloc\",\"size\":%u,\"note\":\"%.*s\"}",
			 op, (int)(op % 300), "................................................"
			 "........................................................................"
			 "........................................................................"
			 "........................................................................"
			 "............................................................");
		recorder_op(r, 1, op, json);
		recorder_event(r, 1, op, op, &ev);
		recorder_op_end(r, 1, op, op, op);
	}
	recorder_stop(r);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM ops WHERE session_id = 1 AND "
				   "first_seq = op_no AND last_seq = op_no"), 300);
	for (unsigned int op = 1; op <= 300; op += 37) {
		snprintf(sql, sizeof(sql), "SELECT length(op) = %d AND json_extract(op, '$.size') = %u "
			 "FROM ops WHERE session_id = 1 AND op_no = %u",
			 (int)strlen("{\"op\":\"kmalloc\",\"size\":,\"note\":\"\"}") +
			 snprintf(NULL, 0, "%u", op) + (int)(op % 300), op, op);
		assert_int_equal(query_int(f->db, sql), 1);
	}
}

/*
 * event_keys lists, for each block of 1024 events, exactly the types, pfn
 * frames and address regions of its events: none missing, none extra. Two
 * sessions interleave, and the frames are spread so widely that the writer's
 * set of keys fills up and is written out within a transaction.
 */
static void test_event_keys(void **state)
{
	static const int types[] = { MM_EV_mm_page_alloc, MM_EV_mm_page_free, MM_EV_translate };
	struct fixture *f = *state;
	char err[256];
	struct recorder *r = recorder_start(f->path, 1 << 16, err, sizeof(err));
	uint64_t x = 88172645463325252ull;
	struct mm_event ev;

	assert_non_null(r);
	for (uint64_t seq = 1; seq <= 60000; seq++) {
		for (int64_t session = 1; session <= 2; session++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			mm_event_init(&ev, types[x % 3]);
			if (x % 5)
				ev.pfn = x >> 40;	/* up to 2^24 pages: mostly a new frame each */
			if ((x >> 20) % 3 == 0)
				ev.vaddr = x % 2 ? 0xffff888000000000ull + (x >> 30) : (x >> 24);
			recorder_event(r, session, seq, seq, &ev);
		}
	}
	recorder_stop(r);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events"), 120000);
	/* Every event's keys are listed for its block. */
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 "
				   "FROM event_keys k WHERE k.session_id = e.session_id AND k.kind = 0 "
				   "AND k.key = e.type AND k.block = e.seq >> 10)"), 0);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events e WHERE pfn IS NOT NULL AND "
				   "NOT EXISTS (SELECT 1 FROM event_keys k WHERE k.session_id = "
				   "e.session_id AND k.kind = 1 AND k.key = e.pfn >> 6 AND "
				   "k.block = e.seq >> 10)"), 0);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events e WHERE vaddr IS NOT NULL AND "
				   "NOT EXISTS (SELECT 1 FROM event_keys k WHERE k.session_id = "
				   "e.session_id AND k.kind = 2 AND k.key = e.vaddr >> 21 AND "
				   "k.block = e.seq >> 10)"), 0);
	/* Every listed block holds an event with that key. */
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM event_keys k WHERE NOT EXISTS ("
				   "SELECT 1 FROM events e WHERE e.session_id = k.session_id AND "
				   "e.seq BETWEEN k.block << 10 AND (k.block << 10) + 1023 AND "
				   "CASE k.kind WHEN 0 THEN e.type WHEN 1 THEN e.pfn >> 6 "
				   "ELSE e.vaddr >> 21 END = k.key)"), 0);
	/* The spread frames: many more keys than a transaction's set holds at once. */
	assert_true(query_int(f->db, "SELECT count(*) FROM event_keys WHERE kind = 1") > 60000);
	assert_true(query_int(f->db, "SELECT count(*) FROM event_keys WHERE kind = 2 AND key < 0") > 0);
}

/* A tiny ring: producers wait, nothing is lost, order holds. */
static void test_back_pressure(void **state)
{
	struct fixture *f = *state;
	struct recorder_stats st;
	char err[256];
	struct recorder *r = recorder_start(f->path, 4, err, sizeof(err));

	assert_non_null(r);
	queue_events(r, 2, 1, 20000);
	recorder_get_stats(r, &st);
	assert_true(st.waits > 0);
	recorder_stop(r);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events WHERE session_id = 2"), 20000);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events a JOIN events b ON "
				   "b.session_id = a.session_id AND b.seq = a.seq + 1 "
				   "WHERE a.session_id = 2"), 19999);
}

/* Stop without a sync: everything queued is committed before the thread ends. */
static void test_stop_flushes(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct recorder *r = recorder_start(f->path, 1 << 12, err, sizeof(err));

	assert_non_null(r);
	queue_events(r, 1, 1, 50000);
	recorder_op(r, 1, 1, "{\"op\":\"check\"}");
	recorder_op_end(r, 1, 1, 1, 50000);
	recorder_op(r, 1, 2, "{\"op\":\"noop\"}");
	recorder_op_end(r, 1, 2, 0, 0);
	recorder_stop(r);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events"), 50000);
	assert_int_equal(query_int(f->db, "SELECT last_seq FROM ops WHERE op_no = 1"), 50000);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM ops WHERE op_no = 2 AND first_seq IS NULL"), 1);
	assert_int_equal(query_int(f->db, "SELECT last_op FROM sessions WHERE id = 1"), 2);
}

/*
 * Replay snapshots go through the ring, after the events queued before them;
 * one the database refuses is dropped (a cache) and holds nothing back.
 */
static void test_snapshots(void **state)
{
	struct fixture *f = *state;
	struct recorder_stats st;
	char err[256];
	struct recorder *r = recorder_start(f->path, 1 << 12, err, sizeof(err));
	char *blob = malloc(3000);

	assert_non_null(r);
	assert_non_null(blob);
	memset(blob, 0xa5, 3000);
	queue_events(r, 1, 1, 20000);
	recorder_snapshot(r, 1, 2000, 20000, blob, 3000);
	assert_int_equal(recorder_sync(r), 0);
	recorder_get_stats(r, &st);
	assert_int_equal(st.snapshots_committed, 1);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM snapshots WHERE session_id = 1 AND "
				   "seq = 20000 AND op_no = 2000 AND length(state) = 3000"), 1);
	assert_int_equal(query_int(f->db, "SELECT hex(substr(state, 1, 2)) = 'A5A5' FROM snapshots"), 1);

	/* Refused: the events after it are stored all the same, in one piece. */
	sqlite3_exec(f->db, "CREATE TRIGGER refuse BEFORE INSERT ON snapshots "
		     "BEGIN SELECT RAISE(ABORT, 'no snapshots'); END;", NULL, NULL, NULL);
	blob = malloc(100);
	assert_non_null(blob);
	memset(blob, 1, 100);
	recorder_snapshot(r, 1, 2001, 20000, blob, 100);
	queue_events(r, 1, 20001, 1000);
	assert_int_equal(recorder_sync(r), 0);
	recorder_get_stats(r, &st);
	assert_false(st.failed);
	assert_int_equal(st.snapshots_committed, 1);
	recorder_stop(r);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events"), 21000);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM snapshots"), 1);
}

/* A failing database: the recorder says so, keeps the records, and recovers. */
static void test_failure_and_recovery(void **state)
{
	struct fixture *f = *state;
	struct recorder_stats st;
	char err[256];
	struct recorder *r;

	sqlite3_exec(f->db, "CREATE TABLE block (x); INSERT INTO block VALUES (1);"
		     "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN EXISTS (SELECT 1 FROM block) "
		     "BEGIN SELECT RAISE(ABORT, 'disk says no'); END;", NULL, NULL, NULL);
	r = recorder_start(f->path, 1 << 10, err, sizeof(err));
	assert_non_null(r);
	queue_events(r, 1, 1, 100);
	assert_int_equal(recorder_sync(r), -EIO);
	recorder_get_stats(r, &st);
	assert_true(st.failed);
	assert_true(st.queued == 100);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events"), 0);
	sqlite3_exec(f->db, "DELETE FROM block", NULL, NULL, NULL);
	for (int i = 0; i < 100 && st.failed; i++) {
		usleep(50000);
		recorder_get_stats(r, &st);
	}
	assert_false(st.failed);
	assert_int_equal(recorder_sync(r), 0);
	recorder_stop(r);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM events"), 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_op_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_back_pressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_and_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_checkpointed_apart, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
