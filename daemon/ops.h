/*
 * ops.h - operations on a machine, from their JSON form (api.md "Operations").
 * Shared by the live API and by replay, so a stored op log re-executes exactly.
 */
#ifndef MMLAB_OPS_H
#define MMLAB_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "mmlab.h"

#define OPS_MAX_PER_REQUEST	10000

/* One op being applied: its handler reads c->op and sets c->result (an ok
 * result object) or returns a negative errno with c->e filled. */
struct op_ctx {
	struct machine *m;
	json_t *op;
	json_t *result;
	struct mm_error e;
};

typedef int (*op_fn)(struct op_ctx *c);

struct op_def {
	const char *name;
	const char *const *fields;	/* allowed fields besides "op", NULL-terminated */
	op_fn fn;
};

/* -EINVAL with a message: a bad field. */
int op_bad(struct op_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An unsigned integer field within [0, max]; @def when absent and not @required. */
int op_field_u64(struct op_ctx *c, const char *key, bool required, uint64_t def,
		 uint64_t max, uint64_t *out);
int op_field_str(struct op_ctx *c, const char *key, bool required, const char *def,
		 const char **out);
/* An address: a hex string "0x..." (or a non-negative integer). */
int op_field_addr(struct op_ctx *c, const char *key, bool required, uint64_t def,
		  uint64_t *out);
/* "cpu" (default 0) within the machine's CPUs. */
int op_field_cpu(struct op_ctx *c, uint64_t *cpu);

/* A refused allocation's "slowpath", "kernel_fails" and "would" fields (ops.c). */
void slowpath_json_add(json_t *result, const struct mm_slowpath *sp);

/* Op families defined outside ops.c. */
extern const struct op_def workload_ops[];
extern const struct op_def slab_ops[];
/* ops_mmu.c: paging, the MMU, processes; and a translation as JSON (api_mmu.c). */
extern const struct op_def mmu_ops[];
/* ops_pagecache.c: files, the page cache, fork. */
extern const struct op_def pagecache_ops[];
json_t *mmu_translation_json(const struct mm_translation *t);
/* ops_oom.c: the OOM killer's and memory cgroups' ops, and spawn's options for them
 * (checked before the spawn, applied to the new @pid after it). */
extern const struct op_def oom_ops[];
/* ops_compaction.c: compact_memory, migrate_pages, alloc_contig_range, sysctl. */
extern const struct op_def compaction_ops[];
int op_spawn_check_options(struct op_ctx *c);
int op_spawn_options(struct op_ctx *c, int pid);

/*
 * Apply one op object to @m and return its result: {"ok":true,...} or
 * {"ok":false,"errno":"EINVAL","message":...}. Bad fields are an EINVAL
 * result, never a change to the machine.
 */
json_t *op_apply(struct machine *m, json_t *op);

/* "is this an op object at all": an object with a string "op". */
int op_validate_shape(json_t *op, char *err, size_t errlen);

#endif
