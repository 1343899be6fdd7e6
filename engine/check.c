/*
 * check.c - the engine's self-check (engine.md section 8).
 *
 * Walks the whole physical state and reports every broken invariant of the
 * design notes at the top of page_alloc.c, by number. It reads the state the
 * way a debugger would, trusting no counter: counters are compared with what
 * the walk finds. The kernel's nearest relatives are CONFIG_DEBUG_VM's
 * checks (check_new_page, bad_page, __check_pcp) run over everything.
 */
#include <stdarg.h>
#include <string.h>

#include "internal.h"
#include "slab.h"
#include "swiotlb.h"
#include "lru.h"
#include "swap.h"
#include "vmscan.h"
#include "oom.h"
#include "memcontrol.h"
#include "compaction.h"

struct checker {
	const struct machine *m;
	mm_violation_fn fn;
	void *ctx;
	unsigned long count;
};

static void violation(struct checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

unsigned long mm_vreport(mm_violation_fn fn, void *ctx, const char *fmt, va_list ap)
{
	char buf[256];

	if (fn) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		fn(ctx, buf);
	}
	return 1;
}

unsigned long mm_report(mm_violation_fn fn, void *ctx, const char *fmt, ...)
{
	unsigned long n;
	va_list ap;

	va_start(ap, fmt);
	n = mm_vreport(fn, ctx, fmt, ap);
	va_end(ap);
	return n;
}

static void violation(struct checker *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c->count += mm_vreport(c->fn, c->ctx, fmt, ap);
	va_end(ap);
}

#define ZONE_FMT "node %d %s: "
#define ZONE_ARGS(z) (z)->node, zone_type_name((z)->idx)

/* The name of a list, for a report: built only when something is wrong. */
static const char *list_name(char *buf, size_t len, int cpu, unsigned int order, int mt)
{
	if (cpu >= 0)
		snprintf(buf, len, "cpu %d pcp list order %u %s", cpu, order, migratetype_name(mt));
	else
		snprintf(buf, len, "free_area[%u].free_list[%s]", order, migratetype_name(mt));
	return buf;
}

#define WHAT list_name(what, sizeof(what), cpu, order, mt)

/* The allocators above the buddy report through this (slab_check, vmalloc_check). */
static void report_violation(void *ctx, const char *msg)
{
	violation(ctx, "%s", msg);
}

/* Invariant 5 for one list (a per-CPU one when @cpu >= 0); returns its pages. */
static uint64_t check_list(struct checker *c, const struct zone *z,
			   const struct list_head *h, unsigned int order, int mt, int cpu)
{
	const struct machine *m = c->m;
	bool pcp = cpu >= 0;
	char what[64];
	uint32_t pfn = h->first, prev = PFN_NIL;
	uint64_t n = 0, limit = m->max_pfn + 1;

	while (pfn != PFN_NIL && n < limit) {
		const struct page *p;

		if (pfn >= m->max_pfn) {
			violation(c, "5: " ZONE_FMT "%s links to pfn 0x%x beyond the machine",
				  ZONE_ARGS(z), WHAT, pfn);
			return n << order;
		}
		p = &m->mem_map[pfn];
		if (p->prev != prev)
			violation(c, "5: " ZONE_FMT "%s: pfn 0x%x prev is 0x%x, expected 0x%x",
				  ZONE_ARGS(z), WHAT, pfn, p->prev, prev);
		if (p->node != z->node || p->zone != z->idx)
			violation(c, "%d: " ZONE_FMT "%s holds pfn 0x%x of node %d %s",
				  pcp ? 6 : 2, ZONE_ARGS(z), WHAT, pfn, p->node,
				  zone_type_name(p->zone));
		if (pfn & ((1u << order) - 1))
			violation(c, "%d: " ZONE_FMT "%s: pfn 0x%x not aligned to order %u",
				  pcp ? 6 : 2, ZONE_ARGS(z), WHAT, pfn, order);
		if (pcp) {
			if (p->private != order)
				violation(c, "6: " ZONE_FMT "%s: pfn 0x%x is an order-%llu block",
					  ZONE_ARGS(z), WHAT, pfn, (unsigned long long)p->private);
			if (p->owner != OWNER_PCP || page_has_type(p))
				violation(c, "6: " ZONE_FMT "%s: pfn 0x%x is %s%s%s",
					  ZONE_ARGS(z), WHAT, pfn, page_owner_name(p->owner),
					  page_has_type(p) ? " and typed " : "",
					  page_type_name(p->page_type));
		} else if (!PageBuddy(p) || p->private != order || p->mt != mt) {
			violation(c, "2: " ZONE_FMT "%s: pfn 0x%x is not a free order-%u %s block",
				  ZONE_ARGS(z), WHAT, pfn, order, migratetype_name(mt));
		}
		prev = pfn;
		pfn = p->next;
		n++;
	}
	if (h->last != prev)
		violation(c, "5: " ZONE_FMT "%s: last is 0x%x, the walk ends at 0x%x",
			  ZONE_ARGS(z), WHAT, h->last, prev);
	if (n != h->nr)
		violation(c, "5: " ZONE_FMT "%s counts %llu entries, the walk finds %llu",
			  ZONE_ARGS(z), WHAT, (unsigned long long)h->nr, (unsigned long long)n);
	return n << order;
}

