/*
 * filemap.c - a small filesystem of named files and their page cache:
 * create, read with readahead, write, the page-cache side of file faults,
 * drop_caches, and the dentry and inode caches with their shrinker.
 *
 * Kernel: mm/filemap.c (filemap_add_folio, __filemap_remove_folio,
 * filemap_read, filemap_get_pages, filemap_get_read_batch, filemap_fault,
 * generic_perform_write), mm/readahead.c (page_cache_sync_ra,
 * page_cache_async_ra, get_init_ra_size, get_next_ra_size,
 * page_cache_ra_unbounded, do_page_cache_ra), mm/truncate.c
 * (invalidate_mapping_pages, mapping_evict_folio), fs/drop_caches.c,
 * fs/super.c (super_cache_count, super_cache_scan), fs/dcache.c and
 * fs/inode.c (the dentry and inode_cache slab caches).
 *
 * Ideas to hold:
 *  - A file is an inode with an address_space: i_pages maps a page index to
 *    a page (pfn + 1) or to a shadow entry left by reclaim. The file's "disk"
 *    holds a content tag per page: a page read from it takes that tag; a
 *    write gives the page a new one; writeback stores it on the disk.
 *  - Reads go through the page cache with the kernel's readahead: the first
 *    read of a file opens a window of get_init_ra_size() pages and marks
 *    one page PG_readahead; reading that page opens the next, larger window
 *    at once (async readahead), up to ra_pages (32 pages, 128 KiB).
 *  - I/O completes within the call: a page read is uptodate when the read
 *    returns (read_pages()); its sectors count in pgpgin.
 *  - A file has a dentry and an inode, objects of the "dentry" and
 *    "inode_cache" slab caches, allocated when the file is created or looked
 *    up again; the superblock's shrinker frees unused ones (drop_caches 2,
 *    and reclaim's shrink_slab()).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "lru.h"
#include "memcontrol.h"
#include "vmscan.h"
#include "pgtable.h"
#include "slab.h"

#define MAX_FILES		1024
#define MAX_FILE_BYTES		(16ULL << 30)	/* 4 Mi pages of i_pages per file at most */
#define DENTRY_SIZE		192		/* sizeof(struct dentry) on x86-64 */
#define DNAME_INLINE_LEN	40		/* its usercopy region, d_iname */
#define INODE_SIZE		600		/* about sizeof(struct inode) on x86-64 */
#define SB_SHRINK_BATCH		1024		/* sb->s_shrink->batch (fs/super.c) */
#define READ_BATCH		31		/* PAGEVEC_SIZE: a folio_batch */
#define MMAP_LOTSAMISS		100

/*** Files ***/

struct sim_file *file_by_id(struct machine *m, uint32_t id)
{
	return id < m->files->nr ? &m->files->v[id] : NULL;
}

struct sim_file *file_by_name(struct machine *m, const char *name)
{
	uint32_t i;

	for (i = 0; name && i < m->files->nr; i++)
		if (!strcmp(m->files->v[i].name, name))
			return &m->files->v[i];
	return NULL;
}

static uint64_t file_pages(uint64_t size)
{
	return (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/* A 32-bit mix of the file, the page and the version: a content tag, never 0. */
static uint32_t content_mix(uint32_t id, uint64_t index, uint32_t version)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)id << 40) ^ index ^
		     ((uint64_t)version << 20);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h ? (uint32_t)h : 1;
}

/* What page @index of the file holds on disk: its tag as written, or as created. */
uint32_t file_content_tag(const struct sim_file *f, uint64_t index)
{
	if (index < f->nr_slots && f->disk[index])
		return f->disk[index];
	return content_mix(f->id, index, 0);
}

/* Room in i_pages and disk[] for @pages pages. */
static int file_grow(struct sim_file *f, uint64_t pages)
{
	uint64_t *ip;
	uint32_t *dk;

	if (pages <= f->nr_slots)
		return 0;
	ip = realloc(f->i_pages, pages * sizeof(*ip));
	if (!ip)
		return -ENOMEM;
	f->i_pages = ip;
	dk = realloc(f->disk, pages * sizeof(*dk));
	if (!dk)
		return -ENOMEM;
	f->disk = dk;
	memset(f->i_pages + f->nr_slots, 0, (pages - f->nr_slots) * sizeof(*ip));
	memset(f->disk + f->nr_slots, 0, (pages - f->nr_slots) * sizeof(*dk));
	f->nr_slots = pages;
	return 0;
}

/*** The dentry and inode caches ***/

/*
 * dcache_init() and inode_init(): "dentry" (SLAB_RECLAIM_ACCOUNT |
 * SLAB_ACCOUNT, usercopy d_iname) and "inode_cache" (SLAB_RECLAIM_ACCOUNT |
 * SLAB_ACCOUNT, constructor init_once), created at the first file.
 */
