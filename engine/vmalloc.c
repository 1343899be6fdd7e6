/*
 * vmalloc.c - virtually contiguous kernel memory.
 *
 * Mirrors mm/vmalloc.c of Linux 6.18: alloc_vmap_area() (the lowest free
 * range that fits the size plus one guard page), __get_vm_area_node(),
 * __vmalloc_node_range() / __vmalloc_area_node() / vm_area_alloc_pages() /
 * vmap_pages_range(), vfree() / remove_vm_area() / free_vmap_area_noflush()
 * and the lazy purge (__purge_vmap_area_lazy()), vmalloc_to_page() and
 * /proc/vmallocinfo (vmalloc_info_show()). Ideas to hold before reading on:
 *
 *  - A vmalloc area is a range of kernel virtual addresses between
 *    VMALLOC_START and VMALLOC_END whose pages come one order-0 page at a
 *    time from the buddy allocator, so they are physically scattered, and
 *    are mapped with 4 KiB PTEs into the kernel page tables (pgtable.c).
 *    __pa() does not work on such an address; vmalloc_to_page() walks.
 *  - The bookkeeping is kernel memory too: the vm_struct (72 bytes in 6.18,
 *    so kmalloc-96) and the pages array (8 bytes a page: kmalloc'd up to a
 *    page, vmalloc'd beyond, with the same caller) show in the slab caches.
 *    The vmap_area records themselves (vmap_area_cachep in the kernel) are
 *    kept in host arrays here, sorted by address.
 *  - vfree() is lazy, as in the kernel: the area is unmapped without a TLB
 *    flush (vunmap_range_noflush()), its pages and metadata go back at once,
 *    but its virtual range waits on the lazy list ("unpurged vm_area" in
 *    /proc/vmallocinfo) and counts in vmap_lazy_nr. Once more than
 *    lazy_max_pages() = fls(CPUs) * 32 MiB of pages wait, or an allocation
 *    finds no room, one purge flushes the TLBs once over the whole span of
 *    the waiting ranges and gives the ranges back. Until then, CPUs may
 *    still hold TLB entries for a lazily freed range: nothing may touch it,
 *    and nothing else is put there before the flush.
 *
 * Design notes: the invariants that vmalloc_check() verifies.
 *  V1. Busy and free ranges are sorted, page aligned, never overlap, cover
 *      [VMALLOC_START, VMALLOC_END) exactly, and no two free ranges touch
 *      (they would have merged).
 *  V2. Every busy area spans its pages plus one guard page, and the guard
 *      page is mapped by nothing.
 *  V3. Page i of an area is mapped at va_start + i * PAGE_SIZE by a 4 KiB PTE
 *      to pfns[i] (vmalloc_to_page agrees), is an order-0 block owned by
 *      "vmalloc", and every page owned by "vmalloc" is in exactly one area
 *      exactly once.
 *  V4. The vm_struct is a live kmalloc object; the pages array is a live
 *      kmalloc object when it fits a page, otherwise the start of another
 *      busy area just large enough for it.
 *  V5. Lazily freed ranges are sorted, page aligned, tile the space with
 *      the busy and free ones without overlap, map nothing, and their pages
 *      sum to vmap_lazy_nr, which is at most lazy_max_pages() between calls.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "pgtable.h"
#include "slab.h"

#define VM_STRUCT_SIZE		72	/* sizeof(struct vm_struct) on x86-64, 6.18 */
#define VMALLOC_CALLER_LEN	64
#define DEFAULT_CALLER		"mmlab_vmalloc_op+0x1c/0x40"

/* A busy vmap_area with its vm_struct. */
struct vm_area {
	uint64_t va_start, va_end;	/* [start, end): pages and the guard page */
	uint64_t vm_struct_addr;	/* kmalloc'd */
	uint64_t pages_addr;		/* kmalloc'd, or a vmalloc area's start */
	bool pages_vmalloc;
	uint32_t nr_pages;
	uint64_t *pfns;			/* what the pages array holds */
	char caller[VMALLOC_CALLER_LEN];
};

struct free_va {
	uint64_t va_start, va_end;
};

struct vmalloc_state {
	struct vm_area *busy;		/* sorted by va_start */
	uint32_t nr_busy, cap_busy;
	struct free_va *free;		/* sorted by va_start */
	uint32_t nr_free, cap_free;
	uint64_t vstart, vend;
	bool up;
	/* vfree()d ranges waiting for the purge (vmap_node.lazy) */
	struct free_va *lazy;		/* sorted by va_start */
	uint32_t nr_lazy, cap_lazy;
	uint64_t vmap_lazy_nr;		/* pages of the lazy ranges */
};

static struct vmalloc_state *vs(const struct machine *m)
{
	return m->vmalloc;
}

/*** The free ranges (the kernel's free_vmap_area_root) ***/

