/*
 * vmscan.c - page reclaim: the LRU scan that frees page cache and swaps
 * anonymous pages out, the slab shrinkers, direct reclaim and kswapd.
 *
 * Kernel: mm/vmscan.c of Linux 6.18 with the classic two-list LRU (no
 * multi-gen LRU): isolate_lru_folios(), folio_check_references(),
 * shrink_folio_list(), pageout(), __remove_mapping(), move_folios_to_lru(),
 * shrink_inactive_list(), shrink_active_list(), inactive_is_low(),
 * prepare_scan_control(), get_scan_count(), calculate_pressure_balance(),
 * shrink_lruvec(), shrink_node(), do_shrink_slab(), shrink_slab(),
 * shrink_zones(), do_try_to_free_pages(), try_to_free_pages(),
 * try_to_free_mem_cgroup_pages(), pgdat_balanced(),
 * pgdat_watermark_boosted(), prepare_kswapd_sleep(), kswapd_shrink_node(),
 * balance_pgdat(), kswapd_try_to_sleep(), kswapd(), wakeup_kswapd();
 * mm/page_io.c (swap_writepage(): the content goes to the slot).
 *
 * What is simpler than the kernel:
 *  - Writes complete at once: pageout() of a dirty page is the synchronous
 *    case of shrink_folio_list() (the write is done when pageout() returns,
 *    so the now clean page is freed in the same pass, as the kernel does for
 *    a ramdisk or zram). Direct reclaim writes dirty file pages too (the
 *    kernel leaves them to kswapd and the flusher threads, which the engine
 *    does not have apart from balance_dirty_pages()).
 *  - Reclaim does not compact for itself: compaction is compaction.c's
 *    (direct compaction in the slow path, kcompactd, which kswapd wakes
 *    with a high-order request when it goes to sleep), but
 *    should_continue_reclaim() never asks for more pages for a costly
 *    order's compaction and shrink_zones() skips no zone as
 *    compaction_ready(). No deferred shrinker work (nr_deferred stays 0),
 *    no throttling.
 *  - The LRU sizes reclaim weighs are the lruvec's, not limited to the zones
 *    at or below reclaim_idx; isolate_lru_folios() does skip pages above it.
 *
 * kswapd and the ops (the interleaving rule, which replay relies on):
 *  - wakeup_kswapd() only records the request and marks the node's kswapd
 *    runnable. A runnable kswapd runs (kswapd()'s loop: balance_pgdat() to
 *    the high watermarks, then kswapd_try_to_sleep()) when SWAP_CLUSTER_MAX
 *    more pages have been allocated on its node, and in any case at the end
 *    of the op (mm_kswapd_run(), which op_apply() calls after every op).
 *  - After a run kswapd naps (the kernel's HZ/10 premature-sleep check): a
 *    wakeup during the rest of the op counts kswapd_low_wmark_hit_quickly and
 *    makes it runnable again; at the end of the op a node still balanced lets
 *    it sleep for good (mm_vmscan_kswapd_sleep), one that is not counts
 *    kswapd_high_wmark_hit_quickly and runs again. Between ops every kswapd
 *    sleeps. Nothing depends on wall time.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lru.h"
#include "pgtable.h"
#include "swap.h"
#include "vmscan.h"
#include "compaction.h"

enum kswapd_state { KSWAPD_SLEEPING, KSWAPD_RUNNABLE, KSWAPD_NAPPING };

enum folio_references {
	FOLIOREF_RECLAIM, FOLIOREF_RECLAIM_CLEAN, FOLIOREF_KEEP, FOLIOREF_ACTIVATE
};

struct reclaim_stat {
	unsigned int nr_dirty, nr_unqueued_dirty, nr_congested, nr_writeback, nr_immediate;
	unsigned int nr_pageout;
	unsigned int nr_activate[ANON_AND_FILE];
	unsigned int nr_ref_keep, nr_unmap_fail, nr_lazyfree_fail;
};

/*** Events ***/

static void vmscan_event(struct machine *m, int type, int node, int zone, int order,
			 gfp_t gfp, int64_t value, uint64_t size, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));
static void vmscan_event(struct machine *m, int type, int node, int zone, int order,
			 gfp_t gfp, int64_t value, uint64_t size, const char *fmt, ...)
{
	struct mm_event ev;
	va_list ap;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.node = node;
	ev.zone = zone;
	ev.order = order;
	ev.gfp = gfp;
	ev.value = value;
	ev.size = size;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(m->detail, sizeof(m->detail), fmt, ap);
		va_end(ap);
		ev.detail = m->detail;
	}
	emit(m, &ev);
}

/*
 * The two shrink_*_list tracepoints: the scan priority goes in the level
 * column; the detail is the reclaim flags (trace_reclaim_flags() of
 * include/trace/events/vmscan.h: the list's type, written asynchronously)
 * and the counters that are not zero, so that it fits a recorded detail.
 */
#define RECLAIM_WB_ANON		0x0001u
#define RECLAIM_WB_FILE		0x0002u
#define RECLAIM_WB_ASYNC	0x0008u

struct shrink_count {
	const char *key;
	unsigned long n;
};

static void shrink_list_event(struct machine *m, int type, int node, int priority, bool file,
			      int64_t value, uint64_t size, const struct shrink_count *c,
			      size_t nr)
{
	struct mm_event ev;
	size_t used;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.node = node;
	ev.level = priority;
	ev.value = value;
	ev.size = size;
	used = (size_t)snprintf(m->detail, sizeof(m->detail), "flags=%u",
				(file ? RECLAIM_WB_FILE : RECLAIM_WB_ANON) | RECLAIM_WB_ASYNC);
	for (size_t i = 0; i < nr && used < sizeof(m->detail); i++)
		if (c[i].n)
			used += (size_t)snprintf(m->detail + used, sizeof(m->detail) - used,
						 " %s=%lu", c[i].key, c[i].n);
	ev.detail = m->detail;
	emit(m, &ev);
}

static void folio_event(struct machine *m, int type, uint64_t pfn, const char *detail)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.pfn = pfn;
	ev.paddr = PFN_PHYS(pfn);
	ev.node = pfn_to_page(m, pfn)->node;
	ev.zone = pfn_to_page(m, pfn)->zone;
	ev.detail = detail;
	emit(m, &ev);
}

static const char *const lru_names[NR_LRU_LISTS] = {
	"inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable"
};

/*** Isolation and putback ***/

/* A local list of isolated folios, linked by pfn like the LRU itself. */
#define LIST_INIT	{ PFN_NIL, PFN_NIL, 0 }

static uint32_t list_pop(struct machine *m, struct list_head *l)
{
	uint32_t pfn = l->first;

	if (pfn != PFN_NIL)
		pfn_list_del(m, l, pfn);
	return pfn;
}

/*
 * isolate_lru_folios(): up to @nr_to_scan folios from the tail of @lru.
 * Folios of zones above reclaim_idx are passed over (pgscan_skip) and go back
 * to the head; mapped folios are rotated when the scan may not unmap.
 */
