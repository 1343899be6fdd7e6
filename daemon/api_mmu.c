/*
 * api_mmu.c - the views of paging state: one address's walk, one page
 * table's entries (for a tree expanded lazily from CR3), the TLB of a CPU,
 * the CPUs' registers, the processes, /proc/PID/maps, the kernel's ptdump
 * and crash's vtop. Every view reads through view_begin()/view_end(), so
 * ?at=SEQ answers from a replayed machine.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/db.h"
#include "daemon/ops.h"
#include "daemon/recorder.h"
#include "daemon/server.h"

static json_t *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

/*
 * ?pid=kernel|N|cr3:N (default kernel); false with a 400 reply when
 * malformed. "cr3:N" is whatever table CR3 of CPU N points at (MM_PID_CR3),
 * which during the boot, in the trampoline or after kexec is no mm's PGD.
 */
static bool query_pid(struct http_request *req, struct http_reply *rep, int *pid)
{
	const char *v = http_query(req, "pid");
	char *end;
	long n;

	*pid = MM_PID_KERNEL;
	if (!v || !strcmp(v, "kernel"))
		return true;
	if (!strncmp(v, "cr3:", 4)) {
		n = strtol(v + 4, &end, 10);
		if (!v[4] || *end || n < 0 || n > 4095) {
			reply_error(rep, 400, "EINVAL", "pid \"cr3:N\" needs a CPU number, not \"%s\"", v);
			return false;
		}
		*pid = MM_PID_CR3((int)n);
		return true;
	}
	n = strtol(v, &end, 10);
	if (!*v || *end || n < 1 || n > INT32_MAX) {
		reply_error(rep, 400, "EINVAL", "pid must be \"kernel\", a process id or \"cr3:N\", "
			    "not \"%s\"", v);
		return false;
	}
	*pid = (int)n;
	return true;
}

/* The reply's "pid": "kernel", the pid, or "cr3:N". */
static json_t *pid_json(int pid)
{
	char buf[24];

	if (pid > 0)
		return json_integer(pid);
	if (pid == MM_PID_KERNEL)
		return json_string("kernel");
	snprintf(buf, sizeof(buf), "cr3:%d", MM_PID_CR3_CPU(pid));
	return json_string(buf);
}

/* "root_name": what the tree's root is (init_top_pgt, early_top_pgt, mm->pgd, ...). */
static void set_root_name(json_t *r, const struct machine *m, int pid)
{
	const char *name = mm_pagetable_root_name(m, pid);

	json_object_set_new(r, "root_name", name ? json_string(name) : json_null());
}

/* ?NAME=0x... (an address); false with a 400 reply when missing or malformed. */
static bool query_addr(struct http_request *req, struct http_reply *rep, const char *name,
		       bool required, uint64_t *out)
{
	const char *v = http_query(req, name);
	char *end;

	if (!v) {
		if (required)
			reply_error(rep, 400, "EINVAL", "%s is required (a hex address)", name);
		return !required;
	}
	errno = 0;
	*out = strtoull(v, &end, 0);
	if (!*v || *end || errno || v[0] == '-') {
		reply_error(rep, 400, "EINVAL", "%s must be an address like 0xffff888000100000, "
			    "not \"%s\"", name, v);
		return false;
	}
	return true;
}

static void reply_mm_error(struct http_reply *rep, const struct mm_error *e)
{
	if (e->err == -ESRCH || e->err == -ENOENT)
		reply_error(rep, 404, mm_errno_name(e->err), "%s", e->message);
	else
		reply_error(rep, 400, mm_errno_name(e->err), "%s", e->message);
}

/* ?access=read|write|exec (default read); false with a 400 reply when unknown. */
static bool query_access(struct http_request *req, struct http_reply *rep, int *access)
{
	static const char *const names[] = { "read", "write", "exec" };
	const char *v = http_query(req, "access");

	*access = MM_ACCESS_READ;
	if (!v)
		return true;
	for (int a = 0; a < 3; a++)
		if (!strcmp(v, names[a])) {
			*access = a;
			return true;
		}
	reply_error(rep, 400, "EINVAL", "access must be read, write or exec, not \"%s\"", v);
	return false;
}

