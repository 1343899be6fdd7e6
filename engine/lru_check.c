/*
 * lru_check.c - the invariants of user and file pages that machine_check()
 * runs (blocks R, the reverse map, and F, the page cache; block L, the LRU
 * lists, is in swap.c).
 *
 * Kernel: what mm/rmap.c, mm/filemap.c and mm/page-writeback.c keep true
 * between their locks (folio_mapcount(), mapping->nrpages, the node
 * counters of include/linux/mmzone.h), checked as CONFIG_DEBUG_VM would.
 *
 * Design notes: the invariants.
 *  R1. Every present user PTE that maps a page other than the zero page maps
 *      a user or page-cache page with a mapping, and rmap_walk() from that
 *      page finds that PTE (the process and the address).
 *  R2. A user or page-cache page's _mapcount + 1 is the number of PTEs of all
 *      processes that map it, and the number rmap_walk() finds.
 *  R3. References: a page-cache page holds the page cache's one and one per
 *      PTE; an anonymous page one per PTE, plus one while in the swap cache.
 *  R4. An anon_vma's refcount is the VMAs whose own anon_vma it is, the
 *      anonymous pages that point at it and its child anon_vmas; a live
 *      anon_vma's parent and root are live.
 *  R5. Each process's VMAs are sorted by address and do not overlap (the
 *      binary searches of find_vma() and the walk rely on it), and its rmap
 *      offsets, when marked valid, are the distinct vm_start - (vm_pgoff <<
 *      PAGE_SHIFT) of its VMAs, or say there are too many to keep.
 *  F1. Each page in a file's i_pages is a page-cache page that names that
 *      file and index; nrpages, nr_dirty and nr_writeback count its pages,
 *      dirty pages and pages under writeback.
 *  F2. Every page-cache page is in its file's i_pages, on the LRU, not
 *      swap-backed; every anonymous page is swap-backed, and on the LRU
 *      unless only the swap cache holds it.
 *  F3. The node counters add up: NR_FILE_PAGES is the files' pages plus the
 *      swap cache's, NR_FILE_DIRTY and NR_WRITEBACK the files' counts,
 *      NR_FILE_MAPPED and NR_ANON_MAPPED the mapped pages of each kind.
 *  F4. The dentry and inode_cache slabs hold exactly the files' dentries
 *      and inodes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "lru.h"
#include "pgtable.h"

struct lchk {
	struct machine *m;	/* the walk needs it writable; nothing is written */
	mm_violation_fn fn;
	void *ctx;
	unsigned long count;
	uint32_t *ptes;		/* per pfn: PTEs that map it */
};

