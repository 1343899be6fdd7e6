/*
 * api_sessions.c - /api/v1/sessions: list, create, show, stop, and ops.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/ops.h"
#include "daemon/ops_batch.h"
#include "daemon/recorder.h"
#include "daemon/server.h"
#include "daemon/session.h"

int64_t api_session_id(struct http_request *req, struct http_reply *rep)
{
	const char *text = req->params[0];
	char *end;
	long long id;

	id = strtoll(text, &end, 10);
	if (*end || id <= 0 || text[0] == '+' || text[0] == ' ') {
		reply_error(rep, 404, "ENOENT", "no such session: %s", text);
		return -1;
	}
	return id;
}

void api_sessions_list(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	json_t *list = sessions_list_json(srv);

	(void)req;
	if (!list) {
		reply_error(rep, 503, "EIO", "cannot read the session catalog");
		return;
	}
	reply_json(rep, 200, list);
}

/*
 * The sessions of every daemon of the site, by daemon. A daemon alone
 * answers with its own list; behind nginx, the proxy answers this route
 * itself, from each daemon's GET /api/v1/sessions (docs/deploy.md), so that
 * a dashboard sees the whole site's sessions whichever daemon serves it.
 */
void api_site_sessions(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	json_t *list = sessions_list_json(srv);

	(void)req;
	if (!list) {
		reply_error(rep, 503, "EIO", "cannot read the session catalog");
		return;
	}
	reply_json(rep, 200, json_pack("{s:[o]}", "daemons", list));
}

void api_sessions_create(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	json_t *body = api_body_json(req, rep), *machine, *name_v;
	struct mm_error e = { 0 };
	struct session *s;
	unsigned int status;
	const char *name = "unnamed", *key;
	json_t *v;

	if (!body)
		return;
	if (!json_is_object(body)) {
		reply_error(rep, 400, "EINVAL", "the body must be a JSON object");
		goto out;
	}
	json_object_foreach(body, key, v) {
		if (strcmp(key, "name") && strcmp(key, "machine")) {
			reply_error(rep, 400, "EINVAL", "unknown field \"%s\" (fields: name, machine)", key);
			goto out;
		}
	}
	name_v = json_object_get(body, "name");
	if (name_v) {
		name = json_string_value(name_v);
		if (!name || !*name || strlen(name) >= SESSION_NAME_MAX) {
			reply_error(rep, 400, "EINVAL", "name must be a string of 1..%d characters",
				    SESSION_NAME_MAX - 1);
			goto out;
		}
	}
	machine = json_object_get(body, "machine");
	if (machine && !json_is_object(machine)) {
		reply_error(rep, 400, "EINVAL", "machine must be an object of machine keys");
		goto out;
	}
	s = session_create(srv, name, machine, &e, &status);
	if (!s) {
		reply_error(rep, status, mm_errno_name(e.err), "%s", e.message);
		goto out;
	}
	reply_json(rep, 201, json_pack("{s:I,s:s,s:I}", "id", (json_int_t)s->id, "name", s->name,
				       "last_seq", (json_int_t)s->last_seq));
	session_put(s);
out:
	json_decref(body);
}

void api_session_get(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	json_t *info;

	if (id < 0)
		return;
	info = session_info_json(srv, id);
	if (!info) {
		reply_error(rep, 404, "ENOENT", "no such session: %lld", (long long)id);
		return;
	}
	reply_json(rep, 200, info);
}

void api_session_delete(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	json_t *info;

	if (id < 0)
		return;
	if (session_stop(srv, id) == 0) {
		reply_json(rep, 200, session_info_json(srv, id));
		return;
	}
	info = session_info_json(srv, id);
	if (!info) {
		reply_error(rep, 404, "ENOENT", "no such session: %lld", (long long)id);
		return;
	}
	json_decref(info);
	reply_error(rep, 409, "ENOTLIVE", "session %lld is not live", (long long)id);
}

/*
 * The live session @id for an op batch, with a reference; NULL with the
 * reply set when there is none or when recording is failing.
 */
static struct session *ops_session(struct server *srv, int64_t id, struct http_reply *rep)
{
	struct recorder_stats st;
	struct mm_error e = { 0 };
	struct session *s = session_get_ex(srv, id, &e);

	if (!s && e.err) {
		reply_error(rep, e.err == -EBUSY ? 429 : 503, mm_errno_name(e.err),
			    "cannot wake session %lld: %s", (long long)id, e.message);
		return NULL;
	}
	if (!s) {
		json_t *info = session_info_json(srv, id);

		if (info && api_trace_refuse_change(srv, id, "an op", rep))
			;	/* a trace session: said so */
		else if (info)
			reply_error(rep, 409, "ENOTLIVE",
				    "session %lld is not live: fork it to continue from any point",
				    (long long)id);
		else
			reply_error(rep, 404, "ENOENT", "no such session: %lld", (long long)id);
		json_decref(info);
		return NULL;
	}
	recorder_get_stats(srv->rec, &st);
	if (st.failed) {
		reply_error(rep, 503, "EIO", "recording is failing (%s): ops are refused until "
			    "the database accepts writes again; nothing recorded is lost", st.error);
		session_put(s);
		return NULL;
	}
	return s;
}

/*
 * A batch in the common shape (ops_batch.h): each op built just before it
 * runs and freed after, recorded as the text it came in (compacted), its
 * result written out at once. Results are kept as objects only when an op
 * of the batch refers to an earlier one ("$N.field").
 */
