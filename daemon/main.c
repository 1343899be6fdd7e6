/*
 * main.c - mmlabd: options, start-up, signals, clean shutdown.
 *
 * mmlabd listens on loopback unless told otherwise, and refuses to listen on
 * any other address without a token. SIGINT and SIGTERM stop it: the HTTP
 * server first (no new work), then the sessions, then the database.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "daemon/db.h"
#include "daemon/log.h"
#include "daemon/populate.h"
#include "daemon/recorder.h"
#include "daemon/server.h"
#include "daemon/snapshots.h"
#include "daemon/stream.h"
#include "mmlab.h"

#ifndef MMLAB_WEBDIR
#define MMLAB_WEBDIR "/usr/local/share/mmlab/web"
#endif
#ifndef MMLAB_SCENARIOSDIR
#define MMLAB_SCENARIOSDIR "/usr/local/share/mmlab/scenarios"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: mmlabd [OPTION]...\n"
		"Run the mmlab simulated memory-management machine and serve its dashboard and\n"
		"REST API.\n"
		"\n"
		"  --listen ADDR:PORT   address to listen on (default 127.0.0.1:8080; [::1]:PORT\n"
		"                       for IPv6). Any non-loopback address needs a token.\n"
		"  --db PATH            SQLite database (default $XDG_DATA_HOME/mmlab/mmlab.db,\n"
		"                       or ~/.local/share/mmlab/mmlab.db; created on first start)\n"
		"  --web-root DIR       dashboard files (default: the installed ones, or web/ of\n"
		"                       the source tree when run from the build tree)\n"
		"  --scenarios-dir DIR  built-in scenarios (default: the installed ones, or\n"
		"                       scenarios/ of the source tree from the build tree)\n"
		"  --token TOKEN        require 'Authorization: Bearer TOKEN' on mutating requests\n"
		"  --token-file FILE    the same, with the token read from FILE\n"
		"  --allow-host NAME    answer requests that name this daemon NAME (or NAME:PORT)\n"
		"                       in Host and Origin, besides localhost, 127.0.0.1 and\n"
		"                       [::1] with its port; may be repeated (up to 16)\n"
		"  --instance N         this daemon's number among several serving one site\n"
		"                       (0..8999, default 0): its session ids are N*10^12+1,\n"
		"                       N*10^12+2, ..., so that a proxy routes a session by its\n"
		"                       id and ids never collide (docs/deploy.md)\n"
		"  --log-level LEVEL    error, warn, info (default) or debug\n"
		"  --threads N          threads that serve connections (default: one per CPU,\n"
		"                       2 to 16); connections never hold a thread while they wait\n"
		"  --handler-threads N  threads that run API requests (default: two per CPU,\n"
		"                       4 to 32), so a long one never delays the others\n"
		"  --max-connections N  connections open at once (default 4096)\n"
		"  --max-per-ip N       connections open at once from one address (default 512)\n"
		"  --max-streams N      live streams open at once (default 1024)\n"
		"  --header-timeout S   seconds a request has to send all its headers, also\n"
		"                       a kept-alive connection between requests (default 10)\n"
		"  --idle-timeout S     seconds a connection may stay silent in the middle of a\n"
		"                       request (default 30)\n"
		"  --max-memory SIZE    memory the machines of live sessions may take at once\n"
		"                       (bytes, or with K, M, G or T; default half the host's\n"
		"                       RAM); idle sessions hibernate, least recently used\n"
		"                       first, and wake on their next request\n"
		"  --snapshot-interval N  keep a replay snapshot every N ops (default 1000), in\n"
		"                       memory and in the database, so that time travel\n"
		"                       starts near its target, also after a restart\n"
		"  --snapshot-events N  and one at least every N events (default 131072), also\n"
		"                       of live sessions while they record\n"
		"  --help               show this help and exit\n"
		"  --version            show the version and exit\n"
		"\n"
		"Exit status: 0 after a clean stop (SIGINT or SIGTERM), 1 when start-up fails,\n"
		"2 for a usage error.\n");
}

/* Is @sa a loopback address (127.0.0.0/8, ::1, or ::ffff:127.x.x.x)? */
static bool is_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

/*
 * Every connection is a descriptor: take what the hard limit allows, and say
 * when that is fewer than --max-connections needs.
 */
static void raise_fd_limit(struct server *srv)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)srv->opt.max_connections + 64)
		log_warn("only %llu file descriptors: fewer connections than --max-connections %u "
			 "will be accepted", (unsigned long long)rl.rlim_cur, srv->opt.max_connections);
}

