/*
 * swapfile.c - the swap device: swapon at boot, slot allocation by
 * clusters, the swap_map reference counts, /proc/swaps.
 *
 * Kernel: mm/swapfile.c of Linux 6.18 (setup_swap_map(), setup_clusters(),
 * cluster_alloc_swap_entry(), alloc_swap_scan_cluster(),
 * alloc_swap_scan_list(), relocate_cluster(), free_cluster(),
 * partial_free_cluster(), folio_alloc_swap(), __swap_duplicate(),
 * swap_entry_put_locked(), swap_entries_free(), swap_range_free(),
 * free_swap_and_cache_nr(), swap_show()), include/linux/swap.h.
 *
 * What a learner sees, and what is simpler than the kernel:
 *  - One device, swap_info[0], "/dev/vdb", a partition of swap_mib MiB made by
 *    mkswap: slot 0 holds the header (SWAP_MAP_BAD), so SwapTotal is one page
 *    short of swap_mib. Its priority is -2, as the first swapon without a
 *    priority gets (least_priority counts down from -1).
 *  - Slots come in clusters of SWAPFILE_CLUSTER (512) slots. A free cluster
 *    is taken whole, filled from its start, and moves between the free,
 *    nonfull, frag and full lists as the kernel moves it. The device is
 *    rotational (no SWP_SOLIDSTATE), so the next slot to try is
 *    si->global_cluster->next[0] rather than a per-CPU cursor: the order of
 *    slots is then a function of the ops alone.
 *  - Every folio is one page (order 0); there are no discards, no swap count
 *    continuations (a slot counts up to SWAP_MAP_MAX references) and no
 *    zswap. Writes to the device complete at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compaction.h"
#include "pgtable.h"
#include "swap.h"

#define CI_NIL	UINT32_MAX

/*** Cluster lists, linked by cluster index ***/

static void ci_list_del(struct swap_info_struct *si, struct cluster_list *l, uint32_t idx)
{
	struct swap_cluster_info *ci = &si->cluster_info[idx];

	if (ci->prev != CI_NIL)
		si->cluster_info[ci->prev].next = ci->next;
	else
		l->first = ci->next;
	if (ci->next != CI_NIL)
		si->cluster_info[ci->next].prev = ci->prev;
	else
		l->last = ci->prev;
	ci->next = ci->prev = CI_NIL;
	l->nr--;
}

static void ci_list_add_tail(struct swap_info_struct *si, struct cluster_list *l, uint32_t idx)
{
	struct swap_cluster_info *ci = &si->cluster_info[idx];

	ci->next = CI_NIL;
	ci->prev = l->last;
	if (l->last != CI_NIL)
		si->cluster_info[l->last].next = idx;
	else
		l->first = idx;
	l->last = idx;
	l->nr++;
}

static struct cluster_list *flag_list(struct swap_info_struct *si, int flags)
{
	switch (flags) {
	case CLUSTER_FLAG_FREE:		return &si->free_clusters;
	case CLUSTER_FLAG_NONFULL:	return &si->nonfull_clusters;
	case CLUSTER_FLAG_FRAG:		return &si->frag_clusters;
	case CLUSTER_FLAG_FULL:		return &si->full_clusters;
	default:			return NULL;
	}
}

/* move_cluster(): the cluster's flag always names the list it is on. */
static void move_cluster(struct swap_info_struct *si, uint32_t idx, int new_flags)
{
	struct swap_cluster_info *ci = &si->cluster_info[idx];
	struct cluster_list *from = flag_list(si, ci->flags);

	if (from)
		ci_list_del(si, from, idx);
	ci_list_add_tail(si, flag_list(si, new_flags), idx);
	ci->flags = (uint8_t)new_flags;
}

/* isolate_lock_cluster(): the first cluster of a list, taken off it. */
static uint32_t isolate_cluster(struct swap_info_struct *si, struct cluster_list *l)
{
	uint32_t idx = l->first;

	if (idx == CI_NIL)
		return CI_NIL;
	ci_list_del(si, l, idx);
	si->cluster_info[idx].flags = CLUSTER_FLAG_NONE;
	return idx;
}

