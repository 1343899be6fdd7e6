/*
 * boot.c - the CPUs' modes and control registers, and every moment at which
 * paging is switched or CR3 moves between tables: the boot path (paging on
 * in the decompressor, then the kernel's early tables), a secondary CPU
 * waking through the real-mode trampoline, kexec keeping paging on through
 * an identity map, paging turned on or off by hand, and the triple fault
 * that follows a careless switch.
 *
 * Kernel: arch/x86/boot/pm.c (go_to_protected_mode),
 * arch/x86/boot/compressed/head_64.S (startup_32, startup_64, .Lrelocated)
 * and ident_map_64.c (initialize_identity_maps), arch/x86/kernel/head_64.S
 * (startup_64, common_startup_64, secondary_startup_64),
 * arch/x86/boot/startup/map_kernel.c (__startup_64), arch/x86/kernel/head64.c
 * (x86_64_start_kernel, reset_early_page_tables), arch/x86/mm/init.c
 * (init_mem_mapping), arch/x86/realmode/rm/trampoline_64.S and
 * arch/x86/realmode/init.c (trampoline_pgd), and
 * arch/x86/kernel/machine_kexec_64.c with relocate_kernel_64.S.
 *
 * Ideas to hold:
 *  - The instruction after the one that sets or clears CR0.PG, or writes
 *    CR3, is fetched through the new regime. Every switch therefore happens
 *    on a page whose virtual and physical addresses are equal (an identity
 *    mapping), or that both tables map alike, and the simulation checks
 *    exactly that fetch, through the real TLB and walk.
 *  - A fault at that moment cannot be handled (the IDT in use does not
 *    describe the new regime): the CPU shuts down, which on a PC resets it.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "layout.h"
#include "pgtable.h"

/* Named after the kernel code that has just run (README: the boot path). */
static const char *const stage_names[NR_BOOT_STAGES] = {
	"poweron", "startup_32", "extract_kernel", "startup_64", "__startup_64",
	"common_startup_64", "reset_early_page_tables", "init_mem_mapping", "mm_core_init", "done"
};

static const char *const mode_names[] = { "real", "protected", "long" };

/* A stage's return: the CPU triple-faulted and the boot starts again. */
#define BOOT_RESTARTED	1

const char *boot_stage_name(int stage)
{
	return stage >= 0 && stage < NR_BOOT_STAGES ? stage_names[stage] : "?";
}

const char *mm_boot_stage(const struct machine *m)
{
	return boot_stage_name(m->x86->boot_stage);
}

/*** Control registers ***/

static void cpu_event(struct machine *m, int type, int cpu, int64_t value, uint64_t paddr,
		      const char *detail)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.cpu = cpu;
	ev.value = value;
	ev.paddr = paddr;
	ev.detail = detail;
	emit(m, &ev);
}

static void set_mode(struct machine *m, int cpu, int mode)
{
	struct cpu_state *c = &m->x86->cpus[cpu];

	if (c->mode == mode)
		return;
	c->mode = mode;
	cpu_event(m, MM_EV_cpu_mode, cpu, mode, MM_NA_U64, mode_names[mode]);
}

static void write_cr0(struct machine *m, int cpu, uint64_t val)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	uint64_t old = c->cr0;

	c->cr0 = val;
	cpu_event(m, MM_EV_cr0_write, cpu, (int64_t)val, MM_NA_U64,
		  (val ^ old) & X86_CR0_PG ? (val & X86_CR0_PG ? "PG set" : "PG cleared") :
		  (val ^ old) & X86_CR0_PE ? (val & X86_CR0_PE ? "PE set" : "PE cleared") : "");
}

static void write_cr4(struct machine *m, int cpu, uint64_t val)
{
	m->x86->cpus[cpu].cr4 = val;
	cpu_event(m, MM_EV_cr4_write, cpu, (int64_t)val, MM_NA_U64,
		  val & X86_CR4_LA57 ? "PAE|PGE|LA57" : val & X86_CR4_PAE ? "PAE|PGE" : "");
}