static unsigned long isolate_lru_folios(struct machine *m, unsigned long nr_to_scan,
					struct lruvec *l, struct list_head *dst,
					unsigned long *nr_scanned, struct scan_control *sc,
					enum lru_list lru)
{
	struct list_head skipped = LIST_INIT, rotated = LIST_INIT;
	unsigned long nr_taken = 0, scan = 0, total_scan = 0, nr_skipped_all = 0;
	unsigned long nr_skipped[MAX_NR_ZONES] = { 0 };
	uint32_t pfn;

	while (scan < nr_to_scan && (pfn = l->lists[lru].last) != PFN_NIL) {
		struct page *p = pfn_to_page(m, pfn);

		total_scan++;
		lruvec_del_folio(m, l, pfn);
		if (nr_skipped_all < (SWAP_CLUSTER_MAX << 10) && p->zone > sc->reclaim_idx) {
			nr_skipped[p->zone]++;
			nr_skipped_all++;
			pfn_list_add_tail(m, &skipped, pfn);
			continue;
		}
		scan++;
		if (!sc->may_unmap && folio_mapped(p)) {
			pfn_list_add_tail(m, &rotated, pfn);
			continue;
		}
		nr_taken++;
		pfn_list_add_tail(m, dst, pfn);
	}
	while ((pfn = list_pop(m, &rotated)) != PFN_NIL)
		lruvec_add_folio(m, l, pfn);
	while ((pfn = list_pop(m, &skipped)) != PFN_NIL)
		lruvec_add_folio(m, l, pfn);
	for (int zid = 0; zid < MAX_NR_ZONES; zid++)
		count_vm_events(m, PGSCAN_SKIP_DMA + zid, nr_skipped[zid]);
	*nr_scanned = total_scan;
	vmscan_event(m, MM_EV_mm_vmscan_lru_isolate, l->node, sc->reclaim_idx, sc->order, 0,
		     (int64_t)nr_taken, total_scan,
		     "lru=%s nr_requested=%lu nr_skipped=%lu", lru_names[lru], nr_to_scan,
		     nr_skipped_all);
	return nr_taken;
}

/* move_folios_to_lru(): back on the list their flags name; returns how many. */
static unsigned int move_folios_to_lru(struct machine *m, struct lruvec *l,
				       struct list_head *list)
{
	unsigned int n = 0;
	uint32_t pfn;

	while ((pfn = list_pop(m, list)) != PFN_NIL) {
		lruvec_add_folio(m, l, pfn);
		n++;
	}
	return n;
}

/*** shrink_folio_list() ***/

static enum folio_references folio_check_references(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	unsigned long vm_flags = 0;
	int referenced_ptes = folio_referenced(m, pfn, &vm_flags);
	bool referenced_folio = page_test(p, PG_referenced);

	page_clear(p, PG_referenced);
	if (referenced_ptes) {
		page_set(p, PG_referenced);
		if (referenced_folio || referenced_ptes > 1)
			return FOLIOREF_ACTIVATE;
		if ((vm_flags & VM_EXEC) && folio_is_file_lru(p))
			return FOLIOREF_ACTIVATE;
		return FOLIOREF_KEEP;
	}
	if (referenced_folio && folio_is_file_lru(p))
		return FOLIOREF_RECLAIM_CLEAN;
	return FOLIOREF_RECLAIM;
}

/*
 * swap_writepage(): the page's content goes to its slot (the device write
 * completes at once). pswpout and pgpgout (in KiB) count it.
 */
static void swap_writepage(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	swp_entry_t e = { p->private };
	struct swap_info_struct *si = swp_info(m, e);

	si->content[swp_offset(e)] = p->folio.content;
	page_clear(p, PG_dirty);
	count_vm_event(m, PSWPOUT);
	count_vm_events(m, PGPGOUT, PAGE_SIZE / 1024);
	if (events_on(m)) {
		snprintf(m->detail, sizeof(m->detail), "type=%u offset=%" PRIu64 " content=%#x",
			 swp_type(e), swp_offset(e), p->folio.content);
		folio_event(m, MM_EV_swap_writepage, pfn, m->detail);
	}
}

/*
 * pageout(): write a dirty folio before it is freed: to its swap slot, or
 * to its file (folio_write_one()). nr_vmscan_write counts both.
 */
static bool pageout(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	bool anon = folio_test_anon(p);

	page_set(p, PG_reclaim);
	if (events_on(m))
		folio_event(m, MM_EV_mm_vmscan_write_folio, pfn,
			    anon ? "flags=9" : "flags=10");	/* RECLAIM_WB_ANON or _FILE, |_ASYNC */
	if (anon)
		swap_writepage(m, pfn);
	else if (folio_write_one(m, pfn))
		return false;
	mod_node_page_state(m, p->node, NR_VMSCAN_WRITE, 1);
	/* the write is done: folio_end_writeback() would rotate it; it is freed now */
	page_clear(p, PG_reclaim);
	return true;
}

/*
 * __remove_mapping(): a clean, unmapped folio leaves the swap cache or its
 * file, leaving a shadow entry for refault detection.
 */
static void __remove_mapping(struct machine *m, uint64_t pfn, struct scan_control *sc)
{
	struct page *p = pfn_to_page(m, pfn);
	uint64_t shadow = workingset_eviction(m, pfn, sc->target_mem_cgroup);

	if (folio_test_swapcache(p)) {
		swp_entry_t e = { p->private };

		__swap_cache_del_folio(m, pfn, e, shadow);
		put_swap_folio(m, e);
	} else {
		__filemap_remove_folio(m, pfn, shadow);
	}
}

/*
 * try_to_unmap() of a folio: an anonymous one's PTEs become swap entries,
 * each taking a reference on the slot first (try_to_unmap_one() calls
 * swap_duplicate() for every PTE it replaces).
 */
static bool unmap_folio(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);

	if (folio_test_anon(p) && folio_test_swapcache(p)) {
		swp_entry_t e = { p->private };

		for (int32_t i = 0; i <= p->_mapcount; i++)
			if (swap_duplicate(m, e))
				return false;
	}
	return try_to_unmap(m, pfn, 0);
}

/* Anonymous pages get a slot first (add_to_swap), and need the swap device to go. */
static bool prepare_anon(struct machine *m, uint64_t pfn, struct scan_control *sc)
{
	struct page *p = pfn_to_page(m, pfn);

	if (folio_test_swapcache(p))
		return true;
	if (!(sc->gfp_mask & __GFP_IO) || !sc->may_swap)
		return false;
	if (folio_alloc_swap(m, pfn))
		return false;
	page_set(p, PG_dirty);		/* only RAM holds the content: it must be written */
	return true;
}

/* One folio of the list: true when it was freed. */
static bool shrink_folio(struct machine *m, uint64_t pfn, struct scan_control *sc,
			 struct reclaim_stat *stat, bool *activate)
{
	struct page *p = pfn_to_page(m, pfn);
	bool anon = folio_test_anon(p) && page_test(p, PG_swapbacked);
	enum folio_references ref;