/* relocate_cluster(): after an allocation, to the free, frag or full list. */
static void relocate_cluster(struct swap_info_struct *si, uint32_t idx)
{
	struct swap_cluster_info *ci = &si->cluster_info[idx];

	if (!ci->count) {
		if (ci->flags != CLUSTER_FLAG_FREE) {
			move_cluster(si, idx, CLUSTER_FLAG_FREE);
			ci->order = 0;
		}
	} else if (ci->count != SWAPFILE_CLUSTER) {
		if (ci->flags != CLUSTER_FLAG_FRAG)
			move_cluster(si, idx, CLUSTER_FLAG_FRAG);
	} else if (ci->flags != CLUSTER_FLAG_FULL) {
		move_cluster(si, idx, CLUSTER_FLAG_FULL);
	}
}

/*** Allocation ***/

/*
 * alloc_swap_scan_cluster(): the first free slot at or after @offset in the
 * cluster, marked with @usage; the cluster is relocated and the global
 * cursor left on the slot after it (0 when the cluster is full).
 */
static uint64_t alloc_swap_scan_cluster(struct machine *m, struct swap_info_struct *si,
					uint32_t idx, uint64_t offset, uint8_t usage)
{
	struct swap_cluster_info *ci = &si->cluster_info[idx];
	uint64_t start = (uint64_t)idx * SWAPFILE_CLUSTER;
	uint64_t end = start + SWAPFILE_CLUSTER < si->max ? start + SWAPFILE_CLUSTER : si->max;
	uint64_t found = SWAP_ENTRY_INVALID, next = SWAP_ENTRY_INVALID;

	if (ci->count < SWAPFILE_CLUSTER) {
		for (; offset < end; offset++) {
			if (si->swap_map[offset])
				continue;
			si->swap_map[offset] = usage;
			ci->count++;
			si->inuse_pages++;
			m->swap->nr_swap_pages--;
			found = offset;
			if (ci->count < SWAPFILE_CLUSTER && offset + 1 < end)
				next = offset + 1;
			break;
		}
	}
	relocate_cluster(si, idx);
	si->global_cluster_next = (uint32_t)next;
	return found;
}

/* alloc_swap_scan_list(): the clusters of a list in turn, one or all. */
static uint64_t alloc_swap_scan_list(struct machine *m, struct swap_info_struct *si,
				     struct cluster_list *l, uint8_t usage, bool scan_all)
{
	uint64_t found = SWAP_ENTRY_INVALID;

	do {
		uint32_t idx = isolate_cluster(si, l);

		if (idx == CI_NIL)
			break;
		found = alloc_swap_scan_cluster(m, si, idx, (uint64_t)idx * SWAPFILE_CLUSTER,
						usage);
	} while (!found && scan_all);
	return found;
}

/*
 * cluster_alloc_swap_entry() for order 0 on a rotational device: the global
 * cursor's cluster first, then a nonfull cluster, then a free one, then one
 * fragmented cluster.
 */
static uint64_t cluster_alloc_swap_entry(struct machine *m, struct swap_info_struct *si,
					 uint8_t usage)
{
	uint64_t offset = si->global_cluster_next, found;

	if (!(si->flags & SWP_WRITEOK))
		return SWAP_ENTRY_INVALID;
	if (offset != SWAP_ENTRY_INVALID) {
		uint32_t idx = (uint32_t)(offset / SWAPFILE_CLUSTER);
		struct swap_cluster_info *ci = &si->cluster_info[idx];

		/* cluster_is_usable(): it stays on its list while it is scanned */
		if (ci->flags <= CLUSTER_FLAG_USABLE) {
			if (!ci->count)
				offset = (uint64_t)idx * SWAPFILE_CLUSTER;
			found = alloc_swap_scan_cluster(m, si, idx, offset, usage);
			if (found)
				return found;
		}
	}
	found = alloc_swap_scan_list(m, si, &si->nonfull_clusters, usage, true);
	if (!found)
		found = alloc_swap_scan_list(m, si, &si->free_clusters, usage, false);
	if (!found)
		found = alloc_swap_scan_list(m, si, &si->frag_clusters, usage, false);
	return found;
}

struct swap_info_struct *swp_info(const struct machine *m, swp_entry_t e)
{
	struct swap_info_struct *si;

	if (!m->swap || swp_type(e) != 0)
		return NULL;
	si = &m->swap->si;
	if (!(si->flags & SWP_USED) || swp_offset(e) == 0 || swp_offset(e) >= si->max)
		return NULL;
	return si;
}

