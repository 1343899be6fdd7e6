/*
 * swap.c - the LRU lists: a node's lruvec, pages joining and leaving it,
 * and their promotion (the referenced/active two-step); the counters of
 * /proc/vmstat; the machine state of the memory-pressure units.
 *
 * Kernel: mm/swap.c (folio_add_lru, lru_add, folio_mark_accessed,
 * folio_activate, lru_activate, lru_deactivate), include/linux/mm_inline.h
 * (lruvec_add_folio, lruvec_del_folio, update_lru_size, folio_lru_list),
 * mm/memcontrol.c (mem_cgroup_lruvec for the root), mm/vmstat.c (the names).
 *
 * Ideas to hold:
 *  - The classic two-list LRU (the multi-generational LRU is off, as
 *    CONFIG_LRU_GEN_ENABLED=n leaves it): a page goes on the inactive list
 *    of its kind; a second reference while on it (folio_mark_accessed) or a
 *    referenced PTE seen by reclaim moves it to the active list.
 *  - The kernel adds pages through per-CPU folio batches (cpu_fbatches) and
 *    moves them when a batch fills or drains. The engine drains at once:
 *    each add, activation or deactivation reaches its list within the call,
 *    so every list is exact at the end of every op.
 *  - Lists link pfns through page->next/prev, as the buddy lists do (the
 *    kernel's lru shares its words with buddy_list and pcp_list).
 */
#include <errno.h>
#include <string.h>

#include "lru.h"
#include "memcontrol.h"

static const char *const lru_names[NR_LRU_LISTS] = {
	"inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable"
};

const char *lru_list_name(int lru)
{
	return lru >= 0 && lru < NR_LRU_LISTS ? lru_names[lru] : NULL;
}

/*** The lists ***/

/*
 * mem_cgroup_lruvec(): the root memory cgroup's lruvec is the node's own
 * (pgdat->__lruvec). A memcg's lists are added by the memcg unit.
 */
struct lruvec *mem_cgroup_lruvec(struct machine *m, int memcg_id, int node)
{
	if (memcg_id)
		return memcg_lruvec(m, memcg_id, node);	/* memcontrol.c */
	return &m->nodes[node].__lruvec;
}

struct lruvec *folio_lruvec(struct machine *m, const struct page *p)
{
	return mem_cgroup_lruvec(m, (int)p->folio.memcg_id, p->node);
}

uint64_t lruvec_lru_size(const struct lruvec *l, enum lru_list lru)
{
	return l->lists[lru].nr;
}

/* update_lru_size(): the node counter NR_LRU_BASE + lru follows the list. */
static void update_lru_size(struct machine *m, struct lruvec *l, enum lru_list lru, int64_t nr)
{
	mod_node_page_state(m, l->node, (enum node_stat_item)(NR_LRU_BASE + lru), nr);
}

/* lruvec_add_folio(): at the head of the list its flags name. */
void lruvec_add_folio(struct machine *m, struct lruvec *l, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	enum lru_list lru = folio_lru_list(p);

	SIM_BUG_ON(page_test(p, PG_lru));
	update_lru_size(m, l, lru, 1);
	pfn_list_add_head(m, &l->lists[lru], (uint32_t)pfn);
	page_set(p, PG_lru);
}

/* lruvec_add_folio_tail(): at the tail, where reclaim looks first. */
void lruvec_add_folio_tail(struct machine *m, struct lruvec *l, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	enum lru_list lru = folio_lru_list(p);

	SIM_BUG_ON(page_test(p, PG_lru));
	update_lru_size(m, l, lru, 1);
	pfn_list_add_tail(m, &l->lists[lru], (uint32_t)pfn);
	page_set(p, PG_lru);
}

/* lruvec_del_folio(): off its list; the caller has the flags it had on it. */
void lruvec_del_folio(struct machine *m, struct lruvec *l, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	enum lru_list lru = folio_lru_list(p);

	SIM_BUG_ON(!page_test(p, PG_lru));
	pfn_list_del(m, &l->lists[lru], (uint32_t)pfn);
	update_lru_size(m, l, lru, -1);
	page_clear(p, PG_lru);
}

/*
 * trace_mm_lru_insertion() (pfn, lru, the PAGEMAP_* flags of
 * trace_pagemap_flags(); PG_mappedtodisk is not modelled) and
 * trace_mm_lru_activate() (pfn).
 */
