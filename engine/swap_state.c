/*
 * swap_state.c - the swap cache: the folios that have a swap slot and are
 * still in memory, found by their swap entry.
 *
 * Kernel: mm/swap_state.c of Linux 6.18 (swap_cache_add_folio(),
 * __swap_cache_del_folio(), swap_cache_del_folio(), swap_cache_get_folio(),
 * swap_cache_get_shadow(), free_swap_cache()), mm/swap_table.h (the
 * per-cluster table of slots), mm/swapfile.c (folio_swapped(),
 * folio_free_swap()).
 *
 * 6.18 keeps the swap cache in the swap table: one word per slot that is
 * empty, points at the cached folio, or holds the workingset shadow the
 * folio left when reclaim freed it. The engine's table is one array over the
 * whole device (the kernel's is cut into clusters), with the same three
 * shapes. A folio in the swap cache has PG_swapcache (PG_owner_priv_1, with
 * PG_swapbacked) and its entry in page->private (folio->swap); its slot's
 * swap_map carries SWAP_HAS_CACHE for as long as it is there.
 */
#include "swap.h"

void swap_cache_add_folio(struct machine *m, uint64_t pfn, swp_entry_t e, uint64_t *shadowp)
{
	struct swap_info_struct *si = swp_info(m, e);
	struct page *p = pfn_to_page(m, pfn);
	uint64_t old;

	SIM_BUG_ON(!si || folio_test_swapcache(p));
	SIM_BUG_ON(!(si->swap_map[swp_offset(e)] & SWAP_HAS_CACHE));
	old = si->swap_table[swp_offset(e)];
	SIM_BUG_ON(old && !(old & SWP_TB_SHADOW));
	if (shadowp)
		*shadowp = old;
	si->swap_table[swp_offset(e)] = pfn + 1;
	p->_refcount++;			/* the swap cache's reference */
	page_set(p, PG_swapbacked);
	page_set(p, PG_owner_priv_1);
	p->private = e.val;
	m->swap->nr_swapcache++;
	mod_node_page_state(m, p->node, NR_SWAPCACHE, 1);
	mod_node_page_state(m, p->node, NR_FILE_PAGES, 1);	/* the kernel counts it there too */
}

void __swap_cache_del_folio(struct machine *m, uint64_t pfn, swp_entry_t e, uint64_t shadow)
{
	struct swap_info_struct *si = swp_info(m, e);
	struct page *p = pfn_to_page(m, pfn);

	SIM_BUG_ON(!si || !folio_test_swapcache(p) || p->private != e.val);
	SIM_BUG_ON(si->swap_table[swp_offset(e)] != pfn + 1);
	SIM_BUG_ON(shadow && !(shadow & SWP_TB_SHADOW));
	si->swap_table[swp_offset(e)] = shadow;
	page_clear(p, PG_owner_priv_1);
	p->private = 0;
	m->swap->nr_swapcache--;
	mod_node_page_state(m, p->node, NR_SWAPCACHE, -1);
	mod_node_page_state(m, p->node, NR_FILE_PAGES, -1);
}

void swap_cache_del_folio(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	swp_entry_t e = { p->private };

	__swap_cache_del_folio(m, pfn, e, 0);
	put_swap_folio(m, e);
	SIM_BUG_ON(p->_refcount < 2);	/* the caller still holds the page */
	p->_refcount--;
}

uint64_t swap_cache_get_folio(const struct machine *m, swp_entry_t e)
{
	const struct swap_info_struct *si = swp_info(m, e);
	uint64_t tb;

	if (!si)
		return PFN_NIL;
	tb = si->swap_table[swp_offset(e)];
	return tb && !(tb & SWP_TB_SHADOW) ? tb - 1 : PFN_NIL;
}

uint64_t swap_cache_get_shadow(const struct machine *m, swp_entry_t e)
{
	const struct swap_info_struct *si = swp_info(m, e);
	uint64_t tb;

	if (!si)
		return 0;
	tb = si->swap_table[swp_offset(e)];
	return tb & SWP_TB_SHADOW ? tb : 0;
}

bool folio_swapped(const struct machine *m, uint64_t pfn)
{
	const struct page *p = pfn_to_page(m, pfn);
	swp_entry_t e = { p->private };

	return folio_test_swapcache(p) && __swap_count(m, e) > 0;
}

/*
 * folio_free_swap(): only a folio no swap PTE still needs gives its slot up;
 * a locked one (folio_swapcache_freeable() under the folio lock) keeps it.
 * Writes complete at once in the engine, so no folio is under writeback.
 * Kernel: mm/swapfile.c folio_free_swap().
 */
bool folio_free_swap(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);

	if (!folio_test_swapcache(p) || page_test(p, PG_locked) || folio_swapped(m, pfn))
		return false;
	swap_cache_del_folio(m, pfn);
	page_set(p, PG_dirty);		/* folio_set_dirty() */
	return true;
}

/*
 * free_swap_cache(): the unmap's batch (free_pages_and_swap_cache()) and a
 * copy-on-write's old page let a swap-cache folio that is no longer mapped
 * go from the cache before the last references are dropped.
 * Kernel: mm/swap_state.c free_swap_cache().
 */
void free_swap_cache(struct machine *m, uint64_t pfn)
{
	const struct page *p = pfn_to_page(m, pfn);

	if (folio_test_swapcache(p) && !folio_mapped(p))
		folio_free_swap(m, pfn);
}
