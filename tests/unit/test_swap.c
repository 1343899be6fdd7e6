/*
 * test_swap.c - the swap device: the x86-64 swap PTE with its inverted
 * offset, slots handed out cluster by cluster, swap_map counts and the swap
 * cache, SwapTotal/SwapFree and /proc/swaps, snapshots and clones
 * (mm/swapfile.c, mm/swap_state.c, arch/x86/include/asm/pgtable_64.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swap.h"
#include "tests/unit/machine_test.h"

/* __swp_entry() by hand: type on top, ~offset from bit 9 up. */
static void test_swap_pte_encoding(void **state)
{
	(void)state;
	assert_true(swp_entry_to_pte(swp_entry(0, 1)) == 0x07fffffffffffc00ULL);
	assert_true(swp_entry_to_pte(swp_entry(0, 0x12345)) == 0x07fffffffdb97400ULL);
	assert_true(swp_entry_to_pte(swp_entry(3, 7)) == 0x1ffffffffffff000ULL);
	for (uint64_t off = 1; off < (1ULL << 40); off = off * 3 + 1) {
		swp_entry_t e = swp_entry(2, off);
		uint64_t pte = swp_entry_to_pte(e);

		assert_true(is_swap_pte(pte));
		assert_false(pte & 1);				/* not present */
		assert_false(pte & (1ULL << 8));		/* not PROTNONE */
		assert_true(pte_to_swp_entry(pte).val == e.val);
		/* the exclusive and soft-dirty bits do not change the entry */
		assert_true(pte_to_swp_entry(pte | _PAGE_SWP_EXCLUSIVE |
					     _PAGE_SWP_SOFT_DIRTY).val == e.val);
	}
	assert_false(is_swap_pte(0));
	assert_false(is_swap_pte(0x1234000ULL | 1));
}

static uint64_t alloc_page(struct machine *m)
{
	struct alloc_pages_result r;
	struct mm_error e;

	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &r, &e), 0);
	return r.pfn;
}

static uint64_t meminfo_kb(const struct machine *m, const char *key)
{
	char *t = proc_meminfo(m), *p = strstr(t, key);
	uint64_t v;

	assert_non_null(p);
	v = strtoull(p + strlen(key), NULL, 10);
	free(t);
	return v;
}

/* A 4 MiB partition: 1024 slots, the header in slot 0, two clusters. */
static void test_swapon(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"swap_mib\":4}", NULL, NULL);
	char *t;

	(void)state;
	assert_non_null(m->swap);
	assert_int_equal(m->swap->si.max, 1024);
	assert_int_equal(m->swap->si.pages, 1023);
	assert_int_equal(m->swap->si.nr_clusters, 2);
	assert_int_equal(meminfo_kb(m, "SwapTotal:"), 4092);
	assert_int_equal(meminfo_kb(m, "SwapFree:"), 4092);
	t = proc_swaps(m);
	assert_string_equal(t, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
			       "/dev/vdb                                partition\t4092\t\t0\t\t-2\n");
	free(t);
	assert_clean(m);
	machine_destroy(m);

	m = make("{\"mem_mib\":256}", NULL, NULL);
	assert_null(m->swap);
	assert_int_equal(meminfo_kb(m, "SwapTotal:"), 0);
	assert_int_equal(folio_alloc_swap(m, alloc_page(m)), -ENOMEM);
	machine_destroy(m);
}

/*
 * Slots come in order from the cluster the global cursor names; a freed
 * slot is not reused while the cursor's cluster has room ahead of it.
 */
static void test_slots_and_cache(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"swap_mib\":4}", NULL, NULL);
	uint64_t pfn[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		pfn[i] = alloc_page(m);
		assert_int_equal(folio_alloc_swap(m, pfn[i]), 0);
		assert_true(folio_test_swapcache(pfn_to_page(m, pfn[i])));
		assert_true(pfn_to_page(m, pfn[i])->private == swp_entry(0, 1 + i).val);
		assert_int_equal(m->swap->si.swap_map[1 + i], SWAP_HAS_CACHE);
		assert_true(swap_cache_get_folio(m, swp_entry(0, 1 + i)) == pfn[i]);
		assert_clean(m);
	}
	assert_int_equal(meminfo_kb(m, "SwapFree:"), 4092 - 16);
	assert_int_equal(meminfo_kb(m, "SwapCached:"), 16);
	swap_cache_del_folio(m, pfn[1]);
	assert_false(folio_test_swapcache(pfn_to_page(m, pfn[1])));
	assert_int_equal(m->swap->si.swap_map[2], 0);
	assert_true(swap_cache_get_folio(m, swp_entry(0, 2)) == PFN_NIL);
	assert_int_equal(meminfo_kb(m, "SwapCached:"), 12);
	assert_clean(m);
	assert_int_equal(folio_alloc_swap(m, pfn[1]), 0);
	assert_true(pfn_to_page(m, pfn[1])->private == swp_entry(0, 5).val);
	assert_clean(m);

	/* a map reference keeps the slot when the cache lets go of it */
	assert_int_equal(swap_duplicate(m, swp_entry(0, 1)), 0);
	assert_int_equal(__swap_count(m, swp_entry(0, 1)), 1);
	swap_cache_del_folio(m, pfn[0]);
	assert_int_equal(m->swap->si.swap_map[1], 1);
	assert_int_equal(swapcache_prepare(m, swp_entry(0, 1)), 0);
	assert_int_equal(swapcache_prepare(m, swp_entry(0, 1)), -EEXIST);
	put_swap_folio(m, swp_entry(0, 1));
	swap_free(m, swp_entry(0, 1));
	assert_int_equal(m->swap->si.swap_map[1], 0);
	assert_int_equal(swap_duplicate(m, swp_entry(0, 1)), -ENOENT);
	assert_clean(m);
	machine_destroy(m);
}

