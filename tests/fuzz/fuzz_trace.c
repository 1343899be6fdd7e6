/*
 * fuzz_trace.c - libFuzzer target for ftrace_parse_line(), the reader of each
 * line of a kernel trace that POST /api/v1/sessions/import-trace takes from
 * the network (the text of /sys/kernel/tracing/trace, trace_pipe, trace-cmd
 * report or perf script, in the layouts of include/trace/events/ of 6.18).
 *
 * The input is split into lines as the importer splits its stream. Every line
 * must be read as an event, skipped, or refused with a reason. A line read as
 * an event of a tracepoint of the table is written again by its format
 * (ftrace_write_fields(), as the export of an imported session does) and read
 * back: it must parse again, to the same tracepoint and the same typed
 * columns (pfn, order, migratetype, gfp, size, value, ...).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ftrace.h"

#define MAX_LINE 4096	/* TRACE_MAX_LINE of the importer */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const char *what, int64_t a, int64_t b, const char *line, const char *again)
{
	if (a == b)
		return;
	fprintf(stderr, "%s differs (%lld, then %lld)\nline:  %s\nagain: %s\n", what, (long long)a,
		(long long)b, line, again);
	abort();
}

/* Write @l's fields again by its format, read them back, and compare. */
static void round_trip(const struct ftrace_line *l, const char *line)
{
	const struct ftrace_tp *tp = ftrace_tp_by_name(l->tp_name, strlen(l->tp_name));
	struct ftrace_out o = { .ev = l->ev, .trace = true };
	struct ftrace_line *back;
	char *text = NULL, why[200];
	size_t len = 0;
	FILE *f;

	if (!tp || !l->ev.type)
		return;
	o.ev.detail = l->detail[0] ? l->detail : NULL;
	f = open_memstream(&text, &len);
	if (!f)
		return;
	fprintf(f, "t-1 [000] ..... 1.000000: %s: ", tp->name);	/* the fields are what is checked */
	ftrace_write_fields(f, tp, &o);
	fclose(f);
	back = malloc(sizeof(*back));
	if (!back) {
		free(text);
		return;
	}
	if (ftrace_parse_line(text, len, back, why, sizeof(why)) != FTRACE_EVENT) {
		fprintf(stderr, "written again, not read back (%s)\nline:  %s\nagain: %s\n", why, line,
			text);
		abort();
	}
	if (strcmp(back->tp_name, l->tp_name)) {
		fprintf(stderr, "tracepoint %s read back as %s\nline: %s\n", l->tp_name, back->tp_name,
			line);
		abort();
	}
	same("type", l->ev.type, back->ev.type, line, text);
	same("pfn", (int64_t)l->ev.pfn, (int64_t)back->ev.pfn, line, text);
	same("order", l->ev.order, back->ev.order, line, text);
	same("migratetype", l->ev.migratetype, back->ev.migratetype, line, text);
	same("gfp", l->ev.gfp, back->ev.gfp, line, text);
	same("size", (int64_t)l->ev.size, (int64_t)back->ev.size, line, text);
	same("value", l->ev.value, back->ev.value, line, text);
	same("vaddr", (int64_t)l->ev.vaddr, (int64_t)back->ev.vaddr, line, text);
	same("level", l->ev.level, back->ev.level, line, text);
	same("node", l->ev.node, back->ev.node, line, text);
	same("zone", l->ev.zone, back->ev.zone, line, text);
	free(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ftrace_line *l = malloc(sizeof(*l));
	char *line = malloc(MAX_LINE + 1), why[200];

	if (!l || !line)
		goto out;
	while (size) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) : size;
		enum ftrace_parse r;

		if (n <= MAX_LINE) {	/* longer lines are refused before parsing */
			memcpy(line, data, n);
			line[n] = '\0';
			why[0] = '\0';
			r = ftrace_parse_line(line, n, l, why, sizeof(why));
			if (r == FTRACE_BAD && !why[0]) {
				fprintf(stderr, "refused without a reason: %s\n", line);
				abort();
			}
			if (r == FTRACE_EVENT && !l->lost)
				round_trip(l, line);
		}
		data += nl ? n + 1 : n;
		size -= nl ? n + 1 : n;
	}
out:
	free(l);
	free(line);
	return 0;
}
