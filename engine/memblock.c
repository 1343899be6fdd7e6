/*
 * memblock.c - the boot-time memory allocator that runs before the buddy.
 *
 * Mirrors mm/memblock.c (memblock_add, memblock_reserve, the top-down
 * memblock_alloc search, memblock_free_all and __free_pages_memory) and the
 * x86 reservations of arch/x86/kernel/setup.c and arch/x86/realmode/init.c.
 * memblock knows two sorted lists of pfn ranges: "memory" (the RAM the
 * firmware reported) and "reserved" (what early boot took). When the buddy
 * allocator comes up, every memory page that is not reserved is handed to it
 * in the largest naturally aligned blocks; reserved pages keep PG_reserved and
 * never count as managed.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define KERNEL_IMAGE_BASE	(16 * SZ_1M)	/* CONFIG_PHYSICAL_START */
#define KERNEL_IMAGE_SIZE	(32 * SZ_1M)
#define PERCPU_UNIT_PAGES	122	/* 488 KiB a CPU, as a 2-CPU 6.18 machine shows */
#define SZ_512G			(512ULL << 30)

static int memblock_grow(struct memblock_type *type)
{
	unsigned long max = type->max ? type->max * 2 : 16;
	struct memblock_region *r;

	r = realloc(type->regions, max * sizeof(*r));
	if (!r)
		return -ENOMEM;
	type->regions = r;
	type->max = max;
	return 0;
}

/* Insert keeping the list sorted by base. */
static int memblock_insert(struct memblock_type *type, const struct memblock_region *nr)
{
	unsigned long i;
	int err;

	if (type->cnt == type->max) {
		err = memblock_grow(type);
		if (err)
			return err;
	}
	for (i = type->cnt; i > 0 && type->regions[i - 1].base > nr->base; i--)
		type->regions[i] = type->regions[i - 1];
	type->regions[i] = *nr;
	type->cnt++;
	return 0;
}

int memblock_add(struct machine *m, uint64_t base, uint64_t size, int nid)
{
	struct memblock_region r = { base, size, nid, OWNER_FREE };

	if (!size)
		return 0;
	return memblock_insert(&m->memblock.memory, &r);
}

