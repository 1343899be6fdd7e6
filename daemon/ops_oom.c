/*
 * ops_oom.c - the ops of the OOM killer: a process's oom_score_adj (as
 * writing /proc/PID/oom_score_adj sets it), and spawn's options for it.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "daemon/ops.h"

/* An integer field within [min, max]; absent: @def (and *present false). */
static int op_field_int(struct op_ctx *c, const char *key, long long min, long long max,
			long long def, long long *out, bool *present)
{
	json_t *v = json_object_get(c->op, key);

	*present = v != NULL;
	*out = def;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return op_bad(c, "%s must be an integer %lld..%lld", key, min, max);
	*out = json_integer_value(v);
	return 0;
}

/* A process id: a positive integer. */
static int op_field_process(struct op_ctx *c, const char *key, int *pid)
{
	json_t *v = json_object_get(c->op, key);

	if (!v)
		return op_bad(c, "%s is required", key);
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > INT32_MAX)
		return op_bad(c, "%s must be a process id (a positive integer)", key);
	*pid = (int)json_integer_value(v);
	return 0;
}

int op_spawn_check_options(struct op_ctx *c)
{
	long long adj;
	bool present;

	return op_field_int(c, "oom_score_adj", OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX, 0, &adj,
			    &present);
}

int op_spawn_options(struct op_ctx *c, int pid)
{
	long long adj;
	bool present;

	if (op_field_int(c, "oom_score_adj", OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX, 0, &adj,
			 &present))
		return c->e.err;
	if (present)
		return mm_set_oom_score_adj(c->m, pid, (int)adj, &c->e);
	return 0;
}

static int op_set_oom_score_adj(struct op_ctx *c)
{
	long long adj;
	bool present;
	int pid = 0;

	if (op_field_process(c, "pid", &pid) ||
	    op_field_int(c, "oom_score_adj", OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX, 0, &adj,
			 &present))
		return c->e.err;
	if (!present)
		return op_bad(c, "oom_score_adj is required");
	return mm_set_oom_score_adj(c->m, pid, (int)adj, &c->e);
}

static const char *const set_oom_score_adj_fields[] = { "pid", "oom_score_adj", NULL };

const struct op_def oom_ops[] = {
	{ "set_oom_score_adj", set_oom_score_adj_fields, op_set_oom_score_adj },
	{ NULL, NULL, NULL },
};
