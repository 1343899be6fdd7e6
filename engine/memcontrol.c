/*
 * memcontrol.c - memory cgroups: a group's pages are charged to its page
 * counter as they are born and uncharged as they are freed; at memory.max
 * the charge reclaims inside the group and then kills inside it.
 *
 * Kernel: mm/memcontrol.c (mem_cgroup_charge, charge_memcg,
 * try_charge_memcg, mem_cgroup_oom, mem_cgroup_out_of_memory,
 * mem_cgroup_get_max, mem_cgroup_print_oom_context and _meminfo,
 * memory_events_show, memory_stat_format, mem_cgroup_lruvec),
 * mm/page_counter.c (page_counter_try_charge, page_counter_uncharge),
 * Documentation/admin-guide/cgroup-v2.rst (the files memory.current,
 * memory.max, memory.peak, memory.events, memory.stat, cgroup.procs).
 *
 * Ideas to hold:
 *  - cgroup v2, flat: each group is a child of the root. The root (id 0)
 *    is not limited and keeps no counter here; its pages carry memcg_id 0.
 *  - A process belongs to the group spawn put it in (mm->memcg_id); the
 *    pages its faults allocate are charged to that group
 *    (get_mem_cgroup_from_mm()), and page->folio.memcg_id says which.
 *  - Each group has its own lruvec per node: mem_cgroup_lruvec() finds it
 *    from a page's memcg_id, so the LRU code puts a group's pages on the
 *    group's lists and reclaim for the group scans only those.
 *  - The kernel charges in batches of MEMCG_CHARGE_BATCH through a per-CPU
 *    stock; the engine charges page by page, so memory.current is exact
 *    (and drain_all_stock() has nothing to drain).
 *  - swap.max is "max" and swap is not charged to the group: reclaim may
 *    swap a group's anonymous pages out, which uncharges them.
 *
 * Design notes: the invariants that memcg_check() verifies (M1..M4).
 *  M1 each group's memory.current equals the pages that carry its id.
 *  M2 every page that carries a group id is a user page of a group that exists.
 *  M3 each group's lruvec lists link pages of that group and node, by their flags.
 *  M4 a group's peak is at least its usage; ids are 1..nr in order.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "lru.h"
#include "memcontrol.h"
#include "oom.h"
#include "pgtable.h"
#include "swap.h"
#include "vmscan.h"

/*** Groups ***/

struct mem_cgroup *mem_cgroup_from_id(const struct machine *m, uint32_t id)
{
	if (!m->memcg || !id || id > m->memcg->nr)
		return NULL;
	return &m->memcg->v[id - 1];
}

static struct mem_cgroup *mem_cgroup_from_name(const struct machine *m, const char *name)
{
	for (uint32_t i = 0; m->memcg && i < m->memcg->nr; i++)
		if (!strcmp(m->memcg->v[i].name, name))
			return &m->memcg->v[i];
	return NULL;
}

struct lruvec *memcg_lruvec(struct machine *m, int memcg_id, int node)
{
	SIM_BUG_ON(!mem_cgroup_from_id(m, (uint32_t)memcg_id));
	return &m->memcg->lruvecs[(size_t)(memcg_id - 1) * m->nr_nodes + (size_t)node];
}

uint64_t memcg_lru_pages(const struct machine *m, int node, int lru)
{
	uint64_t n = 0;

	for (uint32_t i = 0; m->memcg && i < m->memcg->nr; i++)
		n += m->memcg->lruvecs[(size_t)i * m->nr_nodes + (size_t)node].lists[lru].nr;
	return n;
}

static void lruvec_init(struct lruvec *l, int memcg_id, int node)
{
	memset(l, 0, sizeof(*l));
	for (int lru = 0; lru < NR_LRU_LISTS; lru++)
		l->lists[lru].first = l->lists[lru].last = PFN_NIL;
	l->memcg_id = memcg_id;
	l->node = node;
}

static int memcg_grow(struct machine *m)
{
	struct memcg_state *s = m->memcg;
	uint32_t cap = s->cap ? s->cap * 2 : 4;
	struct mem_cgroup *v;
	struct lruvec *l;

	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	l = realloc(s->lruvecs, (size_t)cap * m->nr_nodes * sizeof(*l));
	if (!l)
		return -ENOMEM;
	s->lruvecs = l;
	s->cap = cap;
	return 0;
}

