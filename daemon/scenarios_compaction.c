/*
 * scenarios_compaction.c - the figures of the compaction scenarios, each
 * from the events of its own run: the compaction runs (mm_compaction_begin
 * to mm_compaction_end, after mm/compaction.c's compact_zone()) with who
 * started them, the pages their scanners looked at and the folios moved,
 * the direct compaction stalls of the allocation slow path
 * (mm_compaction_try_to_compact_pages, one per try_to_compact_pages()
 * call), and what the high-order request finally got.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/scenarios_compaction.h"
#include "daemon/scenarios.h"
#include "daemon/server.h"
#include "daemon/session.h"

#define MAX_RUNS_LISTED 12

/* KEY=NUMBER of a tracepoint's text ("nr_scanned=512"), 0 when absent. */
static long long field(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, ' '), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == '=')
			return strtoll(p + n + 1, NULL, 0);
	return 0;
}

/* KEY=WORD of a tracepoint's text into @buf ("" when absent). */
static const char *word(const char *text, const char *key, char *buf, size_t size)
{
	size_t n = strlen(key);

	buf[0] = '\0';
	for (const char *p = text; p && *p; p = strchr(p, ' '), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == '=') {
			snprintf(buf, size, "%.*s", (int)strcspn(p + n + 1, " ,"), p + n + 1);
			break;
		}
	return buf;
}

struct run {
	char zone[16], mode[24], status[24];
	const char *by;
	uint64_t begin_seq, end_seq;
	long long migrate_from, migrate_to, free_from, free_to;
	long long migrate_steps, free_steps, migrate_scanned, free_scanned, migrated, failed;
};

static json_t *run_json(const struct run *r)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			 "zone", r->zone, "started_by", r->by, "mode", r->mode,
			 "status", r->status[0] ? r->status : "running",
			 "migrate_scanner_from_pfn", (json_int_t)r->migrate_from,
			 "migrate_scanner_to_pfn", (json_int_t)r->migrate_to,
			 "free_scanner_from_pfn", (json_int_t)r->free_from,
			 "free_scanner_to_pfn", (json_int_t)r->free_to,
			 "migrate_scanner_steps", (json_int_t)r->migrate_steps,
			 "free_scanner_steps", (json_int_t)r->free_steps,
			 "pages_scanned_by_migrate_scanner", (json_int_t)r->migrate_scanned,
			 "pages_scanned_by_free_scanner", (json_int_t)r->free_scanned,
			 "pages_migrated", (json_int_t)r->migrated, "pages_failed_to_migrate", (json_int_t)r->failed);
}

/*
 * The runs, in order. Who started one is the last of these before its
 * begin: try_to_compact_pages (direct compaction in the slow path),
 * kcompactd_wake (kcompactd, woken by kswapd after a high-order failure);
 * a run after neither, or after kcompactd went back to sleep, is
 * proactive compaction (or compact_memory): on kcompactd's timer, or
 * woken by a write of vm.compaction_proactiveness (a wakeup_kcompactd line
 * of order -1 since kcompactd last slept), counted apart.
 */