static bool query_cpu(struct http_request *req, struct http_reply *rep, long *cpu);

/* The TLB lookup the access would make first (mm_tlb_probe()). */
static json_t *tlb_probe_json(const struct mm_tlb_probe *p, long cpu)
{
	static const char *const result[] = { "off", "l1_hit", "stlb_hit", "miss" };
	json_t *probes = json_array();

	for (int i = 0; i < p->nr; i++)
		json_array_append_new(probes, json_pack("{s:s,s:I,s:i,s:b,s:b}", "array",
			p->probe[i].array, "page_size", (json_int_t)1 << p->probe[i].page_shift,
			"set", (int)p->probe[i].set, "hit", p->probe[i].hit,
			"refused", p->probe[i].refused));
	return json_pack("{s:i,s:s,s:b,s:o}", "cpu", (int)cpu, "result", result[p->result],
			 "same_mm", p->same_mm, "probes", probes);
}

/*
 * GET .../pagetable?vaddr=&pid=&access=&cpu=: the walk, as an access would
 * end (#GP, #PF and its error code, and at which level), and the TLB lookup
 * of CPU @cpu before it. Nothing in the machine changes.
 */
void api_view_pagetable(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct mm_translation t;
	struct mm_tlb_probe p;
	struct mm_error e = { 0 };
	struct view v;
	uint64_t vaddr;
	json_t *r, *fault;
	int pid, access;
	long cpu;

	if (!query_pid(req, rep, &pid) || !query_addr(req, rep, "vaddr", true, &vaddr) ||
	    !query_access(req, rep, &access) || !query_cpu(req, rep, &cpu))
		return;
	if (!view_begin(srv, req, rep, &v))
		return;
	if (mm_tlb_probe(v.m, (int)cpu, pid, vaddr, access, &p)) {
		reply_error(rep, 400, "EINVAL", "cpu must be 0..%u", machine_nr_cpus(v.m) - 1);
	} else if (mm_pagetable_walk_access(v.m, pid, vaddr, access, &t, &e)) {
		reply_mm_error(rep, &e);
	} else {
		r = mmu_translation_json(&t);
		json_object_del(r, "ok");
		json_object_del(r, "tlb");
		json_object_set_new(r, "seq", json_integer((json_int_t)v.seq));
		json_object_set_new(r, "vaddr", hex(vaddr));
		json_object_set_new(r, "pid", pid_json(pid));
		set_root_name(r, v.m, pid);
		json_object_set_new(r, "access", json_string(access == MM_ACCESS_READ ? "read" :
					access == MM_ACCESS_WRITE ? "write" : "exec"));
		json_object_set_new(r, "tlb", tlb_probe_json(&p, cpu));
		fault = json_object_get(r, "fault");
		if (fault && t.vector == 14 && t.nr_levels)	/* the last entry read */
			json_object_set_new(fault, "level", json_integer(t.levels[t.nr_levels - 1].level));
		reply_json(rep, 200, r);
	}
	view_end(&v);
}

static void tree_entry(void *ctx, const struct mm_pt_entry *pe)
{
	json_t *o = json_pack("{s:i,s:o,s:s,s:I,s:i,s:b,s:b,s:o}", "index", (int)pe->index,
			      "entry", hex(pe->entry), "flags", pe->flags,
			      "target_pfn", (json_int_t)pe->target_pfn, "level", pe->level,
			      "huge", pe->huge, "leaf", pe->leaf, "vaddr", hex(pe->vaddr));

	if (!pe->leaf)
		json_object_set_new(o, "child_present", json_integer(pe->child_present));
	json_object_set_new(o, "region", json_string(pe->region));
	json_array_append_new(ctx, o);
}

void api_view_pagetable_tree(struct server *srv, struct http_request *req,
			     struct http_reply *rep)
{
	const char *tq = http_query(req, "table");
	struct mm_error e = { 0 };
	uint64_t table = UINT64_MAX, root, base;
	struct view v;
	json_t *entries;
	int pid, level, root_level;
	char *end;

