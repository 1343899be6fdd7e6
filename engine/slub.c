/*
 * slub.c - the SLUB slab allocator and kmalloc.
 *
 * Mirrors mm/slub.c and mm/slab_common.c of Linux 6.18: kmalloc_index() and
 * the kmalloc caches (normal, kmalloc-rcl-*, dma-kmalloc-*, kmalloc-cg-*),
 * calculate_order()/calc_slab_order() for the slab geometry, allocate_slab(),
 * ___slab_alloc() with a per-CPU active slab and per-node partial lists,
 * __slab_free(), deactivate_slab(), discard_slab(), kmalloc_large(), kfree(),
 * __ksize(), kmem_cache_create()/kmem_cache_destroy() and /proc/slabinfo.
 * Ideas to hold before reading on:
 *
 *  - A slab is a block from the buddy allocator (compound when order > 0),
 *    owned by "slab", PGTY_slab on its head; the head's slab fields say which
 *    cache, how many objects and how many in use, and where the first free
 *    object is. Objects are direct-map addresses, so they are physically
 *    contiguous and __pa() works on them.
 *  - The behaviour is that of CONFIG_SLUB_CPU_PARTIAL=y with the freelist in
 *    address order (no CONFIG_SLAB_FREELIST_RANDOM), with cache merging
 *    (CONFIG_SLAB_MERGE_DEFAULT=y, find_mergeable()) and hardened usercopy
 *    keeping the kmalloc caches apart: every CPU has one active ("frozen")
 *    slab; a slab that fills up is forgotten until one of its objects is
 *    freed, and then goes on the freeing CPU's partial list, which the CPU
 *    uses before its node's list and hands to the node when it is full; a
 *    slab on its node's list that empties goes back to the buddy once the
 *    node already keeps min_partial partial slabs.
 *  - kmalloc() above KMALLOC_MAX_CACHE_SIZE (8 KiB) is kmalloc_large(): a
 *    compound block straight from the buddy, owned by "kmalloc_large".
 *
 * Design notes: the invariants that slab_check() verifies.
 *  S1. Every page owned by "slab" belongs to a block whose head is PGTY_slab
 *      and a live cache; no other page is PGTY_slab; the block's order is the
 *      cache's preferred or fallback order, with matching objects.
 *  S2. For every slab, the free pointers form one chain from the head's
 *      freelist address through exactly objects - inuse free objects, each an
 *      object start inside the slab; the other objects are marked handed out.
 *  S3. A slab is either the active slab of exactly one CPU, or on one CPU's
 *      partial list (with a free object, marked as that CPU's), or on its node's
 *      partial list (inuse < objects), or full (inuse == objects) and on no
 *      list; partial lists are well linked and nr_partial counts them.
 *  S4. Per cache and node, nr_slabs, total_objects and nr_pages match the slabs found;
 *      per cache, nr_inuse is the sum of the slabs' inuse.
 *  S5. Every block owned by "kmalloc_large" is a compound block (PG_head) of
 *      order > 0 typed PGTY_large_kmalloc (___kmalloc_large_node()).
 *  S6. Merged caches: every alias resolves to a live mergeable cache large
 *      enough for it and shadows no live name; refcount counts the names.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "slab.h"

/*** Geometry (mm/slub.c) ***/

static unsigned int fls_u32(unsigned int x)
{
	return x ? 32 - (unsigned int)__builtin_clz(x) : 0;
}

/* get_order(): the smallest order whose block holds @size bytes. */
static unsigned int get_order(uint64_t size)
{
	unsigned int order = 0;

	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

/*
 * calc_slab_order() - the lowest order from @min_order up to @max_order that
 * wastes at most 1/@fract_leftover of the slab; @max_order + 1 when none does.
 * Kernel: mm/slub.c, calc_slab_order().
 */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_order,
				    unsigned int max_order, unsigned int fract_leftover)
{
	unsigned int order;

	for (order = min_order; order <= max_order; order++) {
		unsigned int slab_size = (unsigned int)(PAGE_SIZE << order);

		if (slab_size % size <= slab_size / fract_leftover)
			break;
	}
	return order;
}

/*
 * calculate_order() - the slab order for objects of @size: enough objects
 * for the CPU count (min_objects = 4 * (fls(nr_cpus) + 1)), accepting 1/16,
 * then 1/8, 1/4 and 1/2 of waste, within slub_max_order; -ENOSYS when not
 * even one object fits in a MAX_PAGE_ORDER block.
 * Kernel: mm/slub.c, calculate_order().
 */
static int calculate_order(unsigned int size, unsigned int nr_cpus, unsigned int max_page_order)
{
	unsigned int min_objects, max_objects, min_order, order, fraction;

	min_objects = 4 * (fls_u32(nr_cpus) + 1);
	max_objects = order_objects(SLUB_MAX_ORDER, size);
	if (max_objects < 1)
		max_objects = 1;
	if (min_objects > max_objects)
		min_objects = max_objects;
	min_order = get_order((uint64_t)min_objects * size);
	if (order_objects(min_order, size) > MAX_OBJS_PER_PAGE)
		return (int)get_order((uint64_t)size * MAX_OBJS_PER_PAGE) - 1;
	for (fraction = 16; fraction > 1; fraction /= 2) {
		order = calc_slab_order(size, min_order, SLUB_MAX_ORDER, fraction);
		if (order <= SLUB_MAX_ORDER)
			return (int)order;
	}
	order = get_order(size);
	if (order <= max_page_order)
		return (int)order;
	return -ENOSYS;
}

/* calculate_alignment(): at least ARCH_SLAB_MINALIGN, a multiple of a word. */
static unsigned int calculate_alignment(uint32_t flags, unsigned int align, unsigned int size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = 64;

		while (size <= ralign / 2)
			ralign /= 2;
		if (align < ralign)
			align = ralign;
	}
	if (align < ARCH_SLAB_MINALIGN)
		align = ARCH_SLAB_MINALIGN;
	return (align + 7) & ~7u;
}

#define ALIGN_UP(x, a)	(((x) + (a) - 1) / (a) * (a))

/*
 * calculate_sizes() - the stride of an object (its size rounded up to a word
 * and to the alignment; the free pointer sits inside the free object, so it
 * costs nothing) and the preferred and fallback slab geometry.
 * Kernel: mm/slub.c, calculate_sizes().
 */
static int calculate_sizes(const struct machine *m, struct kmem_cache *s)
{
	unsigned int size = ALIGN_UP(s->object_size, 8u);
	int order;

	s->offset = (s->object_size / 2) & ~7u;
	size = ALIGN_UP(size, s->align);
	s->size = size;
	order = calculate_order(size, m->nr_cpus, m->max_order);
	if (order < 0)
		return -EINVAL;
	s->allocflags = 0;
	if (order)
		s->allocflags |= __GFP_COMP;
	if (s->flags & SLAB_CACHE_DMA)
		s->allocflags |= GFP_DMA;
	if (s->flags & SLAB_RECLAIM_ACCOUNT)
		s->allocflags |= __GFP_RECLAIMABLE;
	s->oo_order = (unsigned int)order;
	s->oo_objects = order_objects((unsigned int)order, size);
	s->min_order = get_order(size);
	s->min_objects = order_objects(s->min_order, size);
	return s->oo_objects ? 0 : -EINVAL;
}

/* set_min_partial(): ilog2(size) / 2, within [MIN_PARTIAL, MAX_PARTIAL]. */
static unsigned int min_partial_for(unsigned int size)
{
	unsigned int v = (fls_u32(size) - 1) / 2;

	if (v < MIN_PARTIAL)
		v = MIN_PARTIAL;
	if (v > MAX_PARTIAL)
		v = MAX_PARTIAL;
	return v;
}

/*** kmalloc sizes (include/linux/slab.h, mm/slab_common.c) ***/

/*
 * kmalloc_index() - the kmalloc cache for @size: 2^index bytes, or index 1
 * (96 bytes) and 2 (192 bytes); 0 for size 0; -1 above 2 MiB.
 * Kernel: include/linux/slab.h, __kmalloc_index().
 */
int kmalloc_index(size_t size)
{
	unsigned int i;

	if (!size)
		return 0;
	if (size <= KMALLOC_MIN_SIZE)
		return KMALLOC_SHIFT_LOW;
	if (size > 64 && size <= 96)
		return 1;
	if (size > 128 && size <= 192)
		return 2;
	for (i = KMALLOC_SHIFT_LOW; i <= 21; i++)
		if (size <= (1UL << i))
			return (int)i;
	return -1;
}

/* kmalloc_info[]: the cache size of each index. */
static unsigned int kmalloc_size_of(int index)
{
	return index == 1 ? 96 : index == 2 ? 192 : 1u << index;
}

static void kmalloc_name(char *buf, size_t len, enum kmalloc_cache_type type, int index)
{
	static const char *const prefix[NR_KMALLOC_TYPES] = {
		"kmalloc-", "kmalloc-rcl-", "dma-kmalloc-", "kmalloc-cg-"
	};
	unsigned int size = kmalloc_size_of(index);

	if (size >= 1024)
		snprintf(buf, len, "%s%uk", prefix[type], size >> 10);
	else
		snprintf(buf, len, "%s%u", prefix[type], size);
}

/*
 * kmalloc_type(): __GFP_DMA wins over __GFP_RECLAIMABLE, which wins over
 * __GFP_ACCOUNT (a kmalloc-cg-* cache, CONFIG_MEMCG as distributions build
 * it). Kernel: include/linux/slab.h, kmalloc_type().
 */
static enum kmalloc_cache_type kmalloc_type(gfp_t gfp)
{
	if (!(gfp & (__GFP_DMA | __GFP_RECLAIMABLE | __GFP_ACCOUNT)))
		return KMALLOC_NORMAL;
	if (gfp & __GFP_DMA)
		return KMALLOC_DMA;
	if (gfp & __GFP_RECLAIMABLE)
		return KMALLOC_RECLAIM;
	return KMALLOC_CGROUP;
}

/*** The machine's caches ***/

static struct slab_state *sl(const struct machine *m)
{
	return m->slab;
}

static struct kmem_cache *cache_at(const struct machine *m, uint32_t idx)
{
	return &sl(m)->caches[idx];
}

