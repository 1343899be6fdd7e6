/*
 * memcontrol.h - memory cgroups: the groups, their page counters, their
 * LRU lists, and the calls the rest of the engine makes (charge at a page's
 * birth, uncharge at its free, the group OOM).
 *
 * Kernel: include/linux/memcontrol.h (struct mem_cgroup, enum
 * memcg_memory_event), include/linux/page_counter.h (struct page_counter).
 * memcontrol.c holds the code. The groups are flat: every memcg is a child
 * of the root, which (id 0) has no counter of its own here.
 */
#ifndef MMLAB_MEMCONTROL_H
#define MMLAB_MEMCONTROL_H

#include "internal.h"

#define MEMCG_NAME_LEN		32
#define MEMCG_MAX_GROUPS	64
#define PAGE_COUNTER_MAX	(UINT64_MAX / 2 / PAGE_SIZE)	/* "max": no limit */
#define MAX_RECLAIM_RETRIES	16

/* include/linux/memcontrol.h: the counts of memory.events. */
enum memcg_memory_event {
	MEMCG_LOW,
	MEMCG_HIGH,
	MEMCG_MAX,
	MEMCG_OOM,
	MEMCG_OOM_KILL,
	MEMCG_OOM_GROUP_KILL,
	MEMCG_SOCK_THROTTLED,
	MEMCG_NR_MEMORY_EVENTS,
};

/* include/linux/page_counter.h, the fields the engine uses. */
struct page_counter {
	uint64_t usage;			/* pages charged */
	uint64_t max;			/* memory.max, in pages */
	uint64_t watermark;		/* memory.peak */
	uint64_t failcnt;		/* charges refused at max */
};

struct mem_cgroup {
	char name[MEMCG_NAME_LEN];	/* the cgroup's directory under the root */
	uint32_t id;			/* 1..: page->folio.memcg_id and mm->memcg_id */
	struct page_counter memory;
	uint64_t memory_events[MEMCG_NR_MEMORY_EVENTS];
};

/* machine->memcg: the groups by id - 1, and their lruvecs, nr_nodes per group. */
struct memcg_state {
	struct mem_cgroup *v;
	struct lruvec *lruvecs;		/* group (id - 1) * nr_nodes + node */
	uint32_t nr, cap;
};

/* The pages a group is charged for: anonymous and page-cache pages. */
static inline bool page_is_charged_kind(const struct page *p)
{
	return p->owner == OWNER_USER || p->owner == OWNER_PAGECACHE;
}

struct mem_cgroup *mem_cgroup_from_id(const struct machine *m, uint32_t id);
/* The lruvec of group @memcg_id (not 0) on @node: mem_cgroup_lruvec() for a group. */
struct lruvec *memcg_lruvec(struct machine *m, int memcg_id, int node);
/* Pages on list @lru of every group's lruvec of @node (the node counters count them too). */
uint64_t memcg_lru_pages(const struct machine *m, int node, int lru);

/*
 * mem_cgroup_charge(): page @pfn, just allocated for memcg @memcg_id (0: the
 * root, nothing to charge), is charged to it: reclaim inside the group and
 * the group OOM when it is at memory.max. 0, or -ENOMEM (the caller frees
 * the page). On success page->folio.memcg_id names the group.
 */
int mem_cgroup_charge(struct machine *m, uint64_t pfn, uint32_t memcg_id, gfp_t gfp, int cpu);
/* mem_cgroup_uncharge(): a charged page is being freed. */
void mem_cgroup_uncharge(struct machine *m, uint64_t pfn);
/*
 * get_mem_cgroup_from_current(): the group the task running on @cpu charges
 * to, or the one set_active_memcg() named for an op that acts for a process
 * without running it (read_file, write_file).
 */
uint32_t get_mem_cgroup_from_current(const struct machine *m, int cpu);
/* set_active_memcg(): charge to @pid's group (0: none) until put back; returns the old one. */
int set_active_memcg(struct machine *m, int pid);

/* For the OOM killer (oom_kill.c). */
uint64_t mem_cgroup_get_max(const struct machine *m, uint32_t memcg_id);
void memcg_memory_event(struct machine *m, uint32_t memcg_id, enum memcg_memory_event ev);
/* ",oom_memcg=/NAME,task_memcg=/NAME" or ",global_oom,task_memcg=/..." */
void mem_cgroup_print_oom_context(const struct machine *m, uint32_t oom_memcg,
				  uint32_t task_memcg, char *buf, size_t len);
/* The "memory: usage ..kB, limit ..kB, failcnt N" lines of a group OOM's header. */
void mem_cgroup_print_oom_meminfo(struct machine *m, uint32_t memcg_id,
				  void (*print)(struct machine *m, const char *fmt, ...));

int memcg_state_clone(struct machine *c, const struct machine *m);
void memcg_state_release(struct machine *m);
void memcg_state_save(struct snap_writer *w, const struct machine *m);
void memcg_state_load(struct snap_reader *r, struct machine *m);
unsigned long memcg_check(const struct machine *m, mm_violation_fn fn, void *ctx);

#endif /* MMLAB_MEMCONTROL_H */
