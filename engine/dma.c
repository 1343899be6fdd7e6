/*
 * dma.c - mapping a kernel buffer for a device's DMA, without an IOMMU.
 *
 * Mirrors include/linux/dma-mapping.h (dma_map_single_attrs), kernel/dma/
 * mapping.c (dma_map_page_attrs, dma_unmap_page_attrs) and kernel/dma/
 * direct.h (dma_direct_map_phys, dma_direct_unmap_phys, dma_capable) on
 * x86-64 with no IOMMU: the bus address is the physical address, and a
 * device can only reach what lies below its DMA mask. Three ideas to hold:
 *
 *  - A device sees physical memory, so dma_map_single() takes direct-map
 *    memory only (kmalloc, pages): it refuses every vmalloc address, even a
 *    one-page buffer, since vmalloc memory is only virtually contiguous and
 *    may be remapped.
 *  - A buffer the device cannot reach is bounced through the swiotlb pool
 *    (swiotlb.c) when the machine has one (RAM above 4 GiB): the device is
 *    given an address in the pool, and the data is copied in at map time and
 *    back at unmap time.
 *  - Without a pool, or when the pool itself is out of reach (a 24-bit ISA
 *    device sees only the first 16 MiB, ZONE_DMA), the map fails: such a
 *    device needs kmalloc(GFP_DMA) memory.
 */
#include <errno.h>
#include <inttypes.h>

#include <stdio.h>
#include <string.h>

#include "pgtable.h"
#include "slab.h"
#include "swiotlb.h"

/* DMA_BIT_MASK(n). */
static uint64_t dma_bit_mask(unsigned int bits)
{
	return bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1;
}

static void dma_event(struct machine *m, uint64_t vaddr, uint64_t length, unsigned int bits,
		      uint64_t dma_addr, int err, const char *why)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_dma_map);
	ev.vaddr = vaddr;
	ev.size = length;
	ev.level = (int)bits;
	if (!err) {
		ev.paddr = dma_addr;
		ev.pfn = dma_addr >> PAGE_SHIFT;
	}
	ev.value = err;
	ev.detail = why;
	emit(m, &ev);
}

static int refuse(struct machine *m, uint64_t vaddr, uint64_t length, unsigned int bits,
		  int err, const char *why, struct mm_error *e)
{
	dma_event(m, vaddr, length, bits, 0, err, why);
	if (e)
		e->err = err;
	return err;
}

/* The physical address of a direct-map buffer; -EFAULT when it is not RAM. */
static int direct_map_phys(const struct machine *m, uint64_t vaddr, uint64_t length,
			   uint64_t *paddr)
{
	uint64_t base = page_offset_of(m), pa, pfn;

	if (vaddr < base || vaddr - base >= PFN_PHYS(m->max_pfn) ||
	    length > PFN_PHYS(m->max_pfn) - (vaddr - base))
		return -EFAULT;
	pa = vaddr - base;
	for (pfn = pa >> PAGE_SHIFT; pfn <= (pa + length - 1) >> PAGE_SHIFT; pfn++)
		if (m->mem_map[pfn].owner == OWNER_HOLE || m->mem_map[pfn].owner == OWNER_FREE ||
		    m->mem_map[pfn].owner == OWNER_PCP)
			return -EFAULT;
	*paddr = pa;
	return 0;
}

/*
 * is_vmalloc_addr(): dma_map_single_attrs() refuses any address there with a
 * WARN, whatever frames lie behind it: vmalloc memory may be remapped.
 */
static bool is_vmalloc_addr(const struct machine *m, uint64_t vaddr)
{
	unsigned int levels = m->cfg.paging_levels;

	return vaddr >= layout_vmalloc_start(levels) && vaddr <= layout_vmalloc_end(levels);
}

/*
 * mm_dma_map_attrs() - dma_map_single_attrs() -> dma_map_page_attrs() ->
 * dma_direct_map_phys(): the physical address when the device reaches it
 * (dma_capable()), else a bounce through swiotlb when the machine has a
 * pool (is_swiotlb_active()), else the "overflow" failure.
 * Kernel: include/linux/dma-mapping.h, kernel/dma/mapping.c, kernel/dma/direct.h.
 */
int mm_dma_map_attrs(struct machine *m, uint64_t vaddr, uint64_t length,
		     unsigned int mask_bits, int dir, int cpu, struct dma_map_info *out,
		     struct mm_error *e)
{
	uint64_t mask = dma_bit_mask(mask_bits), pa = 0;
	int err;

