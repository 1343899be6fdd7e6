/*
 * ops_oom.c - the ops of the OOM killer and of memory cgroups: a process's
 * oom_score_adj (as writing /proc/PID/oom_score_adj sets it), a memory
 * cgroup made with its memory.max (mkdir, then a write to memory.max), a
 * process moved into one (a write to cgroup.procs), and spawn's options for
 * both.
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

/* "memcg": a group's name, "/" for the root; it must exist (ENOENT). */
static int op_field_memcg(struct op_ctx *c, const char *key, bool required, uint32_t *id)
{
	const char *name;

	if (op_field_str(c, key, required, "/", &name))
		return c->e.err;
	if (mm_memcg_lookup(c->m, name, id))
		return mm_error_set(&c->e, -ENOENT, "no memory cgroup \"%s\"", name);
	return 0;
}

int op_spawn_check_options(struct op_ctx *c)
{
	long long adj;
	bool present;
	uint32_t id;

	if (op_field_int(c, "oom_score_adj", OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX, 0, &adj,
			 &present))
		return c->e.err;
	return op_field_memcg(c, "memcg", false, &id);
}

int op_spawn_options(struct op_ctx *c, int pid)
{
	const char *memcg;
	long long adj;
	bool present;

	if (op_field_int(c, "oom_score_adj", OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX, 0, &adj,
			 &present) || op_field_str(c, "memcg", false, "/", &memcg))
		return c->e.err;
	if (present && mm_set_oom_score_adj(c->m, pid, (int)adj, &c->e))
		return c->e.err;
	return mm_memcg_attach(c->m, pid, memcg, &c->e);
}

/*
 * "max": memory.max in bytes, rounded down to pages as page_counter_memparse()
 * does, or "max" for no limit (the default).
 */
static int op_field_memory_max(struct op_ctx *c, uint64_t *pages)
{
	json_t *v = json_object_get(c->op, "max");

	*pages = UINT64_MAX;
	if (!v || (json_is_string(v) && !strcmp(json_string_value(v), "max")))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return op_bad(c, "max must be a number of bytes or \"max\"");
	*pages = (uint64_t)json_integer_value(v) / 4096;
	return 0;
}

static int op_memcg_create(struct op_ctx *c)
{
	const char *name;
	uint64_t max;
	uint32_t id;

	if (op_field_str(c, "name", true, NULL, &name) || op_field_memory_max(c, &max))
		return c->e.err;
	if (mm_memcg_create(c->m, name, max, &id, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:i,s:s}", "ok", 1, "id", (int)id, "name", name);
	return 0;
}

static int op_memcg_attach(struct op_ctx *c)
{
	const char *memcg;
	int pid = 0;

	if (op_field_process(c, "pid", &pid) || op_field_str(c, "memcg", true, NULL, &memcg))
		return c->e.err;
	return mm_memcg_attach(c->m, pid, memcg, &c->e);
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
static const char *const memcg_create_fields[] = { "name", "max", NULL };
static const char *const memcg_attach_fields[] = { "pid", "memcg", NULL };

const struct op_def oom_ops[] = {
	{ "set_oom_score_adj", set_oom_score_adj_fields, op_set_oom_score_adj },
	{ "memcg_create", memcg_create_fields, op_memcg_create },
	{ "memcg_attach", memcg_attach_fields, op_memcg_attach },
	{ NULL, NULL, NULL },
};
