/*
 * compaction.c - memory compaction: a migrate scanner walks a zone upward a
 * pageblock at a time taking movable pages, a free scanner walks it downward
 * taking free pages, pages move from the bottom to the top until the two
 * meet, and free memory ends up in large blocks at the bottom.
 *
 * Mirrors mm/compaction.c of Linux 6.18: compact_zone(), isolate_migratepages()
 * and isolate_migratepages_block(), isolate_freepages() and
 * isolate_freepages_block(), suitable_migration_source/target(), the skip
 * hints (PB_compact_skip, compact_cached_*_pfn), __compact_finished(),
 * compaction_suitable() with fragmentation_index() against
 * vm.extfrag_threshold, defer_compaction()/compaction_deferred()/
 * compaction_defer_reset(), try_to_compact_pages(), compact_node() (the
 * /proc/sys/vm/compact_memory write), kcompactd (wakeup_kcompactd(),
 * kcompactd_do_work()) and proactive compaction (fragmentation_score_node(),
 * vm.compaction_proactiveness).
 *
 * Direct compaction captures (struct capture_control, compact_zone_order()):
 * while it runs, a block of the request's order that its own frees make in
 * its zone (the old frames of moved pages, drained from the per-CPU lists
 * when the migrate scanner leaves the request's aligned block, and the free
 * pages it isolated and did not use) is handed to the request by
 * __free_one_page() instead of going to a free list, so that no other
 * allocation can take it first; the run then ends with COMPACT_SUCCESS. A
 * block of MAX_PAGE_ORDER is never captured: __free_one_page() checks below
 * that order only, as the kernel's does.
 *
 * The fast searches of the free lists (fast_isolate_freepages(),
 * fast_find_migrateblock()) are taken by direct compaction and kcompactd,
 * which have an order; compact_memory's order -1 never takes them, so its
 * runs are the plain linear walks described below.
 *
 * How it compares with a real 6.18 run (compaction tracepoints on,
 * echo 1 > /proc/sys/vm/compact_memory): mm_compaction_begin with
 * migrate_pfn at the zone's start and free_pfn at the start of its last
 * pageblock; mm_compaction_isolate_migratepages ranges that go up and end
 * at a pageblock boundary or after COMPACT_CLUSTER_MAX (32) pages were
 * taken; mm_compaction_isolate_freepages ranges that come down a pageblock
 * at a time, each within one pageblock; mm_compaction_migratepages after
 * each batch; mm_compaction_end when the free scanner's pageblock is at or
 * below the migrate scanner's (compact_scanners_met()), status=complete for
 * a whole-zone run. The events carry the same numbers and text. On a 6.18
 * host the DMA zone's run reads "mm_compaction_begin: zone_start=0x1
 * migrate_pfn=0x1 free_pfn=0xe00 zone_end=0x1000, mode=sync", then one
 * isolate_migratepages range per pageblock (0x1 ~ 0x200, 0x200 ~ 0x400, ...,
 * nr_scanned counting a free block's pages on top of the one scanned, as
 * the skip over it does), and "mm_compaction_end: ... migrate_pfn=0xe00
 * free_pfn=0xe00 ... status=complete"; an engine machine of 128 MiB prints
 * the same begin and end lines for its DMA zone.
 *
 * Design notes: the invariants compaction_check() verifies (machine_check()
 * runs it), numbered CP1..CP5. They hold between ops; inside an op a
 * compaction or a migration may break them for a while.
 *  CP1. Nothing stays isolated: NR_ISOLATED_ANON and NR_ISOLATED_FILE are 0
 *       on every node, and every user or page-cache folio in use is on an
 *       LRU list (a folio taken for migration went back or moved).
 *  CP2. No PTE holds a migration entry: every one written was replaced by a
 *       PTE of the new frame (or the old one, when the move failed).
 *  CP3. No pageblock is isolated (alloc_contig_range() undoes its
 *       isolation before it returns), so no free page is on a
 *       MIGRATE_ISOLATE list, and the free pages of a pageblock are on the
 *       lists of its own type (invariant 3 of page_alloc.c).
 *  CP4. Each zone's cached scanner positions are inside the zone, its
 *       deferral is within its limits (compact_defer_shift <=
 *       COMPACT_MAX_DEFER_SHIFT, compact_considered <= 1 << shift).
 *  CP5. kcompactd has no pending run between ops, and its request is a
 *       valid order and zone. Its wait times out in the future (the idle op
 *       ran every timeout that came due), or never; never only while
 *       vm.compaction_proactiveness is 0 (a write above 0 wakes it, and it
 *       waits again with a timeout).
 * "No page lost" is invariants 1 and 7 of page_alloc.c (every page has one
 * owner, the counts match the walk); that a moved page is mapped where it
 * was with its content is what tests/unit/test_compaction.c checks across
 * each step of its randomised workload.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "compaction.h"
#include "pgtable.h"
#include "vmscan.h"

/* ALLOC_* of page_alloc.c that compaction passes on (mm/internal.h) */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_MASK	0x03u

#define MAX_COMPACT_RETRIES	16

static const char *const result_names[] = {
	[COMPACT_NOT_SUITABLE_ZONE] = "not_suitable_zone", [COMPACT_SKIPPED] = "skipped",
	[COMPACT_DEFERRED] = "deferred", [COMPACT_NO_SUITABLE_PAGE] = "no_suitable_page",
	[COMPACT_CONTINUE] = "continue", [COMPACT_COMPLETE] = "complete",
	[COMPACT_PARTIAL_SKIPPED] = "partial_skipped", [COMPACT_CONTENDED] = "contended",
	[COMPACT_SUCCESS] = "success",
};

const char *compact_result_name(int result)
{
	return result >= 0 && result <= COMPACT_SUCCESS ? result_names[result] : "?";
}

struct compact_control {
	struct machine *m;
	struct zone *zone;
	int order;			/* -1: the whole zone (compact_memory) */
	gfp_t gfp_mask;
	int migratetype;
	enum migrate_mode mode;
	unsigned int alloc_flags;
	int highest_zoneidx;
	int cpu;
	bool direct_compaction, whole_zone, ignore_skip_hint, ignore_block_suitable;
	bool finish_pageblock, proactive_compaction, no_set_skip_hint, contended;
	uint64_t migrate_pfn, free_pfn;
	uint64_t fast_start_pfn;	/* the lowest block the fast search found; UINT64_MAX: used */
	unsigned int fast_search_fail;	/* fast searches that found nothing in a row */
	int search_order;		/* the order fast_isolate_freepages() searches first */
	uint64_t total_migrate_scanned, total_free_scanned;
	uint64_t nr_freepages, nr_migratepages;
	struct list_head freepages[MAX_NR_ORDERS];	/* isolated free blocks, by order */
	struct migrate_list migratepages;
};

static inline uint64_t pb_start(const struct machine *m, uint64_t pfn)
{
	return pfn & ~(pageblock_nr_pages - 1);
}

static inline uint64_t pb_end(const struct machine *m, uint64_t pfn)
{
	return pb_start(m, pfn) + pageblock_nr_pages;
}

static inline bool pb_aligned(const struct machine *m, uint64_t pfn)
{
	return !(pfn & (pageblock_nr_pages - 1));
}

static inline bool is_via_compact_memory(int order)
{
	return order == -1;
}

/*** Events ***/

static const char *zone_name_padded(const struct zone *z, char *buf, size_t len)
{
	snprintf(buf, len, "%-8s", zone_type_name(z->idx));
	return buf;
}

static void zone_event(struct machine *m, int type, const struct zone *z, int order,
		       int64_t value, uint64_t size, uint64_t pfn)
{
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.node = z->node;
	ev.zone = z->idx;
	ev.order = order;
	ev.value = value;
	ev.size = size;
	ev.pfn = pfn;
	ev.detail = m->detail;
	emit(m, &ev);
}

static void suitable_event(struct machine *m, int type, const struct zone *z, int order,
			   int ret)
{
	char zn[16];

	if (!events_on(m))
		return;
	snprintf(m->detail, sizeof(m->detail), "node=%d zone=%s order=%d ret=%s", z->node,
		 zone_name_padded(z, zn, sizeof(zn)), order, compact_result_name(ret));
	zone_event(m, type, z, order, ret, MM_NA_U64, MM_NA_U64);
}

static void defer_event(struct machine *m, int type, const struct zone *z, int order)
{
	char zn[16];
	unsigned long limit = 1UL << z->compact_defer_shift;

	if (!events_on(m))
		return;
	snprintf(m->detail, sizeof(m->detail),
		 "node=%d zone=%s order=%d order_failed=%d consider=%u limit=%lu", z->node,
		 zone_name_padded(z, zn, sizeof(zn)), order, z->compact_order_failed,
		 z->compact_considered, limit);
	zone_event(m, type, z, order, z->compact_considered, limit, MM_NA_U64);
}

static void isolate_event(struct machine *m, int type, const struct zone *z, uint64_t start,
			  uint64_t end, uint64_t scanned, uint64_t taken)
{
	if (!events_on(m))
		return;
	snprintf(m->detail, sizeof(m->detail),
		 "range=(0x%" PRIx64 " ~ 0x%" PRIx64 ") nr_scanned=%" PRIu64 " nr_taken=%" PRIu64,
		 start, end, scanned, taken);
	zone_event(m, type, z, MM_NA, (int64_t)taken, end - start, start);
}

static void begin_end_event(struct compact_control *cc, int type, uint64_t start,
			    uint64_t end, bool sync, int status)
{
	struct machine *m = cc->m;
	int n;

	if (!events_on(m))
		return;
	n = snprintf(m->detail, sizeof(m->detail),
		     "zone_start=0x%" PRIx64 " migrate_pfn=0x%" PRIx64 " free_pfn=0x%" PRIx64
		     " zone_end=0x%" PRIx64 ", mode=%s", start, cc->migrate_pfn, cc->free_pfn,
		     end, sync ? "sync" : "async");
	if (type == MM_EV_mm_compaction_end && n > 0 && (size_t)n < sizeof(m->detail))
		snprintf(m->detail + n, sizeof(m->detail) - (size_t)n, " status=%s",
			 compact_result_name(status));
	zone_event(m, type, cc->zone, cc->order, (int64_t)cc->free_pfn, end - start,
		   cc->migrate_pfn);
}

