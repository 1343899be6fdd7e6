/*
 * fuzz_request.c - libFuzzer target for the request layer of mmlabd: the
 * route table lookup (api_route_lookup, with its "{...}" captures) on fuzzed
 * paths, the session id of the captured segment, and the JSON body as
 * api_body_json() parses it, then checked as POST .../ops checks it.
 *
 * Input: a path, a newline, then the body. The path is what libmicrohttpd
 * hands over, already decoded: any bytes but NUL.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/api.h"
#include "daemon/http.h"
#include "daemon/ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_route(const char *path)
{
	char params[HTTP_MAX_PARAMS][128];
	struct http_request req = { .method = "GET", .path = path };
	struct http_reply rep = { .fd = -1 };
	const struct api_route *r = api_route_lookup(&req, params);

	if (!r)
		return;
	if (req.nr_params > HTTP_MAX_PARAMS)
		abort();
	for (unsigned int i = 0; i < req.nr_params; i++)
		if (!req.params[i][0] || strchr(req.params[i], '/') ||
		    strlen(req.params[i]) >= sizeof(params[i]))
			abort();
	if (req.nr_params && strncmp(r->pattern, "/api/v1/sessions/{id}", 21) == 0 &&
	    api_session_id(&req, &rep) < 0 && rep.status != 404)
		abort();
	free(rep.body);
}

static void check_body(const char *body, size_t len)
{
	struct http_request req = { .method = "POST", .path = "/api/v1/sessions/1/ops",
				    .body = body, .body_len = len };
	struct http_reply rep = { .fd = -1 };
	json_t *root = api_body_json(&req, &rep), *op;
	char err[256];
	size_t i;

	if (!root) {
		if (rep.status != 400 || !rep.body || !strstr(rep.body, "\"error\""))
			abort();
		free(rep.body);
		return;
	}
	if (json_is_array(root) && json_array_size(root) <= OPS_MAX_PER_REQUEST)
		json_array_foreach(root, i, op)
			if (op_validate_shape(op, err, sizeof(err)) && !err[0])
				abort();
	free(json_dumps(root, JSON_COMPACT));
	json_decref(root);
	free(rep.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : size;
	char *path = malloc(plen + 1), *body;
	size_t blen = nl ? size - plen - 1 : 0;

	if (!path)
		return 0;
	memcpy(path, data, plen);
	path[plen] = '\0';
	check_route(path);
	body = malloc(blen + 1);
	if (body) {
		memcpy(body, nl ? nl + 1 : data, blen);
		body[blen] = '\0';
		check_body(body, blen);
		free(body);
	}
	free(path);
	return 0;
}
