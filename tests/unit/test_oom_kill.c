/*
 * test_oom_kill.c - the OOM killer: the victim is the process oom_badness()
 * ranks first (RSS, page tables, oom_score_adj; OOM_SCORE_ADJ_MIN and init
 * never), its memory comes back and the allocation that ran out succeeds;
 * the requests __alloc_pages_may_oom() does not kill for (costly orders,
 * __GFP_NORETRY, __GFP_RETRY_MAYFAIL, the low zones, GFP_NOFS) fail without
 * a kill; a process that runs the machine out of memory itself is killed in
 * its own fault; /proc/PID/oom_score; swap entries count in the badness
 * (and show as VmSwap); a snapshot carries the kernel log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine_test.h"

#define GFP_KERNEL_TEXT		"GFP_KERNEL"

struct victims {
	int pid[16];
	unsigned int nr;
	unsigned int reaped;
	int kill_err;		/* what the allocation that killed returned */
};

static void on_event(void *ctx, const struct mm_event *ev)
{
	struct victims *v = ctx;

	if (ev->type == MM_EV_mark_victim && v->nr < 16)
		v->pid[v->nr++] = (int)ev->value;
	if (ev->type == MM_EV_finish_task_reaping)
		v->reaped++;
}

static gfp_t gfp(const char *text)
{
	gfp_t g;

	assert_int_equal(gfp_parse(text, &g, NULL), 0);
	return g;
}

static uint64_t user_pages(const struct machine *m)
{
	struct zone_info zi;
	uint64_t n = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (machine_zone_info(m, 0, z, &zi) == 0)
			n += zi.owner_pages[OWNER_USER];
	return n;
}

/* MemTotal of /proc/meminfo, in pages: totalram_pages(). */
static uint64_t totalram(const struct machine *m)
{
	char *text = proc_meminfo(m);
	unsigned long long kb = 0;

	assert_non_null(text);
	assert_int_equal(sscanf(strstr(text, "MemTotal:"), "MemTotal: %llu kB", &kb), 1);
	free(text);
	return kb / 4;
}

/* A process with @pages written pages of an anonymous mapping, touched on CPU 1. */
static int spawn_with(struct machine *m, const char *name, uint64_t pages, int adj)
{
	struct mm_access_summary s;
	struct mm_error e = { 0 };
	uint64_t addr;
	int pid;

	assert_int_equal(mm_spawn(m, name, &pid, &e), 0);
	if (pages) {
		assert_int_equal(mm_mmap(m, pid, 0, pages * 4096, "rw-", &addr, &e), 0);
		if (mm_access_range(m, 1, pid, addr, pages * 4096, 4096, MM_ACCESS_WRITE, false,
				    pages, &s, &e))
			fail_msg("touch: %s", e.message);
	}
	assert_int_equal(mm_set_oom_score_adj(m, pid, adj, &e), 0);
	return pid;
}

/*
 * The badness as mm/oom_kill.c computes it, from the process view: RSS,
 * page tables without the PGD, oom_score_adj in thousandths of the RAM.
 */
static long expected_badness(const struct machine *m, int pid, int adj)
{
	struct mm_process_info pi;

	for (unsigned int i = 0; mm_process_info(m, i, &pi) == 0; i++)
		if (pi.pid == pid)
			return (long)(pi.rss + pi.pgtables_pages - 1) +
			       adj * (long)(totalram(m) / 1000);
	fail_msg("no pid %d", pid);
	return 0;
}

static bool alive(const struct machine *m, int pid)
{
	struct mm_process_info pi;

	for (unsigned int i = 0; mm_process_info(m, i, &pi) == 0; i++)
		if (pi.pid == pid)
			return true;
	return false;
}

/* A line's number of kB in /proc/PID/status ("VmSwap:", "RssAnon:"). */
static uint64_t status_kb(const struct machine *m, int pid, const char *key)
{
	char *text = proc_pid_status(m, pid), *p;
	unsigned long long kb;

	assert_non_null(text);
	p = strstr(text, key);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(key), " %llu kB", &kb), 1);
	free(text);
	return kb;
}

static uint64_t vmstat_of(const struct machine *m, const char *name)
{
	char *text = proc_vmstat(m), key[64], *p;
	unsigned long long v;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(text, key);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(key), "%llu", &v), 1);
	free(text);
	return v;
}