static void check_free_lists(struct checker *c, const struct zone *z)
{
	uint64_t pages = 0, highatomic = 0;
	unsigned int o;
	int mt;

	for (o = 0; o < MAX_NR_ORDERS; o++) {
		uint64_t blocks = 0;

		for (mt = 0; mt < MIGRATE_TYPES; mt++) {
			const struct list_head *h = &z->free_area[o].free_list[mt];
			uint64_t n;

			if (o > c->m->max_order && h->first != PFN_NIL) {
				violation(c, "2: " ZONE_FMT "order %u above max_order has blocks",
					  ZONE_ARGS(z), o);
				continue;
			}
			n = check_list(c, z, h, o, mt, -1);
			pages += n;
			blocks += h->nr;
			if (mt == MIGRATE_HIGHATOMIC)
				highatomic += n;
		}
		if (blocks != z->free_area[o].nr_free)
			violation(c, "5: " ZONE_FMT "nr_free[%u] is %llu, the lists hold %llu",
				  ZONE_ARGS(z), o, (unsigned long long)z->free_area[o].nr_free,
				  (unsigned long long)blocks);
	}
	if (pages != z->nr_free_pages)
		violation(c, "5: " ZONE_FMT "NR_FREE_PAGES is %llu, the lists hold %llu",
			  ZONE_ARGS(z), (unsigned long long)z->nr_free_pages,
			  (unsigned long long)pages);
	if (highatomic != z->nr_free_highatomic)
		violation(c, "5: " ZONE_FMT "nr_free_highatomic is %llu, the lists hold %llu",
			  ZONE_ARGS(z), (unsigned long long)z->nr_free_highatomic,
			  (unsigned long long)highatomic);
}

static uint64_t check_pcp_lists(struct checker *c, const struct zone *z)
{
	uint64_t total = 0;
	unsigned int cpu;
	int pindex;

	for (cpu = 0; cpu < c->m->nr_cpus; cpu++) {
		const struct per_cpu_pages *pcp = &z->pcp[cpu];
		uint64_t pages = 0;

		for (pindex = 0; pindex < NR_PCP_LISTS; pindex++)
			pages += check_list(c, z, &pcp->lists[pindex],
					    (unsigned int)pcp_list_order(pindex),
					    pcp_list_migratetype(pindex), (int)cpu);
		if (pages != (uint64_t)pcp->count)
			violation(c, "6: " ZONE_FMT "cpu %u pcp count is %d, the lists hold %llu",
				  ZONE_ARGS(z), cpu, pcp->count, (unsigned long long)pages);
		total += pages;
	}
	return total;
}

