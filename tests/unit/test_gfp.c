/*
 * test_gfp.c - gfp_t parsing, printing, gfp_zone() and gfp_migratetype().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "mmlab.h"

static gfp_t parse(const char *s)
{
	struct mm_error e = { 0 };
	gfp_t g = 0;

	assert_int_equal(gfp_parse(s, &g, &e), 0);
	return g;
}

static void test_values_match_the_kernel(void **state)
{
	(void)state;
	assert_int_equal(parse("GFP_KERNEL"), 0xcc0);
	assert_int_equal(parse("GFP_ATOMIC"), 0x820);
	assert_int_equal(parse("GFP_NOWAIT"), 0x2800);
	assert_int_equal(parse("GFP_USER"), 0x100cc0);
	assert_int_equal(parse("GFP_HIGHUSER_MOVABLE"), 0x100cca);
	assert_int_equal(parse("GFP_DMA"), 0x1);
	assert_int_equal(parse("__GFP_DMA32"), 0x4);
	assert_int_equal(parse("GFP_KERNEL|__GFP_ZERO"), 0xdc0);
	assert_int_equal(parse(" GFP_KERNEL | __GFP_COMP "), 0x40cc0);
	assert_int_equal(parse("__GFP_NOWARN|__GFP_RECLAIMABLE|__GFP_MOVABLE|__GFP_HIGH"),
			 0x2000 | 0x10 | 0x8 | 0x20);
	assert_int_equal(parse("0x400"), 0x400);
}

static void test_unknown_names_are_einval(void **state)
{
	struct mm_error e = { 0 };
	gfp_t g;

	(void)state;
	assert_int_equal(gfp_parse("GFP_KERNAL", &g, &e), -EINVAL);
	assert_non_null(strstr(e.message, "GFP_KERNAL"));
	assert_int_equal(gfp_parse("GFP_KERNEL||__GFP_ZERO", &g, &e), -EINVAL);
	assert_int_equal(gfp_parse("", &g, &e), -EINVAL);
	assert_int_equal(gfp_parse("GFP_KERNEL __GFP_ZERO", &g, &e), -EINVAL);
}

static void test_format_like_tracepoints(void **state)
{
	char buf[128];

	(void)state;
	gfp_format(0xcc0, buf, sizeof(buf));
	assert_string_equal(buf, "GFP_KERNEL");
	gfp_format(0xdc0, buf, sizeof(buf));
	assert_string_equal(buf, "GFP_KERNEL|__GFP_ZERO");
	gfp_format(0x100cca, buf, sizeof(buf));
	assert_string_equal(buf, "GFP_HIGHUSER_MOVABLE");
	gfp_format(0x820, buf, sizeof(buf));
	assert_string_equal(buf, "GFP_ATOMIC");
	gfp_format(0x1 | 0xcc0, buf, sizeof(buf));
	assert_string_equal(buf, "GFP_KERNEL|GFP_DMA");
	gfp_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	gfp_format(0x200, buf, sizeof(buf));
	assert_string_equal(buf, "0x200");
}

static void test_round_trip(void **state)
{
	static const char *const names[] = {
		"GFP_KERNEL", "GFP_ATOMIC", "GFP_NOWAIT", "GFP_USER", "GFP_HIGHUSER_MOVABLE",
		"GFP_KERNEL|__GFP_ZERO|__GFP_COMP", "GFP_DMA32", "GFP_KERNEL|__GFP_RECLAIMABLE",
	};
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		gfp_t g = parse(names[i]);

		gfp_format(g, buf, sizeof(buf));
		assert_int_equal(parse(buf), g);
	}
}

static void test_gfp_zone(void **state)
{
	(void)state;
	assert_int_equal(gfp_zone(parse("GFP_KERNEL")), ZONE_NORMAL);
	assert_int_equal(gfp_zone(parse("GFP_DMA")), ZONE_DMA);
	assert_int_equal(gfp_zone(parse("GFP_KERNEL|GFP_DMA32")), ZONE_DMA32);
	assert_int_equal(gfp_zone(parse("GFP_HIGHUSER_MOVABLE")), ZONE_MOVABLE);
	assert_int_equal(gfp_zone(parse("GFP_USER|__GFP_MOVABLE")), ZONE_NORMAL);
	assert_int_equal(gfp_zone(parse("__GFP_DMA|__GFP_DMA32")), -EINVAL);
}

static void test_gfp_migratetype(void **state)
{
	(void)state;
	assert_int_equal(gfp_migratetype(parse("GFP_KERNEL")), MIGRATE_UNMOVABLE);
	assert_int_equal(gfp_migratetype(parse("GFP_HIGHUSER_MOVABLE")), MIGRATE_MOVABLE);
	assert_int_equal(gfp_migratetype(parse("GFP_KERNEL|__GFP_RECLAIMABLE")),
			 MIGRATE_RECLAIMABLE);
	assert_int_equal(gfp_migratetype(parse("__GFP_RECLAIMABLE|__GFP_MOVABLE")), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_match_the_kernel),
		cmocka_unit_test(test_unknown_names_are_einval),
		cmocka_unit_test(test_format_like_tracepoints),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_gfp_zone),
		cmocka_unit_test(test_gfp_migratetype),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
