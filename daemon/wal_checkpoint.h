/*
 * wal_checkpoint.h - a writing connection's WAL checkpointed by a thread of
 * its own, so that the writer never stops for the copy into the database
 * file and its fsync (SQLite's automatic checkpoint runs in the committing
 * thread).
 *
 * After each commit of the writing connection (its WAL hook, which takes the
 * place of the automatic checkpoint) the thread is asked for a PASSIVE
 * checkpoint, as the automatic one would do: it copies what no reader still
 * needs. A commit that leaves WAL_CHECKPOINT_FRAMES pages or more in the WAL
 * waits for that checkpoint, so that the next transaction starts the WAL
 * again and the file stays near 16 MiB however long the writing goes on.
 */
#ifndef MMLAB_WAL_CHECKPOINT_H
#define MMLAB_WAL_CHECKPOINT_H

#include <sqlite3.h>

#define WAL_CHECKPOINT_FRAMES 4096	/* WAL pages (16 MiB) past which a commit waits */

struct wal_checkpointer;

/*
 * Checkpoint @db's WAL (the database file at @path) from a thread named
 * @name. NULL when the thread or its connection cannot be had: @db then
 * keeps SQLite's automatic checkpoint.
 */
struct wal_checkpointer *wal_checkpointer_start(sqlite3 *db, const char *path, const char *name);

/* The last checkpoint asked for done, the thread gone, @db's automatic checkpoint back. */
void wal_checkpointer_stop(struct wal_checkpointer *c);

#endif
