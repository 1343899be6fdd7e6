/*
 * pgtable.h - x86-64 page tables, the MMU and the CPUs' paging state, for the
 * engine's own units (pgtable.c, mmu.c, boot.c, mm.c, ptdump.c, and the
 * kernel allocators that map pages, such as vmalloc.c).
 *
 * Kernel: arch/x86/include/asm/pgtable_types.h (the _PAGE_* bits),
 * pgtable_64_types.h (the shifts), asm/tlbflush.h (the flush calls).
 * A page table is a real 4 KiB frame of simulated RAM (a table slot); its 512
 * entries live in a host buffer found through the frame's struct page
 * (page->index is the buffer's slot), so a walk reads entries "by physical
 * address": from a pfn in CR3 or in an entry to the next table's entries.
 */
#ifndef MMLAB_PGTABLE_H
#define MMLAB_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "layout.h"

/*** Entry bits (arch/x86/include/asm/pgtable_types.h) ***/

#define _PAGE_BIT_PRESENT	0
#define _PAGE_BIT_RW		1
#define _PAGE_BIT_USER		2
#define _PAGE_BIT_PWT		3
#define _PAGE_BIT_PCD		4
#define _PAGE_BIT_ACCESSED	5
#define _PAGE_BIT_DIRTY		6
#define _PAGE_BIT_PSE		7
#define _PAGE_BIT_GLOBAL	8
#define _PAGE_BIT_SPECIAL	9	/* _PAGE_BIT_SOFTW1: pte_mkspecial() */
#define _PAGE_BIT_NX		63

#define _PAGE_PRESENT	(1ULL << _PAGE_BIT_PRESENT)
#define _PAGE_RW	(1ULL << _PAGE_BIT_RW)
#define _PAGE_USER	(1ULL << _PAGE_BIT_USER)
#define _PAGE_PWT	(1ULL << _PAGE_BIT_PWT)
#define _PAGE_PCD	(1ULL << _PAGE_BIT_PCD)
#define _PAGE_ACCESSED	(1ULL << _PAGE_BIT_ACCESSED)
#define _PAGE_DIRTY	(1ULL << _PAGE_BIT_DIRTY)
#define _PAGE_PSE	(1ULL << _PAGE_BIT_PSE)
#define _PAGE_GLOBAL	(1ULL << _PAGE_BIT_GLOBAL)
#define _PAGE_SPECIAL	(1ULL << _PAGE_BIT_SPECIAL)
#define _PAGE_NX	(1ULL << _PAGE_BIT_NX)

/* Bits 51..12: the frame (or next table) address. */
#define PTE_PFN_MASK	0x000ffffffffff000ULL
#define PTE_FLAGS_MASK	(~PTE_PFN_MASK)

#define _KERNPG_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define _PAGE_TABLE	(_KERNPG_TABLE | _PAGE_USER)

#define PAGE_KERNEL		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | \
				 _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_RO		(_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_EXEC	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | \
				 _PAGE_GLOBAL)
#define PAGE_KERNEL_ROX		(_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_GLOBAL)
#define PAGE_KERNEL_LARGE	(PAGE_KERNEL | _PAGE_PSE)

/*** Geometry ***/

#define PTRS_PER_TABLE	512
#define PTRS_PER_TABLE_SHIFT 9		/* each level resolves 9 bits */
#define PTE_SHIFT	12
#define PMD_SHIFT	21
#define PUD_SHIFT	30
#define P4D_SHIFT	39
#define PGDIR_SHIFT_L4	39
#define PGDIR_SHIFT_L5	48
#define PMD_SIZE	(1ULL << PMD_SHIFT)
#define PUD_SIZE	(1ULL << PUD_SHIFT)

/* Levels as the events number them: 1 = pte .. 5 = pgd of a 5-level walk. */
enum pt_level { PT_PTE = 1, PT_PMD = 2, PT_PUD = 3, PT_P4D = 4, PT_PGD5 = 5 };

/* The address bits that index a table of @level. */
static inline unsigned int pt_level_shift(int level)
{
	return PTE_SHIFT + 9u * (unsigned int)(level - 1);
}