static int fs_caches_init(struct machine *m)
{
	int err = kmem_cache_create_flags(m, "dentry", DENTRY_SIZE, 8,
					  SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT, DNAME_INLINE_LEN,
					  false);

	if (!err)
		err = kmem_cache_create_flags(m, "inode_cache", INODE_SIZE, 0,
					      SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT, 0, true);
	return err;
}

/*
 * d_alloc() and alloc_inode() for a file that lacks them (a lookup after
 * the shrinker freed them): GFP_KERNEL objects of the two caches.
 */
static int file_instantiate(struct machine *m, struct sim_file *f, int cpu, struct mm_error *e)
{
	struct kmalloc_result res;
	int err;

	if (!f->inode_addr) {
		err = mm_kmem_cache_alloc(m, "inode_cache", GFP_KERNEL, cpu, &res, e);
		if (err)
			return err;
		f->inode_addr = res.addr;
	}
	if (!f->dentry_addr) {
		err = mm_kmem_cache_alloc(m, "dentry", GFP_KERNEL, cpu, &res, e);
		if (err)
			return err;
		f->dentry_addr = res.addr;
	}
	return 0;
}

static void file_event(struct machine *m, int type, const struct sim_file *f, uint64_t value,
		       uint64_t size, const char *detail)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.value = (int64_t)value;
	ev.size = size;
	snprintf(m->detail, sizeof(m->detail), "%s%s%s", f->name, detail ? " " : "",
		 detail ? detail : "");
	ev.detail = m->detail;
	emit(m, &ev);
}

int mm_create_file(struct machine *m, const char *name, uint64_t size, struct mm_error *e)
{
	struct file_table *t = m->files;
	struct sim_file *f;
	int err;

	if (!name || !name[0] || strlen(name) >= SIM_FILE_NAME_LEN || strchr(name, '/'))
		return mm_error_set(e, -EINVAL, "a file name is 1..%d characters without '/'",
				    SIM_FILE_NAME_LEN - 1);
	if (size > MAX_FILE_BYTES)
		return mm_error_set(e, -EFBIG, "a file holds at most %llu bytes",
				    (unsigned long long)MAX_FILE_BYTES);
	if (file_by_name(m, name))
		return mm_error_set(e, -EEXIST, "a file named \"%s\" exists already", name);
	if (t->nr >= MAX_FILES)
		return mm_error_set(e, -ENOSPC, "the filesystem holds %d files at most", MAX_FILES);
	err = fs_caches_init(m);
	if (err)
		return mm_error_set(e, err, "the dentry and inode caches cannot be created");
	if (t->nr == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		struct sim_file *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return mm_error_set(e, -ENOMEM, "out of host memory");
		t->v = v;
		t->cap = cap;
	}
	f = &t->v[t->nr];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->size = size;
	f->id = t->nr;
	f->ra.ra_pages = VM_READAHEAD_PAGES;	/* file_ra_state_init(): bdi->ra_pages */
	f->ra.prev_pos = -1;
	if (file_grow(f, file_pages(size))) {
		free(f->i_pages);
		free(f->disk);
		return mm_error_set(e, -ENOMEM, "out of host memory for the page cache index");
	}
	t->nr++;
	err = file_instantiate(m, f, 0, e);
	if (err)
		return err;
	file_event(m, MM_EV_file_create, f, f->id, size, NULL);
	return 0;
}

/*** The page cache ***/

static void page_cache_event(struct machine *m, int type, const struct sim_file *f,
			     uint64_t pfn, uint64_t index)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.pfn = pfn;
	ev.paddr = PFN_PHYS(pfn);
	ev.order = 0;
	ev.value = f->id;			/* i_ino */
	ev.size = index << PAGE_SHIFT;		/* ofs */
	ev.node = m->mem_map[pfn].node;
	ev.zone = m->mem_map[pfn].zone;
	snprintf(m->detail, sizeof(m->detail), "%s", f->name);
	ev.detail = m->detail;
	emit(m, &ev);
}

/*
 * filemap_add_folio() -> __filemap_add_folio(): the page takes its slot
 * (locked, its mapping and index set), NR_FILE_PAGES counts it, and it joins
 * the inactive file list (folio_add_lru()). A shadow entry in the slot is
 * handed back for workingset_refault().
 */
int filemap_add_folio(struct machine *m, struct sim_file *f, uint64_t index, uint64_t pfn,
		      uint64_t *shadowp)
{
	struct page *p = pfn_to_page(m, pfn);
	uint64_t old;

	if (index >= f->nr_slots)
		return -EINVAL;
	old = f->i_pages[index];
	if (old && !xa_is_value(old))
		return -EEXIST;
	if (shadowp)
		*shadowp = old;
	f->i_pages[index] = pfn + 1;
	f->nrpages++;
	p->folio.mapping = file_mapping_word(f->id);
	folio_set_index(p, index);
	page_set(p, PG_locked);
	mod_node_page_state(m, p->node, NR_FILE_PAGES, 1);
	page_cache_event(m, MM_EV_mm_filemap_add_to_page_cache, f, pfn, index);
	if (xa_is_value(old))		/* vmscan.h: a refault may start on the active list */
		workingset_refault(m, pfn, old);
	folio_add_lru(m, pfn);
	return 0;
}

