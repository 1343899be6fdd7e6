/*
 * test_compaction_random.c - randomised migrate/compact workloads: processes
 * mapping, touching and unmapping anonymous memory, files read into the page
 * cache, kernel pages taken and given back, single pages migrated, whole
 * nodes compacted, high-order requests that go through direct compaction,
 * contiguous ranges taken and given back, time passing (the idle op, with
 * kcompactd's proactive checks on its timer), kswapd and kcompactd at the
 * end of each step. After every step: the machine's full self-check, and every
 * page a process mapped before the step is still mapped at the same address
 * with the same content tag (whatever frame it now sits in). Halfway, a
 * snapshot and a clone of the machine run the second half beside it and
 * must give the same events and /proc texts (replay, verify and fork). The
 * seed is fixed (MMLAB_SEED in the environment overrides it) and printed
 * on failure.
 */
#include "paging_test.h"
#include "engine/internal.h"

#define NR_STEPS	400
#define MAX_TRACK	256
#define MAX_KPAGES	4096

struct mapping {
	int pid;
	uint64_t addr;
	uint32_t content;
	bool live;
};

static uint64_t seed, rng_state;
static unsigned long step;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void violation(void *ctx, const char *v)
{
	(void)ctx;
	fail_msg("seed %llu step %lu: %s", (unsigned long long)seed, step, v);
}

/* The content tag of the page mapped at @addr, or 0 when nothing is mapped there. */
static uint32_t content_at(struct machine *m, int pid, uint64_t addr)
{
	struct mm_translation t;
	struct mm_folio_info fi;

	if (mm_pagetable_walk(m, pid, addr, &t, NULL) || t.fault)
		return 0;
	if (machine_folio_info(m, t.paddr >> 12, &fi))
		return 0;
	return fi.content;
}

struct state {
	struct machine *m;
	int pids[4];
	unsigned int nr_pids;
	struct mapping track[MAX_TRACK];
	unsigned int nr_track;
	uint64_t kpages[MAX_KPAGES];
	unsigned int nr_kpages;
	uint64_t contig_start, contig_nr;
};

static void track_range(struct state *s, int pid, uint64_t addr, uint64_t pages)
{
	for (uint64_t i = 0; i < pages && s->nr_track < MAX_TRACK; i += 1 + rnd() % 4) {
		struct mapping *t = &s->track[s->nr_track++];

		t->pid = pid;
		t->addr = addr + i * 4096;
		t->content = content_at(s->m, pid, t->addr);
		t->live = t->content != 0;
	}
}

