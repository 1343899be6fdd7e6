/*
 * test_slub.c - the slab allocator and kmalloc: kmalloc_index(), the slab
 * geometry of a 2-CPU machine, alloc/free patterns, partial lists and
 * min_partial, kmem_cache_*, kfree of bad pointers, kmalloc_large,
 * /proc/slabinfo, clone and a randomised run with the self-check after every
 * step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlab.h"
#include "tests/unit/machine_test.h"

#define GFP_KERNEL		0xcc0u
#define GFP_ATOMIC		0x820u
#define GFP_DMA			0x1u
#define __GFP_RECLAIMABLE	0x10u
#define PAGE_OFFSET		0xffff888000000000ULL

struct recorder {
	unsigned long count[MM_EV_NR_TYPES];
	struct mm_event last[MM_EV_NR_TYPES];
	uint64_t hash;
};

static void record(void *ctx, const struct mm_event *ev)
{
	struct recorder *r = ctx;
	const uint64_t f[] = { (uint64_t)ev->type, (uint64_t)ev->cpu, ev->pfn, ev->vaddr,
			       ev->paddr, ev->size, (uint64_t)ev->value, (uint64_t)ev->order };

	r->count[ev->type]++;
	r->last[ev->type] = *ev;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		r->hash = (r->hash ^ f[i]) * 0x100000001b3ULL;
	for (const char *d = ev->detail; d && *d; d++)
		r->hash = (r->hash ^ (uint8_t)*d) * 0x100000001b3ULL;
}

static int cache_info(const struct machine *m, const char *name, struct slab_cache_info *out)
{
	for (unsigned int i = 0; i < machine_slab_caches(m); i++) {
		assert_int_equal(machine_slab_cache_info(m, i, out), 0);
		if (!strcmp(out->name, name))
			return 0;
	}
	return -ENOENT;
}

static uint64_t kmalloc_ok(struct machine *m, uint64_t size, gfp_t gfp, const char *cache)
{
	struct kmalloc_result r;
	struct mm_error e = { 0 };

	if (mm_kmalloc(m, size, gfp, 0, &r, &e))
		fail_msg("kmalloc(%llu): %s", (unsigned long long)size, e.message);
	if (cache)
		assert_string_equal(r.cache, cache);
	return r.addr;
}

/*** kmalloc_index and the geometry ***/