static void lru_event(struct machine *m, int type, uint64_t pfn)
{
	const struct page *p = pfn_to_page(m, pfn);
	struct mm_event ev;
	unsigned int flags;

	if (!events_on(m))
		return;
	flags = (folio_test_anon(p) ? 0x2u : 0x4u) | (folio_mapped(p) ? 0x1u : 0) |
		(page_test(p, PG_swapbacked) && page_test(p, PG_swapcache) ? 0x8u : 0) |
		(page_test(p, PG_swapbacked) ? 0x10u : 0) | (page_test(p, PG_private) ? 0x40u : 0);
	mm_event_init(&ev, type);
	ev.pfn = pfn;
	ev.node = p->node;
	ev.zone = p->zone;
	ev.value = folio_lru_list(p);
	snprintf(m->detail, sizeof(m->detail), "lru=%s flags=%u", lru_names[folio_lru_list(p)], flags);
	ev.detail = m->detail;
	emit(m, &ev);
}

/*
 * lru_add(): a page not on any list joins the one its flags name. Nothing
 * is mlocked in the engine, so every page is evictable (folio_evictable());
 * one that was unevictable is rescued.
 */
static void lru_add(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);

	if (page_test(p, PG_unevictable)) {
		page_clear(p, PG_unevictable);
		count_vm_event(m, UNEVICTABLE_PGRESCUED);
	}
	lruvec_add_folio(m, folio_lruvec(m, p), pfn);
	lru_event(m, MM_EV_mm_lru_insertion, pfn);
}

void folio_add_lru(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);

	SIM_BUG_ON(page_test(p, PG_active) && page_test(p, PG_unevictable));
	SIM_BUG_ON(page_test(p, PG_lru));
	lru_add(m, pfn);
}

/* folio_add_lru_vma(): no VMA is VM_LOCKED, so this is folio_add_lru(). */
void folio_add_lru_vma(struct machine *m, uint64_t pfn)
{
	folio_add_lru(m, pfn);
}

/* lru_activate(): an evictable inactive page moves to its active list. */
static void lru_activate(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	struct lruvec *l = folio_lruvec(m, p);

	if (page_test(p, PG_active) || page_test(p, PG_unevictable))
		return;
	lruvec_del_folio(m, l, pfn);
	page_set(p, PG_active);
	lruvec_add_folio(m, l, pfn);
	lru_event(m, MM_EV_mm_lru_activate, pfn);
	count_vm_event(m, PGACTIVATE);
}

void folio_activate(struct machine *m, uint64_t pfn)
{
	if (page_test(pfn_to_page(m, pfn), PG_lru))
		lru_activate(m, pfn);
}

/*
 * lru_deactivate(): an active page goes to the head of its inactive list,
 * its referenced bit cleared. Kernel: mm/swap.c, lru_deactivate().
 */
void folio_deactivate(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	struct lruvec *l;

	if (!page_test(p, PG_lru) || !page_test(p, PG_active) || page_test(p, PG_unevictable))
		return;
	l = folio_lruvec(m, p);
	lruvec_del_folio(m, l, pfn);
	page_clear(p, PG_active);
	page_clear(p, PG_referenced);
	lruvec_add_folio(m, l, pfn);
	count_vm_event(m, PGDEACTIVATE);
}

/*
 * folio_mark_accessed(): the first reference sets PG_referenced; a second
 * one while the page is inactive activates it and clears the bit again
 * (and ages the node's nonresident clock, workingset_activation()).
 */
void folio_mark_accessed(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);

	if (page_test(p, PG_dropbehind))
		return;
	if (!page_test(p, PG_referenced)) {
		page_set(p, PG_referenced);
	} else if (page_test(p, PG_unevictable)) {
		/* the unevictable list is never rotated: nothing to do */
	} else if (!page_test(p, PG_active)) {
		if (page_test(p, PG_lru))
			folio_activate(m, pfn);
		else
			page_set(p, PG_active);	/* __lru_cache_activate_folio() */
		page_clear(p, PG_referenced);
		folio_lruvec(m, p)->nonresident_age++;
	}
}

/*
 * A page about to be freed leaves its list, and the LRU flags go with it:
 * __page_cache_release() and __folio_clear_lru_flags().
 */
void lru_del_before_free(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);

	if (page_test(p, PG_lru))
		lruvec_del_folio(m, folio_lruvec(m, p), pfn);
	p->flags &= ~((1u << PG_active) | (1u << PG_unevictable) | (1u << PG_referenced) |
		      (1u << PG_workingset) | (1u << PG_swapbacked));
}

/*** Counters: /proc/vmstat's names (mm/vmstat.c, vmstat_text) ***/

