/*
 * fuzz_request.c - libFuzzer target for the request layer of mmlabd: the
 * route table lookup (api_route_lookup, with its "{...}" captures) on fuzzed
 * paths, the session id of the captured segment, and the JSON body as
 * api_body_json() parses it, then checked as POST .../ops checks it. The
 * path is also given as a Host and inside an Origin header to the DNS
 * rebinding checks (origin.c), which must accept only the names they know.
 *
 * Input: a path, a newline, then the body. The path is what libmicrohttpd
 * hands over, already decoded: any bytes but NUL.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "daemon/api.h"
#include "daemon/http.h"
#include "daemon/ops.h"
#include "daemon/origin.h"

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

/* Is @host (accepted) one of the names of the policy of check_host()? */
static bool known_name(const char *host)
{
	static const char *const names[] = { "localhost", "127.0.0.1", "[::1]", "lab.example",
					     "board.example" };
	size_t n = host[0] == '[' ? (size_t)(strchr(host, ']') - host) + 1 : strcspn(host, ":");

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp(host, names[i], n) == 0)
			return true;
	return false;
}

static void check_host(const char *text)
{
	static struct host_policy p = { .port = 8080 };
	char origin[4200];
	bool host_ok, origin_ok;

	if (!p.nr_names && (!host_policy_add(&p, "lab.example") ||
			    !host_policy_add(&p, "Board.Example:8443")))
		abort();
	host_ok = host_allowed(&p, text);
	if (host_ok && !known_name(text))
		abort();
	snprintf(origin, sizeof(origin), "http://%s", text);
	origin_ok = origin_allowed(&p, origin);
	/* With an explicit port, the Origin of a page is served as its Host is. */
	if (strchr(text, ':') && text[0] != '[' && origin_ok != host_ok)
		abort();
	if (origin_ok && !known_name(text))
		abort();
	/* a scheme is case-insensitive (RFC 3986): "HTTP://" is the web's too */
	if (origin_allowed(&p, "null") || (strncasecmp(text, "http", 4) != 0 && origin_allowed(&p, text)))
		abort();
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
	check_host(path);
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
