/*
 * test_check.c - the self-check shown to catch what it promises: for each
 * invariant machine_check() verifies (the design notes of page_alloc.c,
 * slub.c, swiotlb.c, vmalloc.c, pgtable.c, mmu.c, oom_kill.c and
 * memcontrol.c; the LRU of swap.c, the rmap and page cache of lru_check.c,
 * the swap device of swapfile.c and kswapd of vmscan.c), a clone of a clean
 * machine is
 * corrupted in a way that invariant forbids, and the check must report it,
 * with every report naming that invariant and no other. The original machine
 * stays clean (the clone shares nothing with it).
 *
 * The corruptions live here, never in the engine. To cover a new invariant,
 * add a function that breaks it and one row to cases[] below: the prefix its
 * reports start with ("11: ", "L2: "), words of the one report that check
 * makes (so that the case fails when that very check is removed, even if a
 * neighbour still sees the damage), the machine to break and what to do to
 * it first (a workload that creates the state the invariant is about).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "slab.h"
#include "compaction.h"
#include "swiotlb.h"
#include "pgtable.h"
#include "lru.h"
#include "swap.h"
#include "vmscan.h"
#include "oom.h"
#include "memcontrol.h"
#include "tests/unit/machine_test.h"

#define MIB	(1ULL << 20)




/*** Finding what to break ***/

static struct zone *zone_of(struct machine *m, int zone)
{
	return &m->nodes[0].node_zones[zone];
}

/* The head of the first free block of @order or more in ZONE_DMA32, and its order. */
static uint32_t free_block(struct machine *m, unsigned int min_order, unsigned int *order,
			   int *mt)
{
	struct zone *z = zone_of(m, ZONE_DMA32);

	for (unsigned int o = min_order; o <= m->max_order; o++)
		for (int t = 0; t < MIGRATE_TYPES; t++)
			if (z->free_area[o].free_list[t].first != PFN_NIL) {
				*order = o;
				*mt = t;
				return z->free_area[o].free_list[t].first;
			}
	fail_msg("no free block of order %u or more", min_order);
	return PFN_NIL;
}

/* The first page of ZONE_DMA32 owned by @owner that heads a block. */
static uint32_t owned_head(struct machine *m, int owner)
{
	struct zone *z = zone_of(m, ZONE_DMA32);

	for (uint64_t pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn++) {
		struct page *p = &m->mem_map[pfn];

		if (p->owner == owner && p->compound_head == pfn && !page_test(p, PG_reserved))
			return (uint32_t)pfn;
	}
	fail_msg("no %s block", page_owner_name(owner));
	return PFN_NIL;
}

/* The first page on node 0's @lru list. */
static uint32_t lru_first(struct machine *m, int lru)
{
	uint32_t pfn = m->nodes[0].__lruvec.lists[lru].first;

	if (pfn == PFN_NIL)
		fail_msg("the %s list is empty", lru_list_name(lru));
	return pfn;
}

/* An anonymous page two PTEs map (parent and child), out of the swap cache. */
static uint32_t shared_anon(struct machine *m)
{
	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn++) {
		struct page *p = &m->mem_map[pfn];

		if (p->owner == OWNER_USER && !p->tail && p->_refcount > 0 &&
		    folio_test_anon(p) && p->_mapcount == 1 && !page_test(p, PG_swapcache))
			return (uint32_t)pfn;
	}
	fail_msg("no anonymous page shared by two processes");
	return PFN_NIL;
}

/* The first slot that swap PTEs name and no folio caches. */
static uint64_t swapped_slot(struct machine *m)
{
	struct swap_info_struct *si = &m->swap->si;

	for (uint64_t off = 1; off < si->max; off++)
		if (si->swap_map[off] && !(si->swap_map[off] & SWAP_HAS_CACHE) &&
		    si->swap_map[off] < SWAP_MAP_MAX)
			return off;
	fail_msg("no slot swapped out");
	return 0;
}

/* The first free slot. */
static uint64_t free_slot(struct machine *m)
{
	struct swap_info_struct *si = &m->swap->si;

	for (uint64_t off = 1; off < si->max; off++)
		if (!si->swap_map[off] && !si->swap_table[off])
			return off;
	fail_msg("no free slot");
	return 0;
}

/*** Workloads: the state an invariant is about ***/

static uint64_t compound_pfn;

/* Order-0 pages through the pcp lists, and an order-2 __GFP_COMP block. */
static void some_allocations(struct machine *m)
{
	struct alloc_pages_result r;

	for (int i = 0; i < 40; i++)
		assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &r, NULL), 0);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL | __GFP_COMP, 2, -1, 0, &r, NULL), 0);
	compound_pfn = r.pfn;
}

static void some_objects(struct machine *m)
{
	struct kmalloc_result r;

	for (int i = 0; i < 20; i++)
		assert_int_equal(mm_kmalloc(m, 192, GFP_KERNEL, 0, &r, NULL), 0);
}

static void a_bounce(struct machine *m)
{
	struct kmalloc_result r;
	uint64_t dma;

	/* GFP_KERNEL comes from above 4 GiB: a 32-bit device needs a bounce */
	assert_int_equal(mm_kmalloc(m, 4000, GFP_KERNEL, 0, &r, NULL), 0);
	assert_int_equal(mm_dma_map(m, r.addr, 4000, 32, &dma, NULL), 0);
	assert_true(dma != r.paddr);
}