/*** Deferral ***/

static void defer_compaction(struct machine *m, struct zone *z, int order)
{
	z->compact_considered = 0;
	z->compact_defer_shift++;
	if (order < z->compact_order_failed)
		z->compact_order_failed = order;
	if (z->compact_defer_shift > COMPACT_MAX_DEFER_SHIFT)
		z->compact_defer_shift = COMPACT_MAX_DEFER_SHIFT;
	defer_event(m, MM_EV_mm_compaction_defer_compaction, z, order);
}

static bool compaction_deferred(struct machine *m, struct zone *z, int order)
{
	unsigned long limit = 1UL << z->compact_defer_shift;

	if (order < z->compact_order_failed)
		return false;
	if (++z->compact_considered >= limit) {
		z->compact_considered = (unsigned int)limit;
		return false;
	}
	defer_event(m, MM_EV_mm_compaction_deferred, z, order);
	return true;
}

void compaction_defer_reset(struct machine *m, struct zone *z, int order, bool alloc_success)
{
	if (alloc_success) {
		z->compact_considered = 0;
		z->compact_defer_shift = 0;
	}
	if (order >= z->compact_order_failed)
		z->compact_order_failed = order + 1;
	defer_event(m, MM_EV_mm_compaction_defer_reset, z, order);
}

static bool compaction_restarting(const struct zone *z, int order)
{
	if (order < z->compact_order_failed)
		return false;
	return z->compact_defer_shift == COMPACT_MAX_DEFER_SHIFT &&
	       z->compact_considered >= 1UL << z->compact_defer_shift;
}

/*** Skip hints and cached positions ***/

static void reset_cached_positions(struct machine *m, struct zone *z)
{
	z->compact_cached_migrate_pfn[0] = z->zone_start_pfn;
	z->compact_cached_migrate_pfn[1] = z->zone_start_pfn;
	z->compact_cached_free_pfn = pb_start(m, zone_end_pfn(z) - 1);
}

/* A zone as boot leaves it: no skip hint, the scanners' positions at its ends. */
static void compaction_zone_init(struct machine *m, struct zone *z)
{
	uint64_t pfn;

	z->compact_blockskip_flush = false;
	for (pfn = pb_start(m, z->zone_start_pfn); pfn < zone_end_pfn(z);
	     pfn += pageblock_nr_pages)
		clear_pageblock_skip(m, pfn);
	z->compact_init_migrate_pfn = z->zone_start_pfn;
	z->compact_init_free_pfn = pb_start(m, zone_end_pfn(z) - 1);
	reset_cached_positions(m, z);
}

/* pageblock_skip_persistent(): a compound page of a pageblock or more keeps its block's hint. */
static bool pageblock_skip_persistent(const struct machine *m, uint64_t pfn)
{
	const struct page *p = pfn_to_page(m, pfn);
	const struct page *head = p->tail ? pfn_to_page(m, p->compound_head) : p;

	if (!p->tail && !page_test(p, PG_head))
		return false;
	return head->order >= pageblock_order;
}

/*
 * __reset_isolation_pfn() - whether the pageblock of @pfn can be a source of
 * the migrate scanner (@check_source: a page on an LRU list) or a target of
 * the free scanner (@check_target: a free page), sampling one page in
 * 1 << PAGE_ALLOC_COSTLY_ORDER from the block's start; if so its skip hint
 * is cleared. A block whose hint is clear already counts when both are
 * checked; a target must be a movable block. Kernel: mm/compaction.c.
 */
static bool __reset_isolation_pfn(struct machine *m, struct zone *z, uint64_t pfn,
				  bool check_source, bool check_target)
{
	uint64_t block_pfn, end_pfn;

	if (pfn < z->zone_start_pfn || pfn >= zone_end_pfn(z) ||
	    pfn_to_page(m, pfn)->owner == OWNER_HOLE)
		return false;
	if (pageblock_skip_persistent(m, pfn))
		return false;
	if (check_source && check_target && !get_pageblock_skip(m, pfn))
		return true;
	if (!check_source && check_target &&
	    get_pageblock_migratetype(m, pfn) != MIGRATE_MOVABLE)
		return false;
	block_pfn = pb_start(m, pfn);
	if (block_pfn < z->zone_start_pfn)
		block_pfn = z->zone_start_pfn;
	if (pfn_to_page(m, block_pfn)->owner != OWNER_HOLE)
		pfn = block_pfn;
	end_pfn = pb_end(m, pfn) - 1;
	if (end_pfn > zone_end_pfn(z) - 1)
		end_pfn = zone_end_pfn(z) - 1;
	if (pfn_to_page(m, end_pfn)->owner == OWNER_HOLE)
		return false;
	for (; pfn <= end_pfn; pfn += 1ULL << PAGE_ALLOC_COSTLY_ORDER) {
		const struct page *p = pfn_to_page(m, pfn);

		if ((check_source && page_test(p, PG_lru)) || (check_target && PageBuddy(p))) {
			clear_pageblock_skip(m, pfn);
			return true;
		}
	}
	return false;
}

/*
 * __reset_isolation_suitable() - after a direct compaction's scanners met
 * (compact_blockskip_flush), walk the zone from both ends a pageblock at a
 * time, clearing the skip hints of the blocks that can be a source (from the
 * start) or a target (from the end), and restart the scanners at the first
 * of each found, or where the walks met if none was. A block sampled as
 * neither keeps its hint. Kernel: mm/compaction.c.
 */
static void __reset_isolation_suitable(struct machine *m, struct zone *z)
{
	uint64_t migrate_pfn = z->zone_start_pfn, free_pfn = zone_end_pfn(z) - 1;
	uint64_t reset_migrate = free_pfn, reset_free = migrate_pfn;
	bool source_set = false, free_set = false;

	if (!z->compact_blockskip_flush)
		return;
	z->compact_blockskip_flush = false;
	for (; migrate_pfn < free_pfn; migrate_pfn += pageblock_nr_pages,
	     free_pfn -= pageblock_nr_pages) {
		if (__reset_isolation_pfn(m, z, migrate_pfn, true, source_set) &&
		    migrate_pfn < reset_migrate) {
			source_set = true;
			reset_migrate = migrate_pfn;
			z->compact_init_migrate_pfn = reset_migrate;
			z->compact_cached_migrate_pfn[0] = reset_migrate;
			z->compact_cached_migrate_pfn[1] = reset_migrate;
		}
		if (__reset_isolation_pfn(m, z, free_pfn, free_set, true) &&
		    free_pfn > reset_free) {
			free_set = true;
			reset_free = free_pfn;
			z->compact_init_free_pfn = reset_free;
			z->compact_cached_free_pfn = reset_free;
		}
		if (free_pfn < pageblock_nr_pages)	/* the next step would wrap */
			break;
	}
	if (reset_migrate >= reset_free) {
		z->compact_cached_migrate_pfn[0] = migrate_pfn;
		z->compact_cached_migrate_pfn[1] = migrate_pfn;
		z->compact_cached_free_pfn = free_pfn;
	}
}

void reset_isolation_suitable(struct machine *m, pg_data_t *pgdat)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &pgdat->node_zones[zi];

		if (populated_zone(z))
			__reset_isolation_suitable(m, z);
	}
}

static bool isolation_suitable(const struct compact_control *cc, uint64_t pfn)
{
	return cc->ignore_skip_hint || !get_pageblock_skip(cc->m, pfn);
}

static bool test_and_set_skip(struct compact_control *cc, uint64_t pfn)
{
	bool skip;

	if (cc->ignore_skip_hint)
		return false;
	skip = get_pageblock_skip(cc->m, pfn);
	if (!skip && !cc->no_set_skip_hint)
		set_pageblock_skip(cc->m, pfn);
	return skip;
}

static void update_cached_migrate(struct compact_control *cc, uint64_t pfn)
{
	struct zone *z = cc->zone;

	if (cc->no_set_skip_hint)
		return;
	pfn = pb_end(cc->m, pfn);
	if (pfn > z->compact_cached_migrate_pfn[0])
		z->compact_cached_migrate_pfn[0] = pfn;
	if (cc->mode != MIGRATE_ASYNC && pfn > z->compact_cached_migrate_pfn[1])
		z->compact_cached_migrate_pfn[1] = pfn;
}

static void update_pageblock_skip(struct compact_control *cc, uint64_t page_pfn, uint64_t pfn)
{
	if (cc->no_set_skip_hint)
		return;
	set_pageblock_skip(cc->m, page_pfn);
	if (pfn < cc->zone->compact_cached_free_pfn)
		cc->zone->compact_cached_free_pfn = pfn;
}

/* pageblock_pfn_to_page(): both ends of the range RAM of this zone, else NIL. */
static bool pageblock_in_zone(const struct compact_control *cc, uint64_t start, uint64_t end)
{
	const struct machine *m = cc->m;
	const struct page *a, *b;

	if (start < cc->zone->zone_start_pfn || end > zone_end_pfn(cc->zone) || start >= end)
		return false;
	a = pfn_to_page(m, start);
	b = pfn_to_page(m, end - 1);
	return a->owner != OWNER_HOLE && b->owner != OWNER_HOLE &&
	       page_zone(m, a) == cc->zone && page_zone(m, b) == cc->zone;
}

/*** The free scanner ***/

