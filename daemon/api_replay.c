/*
 * api_replay.c - the stored side of a session: events, timeline, verify,
 * fork, export and import.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/ftrace.h"
#include "daemon/db.h"
#include "daemon/log.h"
#include "daemon/recorder.h"
#include "daemon/replay.h"
#include "daemon/server.h"
#include "daemon/session.h"

#define EVENTS_MAX_LIMIT	10000
#define TIMELINE_MAX_OPS	100000

/* Does session @id exist (live or stored)? Sets a 404 reply when not. */
static bool session_exists(struct server *srv, int64_t id, struct http_reply *rep)
{
	json_t *info = session_info_json(srv, id);

	if (!info) {
		reply_error(rep, 404, "ENOENT", "no such session: %lld", (long long)id);
		return false;
	}
	json_decref(info);
	return true;
}

static json_t *hex(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)v);
	return json_string(buf);
}

/* One stored event row as JSON: names for types, hex strings for addresses. */
static json_t *event_row_json(sqlite3_stmt *st)
{
	static const char *const names[] = { "seq", "op", "type", "cpu", "node", "zone", "order",
					     "migratetype", "level", "gfp", "pfn", "vaddr",
					     "paddr", "size", "value", "detail" };
	json_t *ev = json_object();

	for (int i = 0; i < 16; i++) {
		int64_t v = sqlite3_column_int64(st, i);

		if (sqlite3_column_type(st, i) == SQLITE_NULL)
			continue;
		if (i == 2)
			json_object_set_new(ev, "type", json_string(ftrace_event_type_name((int)v)));
		else if (i == 5)
			json_object_set_new(ev, "zone", json_string(zone_type_name((int)v)));
		else if (i == 7)
			json_object_set_new(ev, "migratetype", json_string(migratetype_name((int)v)));
		else if (i == 9 || i == 11 || i == 12 ||
			 (i == 14 && (v > INT64_C(1) << 53 || v < -(INT64_C(1) << 53))))
			json_object_set_new(ev, names[i], hex(v));	/* a double would round it */
		else if (i == 15)
			json_object_set_new(ev, "detail",
					    json_string((const char *)sqlite3_column_text(st, i)));
		else
			json_object_set_new(ev, names[i], json_integer(v));
	}
	return ev;
}

static bool query_uint(struct http_request *req, struct http_reply *rep, const char *name,
		       uint64_t def, uint64_t max, uint64_t *out)
{
	const char *v = http_query(req, name);
	char *end;

	*out = def;
	if (!v)
		return true;
	*out = strtoull(v, &end, 10);
	if (!*v || *end || v[0] == '-' || *out > max) {
		reply_error(rep, 400, "EINVAL", "%s must be an integer 0..%" PRIu64, name, max);
		return false;
	}
	return true;
}