static inline unsigned int pt_index(uint64_t vaddr, int level)
{
	return (unsigned int)(vaddr >> pt_level_shift(level)) & (PTRS_PER_TABLE - 1);
}

static inline uint64_t pte_pfn(uint64_t entry)
{
	return (entry & PTE_PFN_MASK) >> PAGE_SHIFT;
}

/*** Interface for the kernel allocators (vmalloc.c) ***/

/*
 * Map one 4 KiB page at kernel address @vaddr to @pfn with the x86 entry bits
 * @prot (PAGE_KERNEL, ...), allocating page-table pages as needed; a pte_set
 * event. -EINVAL for a user or non-canonical address, -EEXIST when a mapping
 * is already there, -ENOMEM when no table page can be had.
 */
int pgtable_kernel_map(struct machine *m, uint64_t vaddr, uint64_t pfn, uint64_t prot);
/* Clear the 4 KiB PTE at @vaddr (its pfn in @pfn, may be NULL); pte_clear. -EFAULT if none. */
int pgtable_kernel_unmap(struct machine *m, uint64_t vaddr, uint64_t *pfn);
/* flush_tlb_kernel_range(): drop [start, end) from every CPU's TLB; tlb_flush events. */
void flush_tlb_kernel_range(struct machine *m, uint64_t start, uint64_t end);
/*
 * A walk of the kernel page tables with no side effect: the frame that maps
 * @vaddr (the 4 KiB frame within a huge page) and the mapping's page shift
 * (12, 21 or 30). -EFAULT when nothing maps it.
 */
int pgtable_kernel_lookup(const struct machine *m, uint64_t vaddr, uint64_t *pfn,
			  unsigned int *page_shift);

/*** The engine's own paging state (struct x86_state, machine->x86) ***/

/* Table contents: one 512-entry host buffer per table page, found by slot. */
struct pt_store {
	uint64_t (*slots)[PTRS_PER_TABLE];
	uint32_t *slot_pfn;		/* PFN_NIL while the slot is free */
	uint8_t *slot_level;
	uint32_t *free_slots;		/* a stack of free slots */
	uint32_t nr_free, nr, cap;	/* nr: slots ever handed out */
	uint64_t gen;			/* changes with every write to a table (pt_entries()) */
};

/* Where a kernel table page comes from. */
enum pt_source {
	PT_FROM_IMAGE,		/* a static table in the kernel image (head_64.S) */
	PT_FROM_EARLY,		/* the memblock early page-table buffer (alloc_low_pages) */
	PT_FROM_BUDDY,		/* pagetable_alloc() once the buddy allocator is up */
	PT_FROM_AUTO,		/* EARLY before the buddy is up, BUDDY after */
	PT_FROM_REALMODE,	/* the real-mode area below 1 MiB (trampoline_pgd) */
	PT_FROM_DECOMPRESSOR,	/* the decompressor's own tables, top of the image area */
};

/* A side-effect-free walk (also what the views show). */
struct pt_walk {
	int nr;				/* levels read */
	struct {
		int level;
		uint64_t table;		/* pfn of the table read */
		unsigned int index;
		uint64_t entry;
	} step[5];
	int fault_level;		/* 0, or the level whose entry was not present */
	uint64_t pfn;			/* the 4 KiB frame that backs the address */
	unsigned int page_shift;	/* 12, 21 or 30 */
	uint64_t prot;			/* effective: RW and US of every level, NX of any */
};

/*** TLB and CPUs (mmu.c, boot.c) ***/

enum tlb_array_id { TLB_L1_4K, TLB_L1_2M, TLB_L1_1G, TLB_STLB, NR_TLB_ARRAYS };

/*
 * An entry's tag: its virtual page number, page size and valid bit in one
 * word, so that a probe compares 8 bytes a way (a hit needs one compare).
 */
#define TLB_TAG_VALID	1ULL
#define TLB_TAG_VPN_SHIFT 8

static inline uint64_t tlb_tag(uint64_t vaddr, unsigned int shift)
{
	return (vaddr >> shift) << TLB_TAG_VPN_SHIFT | (uint64_t)shift << 1 | TLB_TAG_VALID;
}

