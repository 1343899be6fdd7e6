/*
 * api_oom.c - the OOM killer's views: /proc/PID/oom_score and oom_score_adj
 * (fs/proc/base.c), the kernel log of its reports (dmesg), and the
 * OOM fields of the processes view; the memory cgroups: all of them as
 * JSON, and each group's cgroup v2 files as the kernel prints them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/server.h"

/* The {pid} of .../proc/{pid}/...: a positive integer, or false with a 400. */
static bool path_pid(struct http_request *req, struct http_reply *rep, int *pid)
{
	const char *text = req->params[1];
	char *end;
	long v = strtol(text, &end, 10);

	if (!*text || *end || v < 1 || v > INT32_MAX) {
		reply_error(rep, 400, "EINVAL", "pid must be a process id, not \"%s\"", text);
		return false;
	}
	*pid = (int)v;
	return true;
}

static void pid_text(struct server *srv, struct http_request *req, struct http_reply *rep,
		     char *(*render)(const struct machine *, int))
{
	struct view v;
	char *text;
	int pid;

	if (!path_pid(req, rep, &pid) || !view_begin(srv, req, rep, &v))
		return;
	text = render(v.m, pid);
	if (text)
		reply_take(rep, 200, "text/plain; charset=utf-8", text, strlen(text));
	else
		reply_error(rep, 404, "ENOENT", "no process with pid %d", pid);
	view_end(&v);
}

void api_proc_pid_oom_score(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	pid_text(srv, req, rep, proc_pid_oom_score);
}

void api_proc_pid_oom_score_adj(struct server *srv, struct http_request *req,
				struct http_reply *rep)
{
	pid_text(srv, req, rep, proc_pid_oom_score_adj);
}

void api_dmesg(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct view v;
	char *text;

	if (!view_begin(srv, req, rep, &v))
		return;
	text = oom_dmesg(v.m);
	if (text)
		reply_take(rep, 200, "text/plain; charset=utf-8", text, strlen(text));
	else
		reply_error(rep, 503, "ENOMEM", "out of memory");
	view_end(&v);
}

void api_process_oom_fields(const struct machine *m, int pid, json_t *process)
{
	struct mm_oom_info oi;

	if (mm_oom_info(m, pid, &oi))
		return;
	json_object_set_new(process, "oom_score", json_integer((json_int_t)oi.oom_score));
	json_object_set_new(process, "oom_score_adj", json_integer(oi.oom_score_adj));
	json_object_set_new(process, "memcg", json_string(oi.memcg));
}

static json_t *memcg_json(const struct mm_memcg_info *mi)
{
	static const char *const events[] = { "low", "high", "max", "oom", "oom_kill",
					      "oom_group_kill", "sock_throttled" };
	static const char *const lists[] = { "inactive_anon", "active_anon", "inactive_file",
					     "active_file", "unevictable" };
	json_t *ev = json_object(), *lru = json_object();

	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		json_object_set_new(ev, events[i], json_integer((json_int_t)mi->events[i]));
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		json_object_set_new(lru, lists[i], json_integer((json_int_t)mi->lru[i]));
	return json_pack("{s:i,s:s,s:I,s:o,s:I,s:I,s:I,s:I,s:o,s:o,s:i}", "id", (int)mi->id,
			 "name", mi->name, "current", (json_int_t)mi->current,
			 "max", mi->max ? json_integer((json_int_t)mi->max) : json_string("max"),
			 "peak", (json_int_t)mi->peak, "failcnt", (json_int_t)mi->failcnt,
			 "anon", (json_int_t)mi->anon, "file", (json_int_t)mi->file,
			 "events", ev, "lru", lru, "nr_procs", (int)mi->nr_procs);
}

void api_view_memcgs(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct mm_memcg_info mi;
	struct view v;
	json_t *groups;

	if (!view_begin(srv, req, rep, &v))
		return;
	groups = json_array();
	for (unsigned int i = 0; mm_memcg_info(v.m, i, &mi) == 0; i++)
		json_array_append_new(groups, memcg_json(&mi));
	reply_json(rep, 200, json_pack("{s:I,s:I,s:o}", "seq", (json_int_t)v.seq,
				       "oom_kill", (json_int_t)mm_oom_kill_count(v.m),
				       "memcgs", groups));
	view_end(&v);
}

void api_memcg_file(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	const char *name = req->params[1], *file = req->params[2];
	struct view v;
	char *text;

	if (!view_begin(srv, req, rep, &v))
		return;
	text = memcg_file_text(v.m, name, file);
	if (text)
		reply_take(rep, 200, "text/plain; charset=utf-8", text, strlen(text));
	else
		reply_error(rep, 404, "ENOENT", "no memory cgroup \"%s\" with a file \"%s\" "
			    "(memory.current, memory.max, memory.peak, memory.events, "
			    "memory.stat, cgroup.procs)", name, file);
	view_end(&v);
}
