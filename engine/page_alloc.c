/*
 * page_alloc.c - the buddy allocator, per-CPU page lists, watermarks.
 *
 * Mirrors mm/page_alloc.c of Linux 6.18: __rmqueue_smallest() and expand(),
 * the fallback path (__rmqueue_claim() / __rmqueue_steal() with the
 * fallbacks[] table), __free_one_page(), the per-CPU lists (rmqueue_bulk,
 * free_pcppages_bulk, nr_pcp_alloc, nr_pcp_high, nr_pcp_free), zonelists,
 * __zone_watermark_ok() and the watermark / lowmem_reserve / pcp high-batch
 * arithmetic done at boot. Two ideas to hold:
 *
 *  - A free block is known by its head page only: PGTY_buddy, private = order,
 *    on free_area[order].free_list[pageblock migratetype]. Its other pages are
 *    owned by "free" but carry nothing else.
 *  - When the watermarks say no, the slow path runs as the kernel's does:
 *    kswapd woken, direct compaction (compaction.c) for costly orders and
 *    for unmovable ones above 0, direct reclaim (vmscan.c), compaction
 *    again, the retry rules, then the OOM killer (oom_kill.c) for the
 *    requests the kernel would kill for (__alloc_pages_may_oom()). A
 *    request that still fails does so with ENOMEM and the reason;
 *    slowpath.c says which steps the kernel walks and whether it would
 *    ever return NULL.
 *
 * Design notes: the invariants that machine_check() (check.c) verifies.
 *  1. For every zone, pages in the buddy free lists + pages on per-CPU lists +
 *     managed pages owned by anyone = managed_pages; spanned >= present >=
 *     managed; the pages with PG_reserved are the present pages that are not
 *     managed.
 *  2. Every free block's head is PGTY_buddy with private = order <= max_order, is
 *     aligned to its order, lies inside one zone, and every page of the block
 *     is owned by "free"; no other page is PGTY_buddy.
 *  3. A free block sits on the list of its pageblock's migratetype, and a free
 *     block of pageblock_order or more has one migratetype over all its
 *     pageblocks.
 *  4. No free block has a free buddy of the same order (they would have
 *     merged), except across pageblocks whose types may not merge.
 *  5. Every free list and per-CPU list is well linked (next/prev agree, the
 *     head's first/last are the ends); nr_free of each order, each list's
 *     count, NR_FREE_PAGES and the highatomic count match the lists.
 *  6. Per-CPU lists hold only order <= PAGE_ALLOC_COSTLY_ORDER blocks and
 *     HPAGE_PMD_ORDER blocks (the two THP lists) of their zone, each on the
 *     list of its order, aligned, owned by "pcp"; pcp->count is the pages on
 *     the lists.
 *  7. Every page has exactly one owner and each zone's owner counts match a
 *     walk of its pages; an allocated block has a head with _refcount 1 and
 *     its order, and tails that point at the head (PG_head/tail exactly
 *     for __GFP_COMP blocks).
 *  8. Watermarks are ordered min <= low <= high <= promo.
 *  9. The page_type/_mapcount word agrees with the owner: a typed page is
 *     a free block's head (PGTY_buddy), a slab's head (PGTY_slab), a table
 *     (PGTY_table) or a kmalloc_large head (PGTY_large_kmalloc); an untyped
 *     page has _mapcount -1, or 0 for a user page (each is mapped once).
 * 10. pageblock_order is min(HPAGE_PMD_ORDER, max_order); the watermark
 *     boost is within boost_watermark()'s cap; nr_reserved_highatomic is
 *     the zone's HighAtomic pageblocks.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "compaction.h"
#include "memcontrol.h"
#include "oom.h"
#include "pgtable.h"
#include "slab.h"
#include "vmscan.h"

/* alloc_flags (mm/internal.h) */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_NO_WATERMARKS	0x04
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM		0x08
#define ALLOC_NON_BLOCK		0x10
#define ALLOC_MIN_RESERVE	0x20	/* == __GFP_HIGH */
#define ALLOC_CPUSET		0x40
#define ALLOC_NOFRAGMENT	0x100
#define ALLOC_HIGHATOMIC	0x200
#define ALLOC_KSWAPD		0x800	/* == __GFP_KSWAPD_RECLAIM */
#define ALLOC_RESERVES		(ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

static const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"
};

const char *migratetype_name(int mt)
{
	if (mt < 0 || mt >= MIGRATE_TYPES)
		return "?";
	return migratetype_names[mt];
}

/* Where a type looks when its own lists are empty (mm/page_alloc.c, fallbacks[]). */
static const int fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
	[MIGRATE_UNMOVABLE]   = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE]     = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

static const uint64_t sysctl_lowmem_reserve_ratio[MAX_NR_ZONES] = {
	[ZONE_DMA] = 256, [ZONE_DMA32] = 256, [ZONE_NORMAL] = 32,
	[ZONE_MOVABLE] = 0, [ZONE_DEVICE] = 0,
};

static inline bool migratetype_is_mergeable(int mt)
{
	return mt < MIGRATE_PCPTYPES;
}


/*** Page ownership ***/

/* Hand @nr pages from @pfn to @owner, keeping the zone's owner counts. */
void set_block_owner(struct machine *m, struct zone *z, uint64_t pfn, uint64_t nr,
		     int owner)
{
	struct page *p = &m->mem_map[pfn];
	uint64_t i;

	z->owner_pages[p->owner] -= nr;
	z->owner_pages[owner] += nr;
	for (i = 0; i < nr; i++)
		p[i].owner = (uint8_t)owner;
}

/*** Pageblocks ***/

/*
 * The migratetype bits only: the skip hint (PB_compact_skip) stays, and so
 * does isolation, which set_migratetype_isolate() alone sets and clears.
 */
void set_pageblock_migratetype(struct machine *m, uint64_t pfn, int mt)
{
	uint8_t *b = &m->pageblock_mt[pfn >> pageblock_order];

	SIM_BUG_ON(mt == MIGRATE_ISOLATE);
	*b = (uint8_t)((*b & ~MIGRATETYPE_MASK) | ((unsigned int)mt & MIGRATETYPE_MASK));
}

/* change_pageblock_range(): every pageblock of a block of @order. */
static void change_pageblock_range(struct machine *m, uint64_t pfn, unsigned int order,
				   int mt)
{
	uint64_t nr = order >= pageblock_order ? 1ULL << (order - pageblock_order) : 1;

	while (nr--) {
		set_pageblock_migratetype(m, pfn, mt);
		pfn += pageblock_nr_pages;
	}
}

/*** Free lists ***/

static void account_freepages(struct zone *z, long nr, int mt)
{
	z->nr_free_pages += (uint64_t)nr;
	if (mt == MIGRATE_HIGHATOMIC)
		z->nr_free_highatomic += (uint64_t)nr;
}

static void set_buddy_order(struct page *p, unsigned int order)
{
	p->private = order;
	page_type_set(p, PGTY_buddy);	/* __SetPageBuddy() */
}

/* __add_to_free_list() plus its accounting. */
static void add_to_free_list(struct machine *m, struct zone *z, uint64_t pfn,
			     unsigned int order, int mt, bool tail)
{
	struct free_area *area = &z->free_area[order];
	struct page *p = &m->mem_map[pfn];

	set_buddy_order(p, order);
	p->mt = (uint8_t)mt;
	if (tail)
		pfn_list_add_tail(m, &area->free_list[mt], (uint32_t)pfn);
	else
		pfn_list_add_head(m, &area->free_list[mt], (uint32_t)pfn);
	area->nr_free++;
	account_freepages(z, 1L << order, mt);
}

static void del_page_from_free_list(struct machine *m, struct zone *z, uint64_t pfn,
				    unsigned int order, int mt)
{
	struct free_area *area = &z->free_area[order];
	struct page *p = &m->mem_map[pfn];

	SIM_BUG_ON(!PageBuddy(p) || p->private != order || p->mt != mt);
	pfn_list_del(m, &area->free_list[mt], (uint32_t)pfn);
	page_type_clear(p, PGTY_buddy);
	p->private = 0;
	area->nr_free--;
	account_freepages(z, -(1L << order), mt);
}

static void move_to_free_list(struct machine *m, struct zone *z, uint64_t pfn,
			      unsigned int order, int old_mt, int new_mt)
{
	del_page_from_free_list(m, z, pfn, order, old_mt);
	add_to_free_list(m, z, pfn, order, new_mt, true);
}

/*** Events ***/

static void event_block(struct machine *m, int type, const struct zone *z, uint64_t pfn,
			unsigned int order, int mt)
{
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.node = z->node;
	ev.zone = z->idx;
	ev.pfn = pfn;
	ev.paddr = PFN_PHYS(pfn);
	ev.order = (int)order;
	ev.size = PFN_PHYS(1ULL << order);
	ev.migratetype = mt;
	emit(m, &ev);
}

/*** Buddy: freeing ***/

/*
 * fpi_t: how a block is freed. FPI_TO_TAIL puts it at the tail of its free
 * list whatever buddy_merge_likely() says. Kernel: mm/page_alloc.c, fpi_t.
 */
#define FPI_NONE	0u
#define FPI_TO_TAIL	(1u << 1)

/* find_buddy_page_pfn(): the buddy of @pfn at @order if it is free at that order. */
static bool page_is_buddy(const struct machine *m, const struct page *page,
			  uint64_t buddy_pfn, unsigned int order)
{
	const struct page *buddy;

	if (buddy_pfn >= m->max_pfn)
		return false;
	buddy = &m->mem_map[buddy_pfn];
	return PageBuddy(buddy) && buddy->private == order &&
	       buddy->zone == page->zone && buddy->node == page->node;
}

/*
 * buddy_merge_likely() - will the block just freed probably merge with the
 * next order soon? Then it goes to the tail of its list so that allocations
 * take other blocks first. Kernel: mm/page_alloc.c, buddy_merge_likely().
 */
static bool buddy_merge_likely(const struct machine *m, uint64_t pfn, uint64_t buddy_pfn,
			       const struct page *page, unsigned int order)
{
	uint64_t higher;

	if (order >= m->max_order - 1)
		return false;
	higher = buddy_pfn & pfn;
	return page_is_buddy(m, page, higher ^ (1ULL << (order + 1)), order + 1);
}

static void extfrag_event(struct machine *m, const struct zone *z, uint32_t pfn,
			  unsigned int order, unsigned int fallback_order, int start_mt,
			  int fallback_mt, bool claimed, int cpu);

/*
 * task_capc() - the capture control of the op's direct compaction, when it
 * compacts @z and has not captured yet. The kernel also leaves kthreads
 * out; kcompactd and compact_memory never set one here. Kernel:
 * mm/page_alloc.c.
 */
static struct capture_control *task_capc(struct machine *m, const struct zone *z)
{
	struct capture_control *capc = m->capture_control;

	return capc && capc->page == PFN_NIL && capc->zone == z ? capc : NULL;
}

/*
 * compaction_capture() - take the block being freed at @pfn, of exactly the
 * order the compacting request wants, for that request instead of its free
 * list. Not from an isolated pageblock, and a movable pageblock's smaller
 * blocks only for a movable request (no pollution of movable blocks beyond
 * what fallback would do); a capture across types is traced as the
 * fallback it is (mm_page_alloc_extfrag). Kernel: mm/page_alloc.c.
 */
static bool compaction_capture(struct machine *m, struct capture_control *capc, uint64_t pfn,
			       unsigned int order, int mt)
{
	const struct zone *z = capc ? capc->zone : NULL;

	if (!capc || (int)order != capc->order)
		return false;
	if (mt == MIGRATE_ISOLATE)
		return false;
	if (order < pageblock_order && mt == MIGRATE_MOVABLE &&
	    capc->migratetype != MIGRATE_MOVABLE)
		return false;
	if (mt != capc->migratetype)
		extfrag_event(m, z, (uint32_t)pfn, (unsigned int)capc->order, order,
			      capc->migratetype, mt, false, MM_NA);
	capc->page = pfn;
	return true;
}

/*
 * __free_one_page() - merge a freed block with its free buddies, order by
 * order, and put the result on its free list; or, once it has the order a
 * direct compactor of this zone wants, hand it to that compactor
 * (compaction_capture()). Kernel: mm/page_alloc.c.
 */
static void __free_one_page(struct machine *m, uint64_t pfn, struct zone *z,
			    unsigned int order, int mt, unsigned int fpi_flags)
{
	struct capture_control *capc = task_capc(m, z);
	struct page *page = &m->mem_map[pfn];
	uint64_t buddy_pfn = 0;
	bool to_tail;

	while (order < m->max_order) {
		int buddy_mt;

		if (compaction_capture(m, capc, pfn, order, mt))
			return;	/* off every free list: the compactor's block */
		buddy_pfn = pfn ^ (1ULL << order);
		if (!page_is_buddy(m, page, buddy_pfn, order))
			break;
		buddy_mt = m->mem_map[buddy_pfn].mt;
		if (order >= pageblock_order && mt != buddy_mt &&
		    (!migratetype_is_mergeable(mt) || !migratetype_is_mergeable(buddy_mt)))
			break;
		del_page_from_free_list(m, z, buddy_pfn, order, buddy_mt);
		if (buddy_mt != mt)
			change_pageblock_range(m, buddy_pfn, order, mt);
		pfn &= buddy_pfn;
		page = &m->mem_map[pfn];
		order++;
		if (events_on(m))
			event_block(m, MM_EV_buddy_merge, z, pfn, order, mt);
	}
	if (fpi_flags & FPI_TO_TAIL)
		to_tail = true;
	else
		to_tail = order < m->max_order &&
			  buddy_merge_likely(m, pfn, buddy_pfn, page, order);
	add_to_free_list(m, z, pfn, order, mt, to_tail);
}

/* free_one_page(): the outer entry (the kernel takes zone->lock here). */
static void free_one_page(struct machine *m, struct zone *z, uint64_t pfn,
			  unsigned int order, int mt, unsigned int fpi_flags)
{
	set_block_owner(m, z, pfn, 1ULL << order, OWNER_FREE);
	__free_one_page(m, pfn, z, order, mt, fpi_flags);
}

