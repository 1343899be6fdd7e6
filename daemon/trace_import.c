/*
 * trace_import.c - a real kernel's trace, uploaded, becomes a trace session.
 *
 * The upload is read as it arrives: a text of /sys/kernel/tracing/trace,
 * trace_pipe, `trace-cmd report` or `perf script`, or a tar bundle of
 * tools/mmlab-capture (the trace and the /proc files taken before it). Each
 * line is parsed by ftrace.c's table and stored as an event (its own
 * connection, a transaction every IMPORT_BATCH events), with its time, task
 * and pid in trace_events. Unknown tracepoints are kept and counted; a
 * malformed line fails the import with its line number (or, lenient, is
 * counted and listed). A failed import leaves no session behind.
 *
 * The request's thread reads and parses the lines; a thread of the import's
 * own writes them (batches of QBATCH lines, at most NQUEUE - 1 of them
 * parsed ahead), so that parsing and SQLite each have a core. A third one
 * checkpoints the WAL while the writing thread goes on (wal_checkpoint.h).
 */
#define _GNU_SOURCE	/* pthread_setname_np() */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "daemon/db.h"
#include "daemon/ftrace.h"
#include "daemon/recorder.h"
#include "daemon/server.h"
#include "daemon/trace_import.h"
#include "daemon/wal_checkpoint.h"

#define IMPORT_BATCH	50000
#define MAX_TYPES	256
#define MAX_LISTED	100
#define KEYSET		8192	/* event_keys of one block, deduplicated */
#define KEYS_HELD	(1u << 19)	/* event_keys rows held, sorted, before they are written */

enum { PROC_ZONEINFO, PROC_BUDDYINFO, PROC_PAGETYPEINFO, PROC_SLABINFO, PROC_BUDDYINFO_AFTER,
       NR_PROC };
static const char *const proc_names[NR_PROC] = { "zoneinfo", "buddyinfo", "pagetypeinfo",
						 "slabinfo", "buddyinfo.after" };
#define PROC_MAX ((size_t)1 << 20)

#define ROWS 128		/* rows of one INSERT: fewer statements to run per line */
#define QBATCH	1024		/* lines handed to the writing thread at once */
#define NQUEUE	4		/* batches: one being parsed, the others queued or written */

/* A line parsed and waiting for its INSERT. */
struct pending {
	struct ftrace_line l;
	uint64_t seq, lineno;
	int task_len, flags_len, detail_len;	/* measured by the reading thread */
};

/* Parsed lines, in order, for the writing thread. */
struct batch {
	int n;
	struct pending p[QBATCH];
};

/* An event_keys row waiting to be written. */
struct held_key {
	int64_t key;
	int32_t block;
	int32_t kind;
};

struct tp_count {
	char name[64];
	int id;
	bool known;		/* in ftrace.c's table */
	uint64_t count;
};

struct trace_import {
	sqlite3 *db;
	int64_t id;
	sqlite3_stmt *ins_ev, *ins_te, *ins_key;
	sqlite3_stmt *ins_ev_many, *ins_te_many;	/* ROWS rows at once */
	bool lenient;
	bool failed;		/* read and set with __atomic: both threads look at it */
	pthread_mutex_t fail_lock;
	unsigned int status;
	char code[16], msg[600];
	/* the line being assembled */
	char line[TRACE_MAX_LINE + 1];
	size_t llen;
	bool too_long;
	/* figures */
	uint64_t lineno, bytes, seq, bad, lost_events, lost_lines, in_tx;
	uint64_t first_ts, last_ts, max_pfn, entries_in, entries_written;
	int max_cpu;
	bool any_pfn;
	json_t *bad_list;
	struct tp_count types[MAX_TYPES];
	int ntypes;
	/* event_keys of the current block */
	int64_t block;
	uint64_t keyset[KEYSET];
	/* event_keys rows not written yet: written sorted, in the index's order */
	struct held_key *keys;
	size_t nkeys;
	sqlite3_stmt *ins_key_many;
	/*
	 * The writing thread: it owns db between quiesce()s. @fill is the batch
	 * being parsed; @queue holds @queued batches to write, from @qhead on;
	 * @spare the @nspare batches free; @busy while one is written.
	 */
	pthread_t writer;
	bool writing, stop, busy;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct batch *fill, *queue[NQUEUE], *spare[NQUEUE];
	int qhead, queued, nspare;
	struct wal_checkpointer *ckpt;	/* the checkpointing thread */
	/* the form: 0 not known yet (first 512 bytes), 1 text, 2 tar */
	int mode;
	char head[512];
	size_t head_len;
	/* tar */
	char tarhdr[512];
	size_t tarhdr_len;
	uint64_t tar_left, tar_pad;
	int tar_target;		/* -1 skip, 0 the trace, 1 + PROC_* a /proc file */
	char *proc[NR_PROC];
	char *machine;		/* the machine of a session mmlab exported */
	size_t proc_len[NR_PROC];
};

