/*
 * physaddr.c - __pa() / virt_to_phys() on x86-64, with and without
 * CONFIG_DEBUG_VIRTUAL (the machine key "debug_virtual").
 *
 * Kernel: arch/x86/include/asm/page_64.h (__phys_addr_nodebug) and
 * arch/x86/mm/physaddr.c (__phys_addr with CONFIG_DEBUG_VIRTUAL).
 *
 * Ideas to hold:
 *  - __pa() is arithmetic, not a lookup. An address at or above
 *    __START_KERNEL_map is taken for the kernel image mapping (x -
 *    __START_KERNEL_map + phys_base); any other is taken for the direct map
 *    (x - PAGE_OFFSET). Nothing looks at the page tables or at RAM.
 *  - So without CONFIG_DEBUG_VIRTUAL (distribution kernels) a vmalloc,
 *    vmemmap, module or user address silently gives a number that is not
 *    where the memory is. The result here says why it is wrong and, when the
 *    address is mapped, which frame really lies behind it.
 *  - With CONFIG_DEBUG_VIRTUAL, __phys_addr() checks only the arithmetic:
 *    an image address must lie within KERNEL_IMAGE_SIZE, a direct-map one at
 *    or above PAGE_OFFSET and below the CPU's physical address width
 *    (phys_addr_valid()). Failing either is VIRTUAL_BUG_ON(), a BUG(): an
 *    oops. A hole in the direct map still passes.
 *  - The CPU modelled reports 46 physical address bits (CPUID 0x80000008,
 *    x86_phys_bits), the most 4-level paging can map (MAX_PHYSMEM_BITS).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pgtable.h"

#define X86_PHYS_BITS		46
#define PHYSADDR_LINE_IMAGE	23	/* the VIRTUAL_BUG_ON()s of __phys_addr() */
#define PHYSADDR_LINE_DIRECT	28

static void virt_to_phys_event(struct machine *m, uint64_t vaddr, uint64_t paddr,
			       int err, const char *what)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_virt_to_phys);
	ev.vaddr = vaddr;
	ev.paddr = err ? MM_NA_U64 : paddr;
	ev.pfn = err ? MM_NA_U64 : PHYS_PFN(paddr);
	ev.value = err;
	ev.detail = what;
	emit(m, &ev);
}

static void oops_event(struct machine *m, uint64_t vaddr, const char *what)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_oops);
	ev.vaddr = vaddr;
	ev.detail = what;
	emit(m, &ev);
}

/* phys_addr_valid(): no bit at or above the CPU's physical address width. */
static bool phys_addr_valid(uint64_t pa)
{
	return !(pa >> X86_PHYS_BITS);
}

/* Where the address really leads, for the explanation of a wrong __pa(). */
static void real_frame(const struct machine *m, uint64_t vaddr, char *buf, size_t len)
{
	uint64_t pfn;

	if (!pgtable_kernel_lookup(m, vaddr, &pfn, NULL))
		snprintf(buf, len, "; the page tables map it to physical 0x%" PRIx64,
			 PFN_PHYS(pfn) + (vaddr & (PAGE_SIZE - 1)));
	else
		snprintf(buf, len, "; the kernel page tables map nothing there");
}

/*
 * Is __pa()'s answer where the memory is? Else say why not: in @out->why at
 * length, in @what for the event (a recorded detail is short).
 */
static bool pa_is_right(struct machine *m, uint64_t vaddr, uint64_t pa, bool image,
			struct virt_to_phys_info *out, char *what, size_t len)
{
	const struct x86_state *x = m->x86;
	int region = mm_region_of(m, vaddr);
	bool ram = PHYS_PFN(pa) < m->max_pfn && memblock_is_memory(m, PHYS_PFN(pa));
	char where[96];

