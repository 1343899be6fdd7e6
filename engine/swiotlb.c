/*
 * swiotlb.c - the software IO TLB: bounce buffers for devices that cannot
 * reach a buffer's memory.
 *
 * Mirrors kernel/dma/swiotlb.c (swiotlb_init_remap, swiotlb_map,
 * swiotlb_tbl_map_single, swiotlb_search_pool_area, swiotlb_release_slots,
 * __swiotlb_tbl_unmap_single) without CONFIG_SWIOTLB_DYNAMIC, and its x86-64
 * caller arch/x86/kernel/pci-dma.c (pci_iommu_alloc, pci_swiotlb_detect):
 *
 *  - The pool exists only when RAM reaches above 4 GiB (max_possible_pfn >
 *    MAX_DMA32_PFN): 64 MiB (IO_TLB_DEFAULT_SIZE) taken from memblock below
 *    4 GiB (memblock_alloc_low), before memblock_free_all() hands the rest to
 *    the buddy allocator; its slot array comes from memblock too.
 *  - The pool is cut into 2 KiB slots, grouped in segments of 128: no
 *    mapping crosses a segment, so 256 KiB is the largest. The slots are
 *    split into as many areas as there are possible CPUs (a power of two);
 *    a map searches its CPU's area first, from where the last search ended.
 *  - A mapping copies the buffer into its slots at once (whatever the
 *    direction: a device that writes only part of the buffer must not
 *    expose stale pool contents), and the unmap copies the slots back for
 *    DMA_FROM_DEVICE and DMA_BIDIRECTIONAL, then frees them.
 *
 * The engine keeps no memory contents, so a copy is an event and a count of
 * bytes, not bytes.
 *
 * Design notes: the invariants swiotlb_check() verifies.
 *  S1. The pool and its slot array are memblock reservations owned by
 *      "swiotlb", every pfn in them is owned by "swiotlb", and the pool lies
 *      below 4 GiB.
 *  S2. A free slot's list is 1 + its next neighbour's list when that slot is
 *      free and in the same segment, else 1; a slot in use has list 0, an
 *      original address and a positive alloc_size; a free slot has neither.
 *  S3. A mapping's slots follow each other: a slot in use whose alloc_size
 *      is above 2 KiB is followed, in its segment, by a slot in use for the
 *      next 2 KiB of the same buffer.
 *  S4. Each area's used count is the slots in use in it, and total_used is
 *      their sum.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiotlb.h"

#define PFN_4G		(4 * SZ_1G >> PAGE_SHIFT)	/* MAX_DMA32_PFN */
#define PFN_UP(x)	(((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)

static const char *const dir_names[] = {
	[DMA_BIDIRECTIONAL] = "DMA_BIDIRECTIONAL", [DMA_TO_DEVICE] = "DMA_TO_DEVICE",
	[DMA_FROM_DEVICE] = "DMA_FROM_DEVICE", [DMA_NONE] = "DMA_NONE",
};

const char *dma_direction_name(int dir)
{
	return dir >= 0 && dir <= DMA_NONE ? dir_names[dir] : NULL;
}

int dma_direction_from_name(const char *name)
{
	for (int d = 0; d < DMA_NONE; d++)
		if (!strcmp(name, dir_names[d]))
			return d;
	return -1;
}

static inline uint32_t io_tlb_offset(uint32_t slot)
{
	return slot & (IO_TLB_SEGSIZE - 1);
}

static inline uint32_t nr_slots(uint64_t bytes)
{
	return (uint32_t)((bytes + IO_TLB_SIZE - 1) / IO_TLB_SIZE);
}

static inline uint64_t slot_addr(uint64_t start, uint64_t idx)
{
	return start + (idx << IO_TLB_SHIFT);
}

