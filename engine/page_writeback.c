/*
 * page_writeback.c - dirty page-cache pages: their accounting, the dirty
 * thresholds, writeback and fsync.
 *
 * Kernel: mm/page-writeback.c (folio_mark_dirty, __folio_mark_dirty,
 * folio_account_dirtied, folio_clear_dirty_for_io, __folio_end_writeback,
 * global_dirtyable_memory, domain_dirty_limits, balance_dirty_pages),
 * mm/filemap.c (folio_end_writeback, file_write_and_wait_range),
 * mm/swap.c (folio_rotate_reclaimable), fs/fs-writeback.c
 * (wb_check_background_flush, writeback_sb_inodes), mm/rmap.c (folio_mkclean).
 *
 * Ideas to hold:
 *  - A write dirties its pages (NR_FILE_DIRTY, the file's dirty count) and
 *    its inode, when it was clean, takes a dirtied_when stamp (jiffies,
 *    timer.c) and goes to the end of the b_dirty list (dirtied_seq: many
 *    inodes are dirtied at the same jiffies, since an op takes no time).
 *  - The thresholds are fractions of the dirtyable memory: free pages above
 *    the reserves plus the file LRU pages. vm.dirty_background_ratio (10)
 *    wakes the flusher, vm.dirty_ratio (20) throttles writers.
 *  - Writeback's I/O completes at once: PG_writeback is set and cleared
 *    within the call, with NR_WRITEBACK back where it was and NR_WRITTEN one
 *    higher. The flusher's background work runs within the write that
 *    crossed the background threshold, inode by inode, oldest dirtied
 *    first, until the dirty pages are back at or under it. Each inode's turn
 *    is cyclic writeback (writeback_iter() with range_cyclic): it starts at
 *    mapping->writeback_index, does not wrap, and leaves the index after the
 *    last page written, or 0 when it reached the end; the flusher traces it
 *    as writeback_single_inode, with the kernel's text. Periodic writeback
 *    (dirty_expire_centisecs, every dirty_writeback_centisecs) is not
 *    modelled: pages stay dirty until a threshold, fsync or reclaim.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "lru.h"
#include "pgtable.h"

static struct sim_file *folio_file(struct machine *m, const struct page *p)
{
	int64_t id = folio_file_id(p);

	return id >= 0 ? file_by_id(m, (uint32_t)id) : NULL;
}

static void dirty_event(struct machine *m, int type, const struct sim_file *f, uint64_t pfn,
			uint64_t index)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.pfn = pfn;
	ev.value = f->id;			/* ino */
	ev.size = index;			/* index */
	snprintf(m->detail, sizeof(m->detail), "%s", f->name);
	ev.detail = m->detail;
	emit(m, &ev);
}

/*
 * folio_mark_dirty() of a page-cache page -> __folio_mark_dirty() and
 * folio_account_dirtied(): NR_FILE_DIRTY and NR_DIRTIED, the inode dirtied
 * (__mark_inode_dirty() stamps dirtied_when when it was clean). An anonymous
 * page only takes the flag.
 */
void folio_mark_dirty(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	struct sim_file *f = folio_file(m, p);

	if (page_test(p, PG_dirty))
		return;
	page_set(p, PG_dirty);
	if (!f)
		return;
	f->nr_dirty++;
	if (!f->dirtied_seq) {		/* __mark_inode_dirty() of a clean inode */
		f->dirtied_seq = ++m->files->dirty_seq;
		f->dirtied_when = m->jiffies;
	}
	mod_node_page_state(m, p->node, NR_FILE_DIRTY, 1);
	mod_node_page_state(m, p->node, NR_DIRTIED, 1);
	dirty_event(m, MM_EV_writeback_dirty_folio, f, pfn, folio_index(p));
}

/* page_mkclean_one(): a PTE of a shared mapping loses D and RW. */
static bool mkclean_one(struct machine *m, uint64_t pfn, const struct rmap_hit *h, void *arg)
{
	uint64_t e = *h->pte;
	unsigned int cpu;

	(void)pfn;
	if (!(e & (_PAGE_DIRTY | _PAGE_RW)))
		return true;
	*(bool *)arg |= (e & _PAGE_DIRTY) != 0;
	pt_entries(m, h->pte_table)[pt_index(h->vaddr, PT_PTE)] = e & ~(_PAGE_DIRTY | _PAGE_RW);
	for (cpu = 0; cpu < m->nr_cpus; cpu++)
		if (m->x86->cpus[cpu].pid == h->pid)
			tlb_flush_cpu_range(m, (int)cpu, h->vaddr, h->vaddr + PAGE_SIZE, "mkclean");
	return true;
}

bool folio_mkclean(struct machine *m, uint64_t pfn)
{
	bool dirty = false;

	if (folio_mapped(pfn_to_page(m, pfn)))
		rmap_walk(m, pfn, mkclean_one, &dirty);
	return dirty;
}