static const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = {
	"nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
	"nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable",
	"nr_isolated_anon", "nr_isolated_file", "workingset_nodes",
	"workingset_refault_anon", "workingset_refault_file",
	"workingset_activate_anon", "workingset_activate_file",
	"workingset_restore_anon", "workingset_restore_file", "workingset_nodereclaim",
	"nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback",
	"nr_shmem", "nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied",
	"nr_written", "nr_swapcached",
};

static const char *const vm_event_names[NR_VM_EVENT_ITEMS] = {
	"pgpgin", "pgpgout", "pswpin", "pswpout",
	"pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable", "pgalloc_device",
	"allocstall_dma", "allocstall_dma32", "allocstall_normal", "allocstall_movable",
	"allocstall_device",
	"pgskip_dma", "pgskip_dma32", "pgskip_normal", "pgskip_movable", "pgskip_device",
	"pgfree", "pgactivate", "pgdeactivate", "pglazyfree",
	"pgfault", "pgmajfault",
	"pglazyfreed",
	"pgrefill",
	"pgreuse",
	"pgsteal_kswapd", "pgsteal_direct", "pgsteal_khugepaged", "pgsteal_proactive",
	"pgscan_kswapd", "pgscan_direct", "pgscan_khugepaged", "pgscan_proactive",
	"pgscan_direct_throttle",
	"pgscan_anon", "pgscan_file", "pgsteal_anon", "pgsteal_file",
	"zone_reclaim_success", "zone_reclaim_failed",
	"pginodesteal", "slabs_scanned", "kswapd_inodesteal",
	"kswapd_low_wmark_hit_quickly", "kswapd_high_wmark_hit_quickly",
	"pageoutrun", "pgrotated",
	"drop_pagecache", "drop_slab",
	"oom_kill",
	"pgmigrate_success", "pgmigrate_fail",
	"compact_migrate_scanned", "compact_free_scanned",
	"compact_isolated",
	"compact_stall", "compact_fail", "compact_success",
	"compact_daemon_wake",
	"compact_daemon_migrate_scanned", "compact_daemon_free_scanned",
	"unevictable_pgs_culled", "unevictable_pgs_scanned", "unevictable_pgs_rescued",
	"unevictable_pgs_mlocked", "unevictable_pgs_munlocked", "unevictable_pgs_cleared",
	"unevictable_pgs_stranded",
	"swap_ra", "swap_ra_hit", "swpin_zero", "swpout_zero",
};

const char *node_stat_name(int item)
{
	return item >= 0 && item < NR_VM_NODE_STAT_ITEMS ? node_stat_names[item] : NULL;
}

const char *vm_event_name(int item)
{
	return item >= 0 && item < NR_VM_EVENT_ITEMS ? vm_event_names[item] : NULL;
}

uint64_t global_node_page_state(const struct machine *m, enum node_stat_item item)
{
	int64_t sum = 0;
	unsigned int n;

	for (n = 0; n < m->nr_nodes; n++)
		sum += m->nodes[n].vm_stat[item];
	return sum > 0 ? (uint64_t)sum : 0;
}

/*** Machine state: each node's lruvec, the files and anon_vma tables ***/

static void lruvec_init(struct lruvec *l, int node)
{
	int lru;

	memset(l, 0, sizeof(*l));
	for (lru = 0; lru < NR_LRU_LISTS; lru++)
		l->lists[lru].first = l->lists[lru].last = PFN_NIL;
	l->node = node;
}

int lru_state_create(struct machine *m)
{
	unsigned int n;

	for (n = 0; n < m->nr_nodes; n++)
		lruvec_init(&m->nodes[n].__lruvec, (int)n);
	m->files = calloc(1, sizeof(*m->files));
	m->anon_vmas = calloc(1, sizeof(*m->anon_vmas));
	m->dirty_ratio = 20;			/* vm_dirty_ratio */
	m->dirty_background_ratio = 10;		/* dirty_background_ratio */
	m->next_content = 1;
	return m->files && m->anon_vmas ? 0 : -ENOMEM;
}

static void *dup_array(const void *src, size_t n, size_t alloc)
{
	void *p = calloc(1, alloc ? alloc : 1);

	if (p && n)
		memcpy(p, src, n);
	return p;
}

