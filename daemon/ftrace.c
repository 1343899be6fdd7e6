/*
 * ftrace.c - the kernel's trace text, written from events and read into
 * them, through one table of tracepoints.
 *
 * Each row carries the tracepoint's print format exactly as Linux 6.18's
 * /sys/kernel/tracing/events/GROUP/NAME/format gives it (the TP_printk() of
 * include/trace/events/kmem.h, tlb.h, vmscan.h, compaction.h, oom.h,
 * migrate.h), so one printf-like walker writes a line and the same walker
 * reads one back. tests/data/ftrace/formats/ holds the real format files;
 * tests/e2e/ftrace.test.mjs checks every row against them.
 */
#define _GNU_SOURCE	/* memmem() */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ftrace.h"

/*
 * THE TABLE. One row per tracepoint:
 *   name, group  - the tracepoint (events/GROUP/NAME)
 *   engine       - the engine event (mmlab.h MM_EVENT_TYPES) written as this
 *                  tracepoint, or NULL: then the tracepoint is only read (a
 *                  real trace's line becomes an event of that name)
 *   fmt          - the print format, copied from the format file's "print fmt"
 *   args         - one name per conversion of fmt, saying where its value
 *                  comes from and goes to:
 *       cpu node zone order migratetype level gfp pfn vaddr paddr size value
 *                  the event's typed column of that name
 *       d.KEY      a KEY=VALUE pair in the event's detail text
 *       page       struct page * of pfn (written as vmemmap_base + pfn * 64;
 *                  read and dropped: a trace hashes it)
 *       call_site  %pS: written as the op that caused the event; read into
 *                  d.call_site
 *       reqnode    the node asked for: written -1 (NUMA_NO_NODE); read into node
 *       accounted  "true"/"false" from gfp's __GFP_ACCOUNT; read into d.accounted
 *       tlbpages, tlbreason, tlbcode   tlb_flush's pages and reason
 *       shrinksym  %pS of a shrinker: d.scan, its scan_objects function
 *                  (written NAME+0x0/0x0 when it has no offset)
 *       shr        %p of the struct shrinker: d.shr as a trace had it, else
 *                  a 32-bit hash of d.shrinker (the kernel hashes %p too)
 *       wbflags    vmscan's reclaim_flags: d.flags holds the number, written
 *                  and read as RECLAIM_WB_* names joined by '|'
 *       spanend    the end of a pfn range that begins at pfn: read into size
 *                  as end - pfn (the pages the range covers)
 *       zonespan   a zone's end whose start is d.zone_start: read into size
 *                  as end - start (the zone's span)
 *       zonename   a zone printed by name (__print_symbolic of enum
 *                  zone_type): the zone column
 *       compactret a compaction result by name (COMPACTION_STATUS): value
 *                  holds enum compact_result
 *
 * The rows of the compaction and migrate groups are verbatim: they keep the
 * fields' text itself as the detail, both ways: the engine reports the kernel's
 * TP_printk text there and the export writes it as it is; a line read
 * stores its fields' text as the detail and its args fill the columns, so
 * one parser of the kernel's key=value text (web/js/ktext.js) reads live
 * and imported events alike. Without a detail, a verbatim row is written
 * from its args as any other (an absent d.KEY writes 0).
 *
 * A d.KEY number that is 0 is left out of the detail (an absent key writes
 * 0), both ways, so that the long vmscan lines fit a recorded detail.
 *
 * mark_victim's and writeback_single_inode's engine events have the
 * tracepoint's TP_printk text as their detail rather than d.KEY pairs
 * (printk_detail()): the export reads that text back by the row's format,
 * then writes it as any.
 *
 *       pm.M pm.a pm.s pm.b pm.d pm.B   pagemap's folio flags (d.flags, the
 *                  PAGEMAP_* bits of include/trace/events/pagemap.h), one
 *                  character each; read from the first, which takes them all
 *
 * To add a tracepoint (as the engine gains or names them): copy its
 * print fmt from
 *   /sys/kernel/tracing/events/GROUP/NAME/format (or TP_printk() in
 *   include/trace/events/GROUP.h of 6.18), add its format file to
 *   tests/data/ftrace/formats/GROUP_NAME.format, and add a row here with the
 *   engine event's name in .engine and one arg per conversion. A row whose
 *   tracepoint is already here for import only just gains its .engine. The
 *   export, the import and tests/e2e/ftrace.test.mjs pick it up from the table.
 *
 * Engine events with no row are not written: those of no tracepoint
 * (buddy_split, buddy_merge, pte_set, translate, migrate_folio_move, ...),
 * and pcp_refill and pcp_drain, the engine's count of a whole batch: the
 * kernel's lines are one a block, mm_page_alloc_zone_locked and
 * mm_page_pcpu_drain, which the engine reports too. Not yet written:
 * task_newtask; swap_writepage and swap_readpage have no tracepoint in 6.18.
 */
