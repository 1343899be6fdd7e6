/*
 * mm.c - processes: an mm_struct with its own PGD, VMAs managed by mmap,
 * munmap and brk, demand paging of anonymous memory, SIGSEGV, and exit.
 *
 * Kernel: kernel/fork.c (mm_alloc), arch/x86/mm/pgtable.c (pgd_alloc,
 * pgd_ctor), mm/mmap.c (get_unmapped_area top-down, do_mmap, brk),
 * mm/vma.c (splitting on munmap), mm/memory.c (handle_mm_fault,
 * do_anonymous_page, zap_pte_range, free_pgtables), arch/x86/mm/fault.c
 * (do_user_addr_fault, access_error), fs/proc/task_mmu.c (show_map_vma).
 *
 * Ideas to hold:
 *  - A process PGD is a fresh table whose kernel half is a copy of
 *    init_top_pgt's entries: the kernel's own lower tables are shared.
 *  - Nothing is mapped at mmap time. The first read of a page faults and
 *    maps the shared zero page read-only (do_anonymous_page): nothing is
 *    allocated and RSS does not move. The first write gets a zeroed
 *    GFP_HIGHUSER_MOVABLE page, either at once (do_anonymous_page) or by
 *    copy-on-write from the zero page (do_wp_page -> wp_page_copy).
 *  - A user page's _mapcount is its PTEs less one (-1 unmapped); the zero
 *    page is a special PTE with no map count. MM_ANONPAGES counts a
 *    process's anonymous pages, MM_FILEPAGES the page-cache pages it maps.
 *  - Anonymous pages are swap-backed, point at their VMA's anon_vma and go
 *    on the inactive anon LRU list (folio_add_lru_vma()); file pages come
 *    from the page cache (filemap.c). fork copies the PTEs of the VMAs that
 *    need it (vma_needs_copy()), write-protecting private writable ones in
 *    both processes; the first write copies the page, or reuses it when no
 *    one else holds it (do_wp_page()). Kernel: mm/mmap.c (dup_mmap),
 *    mm/memory.c (copy_present_ptes, do_wp_page, wp_page_copy, do_read_fault,
 *    do_cow_fault, do_shared_fault), mm/rmap.c (anon_vma_prepare/fork).
 *  - A process's VMAs are an array sorted by address that never overlap;
 *    finding the VMA of an address, or the first one a range meets, is a
 *    binary search, as the kernel's maple tree is a search tree. Inserting
 *    or removing one moves the array's tail (memmove), which the kernel's
 *    tree does not have to do.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "layout.h"
#include "lru.h"
#include "memcontrol.h"
#include "oom.h"
#include "pgtable.h"
#include "swap.h"
#include "vmscan.h"

#define ELF_ET_DYN_BASE		0x555555554000ULL
#define START_BRK		0x555555559000ULL
#define STACK_TOP_L4		0x7ffffffff000ULL
#define STACK_SIZE		(132 * 1024ULL)
#define MAX_PROCESSES		4096

struct mm_struct *find_mm(const struct machine *m, int pid)
{
	const struct x86_state *x = m->x86;
	unsigned int i;

	for (i = 0; i < x->nr_mms; i++)
		if (x->mms[i].pid == pid)
			return &x->mms[i];
	return NULL;
}

static uint64_t pt_used(const struct machine *m)
{
	return m->x86->pt.nr - m->x86->pt.nr_free;
}

/*** VMAs ***/

/*
 * The first VMA that ends above @addr (@by_start false), or that starts
 * above it (true): nr_vmas when none. A binary search over the sorted VMAs
 * that do not overlap, as the kernel's maple tree finds a VMA in O(log n).
 */
static unsigned int vma_search(const struct mm_struct *mm, uint64_t addr, bool by_start)
{
	unsigned int lo = 0, hi = mm->nr_vmas;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (by_start ? mm->vmas[mid].vm_start <= addr : mm->vmas[mid].vm_end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static unsigned int vma_lower_bound(const struct mm_struct *mm, uint64_t addr)
{
	return vma_search(mm, addr, false);
}

int vma_index(const struct mm_struct *mm, uint64_t addr)
{
	unsigned int i = vma_lower_bound(mm, addr);

	return i < mm->nr_vmas && mm->vmas[i].vm_start <= addr ? (int)i : -1;
}

static struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr)
{
	int i = vma_index(mm, addr);

	return i >= 0 ? &mm->vmas[i] : NULL;
}

static bool range_free(const struct mm_struct *mm, uint64_t s, uint64_t e)
{
	unsigned int i = vma_lower_bound(mm, s);

	return i >= mm->nr_vmas || mm->vmas[i].vm_start >= e;
}

/* A VMA was added, removed, or moved against its object: rmap's offsets are to be found again. */
static void vmas_changed(struct mm_struct *mm)
{
	mm->rmap_offsets_valid = false;
}

static int vma_insert_at(struct mm_struct *mm, uint64_t s, uint64_t e, unsigned int flags,
			 const char *name, unsigned int *at)
{
	unsigned int i;

	if (mm->nr_vmas == mm->cap_vmas) {
		unsigned int cap = mm->cap_vmas ? mm->cap_vmas * 2 : 8;
		struct vm_area_struct *v = realloc(mm->vmas, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		mm->vmas = v;
		mm->cap_vmas = cap;
	}
	i = vma_search(mm, s, true);	/* a split inserts beside the VMA it cuts */
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nr_vmas - i) * sizeof(*mm->vmas));
	mm->vmas[i] = (struct vm_area_struct){ .vm_start = s, .vm_end = e, .vm_flags = flags,
					      .vm_pgoff = s >> PAGE_SHIFT };
	snprintf(mm->vmas[i].name, sizeof(mm->vmas[i].name), "%s", name);
	mm->nr_vmas++;
	vmas_changed(mm);
	*at = i;
	return 0;
}

static int vma_insert(struct mm_struct *mm, uint64_t s, uint64_t e, unsigned int flags,
		      const char *name)
{
	unsigned int at;

	return vma_insert_at(mm, s, e, flags, name, &at);
}

/* A VMA's references: its file (get_file()) and its anon_vma chain. */
static void vma_get_refs(struct machine *m, const struct vm_area_struct *v)
{
	if (v->vm_file)
		file_by_id(m, v->vm_file - 1)->nr_mmaps++;
	if (v->anon_vma)
		get_anon_vma(m, v->anon_vma);
}

static void vma_put_refs(struct machine *m, const struct vm_area_struct *v)
{
	if (v->vm_file)
		file_by_id(m, v->vm_file - 1)->nr_mmaps--;
	if (v->anon_vma)
		put_anon_vma(m, v->anon_vma);
}

static void vma_remove(struct machine *m, struct mm_struct *mm, unsigned int i)
{
	vma_put_refs(m, &mm->vmas[i]);
	memmove(&mm->vmas[i], &mm->vmas[i + 1], (mm->nr_vmas - i - 1) * sizeof(*mm->vmas));
	mm->nr_vmas--;
	vmas_changed(mm);
}

/*
 * get_unmapped_area(), top-down: the highest gap below mmap_base that fits
 * @len. Kernel: mm/mmap.c, unmapped_area_topdown().
 */
static uint64_t unmapped_area_topdown(const struct mm_struct *mm, uint64_t len)
{
	uint64_t top = mm->mmap_base;
	int i;

	for (i = (int)mm->nr_vmas - 1; i >= -1; i--) {
		uint64_t floor = i >= 0 ? mm->vmas[i].vm_end : PAGE_SIZE * 16;

		if (i >= 0 && mm->vmas[i].vm_start >= top)
			continue;
		if (top >= floor + len)
			return top - len;
		if (i >= 0)
			top = mm->vmas[i].vm_start;
	}
	return 0;
}

