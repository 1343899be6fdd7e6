/*
 * http.c - libmicrohttpd glue: collects a request's body, hands the request
 * to the handlers (api.c, static.c) and turns their reply into a response.
 *
 * The handlers never see libmicrohttpd; everything protocol-shaped (body
 * limits, content types, bearer tokens, response headers) is decided here.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "daemon/conns.h"
#include "daemon/http.h"
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/server.h"
#include "daemon/trace_import.h"
#include "daemon/stream.h"

/* Per-connection request state, alive from the first call to the completion. */
struct request_ctx {
	char *body;
	size_t len, cap, limit;
	bool too_large;
	struct trace_import *upload;	/* import-trace: the body goes here, not to @body */
	bool refused;		/* answered before its body (Host, Origin) */
	bool answered;		/* rep is made, to be sent */
	bool deferred;		/* the handler was asked once, to be run as a job */
	struct server *srv;
	struct MHD_Connection *conn;
	const char *method, *url;	/* libmicrohttpd's, valid until completion */
	struct http_reply rep;
	struct job job;		/* when the handler runs on a job thread */
};

const char *http_query(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

int http_socket(const struct http_request *req)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	return info ? info->connect_fd : -1;
}

void reply_take(struct http_reply *rep, unsigned int status, const char *content_type,
		char *body, size_t len)
{
	free(rep->body);
	rep->status = status;
	rep->content_type = content_type;
	rep->body = body;
	rep->len = len;
}

void reply_text(struct http_reply *rep, unsigned int status, const char *content_type,
		const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy) {
		reply_take(rep, 500, "text/plain", NULL, 0);
		return;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	reply_take(rep, status, content_type, copy, len);
}

void reply_json(struct http_reply *rep, unsigned int status, json_t *root)
{
	char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;

	json_decref(root);
	if (!text) {
		static const char oom[] = "{\"error\":{\"code\":\"ENOMEM\",\"message\":\"out of memory\"}}";

		reply_text(rep, 500, "application/json", oom, sizeof(oom) - 1);
		return;
	}
	reply_take(rep, status, "application/json", text, strlen(text));
}

/*
 * Make @s valid UTF-8 in place: messages quote what a client sent (a path, a
 * header), which may be any bytes, and JSON strings must be UTF-8.
 */