static inline unsigned int tlb_tag_shift(uint64_t tag)
{
	return (unsigned int)(tag >> 1) & 0x3f;
}

/* The page's address (a tag keeps every bit of vaddr >> shift). */
static inline uint64_t tlb_tag_vaddr(uint64_t tag)
{
	return tag >> TLB_TAG_VPN_SHIFT << tlb_tag_shift(tag);
}

struct tlb_entry {
	uint64_t pfn;			/* first 4 KiB frame of the page */
	uint64_t prot;			/* effective entry bits (RW, US, NX, G, D) */
};

/*
 * One array: sets * ways slots in one block, kept as parallel arrays so that
 * a probe reads only tags and a victim choice only stamps. A tag of 0 is an
 * empty slot. @ent, @stamp and @region point into the block (tlb_array_bind()).
 */
struct tlb_array {
	unsigned int entries, ways, sets;
	unsigned int set_mask;		/* sets - 1, or TLB_SET_DIVIDE */
	uint64_t *tag;			/* the block: tags, entries, stamps, regions */
	struct tlb_entry *ent;
	uint64_t *stamp;		/* each slot's last use (lru) or fill (fifo); 0 if empty */
	int8_t *region;			/* each page's enum mm_region, -1 if it spans two */
	unsigned int nr_size[3];	/* valid entries of 4 KiB, 2 MiB, 1 GiB pages */
	uint8_t regions[3];		/* of each size: a bit (1 << enum mm_region) for
					 * every region an entry may be in, all of them
					 * for a page in two; cleared once none is left */
};

/* 0, 1, 2 for the page sizes 4 KiB, 2 MiB, 1 GiB (shift 12, 21, 30). */
static inline unsigned int tlb_size_index(unsigned int shift)
{
	return (shift - 12) / 9;
}

/* The set_mask of an array whose number of sets is not a power of two. */
#define TLB_SET_DIVIDE	0xffffffffu

/* Point @ent and @stamp into the block at @tag (after it is allocated or copied). */
static inline void tlb_array_bind(struct tlb_array *t)
{
	t->ent = (struct tlb_entry *)(t->tag + (size_t)t->sets * t->ways);
	t->stamp = (uint64_t *)(t->ent + (size_t)t->sets * t->ways);
	t->region = (int8_t *)(t->stamp + (size_t)t->sets * t->ways);
}

/* The bytes of an array's block. */
static inline size_t tlb_array_bytes(const struct tlb_array *t)
{
	return (size_t)t->sets * t->ways *
	       (sizeof(uint64_t) + sizeof(struct tlb_entry) + sizeof(uint64_t) + sizeof(int8_t));
}

enum mm_region { REGION_DIRECT_MAP, REGION_VMALLOC, REGION_KERNEL_IMAGE, REGION_USER,
		 REGION_OTHER, NR_MM_REGIONS };

/*
 * A CPU's counters for one region. Every access is exactly one of an L1 hit,
 * an STLB hit or a miss, so accesses are their sum, not a counter of their
 * own: a hit updates one 8-byte word (two side by side became one 16-byte
 * store, which split across cache lines stalled the next hit's load).
 */
struct tlb_stats {
	uint64_t l1_hits, stlb_hits, misses, walk_refs, faults;
};

/*
 * Where a CPU's recent L1 hits are, so that most hits cost one compare
 * instead of a search of the set: a direct-mapped table from a page's tag
 * (by its low page-number bits) to its L1 slot, and the array of the last
 * hit, where the next lookup starts. A cache of the lookup, never a
 * different result: a slot that changes (tlb_drop(), a fill over it) takes
 * its hint with it (C4).
 */
#define TLB_HINTS	64

struct tlb_hint {
	uint64_t tag;			/* 0: none */
	uint32_t slot;			/* in the L1 array of the tag's page size */
};

struct tlb_memo {
	struct tlb_hint hint[TLB_HINTS];
	uint8_t array;			/* TLB_L1_4K, _2M or _1G: of the last L1 hit */
};