/* The names of the listen address (@host, numeric) that Host may give. */
static void host_policy_listen(struct server *srv, const char *host)
{
	struct host_policy *p = &srv->hosts;
	const struct sockaddr_in *in = (const struct sockaddr_in *)&srv->addr;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&srv->addr;

	p->port = srv->port;
	p->wildcard = srv->addr.ss_family == AF_INET ? in->sin_addr.s_addr == htonl(INADDR_ANY)
						     : IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
	if (!p->wildcard)
		snprintf(p->listen_host, sizeof(p->listen_host), "%s%s%s",
			 srv->addr.ss_family == AF_INET6 ? "[" : "", host,
			 srv->addr.ss_family == AF_INET6 ? "]" : "");
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" into srv->addr. */
static int parse_listen(struct server *srv, const char *text)
{
	char host[256], port[16];
	const char *colon;
	struct addrinfo hints, *res;
	int rc;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
			return -1;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || (size_t)(colon - text) >= sizeof(host))
			return -1;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
	}
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(port) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) > 65535)
		return -1;
	snprintf(port, sizeof(port), "%s", colon + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc)
		return -1;
	memcpy(&srv->addr, res->ai_addr, res->ai_addrlen);
	srv->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	srv->loopback = is_loopback(&srv->addr);
	return 0;
}

static int read_token_file(const char *path, char *token, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(token, 1, len - 1, f);
	fclose(f);
	token[n] = '\0';
	while (n && (token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == ' '))
		token[--n] = '\0';
	return n ? 0 : -1;
}

static void default_db_path(char *out, size_t len)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (xdg && xdg[0] == '/')
		snprintf(out, len, "%s/mmlab/mmlab.db", xdg);
	else
		snprintf(out, len, "%s/.local/share/mmlab/mmlab.db", home && *home ? home : ".");
}

/* Is this the mmlabd of the build tree (not an installed one)? */
static bool running_from_build_tree(void)
{
	char exe[PATH_MAX], built[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	return realpath(MMLAB_BUILDDIR "/daemon/mmlabd", built) && strcmp(exe, built) == 0;
}

/*
 * The web root and the scenarios: the installed ones, unless this is the
 * mmlabd of the build tree, which uses the source tree's web/ and scenarios/.
 */
static void default_dirs(struct server_options *o)
{
	if (running_from_build_tree()) {
		snprintf(o->web_root, sizeof(o->web_root), "%s/web", MMLAB_SRCDIR);
		snprintf(o->scenarios_dir, sizeof(o->scenarios_dir), "%s/scenarios", MMLAB_SRCDIR);
	} else {
		snprintf(o->web_root, sizeof(o->web_root), "%s", MMLAB_WEBDIR);
		snprintf(o->scenarios_dir, sizeof(o->scenarios_dir), "%s", MMLAB_SCENARIOSDIR);
	}
}

enum { OPT_LISTEN = 256, OPT_DB, OPT_WEB_ROOT, OPT_SCENARIOS_DIR, OPT_TOKEN, OPT_TOKEN_FILE, OPT_LOG_LEVEL,
       OPT_SNAPSHOT_INTERVAL, OPT_SNAPSHOT_EVENTS, OPT_HELP, OPT_VERSION,
       OPT_ALLOW_HOST, OPT_THREADS, OPT_HANDLER_THREADS, OPT_MAX_CONNECTIONS, OPT_MAX_PER_IP,
       OPT_MAX_STREAMS, OPT_HEADER_TIMEOUT, OPT_IDLE_TIMEOUT, OPT_INSTANCE,
       OPT_MAX_MEMORY };

static const struct option long_options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "db", required_argument, NULL, OPT_DB },
	{ "web-root", required_argument, NULL, OPT_WEB_ROOT },
	{ "scenarios-dir", required_argument, NULL, OPT_SCENARIOS_DIR },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "snapshot-interval", required_argument, NULL, OPT_SNAPSHOT_INTERVAL },
	{ "snapshot-events", required_argument, NULL, OPT_SNAPSHOT_EVENTS },
	{ "allow-host", required_argument, NULL, OPT_ALLOW_HOST },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "handler-threads", required_argument, NULL, OPT_HANDLER_THREADS },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "max-per-ip", required_argument, NULL, OPT_MAX_PER_IP },
	{ "max-streams", required_argument, NULL, OPT_MAX_STREAMS },
	{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "instance", required_argument, NULL, OPT_INSTANCE },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* A number option in [@min, @max], or exit 2. */
static unsigned int option_uint(const char *name, const char *text, unsigned int min, unsigned int max)
{
	char *end;
	unsigned long n = strtoul(text, &end, 10);

	if (!*text || *end || text[0] == '-' || n < min || n > max) {
		fprintf(stderr, "mmlabd: --%s must be %u..%u\n", name, min, max);
		exit(2);
	}
	return (unsigned int)n;
}

