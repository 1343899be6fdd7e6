/*
 * test_rmap.c - the reverse map, fork and copy-on-write: anonymous pages on
 * the LRU, fork sharing pages read-only (both PTEs' R/W bit cleared),
 * copy-on-write copying on write only (and reusing a page no one else
 * holds), folio_referenced() reading and
 * clearing the accessed bits the MMU set, try_to_unmap() of file pages, and
 * a randomised session over processes, files and fork with the check after
 * every step, a clone and a snapshot of it equal to the machine.
 */
#include "paging_test.h"
#include "engine/lru.h"
#include "engine/pgtable.h"

static uint64_t owned(const struct machine *m, int owner)
{
	struct zone_info zi;
	uint64_t n = 0;

	for (unsigned int node = 0; node < machine_nr_nodes(m); node++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (machine_zone_info(m, (int)node, z, &zi) == 0)
				n += zi.owner_pages[owner];
	return n;
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

/* The PTE a translation walked through (its last level), and its R/W bit (bit 1). */
static bool pte_writable(const struct mm_translation *t)
{
	assert_true(t->nr_levels > 0);
	assert_int_equal(t->levels[t->nr_levels - 1].level, 1);
	return t->levels[t->nr_levels - 1].entry & (1ULL << 1);
}

/* Anonymous pages start on the inactive anon list, swap-backed, in their VMA's anon_vma. */
static void test_anon_pages_on_lru(void **state)
{
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	struct mm_folio_info fi;
	struct mm_translation t;
	uint64_t addr, pfn;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "p", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 4 * 4096, "rw-", &addr, NULL), 0);
	t = touch(m, pid, addr + 4096, MM_ACCESS_WRITE);
	pfn = t.paddr >> 12;
	assert_int_equal(machine_folio_info(m, pfn, &fi), 0);
	assert_string_equal(fi.lru_list, "inactive_anon");
	assert_string_equal(fi.mapping_kind, "anon");
	assert_int_equal(fi.index, (addr >> 12) + 1);		/* linear_page_index() */
	assert_true(page_test(&m->mem_map[pfn], PG_swapbacked));
	assert_int_equal(global_node_page_state(m, NR_INACTIVE_ANON), 1);
	assert_int_equal(global_node_page_state(m, NR_ANON_MAPPED), 1);
	assert_int_equal(mm_munmap(m, pid, addr, 4 * 4096, NULL), 0);
	assert_int_equal(global_node_page_state(m, NR_INACTIVE_ANON), 0);
	assert_int_equal(m->anon_vmas->v[fi.mapping_id].refcount, 0);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * fork shares every anonymous page read-only (mapcount 2, refcount 2);
 * reads in either process copy nothing; the first write copies one page
 * with its content; the second write to it copies nothing; the other
 * process's write then reuses the page it alone holds.
 */
static void test_cow_copies_on_write_only(void **state)
{
	struct recorder rec = { 0 };
	struct machine *m = make("{\"mem_mib\":256}", record, &rec);
	uint64_t addr, pfn[8], user, i;
	struct mm_translation t;
	uint32_t tag;
	int parent, child;

	(void)state;
	assert_int_equal(mm_spawn(m, "p", &parent, NULL), 0);
	assert_int_equal(mm_mmap(m, parent, 0, 8 * 4096, "rw-", &addr, NULL), 0);
	for (i = 0; i < 8; i++) {
		t = touch(m, parent, addr + i * 4096, MM_ACCESS_WRITE);
		pfn[i] = t.paddr >> 12;
		assert_true(pte_writable(&t));
	}
	user = owned(m, OWNER_USER);
	assert_int_equal(mm_fork(m, parent, &child, NULL), 0);
	assert_clean(m);
	assert_int_equal(owned(m, OWNER_USER), user);
	for (i = 0; i < 8; i++) {
		assert_int_equal(m->mem_map[pfn[i]]._mapcount, 1);
		assert_int_equal(m->mem_map[pfn[i]]._refcount, 2);
		assert_int_equal(rmap_count(m, pfn[i]), 2);
	}
	for (i = 0; i < 8; i++) {
		/* copy_present_pte(): both PTEs write-protected (_PAGE_RW cleared) */
		t = touch(m, child, addr + i * 4096, MM_ACCESS_READ);
		assert_int_equal(t.paddr >> 12, pfn[i]);
		assert_false(pte_writable(&t));
		t = touch(m, parent, addr + i * 4096, MM_ACCESS_READ);
		assert_int_equal(t.paddr >> 12, pfn[i]);
		assert_false(pte_writable(&t));
	}
	assert_int_equal(owned(m, OWNER_USER), user);
	assert_int_equal(rec.count[MM_EV_wp_page_copy], 0);
	tag = m->mem_map[pfn[3]].folio.content;
	t = touch(m, child, addr + 3 * 4096 + 8, MM_ACCESS_WRITE);
	assert_int_not_equal(t.paddr >> 12, pfn[3]);
	assert_true(pte_writable(&t));		/* the copy is the child's alone */
	assert_int_equal(m->mem_map[t.paddr >> 12].folio.content, tag);
	assert_int_equal(owned(m, OWNER_USER), user + 1);
	assert_int_equal(rec.count[MM_EV_wp_page_copy], 1);
	assert_int_equal(m->mem_map[pfn[3]]._mapcount, 0);
	assert_int_equal(m->mem_map[pfn[3]]._refcount, 1);
	touch(m, child, addr + 3 * 4096 + 16, MM_ACCESS_WRITE);
	assert_int_equal(owned(m, OWNER_USER), user + 1);
	assert_int_equal(rec.count[MM_EV_wp_page_copy], 1);
	t = touch(m, parent, addr + 3 * 4096, MM_ACCESS_READ);
	assert_false(pte_writable(&t));		/* still write-protected until it writes */
	t = touch(m, parent, addr + 3 * 4096, MM_ACCESS_WRITE);
	assert_int_equal(t.paddr >> 12, pfn[3]);
	assert_true(pte_writable(&t));		/* wp_page_reuse() */
	assert_int_equal(rec.count[MM_EV_wp_page_reuse], 1);
	assert_int_equal(owned(m, OWNER_USER), user + 1);
	assert_int_equal(mm_exit(m, parent, NULL), 0);
	for (i = 0; i < 8; i++)
		if (i != 3)
			assert_int_equal(m->mem_map[pfn[i]]._mapcount, 0);
	assert_clean(m);
	/* the child writes a page it now alone holds: reused, no copy */
	touch(m, child, addr, MM_ACCESS_WRITE);
	assert_int_equal(rec.count[MM_EV_wp_page_copy], 1);
	assert_int_equal(mm_exit(m, child, NULL), 0);
	assert_int_equal(owned(m, OWNER_USER), 0);
	assert_clean(m);
	machine_destroy(m);
}

/* folio_referenced() counts the PTEs the MMU marked young and clears them. */
static void test_folio_referenced(void **state)
{
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	uint64_t addr, pfn;
	unsigned long vm_flags;
	int parent, child;

	(void)state;
	assert_int_equal(mm_spawn(m, "p", &parent, NULL), 0);
	assert_int_equal(mm_mmap(m, parent, 0, 4096, "rw-", &addr, NULL), 0);
	pfn = touch(m, parent, addr, MM_ACCESS_WRITE).paddr >> 12;
	assert_int_equal(mm_fork(m, parent, &child, NULL), 0);
	/* the parent's PTE is young from its fault, the child's copy is old */
	assert_int_equal(folio_referenced(m, pfn, &vm_flags), 1);
	assert_true(vm_flags & VM_WRITE);
	assert_int_equal(folio_referenced(m, pfn, NULL), 0);
	assert_int_equal(mm_tlb_flush(m, -1, MM_FLUSH_ALL, 0, 0, NULL), 0);
	touch(m, child, addr, MM_ACCESS_READ);
	touch(m, parent, addr, MM_ACCESS_READ);
	assert_int_equal(folio_referenced(m, pfn, NULL), 2);
	assert_int_equal(folio_referenced(m, pfn, NULL), 0);
	assert_clean(m);
	machine_destroy(m);
}

/* try_to_unmap() of a page-cache page mapped by two processes; a dirty PTE dirties it. */
static void test_try_to_unmap_file(void **state)
{
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	uint64_t a1, a2, pfn;
	int p1, p2;
	struct mm_process_info pi;

	(void)state;
	assert_int_equal(mm_create_file(m, "f", 16 * 4096, NULL), 0);
	assert_int_equal(mm_spawn(m, "a", &p1, NULL), 0);
	assert_int_equal(mm_spawn(m, "b", &p2, NULL), 0);
	assert_int_equal(mm_mmap_file(m, p1, 0, 16 * 4096, "rw-", MM_MAP_SHARED, "f", 0, &a1,
				      NULL), 0);
	assert_int_equal(mm_mmap_file(m, p2, 0, 8 * 4096, "r--", MM_MAP_SHARED, "f", 8 * 4096,
				      &a2, NULL), 0);
	pfn = touch(m, p1, a1 + 9 * 4096, MM_ACCESS_WRITE).paddr >> 12;
	assert_int_equal(touch(m, p2, a2 + 4096, MM_ACCESS_READ).paddr >> 12, pfn);
	assert_int_equal(m->mem_map[pfn]._mapcount, 1);
	assert_int_equal(folio_write_one(m, pfn), 0);		/* writeback cleans it */
	assert_false(page_test(&m->mem_map[pfn], PG_dirty));
	touch(m, p1, a1 + 9 * 4096, MM_ACCESS_WRITE);		/* dirtied again */
	assert_true(page_test(&m->mem_map[pfn], PG_dirty));
	assert_true(try_to_unmap(m, pfn, 0));
	assert_int_equal(m->mem_map[pfn]._mapcount, -1);
	assert_int_equal(m->mem_map[pfn]._refcount, 1);
	assert_int_equal(rmap_count(m, pfn), 0);
	assert_int_equal(mm_process_info(m, 0, &pi), 0);
	assert_int_equal(pi.rss_file, 0);
	assert_clean(m);
	/* an anonymous page not in the swap cache stays mapped */
	assert_int_equal(mm_mmap(m, p1, 0, 4096, "rw-", &a2, NULL), 0);
	pfn = touch(m, p1, a2, MM_ACCESS_WRITE).paddr >> 12;
	assert_false(try_to_unmap(m, pfn, 0));
	assert_int_equal(m->mem_map[pfn]._mapcount, 0);
	assert_clean(m);
	machine_destroy(m);
}

/* The state of a random session, so that two machines can run the same one. */
struct session {
	uint64_t rng;
	int pids[8], nr, files;
};

static const char *const names[] = { "a", "b", "c", "d" };

/* One random step on @m; returns the op it chose. */
static int random_step(struct machine *m, struct session *s)
{
	uint64_t r, addr;
	struct mm_translation t;
	struct mm_file_io io;
	struct mm_drop_caches_result dr;
	int op, pid, child;

	s->rng = s->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	r = s->rng >> 33;
	op = (int)(r % 14);
	pid = s->nr ? s->pids[(r >> 8) % (unsigned int)s->nr] : 0;
	if (op == 0 && s->nr < 8) {
		assert_int_equal(mm_spawn(m, "r", &s->pids[s->nr], NULL), 0);
		s->nr++;
	} else if (op == 1 && s->nr) {
		mm_mmap(m, pid, 0, ((r >> 12) % 32 + 1) * 4096, "rw-", &addr, NULL);
	} else if (op == 2 && s->nr && s->files) {
		mm_mmap_file(m, pid, 0, ((r >> 12) % 32 + 1) * 4096, (r >> 20) & 1 ? "rw-" : "r--",
			     (r >> 21) & 1 ? MM_MAP_SHARED : MM_MAP_PRIVATE,
			     names[(r >> 22) % (unsigned int)s->files], ((r >> 24) % 8) * 4096,
			     &addr, NULL);
	} else if (op == 3 && s->nr > 1 && (r >> 12) % 3 == 0) {
		unsigned int k = (unsigned int)((r >> 8) % (unsigned int)s->nr);

		assert_int_equal(mm_exit(m, s->pids[k], NULL), 0);
		s->pids[k] = s->pids[--s->nr];
	} else if (op == 4 && s->nr && s->nr < 8) {
		assert_int_equal(mm_fork(m, pid, &child, NULL), 0);
		s->pids[s->nr++] = child;
	} else if (op == 5 && s->files < 4) {
		assert_int_equal(mm_create_file(m, names[s->files], ((r >> 12) % 64 + 1) * 4096,
						NULL), 0);
		s->files++;
	} else if (op == 6 && s->files) {
		mm_read_file(m, 0, names[(r >> 12) % (unsigned int)s->files], ((r >> 16) % 64) * 4096,
			     ((r >> 24) % 16 + 1) * 1000, &io, NULL);
	} else if (op == 7 && s->files) {
		mm_write_file(m, 0, names[(r >> 12) % (unsigned int)s->files],
			      ((r >> 16) % 64) * 4096 + (r % 100), ((r >> 24) % 8 + 1) * 1000, &io, NULL);
	} else if (op == 8 && s->files) {
		uint64_t w;

		assert_int_equal(mm_fsync(m, names[(r >> 12) % (unsigned int)s->files], &w, NULL), 0);
	} else if (op == 9 && (r >> 12) % 4 == 0) {
		assert_int_equal(mm_drop_caches(m, (int)((r >> 14) % 3) + 1, &dr, NULL), 0);
	} else if (op == 10 && s->nr) {
		/* what reclaim does to a file page: referenced?, then unmap */
		uint64_t pfn = (r >> 12) % machine_max_pfn(m);
		struct page *p = &m->mem_map[pfn];

		if (p->owner == OWNER_PAGECACHE && p->_refcount > 0) {
			folio_referenced(m, pfn, NULL);
			try_to_unmap(m, pfn, 0);
		}
	} else if (op == 11 && s->nr) {
		mm_munmap(m, pid, 0x7ffff0000000ULL + ((r >> 12) % 0x8000) * 4096,
			  ((r >> 24) % 16 + 1) * 4096, NULL);
	} else if (s->nr) {
		const struct mm_struct *mm = find_mm(m, pid);

		if (mm->nr_vmas) {
			const struct vm_area_struct *v = &mm->vmas[(r >> 12) % mm->nr_vmas];

			addr = v->vm_start + ((r >> 16) % ((v->vm_end - v->vm_start) >> 12)) * 4096;
			assert_int_equal(mm_translate(m, (int)(r % 2), pid, addr,
						      (int)((r >> 30) % 2), -1, &t, NULL), 0);
		}
	}
	return op;
}

/* Two machines in the same state: every struct page, file and anon_vma, and the texts. */
static void assert_same(struct machine *a, struct machine *b)
{
	char *ta, *tb;
	uint32_t i;

	assert_int_equal(machine_max_pfn(a), machine_max_pfn(b));
	assert_memory_equal(a->mem_map, b->mem_map, machine_max_pfn(a) * sizeof(struct page));
	assert_int_equal(a->files->nr, b->files->nr);
	for (i = 0; i < a->files->nr; i++) {
		assert_int_equal(a->files->v[i].nr_slots, b->files->v[i].nr_slots);
		assert_memory_equal(a->files->v[i].i_pages, b->files->v[i].i_pages,
				    a->files->v[i].nr_slots * 8);
		assert_memory_equal(a->files->v[i].disk, b->files->v[i].disk,
				    a->files->v[i].nr_slots * 4);
		assert_memory_equal(&a->files->v[i].ra, &b->files->v[i].ra, sizeof(a->files->v[i].ra));
	}
	assert_int_equal(a->anon_vmas->nr, b->anon_vmas->nr);
	assert_memory_equal(a->anon_vmas->v, b->anon_vmas->v,
			    a->anon_vmas->nr * sizeof(struct anon_vma));
	assert_memory_equal(a->vm_events, b->vm_events, sizeof(a->vm_events));
	ta = proc_vmstat(a);
	tb = proc_vmstat(b);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	ta = proc_meminfo(a);
	tb = proc_meminfo(b);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
}

/*
 * A seeded random session over processes, files, fork and COW, the check
 * after every step; halfway, a clone and a machine loaded from a snapshot
 * equal the machine and go on exactly as it does.
 */
static void test_random_session(void **state)
{
	const uint64_t seed = 20261202;
	struct machine *m = make("{\"mem_mib\":128,\"cpus\":2}", NULL, NULL), *c, *l;
	struct session s = { .rng = seed }, sc, sl;
	unsigned int step;
	size_t len;
	void *buf;

	(void)state;
	for (step = 0; step < 1500; step++) {
		int op = random_step(m, &s);

		if (machine_check(m, NULL, NULL)) {
			print_error("seed %llu, step %u, op %d\n", (unsigned long long)seed, step, op);
			assert_clean(m);
		}
	}
	assert_true(m->files->nr > 0 && global_node_page_state(m, NR_FILE_PAGES) > 0);
	c = machine_clone(m);
	assert_non_null(c);
	assert_int_equal(machine_save_mem(m, &buf, &len, NULL), 0);
	l = machine_load_mem(buf, len, NULL);
	free(buf);
	assert_non_null(l);
	assert_clean(c);
	assert_clean(l);
	assert_same(m, c);
	assert_same(m, l);
	sc = s;
	sl = s;
	for (step = 0; step < 300; step++) {
		random_step(m, &s);
		random_step(c, &sc);
		random_step(l, &sl);
	}
	assert_clean(m);
	assert_same(m, c);
	assert_same(m, l);
	machine_destroy(l);
	machine_destroy(c);
	while (s.nr)
		assert_int_equal(mm_exit(m, s.pids[--s.nr], NULL), 0);
	assert_int_equal(owned(m, OWNER_USER), 0);
	assert_int_equal(global_node_page_state(m, NR_ANON_MAPPED), 0);
	assert_int_equal(global_node_page_state(m, NR_FILE_MAPPED), 0);
	assert_clean(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anon_pages_on_lru),
		cmocka_unit_test(test_cow_copies_on_write_only),
		cmocka_unit_test(test_folio_referenced),
		cmocka_unit_test(test_try_to_unmap_file),
		cmocka_unit_test(test_random_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