/* A name is a cgroup directory's: letters, digits, '-', '_', '.', not "." or "..". */
static bool memcg_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= MEMCG_NAME_LEN || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(name[i] >= 'a' && name[i] <= 'z') && !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= '0' && name[i] <= '9') && !strchr("-_.", name[i]))
			return false;
	return true;
}

int mm_memcg_create(struct machine *m, const char *name, uint64_t max_pages, uint32_t *id,
		    struct mm_error *e)
{
	struct mem_cgroup *memcg;

	if (!name || !memcg_name_ok(name))
		return mm_error_set(e, -EINVAL, "name must be 1..%d letters, digits, '-', '_' "
				    "or '.'", MEMCG_NAME_LEN - 1);
	if (!m->memcg && !(m->memcg = calloc(1, sizeof(*m->memcg))))
		return mm_error_set(e, -ENOMEM, "out of memory");
	if (mem_cgroup_from_name(m, name))
		return mm_error_set(e, -EEXIST, "a memory cgroup \"%s\" exists", name);
	if (m->memcg->nr >= MEMCG_MAX_GROUPS)
		return mm_error_set(e, -ENOSPC, "at most %d memory cgroups", MEMCG_MAX_GROUPS);
	if (m->memcg->nr == m->memcg->cap && memcg_grow(m))
		return mm_error_set(e, -ENOMEM, "out of memory");
	memcg = &m->memcg->v[m->memcg->nr++];
	memset(memcg, 0, sizeof(*memcg));
	snprintf(memcg->name, sizeof(memcg->name), "%s", name);
	memcg->id = m->memcg->nr;
	memcg->memory.max = max_pages < PAGE_COUNTER_MAX ? max_pages : PAGE_COUNTER_MAX;
	for (unsigned int n = 0; n < m->nr_nodes; n++)
		lruvec_init(&m->memcg->lruvecs[(size_t)(memcg->id - 1) * m->nr_nodes + n],
			    (int)memcg->id, (int)n);
	*id = memcg->id;
	return 0;
}

int mm_memcg_lookup(const struct machine *m, const char *name, uint32_t *id)
{
	const struct mem_cgroup *memcg;

	*id = 0;
	if (!name[0] || !strcmp(name, "/"))
		return 0;
	memcg = mem_cgroup_from_name(m, name);
	if (!memcg)
		return -ENOENT;
	*id = memcg->id;
	return 0;
}

/* cgroup.procs written: @pid goes to group @name ("" or "/": the root). Charges stay. */
int mm_memcg_attach(struct machine *m, int pid, const char *name, struct mm_error *e)
{
	struct mm_struct *mm = find_mm(m, pid);
	struct mem_cgroup *memcg = NULL;

	if (!mm)
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	if (name[0] && strcmp(name, "/") && !(memcg = mem_cgroup_from_name(m, name)))
		return mm_error_set(e, -ENOENT, "no memory cgroup \"%s\"", name);
	mm->memcg_id = memcg ? memcg->id : 0;
	return 0;
}

/*** The page counter (mm/page_counter.c) ***/

static bool page_counter_try_charge(struct page_counter *c, uint64_t nr_pages)
{
	uint64_t usage = c->usage + nr_pages;

	if (usage > c->max) {
		c->failcnt++;
		return false;
	}
	c->usage = usage;
	if (usage > c->watermark)
		c->watermark = usage;
	return true;
}

/* page_counter_charge(): past max if it must (a forced charge). */
static void page_counter_charge(struct page_counter *c, uint64_t nr_pages)
{
	c->usage += nr_pages;
	if (c->usage > c->watermark)
		c->watermark = c->usage;
}

static void page_counter_uncharge(struct page_counter *c, uint64_t nr_pages)
{
	SIM_BUG_ON(c->usage < nr_pages);
	c->usage -= nr_pages;
}

/* mem_cgroup_margin(): pages the group may still charge. */
static uint64_t mem_cgroup_margin(const struct mem_cgroup *memcg)
{
	return memcg->memory.usage < memcg->memory.max ? memcg->memory.max - memcg->memory.usage
						       : 0;
}

