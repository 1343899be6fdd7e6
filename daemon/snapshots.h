/*
 * snapshots.h - replay snapshots kept in the database (snapshots.c).
 */
#ifndef MMLAB_SNAPSHOTS_H
#define MMLAB_SNAPSHOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlab.h"

struct recorder;
struct server;
struct snapshots;

/* The thread that compresses them for @rec to store; NULL with @err. */
struct snapshots *snapshots_start(struct recorder *rec, char *err, size_t errlen);
/* Store what is queued, then stop. NULL is fine. */
void snapshots_stop(struct snapshots *s);

/*
 * Offer the machine after op @op_no (event @seq) of session @id for storing.
 * Never waits for the database: a copy is queued unless the queue is full
 * or (when @maybe_stored: a replay's moment, not a live one) the store
 * already holds that moment for this engine build. True when queued.
 */
bool snapshots_offer(struct server *srv, int64_t id, uint64_t op_no, uint64_t seq,
		     const struct machine *m, bool maybe_stored);

/*
 * Store @m, session @id after op @op_no (event @seq), now, in the calling
 * thread, and wait until it is committed (unless that moment is stored
 * already). 0, or a negative errno with @e filled: nothing is then known to
 * be stored. For a machine about to leave memory (a hibernating session).
 */
int snapshots_store_now(struct server *srv, int64_t id, uint64_t op_no, uint64_t seq,
			const struct machine *m, struct mm_error *e);

/*
 * The stored machine of session @id at the latest op boundary with
 * @after < seq <= @seq that this engine build wrote, with its op_no and seq;
 * NULL when there is none (or it cannot be read: the replay starts earlier).
 */
struct machine *snapshots_find(struct server *srv, int64_t id, uint64_t after, uint64_t seq,
			       uint64_t *op_no, uint64_t *at_seq);

/*
 * Seconds the snapshot thread takes to store (serialise and compress) a
 * machine the size of @m, from the last ones it stored; 0 before the first.
 */
double snapshots_store_cost(struct server *srv, const struct machine *m);
/* Replays started from a stored snapshot since the start (for /metrics). */
uint64_t snapshots_loaded(const struct snapshots *s);

#endif