static inline struct tlb_hint *tlb_hint_of(struct tlb_memo *mo, uint64_t tag)
{
	return &mo->hint[(tag >> TLB_TAG_VPN_SHIFT) & (TLB_HINTS - 1)];
}

/*
 * The upper levels of a CPU's last walk down to a 4 KiB page, so that the
 * next walk in the same 2 MiB region reads only its PTE from the tables. A
 * cache of this simulation, not the hardware's paging-structure caches: the
 * walk still makes, records and counts every reference. It holds while the
 * tables are as they were (pt.gen), and only entries that have A, which a
 * walk then never sets (C5).
 */
struct walk_cache {
	uint64_t gen;			/* pt.gen when it was filled */
	uint64_t root;			/* the pfn of the top table walked from */
	uint64_t region;		/* vaddr >> PMD_SHIFT */
	uint64_t pte_table;		/* pfn of the PTE table of the region */
	uint64_t all, any;		/* the upper entries ANDed and ORed */
	int nr;				/* upper levels: 3, or 4 with LA57; 0: empty */
	struct mm_walk_level lv[4];
};

enum cpu_mode { CPU_MODE_REAL, CPU_MODE_PROTECTED, CPU_MODE_LONG };

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NE	(1ULL << 5)
#define X86_CR0_WP	(1ULL << 16)
#define X86_CR0_NW	(1ULL << 29)
#define X86_CR0_CD	(1ULL << 30)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR0_RESET	0x60000010ULL	/* CD|NW|ET after reset */
#define X86_CR4_PAE	(1ULL << 5)
#define X86_CR4_PGE	(1ULL << 7)
#define X86_CR4_LA57	(1ULL << 12)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define EFER_NX		(1ULL << 11)
#define X86_RESET_VECTOR 0xfffffff0ULL

struct cpu_state {
	int mode;			/* enum cpu_mode */
	bool online;			/* running the kernel */
	uint64_t cr0, cr3, cr4, efer;
	uint64_t rip;			/* where the CPU is executing */
	int pid;			/* the mm in CR3: 0 for init_mm, -1 for none */
	uint64_t tlb_clock;
	uint64_t fast_misses;		/* misses miss_fast() served (a test's evidence) */
	struct tlb_memo memo;
	struct walk_cache walk_cache;
	struct tlb_array tlb[NR_TLB_ARRAYS];
	struct tlb_stats stats[NR_MM_REGIONS];
};

/*** Processes (mm.c) ***/

#define VM_READ		0x1u
#define VM_WRITE	0x2u
#define VM_EXEC		0x4u
#define VM_SHARED	0x8u
#define VM_MAYSHARE	0x80u
#define VM_GROWSDOWN	0x100u

struct vm_area_struct {
	uint64_t vm_start, vm_end;
	unsigned int vm_flags;
	char name[24];			/* "[heap]", "[stack]", "" for anonymous */
	uint64_t vm_pgoff;		/* file offset in pages; vm_start >> PAGE_SHIFT for anon */
	uint32_t vm_file;		/* file id + 1, 0 for anonymous memory (lru.h) */
	uint32_t anon_vma;		/* anon_vma id, 0 until its first anonymous page;
					 * its anon_vma_chain is that anon_vma and its parents */
};

/* include/linux/mm_types_task.h: the RSS counters of an mm. */
enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES, NR_MM_COUNTERS };

#define RMAP_OFFSETS_MAX	8

struct mm_struct {
	int pid;
	char comm[16];
	uint64_t pgd;			/* pfn of the PGD */
	struct vm_area_struct *vmas;	/* sorted by vm_start */
	unsigned int nr_vmas, cap_vmas;
	uint64_t start_brk, brk, mmap_base;
	uint64_t rss_stat[NR_MM_COUNTERS];	/* add_mm_counter(); get_mm_rss() sums them */
	uint64_t pgtables_pages;	/* table pages, PGD included */
	/* oom_kill.c: signal->oom_score_adj, a pending SIGKILL (TIF_MEMDIE), MMF_OOM_SKIP */
	int16_t oom_score_adj;
	bool oom_victim;		/* killed: exits at the end of the op (mm_exit_killed()) */
	bool oom_skip;			/* reaped: nothing more to take from it */
	uint32_t memcg_id;		/* memcontrol.c: its memory cgroup, 0 the root */
	/*
	 * rmap.c: the distinct offsets vm_start - (vm_pgoff << PAGE_SHIFT) of
	 * the VMAs, so that a walk looks up one address per offset instead of
	 * visiting every VMA; found again after mm.c changed the VMAs
	 * (rmap_offsets_valid false). RMAP_OFFSETS_MAX + 1: too many to keep.
	 */
	uint64_t rmap_offsets[RMAP_OFFSETS_MAX];
	uint8_t nr_rmap_offsets;
	bool rmap_offsets_valid;
};