static unsigned int roundup_pow_of_two(unsigned int n)
{
	unsigned int p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/*** Boot: the pool ***/

/* swiotlb_init_io_tlb_pool(): every slot free, each segment one free run. */
static void init_pool(struct swiotlb_pool *p, uint64_t start, uint32_t nslabs, uint32_t nareas)
{
	p->start = start;
	p->end = start + ((uint64_t)nslabs << IO_TLB_SHIFT);
	p->nslabs = nslabs;
	p->nareas = nareas;
	p->area_nslabs = nslabs / nareas;
	for (uint32_t i = 0; i < nslabs; i++) {
		uint32_t left = IO_TLB_SEGSIZE - io_tlb_offset(i);

		p->slots[i].list = left < nslabs - i ? left : nslabs - i;
		p->slots[i].orig_addr = INVALID_PHYS_ADDR;
		p->slots[i].alloc_size = 0;
	}
}

/*
 * swiotlb_init_remap() with x86's flags: the areas follow the possible CPUs
 * (swiotlb_adjust_nareas, limit_nareas), the buffer comes from low memory
 * and halves until it fits, down to 1 MiB.
 */
static void swiotlb_init(struct machine *m)
{
	uint32_t nslabs = (uint32_t)(IO_TLB_DEFAULT_SIZE >> IO_TLB_SHIFT);
	uint32_t nareas = roundup_pow_of_two(m->nr_cpus);
	uint64_t pfn, slots_pfn, slot_pages;
	struct swiotlb_pool *p;

	if (nslabs < IO_TLB_SEGSIZE * nareas)	/* round_up_default_nslabs() */
		nslabs = roundup_pow_of_two(IO_TLB_SEGSIZE * nareas);
	for (;;) {
		uint64_t pages = PFN_UP((uint64_t)nslabs << IO_TLB_SHIFT);

		if (!memblock_alloc_range_top_down(m, pages, 1, PFN_4G, OWNER_SWIOTLB,
						   "swiotlb bounce buffer", &pfn))
			break;
		if (nslabs <= IO_TLB_MIN_SLABS)
			return;
		nslabs = (nslabs >> 1) & ~(IO_TLB_SEGSIZE - 1);
	}
	if (nslabs < nareas * IO_TLB_SEGSIZE)	/* limit_nareas() */
		nareas = nslabs / IO_TLB_SEGSIZE;
	/* The kernel's struct io_tlb_slot is 24 bytes. */
	slot_pages = PFN_UP((uint64_t)nslabs * 24);
	if (memblock_alloc_range_top_down(m, slot_pages, 1, UINT64_MAX, OWNER_SWIOTLB,
					  "swiotlb slot array", &slots_pfn))
		return;
	p = calloc(1, sizeof(*p));
	if (p)
		p->slots = malloc(nslabs * sizeof(*p->slots));
	if (!p || !p->slots) {
		free(p);
		return;
	}
	p->slots_pfn = slots_pfn;
	p->slots_pages = slot_pages;
	init_pool(p, PFN_PHYS(pfn), nslabs, nareas);
	m->swiotlb = p;
}

/*
 * pci_iommu_alloc() -> pci_swiotlb_detect(): with no IOMMU, x86-64 sets up
 * swiotlb when the highest possible pfn is above 4 GiB.
 * Kernel: arch/x86/kernel/pci-dma.c.
 */
void pci_iommu_alloc(struct machine *m)
{
	if (m->max_pfn > PFN_4G && !m->swiotlb)
		swiotlb_init(m);
}

bool is_swiotlb_buffer(const struct machine *m, uint64_t paddr)
{
	return m->swiotlb && paddr >= m->swiotlb->start && paddr < m->swiotlb->end;
}

void machine_swiotlb_info(const struct machine *m, struct swiotlb_info *out)
{
	const struct swiotlb_pool *p = m->swiotlb;

	memset(out, 0, sizeof(*out));
	out->segsize = IO_TLB_SEGSIZE;
	out->slot_size = IO_TLB_SIZE;
	if (!p)
		return;
	out->active = true;
	out->start = p->start;
	out->end = p->end;
	out->nslabs = p->nslabs;
	out->nareas = p->nareas;
	out->area_nslabs = p->area_nslabs;
	out->used = p->total_used;
}

/*** Mapping ***/

static uint32_t wrap_area_index(const struct swiotlb_pool *p, uint32_t index)
{
	return index >= p->area_nslabs ? 0 : index;
}

/*
 * swiotlb_search_pool_area() - first fit from the area's cursor: a mapping
 * of a page or more starts on a page boundary (so only every other slot is
 * tried), a smaller one on any slot. The pool lies below 4 GiB and so never
 * straddles the default 4 GiB segment boundary. Returns the first slot or -1.
 */
static int search_pool_area(struct swiotlb_pool *p, uint32_t area_index, uint64_t orig,
			    uint64_t alloc_size)
{
	struct io_tlb_area *area = &p->areas[area_index];
	uint64_t align_mask = (alloc_size >= PAGE_SIZE ? PAGE_SIZE - 1 : 0) | (IO_TLB_SIZE - 1);
	uint32_t nslots = nr_slots(alloc_size), stride = (uint32_t)(align_mask >> IO_TLB_SHIFT) + 1;
	uint32_t base = area_index * p->area_nslabs, index = area->index, checked, slot = 0, i;
	uint32_t count = 0;

	if (nslots > p->area_nslabs - area->used)
		return -1;
	for (checked = 0; checked < p->area_nslabs;) {
		slot = base + index;
		if (slot_addr(p->start, slot) & align_mask) {
			index = wrap_area_index(p, index + 1);
			checked++;
			continue;
		}
		if (p->slots[slot].list >= nslots)
			goto found;
		index = wrap_area_index(p, index + stride);
		checked += stride;
	}
	return -1;
found:
	for (i = slot; i < slot + nslots; i++) {
		p->slots[i].list = 0;
		p->slots[i].alloc_size = (uint32_t)(alloc_size - ((uint64_t)(i - slot) << IO_TLB_SHIFT));
		p->slots[i].orig_addr = slot_addr(orig, i - slot);
	}
	for (i = slot; i-- > 0 && io_tlb_offset(i) != IO_TLB_SEGSIZE - 1 && p->slots[i].list;)
		p->slots[i].list = ++count;
	area->index = wrap_area_index(p, index + nslots);
	area->used += nslots;
	p->total_used += nslots;
	return (int)slot;
}

/* swiotlb_find_slots(): the CPU's own area first, then the others in turn. */
static int find_slots(struct swiotlb_pool *p, int cpu, uint64_t orig, uint64_t size)
{
	uint32_t start = (uint32_t)cpu & (p->nareas - 1), i = start;
	int index;

	do {
		index = search_pool_area(p, i, orig, size);
		if (index >= 0)
			return index;
		if (++i >= p->nareas)
			i = 0;
	} while (i != start);
	return -1;
}

static void bounce_event(struct machine *m, uint64_t paddr, uint64_t size, unsigned int bits,
			 uint64_t tlb_addr, const char *detail)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_swiotlb_bounced);
	ev.paddr = paddr;
	ev.pfn = paddr >> PAGE_SHIFT;
	ev.size = size;
	ev.level = (int)bits;
	ev.value = tlb_addr == INVALID_PHYS_ADDR ? -1 : (int64_t)tlb_addr;
	ev.detail = detail;
	emit(m, &ev);
}

