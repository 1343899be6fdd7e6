/*
 * test_tlb_policy.c - the three TLB replacement policies told apart by what
 * they do (engine/mmu.c, tlb_victim_ways() and tlb_touch()), not by their
 * names: a cyclic sweep one page larger than a set misses every time under
 * lru and fifo (each evicts the page needed next) and hits often under
 * random; a page used again before a fill is kept by lru, evicted by fifo,
 * and kept or evicted by random depending on the seed.
 */
#include "paging_test.h"

/* One set of 4 ways in the L1 for 4 KiB pages, no STLB to fall back on. */
static struct machine *one_set(const char *policy, unsigned int seed)
{
	char cfg[256];

	snprintf(cfg, sizeof(cfg), "{\"mem_mib\":256,\"seed\":%u,\"tlb\":{\"l1_4k\":{\"entries\":4,"
		 "\"ways\":4},\"stlb\":{\"entries\":0,\"ways\":1},\"policy\":\"%s\"}}", seed, policy);
	return make(cfg, NULL, NULL);
}

static bool l1_hit(struct machine *m, uint64_t va)
{
	struct mm_translation t;
	struct mm_error e = { 0 };

	if (mm_translate(m, 0, MM_PID_CURRENT, va, MM_ACCESS_READ, 0, &t, &e))
		fail_msg("translate: %s", e.message);
	return t.tlb == MM_TLB_L1_HIT;
}

/* L1 hits of 200 rounds over 5 vmalloc pages, in order, through 4 ways. */
static unsigned int cyclic_hits(const char *policy, unsigned int seed)
{
	struct machine *m = one_set(policy, seed);
	unsigned int hits = 0;
	uint64_t area;

	assert_int_equal(mm_vmalloc(m, 5 * 4096, 0, NULL, &area, NULL), 0);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_ALL, 0, 0, NULL), 0);
	for (int round = 0; round < 200; round++)
		for (int page = 0; page < 5; page++)
			hits += l1_hit(m, area + (uint64_t)page * 4096);
	assert_clean(m);
	machine_destroy(m);
	return hits;
}

static void test_cyclic_sweep(void **state)
{
	(void)state;
	assert_int_equal(cyclic_hits("lru", 1), 0);
	assert_int_equal(cyclic_hits("fifo", 1), 0);
	for (unsigned int seed = 1; seed <= 4; seed++) {
		unsigned int hits = cyclic_hits("random", seed);

		/* A random victim is the page needed next one time in four. */
		if (hits < 200 || hits > 900)
			fail_msg("random, seed %u: %u hits of 1000", seed, hits);
	}
}

/* A, B, C, D fill the set, A is used again, E comes: is A still there? */
static bool keeps_reused(const char *policy, unsigned int seed)
{
	struct machine *m = one_set(policy, seed);
	uint64_t area;
	bool kept;

	assert_int_equal(mm_vmalloc(m, 5 * 4096, 0, NULL, &area, NULL), 0);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_ALL, 0, 0, NULL), 0);
	for (int page = 0; page < 4; page++)
		assert_false(l1_hit(m, area + (uint64_t)page * 4096));
	assert_true(l1_hit(m, area));
	assert_false(l1_hit(m, area + 4 * 4096));
	kept = l1_hit(m, area);
	assert_clean(m);
	machine_destroy(m);
	return kept;
}

static void test_reused_page(void **state)
{
	unsigned int kept = 0, seeds = 32;

	(void)state;
	assert_true(keeps_reused("lru", 1));
	assert_false(keeps_reused("fifo", 1));
	for (unsigned int seed = 1; seed <= seeds; seed++)
		kept += keeps_reused("random", seed);
	/* Each of the 4 ways is the victim with some seed: A goes about a quarter of the time. */
	if (kept == 0 || kept == seeds)
		fail_msg("random kept the reused page with %u of %u seeds", kept, seeds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cyclic_sweep),
		cmocka_unit_test(test_reused_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