/*
 * __filemap_remove_folio(): the page leaves i_pages (a shadow entry or
 * nothing in its place) and NR_FILE_PAGES; page->mapping is cleared. The
 * page-cache reference is the caller's to drop.
 */
void __filemap_remove_folio(struct machine *m, uint64_t pfn, uint64_t shadow)
{
	struct page *p = pfn_to_page(m, pfn);
	struct sim_file *f = file_by_id(m, (uint32_t)folio_file_id(p));
	uint64_t index = folio_index(p);

	SIM_BUG_ON(!f || index >= f->nr_slots || f->i_pages[index] != pfn + 1);
	SIM_BUG_ON(folio_mapped(p) || page_test(p, PG_dirty) || page_test(p, PG_writeback));
	page_cache_event(m, MM_EV_mm_filemap_delete_from_page_cache, f, pfn, index);
	f->i_pages[index] = shadow;
	f->nrpages--;
	mod_node_page_state(m, p->node, NR_FILE_PAGES, -1);
	p->folio.mapping = 0;
}

/*
 * A page-cache page for @index: GFP_HIGHUSER_MOVABLE (mapping_gfp_mask()),
 * charged to the reader's or writer's memory cgroup as filemap_add_folio()
 * charges it (mem_cgroup_charge()); a refused charge frees the page.
 */
static int page_cache_alloc(struct machine *m, int cpu, gfp_t gfp, uint64_t *pfn)
{
	struct alloc_pages_result res;
	int err = __alloc_pages(m, gfp, 0, -1, cpu, OWNER_PAGECACHE, &res, NULL);

	if (err)
		return err;
	if (mem_cgroup_charge(m, res.pfn, get_mem_cgroup_from_current(m, cpu), gfp, cpu)) {
		SIM_BUG_ON(__free_pages_owner(m, res.pfn, 0, cpu, OWNER_PAGECACHE, NULL));
		return -ENOMEM;
	}
	*pfn = res.pfn;
	return 0;
}

/*
 * read_pages(): the page is read from the disk at once: its content tag,
 * PG_uptodate, unlocked; 8 sectors in pgpgin (submit_bio()).
 */
static void read_page_done(struct machine *m, const struct sim_file *f, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);

	p->folio.content = file_content_tag(f, folio_index(p));
	page_set(p, PG_uptodate);
	page_clear(p, PG_locked);
	count_vm_events(m, PGPGIN, PAGE_SIZE >> 9);
}

static uint64_t page_at(const struct sim_file *f, uint64_t index)
{
	uint64_t e = index < f->nr_slots ? f->i_pages[index] : 0;

	return e && !xa_is_value(e) ? e - 1 : UINT64_MAX;
}

/*
 * page_cache_ra_unbounded(): a page for each empty slot of [index, index +
 * nr), the one @lookahead before the end marked PG_readahead. Stops when no
 * page can be had. Returns the pages read.
 */
static uint64_t ra_unbounded(struct machine *m, int cpu, struct sim_file *f, uint64_t index,
			     uint64_t nr, uint64_t lookahead)
{
	uint64_t mark = lookahead <= nr ? nr - lookahead : UINT64_MAX, i, pfn, done = 0;

	for (i = 0; i < nr; i++) {
		if (page_at(f, index + i) != UINT64_MAX)
			continue;
		if (page_cache_alloc(m, cpu, GFP_HIGHUSER_MOVABLE | __GFP_NORETRY | __GFP_NOWARN,
				     &pfn))
			break;
		SIM_BUG_ON(filemap_add_folio(m, f, index + i, pfn, NULL));
		if (i == mark)
			page_set(pfn_to_page(m, pfn), PG_readahead);
		read_page_done(m, f, pfn);
		done++;
	}
	return done;
}

/* do_page_cache_ra(): the window clamped to the end of the file. */
static uint64_t do_page_cache_ra(struct machine *m, int cpu, struct sim_file *f, uint64_t index,
				 uint64_t nr, uint64_t lookahead)
{
	uint64_t end_index;

	if (!f->size)
		return 0;
	end_index = (f->size - 1) >> PAGE_SHIFT;
	if (index > end_index)
		return 0;
	if (nr > end_index - index)
		nr = end_index - index + 1;
	return ra_unbounded(m, cpu, f, index, nr, lookahead);
}

static uint64_t roundup_pow_of_two(uint64_t x)
{
	uint64_t r = 1;

	while (r < x)
		r <<= 1;
	return r;
}