static void a_process(struct machine *m)
{
	struct mm_access_summary sum;
	uint64_t addr;
	int pid;

	assert_int_equal(mm_spawn(m, "t", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 8 * 4096, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_access_range(m, 0, pid, addr, 8 * 4096, 4096, MM_ACCESS_WRITE,
					 true, 8, &sum, NULL), 0);
}

/* A vmalloc area of three pages (and its guard page). */
static uint64_t vmalloc_addr;

static void a_vmalloc(struct machine *m)
{
	assert_int_equal(mm_vmalloc(m, 3 * 4096, 0, NULL, &vmalloc_addr, NULL), 0);
}

/* kmalloc objects, and a kmalloc_large block above KMALLOC_MAX_CACHE_SIZE. */
static uint64_t large_pfn;

static void objects_and_large(struct machine *m)
{
	struct kmalloc_result r;

	some_objects(m);
	assert_int_equal(mm_kmalloc(m, 16384, GFP_KERNEL, 0, &r, NULL), 0);
	large_pfn = r.paddr >> PAGE_SHIFT;
}

/* A process that read an anonymous area: its PTEs map the zero page. */
static int reader_pid;
static uint64_t reader_addr;

static void a_reader(struct machine *m)
{
	struct mm_access_summary sum;

	assert_int_equal(mm_spawn(m, "r", &reader_pid, NULL), 0);
	assert_int_equal(mm_mmap(m, reader_pid, 0, 8 * 4096, "rw-", &reader_addr, NULL), 0);
	assert_int_equal(mm_access_range(m, 0, reader_pid, reader_addr, 8 * 4096, 4096,
					 MM_ACCESS_READ, false, 8, &sum, NULL), 0);
}

/*
 * A memory cgroup at its limit: init writes pages of the root group; "a"
 * and "b" in group "box" of 300 pages, b asks for more, and a (the worst)
 * is killed and reaped, not yet exited.
 */
static int oom_victim_pid;

static void group_oom(struct machine *m)
{
	struct mm_access_summary sum;
	uint64_t addr;
	uint32_t id;
	int pid[2], init;
	const uint64_t pages[3] = { 200, 60, 80 };

	assert_int_equal(mm_spawn(m, "init", &init, NULL), 0);	/* pid 1: never chosen */
	assert_int_equal(mm_mmap(m, init, 0, 4 * 4096, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_access_range(m, 1, init, addr, 4 * 4096, 4096, MM_ACCESS_WRITE,
					 false, 4, &sum, NULL), 0);	/* root group pages */
	assert_int_equal(mm_memcg_create(m, "box", 300, &id, NULL), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mm_spawn(m, i ? "b" : "a", &pid[i], NULL), 0);
		assert_int_equal(mm_memcg_attach(m, pid[i], "box", NULL), 0);
	}
	for (int i = 0; i < 3; i++) {
		int who = pid[i ? 1 : 0];

		assert_int_equal(mm_mmap(m, who, 0, pages[i] * 4096, "rw-", &addr, NULL), 0);
		assert_int_equal(mm_access_range(m, 1, who, addr, pages[i] * 4096, 4096,
						 MM_ACCESS_WRITE, false, pages[i], &sum, NULL), 0);
	}
	assert_int_equal(mm_oom_kill_count(m), 1);
	oom_victim_pid = pid[0];
	assert_true(find_mm(m, oom_victim_pid)->oom_skip);
}

/*
 * Memory pressure: a file read into the page cache, a process whose
 * anonymous area is larger than memory (part of it swapped out), a fork
 * whose child shares the pages and the swap slots, and the child reading
 * back swapped pages (they stay in the swap cache, the parent still names
 * their slots).
 */
static void under_pressure(struct machine *m)
{
	struct mm_translation t;
	struct mm_access_summary sum;
	struct mm_file_io io;
	uint64_t addr, len = 80 * MIB;
	int pid, child;

	assert_int_equal(mm_create_file(m, "f", MIB, NULL), 0);
	assert_int_equal(mm_read_file(m, 0, "f", 0, MIB, &io, NULL), 0);
	assert_int_equal(mm_spawn(m, "p", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, len, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_access_range(m, 0, pid, addr, len, 4096, MM_ACCESS_WRITE, false,
					 len / 4096, &sum, NULL), 0);
	mm_kswapd_run(m);
	assert_int_equal(mm_fork(m, pid, &child, NULL), 0);
	for (uint64_t a = addr; a < addr + 2 * MIB; a += 4096)
		assert_int_equal(mm_translate(m, 0, child, a, MM_ACCESS_READ, 1, &t, NULL), 0);
	mm_kswapd_run(m);
}

/*** Corruptions, one invariant each ***/

/* 1: managed_pages no longer adds up. */
static void break_1_managed(struct machine *m)
{
	zone_of(m, ZONE_DMA32)->managed_pages++;
	zone_of(m, ZONE_DMA32)->present_pages++;
	zone_of(m, ZONE_DMA32)->spanned_pages++;
}

/* 1: a free page also PG_reserved (counted as reserved, so also the sums). */
static void break_1_reserved_free(struct machine *m)
{
	unsigned int order;
	int mt;
	uint32_t pfn = free_block(m, 0, &order, &mt);

	page_set(&m->mem_map[pfn], PG_reserved);
}

/* 2: a free block's head says a smaller order than its list. */
static void break_2_order(struct machine *m)
{
	unsigned int order;
	int mt;
	uint32_t pfn = free_block(m, 1, &order, &mt);

	m->mem_map[pfn].private = order - 1;
}

/* 3: a free block's pageblock changes type under it. */
static void break_3_pageblock(struct machine *m)
{
	unsigned int order;
	int mt;
	uint32_t pfn = free_block(m, 0, &order, &mt);

	m->pageblock_mt[pfn >> m->pb_order] = mt == MIGRATE_MOVABLE ? MIGRATE_UNMOVABLE
								   : MIGRATE_MOVABLE;
}

/* 4: a free block split into two free buddies that were never merged. */
static void break_4_unmerged(struct machine *m)
{
	struct zone *z = zone_of(m, ZONE_DMA32);
	unsigned int order;
	int mt;
	uint32_t pfn = free_block(m, 1, &order, &mt), upper = pfn + (1u << (order - 1));

	pfn_list_del(m, &z->free_area[order].free_list[mt], pfn);
	z->free_area[order].nr_free--;
	m->mem_map[pfn].private = order - 1;
	page_type_set(&m->mem_map[upper], PGTY_buddy);
	m->mem_map[upper].private = order - 1;
	m->mem_map[upper].mt = (uint8_t)mt;
	pfn_list_add_head(m, &z->free_area[order - 1].free_list[mt], pfn);
	pfn_list_add_head(m, &z->free_area[order - 1].free_list[mt], upper);
	z->free_area[order - 1].nr_free += 2;
}

/* 5: nr_free of an order disagrees with its lists. */
static void break_5_nr_free(struct machine *m)
{
	zone_of(m, ZONE_DMA32)->free_area[0].nr_free++;
}

/* 5: a list's back link is wrong. */
static void break_5_prev(struct machine *m)
{
	unsigned int order;
	int mt;
	struct zone *z = zone_of(m, ZONE_DMA32);
	uint32_t pfn;

	for (order = 0; order <= m->max_order; order++)
		for (mt = 0; mt < MIGRATE_TYPES; mt++)
			if (z->free_area[order].free_list[mt].nr >= 2) {
				pfn = m->mem_map[z->free_area[order].free_list[mt].first].next;
				m->mem_map[pfn].prev = PFN_NIL;
				return;
			}
	fail_msg("no free list of two blocks");
}

/* 6: pcp->count disagrees with the per-CPU lists. */
static void break_6_pcp_count(struct machine *m)
{
	zone_of(m, ZONE_DMA32)->pcp[0].count++;
}

/* 7: a tail of a compound block names another head. */
static void break_7_tail(struct machine *m)
{
	m->mem_map[compound_pfn + 1].compound_head = (uint32_t)compound_pfn + 1;
}

/* 7: an owner's page counter is off. */
static void break_7_owner_count(struct machine *m)
{
	zone_of(m, ZONE_DMA32)->owner_pages[m->mem_map[compound_pfn].owner]++;
}

/* 8: min above low. */
static void break_8_watermarks(struct machine *m)
{
	struct zone *z = zone_of(m, ZONE_DMA32);

	z->_watermark[WMARK_MIN] = z->_watermark[WMARK_LOW] + 1;
}

/* 9: an allocated kernel page that says it is mapped. */
static void break_9_mapcount(struct machine *m)
{
	m->mem_map[compound_pfn]._mapcount = 0;
}

/* 10: a watermark boost above boost_watermark()'s cap. */
static void break_10_boost(struct machine *m)
{
	zone_of(m, ZONE_DMA32)->watermark_boost = 1ULL << 40;
}

/* 10: a highatomic reserve that no HighAtomic pageblock backs. */
static void break_10_highatomic(struct machine *m)
{
	zone_of(m, ZONE_DMA32)->nr_reserved_highatomic += pageblock_nr_pages;
}

/* S4 (slub.c): a cache's in-use count disagrees with its slabs. */
static void break_s4_slab_inuse(struct machine *m)
{
	uint32_t head = owned_head(m, OWNER_SLAB);

	m->slab->caches[m->mem_map[head].slab.slab_cache].nr_inuse++;
}

/* S4 (swiotlb.c): the pool's total_used disagrees with its areas. */
static void break_s4_swiotlb_used(struct machine *m)
{
	assert_non_null(m->swiotlb);
	m->swiotlb->total_used++;
}

/* P6 (pgtable.c): a process's page-table counter is off. */
static void break_p6_pgtables(struct machine *m)
{
	m->x86->mms[m->x86->nr_mms - 1].pgtables_pages++;
}

/* C2 (mmu.c): paging on without protected mode. */
static void break_c2_pe(struct machine *m)
{
	m->x86->cpus[0].cr0 &= ~X86_CR0_PE;
}

/* C3 (mmu.c): a TLB array's count of 4 KiB entries is off. */
static void break_c3_count(struct machine *m)
{
	m->x86->cpus[0].tlb[0].nr_size[0]++;
}

/* L1: a page on the inactive file list whose flags say active. */
static void break_l1_flags(struct machine *m)
{
	page_set(&m->mem_map[lru_first(m, LRU_INACTIVE_FILE)], PG_active);
}

/* L2: a node's LRU counter is off from its list. */
static void break_l2_counter(struct machine *m)
{
	m->nodes[0].vm_stat[NR_LRU_BASE + LRU_INACTIVE_FILE]++;
}

/* L3: a kernel page with PG_lru, on no list. */
static void break_l3_stray(struct machine *m)
{
	page_set(&m->mem_map[owned_head(m, OWNER_SLAB)], PG_lru);
}

/* R2: a shared page's _mapcount one above its PTEs. */
static void break_r2_mapcount(struct machine *m)
{
	m->mem_map[shared_anon(m)]._mapcount++;
}

/* R3: a file page with a reference nobody holds. */
static void break_r3_refcount(struct machine *m)
{
	m->mem_map[lru_first(m, LRU_INACTIVE_FILE)]._refcount++;
}

/* R4: an anon_vma's refcount one above its holders. */
static void break_r4_anon_vma(struct machine *m)
{
	m->anon_vmas->v[folio_anon_vma_id(&m->mem_map[shared_anon(m)])].refcount++;
}

/*
 * R5: one offset too many in a process's rmap offsets (one that no VMA has:
 * the walks still find every PTE, so only R5 can tell).
 */
static void break_r5_offsets(struct machine *m)
{
	struct mm_struct *mm = &m->x86->mms[0];

	(void)rmap_count(m, shared_anon(m));	/* a walk: the offsets are found */
	assert_true(mm->rmap_offsets_valid && mm->nr_rmap_offsets < RMAP_OFFSETS_MAX);
	mm->rmap_offsets[mm->nr_rmap_offsets++] = 0x123456789000ULL;
}

/* F1: a file's nrpages one above its i_pages. */
static void break_f1_nrpages(struct machine *m)
{
	file_by_name(m, "f")->nrpages++;
}

/*
 * F2: a page-cache page that its file's i_pages no longer holds (the file's
 * and the node's page counts follow, so only the page's home is wrong).
 */
static void break_f2_orphan(struct machine *m)
{
	struct page *p = &m->mem_map[lru_first(m, LRU_INACTIVE_FILE)];
	struct sim_file *f = file_by_id(m, (uint32_t)folio_file_id(p));

	assert_non_null(f);
	assert_false(page_test(p, PG_dirty) || page_test(p, PG_writeback));
	f->i_pages[folio_index(p)] = 0;
	f->nrpages--;
	m->nodes[p->node].vm_stat[NR_FILE_PAGES]--;
}

/* F3: NR_FILE_MAPPED counts a page no PTE maps. */
static void break_f3_mapped(struct machine *m)
{
	m->nodes[0].vm_stat[NR_FILE_MAPPED]++;
}

/* F4: a file that forgot its dentry (the slab object stays allocated). */
static void break_f4_dentry(struct machine *m)
{
	file_by_name(m, "f")->dentry_addr = 0;
}

/* SW1: the header slot of the swap device reads as in use. */
static void break_sw1_header(struct machine *m)
{
	m->swap->si.swap_map[0] = 1;
}

/* SW2: a cluster counts one slot more than its map uses. */
static void break_sw2_cluster(struct machine *m)
{
	m->swap->si.cluster_info[swapped_slot(m) / SWAPFILE_CLUSTER].count++;
}

/* SW3: inuse_pages one above the slots in use. */
static void break_sw3_inuse(struct machine *m)
{
	m->swap->si.inuse_pages++;
}

/* SW4: a slot counts a swap PTE that does not exist. */
static void break_sw4_count(struct machine *m)
{
	m->swap->si.swap_map[swapped_slot(m)]++;
}

/* SW5: a slot says the swap cache holds it, and no folio is in its table. */
static void break_sw5_has_cache(struct machine *m)
{
	m->swap->si.swap_map[swapped_slot(m)] |= SWAP_HAS_CACHE;
}

/*
 * SW6: a mapped anonymous page with PG_swapcache and the entry of a free
 * slot (its refcount takes the swap cache's reference, as R3 wants).
 */
static void break_sw6_stray(struct machine *m)
{
	struct page *p = &m->mem_map[shared_anon(m)];

	page_set(p, PG_swapcache);
	p->private = swp_entry(0, free_slot(m)).val;
	p->_refcount++;
}

/* SW7: a clean anonymous folio read back from swap no longer holds its slot's content. */
static void break_sw7_clean_content(struct machine *m)
{
	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn++) {
		struct page *p = &m->mem_map[pfn];

		if (p->owner == OWNER_USER && folio_test_anon(p) && folio_test_swapcache(p) &&
		    !page_test(p, PG_dirty)) {
			p->folio.content ^= 1;
			return;
		}
	}
	fail_msg("no clean folio in the swap cache");
}

/* K1: kswapd in a state it has no name for (vmscan.c's last is KSWAPD_NAPPING, 2). */
static void break_k1_state(struct machine *m)
{
	m->nodes[0].kswapd_state = 3;
}

/* K2: kswapd asked for a negative order. */
static void break_k2_order(struct machine *m)
{
	m->nodes[0].kswapd_order = -1;
}

/* K3: more reclaim failures than kswapd ever counts. */
static void break_k3_failures(struct machine *m)
{
	m->nodes[0].kswapd_failures = MAX_RECLAIM_RETRIES + 1;
}

/* V1 (vmalloc.c): the highest free range stops a page short of VMALLOC_END. */
static void break_v1_end(struct machine *m)
{
	struct vmalloc_fields f;

	assert_int_equal(vmalloc_fields(m, vmalloc_addr, &f), 0);
	assert_non_null(f.last_free_end);
	*f.last_free_end -= PAGE_SIZE;
}

/* V2: the guard page of an area mapped (to the area's own first page). */
static void break_v2_guard(struct machine *m)
{
	struct vmalloc_fields f;

	assert_int_equal(vmalloc_fields(m, vmalloc_addr, &f), 0);
	assert_int_equal(pgtable_kernel_map(m, *f.area_end - PAGE_SIZE, f.area_pfns[0],
					    PAGE_KERNEL), 0);
}

/* V3: the pages array names another frame than the PTE maps. */
static void break_v3_pfn(struct machine *m)
{
	struct vmalloc_fields f;

	assert_int_equal(vmalloc_fields(m, vmalloc_addr, &f), 0);
	assert_true(f.area_nr_pages >= 2);
	f.area_pfns[0] = f.area_pfns[1];
}

/* V4: an area whose vm_struct is no kmalloc object. */
static void break_v4_vm_struct(struct machine *m)
{
	struct vmalloc_fields f;

	assert_int_equal(vmalloc_fields(m, vmalloc_addr, &f), 0);
	*f.area_vm_struct = 0;
}

/* V5: vmap_lazy_nr counts a page no lazy range holds. */
static void break_v5_lazy_nr(struct machine *m)
{
	struct vmalloc_fields f;

	assert_int_equal(vmalloc_fields(m, vmalloc_addr, &f), 0);
	(*f.vmap_lazy_nr)++;
}

/* The head of the kmalloc-192 slab holding the first free object of the cache. */
static uint32_t slab_with_free(struct machine *m)
{
	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn++) {
		struct page *p = &m->mem_map[pfn];

		if (p->owner == OWNER_SLAB && p->compound_head == pfn && p->slab.freelist &&
		    !strcmp(m->slab->caches[p->slab.slab_cache].name, "kmalloc-192"))
			return (uint32_t)pfn;
	}
	fail_msg("no kmalloc-192 slab with a free object");
	return PFN_NIL;
}