static void one_step(struct state *s)
{
	struct machine *m = s->m;
	struct mm_access_summary sum;
	struct alloc_pages_result r;
	struct mm_file_io io;
	uint64_t addr, pfn, pages;
	int pid;

	switch (rnd() % 12) {
	case 0:		/* a process maps and touches memory */
		if (s->nr_pids < 4 && !mm_spawn(m, "w", &pid, NULL))
			s->pids[s->nr_pids++] = pid;
		if (!s->nr_pids)
			break;
		pid = s->pids[rnd() % s->nr_pids];
		pages = 256 + rnd() % 2048;
		if (mm_mmap(m, pid, 0, pages * 4096, "rw-", &addr, NULL))
			break;
		mm_access_range(m, 0, pid, addr, pages * 4096, 4096, MM_ACCESS_WRITE, false, pages,
				&sum, NULL);
		track_range(s, pid, addr, pages);
		break;
	case 1:		/* holes punched in a mapping: single pages unmapped */
		if (!s->nr_track)
			break;
		for (int k = 0; k < 16; k++) {
			struct mapping *t = &s->track[rnd() % s->nr_track];

			if (t->live && !mm_munmap(m, t->pid, t->addr, 4096, NULL))
				t->live = false;
		}
		break;
	case 2:		/* the page cache grows */
		mm_create_file(m, rnd() % 2 ? "a" : "b", 256 * 4096, NULL);
		mm_read_file(m, 0, rnd() % 2 ? "a" : "b", 0, (1 + rnd() % 256) * 4096, &io, NULL);
		break;
	case 3:		/* kernel pages taken */
		for (int k = 0; k < 256 && s->nr_kpages < MAX_KPAGES; k++)
			if (!mm_alloc_pages(m, 0xcc0, 0, -1, 0, &r, NULL))
				s->kpages[s->nr_kpages++] = r.pfn;
		break;
	case 4:		/* and given back, at random */
		for (int k = 0; k < 32 && s->nr_kpages; k++) {
			unsigned int i = (unsigned int)(rnd() % s->nr_kpages);

			assert_int_equal(mm_free_pages(m, s->kpages[i], 0, 0, NULL), 0);
			s->kpages[i] = s->kpages[--s->nr_kpages];
		}
		break;
	case 5:		/* one page migrated, whatever it is */
		for (int k = 0; k < 8; k++) {
			uint64_t new_pfn;

			pfn = rnd() % m->max_pfn;
			mm_migrate_pages(m, pfn, (int)(rnd() % m->nr_cpus), &new_pfn, NULL);
		}
		break;
	case 6:		/* echo 1 > /proc/sys/vm/compact_memory */
		assert_int_equal(mm_compact_memory(m, -1, 0, NULL), 0);
		break;
	case 7: {	/* high-order requests until one needs direct compaction, then freed */
		struct alloc_pages_result got[16];
		unsigned int n = 0, order = 5 + (unsigned int)(rnd() % 6);
		gfp_t gfp = rnd() % 2 ? 0xcc0 : 0x100cca;

		while (n < 16 && !mm_alloc_pages(m, gfp, order, -1, 0, &got[n], NULL))
			n++;
		while (n--)
			assert_int_equal(mm_free_pages(m, got[n].pfn, got[n].order, 0, NULL), 0);
		break;
	}
	case 8:		/* a contiguous range taken, or the one taken given back */
		if (s->contig_nr) {
			assert_int_equal(mm_free_contig_range(m, s->contig_start, s->contig_nr, 0,
							      NULL), 0);
			s->contig_nr = 0;
		} else {
			uint64_t nr = 1ULL << (rnd() % 10);

			if (!mm_alloc_contig_pages(m, nr, 0, 0, &s->contig_start, NULL))
				s->contig_nr = nr;
		}
		break;
	case 9:		/* the sysctls */
		mm_sysctl_vm_set(m, "compaction_proactiveness", (long)(rnd() % 3) * 20, NULL);
		mm_sysctl_vm_set(m, "extfrag_threshold", (long)(rnd() % 1001), NULL);
		break;
	case 10:	/* time passes: kcompactd's proactive checks come due */
		assert_int_equal(mm_idle(m, rnd() % 2001, NULL), 0);
		break;
	default:	/* a process goes */
		if (s->nr_pids > 1) {
			unsigned int i = (unsigned int)(rnd() % s->nr_pids);

			assert_int_equal(mm_exit(m, s->pids[i], NULL), 0);
			for (unsigned int t = 0; t < s->nr_track; t++)
				if (s->track[t].pid == s->pids[i])
					s->track[t].live = false;
			s->pids[i] = s->pids[--s->nr_pids];
		}
		break;
	}
	mm_exit_killed(m);
	mm_kswapd_run(m);	/* the end of an op: kswapd, then kcompactd */
}

struct digest {
	uint64_t h, events;
};

static void digest_event(void *ctx, const struct mm_event *ev)
{
	struct digest *d = ctx;
	const uint64_t words[] = { (uint64_t)ev->type, ev->pfn, (uint64_t)ev->value, ev->size,
				   (uint64_t)ev->order, ev->vaddr };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		d->h = (d->h ^ words[i]) * 0x100000001b3ULL;
	for (const char *c = ev->detail ? ev->detail : ""; *c; c++)
		d->h = (d->h ^ (uint8_t)*c) * 0x100000001b3ULL;
	d->events++;
}

