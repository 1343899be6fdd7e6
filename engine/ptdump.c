/*
 * ptdump.c - looking at page tables without changing them: the walk of one
 * address, one table's entries for a lazily expanded tree, the kernel's
 * /sys/kernel/debug/page_tables/kernel text, and the crash utility's vtop.
 *
 * Kernel: arch/x86/mm/dump_pagetables.c (note_page merges runs of entries
 * with the same level and flags into one line under address markers) and
 * mm/ptdump.c; crash's x86_64 vtop output for the last view.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "layout.h"
#include "pgtable.h"

/*** Walks and tables for the API ***/

/* The table CR3 of a CPU points at, if paging is on there. */
static int cr3_root(const struct machine *m, int cpu, uint64_t *root, struct mm_error *e)
{
	const struct cpu_state *c;

	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	c = &m->x86->cpus[cpu];
	if (!(c->cr0 & X86_CR0_PG) || !pt_is_table(m, PHYS_PFN(c->cr3)))
		return mm_error_set(e, -ENOENT, "CPU %d has paging off (CR0.PG clear): its "
				    "addresses are physical, no table translates them", cpu);
	*root = PHYS_PFN(c->cr3);
	return 0;
}

static int root_of(const struct machine *m, int pid, uint64_t *root, struct mm_error *e)
{
	const struct mm_struct *mm;

	if (pid <= MM_PID_CR3(0))
		return cr3_root(m, MM_PID_CR3_CPU(pid), root, e);
	if (pid > 0) {
		if (!(mm = find_mm(m, pid)))
			return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
		*root = mm->pgd;
		return 0;
	}
	if (!m->x86->init_top_pgt)
		return mm_error_set(e, -ENOENT, "the kernel's page tables are not built yet "
				    "(boot stage \"%s\"); CR3 of CPU 0 shows the tables in use",
				    mm_boot_stage(m));
	*root = m->x86->init_top_pgt;
	return 0;
}

const char *mm_pagetable_root_name(const struct machine *m, int pid)
{
	const struct x86_state *x = m->x86;
	uint64_t root;
	unsigned int i;

	if (root_of(m, pid, &root, NULL))
		return NULL;
	if (root == x->init_top_pgt)
		return "init_top_pgt";
	if (root == x->early_top_pgt)
		return "early_top_pgt";
	if (root == x->boot_pgt)
		return "top_level_pgt (decompressor)";
	if (root == x->trampoline_pgd)
		return "trampoline_pgd";
	if (root == x->kexec_pgd)
		return "kexec pgd (image->arch.pgd)";
	for (i = 0; i < x->nr_mms; i++)
		if (x->mms[i].pgd == root)
			return "mm->pgd";
	return "other";
}

int mm_pagetable_root(const struct machine *m, int pid, uint64_t *pfn, int *level,
		      struct mm_error *e)
{
	*level = (int)pt_levels(m);
	return root_of(m, pid, pfn, e);
}

int mm_pagetable_walk(const struct machine *m, int pid, uint64_t vaddr,
		      struct mm_translation *t, struct mm_error *e)
{
	struct pt_walk w;
	uint64_t root;
	int err, i;

	memset(t, 0, sizeof(*t));
	if (!layout_canonical(vaddr, pt_levels(m)))
		return mm_error_set(e, -EINVAL, "0x%" PRIx64 " is not canonical", vaddr);
	err = root_of(m, pid, &root, e);
	if (err)
		return err;
	t->paging = true;
	err = pt_walk(m, root, vaddr, &w);
	t->nr_levels = w.nr;
	for (i = 0; i < w.nr; i++)
		t->levels[i] = (struct mm_walk_level){ w.step[i].level, w.step[i].table,
						       w.step[i].index, w.step[i].entry };
	t->walk_refs = (unsigned int)w.nr;
	if (err) {
		t->fault = true;
		t->outcome = "not present";
		return 0;
	}
	t->paddr = PFN_PHYS(w.pfn) + (vaddr & (PAGE_SIZE - 1));
	t->page_shift = w.page_shift;
	return 0;
}

