/*
 * swiotlb.h - the software IO TLB: the bounce-buffer pool x86-64 reserves at
 * boot when RAM reaches above 4 GiB (include/linux/swiotlb.h,
 * kernel/dma/swiotlb.c). Internal to the engine: swiotlb.c, dma.c, check.c,
 * snapshot.c and mm_init.c use it.
 */
#ifndef MMLAB_SWIOTLB_H
#define MMLAB_SWIOTLB_H

#include "internal.h"

#define IO_TLB_SHIFT		11
#define IO_TLB_SIZE		(1u << IO_TLB_SHIFT)	/* one slot: 2 KiB */
#define IO_TLB_SEGSIZE		128u			/* slots a mapping may span */
#define IO_TLB_DEFAULT_SIZE	(64ULL << 20)
#define IO_TLB_MIN_SLABS	((1u << 20) >> IO_TLB_SHIFT)
#define SWIOTLB_MAX_AREAS	MACHINE_MAX_CPUS	/* a power of two */
#define INVALID_PHYS_ADDR	UINT64_MAX

/*
 * struct io_tlb_slot: @list is the number of free slots from this one to the
 * end of its segment (0 when the slot is in use), @orig_addr the physical
 * address of the original buffer this slot bounces, @alloc_size the bytes of
 * the mapping from this slot on. The devices modelled have no
 * min_align_mask, so no mapping has padding slots.
 */
struct io_tlb_slot {
	uint64_t orig_addr;
	uint32_t alloc_size;
	uint32_t list;
};

struct io_tlb_area {
	uint32_t index;		/* where the next search starts */
	uint32_t used;		/* slots in use */
};

/* struct io_tlb_pool + io_tlb_mem of the default pool (!CONFIG_SWIOTLB_DYNAMIC). */
struct swiotlb_pool {
	uint64_t start, end;		/* physical bytes [start, end) */
	uint64_t slots_pfn, slots_pages;	/* the memblock holding the slot array */
	uint32_t nslabs, nareas, area_nslabs;
	uint64_t total_used;		/* io_tlb_mem.total_used */
	struct io_tlb_area areas[SWIOTLB_MAX_AREAS];
	struct io_tlb_slot *slots;	/* nslabs of them */
};

/* pci_iommu_alloc(): reserve the pool before memblock_free_all(). */
void pci_iommu_alloc(struct machine *m);
bool is_swiotlb_buffer(const struct machine *m, uint64_t paddr);
/* swiotlb_map(): 0 and the bus address in the pool, or -errno with @e set. */
int swiotlb_map(struct machine *m, uint64_t paddr, uint64_t size, int dir, int cpu,
		uint64_t mask, struct dma_map_info *out, struct mm_error *e);
int swiotlb_unmap(struct machine *m, uint64_t tlb_addr, uint64_t size, int dir,
		  struct dma_unmap_info *out, struct mm_error *e);

void swiotlb_state_save(struct snap_writer *w, const struct machine *m);
void swiotlb_state_load(struct snap_reader *r, struct machine *m);
int swiotlb_state_clone(struct machine *c, const struct machine *m);
void swiotlb_state_release(struct machine *m);
void swiotlb_check(const struct machine *m, void (*report)(void *ctx, const char *msg),
		   void *ctx);

#endif