/*
 * __free_pages_core() - a boot-time block leaves memblock for the buddy:
 * PG_reserved goes, the refcount drops to zero, and the block skips the
 * per-CPU lists (__free_pages_ok()) and goes to the tail of its free list
 * (FPI_TO_TAIL). As
 * memblock_free_all() walks memory upwards, the lowest blocks end up at the
 * head of every list: a freshly booted kernel hands out low addresses
 * first. Kernel: mm/page_alloc.c, __free_pages_core().
 */
void __free_pages_core(struct machine *m, uint64_t pfn, unsigned int order)
{
	uint64_t i, nr = 1ULL << order;
	struct page *p = &m->mem_map[pfn];
	struct zone *z = page_zone(m, p);

	/*
	 * One pass over the block's struct pages: what the kernel's loop does
	 * and what free_one_page()'s set_block_owner() would do after it (on a
	 * 256 GiB machine each pass over its 4 GiB of struct pages is about a
	 * second).
	 */
	z->owner_pages[p->owner] -= nr;
	z->owner_pages[OWNER_FREE] += nr;
	for (i = 0; i < nr; i++) {
		p[i].flags = 0;
		p[i]._refcount = 0;
		p[i].owner = OWNER_FREE;
	}
	__free_one_page(m, pfn, z, order, get_pageblock_migratetype(m, pfn), FPI_TO_TAIL);
}

/*** Buddy: allocating ***/

/*
 * expand() - put the unused halves of a split block back, from the largest
 * down, so that @pfn is left holding a block of order @low.
 * Kernel: mm/page_alloc.c, expand().
 */
static void expand(struct machine *m, struct zone *z, uint64_t pfn, unsigned int low,
		   unsigned int high, int mt)
{
	uint64_t size = 1ULL << high;

	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_list(m, z, pfn + size, high, mt, false);
		if (events_on(m))
			event_block(m, MM_EV_buddy_split, z, pfn + size, high, mt);
	}
}

/* page_del_and_expand() */
static void page_del_and_expand(struct machine *m, struct zone *z, uint64_t pfn,
				unsigned int low, unsigned int high, int mt)
{
	del_page_from_free_list(m, z, pfn, high, mt);
	expand(m, z, pfn, low, high, mt);
}

static inline bool pcp_allowed_order(const struct machine *m, unsigned int order);

/* An event of the per-CPU lists' work on one block: its zone, CPU, pfn and order. */
static void block_event(struct machine *m, int type, const struct zone *z, uint32_t pfn,
			unsigned int order, int mt, int cpu, int64_t value)
{
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.node = z->node;
	ev.zone = z->idx;
	ev.cpu = cpu;
	ev.pfn = pfn;
	ev.paddr = PFN_PHYS(pfn);
	ev.order = (int)order;
	ev.migratetype = mt;
	ev.value = value;
	emit(m, &ev);
}

/*
 * mm_page_alloc_zone_locked: a block taken off the free lists under the
 * zone lock, one event a block (a per-CPU refill is one a block it takes);
 * value is the tracepoint's percpu_refill, whether the order and type are
 * those of a per-CPU list. Kernel: __rmqueue_smallest()'s tracepoint.
 */
static void zone_locked_event(struct machine *m, const struct zone *z, uint32_t pfn,
			      unsigned int order, int mt, int cpu)
{
	block_event(m, MM_EV_mm_page_alloc_zone_locked, z, pfn, order, mt, cpu,
		    pcp_allowed_order(m, order) && mt < MIGRATE_PCPTYPES);
}

/*
 * __rmqueue_smallest() - the smallest free block of at least @order on @mt's
 * lists, split down to @order, for an allocation on @cpu. Kernel:
 * mm/page_alloc.c.
 */
static uint32_t __rmqueue_smallest(struct machine *m, struct zone *z, unsigned int order,
				   int mt, int cpu)
{
	unsigned int cur;

	for (cur = order; cur <= m->max_order; cur++) {
		uint32_t pfn = z->free_area[cur].free_list[mt].first;

		if (pfn == PFN_NIL)
			continue;
		page_del_and_expand(m, z, pfn, order, cur, mt);
		if (events_on(m))
			zone_locked_event(m, z, pfn, order, mt, cpu);
		return pfn;
	}
	return PFN_NIL;
}

/* should_try_claim_block(): is it worth taking over a whole pageblock? */
static bool should_try_claim_block(const struct machine *m, unsigned int order, int start_mt)
{
	if (order >= pageblock_order / 2)
		return true;
	return start_mt == MIGRATE_RECLAIMABLE || start_mt == MIGRATE_UNMOVABLE;
}

/*
 * find_suitable_fallback() - the first fallback type with a free block at
 * this order; -1 when none, -2 when @claimable and the order is too small to
 * claim a block.
 */
static int find_suitable_fallback(const struct machine *m, const struct free_area *area,
				  unsigned int order, int mt, bool claimable)
{
	int i;

	if (claimable && !should_try_claim_block(m, order, mt))
		return -2;
	if (!area->nr_free)
		return -1;
	for (i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
		int fmt = fallbacks[mt][i];

		if (area->free_list[fmt].first != PFN_NIL)
			return fmt;
	}
	return -1;
}

/*
 * move_freepages_block() - move every free block of a pageblock to another
 * type's lists; returns the pages moved. Kernel: __move_freepages_block().
 */
static uint64_t move_freepages_block(struct machine *m, struct zone *z, uint64_t start,
				     int old_mt, int new_mt)
{
	uint64_t pfn = start, end = start + pageblock_nr_pages, moved = 0;

	while (pfn < end) {
		struct page *p = &m->mem_map[pfn];
		unsigned int order;

		if (!PageBuddy(p)) {
			pfn++;
			continue;
		}
		order = (unsigned int)p->private;
		move_to_free_list(m, z, pfn, order, old_mt, new_mt);
		pfn += 1ULL << order;
		moved += 1ULL << order;
	}
	return moved;
}

/*
 * prep_move_freepages_block() - count a pageblock's free and movable pages;
 * false when the block is not entirely inside the zone.
 */
static bool prep_move_freepages_block(const struct machine *m, const struct zone *z,
				      uint64_t pfn, uint64_t *start, uint64_t *free_pages,
				      uint64_t *movable_pages)
{
	uint64_t s = pfn & ~(pageblock_nr_pages - 1), e = s + pageblock_nr_pages;

	*start = s;
	*free_pages = *movable_pages = 0;
	if (s < z->zone_start_pfn || e > zone_end_pfn(z))
		return false;
	for (pfn = s; pfn < e;) {
		const struct page *p = &m->mem_map[pfn];

		if (PageBuddy(p)) {
			*free_pages += 1ULL << p->private;
			pfn += 1ULL << p->private;
			continue;
		}
		if (p->owner > OWNER_PCP && p->owner != OWNER_HOLE &&
		    !page_test(p, PG_reserved) && p->mt == MIGRATE_MOVABLE)
			(*movable_pages)++;
		pfn++;
	}
	return true;
}

/*
 * boost_watermark() - a fallback into another type's pageblock raises the
 * zone's watermarks by a pageblock, up to watermark_boost_factor (150%) of
 * the high mark, so that kswapd reclaims ahead of the next fallback. Not in
 * zones smaller than four pageblocks. Kernel: mm/page_alloc.c. Only kswapd
 * lowers the boost again (balance_pgdat() in mm/vmscan.c). Returns whether
 * the watermarks were boosted.
 */
static bool boost_watermark(const struct machine *m, struct zone *z)
{
	uint64_t max_boost;

	if (pageblock_nr_pages * 4 > z->managed_pages)
		return false;
	max_boost = z->_watermark[WMARK_HIGH] * WATERMARK_BOOST_FACTOR / 10000;
	if (!max_boost)
		return false;
	if (max_boost < pageblock_nr_pages)
		max_boost = pageblock_nr_pages;
	z->watermark_boost = z->watermark_boost + pageblock_nr_pages < max_boost ?
			     z->watermark_boost + pageblock_nr_pages : max_boost;
	return true;
}

/*
 * try_to_claim_block() - take a fallback block and, when enough of its
 * pageblock is free or alike, the whole pageblock with it; a fallback below
 * pageblock_order boosts the watermarks first. Kernel: mm/page_alloc.c,
 * try_to_claim_block().
 */
static uint32_t try_to_claim_block(struct machine *m, struct zone *z, uint64_t pfn,
				   unsigned int cur, unsigned int order, int start_mt,
				   int block_mt, unsigned int alloc_flags, int cpu)
{
	uint64_t start, free_pages, movable_pages, alike_pages;

	if (cur >= pageblock_order) {
		del_page_from_free_list(m, z, pfn, cur, block_mt);
		change_pageblock_range(m, pfn, cur, start_mt);
		expand(m, z, pfn, order, cur, start_mt);
		return (uint32_t)pfn;
	}
	/* ZONE_BOOSTED_WATERMARK: rmqueue() wakes kswapd on its way out */
	if (boost_watermark(m, z) && (alloc_flags & ALLOC_KSWAPD))
		z->boosted_watermark = true;
	if (!prep_move_freepages_block(m, z, pfn, &start, &free_pages, &movable_pages))
		return PFN_NIL;
	if (start_mt == MIGRATE_MOVABLE)
		alike_pages = movable_pages;
	else if (block_mt == MIGRATE_MOVABLE)
		alike_pages = pageblock_nr_pages - (free_pages + movable_pages);
	else
		alike_pages = 0;
	if (free_pages + alike_pages >= (1UL << (pageblock_order - 1))) {
		move_freepages_block(m, z, start, block_mt, start_mt);
		set_pageblock_migratetype(m, start, start_mt);
		return __rmqueue_smallest(m, z, order, start_mt, cpu);
	}
	return PFN_NIL;
}

static void extfrag_event(struct machine *m, const struct zone *z, uint32_t pfn,
			  unsigned int order, unsigned int fallback_order, int start_mt,
			  int fallback_mt, bool claimed, int cpu)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_mm_page_alloc_extfrag);
	ev.cpu = cpu;
	ev.node = z->node;
	ev.zone = z->idx;
	ev.pfn = pfn;
	ev.paddr = PFN_PHYS(pfn);
	ev.order = (int)order;
	ev.migratetype = start_mt;
	ev.value = fallback_order;
	snprintf(m->detail, sizeof(m->detail),
		 "fallback_order=%u fallback_migratetype=%s change_ownership=%d",
		 fallback_order, migratetype_names[fallback_mt],
		 claimed || get_pageblock_migratetype(m, pfn) == start_mt);
	ev.detail = m->detail;
	emit(m, &ev);
}

/*
 * __rmqueue_claim() - from another type's largest free blocks down, claim a
 * whole pageblock for @start_mt. Kernel: mm/page_alloc.c.
 */
static uint32_t __rmqueue_claim(struct machine *m, struct zone *z, unsigned int order,
				int start_mt, unsigned int alloc_flags, int cpu)
{
	int cur, min_order = (int)order;

	if (order < pageblock_order && (alloc_flags & ALLOC_NOFRAGMENT))
		min_order = pageblock_order;
	for (cur = (int)m->max_order; cur >= min_order; cur--) {
		struct free_area *area = &z->free_area[cur];
		int fmt = find_suitable_fallback(m, area, (unsigned int)cur, start_mt, true);
		uint32_t pfn;

		if (fmt == -1)
			continue;
		if (fmt == -2)
			break;
		pfn = try_to_claim_block(m, z, area->free_list[fmt].first, (unsigned int)cur,
					 order, start_mt, fmt, alloc_flags, cpu);
		if (pfn != PFN_NIL) {
			extfrag_event(m, z, pfn, order, (unsigned int)cur, start_mt, fmt, true,
				      cpu);
			return pfn;
		}
	}
	return PFN_NIL;
}

/*
 * __rmqueue_steal() - take the smallest fallback block that fits and leave
 * its pageblock's type alone. Kernel: mm/page_alloc.c.
 */
static uint32_t __rmqueue_steal(struct machine *m, struct zone *z, unsigned int order,
				int start_mt, int cpu)
{
	unsigned int cur;

	for (cur = order; cur <= m->max_order; cur++) {
		struct free_area *area = &z->free_area[cur];
		int fmt = find_suitable_fallback(m, area, cur, start_mt, false);
		uint32_t pfn;

		if (fmt == -1)
			continue;
		pfn = area->free_list[fmt].first;
		page_del_and_expand(m, z, pfn, order, cur, fmt);
		extfrag_event(m, z, pfn, order, cur, start_mt, fmt, false, cpu);
		return pfn;
	}
	return PFN_NIL;
}

enum rmqueue_mode { RMQUEUE_NORMAL, RMQUEUE_CLAIM, RMQUEUE_STEAL };

/* __rmqueue(): own type first, then claim, then steal. */
static uint32_t __rmqueue(struct machine *m, struct zone *z, unsigned int order, int mt,
			  unsigned int alloc_flags, enum rmqueue_mode *mode, int cpu)
{
	uint32_t pfn;

	switch (*mode) {
	case RMQUEUE_NORMAL:
		pfn = __rmqueue_smallest(m, z, order, mt, cpu);
		if (pfn != PFN_NIL)
			return pfn;
		/* fall through */
	case RMQUEUE_CLAIM:
		pfn = __rmqueue_claim(m, z, order, mt, alloc_flags, cpu);
		if (pfn != PFN_NIL) {
			*mode = RMQUEUE_NORMAL;
			return pfn;
		}
		/* fall through */
	case RMQUEUE_STEAL:
		if (!(alloc_flags & ALLOC_NOFRAGMENT)) {
			pfn = __rmqueue_steal(m, z, order, mt, cpu);
			if (pfn != PFN_NIL) {
				*mode = RMQUEUE_STEAL;
				return pfn;
			}
		}
	}
	return PFN_NIL;
}

/*** Per-CPU page lists ***/

/*
 * order_to_pindex() - a block's list on a CPU: one per migratetype for each
 * order up to PAGE_ALLOC_COSTLY_ORDER, then two for THP-order blocks, the
 * movable one and the other one (unmovable and reclaimable share it).
 * Kernel: mm/page_alloc.c, order_to_pindex(), pindex_to_order().
 */