/* Kernel allocations on CPU 0 (a kernel thread: no process is current) until one fails. */
static unsigned int exhaust(struct machine *m, gfp_t g, unsigned int order, struct victims *v)
{
	struct alloc_pages_result res;
	unsigned int n = 0, kills = v->nr;

	for (;;) {
		int err = mm_alloc_pages(m, g, order, -1, 0, &res, NULL);

		if (v->nr != kills) {
			v->kill_err = err;
			break;
		}
		if (err)
			break;
		n++;
	}
	return n;
}

static void test_victim_is_worst_badness(void **state)
{
	struct victims v = { 0 };
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":2}", on_event, &v);
	struct alloc_pages_result res;
	struct mm_error e = { 0 };
	int init, a, b, c, d, want;
	uint64_t before;
	char *log;

	(void)state;
	init = spawn_with(m, "init", 8, 0);
	a = spawn_with(m, "small", 100, 0);
	b = spawn_with(m, "big", 1200, 0);
	c = spawn_with(m, "biggest", 2400, OOM_SCORE_ADJ_MIN);
	d = spawn_with(m, "adjusted", 300, 500);
	assert_int_equal(init, 1);
	assert_true(expected_badness(m, d, 500) > expected_badness(m, b, 0));
	assert_true(expected_badness(m, b, 0) > expected_badness(m, a, 0));
	assert_clean(m);

	/* Exhaust: the allocation that runs out kills d, gets d's memory, and succeeds. */
	exhaust(m, gfp(GFP_KERNEL_TEXT), 0, &v);
	assert_int_equal(v.nr, 1);
	want = d;
	assert_int_equal(v.pid[0], want);
	assert_int_equal(v.kill_err, 0);
	assert_int_equal(v.reaped, 1);
	assert_int_equal(mm_oom_kill_count(m), 1);
	mm_exit_killed(m);
	assert_false(alive(m, d));
	assert_clean(m);

	/* Next: b (not c, the largest, which OOM_SCORE_ADJ_MIN protects), then a. */
	exhaust(m, gfp(GFP_KERNEL_TEXT), 0, &v);
	assert_int_equal(v.nr, 2);
	assert_int_equal(v.pid[1], b);
	assert_int_equal(v.kill_err, 0);
	mm_exit_killed(m);
	before = user_pages(m);
	exhaust(m, gfp(GFP_KERNEL_TEXT), 0, &v);
	assert_int_equal(v.pid[2], a);
	assert_true(user_pages(m) < before);	/* a's pages went back */
	mm_exit_killed(m);
	assert_clean(m);

	/* Nobody left but init and c: the request fails, nothing is killed. */
	exhaust(m, gfp(GFP_KERNEL_TEXT), 0, &v);
	assert_int_equal(mm_alloc_pages(m, gfp(GFP_KERNEL_TEXT), 0, -1, 0, &res, &e), -ENOMEM);
	assert_non_null(strstr(e.message, "no killable process"));
	assert_int_equal(v.nr, 3);
	assert_true(alive(m, init) && alive(m, c));
	assert_int_equal(mm_oom_kill_count(m), 3);
	assert_int_equal(vmstat_of(m, "oom_kill"), 3);

	log = oom_dmesg(m);
	assert_non_null(strstr(log, "swapper/0 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), "
				    "order=0, oom_score_adj=0"));
	assert_non_null(strstr(log, "Out of memory: Killed process 5 (adjusted) total-vm:1332kB, "
				    "anon-rss:1200kB, file-rss:0kB, shmem-rss:0kB, UID:0 "
				    "pgtables:12kB oom_score_adj:500"));
	assert_non_null(strstr(log, "Out of memory and no killable processes..."));
	free(log);
	assert_clean(m);
	machine_destroy(m);
}

/* Equal badness: the later task of the list wins (oom_evaluate_task() keeps ">="). */
static void test_tie_goes_to_later_task(void **state)
{
	struct victims v = { 0 };
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":2}", on_event, &v);
	int p, q;

	(void)state;
	spawn_with(m, "init", 8, 0);
	p = spawn_with(m, "first", 100, 0);
	q = spawn_with(m, "second", 100, 0);
	assert_int_equal(expected_badness(m, p, 0), expected_badness(m, q, 0));
	exhaust(m, gfp(GFP_KERNEL_TEXT), 0, &v);
	assert_int_equal(v.nr, 1);
	assert_int_equal(v.pid[0], q);
	mm_exit_killed(m);
	assert_clean(m);
	machine_destroy(m);
}