static int grow(void **arr, uint32_t *cap, size_t elem)
{
	uint32_t ncap = *cap ? *cap * 2 : 16;
	void *p = realloc(*arr, ncap * elem);

	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/*
 * __alloc_vmap_area() - the lowest free range where @size bytes fit below
 * @vend; the range is cut from its left edge (a left-edge or full fit, as
 * page alignment always gives here). Kernel: mm/vmalloc.c,
 * __alloc_vmap_area() / find_vmap_lowest_match() / va_clip().
 */
static int __alloc_vmap_area(struct vmalloc_state *st, uint64_t size, uint64_t *addr)
{
	for (uint32_t i = 0; i < st->nr_free; i++) {
		struct free_va *f = &st->free[i];

		if (f->va_end - f->va_start < size || f->va_start + size > st->vend)
			continue;
		*addr = f->va_start;
		f->va_start += size;
		if (f->va_start == f->va_end) {
			memmove(f, f + 1, (st->nr_free - i - 1) * sizeof(*f));
			st->nr_free--;
		}
		return 0;
	}
	return -ENOMEM;
}

/*
 * merge_or_add_vmap_area() - give [start, end) back to the free ranges,
 * merging with a neighbour on either side. Returns -ENOMEM only when a new
 * record is needed and the host has none.
 */
static int merge_or_add_vmap_area(struct vmalloc_state *st, uint64_t start, uint64_t end)
{
	uint32_t i = 0;
	bool left, right;

	while (i < st->nr_free && st->free[i].va_start < start)
		i++;
	left = i > 0 && st->free[i - 1].va_end == start;
	right = i < st->nr_free && st->free[i].va_start == end;
	if (left && right) {
		st->free[i - 1].va_end = st->free[i].va_end;
		memmove(&st->free[i], &st->free[i + 1], (st->nr_free - i - 1) * sizeof(st->free[0]));
		st->nr_free--;
	} else if (left) {
		st->free[i - 1].va_end = end;
	} else if (right) {
		st->free[i].va_start = start;
	} else {
		if (st->nr_free == st->cap_free &&
		    grow((void **)&st->free, &st->cap_free, sizeof(st->free[0])))
			return -ENOMEM;
		memmove(&st->free[i + 1], &st->free[i], (st->nr_free - i) * sizeof(st->free[0]));
		st->free[i] = (struct free_va){ start, end };
		st->nr_free++;
	}
	return 0;
}

/*** Busy areas (the kernel's vmap_area_root) ***/

static int find_busy(const struct vmalloc_state *st, uint64_t addr)
{
	uint32_t lo = 0, hi = st->nr_busy;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (st->busy[mid].va_start < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->nr_busy && st->busy[lo].va_start == addr ? (int)lo : -1;
}

/* The busy area that contains @addr (guard page included), or -1. */
static int find_busy_containing(const struct vmalloc_state *st, uint64_t addr)
{
	for (uint32_t i = 0; i < st->nr_busy; i++)
		if (addr >= st->busy[i].va_start && addr < st->busy[i].va_end)
			return (int)i;
	return -1;
}

static int insert_busy(struct vmalloc_state *st, const struct vm_area *a)
{
	uint32_t i = 0;

	if (st->nr_busy == st->cap_busy &&
	    grow((void **)&st->busy, &st->cap_busy, sizeof(st->busy[0])))
		return -ENOMEM;
	while (i < st->nr_busy && st->busy[i].va_start < a->va_start)
		i++;
	memmove(&st->busy[i + 1], &st->busy[i], (st->nr_busy - i) * sizeof(st->busy[0]));
	st->busy[i] = *a;
	st->nr_busy++;
	return 0;
}

static void va_event(struct machine *m, int type, uint64_t start, uint64_t end, int cpu,
		     int64_t value, const char *detail)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.cpu = cpu;
	ev.vaddr = start;
	ev.size = end - start;
	ev.value = value;
	ev.detail = detail;
	emit(m, &ev);
}

static bool purge_vmap_area_lazy(struct machine *m, int cpu);

/*
 * alloc_vmap_area() - a virtual range of @size bytes (the guard page
 * included) with a vmap_area_alloc event.
 */
static int alloc_vmap_area(struct machine *m, uint64_t size, int cpu, uint64_t *addr,
			   struct mm_error *e)
{
	/* overflow: one purge of the lazy ranges, then one more try. */
	if (__alloc_vmap_area(vs(m), size, addr) &&
	    (!purge_vmap_area_lazy(m, cpu) || __alloc_vmap_area(vs(m), size, addr)))
		return mm_error_set(e, -ENOMEM,
				    "vmap allocation for size %" PRIu64 " failed: no free range that large "
				    "between VMALLOC_START and VMALLOC_END", size);
	va_event(m, MM_EV_vmap_area_alloc, *addr, *addr + size, cpu, 0, "busy");
	return 0;
}

static void free_vmap_area(struct machine *m, uint64_t start, uint64_t end, int cpu)
{
	/* A free record may be needed only when neither neighbour is free. */
	int err = merge_or_add_vmap_area(vs(m), start, end);

	SIM_BUG_ON(err);
	va_event(m, MM_EV_vmap_area_free, start, end, cpu, 0, "free");
}

/*** The lazy list (vmap_node.lazy, vmap_lazy_nr) ***/

/* fls(): the position of the highest set bit, 1-based; 0 for 0. */
static unsigned int fls_u(unsigned int x)
{
	return x ? 32 - (unsigned int)__builtin_clz(x) : 0;
}

/*
 * lazy_max_pages() - how many pages of freed ranges may wait for a purge:
 * 32 MiB worth for each bit of the CPU count, fls(num_online_cpus()).
 * Kernel: mm/vmalloc.c, lazy_max_pages().
 */
static uint64_t lazy_max_pages(const struct machine *m)
{
	return (uint64_t)fls_u(m->nr_cpus) * (32ULL * SZ_1M / PAGE_SIZE);
}

/*
 * __purge_vmap_area_lazy() - every lazy range at once: one
 * flush_tlb_kernel_range() from the lowest start to the highest end, then
 * each range goes back to the free ones (merging) and vmap_lazy_nr drops.
 * A purge_vmap_area_lazy event names the span and the areas purged.
 * Returns whether anything was purged. Kernel: mm/vmalloc.c,
 * __purge_vmap_area_lazy() / purge_vmap_node() / reclaim_list_global().
 */
static bool purge_vmap_area_lazy(struct machine *m, int cpu)
{
	struct vmalloc_state *st = vs(m);
	uint64_t start, end;
	uint32_t n = st->nr_lazy;

	if (!n)
		return false;
	start = st->lazy[0].va_start;
	end = st->lazy[n - 1].va_end;
	flush_tlb_kernel_range(m, start, end);
	for (uint32_t i = 0; i < n; i++) {
		st->vmap_lazy_nr -= (st->lazy[i].va_end - st->lazy[i].va_start) >> PAGE_SHIFT;
		free_vmap_area(m, st->lazy[i].va_start, st->lazy[i].va_end, cpu);
	}
	st->nr_lazy = 0;
	SIM_BUG_ON(st->vmap_lazy_nr);
	va_event(m, MM_EV_purge_vmap_area_lazy, start, end, cpu, n, NULL);
	return true;
}

/*
 * free_vmap_area_noflush() - an unmapped range joins the lazy list in
 * address order and vmap_lazy_nr grows by its pages (guard page included).
 * The event carries the range, with value = vmap_lazy_nr, as the tracepoint
 * does. Past lazy_max_pages() the kernel queues the purge to a worker;
 * drain_vmap_area_work() runs it when the vfree() is over.
 * Kernel: mm/vmalloc.c, free_vmap_area_noflush().
 */
static void free_vmap_area_noflush(struct machine *m, uint64_t start, uint64_t end, int cpu)
{
	struct vmalloc_state *st = vs(m);
	uint32_t i = 0;

	if (st->nr_lazy == st->cap_lazy)
		SIM_BUG_ON(grow((void **)&st->lazy, &st->cap_lazy, sizeof(st->lazy[0])));
	while (i < st->nr_lazy && st->lazy[i].va_start < start)
		i++;
	memmove(&st->lazy[i + 1], &st->lazy[i], (st->nr_lazy - i) * sizeof(st->lazy[0]));
	st->lazy[i] = (struct free_va){ start, end };
	st->nr_lazy++;
	st->vmap_lazy_nr += (end - start) >> PAGE_SHIFT;
	snprintf(m->detail, sizeof(m->detail), "nr_lazy=%" PRIu64 " nr_lazy_max=%" PRIu64,
		 st->vmap_lazy_nr, lazy_max_pages(m));
	va_event(m, MM_EV_free_vmap_area_noflush, start, end, cpu, (int64_t)st->vmap_lazy_nr,
		 m->detail);
}

/*
 * drain_vmap_area_work() - the worker free_vmap_area_noflush() queued once
 * vmap_lazy_nr passed lazy_max_pages(); it runs here at the end of the
 * vfree() that queued it, so the pages array's area is on the list too.
 * Kernel: mm/vmalloc.c, drain_vmap_area_work().
 */
static void drain_vmap_area_work(struct machine *m, int cpu)
{
	if (vs(m)->vmap_lazy_nr > lazy_max_pages(m))
		purge_vmap_area_lazy(m, cpu);
}

/*** vmalloc / vfree ***/

static int __vmalloc_node(struct machine *m, uint64_t size, int cpu, const char *caller,
			  uint64_t *addr, struct mm_error *e);
static void __vfree_area(struct machine *m, struct vm_area *a, int cpu);

/* vmap_pages_range() for one page, with its vmap_page event. */
static int vmap_page(struct machine *m, uint64_t vaddr, uint64_t pfn, int cpu, struct mm_error *e)
{
	int err = pgtable_kernel_map(m, vaddr, pfn, PAGE_KERNEL);

	if (err)
		return mm_error_set(e, err, "cannot map vmalloc page at 0x%" PRIx64 " (%s)", vaddr,
				    mm_errno_name(err));
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_vmap_page);
		ev.cpu = cpu;
		ev.vaddr = vaddr;
		ev.pfn = pfn;
		ev.paddr = PFN_PHYS(pfn);
		ev.size = PAGE_SIZE;
		ev.node = m->mem_map[pfn].node;
		ev.zone = m->mem_map[pfn].zone;
		emit(m, &ev);
	}
	return 0;
}

