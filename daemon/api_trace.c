/*
 * api_trace.c - sessions and the kernel's trace text: a session exported as
 * /sys/kernel/tracing/trace, a real trace imported as a trace session, what
 * a trace session's events determine (frames allocated and freed, per-zone
 * and per-order requests, slab and kmalloc activity), and a trace's page
 * requests replayed through the simulated allocator (resimulate).
 *
 * The tracepoints are ftrace.c's table; the import is trace_import.c.
 */
#include <errno.h>
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
#include "daemon/trace_resim.h"

/*** Export: a stream of trace lines, read from the database as it is sent ***/

struct export_stream {
	sqlite3 *db;
	sqlite3_stmt *st;
	char *buf;		/* lines not yet sent */
	size_t len, off;
	bool done;
	/*
	 * A fallback (mm_page_alloc_extfrag) waiting for the allocation it
	 * served: the engine does not record its CPU, the kernel's line has the
	 * CPU of that allocation.
	 */
	bool held;
	struct ftrace_out fallback;
	char fallback_detail[256];
};

/*
 * An event of a trace session, as the trace had it: its task, pid, CPU and
 * time, its tracepoint's fields (an unknown tracepoint's text as it came).
 */
static void export_trace_line(FILE *f, sqlite3_stmt *st, const struct ftrace_out *o)
{
	const char *name = ftrace_event_type_name(o->ev.type);
	const struct ftrace_tp *tp = name ? ftrace_tp_by_name(name, strlen(name)) : NULL;
	uint64_t ts = (uint64_t)sqlite3_column_int64(st, 17);

	const char *flags = (const char *)sqlite3_column_text(st, 20);

	fprintf(f, "%16s-%-7d [%03d] %s %5" PRIu64 ".%06" PRIu64 ": %s: ",
		(const char *)sqlite3_column_text(st, 19), sqlite3_column_int(st, 18),
		o->ev.cpu == MM_NA ? 0 : o->ev.cpu, flags ? flags : ".....",
		ts / 1000000000, ts % 1000000000 / 1000,
		name ? name : "unknown");
	if (tp)
		ftrace_write_fields(f, tp, o);
	else if (o->ev.detail)
		fputs(o->ev.detail, f);
	fputc('\n', f);
}

/* Write @o, after a held fallback (on @o's CPU when @o is its allocation). */
static void export_one(FILE *f, struct export_stream *x, const struct ftrace_out *o)
{
	if (o->ev.type == MM_EV_mm_page_alloc_extfrag && o->ev.cpu == MM_NA && !x->held) {
		x->fallback = *o;
		snprintf(x->fallback_detail, sizeof(x->fallback_detail), "%s",
			 o->ev.detail ? o->ev.detail : "");
		x->fallback.ev.detail = x->fallback_detail;
		x->fallback.op = NULL;
		x->held = true;
		return;
	}
	if (x->held && o->op_no == x->fallback.op_no && o->ev.type != MM_EV_NONE &&
	    !ftrace_tp_for_engine(o->ev.type))
		return;		/* a split or a list move of the same allocation: not written */
	if (x->held) {
		if (o->ev.type == MM_EV_mm_page_alloc && o->op_no == x->fallback.op_no)
			x->fallback.ev.cpu = o->ev.cpu;
		x->fallback.op = o->op_no == x->fallback.op_no ? o->op : x->fallback.op;
		x->held = false;
		ftrace_write_event(f, &x->fallback);
	}
	if (o->ev.type != MM_EV_NONE)
		ftrace_write_event(f, o);
}

static const char export_sql[] =
	"SELECT e.seq, e.op_no, e.type, e.cpu, e.node, e.zone, e.\"order\", e.migratetype, "
	"e.level, e.gfp, e.pfn, e.vaddr, e.paddr, e.size, e.value, e.detail, "
	"json_extract(o.op, '$.op'), t.ts_ns, t.pid, t.task, t.flags FROM events e LEFT JOIN ops o "
	"ON o.session_id = e.session_id AND o.op_no = e.op_no LEFT JOIN trace_events t "
	"ON t.session_id = e.session_id AND t.seq = e.seq "
	"WHERE e.session_id = ? ORDER BY e.seq";

static int64_t col_i(sqlite3_stmt *st, int i, int64_t na)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? na : sqlite3_column_int64(st, i);
}

/* The row under @st as an event to write. */
static void row_event(sqlite3_stmt *st, struct ftrace_out *o)
{
	struct mm_event *ev = &o->ev;

	memset(o, 0, sizeof(*o));
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
			struct ftrace_out end = { .op_no = UINT64_MAX };

			mm_event_init(&end.ev, MM_EV_NONE);
			export_one(f, x, &end);	/* a fallback still held */
			x->done = true;
			break;
		}
		row_event(x->st, &o);
		if (sqlite3_column_type(x->st, 17) != SQLITE_NULL) {
			o.trace = true;
			export_trace_line(f, x->st, &o);
		} else {
			export_one(f, x, &o);
		}
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
static uint64_t export_count(sqlite3 *db, int64_t id, unsigned int *cpus, char **machine)
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
		 "AND (type IN (%s) OR ?1 IN (SELECT session_id FROM trace_sessions))), "
		 "(SELECT json_extract(machine, '$.cpus') FROM sessions "
		 "WHERE id = ?1), (SELECT machine FROM sessions WHERE id = ?1)", list);
	*cpus = 1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			count = (uint64_t)sqlite3_column_int64(st, 0);
			if (sqlite3_column_int(st, 1) > 0)
				*cpus = (unsigned int)sqlite3_column_int(st, 1);
			if (machine && sqlite3_column_text(st, 2))
				*machine = strdup((const char *)sqlite3_column_text(st, 2));
		}
		sqlite3_finalize(st);
	}
	return count;
}

