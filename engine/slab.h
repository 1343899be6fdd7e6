/*
 * slab.h - the slab allocator's structures, shared by slub.c, vmalloc.c,
 * dma.c and check.c only.
 *
 * Mirrors mm/slab.h (struct kmem_cache, struct kmem_cache_node, the kmalloc
 * type and index helpers) and include/linux/slab.h. Two ideas to hold:
 *
 *  - A cache descriptor lives in the machine (a host array), and a slab page
 *    names its cache by its index in that array (page->slab.slab_cache).
 *  - The objects of a slab are direct-map addresses of the slab's frames
 *    (PAGE_OFFSET + paddr). Their free pointers, which the kernel writes into
 *    the free objects themselves, are kept here in a host array per slab,
 *    found through the head page's private field.
 */
#ifndef MMLAB_SLAB_H
#define MMLAB_SLAB_H

#include "internal.h"
#include "layout.h"

#define KMALLOC_MIN_SIZE	8
#define KMALLOC_SHIFT_LOW	3
#define KMALLOC_SHIFT_HIGH	(PAGE_SHIFT + 1)		/* kmalloc-8k */
#define KMALLOC_MAX_CACHE_SIZE	(1UL << KMALLOC_SHIFT_HIGH)
#define ARCH_KMALLOC_MINALIGN	8
#define ARCH_SLAB_MINALIGN	8
#define MAX_OBJS_PER_PAGE	32767
#define MIN_PARTIAL		5
#define MAX_PARTIAL		10
#define SLUB_MAX_ORDER		PAGE_ALLOC_COSTLY_ORDER	/* slub_max_order */
#define KMEM_CACHE_NAME_LEN	32

/* Slab flags (include/linux/slab.h), the ones the simulation uses. */
#define SLAB_HWCACHE_ALIGN	0x00002000u
#define SLAB_CACHE_DMA		0x00004000u
#define SLAB_RECLAIM_ACCOUNT	0x00020000u
#define SLAB_KMALLOC		0x00200000u
#define SLAB_ACCOUNT		0x04000000u	/* charged to the memory cgroup */

/* enum kmalloc_cache_type with CONFIG_MEMCG (kmalloc-cg-*), without random caches. */
enum kmalloc_cache_type {
	KMALLOC_NORMAL, KMALLOC_RECLAIM, KMALLOC_DMA, KMALLOC_CGROUP, NR_KMALLOC_TYPES
};

/* Free pointers of one slab: per object, the index of the next free one. */
#define FP_END		0xffffu		/* last free object */
#define FP_ALLOCATED	0xfffeu		/* handed out */

/*
 * The active slab of one CPU (struct kmem_cache_cpu without a lockless
 * freelist), and its partial slabs (CONFIG_SLUB_CPU_PARTIAL=y): slabs that
 * were full until an object of theirs was freed on this CPU, newest first.
 */
struct kmem_cache_cpu {
	uint32_t slab;			/* head pfn, PFN_NIL when none */
	struct list_head partial;	/* linked by page->next/prev; nr: its slabs */
};

struct kmem_cache_node {
	struct list_head partial;	/* slabs linked by page->next/prev */
	uint64_t nr_partial;
	uint64_t nr_slabs;		/* every slab of the node (CONFIG_SLUB_DEBUG) */
	uint64_t total_objects;
	uint64_t nr_pages;		/* pages of those slabs */
};