/* Every usable slot once, then ENOMEM; every cluster ends on the full list. */
static void test_fill_and_drain(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"swap_mib\":4}", NULL, NULL);
	uint64_t *pfns = calloc(1024, sizeof(*pfns)), base = alloc_page(m);
	unsigned int i;

	(void)state;
	for (i = 0; i < 1023; i++) {
		pfns[i] = i ? alloc_page(m) : base;
		assert_int_equal(folio_alloc_swap(m, pfns[i]), 0);
		assert_true(pfn_to_page(m, pfns[i])->private == swp_entry(0, i + 1).val);
	}
	pfns[i] = alloc_page(m);
	assert_int_equal(folio_alloc_swap(m, pfns[i]), -ENOMEM);
	assert_int_equal(m->swap->si.full_clusters.nr, 2);
	assert_int_equal(meminfo_kb(m, "SwapFree:"), 0);
	assert_true(vm_swap_full(m));
	assert_clean(m);
	for (i = 0; i < 1023; i++)
		swap_cache_del_folio(m, pfns[i]);
	assert_int_equal(m->swap->si.free_clusters.nr, 1);	/* cluster 1 */
	assert_int_equal(m->swap->si.nonfull_clusters.nr, 1);	/* cluster 0 keeps the header */
	assert_int_equal(meminfo_kb(m, "SwapFree:"), 4092);
	assert_clean(m);
	free(pfns);
	machine_destroy(m);
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random adds and removes, the invariant check after every step. */
static void test_random_slots(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"swap_mib\":2}", NULL, NULL);
	uint64_t pfns[600], seed = 0x9e3779b97f4a7c15ULL;
	bool in[600] = { false };
	unsigned int used = 0;

	(void)state;
	for (unsigned int i = 0; i < 600; i++)
		pfns[i] = alloc_page(m);
	for (unsigned int step = 0; step < 3000; step++) {
		unsigned int i = (unsigned int)(next_rand(&seed) % 600);

		if (in[i]) {
			swap_cache_del_folio(m, pfns[i]);
			used--;
		} else if (folio_alloc_swap(m, pfns[i]) == 0) {
			used++;
		} else {
			assert_int_equal(used, 511);
			continue;
		}
		in[i] = !in[i];
		assert_int_equal(m->swap->si.inuse_pages, used);
		assert_clean(m);
	}
	machine_destroy(m);
}

/* Snapshots and clones carry the device, its map and its cache. */
static void test_snapshot_and_clone(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"swap_mib\":4}", NULL, NULL), *c, *l;
	struct mm_error e;
	size_t len;
	void *buf;

	(void)state;
	for (int i = 0; i < 700; i++)
		assert_int_equal(folio_alloc_swap(m, alloc_page(m)), 0);
	m->swap->si.content[3] = 0xabcd;
	assert_int_equal(machine_save_mem(m, &buf, &len, &e), 0);
	l = machine_load_mem(buf, len, &e);
	free(buf);
	c = machine_clone(m);
	assert_non_null(l);
	assert_non_null(c);
	for (struct machine *x = l; x; x = x == l ? c : NULL) {
		assert_int_equal(x->swap->si.inuse_pages, 700);
		assert_memory_equal(x->swap->si.swap_map, m->swap->si.swap_map, 1024);
		assert_memory_equal(x->swap->si.swap_table, m->swap->si.swap_table, 1024 * 8);
		assert_int_equal(x->swap->si.content[3], 0xabcd);
		assert_int_equal(x->swap->si.global_cluster_next, m->swap->si.global_cluster_next);
		assert_clean(x);
	}
	/* the copies are their own */
	assert_int_equal(folio_alloc_swap(c, alloc_page(c)), 0);
	assert_int_equal(m->swap->si.inuse_pages, 700);
	machine_destroy(l);
	machine_destroy(c);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swap_pte_encoding),
		cmocka_unit_test(test_swapon),
		cmocka_unit_test(test_slots_and_cache),
		cmocka_unit_test(test_fill_and_drain),
		cmocka_unit_test(test_random_slots),
		cmocka_unit_test(test_snapshot_and_clone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
