/*
 * test_populate.c - a big struct page array faulted in by several threads
 * (daemon/populate.c) and the engine's hook for it (mem_map_set_populate()):
 * every page of the range is resident afterwards and still zero, however the
 * range cuts into parts; the engine asks only for arrays of at least
 * MEM_MAP_POPULATE_MIN bytes, and a machine built on a populated array is
 * the same machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmlab.h"
#include "daemon/populate.h"
#include "tests/unit/machine_test.h"

/* Pages of [@p, @p + @len) that are resident, and whether every byte is zero. */
static size_t resident(const char *p, size_t len, bool *zero)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (len + page - 1) / page, count = 0;
	unsigned char *vec = malloc(n);

	assert_non_null(vec);
	assert_int_equal(mincore((void *)p, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	*zero = true;
	for (size_t i = 0; i < len && *zero; i++)
		*zero = p[i] == 0;
	return count;
}

static void check_populated(size_t len, unsigned int threads)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool zero;

	assert_true(p != MAP_FAILED);
	populate_parallel(p, len, threads);
	assert_int_equal(resident(p, len, &zero), (len + page - 1) / page);
	assert_true(zero);
	munmap(p, len);
}

static void test_every_page_resident_and_zero(void **state)
{
	(void)state;
	check_populated((5u << 20) + 3 * 4096, 3);	/* parts of 2 MiB, 2 MiB, the rest */
	check_populated((5u << 20) + 3 * 4096, 1);
	check_populated(4096, 8);			/* more threads than parts */
	check_populated((8u << 20), 16);
	check_populated((8u << 20), 100);		/* more than POPULATE_MAX_THREADS */
}

static size_t asked[4];
static unsigned int nr_asked;

static void counting_hook(void *addr, size_t len)
{
	(void)addr;
	if (nr_asked < 4)
		asked[nr_asked] = len;
	nr_asked++;
}

static void test_engine_asks_for_big_arrays_only(void **state)
{
	struct machine *m;

	(void)state;
	mem_map_set_populate(counting_hook);
	nr_asked = 0;
	m = make("{\"mem_mib\":8192}", NULL, NULL);	/* pfns up to 9 GiB (the PCI hole): 144 MiB */
	machine_destroy(m);
	assert_int_equal(nr_asked, 0);
	m = make("{\"mem_mib\":16384}", NULL, NULL);	/* up to 17 GiB: 272 MiB */
	assert_int_equal(nr_asked, 1);
	assert_true(asked[0] >= MEM_MAP_POPULATE_MIN);
	assert_int_equal(asked[0], machine_max_pfn(m) * 64);
	machine_destroy(m);
	mem_map_set_populate(NULL);
}

static void test_machine_on_populated_array_is_the_same(void **state)
{
	struct machine *a, *b;
	char *za, *zb;

	(void)state;
	a = make("{\"mem_mib\":16384,\"cpus\":2}", NULL, NULL);
	mem_map_set_populate(populate_hook);
	b = make("{\"mem_mib\":16384,\"cpus\":2}", NULL, NULL);
	mem_map_set_populate(NULL);
	assert_clean(b);
	assert_true(machine_mem_map_digest(a) == machine_mem_map_digest(b));
	za = proc_zoneinfo(a);
	zb = proc_zoneinfo(b);
	assert_string_equal(za, zb);
	free(za);
	free(zb);
	machine_destroy(a);
	machine_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_page_resident_and_zero),
		cmocka_unit_test(test_engine_asks_for_big_arrays_only),
		cmocka_unit_test(test_machine_on_populated_array_is_the_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
