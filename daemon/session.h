/*
 * session.h - live sessions: one simulated machine each, its op log and its
 * events, numbered 1, 2, 3, ... and handed to the recorder.
 */
#ifndef MMLAB_SESSION_H
#define MMLAB_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/stream.h"
#include "mmlab.h"

struct server;

/*
 * Session ids of daemon instance N (--instance) are N * SESSION_ID_SPAN + 1,
 * + 2, ...: several daemons behind one proxy never hand out the same id, and
 * the proxy finds a session's daemon in its id (the digits before the last
 * twelve; docs/deploy.md). Instance 0 numbers 1, 2, 3, ... as a lone daemon
 * always has. The largest id stays below 2^53, exact in JavaScript.
 */
#define SESSION_ID_SPAN		1000000000000LL
#define SESSION_MAX_INSTANCE	8999
/* An SQL expression for the next free id of the range that starts after the
 * parameter :base (instance * SESSION_ID_SPAN), to be used in the INSERT
 * itself, so that two inserts cannot take the same id. Put it after every
 * numbered parameter (?N) of the statement: SQLite gives a named parameter
 * the index after the largest seen so far, so before ?1 it would be index 1,
 * and binding ?1 would bind :base too. */
#define SESSION_NEXT_ID_SQL \
	"(SELECT coalesce(max(id), :base) + 1 FROM sessions WHERE id > :base AND " \
	"id < :base + 1000000000000)"
/* Bind :base of @st for @srv's instance. */
#define session_bind_id_base(st, srv) \
	sqlite3_bind_int64((st), sqlite3_bind_parameter_index((st), ":base"), \
			   (int64_t)(srv)->opt.instance * SESSION_ID_SPAN)
#define SESSION_NAME_MAX	64

/* A rendered view of the live machine, reused while the machine has not moved. */
#define SESSION_VIEW_CACHE	8

struct view_cache_entry {
	const char *key;		/* the route pattern (a static string) */
	uint64_t seq, op;		/* the machine's seq and ops when it was rendered */
	char *body;
	size_t len;
	const char *content_type;
	uint64_t used;
};

struct session {
	int64_t id;
	char name[SESSION_NAME_MAX];
	char created[32];
	char *machine_json;		/* normalised config */
	struct machine_config cfg;
	struct server *srv;
	pthread_mutex_t lock;		/* serialises ops and views of the machine */
	struct machine *m;
	uint64_t last_seq;		/* last event emitted */
	uint64_t last_op;		/* last op applied */
	uint64_t op_first_seq;		/* first event of the op being applied, 0 if none */
	uint64_t nr_ops_failed;
	uint64_t snap_seq;		/* last_seq when the machine was last offered as a snapshot */
	double snap_cost;		/* seconds that offer took (a clone), and its storing */
	double apply_since;		/* seconds spent applying ops since that offer */
	struct stream_hub hub;		/* recent events for stream clients */
	struct view_cache_entry view_cache[SESSION_VIEW_CACHE];	/* under lock */
	uint64_t view_cache_clock;
	int refs;			/* guarded by the registry lock */
	bool stopping;
	/* Memory: a session's machine is resident or hibernated (stored as a
	 * snapshot plus the ops after it, rebuilt on its next request). The
	 * fields below are guarded by the registry lock. */
	bool ready;			/* its machine was built once: requests may use it */
	bool resident;			/* s->m is set (written under both locks) */
	bool pinned;			/* never hibernates */
	bool hibernating;		/* chosen to leave memory */
	bool waking;			/* a request is bringing it back (session_wake()) */
	uint64_t bytes;			/* what its machine takes in memory */
	double last_used;		/* monotonic seconds of its last request */
	double last_used_wall;		/* the same, as a Unix time */
	uint64_t hibernations, wakes;
	/* The machine's figures, kept while it is not in memory. */
	uint64_t mem_map_bytes, present_pages, max_pfn;
	unsigned int nr_nodes, nr_cpus;
};

/* What the registry knows of the sessions in it (for /metrics). */
#define SESSION_WAKE_BUCKETS	8
struct sessions_stats {
	unsigned int resident, hibernated, pinned;
	uint64_t resident_bytes, max_memory;	/* of the sessions' machines; the budget */
	uint64_t replay_cache_bytes;		/* of the replay cache, also in the budget */
	uint64_t hibernations, wakes, wake_failures;
	double wake_seconds_sum;
	uint64_t wake_buckets[SESSION_WAKE_BUCKETS];	/* cumulative, by session_wake_bounds */
};
extern const double session_wake_bounds[SESSION_WAKE_BUCKETS];

