/*
 * db.h - the SQLite database: opening, WAL, migrations.
 */
#ifndef MMLAB_DB_H
#define MMLAB_DB_H

#include <stddef.h>
#include <sqlite3.h>

#include "daemon/schema.h"

/*
 * Open (creating it and its directory if needed) the database at @path, switch
 * it to WAL and apply the pending migrations of schema/. A database newer
 * than this mmlabd is refused. Returns NULL with a message in @err.
 */
sqlite3 *db_open(const char *path, char *err, size_t errlen);
void db_close(sqlite3 *db);

/*
 * Apply @migrations[0..n) whose version is above PRAGMA user_version, each in
 * its own transaction, and record the version. 0 or -1 with @err.
 */
int db_migrate(sqlite3 *db, const struct schema_migration *migrations, unsigned int n,
	       char *err, size_t errlen);

/* The highest migration this build knows. */
int db_schema_version(void);

/* Create the directories above @path (mkdir -p of its dirname). */
int db_make_parent_dirs(const char *path);

#endif