bool memblock_is_memory(const struct machine *m, uint64_t pfn)
{
	const struct memblock_type *t = &m->memblock.memory;
	unsigned long lo = 0, hi = t->cnt;

	while (lo < hi) {
		unsigned long mid = (lo + hi) / 2;
		const struct memblock_region *r = &t->regions[mid];

		if (pfn < r->base)
			hi = mid;
		else if (pfn >= r->base + r->size)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static int memblock_nid(const struct machine *m, uint64_t pfn)
{
	unsigned int n;

	for (n = 0; n < m->nr_nodes; n++) {
		const pg_data_t *pgdat = &m->nodes[n];

		if (pfn >= pgdat->node_start_pfn &&
		    pfn < pgdat->node_start_pfn + pgdat->node_spanned_pages)
			return (int)n;
	}
	return 0;
}

/* memblock_reserve() - take [base, base + size) away from the buddy's future. */
int memblock_reserve(struct machine *m, uint64_t base, uint64_t size, int owner,
		     const char *what)
{
	struct memblock_region r = { base, size, memblock_nid(m, base), owner };
	struct mm_event ev;
	int err;

	err = memblock_insert(&m->memblock.reserved, &r);
	if (err || !events_on(m))
		return err;
	mm_event_init(&ev, MM_EV_memblock_reserve);
	ev.pfn = base;
	ev.paddr = PFN_PHYS(base);
	ev.size = PFN_PHYS(size);
	ev.node = r.nid;
	ev.value = (int64_t)size;
	ev.detail = what;
	emit(m, &ev);
	return 0;
}

/* Does [base, base + size) overlap a reservation? Returns the overlapping one. */
static const struct memblock_region *reserved_overlap(const struct machine *m,
						      uint64_t base, uint64_t size)
{
	const struct memblock_type *t = &m->memblock.reserved;
	unsigned long i;

	for (i = 0; i < t->cnt; i++) {
		const struct memblock_region *r = &t->regions[i];

		if (r->base < base + size && base < r->base + r->size)
			return r;
	}
	return NULL;
}

/* Reserve a range memblock found for an allocation, and say so. */
static int memblock_alloc_event(struct machine *m, uint64_t pfn, uint64_t size, int nid,
				int owner, const char *what)
{
	struct mm_event ev;
	int err = memblock_reserve(m, pfn, size, owner, what);

	if (err || !events_on(m))
		return err;
	mm_event_init(&ev, MM_EV_memblock_alloc);
	ev.pfn = pfn;
	ev.paddr = PFN_PHYS(pfn);
	ev.size = PFN_PHYS(size);
	ev.node = nid;
	ev.value = (int64_t)size;
	ev.detail = what;
	emit(m, &ev);
	return 0;
}

/*
 * memblock_alloc_top_down() - find the highest free, aligned range of @size
 * pages in node @nid and reserve it, as memblock_find_in_range_node() does
 * when memblock allocates top-down (the x86 default).
 */
int memblock_alloc_top_down(struct machine *m, uint64_t size, uint64_t align, int nid,
			    int owner, const char *what, uint64_t *pfn)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long i;

	for (i = mem->cnt; i-- > 0;) {
		const struct memblock_region *r = &mem->regions[i];
		uint64_t top = r->base + r->size;

		if (r->nid != nid)
			continue;
		while (top >= r->base + size) {
			uint64_t cand = (top - size) & ~(align - 1);
			const struct memblock_region *busy;

			if (cand < r->base)
				break;
			busy = reserved_overlap(m, cand, size);
			if (!busy) {
				*pfn = cand;
				return memblock_alloc_event(m, cand, size, nid, owner, what);
			}
			top = busy->base;
		}
	}
	return -ENOMEM;
}


/* RAM pages of [start, end) (pfns), from memblock.memory. */
uint64_t memblock_memory_pages_in(const struct machine *m, uint64_t start, uint64_t end)
{
	const struct memblock_type *t = &m->memblock.memory;
	uint64_t n = 0;
	unsigned long i;

	for (i = 0; i < t->cnt; i++) {
		uint64_t s = t->regions[i].base, e = s + t->regions[i].size;

		if (s < start)
			s = start;
		if (e > end)
			e = end;
		if (s < e)
			n += e - s;
	}
	return n;
}

/*
 * Page-table pages the direct map of all RAM needs: one PUD page per 512 GiB,
 * a PMD page for each GiB that is not one whole 1 GiB page, a PTE page for
 * each 2 MiB that is partly RAM, as kernel_physical_mapping_init() builds it.
 */
static uint64_t direct_map_table_pages(const struct machine *m)
{
	uint64_t gb_pfns = SZ_1G >> PAGE_SHIFT, pm_pfns = 2 * SZ_1M >> PAGE_SHIFT;
	uint64_t end = m->max_pfn, pages = 0, g, p;

	pages += (PFN_PHYS(end) + SZ_512G - 1) / SZ_512G;
	for (g = 0; g < end; g += gb_pfns) {
		uint64_t ram = memblock_memory_pages_in(m, g, g + gb_pfns);

		if (!ram || (ram == gb_pfns && m->cfg.gbpages))
			continue;
		pages++;
		for (p = g; p < g + gb_pfns && p < end; p += pm_pfns) {
			uint64_t r2 = memblock_memory_pages_in(m, p, p + pm_pfns);

			if (r2 && r2 != pm_pfns)
				pages++;
		}
	}
	return pages;
}

/* First RAM pfn at or above @pfn with @size pages of RAM after it, or max_pfn. */
static uint64_t first_ram_from(const struct machine *m, uint64_t pfn, uint64_t size)
{
	const struct memblock_type *t = &m->memblock.memory;
	unsigned long i;

	for (i = 0; i < t->cnt; i++) {
		uint64_t s = t->regions[i].base, e = s + t->regions[i].size;

		if (s < pfn)
			s = pfn;
		if (s + size <= e)
			return s;
	}
	return m->max_pfn;
}

/*
 * memblock_setup_reservations() - what early x86 boot reserves: the first
 * MiB (real mode, BIOS data; reserve_real_mode()), the kernel image, the
 * struct page array of each node, the direct map's page tables and the
 * per-CPU areas.
 */
int memblock_setup_reservations(struct machine *m)
{
	uint64_t pfn, pages, kbase;
	unsigned int n, cpu;
	int err;

	err = memblock_reserve(m, 0, SZ_1M >> PAGE_SHIFT, OWNER_RESERVED,
			       "real mode, BIOS and the first 1 MiB");
	if (err)
		return err;
	pages = KERNEL_IMAGE_SIZE >> PAGE_SHIFT;
	kbase = first_ram_from(m, KERNEL_IMAGE_BASE >> PAGE_SHIFT, pages);
	if (kbase >= m->max_pfn)
		return -ENOMEM;
	err = memblock_reserve(m, kbase, pages, OWNER_KERNEL, "kernel image");
	if (err)
		return err;

	for (n = 0; n < m->nr_nodes; n++) {
		uint64_t bytes = m->nodes[n].node_present_pages * sizeof(struct page);

		pages = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
		m->mem_map_bytes += bytes;
		if (!pages)
			continue;
		err = memblock_alloc_top_down(m, pages, pages >= pageblock_nr_pages ?
					      pageblock_nr_pages : 1, (int)n,
					      OWNER_MEM_MAP, "mem_map (struct page array)", &pfn);
		if (err)
			return err;
	}

	m->early_pgtable_pages = direct_map_table_pages(m);
	err = memblock_alloc_top_down(m, m->early_pgtable_pages, 1, 0, OWNER_PAGETABLE,
				      "early page tables (direct map)", &pfn);
	if (err)
		return err;

	for (cpu = 0; cpu < m->nr_cpus; cpu++) {
		err = memblock_alloc_top_down(m, PERCPU_UNIT_PAGES, 1, m->cpu_to_node[cpu],
					      OWNER_PERCPU, "per-CPU area", &pfn);
		if (err)
			return err;
		m->percpu_pages += PERCPU_UNIT_PAGES;
	}
	return 0;
}

/* reserve_bootmem_region(): reserved present pages get their owner. */
static void reserve_bootmem_regions(struct machine *m)
{
	const struct memblock_type *t = &m->memblock.reserved;
	unsigned long i;

	for (i = 0; i < t->cnt; i++) {
		const struct memblock_region *r = &t->regions[i];
		uint64_t pfn, end = r->base + r->size;

		if (end > m->max_pfn)
			end = m->max_pfn;
		for (pfn = r->base; pfn < end; pfn++) {
			struct page *page = pfn_to_page(m, pfn);
			struct zone *z;

			if (page->owner == OWNER_HOLE)
				continue;
			z = page_zone(m, page);
			z->owner_pages[page->owner]--;
			z->owner_pages[r->owner]++;
			page->owner = (uint8_t)r->owner;
		}
	}
}

/*
 * __free_pages_memory() - hand [start, end) to the buddy allocator in the
 * largest naturally aligned blocks that fit. Kernel: mm/memblock.c.
 */
static void __free_pages_memory(struct machine *m, uint64_t start, uint64_t end)
{
	while (start < end) {
		unsigned int order = start ? (unsigned int)__builtin_ctzll(start) : m->max_order;

		if (order > m->max_order)
			order = m->max_order;
		while (start + (1ULL << order) > end)
			order--;
		__free_pages_core(m, start, order);
		start += 1ULL << order;
	}
}

static void free_all_event(struct machine *m, const struct zone *z, uint64_t start,
			   uint64_t pages, const char *what)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_memblock_free_all);
	ev.node = z ? z->node : MM_NA;
	ev.zone = z ? z->idx : MM_NA;
	ev.pfn = start;
	ev.paddr = start == MM_NA_U64 ? MM_NA_U64 : PFN_PHYS(start);
	ev.size = PFN_PHYS(pages);
	ev.value = (int64_t)pages;
	ev.detail = what;
	emit(m, &ev);
}