const char *slab_cache_name(const struct machine *m, uint32_t idx)
{
	if (!sl(m) || idx >= sl(m)->nr_caches || !sl(m)->caches[idx].alive)
		return "";
	return sl(m)->caches[idx].name;
}

uint64_t slab_pages(const struct machine *m, int node, bool reclaimable)
{
	uint64_t pages = 0;

	if (!sl(m))
		return 0;
	for (unsigned int i = 0; i < sl(m)->nr_caches; i++) {
		const struct kmem_cache *s = &sl(m)->caches[i];

		if (!s->alive || !!(s->flags & SLAB_RECLAIM_ACCOUNT) != reclaimable)
			continue;
		for (unsigned int n = 0; n < m->nr_nodes; n++)
			if (node < 0 || (unsigned int)node == n)
				pages += s->node[n].nr_pages;
	}
	return pages;
}

static int find_alias(const struct machine *m, const char *name)
{
	const struct slab_state *st = sl(m);

	for (unsigned int i = 0; i < st->nr_aliases; i++)
		if (!strcmp(st->aliases[i].name, name))
			return (int)i;
	return -1;
}

/* The cache a name resolves to: its own name, or a name merged into it. */
static int find_cache(const struct machine *m, const char *name)
{
	const struct slab_state *st = sl(m);
	int a;

	for (unsigned int i = 0; i < st->nr_caches; i++)
		if (st->caches[i].alive && !st->caches[i].name_destroyed &&
		    !strcmp(st->caches[i].name, name))
			return (int)i;
	a = find_alias(m, name);
	return a < 0 ? -1 : (int)st->aliases[a].cache;
}

