/*
 * test_vmscan.c - reclaim as mm/vmscan.c does it: kswapd wakes below the low
 * watermark and sleeps above the high one, direct reclaim lowers its
 * priority from 12 down, dirty pages are written before they are freed, a
 * swapped-out page comes back on a major fault with its content, a page
 * cache page read back within its refault distance comes back active and
 * one beyond it does not, reclaim shrinks the dentry and inode caches
 * through shrink_slab(), vm.swappiness tips reclaim from page cache to
 * anonymous memory, and a random mix of allocations, file reads and writes
 * and anonymous memory under pressure keeps every invariant after every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swap.h"
#include "vmscan.h"
#include "tests/unit/machine_test.h"

#define MIB	(1ULL << 20)

struct rec {
	struct machine *m;		/* to read struct page in the callback */
	unsigned long wakeups, wakes, sleeps, direct_begins, writes, deletes, dirty_deletes;
	bool wake_above_low, sleep_below_high;
	bool in_direct;
	int prio[4096];			/* shrink_inactive priorities inside direct reclaim */
	unsigned int nr_prio;
	bool prio_rose;
	uint64_t written[8192];		/* pfns pageout() wrote, not yet freed */
	unsigned int nr_written;
	unsigned long written_then_freed;
	unsigned long shrink_slab_ends, shrink_slab_freed;
};

static void forget_written(struct rec *r, uint64_t pfn, bool freed)
{
	for (unsigned int i = 0; i < r->nr_written; i++)
		if (r->written[i] == pfn) {
			r->written[i] = r->written[--r->nr_written];
			r->written_then_freed += freed;
			return;
		}
}

static void record(void *ctx, const struct mm_event *ev)
{
	struct rec *r = ctx;

	switch (ev->type) {
	case MM_EV_mm_vmscan_wakeup_kswapd:
		r->wakeups++;
		r->wake_above_low |= (uint64_t)ev->value > ev->size;	/* at the mark fails too */
		break;
	case MM_EV_mm_vmscan_kswapd_wake:
		r->wakes++;
		break;
	case MM_EV_mm_vmscan_kswapd_sleep:
		r->sleeps++;
		/* no zone named: none is above its high mark (kswapd gave up) */
		r->sleep_below_high |= ev->value == MM_NA || (uint64_t)ev->value <= ev->size;
		break;
	case MM_EV_mm_vmscan_direct_reclaim_begin:
		r->direct_begins++;
		r->in_direct = true;
		r->nr_prio = 0;
		break;
	case MM_EV_mm_vmscan_direct_reclaim_end:
		r->in_direct = false;
		break;
	case MM_EV_mm_vmscan_lru_shrink_inactive:
		if (r->in_direct && r->nr_prio < 4096) {
			int p = ev->level;

			if (r->nr_prio && p > r->prio[r->nr_prio - 1])
				r->prio_rose = true;
			r->prio[r->nr_prio++] = p;
		}
		break;
	case MM_EV_mm_vmscan_write_folio:
		r->writes++;
		if (r->nr_written < 8192)
			r->written[r->nr_written++] = ev->pfn;
		break;
	case MM_EV_mm_shrink_slab_end:
		r->shrink_slab_ends++;
		r->shrink_slab_freed += (unsigned long)ev->value;
		break;
	case MM_EV_mm_filemap_delete_from_page_cache:
		r->deletes++;
		if (page_test(&r->m->mem_map[ev->pfn], PG_dirty))
			r->dirty_deletes++;
		forget_written(r, ev->pfn, true);
		break;
	default:
		break;
	}
}

static uint64_t vmstat(const struct machine *m, const char *name)
{
	char *t = proc_vmstat(m), key[64], *p;
	uint64_t v = 0;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(t, key);
	if (p)
		v = strtoull(p + strlen(key), NULL, 10);
	else if (!strncmp(t, key + 1, strlen(key) - 1))
		v = strtoull(t + strlen(key) - 1, NULL, 10);
	else
		fail_msg("no %s in /proc/vmstat", name);
	free(t);
	return v;
}

static struct machine *make_rec(const char *json, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->m = make(json, record, r);
	return r->m;
}