static void utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			(*p & 0xf8) == 0xf0 ? 4 : 0;
		uint32_t cp = n == 1 ? *p : n == 2 ? *p & 0x1f : n == 3 ? *p & 0x0f : *p & 0x07;
		int i;

		for (i = 1; i < n && (p[i] & 0xc0) == 0x80; i++)
			cp = cp << 6 | (p[i] & 0x3f);
		/* Stray or truncated bytes, overlong forms, surrogates, beyond U+10FFFF. */
		if (n == 0 || i < n || (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

void reply_error(struct http_reply *rep, unsigned int status, const char *code,
		 const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	utf8_sanitize(message);
	reply_json(rep, status, json_pack("{s:{s:s,s:s}}", "error", "code", code,
					  "message", message));
}

static bool is_mutating(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	       strcmp(method, "OPTIONS") != 0;
}

/* Compare without an early exit, so the time does not tell how much matched. */
static bool token_equal(const char *given, const char *expected)
{
	size_t lg = strlen(given), le = strlen(expected);
	unsigned char diff = (unsigned char)(lg != le);

	for (size_t i = 0; i < le; i++)
		diff |= (unsigned char)(expected[i] ^ (i < lg ? given[i] : 0));
	return diff == 0;
}

/* A mutating request must carry the token when the daemon has one. */
static bool authorized(struct server *srv, struct http_request *req)
{
	const char *auth;

	if (!srv->opt.token[0] || !is_mutating(req->method))
		return true;
	auth = http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	return token_equal(auth + 7, srv->opt.token);
}

/*
 * DNS rebinding: a request must name this daemon in Host, and a mutating one
 * that comes from a web page (Origin) must come from one of its pages. A
 * client that sends no Origin is not a browser; HTTP/1.0 may omit Host.
 */
static bool refused_origin(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	const char *host = http_header(req, MHD_HTTP_HEADER_HOST);
	const char *origin = http_header(req, MHD_HTTP_HEADER_ORIGIN);

	if (host && !host_allowed(&srv->hosts, host)) {
		atomic_fetch_add(&srv->refused_host, 1);
		reply_error(rep, 403, "EPERM", "Host '%.200s' is not a name of this daemon "
			    "(localhost, 127.0.0.1 or [::1] with port %u, or one given with --allow-host)",
			    host, srv->hosts.port);
		return true;
	}
	if (origin && is_mutating(req->method) && !origin_allowed(&srv->hosts, origin)) {
		atomic_fetch_add(&srv->refused_origin, 1);
		reply_error(rep, 403, "EPERM", "a page from Origin '%.200s' may not change this "
			    "daemon's state (give its name with --allow-host if it is yours)", origin);
		return true;
	}
	return false;
}

static bool is_api_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 ||
	       strcmp(path, "/metrics") == 0;
}

static void dispatch(struct server *srv, struct http_request *req, struct request_ctx *ctx,
		     struct http_reply *rep)
{
	if (ctx->too_large) {
		reply_error(rep, 413, "E2BIG", "request body larger than %zu bytes", ctx->limit);
		return;
	}
	if (!authorized(srv, req)) {
		reply_error(rep, 401, "EACCES",
			    "this daemon needs 'Authorization: Bearer <token>' on every mutating request");
		return;
	}
	if (is_api_path(req->path))
		api_handle(srv, req, rep);
	else
		static_serve(srv, req, rep);
}

static enum MHD_Result queue_reply(struct MHD_Connection *conn, struct http_reply *rep,
				   bool head)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (rep->stream_read) {
		/* A stream waits as long as its client: no idle timeout. */
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024,
							 rep->stream_read, rep->stream_cls,
							 rep->stream_free);
		if (!resp)
			rep->stream_free(rep->stream_cls);
		rep->stream_read = NULL;
	} else if (rep->fd >= 0) {
		resp = MHD_create_response_from_fd64(rep->fd_size, rep->fd);
		rep->fd = -1;	/* the response owns it now */
	} else {
		resp = MHD_create_response_from_buffer(rep->len, rep->body,
						       MHD_RESPMEM_MUST_FREE);
		rep->body = NULL;
	}
	if (!resp)
		return MHD_NO;
	(void)head;	/* libmicrohttpd leaves the body out of HEAD replies itself */
	if (rep->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				rep->cache_control ? rep->cache_control : "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; style-src 'self' 'unsafe-inline'; "
				"img-src 'self' data:; object-src 'none'; base-uri 'none'; "
				"frame-ancestors 'none'");
	if (rep->allow[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
	if (rep->etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, rep->etag);
	ret = MHD_queue_response(conn, rep->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool append_body(struct request_ctx *ctx, const char *data, size_t size)
{
	if (ctx->too_large || ctx->len + size > ctx->limit) {
		ctx->too_large = true;
		free(ctx->body);
		ctx->body = NULL;
		ctx->len = ctx->cap = 0;
		return true;	/* keep reading, answer 413 at the end */
	}
	if (ctx->len + size + 1 > ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap : 4096;
		char *p;

		while (cap < ctx->len + size + 1)
			cap *= 2;
		p = realloc(ctx->body, cap);
		if (!p)
			return false;
		ctx->body = p;
		ctx->cap = cap;
	}
	memcpy(ctx->body + ctx->len, data, size);
	ctx->len += size;
	ctx->body[ctx->len] = '\0';
	return true;
}

/*
 * An import-trace upload, begun before its body arrives (its name and
 * leniency are query arguments). Not for a client without the token.
 */
static struct trace_import *trace_upload_begin(struct server *srv, struct MHD_Connection *conn)
{
	struct http_request req = { .method = "POST", .conn = conn };
	const char *lenient = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lenient");

	if (!authorized(srv, &req))
		return NULL;
	return trace_import_begin(srv, MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
								   "name"),
				  lenient && strcmp(lenient, "0") && strcmp(lenient, "false"));
}

/*
 * The largest body a route takes: a session file, a batch of ops, or a few
 * fields (a new session, a fork, a scenario run), so that a client cannot
 * make the daemon hold 32 MiB on any route.
 */
static size_t body_limit(const char *url)
{
	size_t n = strlen(url);

	if (strcmp(url, "/api/v1/sessions/import") == 0 ||
	    strcmp(url, "/api/v1/sessions/import-trace") == 0)	/* read as it comes, bounded there */
		return SERVER_MAX_IMPORT;
	if (n > 4 && strcmp(url + n - 4, "/ops") == 0)
		return SERVER_MAX_BODY;
	return SERVER_MAX_SMALL_BODY;
}

/*
 * A Content-Length far beyond the route's limit is refused before the body is
 * read, and the connection closed: the client may not see the reply while it
 * still writes, but nothing is spent on it. A smaller excess is read and
 * thrown away (append_body()), so that the client gets its 413 cleanly.
 */
static bool refused_length(struct request_ctx *ctx, struct http_request *req,
			   struct http_reply *rep)
{
	const char *cl = http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if (!cl)
		return false;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (end == cl || *end || errno || n <= ctx->limit + SERVER_MAX_BODY)
		return false;	/* a malformed one is libmicrohttpd's to refuse */
	reply_error(rep, 413, "E2BIG", "request body larger than %zu bytes", ctx->limit);
	return true;
}

/* Refuse a foreign Host or Origin, or a body too large, as soon as the headers are in. */
static enum MHD_Result refuse_early(struct server *srv, struct request_ctx *ctx,
				    struct MHD_Connection *conn, const char *method, const char *url)
{
	struct http_request req = { .method = method, .path = url, .conn = conn };
	struct http_reply rep = { .fd = -1, .status = 500 };
	enum MHD_Result ret;

	if (!refused_origin(srv, &req, &rep) && !refused_length(ctx, &req, &rep))
		return MHD_YES;
	ctx->refused = true;
	metrics_observe(method, "(refused)", rep.status, 0);
	log_debug("%s %s -> %u (refused before its body)", method, url, rep.status);
	ret = queue_reply(conn, &rep, false);
	free(rep.body);
	return ret;
}

/*
 * The handlers that answer at once run on libmicrohttpd's threads: files of
 * the web root, health, metrics. Everything else may wait for a session's
 * lock behind a long batch, and runs as a job (jobs.h).
 */
static bool runs_inline(const char *method, const char *url)
{
	return !is_api_path(url) || strcmp(url, "/api/v1/health") == 0 ||
	       strcmp(url, "/metrics") == 0 || strcmp(method, "OPTIONS") == 0;
}

/* Run the handler of the request of @ctx into ctx->rep, and count it. */
static void run_request(struct request_ctx *ctx)
{
	struct http_request req = { .method = ctx->method, .path = ctx->url, .conn = ctx->conn,
				    .body = ctx->body, .body_len = ctx->len, .upload = ctx->upload };
	struct timespec t0, t1;

	ctx->upload = NULL;	/* the handler finishes it */
	memset(&ctx->rep, 0, sizeof(ctx->rep));
	ctx->rep.fd = -1;
	ctx->rep.status = 500;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dispatch(ctx->srv, &req, ctx, &ctx->rep);
	trace_import_abort(req.upload);	/* refused before its handler */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_observe(ctx->method, req.route, ctx->rep.status,
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	log_debug("%s %s -> %u", ctx->method, ctx->url, ctx->rep.status);
	ctx->answered = true;
}

/* A job thread: run the handler, then let libmicrohttpd send the reply. */
static void run_job(struct job *job)
{
	struct request_ctx *ctx = (struct request_ctx *)((char *)job - offsetof(struct request_ctx, job));
	struct server *srv = ctx->srv;

	run_request(ctx);
	/* The connection comes back to handle_request(), which sends ctx->rep. */
	MHD_resume_connection(ctx->conn);
	atomic_fetch_sub(&srv->jobs_in_flight, 1);
}

static enum MHD_Result send_reply(struct request_ctx *ctx)
{
	enum MHD_Result ret = queue_reply(ctx->conn, &ctx->rep, strcmp(ctx->method, "HEAD") == 0);

	free(ctx->rep.body);
	ctx->rep.body = NULL;
	if (ctx->rep.fd >= 0)
		close(ctx->rep.fd);
	ctx->rep.fd = -1;
	return ret;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn,
				      const char *url, const char *method,
				      const char *version, const char *upload_data,
				      size_t *upload_data_size, void **req_cls)
{
	struct server *srv = cls;
	struct request_ctx *ctx = *req_cls;
	enum MHD_Result ret;

	(void)version;
	if (!ctx) {
		conns_headers_done(conn);
		ctx = calloc(1, sizeof(*ctx));
		if (!ctx)
			return MHD_NO;
		ctx->srv = srv;
		ctx->conn = conn;
		ctx->method = method;
		ctx->url = url;
		ctx->rep.fd = -1;
		ctx->limit = body_limit(url);
		*req_cls = ctx;
		ret = refuse_early(srv, ctx, conn, method, url);
		if (!ctx->refused && strcmp(url, "/api/v1/sessions/import-trace") == 0 &&
		    strcmp(method, "POST") == 0)
			ctx->upload = trace_upload_begin(srv, conn);
		return ret;
	}
	if (ctx->refused) {	/* its body, if any, is not read */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size && ctx->upload) {	/* a trace: read as it comes, never kept */
		trace_import_feed(ctx->upload, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!append_body(ctx, upload_data, *upload_data_size))
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (ctx->answered)	/* back from a job */
		return send_reply(ctx);
	if (runs_inline(method, url)) {
		run_request(ctx);
		return send_reply(ctx);
	}
	/*
	 * libmicrohttpd 0.9.75 keeps a suspended connection's poll state as it
	 * was: suspended in the pass that read the request, it would read again
	 * on resume and take a client that half-closed after its request for
	 * one that went away, dropping the reply. Returning without a reply
	 * once makes it settle to "blocked"; it calls again at its next turn.
	 */
	if (!ctx->deferred) {
		ctx->deferred = true;
		return MHD_YES;
	}
	/* Counted before looking at stopping: http_stop() waits for the count. */
	atomic_fetch_add(&srv->jobs_in_flight, 1);
	if (atomic_load(&srv->stopping)) {
		atomic_fetch_sub(&srv->jobs_in_flight, 1);
		run_request(ctx);
		return send_reply(ctx);
	}
	MHD_suspend_connection(conn);
	ctx->job.run = run_job;
	jobs_submit(&ctx->job);
	return MHD_YES;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct request_ctx *ctx = *req_cls;

	(void)cls;
	(void)toe;
	conns_request_done(conn);
	if (!ctx)
		return;
	/* A reply made but never queued (the client went in the meantime). */
	if (ctx->rep.stream_read && ctx->rep.stream_free)
		ctx->rep.stream_free(ctx->rep.stream_cls);
	if (ctx->rep.fd >= 0)
		close(ctx->rep.fd);
	free(ctx->rep.body);
	free(ctx->body);
	trace_import_abort(ctx->upload);
	free(ctx);
	*req_cls = NULL;
}

int http_start(struct server *srv, char *err, size_t errlen)
{
	/*
	 * A few polling threads (epoll), each with its share of the connections;
	 * handlers that may wait run as jobs and streams wait suspended, so no
	 * thread is held by a connection that waits.
	 */
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			     MHD_USE_ERROR_LOG;
	const struct server_options *o = &srv->opt;

	if (srv->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (conns_start(srv, err, errlen))
		return -1;
	if (stream_start(err, errlen) || jobs_start(o->handler_threads, err, errlen)) {
		stream_stop();
		conns_stop(srv);
		return -1;
	}
	/*
	 * The limits are conns_accept()'s, which counts what it refuses;
	 * libmicrohttpd's own (shared out between its threads) are a backstop.
	 */
	srv->mhd = MHD_start_daemon(flags, 0, conns_accept, srv, handle_request, srv,
				    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd,
				    MHD_OPTION_THREAD_POOL_SIZE, o->threads > 1 ? o->threads : 0u,
				    MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024),
				    MHD_OPTION_CONNECTION_TIMEOUT, o->idle_timeout,
				    MHD_OPTION_CONNECTION_LIMIT, 2 * o->max_connections + o->threads,
				    MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_per_ip + o->threads,
				    MHD_OPTION_NOTIFY_COMPLETED, request_completed, srv,
				    MHD_OPTION_NOTIFY_CONNECTION, conns_notify, srv,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		snprintf(err, errlen, "cannot listen on %s: %s", srv->opt.listen,
			 errno ? strerror(errno) : "libmicrohttpd refused to start");
		jobs_stop();
		stream_stop();
		conns_stop(srv);
		return -1;
	}
	return 0;
}

int http_bind(struct server *srv, char *err, size_t errlen)
{
	struct sockaddr_storage bound;
	socklen_t len = sizeof(bound);
	int one = 1, fd;

	fd = socket(srv->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", srv->opt.listen, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (srv->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&srv->addr, srv->addr_len) || listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)&bound, &len)) {
		snprintf(err, errlen, "cannot listen on %s: %s", srv->opt.listen, strerror(errno));
		close(fd);
		return -1;
	}
	srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						       : ((struct sockaddr_in *)&bound)->sin_port);
	srv->listen_fd = fd;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * No new connections; streams are told the daemon stops and end; handlers
 * under way finish. libmicrohttpd may stop only when no connection is
 * suspended any more.
 */
void http_stop(struct server *srv)
{
	MHD_socket listen_fd;

	atomic_store(&srv->stopping, true);
	if (!srv->mhd)
		return;
	listen_fd = MHD_quiesce_daemon(srv->mhd);
	stream_wake_all();
	while (atomic_load(&srv->jobs_in_flight) || stream_suspended())
		sleep_ms(5);
	for (int i = 0; i < 400 && atomic_load(&srv->stream_clients); i++)
		sleep_ms(5);	/* let the "ended" messages go out */
	MHD_stop_daemon(srv->mhd);
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	srv->mhd = NULL;
	jobs_stop();
	stream_stop();
	conns_stop(srv);
}