/*
 * __vmalloc_area_node() - the pages array (kmalloc'd up to a page, else
 * vmalloc'd), the pages one by one from the buddy, each mapped into place.
 * On failure everything taken so far is given back by the caller.
 * Kernel: mm/vmalloc.c, __vmalloc_area_node() / vm_area_alloc_pages().
 */
static int __vmalloc_area_node(struct machine *m, struct vm_area *a, int cpu, struct mm_error *e)
{
	uint64_t array_size = (uint64_t)a->nr_pages * 8;
	const gfp_t gfp = GFP_KERNEL | __GFP_HIGHMEM | __GFP_NOWARN;
	int err;

	if (array_size > PAGE_SIZE) {
		err = __vmalloc_node(m, array_size, cpu, a->caller, &a->pages_addr, e);
		a->pages_vmalloc = true;
	} else {
		err = __kmalloc(m, array_size, GFP_KERNEL | __GFP_ZERO, cpu, &a->pages_addr, e);
	}
	if (err) {
		a->pages_addr = 0;
		return err;
	}
	for (uint32_t i = 0; i < a->nr_pages; i++) {
		struct alloc_pages_result r;

		err = __alloc_pages(m, gfp, 0, -1, cpu, OWNER_VMALLOC, &r, e);
		if (err)
			return err;
		a->pfns[i] = r.pfn;
		err = vmap_page(m, a->va_start + (uint64_t)i * PAGE_SIZE, r.pfn, cpu, e);
		if (err) {
			SIM_BUG_ON(__free_pages_owner(m, r.pfn, 0, cpu, OWNER_VMALLOC, NULL));
			a->pfns[i] = PFN_NIL;
			return err;
		}
	}
	return 0;
}

