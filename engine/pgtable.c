/*
 * pgtable.c - x86-64 page tables in simulated physical memory: table pages,
 * entries, the kernel's tables (init_top_pgt with the kernel image mapping and
 * the direct map), __pa()/__va(), and the self-check of everything paging.
 *
 * Kernel: arch/x86/mm/init.c (init_mem_mapping), arch/x86/mm/init_64.c
 * (kernel_physical_mapping_init, phys_pud_init, phys_pmd_init, phys_pte_init,
 * preallocate_vmalloc_pages), arch/x86/mm/pgtable.c (pgd_alloc),
 * arch/x86/kernel/head_64.S (init_top_pgt, level3/level2_kernel_pgt),
 * and __va() (__pa() is physaddr.c's).
 *
 * Ideas to hold:
 *  - A table is a 4 KiB frame with a slot; its 512 entries are kept in a
 *    host buffer whose slot is page->index, so every walk starts from a pfn
 *    (CR3 or an entry) and reads the next table through that frame.
 *  - Kernel tables come from three places, as on a real machine: static
 *    tables inside the kernel image (init_top_pgt, level3/level2_kernel_pgt,
 *    early_top_pgt and its dynamic tables), the memblock early page-table
 *    buffer reserved for the direct map (alloc_low_pages() before the buddy
 *    is up), and the buddy allocator (pagetable_alloc()) afterwards. The
 *    direct map of a "booted" machine is built from the memblock buffer, before
 *    the hand-over, exactly as on the power-on path, so both machines end up
 *    with the same frames; only buddy tables count as PageTables in meminfo.
 *
 * Design notes: the invariants that x86_check() verifies (numbered P1..P6).
 *  P1. Every registered table has page->index naming its slot and the slot
 *      naming its pfn; a table from the buddy is PGTY_table, one from the
 *      image, memblock or the trampoline is not; every PGTY_table page is a
 *      registered table.
 *  P2. A table page is owned by "pagetable" (buddy or memblock buffer), or is
 *      a static table of the kernel image ("kernel") or of the real-mode area
 *      ("reserved"); before the buddy hand-over every owner is "reserved".
 *  P3. A present non-leaf entry points at a registered table one level down.
 *  P4. Every present leaf maps frames whose owner allows it: a user (US)
 *      leaf maps a "user" frame, or the zero page read-only with the special
 *      bit; a vmalloc-range leaf a "vmalloc" frame; a direct-map leaf only
 *      RAM or the ISA range [0, 1 MiB); any other leaf never a hole or a
 *      free page.
 *  P5. Every process PGD holds the kernel half of init_top_pgt, entry for
 *      entry (pgd_alloc copies it; the vmalloc PUDs are preallocated).
 *  P6. Each process's table and RSS counters match a walk of its tree:
 *      MM_ANONPAGES counts its user frames, never the zero page.
 *  (The CPU and TLB invariants C1..C3 are at the top of mmu.c.)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "layout.h"
#include "pgtable.h"

#define KERNEL_IMAGE_BYTES	(32 * SZ_1M)	/* memblock.c reserves this much */
#define IMAGE_TABLE_PAGES	64		/* the image's room for static tables */
#define SZ_512G			(512ULL << 30)
#define ISA_END_ADDRESS		0x100000ULL	/* the end of the ISA range, 1 MiB */

/*** The table store ***/

static int pt_store_grow(struct pt_store *s)
{
	uint32_t cap = s->cap ? s->cap * 2 : 64;
	void *slots = realloc(s->slots, (size_t)cap * sizeof(*s->slots));

	if (!slots)
		return -ENOMEM;
	s->slots = slots;
	if (!(slots = realloc(s->slot_pfn, cap * sizeof(uint32_t))))
		return -ENOMEM;
	s->slot_pfn = slots;
	if (!(slots = realloc(s->slot_level, cap)))
		return -ENOMEM;
	s->slot_level = slots;
	if (!(slots = realloc(s->free_slots, cap * sizeof(uint32_t))))
		return -ENOMEM;
	s->free_slots = slots;
	s->cap = cap;
	return 0;
}

int pt_table_level(const struct machine *m, uint64_t table_pfn)
{
	return m->x86->pt.slot_level[m->mem_map[table_pfn].index];
}

/*
 * Give frame @pfn a zeroed slot (and PGTY_table when it came from the
 * buddy); a pgtable_alloc event.
 */
static int pt_table_register(struct machine *m, uint64_t pfn, int level, const char *what,
			     bool typed)
{
	struct pt_store *s = &m->x86->pt;
	struct page *p = &m->mem_map[pfn];
	uint32_t slot;
	int err;

	SIM_BUG_ON(pt_is_table(m, pfn) || p->owner == OWNER_HOLE);
	if (s->nr_free) {
		slot = s->free_slots[--s->nr_free];
	} else {
		if (s->nr == s->cap && (err = pt_store_grow(s)))
			return err;
		slot = s->nr++;
	}
	memset(s->slots[slot], 0, sizeof(s->slots[slot]));
	s->slot_pfn[slot] = (uint32_t)pfn;
	s->slot_level[slot] = (uint8_t)level;
	p->index = slot;
	if (typed)
		page_type_set(p, PGTY_table);
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_pgtable_alloc);
		ev.pfn = pfn;
		ev.paddr = PFN_PHYS(pfn);
		ev.level = level;
		ev.node = p->node;
		ev.zone = p->zone;
		ev.detail = what;
		emit(m, &ev);
	}
	return 0;
}

/* alloc_low_pages(): the next page of the memblock early page-table buffer. */
static int alloc_low_page(struct machine *m, uint64_t *pfn)
{
	struct x86_state *x = m->x86;
	int err;

	if (x->pgt_buf_end < x->pgt_buf_top) {
		*pfn = x->pgt_buf_end++;
		return 0;
	}
	if (x->pgt_extra_next < x->pgt_extra_top) {
		*pfn = x->pgt_extra_next++;
		return 0;
	}
	/* memblock.c sized the buffer for a 4-level direct map: more from memblock. */
	err = memblock_alloc_top_down(m, 1, 1, 0, OWNER_PAGETABLE, "early page tables", pfn);
	return err;
}