/* A free slot in the cache array (the lowest dead one, or a new one). */
static int cache_slot(struct machine *m)
{
	struct slab_state *st = sl(m);

	for (unsigned int i = 0; i < st->nr_caches; i++)
		if (!st->caches[i].alive)
			return (int)i;
	if (st->nr_caches == st->cap_caches) {
		unsigned int cap = st->cap_caches * 2;
		struct kmem_cache *c = realloc(st->caches, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		st->caches = c;
		st->cap_caches = cap;
	}
	return (int)st->nr_caches++;
}

static void cache_event_detail(struct machine *m, int type, const struct kmem_cache *s,
			       const char *detail)
{
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.size = s->size;
	ev.order = (int)s->oo_order;
	ev.value = s->oo_objects;
	ev.detail = detail;
	emit(m, &ev);
}

static void cache_event(struct machine *m, int type, const struct kmem_cache *s)
{
	if (events_on(m))
		cache_event_detail(m, type, s, s->name);
}

/*
 * The same event for @name, another name of @s (an alias made or dropped):
 * the kernel has no tracepoint for it, but the record needs one, or a view
 * at that seq, or a replay to it, would not know the alias.
 */
static void alias_event(struct machine *m, int type, const struct kmem_cache *s,
			const char *name)
{
	char detail[2 * KMEM_CACHE_NAME_LEN + 16];

	if (!events_on(m))
		return;
	if (strcmp(name, s->name))
		snprintf(detail, sizeof(detail), "%s (alias of %s)", name, s->name);
	else
		snprintf(detail, sizeof(detail), "%s (its aliases keep it)", name);
	cache_event_detail(m, type, s, detail);
}

/*
 * set_cpu_partial() - how much a CPU's partial list keeps: 120 objects for
 * small objects down to 6 for page-sized ones, as slabs assumed half full
 * (slub_set_cpu_partial()). Kernel: mm/slub.c.
 */
static void set_cpu_partial(struct kmem_cache *s)
{
	unsigned int nr_objects = s->size >= PAGE_SIZE ? 6 : s->size >= 1024 ? 24 :
				  s->size >= 256 ? 52 : 120;

	s->cpu_partial = nr_objects;
	s->cpu_partial_slabs = (nr_objects * 2 + s->oo_objects - 1) / s->oo_objects;
}

/*
 * create_cache() - a new cache descriptor in slot @idx: geometry, min_partial,
 * empty per-CPU and per-node state. Kernel: mm/slab_common.c, create_cache()
 * and mm/slub.c, kmem_cache_open().
 */
static int create_cache(struct machine *m, int idx, const char *name, unsigned int size,
			unsigned int align, uint32_t flags)
{
	struct kmem_cache *s = cache_at(m, (uint32_t)idx);
	unsigned int i;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->object_size = size;
	s->flags = flags;
	s->is_kmalloc = flags & SLAB_KMALLOC;
	s->align = calculate_alignment(flags, align, size);
	if (calculate_sizes(m, s))
		return -EINVAL;
	s->min_partial = min_partial_for(s->size);
	set_cpu_partial(s);
	for (i = 0; i < MACHINE_MAX_CPUS; i++) {
		s->cpu_slab[i].slab = PFN_NIL;
		s->cpu_slab[i].partial = (struct list_head){ PFN_NIL, PFN_NIL, 0 };
	}
	for (i = 0; i < MACHINE_MAX_NODES; i++)
		s->node[i].partial = (struct list_head){ PFN_NIL, PFN_NIL, 0 };
	s->created = sl(m)->next_created++;
	s->refcount = 1;
	s->alive = true;
	cache_event(m, MM_EV_cache_create, s);
	return 0;
}

/*
 * kmem_cache_init() - the kmalloc caches, type by type and size by size with
 * 96 after 64 and 192 after 128, as create_kmalloc_caches() does. They hold
 * no slab until their first allocation.
 */
void kmem_cache_init(struct machine *m)
{
	struct slab_state *st = sl(m);
	char name[KMEM_CACHE_NAME_LEN];
	int type, i, idx;

	if (st->up)
		return;
	for (type = 0; type < NR_KMALLOC_TYPES; type++)
		for (i = KMALLOC_SHIFT_LOW; i <= KMALLOC_SHIFT_HIGH; i++) {
			int sizes[2] = { i, i == 6 ? 1 : i == 7 ? 2 : 0 };

			for (int k = 0; k < 2 && sizes[k]; k++) {
				uint32_t flags = SLAB_KMALLOC;

				if (type == KMALLOC_RECLAIM)
					flags |= SLAB_RECLAIM_ACCOUNT;
				else if (type == KMALLOC_DMA)
					flags |= SLAB_CACHE_DMA;
				else if (type == KMALLOC_CGROUP)	/* new_kmalloc_cache() */
					flags |= SLAB_ACCOUNT;
				kmalloc_name(name, sizeof(name), type, sizes[k]);
				idx = cache_slot(m);
				/* slab_state_create() reserved room for these. */
				SIM_BUG_ON(idx < 0);
				SIM_BUG_ON(create_cache(m, idx, name, kmalloc_size_of(sizes[k]),
							kmalloc_size_of(sizes[k]) & 0x7 ? 0 :
							(sizes[k] > 2 ? kmalloc_size_of(sizes[k]) : 0),
							flags));
				st->kmalloc_caches[type][sizes[k]] = idx;
				/* create_kmalloc_cache(): the whole object is a usercopy
				 * region, so with CONFIG_HARDENED_USERCOPY (as
				 * distributions build) nothing merges into it */
				cache_at(m, (uint32_t)idx)->usersize = kmalloc_size_of(sizes[k]);
			}
		}
	st->up = true;
}

/*** Free pointers, per slab ***/

struct slab_extra {
	int32_t cpu;		/* the CPU whose active slab this is, -1 when none */
	int32_t partial_cpu;	/* the CPU whose partial list holds it, -1 when none */
	uint32_t nr;		/* entries in fp[] */
	uint16_t fp[];		/* next free object, FP_END or FP_ALLOCATED */
};

static struct slab_extra *slab_extra(const struct machine *m, uint64_t head)
{
	return (struct slab_extra *)sl(m)->fp[m->mem_map[head].private];
}

static int extra_alloc(struct machine *m, unsigned int objects, uint64_t *id)
{
	struct slab_state *st = sl(m);
	struct slab_extra *x = malloc(sizeof(*x) + objects * sizeof(uint16_t));

	if (!x)
		return -ENOMEM;
	x->nr = objects;
	if (st->nr_free_fp) {
		*id = st->free_fp[--st->nr_free_fp];
	} else {
		if (st->nr_fp == st->cap_fp) {
			uint32_t cap = st->cap_fp ? st->cap_fp * 2 : 64;
			uint16_t **fp = realloc(st->fp, cap * sizeof(*fp));
			uint32_t *fr = realloc(st->free_fp, cap * sizeof(*fr));

			if (fp)
				st->fp = fp;
			if (fr)
				st->free_fp = fr;
			if (!fp || !fr) {
				free(x);
				return -ENOMEM;
			}
			st->cap_fp = cap;
		}
		*id = st->nr_fp++;
	}
	st->fp[*id] = (uint16_t *)x;
	return 0;
}

static void extra_release(struct machine *m, uint64_t id)
{
	struct slab_state *st = sl(m);

	free(st->fp[id]);
	st->fp[id] = NULL;
	st->free_fp[st->nr_free_fp++] = (uint32_t)id;
}

/*** Slabs ***/

static uint64_t slab_base(const struct machine *m, uint64_t head)
{
	return direct_map_va(m, PFN_PHYS(head));
}

static uint64_t obj_addr(const struct machine *m, const struct kmem_cache *s, uint64_t head,
			 unsigned int i)
{
	return slab_base(m, head) + (uint64_t)i * s->size;
}

static unsigned int obj_index(const struct machine *m, const struct kmem_cache *s,
			      uint64_t head, uint64_t addr)
{
	return (unsigned int)((addr - slab_base(m, head)) / s->size);
}

static struct kmem_cache_node *slab_node(const struct machine *m, struct kmem_cache *s,
					 uint64_t head)
{
	return &s->node[m->mem_map[head].node];
}

static void slab_list_add(struct machine *m, struct list_head *h, uint32_t pfn, bool tail)
{
	if (tail)
		pfn_list_add_tail(m, h, pfn);
	else
		pfn_list_add_head(m, h, pfn);
}

/* add_partial() / remove_partial(). */
static void add_partial(struct machine *m, struct kmem_cache_node *n, uint64_t head, bool tail)
{
	slab_list_add(m, &n->partial, (uint32_t)head, tail);
	n->nr_partial++;
}

static void remove_partial(struct machine *m, struct kmem_cache_node *n, uint64_t head)
{
	pfn_list_del(m, &n->partial, (uint32_t)head);
	n->nr_partial--;
}

static void slab_event(struct machine *m, int type, const struct kmem_cache *s, uint64_t head,
		       int cpu)
{
	const struct page *p = &m->mem_map[head];
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.cpu = cpu;
	ev.node = p->node;
	ev.zone = p->zone;
	ev.pfn = head;
	ev.paddr = PFN_PHYS(head);
	ev.vaddr = slab_base(m, head);
	ev.order = p->order;
	ev.size = PAGE_SIZE << p->order;
	ev.value = p->slab.objects;
	ev.detail = s->name;
	emit(m, &ev);
}

/* The gfp of a slab page allocation: the caller's reclaim and placement bits plus the cache's. */
static gfp_t slab_gfp(const struct kmem_cache *s, gfp_t gfp)
{
	const gfp_t reclaim_mask = __GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS |
		__GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_NORETRY |
		__GFP_MEMALLOC | __GFP_NOMEMALLOC;
	const gfp_t constraint_mask = __GFP_HARDWALL | __GFP_THISNODE;

	return (gfp & (reclaim_mask | constraint_mask)) | s->allocflags;
}

/*
 * alloc_slab_page() - the preferred order without reclaim or warnings first,
 * then the fallback order with the caller's flags.
 * Kernel: mm/slub.c, allocate_slab() / alloc_slab_page().
 */
static int alloc_slab_page(struct machine *m, struct kmem_cache *s, gfp_t gfp, int cpu,
			   uint64_t *pfn, unsigned int *objects, struct mm_error *e)
{
	struct alloc_pages_result res;
	gfp_t alloc_gfp = (gfp | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
	int err;

	if ((alloc_gfp & __GFP_DIRECT_RECLAIM) && s->oo_order > s->min_order)
		alloc_gfp = (alloc_gfp | __GFP_NOMEMALLOC) & ~__GFP_RECLAIM;
	err = __alloc_pages(m, alloc_gfp, s->oo_order, -1, cpu, OWNER_SLAB, &res, NULL);
	if (!err) {
		*objects = s->oo_objects;
	} else if (s->min_order != s->oo_order) {
		gfp_t min_gfp = s->min_order ? gfp : gfp & ~__GFP_COMP;

		err = __alloc_pages(m, min_gfp, s->min_order, -1, cpu, OWNER_SLAB, &res, e);
		*objects = s->min_objects;
	} else {
		err = __alloc_pages(m, gfp, s->oo_order, -1, cpu, OWNER_SLAB, &res, e);
		*objects = s->oo_objects;
	}
	if (err)
		return err;
	*pfn = res.pfn;
	return 0;
}

/*
 * allocate_slab() - a new slab: a block from the buddy, PGTY_slab, every object
 * on the freelist in address order. Kernel: mm/slub.c, allocate_slab() and
 * shuffle_freelist() without randomisation.
 */
static int allocate_slab(struct machine *m, uint32_t idx, gfp_t gfp, int cpu, uint64_t *head,
			 struct mm_error *e)
{
	struct kmem_cache *s = cache_at(m, idx);
	struct slab_extra *x;
	struct kmem_cache_node *n;
	unsigned int objects, i;
	uint64_t pfn, id;
	struct page *p;
	int err;

	err = extra_alloc(m, s->oo_objects > s->min_objects ? s->oo_objects : s->min_objects, &id);
	if (err)
		return mm_error_set(e, err, "out of host memory for a slab");
	err = alloc_slab_page(m, s, slab_gfp(s, gfp), cpu, &pfn, &objects, e);
	if (err) {
		extra_release(m, id);
		return err;
	}
	p = &m->mem_map[pfn];
	page_type_set(p, PGTY_slab);	/* __folio_set_slab() */
	p->private = id;
	p->slab.slab_cache = idx;
	p->slab.objects = (uint16_t)objects;
	p->slab.inuse = 0;
	p->slab.freelist = obj_addr(m, s, pfn, 0);
	p->next = p->prev = PFN_NIL;
	x = slab_extra(m, pfn);
	x->cpu = -1;
	x->partial_cpu = -1;
	for (i = 0; i < objects; i++)
		x->fp[i] = (uint16_t)(i + 1 < objects ? i + 1 : FP_END);
	n = slab_node(m, s, pfn);
	n->nr_slabs++;
	n->total_objects += objects;
	n->nr_pages += 1ULL << p->order;
	if (events_on(m))
		slab_event(m, MM_EV_slab_new, s, pfn, cpu);
	*head = pfn;
	return 0;
}

/*
 * discard_slab() - the slab goes back to the buddy allocator.
 * Kernel: mm/slub.c, discard_slab() / free_slab() / __free_slab().
 */
static void discard_slab(struct machine *m, struct kmem_cache *s, uint64_t head, int cpu)
{
	struct page *p = &m->mem_map[head];
	struct kmem_cache_node *n = slab_node(m, s, head);
	unsigned int order = p->order;
	int err;

	SIM_BUG_ON(p->slab.inuse != 0);
	if (events_on(m))
		slab_event(m, MM_EV_slab_free, s, head, cpu);
	n->nr_slabs--;
	n->total_objects -= p->slab.objects;
	n->nr_pages -= 1ULL << order;
	extra_release(m, p->private);
	p->private = 0;
	p->slab.slab_cache = 0;
	p->slab.objects = 0;
	p->slab.freelist = 0;
	page_type_clear(p, PGTY_slab);	/* __folio_clear_slab() */
	err = __free_pages_owner(m, head, order, cpu, OWNER_SLAB, NULL);
	SIM_BUG_ON(err);
}

/* Take the first free object of a slab that has one. */
static uint64_t slab_pop(struct machine *m, struct kmem_cache *s, uint64_t head)
{
	struct page *p = &m->mem_map[head];
	struct slab_extra *x = slab_extra(m, head);
	uint64_t addr = p->slab.freelist;
	unsigned int i = obj_index(m, s, head, addr);
	uint16_t next = x->fp[i];

	SIM_BUG_ON(!addr || next == FP_ALLOCATED);
	x->fp[i] = FP_ALLOCATED;
	p->slab.freelist = next == FP_END ? 0 : obj_addr(m, s, head, next);
	p->slab.inuse++;
	s->nr_inuse++;
	return addr;
}

/*
 * deactivate_slab() - a CPU lets go of its active slab: an empty one is
 * discarded when the node already has min_partial partial slabs, one with
 * free objects goes on the partial list, a full one is simply forgotten.
 * Kernel: mm/slub.c, deactivate_slab().
 */
static void deactivate_slab(struct machine *m, struct kmem_cache *s, int cpu)
{
	uint64_t head = s->cpu_slab[cpu].slab;
	struct kmem_cache_node *n;
	struct page *p;

	if (head == PFN_NIL)
		return;
	s->cpu_slab[cpu].slab = PFN_NIL;
	slab_extra(m, head)->cpu = -1;
	p = &m->mem_map[head];
	n = slab_node(m, s, head);
	if (!p->slab.inuse && n->nr_partial >= s->min_partial)
		discard_slab(m, s, head, cpu);
	else if (p->slab.freelist)
		add_partial(m, n, head, false);
}

/*
 * __put_partials() - a CPU's partial slabs go to their nodes' lists, newest
 * first, each to the tail; an empty one goes back to the buddy when its node
 * already keeps min_partial. Kernel: mm/slub.c, put_partials_cpu().
 */
static void put_partials_cpu(struct machine *m, struct kmem_cache *s, int cpu)
{
	struct list_head *list = &s->cpu_slab[cpu].partial;

	while (list->first != PFN_NIL) {
		uint64_t head = list->first;
		struct kmem_cache_node *n = slab_node(m, s, head);

		pfn_list_del(m, list, (uint32_t)head);
		slab_extra(m, head)->partial_cpu = -1;
		if (!m->mem_map[head].slab.inuse && n->nr_partial >= s->min_partial)
			discard_slab(m, s, head, cpu);
		else
			add_partial(m, n, head, true);
	}
}

/*
 * put_cpu_partial() - a slab onto @cpu's partial list; when @drain and the
 * list already holds cpu_partial_slabs, the list goes to the node first.
 * Kernel: mm/slub.c.
 */
static void put_cpu_partial(struct machine *m, struct kmem_cache *s, uint64_t head, int cpu,
			    bool drain)
{
	struct list_head *list = &s->cpu_slab[cpu].partial;

	if (drain && list->nr >= s->cpu_partial_slabs)
		put_partials_cpu(m, s, cpu);
	pfn_list_add_head(m, list, (uint32_t)head);
	slab_extra(m, head)->partial_cpu = cpu;
}

/*
 * get_partial_node() - the first partial slab of the CPU's node for the
 * CPU, and the following ones onto its partial list, until more than half
 * of cpu_partial have moved. Kernel: mm/slub.c.
 */
static uint64_t get_partial(struct machine *m, struct kmem_cache *s, int cpu)
{
	struct kmem_cache_node *n = &s->node[m->cpu_to_node[cpu]];
	uint64_t head = n->partial.first, next;
	unsigned int partial_slabs = 0;

	if (head == PFN_NIL)
		return PFN_NIL;
	remove_partial(m, n, head);
	while ((next = n->partial.first) != PFN_NIL) {
		remove_partial(m, n, next);
		put_cpu_partial(m, s, next, cpu, false);
		if (++partial_slabs > s->cpu_partial / 2)
			break;
	}
	return head;
}

/* The newest slab of @cpu's partial list, taken off it; PFN_NIL when none. */
static uint64_t take_cpu_partial(struct machine *m, struct kmem_cache *s, int cpu)
{
	struct list_head *list = &s->cpu_slab[cpu].partial;
	uint64_t head = list->first;

	if (head != PFN_NIL) {
		pfn_list_del(m, list, (uint32_t)head);
		slab_extra(m, head)->partial_cpu = -1;
	}
	return head;
}

/*
 * slab_alloc() - one object for @cpu: from its active slab; when that is
 * full, from a partial slab of the node; else from a new slab.
 * Kernel: mm/slub.c, slab_alloc_node() / ___slab_alloc().
 */
static int slab_alloc(struct machine *m, uint32_t idx, gfp_t gfp, int cpu, uint64_t *addr,
		      struct mm_error *e)
{
	struct kmem_cache *s = cache_at(m, idx);
	uint64_t head = s->cpu_slab[cpu].slab;
	int err;

	if (head != PFN_NIL && m->mem_map[head].slab.freelist) {
		*addr = slab_pop(m, s, head);
		return 0;
	}
	deactivate_slab(m, s, cpu);
	head = take_cpu_partial(m, s, cpu);
	if (head == PFN_NIL)
		head = get_partial(m, s, cpu);
	if (head == PFN_NIL) {
		err = allocate_slab(m, idx, gfp, cpu, &head, e);
		if (err)
			return err;
	}
	s->cpu_slab[cpu].slab = (uint32_t)head;
	slab_extra(m, head)->cpu = cpu;
	*addr = slab_pop(m, s, head);
	return 0;
}

/*
 * __slab_free() - an object back on its slab's freelist. A slab that was
 * full goes on the freeing CPU's partial list (put_cpu_partial()); one on
 * its node's list that became empty goes back to the buddy when the node
 * already has min_partial partial slabs. A CPU's active or partial slab
 * stays where it is. Kernel: mm/slub.c, __slab_free().
 */
static void __slab_free(struct machine *m, struct kmem_cache *s, uint64_t head, uint64_t addr,
			int cpu)
{
	struct page *p = &m->mem_map[head];
	struct slab_extra *x = slab_extra(m, head);
	struct kmem_cache_node *n = slab_node(m, s, head);
	unsigned int i = obj_index(m, s, head, addr);
	bool was_full = p->slab.freelist == 0;

	x->fp[i] = p->slab.freelist ? (uint16_t)obj_index(m, s, head, p->slab.freelist) : FP_END;
	p->slab.freelist = addr;
	p->slab.inuse--;
	s->nr_inuse--;
	if (x->cpu >= 0 || x->partial_cpu >= 0)
		return;		/* a CPU's slab, active or partial: it stays */
	if (was_full) {
		put_cpu_partial(m, s, head, cpu, true);
		return;
	}
	if (!p->slab.inuse && n->nr_partial >= s->min_partial) {
		remove_partial(m, n, head);
		discard_slab(m, s, head, cpu);
	}
}

/*** Objects by address ***/

static int cpu_ok(const struct machine *m, int cpu, struct mm_error *e)
{
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	return 0;
}

static int slab_ready(const struct machine *m, struct mm_error *e)
{
	if (!sl(m) || !sl(m)->up)
		return mm_error_set(e, -EPERM, "the slab allocator is not up yet (kmem_cache_init)");
	return 0;
}

/* virt_to_page() of a direct-map address; -EINVAL saying why it is not one. */
static int direct_map_pfn(const struct machine *m, uint64_t addr, uint64_t *pfn,
			  struct mm_error *e)
{
	uint64_t base = page_offset_of(m);

	if (addr >= layout_vmalloc_start(m->cfg.paging_levels) &&
	    addr <= layout_vmalloc_end(m->cfg.paging_levels))
		return mm_error_set(e, -EINVAL, "0x%llx is a vmalloc address: free it with vfree()",
				    (unsigned long long)addr);
	if (addr < base || ((addr - base) >> PAGE_SHIFT) >= m->max_pfn)
		return mm_error_set(e, -EINVAL,
				    "0x%llx is not a direct-map address: kfree() takes what kmalloc() returned",
				    (unsigned long long)addr);
	*pfn = (addr - base) >> PAGE_SHIFT;
	return 0;
}

/*
 * The slab object at @addr: its cache and slab head, or -EINVAL when @addr is
 * not the start of an allocated object. Kernel: virt_to_slab() plus the
 * checks CONFIG_SLUB_DEBUG makes (check_valid_pointer, on_freelist).
 */
static int find_object(const struct machine *m, uint64_t pfn, uint64_t addr, uint32_t *idx,
		       uint64_t *head, struct mm_error *e)
{
	const struct page *p = &m->mem_map[pfn];
	const struct kmem_cache *s;
	uint64_t off;
	unsigned int i;

	*head = p->compound_head;
	p = &m->mem_map[*head];
	SIM_BUG_ON(!PageSlab(p));
	*idx = p->slab.slab_cache;
	s = cache_at(m, *idx);
	off = addr - slab_base(m, *head);
	i = (unsigned int)(off / s->size);
	if (i >= p->slab.objects)
		return mm_error_set(e, -EINVAL,
				    "0x%llx is in the unused tail of a %s slab (pfn 0x%llx), not an object",
				    (unsigned long long)addr, s->name, (unsigned long long)*head);
	if (off % s->size)
		return mm_error_set(e, -EINVAL,
				    "0x%llx is %llu bytes into object %u of a %s slab, not at its start",
				    (unsigned long long)addr, (unsigned long long)(off % s->size), i,
				    s->name);
	if (slab_extra(m, *head)->fp[i] != FP_ALLOCATED)
		return mm_error_set(e, -EINVAL, "0x%llx is already free (double free) in %s",
				    (unsigned long long)addr, s->name);
	return 0;
}

/*** kmalloc, kfree ***/

static void obj_event(struct machine *m, int type, const struct kmem_cache *s, uint64_t addr,
		      uint64_t bytes_req, gfp_t gfp, int cpu)
{
	uint64_t paddr = addr - page_offset_of(m);
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.cpu = cpu;
	ev.node = m->mem_map[paddr >> PAGE_SHIFT].node;
	ev.zone = m->mem_map[paddr >> PAGE_SHIFT].zone;
	ev.gfp = gfp;
	ev.vaddr = addr;
	ev.paddr = paddr;
	ev.pfn = paddr >> PAGE_SHIFT;
	ev.size = bytes_req;
	ev.value = s ? s->size : 0;
	ev.detail = s ? s->name : NULL;
	emit(m, &ev);
}

/* strlcpy(): on the allocation fast path, where snprintf("%s") costs more than the rest. */
static void copy_name(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void fill_result(const struct machine *m, const struct kmem_cache *s, uint64_t addr,
			struct kmalloc_result *res)
{
	uint64_t paddr = addr - page_offset_of(m);
	const struct page *head = &m->mem_map[m->mem_map[paddr >> PAGE_SHIFT].compound_head];

	if (!res)
		return;
	memset(res, 0, sizeof(*res));
	res->addr = addr;
	res->paddr = paddr;
	res->pfn = paddr >> PAGE_SHIFT;
	res->order = head->order;
	res->zone = head->zone;
	res->node = head->node;
	if (s) {
		res->bytes_alloc = s->size;
		copy_name(res->cache, sizeof(res->cache), s->name);
	} else {
		res->bytes_alloc = PAGE_SIZE << head->order;
		copy_name(res->cache, sizeof(res->cache), "kmalloc_large");
	}
}

/*
 * kmalloc_large() - a compound block from the buddy for a request above the
 * largest kmalloc cache. Kernel: mm/slub.c, ___kmalloc_large_node().
 */
static int kmalloc_large(struct machine *m, size_t size, gfp_t gfp, int cpu,
			 struct kmalloc_result *res, struct mm_error *e)
{
	struct alloc_pages_result r;
	unsigned int order = get_order(size);
	uint64_t addr;
	int err;

	if (order > m->max_order)
		return mm_error_set(e, -ENOMEM,
				    "kmalloc(%zu): above KMALLOC_MAX_SIZE (%lu bytes, order %u)",
				    size, PAGE_SIZE << m->max_order, m->max_order);
	err = __alloc_pages(m, (gfp & ~(__GFP_HIGHMEM | __GFP_DMA32)) | __GFP_COMP, order, -1, cpu,
			    OWNER_KMALLOC_LARGE, &r, e);
	if (err)
		return err;
	/* ___kmalloc_large_node(): the folio is typed large_kmalloc. */
	page_type_set(&m->mem_map[r.pfn], PGTY_large_kmalloc);
	addr = direct_map_va(m, PFN_PHYS(r.pfn));
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_kmalloc_large);
		ev.cpu = cpu;
		ev.node = r.node;
		ev.zone = r.zone;
		ev.gfp = gfp;
		ev.vaddr = addr;
		ev.paddr = PFN_PHYS(r.pfn);
		ev.pfn = r.pfn;
		ev.order = (int)order;
		ev.size = size;
		ev.value = (int64_t)(PAGE_SIZE << order);
		ev.detail = "kmalloc_large";
		emit(m, &ev);
	}
	fill_result(m, NULL, addr, res);
	return 0;
}

/* The kmalloc cache for @size and @gfp (kmalloc_slab()). */
static uint32_t kmalloc_slab(const struct machine *m, size_t size, gfp_t gfp)
{
	return (uint32_t)sl(m)->kmalloc_caches[kmalloc_type(gfp)][kmalloc_index(size)];
}

/* GFP_SLAB_BUG_MASK: zone bits kmalloc cannot honour are dropped (kmalloc_fix_flags). */
static gfp_t kmalloc_fix_flags(gfp_t gfp)
{
	return gfp & ~(__GFP_DMA32 | __GFP_HIGHMEM | ~__GFP_BITS_MASK);
}

int mm_kmalloc(struct machine *m, uint64_t size, gfp_t gfp, int cpu,
	       struct kmalloc_result *res, struct mm_error *e)
{
	uint64_t addr;
	uint32_t idx;
	int err;

	if (slab_ready(m, e) || cpu_ok(m, cpu, e))
		return e && e->err ? e->err : -EINVAL;
	gfp = kmalloc_fix_flags(gfp);
	if (!size) {
		if (res) {
			memset(res, 0, sizeof(*res));
			res->addr = ZERO_SIZE_PTR;
			snprintf(res->cache, sizeof(res->cache), "ZERO_SIZE_PTR");
		}
		return 0;
	}
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_large(m, (size_t)size, gfp, cpu, res, e);
	idx = kmalloc_slab(m, (size_t)size, gfp);
	err = slab_alloc(m, idx, gfp, cpu, &addr, e);
	if (err)
		return err;
	if (events_on(m))
		obj_event(m, MM_EV_kmalloc, cache_at(m, idx), addr, size, gfp, cpu);
	fill_result(m, cache_at(m, idx), addr, res);
	return 0;
}

int __kmalloc(struct machine *m, size_t size, gfp_t gfp, int cpu, uint64_t *addr,
	      struct mm_error *e)
{
	struct kmalloc_result res;
	int err = mm_kmalloc(m, size, gfp, cpu, &res, e);

	if (!err)
		*addr = res.addr;
	return err;
}

/* free_large_kmalloc(): the whole compound block goes back to the buddy. */
static int free_large_kmalloc(struct machine *m, uint64_t pfn, uint64_t addr, int cpu,
			      struct mm_error *e)
{
	const struct page *p = &m->mem_map[pfn];
	uint64_t head = p->compound_head;

	if (head != pfn || addr != slab_base(m, head))
		return mm_error_set(e, -EINVAL,
				    "0x%llx is inside the kmalloc_large block at 0x%llx, not its start",
				    (unsigned long long)addr,
				    (unsigned long long)slab_base(m, head));
	/* free_large_kmalloc(): the type goes before the pages do. */
	page_type_clear(&m->mem_map[head], PGTY_large_kmalloc);
	return __free_pages_owner(m, head, m->mem_map[head].order, cpu, OWNER_KMALLOC_LARGE, e);
}

static void kfree_event(struct machine *m, int type, const struct kmem_cache *s, uint64_t addr,
			int cpu)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	if (addr <= ZERO_SIZE_PTR) {
		mm_event_init(&ev, type);
		ev.cpu = cpu;
		ev.vaddr = addr;
		emit(m, &ev);
		return;
	}
	obj_event(m, type, s, addr, MM_NA_U64, 0, cpu);
}