void api_trace_export(struct server *srv, int64_t id, struct http_reply *rep)
{
	struct export_stream *x = calloc(1, sizeof(*x));
	unsigned int cpus = 1;
	char *machine = NULL;
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
	count = export_count(x->db, id, &cpus, &machine);
	ftrace_write_header(f, count, cpus);
	/* a comment the kernel's readers skip: the machine, for a re-simulation */
	if (machine && !strchr(machine, '\n'))
		fprintf(f, "# mmlab machine: %s\n", machine);
	free(machine);
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

/*** Trace sessions: what their events determine ***/

/* The summary of trace session @id (a new reference), or NULL when it is none. */
static json_t *trace_summary(struct server *srv, int64_t id, char **zoneinfo)
{
	sqlite3_stmt *st;
	json_t *sum = NULL;

	if (zoneinfo)
		*zoneinfo = NULL;
	if (sqlite3_prepare_v2(srv->db, "SELECT summary, zoneinfo FROM trace_sessions "
			       "WHERE session_id = ? AND status = 'ready'", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		sum = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		if (zoneinfo && sqlite3_column_type(st, 1) != SQLITE_NULL)
			*zoneinfo = strdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	return sum;
}

/* Whether @id is a trace session (one whose import has finished). */
static bool is_trace_session(struct server *srv, int64_t id)
{
	json_t *sum = trace_summary(srv, id, NULL);

	json_decref(sum);
	return sum != NULL;
}

bool api_trace_refuse(struct server *srv, int64_t id, struct http_reply *rep)
{
	if (!is_trace_session(srv, id))
		return false;
	reply_error(rep, 409, "EROFS", "session %lld is a trace of a real kernel: it has no "
		    "simulated machine to show. Its events, timeline, physmap and GET "
		    "/api/v1/sessions/%lld/trace answer; POST .../resimulate replays its requests",
		    (long long)id, (long long)id);
	return true;
}

bool api_trace_refuse_change(struct server *srv, int64_t id, const char *what,
			      struct http_reply *rep)
{
	if (!is_trace_session(srv, id))
		return false;
	reply_error(rep, 409, "EROFS", "session %lld is a trace of a real kernel, read-only: %s "
		    "needs a simulated machine, which a trace has not. POST "
		    "/api/v1/sessions/%lld/resimulate replays its requests through one",
		    (long long)id, what, (long long)id);
	return true;
}

struct tzone {
	char name[16];
	uint64_t start, end;
	uint64_t alloc_pages, free_pages, allocs[16], frees[16];
};

/* Zones of a /proc/zoneinfo text: name, start_pfn and spanned. */
static int parse_zones(const char *text, struct tzone *z, int max)
{
	int n = 0;

	for (const char *p = text; p && *p && n <= max; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		char name[16];
		unsigned long long v;

		if (sscanf(p, "Node %*d, zone %15s", name) == 1 && n < max) {
			memset(&z[n], 0, sizeof(z[n]));
			snprintf(z[n++].name, sizeof(z[0].name), "%s", name);
		} else if (n && sscanf(p, " spanned %llu", &v) == 1) {
			z[n - 1].end = v;	/* made absolute at start_pfn */
		} else if (n && sscanf(p, " start_pfn: %llu", &v) == 1) {
			z[n - 1].start = v;
			z[n - 1].end += v;
		}
	}
	return n;
}

/* Walk the page events of trace session @id up to @at: @fn(ctx, type, pfn, order). */
static void page_events(struct server *srv, int64_t id, uint64_t at,
			void (*fn)(void *, int, uint64_t, int), void *ctx)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(srv->db, "SELECT type, pfn, coalesce(\"order\", 0) FROM events "
			       "WHERE session_id = ? AND seq <= ? AND type IN (?, ?) AND pfn IS NOT NULL "
			       "ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)at);
	sqlite3_bind_int(st, 3, MM_EV_mm_page_alloc);
	sqlite3_bind_int(st, 4, MM_EV_mm_page_free);
	while (sqlite3_step(st) == SQLITE_ROW)
		fn(ctx, sqlite3_column_int(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
		   sqlite3_column_int(st, 2));
	sqlite3_finalize(st);
}

/* Physmap codes of a trace session. */
enum { TRACE_UNSEEN, TRACE_ALLOCATED, TRACE_FREED, TRACE_HOLE };

struct paint {
	uint8_t *map;
	uint64_t start, count;
};

static void paint_page(void *ctx, int type, uint64_t pfn, int order)
{
	struct paint *p = ctx;
	uint64_t n = order >= 0 && order < 16 ? 1ULL << order : 1;

	for (uint64_t i = pfn; i < pfn + n; i++)
		if (i >= p->start && i < p->start + p->count)
			p->map[i - p->start] = type == MM_EV_mm_page_alloc ? TRACE_ALLOCATED : TRACE_FREED;
}

/* pfns in no zone of the zoneinfo (when there is one) are holes. */
static void paint_holes(struct paint *p, const char *zoneinfo)
{
	struct tzone z[8];
	int n = zoneinfo ? parse_zones(zoneinfo, z, 8) : 0;

	for (uint64_t i = 0; n && i < p->count; i++) {
		uint64_t pfn = p->start + i;
		bool in = false;

		for (int k = 0; k < n && !in; k++)
			in = pfn >= z[k].start && pfn < z[k].end;
		if (!in)
			p->map[i] = TRACE_HOLE;
	}
}

static bool at_of(struct http_request *req, struct http_reply *rep, uint64_t *at)
{
	const char *s = http_query(req, "at");
	char *end;

	*at = UINT64_MAX >> 1;
	if (!s)
		return true;
	*at = strtoull(s, &end, 10);
	if (!*s || *end || s[0] == '-') {
		reply_error(rep, 400, "EINVAL", "at must be an event seq, not \"%s\"", s);
		return false;
	}
	return true;
}

static uint64_t trace_max_pfn(json_t *sum, const char *zoneinfo)
{
	struct tzone z[8];
	int n = zoneinfo ? parse_zones(zoneinfo, z, 8) : 0;
	uint64_t max = (uint64_t)json_integer_value(json_object_get(sum, "max_pfn")) + 1;

	for (int i = 0; i < n; i++)
		if (z[i].end > max)
			max = z[i].end;
	return max;
}

bool api_trace_physmap(struct server *srv, struct http_request *req, struct http_reply *rep,
		       bool legend)
{
	int64_t id = api_session_id(req, rep);
	char *zi = NULL;
	json_t *sum = id >= 0 ? trace_summary(srv, id, &zi) : NULL;
	struct paint p = { 0 };
	uint64_t max, at;
	const char *s;

	if (!sum)
		return false;
	max = trace_max_pfn(sum, zi);
	if (legend && at_of(req, rep, &at)) {
		json_int_t events = json_integer_value(json_object_get(sum, "events"));

		reply_json(rep, 200, json_pack("{s:I,s:I,s:b,s:[{s:i,s:s,s:s},{s:i,s:s,s:s},"
			"{s:i,s:s,s:s},{s:i,s:s,s:s}],s:s}", "seq",
			(json_int_t)at < events ? (json_int_t)at : events, "max_pfn", (json_int_t)max,
			"trace", 1, "codes",
			"code", TRACE_UNSEEN, "name", "not in the trace", "color", "#e9ecef",
			"code", TRACE_ALLOCATED, "name", "allocated in the trace", "color", "#e76f51",
			"code", TRACE_FREED, "name", "freed in the trace", "color", "#2a9d8f",
			"code", TRACE_HOLE, "name", "hole", "color", "#222222",
			"note", "Reconstructed from mm_page_alloc and mm_page_free: a frame not in "
			"the trace may be free or in use; the trace does not say."));
	} else if (!legend && at_of(req, rep, &at)) {
		s = http_query(req, "start");
		p.start = s ? strtoull(s, NULL, 10) : 0;
		p.start = p.start > max ? max : p.start;
		s = http_query(req, "count");
		p.count = s ? strtoull(s, NULL, 10) : max - p.start;
		if (p.start + p.count > max)
			p.count = max - p.start;
		p.map = calloc(p.count ? p.count : 1, 1);
		if (!p.map) {
			reply_error(rep, 503, "ENOMEM", "out of memory");
		} else {
			paint_holes(&p, zi);
			page_events(srv, id, at, paint_page, &p);
			reply_take(rep, 200, "application/octet-stream", (char *)p.map, p.count);
		}
	}
	json_decref(sum);
	free(zi);
	return true;
}

struct zcount {
	struct tzone *z;
	int n;
	uint64_t outside;
};

static void count_page(void *ctx, int type, uint64_t pfn, int order)
{
	struct zcount *c = ctx;
	int o = order >= 0 && order < 16 ? order : 0;
	int i;

	for (i = 0; i < c->n; i++)
		if (pfn >= c->z[i].start && pfn < c->z[i].end)
			break;
	if (i == c->n) {
		c->outside++;
		return;
	}
	if (type == MM_EV_mm_page_alloc) {
		c->z[i].alloc_pages += 1ULL << o;
		c->z[i].allocs[o]++;
	} else {
		c->z[i].free_pages += 1ULL << o;
		c->z[i].frees[o]++;
	}
}

static json_t *u64s(const uint64_t *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

/* The free blocks by order of zone @name in a /proc/buddyinfo text (node 0), or NULL. */
static json_t *buddyinfo_of(struct server *srv, int64_t id, const char *name)
{
	sqlite3_stmt *st;
	json_t *out = NULL;

	if (sqlite3_prepare_v2(srv->db, "SELECT buddyinfo FROM trace_sessions WHERE session_id = ? "
			       "AND buddyinfo IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0);

		for (const char *p = text; p && *p && !out; p = strchr(p, '\n'), p = p ? p + 1 : p) {
			char zone[16];
			int n = 0, node;

			if (sscanf(p, "Node %d, zone %15s%n", &node, zone, &n) < 2 || node || strcmp(zone, name))
				continue;
			out = json_array();
			for (const char *q = p + n; *q && *q != '\n'; ) {
				char *end;
				unsigned long long v = strtoull(q, &end, 10);

				if (end == q)
					break;
				json_array_append_new(out, json_integer((json_int_t)v));
				q = end;
				while (*q == ' ')
					q++;
			}
		}
	}
	sqlite3_finalize(st);
	return out;
}

/* GET .../trace: the import's summary and, up to ?at, what the events determine. */
void api_trace_get(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	char *zi = NULL;
	json_t *sum, *zones = json_array();
	struct tzone z[8];
	struct zcount c = { z, 0, 0 };
	uint64_t at;

	if (id < 0)
		return;
	sum = trace_summary(srv, id, &zi);
	if (!sum) {
		json_decref(zones);
		reply_error(rep, 404, "ENOENT", "session %lld is not a trace session", (long long)id);
		return;
	}
	if (!at_of(req, rep, &at)) {
		json_decref(sum);
		json_decref(zones);
		free(zi);
		return;
	}
	if (zi) {
		c.n = parse_zones(zi, z, 8);
	} else {	/* one span over the pfns seen */
		c.n = 1;
		memset(z, 0, sizeof(z[0]));
		strcpy(z[0].name, "(pfns seen)");
		z[0].end = trace_max_pfn(sum, NULL);
	}
	page_events(srv, id, at, count_page, &c);
	for (int i = 0; i < c.n; i++)
		if (z[i].end > z[i].start)
			json_array_append_new(zones, json_pack("{s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:o*}",
			"name", z[i].name, "start_pfn", (json_int_t)z[i].start,
			"end_pfn", (json_int_t)z[i].end, "alloc_pages", (json_int_t)z[i].alloc_pages,
			"free_pages", (json_int_t)z[i].free_pages, "allocs_by_order", u64s(z[i].allocs, 11),
			"frees_by_order", u64s(z[i].frees, 11),
			"buddyinfo_before", buddyinfo_of(srv, id, z[i].name)));
	json_object_set_new(sum, "id", json_integer(id));
	json_object_set_new(sum, "state", json_string("trace"));
	json_object_set_new(sum, "zones", zones);
	json_object_set_new(sum, "zones_from", json_string(zi ? "zoneinfo" : "the pfns seen"));
	json_object_set_new(sum, "not_known", json_pack("[s,s,s]",
		"which frames were free or in use before the trace: only those the trace allocates "
		"or frees are drawn (buddyinfo_before, when the bundle has it, counts the free "
		"blocks of each order when the trace began)",
		"the buddy free lists themselves: mm_page_alloc and mm_page_free give requests by "
		"order, not the splits and merges behind them, and pages freed to a per-CPU list "
		"reach the buddy later",
		"struct page, slabs, page tables, TLBs and processes: a trace carries none of them"));
	reply_json(rep, 200, sum);
	free(zi);
}

/*** Replay through the model ***/

static json_t *share(uint64_t part, uint64_t whole)
{
	return whole ? json_real((double)part / (double)whole) : json_null();
}

static json_t *figures_json(const struct resim_figures *f)
{
	return json_pack("{s:I,s:f,s:f,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,"
			 "s:I,s:I,s:I,s:I,s:o},"
			 "s:{s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I,s:o},s:{s:I,s:I,s:I},s:[s,s]}",
		"requests", (json_int_t)f->requests, "seconds", f->seconds,
		"requests_per_s", f->seconds > 0 ? (double)f->requests / f->seconds : 0.0,
		"page_allocs", "total", (json_int_t)f->allocs, "both_ok", (json_int_t)f->both_ok,
		"kernel_only", (json_int_t)f->kernel_only, "model_only", (json_int_t)f->model_only,
		"refused_flags", (json_int_t)f->allocs_refused_flags,
		"same_pfn", (json_int_t)f->same_pfn, "same_zone", (json_int_t)f->same_zone,
		"zone_known", (json_int_t)f->zone_known, "same_migratetype", (json_int_t)f->same_mt,
		"share_both_ok", share(f->both_ok, f->allocs - f->allocs_refused_flags),
		"share_same_pfn", share(f->same_pfn, f->both_ok),
		"share_same_zone", share(f->same_zone, f->zone_known),
		"share_same_migratetype", share(f->same_mt, f->both_ok),
		"kernel_fallbacks", (json_int_t)f->kernel_fallbacks,
		"model_fallbacks", (json_int_t)f->model_fallbacks,
		"both_fallback", (json_int_t)f->both_fallback,
		"same_fallback", (json_int_t)f->same_fallback,
		"share_same_fallback", share(f->same_fallback, f->both_ok),
		"page_frees", "total", (json_int_t)f->frees, "replayed", (json_int_t)f->frees_replayed,
		"allocated_before_trace", (json_int_t)f->frees_before_trace,
		"kmallocs", "total", (json_int_t)f->kmallocs, "ok", (json_int_t)f->kmallocs_ok,
		"failed", (json_int_t)f->kmallocs_failed, "same_bytes_alloc",
		(json_int_t)f->same_bytes_alloc, "share_same_bytes_alloc",
		share(f->same_bytes_alloc, f->kmallocs_ok),
		"kfrees", "total", (json_int_t)f->kfrees, "replayed", (json_int_t)f->kfrees_replayed,
		"allocated_before_trace", (json_int_t)f->kfrees_before_trace,
		"not_known",
		"the model starts with every frame free; the real machine's memory was mostly in use "
		"(page cache, other tasks), so the same pfn is rare and says how far the states differ.",
		"the free lists between the points of buddyinfo_distance: the real ones are known only "
		"where the bundle or the trace's trace_marker lines give a buddyinfo.");
}

static json_t *counts_json(const uint64_t *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

/* The model's free lists against the real machine's, at each point where those are known. */
static json_t *distance_json(const struct resim_figures *f)
{
	json_t *points = json_array();

	for (size_t k = 0; k < f->npoints; k++) {
		const struct resim_point *p = &f->points[k];
		json_t *zones = json_array();

		for (int i = 0; i < p->nz; i++) {
			const struct resim_bi_zone *z = &p->z[i];

			json_array_append_new(zones, json_pack("{s:i,s:s,s:o,s:o,s:o}",
				"node", z->node, "zone", z->name, "real", counts_json(z->real, z->orders),
				"sim", z->matched ? counts_json(z->sim, z->orders) : json_null(),
				"distance", z->matched ? json_real(z->distance) : json_null()));
		}
		json_array_append_new(points, json_pack("{s:I,s:I,s:s,s:f,s:f,s:o}",
			"seq", (json_int_t)p->seq, "ts_ns", (json_int_t)p->ts_ns, "source", p->source,
			"distance", p->distance, "change_distance", p->change_distance, "zones", zones));
	}
	return json_pack("{s:s,s:s,s:o}",
		"definition", "per point: sum over the zones both machines have and over orders of "
		"|nr_free_sim - nr_free_real|, divided by the sum of nr_free_sim + nr_free_real "
		"(free blocks, as /proc/buddyinfo counts them); 0 when the free lists are equal, 1 when "
		"no order has a free block in both",
		"change_definition", "the same of the changes since the first point: sum |(sim - "
		"sim_first) - (real - real_first)| / sum (|sim - sim_first| + |real - real_first|); 0 "
		"when the model's free lists moved as the kernel's did (and when neither moved)",
		"points", points);
}

void api_trace_resimulate(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	char *zi = NULL, *machine = NULL, *text;
	json_t *sum = id >= 0 ? trace_summary(srv, id, &zi) : NULL, *out;
	struct resim_zone zones[8];
	struct tzone tz[8];
	struct resim_figures f;
	struct resim_buddyinfo bi = { 0 };
	struct mm_error e = { 0 };
	sqlite3_stmt *st, *bst = NULL;
	int n = zi ? parse_zones(zi, tz, 8) : 0;

	if (id < 0)
		return;
	if (!sum) {
		json_t *info = session_info_json(srv, id);

		if (info)
			reply_error(rep, 409, "EINVAL", "session %lld is not a trace session: only a "
				    "real kernel's trace is re-simulated", (long long)id);
		else
			reply_error(rep, 404, "ENOENT", "no such session: %lld", (long long)id);
		json_decref(info);
		return;
	}
	for (int i = 0; i < n; i++) {
		memcpy(zones[i].name, tz[i].name, sizeof(zones[i].name));
		zones[i].name[sizeof(zones[i].name) - 1] = '\0';
		zones[i].start = tz[i].start;
		zones[i].end = tz[i].end;
	}
	if (sqlite3_prepare_v2(srv->db, "SELECT machine FROM sessions WHERE id = ?", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			machine = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(srv->db, "SELECT t.buddyinfo, t.buddyinfo_after, s.last_seq FROM "
			       "trace_sessions t JOIN sessions s ON s.id = t.session_id WHERE "
			       "t.session_id = ?", -1, &bst, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(bst, 1, id);
		if (sqlite3_step(bst) == SQLITE_ROW) {
			bi.before = (const char *)sqlite3_column_text(bst, 0);
			bi.after = (const char *)sqlite3_column_text(bst, 1);
			bi.last_seq = (uint64_t)sqlite3_column_int64(bst, 2);
		}
	}
	bi.first_ts = (uint64_t)json_integer_value(json_object_get(sum, "first_ts_ns"));
	bi.last_ts = (uint64_t)json_integer_value(json_object_get(sum, "last_ts_ns"));
	if (!machine || trace_resimulate(srv->db, id, machine, zones, n, &bi, &f, &e)) {
		reply_error(rep, e.err == -EINVAL ? 409 : 503, mm_errno_name(e.err ? e.err : -EIO),
			    "cannot build the trace's machine: %s", e.message);
	} else {
		out = figures_json(&f);
		json_object_set_new(out, "buddyinfo_distance", distance_json(&f));
		resim_figures_release(&f);
		json_object_set_new(out, "zones_from", json_string(n ? "zoneinfo" : "none: the zone "
								   "of a real pfn is not known"));
		text = json_dumps(out, JSON_COMPACT);
		if (text && sqlite3_prepare_v2(srv->db, "UPDATE trace_sessions SET resimulation = ? "
					       "WHERE session_id = ?", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, id);
			db_step_retry(st);
			sqlite3_finalize(st);
		}
		free(text);
		reply_json(rep, 200, out);
	}
	sqlite3_finalize(bst);
	json_decref(sum);
	free(zi);
	free(machine);
}

/* Events of a trace session (sorted by seq) gain ts_ns, task and pid. */
void api_trace_annotate(struct server *srv, int64_t id, json_t *events)
{
	size_t n = json_array_size(events), i = 0;
	sqlite3_stmt *st;

	if (!n || sqlite3_prepare_v2(srv->db, "SELECT seq, ts_ns, pid, task, line FROM trace_events "
				     "WHERE session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq", -1,
				     &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, json_integer_value(json_object_get(json_array_get(events, 0), "seq")));
	sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(json_array_get(events, n - 1),
								     "seq")));
	while (i < n && sqlite3_step(st) == SQLITE_ROW) {
		json_int_t seq = sqlite3_column_int64(st, 0);
		json_t *ev;

		while (i < n && json_integer_value(json_object_get(json_array_get(events, i), "seq")) < seq)
			i++;
		ev = json_array_get(events, i);
		if (!ev || json_integer_value(json_object_get(ev, "seq")) != seq)
			continue;
		json_object_set_new(ev, "ts_ns", json_integer(sqlite3_column_int64(st, 1)));
		json_object_set_new(ev, "pid", json_integer(sqlite3_column_int(st, 2)));
		json_object_set_new(ev, "task", json_string((const char *)sqlite3_column_text(st, 3)));
		json_object_set_new(ev, "line", json_integer(sqlite3_column_int64(st, 4)));
	}
	sqlite3_finalize(st);
}

/*** Activity: slab caches, kmalloc call sites, tasks, reclaim and compaction ***/

struct tally_ent {
	char *key;
	uint64_t count, bytes, frees;
};

struct tally {
	struct tally_ent *e;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct tally_ent *tally_get(struct tally *t, const char *key)
{
	size_t i;

	if ((t->n + 1) * 2 > t->cap) {
		struct tally old = *t;

		t->cap = t->cap ? t->cap * 2 : 256;
		t->e = calloc(t->cap, sizeof(*t->e));
		t->n = 0;
		if (!t->e) {
			*t = old;
			return NULL;
		}
		for (i = 0; i < old.cap; i++)
			if (old.e[i].key) {
				struct tally_ent *d = tally_get(t, old.e[i].key);

				free(d->key);
				*d = old.e[i];
			}
		free(old.e);
	}
	for (i = hash_str(key) & (t->cap - 1); t->e[i].key; i = (i + 1) & (t->cap - 1))
		if (!strcmp(t->e[i].key, key))
			return &t->e[i];
	t->e[i].key = strdup(key);
	t->n++;
	return t->e[i].key ? &t->e[i] : NULL;
}

static int by_bytes(const void *a, const void *b)
{
	const struct tally_ent *x = a, *y = b;

	return x->bytes != y->bytes ? (x->bytes < y->bytes ? 1 : -1)
	       : x->count != y->count ? (x->count < y->count ? 1 : -1) : 0;
}

static int by_count(const void *a, const void *b)
{
	const struct tally_ent *x = a, *y = b;

	return x->count != y->count ? (x->count < y->count ? 1 : -1) : by_bytes(a, b);
}

/* The @top first entries of @t by @cmp, as JSON, and @t emptied. */
static json_t *tally_json(struct tally *t, int (*cmp)(const void *, const void *), size_t top,
			  const char *key_name)
{
	json_t *arr = json_array();
	size_t n = 0;

	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].key)
			t->e[n++] = t->e[i];
	if (n)
		qsort(t->e, n, sizeof(*t->e), cmp);
	for (size_t i = 0; i < n; i++) {
		if (i < top)
			json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:I}", key_name, t->e[i].key,
							     "count", (json_int_t)t->e[i].count,
							     "bytes", (json_int_t)t->e[i].bytes,
							     "frees", (json_int_t)t->e[i].frees));
		free(t->e[i].key);
	}
	free(t->e);
	memset(t, 0, sizeof(*t));
	return arr;
}

/* KEY's value in an imported detail ("call_site=... name=..."), into @buf. */
static const char *detail_key(const char *detail, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = detail; p && *p; p = strchr(p, ' '), p = p ? p + 1 : p)
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			snprintf(buf, size, "%.*s", (int)strcspn(p + klen + 1, " "), p + klen + 1);
			return buf;
		}
	return NULL;
}

static bool is_pressure(const char *type)
{
	return type && (!strncmp(type, "mm_vmscan_", 10) || !strncmp(type, "mm_compaction_", 14) ||
			!strcmp(type, "mark_victim") || !strncmp(type, "mm_migrate_pages", 16));
}

/* An imported event's fields as the kernel printed them, from the columns of @st's row. */
static const char *fields_text(sqlite3_stmt *st, const char *name, int type, char *buf, size_t size)
{
	const struct ftrace_tp *tp = ftrace_tp_by_name(name, strlen(name));
	struct ftrace_out o = { 0 };
	FILE *f;

	if (!tp)
		return NULL;
	row_event(st, &o);
	o.ev.type = type;
	o.trace = true;
	f = fmemopen(buf, size, "w");
	if (!f)
		return NULL;
	ftrace_write_fields(f, tp, &o);
	fclose(f);
	buf[size - 1] = '\0';
	return buf;
}

/* GET .../trace/activity?at=SEQ */
void api_trace_activity(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	json_t *sum = id >= 0 ? trace_summary(srv, id, NULL) : NULL, *pressure;
	struct tally caches = { 0 }, sites = { 0 }, sites2 = { 0 }, tasks = { 0 };
	sqlite3_stmt *st;
	uint64_t at, npressure = 0;
	char buf[160];

	if (id < 0)
		return;
	if (!sum) {
		reply_error(rep, 404, "ENOENT", "session %lld is not a trace session", (long long)id);
		return;
	}
	json_decref(sum);
	if (!at_of(req, rep, &at))
		return;
	pressure = json_array();
	/* export_sql's columns (row_event()), then the line's time and task */
	if (sqlite3_prepare_v2(srv->db, "SELECT e.seq, e.op_no, e.type, e.cpu, e.node, e.zone, "
			       "e.\"order\", e.migratetype, e.level, e.gfp, e.pfn, e.vaddr, e.paddr, e.size, "
			       "e.value, e.detail, NULL, t.ts_ns, t.task FROM events e JOIN trace_events t "
			       "ON t.session_id = e.session_id AND t.seq = e.seq WHERE e.session_id = ? "
			       "AND e.seq <= ? ORDER BY e.seq", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (int64_t)at);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int type = sqlite3_column_int(st, 2);
			const char *name = ftrace_event_type_name(type);
			const char *detail = (const char *)sqlite3_column_text(st, 15);
			uint64_t size = (uint64_t)sqlite3_column_int64(st, 14);	/* bytes_alloc */
			struct tally_ent *te;

			if ((type == MM_EV_kmem_cache_alloc || type == MM_EV_kmem_cache_free) &&
			    detail_key(detail, "name", buf, sizeof(buf)) && (te = tally_get(&caches, buf))) {
				te->count += type == MM_EV_kmem_cache_alloc;
				te->frees += type == MM_EV_kmem_cache_free;
				te->bytes += type == MM_EV_kmem_cache_alloc ? size : 0;
			}
			if (type == MM_EV_kmalloc && detail_key(detail, "call_site", buf, sizeof(buf)) &&
			    (te = tally_get(&sites, buf))) {
				te->count++;
				te->bytes += size;
				if ((te = tally_get(&sites2, buf))) {
					te->count++;
					te->bytes += size;
				}
			}
			if ((type == MM_EV_mm_page_alloc || type == MM_EV_mm_page_free) &&
			    sqlite3_column_type(st, 10) != SQLITE_NULL &&
			    (te = tally_get(&tasks, (const char *)sqlite3_column_text(st, 18)))) {
				uint64_t bytes = 4096ULL << (sqlite3_column_int(st, 6) & 15);

				te->count += type == MM_EV_mm_page_alloc;
				te->bytes += type == MM_EV_mm_page_alloc ? bytes : 0;
				te->frees += type == MM_EV_mm_page_free;
			}
			if (is_pressure(name) && npressure++ < 2000)
				json_array_append_new(pressure, json_pack("{s:I,s:I,s:s,s:s?,s:s?,s:I,s:I,s:i}",
					"seq", (json_int_t)sqlite3_column_int64(st, 0),
					"ts_ns", (json_int_t)sqlite3_column_int64(st, 17), "type", name,
					"detail", detail, "fields", fields_text(st, name, type, buf, sizeof(buf)),
					"size", (json_int_t)sqlite3_column_int64(st, 13),
					"value", (json_int_t)sqlite3_column_int64(st, 14),
					"priority", sqlite3_column_type(st, 8) == SQLITE_NULL ? -1
						    : sqlite3_column_int(st, 8)));
		}
		sqlite3_finalize(st);
	}
	reply_json(rep, 200, json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:s}", "seq", (json_int_t)at,
		"slab_caches", tally_json(&caches, by_count, 50, "cache"),
		"kmalloc_sites_by_bytes", tally_json(&sites, by_bytes, 20, "call_site"),
		"kmalloc_sites_by_count", tally_json(&sites2, by_count, 20, "call_site"),
		"tasks", tally_json(&tasks, by_bytes, 30, "task"),
		"pressure", pressure, "pressure_events", (json_int_t)npressure,
		"note", "Counted from the trace's events: kmem_cache_alloc/free by the cache's name, "
		"kmalloc by call site (bytes_alloc), page allocations by task (pages of each order); "
		"objects and pages allocated before the trace are not known."));
}

