/*
 * test_memcontrol.c - memory cgroups: every group's memory.current equals
 * the pages its processes hold (randomised, with the invariant check after
 * every step); a group at memory.max kills inside the group only, the
 * process that hit the limit or another of its group, while a process
 * outside keeps every page; memory.events and the kernel log say so;
 * snapshots and clones carry the groups.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine_test.h"

struct victims {
	int pid[64];
	unsigned int nr;
	unsigned int reclaims;		/* mm_vmscan_memcg_reclaim_end events */
	uint64_t reclaimed;		/* their nr_reclaimed */
	unsigned int reclaims_at_first_kill;
};

static void on_event(void *ctx, const struct mm_event *ev)
{
	struct victims *v = ctx;

	if (ev->type == MM_EV_mark_victim && v->nr < 64) {
		if (!v->nr)
			v->reclaims_at_first_kill = v->reclaims;
		v->pid[v->nr++] = (int)ev->value;
	}
	if (ev->type == MM_EV_mm_vmscan_memcg_reclaim_end) {
		v->reclaims++;
		v->reclaimed += (uint64_t)ev->value;
	}
}

static int spawn_in(struct machine *m, const char *name, const char *memcg)
{
	struct mm_error e = { 0 };
	int pid;

	assert_int_equal(mm_spawn(m, name, &pid, &e), 0);
	if (mm_memcg_attach(m, pid, memcg, &e))
		fail_msg("attach: %s", e.message);
	return pid;
}

/* Write @pages pages of a new mapping of @pid on CPU 1; the access's result. */
static int touch(struct machine *m, int pid, uint64_t pages)
{
	struct mm_access_summary s;
	struct mm_error e = { 0 };
	uint64_t addr;

	assert_int_equal(mm_mmap(m, pid, 0, pages * 4096, "rw-", &addr, &e), 0);
	return mm_access_range(m, 1, pid, addr, pages * 4096, 4096, MM_ACCESS_WRITE, false, pages,
			       &s, &e);
}

static struct mm_process_info proc(const struct machine *m, int pid)
{
	struct mm_process_info pi;

	for (unsigned int i = 0; mm_process_info(m, i, &pi) == 0; i++)
		if (pi.pid == pid)
			return pi;
	memset(&pi, 0, sizeof(pi));
	return pi;
}

static struct mm_memcg_info group(const struct machine *m, const char *name)
{
	struct mm_memcg_info mi;

	for (unsigned int i = 0; mm_memcg_info(m, i, &mi) == 0; i++)
		if (!strcmp(mi.name, name))
			return mi;
	fail_msg("no group %s", name);
	return mi;
}

/* A group at its limit kills inside the group only; the process outside is untouched. */
static void test_group_oom_stays_inside(void **state)
{
	struct victims v = { 0 };
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":2}", on_event, &v);
	struct mm_memcg_info mi;
	struct mm_error e = { 0 };
	int a, b, outside;
	uint32_t id;
	char *text;

	(void)state;
	spawn_in(m, "init", "/");
	assert_int_equal(mm_memcg_create(m, "box", 1000, &id, &e), 0);
	outside = spawn_in(m, "outside", "/");
	assert_int_equal(touch(m, outside, 3000), 0);
	a = spawn_in(m, "a", "box");
	b = spawn_in(m, "b", "box");
	assert_int_equal(touch(m, a, 600), 0);
	assert_int_equal(touch(m, b, 300), 0);
	mi = group(m, "box");
	assert_int_equal(mi.current, 900);
	assert_int_equal(mi.anon, 900);
	assert_clean(m);

	/* b asks for 200 more: a, the group's worst, dies; its charges go; b goes on. */
	assert_int_equal(touch(m, b, 200), 0);
	assert_int_equal(v.nr, 1);
	assert_int_equal(v.pid[0], a);
	mm_exit_killed(m);
	mi = group(m, "box");
	assert_int_equal(mi.current, 500);
	assert_int_equal(mi.events[3], 1);		/* oom */
	assert_int_equal(mi.events[4], 1);		/* oom_kill */
	assert_true(mi.events[2] >= 1);			/* max */
	assert_int_equal(mi.peak, 1000);
	assert_int_equal(proc(m, outside).rss_anon, 3000);
	assert_clean(m);

	/* b alone runs past the limit: it is killed in its own fault. */
	assert_int_not_equal(touch(m, b, 800), 0);
	assert_int_equal(v.nr, 2);
	assert_int_equal(v.pid[1], b);
	mm_exit_killed(m);
	assert_int_equal(group(m, "box").current, 0);
	assert_int_equal(proc(m, outside).rss_anon, 3000);
	assert_int_equal(mm_oom_kill_count(m), 2);
	assert_clean(m);

	text = oom_dmesg(m);
	assert_non_null(strstr(text, "memory: usage 4000kB, limit 4000kB, failcnt "));
	assert_non_null(strstr(text, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
				     "cpuset=/,mems_allowed=0,oom_memcg=/box,task_memcg=/box,task=a,"));
	assert_non_null(strstr(text, "Memory cgroup out of memory: Killed process 3 (a)"));
	assert_null(strstr(text, "(outside)"));	/* not even a candidate */
	free(text);
	/* memory.events: max counts every pass of the charge's retry loop at the limit. */
	text = memcg_file_text(m, "box", "memory.events");
	mi = group(m, "box");
	{
		char want[160];

		snprintf(want, sizeof(want), "low 0\nhigh 0\nmax %llu\noom 2\noom_kill 2\n"
			 "oom_group_kill 0\nsock_throttled 0\n", (unsigned long long)mi.events[2]);
		assert_string_equal(text, want);
		assert_true(mi.events[2] >= 2 * 17);	/* MAX_RECLAIM_RETRIES + 1 before each OOM */
	}
	free(text);
	text = memcg_file_text(m, "box", "memory.max");
	assert_string_equal(text, "4096000\n");
	free(text);
	machine_destroy(m);
}