	*activate = false;
	if (page_test(p, PG_locked))	/* folio_trylock() fails: its owner is busy with it */
		return false;
	if (!sc->may_unmap && folio_mapped(p))
		return false;
	ref = folio_check_references(m, pfn);
	if (ref == FOLIOREF_ACTIVATE)
		goto activate_locked;
	if (ref == FOLIOREF_KEEP) {
		stat->nr_ref_keep++;
		return false;
	}
	if (anon && !prepare_anon(m, pfn, sc))
		goto activate_locked;
	if (folio_mapped(p) && !unmap_folio(m, pfn)) {
		stat->nr_unmap_fail++;
		goto activate_locked;
	}
	if (page_test(p, PG_dirty)) {
		stat->nr_dirty++;
		if (!folio_is_file_lru(p) || sc->may_writepage) {
			if (!pageout(m, pfn))
				return false;
			stat->nr_pageout++;
		} else {
			stat->nr_unqueued_dirty++;
			return false;
		}
	}
	if (p->_refcount != 1)		/* folio_ref_freeze() fails: someone else holds it */
		return false;
	__remove_mapping(m, pfn, sc);
	folio_put_batched(m, pfn);	/* the cache's reference was the last: free_folios */
	return true;
activate_locked:
	/* a swapped page that stays: give its slot back when swap runs short */
	if (folio_test_swapcache(p) && vm_swap_full(m) && !folio_swapped(m, pfn) &&
	    folio_mapped(p)) {
		swap_cache_del_folio(m, pfn);	/* folio_free_swap() */
		page_set(p, PG_dirty);
	}
	page_set(p, PG_active);
	stat->nr_activate[!anon]++;
	*activate = true;
	return false;
}

/* shrink_folio_list(): free what can be freed; the rest stays on @list. */
static unsigned int shrink_folio_list(struct machine *m, struct list_head *list,
				      struct scan_control *sc, struct reclaim_stat *stat)
{
	struct list_head keep = LIST_INIT;
	unsigned int nr_reclaimed = 0;
	uint32_t pfn;

	memset(stat, 0, sizeof(*stat));
	while ((pfn = list_pop(m, list)) != PFN_NIL) {
		bool activate;

		sc->nr_scanned++;
		if (shrink_folio(m, pfn, sc, stat, &activate)) {
			nr_reclaimed++;
			continue;
		}
		if (activate)
			count_vm_event(m, PGACTIVATE);
		pfn_list_add_tail(m, &keep, pfn);
	}
	*list = keep;
	return nr_reclaimed;
}

/*** The LRU lists ***/

static unsigned long shrink_inactive_list(struct machine *m, unsigned long nr_to_scan,
					  struct lruvec *l, struct scan_control *sc,
					  enum lru_list lru)
{
	struct list_head list = LIST_INIT;
	unsigned long nr_scanned, nr_taken;
	unsigned int nr_reclaimed;
	struct reclaim_stat stat = { 0 };
	bool file = is_file_lru(lru);

	nr_taken = isolate_lru_folios(m, nr_to_scan, l, &list, &nr_scanned, sc, lru);
	mod_node_page_state(m, l->node, NR_ISOLATED_ANON + file, (int64_t)nr_taken);
	if (!sc->cgroup_reclaim)
		count_vm_events(m, sc->kswapd ? PGSCAN_KSWAPD : PGSCAN_DIRECT, nr_scanned);
	count_vm_events(m, PGSCAN_ANON + file, nr_scanned);
	if (!nr_taken)
		return 0;
	nr_reclaimed = shrink_folio_list(m, &list, sc, &stat);
	move_folios_to_lru(m, l, &list);
	mod_node_page_state(m, l->node, NR_ISOLATED_ANON + file, -(int64_t)nr_taken);
	if (!sc->cgroup_reclaim)
		count_vm_events(m, sc->kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT, nr_reclaimed);
	count_vm_events(m, PGSTEAL_ANON + file, nr_reclaimed);
	lru_note_cost(m, l, file, stat.nr_pageout, (unsigned int)(nr_scanned - nr_reclaimed));
	sc->nr.dirty += stat.nr_dirty;
	sc->nr.unqueued_dirty += stat.nr_unqueued_dirty;
	sc->nr.taken += (unsigned int)nr_taken;
	if (file)
		sc->nr.file_taken += (unsigned int)nr_taken;
	shrink_list_event(m, MM_EV_mm_vmscan_lru_shrink_inactive, l->node, sc->priority, file,
			  (int64_t)nr_reclaimed, nr_scanned, (const struct shrink_count[]) {
				{ "nr_dirty", stat.nr_dirty }, { "nr_writeback", stat.nr_writeback },
				{ "nr_congested", stat.nr_congested },
				{ "nr_immediate", stat.nr_immediate },
				{ "nr_activate_anon", stat.nr_activate[0] },
				{ "nr_activate_file", stat.nr_activate[1] },
				{ "nr_ref_keep", stat.nr_ref_keep },
				{ "nr_unmap_fail", stat.nr_unmap_fail } }, 8);
	return nr_reclaimed;
}

/*
 * shrink_active_list(): the active list's tail moves to the inactive list,
 * except referenced executable file pages, which get another round.
 */
static void shrink_active_list(struct machine *m, unsigned long nr_to_scan, struct lruvec *l,
			       struct scan_control *sc, enum lru_list lru)
{
	struct list_head hold = LIST_INIT, active = LIST_INIT, inactive = LIST_INIT;
	unsigned long nr_taken, nr_scanned;
	unsigned int nr_activate, nr_deactivate, nr_rotated = 0;
	bool file = is_file_lru(lru);
	uint32_t pfn;

	nr_taken = isolate_lru_folios(m, nr_to_scan, l, &hold, &nr_scanned, sc, lru);
	if (!sc->cgroup_reclaim)
		count_vm_events(m, PGREFILL, nr_scanned);
	while ((pfn = list_pop(m, &hold)) != PFN_NIL) {
		struct page *p = pfn_to_page(m, pfn);
		unsigned long vm_flags = 0;

		if (folio_referenced(m, pfn, &vm_flags) && (vm_flags & VM_EXEC) &&
		    folio_is_file_lru(p)) {
			nr_rotated++;
			pfn_list_add_tail(m, &active, pfn);
			continue;
		}
		page_clear(p, PG_active);
		page_set(p, PG_workingset);
		pfn_list_add_tail(m, &inactive, pfn);
	}
	nr_activate = move_folios_to_lru(m, l, &active);
	nr_deactivate = move_folios_to_lru(m, l, &inactive);
	count_vm_events(m, PGDEACTIVATE, nr_deactivate);
	lru_note_cost(m, l, file, 0, nr_rotated);
	shrink_list_event(m, MM_EV_mm_vmscan_lru_shrink_active, l->node, sc->priority, file,
			  nr_deactivate, nr_taken, (const struct shrink_count[]) {
				{ "nr_active", nr_activate }, { "nr_referenced", nr_rotated } }, 2);
}