static const struct ftrace_tp tracepoints[] = {
	/* kmem (include/trace/events/kmem.h) */
	{ "mm_page_alloc", "kmem", "mm_page_alloc",
	  "page=%p pfn=0x%lx order=%d migratetype=%d gfp_flags=%s",
	  "page pfn order migratetype gfp" },
	{ "mm_page_free", "kmem", "mm_page_free",
	  "page=%p pfn=0x%lx order=%d", "page pfn order" },
	{ "mm_page_free_batched", "kmem", "mm_page_free_batched",
	  "page=%p pfn=0x%lx order=0", "page pfn" },
	{ "mm_page_pcpu_drain", "kmem", "mm_page_pcpu_drain",
	  "page=%p pfn=0x%lx order=%d migratetype=%d", "page pfn order migratetype" },
	{ "mm_page_alloc_zone_locked", "kmem", "mm_page_alloc_zone_locked",
	  "page=%p pfn=0x%lx order=%u migratetype=%d percpu_refill=%d",
	  "page pfn order migratetype value" },
	{ "mm_page_alloc_extfrag", "kmem", "mm_page_alloc_extfrag",
	  "page=%p pfn=0x%lx alloc_order=%d fallback_order=%d pageblock_order=%d "
	  "alloc_migratetype=%d fallback_migratetype=%d fragmenting=%d change_ownership=%d",
	  "page pfn order value d.pageblock_order migratetype d.fallback_migratetype "
	  "d.fragmenting d.change_ownership" },
	{ "kmalloc", "kmem", "kmalloc",
	  "call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d accounted=%s",
	  "call_site vaddr size value gfp reqnode accounted" },
	/* ___kmalloc_large_node() reports through trace_kmalloc() too */
	{ "kmalloc", "kmem", "kmalloc_large",
	  "call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d accounted=%s",
	  "call_site vaddr size value gfp reqnode accounted" },
	{ "kfree", "kmem", "kfree", "call_site=%pS ptr=%p", "call_site vaddr" },
	{ "kmem_cache_alloc", "kmem", "kmem_cache_alloc",
	  "call_site=%pS ptr=%p name=%s bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d "
	  "accounted=%s",
	  "call_site vaddr d.name size value gfp reqnode accounted" },
	{ "kmem_cache_free", "kmem", "kmem_cache_free",
	  "call_site=%pS ptr=%p name=%s", "call_site vaddr d.name" },
	{ "rss_stat", "kmem", NULL, "mm_id=%u curr=%d type=%s size=%ldB",
	  "d.mm_id d.curr d.type size" },
	/* tlb (include/trace/events/tlb.h) */
	{ "tlb_flush", "tlb", "tlb_flush", "pages:%ld reason:%s (%d)",
	  "tlbpages tlbreason tlbcode" },
	/* vmscan (include/trace/events/vmscan.h) */
	{ "mm_vmscan_kswapd_sleep", "vmscan", "mm_vmscan_kswapd_sleep", "nid=%d", "node" },
	{ "mm_vmscan_kswapd_wake", "vmscan", "mm_vmscan_kswapd_wake", "nid=%d order=%d",
	  "node order" },
	{ "mm_vmscan_wakeup_kswapd", "vmscan", "mm_vmscan_wakeup_kswapd",
	  "nid=%d order=%d gfp_flags=%s", "node order gfp" },
	{ "mm_vmscan_direct_reclaim_begin", "vmscan", "mm_vmscan_direct_reclaim_begin",
	  "order=%d gfp_flags=%s", "order gfp" },
	{ "mm_vmscan_direct_reclaim_end", "vmscan", "mm_vmscan_direct_reclaim_end",
	  "nr_reclaimed=%lu", "value" },
	{ "mm_vmscan_memcg_reclaim_begin", "vmscan", "mm_vmscan_memcg_reclaim_begin",
	  "order=%d gfp_flags=%s", "order gfp" },
	{ "mm_vmscan_memcg_reclaim_end", "vmscan", "mm_vmscan_memcg_reclaim_end",
	  "nr_reclaimed=%lu", "value" },
	{ "mm_vmscan_node_reclaim_begin", "vmscan", NULL, "nid=%d order=%d gfp_flags=%s",
	  "node order gfp" },
	{ "mm_vmscan_node_reclaim_end", "vmscan", NULL, "nr_reclaimed=%lu", "value" },
	{ "mm_vmscan_lru_isolate", "vmscan", "mm_vmscan_lru_isolate",
	  "classzone=%d order=%d nr_requested=%lu nr_scanned=%lu nr_skipped=%lu nr_taken=%lu "
	  "lru=%s", "zone order d.nr_requested size d.nr_skipped value d.lru" },
	{ "mm_vmscan_lru_shrink_inactive", "vmscan", "mm_vmscan_lru_shrink_inactive",
	  "nid=%d nr_scanned=%ld nr_reclaimed=%ld nr_dirty=%ld nr_writeback=%ld "
	  "nr_congested=%ld nr_immediate=%ld nr_activate_anon=%d nr_activate_file=%d "
	  "nr_ref_keep=%ld nr_unmap_fail=%ld priority=%d flags=%s",
	  "node size value d.nr_dirty d.nr_writeback d.nr_congested d.nr_immediate "
	  "d.nr_activate_anon d.nr_activate_file d.nr_ref_keep d.nr_unmap_fail level wbflags" },
	{ "mm_vmscan_lru_shrink_active", "vmscan", "mm_vmscan_lru_shrink_active",
	  "nid=%d nr_taken=%ld nr_active=%ld nr_deactivated=%ld nr_referenced=%ld "
	  "priority=%d flags=%s",
	  "node size d.nr_active value d.nr_referenced level wbflags" },
	{ "mm_vmscan_write_folio", "vmscan", "mm_vmscan_write_folio", "page=%p pfn=0x%lx flags=%s",
	  "page pfn wbflags" },
	{ "mm_shrink_slab_start", "vmscan", "mm_shrink_slab_start",
	  "%pS %p: nid: %d objects to shrink %ld gfp_flags %s cache items %ld delta %lld "
	  "total_scan %ld priority %d",
	  "shrinksym shr node d.nr_objects_to_shrink gfp size d.delta value d.priority" },
	{ "mm_shrink_slab_end", "vmscan", "mm_shrink_slab_end",
	  "%pS %p: nid: %d unused scan count %ld new scan count %ld total_scan %ld "
	  "last shrinker return val %d",
	  "shrinksym shr node d.unused_scan d.new_scan size value" },
	/* compaction (include/trace/events/compaction.h): verbatim (above) */
	{ "mm_compaction_begin", "compaction", "mm_compaction_begin",
	  "zone_start=0x%lx migrate_pfn=0x%lx free_pfn=0x%lx zone_end=0x%lx, mode=%s",
	  "d.zone_start pfn value zonespan d.mode" },
	{ "mm_compaction_end", "compaction", "mm_compaction_end",
	  "zone_start=0x%lx migrate_pfn=0x%lx free_pfn=0x%lx zone_end=0x%lx, mode=%s status=%s",
	  "d.zone_start pfn value zonespan d.mode d.status" },
	{ "mm_compaction_isolate_migratepages", "compaction", "mm_compaction_isolate_migratepages",
	  "range=(0x%lx ~ 0x%lx) nr_scanned=%lu nr_taken=%lu", "pfn spanend d.nr_scanned value" },
	{ "mm_compaction_isolate_freepages", "compaction", "mm_compaction_isolate_freepages",
	  "range=(0x%lx ~ 0x%lx) nr_scanned=%lu nr_taken=%lu", "pfn spanend d.nr_scanned value" },
	{ "mm_compaction_fast_isolate_freepages", "compaction", "mm_compaction_fast_isolate_freepages",
	  "range=(0x%lx ~ 0x%lx) nr_scanned=%lu nr_taken=%lu", "pfn spanend d.nr_scanned value" },
	{ "mm_compaction_migratepages", "compaction", "mm_compaction_migratepages",
	  "nr_migrated=%lu nr_failed=%lu", "value size" },
	{ "mm_compaction_finished", "compaction", "mm_compaction_finished",
	  "node=%d zone=%-8s order=%d ret=%s", "node zonename order compactret" },
	{ "mm_compaction_suitable", "compaction", "mm_compaction_suitable",
	  "node=%d zone=%-8s order=%d ret=%s", "node zonename order compactret" },
	{ "mm_compaction_deferred", "compaction", "mm_compaction_deferred",
	  "node=%d zone=%-8s order=%d order_failed=%d consider=%u limit=%lu",
	  "node zonename order d.order_failed value size" },
	{ "mm_compaction_defer_compaction", "compaction", "mm_compaction_defer_compaction",
	  "node=%d zone=%-8s order=%d order_failed=%d consider=%u limit=%lu",
	  "node zonename order d.order_failed value size" },
	{ "mm_compaction_defer_reset", "compaction", "mm_compaction_defer_reset",
	  "node=%d zone=%-8s order=%d order_failed=%d consider=%u limit=%lu",
	  "node zonename order d.order_failed value size" },
	{ "mm_compaction_kcompactd_sleep", "compaction", "mm_compaction_kcompactd_sleep", "nid=%d",
	  "node" },
	{ "mm_compaction_kcompactd_wake", "compaction", "mm_compaction_kcompactd_wake",
	  "nid=%d order=%d classzone_idx=%-8s", "node order d.classzone_idx" },
	{ "mm_compaction_wakeup_kcompactd", "compaction", "mm_compaction_wakeup_kcompactd",
	  "nid=%d order=%d classzone_idx=%-8s", "node order d.classzone_idx" },
	{ "mm_compaction_try_to_compact_pages", "compaction", "mm_compaction_try_to_compact_pages",
	  "order=%d gfp_mask=%s priority=%d", "order gfp value" },
	/* oom (include/trace/events/oom.h) */
	{ "mark_victim", "oom", "mark_victim",
	  "pid=%d comm=%s total-vm=%lukB anon-rss=%lukB file-rss:%lukB shmem-rss:%lukB "
	  "uid=%u pgtables=%lukB oom_score_adj=%hd",
	  "value d.comm d.total_vm_kb d.anon_rss_kb d.file_rss_kb d.shmem_rss_kb d.uid "
	  "d.pgtables_kb d.oom_score_adj" },
	{ "wake_reaper", "oom", NULL, "pid=%d", "value" },
	{ "start_task_reaping", "oom", NULL, "pid=%d", "value" },
	{ "finish_task_reaping", "oom", NULL, "pid=%d", "value" },
	{ "skip_task_reaping", "oom", NULL, "pid=%d", "value" },
	/* filemap (include/trace/events/filemap.h) */
	{ "mm_filemap_add_to_page_cache", "filemap", "mm_filemap_add_to_page_cache",
	  "dev %d:%d ino %lx pfn=0x%lx ofs=%lu order=%u", "d.major d.minor value pfn size order" },
	{ "mm_filemap_delete_from_page_cache", "filemap", "mm_filemap_delete_from_page_cache",
	  "dev %d:%d ino %lx pfn=0x%lx ofs=%lu order=%u", "d.major d.minor value pfn size order" },
	{ "mm_filemap_fault", "filemap", "mm_filemap_fault", "dev=%d:%d ino=%lx ofs=%lld",
	  "d.major d.minor value size" },
	/* pagemap (include/trace/events/pagemap.h) */
	{ "mm_lru_insertion", "pagemap", "mm_lru_insertion",
	  "folio=%p pfn=0x%lx lru=%d flags=%s%s%s%s%s%s", "page pfn value pm.M pm.a pm.s pm.b pm.d pm.B" },
	{ "mm_lru_activate", "pagemap", "mm_lru_activate", "folio=%p pfn=0x%lx", "page pfn" },
	/* writeback (include/trace/events/writeback.h) */
	{ "writeback_dirty_folio", "writeback", "writeback_dirty_folio", "bdi %s: ino=%lu index=%lu",
	  "d.bdi value size" },
	{ "writeback_single_inode", "writeback", "writeback_single_inode",
	  "bdi %s: ino=%lu state=%s dirtied_when=%lu age=%lu index=%lu to_write=%ld wrote=%lu "
	  "cgroup_ino=%lu",
	  "d.bdi value d.state d.dirtied_when d.age d.index d.to_write d.wrote d.cgroup_ino" },
	{ "global_dirty_state", "writeback", "global_dirty_state",
	  "dirty=%lu writeback=%lu bg_thresh=%lu thresh=%lu limit=%lu dirtied=%lu written=%lu",
	  "d.dirty d.writeback d.bg_thresh d.thresh d.limit d.dirtied d.written" },
	/* migrate (include/trace/events/migrate.h): verbatim (above) */
	{ "mm_migrate_pages", "migrate", "mm_migrate_pages",
	  "nr_succeeded=%lu nr_failed=%lu nr_thp_succeeded=%lu nr_thp_failed=%lu "
	  "nr_thp_split=%lu nr_split=%lu mode=%s reason=%s",
	  "value size d.nr_thp_succeeded d.nr_thp_failed d.nr_thp_split d.nr_split "
	  "d.mode d.reason" },
	{ "mm_migrate_pages_start", "migrate", "mm_migrate_pages_start", "mode=%s reason=%s",
	  "d.mode d.reason" },
	{ "set_migration_pte", "migrate", "set_migration_pte", "addr=%lx, pte=%lx order=%d",
	  "vaddr d.pte order" },
	{ "remove_migration_pte", "migrate", "remove_migration_pte", "addr=%lx, pte=%lx order=%d",
	  "vaddr d.pte order" },
};

