/*
 * scenarios_oom.c - the figures of the OOM killer and memory cgroup
 * scenarios, each from the events of its own run: the processes spawned,
 * the victims in the order mark_victim named them with the fields that
 * make up their oom_badness() (anon RSS, page tables, oom_score_adj), and
 * the group's reclaim (mm_vmscan_memcg_reclaim_end) before its first kill.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon/scenarios_oom.h"
#include "daemon/scenarios.h"
#include "daemon/server.h"
#include "daemon/session.h"

/* One mark_victim's fields, from the tracepoint's text. */
static json_t *victim_json(const char *d)
{
	unsigned long long vm = 0, anon = 0, file = 0, shmem = 0, pgtables = 0;
	char comm[32] = "";
	int pid = 0, adj = 0;

	if (!d || sscanf(d, "pid=%d comm=%31s total-vm=%llukB anon-rss=%llukB file-rss:%llukB "
			 "shmem-rss:%llukB uid=%*u pgtables=%llukB oom_score_adj=%d", &pid, comm,
			 &vm, &anon, &file, &shmem, &pgtables, &adj) != 8)
		return NULL;
	return json_pack("{s:i,s:s,s:I,s:I,s:I,s:I,s:i}", "pid", pid, "comm", comm,
			 "anon_rss_kb", (json_int_t)anon, "file_rss_kb", (json_int_t)file,
			 "pgtables_kb", (json_int_t)pgtables, "rss_and_pgtables_pages",
			 (json_int_t)((anon + file + shmem + pgtables) / 4), "oom_score_adj", adj);
}

/* The processes spawned in the run that no mark_victim named. */
static json_t *survivors(struct server *srv, struct session *s, uint64_t first, uint64_t last)
{
	json_t *left = json_array();
	sqlite3_stmt *st = scenario_run_events(srv, s, first, last,
		"SELECT value, detail FROM events WHERE session_id = ?1 AND seq BETWEEN ?2 AND ?3 "
		"AND type = ?4 AND value NOT IN (SELECT value FROM events WHERE session_id = ?1 AND "
		"seq BETWEEN ?2 AND ?3 AND type = ?5) ORDER BY seq");

	if (!st)
		return left;
	sqlite3_bind_int(st, 4, MM_EV_process_spawn);
	sqlite3_bind_int(st, 5, MM_EV_mark_victim);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(left, json_pack("{s:I,s:s}", "pid",
			(json_int_t)sqlite3_column_int64(st, 0), "comm",
			sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : ""));
	sqlite3_finalize(st);
	return left;
}

/*
 * The OOM killer picks its victim: the victims in kill order, and whether
 * each one's RSS and page tables, before oom_score_adj, would have put it
 * first (the adjustment is what changes the order when it does not).
 */
json_t *measure_oom_victims(struct server *srv, struct session *s, uint64_t first, uint64_t last)
{
	json_t *victims = json_array();
	sqlite3_stmt *st = scenario_run_events(srv, s, first, last,
		"SELECT detail FROM events WHERE session_id = ?1 AND seq BETWEEN ?2 AND ?3 AND "
		"type = ?4 ORDER BY seq");
	bool adj_changed_order = false;
	json_int_t prev = -1;

	if (!st)
		return json_null();
	sqlite3_bind_int(st, 4, MM_EV_mark_victim);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *v = victim_json((const char *)sqlite3_column_text(st, 0));
		json_int_t size;

		if (!v)
			continue;
		size = json_integer_value(json_object_get(v, "rss_and_pgtables_pages"));
		if (prev >= 0 && size > prev)
			adj_changed_order = true;
		prev = size;
		json_array_append_new(victims, v);
	}
	sqlite3_finalize(st);
	return json_pack("{s:I,s:o,s:o,s:b}", "oom_kills", (json_int_t)json_array_size(victims),
			 "victims_in_kill_order", victims,
			 "survivors", survivors(srv, s, first, last),
			 "oom_score_adj_changed_the_order", adj_changed_order);
}

/*
 * A container hits its memory limit: the group's reclaim rounds and the
 * pages they freed before the first kill, and the victims.
 */
json_t *measure_memcg_limit(struct server *srv, struct session *s, uint64_t first, uint64_t last)
{
	uint64_t rounds = 0, reclaimed = 0, rounds_before_kill = 0, reclaimed_before_kill = 0;
	json_t *victims = json_array();
	sqlite3_stmt *st = scenario_run_events(srv, s, first, last,
		"SELECT type, value, detail FROM events WHERE session_id = ?1 AND seq BETWEEN ?2 "
		"AND ?3 AND type IN (?4, ?5) ORDER BY seq");

	if (!st)
		return json_null();
	sqlite3_bind_int(st, 4, MM_EV_mm_vmscan_memcg_reclaim_end);
	sqlite3_bind_int(st, 5, MM_EV_mark_victim);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 0) == MM_EV_mark_victim) {
			json_t *v = victim_json((const char *)sqlite3_column_text(st, 2));

			if (!json_array_size(victims)) {
				rounds_before_kill = rounds;
				reclaimed_before_kill = reclaimed;
			}
			if (v)
				json_array_append_new(victims, v);
			continue;
		}
		rounds++;
		reclaimed += (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (!json_array_size(victims)) {
		rounds_before_kill = rounds;
		reclaimed_before_kill = reclaimed;
	}
	return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "memcg_reclaim_rounds", (json_int_t)rounds,
			 "pages_reclaimed_in_the_group", (json_int_t)reclaimed,
			 "reclaim_rounds_before_the_first_kill", (json_int_t)rounds_before_kill,
			 "pages_reclaimed_before_the_first_kill", (json_int_t)reclaimed_before_kill,
			 "victims", victims, "survivors", survivors(srv, s, first, last));
}