static void read_file(struct machine *m, const char *name, uint64_t off, uint64_t len)
{
	struct mm_file_io io;
	struct mm_error e = { 0 };

	if (mm_read_file(m, 0, name, off, len, &io, &e))
		fail_msg("read: %s", e.message);
}

/*
 * Reading a file larger than memory, one op per 256 KiB: kswapd is woken only
 * by a zone below its low watermark, and each time it goes back to sleep
 * some zone is above its high watermark.
 */
static void test_kswapd_low_to_high(void **state)
{
	struct rec r;
	struct machine *m = make_rec("{\"mem_mib\":128}", &r);

	(void)state;
	assert_int_equal(mm_create_file(m, "big", 256 * MIB, NULL), 0);
	for (uint64_t off = 0; off < 256 * MIB; off += 256 * 1024) {
		read_file(m, "big", off, 256 * 1024);
		mm_kswapd_run(m);
		assert_int_equal(r.wakes, r.wakeups);
		assert_int_equal(r.sleeps, r.wakeups);	/* asleep between ops */
	}
	assert_true(r.wakeups > 10);
	assert_false(r.wake_above_low);
	assert_false(r.sleep_below_high);
	assert_true(vmstat(m, "pgsteal_kswapd") > 0);
	assert_true(vmstat(m, "pgscan_kswapd") >= vmstat(m, "pgsteal_kswapd"));
	assert_int_equal(vmstat(m, "pgsteal_direct"), 0);
	assert_int_equal(vmstat(m, "pgscan_direct"), 0);
	assert_int_equal(vmstat(m, "pageoutrun"), r.wakes);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * With kswapd left asleep (no __GFP_KSWAPD_RECLAIM), allocations below the
 * min watermark reclaim directly: each round starts at priority 12 and only
 * goes down.
 */
static void test_direct_reclaim_priorities(void **state)
{
	struct rec r;
	struct machine *m = make_rec("{\"mem_mib\":128}", &r);
	gfp_t gfp = 0x400u | 0x40u | 0x80u;	/* __GFP_DIRECT_RECLAIM | __GFP_IO | __GFP_FS */
	struct alloc_pages_result res;
	struct mm_error e;
	unsigned int lowest = DEF_PRIORITY;
	unsigned long wakeups;
	uint64_t scan_kswapd;

	(void)state;
	assert_int_equal(mm_create_file(m, "cache", 96 * MIB, NULL), 0);
	read_file(m, "cache", 0, 96 * MIB);
	mm_kswapd_run(m);
	wakeups = r.wakeups;
	scan_kswapd = vmstat(m, "pgscan_kswapd");
	for (int i = 0; i < 20000 && r.direct_begins < 20; i++) {
		unsigned long before = r.direct_begins;

		assert_int_equal(mm_alloc_pages(m, gfp, 0, -1, 0, &res, &e), 0);
		if (r.direct_begins == before)
			continue;
		assert_true(r.nr_prio > 0);
		assert_int_equal(r.prio[0], DEF_PRIORITY);
		for (unsigned int k = 0; k < r.nr_prio; k++)
			if ((unsigned int)r.prio[k] < lowest)
				lowest = (unsigned int)r.prio[k];
	}
	assert_true(r.direct_begins >= 20);
	assert_false(r.prio_rose);
	assert_true(lowest < DEF_PRIORITY);		/* some round had to go deeper */
	assert_int_equal(r.wakeups, wakeups);		/* nobody woke kswapd */
	assert_true(vmstat(m, "allocstall_dma32") + vmstat(m, "allocstall_normal") >=
		    r.direct_begins);
	assert_true(vmstat(m, "pgsteal_direct") > 0);
	assert_true(vmstat(m, "pgscan_direct") >= vmstat(m, "pgsteal_direct"));
	assert_int_equal(vmstat(m, "pgscan_kswapd"), scan_kswapd);	/* all of it direct */
	assert_clean(m);
	machine_destroy(m);
}

/* Dirty page-cache pages are written by pageout() before they leave the cache. */
static void test_dirty_written_before_freed(void **state)
{
	struct rec r;
	struct machine *m = make_rec("{\"mem_mib\":128}", &r);
	struct mm_file_io io;
	struct mm_error e;

	(void)state;
	assert_int_equal(mm_create_file(m, "log", 64 * MIB, NULL), 0);
	assert_int_equal(mm_create_file(m, "big", 256 * MIB, NULL), 0);
	for (uint64_t off = 0; off < 64 * MIB; off += MIB)
		assert_int_equal(mm_write_file(m, 0, "log", off, MIB, &io, &e), 0);
	for (uint64_t off = 0; off < 256 * MIB; off += MIB) {
		read_file(m, "big", off, MIB);
		mm_kswapd_run(m);
	}
	assert_true(r.deletes > 0);
	assert_true(r.writes > 0);
	assert_true(r.written_then_freed > 0);
	assert_int_equal(r.dirty_deletes, 0);
	assert_clean(m);
	machine_destroy(m);
}

static uint64_t pfn_at(struct machine *m, int pid, uint64_t va, int access, const char **outcome)
{
	struct mm_translation t;
	struct mm_error e = { 0 };

	if (mm_translate(m, 0, pid, va, access, -1, &t, &e))
		fail_msg("translate: %s", e.message);
	assert_false(t.fault);
	if (outcome)
		*outcome = t.outcome;
	return t.paddr >> 12;
}

static uint32_t content_of(const struct machine *m, uint64_t pfn)
{
	struct mm_folio_info fi;

	assert_int_equal(machine_folio_info(m, pfn, &fi), 0);
	return fi.content;
}

/*
 * Anonymous pages pushed out by pressure leave swap PTEs; touching them
 * again is a major fault that reads each page back with the content it had.
 */
static void test_swap_out_and_in(void **state)
{
	struct rec r;
	struct machine *m = make_rec("{\"mem_mib\":128,\"swap_mib\":64}", &r);
	enum { NPAGES = 2048 };
	uint32_t *tags = calloc(NPAGES, sizeof(*tags));
	uint64_t addr, *held = calloc(40000, sizeof(*held)), nheld = 0, majfault;
	struct alloc_pages_result res;
	struct mm_error e;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "anon", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, NPAGES * 4096ULL, "rw-", &addr, NULL), 0);
	for (int i = 0; i < NPAGES; i++)
		tags[i] = content_of(m, pfn_at(m, pid, addr + i * 4096ULL, MM_ACCESS_WRITE, NULL));
	/* kernel pages squeeze the anonymous ones out to swap */
	while (vmstat(m, "pswpout") < NPAGES && nheld < 40000 &&
	       mm_alloc_pages(m, 0xcc0u, 0, -1, 0, &res, &e) == 0) {
		held[nheld++] = res.pfn;
		mm_kswapd_run(m);
	}
	assert_true(vmstat(m, "pswpout") > NPAGES / 2);
	assert_clean(m);
	for (uint64_t i = 0; i < nheld; i++)
		assert_int_equal(mm_free_pages(m, held[i], 0, 0, &e), 0);
	majfault = vmstat(m, "pgmajfault");
	for (int i = 0; i < NPAGES; i++) {
		const char *outcome;
		uint64_t pfn = pfn_at(m, pid, addr + i * 4096ULL, MM_ACCESS_READ, &outcome);

		assert_int_equal(content_of(m, pfn), tags[i]);
	}
	assert_true(vmstat(m, "pgmajfault") - majfault > NPAGES / 2);
	assert_true(vmstat(m, "pswpin") > NPAGES / 2);
	assert_clean(m);
	free(tags);
	free(held);
	machine_destroy(m);
}

