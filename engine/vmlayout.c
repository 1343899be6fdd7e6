/*
 * vmlayout.c - the x86-64 virtual address layout as regions, each with the
 * page sizes that map it in this machine's page tables right now.
 *
 * Kernel: Documentation/arch/x86/x86_64/mm.rst (the map for 4- and 5-level
 * paging), arch/x86/include/asm/pgtable_64_types.h (the bases and sizes) and
 * arch/x86/include/asm/fixmap.h (FIXADDR_TOP). The bounds come from layout.h;
 * the page sizes come from a walk of the tables: the kernel's (init_mm) for
 * the upper half and every process's for user space, counting the bytes each
 * leaf size maps, as arch/x86/mm/dump_pagetables.c sees leaves.
 */
#include <errno.h>
#include <string.h>

#include "layout.h"
#include "pgtable.h"

/* One PGD slot of the LDT remap (LDT_PGD_ENTRY) and other fixed sizes, by levels. */
#define TB (1ULL << 40)
#define PB (1ULL << 50)
/* FIXADDR_TOP: round_up(VSYSCALL_ADDR + PAGE_SIZE, PMD_SIZE) - PAGE_SIZE (asm/fixmap.h). */
#define VSYSCALL_ADDR 0xffffffffff600000ULL
#define FIXADDR_TOP ((VSYSCALL_ADDR + PAGE_SIZE + PMD_SIZE - 1) / PMD_SIZE * PMD_SIZE - PAGE_SIZE)

static void region(struct mm_vm_region *r, unsigned int *n, unsigned int cap, const char *name,
		   const char *kind, const char *label, uint64_t start, uint64_t end)
{
	if (*n >= cap)
		return;
	memset(&r[*n], 0, sizeof(r[*n]));
	r[*n].name = name;
	r[*n].kind = kind;
	r[*n].label = label;
	r[*n].start = start;
	r[*n].end = end;
	(*n)++;
}

/*
 * The regions of mm.rst, lowest first. The direct map, vmemmap and the LDT
 * remap are sized as the layout reserves them (DIRECT_MAP_PHYSMEM_END,
 * one or a few PGD slots), not as far as RAM reaches; FIXADDR_START depends
 * on the configuration, so the fixmap starts where the modules end.
 */
static unsigned int layout_regions(unsigned int levels, struct mm_vm_region *r, unsigned int cap)
{
	bool l5 = levels == 5;
	uint64_t user_top = l5 ? 1ULL << 56 : 1ULL << 47;
	uint64_t kernel_low = l5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
	unsigned int n = 0;

	region(r, &n, cap, "user", "user", "user-space virtual memory, different per mm",
	       0, layout_task_size(levels));
	region(r, &n, cap, "non_canonical", "hole", "non-canonical hole: bits 63.." \
	       "47 (56) must all be equal", user_top, kernel_low);
	region(r, &n, cap, "hypervisor_hole", "hole", "guard hole, reserved for a hypervisor",
	       kernel_low, layout_ldt_base(levels));
	region(r, &n, cap, "ldt_remap", "kernel", "LDT remap for PTI", layout_ldt_base(levels),
	       layout_ldt_base(levels) + (l5 ? PB / 4 : TB / 2));
	region(r, &n, cap, "direct_map", "kernel",
	       "direct mapping of all physical memory (page_offset_base)",
	       layout_page_offset(levels), layout_page_offset(levels) + (l5 ? 32 * PB : 64 * TB));
	region(r, &n, cap, "vmalloc", "kernel", "vmalloc/ioremap space (vmalloc_base)",
	       layout_vmalloc_start(levels), layout_vmalloc_end(levels) + 1);
	region(r, &n, cap, "vmemmap", "kernel", "virtual memory map: struct pages (vmemmap_base)",
	       layout_vmemmap_start(levels), layout_vmemmap_start(levels) + (l5 ? PB / 2 : TB));
	region(r, &n, cap, "cpu_entry_area", "kernel", "cpu_entry_area mapping",
	       CPU_ENTRY_AREA_BASE, CPU_ENTRY_AREA_BASE + TB / 2);
	region(r, &n, cap, "espfix", "kernel", "%esp fixup stacks",
	       ESPFIX_BASE_ADDR, ESPFIX_BASE_ADDR + TB / 2);
	region(r, &n, cap, "efi", "kernel", "EFI region mapping space", EFI_VA_END,
	       0xffffffff00000000ULL);
	region(r, &n, cap, "kernel_text", "kernel",
	       "kernel text mapping (__START_KERNEL_map), mapped to physical address 0",
	       __START_KERNEL_map, MODULES_VADDR);
	region(r, &n, cap, "modules", "kernel", "module mapping space", MODULES_VADDR, MODULES_END);
	region(r, &n, cap, "fixmap", "kernel", "fixmap, with the legacy vsyscall page",
	       MODULES_END, FIXADDR_TOP);
	return n;
}

struct layout_walk {
	const struct machine *m;
	struct mm_vm_region *r;
	unsigned int n;
	unsigned int last;		/* the region of the previous leaf: leaves come in runs */
};

static void count_leaf(struct layout_walk *w, uint64_t va, int level)
{
	unsigned int size = level == PT_PTE ? 0 : level == PT_PMD ? 1 : 2;
	unsigned int i;

	if (!(va >= w->r[w->last].start && va < w->r[w->last].end)) {
		for (i = 0; i < w->n; i++)
			if (va >= w->r[i].start && va < w->r[i].end)
				break;
		if (i == w->n)
			return;		/* an unnamed hole: LDT-free slots, KASAN, ... */
		w->last = i;
	}
	w->r[w->last].mapped[size] += 1ULL << pt_level_shift(level);
}

/* Present leaves of @table (of @level) whose address lies in [first, last] slots. */
static void walk_table(struct layout_walk *w, uint64_t table, int level, uint64_t base,
		       unsigned int first, unsigned int last)
{
	const uint64_t *e = pt_table(w->m, table);
	int top = (int)pt_levels(w->m);

	for (unsigned int i = first; i <= last; i++) {
		uint64_t va = base + ((uint64_t)i << pt_level_shift(level));

		if (!(e[i] & _PAGE_PRESENT))
			continue;
		if (level == top && i >= PTRS_PER_TABLE / 2)
			va |= top == 5 ? 0xff00000000000000ULL : 0xffff000000000000ULL;
		if (entry_is_leaf(e[i], level))
			count_leaf(w, va, level);
		else if (pt_is_table(w->m, pte_pfn(e[i])))
			walk_table(w, pte_pfn(e[i]), level - 1, va, 0, PTRS_PER_TABLE - 1);
	}
}

int mm_vmlayout(const struct machine *m, struct mm_vm_region *r, unsigned int cap)
{
	struct layout_walk w = { m, r, 0, 0 };
	int top = (int)pt_levels(m);

	w.n = layout_regions(pt_levels(m), r, cap);
	if (!w.n)
		return 0;
	if (m->x86->init_top_pgt)
		walk_table(&w, m->x86->init_top_pgt, top, 0, PTRS_PER_TABLE / 2,
			   PTRS_PER_TABLE - 1);
	for (unsigned int i = 0; i < m->x86->nr_mms; i++)
		walk_table(&w, m->x86->mms[i].pgd, top, 0, 0, PTRS_PER_TABLE / 2 - 1);
	return (int)w.n;
}
