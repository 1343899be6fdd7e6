/*
 * internal.h - the engine's own structures, shared only by engine units.
 *
 * Mirrors include/linux/mm_types.h (struct page), include/linux/mmzone.h
 * (struct zone, struct free_area, struct per_cpu_pages, pg_data_t) and
 * mm/internal.h. Two ideas to hold before reading on:
 *
 *  - Lists are linked by pfn, not by pointer: a free list head holds the first
 *    and last pfn, each struct page holds the next and previous pfn. A machine
 *    is then a handful of flat arrays that can be copied (machine_clone) or
 *    written out without fixing up a single pointer.
 *  - The struct page array (mem_map) is indexed by pfn from 0 to max_pfn.
 *    Frames in holes keep an all-zero struct page (OWNER_HOLE) that is never
 *    written, so the host never backs them with memory.
 */
#ifndef MMLAB_INTERNAL_H
#define MMLAB_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mmlab.h"

/*** Constants (x86-64, 4 KiB pages) ***/

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define HPAGE_PMD_ORDER		9
/*
 * pageblock_order is min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER) with transparent
 * hugepages (include/linux/pageblock-flags.h; PAGE_BLOCK_MAX_ORDER defaults
 * to MAX_PAGE_ORDER): it follows the machine's max_order, so it reads the
 * machine @m in scope.
 */
#define pageblock_order		((m)->pb_order)
#define pageblock_nr_pages	(1UL << pageblock_order)
#define PAGE_ALLOC_COSTLY_ORDER	3

/*
 * The clock (timer.c): CONFIG_HZ_250, as Debian's x86-64 kernels; jiffies
 * start 5 minutes before they would wrap 32 bits (include/linux/jiffies.h).
 */
#define HZ			250u
#define INITIAL_JIFFIES		((uint64_t)(uint32_t)(-300 * (int)HZ))
/* msecs_to_jiffies(): rounded up. */
static inline uint64_t msecs_to_jiffies(uint64_t ms)
{
	return (ms + 1000u / HZ - 1) / (1000u / HZ);
}
#define MIGRATE_PCPTYPES	3
/* include/linux/mmzone.h: two more lists for THP-order blocks (CONFIG_TRANSPARENT_HUGEPAGE) */
#define NR_LOWORDER_PCP_LISTS	(MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))
#define NR_PCP_THP		2
#define NR_PCP_LISTS		(NR_LOWORDER_PCP_LISTS + NR_PCP_THP)
#define PCP_BATCH_SCALE_MAX	5	/* CONFIG_PCP_BATCH_SCALE_MAX */
#define MIN_PERCPU_PAGELIST_HIGH_FRACTION 8
#define SWAP_CLUSTER_MAX	32UL
#define WATERMARK_BOOST_FACTOR	15000	/* vm.watermark_boost_factor's default */
#define PFN_NIL			UINT32_MAX	/* end of a pfn-linked list */

#define PFN_PHYS(pfn)		((uint64_t)(pfn) << PAGE_SHIFT)
#define PHYS_PFN(addr)		((uint64_t)(addr) >> PAGE_SHIFT)
#define SZ_1M			(1ULL << 20)
#define SZ_1G			(1ULL << 30)