/*
 * kfree() - a slab object back to its slab, a kmalloc_large block back to
 * the buddy, told apart by the page (PGTY_slab or not); NULL and
 * ZERO_SIZE_PTR are nothing to do. Kernel: mm/slub.c, kfree().
 */
int mm_kfree(struct machine *m, uint64_t addr, int cpu, struct mm_error *e)
{
	uint64_t pfn, head;
	uint32_t idx;
	int err;

	if (slab_ready(m, e) || cpu_ok(m, cpu, e))
		return e && e->err ? e->err : -EINVAL;
	if (addr <= ZERO_SIZE_PTR) {
		kfree_event(m, MM_EV_kfree, NULL, addr, cpu);
		return 0;
	}
	err = direct_map_pfn(m, addr, &pfn, e);
	if (err)
		return err;
	switch (m->mem_map[pfn].owner) {
	case OWNER_SLAB:
		err = find_object(m, pfn, addr, &idx, &head, e);
		if (err)
			return err;
		kfree_event(m, MM_EV_kfree, cache_at(m, idx), addr, cpu);
		__slab_free(m, cache_at(m, idx), head, addr, cpu);
		return 0;
	case OWNER_KMALLOC_LARGE:
		if (m->mem_map[pfn].compound_head == pfn && addr == slab_base(m, pfn))
			kfree_event(m, MM_EV_kfree, NULL, addr, cpu);
		return free_large_kmalloc(m, pfn, addr, cpu, e);
	case OWNER_FREE:
	case OWNER_PCP:
		return mm_error_set(e, -EINVAL, "0x%llx: pfn 0x%llx is free memory (double free?)",
				    (unsigned long long)addr, (unsigned long long)pfn);
	default:
		return mm_error_set(e, -EINVAL,
				    "0x%llx: pfn 0x%llx belongs to %s, not to a slab or kmalloc_large",
				    (unsigned long long)addr, (unsigned long long)pfn,
				    page_owner_name(m->mem_map[pfn].owner));
	}
}

