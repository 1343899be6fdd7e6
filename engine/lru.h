/*
 * lru.h - user and file pages: the LRU lists, files and their page cache,
 * writeback, the reverse map, and the counters of memory pressure.
 *
 * Kernel: include/linux/mm_inline.h (folio_lru_list, lruvec_add_folio),
 * include/linux/swap.h, mm/swap.c (folio_add_lru, folio_mark_accessed),
 * include/linux/pagemap.h and mm/filemap.c (the page cache), mm/readahead.c
 * (struct file_ra_state), mm/page-writeback.c, include/linux/rmap.h and
 * mm/rmap.c (anon_vma, rmap_walk, folio_referenced, try_to_unmap),
 * include/linux/shrinker.h.
 *
 * The shapes every unit of memory pressure shares (swap.c, filemap.c,
 * page_writeback.c, rmap.c, mm.c here; vmscan.c, swapfile.c, workingset.c,
 * oom_kill.c, memcontrol.c beside them). enum lru_list, struct lruvec and the
 * node and event counters are in internal.h because pg_data_t and the
 * machine embed them.
 *
 * The words of struct page for a user or file page:
 *  - page->next/prev: the LRU links (pfns), PG_lru while on a list;
 *  - page->folio.mapping: 0, a file's (id + 1) << 1, or an anon_vma's
 *    id << 1 | FOLIO_MAPPING_ANON;
 *  - page->folio.memcg_id: 0 for the root memory cgroup;
 *  - page->folio.content: what the 4 KiB hold, a tag (not a kernel field);
 *  - folio_index(): the file offset in pages, or linear_page_index() of an
 *    anonymous page (page->index, with page->index_hi for the high bits);
 *  - page->private: the swap entry (folio->swap) while PG_swapcache.
 */
#ifndef MMLAB_LRU_H
#define MMLAB_LRU_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/*** struct page as a folio ***/

#define FOLIO_MAPPING_ANON	0x1ULL		/* include/linux/page-flags.h */
#define PG_swapcache		PG_owner_priv_1	/* folio_test_swapcache() */
#define PG_readahead		PG_reclaim	/* the same bit: one meaning without PG_writeback */

static inline bool folio_test_anon(const struct page *p)
{
	return p->folio.mapping & FOLIO_MAPPING_ANON;
}

/* The file id of a page-cache page, or -1. */
static inline int64_t folio_file_id(const struct page *p)
{
	if (!p->folio.mapping || folio_test_anon(p))
		return -1;
	return (int64_t)(p->folio.mapping >> 1) - 1;
}

/* The anon_vma id of an anonymous page, or -1. */
static inline int64_t folio_anon_vma_id(const struct page *p)
{
	return folio_test_anon(p) ? (int64_t)(p->folio.mapping >> 1) : -1;
}

static inline uint64_t file_mapping_word(uint32_t file_id)
{
	return ((uint64_t)file_id + 1) << 1;
}

static inline uint64_t anon_mapping_word(uint32_t anon_vma_id)
{
	return (uint64_t)anon_vma_id << 1 | FOLIO_MAPPING_ANON;
}

static inline uint64_t folio_index(const struct page *p)
{
	return (uint64_t)p->index_hi << 32 | p->index;
}

static inline void folio_set_index(struct page *p, uint64_t index)
{
	p->index = (uint32_t)index;
	p->index_hi = (uint32_t)(index >> 32);
}

/* folio_is_file_lru(): file pages are not swap-backed. */
static inline bool folio_is_file_lru(const struct page *p)
{
	return !page_test(p, PG_swapbacked);
}

/*
 * folio_lru_list(): the list a page's flags put it on (unevictable first,
 * then file or anon, then active). include/linux/mm_inline.h.
 */
static inline enum lru_list folio_lru_list(const struct page *p)
{
	enum lru_list lru;

	if (page_test(p, PG_unevictable))
		return LRU_UNEVICTABLE;
	lru = folio_is_file_lru(p) ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
	if (page_test(p, PG_active))
		lru = (enum lru_list)(lru + LRU_ACTIVE);
	return lru;
}