void api_session_events(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	const char *type = http_query(req, "type"), *vaddr_text = http_query(req, "vaddr");
	uint64_t since, limit, pfn, vaddr = 0, last = 0;
	int type_id = MM_EV_NONE, key_kind = -1;
	int64_t key = 0;
	char sql[512], *end;
	json_t *events;
	sqlite3_stmt *st;

	if (id < 0 || !query_uint(req, rep, "since", 0, INT64_MAX, &since) ||
	    !query_uint(req, rep, "limit", 1000, EVENTS_MAX_LIMIT, &limit) ||
	    !query_uint(req, rep, "pfn", UINT64_MAX, INT64_MAX, &pfn) ||
	    !session_exists(srv, id, rep))
		return;
	if (type) {
		type_id = ftrace_event_type_from_name(type);
		if (type_id == MM_EV_NONE) {
			reply_error(rep, 400, "EINVAL", "unknown event type \"%s\"", type);
			return;
		}
	}
	if (vaddr_text) {
		vaddr = strncmp(vaddr_text, "0x", 2) == 0 ? strtoull(vaddr_text + 2, &end, 16) : 0;
		if (strncmp(vaddr_text, "0x", 2) != 0 || !vaddr_text[2] || *end) {
			reply_error(rep, 400, "EINVAL", "vaddr must be a hex address (\"0xffff888000100000\")");
			return;
		}
	}
	/*
	 * Filtered, the events are read from the blocks listed under the most
	 * selective key asked for (db.h): the page, else the address, else the
	 * type; unfiltered, by seq.
	 */
	if (pfn != UINT64_MAX) {
		key_kind = EVENT_KEY_PFN;
		key = event_key_pfn(pfn);
	} else if (vaddr_text) {
		key_kind = EVENT_KEY_VADDR;
		key = event_key_vaddr(vaddr);
	} else if (type) {
		key_kind = EVENT_KEY_TYPE;
		key = type_id;
	}
	snprintf(sql, sizeof(sql),
		 "SELECT e.seq, op_no, type, cpu, node, zone, \"order\", migratetype, level, gfp, "
		 "pfn, vaddr, paddr, size, value, detail FROM %s "
		 "WHERE %s AND e.seq > ?2%s%s%s ORDER BY %s LIMIT ?4",
		 key_kind < 0 ? "events e" : EVENTS_BY_KEY_FROM,
		 key_kind < 0 ? "e.session_id = ?1" :
		 "k.session_id = ?1 AND k.kind = ?7 AND k.key = ?8 AND k.block >= ?2 >> 10",
		 type ? " AND type = ?3" : "", pfn != UINT64_MAX ? " AND pfn = ?5" : "",
		 vaddr_text ? " AND vaddr = ?6" : "", key_kind < 0 ? "e.seq" : "k.block, e.seq");
	recorder_sync(srv->rec);
	if (sqlite3_prepare_v2(srv->db, sql, -1, &st, NULL) != SQLITE_OK) {
		reply_error(rep, 503, "EIO", "cannot read events: %s", sqlite3_errmsg(srv->db));
		return;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)since);
	sqlite3_bind_int(st, 3, type_id);
	sqlite3_bind_int64(st, 4, (int64_t)limit);
	sqlite3_bind_int64(st, 5, (int64_t)pfn);
	sqlite3_bind_int64(st, 6, (int64_t)vaddr);
	sqlite3_bind_int(st, 7, key_kind);
	sqlite3_bind_int64(st, 8, key);
	events = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		last = (uint64_t)sqlite3_column_int64(st, 0);
		json_array_append_new(events, event_row_json(st));
	}
	sqlite3_finalize(st);
	api_trace_annotate(srv, id, events);	/* a trace's time, task and pid */
	reply_json(rep, 200, json_pack("{s:o,s:I}", "events", events,
				       "next_since", (json_int_t)(last ? last : since)));
}

void api_session_timeline(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	json_t *ops, *markers, *info;
	sqlite3_stmt *st;
	uint64_t boot_last = 0;

	if (id < 0)
		return;
	info = session_info_json(srv, id);
	if (!info) {
		reply_error(rep, 404, "ENOENT", "no such session: %lld", (long long)id);
		return;
	}
	recorder_sync(srv->rec);
	ops = json_array();
	if (sqlite3_prepare_v2(srv->db, "SELECT op_no, first_seq, last_seq, "
			       "json_extract(op, '$.op'), op FROM ops WHERE session_id = ? "
			       "ORDER BY op_no LIMIT ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, TIMELINE_MAX_OPS);
		while (sqlite3_step(st) == SQLITE_ROW) {
			json_t *o = json_pack("{s:I,s:s?,s:o?}", "op_no",
					      (json_int_t)sqlite3_column_int64(st, 0),
					      "op", (const char *)sqlite3_column_text(st, 3),
					      "args", json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL));

			if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
				json_object_set_new(o, "first_seq", json_integer(sqlite3_column_int64(st, 1)));
				json_object_set_new(o, "last_seq", sqlite3_column_type(st, 2) == SQLITE_NULL
						    ? json_null() : json_integer(sqlite3_column_int64(st, 2)));
			}
			json_array_append_new(ops, o);
		}
		sqlite3_finalize(st);
	}
	markers = json_array();
	/* The blocks that hold any of the marker types (db.h), then their markers. */
	if (sqlite3_prepare_v2(srv->db, "SELECT e.seq, type, detail FROM (SELECT DISTINCT block "
			       "FROM event_keys WHERE session_id = ?1 AND kind = 0 AND key IN "
			       "(?2, ?3, ?4, ?5, ?6)) b CROSS JOIN events e ON e.session_id = ?1 AND "
			       "e.seq BETWEEN b.block << 10 AND (b.block << 10) + 1023 "
			       "WHERE type IN (?2, ?3, ?4, ?5, ?6) ORDER BY e.seq LIMIT 1000", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, MM_EV_alloc_fail);
		sqlite3_bind_int(st, 3, MM_EV_watermark_breach);
		sqlite3_bind_int(st, 4, MM_EV_triple_fault);
		sqlite3_bind_int(st, 5, MM_EV_page_fault);
		sqlite3_bind_int(st, 6, MM_EV_boot_stage);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(markers, json_pack("{s:I,s:s,s:s?}",
				"seq", (json_int_t)sqlite3_column_int64(st, 0),
				"type", ftrace_event_type_name(sqlite3_column_int(st, 1)),
				"detail", (const char *)sqlite3_column_text(st, 2)));
		sqlite3_finalize(st);
	}
	api_trace_markers(srv, id, markers);	/* a trace's OOM kills, compaction runs */
	/* The machine's own boot events come before the first op's events. */
	if (sqlite3_prepare_v2(srv->db, "SELECT max(seq) FROM events WHERE session_id = ?1 AND "
			       "seq < coalesce((SELECT min(first_seq) FROM ops WHERE session_id = ?1 "
			       "AND first_seq IS NOT NULL), 9223372036854775807)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			boot_last = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	reply_json(rep, 200, json_pack("{s:I,s:I,s:O,s:I,s:o,s:o}",
				       "first_seq", (json_int_t)(json_integer_value(json_object_get(info, "last_seq")) ? 1 : 0),
				       "last_seq", json_integer_value(json_object_get(info, "last_seq")),
				       "state", json_object_get(info, "state"),
				       "boot_last_seq", (json_int_t)boot_last,
				       "ops", ops, "markers", markers));
	json_decref(info);
}

