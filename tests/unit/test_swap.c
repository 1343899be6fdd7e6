/*
 * test_swap.c - the swap device: the x86-64 swap PTE with its inverted
 * offset, slots handed out cluster by cluster, swap_map counts and the swap
 * cache, SwapTotal/SwapFree and /proc/swaps, snapshots and clones
 * (mm/swapfile.c, mm/swap_state.c, arch/x86/include/asm/pgtable_64.h);
 * the swap cache across a swap-in as do_swap_page() keeps it: a read fault
 * leaves the folio cached and clean with its slot, so reclaim frees it again
 * without a write until it is written to; a write fault, swap more than half
 * full, unmap and exit free the slot (mm/memory.c), and so does zapping the
 * last swap PTE of a slot whose folio no PTE maps (mm/swapfile.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pgtable.h"
#include "swap.h"
#include "vmscan.h"
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

/*** The swap cache across a swap-in (do_swap_page()) ***/

/* The PTE (present or a swap entry) that maps @va in @pid. */
static uint64_t pte_at(struct machine *m, int pid, uint64_t va)
{
	struct pt_walk w;

	pt_walk(m, find_mm(m, pid)->pgd, va, &w);
	assert_int_equal(w.step[w.nr - 1].level, PT_PTE);
	return w.step[w.nr - 1].entry;
}

static uint64_t vmstat(const struct machine *m, const char *name)
{
	char *t = proc_vmstat(m), key[64], *p;
	uint64_t v;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(t, key);
	assert_non_null(p);
	v = strtoull(p + strlen(key), NULL, 10);
	free(t);
	return v;
}

/* A user access through the MMU: whether it took a fault, and how (the majors counted). */
static const char *touch(struct machine *m, int pid, uint64_t va, int access)
{
	struct mm_translation t;
	struct mm_error e = { 0 };
	uint64_t majors = vmstat(m, "pgmajfault");

	if (mm_translate(m, 0, pid, va, access, 1, &t, &e))
		fail_msg("translate: %s", e.message);
	assert_false(t.fault);
	if (!t.demand_paged)
		return "";
	return vmstat(m, "pgmajfault") > majors ? "major" : "minor";
}

/* Reclaim until @va of @pid is a swap entry; the entry. */
static swp_entry_t swap_out(struct machine *m, int pid, uint64_t va)
{
	for (int i = 0; i < 32 && !is_swap_pte(pte_at(m, pid, va)); i++)
		mm_shrink_all_memory(m, 1 << 16);
	assert_true(is_swap_pte(pte_at(m, pid, va)));
	assert_clean(m);
	return pte_to_swp_entry(pte_at(m, pid, va));
}

/* A process with one written anonymous page, swapped out: its entry. */
static swp_entry_t swapped_page(struct machine *m, int *pid, uint64_t *va)
{
	assert_int_equal(mm_spawn(m, "p", pid, NULL), 0);
	assert_int_equal(mm_mmap(m, *pid, 0, 4 * 4096ULL, "rw-", va, NULL), 0);
	touch(m, *pid, *va, MM_ACCESS_WRITE);
	return swap_out(m, *pid, *va);
}

/* The folio @pte maps. */
static struct page *mapped_page(struct machine *m, uint64_t pte)
{
	assert_true(pte & _PAGE_PRESENT);
	return pfn_to_page(m, pte_pfn(pte));
}

#define SWAPCACHE_MACHINE "{\"mem_mib\":64,\"swap_mib\":4}"

/*
 * A read fault brings the page back and leaves it in the swap cache, clean,
 * its slot held by the cache alone; the only user gets a writable, clean
 * PTE. Reclaimed again without a write, nothing is written (pswpout stays)
 * and the PTE gets the same entry back; once written to, reclaim writes it
 * to the same slot again (pswpout + 1). The content survives both trips.
 */