/* One session as the choice of what hibernates sees it. */
struct session_lru_entry {
	double last_used;
	bool resident, idle, pinned;
};
/*
 * The least recently used of @n sessions that may hibernate: resident, idle
 * (no request or stream holds it) and not pinned; -1 when there is none.
 */
long session_lru_pick(const struct session_lru_entry *c, size_t n);

/* Mark sessions left "live" by a daemon that did not stop cleanly as crashed,
 * and start the "default" session. */
int sessions_init(struct server *srv, char *err, size_t errlen);
/* A stored session's state: "trace" for a real kernel's trace (schema 005). */
#define SESSION_STATE_SQL \
	"CASE WHEN id IN (SELECT session_id FROM trace_sessions) THEN 'trace' ELSE state END"

/* Close every live session (state "closed") and free the machines. */
void sessions_shutdown(struct server *srv);

/*
 * Create a live session with a machine from @machine (a JSON object of
 * engine.md section 1 keys, or NULL). Idle sessions hibernate, least recently
 * used first, to leave it room within --max-memory. On failure NULL, with @e
 * filled and *@status the HTTP status that fits (400 bad config, 429 no room:
 * every resident session in use or pinned, 500).
 */
struct session *session_create(struct server *srv, const char *name, json_t *machine,
			       struct mm_error *e, unsigned int *status);
/*
 * A live session by id, with a reference and its machine in memory (woken
 * when it hibernated); NULL when there is none, or (with @e->err set) when it
 * cannot be woken. session_get() is the same without the reason.
 */
struct session *session_get_ex(struct server *srv, int64_t id, struct mm_error *e);
struct session *session_get(struct server *srv, int64_t id);
/* A live session by id, with a reference, left as it is (s->m may be NULL). */
struct session *session_find(struct server *srv, int64_t id);
void session_put(struct session *s);
/* Note a use of @s now (it hibernates after those used less recently). */
void session_touch(struct session *s);
/* Pin (or unpin) live session @id; -ENOENT when not live. */
int session_set_pinned(struct server *srv, int64_t id, bool pinned);
/*
 * Hibernate live session @id now: 0, -ENOENT when not live, -EBUSY when a
 * request or stream holds it or it is pinned, another errno with @e filled.
 */
int session_hibernate(struct server *srv, int64_t id, struct mm_error *e);
void sessions_get_stats(struct server *srv, struct sessions_stats *st);
/*
 * The replay cache's share of the --max-memory budget: @bytes taken only
 * when they are free (a cache may forget, a session is never hibernated for
 * it), and given back when the cache drops the machine.
 */
bool sessions_budget_take_cache(struct server *srv, uint64_t bytes);
void sessions_budget_release_cache(struct server *srv, uint64_t bytes);
/* Each live session's id, machine size and residence (malloc'd; *@out NULL when none). */
struct session_bytes {
	int64_t id;
	uint64_t bytes;
	bool resident;
};
size_t sessions_get_bytes(struct server *srv, struct session_bytes **out);
/* The budget for resident machines from the host's RAM: half of it. */
uint64_t sessions_default_max_memory(void);
/* Stop a live session; its record stays stored. -ENOENT when not live. */
int session_stop(struct server *srv, int64_t id);

/* {"sessions":[...]}: the live ones and the stored ones. */
json_t *sessions_list_json(struct server *srv);
/* One session with its config and counters; stored sessions from the database.
 * NULL when @id is unknown. */
json_t *session_info_json(struct server *srv, int64_t id);

/* Record that @s was forked from @parent at event @seq. */
void session_set_parent(struct server *srv, struct session *s, int64_t parent, uint64_t seq);

/*
 * The view @key rendered at @seq (and the current op count: an op that
 * changed nothing visible still renews it), as a malloc'd copy, NULL on a
 * miss; and keeping one. The caller holds s->lock.
 */
char *session_cache_get(struct session *s, const char *key, uint64_t seq, size_t *len,
			const char **content_type);
void session_cache_put(struct session *s, const char *key, uint64_t seq, const char *body,
		       size_t len, const char *content_type);

/*
 * A batch of ops, applied one at a time under the session lock, between
 * session_batch_begin() and session_batch_end(): session_batch_op() records
 * @op in the op log as @text (its compact JSON; NULL: dumped here), applies
 * it and returns its result. After the end, first_seq..last_seq are the
 * events the batch produced.
 */
struct session_batch {
	uint64_t first_seq, last_seq;
	uint64_t failed_before;
	size_t nr_ops;
};

void session_batch_begin(struct session *s, struct session_batch *b);
json_t *session_batch_op(struct session *s, struct session_batch *b, json_t *op,
			 const char *text);
void session_batch_end(struct session *s, struct session_batch *b);

/* Apply @ops (an array of op objects) under the session lock; see ops.c. */
json_t *session_apply(struct session *s, json_t *ops);

#endif