/*
 * The regions of the x86-64 layout, with the names the learner meets them
 * by (Documentation/arch/x86/x86_64/mm.rst; the defaults without KASLR, as
 * layout.h). Holes are left out. The fixmap, with the vsyscall page in it,
 * runs from the end of the modules to the top (FIXADDR_TOP, fixmap.h).
 */
struct layout_region {
	uint64_t start, end;		/* inclusive */
	const char *name;
};

static unsigned int layout_regions(const struct machine *m, struct layout_region *r)
{
	unsigned int levels = pt_levels(m), n = 0;
	bool l5 = levels == 5;

	r[n++] = (struct layout_region){ 0, layout_task_size(levels) - 1, "user" };
	r[n++] = (struct layout_region){ l5 ? 0xff00000000000000ULL : 0xffff800000000000ULL,
					 layout_ldt_base(levels) - 1, "guard hole" };
	r[n++] = (struct layout_region){ layout_ldt_base(levels),
					 layout_page_offset(levels) - 1, "LDT remap" };
	r[n++] = (struct layout_region){ layout_page_offset(levels),
					 l5 ? 0xff90ffffffffffffULL : 0xffffc87fffffffffULL,
					 "direct map" };
	r[n++] = (struct layout_region){ layout_vmalloc_start(levels), layout_vmalloc_end(levels),
					 "vmalloc" };
	r[n++] = (struct layout_region){ layout_vmemmap_start(levels),
					 l5 ? 0xffd5ffffffffffffULL : 0xffffeaffffffffffULL,
					 "vmemmap" };
	r[n++] = (struct layout_region){ CPU_ENTRY_AREA_BASE, 0xfffffe7fffffffffULL,
					 "cpu_entry_area" };
	r[n++] = (struct layout_region){ ESPFIX_BASE_ADDR, 0xffffff7fffffffffULL, "espfix" };
	r[n++] = (struct layout_region){ EFI_VA_END, 0xfffffffeffffffffULL, "EFI" };
	r[n++] = (struct layout_region){ __START_KERNEL_map, MODULES_VADDR - 1, "kernel text" };
	r[n++] = (struct layout_region){ MODULES_VADDR, MODULES_END - 1, "modules" };
	r[n++] = (struct layout_region){ MODULES_END, UINT64_MAX, "fixmap" };
	return n;
}

void mm_layout_regions(const struct machine *m, uint64_t start, uint64_t end, char *buf,
		       size_t len)
{
	struct layout_region r[16];
	unsigned int n = layout_regions(m, r), i;
	size_t used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		if (r[i].start <= end && start <= r[i].end)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 r[i].name);
}

/* Is @table reachable from @root? (A view only shows the tree asked for.) */
static bool table_in_tree(const struct machine *m, uint64_t root, int level, uint64_t table)
{
	const uint64_t *e;
	unsigned int i;

	if (root == table)
		return true;
	if (level <= PT_PTE || level <= pt_table_level(m, table))
		return false;
	e = pt_table(m, root);
	for (i = 0; i < PTRS_PER_TABLE; i++) {
		if (!(e[i] & _PAGE_PRESENT) || level == PT_PTE ||
		    ((level == PT_PMD || level == PT_PUD) && (e[i] & _PAGE_PSE)))
			continue;
		if (table_in_tree(m, pte_pfn(e[i]), level - 1, table))
			return true;
	}
	return false;
}

/* The first virtual address a table covers, found by searching from the root. */
static bool table_base(const struct machine *m, uint64_t t, int level, uint64_t base,
		       uint64_t table, uint64_t *out)
{
	const uint64_t *e = pt_table(m, t);
	unsigned int i;

	if (t == table) {
		*out = base;
		return true;
	}
	if (level <= PT_PTE)
		return false;
	for (i = 0; i < PTRS_PER_TABLE; i++) {
		uint64_t va = base + ((uint64_t)i << pt_level_shift(level));

		if (level == (int)pt_levels(m) && i >= PTRS_PER_TABLE / 2)
			va |= pt_levels(m) == 5 ? 0xff00000000000000ULL : 0xffff000000000000ULL;
		if (!(e[i] & _PAGE_PRESENT) ||
		    ((level == PT_PMD || level == PT_PUD) && (e[i] & _PAGE_PSE)))
			continue;
		if (pt_table_level(m, pte_pfn(e[i])) < level - 1)
			continue;
		if (table_base(m, pte_pfn(e[i]), level - 1, va, table, out))
			return true;
	}
	return false;
}

