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
 *
 * Where the real free lists are known (the bundle's buddyinfo before and
 * after the trace, and the "buddyinfo Node N, zone Z ..." lines that
 * mmlab-capture --sample writes to trace_marker as it records), the model's
 * are read at the same point of the replay and the two compared, order by
 * order: distance = sum |nr_free_sim - nr_free_real| / sum (nr_free_sim +
 * nr_free_real) over the zones both have, 0 when equal, 1 when no order has
 * a block in both. As the model starts with every frame free, the change
 * since the first point is compared too, in the same way: sum |d_sim - d_real|
 * / sum (|d_sim| + |d_real|), where d is nr_free minus its first value.
 */
#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
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
	size_t points_cap;
};

int resim_buddyinfo_line(const char *s, int *node, char name[16], uint64_t *counts)
{
	int n = 0, k = 0;

	if (sscanf(s, " Node %d, zone %15s%n", node, name, &n) < 2 || !n)
		return -1;
	for (s += n; k < (int)MAX_NR_ORDERS; k++) {
		char *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!isdigit((unsigned char)*s))
			break;
		counts[k] = strtoull(s, &end, 10);
		s = end;
	}
	return k ? k : -1;
}

/* A new point at @seq, or NULL when out of memory (the comparison stops there). */
static struct resim_point *point_new(struct resim *r, uint64_t seq, uint64_t ts, const char *source)
{
	struct resim_figures *f = r->f;
	struct resim_point *p;

	if (f->npoints == r->points_cap) {
		size_t cap = r->points_cap ? r->points_cap * 2 : 16;
		struct resim_point *n = realloc(f->points, cap * sizeof(*n));

		if (!n)
			return NULL;
		f->points = n;
		r->points_cap = cap;
	}
	p = &f->points[f->npoints++];
	memset(p, 0, sizeof(*p));
	p->seq = seq;
	p->ts_ns = ts;
	p->source = source;
	return p;
}

/* A buddyinfo line into @p, with the model's free lists of that zone now. */
static void point_zone(struct resim *r, struct resim_point *p, const char *line)
{
	struct resim_bi_zone z = { 0 };
	struct zone_info zi;
	int i;

	z.orders = resim_buddyinfo_line(line, &z.node, z.name, z.real);
	if (z.orders < 0)
		return;
	for (int t = 0; t < MAX_NR_ZONES && !z.matched; t++)
		if (machine_zone_info(r->m, z.node, t, &zi) == 0 && !strcmp(zi.name, z.name)) {
			z.matched = true;
			memcpy(z.sim, zi.nr_free, sizeof(z.sim));
		}
	for (i = 0; i < p->nz; i++)	/* a zone sampled again: the later line */
		if (p->z[i].node == z.node && !strcmp(p->z[i].name, z.name))
			break;
	if (i == RESIM_POINT_ZONES)
		return;
	p->z[i] = z;
	if (i == p->nz)
		p->nz++;
}

/* Whether @p has the zone of buddyinfo line @line already. */
static bool point_has(const struct resim_point *p, const char *line)
{
	uint64_t counts[MAX_NR_ORDERS];
	char name[16];
	int node;

	if (resim_buddyinfo_line(line, &node, name, counts) < 0)
		return false;
	for (int i = 0; i < p->nz; i++)
		if (p->z[i].node == node && !strcmp(p->z[i].name, name))
			return true;
	return false;
}

static void point_text(struct resim *r, struct resim_point *p, const char *text)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		point_zone(r, p, l);
}

static double ratio(double part, double whole)
{
	return whole > 0 ? part / whole : 0.0;
}

