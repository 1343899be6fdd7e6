/*
 * test_ftrace.c - the kernel's trace text (daemon/ftrace.c): every line of
 * the real captures in tests/data/ftrace/ parses, and writing a parsed line
 * of a tracepoint of the table gives the line's fields back, byte for
 * byte; padded, NULL-page, LOST, trace-cmd and perf script lines; and the
 * malformed ones are refused with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ftrace.h"

static enum ftrace_parse parse(const char *line, struct ftrace_line *l, char *why)
{
	return ftrace_parse_line(line, strlen(line), l, why, 200);
}

/* The fields of @l written again, in its tracepoint's layout. */
static void rewrite(const struct ftrace_line *l, char *buf, size_t size)
{
	const struct ftrace_tp *tp = ftrace_tp_by_name(l->tp_name, strlen(l->tp_name));
	struct ftrace_out o = { .ev = l->ev, .trace = true };
	FILE *f = fmemopen(buf, size, "w");

	assert_non_null(tp);
	assert_non_null(f);
	o.ev.detail = l->detail;
	ftrace_write_fields(f, tp, &o);
	fclose(f);
}

/* Every line of the captures parses; those of page and object tracepoints write back the same. */
static void test_real_captures(void **state)
{
	static const char *const files[] = { "compile-kmem.trace", "compact-memory.trace",
					     "memcg-oom.trace" };
	unsigned int rewritten = 0;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char path[512], line[4096], why[200], again[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/ftrace/%s", MMLAB_TEST_DATA, files[i]);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			struct ftrace_line l;
			enum ftrace_parse r;
			const char *fields;

			line[strcspn(line, "\n")] = '\0';
			r = parse(line, &l, why);
			if (line[0] == '#') {
				assert_int_equal(r, FTRACE_SKIP);
				continue;
			}
			if (r != FTRACE_EVENT)
				fail_msg("%s: %s: %s", files[i], why, line);
			/* every line of a tracepoint in the table */
			if (!ftrace_tp_by_name(l.tp_name, strlen(l.tp_name)))
				continue;
			fields = strstr(line, l.tp_name) + strlen(l.tp_name) + 2;
			rewrite(&l, again, sizeof(again));
			/* page=%p is hashed in a trace: compare from pfn= on */
			if (!strncmp(fields, "page=", 5)) {
				fields = strstr(fields, " pfn=");
				memmove(again, strstr(again, " pfn="), strlen(strstr(again, " pfn=")) + 1);
			}
			assert_string_equal(again, fields);
			rewritten++;
		}
		fclose(f);
	}
	assert_true(rewritten > 300);
}

static void test_prefixes(void **state)
{
	struct ftrace_line l;
	char why[200];

	(void)state;
	/* the trace file, with flags */
	assert_int_equal(parse("              sh-12573   [001] ..... 11558.721544: mm_compaction_finished: "
			       "node=0 zone=DMA      order=-1 ret=continue", &l, why), FTRACE_EVENT);
	assert_string_equal(l.task, "sh");
	assert_int_equal(l.pid, 12573);
	assert_int_equal(l.ev.cpu, 1);
	assert_int_equal(l.ts_ns, 11558721544000ULL);
	assert_int_equal(l.ev.order, -1);
	/* a compaction line keeps its fields' text as the detail, padding and all */
	assert_string_equal(l.detail, "node=0 zone=DMA      order=-1 ret=continue");
	/* and fills the columns: the zone by name, the result as enum compact_result */
	assert_int_equal(l.ev.zone, 0);
	assert_int_equal(l.ev.node, 0);
	assert_int_equal(l.ev.value, 4);	/* COMPACT_CONTINUE */
	/* a task name with a dash and a space */
	assert_int_equal(parse(" kworker/u4:2-x y-77 [000] d..1. 1.000001: kfree: call_site=a+0x1/0x2 "
			       "ptr=00000000deadbeef", &l, why), FTRACE_EVENT);
	assert_string_equal(l.task, "kworker/u4:2-x y");
	assert_int_equal(l.pid, 77);
	assert_int_equal(l.ev.vaddr, 0xdeadbeef);
	/* a failed allocation: no page, pfn 0 */
	assert_int_equal(parse("a-1 [000] ..... 1.5: mm_page_alloc: page=0000000000000000 pfn=0x0 order=9 "
			       "migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT", &l, why), FTRACE_EVENT);
	assert_true(l.ev.pfn == MM_NA_U64);
	assert_int_equal(l.ts_ns, 1500000000ULL);
	/* gfp names the engine does not model, and none */
	assert_int_equal(parse("a-1 [000] ..... 1.5: kmalloc: call_site=f+0x0/0x1 ptr=0000000000000010 "
			       "bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL|__GFP_NO_OBJ_EXT node=-1 "
			       "accounted=false", &l, why), FTRACE_EVENT);
	assert_int_equal(l.ev.gfp, 0xcc0 | 0x1000000);
	assert_int_equal(l.ev.node, MM_NA);
	/* filemap: "%d:%d", and a hex field with no 0x, written back as it came */
	{
		char again[256];

		assert_int_equal(parse("cat-1 [000] ..... 1.000001: mm_filemap_add_to_page_cache: dev 259:1 "
				       "ino 1f pfn=0x1234 ofs=4096 order=0", &l, why), FTRACE_EVENT);
		assert_int_equal(l.ev.pfn, 0x1234);
		rewrite(&l, again, sizeof(again));
		assert_string_equal(again, "dev 259:1 ino 1f pfn=0x1234 ofs=4096 order=0");
	}
	/* LOST */
	assert_int_equal(parse("CPU:1 [LOST 1234 EVENTS]", &l, why), FTRACE_EVENT);
	assert_true(l.lost);
	assert_int_equal(l.ev.value, 1234);
	assert_int_equal(l.ev.cpu, 1);
	/* an unknown tracepoint keeps its text */
	assert_int_equal(parse("a-1 [000] ..... 2.0: sched_wakeup: comm=x pid=2", &l, why), FTRACE_EVENT);
	assert_string_equal(l.tp_name, "sched_wakeup");
	assert_int_equal(l.ev.type, MM_EV_NONE);
	assert_string_equal(l.detail, "comm=x pid=2");
}