static inline int order_to_pindex(int mt, unsigned int order)
{
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		return NR_LOWORDER_PCP_LISTS + (mt == MIGRATE_MOVABLE);
	return (int)(MIGRATE_PCPTYPES * order) + mt;
}

int pcp_list_order(int pindex)
{
	if (pindex >= NR_LOWORDER_PCP_LISTS)
		return HPAGE_PMD_ORDER;
	return pindex / MIGRATE_PCPTYPES;
}

/* The list's migratetype; the non-movable THP list reads as unmovable. */
int pcp_list_migratetype(int pindex)
{
	if (pindex >= NR_LOWORDER_PCP_LISTS)
		return pindex == NR_LOWORDER_PCP_LISTS + 1 ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE;
	return pindex % MIGRATE_PCPTYPES;
}

/* pcp_allowed_order(): the small orders, and the THP order (CONFIG_TRANSPARENT_HUGEPAGE). */
static inline bool pcp_allowed_order(const struct machine *m, unsigned int order)
{
	if (!m->cfg.pcp)
		return false;
	return order <= PAGE_ALLOC_COSTLY_ORDER ||
	       (m->thp_enabled && order == HPAGE_PMD_ORDER);
}

static int clamp_int(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void pcp_event(struct machine *m, int type, const struct zone *z, int cpu,
		      int order, int mt, int64_t pages)
{
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.node = z->node;
	ev.zone = z->idx;
	ev.cpu = cpu;
	ev.order = order;
	ev.migratetype = mt;
	ev.value = pages;
	emit(m, &ev);
}

/*
 * rmqueue_bulk() - move @count blocks of @order from the buddy lists to a
 * per-CPU list, in the order __rmqueue() finds them. Kernel: mm/page_alloc.c.
 */
static int rmqueue_bulk(struct machine *m, struct zone *z, unsigned int order, int count,
			struct list_head *list, int mt, unsigned int alloc_flags, int cpu)
{
	enum rmqueue_mode mode = RMQUEUE_NORMAL;
	int i;

	for (i = 0; i < count; i++) {
		uint32_t pfn = __rmqueue(m, z, order, mt, alloc_flags, &mode, cpu);

		if (pfn == PFN_NIL)
			break;
		set_block_owner(m, z, pfn, 1ULL << order, OWNER_PCP);
		m->mem_map[pfn].mt = (uint8_t)mt;
		m->mem_map[pfn].private = order;
		pfn_list_add_tail(m, list, pfn);
	}
	return i;
}

/* nr_pcp_alloc(): how many blocks a refill takes. Kernel: mm/page_alloc.c. */
static int nr_pcp_alloc(struct per_cpu_pages *pcp, const struct zone *z, unsigned int order)
{
	int base_batch = pcp->batch, batch, max_nr_alloc, high;

	high = pcp->high = clamp_int(pcp->high, pcp->high_min, pcp->high_max);
	if (high < base_batch)
		return 1;
	batch = order ? base_batch : base_batch << pcp->alloc_factor;
	if (pcp->high_min != pcp->high_max && !z->below_high) {
		high = high + batch < pcp->high_max ? high + batch : pcp->high_max;
		pcp->high = high;
	}
	if (!order) {
		max_nr_alloc = high - pcp->count - base_batch;
		if (max_nr_alloc < base_batch)
			max_nr_alloc = base_batch;
		if (batch <= max_nr_alloc && pcp->alloc_factor < PCP_BATCH_SCALE_MAX)
			pcp->alloc_factor++;
		if (batch > max_nr_alloc)
			batch = max_nr_alloc;
	}
	if (batch > 1) {
		batch >>= order;
		if (batch < 2)
			batch = 2;
	}
	return batch;
}

static uint32_t __rmqueue_pcplist(struct machine *m, struct zone *z, unsigned int order,
				  int mt, unsigned int alloc_flags,
				  struct per_cpu_pages *pcp, int cpu)
{
	struct list_head *list = &pcp->lists[order_to_pindex(mt, order)];
	uint32_t pfn;

	if (list->first == PFN_NIL) {
		int batch = nr_pcp_alloc(pcp, z, order);
		int alloced = rmqueue_bulk(m, z, order, batch, list, mt, alloc_flags, cpu);

		pcp->count += alloced << order;
		if (alloced && events_on(m))
			pcp_event(m, MM_EV_pcp_refill, z, cpu, (int)order, mt,
				  (int64_t)alloced << order);
		if (list->first == PFN_NIL)
			return PFN_NIL;
	}
	pfn = list->first;
	pfn_list_del(m, list, pfn);
	pcp->count -= 1 << order;
	return pfn;
}

/* rmqueue_pcplist() */
static uint32_t rmqueue_pcplist(struct machine *m, struct zone *z, unsigned int order,
				int mt, unsigned int alloc_flags, int cpu)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	pcp->free_count >>= 1;
	return __rmqueue_pcplist(m, z, order, mt, alloc_flags, pcp, cpu);
}

/*
 * mm_page_pcpu_drain: a block of a per-CPU list back in the buddy, with its
 * pageblock's migratetype. Kernel: free_pcppages_bulk()'s tracepoint.
 */
static void pcpu_drain_event(struct machine *m, const struct zone *z, uint32_t pfn,
			     unsigned int order, int mt, int cpu)
{
	block_event(m, MM_EV_mm_page_pcpu_drain, z, pfn, order, mt, cpu, MM_NA);
}

/*
 * free_pcppages_bulk() - give @count pages of a per-CPU list back to the
 * buddy, round-robin over the lists starting with @pindex, oldest first.
 * Kernel: mm/page_alloc.c.
 */
static void free_pcppages_bulk(struct machine *m, struct zone *z, int count,
			       struct per_cpu_pages *pcp, int pindex, int cpu)
{
	int drained = 0;

	if (count > pcp->count)
		count = pcp->count;
	pindex--;
	while (count > 0) {
		struct list_head *list;
		unsigned int order;

		do {
			if (++pindex > NR_PCP_LISTS - 1)
				pindex = 0;
			list = &pcp->lists[pindex];
		} while (list->first == PFN_NIL);
		order = (unsigned int)pcp_list_order(pindex);
		do {
			uint32_t pfn = list->last;
			int mt;

			pfn_list_del(m, list, pfn);
			count -= 1 << order;
			pcp->count -= 1 << order;
			drained += 1 << order;
			mt = get_pageblock_migratetype(m, pfn);
			free_one_page(m, z, pfn, order, mt, FPI_NONE);
			if (events_on(m))
				pcpu_drain_event(m, z, pfn, order, mt, cpu);
		} while (count > 0 && list->first != PFN_NIL);
	}
	if (drained && events_on(m))
		pcp_event(m, MM_EV_pcp_drain, z, cpu, MM_NA, MM_NA, drained);
}

/* nr_pcp_free(): how many pages a drain gives back. */
static int nr_pcp_free(const struct per_cpu_pages *pcp, int batch, int high, bool free_high)
{
	if (free_high)
		return pcp->count < (batch << PCP_BATCH_SCALE_MAX) ? pcp->count :
		       batch << PCP_BATCH_SCALE_MAX;
	if (high < batch)
		return 1;
	return clamp_int(pcp->free_count, batch, high - batch);
}

/* nr_pcp_high(): the list's current high mark, tuned as the kernel does. */
static int nr_pcp_high(struct per_cpu_pages *pcp, const struct zone *z, int batch,
		       bool free_high)
{
	int high = pcp->high = clamp_int(pcp->high, pcp->high_min, pcp->high_max);

	if (!high)
		return 0;
	if (free_high) {
		int h = high - (batch << PCP_BATCH_SCALE_MAX);

		pcp->high = h > pcp->high_min ? h : pcp->high_min;
		return 0;
	}
	if (pcp->high_min == pcp->high_max)
		return high;
	if (z->below_high) {
		int fc = pcp->free_count > batch ? pcp->free_count : batch;

		pcp->high = high - fc > pcp->high_min ? high - fc : pcp->high_min;
		high = pcp->count > pcp->high_min ? pcp->count : pcp->high_min;
	} else if (pcp->count >= high) {
		int need_high = pcp->free_count + batch;

		if (pcp->high < need_high)
			pcp->high = clamp_int(need_high, pcp->high_min, pcp->high_max);
	}
	return high;
}

static bool zone_watermark_ok(const struct zone *z, unsigned int order, uint64_t mark,
			      int highest_zoneidx, unsigned int alloc_flags);

/*
 * free_frozen_page_commit() - put a block on the per-CPU list and drain a
 * batch when the list reaches its high mark. Kernel: mm/page_alloc.c.
 */
static void free_unref_page_commit(struct machine *m, struct zone *z,
				   struct per_cpu_pages *pcp, uint64_t pfn, int mt,
				   unsigned int order, int cpu)
{
	int pindex = order_to_pindex(mt, order), batch = pcp->batch, high;
	bool free_high = false;

	pcp->alloc_factor >>= 1;
	set_block_owner(m, z, pfn, 1ULL << order, OWNER_PCP);
	m->mem_map[pfn].mt = (uint8_t)mt;
	m->mem_map[pfn].private = order;
	pfn_list_add_head(m, &pcp->lists[pindex], (uint32_t)pfn);
	pcp->count += 1 << order;
	if (order && order <= PAGE_ALLOC_COSTLY_ORDER) {
		free_high = pcp->free_count >= batch + pcp->high_min / 2 &&
			    (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) &&
			    (!(pcp->flags & PCPF_FREE_HIGH_BATCH) || pcp->count >= batch);
		pcp->flags |= PCPF_PREV_FREE_HIGH_ORDER;
	} else if (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) {
		pcp->flags &= (uint8_t)~PCPF_PREV_FREE_HIGH_ORDER;
	}
	if (pcp->free_count < (batch << PCP_BATCH_SCALE_MAX))
		pcp->free_count += 1 << order;
	high = nr_pcp_high(pcp, z, batch, free_high);
	if (pcp->count >= high) {
		free_pcppages_bulk(m, z, nr_pcp_free(pcp, batch, high, free_high), pcp,
				   pindex, cpu);
		if (z->below_high &&
		    zone_watermark_ok(z, 0, z->_watermark[WMARK_HIGH], ZONE_MOVABLE, 0))
			z->below_high = false;
	}
}

/*
 * __free_frozen_pages(): small and THP-order blocks go to the CPU's list.
 * @batched: the block is one of a batch (free_unref_folios()), which the
 * trace sees as mm_page_free_batched as it reaches the list.
 */
static void free_unref_page(struct machine *m, uint64_t pfn, unsigned int order, int cpu,
			    bool batched)
{
	struct zone *z = page_zone(m, &m->mem_map[pfn]);
	int mt = get_pageblock_migratetype(m, pfn);

	if (!pcp_allowed_order(m, order)) {
		free_one_page(m, z, pfn, order, mt, FPI_NONE);
		return;
	}
	if (mt >= MIGRATE_PCPTYPES) {
		if (mt == MIGRATE_ISOLATE) {
			free_one_page(m, z, pfn, order, mt, FPI_NONE);
			return;
		}
		mt = MIGRATE_MOVABLE;
	}
	if (batched && events_on(m))
		block_event(m, MM_EV_mm_page_free_batched, z, pfn, order, MM_NA, cpu, MM_NA);
	free_unref_page_commit(m, z, &z->pcp[cpu], pfn, mt, order, cpu);
}

/*** Watermarks ***/

static long __zone_watermark_unusable_free(const struct zone *z, unsigned int order,
					   unsigned int alloc_flags)
{
	long unusable = (1L << order) - 1;

	if (!(alloc_flags & ALLOC_RESERVES))
		unusable += (long)z->nr_free_highatomic;
	return unusable;
}

/*
 * __zone_watermark_ok() - would @z stay above @mark plus the lowmem reserve
 * for requests up to @highest_zoneidx, with a block of @order available?
 * Reserve users may go further below min. Kernel: mm/page_alloc.c.
 */
static bool __zone_watermark_ok(const struct zone *z, unsigned int order, uint64_t mark,
				int highest_zoneidx, unsigned int alloc_flags,
				long free_pages, bool *order_short)
{
	long min = (long)mark;
	unsigned int o;
	int mt;

	free_pages -= __zone_watermark_unusable_free(z, order, alloc_flags);
	if (alloc_flags & ALLOC_RESERVES) {
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	if (free_pages <= min + (long)z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	for (o = order; o < MAX_NR_ORDERS; o++) {
		const struct free_area *area = &z->free_area[o];

		if (!area->nr_free)
			continue;
		for (mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			if (area->free_list[mt].first != PFN_NIL)
				return true;
		if ((alloc_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM)) &&
		    area->free_list[MIGRATE_HIGHATOMIC].first != PFN_NIL)
			return true;
	}
	if (order_short)
		*order_short = true;
	return false;
}

static bool zone_watermark_ok(const struct zone *z, unsigned int order, uint64_t mark,
			      int highest_zoneidx, unsigned int alloc_flags)
{
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags,
				   (long)z->nr_free_pages, NULL);
}

/* __zone_watermark_ok() with no reserves, as pgdat_balanced() asks it (vmscan.c). */
bool zone_watermark_ok_plain(const struct zone *z, unsigned int order, uint64_t mark,
			     int highest_zoneidx)
{
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, 0, (long)z->nr_free_pages,
				   NULL);
}

bool zone_watermark_ok_free(const struct zone *z, unsigned int order, uint64_t mark,
			    int highest_zoneidx, unsigned int alloc_flags, long free_pages)
{
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages,
				   NULL);
}

/* zone_watermark_fast(): the order-0 shortcut, then the full check. */
static bool zone_watermark_fast(const struct zone *z, unsigned int order, uint64_t mark,
				int highest_zoneidx, unsigned int alloc_flags,
				bool *order_short)
{
	long free_pages = (long)z->nr_free_pages;

	if (!order) {
		long reserved = __zone_watermark_unusable_free(z, 0, alloc_flags);
		long usable = free_pages - (reserved < free_pages ? reserved : free_pages);

		if (usable > (long)(mark + z->lowmem_reserve[highest_zoneidx]))
			return true;
	}
	if (__zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages,
				order_short))
		return true;
	/* A __GFP_HIGH order-0 request checks the min mark without the boost. */
	if (!order && (alloc_flags & ALLOC_MIN_RESERVE) && z->watermark_boost &&
	    (alloc_flags & ALLOC_WMARK_MASK) == WMARK_MIN)
		return __zone_watermark_ok(z, order, z->_watermark[WMARK_MIN], highest_zoneidx,
					   alloc_flags, free_pages, order_short);
	return false;
}