	if (!query_pid(req, rep, &pid))
		return;
	if (tq) {
		table = strtoull(tq, &end, 0);
		if (!*tq || *end || tq[0] == '-') {
			reply_error(rep, 400, "EINVAL", "table must be a pfn, not \"%s\"", tq);
			return;
		}
	}
	if (!view_begin(srv, req, rep, &v))
		return;
	entries = json_array();
	if (mm_pagetable_root(v.m, pid, &root, &root_level, &e) ||
	    mm_pagetable_table(v.m, pid, table, &level, &base, tree_entry, entries, &e)) {
		json_decref(entries);
		reply_mm_error(rep, &e);
	} else {
		json_t *r = json_pack("{s:I,s:o,s:I,s:i,s:I,s:i,s:o,s:o}",
				      "seq", (json_int_t)v.seq, "pid", pid_json(pid),
				      "root_pfn", (json_int_t)root, "levels", root_level,
				      "table_pfn", (json_int_t)(table == UINT64_MAX ? root : table),
				      "level", level, "base", hex(base), "entries", entries);

		set_root_name(r, v.m, pid);
		reply_json(rep, 200, r);
	}
	view_end(&v);
}

static bool query_cpu(struct http_request *req, struct http_reply *rep, long *cpu)
{
	const char *q = http_query(req, "cpu");
	char *end;

	*cpu = 0;
	if (!q)
		return true;
	*cpu = strtol(q, &end, 10);
	if (!*q || *end || *cpu < 0) {
		reply_error(rep, 400, "EINVAL", "cpu must be a CPU number, not \"%s\"", q);
		return false;
	}
	return true;
}

static void tlb_entry_json(void *ctx, int array, uint64_t vaddr, uint64_t paddr,
			   unsigned int shift, uint64_t prot)
{
	json_t *arr = json_object_get(ctx, array == 0 ? "l1_4k" : array == 1 ? "l1_2m" :
				      array == 2 ? "l1_1g" : "stlb");

	char flags[24];

	/* The rights an entry keeps, named as in ptdump and the page-table view. */
	snprintf(flags, sizeof(flags), "%s%s%s%s%s", prot & 2 ? "RW" : "ro", prot & 4 ? " USR" : "",
		 prot & 0x40 ? " D" : "", prot & 0x100 ? " GLB" : "", prot >> 63 ? " NX" : "");
	json_array_append_new(arr, json_pack("{s:o,s:o,s:I,s:b,s:b,s:b,s:b,s:s}", "vaddr", hex(vaddr),
					     "paddr", hex(paddr), "page_size", (json_int_t)1 << shift,
					     "global", (prot & 0x100) != 0, "rw", (prot & 2) != 0,
					     "user", (prot & 4) != 0, "nx", (prot >> 63) != 0,
					     "flags", flags));
}

void api_view_tlb(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct mm_tlb_info ti;
	struct view v;
	json_t *arrays, *regions, *entries;
	long cpu;

	if (!query_cpu(req, rep, &cpu) || !view_begin(srv, req, rep, &v))
		return;
	if (mm_tlb_info(v.m, (int)cpu, &ti)) {
		reply_error(rep, 400, "EINVAL", "cpu must be 0..%u", machine_nr_cpus(v.m) - 1);
		view_end(&v);
		return;
	}
	arrays = json_array();
	entries = json_object();
	for (int a = 0; a < 4; a++) {
		json_array_append_new(arrays, json_pack("{s:s,s:i,s:i,s:i,s:i}",
			"name", ti.arrays[a].name, "entries", (int)ti.arrays[a].entries,
			"ways", (int)ti.arrays[a].ways, "sets", (int)ti.arrays[a].sets,
			"valid", (int)ti.arrays[a].valid));
		json_object_set_new(entries, ti.arrays[a].name, json_array());
	}
	regions = json_object();
	for (int r = 0; r < 5; r++) {
		const struct mm_tlb_region_info *ri = &ti.regions[r];

		json_object_set_new(regions, ri->name, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			"accesses", (json_int_t)ri->accesses, "hits",
			(json_int_t)(ri->l1_hits + ri->stlb_hits), "l1_hits", (json_int_t)ri->l1_hits,
			"stlb_hits", (json_int_t)ri->stlb_hits, "misses", (json_int_t)ri->misses,
			"walk_refs", (json_int_t)ri->walk_refs, "faults", (json_int_t)ri->faults));
	}
	mm_tlb_entries(v.m, (int)cpu, tlb_entry_json, entries);
	reply_json(rep, 200, json_pack("{s:I,s:i,s:s,s:o,s:o,s:o}", "seq", (json_int_t)v.seq,
				       "cpu", (int)cpu, "policy", ti.policy, "arrays", arrays,
				       "regions", regions, "entries", entries));
	view_end(&v);
}