static void mm_event_emit(struct machine *m, int type, int pid, uint64_t addr, uint64_t len,
			  const char *detail)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.value = pid;
	ev.vaddr = addr;
	ev.size = len;
	ev.detail = detail;
	emit(m, &ev);
}

/*** Unmapping: zap_pte_range() and free_pgtables() ***/

/* Is every entry of this table empty (a swap entry in a PTE is not)? */
static bool table_empty(const struct machine *m, uint64_t table)
{
	const uint64_t *e = pt_table(m, table);
	unsigned int i;

	for (i = 0; i < PTRS_PER_TABLE; i++)
		if (e[i])
			return false;
	return true;
}

/*
 * One user page leaves its PTE: a dirty PTE dirties a file page, a young
 * one marks it accessed; folio_remove_rmap_pte() takes one off _mapcount,
 * the process counts one page less, an anonymous page no PTE maps any more
 * leaves the swap cache with its slot (free_swap_cache()), and the mapping's
 * reference is dropped (the last one frees the page).
 * Kernel: mm/memory.c, zap_present_folio_ptes(); mm/mmu_gather.c.
 */
static void zap_user_page(struct machine *m, struct mm_struct *mm, uint64_t pfn, uint64_t pte)
{
	struct page *p = pfn_to_page(m, pfn);
	bool anon = folio_test_anon(p);

	if (!anon && (pte & _PAGE_DIRTY))
		folio_mark_dirty(m, pfn);
	if (!anon && (pte & _PAGE_ACCESSED))
		folio_mark_accessed(m, pfn);
	folio_remove_rmap_pte(m, pfn);
	mm->rss_stat[anon ? MM_ANONPAGES : MM_FILEPAGES]--;
	if (anon)
		free_swap_cache(m, pfn);	/* free_pages_and_swap_cache() */
	folio_put_batched(m, pfn);	/* the mmu_gather's batch: tlb_finish_mmu() */
}

/*
 * zap_nonpresent_ptes() for a swap entry: the PTE goes, the slot loses the
 * reference (free_swap_and_cache()), the process one swap entry.
 */
static void zap_swap_pte(struct machine *m, struct mm_struct *mm, uint64_t table,
			 unsigned int i, uint64_t vaddr, uint64_t entry)
{
	pt_clear_entry(m, table, i, PT_PTE, vaddr);
	free_swap_and_cache(m, pte_to_swp_entry(entry));
	mm->rss_stat[MM_SWAPENTS]--;
}

/*
 * Free the user pages mapped in [s, e) and then, with @free_tables, every
 * table under it that is left empty.
 */
static void zap_range(struct machine *m, struct mm_struct *mm, uint64_t table, int level,
		      uint64_t base, uint64_t s, uint64_t e, bool free_tables)
{
	unsigned int shift = pt_level_shift(level), i, first, last;

	/* only the entries that meet [s, e) */
	first = s > base ? (unsigned int)((s - base) >> shift) : 0;
	last = e - 1 - base < ((uint64_t)PTRS_PER_TABLE << shift) ?
	       (unsigned int)((e - 1 - base) >> shift) : PTRS_PER_TABLE - 1;
	for (i = first; i <= last && i < PTRS_PER_TABLE; i++) {
		uint64_t lo = base + ((uint64_t)i << shift), hi = lo + (1ULL << shift);
		uint64_t entry = pt_table(m, table)[i], child;

		if (hi > s && lo < e && level == PT_PTE && is_swap_pte(entry)) {
			zap_swap_pte(m, mm, table, i, lo, entry);	/* swap.h */
			continue;
		}
		if (hi <= s || lo >= e || !(entry & _PAGE_PRESENT))
			continue;
		if (level == PT_PTE) {
			pt_clear_entry(m, table, i, level, lo);
			if (pte_pfn(entry) == zero_pfn(m))	/* vm_normal_page(): none */
				continue;
			zap_user_page(m, mm, pte_pfn(entry), entry);
			continue;
		}
		child = pte_pfn(entry);
		zap_range(m, mm, child, level - 1, lo, s, e, free_tables);
		if (free_tables && table_empty(m, child)) {
			pt_clear_entry(m, table, i, level, lo);
			pgtable_free_table(m, child);
			mm->pgtables_pages--;
		}
	}
}

/* flush_tlb_mm_range(): the CPUs that run @mm drop the range. */
static void flush_tlb_mm_range(struct machine *m, const struct mm_struct *mm, uint64_t s,
			       uint64_t e)
{
	unsigned int cpu;

	for (cpu = 0; cpu < m->nr_cpus; cpu++)
		if (m->x86->cpus[cpu].pid == mm->pid)
			tlb_flush_cpu_range(m, (int)cpu, s, e, "range");
}

static void unmap_region(struct machine *m, struct mm_struct *mm, uint64_t s, uint64_t e)
{
	zap_range(m, mm, mm->pgd, (int)pt_levels(m), 0, s, e, true);
	flush_tlb_mm_range(m, mm, s, e);
}

/*
 * do_vmi_munmap(): trim, split or drop every VMA that meets [s, e). A part
 * that starts later keeps its offset into the object (vm_pgoff); a split
 * takes its own references to the file and the anon_vma.
 */
static int vmas_unmap(struct machine *m, struct mm_struct *mm, uint64_t s, uint64_t e)
{
	unsigned int i = vma_lower_bound(mm, s), at;
	int err;

	while (i < mm->nr_vmas) {
		struct vm_area_struct v = mm->vmas[i];

		if (v.vm_start >= e)
			break;
		if (v.vm_end <= s) {
			i++;
			continue;
		}
		if (v.vm_start < s && v.vm_end > e) {
			err = vma_insert_at(mm, e, v.vm_end, v.vm_flags, v.name, &at);
			if (err)
				return err;
			mm->vmas[at].vm_pgoff = v.vm_pgoff + ((e - v.vm_start) >> PAGE_SHIFT);
			mm->vmas[at].vm_file = v.vm_file;
			mm->vmas[at].anon_vma = v.anon_vma;
			vma_get_refs(m, &mm->vmas[at]);
			mm->vmas[i].vm_end = s;
			return 0;
		}
		if (v.vm_start < s) {
			mm->vmas[i++].vm_end = s;
		} else if (v.vm_end > e) {
			mm->vmas[i].vm_pgoff += (e - v.vm_start) >> PAGE_SHIFT;
			mm->vmas[i++].vm_start = e;
			vmas_changed(mm);
		} else {
			vma_remove(m, mm, i);
		}
	}
	return 0;
}

/*** Processes ***/

static int parse_prot(const char *prot, unsigned int *flags)
{
	if (!prot || strlen(prot) != 3 || (prot[0] != 'r' && prot[0] != '-') ||
	    (prot[1] != 'w' && prot[1] != '-') || (prot[2] != 'x' && prot[2] != '-'))
		return -EINVAL;
	*flags = (prot[0] == 'r' ? VM_READ : 0) | (prot[1] == 'w' ? VM_WRITE : 0) |
		 (prot[2] == 'x' ? VM_EXEC : 0);
	return 0;
}

static int grow_mms(struct x86_state *x)
{
	unsigned int cap = x->cap_mms ? x->cap_mms * 2 : 8;
	struct mm_struct *n = realloc(x->mms, cap * sizeof(*n));

	if (!n)
		return -ENOMEM;
	x->mms = n;
	x->cap_mms = cap;
	return 0;
}

