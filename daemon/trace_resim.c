/*
 * trace_resim.c - a real kernel's requests replayed through the simulated
 * allocator, to measure where the model and the kernel agree.
 *
 * A machine of the trace's layout (its zoneinfo, or the span of its pfns)
 * is built fresh and every request of the trace applied in order:
 * mm_page_alloc as mm_alloc_pages() with the trace's order, gfp_flags and
 * CPU; mm_page_free of a block the replay allocated as mm_free_pages();
 * kmalloc and kfree likewise (kmalloc_large included). A free of a block
 * the trace did not see allocated (it was allocated before the trace began)
 * cannot be replayed: it is counted. Agreement is counted per allocation:
 * both succeeded, the same pfn, the same zone, the same migratetype, and
 * whether both fell back to another migratetype's free blocks: an
 * mm_page_alloc_extfrag of the kernel counts for the next mm_page_alloc on
 * its CPU, one of the model for the allocation during which it came.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "daemon/trace_resim.h"
#include "mmlab.h"

/* real key (pfn or pointer) -> the model's (pfn or address, order) */
struct map_ent {
	uint64_t key, val;
	int order;
	bool used;
};

struct map {
	struct map_ent *e;
	size_t cap, n;
};

static uint64_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static struct map_ent *map_slot(struct map *m, uint64_t key)
{
	size_t i = hash64(key) & (m->cap - 1);

	while (m->e[i].used && m->e[i].key != key)
		i = (i + 1) & (m->cap - 1);
	return &m->e[i];
}

static bool map_put(struct map *m, uint64_t key, uint64_t val, int order)
{
	struct map_ent *s;

	if ((m->n + 1) * 2 > m->cap) {
		struct map old = *m;

		m->cap = m->cap ? m->cap * 2 : 1024;
		m->e = calloc(m->cap, sizeof(*m->e));
		if (!m->e) {
			*m = old;
			return false;
		}
		m->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.e[i].used)
				map_put(m, old.e[i].key, old.e[i].val, old.e[i].order);
		free(old.e);
	}
	s = map_slot(m, key);
	if (!s->used)
		m->n++;
	*s = (struct map_ent){ key, val, order, true };
	return true;
}

/* Take @key out (backward-shift deletion); false when absent. */
static bool map_take(struct map *m, uint64_t key, uint64_t *val, int *order)
{
	struct map_ent *s;
	size_t i, j;

	if (!m->cap)
		return false;
	s = map_slot(m, key);
	if (!s->used)
		return false;
	*val = s->val;
	*order = s->order;
	i = (size_t)(s - m->e);
	s->used = false;
	m->n--;
	for (j = (i + 1) & (m->cap - 1); m->e[j].used; j = (j + 1) & (m->cap - 1)) {
		struct map_ent e = m->e[j];

		m->e[j].used = false;
		m->n--;
		map_put(m, e.key, e.val, e.order);
	}
	return true;
}

struct resim {
	struct machine *m;
	uint64_t model_extfrag;		/* the model's mm_page_alloc_extfrag events so far */
	bool kernel_extfrag[MACHINE_MAX_CPUS];	/* the kernel's, waiting for their mm_page_alloc */
	unsigned int cpus;
	const struct resim_zone *zones;
	int nr_zones;
	struct map pages, objs;
	struct resim_figures *f;
};

static const char *real_zone(const struct resim *r, uint64_t pfn)
{
	for (int i = 0; i < r->nr_zones; i++)
		if (pfn >= r->zones[i].start && pfn < r->zones[i].end)
			return r->zones[i].name;
	return NULL;
}

static void page_alloc(struct resim *r, sqlite3_stmt *st)
{
	struct resim_figures *f = r->f;
	struct alloc_pages_result res;
	struct mm_error e = { 0 };
	bool real_ok = sqlite3_column_type(st, 2) != SQLITE_NULL;
	uint64_t pfn = (uint64_t)sqlite3_column_int64(st, 2);
	int order = sqlite3_column_int(st, 3), mt = sqlite3_column_int(st, 4);
	gfp_t gfp = (gfp_t)sqlite3_column_int64(st, 5);
	int cpu = sqlite3_column_int(st, 6) % (int)r->cpus;
	int real_cpu = sqlite3_column_int(st, 6) & (MACHINE_MAX_CPUS - 1);
	uint64_t extfrag = r->model_extfrag;
	bool sim_ok, kf = r->kernel_extfrag[real_cpu], mf;

	f->allocs++;
	r->kernel_extfrag[real_cpu] = false;
	sim_ok = mm_alloc_pages(r->m, gfp, (unsigned int)order, -1, cpu, &res, &e) == 0;
	mf = r->model_extfrag != extfrag;
	if (!sim_ok && e.err == -EINVAL) {
		f->allocs_refused_flags++;
		return;
	}
	f->both_ok += real_ok && sim_ok;
	f->kernel_only += real_ok && !sim_ok;
	f->model_only += !real_ok && sim_ok;
	if (!real_ok || !sim_ok) {
		if (sim_ok)	/* the kernel failed it: give the model's block back */
			mm_free_pages(r->m, res.pfn, (unsigned int)order, cpu, NULL);
		return;
	}
	f->same_pfn += res.pfn == pfn;
	f->kernel_fallbacks += kf;
	f->model_fallbacks += mf;
	f->both_fallback += kf && mf;
	f->same_fallback += kf == mf;
	f->same_mt += res.migratetype == mt;
	if (real_zone(r, pfn)) {
		f->zone_known++;
		f->same_zone += !strcmp(real_zone(r, pfn), zone_type_name(res.zone));
	}
	if (!map_put(&r->pages, pfn, res.pfn, order))
		mm_free_pages(r->m, res.pfn, (unsigned int)order, cpu, NULL);
}