/*
 * __vmalloc_node() - __get_vm_area_node() (the vm_struct with kzalloc, a
 * range with its guard page) then __vmalloc_area_node().
 * Kernel: mm/vmalloc.c, __vmalloc_node_range_noprof().
 */
static int __vmalloc_node(struct machine *m, uint64_t size, int cpu, const char *caller,
			  uint64_t *addr, struct mm_error *e)
{
	struct vm_area a = { 0 };
	uint64_t nr_pages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	int err;

	if (!size || nr_pages > (m->totalram_pages ? m->totalram_pages : 1))
		return mm_error_set(e, -ENOMEM, "vmalloc error: size %" PRIu64 ", exceeds total pages",
				    size);
	a.nr_pages = (uint32_t)nr_pages;
	snprintf(a.caller, sizeof(a.caller), "%s", caller);
	a.pfns = malloc(nr_pages * sizeof(uint64_t));
	if (!a.pfns)
		return mm_error_set(e, -ENOMEM, "out of host memory");
	for (uint64_t i = 0; i < nr_pages; i++)
		a.pfns[i] = PFN_NIL;
	err = __kmalloc(m, VM_STRUCT_SIZE, GFP_KERNEL | __GFP_ZERO, cpu, &a.vm_struct_addr, e);
	if (err) {
		free(a.pfns);
		return err;
	}
	err = alloc_vmap_area(m, (nr_pages + 1) << PAGE_SHIFT, cpu, &a.va_start, e);
	if (err) {
		SIM_BUG_ON(__kfree(m, a.vm_struct_addr, cpu, NULL));
		free(a.pfns);
		return err;
	}
	a.va_end = a.va_start + ((nr_pages + 1) << PAGE_SHIFT);
	err = __vmalloc_area_node(m, &a, cpu, e);
	if (!err)
		err = insert_busy(vs(m), &a);
	if (err) {
		__vfree_area(m, &a, cpu);
		drain_vmap_area_work(m, cpu);
		return err;
	}
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_vmalloc);
		ev.cpu = cpu;
		ev.vaddr = a.va_start;
		ev.size = size;
		ev.value = a.nr_pages;
		ev.detail = vs(m)->busy[find_busy(vs(m), a.va_start)].caller;
		emit(m, &ev);
	}
	*addr = a.va_start;
	return 0;
}

/*
 * __vfree_area() - unmap without a flush and put the range on the lazy list
 * (remove_vm_area() -> free_unmap_vmap_area(): vunmap_range_noflush(),
 * free_vmap_area_noflush()), then free the pages, the pages array and the
 * vm_struct (works on a half-built area too). Kernel: mm/vmalloc.c, vfree().
 */
static void __vfree_area(struct machine *m, struct vm_area *a, int cpu)
{
	for (uint32_t i = 0; i < a->nr_pages; i++) {
		uint64_t pfn;

		if (a->pfns[i] == PFN_NIL)
			continue;
		if (pgtable_kernel_unmap(m, a->va_start + (uint64_t)i * PAGE_SIZE, &pfn) == 0)
			SIM_BUG_ON(pfn != a->pfns[i]);
	}
	free_vmap_area_noflush(m, a->va_start, a->va_end, cpu);
	for (uint32_t i = 0; i < a->nr_pages; i++)
		if (a->pfns[i] != PFN_NIL)
			SIM_BUG_ON(__free_pages_owner(m, a->pfns[i], 0, cpu, OWNER_VMALLOC, NULL));
	if (a->pages_addr && a->pages_vmalloc) {
		int i = find_busy(vs(m), a->pages_addr);
		struct vm_area inner;

		SIM_BUG_ON(i < 0);
		inner = vs(m)->busy[i];
		memmove(&vs(m)->busy[i], &vs(m)->busy[i + 1],
			(vs(m)->nr_busy - (uint32_t)i - 1) * sizeof(inner));
		vs(m)->nr_busy--;
		__vfree_area(m, &inner, cpu);
		va_event(m, MM_EV_vfree, inner.va_start, inner.va_end, cpu, inner.nr_pages, inner.caller);
	} else if (a->pages_addr) {
		SIM_BUG_ON(__kfree(m, a->pages_addr, cpu, NULL));
	}
	SIM_BUG_ON(__kfree(m, a->vm_struct_addr, cpu, NULL));
	free(a->pfns);
	a->pfns = NULL;
}