int __kfree(struct machine *m, uint64_t addr, int cpu, struct mm_error *e)
{
	return mm_kfree(m, addr, cpu, e);
}

/* __ksize(): the usable size behind a kmalloc address. */
int mm_ksize(const struct machine *m, uint64_t addr, uint64_t *size, struct mm_error *e)
{
	uint64_t pfn, head;
	uint32_t idx;
	int err;

	if (slab_ready(m, e))
		return e ? e->err : -EPERM;
	if (addr == ZERO_SIZE_PTR) {
		*size = 0;
		return 0;
	}
	err = direct_map_pfn(m, addr, &pfn, e);
	if (err)
		return err;
	if (m->mem_map[pfn].owner == OWNER_SLAB) {
		err = find_object(m, pfn, addr, &idx, &head, e);
		if (!err)
			*size = cache_at(m, idx)->size;
		return err;
	}
	if (m->mem_map[pfn].owner == OWNER_KMALLOC_LARGE &&
	    m->mem_map[pfn].compound_head == pfn && addr == slab_base(m, pfn)) {
		*size = PAGE_SIZE << m->mem_map[pfn].order;
		return 0;
	}
	return mm_error_set(e, -EINVAL, "0x%llx is not a kmalloc'd address",
			    (unsigned long long)addr);
}

/*** kmem_cache_create and friends ***/

static int lookup_cache(const struct machine *m, const char *name, struct mm_error *e)
{
	int idx;

	if (slab_ready(m, e))
		return e ? e->err : -EPERM;
	idx = find_cache(m, name);
	if (idx < 0)
		return mm_error_set(e, -ENOENT, "no slab cache named \"%s\"", name);
	return idx;
}

static void cache_info(const struct machine *m, const struct kmem_cache *s,
		       struct slab_cache_info *info);

/*** Cache merging (mm/slab_common.c, mm/slub.c) ***/

#define SLAB_MERGE_SAME	(SLAB_RECLAIM_ACCOUNT | SLAB_CACHE_DMA | SLAB_ACCOUNT)

/* slab_unmergeable(): a usercopy region, or exempt as a boot cache. */
static bool slab_unmergeable(const struct kmem_cache *s)
{
	return s->usersize || s->refcount < 0 || s->has_ctor;
}

/*
 * find_mergeable() - the oldest live cache that can take objects of @size
 * with @align and @flags: no smaller, at most a word larger once rounded,
 * with the same SLAB_MERGE_SAME flags and an alignment its stride honours.
 * -1 when none. Kernel: mm/slab_common.c (CONFIG_SLAB_MERGE_DEFAULT=y, no
 * constructor and no usercopy region, as kmem_cache_create() here has).
 */
static int find_mergeable(const struct machine *m, unsigned int size, unsigned int align,
			  uint32_t flags)
{
	const struct slab_state *st = sl(m);
	int best = -1;

	size = ALIGN_UP(size, 8u);
	align = calculate_alignment(flags, align, size);
	size = ALIGN_UP(size, align);
	for (unsigned int i = 0; i < st->nr_caches; i++) {
		const struct kmem_cache *s = &st->caches[i];

		if (!s->alive || slab_unmergeable(s) || size > s->size ||
		    (flags & SLAB_MERGE_SAME) != (s->flags & SLAB_MERGE_SAME) ||
		    (s->size & ~(align - 1)) != s->size || s->size - size >= 8)
			continue;
		if (best < 0 || s->created < st->caches[best].created)
			best = (int)i;
	}
	return best;
}

/*
 * __kmem_cache_alias() - @name becomes another name of cache @idx (a link in
 * /sys/kernel/slab): one more reference, and its object size grows to the
 * largest asked for. Kernel: mm/slub.c.
 */