static uint64_t int_sqrt(uint64_t x)
{
	uint64_t r = 0;

	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/* inactive_is_low(): the inactive list is small next to the active one. */
static bool inactive_is_low(const struct lruvec *l, enum lru_list inactive_lru)
{
	uint64_t inactive = lruvec_lru_size(l, inactive_lru);
	uint64_t active = lruvec_lru_size(l, inactive_lru + LRU_ACTIVE);
	uint64_t gb = (inactive + active) >> (30 - PAGE_SHIFT);
	uint64_t ratio = gb ? int_sqrt(10 * gb) : 1;

	return inactive * ratio < active;
}

static unsigned long shrink_list(struct machine *m, enum lru_list lru, unsigned long nr,
				 struct lruvec *l, struct scan_control *sc)
{
	if (is_active_lru(lru)) {
		if (sc->may_deactivate & (1u << is_file_lru(lru)))
			shrink_active_list(m, nr, l, sc, lru);
		else
			sc->skipped_deactivate = true;
		return 0;
	}
	return shrink_inactive_list(m, nr, l, sc, lru);
}

/* can_reclaim_anon_pages(): there is swap to put them in. */
static bool can_reclaim_anon_pages(const struct machine *m)
{
	return get_nr_swap_pages(m) > 0;
}

enum scan_balance { SCAN_EQUAL, SCAN_FRACT, SCAN_ANON, SCAN_FILE };

/*
 * get_scan_count(): how many pages of each list to scan at this priority,
 * anon against file by swappiness and by the cost each type has recently
 * paid (calculate_pressure_balance()).
 */
static void get_scan_count(struct machine *m, struct lruvec *l, struct scan_control *sc,
			   unsigned long nr[NR_LRU_LISTS])
{
	uint64_t swappiness = (uint64_t)m->swappiness, fraction[ANON_AND_FILE] = { 0 };
	uint64_t denominator = 0;
	enum scan_balance balance;

	if (!sc->may_swap || !can_reclaim_anon_pages(m))
		balance = SCAN_FILE;
	else if (sc->cgroup_reclaim && !swappiness)
		balance = SCAN_FILE;
	else if (!sc->priority && swappiness)
		balance = SCAN_EQUAL;
	else if (sc->file_is_tiny)
		balance = SCAN_ANON;
	else if (sc->cache_trim_mode)
		balance = SCAN_FILE;
	else {
		uint64_t total = sc->anon_cost + sc->file_cost;
		uint64_t anon_cost = total + sc->anon_cost, file_cost = total + sc->file_cost;

		total = anon_cost + file_cost;
		fraction[0] = swappiness * (total + 1) / (anon_cost + 1);
		fraction[1] = (MAX_SWAPPINESS - swappiness) * (total + 1) / (file_cost + 1);
		denominator = fraction[0] + fraction[1];
		balance = SCAN_FRACT;
	}
	for (int lru = 0; lru < NR_EVICTABLE_LRU_LISTS; lru++) {
		bool file = is_file_lru(lru);
		uint64_t scan = lruvec_lru_size(l, lru) >> sc->priority;

		if (balance == SCAN_FRACT)
			scan = denominator ? scan * fraction[file] / denominator : 0;
		else if ((balance == SCAN_FILE || balance == SCAN_ANON) &&
			 (balance == SCAN_FILE) != file)
			scan = 0;
		nr[lru] = (unsigned long)scan;
	}
}

/* shrink_lruvec(): the lists in SWAP_CLUSTER_MAX bites until the targets are met. */
static void shrink_lruvec(struct machine *m, struct lruvec *l, struct scan_control *sc)
{
	unsigned long nr[NR_LRU_LISTS], targets[NR_LRU_LISTS], nr_reclaimed = 0;
	bool proportional = !sc->cgroup_reclaim && !sc->kswapd && sc->priority == DEF_PRIORITY;

	get_scan_count(m, l, sc, nr);
	memcpy(targets, nr, sizeof(nr));
	while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE]) {
		unsigned long nr_anon, nr_file, percentage, scanned;
		int lru;

		for (lru = 0; lru < NR_EVICTABLE_LRU_LISTS; lru++) {
			if (nr[lru]) {
				unsigned long n = nr[lru] < SWAP_CLUSTER_MAX ? nr[lru] :
						  SWAP_CLUSTER_MAX;

				nr[lru] -= n;
				nr_reclaimed += shrink_list(m, (enum lru_list)lru, n, l, sc);
			}
		}
		if (nr_reclaimed < sc->nr_to_reclaim || proportional)
			continue;
		/* enough: scale the other type down to the share this one got */
		nr_file = nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE];
		nr_anon = nr[LRU_INACTIVE_ANON] + nr[LRU_ACTIVE_ANON];
		if (!nr_file || !nr_anon)
			break;
		if (nr_file > nr_anon) {
			percentage = nr_anon * 100 /
				     (targets[LRU_INACTIVE_ANON] + targets[LRU_ACTIVE_ANON] + 1);
			lru = LRU_BASE;
		} else {
			percentage = nr_file * 100 /
				     (targets[LRU_INACTIVE_FILE] + targets[LRU_ACTIVE_FILE] + 1);
			lru = LRU_FILE;
		}
		nr[lru] = nr[lru + LRU_ACTIVE] = 0;
		lru = lru == LRU_FILE ? LRU_BASE : LRU_FILE;
		for (int k = 0; k < 2; k++, lru += LRU_ACTIVE) {
			scanned = targets[lru] - nr[lru];
			nr[lru] = targets[lru] * (100 - percentage) / 100;
			nr[lru] -= nr[lru] < scanned ? nr[lru] : scanned;
		}
	}
	sc->nr_reclaimed += nr_reclaimed;
	if (can_reclaim_anon_pages(m) && inactive_is_low(l, LRU_INACTIVE_ANON))
		shrink_active_list(m, SWAP_CLUSTER_MAX, l, sc, LRU_ACTIVE_ANON);
}

/*** Shrinkers ***/

static uint64_t slab_pages_on_node(const struct machine *m, int nid)
{
	uint64_t n = 0;

	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		n += m->nodes[nid].node_zones[zi].owner_pages[OWNER_SLAB];
	return n;
}