int folio_alloc_swap(struct machine *m, uint64_t pfn)
{
	struct swap_info_struct *si;
	uint64_t offset;

	if (!m->swap || !m->swap->nr_swap_pages)
		return -ENOMEM;
	si = &m->swap->si;
	offset = cluster_alloc_swap_entry(m, si, SWAP_HAS_CACHE);
	if (!offset)
		return -ENOMEM;
	swap_cache_add_folio(m, pfn, swp_entry((unsigned int)si->type, offset), NULL);
	return 0;
}

/*** Freeing ***/

/* swap_entries_free() and swap_range_free(): the slot is free again. */
static void swap_entry_free(struct machine *m, struct swap_info_struct *si, uint64_t offset)
{
	uint32_t idx = (uint32_t)(offset / SWAPFILE_CLUSTER);
	struct swap_cluster_info *ci = &si->cluster_info[idx];

	SIM_BUG_ON(!ci->count);
	ci->count--;
	si->swap_map[offset] = 0;
	si->swap_table[offset] = 0;	/* __swap_cache_clear_shadow() */
	si->content[offset] = 0;
	si->inuse_pages--;
	m->swap->nr_swap_pages++;
	if (!ci->count) {
		if (ci->flags != CLUSTER_FLAG_FREE) {
			move_cluster(si, idx, CLUSTER_FLAG_FREE);	/* free_cluster() */
			ci->order = 0;
		}
	} else if (ci->flags != CLUSTER_FLAG_NONFULL) {
		move_cluster(si, idx, CLUSTER_FLAG_NONFULL);		/* partial_free_cluster() */
	}
}

/* swap_entry_put_locked(): drop one reference of @usage (1 or SWAP_HAS_CACHE). */
static uint8_t swap_entry_put(struct machine *m, struct swap_info_struct *si, uint64_t offset,
			      uint8_t usage)
{
	uint8_t count = si->swap_map[offset] & ~SWAP_HAS_CACHE;
	uint8_t has_cache = si->swap_map[offset] & SWAP_HAS_CACHE;

	if (usage == SWAP_HAS_CACHE) {
		SIM_BUG_ON(!has_cache);
		has_cache = 0;
	} else {
		SIM_BUG_ON(!count || count > SWAP_MAP_MAX);
		count--;
	}
	if (count | has_cache)
		si->swap_map[offset] = count | has_cache;
	else
		swap_entry_free(m, si, offset);
	return count | has_cache;
}

void swap_free(struct machine *m, swp_entry_t e)
{
	struct swap_info_struct *si = swp_info(m, e);

	SIM_BUG_ON(!si);
	swap_entry_put(m, si, swp_offset(e), 1);
}

void put_swap_folio(struct machine *m, swp_entry_t e)
{
	struct swap_info_struct *si = swp_info(m, e);

	SIM_BUG_ON(!si);
	swap_entry_put(m, si, swp_offset(e), SWAP_HAS_CACHE);
}

/*
 * free_swap_and_cache(): a swap PTE is zapped. When only the swap cache
 * still holds the slot, the cached folio gives it up
 * (__try_to_reclaim_swap() with TTRS_UNMAPPED | TTRS_FULL) if no PTE maps
 * the folio or swap is more than half full: it leaves the cache dirty, and
 * an unmapped one is freed with the lookup's reference. A locked folio
 * (trylock fails) keeps it. Kernel: mm/swapfile.c free_swap_and_cache_nr().
 */
void free_swap_and_cache(struct machine *m, swp_entry_t e)
{
	struct swap_info_struct *si = swp_info(m, e);
	struct page *p;
	uint64_t pfn;

	SIM_BUG_ON(!si);
	if (swap_entry_put(m, si, swp_offset(e), 1) != SWAP_HAS_CACHE)
		return;
	pfn = swap_cache_get_folio(m, e);
	if (pfn == PFN_NIL)
		return;
	p = pfn_to_page(m, pfn);
	if (page_test(p, PG_locked) || (folio_mapped(p) && !vm_swap_full(m)))
		return;
	p->_refcount++;			/* swap_cache_get_folio()'s reference */
	swap_cache_del_folio(m, pfn);
	page_set(p, PG_dirty);		/* folio_set_dirty() */
	folio_put(m, pfn);
}

