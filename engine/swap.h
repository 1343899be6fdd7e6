/*
 * swap.h - the swap device, its slots and the swap cache: swp_entry_t, the
 * x86-64 swap PTE, struct swap_info_struct with its swap_map and clusters.
 * Internal to the engine (swapfile.c, swap_state.c, vmscan.c, mm.c, check.c,
 * snapshot.c, mm_init.c, proc_vmstat.c use it).
 *
 * Kernel: include/linux/swap.h (struct swap_info_struct, SWAP_HAS_CACHE,
 * SWAP_MAP_MAX, SWAP_MAP_BAD), include/linux/swapops.h (swp_entry(),
 * swp_type(), swp_offset(), pte_to_swp_entry(), swp_entry_to_pte()),
 * arch/x86/include/asm/pgtable_64.h (__swp_entry(), __swp_type(),
 * __swp_offset(): the inverted offset), mm/swap.h (SWAPFILE_CLUSTER, struct
 * swap_cluster_info), mm/swap_table.h (the per-slot table that holds the
 * swap cache).
 *
 * Two encodings of one swap entry, as in the kernel:
 *  - swp_entry_t, the arch-independent value that page->private (folio->swap)
 *    holds: type << SWP_TYPE_SHIFT | offset, SWP_TYPE_SHIFT = 63 - 5 = 58.
 *  - the PTE: x86-64 puts the type in bits 59..63 and the offset, inverted,
 *    in bits 9..58. The inversion (L1TF mitigation) keeps the high physical
 *    address bits of a non-present PTE set, so a speculative load through it
 *    points at no real memory. Bit 0 (present) and bit 8 (PROTNONE) are 0;
 *    bit 3 (_PAGE_PWT) carries _PAGE_SWP_EXCLUSIVE, bit 1 soft-dirty.
 */
#ifndef MMLAB_SWAP_H
#define MMLAB_SWAP_H

#include "internal.h"
#include "lru.h"

/*** swp_entry_t (include/linux/swapops.h) over lru.h's words ***/

typedef struct {
	uint64_t val;
} swp_entry_t;

#define _PAGE_SWP_EXCLUSIVE	(1ULL << 3)	/* _PAGE_PWT */
#define _PAGE_SWP_SOFT_DIRTY	(1ULL << 1)	/* _PAGE_RW */

static inline swp_entry_t swp_entry(unsigned int type, uint64_t offset)
{
	swp_entry_t e = { swp_val(type, offset) };

	return e;
}

static inline unsigned int swp_type(swp_entry_t e)
{
	return swp_val_type(e.val);
}

static inline uint64_t swp_offset(swp_entry_t e)
{
	return swp_val_offset(e.val);
}

/* swp_entry_to_pte(): __swp_entry(), what try_to_unmap() writes in place of the page. */
static inline uint64_t swp_entry_to_pte(swp_entry_t e)
{
	return swp_val_to_pte(e.val);
}

/* pte_to_swp_entry(): the software bits (exclusive, soft-dirty) fall below the offset. */
static inline swp_entry_t pte_to_swp_entry(uint64_t pte)
{
	swp_entry_t e = { pte_to_swp_val(pte) };

	return e;
}

/*** struct swap_info_struct (include/linux/swap.h, mm/swap.h) ***/

#define SWAP_HAS_CACHE		0x40	/* the slot's folio is in the swap cache */
#define SWAP_MAP_MAX		0x3e	/* the most map references a slot counts */
#define SWAP_MAP_BAD		0x3f	/* the header page and bad pages */
#define SWAPFILE_CLUSTER	512	/* HPAGE_PMD_NR */
#define SWAP_ENTRY_INVALID	0

/* si->flags */
#define SWP_USED		(1u << 0)
#define SWP_WRITEOK		(1u << 1)

/* enum swap_cluster_flags: which list a cluster is on. */
enum swap_cluster_flags {
	CLUSTER_FLAG_NONE, CLUSTER_FLAG_FREE, CLUSTER_FLAG_NONFULL, CLUSTER_FLAG_FRAG,
	CLUSTER_FLAG_USABLE = CLUSTER_FLAG_FRAG, CLUSTER_FLAG_FULL, CLUSTER_FLAG_DISCARD,
	CLUSTER_FLAG_MAX
};

/* A list of clusters linked by cluster index (the kernel's struct list_head). */
struct cluster_list {
	uint32_t first, last;
	uint32_t nr;
};

struct swap_cluster_info {
	uint16_t count;		/* slots in use, the header and bad pages included */
	uint8_t flags;		/* enum swap_cluster_flags */
	uint8_t order;		/* always 0: every folio here is one page */
	uint32_t next, prev;	/* cluster indexes, UINT32_MAX at the ends */
};

/*
 * A swap table entry (mm/swap_table.h) of one slot: 0 when empty, pfn + 1 of
 * the folio in the swap cache, or a workingset shadow with bit 63 set (the
 * page cache's i_pages uses the same shape).
 */
#define SWP_TB_SHADOW		(1ULL << 63)