/*** The TLB over time: the translate events of one CPU, in seq buckets ***/

#define HISTORY_BUCKETS		60
#define HISTORY_MAX_BUCKETS	500
#define NR_REGIONS		5

struct region_count {
	uint64_t accesses, hits, misses, walk_refs, faults;
};

static json_t *bucket_json(uint64_t from, uint64_t to, const struct region_count *rc,
			   const char *const *names)
{
	json_t *regions = json_object();

	for (int r = 0; r < NR_REGIONS; r++)
		if (rc[r].accesses)
			json_object_set_new(regions, names[r], json_pack("{s:I,s:I,s:I,s:I,s:I}",
				"accesses", (json_int_t)rc[r].accesses, "hits", (json_int_t)rc[r].hits,
				"misses", (json_int_t)rc[r].misses, "walk_refs", (json_int_t)rc[r].walk_refs,
				"faults", (json_int_t)rc[r].faults));
	return json_pack("{s:I,s:I,s:o}", "from_seq", (json_int_t)from, "to_seq", (json_int_t)to,
			 "regions", regions);
}

/*
 * GET .../tlb/history?cpu=N&buckets=B[&at=SEQ]: events 1..SEQ cut into B
 * equal seq ranges, and in each the translations of CPU N per region: how
 * many, how many the TLB answered, missed (a page walk), the walks' memory
 * references and the faults. Counted from the stored translate events, one
 * per translation (a fault fixed by demand paging and retried is one; with
 * paging off there is no TLB and nothing is counted).
 */
