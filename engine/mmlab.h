/*
 * mmlab.h - the public face of the simulated machine.
 *
 * The engine is a deterministic, single-threaded model of x86-64 Linux memory
 * management (kernel names, kernel shapes; pinned to Linux 6.18). Everything a
 * caller outside engine/ may use is declared here: the machine configuration,
 * the event record and its callback, and the units' entry points. The engine
 * never does I/O: it reports what happens through the event callback and
 * answers queries about its state.
 *
 * Errors are 0 or a negative errno, as in the kernel. Functions that can fail
 * for a reason worth showing to a learner also fill a struct mm_error.
 */
#ifndef MMLAB_H
#define MMLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MMLAB_ENGINE_VERSION "0.1.0"

/*** Errors ***/

struct mm_error {
	int err;		/* negative errno, 0 when none */
	char message[256];	/* what went wrong, for a person */
};

/* Fill @e (may be NULL) and return @err, printf-style. */
int mm_error_set(struct mm_error *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "ENOMEM" for -ENOMEM, and so on; "E?" for an unknown code. */
const char *mm_errno_name(int err);

/*** Machine configuration (engine.md section 1) ***/

enum tlb_policy { TLB_POLICY_LRU, TLB_POLICY_FIFO, TLB_POLICY_RANDOM };

struct tlb_array_config {
	unsigned int entries;	/* 0 disables the array */
	unsigned int ways;
};

struct tlb_config {
	struct tlb_array_config l1_4k, l1_2m, l1_1g, stlb;
	enum tlb_policy policy;
};

enum machine_start { MACHINE_START_BOOTED, MACHINE_START_POWERON };

#define MACHINE_MIN_MEM_MIB	64u
#define MACHINE_MAX_NODES	64u
#define MACHINE_MAX_CPUS	256u
#define MACHINE_MIN_MAX_ORDER	1u
#define MACHINE_MAX_MAX_ORDER	12u

struct machine_config {
	uint64_t mem_mib;
	unsigned int nodes;
	unsigned int cpus;
	unsigned int paging_levels;	/* 4 or 5 */
	bool gbpages;
	unsigned int max_order;		/* MAX_PAGE_ORDER */
	bool pcp;
	bool debug_virtual;		/* CONFIG_DEBUG_VIRTUAL: __pa() checks its argument */
	struct tlb_config tlb;
	enum machine_start start;
	uint64_t seed;
	char *layout_zoneinfo;		/* NULL for "pc", else a /proc/zoneinfo text (owned) */
	uint64_t swap_mib;		/* a swap partition of this size; 0: no swap */
	unsigned int swappiness;	/* vm.swappiness at boot, 0..200 */
};

/* The defaults of engine.md section 1. */
void machine_config_defaults(struct machine_config *cfg);

/*
 * Parse a JSON object of section-1 keys over the defaults. Unknown keys,
 * wrong types and impossible values are -EINVAL with a message naming the
 * key. @json may be NULL or "" for all defaults. @host_limit_mib caps mem_mib
 * (the host memory budget); 0 means no cap.
 */
int machine_config_parse(struct machine_config *cfg, const char *json,
			 uint64_t host_limit_mib, struct mm_error *e);

/* The full, normalised config as a JSON text (malloc'd; NULL on ENOMEM). */
char *machine_config_to_json(const struct machine_config *cfg);

/* Release what machine_config_parse() allocated inside @cfg. */
void machine_config_release(struct machine_config *cfg);


/*** Events (events.md) ***/

/*
 * Every event type the machine can report. The numeric values are stored in
 * the database (event_types.id): append new types at the end, never renumber.
 */
#define MM_EVENT_TYPES(X)						\
	X(cpu_mode) X(cr0_write) X(cr3_write) X(cr4_write)		\
	X(paging_enable) X(paging_disable) X(triple_fault)		\
	X(memblock_reserve) X(memblock_free_all) X(zone_online)	\
	X(mm_page_alloc) X(mm_page_free) X(buddy_split) X(buddy_merge)	\
	X(pcp_refill) X(pcp_drain) X(mm_page_alloc_extfrag)		\
	X(alloc_fail) X(watermark_breach)				\
	X(kmalloc) X(kfree) X(kmem_cache_alloc) X(kmem_cache_free)	\
	X(slab_new) X(slab_free) X(kmalloc_large) X(cache_create)	\
	X(cache_destroy)						\
	X(vmap_area_alloc) X(vmap_area_free) X(vmalloc) X(vfree)	\
	X(vmap_page)							\
	X(pgtable_alloc) X(pgtable_free) X(pte_set) X(pte_clear)	\
	X(translate) X(tlb_fill) X(tlb_evict) X(tlb_flush)		\
	X(page_fault)							\
	X(virt_to_phys) X(dma_map)					\
	X(process_spawn) X(process_exit) X(mmap) X(munmap) X(brk)	\
	X(boot_stage) X(memblock_alloc)					\
	X(swiotlb_bounced) X(dma_unmap) X(oops)				\
	X(free_vmap_area_noflush) X(purge_vmap_area_lazy)		\
	X(mm_filemap_add_to_page_cache) X(mm_filemap_delete_from_page_cache) \
	X(mm_filemap_fault) X(mm_lru_insertion) X(mm_lru_activate)	\
	X(writeback_dirty_folio) X(writeback_single_inode)		\
	X(global_dirty_state) X(file_create) X(file_read) X(file_write)	\
	X(file_fsync) X(drop_caches) X(task_newtask) X(wp_page_copy)	\
	X(wp_page_reuse)		\
	X(mm_vmscan_wakeup_kswapd) X(mm_vmscan_kswapd_wake)		\
	X(mm_vmscan_kswapd_sleep) X(mm_vmscan_direct_reclaim_begin)	\
	X(mm_vmscan_direct_reclaim_end) X(mm_vmscan_lru_isolate)	\
	X(mm_vmscan_lru_shrink_inactive) X(mm_vmscan_lru_shrink_active)	\
	X(mm_shrink_slab_start) X(mm_shrink_slab_end)			\
	X(mm_vmscan_write_folio) X(swap_writepage) X(swap_readpage)	\
	X(mark_victim) X(oom_score_adj_update) X(finish_task_reaping)	\
	X(mm_vmscan_memcg_reclaim_begin) X(mm_vmscan_memcg_reclaim_end)	\
	X(mm_compaction_begin) X(mm_compaction_end)			\
	X(mm_compaction_isolate_migratepages)				\
	X(mm_compaction_isolate_freepages)				\
	X(mm_compaction_migratepages)					\
	X(mm_compaction_try_to_compact_pages)				\
	X(mm_compaction_suitable) X(mm_compaction_finished)		\
	X(mm_compaction_deferred) X(mm_compaction_defer_compaction)	\
	X(mm_compaction_defer_reset)					\
	X(mm_compaction_wakeup_kcompactd) X(mm_compaction_kcompactd_wake) \
	X(mm_compaction_kcompactd_sleep)				\
	X(mm_migrate_pages_start) X(mm_migrate_pages)			\
	X(set_migration_pte) X(remove_migration_pte)			\
	X(migrate_folio_move)						\
	X(mm_compaction_fast_isolate_freepages)				\
	X(mm_page_alloc_zone_locked) X(mm_page_pcpu_drain)		\
	X(mm_page_free_batched)

enum mm_event_type {
	MM_EV_NONE = 0,
#define MM_EV_ENUM(name) MM_EV_##name,
	MM_EVENT_TYPES(MM_EV_ENUM)
#undef MM_EV_ENUM
	MM_EV_NR_TYPES
};

/* "mm_page_alloc" for MM_EV_mm_page_alloc; NULL when out of range. */
const char *mm_event_type_name(int type);
/* The type for a name, or MM_EV_NONE. */
int mm_event_type_from_name(const char *name);

/*
 * One event, with typed fields. A field that does not apply to the type is
 * MM_NA (signed fields) or MM_NA_U64 (unsigned ones); the recorder stores it
 * as NULL. @detail is a short constant or engine-owned string valid only
 * during the callback (a reason, a stage name, a flag set).
 */
#define MM_NA		(-1)
#define MM_NA_U64	UINT64_MAX

struct mm_event {
	int type;		/* enum mm_event_type */
	int cpu;
	int node;
	int zone;		/* zone index within the node (enum zone_type) */
	int order;
	int migratetype;
	int level;		/* page-table level, 1 = pte .. 5 = pgd */
	uint32_t gfp;		/* gfp_t of the request, 0 when none */
	uint64_t pfn;
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t size;
	int64_t value;		/* a type-specific number (count, error code, ...) */
	const char *detail;
};

/* Called for every event, in order. Must not call back into the machine. */
typedef void (*mm_event_fn)(void *ctx, const struct mm_event *ev);

/* An event with every field MM_NA, ready to fill. */
void mm_event_init(struct mm_event *ev, int type);

/*** The machine ***/

struct machine;

/*
 * Build a machine from @cfg: layout, memblock reservations, struct page
 * array, memblock_free_all() into the buddy allocator (for "booted"
 * machines). Boot events go to @fn. NULL with @e filled on failure.
 */
struct machine *machine_create(const struct machine_config *cfg,
			       mm_event_fn fn, void *ctx, struct mm_error *e);
void machine_destroy(struct machine *m);
/* Replace the event consumer (NULL turns events off). */
void machine_set_event_fn(struct machine *m, mm_event_fn fn, void *ctx);
const struct machine_config *machine_get_config(const struct machine *m);
/*
 * A deep copy of @m (for replay snapshots and fork). The copy has the same
 * event consumer as @m; replace it with machine_set_event_fn(). NULL on ENOMEM.
 */
struct machine *machine_clone(const struct machine *m);
/*
 * A struct page array kept from a destroyed clone, for the next clone of a
 * machine of the same size: a clone into fresh memory has the host fault in
 * and clear every page of it first (a 4 GiB machine: 64 MiB, about as long
 * as the copy itself). Empty: pages NULL.
 */
struct mem_map_spare {
	void *pages;
	uint64_t nr_pages;
};
/* machine_clone(), into @spare's array when it fits (the spare is then empty; one that does not fit is freed). */
struct machine *machine_clone_reusing(const struct machine *m, struct mem_map_spare *spare);
/* machine_destroy(), keeping @m's struct page array in @spare (an array already there is freed). */
void machine_destroy_keeping(struct machine *m, struct mem_map_spare *spare);
/* Give a spare's array back to the host. */
void mem_map_spare_free(struct mem_map_spare *spare);
/*
 * How a new struct page array of @len bytes at @addr is faulted in before
 * its first use, for the whole process (NULL, the default: by that use, one
 * fault at a time). A 256 GiB machine's array is 4 GiB, and a host that
 * hands out fresh memory slowly spends most of the creation in those faults;
 * the daemon's hook spreads them over the host's CPUs, as the kernel's own
 * deferred_init_memmap() spreads the struct page initialisation over a
 * node's (padata_do_multithreaded()). Called only for arrays of at least
 * MEM_MAP_POPULATE_MIN bytes; it must leave the memory zero.
 */
#define MEM_MAP_POPULATE_MIN	(256u << 20)	/* machines of 16 GiB and up */
void mem_map_set_populate(void (*populate)(void *addr, size_t len));
/*
 * Snapshots: the whole machine as a byte stream for a store that outlives the
 * process (engine/snapshot.c). machine_save() hands the bytes to @fn, which
 * returns 0 or a negative errno. machine_load() asks @fn for exactly @len
 * bytes at a time (0, or a negative errno when it has fewer) and rebuilds the
 * machine, with events off; a stream from another engine build, a damaged or
 * a short one is -EPROTO. machine_snapshot_build() names this build.
 */
typedef int (*mm_write_fn)(void *ctx, const void *buf, size_t len);
typedef int (*mm_read_fn)(void *ctx, void *buf, size_t len);
int machine_save(const struct machine *m, mm_write_fn fn, void *ctx, struct mm_error *e);
struct machine *machine_load(mm_read_fn fn, void *ctx, struct mm_error *e);
const char *machine_snapshot_build(void);
/* The same through a malloc'd buffer (free it), and from one. */
int machine_save_mem(const struct machine *m, void **buf, size_t *len, struct mm_error *e);
struct machine *machine_load_mem(const void *buf, size_t len, struct mm_error *e);
/*
 * FNV-1a over the struct page array and the pageblock migratetypes, the
 * arrays that hold no pointer: two machines in the same state give the same
 * digest, whatever process or heap they live in (a snapshot's other
 * structures are written with their pointers, which differ).
 */
uint64_t machine_mem_map_digest(const struct machine *m);
/* Failure injection: the @n-th page allocation from now fails with ENOMEM (0: off). */
void machine_fail_nth_alloc(struct machine *m, unsigned long n);

/*** GFP flags (include/linux/gfp_types.h) ***/

typedef uint32_t gfp_t;

/* Parse "GFP_KERNEL|__GFP_ZERO"; an unknown name is -EINVAL naming it. */
int gfp_parse(const char *text, gfp_t *gfp, struct mm_error *e);
/* Write flags as the kernel's tracepoints print them ("GFP_KERNEL|__GFP_ZERO"). */
void gfp_format(gfp_t gfp, char *buf, size_t len);
/* gfp_zone(): the highest zone (enum zone_type) a request may use; -EINVAL for a bad mix. */
int gfp_zone(gfp_t gfp);
/* gfp_migratetype(): enum migratetype of a request; -EINVAL for movable|reclaimable. */
int gfp_migratetype(gfp_t gfp);

/*** Physical memory and the buddy allocator (page_alloc.c) ***/

/* Zones of a node, as enum zone_type with CONFIG_ZONE_DMA/DMA32 and ZONE_MOVABLE, ZONE_DEVICE. */
enum zone_type { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_MOVABLE, ZONE_DEVICE, MAX_NR_ZONES };

enum migratetype {
	MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE,
	MIGRATE_HIGHATOMIC, MIGRATE_ISOLATE, MIGRATE_TYPES
};

/* Who holds a frame (one owner at a time); also the physmap byte codes. */
enum page_owner {
	OWNER_HOLE,		/* no RAM behind this pfn */
	OWNER_FREE,		/* in a buddy free list */
	OWNER_PCP,		/* on a per-CPU page list */
	OWNER_RESERVED,		/* firmware, legacy hole, pfn 0 */
	OWNER_KERNEL,		/* kernel image */
	OWNER_MEM_MAP,		/* the struct page array */
	OWNER_PAGETABLE,
	OWNER_SLAB,
	OWNER_KMALLOC_LARGE,
	OWNER_VMALLOC,
	OWNER_USER,
	OWNER_PERCPU,		/* per-CPU areas (memblock) */
	OWNER_OTHER,		/* an explicit alloc_pages caller */
	OWNER_SWIOTLB,		/* the swiotlb bounce-buffer pool (memblock) */
	OWNER_PAGECACHE,	/* a file page in the page cache (filemap.c) */
	NR_PAGE_OWNERS
};

#define MAX_NR_ORDERS	(MACHINE_MAX_MAX_ORDER + 1)

const char *zone_type_name(int zone);		/* "DMA", "DMA32", "Normal", ... */
const char *migratetype_name(int mt);		/* "Unmovable", ... as pagetypeinfo */
const char *page_owner_name(int owner);		/* "free", "pcp", "reserved", ... */

struct alloc_pages_result {
	uint64_t pfn;
	unsigned int order;
	int zone;
	int node;
	int migratetype;
};

/*
 * alloc_pages on @cpu, preferring @node (-1: the CPU's node). ENOMEM is
 * -ENOMEM with the reason in @e and an alloc_fail event. The block belongs to
 * OWNER_OTHER until freed with mm_free_pages().
 */
int mm_alloc_pages(struct machine *m, gfp_t gfp, unsigned int order, int node,
		   int cpu, struct alloc_pages_result *res, struct mm_error *e);
/*
 * What a refused allocation means (slowpath.c): the steps of the kernel's
 * __alloc_pages_slowpath() that the engine does not run (it has no reclaim,
 * compaction or OOM killer), in order, and whether the kernel would return
 * NULL at the end of them. @why is how the engine's passes failed.
 */
enum mm_slowpath_step {
	SLOWPATH_WAKE_KSWAPD, SLOWPATH_DIRECT_COMPACT, SLOWPATH_DIRECT_RECLAIM,
	SLOWPATH_RECLAIM_RETRY, SLOWPATH_OOM, SLOWPATH_NOFAIL_RETRY, NR_SLOWPATH_STEPS
};
enum mm_slowpath_why { SLOWPATH_WHY_NO_MEMORY, SLOWPATH_WHY_NO_ZONE, SLOWPATH_WHY_INJECTED };
#define MM_SLOWPATH_MAX_STEPS 8
struct mm_slowpath {
	unsigned int nr_steps;
	int steps[MM_SLOWPATH_MAX_STEPS];	/* enum mm_slowpath_step */
	bool kernel_fails;			/* false: the kernel would not return NULL */
	char message[640];			/* "the kernel would wake kswapd, ..." */
	unsigned int reclaim_rounds;		/* direct reclaim the engine ran first */
	uint64_t reclaimed;			/* and the pages it freed */
	unsigned int compact_rounds;		/* direct compactions that were not skipped */
};
void mm_alloc_slowpath(gfp_t gfp, unsigned int order, int why, struct mm_slowpath *sp);
/*
 * The refusal came after @rounds rounds of direct reclaim freeing @reclaimed
 * pages and @compacted direct compactions (not counting skipped ones).
 */
void mm_slowpath_reclaimed(struct mm_slowpath *sp, unsigned int rounds, uint64_t reclaimed,
			   unsigned int compacted);
/* "wake_all_kswapds", "direct_compact", ... */
const char *mm_slowpath_step_name(int step);
/* __alloc_pages_may_oom(): would this request reach out_of_memory()? */
bool mm_slowpath_may_oom(gfp_t gfp, unsigned int order);
/* mm_alloc_pages() that, on -ENOMEM, also fills @sp (may be NULL). */
int mm_alloc_pages_sp(struct machine *m, gfp_t gfp, unsigned int order, int node,
		      int cpu, struct alloc_pages_result *res, struct mm_error *e,
		      struct mm_slowpath *sp);
/* __free_pages of a block that mm_alloc_pages() returned; anything else is -EINVAL. */
int mm_free_pages(struct machine *m, uint64_t pfn, unsigned int order, int cpu,
		  struct mm_error *e);

/*
 * The end of an op: every kswapd woken during it runs until its node is
 * balanced or it gives up, then sleeps (vmscan.c, the interleaving rule).
 */
void mm_kswapd_run(struct machine *m);
/* shrink_all_memory(): reclaim up to @nr pages from every node; the pages freed. */
uint64_t mm_shrink_all_memory(struct machine *m, uint64_t nr);

/*
 * Memory pressure at a glance (vmscan.c), in pages: the free pages and the
 * min/low/high watermarks (boost included) of every populated zone summed,
 * those of the largest zone (where kswapd's sawtooth shows), the LRU lists
 * (inactive/active anon, inactive/active file, unevictable), swap, and the
 * reclaim counters of /proc/vmstat.
 */
struct mm_pressure {
	uint64_t free, min, low, high;
	int big_zone, big_node;
	uint64_t big_free, big_min, big_low, big_high;
	uint64_t lru[5];
	uint64_t swap_total, swap_free, swap_cached;
	uint64_t pgscan_kswapd, pgscan_direct, pgsteal_kswapd, pgsteal_direct;
	uint64_t pswpin, pswpout, pgmajfault, allocstall, pageoutrun, oom_kill;
	unsigned int kswapd_awake;		/* nodes whose kswapd is not asleep */
};
void machine_pressure(const struct machine *m, struct mm_pressure *p);

/* drain_all_pages(): every per-CPU list back to the buddy free lists. */
void mm_drain_all_pages(struct machine *m);

/*** Compaction and migration (compaction.c, migrate.c) ***/

/*
 * A write to /proc/sys/vm/compact_memory (@node -1), or to
 * /sys/devices/system/node/nodeN/compact: every zone compacted whole,
 * MIGRATE_SYNC, order -1, the skip hints ignored.
 */
int mm_compact_memory(struct machine *m, int node, int cpu, struct mm_error *e);
/*
 * Time passes (timer.c): @ms milliseconds of jiffies go by with no op
 * running, and the kernel's timed work runs when it is due (kcompactd's
 * proactive check every 500 ms). -EINVAL above an hour, or before the boot.
 */
int mm_idle(struct machine *m, uint64_t ms, struct mm_error *e);
/* The clock: jiffies at HZ 250, from INITIAL_JIFFIES. */
uint64_t machine_jiffies(const struct machine *m);
/*
 * Move the folio at @pfn to another frame of its node (move_pages(2)):
 * *@new_pfn on success; a page that cannot move is -EBUSY, -EAGAIN or
 * -ENOENT with the kernel's reason in @e, and nothing changes.
 */
int mm_migrate_pages(struct machine *m, uint64_t pfn, int cpu, uint64_t *new_pfn,
		     struct mm_error *e);
/*
 * alloc_contig_range() (page_isolation.c): [@start, @start + @nr_pages) of
 * one zone, its pageblocks isolated, its movable pages migrated out, then
 * taken as order-0 pages (OWNER_OTHER). -EBUSY with the page that stopped
 * it, and the machine as it was. mm_alloc_contig_pages() finds a range
 * itself (alloc_contig_pages()); mm_free_contig_range() gives one back.
 */
int mm_alloc_contig_range(struct machine *m, uint64_t start, uint64_t nr_pages, int cpu,
			  struct mm_error *e);
int mm_alloc_contig_pages(struct machine *m, uint64_t nr_pages, int node, int cpu,
			  uint64_t *start, struct mm_error *e);
int mm_free_contig_range(struct machine *m, uint64_t start, uint64_t nr_pages, int cpu,
			 struct mm_error *e);
/* The vm sysctls: compaction's "compaction_proactiveness", "extfrag_threshold",
 * "compact_unevictable_allowed", and reclaim's "swappiness" (under vm.);
 * -EINVAL for another name or value. */
int mm_sysctl_vm_set(struct machine *m, const char *name, long value, struct mm_error *e);
int mm_sysctl_vm_get(const struct machine *m, const char *name, long *value);
/* vmstat_update on @cpu (refresh_cpu_vm_stats()): decay_pcp_high() of each of its
 * lists; *requeue: the kernel would run it again. */
int mm_vmstat_update(struct machine *m, int cpu, bool *requeue, struct mm_error *e);

unsigned int machine_nr_nodes(const struct machine *m);
unsigned int machine_nr_cpus(const struct machine *m);
/* One past the highest pfn of the machine (holes included). */
uint64_t machine_max_pfn(const struct machine *m);

struct zone_info {
	char name[16];
	int node;
	int zone;			/* enum zone_type */
	bool populated;
	uint64_t start_pfn, spanned, present, managed;
	uint64_t free;			/* NR_FREE_PAGES: pages in the free lists */
	uint64_t pcp;			/* free pages on per-CPU lists */
	uint64_t wmark_min, wmark_low, wmark_high, wmark_promo;
	uint64_t lowmem_reserve[MAX_NR_ZONES];
	uint64_t nr_free[MAX_NR_ORDERS];
	uint64_t nr_free_mt[MAX_NR_ORDERS][MIGRATE_TYPES];
	uint64_t nr_pageblocks_mt[MIGRATE_TYPES];
	uint64_t owner_pages[NR_PAGE_OWNERS];
	unsigned int pcp_high, pcp_batch;
	/* boost_watermark(): pages added to every mark (wmark_* above exclude it) */
	uint64_t watermark_boost;
	unsigned int pb_order;		/* pageblock_order */
	uint64_t nr_reserved_highatomic;
};

/* -ENOENT when @node or @zone is out of range. */
int machine_zone_info(const struct machine *m, int node, int zone, struct zone_info *zi);

struct page_info {
	uint64_t pfn;
	int node, zone;
	int owner;			/* enum page_owner */
	uint64_t flags;			/* PG_* bits */
	char flags_text[128];		/* "head|reserved", as %pGp: real PG_ flags only */
	uint32_t page_type;		/* the word: enum pagetype << 24, or UINT32_MAX */
	char page_type_name[16];	/* "buddy", "slab", "table", ... or "" */
	bool typed;			/* page_has_type(): the word is a type, not _mapcount */
	bool tail;			/* a tail page of a compound page */
	bool zero_page;			/* the shared zero page (my_zero_pfn) */
	uint64_t kpageflags;		/* /proc/kpageflags: stable_page_flags() */
	char kpageflags_text[192];	/* its KPF_ names, "buddy|mmap|..." */
	int raw_mapcount;		/* _mapcount: -1 unmapped, 0 mapped once (-1 if typed) */
	int refcount, mapcount;		/* mapcount: page_mapcount() = _mapcount + 1 */
	int order;			/* buddy/compound order, MM_NA otherwise */
	int migratetype;		/* of the pageblock */
	uint64_t private_;
	uint64_t compound_head;		/* pfn of the head for tail pages, else the pfn */
	char slab_cache[32];		/* "" unless PGTY_slab */
	unsigned int inuse, objects;
};

/* -ENOENT for a pfn beyond the machine or in a hole. */
int machine_page_info(const struct machine *m, uint64_t pfn, struct page_info *pi);
/*
 * The codes of machine_physmap() past the owners: a page-cache page that is
 * dirty or under writeback, a user page in the swap cache.
 */
enum physmap_code {
	PHYSMAP_PAGECACHE_DIRTY = NR_PAGE_OWNERS, PHYSMAP_PAGECACHE_WRITEBACK,
	PHYSMAP_USER_SWAPCACHE, NR_PHYSMAP_CODES
};
/* "pagecache_dirty", ...; page_owner_name() for an owner. */
const char *physmap_code_name(int code);
/* One byte per pfn in [start, start + count): its enum page_owner, or an enum physmap_code. */
void machine_physmap(const struct machine *m, uint64_t start, uint64_t count, uint8_t *out);

/* The struct page array: its element size and total bytes. */
size_t machine_struct_page_size(void);
uint64_t machine_mem_map_bytes(const struct machine *m);
uint64_t machine_present_pages(const struct machine *m);

/* Called for each free block; return non-zero to stop. */
typedef int (*mm_free_block_fn)(void *ctx, uint64_t pfn, unsigned int order, int migratetype);
/* Walk the buddy free lists of one zone; -ENOENT when out of range. */
int machine_zone_free_blocks(const struct machine *m, int node, int zone,
			     mm_free_block_fn fn, void *ctx);

/*** Self-check (engine.md section 8) ***/

typedef void (*mm_violation_fn)(void *ctx, const char *violation);
/* Walk the whole state; report each violation; return how many there were. */
unsigned long machine_check(const struct machine *m, mm_violation_fn fn, void *ctx);

/*** /proc text views, byte-compatible with Linux 6.18 (malloc'd, NULL on ENOMEM) ***/

char *proc_buddyinfo(const struct machine *m);
char *proc_pagetypeinfo(const struct machine *m);
char *proc_zoneinfo(const struct machine *m);
char *proc_meminfo(const struct machine *m);
/* /proc/swaps (swapfile.c). */
char *proc_swaps(const struct machine *m);

/*** Kernel allocators: SLUB and kmalloc, vmalloc, DMA (slub.c, vmalloc.c, dma.c) ***/

/* What kmalloc(0) returns, as include/linux/slab.h defines it. */
#define ZERO_SIZE_PTR	16ULL

struct kmalloc_result {
	uint64_t addr;			/* a direct-map address */
	uint64_t paddr, pfn;
	uint64_t bytes_alloc;		/* ksize(): the object size of the cache, or the block */
	char cache[32];			/* "kmalloc-64", "kmalloc_large", ... */
	unsigned int order;		/* of the slab or of the kmalloc_large block */
	int zone, node;
};

struct slab_cache_info {
	char name[32];
	unsigned int object_size;	/* as created */
	unsigned int size;		/* objsize in slabinfo: the stride */
	unsigned int align, objperslab, pagesperslab, order, min_partial;
	bool is_kmalloc;
	uint64_t active_objs, num_objs;	/* as /proc/slabinfo counts them */
	uint64_t active_slabs, num_slabs, partial, cpu_slabs;
	uint64_t inuse;			/* objects really handed out */
	uint64_t cpu_partial;		/* slabs on the CPUs' partial lists */
	unsigned int cpu_partial_slabs;	/* what one CPU's list holds before it drains */
	int refcount;			/* find_mergeable(): its name and its aliases */
	unsigned int nr_aliases;	/* names merged into it (machine_slab_alias()) */
};
/* The @k-th name merged into the @i-th cache (machine_slab_cache_info() order), or NULL. */
const char *machine_slab_alias(const struct machine *m, unsigned int i, unsigned int k);

/* __kmalloc_index(): 0 for 0, 1 (96) and 2 (192), else log2 of the cache; -1 above 2 MiB. */
int kmalloc_index(size_t size);
/*
 * kmalloc(): a kmalloc-* cache by size and GFP (__GFP_DMA: dma-kmalloc-*,
 * __GFP_RECLAIMABLE: kmalloc-rcl-*), kmalloc_large above 8 KiB; size 0 gives
 * ZERO_SIZE_PTR. Emits kmalloc or kmalloc_large (and slab_new, mm_page_alloc).
 */
int mm_kmalloc(struct machine *m, uint64_t size, gfp_t gfp, int cpu,
	       struct kmalloc_result *res, struct mm_error *e);
/* kfree(): -EINVAL (machine untouched) for anything kmalloc did not hand out. */
int mm_kfree(struct machine *m, uint64_t addr, int cpu, struct mm_error *e);
int mm_ksize(const struct machine *m, uint64_t addr, uint64_t *size, struct mm_error *e);
int mm_kmem_cache_create(struct machine *m, const char *name, unsigned int size,
			 unsigned int align, struct slab_cache_info *info, struct mm_error *e);
int mm_kmem_cache_alloc(struct machine *m, const char *cache, gfp_t gfp, int cpu,
			struct kmalloc_result *res, struct mm_error *e);
int mm_kmem_cache_free(struct machine *m, const char *cache, uint64_t addr, int cpu,
		       struct mm_error *e);
/* -EBUSY while objects are live, -EPERM for kmalloc caches. */
int mm_kmem_cache_destroy(struct machine *m, const char *cache, struct mm_error *e);
/* Caches in /proc/slabinfo order (newest first). */
unsigned int machine_slab_caches(const struct machine *m);
int machine_slab_cache_info(const struct machine *m, unsigned int i, struct slab_cache_info *info);
char *proc_slabinfo(const struct machine *m);

struct vmalloc_area_info {
	uint64_t addr, end, size;	/* [addr, end): the pages and the guard page */
	unsigned int nr_pages;
	const uint64_t *pfns;		/* valid until the machine changes */
	char caller[64];
	uint64_t vm_struct_addr;	/* kmalloc'd */
	uint64_t pages_addr;		/* kmalloc'd, or vmalloc'd when larger than a page */
	bool pages_vmalloc;
};

/*
 * vmalloc(): @size rounded up to pages, the lowest free range with a guard
 * page, order-0 pages from the buddy mapped with 4 KiB PTEs. @caller is what
 * /proc/vmallocinfo shows (NULL: the op's default). Emits vmap_area_alloc,
 * vmap_page per page, vmalloc.
 */
int mm_vmalloc(struct machine *m, uint64_t size, int cpu, const char *caller, uint64_t *addr,
	       struct mm_error *e);
/*
 * vfree(): unmap (no flush), free pages and metadata, the range to the lazy
 * list (free_vmap_area_noflush event); a purge (one ranged TLB flush,
 * purge_vmap_area_lazy event) once more than lazy_max_pages() wait.
 * -EINVAL unless an area's start.
 */
int mm_vfree(struct machine *m, uint64_t addr, int cpu, struct mm_error *e);
/* vmalloc_to_page(): the pfn behind a vmalloc address, by walking the kernel page tables. */
int mm_vmalloc_to_pfn(const struct machine *m, uint64_t addr, uint64_t *pfn, struct mm_error *e);
unsigned int machine_vmalloc_areas(const struct machine *m);
int machine_vmalloc_area(const struct machine *m, unsigned int i, struct vmalloc_area_info *info);
char *proc_vmallocinfo(const struct machine *m);
/* The lazily freed ranges (vfree()d, waiting for the purge), in address order. */
unsigned int machine_vmalloc_lazy_areas(const struct machine *m);
int machine_vmalloc_lazy_area(const struct machine *m, unsigned int i, uint64_t *start,
			      uint64_t *end);
/* vmap_lazy_nr and lazy_max_pages(), in pages. */
void machine_vmalloc_lazy(const struct machine *m, uint64_t *nr, uint64_t *max);

/*
 * dma_map_single() without an IOMMU: the bus address of [@vaddr, @vaddr +
 * @length) for a device that reaches @mask_bits address bits. Refused (with
 * a dma_map event saying why) for any vmalloc address (-EINVAL), memory that
 * is not mapped RAM (-EFAULT), or a buffer above the device's mask when no
 * swiotlb pool can bounce it (-EIO). mm_dma_map() is
 * mm_dma_map_attrs(DMA_BIDIRECTIONAL, CPU 0).
 */
int mm_dma_map(struct machine *m, uint64_t vaddr, uint64_t length, unsigned int mask_bits,
	       uint64_t *dma_addr, struct mm_error *e);

/* enum dma_data_direction (include/linux/dma-direction.h). */
enum dma_data_direction {
	DMA_BIDIRECTIONAL = 0, DMA_TO_DEVICE = 1, DMA_FROM_DEVICE = 2, DMA_NONE = 3,
};
const char *dma_direction_name(int dir);	/* "DMA_TO_DEVICE", ...; NULL if none */
int dma_direction_from_name(const char *name);	/* -1 when unknown */

struct dma_map_info {
	uint64_t dma_addr;	/* what the device is given */
	uint64_t phys;		/* the buffer's own physical address */
	bool bounced;		/* dma_addr lies in the swiotlb pool */
	unsigned int slot, nslots;	/* the pool's slots it holds, when bounced */
};

int mm_dma_map_attrs(struct machine *m, uint64_t vaddr, uint64_t length,
		     unsigned int mask_bits, int dir, int cpu, struct dma_map_info *out,
		     struct mm_error *e);

struct dma_unmap_info {
	bool bounced;		/* the address was a swiotlb buffer */
	uint64_t orig_phys;	/* the original buffer, when bounced */
	uint64_t copied;	/* bytes copied back to it (DMA_FROM_DEVICE/BIDIRECTIONAL) */
	unsigned int slot, nslots;	/* the slots released, when bounced */
};

/*
 * dma_unmap_single(): for a swiotlb address, copy back (DMA_FROM_DEVICE or
 * DMA_BIDIRECTIONAL) and free its slots; -EINVAL (the DMA API debug check)
 * for an address or size no mapping of the pool has. A direct mapping needs
 * nothing on x86-64 (coherent DMA).
 */
int mm_dma_unmap(struct machine *m, uint64_t dma_addr, uint64_t length, int dir,
		 struct dma_unmap_info *out, struct mm_error *e);

/* The swiotlb pool (kernel/dma/swiotlb.c), as its debugfs and boot line show it. */
struct swiotlb_info {
	bool active;
	uint64_t start, end;		/* physical bytes */
	unsigned int nslabs, nareas, area_nslabs;
	uint64_t used;			/* slots in use (debugfs io_tlb_used) */
	unsigned int segsize, slot_size;
};
void machine_swiotlb_info(const struct machine *m, struct swiotlb_info *out);

/*** External fragmentation (vmstat.c, debugfs extfrag/) ***/

/* The unusable free space index of @order, 0..1000. */
int zone_unusable_index(const struct zone_info *zi, unsigned int nr_orders, unsigned int order);
/* The fragmentation index of @order: -1000 when it would succeed, else 0..1000. */
int zone_fragmentation_index(const struct zone_info *zi, unsigned int nr_orders,
			     unsigned int order);
char *debug_extfrag_unusable_index(const struct machine *m);
char *debug_extfrag_index(const struct machine *m);

/*** Address spaces, page tables, MMU, boot (engine.md sections 6 and 7) ***/

struct virt_to_phys_info {
	uint64_t paddr;		/* what __pa() returns */
	bool right;		/* it is where the memory is (direct map RAM, kernel image) */
	char why[320];		/* "direct map", "kernel image", or why the number is wrong */
};

/*
 * __pa() on x86-64: x - __START_KERNEL_map + phys_base at or above
 * __START_KERNEL_map, else x - PAGE_OFFSET, whatever the address. Without
 * the machine's debug_virtual that is the result, right or wrong (@out says
 * which, and why); with it, an address __phys_addr()'s VIRTUAL_BUG_ON()s
 * reject is an oops event and -EFAULT. Emits virt_to_phys.
 */
int mm_virt_to_phys_info(struct machine *m, uint64_t vaddr, struct virt_to_phys_info *out,
			 struct mm_error *e);
/* mm_virt_to_phys_info()'s address only. */
int mm_virt_to_phys(struct machine *m, uint64_t vaddr, uint64_t *paddr, struct mm_error *e);

/* Physical to direct-map virtual: __va(). -ERANGE beyond the machine. */
int mm_phys_to_virt(const struct machine *m, uint64_t paddr, uint64_t *vaddr,
		    struct mm_error *e);

enum mm_access { MM_ACCESS_READ, MM_ACCESS_WRITE, MM_ACCESS_EXEC };
enum mm_tlb_result { MM_TLB_OFF, MM_TLB_L1_HIT, MM_TLB_STLB_HIT, MM_TLB_MISS };

/* Which page tables: a process, the kernel's (init_mm), or whatever CR3 holds. */
#define MM_PID_KERNEL	0
#define MM_PID_CURRENT	(-1)
/* For the views: whatever table CR3 of CPU @cpu points at (boot, trampoline, kexec). */
#define MM_PID_CR3(cpu)		(-2 - (cpu))
#define MM_PID_CR3_CPU(pid)	(-2 - (pid))

/* x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h). */
#define X86_PF_PROT	0x01u
#define X86_PF_WRITE	0x02u
#define X86_PF_USER	0x04u
#define X86_PF_RSVD	0x08u
#define X86_PF_INSTR	0x10u

struct mm_walk_level {
	int level;			/* 5 or 4 (pgd) .. 1 (pte) */
	uint64_t table_pfn;
	unsigned int index;
	uint64_t entry;
};

struct mm_translation {
	bool paging;			/* false: paging off, identity */
	bool fault;
	int vector;			/* 13 (#GP) or 14 (#PF) when fault */
	uint32_t error_code;
	const char *outcome;		/* "segv", "oops", "gp"; "mapped" after demand paging */
	bool demand_paged;
	uint64_t paddr;
	unsigned int page_shift;
	int tlb;			/* enum mm_tlb_result */
	unsigned int walk_refs;
	int nr_levels;
	struct mm_walk_level levels[5];
};

/*
 * One memory access on @cpu: the canonical check, the TLB, the walk, #PF and
 * demand paging for process addresses. @pid is a process (its CR3 is loaded
 * first when another is in place), MM_PID_KERNEL or MM_PID_CURRENT. @user is
 * 1/0, or -1 for "user when the address is below TASK_SIZE and @pid is a
 * process". A fault is the result (t->fault), not an error.
 */
int mm_translate(struct machine *m, int cpu, int pid, uint64_t vaddr, int access, int user,
		 struct mm_translation *t, struct mm_error *e);

struct mm_access_summary {
	uint64_t accesses, l1_hits, stlb_hits, misses, walk_refs, faults;
};

/* @count accesses over [start, start + length): seq (wrapping) or random (the PRNG). */
int mm_access_range(struct machine *m, int cpu, int pid, uint64_t start, uint64_t length,
		    uint64_t stride, int access, bool random, uint64_t count,
		    struct mm_access_summary *s, struct mm_error *e);

enum mm_flush_scope { MM_FLUSH_ALL, MM_FLUSH_NONGLOBAL, MM_FLUSH_PAGE, MM_FLUSH_RANGE };
/* @cpu < 0: every CPU. */
int mm_tlb_flush(struct machine *m, int cpu, int scope, uint64_t addr, uint64_t length,
		 struct mm_error *e);
/* switch_mm(): CR3 of @cpu to @pid's PGD (MM_PID_KERNEL: init_top_pgt). */
int mm_load_cr3(struct machine *m, int cpu, int pid, struct mm_error *e);

int mm_spawn(struct machine *m, const char *name, int *pid, struct mm_error *e);
int mm_exit(struct machine *m, int pid, struct mm_error *e);
/*
 * mmap(2) of anonymous memory. prot is "rwx" with '-' for absent. Without
 * MAP_FIXED, @addr is a hint (0: none): taken if the gap there fits, else
 * the kernel chooses (top-down). MAP_FIXED maps at @addr, replacing what was
 * there; MAP_FIXED_NOREPLACE fails with -EEXIST instead. mm_mmap() has no flags.
 */
#define MM_MAP_FIXED		0x10u		/* the uapi values */
#define MM_MAP_FIXED_NOREPLACE	0x100000u
int mm_mmap_flags(struct machine *m, int pid, uint64_t addr, uint64_t length, const char *prot,
		  unsigned int flags, uint64_t *out, struct mm_error *e);
int mm_mmap(struct machine *m, int pid, uint64_t addr, uint64_t length, const char *prot,
	    uint64_t *out, struct mm_error *e);
int mm_munmap(struct machine *m, int pid, uint64_t addr, uint64_t length, struct mm_error *e);
/* brk(2): @addr 0 only asks; the result is the break. */
int mm_brk(struct machine *m, int pid, uint64_t addr, uint64_t *out, struct mm_error *e);

/* The boot path of engine.md section 7 up to @until ("startup_32" .. "done"). */
int mm_boot(struct machine *m, const char *until, const char **reached, struct mm_error *e);
/*
 * mm_boot() with a what-if: MM_BOOT_NO_IDENTITY leaves the identity map out
 * of early_top_pgt, so the fetch after startup_64's CR3 write faults; the
 * CPU triple-faults (@triple_fault) and the boot is back at "poweron".
 */
#define MM_BOOT_NO_IDENTITY	1u
int mm_boot_ex(struct machine *m, const char *until, unsigned int flags, const char **reached,
	       bool *triple_fault, struct mm_error *e);
/*
 * Paging on or off by hand; @kexec (with @enable) is relocate_kernel_64.S:
 * CR3 to kexec's identity-mapped tables, paging kept on, into the next kernel.
 */
int mm_paging(struct machine *m, int cpu, bool enable, bool kexec, bool *triple_fault,
	      struct mm_error *e);
/* A secondary CPU's bring-up through the real-mode trampoline. */
int mm_boot_cpu(struct machine *m, int cpu, struct mm_error *e);
const char *mm_boot_stage(const struct machine *m);

/*** Views of paging state ***/

struct mm_cpu_info {
	const char *mode;		/* "real", "protected", "long" */
	bool online;
	uint64_t cr0, cr3, cr4, efer, rip;
	int pid;			/* mm in CR3: 0 kernel, -1 none */
};
int mm_cpu_info(const struct machine *m, int cpu, struct mm_cpu_info *ci);

struct mm_tlb_array_info {
	const char *name;		/* "l1_4k", "l1_2m", "l1_1g", "stlb" */
	unsigned int entries, ways, sets, valid;
};
struct mm_tlb_region_info {
	const char *name;		/* "direct_map", "vmalloc", "kernel_image", "user", "other" */
	uint64_t accesses, l1_hits, stlb_hits, misses, walk_refs, faults;
};
struct mm_tlb_info {
	const char *policy;
	struct mm_tlb_array_info arrays[4];
	struct mm_tlb_region_info regions[5];
};
int mm_tlb_info(const struct machine *m, int cpu, struct mm_tlb_info *ti);
/*
 * The region (an index of mm_tlb_info's regions[]) whose counters an access
 * to @vaddr counts in, on a machine of @levels paging levels and @max_pfn frames.
 */
int mm_vaddr_region(unsigned int levels, uint64_t max_pfn, uint64_t vaddr);
/* Each valid entry of one array: vaddr, paddr, page size, flags. */
typedef void (*mm_tlb_entry_fn)(void *ctx, int array, uint64_t vaddr, uint64_t paddr,
				unsigned int page_shift, uint64_t prot);
int mm_tlb_entries(const struct machine *m, int cpu, mm_tlb_entry_fn fn, void *ctx);

/* The walk of @vaddr in @pid's tables (MM_PID_KERNEL: init_mm), no side effect. */
int mm_pagetable_walk(const struct machine *m, int pid, uint64_t vaddr,
		      struct mm_translation *t, struct mm_error *e);
/* The root table of @pid (its PGD pfn). */
/* What the root of @pid's tree is called ("init_top_pgt", "early_top_pgt", ...). */
const char *mm_pagetable_root_name(const struct machine *m, int pid);
int mm_pagetable_root(const struct machine *m, int pid, uint64_t *pfn, int *level,
		      struct mm_error *e);
struct mm_pt_entry {
	unsigned int index;
	uint64_t entry;
	char flags[64];			/* "P RW USR A D PSE GLB NX" */
	uint64_t target_pfn;
	int level;
	bool huge, leaf;
	unsigned int child_present;	/* present entries of the next table */
	uint64_t vaddr;			/* first address the entry maps */
	char region[64];		/* the layout regions it covers (mm_layout_regions()) */
};
typedef void (*mm_pt_entry_fn)(void *ctx, const struct mm_pt_entry *pe);
/* Present entries of table @table_pfn (a table of @pid's tree); -ENOENT if none. */
int mm_pagetable_table(const struct machine *m, int pid, uint64_t table_pfn, int *level,
		       uint64_t *base, mm_pt_entry_fn fn, void *ctx, struct mm_error *e);

/*
 * The TLB lookup mm_translate() would make for @vaddr on @cpu in @pid's
 * address space, with nothing changed: each array probed (the L1 arrays,
 * then the STLB per page size), and where it would hit.
 */
struct mm_tlb_probe_step {
	const char *array;		/* "l1_4k", "l1_2m", "l1_1g", "stlb" */
	unsigned int page_shift;
	unsigned int set;
	bool hit;
	bool refused;			/* there, but cannot serve the access: a walk */
};
struct mm_tlb_probe {
	int result;			/* enum mm_tlb_result */
	bool same_mm;			/* @pid is in CR3: no switch (and flush) first */
	int nr;
	struct mm_tlb_probe_step probe[5];
};
int mm_tlb_probe(const struct machine *m, int cpu, int pid, uint64_t vaddr, int access,
		 struct mm_tlb_probe *p);
/* mm_pagetable_walk() as an access of @access would end: #GP, #PF and its error code. */
int mm_pagetable_walk_access(const struct machine *m, int pid, uint64_t vaddr, int access,
			     struct mm_translation *t, struct mm_error *e);
/* The layout regions [@start, @end] touches, comma-separated ("" for a hole). */
void mm_layout_regions(const struct machine *m, uint64_t start, uint64_t end, char *buf,
		       size_t len);

struct mm_vma_info {
	uint64_t start, end;
	char prot[5];			/* "rw-p" */
	char name[24];
};
struct mm_process_info {
	int pid;
	char comm[16];
	uint64_t pgd_pfn, rss, pgtables_pages, brk, start_brk;
	uint64_t rss_anon, rss_file;	/* MM_ANONPAGES, MM_FILEPAGES; rss = get_mm_rss() */
	uint64_t zero_ptes;		/* PTEs that map the shared zero page (not in rss) */
	unsigned int nr_vmas;
};
/* The @idx-th process; -ENOENT past the end. */
int mm_process_info(const struct machine *m, unsigned int idx, struct mm_process_info *pi);
int mm_process_vma(const struct machine *m, int pid, unsigned int idx, struct mm_vma_info *vi);

/* Texts (malloc'd; NULL on ENOMEM or, for a pid, when it does not exist). */
char *proc_pid_maps(const struct machine *m, int pid);

/*** The OOM killer (oom_kill.c) ***/

#define OOM_SCORE_ADJ_MIN	(-1000)
#define OOM_SCORE_ADJ_MAX	1000
/* /proc/PID/oom_score_adj written: -ESRCH, -EINVAL out of range. */
int mm_set_oom_score_adj(struct machine *m, int pid, int adj, struct mm_error *e);
struct mm_oom_info {
	uint64_t oom_score;		/* /proc/PID/oom_score: 0..2000 */
	int oom_score_adj;
	long badness;			/* oom_badness() against the whole machine */
	bool killable;			/* badness is not LONG_MIN */
	bool oom_victim;		/* killed, not yet exited */
	uint32_t memcg_id;		/* its memory cgroup, 0 the root */
	char memcg[32];			/* the group's name, "/" for the root */
};
int mm_oom_info(const struct machine *m, int pid, struct mm_oom_info *oi);
char *proc_pid_oom_score(const struct machine *m, int pid);
char *proc_pid_oom_score_adj(const struct machine *m, int pid);
/* The kernel log of the OOM killer's reports (dmesg), "" before the first. */
char *oom_dmesg(const struct machine *m);
/* vmstat oom_kill: the processes the OOM killer has killed. */
uint64_t mm_oom_kill_count(const struct machine *m);
/* The processes the OOM killer sent SIGKILL exit now: the end of each op calls it. */
void mm_exit_killed(struct machine *m);

/*** Memory cgroups (memcontrol.c) ***/

/* A group under the root with memory.max @max_pages (UINT64_MAX: "max"): -EINVAL, -EEXIST. */
int mm_memcg_create(struct machine *m, const char *name, uint64_t max_pages, uint32_t *id,
		    struct mm_error *e);
/* The id of group @name ("" or "/": the root, 0); -ENOENT when there is none. */
int mm_memcg_lookup(const struct machine *m, const char *name, uint32_t *id);
/* cgroup.procs: @pid joins group @name ("" or "/": the root); its charges stay where they are. */
int mm_memcg_attach(struct machine *m, int pid, const char *name, struct mm_error *e);
struct mm_memcg_info {
	char name[32];
	uint32_t id;
	uint64_t current, max, peak, failcnt;	/* pages; max 0: "max" (no limit) */
	uint64_t events[7];			/* memory.events: low high max oom oom_kill
						   oom_group_kill sock_throttled */
	uint64_t anon, file;			/* pages charged, by kind */
	uint64_t lru[5];			/* its lruvecs' lists, all nodes */
	unsigned int nr_procs;
};
/* The @idx-th group; -ENOENT past the end. */
int mm_memcg_info(const struct machine *m, unsigned int idx, struct mm_memcg_info *mi);
/* A cgroup file of group @name: memory.current, memory.max, memory.peak, memory.events,
 * memory.stat, cgroup.procs (malloc'd; NULL: no such group or file, or ENOMEM). */
char *memcg_file_text(const struct machine *m, const char *name, const char *file);
char *ptdump_kernel(const struct machine *m);
/* The crash utility's vtop output; -EFAULT-free: an unmapped address says so in text. */
char *debug_vtop(const struct machine *m, int pid, uint64_t vaddr);

/*** Files, the page cache, fork (filemap.c, page_writeback.c, mm.c; lru.h) ***/

/* What a read or write did: bytes moved, pages touched, pages read from the disk. */
struct mm_file_io {
	uint64_t bytes, pages, pages_read;
};
struct mm_drop_caches_result {
	uint64_t pages;			/* page-cache pages freed (mode 1) */
	uint64_t objects;		/* dentries and inodes freed (mode 2) */
};
struct mm_file_info {
	char name[32];
	uint32_t id;			/* its inode number */
	uint64_t size, nrpages, nr_dirty, nr_writeback;
	uint64_t ra_start, ra_size, ra_async_size;	/* the readahead window (file->f_ra) */
	bool has_dentry, has_inode;	/* its objects in the dentry and inode_cache slabs */
	uint32_t nr_mmaps;		/* VMAs that map it */
};

/* A file of @size bytes (no page cache yet); -EEXIST, -EINVAL, -ENOSPC, -EFBIG. */
int mm_create_file(struct machine *m, const char *name, uint64_t size, struct mm_error *e);
/* read(2)/write(2) of [@offset, @offset + @length) by process @pid (0: none) through the page cache. */
int mm_read_file(struct machine *m, int pid, const char *name, uint64_t offset, uint64_t length,
		 struct mm_file_io *io, struct mm_error *e);
int mm_write_file(struct machine *m, int pid, const char *name, uint64_t offset, uint64_t length,
		  struct mm_file_io *io, struct mm_error *e);
/* fsync(2): every dirty page of the file written; *@written pages. */
int mm_fsync(struct machine *m, const char *name, uint64_t *written, struct mm_error *e);
/* /proc/sys/vm/drop_caches: 1 page cache, 2 slab (dentries, inodes), 3 both. */
int mm_drop_caches(struct machine *m, int mode, struct mm_drop_caches_result *r,
		   struct mm_error *e);
/* The @idx-th file; -ENOENT past the end. */
int mm_file_info(const struct machine *m, unsigned int idx, struct mm_file_info *fi);
const char *mm_file_name(const struct machine *m, uint32_t id);
/*
 * mmap(2) of a file: MAP_SHARED or MAP_PRIVATE (one of them), at @offset
 * (page aligned) of file @name; @flags may add MAP_FIXED or MAP_FIXED_NOREPLACE.
 */
#define MM_MAP_SHARED		0x01u
#define MM_MAP_PRIVATE		0x02u
int mm_mmap_file(struct machine *m, int pid, uint64_t addr, uint64_t length, const char *prot,
		 unsigned int flags, const char *name, uint64_t offset, uint64_t *out,
		 struct mm_error *e);
/* fork(2): a copy of @pid's address space (copy-on-write); *@child is its pid. */
int mm_fork(struct machine *m, int pid, int *child, struct mm_error *e);

/* /proc/vmstat, /proc/PID/status (NULL for no such pid). */
char *proc_vmstat(const struct machine *m);
char *proc_pid_status(const struct machine *m, int pid);

/* A user or file page as struct page shows it (its folio words and LRU links). */
struct mm_folio_info {
	bool lru;			/* PG_lru */
	const char *lru_list;		/* "inactive_anon", ... or NULL */
	uint64_t lru_prev, lru_next;	/* neighbours' pfns, UINT64_MAX at the ends */
	const char *mapping_kind;	/* "anon", "file" or NULL */
	uint64_t mapping_id;		/* anon_vma id or file id */
	const char *file_name;		/* the file's name, or NULL */
	uint64_t index;
	uint32_t content;
	uint32_t memcg_id;
};
/* -ENOENT unless @pfn is a user or page-cache page. */
int machine_folio_info(const struct machine *m, uint64_t pfn, struct mm_folio_info *fi);

/*** The virtual address layout (vmlayout.c) ***/

#define MM_VMLAYOUT_MAX 16
struct mm_vm_region {
	const char *name;		/* "user", "direct_map", "vmalloc", ... */
	const char *kind;		/* "user", "hole", "kernel" */
	const char *label;		/* mm.rst's description */
	uint64_t start, end;		/* [start, end) */
	uint64_t mapped[3];		/* bytes mapped now by 4 KiB, 2 MiB, 1 GiB leaves */
};
/* The regions of the layout for this machine's paging levels, lowest first; their count. */
int mm_vmlayout(const struct machine *m, struct mm_vm_region *r, unsigned int cap);

#endif /* MMLAB_H */