/* A flag that __alloc_pages_may_oom() does not kill for: exhausted, nobody dies. */
static void no_oom_for(const char *flags, unsigned int order)
{
	struct victims v = { 0 };
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":2}", on_event, &v);
	int pid;

	spawn_with(m, "init", 8, 0);
	pid = spawn_with(m, "victim", 1000, 0);
	exhaust(m, gfp(flags), order, &v);
	if (v.nr)
		fail_msg("%s order %u killed pid %d", flags, order, v.pid[0]);
	assert_true(alive(m, pid));
	assert_int_equal(mm_oom_kill_count(m), 0);
	/* The same machine does kill for a GFP_KERNEL page: the setup could OOM. */
	exhaust(m, gfp(GFP_KERNEL_TEXT), 0, &v);
	assert_int_equal(v.nr, 1);
	assert_int_equal(v.pid[0], pid);
	mm_exit_killed(m);
	assert_clean(m);
	machine_destroy(m);
}

static void test_no_oom_costly_order(void **state)
{
	(void)state;
	no_oom_for(GFP_KERNEL_TEXT, 4);
}

static void test_no_oom_noretry(void **state)
{
	(void)state;
	no_oom_for("GFP_KERNEL|__GFP_NORETRY", 0);
}

static void test_no_oom_retry_mayfail(void **state)
{
	(void)state;
	no_oom_for("GFP_KERNEL|__GFP_RETRY_MAYFAIL", 0);
}

static void test_no_oom_dma32(void **state)
{
	(void)state;
	no_oom_for("GFP_KERNEL|__GFP_DMA32", 0);
}

static void test_no_oom_nofs(void **state)
{
	(void)state;
	no_oom_for("GFP_NOFS", 0);
}

/* The process that runs memory out is the worst: it dies in its own fault, its memory returns. */
static void test_current_is_victim(void **state)
{
	struct victims v = { 0 };
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":2}", on_event, &v);
	struct mm_access_summary s;
	struct mm_error e = { 0 };
	uint64_t addr, pages = 256 * 256;
	int hog, small;

	(void)state;
	spawn_with(m, "init", 8, 0);
	small = spawn_with(m, "small", 50, 0);
	assert_int_equal(mm_spawn(m, "hog", &hog, &e), 0);
	assert_int_equal(mm_mmap(m, hog, 0, pages * 4096, "rw-", &addr, &e), 0);
	assert_int_not_equal(mm_access_range(m, 1, hog, addr, pages * 4096, 4096, MM_ACCESS_WRITE,
					     false, pages, &s, &e), 0);
	assert_int_equal(v.nr, 1);
	assert_int_equal(v.pid[0], hog);
	assert_int_equal(v.reaped, 0);		/* it frees its memory by exiting */
	assert_true(user_pages(m) > 1000);
	mm_exit_killed(m);
	assert_false(alive(m, hog));
	assert_true(alive(m, small));
	assert_int_equal(user_pages(m), 58);
	assert_clean(m);
	machine_destroy(m);
}

/* /proc/PID/oom_score: (1000 + badness * 1000 / totalpages) * 2 / 3, 0 when unkillable. */
static void test_oom_score(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":2}", NULL, NULL);
	struct mm_oom_info oi;
	struct mm_error e = { 0 };
	long total, badness;
	int init, a, b;
	char *text;

	(void)state;
	init = spawn_with(m, "init", 8, 0);
	a = spawn_with(m, "a", 2000, 0);
	b = spawn_with(m, "b", 10, OOM_SCORE_ADJ_MIN);
	total = (long)totalram(m);
	badness = expected_badness(m, a, 0);
	assert_int_equal(mm_oom_info(m, a, &oi), 0);
	assert_int_equal(oi.badness, badness);
	text = proc_pid_oom_score(m, a);
	assert_int_equal(strtol(text, NULL, 10), (1000 + badness * 1000 / total) * 2 / 3);
	free(text);
	text = proc_pid_oom_score(m, b);
	assert_string_equal(text, "0\n");
	free(text);
	text = proc_pid_oom_score(m, init);
	assert_string_equal(text, "0\n");
	free(text);
	text = proc_pid_oom_score_adj(m, b);
	assert_string_equal(text, "-1000\n");
	free(text);
	assert_int_equal(mm_set_oom_score_adj(m, a, 1001, &e), -EINVAL);
	assert_int_equal(mm_set_oom_score_adj(m, 99, 0, &e), -ESRCH);
	assert_null(proc_pid_oom_score(m, 99));
	machine_destroy(m);
}

/*
 * oom_badness() counts swap entries (MM_SWAPENTS) with the RSS: the older
 * process, whose pages reclaim swapped out first, has the smaller RSS once
 * swap is full, but the larger RSS + swap, and it is the victim.
 * /proc/PID/status shows its swap as VmSwap.
 */
