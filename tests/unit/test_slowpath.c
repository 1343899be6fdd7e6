/*
 * test_slowpath.c - what a refused page allocation means: the steps of
 * __alloc_pages_slowpath() (mm/page_alloc.c) the kernel would take instead,
 * whether __alloc_pages_may_oom() would call the OOM killer, and the
 * reserves __GFP_NOFAIL opens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mmlab.h"
#include "tests/unit/machine_test.h"

#define GFP_KERNEL		0xcc0u
#define GFP_ATOMIC		0x820u
#define GFP_DMA32		0x4u
#define __GFP_MOVABLE		0x8u
#define __GFP_RETRY_MAYFAIL	0x4000u
#define __GFP_NOFAIL		0x8000u
#define __GFP_NORETRY		0x10000u
#define __GFP_THISNODE		0x200000u
#define GFP_HIGHUSER_MOVABLE	0x100ccau

/* The plan's step names joined by spaces. */
static const char *steps(gfp_t gfp, unsigned int order, struct mm_slowpath *sp)
{
	static char buf[256];
	size_t pos = 0;

	mm_alloc_slowpath(gfp, order, SLOWPATH_WHY_NO_MEMORY, sp);
	buf[0] = 0;
	for (unsigned int i = 0; i < sp->nr_steps; i++)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%s", i ? " " : "",
					mm_slowpath_step_name(sp->steps[i]));
	return buf;
}

/* A small GFP_KERNEL request is never failed: reclaim, retry, then the OOM killer. */
static void test_kernel_order0_reaches_oom(void **state)
{
	struct mm_slowpath sp;

	(void)state;
	assert_string_equal(steps(GFP_KERNEL, 0, &sp),
			    "wake_all_kswapds direct_reclaim direct_compact should_reclaim_retry oom");
	assert_false(sp.kernel_fails);
	assert_non_null(strstr(sp.message, "invoke the OOM killer"));
	assert_non_null(strstr(sp.message, "does not fail"));
	/* order 2 unmovable: compaction is tried before reclaim */
	assert_string_equal(steps(GFP_KERNEL, 2, &sp),
			    "wake_all_kswapds direct_compact direct_reclaim direct_compact "
			    "should_reclaim_retry oom");
	/* order 2 movable: no compaction first */
	assert_string_equal(steps(GFP_HIGHUSER_MOVABLE, 2, &sp),
			    "wake_all_kswapds direct_reclaim direct_compact should_reclaim_retry oom");
	assert_false(sp.kernel_fails);
}

/* GFP_ATOMIC cannot sleep: it wakes kswapd and fails, as in the kernel. */
static void test_atomic_fails(void **state)
{
	struct mm_slowpath sp;

	(void)state;
	assert_string_equal(steps(GFP_ATOMIC, 0, &sp), "wake_all_kswapds");
	assert_true(sp.kernel_fails);
	assert_non_null(strstr(sp.message, "no __GFP_DIRECT_RECLAIM"));
}

/* Above PAGE_ALLOC_COSTLY_ORDER: one round, no retry, no OOM killer. */
static void test_costly_order(void **state)
{
	struct mm_slowpath sp;

	(void)state;
	assert_string_equal(steps(GFP_KERNEL, 4, &sp),
			    "wake_all_kswapds direct_compact direct_reclaim direct_compact");
	assert_true(sp.kernel_fails);
	assert_non_null(strstr(sp.message, "PAGE_ALLOC_COSTLY_ORDER"));
	/* __GFP_RETRY_MAYFAIL retries, but the OOM killer does not help a costly order */
	assert_string_equal(steps(GFP_KERNEL | __GFP_RETRY_MAYFAIL, 4, &sp),
			    "wake_all_kswapds direct_compact direct_reclaim direct_compact "
			    "should_reclaim_retry");
	assert_true(sp.kernel_fails);
	assert_false(mm_slowpath_may_oom(GFP_KERNEL, 4));
	assert_true(mm_slowpath_may_oom(GFP_KERNEL, 3));
}