/* One shrinker, between its tracepoints; do_shrink_slab() (filemap.c) does the work. */
static unsigned long shrink_one(struct machine *m, struct shrinker *s, struct shrink_control *shc,
				int priority)
{
	unsigned long freeable, delta, total_scan, freed;
	uint64_t scanned = m->vm_events[SLABS_SCANNED];

	freeable = s->count_objects(m, s, shc);
	if (freeable == 0 || freeable == SHRINK_EMPTY)
		return 0;
	delta = s->seeks ? (freeable >> priority) * 4 / (unsigned long)s->seeks : freeable / 2;
	total_scan = delta < freeable * 2 ? delta : freeable * 2;
	/*
	 * value: total_scan, size: the freeable objects (cache items). No work
	 * is deferred here, so nr_objects_to_shrink, unused and new scan counts
	 * are 0 and left out of the detail.
	 */
	vmscan_event(m, MM_EV_mm_shrink_slab_start, shc->nid, MM_NA, MM_NA, shc->gfp_mask,
		     (int64_t)total_scan, freeable, "shrinker=%s scan=%s delta=%lu priority=%d",
		     s->name, s->scan_name, delta, priority);
	freed = do_shrink_slab(m, s, shc, priority);
	/* value: the objects freed; size: what is left of total_scan, as the kernel's */
	scanned = m->vm_events[SLABS_SCANNED] - scanned;
	vmscan_event(m, MM_EV_mm_shrink_slab_end, shc->nid, MM_NA, MM_NA, 0, (int64_t)freed,
		     total_scan > scanned ? total_scan - scanned : 0, "shrinker=%s scan=%s",
		     s->name, s->scan_name);
	return freed;
}

/* shrink_slab(): every registered shrinker; returns the slab pages that went back. */
static unsigned long shrink_slab(struct machine *m, gfp_t gfp, int nid, int memcg_id,
				 int priority)
{
	uint64_t before = slab_pages_on_node(m, nid), after;

	for (unsigned int i = 0; i < nr_shrinkers(); i++) {
		struct shrink_control shc = { .gfp_mask = gfp, .nid = nid, .memcg_id = memcg_id };

		shrink_one(m, shrinker_at(i), &shc, priority);
	}
	after = slab_pages_on_node(m, nid);
	return before > after ? (unsigned long)(before - after) : 0;
}

/*** Nodes ***/

/* prepare_scan_control(): may the active lists shrink, is file tiny, trim the cache? */
static void prepare_scan_control(struct machine *m, pg_data_t *pgdat, struct scan_control *sc)
{
	struct lruvec *l = mem_cgroup_lruvec(m, sc->target_mem_cgroup, pgdat->node_id);
	uint64_t file, free = 0, high = 0, anon;

	sc->anon_cost = l->anon_cost;
	sc->file_cost = l->file_cost;
	if (sc->force_deactivate) {
		sc->may_deactivate = DEACTIVATE_ANON | DEACTIVATE_FILE;
	} else {
		sc->may_deactivate = 0;
		if ((uint64_t)pgdat->vm_stat[WORKINGSET_ACTIVATE_ANON] != l->refaults[0] ||
		    inactive_is_low(l, LRU_INACTIVE_ANON))
			sc->may_deactivate |= DEACTIVATE_ANON;
		if ((uint64_t)pgdat->vm_stat[WORKINGSET_ACTIVATE_FILE] != l->refaults[1] ||
		    inactive_is_low(l, LRU_INACTIVE_FILE))
			sc->may_deactivate |= DEACTIVATE_FILE;
	}
	file = lruvec_lru_size(l, LRU_INACTIVE_FILE);
	sc->cache_trim_mode = (file >> sc->priority) && !(sc->may_deactivate & DEACTIVATE_FILE) &&
			      !sc->no_cache_trim_mode;
	if (sc->cgroup_reclaim)
		return;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &pgdat->node_zones[zi];

		if (managed_zone(z)) {
			free += z->nr_free_pages;
			high += z->_watermark[WMARK_HIGH] + z->watermark_boost;
		}
	}
	file = lruvec_lru_size(l, LRU_ACTIVE_FILE) + lruvec_lru_size(l, LRU_INACTIVE_FILE);
	anon = lruvec_lru_size(l, LRU_INACTIVE_ANON);
	sc->file_is_tiny = file + free <= high && !(sc->may_deactivate & DEACTIVATE_ANON) &&
			   (anon >> sc->priority);
}

/* snapshot_refaults(): the refault counts the next prepare_scan_control() compares. */
static void snapshot_refaults(struct machine *m, int memcg_id, pg_data_t *pgdat)
{
	struct lruvec *l = mem_cgroup_lruvec(m, memcg_id, pgdat->node_id);

	l->refaults[0] = (uint64_t)pgdat->vm_stat[WORKINGSET_ACTIVATE_ANON];
	l->refaults[1] = (uint64_t)pgdat->vm_stat[WORKINGSET_ACTIVATE_FILE];
}

/*
 * shrink_node(): the node's lruvec (the target memcg's for cgroup reclaim,
 * else the root's: shrink_node_memcgs() over the memcgs the node has) and
 * its slab caches. Progress revives a kswapd that had given up.
 */
static void shrink_node(struct machine *m, pg_data_t *pgdat, struct scan_control *sc)
{
	unsigned long nr_reclaimed = sc->nr_reclaimed;
	struct lruvec *l = mem_cgroup_lruvec(m, sc->target_mem_cgroup, pgdat->node_id);

	memset(&sc->nr, 0, sizeof(sc->nr));
	prepare_scan_control(m, pgdat, sc);
	shrink_lruvec(m, l, sc);
	{
		unsigned long slab = shrink_slab(m, sc->gfp_mask, pgdat->node_id,
						 sc->target_mem_cgroup, sc->priority);

		if (!sc->cgroup_reclaim)	/* flush_reclaim_state() */
			sc->nr_reclaimed += slab;
	}
	if (sc->nr_reclaimed - nr_reclaimed)
		pgdat->kswapd_failures = 0;
	else if (sc->cache_trim_mode)
		sc->cache_trim_mode_failed = true;
}

static const struct zone *zoneref_zone(const struct machine *m, struct zoneref zr)
{
	return &m->nodes[zr.node].node_zones[zr.zone];
}

/* shrink_zones(): each node of the zonelist once, for the zones reclaim_idx allows. */
static void shrink_zones(struct machine *m, int node, struct scan_control *sc)
{
	const pg_data_t *home = &m->nodes[node];
	int last = -1;

	for (unsigned int i = 0; i < home->nr_zonerefs; i++) {
		const struct zone *z = zoneref_zone(m, home->zonelist[i]);

		if (z->idx > sc->reclaim_idx || !populated_zone(z) || (int)z->node == last)
			continue;
		last = z->node;
		shrink_node(m, &m->nodes[z->node], sc);
	}
}

/*
 * do_try_to_free_pages(): shrink at priority 12, 11, ... 0 until
 * nr_to_reclaim pages came back; retry once forcing the active lists down
 * when they were skipped.
 */
static unsigned long do_try_to_free_pages(struct machine *m, int node, struct scan_control *sc)
{
	int initial_priority = sc->priority;

retry:
	if (!sc->cgroup_reclaim)
		count_vm_event(m, ALLOCSTALL_DMA + sc->reclaim_idx);
	do {
		sc->nr_scanned = 0;
		shrink_zones(m, node, sc);
		if (sc->nr_reclaimed >= sc->nr_to_reclaim)
			break;
		if (sc->priority < DEF_PRIORITY - 2)
			sc->may_writepage = true;
	} while (--sc->priority >= 0);
	for (unsigned int n = 0; n < m->nr_nodes; n++)
		snapshot_refaults(m, sc->target_mem_cgroup, &m->nodes[n]);
	if (sc->nr_reclaimed)
		return sc->nr_reclaimed;
	if (sc->skipped_deactivate) {
		sc->priority = initial_priority;
		sc->force_deactivate = true;
		sc->skipped_deactivate = false;
		goto retry;
	}
	return 0;
}