/* mm_alloc() + pgd_alloc() + the stack VMA of a new program. */
int mm_spawn(struct machine *m, const char *name, int *pid, struct mm_error *e)
{
	struct x86_state *x = m->x86;
	struct mm_struct *mm;
	uint64_t pgd, top = STACK_TOP_L4;
	unsigned int i;
	int err;

	if (x->boot_stage < BOOT_DONE)
		return mm_error_set(e, -EAGAIN, "the kernel has not finished booting");
	if (x->nr_mms >= MAX_PROCESSES)
		return mm_error_set(e, -EAGAIN, "too many processes (%d)", MAX_PROCESSES);
	if (x->nr_mms == x->cap_mms && grow_mms(x))
		return mm_error_set(e, -ENOMEM, "out of memory");
	err = pgtable_alloc_table(m, (int)pt_levels(m), PT_FROM_BUDDY, "pgd", &pgd);
	if (err)
		return mm_error_set(e, err, "pgd_alloc failed: no page for the PGD");
	for (i = pgd_kernel_first(m); i < PTRS_PER_TABLE; i++)
		pt_entries(m, pgd)[i] = pt_table(m, x->init_top_pgt)[i];
	mm = &x->mms[x->nr_mms++];
	memset(mm, 0, sizeof(*mm));
	mm->pid = x->next_pid++;
	snprintf(mm->comm, sizeof(mm->comm), "%s", name && *name ? name : "a.out");
	mm->pgd = pgd;
	mm->pgtables_pages = 1;
	mm->start_brk = mm->brk = START_BRK;
	mm->mmap_base = top - STACK_SIZE - (128ULL << 20);
	err = vma_insert(mm, top - STACK_SIZE, top, VM_READ | VM_WRITE | VM_GROWSDOWN,
			 "[stack]");
	if (err) {
		mm_exit(m, mm->pid, NULL);
		return mm_error_set(e, err, "out of memory");
	}
	mm_event_emit(m, MM_EV_process_spawn, mm->pid, PFN_PHYS(pgd), 0, mm->comm);
	*pid = mm->pid;
	return 0;
}

/* exit_mmap(): every page, every table, the PGD; CPUs on it go to init_mm. */
int mm_exit(struct machine *m, int pid, struct mm_error *e)
{
	struct x86_state *x = m->x86;
	struct mm_struct *mm = find_mm(m, pid);
	unsigned int cpu;

	if (!mm)
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	for (cpu = 0; cpu < m->nr_cpus; cpu++)
		if (x->cpus[cpu].pid == pid)
			load_cr3(m, (int)cpu, x->init_top_pgt, 0);
	unmap_region(m, mm, 0, layout_task_size(pt_levels(m)) + PAGE_SIZE);
	SIM_BUG_ON(mm->rss_stat[MM_ANONPAGES] || mm->rss_stat[MM_FILEPAGES] ||
		   mm->pgtables_pages != 1);
	while (mm->nr_vmas)		/* remove_vma(): fput(), unlink_anon_vmas() */
		vma_remove(m, mm, mm->nr_vmas - 1);
	pgtable_free_table(m, mm->pgd);
	mm_event_emit(m, MM_EV_process_exit, pid, PFN_PHYS(mm->pgd), 0, mm->comm);
	free(mm->vmas);
	memmove(mm, mm + 1, (size_t)(&x->mms[x->nr_mms] - (mm + 1)) * sizeof(*mm));
	x->nr_mms--;
	return 0;
}

/*
 * mm_oom_reap() - __oom_reap_task_mm(): an OOM victim's pages go back at
 * once, before it runs again to exit. Its tables and VMAs stay for its
 * exit_mmap(), as unmap_page_range() leaves them: a fault of the victim
 * that was walking them when the allocation ran out goes on safely.
 * Kernel: mm/oom_kill.c.
 */
void mm_oom_reap(struct machine *m, struct mm_struct *mm)
{
	uint64_t end = layout_task_size(pt_levels(m)) + PAGE_SIZE;

	zap_range(m, mm, mm->pgd, (int)pt_levels(m), 0, 0, end, false);
	flush_tlb_mm_range(m, mm, 0, end);
}

#define MMAP_MIN_ADDR		(PAGE_SIZE * 16)	/* vm.mmap_min_addr = 65536 */
#define DEFAULT_MAP_WINDOW	((1ULL << 47) - PAGE_SIZE)

/*
 * mmap_address_hint_valid(): the hint fits below TASK_SIZE and does not
 * straddle the 47-bit default window. Kernel: arch/x86/mm/mmap.c.
 */
static bool mmap_address_hint_valid(const struct machine *m, uint64_t addr, uint64_t len)
{
	if (layout_task_size(pt_levels(m)) - len < addr)
		return false;
	return (addr > DEFAULT_MAP_WINDOW) == (addr + len > DEFAULT_MAP_WINDOW);
}

/*
 * The address do_mmap() maps at, or -errno. MAP_FIXED takes @addr as it is
 * (after the checks of __get_unmapped_area() and security_mmap_addr());
 * otherwise @addr is a hint, rounded up to mmap_min_addr (round_hint_to_min())
 * and taken only if the gap there fits (arch_get_unmapped_area_topdown(),
 * arch/x86/kernel/sys_x86_64.c), else the top-down search decides.
 * Kernel: mm/mmap.c, do_mmap() and __get_unmapped_area().
 */
static int64_t mmap_address(const struct machine *m, struct mm_struct *mm, uint64_t addr,
			    uint64_t len, unsigned int flags)
{
	uint64_t task = layout_task_size(pt_levels(m));

	if (flags & MM_MAP_FIXED) {
		if (addr > task - len)
			return -ENOMEM;
		if (addr & (PAGE_SIZE - 1))
			return -EINVAL;
		return addr < MMAP_MIN_ADDR ? -EPERM : (int64_t)addr;
	}
	if (addr && addr < MMAP_MIN_ADDR)
		addr = MMAP_MIN_ADDR;
	addr &= ~(PAGE_SIZE - 1);
	if (addr && mmap_address_hint_valid(m, addr, len) && range_free(mm, addr, addr + len))
		return (int64_t)addr;
	addr = unmapped_area_topdown(mm, len);
	return addr ? (int64_t)addr : -ENOMEM;
}

/* What a file mapping adds to do_mmap(): the file, the offset, MAP_SHARED. */
struct mmap_file_args {
	struct sim_file *f;
	uint64_t pgoff;
	bool shared;
};

static int do_mmap(struct machine *m, int pid, uint64_t addr, uint64_t length, const char *prot,
		   unsigned int flags, const struct mmap_file_args *fa, uint64_t *out,
		   struct mm_error *e)
{
	struct mm_struct *mm = find_mm(m, pid);
	uint64_t len = (length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	unsigned int vm_flags, at_idx;
	int64_t at;
	int err;

	if (!mm)
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	if (parse_prot(prot ? prot : "rw-", &vm_flags))
		return mm_error_set(e, -EINVAL, "prot must be three characters like \"rw-\"");
	if (!length || len < length || len > layout_task_size(pt_levels(m)))
		return mm_error_set(e, -EINVAL, "length must be 1..TASK_SIZE bytes");
	if (flags & ~(MM_MAP_FIXED | MM_MAP_FIXED_NOREPLACE))
		return mm_error_set(e, -EINVAL, "flags may be MAP_FIXED or MAP_FIXED_NOREPLACE");
	if (flags & MM_MAP_FIXED_NOREPLACE)
		flags |= MM_MAP_FIXED;
	at = mmap_address(m, mm, addr, len, flags);
	if (at < 0)
		return mm_error_set(e, (int)at, at == -EINVAL ? "MAP_FIXED needs a page-aligned addr" :
				    at == -EPERM ? "MAP_FIXED below vm.mmap_min_addr (64 KiB)" :
				    "no room for %" PRIu64 " bytes there", len);
	addr = (uint64_t)at;
	if (!range_free(mm, addr, addr + len)) {
		if (flags & MM_MAP_FIXED_NOREPLACE)
			return mm_error_set(e, -EEXIST, "[0x%" PRIx64 ", 0x%" PRIx64 ") overlaps a "
					    "mapping (MAP_FIXED_NOREPLACE)", addr, addr + len);
		/* MAP_FIXED: mmap_region() unmaps whatever was there first. */
		err = vmas_unmap(m, mm, addr, addr + len);
		if (err)
			return mm_error_set(e, err, "out of memory splitting a VMA");
		unmap_region(m, mm, addr, addr + len);
		mm_event_emit(m, MM_EV_munmap, pid, addr, len, "replaced by MAP_FIXED");
	}
	if (fa && fa->shared)
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	err = vma_insert_at(mm, addr, addr + len, vm_flags, fa ? fa->f->name : "", &at_idx);
	if (err)
		return mm_error_set(e, err, "out of memory");
	if (fa) {
		mm->vmas[at_idx].vm_file = fa->f->id + 1;
		mm->vmas[at_idx].vm_pgoff = fa->pgoff;
		vmas_changed(mm);
		vma_get_refs(m, &mm->vmas[at_idx]);
	}
	mm_event_emit(m, MM_EV_mmap, pid, addr, len, fa ? fa->f->name : prot ? prot : "rw-");
	*out = addr;
	return 0;
}

int mm_mmap_flags(struct machine *m, int pid, uint64_t addr, uint64_t length, const char *prot,
		  unsigned int flags, uint64_t *out, struct mm_error *e)
{
	return do_mmap(m, pid, addr, length, prot, flags, NULL, out, e);
}

/*
 * mmap(2) of a file: a VMA with vm_file and vm_pgoff, VM_SHARED for
 * MAP_SHARED; nothing is mapped until the first access faults.
 */
int mm_mmap_file(struct machine *m, int pid, uint64_t addr, uint64_t length, const char *prot,
		 unsigned int flags, const char *name, uint64_t offset, uint64_t *out,
		 struct mm_error *e)
{
	struct mmap_file_args fa;
	unsigned int kind = flags & (MM_MAP_SHARED | MM_MAP_PRIVATE);