static int image_table_page(struct machine *m, uint64_t *pfn)
{
	struct x86_state *x = m->x86;

	if (x->image_tables_next >= x->kernel_pfn + x->kernel_pages)
		return -ENOMEM;
	*pfn = x->image_tables_next++;
	return 0;
}

/*
 * The decompressor's tables sit at the end of the buffer the kernel is
 * decompressed into (compressed/head_64.S copies itself there before
 * extract_kernel()): the top pages of the image area, taken downwards, clear
 * of the static tables that image_table_page() hands out upwards.
 */
static int decompressor_page(struct machine *m, uint64_t *pfn)
{
	struct x86_state *x = m->x86;
	uint64_t p;

	for (p = x->kernel_pfn + x->kernel_pages; p-- > x->image_tables_next;)
		if (!pt_is_table(m, p)) {
			*pfn = p;
			return 0;
		}
	return -ENOMEM;
}

/* A boot that starts again hands the image's static tables out again from the first. */
void pgtable_image_rewind(struct machine *m)
{
	struct x86_state *x = m->x86;

	SIM_BUG_ON(x->init_top_pgt);
	x->image_tables_next = x->kernel_pfn + x->kernel_pages - IMAGE_TABLE_PAGES;
}

/* The highest RAM page below the legacy hole that is not a table yet. */
static int realmode_page(struct machine *m, uint64_t *pfn)
{
	uint64_t p;

	for (p = 0x9e; p > 0; p--)
		if (memblock_is_memory(m, p) && !pt_is_table(m, p)) {
			*pfn = p;
			return 0;
		}
	return -ENOMEM;
}

/*
 * pgtable_alloc_table() - a zeroed table page for @level from @src.
 * Kernel: pagetable_alloc() / __pud_alloc_one() (buddy), alloc_low_page()
 * (memblock), or a static table of head_64.S.
 */
int pgtable_alloc_table(struct machine *m, int level, enum pt_source src, const char *what,
			uint64_t *pfn)
{
	struct alloc_pages_result res;
	int err;

	if (src == PT_FROM_AUTO)
		src = m->booted ? PT_FROM_BUDDY : PT_FROM_EARLY;
	if (src == PT_FROM_IMAGE) {
		err = image_table_page(m, pfn);
	} else if (src == PT_FROM_REALMODE) {
		err = realmode_page(m, pfn);
	} else if (src == PT_FROM_DECOMPRESSOR) {
		err = decompressor_page(m, pfn);
	} else if (src == PT_FROM_EARLY) {
		err = alloc_low_page(m, pfn);
	} else {
		err = __alloc_pages(m, GFP_KERNEL | __GFP_ZERO, 0, -1, 0, OWNER_PAGETABLE,
				    &res, NULL);
		*pfn = res.pfn;
	}
	if (err)
		return err;
	/*
	 * pagetable_alloc() + pagetable_pte_ctor() and the other
	 * constructors (include/asm-generic/pgalloc.h, __pagetable_ctor())
	 * type a buddy table PGTY_table; tables of the image, of memblock and
	 * of the real-mode trampoline never meet a constructor.
	 */
	err = pt_table_register(m, *pfn, level, what, src == PT_FROM_BUDDY);
	if (err && src == PT_FROM_BUDDY)
		__free_pages_owner(m, *pfn, 0, 0, OWNER_PAGETABLE, NULL);
	return err;
}

/* pagetable_free(): unregister a table; buddy pages go back to the buddy. */
void pgtable_free_table(struct machine *m, uint64_t pfn)
{
	struct pt_store *s = &m->x86->pt;
	struct page *p = &m->mem_map[pfn];
	int level = pt_table_level(m, pfn);

	(void)pt_table(m, pfn);
	s->slot_pfn[p->index] = PFN_NIL;
	s->free_slots[s->nr_free++] = p->index;
	p->index = 0;
	if (PageTable(p))
		page_type_clear(p, PGTY_table);	/* pagetable_dtor() */
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_pgtable_free);
		ev.pfn = pfn;
		ev.paddr = PFN_PHYS(pfn);
		ev.level = level;
		emit(m, &ev);
	}
	if (p->owner == OWNER_PAGETABLE && !page_test(p, PG_reserved))
		SIM_BUG_ON(__free_pages_owner(m, pfn, 0, 0, OWNER_PAGETABLE, NULL));
}

static void pte_event(struct machine *m, int type, uint64_t table, unsigned int index,
		      int level, uint64_t entry, uint64_t vaddr)
{
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.level = level;
	ev.pfn = pte_pfn(entry);
	ev.paddr = PFN_PHYS(table) + index * 8u;	/* where the entry lives */
	ev.vaddr = vaddr;
	ev.value = (int64_t)entry;
	ev.size = level > PT_PTE && (entry & _PAGE_PSE) ? 1ULL << pt_level_shift(level) :
		  PAGE_SIZE;
	emit(m, &ev);
}

/* set_pte()/set_pmd()/...: write one entry; a pte_set event. */
void pt_set_entry(struct machine *m, uint64_t table, unsigned int index, int level,
		  uint64_t entry, uint64_t vaddr)
{
	pt_entries(m, table)[index] = entry;
	if (events_on(m))
		pte_event(m, MM_EV_pte_set, table, index, level, entry, vaddr);
}

/* pte_clear()/pmd_clear()/...: a pte_clear event with the old entry. */
void pt_clear_entry(struct machine *m, uint64_t table, unsigned int index, int level,
		    uint64_t vaddr)
{
	uint64_t *e = pt_entries(m, table);
	uint64_t old = e[index];

	e[index] = 0;
	if (events_on(m))
		pte_event(m, MM_EV_pte_clear, table, index, level, old, vaddr);
}

/*
 * pt_walk() - the walk a CPU does, without touching anything: from @root
 * down to the leaf, gathering the rights of every level. -EFAULT when an
 * entry is not present (w->fault_level says which).
 */