int mm_pagetable_table(const struct machine *m, int pid, uint64_t table_pfn, int *level,
		       uint64_t *base, mm_pt_entry_fn fn, void *ctx, struct mm_error *e)
{
	uint64_t root;
	const uint64_t *ent;
	unsigned int i, lv;
	int err = root_of(m, pid, &root, e);

	if (err)
		return err;
	if (table_pfn == UINT64_MAX)
		table_pfn = root;
	if (!pt_is_table(m, table_pfn) ||
	    !table_base(m, root, (int)pt_levels(m), 0, table_pfn, base))
		return mm_error_set(e, -ENOENT, "pfn 0x%" PRIx64 " is not a table of %s%.0d",
				    table_pfn, pid > 0 ? "pid " : "the kernel", pid > 0 ? pid : 0);
	(void)table_in_tree;
	lv = (unsigned int)pt_table_level(m, table_pfn);
	*level = (int)lv;
	ent = pt_table(m, table_pfn);
	for (i = 0; i < PTRS_PER_TABLE; i++) {
		struct mm_pt_entry pe = { 0 };

		if (!(ent[i] & _PAGE_PRESENT))
			continue;
		pe.index = i;
		pe.entry = ent[i];
		pe.level = (int)lv;
		pe.target_pfn = pte_pfn(ent[i]);
		pe.huge = (lv == PT_PMD || lv == PT_PUD) && (ent[i] & _PAGE_PSE);
		pe.leaf = pe.huge || lv == PT_PTE;
		pe.vaddr = *base + ((uint64_t)i << pt_level_shift((int)lv));
		if (lv == pt_levels(m) && i >= PTRS_PER_TABLE / 2)
			pe.vaddr |= pt_levels(m) == 5 ? 0xff00000000000000ULL : 0xffff000000000000ULL;
		pt_flags_text(ent[i], (int)lv, pe.flags, sizeof(pe.flags));
		mm_layout_regions(m, pe.vaddr, pe.vaddr + (1ULL << pt_level_shift((int)lv)) - 1,
				  pe.region, sizeof(pe.region));
		if (!pe.leaf && pt_is_table(m, pe.target_pfn)) {
			const uint64_t *c = pt_table(m, pe.target_pfn);
			unsigned int k;

			for (k = 0; k < PTRS_PER_TABLE; k++)
				pe.child_present += (c[k] & _PAGE_PRESENT) != 0;
		}
		fn(ctx, &pe);
	}
	return 0;
}

/*** ptdump (arch/x86/mm/dump_pagetables.c) ***/

struct marker {
	uint64_t start;
	const char *name;
};

struct pg_state {
	struct sbuf *b;
	const struct marker *markers;
	unsigned int next_marker;
	int level;			/* ptdump's numbering: 0 pgd .. 4 pte, -1 none yet */
	uint64_t prot, start;
	bool started;
};

static void printk_prot(struct sbuf *b, uint64_t pr, int level)
{
	static const char *const level_name[] = { "pgd", "p4d", "pud", "pmd", "pte" };

	if (!(pr & _PAGE_PRESENT)) {
		sb_printf(b, "                              ");
	} else {
		sb_printf(b, "%s", pr & _PAGE_USER ? "USR " : "    ");
		sb_printf(b, "%s", pr & _PAGE_RW ? "RW " : "ro ");
		sb_printf(b, "%s", pr & _PAGE_PWT ? "PWT " : "    ");
		sb_printf(b, "%s", pr & _PAGE_PCD ? "PCD " : "    ");
		sb_printf(b, "%s", level <= 3 && (pr & _PAGE_PSE) ? "PSE " : "    ");
		sb_printf(b, "%s", "    ");	/* PAT is never set here */
		sb_printf(b, "%s", pr & _PAGE_GLOBAL ? "GLB " : "    ");
		sb_printf(b, "%s", pr & _PAGE_NX ? "NX " : "x  ");
	}
	sb_printf(b, "%s\n", level_name[level]);
}