	fa.f = file_by_name(m, name);
	if (!fa.f)
		return mm_error_set(e, -ENOENT, "no file named \"%s\"", name ? name : "");
	if (kind != MM_MAP_SHARED && kind != MM_MAP_PRIVATE)
		return mm_error_set(e, -EINVAL, "a file mapping is MAP_SHARED or MAP_PRIVATE");
	if (offset & (PAGE_SIZE - 1))
		return mm_error_set(e, -EINVAL, "offset must be a multiple of the page size");
	fa.pgoff = offset >> PAGE_SHIFT;
	fa.shared = kind == MM_MAP_SHARED;
	return do_mmap(m, pid, addr, length, prot, flags & ~kind, &fa, out, e);
}

int mm_mmap(struct machine *m, int pid, uint64_t addr, uint64_t length, const char *prot,
	    uint64_t *out, struct mm_error *e)
{
	return mm_mmap_flags(m, pid, addr, length, prot, 0, out, e);
}

int mm_munmap(struct machine *m, int pid, uint64_t addr, uint64_t length, struct mm_error *e)
{
	struct mm_struct *mm = find_mm(m, pid);
	uint64_t len = (length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	int err;

	if (!mm)
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	if (addr & (PAGE_SIZE - 1) || !length || addr + len < addr ||
	    addr + len > layout_task_size(pt_levels(m)))
		return mm_error_set(e, -EINVAL, "addr must be page aligned and the range in user space");
	err = vmas_unmap(m, mm, addr, addr + len);
	if (err)
		return mm_error_set(e, err, "out of memory splitting a VMA");
	unmap_region(m, mm, addr, addr + len);
	mm_event_emit(m, MM_EV_munmap, pid, addr, len, NULL);
	return 0;
}

/* brk(2): the heap VMA grows or shrinks with the break. Kernel: mm/mmap.c. */
int mm_brk(struct machine *m, int pid, uint64_t addr, uint64_t *out, struct mm_error *e)
{
	struct mm_struct *mm = find_mm(m, pid);
	uint64_t newend, oldend;
	struct vm_area_struct *heap;
	int err;

	if (!mm)
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	*out = mm->brk;
	if (!addr)
		return 0;
	if (addr < mm->start_brk || addr > mm->mmap_base)
		return mm_error_set(e, -ENOMEM, "brk 0x%" PRIx64 " is outside [start_brk 0x%"
				    PRIx64 ", mmap_base)", addr, mm->start_brk);
	newend = (addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	oldend = (mm->brk + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (newend > oldend && !range_free(mm, oldend, newend))
		return mm_error_set(e, -ENOMEM, "the heap would run into a mapping");
	heap = find_vma(mm, mm->start_brk);
	if (newend < oldend) {
		vmas_unmap(m, mm, newend, oldend);
		unmap_region(m, mm, newend, oldend);
	} else if (newend > oldend) {
		if (heap)
			heap->vm_end = newend;
		else if ((err = vma_insert(mm, mm->start_brk, newend, VM_READ | VM_WRITE,
					   "[heap]")))
			return mm_error_set(e, err, "out of memory");
	}
	mm->brk = addr;
	mm_event_emit(m, MM_EV_brk, pid, addr, addr - mm->start_brk, NULL);
	*out = addr;
	return 0;
}

/*** Faults ***/

/* access_error(): may this access touch this VMA? */
static bool access_error(uint32_t code, const struct vm_area_struct *vma)
{
	if (code & X86_PF_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	if (code & X86_PF_INSTR)
		return !(vma->vm_flags & VM_EXEC);
	return !(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC));
}

/* The PTE a VMA's vm_page_prot gives: present, user, accessed, NX unless exec. */
static uint64_t vma_page_prot(const struct vm_area_struct *vma)
{
	return _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED |
	       (vma->vm_flags & VM_EXEC ? 0 : _PAGE_NX);
}

/* is_cow_mapping(): private and writable (every private mapping has VM_MAYWRITE here). */
static bool is_cow_mapping(unsigned int vm_flags)
{
	return !(vm_flags & VM_SHARED);
}

/* linear_page_index(): the page's index in the VMA's object. */
static uint64_t linear_page_index(const struct vm_area_struct *vma, uint64_t vaddr)
{
	return vma->vm_pgoff + ((vaddr - vma->vm_start) >> PAGE_SHIFT);
}

/* anon_vma_prepare(): the VMA's own anon_vma, made at its first anonymous page. */
static int anon_vma_prepare(struct machine *m, struct vm_area_struct *vma)
{
	uint32_t id;
	int err;

	if (vma->anon_vma)
		return 0;
	err = anon_vma_alloc(m, 0, &id);
	if (err)
		return err;
	vma->anon_vma = id;
	get_anon_vma(m, id);
	return 0;
}

/*
 * A zeroed (or copied) movable page of the process's own: charged to its
 * memory cgroup (mem_cgroup_charge(), as folio_prealloc() does), mapped once in
 * @vma's anon_vma at its linear index (folio_add_new_anon_rmap()), a fresh
 * content tag, on the LRU (folio_add_lru_vma()), one more MM_ANONPAGES.
 */
static int new_anon_page(struct machine *m, int cpu, struct mm_struct *mm,
			 struct vm_area_struct *vma, uint64_t vaddr, uint64_t *pfn)
{
	struct alloc_pages_result res;
	int err;

	err = anon_vma_prepare(m, vma);
	if (err)
		return err;
	err = __alloc_pages(m, GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0, -1, cpu, OWNER_USER, &res,
			    NULL);
	if (err)
		return err;
	if (mem_cgroup_charge(m, res.pfn, mm->memcg_id, GFP_HIGHUSER_MOVABLE, cpu)) {
		SIM_BUG_ON(__free_pages_owner(m, res.pfn, 0, cpu, OWNER_USER, NULL));
		return -ENOMEM;		/* the group is at memory.max and nothing gave */
	}
	folio_add_new_anon_rmap(m, res.pfn, vma->anon_vma, linear_page_index(vma, vaddr));
	m->mem_map[res.pfn].folio.content = m->next_content++;
	folio_add_lru_vma(m, res.pfn);
	mm->rss_stat[MM_ANONPAGES]++;
	*pfn = res.pfn;
	return 0;
}

/* The PTE table for @vaddr, allocated as needed; new tables count in pgtables_pages. */
static int pte_table_alloc(struct machine *m, struct mm_struct *mm, uint64_t vaddr,
			   uint64_t *pte)
{
	uint64_t before = pt_used(m);
	int err = pt_walk_alloc(m, mm->pgd, vaddr, PT_PTE, _PAGE_TABLE, PT_FROM_BUDDY, pte);

	mm->pgtables_pages += pt_used(m) - before;
	return err;
}

/*
 * do_anonymous_page(): tables down to the PTE; then a read maps the shared
 * zero page, read-only and special (pte_mkspecial(my_zero_pfn())), with no
 * allocation and no counter; a write gets a zeroed page of its own, dirty
 * and writable when the VMA is. Kernel: mm/memory.c, do_anonymous_page().
 */
static int do_anonymous_page(struct machine *m, int cpu, struct mm_struct *mm,
			     struct vm_area_struct *vma, uint64_t vaddr, bool write)
{
	uint64_t pte, entry, pfn;
	int err;

	vaddr &= ~(PAGE_SIZE - 1);
	err = pte_table_alloc(m, mm, vaddr, &pte);
	if (err)
		return err;
	if (!write) {
		entry = PFN_PHYS(zero_pfn(m)) | vma_page_prot(vma) | _PAGE_SPECIAL;
		pt_set_entry(m, pte, pt_index(vaddr, PT_PTE), PT_PTE, entry, vaddr);
		return 0;
	}
	err = new_anon_page(m, cpu, mm, vma, vaddr, &pfn);
	if (err)
		return err;
	entry = PFN_PHYS(pfn) | vma_page_prot(vma);
	if (vma->vm_flags & VM_WRITE)
		entry |= _PAGE_RW | _PAGE_DIRTY;
	pt_set_entry(m, pte, pt_index(vaddr, PT_PTE), PT_PTE, entry, vaddr);
	return 0;
}

/*
 * The PTE table and entry that map @vaddr in @mm: 0 when they exist and the
 * entry is present.
 */
static int find_pte(const struct machine *m, const struct mm_struct *mm, uint64_t vaddr,
		    uint64_t *table, uint64_t *entry)
{
	uint64_t t = mm->pgd;
	int level;

	for (level = (int)pt_levels(m); level > PT_PTE; level--) {
		uint64_t e = pt_table(m, t)[pt_index(vaddr, level)];

		if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE))
			return -ENOENT;
		t = pte_pfn(e);
	}
	*table = t;
	*entry = pt_table(m, t)[pt_index(vaddr, PT_PTE)];
	return *entry & _PAGE_PRESENT ? 0 : -ENOENT;
}

static void cow_event(struct machine *m, int type, int cpu, const struct mm_struct *mm,
		      uint64_t vaddr, uint64_t old_pfn, uint64_t new_pfn)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.cpu = cpu;
	ev.value = mm->pid;
	ev.vaddr = vaddr;
	ev.pfn = new_pfn;
	ev.paddr = old_pfn == UINT64_MAX ? MM_NA_U64 : PFN_PHYS(old_pfn);
	emit(m, &ev);
}

/*
 * wp_page_copy(): a new page for the writer. From the zero page it is
 * zeroed; from a page it copies the content (the content tag). The old PTE
 * is cleared and flushed (ptep_clear_flush()), a writable dirty one takes
 * its place, and the old page loses this mapping and its reference (it
 * leaves MM_FILEPAGES if it was a file page). Kernel: mm/memory.c.
 */
static int wp_page_copy(struct machine *m, int cpu, struct mm_struct *mm,
			struct vm_area_struct *vma, uint64_t vaddr, uint64_t table, uint64_t old)
{
	unsigned int idx = pt_index(vaddr, PT_PTE);
	uint64_t pfn, entry, old_pfn = pte_pfn(old);
	bool from_zero = old_pfn == zero_pfn(m);
	int err;

