/*
 * boot.c - the CPUs' modes and control registers, and every moment at which
 * paging is switched: the boot path of head_64.S, a secondary CPU waking
 * through the real-mode trampoline, kexec turning paging off, paging turned
 * on or off by hand, and the triple fault that follows a careless switch.
 *
 * Kernel: arch/x86/kernel/head_64.S (startup_64, secondary_startup_64),
 * arch/x86/kernel/head64.c (__startup_64, x86_64_start_kernel),
 * arch/x86/mm/init.c (init_mem_mapping), arch/x86/realmode/rm/trampoline_64.S
 * and arch/x86/realmode/init.c (trampoline_pgd), and
 * arch/x86/kernel/relocate_kernel_64.S (kexec's identity-mapped control page).
 *
 * Ideas to hold:
 *  - The instruction after the one that sets or clears CR0.PG is fetched
 *    through the new regime. Every switch therefore happens on a page whose
 *    virtual and physical addresses are equal (an identity mapping), and the
 *    simulation checks exactly that fetch, through the real TLB and walk.
 *  - A fault at that moment cannot be handled (the IDT in use does not
 *    describe the new regime): the CPU shuts down, which on a PC resets it.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "layout.h"
#include "pgtable.h"

static const char *const stage_names[NR_BOOT_STAGES] = {
	"poweron", "protected", "early_tables", "paging_on", "high_jump", "direct_map",
	"identity_dropped", "buddy", "done"
};

static const char *const mode_names[] = { "real", "protected", "long" };

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

/* startup_32 and the decompressor's move to protected mode, flat segments. */
static int stage_protected(struct machine *m)
{
	struct cpu_state *c = &m->x86->cpus[0];

	write_cr0(m, 0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	set_mode(m, 0, CPU_MODE_PROTECTED);
	c->rip = PFN_PHYS(m->x86->kernel_pfn);	/* startup_64, physical */
	return 0;
}

/*
 * __startup_64(): early_top_pgt with an identity map of the image (2 MiB
 * pages from early_dynamic_pgts, not global) and the high kernel mapping.
 */
static int stage_early_tables(struct machine *m)
{
	struct x86_state *x = m->x86;
	uint64_t pa = PFN_PHYS(x->kernel_pfn), end = pa + PFN_PHYS(x->kernel_pages), pmd;
	int err;

	err = pgtable_alloc_table(m, (int)pt_levels(m), PT_FROM_IMAGE, "early_top_pgt",
				  &x->early_top_pgt);
	if (err)
		return err;
	pgtable_build_kernel_image_map(m, x->early_top_pgt);
	for (; pa < end; pa += PMD_SIZE) {
		err = pt_walk_alloc(m, x->early_top_pgt, pa, PT_PMD, _KERNPG_TABLE, PT_FROM_IMAGE,
				    &pmd);
		if (err)
			return err;
		pt_set_entry(m, pmd, pt_index(pa, PT_PMD), PT_PMD,
			     pa | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY |
			     _PAGE_PSE, pa);
	}
	return 0;
}

static int stage_paging_on(struct machine *m)
{
	load_cr3(m, 0, m->x86->early_top_pgt, -1);
	enable_paging(m, 0);
	return fetch_ok(m, 0) ? 0 : -EFAULT;
}

/* The jump from the identity-mapped physical address to the kernel's own. */
static int stage_high_jump(struct machine *m)
{
	struct x86_state *x = m->x86;

	x->cpus[0].rip = __START_KERNEL_map + PFN_PHYS(x->kernel_pfn) - x->phys_base;
	return fetch_ok(m, 0) ? 0 : -EFAULT;
}

/* init_mem_mapping(): init_top_pgt gets the image mapping and the direct map. */
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
	return 0;
}

/* The identity map's tables are dropped with early_top_pgt itself. */
static int stage_identity_dropped(struct machine *m)
{
	struct x86_state *x = m->x86;
	unsigned int i;

	for (i = 0; i < pgd_kernel_first(m); i++)
		if (pt_table(m, x->early_top_pgt)[i] & _PAGE_PRESENT)
			pt_clear_entry(m, x->early_top_pgt, i, (int)pt_levels(m),
				       PFN_PHYS(i) << (pt_levels(m) == 5 ? 36 : 27));
	pgtable_free_tree(m, x->early_top_pgt, (int)pt_levels(m), 0, pgd_kernel_first(m) - 1);
	pgtable_free_table(m, x->early_top_pgt);
	x->early_top_pgt = 0;
	return 0;
}

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
	[BOOT_PROTECTED] = stage_protected,
	[BOOT_EARLY_TABLES] = stage_early_tables,
	[BOOT_PAGING_ON] = stage_paging_on,
	[BOOT_HIGH_JUMP] = stage_high_jump,
	[BOOT_DIRECT_MAP] = stage_direct_map,
	[BOOT_IDENTITY_DROPPED] = stage_identity_dropped,
	[BOOT_BUDDY] = stage_buddy,
	[BOOT_DONE] = stage_done,
};

