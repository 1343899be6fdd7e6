/*
 * scenarios.h - built-in experiments: files of ops under scenarios/, each with
 * a claim, and a measurement that turns the run's events into a figure.
 */
#ifndef MMLAB_SCENARIOS_H
#define MMLAB_SCENARIOS_H

#include <stdint.h>

#include <jansson.h>

struct server;
struct session;

/* A figure computed from the events (first_seq..last_seq) of a scenario's run. */
typedef json_t *(*measure_fn)(struct server *srv, struct session *s, uint64_t first_seq,
			      uint64_t last_seq);

struct measure {
	const char *name;
	measure_fn fn;
};

/* The scenario runs recorded for session @id (a JSON array). */
json_t *scenario_runs_json(struct server *srv, int64_t id);

/*
 * A statement over the events of session @s's run, @sql with three parameters:
 * the session id, the run's first and last seq. NULL when @sql does not prepare.
 */
struct sqlite3_stmt *scenario_run_events(struct server *srv, struct session *s, uint64_t first,
					 uint64_t last, const char *sql);

/* The connection a measurement reads: its run's own while it measures. */
struct sqlite3 *scenario_db(struct server *srv);

/* The measurements scenario files may name; NULL-terminated. */
extern const struct measure scenario_measures[];

#endif