int lru_state_clone(struct machine *dst, const struct machine *src)
{
	const struct file_table *sf = src->files;
	const struct anon_vma_table *sa = src->anon_vmas;
	struct file_table *df;
	struct anon_vma_table *da;
	uint32_t i;

	dst->files = df = calloc(1, sizeof(*df));
	dst->anon_vmas = da = calloc(1, sizeof(*da));
	if (!df || !da)
		return -ENOMEM;
	if (!sf || !sa)
		return 0;
	df->v = dup_array(sf->v, sf->nr * sizeof(*sf->v), sf->cap * sizeof(*sf->v));
	if (!df->v)
		return -ENOMEM;
	df->cap = sf->cap;
	for (i = 0; i < sf->nr; i++) {
		df->v[i].i_pages = dup_array(sf->v[i].i_pages, sf->v[i].nr_slots * 8,
					     sf->v[i].nr_slots * 8);
		df->v[i].disk = dup_array(sf->v[i].disk, sf->v[i].nr_slots * 4,
					  sf->v[i].nr_slots * 4);
		df->nr = i + 1;
		if (!df->v[i].i_pages || !df->v[i].disk)
			return -ENOMEM;
	}
	da->v = dup_array(sa->v, sa->nr * sizeof(*sa->v), sa->cap * sizeof(*sa->v));
	da->free_ids = dup_array(sa->free_ids, sa->nr_free * 4, sa->cap * 4);
	if (!da->v || !da->free_ids)
		return -ENOMEM;
	da->nr = sa->nr;
	da->cap = sa->cap;
	da->nr_free = sa->nr_free;
	return 0;
}

void lru_state_release(struct machine *m)
{
	uint32_t i;

	if (m->files) {
		for (i = 0; i < m->files->nr; i++) {
			free(m->files->v[i].i_pages);
			free(m->files->v[i].disk);
		}
		free(m->files->v);
		free(m->files);
		m->files = NULL;
	}
	if (m->anon_vmas) {
		free(m->anon_vmas->v);
		free(m->anon_vmas->free_ids);
		free(m->anon_vmas);
		m->anon_vmas = NULL;
	}
}

void lru_state_save(struct snap_writer *w, const struct machine *m)
{
	const struct file_table *f = m->files;
	const struct anon_vma_table *a = m->anon_vmas;
	uint32_t i;

	snap_put_struct(w, f, sizeof(*f));
	snap_put_struct(w, a, sizeof(*a));
	if (f) {
		snap_put_array(w, f->v, f->nr * sizeof(*f->v));
		for (i = 0; i < f->nr; i++) {
			snap_put_array(w, f->v[i].i_pages, f->v[i].nr_slots * 8);
			snap_put_array(w, f->v[i].disk, f->v[i].nr_slots * 4);
		}
	}
	if (a) {
		snap_put_array(w, a->v, a->nr * sizeof(*a->v));
		snap_put_array(w, a->free_ids, a->nr_free * 4);
	}
}

void lru_state_load(struct snap_reader *r, struct machine *m)
{
	struct file_table *f;
	struct anon_vma_table *a;
	uint32_t i, nr;

	m->files = f = snap_get_struct(r, sizeof(*f));
	m->anon_vmas = a = snap_get_struct(r, sizeof(*a));
	if (f) {
		nr = f->nr;
		f->nr = 0;
		if (nr > f->cap) {
			r->err = -EPROTO;
			f->v = NULL;
			return;
		}
		f->v = snap_get_array(r, f->cap * sizeof(*f->v));
		if (!f->v)
			return;
		for (i = 0; i < nr; i++) {
			f->v[i].i_pages = NULL;
			f->v[i].disk = NULL;
		}
		for (i = 0; i < nr && !r->err; i++) {
			f->v[i].i_pages = snap_get_array(r, f->v[i].nr_slots * 8);
			f->v[i].disk = snap_get_array(r, f->v[i].nr_slots * 4);
			f->nr = i + 1;
		}
	}
	if (a) {
		a->v = NULL;
		a->free_ids = NULL;
		if (a->nr > a->cap || a->nr_free > a->cap) {
			a->nr = a->nr_free = 0;
			r->err = -EPROTO;
			return;
		}
		a->v = snap_get_array(r, a->cap * sizeof(*a->v));
		a->free_ids = snap_get_array(r, a->cap * 4);
	}
}

/*** Invariants (machine_check(), block "L"): the LRU lists ***/

/*
 * L1: each list of each node's lruvec links pages that have PG_lru, belong
 *     to that node and whose flags name that list (folio_lru_list()); its
 *     links agree both ways and its count is its length.
 * L2: the node counters NR_INACTIVE_ANON.. NR_UNEVICTABLE equal the lists
 *     (the root's and the memory cgroups', memcontrol.c's M3 checks those).
 * L3: every PG_lru page of the machine is on one of the lists (the lists'
 *     lengths add up to the PG_lru pages).
 */
