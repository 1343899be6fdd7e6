/*
 * stream.c - Server-Sent Events for GET /api/v1/sessions/{id}/stream.
 *
 * Design notes
 *  A stream holds no thread while it waits. Its content callback runs on one
 *  of libmicrohttpd's few polling threads; when it has nothing to send it
 *  suspends the connection (MHD_suspend_connection) and returns 0 bytes. One
 *  ticker thread, woken after every op batch and every 100 ms, resumes the
 *  streams that have something to send (events, a summary, a keepalive, the
 *  end) or whose client hung up. The decision to suspend and the decision to
 *  resume are taken under one lock, so a resume never comes before its
 *  suspend. The engine writes events into the session's ring (stream_hub)
 *  and never waits for a reader. Invariants:
 *  1. A slot's seq is written last (release) and read first and again last
 *     (acquire): a reader keeps a copy only if the seq did not change, so it
 *     never shows a half-written event.
 *  2. A reader that was lapped (the event it needs is gone) is sent one
 *     "resync" message with the current seq and continues from there: slow
 *     clients lose events from the stream, never the recorder.
 *  3. A summary of the machine is sent at most every 100 ms, read with
 *     trylock: a busy engine delays the summary, never the other way round.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "daemon/api.h"
#include "daemon/server.h"
#include "daemon/session.h"
#include "daemon/stream.h"

#define BATCH_EVENTS		512
#define SUMMARY_MS		100
#define KEEPALIVE_MS		15000
#define DETAIL_MAX		48
#define GONE_CHECK_MS		SUMMARY_MS	/* how often a waiting stream's socket is looked at */

struct stream_slot {
	_Atomic uint64_t seq;
	uint64_t op_no;
	struct mm_event ev;
	char detail[DETAIL_MAX];
};

struct client;

/* Every stream client of the daemon, and the ticker that resumes them. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct client *list;
	atomic_uint suspended;		/* clients waiting, suspended */
	bool running, kick;
	pthread_t ticker;
} streams = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

void stream_hub_init(struct stream_hub *hub)
{
	hub->ring = NULL;
	atomic_init(&hub->head, 0);
	atomic_init(&hub->clients, 0);
	pthread_mutex_init(&hub->shared_lock, NULL);
	memset(&hub->events, 0, sizeof(hub->events));
	memset(&hub->summary, 0, sizeof(hub->summary));
}

void stream_hub_destroy(struct stream_hub *hub)
{
	free(hub->ring);
	free(hub->events.text);
	free(hub->summary.text);
	pthread_mutex_destroy(&hub->shared_lock);
}

void stream_hub_shrink(struct stream_hub *hub)
{
	if (atomic_load(&hub->clients))
		return;
	free(hub->ring);
	hub->ring = NULL;
	pthread_mutex_lock(&hub->shared_lock);
	free(hub->events.text);
	free(hub->summary.text);
	memset(&hub->events, 0, sizeof(hub->events));
	memset(&hub->summary, 0, sizeof(hub->summary));
	pthread_mutex_unlock(&hub->shared_lock);
}

void stream_publish(struct stream_hub *hub, uint64_t seq, uint64_t op_no, const struct mm_event *ev)
{
	struct stream_slot *slot;

	if (!hub->ring || !atomic_load_explicit(&hub->clients, memory_order_relaxed)) {
		atomic_store_explicit(&hub->head, seq, memory_order_release);
		return;
	}
	slot = &hub->ring[seq & (STREAM_RING_SIZE - 1)];
	atomic_store_explicit(&slot->seq, 0, memory_order_release);
	atomic_thread_fence(memory_order_release);
	slot->op_no = op_no;
	slot->ev = *ev;
	slot->ev.detail = NULL;
	if (ev->detail)
		snprintf(slot->detail, sizeof(slot->detail), "%s", ev->detail);
	else
		slot->detail[0] = '\0';
	atomic_store_explicit(&slot->seq, seq, memory_order_release);
	atomic_store_explicit(&hub->head, seq, memory_order_release);
}

