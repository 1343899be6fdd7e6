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

struct op_ctx {
	struct machine *m;
	json_t *op;
	json_t *result;		/* set by the handler: the ok result */
	struct mm_error e;
};

typedef int (*op_fn)(struct op_ctx *c);

struct op_def {
	const char *name;
	const char *const *fields;	/* allowed fields besides "op" */
	op_fn fn;
};

static int bad(struct op_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct op_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->e.message, sizeof(c->e.message), fmt, ap);
	va_end(ap);
	c->e.err = -EINVAL;
	return -EINVAL;
}

/* An unsigned integer field; @def when absent and not @required. */
static int field_u64(struct op_ctx *c, const char *key, bool required, uint64_t def,
		     uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(c->op, key);

	if (!v) {
		if (required)
			return bad(c, "%s is required", key);
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(c, "%s must be a non-negative integer", key);
	if ((uint64_t)json_integer_value(v) > max)
		return bad(c, "%s must be 0..%" PRIu64 " (got %" JSON_INTEGER_FORMAT ")", key,
			   max, json_integer_value(v));
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int field_str(struct op_ctx *c, const char *key, bool required, const char *def,
		     const char **out)
{
	json_t *v = json_object_get(c->op, key);

	if (!v) {
		if (required)
			return bad(c, "%s is required", key);
		*out = def;
		return 0;
	}
	if (!json_is_string(v))
		return bad(c, "%s must be a string", key);
	*out = json_string_value(v);
	return 0;
}

/* cpu (default 0) within the machine's CPUs. */
static int field_cpu(struct op_ctx *c, uint64_t *cpu)
{
	return field_u64(c, "cpu", false, 0, machine_nr_cpus(c->m) - 1, cpu);
}

/*** Buddy allocator ***/

static int op_alloc_pages(struct op_ctx *c)
{
	const struct machine_config *cfg = machine_get_config(c->m);
	struct alloc_pages_result res;
	const char *gfp_text = NULL;
	uint64_t order, cpu, node;
	gfp_t gfp;
	int err;

	if (field_str(c, "gfp", false, "GFP_KERNEL", &gfp_text) ||
	    field_u64(c, "order", false, 0, cfg->max_order, &order) ||
	    field_cpu(c, &cpu) ||
	    field_u64(c, "node", false, UINT64_MAX, machine_nr_nodes(c->m) - 1, &node))
		return c->e.err;
	if (json_object_get(c->op, "node") == NULL)
		node = UINT64_MAX;
	err = gfp_parse(gfp_text, &gfp, &c->e);
	if (err)
		return err;
	err = mm_alloc_pages(c->m, gfp, (unsigned int)order,
			     node == UINT64_MAX ? -1 : (int)node, (int)cpu, &res, &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:I,s:i,s:s,s:i,s:s}", "ok", 1,
			      "pfn", (json_int_t)res.pfn, "order", (int)res.order,
			      "zone", zone_type_name(res.zone), "node", res.node,
			      "migratetype", migratetype_name(res.migratetype));
	return 0;
}

static int op_free_pages(struct op_ctx *c)
{
	uint64_t pfn, order, cpu;

	if (field_u64(c, "pfn", true, 0, UINT32_MAX, &pfn) ||
	    field_u64(c, "order", false, 0, machine_get_config(c->m)->max_order, &order) ||
	    field_cpu(c, &cpu))
		return c->e.err;
	return mm_free_pages(c->m, pfn, (unsigned int)order, (int)cpu, &c->e);
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

static const struct op_def op_defs[] = {
	{ "alloc_pages", alloc_pages_fields, op_alloc_pages },
	{ "free_pages", free_pages_fields, op_free_pages },
	{ "check", no_fields, op_check },
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
	for (size_t i = 0; i < sizeof(op_defs) / sizeof(op_defs[0]); i++)
		if (strcmp(op_defs[i].name, name) == 0)
			return &op_defs[i];
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
			return bad(c, "unknown field \"%s\" for %s", key, def->name);
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
		err = bad(&c, "unknown op \"%s\"", name ? name : "");
	else
		err = check_fields(&c, def);
	if (!err)
		err = def->fn(&c);
	if (err) {
		json_decref(c.result);
		return json_pack("{s:b,s:s,s:s}", "ok", 0, "errno", mm_errno_name(err),
				 "message", c.e.message[0] ? c.e.message : "failed");
	}
	return c.result ? c.result : json_pack("{s:b}", "ok", 1);
}