/* swiotlb_release_slots(): free a mapping's slots and join the free runs around them. */
static void release_slots(struct swiotlb_pool *p, uint32_t index)
{
	uint32_t nslots = nr_slots(p->slots[index].alloc_size), count, i;
	struct io_tlb_area *area = &p->areas[index / p->area_nslabs];

	count = (index + nslots) % IO_TLB_SEGSIZE ? p->slots[index + nslots].list : 0;
	for (i = index + nslots; i-- > index;) {
		p->slots[i].list = ++count;
		p->slots[i].orig_addr = INVALID_PHYS_ADDR;
		p->slots[i].alloc_size = 0;
	}
	for (i = index; i-- > 0 && io_tlb_offset(i) != IO_TLB_SEGSIZE - 1 && p->slots[i].list;)
		p->slots[i].list = ++count;
	area->used -= nslots;
	p->total_used -= nslots;
}

/*
 * swiotlb_map() - the swiotlb_bounced tracepoint, slots for the buffer
 * (swiotlb_tbl_map_single, which copies the buffer in), then the device
 * must reach the pool itself: if not, the slots go back unsynced and the
 * map fails. Kernel: kernel/dma/swiotlb.c, swiotlb_map().
 */
int swiotlb_map(struct machine *m, uint64_t paddr, uint64_t size, int dir, int cpu,
		uint64_t mask, struct dma_map_info *out, struct mm_error *e)
{
	struct swiotlb_pool *p = m->swiotlb;
	unsigned int bits = mask == UINT64_MAX ? 64 : (unsigned int)__builtin_popcountll(mask);
	uint64_t tlb;
	int index;

	(void)dir;
	index = find_slots(p, cpu, paddr, size);
	if (index < 0) {
		bounce_event(m, paddr, size, bits, INVALID_PHYS_ADDR, "swiotlb buffer is full");
		return mm_error_set(e, -ENOMEM, "swiotlb buffer is full (sz: %" PRIu64 " bytes), "
				    "total %u (slots), used %" PRIu64 " (slots)", size, p->nslabs,
				    p->total_used);
	}
	tlb = slot_addr(p->start, (uint64_t)index);
	snprintf(m->detail, sizeof(m->detail), "slots %d-%u of the swiotlb pool; %" PRIu64
		 " bytes copied into them", index, index + nr_slots(size) - 1, size);
	bounce_event(m, paddr, size, bits, tlb, m->detail);
	if (tlb + size - 1 > mask) {
		release_slots(p, (uint32_t)index);
		return mm_error_set(e, -EIO, "swiotlb addr 0x%" PRIx64 "+%" PRIu64 " overflow "
				    "(mask 0x%" PRIx64 "): the device cannot reach the bounce buffer "
				    "either%s", tlb, size, mask,
				    bits <= 24 ? "; it needs ZONE_DMA memory (kmalloc with GFP_DMA)" : "");
	}
	out->dma_addr = tlb;
	out->bounced = true;
	out->slot = (unsigned int)index;
	out->nslots = nr_slots(size);
	return 0;
}

