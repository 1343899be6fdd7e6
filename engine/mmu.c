/*
 * mmu.c - what the CPU does with a linear address: the canonical check, the
 * TLB, the page walk from CR3, accessed/dirty bits, and #PF with its error
 * code; and the TLB flushes the kernel asks for.
 *
 * Kernel and hardware: the Intel SDM's 4-level/5-level paging chapter,
 * arch/x86/mm/fault.c (the error code bits, do_user_addr_fault), and
 * arch/x86/mm/tlb.c (flush_tlb_kernel_range, flush_tlb_mm_range, invlpg).
 *
 * Ideas to hold:
 *  - Each CPU has four arrays, set-associative: L1 for 4 KiB, 2 MiB and
 *    1 GiB pages and a second-level STLB shared by 4 KiB and 2 MiB pages. A
 *    miss in L1 that hits the STLB refills L1; a miss in both walks the tables
 *    and fills both. Replacement is lru, fifo or random (the machine's PRNG).
 *  - There are no PCIDs: a CR3 write drops every entry that is not global,
 *    and global entries (the kernel half) survive it.
 *
 * Design notes: the invariants that x86_check() verifies here.
 *  C1. Every valid TLB entry of a CPU agrees with that CPU's current tables:
 *      the walk of its address from CR3 finds a present leaf of the same
 *      size and frame, with rights at least as wide (no entry survives the
 *      unmapping and flush of its page).
 *  C2. A CPU with paging off has an empty TLB; CR0.PG implies CR0.PE; long
 *      mode is exactly CR0.PG with EFER.LME and CR4.PAE, and CR3 of a CPU
 *      with paging on is a table page.
 *  C3. Each TLB array's geometry is the config's (sets * ways = entries).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "layout.h"
#include "pgtable.h"

static const char *const tlb_array_names[NR_TLB_ARRAYS] = { "l1_4k", "l1_2m", "l1_1g", "stlb" };

/*** Geometry ***/

static int tlb_array_init(struct tlb_array *t, const struct tlb_array_config *cfg)
{
	t->entries = cfg->entries;
	t->ways = cfg->ways && cfg->ways <= cfg->entries ? cfg->ways : cfg->entries;
	t->sets = t->ways ? t->entries / t->ways : 0;
	t->entries = t->sets * t->ways;
	t->set_mask = t->sets && !(t->sets & (t->sets - 1)) ? t->sets - 1 : 0;
	t->e = calloc(t->entries ? t->entries : 1, sizeof(*t->e) + sizeof(uint64_t));
	return t->e ? 0 : -ENOMEM;
}

int tlb_init_cpu(const struct machine *m, struct cpu_state *cpu)
{
	const struct tlb_config *c = &m->cfg.tlb;

	if (tlb_array_init(&cpu->tlb[TLB_L1_4K], &c->l1_4k) ||
	    tlb_array_init(&cpu->tlb[TLB_L1_2M], &c->l1_2m) ||
	    tlb_array_init(&cpu->tlb[TLB_L1_1G], &c->l1_1g) ||
	    tlb_array_init(&cpu->tlb[TLB_STLB], &c->stlb))
		return -ENOMEM;
	return 0;
}

static int l1_array_for(unsigned int shift)
{
	return shift == PAGE_SHIFT ? TLB_L1_4K : shift == PMD_SHIFT ? TLB_L1_2M : TLB_L1_1G;
}

/*** Lookup, fill, eviction ***/

/* The set of @vpn: a mask for the usual power-of-two geometries, no division. */
static struct tlb_entry *tlb_set(struct tlb_array *t, uint64_t vpn)
{
	uint64_t set = t->set_mask || t->sets == 1 ? vpn & t->set_mask : vpn % t->sets;

	return &t->e[set * t->ways];
}

static struct tlb_entry *tlb_find(struct tlb_array *t, uint64_t vaddr, unsigned int shift)
{
	uint64_t vpn = vaddr >> shift;
	struct tlb_entry *set;
	unsigned int w;

