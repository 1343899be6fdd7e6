/*
 * snapshot.c - a whole machine as a byte stream, and back.
 *
 * Design notes
 *  A snapshot lets a replay start near its target after the process that
 *  made it has gone: the daemon stores one every few ops. The stream follows
 *  machine_clone() array by array: every structure is written as its bytes,
 *  and every array it points to follows as a length and its used bytes.
 *  Lists link pfns and slot numbers, never pointers, so nothing inside needs
 *  fixing up; on load the pointers read back are cleared before anything can
 *  look at them, then set to the arrays read after them.
 *
 *  The format is this engine build's own: the header names the build (a hash
 *  of the engine's sources, engine/build_id.h), and a stream from another
 *  build, a short one or one whose checksum (FNV-1a) does not match is refused
 *  (-EPROTO) before the machine is handed out. The caller then replays from
 *  the op log instead: a snapshot is a cache, never the record.
 *
 *    "MMLABSNP" | format u32 | build char[64] | machine ... | checksum u64
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pgtable.h"
#include "slab.h"
#include "swiotlb.h"
#include "lru.h"
#include "swap.h"
#include "oom.h"
#include "memcontrol.h"
#include "engine/build_id.h"

#define SNAP_MAGIC	"MMLABSNP"
/*
 * 2: compaction's state joined the machine's own structures (struct zone's
 * scanner positions and deferral, pg_data_t's kcompactd, the compaction
 * sysctls in struct machine, the skip and isolate bits of pageblock_mt).
 */
/*
 * 3: the clock (struct machine's jiffies) and kcompactd's timeout
 * (pg_data_t's kcompactd_timeout, for the ends of ops it waited).
 */
/* 4: the checksum takes long pieces in four lanes (fnv1a()). */
#define SNAP_FORMAT	4u
#define SNAP_BUILD_LEN	64
#define SNAP_NULL	UINT64_MAX		/* the length of an absent array */
#define SNAP_MAX_ARRAY	(UINT64_C(1) << 34)	/* no machine has a bigger array */
#define FNV_OFFSET	UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME	UINT64_C(0x100000001b3)

const char *machine_snapshot_build(void)
{
	return MMLAB_ENGINE_BUILD;
}