/* S1 (slub.c): a cache that still has slabs marked dead. */
static void break_s1_dead_cache(struct machine *m)
{
	m->slab->caches[m->mem_map[slab_with_free(m)].slab.slab_cache].alive = false;
}

/* S2: a slab's freelist starts in the middle of an object. */
static void break_s2_freelist(struct machine *m)
{
	m->mem_map[slab_with_free(m)].slab.freelist += 8;
}

/* S3: a node's nr_partial one above the slabs on its partial list. */
static void break_s3_nr_partial(struct machine *m)
{
	m->slab->caches[m->mem_map[slab_with_free(m)].slab.slab_cache].node[0].nr_partial++;
}

/* S5: a kmalloc_large block that lost its PGTY_large_kmalloc type. */
static void break_s5_large_type(struct machine *m)
{
	struct page *p = &m->mem_map[large_pfn];

	assert_int_equal(p->owner, OWNER_KMALLOC_LARGE);
	page_type_clear(p, PGTY_large_kmalloc);
}

/* S6: a cache's refcount counts a name that does not resolve to it. */
static void break_s6_refcount(struct machine *m)
{
	m->slab->caches[m->mem_map[slab_with_free(m)].slab.slab_cache].refcount++;
}

/* A page table taken from the memblock buffer before the buddy (owner pagetable, PG_reserved). */
static struct page *memblock_table(struct machine *m)
{
	const struct pt_store *s = &m->x86->pt;