/* Boot stages of engine.md section 7, in order. */
enum boot_stage {
	BOOT_POWERON, BOOT_STARTUP_32, BOOT_EXTRACT_KERNEL, BOOT_STARTUP_64, BOOT___STARTUP_64,
	BOOT_COMMON_STARTUP_64, BOOT_RESET_EARLY_PGT, BOOT_DIRECT_MAP, BOOT_MM_CORE_INIT,
	BOOT_DONE, NR_BOOT_STAGES
};

struct x86_state {
	struct pt_store pt;
	struct cpu_state *cpus;		/* nr_cpus */
	unsigned int levels;		/* 4 or 5 */
	int boot_stage;			/* enum boot_stage */
	uint64_t init_top_pgt;		/* pfn of the kernel's PGD (swapper_pg_dir) */
	uint64_t early_top_pgt;		/* pfn, 0 once dropped */
	uint64_t trampoline_pgd;	/* pfn, 0 until the first secondary CPU */
	uint64_t kexec_pgd, kexec_control;	/* pfns, 0 until a kexec */
	uint64_t kernel_pfn, kernel_pages;	/* the image: physical start, size */
	uint64_t phys_base;
	uint64_t image_tables_next;	/* next static table page in the image */
	uint64_t pgt_buf_start, pgt_buf_end, pgt_buf_top;	/* early buffer, pfns */
	uint64_t pgt_extra_next, pgt_extra_top;		/* the vmalloc tables' buffer */
	struct mm_struct *mms;
	unsigned int nr_mms, cap_mms;
	int next_pid;
	uint64_t prng;			/* the machine's seeded PRNG state */
	/* boot.c: the decompressor's identity-mapped PGD (pfn), 0 once abandoned */
	uint64_t boot_pgt;
};

/* Levels and addresses of the machine. */
static inline unsigned int pt_levels(const struct machine *m)
{
	return m->x86->levels;
}

/*** pgtable.c ***/

/* An entry that maps a page (a PTE, or a PMD/PUD with PS) rather than a table. */
static inline bool entry_is_leaf(uint64_t entry, int level)
{
	return level == PT_PTE || ((level == PT_PMD || level == PT_PUD) && (entry & _PAGE_PSE));
}

/*
 * Is frame @pfn a registered table? Its page->index names a slot that names
 * it back. (PGTY_table alone does not say: the kernel types only the tables
 * that pagetable_alloc() gave a constructor, not the boot ones.)
 */
static inline bool pt_is_table(const struct machine *m, uint64_t pfn)
{
	const struct pt_store *s = &m->x86->pt;
	uint32_t slot;

	if (pfn >= m->max_pfn)
		return false;
	slot = m->mem_map[pfn].index;
	return slot < s->nr && s->slot_pfn[slot] == pfn;
}

/* The entries of table @table_pfn, to read: reading them is reading physical memory. */
static inline const uint64_t *pt_table(const struct machine *m, uint64_t table_pfn)
{
	const struct page *p;

	SIM_BUG_ON(!pt_is_table(m, table_pfn));
	p = &m->mem_map[table_pfn];
	SIM_BUG_ON(p->index >= m->x86->pt.nr || m->x86->pt.slot_pfn[p->index] != table_pfn);
	return m->x86->pt.slots[p->index];
}

/*
 * The entries of table @table_pfn, to write: the tables change (pt.gen), so
 * no CPU's walk cache holds on to what they were. Every write to a table
 * but the walk's own A and D bits goes through here.
 */