/* wrmsr(MSR_EFER): shown as a mode event, the step that arms long mode. */
static void write_efer(struct machine *m, int cpu, uint64_t val)
{
	m->x86->cpus[cpu].efer = val;
	cpu_event(m, MM_EV_cpu_mode, cpu, (int64_t)val, MM_NA_U64,
		  val & EFER_LMA ? "EFER.LMA (long mode active)" :
		  val & EFER_LME ? "EFER.LME (long mode enabled)" : "EFER cleared");
}

/*
 * load_cr3() - a CR3 write: the new PGD, and every non-global TLB entry
 * gone (no PCIDs). Kernel: arch/x86/include/asm/tlbflush.h, load_cr3().
 */
void load_cr3(struct machine *m, int cpu, uint64_t pgd_pfn, int pid)
{
	struct cpu_state *c = &m->x86->cpus[cpu];

	c->cr3 = PFN_PHYS(pgd_pfn);
	c->pid = pid;
	cpu_event(m, MM_EV_cr3_write, cpu, pid, c->cr3, pid > 0 ? "process" :
		  pid == 0 ? "init_mm" : "other");
	if (c->cr0 & X86_CR0_PG)
		tlb_flush_cpu(m, cpu, false, "cr3");
}

/* The state after RESET/INIT: real mode at the reset vector, nothing cached. */
static void cpu_reset(struct machine *m, int cpu)
{
	struct cpu_state *c = &m->x86->cpus[cpu];

	tlb_flush_cpu(m, cpu, true, "reset");
	c->cr0 = X86_CR0_RESET;
	c->cr3 = 0;
	c->cr4 = 0;
	c->efer = 0;
	c->rip = X86_RESET_VECTOR;
	c->pid = -1;
	c->online = false;
	set_mode(m, cpu, CPU_MODE_REAL);
}

static void triple_fault(struct machine *m, int cpu, const char *why)
{
	struct mm_event ev;

	if (events_on(m)) {
		mm_event_init(&ev, MM_EV_triple_fault);
		ev.cpu = cpu;
		ev.vaddr = m->x86->cpus[cpu].rip;
		ev.detail = why;
		emit(m, &ev);
	}
	cpu_reset(m, cpu);
}

/* Fetch the next instruction at rip through the current regime. */
static bool fetch_ok(struct machine *m, int cpu)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	struct mm_translation t;

	if (mm_translate(m, cpu, MM_PID_CURRENT, c->rip, MM_ACCESS_EXEC, 0, &t, NULL))
		return false;
	return !t.fault;
}

/* CR4.PAE (+LA57, PGE), EFER.LME, CR0.PG: into long mode on the current CR3. */
static void enable_paging(struct machine *m, int cpu)
{
	struct cpu_state *c = &m->x86->cpus[cpu];

	write_cr4(m, cpu, c->cr4 | X86_CR4_PAE | X86_CR4_PGE |
		  (pt_levels(m) == 5 ? X86_CR4_LA57 : 0));
	write_efer(m, cpu, c->efer | EFER_LME | EFER_NX);
	write_cr0(m, cpu, c->cr0 | X86_CR0_PG | X86_CR0_WP);
	write_efer(m, cpu, c->efer | EFER_LMA);
	cpu_event(m, MM_EV_paging_enable, cpu, pt_levels(m), c->cr3, "CR0.PG");
	set_mode(m, cpu, CPU_MODE_LONG);
}

static void disable_paging(struct machine *m, int cpu)
{
	struct cpu_state *c = &m->x86->cpus[cpu];

	write_cr0(m, cpu, c->cr0 & ~X86_CR0_PG);
	c->efer &= ~EFER_LMA;
	cpu_event(m, MM_EV_paging_disable, cpu, 0, c->cr3, "CR0.PG");
	tlb_flush_cpu(m, cpu, true, "paging off");
	set_mode(m, cpu, CPU_MODE_PROTECTED);
}

/*** The boot path (engine.md section 7) ***/

static void stage_event(struct machine *m, int stage)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_boot_stage);
	ev.cpu = 0;
	ev.value = stage;
	ev.detail = stage_names[stage];
	emit(m, &ev);
}

/* Identity-map [pa, end) with 2 MiB pages under @root (not global). */
static int map_identity_2m(struct machine *m, uint64_t root, uint64_t pa, uint64_t end,
			   enum pt_source src)
{
	uint64_t pmd;
	int err;