int pt_walk(const struct machine *m, uint64_t root, uint64_t vaddr, struct pt_walk *w)
{
	uint64_t table = root;
	int level;

	/* step[] is read up to nr only: no need to clear it on every walk. */
	w->nr = 0;
	w->fault_level = 0;
	w->pfn = 0;
	w->page_shift = 0;
	w->prot = _PAGE_RW | _PAGE_USER;
	for (level = (int)pt_levels(m); level >= PT_PTE; level--) {
		unsigned int idx = pt_index(vaddr, level);
		uint64_t entry = pt_table(m, table)[idx];

		w->step[w->nr].level = level;
		w->step[w->nr].table = table;
		w->step[w->nr].index = idx;
		w->step[w->nr].entry = entry;
		w->nr++;
		if (!(entry & _PAGE_PRESENT)) {
			w->fault_level = level;
			return -EFAULT;
		}
		w->prot &= entry | ~(_PAGE_RW | _PAGE_USER);
		w->prot |= entry & _PAGE_NX;
		if (entry_is_leaf(entry, level)) {
			unsigned int shift = pt_level_shift(level);
			uint64_t off = (vaddr & ((1ULL << shift) - 1)) >> PAGE_SHIFT;

			w->page_shift = shift;
			w->pfn = pte_pfn(entry) + off;
			w->prot |= entry & (_PAGE_PRESENT | _PAGE_GLOBAL | _PAGE_DIRTY |
					    _PAGE_ACCESSED);
			return 0;
		}
		table = pte_pfn(entry);
	}
	SIM_BUG_ON(1);
	return -EFAULT;
}

/*
 * pt_walk_alloc() - the table of @level that maps @vaddr under @root,
 * allocating missing tables on the way (p4d_alloc, pud_alloc, pmd_alloc,
 * pte_alloc). @table_entry is the flags of the new upper entries.
 */
int pt_walk_alloc(struct machine *m, uint64_t root, uint64_t vaddr, int level,
		  uint64_t table_entry, enum pt_source src, uint64_t *table)
{
	static const char *const names[] = { "", "pte table", "pmd table", "pud table",
					      "p4d table", "pgd" };
	uint64_t t = root;
	int l;

	for (l = (int)pt_levels(m); l > level; l--) {
		unsigned int idx = pt_index(vaddr, l);
		uint64_t entry = pt_table(m, t)[idx], child;
		int err;

		if (entry & _PAGE_PRESENT) {
			if (entry_is_leaf(entry, l))
				return -EEXIST;
			t = pte_pfn(entry);
			continue;
		}
		err = pgtable_alloc_table(m, l - 1, src, names[l - 1], &child);
		if (err)
			return err;
		pt_set_entry(m, t, idx, l, PFN_PHYS(child) | table_entry,
			     vaddr & ~((1ULL << pt_level_shift(l)) - 1));
		t = child;
	}
	*table = t;
	return 0;
}

/* Free a whole subtree: the entries [first, last] of @table, then nothing else. */
void pgtable_free_tree(struct machine *m, uint64_t table, int level, unsigned int first,
		       unsigned int last)
{
	uint64_t *e = pt_entries(m, table);
	unsigned int i;

	if (level == PT_PTE)
		return;
	for (i = first; i <= last; i++) {
		uint64_t child = pte_pfn(e[i]);

		if (!(e[i] & _PAGE_PRESENT) || entry_is_leaf(e[i], level))
			continue;
		pgtable_free_tree(m, child, level - 1, 0, PTRS_PER_TABLE - 1);
		pgtable_free_table(m, child);
		e = pt_entries(m, table);
		e[i] = 0;
	}
}

/*** The kernel's tables ***/

/* The first PGD index of the kernel half (pgd_index(PAGE_OFFSET) rounded to half). */
unsigned int pgd_kernel_first(const struct machine *m)
{
	(void)m;
	return PTRS_PER_TABLE / 2;
}

int mm_vaddr_region(unsigned int levels, uint64_t max_pfn, uint64_t vaddr)
{
	return (int)vaddr_region(levels, max_pfn, vaddr);
}

const char *mm_region_name(int region)
{
	static const char *const names[NR_MM_REGIONS] = {
		"direct_map", "vmalloc", "kernel_image", "user", "other"
	};

	return region >= 0 && region < NR_MM_REGIONS ? names[region] : "?";
}

/*
 * pgtable_build_kernel_image_map() - the high kernel mapping of head_64.S:
 * pgd[511] -> (level4_kernel_pgt ->) level3_kernel_pgt, whose entry 510
 * points at level2_kernel_pgt, 2 MiB pages over the image only (what
 * cleanup_highmap() leaves). Text is read-only and executable, the rest NX.
 */
void pgtable_build_kernel_image_map(struct machine *m, uint64_t pgd)
{
	struct x86_state *x = m->x86;
	uint64_t l3, l2, vaddr, pa, text_end;
	unsigned int i;

	if (pt_levels(m) == 5) {
		uint64_t l4;

		SIM_BUG_ON(pgtable_alloc_table(m, PT_P4D, PT_FROM_IMAGE, "level4_kernel_pgt", &l4));
		pt_set_entry(m, pgd, PTRS_PER_TABLE - 1, PT_PGD5, PFN_PHYS(l4) | _PAGE_TABLE,
			     __START_KERNEL_map & ~((1ULL << 48) - 1));
		pgd = l4;
	}
	SIM_BUG_ON(pgtable_alloc_table(m, PT_PUD, PT_FROM_IMAGE, "level3_kernel_pgt", &l3));
	SIM_BUG_ON(pgtable_alloc_table(m, PT_PMD, PT_FROM_IMAGE, "level2_kernel_pgt", &l2));
	pt_set_entry(m, pgd, PTRS_PER_TABLE - 1, PT_P4D, PFN_PHYS(l3) | _PAGE_TABLE,
		     0xffffff8000000000ULL);
	pt_set_entry(m, l3, PTRS_PER_TABLE - 2, PT_PUD, PFN_PHYS(l2) | _PAGE_TABLE,
		     __START_KERNEL_map);
	pa = PFN_PHYS(x->kernel_pfn);
	text_end = pa + PFN_PHYS(x->kernel_pages) / 2;
	for (i = 0; i < PFN_PHYS(x->kernel_pages) / PMD_SIZE; i++, pa += PMD_SIZE) {
		uint64_t prot = pa < text_end ? PAGE_KERNEL_ROX : PAGE_KERNEL;

		vaddr = __START_KERNEL_map + pa;
		pt_set_entry(m, l2, pt_index(vaddr, PT_PMD), PT_PMD, pa | prot | _PAGE_PSE, vaddr);
	}
}