static void test_kmalloc_index(void **state)
{
	static const struct { size_t size; int index; } t[] = {
		{ 0, 0 }, { 1, 3 }, { 8, 3 }, { 9, 4 }, { 16, 4 }, { 17, 5 }, { 32, 5 },
		{ 33, 6 }, { 64, 6 }, { 65, 1 }, { 96, 1 }, { 97, 7 }, { 128, 7 },
		{ 129, 2 }, { 192, 2 }, { 193, 8 }, { 256, 8 }, { 257, 9 }, { 512, 9 },
		{ 513, 10 }, { 1024, 10 }, { 1025, 11 }, { 2048, 11 }, { 2049, 12 },
		{ 4096, 12 }, { 4097, 13 }, { 8192, 13 }, { 8193, 14 }, { 16384, 14 },
		{ 1 << 20, 20 }, { (1 << 20) + 1, 21 }, { 2 << 20, 21 }, { (2 << 20) + 1, -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (kmalloc_index(t[i].size) != t[i].index)
			fail_msg("kmalloc_index(%zu) = %d, expected %d", t[i].size,
				 kmalloc_index(t[i].size), t[i].index);
	}
}

/* A 2-CPU Linux 6.x machine's /proc/slabinfo: objperslab and pagesperslab per kmalloc cache. */
static const struct { const char *name; unsigned int size, objs, pages; } two_cpu[] = {
	{ "kmalloc-8", 8, 512, 1 },	{ "kmalloc-16", 16, 256, 1 },
	{ "kmalloc-32", 32, 128, 1 },	{ "kmalloc-64", 64, 64, 1 },
	{ "kmalloc-96", 96, 42, 1 },	{ "kmalloc-128", 128, 32, 1 },
	{ "kmalloc-192", 192, 21, 1 },	{ "kmalloc-256", 256, 16, 1 },
	{ "kmalloc-512", 512, 16, 2 },	{ "kmalloc-1k", 1024, 16, 4 },
	{ "kmalloc-2k", 2048, 16, 8 },	{ "kmalloc-4k", 4096, 8, 8 },
	{ "kmalloc-8k", 8192, 4, 8 },
};

static void test_geometry_two_cpus(void **state)
{
	struct machine *m = make("{\"mem_mib\":128,\"cpus\":2}", NULL, NULL);
	static const char *const prefixes[] = { "", "rcl-", "dma-", "cg-" };
	struct slab_cache_info info;
	char name[48];

	(void)state;
	/* 13 sizes of each type: normal, rcl, dma and cg (CONFIG_MEMCG) */
	assert_int_equal(machine_slab_caches(m), 52);
	for (size_t p = 0; p < 4; p++)
		for (size_t i = 0; i < sizeof(two_cpu) / sizeof(two_cpu[0]); i++) {
			if (p == 2)
				snprintf(name, sizeof(name), "dma-%s", two_cpu[i].name);
			else
				snprintf(name, sizeof(name), "kmalloc-%s%s", prefixes[p],
					 two_cpu[i].name + 8);
			if (cache_info(m, name, &info))
				fail_msg("no cache %s", name);
			assert_int_equal(info.size, two_cpu[i].size);
			if (info.objperslab != two_cpu[i].objs || info.pagesperslab != two_cpu[i].pages)
				fail_msg("%s: %u objects in %u pages, a 2-CPU Linux has %u in %u", name,
					 info.objperslab, info.pagesperslab, two_cpu[i].objs,
					 two_cpu[i].pages);
			assert_int_equal(info.num_slabs, 0);
		}
	machine_destroy(m);
}

/* More CPUs, bigger slabs: min_objects = 4 * (fls(cpus) + 1). */
static void test_geometry_more_cpus(void **state)
{
	struct machine *m = make("{\"mem_mib\":128,\"cpus\":8}", NULL, NULL);
	struct slab_cache_info info;

	(void)state;
	assert_int_equal(cache_info(m, "kmalloc-256", &info), 0);
	assert_int_equal(info.objperslab, 32);	/* 20 * 256 > 4096: order 1 */
	assert_int_equal(info.pagesperslab, 2);
	assert_int_equal(cache_info(m, "kmalloc-1k", &info), 0);
	assert_int_equal(info.objperslab, 32);
	assert_int_equal(info.pagesperslab, 8);
	machine_destroy(m);
}

/*** Allocation patterns ***/

static void test_objects_fill_slab_in_order(void **state)
{
	struct recorder r;
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct slab_cache_info info;
	struct page_info pi;
	uint64_t a[65];

	(void)state;
	memset(&r, 0, sizeof(r));
	machine_set_event_fn(m, record, &r);
	for (int i = 0; i < 65; i++)
		a[i] = kmalloc_ok(m, 50, GFP_KERNEL, "kmalloc-64");
	assert_int_equal(r.count[MM_EV_slab_new], 2);
	assert_int_equal(r.count[MM_EV_kmalloc], 65);
	for (int i = 1; i < 64; i++)
		assert_true(a[i] == a[i - 1] + 64);
	assert_true((a[0] & 0xfff) == 0);
	assert_true(a[0] >= PAGE_OFFSET);
	assert_int_equal(machine_page_info(m, (a[0] - PAGE_OFFSET) >> 12, &pi), 0);
	assert_int_equal(pi.owner, OWNER_SLAB);
	assert_string_equal(pi.page_type_name, "slab");	/* PGTY_slab, not a flag */
	assert_int_equal(pi.page_type, 0xf5000000u);
	assert_int_equal(pi.inuse, 64);
	assert_int_equal(pi.objects, 64);
	assert_int_equal(r.last[MM_EV_kmalloc].size, 50);
	assert_int_equal(r.last[MM_EV_kmalloc].value, 64);
	assert_string_equal(r.last[MM_EV_kmalloc].detail, "kmalloc-64");
	assert_int_equal(cache_info(m, "kmalloc-64", &info), 0);
	assert_int_equal(info.num_slabs, 2);
	assert_int_equal(info.num_objs, 128);
	assert_int_equal(info.inuse, 65);
	assert_int_equal(info.partial, 0);
	/* The CPU slab's free objects count as active, as the kernel's slabinfo says. */
	assert_int_equal(info.active_objs, 128);

	/*
	 * A free into the full slab puts it on the freeing CPU's partial list
	 * (put_cpu_partial(), CONFIG_SLUB_CPU_PARTIAL=y), not the node's, so
	 * slabinfo still counts its free object as active; the next object
	 * still comes from the CPU slab.
	 */
	assert_int_equal(mm_kfree(m, a[10], 0, NULL), 0);
	assert_int_equal(cache_info(m, "kmalloc-64", &info), 0);
	assert_int_equal(info.partial, 0);
	assert_int_equal(info.cpu_partial, 1);
	assert_int_equal(info.cpu_partial_slabs, 4);	/* 120 objects * 2 / 64 per slab */
	assert_int_equal(info.active_objs, 128);
	assert_true(kmalloc_ok(m, 64, GFP_KERNEL, NULL) == a[64] + 64);
	/* LIFO: once the CPU slab is full, the partial slab hands back the object just freed. */
	for (int i = 0; i < 62; i++)
		kmalloc_ok(m, 64, GFP_KERNEL, NULL);
	assert_true(kmalloc_ok(m, 64, GFP_KERNEL, NULL) == a[10]);
	assert_int_equal(r.count[MM_EV_slab_new], 2);
	assert_clean(m);
	machine_destroy(m);
}

static void test_empty_slabs_beyond_min_partial(void **state)
{
	struct recorder r;
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct slab_cache_info info;
	uint64_t a[40];

	(void)state;
	memset(&r, 0, sizeof(r));
	machine_set_event_fn(m, record, &r);
	for (int i = 0; i < 40; i++)
		a[i] = kmalloc_ok(m, 8192, GFP_KERNEL, "kmalloc-8k");
	assert_int_equal(cache_info(m, "kmalloc-8k", &info), 0);
	assert_int_equal(info.num_slabs, 10);
	assert_int_equal(info.min_partial, 6);	/* ilog2(8192) / 2 */
	for (int i = 0; i < 40; i++) {
		assert_int_equal(mm_kfree(m, a[i], 0, NULL), 0);
		assert_clean(m);
	}
	/*
	 * Each full slab that gets a free goes on CPU 0's partial list, which
	 * holds cpu_partial_slabs = 3 (6 objects * 2 / 4 per slab): the 4th and
	 * 7th such slab first drain the list to the node, newest first. The
	 * node keeps them all, as it held fewer than min_partial (6) each time:
	 * nothing went back to the buddy. 6 empty slabs on the node, 3 on the
	 * CPU's list, the CPU slab.
	 */
	assert_int_equal(r.count[MM_EV_slab_free], 0);
	assert_int_equal(cache_info(m, "kmalloc-8k", &info), 0);
	assert_int_equal(info.num_slabs, 10);
	assert_int_equal(info.partial, 6);
	assert_int_equal(info.cpu_partial, 3);
	assert_int_equal(info.inuse, 0);
	assert_int_equal(info.active_objs, 16);	/* the CPU slab's and the CPU partial slabs' */
	machine_destroy(m);
}

static void test_gfp_picks_family(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct kmalloc_result r;

	(void)state;
	assert_int_equal(mm_kmalloc(m, 100, GFP_KERNEL | GFP_DMA, 0, &r, NULL), 0);
	assert_string_equal(r.cache, "dma-kmalloc-128");
	assert_int_equal(r.zone, ZONE_DMA);
	assert_true(r.paddr < (16u << 20));
	assert_int_equal(mm_kmalloc(m, 100, GFP_KERNEL | __GFP_RECLAIMABLE, 0, &r, NULL), 0);
	assert_string_equal(r.cache, "kmalloc-rcl-128");
	assert_int_equal(mm_kmalloc(m, 2000, GFP_ATOMIC, 1, &r, NULL), 0);
	assert_string_equal(r.cache, "kmalloc-2k");
	assert_int_equal(r.order, 3);
	assert_int_equal(mm_kmalloc(m, 0, GFP_KERNEL, 0, &r, NULL), 0);
	assert_true(r.addr == ZERO_SIZE_PTR);
	assert_int_equal(mm_kfree(m, ZERO_SIZE_PTR, 0, NULL), 0);
	assert_int_equal(mm_kfree(m, 0, 0, NULL), 0);
	assert_clean(m);
	machine_destroy(m);
}

static void test_kmalloc_large(void **state)
{
	struct recorder r;
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct kmalloc_result res;
	struct mm_error e = { 0 };
	struct page_info pi;
	uint64_t size;

	(void)state;
	memset(&r, 0, sizeof(r));
	machine_set_event_fn(m, record, &r);
	assert_int_equal(mm_kmalloc(m, 8193, GFP_KERNEL, 0, &res, NULL), 0);
	assert_string_equal(res.cache, "kmalloc_large");
	assert_int_equal(res.order, 2);
	assert_int_equal(res.bytes_alloc, 16384);
	assert_int_equal(r.count[MM_EV_kmalloc_large], 1);
	assert_int_equal(r.count[MM_EV_slab_new], 0);
	assert_int_equal(machine_page_info(m, res.pfn, &pi), 0);
	assert_int_equal(pi.owner, OWNER_KMALLOC_LARGE);
	assert_true(pi.flags & (1u << 6));	/* PG_head, bit 6 in 6.18 */
	assert_string_equal(pi.page_type_name, "large_kmalloc");	/* not slab */
	assert_int_equal(mm_ksize(m, res.addr, &size, NULL), 0);
	assert_int_equal(size, 16384);
	assert_int_equal(mm_kfree(m, res.addr + 4096, 0, &e), -EINVAL);
	assert_non_null(strstr(e.message, "not its start"));
	assert_int_equal(mm_kfree(m, res.addr, 0, NULL), 0);
	assert_int_equal(machine_page_info(m, res.pfn, &pi), 0);
	assert_true(pi.owner == OWNER_FREE || pi.owner == OWNER_PCP);
	/* Above KMALLOC_MAX_SIZE (order 10): refused. */
	assert_int_equal(mm_kmalloc(m, (4u << 20) + 1, GFP_KERNEL, 0, &res, &e), -ENOMEM);
	assert_clean(m);
	machine_destroy(m);
}

/*** Bad pointers leave the machine untouched ***/

static void test_kfree_bad_pointers(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct alloc_pages_result ap;
	struct mm_error e;
	char *before, *after;
	uint64_t a, b;
	static const struct { uint64_t addr; const char *msg; } bad[] = {
		{ 0x1234, "not a direct-map address" },
		{ 0xffffc90000001000ULL, "vmalloc address" },
		{ 0xffff888000000000ULL + (1ULL << 40), "not a direct-map address" },
	};

	(void)state;
	a = kmalloc_ok(m, 64, GFP_KERNEL, NULL);
	b = kmalloc_ok(m, 64, GFP_KERNEL, NULL);
	assert_int_equal(mm_kfree(m, b, 0, NULL), 0);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &ap, NULL), 0);
	before = proc_slabinfo(m);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(mm_kfree(m, bad[i].addr, 0, &e), -EINVAL);
		assert_non_null(strstr(e.message, bad[i].msg));
	}
	memset(&e, 0, sizeof(e));
	assert_int_equal(mm_kfree(m, a + 8, 0, &e), -EINVAL);
	assert_non_null(strstr(e.message, "not at its start"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(mm_kfree(m, b, 0, &e), -EINVAL);
	assert_non_null(strstr(e.message, "double free"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(mm_kfree(m, PAGE_OFFSET + (ap.pfn << 12), 0, &e), -EINVAL);
	assert_non_null(strstr(e.message, "belongs to other"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(mm_kmem_cache_free(m, "kmalloc-128", a, 0, &e), -EINVAL);
	assert_non_null(strstr(e.message, "belongs to kmalloc-64"));
	after = proc_slabinfo(m);
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_clean(m);
	assert_int_equal(mm_kfree(m, a, 0, NULL), 0);
	machine_destroy(m);
}

/*** kmem_cache_create / destroy ***/

static void test_kmem_cache_lifecycle(void **state)
{
	struct recorder r;
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct slab_cache_info info;
	struct kmalloc_result res;
	struct mm_error e = { 0 };
	struct zone_info zi0, zi1;
	uint64_t objs[30];
	char *text;

	(void)state;
	memset(&r, 0, sizeof(r));
	machine_set_event_fn(m, record, &r);
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA32, &zi0), 0);
	assert_int_equal(mm_kmem_cache_create(m, "task_struct_lab", 100, 0, &info, &e), 0);
	assert_int_equal(info.size, 104);
	assert_int_equal(info.objperslab, 39);
	assert_int_equal(info.pagesperslab, 1);
	assert_int_equal(r.count[MM_EV_cache_create], 1);
	assert_int_equal(mm_kmem_cache_create(m, "task_struct_lab", 64, 0, NULL, &e), -EEXIST);
	assert_int_equal(mm_kmem_cache_create(m, "aligned", 100, 64, &info, &e), 0);
	assert_int_equal(info.size, 128);
	assert_int_equal(mm_kmem_cache_create(m, "bad", 100, 48, NULL, &e), -EINVAL);
	assert_int_equal(mm_kmem_cache_create(m, "", 100, 0, NULL, &e), -EINVAL);
	for (int i = 0; i < 30; i++) {
		assert_int_equal(mm_kmem_cache_alloc(m, "task_struct_lab", GFP_KERNEL, 0, &res, &e), 0);
		objs[i] = res.addr;
	}
	assert_string_equal(res.cache, "task_struct_lab");
	assert_int_equal(r.count[MM_EV_kmem_cache_alloc], 30);
	/* Newest first in /proc/slabinfo. */
	text = proc_slabinfo(m);
	assert_non_null(strstr(text, "slabinfo - version: 2.1\n# name            <active_objs>"));
	assert_true(strstr(text, "aligned") < strstr(text, "task_struct_lab"));
	assert_true(strstr(text, "task_struct_lab") < strstr(text, "dma-kmalloc-8k"));
	free(text);
	assert_int_equal(mm_kmem_cache_destroy(m, "task_struct_lab", &e), -EBUSY);
	assert_non_null(strstr(e.message, "still has objects"));
	assert_int_equal(mm_kmem_cache_destroy(m, "kmalloc-64", &e), -EPERM);
	assert_int_equal(mm_kmem_cache_alloc(m, "nope", GFP_KERNEL, 0, &res, &e), -ENOENT);
	for (int i = 0; i < 30; i++)
		assert_int_equal(mm_kmem_cache_free(m, "task_struct_lab", objs[i], 0, &e), 0);
	assert_int_equal(r.count[MM_EV_kmem_cache_free], 30);
	assert_int_equal(mm_kmem_cache_destroy(m, "task_struct_lab", &e), 0);
	assert_int_equal(r.count[MM_EV_cache_destroy], 1);
	assert_int_equal(cache_info(m, "task_struct_lab", &info), -ENOENT);
	mm_drain_all_pages(m);
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA32, &zi1), 0);
	assert_int_equal(zi1.owner_pages[OWNER_SLAB], zi0.owner_pages[OWNER_SLAB]);
	/* The name is free again. */
	assert_int_equal(mm_kmem_cache_create(m, "task_struct_lab", 200, 0, &info, &e), 0);
	assert_int_equal(info.objperslab, 20);
	assert_clean(m);
	machine_destroy(m);
}

/*** slabinfo text, clone, determinism ***/

static void test_slabinfo_text(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	char *text, *line, *save;
	int lines = 0;

	(void)state;
	for (int i = 0; i < 100; i++)
		kmalloc_ok(m, 32, GFP_KERNEL, NULL);
	text = proc_slabinfo(m);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		unsigned long aobj, nobj, size, per, pages, l, b, s, as, ns, sh;

		if (lines++ < 2)
			continue;
		assert_int_equal(sscanf(line, "%63s %lu %lu %lu %lu %lu : tunables %lu %lu %lu : "
					"slabdata %lu %lu %lu", name, &aobj, &nobj, &size, &per,
					&pages, &l, &b, &s, &as, &ns, &sh), 12);
		if (!strcmp(name, "kmalloc-32")) {
			assert_int_equal(aobj, 128);
			assert_int_equal(nobj, 128);
			assert_int_equal(as, 1);
		}
	}
	assert_int_equal(lines, 2 + 52);
	free(text);
	machine_destroy(m);
}