static void fail(struct trace_import *ti, unsigned int status, const char *code,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static bool failed(struct trace_import *ti)
{
	return __atomic_load_n(&ti->failed, __ATOMIC_ACQUIRE);
}

static void quiesce(struct trace_import *ti);
static void start_writer(struct trace_import *ti);

/*
 * The import fails: the first failure is the one told. A failure the reading
 * thread finds waits for the lines before it to be written, so that one in
 * writing them (an earlier line) is still told first.
 */
static void fail(struct trace_import *ti, unsigned int status, const char *code,
		 const char *fmt, ...)
{
	va_list ap;

	if (failed(ti))
		return;
	if (ti->writing && !pthread_equal(pthread_self(), ti->writer))
		quiesce(ti);
	pthread_mutex_lock(&ti->fail_lock);
	if (!ti->failed) {
		ti->status = status;
		snprintf(ti->code, sizeof(ti->code), "%s", code);
		va_start(ap, fmt);
		vsnprintf(ti->msg, sizeof(ti->msg), fmt, ap);
		va_end(ap);
		__atomic_store_n(&ti->failed, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&ti->fail_lock);
}

static bool exec(struct trace_import *ti, const char *sql)
{
	if (sqlite3_exec(ti->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return true;
	fail(ti, 503, "EIO", "cannot store the trace: %s", sqlite3_errmsg(ti->db));
	return false;
}

/* @one ("INSERT ... VALUES (?,...,?)") with its row repeated ROWS times. */
static sqlite3_stmt *prepare_many(sqlite3 *db, const char *one)
{
	const char *values = strstr(one, "VALUES ");
	size_t head = (size_t)(values - one) + 7, row = strlen(values + 7);
	char *sql = malloc(head + ROWS * (row + 1) + 1), *p;
	sqlite3_stmt *st = NULL;

	if (!sql)
		return NULL;
	memcpy(sql, one, head);
	p = sql + head;
	for (int i = 0; i < ROWS; i++) {
		if (i)
			*p++ = ',';
		memcpy(p, values + 7, row);
		p += row;
	}
	*p = '\0';
	sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	free(sql);
	return st;
}

static void bind_na(sqlite3_stmt *st, int i, int64_t v, bool na)
{
	if (na)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* One event row at parameters @at + 1 .. @at + 17 (recorder_event_sql's columns). */
static void bind_event(sqlite3_stmt *st, int at, int64_t session, uint64_t seq,
		       const struct mm_event *ev, int detail_len)
{
	sqlite3_bind_int64(st, at + 1, session);
	sqlite3_bind_int64(st, at + 2, (int64_t)seq);
	sqlite3_bind_int64(st, at + 3, 0);
	sqlite3_bind_int(st, at + 4, ev->type);
	bind_na(st, at + 5, ev->cpu, ev->cpu == MM_NA);
	bind_na(st, at + 6, ev->node, ev->node == MM_NA);
	bind_na(st, at + 7, ev->zone, ev->zone == MM_NA);
	bind_na(st, at + 8, ev->order, ev->order == MM_NA);
	bind_na(st, at + 9, ev->migratetype, ev->migratetype == MM_NA);
	bind_na(st, at + 10, ev->level, ev->level == MM_NA);
	bind_na(st, at + 11, ev->gfp, ev->gfp == 0);
	bind_na(st, at + 12, (int64_t)ev->pfn, ev->pfn == MM_NA_U64);
	bind_na(st, at + 13, (int64_t)ev->vaddr, ev->vaddr == MM_NA_U64);
	bind_na(st, at + 14, (int64_t)ev->paddr, ev->paddr == MM_NA_U64);
	bind_na(st, at + 15, (int64_t)ev->size, ev->size == MM_NA_U64);
	bind_na(st, at + 16, ev->value, ev->value == MM_NA);
	if (ev->detail)
		sqlite3_bind_text(st, at + 17, ev->detail, detail_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, at + 17);
}

static void bind_line(sqlite3_stmt *st, int at, int64_t session, const struct pending *p)
{
	sqlite3_bind_int64(st, at + 1, session);
	sqlite3_bind_int64(st, at + 2, (int64_t)p->seq);
	sqlite3_bind_int64(st, at + 3, (int64_t)p->l.ts_ns);
	sqlite3_bind_int(st, at + 4, p->l.pid);
	sqlite3_bind_text(st, at + 5, p->l.task, p->task_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, at + 6, (int64_t)p->lineno);
	if (p->l.flags[0])
		sqlite3_bind_text(st, at + 7, p->l.flags, p->flags_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, at + 7);
}

static void step(struct trace_import *ti, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		fail(ti, 503, "EIO", "cannot store the trace: %s", sqlite3_errmsg(ti->db));
	sqlite3_reset(st);
}

/* @n lines into events and trace_events: ROWS at once, the rest one by one. */
static void write_rows(struct trace_import *ti, struct pending *p, int n)
{
	int i = 0;

	for (; i + ROWS <= n && !failed(ti); i += ROWS) {
		for (int j = 0; j < ROWS; j++) {
			bind_event(ti->ins_ev_many, 17 * j, ti->id, p[i + j].seq, &p[i + j].l.ev,
				   p[i + j].detail_len);
			bind_line(ti->ins_te_many, 7 * j, ti->id, &p[i + j]);
		}
		step(ti, ti->ins_ev_many);
		step(ti, ti->ins_te_many);
	}
	for (; i < n && !failed(ti); i++) {
		bind_event(ti->ins_ev, 0, ti->id, p[i].seq, &p[i].l.ev, p[i].detail_len);
		step(ti, ti->ins_ev);
		bind_line(ti->ins_te, 0, ti->id, &p[i]);
		step(ti, ti->ins_te);
	}
}

struct trace_import *trace_import_begin(struct server *srv, const char *name, bool lenient)
{
	struct trace_import *ti = calloc(1, sizeof(*ti));
	char sql[128];
	sqlite3_stmt *st;

	if (!ti)
		return NULL;
	pthread_mutex_init(&ti->fail_lock, NULL);
	pthread_mutex_init(&ti->lock, NULL);
	pthread_cond_init(&ti->work, NULL);
	pthread_cond_init(&ti->done, NULL);
	ti->lenient = lenient;
	ti->max_cpu = -1;
	ti->block = -1;
	ti->bad_list = json_array();
	/* the connection is this request's alone: no mutex (the schema is the daemon's already) */
	if (sqlite3_open_v2(srv->opt.db_path, &ti->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		fail(ti, 503, "EIO", "cannot open the database: %s",
		     ti->db ? sqlite3_errmsg(ti->db) : "out of memory");
		return ti;
	}
	sqlite3_busy_timeout(ti->db, 5000);
	sqlite3_exec(ti->db, recorder_pragmas, NULL, NULL, NULL);
	sqlite3_exec(ti->db, "PRAGMA cache_size = -16384", NULL, NULL, NULL);	/* 16 MiB: appends need little */
	/*
	 * The session and its 'importing' mark in one transaction: the session
	 * list hides importing traces, and must never see the one without the other.
	 */
	if (!exec(ti, "BEGIN"))
		return ti;
	if (sqlite3_prepare_v2(ti->db, "INSERT INTO sessions (name, created, machine, "
			       "engine_version, seed, state, id) VALUES (?1, "
			       "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), '{}', ?2, 0, 'closed', "
			       SESSION_NEXT_ID_SQL ")", -1, &st,
			       NULL) != SQLITE_OK) {
		fail(ti, 503, "EIO", "cannot create the session: %s", sqlite3_errmsg(ti->db));
		return ti;
	}
	sqlite3_bind_text(st, 1, name && *name ? name : "trace", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, MMLAB_ENGINE_VERSION, -1, SQLITE_STATIC);
	session_bind_id_base(st, srv);
	if (sqlite3_step(st) != SQLITE_DONE)
		fail(ti, 503, "EIO", "cannot create the session: %s", sqlite3_errmsg(ti->db));
	sqlite3_finalize(st);
	if (ti->failed)
		return ti;
	ti->id = sqlite3_last_insert_rowid(ti->db);
	snprintf(sql, sizeof(sql), "INSERT INTO trace_sessions (session_id) VALUES (%lld)",
		 (long long)ti->id);
	if (!exec(ti, sql))
		return ti;
	sqlite3_prepare_v2(ti->db, recorder_event_sql, -1, &ti->ins_ev, NULL);
	sqlite3_prepare_v2(ti->db, "INSERT INTO trace_events (session_id, seq, ts_ns, pid, task, "
			   "line, flags) VALUES (?,?,?,?,?,?,?)", -1, &ti->ins_te, NULL);
	ti->ins_ev_many = prepare_many(ti->db, recorder_event_sql);
	ti->ins_te_many = prepare_many(ti->db, "INSERT INTO trace_events (session_id, seq, ts_ns, "
				       "pid, task, line, flags) VALUES (?,?,?,?,?,?,?)");
	sqlite3_prepare_v2(ti->db, "INSERT OR IGNORE INTO event_keys (session_id, kind, key, "
			   "block) VALUES (?,?,?,?)", -1, &ti->ins_key, NULL);
	ti->ins_key_many = prepare_many(ti->db, "INSERT OR IGNORE INTO event_keys (session_id, "
					"kind, key, block) VALUES (?,?,?,?)");
	ti->keys = malloc(KEYS_HELD * sizeof(*ti->keys));
	if (!ti->keys) {
		fail(ti, 503, "ENOMEM", "out of memory");
		return ti;
	}
	if (!ti->ins_ev || !ti->ins_te || !ti->ins_key || !ti->ins_ev_many || !ti->ins_te_many ||
	    !ti->ins_key_many)
		fail(ti, 503, "EIO", "cannot store the trace: %s", sqlite3_errmsg(ti->db));
	if (!ti->failed)
		ti->ckpt = wal_checkpointer_start(ti->db, srv->opt.db_path, "trace-ckpt");
	if (!ti->failed)
		start_writer(ti);
	return ti;
}

/* The event type of a tracepoint: the engine's, or one of FTRACE_TYPE_BASE and up. */
static struct tp_count *type_of(struct trace_import *ti, const struct ftrace_line *l)
{
	sqlite3_stmt *st;
	struct tp_count *t;
	int i;

	for (i = 0; i < ti->ntypes; i++)
		if (!strcmp(ti->types[i].name, l->tp_name))
			return &ti->types[i];
	if (ti->ntypes == MAX_TYPES) {
		fail(ti, 400, "E2BIG", "line %llu: more than %d different tracepoints",
		     (unsigned long long)ti->lineno, MAX_TYPES);
		return NULL;
	}
	t = &ti->types[ti->ntypes++];
	snprintf(t->name, sizeof(t->name), "%s", l->tp_name);
	t->known = ftrace_tp_by_name(l->tp_name, strlen(l->tp_name)) != NULL;
	t->id = l->ev.type;
	if (t->id)
		return t;
	quiesce(ti);		/* db is this thread's for a moment */
	if (sqlite3_prepare_v2(ti->db, "SELECT id FROM event_types WHERE name = ?", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			t->id = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (t->id) {
		ftrace_type_register(t->id, t->name);
		return t;
	}
	if (sqlite3_prepare_v2(ti->db, "INSERT INTO event_types (id, name) SELECT "
			       "max(coalesce(max(id) + 1, 0), ?), ? FROM event_types", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int(st, 1, FTRACE_TYPE_BASE);
		sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			t->id = (int)sqlite3_last_insert_rowid(ti->db);
		sqlite3_finalize(st);
	}
	ftrace_type_register(t->id, t->name);
	if (!t->id)
		fail(ti, 503, "EIO", "cannot name event type %s: %s", t->name, sqlite3_errmsg(ti->db));
	return t;
}

/*
 * The held rows in the index's order (kind, key, block), by radix: stable
 * passes over the key's four 16-bit digits (its sign bit turned, so that a
 * negative key comes first), then over the kind. The rows were held in block
 * order, which stable passes keep within each (kind, key). A pass whose
 * digit is the same for all is skipped. Falls back on qsort() when the
 * second array, as large, cannot be had (qsort() would take as much).
 */
static int key_order(const void *a, const void *b)
{
	const struct held_key *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->block < y->block ? -1 : x->block > y->block;
}

static unsigned int key_digit(const struct held_key *k, int pass)
{
	if (pass == 4)
		return (unsigned int)k->kind;
	return (unsigned int)((((uint64_t)k->key ^ (1ULL << 63)) >> (16 * pass)) & 0xffff);
}

static void sort_keys(struct held_key *keys, size_t n)
{
	struct held_key *tmp = n > 1 ? malloc(n * sizeof(*tmp)) : NULL, *from = keys, *to = tmp;
	size_t *count = tmp ? calloc(1 << 16, sizeof(*count)) : NULL;

	if (!count) {
		free(tmp);
		qsort(keys, n, sizeof(*keys), key_order);
		return;
	}
	for (int pass = 0; pass < 5; pass++) {
		size_t sum = 0;

		memset(count, 0, (1 << 16) * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[key_digit(&from[i], pass)]++;
		if (count[key_digit(&from[0], pass)] == n)
			continue;	/* one digit for all */
		for (size_t d = 0; d < (1 << 16); d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[key_digit(&from[i], pass)]++] = from[i];
		to = from;
		from = from == keys ? tmp : keys;
	}
	if (from != keys)
		memcpy(keys, from, n * sizeof(*keys));
	free(count);
	free(tmp);
}

static void bind_key(sqlite3_stmt *st, int at, int64_t session, const struct held_key *k)
{
	sqlite3_bind_int64(st, at + 1, session);
	sqlite3_bind_int(st, at + 2, k->kind);
	sqlite3_bind_int64(st, at + 3, k->key);
	sqlite3_bind_int64(st, at + 4, k->block);
}

/*
 * The event_keys rows held, written in the index's order: rows of one key
 * are then neighbours in the b-tree (written one by one as their events
 * came, each went to another page of it, and most of the index was written
 * again at each commit).
 */
static void write_keys(struct trace_import *ti)
{
	size_t i = 0, n = ti->nkeys;

	ti->nkeys = 0;
	sort_keys(ti->keys, n);
	for (; i + ROWS <= n && !failed(ti); i += ROWS) {
		for (int j = 0; j < ROWS; j++)
			bind_key(ti->ins_key_many, 4 * j, ti->id, &ti->keys[i + j]);
		step(ti, ti->ins_key_many);
	}
	for (; i < n && !failed(ti); i++) {
		bind_key(ti->ins_key, 0, ti->id, &ti->keys[i]);
		step(ti, ti->ins_key);
	}
}

static void put_key(struct trace_import *ti, int kind, int64_t key)
{
	/*
	 * key * (an odd number) is one-to-one, so the tag, that product with the
	 * kind in its low two bits, names one (kind, key): a pfn frame whose
	 * number is a type's id must not pass for that type's key.
	 */
	uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ULL, tag = h << 2 | (uint64_t)(kind + 1);
	size_t i = (size_t)((h ^ (uint64_t)kind) >> 40) % KEYSET;

	for (int n = 0; n < KEYSET; n++, i = (i + 1) % KEYSET) {
		if (ti->keyset[i] == tag)
			return;
		if (!ti->keyset[i]) {
			ti->keyset[i] = tag;
			break;
		}
	}
	ti->keys[ti->nkeys++] = (struct held_key){ .key = key, .block = (int32_t)ti->block,
						   .kind = kind };
	if (ti->nkeys == KEYS_HELD)
		write_keys(ti);
}

/* The event_keys rows of a line, and a commit every IMPORT_BATCH events. */
static void write_keys_of(struct trace_import *ti, const struct pending *p)
{
	int64_t block = (int64_t)(p->seq >> EVENT_BLOCK_SHIFT);

	if (block != ti->block) {
		ti->block = block;
		memset(ti->keyset, 0, sizeof(ti->keyset));
	}
	put_key(ti, EVENT_KEY_TYPE, p->l.ev.type);
	if (p->l.ev.pfn != MM_NA_U64)
		put_key(ti, EVENT_KEY_PFN, event_key_pfn(p->l.ev.pfn));
	if (p->l.ev.vaddr != MM_NA_U64)
		put_key(ti, EVENT_KEY_VADDR, event_key_vaddr(p->l.ev.vaddr));
}

/* A batch of lines into the database (the writing thread, or the reading one after quiesce()). */
static void write_batch(struct trace_import *ti, struct batch *b)
{
	write_rows(ti, b->p, b->n);
	for (int i = 0; i < b->n && !failed(ti); i++)
		write_keys_of(ti, &b->p[i]);
	ti->in_tx += (uint64_t)b->n;
	b->n = 0;
	if (ti->in_tx >= IMPORT_BATCH && !failed(ti)) {
		ti->in_tx = 0;
		if (exec(ti, "COMMIT"))
			exec(ti, "BEGIN");
	}
}

static void *writer_main(void *arg)
{
	struct trace_import *ti = arg;

	pthread_setname_np(pthread_self(), "trace-writer");
	pthread_mutex_lock(&ti->lock);
	for (;;) {
		struct batch *b;

		while (!ti->queued && !ti->stop)
			pthread_cond_wait(&ti->work, &ti->lock);
		if (!ti->queued)
			break;
		b = ti->queue[ti->qhead];
		ti->qhead = (ti->qhead + 1) % NQUEUE;
		ti->queued--;
		ti->busy = true;
		pthread_mutex_unlock(&ti->lock);
		if (failed(ti))
			b->n = 0;	/* nothing more is written */
		else
			write_batch(ti, b);
		pthread_mutex_lock(&ti->lock);
		ti->spare[ti->nspare++] = b;
		ti->busy = false;
		pthread_cond_signal(&ti->done);
	}
	pthread_mutex_unlock(&ti->lock);
	return NULL;
}

/* The batches, and the thread that writes them; without them, the reading thread writes. */
static void start_writer(struct trace_import *ti)
{
	for (int i = 0; i < NQUEUE; i++) {
		struct batch *b = malloc(sizeof(*b));

		if (!b)
			break;
		b->n = 0;
		ti->spare[ti->nspare++] = b;
	}
	if (!ti->nspare) {
		fail(ti, 503, "ENOMEM", "out of memory");
		return;
	}
	ti->fill = ti->spare[--ti->nspare];
	ti->writing = ti->nspare > 0;
	if (ti->writing && pthread_create(&ti->writer, NULL, writer_main, ti))
		ti->writing = false;
}

/* The batch being parsed, to be written: queued when there is a writing thread. */
static void submit(struct trace_import *ti)
{
	if (!ti->writing) {
		write_batch(ti, ti->fill);
		return;
	}
	pthread_mutex_lock(&ti->lock);
	while (!ti->nspare)
		pthread_cond_wait(&ti->done, &ti->lock);
	ti->queue[(ti->qhead + ti->queued) % NQUEUE] = ti->fill;
	ti->queued++;
	ti->fill = ti->spare[--ti->nspare];
	pthread_cond_signal(&ti->work);
	pthread_mutex_unlock(&ti->lock);
}

/*
 * Every line parsed so far written (or dropped, once failed): db is the
 * reading thread's until more lines are submitted. The line being parsed, in
 * the slot after the batch's last, moves along to the next batch's first.
 */
static void quiesce(struct trace_import *ti)
{
	if (!ti->fill)
		return;
	if (ti->fill->n) {
		struct pending *cur = &ti->fill->p[ti->fill->n];

		submit(ti);
		if (cur != &ti->fill->p[0])
			memcpy(&ti->fill->p[0], cur, sizeof(*cur));
	}
	if (!ti->writing)
		return;
	pthread_mutex_lock(&ti->lock);
	while (ti->queued || ti->busy)
		pthread_cond_wait(&ti->done, &ti->lock);
	pthread_mutex_unlock(&ti->lock);
}

/* All written, the writing thread gone, the batches freed. */
static void stop_writer(struct trace_import *ti)
{
	quiesce(ti);
	if (ti->writing) {
		pthread_mutex_lock(&ti->lock);
		ti->stop = true;
		pthread_cond_signal(&ti->work);
		pthread_mutex_unlock(&ti->lock);
		pthread_join(ti->writer, NULL);
		ti->writing = false;
	}
	free(ti->fill);
	ti->fill = NULL;
	while (ti->nspare)
		free(ti->spare[--ti->nspare]);
}

/* The line parsed into the batch's next slot is an event: counted, and kept for writing. */
static void store(struct trace_import *ti)
{
	struct tp_count *t = type_of(ti, &ti->fill->p[ti->fill->n].l);	/* may quiesce() */
	struct pending *p = &ti->fill->p[ti->fill->n];
	struct ftrace_line *l = &p->l;

	if (!t)
		return;
	if (ti->seq >= TRACE_MAX_EVENTS) {
		fail(ti, 413, "E2BIG", "more than %u events: a trace session holds at most that many "
		     "(trim the trace)", TRACE_MAX_EVENTS);
		return;
	}
	t->count++;
	ti->seq++;
	l->ev.type = t->id;
	l->ev.detail = l->detail[0] ? l->detail : NULL;
	p->seq = ti->seq;
	p->lineno = ti->lineno;
	p->task_len = (int)strlen(l->task);
	p->flags_len = (int)strlen(l->flags);
	p->detail_len = (int)strlen(l->detail);
	if (!ti->first_ts)
		ti->first_ts = l->ts_ns;
	ti->last_ts = l->ts_ns;
	if (l->ev.cpu > ti->max_cpu)
		ti->max_cpu = l->ev.cpu;
	if (l->ev.pfn != MM_NA_U64 && (!ti->any_pfn || l->ev.pfn > ti->max_pfn)) {
		ti->max_pfn = l->ev.pfn + (l->ev.order > 0 ? (1ULL << l->ev.order) - 1 : 0);
		ti->any_pfn = true;
	}
	if (++ti->fill->n == QBATCH)
		submit(ti);
}

static void header_line(struct trace_import *ti, const char *s)
{
	unsigned long long a, b;
	const char *p = strstr(s, "entries-in-buffer/entries-written:");

	if (!strncmp(s, "# mmlab machine: ", 17) && !ti->machine)	/* our own export */
		ti->machine = strdup(s + 17);

	if (p && sscanf(p, "entries-in-buffer/entries-written: %llu/%llu", &a, &b) == 2) {
		ti->entries_in = a;
		ti->entries_written = b;
	}
}

static void one_line(struct trace_import *ti, char *s, size_t len)
{
	struct pending *p = &ti->fill->p[ti->fill->n];
	struct ftrace_line *l = &p->l;
	char why[200];
	enum ftrace_parse r;

	ti->lineno++;
	s[len] = '\0';
	if (ti->too_long) {
		r = FTRACE_BAD;
		snprintf(why, sizeof(why), "longer than %u bytes", TRACE_MAX_LINE);
	} else {
		r = ftrace_parse_line(s, len, l, why, sizeof(why));
	}
	ti->too_long = false;
	if (r == FTRACE_SKIP) {
		if (s[0] == '#')
			header_line(ti, s);
		return;
	}
	if (r == FTRACE_BAD) {
		ti->bad++;
		if (json_array_size(ti->bad_list) < MAX_LISTED)
			json_array_append_new(ti->bad_list, json_pack("{s:I,s:s}", "line",
						(json_int_t)ti->lineno, "error", why));
		if (!ti->lenient)
			fail(ti, 400, "EINVAL", "line %llu: %s", (unsigned long long)ti->lineno, why);
		return;
	}
	if (l->lost) {
		ti->lost_lines++;
		ti->lost_events += (uint64_t)l->ev.value;
		return;
	}
	store(ti);
}

static void feed_text(struct trace_import *ti, const char *data, size_t len)
{
	while (len && !failed(ti)) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;

		if (ti->llen + n > TRACE_MAX_LINE) {
			ti->too_long = true;
			ti->llen = 0;
		} else {
			memcpy(ti->line + ti->llen, data, n);
			ti->llen += n;
		}
		if (!nl)
			return;
		one_line(ti, ti->line, ti->llen);
		ti->llen = 0;
		data += n + 1;
		len -= n + 1;
	}
}

/* A tar member's target: the trace, a /proc file taken before it, or nothing. */
static int tar_target(const char *name)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;

	if (!strcmp(base, "trace") || !strcmp(base, "trace.txt") || !strcmp(base, "trace_pipe"))
		return 0;
	for (int i = 0; i < NR_PROC; i++)
		if (!strcmp(base, proc_names[i]))
			return 1 + i;
	return -1;
}

static void feed_tar(struct trace_import *ti, const char *data, size_t len)
{
	while (len && !failed(ti)) {
		size_t n;

		if (ti->tar_left) {
			n = len < ti->tar_left ? len : (size_t)ti->tar_left;
			if (ti->tar_target == 0) {
				feed_text(ti, data, n);
			} else if (ti->tar_target > 0) {
				int p = ti->tar_target - 1;
				char *b = ti->proc_len[p] + n <= PROC_MAX ?
					  realloc(ti->proc[p], ti->proc_len[p] + n + 1) : NULL;

				if (b) {
					memcpy(b + ti->proc_len[p], data, n);
					ti->proc_len[p] += n;
					b[ti->proc_len[p]] = '\0';
					ti->proc[p] = b;
				}
			}
			ti->tar_left -= n;
			if (!ti->tar_left && ti->tar_target == 0 && ti->llen) {
				one_line(ti, ti->line, ti->llen);
				ti->llen = 0;
			}
		} else if (ti->tar_pad) {
			n = len < ti->tar_pad ? len : (size_t)ti->tar_pad;
			ti->tar_pad -= n;
		} else {
			n = 512 - ti->tarhdr_len;
			if (n > len)
				n = len;
			memcpy(ti->tarhdr + ti->tarhdr_len, data, n);
			ti->tarhdr_len += n;
			if (ti->tarhdr_len == 512) {
				char name[101], size[13];

				ti->tarhdr_len = 0;
				memcpy(name, ti->tarhdr, 100);
				name[100] = '\0';
				memcpy(size, ti->tarhdr + 124, 12);
				size[12] = '\0';
				ti->tar_left = strtoull(size, NULL, 8);
				ti->tar_pad = (512 - ti->tar_left % 512) % 512;
				ti->tar_target = name[0] && (ti->tarhdr[156] == '0' || !ti->tarhdr[156])
						 ? tar_target(name) : -1;
			}
		}
		data += n;
		len -= n;
	}
}

void trace_import_feed(struct trace_import *ti, const char *data, size_t len)
{
	if (failed(ti))
		return;
	ti->bytes += len;
	if (ti->bytes > TRACE_MAX_BYTES) {
		fail(ti, 413, "E2BIG", "the trace is larger than %llu bytes (trim it, or import "
		     "a part)", (unsigned long long)TRACE_MAX_BYTES);
		return;
	}
	if (ti->mode == 0) {
		size_t n = sizeof(ti->head) - ti->head_len < len ? sizeof(ti->head) - ti->head_len : len;

		memcpy(ti->head + ti->head_len, data, n);
		ti->head_len += n;
		data += n;
		len -= n;
		if (ti->head_len < sizeof(ti->head))
			return;
		ti->mode = memcmp(ti->head + 257, "ustar", 5) == 0 ? 2 : 1;
		ti->bytes -= ti->head_len;
		trace_import_feed(ti, ti->head, ti->head_len);
		if (!len)
			return;
		ti->bytes -= len;
		trace_import_feed(ti, data, len);
		return;
	}
	if (ti->mode == 2)
		feed_tar(ti, data, len);
	else
		feed_text(ti, data, len);
}

static void cleanup(struct trace_import *ti)
{
	stop_writer(ti);
	wal_checkpointer_stop(ti->ckpt);
	ti->ckpt = NULL;
	sqlite3_finalize(ti->ins_ev);
	sqlite3_finalize(ti->ins_te);
	sqlite3_finalize(ti->ins_key);
	sqlite3_finalize(ti->ins_ev_many);
	sqlite3_finalize(ti->ins_te_many);
	sqlite3_finalize(ti->ins_key_many);
	ti->ins_ev = ti->ins_te = ti->ins_key = ti->ins_ev_many = ti->ins_te_many = NULL;
	ti->ins_key_many = NULL;
	if (ti->db && ti->id) {
		char sql[400];

		sqlite3_exec(ti->db, "ROLLBACK", NULL, NULL, NULL);
		snprintf(sql, sizeof(sql),
			 "BEGIN; DELETE FROM trace_events WHERE session_id = %1$lld; "
			 "DELETE FROM event_keys WHERE session_id = %1$lld; "
			 "DELETE FROM events WHERE session_id = %1$lld; "
			 "DELETE FROM trace_sessions WHERE session_id = %1$lld; "
			 "DELETE FROM sessions WHERE id = %1$lld; COMMIT", (long long)ti->id);
		sqlite3_exec(ti->db, sql, NULL, NULL, NULL);
	}
}

static void release(struct trace_import *ti)
{
	stop_writer(ti);
	wal_checkpointer_stop(ti->ckpt);
	ti->ckpt = NULL;
	sqlite3_finalize(ti->ins_ev);
	sqlite3_finalize(ti->ins_te);
	sqlite3_finalize(ti->ins_key);
	sqlite3_finalize(ti->ins_ev_many);
	sqlite3_finalize(ti->ins_te_many);
	sqlite3_finalize(ti->ins_key_many);
	sqlite3_close(ti->db);
	free(ti->keys);
	for (int i = 0; i < NR_PROC; i++)
		free(ti->proc[i]);
	json_decref(ti->bad_list);
	free(ti->machine);
	pthread_mutex_destroy(&ti->fail_lock);
	pthread_mutex_destroy(&ti->lock);
	pthread_cond_destroy(&ti->work);
	pthread_cond_destroy(&ti->done);
	free(ti);
}

void trace_import_abort(struct trace_import *ti)
{
	if (!ti)
		return;
	cleanup(ti);
	release(ti);
}

/* What the import found, for the session's summary. */
static json_t *summary_json(struct trace_import *ti)
{
	json_t *tps = json_object(), *unknown = json_array();
	uint64_t overwritten = ti->entries_written > ti->entries_in
			       ? ti->entries_written - ti->entries_in : 0;

	for (int i = 0; i < ti->ntypes; i++) {
		json_object_set_new(tps, ti->types[i].name, json_integer((json_int_t)ti->types[i].count));
		if (!ti->types[i].known)
			json_array_append_new(unknown, json_string(ti->types[i].name));
	}
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:O,s:{s:I,s:I,s:I},s:I,s:I,s:I,s:i,s:o,s:o,s:b,s:b,"
			 "s:b,s:b,s:b}",
			 "form", ti->mode == 2 ? "bundle" : "text",
			 "bytes", (json_int_t)ti->bytes, "lines", (json_int_t)ti->lineno,
			 "events", (json_int_t)ti->seq, "bad_lines", (json_int_t)ti->bad,
			 "bad", ti->bad_list,
			 "lost", "lines", (json_int_t)ti->lost_lines, "events",
			 (json_int_t)ti->lost_events, "overwritten", (json_int_t)overwritten,
			 "first_ts_ns", (json_int_t)ti->first_ts, "last_ts_ns", (json_int_t)ti->last_ts,
			 "max_pfn", (json_int_t)(ti->any_pfn ? ti->max_pfn : 0),
			 "cpus", ti->max_cpu + 1, "tracepoints", tps, "unknown", unknown,
			 "zoneinfo", ti->proc[PROC_ZONEINFO] != NULL,
			 "buddyinfo", ti->proc[PROC_BUDDYINFO] != NULL,
			 "pagetypeinfo", ti->proc[PROC_PAGETYPEINFO] != NULL,
			 "slabinfo", ti->proc[PROC_SLABINFO] != NULL,
			 "buddyinfo_after", ti->proc[PROC_BUDDYINFO_AFTER] != NULL);
}

/* The machine a re-simulation builds: the zoneinfo's layout, or the pfns' span. */
static char *machine_json(struct trace_import *ti)
{
	json_t *m = json_object();
	uint64_t mib = ((ti->max_pfn + 1) * 4096 + (1 << 20) - 1) >> 20;
	char *text;

	if (ti->machine) {
		json_t *given = json_loads(ti->machine, 0, NULL);

		if (json_is_object(given)) {
			json_decref(m);
			text = json_dumps(given, JSON_COMPACT);
			json_decref(given);
			return text;
		}
		json_decref(given);
	}
	if (ti->proc[PROC_ZONEINFO])
		json_object_set_new(m, "layout", json_string(ti->proc[PROC_ZONEINFO]));
	else
		json_object_set_new(m, "mem_mib", json_integer((json_int_t)(mib < 64 ? 64 : mib)));
	json_object_set_new(m, "cpus", json_integer(ti->max_cpu < 0 ? 1 : ti->max_cpu + 1));
	text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	return text;
}

static bool finish(struct trace_import *ti, json_t *summary)
{
	char *sum = json_dumps(summary, JSON_COMPACT), *mach = machine_json(ti);
	sqlite3_stmt *st;
	bool ok = false;

	write_keys(ti);
	if (ti->failed) {
		free(sum);
		free(mach);
		return false;
	}

	if (sqlite3_prepare_v2(ti->db, "UPDATE trace_sessions SET status = 'ready', summary = ?, "
			       "zoneinfo = ?, buddyinfo = ?, pagetypeinfo = ?, slabinfo = ?, "
			       "buddyinfo_after = ? WHERE session_id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, sum, -1, SQLITE_STATIC);
		for (int i = 0; i < NR_PROC; i++)
			sqlite3_bind_text(st, 2 + i, ti->proc[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2 + NR_PROC, ti->id);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_finalize(st);
	}
	if (ok && sqlite3_prepare_v2(ti->db, "UPDATE sessions SET machine = ?, last_seq = ? "
				     "WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, mach, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)ti->seq);
		sqlite3_bind_int64(st, 3, ti->id);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_finalize(st);
	}
	free(sum);
	free(mach);
	return ok && exec(ti, "COMMIT");
}

int trace_import_end(struct trace_import *ti, json_t **result, unsigned int *status,
		     char *code, size_t codelen, char *msg, size_t msglen)
{
	json_t *summary;

	*result = NULL;
	if (!ti->failed) {
		if (ti->mode == 0 && ti->head_len) {	/* a short text */
			ti->mode = 1;
			ti->bytes -= ti->head_len;
			trace_import_feed(ti, ti->head, ti->head_len);
		}
		if (ti->llen && !ti->failed) {		/* a last line with no newline */
			one_line(ti, ti->line, ti->llen);
			ti->llen = 0;
		}
		stop_writer(ti);			/* every line written */
		if (!ti->failed && ti->seq == 0)
			fail(ti, 400, "EINVAL", ti->lineno ? "no trace events in %llu lines (is this the "
			     "text of /sys/kernel/tracing/trace?)" : "an empty trace%.0llu",
			     (unsigned long long)ti->lineno);
	}
	if (ti->failed) {
		*status = ti->status;
		snprintf(code, codelen, "%s", ti->code);
		snprintf(msg, msglen, "%s", ti->msg);
		cleanup(ti);
		release(ti);
		return -1;
	}
	summary = summary_json(ti);
	if (!finish(ti, summary)) {
		*status = 503;
		snprintf(code, codelen, "EIO");
		if (ti->failed)		/* a row that could not be written */
			snprintf(msg, msglen, "%s", ti->msg);
		else
			snprintf(msg, msglen, "cannot store the trace: %s", sqlite3_errmsg(ti->db));
		json_decref(summary);
		cleanup(ti);
		release(ti);
		return -1;
	}
	*result = json_pack("{s:I,s:s,s:o}", "id", (json_int_t)ti->id, "state", "trace",
			    "summary", summary);
	*status = 201;
	release(ti);
	return 0;
}