struct swap_info_struct {
	unsigned int flags;	/* SWP_USED | SWP_WRITEOK */
	int prio;
	int type;
	char filename[32];
	uint64_t max;		/* slots, the header included */
	uint64_t pages;		/* usable slots: max - 1 */
	uint64_t inuse_pages;	/* slots with a map count or a cache reference */
	uint8_t *swap_map;	/* max of them */
	uint64_t *swap_table;	/* max of them: the swap cache */
	uint32_t *content;	/* max of them: the content tag pageout() wrote */
	uint32_t nr_clusters;
	struct swap_cluster_info *cluster_info;
	struct cluster_list free_clusters, nonfull_clusters, frag_clusters, full_clusters;
	uint32_t global_cluster_next;	/* si->global_cluster->next[0]; 0: none */
};

/* What the machine holds of swap: one device at most (swap_info[0]). */
struct swap_state {
	struct swap_info_struct si;
	uint64_t nr_swap_pages;		/* free slots of every device */
	uint64_t total_swap_pages;
	uint64_t nr_swapcache;		/* NR_SWAPCACHE: folios in the swap cache */
};

/*** swapfile.c ***/

/* swapon of the machine's swap_mib at boot; 0 or -ENOMEM. */
int swap_setup(struct machine *m);
/* The device of @e, or NULL for an entry no device has. */
struct swap_info_struct *swp_info(const struct machine *m, swp_entry_t e);
/*
 * folio_alloc_swap(): a slot for the order-0 folio @pfn (its swap_map reads
 * SWAP_HAS_CACHE) and the folio added to the swap cache. -ENOMEM when swap
 * is full or absent.
 */
int folio_alloc_swap(struct machine *m, uint64_t pfn);
/* swap_duplicate(): one more map reference (a PTE); -ENOENT, -ENOMEM at SWAP_MAP_MAX. */
int swap_duplicate(struct machine *m, swp_entry_t e);
/* swapcache_prepare(): claim SWAP_HAS_CACHE for a swap-in; -EEXIST when taken. */
int swapcache_prepare(struct machine *m, swp_entry_t e);
/* swap_free(): drop one map reference. */
void swap_free(struct machine *m, swp_entry_t e);
/* put_swap_folio(): drop the swap cache's reference. */
void put_swap_folio(struct machine *m, swp_entry_t e);
/* __swap_count(): the map references of a slot. */
int __swap_count(const struct machine *m, swp_entry_t e);
/* free_swap_and_cache(): a zapped swap PTE. */
void free_swap_and_cache(struct machine *m, swp_entry_t e);
/* vm_swap_full(): more than half of swap in use. */
bool vm_swap_full(const struct machine *m);
uint64_t get_nr_swap_pages(const struct machine *m);
uint64_t total_swap_pages(const struct machine *m);

/*** swap_state.c ***/

/* swap_cache_add_folio(): @pfn (one more reference) becomes the cached folio of @e; *shadowp gets the old shadow. */
void swap_cache_add_folio(struct machine *m, uint64_t pfn, swp_entry_t e, uint64_t *shadowp);
/* __swap_cache_del_folio(): out of the swap cache, @shadow (0 or SWP_TB_SHADOW|...) left behind. */
void __swap_cache_del_folio(struct machine *m, uint64_t pfn, swp_entry_t e, uint64_t shadow);
/* swap_cache_del_folio(): the above, the slot's SWAP_HAS_CACHE and the cache's page reference dropped. */
void swap_cache_del_folio(struct machine *m, uint64_t pfn);
/* swap_cache_get_folio(): the cached pfn of @e or PFN_NIL. */
uint64_t swap_cache_get_folio(const struct machine *m, swp_entry_t e);
/* swap_cache_get_shadow(): the shadow left in @e's slot, or 0. */
uint64_t swap_cache_get_shadow(const struct machine *m, swp_entry_t e);
/* folio_swapped(): some PTE still refers to the folio's slot. */
bool folio_swapped(const struct machine *m, uint64_t pfn);
/*
 * folio_free_swap(): a folio in the swap cache whose slot no PTE names any
 * more leaves the cache and frees the slot; it is dirty, as RAM alone holds
 * the content now. False when it was not in the cache or is still swapped.
 * The caller holds a reference besides the cache's.
 */
bool folio_free_swap(struct machine *m, uint64_t pfn);
/* free_swap_cache(): folio_free_swap() of a folio no PTE maps any more (the unmap's batch). */
void free_swap_cache(struct machine *m, uint64_t pfn);
static inline bool folio_test_swapcache(const struct page *p)
{
	return page_test(p, PG_swapbacked) && page_test(p, PG_owner_priv_1);
}

/* Snapshot, clone, release, check (snapshot.c, mm_init.c, check.c). */
void swap_state_save(struct snap_writer *w, const struct machine *m);
void swap_state_load(struct snap_reader *r, struct machine *m);
int swap_state_clone(struct machine *c, const struct machine *m);
void swap_state_release(struct machine *m);
void swap_check(const struct machine *m, void (*report)(void *ctx, const char *msg), void *ctx);

#endif /* MMLAB_SWAP_H */