static inline uint64_t *pt_entries(const struct machine *m, uint64_t table_pfn)
{
	m->x86->pt.gen++;
	return (uint64_t *)pt_table(m, table_pfn);
}

int pt_table_level(const struct machine *m, uint64_t table_pfn);
int pgtable_alloc_table(struct machine *m, int level, enum pt_source src, const char *what,
			uint64_t *pfn);
void pgtable_free_table(struct machine *m, uint64_t pfn);
void pgtable_image_rewind(struct machine *m);
void pt_set_entry(struct machine *m, uint64_t table, unsigned int index, int level,
		  uint64_t entry, uint64_t vaddr);
void pt_clear_entry(struct machine *m, uint64_t table, unsigned int index, int level,
		    uint64_t vaddr);
int pt_walk(const struct machine *m, uint64_t root, uint64_t vaddr, struct pt_walk *w);
int pt_walk_alloc(struct machine *m, uint64_t root, uint64_t vaddr, int level,
		  uint64_t table_entry, enum pt_source src, uint64_t *table);
void pgtable_build_kernel_image_map(struct machine *m, uint64_t pgd);
int pgtable_build_direct_map(struct machine *m);
void pgtable_free_tree(struct machine *m, uint64_t table, int level, unsigned int first,
		       unsigned int last);
int preallocate_vmalloc_pages(struct machine *m);
void pgtable_direct_map_kb(const struct machine *m, uint64_t kb[3]);

/* The region an address belongs to, for the TLB counters. */
static inline enum mm_region vaddr_region(unsigned int levels, uint64_t max_pfn, uint64_t vaddr)
{
	uint64_t po = layout_page_offset(levels);

	if (vaddr < layout_task_size(levels) + PAGE_SIZE)
		return REGION_USER;
	if (vaddr >= po && vaddr - po < PFN_PHYS(max_pfn))
		return REGION_DIRECT_MAP;
	if (vaddr >= layout_vmalloc_start(levels) && vaddr <= layout_vmalloc_end(levels))
		return REGION_VMALLOC;
	if (vaddr >= __START_KERNEL_map && vaddr - __START_KERNEL_map < KERNEL_IMAGE_SIZE)
		return REGION_KERNEL_IMAGE;
	return REGION_OTHER;
}

static inline enum mm_region mm_region_of(const struct machine *m, uint64_t vaddr)
{
	return vaddr_region(m->cfg.paging_levels, m->max_pfn, vaddr);
}

const char *mm_region_name(int region);
unsigned int pgd_kernel_first(const struct machine *m);
void pt_flags_text(uint64_t entry, int level, char *buf, size_t len);
int x86_state_alloc(struct machine *m);
unsigned long pgtable_check(const struct machine *m, mm_violation_fn fn, void *ctx);
uint64_t x86_prng_next(struct machine *m);

/*** mmu.c ***/

int tlb_init_cpu(const struct machine *m, struct cpu_state *cpu);
void tlb_flush_cpu(struct machine *m, int cpu, bool global, const char *why);
void tlb_flush_cpu_range(struct machine *m, int cpu, uint64_t start, uint64_t end,
			 const char *why);
unsigned long mmu_check(const struct machine *m, mm_violation_fn fn, void *ctx);

/*** boot.c ***/

void load_cr3(struct machine *m, int cpu, uint64_t pgd_pfn, int pid);
int boot_advance(struct machine *m, int until, struct mm_error *e);
const char *boot_stage_name(int stage);

/*** mm.c ***/

struct mm_struct *find_mm(const struct machine *m, int pid);
/* The index of the VMA of @mm that holds @addr, or -1 (a binary search: the VMAs are sorted). */
int vma_index(const struct mm_struct *mm, uint64_t addr);
int do_user_addr_fault(struct machine *m, int cpu, struct mm_struct *mm, uint64_t vaddr,
		       uint32_t error_code, const char **outcome);
void mm_state_free(struct x86_state *x);
int mm_state_copy(struct x86_state *dst, const struct x86_state *src);

#endif /* MMLAB_PGTABLE_H */