static uint64_t isolate_freepages_block(struct compact_control *cc, uint64_t *start_pfn,
					uint64_t end_pfn, unsigned int stride, bool strict)
{
	struct machine *m = cc->m;
	uint64_t nr_scanned = 0, total_isolated = 0, blockpfn = *start_pfn;

	if (strict)
		stride = 1;
	for (; blockpfn < end_pfn; blockpfn += stride) {
		struct page *p = pfn_to_page(m, blockpfn);
		unsigned int order;
		uint64_t isolated;

		nr_scanned++;
		if (page_test(p, PG_head) && !p->tail && p->order) {	/* PageCompound() */
			if (blockpfn + (1ULL << p->order) <= end_pfn) {
				blockpfn += (1ULL << p->order) - 1;
				nr_scanned += (1ULL << p->order) - 1;
			}
			goto isolate_fail;
		}
		if (!PageBuddy(p))
			goto isolate_fail;
		order = (unsigned int)p->private;
		isolated = __isolate_free_page(m, blockpfn, order);
		if (!isolated)
			break;
		p->private = order;
		nr_scanned += isolated - 1;
		total_isolated += isolated;
		cc->nr_freepages += isolated;
		pfn_list_add_tail(m, &cc->freepages[order], (uint32_t)blockpfn);
		if (!strict && cc->nr_migratepages <= cc->nr_freepages) {
			blockpfn += isolated;
			break;
		}
		blockpfn += isolated - 1;
		continue;
isolate_fail:
		if (strict)
			break;
	}
	if (blockpfn > end_pfn)
		blockpfn = end_pfn;
	isolate_event(m, MM_EV_mm_compaction_isolate_freepages, cc->zone, *start_pfn, blockpfn,
		      nr_scanned, total_isolated);
	*start_pfn = blockpfn;
	if (strict && blockpfn < end_pfn)
		total_isolated = 0;
	cc->total_free_scanned += nr_scanned;
	if (total_isolated)
		count_vm_events(m, COMPACTISOLATED, total_isolated);
	return total_isolated;
}

/* suitable_migration_target(): a movable pageblock not already holding a big enough free block. */
static bool suitable_migration_target(const struct compact_control *cc, uint64_t pfn)
{
	const struct machine *m = cc->m;
	const struct page *p = pfn_to_page(m, pfn);

	if (PageBuddy(p)) {
		int order = cc->order > 0 ? cc->order : (int)pageblock_order;

		if (p->private >= (uint64_t)order)
			return false;
	}
	if (cc->ignore_block_suitable)
		return true;
	return get_pageblock_migratetype(m, pfn) == MIGRATE_MOVABLE;
}

/*** The fast searches of the free lists ***/

/* freelist_scan_limit(): fewer entries looked at after each search that failed. */
static unsigned int freelist_scan_limit(const struct compact_control *cc)
{
	unsigned int shift = cc->fast_search_fail < 63 ? cc->fast_search_fail : 63;

	return (unsigned int)((uint64_t)COMPACT_CLUSTER_MAX >> shift) + 1;
}

/*
 * The list turned round so that @pfn is its first entry, the entries before
 * it following its old last one: list_cut_before() and list_splice_tail().
 */
static void freelist_rotate_to(struct machine *m, struct list_head *h, uint32_t pfn)
{
	struct page *p = &m->mem_map[pfn];
	uint32_t before = p->prev;

	if (before == PFN_NIL)
		return;
	m->mem_map[h->last].next = h->first;
	m->mem_map[h->first].prev = h->last;
	h->first = pfn;
	p->prev = PFN_NIL;
	h->last = before;
	m->mem_map[before].next = PFN_NIL;
}

/*
 * move_freelist_head(): the backward search looked at the entries after
 * @pfn; they go to the head, so the next backward search starts with those
 * it has not looked at.
 */
static void move_freelist_head(struct machine *m, struct list_head *h, uint32_t pfn)
{
	freelist_rotate_to(m, h, pfn);
}

/* move_freelist_tail(): the same for the forward search: @pfn and those before it go last. */
static void move_freelist_tail(struct machine *m, struct list_head *h, uint32_t pfn)
{
	uint32_t next = m->mem_map[pfn].next;

	if (next != PFN_NIL)
		freelist_rotate_to(m, h, next);
}

/* fast_isolate_around(): the rest of the pageblock the fast search picked, page by page. */
static void fast_isolate_around(struct compact_control *cc, uint64_t pfn)
{
	struct machine *m = cc->m;
	uint64_t start_pfn, end_pfn;

	if (cc->nr_freepages >= cc->nr_migratepages)
		return;
	if (cc->direct_compaction && cc->mode == MIGRATE_ASYNC)
		return;
	start_pfn = pb_start(m, pfn);
	if (start_pfn < cc->zone->zone_start_pfn)
		start_pfn = cc->zone->zone_start_pfn;
	end_pfn = pb_end(m, pfn);
	if (end_pfn > zone_end_pfn(cc->zone))
		end_pfn = zone_end_pfn(cc->zone);
	if (!pageblock_in_zone(cc, start_pfn, end_pfn))
		return;
	isolate_freepages_block(cc, &start_pfn, end_pfn, 1, false);
	/* the pageblock is full or nearly so: skip it from now on */
	if (start_pfn == end_pfn && !cc->no_set_skip_hint)
		set_pageblock_skip(m, pb_start(m, pfn));
}

/* next_search_order(): the orders below the request's, round robin; -1 when wrapped. */
static int next_search_order(struct compact_control *cc, int order)
{
	order--;
	if (order < 0)
		order = cc->order - 1;
	if (order == cc->search_order) {
		cc->search_order--;
		if (cc->search_order < 0)
			cc->search_order = cc->order - 1;
		return -1;
	}
	return order;
}

/*
 * fast_isolate_freepages(): before the free scanner walks pageblocks, a
 * short search of the movable free lists below the request's order, from
 * their tails (the pages freed longest ago), for a block in the top quarter
 * of the space between the scanners (or, failing that, its top half). The
 * block found is isolated, and the rest of its pageblock with it. Only for
 * a request's order: compact_memory's whole-zone runs (order -1) never
 * take it. Traced as mm_compaction_fast_isolate_freepages. Kernel:
 * mm/compaction.c.
 */
static void fast_isolate_freepages(struct compact_control *cc)
{
	struct machine *m = cc->m;
	struct zone *z = cc->zone;
	unsigned int limit = freelist_scan_limit(cc) >> 1;
	uint64_t nr_scanned = 0, total_isolated = 0;
	uint64_t low_pfn, min_pfn, highest = 0, distance;
	uint32_t page = PFN_NIL;
	bool scan_start = false;
	int order;

	if (cc->order <= 0)
		return;
	if (limit < 1)
		limit = 1;
	/* starting the scan: search deeper, and take the highest pfn seen if nothing suits */
	if (cc->free_pfn >= z->compact_init_free_pfn) {
		limit = (unsigned int)(pageblock_nr_pages >> 1);
		scan_start = true;
	}
	/* the top quarter of the scan space preferred, its top half taken */
	distance = cc->free_pfn - cc->migrate_pfn;
	low_pfn = pb_start(m, cc->free_pfn - (distance >> 2));
	min_pfn = pb_start(m, cc->free_pfn - (distance >> 1));
	if (min_pfn > low_pfn)
		low_pfn = min_pfn;
	/* from the order that last worked, or the next one after a failure */
	if (cc->search_order > cc->order - 1)
		cc->search_order = cc->order - 1;

	for (order = cc->search_order; page == PFN_NIL && order >= 0;
	     order = next_search_order(cc, order)) {
		struct free_area *area = &z->free_area[order];
		struct list_head *freelist = &area->free_list[MIGRATE_MOVABLE];
		unsigned int order_scanned = 0;
		uint64_t high_pfn = 0;
		uint32_t freepage, stop = PFN_NIL;

		if (!area->nr_free)
			continue;
		for (freepage = freelist->last; freepage != PFN_NIL;
		     freepage = m->mem_map[freepage].prev) {
			uint64_t pfn = freepage;

			order_scanned++;
			nr_scanned++;
			if (pfn >= highest) {
				highest = pb_start(m, pfn);
				if (highest < z->zone_start_pfn)
					highest = z->zone_start_pfn;
			}
			if (pfn >= low_pfn) {
				cc->fast_search_fail = 0;
				cc->search_order = order;
				page = freepage;
				stop = freepage;
				break;
			}
			if (pfn >= min_pfn && pfn > high_pfn) {
				high_pfn = pfn;
				limit >>= 1;	/* a candidate: shorten the scan */
			}
			if (order_scanned >= limit) {
				stop = freepage;
				break;
			}
		}
		/* the highest candidate when no preferred one was found */
		if (page == PFN_NIL && high_pfn) {
			page = (uint32_t)high_pfn;
			stop = page;
		}
		/* a later search skips what this one looked at */
		if (stop != PFN_NIL)
			move_freelist_head(m, freelist, stop);
		if (page != PFN_NIL) {
			uint64_t nr_isolated = __isolate_free_page(m, page, (unsigned int)order);

			if (nr_isolated) {
				m->mem_map[page].private = (uint64_t)order;
				nr_scanned += nr_isolated - 1;
				total_isolated += nr_isolated;
				cc->nr_freepages += nr_isolated;
				pfn_list_add_tail(m, &cc->freepages[order], page);
				count_vm_events(m, COMPACTISOLATED, nr_isolated);
			} else {
				/* isolation failed (the watermark): the search ends */
				order = cc->search_order + 1;
				page = PFN_NIL;
			}
		}
		if (cc->nr_freepages >= cc->nr_migratepages)
			break;
		/* a smaller scan of the next order, so that the whole is bounded */
		if (order_scanned >= limit) {
			limit >>= 1;
			if (limit < 1)
				limit = 1;
		}
	}
	isolate_event(m, MM_EV_mm_compaction_fast_isolate_freepages, z, min_pfn, cc->free_pfn,
		      nr_scanned, total_isolated);

	if (page == PFN_NIL) {
		cc->fast_search_fail++;
		if (scan_start) {
			/*
			 * The highest pfn seen above min, else (direct
			 * compaction) min itself: the free scanner starts there.
			 */
			if (highest >= min_pfn) {
				page = (uint32_t)highest;
				cc->free_pfn = highest;
			} else if (cc->direct_compaction) {
				uint64_t end = pb_end(m, min_pfn);

				if (end > zone_end_pfn(z))
					end = zone_end_pfn(z);
				if (pageblock_in_zone(cc, min_pfn, end) &&
				    suitable_migration_target(cc, min_pfn))
					page = (uint32_t)min_pfn;
				cc->free_pfn = min_pfn;
			}
		}
	}
	if (highest && highest >= z->compact_cached_free_pfn) {
		highest -= pageblock_nr_pages;
		z->compact_cached_free_pfn = highest;
	}
	cc->total_free_scanned += nr_scanned;
	if (page == PFN_NIL)
		return;
	fast_isolate_around(cc, page);
}

