/*
 * ops_compaction.c - the ops of compaction and page migration: a write to
 * /proc/sys/vm/compact_memory (or a node's "compact" file), move_pages(2)
 * of one page, alloc_contig_range() and its undo, and the vm sysctls: those
 * that steer compaction (vm.compaction_proactiveness, vm.extfrag_threshold,
 * vm.compact_unevictable_allowed) and reclaim's vm.swappiness.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "daemon/ops.h"

/* compact_memory: every zone of @node (absent: every node) compacted whole. */
static int op_compact_memory(struct op_ctx *c)
{
	uint64_t node, cpu;
	bool all = !json_object_get(c->op, "node");

	if (op_field_u64(c, "node", false, 0, machine_nr_nodes(c->m) - 1, &node) ||
	    op_field_cpu(c, &cpu))
		return c->e.err;
	return mm_compact_memory(c->m, all ? -1 : (int)node, (int)cpu, &c->e);
}

/* migrate_pages: the folio at @pfn to another frame of its node; the result names it. */
static int op_migrate_pages(struct op_ctx *c)
{
	uint64_t pfn, cpu, new_pfn = 0;
	int err;

	if (op_field_u64(c, "pfn", true, 0, UINT32_MAX, &pfn) || op_field_cpu(c, &cpu))
		return c->e.err;
	err = mm_migrate_pages(c->m, pfn, (int)cpu, &new_pfn, &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:I,s:I}", "ok", 1, "old_pfn", (json_int_t)pfn, "new_pfn",
			      (json_int_t)new_pfn);
	return 0;
}

/* sysctl: {"name":"vm.compaction_proactiveness","value":N}; the result has the old value. */
static int op_sysctl(struct op_ctx *c)
{
	const char *name;
	json_t *v = json_object_get(c->op, "value");
	long old;
	int err;

	if (op_field_str(c, "name", true, NULL, &name))
		return c->e.err;
	if (strncmp(name, "vm.", 3) || mm_sysctl_vm_get(c->m, name + 3, &old))
		return op_bad(c, "no sysctl %s (vm.compaction_proactiveness, vm.extfrag_threshold, "
			      "vm.compact_unevictable_allowed, vm.swappiness)", name);
	if (!v) {
		c->result = json_pack("{s:b,s:s,s:I}", "ok", 1, "name", name, "value",
				      (json_int_t)old);
		return 0;
	}
	if (!json_is_integer(v))
		return op_bad(c, "value must be an integer");
	err = mm_sysctl_vm_set(c->m, name + 3, (long)json_integer_value(v), &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:s,s:I,s:I}", "ok", 1, "name", name, "value",
			      json_integer_value(v), "old_value", (json_int_t)old);
	return 0;
}

/*
 * alloc_contig_range: [start_pfn, start_pfn + nr_pages) taken whole; without
 * start_pfn the range is searched for (alloc_contig_pages() on @node).
 */
static int op_alloc_contig_range(struct op_ctx *c)
{
	uint64_t start, nr, node, cpu;
	bool search = !json_object_get(c->op, "start_pfn");
	int err;

	if (op_field_u64(c, "start_pfn", false, 0, UINT32_MAX, &start) ||
	    op_field_u64(c, "nr_pages", true, 0, UINT32_MAX, &nr) ||
	    op_field_u64(c, "node", false, 0, machine_nr_nodes(c->m) - 1, &node) ||
	    op_field_cpu(c, &cpu))
		return c->e.err;
	if (!search && json_object_get(c->op, "node"))
		return op_bad(c, "node goes with a search (no start_pfn): a range is in its own node");
	err = search ? mm_alloc_contig_pages(c->m, nr, (int)node, (int)cpu, &start, &c->e) :
		       mm_alloc_contig_range(c->m, start, nr, (int)cpu, &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:I,s:I}", "ok", 1, "start_pfn", (json_int_t)start,
			      "nr_pages", (json_int_t)nr);
	return 0;
}

/* free_contig_range: a range alloc_contig_range handed out, back page by page. */
static int op_free_contig_range(struct op_ctx *c)
{
	uint64_t start, nr, cpu;

	if (op_field_u64(c, "start_pfn", true, 0, UINT32_MAX, &start) ||
	    op_field_u64(c, "nr_pages", true, 0, UINT32_MAX, &nr) || op_field_cpu(c, &cpu))
		return c->e.err;
	return mm_free_contig_range(c->m, start, nr, (int)cpu, &c->e);
}

static const char *const compact_memory_fields[] = { "node", "cpu", NULL };
static const char *const migrate_pages_fields[] = { "pfn", "cpu", NULL };
static const char *const sysctl_fields[] = { "name", "value", NULL };
static const char *const alloc_contig_fields[] = { "start_pfn", "nr_pages", "node", "cpu", NULL };
static const char *const free_contig_fields[] = { "start_pfn", "nr_pages", "cpu", NULL };

const struct op_def compaction_ops[] = {
	{ "compact_memory", compact_memory_fields, op_compact_memory },
	{ "migrate_pages", migrate_pages_fields, op_migrate_pages },
	{ "alloc_contig_range", alloc_contig_fields, op_alloc_contig_range },
	{ "free_contig_range", free_contig_fields, op_free_contig_range },
	{ "sysctl", sysctl_fields, op_sysctl },
	{ NULL, NULL, NULL },
};