	for (uint32_t slot = 0; slot < s->nr; slot++) {
		uint64_t pfn = s->slot_pfn[slot];

		if (pfn != PFN_NIL && pfn >= (SZ_1M >> PAGE_SHIFT) &&
		    m->mem_map[pfn].owner == OWNER_PAGETABLE && page_test(&m->mem_map[pfn], PG_reserved))
			return &m->mem_map[pfn];
	}
	fail_msg("no page table from the memblock buffer");
	return NULL;
}

/* P1 (pgtable.c): a boot-time table typed PGTY_table, as only buddy tables are. */
static void break_p1_typed(struct machine *m)
{
	page_type_set(memblock_table(m), PGTY_table);
}

/* P2: a table page handed back to "reserved" after boot (the zone's counters follow). */
static void break_p2_owner(struct machine *m)
{
	struct page *p = memblock_table(m);
	struct zone *z = &m->nodes[p->node].node_zones[p->zone];

	z->owner_pages[p->owner]--;
	p->owner = OWNER_RESERVED;
	z->owner_pages[p->owner]++;
}

/* P3: init_top_pgt's first (user) entry points at a page that is no table. */
static void break_p3_not_table(struct machine *m)
{
	pt_entries(m, m->x86->init_top_pgt)[0] = PFN_PHYS(compound_pfn) | _PAGE_PRESENT | _PAGE_RW;
}