	for (pa &= ~(PMD_SIZE - 1); pa < end; pa += PMD_SIZE) {
		err = pt_walk_alloc(m, root, pa, PT_PMD, _KERNPG_TABLE, src, &pmd);
		if (err)
			return err;
		pt_set_entry(m, pmd, pt_index(pa, PT_PMD), PT_PMD,
			     pa | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY |
			     _PAGE_PSE, pa);
	}
	return 0;
}

/*
 * The setup code's go_to_protected_mode() (arch/x86/boot/pm.c) ends in
 * protected_mode_jump, which enters the decompressor's startup_32
 * (arch/x86/boot/compressed/head_64.S) at the load address: flat segments,
 * CR0.PE, paging still off.
 */
static int stage_startup_32(struct machine *m)
{
	struct cpu_state *c = &m->x86->cpus[0];

	write_cr0(m, 0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	set_mode(m, 0, CPU_MODE_PROTECTED);
	c->rip = PFN_PHYS(m->x86->kernel_pfn);	/* startup_32, LOAD_PHYSICAL_ADDR */
	return 0;
}

/*
 * The decompressor's startup_32 builds identity-mapped tables, sets CR4.PAE,
 * loads CR3, sets EFER.LME and then CR0.PG: this is where a BIOS boot turns
 * paging on, and the lret lands in its startup_64 (0x200 further) in long
 * mode. After relocating itself, .Lrelocated calls initialize_identity_maps()
 * (compressed/ident_map_64.c), which loads a fresh identity-mapped top-level
 * table; extract_kernel() then decompresses the kernel beside it. The model
 * keeps one table, that last one, with the image area mapped 1:1 in 2 MiB
 * pages (the 4 GiB map of startup_32 is not drawn). An EFI firmware already
 * runs in long mode on its own identity map and enters the decompressor's
 * startup_64 (or the EFI stub) with CR0.PG set.
 */
static int stage_extract_kernel(struct machine *m)
{
	struct x86_state *x = m->x86;
	uint64_t pa = PFN_PHYS(x->kernel_pfn);
	int err;

	err = pgtable_alloc_table(m, (int)pt_levels(m), PT_FROM_DECOMPRESSOR, "top_level_pgt",
				  &x->boot_pgt);
	if (!err)
		err = map_identity_2m(m, x->boot_pgt, pa, pa + PFN_PHYS(x->kernel_pages),
				      PT_FROM_DECOMPRESSOR);
	if (err)
		return err;
	load_cr3(m, 0, x->boot_pgt, -1);
	enable_paging(m, 0);
	if (!fetch_ok(m, 0))
		return -EFAULT;
	x->cpus[0].rip = pa + 0x200;	/* the decompressor's startup_64 */
	return fetch_ok(m, 0) ? 0 : -EFAULT;
}

/*
 * extract_kernel() returns the entry point and the decompressor jumps to the
 * kernel's startup_64 (arch/x86/kernel/head_64.S) at its physical address:
 * long mode, CR0.PG already set, CR3 still the decompressor's identity map.
 */
static int stage_startup_64(struct machine *m)
{
	m->x86->cpus[0].rip = PFN_PHYS(m->x86->kernel_pfn);
	return fetch_ok(m, 0) ? 0 : -EFAULT;
}

/*
 * __startup_64() (arch/x86/boot/startup/map_kernel.c) fixes up early_top_pgt:
 * the kernel's high mapping through level3_kernel_pgt and an identity map of
 * the image from early_dynamic_pgts (2 MiB pages, not global). startup_64
 * then writes CR3 with early_top_pgt, still running at the physical address;
 * the decompressor's tables are left behind.
 */
static int startup_64_tables(struct machine *m, bool identity)
{
	struct x86_state *x = m->x86;
	uint64_t pa = PFN_PHYS(x->kernel_pfn);
	int err;

	err = pgtable_alloc_table(m, (int)pt_levels(m), PT_FROM_IMAGE, "early_top_pgt",
				  &x->early_top_pgt);
	if (err)
		return err;
	pgtable_build_kernel_image_map(m, x->early_top_pgt);
	err = identity ? map_identity_2m(m, x->early_top_pgt, pa, pa + PFN_PHYS(x->kernel_pages),
					 PT_FROM_IMAGE) : 0;
	if (err)
		return err;
	load_cr3(m, 0, x->early_top_pgt, -1);
	if (!fetch_ok(m, 0)) {
		triple_fault(m, 0, "startup_64 wrote CR3 with tables that do not map the code it "
			     "runs at its physical address");
		return BOOT_RESTARTED;
	}
	pgtable_free_tree(m, x->boot_pgt, (int)pt_levels(m), 0, PTRS_PER_TABLE - 1);
	pgtable_free_table(m, x->boot_pgt);
	x->boot_pgt = 0;
	return 0;
}

static int stage___startup_64(struct machine *m)
{
	return startup_64_tables(m, true);
}

/*
 * startup_64's "jmp *.Lcommon_startup_64": from the identity-mapped physical
 * address to the kernel's own, above __START_KERNEL_map.
 */
static int stage_common_startup_64(struct machine *m)
{
	struct x86_state *x = m->x86;

	x->cpus[0].rip = __START_KERNEL_map + PFN_PHYS(x->kernel_pfn) - x->phys_base;
	return fetch_ok(m, 0) ? 0 : -EFAULT;
}

/*
 * x86_64_start_kernel() (arch/x86/kernel/head64.c) calls
 * reset_early_page_tables(): every early_top_pgt entry but the last (the
 * kernel's) is wiped and CR3 rewritten, so the identity map is gone. The
 * early_dynamic_pgts that held it go back to early_make_pgtable()'s pool.
 */
static int stage_reset_early_pgt(struct machine *m)
{
	struct x86_state *x = m->x86;
	unsigned int i;

	for (i = 0; i < PTRS_PER_TABLE - 1; i++) {
		uint64_t entry = pt_table(m, x->early_top_pgt)[i], child = pte_pfn(entry);

		if (!(entry & _PAGE_PRESENT))
			continue;
		pt_clear_entry(m, x->early_top_pgt, i, (int)pt_levels(m),
			       PFN_PHYS(i) << (pt_levels(m) == 5 ? 36 : 27));
		pgtable_free_tree(m, child, (int)pt_levels(m) - 1, 0, PTRS_PER_TABLE - 1);
		pgtable_free_table(m, child);
	}
	load_cr3(m, 0, x->early_top_pgt, -1);
	return fetch_ok(m, 0) ? 0 : -EFAULT;
}

/*
 * setup_arch() -> init_mem_mapping() (arch/x86/mm/init.c): init_top_pgt
 * (swapper_pg_dir), whose last entry x86_64_start_kernel() copied from
 * early_top_pgt, gets the direct map, and load_cr3(swapper_pg_dir) leaves
 * early_top_pgt (init data, freed with the rest of it).
 */
static int stage_direct_map(struct machine *m)
{
	struct x86_state *x = m->x86;
	int err;

	err = pgtable_alloc_table(m, (int)pt_levels(m), PT_FROM_IMAGE, "init_top_pgt",
				  &x->init_top_pgt);
	if (err)
		return err;
	pt_set_entry(m, x->init_top_pgt, PTRS_PER_TABLE - 1, (int)pt_levels(m),
		     pt_table(m, x->early_top_pgt)[PTRS_PER_TABLE - 1], __START_KERNEL_map);
	err = preallocate_vmalloc_pages(m);
	if (err)
		return err;
	err = pgtable_build_direct_map(m);
	if (err)
		return err;
	load_cr3(m, 0, x->init_top_pgt, 0);
	pgtable_free_table(m, x->early_top_pgt);
	x->early_top_pgt = 0;
	return fetch_ok(m, 0) ? 0 : -EFAULT;
}

/* mm_core_init() (mm/mm_init.c): memblock_free_all() hands memory to the buddy. */
static int stage_buddy(struct machine *m)
{
	if (!m->booted)
		mm_core_init_buddy(m);
	return 0;
}

static int bring_up_cpu(struct machine *m, int cpu);

/* smp_init(): every other CPU comes up through the trampoline. */
static int stage_done(struct machine *m)
{
	unsigned int cpu;
	int err;

	m->x86->cpus[0].online = true;
	for (cpu = 1; cpu < m->nr_cpus; cpu++) {
		err = bring_up_cpu(m, (int)cpu);
		if (err)
			return err;
	}
	return 0;
}

static int (*const stage_fns[NR_BOOT_STAGES])(struct machine *) = {
	[BOOT_STARTUP_32] = stage_startup_32,
	[BOOT_EXTRACT_KERNEL] = stage_extract_kernel,
	[BOOT_STARTUP_64] = stage_startup_64,
	[BOOT___STARTUP_64] = stage___startup_64,
	[BOOT_COMMON_STARTUP_64] = stage_common_startup_64,
	[BOOT_RESET_EARLY_PGT] = stage_reset_early_pgt,
	[BOOT_DIRECT_MAP] = stage_direct_map,
	[BOOT_MM_CORE_INIT] = stage_buddy,
	[BOOT_DONE] = stage_done,
};

/*
 * A triple fault during the boot resets the PC: the boot starts again at
 * power-on, without the tables it had built (all in the image or the
 * decompressor's buffer, before anything came from memblock).
 */
static void boot_restart(struct machine *m)
{
	struct x86_state *x = m->x86;
	uint64_t *const roots[] = { &x->early_top_pgt, &x->boot_pgt };

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (!*roots[i])
			continue;
		pgtable_free_tree(m, *roots[i], (int)pt_levels(m), 0, PTRS_PER_TABLE - 1);
		pgtable_free_table(m, *roots[i]);
		*roots[i] = 0;
	}
	pgtable_image_rewind(m);
	x->boot_stage = BOOT_POWERON;
	stage_event(m, BOOT_POWERON);
}

