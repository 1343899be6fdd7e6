/*
 * oom_kill.c - the OOM killer: when the allocator has nothing left to try,
 * it ranks the processes by oom_badness(), kills the worst one and frees
 * its memory so that the allocation can be retried.
 *
 * Kernel: mm/oom_kill.c (oom_badness, constrained_alloc, oom_evaluate_task,
 * select_bad_process, dump_header, dump_tasks, mark_oom_victim,
 * __oom_kill_process, oom_kill_process, out_of_memory, the oom_reaper's
 * __oom_reap_task_mm), fs/proc/base.c (proc_oom_score, __set_oom_adj),
 * include/trace/events/oom.h (mark_victim, oom_score_adj_update,
 * finish_task_reaping).
 *
 * Ideas to hold:
 *  - The badness of a process is the memory that killing it would give
 *    back, in pages: its RSS, its swap entries and its page tables (without
 *    the PGD, as mm_pgtables_bytes() counts them), moved by oom_score_adj in
 *    thousandths of the memory the allocation could use (totalpages).
 *    OOM_SCORE_ADJ_MIN makes a process unkillable; so is init (pid 1).
 *  - The kill is SIGKILL and the victim leaves at its next return to user
 *    space: in the engine, at the end of the op (mm_exit_killed()), so that
 *    no caller ever holds a process that vanished under it. Its memory does
 *    not wait: the oom_reaper unmaps it at once (mm_oom_reap()), unless the
 *    victim is the allocating task itself, which frees it by exiting.
 *  - Each kill is printed to the kernel log as dump_header() and
 *    __oom_kill_process() print it; GET .../dmesg returns that log.
 *
 * Design notes: the invariants that oom_check() verifies (O1..O3).
 *  O1 every process's oom_score_adj is within [OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX].
 *  O2 a reaped victim (MMF_OOM_SKIP) is a victim and maps no page.
 *  O3 the kernel log's recorded length is its length, within OOM_LOG_MAX.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "lru.h"
#include "memcontrol.h"
#include "oom.h"
#include "pgtable.h"
#include "swap.h"

/*** The kernel log ***/

static struct oom_state *oom_state(struct machine *m)
{
	if (!m->oom)
		m->oom = calloc(1, sizeof(*m->oom));
	return m->oom;
}

/* Drop whole lines from the front until the log fits OOM_LOG_MAX. */
static void log_trim(struct oom_state *o)
{
	uint64_t cut = 0;

	while (o->log_len - cut > OOM_LOG_MAX) {
		const char *nl = strchr(o->log + cut, '\n');

		cut = nl ? (uint64_t)(nl - o->log) + 1 : o->log_len;
	}
	if (!cut)
		return;
	memmove(o->log, o->log + cut, o->log_len - cut + 1);
	o->log_len -= cut;
}

/* printk(): one line to the log. A host out of memory loses the line, not the machine. */
static void printk(struct machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printk(struct machine *m, const char *fmt, ...)
{
	struct oom_state *o = oom_state(m);
	char line[512];
	size_t n;
	char *log;
	va_list ap;

	if (!o)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n++] = '\n';
	log = realloc(o->log, o->log_len + n + 1);
	if (!log)
		return;
	memcpy(log + o->log_len, line, n);
	o->log = log;
	o->log_len += n;
	o->log[o->log_len] = '\0';
	log_trim(o);
}

/*** Measures of a process ***/

static uint64_t get_mm_rss(const struct mm_struct *mm)
{
	return mm->rss_stat[MM_FILEPAGES] + mm->rss_stat[MM_ANONPAGES] +
	       mm->rss_stat[MM_SHMEMPAGES];
}

/*
 * mm_pgtables_bytes(): the kernel counts PTE, PMD and PUD tables
 * (mm_inc_nr_ptes() and friends), not the PGD, nor the P4D tables of
 * 5-level paging; the engine's pgtables_pages counts every table.
 */
