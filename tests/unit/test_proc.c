/*
 * test_proc.c - the /proc views have the kernel's line shapes: each line is
 * compared with the corresponding line of a real Linux 6.18 file, digits
 * aside (numbers may have other widths only where the kernel pads them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlab.h"

#ifndef MMLAB_TEST_DATA
#define MMLAB_TEST_DATA "tests/data"
#endif

static char *read_text(const char *name)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/proc-linux-6.18/%s", MMLAB_TEST_DATA, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A line's shape: every run of spaces and digits that ends in a digit becomes '#'. */
static void shape(const char *line, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < len && o + 1 < cap) {
		size_t j = i;

		while (j < len && (line[j] == ' ' || isdigit((unsigned char)line[j])))
			j++;
		while (j > i && line[j - 1] == ' ')
			j--;
		if (j > i) {
			out[o++] = '#';
			i = j;
		} else {
			out[o++] = line[i++];
		}
	}
	out[o] = '\0';
}

static struct machine *make(const char *json)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };
	struct machine *m;

	assert_int_equal(machine_config_parse(&cfg, json, 0, &e), 0);
	m = machine_create(&cfg, NULL, NULL, &e);
	machine_config_release(&cfg);
	assert_non_null(m);
	return m;
}

/* Every line of @ours has the shape of the same line in the real file. */
static void same_shapes(const char *ours, const char *real)
{
	const char *a = ours, *b = real;
	char sa[512], sb[512];
	int line = 1;

	while (*a && *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');

		assert_non_null(ea);
		assert_non_null(eb);
		shape(a, (size_t)(ea - a), sa, sizeof(sa));
		shape(b, (size_t)(eb - b), sb, sizeof(sb));
		if (strcmp(sa, sb))
			fail_msg("line %d:\n ours: %.*s\n real: %.*s", line, (int)(ea - a), a,
				 (int)(eb - b), b);
		a = ea + 1;
		b = eb + 1;
		line++;
	}
	assert_int_equal(*a, *b);
}

static void test_buddyinfo(void **state)
{
	struct machine *m = make("{\"mem_mib\":4096}");
	char *ours = proc_buddyinfo(m), *real = read_text("buddyinfo");

	(void)state;
	same_shapes(ours, real);
	/* the DMA zone of a freshly booted PC is exactly the real one */
	assert_memory_equal(ours, real, strchr(real, '\n') - real);
	free(ours);
	free(real);
	machine_destroy(m);
}

/* Column widths: a number must end where the real file's number ends. */
static void same_columns(const char *ours, const char *real)
{
	const char *a = ours, *b = real;

	while (*a && *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');

		assert_int_equal(ea - a, eb - b);
		a = ea + 1;
		b = eb + 1;
	}
}

static void test_pagetypeinfo(void **state)
{
	struct machine *m = make("{\"mem_mib\":4096}");
	char *ours = proc_pagetypeinfo(m), *real = read_text("pagetypeinfo");

	(void)state;
	same_shapes(ours, real);
	same_columns(ours, real);
	assert_non_null(strstr(ours, "Node 0, zone      DMA            0            8            0"));
	free(ours);
	free(real);
	machine_destroy(m);
}

static void test_zoneinfo(void **state)
{
	struct machine *m = make("{\"mem_mib\":4096}");
	char *ours = proc_zoneinfo(m), *real = read_text("zoneinfo");

	(void)state;
	same_shapes(ours, real);
	assert_non_null(strstr(ours, "\n  pages free     3840\n"));
	assert_non_null(strstr(ours, "\n        spanned  4095\n        present  3998\n        managed  3840\n"));
	assert_non_null(strstr(ours, "\n  start_pfn:           4096\n"));
	assert_non_null(strstr(ours, "\n              batch:    63\n"));
	assert_non_null(strstr(ours, "\n  vm stats threshold: 24\n"));
	free(ours);
	free(real);
	machine_destroy(m);
}

static void test_meminfo(void **state)
{
	struct machine *m = make("{\"mem_mib\":24576}");
	char *ours = proc_meminfo(m), *real = read_text("meminfo");
	const char *line;

	(void)state;
	same_shapes(ours, real);
	/* label in 16 columns, value right-aligned in 8 */
	for (line = ours; *line; line = strchr(line, '\n') + 1) {
		const char *colon = strchr(line, ':');

		assert_true(colon - line < 16);
		assert_true(isdigit((unsigned char)line[23]));
	}
	assert_non_null(strstr(ours, "VmallocTotal:   34359738367 kB\n"));
	assert_non_null(strstr(ours, "Percpu:              976 kB\n"));
	assert_non_null(strstr(ours, "Hugepagesize:       2048 kB\n"));
	free(ours);
	free(real);
	machine_destroy(m);
}

static void test_views_follow_allocations(void **state)
{
	struct machine *m = make("{\"mem_mib\":64,\"pcp\":false}");
	struct alloc_pages_result r;
	char *a, *b;

	(void)state;
	a = proc_buddyinfo(m);
	assert_int_equal(mm_alloc_pages(m, 0xcc0, 0, -1, 0, &r, NULL), 0);
	b = proc_buddyinfo(m);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buddyinfo),
		cmocka_unit_test(test_pagetypeinfo),
		cmocka_unit_test(test_zoneinfo),
		cmocka_unit_test(test_meminfo),
		cmocka_unit_test(test_views_follow_allocations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