/*
 * Walk the stages one by one up to @until; each is a boot_stage event.
 * MM_BOOT_NO_IDENTITY builds early_top_pgt without its identity map: the
 * fetch after the CR3 write faults, and BOOT_RESTARTED says the boot began
 * again.
 */
static int boot_walk(struct machine *m, int until, unsigned int flags, struct mm_error *e)
{
	struct x86_state *x = m->x86;
	int err;

	while (x->boot_stage < until) {
		int next = x->boot_stage + 1;

		err = next == BOOT___STARTUP_64 ?
		      startup_64_tables(m, !(flags & MM_BOOT_NO_IDENTITY)) : stage_fns[next](m);
		if (err == BOOT_RESTARTED) {
			boot_restart(m);
			return BOOT_RESTARTED;
		}
		if (err)
			return mm_error_set(e, err, "boot stage %s failed (%s)", stage_names[next],
					    mm_errno_name(err));
		x->boot_stage = next;
		stage_event(m, next);
	}
	return 0;
}

int boot_advance(struct machine *m, int until, struct mm_error *e)
{
	return boot_walk(m, until, 0, e);
}

int mm_boot_ex(struct machine *m, const char *until, unsigned int flags, const char **reached,
	       bool *triple_fault, struct mm_error *e)
{
	int target = BOOT_DONE, s;

	*triple_fault = false;
	if (until) {
		for (s = BOOT_STARTUP_32; s < NR_BOOT_STAGES; s++)
			if (strcmp(until, stage_names[s]) == 0)
				break;
		if (s == NR_BOOT_STAGES)
			return mm_error_set(e, -EINVAL, "unknown boot stage \"%s\" (startup_32, "
					    "extract_kernel, startup_64, __startup_64, "
					    "common_startup_64, reset_early_page_tables, "
					    "init_mem_mapping, mm_core_init, done)", until);
		target = s;
	}
	*reached = stage_names[m->x86->boot_stage];
	if (m->x86->boot_stage >= target)
		return mm_error_set(e, -EALREADY, "the machine is already past \"%s\" (at \"%s\")",
				    stage_names[target], stage_names[m->x86->boot_stage]);
	s = boot_walk(m, target, flags, e);
	*reached = stage_names[m->x86->boot_stage];
	*triple_fault = s == BOOT_RESTARTED;
	return s == BOOT_RESTARTED ? 0 : s;
}

