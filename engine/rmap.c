/*
 * rmap.c - the reverse map: from a page to every PTE that maps it.
 *
 * Kernel: mm/rmap.c (anon_vma_prepare, anon_vma_fork, rmap_walk_anon,
 * rmap_walk_file, folio_referenced, try_to_unmap_one), include/linux/rmap.h,
 * mm/internal.h (vma_address), include/linux/pagemap.h (linear_page_index).
 *
 * Ideas to hold:
 *  - An anonymous page points at an anon_vma (page->folio.mapping with the
 *    FOLIO_MAPPING_ANON bit). A VMA with anonymous pages has an anon_vma of
 *    its own; fork gives the child's VMA a new anon_vma whose parent is the
 *    parent VMA's (anon_vma_fork()), and the child's VMA is chained to every
 *    anon_vma up that line (anon_vma_clone() copies the parent's chain). The
 *    walk of a page whose anon_vma is A visits every VMA whose chain holds
 *    A, at the address its index gives there (vma_address()).
 *  - The engine keeps a VMA's chain as one id, its own anon_vma: the chain
 *    is that anon_vma and its parents, as anon_vma_clone() would have linked
 *    them (the kernel's reuse of an idle anon_vma is not modelled).
 *  - A file page is found through its file: every VMA whose vm_file is the
 *    file and whose range of offsets holds the page's index (the i_mmap
 *    interval tree).
 *  - An anon_vma lives while a VMA or a page points at it (its refcount).
 */
#include <errno.h>
#include <string.h>

#include "lru.h"
#include "pgtable.h"

/*** anon_vma ids ***/

static struct anon_vma *av(const struct machine *m, uint32_t id)
{
	SIM_BUG_ON(!id || id >= m->anon_vmas->nr);
	return &m->anon_vmas->v[id];
}

/*
 * anon_vma_alloc(): a new anon_vma, a root when @parent is 0, else a child
 * of @parent that holds a reference on it (anon_vma_fork()).
 */
int anon_vma_alloc(struct machine *m, uint32_t parent, uint32_t *id)
{
	struct anon_vma_table *t = m->anon_vmas;
	uint32_t n;

	if (t->nr_free) {
		n = t->free_ids[--t->nr_free];
	} else {
		if (!t->nr)
			t->nr = 1;		/* id 0 means "none" */
		if (t->nr >= t->cap) {
			uint32_t cap = t->cap ? t->cap * 2 : 64;
			struct anon_vma *v = realloc(t->v, cap * sizeof(*v));
			uint32_t *f = realloc(t->free_ids, cap * sizeof(*f));

			if (v)
				t->v = v;
			if (f)
				t->free_ids = f;
			if (!v || !f)
				return -ENOMEM;
			memset(t->v + t->cap, 0, (cap - t->cap) * sizeof(*v));
			t->cap = cap;
		}
		n = t->nr++;
	}
	t->v[n] = (struct anon_vma){ .root = n, .parent = n };
	if (parent) {
		t->v[n].root = av(m, parent)->root;
		t->v[n].parent = parent;
		av(m, parent)->num_children++;
		get_anon_vma(m, parent);
	}
	*id = n;
	return 0;
}

void get_anon_vma(struct machine *m, uint32_t id)
{
	av(m, id)->refcount++;
}

/* put_anon_vma(): the last reference frees it and drops its parent's. */
void put_anon_vma(struct machine *m, uint32_t id)
{
	struct anon_vma *a = av(m, id);
	uint32_t parent = a->parent;

	SIM_BUG_ON(!a->refcount);
	if (--a->refcount)
		return;
	SIM_BUG_ON(a->num_children);
	*a = (struct anon_vma){ 0 };
	m->anon_vmas->free_ids[m->anon_vmas->nr_free++] = id;
	if (parent != id) {
		av(m, parent)->num_children--;
		put_anon_vma(m, parent);
	}
}

bool anon_vma_chained(const struct machine *m, uint32_t id, uint32_t ancestor)
{
	while (id) {
		const struct anon_vma *a = &m->anon_vmas->v[id];

		if (id == ancestor)
			return true;
		if (a->parent == id)
			return false;
		id = a->parent;
	}
	return false;
}