/* __swap_duplicate(): one more reference, a map count (1) or the cache's. */
static int __swap_duplicate(struct machine *m, swp_entry_t e, uint8_t usage)
{
	struct swap_info_struct *si = swp_info(m, e);
	uint8_t count, has_cache;

	if (!si)
		return -ENOENT;
	count = si->swap_map[swp_offset(e)] & ~SWAP_HAS_CACHE;
	has_cache = si->swap_map[swp_offset(e)] & SWAP_HAS_CACHE;
	if (!count && !has_cache)
		return -ENOENT;
	if (usage == SWAP_HAS_CACHE) {
		if (has_cache)
			return -EEXIST;
		has_cache = SWAP_HAS_CACHE;
	} else {
		if (count >= SWAP_MAP_MAX)
			return -ENOMEM;	/* the kernel would add a count continuation */
		count++;
	}
	si->swap_map[swp_offset(e)] = count | has_cache;
	return 0;
}

int swap_duplicate(struct machine *m, swp_entry_t e)
{
	return __swap_duplicate(m, e, 1);
}

int swapcache_prepare(struct machine *m, swp_entry_t e)
{
	return __swap_duplicate(m, e, SWAP_HAS_CACHE);
}

int __swap_count(const struct machine *m, swp_entry_t e)
{
	struct swap_info_struct *si = swp_info(m, e);

	return si ? si->swap_map[swp_offset(e)] & ~SWAP_HAS_CACHE : 0;
}

bool vm_swap_full(const struct machine *m)
{
	return m->swap && m->swap->nr_swap_pages * 2 < m->swap->total_swap_pages;
}

uint64_t get_nr_swap_pages(const struct machine *m)
{
	return m->swap ? m->swap->nr_swap_pages : 0;
}

uint64_t total_swap_pages(const struct machine *m)
{
	return m->swap ? m->swap->total_swap_pages : 0;
}

/*** swapon ***/

/*
 * setup_clusters(): the header slot (and the slots past the end of the
 * last, partial cluster) count as used, so the first cluster is nonfull
 * from the start (inc_cluster_info_page()); every other cluster is free.
 */
static void setup_clusters(struct swap_info_struct *si)
{
	uint64_t end = (uint64_t)si->nr_clusters * SWAPFILE_CLUSTER;

	si->free_clusters = si->nonfull_clusters = si->frag_clusters = si->full_clusters =
		(struct cluster_list){ CI_NIL, CI_NIL, 0 };
	for (uint32_t i = 0; i < si->nr_clusters; i++)
		si->cluster_info[i] = (struct swap_cluster_info){ .next = CI_NIL, .prev = CI_NIL };
	si->cluster_info[0].count = 1;
	for (uint64_t off = si->max; off < end; off++)
		;
	for (uint32_t i = 0; i < si->nr_clusters; i++) {
		struct swap_cluster_info *ci = &si->cluster_info[i];

		move_cluster(si, i, !ci->count ? CLUSTER_FLAG_FREE :
				    ci->count == SWAPFILE_CLUSTER ? CLUSTER_FLAG_FULL :
				    CLUSTER_FLAG_NONFULL);
	}
}

int swap_setup(struct machine *m)
{
	struct swap_info_struct *si;
	uint64_t max = m->cfg.swap_mib << (20 - PAGE_SHIFT);

	if (!max)
		return 0;
	m->swap = calloc(1, sizeof(*m->swap));
	if (!m->swap)
		return -ENOMEM;
	si = &m->swap->si;
	si->max = max;
	si->nr_clusters = (uint32_t)((max + SWAPFILE_CLUSTER - 1) / SWAPFILE_CLUSTER);
	si->swap_map = calloc(max, 1);
	si->swap_table = calloc(max, sizeof(uint64_t));
	si->content = calloc(max, sizeof(uint32_t));
	si->cluster_info = calloc(si->nr_clusters, sizeof(*si->cluster_info));
	if (!si->swap_map || !si->swap_table || !si->content || !si->cluster_info) {
		swap_state_release(m);
		return -ENOMEM;
	}
	snprintf(si->filename, sizeof(si->filename), "/dev/vdb");
	si->type = 0;
	si->prio = -2;
	si->swap_map[0] = SWAP_MAP_BAD;
	si->pages = max - 1;
	si->flags = SWP_USED | SWP_WRITEOK;
	setup_clusters(si);
	m->swap->nr_swap_pages = si->pages;
	m->swap->total_swap_pages = si->pages;
	return 0;
}