void api_view_tlb_history(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct region_count rc[NR_REGIONS] = { 0 };
	const char *names[NR_REGIONS];
	const char *q = http_query(req, "buckets");
	struct mm_tlb_info ti;
	unsigned int levels, nr_cpus;
	uint64_t max_pfn, seq, from = 0, to;
	long cpu, buckets = HISTORY_BUCKETS, b = 0;
	int64_t id = api_session_id(req, rep);
	sqlite3_stmt *st;
	json_t *out;
	struct view v;
	char *end;

	if (id < 0 || !query_cpu(req, rep, &cpu))
		return;
	if (q) {
		buckets = strtol(q, &end, 10);
		if (!*q || *end || buckets < 1 || buckets > HISTORY_MAX_BUCKETS) {
			reply_error(rep, 400, "EINVAL", "buckets must be 1..%d, not \"%s\"",
				    HISTORY_MAX_BUCKETS, q);
			return;
		}
	}
	if (!view_begin(srv, req, rep, &v))
		return;
	levels = machine_get_config(v.m)->paging_levels;
	max_pfn = machine_max_pfn(v.m);
	nr_cpus = machine_nr_cpus(v.m);
	seq = v.seq;
	mm_tlb_info(v.m, 0, &ti);
	for (int r = 0; r < NR_REGIONS; r++)
		names[r] = ti.regions[r].name;	/* static strings */
	view_end(&v);
	if ((unsigned long)cpu >= nr_cpus) {
		reply_error(rep, 400, "EINVAL", "cpu must be 0..%u", nr_cpus - 1);
		return;
	}
	recorder_sync(srv->rec);
	/* The translations, from the blocks that hold one (db.h). */
	if (sqlite3_prepare_v2(srv->db, "SELECT e.seq, vaddr, value, paddr IS NULL, "
			       "substr(detail, 1, 4) IN ('l1_h', 'stlb') FROM " EVENTS_BY_KEY_FROM
			       " WHERE k.session_id = ?1 AND k.kind = 0 AND k.key = ?2 AND "
			       "k.block <= ?3 >> 10 AND type = ?2 AND e.seq <= ?3 AND cpu = ?4 "
			       "AND substr(detail, 1, 4) <> 'off ' ORDER BY k.block, e.seq",
			       -1, &st, NULL) != SQLITE_OK) {
		reply_error(rep, 503, "EIO", "cannot read the events: %s", sqlite3_errmsg(srv->db));
		return;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, MM_EV_translate);
	sqlite3_bind_int64(st, 3, (int64_t)seq);
	sqlite3_bind_int(st, 4, (int)cpu);
	out = json_array();
	to = seq / (uint64_t)buckets;
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t at = (uint64_t)sqlite3_column_int64(st, 0);
		struct region_count *c;

		while (at > to) {	/* close the buckets before this event */
			json_array_append_new(out, bucket_json(from, to, rc, names));
			memset(rc, 0, sizeof(rc));
			from = to;
			to = seq * (uint64_t)(++b + 1) / (uint64_t)buckets;
		}
		c = &rc[mm_vaddr_region(levels, max_pfn, (uint64_t)sqlite3_column_int64(st, 1))];
		c->accesses++;
		c->walk_refs += (uint64_t)sqlite3_column_int64(st, 2);
		c->faults += sqlite3_column_int(st, 3);
		if (sqlite3_column_int(st, 4))
			c->hits++;
		else
			c->misses++;
	}
	sqlite3_finalize(st);
	for (; b < buckets; b++) {
		json_array_append_new(out, bucket_json(from, to, rc, names));
		memset(rc, 0, sizeof(rc));
		from = to;
		to = seq * (uint64_t)(b + 2) / (uint64_t)buckets;
	}
	reply_json(rep, 200, json_pack("{s:I,s:i,s:o}", "seq", (json_int_t)seq, "cpu", (int)cpu,
				       "buckets", out));
}

void api_view_cpus(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct mm_cpu_info ci;
	struct view v;
	json_t *cpus;

	if (!view_begin(srv, req, rep, &v))
		return;
	cpus = json_array();
	for (unsigned int cpu = 0; cpu < machine_nr_cpus(v.m); cpu++) {
		mm_cpu_info(v.m, (int)cpu, &ci);
		json_array_append_new(cpus, json_pack(
			"{s:i,s:s,s:b,s:{s:o,s:b,s:b},s:o,s:{s:o,s:b,s:b,s:b},s:{s:o,s:b,s:b},s:o,s:o}",
			"cpu", (int)cpu, "mode", ci.mode, "online", ci.online,
			"cr0", "value", hex(ci.cr0), "pe", (ci.cr0 & 1) != 0,
			"pg", (ci.cr0 >> 31 & 1) != 0, "cr3", hex(ci.cr3),
			"cr4", "value", hex(ci.cr4), "pae", (ci.cr4 >> 5 & 1) != 0,
			"pge", (ci.cr4 >> 7 & 1) != 0, "la57", (ci.cr4 >> 12 & 1) != 0,
			"efer", "value", hex(ci.efer), "lme", (ci.efer >> 8 & 1) != 0,
			"lma", (ci.efer >> 10 & 1) != 0, "rip", hex(ci.rip),
			"mm", ci.pid > 0 ? json_integer(ci.pid) : ci.pid == 0 ? json_string("kernel") :
			json_null()));
	}
	reply_json(rep, 200, json_pack("{s:I,s:s,s:o}", "seq", (json_int_t)v.seq,
				       "boot_stage", mm_boot_stage(v.m), "cpus", cpus));
	view_end(&v);
}