static uint64_t mm_pgtables_bytes(const struct machine *m, const struct mm_struct *mm)
{
	uint64_t tables = mm->pgtables_pages - 1;

	if (pt_levels(m) == 5) {
		const uint64_t *pgd = pt_table(m, mm->pgd);

		for (unsigned int i = 0; i < pgd_kernel_first(m); i++)
			tables -= (pgd[i] & _PAGE_PRESENT) != 0;
	}
	return tables * PAGE_SIZE;
}

/* mm->total_vm: the pages of every VMA. */
static uint64_t total_vm(const struct mm_struct *mm)
{
	uint64_t pages = 0;

	for (unsigned int i = 0; i < mm->nr_vmas; i++)
		pages += (mm->vmas[i].vm_end - mm->vmas[i].vm_start) >> PAGE_SHIFT;
	return pages;
}

#define K(pages)	((pages) << (PAGE_SHIFT - 10))

/* oom_unkillable_task(): the global init; the engine has no kernel threads. */
static bool oom_unkillable_task(const struct mm_struct *mm)
{
	return mm->pid == 1;
}

long oom_badness(const struct machine *m, const struct mm_struct *mm, uint64_t totalpages)
{
	long points, adj;

	if (oom_unkillable_task(mm))
		return LONG_MIN;
	adj = mm->oom_score_adj;
	if (adj == OOM_SCORE_ADJ_MIN || mm->oom_skip)
		return LONG_MIN;
	points = (long)(get_mm_rss(mm) + mm->rss_stat[MM_SWAPENTS] +
			mm_pgtables_bytes(m, mm) / PAGE_SIZE);
	adj *= (long)(totalpages / 1000);
	return points + adj;
}

/* totalram_pages() + total_swap_pages: what a global OOM measures against. */
static uint64_t oom_totalpages(const struct machine *m)
{
	return m->totalram_pages + total_swap_pages(m);
}

struct mm_struct *oom_current(const struct machine *m, int cpu)
{
	int pid = cpu >= 0 && (unsigned int)cpu < m->nr_cpus ? m->x86->cpus[cpu].pid : 0;

	return pid > 0 ? find_mm(m, pid) : NULL;
}

/*** Choosing ***/

/*
 * constrained_alloc(): a memory cgroup's OOM measures against its limit;
 * otherwise the whole machine (the engine has no cpusets or mempolicies, so
 * a NUMA machine's requests are not constrained either).
 */
static enum oom_constraint constrained_alloc(const struct machine *m, struct oom_control *oc)
{
	if (oc->memcg_id) {
		oc->totalpages = mem_cgroup_get_max(m, (uint32_t)oc->memcg_id);
		if (!oc->totalpages)
			oc->totalpages = 1;
		return CONSTRAINT_MEMCG;
	}
	oc->totalpages = oom_totalpages(m);
	return CONSTRAINT_NONE;
}

/* Is @mm a candidate: a group OOM scans its group only (mem_cgroup_scan_tasks()). */
static bool oom_task_in_scope(const struct machine *m, const struct mm_struct *mm,
			      const struct oom_control *oc)
{
	(void)m;
	return !oc->memcg_id || mm->memcg_id == (uint32_t)oc->memcg_id;
}

/*
 * oom_evaluate_task(): init is passed over; a victim already killed but not
 * yet reaped stops the scan (its memory is on the way back: chosen -1); one
 * reaped is passed over; the highest badness wins, a later task on a tie.
 * Returns true to stop the scan.
 */
static bool oom_evaluate_task(const struct machine *m, const struct mm_struct *mm,
			      struct oom_control *oc)
{
	long points;

	if (oom_unkillable_task(mm) || !oom_task_in_scope(m, mm, oc))
		return false;
	if (mm->oom_victim) {
		if (mm->oom_skip)
			return false;
		oc->chosen = -1;
		return true;
	}
	points = oom_badness(m, mm, oc->totalpages);
	if (points == LONG_MIN || points < oc->chosen_points)
		return false;
	oc->chosen = mm->pid;
	oc->chosen_points = points;
	return false;
}

/* select_bad_process(): every process, in the order of the task list (pid order). */
static void select_bad_process(const struct machine *m, struct oom_control *oc)
{
	const struct x86_state *x = m->x86;

	oc->chosen = 0;
	oc->chosen_points = LONG_MIN;
	for (unsigned int i = 0; i < x->nr_mms; i++)
		if (oom_evaluate_task(m, &x->mms[i], oc))
			break;
}