#define NR_TRACEPOINTS (sizeof(tracepoints) / sizeof(tracepoints[0]))

const struct ftrace_tp *ftrace_tracepoints(size_t *n)
{
	*n = NR_TRACEPOINTS;
	return tracepoints;
}

const struct ftrace_tp *ftrace_tp_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_TRACEPOINTS; i++)
		if (tracepoints[i].name[0] == name[0] && strncmp(tracepoints[i].name, name, len) == 0 &&
		    tracepoints[i].name[len] == '\0')
			return &tracepoints[i];
	return NULL;
}

/* A row whose detail is the kernel's text of its fields (see the table's comment). */
static bool verbatim(const struct ftrace_tp *tp)
{
	return !strcmp(tp->group, "compaction") || !strcmp(tp->group, "migrate");
}

/* The engine event type of row @tp (MM_EV_NONE for an import-only row), looked up once. */
static int tp_engine_type(const struct ftrace_tp *tp)
{
	static int cache[NR_TRACEPOINTS];	/* the type + 1; 0 not looked up yet */
	size_t i = (size_t)(tp - tracepoints);
	int t = __atomic_load_n(&cache[i], __ATOMIC_RELAXED);

	if (!t) {
		t = (tp->engine ? mm_event_type_from_name(tp->engine) : MM_EV_NONE) + 1;
		__atomic_store_n(&cache[i], t, __ATOMIC_RELAXED);
	}
	return t - 1;
}

/* @n bytes of @src (no NUL among them) into @dst of @size, cut to fit. */
static void copy_text(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

const struct ftrace_tp *ftrace_tp_for_engine(int type)
{
	const char *name = mm_event_type_name(type);

	for (size_t i = 0; name && i < NR_TRACEPOINTS; i++)
		if (tracepoints[i].engine && strcmp(tracepoints[i].engine, name) == 0)
			return &tracepoints[i];
	return NULL;
}

/*** Event types of trace sessions ***/

#define MAX_TRACE_TYPES 4096

static pthread_mutex_t types_lock = PTHREAD_MUTEX_INITIALIZER;
static char *trace_types[MAX_TRACE_TYPES];

void ftrace_type_register(int type, const char *name)
{
	int i = type - FTRACE_TYPE_BASE;

	if (i < 0 || i >= MAX_TRACE_TYPES || !name)
		return;
	pthread_mutex_lock(&types_lock);
	if (!trace_types[i])
		trace_types[i] = strdup(name);
	pthread_mutex_unlock(&types_lock);
}

const char *ftrace_event_type_name(int type)
{
	int i = type - FTRACE_TYPE_BASE;
	const char *name;

	if (i < 0)
		return mm_event_type_name(type);
	if (i >= MAX_TRACE_TYPES)
		return NULL;
	pthread_mutex_lock(&types_lock);
	name = trace_types[i];	/* never freed nor changed once set */
	pthread_mutex_unlock(&types_lock);
	return name;
}

int ftrace_event_type_from_name(const char *name)
{
	int t = mm_event_type_from_name(name);

	for (int i = 0; t == MM_EV_NONE && i < MAX_TRACE_TYPES; i++)
		if (ftrace_event_type_name(FTRACE_TYPE_BASE + i) &&
		    !strcmp(ftrace_event_type_name(FTRACE_TYPE_BASE + i), name))
			t = FTRACE_TYPE_BASE + i;
	return t;
}

/*** The header ***/

void ftrace_write_header(FILE *f, uint64_t entries, unsigned int cpus)
{
	fprintf(f, "# tracer: nop\n#\n"
		"# entries-in-buffer/entries-written: %" PRIu64 "/%" PRIu64 "   #P:%u\n#\n"
		"#                                _-----=> irqs-off/BH-disabled\n"
		"#                               / _----=> need-resched\n"
		"#                              | / _---=> hardirq/softirq\n"
		"#                              || / _--=> preempt-depth\n"
		"#                              ||| / _-=> migrate-disable\n"
		"#                              |||| /     delay\n"
		"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
		"#              | |         |   |||||     |         |\n",
		entries, entries, cpus);
}

/*** Conversions of a print format ***/

struct conv {
	bool left;		/* "-" flag */
	int width;
	char len[3];		/* "", "l", "ll", "h", "z" */
	char c;			/* d u x s p */
	bool symbol;		/* %pS */
};

/* Parse the conversion at @p (after '%'); the text after it. */
static const char *parse_conv(const char *p, struct conv *cv)
{
	size_t n = 0;

	memset(cv, 0, sizeof(*cv));
	if (*p == '-') {
		cv->left = true;
		p++;
	}
	while (isdigit((unsigned char)*p))
		cv->width = cv->width * 10 + (*p++ - '0');
	while ((*p == 'l' || *p == 'h' || *p == 'z') && n < 2)
		cv->len[n++] = *p++;
	cv->c = *p ? *p++ : 's';
	if (cv->c == 'p' && *p == 'S') {
		cv->symbol = true;
		p++;
	}
	return p;
}

/* The next space-separated arg name of @args at *@pos, copied into @buf. */
static void next_arg(const char *args, size_t *pos, char *buf, size_t size)
{
	size_t n = 0;

	while (args[*pos] == ' ')
		(*pos)++;
	while (args[*pos] && args[*pos] != ' ') {
		if (n + 1 < size)
			buf[n++] = args[*pos];
		(*pos)++;
	}
	buf[n] = '\0';
}

/* A typed column of struct mm_event by name: a pointer to it and its width. */
static const char *const column_names[] = { "cpu", "node", "zone", "order", "migratetype",
					     "level", "gfp", "pfn", "vaddr", "paddr", "size",
					     "value" };
#define NR_COLUMNS (sizeof(column_names) / sizeof(column_names[0]))

/* The column named @name: its index in column_names, or -1. */
static int column_index(const char *name)
{
	for (size_t i = 0; i < NR_COLUMNS; i++)
		if (!strcmp(name, column_names[i]))
			return (int)i;
	return -1;
}

/* Column @i of @ev (column_index()): a pointer to it and its width. */
static bool column_at(struct mm_event *ev, int i, int **i32, uint64_t **u64, uint32_t **u32)
{
	*i32 = NULL;
	*u64 = NULL;
	*u32 = NULL;
	switch (i) {
	case 0: *i32 = &ev->cpu; break;
	case 1: *i32 = &ev->node; break;
	case 2: *i32 = &ev->zone; break;
	case 3: *i32 = &ev->order; break;
	case 4: *i32 = &ev->migratetype; break;
	case 5: *i32 = &ev->level; break;
	case 6: *u32 = &ev->gfp; break;
	case 7: *u64 = &ev->pfn; break;
	case 8: *u64 = &ev->vaddr; break;
	case 9: *u64 = &ev->paddr; break;
	case 10: *u64 = &ev->size; break;
	case 11: *u64 = (uint64_t *)&ev->value; break;
	default: return false;
	}
	return true;
}

static bool column(struct mm_event *ev, const char *name, int **i32, uint64_t **u64,
		   uint32_t **u32)
{
	return column_at(ev, column_index(name), i32, u64, u32);
}

/* The value of KEY in a "k=v k=v" detail, copied to @buf; false if none. */
static bool detail_get(const char *detail, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = detail;

	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " ");

			if (n >= size)
				n = size - 1;
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return true;
		}
		p = strchr(p, ' ');
	}
	return false;
}