/*
 * FNV-1a over 64-bit words (then the tail bytes): a checksum, not a defence.
 * A long piece goes through four lanes, word i into lane i % 4, folded into
 * the running sum at its end: one lane's chain of multiplies made the sum of
 * a 4 GiB machine's 64 MiB struct page array take about 20 ms, a third of a
 * live snapshot's cost beside its compression.
 */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i = 0;

	if (n >= 64) {
		uint64_t lane[4] = { h, h ^ 1, h ^ 2, h ^ 3 };

		for (; i + 32 <= n; i += 32)
			for (int k = 0; k < 4; k++) {
				uint64_t w;

				memcpy(&w, b + i + 8 * k, 8);
				lane[k] = (lane[k] ^ w) * FNV_PRIME;
			}
		for (int k = 0; k < 4; k++)
			h = (h ^ lane[k]) * FNV_PRIME;
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = (h ^ w) * FNV_PRIME;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

/*** Writing ***/

void snap_put(struct snap_writer *w, const void *p, size_t n)
{
	if (w->err || !n)
		return;
	w->sum = fnv1a(w->sum, p, n);
	w->err = w->fn(w->ctx, p, n);
}

void snap_put_array(struct snap_writer *w, const void *p, size_t n)
{
	uint64_t len = p ? n : SNAP_NULL;

	snap_put(w, &len, sizeof(len));
	if (p)
		snap_put(w, p, n);
}

/* A structure that may be absent (a unit not set up yet): a mark, then its bytes. */
void snap_put_struct(struct snap_writer *w, const void *p, size_t size)
{
	uint8_t present = p != NULL;

	snap_put(w, &present, 1);
	if (p)
		snap_put(w, p, size);
}

/*** Reading ***/

void snap_get(struct snap_reader *r, void *p, size_t n)
{
	if (r->err || !n)
		return;
	r->err = r->fn(r->ctx, p, n);
	if (r->err)
		memset(p, 0, n);
	else
		r->sum = fnv1a(r->sum, p, n);
}

static void *get_array(struct snap_reader *r, size_t alloc, bool optional)
{
	uint64_t len = SNAP_NULL;
	uint8_t *p;

	snap_get(r, &len, sizeof(len));
	if (r->err || (len == SNAP_NULL && optional))
		return NULL;
	if (len == SNAP_NULL)
		len = 0;
	if (len > SNAP_MAX_ARRAY || alloc > SNAP_MAX_ARRAY) {
		r->err = -EPROTO;
		return NULL;
	}
	if (alloc < len)
		alloc = len;
	p = calloc(1, alloc ? alloc : 1);
	if (!p) {
		r->err = -ENOMEM;
		return NULL;
	}
	snap_get(r, p, len);
	return p;
}

void *snap_get_struct(struct snap_reader *r, size_t size)
{
	uint8_t present = 0;
	void *p;

	snap_get(r, &present, 1);
	if (r->err || !present)
		return NULL;
	p = calloc(1, size);
	if (!p) {
		r->err = -ENOMEM;
		return NULL;
	}
	snap_get(r, p, size);
	if (r->err) {
		free(p);
		return NULL;
	}
	return p;
}

/* The struct page array, into a mapping of its own (mem_map_alloc()). */
static struct page *get_mem_map(struct snap_reader *r, uint64_t nr_pages)
{
	uint64_t len = SNAP_NULL;
	struct page *p;

	snap_get(r, &len, sizeof(len));
	if (r->err)
		return NULL;
	if (len != nr_pages * sizeof(struct page)) {
		r->err = -EPROTO;
		return NULL;
	}
	p = mem_map_alloc(nr_pages);
	if (!p) {
		r->err = -ENOMEM;
		return NULL;
	}
	snap_get(r, p, len);
	return p;
}

void *snap_get_array(struct snap_reader *r, size_t alloc)
{
	return get_array(r, alloc, false);
}

void *snap_get_optional(struct snap_reader *r, size_t alloc)
{
	return get_array(r, alloc, true);
}

/*** In memory ***/

struct membuf {
	uint8_t *p;
	size_t len, cap, off;
};

static int mem_write(void *ctx, const void *p, size_t n)
{
	struct membuf *b = ctx;

	if (n > b->cap - b->len) {
		size_t cap = (b->len + n) * 2;
		uint8_t *q = realloc(b->p, cap);

		if (!q)
			return -ENOMEM;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int mem_read(void *ctx, void *p, size_t n)
{
	struct membuf *b = ctx;

	if (n > b->len - b->off)
		return -EPROTO;
	memcpy(p, b->p + b->off, n);
	b->off += n;
	return 0;
}

int machine_save_mem(const struct machine *m, void **buf, size_t *len, struct mm_error *e)
{
	struct membuf b = { 0 };
	int err = machine_save(m, mem_write, &b, e);

	if (err) {
		free(b.p);
		return err;
	}
	*buf = b.p;
	*len = b.len;
	return 0;
}

struct machine *machine_load_mem(const void *buf, size_t len, struct mm_error *e)
{
	struct membuf b = { .p = (uint8_t *)buf, .len = len };

	return machine_load(mem_read, &b, e);
}

/*** The machine ***/

static uint64_t nr_pageblocks(const struct machine *m)
{
	uint64_t n = (m->max_pfn + pageblock_nr_pages - 1) >> pageblock_order;

	return n ? n : 1;
}

static void memblock_type_save(struct snap_writer *w, const struct memblock_type *t)
{
	snap_put_array(w, t->regions, t->cnt * sizeof(*t->regions));
}

static void memblock_type_load(struct snap_reader *r, struct memblock_type *t)
{
	t->regions = snap_get_array(r, t->max * sizeof(*t->regions));
	if (!r->err && t->max && !t->regions)
		r->err = -EPROTO;
}

int machine_save(const struct machine *m, mm_write_fn fn, void *ctx, struct mm_error *e)
{
	struct snap_writer w = { .fn = fn, .ctx = ctx, .sum = FNV_OFFSET };
	char build[SNAP_BUILD_LEN] = { 0 };
	uint32_t format = SNAP_FORMAT;
	unsigned int n;
	int zi;

	strncpy(build, MMLAB_ENGINE_BUILD, sizeof(build) - 1);
	snap_put(&w, SNAP_MAGIC, 8);
	snap_put(&w, &format, sizeof(format));
	snap_put(&w, build, sizeof(build));
	snap_put(&w, m, sizeof(*m));
	snap_put_array(&w, m->cfg.layout_zoneinfo,
		       m->cfg.layout_zoneinfo ? strlen(m->cfg.layout_zoneinfo) + 1 : 0);
	snap_put_array(&w, m->nodes, m->nr_nodes * sizeof(*m->nodes));
	for (n = 0; n < m->nr_nodes; n++) {
		const pg_data_t *pgdat = &m->nodes[n];

		snap_put_array(&w, pgdat->zonelist,
			       pgdat->nr_zonerefs * sizeof(*pgdat->zonelist));
		for (zi = 0; zi < MAX_NR_ZONES; zi++)
			snap_put_array(&w, pgdat->node_zones[zi].pcp,
				       m->nr_cpus * sizeof(struct per_cpu_pages));
	}
	snap_put_array(&w, m->cpu_to_node, m->nr_cpus * sizeof(int));
	snap_put_array(&w, m->mem_map, m->max_pfn * sizeof(struct page));
	snap_put_array(&w, m->pageblock_mt, nr_pageblocks(m));
	memblock_type_save(&w, &m->memblock.memory);
	memblock_type_save(&w, &m->memblock.reserved);
	slab_state_save(&w, m);
	vmalloc_state_save(&w, m);
	x86_state_save(&w, m);
	swiotlb_state_save(&w, m);	/* swiotlb.c: the bounce-buffer pool */
	lru_state_save(&w, m);		/* swap.c: files and anon_vmas (lru.h) */
	swap_state_save(&w, m);		/* swapfile.c: the swap device and its cache */
	oom_state_save(&w, m);		/* oom_kill.c: the OOM killer's log and counters */
	memcg_state_save(&w, m);	/* memcontrol.c: the groups and their lruvecs */
	if (!w.err) {
		uint64_t sum = w.sum;

		snap_put(&w, &sum, sizeof(sum));
	}
	if (w.err)
		return mm_error_set(e, w.err < 0 ? w.err : -EIO, "cannot write the snapshot");
	return 0;
}

uint64_t machine_mem_map_digest(const struct machine *m)
{
	uint64_t h = fnv1a(FNV_OFFSET, m->mem_map, m->max_pfn * sizeof(struct page));

	return fnv1a(h, m->pageblock_mt, nr_pageblocks(m));
}

/* Every pointer read back with the structure's bytes means nothing here. */
static void clear_machine_pointers(struct machine *c)
{
	c->cfg.layout_zoneinfo = NULL;
	c->event_fn = NULL;
	c->event_ctx = NULL;
	c->nodes = NULL;
	c->cpu_to_node = NULL;
	c->mem_map = NULL;
	c->pageblock_mt = NULL;
	c->memblock.memory.regions = NULL;
	c->memblock.reserved.regions = NULL;
	c->slab = NULL;
	c->vmalloc = NULL;
	c->x86 = NULL;
	c->swiotlb = NULL;
	c->files = NULL;
	c->anon_vmas = NULL;
	c->swap = NULL;
	c->oom = NULL;
	c->memcg = NULL;
}

/* Are the sizes the machine's own fields give consistent with each other? */
static bool machine_shape_ok(const struct machine *c)
{
	return c->nr_nodes >= 1 && c->nr_nodes <= MACHINE_MAX_NODES &&
	       c->nr_cpus >= 1 && c->nr_cpus <= MACHINE_MAX_CPUS && c->max_pfn &&
	       c->max_pfn <= SNAP_MAX_ARRAY / sizeof(struct page) &&
	       c->memblock.memory.cnt <= c->memblock.memory.max &&
	       c->memblock.reserved.cnt <= c->memblock.reserved.max;
}

struct machine *machine_load(mm_read_fn fn, void *ctx, struct mm_error *e)
{
	struct snap_reader r = { .fn = fn, .ctx = ctx, .sum = FNV_OFFSET };
	char magic[8], build[SNAP_BUILD_LEN], want[SNAP_BUILD_LEN] = { 0 };
	uint64_t sum, stored = 0;
	uint32_t format = 0;
	struct machine *c;
	unsigned int n;
	int zi;

	snap_get(&r, magic, sizeof(magic));
	snap_get(&r, &format, sizeof(format));
	snap_get(&r, build, sizeof(build));
	strncpy(want, MMLAB_ENGINE_BUILD, sizeof(want) - 1);
	if (r.err || memcmp(magic, SNAP_MAGIC, 8) || format != SNAP_FORMAT) {
		mm_error_set(e, -EPROTO, "not a machine snapshot");
		return NULL;
	}
	if (memcmp(build, want, sizeof(want))) {
		build[sizeof(build) - 1] = 0;
		mm_error_set(e, -EPROTO, "the snapshot is from engine build %s, this is %s",
			     build, want);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		mm_error_set(e, -ENOMEM, "out of memory");
		return NULL;
	}
	snap_get(&r, c, sizeof(*c));
	clear_machine_pointers(c);
	if (!r.err && !machine_shape_ok(c))
		r.err = -EPROTO;
	if (r.err) {
		c->nr_nodes = 0;
		goto fail;
	}
	c->cfg.layout_zoneinfo = snap_get_optional(&r, 0);
	c->nodes = snap_get_array(&r, c->nr_nodes * sizeof(*c->nodes));
	if (!c->nodes) {
		c->nr_nodes = 0;
		r.err = r.err ? r.err : -EPROTO;
		goto fail;
	}
	for (n = 0; n < c->nr_nodes; n++) {
		c->nodes[n].zonelist = NULL;
		for (zi = 0; zi < MAX_NR_ZONES; zi++)
			c->nodes[n].node_zones[zi].pcp = NULL;
	}
	for (n = 0; n < c->nr_nodes && !r.err; n++) {
		pg_data_t *pgdat = &c->nodes[n];

		pgdat->zonelist = snap_get_optional(&r, 0);
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			pgdat->node_zones[zi].pcp =
				snap_get_array(&r, c->nr_cpus * sizeof(struct per_cpu_pages));
			if (!r.err && !pgdat->node_zones[zi].pcp)
				r.err = -EPROTO;
		}
	}
	c->cpu_to_node = snap_get_array(&r, c->nr_cpus * sizeof(int));
	c->mem_map = get_mem_map(&r, c->max_pfn);
	c->pageblock_mt = snap_get_array(&r, nr_pageblocks(c));
	if (!r.err && (!c->cpu_to_node || !c->mem_map || !c->pageblock_mt))
		r.err = -EPROTO;
	memblock_type_load(&r, &c->memblock.memory);
	memblock_type_load(&r, &c->memblock.reserved);
	if (!r.err)
		slab_state_load(&r, c);
	if (!r.err)
		vmalloc_state_load(&r, c);
	if (!r.err)
		x86_state_load(&r, c);
	if (!r.err)
		swiotlb_state_load(&r, c);
	if (!r.err)
		lru_state_load(&r, c);
	if (!r.err)
		swap_state_load(&r, c);	/* swapfile.c */
	if (!r.err)
		oom_state_load(&r, c);	/* oom_kill.c */
	if (!r.err)
		memcg_state_load(&r, c);	/* memcontrol.c */
	sum = r.sum;
	snap_get(&r, &stored, sizeof(stored));
	if (!r.err && stored != sum)
		r.err = -EPROTO;
	if (r.err)
		goto fail;
	return c;
fail:
	mm_error_set(e, r.err == -ENOMEM ? -ENOMEM : -EPROTO, "%s",
		     r.err == -ENOMEM ? "out of memory" : "the snapshot is damaged or cut short");
	machine_destroy(c);
	return NULL;
}
