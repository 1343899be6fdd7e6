/*
 * test_filemap.c - files and the page cache: reads with the kernel's
 * readahead windows, the referenced/active two-step of the LRU, writes that
 * dirty pages, fsync and background writeback at the dirty thresholds, a
 * page's content surviving writeback and a re-read, drop_caches 1, 2 and 3,
 * the dentry and inode caches, and file mappings (shared and private).
 */
#include "paging_test.h"
#include "engine/lru.h"

static uint64_t file_pfn(struct machine *m, const char *name, uint64_t index)
{
	struct sim_file *f = file_by_name(m, name);

	assert_non_null(f);
	assert_true(index < f->nr_slots);
	assert_true(f->i_pages[index] && !xa_is_value(f->i_pages[index]));
	return f->i_pages[index] - 1;
}

static bool cached(struct machine *m, const char *name, uint64_t index)
{
	struct sim_file *f = file_by_name(m, name);

	return index < f->nr_slots && f->i_pages[index] && !xa_is_value(f->i_pages[index]);
}

static void read_ok(struct machine *m, const char *name, uint64_t off, uint64_t len)
{
	struct mm_file_io io;
	struct mm_error e = { 0 };

	if (mm_read_file(m, 0, name, off, len, &io, &e))
		fail_msg("read: %s", e.message);
	assert_clean(m);
}

static void write_ok(struct machine *m, const char *name, uint64_t off, uint64_t len)
{
	struct mm_file_io io;
	struct mm_error e = { 0 };

	if (mm_write_file(m, 0, name, off, len, &io, &e))
		fail_msg("write: %s", e.message);
	assert_clean(m);
}

static uint64_t meminfo_kb(const struct machine *m, const char *key)
{
	char *t = proc_meminfo(m), *p = strstr(t, key);
	uint64_t v;

	assert_non_null(p);
	v = strtoull(p + strlen(key), NULL, 10);
	free(t);
	return v;
}

static uint64_t vmstat(const struct machine *m, const char *key)
{
	char *t = proc_vmstat(m), want[64], *p;
	uint64_t v;

	snprintf(want, sizeof(want), "\n%s ", key);
	p = strstr(t, want);
	assert_non_null(p);
	v = strtoull(p + strlen(want), NULL, 10);
	free(t);
	return v;
}

/*
 * A first read of one page opens a window of 4 (get_init_ra_size(1, 32)),
 * page 1 marked; reading page 1 opens the next window of 8 at page 4, page
 * 4 marked; a sequential read of the file grows the window to ra_pages.
 */
static void test_readahead_windows(void **state)
{
	struct recorder rec = { 0 };
	struct machine *m = make("{\"mem_mib\":256}", record, &rec);
	struct mm_file_info fi;
	uint64_t i;

	(void)state;
	assert_int_equal(mm_create_file(m, "data", 1 << 20, NULL), 0);
	read_ok(m, "data", 0, 4096);
	assert_int_equal(mm_file_info(m, 0, &fi), 0);
	assert_int_equal(fi.nrpages, 4);
	assert_int_equal(fi.ra_start, 0);
	assert_int_equal(fi.ra_size, 4);
	assert_int_equal(fi.ra_async_size, 3);
	assert_int_equal(rec.count[MM_EV_mm_filemap_add_to_page_cache], 4);
	assert_true(page_test(&m->mem_map[file_pfn(m, "data", 1)], PG_readahead));
	assert_false(page_test(&m->mem_map[file_pfn(m, "data", 2)], PG_readahead));
	assert_int_equal(vmstat(m, "pgpgin"), 16);		/* 4 pages, in KiB */
	read_ok(m, "data", 4096, 4096);
	assert_int_equal(mm_file_info(m, 0, &fi), 0);
	assert_int_equal(fi.nrpages, 12);
	assert_int_equal(fi.ra_start, 4);
	assert_int_equal(fi.ra_size, 8);
	assert_true(page_test(&m->mem_map[file_pfn(m, "data", 4)], PG_readahead));
	for (i = 2; i < 256; i++)
		read_ok(m, "data", i * 4096, 4096);
	assert_int_equal(mm_file_info(m, 0, &fi), 0);
	assert_int_equal(fi.nrpages, 256);
	assert_int_equal(fi.ra_size, 32);			/* ra_pages: 128 KiB */
	assert_int_equal(meminfo_kb(m, "Cached:"), 1024);
	assert_int_equal(meminfo_kb(m, "Inactive(file):"), 1024);
	machine_destroy(m);
}