/* __GFP_NORETRY, __GFP_RETRY_MAYFAIL, __GFP_THISNODE and low zones keep away from the OOM killer. */
static void test_flags_that_fail(void **state)
{
	struct mm_slowpath sp;

	(void)state;
	assert_string_equal(steps(GFP_KERNEL | __GFP_NORETRY, 0, &sp),
			    "wake_all_kswapds direct_reclaim direct_compact");
	assert_true(sp.kernel_fails);
	assert_non_null(strstr(sp.message, "__GFP_NORETRY"));
	assert_string_equal(steps(GFP_KERNEL | __GFP_RETRY_MAYFAIL, 0, &sp),
			    "wake_all_kswapds direct_reclaim direct_compact should_reclaim_retry");
	assert_true(sp.kernel_fails);
	steps(GFP_KERNEL | __GFP_THISNODE, 0, &sp);
	assert_true(sp.kernel_fails);
	steps(GFP_KERNEL | GFP_DMA32, 0, &sp);
	assert_true(sp.kernel_fails);
	assert_non_null(strstr(sp.message, "low zones"));
}

/* __GFP_NOFAIL loops where any other request would fail. */
static void test_nofail_loops(void **state)
{
	struct mm_slowpath sp;

	(void)state;
	assert_string_equal(steps(GFP_KERNEL | __GFP_NOFAIL | __GFP_NORETRY, 0, &sp),
			    "wake_all_kswapds direct_reclaim direct_compact nofail_retry");
	assert_false(sp.kernel_fails);
	assert_non_null(strstr(sp.message, "loop forever"));
	steps(GFP_KERNEL | GFP_DMA32 | __GFP_NOFAIL, 0, &sp);
	assert_false(sp.kernel_fails);
	/* without direct reclaim the kernel cannot honour it */
	steps(GFP_ATOMIC | __GFP_NOFAIL, 0, &sp);
	assert_true(sp.kernel_fails);
}

/*
 * The engine honours __GFP_NOFAIL: where GFP_KERNEL stops at the min
 * watermark, GFP_KERNEL|__GFP_NOFAIL reaches __alloc_pages_may_oom()'s
 * ALLOC_NO_WATERMARKS attempt and succeeds. The refusal of the GFP_KERNEL
 * request carries the plan.
 */
static void test_engine_nofail_and_refusal(void **state)
{
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct alloc_pages_result res;
	struct mm_error e = { 0 };
	struct mm_slowpath sp;
	int n = 0;

	(void)state;
	while (mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL) == 0)
		;
	assert_int_equal(mm_alloc_pages_sp(m, GFP_KERNEL, 0, -1, 0, &res, &e, &sp), -ENOMEM);
	assert_false(sp.kernel_fails);
	assert_int_equal(sp.steps[sp.nr_steps - 1], SLOWPATH_OOM);
	while (mm_alloc_pages(m, GFP_KERNEL | __GFP_NOFAIL, 0, -1, 0, &res, NULL) == 0)
		n++;
	assert_true(n > 10);
	assert_int_equal(mm_alloc_pages_sp(m, GFP_KERNEL | __GFP_NOFAIL, 0, -1, 0, &res, &e, &sp),
			 -ENOMEM);
	assert_int_equal(sp.steps[sp.nr_steps - 1], SLOWPATH_OOM);
	assert_false(sp.kernel_fails);
	/* an injected failure never reaches the slow path */
	machine_fail_nth_alloc(m, 1);
	assert_int_equal(mm_alloc_pages_sp(m, GFP_KERNEL, 0, -1, 0, &res, &e, &sp), -ENOMEM);
	assert_int_equal(sp.nr_steps, 0);
	assert_true(sp.kernel_fails);
	assert_clean(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_order0_reaches_oom),
		cmocka_unit_test(test_atomic_fails),
		cmocka_unit_test(test_costly_order),
		cmocka_unit_test(test_flags_that_fail),
		cmocka_unit_test(test_nofail_loops),
		cmocka_unit_test(test_engine_nofail_and_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