static void isolate_freepages(struct compact_control *cc)
{
	struct machine *m = cc->m;
	struct zone *z = cc->zone;
	uint64_t isolate_start_pfn, block_start_pfn, block_end_pfn, low_pfn;
	unsigned int stride = cc->mode == MIGRATE_ASYNC ? COMPACT_CLUSTER_MAX : 1;

	/* a short search of the free lists first */
	fast_isolate_freepages(cc);
	if (cc->nr_freepages)
		return;
	isolate_start_pfn = cc->free_pfn;
	block_start_pfn = pb_start(m, isolate_start_pfn);
	block_end_pfn = block_start_pfn + pageblock_nr_pages;
	low_pfn = pb_end(m, cc->migrate_pfn);
	if (block_end_pfn > zone_end_pfn(z))
		block_end_pfn = zone_end_pfn(z);
	for (; block_start_pfn >= low_pfn;
	     block_end_pfn = block_start_pfn, block_start_pfn -= pageblock_nr_pages,
	     isolate_start_pfn = block_start_pfn) {
		uint64_t nr_isolated;

		/* low_pfn is a pageblock or more above zero: no wrap below */
		if (!pageblock_in_zone(cc, block_start_pfn, block_end_pfn) ||
		    !suitable_migration_target(cc, block_start_pfn) ||
		    !isolation_suitable(cc, block_start_pfn))
			continue;
		nr_isolated = isolate_freepages_block(cc, &isolate_start_pfn, block_end_pfn,
						      stride, false);
		if (isolate_start_pfn == block_end_pfn)
			update_pageblock_skip(cc, block_start_pfn,
					      block_start_pfn - pageblock_nr_pages);
		if (cc->nr_freepages >= cc->nr_migratepages) {
			if (isolate_start_pfn >= block_end_pfn)
				isolate_start_pfn = block_start_pfn - pageblock_nr_pages;
			break;
		} else if (isolate_start_pfn < block_end_pfn) {
			break;
		}
		if (nr_isolated) {
			stride = 1;
			continue;
		}
		stride = stride << 1 < COMPACT_CLUSTER_MAX ? stride << 1 : COMPACT_CLUSTER_MAX;
	}
	cc->free_pfn = isolate_start_pfn;
}

/* compaction_alloc(): the target of one migration, from the isolated free blocks. */
static uint64_t compaction_alloc(struct machine *m, uint64_t src, void *data)
{
	struct compact_control *cc = data;
	bool has_isolated_pages = false;
	unsigned int start_order;
	uint32_t pfn;
	uint64_t size;
	struct page *d;

again:
	for (start_order = 0; start_order <= m->max_order; start_order++)
		if (cc->freepages[start_order].first != PFN_NIL)
			break;
	if (start_order > m->max_order) {
		if (has_isolated_pages)
			return PFN_NIL;
		isolate_freepages(cc);
		has_isolated_pages = true;
		goto again;
	}
	pfn = cc->freepages[start_order].first;
	pfn_list_del(m, &cc->freepages[start_order], pfn);
	size = 1ULL << start_order;
	while (start_order > 0) {
		start_order--;
		size >>= 1;
		pfn_list_add_head(m, &cc->freepages[start_order], (uint32_t)(pfn + size));
		pfn_to_page(m, pfn + size)->private = start_order;
	}
	d = pfn_to_page(m, pfn);
	/* post_alloc_hook(): a fresh movable order-0 page, owned as its source is */
	set_block_owner(m, cc->zone, pfn, 1, pfn_to_page(m, src)->owner);
	d->flags = 0;
	d->private = 0;
	d->raw[0] = d->raw[1] = 0;
	d->index = d->index_hi = 0;
	d->order = 0;
	d->mt = MIGRATE_MOVABLE;
	d->_refcount = 1;
	cc->nr_freepages--;
	cc->nr_migratepages--;
	return pfn;
}

/* compaction_free(): a target that was not used goes back to the isolated pages. */
static void compaction_free(struct machine *m, uint64_t dst, void *data)
{
	struct compact_control *cc = data;
	struct page *d = pfn_to_page(m, dst);

	SIM_BUG_ON(d->_refcount != 1);
	d->_refcount = 0;
	set_block_owner(m, cc->zone, dst, 1, OWNER_OTHER);
	d->private = 0;
	pfn_list_add_head(m, &cc->freepages[0], (uint32_t)dst);
	cc->nr_freepages++;
	cc->nr_migratepages++;
}

/* release_free_list(): what the free scanner took and nobody used goes back. */
static uint64_t release_free_list(struct compact_control *cc)
{
	struct machine *m = cc->m;
	uint64_t high_pfn = 0;

	for (unsigned int order = 0; order <= m->max_order; order++) {
		while (cc->freepages[order].first != PFN_NIL) {
			uint32_t pfn = cc->freepages[order].first;

			pfn_list_del(m, &cc->freepages[order], pfn);
			release_isolated_block(m, pfn, order, cc->cpu);
			if (pfn > high_pfn)
				high_pfn = pfn;
		}
	}
	return high_pfn;
}

/*** The migrate scanner ***/

/* Direct async compaction takes only pageblocks of the request's own kind. */
static bool suitable_migration_source(const struct compact_control *cc, uint64_t pfn)
{
	int block_mt;

	if (cc->mode != MIGRATE_ASYNC || !cc->direct_compaction)
		return true;
	block_mt = get_pageblock_migratetype(cc->m, pfn);
	if (cc->migratetype == MIGRATE_MOVABLE)
		return block_mt == MIGRATE_MOVABLE;
	return block_mt == cc->migratetype;
}

static uint64_t block_end_order(uint64_t pfn, int order)
{
	uint64_t size = 1ULL << (order > 0 ? order : 0);

	return (pfn & ~(size - 1)) + size;
}

/* isolate_migratepages_block(): [low_pfn, end_pfn) of one pageblock; 0, or -EAGAIN. */
static int isolate_migratepages_block(struct compact_control *cc, uint64_t low_pfn,
				      uint64_t end_pfn, unsigned int mode)
{
	struct machine *m = cc->m;
	uint64_t nr_scanned = 0, nr_isolated = 0, start_pfn = low_pfn, next_skip_pfn = 0;
	uint64_t valid_pfn = PFN_NIL;
	bool skip_on_failure = false, skip_updated = false;

	cc->migrate_pfn = low_pfn;
	if (cc->direct_compaction && cc->mode == MIGRATE_ASYNC) {
		skip_on_failure = true;
		next_skip_pfn = block_end_order(low_pfn, cc->order);
	}
	for (; low_pfn < end_pfn; low_pfn++) {
		struct page *p;
		const char *why;

		if (skip_on_failure && low_pfn >= next_skip_pfn) {
			if (nr_isolated)
				break;
			next_skip_pfn = block_end_order(low_pfn, cc->order);
		}
		nr_scanned++;
		p = pfn_to_page(m, low_pfn);
		if (valid_pfn == PFN_NIL &&
		    (pb_aligned(m, low_pfn) || low_pfn == cc->zone->zone_start_pfn)) {
			if (!isolation_suitable(cc, low_pfn)) {
				low_pfn = end_pfn;
				goto isolate_abort;
			}
			valid_pfn = low_pfn;
		}
		if (PageBuddy(p)) {
			uint64_t order = p->private;

			if (order > 0 && order <= m->max_order) {
				low_pfn += (1ULL << order) - 1;
				nr_scanned += (1ULL << order) - 1;
			}
			continue;
		}
		if (folio_migration_refusal(m, low_pfn, mode, &why))
			goto isolate_fail;
		if (!skip_updated && valid_pfn != PFN_NIL) {
			skip_updated = true;
			if (test_and_set_skip(cc, valid_pfn) && !cc->finish_pageblock) {
				low_pfn = end_pfn;
				goto isolate_abort;
			}
		}
		isolate_folio_to_list(m, low_pfn, &cc->migratepages);
		cc->nr_migratepages++;
		nr_isolated++;
		if (cc->nr_migratepages >= COMPACT_CLUSTER_MAX && !cc->finish_pageblock &&
		    !cc->contended) {
			++low_pfn;
			break;
		}
		continue;
isolate_fail:
		if (!skip_on_failure)
			continue;
		if (nr_isolated) {
			putback_movable_pages(m, &cc->migratepages);
			cc->nr_migratepages = 0;
			nr_isolated = 0;
		}
		if (low_pfn < next_skip_pfn) {
			low_pfn = next_skip_pfn - 1;
			next_skip_pfn += 1ULL << (cc->order > 0 ? cc->order : 0);
		}
	}
	if (low_pfn > end_pfn)
		low_pfn = end_pfn;
isolate_abort:
	if (low_pfn == end_pfn && (!nr_isolated || cc->finish_pageblock)) {
		if (!cc->no_set_skip_hint && valid_pfn != PFN_NIL && !skip_updated)
			set_pageblock_skip(m, valid_pfn);
		update_cached_migrate(cc, low_pfn);
	}
	isolate_event(m, MM_EV_mm_compaction_isolate_migratepages, cc->zone, start_pfn, low_pfn,
		      nr_scanned, nr_isolated);
	cc->total_migrate_scanned += nr_scanned;
	if (nr_isolated)
		count_vm_events(m, COMPACTISOLATED, nr_isolated);
	cc->migrate_pfn = low_pfn;
	return 0;
}

enum isolate_migrate { ISOLATE_ABORT, ISOLATE_NONE, ISOLATE_SUCCESS };

static void update_fast_start_pfn(struct compact_control *cc, uint64_t pfn)
{
	if (cc->fast_start_pfn == UINT64_MAX)
		return;
	if (!cc->fast_start_pfn || pfn < cc->fast_start_pfn)
		cc->fast_start_pfn = pfn;
}

/* reinit_migrate_pfn(): after a failed fast search, the linear scan starts at the lowest found. */
static uint64_t reinit_migrate_pfn(struct compact_control *cc)
{
	if (!cc->fast_start_pfn || cc->fast_start_pfn == UINT64_MAX)
		return cc->migrate_pfn;
	cc->migrate_pfn = cc->fast_start_pfn;
	cc->fast_start_pfn = UINT64_MAX;
	return cc->migrate_pfn;
}