static void test_clone_is_deep(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL), *c;
	char *a, *b;
	uint64_t x[100];

	(void)state;
	for (int i = 0; i < 100; i++)
		x[i] = kmalloc_ok(m, 100 + i * 37, GFP_KERNEL, NULL);
	c = machine_clone(m);
	assert_non_null(c);
	for (int i = 0; i < 100; i += 2)
		assert_int_equal(mm_kfree(c, x[i], 0, NULL), 0);
	assert_clean(c);
	assert_clean(m);
	a = proc_slabinfo(m);
	b = proc_slabinfo(c);
	assert_string_not_equal(a, b);
	free(b);
	machine_destroy(c);
	b = proc_slabinfo(m);
	assert_string_equal(a, b);
	free(a);
	free(b);
	for (int i = 0; i < 100; i++)
		assert_int_equal(mm_kfree(m, x[i], 0, NULL), 0);
	assert_clean(m);
	machine_destroy(m);
}

/*** What other views say about slabs ***/

static uint64_t meminfo_kb(const struct machine *m, const char *key)
{
	char *text = proc_meminfo(m), *at = strstr(text, key);
	unsigned long long v = 0;

	assert_non_null(at);
	assert_int_equal(sscanf(at + strlen(key), " %llu kB", &v), 1);
	free(text);
	return v;
}