/* Release the unreserved part of [start, end) in zone @z. */
static uint64_t free_zone_range(struct machine *m, struct zone *z, uint64_t start,
				uint64_t end)
{
	const struct memblock_type *t = &m->memblock.reserved;
	uint64_t freed = 0, cur = start;
	unsigned long i;

	for (i = 0; i <= t->cnt && cur < end; i++) {
		uint64_t rs = i < t->cnt ? t->regions[i].base : end;
		uint64_t re = i < t->cnt ? rs + t->regions[i].size : end;

		if (re <= cur)
			continue;
		if (rs > end)
			rs = end;
		if (rs > cur) {
			__free_pages_memory(m, cur, rs);
			free_all_event(m, z, cur, rs - cur, "range");
			freed += rs - cur;
		}
		if (re > cur)
			cur = re;
	}
	return freed;
}

/*
 * memblock_free_all() - the hand-over: reserved pages keep their owner and
 * PG_reserved, every other page of every zone goes to the buddy allocator.
 * Kernel: mm/memblock.c, memblock_free_all() / free_low_memory_core_early().
 */
void memblock_free_all(struct machine *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	uint64_t total = 0;
	unsigned int n, zi;
	unsigned long i;

	reserve_bootmem_regions(m);
	for (n = 0; n < m->nr_nodes; n++) {
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &m->nodes[n].node_zones[zi];
			uint64_t zs = z->zone_start_pfn, ze = zone_end_pfn(z), freed = 0;

			for (i = 0; i < mem->cnt && populated_zone(z); i++) {
				uint64_t s = mem->regions[i].base;
				uint64_t e = s + mem->regions[i].size;

				if (s < zs)
					s = zs;
				if (e > ze)
					e = ze;
				if (s < e)
					freed += free_zone_range(m, z, s, e);
			}
			z->managed_pages = freed;
			total += freed;
		}
	}
	m->totalram_pages = total;
	free_all_event(m, NULL, MM_NA_U64, total, "total");
}

