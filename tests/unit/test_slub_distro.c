/*
 * test_slub_distro.c - SLUB as distributions configure it: per-CPU partial
 * slabs (CONFIG_SLUB_CPU_PARTIAL=y: put_cpu_partial(), get_partial_node(),
 * set_cpu_partial() in mm/slub.c), kmalloc-cg-* caches (CONFIG_MEMCG) and
 * cache merging (CONFIG_SLAB_MERGE_DEFAULT=y, CONFIG_HARDENED_USERCOPY=y): kmem_cache_create
 * of a compatible size answers with an existing cache, as find_mergeable()
 * (mm/slab_common.c) and __kmem_cache_alias() (mm/slub.c) do; the kmalloc
 * caches, whole usercopy regions, never take aliases; kmem_cache_destroy()
 * counts references down.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmlab.h"
#include "tests/unit/machine_test.h"

#define GFP_KERNEL	0xcc0u
#define __GFP_ACCOUNT	0x400000u
#define __GFP_RECLAIMABLE	0x10u
#define __GFP_DMA	0x1u

/* The slabinfo index of the cache named @name, or -1. */
static int cache_index(const struct machine *m, const char *name, struct slab_cache_info *ci)
{
	for (unsigned int i = 0; i < machine_slab_caches(m); i++)
		if (machine_slab_cache_info(m, i, ci) == 0 && !strcmp(ci->name, name))
			return (int)i;
	return -1;
}

static void create(struct machine *m, const char *name, unsigned int size, unsigned int align,
		   const char *want)
{
	struct slab_cache_info info;
	struct mm_error e = { 0 };

	if (mm_kmem_cache_create(m, name, size, align, &info, &e))
		fail_msg("%s: %s", name, e.message);
	assert_string_equal(info.name, want);
}

static void test_compatible_sizes_merge(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	unsigned int before = machine_slab_caches(m);
	struct slab_cache_info ci;
	int i;

	(void)state;
	create(m, "a", 60, 0, "a");		/* a new cache, stride 64 */
	create(m, "b", 64, 0, "a");		/* 64 fits a's 64 exactly */
	create(m, "c", 56, 0, "c");		/* 64 - 56 is a whole word: no */
	create(m, "d", 60, 64, "a");		/* a's stride honours 64-byte alignment */
	create(m, "e", 64, 128, "e");		/* but not 128 */
	create(m, "f", 4096, 0, "f");		/* kmalloc-4k has a usercopy region */
	create(m, "g", 49, 0, "c");		/* 56 - 56: the oldest that fits */
	assert_int_equal(machine_slab_caches(m), before + 4);
	i = cache_index(m, "a", &ci);
	assert_true(i >= 0);
	assert_int_equal(ci.refcount, 3);
	assert_int_equal(ci.nr_aliases, 2);
	assert_int_equal(ci.object_size, 64);	/* grown to the largest asked for */
	assert_string_equal(machine_slab_alias(m, (unsigned int)i, 0), "b");
	assert_string_equal(machine_slab_alias(m, (unsigned int)i, 1), "d");
	assert_null(machine_slab_alias(m, (unsigned int)i, 2));
	i = cache_index(m, "kmalloc-64", &ci);
	assert_int_equal(ci.nr_aliases, 0);
	assert_clean(m);
	machine_destroy(m);
}

static void test_alias_resolves_and_destroy_counts_down(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct kmalloc_result r;
	struct slab_cache_info ci;
	struct mm_error e = { 0 };
	struct machine *c;
	void *buf;
	size_t len;

	(void)state;
	create(m, "a", 64, 0, "a");
	create(m, "b", 64, 0, "a");
	assert_int_equal(mm_kmem_cache_alloc(m, "b", GFP_KERNEL, 0, &r, NULL), 0);
	assert_string_equal(r.cache, "a");
	/* a snapshot and a clone keep the alias */
	assert_int_equal(machine_save_mem(m, &buf, &len, NULL), 0);
	c = machine_load_mem(buf, len, &e);
	free(buf);
	assert_non_null(c);
	assert_int_equal(mm_kmem_cache_free(c, "b", r.addr, 0, NULL), 0);
	assert_clean(c);
	machine_destroy(c);
	c = machine_clone(m);
	assert_int_equal(mm_kmem_cache_free(c, "a", r.addr, 0, NULL), 0);
	machine_destroy(c);
	/* the cache's own name goes; it lives on for "b" */
	assert_int_equal(mm_kmem_cache_destroy(m, "a", NULL), 0);
	assert_true(cache_index(m, "a", &ci) >= 0);
	assert_int_equal(ci.refcount, 1);
	assert_int_equal(mm_kmem_cache_alloc(m, "a", GFP_KERNEL, 0, &r, &e), -ENOENT);
	assert_clean(m);
	/* the last reference: refused while an object lives, then the cache goes */
	assert_int_equal(mm_kmem_cache_destroy(m, "b", &e), -EBUSY);
	assert_int_equal(cache_index(m, "a", &ci) >= 0, 1);
	assert_int_equal(mm_kmem_cache_free(m, "b", r.addr, 0, NULL), 0);
	assert_int_equal(mm_kmem_cache_destroy(m, "b", NULL), 0);
	assert_int_equal(cache_index(m, "a", &ci), -1);
	assert_int_equal(mm_kmem_cache_alloc(m, "b", GFP_KERNEL, 0, &r, &e), -ENOENT);
	assert_clean(m);
	machine_destroy(m);
}