static uint64_t wmark_pages(const struct zone *z, unsigned int alloc_flags)
{
	return z->_watermark[alloc_flags & ALLOC_WMARK_MASK] + z->watermark_boost;
}

/*** Allocation ***/

struct alloc_context {
	int preferred_node;
	int highest_zoneidx;
	int migratetype;
	gfp_t gfp;
	int cpu;
	int owner;
	/* what the zonelist walk saw, to explain a failure */
	bool any_zone;
	bool watermark_failed;
	struct zone *breach_zone;
	struct mm_slowpath *sp;		/* filled on failure when asked */
	unsigned long reclaimed;	/* direct reclaim: pages freed, rounds run */
	unsigned int reclaim_rounds;
	const char *oom_outcome;	/* what out_of_memory() did, when it ran */
	/* direct compaction (compaction.c): the last result, the priority, the retries */
	int compact_result;
	int compact_priority;
	int compaction_retries;
	unsigned int compact_rounds;
};

static void watermark_event(struct machine *m, const struct zone *z, unsigned int order,
			    unsigned int alloc_flags, const struct alloc_context *ac)
{
	static const char *const names[] = { "min", "low", "high" };
	struct mm_event ev;

	mm_event_init(&ev, MM_EV_watermark_breach);
	ev.node = z->node;
	ev.zone = z->idx;
	ev.order = (int)order;
	ev.gfp = ac->gfp;
	ev.cpu = ac->cpu;
	ev.value = (int64_t)z->nr_free_pages;
	ev.size = wmark_pages(z, alloc_flags);
	ev.detail = names[alloc_flags & ALLOC_WMARK_MASK];
	emit(m, &ev);
}

/*
 * reserve_highatomic_pageblock() - a high-order atomic allocation succeeded:
 * set its pageblock aside for more of them, up to about 1% of the zone.
 * Kernel: mm/page_alloc.c.
 */
static void reserve_highatomic_pageblock(struct machine *m, struct zone *z, uint64_t pfn,
					 unsigned int order)
{
	uint64_t max_managed;
	int mt;

	if (z->managed_pages / 100 < pageblock_nr_pages)
		return;
	max_managed = (z->managed_pages / 100 + pageblock_nr_pages - 1) &
		      ~(pageblock_nr_pages - 1);
	if (z->nr_reserved_highatomic >= max_managed)
		return;
	mt = get_pageblock_migratetype(m, pfn);
	if (!migratetype_is_mergeable(mt))
		return;
	if (order < pageblock_order) {
		uint64_t start = pfn & ~(pageblock_nr_pages - 1);

		if (start < z->zone_start_pfn || start + pageblock_nr_pages > zone_end_pfn(z))
			return;
		move_freepages_block(m, z, start, mt, MIGRATE_HIGHATOMIC);
		set_pageblock_migratetype(m, start, MIGRATE_HIGHATOMIC);
		z->nr_reserved_highatomic += pageblock_nr_pages;
	} else {
		change_pageblock_range(m, pfn, order, MIGRATE_HIGHATOMIC);
		z->nr_reserved_highatomic += 1ULL << order;
	}
}

/* rmqueue_buddy(): straight from the zone's free lists. */
static uint32_t rmqueue_buddy(struct machine *m, struct zone *z, unsigned int order,
			      unsigned int alloc_flags, int mt, int cpu)
{
	enum rmqueue_mode mode = RMQUEUE_NORMAL;
	uint32_t pfn = PFN_NIL;

	if (alloc_flags & ALLOC_HIGHATOMIC)
		pfn = __rmqueue_smallest(m, z, order, MIGRATE_HIGHATOMIC, cpu);
	if (pfn == PFN_NIL)
		pfn = __rmqueue(m, z, order, mt, alloc_flags, &mode, cpu);
	if (pfn == PFN_NIL && (alloc_flags & (ALLOC_OOM | ALLOC_NON_BLOCK)))
		pfn = __rmqueue_smallest(m, z, order, MIGRATE_HIGHATOMIC, cpu);
	return pfn;
}

/* rmqueue()'s way out: a boosted zone wakes kswapd to work the boost off. */
static uint32_t rmqueue_boosted(struct machine *m, struct zone *z, unsigned int alloc_flags,
				uint32_t pfn)
{
	if ((alloc_flags & ALLOC_KSWAPD) && z->boosted_watermark) {
		z->boosted_watermark = false;
		wakeup_kswapd(m, z, 0, 0, z->idx);
	}
	return pfn;
}

/* rmqueue(): per-CPU list for the small and THP orders, the buddy for the rest. */
static uint32_t rmqueue(struct machine *m, struct zone *z, unsigned int order,
			unsigned int alloc_flags, const struct alloc_context *ac)
{
	if (pcp_allowed_order(m, order)) {
		uint32_t pfn = rmqueue_pcplist(m, z, order, ac->migratetype, alloc_flags,
					       ac->cpu);

		if (pfn != PFN_NIL)
			return rmqueue_boosted(m, z, alloc_flags, pfn);
	}
	return rmqueue_boosted(m, z, alloc_flags,
			       rmqueue_buddy(m, z, order, alloc_flags, ac->migratetype, ac->cpu));
}

/*
 * prep_new_page() - the block now belongs to its caller: refcount, order,
 * compound metadata. Kernel: prep_new_page() / prep_compound_page().
 */
static void prep_new_page(struct machine *m, struct zone *z, uint32_t pfn,
			  unsigned int order, const struct alloc_context *ac)
{
	struct page *head = &m->mem_map[pfn];
	uint64_t i, nr = 1ULL << order;
	bool comp = order && (ac->gfp & __GFP_COMP);

	z->owner_pages[head->owner] -= nr;
	z->owner_pages[ac->owner] += nr;
	for (i = 0; i < nr; i++) {
		struct page *p = head + i;

		p->owner = (uint8_t)ac->owner;
		p->mt = (uint8_t)ac->migratetype;
		p->flags = 0;
		p->private = 0;
		p->_refcount = 0;
		p->compound_head = (uint32_t)pfn;
		p->tail = comp && i;
	}
	head->_refcount = 1;
	head->order = (uint8_t)order;
	if (page_is_charged_kind(head))	/* page->memcg_data is clear on a new folio */
		head->folio.memcg_id = 0;
	if (comp)
		page_set(head, PG_head);
}

static bool zone_allowed(const struct zone *z, const struct alloc_context *ac)
{
	if (z->idx > ac->highest_zoneidx)
		return false;
	if ((ac->gfp & __GFP_THISNODE) && z->node != ac->preferred_node)
		return false;
	return true;
}

/*
 * get_page_from_freelist() - walk the zonelist, highest allowed zone of the
 * nearest node first, and take from the first zone whose watermark allows.
 * Kernel: mm/page_alloc.c.
 */
static uint32_t get_page_from_freelist(struct machine *m, unsigned int order,
				       unsigned int alloc_flags, struct alloc_context *ac,
				       struct zone **zone_out)
{
	const pg_data_t *pgdat = &m->nodes[ac->preferred_node];
	unsigned int i;

retry:
	for (i = 0; i < pgdat->nr_zonerefs; i++) {
		struct zoneref zr = pgdat->zonelist[i];
		struct zone *z = &m->nodes[zr.node].node_zones[zr.zone];
		bool order_short = false;
		uint32_t pfn;

		if (!zone_allowed(z, ac))
			continue;
		ac->any_zone = true;
		if ((alloc_flags & ALLOC_NOFRAGMENT) && m->nr_nodes > 1 &&
		    z->node != ac->preferred_node) {
			alloc_flags &= ~ALLOC_NOFRAGMENT;
			goto retry;
		}
		if (!(alloc_flags & ALLOC_NO_WATERMARKS)) {
			if (!z->below_high &&
			    !zone_watermark_fast(z, order, z->_watermark[WMARK_HIGH],
						 ac->highest_zoneidx, alloc_flags, NULL))
				z->below_high = true;
			if (!zone_watermark_fast(z, order, wmark_pages(z, alloc_flags),
						 ac->highest_zoneidx, alloc_flags, &order_short)) {
				if (!order_short)
					ac->watermark_failed = true;
				if (!order_short && events_on(m))
					watermark_event(m, z, order, alloc_flags, ac);
				continue;
			}
		}
		pfn = rmqueue(m, z, order, alloc_flags, ac);
		if (pfn != PFN_NIL) {
			prep_new_page(m, z, pfn, order, ac);
			if (alloc_flags & ALLOC_HIGHATOMIC)
				reserve_highatomic_pageblock(m, z, pfn, order);
			*zone_out = z;
			return pfn;
		}
	}
	if (alloc_flags & ALLOC_NOFRAGMENT) {
		alloc_flags &= ~ALLOC_NOFRAGMENT;
		goto retry;
	}
	return PFN_NIL;
}

/* alloc_flags_nofragment(): avoid mixing pageblocks when Normal is preferred. */
static unsigned int alloc_flags_nofragment(const struct machine *m,
					   const struct alloc_context *ac)
{
	const pg_data_t *pgdat = &m->nodes[ac->preferred_node];
	unsigned int flags = ac->gfp & __GFP_KSWAPD_RECLAIM, i;

	for (i = 0; i < pgdat->nr_zonerefs; i++) {
		const struct zone *z =
			&m->nodes[pgdat->zonelist[i].node].node_zones[pgdat->zonelist[i].zone];

		if (!zone_allowed(z, ac))
			continue;
		if (z->idx != ZONE_NORMAL)
			return flags;
		if (m->nr_nodes > 1 && !populated_zone(&m->nodes[z->node].node_zones[ZONE_DMA32]))
			return flags;
		return flags | ALLOC_NOFRAGMENT;
	}
	return flags;
}

/* gfp_to_alloc_flags(): the slow path's rights to reserves. */
static unsigned int gfp_to_alloc_flags(gfp_t gfp, unsigned int order)
{
	unsigned int flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;

	flags |= gfp & (__GFP_HIGH | __GFP_KSWAPD_RECLAIM);
	if (!(gfp & __GFP_DIRECT_RECLAIM)) {
		if (!(gfp & __GFP_NOMEMALLOC)) {
			flags |= ALLOC_NON_BLOCK;
			if (order > 0 && (flags & ALLOC_MIN_RESERVE))
				flags |= ALLOC_HIGHATOMIC;
		}
		if (flags & ALLOC_MIN_RESERVE)
			flags &= ~ALLOC_CPUSET;
	}
	return flags;
}

static void alloc_event(struct machine *m, int type, uint64_t pfn, unsigned int order,
			const struct zone *z, const struct alloc_context *ac)
{
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.cpu = ac->cpu;
	ev.node = z ? z->node : ac->preferred_node;
	ev.zone = z ? z->idx : MM_NA;
	ev.order = (int)order;
	ev.migratetype = ac->migratetype;
	ev.gfp = ac->gfp;
	if (pfn != MM_NA_U64) {
		ev.pfn = pfn;
		ev.paddr = PFN_PHYS(pfn);
		ev.size = PFN_PHYS(1ULL << order);
	}
	emit(m, &ev);
}

/* zone_statistics(): the NUMA hit/miss/local/other counters. */
static void zone_statistics(struct machine *m, struct zone *z, const struct alloc_context *ac)
{
	if (z->node == ac->preferred_node) {
		z->numa_hit++;
	} else {
		z->numa_miss++;
		m->nodes[ac->preferred_node].node_zones[z->idx].numa_foreign++;
	}
	if (z->node == m->cpu_to_node[ac->cpu])
		z->numa_local++;
	else
		z->numa_other++;
}

static int alloc_fail(struct machine *m, unsigned int order, const struct alloc_context *ac,
		      const char *reason, const char *why, struct mm_error *e)
{
	char gfp_text[128];

	if (ac->sp)
		mm_alloc_slowpath(ac->gfp, order, !strcmp(reason, "injected") ?
				  SLOWPATH_WHY_INJECTED : !ac->any_zone ? SLOWPATH_WHY_NO_ZONE :
				  SLOWPATH_WHY_NO_MEMORY, ac->sp);
	if (ac->sp)
		mm_slowpath_reclaimed(ac->sp, ac->reclaim_rounds, ac->reclaimed, ac->compact_rounds);
	if (ac->sp && ac->oom_outcome) {
		size_t n = strlen(ac->sp->message);

		snprintf(ac->sp->message + n, sizeof(ac->sp->message) - n,
			 " (the engine ran the OOM killer: %s)", ac->oom_outcome);
	}
	gfp_format(ac->gfp, gfp_text, sizeof(gfp_text));
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_alloc_fail);
		ev.cpu = ac->cpu;
		ev.node = ac->preferred_node;
		ev.order = (int)order;
		ev.migratetype = ac->migratetype;
		ev.gfp = ac->gfp;
		ev.value = -ENOMEM;
		ev.detail = reason;
		emit(m, &ev);
	}
	if (ac->oom_outcome)
		return mm_error_set(e, -ENOMEM, "order-%u allocation (%s) failed: %s: %s; %s",
				    order, gfp_text, reason, why, ac->oom_outcome);
	return mm_error_set(e, -ENOMEM, "order-%u allocation (%s) failed: %s: %s", order,
			    gfp_text, reason, why);
}

/*
 * unreserve_highatomic_pageblock() - an allocation is about to fail: give a
 * highatomic pageblock of the allowed zones back to the request's type, the
 * first found order by order. Without @force a zone keeps its last reserved
 * pageblock. Returns whether free pages moved. Kernel: mm/page_alloc.c.
 */