json_t *measure_compaction(struct server *srv, struct session *s, uint64_t first, uint64_t last)
{
	sqlite3_stmt *st;
	struct run cur = { 0 };
	bool open = false;
	const char *by = "proactive";
	json_t *runs = json_array(), *request = json_null(), *prios = json_array(), *high = json_array();
	long long totals[6] = { 0 };	/* migrated, failed, migrate scanned, free scanned, moves, runs */
	long long by_count[3] = { 0 };	/* direct, kcompactd, proactive */
	long long proactive_by_sysctl = 0;
	bool sysctl_woke = false;
	int64_t stalls = 0, wakes = 0, order = -1, first_stall = -1;

	st = scenario_run_events(srv, s, first, last,
		"SELECT seq, type, zone, detail, \"order\", value FROM events WHERE session_id = ?1 "
		"AND seq BETWEEN ?2 AND ?3 AND type IN (?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
		"ORDER BY seq");
	if (st) {
		int types[] = { MM_EV_mm_compaction_begin, MM_EV_mm_compaction_end,
				MM_EV_mm_compaction_isolate_migratepages,
				MM_EV_mm_compaction_isolate_freepages, MM_EV_mm_compaction_migratepages,
				MM_EV_mm_compaction_try_to_compact_pages,
				MM_EV_mm_compaction_kcompactd_wake, MM_EV_mm_compaction_kcompactd_sleep,
				MM_EV_migrate_folio_move, MM_EV_mm_compaction_wakeup_kcompactd };

		for (int i = 0; i < 10; i++)
			sqlite3_bind_int(st, 4 + i, types[i]);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int type = sqlite3_column_int(st, 1);
			const char *d = (const char *)sqlite3_column_text(st, 3);

			if (type == MM_EV_mm_compaction_try_to_compact_pages) {
				by = "direct";
				stalls++;
				order = sqlite3_column_int(st, 4);
				if (first_stall < 0)
					first_stall = sqlite3_column_int64(st, 0);
				json_array_append_new(prios, json_integer(field(d, "priority")));
			} else if (type == MM_EV_mm_compaction_kcompactd_wake) {
				by = "kcompactd";
				wakes++;
			} else if (type == MM_EV_mm_compaction_kcompactd_sleep) {
				by = "proactive";
				sysctl_woke = false;
			} else if (type == MM_EV_mm_compaction_wakeup_kcompactd) {
				/* the sysctl handler's: order -1, stored as no order, so read from its text */
				if (d && strstr(d, " order=-1 "))
					sysctl_woke = true;
			} else if (type == MM_EV_migrate_folio_move) {
				totals[4]++;
			} else if (type == MM_EV_mm_compaction_begin) {
				memset(&cur, 0, sizeof(cur));
				open = true;
				snprintf(cur.zone, sizeof(cur.zone), "%s",
					 sqlite3_column_type(st, 2) == SQLITE_NULL ? "?"
					 : zone_type_name(sqlite3_column_int(st, 2)));
				word(d, "mode", cur.mode, sizeof(cur.mode));
				cur.by = by;
				cur.begin_seq = (uint64_t)sqlite3_column_int64(st, 0);
				cur.migrate_from = cur.migrate_to = field(d, "migrate_pfn");
				cur.free_from = cur.free_to = field(d, "free_pfn");
			} else if (open && type == MM_EV_mm_compaction_isolate_migratepages) {
				cur.migrate_steps++;
				cur.migrate_scanned += field(d, "nr_scanned");
				if (d && strchr(d, '~'))	/* range=(START ~ END): it stands at END */
					cur.migrate_to = strtoll(strchr(d, '~') + 1, NULL, 0);
			} else if (open && type == MM_EV_mm_compaction_isolate_freepages) {
				cur.free_steps++;
				cur.free_scanned += field(d, "nr_scanned");
				if (d && strchr(d, '('))	/* and this one in START's pageblock */
					cur.free_to = strtoll(strchr(d, '(') + 1, NULL, 0);
			} else if (open && type == MM_EV_mm_compaction_migratepages) {
				cur.migrated += field(d, "nr_migrated");
				cur.failed += field(d, "nr_failed");
			} else if (open && type == MM_EV_mm_compaction_end) {
				word(d, "status", cur.status, sizeof(cur.status));
				cur.migrate_to = field(d, "migrate_pfn");
				cur.free_to = field(d, "free_pfn");
				cur.end_seq = (uint64_t)sqlite3_column_int64(st, 0);
				open = false;
				totals[0] += cur.migrated;
				totals[1] += cur.failed;
				totals[2] += cur.migrate_scanned;
				totals[3] += cur.free_scanned;
				totals[5]++;
				by_count[!strcmp(cur.by, "direct") ? 0 : !strcmp(cur.by, "kcompactd") ? 1 : 2]++;
				proactive_by_sysctl += !strcmp(cur.by, "proactive") && sysctl_woke;
				if (json_array_size(runs) < MAX_RUNS_LISTED)
					json_array_append_new(runs, run_json(&cur));
			}
		}
		sqlite3_finalize(st);
	}
	/* every request of a pageblock's order or more, and what it got */
	st = scenario_run_events(srv, s, first, last,
		"SELECT type, \"order\" FROM events WHERE session_id = ?1 AND seq BETWEEN ?2 AND ?3 "
		"AND type IN (?4, ?5) AND \"order\" >= 9 ORDER BY seq LIMIT 32");
	if (st) {
		sqlite3_bind_int(st, 4, MM_EV_mm_page_alloc);
		sqlite3_bind_int(st, 5, MM_EV_alloc_fail);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(high, json_pack("{s:i,s:b}", "order", sqlite3_column_int(st, 1),
				"succeeded", sqlite3_column_int(st, 0) == MM_EV_mm_page_alloc));
		sqlite3_finalize(st);
	}
	/* the request the slow path compacted for: its outcome, the first after the first stall */
	if (order >= 0) {
		st = scenario_run_events(srv, s, (uint64_t)first_stall, last,
			"SELECT seq, type, pfn, zone, detail FROM events WHERE session_id = ?1 AND "
			"seq BETWEEN ?2 AND ?3 AND type IN (?4, ?5) AND \"order\" = ?6 ORDER BY seq LIMIT 1");
		if (st) {
			sqlite3_bind_int(st, 4, MM_EV_mm_page_alloc);
			sqlite3_bind_int(st, 5, MM_EV_alloc_fail);
			sqlite3_bind_int64(st, 6, order);
			if (sqlite3_step(st) == SQLITE_ROW) {
				bool ok = sqlite3_column_int(st, 1) == MM_EV_mm_page_alloc;

				json_decref(request);
				request = json_pack("{s:I,s:I,s:b,s:I,s:I}", "seq",
						    (json_int_t)sqlite3_column_int64(st, 0), "order", (json_int_t)order,
						    "succeeded", ok, "events_of_the_stall",
						    (json_int_t)(sqlite3_column_int64(st, 0) - first_stall),
						    "direct_compaction_calls", (json_int_t)stalls);
				if (ok) {
					json_object_set_new(request, "pfn", json_integer(sqlite3_column_int64(st, 2)));
					json_object_set_new(request, "zone", json_string(
						zone_type_name(sqlite3_column_int(st, 3))));
				} else {
					json_object_set_new(request, "fail_reason", json_string(
						(const char *)sqlite3_column_text(st, 4)));
				}
			}
			sqlite3_finalize(st);
		}
	}
	return json_pack("{s:o,s:o,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
			 "request", request, "high_order_requests", high, "direct_compaction_calls", (json_int_t)stalls,
			 "direct_compaction_priorities", prios, "kcompactd_wakes", (json_int_t)wakes,
			 "runs", (json_int_t)totals[5], "runs_direct", (json_int_t)by_count[0],
			 "runs_by_kcompactd", (json_int_t)by_count[1],
			 "runs_proactive", (json_int_t)by_count[2],
			 "runs_proactive_woken_by_sysctl", (json_int_t)proactive_by_sysctl,
			 "pages_migrated", (json_int_t)totals[0], "pages_failed_to_migrate", (json_int_t)totals[1],
			 "folios_moved", (json_int_t)totals[4],
			 "pages_scanned_by_migrate_scanner", (json_int_t)totals[2],
			 "pages_scanned_by_free_scanner", (json_int_t)totals[3], "run_list", runs);
}