/* Invariants 2-4 for the free block headed at @pfn. */
static void check_free_block(struct checker *c, const struct zone *z, uint64_t pfn)
{
	const struct machine *m = c->m;
	const struct page *p = &m->mem_map[pfn];
	uint64_t order = p->private, i, nr = 1ULL << order, buddy;
	int block_mt = get_pageblock_migratetype(m, pfn);

	if (order > m->max_order || (pfn & (nr - 1)) || pfn + nr > zone_end_pfn(z)) {
		violation(c, "2: " ZONE_FMT "free block at pfn 0x%llx order %llu is misplaced",
			  ZONE_ARGS(z), (unsigned long long)pfn, (unsigned long long)order);
		return;
	}
	for (i = 0; i < nr; i++) {
		const struct page *q = p + i;

		if (q->owner != OWNER_FREE || q->node != z->node || q->zone != z->idx ||
		    (i && q->page_type != UINT32_MAX)) {
			violation(c, "2: " ZONE_FMT "pfn 0x%llx inside the free block at 0x%llx is %s",
				  ZONE_ARGS(z), (unsigned long long)(pfn + i),
				  (unsigned long long)pfn, page_owner_name(q->owner));
			break;
		}
		if (order >= pageblock_order && !((pfn + i) & (pageblock_nr_pages - 1)) &&
		    get_pageblock_migratetype(m, pfn + i) != block_mt)
			violation(c, "3: " ZONE_FMT "free block at 0x%llx spans pageblocks of two types",
				  ZONE_ARGS(z), (unsigned long long)pfn);
	}
	if (p->mt != block_mt)
		violation(c, "3: " ZONE_FMT "free block at 0x%llx is on the %s list in a %s pageblock",
			  ZONE_ARGS(z), (unsigned long long)pfn, migratetype_name(p->mt),
			  migratetype_name(block_mt));
	buddy = pfn ^ nr;
	if (order < m->max_order && buddy < m->max_pfn) {
		const struct page *b = &m->mem_map[buddy];

		if (PageBuddy(b) && b->private == order && b->zone == p->zone &&
		    b->node == p->node &&
		    (order < pageblock_order || b->mt == p->mt ||
		     (b->mt < MIGRATE_PCPTYPES && p->mt < MIGRATE_PCPTYPES)))
			violation(c, "4: " ZONE_FMT "free buddies 0x%llx and 0x%llx of order %llu did not merge",
				  ZONE_ARGS(z), (unsigned long long)pfn, (unsigned long long)buddy,
				  (unsigned long long)order);
	}
}

/* Invariant 7 for the allocated block headed at @pfn; returns its end. */
static uint64_t check_alloc_block(struct checker *c, const struct zone *z, uint64_t pfn)
{
	const struct machine *m = c->m;
	const struct page *p = &m->mem_map[pfn];
	uint64_t nr = 1ULL << p->order, i;
	bool comp = page_test(p, PG_head);

	if (p->_refcount < 1 || p->order > m->max_order || (pfn & (nr - 1)) ||
	    pfn + nr > zone_end_pfn(z)) {
		violation(c, "7: " ZONE_FMT "allocated block at pfn 0x%llx (order %u, refcount %d) is malformed",
			  ZONE_ARGS(z), (unsigned long long)pfn, p->order, p->_refcount);
		return pfn + 1;
	}
	for (i = 1; i < nr; i++) {
		const struct page *q = p + i;

		if (q->owner != p->owner || q->compound_head != pfn || q->_refcount ||
		    q->tail != comp || page_has_type(q)) {
			violation(c, "7: " ZONE_FMT "pfn 0x%llx is not a tail of the %s block at 0x%llx",
				  ZONE_ARGS(z), (unsigned long long)(pfn + i),
				  page_owner_name(p->owner), (unsigned long long)pfn);
			break;
		}
	}
	return pfn + nr;
}

/*
 * Invariant 9 for one page: the word that is page_type for typed pages and
 * _mapcount for the others (include/linux/mm_types.h, the union in struct
 * page). Kernel: the PageBuddy()/PageSlab()/PageTable() users, and
 * folio_add_new_anon_rmap(), which leaves a freshly mapped page at 0.
 */
static void check_page_word(struct checker *c, const struct zone *z, uint64_t pfn,
			    const struct page *p)
{
	static const struct { int owner; enum pagetype type; } fits[] = {
		{ OWNER_FREE, PGTY_buddy }, { OWNER_SLAB, PGTY_slab },
		{ OWNER_PAGETABLE, PGTY_table }, { OWNER_KMALLOC_LARGE, PGTY_large_kmalloc },
	};
	unsigned int i;

	if (!page_has_type(p)) {
		/* user and page-cache pages: rmap's invariants (lru.h, R) check the count */
		if (p->owner == OWNER_USER || p->owner == OWNER_PAGECACHE ?
		    p->_mapcount < -1 : p->_mapcount != -1)
			violation(c, "9: " ZONE_FMT "pfn 0x%llx (%s) has _mapcount %d",
				  ZONE_ARGS(z), (unsigned long long)pfn,
				  page_owner_name(p->owner), p->_mapcount);
		return;
	}
	for (i = 0; i < sizeof(fits) / sizeof(fits[0]); i++)
		if (page_type_is(p, fits[i].type) && p->owner == fits[i].owner &&
		    p->compound_head == pfn && !p->tail)
			return;
	violation(c, "9: " ZONE_FMT "pfn 0x%llx owned by %s is typed %s (0x%08x)",
		  ZONE_ARGS(z), (unsigned long long)pfn, page_owner_name(p->owner),
		  page_type_name(p->page_type), p->page_type);
}