static void test_read_fault_keeps_swap_cache(void **state)
{
	struct machine *m = make(SWAPCACHE_MACHINE, NULL, NULL);
	struct swap_info_struct *si;
	uint64_t va, pte, pswpout, pfn;
	uint32_t content;
	struct page *p;
	swp_entry_t e;
	int pid;

	(void)state;
	e = swapped_page(m, &pid, &va);
	si = &m->swap->si;
	content = si->content[swp_offset(e)];
	assert_string_equal(touch(m, pid, va, MM_ACCESS_READ), "major");
	pte = pte_at(m, pid, va);
	p = mapped_page(m, pte);
	pfn = pte_pfn(pte);
	assert_true(pte & _PAGE_RW);			/* exclusive: pte_mkwrite() */
	assert_false(pte & _PAGE_DIRTY);
	assert_true(folio_test_swapcache(p));
	assert_true(p->private == e.val);
	assert_false(page_test(p, PG_dirty));
	assert_int_equal(si->swap_map[swp_offset(e)], SWAP_HAS_CACHE);
	assert_true(swap_cache_get_folio(m, e) == pfn);
	assert_int_equal(p->_refcount, 2);		/* the PTE's and the cache's */
	assert_int_equal(p->folio.content, content);
	assert_clean(m);

	/* reclaimed again without a write: no pswpout, the same entry back */
	pswpout = vmstat(m, "pswpout");
	assert_true(swap_out(m, pid, va).val == e.val);
	assert_int_equal(vmstat(m, "pswpout"), pswpout);
	assert_true(swap_cache_get_folio(m, e) == PFN_NIL);
	assert_int_equal(si->swap_map[swp_offset(e)], 1);
	assert_int_equal(si->content[swp_offset(e)], content);

	/* back, written through the writable PTE (no fault), out again: written */
	assert_string_equal(touch(m, pid, va, MM_ACCESS_READ), "major");
	assert_string_equal(touch(m, pid, va, MM_ACCESS_WRITE), "");
	assert_true(pte_at(m, pid, va) & _PAGE_DIRTY);
	assert_true(folio_test_swapcache(mapped_page(m, pte_at(m, pid, va))));
	pswpout = vmstat(m, "pswpout");
	assert_true(swap_out(m, pid, va).val == e.val);
	assert_int_equal(vmstat(m, "pswpout"), pswpout + 1);
	assert_string_equal(touch(m, pid, va, MM_ACCESS_READ), "major");
	assert_int_equal(mapped_page(m, pte_at(m, pid, va))->folio.content, content);
	assert_clean(m);
	machine_destroy(m);
}

/* A write fault by the only user frees the slot: the folio leaves the cache, dirty. */
static void test_write_fault_frees_swap(void **state)
{
	struct machine *m = make(SWAPCACHE_MACHINE, NULL, NULL);
	uint64_t va, pte, inuse;
	struct page *p;
	swp_entry_t e;
	int pid;

	(void)state;
	e = swapped_page(m, &pid, &va);
	inuse = m->swap->si.inuse_pages;
	assert_string_equal(touch(m, pid, va, MM_ACCESS_WRITE), "major");
	pte = pte_at(m, pid, va);
	p = mapped_page(m, pte);
	assert_true((pte & (_PAGE_RW | _PAGE_DIRTY)) == (_PAGE_RW | _PAGE_DIRTY));
	assert_false(folio_test_swapcache(p));
	assert_true(page_test(p, PG_dirty));
	assert_int_equal(p->_refcount, 1);
	assert_int_equal(m->swap->si.swap_map[swp_offset(e)], 0);
	assert_int_equal(m->swap->si.inuse_pages, inuse - 1);
	assert_int_equal(m->swap->nr_swapcache, 0);
	assert_clean(m);
	machine_destroy(m);
}

/* With more than half of swap in use (vm_swap_full()) a read fault frees the slot too. */
static void test_swap_full_read_frees_swap(void **state)
{
	struct machine *m = make(SWAPCACHE_MACHINE, NULL, NULL);
	uint64_t va, pte;
	struct page *p;
	swp_entry_t e;
	int pid;

	(void)state;
	e = swapped_page(m, &pid, &va);
	while (!vm_swap_full(m))
		assert_int_equal(folio_alloc_swap(m, alloc_page(m)), 0);
	assert_string_equal(touch(m, pid, va, MM_ACCESS_READ), "major");
	pte = pte_at(m, pid, va);
	p = mapped_page(m, pte);
	assert_true(pte & _PAGE_RW);
	assert_false(pte & _PAGE_DIRTY);
	assert_false(folio_test_swapcache(p));
	assert_true(page_test(p, PG_dirty));		/* only RAM holds it now */
	assert_int_equal(m->swap->si.swap_map[swp_offset(e)], 0);
	assert_clean(m);
	machine_destroy(m);
}

/* munmap (@exit false) or exit of a page read back frees its slot and cache entry. */
static void unmap_swapcache_page(bool exit)
{
	struct machine *m = make(SWAPCACHE_MACHINE, NULL, NULL);
	uint64_t va, inuse;
	swp_entry_t e;
	int pid;

	e = swapped_page(m, &pid, &va);
	assert_string_equal(touch(m, pid, va, MM_ACCESS_READ), "major");
	assert_int_equal(m->swap->nr_swapcache, 1);
	inuse = m->swap->si.inuse_pages;
	if (exit)
		assert_int_equal(mm_exit(m, pid, NULL), 0);
	else
		assert_int_equal(mm_munmap(m, pid, va, 4 * 4096ULL, NULL), 0);
	assert_int_equal(m->swap->si.swap_map[swp_offset(e)], 0);
	assert_true(swap_cache_get_folio(m, e) == PFN_NIL);
	assert_int_equal(m->swap->nr_swapcache, 0);
	assert_int_equal(m->swap->si.inuse_pages, inuse - 1);
	assert_clean(m);
	machine_destroy(m);
}