	if (!t->entries)
		return NULL;
	set = tlb_set(t, vpn);
	for (w = 0; w < t->ways; w++)
		if (set[w].vpn == vpn && set[w].valid && set[w].shift == shift)
			return &set[w];
	return NULL;
}

static void tlb_entry_event(struct machine *m, int type, int cpu, int array,
			    const struct tlb_entry *te, const char *why)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.cpu = cpu;
	ev.vaddr = te->vpn << te->shift;
	ev.paddr = PFN_PHYS(te->pfn);
	ev.pfn = te->pfn;
	ev.size = 1ULL << te->shift;
	ev.value = (int64_t)te->prot;
	snprintf(m->detail, sizeof(m->detail), "%s%s%s", tlb_array_names[array],
		 why ? " " : "", why ? why : "");
	ev.detail = m->detail;
	emit(m, &ev);
}

/* The way of @set (in @t) to replace, by the configured policy. */
static unsigned int tlb_victim(struct machine *m, const struct tlb_array *t,
			       const struct tlb_entry *set)
{
	const uint64_t *stamp = tlb_stamps(t) + (set - t->e);
	unsigned int w, best = 0, ways = t->ways;

	for (w = 0; w < ways; w++)
		if (!set[w].valid)
			return w;
	if (m->cfg.tlb.policy == TLB_POLICY_RANDOM)
		return (unsigned int)(x86_prng_next(m) % ways);
	for (w = 1; w < ways; w++)	/* lru: oldest use; fifo: oldest fill */
		if (stamp[w] < stamp[best])
			best = w;
	return best;
}

/* Fill @ne into @array; @absent: the caller just looked and it is not there. */
static void tlb_insert(struct machine *m, int cpu, int array, const struct tlb_entry *ne,
		       bool absent)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	struct tlb_array *t = &c->tlb[array];
	struct tlb_entry *set, *slot;

	if (!t->entries)
		return;
	slot = absent ? NULL : tlb_find(t, ne->vpn << ne->shift, ne->shift);
	if (!slot) {
		set = tlb_set(t, ne->vpn);
		slot = &set[tlb_victim(m, t, set)];
		if (slot->valid)
			tlb_entry_event(m, MM_EV_tlb_evict, cpu, array, slot, m->cfg.tlb.policy ==
					TLB_POLICY_RANDOM ? "random" : m->cfg.tlb.policy ==
					TLB_POLICY_FIFO ? "fifo" : "lru");
	}
	*slot = *ne;
	slot->valid = 1;
	tlb_stamps(t)[slot - t->e] = ++c->tlb_clock;
	tlb_entry_event(m, MM_EV_tlb_fill, cpu, array, slot, NULL);
}

static void tlb_touch(struct machine *m, int cpu, const struct tlb_array *t,
		      const struct tlb_entry *te)
{
	struct cpu_state *c = &m->x86->cpus[cpu];

	c->tlb_clock++;
	if (m->cfg.tlb.policy == TLB_POLICY_LRU)
		tlb_stamps(t)[te - t->e] = c->tlb_clock;
}

/*** Flushes ***/

static void flush_event(struct machine *m, int cpu, const char *scope, uint64_t start,
			uint64_t size, uint64_t dropped)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_tlb_flush);
	ev.cpu = cpu;
	ev.vaddr = start;
	ev.size = size;
	ev.value = (int64_t)dropped;
	ev.detail = scope;
	emit(m, &ev);
}

/* Drop entries: all, or the non-global ones (a CR3 write). */
void tlb_flush_cpu(struct machine *m, int cpu, bool global, const char *why)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	uint64_t dropped = 0;
	unsigned int a, i;

	for (a = 0; a < NR_TLB_ARRAYS; a++)
		for (i = 0; i < c->tlb[a].entries; i++) {
			struct tlb_entry *te = &c->tlb[a].e[i];

			if (te->valid && (global || !(te->prot & _PAGE_GLOBAL))) {
				te->valid = 0;
				dropped++;
			}
		}
	flush_event(m, cpu, why ? why : global ? "all" : "nonglobal", MM_NA_U64, MM_NA_U64,
		    dropped);
}