static bool unreserve_highatomic_pageblock(struct machine *m, const struct alloc_context *ac,
					   bool force)
{
	const pg_data_t *pgdat = &m->nodes[ac->preferred_node];

	for (unsigned int i = 0; i < pgdat->nr_zonerefs; i++) {
		struct zone *z = &m->nodes[pgdat->zonelist[i].node].node_zones[pgdat->zonelist[i].zone];

		if (!zone_allowed(z, ac) || (!force && z->nr_reserved_highatomic <= pageblock_nr_pages))
			continue;
		for (unsigned int order = 0; order <= m->max_order; order++) {
			uint32_t pfn = z->free_area[order].free_list[MIGRATE_HIGHATOMIC].first;
			uint64_t size = pageblock_nr_pages > (1ULL << order) ? pageblock_nr_pages :
					1ULL << order;

			if (pfn == PFN_NIL)
				continue;
			z->nr_reserved_highatomic -= size < z->nr_reserved_highatomic ? size :
						     z->nr_reserved_highatomic;
			if (order < pageblock_order) {
				uint64_t start = pfn & ~(pageblock_nr_pages - 1);
				uint64_t moved = move_freepages_block(m, z, start, MIGRATE_HIGHATOMIC,
								      ac->migratetype);

				set_pageblock_migratetype(m, start, ac->migratetype);
				if (moved)
					return true;
			} else {
				move_to_free_list(m, z, pfn, order, MIGRATE_HIGHATOMIC,
						  ac->migratetype);
				change_pageblock_range(m, pfn, order, ac->migratetype);
				return true;
			}
		}
	}
	return false;
}

/* wake_all_kswapds(): each node of the zonelist once, for the request's zones. */
static void wake_all_kswapds(struct machine *m, unsigned int order, const struct alloc_context *ac)
{
	const pg_data_t *pgdat = &m->nodes[ac->preferred_node];
	int last = -1;

	for (unsigned int i = 0; i < pgdat->nr_zonerefs; i++) {
		struct zone *z = &m->nodes[pgdat->zonelist[i].node].node_zones[pgdat->zonelist[i].zone];

		if (!zone_allowed(z, ac) || !managed_zone(z) || z->node == last)
			continue;
		wakeup_kswapd(m, z, ac->gfp, (int)order, ac->highest_zoneidx);
		last = z->node;
	}
}

/*
 * __alloc_pages_direct_reclaim() - reclaim (try_to_free_pages()), then
 * retry; when that still fails, unreserve a highatomic pageblock (one is
 * kept) and drain every CPU's lists before one more try. Nothing is retried
 * when reclaim freed nothing.
 */
static uint32_t __alloc_pages_direct_reclaim(struct machine *m, unsigned int order,
					     unsigned int alloc_flags, struct alloc_context *ac,
					     struct zone **z, unsigned long *progress)
{
	uint32_t pfn;

	*progress = try_to_free_pages(m, ac->preferred_node, (int)order, ac->gfp,
				      ac->highest_zoneidx);
	ac->reclaimed += *progress;
	ac->reclaim_rounds++;
	if (!*progress)
		return PFN_NIL;
	pfn = get_page_from_freelist(m, order, alloc_flags, ac, z);
	if (pfn == PFN_NIL) {
		unreserve_highatomic_pageblock(m, ac, false);
		mm_drain_all_pages(m);
		pfn = get_page_from_freelist(m, order, alloc_flags, ac, z);
	}
	return pfn;
}

/*
 * __alloc_pages_direct_compact() - compact at @prio; the block the run
 * captured is prepared for the request, or else the free lists are tried
 * again. A stall (compact_stall) is every run that was not skipped; the
 * request then counts compact_success or compact_fail, and success resets
 * the zone's deferral. Kernel: mm/page_alloc.c.
 */
static uint32_t __alloc_pages_direct_compact(struct machine *m, unsigned int order,
					     unsigned int alloc_flags, struct alloc_context *ac,
					     enum compact_priority prio, struct zone **z)
{
	uint64_t captured = PFN_NIL;
	uint32_t pfn = PFN_NIL;

	if (!order)
		return PFN_NIL;
	ac->compact_result = try_to_compact_pages(m, ac->gfp, order, alloc_flags,
						  ac->preferred_node, ac->highest_zoneidx, prio,
						  ac->cpu, &captured);
	if (ac->compact_result == COMPACT_SKIPPED)
		return PFN_NIL;
	count_vm_event(m, COMPACTSTALL);
	ac->compact_rounds++;
	if (captured != PFN_NIL) {
		pfn = (uint32_t)captured;
		*z = page_zone(m, &m->mem_map[pfn]);
		prep_new_page(m, *z, pfn, order, ac);
	}
	if (pfn == PFN_NIL)
		pfn = get_page_from_freelist(m, order, alloc_flags, ac, z);
	if (pfn != PFN_NIL) {
		(*z)->compact_blockskip_flush = false;
		compaction_defer_reset(m, *z, (int)order, true);
		count_vm_event(m, COMPACTSUCCESS);
		return pfn;
	}
	count_vm_event(m, COMPACTFAIL);
	return PFN_NIL;
}

/*
 * should_compact_retry() - after reclaim: a skipped compaction is retried
 * while the zonelist could satisfy it with reclaim's help; a failed or
 * withdrawn one raises the priority down to its floor (sync light for costly
 * orders); progress is retried MAX_COMPACT_RETRIES times (a quarter for
 * costly orders). The engine also bounds the skipped case by
 * MAX_COMPACT_RETRIES, where the kernel leaves it to reclaim's progress.
 * Kernel: mm/page_alloc.c.
 */
static bool should_compact_retry(struct machine *m, unsigned int order,
				 struct alloc_context *ac)
{
	int max_retries = 16, min_priority;	/* MAX_COMPACT_RETRIES */
	int res = ac->compact_result;

	if (!order)
		return false;
	if (res == COMPACT_SKIPPED)
		return ++ac->compaction_retries <= max_retries &&
		       compaction_zonelist_suitable(m, ac->preferred_node, ac->highest_zoneidx,
						    order);
	if (res == COMPACT_SUCCESS)		/* compaction_made_progress() */
		ac->compaction_retries++;
	if (res == COMPACT_COMPLETE || res == COMPACT_DEFERRED || res == COMPACT_CONTENDED ||
	    res == COMPACT_PARTIAL_SKIPPED)	/* compaction_failed() / _withdrawn() */
		goto check_priority;
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		max_retries /= 4;
	if (++ac->compaction_retries <= max_retries)
		return true;
check_priority:
	min_priority = order > PAGE_ALLOC_COSTLY_ORDER ? MIN_COMPACT_COSTLY_PRIORITY :
							 MIN_COMPACT_PRIORITY;
	if (ac->compact_priority > min_priority) {
		ac->compact_priority--;
		ac->compaction_retries = 0;
		return true;
	}
	return false;
}

/*
 * should_reclaim_retry() - retry while reclaim makes progress and some zone
 * could pass its min watermark with all its reclaimable pages freed; after
 * MAX_RECLAIM_RETRIES rounds without progress, give the highatomic reserves
 * back to the last and retry once more for each.
 */
static bool should_reclaim_retry(struct machine *m, unsigned int order,
				 struct alloc_context *ac, unsigned int alloc_flags,
				 bool did_some_progress, int *no_progress_loops)
{
	const pg_data_t *pgdat = &m->nodes[ac->preferred_node];

	if (did_some_progress && order <= PAGE_ALLOC_COSTLY_ORDER)
		*no_progress_loops = 0;
	else
		(*no_progress_loops)++;
	if (*no_progress_loops > MAX_RECLAIM_RETRIES)
		return unreserve_highatomic_pageblock(m, ac, true);
	for (unsigned int i = 0; i < pgdat->nr_zonerefs; i++) {
		struct zone *z = &m->nodes[pgdat->zonelist[i].node].node_zones[pgdat->zonelist[i].zone];
		uint64_t available;

		if (!zone_allowed(z, ac))
			continue;
		available = zone_reclaimable_pages(m, z) + z->nr_free_pages;
		if (__zone_watermark_ok(z, order, z->_watermark[WMARK_MIN] + z->watermark_boost,
					ac->highest_zoneidx, alloc_flags, (long)available, NULL))
			return true;
	}
	return unreserve_highatomic_pageblock(m, ac, true);
}

/*
 * __alloc_pages_may_oom() - the OOM killer's turn, after reclaim stopped
 * helping: one more try at the high watermark (a kill elsewhere may just
 * have freed memory), then, for the requests the OOM killer may serve
 * (mm_slowpath_may_oom(): not a costly order, not __GFP_RETRY_MAYFAIL or
 * __GFP_THISNODE, not for the low zones), out_of_memory(). After a kill the
 * slow path's "retry" label tries at once (and again after draining the
 * per-CPU lists the victim's pages went to). An OOM victim allocating for
 * itself gets the ALLOC_OOM share of the reserves once and then fails (it
 * is on its way out). Where the kernel would wait (a GFP_NOFS request that
 * out_of_memory() kills nothing for, a victim not yet gone), the engine,
 * where nothing else runs meanwhile, reports no progress: the request fails
 * and @ac says why. __GFP_NOFAIL gets every reserve. Kernel: mm/page_alloc.c,
 * __alloc_pages_may_oom() and the end of __alloc_pages_slowpath().
 */
static uint32_t __alloc_pages_may_oom(struct machine *m, unsigned int order,
				      unsigned int alloc_flags, struct alloc_context *ac,
				      struct zone **z, bool *did_some_progress)
{
	struct oom_control oc = { .gfp_mask = ac->gfp, .order = (int)order, .cpu = ac->cpu };
	struct alloc_context high = *ac;
	struct mm_struct *cur;
	uint32_t pfn;

	*did_some_progress = false;
	high.gfp = (ac->gfp | __GFP_HARDWALL) & ~__GFP_DIRECT_RECLAIM;
	pfn = get_page_from_freelist(m, order, ALLOC_WMARK_HIGH | ALLOC_CPUSET, &high, z);
	if (pfn != PFN_NIL || !mm_slowpath_may_oom(ac->gfp, order))
		return pfn;
	if (!out_of_memory(m, &oc) && !(ac->gfp & __GFP_NOFAIL)) {
		ac->oom_outcome = oc.outcome;
		return PFN_NIL;
	}
	ac->oom_outcome = oc.outcome;
	if (ac->gfp & __GFP_NOFAIL)
		return get_page_from_freelist(m, order, ALLOC_NO_WATERMARKS, ac, z);
	cur = oom_current(m, ac->cpu);
	if (cur && cur->oom_victim) {	/* __gfp_pfmemalloc_flags(): oom_reserves_allowed() */
		if (!(ac->gfp & __GFP_NOMEMALLOC))
			pfn = get_page_from_freelist(m, order, alloc_flags | ALLOC_OOM, ac, z);
		return pfn;
	}
	if (!oc.killed)
		return PFN_NIL;		/* the kernel would wait and retry here */
	pfn = get_page_from_freelist(m, order, alloc_flags, ac, z);
	if (pfn == PFN_NIL) {
		mm_drain_all_pages(m);
		pfn = get_page_from_freelist(m, order, alloc_flags, ac, z);
	}
	*did_some_progress = pfn == PFN_NIL;
	return pfn;
}

/*
 * The reclaim loop of __alloc_pages_slowpath(): direct reclaim, direct
 * compaction at the slow path's priority, the retry rules for __GFP_NORETRY
 * and costly orders, should_reclaim_retry(), should_compact_retry(), then
 * the OOM killer's turn. Reclaim's own allocations never reclaim or compact
 * (PF_MEMALLOC).
 */
static uint32_t direct_reclaim_retries(struct machine *m, unsigned int order,
				       unsigned int alloc_flags, struct alloc_context *ac,
				       struct zone **z)
{
	bool costly = order > PAGE_ALLOC_COSTLY_ORDER, progress;
	int no_progress_loops = 0;
	unsigned long reclaimed;
	uint32_t pfn;

	if (!(ac->gfp & __GFP_DIRECT_RECLAIM) || !ac->any_zone || m->in_reclaim)
		return PFN_NIL;
retry:
	if (ac->gfp & __GFP_KSWAPD_RECLAIM)
		wake_all_kswapds(m, order, ac);
	pfn = __alloc_pages_direct_reclaim(m, order, alloc_flags, ac, z, &reclaimed);
	if (pfn != PFN_NIL)
		return pfn;
	pfn = __alloc_pages_direct_compact(m, order, alloc_flags, ac,
					   (enum compact_priority)ac->compact_priority, z);
	if (pfn != PFN_NIL || (ac->gfp & __GFP_NORETRY) ||
	    (costly && (!(ac->gfp & __GFP_IO) || !(ac->gfp & __GFP_RETRY_MAYFAIL))))
		return pfn;
	if (should_reclaim_retry(m, order, ac, alloc_flags, reclaimed, &no_progress_loops))
		goto retry;
	if ((ac->gfp & __GFP_IO) && should_compact_retry(m, order, ac))
		goto retry;
	pfn = __alloc_pages_may_oom(m, order, alloc_flags, ac, z, &progress);
	if (pfn != PFN_NIL)
		return pfn;
	if (progress) {
		no_progress_loops = 0;
		goto retry;
	}
	return PFN_NIL;
}

/*
 * nofail_reserves() - the reserves __alloc_pages_slowpath() opens to a
 * __GFP_NOFAIL request that may sleep before it loops again: all of them when
 * it reaches the OOM killer's turn (__alloc_pages_may_oom() gives
 * ALLOC_NO_WATERMARKS), then the ALLOC_MIN_RESERVE share at its "nopage" end.
 */
static uint32_t nofail_reserves(struct machine *m, unsigned int order,
				struct alloc_context *ac, struct zone **z)
{
	uint32_t pfn = PFN_NIL;

	if (!(ac->gfp & __GFP_NOFAIL) || !(ac->gfp & __GFP_DIRECT_RECLAIM) || !ac->any_zone)
		return PFN_NIL;
	if (!(ac->gfp & __GFP_NORETRY) && mm_slowpath_may_oom(ac->gfp, order))
		pfn = get_page_from_freelist(m, order, ALLOC_NO_WATERMARKS, ac, z);
	if (pfn == PFN_NIL)
		pfn = get_page_from_freelist(m, order, ALLOC_WMARK_MIN | ALLOC_MIN_RESERVE, ac, z);
	return pfn;
}