static unsigned long check_lru_list(const struct machine *m, unsigned int n, int lru,
				    mm_violation_fn fn, void *ctx)
{
	const struct list_head *h = &m->nodes[n].__lruvec.lists[lru];
	uint32_t pfn = h->first, prev = PFN_NIL;
	unsigned long bad = 0;
	uint64_t len = 0;

	while (pfn != PFN_NIL && len <= m->max_pfn) {
		const struct page *p = &m->mem_map[pfn];

		if (!page_test(p, PG_lru) || p->node != n || (int)folio_lru_list(p) != lru ||
		    p->prev != prev)
			bad += mm_report(fn, ctx, "L1: node %u %s: pfn %u has flags 0x%x node %u "
					  "prev %u (expected %u)", n, lru_names[lru], pfn,
					  p->flags, p->node, p->prev, prev);
		prev = pfn;
		pfn = p->next;
		len++;
	}
	if (len != h->nr || h->last != prev)
		bad += mm_report(fn, ctx, "L1: node %u %s: %llu pages linked, nr says %llu", n,
				  lru_names[lru], (unsigned long long)len,
				  (unsigned long long)h->nr);
	if ((int64_t)(h->nr + memcg_lru_pages(m, (int)n, lru)) !=
	    m->nodes[n].vm_stat[NR_LRU_BASE + lru])
		bad += mm_report(fn, ctx, "L2: node %u nr_%s is %lld, the list holds %llu", n,
				  lru_names[lru], (long long)m->nodes[n].vm_stat[NR_LRU_BASE + lru],
				  (unsigned long long)h->nr);
	return bad;
}

unsigned long lru_check(const struct machine *m, mm_violation_fn fn, void *ctx)
{
	uint64_t on_lists = 0, flagged = 0, pfn;
	unsigned long bad = 0;
	unsigned int n;
	int lru;

	for (n = 0; n < m->nr_nodes; n++)
		for (lru = 0; lru < NR_LRU_LISTS; lru++) {
			bad += check_lru_list(m, n, lru, fn, ctx);
			on_lists += m->nodes[n].__lruvec.lists[lru].nr +
				    memcg_lru_pages(m, (int)n, lru);	/* the groups' lists */
		}
	for (pfn = 0; pfn < m->max_pfn; pfn++)
		flagged += page_test(&m->mem_map[pfn], PG_lru);
	if (flagged != on_lists)
		bad += mm_report(fn, ctx, "L3: %llu pages have PG_lru, the lists hold %llu",
				  (unsigned long long)flagged, (unsigned long long)on_lists);
	return bad + rmap_filemap_check(m, fn, ctx);
}

/*
 * folio_put(): one reference less. The last one (__folio_put()) takes the
 * page off its LRU list (__page_cache_release()), uncharges its memory
 * cgroup (mem_cgroup_uncharge()), lets go of its anon_vma and returns it to
 * the allocator as its owner holds it; @batched: through free_unref_folios(),
 * as folios_put() and the reclaim's free list do.
 */
static void __folio_put(struct machine *m, uint64_t pfn, bool batched)
{
	struct page *p = pfn_to_page(m, pfn);
	int owner = p->owner;

	SIM_BUG_ON(p->_refcount < 1);
	if (p->_refcount > 1) {
		p->_refcount--;
		return;
	}
	SIM_BUG_ON(folio_mapped(p));
	SIM_BUG_ON(folio_file_id(p) >= 0);	/* the page cache let go first */
	lru_del_before_free(m, pfn);
	if (folio_test_anon(p))
		put_anon_vma(m, (uint32_t)folio_anon_vma_id(p));
	p->folio.mapping = 0;
	if (p->folio.memcg_id)
		mem_cgroup_uncharge(m, pfn);	/* memcontrol.c: memcg_id back to 0 */
	p->folio.content = 0;
	p->index = 0;
	p->index_hi = 0;
	p->private = 0;
	if (batched)
		SIM_BUG_ON(free_unref_folio_batched(m, pfn, 0, owner));
	else
		SIM_BUG_ON(__free_pages_owner(m, pfn, 0, 0, owner, NULL));
}

void folio_put(struct machine *m, uint64_t pfn)
{
	__folio_put(m, pfn, false);
}

/*
 * folio_put_batched(): folios_put_refs() for one folio: the unmap's
 * mmu_gather and the reclaim's free list free their folios a batch at a
 * time (free_unref_folios()). Kernel: mm/swap.c.
 */
void folio_put_batched(struct machine *m, uint64_t pfn)
{
	__folio_put(m, pfn, true);
}