/* get_init_ra_size(): the first window, from the size of the request. */
static uint64_t get_init_ra_size(uint64_t size, uint64_t max)
{
	uint64_t newsize = roundup_pow_of_two(size);

	if (newsize <= max / 32)
		return newsize * 4;
	if (newsize <= max / 4)
		return newsize * 2;
	return max;
}

/* get_next_ra_size(): each window four or two times the last, up to max. */
static uint64_t get_next_ra_size(const struct file_ra_state *ra, uint64_t max)
{
	uint64_t cur = ra->size;

	if (cur < max / 16)
		return 4 * cur;
	if (cur <= max / 2)
		return 2 * cur;
	return max;
}

/*
 * page_cache_prev_miss(): the first empty slot going down from @index,
 * within @max_scan slots; UINT64_MAX when the scan runs past index 0.
 */
static uint64_t page_cache_prev_miss(const struct sim_file *f, uint64_t index, uint64_t max_scan)
{
	while (max_scan--) {
		if (page_at(f, index) == UINT64_MAX)
			return index;
		if (index == 0)
			return UINT64_MAX;
		if (!max_scan)
			break;
		index--;
	}
	return index;
}

/* page_cache_next_miss(): the first empty slot from @index up, within @max_scan. */
static uint64_t page_cache_next_miss(const struct sim_file *f, uint64_t index, uint64_t max_scan)
{
	while (max_scan--) {
		if (page_at(f, index) == UINT64_MAX)
			return index;
		index++;
	}
	return index;
}

/*
 * page_cache_sync_ra(): a read found no page at @index. A read from the
 * start, a sequential one or one larger than the window opens a new window
 * (get_init_ra_size()); otherwise the pages just before it decide: as many
 * as were read contiguously before, up to the maximum. (ractl_max_pages():
 * the device's io_pages are taken equal to ra_pages.) Returns pages read.
 */
static uint64_t page_cache_sync_ra(struct machine *m, int cpu, struct sim_file *f,
				   uint64_t index, uint64_t req_count)
{
	struct file_ra_state *ra = &f->ra;
	uint64_t max_pages = ra->ra_pages, prev_index, miss, contig_count;

	prev_index = (uint64_t)ra->prev_pos >> PAGE_SHIFT;
	if (!index || req_count > max_pages || index - prev_index <= 1) {
		ra->start = index;
		ra->size = (unsigned int)get_init_ra_size(req_count, max_pages);
		ra->async_size = ra->size > req_count ? (unsigned int)(ra->size - req_count) :
							 ra->size >> 1;
	} else {
		miss = page_cache_prev_miss(f, index - 1, max_pages);
		contig_count = index - miss - 1;
		if (contig_count <= req_count)
			return do_page_cache_ra(m, cpu, f, index, req_count, 0);
		if (miss == UINT64_MAX)
			contig_count *= 2;
		ra->start = index;
		ra->size = (unsigned int)(contig_count + req_count < max_pages ?
					  contig_count + req_count : max_pages);
		ra->async_size = 1;
	}
	ra->order = 0;	/* page_cache_ra_order(): no large folios in this filesystem */
	return do_page_cache_ra(m, cpu, f, ra->start, ra->size, ra->async_size);
}

/*
 * page_cache_async_ra(): a read reached the page marked PG_readahead. If it
 * is where the window expected, the next window follows the current one,
 * larger; otherwise it starts at the next hole. Returns pages read.
 */
static uint64_t page_cache_async_ra(struct machine *m, int cpu, struct sim_file *f,
				    uint64_t pfn, uint64_t req_count)
{
	struct file_ra_state *ra = &f->ra;
	struct page *p = pfn_to_page(m, pfn);
	uint64_t max_pages = ra->ra_pages, index = folio_index(p), expected, start, end;
	uint64_t align, aligned_end, next;

	if (!ra->ra_pages || page_test(p, PG_writeback))
		return 0;
	page_clear(p, PG_readahead);
	expected = ra->start + ra->size - ra->async_size;
	if (index == expected) {
		ra->start += ra->size;
		next = get_next_ra_size(ra, max_pages);
		ra->size = (unsigned int)(next > ra->size ? next : ra->size);
	} else {
		start = page_cache_next_miss(f, index + 1, max_pages);
		if (!start || start - index > max_pages)
			return 0;
		ra->start = start;
		ra->size += (unsigned int)req_count;
		ra->size = (unsigned int)get_next_ra_size(ra, max_pages);
	}
	ra->order += 2;
	align = 1ULL << (ra->order < (unsigned int)__builtin_ctzll(max_pages) ?
			 ra->order : (unsigned int)__builtin_ctzll(max_pages));
	end = ra->start + ra->size;
	aligned_end = end & ~(align - 1);
	if (aligned_end > ra->start)
		ra->size -= (unsigned int)(end - aligned_end);
	ra->async_size = ra->size;
	return do_page_cache_ra(m, cpu, f, ra->start, ra->size, ra->async_size);
}