/*** Reporting ***/

static const char *const oom_constraint_text[] = {
	[CONSTRAINT_NONE] = "CONSTRAINT_NONE",
	[CONSTRAINT_CPUSET] = "CONSTRAINT_CPUSET",
	[CONSTRAINT_MEMORY_POLICY] = "CONSTRAINT_MEMORY_POLICY",
	[CONSTRAINT_MEMCG] = "CONSTRAINT_MEMCG",
};

/* dump_tasks(): one row per candidate, memory values in pages. */
static void dump_tasks(struct machine *m, const struct oom_control *oc)
{
	const struct x86_state *x = m->x86;

	printk(m, "Tasks state (memory values in pages):");
	printk(m, "[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem "
		  "pgtables_bytes swapents oom_score_adj name");
	for (unsigned int i = 0; i < x->nr_mms; i++) {
		const struct mm_struct *mm = &x->mms[i];

		if (oom_unkillable_task(mm) || !oom_task_in_scope(m, mm, oc))
			continue;
		printk(m, "[%7d] %5d %5d %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
			  " %9" PRIu64 " %8" PRIu64 " %8" PRIu64 "         %5d %s",
		       mm->pid, 0, mm->pid, total_vm(mm), get_mm_rss(mm),
		       mm->rss_stat[MM_ANONPAGES], mm->rss_stat[MM_FILEPAGES],
		       mm->rss_stat[MM_SHMEMPAGES], mm_pgtables_bytes(m, mm),
		       mm->rss_stat[MM_SWAPENTS], mm->oom_score_adj, mm->comm);
	}
}

/* The cpuset's mems_allowed of a machine without cpusets: every node, "0" or "0-N". */
static void mems_allowed(const struct machine *m, char *buf, size_t len)
{
	if (m->nr_nodes == 1)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "0-%u", m->nr_nodes - 1);
}

/* dump_header(): who asked for what, the group's usage (memcg), the task table. */
static void dump_header(struct machine *m, const struct oom_control *oc)
{
	const struct mm_struct *cur = oom_current(m, oc->cpu);
	char gfp[128], comm[24];

	gfp_format(oc->gfp_mask, gfp, sizeof(gfp));
	if (cur)
		snprintf(comm, sizeof(comm), "%s", cur->comm);
	else
		snprintf(comm, sizeof(comm), "swapper/%d", oc->cpu);
	printk(m, "%s invoked oom-killer: gfp_mask=%#x(%s), order=%d, oom_score_adj=%d", comm,
	       oc->gfp_mask, gfp, oc->order, cur ? cur->oom_score_adj : 0);
	if (oc->memcg_id)
		mem_cgroup_print_oom_meminfo(m, (uint32_t)oc->memcg_id, printk);
	dump_tasks(m, oc);
}

/* dump_oom_victim(): the one-line summary of the kill's context. */
static void dump_oom_victim(struct machine *m, const struct oom_control *oc,
			    const struct mm_struct *victim)
{
	char mems[16], ctx[2 * MEMCG_NAME_LEN + 48];

	mems_allowed(m, mems, sizeof(mems));
	mem_cgroup_print_oom_context(m, (uint32_t)oc->memcg_id, victim->memcg_id, ctx,
				     sizeof(ctx));
	printk(m, "oom-kill:constraint=%s,nodemask=(null),cpuset=/,mems_allowed=%s%s,"
		  "task=%s,pid=%d,uid=%d", oom_constraint_text[oc->constraint], mems, ctx,
	       victim->comm, victim->pid, 0);
}

/*** Killing ***/

