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
};

/*
 * Replay trace session @id's mm_page_alloc, mm_page_free, kmalloc and kfree
 * events on a new machine of @machine_json (its stored config); @zones (may
 * be none) place the trace's pfns in the real machine's zones.
 */
int trace_resimulate(sqlite3 *db, int64_t id, const char *machine_json,
		     const struct resim_zone *zones, int nr_zones, struct resim_figures *f,
		     struct mm_error *e);

#endif