/*** Writing ***/

#define VMEMMAP_BASE 0xffffea0000000000ULL	/* x86-64, 4-level, no KASLR */
#define PAGEBLOCK_ORDER 9			/* min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER) */

struct value {
	bool is_str;
	int64_t n;
	char s[256];
};

/* tlb_flush's reason, from the scope the engine flushed (arch/x86/mm/tlb.c). */
static int tlb_reason(const char *scope)
{
	if (scope && (!strcmp(scope, "cr3") || !strcmp(scope, "nonglobal")))
		return 0;	/* TLB_FLUSH_ON_TASK_SWITCH: a CR3 write */
	if (scope && !strcmp(scope, "all"))
		return 3;	/* TLB_LOCAL_MM_SHOOTDOWN */
	return 2;		/* TLB_LOCAL_SHOOTDOWN: a page or a range */
}

static const char *const tlb_reasons[] = {
	"flush on task switch", "remote shootdown", "local shootdown", "local MM shootdown",
	"remote IPI send", "remote wrong CPU",
};
#define NR_TLB_REASONS	(sizeof(tlb_reasons) / sizeof(tlb_reasons[0]))

/* The TLB_FLUSH_REASON number of the reason a trace line's @detail names; NR_TLB_REASONS if none. */
static unsigned int tlb_reason_in_detail(const char *detail)
{
	char reason[64] = "";
	unsigned int i;

	if (detail)
		detail_get(detail, "reason", reason, sizeof(reason));
	for (char *c = reason; *c; c++)	/* a detail value is one word */
		if (*c == '_')
			*c = ' ';
	for (i = 0; i < NR_TLB_REASONS && strcmp(tlb_reasons[i], reason); i++)
		;
	return i;
}


/* vmscan.h's reclaim_flags, by name (show_reclaim_flags()). */
static const struct { unsigned int bit; const char *name; } wb_flags[] = {
	{ 0x0001u, "RECLAIM_WB_ANON" }, { 0x0002u, "RECLAIM_WB_FILE" },
	{ 0x0010u, "RECLAIM_WB_MIXED" }, { 0x0004u, "RECLAIM_WB_SYNC" },
	{ 0x0008u, "RECLAIM_WB_ASYNC" },
};
#define NR_WB_FLAGS (sizeof(wb_flags) / sizeof(wb_flags[0]))

/* __print_flags() of reclaim_flags: names in the table's order; RECLAIM_WB_NONE for 0. */
static void wbflags_format(unsigned int flags, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NR_WB_FLAGS && used < size; i++)
		if (flags & wb_flags[i].bit)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "|" : "",
						 wb_flags[i].name);
	if (!flags)
		snprintf(buf, size, "RECLAIM_WB_NONE");
}

/* The number of "NAME|NAME" (@n bytes); false for an unknown name. */
static bool wbflags_parse(const char *s, size_t n, unsigned int *flags)
{
	*flags = 0;
	if (n == 15 && !memcmp(s, "RECLAIM_WB_NONE", 15))
		return true;
	while (n) {
		size_t len = 0, i;

		while (len < n && s[len] != '|')
			len++;
		for (i = 0; i < NR_WB_FLAGS; i++)
			if (strlen(wb_flags[i].name) == len && !memcmp(wb_flags[i].name, s, len))
				break;
		if (i == NR_WB_FLAGS)
			return false;
		*flags |= wb_flags[i].bit;
		s += len;
		n -= len;
		if (n) {
			s++;
			n--;
		}
	}
	return true;
}

/* COMPACTION_STATUS names (include/trace/events/mmflags.h) by enum compact_result. */
static const char *const compact_results[] = {
	"not_suitable_zone", "skipped", "deferred", "no_suitable_page", "continue",
	"complete", "partial_skipped", "contended", "success",
};
#define NR_COMPACT_RESULTS (sizeof(compact_results) / sizeof(compact_results[0]))

/* enum zone_type as compaction.h's __print_symbolic() names it. */
static const char *const zone_names[] = { "DMA", "DMA32", "Normal", "Movable", "Device" };
#define NR_ZONE_NAMES (sizeof(zone_names) / sizeof(zone_names[0]))