/* trace_mark_victim(): the tracepoint's fields, as TP_printk() prints them. */
static void mark_victim_event(struct machine *m, const struct mm_struct *mm)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_mark_victim);
	ev.value = mm->pid;
	snprintf(m->detail, sizeof(m->detail), "pid=%d comm=%s total-vm=%" PRIu64 "kB anon-rss=%"
		 PRIu64 "kB file-rss:%" PRIu64 "kB shmem-rss:%" PRIu64 "kB uid=%u pgtables=%"
		 PRIu64 "kB oom_score_adj=%d", mm->pid, mm->comm, K(total_vm(mm)),
		 K(mm->rss_stat[MM_ANONPAGES]), K(mm->rss_stat[MM_FILEPAGES]),
		 K(mm->rss_stat[MM_SHMEMPAGES]), 0u, mm_pgtables_bytes(m, mm) >> 10,
		 mm->oom_score_adj);
	ev.detail = m->detail;
	emit(m, &ev);
}

/* mark_oom_victim(): TIF_MEMDIE, the victim may dip into the reserves until it exits. */
static void mark_oom_victim(struct machine *m, struct mm_struct *mm)
{
	if (mm->oom_victim)
		return;
	mm->oom_victim = true;
	mark_victim_event(m, mm);
}

/*
 * oom_reap_task(): __oom_reap_task_mm() unmaps the victim's memory without
 * waiting for it to run, then MMF_OOM_SKIP tells later OOMs that nothing is
 * left to take from it.
 */
static void oom_reap_task(struct machine *m, struct mm_struct *mm)
{
	mm_oom_reap(m, mm);
	mm->oom_skip = true;
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_finish_task_reaping);
		ev.value = mm->pid;
		snprintf(m->detail, sizeof(m->detail), "pid=%d", mm->pid);
		ev.detail = m->detail;
		emit(m, &ev);
	}
	printk(m, "oom_reaper: reaped process %d (%s), now anon-rss:%" PRIu64 "kB, file-rss:%"
		  PRIu64 "kB, shmem-rss:%" PRIu64 "kB", mm->pid, mm->comm,
	       K(mm->rss_stat[MM_ANONPAGES]), K(mm->rss_stat[MM_FILEPAGES]),
	       K(mm->rss_stat[MM_SHMEMPAGES]));
}

/*
 * __oom_kill_process(): count the kill (vmstat oom_kill, the group's
 * memory.events oom_kill), send SIGKILL, mark the victim, print the kill,
 * and queue the reaper. The victim that is the allocating task is left to
 * free its memory by exiting (queue_oom_reaper()'s delay lets it).
 */
static void __oom_kill_process(struct machine *m, struct mm_struct *victim,
			       const struct oom_control *oc, const char *message)
{
	const struct mm_struct *cur = oom_current(m, oc->cpu);

	count_vm_event(m, OOM_KILL);
	memcg_memory_event(m, victim->memcg_id, MEMCG_OOM_KILL);
	mark_oom_victim(m, victim);
	printk(m, "%s: Killed process %d (%s) total-vm:%" PRIu64 "kB, anon-rss:%" PRIu64
		  "kB, file-rss:%" PRIu64 "kB, shmem-rss:%" PRIu64 "kB, UID:%u pgtables:%"
		  PRIu64 "kB oom_score_adj:%d", message, victim->pid, victim->comm,
	       K(total_vm(victim)), K(victim->rss_stat[MM_ANONPAGES]),
	       K(victim->rss_stat[MM_FILEPAGES]), K(victim->rss_stat[MM_SHMEMPAGES]), 0u,
	       mm_pgtables_bytes(m, victim) >> 10, victim->oom_score_adj);
	if (victim != cur)
		oom_reap_task(m, victim);
}

/* oom_kill_process(): report, then kill. */
static void oom_kill_process(struct machine *m, struct oom_control *oc, const char *message)
{
	struct mm_struct *victim = find_mm(m, oc->chosen);

	dump_header(m, oc);
	dump_oom_victim(m, oc, victim);
	__oom_kill_process(m, victim, oc, message);
	oc->killed = victim->pid;
}

/*
 * out_of_memory() - kill the process whose death gives back the most.
 * Returns true when there is progress to wait for: a victim killed now, or
 * one killed before and not yet gone (the allocating task itself among
 * them), or a GFP_NOFS request, for which the kernel kills nothing and keeps
 * retrying. Kernel: mm/oom_kill.c, out_of_memory().
 */