static inline bool is_file_lru(enum lru_list lru)
{
	return lru == LRU_INACTIVE_FILE || lru == LRU_ACTIVE_FILE;
}

static inline bool is_active_lru(enum lru_list lru)
{
	return lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE;
}

const char *lru_list_name(int lru);		/* "inactive_anon", ... */

/* folio_put(): drop a reference; the last one frees the page (off the LRU first). */
void folio_put(struct machine *m, uint64_t pfn);
/* folios_put() for one folio of a batch: the last reference frees it as a batch does. */
void folio_put_batched(struct machine *m, uint64_t pfn);

/* mapcount of a small folio: _mapcount + 1. */
static inline bool folio_mapped(const struct page *p)
{
	return !page_has_type(p) && p->_mapcount >= 0;
}

/* machine_physmap()'s byte for a page: its owner, or the state of a user or file page. */
static inline uint8_t folio_physmap_code(const struct page *p)
{
	if (p->owner == OWNER_PAGECACHE && page_test(p, PG_writeback))
		return PHYSMAP_PAGECACHE_WRITEBACK;
	if (p->owner == OWNER_PAGECACHE && page_test(p, PG_dirty))
		return PHYSMAP_PAGECACHE_DIRTY;
	if (p->owner == OWNER_USER && page_test(p, PG_swapcache))
		return PHYSMAP_USER_SWAPCACHE;
	return p->owner;
}

/*** Counters (include/linux/vmstat.h) ***/

static inline void count_vm_events(struct machine *m, enum vm_event_item item, uint64_t n)
{
	m->vm_events[item] += n;
}

static inline void count_vm_event(struct machine *m, enum vm_event_item item)
{
	m->vm_events[item]++;
}

/* __mod_node_page_state() for the node of @p. */
static inline void mod_node_page_state(struct machine *m, int node, enum node_stat_item item,
				       int64_t delta)
{
	m->nodes[node].vm_stat[item] += delta;
}

/* The machine-wide value of a node counter (global_node_page_state()). */
uint64_t global_node_page_state(const struct machine *m, enum node_stat_item item);
const char *node_stat_name(int item);		/* "nr_inactive_anon", ... */
const char *vm_event_name(int item);		/* "pgfault", ... */

/*** The LRU (swap.c) ***/

struct lruvec *folio_lruvec(struct machine *m, const struct page *p);	/* memcg_id + node */
struct lruvec *mem_cgroup_lruvec(struct machine *m, int memcg_id, int node);
/*
 * folio_add_lru(): the page joins the LRU. The per-CPU folio batches
 * (cpu_fbatches) are modelled as adds made at once, as if every batch were
 * drained by the op that filled it: lru_add() runs here.
 */
void folio_add_lru(struct machine *m, uint64_t pfn);
/* folio_add_lru_vma(): the same for a page just mapped in a VMA (mlock aside). */
void folio_add_lru_vma(struct machine *m, uint64_t pfn);
void lruvec_add_folio(struct machine *m, struct lruvec *l, uint64_t pfn);	/* by its flags */
void lruvec_add_folio_tail(struct machine *m, struct lruvec *l, uint64_t pfn);
void lruvec_del_folio(struct machine *m, struct lruvec *l, uint64_t pfn);
/* folio_mark_accessed(): inactive,unreferenced -> referenced -> active. */
void folio_mark_accessed(struct machine *m, uint64_t pfn);
/* folio_activate(): an inactive page on the LRU to the active list; pgactivate. */
void folio_activate(struct machine *m, uint64_t pfn);
/* folio_deactivate(): an active page to the inactive list; pgdeactivate. */
void folio_deactivate(struct machine *m, uint64_t pfn);
/* __folio_clear_lru_flags() and the list removal before a page is freed. */
void lru_del_before_free(struct machine *m, uint64_t pfn);
/* Pages on list @lru of the lruvec, as lruvec_page_state() reads it. */
uint64_t lruvec_lru_size(const struct lruvec *l, enum lru_list lru);

/*** Files and the page cache (filemap.c) ***/

