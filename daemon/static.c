/*
 * static.c - the dashboard's files, served from the web root only.
 *
 * A path is refused when a segment is "..", and the file's real path (after
 * following symlinks) must still lie inside the real web root, so neither
 * "../" nor a symlink can reach outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/server.h"

static const struct {
	const char *ext;
	const char *type;
} content_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".md", "text/markdown; charset=utf-8" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *content_type_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');

	if (dot)
		for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++)
			if (strcmp(dot, content_types[i].ext) == 0)
				return content_types[i].type;
	return "text/plain; charset=utf-8";
}

/* No "..", no NUL, no backslash: the path names something below the root. */
static bool path_is_clean(const char *path)
{
	const char *p = path;

	if (path[0] != '/' || strchr(path, '\\'))
		return false;
	while (*p) {
		const char *seg = p + 1, *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);

		if (n == 2 && seg[0] == '.' && seg[1] == '.')
			return false;
		if (!end)
			break;
		p = end;
	}
	return true;
}

static bool inside_root(const char *real, const char *root)
{
	size_t n = strlen(root);

	return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

void static_serve(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	char path[PATH_MAX], real[PATH_MAX], etag[64];
	const char *inm;
	struct stat st;
	int fd;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		snprintf(rep->allow, sizeof(rep->allow), "GET, HEAD");
		reply_error(rep, 405, "EMETHOD", "%s is not allowed on static files", req->method);
		return;
	}
	if (!path_is_clean(req->path)) {
		reply_error(rep, 404, "ENOENT", "no such file");
		return;
	}
	if (snprintf(path, sizeof(path), "%s%s%s", srv->web_root_real, req->path,
		     req->path[strlen(req->path) - 1] == '/' ? "index.html" : "") >=
	    (int)sizeof(path) || !realpath(path, real) ||
	    !inside_root(real, srv->web_root_real) || stat(real, &st) || !S_ISREG(st.st_mode)) {
		reply_error(rep, 404, "ENOENT", "no such file: %s", req->path);
		return;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st.st_mtime,
		 (unsigned long long)st.st_size);
	inm = http_header(req, "If-None-Match");
	rep->cache_control = "no-cache";
	snprintf(rep->etag, sizeof(rep->etag), "%s", etag);
	if (inm && strcmp(inm, etag) == 0) {
		reply_take(rep, 304, NULL, NULL, 0);
		return;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		reply_error(rep, 404, "ENOENT", "cannot open %s", req->path);
		return;
	}
	rep->status = 200;
	rep->content_type = content_type_of(real);
	rep->fd = fd;
	rep->fd_size = (uint64_t)st.st_size;
}
