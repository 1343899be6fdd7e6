/*
 * metrics.c - what GET /metrics exposes, in the Prometheus text format:
 * sessions, ops, recorded events, the recorder's queue and lag, requests by
 * route and status, and request latency histograms by route.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/metrics.h"
#include "daemon/recorder.h"
#include "daemon/server.h"
#include "daemon/snapshots.h"

#define MAX_SERIES	128
#define NR_BUCKETS	12

static const double bucket_bounds[NR_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
};

struct series {
	const char *method;
	const char *route;
	unsigned int status;
	unsigned long count;
};

struct histogram {
	const char *route;
	unsigned long buckets[NR_BUCKETS];
	unsigned long count;
	double sum;
};

static struct {
	pthread_mutex_t lock;
	struct series requests[MAX_SERIES];
	unsigned int nr_requests;
	struct histogram latency[MAX_SERIES];
	unsigned int nr_latency;
	unsigned long ops, ops_failed;
} metrics = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct histogram *histogram_for(const char *route)
{
	for (unsigned int i = 0; i < metrics.nr_latency; i++)
		if (metrics.latency[i].route == route)
			return &metrics.latency[i];
	if (metrics.nr_latency == MAX_SERIES)
		return NULL;
	metrics.latency[metrics.nr_latency].route = route;
	return &metrics.latency[metrics.nr_latency++];
}

void metrics_observe(const char *method, const char *route, unsigned int status, double seconds)
{
	struct histogram *h;
	unsigned int i;

	/* Routes are patterns from a static table and methods are libmicrohttpd's
	 * constants or the request's own string: keep only known methods. */
	if (strcmp(method, "GET") && strcmp(method, "POST") && strcmp(method, "DELETE") &&
	    strcmp(method, "HEAD") && strcmp(method, "OPTIONS"))
		method = "other";
	else
		method = strcmp(method, "GET") == 0 ? "GET" : strcmp(method, "POST") == 0 ? "POST" :
			 strcmp(method, "DELETE") == 0 ? "DELETE" : strcmp(method, "HEAD") == 0 ? "HEAD"
			 : "OPTIONS";
	if (!route)
		route = "static";
	pthread_mutex_lock(&metrics.lock);
	for (i = 0; i < metrics.nr_requests; i++) {
		struct series *s = &metrics.requests[i];

		if (s->route == route && s->status == status && s->method == method)
			break;
	}
	if (i == metrics.nr_requests && i < MAX_SERIES)
		metrics.requests[metrics.nr_requests++] = (struct series){ method, route, status, 0 };
	if (i < MAX_SERIES)
		metrics.requests[i].count++;
	h = histogram_for(route);
	if (h) {
		for (int b = 0; b < NR_BUCKETS; b++)
			if (seconds <= bucket_bounds[b])
				h->buckets[b]++;
		h->count++;
		h->sum += seconds;
	}
	pthread_mutex_unlock(&metrics.lock);
}

void metrics_ops(unsigned long applied, unsigned long failed)
{
	pthread_mutex_lock(&metrics.lock);
	metrics.ops += applied;
	metrics.ops_failed += failed;
	pthread_mutex_unlock(&metrics.lock);
}

struct text {
	char *buf;
	size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (t->buf && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		t->cap = (t->cap ? t->cap * 2 : 8192) + (size_t)n;
		t->buf = realloc(t->buf, t->cap);
		if (!t->buf)
			return;
	}
}

/* The process's resident set, from /proc/self/statm (0 where there is none). */
static unsigned long long process_rss(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (unsigned long long)sysconf(_SC_PAGESIZE);
}

