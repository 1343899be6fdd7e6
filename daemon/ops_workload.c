/*
 * ops_workload.c - the "workload" op: built-in generators of many ops from a
 * seed, for experiments too long to write by hand.
 *
 * A workload is recorded as one op; replay re-runs the generator, which is
 * deterministic (its own xorshift PRNG seeded by the op's "seed"), so the
 * events come out the same. Generated ops go through op_apply() like any
 * other, so every engine rule and event applies to them.
 *
 * Kinds:
 *   random        alloc_pages/free_pages over mixed orders and GFP flags
 *   fragment      fill memory with order-0 pages, give back those at even
 *                 pfns, then ask for a block of "order": free memory in pieces
 *   fragment_user the same with a process's anonymous pages (movable): it
 *                 maps "count" pages, writes each, unmaps those at even pfns
 *   kmalloc_sizes kmalloc of sizes uniform in [min, max] (kept, or freed)
 *   exhaust       blocks of "order" with "gfp" until the first ENOMEM
 *
 * Where the engine refuses an allocation, fragment ("fill_stopped_by",
 * "high_order_refusal") and exhaust ("stopped_by") return the refusal with
 * what the kernel's slow path would have done instead (slowpath.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ops.h"

#define WORKLOAD_MAX_COUNT	1000000

struct prng {
	uint64_t s;
};

static uint64_t prng_next(struct prng *p)
{
	p->s ^= p->s << 13;
	p->s ^= p->s >> 7;
	p->s ^= p->s << 17;
	return p->s;
}

/* Uniform in [0, n). */
static uint64_t prng_below(struct prng *p, uint64_t n)
{
	return n ? prng_next(p) % n : 0;
}

struct block {
	uint64_t pfn;
	unsigned int order;
};

struct tally {
	unsigned long ops, ok, failed, enomem;
	unsigned long by_order_failed[MAX_NR_ORDERS];
	json_t *last_refusal;	/* the last refused alloc_pages result, or NULL */
};

/* Keep a refused allocation's result: what the kernel would have done instead. */
static void keep_refusal(struct tally *t, json_t *res)
{
	if (!json_object_get(res, "slowpath"))
		return;
	json_decref(t->last_refusal);
	t->last_refusal = json_incref(res);
}

/* Hand the last refusal to @result as @key (null when there was none). */
static void put_refusal(json_t *result, const char *key, struct tally *t)
{
	json_object_set_new(result, key, t->last_refusal ? t->last_refusal : json_null());
	t->last_refusal = NULL;
}

/* Apply one generated op and count its result; returns it (caller frees). */
static json_t *run(struct op_ctx *c, struct tally *t, json_t *op)
{
	json_t *res = op_apply(c->m, op);
	const char *err = json_string_value(json_object_get(res, "errno"));

	json_decref(op);
	t->ops++;
	if (json_is_true(json_object_get(res, "ok")))
		t->ok++;
	else {
		t->failed++;
		t->enomem += err && strcmp(err, "ENOMEM") == 0;
	}
	return res;
}

static json_t *tally_json(const struct tally *t)
{
	return json_pack("{s:b,s:I,s:I,s:I,s:I}", "ok", 1, "ops", (json_int_t)t->ops,
			 "succeeded", (json_int_t)t->ok, "failed", (json_int_t)t->failed,
			 "enomem", (json_int_t)t->enomem);
}

static int alloc_block(struct op_ctx *c, struct tally *t, const char *gfp, unsigned int order,
		       unsigned int cpu, struct block *out)
{
	json_t *res = run(c, t, json_pack("{s:s,s:s,s:i,s:i}", "op", "alloc_pages", "gfp", gfp,
					  "order", (int)order, "cpu", (int)cpu));
	int ok = json_is_true(json_object_get(res, "ok"));

	if (ok) {
		out->pfn = (uint64_t)json_integer_value(json_object_get(res, "pfn"));
		out->order = order;
	} else {
		keep_refusal(t, res);
		if (order < MAX_NR_ORDERS)
			t->by_order_failed[order]++;
	}
	json_decref(res);
	return ok ? 0 : -ENOMEM;
}

static void free_block(struct op_ctx *c, struct tally *t, const struct block *b, unsigned int cpu)
{
	json_decref(run(c, t, json_pack("{s:s,s:I,s:i,s:i}", "op", "free_pages",
					"pfn", (json_int_t)b->pfn, "order", (int)b->order,
					"cpu", (int)cpu)));
}

static const char *const random_gfps[] = {
	"GFP_KERNEL", "GFP_KERNEL|__GFP_RECLAIMABLE", "GFP_HIGHUSER_MOVABLE", "GFP_ATOMIC",
	"GFP_DMA32", "GFP_NOWAIT|__GFP_ZERO",
};