static int vmalloc_ready(const struct machine *m, int cpu, struct mm_error *e)
{
	if (!vs(m) || !vs(m)->up)
		return mm_error_set(e, -EPERM, "vmalloc is not up yet (vmalloc_init)");
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	return 0;
}

int mm_vmalloc(struct machine *m, uint64_t size, int cpu, const char *caller, uint64_t *addr,
	       struct mm_error *e)
{
	int err = vmalloc_ready(m, cpu, e);

	if (err)
		return err;
	return __vmalloc_node(m, size, cpu, caller && *caller ? caller : DEFAULT_CALLER, addr, e);
}

/* vfree(): @addr must be the start of a vmalloc area. */
int mm_vfree(struct machine *m, uint64_t addr, int cpu, struct mm_error *e)
{
	struct vm_area a;
	int i, err = vmalloc_ready(m, cpu, e);

	if (err)
		return err;
	if (!addr) {
		va_event(m, MM_EV_vfree, 0, 0, cpu, 0, NULL);
		return 0;
	}
	i = find_busy(vs(m), addr);
	if (i < 0) {
		int in = find_busy_containing(vs(m), addr);

		if (in >= 0)
			return mm_error_set(e, -EINVAL,
					    "Trying to vfree() 0x%" PRIx64 ": inside the area at 0x%" PRIx64
					    ", not its start", addr, vs(m)->busy[in].va_start);
		return mm_error_set(e, -EINVAL, "Trying to vfree() nonexistent vm area (0x%" PRIx64 ")",
				    addr);
	}
	a = vs(m)->busy[i];
	for (uint32_t k = 0; k < vs(m)->nr_busy; k++)
		if (vs(m)->busy[k].pages_vmalloc && vs(m)->busy[k].pages_addr == addr)
			return mm_error_set(e, -EINVAL,
					    "0x%" PRIx64 " is the pages array of the area at 0x%" PRIx64
					    ": it goes with that area", addr, vs(m)->busy[k].va_start);
	memmove(&vs(m)->busy[i], &vs(m)->busy[i + 1],
		(vs(m)->nr_busy - (uint32_t)i - 1) * sizeof(a));
	vs(m)->nr_busy--;
	__vfree_area(m, &a, cpu);
	va_event(m, MM_EV_vfree, a.va_start, a.va_end, cpu, a.nr_pages, a.caller);
	drain_vmap_area_work(m, cpu);
	return 0;
}

/* vmalloc_to_page(): a walk of the kernel page tables. */
int mm_vmalloc_to_pfn(const struct machine *m, uint64_t addr, uint64_t *pfn, struct mm_error *e)
{
	unsigned int shift;
	int err;

	if (!vs(m) || addr < vs(m)->vstart || addr >= vs(m)->vend)
		return mm_error_set(e, -EINVAL, "0x%" PRIx64 " is not a vmalloc address", addr);
	err = pgtable_kernel_lookup(m, addr, pfn, &shift);
	if (err)
		return mm_error_set(e, -EFAULT, "nothing maps 0x%" PRIx64, addr);
	return 0;
}

/*** Views ***/

unsigned int machine_vmalloc_areas(const struct machine *m)
{
	return vs(m) ? vs(m)->nr_busy : 0;
}

int machine_vmalloc_area(const struct machine *m, unsigned int i, struct vmalloc_area_info *info)
{
	const struct vm_area *a;

	if (!vs(m) || i >= vs(m)->nr_busy)
		return -ENOENT;
	a = &vs(m)->busy[i];
	memset(info, 0, sizeof(*info));
	info->addr = a->va_start;
	info->end = a->va_end;
	info->size = a->va_end - a->va_start;
	info->nr_pages = a->nr_pages;
	info->pfns = a->pfns;
	info->vm_struct_addr = a->vm_struct_addr;
	info->pages_addr = a->pages_addr;
	info->pages_vmalloc = a->pages_vmalloc;
	snprintf(info->caller, sizeof(info->caller), "%s", a->caller);
	return 0;
}

unsigned int machine_vmalloc_lazy_areas(const struct machine *m)
{
	return vs(m) ? vs(m)->nr_lazy : 0;
}

int machine_vmalloc_lazy_area(const struct machine *m, unsigned int i, uint64_t *start,
			      uint64_t *end)
{
	if (!vs(m) || i >= vs(m)->nr_lazy)
		return -ENOENT;
	*start = vs(m)->lazy[i].va_start;
	*end = vs(m)->lazy[i].va_end;
	return 0;
}

void machine_vmalloc_lazy(const struct machine *m, uint64_t *nr, uint64_t *max)
{
	*nr = vs(m) ? vs(m)->vmap_lazy_nr : 0;
	*max = lazy_max_pages(m);
}

bool vmalloc_lazy_contains(const struct machine *m, uint64_t addr)
{
	const struct vmalloc_state *st = vs(m);

	for (uint32_t i = 0; st && i < st->nr_lazy; i++)
		if (addr >= st->lazy[i].va_start && addr < st->lazy[i].va_end)
			return true;
	return false;
}

