/*
 * conns.h - the connections of mmlabd: how many are open, how many from each
 * address, and a deadline for a request's headers (slow clients).
 *
 * libmicrohttpd asks conns_accept() about every new connection and tells
 * conns_notify() when one starts and closes; the glue (http.c) tells
 * conns_headers_done() when a request's headers are in and
 * conns_request_done() when its reply has gone.
 */
#ifndef MMLAB_CONNS_H
#define MMLAB_CONNS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct server;

struct conn_stats {
	atomic_ulong open;		/* connections open now */
	atomic_ulong accepted;		/* since start */
	atomic_ulong refused_per_ip;	/* refused: that address had its share */
	atomic_ulong refused_total;	/* refused: the daemon had all it takes */
	atomic_ulong cut_headers;	/* closed: headers not in within the deadline */
};

/* Start the bookkeeping and the thread that enforces the header deadline. */
int conns_start(struct server *srv, char *err, size_t errlen);
/* Stop that thread (after libmicrohttpd has stopped). */
void conns_stop(struct server *srv);

/* MHD_AcceptPolicyCallback: refuse beyond the limits, counting it. */
enum MHD_Result conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* MHD_NotifyConnectionCallback. */
void conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		  enum MHD_ConnectionNotificationCode code);
/* The headers of a request on @conn are all in: no deadline until it is done. */
void conns_headers_done(struct MHD_Connection *conn);
/* Its reply has gone: the next request's headers have the deadline again. */
void conns_request_done(struct MHD_Connection *conn);

#endif