static int kmem_cache_alias(struct machine *m, uint32_t idx, const char *name, unsigned int size)
{
	struct slab_state *st = sl(m);
	struct kmem_cache *s = cache_at(m, idx);
	struct slab_alias *a;

	if (st->nr_aliases == st->cap_aliases) {
		unsigned int cap = st->cap_aliases ? st->cap_aliases * 2 : 8;

		a = realloc(st->aliases, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		st->aliases = a;
		st->cap_aliases = cap;
	}
	a = &st->aliases[st->nr_aliases++];
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->cache = idx;
	a->size = size;
	s->refcount++;
	if (s->object_size < size)
		s->object_size = size;
	return 0;
}


/*
 * kmem_cache_create() - a named cache of @size-byte objects aligned to
 * @align (0 or a power of two up to PAGE_SIZE), or, when find_mergeable()
 * finds a compatible cache, a new name for that one (@info then describes
 * it). Names are unique here so that ops can name caches. Kernel:
 * mm/slab_common.c, __kmem_cache_create_args().
 */
int mm_kmem_cache_create(struct machine *m, const char *name, unsigned int size,
			 unsigned int align, struct slab_cache_info *info, struct mm_error *e)
{
	int idx, err;

	if (slab_ready(m, e))
		return e ? e->err : -EPERM;
	if (!name || !name[0] || strlen(name) >= KMEM_CACHE_NAME_LEN || strchr(name, ' '))
		return mm_error_set(e, -EINVAL, "a cache name is 1..%d characters without spaces",
				    KMEM_CACHE_NAME_LEN - 1);
	if (find_cache(m, name) >= 0)
		return mm_error_set(e, -EEXIST, "a cache named \"%s\" exists already", name);
	if (size < 1 || size > (PAGE_SIZE << m->max_order))
		return mm_error_set(e, -EINVAL, "object size must be 1..%lu bytes",
				    PAGE_SIZE << m->max_order);
	if (align & (align - 1) || align > PAGE_SIZE)
		return mm_error_set(e, -EINVAL, "align must be 0 or a power of two up to %lu",
				    PAGE_SIZE);
	idx = find_mergeable(m, size, align, 0);
	if (idx >= 0) {
		err = kmem_cache_alias(m, (uint32_t)idx, name, size);
		if (err)
			return mm_error_set(e, err, "out of host memory for a cache alias");
		alias_event(m, MM_EV_cache_create, cache_at(m, (uint32_t)idx), name);
		if (info)
			cache_info(m, cache_at(m, (uint32_t)idx), info);
		return 0;
	}
	idx = cache_slot(m);
	if (idx < 0)
		return mm_error_set(e, -ENOMEM, "out of host memory for a cache");
	err = create_cache(m, idx, name, size, align, 0);
	if (err) {
		cache_at(m, (uint32_t)idx)->alive = false;
		return mm_error_set(e, err, "objects of %u bytes do not fit in a slab", size);
	}
	if (info)
		cache_info(m, cache_at(m, (uint32_t)idx), info);
	return 0;
}

/* kmem_cache_create_usercopy() of a kernel cache (slab.h). */
int kmem_cache_create_flags(struct machine *m, const char *name, unsigned int size,
			    unsigned int align, uint32_t flags, unsigned int usersize, bool ctor)
{
	int idx, err;

	if (!sl(m)->up)
		return -EPERM;
	if (find_cache(m, name) >= 0)
		return 0;
	idx = cache_slot(m);
	if (idx < 0)
		return -ENOMEM;
	err = create_cache(m, idx, name, size, align, flags);
	if (err) {
		cache_at(m, (uint32_t)idx)->alive = false;
		return err;
	}
	cache_at(m, (uint32_t)idx)->usersize = usersize;
	cache_at(m, (uint32_t)idx)->has_ctor = ctor;
	return 0;
}

int mm_kmem_cache_alloc(struct machine *m, const char *cache, gfp_t gfp, int cpu,
			struct kmalloc_result *res, struct mm_error *e)
{
	int idx = lookup_cache(m, cache, e);
	uint64_t addr;
	int err;

	if (idx < 0)
		return idx;
	if (cpu_ok(m, cpu, e))
		return -EINVAL;
	gfp = kmalloc_fix_flags(gfp);
	err = slab_alloc(m, (uint32_t)idx, gfp, cpu, &addr, e);
	if (err)
		return err;
	if (events_on(m))
		obj_event(m, MM_EV_kmem_cache_alloc, cache_at(m, (uint32_t)idx), addr,
			  cache_at(m, (uint32_t)idx)->object_size, gfp, cpu);
	fill_result(m, cache_at(m, (uint32_t)idx), addr, res);
	return 0;
}

/* kmem_cache_free(): the object must come from @cache (cache_from_obj()). */
int mm_kmem_cache_free(struct machine *m, const char *cache, uint64_t addr, int cpu,
		       struct mm_error *e)
{
	int idx = lookup_cache(m, cache, e);
	uint64_t pfn, head;
	uint32_t obj_idx;
	int err;

	if (idx < 0)
		return idx;
	if (cpu_ok(m, cpu, e))
		return -EINVAL;
	err = direct_map_pfn(m, addr, &pfn, e);
	if (err)
		return err;
	if (m->mem_map[pfn].owner != OWNER_SLAB)
		return mm_error_set(e, -EINVAL, "0x%llx: pfn 0x%llx belongs to %s, not to a slab",
				    (unsigned long long)addr, (unsigned long long)pfn,
				    page_owner_name(m->mem_map[pfn].owner));
	err = find_object(m, pfn, addr, &obj_idx, &head, e);
	if (err)
		return err;
	if (obj_idx != (uint32_t)idx)
		return mm_error_set(e, -EINVAL, "0x%llx belongs to %s, not to %s",
				    (unsigned long long)addr, cache_at(m, obj_idx)->name, cache);
	kfree_event(m, MM_EV_kmem_cache_free, cache_at(m, obj_idx), addr, cpu);
	__slab_free(m, cache_at(m, obj_idx), head, addr, cpu);
	return 0;
}

/* One reference of @s goes: the alias @name, or the cache's own name. */
static void drop_name(struct machine *m, struct kmem_cache *s, const char *name)
{
	struct slab_state *st = sl(m);
	int a = find_alias(m, name);

	if (a >= 0)
		st->aliases[a] = st->aliases[--st->nr_aliases];
	else
		s->name_destroyed = true;
	s->refcount--;
}

/*
 * kmem_cache_destroy() - a merged cache loses one reference and lives on
 * while others remain (kmem_cache_destroy() counts s->refcount down); the
 * last one is refused while objects are live (the kernel warns
 * and leaks the cache; here the machine is left untouched); otherwise every
 * CPU's slab and every partial slab go back to the buddy.
 * Kernel: mm/slab_common.c, kmem_cache_destroy(); mm/slub.c, __kmem_cache_shutdown().
 */
int mm_kmem_cache_destroy(struct machine *m, const char *cache, struct mm_error *e)
{
	int idx = lookup_cache(m, cache, e);
	struct kmem_cache *s;
	unsigned int cpu, n;

	if (idx < 0)
		return idx;
	s = cache_at(m, (uint32_t)idx);
	if (s->is_kmalloc)
		return mm_error_set(e, -EPERM, "%s is a kmalloc cache: it lives as long as the machine",
				    s->name);
	if (s->refcount > 1) {
		/* another name still refers to it: only this reference goes */
		drop_name(m, s, cache);
		alias_event(m, MM_EV_cache_destroy, s, cache);
		return 0;
	}
	if (s->nr_inuse)
		return mm_error_set(e, -EBUSY,
				    "kmem_cache_destroy %s: Slab cache still has objects (%llu in use)",
				    s->name, (unsigned long long)s->nr_inuse);
	drop_name(m, s, cache);
	for (cpu = 0; cpu < m->nr_cpus; cpu++) {
		deactivate_slab(m, s, (int)cpu);
		put_partials_cpu(m, s, (int)cpu);	/* flush_all_cpus_locked() */
	}
	for (n = 0; n < m->nr_nodes; n++)
		while (s->node[n].partial.first != PFN_NIL) {
			uint64_t head = s->node[n].partial.first;

			remove_partial(m, &s->node[n], head);
			discard_slab(m, s, head, 0);
		}
	cache_event(m, MM_EV_cache_destroy, s);
	s->alive = false;
	return 0;
}

/*** Reports: slab caches and /proc/slabinfo ***/

/* count_partial(): free objects on a node's partial slabs. */
static uint64_t count_partial_free(const struct machine *m, const struct kmem_cache_node *n)
{
	uint64_t free = 0;

	for (uint32_t pfn = n->partial.first; pfn != PFN_NIL; pfn = m->mem_map[pfn].next)
		free += (uint64_t)(m->mem_map[pfn].slab.objects - m->mem_map[pfn].slab.inuse);
	return free;
}

/*
 * get_slabinfo(): as the kernel counts, the free objects of CPU slabs are
 * "active"; active_slabs is every slab. inuse is the exact count besides.
 */
static void cache_info(const struct machine *m, const struct kmem_cache *s,
		       struct slab_cache_info *info)
{
	uint64_t free = 0;

	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", s->name);
	info->object_size = s->object_size;
	info->size = s->size;
	info->align = s->align;
	info->objperslab = s->oo_objects;
	info->pagesperslab = 1u << s->oo_order;
	info->order = s->oo_order;
	info->min_partial = s->min_partial;
	info->is_kmalloc = s->is_kmalloc;
	for (unsigned int n = 0; n < m->nr_nodes; n++) {
		info->num_slabs += s->node[n].nr_slabs;
		info->num_objs += s->node[n].total_objects;
		info->partial += s->node[n].nr_partial;
		free += count_partial_free(m, &s->node[n]);
	}
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++) {
		info->cpu_slabs += s->cpu_slab[cpu].slab != PFN_NIL;
		info->cpu_partial += s->cpu_slab[cpu].partial.nr;
	}
	info->cpu_partial_slabs = s->cpu_partial_slabs;
	info->active_slabs = info->num_slabs;
	info->active_objs = info->num_objs - free;
	info->inuse = s->nr_inuse;
	info->refcount = s->refcount;
	for (unsigned int i = 0; i < sl(m)->nr_aliases; i++)
		info->nr_aliases += cache_at(m, sl(m)->aliases[i].cache) == s;
}

