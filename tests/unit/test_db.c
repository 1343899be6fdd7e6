/*
 * test_db.c - the database's migrations (daemon/db.c): a fresh database gets
 * every migration, an older one is upgraded in place with its data intact,
 * a newer one is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/db.h"
#include "daemon/ftrace.h"
#include "mmlab.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mmlab-db-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/sub/dir/t.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A new file, in directories that do not exist yet, gets the whole schema. */
static void test_fresh(void **state)
{
	char err[256];
	sqlite3 *db;

	(void)state;
	db = db_open(path, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(query_int(db, "PRAGMA user_version"), db_schema_version());
	assert_true(db_schema_version() >= 3);
	assert_int_equal(query_int(db, "SELECT count(*) FROM scenario_runs"), 0);
	assert_true(query_int(db, "SELECT count(*) FROM event_types") > 40);
	db_close(db);
}

/*
 * A tracepoint an import stored under an id of its own (10000 and up) that
 * the engine now reports: on the next open its events and type keys take the
 * engine's id, which has the name alone.
 */
static void test_trace_type_adopted_by_the_engine(void **state)
{
	char err[256], sql[512];
	sqlite3 *db;

	(void)state;
	db = db_open(path, err, sizeof(err));
	assert_non_null(db);
	snprintf(sql, sizeof(sql),
		 "DELETE FROM event_types WHERE id = %d;"
		 "INSERT INTO event_types VALUES (%d, 'mm_page_free_batched');"
		 "INSERT INTO sessions (name, created, machine, engine_version, seed) "
		 "VALUES ('t', '2026-01-01', '{}', 'x', 1);"
		 "INSERT INTO events (session_id, seq, op_no, type) VALUES (1, 1, 0, %d), (1, 2, 0, %d);"
		 "INSERT INTO event_keys VALUES (1, 0, %d, 0);",
		 MM_EV_mm_page_free_batched, FTRACE_TYPE_BASE + 3, FTRACE_TYPE_BASE + 3,
		 MM_EV_mm_page_alloc, FTRACE_TYPE_BASE + 3);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	db = db_open(path, err, sizeof(err));
	assert_non_null(db);
	snprintf(sql, sizeof(sql), "SELECT type FROM events WHERE seq = 1");
	assert_int_equal(query_int(db, sql), MM_EV_mm_page_free_batched);
	assert_int_equal(query_int(db, "SELECT type FROM events WHERE seq = 2"), MM_EV_mm_page_alloc);
	assert_int_equal(query_int(db, "SELECT key FROM event_keys WHERE kind = 0"),
			 MM_EV_mm_page_free_batched);
	assert_int_equal(query_int(db, "SELECT id FROM event_types WHERE name = 'mm_page_free_batched'"),
			 MM_EV_mm_page_free_batched);
	assert_int_equal(query_int(db, "SELECT count(*) FROM event_types WHERE id >= 10000"), 0);
	assert_int_equal(query_int(db, "PRAGMA foreign_key_check"), -1);	/* no row */
	db_close(db);
}

/* A version-1 database with a session in it is upgraded; nothing is lost. */
static void test_upgrade_from_1(void **state)
{
	char err[256];
	sqlite3 *db;

	(void)state;
	assert_int_equal(db_make_parent_dirs(path), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* Only the first migration: the schema as the previous release made it. */
	assert_int_equal(db_migrate(db, schema_migrations, 1, err, sizeof(err)), 0);
	assert_int_equal(query_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(sqlite3_exec(db,
		"INSERT INTO event_types VALUES (11, 'mm_page_alloc');"
		"INSERT INTO sessions (id, name, created, machine, engine_version, seed, last_seq) "
		"VALUES (7, 'old', 'then', '{}', '0.0.1', 1, 2);"
		"INSERT INTO events (session_id, seq, op_no, type, pfn) VALUES (7, 1, 0, 11, 42), (7, 2, 1, 11, 43);",
		NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'scenario_runs'"), 0);
	sqlite3_close(db);

	db = db_open(path, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(query_int(db, "PRAGMA user_version"), db_schema_version());
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'scenario_runs'"), 1);
	/* 003 and 004 dropped the per-event indexes; event_keys lists the blocks. */
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
				   "AND tbl_name = 'events' AND sql IS NOT NULL"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM event_keys WHERE session_id = 7"), 2);
	assert_int_equal(query_int(db, "SELECT sum(pfn) FROM events WHERE session_id = 7"), 85);
	assert_int_equal(query_int(db, "SELECT last_seq FROM sessions WHERE id = 7"), 2);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO scenario_runs VALUES (7, 1, 'zones', 1, 2, '{}')",
				      NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
}

/*
 * A version-3 database gets event_keys filled from the events it holds, with
 * the keys the recorder computes (db.h): a kernel address's region is
 * negative in SQL as in C.
 */
static void test_upgrade_from_3(void **state)
{
	static const struct { uint64_t seq; int type; uint64_t pfn, vaddr; } ev[] = {
		{ 1, 11, 0x1234, UINT64_MAX },
		{ 2, 11, 0x1235, UINT64_MAX },			/* same keys as seq 1 */
		{ 1023, 12, UINT64_MAX, 0xffff888000100000ull },
		{ 1024, 12, 0x1234, 0x7f0000000000ull },	/* the next block */
	};
	char err[256], sql[256];
	sqlite3 *db;

	(void)state;
	assert_int_equal(db_make_parent_dirs(path), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(db_migrate(db, schema_migrations, 3, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_exec(db,
		"INSERT INTO event_types VALUES (11, 'mm_page_alloc'), (12, 'translate');"
		"INSERT INTO sessions (id, name, created, machine, engine_version, seed, last_seq) "
		"VALUES (3, 'old', 'then', '{}', '0.0.1', 1, 1024);", NULL, NULL, NULL), SQLITE_OK);
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO events (session_id, seq, op_no, "
						    "type, pfn, vaddr) VALUES (3, ?, 1, ?, ?, ?)", -1,
						    &st, NULL), SQLITE_OK);
		sqlite3_bind_int64(st, 1, (int64_t)ev[i].seq);
		sqlite3_bind_int(st, 2, ev[i].type);
		if (ev[i].pfn != UINT64_MAX)
			sqlite3_bind_int64(st, 3, (int64_t)ev[i].pfn);
		if (ev[i].vaddr != UINT64_MAX)
			sqlite3_bind_int64(st, 4, (int64_t)ev[i].vaddr);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);

	db = db_open(path, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(query_int(db, "PRAGMA user_version"), db_schema_version());
	/* types: 11 and 12 in block 0, 12 in block 1; pfns: one frame in each; vaddrs: one each */
	assert_int_equal(query_int(db, "SELECT count(*) FROM event_keys WHERE session_id = 3"), 7);
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		int64_t block = (int64_t)(ev[i].seq >> EVENT_BLOCK_SHIFT);

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM event_keys WHERE session_id = 3 AND "
			 "kind = %d AND key = %d AND block = %lld", EVENT_KEY_TYPE, ev[i].type,
			 (long long)block);
		assert_int_equal(query_int(db, sql), 1);
		if (ev[i].pfn != UINT64_MAX) {
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM event_keys WHERE session_id = 3 "
				 "AND kind = %d AND key = %lld AND block = %lld", EVENT_KEY_PFN,
				 (long long)event_key_pfn(ev[i].pfn), (long long)block);
			assert_int_equal(query_int(db, sql), 1);
		}
		if (ev[i].vaddr != UINT64_MAX) {
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM event_keys WHERE session_id = 3 "
				 "AND kind = %d AND key = %lld AND block = %lld", EVENT_KEY_VADDR,
				 (long long)event_key_vaddr(ev[i].vaddr), (long long)block);
			assert_int_equal(query_int(db, sql), 1);
		}
	}
	assert_true(event_key_vaddr(0xffff888000100000ull) < 0);
	db_close(db);
}

/* A database from a newer mmlabd is refused, untouched. */
static void test_newer_refused(void **state)
{
	char err[256];
	sqlite3 *db;

	(void)state;
	assert_int_equal(db_make_parent_dirs(path), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(db_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "schema version 999, newer than this mmlabd knows"));
}

/* A migration that fails leaves the version where it was. */
static void test_failed_migration_rolls_back(void **state)
{
	static const struct schema_migration broken[] = {
		{ 1, "001_ok", "CREATE TABLE a (x);" },
		{ 2, "002_broken", "CREATE TABLE b (y); THIS IS NOT SQL;" },
	};
	char err[256];
	sqlite3 *db;

	(void)state;
	assert_int_equal(db_make_parent_dirs(path), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(db_migrate(db, broken, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "002_broken"));
	assert_int_equal(query_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 0);
	sqlite3_close(db);
}

/*
 * A connection shared by threads: one thread's read keeps an old snapshot
 * open while another connection commits, so a write through the shared
 * connection is refused at once (SQLITE_BUSY_SNAPSHOT: no busy timeout
 * helps). db_step_retry() waits for the read to end and then writes.
 */
struct reader {
	sqlite3_stmt *st;
};

static void *end_read_later(void *arg)
{
	struct reader *r = arg;

	usleep(100 * 1000);
	sqlite3_finalize(r->st);
	return NULL;
}

static void test_step_retry_outlasts_a_shared_read(void **state)
{
	char err[256];
	sqlite3 *db, *other;
	sqlite3_stmt *ins;
	struct reader r;
	pthread_t t;

	(void)state;
	db = db_open(path, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);",
				      NULL, NULL, NULL), SQLITE_OK);
	/* a read left half done on the shared connection */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT x FROM t", -1, &r.st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(r.st), SQLITE_ROW);
	/* the other writer (the recorder) commits */
	assert_int_equal(sqlite3_exec(other, "INSERT INTO t VALUES (3)", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (4)", -1, &ins, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(ins) & 0xff, SQLITE_BUSY);	/* at once */
	sqlite3_reset(ins);
	assert_int_equal(pthread_create(&t, NULL, end_read_later, &r), 0);
	assert_int_equal(db_step_retry(ins), SQLITE_DONE);
	pthread_join(t, NULL);
	sqlite3_finalize(ins);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 4);
	sqlite3_close(other);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_type_adopted_by_the_engine, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_retry_outlasts_a_shared_read, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