static void page_free(struct resim *r, sqlite3_stmt *st)
{
	uint64_t sim;
	int order;

	r->f->frees++;
	if (!map_take(&r->pages, (uint64_t)sqlite3_column_int64(st, 2), &sim, &order)) {
		r->f->frees_before_trace++;
		return;
	}
	if (mm_free_pages(r->m, sim, (unsigned int)order, sqlite3_column_int(st, 6) % (int)r->cpus,
			  NULL) == 0)
		r->f->frees_replayed++;
}

static void obj_alloc(struct resim *r, sqlite3_stmt *st)
{
	struct kmalloc_result res;
	struct mm_error e = { 0 };
	uint64_t ptr = (uint64_t)sqlite3_column_int64(st, 7);
	uint64_t size = (uint64_t)sqlite3_column_int64(st, 8);
	uint64_t bytes_alloc = (uint64_t)sqlite3_column_int64(st, 9);

	r->f->kmallocs++;
	if (mm_kmalloc(r->m, size, (gfp_t)sqlite3_column_int64(st, 5),
		       sqlite3_column_int(st, 6) % (int)r->cpus, &res, &e)) {
		r->f->kmallocs_failed++;
		return;
	}
	r->f->kmallocs_ok++;
	r->f->same_bytes_alloc += res.bytes_alloc == bytes_alloc;
	map_put(&r->objs, ptr, res.addr, 0);
}

static void obj_free(struct resim *r, sqlite3_stmt *st)
{
	uint64_t sim;
	int order;

	r->f->kfrees++;
	if (!map_take(&r->objs, (uint64_t)sqlite3_column_int64(st, 7), &sim, &order)) {
		r->f->kfrees_before_trace++;
		return;
	}
	if (mm_kfree(r->m, sim, sqlite3_column_int(st, 6) % (int)r->cpus, NULL) == 0)
		r->f->kfrees_replayed++;
}

/* The model's events: only its migratetype fallbacks are counted. */
static void on_event(void *ctx, const struct mm_event *ev)
{
	struct resim *r = ctx;

	if (ev->type == MM_EV_mm_page_alloc_extfrag)
		r->model_extfrag++;
}

int trace_resimulate(sqlite3 *db, int64_t id, const char *machine_json,
		     const struct resim_zone *zones, int nr_zones, struct resim_figures *f,
		     struct mm_error *e)
{
	struct machine_config cfg;
	struct resim r = { .zones = zones, .nr_zones = nr_zones, .f = f };
	sqlite3_stmt *st;
	struct timespec t0, t1;
	int err;

	memset(f, 0, sizeof(*f));
	machine_config_defaults(&cfg);
	err = machine_config_parse(&cfg, machine_json, 0, e);
	if (err)
		return err;
	r.m = machine_create(&cfg, NULL, NULL, e);
	machine_config_release(&cfg);
	if (!r.m)
		return e->err ? e->err : -ENOMEM;
	machine_set_event_fn(r.m, on_event, &r);
	r.cpus = machine_nr_cpus(r.m);
	if (sqlite3_prepare_v2(db, "SELECT seq, type, pfn, coalesce(\"order\", 0), "
			       "coalesce(migratetype, -1), coalesce(gfp, 0), coalesce(cpu, 0), vaddr, "
			       "coalesce(size, 0), coalesce(value, 0) FROM events WHERE session_id = ? "
			       "AND type IN (?, ?, ?, ?, ?) ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
		machine_destroy(r.m);
		return mm_error_set(e, -EIO, "cannot read the trace: %s", sqlite3_errmsg(db));
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, MM_EV_mm_page_alloc);
	sqlite3_bind_int(st, 3, MM_EV_mm_page_free);
	sqlite3_bind_int(st, 4, MM_EV_kmalloc);
	sqlite3_bind_int(st, 5, MM_EV_kfree);
	sqlite3_bind_int(st, 6, MM_EV_mm_page_alloc_extfrag);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int type = sqlite3_column_int(st, 1);

		if (type == MM_EV_mm_page_alloc_extfrag) {	/* for the CPU's next mm_page_alloc */
			r.kernel_extfrag[sqlite3_column_int(st, 6) & (MACHINE_MAX_CPUS - 1)] = true;
			continue;
		}
		f->requests++;
		if (type == MM_EV_mm_page_alloc)
			page_alloc(&r, st);
		else if (type == MM_EV_mm_page_free && sqlite3_column_type(st, 2) != SQLITE_NULL)
			page_free(&r, st);
		else if (type == MM_EV_kmalloc && sqlite3_column_type(st, 7) != SQLITE_NULL)
			obj_alloc(&r, st);
		else if (type == MM_EV_kfree && sqlite3_column_type(st, 7) != SQLITE_NULL)
			obj_free(&r, st);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	f->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	sqlite3_finalize(st);
	free(r.pages.e);
	free(r.objs.e);
	machine_destroy(r.m);
	malloc_trim(0);	/* a real machine's layout is large: give its pages back now */
	return 0;
}