/* P4: the zero page mapped writable in a process. */
static void break_p4_zero_rw(struct machine *m)
{
	struct pt_walk w;

	assert_int_equal(pt_walk(m, find_mm(m, reader_pid)->pgd, reader_addr, &w), 0);
	assert_int_equal(w.pfn, zero_pfn(m));
	pt_entries(m, w.step[w.nr - 1].table)[w.step[w.nr - 1].index] |= _PAGE_RW;
}

/* P5: a process's PGD differs from init_top_pgt in the kernel half. */
static void break_p5_kernel_half(struct machine *m)
{
	uint64_t *pgd = pt_entries(m, find_mm(m, reader_pid)->pgd);

	for (unsigned int k = pgd_kernel_first(m); k < PTRS_PER_TABLE; k++)
		if (pgd[k] & _PAGE_PRESENT) {
			pgd[k] ^= _PAGE_ACCESSED;
			return;
		}
	fail_msg("no kernel entry in the PGD");
}

/* C1 (mmu.c): a valid 4 KiB TLB entry of CPU 0 names another frame. */
static void break_c1_tlb_pfn(struct machine *m)
{
	struct tlb_array *t = &m->x86->cpus[0].tlb[TLB_L1_4K];

	for (unsigned int i = 0; i < t->entries; i++)
		if (t->tag[i]) {
			t->ent[i].pfn ^= 1;
			return;
		}
	fail_msg("no 4 KiB TLB entry on cpu 0");
}

/* C4: a hint of CPU 0's memo names a slot that holds another tag. */
static void break_c4_hint(struct machine *m)
{
	struct cpu_state *c = &m->x86->cpus[0];

	for (unsigned int i = 0; i < TLB_HINTS; i++)
		if (c->memo.hint[i].tag) {
			struct tlb_array *t = &c->tlb[tlb_size_index(tlb_tag_shift(c->memo.hint[i].tag))];

			c->memo.hint[i].slot = (c->memo.hint[i].slot + 1) % t->entries;
			return;
		}
	fail_msg("no TLB hint on cpu 0");
}

/* C5: CPU 0's walk cache keeps an upper entry that the tables do not hold. */
static void break_c5_walk_cache(struct machine *m)
{
	struct walk_cache *wc = &m->x86->cpus[0].walk_cache;

	assert_true(wc->nr > 0 && wc->gen == m->x86->pt.gen);
	wc->lv[0].entry ^= _PAGE_DIRTY;
}

/* O1 (oom_kill.c): an oom_score_adj past OOM_SCORE_ADJ_MAX. */
static void break_o1_adj(struct machine *m)
{
	find_mm(m, oom_victim_pid)->oom_score_adj = OOM_SCORE_ADJ_MAX + 1;
}

/* O2: a reaped process that is no victim. */
static void break_o2_not_victim(struct machine *m)
{
	find_mm(m, oom_victim_pid)->oom_victim = false;
}

/* O3: the kernel log's length one past its text. */
static void break_o3_log_len(struct machine *m)
{
	assert_non_null(m->oom);
	m->oom->log_len++;
}

/* M1 (memcontrol.c): memory.current one below the pages charged. */
static void break_m1_usage(struct machine *m)
{
	m->memcg->v[0].memory.usage--;
}

