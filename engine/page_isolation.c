/*
 * page_isolation.c - a physically contiguous range taken out of a running
 * machine: its pageblocks isolated (MIGRATE_ISOLATE) so that nothing new is
 * allocated there, its movable pages migrated out, its free pages taken.
 *
 * Mirrors mm/page_isolation.c (start_isolate_page_range(),
 * undo_isolate_page_range(), test_pages_isolated()) and the contiguous
 * allocator of mm/page_alloc.c of Linux 6.18 (alloc_contig_range(),
 * __alloc_contig_migrate_range(), alloc_contig_pages(), free_contig_range()),
 * with isolate_freepages_range() of mm/compaction.c. The pages handed out
 * are order-0 pages held by OWNER_OTHER, as the kernel's split pages are.
 * The kernel retries a busy range a few times (the pages may be pinned only
 * for a moment); in the engine nothing changes between two tries, so one
 * is all.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "compaction.h"

static void undo_isolate_page_range(struct machine *m, uint64_t start, uint64_t end)
{
	for (uint64_t pfn = start; pfn < end; pfn += pageblock_nr_pages)
		if (get_pageblock_isolate(m, pfn))
			unset_migratetype_isolate(m, pfn);
}

static int start_isolate_page_range(struct machine *m, uint64_t start, uint64_t end,
				    struct mm_error *e)
{
	for (uint64_t pfn = start; pfn < end; pfn += pageblock_nr_pages) {
		uint64_t bad = 0;
		const char *why = NULL;
		int err = set_migratetype_isolate(m, pfn, &bad, &why);

		if (err) {
			undo_isolate_page_range(m, start, pfn);
			return mm_error_set(e, err, "cannot isolate the pageblock at pfn 0x%" PRIx64
					    ": pfn 0x%" PRIx64 " is %s", pfn, bad, why);
		}
	}
	return 0;
}

struct contig_target {
	int node, cpu;
};

/* alloc_migration_target() for the range: outside it (its blocks are isolated). */
static uint64_t contig_alloc(struct machine *m, uint64_t src, void *priv)
{
	struct contig_target *t = priv;
	struct alloc_pages_result res;

	if (__alloc_pages(m, GFP_HIGHUSER_MOVABLE | __GFP_RETRY_MAYFAIL | __GFP_NOWARN |
			  __GFP_THISNODE, 0, t->node, t->cpu, pfn_to_page(m, src)->owner, &res, NULL))
		return PFN_NIL;
	return res.pfn;
}

static void contig_free(struct machine *m, uint64_t dst, void *priv)
{
	struct contig_target *t = priv;

	SIM_BUG_ON(__free_pages_owner(m, dst, 0, t->cpu, pfn_to_page(m, dst)->owner, NULL));
}

/* __alloc_contig_migrate_range(): every movable folio of [start, end) moves out. */
static int alloc_contig_migrate_range(struct machine *m, uint64_t start, uint64_t end,
				      int cpu, struct mm_error *e)
{
	struct contig_target t = { pfn_to_page(m, start)->node, cpu };
	struct migrate_list *l = malloc(sizeof(*l));
	uint64_t pfn = start;
	int err = 0;

	if (!l)
		return mm_error_set(e, -ENOMEM, "out of host memory");
	l->nr = 0;
	while (pfn < end && !err) {
		unsigned int ok;
		const char *why;

		for (; pfn < end && l->nr < COMPACT_CLUSTER_MAX; pfn++) {
			int r = folio_migration_refusal(m, pfn, ISOLATE_UNEVICTABLE, &why);

			if (!r)
				isolate_folio_to_list(m, pfn, l);
			else if (r != -ENOENT && r != -EFAULT)
				err = mm_error_set(e, -EBUSY, "pfn 0x%" PRIx64 " cannot move: %s",
						   pfn, why);
			if (err)
				break;
		}
		if (!l->nr || err) {
			putback_movable_pages(m, l);
			continue;
		}
		if (migrate_pages(m, l, contig_alloc, contig_free, &t, MIGRATE_SYNC,
				  MR_CONTIG_RANGE, cpu, &ok) && !err)
			err = mm_error_set(e, -EBUSY, "%u page%s of the range could not be "
					   "migrated", l->nr, l->nr == 1 ? "" : "s");
		putback_movable_pages(m, l);
	}
	free(l);
	return err;
}

/* The first pfn of the free block that holds @start (it may begin below it), or @start. */
static uint64_t free_block_start(const struct machine *m, uint64_t start)
{
	for (unsigned int o = 0; o <= m->max_order; o++) {
		uint64_t head = start & ~((1ULL << o) - 1);
		const struct page *p = &m->mem_map[head];

		if (PageBuddy(p) && p->private >= o && head + (1ULL << p->private) > start)
			return head;
	}
	return start;
}

/* test_pages_isolated(): the whole range is free, on the isolate lists. */
static bool range_free_isolated(const struct machine *m, uint64_t start, uint64_t end,
				uint64_t *bad)
{
	uint64_t pfn = free_block_start(m, start);

	while (pfn < end) {
		const struct page *p = &m->mem_map[pfn];

		if (!PageBuddy(p) || p->mt != MIGRATE_ISOLATE) {
			*bad = pfn;
			return false;
		}
		pfn += 1ULL << p->private;
	}
	return true;
}

/*
 * isolate_freepages_range() in strict mode: every free block covering the
 * range is taken and split into order-0 pages; the pages of a block that
 * lie outside the range go back (to the isolate lists, then home with the
 * undo).
 */
