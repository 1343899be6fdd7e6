/*
 * test_check.c - the self-check shown to catch what it promises: for each
 * invariant machine_check() verifies (the design notes of page_alloc.c,
 * slub.c, swiotlb.c, pgtable.c and mmu.c; the LRU of swap.c, the rmap and
 * page cache of lru_check.c, the swap device of swapfile.c and kswapd of
 * vmscan.c), a clone of a clean machine is
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
	{ "K1 kswapd state", "K1: ", "kswapd is in state",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_k1_state },
	{ "K2 kswapd order", "K2: ", "kswapd asks order -1",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_k2_order },
	{ "K3 kswapd failures", "K3: ", "kswapd_failures",
	 "{\"mem_mib\":64,\"swap_mib\":64}", under_pressure, break_k3_failures },
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
 * (swapfile.c) and kswapd (vmscan.c) invariants. R1 is the one left out,
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
	} blocks[] = { { "L", 3 }, { "R", 4 }, { "F", 4 }, { "SW", 6 }, { "K", 3 }, { "CP", 5 } };
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