/*
 * __alloc_pages() - the allocator's entry for every engine unit: a fast pass
 * at the low watermark, then one pass with the rights gfp_to_alloc_flags()
 * grants (min watermark, atomic reserves), the reserves __GFP_MEMALLOC and
 * __GFP_NOFAIL open, then failure. @owner is who gets the block. Kernel:
 * mm/page_alloc.c, __alloc_pages_noprof() and __alloc_pages_slowpath()
 * without reclaim or compaction, with the OOM killer: a refusal says in @sp
 * what the kernel would do instead (slowpath.c), and what the OOM killer did.
 */
static int alloc_pages_sp(struct machine *m, gfp_t gfp, unsigned int order, int node, int cpu,
			  int owner, struct alloc_pages_result *res, struct mm_error *e,
			  struct mm_slowpath *sp)
{
	struct alloc_context ac = { .sp = sp };
	unsigned int alloc_flags;
	struct zone *z = NULL;
	uint32_t pfn;

	if (!m->booted)
		return mm_error_set(e, -EPERM, "the buddy allocator is not up yet");
	if (order > m->max_order)
		return mm_error_set(e, -EINVAL, "order %u is above MAX_PAGE_ORDER (%u)",
				    order, m->max_order);
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if (node < -1 || node >= (int)m->nr_nodes)
		return mm_error_set(e, -EINVAL, "no node %d (the machine has %u)", node,
				    m->nr_nodes);
	ac.highest_zoneidx = gfp_zone(gfp);
	ac.migratetype = gfp_migratetype(gfp);
	if (ac.highest_zoneidx < 0 || ac.migratetype < 0 || (gfp & ~__GFP_BITS_MASK))
		return mm_error_set(e, -EINVAL, "invalid gfp flag combination 0x%x", gfp);
	ac.preferred_node = node < 0 ? m->cpu_to_node[cpu] : node;
	ac.gfp = gfp;
	ac.cpu = cpu;
	ac.owner = owner;

	if (m->fail_nth && --m->fail_nth == 0)
		return alloc_fail(m, order, &ac, "injected", "failure injection asked for it", e);

	alloc_flags = ALLOC_WMARK_LOW | alloc_flags_nofragment(m, &ac);
	pfn = get_page_from_freelist(m, order, alloc_flags, &ac, &z);
	if (pfn == PFN_NIL) {
		alloc_flags = gfp_to_alloc_flags(gfp, order);
		if (alloc_flags & ALLOC_KSWAPD)
			wake_all_kswapds(m, order, &ac);
		pfn = get_page_from_freelist(m, order, alloc_flags, &ac, &z);
	}
	if (pfn == PFN_NIL && (gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC))
		pfn = get_page_from_freelist(m, order, ALLOC_NO_WATERMARKS, &ac, &z);
	ac.compact_priority = DEF_COMPACT_PRIORITY;
	ac.compact_result = COMPACT_SKIPPED;
	/*
	 * The first direct compaction, asynchronous, before any reclaim: for
	 * costly orders, and for unmovable or reclaimable orders above 0.
	 */
	if (pfn == PFN_NIL && (gfp & __GFP_DIRECT_RECLAIM) && (gfp & __GFP_IO) &&
	    !m->in_reclaim && ac.any_zone && !((gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC)) &&
	    (order > PAGE_ALLOC_COSTLY_ORDER || (order > 0 && ac.migratetype != MIGRATE_MOVABLE))) {
		pfn = __alloc_pages_direct_compact(m, order, gfp_to_alloc_flags(gfp, order), &ac,
						   INIT_COMPACT_PRIORITY, &z);
		if (pfn == PFN_NIL && order > PAGE_ALLOC_COSTLY_ORDER && (gfp & __GFP_NORETRY)) {
			if (ac.compact_result == COMPACT_SKIPPED ||
			    ac.compact_result == COMPACT_DEFERRED)
				goto nopage;
			ac.compact_priority = INIT_COMPACT_PRIORITY;
		}
	}
	if (pfn == PFN_NIL)
		pfn = direct_reclaim_retries(m, order, gfp_to_alloc_flags(gfp, order), &ac, &z);
	if (pfn == PFN_NIL)
		pfn = nofail_reserves(m, order, &ac, &z);
nopage:
	if (pfn == PFN_NIL) {
		if (!ac.any_zone)
			return alloc_fail(m, order, &ac, "zone not allowed",
					  "no populated zone that these flags allow", e);
		if (ac.watermark_failed)
			return alloc_fail(m, order, &ac, "watermark",
					  "every allowed zone is below its watermark", e);
		return alloc_fail(m, order, &ac, "order unavailable",
				  "no free block of this order or larger in any allowed zone", e);
	}
	m->nr_allocs++;
	zone_statistics(m, z, &ac);
	kswapd_note_alloc(m, z->node, order);	/* vmscan.c: kswapd's turn every SWAP_CLUSTER_MAX pages */
	if (events_on(m))
		alloc_event(m, MM_EV_mm_page_alloc, pfn, order, z, &ac);
	if (res) {
		res->pfn = pfn;
		res->order = order;
		res->zone = z->idx;
		res->node = z->node;
		res->migratetype = ac.migratetype;
	}
	return 0;
}

int __alloc_pages(struct machine *m, gfp_t gfp, unsigned int order, int node, int cpu,
		  int owner, struct alloc_pages_result *res, struct mm_error *e)
{
	return alloc_pages_sp(m, gfp, order, node, cpu, owner, res, e, NULL);
}

int mm_alloc_pages(struct machine *m, gfp_t gfp, unsigned int order, int node,
		   int cpu, struct alloc_pages_result *res, struct mm_error *e)
{
	return alloc_pages_sp(m, gfp, order, node, cpu, OWNER_OTHER, res, e, NULL);
}

int mm_alloc_pages_sp(struct machine *m, gfp_t gfp, unsigned int order, int node,
		      int cpu, struct alloc_pages_result *res, struct mm_error *e,
		      struct mm_slowpath *sp)
{
	return alloc_pages_sp(m, gfp, order, node, cpu, OWNER_OTHER, res, e, sp);
}

void machine_fail_nth_alloc(struct machine *m, unsigned long n)
{
	m->fail_nth = n;
}

/*** Freeing ***/

/* Is @pfn the head of a block of @order that @owner holds? -EINVAL saying why not. */
static int check_free_target(const struct machine *m, uint64_t pfn, unsigned int order,
			     int owner, struct mm_error *e)
{
	const struct page *p;

	if (pfn >= m->max_pfn)
		return mm_error_set(e, -EINVAL, "pfn 0x%llx is beyond the machine (max_pfn 0x%llx)",
				    (unsigned long long)pfn, (unsigned long long)m->max_pfn);
	p = &m->mem_map[pfn];
	if (p->owner == OWNER_HOLE)
		return mm_error_set(e, -EINVAL, "pfn 0x%llx is a hole: no RAM behind it",
				    (unsigned long long)pfn);
	if (p->owner == OWNER_FREE || p->owner == OWNER_PCP)
		return mm_error_set(e, -EINVAL, "pfn 0x%llx is already free (double free)",
				    (unsigned long long)pfn);
	if (p->owner != owner)
		return mm_error_set(e, -EINVAL, "pfn 0x%llx belongs to %s, not to %s",
				    (unsigned long long)pfn, page_owner_name(p->owner),
				    page_owner_name(owner));
	if (p->compound_head != pfn)
		return mm_error_set(e, -EINVAL,
				    "pfn 0x%llx is inside the order-%u block at pfn 0x%llx",
				    (unsigned long long)pfn, m->mem_map[p->compound_head].order,
				    (unsigned long long)p->compound_head);
	if (p->order != order)
		return mm_error_set(e, -EINVAL,
				    "pfn 0x%llx heads an order-%u block, not order %u",
				    (unsigned long long)pfn, p->order, order);
	if (p->_refcount != 1)
		return mm_error_set(e, -EINVAL, "pfn 0x%llx has refcount %d",
				    (unsigned long long)pfn, p->_refcount);
	return 0;
}

static int free_pages_owner(struct machine *m, uint64_t pfn, unsigned int order, int cpu,
			    int owner, bool batched, struct mm_error *e)
{
	struct page *head;
	uint64_t i;
	int err;

	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if (order > m->max_order)
		return mm_error_set(e, -EINVAL, "order %u is above MAX_PAGE_ORDER (%u)",
				    order, m->max_order);
	err = check_free_target(m, pfn, order, owner, e);
	if (err)
		return err;
	head = &m->mem_map[pfn];
	if (page_is_charged_kind(head) && head->folio.memcg_id)
		mem_cgroup_uncharge(m, pfn);	/* freed without folio_put(): memcontrol.c */
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_mm_page_free);
		ev.cpu = cpu;
		ev.node = head->node;
		ev.zone = head->zone;
		ev.pfn = pfn;
		ev.paddr = PFN_PHYS(pfn);
		ev.order = (int)order;
		ev.size = PFN_PHYS(1ULL << order);
		ev.migratetype = get_pageblock_migratetype(m, pfn);
		emit(m, &ev);
	}
	/*
	 * free_pages_prepare(): a page still mapped is a bad page; a typed one
	 * has its type word reset (page_type overlays _mapcount).
	 */
	for (i = 0; i < (1ULL << order); i++) {
		SIM_BUG_ON(!page_has_type(&head[i]) && head[i]._mapcount != -1);
		head[i].flags = 0;
		head[i]._refcount = 0;
		head[i].page_type = UINT32_MAX;
		head[i].tail = 0;
		head[i].compound_head = (uint32_t)(pfn + i);
	}
	head->order = 0;
	free_unref_page(m, pfn, order, cpu, batched);
	return 0;
}

/*
 * __free_pages_owner() - __free_pages() for a block that @owner holds: the
 * per-CPU list for small orders, the buddy for the rest.
 */
int __free_pages_owner(struct machine *m, uint64_t pfn, unsigned int order, int cpu,
		       int owner, struct mm_error *e)
{
	return free_pages_owner(m, pfn, order, cpu, owner, false, e);
}

/*
 * free_unref_folios() for one folio of a batch (folios_put(), the reclaim's
 * free list): mm_page_free as it is prepared, then mm_page_free_batched as
 * it goes to the CPU's list. The kernel prepares the whole batch before it
 * lists any; the engine frees a batch's folios one after the other, so the
 * two lines of a folio come together.
 */
int free_unref_folio_batched(struct machine *m, uint64_t pfn, int cpu, int owner)
{
	return free_pages_owner(m, pfn, 0, cpu, owner, true, NULL);
}

int mm_free_pages(struct machine *m, uint64_t pfn, unsigned int order, int cpu,
		  struct mm_error *e)
{
	return __free_pages_owner(m, pfn, order, cpu, OWNER_OTHER, e);
}

/*
 * decay_pcp_high() - the periodic shrink of a CPU's list: its high mark
 * falls by an eighth (at most to the pages above 32 batches, never below
 * high_min), and what the list holds above it goes back to the buddy a batch
 * at a time. True while there is more to do. Kernel: mm/page_alloc.c.
 */
static bool decay_pcp_high(struct machine *m, struct zone *z, struct per_cpu_pages *pcp,
			   int cpu)
{
	int high_min = pcp->high_min, batch = pcp->batch, to_drain;
	bool todo = false;

	if (pcp->high > high_min) {
		int by_count = pcp->count - (batch << PCP_BATCH_SCALE_MAX);
		int by_eighth = pcp->high - (pcp->high >> 3);

		pcp->high = by_count > by_eighth ? by_count : by_eighth;
		if (pcp->high < high_min)
			pcp->high = high_min;
		if (pcp->high > high_min)
			todo = true;
	}
	for (to_drain = pcp->count - pcp->high; to_drain > 0; to_drain -= batch) {
		free_pcppages_bulk(m, z, to_drain < batch ? to_drain : batch, pcp, 0, cpu);
		todo = true;
	}
	return todo;
}

/*
 * vmstat_update on @cpu: refresh_cpu_vm_stats(true) (mm/vmstat.c) decays the
 * CPU's list of every populated zone; *requeue says whether the kernel would
 * run it again a second later. The engine keeps no per-CPU counter deltas,
 * so the NUMA expiry of remote zones' lists (pcp->expire) is not part of it.
 */
int mm_vmstat_update(struct machine *m, int cpu, bool *requeue, struct mm_error *e)
{
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	*requeue = false;
	for (unsigned int n = 0; n < m->nr_nodes; n++)
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &m->nodes[n].node_zones[zi];

			if (populated_zone(z) && z->pcp && decay_pcp_high(m, z, &z->pcp[cpu], cpu))
				*requeue = true;
		}
	return 0;
}

/*
 * drain_all_pages() - every CPU's lists back to the buddy.
 * Kernel: mm/page_alloc.c, drain_all_pages() / drain_pages_zone().
 */
void mm_drain_all_pages(struct machine *m)
{
	unsigned int n, cpu;
	int zi;

	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &m->nodes[n].node_zones[zi];

			for (cpu = 0; cpu < m->nr_cpus; cpu++)
				if (z->pcp[cpu].count)
					free_pcppages_bulk(m, z, z->pcp[cpu].count, &z->pcp[cpu],
							   0, (int)cpu);
		}
}

/*** Zonelists ***/

/*
 * build_all_zonelists() - each node's fallback list: its own zones from the
 * highest down, then the other nodes' in order of distance (here: node id
 * after the local one). Kernel: mm/page_alloc.c, build_zonelists().
 */
void build_all_zonelists(struct machine *m)
{
	unsigned int n, k;
	int zi;

	for (n = 0; n < m->nr_nodes; n++) {
		pg_data_t *pgdat = &m->nodes[n];

		pgdat->nr_zonerefs = 0;
		if (!pgdat->zonelist)
			pgdat->zonelist = calloc(m->nr_nodes * MAX_NR_ZONES, sizeof(struct zoneref));
		SIM_BUG_ON(!pgdat->zonelist);
		for (k = 0; k < m->nr_nodes; k++) {
			unsigned int other = (n + k) % m->nr_nodes;

			for (zi = MAX_NR_ZONES - 1; zi >= 0; zi--)
				if (managed_zone(&m->nodes[other].node_zones[zi]))
					pgdat->zonelist[pgdat->nr_zonerefs++] =
						(struct zoneref){ (uint16_t)other, (uint16_t)zi };
		}
	}
}