void stream_notify(struct stream_hub *hub)
{
	if (!atomic_load_explicit(&hub->clients, memory_order_relaxed))
		return;
	pthread_mutex_lock(&streams.lock);
	streams.kick = true;
	pthread_cond_signal(&streams.wake);
	pthread_mutex_unlock(&streams.lock);
}

/*** One client ***/

struct client {
	struct client *lprev, *lnext;	/* in streams.list */
	struct server *srv;
	struct MHD_Connection *conn;
	bool suspended;			/* under streams.lock */
	int fd;				/* the connection's socket, to notice a hang-up */
	struct session *s;
	uint64_t next;			/* next seq to send */
	uint64_t last_summary_ms, last_sent_ms;
	uint64_t last_summary_seq;	/* UINT64_MAX until the first summary */
	char *out;			/* bytes not yet handed to libmicrohttpd */
	size_t out_len, out_pos, out_cap;
	bool ended;			/* the "ended" message is queued */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void out_add(struct client *c, const char *text, size_t len)
{
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = (c->out_len + len + 1) * 2;
		char *p = realloc(c->out, cap);

		if (!p)
			return;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out_len += len;
}

/* "event: EVENT\ndata: JSON\n\n" (malloc'd; takes @data), or NULL. */
static char *message_text(const char *event, json_t *data, size_t *len)
{
	char *json = json_dumps(data, JSON_COMPACT), *text;
	size_t n;

	json_decref(data);
	if (!json)
		return NULL;
	n = strlen("event: \ndata: \n\n") + strlen(event) + strlen(json) + 1;
	text = malloc(n);
	if (text)
		*len = (size_t)snprintf(text, n, "event: %s\ndata: %s\n\n", event, json);
	free(json);
	return text;
}

static void out_message(struct client *c, const char *event, json_t *data)
{
	size_t len;
	char *text = message_text(event, data, &len);

	if (!text)
		return;
	out_add(c, text, len);
	free(text);
	c->last_sent_ms = now_ms();
}

/*
 * The last events message and the last summary of a hub, for every client at
 * the same place: a thousand clients then cost one JSON text, not a thousand.
 */
static bool shared_take(struct stream_hub *hub, struct stream_shared *m, uint64_t a, uint64_t b,
			struct client *c)
{
	bool hit;