/* The first read sets PG_referenced, the second activates (pgactivate). */
static void test_mark_accessed_two_step(void **state)
{
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	struct mm_folio_info fi;
	uint64_t pfn;

	(void)state;
	assert_int_equal(mm_create_file(m, "f", 64 << 10, NULL), 0);
	read_ok(m, "f", 0, 64 << 10);
	pfn = file_pfn(m, "f", 3);
	assert_int_equal(machine_folio_info(m, pfn, &fi), 0);
	assert_string_equal(fi.lru_list, "inactive_file");
	assert_string_equal(fi.mapping_kind, "file");
	assert_string_equal(fi.file_name, "f");
	assert_int_equal(fi.index, 3);
	assert_true(page_test(&m->mem_map[pfn], PG_referenced));
	read_ok(m, "f", 0, 64 << 10);
	assert_int_equal(machine_folio_info(m, pfn, &fi), 0);
	assert_string_equal(fi.lru_list, "active_file");
	assert_false(page_test(&m->mem_map[pfn], PG_referenced));
	assert_int_equal(vmstat(m, "pgactivate"), 16);
	assert_int_equal(meminfo_kb(m, "Active(file):"), 64);
	machine_destroy(m);
}

/*
 * Writes dirty pages; fsync writes them; the content written survives
 * drop_caches and comes back with a re-read (the disk keeps it).
 */
static void test_write_fsync_drop_reread(void **state)
{
	struct recorder rec = { 0 };
	struct machine *m = make("{\"mem_mib\":256}", record, &rec);
	struct mm_drop_caches_result dr;
	uint64_t written;
	uint32_t tag;

	(void)state;
	assert_int_equal(mm_create_file(m, "w", 0, NULL), 0);
	write_ok(m, "w", 0, 3 * 4096);
	assert_int_equal(meminfo_kb(m, "Dirty:"), 12);
	assert_int_equal(rec.count[MM_EV_writeback_dirty_folio], 3);
	tag = m->mem_map[file_pfn(m, "w", 1)].folio.content;
	assert_int_not_equal(tag, file_content_tag(file_by_name(m, "w"), 1));
	/* dirty pages are not dropped */
	assert_int_equal(mm_drop_caches(m, 1, &dr, NULL), 0);
	assert_int_equal(dr.pages, 0);
	assert_int_equal(mm_fsync(m, "w", &written, NULL), 0);
	assert_int_equal(written, 3);
	assert_int_equal(meminfo_kb(m, "Dirty:"), 0);
	assert_int_equal(vmstat(m, "nr_written"), 3);
	assert_int_equal(mm_drop_caches(m, 1, &dr, NULL), 0);
	assert_int_equal(dr.pages, 3);
	assert_int_equal(rec.count[MM_EV_mm_filemap_delete_from_page_cache], 3);
	assert_int_equal(meminfo_kb(m, "Cached:"), 0);
	assert_clean(m);
	read_ok(m, "w", 4096, 4096);
	assert_int_equal(m->mem_map[file_pfn(m, "w", 1)].folio.content, tag);
	machine_destroy(m);
}

/*
 * Dirtying past dirty_background_ratio of the dirtyable memory starts the
 * flusher, which writes until the dirty pages are back at the threshold.
 */
static void test_background_writeback(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	uint64_t bg, thresh, i, wrote_before = 0;

	(void)state;
	assert_int_equal(mm_create_file(m, "big", 0, NULL), 0);
	for (i = 0; i < 8192; i += 64) {
		write_ok(m, "big", i * 4096, 64 * 4096);
		global_dirty_limits(m, &bg, &thresh);
		assert_true(global_node_page_state(m, NR_FILE_DIRTY) <= bg);
		if (global_node_page_state(m, NR_WRITTEN) > wrote_before)
			wrote_before = global_node_page_state(m, NR_WRITTEN);
	}
	assert_true(wrote_before > 0);
	assert_true(bg > 1000 && thresh == 2 * bg + (thresh & 1));
	assert_true(global_node_page_state(m, NR_FILE_DIRTY) > bg - 64);
	machine_destroy(m);
}

static bool page_dirty(struct machine *m, const char *name, uint64_t index)
{
	return page_test(&m->mem_map[file_pfn(m, name, index)], PG_dirty);
}

