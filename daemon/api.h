/*
 * api.h - what the route handlers (api_*.c) share.
 */
#ifndef MMLAB_API_H
#define MMLAB_API_H

#include <stdbool.h>

#include "daemon/http.h"

struct server;

typedef void (*api_fn)(struct server *srv, struct http_request *req, struct http_reply *rep);

struct api_route {
	const char *pattern;
	api_fn get, post, delete;
};

/* 415 unless the body is declared JSON (or undeclared). */
bool api_body_is_json(struct http_request *req, struct http_reply *rep);
/* The body parsed as JSON, or NULL with a 400/415 reply already set. */
json_t *api_body_json(struct http_request *req, struct http_reply *rep);

#endif