static void test_meminfo_and_page_view(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct kmalloc_result r;
	struct page_info pi;
	uint64_t slab0 = meminfo_kb(m, "Slab:"), rcl0 = meminfo_kb(m, "SReclaimable:");

	(void)state;
	assert_int_equal(mm_kmalloc(m, 100, GFP_KERNEL | __GFP_RECLAIMABLE, 0, &r, NULL), 0);
	assert_int_equal(machine_page_info(m, r.pfn, &pi), 0);
	assert_string_equal(pi.slab_cache, "kmalloc-rcl-128");
	assert_int_equal(meminfo_kb(m, "SReclaimable:"), rcl0 + 4);
	assert_int_equal(mm_kmalloc(m, 9000, GFP_KERNEL, 0, &r, NULL), 0);
	/* kmalloc_large blocks are accounted as unreclaimable slab. */
	assert_int_equal(meminfo_kb(m, "Slab:"), slab0 + 4 + 16);
	assert_int_equal(meminfo_kb(m, "SUnreclaim:") + meminfo_kb(m, "SReclaimable:"),
			 meminfo_kb(m, "Slab:"));
	machine_destroy(m);
}

/* A machine that powers on gets its caches when the boot path brings up the buddy. */
static void test_poweron_then_boot(void **state)
{
	struct machine *m = make("{\"mem_mib\":128,\"start\":\"poweron\"}", NULL, NULL);
	struct mm_error e = { 0 };
	struct kmalloc_result r;
	const char *reached;
	uint64_t v;

	(void)state;
	assert_int_equal(machine_slab_caches(m), 0);
	assert_int_equal(mm_kmalloc(m, 64, GFP_KERNEL, 0, &r, &e), -EPERM);
	assert_int_equal(mm_vmalloc(m, 64, 0, NULL, &v, &e), -EPERM);
	if (mm_boot(m, "done", &reached, &e))
		fail_msg("boot: %s", e.message);
	assert_int_equal(machine_slab_caches(m), 52);
	assert_int_equal(mm_kmalloc(m, 64, GFP_KERNEL, 0, &r, &e), 0);
	assert_int_equal(mm_vmalloc(m, 64, 0, NULL, &v, &e), 0);
	assert_clean(m);
	machine_destroy(m);
}