/* invlpg over [start, end): every entry whose page overlaps the range. */
void tlb_flush_cpu_range(struct machine *m, int cpu, uint64_t start, uint64_t end,
			 const char *why)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	uint64_t dropped = 0;
	unsigned int a, i;

	for (a = 0; a < NR_TLB_ARRAYS; a++)
		for (i = 0; i < c->tlb[a].entries; i++) {
			struct tlb_entry *te = &c->tlb[a].e[i];
			uint64_t s = te->vpn << te->shift, e = s + (1ULL << te->shift);

			if (te->valid && s < end && start < e) {
				te->valid = 0;
				dropped++;
			}
		}
	flush_event(m, cpu, why, start, end - start, dropped);
}

/* flush_tlb_kernel_range(): every CPU, one range (the kernel half is shared). */
void flush_tlb_kernel_range(struct machine *m, uint64_t start, uint64_t end)
{
	unsigned int cpu;

	for (cpu = 0; cpu < m->nr_cpus; cpu++)
		tlb_flush_cpu_range(m, (int)cpu, start, end, "range");
}

int mm_tlb_flush(struct machine *m, int cpu, int scope, uint64_t addr, uint64_t length,
		 struct mm_error *e)
{
	unsigned int c, first = cpu < 0 ? 0 : (unsigned int)cpu;
	unsigned int last = cpu < 0 ? m->nr_cpus - 1 : (unsigned int)cpu;

	if (cpu >= (int)m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if ((scope == MM_FLUSH_PAGE || scope == MM_FLUSH_RANGE) &&
	    !layout_canonical(addr, pt_levels(m)))
		return mm_error_set(e, -EINVAL, "addr 0x%" PRIx64 " is not canonical", addr);
	if (scope == MM_FLUSH_RANGE && (!length || addr + length < addr))
		return mm_error_set(e, -EINVAL, "length must be > 0 and stay in the address space");
	for (c = first; c <= last; c++) {
		if (scope == MM_FLUSH_ALL)
			tlb_flush_cpu(m, (int)c, true, "all");
		else if (scope == MM_FLUSH_NONGLOBAL)
			tlb_flush_cpu(m, (int)c, false, "nonglobal");
		else if (scope == MM_FLUSH_PAGE)
			tlb_flush_cpu_range(m, (int)c, addr & ~(PAGE_SIZE - 1),
					    (addr & ~(PAGE_SIZE - 1)) + PAGE_SIZE, "page");
		else
			tlb_flush_cpu_range(m, (int)c, addr, addr + length, "range");
	}
	return 0;
}

/*** Translation ***/

static bool rights_ok(uint64_t prot, int access, bool user)
{
	if (user && !(prot & _PAGE_USER))
		return false;
	if (access == MM_ACCESS_WRITE && !(prot & _PAGE_RW))
		return false;
	if (access == MM_ACCESS_EXEC && (prot & _PAGE_NX))
		return false;
	return true;
}

static uint32_t pf_error_code(bool present, int access, bool user)
{
	return (present ? X86_PF_PROT : 0) | (access == MM_ACCESS_WRITE ? X86_PF_WRITE : 0) |
	       (user ? X86_PF_USER : 0) | (access == MM_ACCESS_EXEC ? X86_PF_INSTR : 0);
}

/* A TLB hit: L1 of each size first, then the STLB (which refills L1). */
static int tlb_lookup(struct machine *m, int cpu, uint64_t vaddr, struct tlb_entry **hit)
{
	static const unsigned int shifts[3] = { PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT };
	struct cpu_state *c = &m->x86->cpus[cpu];
	struct tlb_entry *te;
	unsigned int i, k;

	/* The three L1 arrays are looked up at once in hardware; here the page
	 * size that hit last goes first, as runs of accesses share it. */
	for (k = 0; k < 3; k++) {
		i = (c->l1_hint + k) % 3;
		te = tlb_find(&c->tlb[l1_array_for(shifts[i])], vaddr, shifts[i]);
		if (te) {
			c->l1_hint = i;
			tlb_touch(m, cpu, &c->tlb[l1_array_for(shifts[i])], te);
			*hit = te;
			return MM_TLB_L1_HIT;
		}
	}
	for (i = 0; i < 2; i++) {
		te = tlb_find(&c->tlb[TLB_STLB], vaddr, shifts[i]);
		if (te) {
			struct tlb_entry copy = *te;

			tlb_touch(m, cpu, &c->tlb[TLB_STLB], te);
			tlb_insert(m, cpu, l1_array_for(shifts[i]), &copy, true);
			*hit = tlb_find(&c->tlb[l1_array_for(shifts[i])], vaddr, shifts[i]);
			if (!*hit)
				*hit = te;
			return MM_TLB_STLB_HIT;
		}
	}
	return MM_TLB_MISS;
}

static void walk_to_translation(const struct pt_walk *w, struct mm_translation *t)
{
	int i;

	t->nr_levels = w->nr;
	for (i = 0; i < w->nr; i++) {
		t->levels[i].level = w->step[i].level;
		t->levels[i].table_pfn = w->step[i].table;
		t->levels[i].index = w->step[i].index;
		t->levels[i].entry = w->step[i].entry;
	}
}

/* The hardware walk: read each level, set A on the way and D on a write. */
static int hw_walk(struct machine *m, uint64_t cr3, uint64_t vaddr, int access,
		   struct pt_walk *w)
{
	int err = pt_walk(m, cr3, vaddr, w), i;