int vmalloc_fields(struct machine *m, uint64_t addr, struct vmalloc_fields *f)
{
	struct vmalloc_state *st = vs(m);
	int i = st && st->up ? find_busy_containing(st, addr) : -1;

	if (i < 0)
		return -ENOENT;
	f->area_end = &st->busy[i].va_end;
	f->area_pfns = st->busy[i].pfns;
	f->area_vm_struct = &st->busy[i].vm_struct_addr;
	f->area_nr_pages = st->busy[i].nr_pages;
	f->last_free_end = st->nr_free ? &st->free[st->nr_free - 1].va_end : NULL;
	f->vmap_lazy_nr = &st->vmap_lazy_nr;
	return 0;
}

/* show_numa_info(): " N<node>=<pages>" for every node that gave pages. */
static size_t numa_info(const struct machine *m, const struct vm_area *a, char *buf, size_t len)
{
	size_t pos = 0;

	for (unsigned int node = 0; node < m->nr_nodes; node++) {
		unsigned int count = 0;

		for (uint32_t i = 0; i < a->nr_pages; i++)
			count += a->pfns[i] != PFN_NIL && m->mem_map[a->pfns[i]].node == node;
		if (count)
			pos += (size_t)snprintf(buf + pos, len - pos, " N%u=%u", node, count);
	}
	return pos;
}

/*
 * /proc/vmallocinfo: one line per busy area as vmalloc_info_show() prints a
 * VM_ALLOC area (" vpages" when its pages array is vmalloc'd, the per-node
 * page counts of CONFIG_NUMA), then the lazy ranges as show_purge_info()
 * does. Kernel: mm/vmalloc.c.
 */
char *proc_vmallocinfo(const struct machine *m)
{
	unsigned int n = machine_vmalloc_areas(m), nl = machine_vmalloc_lazy_areas(m);
	size_t cap = 64 + (size_t)n * (96 + VMALLOC_CALLER_LEN + 16 * m->nr_nodes) +
		     (size_t)nl * 64, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (unsigned int i = 0; i < n; i++) {
		const struct vm_area *a = &vs(m)->busy[i];

		len += (size_t)snprintf(buf + len, cap - len,
					"0x%016" PRIx64 "-0x%016" PRIx64 " %7" PRIu64 " %s pages=%u vmalloc%s",
					a->va_start, a->va_end, a->va_end - a->va_start, a->caller,
					a->nr_pages, a->pages_vmalloc ? " vpages" : "");
		len += numa_info(m, a, buf + len, cap - len);
		len += (size_t)snprintf(buf + len, cap - len, "\n");
	}
	for (unsigned int i = 0; i < nl; i++) {
		const struct free_va *l = &vs(m)->lazy[i];

		len += (size_t)snprintf(buf + len, cap - len,
					"0x%016" PRIx64 "-0x%016" PRIx64 " %7" PRIu64 " unpurged vm_area\n",
					l->va_start, l->va_end, l->va_end - l->va_start);
	}
	SIM_BUG_ON(len >= cap);
	return buf;
}

/*** The machine's share ***/

int vmalloc_state_create(struct machine *m)
{
	struct vmalloc_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->cap_free = 16;
	st->free = calloc(st->cap_free, sizeof(*st->free));
	if (!st->free) {
		free(st);
		return -ENOMEM;
	}
	m->vmalloc = st;
	return 0;
}

/* vmalloc_init(): all of [VMALLOC_START, VMALLOC_END) is one free range. */
void vmalloc_init(struct machine *m)
{
	struct vmalloc_state *st = vs(m);

	if (st->up)
		return;
	st->vstart = layout_vmalloc_start(m->cfg.paging_levels);
	st->vend = layout_vmalloc_end(m->cfg.paging_levels) + 1;	/* VMALLOC_END is inclusive */
	st->free[0] = (struct free_va){ st->vstart, st->vend };
	st->nr_free = 1;
	st->up = true;
}

int vmalloc_state_clone(struct machine *dst, const struct machine *src)
{
	const struct vmalloc_state *s = src->vmalloc;
	struct vmalloc_state *d;

	dst->vmalloc = NULL;
	if (!s)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	*d = *s;
	d->busy = NULL;
	d->free = NULL;
	d->lazy = NULL;
	d->nr_busy = 0;
	dst->vmalloc = d;
	d->free = malloc((s->cap_free ? s->cap_free : 1) * sizeof(*d->free));
	d->busy = calloc(s->cap_busy ? s->cap_busy : 1, sizeof(*d->busy));
	d->lazy = malloc((s->cap_lazy ? s->cap_lazy : 1) * sizeof(*d->lazy));
	if (!d->free || !d->busy || !d->lazy)
		return -ENOMEM;
	if (s->nr_free)		/* memcpy() from NULL is undefined even for 0 bytes */
		memcpy(d->free, s->free, s->nr_free * sizeof(*d->free));
	if (s->nr_lazy)
		memcpy(d->lazy, s->lazy, s->nr_lazy * sizeof(*d->lazy));
	for (uint32_t i = 0; i < s->nr_busy; i++) {
		d->busy[i] = s->busy[i];
		d->busy[i].pfns = malloc(s->busy[i].nr_pages * sizeof(uint64_t));
		if (!d->busy[i].pfns)
			return -ENOMEM;
		memcpy(d->busy[i].pfns, s->busy[i].pfns, s->busy[i].nr_pages * sizeof(uint64_t));
		d->nr_busy = i + 1;
	}
	return 0;
}

