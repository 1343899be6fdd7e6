/*
 * origin.c - Host and Origin checks against DNS rebinding (see origin.h).
 *
 * A Host is "name[:port]" or "[v6]:port" (RFC 9110, 7.2); an Origin is
 * "scheme://host[:port]" (RFC 6454), or "null" from a sandboxed or file://
 * page. Loopback names (localhost, 127.0.0.1, [::1]) and the listen address
 * are accepted with the daemon's own port; names from --allow-host with any
 * port, or with the one given. An IP literal cannot be rebound (the browser
 * connects to that address itself), so on a wildcard address any is accepted.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/origin.h"

/*
 * Split @len bytes of "name[:port]" or "[v6][:port]" into @name (lower case,
 * brackets kept) and @port (0 when absent). False when malformed.
 */
static bool split_host(const char *text, size_t len, char name[ORIGIN_NAME_MAX],
		       unsigned int *port)
{
	size_t nl;
	const char *p;

	if (len == 0)
		return false;
	if (text[0] == '[') {
		p = memchr(text, ']', len);
		if (!p)
			return false;
		nl = (size_t)(p - text) + 1;
	} else {
		p = memchr(text, ':', len);
		nl = p ? (size_t)(p - text) : len;
	}
	if (nl == 0 || nl >= ORIGIN_NAME_MAX)
		return false;
	for (size_t i = 0; i < nl; i++) {
		unsigned char c = (unsigned char)text[i];

		if (!isalnum(c) && !strchr(text[0] == '[' ? "[]:." : ".-_", c))
			return false;
		name[i] = (char)tolower(c);
	}
	name[nl] = '\0';
	*port = 0;
	if (nl == len)
		return true;
	if (text[nl] != ':' || len - nl < 2 || len - nl > 6)
		return false;
	for (size_t i = nl + 1; i < len; i++) {
		if (!isdigit((unsigned char)text[i]))
			return false;
		*port = *port * 10 + (unsigned int)(text[i] - '0');
	}
	return *port >= 1 && *port <= 65535;
}

static bool is_ip_literal(const char *name)
{
	unsigned char buf[16];
	char inner[ORIGIN_NAME_MAX];
	size_t n = strlen(name);

	if (name[0] != '[')
		return inet_pton(AF_INET, name, buf) == 1;
	if (n < 3 || name[n - 1] != ']')
		return false;
	memcpy(inner, name + 1, n - 2);
	inner[n - 2] = '\0';
	return inet_pton(AF_INET6, inner, buf) == 1;
}

/*
 * @port is the one the client connected to (its scheme's default when absent).
 * A name given with --allow-host comes first: behind a proxy on the same host,
 * clients name the proxy ("127.0.0.1:8080"), whose port is not the daemon's.
 */
static bool name_allowed(const struct host_policy *p, const char *name, unsigned int port)
{
	bool own_port = port == p->port;

	for (unsigned int i = 0; i < p->nr_names; i++) {
		char allowed[ORIGIN_NAME_MAX];
		unsigned int allowed_port;

		if (split_host(p->names[i], strlen(p->names[i]), allowed, &allowed_port) &&
		    strcmp(allowed, name) == 0 && (!allowed_port || allowed_port == port))
			return true;
	}
	if (strcmp(name, "localhost") == 0 || strcmp(name, "127.0.0.1") == 0 ||
	    strcmp(name, "[::1]") == 0 || (p->listen_host[0] && strcmp(name, p->listen_host) == 0))
		return own_port;
	if (p->wildcard && is_ip_literal(name))
		return own_port;
	return false;
}

bool host_policy_add(struct host_policy *p, const char *name)
{
	char n[ORIGIN_NAME_MAX];
	unsigned int port;

	if (p->nr_names == ORIGIN_MAX_NAMES || !split_host(name, strlen(name), n, &port))
		return false;
	if (strlen(n) + 7 > ORIGIN_NAME_MAX)	/* room for ":65535" */
		return false;
	snprintf(p->names[p->nr_names], ORIGIN_NAME_MAX, "%s", n);
	if (port)
		snprintf(p->names[p->nr_names] + strlen(n), 7, ":%u", port % 100000);
	p->nr_names++;
	return true;
}

bool host_allowed(const struct host_policy *p, const char *host)
{
	char name[ORIGIN_NAME_MAX];
	unsigned int port;

	if (!split_host(host, strlen(host), name, &port))
		return false;
	return name_allowed(p, name, port ? port : 80);
}

bool origin_allowed(const struct host_policy *p, const char *origin)
{
	char name[ORIGIN_NAME_MAX];
	unsigned int port, default_port;
	const char *rest;

	if (strncasecmp(origin, "http://", 7) == 0) {
		rest = origin + 7;
		default_port = 80;
	} else if (strncasecmp(origin, "https://", 8) == 0) {
		rest = origin + 8;
		default_port = 443;
	} else {
		return false;	/* "null", or a scheme that is not the web's */
	}
	if (!split_host(rest, strlen(rest), name, &port))
		return false;
	return name_allowed(p, name, port ? port : default_port);
}