struct kmem_cache {
	char name[KMEM_CACHE_NAME_LEN];
	bool alive;
	bool is_kmalloc;
	uint32_t flags;			/* SLAB_* */
	gfp_t allocflags;		/* added to every slab page allocation */
	unsigned int object_size;	/* what the user asked for */
	unsigned int size;		/* object plus alignment: the stride */
	unsigned int align;
	unsigned int offset;		/* where the free pointer would live */
	unsigned int oo_order, oo_objects;	/* preferred slab geometry */
	unsigned int min_order, min_objects;	/* fallback geometry */
	unsigned int min_partial;
	uint64_t created;		/* creation number: /proc/slabinfo lists newest first */
	uint64_t nr_inuse;		/* objects handed out */
	struct kmem_cache_cpu cpu_slab[MACHINE_MAX_CPUS];
	struct kmem_cache_node node[MACHINE_MAX_NODES];
	/* Cache merging (mm/slab_common.c, find_mergeable()) */
	unsigned int cpu_partial;	/* objects a CPU's partial list aims at (set_cpu_partial()) */
	unsigned int cpu_partial_slabs;	/* slabs it holds before draining (slub_set_cpu_partial()) */
	int refcount;			/* its own name (unless destroyed) and its aliases */
	unsigned int usersize;		/* CONFIG_HARDENED_USERCOPY region: never merged */
	bool name_destroyed;		/* kmem_cache_destroy() of its own name, aliases live on */
	bool has_ctor;			/* a constructor: never merged (the inode cache's init_once) */
};

/* A kmem_cache_create() that find_mergeable() answered with an existing cache. */
struct slab_alias {
	char name[KMEM_CACHE_NAME_LEN];
	uint32_t cache;			/* the cache it resolves to */
	unsigned int size;		/* the object size it asked for */
};

struct slab_state {
	struct kmem_cache *caches;	/* indexed by page->slab.slab_cache */
	unsigned int nr_caches, cap_caches;
	int kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];	/* -1: none */
	uint64_t next_created;
	/* Free-pointer arrays, one per slab, by record id (head page->private). */
	uint16_t **fp;
	uint32_t nr_fp, cap_fp;
	uint32_t *free_fp;		/* ids to reuse, lowest last */
	uint32_t nr_free_fp;
	bool up;			/* kmem_cache_init() ran */
	/* Cache merging: the names that resolve to another cache, as /sys/kernel/slab's links */
	struct slab_alias *aliases;
	unsigned int nr_aliases, cap_aliases;
};

/* PAGE_OFFSET: where the direct map of all RAM begins. */
static inline uint64_t page_offset_of(const struct machine *m)
{
	return layout_page_offset(m->cfg.paging_levels);
}

/* __va() of a physical address in the direct map. */
static inline uint64_t direct_map_va(const struct machine *m, uint64_t paddr)
{
	return page_offset_of(m) + paddr;
}

/* slub.c: the machine's share. */
int slab_state_create(struct machine *m);
int slab_state_clone(struct machine *dst, const struct machine *src);
void slab_state_release(struct machine *m);
void slab_check(const struct machine *m, void (*report)(void *ctx, const char *msg), void *ctx);
const char *slab_cache_name(const struct machine *m, uint32_t idx);
/* Pages of slabs on @node (-1: all nodes) of SLAB_RECLAIM_ACCOUNT caches, or of the others. */
uint64_t slab_pages(const struct machine *m, int node, bool reclaimable);
/*
 * A cache the kernel creates for itself with SLAB_* @flags, a usercopy
 * region of @usersize bytes and maybe a constructor: either keeps it
 * unmerged. 0 when it exists already. (filemap.c: dentry, inode_cache)
 */
int kmem_cache_create_flags(struct machine *m, const char *name, unsigned int size,
			    unsigned int align, uint32_t flags, unsigned int usersize, bool ctor);

/* slub.c: kmalloc()/kfree() for the other units (vmalloc's metadata). */
int __kmalloc(struct machine *m, size_t size, gfp_t gfp, int cpu, uint64_t *addr,
	      struct mm_error *e);
int __kfree(struct machine *m, uint64_t addr, int cpu, struct mm_error *e);

/* vmalloc.c: the machine's share and the self-check. */
int vmalloc_state_create(struct machine *m);
int vmalloc_state_clone(struct machine *dst, const struct machine *src);
void vmalloc_state_release(struct machine *m);
void vmalloc_check(const struct machine *m, void (*report)(void *ctx, const char *msg), void *ctx);
/* Is @addr in a lazily freed range (stale TLB entries may still name it)? */
bool vmalloc_lazy_contains(const struct machine *m, uint64_t addr);

#endif /* MMLAB_SLAB_H */