/* M2: a page of the root group carrying the id of a group that does not exist. */
static void break_m2_id(struct machine *m)
{
	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn++) {
		struct page *p = &m->mem_map[pfn];

		if (page_is_charged_kind(p) && !p->folio.memcg_id) {
			p->folio.memcg_id = m->memcg->nr + 1;
			return;
		}
	}
	fail_msg("no page of the root group");
}

/* M3: a page on a group's list whose back link skips its neighbour. */
static void break_m3_list(struct machine *m)
{
	for (int lru = 0; lru < NR_LRU_LISTS; lru++)
		if (m->memcg->lruvecs[0].lists[lru].nr >= 2) {
			uint32_t first = m->memcg->lruvecs[0].lists[lru].first;

			m->mem_map[m->mem_map[first].next].prev = PFN_NIL;
			return;
		}
	fail_msg("no list of the group holds two pages");
}

/* M3: a group's list runs past the last page of the machine. */
static void break_m3_beyond(struct machine *m)
{
	for (int lru = 0; lru < NR_LRU_LISTS; lru++)
		if (m->memcg->lruvecs[0].lists[lru].nr) {
			m->mem_map[m->memcg->lruvecs[0].lists[lru].last].next = (uint32_t)m->max_pfn + 7;
			return;
		}
	fail_msg("the group's lists are empty");
}

/* M4: a group's peak below its usage. */
static void break_m4_peak(struct machine *m)
{
	assert_true(m->memcg->v[0].memory.usage > 0);
	m->memcg->v[0].memory.watermark = m->memcg->v[0].memory.usage - 1;
}

/* CP1: pages counted as isolated for migration while none is. */
static void break_cp1_isolated(struct machine *m)
{
	m->nodes[0].vm_stat[NR_ISOLATED_ANON] += 3;
}

/* CP2: an empty PTE of a process's table left holding a migration entry. */
static void break_cp2_migration_entry(struct machine *m)
{
	const struct pt_store *s = &m->x86->pt;

	for (uint32_t slot = 0; slot < s->nr; slot++)
		if (s->slot_pfn[slot] != PFN_NIL && s->slot_level[slot] == PT_PTE) {
			for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
				if (!s->slots[slot][i] && !(s->slots[slot][(i + 1) % PTRS_PER_TABLE] &
							     _PAGE_GLOBAL)) {
					s->slots[slot][i] = swp_val_to_pte(swp_val(SWP_MIGRATION_READ_TYPE + 2,
										   1));
					return;
				}
		}
	fail_msg("no PTE table with a free entry");
}

/* CP3: a pageblock with no free page left isolated. */
static void break_cp3_isolated_block(struct machine *m)
{
	for (uint64_t pb = 0; pb < m->max_pfn; pb += pageblock_nr_pages) {
		bool busy = true;

		for (uint64_t p = pb; p < pb + pageblock_nr_pages && p < m->max_pfn && busy; p++)
			busy = m->mem_map[p].owner != OWNER_FREE && m->mem_map[p].owner != OWNER_PCP &&
			       m->mem_map[p].owner != OWNER_HOLE;
		if (busy && pb + pageblock_nr_pages <= m->max_pfn) {
			m->pageblock_mt[pb >> pageblock_order] |= 1u << PB_migrate_isolate;
			return;
		}
	}
	fail_msg("no pageblock without free pages");
}

/* CP4: deferral past its cap. */
static void break_cp4_defer(struct machine *m)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		if (populated_zone(&m->nodes[0].node_zones[zi]))
			m->nodes[0].node_zones[zi].compact_defer_shift = COMPACT_MAX_DEFER_SHIFT + 1;
}

/* CP5: kcompactd woken and never run. */
static void break_cp5_kcompactd(struct machine *m)
{
	m->nodes[0].kcompactd_runnable = true;
}

/* CP5: kcompactd's wait timed out and its check never ran (time went by without the timer). */
static void break_cp5_timeout(struct machine *m)
{
	m->jiffies = m->nodes[0].kcompactd_timeout + 1;
}

/*** The table ***/