static void test_malformed(void **state)
{
	struct ftrace_line l;
	char why[200];

	(void)state;
	assert_int_equal(parse("   ", &l, why), FTRACE_SKIP);
	assert_int_equal(parse("hello world", &l, why), FTRACE_BAD);
	assert_non_null(strstr(why, "not a trace line"));
	/* cut in the middle of the fields */
	assert_int_equal(parse("a-1 [000] ..... 1.5: mm_page_alloc: page=0000000012345678 pfn=0x1234 ord",
			       &l, why), FTRACE_BAD);
	assert_non_null(strstr(why, "mm_page_alloc"));
	/* a field that is not a number */
	assert_int_equal(parse("a-1 [000] ..... 1.5: mm_page_free: page=0000000012345678 pfn=0xZZ order=0",
			       &l, why), FTRACE_BAD);
	assert_non_null(strstr(why, "pfn"));
	/* trailing text */
	assert_int_equal(parse("a-1 [000] ..... 1.5: mm_page_free: page=0000000012345678 pfn=0x12 order=0 x",
			       &l, why), FTRACE_BAD);
	/* an unknown gfp flag */
	assert_int_equal(parse("a-1 [000] ..... 1.5: mm_vmscan_memcg_reclaim_begin: order=0 "
			       "gfp_flags=GFP_NONSENSE", &l, why), FTRACE_BAD);
	/* a NUL byte */
	assert_int_equal(ftrace_parse_line("a-1 [000]\0 x", 12, &l, why, sizeof(why)), FTRACE_BAD);
	/* an unsigned field (%zu) with a sign */
	assert_int_equal(parse("a-1 [000] ..... 1.5: kmalloc: call_site=x+0x1/0x2 ptr=0000000012345678 "
			       "bytes_req=-1 bytes_alloc=16 gfp_flags=GFP_KERNEL node=-1 accounted=false",
			       &l, why), FTRACE_BAD);
	assert_non_null(strstr(why, "bad value \"-1\" for size"));
	assert_int_equal(parse("a-1 [000] ..... 1.5: kmalloc: call_site=x+0x1/0x2 ptr=0000000012345678 "
			       "bytes_req=8 bytes_alloc=16 gfp_flags=GFP_KERNEL node=-1 accounted=false",
			       &l, why), FTRACE_EVENT);
	/* a number after a space */
	assert_int_equal(parse("a-1 [000] ..... 1.5: mm_page_alloc: page=0000000012345678 pfn=0x12 order=0 "
			       "migratetype= -1 gfp_flags=GFP_KERNEL", &l, why), FTRACE_BAD);
	assert_int_equal(parse("a-1 [000] ..... 1.5: mm_page_alloc: page=0000000012345678 pfn=0x12 order=0 "
			       "migratetype=-1 gfp_flags=GFP_KERNEL", &l, why), FTRACE_EVENT);
	/* a call site of spaces; accounted neither true nor false */
	assert_int_equal(parse("a-1 [000] ..... 1.5: kmalloc: call_site=          ptr=0000000012345678 "
			       "bytes_req=8 bytes_alloc=16 gfp_flags=GFP_KERNEL node=-1 accounted=false",
			       &l, why), FTRACE_BAD);
	assert_int_equal(parse("a-1 [000] ..... 1.5: kmalloc: call_site=x+0x1/0x2 ptr=0000000012345678 "
			       "bytes_req=8 bytes_alloc=16 gfp_flags=GFP_KERNEL node=-1 accounted= e",
			       &l, why), FTRACE_BAD);
	/* tlb_flush names one of TLB_FLUSH_REASON's six reasons, with its own number */
	assert_int_equal(parse("a-1 [000] ..... 1.5: tlb_flush: pages:1 reason:remote IPI send (4)",
			       &l, why), FTRACE_EVENT);
	assert_int_equal(parse("a-1 [000] ..... 1.5: tlb_flush: pages:1 reason:remote IPI send (3)",
			       &l, why), FTRACE_BAD);
	assert_non_null(strstr(why, "tlb_flush"));
	assert_int_equal(parse("a-1 [000] ..... 1.5: tlb_flush: pages:1 reason:remote x: y (3)",
			       &l, why), FTRACE_BAD);
	assert_int_equal(parse("a-1 [000] ..... 1.5: tlb_flush: pages:1 reason:remote IPI0] ..... "
			       "1.000000: mm_(null)p_fault: x (3)", &l, why), FTRACE_BAD);
}

