/*
 * scenarios_core.c - the figures of the page-cache and fork scenarios, each
 * from the events of its own run: per op, the pages the page cache gained
 * and lost, the pages dirtied and written, the dentries and inodes freed;
 * the pages fork allocated and the copies and reuses of copy-on-write.
 */
#include <stdbool.h>
#include <string.h>

#include "daemon/scenarios.h"
#include "daemon/scenarios_core.h"
#include "daemon/server.h"
#include "daemon/session.h"

static json_t *op_name_of(const char *text)
{
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;
	json_t *name = json_incref(json_object_get(o, "op"));

	json_decref(o);
	return name ? name : json_string("?");
}

/* A row of zeros for op @op_no, named from its JSON @text. */
static json_t *op_row(int64_t op_no, const char *text, const char *const *keys, unsigned int nr)
{
	json_t *row = json_pack("{s:I,s:o}", "op_no", (json_int_t)op_no, "op", op_name_of(text));

	for (unsigned int j = 0; j < nr; j++)
		json_object_set_new(row, keys[j], json_integer(0));
	return row;
}

/*
 * One row per op of the run, from its first op that caused an event to its
 * last: the op's name and, for each of @types, how many events it caused
 * (or, where @sum_size says so, the sum of their size fields).
 */
static json_t *per_op(struct server *srv, struct session *s, uint64_t first, uint64_t last,
		      const int *types, const bool *sum_size, const char *const *keys,
		      unsigned int nr, int64_t *totals)
{
	json_t *rows = json_array(), *row = NULL;
	sqlite3_stmt *st;
	int64_t cur = -1;
	unsigned int k;

	if (sqlite3_prepare_v2(scenario_db(srv),
			       "SELECT o.op_no, o.op, e.type, count(e.type), coalesce(sum(e.size), 0) "
			       "FROM ops o LEFT JOIN events e ON e.session_id = o.session_id AND "
			       "e.op_no = o.op_no AND e.seq BETWEEN ?2 AND ?3 WHERE o.session_id = ?1 AND "
			       "o.op_no BETWEEN (SELECT min(op_no) FROM events WHERE session_id = ?1 AND "
			       "seq BETWEEN ?2 AND ?3) AND (SELECT max(op_no) FROM events WHERE "
			       "session_id = ?1 AND seq BETWEEN ?2 AND ?3) GROUP BY o.op_no, e.type "
			       "ORDER BY o.op_no", -1, &st, NULL) != SQLITE_OK)
		return rows;
	sqlite3_bind_int64(st, 1, s->id);
	sqlite3_bind_int64(st, 2, (int64_t)first);
	sqlite3_bind_int64(st, 3, (int64_t)last);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t op_no = sqlite3_column_int64(st, 0);
		int type = sqlite3_column_int(st, 2);

		if (op_no != cur) {
			row = op_row(op_no, (const char *)sqlite3_column_text(st, 1), keys, nr);
			json_array_append_new(rows, row);
			cur = op_no;
		}
		for (k = 0; k < nr && types[k] != type; k++)
			;
		if (k < nr && sqlite3_column_type(st, 2) != SQLITE_NULL) {
			int64_t n = sqlite3_column_int64(st, sum_size[k] ? 4 : 3);

			json_object_set_new(row, keys[k], json_integer(n));
			totals[k] += n;
		}
	}
	sqlite3_finalize(st);
	return rows;
}

/*
 * "page cache is memory you can take back": per op, the pages added to and
 * deleted from the page cache, the pages dirtied, the dentry and inode
 * objects freed (kmem_cache_free of the two caches is counted with every
 * kmem_cache_free: the runs do nothing else with slabs).
 */
json_t *measure_page_cache(struct server *srv, struct session *s, uint64_t first, uint64_t last)
{
	static const int types[] = { MM_EV_mm_filemap_add_to_page_cache,
				     MM_EV_mm_filemap_delete_from_page_cache,
				     MM_EV_writeback_dirty_folio, MM_EV_file_fsync,
				     MM_EV_kmem_cache_free };
	static const bool sum_size[] = { false, false, false, true, false };
	static const char *const keys[] = { "added_pages", "dropped_pages", "dirtied_pages",
					    "written_pages", "slab_objects_freed" };
	int64_t totals[5] = { 0, 0, 0, 0, 0 };
	json_t *rows = per_op(srv, s, first, last, types, sum_size, keys, 5, totals);

	return json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:f}", "ops", rows,
			 "page_cache_filled_pages", (json_int_t)totals[0],
			 "given_back_pages", (json_int_t)totals[1],
			 "dirtied_pages", (json_int_t)totals[2],
			 "written_pages", (json_int_t)totals[3],
			 "slab_objects_freed", (json_int_t)totals[4],
			 "given_back_percent", totals[0] ? 100.0 * (double)totals[1] / (double)totals[0] : 0.0);
}

/*
 * "fork and copy-on-write": per op, the pages allocated (order-0
 * mm_page_alloc: page tables and user pages alike), the page-table pages
 * among them, and the write faults that copied or reused a page.
 */
json_t *measure_fork_cow(struct server *srv, struct session *s, uint64_t first, uint64_t last)
{
	static const int types[] = { MM_EV_mm_page_alloc, MM_EV_pgtable_alloc, MM_EV_wp_page_copy,
				     MM_EV_wp_page_reuse, MM_EV_task_newtask };
	static const char *const keys[] = { "allocated_pages", "page_table_pages", "copied_pages",
					    "reused_pages", "forks" };
	static const bool sum_size[] = { false, false, false, false, false };
	int64_t totals[5] = { 0, 0, 0, 0, 0 };
	json_t *rows = per_op(srv, s, first, last, types, sum_size, keys, 5, totals);

	return json_pack("{s:o,s:I,s:I,s:I}", "ops", rows, "copied_pages", (json_int_t)totals[2],
			 "reused_pages", (json_int_t)totals[3],
			 "allocated_pages", (json_int_t)totals[0]);
}