static void run_steps(struct state *s, unsigned long from, unsigned long to, bool checks)
{
	struct machine *m = s->m;

	for (step = from; step < to; step++) {
		one_step(s);
		if (!checks)
			continue;
		if (machine_check(m, violation, NULL))
			fail_msg("seed %llu step %lu: the check failed", (unsigned long long)seed, step);
		for (unsigned int t = 0; t < s->nr_track; t++) {
			struct mapping *mp = &s->track[t];
			uint32_t now;

			if (!mp->live)
				continue;
			now = content_at(m, mp->pid, mp->addr);
			if (now != mp->content)
				fail_msg("seed %llu step %lu: pid %d 0x%llx had content %u, now %u",
					 (unsigned long long)seed, step, mp->pid,
					 (unsigned long long)mp->addr, mp->content, now);
		}
	}
}

static void assert_same_texts(const struct machine *a, const struct machine *b)
{
	char *(*const views[])(const struct machine *) = {
		proc_buddyinfo, proc_pagetypeinfo, proc_zoneinfo, proc_meminfo, proc_vmstat,
	};

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		char *x = views[i](a), *y = views[i](b);

		assert_non_null(x);
		assert_non_null(y);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
}

/*
 * Half the steps with the check after each, then a snapshot (save, load)
 * and a clone (fork) of the machine; the second half run on all three from
 * the same random stream gives the same events and the same /proc texts.
 */
static void test_random_workloads(void **state)
{
	const char *env = getenv("MMLAB_SEED");
	struct state *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b)),
		     *c = calloc(1, sizeof(*c));
	struct digest da = { 0xcbf29ce484222325ULL, 0 }, db, dc;
	struct mm_error e = { 0 };
	uint64_t rng_mid;
	void *buf;
	size_t len;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	seed = env ? strtoull(env, NULL, 0) : 20261202;
	rng_state = seed;
	a->m = make("{\"mem_mib\":96,\"cpus\":2}", digest_event, &da);
	run_steps(a, 0, NR_STEPS / 2, true);
	assert_int_equal(machine_save_mem(a->m, &buf, &len, &e), 0);
	*b = *a;
	b->m = machine_load_mem(buf, len, &e);
	if (!b->m)
		fail_msg("load: %s", e.message);
	free(buf);
	*c = *a;
	c->m = machine_clone(a->m);
	assert_non_null(c->m);
	da.h = 0xcbf29ce484222325ULL;
	da.events = 0;
	db = dc = da;
	machine_set_event_fn(b->m, digest_event, &db);
	machine_set_event_fn(c->m, digest_event, &dc);
	rng_mid = rng_state;
	run_steps(a, NR_STEPS / 2, NR_STEPS, true);
	print_message("migrated %llu, stalls %llu, successes %llu, kcompactd wakes %llu\n",
		      (unsigned long long)a->m->vm_events[PGMIGRATE_SUCCESS],
		      (unsigned long long)a->m->vm_events[COMPACTSTALL],
		      (unsigned long long)a->m->vm_events[COMPACTSUCCESS],
		      (unsigned long long)a->m->vm_events[KCOMPACTD_WAKE]);
	assert_true(a->m->vm_events[PGMIGRATE_SUCCESS] > 0);
	assert_true(a->m->vm_events[COMPACTSTALL] > 0);
	assert_true(a->m->vm_events[COMPACTMIGRATE_SCANNED] > 0);
	rng_state = rng_mid;
	run_steps(b, NR_STEPS / 2, NR_STEPS, false);
	rng_state = rng_mid;
	run_steps(c, NR_STEPS / 2, NR_STEPS, false);
	assert_true(da.events > 1000);
	assert_int_equal(db.events, da.events);
	assert_int_equal(db.h, da.h);
	assert_int_equal(dc.events, da.events);
	assert_int_equal(dc.h, da.h);
	assert_same_texts(a->m, b->m);
	assert_same_texts(a->m, c->m);
	machine_destroy(a->m);
	machine_destroy(b->m);
	machine_destroy(c->m);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_workloads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