/* random: allocate and free at random; small orders more often than large ones. */
static int workload_random(struct op_ctx *c, struct prng *p, uint64_t count, unsigned int max_order,
			   bool free_at_end)
{
	unsigned int cpus = machine_nr_cpus(c->m);
	struct block *held = calloc(count ? count : 1, sizeof(*held));
	size_t nr = 0;
	struct tally t = { 0 };

	if (!held)
		return op_bad(c, "count too large for this host");
	for (uint64_t i = 0; i < count; i++) {
		unsigned int cpu = (unsigned int)prng_below(p, cpus);

		if (nr && prng_below(p, 100) < 45) {
			size_t k = prng_below(p, nr);

			free_block(c, &t, &held[k], cpu);
			held[k] = held[--nr];
		} else {
			uint64_t r = prng_below(p, 1000);
			unsigned int order = (unsigned int)((r * r / 1000) * (max_order + 1) / 1000);
			const char *gfp = random_gfps[prng_below(p, sizeof(random_gfps) / sizeof(random_gfps[0]))];

			if (alloc_block(c, &t, gfp, order, cpu, &held[nr]) == 0)
				nr++;
		}
	}
	while (free_at_end && nr)
		free_block(c, &t, &held[--nr], 0);
	free(held);
	json_decref(t.last_refusal);
	c->result = tally_json(&t);
	json_object_set_new(c->result, "held_blocks", json_integer((json_int_t)nr));
	return 0;
}

/* fragment: order-0 pages everywhere, every other frame given back, then a big request. */
static int workload_fragment(struct op_ctx *c, uint64_t count, unsigned int order, const char *gfp)
{
	struct block *held = calloc(count ? count : 1, sizeof(*held));
	struct tally t = { 0 };
	struct block big;
	json_t *fill_stop;
	size_t nr = 0, freed = 0;
	int ok;

	if (!held)
		return op_bad(c, "count too large for this host");
	for (uint64_t i = 0; i < count; i++) {
		/* Alternate movable and unmovable pages, as a busy kernel does. */
		const char *g = i % 2 ? "GFP_HIGHUSER_MOVABLE" : gfp;

		if (alloc_block(c, &t, g, 0, 0, &held[nr]) == 0)
			nr++;
		else
			break;
	}
	fill_stop = t.last_refusal;
	t.last_refusal = NULL;
	/* Give back the pages at even pfns: no two free pages are buddies then. */
	for (size_t k = 0; k < nr; k++)
		if (held[k].pfn % 2 == 0) {
			free_block(c, &t, &held[k], 0);
			freed++;
		}
	ok = alloc_block(c, &t, gfp, order, 0, &big) == 0;
	free(held);
	c->result = tally_json(&t);
	json_object_set_new(c->result, "pages_allocated", json_integer((json_int_t)nr));
	json_object_set_new(c->result, "pages_freed", json_integer((json_int_t)freed));
	json_object_set_new(c->result, "high_order", json_integer(order));
	json_object_set_new(c->result, "high_order_ok", json_boolean(ok));
	/* The fill stops where the engine refuses an order-0 page: say what the kernel would do. */
	json_object_set_new(c->result, "fill_stopped_by", fill_stop ? fill_stop : json_null());
	put_refusal(c->result, "high_order_refusal", &t);
	return 0;
}

/*
 * fragment_user: a process maps @count pages of anonymous memory and writes
 * each (demand paging puts a movable page behind it, on the anon LRU), then,
 * once all are in, unmaps those whose frame is at an even pfn: half of them free, none two
 * buddies, each between two movable pages. Then a block of @order with @gfp,
 * which the slow path may now compact for. Each step is an op (spawn, mmap,
 * translate, munmap, alloc_pages).
 */
static int workload_fragment_user(struct op_ctx *c, uint64_t count, unsigned int order,
				  const char *gfp)
{
	struct tally t = { 0 };
	struct block big;
	json_t *res;
	uint64_t addr, mapped = 0, freed = 0;
	unsigned char *even;
	int pid, ok;

	res = run(c, &t, json_pack("{s:s,s:s}", "op", "spawn", "name", "fragment"));
	pid = (int)json_integer_value(json_object_get(res, "pid"));
	json_decref(res);
	res = run(c, &t, json_pack("{s:s,s:i,s:I,s:s}", "op", "mmap", "pid", pid,
				   "length", (json_int_t)(count * 4096), "prot", "rw-"));
	addr = strtoull(json_string_value(json_object_get(res, "addr")) ?: "0", NULL, 0);
	ok = json_is_true(json_object_get(res, "ok"));
	json_decref(res);
	if (!pid || !ok) {
		c->result = tally_json(&t);
		return 0;
	}
	even = calloc(count ? count : 1, 1);
	if (!even)
		return op_bad(c, "count too large for this host");
	/* every page written first, so that no frame unmapped is taken again */
	for (uint64_t i = 0; i < count; i++) {
		char va[24];

		snprintf(va, sizeof(va), "0x%llx", (unsigned long long)(addr + i * 4096));
		res = run(c, &t, json_pack("{s:s,s:i,s:s,s:s}", "op", "translate", "pid", pid,
					   "vaddr", va, "access", "write"));
		ok = json_is_true(json_object_get(res, "ok")) && !json_object_get(res, "fault") &&
		     json_is_string(json_object_get(res, "paddr"));
		even[i] = ok && !((strtoull(json_string_value(json_object_get(res, "paddr")), NULL, 0) >> 12) % 2);
		json_decref(res);
		if (!ok)
			break;
		mapped++;
	}
	for (uint64_t i = 0; i < mapped; i++) {
		char va[24];

		if (!even[i])
			continue;
		snprintf(va, sizeof(va), "0x%llx", (unsigned long long)(addr + i * 4096));
		json_decref(run(c, &t, json_pack("{s:s,s:i,s:s,s:i}", "op", "munmap", "pid", pid,
						 "addr", va, "length", 4096)));
		freed++;
	}
	free(even);
	ok = alloc_block(c, &t, gfp, order, 0, &big) == 0;
	c->result = tally_json(&t);
	json_object_set_new(c->result, "pid", json_integer(pid));
	json_object_set_new(c->result, "pages_mapped", json_integer((json_int_t)mapped));
	json_object_set_new(c->result, "pages_unmapped", json_integer((json_int_t)freed));
	json_object_set_new(c->result, "high_order", json_integer(order));
	json_object_set_new(c->result, "high_order_ok", json_boolean(ok));
	if (ok)
		json_object_set_new(c->result, "high_order_pfn", json_integer((json_int_t)big.pfn));
	put_refusal(c->result, "high_order_refusal", &t);
	return 0;
}