void memcg_memory_event(struct machine *m, uint32_t memcg_id, enum memcg_memory_event ev)
{
	struct mem_cgroup *memcg = mem_cgroup_from_id(m, memcg_id);

	if (memcg)
		memcg->memory_events[ev]++;
}

/* mem_cgroup_get_max(): memory.max, and all of swap (swap.max is "max") while swappiness allows. */
uint64_t mem_cgroup_get_max(const struct machine *m, uint32_t memcg_id)
{
	const struct mem_cgroup *memcg = mem_cgroup_from_id(m, memcg_id);

	if (!memcg)
		return 0;
	return memcg->memory.max + (m->swappiness ? total_swap_pages(m) : 0);
}

static void memcg_reclaim_event(struct machine *m, int type, gfp_t gfp, int64_t nr,
				uint32_t memcg_id)
{
	struct mm_event ev;
	char text[128];

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	if (type == MM_EV_mm_vmscan_memcg_reclaim_begin) {
		gfp_format(gfp, text, sizeof(text));
		ev.order = 0;
		ev.gfp = gfp;
		snprintf(m->detail, sizeof(m->detail), "order=0 gfp_flags=%s", text);
	} else {
		ev.value = nr;
		snprintf(m->detail, sizeof(m->detail), "nr_reclaimed=%lld", (long long)nr);
	}
	ev.size = memcg_id;	/* which group: not a field of the tracepoint */
	ev.detail = m->detail;
	emit(m, &ev);
}

/*
 * memcg_reclaim() - reclaim inside a group at its limit: vmscan.c's
 * try_to_free_mem_cgroup_pages() scans the group's lruvecs only, between the
 * mm_vmscan_memcg_reclaim_begin and _end tracepoints that the kernel's
 * try_to_free_mem_cgroup_pages() emits. Anonymous pages may go to swap.
 */
static uint64_t memcg_reclaim(struct machine *m, uint32_t memcg_id, uint64_t nr_pages, gfp_t gfp)
{
	uint64_t nr;

	memcg_reclaim_event(m, MM_EV_mm_vmscan_memcg_reclaim_begin, gfp, 0, memcg_id);
	nr = try_to_free_mem_cgroup_pages(m, (int)memcg_id, (unsigned long)nr_pages, gfp, true);
	memcg_reclaim_event(m, MM_EV_mm_vmscan_memcg_reclaim_end, gfp, (int64_t)nr, memcg_id);
	return nr;
}

/*** The group OOM ***/

/*
 * mem_cgroup_out_of_memory(): out_of_memory() for the group, unless the
 * margin came back meanwhile. True when there is progress to retry for: a
 * kill, or the allocating task already on its way out.
 */
static bool mem_cgroup_out_of_memory(struct machine *m, struct mem_cgroup *memcg, gfp_t gfp,
				     int order, int cpu)
{
	struct oom_control oc = { .gfp_mask = gfp, .order = order, .cpu = cpu,
				  .memcg_id = (int)memcg->id };
	struct mm_struct *cur;

	if (mem_cgroup_margin(memcg) >= (1ULL << order))
		return true;
	if (!out_of_memory(m, &oc))
		return false;
	cur = oom_current(m, cpu);
	return oc.killed || (cur && cur->oom_victim);
}

/* mem_cgroup_oom(): not for costly orders; memory.events oom counts each try. */
static bool mem_cgroup_oom(struct machine *m, struct mem_cgroup *memcg, gfp_t gfp, int order,
			   int cpu)
{
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		return false;
	memcg->memory_events[MEMCG_OOM]++;
	return mem_cgroup_out_of_memory(m, memcg, gfp, order, cpu);
}

/* task_is_dying(): the allocating task got the OOM killer's SIGKILL. */
static bool task_is_dying(const struct machine *m, int cpu)
{
	const struct mm_struct *cur = oom_current(m, cpu);

	return cur && cur->oom_victim;
}

static int get_order_of(uint64_t nr_pages)
{
	int order = 0;

	while ((1ULL << order) < nr_pages)
		order++;
	return order;
}