/* The first slot of a live mapping: in use, and not the continuation of the slot before. */
static bool mapping_start(const struct swiotlb_pool *p, uint32_t i)
{
	const struct io_tlb_slot *s = &p->slots[i];

	if (s->list || !s->alloc_size)
		return false;
	return !i || io_tlb_offset(i) == 0 || p->slots[i - 1].list ||
	       p->slots[i - 1].alloc_size != s->alloc_size + IO_TLB_SIZE ||
	       p->slots[i - 1].orig_addr + IO_TLB_SIZE != s->orig_addr;
}

/*
 * swiotlb_unmap() - __swiotlb_tbl_unmap_single(): copy back for a device
 * that wrote, then release the slots. An address that starts no mapping,
 * or a size other than the mapping's, is refused as the DMA API debug
 * checks refuse it (kernel/dma/debug.c, check_unmap()): the kernel without
 * them would free the wrong slots.
 */
int swiotlb_unmap(struct machine *m, uint64_t tlb_addr, uint64_t size, int dir,
		  struct dma_unmap_info *out, struct mm_error *e)
{
	struct swiotlb_pool *p = m->swiotlb;
	uint64_t off = tlb_addr - p->start;
	uint32_t index = (uint32_t)(off >> IO_TLB_SHIFT);

	if ((off & (IO_TLB_SIZE - 1)) || !mapping_start(p, index))
		return mm_error_set(e, -EINVAL, "device driver tries to free DMA memory it has not "
				    "allocated [device address=0x%" PRIx64 "]", tlb_addr);
	if (p->slots[index].alloc_size != size)
		return mm_error_set(e, -EINVAL, "device driver frees DMA memory with different size "
				    "[device address=0x%" PRIx64 "] [map size=%u bytes] [unmap size=%"
				    PRIu64 " bytes]", tlb_addr, p->slots[index].alloc_size, size);
	out->bounced = true;
	out->orig_phys = p->slots[index].orig_addr;
	out->copied = dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL ? size : 0;
	out->slot = index;
	out->nslots = nr_slots(size);
	release_slots(p, index);
	return 0;
}

/*** Snapshot, clone, release ***/

void swiotlb_state_save(struct snap_writer *w, const struct machine *m)
{
	snap_put_struct(w, m->swiotlb, sizeof(*m->swiotlb));
	if (m->swiotlb)
		snap_put_array(w, m->swiotlb->slots, m->swiotlb->nslabs * sizeof(struct io_tlb_slot));
}

void swiotlb_state_load(struct snap_reader *r, struct machine *m)
{
	struct swiotlb_pool *p = snap_get_struct(r, sizeof(*p));

	m->swiotlb = p;
	if (!p)
		return;
	p->slots = NULL;
	if (r->err || !p->nslabs || p->nslabs > (1u << 24) || !p->nareas ||
	    p->nareas > SWIOTLB_MAX_AREAS || p->area_nslabs * p->nareas != p->nslabs) {
		r->err = r->err ? r->err : -EPROTO;
		return;
	}
	p->slots = snap_get_array(r, p->nslabs * sizeof(struct io_tlb_slot));
	if (!r->err && !p->slots)
		r->err = -EPROTO;
}

int swiotlb_state_clone(struct machine *c, const struct machine *m)
{
	const struct swiotlb_pool *p = m->swiotlb;
	size_t bytes;

	c->swiotlb = NULL;
	if (!p)
		return 0;
	c->swiotlb = malloc(sizeof(*p));
	if (!c->swiotlb)
		return -ENOMEM;
	*c->swiotlb = *p;
	bytes = p->nslabs * sizeof(struct io_tlb_slot);
	c->swiotlb->slots = malloc(bytes);
	if (!c->swiotlb->slots)
		return -ENOMEM;
	memcpy(c->swiotlb->slots, p->slots, bytes);
	return 0;
}

