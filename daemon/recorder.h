/*
 * recorder.h - every event and op of every session, into SQLite, off the
 * engine's thread.
 */
#ifndef MMLAB_RECORDER_H
#define MMLAB_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "mmlab.h"

struct recorder;

struct recorder_stats {
	uint64_t queued;		/* records waiting for the writer */
	uint64_t capacity;
	uint64_t events_committed;
	uint64_t ops_committed;
	uint64_t snapshots_committed;
	uint64_t transactions;
	uint64_t waits;			/* times a producer waited for room */
	double lag_seconds;		/* age of the oldest waiting record */
	bool failed;			/* the last write failed */
	char error[256];		/* why, when failed */
};

/*
 * The records mmlabd lets wait: room for two full transactions of the writer
 * (up to 16384 events, with an op and its end around each), about 30 MiB.
 */
#define RECORDER_CAPACITY	(1u << 17)

/*
 * Start a writer thread on its own connection to the database at @path.
 * @capacity records may wait between the engine and the writer; a producer
 * that finds the buffer full waits (back-pressure: nothing is dropped).
 */
struct recorder *recorder_start(const char *path, size_t capacity, char *err, size_t errlen);
/* Commit everything queued, then stop the writer and close its connection. */
void recorder_stop(struct recorder *r);

/* Queue one event of @session. */
void recorder_event(struct recorder *r, int64_t session, uint64_t seq, uint64_t op_no,
		    const struct mm_event *ev);
/*
 * Queue one op of the command log (@json is copied) before its events, so that
 * every stored event has its op stored too; recorder_op_end() records the seq
 * range the op produced (first_seq 0: none).
 */
void recorder_op(struct recorder *r, int64_t session, uint64_t op_no, const char *json);
void recorder_op_end(struct recorder *r, int64_t session, uint64_t op_no, uint64_t first_seq,
		     uint64_t last_seq);
/*
 * Queue replay snapshot @blob (malloc'd: the recorder's from now on, @len
 * bytes) of session @session after op @op_no, event @seq, for the snapshots
 * table. It is written after every event queued before it.
 */
void recorder_snapshot(struct recorder *r, int64_t session, uint64_t op_no, uint64_t seq,
		       void *blob, size_t len);
/* Wait until everything queued before this call is committed (or failed). */
int recorder_sync(struct recorder *r);

void recorder_get_stats(struct recorder *r, struct recorder_stats *st);

/*
 * How the writer stores an event: its connection's pragmas, its INSERT and
 * the binding of an event's typed fields (NULL where a field does not apply).
 * Shared with bench_recorder's raw loop, which stores the same rows.
 */
extern const char recorder_pragmas[];
extern const char recorder_event_sql[];
void recorder_bind_event(sqlite3_stmt *st, int64_t session, uint64_t seq, uint64_t op_no,
			 const struct mm_event *ev, const char *detail);

#endif
