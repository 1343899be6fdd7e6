/*
 * ops_mmu.c - the ops of address spaces, the MMU and paging (engine.md
 * sections 6 and 7): translate, access_range, tlb_flush, load_cr3, the
 * process ops, boot, paging, boot_cpu, virt_to_phys and phys_to_virt.
 *
 * A fault, a SIGSEGV or a triple fault is what the op shows: an ok result
 * that says so. Only bad fields and what the simulated kernel refuses
 * (ESRCH for an unknown pid, EALREADY, ENOMEM, EFAULT from __pa) fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon/ops.h"

static json_t *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

/* A pid field: a positive number, or "kernel" when @allow_kernel. */
static int op_field_pid(struct op_ctx *c, const char *key, bool required, bool allow_kernel,
			int def, int *pid)
{
	json_t *v = json_object_get(c->op, key);

	if (!v) {
		if (required)
			return op_bad(c, "%s is required", key);
		*pid = def;
		return 0;
	}
	if (allow_kernel && json_is_string(v) && strcmp(json_string_value(v), "kernel") == 0) {
		*pid = MM_PID_KERNEL;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > INT32_MAX)
		return op_bad(c, "%s must be a process id (a positive integer)%s", key,
			      allow_kernel ? " or \"kernel\"" : "");
	*pid = (int)json_integer_value(v);
	return 0;
}

static int op_field_access(struct op_ctx *c, int *access)
{
	const char *a;

	if (op_field_str(c, "access", false, "read", &a))
		return c->e.err;
	if (!strcmp(a, "read"))
		*access = MM_ACCESS_READ;
	else if (!strcmp(a, "write"))
		*access = MM_ACCESS_WRITE;
	else if (!strcmp(a, "exec"))
		*access = MM_ACCESS_EXEC;
	else
		return op_bad(c, "access must be read, write or exec, not \"%s\"", a);
	return 0;
}

static int op_field_bool(struct op_ctx *c, const char *key, bool required, int def, int *out)
{
	json_t *v = json_object_get(c->op, key);

	if (!v) {
		if (required)
			return op_bad(c, "%s is required", key);
		*out = def;
		return 0;
	}
	if (!json_is_boolean(v))
		return op_bad(c, "%s must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static const char *pf_bits(uint32_t code, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", code & X86_PF_PROT ? "P" : "!P",
		 code & X86_PF_WRITE ? "|W" : "", code & X86_PF_USER ? "|U" : "",
		 code & X86_PF_INSTR ? "|I" : "");
	return buf;
}

static json_t *levels_json(const struct mm_translation *t)
{
	static const char *const names[] = { "", "pte", "pmd", "pud", "p4d", "pgd" };
	json_t *a = json_array();
	int i;

	for (i = 0; i < t->nr_levels; i++) {
		const struct mm_walk_level *l = &t->levels[i];
		const char *name = i == 0 ? "pgd" : names[l->level];

		json_array_append_new(a, json_pack("{s:s,s:i,s:I,s:i,s:o}", "name", name,
						   "level", l->level,
						   "table_pfn", (json_int_t)l->table_pfn,
						   "index", (int)l->index, "entry", hex(l->entry)));
	}
	return a;
}


json_t *mmu_translation_json(const struct mm_translation *t)
{
	static const char *const tlb[] = { "off", "l1_hit", "stlb_hit", "miss" };
	json_t *r = json_pack("{s:b,s:b,s:s,s:i,s:o}", "ok", 1, "paging", t->paging,
			      "tlb", tlb[t->tlb], "walk_refs", (int)t->walk_refs,
			      "levels", levels_json(t));
	char bits[16];

	if (t->fault) {
		json_object_set_new(r, "fault", json_pack("{s:s,s:i,s:i,s:s,s:s}",
			"vector", t->vector == 13 ? "#GP" : "#PF", "vector_nr", t->vector,
			"error_code", (int)t->error_code,
			"error_bits", t->vector == 14 ? pf_bits(t->error_code, bits, sizeof(bits)) : "",
			"outcome", t->outcome ? t->outcome : "fault"));
		if (t->outcome && !strcmp(t->outcome, "segv"))
			json_object_set_new(r, "signal", json_string("SIGSEGV"));
		return r;
	}
	json_object_set_new(r, "paddr", hex(t->paddr));
	json_object_set_new(r, "page_size", json_integer((json_int_t)1 << t->page_shift));
	if (t->demand_paged)
		json_object_set_new(r, "demand_paged", json_true());
	return r;
}

