/*
 * oom.h - the OOM killer's and the memory cgroups' shared shapes, for the
 * engine units that call them (page_alloc.c, mm.c, snapshot.c, check.c).
 *
 * Kernel: include/linux/oom.h (struct oom_control, enum oom_constraint),
 * include/linux/memcontrol.h. oom_kill.c and memcontrol.c hold the code.
 */
#ifndef MMLAB_OOM_H
#define MMLAB_OOM_H

#include "internal.h"

struct mm_struct;

/* include/linux/oom.h: why the allocation is short of memory. */
enum oom_constraint {
	CONSTRAINT_NONE,
	CONSTRAINT_CPUSET,
	CONSTRAINT_MEMORY_POLICY,
	CONSTRAINT_MEMCG,
};

/*
 * struct oom_control: one call of out_of_memory(). @memcg_id is 0 for the
 * whole machine, else the memory cgroup whose limit was hit. The results
 * say what happened, for the allocator's report of a request that still
 * failed.
 */
struct oom_control {
	gfp_t gfp_mask;
	int order;
	int cpu;			/* where the allocating task ("current") runs */
	int memcg_id;
	/* filled by out_of_memory() */
	enum oom_constraint constraint;
	uint64_t totalpages;
	long chosen_points;
	int chosen;			/* the victim's pid, 0 none, -1 an earlier victim pending */
	int killed;			/* pid killed by this call, 0 none */
	const char *outcome;		/* a sentence on what out_of_memory() did */
};

/* What the OOM killer keeps between calls (machine->oom); oom_kill is in m->vm_events. */
struct oom_state {
	char *log;			/* the kernel log lines of every OOM kill, '\0'-ended */
	uint64_t log_len;		/* strlen(log) */
};

#define OOM_LOG_MAX	(64 * 1024)	/* older reports leave the log past this */

/* oom_kill.c */
bool out_of_memory(struct machine *m, struct oom_control *oc);
/* oom_badness() of @mm with @totalpages; LONG_MIN when it may not be chosen. */
long oom_badness(const struct machine *m, const struct mm_struct *mm, uint64_t totalpages);
/* "current": the process whose mm is loaded on @cpu, NULL for a kernel thread. */
struct mm_struct *oom_current(const struct machine *m, int cpu);
int oom_state_clone(struct machine *c, const struct machine *m);
void oom_state_release(struct machine *m);
void oom_state_save(struct snap_writer *w, const struct machine *m);
void oom_state_load(struct snap_reader *r, struct machine *m);
unsigned long oom_check(const struct machine *m, mm_violation_fn fn, void *ctx);

/* mm.c: __oom_reap_task_mm(): the victim's pages go back now, its tables at its exit. */
void mm_oom_reap(struct machine *m, struct mm_struct *mm);

#endif /* MMLAB_OOM_H */
