/*
 * snapshots.c - replay snapshots that outlive the daemon.
 *
 * Design notes
 *  replay.c keeps machines at op boundaries in memory; they are gone when the
 *  daemon stops, and the first seek into a long session after a restart would
 *  re-execute it from its first op. So the same boundaries (every
 *  --snapshot-interval ops, or --snapshot-events events) are also offered
 *  here, and so is a live session's machine while it records (session.c),
 *  so that the first seek into a session being recorded need not re-execute
 *  it either. A thread compresses them and hands them to the recorder, whose
 *  writer stores them in the snapshots table (a second writer would wait for
 *  the database's write lock, which the recorder holds nearly all the time
 *  under load):
 *
 *    state = "<engine build> zstd\n" || zstd(machine_save())
 *
 *  The build prefix is plain, so SQL picks the rows this build can read
 *  (substr(state, 1, n) = prefix) without inflating anything; a row another
 *  build wrote is ignored and replaced when the same moment is stored again.
 *
 *  Invariants:
 *  1. A snapshot is the machine after op op_no exactly, whose last event is
 *     seq: the replay resumes with op op_no + 1 and counts from seq.
 *  2. A snapshot is a cache, never the record: one that cannot be read
 *     (damaged, another build) is skipped and the replay starts earlier.
 *  3. Offering never waits on the database: the queue holds at most
 *     QUEUE_MAX copies, and more than one only while their struct pages
 *     stay within QUEUE_BYTES (one 64 GiB machine has 1 GiB of them); an
 *     offer while it is full is dropped before anything is copied.
 *  4. Snapshots come only from this daemon's own machines (replays and live
 *     sessions): imports never carry them, so a machine is never built from
 *     bytes someone handed us.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "daemon/clock.h"
#include "daemon/log.h"
#include "daemon/recorder.h"
#include "daemon/server.h"
#include "daemon/snapshots.h"

#define QUEUE_MAX	4
#define QUEUE_BYTES	(512u << 20)	/* of struct pages queued, beyond the first copy */
#define CHUNK		(256 * 1024)
#define ZSTD_LEVEL	1		/* 4 GiB machine: 81 MiB -> ~1 MiB in ~35 ms */
#define SPARE_SECONDS	1		/* a spare struct page array unused this long goes back */

struct job {
	int64_t session;
	uint64_t op_no, seq;
	struct machine *m;
	uint64_t bytes;			/* its struct pages */
};

struct snapshots {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct job queue[QUEUE_MAX];
	int nr;
	uint64_t queued_bytes;
	bool stopping;
	/*
	 * The struct page array of the last clone stored, for the next offer
	 * (machine_clone_reusing()): a recording session offers a machine of
	 * the same size every fraction of a second, and a clone into fresh
	 * memory spent as long having the host fault it in as copying it.
	 */
	struct mem_map_spare spare;
	double store_s_per_byte;	/* what storing one took, a byte of struct pages */
	struct recorder *rec;		/* stores them */
	char prefix[96];		/* "<build> zstd\n" */
	size_t prefix_len;
	atomic_uint_fast64_t loaded;
};

/*** Writing: machine_save() through zstd into a buffer ***/

struct compressor {
	ZSTD_CCtx *z;
	unsigned char *buf;
	size_t len, cap;
};

/* Compress @n bytes at @p (with @end: and finish the frame) onto c->buf. */
static int compress_more(struct compressor *c, const void *p, size_t n, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { p, n, 0 };
	size_t left;

	do {
		ZSTD_outBuffer out;

		if (c->cap - c->len < CHUNK) {
			unsigned char *q = realloc(c->buf, c->cap * 2 + CHUNK);

			if (!q)
				return -ENOMEM;
			c->buf = q;
			c->cap = c->cap * 2 + CHUNK;
		}
		out = (ZSTD_outBuffer){ c->buf + c->len, c->cap - c->len, 0 };
		left = ZSTD_compressStream2(c->z, &out, &in, end);
		c->len += out.pos;
		if (ZSTD_isError(left))
			return -EIO;
	} while (in.pos < in.size || (end == ZSTD_e_end && left));
	return 0;
}