/*
 * fast_find_migrateblock(): for a costly order, before the migrate scanner
 * walks on, a short search of the movable free lists from order - 1 down to
 * PAGE_ALLOC_COSTLY_ORDER for a pageblock in the lower part of the scan
 * space that already holds a large free block, so that fewer pages have to
 * move to free it (the first half of the space when the scan starts, its
 * first eighth after). Not for compact_memory (no order), not for a direct
 * request that is not movable, not with the skip hints ignored. Kernel:
 * mm/compaction.c.
 */
static uint64_t fast_find_migrateblock(struct compact_control *cc)
{
	struct machine *m = cc->m;
	struct zone *z = cc->zone;
	unsigned int limit = freelist_scan_limit(cc), nr_scanned = 0;
	uint64_t pfn = cc->migrate_pfn, distance, high_pfn;
	bool found_block = false;

	if (cc->ignore_skip_hint || cc->finish_pageblock)
		return pfn;
	/* inside a pageblock: a scan that stopped after COMPACT_CLUSTER_MAX goes on */
	if (pfn != z->zone_start_pfn && pfn != pb_start(m, pfn))
		return pfn;
	if (cc->order <= PAGE_ALLOC_COSTLY_ORDER)
		return pfn;
	if (cc->direct_compaction && cc->migratetype != MIGRATE_MOVABLE)
		return pfn;
	distance = (cc->free_pfn - cc->migrate_pfn) >> 1;
	if (cc->migrate_pfn != z->zone_start_pfn)
		distance >>= 2;
	high_pfn = pb_start(m, cc->migrate_pfn + distance);

	for (int order = cc->order - 1;
	     order >= PAGE_ALLOC_COSTLY_ORDER && !found_block && nr_scanned < limit; order--) {
		struct free_area *area = &z->free_area[order];
		struct list_head *freelist = &area->free_list[MIGRATE_MOVABLE];

		if (!area->nr_free)
			continue;
		for (uint32_t freepage = freelist->first; freepage != PFN_NIL;
		     freepage = m->mem_map[freepage].next) {
			if (nr_scanned++ >= limit) {
				move_freelist_tail(m, freelist, freepage);
				break;
			}
			if (freepage < high_pfn) {
				/* skipped recently: passed over, not moved */
				if (get_pageblock_skip(m, freepage))
					continue;
				move_freelist_tail(m, freelist, freepage);
				update_fast_start_pfn(cc, freepage);
				pfn = pb_start(m, freepage);
				if (pfn < z->zone_start_pfn)
					pfn = z->zone_start_pfn;
				cc->fast_search_fail = 0;
				found_block = true;
				break;
			}
		}
	}
	cc->total_migrate_scanned += nr_scanned;
	/* nothing found: a linear scan from the lowest block a search found before */
	if (!found_block) {
		cc->fast_search_fail++;
		pfn = reinit_migrate_pfn(cc);
	}
	return pfn;
}

static enum isolate_migrate isolate_migratepages(struct compact_control *cc)
{
	struct machine *m = cc->m;
	unsigned int mode = (m->compact_unevictable_allowed ? ISOLATE_UNEVICTABLE : 0) |
			    (cc->mode != MIGRATE_SYNC ? ISOLATE_ASYNC_MIGRATE : 0);
	uint64_t low_pfn = fast_find_migrateblock(cc);
	uint64_t block_start_pfn = pb_start(m, low_pfn);
	uint64_t block_end_pfn = pb_end(m, low_pfn);
	/* the fast search checked the skip hint of the block it found */
	bool fast_find_block = low_pfn != cc->migrate_pfn && !cc->fast_search_fail;

	if (block_start_pfn < cc->zone->zone_start_pfn)
		block_start_pfn = cc->zone->zone_start_pfn;
	for (; block_end_pfn <= cc->free_pfn;
	     fast_find_block = false,
	     cc->migrate_pfn = low_pfn = block_end_pfn, block_start_pfn = block_end_pfn,
	     block_end_pfn += pageblock_nr_pages) {
		if (!pageblock_in_zone(cc, block_start_pfn, block_end_pfn))
			continue;
		if ((pb_aligned(m, low_pfn) || low_pfn == cc->zone->zone_start_pfn) &&
		    !fast_find_block && !isolation_suitable(cc, block_start_pfn))
			continue;
		if (!suitable_migration_source(cc, block_start_pfn)) {
			update_cached_migrate(cc, block_end_pfn);
			continue;
		}
		if (isolate_migratepages_block(cc, low_pfn, block_end_pfn, mode))
			return ISOLATE_ABORT;
		break;
	}
	return cc->nr_migratepages ? ISOLATE_SUCCESS : ISOLATE_NONE;
}

/*** Scores, indexes, suitability ***/

struct contig_info {
	uint64_t free_pages, free_blocks_total, free_blocks_suitable;
};

static void fill_contig_page_info(const struct machine *m, const struct zone *z,
				  unsigned int suitable_order, struct contig_info *info)
{
	memset(info, 0, sizeof(*info));
	for (unsigned int order = 0; order <= m->max_order; order++) {
		uint64_t blocks = z->free_area[order].nr_free;

		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable += blocks << (order - suitable_order);
	}
}

int fragmentation_index(const struct machine *m, const struct zone *z, unsigned int order)
{
	struct contig_info info;
	uint64_t requested = 1ULL << order;

	fill_contig_page_info(m, z, order, &info);
	if (!info.free_blocks_total)
		return 0;
	if (info.free_blocks_suitable)
		return -1000;
	return 1000 - (int)((1000 + info.free_pages * 1000 / requested) / info.free_blocks_total);
}

unsigned int extfrag_for_order(const struct machine *m, const struct zone *z, unsigned int order)
{
	struct contig_info info;

	fill_contig_page_info(m, z, order, &info);
	if (!info.free_pages)
		return 0;
	return (unsigned int)((info.free_pages - (info.free_blocks_suitable << order)) * 100 /
			      info.free_pages);
}

static uint64_t compact_gap(unsigned int order)
{
	return 2ULL << order;
}

static uint64_t wmark_of(const struct zone *z, unsigned int alloc_flags)
{
	return z->_watermark[alloc_flags & ALLOC_WMARK_MASK] + z->watermark_boost;
}

static bool __compaction_suitable(const struct zone *z, int order, uint64_t watermark,
				  int highest_zoneidx, uint64_t free_pages)
{
	watermark += compact_gap((unsigned int)order);
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		watermark += z->_watermark[WMARK_LOW] - z->_watermark[WMARK_MIN];
	return zone_watermark_ok_free(z, 0, watermark, highest_zoneidx, 0, (long)free_pages);
}

static bool compaction_suitable(struct machine *m, struct zone *z, int order,
				uint64_t watermark, int highest_zoneidx)
{
	int result;
	bool suitable = __compaction_suitable(z, order, watermark, highest_zoneidx,
					      z->nr_free_pages);

	if (suitable) {
		result = COMPACT_CONTINUE;
		if (order > PAGE_ALLOC_COSTLY_ORDER) {
			int fragindex = fragmentation_index(m, z, (unsigned int)order);

			if (fragindex >= 0 && fragindex <= m->extfrag_threshold) {
				suitable = false;
				result = COMPACT_NOT_SUITABLE_ZONE;
			}
		}
	} else {
		result = COMPACT_SKIPPED;
	}
	suitable_event(m, MM_EV_mm_compaction_suitable, z, order, result);
	return suitable;
}

bool compaction_zonelist_suitable(struct machine *m, int preferred_node, int highest_zoneidx,
				  unsigned int order)
{
	const pg_data_t *pgdat = &m->nodes[preferred_node];

	for (unsigned int i = 0; i < pgdat->nr_zonerefs; i++) {
		struct zone *z = &m->nodes[pgdat->zonelist[i].node].node_zones[pgdat->zonelist[i].zone];
		uint64_t available;

		if (z->idx > highest_zoneidx || !managed_zone(z))
			continue;
		available = zone_reclaimable_pages(m, z) / order + z->nr_free_pages;
		if (__compaction_suitable(z, (int)order, z->_watermark[WMARK_MIN],
					  highest_zoneidx, available))
			return true;
	}
	return false;
}

static int compaction_suit_allocation_order(struct machine *m, struct zone *z,
					    unsigned int order, int highest_zoneidx,
					    unsigned int alloc_flags, bool async)
{
	uint64_t watermark = wmark_of(z, alloc_flags);

	if (zone_watermark_ok_free(z, order, watermark, highest_zoneidx, alloc_flags,
				   (long)z->nr_free_pages))
		return COMPACT_SUCCESS;
	if (order > PAGE_ALLOC_COSTLY_ORDER && async &&
	    !zone_watermark_ok_free(z, 0, watermark + compact_gap(order), highest_zoneidx, 0,
				    (long)z->nr_free_pages))
		return COMPACT_SKIPPED;
	if (!compaction_suitable(m, z, (int)order, watermark, highest_zoneidx))
		return COMPACT_SKIPPED;
	return COMPACT_CONTINUE;
}

static unsigned int fragmentation_score_zone(const struct machine *m, const struct zone *z)
{
	return extfrag_for_order(m, z, pageblock_order);	/* COMPACTION_HPAGE_ORDER */
}

static unsigned int fragmentation_score_node(const struct machine *m, const pg_data_t *pgdat)
{
	unsigned int score = 0;

	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &pgdat->node_zones[zi];

		if (populated_zone(z))
			score += (unsigned int)(z->present_pages * fragmentation_score_zone(m, z) /
						(pgdat->node_present_pages + 1));
	}
	return score;
}

static unsigned int fragmentation_score_wmark(const struct machine *m, bool low)
{
	unsigned int wmark_low = 100u - m->compaction_proactiveness;
	unsigned int leeway = wmark_low / 2 < 10 ? wmark_low / 2 : 10;

	return low ? wmark_low : (wmark_low + leeway < 100 ? wmark_low + leeway : 100);
}

static bool kswapd_is_running(const pg_data_t *pgdat)
{
	return pgdat->kswapd_state != 0;	/* KSWAPD_SLEEPING */
}

