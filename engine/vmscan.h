/*
 * vmscan.h - page reclaim: struct scan_control and the entry points of
 * vmscan.c and workingset.c that the allocator, the swap-in path and memory
 * cgroups call. Internal to the engine.
 *
 * Kernel: mm/vmscan.c (struct scan_control, try_to_free_pages(),
 * try_to_free_mem_cgroup_pages(), wakeup_kswapd()), mm/internal.h,
 * include/linux/swap.h (the workingset functions), mm/workingset.c.
 */
#ifndef MMLAB_VMSCAN_H
#define MMLAB_VMSCAN_H

#include "internal.h"
#include "lru.h"

#define DEF_PRIORITY		12
#define MAX_RECLAIM_RETRIES	16
#define MAX_SWAPPINESS		200
#define SHRINK_BATCH		128

struct scan_control {
	unsigned long nr_to_reclaim;
	gfp_t gfp_mask;
	int order;
	int priority;			/* scan 1/2^priority of each list */
	int reclaim_idx;		/* the highest zone reclaim frees for */
	int target_mem_cgroup;		/* memcg id; 0 with !cgroup_reclaim: the whole node */
	bool cgroup_reclaim;		/* reclaim on behalf of a memcg at its limit */
	bool kswapd;			/* current_is_kswapd() */
	bool may_writepage, may_unmap, may_swap;
	unsigned int may_deactivate;	/* DEACTIVATE_ANON | DEACTIVATE_FILE */
	bool force_deactivate, skipped_deactivate;
	bool cache_trim_mode, cache_trim_mode_failed, no_cache_trim_mode;
	bool file_is_tiny;
	unsigned long anon_cost, file_cost;
	unsigned long nr_scanned, nr_reclaimed;
	struct {
		unsigned int dirty, unqueued_dirty, congested, writeback, immediate;
		unsigned int file_taken, taken;
	} nr;
};

#define DEACTIVATE_ANON		1
#define DEACTIVATE_FILE		2

/* vmscan.c */
void kswapd_init(struct machine *m);
/*
 * wakeup_kswapd(): an allocation on @z's node fell below the low watermark;
 * kswapd records the request and is woken unless its node is hopeless or
 * already balanced.
 */
void wakeup_kswapd(struct machine *m, struct zone *z, gfp_t gfp, int order,
		   int highest_zoneidx);
/* An allocation of 2^@order pages on @node: kswapd's turn may come (the interleaving rule). */
void kswapd_note_alloc(struct machine *m, int node, unsigned int order);
/* try_to_free_pages(): direct reclaim for an allocation on @node's zonelist. */
unsigned long try_to_free_pages(struct machine *m, int node, int order, gfp_t gfp,
				int highest_zoneidx);
/* try_to_free_mem_cgroup_pages(): reclaim inside memcg @memcg_id, from every node. */
unsigned long try_to_free_mem_cgroup_pages(struct machine *m, int memcg_id,
					   unsigned long nr_pages, gfp_t gfp, bool may_swap);
/* zone_reclaimable_pages(): LRU pages of @z reclaim could free (anon only with swap). */
uint64_t zone_reclaimable_pages(const struct machine *m, const struct zone *z);
/* Reclaim's own invariants (kswapd state): K1.. */
void vmscan_check(const struct machine *m, void (*report)(void *ctx, const char *msg),
		  void *ctx);

/* page_alloc.c: __zone_watermark_ok() with alloc_flags 0 */
bool zone_watermark_ok_plain(const struct zone *z, unsigned int order, uint64_t mark,
			     int highest_zoneidx);

/* workingset.c */
uint64_t workingset_eviction(struct machine *m, uint64_t pfn, int target_memcg);
/* A page read back where a shadow lay: refault accounting and maybe activation. */
void workingset_refault(struct machine *m, uint64_t pfn, uint64_t shadow);
void workingset_activation(struct machine *m, uint64_t pfn);
void workingset_age_nonresident(struct machine *m, struct lruvec *l, unsigned long nr);
/* lru_note_cost(): the IO and rotations reclaim paid on a list type. */
void lru_note_cost(struct machine *m, struct lruvec *l, bool file, unsigned int nr_io,
		   unsigned int nr_rotated);

#endif /* MMLAB_VMSCAN_H */
