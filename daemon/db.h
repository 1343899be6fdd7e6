/*
 * db.h - the SQLite database: opening, WAL, migrations.
 */
#ifndef MMLAB_DB_H
#define MMLAB_DB_H

#include <stddef.h>
#include <stdint.h>
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
 * sqlite3_step() that outlasts a busy database for up to about 30 seconds
 * (the recorder may be committing the hundreds of thousands of events of a
 * compaction scenario). The busy timeout covers a write lock held by another connection, but not
 * a connection shared by request threads: while one thread reads through
 * it, another thread's write on it must upgrade that older read snapshot,
 * and once the recorder has committed since, SQLite refuses at once
 * (SQLITE_BUSY_SNAPSHOT) instead of waiting. Then the statement is reset
 * and tried again.
 */
int db_step_retry(sqlite3_stmt *st);

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

/*
 * event_keys (schema/004_event_keys.sql): the blocks of 1024 events of a
 * session that hold an event of a type, on a 256 KiB frame of pfns (64
 * pages), or in a 2 MiB region of virtual addresses. The recorder writes
 * them with the events; readers find the blocks there and the events in them
 * by seq. (Frames of 512 pages made a page's history twice as slow to read
 * in a 3M-event session, for no gain in recording; of 8 pages, recording
 * 20-30 % slower.)
 */
#define EVENT_BLOCK_SHIFT	10

enum event_key_kind {
	EVENT_KEY_TYPE = 0,	/* key: the event type */
	EVENT_KEY_PFN = 1,	/* key: pfn >> 6 */
	EVENT_KEY_VADDR = 2,	/* key: vaddr >> 21, sign-extended as SQLite's >> does */
};

static inline int64_t event_key_pfn(uint64_t pfn)
{
	return (int64_t)(pfn >> 6);
}

static inline int64_t event_key_vaddr(uint64_t vaddr)
{
	return (int64_t)vaddr >> 21;	/* arithmetic, as in SQL */
}

/*
 * The FROM and the join condition that read the events of the blocks listed
 * under one key: "k" (event_keys) is the outer loop, in block order, "e"
 * (events) the inner one. The caller adds the key's bounds, "k.kind = ",
 * "k.key = " and its own conditions on e, and orders by "k.block, e.seq".
 */
#define EVENTS_BY_KEY_FROM							\
	"event_keys k CROSS JOIN events e "					\
	"ON e.session_id = k.session_id AND e.seq BETWEEN k.block << 10 "	\
	"AND (k.block << 10) + 1023"

#endif