static bool should_proactive_compact_node(const struct machine *m, const pg_data_t *pgdat)
{
	if (!m->compaction_proactiveness || kswapd_is_running(pgdat))
		return false;
	return fragmentation_score_node(m, pgdat) > fragmentation_score_wmark(m, false);
}

static bool compact_scanners_met(const struct compact_control *cc)
{
	const struct machine *m = cc->m;

	return (cc->free_pfn >> pageblock_order) <= (cc->migrate_pfn >> pageblock_order);
}

static int __compact_finished(struct compact_control *cc)
{
	struct machine *m = cc->m;
	int ret;

	if (compact_scanners_met(cc)) {
		reset_cached_positions(m, cc->zone);
		if (cc->direct_compaction)
			cc->zone->compact_blockskip_flush = true;
		return cc->whole_zone ? COMPACT_COMPLETE : COMPACT_PARTIAL_SKIPPED;
	}
	if (cc->proactive_compaction) {
		if (kswapd_is_running(&m->nodes[cc->zone->node]))
			return COMPACT_PARTIAL_SKIPPED;
		ret = fragmentation_score_zone(m, cc->zone) > fragmentation_score_wmark(m, true) ?
		      COMPACT_CONTINUE : COMPACT_SUCCESS;
		goto out;
	}
	if (is_via_compact_memory(cc->order))
		return COMPACT_CONTINUE;
	if (!pb_aligned(m, cc->migrate_pfn))
		return COMPACT_CONTINUE;
	ret = COMPACT_NO_SUITABLE_PAGE;
	for (unsigned int order = (unsigned int)cc->order; order <= m->max_order; order++) {
		const struct free_area *area = &cc->zone->free_area[order];

		if (area->free_list[cc->migratetype].first != PFN_NIL)
			return COMPACT_SUCCESS;
		if (compaction_fallback_ok(m, cc->zone, order, cc->migratetype))
			return COMPACT_SUCCESS;
	}
out:
	if (cc->contended)
		ret = COMPACT_CONTENDED;
	return ret;
}

static int compact_finished(struct compact_control *cc)
{
	int ret = __compact_finished(cc);

	suitable_event(cc->m, MM_EV_mm_compaction_finished, cc->zone, cc->order, ret);
	if (ret == COMPACT_NO_SUITABLE_PAGE)
		ret = COMPACT_CONTINUE;
	return ret;
}

/*** compact_zone() ***/

static int compact_zone(struct compact_control *cc, struct capture_control *capc)
{
	struct machine *m = cc->m;
	struct zone *z = cc->zone;
	uint64_t start_pfn = z->zone_start_pfn, end_pfn = zone_end_pfn(z);
	uint64_t last_migrated_pfn = 0;
	bool sync = cc->mode != MIGRATE_ASYNC, update_cached;
	unsigned int nr_succeeded = 0;
	int ret;

	cc->total_migrate_scanned = cc->total_free_scanned = 0;
	cc->nr_migratepages = cc->nr_freepages = 0;
	for (unsigned int o = 0; o < MAX_NR_ORDERS; o++)
		cc->freepages[o] = (struct list_head){ PFN_NIL, PFN_NIL, 0 };
	cc->migratepages.nr = 0;
	cc->migratetype = gfp_migratetype(cc->gfp_mask);
	if (!is_via_compact_memory(cc->order)) {
		ret = compaction_suit_allocation_order(m, z, (unsigned int)cc->order,
						       cc->highest_zoneidx, cc->alloc_flags,
						       cc->mode == MIGRATE_ASYNC);
		if (ret != COMPACT_CONTINUE)
			return ret;
	}
	if (compaction_restarting(z, cc->order))
		__reset_isolation_suitable(m, z);
	cc->fast_start_pfn = 0;
	if (cc->whole_zone) {
		cc->migrate_pfn = start_pfn;
		cc->free_pfn = pb_start(m, end_pfn - 1);
	} else {
		cc->migrate_pfn = z->compact_cached_migrate_pfn[sync];
		cc->free_pfn = z->compact_cached_free_pfn;
		if (cc->free_pfn < start_pfn || cc->free_pfn >= end_pfn) {
			cc->free_pfn = pb_start(m, end_pfn - 1);
			z->compact_cached_free_pfn = cc->free_pfn;
		}
		if (cc->migrate_pfn < start_pfn || cc->migrate_pfn >= end_pfn) {
			cc->migrate_pfn = start_pfn;
			z->compact_cached_migrate_pfn[0] = z->compact_cached_migrate_pfn[1] =
				start_pfn;
		}
		if (cc->migrate_pfn <= z->compact_init_migrate_pfn)
			cc->whole_zone = true;
	}
	update_cached = !sync && z->compact_cached_migrate_pfn[0] == z->compact_cached_migrate_pfn[1];
	begin_end_event(cc, MM_EV_mm_compaction_begin, start_pfn, end_pfn, sync, 0);

	while ((ret = compact_finished(cc)) == COMPACT_CONTINUE) {
		uint64_t iteration_start_pfn = cc->migrate_pfn;
		unsigned int nr_migratepages;
		int err;

		cc->finish_pageblock = pb_start(m, last_migrated_pfn) ==
				       pb_start(m, iteration_start_pfn);
rescan:
		switch (isolate_migratepages(cc)) {
		case ISOLATE_ABORT:
			ret = COMPACT_CONTENDED;
			putback_movable_pages(m, &cc->migratepages);
			cc->nr_migratepages = 0;
			goto out;
		case ISOLATE_NONE:
			if (update_cached)
				z->compact_cached_migrate_pfn[1] = z->compact_cached_migrate_pfn[0];
			goto check_drain;
		case ISOLATE_SUCCESS:
			update_cached = false;
			last_migrated_pfn = pb_start(m, cc->migrate_pfn - 1);
			if (last_migrated_pfn < z->zone_start_pfn)
				last_migrated_pfn = z->zone_start_pfn;
		}
		nr_migratepages = (unsigned int)cc->nr_migratepages;
		err = migrate_pages(m, &cc->migratepages, compaction_alloc, compaction_free, cc,
				    cc->mode, MR_COMPACTION, cc->cpu, &nr_succeeded);
		if (events_on(m)) {
			snprintf(m->detail, sizeof(m->detail), "nr_migrated=%u nr_failed=%u",
				 nr_succeeded, nr_migratepages - nr_succeeded);
			zone_event(m, MM_EV_mm_compaction_migratepages, z, MM_NA, nr_succeeded,
				   nr_migratepages - nr_succeeded, MM_NA_U64);
		}
		cc->nr_migratepages = 0;
		if (err) {
			putback_movable_pages(m, &cc->migratepages);
			if (err == -ENOMEM && !compact_scanners_met(cc)) {
				ret = COMPACT_CONTENDED;
				goto out;
			}
			if (!pb_aligned(m, cc->migrate_pfn) && !cc->ignore_skip_hint &&
			    !cc->finish_pageblock && cc->mode < MIGRATE_SYNC) {
				cc->finish_pageblock = true;
				if (cc->order == (int)pageblock_order)
					last_migrated_pfn = 0;
				goto rescan;
			}
		}
		/* Stop if a page has been captured */
		if (capc && capc->page != PFN_NIL) {
			ret = COMPACT_SUCCESS;
			break;
		}
check_drain:
		/*
		 * lru_add_drain_cpu_zone(): the local CPU's lists, where the
		 * old frames went (folio_put() frees on CPU 0), back to the buddy
		 * once the scanner left the request's aligned block.
		 */
		if (cc->order > 0 && last_migrated_pfn) {
			uint64_t current_block_start = cc->migrate_pfn &
						       ~((1ULL << cc->order) - 1);

			if (last_migrated_pfn < current_block_start) {
				drain_pages_zone(m, z, 0);
				if (cc->cpu)
					drain_pages_zone(m, z, cc->cpu);
				last_migrated_pfn = 0;
			}
		}
	}
out:
	if (cc->nr_freepages > 0) {
		uint64_t free_pfn = release_free_list(cc);

		cc->nr_freepages = 0;
		free_pfn = pb_start(m, free_pfn);
		if (free_pfn > z->compact_cached_free_pfn)
			z->compact_cached_free_pfn = free_pfn;
	}
	count_vm_events(m, COMPACTMIGRATE_SCANNED, cc->total_migrate_scanned);
	count_vm_events(m, COMPACTFREE_SCANNED, cc->total_free_scanned);
	begin_end_event(cc, MM_EV_mm_compaction_end, start_pfn, end_pfn, sync, ret);
	SIM_BUG_ON(cc->migratepages.nr);
	return ret;
}

/*** Who compacts ***/

static const int prio_mode[] = {
	[COMPACT_PRIO_SYNC_FULL] = MIGRATE_SYNC_LIGHT,
	[COMPACT_PRIO_SYNC_LIGHT] = MIGRATE_SYNC_LIGHT,
	[COMPACT_PRIO_ASYNC] = MIGRATE_ASYNC,
};

/*
 * compact_zone_order() - one zone for a request, with its capture control
 * set for the run (current->capture_control): a captured block makes the
 * result COMPACT_SUCCESS whatever the run's own result. Kernel:
 * mm/compaction.c.
 */
static int compact_zone_order(struct machine *m, struct zone *z, int order, gfp_t gfp,
			      enum compact_priority prio, unsigned int alloc_flags,
			      int highest_zoneidx, int cpu, uint64_t *capture)
{
	struct compact_control cc = {
		.m = m, .zone = z, .order = order, .gfp_mask = gfp,
		.mode = (enum migrate_mode)prio_mode[prio], .alloc_flags = alloc_flags,
		.highest_zoneidx = highest_zoneidx, .direct_compaction = true, .cpu = cpu,
		.search_order = order,
		.whole_zone = prio == MIN_COMPACT_PRIORITY,
		.ignore_skip_hint = prio == MIN_COMPACT_PRIORITY,
		.ignore_block_suitable = prio == MIN_COMPACT_PRIORITY,
	};
	struct capture_control capc = {
		.zone = z, .order = order, .migratetype = gfp_migratetype(gfp), .page = PFN_NIL,
	};
	int ret;

	m->capture_control = &capc;
	ret = compact_zone(&cc, &capc);
	m->capture_control = NULL;
	*capture = capc.page;
	if (*capture != PFN_NIL)
		ret = COMPACT_SUCCESS;
	return ret;
}