static void point_distances(struct resim_figures *f)
{
	const struct resim_point *first = f->npoints ? &f->points[0] : NULL;

	for (size_t k = 0; k < f->npoints; k++) {
		struct resim_point *p = &f->points[k];
		double diff = 0, sum = 0, cdiff = 0, csum = 0;

		for (int i = 0; i < p->nz; i++) {
			struct resim_bi_zone *z = &p->z[i];
			const struct resim_bi_zone *z0 = NULL;
			double zd = 0, zs = 0;

			if (!z->matched)
				continue;
			for (int j = 0; j < first->nz && !z0; j++)
				if (first->z[j].matched && first->z[j].node == z->node &&
				    !strcmp(first->z[j].name, z->name))
					z0 = &first->z[j];
			for (int o = 0; o < z->orders; o++) {
				double sim = (double)z->sim[o], real = (double)z->real[o];

				zd += fabs(sim - real);
				zs += sim + real;
				if (z0 && o < z0->orders) {
					double ds = sim - (double)z0->sim[o], dr = real - (double)z0->real[o];

					cdiff += fabs(ds - dr);
					csum += fabs(ds) + fabs(dr);
				}
			}
			z->distance = ratio(zd, zs);
			diff += zd;
			sum += zs;
		}
		p->distance = ratio(diff, sum);
		p->change_distance = ratio(cdiff, csum);
	}
}

void resim_figures_release(struct resim_figures *f)
{
	free(f->points);
	f->points = NULL;
	f->npoints = 0;
}

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
		     const struct resim_zone *zones, int nr_zones,
		     const struct resim_buddyinfo *bi, struct resim_figures *f,
		     struct mm_error *e)
{
	struct machine_config cfg;
	struct resim r = { .zones = zones, .nr_zones = nr_zones, .f = f };
	sqlite3_stmt *st;
	struct timespec t0, t1;
	int err, marker = -1;
	long long group = -1;	/* the point the trace_marker lines of one sample fill */

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
	if (sqlite3_prepare_v2(db, "SELECT id FROM event_types WHERE name = 'tracing_mark_write'",
			       -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			marker = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (bi && bi->before) {
		struct resim_point *p = point_new(&r, 0, bi->first_ts, "before");

		if (p)
			point_text(&r, p, bi->before);
	}
	if (sqlite3_prepare_v2(db, "SELECT seq, type, pfn, coalesce(\"order\", 0), "
			       "coalesce(migratetype, -1), coalesce(gfp, 0), coalesce(cpu, 0), vaddr, "
			       "coalesce(size, 0), coalesce(value, 0), "
			       "CASE WHEN type = ?7 THEN detail END, CASE WHEN type = ?7 THEN "
			       "(SELECT ts_ns FROM trace_events t WHERE t.session_id = events.session_id "
			       "AND t.seq = events.seq) END FROM events WHERE session_id = ?1 "
			       "AND type IN (?2, ?3, ?4, ?5, ?6, ?7) ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
		machine_destroy(r.m);
		resim_figures_release(f);
		return mm_error_set(e, -EIO, "cannot read the trace: %s", sqlite3_errmsg(db));
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, MM_EV_mm_page_alloc);
	sqlite3_bind_int(st, 3, MM_EV_mm_page_free);
	sqlite3_bind_int(st, 4, MM_EV_kmalloc);
	sqlite3_bind_int(st, 5, MM_EV_kfree);
	sqlite3_bind_int(st, 6, MM_EV_mm_page_alloc_extfrag);
	sqlite3_bind_int(st, 7, marker);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int type = sqlite3_column_int(st, 1);

		if (type == marker) {
			const char *text = (const char *)sqlite3_column_text(st, 10);
			struct resim_point *p;

			if (!text || strncmp(text, "buddyinfo ", 10))
				continue;
			if (group >= 0 && point_has(&f->points[group], text + 10))
				group = -1;	/* that zone again: the next sample */
			if (group < 0) {
				p = point_new(&r, (uint64_t)sqlite3_column_int64(st, 0),
					      (uint64_t)sqlite3_column_int64(st, 11), "marker");
				group = p ? (long long)(p - f->points) : -1;
			}
			if (group >= 0)
				point_zone(&r, &f->points[group], text + 10);
			continue;
		}
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
	if (bi && bi->after) {
		struct resim_point *p = point_new(&r, bi->last_seq, bi->last_ts, "after");

		if (p)
			point_text(&r, p, bi->after);
	}
	point_distances(f);
	f->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	sqlite3_finalize(st);
	free(r.pages.e);
	free(r.objs.e);
	machine_destroy(r.m);
	malloc_trim(0);	/* a real machine's layout is large: give its pages back now */
	return 0;
}