/*** Randomised: every step checked ***/

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t random_run(uint64_t seed, int steps, bool check_each)
{
	struct recorder r;
	struct machine *m;
	uint64_t live[512], s = seed;
	int nr = 0;

	memset(&r, 0, sizeof(r));
	m = make("{\"mem_mib\":96,\"cpus\":2}", record, &r);
	assert_int_equal(mm_kmem_cache_create(m, "lab_obj", 72, 0, NULL, NULL), 0);
	for (int step = 0; step < steps; step++) {
		uint64_t op = rng(&s) % 10, cpu = rng(&s) % 2;
		struct kmalloc_result res;
		int err;

		if ((op < 6 && nr < 512) || nr == 0) {
			uint64_t size = rng(&s) % 4 ? rng(&s) % 600 + 1 : rng(&s) % 20000 + 1;
			gfp_t gfp = rng(&s) % 8 ? GFP_KERNEL : (rng(&s) % 2 ? GFP_DMA : __GFP_RECLAIMABLE);

			if (rng(&s) % 5 == 0)
				err = mm_kmem_cache_alloc(m, "lab_obj", GFP_KERNEL, (int)cpu, &res, NULL);
			else
				err = mm_kmalloc(m, size, gfp, (int)cpu, &res, NULL);
			if (!err)
				live[nr++] = res.addr;
		} else {
			int i = (int)(rng(&s) % (uint64_t)nr);

			err = mm_kfree(m, live[i], (int)cpu, NULL);
			if (err)
				fail_msg("seed %llu step %d: kfree failed", (unsigned long long)seed, step);
			live[i] = live[--nr];
		}
		if (check_each && machine_check(m, NULL, NULL)) {
			print_error("seed %llu step %d\n", (unsigned long long)seed, step);
			assert_clean(m);
		}
	}
	while (nr)
		assert_int_equal(mm_kfree(m, live[--nr], 0, NULL), 0);
	assert_int_equal(mm_kmem_cache_destroy(m, "lab_obj", NULL), 0);
	assert_clean(m);
	machine_destroy(m);
	return r.hash;
}

static void test_random_with_check(void **state)
{
	(void)state;
	random_run(1, 3000, true);
	random_run(0x5eed, 3000, true);
}

static void test_deterministic(void **state)
{
	(void)state;
	assert_true(random_run(42, 2000, false) == random_run(42, 2000, false));
	assert_true(random_run(42, 2000, false) != random_run(43, 2000, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kmalloc_index),
		cmocka_unit_test(test_geometry_two_cpus),
		cmocka_unit_test(test_geometry_more_cpus),
		cmocka_unit_test(test_objects_fill_slab_in_order),
		cmocka_unit_test(test_empty_slabs_beyond_min_partial),
		cmocka_unit_test(test_gfp_picks_family),
		cmocka_unit_test(test_kmalloc_large),
		cmocka_unit_test(test_kfree_bad_pointers),
		cmocka_unit_test(test_kmem_cache_lifecycle),
		cmocka_unit_test(test_slabinfo_text),
		cmocka_unit_test(test_clone_is_deep),
		cmocka_unit_test(test_meminfo_and_page_view),
		cmocka_unit_test(test_poweron_then_boot),
		cmocka_unit_test(test_random_with_check),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
