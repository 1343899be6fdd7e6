/*
 * compaction.h - page migration and memory compaction inside the engine.
 *
 * Mirrors include/linux/migrate.h, include/linux/migrate_mode.h,
 * include/linux/compaction.h and the parts of mm/internal.h that
 * mm/compaction.c and mm/migrate.c share (struct compact_control).
 */
#ifndef MMLAB_COMPACTION_H
#define MMLAB_COMPACTION_H

#include "lru.h"

enum migrate_mode { MIGRATE_ASYNC, MIGRATE_SYNC_LIGHT, MIGRATE_SYNC };

enum migrate_reason {
	MR_COMPACTION, MR_MEMORY_FAILURE, MR_MEMORY_HOTPLUG, MR_SYSCALL,
	MR_MEMPOLICY_MBIND, MR_NUMA_MISPLACED, MR_CONTIG_RANGE, MR_LONGTERM_PIN,
	MR_DEMOTION, MR_DAMON, MR_TYPES
};

/* isolate_mode_t bits (include/linux/mmzone.h) */
#define ISOLATE_ASYNC_MIGRATE	0x4u
#define ISOLATE_UNEVICTABLE	0x8u

#define COMPACT_CLUSTER_MAX	SWAP_CLUSTER_MAX
#define COMPACT_MAX_DEFER_SHIFT	6
/* kcompactd's proactive check interval (mm/compaction.c) */
#define HPAGE_FRAG_CHECK_INTERVAL_MSEC	500

/* enum compact_result, in the kernel's order (later is "better" for max()). */
enum compact_result {
	COMPACT_NOT_SUITABLE_ZONE, COMPACT_SKIPPED, COMPACT_DEFERRED, COMPACT_NO_SUITABLE_PAGE,
	COMPACT_CONTINUE, COMPACT_COMPLETE, COMPACT_PARTIAL_SKIPPED, COMPACT_CONTENDED,
	COMPACT_SUCCESS
};

enum compact_priority {
	COMPACT_PRIO_SYNC_FULL, MIN_COMPACT_PRIORITY = COMPACT_PRIO_SYNC_FULL,
	COMPACT_PRIO_SYNC_LIGHT, MIN_COMPACT_COSTLY_PRIORITY = COMPACT_PRIO_SYNC_LIGHT,
	DEF_COMPACT_PRIORITY = COMPACT_PRIO_SYNC_LIGHT,
	COMPACT_PRIO_ASYNC, INIT_COMPACT_PRIORITY = COMPACT_PRIO_ASYNC
};

const char *migrate_mode_name(int mode);	/* "MIGRATE_ASYNC", ... */
const char *migrate_reason_name(int reason);	/* "compaction", ... */
const char *compact_result_name(int result);	/* "success", ... as the tracepoints print */

/*
 * The folios a migration is given: isolated, off the LRU, one reference
 * ours. A batch is COMPACT_CLUSTER_MAX folios, or a whole pageblock when
 * compaction finishes one (finish_pageblock).
 */
#define MIGRATE_LIST_MAX	(1u << HPAGE_PMD_ORDER)
struct migrate_list {
	uint32_t pfn[MIGRATE_LIST_MAX];
	unsigned int nr;
};

/* get_new_folio / put_new_folio of migrate_pages(): a target frame, PFN_NIL when none. */
typedef uint64_t (*new_folio_t)(struct machine *m, uint64_t src, void *priv);
typedef void (*free_folio_t)(struct machine *m, uint64_t dst, void *priv);

/*
 * Can the folio at @pfn be isolated for migration in @mode (isolate_mode_t)?
 * 0, or -EBUSY / -EAGAIN / -ENOENT with the kernel's reason in *@why.
 */
int folio_migration_refusal(const struct machine *m, uint64_t pfn, unsigned int mode,
			    const char **why);
/* Take the folio off its LRU list onto @l (folio_isolate_lru() + NR_ISOLATED_*). */
void isolate_folio_to_list(struct machine *m, uint64_t pfn, struct migrate_list *l);
/* putback_movable_pages(): every folio still on @l back to its LRU list. */
void putback_movable_pages(struct machine *m, struct migrate_list *l);
/*
 * migrate_pages() - move each folio of @l to a frame @get_new gives: unmap
 * with migration entries, copy, remap, free the old frame. Folios that
 * failed stay on @l (the caller puts them back). Returns the folios not
 * moved, or -ENOMEM when @get_new ran dry; *@nr_succeeded the ones moved.
 */
int migrate_pages(struct machine *m, struct migrate_list *l, new_folio_t get_new,
		  free_folio_t put_new, void *priv, enum migrate_mode mode, int reason,
		  int cpu, unsigned int *nr_succeeded);

/*
 * Swap types of migration entries (include/linux/swap.h): after the real
 * swap devices come the device-private types (3), hwpoison (1), then the
 * three migration types (read, read-exclusive, write); a PTE marker last.
 */
#define SWP_MIGRATION_READ_TYPE	((1 << MAX_SWAPFILES_SHIFT) - 3 - 3 - 1 - 1 + 1)

/*
 * struct capture_control (mm/internal.h): while direct compaction runs for
 * a request (compact_zone_order()), a block of the request's order that
 * its own frees make in its zone is taken by __free_one_page() before it
 * reaches a free list, and handed to the request (compaction_capture()).
 * The machine's capture_control is current->capture_control: set only
 * inside compact_zone_order(), NULL between ops.
 */
struct capture_control {
	const struct zone *zone;	/* cc->zone */
	int order;			/* cc->order */
	int migratetype;		/* cc->migratetype */
	uint64_t page;			/* the captured block's pfn, PFN_NIL until then */
};

/* compaction.c */
void compaction_init(struct machine *m);
/* CP1..CP5 (compaction.c's design notes); the violations found. */
unsigned long compaction_check(const struct machine *m, mm_violation_fn fn, void *ctx);
/*
 * try_to_compact_pages() for the slow path: *@capture is the block a run
 * captured (its pfn, not yet prepared: prep_new_page() is the caller's), or
 * PFN_NIL.
 */
enum compact_result try_to_compact_pages(struct machine *m, gfp_t gfp, unsigned int order,
					 unsigned int alloc_flags, int preferred_node,
					 int highest_zoneidx, enum compact_priority prio, int cpu,
					 uint64_t *capture);
void compaction_defer_reset(struct machine *m, struct zone *z, int order, bool alloc_success);
bool compaction_zonelist_suitable(struct machine *m, int preferred_node, int highest_zoneidx,
				  unsigned int order);
/* wakeup_kcompactd(): kswapd hands a high-order request over before it sleeps. */
void wakeup_kcompactd(struct machine *m, pg_data_t *pgdat, int order, int highest_zoneidx);
/* The end of an op: a woken kcompactd runs its work or its proactive check (kcompactd()'s loop). */
void kcompactd_run(struct machine *m);
/* timer.c's side: the earliest timeout before *@next lowers it; the timed-out checks run. */
void kcompactd_next_timeout(const struct machine *m, uint64_t *next);
void kcompactd_timer(struct machine *m);
/* vmscan.c: reset_isolation_suitable() when kswapd goes to sleep. */
void reset_isolation_suitable(struct machine *m, pg_data_t *pgdat);
/* extfrag_for_order() (mm/vmstat.c): percent of free memory in blocks below @order. */
unsigned int extfrag_for_order(const struct machine *m, const struct zone *z, unsigned int order);
int fragmentation_index(const struct machine *m, const struct zone *z, unsigned int order);

#endif /* MMLAB_COMPACTION_H */