void api_view_processes(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct mm_process_info pi;
	struct mm_vma_info vi;
	struct view v;
	json_t *procs;

	if (!view_begin(srv, req, rep, &v))
		return;
	procs = json_array();
	for (unsigned int i = 0; mm_process_info(v.m, i, &pi) == 0; i++) {
		json_t *vmas = json_array();

		for (unsigned int k = 0; mm_process_vma(v.m, pi.pid, k, &vi) == 0; k++)
			json_array_append_new(vmas, json_pack("{s:o,s:o,s:s,s:s}", "start",
				hex(vi.start), "end", hex(vi.end), "prot", vi.prot, "name", vi.name));
		json_t *o = json_pack("{s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o}",
			"pid", pi.pid, "name", pi.comm, "pgd_pfn", (json_int_t)pi.pgd_pfn,
			"rss", (json_int_t)pi.rss, "rss_anon", (json_int_t)pi.rss_anon,
			"rss_file", (json_int_t)pi.rss_file, "zero_ptes", (json_int_t)pi.zero_ptes,
			"pgtables_pages", (json_int_t)pi.pgtables_pages,
			"start_brk", hex(pi.start_brk), "brk", hex(pi.brk), "vmas", vmas);

		api_process_oom_fields(v.m, pi.pid, o);	/* api_oom.c */
		json_array_append_new(procs, o);
	}
	reply_json(rep, 200, json_pack("{s:I,s:o}", "seq", (json_int_t)v.seq, "processes", procs));
	view_end(&v);
}

static void reply_text_or(struct http_reply *rep, char *text, const char *what)
{
	if (text)
		reply_take(rep, 200, "text/plain; charset=utf-8", text, strlen(text));
	else
		reply_error(rep, 404, "ENOENT", "%s", what);
}

void api_proc_pid_maps(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	const char *text = req->params[1];
	struct view v;
	char *end;
	long pid = strtol(text, &end, 10);

	if (!*text || *end || pid < 1 || pid > INT32_MAX) {
		reply_error(rep, 400, "EINVAL", "pid must be a process id, not \"%s\"", text);
		return;
	}
	if (!view_begin(srv, req, rep, &v))
		return;
	reply_text_or(rep, proc_pid_maps(v.m, (int)pid), "no such process");
	view_end(&v);
}

void api_debug_page_tables_kernel(struct server *srv, struct http_request *req,
				  struct http_reply *rep)
{
	struct view v;

	if (!view_begin(srv, req, rep, &v))
		return;
	reply_text_or(rep, ptdump_kernel(v.m), "out of memory");
	view_end(&v);
}

void api_debug_vtop(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct view v;
	uint64_t vaddr;
	int pid;

	if (!query_pid(req, rep, &pid) || !query_addr(req, rep, "vaddr", true, &vaddr))
		return;
	if (!view_begin(srv, req, rep, &v))
		return;
	reply_text_or(rep, debug_vtop(v.m, pid, vaddr), "out of memory");
	view_end(&v);
}

/* The layout's regions and the page sizes that map each of them (mm_vmlayout()). */
void api_view_vmlayout(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	static const char *const sizes[] = { "4K", "2M", "1G" };
	struct mm_vm_region r[MM_VMLAYOUT_MAX];
	struct view v;
	json_t *regions;
	int n;

	if (!view_begin(srv, req, rep, &v))
		return;
	n = mm_vmlayout(v.m, r, MM_VMLAYOUT_MAX);
	regions = json_array();
	for (int i = 0; i < n; i++) {
		json_t *ps = json_array(), *mapped = json_object();

		for (int k = 0; k < 3; k++) {
			if (!r[i].mapped[k])
				continue;
			json_array_append_new(ps, json_string(sizes[k]));
			json_object_set_new(mapped, sizes[k], json_integer((json_int_t)r[i].mapped[k]));
		}
		json_array_append_new(regions, json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o}",
			"name", r[i].name, "kind", r[i].kind, "label", r[i].label,
			"start", hex(r[i].start), "end", hex(r[i].end), "page_sizes", ps,
			"mapped_bytes", mapped));
	}
	reply_json(rep, 200, json_pack("{s:I,s:i,s:o}", "seq", (json_int_t)v.seq,
				       "paging_levels", (int)machine_get_config(v.m)->paging_levels,
				       "regions", regions));
	view_end(&v);
}