/* One pass over the zone's pfns: ownership, reserved pages, blocks. */
static void check_zone_pages(struct checker *c, const struct zone *z, uint64_t pcp_pages)
{
	const struct machine *m = c->m;
	uint64_t owners[NR_PAGE_OWNERS] = { 0 }, not_reserved = 0, pfn, end = zone_end_pfn(z);
	int o;

	if (end > m->max_pfn) {	/* a broken span: report it, read no struct page past the end */
		violation(c, "1: " ZONE_FMT "spans to pfn 0x%llx, past max_pfn 0x%llx", ZONE_ARGS(z),
			  (unsigned long long)end, (unsigned long long)m->max_pfn);
		end = m->max_pfn;
	}
	for (pfn = z->zone_start_pfn; pfn < end; pfn++) {
		const struct page *p = &m->mem_map[pfn];
		uint64_t next;

		if (p->owner == OWNER_HOLE) {
			if (p->flags)
				violation(c, "7: " ZONE_FMT "hole pfn 0x%llx has flags 0x%x",
					  ZONE_ARGS(z), (unsigned long long)pfn, p->flags);
			continue;
		}
		if (p->node != z->node || p->zone != z->idx) {
			if (PageBuddy(p))
				violation(c, "2: " ZONE_FMT "pfn 0x%llx of another zone is PGTY_buddy here",
					  ZONE_ARGS(z), (unsigned long long)pfn);
			continue;
		}
		check_page_word(c, z, pfn, p);
		if (page_test(p, PG_reserved)) {
			owners[p->owner]++;
			if (p->owner == OWNER_FREE || p->owner == OWNER_PCP)
				violation(c, "1: " ZONE_FMT "pfn 0x%llx is PG_reserved and %s",
					  ZONE_ARGS(z), (unsigned long long)pfn,
					  page_owner_name(p->owner));
			continue;
		}
		/* A block: checked as a whole, then skipped. */
		if (PageBuddy(p)) {
			check_free_block(c, z, pfn);
			next = pfn + (1ULL << p->private);
		} else if (p->owner == OWNER_PCP) {
			next = pfn + (1ULL << (p->private <= PAGE_ALLOC_COSTLY_ORDER ||
					      p->private == HPAGE_PMD_ORDER ? p->private : 0));
			for (uint64_t q = pfn; q < next && q < end; q++)
				if (m->mem_map[q].owner != OWNER_PCP)
					violation(c, "6: " ZONE_FMT "pfn 0x%llx in a pcp block is %s",
						  ZONE_ARGS(z), (unsigned long long)q,
						  page_owner_name(m->mem_map[q].owner));
		} else if (p->owner == OWNER_FREE) {
			violation(c, "2: " ZONE_FMT "pfn 0x%llx is free but in no free block",
				  ZONE_ARGS(z), (unsigned long long)pfn);
			next = pfn + 1;
		} else {
			if (p->compound_head != pfn)
				violation(c, "7: " ZONE_FMT "pfn 0x%llx (%s) belongs to no block",
					  ZONE_ARGS(z), (unsigned long long)pfn,
					  page_owner_name(p->owner));
			next = check_alloc_block(c, z, pfn);
		}
		if (next > end)
			next = end;
		owners[p->owner] += next - pfn;
		not_reserved += next - pfn;
		pfn = next - 1;
	}
	if (owners[OWNER_FREE] != z->nr_free_pages)
		violation(c, "1: " ZONE_FMT "%llu pages are owned by free, NR_FREE_PAGES is %llu",
			  ZONE_ARGS(z), (unsigned long long)owners[OWNER_FREE],
			  (unsigned long long)z->nr_free_pages);
	if (owners[OWNER_PCP] != pcp_pages)
		violation(c, "1: " ZONE_FMT "%llu pages are owned by pcp, the lists hold %llu",
			  ZONE_ARGS(z), (unsigned long long)owners[OWNER_PCP],
			  (unsigned long long)pcp_pages);
	if (not_reserved != z->managed_pages)
		violation(c, "1: " ZONE_FMT "free + pcp + owned pages = %llu, managed = %llu",
			  ZONE_ARGS(z), (unsigned long long)not_reserved,
			  (unsigned long long)z->managed_pages);
	for (o = 0; o < NR_PAGE_OWNERS; o++)
		if (owners[o] != z->owner_pages[o])
			violation(c, "7: " ZONE_FMT "%llu pages owned by %s, the counter says %llu",
				  ZONE_ARGS(z), (unsigned long long)owners[o], page_owner_name(o),
				  (unsigned long long)z->owner_pages[o]);
}