void vmalloc_state_save(struct snap_writer *w, const struct machine *m)
{
	const struct vmalloc_state *s = m->vmalloc;

	snap_put_struct(w, s, sizeof(*s));
	if (!s)
		return;
	snap_put_array(w, s->free, s->nr_free * sizeof(*s->free));
	snap_put_array(w, s->busy, s->nr_busy * sizeof(*s->busy));
	for (uint32_t i = 0; i < s->nr_busy; i++)
		snap_put_array(w, s->busy[i].pfns, s->busy[i].nr_pages * sizeof(uint64_t));
	/* the lazy ranges (vfree is lazy) */
	snap_put_array(w, s->lazy, s->nr_lazy * sizeof(*s->lazy));
}

void vmalloc_state_load(struct snap_reader *r, struct machine *m)
{
	struct vmalloc_state *d = snap_get_struct(r, sizeof(*d));
	uint32_t nr_busy;

	if (!d)
		return;
	nr_busy = d->nr_busy;
	d->busy = NULL;
	d->free = NULL;
	d->lazy = NULL;
	d->nr_busy = 0;
	m->vmalloc = d;
	if (nr_busy > d->cap_busy || d->nr_free > d->cap_free || d->nr_lazy > d->cap_lazy) {
		r->err = -EPROTO;
		return;
	}
	d->free = snap_get_array(r, (d->cap_free ? d->cap_free : 1) * sizeof(*d->free));
	d->busy = snap_get_array(r, (d->cap_busy ? d->cap_busy : 1) * sizeof(*d->busy));
	if (!r->err && (!d->free || !d->busy))
		r->err = -EPROTO;
	if (r->err)
		return;
	for (uint32_t i = 0; i < nr_busy; i++)
		d->busy[i].pfns = NULL;
	for (uint32_t i = 0; i < nr_busy && !r->err; i++) {
		d->busy[i].pfns = snap_get_array(r, d->busy[i].nr_pages * sizeof(uint64_t));
		d->nr_busy = i + 1;
	}
	/* the lazy ranges */
	d->lazy = snap_get_array(r, (d->cap_lazy ? d->cap_lazy : 1) * sizeof(*d->lazy));
	if (!r->err && !d->lazy)
		r->err = -EPROTO;
}

void vmalloc_state_release(struct machine *m)
{
	struct vmalloc_state *st = m->vmalloc;

	if (!st)
		return;
	for (uint32_t i = 0; i < st->nr_busy; i++)
		free(st->busy[i].pfns);
	free(st->busy);
	free(st->free);
	free(st->lazy);
	free(st);
	m->vmalloc = NULL;
}

/*** Self-check (the design notes' invariants V1-V5) ***/

struct vm_checker {
	const struct machine *m;
	void (*report)(void *ctx, const char *msg);
	void *ctx;
	uint8_t *seen;		/* one bit per pfn */
};