/* A broken invariant is a bug in the engine, never a simulated event. */
#define SIM_BUG_ON(cond)						\
	do {								\
		if (__builtin_expect(!!(cond), 0)) {			\
			fprintf(stderr, "mmlab: BUG at %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/*** Page flags (include/linux/page-flags.h, enum pageflags of 6.18 on x86-64) ***/

/*
 * The bits of page->flags, numbered as 6.18 numbers them (CONFIG_MMU and
 * CONFIG_MEMORY_FAILURE set, no PG_arch_2/3). Only real flags live here:
 * what a page is used for (free in the buddy, a slab, a page table) is a
 * page type (enum pagetype), and a tail page is marked by bit 0 of
 * compound_head in the kernel (page->tail here).
 */
enum pageflags {
	PG_locked,
	PG_writeback,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_head,
	PG_waiters,
	PG_active,
	PG_workingset,
	PG_owner_priv_1,
	PG_owner_2,
	PG_arch_1,
	PG_reserved,
	PG_private,
	PG_private_2,
	PG_reclaim,
	PG_swapbacked,
	PG_unevictable,
	PG_dropbehind,
	PG_mlocked,
	PG_hwpoison,
	NR_PAGEFLAGS		/* __NR_PAGEFLAGS */
};

/*
 * Page types (include/linux/page-flags.h, enum pagetype): kept in the top
 * byte of page->page_type, which shares its word with _mapcount. An untyped
 * page reads UINT_MAX there (_mapcount -1); __SetPageBuddy() and friends
 * write type << 24 and __ClearPage*() puts UINT_MAX back.
 */
enum pagetype {
	PGTY_buddy		= 0xf0,
	PGTY_offline		= 0xf1,
	PGTY_table		= 0xf2,
	PGTY_guard		= 0xf3,
	PGTY_hugetlb		= 0xf4,
	PGTY_slab		= 0xf5,
	PGTY_zsmalloc		= 0xf6,
	PGTY_unaccepted		= 0xf7,
	PGTY_large_kmalloc	= 0xf8,
	PGTY_mapcount_underflow	= 0xff
};

/*** struct page (include/linux/mm_types.h) ***/

struct page {
	uint32_t flags;		/* 1 << PG_* */
	uint8_t owner;		/* enum page_owner */
	uint8_t order;		/* order of the allocated block (its head) */
	uint8_t zone;		/* enum zone_type */
	uint8_t mt;		/* free: the list's migratetype; allocated: the request's */
	int32_t _refcount;
	union {			/* one word in the kernel too */
		uint32_t page_type;	/* enum pagetype << 24, or UINT32_MAX */
		int32_t _mapcount;	/* -1 when not mapped, 0 when mapped once */
	};
	uint16_t node;
	uint8_t tail;		/* a compound tail: compound_head bit 0 in the kernel */
	uint8_t reserved_pad;
	uint32_t index_hi;	/* page->index bits 63..32 of a user page (lru.h) */
	uint64_t private;	/* buddy order while free */
	uint32_t next, prev;	/* list node: pfns, PFN_NIL at the ends */
	uint32_t compound_head;	/* pfn of the block's head (itself for a head) */
	uint32_t index;		/* page->index; a table's slot in the table store */
	union {
		struct {
			uint32_t slab_cache;	/* kmem_cache index */
			uint16_t inuse;
			uint16_t objects;
			uint64_t freelist;	/* address of the first free object */
		} slab;
		struct {		/* a user or file page (lru.h): struct folio's words */
			uint64_t mapping;	/* 0; (file id + 1) << 1; anon_vma id << 1 | 1 */
			uint32_t memcg_id;	/* 0: the root memory cgroup */
			uint32_t content;	/* the frame's data identity (not a kernel field) */
		} folio;
		uint64_t raw[2];
	};
};

_Static_assert(sizeof(struct page) == 64, "struct page must be 64 bytes");

/*** Lists linked by pfn ***/

struct list_head {
	uint32_t first, last;
	uint64_t nr;		/* entries (blocks), for pagetypeinfo */
};

/*** struct zone and friends (include/linux/mmzone.h) ***/

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO, NR_WMARK };

struct free_area {
	struct list_head free_list[MIGRATE_TYPES];
	uint64_t nr_free;	/* blocks of this order, all types */
};

/* pcp->flags */
#define PCPF_PREV_FREE_HIGH_ORDER	0x01
#define PCPF_FREE_HIGH_BATCH		0x02

struct per_cpu_pages {
	int count;		/* pages on the lists */
	int high;
	int high_min;
	int high_max;
	int batch;
	uint8_t flags;
	uint8_t alloc_factor;
	int free_count;
	struct list_head lists[NR_PCP_LISTS];
};

struct zone {
	uint64_t _watermark[NR_WMARK];
	uint64_t watermark_boost;
	uint64_t nr_reserved_highatomic;
	uint64_t lowmem_reserve[MAX_NR_ZONES];
	int node;
	int idx;			/* enum zone_type */
	uint64_t zone_start_pfn;
	uint64_t spanned_pages;
	uint64_t present_pages;
	uint64_t managed_pages;
	struct free_area free_area[MAX_NR_ORDERS];
	uint64_t nr_free_pages;		/* NR_FREE_PAGES: buddy lists only */
	uint64_t nr_free_highatomic;
	uint64_t owner_pages[NR_PAGE_OWNERS];
	int pageset_high_min, pageset_high_max, pageset_batch;
	bool below_high;		/* ZONE_BELOW_HIGH */
	bool boosted_watermark;		/* ZONE_BOOSTED_WATERMARK: kswapd is to be woken */
	struct per_cpu_pages *pcp;	/* one per CPU */
	uint64_t numa_hit, numa_miss, numa_foreign, numa_local, numa_other;
	/* compaction (compaction.c): where the scanners resume, and deferral */
	uint64_t compact_cached_free_pfn;
	uint64_t compact_cached_migrate_pfn[2];	/* [0] async, [1] sync */
	uint64_t compact_init_migrate_pfn;
	uint64_t compact_init_free_pfn;
	unsigned int compact_considered;
	unsigned int compact_defer_shift;
	int compact_order_failed;
	bool compact_blockskip_flush;
};

static inline bool populated_zone(const struct zone *z)
{
	return z->present_pages != 0;
}

static inline bool managed_zone(const struct zone *z)
{
	return z->managed_pages != 0;
}

static inline uint64_t zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}

/*
 * The LRU lists of a node (include/linux/mmzone.h: enum lru_list, struct
 * lruvec) and the node's page counters (enum node_stat_item, pgdat->vm_stat).
 * pg_data_t embeds them, so they are here; lru.h has the functions.
 */
enum lru_list {
	LRU_INACTIVE_ANON, LRU_ACTIVE_ANON, LRU_INACTIVE_FILE, LRU_ACTIVE_FILE,
	LRU_UNEVICTABLE, NR_LRU_LISTS
};
#define LRU_BASE	0
#define LRU_ACTIVE	1
#define LRU_FILE	2
#define NR_EVICTABLE_LRU_LISTS	LRU_UNEVICTABLE
enum { LRU_GEN_ANON, LRU_GEN_FILE, ANON_AND_FILE };	/* index of refaults[] */

struct lruvec {
	struct list_head lists[NR_LRU_LISTS];	/* linked by pfn through page->next/prev */
	uint64_t anon_cost, file_cost;		/* lru_note_cost() */
	uint64_t nonresident_age;		/* workingset_age_nonresident() */
	uint64_t refaults[ANON_AND_FILE];	/* the last reclaim's snapshot of refaults */
	int memcg_id, node;
};

/* enum node_stat_item of 6.18, the items the engine keeps (same order). */
enum node_stat_item {
	NR_LRU_BASE,
	NR_INACTIVE_ANON = NR_LRU_BASE,
	NR_ACTIVE_ANON,
	NR_INACTIVE_FILE,
	NR_ACTIVE_FILE,
	NR_UNEVICTABLE,
	NR_SLAB_RECLAIMABLE_B,
	NR_SLAB_UNRECLAIMABLE_B,
	NR_ISOLATED_ANON,
	NR_ISOLATED_FILE,
	WORKINGSET_NODES,
	WORKINGSET_REFAULT_BASE,
	WORKINGSET_REFAULT_ANON = WORKINGSET_REFAULT_BASE,
	WORKINGSET_REFAULT_FILE,
	WORKINGSET_ACTIVATE_BASE,
	WORKINGSET_ACTIVATE_ANON = WORKINGSET_ACTIVATE_BASE,
	WORKINGSET_ACTIVATE_FILE,
	WORKINGSET_RESTORE_BASE,
	WORKINGSET_RESTORE_ANON = WORKINGSET_RESTORE_BASE,
	WORKINGSET_RESTORE_FILE,
	WORKINGSET_NODERECLAIM,
	NR_ANON_MAPPED,
	NR_FILE_MAPPED,
	NR_FILE_PAGES,
	NR_FILE_DIRTY,
	NR_WRITEBACK,
	NR_SHMEM,
	NR_VMSCAN_WRITE,
	NR_VMSCAN_IMMEDIATE,
	NR_DIRTIED,
	NR_WRITTEN,
	NR_SWAPCACHE,
	NR_VM_NODE_STAT_ITEMS
};

/*
 * enum vm_event_item of 6.18 (include/linux/vm_event_item.h) for x86-64
 * with CONFIG_NUMA, MIGRATION, COMPACTION and SWAP, in its order; the THP,
 * balloon, KSM, zswap and debug items are left out. m->vm_events[].
 */
#define FOR_ALL_ZONES(xx) xx##_DMA, xx##_DMA32, xx##_NORMAL, xx##_MOVABLE, xx##_DEVICE
enum vm_event_item {
	PGPGIN, PGPGOUT, PSWPIN, PSWPOUT,
	FOR_ALL_ZONES(PGALLOC),
	FOR_ALL_ZONES(ALLOCSTALL),
	FOR_ALL_ZONES(PGSCAN_SKIP),
	PGFREE, PGACTIVATE, PGDEACTIVATE, PGLAZYFREE,
	PGFAULT, PGMAJFAULT,
	PGLAZYFREED,
	PGREFILL,
	PGREUSE,
	PGSTEAL_KSWAPD, PGSTEAL_DIRECT, PGSTEAL_KHUGEPAGED, PGSTEAL_PROACTIVE,
	PGSCAN_KSWAPD, PGSCAN_DIRECT, PGSCAN_KHUGEPAGED, PGSCAN_PROACTIVE,
	PGSCAN_DIRECT_THROTTLE,
	PGSCAN_ANON, PGSCAN_FILE, PGSTEAL_ANON, PGSTEAL_FILE,
	PGSCAN_ZONE_RECLAIM_SUCCESS, PGSCAN_ZONE_RECLAIM_FAILED,
	PGINODESTEAL, SLABS_SCANNED, KSWAPD_INODESTEAL,
	KSWAPD_LOW_WMARK_HIT_QUICKLY, KSWAPD_HIGH_WMARK_HIT_QUICKLY,
	PAGEOUTRUN, PGROTATED,
	DROP_PAGECACHE, DROP_SLAB,
	OOM_KILL,
	PGMIGRATE_SUCCESS, PGMIGRATE_FAIL,
	COMPACTMIGRATE_SCANNED, COMPACTFREE_SCANNED,
	COMPACTISOLATED,
	COMPACTSTALL, COMPACTFAIL, COMPACTSUCCESS,
	KCOMPACTD_WAKE,
	KCOMPACTD_MIGRATE_SCANNED, KCOMPACTD_FREE_SCANNED,
	UNEVICTABLE_PGCULLED, UNEVICTABLE_PGSCANNED, UNEVICTABLE_PGRESCUED,
	UNEVICTABLE_PGMLOCKED, UNEVICTABLE_PGMUNLOCKED, UNEVICTABLE_PGCLEARED,
	UNEVICTABLE_PGSTRANDED,
	SWAP_RA, SWAP_RA_HIT, SWPIN_ZERO, SWPOUT_ZERO,
	NR_VM_EVENT_ITEMS
};

/* One entry of a node's fallback zonelist. */
struct zoneref {
	uint16_t node;
	uint16_t zone;
};

typedef struct pglist_data {
	int node_id;
	uint64_t node_start_pfn;
	uint64_t node_spanned_pages;
	uint64_t node_present_pages;
	struct zone node_zones[MAX_NR_ZONES];
	unsigned int nr_zonerefs;
	struct zoneref *zonelist;	/* ZONELIST_FALLBACK */
	int nr_cpus;			/* CPUs local to this node */
	struct lruvec __lruvec;		/* the root memory cgroup's LRU lists (lru.h) */
	int64_t vm_stat[NR_VM_NODE_STAT_ITEMS];	/* node_page_state() */
	/* kswapd of this node (vmscan.c; mm/vmscan.c, include/linux/mmzone.h) */
	int kswapd_order;		/* the largest order a waker asked for */
	int kswapd_highest_zoneidx;	/* MAX_NR_ZONES: no request pending */
	int kswapd_failures;		/* balance_pgdat() runs that reclaimed nothing */
	int kswapd_state;		/* sleeping, runnable, napping (vmscan.c) */
	int kswapd_run_order, kswapd_run_zoneidx;	/* what its last run balanced for */
	uint32_t kswapd_allocs;		/* pages allocated on the node since it was woken */
	int kswapd_alloc_order;		/* the order its last run was woken for */
	/* kcompactd of this node (compaction.c; mm/compaction.c) */
	int kcompactd_max_order;
	int kcompactd_highest_zoneidx;
	bool kcompactd_runnable;	/* woken, runs at the end of the op */
	bool proactive_compact_trigger;	/* the sysctl's write woke it for a proactive check */
	uint64_t kcompactd_timeout;	/* the jiffies its wait times out at; 0: none */
} pg_data_t;

/*** memblock (include/linux/memblock.h) ***/

struct memblock_region {
	uint64_t base;		/* pfn */
	uint64_t size;		/* pages */
	int nid;
	int owner;		/* enum page_owner of a reservation */
};

struct memblock_type {
	unsigned long cnt, max;
	struct memblock_region *regions;
};

struct memblock {
	struct memblock_type memory;
	struct memblock_type reserved;
};

/*** The machine ***/

struct machine {
	struct machine_config cfg;
	mm_event_fn event_fn;
	void *event_ctx;

	struct page *mem_map;		/* indexed by pfn, [0, max_pfn) */
	uint64_t max_pfn;
	uint8_t *pageblock_mt;		/* one per pageblock */
	unsigned int max_order;
	unsigned int pb_order;		/* pageblock_order: min(HPAGE_PMD_ORDER, max_order) */

	unsigned int nr_nodes;
	pg_data_t *nodes;
	unsigned int nr_cpus;
	int *cpu_to_node;

	struct memblock memblock;
	uint64_t present_pages;
	uint64_t totalram_pages;
	uint64_t totalreserve_pages;
	uint64_t mem_map_bytes;
	uint64_t percpu_pages;
	uint64_t early_pgtable_pages;
	long min_free_kbytes;
	int watermark_scale_factor;
	bool thp_enabled;
	bool booted;

	/* The clock (timer.c): ticks of HZ since INITIAL_JIFFIES; only the idle op moves it */
	uint64_t jiffies;

	unsigned long fail_nth;		/* 0: off; else the Nth allocation fails */
	uint64_t nr_allocs;

	char detail[160];		/* event detail text, valid during a callback */

	/* Kernel allocators above the buddy (slab.h; slub.c, vmalloc.c) */
	struct slab_state *slab;
	struct vmalloc_state *vmalloc;

	/* Page tables, CPUs and TLBs, processes (pgtable.h; pgtable.c, mmu.c, boot.c, mm.c) */
	struct x86_state *x86;

	/* The swiotlb bounce-buffer pool, NULL when there is none (swiotlb.h; swiotlb.c) */
	struct swiotlb_pool *swiotlb;

	/* Memory pressure (lru.h): files and their page cache, anon_vmas, vm events */
	struct file_table *files;	/* filemap.c */
	struct anon_vma_table *anon_vmas;	/* rmap.c */
	uint64_t vm_events[NR_VM_EVENT_ITEMS];	/* count_vm_event(): /proc/vmstat */
	uint32_t next_content;		/* the next fresh anonymous content tag */
	int dirty_ratio, dirty_background_ratio;	/* vm.dirty_ratio, vm.dirty_background_ratio */
	/* Reclaim and swap (swap.h; swapfile.c, swap_state.c, vmscan.c, workingset.c) */
	struct swap_state *swap;	/* NULL: no swap device */
	int swappiness;			/* vm.swappiness */
	bool in_reclaim;		/* reclaim is running: its own allocations do not recurse */
	/* The OOM killer's log and counters, NULL before its first report (oom.h; oom_kill.c) */
	struct oom_state *oom;
	/* Memory cgroups, NULL before the first (memcontrol.h; memcontrol.c) */
	struct memcg_state *memcg;
	/* Compaction's sysctls (compaction.c) */
	int extfrag_threshold;		/* vm.extfrag_threshold */
	unsigned int compaction_proactiveness;	/* vm.compaction_proactiveness */
	int compact_unevictable_allowed;	/* vm.compact_unevictable_allowed */
	int active_memcg;		/* set_active_memcg(): memcg id + 1 an op charges to, 0 none */
	/* current->capture_control: set only while direct compaction runs (compaction.h) */
	struct capture_control *capture_control;
};

static inline struct page *pfn_to_page(const struct machine *m, uint64_t pfn)
{
	return &m->mem_map[pfn];
}

static inline uint64_t page_to_pfn(const struct machine *m, const struct page *p)
{
	return (uint64_t)(p - m->mem_map);
}

static inline struct zone *page_zone(const struct machine *m, const struct page *p)
{
	return &m->nodes[p->node].node_zones[p->zone];
}

/*** Lists linked by pfn (free lists, pcp lists, slab lists) ***/

static inline void pfn_list_add_head(struct machine *m, struct list_head *h, uint32_t pfn)
{
	struct page *p = &m->mem_map[pfn];

	p->prev = PFN_NIL;
	p->next = h->first;
	if (h->first != PFN_NIL)
		m->mem_map[h->first].prev = pfn;
	else
		h->last = pfn;
	h->first = pfn;
	h->nr++;
}

static inline void pfn_list_add_tail(struct machine *m, struct list_head *h, uint32_t pfn)
{
	struct page *p = &m->mem_map[pfn];

	p->next = PFN_NIL;
	p->prev = h->last;
	if (h->last != PFN_NIL)
		m->mem_map[h->last].next = pfn;
	else
		h->first = pfn;
	h->last = pfn;
	h->nr++;
}

static inline void pfn_list_del(struct machine *m, struct list_head *h, uint32_t pfn)
{
	struct page *p = &m->mem_map[pfn];

	if (p->prev != PFN_NIL)
		m->mem_map[p->prev].next = p->next;
	else
		h->first = p->next;
	if (p->next != PFN_NIL)
		m->mem_map[p->next].prev = p->prev;
	else
		h->last = p->prev;
	p->next = p->prev = PFN_NIL;
	h->nr--;
}

static inline bool page_test(const struct page *p, int bit)
{
	return p->flags & (1u << bit);
}

static inline void page_set(struct page *p, int bit)
{
	p->flags |= 1u << bit;
}

static inline void page_clear(struct page *p, int bit)
{
	p->flags &= ~(1u << bit);
}

/*
 * page_has_type(): the word holds a type rather than a map count. As in the
 * kernel the test is signed: map counts are -1 and up, types are the
 * negative words below 0xff000000.
 */
static inline bool page_has_type(const struct page *p)
{
	return p->_mapcount < (int32_t)((uint32_t)PGTY_mapcount_underflow << 24);
}

static inline bool page_type_is(const struct page *p, enum pagetype t)
{
	return (p->page_type >> 24) == (uint32_t)t;
}

/* __SetPageBuddy() and friends: only an untyped, unmapped page takes a type. */
static inline void page_type_set(struct page *p, enum pagetype t)
{
	SIM_BUG_ON(p->page_type != UINT32_MAX);
	p->page_type = (uint32_t)t << 24;
}

/* __ClearPageBuddy() and friends. */
static inline void page_type_clear(struct page *p, enum pagetype t)
{
	SIM_BUG_ON(!page_type_is(p, t));
	p->page_type = UINT32_MAX;
}

#define PageBuddy(p)	page_type_is((p), PGTY_buddy)
#define PageSlab(p)	page_type_is((p), PGTY_slab)
#define PageTable(p)	page_type_is((p), PGTY_table)

/* Name of a page type as enum pagetype spells it, "" for none. */
const char *page_type_name(uint32_t page_type);
/* mm.c: my_zero_pfn(), the frame of empty_zero_page in the kernel image. */
uint64_t zero_pfn(const struct machine *m);

/*
 * The pageblock flags (include/linux/pageblock-flags.h): the migratetype in
 * the low three bits (MIGRATETYPE_MASK), compaction's skip hint in
 * PB_compact_skip, and isolation in PB_migrate_isolate, which leaves the
 * migratetype bits as they were: an isolated block reads MIGRATE_ISOLATE.
 */
#define PB_compact_skip		3
#define PB_migrate_isolate	4
#define MIGRATETYPE_MASK	0x7u

static inline int get_pageblock_migratetype(const struct machine *m, uint64_t pfn)
{
	uint8_t b = m->pageblock_mt[pfn >> pageblock_order];

	return b & (1u << PB_migrate_isolate) ? MIGRATE_ISOLATE : (int)(b & MIGRATETYPE_MASK);
}

static inline bool get_pageblock_isolate(const struct machine *m, uint64_t pfn)
{
	return m->pageblock_mt[pfn >> pageblock_order] & (1u << PB_migrate_isolate);
}

static inline bool get_pageblock_skip(const struct machine *m, uint64_t pfn)
{
	return m->pageblock_mt[pfn >> pageblock_order] & (1u << PB_compact_skip);
}

static inline void set_pageblock_skip(struct machine *m, uint64_t pfn)
{
	m->pageblock_mt[pfn >> pageblock_order] |= 1u << PB_compact_skip;
}

static inline void clear_pageblock_skip(struct machine *m, uint64_t pfn)
{
	m->pageblock_mt[pfn >> pageblock_order] &= (uint8_t)~(1u << PB_compact_skip);
}

static inline bool events_on(const struct machine *m)
{
	return m->event_fn != NULL;
}

static inline void emit(struct machine *m, const struct mm_event *ev)
{
	m->event_fn(m->event_ctx, ev);
}

/*** Units' internal entry points ***/

/* gfp.c */
#define __GFP_DMA		0x01u
#define __GFP_HIGHMEM		0x02u
#define __GFP_DMA32		0x04u
#define __GFP_MOVABLE		0x08u
#define __GFP_RECLAIMABLE	0x10u
#define __GFP_HIGH		0x20u
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_ZERO		0x100u
#define __GFP_DIRECT_RECLAIM	0x400u
#define __GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_WRITE		0x1000u
#define __GFP_NOWARN		0x2000u
#define __GFP_RETRY_MAYFAIL	0x4000u
#define __GFP_NOFAIL		0x8000u
#define __GFP_NORETRY		0x10000u
#define __GFP_MEMALLOC		0x20000u
#define __GFP_COMP		0x40000u
#define __GFP_NOMEMALLOC	0x80000u
#define __GFP_HARDWALL		0x100000u
#define __GFP_THISNODE		0x200000u
#define __GFP_ACCOUNT		0x400000u
#define __GFP_ZEROTAGS		0x800000u
#define __GFP_BITS_MASK		((1u << 26) - 1)
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_ZONEMASK		(__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)
#define GFP_MOVABLE_MASK	(__GFP_RECLAIMABLE | __GFP_MOVABLE)
#define GFP_MOVABLE_SHIFT	3

#define GFP_ATOMIC		(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT		(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_NOIO		(__GFP_RECLAIM)
#define GFP_NOFS		(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER		(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA			__GFP_DMA
#define GFP_DMA32		__GFP_DMA32
#define GFP_HIGHUSER		(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE	(GFP_HIGHUSER | __GFP_MOVABLE)
#define GFP_TRANSHUGE_LIGHT	((GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | \
				  __GFP_NOWARN) & ~__GFP_RECLAIM)