/* The index of the name @s (@n bytes, trailing spaces ignored) in @names, or -1. */
static int name_index(const char *const *names, size_t count, const char *s, size_t n)
{
	while (n && s[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < count; i++)
		if (strlen(names[i]) == n && !memcmp(names[i], s, n))
			return (int)i;
	return -1;
}

/* A detail key the engine does not keep, worked out from the event. */
static bool derived_detail(const struct ftrace_out *o, const char *key, struct value *v)
{
	if (!strcmp(key, "pageblock_order")) {
		v->n = PAGEBLOCK_ORDER;
		return true;
	}
	if (!strcmp(key, "major") || !strcmp(key, "minor")) {
		v->n = 0;	/* the simulated filesystem has no block device: dev 0:0 */
		return true;
	}
	if (!strcmp(key, "bdi")) {	/* the simulated filesystem's, as its dev 0:0 */
		v->is_str = true;
		strcpy(v->s, "0:0");
		return true;
	}
	if (!strcmp(key, "fragmenting")) {
		v->n = o->ev.value < PAGEBLOCK_ORDER;
		return true;
	}
	return false;
}

static void value_of(const struct ftrace_out *o, const char *arg, const struct conv *cv,
		     struct value *v)
{
	struct mm_event ev = o->ev;
	int *i32;
	uint64_t *u64;
	uint32_t *u32;

	memset(v, 0, sizeof(*v));
	if (!strcmp(arg, "page")) {
		v->n = (int64_t)(VMEMMAP_BASE + (ev.pfn == MM_NA_U64 ? 0 : ev.pfn) * 64);
	} else if (o->trace && (!strcmp(arg, "call_site") || !strcmp(arg, "accounted") ||
				!strcmp(arg, "tlbreason"))) {	/* as the trace had them */
		v->is_str = true;
		if (!ev.detail || !detail_get(ev.detail, !strcmp(arg, "tlbreason") ? "reason" : arg,
					      v->s, sizeof(v->s)))
			v->s[0] = '\0';
		for (char *c = v->s; *c && !strcmp(arg, "tlbreason"); c++)
			if (*c == '_')
				*c = ' ';
	} else if (o->trace && !strcmp(arg, "tlbpages")) {
		v->n = ev.value;
	} else if (o->trace && !strcmp(arg, "tlbcode")) {
		v->n = tlb_reason_in_detail(ev.detail);
	} else if (o->trace && !strcmp(arg, "reqnode")) {
		v->n = ev.node == MM_NA ? -1 : ev.node;
	} else if (!strcmp(arg, "call_site")) {
		v->is_str = true;
		snprintf(v->s, sizeof(v->s), "%s+0x0/0x0", o->op ? o->op : "boot");
	} else if (!strcmp(arg, "reqnode")) {
		v->n = -1;
	} else if (!strcmp(arg, "accounted")) {
		v->is_str = true;
		strcpy(v->s, ev.gfp & 0x400000u ? "true" : "false");	/* __GFP_ACCOUNT */
	} else if (!strcmp(arg, "tlbpages")) {
		v->n = ev.size == MM_NA_U64 || (ev.detail && !strcmp(ev.detail, "all"))
			       ? -1 : (int64_t)((ev.size + 4095) / 4096);
	} else if (!strcmp(arg, "tlbreason")) {
		v->is_str = true;
		strcpy(v->s, tlb_reasons[tlb_reason(ev.detail)]);
	} else if (!strcmp(arg, "tlbcode")) {
		v->n = tlb_reason(ev.detail);
	} else if (!strcmp(arg, "shrinksym")) {
		v->is_str = true;
		if (!ev.detail || !detail_get(ev.detail, "scan", v->s, sizeof(v->s) - 16))
			strcpy(v->s, "unknown");
		if (!strchr(v->s, '+'))
			strcat(v->s, "+0x0/0x0");
	} else if (!strcmp(arg, "shr")) {
		if (ev.detail && detail_get(ev.detail, "shr", v->s, sizeof(v->s))) {
			v->n = (int64_t)strtoull(v->s, NULL, 16);
		} else {
			uint32_t h = 2166136261u;	/* FNV-1a of the shrinker's name */

			if (!ev.detail || !detail_get(ev.detail, "shrinker", v->s, sizeof(v->s)))
				v->s[0] = '\0';
			for (const char *c = v->s; *c; c++)
				h = (h ^ (unsigned char)*c) * 16777619u;
			v->n = h;
		}
		v->s[0] = '\0';
	} else if (!strncmp(arg, "pm.", 3)) {
		static const struct { char c, off; unsigned int bit; } pm[] = {
			{ 'M', ' ', 0x1 }, { 'a', 'f', 0x2 }, { 's', ' ', 0x8 }, { 'b', ' ', 0x10 },
			{ 'd', ' ', 0x20 }, { 'B', ' ', 0x40 } };
		unsigned int flags = 0;

		if (ev.detail && detail_get(ev.detail, "flags", v->s, sizeof(v->s)))
			flags = (unsigned int)strtoul(v->s, NULL, 0);
		v->is_str = true;
		for (size_t i = 0; i < sizeof(pm) / sizeof(pm[0]); i++)
			if (pm[i].c == arg[3]) {
				v->s[0] = flags & pm[i].bit ? pm[i].c : pm[i].off;
				v->s[1] = '\0';
			}
	} else if (!strcmp(arg, "wbflags")) {
		v->is_str = true;
		if (!ev.detail || !detail_get(ev.detail, "flags", v->s, sizeof(v->s)))
			v->s[0] = '\0';
		wbflags_format((unsigned int)strtoul(v->s, NULL, 0), v->s, sizeof(v->s));
	} else if (!strcmp(arg, "spanend")) {
		v->n = (int64_t)((ev.pfn == MM_NA_U64 ? 0 : ev.pfn) + (ev.size == MM_NA_U64 ? 0 : ev.size));
	} else if (!strcmp(arg, "zonespan")) {
		char start[32];

		v->n = ev.detail && detail_get(ev.detail, "zone_start", start, sizeof(start))
		       ? strtoll(start, NULL, 0) : 0;
		v->n += ev.size == MM_NA_U64 ? 0 : (int64_t)ev.size;
	} else if (!strcmp(arg, "zonename")) {
		v->is_str = true;
		snprintf(v->s, sizeof(v->s), "%s", ev.zone >= 0 && (size_t)ev.zone < NR_ZONE_NAMES
			 ? zone_names[ev.zone] : "");
	} else if (!strcmp(arg, "compactret")) {
		v->is_str = true;
		snprintf(v->s, sizeof(v->s), "%s", ev.value >= 0 && (size_t)ev.value < NR_COMPACT_RESULTS
			 ? compact_results[ev.value] : "");
	} else if (!strncmp(arg, "d.", 2)) {
		bool found = ev.detail && detail_get(ev.detail, arg + 2, v->s, sizeof(v->s));

		if (!found && !o->trace && derived_detail(o, arg + 2, v))
			return;
		if (!found && ev.detail && !strchr(ev.detail, '=')) {
			snprintf(v->s, sizeof(v->s), "%s", ev.detail);	/* a bare name */
			found = true;
		}
		v->is_str = true;
		if (cv->c != 's') {	/* a number: a migratetype may be named */
			int mt;

			for (mt = 0; mt < 6 && found; mt++)
				if (migratetype_name(mt) && !strcmp(v->s, migratetype_name(mt)))
					break;
			v->is_str = false;
			v->n = found && mt < 6 ? mt : found ? strtoll(v->s, NULL, 0) : 0;
		}
	} else if (column(&ev, arg, &i32, &u64, &u32)) {
		if (i32 && *i32 == MM_NA && o->trace && ev.detail &&
		    detail_get(ev.detail, arg, v->s, sizeof(v->s))) {
			v->n = strtoll(v->s, NULL, 10);	/* a -1 the trace had */
			v->s[0] = '\0';
		} else if (u32 && cv->c == 's') {
			v->is_str = true;
			if (*u32)
				gfp_format(*u32, v->s, sizeof(v->s));
			else
				strcpy(v->s, "none");
		} else {
			v->n = i32 ? (*i32 == MM_NA ? 0 : *i32) : u32 ? (int64_t)*u32
			       : *u64 == MM_NA_U64 ? 0 : (int64_t)*u64;
		}
	}
}

static void put_value(FILE *f, const struct conv *cv, const struct value *v)
{
	char num[64];
	const char *s = v->s;

	if (cv->c == 'p' && cv->symbol) {
		/* %pS: the symbol text as it is */
	} else if (!v->is_str || cv->c != 's') {
		switch (cv->c) {
		case 'p':
			snprintf(num, sizeof(num), "%016" PRIx64, (uint64_t)v->n);
			break;
		case 'x':
			snprintf(num, sizeof(num), "%" PRIx64, (uint64_t)v->n);
			break;
		case 'u':
			snprintf(num, sizeof(num), "%" PRIu64, strcmp(cv->len, "") ? (uint64_t)v->n
				 : (uint64_t)(uint32_t)v->n);
			break;
		default:
			snprintf(num, sizeof(num), "%" PRId64, v->n);
		}
		s = num;
	}
	fprintf(f, cv->left ? "%-*s" : "%*s", cv->width, s);
}

/*
 * The line's prefix: task (the op's name), pid (the op's number), CPU,
 * flags, the time (one microsecond a seq), then "name: fields".
 */
bool ftrace_write_event(FILE *f, const struct ftrace_out *o)
{
	const struct ftrace_tp *tp = ftrace_tp_for_engine(o->ev.type);
	char task[16];

	if (!tp)
		return false;
	snprintf(task, sizeof(task), "%s", o->op ? o->op : "swapper");
	fprintf(f, "%16s-%-7" PRIu64 " [%03d] ..... %5" PRIu64 ".%06" PRIu64 ": %s: ", task,
		o->op_no, o->ev.cpu == MM_NA ? 0 : o->ev.cpu, o->seq / 1000000, o->seq % 1000000,
		tp->name);
	ftrace_write_fields(f, tp, o);
	fputc('\n', f);
	return true;
}

static bool parse_fields(const struct ftrace_tp *tp, const char *s, size_t len,
			 struct ftrace_line *out, char *why, size_t whylen);
static void ftrace_write_fields_as(FILE *f, const struct ftrace_tp *tp,
				   const struct ftrace_out *o);

/* An engine event whose detail is its tracepoint's TP_printk text. */
static bool printk_detail(const struct ftrace_tp *tp)
{
	return !strcmp(tp->name, "mark_victim") || !strcmp(tp->name, "writeback_single_inode");
}

void ftrace_write_fields(FILE *f, const struct ftrace_tp *tp, const struct ftrace_out *o)
{
	if (printk_detail(tp) && !o->trace && o->ev.detail) {
		/* the engine's TP_printk text, read by the format into d.KEY pairs */
		struct ftrace_line *l = calloc(1, sizeof(*l));
		char why[160];

		if (l) {
			mm_event_init(&l->ev, MM_EV_NONE);
			if (parse_fields(tp, o->ev.detail, strlen(o->ev.detail), l, why, sizeof(why))) {
				struct ftrace_out o2 = *o;

				o2.ev.detail = l->detail;
				o2.ev.value = l->ev.value;
				o2.trace = true;
				ftrace_write_fields(f, tp, &o2);
				free(l);
				return;
			}
			free(l);
		}
	}
	ftrace_write_fields_as(f, tp, o);
}

static void ftrace_write_fields_as(FILE *f, const struct ftrace_tp *tp, const struct ftrace_out *o)
{
	char arg[48];
	size_t pos = 0;
	const char *p;

	if (verbatim(tp) && o->ev.detail && *o->ev.detail) {
		fputs(o->ev.detail, f);
		return;
	}

	for (p = tp->fmt; *p; ) {
		struct conv cv;
		struct value v;

		if (*p != '%') {
			fputc(*p++, f);
			continue;
		}
		p = parse_conv(p + 1, &cv);
		next_arg(tp->args, &pos, arg, sizeof(arg));
		value_of(o, arg, &cv, &v);
		put_value(f, &cv, &v);
	}
}

/*** Reading ***/

/* gfp names of 6.18 that the engine does not model (include/linux/gfp_types.h). */
static const struct { const char *name; gfp_t mask; } gfp_extra[] = {
	{ "__GFP_NO_OBJ_EXT", 0x1000000u },
	{ "__GFP_NOLOCKDEP", 0x2000000u },
	{ "__GFP_SKIP_ZERO", 0x1000000u },
	{ "__GFP_SKIP_KASAN", 0x2000000u },
};

int ftrace_parse_gfp(const char *s, size_t len, gfp_t *gfp)
{
	char name[64];

	*gfp = 0;
	if (len == 4 && !memcmp(s, "none", 4))
		return 0;
	while (len) {
		size_t n = 0;
		gfp_t g;

		while (n < len && s[n] != '|')
			n++;
		if (n == 0 || n >= sizeof(name))
			return -1;
		memcpy(name, s, n);
		name[n] = '\0';
		if (name[0] == '0' && name[1] == 'x') {
			*gfp |= (gfp_t)strtoul(name, NULL, 16);
		} else if (gfp_parse(name, &g, NULL) == 0) {
			*gfp |= g;
		} else {
			size_t i;

			for (i = 0; i < sizeof(gfp_extra) / sizeof(gfp_extra[0]); i++)
				if (!strcmp(gfp_extra[i].name, name))
					break;
			if (i == sizeof(gfp_extra) / sizeof(gfp_extra[0]))
				return -1;
			*gfp |= gfp_extra[i].mask;
		}
		s += n;
		len -= n;
		if (len) {	/* the '|' */
			s++;
			len--;
		}
	}
	return 0;
}

static bool detail_add(struct ftrace_line *out, const char *key, const char *val, size_t n)
{
	size_t used = strlen(out->detail), room = sizeof(out->detail) - used, klen = strlen(key);
	char *p = out->detail + used;

	while (n && val[n - 1] == ' ')	/* %-8s pads */
		n--;
	if ((used ? 1 : 0) + klen + 1 + n >= room)	/* no room: the line is refused */
		return false;
	if (used)
		*p++ = ' ';
	memcpy(p, key, klen);
	p += klen;
	*p++ = '=';
	for (size_t i = 0; i < n; i++)	/* a value is one word */
		p[i] = val[i] == ' ' ? '_' : val[i];
	p[n] = '\0';
	return true;
}

/*
 * @tok (@n bytes) when it is only digits of @base (hex ones after an optional
 * 0x), too few to overflow: what strtoull() makes of it, without a copy.
 */
static bool plain_num(const char *tok, size_t n, bool hex, int64_t *out)
{
	uint64_t v = 0;

	if (hex && n > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
		tok += 2;
		n -= 2;
	}
	if (n == 0 || n > (hex ? 16u : 18u))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned int c = (unsigned char)tok[i], d;

		if (c - '0' < 10)
			d = c - '0';
		else if (hex && (c | 0x20) - 'a' < 6)
			d = (c | 0x20) - 'a' + 10;
		else
			return false;
		v = v * (hex ? 16 : 10) + d;
	}
	*out = (int64_t)v;
	return true;
}

