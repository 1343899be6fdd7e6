/*
 * replay.h - a session's machine at any past moment, rebuilt from its stored
 * config and op log; and verification of a stored session against a fresh
 * re-execution.
 */
#ifndef MMLAB_REPLAY_H
#define MMLAB_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "mmlab.h"

struct server;

struct replay {
	struct server *srv;
	struct machine *m;
	int64_t session;
	uint64_t seq;		/* the machine is as just after this event */
	uint64_t op_no;		/* ops applied completely */
	bool mid_op;		/* stopped inside op op_no + 1: for reading only */
	uint64_t last_seq;	/* the session's last stored event */
};

/*
 * Rebuild session @id as it was just after event @seq (UINT64_MAX: its end).
 * A seq inside the machine's creation gives the machine as created. Returns
 * 0, -ENOENT for an unknown session, -ERANGE for a seq beyond the session,
 * or another negative errno with @e filled.
 */
int replay_session(struct server *srv, int64_t id, uint64_t seq, struct replay *out,
		   struct mm_error *e);
/*
 * Done reading @r->m (views only read it): a machine at an op boundary goes
 * into the cache of boundaries as it is, one inside an op is freed.
 */
void replay_release(struct replay *r);

/*
 * Apply session @id's stored ops after op *@op_no to @m (the machine after
 * them, event *@seq), updating both; ops that emitted no event are among them.
 */
int replay_apply_ops(struct server *srv, int64_t id, struct machine *m, uint64_t *op_no,
		     uint64_t *seq, struct mm_error *e);

/*
 * Re-execute session @id and compare every event with the stored one.
 * Returns {"ok":true,"events":N,"ops":M} or {"ok":false,"seq":first differing
 * seq,"expected":...,"actual":...}; NULL with @e filled on error.
 */
json_t *replay_verify(struct server *srv, int64_t id, struct mm_error *e);

/* Forget the cached machines of session @id (when it is deleted). */
void replay_forget(struct server *srv, int64_t id);
/* Free every cached machine. */
void replay_cache_clear(struct server *srv);
/*
 * Free the least recently used cached machine, its bytes back in the
 * budget: the cache's room goes to a session before any session hibernates.
 * False when the cache is empty.
 */
bool replay_cache_evict(struct server *srv);

#endif
