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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/db.h"

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
	/* 003 dropped two indexes; the ones the API's queries use are there. */
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
				   "('events_by_paddr', 'events_by_op')"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
				   "('events_by_type', 'events_by_pfn', 'events_by_vaddr')"), 3);
	assert_int_equal(query_int(db, "SELECT sum(pfn) FROM events WHERE session_id = 7"), 85);
	assert_int_equal(query_int(db, "SELECT last_seq FROM sessions WHERE id = 7"), 2);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO scenario_runs VALUES (7, 1, 'zones', 1, 2, '{}')",
				      NULL, NULL, NULL), SQLITE_OK);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