/*
 * Is @pfn in the direct map? All RAM, and the whole ISA range [0, 1 MiB)
 * with its legacy hole and BIOS areas: init_mem_mapping() maps it first,
 * with init_memory_mapping(0, ISA_END_ADDRESS, PAGE_KERNEL), whatever the
 * e820 map says. Kernel: arch/x86/mm/init.c.
 */
static bool direct_mapped(const struct machine *m, uint64_t pfn)
{
	return pfn < (ISA_END_ADDRESS >> PAGE_SHIFT) || memblock_is_memory(m, pfn);
}

/* phys_pte_init(): 4 KiB entries for the mapped pages of one partial 2 MiB. */
static int phys_pte_init(struct machine *m, uint64_t pmd_table, uint64_t pfn2m)
{
	uint64_t po = layout_page_offset(pt_levels(m)), pte, pfn;
	int err;

	err = pgtable_alloc_table(m, PT_PTE, PT_FROM_EARLY, "pte table (direct map)", &pte);
	if (err)
		return err;
	pt_set_entry(m, pmd_table, pt_index(po + PFN_PHYS(pfn2m), PT_PMD), PT_PMD,
		     PFN_PHYS(pte) | _KERNPG_TABLE, po + PFN_PHYS(pfn2m));
	for (pfn = pfn2m; pfn < pfn2m + (PMD_SIZE >> PAGE_SHIFT) && pfn < m->max_pfn; pfn++)
		if (direct_mapped(m, pfn))
			pt_set_entry(m, pte, pt_index(po + PFN_PHYS(pfn), PT_PTE), PT_PTE,
				     PFN_PHYS(pfn) | PAGE_KERNEL, po + PFN_PHYS(pfn));
	return 0;
}

/* phys_pmd_init(): 2 MiB pages where a whole 2 MiB is RAM, PTE tables at the edges. */
static int phys_pmd_init(struct machine *m, uint64_t pud_table, uint64_t pfn1g)
{
	const uint64_t step = PMD_SIZE >> PAGE_SHIFT;
	uint64_t po = layout_page_offset(pt_levels(m)), pmd, p;
	int err;

	err = pgtable_alloc_table(m, PT_PMD, PT_FROM_EARLY, "pmd table (direct map)", &pmd);
	if (err)
		return err;
	pt_set_entry(m, pud_table, pt_index(po + PFN_PHYS(pfn1g), PT_PUD), PT_PUD,
		     PFN_PHYS(pmd) | _KERNPG_TABLE, po + PFN_PHYS(pfn1g));
	for (p = pfn1g; p < pfn1g + (PUD_SIZE >> PAGE_SHIFT) && p < m->max_pfn; p += step) {
		uint64_t ram = memblock_memory_pages_in(m, p, p + step);

		if (ram == step)
			pt_set_entry(m, pmd, pt_index(po + PFN_PHYS(p), PT_PMD), PT_PMD,
				     PFN_PHYS(p) | PAGE_KERNEL_LARGE, po + PFN_PHYS(p));
		else if (ram && (err = phys_pte_init(m, pmd, p)))
			return err;
	}
	return 0;
}

/*
 * pgtable_build_direct_map() - kernel_physical_mapping_init() over all RAM
 * into init_top_pgt: 1 GiB pages where a whole aligned GiB is RAM and the
 * CPU has gbpages, else 2 MiB, 4 KiB at the edges, holes left unmapped. The
 * tables come from the memblock early page-table buffer.
 */
int pgtable_build_direct_map(struct machine *m)
{
	const uint64_t gb = PUD_SIZE >> PAGE_SHIFT;
	uint64_t po = layout_page_offset(pt_levels(m)), g, pud = 0;
	int err;

	for (g = 0; g < m->max_pfn; g += gb) {
		uint64_t ram = memblock_memory_pages_in(m, g, g + gb), vaddr = po + PFN_PHYS(g);

		if (!ram)
			continue;
		if (!pud || PFN_PHYS(g) % SZ_512G == 0 || pt_levels(m) == 5) {
			err = pt_walk_alloc(m, m->x86->init_top_pgt, vaddr, PT_PUD, _KERNPG_TABLE,
					    PT_FROM_EARLY, &pud);
			if (err)
				return err;
		}
		if (ram == gb && m->cfg.gbpages)
			pt_set_entry(m, pud, pt_index(vaddr, PT_PUD), PT_PUD,
				     PFN_PHYS(g) | PAGE_KERNEL_LARGE, vaddr);
		else if ((err = phys_pmd_init(m, pud, g)))
			return err;
	}
	return 0;
}

/*
 * preallocate_vmalloc_pages() - the tables one level below the PGD for the
 * whole vmalloc range, so that the kernel half of every PGD never changes
 * after a process copied it. Kernel: arch/x86/mm/init_64.c.
 */