struct refault {
	uint64_t refault_file, activate_file;	/* the vmstat counters' moves */
	uint64_t distance, workingset;		/* nonresident_age ticks, active file pages */
	bool active;				/* the page read back is on the active list */
};

/*
 * A file "a" read once is pushed out of the page cache by a file read as a
 * stream while "hot" (read twice: on the active file list) stays; once a's
 * page 0 is a shadow entry the stream goes on for @more bytes, then page 0
 * is read back. The refault distance is the clock's ticks between.
 */
static struct refault refault_after(uint64_t more)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	uint64_t off = 0, end, shadow, entry, rf, act;
	struct sim_file *a;
	struct lruvec *l;
	struct refault r;
	struct mm_folio_info fi;

	assert_int_equal(mm_create_file(m, "hot", 32 * MIB, NULL), 0);
	assert_int_equal(mm_create_file(m, "a", 4 * MIB, NULL), 0);
	assert_int_equal(mm_create_file(m, "stream", 512 * MIB, NULL), 0);
	read_file(m, "hot", 0, 32 * MIB);
	read_file(m, "hot", 0, 32 * MIB);
	read_file(m, "a", 0, 4 * MIB);
	mm_kswapd_run(m);
	a = file_by_name(m, "a");
	for (; !xa_is_value(a->i_pages[0]) && off < 256 * MIB; off += 256 * 1024) {
		read_file(m, "stream", off, 256 * 1024);
		mm_kswapd_run(m);
	}
	shadow = a->i_pages[0];
	assert_true(xa_is_value(shadow));
	for (end = off + more; off < end; off += 256 * 1024) {
		read_file(m, "stream", off, 256 * 1024);
		mm_kswapd_run(m);
	}
	l = mem_cgroup_lruvec(m, 0, 0);
	/* the eviction above memcg id (16 bits), node (10) and the workingset bit */
	r.distance = l->nonresident_age - ((shadow & ~I_PAGES_SHADOW) >> 27);
	r.workingset = lruvec_lru_size(l, LRU_ACTIVE_FILE);
	rf = vmstat(m, "workingset_refault_file");
	act = vmstat(m, "workingset_activate_file");
	read_file(m, "a", 0, 4096);
	entry = a->i_pages[0];
	assert_true(entry && !xa_is_value(entry));
	assert_int_equal(machine_folio_info(m, entry - 1, &fi), 0);
	r.active = page_test(&m->mem_map[entry - 1], PG_active);
	assert_int_equal(r.active, fi.lru_list && !strcmp(fi.lru_list, "active_file"));
	r.refault_file = vmstat(m, "workingset_refault_file") - rf;
	r.activate_file = vmstat(m, "workingset_activate_file") - act;
	assert_clean(m);
	machine_destroy(m);
	return r;
}