/*
 * try_charge_memcg() - charge @nr_pages to @memcg. At memory.max: raise
 * memory.events max, reclaim inside the group, and retry while the margin
 * comes back or reclaim makes progress, MAX_RECLAIM_RETRIES times; then the
 * group OOM, retried as long as it kills. __GFP_NORETRY and
 * __GFP_RETRY_MAYFAIL give up before the OOM; a refused charge is forced
 * past max for __GFP_NOFAIL and __GFP_HIGH. Kernel: mm/memcontrol.c.
 */
static int try_charge_memcg(struct machine *m, struct mem_cgroup *memcg, gfp_t gfp,
			    uint64_t nr_pages, int cpu)
{
	int nr_retries = MAX_RECLAIM_RETRIES;
	bool passed_oom = false, raised_max_event = false;
	uint64_t nr_reclaimed;

retry:
	if (page_counter_try_charge(&memcg->memory, nr_pages))
		return 0;
	if (m->in_reclaim)		/* PF_MEMALLOC: reclaim's own pages may go past max */
		goto force;
	if (!(gfp & __GFP_DIRECT_RECLAIM))
		goto nomem;
	memcg->memory_events[MEMCG_MAX]++;
	raised_max_event = true;
	nr_reclaimed = memcg_reclaim(m, memcg->id, nr_pages, gfp);
	if (mem_cgroup_margin(memcg) >= nr_pages)
		goto retry;
	if (gfp & __GFP_NORETRY)
		goto nomem;
	if (nr_reclaimed && nr_pages <= (1ULL << PAGE_ALLOC_COSTLY_ORDER))
		goto retry;
	if (nr_retries--)
		goto retry;
	if (gfp & __GFP_RETRY_MAYFAIL)
		goto nomem;
	if (passed_oom && task_is_dying(m, cpu))
		goto nomem;
	if (mem_cgroup_oom(m, memcg, gfp, get_order_of(nr_pages), cpu)) {
		passed_oom = true;
		nr_retries = MAX_RECLAIM_RETRIES;
		goto retry;
	}
nomem:
	if (!(gfp & (__GFP_NOFAIL | __GFP_HIGH)))
		return -ENOMEM;
force:
	if (!raised_max_event)
		memcg->memory_events[MEMCG_MAX]++;
	page_counter_charge(&memcg->memory, nr_pages);
	return 0;
}

int mem_cgroup_charge(struct machine *m, uint64_t pfn, uint32_t memcg_id, gfp_t gfp, int cpu)
{
	struct page *p = pfn_to_page(m, pfn);
	struct mem_cgroup *memcg = mem_cgroup_from_id(m, memcg_id);
	int err;

	p->folio.memcg_id = 0;
	if (!memcg)
		return 0;
	err = try_charge_memcg(m, memcg, gfp, 1, cpu);
	if (err)
		return err;
	p->folio.memcg_id = memcg_id;
	return 0;
}

uint32_t get_mem_cgroup_from_current(const struct machine *m, int cpu)
{
	const struct mm_struct *cur;

	if (m->active_memcg)
		return (uint32_t)(m->active_memcg - 1);
	cur = oom_current(m, cpu);
	return cur ? cur->memcg_id : 0;
}

int set_active_memcg(struct machine *m, int pid)
{
	const struct mm_struct *mm = pid > 0 ? find_mm(m, pid) : NULL;
	int old = m->active_memcg;

	m->active_memcg = mm ? (int)mm->memcg_id + 1 : 0;
	return old;
}

void mem_cgroup_uncharge(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	struct mem_cgroup *memcg = mem_cgroup_from_id(m, p->folio.memcg_id);

	SIM_BUG_ON(!memcg);
	page_counter_uncharge(&memcg->memory, 1);
	p->folio.memcg_id = 0;
}

/*** Reports: the OOM killer's lines, the cgroup files ***/

static void cgroup_path(const struct machine *m, uint32_t id, char *buf, size_t len)
{
	const struct mem_cgroup *memcg = mem_cgroup_from_id(m, id);

	snprintf(buf, len, "/%s", memcg ? memcg->name : "");
}

