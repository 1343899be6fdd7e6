/*
 * pgtable.h - x86-64 page tables, the MMU and the CPUs' paging state, for the
 * engine's own units (pgtable.c, mmu.c, boot.c, mm.c, ptdump.c, and the
 * kernel allocators that map pages, such as vmalloc.c).
 *
 * Kernel: arch/x86/include/asm/pgtable_types.h (the _PAGE_* bits),
 * pgtable_64_types.h (the shifts), asm/tlbflush.h (the flush calls).
 * A page table is a real 4 KiB frame of simulated RAM (PG_table); its 512
 * entries live in a host buffer found through the frame's struct page
 * (page->index is the buffer's slot), so a walk reads entries "by physical
 * address": from a pfn in CR3 or in an entry to the next table's entries.
 */
#ifndef MMLAB_PGTABLE_H
#define MMLAB_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/*** Entry bits (arch/x86/include/asm/pgtable_types.h) ***/

#define _PAGE_BIT_PRESENT	0
#define _PAGE_BIT_RW		1
#define _PAGE_BIT_USER		2
#define _PAGE_BIT_PWT		3
#define _PAGE_BIT_PCD		4
#define _PAGE_BIT_ACCESSED	5
#define _PAGE_BIT_DIRTY		6
#define _PAGE_BIT_PSE		7
#define _PAGE_BIT_GLOBAL	8
#define _PAGE_BIT_NX		63

#define _PAGE_PRESENT	(1ULL << _PAGE_BIT_PRESENT)
#define _PAGE_RW	(1ULL << _PAGE_BIT_RW)
#define _PAGE_USER	(1ULL << _PAGE_BIT_USER)
#define _PAGE_PWT	(1ULL << _PAGE_BIT_PWT)
#define _PAGE_PCD	(1ULL << _PAGE_BIT_PCD)
#define _PAGE_ACCESSED	(1ULL << _PAGE_BIT_ACCESSED)
#define _PAGE_DIRTY	(1ULL << _PAGE_BIT_DIRTY)
#define _PAGE_PSE	(1ULL << _PAGE_BIT_PSE)
#define _PAGE_GLOBAL	(1ULL << _PAGE_BIT_GLOBAL)
#define _PAGE_NX	(1ULL << _PAGE_BIT_NX)

/* Bits 51..12: the frame (or next table) address. */
#define PTE_PFN_MASK	0x000ffffffffff000ULL
#define PTE_FLAGS_MASK	(~PTE_PFN_MASK)

#define _KERNPG_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define _PAGE_TABLE	(_KERNPG_TABLE | _PAGE_USER)

#define PAGE_KERNEL		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | \
				 _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_RO		(_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_EXEC	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | \
				 _PAGE_GLOBAL)
#define PAGE_KERNEL_ROX		(_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_GLOBAL)
#define PAGE_KERNEL_LARGE	(PAGE_KERNEL | _PAGE_PSE)

/*** Geometry ***/

#define PTRS_PER_TABLE	512
#define PTE_SHIFT	12
#define PMD_SHIFT	21
#define PUD_SHIFT	30
#define P4D_SHIFT	39
#define PGDIR_SHIFT_L4	39
#define PGDIR_SHIFT_L5	48
#define PMD_SIZE	(1ULL << PMD_SHIFT)
#define PUD_SIZE	(1ULL << PUD_SHIFT)

/* Levels as the events number them: 1 = pte .. 5 = pgd of a 5-level walk. */
enum pt_level { PT_PTE = 1, PT_PMD = 2, PT_PUD = 3, PT_P4D = 4, PT_PGD5 = 5 };

/* The address bits that index a table of @level. */
static inline unsigned int pt_level_shift(int level)
{
	return PTE_SHIFT + 9u * (unsigned int)(level - 1);
}

static inline unsigned int pt_index(uint64_t vaddr, int level)
{
	return (unsigned int)(vaddr >> pt_level_shift(level)) & (PTRS_PER_TABLE - 1);
}

static inline uint64_t pte_pfn(uint64_t entry)
{
	return (entry & PTE_PFN_MASK) >> PAGE_SHIFT;
}

/*** Interface for the kernel allocators (vmalloc.c) ***/

/*
 * Map one 4 KiB page at kernel address @vaddr to @pfn with the x86 entry bits
 * @prot (PAGE_KERNEL, ...), allocating page-table pages as needed; a pte_set
 * event. -EINVAL for a user or non-canonical address, -EEXIST when a mapping
 * is already there, -ENOMEM when no table page can be had.
 */
int pgtable_kernel_map(struct machine *m, uint64_t vaddr, uint64_t pfn, uint64_t prot);
/* Clear the 4 KiB PTE at @vaddr (its pfn in @pfn, may be NULL); pte_clear. -EFAULT if none. */
int pgtable_kernel_unmap(struct machine *m, uint64_t vaddr, uint64_t *pfn);
/* flush_tlb_kernel_range(): drop [start, end) from every CPU's TLB; tlb_flush events. */
void flush_tlb_kernel_range(struct machine *m, uint64_t start, uint64_t end);
/*
 * A walk of the kernel page tables with no side effect: the frame that maps
 * @vaddr (the 4 KiB frame within a huge page) and the mapping's page shift
 * (12, 21 or 30). -EFAULT when nothing maps it.
 */
int pgtable_kernel_lookup(const struct machine *m, uint64_t vaddr, uint64_t *pfn,
			  unsigned int *page_shift);

#endif /* MMLAB_PGTABLE_H */