/*
 * The reclaim tracepoints: the kernel's lines read into columns and a short
 * detail (zero counts left out, reclaim flags as a number), and written back
 * the same; an engine event is written in the same layout.
 */
static void test_vmscan_lines(void **state)
{
	static const char *const lines[] = {
		"mm_vmscan_lru_shrink_inactive: nid=0 nr_scanned=32 nr_reclaimed=30 nr_dirty=2 "
		"nr_writeback=0 nr_congested=0 nr_immediate=0 nr_activate_anon=0 nr_activate_file=1 "
		"nr_ref_keep=1 nr_unmap_fail=0 priority=10 flags=RECLAIM_WB_FILE|RECLAIM_WB_ASYNC",
		"mm_vmscan_lru_shrink_active: nid=0 nr_taken=32 nr_active=3 nr_deactivated=29 "
		"nr_referenced=3 priority=12 flags=RECLAIM_WB_ANON|RECLAIM_WB_ASYNC",
		"mm_vmscan_lru_isolate: classzone=3 order=0 nr_requested=32 nr_scanned=40 nr_skipped=8 "
		"nr_taken=32 lru=inactive_file",
		"mm_vmscan_write_folio: page=ffffea0000244d80 pfn=0x9136 flags=RECLAIM_WB_ANON|RECLAIM_WB_ASYNC",
		"mm_shrink_slab_start: super_cache_scan+0x0/0x1a0 00000000c0ffee11: nid: 0 objects to "
		"shrink 0 gfp_flags GFP_KERNEL cache items 812 delta 3 total_scan 3 priority 12",
		"mm_shrink_slab_end: super_cache_scan+0x0/0x1a0 00000000c0ffee11: nid: 0 unused scan count "
		"0 new scan count 3 total_scan 3 last shrinker return val 0",
	};
	struct ftrace_line l;
	char why[200], line[512], again[512];

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(line, sizeof(line), "kswapd0-70 [000] ..... 1.000001: %s", lines[i]);
		assert_int_equal(parse(line, &l, why), FTRACE_EVENT);
		assert_true(strlen(l.detail) < 80);	/* as short as the engine's own detail */
		rewrite(&l, again, sizeof(again));
		assert_string_equal(again, strchr(lines[i], ' ') + 1);
	}
	assert_int_equal(parse("k-1 [000] ..... 1.0: mm_vmscan_lru_shrink_inactive: nid=0 nr_scanned=32 "
			       "nr_reclaimed=30 nr_dirty=2 nr_writeback=0 nr_congested=0 nr_immediate=0 "
			       "nr_activate_anon=0 nr_activate_file=1 nr_ref_keep=1 nr_unmap_fail=0 "
			       "priority=10 flags=RECLAIM_WB_FILE|RECLAIM_WB_ASYNC", &l, why), FTRACE_EVENT);
	assert_int_equal(l.ev.type, MM_EV_mm_vmscan_lru_shrink_inactive);
	assert_int_equal(l.ev.size, 32);
	assert_int_equal(l.ev.value, 30);
	assert_int_equal(l.ev.level, 10);
	assert_string_equal(l.detail, "nr_dirty=2 nr_activate_file=1 nr_ref_keep=1 flags=10");
	assert_int_equal(parse("k-1 [000] ..... 1.0: mm_vmscan_write_folio: page=0 pfn=0x1 flags=RECLAIM_WB_BOGUS",
			       &l, why), FTRACE_BAD);
	/* an engine event: the shrinker's scan function, FNV-1a of its name as the pointer */
	{
		struct ftrace_out o = { .op = "read_file" };
		char buf[256];
		FILE *f = fmemopen(buf, sizeof(buf), "w");

		mm_event_init(&o.ev, MM_EV_mm_shrink_slab_end);
		o.ev.node = 0;
		o.ev.value = 7;
		o.ev.size = 1;
		o.ev.detail = "shrinker=sb-mmlabfs scan=super_cache_scan";
		ftrace_write_fields(f, ftrace_tp_for_engine(o.ev.type), &o);
		fclose(f);
		assert_string_equal(buf, "super_cache_scan+0x0/0x0 000000002426660b: nid: 0 unused scan "
				    "count 0 new scan count 0 total_scan 1 last shrinker return val 7");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_captures),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_vmscan_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