char *metrics_render(struct server *srv)
{
	struct recorder_stats rs;
	struct text t = { 0 };
	struct sessions_stats ss;
	struct session_bytes *per;
	size_t nr;

	recorder_get_stats(srv->rec, &rs);
	sessions_get_stats(srv, &ss);
	add(&t, "# HELP mmlab_sessions_live Live sessions, resident or hibernated.\n"
		"# TYPE mmlab_sessions_live gauge\nmmlab_sessions_live %u\n",
	    ss.resident + ss.hibernated);
	add(&t, "# HELP mmlab_sessions_resident Live sessions whose machine is in memory.\n"
		"# TYPE mmlab_sessions_resident gauge\nmmlab_sessions_resident %u\n", ss.resident);
	add(&t, "# HELP mmlab_sessions_hibernated Live sessions stored, woken by their next request.\n"
		"# TYPE mmlab_sessions_hibernated gauge\nmmlab_sessions_hibernated %u\n", ss.hibernated);
	add(&t, "# HELP mmlab_sessions_pinned Live sessions that never hibernate.\n"
		"# TYPE mmlab_sessions_pinned gauge\nmmlab_sessions_pinned %u\n", ss.pinned);
	add(&t, "# HELP mmlab_sessions_resident_bytes Bytes the resident machines take (struct page arrays).\n"
		"# TYPE mmlab_sessions_resident_bytes gauge\nmmlab_sessions_resident_bytes %llu\n",
	    (unsigned long long)ss.resident_bytes);
	add(&t, "# HELP mmlab_replay_cache_bytes Bytes the machines cached for time travel take "
		"(struct page arrays), within the same budget; dropped first when a session needs room.\n"
		"# TYPE mmlab_replay_cache_bytes gauge\nmmlab_replay_cache_bytes %llu\n",
	    (unsigned long long)ss.replay_cache_bytes);
	add(&t, "# HELP mmlab_sessions_max_memory_bytes The budget of resident machines (--max-memory).\n"
		"# TYPE mmlab_sessions_max_memory_bytes gauge\nmmlab_sessions_max_memory_bytes %llu\n",
	    (unsigned long long)ss.max_memory);
	add(&t, "# HELP mmlab_sessions_resident_bytes_avg Bytes per resident session.\n"
		"# TYPE mmlab_sessions_resident_bytes_avg gauge\nmmlab_sessions_resident_bytes_avg %llu\n",
	    (unsigned long long)(ss.resident ? ss.resident_bytes / ss.resident : 0));
	add(&t, "# HELP mmlab_session_bytes Bytes each live session's machine takes when resident, "
		"by state (live: in memory, hibernated: stored).\n# TYPE mmlab_session_bytes gauge\n");
	nr = sessions_get_bytes(srv, &per);
	for (size_t i = 0; i < nr; i++)
		add(&t, "mmlab_session_bytes{session=\"%lld\",state=\"%s\"} %llu\n", (long long)per[i].id,
		    per[i].resident ? "live" : "hibernated", (unsigned long long)per[i].bytes);
	free(per);
	add(&t, "# HELP mmlab_sessions_hibernations_total Machines taken out of memory.\n"
		"# TYPE mmlab_sessions_hibernations_total counter\nmmlab_sessions_hibernations_total %llu\n",
	    (unsigned long long)ss.hibernations);
	add(&t, "# HELP mmlab_sessions_wake_failures_total Wake-ups that failed.\n"
		"# TYPE mmlab_sessions_wake_failures_total counter\nmmlab_sessions_wake_failures_total %llu\n",
	    (unsigned long long)ss.wake_failures);
	add(&t, "# HELP mmlab_sessions_wake_seconds Wake-ups of hibernated sessions and how long they took.\n"
		"# TYPE mmlab_sessions_wake_seconds histogram\n");
	for (int b = 0; b < SESSION_WAKE_BUCKETS; b++)
		add(&t, "mmlab_sessions_wake_seconds_bucket{le=\"%g\"} %llu\n", session_wake_bounds[b],
		    (unsigned long long)ss.wake_buckets[b]);
	add(&t, "mmlab_sessions_wake_seconds_bucket{le=\"+Inf\"} %llu\n"
		"mmlab_sessions_wake_seconds_sum %.9f\nmmlab_sessions_wake_seconds_count %llu\n",
	    (unsigned long long)ss.wakes, ss.wake_seconds_sum, (unsigned long long)ss.wakes);
	add(&t, "# HELP mmlab_process_resident_bytes The daemon's resident memory (RSS).\n"
		"# TYPE mmlab_process_resident_bytes gauge\nmmlab_process_resident_bytes %llu\n",
	    (unsigned long long)process_rss());
	pthread_mutex_lock(&metrics.lock);
	add(&t, "# HELP mmlab_ops_total Operations applied to machines.\n"
		"# TYPE mmlab_ops_total counter\nmmlab_ops_total %lu\n", metrics.ops);
	add(&t, "# HELP mmlab_ops_failed_total Operations whose result was an error.\n"
		"# TYPE mmlab_ops_failed_total counter\nmmlab_ops_failed_total %lu\n", metrics.ops_failed);
	add(&t, "# HELP mmlab_http_requests_total HTTP requests by method, route and status.\n"
		"# TYPE mmlab_http_requests_total counter\n");
	for (unsigned int i = 0; i < metrics.nr_requests; i++) {
		const struct series *s = &metrics.requests[i];

		add(&t, "mmlab_http_requests_total{method=\"%s\",route=\"%s\",status=\"%u\"} %lu\n",
		    s->method, s->route, s->status, s->count);
	}
	add(&t, "# HELP mmlab_http_request_duration_seconds HTTP request latency by route.\n"
		"# TYPE mmlab_http_request_duration_seconds histogram\n");
	for (unsigned int i = 0; i < metrics.nr_latency; i++) {
		const struct histogram *h = &metrics.latency[i];

		for (int b = 0; b < NR_BUCKETS; b++)
			add(&t, "mmlab_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
			    h->route, bucket_bounds[b], h->buckets[b]);
		add(&t, "mmlab_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n"
			"mmlab_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n"
			"mmlab_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
		    h->route, h->count, h->route, h->sum, h->route, h->count);
	}
	pthread_mutex_unlock(&metrics.lock);
	add(&t, "# HELP mmlab_stream_clients Connected live-stream (SSE) clients.\n"
		"# TYPE mmlab_stream_clients gauge\nmmlab_stream_clients %d\n",
	    atomic_load(&srv->stream_clients));
	add(&t, "# HELP mmlab_connections_open HTTP connections open now.\n"
		"# TYPE mmlab_connections_open gauge\nmmlab_connections_open %lu\n",
	    atomic_load(&srv->conns.open));
	add(&t, "# HELP mmlab_connections_accepted_total HTTP connections accepted.\n"
		"# TYPE mmlab_connections_accepted_total counter\nmmlab_connections_accepted_total %lu\n",
	    atomic_load(&srv->conns.accepted));
	add(&t, "# HELP mmlab_connections_refused_total Connections refused or cut: the address had "
		"its share (per_ip), the daemon had all it takes (limit), headers too slow (header_timeout).\n"
		"# TYPE mmlab_connections_refused_total counter\n"
		"mmlab_connections_refused_total{reason=\"per_ip\"} %lu\n"
		"mmlab_connections_refused_total{reason=\"limit\"} %lu\n"
		"mmlab_connections_refused_total{reason=\"header_timeout\"} %lu\n",
	    atomic_load(&srv->conns.refused_per_ip), atomic_load(&srv->conns.refused_total),
	    atomic_load(&srv->conns.cut_headers));
	add(&t, "# HELP mmlab_handler_jobs Requests being run by the handler threads now.\n"
		"# TYPE mmlab_handler_jobs gauge\nmmlab_handler_jobs %d\n",
	    atomic_load(&srv->jobs_in_flight));
	add(&t, "# HELP mmlab_http_refused_total Requests refused for their Host or Origin header.\n"
		"# TYPE mmlab_http_refused_total counter\n"
		"mmlab_http_refused_total{reason=\"host\"} %lu\nmmlab_http_refused_total{reason=\"origin\"} %lu\n",
	    atomic_load(&srv->refused_host), atomic_load(&srv->refused_origin));
	add(&t, "# HELP mmlab_events_recorded_total Events committed to the database.\n"
		"# TYPE mmlab_events_recorded_total counter\nmmlab_events_recorded_total %llu\n",
	    (unsigned long long)rs.events_committed);
	add(&t, "# HELP mmlab_recorder_queue_depth Records not yet committed: queued, and in the batch being written.\n"
		"# TYPE mmlab_recorder_queue_depth gauge\nmmlab_recorder_queue_depth %llu\n",
	    (unsigned long long)rs.queued);
	add(&t, "# HELP mmlab_recorder_queue_capacity Records the queue holds before an op waits for room (the batch being written is apart).\n"
		"# TYPE mmlab_recorder_queue_capacity gauge\nmmlab_recorder_queue_capacity %llu\n",
	    (unsigned long long)rs.capacity);
	add(&t, "# HELP mmlab_recorder_lag_seconds Age of the oldest record not yet committed.\n"
		"# TYPE mmlab_recorder_lag_seconds gauge\nmmlab_recorder_lag_seconds %.6f\n",
	    rs.lag_seconds);
	add(&t, "# HELP mmlab_recorder_waits_total Times the engine waited for room in the queue.\n"
		"# TYPE mmlab_recorder_waits_total counter\nmmlab_recorder_waits_total %llu\n",
	    (unsigned long long)rs.waits);
	add(&t, "# HELP mmlab_recorder_transactions_total Transactions committed by the writer.\n"
		"# TYPE mmlab_recorder_transactions_total counter\nmmlab_recorder_transactions_total %llu\n",
	    (unsigned long long)rs.transactions);
	add(&t, "# HELP mmlab_recorder_failed Whether the last write to the database failed.\n"
		"# TYPE mmlab_recorder_failed gauge\nmmlab_recorder_failed %d\n", rs.failed ? 1 : 0);
	add(&t, "# HELP mmlab_snapshots_stored_total Replay snapshots written to the database.\n"
		"# TYPE mmlab_snapshots_stored_total counter\nmmlab_snapshots_stored_total %llu\n",
		(unsigned long long)rs.snapshots_committed);
	add(&t, "# HELP mmlab_snapshots_loaded_total Replays that started from a stored snapshot.\n"
		"# TYPE mmlab_snapshots_loaded_total counter\nmmlab_snapshots_loaded_total %llu\n",
		(unsigned long long)snapshots_loaded(srv->snap));
	return t.buf;
}
