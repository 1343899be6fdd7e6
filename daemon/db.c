/*
 * db.c - the SQLite database behind sessions, ops and events.
 *
 * One file, WAL journal (readers never block the recorder), synchronous =
 * NORMAL (a power cut may lose the last transactions, never corrupt the
 * file). The schema grows by numbered migrations compiled in from schema/;
 * PRAGMA user_version holds the last one applied.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/db.h"
#include "daemon/ftrace.h"
#include "daemon/log.h"
#include "mmlab.h"

int db_schema_version(void)
{
	int v = 0;

	for (unsigned int i = 0; i < schema_nr_migrations; i++)
		if (schema_migrations[i].version > v)
			v = schema_migrations[i].version;
	return v;
}

int db_make_parent_dirs(const char *path)
{
	char *copy = strdup(path);
	char *p;

	if (!copy)
		return -ENOMEM;
	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) && errno != EEXIST) {
			int err = -errno;

			free(copy);
			return err;
		}
		*p = '/';
	}
	free(copy);
	return 0;
}

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * A tracepoint the engine has come to report that an earlier import stored
 * under an id of its own (FTRACE_TYPE_BASE and up): its events and keys take
 * the engine's id, and the name is the engine's alone (names are unique).
 */
static int adopt_trace_types(sqlite3 *db)
{
	static const char sql[] =
		"UPDATE event_types SET name = '~' || name WHERE id = ?3;"
		"INSERT OR IGNORE INTO event_types (id, name) VALUES (?1, ?2);"
		"UPDATE events SET type = ?1 WHERE type = ?3;"
		"UPDATE event_keys SET key = ?1 WHERE kind = 0 AND key = ?3;"
		"DELETE FROM event_types WHERE id = ?3;";
	sqlite3_stmt *find;
	int rc = SQLITE_OK;

	if (sqlite3_prepare_v2(db, "SELECT id FROM event_types WHERE name = ? AND id >= ?", -1,
			       &find, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	for (int t = MM_EV_NONE + 1; t < MM_EV_NR_TYPES && rc == SQLITE_OK; t++) {
		const char *tail = sql;
		int old;

		sqlite3_bind_text(find, 1, mm_event_type_name(t), -1, SQLITE_STATIC);
		sqlite3_bind_int(find, 2, FTRACE_TYPE_BASE);
		old = sqlite3_step(find) == SQLITE_ROW ? sqlite3_column_int(find, 0) : 0;
		sqlite3_reset(find);
		while (old && *tail && rc == SQLITE_OK) {
			sqlite3_stmt *st;

			rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
			if (rc != SQLITE_OK || !st)
				break;
			sqlite3_bind_int(st, 1, t);
			if (sqlite3_bind_parameter_count(st) >= 2)
				sqlite3_bind_text(st, 2, mm_event_type_name(t), -1, SQLITE_STATIC);
			if (sqlite3_bind_parameter_count(st) >= 3)
				sqlite3_bind_int(st, 3, old);
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
			sqlite3_finalize(st);
		}
	}
	sqlite3_finalize(find);
	return rc;
}

/* Keep event_types in step with the engine's list (new types are appended). */
static int sync_event_types(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (adopt_trace_types(db) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO event_types (id, name) VALUES (?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (int t = MM_EV_NONE + 1; t < MM_EV_NR_TYPES && rc != SQLITE_ERROR; t++) {
		sqlite3_bind_int(st, 1, t);
		sqlite3_bind_text(st, 2, mm_event_type_name(t), -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	/* the tracepoints of imported traces that the engine does not have */
	if (sqlite3_prepare_v2(db, "SELECT id, name FROM event_types WHERE id >= ?", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int(st, 1, FTRACE_TYPE_BASE);
		while (sqlite3_step(st) == SQLITE_ROW)
			ftrace_type_register(sqlite3_column_int(st, 0),
					     (const char *)sqlite3_column_text(st, 1));
		sqlite3_finalize(st);
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot record event types: %s", sqlite3_errmsg(db));
	return -1;
}

int db_migrate(sqlite3 *db, const struct schema_migration *migrations, unsigned int n,
	       char *err, size_t errlen)
{
	int current = user_version(db), latest = 0;
	char *msg = NULL;
	char pragma[64];

	for (unsigned int i = 0; i < n; i++)
		if (migrations[i].version > latest)
			latest = migrations[i].version;
	if (current < 0) {
		snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (current > latest) {
		snprintf(err, errlen,
			 "the database has schema version %d, newer than this mmlabd knows (%d): "
			 "use a newer mmlabd or another --db", current, latest);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct schema_migration *m = &migrations[i];

		if (m->version <= current)
			continue;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", m->version);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, m->sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %s failed: %s", m->name,
				 msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("database migrated to schema %d (%s)", m->version, m->name);
		current = m->version;
	}
	return 0;
}

sqlite3 *db_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	if (db_make_parent_dirs(path)) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", path, strerror(errno));
		return NULL;
	}
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
			 "PRAGMA foreign_keys = ON;", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot use database %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		return NULL;
	}
	if (db_migrate(db, schema_migrations, schema_nr_migrations, err, errlen) ||
	    sync_event_types(db, err, errlen)) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

int db_step_retry(sqlite3_stmt *st)
{
	int rc;

	for (int tries = 0;; tries++) {
		rc = sqlite3_step(st);
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) || tries == 1500)
			return rc;
		sqlite3_reset(st);
		sqlite3_sleep(20);
	}
}

void db_close(sqlite3 *db)
{
	if (!db)
		return;
	/* Fold the WAL back into the main file so the database is one file at rest. */
	sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close_v2(db);
}