/*** Watermarks, lowmem_reserve, pcp high and batch at boot ***/

static uint64_t int_sqrt(uint64_t x)
{
	uint64_t r = 0, bit = 1ULL << 62;

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

/* nr_free_buffer_pages(): managed pages above the high watermark, zones <= Normal. */
static uint64_t nr_free_buffer_pages(const struct machine *m)
{
	uint64_t sum = 0;
	unsigned int n;
	int zi;

	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi <= ZONE_NORMAL; zi++) {
			const struct zone *z = &m->nodes[n].node_zones[zi];
			uint64_t high = z->_watermark[WMARK_HIGH] + z->watermark_boost;

			if (z->managed_pages > high)
				sum += z->managed_pages - high;
		}
	return sum;
}

/* calculate_min_free_kbytes(): sqrt(lowmem_kbytes * 16), within [128, 262144]. */
static void calculate_min_free_kbytes(struct machine *m)
{
	uint64_t lowmem_kbytes = nr_free_buffer_pages(m) * (PAGE_SIZE >> 10);
	long v = (long)int_sqrt(lowmem_kbytes * 16);

	m->min_free_kbytes = v < 128 ? 128 : v > 262144 ? 262144 : v;
}

/* zone_batchsize(): about a quarter of a thousandth of the zone, 2^n - 1. */
static int zone_batchsize(const struct zone *z)
{
	uint64_t b = z->managed_pages >> 10;
	int batch, p = 1;

	if (b > SZ_1M / PAGE_SIZE)
		b = SZ_1M / PAGE_SIZE;
	batch = (int)b / 4;
	if (batch < 1)
		batch = 1;
	while (p * 2 <= batch + batch / 2)
		p *= 2;
	return p - 1;
}

/* zone_highsize(): the low watermark (or a fraction of the zone) split over the node's CPUs. */
static int zone_highsize(const struct machine *m, const struct zone *z, int batch,
			 int high_fraction)
{
	uint64_t total = high_fraction ? z->managed_pages / (uint64_t)high_fraction :
			 z->_watermark[WMARK_LOW];
	int nr_split_cpus = m->nodes[z->node].nr_cpus;
	int high;

	if (!nr_split_cpus)
		nr_split_cpus = (int)m->nr_cpus;
	high = (int)(total / (uint64_t)nr_split_cpus);
	return high > batch << 2 ? high : batch << 2;
}

/* zone_set_pageset_high_and_batch(): the pageset limits of every CPU for one zone. */
static void zone_pcp_update(const struct machine *m, struct zone *z)
{
	int batch = zone_batchsize(z);
	unsigned int cpu;

	if (batch < 1)
		batch = 1;
	z->pageset_batch = batch;
	z->pageset_high_min = zone_highsize(m, z, batch, 0);
	z->pageset_high_max = zone_highsize(m, z, batch, MIN_PERCPU_PAGELIST_HIGH_FRACTION);
	for (cpu = 0; cpu < m->nr_cpus; cpu++) {
		z->pcp[cpu].batch = batch;
		z->pcp[cpu].high_min = z->pageset_high_min;
		z->pcp[cpu].high_max = z->pageset_high_max;
	}
}

/* calculate_totalreserve_pages(): what MemAvailable leaves out. */
static void calculate_totalreserve_pages(struct machine *m)
{
	uint64_t total = 0;
	unsigned int n;
	int i, j;

	for (n = 0; n < m->nr_nodes; n++)
		for (i = 0; i < MAX_NR_ZONES; i++) {
			const struct zone *z = &m->nodes[n].node_zones[i];
			uint64_t max = 0;

			for (j = i; j < MAX_NR_ZONES; j++)
				if (z->lowmem_reserve[j] > max)
					max = z->lowmem_reserve[j];
			max += z->_watermark[WMARK_HIGH];
			if (max > z->managed_pages)
				max = z->managed_pages;
			total += max;
		}
	m->totalreserve_pages = total;
}

/*
 * __setup_per_zone_wmarks() - min_free_kbytes shared out by zone size; low,
 * high and promo each a quarter of min (or watermark_scale_factor of the
 * zone) above the previous one. Then the pcp limits follow the new low mark.
 * Kernel: mm/page_alloc.c, setup_per_zone_wmarks().
 */
static void setup_per_zone_wmarks(struct machine *m)
{
	uint64_t pages_min = (uint64_t)m->min_free_kbytes >> (PAGE_SHIFT - 10);
	uint64_t lowmem_pages = 0;
	unsigned int n;
	int zi;

	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++)
			if (zi != ZONE_MOVABLE)
				lowmem_pages += m->nodes[n].node_zones[zi].managed_pages;
	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &m->nodes[n].node_zones[zi];
			uint64_t tmp = lowmem_pages ? pages_min * z->managed_pages / lowmem_pages : 0;
			uint64_t scaled = z->managed_pages * (uint64_t)m->watermark_scale_factor / 10000;

			if (zi == ZONE_MOVABLE) {
				uint64_t min_pages = z->managed_pages / 1024;

				min_pages = min_pages < SWAP_CLUSTER_MAX ? SWAP_CLUSTER_MAX :
					    min_pages > 128 ? 128 : min_pages;
				z->_watermark[WMARK_MIN] = min_pages;
			} else {
				z->_watermark[WMARK_MIN] = tmp;
			}
			tmp = tmp >> 2 > scaled ? tmp >> 2 : scaled;
			z->watermark_boost = 0;
			z->_watermark[WMARK_LOW] = z->_watermark[WMARK_MIN] + tmp;
			z->_watermark[WMARK_HIGH] = z->_watermark[WMARK_LOW] + tmp;
			z->_watermark[WMARK_PROMO] = z->_watermark[WMARK_HIGH] + tmp;
		}
	calculate_totalreserve_pages(m);
	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++)
			zone_pcp_update(m, &m->nodes[n].node_zones[zi]);
}

/*
 * setup_per_zone_lowmem_reserve() - how much of a lower zone stays out of
 * reach of requests that could have used a higher one: the managed pages
 * above it divided by the zone's ratio. Kernel: mm/page_alloc.c.
 */
static void setup_per_zone_lowmem_reserve(struct machine *m)
{
	unsigned int n;
	int i, j;

	for (n = 0; n < m->nr_nodes; n++)
		for (i = 0; i < MAX_NR_ZONES - 1; i++) {
			struct zone *z = &m->nodes[n].node_zones[i];
			uint64_t ratio = sysctl_lowmem_reserve_ratio[i], managed = 0;
			bool clear = !ratio || !z->managed_pages;

			for (j = i + 1; j < MAX_NR_ZONES; j++) {
				managed += m->nodes[n].node_zones[j].managed_pages;
				z->lowmem_reserve[j] = clear ? 0 : managed / ratio;
			}
		}
	calculate_totalreserve_pages(m);
}

/*
 * set_recommended_min_free_kbytes() - with transparent hugepages on,
 * khugepaged raises min_free_kbytes so that a few pageblocks per zone stay
 * free for fragmentation avoidance (at most 5% of lowmem).
 * Kernel: mm/khugepaged.c.
 */
static void set_recommended_min_free_kbytes(struct machine *m)
{
	uint64_t nr_zones = 0, recommended_min, cap;
	unsigned int n;
	int zi;

	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi <= ZONE_NORMAL; zi++)
			if (populated_zone(&m->nodes[n].node_zones[zi]))
				nr_zones++;
	recommended_min = pageblock_nr_pages * nr_zones * 2;
	recommended_min += pageblock_nr_pages * nr_zones * MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
	cap = nr_free_buffer_pages(m) / 20;
	if (recommended_min > cap)
		recommended_min = cap;
	recommended_min <<= PAGE_SHIFT - 10;
	if ((long)recommended_min > m->min_free_kbytes)
		m->min_free_kbytes = (long)recommended_min;
	setup_per_zone_wmarks(m);
}

/*
 * init_per_zone_wmark_min() - the boot-time watermark set-up, then
 * khugepaged's adjustment as hugepage_init() triggers it.
 */
void init_per_zone_wmark_min(struct machine *m)
{
	calculate_min_free_kbytes(m);
	setup_per_zone_wmarks(m);
	setup_per_zone_lowmem_reserve(m);
	if (m->thp_enabled)
		set_recommended_min_free_kbytes(m);
}

/*** Queries ***/

uint64_t zone_pcp_pages(const struct zone *z, unsigned int nr_cpus)
{
	uint64_t n = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpus; cpu++)
		n += (uint64_t)z->pcp[cpu].count;
	return n;
}

/*
 * Every free block of a zone's buddy free lists, in list order (order by
 * order, migratetype by migratetype): what /proc/buddyinfo counts, one by one.
 */
int machine_zone_free_blocks(const struct machine *m, int node, int zone,
			     mm_free_block_fn fn, void *ctx)
{
	const struct zone *z;

	if (node < 0 || (unsigned int)node >= m->nr_nodes || zone < 0 || zone >= MAX_NR_ZONES)
		return -ENOENT;
	z = &m->nodes[node].node_zones[zone];
	for (unsigned int o = 0; o <= m->max_order && o < MAX_NR_ORDERS; o++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			for (uint32_t pfn = z->free_area[o].free_list[mt].first; pfn != PFN_NIL;
			     pfn = m->mem_map[pfn].next)
				if (fn(ctx, pfn, o, mt))
					return 0;
	return 0;
}

int machine_zone_info(const struct machine *m, int node, int zone, struct zone_info *zi)
{
	const struct zone *z;
	unsigned int o, t;
	uint64_t pb;

	if (node < 0 || (unsigned int)node >= m->nr_nodes || zone < 0 || zone >= MAX_NR_ZONES)
		return -ENOENT;
	z = &m->nodes[node].node_zones[zone];
	memset(zi, 0, sizeof(*zi));
	snprintf(zi->name, sizeof(zi->name), "%s", zone_type_name(zone));
	zi->node = node;
	zi->zone = zone;
	zi->populated = populated_zone(z);
	zi->start_pfn = z->zone_start_pfn;
	zi->spanned = z->spanned_pages;
	zi->present = z->present_pages;
	zi->managed = z->managed_pages;
	zi->free = z->nr_free_pages;
	zi->pcp = zone_pcp_pages(z, m->nr_cpus);
	zi->wmark_min = z->_watermark[WMARK_MIN];
	zi->wmark_low = z->_watermark[WMARK_LOW];
	zi->wmark_high = z->_watermark[WMARK_HIGH];
	zi->wmark_promo = z->_watermark[WMARK_PROMO];
	memcpy(zi->lowmem_reserve, z->lowmem_reserve, sizeof(zi->lowmem_reserve));
	for (o = 0; o <= m->max_order; o++) {
		zi->nr_free[o] = z->free_area[o].nr_free;
		for (t = 0; t < MIGRATE_TYPES; t++)
			zi->nr_free_mt[o][t] = z->free_area[o].free_list[t].nr;
	}
	if (z->spanned_pages)
		for (pb = z->zone_start_pfn & ~(pageblock_nr_pages - 1); pb < zone_end_pfn(z);
		     pb += pageblock_nr_pages)
			zi->nr_pageblocks_mt[get_pageblock_migratetype(m, pb)]++;
	memcpy(zi->owner_pages, z->owner_pages, sizeof(zi->owner_pages));
	zi->pcp_high = (unsigned int)z->pageset_high_min;
	zi->pcp_batch = (unsigned int)z->pageset_batch;
	zi->watermark_boost = z->watermark_boost;
	zi->pb_order = pageblock_order;
	zi->nr_reserved_highatomic = z->nr_reserved_highatomic;
	return 0;
}

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h, include/linux/kernel-page-flags.h) */
enum {
	KPF_LOCKED = 0, KPF_REFERENCED = 2, KPF_UPTODATE = 3, KPF_DIRTY = 4, KPF_LRU = 5,
	KPF_ACTIVE = 6, KPF_SLAB = 7, KPF_WRITEBACK = 8, KPF_RECLAIM = 9, KPF_BUDDY = 10,
	KPF_MMAP = 11, KPF_ANON = 12, KPF_SWAPCACHE = 13, KPF_SWAPBACKED = 14, KPF_COMPOUND_HEAD = 15,
	KPF_COMPOUND_TAIL = 16, KPF_UNEVICTABLE = 18, KPF_HWPOISON = 19, KPF_OFFLINE = 23,
	KPF_ZERO_PAGE = 24, KPF_PGTABLE = 26, KPF_RESERVED = 32, KPF_MLOCKED = 33,
	KPF_OWNER_2 = 34, KPF_PRIVATE = 35, KPF_PRIVATE_2 = 36, KPF_OWNER_PRIVATE = 37,
	KPF_ARCH = 38,
};

/* Flag names as include/trace/events/mmflags.h spells them for %pGp. */
static const char *const pageflag_names[NR_PAGEFLAGS] = {
	[PG_locked] = "locked", [PG_writeback] = "writeback",
	[PG_referenced] = "referenced", [PG_uptodate] = "uptodate", [PG_dirty] = "dirty",
	[PG_lru] = "lru", [PG_head] = "head", [PG_waiters] = "waiters",
	[PG_active] = "active", [PG_workingset] = "workingset",
	[PG_owner_priv_1] = "owner_priv_1", [PG_owner_2] = "owner_2", [PG_arch_1] = "arch_1",
	[PG_reserved] = "reserved", [PG_private] = "private", [PG_private_2] = "private_2",
	[PG_reclaim] = "reclaim", [PG_swapbacked] = "swapbacked",
	[PG_unevictable] = "unevictable", [PG_dropbehind] = "dropbehind",
	[PG_mlocked] = "mlocked", [PG_hwpoison] = "hwpoison",
};

static const char *const pagetype_names[] = {
	"buddy", "offline", "table", "guard", "hugetlb", "slab", "zsmalloc", "unaccepted",
	"large_kmalloc",
};

const char *page_type_name(uint32_t page_type)
{
	uint32_t i = (page_type >> 24) - PGTY_buddy;

	if ((int32_t)page_type >= (int32_t)((uint32_t)PGTY_mapcount_underflow << 24))
		return "";
	return i < sizeof(pagetype_names) / sizeof(pagetype_names[0]) ? pagetype_names[i]
								      : "unknown";
}

