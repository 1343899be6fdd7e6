/*
 * test_vmlayout.c - the regions of mm_vmlayout(): mm.rst's layout for 4 and
 * 5 levels, in order and disjoint, and the bytes each page size maps in
 * them as other views count them: meminfo's DirectMap lines for the direct
 * map, a vmalloc's pages for the vmalloc space, nothing before the kernel's
 * tables are built.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine_test.h"

static const char *const names[] = {
	"user", "non_canonical", "hypervisor_hole", "ldt_remap", "direct_map", "vmalloc",
	"vmemmap", "cpu_entry_area", "espfix", "efi", "kernel_text", "modules", "fixmap",
};

static const struct mm_vm_region *find(const struct mm_vm_region *r, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(r[i].name, name))
			return &r[i];
	fail_msg("no region %s", name);
	return NULL;
}

static int layout_of(const struct machine *m, struct mm_vm_region *r)
{
	int n = mm_vmlayout(m, r, MM_VMLAYOUT_MAX);

	assert_int_equal(n, (int)(sizeof(names) / sizeof(names[0])));
	for (int i = 0; i < n; i++) {
		assert_string_equal(r[i].name, names[i]);
		assert_true(r[i].start < r[i].end);
		if (i)
			assert_true(r[i - 1].end <= r[i].start);
	}
	return n;
}

static uint64_t meminfo_kb(const struct machine *m, const char *key)
{
	char *text = proc_meminfo(m), *at;
	unsigned long long kb = 0;

	assert_non_null(text);
	at = strstr(text, key);
	assert_non_null(at);
	assert_int_equal(sscanf(at + strlen(key), ": %llu kB", &kb), 1);
	free(text);
	return kb;
}

static void test_four_levels(void **state)
{
	struct machine *m = make("{\"mem_mib\":4096}", NULL, NULL);
	struct mm_vm_region r[MM_VMLAYOUT_MAX];
	int n = layout_of(m, r);
	const struct mm_vm_region *dm = find(r, n, "direct_map");

	(void)state;
	assert_int_equal(dm->start, 0xffff888000000000ULL);
	assert_int_equal(dm->end - dm->start, 64ULL << 40);
	assert_int_equal(find(r, n, "user")->end, 0x00007ffffffff000ULL);
	assert_int_equal(find(r, n, "vmalloc")->start, 0xffffc90000000000ULL);
	assert_int_equal(find(r, n, "fixmap")->end, 0xffffffffff7ff000ULL);
	assert_int_equal(dm->mapped[0], meminfo_kb(m, "DirectMap4k") * 1024);
	assert_int_equal(dm->mapped[1], meminfo_kb(m, "DirectMap2M") * 1024);
	assert_int_equal(dm->mapped[2], meminfo_kb(m, "DirectMap1G") * 1024);
	assert_true(find(r, n, "kernel_text")->mapped[1] > 0);
	assert_int_equal(find(r, n, "user")->mapped[0], 0);
	machine_destroy(m);
}

static void test_vmalloc_pages(void **state)
{
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	struct mm_vm_region r[MM_VMLAYOUT_MAX];
	struct mm_error e = { 0 };
	uint64_t addr, before;
	int n = layout_of(m, r);

	(void)state;
	before = find(r, n, "vmalloc")->mapped[0];
	assert_int_equal(mm_vmalloc(m, 5 * 4096, 0, NULL, &addr, &e), 0);
	n = layout_of(m, r);
	assert_int_equal(find(r, n, "vmalloc")->mapped[0], before + 5 * 4096);
	assert_int_equal(find(r, n, "vmalloc")->mapped[1] + find(r, n, "vmalloc")->mapped[2], 0);
	assert_clean(m);
	machine_destroy(m);
}

static void test_five_levels(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"paging_levels\":5}", NULL, NULL);
	struct mm_vm_region r[MM_VMLAYOUT_MAX];
	int n = layout_of(m, r);

	(void)state;
	assert_int_equal(find(r, n, "user")->end, 0x00fffffffffff000ULL);
	assert_int_equal(find(r, n, "non_canonical")->start, 1ULL << 56);
	assert_int_equal(find(r, n, "direct_map")->start, 0xff11000000000000ULL);
	assert_int_equal(find(r, n, "vmalloc")->end - 1, 0xffd1ffffffffffffULL);
	assert_true(find(r, n, "direct_map")->mapped[0] + find(r, n, "direct_map")->mapped[1] +
		    find(r, n, "direct_map")->mapped[2] > 0);
	machine_destroy(m);
}

static void test_nothing_mapped_at_power_on(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"start\":\"poweron\"}", NULL, NULL);
	struct mm_vm_region r[MM_VMLAYOUT_MAX];
	int n = layout_of(m, r);

	(void)state;
	for (int i = 0; i < n; i++)
		assert_int_equal(r[i].mapped[0] + r[i].mapped[1] + r[i].mapped[2], 0);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_four_levels),
		cmocka_unit_test(test_vmalloc_pages),
		cmocka_unit_test(test_five_levels),
		cmocka_unit_test(test_nothing_mapped_at_power_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