#define GFP_TRANSHUGE		(GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

/* memblock.c */
int memblock_add(struct machine *m, uint64_t base, uint64_t size, int nid);
int memblock_reserve(struct machine *m, uint64_t base, uint64_t size, int owner,
		     const char *what);
int memblock_alloc_top_down(struct machine *m, uint64_t size, uint64_t align, int nid,
			    int owner, const char *what, uint64_t *pfn);
int memblock_alloc_range_top_down(struct machine *m, uint64_t size, uint64_t align,
				  uint64_t limit, int owner, const char *what, uint64_t *pfn);
int memblock_setup_reservations(struct machine *m);
void memblock_free_all(struct machine *m);
bool memblock_is_memory(const struct machine *m, uint64_t pfn);
/* RAM pages of the pfns [start, end), from memblock.memory. */
uint64_t memblock_memory_pages_in(const struct machine *m, uint64_t start, uint64_t end);

/* check.c: format one invariant violation for @fn (which may be NULL); counts 1. */
unsigned long mm_vreport(mm_violation_fn fn, void *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* mm_vreport() with the arguments in place. */
unsigned long mm_report(mm_violation_fn fn, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void memblock_release(struct memblock *mb);
int memblock_copy(struct memblock *dst, const struct memblock *src);

/* mm_init.c (import) */
int zoneinfo_import(struct machine *m, const char *text, struct mm_error *e);

/* mm_init.c */
void mm_core_init_buddy(struct machine *m);

/* page_alloc.c */
int __alloc_pages(struct machine *m, gfp_t gfp, unsigned int order, int node, int cpu,
		  int owner, struct alloc_pages_result *res, struct mm_error *e);
int __free_pages_owner(struct machine *m, uint64_t pfn, unsigned int order, int cpu,
		       int owner, struct mm_error *e);
int free_unref_folio_batched(struct machine *m, uint64_t pfn, int cpu, int owner);
void __free_pages_core(struct machine *m, uint64_t pfn, unsigned int order);
void build_all_zonelists(struct machine *m);
void init_per_zone_wmark_min(struct machine *m);
void setup_zone_pagesets(struct machine *m);
void set_pageblock_migratetype(struct machine *m, uint64_t pfn, int mt);
void set_block_owner(struct machine *m, struct zone *z, uint64_t pfn,
		     uint64_t nr, int owner);
int pcp_list_migratetype(int pindex);
int pcp_list_order(int pindex);
/*
 * __isolate_free_page(): a free block off its list for compaction or
 * isolation, held by OWNER_OTHER, refcount 0; 0 when the zone's min
 * watermark forbids it, else its pages. page_alloc.c.
 */
uint64_t __isolate_free_page(struct machine *m, uint64_t pfn, unsigned int order);
/* Give a block __isolate_free_page() took back to the allocator (__free_pages()). */
void release_isolated_block(struct machine *m, uint64_t pfn, unsigned int order, int cpu);
/*
 * Pageblock isolation (mm/page_isolation.c): set_migratetype_isolate() puts
 * the pageblock of @pfn under MIGRATE_ISOLATE, its free pages on the
 * isolate lists, unless it holds a page that cannot move (-EBUSY, *@why
 * says which); unset_migratetype_isolate() gives it its type back and
 * merges its free pages with their buddies.
 */
int set_migratetype_isolate(struct machine *m, uint64_t pfn, uint64_t *bad_pfn,
			    const char **why);
void unset_migratetype_isolate(struct machine *m, uint64_t pfn);
/* drain_local_pages() of one zone: @cpu's per-CPU lists back to the buddy. */
void drain_pages_zone(struct machine *m, struct zone *z, int cpu);
/* __zone_watermark_ok() with an explicit count of free pages (page_alloc.c). */
bool zone_watermark_ok_free(const struct zone *z, unsigned int order, uint64_t mark,
			    int highest_zoneidx, unsigned int alloc_flags, long free_pages);
/* find_suitable_fallback() with claimable only: may @order of @mt's fallbacks be claimed? */
bool compaction_fallback_ok(const struct machine *m, const struct zone *z, unsigned int order,
			    int mt);

/* textbuf.c: a growing text; sb_finish() gives it (or "" when empty, NULL when out of memory) */
struct sbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};
void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sb_finish(struct sbuf *sb);

/* proc.c, check.c helpers */
uint64_t zone_pcp_pages(const struct zone *z, unsigned int nr_cpus);

/*** Kernel allocators above the buddy (slab.h has the rest) ***/

/* slub.c: the kmalloc caches, once the buddy is up (mm_core_init()). */
void kmem_cache_init(struct machine *m);
/* vmalloc.c: the free vmalloc area, once the slab allocator is up. */
void vmalloc_init(struct machine *m);
/*
 * vmalloc.c keeps its state private; the self-check's test breaks it on a
 * clone through these pointers to the fields V1..V5 guard (the engine never
 * calls this). For the busy area holding @addr: its end, its pages array and
 * its vm_struct; the highest free range's end; vmap_lazy_nr. -ENOENT when
 * vmalloc is not up or no busy area holds @addr.
 */
struct vmalloc_fields {
	uint64_t *area_end, *area_pfns, *area_vm_struct;
	uint32_t area_nr_pages;
	uint64_t *last_free_end;	/* NULL when no range is free */
	uint64_t *vmap_lazy_nr;
};
int vmalloc_fields(struct machine *m, uint64_t addr, struct vmalloc_fields *f);

/*** Paging: page tables, MMU, boot, processes (pgtable.h has the rest) ***/

/* boot.c: CPUs at reset; for "booted" machines the boot path up to the buddy. */
int x86_boot_init(struct machine *m, struct mm_error *e);
/* boot.c: what follows the buddy hand-over on a "booted" machine. */
int x86_boot_late(struct machine *m);
/* pgtable.c: deep copy and release of machine->x86. */
int x86_state_clone(struct machine *c, const struct machine *m);
void x86_state_destroy(struct machine *m);
/* check.c calls these (pgtable.c, mmu.c). */
unsigned long x86_check(const struct machine *m, mm_violation_fn fn, void *ctx);

/*** Snapshots (snapshot.c): each unit writes and reads its own share ***/

struct snap_writer {
	mm_write_fn fn;
	void *ctx;
	uint64_t sum;		/* FNV-1a of every byte so far */
	int err;		/* sticky: the first failure */
};

struct snap_reader {
	mm_read_fn fn;
	void *ctx;
	uint64_t sum;
	int err;
};

void snap_put(struct snap_writer *w, const void *p, size_t n);
/* @n bytes of @p, or the mark of an absent array when @p is NULL. */
void snap_put_array(struct snap_writer *w, const void *p, size_t n);
void snap_get(struct snap_reader *r, void *p, size_t n);
/* A structure written by snap_put_struct(): calloc'd, its pointers still the
 * writer's (clear them); NULL when it was absent or on error. */
void snap_put_struct(struct snap_writer *w, const void *p, size_t size);
void *snap_get_struct(struct snap_reader *r, size_t size);
/* The struct page array of @nr_pages, zeroed, in a mapping of its own
 * (mm_init.c); freed with mem_map_free() and the same count. */
struct page *mem_map_alloc(uint64_t nr_pages);
void mem_map_free(struct page *map, uint64_t nr_pages);

/*
 * A calloc'd copy of an array, of at least @alloc bytes (an absent one reads
 * as empty); NULL only when r->err is set. snap_get_optional() gives NULL for
 * an absent array, for pointers whose NULL means something.
 */
void *snap_get_array(struct snap_reader *r, size_t alloc);
void *snap_get_optional(struct snap_reader *r, size_t alloc);

void slab_state_save(struct snap_writer *w, const struct machine *m);
void slab_state_load(struct snap_reader *r, struct machine *m);
void vmalloc_state_save(struct snap_writer *w, const struct machine *m);
void vmalloc_state_load(struct snap_reader *r, struct machine *m);
void x86_state_save(struct snap_writer *w, const struct machine *m);
void x86_state_load(struct snap_reader *r, struct machine *m);

#endif /* MMLAB_INTERNAL_H */