static uint64_t kpf_copy_bit(uint32_t flags, int kpf, int pg)
{
	return (uint64_t)((flags >> pg) & 1) << kpf;
}

/*
 * The /proc/kpageflags word of a page: types and pseudo flags first, then
 * the PG_ bits it copies. Kernel: fs/proc/page.c, stable_page_flags(); the
 * type tests look at the folio's head as folio_test_slab() does.
 */
static uint64_t stable_page_flags(const struct machine *m, uint64_t pfn)
{
	const struct page *p = &m->mem_map[pfn];
	const struct page *folio = p->tail ? &m->mem_map[p->compound_head] : p;
	uint64_t u = 0;

	if ((p->owner == OWNER_USER || p->owner == OWNER_PAGECACHE) && p->_mapcount >= 0)
		u |= 1ULL << KPF_MMAP;
	if ((p->owner == OWNER_USER || p->owner == OWNER_PAGECACHE) &&
	    (p->folio.mapping & 1))	/* FOLIO_MAPPING_ANON */
		u |= 1ULL << KPF_ANON;
	if (p->tail)
		u |= 1ULL << KPF_COMPOUND_TAIL;
	else
		u |= kpf_copy_bit(p->flags, KPF_COMPOUND_HEAD, PG_head);
	if (m->x86 && pfn == zero_pfn(m))
		u |= 1ULL << KPF_ZERO_PAGE;
	if (PageBuddy(p))
		u |= 1ULL << KPF_BUDDY;
	if (page_type_is(folio, PGTY_offline))
		u |= 1ULL << KPF_OFFLINE;
	if (PageTable(folio))
		u |= 1ULL << KPF_PGTABLE;
	if (PageSlab(folio))
		u |= 1ULL << KPF_SLAB;
	u |= kpf_copy_bit(folio->flags, KPF_LOCKED, PG_locked);
	u |= kpf_copy_bit(folio->flags, KPF_DIRTY, PG_dirty);
	u |= kpf_copy_bit(folio->flags, KPF_UPTODATE, PG_uptodate);
	u |= kpf_copy_bit(folio->flags, KPF_WRITEBACK, PG_writeback);
	u |= kpf_copy_bit(folio->flags, KPF_LRU, PG_lru);
	u |= kpf_copy_bit(folio->flags, KPF_REFERENCED, PG_referenced);
	u |= kpf_copy_bit(folio->flags, KPF_ACTIVE, PG_active);
	u |= kpf_copy_bit(folio->flags, KPF_RECLAIM, PG_reclaim);
	/* KPF_SWAPCACHE: PG_swapcache (PG_owner_priv_1) counts only with PG_swapbacked */
	if ((folio->flags & (1u << PG_swapbacked)) && (folio->flags & (1u << PG_owner_priv_1)))
		u |= 1ULL << KPF_SWAPCACHE;
	u |= kpf_copy_bit(folio->flags, KPF_SWAPBACKED, PG_swapbacked);
	u |= kpf_copy_bit(folio->flags, KPF_UNEVICTABLE, PG_unevictable);
	u |= kpf_copy_bit(folio->flags, KPF_MLOCKED, PG_mlocked);
	u |= kpf_copy_bit(p->flags, KPF_HWPOISON, PG_hwpoison);
	u |= kpf_copy_bit(folio->flags, KPF_RESERVED, PG_reserved);
	u |= kpf_copy_bit(folio->flags, KPF_OWNER_2, PG_owner_2);
	u |= kpf_copy_bit(folio->flags, KPF_PRIVATE, PG_private);
	u |= kpf_copy_bit(folio->flags, KPF_PRIVATE_2, PG_private_2);
	u |= kpf_copy_bit(folio->flags, KPF_OWNER_PRIVATE, PG_owner_priv_1);
	u |= kpf_copy_bit(folio->flags, KPF_ARCH, PG_arch_1);
	return u;
}

static const char *const kpf_names[64] = {
	[KPF_LOCKED] = "locked", [KPF_REFERENCED] = "referenced",
	[KPF_UPTODATE] = "uptodate", [KPF_DIRTY] = "dirty", [KPF_LRU] = "lru",
	[KPF_ACTIVE] = "active", [KPF_SLAB] = "slab", [KPF_WRITEBACK] = "writeback",
	[KPF_RECLAIM] = "reclaim", [KPF_BUDDY] = "buddy", [KPF_MMAP] = "mmap",
	[KPF_ANON] = "anonymous", [KPF_SWAPCACHE] = "swapcache", [KPF_SWAPBACKED] = "swapbacked",
	[KPF_COMPOUND_HEAD] = "compound_head", [KPF_COMPOUND_TAIL] = "compound_tail",
	[KPF_UNEVICTABLE] = "unevictable", [KPF_HWPOISON] = "hwpoison",
	[KPF_OFFLINE] = "offline", [KPF_ZERO_PAGE] = "zero_page", [KPF_PGTABLE] = "pgtable",
	[KPF_RESERVED] = "reserved", [KPF_MLOCKED] = "mlocked", [KPF_OWNER_2] = "owner_2",
	[KPF_PRIVATE] = "private", [KPF_PRIVATE_2] = "private_2",
	[KPF_OWNER_PRIVATE] = "owner_private", [KPF_ARCH] = "arch",
};

/* Join the names of the set bits of @bits with '|' into @buf. */
static void bits_text(uint64_t bits, const char *const *names, int nr, char *buf, size_t len)
{
	size_t pos = 0;
	int bit;

	buf[0] = '\0';
	for (bit = 0; bit < nr; bit++) {
		if (!(bits & (1ULL << bit)) || !names[bit])
			continue;
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", pos ? "|" : "", names[bit]);
		if (pos >= len)
			break;
	}
}

int machine_page_info(const struct machine *m, uint64_t pfn, struct page_info *pi)
{
	const struct page *p;

	if (pfn >= m->max_pfn || m->mem_map[pfn].owner == OWNER_HOLE)
		return -ENOENT;
	p = &m->mem_map[pfn];
	memset(pi, 0, sizeof(*pi));
	pi->pfn = pfn;
	pi->node = p->node;
	pi->zone = p->zone;
	pi->owner = p->owner;
	pi->flags = p->flags;
	bits_text(p->flags, pageflag_names, NR_PAGEFLAGS, pi->flags_text, sizeof(pi->flags_text));
	pi->page_type = p->page_type;
	snprintf(pi->page_type_name, sizeof(pi->page_type_name), "%s",
		 page_type_name(p->page_type));
	pi->kpageflags = stable_page_flags(m, pfn);
	bits_text(pi->kpageflags, kpf_names, 64, pi->kpageflags_text, sizeof(pi->kpageflags_text));
	pi->tail = p->tail;
	pi->zero_page = m->x86 && pfn == zero_pfn(m);
	pi->refcount = p->_refcount;
	/* page_mapcount(): _mapcount + 1; a typed page has none. */
	pi->typed = page_has_type(p);
	pi->raw_mapcount = pi->typed ? -1 : p->_mapcount;
	pi->mapcount = pi->typed ? 0 : p->_mapcount + 1;
	if (PageBuddy(p))
		pi->order = (int)p->private;
	else if (p->owner > OWNER_PCP && p->compound_head == pfn && p->_refcount > 0 &&
		 !page_test(p, PG_reserved))
		pi->order = p->order;
	else
		pi->order = MM_NA;
	pi->migratetype = get_pageblock_migratetype(m, pfn);
	pi->private_ = p->private;
	pi->compound_head = p->compound_head;
	if (PageSlab(p))
		snprintf(pi->slab_cache, sizeof(pi->slab_cache), "%s",
			 slab_cache_name(m, p->slab.slab_cache));
	pi->inuse = PageSlab(p) ? p->slab.inuse : 0;
	pi->objects = PageSlab(p) ? p->slab.objects : 0;
	return 0;
}

/*** Compaction's side of the allocator (compaction.c uses these) ***/

bool compaction_fallback_ok(const struct machine *m, const struct zone *z, unsigned int order,
			    int mt)
{
	return find_suitable_fallback(m, &z->free_area[order], order, mt, true) >= 0;
}

/*
 * __isolate_free_page() - take a free block off its list for the free
 * scanner or pageblock isolation. Unless the block is in an isolated
 * pageblock the zone must stay above its min watermark plus the block.
 * A block of half a pageblock or more turns its pageblocks movable (they
 * are about to hold migrated movable pages). Kernel: mm/page_alloc.c.
 */
uint64_t __isolate_free_page(struct machine *m, uint64_t pfn, unsigned int order)
{
	struct page *p = &m->mem_map[pfn];
	struct zone *z = page_zone(m, p);
	int mt = p->mt;
	uint64_t i;

	if (mt != MIGRATE_ISOLATE &&
	    !zone_watermark_ok(z, 0, z->_watermark[WMARK_MIN] + (1ULL << order), 0, 0))
		return 0;
	del_page_from_free_list(m, z, pfn, order, mt);
	set_block_owner(m, z, pfn, 1ULL << order, OWNER_OTHER);
	for (i = 0; i < (1ULL << order); i++) {
		p[i].compound_head = (uint32_t)(pfn + i);
		p[i].tail = 0;
		p[i].order = 0;
		p[i]._refcount = 0;
		p[i].flags = 0;
	}
	if (order + 1 >= pageblock_order) {
		for (i = 0; i < (1ULL << order); i += pageblock_nr_pages) {
			int bmt = get_pageblock_migratetype(m, pfn + i);

			if (bmt != MIGRATE_ISOLATE && migratetype_is_mergeable(bmt))
				set_pageblock_migratetype(m, pfn + i, MIGRATE_MOVABLE);
		}
	}
	return 1ULL << order;
}

/* release_free_list()'s mark_allocated() and __free_pages() for one block. */
void release_isolated_block(struct machine *m, uint64_t pfn, unsigned int order, int cpu)
{
	struct page *p = &m->mem_map[pfn];

	p->order = (uint8_t)order;
	p->_refcount = 1;
	p->private = 0;
	SIM_BUG_ON(__free_pages_owner(m, pfn, order, cpu, OWNER_OTHER, NULL));
}

void drain_pages_zone(struct machine *m, struct zone *z, int cpu)
{
	if (z->pcp && z->pcp[cpu].count)
		free_pcppages_bulk(m, z, z->pcp[cpu].count, &z->pcp[cpu], 0, cpu);
}

/*** Pageblock isolation (mm/page_isolation.c's side in the allocator) ***/

/*
 * A free block larger than a pageblock that covers @start is split into
 * pageblock-sized blocks first, each keeping the block's type, so that one
 * pageblock of it can change lists alone (split_large_buddy()).
 */
static void split_large_buddy_at(struct machine *m, struct zone *z, uint64_t start)
{
	for (unsigned int o = pageblock_order + 1; o <= m->max_order; o++) {
		uint64_t head = start & ~((1ULL << o) - 1), pfn;
		struct page *p = &m->mem_map[head];
		int mt;

		if (!PageBuddy(p) || p->private != o)
			continue;
		mt = p->mt;
		del_page_from_free_list(m, z, head, o, mt);
		for (pfn = head; pfn < head + (1ULL << o); pfn += pageblock_nr_pages)
			add_to_free_list(m, z, pfn, pageblock_order, mt, true);
		return;
	}
}

/*
 * has_unmovable_pages(): a page in use that is not on an LRU list (the
 * engine's movable pages are its LRU folios) pins the pageblock.
 */
static bool has_unmovable_pages(const struct machine *m, uint64_t start, uint64_t *bad_pfn,
				const char **why)
{
	for (uint64_t pfn = start; pfn < start + pageblock_nr_pages;) {
		const struct page *p = &m->mem_map[pfn];

		if (PageBuddy(p)) {
			pfn += 1ULL << p->private;
			continue;
		}
		if (p->owner == OWNER_PCP || p->owner == OWNER_FREE) {
			pfn++;
			continue;
		}
		if ((p->owner == OWNER_USER || p->owner == OWNER_PAGECACHE) &&
		    page_test(p, PG_lru)) {
			pfn++;
			continue;
		}
		*bad_pfn = pfn;
		*why = p->owner == OWNER_HOLE ? "a hole" :
		       PageSlab(p) ? "a slab page" : PageTable(p) ? "a page-table page" :
		       page_test(p, PG_reserved) ? "a reserved page" :
		       "a kernel page that cannot move";
		return true;
	}
	return false;
}

int set_migratetype_isolate(struct machine *m, uint64_t pfn, uint64_t *bad_pfn,
			    const char **why)
{
	uint64_t start = pfn & ~(pageblock_nr_pages - 1);
	struct zone *z = page_zone(m, &m->mem_map[start]);
	int mt = get_pageblock_migratetype(m, start);

	if (mt == MIGRATE_ISOLATE) {
		*bad_pfn = start;
		*why = "the pageblock is already isolated";
		return -EBUSY;
	}
	if (has_unmovable_pages(m, start, bad_pfn, why))
		return -EBUSY;
	split_large_buddy_at(m, z, start);
	move_freepages_block(m, z, start, mt, MIGRATE_ISOLATE);
	m->pageblock_mt[start >> pageblock_order] |= 1u << PB_migrate_isolate;
	return 0;
}

void unset_migratetype_isolate(struct machine *m, uint64_t pfn)
{
	uint64_t start = pfn & ~(pageblock_nr_pages - 1), p = start;
	struct zone *z = page_zone(m, &m->mem_map[start]);
	int mt;

	SIM_BUG_ON(!get_pageblock_isolate(m, start));
	m->pageblock_mt[start >> pageblock_order] &= (uint8_t)~(1u << PB_migrate_isolate);
	mt = get_pageblock_migratetype(m, start);
	/* each free block leaves the isolate list and merges as a fresh free would */
	while (p < start + pageblock_nr_pages) {
		struct page *pg = &m->mem_map[p];
		unsigned int order;

		if (!PageBuddy(pg)) {
			p++;
			continue;
		}
		order = (unsigned int)pg->private;
		del_page_from_free_list(m, z, p, order, MIGRATE_ISOLATE);
		__free_one_page(m, p, z, order, mt, FPI_TO_TAIL);
		p += 1ULL << order;
	}
}