void api_session_verify(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	struct mm_error e = { 0 };
	json_t *report;

	if (id < 0 || !session_exists(srv, id, rep) || api_trace_refuse(srv, id, rep))
		return;
	report = replay_verify(srv, id, &e);
	if (!report) {
		reply_error(rep, 503, mm_errno_name(e.err), "cannot verify: %s", e.message);
		return;
	}
	reply_json(rep, 200, report);
}

/* The stored ops of @id that end at or before @at, as an array. */
static json_t *ops_until(struct server *srv, int64_t id, uint64_t at, uint64_t *last_seq)
{
	json_t *ops = json_array();
	sqlite3_stmt *st;

	*last_seq = 0;
	if (sqlite3_prepare_v2(srv->db, "SELECT op, last_seq FROM ops WHERE session_id = ? "
			       "ORDER BY op_no", -1, &st, NULL) != SQLITE_OK) {
		json_decref(ops);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		bool has_events = sqlite3_column_type(st, 1) != SQLITE_NULL;
		uint64_t end = (uint64_t)sqlite3_column_int64(st, 1);

		if (has_events && end > at)
			break;
		json_array_append_new(ops, json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL));
		if (has_events)
			*last_seq = end;
	}
	sqlite3_finalize(st);
	return ops;
}

void api_session_fork(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	json_t *body, *info, *ops = NULL, *machine, *res;
	struct mm_error e = { 0 };
	const char *name = NULL, *key;
	json_t *v;
	uint64_t at, last_seq, parent_last;
	struct session *s;
	unsigned int status;
	char fork_name[SESSION_NAME_MAX];

	if (id < 0 || api_trace_refuse_change(srv, id, "a fork", rep))
		return;
	body = api_body_json(req, rep);
	if (!body)
		return;
	info = session_info_json(srv, id);
	if (!info) {
		reply_error(rep, 404, "ENOENT", "no such session: %lld", (long long)id);
		goto out;
	}
	json_object_foreach(body, key, v)
		if (strcmp(key, "at") && strcmp(key, "name")) {
			reply_error(rep, 400, "EINVAL", "unknown field \"%s\" (fields: at, name)", key);
			goto out;
		}
	parent_last = (uint64_t)json_integer_value(json_object_get(info, "last_seq"));
	v = json_object_get(body, "at");
	if (!v)
		at = parent_last;
	else if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		 (uint64_t)json_integer_value(v) > parent_last) {
		reply_error(rep, 400, "EINVAL", "at must be a seq 0..%llu", (unsigned long long)parent_last);
		goto out;
	} else
		at = (uint64_t)json_integer_value(v);
	v = json_object_get(body, "name");
	if (v && (!json_is_string(v) || !json_string_length(v) ||
		  json_string_length(v) >= SESSION_NAME_MAX)) {
		reply_error(rep, 400, "EINVAL", "name must be a string of 1..%d characters",
			    SESSION_NAME_MAX - 1);
		goto out;
	}
	name = v ? json_string_value(v) : NULL;
	if (!name) {
		snprintf(fork_name, sizeof(fork_name), "%.40s@%llu",
			 json_string_value(json_object_get(info, "name")), (unsigned long long)at);
		name = fork_name;
	}
	recorder_sync(srv->rec);
	ops = ops_until(srv, id, at, &last_seq);
	machine = json_object_get(info, "machine");
	if (!ops || !json_is_object(machine)) {
		reply_error(rep, 503, "EIO", "cannot read session %lld", (long long)id);
		goto out;
	}
	s = session_create(srv, name, machine, &e, &status);
	if (!s) {
		reply_error(rep, status, mm_errno_name(e.err), "%s", e.message);
		goto out;
	}
	res = session_apply(s, ops);
	json_decref(res);
	session_set_parent(srv, s, id, at);
	reply_json(rep, 201, json_pack("{s:I,s:s,s:I,s:I,s:I,s:I}", "id", (json_int_t)s->id,
				       "name", s->name, "parent", (json_int_t)id,
				       "at", (json_int_t)s->last_seq, "requested_at", (json_int_t)at,
				       "ops", (json_int_t)json_array_size(ops)));
	session_put(s);