/* Caches in /proc/slabinfo order (newest first), as indexes. */
static unsigned int caches_in_order(const struct machine *m, uint32_t *out)
{
	const struct slab_state *st = sl(m);
	unsigned int n = 0;

	for (unsigned int i = 0; i < st->nr_caches; i++)
		if (st->caches[i].alive)
			out[n++] = i;
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 &&
		     st->caches[out[j]].created > st->caches[out[j - 1]].created; j--) {
			uint32_t t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

unsigned int machine_slab_caches(const struct machine *m)
{
	unsigned int n = 0;

	if (!sl(m))
		return 0;
	for (unsigned int i = 0; i < sl(m)->nr_caches; i++)
		n += sl(m)->caches[i].alive;
	return n;
}

int machine_slab_cache_info(const struct machine *m, unsigned int i, struct slab_cache_info *info)
{
	uint32_t *order;
	unsigned int n;

	if (!sl(m) || i >= machine_slab_caches(m))
		return -ENOENT;
	order = malloc(sl(m)->nr_caches * sizeof(*order));
	if (!order)
		return -ENOMEM;
	n = caches_in_order(m, order);
	SIM_BUG_ON(i >= n);
	cache_info(m, cache_at(m, order[i]), info);
	free(order);
	return 0;
}

const char *machine_slab_alias(const struct machine *m, unsigned int i, unsigned int k)
{
	const struct slab_state *st = sl(m);
	const char *name = NULL;
	uint32_t *order;

	if (!st || i >= machine_slab_caches(m))
		return NULL;
	order = malloc(st->nr_caches * sizeof(*order));
	if (!order)
		return NULL;
	caches_in_order(m, order);
	for (unsigned int a = 0; a < st->nr_aliases && !name; a++)
		if (st->aliases[a].cache == order[i] && k-- == 0)
			name = st->aliases[a].name;
	free(order);
	return name;
}

char *proc_slabinfo(const struct machine *m)
{
	unsigned int n = machine_slab_caches(m);
	size_t cap = 256 + (size_t)n * 128, len;
	char *buf = malloc(cap);
	uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
	struct slab_cache_info info;

	if (!buf || !order) {
		free(buf);
		free(order);
		return NULL;
	}
	len = (size_t)snprintf(buf, cap, "slabinfo - version: 2.1\n"
			       "# name            <active_objs> <num_objs> <objsize> <objperslab> "
			       "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : "
			       "slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	n = sl(m) ? caches_in_order(m, order) : 0;
	for (unsigned int i = 0; i < n && len < cap; i++) {
		cache_info(m, cache_at(m, order[i]), &info);
		len += (size_t)snprintf(buf + len, cap - len,
					"%-17s %6llu %6llu %6u %4u %4u : tunables %4u %4u %4u : "
					"slabdata %6llu %6llu %6u\n",
					info.name, (unsigned long long)info.active_objs,
					(unsigned long long)info.num_objs, info.size, info.objperslab,
					info.pagesperslab, 0u, 0u, 0u,
					(unsigned long long)info.active_slabs,
					(unsigned long long)info.num_slabs, 0u);
	}
	free(order);
	SIM_BUG_ON(len >= cap);
	return buf;
}

/*** The machine's share: create, clone, release ***/

int slab_state_create(struct machine *m)
{
	struct slab_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->cap_caches = 64;	/* the 52 kmalloc caches and room to grow */
	st->caches = calloc(st->cap_caches, sizeof(*st->caches));
	if (!st->caches) {
		free(st);
		return -ENOMEM;
	}
	memset(st->kmalloc_caches, 0xff, sizeof(st->kmalloc_caches));
	m->slab = st;
	return 0;
}

int slab_state_clone(struct machine *dst, const struct machine *src)
{
	const struct slab_state *s = src->slab;
	struct slab_state *d;

	dst->slab = NULL;
	if (!s)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	*d = *s;
	d->caches = NULL;
	d->fp = NULL;
	d->free_fp = NULL;
	d->aliases = NULL;
	d->nr_fp = 0;
	dst->slab = d;
	d->caches = malloc(s->cap_caches * sizeof(*d->caches));
	d->fp = calloc(s->cap_fp ? s->cap_fp : 1, sizeof(*d->fp));
	d->free_fp = malloc((s->cap_fp ? s->cap_fp : 1) * sizeof(*d->free_fp));
	if (!d->caches || !d->fp || !d->free_fp)
		return -ENOMEM;
	if (s->nr_caches)
		memcpy(d->caches, s->caches, s->nr_caches * sizeof(*d->caches));
	if (s->nr_free_fp)	/* NULL until the first freelist is recycled */
		memcpy(d->free_fp, s->free_fp, s->nr_free_fp * sizeof(*d->free_fp));
	d->aliases = NULL;
	if (s->cap_aliases) {
		d->aliases = malloc(s->cap_aliases * sizeof(*d->aliases));
		if (!d->aliases)
			return -ENOMEM;
		memcpy(d->aliases, s->aliases, s->nr_aliases * sizeof(*d->aliases));
	}
	for (uint32_t i = 0; i < s->nr_fp; i++, d->nr_fp++) {
		const struct slab_extra *x = (const struct slab_extra *)s->fp[i];
		size_t bytes;

		if (!x)
			continue;
		bytes = sizeof(*x) + x->nr * sizeof(uint16_t);
		d->fp[i] = malloc(bytes);
		if (!d->fp[i])
			return -ENOMEM;
		memcpy(d->fp[i], x, bytes);
	}
	return 0;
}

void slab_state_save(struct snap_writer *w, const struct machine *m)
{
	const struct slab_state *s = m->slab;

	snap_put_struct(w, s, sizeof(*s));
	if (!s)
		return;
	snap_put_array(w, s->caches, s->nr_caches * sizeof(*s->caches));
	snap_put_array(w, s->free_fp, s->nr_free_fp * sizeof(*s->free_fp));
	for (uint32_t i = 0; i < s->nr_fp; i++) {
		const struct slab_extra *x = (const struct slab_extra *)s->fp[i];

		snap_put_array(w, x, x ? sizeof(*x) + x->nr * sizeof(uint16_t) : 0);
	}
	/* cache merging: the aliases */
	snap_put_array(w, s->aliases, s->nr_aliases * sizeof(*s->aliases));
}

void slab_state_load(struct snap_reader *r, struct machine *m)
{
	struct slab_state *d = snap_get_struct(r, sizeof(*d));
	uint32_t nr_fp;

	if (!d)
		return;
	nr_fp = d->nr_fp;
	d->caches = NULL;
	d->fp = NULL;
	d->free_fp = NULL;
	d->aliases = NULL;
	d->nr_fp = 0;
	m->slab = d;
	if (d->nr_caches > d->cap_caches || nr_fp > d->cap_fp || d->nr_free_fp > d->cap_fp) {
		r->err = -EPROTO;
		return;
	}
	d->caches = snap_get_array(r, d->cap_caches * sizeof(*d->caches));
	d->free_fp = snap_get_array(r, (d->cap_fp ? d->cap_fp : 1) * sizeof(*d->free_fp));
	d->fp = calloc(d->cap_fp ? d->cap_fp : 1, sizeof(*d->fp));
	if (!d->fp)
		r->err = -ENOMEM;
	if (!r->err && (!d->caches || !d->free_fp))
		r->err = -EPROTO;
	for (uint32_t i = 0; i < nr_fp && !r->err; i++, d->nr_fp++)
		d->fp[i] = snap_get_optional(r, 0);
	/* cache merging: the aliases */
	if (!r->err && d->nr_aliases > d->cap_aliases)
		r->err = -EPROTO;
	if (!r->err)
		d->aliases = snap_get_optional(r, d->cap_aliases * sizeof(*d->aliases));
	if (!r->err && d->cap_aliases && !d->aliases)
		r->err = -EPROTO;
}

void slab_state_release(struct machine *m)
{
	struct slab_state *st = m->slab;

	if (!st)
		return;
	for (uint32_t i = 0; i < st->nr_fp; i++)
		free(st->fp[i]);
	free(st->fp);
	free(st->free_fp);
	free(st->caches);
	free(st->aliases);
	free(st);
	m->slab = NULL;
}

/*** Self-check (the design notes' invariants S1-S6) ***/

struct slab_checker {
	const struct machine *m;
	void (*report)(void *ctx, const char *msg);
	void *ctx;
	uint8_t *on_partial;		/* one bit per pfn */
	uint64_t *slabs, *objects, *pages;	/* per cache and node */
	uint64_t *inuse;		/* per cache */
	uint8_t *seen;			/* per object of the slab being checked */
};

static void slab_violation(struct slab_checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void slab_violation(struct slab_checker *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mm_vreport(c->report, c->ctx, fmt, ap);
	va_end(ap);
}

static bool partial_bit(const struct slab_checker *c, uint64_t pfn)
{
	return c->on_partial[pfn >> 3] & (1u << (pfn & 7));
}

/* S3: one node's partial list. */
static void check_partial_list(struct slab_checker *c, uint32_t idx, unsigned int node)
{
	const struct machine *m = c->m;
	const struct kmem_cache *s = cache_at(m, idx);
	const struct kmem_cache_node *n = &s->node[node];
	uint32_t pfn = n->partial.first, prev = PFN_NIL;
	uint64_t count = 0;

	while (pfn != PFN_NIL && count <= m->max_pfn) {
		const struct page *p;

		if (pfn >= m->max_pfn) {
			slab_violation(c, "S3: %s node %u partial list links to pfn 0x%x beyond the machine",
				       s->name, node, pfn);
			return;
		}
		p = &m->mem_map[pfn];
		if (p->prev != prev)
			slab_violation(c, "S3: %s node %u partial list: pfn 0x%x prev 0x%x, expected 0x%x",
				       s->name, node, pfn, p->prev, prev);
		if (p->owner != OWNER_SLAB || !PageSlab(p) || p->slab.slab_cache != idx ||
		    p->node != node)
			slab_violation(c, "S3: %s node %u partial list holds pfn 0x%x, not one of its slabs",
				       s->name, node, pfn);
		else if (p->slab.inuse >= p->slab.objects || slab_extra(m, pfn)->partial_cpu >= 0)
			slab_violation(c, "S3: %s partial slab 0x%x is full (%u/%u) or a CPU's",
				       s->name, pfn, p->slab.inuse, p->slab.objects);
		c->on_partial[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
		prev = pfn;
		pfn = p->next;
		count++;
	}
	if (n->partial.last != prev || count != n->nr_partial || count != n->partial.nr)
		slab_violation(c, "S3: %s node %u: %llu partial slabs linked, nr_partial %llu",
			       s->name, node, (unsigned long long)count,
			       (unsigned long long)n->nr_partial);
}

/* S3: one CPU's partial list: its cache's slabs, each with a free object, marked as its. */
static void check_cpu_partial_list(struct slab_checker *c, uint32_t idx, unsigned int cpu)
{
	const struct machine *m = c->m;
	const struct kmem_cache *s = cache_at(m, idx);
	const struct list_head *list = &s->cpu_slab[cpu].partial;
	uint32_t pfn = list->first, prev = PFN_NIL;
	uint64_t count = 0;

	while (pfn != PFN_NIL && count <= m->max_pfn) {
		const struct page *p;

		if (pfn >= m->max_pfn) {
			slab_violation(c, "S3: %s CPU %u partial list links beyond the machine",
				       s->name, cpu);
			return;
		}
		p = &m->mem_map[pfn];
		if (p->prev != prev || p->owner != OWNER_SLAB || !PageSlab(p) ||
		    p->slab.slab_cache != idx || partial_bit(c, pfn) ||
		    slab_extra(m, pfn)->partial_cpu != (int32_t)cpu || slab_extra(m, pfn)->cpu >= 0)
			slab_violation(c, "S3: %s CPU %u partial list holds pfn 0x%x, not one of its partial slabs",
				       s->name, cpu, pfn);
		else if (p->slab.inuse >= p->slab.objects)
			slab_violation(c, "S3: %s CPU %u partial slab 0x%x is full", s->name, cpu, pfn);
		c->on_partial[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
		prev = pfn;
		pfn = p->next;
		count++;
	}
	if (list->last != prev || count != list->nr)
		slab_violation(c, "S3: %s CPU %u: %llu partial slabs linked, the list counts %llu",
			       s->name, cpu, (unsigned long long)count, (unsigned long long)list->nr);
}

/* S2: the free-pointer chain of one slab; returns the free objects found. */
static unsigned int check_freelist(struct slab_checker *c, const struct kmem_cache *s,
				   uint64_t head)
{
	const struct machine *m = c->m;
	const struct page *p = &m->mem_map[head];
	const struct slab_extra *x = slab_extra(m, head);
	unsigned int free = 0, i, handed = 0;
	uint64_t addr = p->slab.freelist;

	memset(c->seen, 0, p->slab.objects);
	while (addr) {
		uint64_t off = addr - slab_base(m, head);

		if (addr < slab_base(m, head) || off % s->size || off / s->size >= p->slab.objects) {
			slab_violation(c, "S2: %s slab 0x%llx: free pointer 0x%llx is not an object",
				       s->name, (unsigned long long)head, (unsigned long long)addr);
			return free;
		}
		i = (unsigned int)(off / s->size);
		if (c->seen[i] || x->fp[i] == FP_ALLOCATED) {
			slab_violation(c, "S2: %s slab 0x%llx: object %u is on the freelist twice or handed out",
				       s->name, (unsigned long long)head, i);
			return free;
		}
		c->seen[i] = 1;
		free++;
		addr = x->fp[i] == FP_END ? 0 : obj_addr(m, s, head, x->fp[i]);
	}
	for (i = 0; i < p->slab.objects; i++)
		handed += !c->seen[i] && x->fp[i] == FP_ALLOCATED;
	if (free + handed != p->slab.objects || handed != p->slab.inuse)
		slab_violation(c, "S2: %s slab 0x%llx: %u free and %u handed out, inuse %u of %u",
			       s->name, (unsigned long long)head, free, handed, p->slab.inuse,
			       p->slab.objects);
	return free;
}

/* S1-S3 for the slab headed at @head. */
static void check_one_slab(struct slab_checker *c, uint64_t head)
{
	const struct machine *m = c->m;
	const struct page *p = &m->mem_map[head];
	const struct slab_state *st = sl(m);
	const struct kmem_cache *s;
	const struct slab_extra *x;
	uint32_t idx = p->slab.slab_cache;
	bool geometry;

	if (!PageSlab(p) || idx >= st->nr_caches || !st->caches[idx].alive) {
		slab_violation(c, "S1: slab block at pfn 0x%llx: PGTY_slab %d, cache %u is not live",
			       (unsigned long long)head, PageSlab(p), idx);
		return;
	}
	s = cache_at(m, idx);
	geometry = (p->order == s->oo_order && p->slab.objects == s->oo_objects) ||
		   (p->order == s->min_order && p->slab.objects == s->min_objects);
	if (!geometry || (p->order && !page_test(p, PG_head)))
		slab_violation(c, "S1: %s slab 0x%llx: order %u with %u objects is not its geometry",
			       s->name, (unsigned long long)head, p->order, p->slab.objects);
	check_freelist(c, s, head);
	c->slabs[idx * m->nr_nodes + p->node]++;
	c->objects[idx * m->nr_nodes + p->node] += p->slab.objects;
	c->pages[idx * m->nr_nodes + p->node] += 1ULL << p->order;
	c->inuse[idx] += p->slab.inuse;
	x = slab_extra(m, head);
	if (x->cpu >= 0) {
		if ((unsigned int)x->cpu >= m->nr_cpus || s->cpu_slab[x->cpu].slab != head ||
		    partial_bit(c, head))
			slab_violation(c, "S3: %s slab 0x%llx says it is CPU %d's, which disagrees",
				       s->name, (unsigned long long)head, x->cpu);
	} else if (x->partial_cpu >= 0 && !partial_bit(c, head)) {
		slab_violation(c, "S3: %s slab 0x%llx says it is on CPU %d's partial list, which lacks it",
			       s->name, (unsigned long long)head, x->partial_cpu);
	} else if (!partial_bit(c, head) && p->slab.inuse != p->slab.objects) {
		slab_violation(c, "S3: %s slab 0x%llx has %u free objects but is on no list",
			       s->name, (unsigned long long)head, p->slab.objects - p->slab.inuse);
	}
}

/* S1 and S5 over every page; S1-S3 for every slab. */
static void check_slab_pages(struct slab_checker *c)
{
	const struct machine *m = c->m;

	for (uint64_t pfn = 0; pfn < m->max_pfn; pfn++) {
		const struct page *p = &m->mem_map[pfn];

		if (p->owner == OWNER_SLAB) {
			if (p->compound_head == pfn)
				check_one_slab(c, pfn);
			else if (page_has_type(p))
				slab_violation(c, "S1: tail pfn 0x%llx of a slab has a page type",
					       (unsigned long long)pfn);
		} else if (PageSlab(p)) {
			slab_violation(c, "S1: pfn 0x%llx is PGTY_slab but belongs to %s",
				       (unsigned long long)pfn, page_owner_name(p->owner));
		} else if (p->owner == OWNER_KMALLOC_LARGE && p->compound_head == pfn &&
			   (!page_test(p, PG_head) || !p->order ||
			    !page_type_is(p, PGTY_large_kmalloc))) {
			slab_violation(c, "S5: kmalloc_large block at pfn 0x%llx is not a compound "
				       "PGTY_large_kmalloc block", (unsigned long long)pfn);
		}
	}
}

/* S3 (CPU slabs) and S4 (counters) per cache. */
static void check_cache_counters(struct slab_checker *c, uint32_t idx)
{
	const struct machine *m = c->m;
	const struct kmem_cache *s = cache_at(m, idx);

	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++) {
		uint32_t head = s->cpu_slab[cpu].slab;

		if (head == PFN_NIL)
			continue;
		if (head >= m->max_pfn || !PageSlab(&m->mem_map[head]) ||
		    m->mem_map[head].slab.slab_cache != idx ||
		    slab_extra(m, head)->cpu != (int32_t)cpu)
			slab_violation(c, "S3: %s: CPU %u's slab 0x%x is not one of its slabs",
				       s->name, cpu, head);
	}
	for (unsigned int n = 0; n < m->nr_nodes; n++)
		if (c->slabs[idx * m->nr_nodes + n] != s->node[n].nr_slabs ||
		    c->objects[idx * m->nr_nodes + n] != s->node[n].total_objects ||
		    c->pages[idx * m->nr_nodes + n] != s->node[n].nr_pages)
			slab_violation(c, "S4: %s node %u: %llu slabs / %llu objects found, counters say %llu / %llu",
				       s->name, n,
				       (unsigned long long)c->slabs[idx * m->nr_nodes + n],
				       (unsigned long long)c->objects[idx * m->nr_nodes + n],
				       (unsigned long long)s->node[n].nr_slabs,
				       (unsigned long long)s->node[n].total_objects);
	if (c->inuse[idx] != s->nr_inuse)
		slab_violation(c, "S4: %s: slabs hold %llu objects in use, the cache counts %llu",
			       s->name, (unsigned long long)c->inuse[idx],
			       (unsigned long long)s->nr_inuse);
}

/*
 * S6: every alias names a live, mergeable cache whose objects are at least
 * its size, and no live name; a cache's refcount is its own name (until
 * destroyed) plus its aliases; a kmalloc cache keeps its usercopy region and
 * no alias.
 */
static void check_aliases(struct slab_checker *c)
{
	const struct slab_state *st = sl(c->m);

	for (unsigned int i = 0; i < st->nr_aliases; i++) {
		const struct slab_alias *a = &st->aliases[i];
		const struct kmem_cache *s = a->cache < st->nr_caches ? &st->caches[a->cache] : NULL;

		if (!s || !s->alive || slab_unmergeable(s) || s->object_size < a->size)
			slab_violation(c, "S6: alias %s of size %u names a cache that cannot take it",
				       a->name, a->size);
		for (unsigned int k = 0; k < st->nr_caches; k++)
			if (st->caches[k].alive && !st->caches[k].name_destroyed &&
			    !strcmp(st->caches[k].name, a->name))
				slab_violation(c, "S6: alias %s is also a cache's own name", a->name);
		for (unsigned int k = i + 1; k < st->nr_aliases; k++)
			if (!strcmp(st->aliases[k].name, a->name))
				slab_violation(c, "S6: alias %s is listed twice", a->name);
	}
	for (unsigned int k = 0; k < st->nr_caches; k++) {
		const struct kmem_cache *s = &st->caches[k];
		int refs = !s->name_destroyed;

		if (!s->alive)
			continue;
		for (unsigned int i = 0; i < st->nr_aliases; i++)
			refs += st->aliases[i].cache == k;
		if (s->refcount != refs)
			slab_violation(c, "S6: %s has refcount %d for %d names", s->name, s->refcount,
				       refs);
		if (s->is_kmalloc && (s->usersize != s->object_size || s->name_destroyed))
			slab_violation(c, "S6: kmalloc cache %s became mergeable", s->name);
	}
}

void slab_check(const struct machine *m, void (*report)(void *ctx, const char *msg), void *ctx)
{
	const struct slab_state *st = sl(m);
	struct slab_checker c = { m, report, ctx, NULL, NULL, NULL, NULL, NULL, NULL };
	size_t cells;

	if (!st)
		return;
	cells = (size_t)st->nr_caches * m->nr_nodes + 1;
	c.on_partial = calloc((m->max_pfn >> 3) + 1, 1);
	c.slabs = calloc(cells, sizeof(uint64_t));
	c.objects = calloc(cells, sizeof(uint64_t));
	c.pages = calloc(cells, sizeof(uint64_t));
	c.inuse = calloc(st->nr_caches + 1, sizeof(uint64_t));
	c.seen = malloc(MAX_OBJS_PER_PAGE + 1);
	if (!c.on_partial || !c.slabs || !c.objects || !c.pages || !c.inuse || !c.seen) {
		report(ctx, "S0: out of host memory for the slab check");
		goto out;
	}
	for (uint32_t i = 0; i < st->nr_caches; i++)
		if (st->caches[i].alive)
			for (unsigned int n = 0; n < m->nr_nodes; n++)
				check_partial_list(&c, i, n);
	for (uint32_t i = 0; i < st->nr_caches; i++)
		if (st->caches[i].alive)
			for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
				check_cpu_partial_list(&c, i, cpu);
	check_slab_pages(&c);
	for (uint32_t i = 0; i < st->nr_caches; i++)
		if (st->caches[i].alive)
			check_cache_counters(&c, i);
	check_aliases(&c);
out:
	free(c.on_partial);
	free(c.slabs);
	free(c.objects);
	free(c.pages);
	free(c.inuse);
	free(c.seen);
}
