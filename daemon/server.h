/*
 * server.h - the state of one running mmlabd: its options, database, HTTP
 * daemon and the live sessions.
 */
#ifndef MMLAB_SERVER_H
#define MMLAB_SERVER_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <sqlite3.h>

#include "daemon/conns.h"
#include "daemon/http.h"
#include "daemon/origin.h"
#include "daemon/session.h"

struct MHD_Daemon;
struct recorder;
struct snapshots;

#define SERVER_MAX_BODY		((size_t)32 << 20)	/* a batch of ops (10000 at most) */
#define SERVER_MAX_IMPORT	((size_t)1 << 30)	/* an imported session file */
#define SERVER_MAX_SMALL_BODY	((size_t)1 << 20)	/* any other request's body */

struct server_options {
	char listen[256];		/* "ADDR:PORT" as given */
	char db_path[4096];
	char web_root[4096];
	char scenarios_dir[4096];
	char token[256];		/* "" when none */
	int log_level;
	unsigned long snapshot_interval;	/* ops between replay snapshots */
	unsigned long snapshot_events;	/* and at most this many events between them */
	unsigned int threads;		/* libmicrohttpd's polling threads */
	unsigned int handler_threads;	/* threads running API handlers (jobs.c) */
	unsigned int max_connections;	/* open at once, in all */
	unsigned int max_per_ip;	/* open at once from one client address */
	unsigned int max_streams;	/* live streams (SSE) at once */
	unsigned int header_timeout;	/* seconds a request has to send its headers */
	unsigned int idle_timeout;	/* seconds a connection may be silent mid-request */
	unsigned int instance;		/* --instance: the range of session ids (session.h) */
	uint64_t max_memory;		/* bytes resident machines may take */
};

struct server {
	struct server_options opt;
	struct sockaddr_storage addr;	/* parsed listen address */
	socklen_t addr_len;
	bool loopback;			/* the listen address is a loopback one */
	char web_root_real[4096];	/* realpath of the web root */
	sqlite3 *db;
	struct MHD_Daemon *mhd;
	unsigned short port;		/* the port actually bound (for port 0) */
	struct recorder *rec;
	struct snapshots *snap;		/* replay snapshots in the database; may be NULL */
	atomic_bool stopping;		/* set when the daemon begins to stop */
	int listen_fd;			/* http_bind()'s socket, -1 before */
	atomic_int stream_clients;
	atomic_int jobs_in_flight;	/* requests suspended while a job runs them */
	struct conn_stats conns;	/* conns.c */
	struct host_policy hosts;	/* Host and Origin names served (origin.c) */
	atomic_ulong refused_host, refused_origin;	/* requests refused by those checks */

	pthread_mutex_t sessions_lock;	/* guards the registry below and session refs */
	struct session **live;		/* the live sessions, resident or hibernated */
	size_t nr_live, live_cap;
	uint64_t resident_bytes;	/* of resident machines, those being built, and the replay cache */
	uint64_t replay_cache_bytes;	/* replay.c's cached machines, counted in resident_bytes */
	pthread_cond_t woken;		/* a session's wake ended (its waking flag fell) */
	struct sessions_stats stats;	/* counters of hibernations and wakes */
};

/* Route a request to its handler (api.c). */
void api_handle(struct server *srv, struct http_request *req, struct http_reply *rep);
/* Serve a file of the web root (static.c). */
void static_serve(struct server *srv, struct http_request *req, struct http_reply *rep);

#endif