/*
 * filemap_get_read_batch(): the pages present from @index on, up to @last
 * and at most a folio_batch, stopping after one marked PG_readahead.
 */
static unsigned int get_read_batch(const struct machine *m, const struct sim_file *f,
				   uint64_t index, uint64_t last, uint64_t *batch)
{
	unsigned int n = 0;

	for (; index <= last && n < READ_BATCH; index++) {
		uint64_t pfn = page_at(f, index);

		if (pfn == UINT64_MAX)
			break;
		batch[n++] = pfn;
		if (page_test(&m->mem_map[pfn], PG_readahead))
			break;
	}
	return n;
}

/* What a read and a write start with: a cleared result, the process, the file. */
static int file_io_begin(struct machine *m, int pid, const char *name, struct mm_file_io *io,
			 struct sim_file **f, struct mm_error *e)
{
	memset(io, 0, sizeof(*io));
	if (pid && !find_mm(m, pid))
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	*f = file_by_name(m, name);
	if (!*f)
		return mm_error_set(e, -ENOENT, "no file named \"%s\"", name ? name : "");
	return 0;
}

/*
 * filemap_read(): batch by batch, pages found or read ahead; the last page
 * of a batch marked PG_readahead starts the next window; every page read
 * is marked accessed except a first page the previous read already touched
 * (pos_same_folio()); ra->prev_pos remembers where the read ended.
 */
static int filemap_read(struct machine *m, int pid, const char *name, uint64_t offset,
			uint64_t length, struct mm_file_io *io, struct mm_error *e)
{
	struct sim_file *f;
	uint64_t pos = offset, end, last_pos, batch[READ_BATCH];
	int cpu = 0, err = file_io_begin(m, pid, name, io, &f, e);

	if (err)
		return err;
	err = file_instantiate(m, f, cpu, e);
	if (err)
		return err;
	end = offset + length < f->size ? offset + length : f->size;
	if (offset + length < offset)
		return mm_error_set(e, -EINVAL, "offset + length overflows");
	last_pos = (uint64_t)f->ra.prev_pos;
	while (pos < end) {
		uint64_t index = pos >> PAGE_SHIFT, last_index = (end + PAGE_SIZE - 1) >> PAGE_SHIFT;
		unsigned int n = get_read_batch(m, f, index, last_index - 1, batch), i;

		if (!n) {
			io->pages_read += page_cache_sync_ra(m, cpu, f, index, last_index - index);
			n = get_read_batch(m, f, index, last_index - 1, batch);
			if (!n)
				return mm_error_set(e, -ENOMEM, "no page for the page cache at "
						    "index %" PRIu64, index);
		}
		if (page_test(&m->mem_map[batch[n - 1]], PG_readahead))
			io->pages_read += page_cache_async_ra(m, cpu, f, batch[n - 1],
							      last_index - folio_index(
								&m->mem_map[batch[n - 1]]));
		for (i = 0; i < n && pos < end; i++) {
			uint64_t next = (folio_index(&m->mem_map[batch[i]]) + 1) << PAGE_SHIFT;

			if (i > 0 || last_pos == UINT64_MAX || last_pos == 0 ||
			    (pos >> PAGE_SHIFT) != ((last_pos - 1) >> PAGE_SHIFT))
				folio_mark_accessed(m, batch[i]);
			io->pages++;
			pos = next < end ? next : end;
			last_pos = pos;
		}
	}
	f->ra.prev_pos = (int64_t)last_pos;
	io->bytes = pos > offset ? pos - offset : 0;
	file_event(m, MM_EV_file_read, f, io->pages_read, io->bytes, NULL);
	return 0;
}

/*
 * generic_perform_write(): page by page, write_begin finds or creates the
 * page (__filemap_get_folio(FGP_WRITEBEGIN)), reading it first when the
 * write covers only part of a page that holds data; the copy gives it new
 * content; write_end dirties it. The file grows when written past its end.
 * Then balance_dirty_pages_ratelimited().
 */