/*
 * Workingset refault detection: a page cache page read back soon after its
 * eviction, within a refault distance no longer than the active file list,
 * comes back active (workingset_refault_file and workingset_activate_file
 * move); one read back after the stream has evicted more pages than that
 * refaults without activation.
 */
static void test_workingset_refault(void **state)
{
	struct refault near, far;

	(void)state;
	near = refault_after(0);
	far = refault_after(192 * MIB);
	print_message("refault distance %" PRIu64 " (workingset %" PRIu64 "): active %d; "
		      "distance %" PRIu64 " (workingset %" PRIu64 "): active %d\n", near.distance,
		      near.workingset, near.active, far.distance, far.workingset, far.active);
	assert_true(near.distance <= near.workingset);
	assert_true(near.refault_file >= 1);
	assert_true(near.activate_file >= 1);
	assert_true(near.active);
	assert_true(far.distance > far.workingset);
	assert_true(far.refault_file >= 1);
	assert_int_equal(far.activate_file, 0);
	assert_false(far.active);
}

static unsigned int files_with(struct machine *m, bool dentry)
{
	struct mm_file_info fi;
	unsigned int n = 0;

	for (unsigned int i = 0; mm_file_info(m, i, &fi) == 0; i++)
		n += dentry ? fi.has_dentry : fi.has_inode;
	return n;
}

/*
 * Reclaim, not drop_caches, shrinks the dentry and inode caches: with no
 * page cache or swap to take, kernel allocations drive direct reclaim down
 * to the low priorities where shrink_slab() asks the superblock's shrinker
 * for the unused dentries (and then the inodes they held) of a thousand
 * files nobody opened.
 */