/*** The walk ***/

/*
 * The PTE table and index that map @vaddr in @mm's tables, if the tables
 * reach down to a PTE table. -ENOENT otherwise.
 */
static int pte_of(const struct machine *m, const struct mm_struct *mm, uint64_t vaddr,
		  uint64_t *table)
{
	uint64_t t = mm->pgd;
	int level;

	for (level = (int)pt_levels(m); level > PT_PTE; level--) {
		uint64_t e = pt_table(m, t)[pt_index(vaddr, level)];

		if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE))
			return -ENOENT;
		t = pte_pfn(e);
	}
	*table = t;
	return 0;
}

/* vma_address(): where page @index of the VMA's object sits, or 0 if outside. */
static uint64_t vma_address(const struct vm_area_struct *vma, uint64_t index)
{
	uint64_t npages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;

	if (index < vma->vm_pgoff || index - vma->vm_pgoff >= npages)
		return 0;
	return vma->vm_start + ((index - vma->vm_pgoff) << PAGE_SHIFT);
}

/* Could this VMA map the page (rmap_walk_anon()'s chain, rmap_walk_file()'s i_mmap)? */
static bool vma_may_map(const struct machine *m, const struct vm_area_struct *vma,
			const struct page *p)
{
	if (folio_test_anon(p))
		return vma->anon_vma &&
		       anon_vma_chained(m, vma->anon_vma, (uint32_t)folio_anon_vma_id(p));
	return vma->vm_file && vma->vm_file == (uint32_t)folio_file_id(p) + 1;
}

/* Where a VMA maps its object's page 0 (an address that may lie outside it, or wrap). */
static uint64_t vma_offset(const struct vm_area_struct *vma)
{
	return vma->vm_start - (vma->vm_pgoff << PAGE_SHIFT);
}

/* The offsets of @mm's VMAs found again, when the VMAs changed since. */
static void rmap_offsets_update(struct mm_struct *mm)
{
	if (mm->rmap_offsets_valid)
		return;
	mm->nr_rmap_offsets = 0;
	for (unsigned int k = 0; k < mm->nr_vmas && mm->nr_rmap_offsets <= RMAP_OFFSETS_MAX; k++) {
		uint64_t off = vma_offset(&mm->vmas[k]);
		unsigned int j;

		for (j = 0; j < mm->nr_rmap_offsets && mm->rmap_offsets[j] != off; j++)
			;
		if (j < mm->nr_rmap_offsets)
			continue;
		if (mm->nr_rmap_offsets < RMAP_OFFSETS_MAX)
			mm->rmap_offsets[mm->nr_rmap_offsets] = off;
		mm->nr_rmap_offsets++;
	}
	mm->rmap_offsets_valid = true;
}

/*
 * The VMAs of @mm that may map page @index of the page's object, in
 * address order: with few offsets, the one VMA that holds each offset's
 * address (a VMA maps index i at vm_start + ((i - vm_pgoff) << PAGE_SHIFT)
 * only, so no other VMA of that offset can); else every VMA. The kernel's
 * anon_vma and i_mmap interval trees find them in O(log n) the same way.
 */
static unsigned int rmap_candidates(struct mm_struct *mm, uint64_t index, unsigned int *k)
{
	unsigned int n = 0;

	rmap_offsets_update(mm);
	if (mm->nr_rmap_offsets > RMAP_OFFSETS_MAX)
		return UINT32_MAX;
	for (unsigned int j = 0; j < mm->nr_rmap_offsets; j++) {
		uint64_t off = mm->rmap_offsets[j];
		int i = vma_index(mm, off + (index << PAGE_SHIFT));

		/* a VMA of another offset holding this address does not map the page there */
		if (i >= 0 && vma_offset(&mm->vmas[i]) == off)
			k[n++] = (unsigned int)i;
	}
	/* in address order, as the full walk visits them */
	for (unsigned int a = 1; a < n; a++)
		for (unsigned int b = a; b > 0 && k[b - 1] > k[b]; b--) {
			unsigned int t = k[b];

			k[b] = k[b - 1];
			k[b - 1] = t;
		}
	return n;
}