static void lviolation(struct lchk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lviolation(struct lchk *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c->count += mm_vreport(c->fn, c->ctx, fmt, ap);
	va_end(ap);
}

static bool is_folio(const struct page *p)
{
	return (p->owner == OWNER_USER || p->owner == OWNER_PAGECACHE) && p->_refcount > 0 &&
	       !p->tail;
}

struct find_arg {
	int pid;
	uint64_t vaddr;
	bool found;
};

static bool find_one(struct machine *m, uint64_t pfn, const struct rmap_hit *h, void *arg)
{
	struct find_arg *fa = arg;

	(void)m;
	(void)pfn;
	if (h->pid == fa->pid && h->vaddr == fa->vaddr) {
		fa->found = true;
		return false;
	}
	return true;
}

/* R1 for the PTEs under @table, counting each page's PTEs. */
static void scan_ptes(struct lchk *c, const struct mm_struct *mm, uint64_t table, int level,
		      uint64_t base, unsigned int last)
{
	struct machine *m = c->m;
	const uint64_t *e = pt_table(m, table);
	unsigned int i;

	for (i = 0; i <= last; i++) {
		uint64_t va = base + ((uint64_t)i << pt_level_shift(level)), pfn;
		struct find_arg fa = { mm->pid, va, false };

		if (!(e[i] & _PAGE_PRESENT))
			continue;
		if (level != PT_PTE) {
			if (!(e[i] & _PAGE_PSE))
				scan_ptes(c, mm, pte_pfn(e[i]), level - 1, va, PTRS_PER_TABLE - 1);
			continue;
		}
		pfn = pte_pfn(e[i]);
		if (pfn == zero_pfn(m) || pfn >= m->max_pfn)
			continue;
		if (!is_folio(&m->mem_map[pfn]) || !m->mem_map[pfn].folio.mapping) {
			lviolation(c, "R1: pid %d %016" PRIx64 " maps pfn 0x%" PRIx64
				   " (%s) with no mapping", mm->pid, va, pfn,
				   page_owner_name(m->mem_map[pfn].owner));
			continue;
		}
		c->ptes[pfn]++;
		rmap_walk(m, pfn, find_one, &fa);
		if (!fa.found)
			lviolation(c, "R1: pid %d %016" PRIx64 " maps pfn 0x%" PRIx64
				   ", rmap_walk() does not find it", mm->pid, va, pfn);
	}
}

/* R2, R3 for one page. */
static void check_folio_maps(struct lchk *c, uint64_t pfn, const struct page *p)
{
	uint64_t walked = rmap_count(c->m, pfn);
	int64_t want;

	if ((int64_t)p->_mapcount + 1 != (int64_t)c->ptes[pfn] || walked != c->ptes[pfn])
		lviolation(c, "R2: pfn 0x%" PRIx64 " has _mapcount %d, %u PTEs map it, "
			   "rmap_walk() finds %" PRIu64, pfn, p->_mapcount, c->ptes[pfn], walked);
	if (folio_test_anon(p))
		want = (int64_t)c->ptes[pfn] + page_test(p, PG_swapcache);
	else
		want = (int64_t)c->ptes[pfn] + (folio_file_id(p) >= 0);
	if (p->_refcount != want)
		lviolation(c, "R3: pfn 0x%" PRIx64 " (%s) has refcount %d, want %lld", pfn,
			   folio_test_anon(p) ? "anon" : "file", p->_refcount, (long long)want);
}

/* R4: the anon_vma references, counted from the VMAs, pages and children. */
static void check_anon_vmas(struct lchk *c)
{
	const struct machine *m = c->m;
	const struct anon_vma_table *t = m->anon_vmas;
	uint32_t *refs, id;
	unsigned int i, k;
	uint64_t pfn;

	if (!t->nr)
		return;
	refs = calloc(t->nr, sizeof(*refs));
	if (!refs)
		return;
	for (i = 0; m->x86 && i < m->x86->nr_mms; i++)
		for (k = 0; k < m->x86->mms[i].nr_vmas; k++) {
			id = m->x86->mms[i].vmas[k].anon_vma;
			if (id >= t->nr || (id && !t->v[id].refcount))
				lviolation(c, "R4: pid %d has a VMA on anon_vma %u, which is not live",
					   m->x86->mms[i].pid, id);
			else if (id)
				refs[id]++;
		}
	for (pfn = 0; pfn < m->max_pfn; pfn++) {
		const struct page *p = &m->mem_map[pfn];

		if (!is_folio(p) || !folio_test_anon(p))
			continue;
		id = (uint32_t)folio_anon_vma_id(p);
		if (id >= t->nr || !t->v[id].refcount)
			lviolation(c, "R4: pfn 0x%" PRIx64 " points at anon_vma %u, not live", pfn, id);
		else
			refs[id]++;
	}
	for (id = 1; id < t->nr; id++)
		if (t->v[id].refcount && t->v[id].parent != id)
			refs[t->v[id].parent]++;
	for (id = 1; id < t->nr; id++) {
		const struct anon_vma *a = &t->v[id];

		if (a->refcount != refs[id])
			lviolation(c, "R4: anon_vma %u has refcount %u, %u hold it", id, a->refcount,
				   refs[id]);
		if (a->refcount && (a->parent >= t->nr || !t->v[a->parent].refcount ||
				    a->root >= t->nr || !t->v[a->root].refcount))
			lviolation(c, "R4: anon_vma %u has a dead parent %u or root %u", id,
				   a->parent, a->root);
	}
	free(refs);
}

/* R5: the VMAs in order, and the offsets rmap_walk() looks up by. */
static void check_vmas(struct lchk *c)
{
	const struct machine *m = c->m;

	for (unsigned int i = 0; m->x86 && i < m->x86->nr_mms; i++) {
		const struct mm_struct *mm = &m->x86->mms[i];
		uint64_t seen[RMAP_OFFSETS_MAX + 1];
		unsigned int k, j, distinct = 0;
		bool same;

		for (k = 0; k < mm->nr_vmas; k++)
			if (mm->vmas[k].vm_start >= mm->vmas[k].vm_end ||
			    (k && mm->vmas[k - 1].vm_end > mm->vmas[k].vm_start))
				lviolation(c, "R5: pid %d's VMA %u [0x%" PRIx64 ", 0x%" PRIx64
					   ") is empty or out of order", mm->pid, k,
					   mm->vmas[k].vm_start, mm->vmas[k].vm_end);
		if (!mm->rmap_offsets_valid)
			continue;
		/* the first RMAP_OFFSETS_MAX + 1 distinct offsets, in VMA order */
		for (k = 0; k < mm->nr_vmas && distinct <= RMAP_OFFSETS_MAX; k++) {
			const struct vm_area_struct *v = &mm->vmas[k];
			uint64_t off = v->vm_start - (v->vm_pgoff << PAGE_SHIFT);

			for (j = 0; j < distinct && seen[j] != off; j++)
				;
			if (j == distinct)
				seen[distinct++] = off;
		}
		same = distinct > RMAP_OFFSETS_MAX ? mm->nr_rmap_offsets > RMAP_OFFSETS_MAX :
		       mm->nr_rmap_offsets == distinct;
		for (j = 0; same && distinct <= RMAP_OFFSETS_MAX && j < distinct; j++)
			same = mm->rmap_offsets[j] == seen[j];
		if (!same)
			lviolation(c, "R5: pid %d's rmap offsets (%u) are not those of its %u VMAs "
				   "(%u distinct)", mm->pid, mm->nr_rmap_offsets, mm->nr_vmas, distinct);
	}
}

/* F1 for one file. */
static void check_file(struct lchk *c, const struct sim_file *f, uint64_t sums[3])
{
	const struct machine *m = c->m;
	uint64_t index, pages = 0, dirty = 0, wb = 0;

	for (index = 0; index < f->nr_slots; index++) {
		uint64_t e = f->i_pages[index];
		const struct page *p;

		if (!e || xa_is_value(e))
			continue;
		if (e - 1 >= m->max_pfn) {
			lviolation(c, "F1: %s[%" PRIu64 "] holds pfn 0x%" PRIx64 ", beyond the machine",
				   f->name, index, e - 1);
			continue;
		}
		p = &m->mem_map[e - 1];
		if (p->owner != OWNER_PAGECACHE || folio_file_id(p) != f->id ||
		    folio_index(p) != index)
			lviolation(c, "F1: %s[%" PRIu64 "] holds pfn 0x%" PRIx64 " owned by %s, "
				   "mapping 0x%" PRIx64 " index %" PRIu64, f->name, index, e - 1,
				   page_owner_name(p->owner), p->folio.mapping, folio_index(p));
		pages++;
		dirty += page_test(p, PG_dirty);
		wb += page_test(p, PG_writeback);
	}
	if (pages != f->nrpages || dirty != f->nr_dirty || wb != f->nr_writeback)
		lviolation(c, "F1: %s holds %" PRIu64 " pages, %" PRIu64 " dirty, %" PRIu64
			   " under writeback; it counts %" PRIu64 ", %" PRIu64 ", %" PRIu64, f->name,
			   pages, dirty, wb, f->nrpages, f->nr_dirty, f->nr_writeback);
	sums[0] += pages;
	sums[1] += dirty;
	sums[2] += wb;
}

/* F2 for one page; counts the mapped pages of each kind. */
static void check_folio_home(struct lchk *c, uint64_t pfn, const struct page *p,
			     uint64_t mapped[2])
{
	int64_t id = folio_file_id(p);

	if (p->owner == OWNER_PAGECACHE) {
		const struct sim_file *f = id >= 0 ? file_by_id(c->m, (uint32_t)id) : NULL;
		uint64_t idx = folio_index(p);

		if (!f || idx >= f->nr_slots || f->i_pages[idx] != pfn + 1)
			lviolation(c, "F2: page-cache pfn 0x%" PRIx64 " is not in its file's i_pages",
				   pfn);
		if (page_test(p, PG_swapbacked) || !page_test(p, PG_lru))
			lviolation(c, "F2: page-cache pfn 0x%" PRIx64 " has flags 0x%x", pfn, p->flags);
	} else if (!folio_test_anon(p) || !page_test(p, PG_swapbacked) ||
		   (!page_test(p, PG_lru) && !(page_test(p, PG_swapcache) && p->_mapcount < 0))) {
		lviolation(c, "F2: anonymous pfn 0x%" PRIx64 " has mapping 0x%" PRIx64 " flags 0x%x",
			   pfn, p->folio.mapping, p->flags);
	}
	if (p->_mapcount >= 0)
		mapped[p->owner == OWNER_PAGECACHE]++;
}

static uint64_t cache_inuse(const struct machine *m, const char *name)
{
	struct slab_cache_info si;
	unsigned int i;

	for (i = 0; i < machine_slab_caches(m); i++)
		if (!machine_slab_cache_info(m, i, &si) && !strcmp(si.name, name))
			return si.inuse;
	return 0;
}

/* F3 and F4. */
static void check_counters(struct lchk *c, const uint64_t sums[3], const uint64_t mapped[2])
{
	const struct machine *m = c->m;
	uint64_t dentries = 0, inodes = 0;
	uint32_t i;
	struct {
		enum node_stat_item item;
		uint64_t want;
	} v[] = {
		{ NR_FILE_PAGES, sums[0] + global_node_page_state(m, NR_SWAPCACHE) },
		{ NR_FILE_DIRTY, sums[1] },
		{ NR_WRITEBACK, sums[2] },
		{ NR_FILE_MAPPED, mapped[1] },
		{ NR_ANON_MAPPED, mapped[0] },
	};

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (global_node_page_state(m, v[i].item) != v[i].want)
			lviolation(c, "F3: %s is %" PRIu64 ", the pages say %" PRIu64,
				   node_stat_name(v[i].item), global_node_page_state(m, v[i].item),
				   v[i].want);
	for (i = 0; i < m->files->nr; i++) {
		dentries += m->files->v[i].dentry_addr != 0;
		inodes += m->files->v[i].inode_addr != 0;
	}
	if (cache_inuse(m, "dentry") != dentries || cache_inuse(m, "inode_cache") != inodes)
		lviolation(c, "F4: the dentry and inode_cache slabs hold %" PRIu64 " and %" PRIu64
			   " objects, the files %" PRIu64 " and %" PRIu64,
			   cache_inuse(m, "dentry"), cache_inuse(m, "inode_cache"), dentries, inodes);
}

unsigned long rmap_filemap_check(const struct machine *cm, mm_violation_fn fn, void *ctx)
{
	struct lchk c = { (struct machine *)cm, fn, ctx, 0, NULL };
	struct machine *m = c.m;
	uint64_t pfn, sums[3] = { 0, 0, 0 }, mapped[2] = { 0, 0 };
	unsigned int i;

	if (!m->files || !m->anon_vmas)
		return 0;
	c.ptes = calloc(m->max_pfn, sizeof(*c.ptes));
	if (!c.ptes)
		return 0;
	for (i = 0; m->x86 && i < m->x86->nr_mms; i++)
		scan_ptes(&c, &m->x86->mms[i], m->x86->mms[i].pgd, (int)pt_levels(m), 0,
			  pgd_kernel_first(m) - 1);
	for (pfn = 0; pfn < m->max_pfn; pfn++) {
		const struct page *p = &m->mem_map[pfn];

		if (!is_folio(p))
			continue;
		check_folio_maps(&c, pfn, p);
		check_folio_home(&c, pfn, p, mapped);
	}
	check_anon_vmas(&c);
	check_vmas(&c);
	for (i = 0; i < m->files->nr; i++)
		check_file(&c, &m->files->v[i], sums);
	check_counters(&c, sums, mapped);
	free(c.ptes);
	return c.count;
}