void mem_cgroup_print_oom_context(const struct machine *m, uint32_t oom_memcg,
				  uint32_t task_memcg, char *buf, size_t len)
{
	char a[MEMCG_NAME_LEN + 2], b[MEMCG_NAME_LEN + 2];

	cgroup_path(m, oom_memcg, a, sizeof(a));
	cgroup_path(m, task_memcg, b, sizeof(b));
	if (oom_memcg)
		snprintf(buf, len, ",oom_memcg=%s,task_memcg=%s", a, b);
	else
		snprintf(buf, len, ",global_oom,task_memcg=%s", b);
}

#define K(pages)	((pages) << (PAGE_SHIFT - 10))

/* The group's pages by kind, from the pages themselves and its lruvecs. */
struct memcg_stat {
	uint64_t anon, file;
	uint64_t lru[NR_LRU_LISTS];
};

static void memcg_stat_collect(const struct machine *m, uint32_t id, struct memcg_stat *st)
{
	memset(st, 0, sizeof(*st));
	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn++) {
		const struct page *p = &m->mem_map[pfn];

		if (!page_is_charged_kind(p) || p->folio.memcg_id != id)
			continue;
		if (folio_file_id(p) >= 0)
			st->file++;
		else
			st->anon++;
	}
	for (unsigned int n = 0; n < m->nr_nodes; n++)
		for (int lru = 0; lru < NR_LRU_LISTS; lru++)
			st->lru[lru] += m->memcg->lruvecs[(size_t)(id - 1) * m->nr_nodes + n]
					.lists[lru].nr;
}

void mem_cgroup_print_oom_meminfo(struct machine *m, uint32_t memcg_id,
				  void (*print)(struct machine *m, const char *fmt, ...))
{
	const struct mem_cgroup *memcg = mem_cgroup_from_id(m, memcg_id);
	struct memcg_stat st;

	if (!memcg)
		return;
	print(m, "memory: usage %" PRIu64 "kB, limit %" PRIu64 "kB, failcnt %" PRIu64,
	      K(memcg->memory.usage), K(memcg->memory.max), memcg->memory_events[MEMCG_MAX]);
	memcg_stat_collect(m, memcg_id, &st);
	print(m, "Memory cgroup stats for /%s:", memcg->name);
	print(m, "anon %" PRIu64, st.anon * PAGE_SIZE);
	print(m, "file %" PRIu64, st.file * PAGE_SIZE);
	for (int lru = 0; lru < NR_LRU_LISTS; lru++)
		print(m, "%s %" PRIu64, lru_list_name(lru), st.lru[lru] * PAGE_SIZE);
}

static void put_max(char *buf, size_t len, uint64_t pages)
{
	if (pages >= PAGE_COUNTER_MAX)
		snprintf(buf, len, "max\n");
	else
		snprintf(buf, len, "%" PRIu64 "\n", pages * PAGE_SIZE);
}

static char *memcg_events_text(const struct mem_cgroup *memcg)
{
	static const char *const names[MEMCG_NR_MEMORY_EVENTS] = {
		"low", "high", "max", "oom", "oom_kill", "oom_group_kill", "sock_throttled" };
	char *buf = malloc(512);
	size_t pos = 0;

	for (int i = 0; buf && i < MEMCG_NR_MEMORY_EVENTS; i++)
		pos += (size_t)snprintf(buf + pos, 512 - pos, "%s %" PRIu64 "\n", names[i],
					memcg->memory_events[i]);
	return buf;
}

static char *memcg_stat_text(const struct machine *m, const struct mem_cgroup *memcg)
{
	char *buf = malloc(1024);
	struct memcg_stat st;
	size_t pos = 0;

	if (!buf)
		return NULL;
	memcg_stat_collect(m, memcg->id, &st);
	pos += (size_t)snprintf(buf + pos, 1024 - pos, "anon %" PRIu64 "\nfile %" PRIu64 "\n",
				st.anon * PAGE_SIZE, st.file * PAGE_SIZE);
	for (int lru = 0; lru < NR_LRU_LISTS; lru++)
		pos += (size_t)snprintf(buf + pos, 1024 - pos, "%s %" PRIu64 "\n",
					lru_list_name(lru), st.lru[lru] * PAGE_SIZE);
	return buf;
}