/*
 * The flusher's turn at an inode is cyclic (writeback_iter(), range_cyclic):
 * it starts where the last one stopped (mapping->writeback_index), not at
 * the file's start. The first turn writes from index 0 and leaves the index
 * after its pages; a page before it dirtied again is not written by the
 * next turn, which takes the next dirty page after the index. The inode's
 * dirtied_when is the clock's jiffies when it was dirtied clean.
 */
static void test_cyclic_writeback(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct mm_error e = { 0 };
	struct sim_file *f;
	uint64_t i, idx;

	(void)state;
	assert_int_equal(mm_create_file(m, "big", 0, NULL), 0);
	write_ok(m, "big", 0, 4096);
	f = file_by_name(m, "big");
	assert_int_equal(f->dirtied_when, machine_jiffies(m));
	assert_int_equal(mm_idle(m, 1000, &e), 0);
	for (i = 1; !global_node_page_state(m, NR_WRITTEN); i += 64)
		write_ok(m, "big", i * 4096, 64 * 4096);
	f = file_by_name(m, "big");
	assert_int_equal(f->dirtied_when, machine_jiffies(m) - 250);	/* dirtied clean once */
	idx = f->writeback_index;
	assert_true(idx > 0 && idx == global_node_page_state(m, NR_WRITTEN));
	assert_false(page_dirty(m, "big", 0));
	assert_false(page_dirty(m, "big", idx - 1));
	assert_true(page_dirty(m, "big", idx));
	/* page 0 dirtied again: one page over the threshold, written from the index */
	write_ok(m, "big", 0, 4096);
	f = file_by_name(m, "big");
	assert_true(page_dirty(m, "big", 0));
	assert_false(page_dirty(m, "big", idx));
	assert_int_equal(f->writeback_index, idx + 1);
	machine_destroy(m);
}

/*
 * drop_caches 2 frees the dentries and inodes of files nothing holds; a
 * mapped file keeps its dentry, and an inode with pages stays; a lookup
 * brings them back.
 */
static void test_drop_slab(void **state)
{
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	struct mm_drop_caches_result dr;
	struct mm_file_info fi;
	uint64_t addr;
	int pid;

	(void)state;
	assert_int_equal(mm_create_file(m, "a", 8192, NULL), 0);
	assert_int_equal(mm_create_file(m, "b", 8192, NULL), 0);
	assert_int_equal(mm_create_file(m, "c", 8192, NULL), 0);
	assert_int_equal(mm_spawn(m, "p", &pid, NULL), 0);
	assert_int_equal(mm_mmap_file(m, pid, 0, 8192, "r--", MM_MAP_SHARED, "a", 0, &addr, NULL), 0);
	read_ok(m, "b", 0, 4096);
	assert_int_equal(nr_shrinkers(), 1);
	assert_int_equal(mm_drop_caches(m, 2, &dr, NULL), 0);
	assert_int_equal(dr.objects, 3);	/* dentries of b and c, the inode of c */
	assert_int_equal(mm_file_info(m, 0, &fi), 0);
	assert_true(fi.has_dentry && fi.has_inode);
	assert_int_equal(mm_file_info(m, 1, &fi), 0);
	assert_true(!fi.has_dentry && fi.has_inode);
	assert_int_equal(mm_file_info(m, 2, &fi), 0);
	assert_true(!fi.has_dentry && !fi.has_inode);
	assert_int_equal(vmstat(m, "drop_slab"), 1);
	assert_clean(m);
	/* 3 = page cache first: b's pages go, then its inode */
	assert_int_equal(mm_drop_caches(m, 3, &dr, NULL), 0);
	assert_int_equal(dr.pages, 2);
	assert_int_equal(dr.objects, 1);
	read_ok(m, "c", 0, 100);
	assert_int_equal(mm_file_info(m, 2, &fi), 0);
	assert_true(fi.has_dentry && fi.has_inode);
	assert_clean(m);
	machine_destroy(m);
}

static struct mm_translation touch(struct machine *m, int pid, uint64_t va, int access)
{
	struct mm_translation t;
	struct mm_error e = { 0 };

	if (mm_translate(m, 0, pid, va, access, -1, &t, &e))
		fail_msg("translate: %s", e.message);
	assert_clean(m);
	return t;
}

