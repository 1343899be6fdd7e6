/*
 * api_oom.c - the OOM killer's views: /proc/PID/oom_score and oom_score_adj
 * (fs/proc/base.c), the kernel log of its reports (dmesg), and the
 * OOM fields of the processes view.
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
}