static void test_last_reference_frees_the_cache(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	unsigned int before = machine_slab_caches(m);
	struct kmalloc_result r;
	struct slab_cache_info ci;

	(void)state;
	create(m, "a", 64, 0, "a");
	create(m, "b", 64, 0, "a");
	assert_int_equal(mm_kmem_cache_alloc(m, "a", GFP_KERNEL, 0, &r, NULL), 0);
	assert_int_equal(mm_kmem_cache_destroy(m, "b", NULL), 0);	/* an alias goes */
	assert_int_equal(cache_index(m, "a", &ci) >= 0, 1);
	assert_int_equal(ci.nr_aliases, 0);
	assert_int_equal(mm_kmem_cache_free(m, "a", r.addr, 0, NULL), 0);
	assert_int_equal(mm_kmem_cache_destroy(m, "a", NULL), 0);
	assert_int_equal(machine_slab_caches(m), before);
	create(m, "b", 64, 0, "b");	/* nothing left to merge with */
	assert_clean(m);
	machine_destroy(m);
}

/*
 * kmalloc(__GFP_ACCOUNT) takes a kmalloc-cg-* cache (kmalloc_caches[KMALLOC_CGROUP],
 * kmalloc_type() in include/linux/slab.h); __GFP_DMA and __GFP_RECLAIMABLE win over it.
 */
static void test_accounted_kmalloc_uses_cg_caches(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct kmalloc_result r;
	struct slab_cache_info ci;

	(void)state;
	assert_int_equal(mm_kmalloc(m, 100, GFP_KERNEL | __GFP_ACCOUNT, 0, &r, NULL), 0);
	assert_string_equal(r.cache, "kmalloc-cg-128");
	assert_int_equal(mm_kmalloc(m, 3000, GFP_KERNEL | __GFP_ACCOUNT, 0, &r, NULL), 0);
	assert_string_equal(r.cache, "kmalloc-cg-4k");
	assert_int_equal(mm_kmalloc(m, 100, GFP_KERNEL | __GFP_ACCOUNT | __GFP_RECLAIMABLE, 0, &r, NULL), 0);
	assert_string_equal(r.cache, "kmalloc-rcl-128");
	assert_int_equal(mm_kmalloc(m, 100, GFP_KERNEL | __GFP_ACCOUNT | __GFP_DMA, 0, &r, NULL), 0);
	assert_string_equal(r.cache, "dma-kmalloc-128");
	assert_int_equal(mm_kmalloc(m, 100, GFP_KERNEL, 0, &r, NULL), 0);
	assert_string_equal(r.cache, "kmalloc-128");
	assert_true(cache_index(m, "kmalloc-cg-96", &ci) >= 0);
	assert_int_equal(ci.nr_aliases, 0);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * A slab that was full and gets a free on CPU 1 goes on CPU 1's partial list,
 * and CPU 1's next allocation takes it from there; destroying the cache
 * flushes the CPUs' lists back to the buddy.
 */
static void test_cpu_partial_lists(void **state)
{
	struct machine *m = make("{\"mem_mib\":128,\"cpus\":2}", NULL, NULL);
	struct kmalloc_result r;
	struct slab_cache_info ci;
	struct zone_info before, after;
	uint64_t a[64];

	(void)state;
	create(m, "lab", 1000, 0, "lab");
	assert_int_equal(cache_index(m, "lab", &ci) >= 0, 1);
	assert_int_equal(ci.objperslab, 16);			/* 1000-byte stride in 4 pages */
	assert_int_equal(ci.cpu_partial_slabs, 7);		/* 52 objects * 2 / 16, rounded up */
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA32, &before), 0);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(mm_kmem_cache_alloc(m, "lab", GFP_KERNEL, 0, &r, NULL), 0);
		a[i] = r.addr;
	}
	assert_int_equal(mm_kmem_cache_free(m, "lab", a[5], 1, NULL), 0);	/* the full first slab */
	cache_index(m, "lab", &ci);
	assert_int_equal(ci.cpu_partial, 1);
	assert_int_equal(ci.partial, 0);
	assert_int_equal(mm_kmem_cache_alloc(m, "lab", GFP_KERNEL, 1, &r, NULL), 0);
	assert_true(r.addr == a[5]);
	cache_index(m, "lab", &ci);
	assert_int_equal(ci.cpu_partial, 0);
	assert_int_equal(ci.cpu_slabs, 2);
	assert_clean(m);
	for (int i = 0; i < 64; i++)
		assert_int_equal(mm_kmem_cache_free(m, "lab", a[i], i % 2, NULL), 0);
	assert_clean(m);
	assert_int_equal(mm_kmem_cache_destroy(m, "lab", NULL), 0);
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA32, &after), 0);
	assert_int_equal(after.owner_pages[OWNER_SLAB], before.owner_pages[OWNER_SLAB]);
	assert_clean(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compatible_sizes_merge),
		cmocka_unit_test(test_alias_resolves_and_destroy_counts_down),
		cmocka_unit_test(test_last_reference_frees_the_cache),
		cmocka_unit_test(test_accounted_kmalloc_uses_cg_caches),
		cmocka_unit_test(test_cpu_partial_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
