/*
 * ops.c - one JSON op -> one engine call -> one JSON result.
 *
 * Each op names its fields; a missing, mistyped, out-of-range or unknown field
 * is an EINVAL result that leaves the machine untouched. What the simulated
 * kernel refuses (ENOMEM, EFAULT, ...) is the op's result too, not an HTTP
 * error: it is the behaviour a learner came to see.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ops.h"

int op_bad(struct op_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->e.message, sizeof(c->e.message), fmt, ap);
	va_end(ap);
	c->e.err = -EINVAL;
	return -EINVAL;
}

int op_field_u64(struct op_ctx *c, const char *key, bool required, uint64_t def,
		     uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(c->op, key);

	if (!v) {
		if (required)
			return op_bad(c, "%s is required", key);
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return op_bad(c, "%s must be a non-negative integer", key);
	if ((uint64_t)json_integer_value(v) > max)
		return op_bad(c, "%s must be 0..%" PRIu64 " (got %" JSON_INTEGER_FORMAT ")", key,
			   max, json_integer_value(v));
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int op_field_str(struct op_ctx *c, const char *key, bool required, const char *def,
		     const char **out)
{
	json_t *v = json_object_get(c->op, key);

	if (!v) {
		if (required)
			return op_bad(c, "%s is required", key);
		*out = def;
		return 0;
	}
	if (!json_is_string(v))
		return op_bad(c, "%s must be a string", key);
	*out = json_string_value(v);
	return 0;
}

int op_field_addr(struct op_ctx *c, const char *key, bool required, uint64_t def,
		  uint64_t *out)
{
	json_t *v = json_object_get(c->op, key);
	const char *text;
	char *end;

	if (!v) {
		if (required)
			return op_bad(c, "%s is required", key);
		*out = def;
		return 0;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	text = json_string_value(v);
	if (!text || strncmp(text, "0x", 2) != 0 || !text[2])
		return op_bad(c, "%s must be an address as a hex string (\"0xffff888000100000\")", key);
	errno = 0;
	*out = strtoull(text + 2, &end, 16);
	if (*end || errno)
		return op_bad(c, "%s: \"%s\" is not a 64-bit hex address", key, text);
	return 0;
}

int op_field_cpu(struct op_ctx *c, uint64_t *cpu)
{
	return op_field_u64(c, "cpu", false, 0, machine_nr_cpus(c->m) - 1, cpu);
}

/*** Buddy allocator ***/

/*
 * What the kernel would do with a request the engine refused (slowpath.c):
 * "slowpath" the steps by kernel name, "kernel_fails" whether the kernel could
 * return NULL, "would" the same for a person.
 */
void slowpath_json_add(json_t *result, const struct mm_slowpath *sp)
{
	json_t *steps = json_array();

	for (unsigned int i = 0; i < sp->nr_steps; i++)
		json_array_append_new(steps, json_string(mm_slowpath_step_name(sp->steps[i])));
	json_object_set_new(result, "slowpath", steps);
	json_object_set_new(result, "kernel_fails", json_boolean(sp->kernel_fails));
	json_object_set_new(result, "would", json_string(sp->message));
}

static int op_alloc_pages(struct op_ctx *c)
{
	const struct machine_config *cfg = machine_get_config(c->m);
	struct alloc_pages_result res;
	struct mm_slowpath sp;
	const char *gfp_text = NULL;
	uint64_t order, cpu, node;
	gfp_t gfp;
	int err;

	if (op_field_str(c, "gfp", false, "GFP_KERNEL", &gfp_text) ||
	    op_field_u64(c, "order", false, 0, cfg->max_order, &order) ||
	    op_field_cpu(c, &cpu) ||
	    op_field_u64(c, "node", false, UINT64_MAX, machine_nr_nodes(c->m) - 1, &node))
		return c->e.err;
	if (json_object_get(c->op, "node") == NULL)
		node = UINT64_MAX;
	err = gfp_parse(gfp_text, &gfp, &c->e);
	if (err)
		return err;
	err = mm_alloc_pages_sp(c->m, gfp, (unsigned int)order,
				node == UINT64_MAX ? -1 : (int)node, (int)cpu, &res, &c->e, &sp);
	if (err == -ENOMEM) {
		c->result = json_pack("{s:b,s:s,s:s}", "ok", 0, "errno", "ENOMEM",
				      "message", c->e.message);
		slowpath_json_add(c->result, &sp);
		return 0;
	}
	if (err)
		return err;
	/* Built field by field: json_pack() reads its format and checks each
	 * string's UTF-8 again for every op of a batch, a third of this op's
	 * cost; the names are the engine's own ASCII. */
	c->result = json_object();
	json_object_set_new_nocheck(c->result, "ok", json_true());
	json_object_set_new_nocheck(c->result, "pfn", json_integer((json_int_t)res.pfn));
	json_object_set_new_nocheck(c->result, "order", json_integer(res.order));
	json_object_set_new_nocheck(c->result, "zone", json_string_nocheck(zone_type_name(res.zone)));
	json_object_set_new_nocheck(c->result, "node", json_integer(res.node));
	json_object_set_new_nocheck(c->result, "migratetype",
				    json_string_nocheck(migratetype_name(res.migratetype)));
	return 0;
}

static int op_free_pages(struct op_ctx *c)
{
	uint64_t pfn, order, cpu;

	if (op_field_u64(c, "pfn", true, 0, UINT32_MAX, &pfn) ||
	    op_field_u64(c, "order", false, 0, machine_get_config(c->m)->max_order, &order) ||
	    op_field_cpu(c, &cpu))
		return c->e.err;
	return mm_free_pages(c->m, pfn, (unsigned int)order, (int)cpu, &c->e);
}