static void take_free_range(struct machine *m, uint64_t start, uint64_t end, int cpu)
{
	uint64_t pfn = free_block_start(m, start);

	while (pfn < end) {
		struct page *p = &m->mem_map[pfn];
		unsigned int order = (unsigned int)p->private;
		uint64_t nr = __isolate_free_page(m, pfn, order), i;

		SIM_BUG_ON(nr != 1ULL << order);
		for (i = 0; i < nr; i++) {
			p[i]._refcount = 1;
			p[i].order = 0;
			if (pfn + i < start || pfn + i >= end)
				release_isolated_block(m, pfn + i, 0, cpu);
		}
		pfn += nr;
	}
}

int mm_alloc_contig_range(struct machine *m, uint64_t start, uint64_t nr_pages, int cpu,
			  struct mm_error *e)
{
	uint64_t end = start + nr_pages, iso_start, iso_end, bad = 0;
	const struct page *a, *b;
	int err;

	if (!m->booted)
		return mm_error_set(e, -EPERM, "the buddy allocator is not up yet");
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if (!nr_pages || end > m->max_pfn || end < start)
		return mm_error_set(e, -EINVAL, "the range [0x%" PRIx64 ", 0x%" PRIx64 ") is not "
				    "inside the machine (max_pfn 0x%" PRIx64 ")", start, end,
				    m->max_pfn);
	a = pfn_to_page(m, start);
	b = pfn_to_page(m, end - 1);
	if (a->owner == OWNER_HOLE || b->owner == OWNER_HOLE || page_zone(m, a) != page_zone(m, b))
		return mm_error_set(e, -EINVAL, "the range [0x%" PRIx64 ", 0x%" PRIx64 ") is not "
				    "RAM of one zone", start, end);
	iso_start = start & ~(pageblock_nr_pages - 1);
	iso_end = (end + pageblock_nr_pages - 1) & ~(pageblock_nr_pages - 1);
	if (iso_start < page_zone(m, a)->zone_start_pfn || iso_end > zone_end_pfn(page_zone(m, a)))
		return mm_error_set(e, -EINVAL, "the range's pageblocks run out of its zone");
	mm_drain_all_pages(m);
	err = start_isolate_page_range(m, iso_start, iso_end, e);
	if (err)
		return err;
	err = alloc_contig_migrate_range(m, start, end, cpu, e);
	mm_drain_all_pages(m);
	if (!err && !range_free_isolated(m, start, end, &bad))
		err = mm_error_set(e, -EBUSY, "pfn 0x%" PRIx64 " of the range is not free after "
				   "migration", bad);
	if (!err)
		take_free_range(m, start, end, cpu);
	undo_isolate_page_range(m, iso_start, iso_end);
	return err;
}

/*
 * alloc_contig_pages(): the first range of @nr_pages, aligned to its size
 * rounded up to a power of two, in a zone of @node that alloc_contig_range()
 * can take, lowest zone and address first.
 */
int mm_alloc_contig_pages(struct machine *m, uint64_t nr_pages, int node, int cpu,
			  uint64_t *start, struct mm_error *e)
{
	uint64_t align = 1;

	if (!m->booted)
		return mm_error_set(e, -EPERM, "the buddy allocator is not up yet");
	if (node < 0 || node >= (int)m->nr_nodes)
		return mm_error_set(e, -EINVAL, "no node %d (the machine has %u)", node,
				    m->nr_nodes);
	if (!nr_pages || nr_pages > m->max_pfn)
		return mm_error_set(e, -EINVAL, "nr_pages must be 1..%" PRIu64, m->max_pfn);
	while (align < nr_pages)
		align <<= 1;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &m->nodes[node].node_zones[zi];
		uint64_t pfn = (z->zone_start_pfn + align - 1) & ~(align - 1);

		if (!populated_zone(z))
			continue;
		for (; pfn + nr_pages <= zone_end_pfn(z); pfn += align) {
			struct mm_error ignored = { 0 };
			bool valid = true;

			/* pfn_range_valid_contig(): no hole, no reserved page */
			for (uint64_t p = pfn; p < pfn + nr_pages && valid; p++)
				valid = m->mem_map[p].owner != OWNER_HOLE &&
					!page_test(&m->mem_map[p], PG_reserved) &&
					m->mem_map[p].owner != OWNER_RESERVED;
			if (valid && !mm_alloc_contig_range(m, pfn, nr_pages, cpu, &ignored)) {
				*start = pfn;
				return 0;
			}
		}
	}
	return mm_error_set(e, -ENOMEM, "no range of %" PRIu64 " pages on node %d could be "
			    "isolated and emptied", nr_pages, node);
}

int mm_free_contig_range(struct machine *m, uint64_t start, uint64_t nr_pages, int cpu,
			 struct mm_error *e)
{
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if (!nr_pages || start + nr_pages > m->max_pfn || start + nr_pages < start)
		return mm_error_set(e, -EINVAL, "the range is not inside the machine");
	/* every page first: a range with one page that is not ours frees nothing */
	for (uint64_t pfn = start; pfn < start + nr_pages; pfn++) {
		const struct page *p = pfn_to_page(m, pfn);

		if (p->owner != OWNER_OTHER || p->compound_head != pfn || p->order ||
		    p->_refcount != 1)
			return mm_error_set(e, -EINVAL, "pfn 0x%" PRIx64 " is not a page of a "
					    "contiguous allocation", pfn);
	}
	for (uint64_t pfn = start; pfn < start + nr_pages; pfn++)
		SIM_BUG_ON(__free_pages_owner(m, pfn, 0, cpu, OWNER_OTHER, NULL));
	return 0;
}