/*
 * folio_rotate_reclaimable(): a page reclaim wanted, written back, goes to
 * the tail of its inactive list to be freed first; pgrotated.
 */
static void folio_rotate_reclaimable(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	struct lruvec *l;

	if (!page_test(p, PG_lru) || page_test(p, PG_active) || page_test(p, PG_unevictable) ||
	    page_test(p, PG_locked) || page_test(p, PG_dirty))
		return;
	l = folio_lruvec(m, p);
	lruvec_del_folio(m, l, pfn);
	lruvec_add_folio_tail(m, l, pfn);
	count_vm_event(m, PGROTATED);
}

/*
 * One page's writeback: folio_clear_dirty_for_io() (shared PTEs made clean
 * and read-only first), PG_writeback, the write of its content tag to the
 * disk (8 sectors of pgpgout), then folio_end_writeback(): NR_WRITTEN, and
 * the rotation of a page reclaim marked.
 */
int folio_write_one(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);
	struct sim_file *f = folio_file(m, p);
	uint64_t index = folio_index(p);

	if (!f || !page_test(p, PG_dirty) || page_test(p, PG_writeback))
		return -EINVAL;
	folio_mkclean(m, pfn);
	page_clear(p, PG_dirty);
	f->nr_dirty--;
	mod_node_page_state(m, p->node, NR_FILE_DIRTY, -1);
	page_set(p, PG_writeback);
	f->nr_writeback++;
	mod_node_page_state(m, p->node, NR_WRITEBACK, 1);
	f->disk[index] = p->folio.content;
	count_vm_events(m, PGPGOUT, PAGE_SIZE >> 9);
	page_clear(p, PG_writeback);
	f->nr_writeback--;
	mod_node_page_state(m, p->node, NR_WRITEBACK, -1);
	mod_node_page_state(m, p->node, NR_WRITTEN, 1);
	if (!f->nr_dirty)
		f->dirtied_seq = 0;	/* off b_dirty; dirtied_when stays, as the kernel's */
	if (page_test(p, PG_reclaim)) {
		page_clear(p, PG_reclaim);
		folio_rotate_reclaimable(m, pfn);
	}
	return 0;
}

/*
 * Write up to @nr_to_write dirty pages of @f in index order from @start
 * (writeback_iter()); *@next is the index after the last page written when
 * nr_to_write ran out, else 0 (the end was reached, with no wrap).
 */
static uint64_t write_file_pages(struct machine *m, struct sim_file *f, uint64_t start,
				 uint64_t nr_to_write, uint64_t *next)
{
	uint64_t index, wrote = 0;

	*next = 0;
	for (index = start; index < f->nr_slots && f->nr_dirty; index++) {
		uint64_t e = f->i_pages[index];

		if (!e || xa_is_value(e) || !page_test(&m->mem_map[e - 1], PG_dirty))
			continue;
		SIM_BUG_ON(folio_write_one(m, e - 1));
		if (++wrote >= nr_to_write) {
			*next = index + 1;
			break;
		}
	}
	return wrote;
}

/* An event of inode @f whose detail is in m->detail: the ino and the pages written. */
static void emit_inode_event(struct machine *m, int type, const struct sim_file *f,
			     uint64_t wrote)
{
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.value = f->id;			/* ino */
	ev.size = wrote;
	ev.detail = m->detail;
	emit(m, &ev);
}

static void inode_event(struct machine *m, int type, const struct sim_file *f,
			uint64_t dirtied_when, uint64_t nr_to_write, uint64_t wrote)
{
	if (!events_on(m))
		return;
	snprintf(m->detail, sizeof(m->detail), "%s dirtied_when=%" PRIu64 " nr_to_write=%" PRIu64
		 " wrote=%" PRIu64, f->name, dirtied_when, nr_to_write, wrote);
	emit_inode_event(m, type, f, wrote);
}

/*
 * trace_writeback_single_inode() of the flusher's turn at @f, with the
 * tracepoint's TP_printk text as the detail: the inode's state after the
 * turn (I_SYNC while it is written, I_DIRTY_PAGES again if pages are left),
 * its dirtied_when and age in seconds (at this jiffies; the kernel prints
 * the age at the time the trace is read), the writeback index, the pages
 * asked for and written, and the root cgroup's inode (1) as the wb's.
 */
static void writeback_single_inode_event(struct machine *m, const struct sim_file *f,
					 uint64_t nr_to_write, uint64_t wrote)
{
	if (!events_on(m))
		return;
	snprintf(m->detail, sizeof(m->detail), "bdi 0:0: ino=%u state=%s dirtied_when=%" PRIu64
		 " age=%" PRIu64 " index=%" PRIu64 " to_write=%" PRIu64 " wrote=%" PRIu64
		 " cgroup_ino=1", f->id, f->nr_dirty ? "I_DIRTY_PAGES|I_SYNC" : "I_SYNC",
		 f->dirtied_when, (m->jiffies - f->dirtied_when) / HZ, f->writeback_index,
		 nr_to_write, wrote);
	emit_inode_event(m, MM_EV_writeback_single_inode, f, wrote);
}