static void print_range(struct pg_state *st, uint64_t end)
{
	static const char units[] = "KMGTPE";
	uint64_t delta = end - st->start;
	const char *unit = units;

	sb_printf(st->b, "0x%016" PRIx64 "-0x%016" PRIx64 "   ", st->start, end);
	delta >>= 10;
	while (!(delta & 1023) && unit[1] && delta) {
		delta >>= 10;
		unit++;
	}
	sb_printf(st->b, "%9" PRIu64 "%c ", delta, *unit);
	printk_prot(st->b, st->prot, st->level);
}

/* note_page(): a new run starts when the level, the flags or a marker changes. */
static void note_page(struct pg_state *st, uint64_t addr, int level, uint64_t prot)
{
	prot &= PTE_FLAGS_MASK & ~(_PAGE_ACCESSED | _PAGE_DIRTY);
	if (!(prot & _PAGE_PRESENT))
		prot = 0;
	if (!st->started) {
		st->started = true;
		sb_printf(st->b, "---[ %s ]---\n", st->markers[0].name);
		st->next_marker = 1;
	} else if (prot != st->prot || level != st->level ||
		   (st->markers[st->next_marker].name && addr >= st->markers[st->next_marker].start)) {
		print_range(st, addr);
		while (st->markers[st->next_marker].name &&
		       addr >= st->markers[st->next_marker].start)
			sb_printf(st->b, "---[ %s ]---\n", st->markers[st->next_marker++].name);
	} else {
		return;
	}
	st->start = addr;
	st->prot = prot;
	st->level = level;
}

static void walk_level(const struct machine *m, struct pg_state *st, uint64_t table,
		       int level, uint64_t base)
{
	const uint64_t *e = pt_table(m, table);
	int dl = (int)pt_levels(m) - level, top = (int)pt_levels(m);
	unsigned int i;

	for (i = 0; i < PTRS_PER_TABLE; i++) {
		uint64_t va = base + ((uint64_t)i << pt_level_shift(level));
		int pl = pt_levels(m) == 4 && level == 4 ? 0 : 4 - (level - 1);

		(void)dl;
		if (level == top && i >= PTRS_PER_TABLE / 2)
			va |= top == 5 ? 0xff00000000000000ULL : 0xffff000000000000ULL;
		if (!(e[i] & _PAGE_PRESENT) ||
		    ((level == PT_PMD || level == PT_PUD) && (e[i] & _PAGE_PSE)) || level == PT_PTE)
			note_page(st, va, pl, e[i]);
		else
			walk_level(m, st, pte_pfn(e[i]), level - 1, va);
	}
}

char *ptdump_kernel(const struct machine *m)
{
	unsigned int levels = pt_levels(m);
	/*
	 * address_markers[] of arch/x86/mm/dump_pagetables.c for a distribution
	 * kernel (MODIFY_LDT_SYSCALL, ESPFIX64 and EFI on, KASAN off). The
	 * Fixmap Area is left out: FIXADDR_START depends on the configuration.
	 */
	const struct marker markers[] = {
		{ 0, "User Space" },
		{ 0x8000000000000000ULL, "Kernel Space" },
		{ layout_ldt_base(levels), "LDT remap" },
		{ layout_page_offset(levels), "Low Kernel Mapping" },
		{ layout_vmalloc_start(levels), "vmalloc() Area" },
		{ layout_vmemmap_start(levels), "Vmemmap" },
		{ CPU_ENTRY_AREA_BASE, "CPU entry Area" },
		{ ESPFIX_BASE_ADDR, "ESPfix Area" },
		{ EFI_VA_END, "EFI Runtime Services" },
		{ __START_KERNEL_map, "High Kernel Mapping" },
		{ MODULES_VADDR, "Modules" },
		{ MODULES_END, "End Modules" },
		{ 0, NULL },
	};
	struct sbuf b = { 0 };
	struct pg_state st = { &b, markers, 0, -1, 0, 0, false };

	if (!m->x86->init_top_pgt)
		return strdup("");
	walk_level(m, &st, m->x86->init_top_pgt, (int)levels, 0);
	print_range(&st, 0);	/* the last run ends at the top of the address space */
	return sb_finish(&b);
}