/* The connection model's defaults, from the number of CPUs. */
static void default_limits(struct server_options *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		cpus = 1;
	o->threads = cpus < 2 ? 2 : cpus > 16 ? 16 : (unsigned int)cpus;
	o->handler_threads = cpus < 2 ? 4 : cpus > 16 ? 32 : 2 * (unsigned int)cpus;
	o->max_connections = 4096;
	o->max_per_ip = 512;
	o->max_streams = STREAM_MAX_CLIENTS;
	o->header_timeout = 10;
	o->idle_timeout = 30;
}

/* Fill srv->opt from argv; exits on --help, --version and usage errors. */
/* A size in bytes, with an optional K, M, G or T (powers of 1024); 1 MiB at least. */
static uint64_t option_size(const char *name, const char *text)
{
	static const char units[] = "KMGT";
	const char *u;
	char *end;
	unsigned long long n;
	int shift = 0;

	errno = 0;
	n = strtoull(text, &end, 10);
	if (*end && end[1] == '\0' && (u = strchr(units, end[0] & ~0x20)) && *u) {
		shift = 10 * (int)(u - units + 1);
		end++;
	}
	if (!*text || *end || text[0] == '-' || errno || n > (UINT64_MAX >> shift) ||
	    (n << shift) < (1u << 20)) {
		fprintf(stderr, "mmlabd: --%s must be a size of 1M or more (bytes, or with K, M, G "
			"or T), not '%s'\n", name, text);
		exit(2);
	}
	return (uint64_t)n << shift;
}