static int generic_perform_write(struct machine *m, int pid, const char *name, uint64_t offset,
				 uint64_t length, struct mm_file_io *io, struct mm_error *e)
{
	struct sim_file *f;
	uint64_t pos = offset, end = offset + length;
	int cpu = 0, err = file_io_begin(m, pid, name, io, &f, e);

	if (err)
		return err;
	if (end < offset || end > MAX_FILE_BYTES)
		return mm_error_set(e, -EFBIG, "a file holds at most %llu bytes",
				    (unsigned long long)MAX_FILE_BYTES);
	err = file_instantiate(m, f, cpu, e);
	if (err)
		return err;
	if (file_grow(f, file_pages(end)))
		return mm_error_set(e, -ENOMEM, "out of host memory for the page cache index");
	f->version++;
	while (pos < end) {
		uint64_t index = pos >> PAGE_SHIFT, pstart = index << PAGE_SHIFT;
		uint64_t next = pstart + PAGE_SIZE < end ? pstart + PAGE_SIZE : end;
		uint64_t pfn = page_at(f, index);

		if (pfn == UINT64_MAX) {
			if (page_cache_alloc(m, cpu, GFP_HIGHUSER_MOVABLE, &pfn)) {
				err = mm_error_set(e, -ENOMEM, "no page for the page cache at "
						   "index %" PRIu64, index);
				break;
			}
			SIM_BUG_ON(filemap_add_folio(m, f, index, pfn, NULL));
			if ((pos > pstart || next < pstart + PAGE_SIZE) && pstart < f->size) {
				read_page_done(m, f, pfn);	/* block_write_begin() reads it */
				io->pages_read++;
			} else {
				page_set(pfn_to_page(m, pfn), PG_uptodate);
				page_clear(pfn_to_page(m, pfn), PG_locked);
			}
		}
		pfn_to_page(m, pfn)->folio.content = content_mix(f->id, index, f->version);
		folio_mark_dirty(m, pfn);
		io->pages++;
		pos = next;
	}
	if (pos > f->size)
		f->size = pos;		/* i_size_write() */
	io->bytes = pos - offset;
	file_event(m, MM_EV_file_write, f, io->pages, io->bytes, NULL);
	if (io->pages)
		balance_dirty_pages(m, f);
	return err;
}

typedef int file_io_fn(struct machine *m, int pid, const char *name, uint64_t offset,
		       uint64_t length, struct mm_file_io *io, struct mm_error *e);

/* The pages an op reads or writes for @pid are charged to @pid's memory cgroup. */
static int file_io_as(file_io_fn *fn, struct machine *m, int pid, const char *name,
		      uint64_t offset, uint64_t length, struct mm_file_io *io, struct mm_error *e)
{
	int old = set_active_memcg(m, pid), err;

	err = fn(m, pid, name, offset, length, io, e);
	m->active_memcg = old;
	return err;
}

int mm_read_file(struct machine *m, int pid, const char *name, uint64_t offset, uint64_t length,
		 struct mm_file_io *io, struct mm_error *e)
{
	return file_io_as(filemap_read, m, pid, name, offset, length, io, e);
}

int mm_write_file(struct machine *m, int pid, const char *name, uint64_t offset, uint64_t length,
		  struct mm_file_io *io, struct mm_error *e)
{
	return file_io_as(generic_perform_write, m, pid, name, offset, length, io, e);
}

/*
 * filemap_fault()'s page: found in the page cache (async readahead when it
 * carries the mark), or missing: a major fault (pgmajfault), the read-around
 * window of do_sync_mmap_readahead() (ra_pages centred on the page, a
 * quarter of it async) unless the file missed too often (mmap_miss), and
 * the page read by itself if still absent. The caller's reference is taken.
 */
int filemap_fault_page(struct machine *m, int cpu, struct sim_file *f, uint64_t index,
		       uint64_t *pfn, bool *major)
{
	struct file_ra_state *ra = &f->ra;
	uint64_t p = page_at(f, index);

	*major = false;
	if (index >= file_pages(f->size))
		return -EFAULT;		/* SIGBUS beyond the end of the file */
	if (file_instantiate(m, f, cpu, NULL))
		return -ENOMEM;
	if (p != UINT64_MAX) {
		if (ra->mmap_miss)
			ra->mmap_miss--;
		if (page_test(pfn_to_page(m, p), PG_readahead))
			page_cache_async_ra(m, cpu, f, p, ra->ra_pages);
	} else {
		*major = true;
		count_vm_event(m, PGMAJFAULT);
		if (ra->mmap_miss < MMAP_LOTSAMISS * 10)
			ra->mmap_miss++;
		if (ra->ra_pages && ra->mmap_miss <= MMAP_LOTSAMISS) {
			ra->start = index > ra->ra_pages / 2 ? index - ra->ra_pages / 2 : 0;
			ra->size = ra->ra_pages;
			ra->async_size = ra->ra_pages / 4;
			ra->order = 0;
			do_page_cache_ra(m, cpu, f, ra->start, ra->size, ra->async_size);
		}
		if (page_at(f, index) == UINT64_MAX)
			do_page_cache_ra(m, cpu, f, index, 1, 0);	/* filemap_read_folio() */
		p = page_at(f, index);
		if (p == UINT64_MAX)
			return -ENOMEM;
		if (events_on(m))
			page_cache_event(m, MM_EV_mm_filemap_fault, f, p, index);
	}
	pfn_to_page(m, p)->_refcount++;
	*pfn = p;
	return 0;
}

/*** Freeing, and drop_caches ***/

/*
 * mapping_evict_folio(): a clean page not under writeback, with no user
 * but the page cache (no PTE, no other reference), can go.
 */
