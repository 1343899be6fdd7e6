/*
 * layout.h - the x86-64 kernel's virtual address layout, for 4- and 5-level
 * paging. Kernel: arch/x86/include/asm/page_64_types.h, pgtable_64_types.h,
 * Documentation/arch/x86/x86_64/mm.rst (without KASLR: the fixed defaults).
 *
 * Everything above the canonical hole belongs to the kernel; the direct map
 * (PAGE_OFFSET) maps all RAM, vmalloc hands out virtual ranges backed by
 * scattered pages, and the kernel image lives at __START_KERNEL_map + its
 * physical load address.
 */
#ifndef MMLAB_LAYOUT_H
#define MMLAB_LAYOUT_H

#include <stdint.h>

#define PAGE_OFFSET_L4		0xffff888000000000ULL
#define VMALLOC_START_L4	0xffffc90000000000ULL
#define VMALLOC_END_L4		0xffffe8ffffffffffULL	/* 32 TiB */
#define VMEMMAP_START_L4	0xffffea0000000000ULL

#define PAGE_OFFSET_L5		0xff11000000000000ULL
#define VMALLOC_START_L5	0xffa0000000000000ULL
#define VMALLOC_END_L5		0xffd1ffffffffffffULL	/* 12.5 PiB */
#define VMEMMAP_START_L5	0xffd4000000000000ULL

/* LDT_PGD_ENTRY (-240) << PGDIR_SHIFT: the LDT remap for PTI, below PAGE_OFFSET. */
#define LDT_BASE_ADDR_L4	0xffff880000000000ULL
#define LDT_BASE_ADDR_L5	0xff10000000000000ULL

/* The same in both modes: fixed p4d-sized slots near the top (<< P4D_SHIFT). */
#define CPU_ENTRY_AREA_BASE	0xfffffe0000000000ULL	/* CPU_ENTRY_AREA_PGD -4 */
#define ESPFIX_BASE_ADDR	0xffffff0000000000ULL	/* ESPFIX_PGD_ENTRY -2 */
#define EFI_VA_END		0xffffffef00000000ULL	/* -68 GiB: EFI runtime services */

#define __START_KERNEL_map	0xffffffff80000000ULL
#define KERNEL_IMAGE_SIZE	(1024ULL << 20)		/* 1 GiB with KASLR support */
#define MODULES_VADDR		(__START_KERNEL_map + KERNEL_IMAGE_SIZE)
#define MODULES_END		0xffffffffff000000ULL
#define PHYSICAL_START		0x1000000ULL		/* CONFIG_PHYSICAL_START: 16 MiB */

/* The top of user space: TASK_SIZE_MAX for 4 and 5 levels. */
#define TASK_SIZE_MAX_L4	0x00007ffffffff000ULL
#define TASK_SIZE_MAX_L5	0x00fffffffffff000ULL

static inline uint64_t layout_page_offset(unsigned int levels)
{
	return levels == 5 ? PAGE_OFFSET_L5 : PAGE_OFFSET_L4;
}

static inline uint64_t layout_ldt_base(unsigned int levels)
{
	return levels == 5 ? LDT_BASE_ADDR_L5 : LDT_BASE_ADDR_L4;
}

static inline uint64_t layout_vmalloc_start(unsigned int levels)
{
	return levels == 5 ? VMALLOC_START_L5 : VMALLOC_START_L4;
}

static inline uint64_t layout_vmalloc_end(unsigned int levels)
{
	return levels == 5 ? VMALLOC_END_L5 : VMALLOC_END_L4;
}

static inline uint64_t layout_vmemmap_start(unsigned int levels)
{
	return levels == 5 ? VMEMMAP_START_L5 : VMEMMAP_START_L4;
}

static inline uint64_t layout_task_size(unsigned int levels)
{
	return levels == 5 ? TASK_SIZE_MAX_L5 : TASK_SIZE_MAX_L4;
}

/* A canonical address: bits 63..47 (or 63..56) all equal. */
static inline int layout_canonical(uint64_t addr, unsigned int levels)
{
	unsigned int shift = levels == 5 ? 56 : 47;
	uint64_t top = addr >> shift;

	return top == 0 || top == (UINT64_MAX >> shift);
}

#endif /* MMLAB_LAYOUT_H */