static uint64_t file_pages(const struct machine *m, const char *name)
{
	struct mm_file_info fi;

	for (unsigned int i = 0; mm_file_info(m, i, &fi) == 0; i++)
		if (!strcmp(fi.name, name))
			return fi.nrpages;
	fail_msg("no file %s", name);
	return 0;
}

/*
 * At its limit a group first reclaims its own page cache (the root's stays),
 * and only when nothing is left to reclaim inside it (no swap) kills inside it.
 */
static void test_group_reclaims_then_kills(void **state)
{
	struct victims v = { 0 };
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":2}", on_event, &v);
	struct mm_file_io io;
	struct mm_memcg_info mi;
	struct mm_error e = { 0 };
	uint64_t outside_cache;
	int a, outside;
	uint32_t id;

	(void)state;
	spawn_in(m, "init", "/");
	assert_int_equal(mm_memcg_create(m, "box", 1000, &id, &e), 0);
	outside = spawn_in(m, "outside", "/");
	a = spawn_in(m, "a", "box");
	assert_int_equal(mm_create_file(m, "mine", 600 * 4096, &e), 0);
	assert_int_equal(mm_create_file(m, "theirs", 2000 * 4096, &e), 0);
	assert_int_equal(mm_read_file(m, outside, "theirs", 0, 2000 * 4096, &io, &e), 0);
	assert_int_equal(touch(m, outside, 1000), 0);
	outside_cache = file_pages(m, "theirs");
	assert_int_equal(outside_cache, 2000);
	assert_int_equal(mm_read_file(m, a, "mine", 0, 600 * 4096, &io, &e), 0);
	mi = group(m, "box");
	assert_int_equal(mi.file, 600);
	assert_int_equal(mi.current, 600);
	assert_true(mi.lru[2] + mi.lru[3] == 600);	/* on the group's own file lists */
	assert_clean(m);

	/* 800 anonymous pages: the group gives up page cache, nobody dies. */
	assert_int_equal(touch(m, a, 800), 0);
	mi = group(m, "box");
	assert_true(v.reclaims > 0 && v.reclaimed >= 400);
	assert_int_equal(v.nr, 0);
	assert_int_equal(mi.anon, 800);
	assert_true(mi.file <= 200);
	assert_true(mi.current <= 1000);
	assert_int_equal(file_pages(m, "theirs"), outside_cache);
	assert_clean(m);

	/* 500 more: the page cache is gone, there is no swap: the group OOM kills a. */
	assert_int_not_equal(touch(m, a, 500), 0);
	assert_int_equal(v.nr, 1);
	assert_int_equal(v.pid[0], a);
	assert_true(v.reclaims_at_first_kill > 0);
	mm_exit_killed(m);
	mi = group(m, "box");
	assert_int_equal(mi.events[4], 1);
	assert_int_equal(mi.anon, 0);
	assert_int_equal(proc(m, outside).rss_anon, 1000);
	assert_int_equal(file_pages(m, "theirs"), outside_cache);
	assert_clean(m);
	machine_destroy(m);
}