static void test_swap_counts_in_badness(void **state)
{
	struct victims v = { 0 };
	struct machine *m = make("{\"mem_mib\":128,\"swap_mib\":16,\"cpus\":2}", on_event, &v);
	struct alloc_pages_result res;
	struct mm_oom_info oa, ob;
	uint64_t swapped;
	int a, b;

	(void)state;
	spawn_with(m, "init", 8, 0);
	b = spawn_with(m, "swapped", 8000, 0);
	a = spawn_with(m, "resident", 6000, 0);
	assert_int_equal(status_kb(m, b, "VmSwap:"), 0);
	/* kernel pages until swap is full, short of an OOM kill */
	while (vmstat_of(m, "pswpout") < 4095 &&
	       mm_alloc_pages(m, gfp(GFP_KERNEL_TEXT), 0, -1, 0, &res, NULL) == 0)
		mm_kswapd_run(m);
	assert_int_equal(v.nr, 0);
	assert_clean(m);
	swapped = status_kb(m, b, "VmSwap:") / 4;
	assert_true(swapped > 3000);
	assert_true(status_kb(m, b, "VmSwap:") > status_kb(m, a, "VmSwap:"));
	assert_true(status_kb(m, b, "RssAnon:") < status_kb(m, a, "RssAnon:"));
	assert_int_equal(mm_oom_info(m, a, &oa), 0);
	assert_int_equal(mm_oom_info(m, b, &ob), 0);
	/* badness: RSS + swap + page tables; b's swap puts it above a */
	assert_int_equal(ob.badness, expected_badness(m, b, 0) + (long)swapped);
	assert_int_equal(oa.badness, expected_badness(m, a, 0) +
				     (long)(status_kb(m, a, "VmSwap:") / 4));
	assert_true(expected_badness(m, b, 0) < expected_badness(m, a, 0));
	assert_true(ob.badness > oa.badness);
	exhaust(m, gfp(GFP_KERNEL_TEXT), 0, &v);
	assert_int_equal(v.nr, 1);
	assert_int_equal(v.pid[0], b);
	assert_int_equal(vmstat_of(m, "oom_kill"), 1);
	mm_exit_killed(m);
	assert_true(alive(m, a));
	assert_clean(m);
	machine_destroy(m);
}

/* A snapshot and a clone carry the log, the count and the victims' marks. */
static void test_snapshot_carries_oom(void **state)
{
	struct victims v = { 0 };
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":2}", on_event, &v);
	struct machine *c, *l;
	struct mm_error e = { 0 };
	char *a, *b, *d;
	void *buf;
	size_t len;

	(void)state;
	spawn_with(m, "init", 8, 0);
	spawn_with(m, "x", 500, 0);
	exhaust(m, gfp(GFP_KERNEL_TEXT), 0, &v);
	assert_int_equal(v.nr, 1);
	assert_int_equal(machine_save_mem(m, &buf, &len, &e), 0);
	l = machine_load_mem(buf, len, &e);
	free(buf);
	assert_non_null(l);
	c = machine_clone(m);
	assert_non_null(c);
	a = oom_dmesg(m);
	b = oom_dmesg(l);
	d = oom_dmesg(c);
	assert_true(strlen(a) > 100);
	assert_string_equal(a, b);
	assert_string_equal(a, d);
	assert_int_equal(mm_oom_kill_count(l), 1);
	assert_int_equal(mm_oom_kill_count(c), 1);
	assert_clean(l);
	mm_exit_killed(l);
	mm_exit_killed(c);
	mm_exit_killed(m);
	assert_int_equal(machine_check(l, fail_violation, NULL), 0);
	free(a);
	free(b);
	free(d);
	machine_destroy(l);
	machine_destroy(c);
	machine_destroy(m);
}

/*** Randomised: processes, kernel allocations and kills, checked after every step ***/

struct world {
	struct machine *m;
	struct victims v;
	uint64_t rng;
	uint64_t kernel[4096];		/* pfns of kernel pages held */
	unsigned int nr_kernel;
};

