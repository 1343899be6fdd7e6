/*
 * metrics.h - counters and latency histograms for GET /metrics (Prometheus
 * text format).
 */
#ifndef MMLAB_METRICS_H
#define MMLAB_METRICS_H

struct server;

/* Count one request of @route (a pattern, or NULL for static files) and its latency. */
void metrics_observe(const char *method, const char *route, unsigned int status, double seconds);
/* Count one op applied (@failed: its result was not ok). */
void metrics_ops(unsigned long applied, unsigned long failed);
/* The whole exposition text (malloc'd). */
char *metrics_render(struct server *srv);

#endif