/* struct file_ra_state (include/linux/fs.h). */
struct file_ra_state {
	uint64_t start;
	unsigned int size;
	unsigned int async_size;
	unsigned int ra_pages;
	uint16_t order;
	uint16_t mmap_miss;
	int64_t prev_pos;
};

#define VM_READAHEAD_PAGES	32	/* (SZ_128K / PAGE_SIZE): include/linux/mm.h */
#define SIM_FILE_NAME_LEN	24	/* fits a VMA's name */

/* i_pages entries: 0 empty, pfn + 1 a page, or a shadow entry (bit 63 set). */
#define I_PAGES_SHADOW		(1ULL << 63)
static inline bool xa_is_value(uint64_t entry)
{
	return entry & I_PAGES_SHADOW;
}

/* An inode and its address_space. */
struct sim_file {
	char name[SIM_FILE_NAME_LEN];
	uint64_t size;			/* bytes */
	uint32_t id;			/* its index in m->files->v */
	uint32_t version;		/* bumped by every write: the content tag's input */
	uint64_t *i_pages;		/* per page index (see I_PAGES_SHADOW) */
	uint32_t *disk;			/* per page index: the content tag on disk, 0: as created */
	uint64_t nr_slots;		/* entries of i_pages and disk */
	uint64_t dirtied_seq;		/* its place on the bdi's b_dirty list, 0 when clean */
	uint64_t dirtied_when;		/* inode->dirtied_when: jiffies when it was dirtied clean */
	uint64_t writeback_index;	/* mapping->writeback_index: where cyclic writeback resumes */
	uint64_t nrpages, nr_dirty, nr_writeback;
	struct file_ra_state ra;	/* the readahead window (file->f_ra) */
	uint64_t dentry_addr;		/* its objects in the dentry and inode caches, 0: none */
	uint64_t inode_addr;
	uint32_t nr_mmaps;		/* VMAs that map it (i_mmap's size) */
};

struct file_table {
	struct sim_file *v;
	uint32_t nr, cap;
	uint64_t dirty_seq;		/* the last dirtied_seq handed out */
};

struct sim_file *file_by_id(struct machine *m, uint32_t id);
struct sim_file *file_by_name(struct machine *m, const char *name);
/* The content tag of a file page: the same page of the same version reads the same. */
uint32_t file_content_tag(const struct sim_file *f, uint64_t index);
/*
 * filemap_add_folio(): @pfn at @index of @f's page cache, locked and on the
 * LRU (file, inactive); *@shadowp (may be NULL) gets what the slot held (a
 * shadow entry for workingset_refault(), else 0). -EEXIST if a page is there.
 */
int filemap_add_folio(struct machine *m, struct sim_file *f, uint64_t index, uint64_t pfn,
		      uint64_t *shadowp);
/*
 * __filemap_remove_folio(): a clean, unmapped page leaves its file; @shadow
 * (0: none) takes its slot. The caller frees the page.
 */
void __filemap_remove_folio(struct machine *m, uint64_t pfn, uint64_t shadow);
/*
 * The page-cache page at @index of @f for a fault: found, or read (a major
 * fault) with readahead. *@pfn holds a reference for the caller to map.
 */
int filemap_fault_page(struct machine *m, int cpu, struct sim_file *f, uint64_t index,
		       uint64_t *pfn, bool *major);
/* drop_caches 1: invalidate_mapping_pages() of every file. Returns pages dropped. */
uint64_t drop_pagecache(struct machine *m);

/*** Shrinkers (include/linux/shrinker.h) ***/

#define SHRINK_STOP		(~0UL)
#define SHRINK_EMPTY		(~0UL - 1)
#define DEFAULT_SEEKS		2

struct shrink_control {
	gfp_t gfp_mask;
	int nid;
	unsigned long nr_to_scan;
	unsigned long nr_scanned;
	int memcg_id;
};

struct shrinker {
	const char *name;
	unsigned long (*count_objects)(struct machine *m, struct shrinker *s,
				       struct shrink_control *sc);
	unsigned long (*scan_objects)(struct machine *m, struct shrinker *s,
				      struct shrink_control *sc);
	long batch;			/* 0: SHRINK_BATCH */
	int seeks;
	const char *scan_name;		/* scan_objects' kernel name, for mm_shrink_slab_* */
};

