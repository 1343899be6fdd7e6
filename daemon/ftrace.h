/*
 * ftrace.h - the kernel's trace text (/sys/kernel/tracing/trace): the table of
 * tracepoints mmlab writes and reads, one line written from an event and one
 * line read into an event.
 *
 * The layouts are the print formats of Linux 6.18's tracepoints
 * (include/trace/events/kmem.h, tlb.h, vmscan.h, compaction.h, oom.h,
 * migrate.h), as /sys/kernel/tracing/events/GROUP/NAME/format prints them.
 */
#ifndef MMLAB_FTRACE_H
#define MMLAB_FTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmlab.h"

/*
 * One tracepoint: its name and group, the engine event that it is (NULL when
 * the engine has none yet: such a tracepoint is read, never written), the
 * kernel's print format, and where each of its conversions goes (see
 * ftrace.c's table for the argument names).
 */
struct ftrace_tp {
	const char *name;
	const char *group;
	const char *engine;
	const char *fmt;
	const char *args;
};

/* The table, and a tracepoint by name or by the engine event it writes. */
const struct ftrace_tp *ftrace_tracepoints(size_t *n);
const struct ftrace_tp *ftrace_tp_by_name(const char *name, size_t len);
const struct ftrace_tp *ftrace_tp_for_engine(int type);

/*
 * Event types of a trace session that are not engine events (an unknown or
 * not yet modelled tracepoint) take ids from here up in event_types.
 */
#define FTRACE_TYPE_BASE 10000

/*
 * Names of all event types, the engine's and those of FTRACE_TYPE_BASE and
 * up (registered when a trace is imported, and from event_types at start).
 */
void ftrace_type_register(int type, const char *name);
const char *ftrace_event_type_name(int type);
int ftrace_event_type_from_name(const char *name);

/* The header of /sys/kernel/tracing/trace (nop tracer), @cpus CPUs. */
void ftrace_write_header(FILE *f, uint64_t entries, unsigned int cpus);

/* An event to write: the typed columns, the detail, the op that caused it. */
struct ftrace_out {
	struct mm_event ev;
	uint64_t seq;		/* its time: seq microseconds */
	uint64_t op_no;
	const char *op;		/* the op's name (task name, call site) */
	bool trace;		/* an event read from a real trace: its fields are its own */
};

/* Write @o as one trace line when the table has its engine type: true if written. */
bool ftrace_write_event(FILE *f, const struct ftrace_out *o);
/* Only the fields of @o, in @tp's layout (an imported event's text again). */
void ftrace_write_fields(FILE *f, const struct ftrace_tp *tp, const struct ftrace_out *o);

/* One line read: the event, and the task, pid, CPU and time it carries. */
struct ftrace_line {
	struct mm_event ev;	/* ev.type 0: an unknown tracepoint, named in tp_name */
	char task[32];
	char flags[8];		/* "d..1." of the trace file; "" when the form has none */
	int pid;
	uint64_t ts_ns;
	char tp_name[64];
	char detail[512];	/* key=value pairs of the fields with no column */
	bool lost;		/* a "CPU:N [LOST n EVENTS]" line: n in ev.value */
};

enum ftrace_parse {
	FTRACE_EVENT,		/* @out holds an event */
	FTRACE_SKIP,		/* a comment or an empty line */
	FTRACE_BAD,		/* malformed: @why says how */
};

/*
 * Parse one line (no newline) of the trace file, trace_pipe, `trace-cmd
 * report` or `perf script` text of these tracepoints.
 */
enum ftrace_parse ftrace_parse_line(const char *line, size_t len, struct ftrace_line *out,
				    char *why, size_t whylen);

/* gfp_flags as tracepoints print them (names, "|", a leftover "0x..", "none"). */
int ftrace_parse_gfp(const char *s, size_t len, gfp_t *gfp);

#endif