int preallocate_vmalloc_pages(struct machine *m)
{
	unsigned int levels = pt_levels(m), shift = levels == 5 ? PGDIR_SHIFT_L5 : PGDIR_SHIFT_L4;
	uint64_t a, end = layout_vmalloc_end(levels), table, nr, pfn;
	struct x86_state *x = m->x86;
	int err;

	/*
	 * The kernel does this from the buddy in mem_init(); here the pages come
	 * from memblock just before the hand-over, so that a booted machine's
	 * buddy allocator starts with every managed page free.
	 */
	nr = ((end >> shift) - (layout_vmalloc_start(levels) >> shift)) + 1;
	err = memblock_alloc_top_down(m, nr, 1, 0, OWNER_PAGETABLE,
				      "vmalloc page tables (preallocate_vmalloc_pages)", &pfn);
	if (err)
		return err;
	x->pgt_extra_next = pfn;
	x->pgt_extra_top = pfn + nr;

	for (a = layout_vmalloc_start(levels); a <= end && a >= layout_vmalloc_start(levels);
	     a += 1ULL << shift) {
		err = pt_walk_alloc(m, m->x86->init_top_pgt, a, (int)levels - 1, _KERNPG_TABLE,
				    PT_FROM_EARLY, &table);
		if (err)
			return err;
	}
	return 0;
}

/*** The interface for the kernel allocators ***/

static bool kernel_half(const struct machine *m, uint64_t vaddr)
{
	return layout_canonical(vaddr, pt_levels(m)) && (vaddr >> 63);
}

int pgtable_kernel_map(struct machine *m, uint64_t vaddr, uint64_t pfn, uint64_t prot)
{
	uint64_t pte;
	unsigned int idx;
	int err;

	if (!kernel_half(m, vaddr) || (vaddr & (PAGE_SIZE - 1)) || pfn >= m->max_pfn)
		return -EINVAL;
	err = pt_walk_alloc(m, m->x86->init_top_pgt, vaddr, PT_PTE, _KERNPG_TABLE,
			    PT_FROM_AUTO, &pte);
	if (err)
		return err;
	idx = pt_index(vaddr, PT_PTE);
	if (pt_table(m, pte)[idx] & _PAGE_PRESENT)
		return -EEXIST;
	pt_set_entry(m, pte, idx, PT_PTE, PFN_PHYS(pfn) | (prot & PTE_FLAGS_MASK), vaddr);
	return 0;
}

int pgtable_kernel_unmap(struct machine *m, uint64_t vaddr, uint64_t *pfn)
{
	struct pt_walk w;

	if (!kernel_half(m, vaddr))
		return -EINVAL;
	if (pt_walk(m, m->x86->init_top_pgt, vaddr, &w) || w.page_shift != PAGE_SHIFT)
		return -EFAULT;
	if (pfn)
		*pfn = w.pfn;
	pt_clear_entry(m, w.step[w.nr - 1].table, w.step[w.nr - 1].index, PT_PTE,
		       vaddr & ~(PAGE_SIZE - 1));
	return 0;
}

int pgtable_kernel_lookup(const struct machine *m, uint64_t vaddr, uint64_t *pfn,
			  unsigned int *page_shift)
{
	struct pt_walk w;

	if (!m->x86->init_top_pgt || !layout_canonical(vaddr, pt_levels(m)) ||
	    pt_walk(m, m->x86->init_top_pgt, vaddr, &w))
		return -EFAULT;
	if (pfn)
		*pfn = w.pfn;
	if (page_shift)
		*page_shift = w.page_shift;
	return 0;
}

/*** __pa() and __va() ***/

/* __pa() is in physaddr.c. */

int mm_phys_to_virt(const struct machine *m, uint64_t paddr, uint64_t *vaddr,
		    struct mm_error *e)
{
	if (PHYS_PFN(paddr) >= m->max_pfn)
		return mm_error_set(e, -ERANGE, "physical address 0x%" PRIx64
				    " is beyond the machine (max 0x%" PRIx64 ")", paddr,
				    PFN_PHYS(m->max_pfn) - 1);
	*vaddr = paddr + layout_page_offset(pt_levels(m));
	return 0;
}

/*** Views' helpers ***/

/* The entry's flags as ptdump prints them, in order. */
void pt_flags_text(uint64_t entry, int level, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s%s%s%s%s",
		 entry & _PAGE_PRESENT ? "P " : "",
		 entry & _PAGE_RW ? "RW " : "ro ",
		 entry & _PAGE_USER ? "USR " : "",
		 entry & _PAGE_PWT ? "PWT " : "",
		 entry & _PAGE_PCD ? "PCD " : "",
		 entry & _PAGE_ACCESSED ? "A " : "",
		 entry & _PAGE_DIRTY ? "D " : "",
		 level > PT_PTE && (entry & _PAGE_PSE) ? "PSE " : "",
		 entry & _PAGE_GLOBAL ? "GLB " : "",
		 entry & _PAGE_NX ? "NX" : "x");
}

/*
 * The direct map's 4 KiB, 2 MiB and 1 GiB mappings in kB, counted from the
 * tables themselves (the kernel keeps direct_pages_count[] as it maps).
 */
void pgtable_direct_map_kb(const struct machine *m, uint64_t kb[3])
{
	uint64_t po = layout_page_offset(m->cfg.paging_levels), pfn = 0;
	struct pt_walk w;

	kb[0] = kb[1] = kb[2] = 0;
	if (!m->x86 || !m->x86->init_top_pgt || m->x86->boot_stage < BOOT_DIRECT_MAP)
		return;
	while (pfn < m->max_pfn) {
		uint64_t size = PAGE_SIZE;

		if (pt_walk(m, m->x86->init_top_pgt, po + PFN_PHYS(pfn), &w) == 0) {
			size = 1ULL << w.page_shift;
			kb[w.page_shift == PAGE_SHIFT ? 0 : w.page_shift == PMD_SHIFT ? 1 : 2] +=
				size >> 10;
		} else if (w.fault_level > PT_PTE) {
			size = 1ULL << pt_level_shift(w.fault_level);
		}
		pfn = (PFN_PHYS(pfn) & ~(size - 1)) + size;
		pfn >>= PAGE_SHIFT;
	}
}

/*** Machine state: allocation, clone, release ***/