static char *memcg_procs_text(const struct machine *m, const struct mem_cgroup *memcg)
{
	const struct x86_state *x = m->x86;
	size_t cap = 16 * (x->nr_mms + 1), pos = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (unsigned int i = 0; i < x->nr_mms; i++)
		if (x->mms[i].memcg_id == memcg->id)
			pos += (size_t)snprintf(buf + pos, cap - pos, "%d\n", x->mms[i].pid);
	return buf;
}

char *memcg_file_text(const struct machine *m, const char *name, const char *file)
{
	const struct mem_cgroup *memcg = mem_cgroup_from_name(m, name);
	char *buf;

	if (!memcg)
		return NULL;
	if (!strcmp(file, "memory.events"))
		return memcg_events_text(memcg);
	if (!strcmp(file, "memory.stat"))
		return memcg_stat_text(m, memcg);
	if (!strcmp(file, "cgroup.procs"))
		return memcg_procs_text(m, memcg);
	buf = malloc(32);
	if (!buf)
		return NULL;
	if (!strcmp(file, "memory.current"))
		snprintf(buf, 32, "%" PRIu64 "\n", memcg->memory.usage * PAGE_SIZE);
	else if (!strcmp(file, "memory.peak"))
		snprintf(buf, 32, "%" PRIu64 "\n", memcg->memory.watermark * PAGE_SIZE);
	else if (!strcmp(file, "memory.max"))
		put_max(buf, 32, memcg->memory.max);
	else {
		free(buf);
		return NULL;
	}
	return buf;
}

int mm_memcg_info(const struct machine *m, unsigned int idx, struct mm_memcg_info *mi)
{
	const struct mem_cgroup *memcg;
	struct memcg_stat st;

	if (!m->memcg || idx >= m->memcg->nr)
		return -ENOENT;
	memcg = &m->memcg->v[idx];
	memset(mi, 0, sizeof(*mi));
	memcpy(mi->name, memcg->name, sizeof(mi->name));
	mi->id = memcg->id;
	mi->current = memcg->memory.usage;
	mi->max = memcg->memory.max >= PAGE_COUNTER_MAX ? 0 : memcg->memory.max;
	mi->peak = memcg->memory.watermark;
	mi->failcnt = memcg->memory.failcnt;
	memcpy(mi->events, memcg->memory_events, sizeof(mi->events));
	memcg_stat_collect(m, memcg->id, &st);
	mi->anon = st.anon;
	mi->file = st.file;
	memcpy(mi->lru, st.lru, sizeof(mi->lru));
	for (unsigned int i = 0; i < m->x86->nr_mms; i++)
		mi->nr_procs += m->x86->mms[i].memcg_id == memcg->id;
	return 0;
}

/*** State: clone, snapshot, check ***/

int memcg_state_clone(struct machine *c, const struct machine *m)
{
	const struct memcg_state *s = m->memcg;

	c->memcg = NULL;
	if (!s)
		return 0;
	if (!(c->memcg = calloc(1, sizeof(*c->memcg))))
		return -ENOMEM;
	c->memcg->v = malloc((s->cap ? s->cap : 1) * sizeof(*s->v));
	c->memcg->lruvecs = malloc((s->cap ? s->cap : 1) * m->nr_nodes * sizeof(*s->lruvecs));
	if (!c->memcg->v || !c->memcg->lruvecs)
		return -ENOMEM;
	c->memcg->nr = s->nr;
	c->memcg->cap = s->cap;
	if (s->nr) {
		memcpy(c->memcg->v, s->v, s->nr * sizeof(*s->v));
		memcpy(c->memcg->lruvecs, s->lruvecs, s->nr * m->nr_nodes * sizeof(*s->lruvecs));
	}
	return 0;
}

void memcg_state_release(struct machine *m)
{
	if (!m->memcg)
		return;
	free(m->memcg->v);
	free(m->memcg->lruvecs);
	free(m->memcg);
	m->memcg = NULL;
}

void memcg_state_save(struct snap_writer *w, const struct machine *m)
{
	const struct memcg_state *s = m->memcg;

	snap_put_struct(w, s, sizeof(*s));
	if (!s)
		return;
	snap_put_array(w, s->v, s->nr * sizeof(*s->v));
	snap_put_array(w, s->lruvecs, s->nr * m->nr_nodes * sizeof(*s->lruvecs));
}

