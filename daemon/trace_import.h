/*
 * trace_import.h - a real kernel's trace read as it is uploaded, line by
 * line, into a trace session (never whole in memory).
 */
#ifndef MMLAB_TRACE_IMPORT_H
#define MMLAB_TRACE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct server;
struct trace_import;

#define TRACE_MAX_BYTES		((uint64_t)1 << 30)	/* an uploaded trace */
#define TRACE_MAX_EVENTS	20000000u		/* events of one trace session */
#define TRACE_MAX_LINE		4096u			/* bytes of one line */

/* Begin an import into a new session named @name; @lenient counts bad lines instead of failing. */
struct trace_import *trace_import_begin(struct server *srv, const char *name, bool lenient);
/* The next @len bytes of the upload (text or a tar bundle). */
void trace_import_feed(struct trace_import *ti, const char *data, size_t len);
/*
 * Finish: the session's id and summary (201), or an HTTP status and an
 * error. Frees @ti. A failed import leaves no session behind.
 */
int trace_import_end(struct trace_import *ti, json_t **result, unsigned int *status,
		     char *code, size_t codelen, char *msg, size_t msglen);
/* Drop an import whose request ended early. */
void trace_import_abort(struct trace_import *ti);

#endif
