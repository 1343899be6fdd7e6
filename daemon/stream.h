/*
 * stream.h - the live stream of a session (GET .../stream, Server-Sent
 * Events): event batches and a state summary at most every 100 ms.
 */
#ifndef MMLAB_STREAM_H
#define MMLAB_STREAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "mmlab.h"

#define STREAM_RING_SIZE	(1u << 16)	/* events kept for readers; a power of two */
#define STREAM_MAX_CLIENTS	1024	/* default of --max-streams */

struct stream_slot;

/* A message built once for every client at the same place (stream.c). */
struct stream_shared {
	uint64_t a, b;			/* what it is of: events a..b, or summary seq a at tick b */
	char *text;
	size_t len;
};

/*
 * A session's ring of recent events. The engine's thread writes it without a
 * lock and never waits; readers copy out what they need and notice, from the
 * slot's seq, when the writer has lapped them (they then get a "resync").
 */
struct stream_hub {
	struct stream_slot *ring;	/* allocated when the first client comes */
	_Atomic uint64_t head;		/* last seq written */
	atomic_int clients;
	pthread_mutex_t shared_lock;	/* guards the two below */
	struct stream_shared events, summary;
};

void stream_hub_init(struct stream_hub *hub);
void stream_hub_destroy(struct stream_hub *hub);
/* No client left: free the ring and the shared texts (the engine's lock held;
 * the next client allocates them again). */
void stream_hub_shrink(struct stream_hub *hub);
/* Engine thread: publish event @seq (cheap; a no-op without clients). */
void stream_publish(struct stream_hub *hub, uint64_t seq, uint64_t op_no, const struct mm_event *ev);
/* Engine thread, after an op batch: wake the readers. */
void stream_notify(struct stream_hub *hub);

/* The thread that resumes waiting streams: start it before the HTTP server. */
int stream_start(char *err, size_t errlen);
/* The daemon is stopping: resume every waiting stream, to say so and end. */
void stream_wake_all(void);
/* How many streams wait, suspended (none may be when libmicrohttpd stops). */
unsigned int stream_suspended(void);
/* Stop that thread, after the HTTP server. */
void stream_stop(void);

#endif