bool out_of_memory(struct machine *m, struct oom_control *oc)
{
	struct mm_struct *cur = oom_current(m, oc->cpu);

	oc->killed = 0;
	oc->chosen = 0;
	oc->constraint = CONSTRAINT_NONE;
	if (cur && cur->oom_victim) {	/* task_will_free_mem(current) */
		oc->outcome = "the allocating task is an OOM victim already: it is on its way out";
		return true;
	}
	if (!(oc->gfp_mask & __GFP_FS) && !oc->memcg_id) {
		oc->outcome = "out_of_memory() kills nothing for a request without __GFP_FS "
			      "(GFP_NOFS): the kernel keeps retrying until other tasks free memory";
		return true;
	}
	oc->constraint = constrained_alloc(m, oc);
	select_bad_process(m, oc);
	if (!oc->chosen) {
		dump_header(m, oc);
		printk(m, "Out of memory and no killable processes...");
		oc->outcome = oc->memcg_id ?
			"the OOM killer found no killable process in the memory cgroup" :
			"the OOM killer found no killable process: the kernel panics "
			"(\"System is deadlocked on memory\")";
		return false;
	}
	if (oc->chosen < 0) {
		oc->outcome = "an earlier OOM victim has not exited yet: the OOM killer waits for it";
		return true;
	}
	oom_kill_process(m, oc, oc->memcg_id ? "Memory cgroup out of memory" : "Out of memory");
	oc->outcome = "the OOM killer killed a process";
	return true;
}

/*** Processes: oom_score_adj, oom_score, the exit of the killed ***/

int mm_set_oom_score_adj(struct machine *m, int pid, int adj, struct mm_error *e)
{
	struct mm_struct *mm = find_mm(m, pid);

	if (!mm)
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	if (adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX)
		return mm_error_set(e, -EINVAL, "oom_score_adj must be %d..%d",
				    OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX);
	mm->oom_score_adj = (int16_t)adj;
	if (events_on(m)) {	/* trace_oom_score_adj_update() */
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_oom_score_adj_update);
		ev.value = pid;
		snprintf(m->detail, sizeof(m->detail), "pid=%d comm=%s oom_score_adj=%d", pid,
			 mm->comm, adj);
		ev.detail = m->detail;
		emit(m, &ev);
	}
	return 0;
}

/* proc_oom_score(): the badness against the whole machine, scaled to 0..2000. */
static uint64_t oom_score(const struct machine *m, const struct mm_struct *mm)
{
	uint64_t totalpages = oom_totalpages(m);
	long badness = oom_badness(m, mm, totalpages);

	if (badness == LONG_MIN)
		return 0;
	return (uint64_t)((1000 + badness * 1000 / (long)totalpages) * 2 / 3);
}

int mm_oom_info(const struct machine *m, int pid, struct mm_oom_info *oi)
{
	const struct mm_struct *mm = find_mm(m, pid);

	if (!mm)
		return -ESRCH;
	oi->oom_score = oom_score(m, mm);
	oi->oom_score_adj = mm->oom_score_adj;
	oi->badness = oom_badness(m, mm, oom_totalpages(m));
	oi->killable = oi->badness != LONG_MIN;
	oi->oom_victim = mm->oom_victim;
	oi->memcg_id = mm->memcg_id;
	snprintf(oi->memcg, sizeof(oi->memcg), "%s", mm->memcg_id ?
		 mem_cgroup_from_id(m, mm->memcg_id)->name : "/");
	return 0;
}

static char *text_of_number(long v)
{
	char *buf = malloc(24);

	if (buf)
		snprintf(buf, 24, "%ld\n", v);
	return buf;
}

char *proc_pid_oom_score(const struct machine *m, int pid)
{
	const struct mm_struct *mm = find_mm(m, pid);

	return mm ? text_of_number((long)oom_score(m, mm)) : NULL;
}

char *proc_pid_oom_score_adj(const struct machine *m, int pid)
{
	const struct mm_struct *mm = find_mm(m, pid);

	return mm ? text_of_number(mm->oom_score_adj) : NULL;
}