	err = new_anon_page(m, cpu, mm, vma, vaddr, &pfn);
	if (err)
		return err;
	if (!from_zero)
		m->mem_map[pfn].folio.content = m->mem_map[old_pfn].folio.content;
	pt_clear_entry(m, table, idx, PT_PTE, vaddr);
	flush_tlb_mm_range(m, mm, vaddr, vaddr + PAGE_SIZE);
	entry = PFN_PHYS(pfn) | vma_page_prot(vma) | _PAGE_RW | _PAGE_DIRTY;
	pt_set_entry(m, table, idx, PT_PTE, entry, vaddr);
	cow_event(m, MM_EV_wp_page_copy, cpu, mm, vaddr, from_zero ? UINT64_MAX : old_pfn, pfn);
	if (from_zero)
		return 0;
	if (!folio_test_anon(&m->mem_map[old_pfn]))
		mm->rss_stat[MM_FILEPAGES]--;
	else
		mm->rss_stat[MM_ANONPAGES]--;
	folio_remove_rmap_pte(m, old_pfn);
	free_swap_cache(m, old_pfn);
	folio_put(m, old_pfn);
	return 0;
}

/*
 * wp_page_reuse(): the writer keeps the page: the PTE becomes writable,
 * dirty and young (no flush needed to widen it, but the CPUs drop the old
 * read-only entry here as flush_tlb_fix_spurious_fault() would); pgreuse.
 */
static void wp_page_reuse(struct machine *m, int cpu, struct mm_struct *mm, uint64_t vaddr,
			  uint64_t table, uint64_t old)
{
	pt_set_entry(m, table, pt_index(vaddr, PT_PTE), PT_PTE,
		     old | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED, vaddr);
	flush_tlb_mm_range(m, mm, vaddr, vaddr + PAGE_SIZE);
	count_vm_event(m, PGREUSE);
	cow_event(m, MM_EV_wp_page_reuse, cpu, mm, vaddr, pte_pfn(old), pte_pfn(old));
}

/*
 * wp_can_reuse_anon_folio(): only the writer holds the page (one reference:
 * no other PTE; a swap-cache folio gives its slot up first when no swap PTE
 * needs it, folio_free_swap()). Reusing it moves it to the writer's own
 * anon_vma (folio_move_anon_rmap()).
 */
static bool wp_can_reuse_anon_folio(struct machine *m, uint64_t pfn, struct vm_area_struct *vma)
{
	struct page *p = pfn_to_page(m, pfn);
	uint32_t old = (uint32_t)folio_anon_vma_id(p);

	if (p->_refcount > 1 + folio_test_swapcache(p) || page_test(p, PG_locked))
		return false;
	if (folio_test_swapcache(p))
		folio_free_swap(m, pfn);
	if (p->_refcount != 1)
		return false;
	if (vma->anon_vma && old != vma->anon_vma) {
		get_anon_vma(m, vma->anon_vma);
		p->folio.mapping = anon_mapping_word(vma->anon_vma);
		put_anon_vma(m, old);
	}
	return true;
}

/*
 * do_wp_page(): a write to a present, write-protected PTE. The zero page
 * and pages others hold are copied; a shared file mapping's page is made
 * writable and dirtied (wp_page_shared()); an anonymous page only the
 * writer holds is reused.
 */
static int do_wp_page(struct machine *m, int cpu, struct mm_struct *mm,
		      struct vm_area_struct *vma, uint64_t vaddr, uint64_t table, uint64_t old,
		      const char **outcome)
{
	uint64_t pfn = pte_pfn(old);

	if (pfn != zero_pfn(m) && (vma->vm_flags & VM_SHARED)) {
		folio_mark_dirty(m, pfn);	/* fault_dirty_shared_page() */
		wp_page_reuse(m, cpu, mm, vaddr, table, old);
		balance_dirty_pages(m, file_by_id(m, vma->vm_file - 1));
		*outcome = "reuse";
		return 1;
	}
	if (pfn != zero_pfn(m) && folio_test_anon(&m->mem_map[pfn]) &&
	    wp_can_reuse_anon_folio(m, pfn, vma)) {
		wp_page_reuse(m, cpu, mm, vaddr, table, old);
		*outcome = "reuse";
		return 1;
	}
	*outcome = "cow";
	return wp_page_copy(m, cpu, mm, vma, vaddr, table, old) ? -ENOMEM : 1;
}

/*
 * do_fault() for a file VMA: the page from the page cache (filemap_fault(),
 * a major fault when it had to be read). A read maps it read-only
 * (do_read_fault(); a shared writable mapping is write-protected for dirty
 * tracking), a write to a private mapping maps a copy (do_cow_fault()), a
 * write to a shared one maps it writable and dirties it (do_shared_fault()).
 * Fault-around (filemap_map_pages()) is not modelled: one page per fault.
 */
static int do_fault(struct machine *m, int cpu, struct mm_struct *mm,
		    struct vm_area_struct *vma, uint64_t vaddr, bool write, const char **outcome)
{
	struct sim_file *f = file_by_id(m, vma->vm_file - 1);
	uint64_t pte, pfn, entry, index = linear_page_index(vma, vaddr);
	bool major;
	int err;