static void apply_scanned(struct session *s, const struct ops_batch *ops, struct http_reply *rep)
{
	struct json_text out = { 0 };
	struct session_batch b;
	json_t *results = ops->refs ? json_array() : NULL, *prev = NULL;
	size_t prev_i = 0;

	/* About a hundred bytes a result: no copy as the reply grows. */
	json_text_reserve(&out, 128 + 112 * ops->nr);
	json_text_puts(&out, "{\"results\":[");
	session_batch_begin(s, &b);
	for (size_t i = 0; i < ops->nr; i++) {
		const char *text = ops_batch_text(ops, i);
		json_t *op, *res;

		/* An op the same as the one before (a batch of allocations) is the
		 * same object: ops only read theirs. */
		if (prev && ops->ops[i].text_len == ops->ops[prev_i].text_len &&
		    memcmp(text, ops_batch_text(ops, prev_i), ops->ops[i].text_len) == 0) {
			op = json_incref(prev);
		} else {
			op = ops_batch_op(ops, i);
			json_decref(prev);
			prev = ops->ops[i].refs ? NULL : json_incref(op);
			prev_i = i;
		}
		if (op && ops->ops[i].refs) {
			json_t *resolved = op_resolve_refs(op, results);

			if (resolved != op)
				text = NULL;	/* recorded with the values in place */
			json_decref(op);
			op = resolved;
		}
		res = op ? session_batch_op(s, &b, op, text)
			 : json_pack("{s:b,s:s,s:s}", "ok", 0, "errno", "ENOMEM",
				     "message", "out of memory");
		json_decref(op);
		if (i)
			json_text_puts(&out, ",");
		json_text_value(&out, res);
		if (results)
			json_array_append_new(results, res);
		else
			json_decref(res);
	}
	session_batch_end(s, &b);
	json_decref(prev);
	json_decref(results);
	json_text_puts(&out, "],\"first_seq\":");
	json_text_int(&out, (int64_t)b.first_seq);
	json_text_puts(&out, ",\"last_seq\":");
	json_text_int(&out, (int64_t)b.last_seq);
	json_text_puts(&out, "}");
	if (out.failed) {
		free(out.s);
		reply_error(rep, 500, "ENOMEM", "out of memory writing the results (the ops were "
			    "applied: events %llu..%llu)", (unsigned long long)b.first_seq,
			    (unsigned long long)b.last_seq);
		return;
	}
	reply_take(rep, 200, "application/json", out.s, out.len);
}

void api_session_ops(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	json_t *body, *ops, *op;
	struct ops_batch scanned;
	struct session *s;
	char err[256];
	size_t i;

	if (id < 0 || !api_body_is_json(req, rep))
		return;
	if (req->body && ops_batch_scan(req->body, req->body_len, &scanned) == 0) {
		s = ops_session(srv, id, rep);
		if (s) {
			apply_scanned(s, &scanned, rep);
			session_put(s);
		}
		ops_batch_release(&scanned);
		return;
	}
	body = api_body_json(req, rep);
	if (!body)
		return;
	if (json_is_object(body)) {
		ops = json_array();
		json_array_append(ops, body);
	} else if (json_is_array(body)) {
		ops = json_incref(body);
	} else {
		reply_error(rep, 400, "EINVAL", "the body must be an op object or an array of them");
		goto out_body;
	}
	if (json_array_size(ops) > OPS_MAX_PER_REQUEST) {
		reply_error(rep, 413, "E2BIG", "at most %d ops per request (got %zu)",
			    OPS_MAX_PER_REQUEST, json_array_size(ops));
		goto out;
	}
	json_array_foreach(ops, i, op) {
		if (op_validate_shape(op, err, sizeof(err))) {
			reply_error(rep, 400, "EINVAL", "op %zu: %s", i, err);
			goto out;
		}
	}
	s = ops_session(srv, id, rep);
	if (!s)
		goto out;
	reply_json(rep, 200, session_apply(s, ops));
	session_put(s);
out:
	json_decref(ops);
out_body:
	json_decref(body);
}

/* The live session @id's reply after a change: 404 unknown, 409 not live. */
static void reply_live(struct server *srv, int64_t id, int err, struct http_reply *rep)
{
	json_t *info = session_info_json(srv, id);

	if (!err && info) {
		reply_json(rep, 200, info);
		return;
	}
	if (!info)
		reply_error(rep, 404, "ENOENT", "no such session: %lld", (long long)id);
	else
		reply_error(rep, 409, "ENOTLIVE", "session %lld is not live", (long long)id);
	json_decref(info);
}

/* POST/DELETE /api/v1/sessions/{id}/pin: never hibernate it, or again. */
void api_session_pin(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);

	if (id < 0)
		return;
	reply_live(srv, id, session_set_pinned(srv, id, strcmp(req->method, "DELETE") != 0), rep);
}

/* POST /api/v1/sessions/{id}/hibernate: out of memory now, until its next request. */
void api_session_hibernate(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t id = api_session_id(req, rep);
	struct mm_error e = { 0 };
	int err;

	if (id < 0)
		return;
	err = session_hibernate(srv, id, &e);
	if (err == -EBUSY) {
		reply_error(rep, 409, "EBUSY", "%s", e.message);
		return;
	}
	if (err && err != -ENOENT) {
		reply_error(rep, 503, mm_errno_name(err), "cannot hibernate: %s", e.message);
		return;
	}
	reply_live(srv, id, err, rep);
}