/*
 * A shared mapping: a read faults the page in (a major fault, with
 * read-around), maps it read-only; a write makes it writable and dirty. A
 * private mapping: a write copies the file page into an anonymous page with
 * the same content, and the page cache keeps the original.
 */
static void test_file_mappings(void **state)
{
	struct recorder rec = { 0 };
	struct machine *m = make("{\"mem_mib\":256}", record, &rec);
	struct mm_process_info pi;
	struct mm_translation t;
	uint64_t sh, pr, pfn;
	int pid;

	(void)state;
	assert_int_equal(mm_create_file(m, "lib", 256 * 4096, NULL), 0);
	assert_int_equal(mm_spawn(m, "p", &pid, NULL), 0);
	assert_int_equal(mm_mmap_file(m, pid, 0, 64 * 4096, "rw-", MM_MAP_SHARED, "lib", 0, &sh,
				      NULL), 0);
	t = touch(m, pid, sh + 40 * 4096, MM_ACCESS_READ);
	assert_string_equal(rec.last_detail[MM_EV_page_fault], "major");
	assert_int_equal(vmstat(m, "pgmajfault"), 1);
	assert_true(cached(m, "lib", 24) && cached(m, "lib", 55) && !cached(m, "lib", 23));
	pfn = file_pfn(m, "lib", 40);
	assert_int_equal(t.paddr >> 12, pfn);
	assert_int_equal(m->mem_map[pfn]._mapcount, 0);
	assert_int_equal(meminfo_kb(m, "Mapped:"), 4);
	t = touch(m, pid, sh + 41 * 4096, MM_ACCESS_READ);
	assert_string_equal(rec.last_detail[MM_EV_page_fault], "mapped");
	t = touch(m, pid, sh + 40 * 4096, MM_ACCESS_WRITE);
	assert_string_equal(rec.last_detail[MM_EV_page_fault], "reuse");
	assert_true(page_test(&m->mem_map[pfn], PG_dirty));
	assert_int_equal(mm_process_info(m, 0, &pi), 0);
	assert_int_equal(pi.rss_file, 2);
	assert_int_equal(pi.rss_anon, 0);
	/* private */
	assert_int_equal(mm_mmap_file(m, pid, 0, 4 * 4096, "rw-", MM_MAP_PRIVATE, "lib",
				      40 * 4096, &pr, NULL), 0);
	t = touch(m, pid, pr, MM_ACCESS_READ);
	assert_int_equal(t.paddr >> 12, pfn);
	assert_int_equal(m->mem_map[pfn]._mapcount, 1);
	t = touch(m, pid, pr, MM_ACCESS_WRITE);
	assert_string_equal(rec.last_detail[MM_EV_page_fault], "cow");
	assert_int_not_equal(t.paddr >> 12, pfn);
	assert_int_equal(m->mem_map[t.paddr >> 12].folio.content, m->mem_map[pfn].folio.content);
	assert_int_equal(m->mem_map[pfn]._mapcount, 0);
	assert_int_equal(mm_process_info(m, 0, &pi), 0);
	assert_int_equal(pi.rss_file, 2);
	assert_int_equal(pi.rss_anon, 1);
	{
		char *maps = proc_pid_maps(m, pid), line[160];

		snprintf(line, sizeof(line), "%08llx-%08llx rw-s 00000000 00:00 1 ",
			 (unsigned long long)sh, (unsigned long long)sh + 64 * 4096);
		assert_non_null(strstr(maps, line));
		snprintf(line, sizeof(line), "%08llx-%08llx rw-p 00028000 00:00 1 ",
			 (unsigned long long)pr, (unsigned long long)pr + 4 * 4096);
		assert_non_null(strstr(maps, line));
		assert_non_null(strstr(maps, " /lib\n"));
		free(maps);
	}
	assert_int_equal(mm_exit(m, pid, NULL), 0);
	assert_int_equal(m->mem_map[pfn]._mapcount, -1);
	assert_int_equal(meminfo_kb(m, "Mapped:"), 0);
	assert_int_equal(meminfo_kb(m, "Dirty:"), 4);
	assert_clean(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readahead_windows),
		cmocka_unit_test(test_mark_accessed_two_step),
		cmocka_unit_test(test_write_fsync_drop_reread),
		cmocka_unit_test(test_background_writeback),
		cmocka_unit_test(test_cyclic_writeback),
		cmocka_unit_test(test_drop_slab),
		cmocka_unit_test(test_file_mappings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