int mm_boot(struct machine *m, const char *until, const char **reached, struct mm_error *e)
{
	bool tf;

	return mm_boot_ex(m, until, 0, reached, &tf, e);
}

/*** Machine creation ***/

int x86_boot_init(struct machine *m, struct mm_error *e)
{
	unsigned int cpu;
	int err = x86_state_alloc(m);

	if (err)
		return mm_error_set(e, err, "out of memory for the CPUs and their TLBs");
	for (cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct cpu_state *c = &m->x86->cpus[cpu];

		c->cr0 = X86_CR0_RESET;
		c->rip = X86_RESET_VECTOR;
		c->pid = -1;
		c->mode = CPU_MODE_REAL;
	}
	if (m->cfg.start != MACHINE_START_BOOTED)
		return 0;
	return boot_advance(m, BOOT_DIRECT_MAP, e);
}

int x86_boot_late(struct machine *m)
{
	return boot_advance(m, BOOT_DONE, NULL);
}

/*** Secondary CPUs: the real-mode trampoline ***/

/*
 * set_real_mode_permissions(): the trampoline's code page, seen through the
 * direct map (which the trampoline uses as its identity map), loses NX.
 */
static int set_trampoline_text_x(struct machine *m, uint64_t pfn)
{
	uint64_t va = layout_page_offset(pt_levels(m)) + PFN_PHYS(pfn);
	struct pt_walk w;

	if (!memblock_is_memory(m, pfn) || pt_walk(m, m->x86->init_top_pgt, va, &w) ||
	    w.page_shift != PAGE_SHIFT)
		return -EFAULT;
	pt_set_entry(m, w.step[w.nr - 1].table, w.step[w.nr - 1].index, PT_PTE,
		     w.step[w.nr - 1].entry & ~_PAGE_NX, va);
	flush_tlb_kernel_range(m, va, va + PAGE_SIZE);
	return 0;
}