/* No group process may be killed: the charge fails, nobody outside dies. */
static void test_group_without_victims(void **state)
{
	struct victims v = { 0 };
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":2}", on_event, &v);
	struct mm_error e = { 0 };
	int a, outside;
	uint32_t id;

	(void)state;
	spawn_in(m, "init", "/");
	outside = spawn_in(m, "outside", "/");
	assert_int_equal(touch(m, outside, 100), 0);
	assert_int_equal(mm_memcg_create(m, "box", 50, &id, &e), 0);
	a = spawn_in(m, "a", "box");
	assert_int_equal(mm_set_oom_score_adj(m, a, OOM_SCORE_ADJ_MIN, &e), 0);
	assert_int_equal(touch(m, a, 80), -ENOMEM);
	assert_int_equal(v.nr, 0);
	assert_int_equal(group(m, "box").current, 50);
	assert_int_equal(proc(m, outside).rss_anon, 100);
	assert_clean(m);
	machine_destroy(m);
}

static void test_create_and_attach_refusals(void **state)
{
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct mm_error e = { 0 };
	uint32_t id;
	int pid;

	(void)state;
	assert_int_equal(mm_memcg_create(m, "a", UINT64_MAX, &id, &e), 0);
	assert_int_equal(id, 1);
	assert_int_equal(mm_memcg_create(m, "a", 10, &id, &e), -EEXIST);
	assert_int_equal(mm_memcg_create(m, "..", 10, &id, &e), -EINVAL);
	assert_int_equal(mm_memcg_create(m, "a/b", 10, &id, &e), -EINVAL);
	assert_int_equal(mm_memcg_create(m, "", 10, &id, &e), -EINVAL);
	assert_int_equal(mm_spawn(m, "p", &pid, &e), 0);
	assert_int_equal(mm_memcg_attach(m, pid, "nope", &e), -ENOENT);
	assert_int_equal(mm_memcg_attach(m, 99, "a", &e), -ESRCH);
	assert_null(memcg_file_text(m, "a", "memory.nope"));
	assert_null(memcg_file_text(m, "nope", "memory.max"));
	{
		char *t = memcg_file_text(m, "a", "memory.max");

		assert_string_equal(t, "max\n");
		free(t);
	}
	machine_destroy(m);
}

/*** Randomised: groups, processes in them, faults, exits, kernel pressure ***/

struct world {
	struct machine *m;
	struct victims v;
	uint64_t rng;
	uint64_t kernel[8192];
	unsigned int nr_kernel, nr_groups;
};