/* kmalloc_sizes: sizes uniform in [min, max]; kept, or freed when @free_after. */
static int workload_kmalloc_sizes(struct op_ctx *c, struct prng *p, uint64_t count,
				  uint64_t min, uint64_t max, const char *gfp, bool free_after)
{
	struct tally t = { 0 };
	uint64_t requested = 0;

	for (uint64_t i = 0; i < count; i++) {
		uint64_t size = min + prng_below(p, max - min + 1);
		json_t *res = run(c, &t, json_pack("{s:s,s:I,s:s}", "op", "kmalloc",
						   "size", (json_int_t)size, "gfp", gfp));

		requested += size;
		if (free_after && json_is_true(json_object_get(res, "ok")))
			json_decref(run(c, &t, json_pack("{s:s,s:O}", "op", "kfree",
							 "addr", json_object_get(res, "addr"))));
		json_decref(res);
	}
	c->result = tally_json(&t);
	json_object_set_new(c->result, "bytes_requested", json_integer((json_int_t)requested));
	return 0;
}

/* exhaust: take blocks until the allocator says no (at most @count). */
static int workload_exhaust(struct op_ctx *c, uint64_t count, unsigned int order, const char *gfp)
{
	struct tally t = { 0 };
	struct block b;
	uint64_t taken = 0;

	while (taken < count && alloc_block(c, &t, gfp, order, 0, &b) == 0)
		taken++;
	c->result = tally_json(&t);
	json_object_set_new(c->result, "blocks_taken", json_integer((json_int_t)taken));
	json_object_set_new(c->result, "exhausted", json_boolean(taken < count));
	put_refusal(c->result, "stopped_by", &t);
	return 0;
}

static int op_workload(struct op_ctx *c)
{
	const struct machine_config *cfg = machine_get_config(c->m);
	uint64_t count, seed, order, min, max, freeflag;
	const char *kind, *gfp;
	struct prng p;

	if (op_field_str(c, "kind", true, NULL, &kind) ||
	    op_field_u64(c, "count", false, 1000, WORKLOAD_MAX_COUNT, &count) ||
	    op_field_u64(c, "seed", false, 1, UINT64_MAX >> 1, &seed) ||
	    op_field_u64(c, "order", false, cfg->max_order, cfg->max_order, &order) ||
	    op_field_u64(c, "min", false, 8, 1u << 30, &min) ||
	    op_field_u64(c, "max", false, 8192, 1u << 30, &max) ||
	    op_field_u64(c, "free", false, 0, 1, &freeflag) ||
	    op_field_str(c, "gfp", false, "GFP_KERNEL", &gfp))
		return c->e.err;
	p.s = seed * 0x9e3779b97f4a7c15ULL + 1;
	if (strcmp(kind, "random") == 0)
		return workload_random(c, &p, count, (unsigned int)order, freeflag);
	if (strcmp(kind, "fragment") == 0)
		return workload_fragment(c, count, (unsigned int)order, gfp);
	if (strcmp(kind, "fragment_user") == 0)
		return workload_fragment_user(c, count, (unsigned int)order, gfp);
	if (strcmp(kind, "exhaust") == 0)
		return workload_exhaust(c, count, json_object_get(c->op, "order") ? (unsigned int)order : 0,
					gfp);
	if (strcmp(kind, "kmalloc_sizes") == 0) {
		if (min < 1 || min > max)
			return op_bad(c, "kmalloc_sizes needs 1 <= min <= max");
		return workload_kmalloc_sizes(c, &p, count, min, max, gfp, freeflag);
	}
	return op_bad(c, "unknown workload kind \"%s\" (random, fragment, fragment_user, exhaust, kmalloc_sizes)",
		      kind);
}

static const char *const workload_fields[] = { "kind", "count", "seed", "order", "min", "max",
					       "free", "gfp", NULL };

const struct op_def workload_ops[] = {
	{ "workload", workload_fields, op_workload },
	{ NULL, NULL, NULL },
};