/*
 * rmap_walk(): each PTE that maps @pfn, process by process (in the order
 * of the process table) and VMA by VMA, until @fn returns false.
 */
void rmap_walk(struct machine *m, uint64_t pfn, rmap_one_fn fn, void *arg)
{
	const struct page *p = pfn_to_page(m, pfn);
	uint64_t index = folio_index(p);
	unsigned int i, c, nr, cand[RMAP_OFFSETS_MAX];

	if (!p->folio.mapping)
		return;
	for (i = 0; i < m->x86->nr_mms; i++) {
		struct mm_struct *mm = &m->x86->mms[i];

		nr = rmap_candidates(mm, index, cand);
		for (c = 0; c < (nr == UINT32_MAX ? mm->nr_vmas : nr); c++) {
			const struct vm_area_struct *vma = &mm->vmas[nr == UINT32_MAX ? c : cand[c]];
			struct rmap_hit h;
			uint64_t addr, table;

			if (!vma_may_map(m, vma, p))
				continue;
			addr = vma_address(vma, index);
			if (!addr || pte_of(m, mm, addr, &table))
				continue;
			h.pid = mm->pid;
			h.vaddr = addr;
			h.pte_table = table;
			h.pte = (uint64_t *)&pt_table(m, table)[pt_index(addr, PT_PTE)];
			if (!(*h.pte & _PAGE_PRESENT) || pte_pfn(*h.pte) != pfn)
				continue;
			if (!fn(m, pfn, &h, arg))
				return;
		}
	}
}

static bool count_one(struct machine *m, uint64_t pfn, const struct rmap_hit *h, void *arg)
{
	(void)m;
	(void)pfn;
	(void)h;
	(*(uint64_t *)arg)++;
	return true;
}

uint64_t rmap_count(struct machine *m, uint64_t pfn)
{
	uint64_t n = 0;

	rmap_walk(m, pfn, count_one, &n);
	return n;
}

/*** folio_referenced() ***/

struct referenced_arg {
	int referenced;
	unsigned long vm_flags;
};

static const struct vm_area_struct *vma_at(const struct machine *m, int pid, uint64_t addr)
{
	const struct mm_struct *mm = find_mm(m, pid);
	unsigned int k;

	for (k = 0; mm && k < mm->nr_vmas; k++)
		if (addr >= mm->vmas[k].vm_start && addr < mm->vmas[k].vm_end)
			return &mm->vmas[k];
	return NULL;
}

/*
 * folio_referenced_one(): a PTE whose accessed bit the MMU set counts once,
 * and the bit is cleared (ptep_clear_flush_young(): x86 does not flush the
 * TLB for it, so a cached translation goes on without setting it again).
 */
static bool referenced_one(struct machine *m, uint64_t pfn, const struct rmap_hit *h,
			   void *arg)
{
	struct referenced_arg *ra = arg;
	const struct vm_area_struct *vma = vma_at(m, h->pid, h->vaddr);

	(void)pfn;
	if (*h->pte & _PAGE_ACCESSED) {
		pt_entries(m, h->pte_table)[pt_index(h->vaddr, PT_PTE)] &= ~_PAGE_ACCESSED;
		ra->referenced++;
	}
	if (vma)
		ra->vm_flags |= vma->vm_flags;
	return true;
}

/*
 * folio_referenced(): how many PTEs of the page were referenced since the
 * last look; their bits are cleared. An unmapped page has none.
 */
int folio_referenced(struct machine *m, uint64_t pfn, unsigned long *vm_flags)
{
	struct referenced_arg ra = { 0, 0 };

	if (vm_flags)
		*vm_flags = 0;
	if (!folio_mapped(pfn_to_page(m, pfn)))
		return 0;
	rmap_walk(m, pfn, referenced_one, &ra);
	if (vm_flags)
		*vm_flags = ra.vm_flags;
	return ra.referenced;
}