/* The registered shrinkers (the dentry and inode caches' superblock shrinker). */
unsigned int nr_shrinkers(void);
struct shrinker *shrinker_at(unsigned int i);
/*
 * do_shrink_slab() at @priority (12..0): what shrink_slab() does with one
 * shrinker (without the tracepoints, which are the caller's). Objects freed.
 */
unsigned long do_shrink_slab(struct machine *m, struct shrinker *s, struct shrink_control *sc,
			     int priority);
/* drop_caches 2: every shrinker of every node, rounds while they free. Objects freed. */
uint64_t drop_slab(struct machine *m);

/*** Writeback (page_writeback.c) ***/

/* folio_mark_dirty() of a page-cache page: NR_FILE_DIRTY, NR_DIRTIED, i_pages dirty count. */
void folio_mark_dirty(struct machine *m, uint64_t pfn);
/*
 * pageout()'s writeback of one dirty page: PG_writeback set, the write
 * (done at once in the engine), then cleared: folio_end_writeback().
 * 0, or -EINVAL when the page is not a dirty page-cache page.
 */
int folio_write_one(struct machine *m, uint64_t pfn);
/* Write every dirty page of @f (fsync, writeback of an inode). Returns pages written. */
uint64_t filemap_write_and_wait(struct machine *m, struct sim_file *f);
/* global_dirtyable_memory(), and the two thresholds of domain_dirty_limits(). */
uint64_t global_dirtyable_memory(const struct machine *m);
void global_dirty_limits(const struct machine *m, uint64_t *background, uint64_t *dirty);
/* balance_dirty_pages() after a write: background writeback / throttling by the limits. */
void balance_dirty_pages(struct machine *m, struct sim_file *f);

/*** rmap (rmap.c) ***/

enum ttu_flags {
	TTU_SPLIT_HUGE_PMD	= 0x4,
	TTU_IGNORE_MLOCK	= 0x8,
	TTU_SYNC		= 0x10,
	TTU_HWPOISON		= 0x20,
	TTU_BATCH_FLUSH		= 0x40,
	TTU_RMAP_LOCKED		= 0x80,
};

/* struct anon_vma: its root, its parent (anon_vma_fork()) and its users. */
struct anon_vma {
	uint32_t root, parent;		/* ids; a root is its own root and parent */
	uint32_t refcount;		/* VMAs that chain to it, and anon pages that point at it */
	uint32_t num_children, num_active_vmas;
};

struct anon_vma_table {
	struct anon_vma *v;		/* id 0 is never used: 0 means "none" in a VMA */
	uint32_t nr, cap;
	uint32_t *free_ids;
	uint32_t nr_free;
};

/* One PTE that maps the page. */
struct rmap_hit {
	int pid;
	uint64_t vaddr;
	uint64_t *pte;			/* into the PTE table (write through pt_entries() rules) */
	uint64_t pte_table;		/* its table's pfn */
};

/* Return false to stop the walk. */
typedef bool (*rmap_one_fn)(struct machine *m, uint64_t pfn, const struct rmap_hit *h,
			    void *arg);
void rmap_walk(struct machine *m, uint64_t pfn, rmap_one_fn fn, void *arg);
/* folio_referenced(): PTEs with the accessed bit, clearing it; *@vm_flags: their VMAs'. */
int folio_referenced(struct machine *m, uint64_t pfn, unsigned long *vm_flags);
/*
 * try_to_unmap(): clear every PTE that maps the page. A file page's PTEs
 * are cleared; an anonymous page's become the swap entry its page->private
 * holds (PG_swapcache set by the swap unit), as swp_val_to_pte() encodes it;
 * an anonymous page not in the swap cache is refused. True when no PTE maps
 * it any more.
 */