static void test_reclaim_shrinks_slab(void **state)
{
	struct rec r;
	struct machine *m = make_rec("{\"mem_mib\":64}", &r);
	struct alloc_pages_result res;
	char name[16];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(mm_create_file(m, name, 4096, NULL), 0);
	}
	assert_int_equal(files_with(m, true), 1000);
	assert_int_equal(files_with(m, false), 1000);
	while (files_with(m, true) == 1000 &&
	       mm_alloc_pages(m, 0xcc0u, 0, -1, 0, &res, NULL) == 0)
		mm_kswapd_run(m);
	assert_clean(m);
	print_message("dentries left %u, inodes left %u, shrink_slab_end %lu (freed %lu), "
		      "slabs_scanned %" PRIu64 "\n", files_with(m, true), files_with(m, false),
		      r.shrink_slab_ends, r.shrink_slab_freed, vmstat(m, "slabs_scanned"));
	assert_true(files_with(m, true) < 1000);
	assert_true(files_with(m, false) < 1000);	/* the inodes the dentries held */
	assert_true(r.shrink_slab_freed >= 1000 - files_with(m, true));
	assert_true(vmstat(m, "slabs_scanned") > 0);
	assert_int_equal(vmstat(m, "drop_slab"), 0);	/* no drop_caches */
	assert_int_equal(vmstat(m, "drop_pagecache"), 0);
	machine_destroy(m);
}

struct steal {
	uint64_t anon, file;
};

/*
 * One workload under one vm.swappiness, written by the sysctl after boot:
 * 32 MiB of anonymous memory and 32 MiB of page cache, both used twice (so
 * that both sit on their active lists and no inactive cache invites
 * cache_trim_mode), then kernel pages take memory until 24 MiB have been
 * reclaimed. What reclaim stole of each type is the answer.
 */
static struct steal steal_at_swappiness(long swappiness)
{
	struct machine *m = make("{\"mem_mib\":128,\"swap_mib\":64}", NULL, NULL);
	uint64_t addr, *held = calloc(40000, sizeof(*held)), nheld = 0;
	struct alloc_pages_result res;
	struct mm_translation t;
	struct mm_error e = { 0 };
	struct steal s;
	long old;
	int pid;

	assert_int_equal(mm_sysctl_vm_get(m, "swappiness", &old), 0);
	assert_int_equal(old, 60);	/* the machine key's default */
	assert_int_equal(mm_sysctl_vm_set(m, "swappiness", swappiness, &e), 0);
	assert_int_equal(mm_spawn(m, "p", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 32 * MIB, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_create_file(m, "f", 32 * MIB, NULL), 0);
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t a = 0; a < 32 * MIB; a += 4096)
			assert_int_equal(mm_translate(m, 0, pid, addr + a, MM_ACCESS_WRITE, -1,
						      &t, &e), 0);
		read_file(m, "f", 0, 32 * MIB);
		mm_kswapd_run(m);
	}
	while (vmstat(m, "pgsteal_anon") + vmstat(m, "pgsteal_file") < 6144 && nheld < 40000 &&
	       mm_alloc_pages(m, 0xcc0u, 0, -1, 0, &res, &e) == 0) {
		held[nheld++] = res.pfn;
		mm_kswapd_run(m);
	}
	assert_clean(m);
	s.anon = vmstat(m, "pgsteal_anon");
	s.file = vmstat(m, "pgsteal_file");
	free(held);
	machine_destroy(m);
	return s;
}

/*
 * vm.swappiness balances anon against file in get_scan_count(): at 0 global
 * reclaim leaves anon alone while there is page cache to take, at 200 the
 * page cache is spared and anon goes to swap; 60 (anon 60 against file
 * 140, each list's size shifted right by the priority) stays nearer file.
 * Out of range is refused.
 */