static const struct corruption {
	const char *name;
	const char *expect;		/* every report starts with this */
	const char *must;		/* and one of them says this */
	const char *config;
	void (*setup)(struct machine *m);
	void (*corrupt)(struct machine *m);
} cases[] = {
	{ "1 managed", "1: ", "free + pcp + owned pages",
	 "{\"mem_mib\":64}", some_allocations, break_1_managed },
	{ "1 reserved free page", "1: ", "is PG_reserved and",
	 "{\"mem_mib\":64}", some_allocations, break_1_reserved_free },
	{ "2 order", "2: ", "is not a free order-",
	 "{\"mem_mib\":64}", some_allocations, break_2_order },
	{ "3 pageblock type", "3: ", "list in a",
	 "{\"mem_mib\":64}", some_allocations, break_3_pageblock },
	{ "4 unmerged buddies", "4: ", "did not merge",
	 "{\"mem_mib\":64}", some_allocations, break_4_unmerged },
	{ "5 nr_free", "5: ", "nr_free[0] is",
	 "{\"mem_mib\":64}", some_allocations, break_5_nr_free },
	{ "5 prev link", "5: ", "prev is",
	 "{\"mem_mib\":64}", some_allocations, break_5_prev },
	{ "6 pcp count", "6: ", "pcp count is",
	 "{\"mem_mib\":64}", some_allocations, break_6_pcp_count },
	{ "7 compound tail", "7: ", "is not a tail of",
	 "{\"mem_mib\":64}", some_allocations, break_7_tail },
	{ "7 owner count", "7: ", "the counter says",
	 "{\"mem_mib\":64}", some_allocations, break_7_owner_count },
	{ "8 watermarks", "8: ", "watermarks out of order",
	 "{\"mem_mib\":64}", some_allocations, break_8_watermarks },
	{ "9 mapcount", "9: ", "has _mapcount 0",
	 "{\"mem_mib\":64}", some_allocations, break_9_mapcount },
	{ "10 boost", "10: ", "above its cap",
	 "{\"mem_mib\":64}", some_allocations, break_10_boost },
	{ "10 highatomic", "10: ", "HighAtomic pageblocks hold",
	 "{\"mem_mib\":64}", some_allocations, break_10_highatomic },
	{ "S4 slab inuse", "S4: ", "objects in use, the cache counts",
	 "{\"mem_mib\":64}", some_objects, break_s4_slab_inuse },
	{ "S4 swiotlb used", "S4: swiotlb", "total_used",
	 "{\"mem_mib\":8192}", a_bounce, break_s4_swiotlb_used },
	{ "P6 pgtables", "P6: ", "tables, ",
	 "{\"mem_mib\":128}", a_process, break_p6_pgtables },
	{ "C2 CR0.PE", "C2: ", "without CR0.PE",
	 "{\"mem_mib\":64}", NULL, break_c2_pe },
	{ "C3 TLB count", "C3: ", "entries of 4K/2M/1G",
	 "{\"mem_mib\":64}", some_allocations, break_c3_count },
	{ "L1 LRU flags", "L1: ", "has flags",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_l1_flags },
	{ "L2 LRU counter", "L2: ", "the list holds",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_l2_counter },
	{ "L3 stray PG_lru", "L3: ", "pages have PG_lru",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_l3_stray },
	{ "R2 mapcount", "R2: ", "PTEs map it",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_r2_mapcount },
	{ "R3 refcount", "R3: ", "(file) has refcount",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_r3_refcount },
	{ "R4 anon_vma refcount", "R4: ", "hold it",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_r4_anon_vma },
	{ "R5 rmap offsets", "R5: ", "rmap offsets",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_r5_offsets },
	{ "F1 nrpages", "F1: ", "it counts",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_f1_nrpages },
	{ "F2 orphan page", "F2: ", "is not in its file's i_pages",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_f2_orphan },
	{ "F3 NR_FILE_MAPPED", "F3: ", "nr_mapped is",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_f3_mapped },
	{ "F4 dentry", "F4: ", "dentry and inode_cache slabs",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_f4_dentry },
	{ "SW1 header slot", "SW1: ", "the header slot",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_sw1_header },
	{ "SW2 cluster count", "SW2: ", "are used",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_sw2_cluster },
	{ "SW3 inuse_pages", "SW3: ", "slots in use, inuse_pages",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_sw3_inuse },
	{ "SW4 slot count", "SW4: ", "swap PTEs name it",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_sw4_count },
	{ "SW5 SWAP_HAS_CACHE", "SW5: ", "has SWAP_HAS_CACHE 1",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_sw5_has_cache },
	{ "SW6 stray swap cache", "SW6: ", "whose slot does not hold it",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_sw6_stray },
	{ "SW7 clean swap cache content", "SW7: ", "its slot",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_sw7_clean_content },
	{ "K1 kswapd state", "K1: ", "kswapd is in state",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_k1_state },
	{ "K2 kswapd order", "K2: ", "kswapd asks order -1",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_k2_order },
	{ "K3 kswapd failures", "K3: ", "kswapd_failures",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_k3_failures },
	{ "V1 ranges end", "V1: ", "the ranges end at",
	 "{\"mem_mib\":64}", a_vmalloc, break_v1_end },
	{ "V2 guard mapped", "V2: ", "guard page of area",
	 "{\"mem_mib\":64}", a_vmalloc, break_v2_guard },
	{ "V3 pages array", "V3: ", "with a 4 KiB PTE",
	 "{\"mem_mib\":64}", a_vmalloc, break_v3_pfn },
	{ "V4 vm_struct", "V4: ", "is no kmalloc object",
	 "{\"mem_mib\":64}", a_vmalloc, break_v4_vm_struct },
	{ "V5 vmap_lazy_nr", "V5: ", "the lazy ranges hold",
	 "{\"mem_mib\":64}", a_vmalloc, break_v5_lazy_nr },
	{ "S1 dead cache", "S1: ", "is not live",
	 "{\"mem_mib\":64}", objects_and_large, break_s1_dead_cache },
	{ "S2 freelist", "S2: ", "is not an object",
	 "{\"mem_mib\":64}", objects_and_large, break_s2_freelist },
	{ "S3 nr_partial", "S3: ", "partial slabs linked, nr_partial",
	 "{\"mem_mib\":64}", objects_and_large, break_s3_nr_partial },
	{ "S5 kmalloc_large type", "S5: ", "is not a compound PGTY_large_kmalloc block",
	 "{\"mem_mib\":64}", objects_and_large, break_s5_large_type },
	{ "S6 refcount", "S6: ", "has refcount",
	 "{\"mem_mib\":64}", objects_and_large, break_s6_refcount },
	{ "P1 boot table typed", "P1: ", "is PGTY_table",
	 "{\"mem_mib\":64}", NULL, break_p1_typed },
	{ "P2 table reserved", "P2: ", "is reserved after boot",
	 "{\"mem_mib\":64}", NULL, break_p2_owner },
	{ "P3 entry to no table", "P3: ", "not a level",
	 "{\"mem_mib\":64}", some_allocations, break_p3_not_table },
	{ "P4 zero page writable", "P4: ", "maps the zero page as",
	 "{\"mem_mib\":64}", a_reader, break_p4_zero_rw },
	{ "P5 kernel half", "P5: ", "init_top_pgt has",
	 "{\"mem_mib\":64}", a_reader, break_p5_kernel_half },
	{ "C1 TLB frame", "C1: ", "disagrees with the page tables",
	 "{\"mem_mib\":64}", a_reader, break_c1_tlb_pfn },
	{ "C4 TLB hint", "C4: ", "is not the L1 slot",
	 "{\"mem_mib\":64}", a_reader, break_c4_hint },
	{ "C5 walk cache", "C5: ", "is not what the tables hold",
	 "{\"mem_mib\":64}", a_reader, break_c5_walk_cache },
	{ "O1 oom_score_adj", "O1: ", "is out of range",
	 "{\"mem_mib\":256,\"cpus\":2}", group_oom, break_o1_adj },
	{ "O2 reaped non-victim", "O2: ", "is no OOM victim",
	 "{\"mem_mib\":256,\"cpus\":2}", group_oom, break_o2_not_victim },
	{ "O3 log length", "O3: ", "the kernel log says",
	 "{\"mem_mib\":256,\"cpus\":2}", group_oom, break_o3_log_len },
	{ "M1 memory.current", "M1: ", "pages carry its id",
	 "{\"mem_mib\":256,\"cpus\":2}", group_oom, break_m1_usage },
	{ "M2 unknown group", "M2: ", "which does not exist",
	 "{\"mem_mib\":256,\"cpus\":2}", group_oom, break_m2_id },
	{ "M3 back link", "M3: ", "does not belong there",
	 "{\"mem_mib\":256,\"cpus\":2}", group_oom, break_m3_list },
	{ "M3 link beyond the machine", "M3: ", "beyond the machine",
	 "{\"mem_mib\":256,\"cpus\":2}", group_oom, break_m3_beyond },
	{ "M4 peak", "M4: ", "peak",
	 "{\"mem_mib\":256,\"cpus\":2}", group_oom, break_m4_peak },
	{ "CP1 isolated count", "CP1: ", "isolated between ops",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_cp1_isolated },
	{ "CP2 migration entry", "CP2: ", "migration entry",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_cp2_migration_entry },
	{ "CP3 isolated pageblock", "CP3: ", "is isolated between ops",
	 "{\"mem_mib\":64}", some_allocations, break_cp3_isolated_block },
	{ "CP4 deferral", "CP4: ", "defer_shift 7",
	 "{\"mem_mib\":64}", some_allocations, break_cp4_defer },
	{ "CP5 kcompactd", "CP5: ", "run pending",
	 "{\"mem_mib\":64}", some_allocations, break_cp5_kcompactd },
	{ "CP5 kcompactd timeout", "CP5: ", "waits until jiffies",
	 "{\"mem_mib\":64}", some_allocations, break_cp5_timeout },
};