enum compact_result try_to_compact_pages(struct machine *m, gfp_t gfp, unsigned int order,
					 unsigned int alloc_flags, int preferred_node,
					 int highest_zoneidx, enum compact_priority prio, int cpu,
					 uint64_t *capture)
{
	const pg_data_t *pgdat = &m->nodes[preferred_node];
	int rc = COMPACT_SKIPPED;

	*capture = PFN_NIL;
	if (!(gfp & __GFP_IO))		/* gfp_compaction_allowed() */
		return COMPACT_SKIPPED;
	if (events_on(m)) {
		char g[128];
		struct mm_event ev;

		gfp_format(gfp, g, sizeof(g));
		snprintf(m->detail, sizeof(m->detail), "order=%u gfp_mask=%s priority=%d", order,
			 g, (int)prio);
		mm_event_init(&ev, MM_EV_mm_compaction_try_to_compact_pages);
		ev.order = (int)order;
		ev.gfp = gfp;
		ev.value = prio;
		ev.detail = m->detail;
		emit(m, &ev);
	}
	for (unsigned int i = 0; i < pgdat->nr_zonerefs; i++) {
		struct zone *z = &m->nodes[pgdat->zonelist[i].node].node_zones[pgdat->zonelist[i].zone];
		int status;

		if (z->idx > highest_zoneidx || !managed_zone(z))
			continue;
		if ((gfp & __GFP_THISNODE) && z->node != preferred_node)
			continue;
		if (prio > MIN_COMPACT_PRIORITY && compaction_deferred(m, z, (int)order)) {
			rc = rc > COMPACT_DEFERRED ? rc : COMPACT_DEFERRED;
			continue;
		}
		status = compact_zone_order(m, z, (int)order, gfp, prio, alloc_flags,
					    highest_zoneidx, cpu, capture);
		rc = status > rc ? status : rc;
		if (status == COMPACT_SUCCESS) {
			compaction_defer_reset(m, z, (int)order, false);
			break;
		}
		if (prio != COMPACT_PRIO_ASYNC &&
		    (status == COMPACT_COMPLETE || status == COMPACT_PARTIAL_SKIPPED))
			defer_compaction(m, z, (int)order);
	}
	return (enum compact_result)rc;
}

/* compact_node(): every zone of the node, whole, ignoring the skip hints. */
static void compact_node(struct machine *m, pg_data_t *pgdat, bool proactive, int cpu)
{
	struct compact_control cc = {
		.m = m, .order = -1, .mode = proactive ? MIGRATE_SYNC_LIGHT : MIGRATE_SYNC,
		.ignore_skip_hint = true, .whole_zone = true, .gfp_mask = GFP_KERNEL,
		.proactive_compaction = proactive, .cpu = cpu,
	};

	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &pgdat->node_zones[zi];

		if (!populated_zone(z))
			continue;
		cc.zone = z;
		cc.highest_zoneidx = zi;
		compact_zone(&cc, NULL);
		if (proactive) {
			count_vm_events(m, KCOMPACTD_MIGRATE_SCANNED, cc.total_migrate_scanned);
			count_vm_events(m, KCOMPACTD_FREE_SCANNED, cc.total_free_scanned);
		}
	}
}

int mm_compact_memory(struct machine *m, int node, int cpu, struct mm_error *e)
{
	if (!m->booted)
		return mm_error_set(e, -EPERM, "the buddy allocator is not up yet");
	if (node < -1 || node >= (int)m->nr_nodes)
		return mm_error_set(e, -EINVAL, "no node %d (the machine has %u)", node,
				    m->nr_nodes);
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	mm_drain_all_pages(m);		/* lru_add_drain_all() and the per-CPU lists */
	for (unsigned int n = 0; n < m->nr_nodes; n++)
		if (node < 0 || (unsigned int)node == n)
			compact_node(m, &m->nodes[n], false, cpu);
	return 0;
}

/*** The self-check (CP1..CP5 of the design notes) ***/

static void cp_report(mm_violation_fn fn, void *ctx, unsigned long *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void cp_report(mm_violation_fn fn, void *ctx, unsigned long *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*n += mm_vreport(fn, ctx, fmt, ap);
	va_end(ap);
}

unsigned long compaction_check(const struct machine *m, mm_violation_fn fn, void *ctx)
{
	unsigned long n = 0;

	for (unsigned int nid = 0; nid < m->nr_nodes; nid++) {
		const pg_data_t *pgdat = &m->nodes[nid];

		if (pgdat->vm_stat[NR_ISOLATED_ANON] || pgdat->vm_stat[NR_ISOLATED_FILE])
			cp_report(fn, ctx, &n, "CP1: node %u has %lld anon and %lld file pages isolated "
				  "between ops", nid, (long long)pgdat->vm_stat[NR_ISOLATED_ANON],
				  (long long)pgdat->vm_stat[NR_ISOLATED_FILE]);
		if (pgdat->kcompactd_runnable || pgdat->proactive_compact_trigger)
			cp_report(fn, ctx, &n, "CP5: node %u's kcompactd has a run pending between ops",
				  nid);
		if (m->booted && (pgdat->kcompactd_timeout ?
				  pgdat->kcompactd_timeout <= m->jiffies :
				  m->compaction_proactiveness != 0))
			cp_report(fn, ctx, &n, "CP5: node %u's kcompactd waits until jiffies %" PRIu64
				  " at %" PRIu64 " with proactiveness %u", nid,
				  pgdat->kcompactd_timeout, m->jiffies, m->compaction_proactiveness);
		if (pgdat->kcompactd_max_order < 0 || pgdat->kcompactd_max_order > (int)m->max_order ||
		    pgdat->kcompactd_highest_zoneidx < 0 ||
		    pgdat->kcompactd_highest_zoneidx >= MAX_NR_ZONES)
			cp_report(fn, ctx, &n, "CP5: node %u's kcompactd asks for order %d zone %d",
				  nid, pgdat->kcompactd_max_order, pgdat->kcompactd_highest_zoneidx);
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			const struct zone *z = &pgdat->node_zones[zi];

			if (!populated_zone(z) || !m->booted)	/* compaction_init() runs at the hand-over */
				continue;
			for (int k = 0; k < 2; k++)
				if (z->compact_cached_migrate_pfn[k] < z->zone_start_pfn ||
				    z->compact_cached_migrate_pfn[k] > zone_end_pfn(z))
					cp_report(fn, ctx, &n, "CP4: node %u %s: compact_cached_migrate_pfn[%d] "
						  "0x%llx outside the zone", nid, zone_type_name(zi), k,
						  (unsigned long long)z->compact_cached_migrate_pfn[k]);
			if (z->compact_cached_free_pfn >= zone_end_pfn(z) ||
			    z->compact_cached_free_pfn + pageblock_nr_pages <= z->zone_start_pfn)
				cp_report(fn, ctx, &n, "CP4: node %u %s: compact_cached_free_pfn 0x%llx "
					  "outside the zone", nid, zone_type_name(zi),
					  (unsigned long long)z->compact_cached_free_pfn);
			if (z->compact_defer_shift > COMPACT_MAX_DEFER_SHIFT ||
			    z->compact_considered > 1u << z->compact_defer_shift)
				cp_report(fn, ctx, &n, "CP4: node %u %s: defer_shift %u considered %u",
					  nid, zone_type_name(zi), z->compact_defer_shift,
					  z->compact_considered);
			for (unsigned int o = 0; o <= m->max_order; o++)
				if (z->free_area[o].free_list[MIGRATE_ISOLATE].first != PFN_NIL)
					cp_report(fn, ctx, &n, "CP3: node %u %s: an order-%u free block "
						  "on the isolate list between ops", nid,
						  zone_type_name(zi), o);
		}
	}
	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn += pageblock_nr_pages)
		if (get_pageblock_isolate(m, pfn))
			cp_report(fn, ctx, &n, "CP3: the pageblock at pfn 0x%llx is isolated between ops",
				  (unsigned long long)pfn);
	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn++) {
		const struct page *p = &m->mem_map[pfn];

		if ((p->owner == OWNER_USER || p->owner == OWNER_PAGECACHE) && p->_refcount > 0 &&
		    !p->tail && !page_test(p, PG_lru))
			cp_report(fn, ctx, &n, "CP1: %s folio at pfn 0x%llx is off the LRU between ops",
				  page_owner_name(p->owner), (unsigned long long)pfn);
	}
	if (m->x86) {
		const struct pt_store *s = &m->x86->pt;

		for (uint32_t slot = 0; slot < s->nr; slot++) {
			if (s->slot_pfn[slot] == PFN_NIL || s->slot_level[slot] != PT_PTE)
				continue;
			for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
				uint64_t pte = s->slots[slot][i];

				if (is_swap_pte(pte) &&
				    pte_to_swp_val(pte) >> SWP_TYPE_SHIFT >= SWP_MIGRATION_READ_TYPE)
					cp_report(fn, ctx, &n, "CP2: table pfn 0x%x slot %u holds a "
						  "migration entry", s->slot_pfn[slot], i);
			}
		}
	}
	return n;
}

/*** kcompactd ***/

/* pgdat->nr_zones: up to the highest populated zone. */
static int node_nr_zones(const pg_data_t *pgdat)
{
	int nr = 0;

	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		if (populated_zone(&pgdat->node_zones[zi]))
			nr = zi + 1;
	return nr;
}

static void kcompactd_event(struct machine *m, int type, int nid, int order, int zoneidx)
{
	struct mm_event ev;
	char zn[16];

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.node = nid;
	if (type == MM_EV_mm_compaction_kcompactd_sleep) {
		snprintf(m->detail, sizeof(m->detail), "nid=%d", nid);
	} else {
		snprintf(zn, sizeof(zn), "%-8s", zone_type_name(zoneidx));
		snprintf(m->detail, sizeof(m->detail), "nid=%d order=%d classzone_idx=%s", nid,
			 order, zn);
		ev.order = order;
		ev.zone = zoneidx;
	}
	ev.detail = m->detail;
	emit(m, &ev);
}

/*** Sysctls ***/