	if (err)
		return err;
	for (i = 0; i < w->nr; i++) {
		uint64_t *e = w->step[i].slot;

		*e |= _PAGE_ACCESSED;
		if (i == w->nr - 1 && access == MM_ACCESS_WRITE && (*e & _PAGE_RW) &&
		    rights_ok(w->prot, access, false))
			*e |= _PAGE_DIRTY;
		w->step[i].entry = *e;
	}
	w->prot |= w->step[w->nr - 1].entry & (_PAGE_DIRTY | _PAGE_ACCESSED);
	return 0;
}

static void translate_event(struct machine *m, int cpu, uint64_t vaddr, int access,
			    const struct mm_translation *t, int pid)
{
	static const char *const tlb_names[] = { "off", "l1_hit", "stlb_hit", "miss" };
	static const char *const access_names[] = { "read", "write", "exec" };
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_translate);
	ev.cpu = cpu;
	ev.vaddr = vaddr;
	ev.paddr = t->fault ? MM_NA_U64 : t->paddr;
	ev.pfn = t->fault ? MM_NA_U64 : PHYS_PFN(t->paddr);
	ev.size = t->fault ? MM_NA_U64 : 1ULL << t->page_shift;
	ev.value = t->walk_refs;
	ev.level = t->nr_levels ? t->levels[t->nr_levels - 1].level : MM_NA;
	snprintf(m->detail, sizeof(m->detail), "%s %s%s%s pid %d", tlb_names[t->tlb],
		 access_names[access], t->fault ? " fault " : "", t->fault ? t->outcome : "",
		 pid);
	ev.detail = m->detail;
	emit(m, &ev);
}

static void page_fault_event(struct machine *m, int cpu, uint64_t vaddr, uint32_t code,
			     const char *outcome)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_page_fault);
	ev.cpu = cpu;
	ev.vaddr = vaddr;
	ev.value = code;
	ev.detail = outcome;
	emit(m, &ev);
}

/* Fill L1 (and the STLB for 4 KiB and 2 MiB pages) after a successful walk. */
/* @absent: the lookup before the walk found the page in no array. */
static void tlb_fill_walk(struct machine *m, int cpu, uint64_t vaddr, const struct pt_walk *w,
			  bool absent)
{
	struct tlb_entry te = { 0 };

	te.shift = (uint8_t)w->page_shift;
	te.vpn = vaddr >> w->page_shift;
	te.pfn = w->pfn & ~((1ULL << (w->page_shift - PAGE_SHIFT)) - 1);
	te.prot = w->prot;
	tlb_insert(m, cpu, l1_array_for(w->page_shift), &te, absent);
	if (w->page_shift != PUD_SHIFT)
		tlb_insert(m, cpu, TLB_STLB, &te, absent);
}