/* setup_real_mode(): trampoline_pgd maps low memory 1:1 and the kernel half. */
static int setup_trampoline_pgd(struct machine *m)
{
	struct x86_state *x = m->x86;
	const uint64_t *k;
	unsigned int i;
	int err;

	if (x->trampoline_pgd)
		return 0;
	err = pgtable_alloc_table(m, (int)pt_levels(m), PT_FROM_REALMODE, "trampoline_pgd",
				  &x->trampoline_pgd);
	if (err)
		return err;
	err = set_trampoline_text_x(m, PHYS_PFN(PFN_PHYS(x->trampoline_pgd) - PAGE_SIZE));
	if (err)
		return err;
	k = pt_table(m, x->init_top_pgt);
	pt_set_entry(m, x->trampoline_pgd, 0, (int)pt_levels(m),
		     k[pt_index(layout_page_offset(pt_levels(m)), (int)pt_levels(m))], 0);
	for (i = pgd_kernel_first(m); i < PTRS_PER_TABLE; i++)
		pt_entries(m, x->trampoline_pgd)[i] = k[i];
	return 0;
}

/*
 * A secondary CPU, woken by INIT/SIPI in real mode, runs
 * arch/x86/realmode/rm/trampoline_64.S: trampoline_start sets CR0.PE and
 * jumps to its startup_32, which loads CR3 with trampoline_pgd, sets EFER.LME
 * and then CR0.PG (paging goes on here, on the trampoline's identity map);
 * its startup_64 jumps through tr_start to secondary_startup_64
 * (arch/x86/kernel/head_64.S) at the high address, which moves CR3 to
 * init_top_pgt.
 */