int mm_sysctl_vm_set(struct machine *m, const char *name, long value, struct mm_error *e)
{
	if (!strcmp(name, "compaction_proactiveness")) {
		if (value < 0 || value > 100)
			return mm_error_set(e, -EINVAL, "vm.compaction_proactiveness must be 0..100");
		/*
		 * compaction_proactiveness_sysctl_handler(): a write of a
		 * value above 0 wakes every node's kcompactd for a proactive
		 * check at once (proactive_compact_trigger), whatever its timeout.
		 */
		m->compaction_proactiveness = (unsigned int)value;
		for (unsigned int n = 0; value && m->booted && n < m->nr_nodes; n++) {
			pg_data_t *pgdat = &m->nodes[n];

			if (pgdat->proactive_compact_trigger)
				continue;
			pgdat->proactive_compact_trigger = true;
			kcompactd_event(m, MM_EV_mm_compaction_wakeup_kcompactd, pgdat->node_id, -1,
					node_nr_zones(pgdat) - 1);
		}
		return 0;
	}
	if (!strcmp(name, "extfrag_threshold")) {
		if (value < 0 || value > 1000)
			return mm_error_set(e, -EINVAL, "vm.extfrag_threshold must be 0..1000");
		m->extfrag_threshold = (int)value;
		return 0;
	}
	if (!strcmp(name, "swappiness")) {
		/*
		 * vmscan_sysctl_table's swappiness (mm/vmscan.c): a plain
		 * proc_dointvec_minmax, 0..200; get_scan_count() reads it at
		 * its next call, nothing runs at the write.
		 */
		if (value < 0 || value > MAX_SWAPPINESS)
			return mm_error_set(e, -EINVAL, "vm.swappiness must be 0..200");
		m->swappiness = (int)value;
		return 0;
	}
	if (!strcmp(name, "compact_unevictable_allowed")) {
		if (value < 0 || value > 1)
			return mm_error_set(e, -EINVAL, "vm.compact_unevictable_allowed must be 0 or 1");
		m->compact_unevictable_allowed = (int)value;
		return 0;
	}
	return mm_error_set(e, -EINVAL, "no sysctl vm.%s (compaction_proactiveness, "
			    "extfrag_threshold, compact_unevictable_allowed, swappiness)", name);
}

int mm_sysctl_vm_get(const struct machine *m, const char *name, long *value)
{
	if (!strcmp(name, "compaction_proactiveness"))
		*value = m->compaction_proactiveness;
	else if (!strcmp(name, "extfrag_threshold"))
		*value = m->extfrag_threshold;
	else if (!strcmp(name, "compact_unevictable_allowed"))
		*value = m->compact_unevictable_allowed;
	else if (!strcmp(name, "swappiness"))
		*value = m->swappiness;
	else
		return -EINVAL;
	return 0;
}

void compaction_init(struct machine *m)
{
	m->extfrag_threshold = 500;
	m->compaction_proactiveness = 20;
	m->compact_unevictable_allowed = 1;
	for (unsigned int n = 0; n < m->nr_nodes; n++) {
		pg_data_t *pgdat = &m->nodes[n];

		pgdat->kcompactd_max_order = 0;
		pgdat->kcompactd_highest_zoneidx = MAX_NR_ZONES - 1;
		pgdat->kcompactd_runnable = false;
		pgdat->proactive_compact_trigger = false;
		/* kcompactd starts and waits: the first proactive check is due 500 ms on */
		pgdat->kcompactd_timeout = m->jiffies + msecs_to_jiffies(HPAGE_FRAG_CHECK_INTERVAL_MSEC);
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &pgdat->node_zones[zi];

			if (populated_zone(z))
				compaction_zone_init(m, z);
		}
	}
}

static bool kcompactd_node_suitable(struct machine *m, pg_data_t *pgdat)
{
	for (int zi = 0; zi <= pgdat->kcompactd_highest_zoneidx; zi++) {
		struct zone *z = &pgdat->node_zones[zi];

		if (!populated_zone(z))
			continue;
		if (compaction_suit_allocation_order(m, z, (unsigned int)pgdat->kcompactd_max_order,
						     pgdat->kcompactd_highest_zoneidx,
						     ALLOC_WMARK_MIN, false) == COMPACT_CONTINUE)
			return true;
	}
	return false;
}

void wakeup_kcompactd(struct machine *m, pg_data_t *pgdat, int order, int highest_zoneidx)
{
	if (!order)
		return;
	if (pgdat->kcompactd_max_order < order)
		pgdat->kcompactd_max_order = order;
	if (pgdat->kcompactd_highest_zoneidx > highest_zoneidx)
		pgdat->kcompactd_highest_zoneidx = highest_zoneidx;
	if (pgdat->kcompactd_runnable)		/* !wq_has_sleeper(): already woken */
		return;
	if (!kcompactd_node_suitable(m, pgdat))
		return;
	kcompactd_event(m, MM_EV_mm_compaction_wakeup_kcompactd, pgdat->node_id, order,
			highest_zoneidx);
	pgdat->kcompactd_runnable = true;
}

static void kcompactd_do_work(struct machine *m, pg_data_t *pgdat)
{
	struct compact_control cc = {
		.m = m, .order = pgdat->kcompactd_max_order,
		.search_order = pgdat->kcompactd_max_order,
		.highest_zoneidx = pgdat->kcompactd_highest_zoneidx,
		.mode = MIGRATE_SYNC_LIGHT, .gfp_mask = GFP_KERNEL,
	};

	kcompactd_event(m, MM_EV_mm_compaction_kcompactd_wake, pgdat->node_id, cc.order,
			cc.highest_zoneidx);
	count_vm_event(m, KCOMPACTD_WAKE);
	for (int zi = 0; zi <= cc.highest_zoneidx; zi++) {
		struct zone *z = &pgdat->node_zones[zi];
		int status;

		if (!populated_zone(z))
			continue;
		if (compaction_deferred(m, z, cc.order))
			continue;
		if (compaction_suit_allocation_order(m, z, (unsigned int)cc.order, zi,
						     ALLOC_WMARK_MIN, false) != COMPACT_CONTINUE)
			continue;
		cc.zone = z;
		cc.whole_zone = false;
		status = compact_zone(&cc, NULL);
		if (status == COMPACT_SUCCESS) {
			compaction_defer_reset(m, z, cc.order, false);
		} else if (status == COMPACT_PARTIAL_SKIPPED || status == COMPACT_COMPLETE) {
			mm_drain_all_pages(m);
			defer_compaction(m, z, cc.order);
		}
		count_vm_events(m, KCOMPACTD_MIGRATE_SCANNED, cc.total_migrate_scanned);
		count_vm_events(m, KCOMPACTD_FREE_SCANNED, cc.total_free_scanned);
	}
	if (pgdat->kcompactd_max_order <= cc.order)
		pgdat->kcompactd_max_order = 0;
	if (pgdat->kcompactd_highest_zoneidx >= cc.highest_zoneidx)
		pgdat->kcompactd_highest_zoneidx = MAX_NR_ZONES - 1;
}

/*
 * kcompactd goes back to its wait (the top of kcompactd()'s loop): traced
 * as mm_compaction_kcompactd_sleep, with a timeout of @timeout jiffies, or
 * none while proactive compaction is off.
 */
static void kcompactd_sleep(struct machine *m, pg_data_t *pgdat, uint64_t timeout)
{
	kcompactd_event(m, MM_EV_mm_compaction_kcompactd_sleep, pgdat->node_id, 0, 0);
	pgdat->kcompactd_timeout = m->compaction_proactiveness ? m->jiffies + timeout : 0;
}

/*
 * The proactive pass of kcompactd()'s loop, when its wait timed out or the
 * sysctl woke it: compact_node() with the proactive flag if the node's
 * fragmentation score is above its mark, and a wait 16 times as long
 * (default_timeout << COMPACT_MAX_DEFER_SHIFT: 64 times, 32 s) when that did
 * not lower the score.
 */
static void kcompactd_proactive(struct machine *m, pg_data_t *pgdat)
{
	uint64_t timeout = msecs_to_jiffies(HPAGE_FRAG_CHECK_INTERVAL_MSEC);

	if (should_proactive_compact_node(m, pgdat)) {
		unsigned int prev = fragmentation_score_node(m, pgdat), score;

		compact_node(m, pgdat, true, 0);
		score = fragmentation_score_node(m, pgdat);
		if (score >= prev)
			timeout <<= COMPACT_MAX_DEFER_SHIFT;
	}
	pgdat->proactive_compact_trigger = false;
	kcompactd_sleep(m, pgdat, timeout);
}

/*
 * kcompactd's loop at the end of an op: a kcompactd woken for a request
 * runs its work and waits again, its timeout restarted; one the sysctl woke
 * makes its proactive check first. Kernel: kcompactd().
 */
void kcompactd_run(struct machine *m)
{
	for (unsigned int n = 0; n < m->nr_nodes; n++) {
		pg_data_t *pgdat = &m->nodes[n];

		while (pgdat->kcompactd_runnable || pgdat->proactive_compact_trigger) {
			if (pgdat->proactive_compact_trigger) {
				kcompactd_proactive(m, pgdat);
				continue;
			}
			kcompactd_do_work(m, pgdat);
			pgdat->kcompactd_runnable = false;
			kcompactd_sleep(m, pgdat, msecs_to_jiffies(HPAGE_FRAG_CHECK_INTERVAL_MSEC));
		}
	}
}

/* The earliest jiffies a kcompactd's wait times out at, if before *@next. */
void kcompactd_next_timeout(const struct machine *m, uint64_t *next)
{
	for (unsigned int n = 0; n < m->nr_nodes; n++)
		if (m->nodes[n].kcompactd_timeout && m->nodes[n].kcompactd_timeout < *next)
			*next = m->nodes[n].kcompactd_timeout;
}

/* Every kcompactd whose wait has timed out by now makes its proactive check. */
void kcompactd_timer(struct machine *m)
{
	for (unsigned int n = 0; n < m->nr_nodes; n++) {
		pg_data_t *pgdat = &m->nodes[n];

		if (pgdat->kcompactd_timeout && pgdat->kcompactd_timeout <= m->jiffies)
			kcompactd_proactive(m, pgdat);
	}
}