	if (!length || mask_bits < 12 || mask_bits > 64)
		return mm_error_set(e, -EINVAL, "length must be > 0 and the mask 12..64 bits");
	if (dir < DMA_BIDIRECTIONAL || dir >= DMA_NONE || cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no such direction or CPU");
	memset(out, 0, sizeof(*out));
	if (is_vmalloc_addr(m, vaddr)) {
		mm_error_set(e, -EINVAL, "rejecting DMA map of vmalloc memory: 0x%" PRIx64 " is a "
			     "vmalloc address, which dma_map_single() never maps, whatever its "
			     "frames (map its pages one by one, or use a scatterlist)", vaddr);
		return refuse(m, vaddr, length, mask_bits, -EINVAL, "vmalloc memory", NULL);
	}
	err = direct_map_phys(m, vaddr, length, &pa);
	if (err) {
		mm_error_set(e, -EFAULT, "0x%" PRIx64 "+%" PRIu64 " is not kernel memory backed by RAM",
			     vaddr, length);
		return refuse(m, vaddr, length, mask_bits, -EFAULT, "not mapped", NULL);
	}
	out->phys = pa;
	/* dma_capable(): the last byte must be within the mask. */
	if (pa + length - 1 <= mask) {
		out->dma_addr = pa;
		dma_event(m, vaddr, length, mask_bits, pa, 0, "accepted");
		return 0;
	}
	if (m->swiotlb) {
		err = swiotlb_map(m, pa, length, dir, cpu, mask, out, e);
		if (err)
			return refuse(m, vaddr, length, mask_bits, err,
				      err == -ENOMEM ? "swiotlb buffer is full" :
				      "above the DMA mask, and so is the swiotlb pool", NULL);
		dma_event(m, vaddr, length, mask_bits, out->dma_addr, 0, "bounced through swiotlb");
		return 0;
	}
	mm_error_set(e, -EIO, "DMA addr 0x%" PRIx64 "+%" PRIu64 " overflow (mask 0x%" PRIx64
		     "): a %u-bit device cannot reach it, and this machine has no swiotlb pool "
		     "(x86-64 sets one up only when RAM reaches above 4 GiB)%s", pa, length, mask,
		     mask_bits, mask_bits <= 24 ? "; it needs ZONE_DMA memory (kmalloc with GFP_DMA)" : "");
	return refuse(m, vaddr, length, mask_bits, -EIO, "above the DMA mask", NULL);
}

int mm_dma_map(struct machine *m, uint64_t vaddr, uint64_t length, unsigned int mask_bits,
	       uint64_t *dma_addr, struct mm_error *e)
{
	struct dma_map_info info;
	int err = mm_dma_map_attrs(m, vaddr, length, mask_bits, DMA_BIDIRECTIONAL, 0, &info, e);

	if (!err)
		*dma_addr = info.dma_addr;
	return err;
}

static void unmap_event(struct machine *m, uint64_t dma_addr, uint64_t length, int dir,
			const struct dma_unmap_info *out)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_dma_unmap);
	ev.paddr = out->bounced ? out->orig_phys : dma_addr;
	ev.pfn = ev.paddr >> PAGE_SHIFT;
	ev.size = length;
	ev.value = (int64_t)out->copied;
	if (out->bounced && out->copied)
		snprintf(m->detail, sizeof(m->detail), "%s: %" PRIu64 " bytes copied back, "
			 "swiotlb slots %u-%u freed", dma_direction_name(dir), out->copied,
			 out->slot, out->slot + out->nslots - 1);
	else if (out->bounced)
		snprintf(m->detail, sizeof(m->detail), "%s: nothing to copy back, swiotlb slots "
			 "%u-%u freed", dma_direction_name(dir), out->slot, out->slot + out->nslots - 1);
	else
		snprintf(m->detail, sizeof(m->detail), "%s: a direct mapping, nothing to do",
			 dma_direction_name(dir));
	ev.detail = m->detail;
	emit(m, &ev);
}

/*
 * mm_dma_unmap() - dma_unmap_single_attrs() -> dma_direct_unmap_phys(): a
 * swiotlb address goes back through swiotlb_tbl_unmap_single(); a direct
 * mapping on a cache-coherent x86-64 device needs nothing.
 * Kernel: kernel/dma/mapping.c, kernel/dma/direct.h.
 */
int mm_dma_unmap(struct machine *m, uint64_t dma_addr, uint64_t length, int dir,
		 struct dma_unmap_info *out, struct mm_error *e)
{
	int err;

	if (!length || dir < DMA_BIDIRECTIONAL || dir >= DMA_NONE)
		return mm_error_set(e, -EINVAL, "length must be > 0 and the direction one of the three");
	memset(out, 0, sizeof(*out));
	if (is_swiotlb_buffer(m, dma_addr)) {
		err = swiotlb_unmap(m, dma_addr, length, dir, out, e);
		if (err)
			return err;
	}
	unmap_event(m, dma_addr, length, dir, out);
	return 0;
}