/*** vtop, as the crash utility prints it for x86_64 ***/

static void vtop_flags(struct sbuf *b, uint64_t e, int level)
{
	sb_printf(b, "(%s%s%s%s%s%s%s%s%s)", e & _PAGE_PRESENT ? "PRESENT" : "",
		  e & _PAGE_RW ? "|RW" : "", e & _PAGE_USER ? "|USER" : "",
		  e & _PAGE_PWT ? "|PWT" : "", e & _PAGE_PCD ? "|PCD" : "",
		  e & _PAGE_ACCESSED ? "|ACCESSED" : "", e & _PAGE_DIRTY ? "|DIRTY" : "",
		  level > PT_PTE && (e & _PAGE_PSE) ? "|PSE" : "",
		  e & _PAGE_NX ? (e & _PAGE_GLOBAL ? "|GLOBAL|NX" : "|NX") :
		  e & _PAGE_GLOBAL ? "|GLOBAL" : "");
}

char *debug_vtop(const struct machine *m, int pid, uint64_t vaddr)
{
	static const char *const names[] = { "", "PTE", "PMD", "PUD", "P4D", "PGD" };
	struct mm_translation t;
	struct mm_error e = { 0 };
	struct sbuf b = { 0 };
	uint64_t root, po = layout_page_offset(pt_levels(m));
	int i;

	if (root_of(m, pid, &root, &e) || mm_pagetable_walk(m, pid, vaddr, &t, &e)) {
		sb_printf(&b, "vtop: %s\n", e.message);
		return sb_finish(&b);
	}
	sb_printf(&b, "VIRTUAL           PHYSICAL        \n");
	if (t.fault)
		sb_printf(&b, "%-16" PRIx64 "  (not mapped)\n\n", vaddr);
	else
		sb_printf(&b, "%-16" PRIx64 "  %-16" PRIx64 "\n\n", vaddr, t.paddr);
	sb_printf(&b, "%s: %" PRIx64 " => %016" PRIx64 "\n",
		  pt_levels(m) == 5 ? "PML5 DIRECTORY" : "PML4 DIRECTORY", po + PFN_PHYS(root),
		  t.levels[0].entry);
	for (i = 0; i < t.nr_levels; i++) {
		const struct mm_walk_level *l = &t.levels[i];
		int lvl = l->level == (int)pt_levels(m) ? 5 : l->level;

		sb_printf(&b, "%*s%s: %" PRIx64 " => %" PRIx64 "\n", lvl == 5 ? 3 : 3, "",
			  lvl == 5 ? (pt_levels(m) == 5 ? "PML5" : "PML4") : names[lvl],
			  PFN_PHYS(l->table_pfn) + l->index * 8u, l->entry);
	}
	if (t.fault) {
		sb_printf(&b, "\n%s not present\n", t.nr_levels ?
			  names[t.levels[t.nr_levels - 1].level] : "PGD");
		return sb_finish(&b);
	}
	sb_printf(&b, "  PAGE: %" PRIx64 "%s\n\n", t.paddr & ~((uint64_t)(1ULL << t.page_shift) - 1),
		  t.page_shift == 30 ? "  (1GB)" : t.page_shift == 21 ? "  (2MB)" : "");
	sb_printf(&b, "      PTE         PHYSICAL  FLAGS\n");
	sb_printf(&b, "%16" PRIx64 "  %" PRIx64 "  ", t.levels[t.nr_levels - 1].entry,
		  t.paddr & ~((uint64_t)(1ULL << t.page_shift) - 1));
	vtop_flags(&b, t.levels[t.nr_levels - 1].entry, t.levels[t.nr_levels - 1].level);
	sb_printf(&b, "\n");
	return sb_finish(&b);
}