/*
 * The access proper, once CR3 is the right one: TLB, then walk, then the
 * fault. Returns 1 when a not-present #PF in a process was fixed by demand
 * paging (the caller retries), 0 otherwise.
 */
static int mmu_access(struct machine *m, int cpu, uint64_t vaddr, int access, bool user,
		      struct mm_translation *t, int *err)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	struct tlb_stats *st = &c->stats[mm_region_of(m, vaddr)];
	struct tlb_entry *hit = NULL;
	struct pt_walk w;
	uint32_t code;

	st->accesses++;
	t->tlb = tlb_lookup(m, cpu, vaddr, &hit);
	if (hit && rights_ok(hit->prot, access, user) &&
	    (access != MM_ACCESS_WRITE || (hit->prot & _PAGE_DIRTY))) {
		t->page_shift = hit->shift;
		t->paddr = PFN_PHYS(hit->pfn) + (vaddr & ((1ULL << hit->shift) - 1));
		if (t->tlb == MM_TLB_L1_HIT)
			st->l1_hits++;
		else
			st->stlb_hits++;
		return 0;
	}
	if (hit)	/* a write to a clean page or a rights mismatch: walk again */
		hit->valid = 0;
	t->tlb = MM_TLB_MISS;
	st->misses++;
	*err = hw_walk(m, PHYS_PFN(c->cr3), vaddr, access, &w);
	t->walk_refs += (unsigned int)w.nr;
	st->walk_refs += (uint64_t)w.nr;
	walk_to_translation(&w, t);
	if (!*err && rights_ok(w.prot, access, user)) {
		tlb_fill_walk(m, cpu, vaddr, &w, !hit);
		t->page_shift = w.page_shift;
		t->paddr = PFN_PHYS(w.pfn) + (vaddr & (PAGE_SIZE - 1));
		return 0;
	}
	code = pf_error_code(*err == 0, access, user);
	*err = 0;
	st->faults++;
	t->fault = true;
	t->vector = 14;
	t->error_code = code;
	if (vaddr < layout_task_size(pt_levels(m)) + PAGE_SIZE && c->pid > 0 &&
	    !(user && !(code & X86_PF_USER))) {
		struct mm_struct *mm = find_mm(m, c->pid);
		int r = do_user_addr_fault(m, cpu, mm, vaddr, code, &t->outcome);

		page_fault_event(m, cpu, vaddr, code, t->outcome);
		if (r < 0)
			*err = r;
		return r == 1;
	}
	t->outcome = user ? "segv" : "oops";	/* bad_area() or a kernel oops */
	page_fault_event(m, cpu, vaddr, code, t->outcome);
	return 0;
}

/* user = -1: user mode for process addresses of a process. */
static bool resolve_user(const struct machine *m, int pid, uint64_t vaddr, int user)
{
	if (user >= 0)
		return user != 0;
	return pid > 0 && vaddr < layout_task_size(pt_levels(m)) + PAGE_SIZE;
}

static int switch_for(struct machine *m, int cpu, int pid, struct mm_error *e)
{
	struct cpu_state *c = &m->x86->cpus[cpu];

	if (pid == MM_PID_CURRENT || pid == c->pid)
		return 0;
	if (!(c->cr0 & X86_CR0_PG))
		return 0;
	return mm_load_cr3(m, cpu, pid, e);
}

int mm_translate(struct machine *m, int cpu, int pid, uint64_t vaddr, int access, int user,
		 struct mm_translation *t, struct mm_error *e)
{
	struct cpu_state *c;
	bool u;
	int err = 0, tries;