/*** /proc/swaps (swap_show()) ***/

char *proc_swaps(const struct machine *m)
{
	const struct swap_info_struct *si;
	size_t cap = 256;
	char *buf = malloc(cap);
	unsigned long bytes, inuse;
	int len;

	if (!buf)
		return NULL;
	len = snprintf(buf, cap, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	if (!m->swap)
		return buf;
	si = &m->swap->si;
	bytes = (unsigned long)(si->pages << (PAGE_SHIFT - 10));
	inuse = (unsigned long)(si->inuse_pages << (PAGE_SHIFT - 10));
	snprintf(buf + len, cap - (size_t)len, "%s%*s%s\t%lu\t%s%lu\t%s%d\n", si->filename,
		 strlen(si->filename) < 40 ? 40 - (int)strlen(si->filename) : 1, " ",
		 "partition", bytes, bytes < 10000000 ? "\t" : "", inuse,
		 inuse < 10000000 ? "\t" : "", si->prio);
	return buf;
}

/*** State: release, clone, snapshot ***/

void swap_state_release(struct machine *m)
{
	if (!m->swap)
		return;
	free(m->swap->si.swap_map);
	free(m->swap->si.swap_table);
	free(m->swap->si.content);
	free(m->swap->si.cluster_info);
	free(m->swap);
	m->swap = NULL;
}

static void *dup_array(const void *src, size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p && n)
		memcpy(p, src, n);
	return p;
}

int swap_state_clone(struct machine *c, const struct machine *m)
{
	const struct swap_info_struct *s;
	struct swap_info_struct *d;

	c->swap = NULL;
	if (!m->swap)
		return 0;
	c->swap = malloc(sizeof(*c->swap));
	if (!c->swap)
		return -ENOMEM;
	*c->swap = *m->swap;
	s = &m->swap->si;
	d = &c->swap->si;
	d->swap_map = dup_array(s->swap_map, s->max);
	d->swap_table = dup_array(s->swap_table, s->max * sizeof(uint64_t));
	d->content = dup_array(s->content, s->max * sizeof(uint32_t));
	d->cluster_info = dup_array(s->cluster_info, s->nr_clusters * sizeof(*s->cluster_info));
	if (!d->swap_map || !d->swap_table || !d->content || !d->cluster_info) {
		swap_state_release(c);
		return -ENOMEM;
	}
	return 0;
}

void swap_state_save(struct snap_writer *w, const struct machine *m)
{
	const struct swap_info_struct *si;

	snap_put_struct(w, m->swap, sizeof(*m->swap));
	if (!m->swap)
		return;
	si = &m->swap->si;
	snap_put_array(w, si->swap_map, si->max);
	snap_put_array(w, si->swap_table, si->max * sizeof(uint64_t));
	snap_put_array(w, si->content, si->max * sizeof(uint32_t));
	snap_put_array(w, si->cluster_info, si->nr_clusters * sizeof(*si->cluster_info));
}

void swap_state_load(struct snap_reader *r, struct machine *m)
{
	struct swap_info_struct *si;

	m->swap = snap_get_struct(r, sizeof(*m->swap));
	if (!m->swap)
		return;
	si = &m->swap->si;
	si->swap_map = NULL;
	si->swap_table = NULL;
	si->content = NULL;
	si->cluster_info = NULL;
	if (si->max > (1ULL << 32) || si->nr_clusters != (si->max + SWAPFILE_CLUSTER - 1) /
	    SWAPFILE_CLUSTER) {
		r->err = -EPROTO;
		return;
	}
	si->swap_map = snap_get_array(r, si->max);
	si->swap_table = snap_get_array(r, si->max * sizeof(uint64_t));
	si->content = snap_get_array(r, si->max * sizeof(uint32_t));
	si->cluster_info = snap_get_array(r, si->nr_clusters * sizeof(*si->cluster_info));
	if (!r->err && (!si->swap_map || !si->swap_table || !si->content || !si->cluster_info))
		r->err = -EPROTO;
}

