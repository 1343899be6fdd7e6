/*
 * test_buddy_random.c - randomised alloc/free over all orders and several
 * gfp flag sets, pcp on and off, with the full self-check after every step.
 * The seed is fixed (MMLAB_SEED in the environment overrides it) and printed
 * on failure so that a run can be replayed. MMLAB_RANDOM_STEPS sets the
 * number of steps of each run (default NR_OPS): the sanitizer stage of
 * tests/run-all.sh runs fewer, as its check after every step costs 20 times
 * more there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlab.h"

#define NR_OPS		15000	/* per run; two runs (pcp on, pcp off) */
static unsigned long nr_ops = NR_OPS;
#define MAX_LIVE	4096

static const uint32_t gfp_choices[] = {
	0xcc0,		/* GFP_KERNEL */
	0x820,		/* GFP_ATOMIC */
	0x2800,		/* GFP_NOWAIT */
	0x100cca,	/* GFP_HIGHUSER_MOVABLE */
	0xcc0 | 0x10,	/* GFP_KERNEL|__GFP_RECLAIMABLE */
	0xcc0 | 0x1,	/* GFP_KERNEL|GFP_DMA */
	0xcc0 | 0x4,	/* GFP_KERNEL|GFP_DMA32 */
	0xcc0 | 0x40000 | 0x100, /* GFP_KERNEL|__GFP_COMP|__GFP_ZERO */
};

struct live {
	uint64_t pfn;
	unsigned int order;
};

static uint64_t seed;
static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void violation(void *ctx, const char *v)
{
	unsigned long step = *(unsigned long *)ctx;

	fail_msg("seed %llu step %lu: %s", (unsigned long long)seed, step, v);
}

static void random_run(bool pcp)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };
	struct live *live = calloc(MAX_LIVE, sizeof(*live));
	struct machine *m;
	unsigned long step, nr_live = 0, fails = 0;
	char *boot, *end;

	assert_non_null(live);
	machine_config_defaults(&cfg);
	cfg.mem_mib = 64;
	cfg.pcp = pcp;
	m = machine_create(&cfg, NULL, NULL, &e);
	assert_non_null(m);
	boot = proc_buddyinfo(m);
	for (step = 0; step < nr_ops; step++) {
		bool do_alloc = nr_live == 0 || (nr_live < MAX_LIVE && rnd() % 100 < 55);

		if (do_alloc) {
			uint32_t gfp = gfp_choices[rnd() % (sizeof(gfp_choices) / sizeof(gfp_choices[0]))];
			unsigned int order = rnd() % 4 ? (unsigned int)(rnd() % 4) :
					     (unsigned int)(rnd() % 11);
			struct alloc_pages_result res;
			int err = mm_alloc_pages(m, gfp, order, -1, (int)(rnd() % 2), &res, &e);

			if (err) {
				if (err != -ENOMEM)
					fail_msg("seed %llu step %lu: alloc error %d: %s",
						 (unsigned long long)seed, step, err, e.message);
				fails++;
			} else {
				if (res.pfn & ((1ULL << order) - 1))
					fail_msg("seed %llu step %lu: pfn 0x%llx not aligned to order %u",
						 (unsigned long long)seed, step,
						 (unsigned long long)res.pfn, order);
				if ((gfp & 0x1) && res.zone != ZONE_DMA)
					fail_msg("seed %llu step %lu: GFP_DMA from zone %d",
						 (unsigned long long)seed, step, res.zone);
				if ((gfp & 0x4) && res.pfn + (1ULL << order) > 0x100000)
					fail_msg("seed %llu step %lu: GFP_DMA32 above 4 GiB",
						 (unsigned long long)seed, step);
				live[nr_live].pfn = res.pfn;
				live[nr_live].order = order;
				nr_live++;
			}
		} else {
			unsigned long i = (unsigned long)(rnd() % nr_live);

			if (mm_free_pages(m, live[i].pfn, live[i].order, (int)(rnd() % 2), &e))
				fail_msg("seed %llu step %lu: free: %s", (unsigned long long)seed,
					 step, e.message);
			live[i] = live[--nr_live];
		}
		machine_check(m, violation, &step);
	}
	while (nr_live) {
		nr_live--;
		assert_int_equal(mm_free_pages(m, live[nr_live].pfn, live[nr_live].order, 0, &e), 0);
	}
	machine_check(m, violation, &step);
	if (pcp)
		mm_drain_all_pages(m);
	end = proc_buddyinfo(m);
	if (!pcp || strcmp(boot, end) != 0)
		if (strcmp(boot, end) != 0)
			fail_msg("seed %llu: buddyinfo after freeing everything differs:\n%s---\n%s",
				 (unsigned long long)seed, boot, end);
	assert_true(fails > 0);	/* the workload did reach exhaustion */
	free(boot);
	free(end);
	free(live);
	machine_destroy(m);
}

static void test_random_pcp_on(void **state)
{
	(void)state;
	rng_state = seed;
	random_run(true);
}

static void test_random_pcp_off(void **state)
{
	(void)state;
	rng_state = seed ^ 0x5555;
	random_run(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_pcp_on),
		cmocka_unit_test(test_random_pcp_off),
	};
	const char *s = getenv("MMLAB_SEED"), *steps = getenv("MMLAB_RANDOM_STEPS");

	seed = s ? strtoull(s, NULL, 0) : 20251125;
	if (steps && strtoul(steps, NULL, 0) > 0)
		nr_ops = strtoul(steps, NULL, 0);
	printf("test_buddy_random: seed %llu, %lu steps a run\n", (unsigned long long)seed, nr_ops);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