/*** try_to_unmap() ***/

/* flush_tlb_page() on every CPU that runs @pid. */
static void flush_one(struct machine *m, int pid, uint64_t vaddr)
{
	unsigned int cpu;

	for (cpu = 0; cpu < m->nr_cpus; cpu++)
		if (m->x86->cpus[cpu].pid == pid)
			tlb_flush_cpu_range(m, (int)cpu, vaddr, vaddr + PAGE_SIZE, "rmap");
}

/*
 * try_to_unmap_one(): the PTE goes (ptep_clear_flush(): the CPUs running
 * the process drop the page); its dirty bit passes to the page
 * (folio_mark_dirty()). A file page just leaves; an anonymous page leaves
 * the swap entry its swap-cache slot names, and the process counts one swap
 * entry instead of one anonymous page. The mapping's reference goes too.
 */
static bool unmap_one(struct machine *m, uint64_t pfn, const struct rmap_hit *h, void *arg)
{
	struct page *p = pfn_to_page(m, pfn);
	struct mm_struct *mm = find_mm(m, h->pid);
	unsigned int idx = pt_index(h->vaddr, PT_PTE);
	uint64_t old = *h->pte;

	(void)arg;
	if (folio_test_anon(p))
		pt_set_entry(m, h->pte_table, idx, PT_PTE, swp_val_to_pte(p->private), h->vaddr);
	else
		pt_clear_entry(m, h->pte_table, idx, PT_PTE, h->vaddr);
	flush_one(m, h->pid, h->vaddr);
	if ((old & _PAGE_DIRTY) && !folio_test_anon(p))
		folio_mark_dirty(m, pfn);
	else if (old & _PAGE_DIRTY)
		page_set(p, PG_dirty);
	if (folio_test_anon(p)) {
		mm->rss_stat[MM_ANONPAGES]--;
		mm->rss_stat[MM_SWAPENTS]++;
	} else {
		mm->rss_stat[MM_FILEPAGES]--;
	}
	folio_remove_rmap_pte(m, pfn);
	folio_put(m, pfn);
	return true;
}

bool try_to_unmap(struct machine *m, uint64_t pfn, enum ttu_flags flags)
{
	struct page *p = pfn_to_page(m, pfn);

	(void)flags;
	if (folio_test_anon(p) && !page_test(p, PG_swapcache))
		return !folio_mapped(p);
	if (folio_mapped(p))
		rmap_walk(m, pfn, unmap_one, NULL);
	return !folio_mapped(p);
}

/*** Map counts (folio_add_*_rmap_pte, folio_remove_rmap_pte) ***/

/*
 * folio_add_new_anon_rmap(): a new anonymous page of @anon_vma at @index,
 * mapped once and swap-backed; NR_ANON_MAPPED counts it.
 */
void folio_add_new_anon_rmap(struct machine *m, uint64_t pfn, uint32_t anon_vma,
			     uint64_t index)
{
	struct page *p = pfn_to_page(m, pfn);

	SIM_BUG_ON(p->_mapcount != -1);
	page_set(p, PG_swapbacked);
	p->folio.mapping = anon_mapping_word(anon_vma);
	get_anon_vma(m, anon_vma);
	folio_set_index(p, index);
	p->_mapcount = 0;
	mod_node_page_state(m, p->node, NR_ANON_MAPPED, 1);
}

/* folio_add_file_rmap_pte() and folio_dup_file_rmap_pte(): one more PTE. */
void folio_add_rmap_pte(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);

	if (++p->_mapcount == 0)
		mod_node_page_state(m, p->node, folio_test_anon(p) ? NR_ANON_MAPPED :
				    NR_FILE_MAPPED, 1);
}

/* folio_remove_rmap_pte(): one PTE less; the last takes the page off the mapped count. */
void folio_remove_rmap_pte(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);

	SIM_BUG_ON(p->_mapcount < 0);
	if (--p->_mapcount == -1)
		mod_node_page_state(m, p->node, folio_test_anon(p) ? NR_ANON_MAPPED :
				    NR_FILE_MAPPED, -1);
}