void swiotlb_state_release(struct machine *m)
{
	if (m->swiotlb)
		free(m->swiotlb->slots);
	free(m->swiotlb);
	m->swiotlb = NULL;
}

/*** The self-check ***/

struct s_checker {
	void (*report)(void *ctx, const char *msg);
	void *ctx;
};

static void s_violation(struct s_checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void s_violation(struct s_checker *c, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->report(c->ctx, buf);
}

/* S1: memblock and mem_map agree that the range is the pool's. */
static void check_range(struct s_checker *c, const struct machine *m, uint64_t pfn,
			uint64_t pages, const char *what)
{
	const struct memblock_type *t = &m->memblock.reserved;
	bool found = false;

	for (unsigned long i = 0; i < t->cnt; i++)
		if (t->regions[i].base == pfn && t->regions[i].size == pages &&
		    t->regions[i].owner == OWNER_SWIOTLB)
			found = true;
	if (!found)
		s_violation(c, "S1: swiotlb %s [pfn 0x%" PRIx64 "+%" PRIu64 "] is no memblock "
			    "reservation of its own", what, pfn, pages);
	for (uint64_t i = pfn; i < pfn + pages && i < m->max_pfn; i++)
		if (m->mem_map[i].owner != OWNER_SWIOTLB) {
			s_violation(c, "S1: pfn 0x%" PRIx64 " of the swiotlb %s is owned by %s", i,
				    what, page_owner_name(m->mem_map[i].owner));
			return;
		}
}

/* S2, S3: one slot against its neighbour. */
static void check_slot(struct s_checker *c, const struct swiotlb_pool *p, uint32_t i)
{
	const struct io_tlb_slot *s = &p->slots[i];
	bool last = io_tlb_offset(i) == IO_TLB_SEGSIZE - 1 || i + 1 == p->nslabs;
	const struct io_tlb_slot *n = last ? NULL : &p->slots[i + 1];

	if (s->list) {
		uint32_t want = n && n->list ? n->list + 1 : 1;

		if (s->list != want || s->orig_addr != INVALID_PHYS_ADDR || s->alloc_size)
			s_violation(c, "S2: free swiotlb slot %u: list %u (want %u), orig 0x%" PRIx64
				    ", alloc_size %u", i, s->list, want, s->orig_addr, s->alloc_size);
		return;
	}
	if (s->orig_addr == INVALID_PHYS_ADDR || !s->alloc_size)
		s_violation(c, "S2: swiotlb slot %u is in use with no buffer", i);
	else if (s->alloc_size > IO_TLB_SIZE &&
		 (!n || n->list || n->alloc_size != s->alloc_size - IO_TLB_SIZE ||
		  n->orig_addr != s->orig_addr + IO_TLB_SIZE))
		s_violation(c, "S3: the mapping at swiotlb slot %u (%u bytes left) does not go on "
			    "in slot %u", i, s->alloc_size, i + 1);
}

void swiotlb_check(const struct machine *m, void (*report)(void *ctx, const char *msg),
		   void *ctx)
{
	const struct swiotlb_pool *p = m->swiotlb;
	struct s_checker c = { report, ctx };
	uint64_t total = 0;

	if (!p)
		return;
	check_range(&c, m, p->start >> PAGE_SHIFT, PFN_UP(p->end - p->start), "pool");
	check_range(&c, m, p->slots_pfn, p->slots_pages, "slot array");
	if (p->end > PFN_PHYS(PFN_4G))
		s_violation(&c, "S1: the swiotlb pool ends at 0x%" PRIx64 ", above 4 GiB", p->end);
	for (uint32_t a = 0; a < p->nareas; a++) {
		uint32_t used = 0;

		for (uint32_t i = a * p->area_nslabs; i < (a + 1) * p->area_nslabs; i++) {
			check_slot(&c, p, i);
			used += !p->slots[i].list;
		}
		if (used != p->areas[a].used)
			s_violation(&c, "S4: swiotlb area %u counts %u slots in use, its slots say %u",
				    a, p->areas[a].used, used);
		total += used;
	}
	if (total != p->total_used)
		s_violation(&c, "S4: swiotlb total_used %" PRIu64 ", the areas hold %" PRIu64,
			    p->total_used, total);
}