unsigned long try_to_free_pages(struct machine *m, int node, int order, gfp_t gfp,
				int highest_zoneidx)
{
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX,
		.gfp_mask = gfp,
		.order = order,
		.priority = DEF_PRIORITY,
		.reclaim_idx = highest_zoneidx,
		.may_writepage = true,
		.may_unmap = true,
		.may_swap = true,
	};
	bool was = m->in_reclaim;
	unsigned long nr;
	char gfp_text[128];

	gfp_format(gfp, gfp_text, sizeof(gfp_text));
	vmscan_event(m, MM_EV_mm_vmscan_direct_reclaim_begin, node, highest_zoneidx, order, gfp,
		     MM_NA, MM_NA_U64, "order=%d gfp_flags=%s", order, gfp_text);
	m->in_reclaim = true;
	nr = do_try_to_free_pages(m, node, &sc);
	m->in_reclaim = was;
	vmscan_event(m, MM_EV_mm_vmscan_direct_reclaim_end, node, MM_NA, MM_NA, 0, (int64_t)nr,
		     MM_NA_U64, "nr_reclaimed=%lu", nr);
	return nr;
}

/*
 * shrink_all_memory(): reclaim @nr pages from everything, as hibernation
 * does before it writes the image (and as the reclaim benchmark uses it).
 */
uint64_t mm_shrink_all_memory(struct machine *m, uint64_t nr)
{
	struct scan_control sc = {
		.nr_to_reclaim = (unsigned long)nr,
		.gfp_mask = GFP_HIGHUSER_MOVABLE,
		.priority = DEF_PRIORITY,
		.reclaim_idx = MAX_NR_ZONES - 1,
		.may_writepage = true,
		.may_unmap = true,
		.may_swap = true,
	};
	bool was = m->in_reclaim;
	unsigned long got;

	m->in_reclaim = true;
	got = do_try_to_free_pages(m, m->cpu_to_node[0], &sc);
	m->in_reclaim = was;
	return got;
}

unsigned long try_to_free_mem_cgroup_pages(struct machine *m, int memcg_id,
					   unsigned long nr_pages, gfp_t gfp, bool may_swap)
{
	struct scan_control sc = {
		.nr_to_reclaim = nr_pages > SWAP_CLUSTER_MAX ? nr_pages : SWAP_CLUSTER_MAX,
		.gfp_mask = gfp,
		.priority = DEF_PRIORITY,
		.reclaim_idx = MAX_NR_ZONES - 1,
		.target_mem_cgroup = memcg_id,
		.cgroup_reclaim = true,
		.may_writepage = true,
		.may_unmap = true,
		.may_swap = may_swap,
	};
	bool was = m->in_reclaim;
	unsigned long nr;

	m->in_reclaim = true;
	nr = do_try_to_free_pages(m, m->cpu_to_node[0], &sc);
	m->in_reclaim = was;
	return nr;
}

uint64_t zone_reclaimable_pages(const struct machine *m, const struct zone *z)
{
	const struct lruvec *l = &m->nodes[z->node].__lruvec;
	bool anon = can_reclaim_anon_pages(m);
	uint64_t n = 0;

	for (int lru = 0; lru < NR_EVICTABLE_LRU_LISTS; lru++) {
		if (!is_file_lru(lru) && !anon)
			continue;
		for (uint32_t pfn = l->lists[lru].first; pfn != PFN_NIL;
		     pfn = m->mem_map[pfn].next)
			n += m->mem_map[pfn].zone == z->idx;
	}
	return n;
}

/*** kswapd ***/

static uint64_t high_wmark_pages(const struct zone *z)
{
	return z->_watermark[WMARK_HIGH] + z->watermark_boost;
}

/* pgdat_balanced(): any managed zone up to highest_zoneidx above its high mark. */
static bool pgdat_balanced(const pg_data_t *pgdat, int order, int highest_zoneidx)
{
	bool any = false;

	for (int i = 0; i <= highest_zoneidx; i++) {
		const struct zone *z = &pgdat->node_zones[i];

		if (!managed_zone(z))
			continue;
		any = true;
		if (zone_watermark_ok_plain(z, (unsigned int)order, high_wmark_pages(z),
					    highest_zoneidx))
			return true;
	}
	return !any;
}

static bool pgdat_watermark_boosted(const pg_data_t *pgdat, int highest_zoneidx)
{
	for (int i = highest_zoneidx; i >= 0; i--)
		if (managed_zone(&pgdat->node_zones[i]) && pgdat->node_zones[i].watermark_boost)
			return true;
	return false;
}

static bool prepare_kswapd_sleep(const pg_data_t *pgdat, int order, int highest_zoneidx)
{
	if (pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES)
		return true;
	return pgdat_balanced(pgdat, order, highest_zoneidx);
}

/* kswapd_shrink_node(): aim at every eligible zone's high mark; true when that was met. */
static bool kswapd_shrink_node(struct machine *m, pg_data_t *pgdat, struct scan_control *sc)
{
	unsigned long nr_reclaimed = sc->nr_reclaimed;

	sc->nr_to_reclaim = 0;
	for (int i = 0; i <= sc->reclaim_idx; i++) {
		const struct zone *z = &pgdat->node_zones[i];

		if (managed_zone(z))
			sc->nr_to_reclaim += high_wmark_pages(z) > SWAP_CLUSTER_MAX ?
					     high_wmark_pages(z) : SWAP_CLUSTER_MAX;
	}
	shrink_node(m, pgdat, sc);
	return (sc->nr_scanned > sc->nr_reclaimed - nr_reclaimed ? sc->nr_scanned :
		sc->nr_reclaimed - nr_reclaimed) >= sc->nr_to_reclaim;
}

/*
 * balance_pgdat(): reclaim from priority 12 down until some eligible zone
 * is above its high watermark. A boosted watermark is worked off first
 * without writing or swapping; the boost is cleared when kswapd is done.
 */
