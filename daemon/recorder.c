/*
 * recorder.c - the writer between the engines and SQLite.
 *
 * Design notes
 *  The engines run on request threads; SQLite runs here, on one writer thread
 *  with its own connection. Between them is a bounded ring of fixed-size
 *  records (an event with its typed fields, or an op of the command log).
 *
 *  Invariants:
 *  1. Records of one session are committed in the order they were queued, so
 *     the stored events of a session are always 1..last_seq without a gap.
 *  2. Nothing is dropped: a producer that finds the ring full waits for room
 *     (back-pressure), and a batch whose transaction failed is kept and
 *     retried, never discarded.
 *  3. sessions.last_seq / last_op are updated in the same transaction as the
 *     rows they count, so after a crash they describe exactly what is stored.
 *  4. An op is queued before its events (and its seq range after them), so
 *     every stored event has its op stored: a crashed session replays up to
 *     its last stored event.
 *  5. The writer copies a batch out of the ring and gives its slots back
 *     before writing it, so the engines keep running (and filling the ring
 *     for the next transaction) while one commits. The batch is kept until
 *     it is committed: a failed one is retried from the copy.
 *  6. The event_keys rows of an event (db.h) are written in the transaction
 *     that writes the event, so a block is listed under every key of every
 *     stored event in it.
 *  7. Replay snapshots (snapshots.c) go through the ring too, queued after
 *     the events they follow: the writer holds the database's one write
 *     lock nearly all the time under load, and a second writer waiting for
 *     it would starve. A snapshot that cannot be stored is dropped: it is a
 *     cache, never the record, and never holds the events back.
 *  8. The writer does not checkpoint the WAL: a thread of its own does
 *     (wal_checkpoint.h), so that the copy into the database file and its
 *     fsync never stop the writing. Done in the commit's thread, as SQLite
 *     does by default, they left both cores idle for a quarter of the time
 *     under load, with the engines waiting for ring room.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/log.h"
#include "daemon/recorder.h"
#include "daemon/wal_checkpoint.h"

/*
 * A transaction holds up to BATCH_EVENTS events, with their ops around them
 * (an op and its end are two more records: up to three records an event).
 */
#define BATCH_EVENTS	16384
#define BATCH_MAX	(3 * BATCH_EVENTS)
#define DETAIL_MAX	80
#define RETRY_MS	500

/*
 * Rows go in ROWS at a time, through one INSERT of ROWS rows: each execution
 * of a statement opens its cursors anew, and this SQLite (built without
 * lookaside) mallocs them, on the heap the engines' threads use.
 */
#define ROWS		32

enum record_kind { RECORD_EVENT, RECORD_OP, RECORD_OP_END, RECORD_SNAPSHOT };

/*
 * The event_keys rows of the events of a transaction, each once: an
 * open-addressed set, written out when half full and before the commit. An
 * event adds one to three keys, and most repeat those of the events before it.
 */
#define KEYS_SLOTS	(1u << 15)

struct event_key {
	int64_t session, key, block;
	int32_t kind;
	bool full;
};

struct key_set {
	struct event_key slot[KEYS_SLOTS];
	uint32_t used[KEYS_SLOTS / 2];	/* the full slots, in the order they filled */
	uint32_t nr;
};

struct record {
	uint8_t kind;
	int64_t session;
	uint64_t seq;		/* event: its seq; op: first_seq */
	uint64_t op_no;
	uint64_t last_seq;	/* op: its last event; snapshot: the blob's length */
	uint64_t queued_ns;
	struct mm_event ev;	/* ev.detail points nowhere: see detail[] */
	char detail[DETAIL_MAX];	/* an event's detail, or a short op's JSON */
	char *json;		/* op or event: detail, malloc'd when longer; snapshot: the blob */
};