/*** machine_check(): SW1..SW7 ***/

struct swap_checker {
	const struct machine *m;
	void (*report)(void *ctx, const char *msg);
	void *ctx;
	uint32_t *ptes;		/* swap PTEs per slot */
	uint64_t bad_ptes;	/* swap PTEs that name no slot in use */
};

static void swap_violation(struct swap_checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void swap_violation(struct swap_checker *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->report(c->ctx, msg);
}

/* Count the swap PTEs under a user table. */
static void count_swap_ptes(struct swap_checker *c, uint64_t table, int level,
			    unsigned int last)
{
	const uint64_t *e = pt_table(c->m, table);

	for (unsigned int i = 0; i <= last; i++) {
		if (level == PT_PTE) {
			const struct swap_info_struct *si;
			swp_entry_t se;

			if (!is_swap_pte(e[i]))
				continue;
			se = pte_to_swp_entry(e[i]);
			if (swp_type(se) >= SWP_MIGRATION_READ_TYPE)
				continue;	/* non_swap_entry(): a migration entry is CP2's */
			si = swp_info(c->m, se);
			if (si && si->swap_map[swp_offset(se)] & ~SWAP_HAS_CACHE)
				c->ptes[swp_offset(se)]++;
			else
				c->bad_ptes++;
		} else if ((e[i] & _PAGE_PRESENT) && !entry_is_leaf(e[i], level)) {
			count_swap_ptes(c, pte_pfn(e[i]), level - 1, PTRS_PER_TABLE - 1);
		}
	}
}

static void check_cluster_list(struct swap_checker *c, const struct swap_info_struct *si,
			       const struct cluster_list *l, int flags, const char *name)
{
	uint32_t idx = l->first, prev = CI_NIL, nr = 0;

	while (idx != CI_NIL && nr <= si->nr_clusters) {
		const struct swap_cluster_info *ci = &si->cluster_info[idx];

		if (ci->flags != flags || ci->prev != prev)
			swap_violation(c, "SW2: cluster %u on the %s list has flags %u", idx, name,
				       ci->flags);
		if ((flags == CLUSTER_FLAG_FREE && ci->count) ||
		    (flags == CLUSTER_FLAG_FULL && ci->count != SWAPFILE_CLUSTER))
			swap_violation(c, "SW2: cluster %u on the %s list counts %u slots", idx,
				       name, ci->count);
		prev = idx;
		idx = ci->next;
		nr++;
	}
	if (nr != l->nr || prev != l->last)
		swap_violation(c, "SW2: the %s list holds %u clusters, it says %u", name, nr, l->nr);
}

/* SW1..SW3: the map, the clusters and the counters agree. */
static void check_slots(struct swap_checker *c, const struct swap_info_struct *si)
{
	uint64_t inuse = 0, end = (uint64_t)si->nr_clusters * SWAPFILE_CLUSTER;

	if (si->swap_map[0] != SWAP_MAP_BAD)
		swap_violation(c, "SW1: the header slot reads %#x", si->swap_map[0]);
	for (uint32_t idx = 0; idx < si->nr_clusters; idx++) {
		uint64_t start = (uint64_t)idx * SWAPFILE_CLUSTER, used = 0;

		for (uint64_t off = start; off < start + SWAPFILE_CLUSTER && off < end; off++)
			used += off >= si->max || si->swap_map[off] != 0;
		if (used != si->cluster_info[idx].count)
			swap_violation(c, "SW2: cluster %u counts %u slots, %" PRIu64 " are used",
				       idx, si->cluster_info[idx].count, used);
	}
	check_cluster_list(c, si, &si->free_clusters, CLUSTER_FLAG_FREE, "free");
	check_cluster_list(c, si, &si->nonfull_clusters, CLUSTER_FLAG_NONFULL, "nonfull");
	check_cluster_list(c, si, &si->frag_clusters, CLUSTER_FLAG_FRAG, "frag");
	check_cluster_list(c, si, &si->full_clusters, CLUSTER_FLAG_FULL, "full");
	for (uint64_t off = 1; off < si->max; off++)
		inuse += si->swap_map[off] != 0;
	if (inuse != si->inuse_pages || c->m->swap->nr_swap_pages != si->pages - inuse)
		swap_violation(c, "SW3: %" PRIu64 " slots in use, inuse_pages %" PRIu64
			       " and nr_swap_pages %" PRIu64 " of %" PRIu64, inuse, si->inuse_pages,
			       c->m->swap->nr_swap_pages, si->pages);
}

/*
 * SW4, SW5: every slot's count is its swap PTEs; its cache bit is its cached
 * folio. SW7: a clean anonymous folio in the swap cache holds what its slot
 * holds (a swap-in leaves it there clean; only a dirty one may differ, and
 * reclaim writes it before it frees it).
 */
static void check_slot_refs(struct swap_checker *c, const struct swap_info_struct *si)
{
	const struct machine *m = c->m;
	uint64_t cached = 0;

	for (uint64_t off = 1; off < si->max; off++) {
		uint8_t map = si->swap_map[off];
		uint64_t tb = si->swap_table[off];
		bool has_folio = tb && !(tb & SWP_TB_SHADOW);

		if ((map & ~SWAP_HAS_CACHE) != c->ptes[off])
			swap_violation(c, "SW4: slot %" PRIu64 " counts %u references, %u swap PTEs"
				       " name it", off, map & ~SWAP_HAS_CACHE, c->ptes[off]);
		if (!!(map & SWAP_HAS_CACHE) != has_folio)
			swap_violation(c, "SW5: slot %" PRIu64 " has SWAP_HAS_CACHE %d but %s",
				       off, !!(map & SWAP_HAS_CACHE),
				       has_folio ? "a folio in its table" : "no folio in its table");
		if (has_folio) {
			const struct page *p = tb - 1 < m->max_pfn ? pfn_to_page(m, tb - 1) : NULL;

			cached++;
			if (!p || !folio_test_swapcache(p) ||
			    p->private != swp_entry((unsigned int)si->type, off).val)
				swap_violation(c, "SW5: slot %" PRIu64 " caches pfn %" PRIu64
					       ", which does not name it back", off, tb - 1);
			else if (folio_test_anon(p) && !page_test(p, PG_dirty) &&
				 p->folio.content != si->content[off])
				swap_violation(c, "SW7: clean pfn %" PRIu64 " holds %#x, its slot %"
					       PRIu64 " %#x", tb - 1, p->folio.content, off,
					       si->content[off]);
		}
		if (!map && tb && !(tb & SWP_TB_SHADOW))
			swap_violation(c, "SW5: free slot %" PRIu64 " still caches a folio", off);
	}
	if (cached != m->swap->nr_swapcache)
		swap_violation(c, "SW5: %" PRIu64 " folios in the swap cache, NR_SWAPCACHE %" PRIu64,
			       cached, m->swap->nr_swapcache);
	if (c->bad_ptes)
		swap_violation(c, "SW4: %" PRIu64 " swap PTEs name a slot that is not in use",
			       c->bad_ptes);
}

/* SW6: a page with PG_swapcache is the folio its slot caches. */
static void check_swapcache_pages(struct swap_checker *c)
{
	const struct machine *m = c->m;

	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn++) {
		const struct page *p = pfn_to_page(m, pfn);
		swp_entry_t e = { p->private };

		if (p->owner == OWNER_HOLE || !page_test(p, PG_owner_priv_1) ||
		    !page_test(p, PG_swapbacked))
			continue;
		if (swap_cache_get_folio(m, e) != pfn)
			swap_violation(c, "SW6: pfn %" PRIu64 " is in the swap cache as %#" PRIx64
				       ", whose slot does not hold it", pfn, e.val);
	}
}

void swap_check(const struct machine *m, void (*report)(void *ctx, const char *msg), void *ctx)
{
	struct swap_checker c = { m, report, ctx, NULL, 0 };
	const struct swap_info_struct *si;
	const struct x86_state *x = m->x86;

	if (!m->swap) {
		check_swapcache_pages(&c);
		return;
	}
	si = &m->swap->si;
	c.ptes = calloc(si->max, sizeof(*c.ptes));
	if (!c.ptes)
		return;
	for (unsigned int i = 0; x && i < x->nr_mms; i++)
		count_swap_ptes(&c, x->mms[i].pgd, (int)pt_levels(m), pgd_kernel_first(m) - 1);
	check_slots(&c, si);
	check_slot_refs(&c, si);
	check_swapcache_pages(&c);
	free(c.ptes);
}