uint64_t x86_prng_next(struct machine *m)
{
	/* splitmix64: small, seedable and the same on every host */
	uint64_t z = (m->x86->prng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Where the image and the early page-table buffer are, from memblock. */
static void find_boot_regions(struct machine *m, struct x86_state *x)
{
	const struct memblock_type *t = &m->memblock.reserved;
	unsigned long i;

	for (i = 0; i < t->cnt; i++) {
		const struct memblock_region *r = &t->regions[i];

		if (r->owner == OWNER_KERNEL && !x->kernel_pages) {
			x->kernel_pfn = r->base;
			x->kernel_pages = r->size;
		} else if (r->owner == OWNER_PAGETABLE && !x->pgt_buf_top) {
			x->pgt_buf_start = x->pgt_buf_end = r->base;
			x->pgt_buf_top = r->base + r->size;
		}
	}
	x->phys_base = PFN_PHYS(x->kernel_pfn) - PHYSICAL_START;
	x->image_tables_next = x->kernel_pfn + x->kernel_pages - IMAGE_TABLE_PAGES;
}

/*
 * my_zero_pfn(): the frame of empty_zero_page, a page of the kernel image's
 * .bss (arch/x86/kernel/head_64.S; ZERO_PAGE() in
 * arch/x86/include/asm/pgtable.h). Here it is the image page just below
 * the static tables. Reserved, never freed, never counted.
 */
uint64_t zero_pfn(const struct machine *m)
{
	const struct x86_state *x = m->x86;

	if (!x->kernel_pages)
		return PFN_NIL;
	return x->kernel_pfn + x->kernel_pages - IMAGE_TABLE_PAGES - 1;
}

int x86_state_alloc(struct machine *m)
{
	struct x86_state *x = calloc(1, sizeof(*x));
	unsigned int cpu;

	if (!x)
		return -ENOMEM;
	m->x86 = x;
	x->levels = m->cfg.paging_levels;
	x->next_pid = 1;
	x->prng = m->cfg.seed;
	x->cpus = calloc(m->nr_cpus, sizeof(*x->cpus));
	if (!x->cpus)
		return -ENOMEM;
	for (cpu = 0; cpu < m->nr_cpus; cpu++)
		if (tlb_init_cpu(m, &x->cpus[cpu]))
			return -ENOMEM;
	find_boot_regions(m, x);
	(void)KERNEL_IMAGE_BYTES;
	return 0;
}

void x86_state_destroy(struct machine *m)
{
	struct x86_state *x = m->x86;
	unsigned int cpu, a;

	if (!x)
		return;
	for (cpu = 0; x->cpus && cpu < m->nr_cpus; cpu++)
		for (a = 0; a < NR_TLB_ARRAYS; a++)
			free(x->cpus[cpu].tlb[a].tag);
	free(x->cpus);
	free(x->pt.slots);
	free(x->pt.slot_pfn);
	free(x->pt.slot_level);
	free(x->pt.free_slots);
	mm_state_free(x);
	free(x);
	m->x86 = NULL;
}

static void *dup_mem(const void *src, size_t n)
{
	void *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, src, n);
	return d;
}

/* A deep copy of the table store, the CPUs with their TLBs and the processes. */
int x86_state_clone(struct machine *c, const struct machine *m)
{
	const struct x86_state *x = m->x86;
	struct x86_state *y;
	unsigned int cpu, a;

	c->x86 = NULL;
	if (!x)
		return 0;
	y = malloc(sizeof(*y));
	if (!y)
		return -ENOMEM;
	*y = *x;
	memset(&y->pt, 0, sizeof(y->pt));
	y->cpus = NULL;
	y->mms = NULL;
	y->nr_mms = y->cap_mms = 0;
	c->x86 = y;
	y->pt = x->pt;
	y->pt.slots = dup_mem(x->pt.slots, (size_t)x->pt.cap * sizeof(*x->pt.slots));
	y->pt.slot_pfn = dup_mem(x->pt.slot_pfn, x->pt.cap * sizeof(uint32_t));
	y->pt.slot_level = dup_mem(x->pt.slot_level, x->pt.cap);
	y->pt.free_slots = dup_mem(x->pt.free_slots, x->pt.cap * sizeof(uint32_t));
	y->cpus = calloc(m->nr_cpus, sizeof(*y->cpus));
	if (!y->pt.slots || !y->pt.slot_pfn || !y->pt.slot_level || !y->pt.free_slots ||
	    !y->cpus)
		return -ENOMEM;
	for (cpu = 0; cpu < m->nr_cpus; cpu++) {
		y->cpus[cpu] = x->cpus[cpu];
		for (a = 0; a < NR_TLB_ARRAYS; a++)
			y->cpus[cpu].tlb[a].tag = NULL;
		for (a = 0; a < NR_TLB_ARRAYS; a++) {
			const struct tlb_array *t = &x->cpus[cpu].tlb[a];

			y->cpus[cpu].tlb[a].tag = dup_mem(t->tag, tlb_array_bytes(t));
			if (!y->cpus[cpu].tlb[a].tag)
				return -ENOMEM;
			tlb_array_bind(&y->cpus[cpu].tlb[a]);
		}
	}
	return mm_state_copy(y, x);
}

/* The snapshot share of machine->x86: the same arrays x86_state_clone() copies. */
void x86_state_save(struct snap_writer *w, const struct machine *m)
{
	const struct x86_state *x = m->x86;
	const struct pt_store *pt;

	snap_put_struct(w, x, sizeof(*x));
	if (!x)
		return;
	pt = &x->pt;
	snap_put_array(w, pt->slots, (size_t)pt->nr * sizeof(*pt->slots));
	snap_put_array(w, pt->slot_pfn, pt->nr * sizeof(uint32_t));
	snap_put_array(w, pt->slot_level, pt->nr);
	snap_put_array(w, pt->free_slots, pt->nr_free * sizeof(uint32_t));
	snap_put_array(w, x->cpus, m->nr_cpus * sizeof(*x->cpus));
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		for (unsigned int a = 0; a < NR_TLB_ARRAYS; a++) {
			const struct tlb_array *t = &x->cpus[cpu].tlb[a];

			snap_put_array(w, t->tag, tlb_array_bytes(t));
		}
	snap_put_array(w, x->mms, x->nr_mms * sizeof(*x->mms));
	for (unsigned int i = 0; i < x->nr_mms; i++)
		snap_put_array(w, x->mms[i].vmas, x->mms[i].nr_vmas * sizeof(*x->mms[i].vmas));
}

void x86_state_load(struct snap_reader *r, struct machine *m)
{
	struct x86_state *y = snap_get_struct(r, sizeof(*y));
	struct pt_store *pt;
	unsigned int nr_mms;

	if (!y)
		return;
	pt = &y->pt;
	pt->slots = NULL;
	pt->slot_pfn = NULL;
	pt->slot_level = NULL;
	pt->free_slots = NULL;
	y->cpus = NULL;
	y->mms = NULL;
	nr_mms = y->nr_mms;
	y->nr_mms = 0;
	m->x86 = y;
	if (pt->nr > pt->cap || pt->nr_free > pt->cap || nr_mms > y->cap_mms) {
		r->err = -EPROTO;
		return;
	}
	pt->slots = snap_get_array(r, (size_t)pt->cap * sizeof(*pt->slots));
	pt->slot_pfn = snap_get_array(r, pt->cap * sizeof(uint32_t));
	pt->slot_level = snap_get_array(r, pt->cap);
	pt->free_slots = snap_get_array(r, pt->cap * sizeof(uint32_t));
	y->cpus = snap_get_array(r, m->nr_cpus * sizeof(*y->cpus));
	if (!r->err && (!pt->slots || !pt->slot_pfn || !pt->slot_level || !pt->free_slots ||
			!y->cpus))
		r->err = -EPROTO;
	if (r->err) {
		free(y->cpus);		/* its TLB pointers are the saver's */
		y->cpus = NULL;
		return;
	}
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++) {
		memset(&y->cpus[cpu].memo, 0, sizeof(y->cpus[cpu].memo));	/* not checked */
		for (unsigned int a = 0; a < NR_TLB_ARRAYS; a++)
			y->cpus[cpu].tlb[a].tag = NULL;
	}
	for (unsigned int cpu = 0; cpu < m->nr_cpus && !r->err; cpu++)
		for (unsigned int a = 0; a < NR_TLB_ARRAYS && !r->err; a++) {
			struct tlb_array *t = &y->cpus[cpu].tlb[a];

			t->tag = snap_get_array(r, tlb_array_bytes(t));
			if (!r->err && !t->tag)
				r->err = -EPROTO;
			if (t->tag)
				tlb_array_bind(t);
		}
	if (r->err)
		return;
	y->mms = snap_get_array(r, (y->cap_mms ? y->cap_mms : 1) * sizeof(*y->mms));
	if (!r->err && !y->mms)
		r->err = -EPROTO;
	if (r->err)
		return;
	for (unsigned int i = 0; i < nr_mms; i++)
		y->mms[i].vmas = NULL;
	for (unsigned int i = 0; i < nr_mms && !r->err; i++) {
		struct mm_struct *mm = &y->mms[i];

		mm->vmas = snap_get_array(r, (mm->cap_vmas ? mm->cap_vmas : 1) * sizeof(*mm->vmas));
		y->nr_mms = i + 1;
		if (!r->err && (!mm->vmas || mm->nr_vmas > mm->cap_vmas))
			r->err = -EPROTO;
	}
}