struct recorder {
	pthread_mutex_t lock;
	pthread_cond_t not_full, not_empty, committed;
	struct record *ring;
	size_t capacity, head, count;	/* records at head .. head + count */
	size_t inflight;		/* records in the writer's batch, not yet committed */
	uint64_t inflight_ns;		/* when the batch's first one was queued */
	uint64_t enqueued, done;	/* records ever queued / ever committed */
	bool stopping;
	pthread_t thread;
	sqlite3 *db;
	sqlite3_stmt *insert_event, *insert_op, *end_op, *update_session, *insert_key;
	sqlite3_stmt *insert_events, *insert_ops, *insert_keys;	/* ROWS rows at a time */
	sqlite3_stmt *insert_snapshot;
	bool snapshot_warned;
	struct recorder_stats stats;
	struct record *batch;		/* the writer's copy */
	struct key_set *keys;		/* the writer's */
	struct wal_checkpointer *ckpt;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reserve the next slot, waiting for room; returns it with the lock held. */
static struct record *reserve(struct recorder *r)
{
	struct record *rec;

	pthread_mutex_lock(&r->lock);
	if (r->count == r->capacity) {
		r->stats.waits++;
		while (r->count == r->capacity)
			pthread_cond_wait(&r->not_full, &r->lock);
	}
	rec = &r->ring[(r->head + r->count) % r->capacity];
	return rec;
}

static void publish(struct recorder *r)
{
	r->count++;
	r->enqueued++;
	if (r->count == 1 || r->count == BATCH_EVENTS)
		pthread_cond_signal(&r->not_empty);
	pthread_mutex_unlock(&r->lock);
}

void recorder_event(struct recorder *r, int64_t session, uint64_t seq, uint64_t op_no,
		    const struct mm_event *ev)
{
	size_t len = ev->detail ? strlen(ev->detail) : 0;
	struct record *rec;
	char *copy = NULL;

	/* A long detail (mark_victim's fields) is copied whole, outside the lock as
	 * recorder_op() does, and freed by the writer. */
	while (len >= DETAIL_MAX && !(copy = strdup(ev->detail)))
		usleep(1000);
	rec = reserve(r);
	rec->kind = RECORD_EVENT;
	rec->session = session;
	rec->seq = seq;
	rec->op_no = op_no;
	rec->queued_ns = now_ns();
	rec->ev = *ev;
	rec->ev.detail = NULL;
	rec->json = copy;
	if (!copy)
		memcpy(rec->detail, len ? ev->detail : "", len + 1);
	publish(r);
}

void recorder_op(struct recorder *r, int64_t session, uint64_t op_no, const char *json)
{
	size_t len = strlen(json);
	char *copy = NULL;
	struct record *rec;

	/* Most ops fit in the record: no malloc here and free on the writer's
	 * thread, which would contend for the one heap (see main.c). */
	while (len >= DETAIL_MAX && !(copy = strdup(json)))
		usleep(1000);	/* nothing is dropped, not even on a host ENOMEM */
	rec = reserve(r);
	rec->kind = RECORD_OP;
	rec->session = session;
	rec->op_no = op_no;
	rec->seq = rec->last_seq = 0;
	rec->queued_ns = now_ns();
	if (!copy)
		memcpy(rec->detail, json, len + 1);
	rec->json = copy;
	publish(r);
}

/* Queue a record without an event: an op's end, or a snapshot. */
static void queue(struct recorder *r, enum record_kind kind, int64_t session, uint64_t op_no,
		  uint64_t seq, uint64_t last_seq, void *json)
{
	struct record *rec = reserve(r);

	rec->kind = kind;
	rec->session = session;
	rec->op_no = op_no;
	rec->seq = seq;
	rec->last_seq = last_seq;
	rec->queued_ns = now_ns();
	rec->json = json;
	publish(r);
}

void recorder_snapshot(struct recorder *r, int64_t session, uint64_t op_no, uint64_t seq,
		       void *blob, size_t len)
{
	queue(r, RECORD_SNAPSHOT, session, op_no, seq, len, blob);
}

void recorder_op_end(struct recorder *r, int64_t session, uint64_t op_no, uint64_t first_seq,
		     uint64_t last_seq)
{
	if (first_seq)		/* else the op row already says "no events" */
		queue(r, RECORD_OP_END, session, op_no, first_seq, last_seq, NULL);
}

/* Bind a signed field that may not apply (MM_NA -> NULL). */
static void bind_int(sqlite3_stmt *st, int i, int64_t v, bool na)
{
	if (na)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

const char recorder_event_sql[] =
	"INSERT INTO events (session_id, seq, op_no, type, cpu, node, zone, \"order\", "
	"migratetype, level, gfp, pfn, vaddr, paddr, size, value, detail) "
	"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

/* Bind one event row to parameters @at + 1 .. @at + 17. */
static void bind_event(sqlite3_stmt *st, int at, int64_t session, uint64_t seq, uint64_t op_no,
		       const struct mm_event *ev, const char *detail)
{
	sqlite3_bind_int64(st, at + 1, session);
	sqlite3_bind_int64(st, at + 2, (int64_t)seq);
	sqlite3_bind_int64(st, at + 3, (int64_t)op_no);
	sqlite3_bind_int(st, at + 4, ev->type);
	bind_int(st, at + 5, ev->cpu, ev->cpu == MM_NA);
	bind_int(st, at + 6, ev->node, ev->node == MM_NA);
	bind_int(st, at + 7, ev->zone, ev->zone == MM_NA);
	bind_int(st, at + 8, ev->order, ev->order == MM_NA);
	bind_int(st, at + 9, ev->migratetype, ev->migratetype == MM_NA);
	bind_int(st, at + 10, ev->level, ev->level == MM_NA);
	bind_int(st, at + 11, ev->gfp, ev->gfp == 0);
	bind_int(st, at + 12, (int64_t)ev->pfn, ev->pfn == MM_NA_U64);
	bind_int(st, at + 13, (int64_t)ev->vaddr, ev->vaddr == MM_NA_U64);
	bind_int(st, at + 14, (int64_t)ev->paddr, ev->paddr == MM_NA_U64);
	bind_int(st, at + 15, (int64_t)ev->size, ev->size == MM_NA_U64);
	bind_int(st, at + 16, ev->value, ev->value == MM_NA);
	if (detail && detail[0])
		sqlite3_bind_text(st, at + 17, detail, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, at + 17);
}

void recorder_bind_event(sqlite3_stmt *st, int64_t session, uint64_t seq, uint64_t op_no,
			 const struct mm_event *ev, const char *detail)
{
	bind_event(st, 0, session, seq, op_no, ev, detail);
}

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* Bind row @i of @rows to the parameters after @at of @st. */
typedef void bind_row_fn(sqlite3_stmt *st, int at, const void *rows, size_t i);

/*
 * Insert rows 0..@n of @rows: ROWS at a time through @many (an INSERT of
 * ROWS rows), the rest one by one through @one. 0 or the SQLite error.
 */
static int write_rows(sqlite3_stmt *many, sqlite3_stmt *one, const void *rows, size_t n,
		      bind_row_fn *bind)
{
	int columns = sqlite3_bind_parameter_count(one), rc = 0;

	for (size_t i = 0; i < n && !rc;) {
		size_t k = n - i >= ROWS ? ROWS : 1;
		sqlite3_stmt *st = k == ROWS ? many : one;

		for (size_t j = 0; j < k; j++, i++)
			bind(st, (int)j * columns, rows, i);
		rc = step(st);
	}
	return rc;
}

static void bind_event_row(sqlite3_stmt *st, int at, const void *rows, size_t i)
{
	const struct record *rec = ((const struct record *const *)rows)[i];

	bind_event(st, at, rec->session, rec->seq, rec->op_no, &rec->ev,
		   rec->json ? rec->json : rec->detail);
}

static void bind_op_row(sqlite3_stmt *st, int at, const void *rows, size_t i)
{
	const struct record *rec = ((const struct record *const *)rows)[i];

	sqlite3_bind_int64(st, at + 1, rec->session);
	sqlite3_bind_int64(st, at + 2, (int64_t)rec->op_no);
	sqlite3_bind_text(st, at + 3, rec->json ? rec->json : rec->detail, -1, SQLITE_STATIC);
	/* Its seq range, when the op's end is in the same batch (merge_op_ends). */
	bind_int(st, at + 4, (int64_t)rec->seq, rec->seq == 0);
	bind_int(st, at + 5, (int64_t)rec->last_seq, rec->seq == 0);
}

static void bind_key_row(sqlite3_stmt *st, int at, const void *rows, size_t i)
{
	const struct key_set *ks = rows;
	const struct event_key *k = &ks->slot[ks->used[i]];

	sqlite3_bind_int64(st, at + 1, k->session);
	sqlite3_bind_int(st, at + 2, k->kind);
	sqlite3_bind_int64(st, at + 3, k->key);
	sqlite3_bind_int64(st, at + 4, k->block);
}

/* Write out (when @store) and forget the keys collected so far. 0 or the SQLite error. */
static int write_keys(struct recorder *r, bool store)
{
	struct key_set *ks = r->keys;
	int rc = store ? write_rows(r->insert_keys, r->insert_key, ks, ks->nr, bind_key_row) : 0;

	for (uint32_t i = 0; i < ks->nr; i++)
		ks->slot[ks->used[i]].full = false;
	ks->nr = 0;
	return rc;
}

static int add_key(struct recorder *r, int64_t session, int kind, int64_t key, int64_t block)
{
	struct key_set *ks = r->keys;
	uint64_t h = ((uint64_t)session * 0x9e3779b97f4a7c15ull) ^
		     ((uint64_t)key * 0xc2b2ae3d27d4eb4full) ^
		     ((uint64_t)block * 0x165667b19e3779f9ull) ^ (uint64_t)kind;
	uint32_t i;

	h ^= h >> 29;
	for (i = (uint32_t)h & (KEYS_SLOTS - 1); ks->slot[i].full; i = (i + 1) & (KEYS_SLOTS - 1)) {
		const struct event_key *k = &ks->slot[i];

		if (k->key == key && k->block == block && k->kind == kind && k->session == session)
			return 0;
	}
	ks->slot[i] = (struct event_key){ session, key, block, kind, true };
	ks->used[ks->nr++] = i;
	return ks->nr == KEYS_SLOTS / 2 ? write_keys(r, true) : 0;
}

/* The keys under which the block of @rec's event is found. */
static int add_keys(struct recorder *r, const struct record *rec)
{
	int64_t block = (int64_t)(rec->seq >> EVENT_BLOCK_SHIFT);
	int rc = add_key(r, rec->session, EVENT_KEY_TYPE, rec->ev.type, block);

	if (!rc && rec->ev.pfn != MM_NA_U64)
		rc = add_key(r, rec->session, EVENT_KEY_PFN, event_key_pfn(rec->ev.pfn), block);
	if (!rc && rec->ev.vaddr != MM_NA_U64)
		rc = add_key(r, rec->session, EVENT_KEY_VADDR, event_key_vaddr(rec->ev.vaddr), block);
	return rc;
}

static int write_op_end(struct recorder *r, const struct record *rec)
{
	sqlite3_stmt *st = r->end_op;

	sqlite3_bind_int64(st, 1, (int64_t)rec->seq);
	sqlite3_bind_int64(st, 2, (int64_t)rec->last_seq);
	sqlite3_bind_int64(st, 3, rec->session);
	sqlite3_bind_int64(st, 4, (int64_t)rec->op_no);
	return step(st);
}

/*
 * A snapshot row; 0 unless the transaction itself is lost (then the batch is
 * retried): a snapshot that cannot be stored is only logged, once, and
 * marked dropped (length 0) so that a retry of its batch skips it.
 */
static int write_snapshot(struct recorder *r, struct record *rec)
{
	sqlite3_stmt *st = r->insert_snapshot;
	int rc;

	sqlite3_bind_int64(st, 1, rec->session);
	sqlite3_bind_int64(st, 2, (int64_t)rec->seq);
	sqlite3_bind_int64(st, 3, (int64_t)rec->op_no);
	sqlite3_bind_blob64(st, 4, rec->json, rec->last_seq, SQLITE_STATIC);
	rc = step(st);
	sqlite3_clear_bindings(st);
	if (!rc)
		return 0;
	if (sqlite3_get_autocommit(r->db))
		return rc;
	if (!r->snapshot_warned)
		log_warn("cannot store replay snapshots: %s", sqlite3_errmsg(r->db));
	r->snapshot_warned = true;
	rec->last_seq = 0;
	return 0;
}

struct session_mark {
	int64_t session;
	uint64_t last_seq, last_op;
};

/* Note the highest seq and op of each session in the batch (invariant 3). */
static void mark(struct session_mark *marks, size_t *nr, const struct record *rec)
{
	size_t i;

	for (i = 0; i < *nr && marks[i].session != rec->session; i++)
		;
	if (i == *nr) {
		if (*nr == 64)
			return;	/* caught by the next batch: marks only grow */
		marks[i] = (struct session_mark){ rec->session, 0, 0 };
		(*nr)++;
	}
	if (rec->kind == RECORD_EVENT && rec->seq > marks[i].last_seq)
		marks[i].last_seq = rec->seq;
	if (rec->kind == RECORD_OP && rec->op_no > marks[i].last_op)
		marks[i].last_op = rec->op_no;
}

/*
 * An op's end usually arrives in the same batch as the op itself: fold its
 * seq range into the op's row (one INSERT instead of an INSERT and an
 * UPDATE). The end record is then marked done (kind RECORD_OP_END, op_no 0).
 */
static void merge_op_ends(struct record *batch, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct record *end = &batch[i];

		if (end->kind != RECORD_OP_END)
			continue;
		for (size_t j = i; j-- > 0;) {
			struct record *op = &batch[j];

			if (op->kind == RECORD_OP && op->session == end->session &&
			    op->op_no == end->op_no) {
				op->seq = end->seq;
				op->last_seq = end->last_seq;
				end->op_no = 0;
				break;
			}
			if (op->kind == RECORD_OP && op->session == end->session)
				break;	/* an earlier op of that session: not in this batch */
		}
	}
}

/* One transaction for @n records; 0 or the SQLite error code, with @msg. */
static int write_batch(struct recorder *r, struct record *batch, size_t n,
		       char *msg, size_t msglen)
{
	struct session_mark marks[64];
	const struct record *events[ROWS], *ops[ROWS];
	size_t nr_marks = 0, nr_events = 0, nr_ops = 0;
	int rc = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	/*
	 * Rows are gathered ROWS at a time, events and ops apart: their order
	 * within the transaction does not matter. An op's end in this batch is
	 * folded into its row (merge_op_ends); an UPDATE only ever meets an op
	 * of an earlier, committed batch.
	 */
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		switch (batch[i].kind) {
		case RECORD_EVENT:
			events[nr_events++] = &batch[i];
			if (nr_events == ROWS) {
				rc = write_rows(r->insert_events, r->insert_event, events,
						nr_events, bind_event_row);
				nr_events = 0;
			}
			if (rc == SQLITE_OK)
				rc = add_keys(r, &batch[i]);
			break;
		case RECORD_OP:
			ops[nr_ops++] = &batch[i];
			if (nr_ops == ROWS) {
				rc = write_rows(r->insert_ops, r->insert_op, ops, nr_ops, bind_op_row);
				nr_ops = 0;
			}
			break;
		case RECORD_SNAPSHOT:
			rc = batch[i].last_seq ? write_snapshot(r, &batch[i]) : 0;
			break;
		default:
			rc = batch[i].op_no ? write_op_end(r, &batch[i]) : 0;
			break;
		}
		mark(marks, &nr_marks, &batch[i]);
	}
	if (rc == SQLITE_OK)
		rc = write_rows(r->insert_events, r->insert_event, events, nr_events, bind_event_row);
	if (rc == SQLITE_OK)
		rc = write_rows(r->insert_ops, r->insert_op, ops, nr_ops, bind_op_row);
	if (write_keys(r, rc == SQLITE_OK) && rc == SQLITE_OK)	/* empties the set either way */
		rc = sqlite3_errcode(r->db);
	for (size_t i = 0; i < nr_marks && rc == SQLITE_OK; i++) {
		sqlite3_stmt *st = r->update_session;

		sqlite3_bind_int64(st, 1, (int64_t)marks[i].last_seq);
		sqlite3_bind_int64(st, 2, (int64_t)marks[i].last_op);
		sqlite3_bind_int64(st, 3, marks[i].session);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(r->db);
		sqlite3_reset(st);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, msglen, "%s", sqlite3_errmsg(r->db));
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

static void *writer_main(void *arg)
{
	struct recorder *r = arg;

	for (;;) {
		char msg[200];
		size_t n = 0, first;
		int rc;

		pthread_mutex_lock(&r->lock);
		while (!r->count && !r->stopping)
			pthread_cond_wait(&r->not_empty, &r->lock);
		if (!r->count && r->stopping) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		first = r->head;
		for (size_t events = 0, i = 0; i < r->count && i < BATCH_MAX; i++) {
			r->batch[i] = r->ring[(first + i) % r->capacity];
			n = i + 1;
			events += r->batch[i].kind == RECORD_EVENT;
			if (events == BATCH_EVENTS)
				break;
		}
		r->head = (r->head + n) % r->capacity;
		r->count -= n;
		r->inflight = n;
		r->inflight_ns = r->batch[0].queued_ns;
		pthread_cond_broadcast(&r->not_full);
		pthread_mutex_unlock(&r->lock);
		merge_op_ends(r->batch, n);

		for (int tries = 1; (rc = write_batch(r, r->batch, n, msg, sizeof(msg))) != SQLITE_OK;
		     tries++) {
			pthread_mutex_lock(&r->lock);
			if (r->stopping && tries > 10) {
				log_error("recorder: giving up at shutdown: %zu records could not be "
					  "written (%s); the sessions keep their committed prefix",
					  r->count + r->inflight, msg);
				pthread_mutex_unlock(&r->lock);
				break;
			}
			if (!r->stats.failed)
				log_error("recorder: cannot write to the database: %s (retrying; "
					  "new operations are refused until it works)", msg);
			r->stats.failed = true;
			snprintf(r->stats.error, sizeof(r->stats.error), "%s", msg);
			pthread_cond_broadcast(&r->committed);
			pthread_mutex_unlock(&r->lock);
			usleep(RETRY_MS * 1000);
		}

		pthread_mutex_lock(&r->lock);
		if (r->stats.failed && rc == SQLITE_OK)
			log_info("recorder: the database accepts writes again");
		if (rc == SQLITE_OK) {
			r->stats.failed = false;
			r->stats.error[0] = '\0';
		}
		for (size_t i = 0; i < n; i++) {
			if (r->batch[i].kind == RECORD_EVENT) {
				r->stats.events_committed += rc == SQLITE_OK;
				free(r->batch[i].json);
			} else if (r->batch[i].kind == RECORD_OP) {
				r->stats.ops_committed += rc == SQLITE_OK;
				free(r->batch[i].json);
			} else if (r->batch[i].kind == RECORD_SNAPSHOT) {
				r->stats.snapshots_committed += rc == SQLITE_OK && r->batch[i].last_seq;
				free(r->batch[i].json);
			}
		}
		r->stats.transactions += rc == SQLITE_OK;
		r->inflight = 0;
		r->done += n;
		pthread_cond_broadcast(&r->committed);
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

/* @one ("INSERT ... VALUES (?,...,?)") with its row repeated ROWS times, into @many. */
static int prepare_rows(sqlite3 *db, sqlite3_stmt *one, sqlite3_stmt **many)
{
	const char *sql = sqlite3_sql(one), *values = strstr(sql, "VALUES");
	int columns = sqlite3_bind_parameter_count(one);
	size_t head = (size_t)(values - sql) + strlen("VALUES ");
	char *text = malloc(head + ROWS * (2 * (size_t)columns + 2) + 1), *p;
	int rc;

	if (!text)
		return SQLITE_NOMEM;
	memcpy(text, sql, head);
	p = text + head;
	for (int i = 0; i < ROWS; i++) {
		if (i)
			*p++ = ',';
		*p++ = '(';
		for (int c = 0; c < columns; c++) {
			*p++ = '?';
			*p++ = c + 1 < columns ? ',' : ')';
		}
	}
	*p = '\0';
	rc = sqlite3_prepare_v3(db, text, -1, SQLITE_PREPARE_PERSISTENT, many, NULL);
	free(text);
	return rc;
}

static int prepare(struct recorder *r, char *err, size_t errlen)
{
	static const char *const op_sql =
		"INSERT INTO ops (session_id, op_no, op, first_seq, last_seq) VALUES (?,?,?,?,?)";
	static const char *const op_end_sql =
		"UPDATE ops SET first_seq = ?, last_seq = ? WHERE session_id = ? AND op_no = ?";
	static const char *const key_sql =
		"INSERT OR IGNORE INTO event_keys (session_id, kind, key, block) VALUES (?,?,?,?)";
	static const char *const snapshot_sql =
		"INSERT OR REPLACE INTO snapshots (session_id, seq, op_no, state) VALUES (?,?,?,?)";
	static const char *const session_sql =
		"UPDATE sessions SET last_seq = max(last_seq, ?1), last_op = max(last_op, ?2) "
		"WHERE id = ?3";

	if (sqlite3_prepare_v3(r->db, recorder_event_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->insert_event, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, op_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->insert_op, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, op_end_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->end_op, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, session_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->update_session, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, key_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->insert_key, NULL) != SQLITE_OK ||
	    prepare_rows(r->db, r->insert_event, &r->insert_events) != SQLITE_OK ||
	    prepare_rows(r->db, r->insert_op, &r->insert_ops) != SQLITE_OK ||
	    prepare_rows(r->db, r->insert_key, &r->insert_keys) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, snapshot_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->insert_snapshot, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "recorder: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	return 0;
}

/*
 * A large page cache keeps the events' indexes in memory between batches.
 * The writer only adds rows for sessions and event types that exist, so it
 * does not pay for foreign-key lookups on every row.
 */
const char recorder_pragmas[] = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
				"PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; "
				"PRAGMA foreign_keys = OFF;";

static void recorder_free(struct recorder *r)
{
	sqlite3_finalize(r->insert_event);
	sqlite3_finalize(r->insert_op);
	sqlite3_finalize(r->end_op);
	sqlite3_finalize(r->update_session);
	sqlite3_finalize(r->insert_key);
	sqlite3_finalize(r->insert_events);
	sqlite3_finalize(r->insert_ops);
	sqlite3_finalize(r->insert_keys);
	sqlite3_finalize(r->insert_snapshot);
	wal_checkpointer_stop(r->ckpt);
	if (r->db)
		sqlite3_close_v2(r->db);
	free(r->ring);
	free(r->batch);
	free(r->keys);
	free(r);
}

struct recorder *recorder_start(const char *path, size_t capacity, char *err, size_t errlen)
{
	struct recorder *r = calloc(1, sizeof(*r));

	if (!r || capacity < 2) {
		snprintf(err, errlen, "recorder: out of memory");
		free(r);
		return NULL;
	}
	r->capacity = capacity;
	r->stats.capacity = capacity;
	r->ring = calloc(capacity, sizeof(*r->ring));
	r->batch = calloc(BATCH_MAX, sizeof(*r->batch));
	r->keys = calloc(1, sizeof(*r->keys));
	if (!r->ring || !r->batch || !r->keys ||
	    sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "recorder: cannot open %s: %s", path,
			 r->db ? sqlite3_errmsg(r->db) : "out of memory");
		recorder_free(r);
		return NULL;
	}
	sqlite3_busy_timeout(r->db, 5000);
	sqlite3_exec(r->db, recorder_pragmas, NULL, NULL, NULL);
	if (prepare(r, err, errlen)) {
		recorder_free(r);
		return NULL;
	}
	r->ckpt = wal_checkpointer_start(r->db, path, "mmlab-ckpt");
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->not_full, NULL);
	pthread_cond_init(&r->not_empty, NULL);
	pthread_cond_init(&r->committed, NULL);
	if (pthread_create(&r->thread, NULL, writer_main, r)) {
		snprintf(err, errlen, "recorder: cannot start its thread");
		recorder_free(r);
		return NULL;
	}
	return r;
}

int recorder_sync(struct recorder *r)
{
	uint64_t ticket;
	int err = 0;

	pthread_mutex_lock(&r->lock);
	ticket = r->enqueued;
	while (r->done < ticket && !r->stats.failed)
		pthread_cond_wait(&r->committed, &r->lock);
	if (r->done < ticket)
		err = -EIO;
	pthread_mutex_unlock(&r->lock);
	return err;
}

void recorder_stop(struct recorder *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_signal(&r->not_empty);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->not_full);
	pthread_cond_destroy(&r->not_empty);
	pthread_cond_destroy(&r->committed);
	recorder_free(r);
}

void recorder_get_stats(struct recorder *r, struct recorder_stats *st)
{
	pthread_mutex_lock(&r->lock);
	*st = r->stats;
	st->queued = r->count + r->inflight;
	st->lag_seconds = r->inflight ? (double)(now_ns() - r->inflight_ns) / 1e9
			: r->count ? (double)(now_ns() - r->ring[r->head].queued_ns) / 1e9 : 0;
	pthread_mutex_unlock(&r->lock);
}