struct reports {
	const char *expect, *must;
	unsigned int n, wrong, said;
	char first_wrong[256];
};

static void collect(void *ctx, const char *v)
{
	struct reports *r = ctx;

	r->n++;
	r->said += strstr(v, r->must) != NULL;
	if (strncmp(v, r->expect, strlen(r->expect)) && !r->wrong++)
		snprintf(r->first_wrong, sizeof(r->first_wrong), "%s", v);
}

static void run_case(const struct corruption *c)
{
	struct machine *m, *bad;
	struct reports r = { c->expect, c->must, 0, 0, 0, "" };
	unsigned long count;

	print_message("%s\n", c->name);
	m = make(c->config, NULL, NULL);
	if (c->setup)
		c->setup(m);
	assert_clean(m);
	bad = machine_clone(m);
	assert_non_null(bad);
	c->corrupt(bad);
	count = machine_check(bad, collect, &r);
	if (!count)
		fail_msg("%s: the check saw nothing", c->name);
	if (r.wrong)
		fail_msg("%s: %u of %u reports do not start with \"%s\", e.g. \"%s\"", c->name,
			 r.wrong, r.n, c->expect, r.first_wrong);
	if (!r.said)
		fail_msg("%s: no report says \"%s\"", c->name, c->must);
	assert_int_equal(count, r.n);
	assert_int_equal(machine_check(bad, NULL, NULL), count);	/* counted without a callback too */
	assert_clean(m);
	machine_destroy(bad);
	machine_destroy(m);
}

static void test_each_corruption_is_reported(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static bool has_case(const char *want)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].expect, want))
			return true;
	return false;
}

/*
 * Every numbered invariant of page_alloc.c's design notes has a row, and so
 * has each of the LRU (swap.c), rmap and page cache (lru_check.c), swap
 * (swapfile.c), kswapd (vmscan.c), vmalloc (vmalloc.c), slab (slub.c; its
 * S1..S4 share their names with swiotlb.c's, whose S4 has a row), page
 * table (pgtable.c), CPU and TLB (mmu.c), OOM killer (oom_kill.c) and
 * memory cgroup (memcontrol.c) invariants. R1 is the one left out,
 * as no corruption breaks it alone: a PTE to a page that is not a user or
 * page-cache page is P4's (pgtable.c), a mapped page with no reference left
 * is 7's, a user page without a mapping is F2's; and a PTE that rmap_walk()
 * does not find is one its walk does not count, which R2 reports as well.
 */
static void test_every_numbered_invariant_has_a_case(void **state)
{
	static const struct {
		const char *block;
		int last;
	} blocks[] = { { "L", 3 }, { "R", 5 }, { "F", 4 }, { "SW", 6 }, { "K", 3 },
		       { "V", 5 }, { "S", 6 }, { "P", 6 }, { "C", 5 }, { "O", 3 }, { "M", 4 },
		       { "CP", 5 } };
	char want[16];

	(void)state;
	for (int n = 1; n <= 10; n++) {
		snprintf(want, sizeof(want), "%d: ", n);
		if (!has_case(want))
			fail_msg("invariant %d has no corruption case", n);
	}
	for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++)
		for (int n = 1; n <= blocks[b].last; n++) {
			snprintf(want, sizeof(want), "%s%d: ", blocks[b].block, n);
			if (strcmp(want, "R1: ") && !has_case(want))
				fail_msg("invariant %s%d has no corruption case", blocks[b].block, n);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_corruption_is_reported),
		cmocka_unit_test(test_every_numbered_invariant_has_a_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