static bool mapping_evict_folio(const struct page *p)
{
	return !page_test(p, PG_dirty) && !page_test(p, PG_writeback) && !folio_mapped(p) &&
	       p->_refcount == 1;
}

/*
 * invalidate_mapping_pages(): every page of the file that can go leaves the
 * page cache and is freed; the others stay. Returns the pages freed.
 */
static uint64_t invalidate_mapping_pages(struct machine *m, struct sim_file *f)
{
	uint64_t index, freed = 0;

	for (index = 0; index < f->nr_slots && f->nrpages; index++) {
		uint64_t pfn = page_at(f, index);

		if (pfn == UINT64_MAX) {
			f->i_pages[index] = 0;	/* shadow entries go with the mapping's pages */
			continue;
		}
		if (!mapping_evict_folio(pfn_to_page(m, pfn)))
			continue;
		__filemap_remove_folio(m, pfn, 0);
		folio_put(m, pfn);
		freed++;
	}
	return freed;
}

/*
 * drop_pagecache_sb(): each inode of the superblock, newest first (they
 * are added at the head of sb->s_inodes), loses what it can of its pages.
 */
uint64_t drop_pagecache(struct machine *m)
{
	uint64_t freed = 0;
	uint32_t i;

	for (i = m->files->nr; i-- > 0;)
		if (m->files->v[i].nrpages)
			freed += invalidate_mapping_pages(m, &m->files->v[i]);
	return freed;
}

/*** The superblock shrinker (fs/super.c) ***/

/*
 * Unused dentries and inodes of node @nid (the superblock's list_lrus are
 * per node: an object counts on the node of its slab page). A dentry is in
 * use while a VMA maps its file (a struct file holds it); an inode while
 * its dentry holds it, or while it has pages (prune_icache_sb() would first
 * drop them: the engine leaves such inodes to the page cache's reclaim).
 */
static int object_node(const struct machine *m, uint64_t addr)
{
	return m->mem_map[(addr - direct_map_va(m, 0)) >> PAGE_SHIFT].node;
}

static bool dentry_unused(const struct machine *m, const struct sim_file *f, int nid)
{
	return f->dentry_addr && !f->nr_mmaps && object_node(m, f->dentry_addr) == nid;
}

static bool inode_unused(const struct machine *m, const struct sim_file *f, int nid)
{
	return f->inode_addr && !f->dentry_addr && !f->nrpages &&
	       object_node(m, f->inode_addr) == nid;
}

static uint64_t unused_dentries(const struct machine *m, int nid)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < m->files->nr; i++)
		n += dentry_unused(m, &m->files->v[i], nid);
	return n;
}

static uint64_t unused_inodes(const struct machine *m, int nid)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < m->files->nr; i++)
		n += inode_unused(m, &m->files->v[i], nid);
	return n;
}

/* super_cache_count(): the unused dentries and inodes (vfs_cache_pressure 100). */
static unsigned long super_cache_count(struct machine *m, struct shrinker *s,
				       struct shrink_control *sc)
{
	uint64_t total = unused_dentries(m, sc->nid) + unused_inodes(m, sc->nid);

	(void)s;
	return total ? (unsigned long)total : SHRINK_EMPTY;
}

/*
 * prune_dcache_sb() and prune_icache_sb(): free up to @nr unused dentries
 * (@inodes false) or inodes of the node, oldest first.
 */
static uint64_t prune_sb(struct machine *m, uint64_t nr, int nid, bool inodes)
{
	uint64_t freed = 0;
	uint32_t i;

	for (i = 0; i < m->files->nr && freed < nr; i++) {
		struct sim_file *f = &m->files->v[i];
		uint64_t *addr = inodes ? &f->inode_addr : &f->dentry_addr;

		if (!(inodes ? inode_unused(m, f, nid) : dentry_unused(m, f, nid)))
			continue;
		SIM_BUG_ON(mm_kmem_cache_free(m, inodes ? "inode_cache" : "dentry", *addr, 0, NULL));
		*addr = 0;
		freed++;
	}
	return freed;
}

/*
 * super_cache_scan(): the request split between dentries and inodes in
 * proportion to their counts (mult_frac() over the total plus one),
 * dentries first, which frees the inodes they held for a later pass.
 */
static unsigned long super_cache_scan(struct machine *m, struct shrinker *s,
				      struct shrink_control *sc)
{
	uint64_t dentries = unused_dentries(m, sc->nid), inodes = unused_inodes(m, sc->nid);
	uint64_t total = dentries + inodes + 1, freed;

	(void)s;
	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	dentries = sc->nr_to_scan * dentries / total;
	inodes = sc->nr_to_scan * inodes / total;
	freed = prune_sb(m, dentries, sc->nid, false);	/* prune_dcache_sb() */
	freed += prune_sb(m, inodes, sc->nid, true);	/* prune_icache_sb() */
	return (unsigned long)freed;
}