static int balance_pgdat(struct machine *m, pg_data_t *pgdat, int order, int highest_zoneidx)
{
	struct scan_control sc = { .gfp_mask = GFP_KERNEL, .order = order, .may_unmap = true,
				   .kswapd = true };
	uint64_t zone_boosts[MAX_NR_ZONES] = { 0 }, nr_boost_reclaim = 0;
	bool boosted;

	count_vm_event(m, PAGEOUTRUN);
	for (int i = 0; i <= highest_zoneidx; i++)
		if (managed_zone(&pgdat->node_zones[i])) {
			zone_boosts[i] = pgdat->node_zones[i].watermark_boost;
			nr_boost_reclaim += zone_boosts[i];
		}
	boosted = nr_boost_reclaim;
restart:
	sc.priority = DEF_PRIORITY;
	do {
		unsigned long nr_reclaimed = sc.nr_reclaimed;
		bool raise_priority = true, balanced;

		sc.reclaim_idx = highest_zoneidx;
		balanced = pgdat_balanced(pgdat, sc.order, highest_zoneidx);
		if (!balanced && nr_boost_reclaim) {
			nr_boost_reclaim = 0;
			goto restart;
		}
		if (!nr_boost_reclaim && balanced)
			goto out;
		if (nr_boost_reclaim && sc.priority == DEF_PRIORITY - 2)
			raise_priority = false;
		sc.may_writepage = !nr_boost_reclaim;
		sc.may_swap = !nr_boost_reclaim;
		/* kswapd_age_node(): keep the anon inactive list from running dry */
		if (can_reclaim_anon_pages(m) && inactive_is_low(&pgdat->__lruvec,
								 LRU_INACTIVE_ANON))
			shrink_active_list(m, SWAP_CLUSTER_MAX, &pgdat->__lruvec, &sc,
					   LRU_ACTIVE_ANON);
		if (sc.priority < DEF_PRIORITY - 2)
			sc.may_writepage = true;
		sc.nr_scanned = 0;
		if (kswapd_shrink_node(m, pgdat, &sc))
			raise_priority = false;
		nr_reclaimed = sc.nr_reclaimed - nr_reclaimed;
		nr_boost_reclaim -= nr_boost_reclaim < nr_reclaimed ? nr_boost_reclaim :
				    nr_reclaimed;
		if (nr_boost_reclaim && !nr_reclaimed)
			break;
		if (raise_priority || !nr_reclaimed)
			sc.priority--;
	} while (sc.priority >= 1);
	if (!sc.nr_reclaimed && sc.priority < 1 && !sc.no_cache_trim_mode &&
	    sc.cache_trim_mode_failed) {
		sc.no_cache_trim_mode = true;
		goto restart;
	}
	if (!sc.nr_reclaimed)
		pgdat->kswapd_failures++;
out:
	if (boosted)
		for (int i = 0; i <= highest_zoneidx; i++) {
			struct zone *z = &pgdat->node_zones[i];

			z->watermark_boost -= z->watermark_boost < zone_boosts[i] ?
					      z->watermark_boost : zone_boosts[i];
		}
	snapshot_refaults(m, 0, pgdat);
	return sc.order;
}

void kswapd_init(struct machine *m)
{
	m->swappiness = (int)m->cfg.swappiness;
	for (unsigned int n = 0; n < m->nr_nodes; n++) {
		pg_data_t *pgdat = &m->nodes[n];

		pgdat->kswapd_state = KSWAPD_SLEEPING;
		pgdat->kswapd_order = 0;
		pgdat->kswapd_highest_zoneidx = MAX_NR_ZONES;
		pgdat->kswapd_failures = 0;
		pgdat->kswapd_allocs = 0;
		pgdat->kswapd_run_order = 0;
		pgdat->kswapd_run_zoneidx = MAX_NR_ZONES - 1;
	}
}

static int zone_idx_of_request(const pg_data_t *pgdat, int prev)
{
	return pgdat->kswapd_highest_zoneidx == MAX_NR_ZONES ? prev :
	       pgdat->kswapd_highest_zoneidx;
}

/*
 * One pass of kswapd()'s loop: take the pending request, balance the node,
 * then nap (the premature-sleep check follows at the end of the op).
 */
static void kswapd_run_once(struct machine *m, pg_data_t *pgdat)
{
	int order = pgdat->kswapd_order;
	int highest_zoneidx = zone_idx_of_request(pgdat, pgdat->kswapd_run_zoneidx);
	bool was = m->in_reclaim;

	pgdat->kswapd_order = 0;
	pgdat->kswapd_highest_zoneidx = MAX_NR_ZONES;
	pgdat->kswapd_run_zoneidx = highest_zoneidx;
	if (order > pgdat->kswapd_alloc_order)	/* kept until it sleeps (kswapd()'s alloc_order) */
		pgdat->kswapd_alloc_order = order;
	pgdat->kswapd_allocs = 0;
	vmscan_event(m, MM_EV_mm_vmscan_kswapd_wake, pgdat->node_id, highest_zoneidx, order, 0,
		     MM_NA, MM_NA_U64, "nid=%d zid=%d order=%d", pgdat->node_id,
		     highest_zoneidx, order);
	m->in_reclaim = true;
	pgdat->kswapd_run_order = balance_pgdat(m, pgdat, order, highest_zoneidx);
	m->in_reclaim = was;
	pgdat->kswapd_state = KSWAPD_NAPPING;
}

void wakeup_kswapd(struct machine *m, struct zone *z, gfp_t gfp, int order,
		   int highest_zoneidx)
{
	pg_data_t *pgdat = &m->nodes[z->node];
	int curr = pgdat->kswapd_highest_zoneidx;

	if (!managed_zone(z))
		return;
	if (curr == MAX_NR_ZONES || curr < highest_zoneidx)
		pgdat->kswapd_highest_zoneidx = highest_zoneidx;
	if (pgdat->kswapd_order < order)
		pgdat->kswapd_order = order;
	if (pgdat->kswapd_state == KSWAPD_RUNNABLE)	/* !waitqueue_active() */
		return;
	if (pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES ||
	    (pgdat_balanced(pgdat, order, highest_zoneidx) &&
	     !pgdat_watermark_boosted(pgdat, highest_zoneidx)))
		return;
	/*
	 * value: the zone's free pages, size: the mark the request failed, its
	 * low watermark (boost included) plus the reserve it keeps against
	 * requests that could use higher zones (lowmem_reserve[highest_zoneidx])
	 */
	vmscan_event(m, MM_EV_mm_vmscan_wakeup_kswapd, pgdat->node_id, z->idx, order, gfp,
		     (int64_t)z->nr_free_pages, z->_watermark[WMARK_LOW] + z->watermark_boost +
		     z->lowmem_reserve[highest_zoneidx], "nid=%d zid=%d order=%d", pgdat->node_id,
		     z->idx, order);
	if (pgdat->kswapd_state == KSWAPD_NAPPING)	/* woken before its nap ended */
		count_vm_event(m, KSWAPD_LOW_WMARK_HIT_QUICKLY);
	pgdat->kswapd_state = KSWAPD_RUNNABLE;
	pgdat->kswapd_allocs = 0;
}

void kswapd_note_alloc(struct machine *m, int node, unsigned int order)
{
	pg_data_t *pgdat = &m->nodes[node];

	if (pgdat->kswapd_state != KSWAPD_RUNNABLE || m->in_reclaim)
		return;
	pgdat->kswapd_allocs += 1u << order;
	if (pgdat->kswapd_allocs >= SWAP_CLUSTER_MAX)
		kswapd_run_once(m, pgdat);
}

/*
 * mm_vmscan_kswapd_sleep; zone, value and size name the zone that is above
 * its high watermark, its free pages and that mark with the zone's lowmem
 * reserve for the request (none when kswapd gave up).
 */
