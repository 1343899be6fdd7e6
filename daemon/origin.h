/*
 * origin.h - which Host and Origin headers mmlabd answers (DNS rebinding).
 *
 * A web page whose name an attacker re-points at 127.0.0.1 is same-origin
 * with the daemon as far as the browser knows, but it still sends its own
 * name in Host and Origin: requests naming a host the daemon does not know
 * are refused. Pure string logic, no I/O, so the fuzzer can drive it.
 */
#ifndef MMLAB_ORIGIN_H
#define MMLAB_ORIGIN_H

#include <stdbool.h>

#define ORIGIN_MAX_NAMES	16
#define ORIGIN_NAME_MAX		256

struct host_policy {
	unsigned int port;		/* the port the daemon listens on */
	char listen_host[64];		/* its address as a Host names it ("[::1]"), "" for a wildcard */
	bool wildcard;			/* listening on every address: any IP literal names it */
	unsigned int nr_names;
	char names[ORIGIN_MAX_NAMES][ORIGIN_NAME_MAX];	/* --allow-host, lower case */
};

/*
 * Add a name given with --allow-host: "NAME" (any port) or "NAME:PORT".
 * Returns false when it is malformed or the table is full.
 */
bool host_policy_add(struct host_policy *p, const char *name);
/* May a request with this Host header (not NULL) be served? */
bool host_allowed(const struct host_policy *p, const char *host);
/* May a mutating request with this Origin header (not NULL) be served? */
bool origin_allowed(const struct host_policy *p, const char *origin);

#endif