static struct shrinker shrinkers[] = {
	{ "sb-mmlabfs", super_cache_count, super_cache_scan, SB_SHRINK_BATCH, DEFAULT_SEEKS,
	  "super_cache_scan" },
};

unsigned int nr_shrinkers(void)
{
	return sizeof(shrinkers) / sizeof(shrinkers[0]);
}

struct shrinker *shrinker_at(unsigned int i)
{
	return i < nr_shrinkers() ? &shrinkers[i] : NULL;
}

/*
 * do_shrink_slab(): the objects to scan are the freeable ones scaled by the
 * priority and the shrinker's seeks (at most twice the freeable), asked for
 * in batches; slabs_scanned counts them. No work is deferred: every caller
 * here may enter the filesystem. Returns the objects freed.
 */
unsigned long do_shrink_slab(struct machine *m, struct shrinker *s, struct shrink_control *sc,
			     int priority)
{
	unsigned long freeable = s->count_objects(m, s, sc), batch, total, freed = 0;

	if (!freeable || freeable == SHRINK_EMPTY)
		return 0;
	batch = s->batch ? (unsigned long)s->batch : 128;	/* SHRINK_BATCH */
	total = s->seeks ? (freeable >> priority) * 4 / (unsigned long)s->seeks : freeable / 2;
	if (total > 2 * freeable)
		total = 2 * freeable;
	while (total >= batch || total >= freeable) {
		unsigned long ret;

		sc->nr_to_scan = total < batch ? total : batch;
		sc->nr_scanned = sc->nr_to_scan;
		ret = s->scan_objects(m, s, sc);
		if (ret == SHRINK_STOP)
			break;
		freed += ret;
		count_vm_events(m, SLABS_SCANNED, sc->nr_scanned);
		total -= sc->nr_scanned;
	}
	return freed;
}

/*
 * drop_slab(): shrink_slab() at priority 0 on every node, round after
 * round while a round frees more than 1, then 2, 4, ... objects
 * ((freed >> shift++) > 1).
 */
uint64_t drop_slab(struct machine *m)
{
	uint64_t total = 0, freed;
	unsigned int k, n, shift = 0;

	do {
		freed = 0;
		for (n = 0; n < m->nr_nodes; n++)
			for (k = 0; k < nr_shrinkers(); k++) {
				struct shrink_control sc = { GFP_KERNEL, (int)n, 0, 0, 0 };

				freed += do_shrink_slab(m, shrinker_at(k), &sc, 0);
			}
		total += freed;
	} while ((freed >> shift++) > 1);
	return total;
}

/*
 * drop_caches_sysctl_handler(): 1 drops clean unmapped page cache, 2 the
 * reclaimable slab objects, 3 both (page cache first); drop_pagecache and
 * drop_slab count each run.
 */
int mm_drop_caches(struct machine *m, int mode, struct mm_drop_caches_result *r,
		   struct mm_error *e)
{
	memset(r, 0, sizeof(*r));
	if (mode < 1 || mode > 3)
		return mm_error_set(e, -EINVAL, "mode is 1 (page cache), 2 (slab) or 3 (both)");
	if (mode & 1) {
		r->pages = drop_pagecache(m);
		count_vm_event(m, DROP_PAGECACHE);
	}
	if (mode & 2) {
		r->objects = drop_slab(m);
		count_vm_event(m, DROP_SLAB);
	}
	if (events_on(m)) {
		struct mm_event ev;

		mm_event_init(&ev, MM_EV_drop_caches);
		ev.value = mode;
		ev.size = r->pages;
		snprintf(m->detail, sizeof(m->detail), "%" PRIu64 " pages, %" PRIu64 " objects",
			 r->pages, r->objects);
		ev.detail = m->detail;
		emit(m, &ev);
	}
	return 0;
}

/*** Views ***/

int mm_file_info(const struct machine *m, unsigned int idx, struct mm_file_info *fi)
{
	const struct sim_file *f;

	if (idx >= m->files->nr)
		return -ENOENT;
	f = &m->files->v[idx];
	memset(fi, 0, sizeof(*fi));
	snprintf(fi->name, sizeof(fi->name), "%s", f->name);
	fi->id = f->id;
	fi->size = f->size;
	fi->nrpages = f->nrpages;
	fi->nr_dirty = f->nr_dirty;
	fi->nr_writeback = f->nr_writeback;
	fi->ra_start = f->ra.start;
	fi->ra_size = f->ra.size;
	fi->ra_async_size = f->ra.async_size;
	fi->has_dentry = f->dentry_addr != 0;
	fi->has_inode = f->inode_addr != 0;
	fi->nr_mmaps = f->nr_mmaps;
	return 0;
}

const char *mm_file_name(const struct machine *m, uint32_t id)
{
	return id < m->files->nr ? m->files->v[id].name : NULL;
}