static int op_translate(struct op_ctx *c)
{
	struct mm_translation t;
	uint64_t vaddr, cpu;
	int pid, access, user;

	if (op_field_addr(c, "vaddr", true, 0, &vaddr) || op_field_cpu(c, &cpu) ||
	    op_field_pid(c, "pid", false, true, MM_PID_CURRENT, &pid) ||
	    op_field_access(c, &access) || op_field_bool(c, "user", false, -1, &user))
		return c->e.err;
	if (mm_translate(c->m, (int)cpu, pid, vaddr, access, user, &t, &c->e))
		return c->e.err;
	c->result = mmu_translation_json(&t);
	return 0;
}

static int op_access_range(struct op_ctx *c)
{
	struct mm_access_summary s;
	uint64_t start, length, stride, cpu, count;
	const char *pattern;
	int pid, access;

	if (op_field_addr(c, "start", true, 0, &start) ||
	    op_field_u64(c, "length", true, 0, UINT64_MAX >> 1, &length) ||
	    op_field_u64(c, "stride", false, 4096, UINT64_MAX >> 1, &stride) ||
	    op_field_cpu(c, &cpu) || op_field_pid(c, "pid", false, true, MM_PID_CURRENT, &pid) ||
	    op_field_access(c, &access) || op_field_str(c, "pattern", false, "seq", &pattern))
		return c->e.err;
	if (strcmp(pattern, "seq") && strcmp(pattern, "random"))
		return op_bad(c, "pattern must be seq or random, not \"%s\"", pattern);
	if (!length || !stride)
		return op_bad(c, "length and stride must be > 0");
	if (op_field_u64(c, "count", false, (length + stride - 1) / stride, 1000000, &count))
		return c->e.err;
	if (mm_access_range(c->m, (int)cpu, pid, start, length, stride, access,
			    !strcmp(pattern, "random"), count, &s, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "ok", 1,
			      "accesses", (json_int_t)s.accesses,
			      "hits", (json_int_t)(s.l1_hits + s.stlb_hits),
			      "l1_hits", (json_int_t)s.l1_hits, "stlb_hits", (json_int_t)s.stlb_hits,
			      "misses", (json_int_t)s.misses, "walk_refs", (json_int_t)s.walk_refs,
			      "faults", (json_int_t)s.faults);
	return 0;
}

static int op_tlb_flush(struct op_ctx *c)
{
	static const char *const scopes[] = { "all", "nonglobal", "page", "range" };
	uint64_t cpu, addr, length;
	const char *scope;
	int s;

	if (op_field_u64(c, "cpu", false, UINT64_MAX, machine_nr_cpus(c->m) - 1, &cpu))
		return c->e.err;
	if (!json_object_get(c->op, "cpu"))
		cpu = UINT64_MAX;
	if (op_field_str(c, "scope", false, "all", &scope) ||
	    op_field_addr(c, "addr", false, 0, &addr) ||
	    op_field_u64(c, "length", false, 4096, UINT64_MAX >> 1, &length))
		return c->e.err;
	for (s = 0; s < 4 && strcmp(scope, scopes[s]); s++)
		;
	if (s == 4)
		return op_bad(c, "scope must be all, nonglobal, page or range, not \"%s\"", scope);
	if (s >= MM_FLUSH_PAGE && !json_object_get(c->op, "addr"))
		return op_bad(c, "addr is required for scope %s", scope);
	return mm_tlb_flush(c->m, cpu == UINT64_MAX ? -1 : (int)cpu, s, addr, length, &c->e);
}

static int op_load_cr3(struct op_ctx *c)
{
	uint64_t cpu;
	int pid;

	if (op_field_u64(c, "cpu", true, 0, machine_nr_cpus(c->m) - 1, &cpu) ||
	    op_field_pid(c, "pid", true, true, 0, &pid))
		return c->e.err;
	return mm_load_cr3(c->m, (int)cpu, pid, &c->e);
}

static int op_spawn(struct op_ctx *c)
{
	const char *name;
	int pid;

	if (op_field_str(c, "name", false, "a.out", &name))
		return c->e.err;
	if (strlen(name) > 15)
		return op_bad(c, "name must be at most 15 characters (TASK_COMM_LEN)");
	if (op_spawn_check_options(c))
		return c->e.err;
	if (mm_spawn(c->m, name, &pid, &c->e) || op_spawn_options(c, pid))
		return c->e.err;
	c->result = json_pack("{s:b,s:i}", "ok", 1, "pid", pid);
	return 0;
}

static int op_exit(struct op_ctx *c)
{
	int pid;

	if (op_field_pid(c, "pid", true, false, 0, &pid))
		return c->e.err;
	return mm_exit(c->m, pid, &c->e);
}

/* "flags": "", "MAP_FIXED" or "MAP_FIXED_NOREPLACE" (also joined by '|'). */
static int op_field_map_flags(struct op_ctx *c, unsigned int *flags)
{
	const char *text, *p;

	*flags = 0;
	if (op_field_str(c, "flags", false, "", &text))
		return c->e.err;
	for (p = text; *p;) {
		size_t n = strcspn(p, "|");

		if (n == 19 && !strncmp(p, "MAP_FIXED_NOREPLACE", n))
			*flags |= MM_MAP_FIXED_NOREPLACE;
		else if (n == 9 && !strncmp(p, "MAP_FIXED", n))
			*flags |= MM_MAP_FIXED;
		else if (n == 10 && !strncmp(p, "MAP_SHARED", n))
			*flags |= MM_MAP_SHARED;
		else if (n == 11 && !strncmp(p, "MAP_PRIVATE", n))
			*flags |= MM_MAP_PRIVATE;
		else if (n)
			return op_bad(c, "flags may be MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_SHARED or "
				      "MAP_PRIVATE");
		p += n + (p[n] == '|');
	}
	return 0;
}

/*
 * mmap: anonymous memory, or with "file" a file mapping (MAP_SHARED or
 * MAP_PRIVATE in "flags", MAP_PRIVATE when neither; "offset" into the file).
 */
static int op_mmap(struct op_ctx *c)
{
	uint64_t length, addr, out, offset;
	unsigned int flags;
	const char *prot, *file;
	int pid, err;

	if (op_field_pid(c, "pid", true, false, 0, &pid) ||
	    op_field_u64(c, "length", true, 0, UINT64_MAX >> 1, &length) ||
	    op_field_str(c, "prot", false, "rw-", &prot) ||
	    op_field_addr(c, "addr", false, 0, &addr) || op_field_map_flags(c, &flags) ||
	    op_field_str(c, "file", false, NULL, &file) ||
	    op_field_u64(c, "offset", false, 0, UINT64_MAX >> 1, &offset))
		return c->e.err;
	if (!file && (flags & (MM_MAP_SHARED | MM_MAP_PRIVATE)))
		return op_bad(c, "MAP_SHARED and MAP_PRIVATE need a \"file\"");
	if (file && !(flags & (MM_MAP_SHARED | MM_MAP_PRIVATE)))
		flags |= MM_MAP_PRIVATE;
	err = file ? mm_mmap_file(c->m, pid, addr, length, prot, flags, file, offset, &out, &c->e) :
		     mm_mmap_flags(c->m, pid, addr, length, prot, flags, &out, &c->e);
	if (err)
		return c->e.err;
	c->result = json_pack("{s:b,s:o}", "ok", 1, "addr", hex(out));
	return 0;
}

static int op_munmap(struct op_ctx *c)
{
	uint64_t length, addr;
	int pid;

	if (op_field_pid(c, "pid", true, false, 0, &pid) ||
	    op_field_addr(c, "addr", true, 0, &addr) ||
	    op_field_u64(c, "length", true, 0, UINT64_MAX >> 1, &length))
		return c->e.err;
	return mm_munmap(c->m, pid, addr, length, &c->e);
}

static int op_brk(struct op_ctx *c)
{
	uint64_t addr, out;
	int pid;

	if (op_field_pid(c, "pid", true, false, 0, &pid) ||
	    op_field_addr(c, "addr", false, 0, &addr))
		return c->e.err;
	if (mm_brk(c->m, pid, addr, &out, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:o}", "ok", 1, "brk", hex(out));
	return 0;
}

/* Touch every page of [addr, addr + length) as the process, stopping at a SIGSEGV. */
static int op_touch(struct op_ctx *c)
{
	uint64_t addr, length, cpu, a, pages = 0, faulted = 0;
	struct mm_translation t;
	int pid, access;

	if (op_field_pid(c, "pid", true, false, 0, &pid) ||
	    op_field_addr(c, "addr", true, 0, &addr) ||
	    op_field_u64(c, "length", false, 1, 1ULL << 32, &length) ||
	    op_field_cpu(c, &cpu) || op_field_access(c, &access))
		return c->e.err;
	if (!json_object_get(c->op, "access"))
		access = MM_ACCESS_WRITE;
	if (!length)
		return op_bad(c, "length must be > 0");
	for (a = addr & ~4095ULL; a < addr + length; a += 4096) {
		if (mm_translate(c->m, (int)cpu, pid, a, access, 1, &t, &c->e))
			return c->e.err;
		if (t.fault) {
			c->result = mmu_translation_json(&t);
			json_object_set_new(c->result, "vaddr", hex(a));
			json_object_set_new(c->result, "pages", json_integer((json_int_t)pages));
			return 0;
		}
		pages++;
		faulted += t.demand_paged;
	}
	c->result = json_pack("{s:b,s:I,s:I}", "ok", 1, "pages", (json_int_t)pages,
			      "demand_paged", (json_int_t)faulted);
	return 0;
}

/* "without_identity": the what-if of early_top_pgt with no identity map. */
static int op_boot(struct op_ctx *c)
{
	const char *until, *reached;
	int bare;
	bool tf;

	if (op_field_str(c, "until", false, "done", &until) ||
	    op_field_bool(c, "without_identity", false, 0, &bare))
		return c->e.err;
	if (mm_boot_ex(c->m, until, bare ? MM_BOOT_NO_IDENTITY : 0, &reached, &tf, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:s}", "ok", 1, "stage", reached);
	if (tf)
		json_object_set_new(c->result, "triple_fault", json_true());
	return 0;
}

static int op_paging(struct op_ctx *c)
{
	uint64_t cpu;
	int enable, kexec;
	bool tf;

	if (op_field_u64(c, "cpu", true, 0, machine_nr_cpus(c->m) - 1, &cpu) ||
	    op_field_bool(c, "enable", true, 0, &enable) ||
	    op_field_bool(c, "kexec", false, 0, &kexec))
		return c->e.err;
	if (mm_paging(c->m, (int)cpu, enable, kexec, &tf, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:b,s:b}", "ok", 1, "paging", enable && !tf,
			      "triple_fault", tf);
	return 0;
}

static int op_boot_cpu(struct op_ctx *c)
{
	uint64_t cpu;

	if (op_field_u64(c, "cpu", true, 0, machine_nr_cpus(c->m) - 1, &cpu))
		return c->e.err;
	return mm_boot_cpu(c->m, (int)cpu, &c->e);
}

static int op_virt_to_phys(struct op_ctx *c)
{
	struct virt_to_phys_info info;
	uint64_t addr;

	if (op_field_addr(c, "addr", true, 0, &addr))
		return c->e.err;
	if (mm_virt_to_phys_info(c->m, addr, &info, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:o,s:I}", "ok", 1, "paddr", hex(info.paddr), "pfn",
			      (json_int_t)(info.paddr >> 12));
	if (!info.right) {
		json_object_set_new(c->result, "wrong", json_boolean(!strncmp(info.why, "wrong", 5)));
		json_object_set_new(c->result, "why", json_string(info.why));
	}
	return 0;
}

static int op_phys_to_virt(struct op_ctx *c)
{
	uint64_t pa, va;

	if (op_field_addr(c, "paddr", true, 0, &pa))
		return c->e.err;
	if (mm_phys_to_virt(c->m, pa, &va, &c->e))
		return c->e.err;
	c->result = json_pack("{s:b,s:o}", "ok", 1, "addr", hex(va));
	return 0;
}

static const char *const translate_fields[] = { "vaddr", "access", "cpu", "pid", "user", NULL };
static const char *const access_range_fields[] = { "start", "length", "stride", "access", "cpu",
						   "pid", "pattern", "count", NULL };
static const char *const tlb_flush_fields[] = { "cpu", "scope", "addr", "length", NULL };
static const char *const load_cr3_fields[] = { "cpu", "pid", NULL };
static const char *const spawn_fields[] = { "name", "oom_score_adj", "memcg", NULL };
static const char *const pid_fields[] = { "pid", NULL };
static const char *const mmap_fields[] = { "pid", "length", "prot", "addr", "flags", "file",
					   "offset", NULL };
static const char *const munmap_fields[] = { "pid", "addr", "length", NULL };
static const char *const brk_fields[] = { "pid", "addr", NULL };
static const char *const touch_fields[] = { "pid", "addr", "length", "cpu", "access", NULL };
static const char *const boot_fields[] = { "until", "without_identity", NULL };
static const char *const paging_fields[] = { "cpu", "enable", "kexec", NULL };
static const char *const cpu_fields[] = { "cpu", NULL };
static const char *const addr_fields[] = { "addr", NULL };
static const char *const paddr_fields[] = { "paddr", NULL };

const struct op_def mmu_ops[] = {
	{ "translate", translate_fields, op_translate },
	{ "access_range", access_range_fields, op_access_range },
	{ "tlb_flush", tlb_flush_fields, op_tlb_flush },
	{ "load_cr3", load_cr3_fields, op_load_cr3 },
	{ "spawn", spawn_fields, op_spawn },
	{ "exit", pid_fields, op_exit },
	{ "mmap", mmap_fields, op_mmap },
	{ "munmap", munmap_fields, op_munmap },
	{ "brk", brk_fields, op_brk },
	{ "touch", touch_fields, op_touch },
	{ "boot", boot_fields, op_boot },
	{ "paging", paging_fields, op_paging },
	{ "boot_cpu", cpu_fields, op_boot_cpu },
	{ "virt_to_phys", addr_fields, op_virt_to_phys },
	{ "phys_to_virt", paddr_fields, op_phys_to_virt },
	{ NULL, NULL, NULL },
};