	/* levels[] is read up to nr_levels only: not worth clearing on every access. */
	memset(t, 0, offsetof(struct mm_translation, levels));
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if (access < MM_ACCESS_READ || access > MM_ACCESS_EXEC)
		return mm_error_set(e, -EINVAL, "access must be read, write or exec");
	if (pid > 0 && !find_mm(m, pid))
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	c = &m->x86->cpus[cpu];
	if (!(c->cr0 & X86_CR0_PG)) {
		t->tlb = MM_TLB_OFF;
		t->paddr = vaddr;
		t->page_shift = PAGE_SHIFT;
		translate_event(m, cpu, vaddr, access, t, c->pid);
		return 0;
	}
	t->paging = true;
	if (!layout_canonical(vaddr, pt_levels(m))) {
		t->fault = true;
		t->vector = 13;
		t->outcome = "gp";
		translate_event(m, cpu, vaddr, access, t, c->pid);
		return 0;
	}
	err = switch_for(m, cpu, pid, e);
	if (err)
		return err;
	u = resolve_user(m, c->pid, vaddr, user);
	for (tries = 0; tries < 2; tries++) {
		int again = mmu_access(m, cpu, vaddr, access, u, t, &err);

		if (err)
			return mm_error_set(e, err, "out of memory handling the fault at 0x%"
					    PRIx64, vaddr);
		if (!again)
			break;
		t->demand_paged = true;
		t->fault = false;
		t->outcome = "mapped";
	}
	translate_event(m, cpu, vaddr, access, t, c->pid);
	return 0;
}

int mm_access_range(struct machine *m, int cpu, int pid, uint64_t start, uint64_t length,
		    uint64_t stride, int access, bool random, uint64_t count,
		    struct mm_access_summary *s, struct mm_error *e)
{
	uint64_t i, slots;

	memset(s, 0, sizeof(*s));
	if (!length || !stride)
		return mm_error_set(e, -EINVAL, "length and stride must be > 0");
	slots = (length + stride - 1) / stride;
	for (i = 0; i < count; i++) {
		uint64_t k = random ? x86_prng_next(m) % slots : i % slots;
		struct mm_translation t;
		int err = mm_translate(m, cpu, pid, start + k * stride, access, -1, &t, e);

		if (err)
			return err;
		s->accesses++;
		s->walk_refs += t.walk_refs;
		if (t.fault)
			s->faults++;
		else if (t.tlb == MM_TLB_L1_HIT)
			s->l1_hits++;
		else if (t.tlb == MM_TLB_STLB_HIT)
			s->stlb_hits++;
		else if (t.tlb == MM_TLB_MISS)
			s->misses++;
	}
	return 0;
}

/*** Views ***/

int mm_tlb_info(const struct machine *m, int cpu, struct mm_tlb_info *ti)
{
	static const char *const policies[] = { "lru", "fifo", "random" };
	const struct cpu_state *c;
	unsigned int a, i;
	int r;

	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return -EINVAL;
	c = &m->x86->cpus[cpu];
	memset(ti, 0, sizeof(*ti));
	ti->policy = policies[m->cfg.tlb.policy];
	for (a = 0; a < NR_TLB_ARRAYS; a++) {
		ti->arrays[a].name = tlb_array_names[a];
		ti->arrays[a].entries = c->tlb[a].entries;
		ti->arrays[a].ways = c->tlb[a].ways;
		ti->arrays[a].sets = c->tlb[a].sets;
		for (i = 0; i < c->tlb[a].entries; i++)
			ti->arrays[a].valid += c->tlb[a].e[i].valid;
	}
	for (r = 0; r < NR_MM_REGIONS; r++) {
		const struct tlb_stats *st = &c->stats[r];

		ti->regions[r] = (struct mm_tlb_region_info){ mm_region_name(r), st->accesses,
			st->l1_hits, st->stlb_hits, st->misses, st->walk_refs, st->faults };
	}
	return 0;
}