void memblock_release(struct memblock *mb)
{
	free(mb->memory.regions);
	free(mb->reserved.regions);
	memset(mb, 0, sizeof(*mb));
}

static int memblock_type_copy(struct memblock_type *dst, const struct memblock_type *src)
{
	*dst = *src;
	dst->regions = NULL;
	if (!src->max)
		return 0;
	dst->regions = malloc(src->max * sizeof(*src->regions));
	if (!dst->regions)
		return -ENOMEM;
	memcpy(dst->regions, src->regions, src->cnt * sizeof(*src->regions));
	return 0;
}

int memblock_copy(struct memblock *dst, const struct memblock *src)
{
	memset(dst, 0, sizeof(*dst));
	if (memblock_type_copy(&dst->memory, &src->memory) ||
	    memblock_type_copy(&dst->reserved, &src->reserved)) {
		memblock_release(dst);
		return -ENOMEM;
	}
	return 0;
}

/*
 * memblock_alloc_range_top_down() - the highest free, aligned range of @size
 * pages below @limit (a pfn), in any node, reserved for @owner: what
 * memblock_alloc_low() (limit ARCH_LOW_ADDRESS_LIMIT, 4 GiB on x86-64) and
 * memblock_alloc() (no limit) do through memblock_alloc_range_nid() with
 * NUMA_NO_NODE when memblock allocates top-down.
 */
int memblock_alloc_range_top_down(struct machine *m, uint64_t size, uint64_t align,
				  uint64_t limit, int owner, const char *what, uint64_t *pfn)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long i;

	for (i = mem->cnt; i-- > 0;) {
		const struct memblock_region *r = &mem->regions[i];
		uint64_t top = r->base + r->size < limit ? r->base + r->size : limit;

		while (top >= r->base + size) {
			uint64_t cand = (top - size) & ~(align - 1);
			const struct memblock_region *busy;

			if (cand < r->base)
				break;
			busy = reserved_overlap(m, cand, size);
			if (busy) {
				top = busy->base;
				continue;
			}
			*pfn = cand;
			return memblock_alloc_event(m, cand, size, r->nid, owner, what);
		}
	}
	return -ENOMEM;
}