char *oom_dmesg(const struct machine *m)
{
	return strdup(m->oom && m->oom->log ? m->oom->log : "");
}

uint64_t mm_oom_kill_count(const struct machine *m)
{
	return m->vm_events[OOM_KILL];
}

/*
 * mm_exit_killed() - every process with the OOM killer's SIGKILL pending
 * exits, as it would on its way back to user space (get_signal() ->
 * do_group_exit() -> exit_mm()).
 */
void mm_exit_killed(struct machine *m)
{
	const struct x86_state *x = m->x86;
	unsigned int i = 0;

	if (!x)
		return;
	while (i < x->nr_mms) {
		if (x->mms[i].oom_victim)
			SIM_BUG_ON(mm_exit(m, x->mms[i].pid, NULL));
		else
			i++;
	}
}

/*** State: clone, snapshot, check ***/

int oom_state_clone(struct machine *c, const struct machine *m)
{
	c->oom = NULL;
	if (!m->oom)
		return 0;
	c->oom = calloc(1, sizeof(*c->oom));
	if (!c->oom)
		return -ENOMEM;
	*c->oom = *m->oom;
	c->oom->log = NULL;
	if (m->oom->log && !(c->oom->log = strdup(m->oom->log)))
		return -ENOMEM;
	return 0;
}

void oom_state_release(struct machine *m)
{
	if (!m->oom)
		return;
	free(m->oom->log);
	free(m->oom);
	m->oom = NULL;
}

void oom_state_save(struct snap_writer *w, const struct machine *m)
{
	snap_put_struct(w, m->oom, sizeof(*m->oom));
	if (m->oom)
		snap_put_array(w, m->oom->log, m->oom->log ? m->oom->log_len + 1 : 0);
}

void oom_state_load(struct snap_reader *r, struct machine *m)
{
	m->oom = snap_get_struct(r, sizeof(*m->oom));
	if (!m->oom)
		return;
	m->oom->log = NULL;
	if (m->oom->log_len > OOM_LOG_MAX) {
		r->err = -EPROTO;
		return;
	}
	m->oom->log = snap_get_optional(r, m->oom->log_len + 1);
	if (m->oom->log)
		m->oom->log[m->oom->log_len] = '\0';
}

static uint64_t mapped_user_pages(const struct machine *m, uint64_t table, int level,
				  unsigned int nr)
{
	const uint64_t *e = pt_table(m, table);
	uint64_t n = 0;

	for (unsigned int i = 0; i < nr; i++) {
		if (!(e[i] & _PAGE_PRESENT))
			continue;
		if (level == PT_PTE)
			n += pte_pfn(e[i]) != zero_pfn(m);
		else
			n += mapped_user_pages(m, pte_pfn(e[i]), level - 1, PTRS_PER_TABLE);
	}
	return n;
}

unsigned long oom_check(const struct machine *m, mm_violation_fn fn, void *ctx)
{
	const struct x86_state *x = m->x86;
	unsigned long count = 0;

	for (unsigned int i = 0; x && i < x->nr_mms; i++) {
		const struct mm_struct *mm = &x->mms[i];

		if (mm->oom_score_adj < OOM_SCORE_ADJ_MIN || mm->oom_score_adj > OOM_SCORE_ADJ_MAX)
			count += mm_report(fn, ctx, "O1: pid %d oom_score_adj %d is out of range",
					   mm->pid, mm->oom_score_adj);
		if (mm->oom_skip && (!mm->oom_victim ||
				     mapped_user_pages(m, mm->pgd, (int)pt_levels(m),
						       pgd_kernel_first(m))))
			count += mm_report(fn, ctx, "O2: pid %d was reaped but %s", mm->pid,
					   mm->oom_victim ? "still maps pages" : "is no OOM victim");
	}
	if (m->oom && (m->oom->log_len > OOM_LOG_MAX ||
		       m->oom->log_len != (m->oom->log ? strlen(m->oom->log) : 0)))
		count += mm_report(fn, ctx, "O3: the kernel log says %" PRIu64 " bytes, holds %zu",
				   m->oom->log_len, m->oom->log ? strlen(m->oom->log) : 0);
	return count;
}