/*
 * 9. The watermark boost stays within what boost_watermark() allows (a
 *    pageblock, or 150% of the high mark when that is more); the highatomic
 *    reserve is exactly its HighAtomic pageblocks, each inside the zone.
 */
static void check_boost_and_highatomic(struct checker *c, const struct zone *z)
{
	const struct machine *m = c->m;
	uint64_t max_boost = z->_watermark[WMARK_HIGH] * WATERMARK_BOOST_FACTOR / 10000;
	uint64_t pb, highatomic = 0;

	if (max_boost < pageblock_nr_pages)
		max_boost = pageblock_nr_pages;
	if (z->watermark_boost > max_boost)
		violation(c, "10: " ZONE_FMT "watermark_boost %llu above its cap %llu", ZONE_ARGS(z),
			  (unsigned long long)z->watermark_boost, (unsigned long long)max_boost);
	if (!z->spanned_pages)
		return;
	for (pb = z->zone_start_pfn & ~(pageblock_nr_pages - 1); pb < zone_end_pfn(z);
	     pb += pageblock_nr_pages)
		if (pb >= z->zone_start_pfn && pb + pageblock_nr_pages <= zone_end_pfn(z) &&
		    get_pageblock_migratetype(m, pb) == MIGRATE_HIGHATOMIC)
			highatomic += pageblock_nr_pages;
	if (highatomic != z->nr_reserved_highatomic)
		violation(c, "10: " ZONE_FMT "nr_reserved_highatomic is %llu, HighAtomic pageblocks hold %llu",
			  ZONE_ARGS(z), (unsigned long long)z->nr_reserved_highatomic,
			  (unsigned long long)highatomic);
}

static void check_zone(struct checker *c, const struct zone *z)
{
	uint64_t pcp_pages;

	if (!(z->spanned_pages >= z->present_pages && z->present_pages >= z->managed_pages))
		violation(c, "1: " ZONE_FMT "spanned %llu, present %llu, managed %llu out of order",
			  ZONE_ARGS(z), (unsigned long long)z->spanned_pages,
			  (unsigned long long)z->present_pages,
			  (unsigned long long)z->managed_pages);
	if (!(z->_watermark[WMARK_MIN] <= z->_watermark[WMARK_LOW] &&
	      z->_watermark[WMARK_LOW] <= z->_watermark[WMARK_HIGH] &&
	      z->_watermark[WMARK_HIGH] <= z->_watermark[WMARK_PROMO]))
		violation(c, "8: " ZONE_FMT "watermarks out of order", ZONE_ARGS(z));
	check_free_lists(c, z);
	check_boost_and_highatomic(c, z);
	pcp_pages = check_pcp_lists(c, z);
	if (z->spanned_pages)
		check_zone_pages(c, z, pcp_pages);
}

unsigned long machine_check(const struct machine *m, mm_violation_fn fn, void *ctx)
{
	struct checker c = { m, fn, ctx, 0 };
	unsigned int n;
	int zi;

	/* pageblock_order: min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER) (pageblock-flags.h) */
	if (m->pb_order != (m->max_order < HPAGE_PMD_ORDER ? m->max_order : HPAGE_PMD_ORDER))
		violation(&c, "10: pageblock_order is %u with max_order %u", m->pb_order,
			  m->max_order);

	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++)
			check_zone(&c, &m->nodes[n].node_zones[zi]);
	slab_check(m, report_violation, &c);
	vmalloc_check(m, report_violation, &c);
	swiotlb_check(m, report_violation, &c);	/* swiotlb.c: S1..S4 */
	swap_check(m, report_violation, &c);	/* swapfile.c: SW1..SW7 */
	vmscan_check(m, report_violation, &c);	/* vmscan.c: K1..K3 */
	c.count += x86_check(m, fn, ctx);	/* pgtable.c, mmu.c: P1..P6, C1..C5 */
	c.count += lru_check(m, fn, ctx);	/* lru.h units: L (LRU), R (rmap), F (page cache) */
	c.count += oom_check(m, fn, ctx);	/* oom_kill.c: O1..O3 */
	c.count += memcg_check(m, fn, ctx);	/* memcontrol.c: M1..M4 */
	c.count += compaction_check(m, fn, ctx);	/* compaction.c: CP1..CP5 */
	return c.count;
}
