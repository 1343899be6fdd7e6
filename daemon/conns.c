/*
 * conns.c - connection limits and the header deadline (see conns.h).
 *
 * Every open connection has a record, in one list (for the deadline) and in a
 * bucket by client address (for the per-address count), under one lock.
 * Accepting is rare next to requests, so one lock is enough.
 *
 * A client that sends its headers a byte at a time never trips
 * libmicrohttpd's timeout, which counts idle time only. Here a connection that
 * waits for headers (a new one, or a kept-alive one between requests) has
 * --header-timeout seconds in all to send them; then its socket is shut down
 * and libmicrohttpd, seeing the end of it, closes the connection. The socket
 * is shut down under the lock, and the closing notification removes the
 * record under it before libmicrohttpd closes the descriptor, so the number
 * can never be another connection's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>

#include "daemon/conns.h"
#include "daemon/log.h"
#include "daemon/server.h"

#define NR_BUCKETS	4096

struct conn_rec {
	struct conn_rec *prev, *next;		/* all connections */
	struct conn_rec *bprev, *bnext;		/* same bucket */
	unsigned char ip[16];			/* IPv4 as ::ffff:a.b.c.d */
	int fd;
	_Atomic uint64_t waiting_since_ms;	/* 0 while a request is under way */
	bool cut;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct conn_rec *all;
	struct conn_rec *buckets[NR_BUCKETS];
	pthread_t reaper;
	bool running;
	struct server *srv;
} conns = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The client address as 16 bytes; false for a family that has none. */
static bool ip_key(const struct sockaddr *addr, unsigned char ip[16])
{
	if (addr->sa_family == AF_INET) {
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &((const struct sockaddr_in *)addr)->sin_addr, 4);
		return true;
	}
	if (addr->sa_family == AF_INET6) {
		memcpy(ip, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
		return true;
	}
	return false;
}

static unsigned int bucket_of(const unsigned char ip[16])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 16777619u;
	return h & (NR_BUCKETS - 1);
}

static unsigned int count_from(const unsigned char ip[16])
{
	unsigned int n = 0;

	for (struct conn_rec *r = conns.buckets[bucket_of(ip)]; r; r = r->bnext)
		n += memcmp(r->ip, ip, 16) == 0;
	return n;
}

/*
 * The limits are checked here and the record added at "started", in the
 * same libmicrohttpd thread right after: with several threads accepting at
 * once, an address may get one connection per thread beyond its share.
 */
enum MHD_Result conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct server *srv = cls;
	unsigned char ip[16];
	enum MHD_Result ok = MHD_YES;

	(void)addrlen;
	if (atomic_load(&srv->conns.open) >= srv->opt.max_connections) {
		atomic_fetch_add(&srv->conns.refused_total, 1);
		return MHD_NO;
	}
	if (!ip_key(addr, ip))
		return MHD_YES;
	pthread_mutex_lock(&conns.lock);
	if (count_from(ip) >= srv->opt.max_per_ip) {
		atomic_fetch_add(&srv->conns.refused_per_ip, 1);
		ok = MHD_NO;
	}
	pthread_mutex_unlock(&conns.lock);
	return ok;
}

static void rec_add(struct conn_rec *r)
{
	unsigned int b = bucket_of(r->ip);

	r->next = conns.all;
	if (r->next)
		r->next->prev = r;
	conns.all = r;
	r->bnext = conns.buckets[b];
	if (r->bnext)
		r->bnext->bprev = r;
	conns.buckets[b] = r;
}

static void rec_remove(struct conn_rec *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		conns.all = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (r->bprev)
		r->bprev->bnext = r->bnext;
	else
		conns.buckets[bucket_of(r->ip)] = r->bnext;
	if (r->bnext)
		r->bnext->bprev = r->bprev;
}

void conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		  enum MHD_ConnectionNotificationCode code)
{
	struct server *srv = cls;
	struct conn_rec *r = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *addr =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		r = calloc(1, sizeof(*r));
		if (!r)
			return;	/* not counted, never cut: rare, and harmless */
		r->fd = fd ? fd->connect_fd : -1;
		if (!addr || !ip_key(addr->client_addr, r->ip))
			memset(r->ip, 0, sizeof(r->ip));
		atomic_init(&r->waiting_since_ms, now_ms());
		pthread_mutex_lock(&conns.lock);
		rec_add(r);
		pthread_mutex_unlock(&conns.lock);
		*socket_context = r;
		atomic_fetch_add(&srv->conns.open, 1);
		atomic_fetch_add(&srv->conns.accepted, 1);
		return;
	}
	if (!r)
		return;
	pthread_mutex_lock(&conns.lock);
	rec_remove(r);
	pthread_mutex_unlock(&conns.lock);
	*socket_context = NULL;
	free(r);
	atomic_fetch_sub(&srv->conns.open, 1);
}

static struct conn_rec *rec_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

void conns_headers_done(struct MHD_Connection *conn)
{
	struct conn_rec *r = rec_of(conn);

	if (r)
		atomic_store(&r->waiting_since_ms, 0);
}

void conns_request_done(struct MHD_Connection *conn)
{
	struct conn_rec *r = rec_of(conn);

	if (r)
		atomic_store(&r->waiting_since_ms, now_ms());
}

/* Shut down the sockets of connections whose headers are overdue. */
static void cut_overdue(struct server *srv, uint64_t now)
{
	uint64_t limit = (uint64_t)srv->opt.header_timeout * 1000;

	for (struct conn_rec *r = conns.all; r; r = r->next) {
		uint64_t since = atomic_load(&r->waiting_since_ms);

		/* @since may be a little after @now: it is stored without the lock. */
		if (r->cut || !since || now <= since || now - since < limit || r->fd < 0)
			continue;
		if (shutdown(r->fd, SHUT_RDWR) && errno != ENOTCONN)
			log_debug("header deadline: shutdown: %s", strerror(errno));
		r->cut = true;
		atomic_fetch_add(&srv->conns.cut_headers, 1);
	}
}

static void *reaper_main(void *arg)
{
	struct server *srv = arg;

	pthread_mutex_lock(&conns.lock);
	while (conns.running) {
		struct timespec until;

		cut_overdue(srv, now_ms());
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&conns.wake, &conns.lock, &until);
	}
	pthread_mutex_unlock(&conns.lock);
	return NULL;
}

int conns_start(struct server *srv, char *err, size_t errlen)
{
	int rc;

	conns.srv = srv;
	conns.running = true;
	rc = pthread_create(&conns.reaper, NULL, reaper_main, srv);
	if (rc) {
		conns.running = false;
		snprintf(err, errlen, "cannot start a thread: %s", strerror(rc));
		return -1;
	}
	return 0;
}

void conns_stop(struct server *srv)
{
	(void)srv;
	pthread_mutex_lock(&conns.lock);
	if (!conns.running) {
		pthread_mutex_unlock(&conns.lock);
		return;
	}
	conns.running = false;
	pthread_cond_signal(&conns.wake);
	pthread_mutex_unlock(&conns.lock);
	pthread_join(conns.reaper, NULL);
}