/* A number of @cv's kind in @tok (@n bytes): decimal, or hex for %x and %p. */
static bool parse_num(const char *tok, size_t n, const struct conv *cv, int64_t *out)
{
	char buf[40], *end;

	if (plain_num(tok, n, cv->c == 'x' || cv->c == 'p', out))
		return true;
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, tok, n);
	buf[n] = '\0';
	if (cv->c == 'p' && (!strcmp(buf, "(null)") || !strcmp(buf, "0000000000000000"))) {
		*out = 0;
		return true;
	}
	if (buf[0] == '-' && cv->c != 'd')	/* %u, %x, %p print no sign */
		return false;
	if (buf[0] == ' ' || buf[0] == '+')	/* nor a pad or a plus (strtoll() takes both) */
		return false;
	errno = 0;
	if (cv->c == 'x' || cv->c == 'p')
		*out = (int64_t)strtoull(buf, &end, 16);
	else if (buf[0] == '-')
		*out = strtoll(buf, &end, 10);
	else
		*out = (int64_t)strtoull(buf, &end, 10);
	return *end == '\0' && errno == 0;
}

/* What a conversion's arg name asks of store_arg(): one branch of it. */
enum arg_kind {
	ARG_ACCOUNTED = 1, ARG_PAGE, ARG_TLBCODE, ARG_CALL_SITE, ARG_TLBREASON, ARG_SHRINK,
	ARG_PM, ARG_ZONENAME, ARG_COMPACTRET, ARG_SPAN, ARG_WBFLAGS, ARG_DETAIL, ARG_TLBPAGES,
	ARG_REQNODE,
	ARG_COLUMN,	/* ARG_COLUMN + column_index(), ARG_COLUMN + NR_COLUMNS for none */
};

static enum arg_kind arg_kind(const char *arg)
{
	if (!strcmp(arg, "accounted"))
		return ARG_ACCOUNTED;
	if (!strcmp(arg, "page"))
		return ARG_PAGE;
	if (!strcmp(arg, "tlbcode"))
		return ARG_TLBCODE;
	if (!strcmp(arg, "call_site"))
		return ARG_CALL_SITE;
	if (!strcmp(arg, "tlbreason"))
		return ARG_TLBREASON;
	if (!strcmp(arg, "shrinksym") || !strcmp(arg, "shr"))
		return ARG_SHRINK;
	if (!strncmp(arg, "pm.", 3))
		return ARG_PM;
	if (!strcmp(arg, "zonename"))
		return ARG_ZONENAME;
	if (!strcmp(arg, "compactret"))
		return ARG_COMPACTRET;
	if (!strcmp(arg, "spanend") || !strcmp(arg, "zonespan"))
		return ARG_SPAN;
	if (!strcmp(arg, "wbflags"))
		return ARG_WBFLAGS;
	if (!strncmp(arg, "d.", 2))
		return ARG_DETAIL;
	if (!strcmp(arg, "tlbpages"))
		return ARG_TLBPAGES;
	if (!strcmp(arg, "reqnode"))
		return ARG_REQNODE;
	return ARG_COLUMN + (column_index(arg) < 0 ? (int)NR_COLUMNS : column_index(arg));
}

#define MAX_CONVS 32	/* conversions of one format read from the table below */

/* A conversion of a row's format, as parse_fields() reads it: worked out once. */
struct conv_step {
	struct conv cv;
	char arg[48];		/* its arg name */
	enum arg_kind kind;
	const char *after;	/* the format after it */
	size_t litlen;		/* the literal text after it, up to the next conversion */
};

static struct conv_step conv_steps[NR_TRACEPOINTS][MAX_CONVS];
static bool conv_steps_ok[NR_TRACEPOINTS];	/* false: more than MAX_CONVS, read each time */
static pthread_once_t conv_steps_once = PTHREAD_ONCE_INIT;