static void test_swappiness_balance(void **state)
{
	struct steal s0, s60, s200;
	struct machine *m;
	struct mm_error e = { 0 };
	long v;

	(void)state;
	s0 = steal_at_swappiness(0);
	s60 = steal_at_swappiness(60);
	s200 = steal_at_swappiness(200);
	print_message("pgsteal anon/file: swappiness 0 %" PRIu64 "/%" PRIu64 ", 60 %" PRIu64
		      "/%" PRIu64 ", 200 %" PRIu64 "/%" PRIu64 "\n", s0.anon, s0.file, s60.anon,
		      s60.file, s200.anon, s200.file);
	assert_int_equal(s0.anon, 0);
	assert_true(s0.file > 0);
	assert_true(s200.anon > s200.file);
	assert_true(s60.anon <= s200.anon && s60.file >= s200.file);
	m = make("{\"mem_mib\":64,\"swappiness\":10}", NULL, NULL);
	assert_int_equal(mm_sysctl_vm_get(m, "swappiness", &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(mm_sysctl_vm_set(m, "swappiness", 201, &e), -EINVAL);
	assert_int_equal(mm_sysctl_vm_set(m, "swappiness", -1, &e), -EINVAL);
	assert_int_equal(mm_sysctl_vm_get(m, "swappiness", &v), 0);
	assert_int_equal(v, 10);
	machine_destroy(m);
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random allocations, frees, file reads and writes, anonymous writes and
 * reads over more memory than the machine has, with swap, and now and then a
 * fork whose child shares the pages and swap entries until it exits: the
 * invariant check after every step.
 */
static void test_random_pressure(void **state)
{
	struct machine *m = make("{\"mem_mib\":96,\"swap_mib\":32,\"seed\":7}", NULL, NULL);
	uint64_t seed = 0x2545f4914f6cdd1dULL, addr, held[4096];
	unsigned int nheld = 0;
	int child = 0;
	struct alloc_pages_result res;
	struct mm_file_io io;
	struct mm_error e;
	int pid;

	(void)state;
	assert_int_equal(mm_create_file(m, "a", 48 * MIB, NULL), 0);
	assert_int_equal(mm_create_file(m, "b", 24 * MIB, NULL), 0);
	assert_int_equal(mm_spawn(m, "p", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 40 * MIB, "rw-", &addr, NULL), 0);
	for (int step = 0; step < 1500; step++) {
		uint64_t x = next_rand(&seed), off = (x >> 8) % (40 * MIB);
		struct mm_translation t;

		if (x % 97 == 0) {	/* a child shares the anonymous pages and the swap entries */
			if (child)
				assert_int_equal(mm_exit(m, child, &e), 0);
			child = 0;
			if (mm_fork(m, pid, &child, &e))
				child = 0;
		}
		switch (x % 6) {
		case 0:
			if (nheld < 4096 && mm_alloc_pages(m, 0xcc0u, 0, -1, 0, &res, &e) == 0)
				held[nheld++] = res.pfn;
			break;
		case 1:
			if (nheld)
				assert_int_equal(mm_free_pages(m, held[--nheld], 0, 0, &e), 0);
			break;
		case 2:
			mm_read_file(m, 0, x & 64 ? "a" : "b", off % (24 * MIB), 512 * 1024, &io, &e);
			break;
		case 3:
			mm_write_file(m, 0, "b", off % (24 * MIB), 64 * 1024, &io, &e);
			break;
		default:	/* 64 pages from a random place of the anonymous area */
			for (uint64_t a = off & ~4095ULL; a < (off & ~4095ULL) + 64 * 4096ULL &&
			     a < 40 * MIB; a += 4096)
				mm_translate(m, 0, child && (x & 256) ? child : pid, addr + a,
					     x & 128 ? MM_ACCESS_WRITE : MM_ACCESS_READ, -1, &t, &e);
			break;
		}
		mm_kswapd_run(m);
		assert_clean(m);
	}
	/* the mix did reclaim, swap out and swap back in */
	assert_true(vmstat(m, "pswpout") > 0);
	assert_true(vmstat(m, "pswpin") > 0);
	assert_true(vmstat(m, "pgsteal_kswapd") + vmstat(m, "pgsteal_direct") > 0);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kswapd_low_to_high),
		cmocka_unit_test(test_direct_reclaim_priorities),
		cmocka_unit_test(test_dirty_written_before_freed),
		cmocka_unit_test(test_swap_out_and_in),
		cmocka_unit_test(test_swappiness_balance),
		cmocka_unit_test(test_workingset_refault),
		cmocka_unit_test(test_reclaim_shrinks_slab),
		cmocka_unit_test(test_random_pressure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