static void kswapd_sleep_event(struct machine *m, const pg_data_t *pgdat)
{
	int zone = MM_NA;
	int64_t free = MM_NA;
	uint64_t high = MM_NA_U64;

	for (int i = 0; i <= pgdat->kswapd_run_zoneidx; i++) {
		const struct zone *z = &pgdat->node_zones[i];

		if (managed_zone(z) && zone_watermark_ok_plain(z, (unsigned int)pgdat->kswapd_run_order,
							       high_wmark_pages(z),
							       pgdat->kswapd_run_zoneidx)) {
			zone = i;
			free = (int64_t)z->nr_free_pages;
			high = high_wmark_pages(z) + z->lowmem_reserve[pgdat->kswapd_run_zoneidx];
			break;
		}
	}
	vmscan_event(m, MM_EV_mm_vmscan_kswapd_sleep, pgdat->node_id, zone, MM_NA, 0, free, high,
		     "nid=%d", pgdat->node_id);
}

/*
 * mm_kswapd_run(): the end of an op. Every runnable kswapd runs; a napping
 * one sleeps if its node is still balanced (kswapd_try_to_sleep()), else
 * runs again. A node whose reclaim keeps failing is given up after
 * MAX_RECLAIM_RETRIES runs (prepare_kswapd_sleep() then says yes).
 */
void mm_kswapd_run(struct machine *m)
{
	for (unsigned int n = 0; n < m->nr_nodes; n++) {
		pg_data_t *pgdat = &m->nodes[n];

		while (pgdat->kswapd_state != KSWAPD_SLEEPING) {
			if (pgdat->kswapd_state == KSWAPD_RUNNABLE) {
				kswapd_run_once(m, pgdat);
				continue;
			}
			if (prepare_kswapd_sleep(pgdat, pgdat->kswapd_run_order,
						 pgdat->kswapd_run_zoneidx)) {
				/*
				 * kswapd_try_to_sleep(): the skip hints of a
				 * failed direct compaction are cleared, and a
				 * high-order request goes to kcompactd.
				 */
				reset_isolation_suitable(m, pgdat);
				wakeup_kcompactd(m, pgdat, pgdat->kswapd_alloc_order,
						 pgdat->kswapd_run_zoneidx);
				pgdat->kswapd_alloc_order = 0;
				kswapd_sleep_event(m, pgdat);
				pgdat->kswapd_state = KSWAPD_SLEEPING;
				pgdat->kswapd_run_zoneidx = MAX_NR_ZONES - 1;
				pgdat->kswapd_run_order = 0;
				continue;
			}
			count_vm_event(m, KSWAPD_HIGH_WMARK_HIT_QUICKLY);
			pgdat->kswapd_state = KSWAPD_RUNNABLE;
		}
	}
	kcompactd_run(m);	/* compaction.c: kcompactd's turn comes after kswapd's */
}

/* K1..K3: kswapd's state is one it can be in. */
void vmscan_check(const struct machine *m, void (*report)(void *ctx, const char *msg),
		  void *ctx)
{
	char msg[160];

	for (unsigned int n = 0; n < m->nr_nodes; n++) {
		const pg_data_t *pgdat = &m->nodes[n];

		if (pgdat->kswapd_state > KSWAPD_NAPPING) {
			snprintf(msg, sizeof(msg), "K1: node %u kswapd is in state %d", n,
				 pgdat->kswapd_state);
			report(ctx, msg);
		}
		if (pgdat->kswapd_highest_zoneidx > MAX_NR_ZONES || pgdat->kswapd_order < 0 ||
		    pgdat->kswapd_order > (int)m->max_order ||
		    pgdat->kswapd_run_zoneidx >= MAX_NR_ZONES || pgdat->kswapd_run_order < 0) {
			snprintf(msg, sizeof(msg), "K2: node %u kswapd asks order %d zone %d, runs "
				 "order %d zone %d", n, pgdat->kswapd_order,
				 pgdat->kswapd_highest_zoneidx, pgdat->kswapd_run_order,
				 pgdat->kswapd_run_zoneidx);
			report(ctx, msg);
		}
		if (pgdat->kswapd_failures < 0 || pgdat->kswapd_failures > MAX_RECLAIM_RETRIES ||
		    (pgdat->kswapd_state != KSWAPD_RUNNABLE &&
		     pgdat->kswapd_allocs >= SWAP_CLUSTER_MAX)) {
			snprintf(msg, sizeof(msg), "K3: node %u kswapd_failures %d, %u allocations "
				 "since its last run", n, pgdat->kswapd_failures,
				 pgdat->kswapd_allocs);
			report(ctx, msg);
		}
	}
}

/*** The pressure view's numbers ***/

void machine_pressure(const struct machine *m, struct mm_pressure *p)
{
	uint64_t biggest = 0;

	memset(p, 0, sizeof(*p));
	p->big_zone = p->big_node = MM_NA;
	for (unsigned int n = 0; n < m->nr_nodes; n++) {
		const pg_data_t *pgdat = &m->nodes[n];

		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			const struct zone *z = &pgdat->node_zones[zi];
			uint64_t b = z->watermark_boost;

			if (!managed_zone(z))
				continue;
			p->free += z->nr_free_pages;
			p->min += z->_watermark[WMARK_MIN] + b;
			p->low += z->_watermark[WMARK_LOW] + b;
			p->high += z->_watermark[WMARK_HIGH] + b;
			if (z->managed_pages > biggest) {
				biggest = z->managed_pages;
				p->big_zone = zi;
				p->big_node = (int)n;
				p->big_free = z->nr_free_pages;
				p->big_min = z->_watermark[WMARK_MIN] + b;
				p->big_low = z->_watermark[WMARK_LOW] + b;
				p->big_high = z->_watermark[WMARK_HIGH] + b;
			}
		}
		for (int lru = 0; lru < NR_LRU_LISTS; lru++)
			p->lru[lru] += lruvec_lru_size(&pgdat->__lruvec, (enum lru_list)lru);
		p->kswapd_awake += pgdat->kswapd_state != KSWAPD_SLEEPING;
	}
	p->swap_total = total_swap_pages(m);
	p->swap_free = get_nr_swap_pages(m);
	p->swap_cached = m->swap ? m->swap->nr_swapcache : 0;
	p->pgscan_kswapd = m->vm_events[PGSCAN_KSWAPD];
	p->pgscan_direct = m->vm_events[PGSCAN_DIRECT];
	p->pgsteal_kswapd = m->vm_events[PGSTEAL_KSWAPD];
	p->pgsteal_direct = m->vm_events[PGSTEAL_DIRECT];
	p->pswpin = m->vm_events[PSWPIN];
	p->pswpout = m->vm_events[PSWPOUT];
	p->pgmajfault = m->vm_events[PGMAJFAULT];
	for (int z = 0; z < MAX_NR_ZONES; z++)
		p->allocstall += m->vm_events[ALLOCSTALL_DMA + z];
	p->pageoutrun = m->vm_events[PAGEOUTRUN];
	p->oom_kill = m->vm_events[OOM_KILL];
}