out:
	json_decref(ops);
	json_decref(info);
	json_decref(body);
}

/*** Export and import: one session as a standalone SQLite file ***/

static const char sqlite_magic[16] = "SQLite format 3";

/* A second connection to the daemon's database, for ATTACH work. */
static sqlite3 *open_side(struct server *srv)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(srv->opt.db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	return db;
}

static int exec_id(sqlite3 *db, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* One JSON string value: @s escaped, quotes included. */
static void put_json_string(FILE *f, const char *s)
{
	json_t *v = json_string(s ? s : "");
	char *text = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

	fputs(text ? text : "\"\"", f);
	free(text);
	json_decref(v);
}

/*
 * The session's events as Chrome trace-event JSON (the format of
 * chrome://tracing and Perfetto's UI): one instant event per event, on a
 * track per CPU (track 0 for events of no CPU), the seq as the timestamp in
 * microseconds, each op a complete event spanning its seqs.
 */
static void export_chrome(struct server *srv, int64_t id, struct http_reply *rep)
{
	static const char *const cols[] = { NULL, NULL, NULL, "cpu", "node", "zone", "order",
					    "migratetype", "level", "gfp", "pfn", "vaddr", "paddr",
					    "size", "value", "detail" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	sqlite3_stmt *st;
	bool first = true;

	if (!f) {
		reply_error(rep, 503, "ENOMEM", "out of memory");
		return;
	}
	recorder_sync(srv->rec);
	fprintf(f, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"session\":%lld,"
		"\"timestamps\":\"event seq\"},\"traceEvents\":[", (long long)id);
	if (sqlite3_prepare_v2(srv->db, "SELECT op_no, first_seq, last_seq, json_extract(op, '$.op') "
			       "FROM ops WHERE session_id = ? AND first_seq IS NOT NULL ORDER BY op_no",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int64_t a = sqlite3_column_int64(st, 1);
			int64_t b = sqlite3_column_type(st, 2) == SQLITE_NULL ? a : sqlite3_column_int64(st, 2);

			fprintf(f, "%s{\"name\":", first ? "" : ",");
			put_json_string(f, (const char *)sqlite3_column_text(st, 3));
			fprintf(f, ",\"cat\":\"op\",\"ph\":\"X\",\"ts\":%lld,\"dur\":%lld,\"pid\":%lld,"
				"\"tid\":\"ops\",\"args\":{\"op\":%lld}}", (long long)a,
				(long long)(b - a + 1), (long long)id, (long long)sqlite3_column_int64(st, 0));
			first = false;
		}
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(srv->db, "SELECT seq, op_no, type, cpu, node, zone, \"order\", "
			       "migratetype, level, gfp, pfn, vaddr, paddr, size, value, detail "
			       "FROM events WHERE session_id = ? ORDER BY seq", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int cpu = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 3);

			fprintf(f, "%s{\"name\":\"%s\",\"cat\":\"mm\",\"ph\":\"i\",\"s\":\"t\","
				"\"ts\":%lld,\"pid\":%lld,\"tid\":\"cpu %d\",\"args\":{\"seq\":%lld,"
				"\"op\":%lld", first ? "" : ",", mm_event_type_name(sqlite3_column_int(st, 2)),
				(long long)sqlite3_column_int64(st, 0), (long long)id, cpu,
				(long long)sqlite3_column_int64(st, 0), (long long)sqlite3_column_int64(st, 1));
			first = false;
			for (int i = 3; i < 16; i++) {
				if (sqlite3_column_type(st, i) == SQLITE_NULL)
					continue;
				fprintf(f, ",\"%s\":", cols[i]);
				if (i == 15)
					put_json_string(f, (const char *)sqlite3_column_text(st, i));
				else if (i == 11 || i == 12 || i == 9)
					fprintf(f, "\"0x%llx\"", (unsigned long long)sqlite3_column_int64(st, i));
				else
					fprintf(f, "%lld", (long long)sqlite3_column_int64(st, i));
			}
			fputs("}}", f);
		}
		sqlite3_finalize(st);
	}
	fputs("]}\n", f);
	if (fclose(f)) {
		free(buf);
		reply_error(rep, 503, "ENOMEM", "out of memory");
		return;
	}
	reply_take(rep, 200, "application/json", buf, len);
}

void api_session_export(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	char path[] = "/tmp/mmlab-export-XXXXXX", err[256], attach[4200];
	sqlite3 *out = NULL;
	struct stat st;
	int fd;

	if (id < 0 || !session_exists(srv, id, rep))
		return;
	if (http_query(req, "format") && strcmp(http_query(req, "format"), "chrome") == 0) {
		export_chrome(srv, id, rep);
		return;
	}
	if (http_query(req, "format") && strcmp(http_query(req, "format"), "ftrace") == 0) {
		api_trace_export(srv, id, rep);
		return;
	}
	if (http_query(req, "format") && strcmp(http_query(req, "format"), "sqlite") != 0) {
		reply_error(rep, 400, "EINVAL", "format must be sqlite (the default), chrome or ftrace");
		return;
	}
	recorder_sync(srv->rec);
	fd = mkstemp(path);
	if (fd < 0) {
		reply_error(rep, 503, "EIO", "cannot create a temporary file");
		return;
	}
	close(fd);
	unlink(path);
	out = db_open(path, err, sizeof(err));
	if (!out)
		goto fail;
	snprintf(attach, sizeof(attach), "ATTACH DATABASE '%s' AS src",
		 srv->opt.db_path);	/* our own path: no quote in it (checked at start) */
	if (sqlite3_exec(out, attach, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(out, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    exec_id(out, "INSERT INTO sessions SELECT id, name, created, machine, engine_version, "
		    "seed, CASE state WHEN 'live' THEN 'closed' ELSE state END, last_seq, last_op, "
		    "NULL, NULL FROM src.sessions WHERE id = ?1", id, 0) ||
	    exec_id(out, "INSERT INTO ops SELECT * FROM src.ops WHERE session_id = ?1", id, 0) ||
	    exec_id(out, "INSERT INTO events SELECT * FROM src.events WHERE session_id = ?1", id, 0) ||
	    exec_id(out, "INSERT INTO event_keys SELECT * FROM src.event_keys WHERE session_id = ?1",
		    id, 0) ||
	    exec_id(out, "INSERT INTO scenario_runs SELECT * FROM src.scenario_runs WHERE session_id = ?1",
		    id, 0) ||
	    exec_id(out, "INSERT INTO snapshots SELECT * FROM src.snapshots WHERE session_id = ?1",
		    id, 0) ||
	    sqlite3_exec(out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(out, "DETACH DATABASE src", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_exec(out, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	db_close(out);
	out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		reply_error(rep, 503, "EIO", "cannot read the exported file");
		return;
	}
	rep->status = 200;
	rep->content_type = "application/vnd.sqlite3";
	rep->fd = fd;
	rep->fd_size = (uint64_t)st.st_size;
	return;
fail:
	reply_error(rep, 503, "EIO", "export failed: %s", out ? sqlite3_errmsg(out) : err);
	if (out)
		sqlite3_close(out);
	unlink(path);
}

/*
 * Session @old of the attached "imp" database as a new session of main, with
 * the next id of this daemon's range (session.h); its id, or -1.
 */
static int64_t import_session_row(struct server *srv, sqlite3 *db, int64_t old)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO main.sessions (id, name, created, machine, "
			       "engine_version, seed, state, last_seq, last_op) SELECT "
			       SESSION_NEXT_ID_SQL ", name, created, machine, engine_version, seed, "
			       "CASE state WHEN 'live' THEN 'closed' ELSE state END, last_seq, last_op "
			       "FROM imp.sessions WHERE id = :old", -1, &st, NULL) != SQLITE_OK)
		return -1;
	session_bind_id_base(st, srv);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":old"), old);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && sqlite3_changes(db) == 1 ? sqlite3_last_insert_rowid(db) : -1;
}

/*
 * Copy every session of the attached "imp" database into main, with its op
 * log, events, scenario runs and replay snapshots (a seek into it starts
 * near its target at once); ids into @ids.
 */
static int import_sessions(struct server *srv, sqlite3 *db, json_t *ids, char *err,
			   size_t errlen)
{
	sqlite3_stmt *list;
	int rc = 0;

	if (sqlite3_prepare_v2(db, "SELECT id FROM imp.sessions ORDER BY id", -1, &list, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	while (!rc && sqlite3_step(list) == SQLITE_ROW) {
		int64_t old = sqlite3_column_int64(list, 0), new_id = import_session_row(srv, db, old);

		rc = new_id < 0;
		rc = rc || exec_id(db, "INSERT INTO main.ops SELECT ?2, op_no, first_seq, last_seq, op "
				   "FROM imp.ops WHERE session_id = ?1", old, new_id);
		rc = rc || exec_id(db, "INSERT INTO main.events SELECT ?2, seq, op_no, type, cpu, node, "
				   "zone, \"order\", migratetype, level, gfp, pfn, vaddr, paddr, size, "
				   "value, detail FROM imp.events WHERE session_id = ?1", old, new_id);
		rc = rc || exec_id(db, "INSERT INTO main.event_keys SELECT ?2, kind, key, block "
				   "FROM imp.event_keys WHERE session_id = ?1", old, new_id);
		rc = rc || exec_id(db, "INSERT INTO main.scenario_runs SELECT ?2, run_no, name, "
				   "first_seq, last_seq, figure FROM imp.scenario_runs "
				   "WHERE session_id = ?1", old, new_id);
		rc = rc || exec_id(db, "INSERT INTO main.snapshots SELECT ?2, seq, op_no, state "
				   "FROM imp.snapshots WHERE session_id = ?1", old, new_id);
		if (!rc)
			json_array_append_new(ids, json_integer(new_id));
	}
	if (rc)
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(list);
	return rc;
}

void api_sessions_import(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	char path[] = "/tmp/mmlab-import-XXXXXX", err[512], attach[128];
	sqlite3 *check = NULL, *db = NULL;
	json_t *ids = NULL;
	int fd;

	if (!req->body || req->body_len < 100 || memcmp(req->body, sqlite_magic, 16) != 0) {
		reply_error(rep, 400, "EINVAL", "the body must be a SQLite file exported by mmlabd");
		return;
	}
	fd = mkstemp(path);
	if (fd < 0 || write(fd, req->body, req->body_len) != (ssize_t)req->body_len) {
		if (fd >= 0)
			close(fd);
		unlink(path);
		reply_error(rep, 503, "EIO", "cannot store the upload");
		return;
	}
	close(fd);
	/* Bring the file to our schema (it may be older) and make sure it is sound. */
	if (sqlite3_open_v2(path, &check, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    db_migrate(check, schema_migrations, schema_nr_migrations, err, sizeof(err))) {
		reply_error(rep, 400, "EINVAL", "not an mmlab session file: %s",
			    check ? (err[0] ? err : sqlite3_errmsg(check)) : "cannot open");
		goto out;
	}
	{
		sqlite3_stmt *st;
		const char *res = NULL;

		if (sqlite3_prepare_v2(check, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			res = (const char *)sqlite3_column_text(st, 0);
		if (!res || strcmp(res, "ok") != 0) {
			reply_error(rep, 400, "EINVAL", "the file is damaged: %s", res ? res : "unreadable");
			sqlite3_finalize(st);
			goto out;
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(check);
	check = NULL;
	db = open_side(srv);
	snprintf(attach, sizeof(attach), "ATTACH DATABASE '%s' AS imp", path);
	ids = json_array();
	if (!db || sqlite3_exec(db, attach, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		reply_error(rep, 503, "EIO", "cannot import: %s", db ? sqlite3_errmsg(db) : "no database");
		goto out;
	}
	if (import_sessions(srv, db, ids, err, sizeof(err))) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		reply_error(rep, 400, "EINVAL", "cannot import: %s", err);
		goto out;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		reply_error(rep, 503, "EIO", "cannot import: %s", sqlite3_errmsg(db));
		goto out;
	}
	log_info("imported %zu session(s)", json_array_size(ids));
	reply_json(rep, 201, json_pack("{s:O}", "ids", ids));
out:
	json_decref(ids);
	if (check)
		sqlite3_close(check);
	if (db) {
		sqlite3_exec(db, "DETACH DATABASE imp", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	unlink(path);
}

/* GET /api/v1/event-types: every event type the engine reports, by family. */
void api_event_types(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	static const struct {
		const char *family;
		int first, last;
	} families[] = {
		{ "cpu", MM_EV_cpu_mode, MM_EV_triple_fault },
		{ "boot", MM_EV_memblock_reserve, MM_EV_zone_online },
		{ "buddy", MM_EV_mm_page_alloc, MM_EV_watermark_breach },
		{ "slab", MM_EV_kmalloc, MM_EV_cache_destroy },
		{ "vmalloc", MM_EV_vmap_area_alloc, MM_EV_vmap_page },
		{ "page tables", MM_EV_pgtable_alloc, MM_EV_pte_clear },
		{ "mmu", MM_EV_translate, MM_EV_page_fault },
		{ "address helpers", MM_EV_virt_to_phys, MM_EV_dma_map },
		{ "processes", MM_EV_process_spawn, MM_EV_brk },
		{ "boot", MM_EV_boot_stage, MM_EV_memblock_alloc },
		{ "address helpers", MM_EV_swiotlb_bounced, MM_EV_dma_unmap },
		{ "kernel", MM_EV_oops, MM_EV_oops },
		{ "vmalloc", MM_EV_free_vmap_area_noflush, MM_EV_purge_vmap_area_lazy },
		{ "page cache", MM_EV_mm_filemap_add_to_page_cache, MM_EV_mm_filemap_fault },
		{ "lru", MM_EV_mm_lru_insertion, MM_EV_mm_lru_activate },
		{ "writeback", MM_EV_writeback_dirty_folio, MM_EV_global_dirty_state },
		{ "page cache", MM_EV_file_create, MM_EV_drop_caches },
		{ "processes", MM_EV_task_newtask, MM_EV_wp_page_reuse },
		{ "oom", MM_EV_mark_victim, MM_EV_finish_task_reaping },
		{ "memcg", MM_EV_mm_vmscan_memcg_reclaim_begin, MM_EV_mm_vmscan_memcg_reclaim_end },
	};
	json_t *types = json_array();

	(void)srv;
	(void)req;
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (int t = families[f].first; t <= families[f].last; t++)
			json_array_append_new(types, json_pack("{s:i,s:s,s:s}", "id", t,
							       "name", mm_event_type_name(t),
							       "family", families[f].family));
	/* tracepoints of imported traces that the engine does not have */
	for (int t = FTRACE_TYPE_BASE; ftrace_event_type_name(t); t++)
		json_array_append_new(types, json_pack("{s:i,s:s,s:s}", "id", t,
						       "name", ftrace_event_type_name(t),
						       "family", "trace"));
	reply_json(rep, 200, json_pack("{s:o}", "event_types", types));
}