void memcg_state_load(struct snap_reader *r, struct machine *m)
{
	struct memcg_state *s = snap_get_struct(r, sizeof(*s));

	m->memcg = s;
	if (!s)
		return;
	s->v = NULL;
	s->lruvecs = NULL;
	if (s->nr > s->cap || s->cap > 2 * MEMCG_MAX_GROUPS) {
		r->err = -EPROTO;
		return;
	}
	s->v = snap_get_array(r, (s->cap ? s->cap : 1) * sizeof(*s->v));
	s->lruvecs = snap_get_array(r, (s->cap ? s->cap : 1) * m->nr_nodes * sizeof(*s->lruvecs));
}

/* M3 for one list of one group's lruvec. */
static unsigned long check_memcg_list(const struct machine *m, const struct lruvec *l, int lru,
				      mm_violation_fn fn, void *ctx)
{
	const struct list_head *h = &l->lists[lru];
	uint32_t pfn = h->first, prev = PFN_NIL;
	unsigned long bad = 0;
	uint64_t len = 0;

	while (pfn != PFN_NIL && len <= m->max_pfn) {
		const struct page *p;

		if (pfn >= m->max_pfn)	/* report it, read no struct page past the end */
			return bad + mm_report(fn, ctx, "M3: memcg %d node %d %s links to pfn %u "
					       "beyond the machine", l->memcg_id, l->node,
					       lru_list_name(lru), pfn);
		p = &m->mem_map[pfn];
		if (!page_test(p, PG_lru) || p->node != l->node || (int)folio_lru_list(p) != lru ||
		    p->folio.memcg_id != (uint32_t)l->memcg_id || p->prev != prev)
			bad += mm_report(fn, ctx, "M3: memcg %d node %d %s: pfn %u (memcg %u, node %u, "
					 "flags 0x%x) does not belong there", l->memcg_id, l->node,
					 lru_list_name(lru), pfn, p->folio.memcg_id, p->node, p->flags);
		prev = pfn;
		pfn = p->next;
		len++;
	}
	if (len != h->nr || h->last != prev)
		bad += mm_report(fn, ctx, "M3: memcg %d node %d %s: %" PRIu64 " pages linked, nr says %"
				 PRIu64, l->memcg_id, l->node, lru_list_name(lru), len, h->nr);
	return bad;
}

unsigned long memcg_check(const struct machine *m, mm_violation_fn fn, void *ctx)
{
	const struct memcg_state *s = m->memcg;
	uint64_t counted[MEMCG_MAX_GROUPS + 1] = { 0 };
	unsigned long bad = 0;

	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn++) {
		const struct page *p = &m->mem_map[pfn];
		uint32_t id;

		if (!page_is_charged_kind(p) || !(id = p->folio.memcg_id))
			continue;
		if (!mem_cgroup_from_id(m, id))
			bad += mm_report(fn, ctx, "M2: pfn %" PRIu64 " carries memcg id %u, which does "
					 "not exist", pfn, id);
		else
			counted[id]++;
	}
	for (uint32_t i = 0; s && i < s->nr; i++) {
		const struct mem_cgroup *memcg = &s->v[i];

		if (memcg->memory.usage != counted[i + 1])
			bad += mm_report(fn, ctx, "M1: memcg %s: memory.current is %" PRIu64
					 " pages, %" PRIu64 " pages carry its id", memcg->name,
					 memcg->memory.usage, counted[i + 1]);
		if (memcg->id != i + 1 || memcg->memory.watermark < memcg->memory.usage)
			bad += mm_report(fn, ctx, "M4: memcg %s: id %u at %u, peak %" PRIu64 " usage %"
					 PRIu64, memcg->name, memcg->id, i + 1,
					 memcg->memory.watermark, memcg->memory.usage);
		for (unsigned int n = 0; n < m->nr_nodes; n++)
			for (int lru = 0; lru < NR_LRU_LISTS; lru++)
				bad += check_memcg_list(m, &s->lruvecs[(size_t)i * m->nr_nodes + n],
							lru, fn, ctx);
	}
	return bad;
}