static void conv_steps_build(void)
{
	for (size_t t = 0; t < NR_TRACEPOINTS; t++) {
		const char *p = tracepoints[t].fmt;
		size_t pos = 0, i = 0;

		conv_steps_ok[t] = true;
		while (*p) {
			struct conv_step *st = &conv_steps[t][i];

			if (*p != '%') {
				p++;
				continue;
			}
			if (i == MAX_CONVS) {
				conv_steps_ok[t] = false;
				break;
			}
			st->after = parse_conv(p + 1, &st->cv);
			next_arg(tracepoints[t].args, &pos, st->arg, sizeof(st->arg));
			st->kind = arg_kind(st->arg);
			st->litlen = strcspn(st->after, "%");
			p = st->after;
			i++;
		}
	}
}

/* Store conversion @arg's token into @out; false when it does not parse. */
static bool store_arg(struct ftrace_line *out, const char *arg, enum arg_kind kind,
		      const struct conv *cv, const char *tok, size_t n)
{
	struct mm_event *ev = &out->ev;
	int *i32;
	uint64_t *u64;
	uint32_t *u32;
	int64_t num = 0;

	switch (kind) {
	case ARG_ACCOUNTED: {	/* accounted ? "true" : "false" */
		if (!((n == 4 && !memcmp(tok, "true", 4)) || (n == 5 && !memcmp(tok, "false", 5))))
			return false;
		return detail_add(out, "accounted", tok, n);
	}
	case ARG_PAGE:
		return cv->c != 'p' || parse_num(tok, n, cv, &num) || (n == 6 && !memcmp(tok, "(null)", 6));
	case ARG_TLBCODE:	/* the number of the reason the line names */
		return parse_num(tok, n, cv, &num) && num >= 0 && num < (int64_t)NR_TLB_REASONS &&
		       (unsigned int)num == tlb_reason_in_detail(out->detail);
	case ARG_CALL_SITE:	/* %pS: a symbol+offset/size or an address, one word */
		if (n == 0 || memchr(tok, ' ', n))
			return false;
		return detail_add(out, "call_site", tok, n);
	case ARG_TLBREASON:	/* __print_symbolic(reason, TLB_FLUSH_REASON) */
		for (size_t i = 0; i < NR_TLB_REASONS; i++)
			if (n == strlen(tlb_reasons[i]) && !memcmp(tok, tlb_reasons[i], n))
				return detail_add(out, "reason", tok, n);
		return false;
	case ARG_SHRINK:
		if (!strcmp(arg, "shr") && !parse_num(tok, n, cv, &num))
			return false;
		return detail_add(out, !strcmp(arg, "shr") ? "shr" : "scan", tok, n) && n > 0;
	case ARG_PM: {	/* "M" or " ", "a" or "f", "s", "b", "d", "B" */
		static const char on[] = "Masbd B";
		unsigned int flags = 0, bits[] = { 0x1, 0x2, 0x8, 0x10, 0x20, 0x40 };
		char buf[16];

		if (arg[3] != 'M')
			return n == 0;	/* the first took them all */
		if (n > 6)
			return false;
		for (size_t i = 0; i < n; i++) {
			size_t k = i < 5 ? i : 6;

			if (tok[i] == on[k])
				flags |= bits[i];
			else if (i == 1 && tok[i] == 'f')
				flags |= 0x4;	/* PAGEMAP_FILE: not anonymous */
			else if (tok[i] != ' ')
				return false;
		}
		if (n < 2)	/* a or f is always there */
			return false;
		snprintf(buf, sizeof(buf), "%u", flags);
		return !flags || detail_add(out, "flags", buf, strlen(buf));
	}
	case ARG_ZONENAME:
		ev->zone = name_index(zone_names, NR_ZONE_NAMES, tok, n);
		return ev->zone >= 0;
	case ARG_COMPACTRET:
		ev->value = name_index(compact_results, NR_COMPACT_RESULTS, tok, n);
		return ev->value >= 0;
	case ARG_SPAN: {
		char start[32];
		int64_t from = 0;

		if (!parse_num(tok, n, cv, &num))
			return false;
		if (!strcmp(arg, "spanend"))
			from = ev->pfn == MM_NA_U64 ? 0 : (int64_t)ev->pfn;
		else if (detail_get(out->detail, "zone_start", start, sizeof(start)))
			from = strtoll(start, NULL, 0);
		if (num < from)
			return false;
		ev->size = (uint64_t)(num - from);
		return true;
	}
	case ARG_WBFLAGS: {
		unsigned int flags;
		char buf[16];

		if (!wbflags_parse(tok, n, &flags))
			return false;
		snprintf(buf, sizeof(buf), "%u", flags);
		return !flags || detail_add(out, "flags", buf, strlen(buf));
	}
	case ARG_DETAIL: {
		char hexbuf[40];

		if (cv->c != 's' && !parse_num(tok, n, cv, &num))
			return false;
		if (cv->c != 's' && num == 0)
			return true;	/* an absent key writes 0 */
		if (cv->c == 'x') {	/* kept as 0x..., so that it reads back as hex */
			snprintf(hexbuf, sizeof(hexbuf), "0x%" PRIx64, (uint64_t)num);
			return detail_add(out, arg + 2, hexbuf, strlen(hexbuf));
		}
		return detail_add(out, arg + 2, tok, n);
	}
	case ARG_TLBPAGES:
		if (!parse_num(tok, n, cv, &num))
			return false;
		ev->value = num;
		if (num > 0)
			ev->size = (uint64_t)num * 4096;
		return true;
	case ARG_REQNODE:
		if (!parse_num(tok, n, cv, &num))
			return false;
		if (num >= 0)
			ev->node = (int)num;
		return true;
	default:	/* a column */
		break;
	}
	if (!column_at(ev, (int)kind - ARG_COLUMN, &i32, &u64, &u32))
		return false;
	if (u32 && cv->c == 's')
		return ftrace_parse_gfp(tok, n, u32) == 0;
	if (!parse_num(tok, n, cv, &num))
		return false;
	if (i32 && num == MM_NA && !detail_add(out, arg, tok, n))	/* a real -1 (a whole zone) */
		return false;
	if (i32)
		*i32 = (int)num;
	else if (u32)
		*u32 = (uint32_t)num;
	else
		*u64 = (uint64_t)num;
	return true;
}

/* Read @fields (@len bytes) by @tp's format into @out. */
static bool parse_fields(const struct ftrace_tp *tp, const char *s, size_t len,
			 struct ftrace_line *out, char *why, size_t whylen)
{
	const char *p = tp->fmt, *end = s + len;
	size_t pos = 0, nconv = 0, t = (size_t)(tp - tracepoints);
	char argbuf[48];

	pthread_once(&conv_steps_once, conv_steps_build);
	while (*p) {
		struct conv cv;
		const char *lit, *tok = s, *arg;
		size_t litlen;
		enum arg_kind kind;

		if (*p != '%') {
			if (s >= end || *s != *p) {
				snprintf(why, whylen, "%s: expected '%c' at \"%.24s\"", tp->name, *p,
					 s < end ? s : "(end of line)");
				return false;
			}
			p++;
			s++;
			continue;
		}
		if (conv_steps_ok[t]) {
			const struct conv_step *st = &conv_steps[t][nconv++];

			cv = st->cv;
			arg = st->arg;
			kind = st->kind;
			p = st->after;
			litlen = st->litlen;
		} else {
			p = parse_conv(p + 1, &cv);
			next_arg(tp->args, &pos, argbuf, sizeof(argbuf));
			arg = argbuf;
			kind = arg_kind(arg);
			litlen = strcspn(p, "%");
		}
		lit = p;
		if (!litlen) {
			s = end;
		} else {
			const char *hit = NULL;

			for (const char *q = s; q + litlen <= end; q++) {
				q = memchr(q, lit[0], (size_t)(end - litlen + 1 - q));
				if (!q)
					break;
				if (!memcmp(q, lit, litlen)) {
					hit = q;
					break;
				}
			}
			if (!hit) {
				snprintf(why, whylen, "%s: no \"%.*s\" after \"%.24s\"", tp->name,
					 (int)litlen, lit, s);
				return false;
			}
			s = hit;
		}
		if (!store_arg(out, arg, kind, &cv, tok, (size_t)(s - tok))) {
			snprintf(why, whylen, "%s: bad value \"%.*s\" for %s", tp->name,
				 (int)(s - tok > 32 ? 32 : s - tok), tok, arg);
			return false;
		}
	}
	if (s < end) {
		snprintf(why, whylen, "%s: unexpected \"%.24s\" after the last field", tp->name, s);
		return false;
	}
	/* A failed allocation prints page=(null) pfn=0: no frame. */
	if (!strcmp(tp->name, "mm_page_alloc") && out->ev.pfn == 0 &&
	    (strstr(tp->fmt, "page=") && (memmem(end - len, len, "page=(null)", 11) ||
					  memmem(end - len, len, "page=0000000000000000 ", 22))))
		out->ev.pfn = MM_NA_U64;
	return true;
}