int mm_tlb_entries(const struct machine *m, int cpu, mm_tlb_entry_fn fn, void *ctx)
{
	const struct cpu_state *c;
	unsigned int a, i;

	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return -EINVAL;
	c = &m->x86->cpus[cpu];
	for (a = 0; a < NR_TLB_ARRAYS; a++)
		for (i = 0; i < c->tlb[a].entries; i++) {
			const struct tlb_entry *te = &c->tlb[a].e[i];
			uint64_t va = te->vpn << te->shift;

			if (!te->valid)
				continue;
			if (va >> 47 && pt_levels(m) == 4)
				va |= 0xffff000000000000ULL;
			else if (va >> 56)
				va |= 0xff00000000000000ULL;
			fn(ctx, (int)a, va, PFN_PHYS(te->pfn), te->shift, te->prot);
		}
	return 0;
}

/*** Self-check (C1..C3) ***/

static unsigned long report(mm_violation_fn fn, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static unsigned long report(mm_violation_fn fn, void *ctx, const char *fmt, ...)
{
	unsigned long n;
	va_list ap;

	va_start(ap, fmt);
	n = mm_vreport(fn, ctx, fmt, ap);
	va_end(ap);
	return n;
}

static unsigned long check_cpu_tlb(const struct machine *m, int cpu, mm_violation_fn fn,
				   void *ctx)
{
	const struct cpu_state *c = &m->x86->cpus[cpu];
	unsigned long n = 0;
	unsigned int a, i;

	for (a = 0; a < NR_TLB_ARRAYS; a++) {
		const struct tlb_array *t = &c->tlb[a];

		if (t->sets * t->ways != t->entries)
			n += report(fn, ctx, "C3: cpu %d %s has %u sets of %u ways for %u entries",
				    cpu, tlb_array_names[a], t->sets, t->ways, t->entries);
		for (i = 0; i < t->entries; i++) {
			const struct tlb_entry *te = &t->e[i];
			uint64_t va = te->vpn << te->shift;
			struct pt_walk w;

			if (!te->valid)
				continue;
			if (!(c->cr0 & X86_CR0_PG)) {
				n += report(fn, ctx, "C2: cpu %d has paging off and a TLB entry", cpu);
				return n;
			}
			if (pt_levels(m) == 4 && (va >> 47))
				va |= 0xffff000000000000ULL;
			else if (pt_levels(m) == 5 && (va >> 56))
				va |= 0xff00000000000000ULL;
			if (pt_walk(m, PHYS_PFN(c->cr3), va, &w) || w.page_shift != te->shift ||
			    (w.pfn & ~((1ULL << (te->shift - PAGE_SHIFT)) - 1)) != te->pfn ||
			    ((te->prot & _PAGE_RW) && !(w.prot & _PAGE_RW)) ||
			    ((te->prot & _PAGE_USER) && !(w.prot & _PAGE_USER)))
				n += report(fn, ctx, "C1: cpu %d %s entry %016" PRIx64
					    " -> pfn 0x%" PRIx64 " disagrees with the page tables",
					    cpu, tlb_array_names[a], va, te->pfn);
		}
	}
	return n;
}

unsigned long mmu_check(const struct machine *m, mm_violation_fn fn, void *ctx)
{
	unsigned long n = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < m->nr_cpus; cpu++) {
		const struct cpu_state *c = &m->x86->cpus[cpu];
		bool pg = c->cr0 & X86_CR0_PG;
		bool lm = pg && (c->efer & EFER_LME) && (c->cr4 & X86_CR4_PAE);

		if (pg && !(c->cr0 & X86_CR0_PE))
			n += report(fn, ctx, "C2: cpu %u has CR0.PG without CR0.PE", cpu);
		if (lm != (c->mode == CPU_MODE_LONG))
			n += report(fn, ctx, "C2: cpu %u mode disagrees with CR0/CR4/EFER", cpu);
		if (pg && !pt_is_table(m, PHYS_PFN(c->cr3)))
			n += report(fn, ctx, "C2: cpu %u CR3 0x%" PRIx64 " is not a table", cpu,
				    c->cr3);
		n += check_cpu_tlb(m, (int)cpu, fn, ctx);
	}
	return n;
}