static uint64_t next_rand(struct world *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

/* The pid oom_badness() ranks first now (a later pid on a tie), 0 when none may die. */
static int worst(const struct machine *m)
{
	struct mm_process_info pi;
	struct mm_oom_info oi;
	long best = 0;
	int pid = 0;

	for (unsigned int i = 0; mm_process_info(m, i, &pi) == 0; i++) {
		long points;

		assert_int_equal(mm_oom_info(m, pi.pid, &oi), 0);
		if (pi.pid == 1 || oi.oom_score_adj == OOM_SCORE_ADJ_MIN)
			continue;
		points = (long)(pi.rss + pi.pgtables_pages - 1) +
			 oi.oom_score_adj * (long)(totalram(m) / 1000);
		if (!pid || points >= best) {
			best = points;
			pid = pi.pid;
		}
	}
	return pid;
}

static int random_pid(struct world *w)
{
	struct mm_process_info pi;
	unsigned int n = 0, k;

	while (mm_process_info(w->m, n, &pi) == 0)
		n++;
	if (!n)
		return 0;
	k = (unsigned int)(next_rand(w) % n);
	mm_process_info(w->m, k, &pi);
	return pi.pid;
}

static void step_spawn(struct world *w)
{
	static const int adjs[] = { 0, 0, 0, 300, -300, 1000, OOM_SCORE_ADJ_MIN };
	int pid;

	if (mm_spawn(w->m, "proc", &pid, NULL) == 0)
		mm_set_oom_score_adj(w->m, pid, adjs[next_rand(w) % 7], NULL);
}

static void step_touch(struct world *w)
{
	struct mm_access_summary s;
	uint64_t pages = 1 + next_rand(w) % 2048, addr;
	int pid = random_pid(w);

	if (pid && mm_mmap(w->m, pid, 0, pages * 4096, "rw-", &addr, NULL) == 0)
		mm_access_range(w->m, 1, pid, addr, pages * 4096, 4096, MM_ACCESS_WRITE, false,
				pages, &s, NULL);
}

/* Kernel pages until @n or a failure; the first kill is of the worst process. */
static void step_kernel(struct world *w, uint64_t seed)
{
	struct alloc_pages_result res;
	unsigned int n = (unsigned int)(next_rand(w) % 2048), kills = w->v.nr;
	int want = worst(w->m);

	for (unsigned int i = 0; i < n && w->nr_kernel < 4096; i++) {
		if (mm_alloc_pages(w->m, gfp("GFP_KERNEL"), 0, -1, 0, &res, NULL))
			break;
		w->kernel[w->nr_kernel++] = res.pfn;
		if (w->v.nr != kills)
			break;
	}
	if (w->v.nr != kills && w->v.pid[kills % 16] != want)
		fail_msg("seed %llu: killed pid %d, oom_badness ranks pid %d first",
			 (unsigned long long)seed, w->v.pid[kills % 16], want);
}

static void step_free(struct world *w)
{
	unsigned int n = w->nr_kernel ? (unsigned int)(next_rand(w) % w->nr_kernel) : 0;

	while (n--)
		assert_int_equal(mm_free_pages(w->m, w->kernel[--w->nr_kernel], 0, 0, NULL), 0);
}

static void step_exit(struct world *w)
{
	int pid = random_pid(w);

	if (pid > 1)
		assert_int_equal(mm_exit(w->m, pid, NULL), 0);
}

static void test_random_oom(void **state)
{
	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct world *w = calloc(1, sizeof(*w));

		(void)state;
		w->rng = seed * 0x9e3779b97f4a7c15ULL;
		w->m = make("{\"mem_mib\":64,\"cpus\":2}", on_event, &w->v);
		spawn_with(w->m, "init", 4, 0);
		for (unsigned int i = 0; i < 300; i++) {
			switch (next_rand(w) % 6) {
			case 0: step_spawn(w); break;
			case 1: case 2: step_touch(w); break;
			case 3: step_kernel(w, seed); break;
			case 4: step_free(w); break;
			default: step_exit(w); break;
			}
			w->v.nr %= 16;
			mm_exit_killed(w->m);	/* the op's end */
			if (machine_check(w->m, fail_violation, NULL))
				fail_msg("seed %llu step %u", (unsigned long long)seed, i);
		}
		assert_true(mm_oom_kill_count(w->m) > 0);
		machine_destroy(w->m);
		free(w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_victim_is_worst_badness),
		cmocka_unit_test(test_tie_goes_to_later_task),
		cmocka_unit_test(test_no_oom_costly_order),
		cmocka_unit_test(test_no_oom_noretry),
		cmocka_unit_test(test_no_oom_retry_mayfail),
		cmocka_unit_test(test_no_oom_dma32),
		cmocka_unit_test(test_no_oom_nofs),
		cmocka_unit_test(test_current_is_victim),
		cmocka_unit_test(test_oom_score),
		cmocka_unit_test(test_swap_counts_in_badness),
		cmocka_unit_test(test_snapshot_carries_oom),
		cmocka_unit_test(test_random_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
