/*
 * ops_pagecache.c - the ops of files and the page cache, and fork:
 * create_file, read_file, write_file, fsync, drop_caches, fork
 * (api.md "Operations"). Each reads its fields, calls the engine, and
 * answers what the engine did.
 */
#include <inttypes.h>
#include <string.h>

#include "ops.h"

#define FILE_MAX_BYTES	(16ULL << 30)

/* "pid": 0 (none) or a process. */
static int field_pid0(struct op_ctx *c, int *pid)
{
	uint64_t v;

	if (op_field_u64(c, "pid", false, 0, INT32_MAX, &v))
		return c->e.err;
	*pid = (int)v;
	return 0;
}

static int op_create_file(struct op_ctx *c)
{
	const char *name;
	uint64_t size;

	if (op_field_str(c, "name", true, NULL, &name) ||
	    op_field_u64(c, "size", false, 0, FILE_MAX_BYTES, &size))
		return c->e.err;
	if (mm_create_file(c->m, name, size, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:s,s:I}", "ok", 1, "name", name, "size", (json_int_t)size);
	return 0;
}

/* read_file and write_file: {pid, name, offset, length}. */
static int op_file_io(struct op_ctx *c, bool write)
{
	struct mm_file_io io;
	uint64_t offset, length;
	const char *name;
	int pid = 0, err;

	if (field_pid0(c, &pid) || op_field_str(c, "name", true, NULL, &name) ||
	    op_field_u64(c, "offset", false, 0, FILE_MAX_BYTES, &offset) ||
	    op_field_u64(c, "length", true, 0, FILE_MAX_BYTES, &length))
		return c->e.err;
	err = write ? mm_write_file(c->m, pid, name, offset, length, &io, &c->e) :
		      mm_read_file(c->m, pid, name, offset, length, &io, &c->e);
	if (err)
		return c->e.err;
	c->result = json_pack("{s:b,s:I,s:I,s:I}", "ok", 1, "bytes", (json_int_t)io.bytes,
			      "pages", (json_int_t)io.pages, "pages_read", (json_int_t)io.pages_read);
	return 0;
}

static int op_read_file(struct op_ctx *c)
{
	return op_file_io(c, false);
}

static int op_write_file(struct op_ctx *c)
{
	return op_file_io(c, true);
}

static int op_fsync(struct op_ctx *c)
{
	const char *name;
	uint64_t written;

	if (op_field_str(c, "name", true, NULL, &name))
		return c->e.err;
	if (mm_fsync(c->m, name, &written, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:I}", "ok", 1, "written", (json_int_t)written);
	return 0;
}

static int op_drop_caches(struct op_ctx *c)
{
	struct mm_drop_caches_result r;
	uint64_t mode;

	if (op_field_u64(c, "mode", true, 0, 3, &mode))
		return c->e.err;
	if (mode < 1)
		return op_bad(c, "mode must be 1 (page cache), 2 (slab) or 3 (both)");
	if (mm_drop_caches(c->m, (int)mode, &r, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:I,s:I}", "ok", 1, "pages", (json_int_t)r.pages,
			      "objects", (json_int_t)r.objects);
	return 0;
}

static int op_fork(struct op_ctx *c)
{
	uint64_t pid;
	int child;

	if (op_field_u64(c, "pid", true, 0, INT32_MAX, &pid))
		return c->e.err;
	if (!pid)
		return op_bad(c, "pid must be a process id (a positive integer)");
	if (mm_fork(c->m, (int)pid, &child, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:i}", "ok", 1, "pid", child);
	return 0;
}

static const char *const create_file_fields[] = { "name", "size", NULL };
static const char *const file_io_fields[] = { "pid", "name", "offset", "length", NULL };
static const char *const name_fields[] = { "name", NULL };
static const char *const mode_fields[] = { "mode", NULL };
static const char *const fork_fields[] = { "pid", NULL };

const struct op_def pagecache_ops[] = {
	{ "create_file", create_file_fields, op_create_file },
	{ "read_file", file_io_fields, op_read_file },
	{ "write_file", file_io_fields, op_write_file },
	{ "fsync", name_fields, op_fsync },
	{ "drop_caches", mode_fields, op_drop_caches },
	{ "fork", fork_fields, op_fork },
	{ NULL, NULL, NULL },
};