	err = pte_table_alloc(m, mm, vaddr, &pte);
	if (err)
		return err;
	err = filemap_fault_page(m, cpu, f, index, &pfn, &major);
	if (err == -EFAULT) {
		*outcome = "sigbus";
		return 0;
	}
	if (err)
		return err;
	*outcome = major ? "major" : "mapped";
	if (write && is_cow_mapping(vma->vm_flags)) {
		uint64_t copy;

		err = new_anon_page(m, cpu, mm, vma, vaddr, &copy);
		if (!err)
			m->mem_map[copy].folio.content = m->mem_map[pfn].folio.content;
		folio_put(m, pfn);
		if (err)
			return err;
		entry = PFN_PHYS(copy) | vma_page_prot(vma) | _PAGE_RW | _PAGE_DIRTY;
		pt_set_entry(m, pte, pt_index(vaddr, PT_PTE), PT_PTE, entry, vaddr);
		cow_event(m, MM_EV_wp_page_copy, cpu, mm, vaddr, pfn, copy);
		return 1;
	}
	entry = PFN_PHYS(pfn) | vma_page_prot(vma);
	if (write)
		entry |= _PAGE_RW | _PAGE_DIRTY;
	folio_add_rmap_pte(m, pfn);
	mm->rss_stat[MM_FILEPAGES]++;
	pt_set_entry(m, pte, pt_index(vaddr, PT_PTE), PT_PTE, entry, vaddr);
	if (write) {
		folio_mark_dirty(m, pfn);	/* fault_dirty_shared_page() */
		balance_dirty_pages(m, f);
	}
	return 1;
}

/*** Swap entries in PTEs: swap-in, zap, fork (swap.h; swapfile.c, swap_state.c) ***/

/*
 * swap_read_folio(): the slot's content into the new page; pswpin and
 * pgpgin (KiB) count the read, which completes at once. Kernel: mm/page_io.c.
 */
static void swap_read_folio(struct machine *m, uint64_t pfn, swp_entry_t e)
{
	struct swap_info_struct *si = swp_info(m, e);
	struct mm_event ev;

	m->mem_map[pfn].folio.content = si->content[swp_offset(e)];
	count_vm_event(m, PSWPIN);
	count_vm_events(m, PGPGIN, PAGE_SIZE / 1024);
	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_swap_readpage);
	ev.pfn = pfn;
	ev.paddr = PFN_PHYS(pfn);
	ev.node = m->mem_map[pfn].node;
	ev.zone = m->mem_map[pfn].zone;
	snprintf(m->detail, sizeof(m->detail), "type=%u offset=%" PRIu64 " content=%#x",
		 swp_type(e), swp_offset(e), m->mem_map[pfn].folio.content);
	ev.detail = m->detail;
	emit(m, &ev);
}

/*
 * A new page for a swap entry no folio caches: in the swap cache first
 * (swapcache_prepare() claims the slot), read from the slot, its refault
 * checked against the shadow the slot kept, then on the LRU.
 * Kernel: mm/swap_state.c __read_swap_cache_async() without readahead.
 */
static int swapin_folio(struct machine *m, int cpu, struct vm_area_struct *vma, uint64_t vaddr,
			swp_entry_t e, uint64_t *pfn)
{
	struct alloc_pages_result res;
	uint64_t shadow;
	int err;

	err = anon_vma_prepare(m, vma);
	if (err)
		return err;
	err = __alloc_pages(m, GFP_HIGHUSER_MOVABLE, 0, -1, cpu, OWNER_USER, &res, NULL);
	if (err)
		return err;
	/* mem_cgroup_swapin_charge_folio(): the faulting task's group */
	if (mem_cgroup_charge(m, res.pfn, get_mem_cgroup_from_current(m, cpu), GFP_HIGHUSER_MOVABLE,
			      cpu)) {
		SIM_BUG_ON(__free_pages_owner(m, res.pfn, 0, cpu, OWNER_USER, NULL));
		return -ENOMEM;
	}
	/* reclaim inside the allocation may have read the slot in already */
	if (swap_cache_get_folio(m, e) != PFN_NIL || swapcache_prepare(m, e)) {
		SIM_BUG_ON(__free_pages_owner(m, res.pfn, 0, cpu, OWNER_USER, NULL));
		*pfn = PFN_NIL;
		return 0;
	}
	shadow = swap_cache_get_shadow(m, e);
	swap_cache_add_folio(m, res.pfn, e, NULL);
	swap_read_folio(m, res.pfn, e);
	workingset_refault(m, res.pfn, shadow);
	folio_add_lru_vma(m, res.pfn);
	*pfn = res.pfn;
	return 0;
}

/*
 * should_try_to_free_swap(): after a swap-in the folio stays in the swap
 * cache, clean, its slot kept, unless swap is more than half full
 * (mem_cgroup_swap_full(): swap is not charged to memory cgroups, so this is
 * vm_swap_full()) or a write fault finds the faulting task the likely sole
 * user (its reference and the cache's, nothing else). No VMA is VM_LOCKED
 * and no page mlocked in the engine. Kernel: mm/memory.c.
 */
static bool should_try_to_free_swap(const struct machine *m, const struct page *p, bool write)
{
	if (!folio_test_swapcache(p))
		return false;
	if (vm_swap_full(m))
		return true;
	return write && p->_refcount == 2;
}

/*
 * do_swap_page(): a fault on a swap PTE. The folio comes from the swap
 * cache (a minor fault) or from the slot (a major fault: pgmajfault); the
 * PTE maps it again, the process counts an anonymous page instead of a
 * swap entry, and the slot loses this reference. The folio normally stays
 * in the swap cache with the slot (SWAP_HAS_CACHE alone once no PTE names
 * it), clean: reclaiming it again needs no write while nobody writes to it.
 * should_try_to_free_swap() decides when it gives the slot up instead
 * (folio_free_swap(): dirty then). An exclusive page is mapped writable
 * even on a read, dirty only on a write; a page others may share is mapped
 * read-only until do_wp_page() copies or reuses it.
 *
 * The engine keeps no PG_anon_exclusive, so no exclusive bit in its swap
 * PTEs: a swap PTE counts as exclusive (pte_swp_exclusive()) when no other
 * PTE names the slot and none maps the folio.
 * Kernel: mm/memory.c do_swap_page().
 */