static void vm_violation(struct vm_checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vm_violation(struct vm_checker *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mm_vreport(c->report, c->ctx, fmt, ap);
	va_end(ap);
}

/* The next range in address order of three sorted lists; 0 busy, 1 free, 2 lazy. */
static int next_range(const struct vmalloc_state *st, const uint32_t at[3], uint64_t *s,
		      uint64_t *e)
{
	const uint64_t starts[3] = {
		at[0] < st->nr_busy ? st->busy[at[0]].va_start : UINT64_MAX,
		at[1] < st->nr_free ? st->free[at[1]].va_start : UINT64_MAX,
		at[2] < st->nr_lazy ? st->lazy[at[2]].va_start : UINT64_MAX,
	};
	int k = 0;

	for (int j = 1; j < 3; j++)
		if (starts[j] < starts[k])
			k = j;
	if (starts[k] == UINT64_MAX)
		return -1;
	*s = starts[k];
	*e = k == 0 ? st->busy[at[0]].va_end : k == 1 ? st->free[at[1]].va_end
						       : st->lazy[at[2]].va_end;
	return k;
}

/* V1 and V5: the ranges, busy, free and lazy, tile the vmalloc space in order. */
static void check_ranges(struct vm_checker *c)
{
	static const char *const kind[3] = { "busy", "free", "lazy" };
	const struct vmalloc_state *st = vs(c->m);
	uint64_t at = st->vstart, s, e;
	uint32_t idx[3] = { 0, 0, 0 };
	bool prev_free = false;
	int k;

	while ((k = next_range(st, idx, &s, &e)) >= 0) {
		if (s != at || e <= s || (s | e) & (PAGE_SIZE - 1) || (k == 1 && prev_free)) {
			vm_violation(c, "%s: %s range [0x%" PRIx64 ", 0x%" PRIx64 ") where 0x%" PRIx64
				     " was expected%s", k == 2 ? "V5" : "V1", kind[k], s, e, at,
				     k == 1 && prev_free ? " (two free ranges touch)" : "");
			return;
		}
		at = e;
		prev_free = k == 1;
		idx[k]++;
	}
	if (at != st->vend)
		vm_violation(c, "V1: the ranges end at 0x%" PRIx64 ", VMALLOC_END is 0x%" PRIx64,
			     at, st->vend);
}

/* V5: a lazy range maps nothing; vmap_lazy_nr is their pages, within the limit. */
static void check_lazy(struct vm_checker *c)
{
	const struct machine *m = c->m;
	const struct vmalloc_state *st = vs(m);
	uint64_t pages = 0, pfn;
	unsigned int shift;

	for (uint32_t i = 0; i < st->nr_lazy; i++) {
		const struct free_va *l = &st->lazy[i];

		for (uint64_t va = l->va_start; va < l->va_end; va += PAGE_SIZE)
			if (pgtable_kernel_lookup(m, va, &pfn, &shift) == 0) {
				vm_violation(c, "V5: lazily freed 0x%" PRIx64 " still maps pfn 0x%"
					     PRIx64, va, pfn);
				break;
			}
		pages += (l->va_end - l->va_start) >> PAGE_SHIFT;
	}
	if (pages != st->vmap_lazy_nr || st->vmap_lazy_nr > lazy_max_pages(m))
		vm_violation(c, "V5: the lazy ranges hold %" PRIu64 " pages, vmap_lazy_nr is %"
			     PRIu64 " (lazy_max_pages %" PRIu64 ")", pages, st->vmap_lazy_nr,
			     lazy_max_pages(m));
}

/* V2-V4 for one busy area. */
static void check_area(struct vm_checker *c, const struct vm_area *a)
{
	const struct machine *m = c->m;
	uint64_t pfn, ks;
	unsigned int shift;

	if (a->va_end - a->va_start != ((uint64_t)a->nr_pages + 1) << PAGE_SHIFT)
		vm_violation(c, "V2: area 0x%" PRIx64 " spans %" PRIu64 " bytes for %u pages",
			     a->va_start, a->va_end - a->va_start, a->nr_pages);
	if (pgtable_kernel_lookup(m, a->va_end - PAGE_SIZE, &pfn, &shift) == 0)
		vm_violation(c, "V2: the guard page of area 0x%" PRIx64 " is mapped (pfn 0x%" PRIx64 ")",
			     a->va_start, pfn);
	for (uint32_t i = 0; i < a->nr_pages; i++) {
		uint64_t va = a->va_start + (uint64_t)i * PAGE_SIZE, want = a->pfns[i];
		const struct page *p;

		if (pgtable_kernel_lookup(m, va, &pfn, &shift) || pfn != want || shift != PAGE_SHIFT) {
			vm_violation(c, "V3: 0x%" PRIx64 " should map pfn 0x%" PRIx64 " with a 4 KiB PTE",
				     va, want);
			continue;
		}
		p = &m->mem_map[pfn];
		if (p->owner != OWNER_VMALLOC || p->compound_head != pfn || p->order)
			vm_violation(c, "V3: pfn 0x%" PRIx64 " of area 0x%" PRIx64 " is %s, order %u",
				     pfn, a->va_start, page_owner_name(p->owner), p->order);
		if (c->seen[pfn >> 3] & (1u << (pfn & 7)))
			vm_violation(c, "V3: pfn 0x%" PRIx64 " is in a vmalloc area twice", pfn);
		c->seen[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
	}
	if (mm_ksize(m, a->vm_struct_addr, &ks, NULL))
		vm_violation(c, "V4: the vm_struct of area 0x%" PRIx64 " (0x%" PRIx64 ") is no kmalloc object",
			     a->va_start, a->vm_struct_addr);
	if (a->pages_vmalloc) {
		int i = find_busy(vs(m), a->pages_addr);

		if (i < 0 || vs(m)->busy[i].nr_pages !=
			     ((uint64_t)a->nr_pages * 8 + PAGE_SIZE - 1) / PAGE_SIZE)
			vm_violation(c, "V4: the pages array of area 0x%" PRIx64 " is no area of its size",
				     a->va_start);
	} else if ((uint64_t)a->nr_pages * 8 > PAGE_SIZE || mm_ksize(m, a->pages_addr, &ks, NULL)) {
		vm_violation(c, "V4: the pages array of area 0x%" PRIx64 " is no kmalloc object",
			     a->va_start);
	}
}

void vmalloc_check(const struct machine *m, void (*report)(void *ctx, const char *msg), void *ctx)
{
	struct vm_checker c = { m, report, ctx, NULL };
	uint64_t owned = 0, mapped = 0;

	if (!vs(m) || !vs(m)->up)
		return;
	c.seen = calloc((m->max_pfn >> 3) + 1, 1);
	if (!c.seen) {
		report(ctx, "V0: out of host memory for the vmalloc check");
		return;
	}
	check_ranges(&c);
	check_lazy(&c);
	for (uint32_t i = 0; i < vs(m)->nr_busy; i++) {
		check_area(&c, &vs(m)->busy[i]);
		mapped += vs(m)->busy[i].nr_pages;
	}
	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn++)
		owned += m->mem_map[pfn].owner == OWNER_VMALLOC;
	if (owned != mapped)
		vm_violation(&c, "V3: %" PRIu64 " pages are owned by vmalloc, the areas hold %" PRIu64,
			     owned, mapped);
	free(c.seen);
}