static int bring_up_cpu(struct machine *m, int cpu)
{
	struct x86_state *x = m->x86;
	struct cpu_state *c = &x->cpus[cpu];
	int err = setup_trampoline_pgd(m);

	if (err)
		return err;
	cpu_reset(m, cpu);
	c->rip = PFN_PHYS(x->trampoline_pgd) - PAGE_SIZE;	/* the trampoline's code page */
	write_cr0(m, cpu, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	set_mode(m, cpu, CPU_MODE_PROTECTED);
	load_cr3(m, cpu, x->trampoline_pgd, -1);
	enable_paging(m, cpu);
	if (!fetch_ok(m, cpu)) {
		triple_fault(m, cpu, "the trampoline is not identity-mapped");
		return -EFAULT;
	}
	c->rip = __START_KERNEL_map + PFN_PHYS(x->kernel_pfn) - x->phys_base + 0x100;
	if (!fetch_ok(m, cpu)) {
		triple_fault(m, cpu, "secondary_startup_64 is not mapped");
		return -EFAULT;
	}
	load_cr3(m, cpu, x->init_top_pgt, 0);
	tlb_flush_cpu(m, cpu, true, "all");	/* start_secondary(): __flush_tlb_all() */
	c->online = true;
	return 0;
}

int mm_boot_cpu(struct machine *m, int cpu, struct mm_error *e)
{
	struct x86_state *x = m->x86;
	int err;

	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if (x->boot_stage < BOOT_DONE)
		return mm_error_set(e, -EAGAIN, "the boot CPU has not finished booting (at \"%s\")",
				    stage_names[x->boot_stage]);
	if (x->cpus[cpu].online)
		return mm_error_set(e, -EBUSY, "CPU %d is already up", cpu);
	err = bring_up_cpu(m, cpu);
	if (err)
		return mm_error_set(e, err, "CPU %d did not come up", cpu);
	return 0;
}

/*** Paging by hand, and kexec ***/

/*
 * machine_kexec_prepare() -> init_pgtable() (arch/x86/kernel/machine_kexec_64.c):
 * a fresh PGD with an identity map, and init_transition_pgtable() mapping
 * the control page also at __va(control_page), where relocate_kernel starts.
 * The kernel's identity map covers all of RAM (kernel_ident_mapping_init());
 * the model maps what the jump fetches: the control page and the image area
 * the next kernel's startup_64 is entered in. Tables from the buddy.
 */
static int kexec_build(struct machine *m, int cpu)
{
	struct x86_state *x = m->x86;
	struct alloc_pages_result res;
	uint64_t pte, pa, va, ka = PFN_PHYS(x->kernel_pfn);
	int err;

	err = __alloc_pages(m, GFP_KERNEL, 0, -1, cpu, OWNER_OTHER, &res, NULL);
	if (err)
		return err;
	x->kexec_control = res.pfn;
	err = pgtable_alloc_table(m, (int)pt_levels(m), PT_FROM_BUDDY, "kexec pgd", &x->kexec_pgd);
	if (err)
		return err;
	pa = PFN_PHYS(x->kexec_control);
	va = layout_page_offset(pt_levels(m)) + pa;
	err = pt_walk_alloc(m, x->kexec_pgd, pa, PT_PTE, _KERNPG_TABLE, PT_FROM_BUDDY, &pte);
	if (err)
		return err;
	pt_set_entry(m, pte, pt_index(pa, PT_PTE), PT_PTE,
		     pa | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY, pa);
	err = pt_walk_alloc(m, x->kexec_pgd, va, PT_PTE, _KERNPG_TABLE, PT_FROM_BUDDY, &pte);
	if (err)
		return err;
	pt_set_entry(m, pte, pt_index(va, PT_PTE), PT_PTE,
		     pa | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY, va);
	return map_identity_2m(m, x->kexec_pgd, ka, ka + PFN_PHYS(x->kernel_pages),
			       PT_FROM_BUDDY);
}

/*
 * machine_kexec() -> relocate_kernel (arch/x86/kernel/relocate_kernel_64.S),
 * which never clears CR0.PG: it runs from __va(control_page), writes CR3
 * with the identity-mapped table, clears CR4.PGE, jumps to identity_mapped
 * at the control page's physical address, sets CR0 to a known state that
 * keeps PG and PE, and returns into the next kernel's entry, startup_64 at
 * its physical address, still in long mode on the identity map. (32-bit
 * relocate_kernel_32.S does turn paging off there; not modelled.)
 */
static int kexec_relocate(struct machine *m, int cpu, bool *tf)
{
	struct x86_state *x = m->x86;
	struct cpu_state *c = &x->cpus[cpu];
	uint64_t pa;
	int err;

	if (!m->booted)
		return -EAGAIN;
	if (!x->kexec_pgd && (err = kexec_build(m, cpu)))
		return err;
	pa = PFN_PHYS(x->kexec_control);
	c->rip = layout_page_offset(pt_levels(m)) + pa;		/* relocate_kernel */
	c->online = false;
	load_cr3(m, cpu, x->kexec_pgd, -1);
	write_cr4(m, cpu, c->cr4 & ~X86_CR4_PGE);
	if (fetch_ok(m, cpu)) {
		c->rip = pa;					/* identity_mapped */
		if (fetch_ok(m, cpu)) {
			write_cr0(m, cpu, (c->cr0 & ~X86_CR0_WP) | X86_CR0_PG | X86_CR0_PE);
			c->rip = PFN_PHYS(x->kernel_pfn);	/* the next startup_64 */
			if (fetch_ok(m, cpu))
				return 0;
		}
	}
	*tf = true;
	triple_fault(m, cpu, "kexec's tables do not map the next instruction");
	return 0;
}

/* Is rip mapped to itself in the current tables? */
static bool rip_identity_mapped(const struct machine *m, int cpu)
{
	const struct cpu_state *c = &m->x86->cpus[cpu];
	struct pt_walk w;

	if (!pt_is_table(m, PHYS_PFN(c->cr3)) || !layout_canonical(c->rip, pt_levels(m)) ||
	    pt_walk(m, PHYS_PFN(c->cr3), c->rip, &w))
		return false;
	return PFN_PHYS(w.pfn) + (c->rip & (PAGE_SIZE - 1)) == c->rip;
}

static int paging_on_by_hand(struct machine *m, int cpu, bool *tf)
{
	struct cpu_state *c = &m->x86->cpus[cpu];

	if (!pt_is_table(m, PHYS_PFN(c->cr3))) {
		enable_paging(m, cpu);
		c->online = false;
		*tf = true;
		triple_fault(m, cpu, "CR3 does not point at a page table");
		return 0;
	}
	enable_paging(m, cpu);
	if (!fetch_ok(m, cpu)) {
		*tf = true;
		triple_fault(m, cpu, "no identity mapping of the next instruction");
	}
	return 0;
}

int mm_paging(struct machine *m, int cpu, bool enable, bool kexec, bool *tf,
	      struct mm_error *e)
{
	struct cpu_state *c;
	int err;

	*tf = false;
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	c = &m->x86->cpus[cpu];
	if (kexec) {
		if (!enable)
			return mm_error_set(e, -EINVAL, "kexec on x86-64 keeps paging on "
					    "(relocate_kernel_64.S); ask with \"enable\": true");
		if (!(c->cr0 & X86_CR0_PG))
			return mm_error_set(e, -EINVAL, "kexec starts from a running kernel: "
					    "CPU %d has paging off", cpu);
		err = kexec_relocate(m, cpu, tf);
		if (err)
			return mm_error_set(e, err, "kexec could not set up its tables");
		return 0;
	}
	if (enable) {
		if (c->cr0 & X86_CR0_PG)
			return mm_error_set(e, -EALREADY, "paging is already on on CPU %d", cpu);
		if (!(c->cr0 & X86_CR0_PE))
			return mm_error_set(e, -EINVAL, "CPU %d is in real mode: paging needs "
					    "protected mode first (CR0.PE)", cpu);
		return paging_on_by_hand(m, cpu, tf);
	}
	if (!(c->cr0 & X86_CR0_PG))
		return mm_error_set(e, -EALREADY, "paging is already off on CPU %d", cpu);
	if (!rip_identity_mapped(m, cpu)) {
		disable_paging(m, cpu);
		*tf = true;
		triple_fault(m, cpu, "paging turned off away from an identity-mapped page");
		return 0;
	}
	disable_paging(m, cpu);
	c->online = false;
	return 0;
}

/*** switch_mm() and the CPU view ***/

int mm_load_cr3(struct machine *m, int cpu, int pid, struct mm_error *e)
{
	struct x86_state *x = m->x86;
	struct mm_struct *mm = NULL;

	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if (pid > 0 && !(mm = find_mm(m, pid)))
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	if (pid <= 0 && !x->init_top_pgt)
		return mm_error_set(e, -EAGAIN, "init_top_pgt does not exist yet (boot stage \"%s\")",
				    stage_names[x->boot_stage]);
	load_cr3(m, cpu, mm ? mm->pgd : x->init_top_pgt, mm ? pid : 0);
	return 0;
}

int mm_cpu_info(const struct machine *m, int cpu, struct mm_cpu_info *ci)
{
	const struct cpu_state *c;

	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return -EINVAL;
	c = &m->x86->cpus[cpu];
	ci->mode = mode_names[c->mode];
	ci->online = c->online;
	ci->cr0 = c->cr0;
	ci->cr3 = c->cr3;
	ci->cr4 = c->cr4;
	ci->efer = c->efer;
	ci->rip = c->rip;
	ci->pid = c->pid;
	return 0;
}
