/*
 * http.h - requests and replies between the libmicrohttpd glue (http.c) and
 * the handlers (api_*.c, static.c). Handlers never touch libmicrohttpd: they
 * read a struct http_request and fill a struct http_reply.
 */
#ifndef MMLAB_HTTP_H
#define MMLAB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct server;
struct MHD_Connection;
struct trace_import;

#define HTTP_MAX_PARAMS 4

struct http_request {
	const char *method;
	const char *path;		/* decoded path, no query */
	struct MHD_Connection *conn;	/* for http_query() / http_header() only */
	const char *body;		/* NUL-terminated, may be NULL */
	size_t body_len;
	const char *params[HTTP_MAX_PARAMS];	/* {id}-style path segments, in order */
	unsigned int nr_params;
	const char *route;		/* the matched route pattern, for metrics */
	struct trace_import *upload;	/* a trace read as it arrived (import-trace), or NULL */
};

struct http_reply {
	unsigned int status;
	char *body;			/* malloc'd, freed by http.c */
	size_t len;
	const char *content_type;
	const char *cache_control;	/* NULL: no-store for API replies */
	char allow[64];			/* Allow header for 405, "" otherwise */
	char etag[64];			/* ETag of a static file, "" otherwise */
	int fd;				/* a file to send instead of body, or -1 */
	uint64_t fd_size;
	/* A stream of unknown length instead of a body (Server-Sent Events). */
	ssize_t (*stream_read)(void *cls, uint64_t pos, char *buf, size_t max);
	void (*stream_free)(void *cls);
	void *stream_cls;
};

/* A query-string argument, or NULL. */
const char *http_query(const struct http_request *req, const char *name);
/* A request header, or NULL. */
const char *http_header(const struct http_request *req, const char *name);

/* The connection's socket (for noticing a client that hung up), or -1. */
int http_socket(const struct http_request *req);

/* Reply with @root as JSON (takes the reference). */
void reply_json(struct http_reply *rep, unsigned int status, json_t *root);
/* Reply {"error":{"code":@code,"message":...}} with @status. */
void reply_error(struct http_reply *rep, unsigned int status, const char *code,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Reply with a text body (copied). */
void reply_text(struct http_reply *rep, unsigned int status, const char *content_type,
		const char *text, size_t len);
/* Reply with a malloc'd body (taken). */
void reply_take(struct http_reply *rep, unsigned int status, const char *content_type,
		char *body, size_t len);

/*
 * Bind and listen on srv->addr (srv->port: the port bound), then serve that
 * socket (http_start() needs http_bind()'s). Between the two, the Host
 * policy learns the port: no request is read before it can be checked.
 */
int http_bind(struct server *srv, char *err, size_t errlen);
int http_start(struct server *srv, char *err, size_t errlen);
void http_stop(struct server *srv);

#endif