/* "CPU:N [LOST n EVENTS]" (trace, trace_pipe) or "CPU N: n events lost" styles. */
static bool parse_lost(const char *s, size_t len, struct ftrace_line *out)
{
	const char *l = NULL;
	unsigned long long n;
	int cpu = 0;

	for (const char *q = s, *end = s + len; q + 6 <= end; q++) {	/* memmem(), by the '[' */
		q = memchr(q, '[', (size_t)(end - 5 - q));
		if (!q)
			break;
		if (!memcmp(q, "[LOST ", 6)) {
			l = q;
			break;
		}
	}
	if (!l || !memmem(s, len, "EVENTS]", 7))
		return false;
	if (sscanf(l, "[LOST %llu EVENTS]", &n) != 1)
		return false;
	sscanf(s, " CPU:%d", &cpu);
	out->lost = true;
	out->ev.cpu = cpu;
	out->ev.value = (int64_t)n;
	return true;
}

/* atoi(@s), where @s starts with a digit: read here when it has few enough to fit. */
static int digits_atoi(const char *s)
{
	int v = 0, n;

	for (n = 0; n < 9 && (unsigned int)(s[n] - '0') < 10; n++)
		v = v * 10 + (s[n] - '0');
	return (unsigned int)(s[n] - '0') < 10 ? atoi(s) : v;
}

/*
 * The prefix: "TASK-PID [CPU] FLAGS SECS.USECS: " (trace, trace_pipe;
 * trace-cmd report has no flags), or perf script's "COMM PID [CPU] SECS.USECS: ".
 * Returns the text after the timestamp's ": ", or NULL.
 */
static const char *parse_prefix(const char *s, const char *end, struct ftrace_line *out)
{
	const char *lb = NULL, *rb, *who, *dash, *q;
	unsigned long secs = 0, frac = 0;
	int digits = 0;

	for (const char *q2 = s; q2 + 2 < end; q2++)
		if (q2[0] == ' ' && q2[1] == '[' && isdigit((unsigned char)q2[2])) {
			lb = q2 + 1;
			break;
		}
	if (!lb)
		return NULL;
	rb = memchr(lb, ']', (size_t)(end - lb));
	if (!rb)
		return NULL;
	out->ev.cpu = digits_atoi(lb + 1);
	for (who = s; who < lb && *who == ' '; who++)
		;
	q = lb - 1;
	while (q > who && q[-1] == ' ')
		q--;
	if (q > who && q[-1] == ')') {	/* "(TGID)" of record-tgid */
		const char *o = q - 1;

		while (o > who && *o != '(')
			o--;
		q = o;
		while (q > who && q[-1] == ' ')
			q--;
	}
	for (dash = q - 1; dash > who && isdigit((unsigned char)*dash); dash--)
		;
	if (dash <= who || (*dash != '-' && *dash != ' ') || dash + 1 >= q)
		return NULL;
	out->pid = digits_atoi(dash + 1);
	copy_text(out->task, sizeof(out->task), who, (size_t)(dash - who));
	s = rb + 1;
	while (s < end && *s == ' ')
		s++;
	/* flags (irqs-off, need-resched, hardirq, preempt, migrate), if any */
	q = s;
	while (q < end && *q != ' ' && *q != ':')
		q++;
	if (q < end && *q == ' ') {
		copy_text(out->flags, sizeof(out->flags), s, (size_t)(q - s));
		for (s = q; s < end && *s == ' '; s++)
			;
	}
	q = s;
	while (q < end && isdigit((unsigned char)*q))
		secs = secs * 10 + (unsigned long)(*q++ - '0');
	if (q == s || q >= end || *q != '.')
		return NULL;
	for (q++; q < end && isdigit((unsigned char)*q); q++, digits++)
		if (digits < 9)
			frac = frac * 10 + (unsigned long)(*q - '0');
	if (!digits || q + 1 >= end || q[0] != ':' || q[1] != ' ')
		return NULL;
	for (; digits < 9; digits++)
		frac *= 10;
	out->ts_ns = (uint64_t)secs * 1000000000ULL + frac;
	return q + 2;
}

enum ftrace_parse ftrace_parse_line(const char *line, size_t len, struct ftrace_line *out,
				    char *why, size_t whylen)
{
	const char *end = line + len, *s, *colon, *name;
	const struct ftrace_tp *tp;
	size_t nlen;

	/* all zero but the detail, a string (its 512 bytes cost more to clear than the rest) */
	memset(out, 0, offsetof(struct ftrace_line, detail));
	out->detail[0] = '\0';
	memset(out->detail + sizeof(out->detail), 0,
	       sizeof(*out) - offsetof(struct ftrace_line, detail) - sizeof(out->detail));
	mm_event_init(&out->ev, MM_EV_NONE);
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		end = line + --len;
	for (s = line; s < end && (*s == ' ' || *s == '\t'); s++)
		;
	if (s == end || *s == '#')
		return FTRACE_SKIP;
	if (memchr(line, '\0', len)) {
		snprintf(why, whylen, "a NUL byte: this is not a text trace");
		return FTRACE_BAD;
	}
	if (parse_lost(line, len, out))
		return FTRACE_EVENT;
	s = parse_prefix(line, end, out);
	if (!s) {
		snprintf(why, whylen, "not a trace line (TASK-PID [CPU] FLAGS TIMESTAMP: "
			 "tracepoint: fields): \"%.40s\"", line);
		return FTRACE_BAD;
	}
	colon = memchr(s, ':', (size_t)(end - s));
	if (!colon || colon == s) {
		snprintf(why, whylen, "no tracepoint name after the timestamp");
		return FTRACE_BAD;
	}
	name = s;
	nlen = (size_t)(colon - s);
	for (const char *c = name; c < colon; c++)	/* perf script: "kmem:mm_page_alloc:" */
		if (*c == ' ') {
			snprintf(why, whylen, "no tracepoint name after the timestamp");
			return FTRACE_BAD;
		}
	s = colon + 1;
	if (s < end && *s != ' ') {
		const char *c2 = memchr(s, ':', (size_t)(end - s));

		if (c2 && memchr(s, ' ', (size_t)(end - s)) > (void *)c2) {
			name = s;
			nlen = (size_t)(c2 - s);
			s = c2 + 1;
		}
	}
	while (s < end && *s == ' ')	/* trace-cmd pads the fields */
		s++;
	copy_text(out->tp_name, sizeof(out->tp_name), name, nlen);
	tp = ftrace_tp_by_name(name, nlen);
	if (!tp) {
		copy_text(out->detail, sizeof(out->detail), s, (size_t)(end - s));
		return FTRACE_EVENT;
	}
	if (!parse_fields(tp, s, (size_t)(end - s), out, why, whylen))
		return FTRACE_BAD;
	if (verbatim(tp)) {	/* the columns are filled: the detail is the text itself */
		if ((size_t)(end - s) >= sizeof(out->detail)) {
			snprintf(why, whylen, "%s: fields longer than %zu bytes", tp->name,
				 sizeof(out->detail) - 1);
			return FTRACE_BAD;
		}
		snprintf(out->detail, sizeof(out->detail), "%.*s", (int)(end - s), s);
	}
	out->ev.type = tp_engine_type(tp);
	if (!strcmp(tp->name, "mm_page_free_batched"))
		out->ev.order = 0;
	return FTRACE_EVENT;
}