static uint64_t next_rand(struct world *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static int random_pid(struct world *w)
{
	struct mm_process_info pi;
	unsigned int n = 0;

	while (mm_process_info(w->m, n, &pi) == 0)
		n++;
	if (n < 2)
		return 0;
	mm_process_info(w->m, 1 + (unsigned int)(next_rand(w) % (n - 1)), &pi);
	return pi.pid;
}

/* memory.current of each group against the RSS of its processes, counted apart. */
static void check_charges(struct world *w, uint64_t seed, unsigned int step)
{
	struct mm_memcg_info mi;

	for (unsigned int g = 0; mm_memcg_info(w->m, g, &mi) == 0; g++) {
		struct mm_process_info pi;
		struct mm_oom_info oi;
		uint64_t rss = 0;

		for (unsigned int i = 0; mm_process_info(w->m, i, &pi) == 0; i++) {
			assert_int_equal(mm_oom_info(w->m, pi.pid, &oi), 0);
			if (oi.memcg_id == mi.id)
				rss += pi.rss_anon;
		}
		if (rss + mi.file != mi.current || mi.anon != rss || mi.current > mi.max)
			fail_msg("seed %llu step %u: %s has memory.current %llu (max %llu), its "
				 "processes %llu resident pages, its page cache %llu",
				 (unsigned long long)seed, step, mi.name,
				 (unsigned long long)mi.current, (unsigned long long)mi.max,
				 (unsigned long long)rss, (unsigned long long)mi.file);
	}
}

static void step(struct world *w)
{
	static const char *const names[] = { "g0", "g1", "g2", "g3" };
	struct alloc_pages_result res;
	struct mm_error e = { 0 };
	uint32_t id;
	int pid;

	switch (next_rand(w) % 9) {
	case 7: {
		struct mm_drop_caches_result dc;

		if (next_rand(w) % 4 == 0) {
			mm_drop_caches(w->m, 1, &dc, NULL);
			break;
		}
		if ((pid = random_pid(w))) {
			struct mm_file_io io;
			char name[8];

			snprintf(name, sizeof(name), "f%u", (unsigned int)(next_rand(w) % 4));
			mm_create_file(w->m, name, 2048 * 4096, NULL);
			mm_read_file(w->m, pid, name, (next_rand(w) % 1024) * 4096,
				     (1 + next_rand(w) % 1024) * 4096, &io, NULL);
		}
		break;
	}
	case 8:
		if ((pid = random_pid(w))) {
			struct mm_file_io io;

			mm_create_file(w->m, "w", 0, NULL);
			mm_write_file(w->m, pid, "w", (next_rand(w) % 512) * 4096,
				      (1 + next_rand(w) % 256) * 4096, &io, NULL);
		}
		break;
	case 0:
		if (w->nr_groups < 4 && mm_memcg_create(w->m, names[w->nr_groups],
							200 + next_rand(w) % 3000, &id, &e) == 0)
			w->nr_groups++;
		break;
	case 1:
		if (mm_spawn(w->m, "p", &pid, NULL) == 0 && w->nr_groups)
			mm_memcg_attach(w->m, pid, names[next_rand(w) % (w->nr_groups + 1) %
						   w->nr_groups], NULL);
		break;
	case 2: case 3:
		if ((pid = random_pid(w)))
			touch(w->m, pid, 1 + next_rand(w) % 1500);
		break;
	case 4:
		if ((pid = random_pid(w)))
			mm_exit(w->m, pid, NULL);
		break;
	case 5:
		for (unsigned int n = (unsigned int)(next_rand(w) % 3000); n-- && w->nr_kernel < 8192;) {
			if (mm_alloc_pages(w->m, 0xcc0, 0, -1, 0, &res, NULL))
				break;
			w->kernel[w->nr_kernel++] = res.pfn;
		}
		break;
	default:
		for (unsigned int n = (unsigned int)(next_rand(w) % (w->nr_kernel + 1)); n--;)
			mm_free_pages(w->m, w->kernel[--w->nr_kernel], 0, 0, NULL);
		break;
	}
}

static void test_random_charges_equal_pages(void **state)
{
	uint64_t group_kills = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct world *w = calloc(1, sizeof(*w));
		struct mm_memcg_info mi;

		w->rng = seed * 0x9e3779b97f4a7c15ULL;
		w->m = make(seed % 2 ? "{\"mem_mib\":64,\"cpus\":2}" :
			    "{\"mem_mib\":64,\"cpus\":2,\"swap_mib\":16}", on_event, &w->v);
		spawn_in(w->m, "init", "/");
		for (unsigned int i = 0; i < 250; i++) {
			step(w);
			w->v.nr %= 64;
			mm_exit_killed(w->m);		/* the op's end */
			if (machine_check(w->m, fail_violation, NULL))
				fail_msg("seed %llu step %u", (unsigned long long)seed, i);
			check_charges(w, seed, i);
		}
		for (unsigned int g = 0; mm_memcg_info(w->m, g, &mi) == 0; g++)
			group_kills += mi.events[4];
		assert_true(w->nr_groups > 0);
		machine_destroy(w->m);
		free(w);
	}
	assert_true(group_kills > 0);	/* the groups did reach their limits */
}

/* A snapshot and a clone carry the groups, their counters and the pages' ids. */
static void test_snapshot_carries_groups(void **state)
{
	struct machine *m = make("{\"mem_mib\":128,\"cpus\":2}", NULL, NULL);
	struct mm_error e = { 0 };
	struct machine *l, *c;
	uint32_t id;
	void *buf;
	size_t len;
	int pid;

	(void)state;
	spawn_in(m, "init", "/");
	assert_int_equal(mm_memcg_create(m, "box", 400, &id, &e), 0);
	pid = spawn_in(m, "p", "box");
	assert_int_equal(touch(m, pid, 300), 0);
	assert_int_equal(machine_save_mem(m, &buf, &len, &e), 0);
	l = machine_load_mem(buf, len, &e);
	free(buf);
	assert_non_null(l);
	c = machine_clone(m);
	assert_non_null(c);
	assert_int_equal(group(l, "box").current, 300);
	assert_int_equal(group(c, "box").current, 300);
	assert_clean(l);
	assert_clean(c);
	/* The loaded machine goes on charging where the original would. */
	assert_int_equal(touch(l, pid, 50), 0);
	assert_int_equal(touch(m, pid, 50), 0);
	assert_int_equal(group(l, "box").current, group(m, "box").current);
	assert_clean(l);
	machine_destroy(l);
	machine_destroy(c);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_oom_stays_inside),
		cmocka_unit_test(test_group_reclaims_then_kills),
		cmocka_unit_test(test_group_without_victims),
		cmocka_unit_test(test_create_and_attach_refusals),
		cmocka_unit_test(test_random_charges_equal_pages),
		cmocka_unit_test(test_snapshot_carries_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