static void test_unmap_frees_swap_cache(void **state)
{
	(void)state;
	unmap_swapcache_page(false);
	unmap_swapcache_page(true);
}

/*
 * After a fork both processes name the slot: the child's read fault maps the
 * cached folio read-only (not exclusive), and so does the parent's (the
 * child maps the folio); the parent's write copies. Once the parent is gone
 * the child's write frees the slot and reuses the page (do_wp_page()).
 */
static void test_shared_swap_cache(void **state)
{
	struct machine *m = make(SWAPCACHE_MACHINE, NULL, NULL);
	uint64_t va, pte, pfn;
	swp_entry_t e;
	int pid, child;

	(void)state;
	e = swapped_page(m, &pid, &va);
	assert_int_equal(mm_fork(m, pid, &child, NULL), 0);
	assert_string_equal(touch(m, child, va, MM_ACCESS_READ), "major");
	pte = pte_at(m, child, va);
	pfn = pte_pfn(pte);
	assert_false(pte & _PAGE_RW);
	assert_int_equal(m->swap->si.swap_map[swp_offset(e)], 1 | SWAP_HAS_CACHE);
	assert_string_equal(touch(m, pid, va, MM_ACCESS_READ), "minor");
	assert_true(pte_pfn(pte_at(m, pid, va)) == pfn);
	assert_false(pte_at(m, pid, va) & _PAGE_RW);
	assert_int_equal(m->swap->si.swap_map[swp_offset(e)], SWAP_HAS_CACHE);
	assert_clean(m);
	assert_string_equal(touch(m, pid, va, MM_ACCESS_WRITE), "minor");	/* copied */
	assert_true(pte_pfn(pte_at(m, pid, va)) != pfn);
	assert_true(folio_test_swapcache(pfn_to_page(m, pfn)));
	assert_int_equal(mm_exit(m, pid, NULL), 0);
	assert_string_equal(touch(m, child, va, MM_ACCESS_WRITE), "minor");	/* reused */
	assert_true(pte_pfn(pte_at(m, child, va)) == pfn);
	assert_false(folio_test_swapcache(pfn_to_page(m, pfn)));
	assert_int_equal(m->swap->si.swap_map[swp_offset(e)], 0);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * A folio read back by a child stays in the swap cache after the child
 * exits (the parent's swap PTE still names the slot); when the parent
 * unmaps that swap PTE, only the cache holds the slot and no PTE maps the
 * folio, so it leaves the cache and is freed with its slot
 * (free_swap_and_cache_nr()).
 */
static void test_zap_last_swap_pte_frees_cache(void **state)
{
	struct machine *m = make(SWAPCACHE_MACHINE, NULL, NULL);
	uint64_t va, pfn;
	swp_entry_t e;
	int pid, child;

	(void)state;
	e = swapped_page(m, &pid, &va);
	assert_int_equal(mm_fork(m, pid, &child, NULL), 0);
	assert_string_equal(touch(m, child, va, MM_ACCESS_READ), "major");
	pfn = pte_pfn(pte_at(m, child, va));
	assert_int_equal(mm_exit(m, child, NULL), 0);
	assert_true(swap_cache_get_folio(m, e) == pfn);	/* the parent still names the slot */
	assert_int_equal(m->swap->si.swap_map[swp_offset(e)], 1 | SWAP_HAS_CACHE);
	assert_clean(m);
	assert_int_equal(mm_munmap(m, pid, va, 4 * 4096ULL, NULL), 0);
	assert_int_equal(m->swap->si.swap_map[swp_offset(e)], 0);
	assert_true(swap_cache_get_folio(m, e) == PFN_NIL);
	assert_int_equal(m->swap->nr_swapcache, 0);
	assert_false(folio_test_swapcache(pfn_to_page(m, pfn)));
	assert_clean(m);
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
		cmocka_unit_test(test_read_fault_keeps_swap_cache),
		cmocka_unit_test(test_write_fault_frees_swap),
		cmocka_unit_test(test_swap_full_read_frees_swap),
		cmocka_unit_test(test_unmap_frees_swap_cache),
		cmocka_unit_test(test_shared_swap_cache),
		cmocka_unit_test(test_zap_last_swap_pte_frees_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