/* GET .../pages/{pfn} of a trace session: the last page event of the trace that covers @pfn. */
bool api_trace_page(struct server *srv, struct http_request *req, struct http_reply *rep,
		    uint64_t pfn)
{
	int64_t id = api_session_id(req, rep);
	json_t *sum = id >= 0 ? trace_summary(srv, id, NULL) : NULL, *page;
	sqlite3_stmt *st;
	uint64_t at;
	char gfp[256];

	if (!sum)
		return false;
	json_decref(sum);
	if (!at_of(req, rep, &at))
		return true;
	page = json_pack("{s:I,s:s}", "pfn", (json_int_t)pfn, "trace", "not in the trace");
	if (sqlite3_prepare_v2(srv->db, "SELECT e.seq, e.type, e.pfn, coalesce(e.\"order\", 0), "
			       "e.migratetype, coalesce(e.gfp, 0), t.task, t.pid, t.ts_ns FROM events e "
			       "JOIN trace_events t ON t.session_id = e.session_id AND t.seq = e.seq "
			       "WHERE e.session_id = ?1 AND e.seq <= ?2 AND e.type IN (?3, ?4) "
			       "AND e.pfn <= ?5 AND e.pfn + (1 << coalesce(e.\"order\", 0)) > ?5 "
			       "ORDER BY e.seq DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (int64_t)at);
		sqlite3_bind_int(st, 3, MM_EV_mm_page_alloc);
		sqlite3_bind_int(st, 4, MM_EV_mm_page_free);
		sqlite3_bind_int64(st, 5, (int64_t)pfn);
		if (sqlite3_step(st) == SQLITE_ROW) {
			bool alloc = sqlite3_column_int(st, 1) == MM_EV_mm_page_alloc;

			gfp_format((gfp_t)sqlite3_column_int64(st, 5), gfp, sizeof(gfp));
			json_object_set_new(page, "trace", json_string(alloc ? "allocated" : "freed"));
			json_object_set_new(page, "seq", json_integer(sqlite3_column_int64(st, 0)));
			json_object_set_new(page, "block_pfn", json_integer(sqlite3_column_int64(st, 2)));
			json_object_set_new(page, "order", json_integer(sqlite3_column_int(st, 3)));
			if (sqlite3_column_type(st, 4) != SQLITE_NULL)
				json_object_set_new(page, "migratetype",
						    json_string(migratetype_name(sqlite3_column_int(st, 4))));
			if (alloc)
				json_object_set_new(page, "gfp_flags", json_string(gfp));
			json_object_set_new(page, "task", json_string((const char *)sqlite3_column_text(st, 6)));
			json_object_set_new(page, "pid", json_integer(sqlite3_column_int(st, 7)));
			json_object_set_new(page, "ts_ns", json_integer(sqlite3_column_int64(st, 8)));
		}
		sqlite3_finalize(st);
	}
	json_object_set_new(page, "note", json_string(
		"From the trace's mm_page_alloc and mm_page_free events only: the kernel's struct page "
		"(flags, refcount, mapping) is not in a trace."));
	reply_json(rep, 200, page);
	return true;
}

/*
 * GET .../zones of a trace session: only where the zones lie (its zoneinfo),
 * so that the physical map can mark them; their counters are not in a trace.
 */
bool api_trace_zones(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	char *zi = NULL;
	json_t *sum = id >= 0 ? trace_summary(srv, id, &zi) : NULL, *zones;
	struct tzone z[8];
	int n;

	if (!sum)
		return false;
	n = zi ? parse_zones(zi, z, 8) : 0;
	zones = json_array();
	for (int i = 0; i < n; i++)
		if (z[i].end > z[i].start)
			json_array_append_new(zones, json_pack("{s:s,s:i,s:I,s:I}", "name", z[i].name,
				"node", 0, "start_pfn", (json_int_t)z[i].start,
				"spanned", (json_int_t)(z[i].end - z[i].start)));
	reply_json(rep, 200, json_pack("{s:O,s:b,s:i,s:o,s:s}", "seq", json_object_get(sum, "events"),
				       "trace", 1, "nodes", 1, "zones", zones, "note",
				       n ? "where the zones lie, from the zoneinfo taken before the trace; "
				       "their counters are not in a trace (GET .../trace)"
				       : "the trace came without a zoneinfo: its zones are not known"));
	json_decref(sum);
	free(zi);
	return true;
}

/*
 * Markers of a trace session's timeline: the OOM killer's victims, the
 * compaction runs' ends and the starts of direct and memcg reclaim (at most
 * 200, the first ones), as the tracepoints name them.
 */
void api_trace_markers(struct server *srv, int64_t id, json_t *markers)
{
	static const char *const names[] = { "mark_victim", "mm_compaction_end",
					      "mm_vmscan_direct_reclaim_begin",
					      "mm_vmscan_memcg_reclaim_begin" };
	json_t *sum = trace_summary(srv, id, NULL);
	sqlite3_stmt *st;
	int types[4];

	if (!sum)
		return;
	json_decref(sum);
	for (int i = 0; i < 4; i++)
		types[i] = ftrace_event_type_from_name(names[i]);
	/* the blocks that hold them (event_keys), then the events in those blocks */
	if (sqlite3_prepare_v2(srv->db, "SELECT e.seq, e.type, e.detail FROM (SELECT DISTINCT block "
			       "FROM event_keys WHERE session_id = ?1 AND kind = 0 AND key IN "
			       "(?2, ?3, ?4, ?5)) b CROSS JOIN events e ON e.session_id = ?1 AND "
			       "e.seq BETWEEN b.block << 10 AND (b.block << 10) + 1023 "
			       "WHERE e.type IN (?2, ?3, ?4, ?5) ORDER BY e.seq LIMIT 200", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, id);
	for (int i = 0; i < 4; i++)
		sqlite3_bind_int(st, 2 + i, types[i] ? types[i] : -1);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(markers, json_pack("{s:I,s:s,s:s?}",
			"seq", (json_int_t)sqlite3_column_int64(st, 0),
			"type", ftrace_event_type_name(sqlite3_column_int(st, 1)),
			"detail", (const char *)sqlite3_column_text(st, 2)));
	sqlite3_finalize(st);
}