	pthread_mutex_lock(&hub->shared_lock);
	hit = m->text && m->a == a && m->b == b;
	if (hit)
		out_add(c, m->text, m->len);
	pthread_mutex_unlock(&hub->shared_lock);
	if (hit)
		c->last_sent_ms = now_ms();
	return hit;
}

static void shared_put(struct stream_hub *hub, struct stream_shared *m, uint64_t a, uint64_t b,
		       char *text, size_t len)
{
	pthread_mutex_lock(&hub->shared_lock);
	free(m->text);
	m->a = a;
	m->b = b;
	m->text = text;
	m->len = len;
	pthread_mutex_unlock(&hub->shared_lock);
}

static json_t *slot_json(const struct stream_slot *slot, uint64_t seq)
{
	const struct mm_event *ev = &slot->ev;
	json_t *o = json_pack("{s:I,s:I,s:s}", "seq", (json_int_t)seq, "op", (json_int_t)slot->op_no,
			      "type", mm_event_type_name(ev->type));
	char buf[24];

#define PUT_INT(name, v) if ((v) != MM_NA) json_object_set_new(o, name, json_integer(v))
	PUT_INT("cpu", ev->cpu);
	PUT_INT("node", ev->node);
	PUT_INT("order", ev->order);
	PUT_INT("level", ev->level);
	PUT_INT("value", ev->value);
#undef PUT_INT
	if (ev->zone != MM_NA)
		json_object_set_new(o, "zone", json_string(zone_type_name(ev->zone)));
	if (ev->migratetype != MM_NA)
		json_object_set_new(o, "migratetype", json_string(migratetype_name(ev->migratetype)));
	if (ev->pfn != MM_NA_U64)
		json_object_set_new(o, "pfn", json_integer((json_int_t)ev->pfn));
	if (ev->size != MM_NA_U64)
		json_object_set_new(o, "size", json_integer((json_int_t)ev->size));
	if (ev->vaddr != MM_NA_U64) {
		snprintf(buf, sizeof(buf), "0x%" PRIx64, ev->vaddr);
		json_object_set_new(o, "vaddr", json_string(buf));
	}
	if (ev->paddr != MM_NA_U64) {
		snprintf(buf, sizeof(buf), "0x%" PRIx64, ev->paddr);
		json_object_set_new(o, "paddr", json_string(buf));
	}
	if (slot->detail[0])
		json_object_set_new(o, "detail", json_string(slot->detail));
	return o;
}

/* Copy the events after c->next out of the ring; a lapped reader resyncs. */
static void collect_events(struct client *c)
{
	struct stream_hub *hub = &c->s->hub;
	uint64_t head = atomic_load_explicit(&hub->head, memory_order_acquire);
	uint64_t first = c->next, last;
	json_t *batch;
	char *text;
	size_t len;

	if (c->next > head)
		return;
	if (head - c->next >= STREAM_RING_SIZE / 2)
		goto resync;
	last = head - c->next >= BATCH_EVENTS ? c->next + BATCH_EVENTS - 1 : head;
	if (shared_take(hub, &hub->events, first, last, c)) {
		c->next = last + 1;
		return;
	}
	batch = json_array();
	for (; c->next <= last; c->next++) {
		struct stream_slot *slot = &hub->ring[c->next & (STREAM_RING_SIZE - 1)];
		struct stream_slot copy;

		if (atomic_load_explicit(&slot->seq, memory_order_acquire) != c->next) {
			json_decref(batch);
			goto resync;
		}
		memcpy(&copy, slot, sizeof(copy));
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&slot->seq, memory_order_acquire) != c->next) {
			json_decref(batch);
			goto resync;
		}
		json_array_append_new(batch, slot_json(&copy, c->next));
	}
	text = message_text("events", json_pack("{s:o}", "events", batch), &len);
	if (!text)
		return;
	out_add(c, text, len);
	c->last_sent_ms = now_ms();
	shared_put(hub, &hub->events, first, last, text, len);
	return;
resync:
	c->next = atomic_load_explicit(&hub->head, memory_order_acquire) + 1;
	out_message(c, "resync", json_pack("{s:I,s:s}", "seq", (json_int_t)(c->next - 1),
					  "reason", "the client fell behind the machine; "
					  "reload the views at this seq"));
}