/* vmstat_update: the kernel's once-a-second per-CPU work, which decays pcp->high. */
static int op_vmstat_update(struct op_ctx *c)
{
	uint64_t cpu;
	bool requeue;
	int err;

	if (op_field_cpu(c, &cpu))
		return c->e.err;
	err = mm_vmstat_update(c->m, (int)cpu, &requeue, &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:b}", "ok", 1, "requeue", requeue);
	return 0;
}

/*
 * idle: @ms milliseconds pass with no op running; the kernel's timed work
 * (kcompactd's proactive check) runs when due. The result has the clock.
 */
static int op_idle(struct op_ctx *c)
{
	uint64_t ms;
	int err;

	if (op_field_u64(c, "ms", true, 0, UINT32_MAX, &ms))
		return c->e.err;
	err = mm_idle(c->m, ms, &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:I}", "ok", 1, "jiffies",
			      (json_int_t)machine_jiffies(c->m));
	return 0;
}

static void collect_violation(void *ctx, const char *violation)
{
	json_array_append_new(ctx, json_string(violation));
}

static int op_check(struct op_ctx *c)
{
	json_t *violations = json_array();
	unsigned long n = machine_check(c->m, collect_violation, violations);

	if (!n) {
		json_decref(violations);
		return 0;
	}
	c->result = json_pack("{s:b,s:s,s:s,s:o}", "ok", 0, "errno", "EUCLEAN",
			      "message", "the machine's invariants are broken",
			      "violations", violations);
	return 0;
}

static const char *const alloc_pages_fields[] = { "gfp", "order", "node", "cpu", NULL };
static const char *const free_pages_fields[] = { "pfn", "order", "cpu", NULL };
static const char *const no_fields[] = { NULL };
static const char *const cpu_only_fields[] = { "cpu", NULL };
static const char *const idle_fields[] = { "ms", NULL };

static const struct op_def buddy_ops[] = {
	{ "alloc_pages", alloc_pages_fields, op_alloc_pages },
	{ "free_pages", free_pages_fields, op_free_pages },
	{ "check", no_fields, op_check },
	{ "vmstat_update", cpu_only_fields, op_vmstat_update },
	{ "idle", idle_fields, op_idle },
	{ NULL, NULL, NULL },
};

/* Every op, by family; each family's table ends with a NULL name. */
static const struct op_def *const op_tables[] = {
	buddy_ops,
	workload_ops,
	slab_ops,
	mmu_ops,
	pagecache_ops,
	oom_ops,
	compaction_ops,
};

int op_validate_shape(json_t *op, char *err, size_t errlen)
{
	if (!json_is_object(op)) {
		snprintf(err, errlen, "each op must be a JSON object");
		return -EINVAL;
	}
	if (!json_is_string(json_object_get(op, "op"))) {
		snprintf(err, errlen, "each op needs a string field \"op\"");
		return -EINVAL;
	}
	return 0;
}

static const struct op_def *find_op(const char *name)
{
	for (size_t t = 0; t < sizeof(op_tables) / sizeof(op_tables[0]); t++)
		for (const struct op_def *d = op_tables[t]; d->name; d++)
			if (strcmp(d->name, name) == 0)
				return d;
	return NULL;
}

/* Refuse fields the op does not know: a typo must not pass silently. */
static int check_fields(struct op_ctx *c, const struct op_def *def)
{
	const char *key;
	json_t *v;

	json_object_foreach(c->op, key, v) {
		bool known = strcmp(key, "op") == 0;

		for (const char *const *f = def->fields; *f && !known; f++)
			known = strcmp(key, *f) == 0;
		if (!known)
			return op_bad(c, "unknown field \"%s\" for %s", key, def->name);
	}
	return 0;
}

json_t *op_apply(struct machine *m, json_t *op)
{
	struct op_ctx c = { .m = m, .op = op };
	const struct op_def *def;
	const char *name = json_string_value(json_object_get(op, "op"));
	int err;

	def = name ? find_op(name) : NULL;
	if (!def)
		err = op_bad(&c, "unknown op \"%s\"", name ? name : "");
	else
		err = check_fields(&c, def);
	if (!err)
		err = def->fn(&c);
	mm_exit_killed(m);	/* the OOM killer's victims exit on their way back to user space */
	if (def)
		mm_kswapd_run(m);	/* the op is over: a woken kswapd runs now (vmscan.c) */
	if (err) {
		json_decref(c.result);
		return json_pack("{s:b,s:s,s:s}", "ok", 0, "errno", mm_errno_name(err),
				 "message", c.e.message[0] ? c.e.message : "failed");
	}
	if (!c.result) {
		c.result = json_object();
		json_object_set_new_nocheck(c.result, "ok", json_true());
	}
	return c.result;
}

/*
 * "$N.field" in an op stands for field of the result of op N of the same
 * batch (counted from 0), so that a list of ops can use an address it
 * allocated: {"op":"kfree","addr":"$0.addr"}. The op is recorded with the
 * value in place, so replay needs no references.
 */
json_t *op_resolve_refs(json_t *op, json_t *results)
{
	json_t *copy = NULL, *v;
	const char *key;

	json_object_foreach(op, key, v) {
		const char *text = json_string_value(v), *dot;
		char *end;
		unsigned long n;
		json_t *res, *val;

		if (!text || text[0] != '$' || !(dot = strchr(text, '.')))
			continue;
		n = strtoul(text + 1, &end, 10);
		if (end != dot || end == text + 1)
			continue;
		res = json_array_get(results, n);
		val = res ? json_object_get(res, dot + 1) : NULL;
		if (!val)
			continue;	/* left as it is: the op reports the bad field */
		if (!copy)
			copy = json_deep_copy(op);
		json_object_set(copy, key, val);
	}
	return copy ? copy : json_incref(op);
}
