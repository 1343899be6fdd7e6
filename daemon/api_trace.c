/*
 * api_trace.c - sessions and the kernel's trace text: a session exported as
 * /sys/kernel/tracing/trace, a real trace imported as a trace session, what
 * a trace session's events determine (frames allocated and freed, per-zone
 * and per-order requests, slab and kmalloc activity), and a trace's page
 * requests replayed through the simulated allocator (resimulate).
 *
 * The tracepoints are ftrace.c's table; the import is trace_import.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "daemon/api.h"
#include "daemon/db.h"
#include "daemon/ftrace.h"
#include "daemon/recorder.h"
#include "daemon/server.h"
#include "daemon/trace_import.h"

/*** Export: a stream of trace lines, read from the database as it is sent ***/

struct export_stream {
	sqlite3 *db;
	sqlite3_stmt *st;
	char *buf;		/* lines not yet sent */
	size_t len, off;
	bool done;
};

static const char export_sql[] =
	"SELECT e.seq, e.op_no, e.type, e.cpu, e.node, e.zone, e.\"order\", e.migratetype, "
	"e.level, e.gfp, e.pfn, e.vaddr, e.paddr, e.size, e.value, e.detail, "
	"json_extract(o.op, '$.op') FROM events e LEFT JOIN ops o "
	"ON o.session_id = e.session_id AND o.op_no = e.op_no "
	"WHERE e.session_id = ? ORDER BY e.seq";

static int64_t col_i(sqlite3_stmt *st, int i, int64_t na)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? na : sqlite3_column_int64(st, i);
}

/* The row under @st as an event to write. */
static void row_event(sqlite3_stmt *st, struct ftrace_out *o)
{
	struct mm_event *ev = &o->ev;

	mm_event_init(ev, sqlite3_column_int(st, 2));
	o->seq = (uint64_t)sqlite3_column_int64(st, 0);
	o->op_no = (uint64_t)sqlite3_column_int64(st, 1);
	ev->cpu = (int)col_i(st, 3, MM_NA);
	ev->node = (int)col_i(st, 4, MM_NA);
	ev->zone = (int)col_i(st, 5, MM_NA);
	ev->order = (int)col_i(st, 6, MM_NA);
	ev->migratetype = (int)col_i(st, 7, MM_NA);
	ev->level = (int)col_i(st, 8, MM_NA);
	ev->gfp = (uint32_t)col_i(st, 9, 0);
	ev->pfn = (uint64_t)col_i(st, 10, (int64_t)MM_NA_U64);
	ev->vaddr = (uint64_t)col_i(st, 11, (int64_t)MM_NA_U64);
	ev->paddr = (uint64_t)col_i(st, 12, (int64_t)MM_NA_U64);
	ev->size = (uint64_t)col_i(st, 13, (int64_t)MM_NA_U64);
	ev->value = col_i(st, 14, MM_NA);
	ev->detail = (const char *)sqlite3_column_text(st, 15);
	o->op = (const char *)sqlite3_column_text(st, 16);
}

/* Fill the buffer with the next lines (about 64 KiB). */
static void export_refill(struct export_stream *x)
{
	FILE *f;

	free(x->buf);
	x->buf = NULL;
	x->len = x->off = 0;
	f = open_memstream(&x->buf, &x->len);
	if (!f) {
		x->done = true;
		return;
	}
	while (ftell(f) < 65536) {
		struct ftrace_out o;

		if (sqlite3_step(x->st) != SQLITE_ROW) {
			x->done = true;
			break;
		}
		row_event(x->st, &o);
		ftrace_write_event(f, &o);
	}
	fclose(f);
}

static ssize_t export_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct export_stream *x = cls;
	size_t n;

	(void)pos;
	while (x->off == x->len) {
		if (x->done)
			return -1;	/* MHD_CONTENT_READER_END_OF_STREAM */
		export_refill(x);
	}
	n = x->len - x->off < max ? x->len - x->off : max;
	memcpy(out, x->buf + x->off, n);
	x->off += n;
	return (ssize_t)n;
}

static void export_free(void *cls)
{
	struct export_stream *x = cls;

	sqlite3_finalize(x->st);
	sqlite3_close(x->db);
	free(x->buf);
	free(x);
}

/* How many events of @id the export writes, and the machine's CPUs. */
static uint64_t export_count(sqlite3 *db, int64_t id, unsigned int *cpus)
{
	char list[1024] = "";
	size_t n, used = 0;
	const struct ftrace_tp *tp = ftrace_tracepoints(&n);
	sqlite3_stmt *st;
	char sql[1400];
	uint64_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (tp[i].engine && used + 8 < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%d", used ? "," : "",
						 mm_event_type_from_name(tp[i].engine));
	snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM events WHERE session_id = ?1 "
		 "AND type IN (%s)), (SELECT json_extract(machine, '$.cpus') FROM sessions "
		 "WHERE id = ?1)", list);
	*cpus = 1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			count = (uint64_t)sqlite3_column_int64(st, 0);
			if (sqlite3_column_int(st, 1) > 0)
				*cpus = (unsigned int)sqlite3_column_int(st, 1);
		}
		sqlite3_finalize(st);
	}
	return count;
}

void api_trace_export(struct server *srv, int64_t id, struct http_reply *rep)
{
	struct export_stream *x = calloc(1, sizeof(*x));
	unsigned int cpus = 1;
	uint64_t count;
	FILE *f;

	recorder_sync(srv->rec);
	if (!x || sqlite3_open_v2(srv->opt.db_path, &x->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(x->db, export_sql, -1, &x->st, NULL) != SQLITE_OK) {
		if (x)
			export_free(x);
		reply_error(rep, 503, "EIO", "cannot read the session's events");
		return;
	}
	sqlite3_busy_timeout(x->db, 5000);
	sqlite3_bind_int64(x->st, 1, id);
	f = open_memstream(&x->buf, &x->len);
	if (!f) {
		export_free(x);
		reply_error(rep, 503, "ENOMEM", "out of memory");
		return;
	}
	count = export_count(x->db, id, &cpus);
	ftrace_write_header(f, count, cpus);
	fclose(f);
	rep->status = 200;
	rep->content_type = "text/plain; charset=utf-8";
	rep->stream_read = export_read;
	rep->stream_free = export_free;
	rep->stream_cls = x;
}

/*** The table, for clients and tests ***/

void api_ftrace_tracepoints(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	size_t n;
	const struct ftrace_tp *tp = ftrace_tracepoints(&n);
	json_t *arr = json_array();

	(void)srv;
	(void)req;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s?,s:s,s:s}", "name", tp[i].name,
						     "group", tp[i].group, "engine", tp[i].engine,
						     "fmt", tp[i].fmt, "args", tp[i].args));
	reply_json(rep, 200, json_pack("{s:o}", "tracepoints", arr));
}

/*** Import ***/

void api_sessions_import_trace(struct server *srv, struct http_request *req,
			       struct http_reply *rep)
{
	struct trace_import *ti = req->upload;
	unsigned int status;
	char code[16], msg[600];
	json_t *result;

	req->upload = NULL;
	if (!ti) {
		reply_error(rep, 503, "ENOMEM", "cannot begin the import");
		return;
	}
	if (trace_import_end(ti, &result, &status, code, sizeof(code), msg, sizeof(msg)))
		reply_error(rep, status, code, "%s", msg);
	else
		reply_json(rep, status, result);
}
