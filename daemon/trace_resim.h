/*
 * trace_resim.h - a trace session's requests replayed through the simulated
 * allocator (trace_resim.c).
 */
#ifndef MMLAB_TRACE_RESIM_H
#define MMLAB_TRACE_RESIM_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "mmlab.h"

/* A zone of the real machine (from its zoneinfo): pfns start..end-1. */
struct resim_zone {
	char name[16];
	uint64_t start, end;
};

/* One zone's free blocks by order, the real machine's beside the model's. */
struct resim_bi_zone {
	int node;
	char name[16];
	int orders;			/* the real line's columns */
	bool matched;			/* the model has a zone of this node and name */
	uint64_t real[MAX_NR_ORDERS], sim[MAX_NR_ORDERS];
	double distance;
};

#define RESIM_POINT_ZONES 8

/*
 * A point of the trace at which the real buddyinfo is known: the bundle's
 * buddyinfo (before the first event), a "buddyinfo Node N, zone Z ..." line
 * written to trace_marker during the trace (mmlab-capture --sample), or the
 * bundle's buddyinfo.after (after the last event).
 */
struct resim_point {
	uint64_t seq;			/* requests up to this seq were replayed */
	uint64_t ts_ns;
	const char *source;		/* "before", "marker" or "after" */
	int nz;
	struct resim_bi_zone z[RESIM_POINT_ZONES];
	double distance;		/* sum |sim - real| / sum (sim + real), 0..1 */
	double change_distance;		/* the same of the changes since the first point */
};

struct resim_figures {
	uint64_t requests;
	uint64_t allocs, both_ok, kernel_only, model_only, allocs_refused_flags;
	uint64_t same_pfn, same_mt, same_zone, zone_known;
	/* migratetype fallbacks (mm_page_alloc_extfrag) of the allocations both made */
	uint64_t kernel_fallbacks, model_fallbacks, both_fallback, same_fallback;
	uint64_t frees, frees_replayed, frees_before_trace;
	uint64_t kmallocs, kmallocs_ok, kmallocs_failed, same_bytes_alloc;
	uint64_t kfrees, kfrees_replayed, kfrees_before_trace;
	double seconds;
	struct resim_point *points;	/* resim_figures_release() frees them */
	size_t npoints;
};

/* The real machine's /proc/buddyinfo texts around the trace (each may be NULL). */
struct resim_buddyinfo {
	const char *before, *after;
	uint64_t first_ts, last_ts, last_seq;
};

/*
 * Replay trace session @id's mm_page_alloc, mm_page_free, kmalloc and kfree
 * events on a new machine of @machine_json (its stored config); @zones (may
 * be none) place the trace's pfns in the real machine's zones. Wherever the
 * real buddyinfo is known (@bi, and trace_marker lines of the trace), the
 * model's free lists are compared with it: f->points.
 */
int trace_resimulate(sqlite3 *db, int64_t id, const char *machine_json,
		     const struct resim_zone *zones, int nr_zones,
		     const struct resim_buddyinfo *bi, struct resim_figures *f,
		     struct mm_error *e);

void resim_figures_release(struct resim_figures *f);

/*
 * One /proc/buddyinfo line ("Node 0, zone   Normal  3 1 ..."): its node,
 * zone name and counts (at most MAX_NR_ORDERS); the number of counts, or -1.
 */
int resim_buddyinfo_line(const char *s, int *node, char name[16], uint64_t *counts);

#endif