/* The machine in a few numbers, if the engine is not busy right now. */
static void maybe_summary(struct client *c, uint64_t now)
{
	struct session *s = c->s;
	uint64_t head = atomic_load(&s->hub.head);
	struct zone_info zi;
	json_t *zones;
	char *text;
	size_t len;

	if (now - c->last_summary_ms < SUMMARY_MS || head == c->last_summary_seq)
		return;
	/* Another client's, of this seq and at most 100 ms old? */
	if (shared_take(&s->hub, &s->hub.summary, head, now / SUMMARY_MS, c)) {
		c->last_summary_seq = head;
		c->last_summary_ms = now;
		return;
	}
	if (pthread_mutex_trylock(&s->lock))
		return;
	c->last_summary_seq = s->last_seq;
	zones = json_array();
	for (unsigned int node = 0; node < machine_nr_nodes(s->m); node++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (!machine_zone_info(s->m, (int)node, z, &zi) && zi.spanned)
				json_array_append_new(zones, json_pack("{s:i,s:s,s:I,s:I,s:I,s:I}",
					"node", (int)node, "name", zi.name,
					"managed", (json_int_t)zi.managed, "free", (json_int_t)zi.free,
					"pcp", (json_int_t)zi.pcp, "min", (json_int_t)zi.wmark_min));
	text = message_text("summary", json_pack("{s:I,s:I,s:o}", "seq", (json_int_t)s->last_seq,
						  "ops", (json_int_t)s->last_op, "zones", zones), &len);
	pthread_mutex_unlock(&s->lock);
	c->last_summary_ms = now;
	if (!text)
		return;
	out_add(c, text, len);
	c->last_sent_ms = now;
	if (c->last_summary_seq == head)
		shared_put(&s->hub, &s->hub.summary, head, now / SUMMARY_MS, text, len);
	else
		free(text);
}

/* Has the client gone? (It sends nothing after its request: readable means EOF.) */
static bool client_gone(struct client *c)
{
	char byte;
	ssize_t n;

	if (c->fd < 0)
		return false;
	n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/*
 * Nothing to send: suspend, unless events came or the end began since the
 * callback looked (the ticker, which resumes, checks under the same lock).
 */
static bool suspend_if_idle(struct client *c)
{
	bool idle;

	pthread_mutex_lock(&streams.lock);
	idle = atomic_load(&c->s->hub.head) < c->next && !c->s->stopping && !c->srv->stopping;
	if (idle) {
		c->suspended = true;
		atomic_fetch_add(&streams.suspended, 1);
		MHD_suspend_connection(c->conn);
	}
	pthread_mutex_unlock(&streams.lock);
	return idle;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct client *c = cls;

	(void)pos;
	while (c->out_pos == c->out_len) {
		uint64_t now;

		c->out_pos = c->out_len = 0;
		if (c->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (c->s->stopping || c->srv->stopping) {
			/* Say why the stream ends, then end it. */
			collect_events(c);
			out_message(c, "ended", json_pack("{s:I,s:s}", "seq",
				(json_int_t)atomic_load(&c->s->hub.head),
				"reason", c->s->stopping ? "the session was stopped"
							 : "the daemon is stopping"));
			c->ended = true;
			continue;
		}
		collect_events(c);
		now = now_ms();
		maybe_summary(c, now);
		if (c->out_len == 0 && now - c->last_sent_ms >= KEEPALIVE_MS) {
			out_add(c, ": keepalive\n\n", 13);
			c->last_sent_ms = now;
		}
		if (c->out_len == 0) {
			if (client_gone(c))
				return MHD_CONTENT_READER_END_OF_STREAM;
			if (suspend_if_idle(c))
				return 0;	/* resumed by the ticker */
		}
	}
	if (max > c->out_len - c->out_pos)
		max = c->out_len - c->out_pos;
	memcpy(buf, c->out + c->out_pos, max);
	c->out_pos += max;
	return (ssize_t)max;
}

static void stream_free(void *cls)
{
	struct client *c = cls;

	pthread_mutex_lock(&streams.lock);
	if (c->lprev)
		c->lprev->lnext = c->lnext;
	else
		streams.list = c->lnext;
	if (c->lnext)
		c->lnext->lprev = c->lprev;
	if (c->suspended)
		atomic_fetch_sub(&streams.suspended, 1);
	pthread_mutex_unlock(&streams.lock);
	atomic_fetch_sub(&c->s->hub.clients, 1);
	atomic_fetch_sub(&c->srv->stream_clients, 1);
	session_touch(c->s);	/* its last use: when the stream ended */
	session_put(c->s);
	free(c->out);
	free(c);
}

/* Has a waiting client something to send, or gone away? (streams.lock held) */
static bool has_work(struct client *c, uint64_t now, bool check_gone)
{
	uint64_t head = atomic_load(&c->s->hub.head);

	return head >= c->next || c->s->stopping || c->srv->stopping ||
	       (head != c->last_summary_seq && now - c->last_summary_ms >= SUMMARY_MS) ||
	       now - c->last_sent_ms >= KEEPALIVE_MS || (check_gone && client_gone(c));
}

static void *ticker_main(void *arg)
{
	uint64_t last_gone_check = 0;

	(void)arg;
	pthread_mutex_lock(&streams.lock);
	while (streams.running) {
		uint64_t now = now_ms();
		bool check_gone = now - last_gone_check >= GONE_CHECK_MS;
		struct timespec until;

		if (check_gone)
			last_gone_check = now;
		for (struct client *c = streams.list; c; c = c->lnext)
			if (c->suspended && has_work(c, now, check_gone)) {
				c->suspended = false;
				atomic_fetch_sub(&streams.suspended, 1);
				MHD_resume_connection(c->conn);
			}
		if (streams.kick) {
			streams.kick = false;
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += SUMMARY_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&streams.wake, &streams.lock, &until);
		streams.kick = false;
	}
	pthread_mutex_unlock(&streams.lock);
	return NULL;
}

int stream_start(char *err, size_t errlen)
{
	int rc;

	streams.running = true;
	rc = pthread_create(&streams.ticker, NULL, ticker_main, NULL);
	if (rc) {
		streams.running = false;
		snprintf(err, errlen, "cannot start the stream thread: %s", strerror(rc));
		return -1;
	}
	return 0;
}

void stream_wake_all(void)
{
	pthread_mutex_lock(&streams.lock);
	streams.kick = true;
	pthread_cond_signal(&streams.wake);
	pthread_mutex_unlock(&streams.lock);
}

unsigned int stream_suspended(void)
{
	return atomic_load(&streams.suspended);
}

void stream_stop(void)
{
	pthread_mutex_lock(&streams.lock);
	if (!streams.running) {
		pthread_mutex_unlock(&streams.lock);
		return;
	}
	streams.running = false;
	pthread_cond_signal(&streams.wake);
	pthread_mutex_unlock(&streams.lock);
	pthread_join(streams.ticker, NULL);
}

/* GET /api/v1/sessions/{id}/stream: the reply is a callback, not a body. */
void api_session_stream(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	struct mm_error e = { 0 };
	struct session *s;
	struct client *c;

	if (id < 0)
		return;
	s = session_get_ex(srv, id, &e);
	if (!s && e.err) {	/* hibernated, and it cannot wake now */
		reply_error(rep, e.err == -EBUSY ? 429 : 503, mm_errno_name(e.err),
			    "cannot wake session %lld: %s", (long long)id, e.message);
		return;
	}
	if (!s) {
		reply_error(rep, 404, "ENOENT", "no live session %lld to stream", (long long)id);
		return;
	}
	if (atomic_fetch_add(&srv->stream_clients, 1) >= (int)srv->opt.max_streams) {
		atomic_fetch_sub(&srv->stream_clients, 1);
		session_put(s);
		reply_error(rep, 429, "EBUSY", "too many stream clients (at most %u)", srv->opt.max_streams);
		return;
	}
	c = calloc(1, sizeof(*c));
	pthread_mutex_lock(&s->lock);	/* the ring is created under the engine's lock */
	if (!s->hub.ring)
		s->hub.ring = calloc(STREAM_RING_SIZE, sizeof(*s->hub.ring));
	if (!c || !s->hub.ring) {
		pthread_mutex_unlock(&s->lock);
		atomic_fetch_sub(&srv->stream_clients, 1);
		session_put(s);
		free(c);
		reply_error(rep, 503, "ENOMEM", "out of memory");
		return;
	}
	atomic_fetch_add(&s->hub.clients, 1);
	c->srv = srv;
	c->s = s;
	c->conn = req->conn;
	c->fd = http_socket(req);
	c->next = s->last_seq + 1;
	c->last_summary_seq = UINT64_MAX;
	out_message(c, "hello", json_pack("{s:I,s:I}", "session", (json_int_t)id,
					 "seq", (json_int_t)s->last_seq));
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&streams.lock);
	c->lnext = streams.list;
	if (c->lnext)
		c->lnext->lprev = c;
	streams.list = c;
	pthread_mutex_unlock(&streams.lock);
	rep->status = 200;
	rep->content_type = "text/event-stream";
	rep->stream_read = stream_read;
	rep->stream_free = stream_free;
	rep->stream_cls = c;
}