/* Walk the stages one by one up to @until; each is a boot_stage event. */
int boot_advance(struct machine *m, int until, struct mm_error *e)
{
	struct x86_state *x = m->x86;
	int err;

	while (x->boot_stage < until) {
		int next = x->boot_stage + 1;

		err = stage_fns[next](m);
		if (err)
			return mm_error_set(e, err, "boot stage %s failed (%s)", stage_names[next],
					    mm_errno_name(err));
		x->boot_stage = next;
		stage_event(m, next);
	}
	return 0;
}

int mm_boot(struct machine *m, const char *until, const char **reached, struct mm_error *e)
{
	int target = BOOT_DONE, s;

	if (until) {
		for (s = BOOT_PROTECTED; s < NR_BOOT_STAGES; s++)
			if (strcmp(until, stage_names[s]) == 0)
				break;
		if (s == NR_BOOT_STAGES)
			return mm_error_set(e, -EINVAL, "unknown boot stage \"%s\" (protected, "
					    "early_tables, paging_on, high_jump, direct_map, "
					    "identity_dropped, buddy, done)", until);
		target = s;
	}
	*reached = stage_names[m->x86->boot_stage];
	if (m->x86->boot_stage >= target)
		return mm_error_set(e, -EALREADY, "the machine is already past \"%s\" (at \"%s\")",
				    stage_names[target], stage_names[m->x86->boot_stage]);
	s = boot_advance(m, target, e);
	*reached = stage_names[m->x86->boot_stage];
	return s;
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
	return boot_advance(m, BOOT_IDENTITY_DROPPED, e);
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

/* trampoline_start -> startup_32 -> startup_64 -> secondary_startup_64. */
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
 * machine_kexec(): an identity-mapped control page in a fresh PGD (which also
 * holds the kernel half), then a jump to it: relocate_kernel may now turn
 * paging off, since the next fetch is at the same address either way.
 */
static int kexec_prepare(struct machine *m, int cpu)
{
	struct x86_state *x = m->x86;
	struct alloc_pages_result res;
	uint64_t pte, pa;
	unsigned int i;
	int err;

	if (!m->booted)
		return -EAGAIN;
	if (!x->kexec_pgd) {
		err = __alloc_pages(m, GFP_KERNEL, 0, -1, cpu, OWNER_OTHER, &res, NULL);
		if (err)
			return err;
		x->kexec_control = res.pfn;
		err = pgtable_alloc_table(m, (int)pt_levels(m), PT_FROM_BUDDY, "kexec pgd",
					  &x->kexec_pgd);
		if (err)
			return err;
		for (i = pgd_kernel_first(m); i < PTRS_PER_TABLE; i++)
			pt_entries(m, x->kexec_pgd)[i] = pt_table(m, x->init_top_pgt)[i];
		pa = PFN_PHYS(x->kexec_control);
		err = pt_walk_alloc(m, x->kexec_pgd, pa, PT_PTE, _KERNPG_TABLE, PT_FROM_BUDDY,
				    &pte);
		if (err)
			return err;
		pt_set_entry(m, pte, pt_index(pa, PT_PTE), PT_PTE,
			     pa | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY, pa);
	}
	load_cr3(m, cpu, x->kexec_pgd, -1);
	x->cpus[cpu].rip = PFN_PHYS(x->kexec_control);
	return fetch_ok(m, cpu) ? 0 : -EFAULT;
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
	if (enable) {
		if (kexec)
			return mm_error_set(e, -EINVAL, "kexec only turns paging off");
		if (c->cr0 & X86_CR0_PG)
			return mm_error_set(e, -EALREADY, "paging is already on on CPU %d", cpu);
		if (!(c->cr0 & X86_CR0_PE))
			return mm_error_set(e, -EINVAL, "CPU %d is in real mode: paging needs "
					    "protected mode first (CR0.PE)", cpu);
		return paging_on_by_hand(m, cpu, tf);
	}
	if (!(c->cr0 & X86_CR0_PG))
		return mm_error_set(e, -EALREADY, "paging is already off on CPU %d", cpu);
	if (kexec) {
		err = kexec_prepare(m, cpu);
		if (err)
			return mm_error_set(e, err, "kexec could not set up its control page");
		c->online = false;
	}
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