	if (image && PHYS_PFN(pa) >= x->kernel_pfn && PHYS_PFN(pa) < x->kernel_pfn + x->kernel_pages) {
		snprintf(what, len, "kernel image");
		return true;
	}
	if (!image && region == REGION_DIRECT_MAP && ram && x->boot_stage >= BOOT_DIRECT_MAP) {
		snprintf(what, len, "direct map");
		return true;
	}
	real_frame(m, vaddr, where, sizeof(where));
	if (image) {
		snprintf(what, len, "wrong: %s address, x - __START_KERNEL_map + phys_base",
			 mm_region_name(region));
		snprintf(out->why, sizeof(out->why), "wrong: 0x%016" PRIx64 " lies past the kernel "
			 "image (%s), but __pa() takes any address at or above __START_KERNEL_map "
			 "for the image and returns x - __START_KERNEL_map + phys_base%s", vaddr,
			 mm_region_name(region), where);
	} else if (region == REGION_DIRECT_MAP && ram) {
		snprintf(what, len, "wrong for now: the direct map is not built yet");
		snprintf(out->why, sizeof(out->why), "wrong for now: 0x%016" PRIx64 " is RAM's "
			 "direct-map address, but the direct map is not built yet at this boot "
			 "stage; __pa() gives the number all the same", vaddr);
	} else if (region == REGION_DIRECT_MAP) {
		snprintf(what, len, "no RAM: a hole in the direct map's range");
		snprintf(out->why, sizeof(out->why), "no RAM: 0x%016" PRIx64 " is in the direct "
			 "map's range, but no RAM lies at physical 0x%" PRIx64 "; __pa() does not "
			 "check", vaddr, pa);
	} else {
		snprintf(what, len, "wrong: %s address, x - PAGE_OFFSET", mm_region_name(region));
		snprintf(out->why, sizeof(out->why), "wrong: 0x%016" PRIx64 " is a %s address, not "
			 "in the direct map, but __pa() returns x - PAGE_OFFSET for any address below "
			 "__START_KERNEL_map%s", vaddr, mm_region_name(region), where);
	}
	return false;
}

/* VIRTUAL_BUG_ON(): the oops, and the op fails. */
static int phys_addr_bug(struct machine *m, uint64_t vaddr, int line, const char *test,
			 struct mm_error *e)
{
	snprintf(m->detail, sizeof(m->detail), "kernel BUG at arch/x86/mm/physaddr.c:%d!", line);
	oops_event(m, vaddr, m->detail);
	virt_to_phys_event(m, vaddr, 0, -EFAULT, m->detail);
	return mm_error_set(e, -EFAULT, "%s __phys_addr(0x%016" PRIx64 "): %s "
			    "(CONFIG_DEBUG_VIRTUAL)", m->detail, vaddr, test);
}

/*
 * mm_virt_to_phys_info() - __phys_addr_nodebug(), or __phys_addr() when the
 * machine has debug_virtual.
 */
int mm_virt_to_phys_info(struct machine *m, uint64_t vaddr, struct virt_to_phys_info *out,
			 struct mm_error *e)
{
	uint64_t po = layout_page_offset(pt_levels(m)), y = vaddr - __START_KERNEL_map;
	bool image = vaddr >= __START_KERNEL_map;
	uint64_t pa = image ? y + m->x86->phys_base : vaddr - po;

	memset(out, 0, sizeof(*out));
	if (m->cfg.debug_virtual && image && y >= KERNEL_IMAGE_SIZE)
		return phys_addr_bug(m, vaddr, PHYSADDR_LINE_IMAGE,
				     "past KERNEL_IMAGE_SIZE above __START_KERNEL_map", e);
	if (m->cfg.debug_virtual && !image && (vaddr < po || !phys_addr_valid(pa)))
		return phys_addr_bug(m, vaddr, PHYSADDR_LINE_DIRECT, vaddr < po ?
				     "below PAGE_OFFSET" : "x - PAGE_OFFSET is wider than the "
				     "CPU's 46 physical address bits", e);
	out->paddr = pa;
	out->right = pa_is_right(m, vaddr, pa, image, out, m->detail, sizeof(m->detail));
	if (out->right)
		snprintf(out->why, sizeof(out->why), "%s", m->detail);
	virt_to_phys_event(m, vaddr, pa, 0, m->detail);
	return 0;
}

int mm_virt_to_phys(struct machine *m, uint64_t vaddr, uint64_t *paddr, struct mm_error *e)
{
	struct virt_to_phys_info info;
	int err = mm_virt_to_phys_info(m, vaddr, &info, e);

	if (!err)
		*paddr = info.paddr;
	return err;
}
