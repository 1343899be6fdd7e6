/*
 * workingset.c - refault detection: the shadow entry a reclaimed page leaves
 * in its page cache or swap slot, and what its refault says.
 *
 * Kernel: mm/workingset.c of Linux 6.18 (pack_shadow(), unpack_shadow(),
 * workingset_age_nonresident(), workingset_eviction(),
 * workingset_test_recent(), workingset_refault(), workingset_activation()),
 * mm/swap.c (lru_note_cost_unlock_irq(), lru_note_cost_refault()).
 *
 * Each lruvec keeps a clock, nonresident_age, that ticks on every eviction
 * and every activation. An evicted page leaves the clock's reading in a
 * shadow entry. When the page is read back, the ticks since its eviction are
 * its refault distance: had the inactive list been that much longer the page
 * would have stayed. If the distance fits within the workingset (the active
 * file list, plus the anon lists when swap can take them), the page comes
 * back active: it was part of the workingset and got evicted by too small
 * an inactive list. The classic LRU is modelled (no multi-gen LRU), the
 * shadow packing is 6.18's with MEM_CGROUP_ID_SHIFT 16 and NODES_SHIFT 10.
 */
#include "lru.h"
#include "swap.h"
#include "vmscan.h"

#define WORKINGSET_SHIFT	1
#define MEM_CGROUP_ID_SHIFT	16
#define NODES_SHIFT		10
#define EVICTION_SHIFT		(1 + MEM_CGROUP_ID_SHIFT + NODES_SHIFT + WORKINGSET_SHIFT)
#define EVICTION_MASK		(~0ULL >> EVICTION_SHIFT)

/* pack_shadow(): eviction, memcg, node and the workingset bit, as a value entry. */
static uint64_t pack_shadow(int memcgid, int nid, uint64_t eviction, bool workingset)
{
	eviction &= EVICTION_MASK;
	eviction = (eviction << MEM_CGROUP_ID_SHIFT) | (uint64_t)memcgid;
	eviction = (eviction << NODES_SHIFT) | (uint64_t)nid;
	eviction = (eviction << WORKINGSET_SHIFT) | workingset;
	return eviction | I_PAGES_SHADOW;
}

static void unpack_shadow(uint64_t shadow, int *memcgid, int *nid, uint64_t *eviction,
			  bool *workingset)
{
	uint64_t entry = shadow & ~I_PAGES_SHADOW;

	*workingset = entry & ((1ULL << WORKINGSET_SHIFT) - 1);
	entry >>= WORKINGSET_SHIFT;
	*nid = (int)(entry & ((1ULL << NODES_SHIFT) - 1));
	entry >>= NODES_SHIFT;
	*memcgid = (int)(entry & ((1ULL << MEM_CGROUP_ID_SHIFT) - 1));
	entry >>= MEM_CGROUP_ID_SHIFT;
	*eviction = entry;
}

void workingset_age_nonresident(struct machine *m, struct lruvec *l, unsigned long nr)
{
	(void)m;
	l->nonresident_age += nr;
}

uint64_t workingset_eviction(struct machine *m, uint64_t pfn, int target_memcg)
{
	struct page *p = pfn_to_page(m, pfn);
	struct lruvec *l = mem_cgroup_lruvec(m, target_memcg ? target_memcg :
					     (int)p->folio.memcg_id, p->node);
	uint64_t eviction;

	workingset_age_nonresident(m, l, 1);
	eviction = l->nonresident_age;
	return pack_shadow(l->memcg_id, p->node, eviction, page_test(p, PG_workingset));
}

/* workingset_test_recent(): would a longer inactive list have kept the page? */
static bool workingset_test_recent(struct machine *m, uint64_t shadow, bool file,
				   bool *workingset, struct lruvec **lp)
{
	uint64_t eviction, distance, size;
	int memcgid, nid;
	struct lruvec *l;

	unpack_shadow(shadow, &memcgid, &nid, &eviction, workingset);
	if (nid >= (int)m->nr_nodes)
		return false;
	l = mem_cgroup_lruvec(m, memcgid, nid);
	*lp = l;
	distance = (l->nonresident_age - eviction) & EVICTION_MASK;
	size = lruvec_lru_size(l, LRU_ACTIVE_FILE);
	if (!file)
		size += lruvec_lru_size(l, LRU_INACTIVE_FILE);
	if (get_nr_swap_pages(m) > 0) {
		size += lruvec_lru_size(l, LRU_ACTIVE_ANON);
		if (file)
			size += lruvec_lru_size(l, LRU_INACTIVE_ANON);
	}
	return distance <= size;
}

void lru_note_cost(struct machine *m, struct lruvec *l, bool file, unsigned int nr_io,
		   unsigned int nr_rotated)
{
	uint64_t cost = (uint64_t)nr_io * SWAP_CLUSTER_MAX + nr_rotated, lrusize;

	(void)m;
	if (!cost)
		return;
	if (file)
		l->file_cost += cost;
	else
		l->anon_cost += cost;
	lrusize = lruvec_lru_size(l, LRU_INACTIVE_ANON) + lruvec_lru_size(l, LRU_ACTIVE_ANON) +
		  lruvec_lru_size(l, LRU_INACTIVE_FILE) + lruvec_lru_size(l, LRU_ACTIVE_FILE);
	if (l->file_cost + l->anon_cost > lrusize / 4) {
		l->file_cost /= 2;
		l->anon_cost /= 2;
	}
}

/*
 * workingset_refault(): @pfn (not yet on the LRU) was read back where
 * @shadow lay. A recent refault starts on the active list (PG_active before
 * folio_add_lru), ticks the clock and, if the page was workingset when it
 * was evicted, counts as a restore and as a cost of its list type.
 */
void workingset_refault(struct machine *m, uint64_t pfn, uint64_t shadow)
{
	struct page *p = pfn_to_page(m, pfn);
	bool file = !page_test(p, PG_swapbacked), workingset;
	struct lruvec *l = NULL;

	if (!shadow)
		return;
	mod_node_page_state(m, p->node, WORKINGSET_REFAULT_BASE + file, 1);
	if (!workingset_test_recent(m, shadow, file, &workingset, &l))
		return;
	page_set(p, PG_active);
	workingset_age_nonresident(m, folio_lruvec(m, p), 1);
	mod_node_page_state(m, p->node, WORKINGSET_ACTIVATE_BASE + file, 1);
	if (workingset) {
		page_set(p, PG_workingset);
		lru_note_cost(m, folio_lruvec(m, p), file, 1, 0);	/* lru_note_cost_refault() */
		mod_node_page_state(m, p->node, WORKINGSET_RESTORE_BASE + file, 1);
	}
}

/* workingset_activation(): a page promoted by use ages the clock too. */
void workingset_activation(struct machine *m, uint64_t pfn)
{
	workingset_age_nonresident(m, folio_lruvec(m, pfn_to_page(m, pfn)), 1);
}