/* file_write_and_wait_range() of the whole file: every dirty page written. */
uint64_t filemap_write_and_wait(struct machine *m, struct sim_file *f)
{
	uint64_t next;

	return write_file_pages(m, f, 0, UINT64_MAX, &next);
}

int mm_fsync(struct machine *m, const char *name, uint64_t *written, struct mm_error *e)
{
	struct sim_file *f = file_by_name(m, name);
	uint64_t when;

	*written = 0;
	if (!f)
		return mm_error_set(e, -ENOENT, "no file named \"%s\"", name ? name : "");
	when = f->dirtied_when;
	*written = filemap_write_and_wait(m, f);
	inode_event(m, MM_EV_file_fsync, f, when, UINT64_MAX, *written);
	return 0;
}

/*** Thresholds ***/

/*
 * global_dirtyable_memory(): free pages less the reserves, plus the file
 * LRU pages (no highmem on x86-64); never 0.
 */
uint64_t global_dirtyable_memory(const struct machine *m)
{
	uint64_t x = 0;
	unsigned int n;
	int zi;

	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++)
			x += m->nodes[n].node_zones[zi].nr_free_pages;
	x -= x < m->totalreserve_pages ? x : m->totalreserve_pages;
	x += global_node_page_state(m, NR_INACTIVE_FILE);
	x += global_node_page_state(m, NR_ACTIVE_FILE);
	return x + 1;
}

/*
 * domain_dirty_limits() with ratios (no dirty_bytes): each threshold is
 * its ratio of the dirtyable memory; a background threshold at or above the
 * other is halved to it.
 */
void global_dirty_limits(const struct machine *m, uint64_t *background, uint64_t *dirty)
{
	uint64_t avail = global_dirtyable_memory(m);
	uint64_t thresh = (uint64_t)m->dirty_ratio * avail / 100;
	uint64_t bg = (uint64_t)m->dirty_background_ratio * avail / 100;

	if (bg >= thresh)
		bg = thresh / 2;
	*background = bg;
	*dirty = thresh;
}

static uint64_t global_dirty_pages(const struct machine *m)
{
	return global_node_page_state(m, NR_FILE_DIRTY) + global_node_page_state(m, NR_WRITEBACK);
}

/* The dirty file written longest ago, or NULL (b_dirty is in dirtied_when order). */
static struct sim_file *oldest_dirty_file(struct machine *m)
{
	struct sim_file *best = NULL;
	uint32_t i;

	for (i = 0; i < m->files->nr; i++) {
		struct sim_file *f = &m->files->v[i];

		if (f->nr_dirty && (!best || f->dirtied_seq < best->dirtied_seq))
			best = f;
	}
	return best;
}

/*
 * balance_dirty_pages(): above the background threshold the flusher writes
 * inodes oldest first (MAX_WRITEBACK_PAGES, 1024 pages, per inode turn) until
 * the dirty and writeback pages are at or under it; global_dirty_state
 * shows the figures before it does.
 */
void balance_dirty_pages(struct machine *m, struct sim_file *written)
{
	uint64_t bg, thresh, nr = global_dirty_pages(m);

	(void)written;
	global_dirty_limits(m, &bg, &thresh);
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_global_dirty_state);
		ev.value = (int64_t)nr;
		ev.size = thresh;
		snprintf(m->detail, sizeof(m->detail), "dirty=%" PRIu64 " writeback=%" PRIu64
			 " bg_thresh=%" PRIu64 " thresh=%" PRIu64 " limit=%" PRIu64 " dirtied=%" PRIu64
			 " written=%" PRIu64, global_node_page_state(m, NR_FILE_DIRTY),
			 global_node_page_state(m, NR_WRITEBACK), bg, thresh, thresh,
			 global_node_page_state(m, NR_DIRTIED), global_node_page_state(m, NR_WRITTEN));
		ev.detail = m->detail;
		emit(m, &ev);
	}
	while (global_dirty_pages(m) > bg) {
		struct sim_file *f = oldest_dirty_file(m);
		uint64_t over = global_dirty_pages(m) - bg, chunk, wrote, start;

		if (!f)
			break;
		chunk = over < 1024 ? over : 1024;
		start = f->writeback_index;
		wrote = write_file_pages(m, f, start, chunk, &f->writeback_index);
		writeback_single_inode_event(m, f, chunk, wrote);
		/* a turn that began past the last dirty page is followed by one from the start */
		if (!wrote && !start)
			break;
	}
}
