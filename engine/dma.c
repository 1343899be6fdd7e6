/*
 * dma.c - mapping a kernel buffer for a device's DMA, without an IOMMU.
 *
 * Mirrors kernel/dma/mapping.c (dma_map_page_attrs) and kernel/dma/direct.c /
 * direct.h (dma_direct_map_page, dma_capable) on x86-64 with no IOMMU and no
 * bounce buffers: the bus address is the physical address, and a device can
 * only reach what lies below its DMA mask. Two ideas to hold:
 *
 *  - A device sees physical memory, so a buffer must be physically
 *    contiguous. kmalloc memory always is (it is a piece of the direct map);
 *    vmalloc memory is only virtually contiguous and is refused as soon as
 *    two of its pages are not neighbours in physical memory.
 *  - A 24-bit ISA device reaches only the first 16 MiB (ZONE_DMA): memory
 *    from kmalloc(GFP_DMA) works, ordinary kmalloc memory does not. The
 *    kernel would bounce through swiotlb or fail the mapping; here it fails.
 */
#include <errno.h>
#include <inttypes.h>

#include "pgtable.h"
#include "slab.h"

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
 * The physical address of a vmalloc buffer if its pages are neighbours;
 * @bad_off is the offset of the first page that breaks the run.
 */
static int vmalloc_phys(const struct machine *m, uint64_t vaddr, uint64_t length,
			uint64_t *paddr, uint64_t *bad_off, uint64_t *pfns)
{
	uint64_t first = vaddr & ~(PAGE_SIZE - 1), last = (vaddr + length - 1) & ~(PAGE_SIZE - 1);
	uint64_t pfn, prev = 0;
	unsigned int shift;

	for (uint64_t va = first; va <= last; va += PAGE_SIZE) {
		if (pgtable_kernel_lookup(m, va, &pfn, &shift))
			return -EFAULT;
		if (va != first && pfn != prev + 1) {
			*bad_off = va - first;
			pfns[0] = prev;
			pfns[1] = pfn;
			return -EINVAL;
		}
		if (va == first)
			*paddr = PFN_PHYS(pfn) + (vaddr & (PAGE_SIZE - 1));
		prev = pfn;
	}
	return 0;
}

int mm_dma_map(struct machine *m, uint64_t vaddr, uint64_t length, unsigned int mask_bits,
	       uint64_t *dma_addr, struct mm_error *e)
{
	uint64_t mask = dma_bit_mask(mask_bits), pa = 0, off = 0, pfns[2];
	unsigned int levels = m->cfg.paging_levels;
	int err;

	if (!length || mask_bits < 12 || mask_bits > 64)
		return mm_error_set(e, -EINVAL, "length must be > 0 and the mask 12..64 bits");
	if (vaddr >= layout_vmalloc_start(levels) && vaddr <= layout_vmalloc_end(levels)) {
		err = vmalloc_phys(m, vaddr, length, &pa, &off, pfns);
		if (err == -EINVAL) {
			mm_error_set(e, err, "vmalloc buffer 0x%" PRIx64 "+%" PRIu64 " is not physically "
				     "contiguous: the page at +0x%" PRIx64 " is pfn 0x%" PRIx64
				     ", after pfn 0x%" PRIx64, vaddr, length, off, pfns[1], pfns[0]);
			return refuse(m, vaddr, length, mask_bits, err, "not physically contiguous", NULL);
		}
	} else {
		err = direct_map_phys(m, vaddr, length, &pa);
	}
	if (err) {
		mm_error_set(e, -EFAULT, "0x%" PRIx64 "+%" PRIu64 " is not kernel memory backed by RAM",
			     vaddr, length);
		return refuse(m, vaddr, length, mask_bits, -EFAULT, "not mapped", NULL);
	}
	/* dma_capable(): the last byte must be within the mask. */
	if (pa + length - 1 > mask) {
		mm_error_set(e, -EIO, "DMA addr 0x%" PRIx64 "+%" PRIu64 " overflow (mask 0x%" PRIx64
			     "): a %u-bit device cannot reach it%s", pa, length, mask, mask_bits,
			     mask_bits <= 24 ? "; it needs ZONE_DMA memory (kmalloc with GFP_DMA)" : "");
		return refuse(m, vaddr, length, mask_bits, -EIO, "above the DMA mask", NULL);
	}
	*dma_addr = pa;
	dma_event(m, vaddr, length, mask_bits, pa, 0, "accepted");
	return 0;
}