static int compress_write(void *ctx, const void *p, size_t n)
{
	return compress_more(ctx, p, n, ZSTD_e_continue);
}

/* The blob for @m: the build prefix and the compressed machine. */
static unsigned char *snapshot_blob(struct snapshots *s, const struct machine *m, size_t *len,
				    struct mm_error *e)
{
	struct compressor c = { .cap = s->prefix_len + CHUNK };
	int err;

	c.buf = malloc(c.cap);
	c.z = ZSTD_createCCtx();
	if (!c.buf || !c.z ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c.z, ZSTD_c_compressionLevel, ZSTD_LEVEL))) {
		free(c.buf);
		ZSTD_freeCCtx(c.z);
		mm_error_set(e, -ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(c.buf, s->prefix, s->prefix_len);
	c.len = s->prefix_len;
	err = machine_save(m, compress_write, &c, e);
	if (!err)
		err = compress_more(&c, NULL, 0, ZSTD_e_end);
	ZSTD_freeCCtx(c.z);
	if (err) {
		if (!e->err)
			mm_error_set(e, err, "cannot compress the snapshot");
		free(c.buf);
		return NULL;
	}
	*len = c.len;
	return c.buf;
}

static void store(struct snapshots *s, struct job *j)
{
	struct mm_error e = { 0 };
	struct recorder_stats rs;
	unsigned char *blob;
	size_t len;
	double t0;

	recorder_get_stats(s->rec, &rs);
	if (rs.failed)
		return;		/* a cache: not held in memory while the database refuses writes */
	t0 = mono_seconds();
	blob = snapshot_blob(s, j->m, &len, &e);
	if (blob && j->bytes) {
		double rate = (mono_seconds() - t0) / (double)j->bytes;

		pthread_mutex_lock(&s->lock);	/* a mean that forgets, as the session's clone cost */
		s->store_s_per_byte = s->store_s_per_byte ? 0.75 * s->store_s_per_byte + 0.25 * rate
				      : rate;
		pthread_mutex_unlock(&s->lock);
	}
	if (!blob) {
		log_warn("snapshot of session %lld at seq %llu: %s", (long long)j->session,
			 (unsigned long long)j->seq, e.message);
		return;
	}
	log_debug("snapshot of session %lld after op %llu (seq %llu): %zu bytes",
		  (long long)j->session, (unsigned long long)j->op_no, (unsigned long long)j->seq,
		  len);
	recorder_snapshot(s->rec, j->session, j->op_no, j->seq, blob, len);
}

static void *writer_main(void *arg)
{
	struct snapshots *s = arg;
	struct job j;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct mem_map_spare spare = { 0 };

		while (!s->nr && !s->stopping) {
			struct timespec until;

			if (!s->spare.pages) {
				pthread_cond_wait(&s->wake, &s->lock);
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += SPARE_SECONDS;
			if (pthread_cond_timedwait(&s->wake, &s->lock, &until) == ETIMEDOUT && !s->nr) {
				spare = s->spare;	/* no offer came: back to the host */
				s->spare = (struct mem_map_spare){ 0 };
				pthread_mutex_unlock(&s->lock);
				mem_map_spare_free(&spare);
				pthread_mutex_lock(&s->lock);
			}
		}
		if (s->stopping)
			break;
		j = s->queue[0];
		memmove(&s->queue[0], &s->queue[1], (size_t)(s->nr - 1) * sizeof(s->queue[0]));
		s->nr--;
		s->queued_bytes -= j.bytes;
		pthread_mutex_unlock(&s->lock);
		store(s, &j);
		machine_destroy_keeping(j.m, &spare);
		pthread_mutex_lock(&s->lock);
		if (!s->spare.pages) {
			s->spare = spare;
			spare = (struct mem_map_spare){ 0 };
		}
		pthread_mutex_unlock(&s->lock);
		mem_map_spare_free(&spare);	/* one is kept already */
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct snapshots *snapshots_start(struct recorder *rec, char *err, size_t errlen)
{
	struct snapshots *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->prefix_len = (size_t)snprintf(s->prefix, sizeof(s->prefix), "%s zstd\n",
					 machine_snapshot_build());
	s->rec = rec;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (pthread_create(&s->thread, NULL, writer_main, s)) {
		snprintf(err, errlen, "cannot start the snapshot writer");
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

void snapshots_stop(struct snapshots *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	/* What is still queued is dropped: the next replay offers it again. */
	for (int i = 0; i < s->nr; i++)
		machine_destroy(s->queue[i].m);
	mem_map_spare_free(&s->spare);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Does the store hold session @id's moment @seq, written by this build? */
static bool stored_already(struct server *srv, int64_t id, uint64_t seq)
{
	struct snapshots *s = srv->snap;
	sqlite3_stmt *st;
	bool found = false;

	if (sqlite3_prepare_v2(srv->db, "SELECT 1 FROM snapshots WHERE session_id = ? AND seq = ? "
			       "AND substr(state, 1, ?) = ?", -1, &st, NULL) != SQLITE_OK)
		return true;	/* cannot tell: do not add work */
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	sqlite3_bind_int64(st, 3, (int64_t)s->prefix_len);
	sqlite3_bind_blob(st, 4, s->prefix, (int)s->prefix_len, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* Can a copy of @bytes of struct pages join the queue? (under s->lock) */
static bool room(const struct snapshots *s, uint64_t bytes)
{
	if (s->stopping || s->nr >= QUEUE_MAX)
		return false;
	return !s->nr || s->queued_bytes + bytes <= QUEUE_BYTES;
}

bool snapshots_offer(struct server *srv, int64_t id, uint64_t op_no, uint64_t seq,
		     const struct machine *m, bool maybe_stored)
{
	struct snapshots *s = srv->snap;
	uint64_t bytes = machine_mem_map_bytes(m);
	struct mem_map_spare spare;
	struct machine *copy;
	bool skip = false;

	if (!s || (maybe_stored && stored_already(srv, id, seq)))
		return false;
	pthread_mutex_lock(&s->lock);
	skip = !room(s, bytes);		/* no clone that would be dropped */
	for (int i = 0; i < s->nr; i++)
		if (s->queue[i].session == id && s->queue[i].seq == seq)
			skip = true;
	spare = s->spare;
	if (!skip)
		s->spare = (struct mem_map_spare){ 0 };
	pthread_mutex_unlock(&s->lock);
	if (skip)
		return false;
	copy = machine_clone_reusing(m, &spare);	/* empties @spare either way */
	if (!copy)
		return false;
	machine_set_event_fn(copy, NULL, NULL);
	pthread_mutex_lock(&s->lock);
	skip = !room(s, bytes);
	if (!skip) {
		s->queue[s->nr++] = (struct job){ id, op_no, seq, copy, bytes };
		s->queued_bytes += bytes;
		pthread_cond_signal(&s->wake);
	}
	pthread_mutex_unlock(&s->lock);
	if (skip)
		machine_destroy(copy);
	return !skip;
}

int snapshots_store_now(struct server *srv, int64_t id, uint64_t op_no, uint64_t seq,
			const struct machine *m, struct mm_error *e)
{
	struct snapshots *s = srv->snap;
	struct recorder_stats rs;
	unsigned char *blob;
	size_t len;

	if (!s)
		return mm_error_set(e, -ENOTSUP, "no snapshot store");
	if (stored_already(srv, id, seq))
		return 0;
	blob = snapshot_blob(s, m, &len, e);
	if (!blob)
		return e->err ? e->err : -ENOMEM;
	recorder_snapshot(s->rec, id, op_no, seq, blob, len);
	recorder_sync(s->rec);
	recorder_get_stats(s->rec, &rs);
	if (rs.failed || !stored_already(srv, id, seq))
		return mm_error_set(e, -EIO, "the snapshot was not stored%s%s",
				    rs.failed ? ": " : "", rs.failed ? rs.error : "");
	return 0;
}

/*** Reading: decompress straight into machine_load() ***/

struct decompressor {
	ZSTD_DCtx *z;
	ZSTD_inBuffer in;
	bool ended;			/* the frame is complete */
};

static int decompress_read(void *ctx, void *buf, size_t n)
{
	struct decompressor *d = ctx;
	ZSTD_outBuffer out = { buf, n, 0 };

	while (out.pos < out.size) {
		size_t rc;

		if (d->ended || d->in.pos == d->in.size)
			return -EPROTO;		/* cut short */
		rc = ZSTD_decompressStream(d->z, &out, &d->in);
		if (ZSTD_isError(rc))
			return ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation ? -ENOMEM :
											-EPROTO;
		d->ended = rc == 0;
	}
	return 0;
}

/* Drop an unreadable snapshot, so that the next replay stores a good one. */
static void forget(struct server *srv, int64_t id, int64_t seq)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(srv->db, "DELETE FROM snapshots WHERE session_id = ? AND seq = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_step(st);	/* a failure leaves it skipped, as before */
	sqlite3_finalize(st);
}

struct machine *snapshots_find(struct server *srv, int64_t id, uint64_t after, uint64_t seq,
			       uint64_t *op_no, uint64_t *at_seq)
{
	struct snapshots *s = srv->snap;
	struct machine *m = NULL;
	struct mm_error e = { 0 };
	sqlite3_stmt *st;
	int64_t bad = -1;

	if (!s || sqlite3_prepare_v2(srv->db,
			"SELECT seq, op_no, state FROM snapshots WHERE session_id = ?1 AND seq > ?2 "
			"AND seq <= ?3 AND substr(state, 1, ?4) = ?5 ORDER BY seq DESC LIMIT 1",
			-1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)after);
	sqlite3_bind_int64(st, 3, seq > INT64_MAX ? INT64_MAX : (int64_t)seq);
	sqlite3_bind_int64(st, 4, (int64_t)s->prefix_len);
	sqlite3_bind_blob(st, 5, s->prefix, (int)s->prefix_len, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *blob = sqlite3_column_blob(st, 2);
		size_t len = (size_t)sqlite3_column_bytes(st, 2);

		struct decompressor d = { ZSTD_createDCtx(), { blob, len, s->prefix_len }, false };

		if (blob && len > s->prefix_len && d.z) {
			m = machine_load(decompress_read, &d, &e);
			ZSTD_freeDCtx(d.z);
		} else {
			ZSTD_freeDCtx(d.z);
			mm_error_set(&e, -EPROTO, "empty or unreadable");
		}
		if (m) {
			*at_seq = (uint64_t)sqlite3_column_int64(st, 0);
			*op_no = (uint64_t)sqlite3_column_int64(st, 1);
			atomic_fetch_add(&s->loaded, 1);
		} else {
			bad = sqlite3_column_int64(st, 0);
			log_warn("session %lld: the snapshot at seq %lld is not usable (%s); "
				 "replaying from an earlier point", (long long)id, (long long)bad,
				 e.message);
		}
	}
	sqlite3_finalize(st);
	if (bad >= 0)
		forget(srv, id, bad);
	return m;
}

double snapshots_store_cost(struct server *srv, const struct machine *m)
{
	struct snapshots *s = srv->snap;
	double rate;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	rate = s->store_s_per_byte;
	pthread_mutex_unlock(&s->lock);
	return rate * (double)machine_mem_map_bytes(m);
}

uint64_t snapshots_loaded(const struct snapshots *s)
{
	return s ? atomic_load(&s->loaded) : 0;
}