static int do_swap_page(struct machine *m, int cpu, struct mm_struct *mm,
			struct vm_area_struct *vma, uint64_t vaddr, uint64_t table, uint64_t pte,
			bool write, const char **outcome)
{
	swp_entry_t e = pte_to_swp_entry(pte);
	unsigned int idx = pt_index(vaddr, PT_PTE);
	uint64_t pfn, entry;
	bool major = false, exclusive;
	struct page *p;
	int err;

	if (!swp_info(m, e) || !__swap_count(m, e)) {
		*outcome = "sigbus";	/* a swap entry no slot backs */
		return 0;
	}
	pfn = swap_cache_get_folio(m, e);
	if (pfn == PFN_NIL) {
		err = swapin_folio(m, cpu, vma, vaddr, e, &pfn);
		if (err)
			return err;
		if (pfn == PFN_NIL)
			pfn = swap_cache_get_folio(m, e);
		else
			major = true;
		/* the table may have changed under reclaim: the PTE is looked at again */
		if (pt_table(m, table)[idx] != pte || pfn == PFN_NIL) {
			*outcome = "mapped";
			return 1;
		}
	}
	p = pfn_to_page(m, pfn);
	if (!major)
		p->_refcount++;	/* the lookup's reference, which becomes the mapping's */
	exclusive = __swap_count(m, e) == 1 && !folio_mapped(p);
	if (major) {			/* the allocation's reference is the mapping's */
		uint32_t av = vma->anon_vma;

		/*
		 * __folio_set_anon(): a page other PTEs still reach through the
		 * slot is not exclusive; it points at the root anon_vma, which
		 * every VMA of the family (parent and children) is chained to
		 */
		if (!exclusive)
			av = m->anon_vmas->v[av].root;
		count_vm_event(m, PGMAJFAULT);
		*outcome = "major";
		folio_add_new_anon_rmap(m, pfn, av, linear_page_index(vma, vaddr));
	} else {
		*outcome = "mapped";
		folio_add_rmap_pte(m, pfn);
	}
	mm->rss_stat[MM_ANONPAGES]++;
	mm->rss_stat[MM_SWAPENTS]--;
	swap_free(m, e);
	if (should_try_to_free_swap(m, p, write))
		folio_free_swap(m, pfn);
	entry = PFN_PHYS(pfn) | vma_page_prot(vma) | _PAGE_ACCESSED;
	if ((exclusive || p->_refcount == 1) && (vma->vm_flags & VM_WRITE))
		entry |= _PAGE_RW | (write ? _PAGE_DIRTY : 0);	/* pte_mkwrite(), pte_mkdirty() */
	pt_set_entry(m, table, idx, PT_PTE, entry, vaddr);
	return 1;
}

/*
 * copy_nonpresent_pte() of a swap entry: the child's PTE names the same slot,
 * which counts one more reference (swap_duplicate()); the child counts a swap
 * entry. Kernel: mm/memory.c.
 */
static int copy_swap_pte(struct machine *m, struct mm_struct *dst, uint64_t vaddr, uint64_t pte)
{
	uint64_t table;
	int err = swap_duplicate(m, pte_to_swp_entry(pte));

	if (err)
		return err;
	err = pte_table_alloc(m, dst, vaddr, &table);
	if (err) {
		swap_free(m, pte_to_swp_entry(pte));
		return err;
	}
	pt_set_entry(m, table, pt_index(vaddr, PT_PTE), PT_PTE, pte, vaddr);
	dst->rss_stat[MM_SWAPENTS]++;
	return 0;
}

/*** End of the swap entries' block ***/

/*
 * do_user_addr_fault() - a #PF below TASK_SIZE: no VMA or a forbidden access
 * is SIGSEGV ("segv", 0); a missing page is demand-paged ("mapped" or
 * "major", 1); a write to a write-protected page is copied ("cow") or the
 * page reused ("reuse"). Every fault that reaches handle_mm_fault() counts
 * in pgfault. Kernel: arch/x86/mm/fault.c, then handle_pte_fault() in
 * mm/memory.c.
 */
int do_user_addr_fault(struct machine *m, int cpu, struct mm_struct *mm, uint64_t vaddr,
		       uint32_t code, const char **outcome)
{
	struct vm_area_struct *vma = mm ? find_vma(mm, vaddr) : NULL;
	uint64_t table, entry;
	int err;

	*outcome = "segv";
	if (!vma || access_error(code, vma))
		return 0;
	vaddr &= ~(PAGE_SIZE - 1);
	count_vm_event(m, PGFAULT);
	if (code & X86_PF_PROT) {
		if (!(code & X86_PF_WRITE) || find_pte(m, mm, vaddr, &table, &entry) ||
		    (entry & _PAGE_RW))
			return 0;
		return do_wp_page(m, cpu, mm, vma, vaddr, table, entry, outcome);
	}
	entry = 0;
	if (find_pte(m, mm, vaddr, &table, &entry) && is_swap_pte(entry))
		return do_swap_page(m, cpu, mm, vma, vaddr, table, entry, code & X86_PF_WRITE,
				    outcome);
	if (vma->vm_file)
		return do_fault(m, cpu, mm, vma, vaddr, code & X86_PF_WRITE, outcome);
	err = do_anonymous_page(m, cpu, mm, vma, vaddr, code & X86_PF_WRITE);
	if (err)
		return err;
	*outcome = "mapped";
	return 1;
}

/*** fork (mm/mmap.c dup_mmap, mm/memory.c copy_page_range) ***/

/*
 * copy_present_ptes() for one PTE: the child's PTE maps the same page (one more
 * reference and map count, the child's RSS); in a private mapping a
 * writable PTE is write-protected in both; the child's copy is old, and
 * clean in a shared mapping. The zero page is copied as it is.
 */
static int copy_one_pte(struct machine *m, struct mm_struct *dst, struct mm_struct *src,
			    const struct vm_area_struct *vma, uint64_t vaddr, uint64_t src_table,
			    uint64_t pte)
{
	uint64_t table, pfn = pte_pfn(pte);
	int err = pte_table_alloc(m, dst, vaddr, &table);

	if (err)
		return err;
	if (pfn != zero_pfn(m)) {
		struct page *p = pfn_to_page(m, pfn);

		p->_refcount++;
		folio_add_rmap_pte(m, pfn);
		dst->rss_stat[folio_test_anon(p) ? MM_ANONPAGES : MM_FILEPAGES]++;
	}
	if (is_cow_mapping(vma->vm_flags) && (pte & _PAGE_RW)) {
		pt_set_entry(m, src_table, pt_index(vaddr, PT_PTE), PT_PTE, pte & ~_PAGE_RW, vaddr);
		pte &= ~_PAGE_RW;
	}
	if (vma->vm_flags & VM_SHARED)
		pte &= ~_PAGE_DIRTY;
	pt_set_entry(m, table, pt_index(vaddr, PT_PTE), PT_PTE, pte & ~_PAGE_ACCESSED, vaddr);
	(void)src;
	return 0;
}

/*
 * copy_page_range() of one VMA, if vma_needs_copy(): only a VMA with an
 * anon_vma (it may hold anonymous pages); file and zero-page-only VMAs
 * fault their pages in again in the child.
 */
static int copy_vma_ptes(struct machine *m, struct mm_struct *dst, struct mm_struct *src,
			 const struct vm_area_struct *vma)
{
	uint64_t a, table, pte;
	int err;

	if (!vma->anon_vma)
		return 0;
	for (a = vma->vm_start; a < vma->vm_end; a += PAGE_SIZE) {
		pte = 0;
		if (find_pte(m, src, a, &table, &pte)) {
			if (!is_swap_pte(pte))
				continue;
			err = copy_swap_pte(m, dst, a, pte);	/* swap.h */
			if (err)
				return err;
			continue;
		}
		err = copy_one_pte(m, dst, src, vma, a, table, pte);
		if (err)
			return err;
	}
	return 0;
}