/*** Self-check (P1..P6) ***/

struct pt_checker {
	const struct machine *m;
	mm_violation_fn fn;
	void *ctx;
	unsigned long count;
	uint64_t *tables_seen;		/* per process: table pages found */
	uint64_t user_pages[2];		/* anonymous, page cache */
};

static void pt_violation(struct pt_checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pt_violation(struct pt_checker *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c->count += mm_vreport(c->fn, c->ctx, fmt, ap);
	va_end(ap);
}

/* P1 and P2 for every slot and every PGTY_table page. */
static void check_table_pages(struct pt_checker *c)
{
	const struct machine *m = c->m;
	const struct pt_store *s = &m->x86->pt;
	uint64_t pfn;
	uint32_t slot;

	for (slot = 0; slot < s->nr; slot++) {
		const struct page *p;

		pfn = s->slot_pfn[slot];
		if (pfn == PFN_NIL)
			continue;
		p = &m->mem_map[pfn];
		if (p->index != slot)
			pt_violation(c, "P1: table slot %u names pfn 0x%" PRIx64
				     " which has index %u", slot, pfn, p->index);
		if (PageTable(p) != (p->owner == OWNER_PAGETABLE && !page_test(p, PG_reserved)))
			pt_violation(c, "P1: table pfn 0x%" PRIx64 " (%s%s) is%s PGTY_table", pfn,
				     page_owner_name(p->owner),
				     page_test(p, PG_reserved) ? ", reserved" : "",
				     PageTable(p) ? "" : " not");
		if (p->owner != OWNER_PAGETABLE && p->owner != OWNER_KERNEL &&
		    p->owner != OWNER_RESERVED)
			pt_violation(c, "P2: table pfn 0x%" PRIx64 " is owned by %s", pfn,
				     page_owner_name(p->owner));
		if (m->booted && p->owner == OWNER_RESERVED && pfn >= (SZ_1M >> PAGE_SHIFT))
			pt_violation(c, "P2: table pfn 0x%" PRIx64 " is reserved after boot", pfn);
	}
	for (pfn = 0; pfn < m->max_pfn; pfn++)
		if (PageTable(&m->mem_map[pfn]) && !pt_is_table(m, pfn))
			pt_violation(c, "P1: pfn 0x%" PRIx64 " is PGTY_table but no registered table",
				     pfn);
}

/* P4 for one leaf. */
static void check_leaf(struct pt_checker *c, uint64_t vaddr, uint64_t entry,
		       unsigned int shift)
{
	const struct machine *m = c->m;
	uint64_t pfn = pte_pfn(entry), n = 1ULL << (shift - PAGE_SHIFT), i;
	int region = mm_region_of(m, vaddr);

	if (pfn + n > m->max_pfn) {
		pt_violation(c, "P4: %016" PRIx64 " maps pfn 0x%" PRIx64 " beyond the machine",
			     vaddr, pfn);
		return;
	}
	if (region == REGION_DIRECT_MAP) {
		if (pfn + n > (ISA_END_ADDRESS >> PAGE_SHIFT) &&
		    memblock_memory_pages_in(m, pfn, pfn + n) != n)
			pt_violation(c, "P4: direct map %016" PRIx64 " maps a hole", vaddr);
		return;
	}
	if ((entry & _PAGE_USER) && pfn == zero_pfn(m)) {
		/* do_anonymous_page()'s read mapping: special, never writable. */
		if (shift != PAGE_SHIFT || (entry & _PAGE_RW) || !(entry & _PAGE_SPECIAL))
			pt_violation(c, "P4: %016" PRIx64 " maps the zero page as %016" PRIx64
				     " (want a read-only special PTE)", vaddr, entry);
		return;
	}
	if (entry & _PAGE_SPECIAL)
		pt_violation(c, "P4: %016" PRIx64 " is special but maps pfn 0x%" PRIx64
			     ", not the zero page", vaddr, pfn);
	for (i = 0; i < n; i++) {
		int owner = m->mem_map[pfn + i].owner;
		bool ok;

		if (entry & _PAGE_USER)
			ok = owner == OWNER_USER || owner == OWNER_PAGECACHE;
		else if (region == REGION_VMALLOC)
			ok = owner == OWNER_VMALLOC;
		else
			ok = owner != OWNER_HOLE && owner != OWNER_FREE && owner != OWNER_PCP;
		if (!ok) {
			pt_violation(c, "P4: %016" PRIx64 " maps pfn 0x%" PRIx64 " owned by %s",
				     vaddr + PFN_PHYS(i), pfn + i, page_owner_name(owner));
			return;
		}
		if (entry & _PAGE_USER)
			c->user_pages[owner == OWNER_PAGECACHE]++;
	}
}

/* P3 and P4 over a tree; returns the tables it holds (itself included). */
static uint64_t check_tree(struct pt_checker *c, uint64_t table, int level, uint64_t base,
			   unsigned int first, unsigned int last)
{
	const struct machine *m = c->m;
	const uint64_t *e = pt_table(m, table);
	uint64_t tables = 1;
	unsigned int i;

	for (i = first; i <= last; i++) {
		uint64_t vaddr = base + ((uint64_t)i << pt_level_shift(level)), child;

		if (level == (int)pt_levels(m) && i >= PTRS_PER_TABLE / 2)
			vaddr |= pt_levels(m) == 5 ? 0xff00000000000000ULL : 0xffff000000000000ULL;
		if (!(e[i] & _PAGE_PRESENT))
			continue;
		if (entry_is_leaf(e[i], level)) {
			check_leaf(c, vaddr, e[i], pt_level_shift(level));
			continue;
		}
		child = pte_pfn(e[i]);
		if (!pt_is_table(m, child) || pt_table_level(m, child) != level - 1) {
			pt_violation(c, "P3: level %d entry %u of table 0x%" PRIx64
				     " points at pfn 0x%" PRIx64 ", not a level %d table",
				     level, i, table, child, level - 1);
			continue;
		}
		tables += check_tree(c, child, level - 1, vaddr, 0, PTRS_PER_TABLE - 1);
	}
	return tables;
}

static void check_processes(struct pt_checker *c)
{
	const struct machine *m = c->m;
	const struct x86_state *x = m->x86;
	unsigned int i, k, half = pgd_kernel_first(m);

	for (i = 0; i < x->nr_mms; i++) {
		const struct mm_struct *mm = &x->mms[i];
		const uint64_t *pgd = pt_table(m, mm->pgd), *kpgd = pt_table(m, x->init_top_pgt);
		uint64_t tables;

		for (k = half; k < PTRS_PER_TABLE; k++)
			if (pgd[k] != kpgd[k]) {
				pt_violation(c, "P5: pid %d pgd[%u] is %016" PRIx64
					     ", init_top_pgt has %016" PRIx64, mm->pid, k, pgd[k],
					     kpgd[k]);
				break;
			}
		c->user_pages[0] = c->user_pages[1] = 0;
		tables = check_tree(c, mm->pgd, (int)pt_levels(m), 0, 0, half - 1);
		if (tables != mm->pgtables_pages || c->user_pages[0] != mm->rss_stat[MM_ANONPAGES] ||
		    c->user_pages[1] != mm->rss_stat[MM_FILEPAGES] || mm->rss_stat[MM_SHMEMPAGES])
			pt_violation(c, "P6: pid %d has %" PRIu64 " tables, %" PRIu64 " anonymous and %"
				     PRIu64 " file pages, its counters say %" PRIu64 ", MM_ANONPAGES %"
				     PRIu64 " and MM_FILEPAGES %" PRIu64, mm->pid, tables,
				     c->user_pages[0], c->user_pages[1], mm->pgtables_pages,
				     mm->rss_stat[MM_ANONPAGES], mm->rss_stat[MM_FILEPAGES]);
	}
}

unsigned long pgtable_check(const struct machine *m, mm_violation_fn fn, void *ctx)
{
	struct pt_checker c = { m, fn, ctx, 0, NULL, { 0, 0 } };
	const struct x86_state *x = m->x86;

	check_table_pages(&c);
	if (x->init_top_pgt)
		check_tree(&c, x->init_top_pgt, (int)pt_levels(m), 0, 0, PTRS_PER_TABLE - 1);
	if (x->early_top_pgt)
		check_tree(&c, x->early_top_pgt, (int)pt_levels(m), 0, 0, PTRS_PER_TABLE - 1);
	if (x->boot_pgt)
		check_tree(&c, x->boot_pgt, (int)pt_levels(m), 0, 0, PTRS_PER_TABLE - 1);
	check_processes(&c);
	return c.count;
}

unsigned long x86_check(const struct machine *m, mm_violation_fn fn, void *ctx)
{
	if (!m->x86)
		return 0;
	return pgtable_check(m, fn, ctx) + mmu_check(m, fn, ctx);
}