bool try_to_unmap(struct machine *m, uint64_t pfn, enum ttu_flags flags);
/*
 * Swap entries, agreed here so that try_to_unmap() and the swap unit speak
 * the same words. page->private of a page in the swap cache holds the
 * arch-independent value of include/linux/swapops.h: the type in the bits
 * from SWP_TYPE_SHIFT up, the offset below. The PTE left behind is x86-64's
 * __swp_entry() (arch/x86/include/asm/pgtable_64.h): the type in the top
 * SWP_TYPE_BITS, the offset inverted from bit SWP_OFFSET_FIRST_BIT (the
 * bit after _PAGE_BIT_PROTNONE, which is _PAGE_BIT_GLOBAL), never present.
 */
#define MAX_SWAPFILES_SHIFT	5
#define SWP_TYPE_SHIFT		(63 - MAX_SWAPFILES_SHIFT)	/* BITS_PER_XA_VALUE - ... */
#define SWP_OFFSET_MASK		((1ULL << SWP_TYPE_SHIFT) - 1)
#define SWP_TYPE_BITS		5
#define SWP_OFFSET_FIRST_BIT	9
#define SWP_OFFSET_SHIFT	(SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS)

static inline uint64_t swp_val(unsigned int type, uint64_t offset)
{
	return (uint64_t)type << SWP_TYPE_SHIFT | (offset & SWP_OFFSET_MASK);
}

static inline unsigned int swp_val_type(uint64_t val)
{
	return (unsigned int)(val >> SWP_TYPE_SHIFT);
}

static inline uint64_t swp_val_offset(uint64_t val)
{
	return val & SWP_OFFSET_MASK;
}

/* swp_entry_to_pte(): __swp_entry(type, offset) as a PTE. */
static inline uint64_t swp_val_to_pte(uint64_t val)
{
	return (~swp_val_offset(val) << SWP_OFFSET_SHIFT >> SWP_TYPE_BITS) |
	       (uint64_t)swp_val_type(val) << (64 - SWP_TYPE_BITS);
}

/* pte_to_swp_entry(): the value back from a swap PTE. */
static inline uint64_t pte_to_swp_val(uint64_t pte)
{
	return swp_val((unsigned int)(pte >> (64 - SWP_TYPE_BITS)),
		       ~pte << SWP_TYPE_BITS >> SWP_OFFSET_SHIFT);
}

/* is_swap_pte(): not present, not empty. */
static inline bool is_swap_pte(uint64_t pte)
{
	return pte && !(pte & 1);
}

/* folio_add_new_anon_rmap(), folio_add_file_rmap_pte()/folio_dup_*, folio_remove_rmap_pte(). */
void folio_add_new_anon_rmap(struct machine *m, uint64_t pfn, uint32_t anon_vma,
			     uint64_t index);
void folio_add_rmap_pte(struct machine *m, uint64_t pfn);
void folio_remove_rmap_pte(struct machine *m, uint64_t pfn);
/* folio_mkclean(): every shared PTE of the page read-only and clean; true if one was dirty. */
bool folio_mkclean(struct machine *m, uint64_t pfn);

/* anon_vma ids: a new root, and the reference counting of pages and VMAs. */
int anon_vma_alloc(struct machine *m, uint32_t parent, uint32_t *id);
void get_anon_vma(struct machine *m, uint32_t id);
void put_anon_vma(struct machine *m, uint32_t id);
/* Is @ancestor on @id's chain (the anon_vma_chain a VMA with anon_vma @id has)? */
bool anon_vma_chained(const struct machine *m, uint32_t id, uint32_t ancestor);
/* How many PTEs map @pfn, as rmap_walk() finds them. */
uint64_t rmap_count(struct machine *m, uint64_t pfn);

/*** The units' machine state ***/

int lru_state_create(struct machine *m);	/* the files and anon_vma tables */
int lru_state_clone(struct machine *dst, const struct machine *src);
void lru_state_release(struct machine *m);
void lru_state_save(struct snap_writer *w, const struct machine *m);
void lru_state_load(struct snap_reader *r, struct machine *m);
unsigned long lru_check(const struct machine *m, mm_violation_fn fn, void *ctx);
/* lru_check.c: blocks R (rmap) and F (page cache); lru_check() runs them. */
unsigned long rmap_filemap_check(const struct machine *m, mm_violation_fn fn, void *ctx);

#endif /* MMLAB_LRU_H */
