/*
 * test_config.c - the machine configuration parser (engine/config.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmlab.h"

static void test_defaults(void **state)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };

	(void)state;
	assert_int_equal(machine_config_parse(&cfg, NULL, 0, &e), 0);
	assert_int_equal(cfg.mem_mib, 4096);
	assert_int_equal(cfg.nodes, 1);
	assert_int_equal(cfg.cpus, 2);
	assert_int_equal(cfg.paging_levels, 4);
	assert_true(cfg.gbpages);
	assert_int_equal(cfg.max_order, 10);
	assert_true(cfg.pcp);
	assert_int_equal(cfg.tlb.l1_4k.entries, 64);
	assert_int_equal(cfg.tlb.l1_4k.ways, 4);
	assert_int_equal(cfg.tlb.l1_2m.entries, 32);
	assert_int_equal(cfg.tlb.l1_1g.entries, 4);
	assert_int_equal(cfg.tlb.stlb.entries, 1536);
	assert_int_equal(cfg.tlb.stlb.ways, 12);
	assert_int_equal(cfg.tlb.policy, TLB_POLICY_LRU);
	assert_int_equal(cfg.start, MACHINE_START_BOOTED);
	assert_int_equal(cfg.seed, 1);
	assert_null(cfg.layout_zoneinfo);
	machine_config_release(&cfg);
}

static void test_overrides(void **state)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };
	const char *json = "{\"mem_mib\":256,\"nodes\":2,\"cpus\":4,\"paging_levels\":5,"
			   "\"gbpages\":false,\"max_order\":8,\"pcp\":false,"
			   "\"tlb\":{\"l1_4k\":{\"entries\":0},\"policy\":\"random\"},"
			   "\"start\":\"poweron\",\"seed\":42}";

	(void)state;
	assert_int_equal(machine_config_parse(&cfg, json, 0, &e), 0);
	assert_int_equal(cfg.mem_mib, 256);
	assert_int_equal(cfg.nodes, 2);
	assert_int_equal(cfg.cpus, 4);
	assert_int_equal(cfg.paging_levels, 5);
	assert_false(cfg.gbpages);
	assert_int_equal(cfg.max_order, 8);
	assert_false(cfg.pcp);
	assert_int_equal(cfg.tlb.l1_4k.entries, 0);
	assert_int_equal(cfg.tlb.l1_2m.entries, 32);	/* untouched keys keep defaults */
	assert_int_equal(cfg.tlb.policy, TLB_POLICY_RANDOM);
	assert_int_equal(cfg.start, MACHINE_START_POWERON);
	assert_int_equal(cfg.seed, 42);
	machine_config_release(&cfg);
}

/* Each bad config fails with -EINVAL and a message that names the problem. */
static void test_errors(void **state)
{
	static const struct {
		const char *json;
		const char *expect;
	} cases[] = {
		{ "{\"mem_mb\":100}", "mem_mb" },
		{ "{\"mem_mib\":32}", "mem_mib" },
		{ "{\"mem_mib\":\"4096\"}", "mem_mib must be an integer" },
		{ "{\"mem_mib\":100000000}", "too large for this host" },
		{ "{\"nodes\":0}", "nodes" },
		{ "{\"nodes\":4,\"mem_mib\":128}", "each of the 4 nodes" },
		{ "{\"paging_levels\":3}", "paging_levels" },
		{ "{\"max_order\":11}", NULL },
		{ "{\"max_order\":13}", "max_order" },
		{ "{\"gbpages\":1}", "gbpages must be true or false" },
		{ "{\"tlb\":{\"l1_4k\":{\"entries\":6,\"ways\":4}}}", "multiple of ways" },
		{ "{\"tlb\":{\"stlb\":{\"entries\":24,\"ways\":4}}}", "power of two" },
		{ "{\"tlb\":{\"l3\":{}}}", "unknown key tlb.l3" },
		{ "{\"tlb\":{\"policy\":\"lfu\"}}", "tlb.policy" },
		{ "{\"start\":\"warm\"}", "start" },
		{ "{\"layout\":\"mac\"}", "layout" },
		{ "[1,2]", "JSON object" },
		{ "{\"mem_mib\":", "not valid JSON" },
		{ "{\"seed\":1,\"seed\":2}", "not valid JSON" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct machine_config cfg;
		struct mm_error e = { 0 };
		int err = machine_config_parse(&cfg, cases[i].json, 1u << 20, &e);

		if (!cases[i].expect) {
			assert_int_equal(err, 0);
			machine_config_release(&cfg);
			continue;
		}
		if (err != -EINVAL || !strstr(e.message, cases[i].expect))
			fail_msg("config %s: got %d \"%s\", expected EINVAL with \"%s\"",
				 cases[i].json, err, e.message, cases[i].expect);
	}
}

static void test_layout_and_round_trip(void **state)
{
	struct machine_config cfg, again;
	struct mm_error e = { 0 };
	char *json, *json2;

	(void)state;
	assert_int_equal(machine_config_parse(&cfg,
		"{\"layout\":\"Node 0, zone      DMA\\n  pages free 1\\n\",\"cpus\":3}", 0, &e), 0);
	assert_non_null(cfg.layout_zoneinfo);
	json = machine_config_to_json(&cfg);
	assert_non_null(json);
	assert_int_equal(machine_config_parse(&again, json, 0, &e), 0);
	json2 = machine_config_to_json(&again);
	assert_string_equal(json, json2);
	assert_int_equal(again.cpus, 3);
	assert_string_equal(again.layout_zoneinfo, cfg.layout_zoneinfo);
	free(json);
	free(json2);
	machine_config_release(&cfg);
	machine_config_release(&again);
}

static void test_event_names(void **state)
{
	(void)state;
	assert_string_equal(mm_event_type_name(MM_EV_mm_page_alloc), "mm_page_alloc");
	assert_int_equal(mm_event_type_from_name("triple_fault"), MM_EV_triple_fault);
	assert_int_equal(mm_event_type_from_name("no_such_event"), MM_EV_NONE);
	assert_null(mm_event_type_name(MM_EV_NR_TYPES));
	for (int t = MM_EV_NONE + 1; t < MM_EV_NR_TYPES; t++)
		assert_int_equal(mm_event_type_from_name(mm_event_type_name(t)), t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_layout_and_round_trip),
		cmocka_unit_test(test_event_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