static void parse_options(struct server *srv, int argc, char **argv)
{
	struct server_options *o = &srv->opt;
	int c, level;

	snprintf(o->listen, sizeof(o->listen), "127.0.0.1:8080");
	default_db_path(o->db_path, sizeof(o->db_path));
	default_dirs(o);
	o->log_level = LOG_INFO;
	o->snapshot_interval = 1000;
	o->snapshot_events = 1UL << 17;
	default_limits(o);
	while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			snprintf(o->listen, sizeof(o->listen), "%s", optarg);
			break;
		case OPT_DB:
			snprintf(o->db_path, sizeof(o->db_path), "%s", optarg);
			break;
		case OPT_WEB_ROOT:
			snprintf(o->web_root, sizeof(o->web_root), "%s", optarg);
			break;
		case OPT_SCENARIOS_DIR:
			snprintf(o->scenarios_dir, sizeof(o->scenarios_dir), "%s", optarg);
			break;
		case OPT_TOKEN:
			if (strlen(optarg) < 16 || strlen(optarg) >= sizeof(o->token)) {
				fprintf(stderr, "mmlabd: --token must be 16 to %zu characters\n",
					sizeof(o->token) - 1);
				exit(2);
			}
			snprintf(o->token, sizeof(o->token), "%s", optarg);
			break;
		case OPT_TOKEN_FILE:
			if (read_token_file(optarg, o->token, sizeof(o->token)) ||
			    strlen(o->token) < 16) {
				fprintf(stderr, "mmlabd: cannot read a token of at least 16 characters from %s\n",
					optarg);
				exit(2);
			}
			break;
		case OPT_LOG_LEVEL:
			level = log_level_parse(optarg);
			if (level < 0) {
				fprintf(stderr, "mmlabd: --log-level must be error, warn, info or debug\n");
				exit(2);
			}
			o->log_level = level;
			break;
		case OPT_SNAPSHOT_INTERVAL:
		case OPT_SNAPSHOT_EVENTS: {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (!*optarg || *end || n < 1 || n > 100000000 || optarg[0] == '-') {
				fprintf(stderr, "mmlabd: --snapshot-%s must be 1..100000000\n",
					c == OPT_SNAPSHOT_EVENTS ? "events" : "interval");
				exit(2);
			}
			if (c == OPT_SNAPSHOT_EVENTS)
				o->snapshot_events = n;
			else
				o->snapshot_interval = n;
			break;
		}
		case OPT_ALLOW_HOST:
			if (!host_policy_add(&srv->hosts, optarg)) {
				fprintf(stderr, "mmlabd: --allow-host must be NAME or NAME:PORT (at most %d), "
					"not '%s'\n", ORIGIN_MAX_NAMES, optarg);
				exit(2);
			}
			break;
		case OPT_THREADS:
			o->threads = option_uint("threads", optarg, 1, 64);
			break;
		case OPT_HANDLER_THREADS:
			o->handler_threads = option_uint("handler-threads", optarg, 1, 64);
			break;
		case OPT_MAX_CONNECTIONS:
			o->max_connections = option_uint("max-connections", optarg, 16, 1000000);
			break;
		case OPT_MAX_PER_IP:
			o->max_per_ip = option_uint("max-per-ip", optarg, 1, 1000000);
			break;
		case OPT_MAX_STREAMS:
			o->max_streams = option_uint("max-streams", optarg, 1, 1000000);
			break;
		case OPT_HEADER_TIMEOUT:
			o->header_timeout = option_uint("header-timeout", optarg, 1, 3600);
			break;
		case OPT_IDLE_TIMEOUT:
			o->idle_timeout = option_uint("idle-timeout", optarg, 1, 3600);
			break;
		case OPT_INSTANCE:
			o->instance = option_uint("instance", optarg, 0, SESSION_MAX_INSTANCE);
			break;
		case OPT_MAX_MEMORY:
			o->max_memory = option_size("max-memory", optarg);
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("mmlabd %s (engine %s, schema %d)\n", PACKAGE_VERSION,
			       MMLAB_ENGINE_VERSION, db_schema_version());
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mmlabd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static struct server srv;
	char err[512], host[INET6_ADDRSTRLEN];
	sigset_t stop;
	int sig = 0;

	/*
	 * Replays copy and load whole machines at every seek. The struct page
	 * array (64 bytes per simulated page: 64 MiB for 4 GiB) has a mapping of
	 * its own, in transparent huge pages, given back when its machine goes
	 * (engine/mm_init.c); the machine's other arrays come from one heap
	 * (small blocks still from each thread's tcache), where freed ones are
	 * reused warm; the heap keeps up to 1 GiB of them, and is trimmed when a
	 * session closes or hibernates (session.c).
	 */
	srv.listen_fd = -1;
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	/* A big machine's struct page array faulted in by every CPU (populate.c). */
	mem_map_set_populate(populate_hook);
	parse_options(&srv, argc, argv);
	log_threshold = srv.opt.log_level;
	if (parse_listen(&srv, srv.opt.listen)) {
		fprintf(stderr, "mmlabd: --listen must be ADDR:PORT or [ADDR]:PORT, not '%s'\n",
			srv.opt.listen);
		return 2;
	}
	if (!srv.loopback && !srv.opt.token[0]) {
		fprintf(stderr, "mmlabd: refusing to listen on %s without a token: anyone who can "
			"reach it could drive the machine. Give --token or --token-file, or listen on "
			"127.0.0.1.\n", srv.opt.listen);
		return 2;
	}
	if (strchr(srv.opt.db_path, '\'')) {
		fprintf(stderr, "mmlabd: --db: a path with a quote (') in it is not supported\n");
		return 2;
	}
	if (!realpath(srv.opt.web_root, srv.web_root_real)) {
		fprintf(stderr, "mmlabd: web root %s: %s\n", srv.opt.web_root, strerror(errno));
		return 1;
	}

	raise_fd_limit(&srv);

	/* Signals are taken by sigwait() below, never by the server's threads. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * The address first (a port in use stops the daemon before it opens
	 * anything), and the Host policy with its port, before any request is
	 * read; connections wait in the backlog until the server starts.
	 */
	if (http_bind(&srv, err, sizeof(err))) {
		fprintf(stderr, "mmlabd: %s\n", err);
		return 1;
	}
	if (getnameinfo((struct sockaddr *)&srv.addr, srv.addr_len, host, sizeof(host), NULL, 0,
			NI_NUMERICHOST))
		snprintf(host, sizeof(host), "?");
	host_policy_listen(&srv, host);

	srv.db = db_open(srv.opt.db_path, err, sizeof(err));
	if (!srv.db) {
		fprintf(stderr, "mmlabd: %s\n", err);
		return 1;
	}
	srv.rec = recorder_start(srv.opt.db_path, RECORDER_CAPACITY, err, sizeof(err));
	if (srv.rec) {
		srv.snap = snapshots_start(srv.rec, err, sizeof(err));
		if (!srv.snap)	/* replays still work, from the first op */
			log_warn("replay snapshots will not be stored: %s", err);
	}
	if (!srv.rec || sessions_init(&srv, err, sizeof(err))) {
		fprintf(stderr, "mmlabd: %s\n", err);
		goto fail;
	}
	if (http_start(&srv, err, sizeof(err))) {
		fprintf(stderr, "mmlabd: %s\n", err);
		goto fail;
	}
	log_info("mmlabd %s listening on http://%s%s%s:%u/ (web root %s, database %s)",
		 PACKAGE_VERSION, srv.addr.ss_family == AF_INET6 ? "[" : "", host,
		 srv.addr.ss_family == AF_INET6 ? "]" : "", srv.port, srv.web_root_real,
		 srv.opt.db_path);
	sigwait(&stop, &sig);
	log_info("%s: stopping", strsignal(sig));
	http_stop(&srv);
	sessions_shutdown(&srv);
	snapshots_stop(srv.snap);
	recorder_stop(srv.rec);
	db_close(srv.db);
	log_info("stopped cleanly");
	return 0;

fail:
	sessions_shutdown(&srv);
	snapshots_stop(srv.snap);
	recorder_stop(srv.rec);
	db_close(srv.db);
	return 1;
}