/*
 * dup_mmap(): the child gets every VMA (anon_vma_fork(): a new anon_vma
 * whose parent is the parent VMA's, so the child's VMA is chained to both),
 * the PTEs of those that need them, and the parent's TLB is flushed for the
 * PTEs it write-protected (flush_tlb_mm()).
 */
static int dup_mmap(struct machine *m, struct mm_struct *child, struct mm_struct *parent)
{
	unsigned int k, at;
	int err;

	for (k = 0; k < parent->nr_vmas; k++) {
		const struct vm_area_struct *v = &parent->vmas[k];
		uint32_t av = 0;

		err = vma_insert_at(child, v->vm_start, v->vm_end, v->vm_flags, v->name, &at);
		if (err)
			return err;
		child->vmas[at].vm_pgoff = v->vm_pgoff;
		vmas_changed(child);
		child->vmas[at].vm_file = v->vm_file;
		if (v->anon_vma) {
			err = anon_vma_alloc(m, v->anon_vma, &av);
			if (err)
				return err;
		}
		child->vmas[at].anon_vma = av;
		vma_get_refs(m, &child->vmas[at]);
		err = copy_vma_ptes(m, child, parent, &child->vmas[at]);
		if (err)
			return err;
	}
	flush_tlb_mm_range(m, parent, 0, layout_task_size(pt_levels(m)));
	return 0;
}

int mm_fork(struct machine *m, int pid, int *child, struct mm_error *e)
{
	struct mm_struct *parent = find_mm(m, pid), *mm;
	int err, cpid;

	if (!parent)
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	err = mm_spawn(m, parent->comm, &cpid, e);	/* mm_alloc(), pgd_alloc() */
	if (err)
		return err;
	mm = find_mm(m, cpid);
	parent = find_mm(m, pid);	/* the table may have moved */
	mm->oom_score_adj = parent->oom_score_adj;	/* copy_signal(): inherited */
	mm->memcg_id = parent->memcg_id;	/* cgroup_post_fork(): the parent's group */
	while (mm->nr_vmas)
		vma_remove(m, mm, mm->nr_vmas - 1);
	mm->start_brk = parent->start_brk;
	mm->brk = parent->brk;
	mm->mmap_base = parent->mmap_base;
	err = dup_mmap(m, mm, parent);
	if (err) {
		mm_exit(m, cpid, NULL);
		return mm_error_set(e, err, "out of memory copying the address space");
	}
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_task_newtask);
		ev.value = cpid;
		ev.size = (uint64_t)pid;
		snprintf(m->detail, sizeof(m->detail), "%s clone_flags=0x%x", mm->comm, 0x11);
		ev.detail = m->detail;
		emit(m, &ev);
	}
	*child = cpid;
	return 0;
}

/*** Views ***/

/* PTEs under @table (its first @nr entries) that map the zero page. */
static uint64_t count_zero_ptes(const struct machine *m, uint64_t table, int level,
				unsigned int first, unsigned int nr)
{
	const uint64_t *e = pt_table(m, table);
	uint64_t n = 0;
	unsigned int i;

	for (i = first; i < nr; i++) {
		if (!(e[i] & _PAGE_PRESENT))
			continue;
		if (level == PT_PTE)
			n += pte_pfn(e[i]) == zero_pfn(m);
		else if (!(e[i] & _PAGE_PSE))
			n += count_zero_ptes(m, pte_pfn(e[i]), level - 1, 0, PTRS_PER_TABLE);
	}
	return n;
}

int mm_process_info(const struct machine *m, unsigned int idx, struct mm_process_info *pi)
{
	const struct mm_struct *mm;

	if (idx >= m->x86->nr_mms)
		return -ENOENT;
	mm = &m->x86->mms[idx];
	pi->pid = mm->pid;
	memcpy(pi->comm, mm->comm, sizeof(pi->comm));
	pi->pgd_pfn = mm->pgd;
	pi->rss_anon = mm->rss_stat[MM_ANONPAGES];
	pi->rss_file = mm->rss_stat[MM_FILEPAGES];
	pi->rss = pi->rss_anon + pi->rss_file + mm->rss_stat[MM_SHMEMPAGES];
	pi->zero_ptes = count_zero_ptes(m, mm->pgd, (int)pt_levels(m), 0,
					pgd_kernel_first(m));
	pi->pgtables_pages = mm->pgtables_pages;
	pi->brk = mm->brk;
	pi->start_brk = mm->start_brk;
	pi->nr_vmas = mm->nr_vmas;
	return 0;
}

int mm_process_vma(const struct machine *m, int pid, unsigned int idx, struct mm_vma_info *vi)
{
	const struct mm_struct *mm = find_mm(m, pid);
	const struct vm_area_struct *v;

	if (!mm || idx >= mm->nr_vmas)
		return -ENOENT;
	v = &mm->vmas[idx];
	vi->start = v->vm_start;
	vi->end = v->vm_end;
	snprintf(vi->prot, sizeof(vi->prot), "%c%c%c%c", v->vm_flags & VM_READ ? 'r' : '-',
		 v->vm_flags & VM_WRITE ? 'w' : '-', v->vm_flags & VM_EXEC ? 'x' : '-',
		 v->vm_flags & VM_MAYSHARE ? 's' : 'p');
	memcpy(vi->name, v->name, sizeof(vi->name));
	return 0;
}

/*
 * /proc/PID/maps, as show_map_vma() prints it: a file mapping shows its
 * offset, its inode number and the file's path (the filesystem's root is /).
 */
char *proc_pid_maps(const struct machine *m, int pid)
{
	const struct mm_struct *mm = find_mm(m, pid);
	size_t cap, len = 0;
	char *buf;
	unsigned int i;

	if (!mm)
		return NULL;
	cap = (size_t)mm->nr_vmas * 128 + 1;
	buf = malloc(cap);
	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (i = 0; i < mm->nr_vmas; i++) {
		struct mm_vma_info vi;
		int n;

		const struct vm_area_struct *v = &mm->vmas[i];

		mm_process_vma(m, pid, i, &vi);
		n = snprintf(buf + len, cap - len, "%08" PRIx64 "-%08" PRIx64 " %s %08llx %02x:%02x %lu ",
			     vi.start, vi.end, vi.prot,
			     v->vm_file ? (unsigned long long)v->vm_pgoff << PAGE_SHIFT : 0ULL, 0, 0,
			     (unsigned long)v->vm_file);
		len += (size_t)n;
		if (vi.name[0])	/* seq_pad() to column 72, then one space */
			len += (size_t)snprintf(buf + len, cap - len, "%*s %s%s",
						n < 72 ? 72 - n : 0, "", v->vm_file ? "/" : "",
						vi.name);
		len += (size_t)snprintf(buf + len, cap - len, "\n");
	}
	return buf;
}

/*** State copy and release ***/

void mm_state_free(struct x86_state *x)
{
	unsigned int i;

	for (i = 0; i < x->nr_mms; i++)
		free(x->mms[i].vmas);
	free(x->mms);
	x->mms = NULL;
	x->nr_mms = x->cap_mms = 0;
}

int mm_state_copy(struct x86_state *dst, const struct x86_state *src)
{
	unsigned int i;

	dst->mms = calloc(src->cap_mms ? src->cap_mms : 1, sizeof(*dst->mms));
	if (!dst->mms)
		return -ENOMEM;
	dst->cap_mms = src->cap_mms;
	for (i = 0; i < src->nr_mms; i++) {
		dst->mms[i] = src->mms[i];
		dst->mms[i].vmas = malloc((src->mms[i].cap_vmas ? src->mms[i].cap_vmas : 1) *
					  sizeof(struct vm_area_struct));
		if (!dst->mms[i].vmas)
			return -ENOMEM;
		memcpy(dst->mms[i].vmas, src->mms[i].vmas,
		       src->mms[i].nr_vmas * sizeof(struct vm_area_struct));
		dst->nr_mms = i + 1;
	}
	return 0;
}
