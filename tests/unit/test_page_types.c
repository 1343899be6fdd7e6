/*
 * test_page_types.c - what a page is used for is a page type, as in 6.18
 * (include/linux/page-flags.h, enum pagetype in the top byte of page_type,
 * the word _mapcount shares), not a PG_ flag: free buddy heads, slabs, page
 * tables from the buddy and kmalloc_large blocks are typed; the flags word
 * holds the real enum pageflags bits only; /proc/kpageflags derives its
 * KPF_ bits as fs/proc/page.c stable_page_flags() does; and the self-check
 * catches a type that disagrees with the owner.
 */
#include "paging_test.h"
#include "internal.h"

struct first_block {
	uint64_t pfn;
	unsigned int order;
};

static int take_first(void *ctx, uint64_t pfn, unsigned int order, int mt)
{
	struct first_block *fb = ctx;

	(void)mt;
	if (order < 1)
		return 0;
	fb->pfn = pfn;
	fb->order = order;
	return 1;
}

struct prefix_count {
	const char *prefix;
	unsigned long n;
};

static void count_prefix(void *ctx, const char *v)
{
	struct prefix_count *c = ctx;

	c->n += strncmp(v, c->prefix, strlen(c->prefix)) == 0;
}

/* Violations whose text starts with @prefix (the invariant's number). */
static unsigned long count_violations(const struct machine *m, const char *prefix)
{
	struct prefix_count c = { prefix, 0 };

	machine_check(m, count_prefix, &c);
	return c.n;
}

/* Kernel: __SetPageBuddy() in set_buddy_order(), mm/page_alloc.c. */
static void test_free_block_head_is_pgty_buddy(void **state)
{
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	struct first_block fb = { 0, 0 };
	struct page_info pi;

	(void)state;
	assert_int_equal(machine_zone_free_blocks(m, 0, ZONE_DMA32, take_first, &fb), 0);
	assert_true(fb.order >= 1);
	assert_int_equal(machine_page_info(m, fb.pfn, &pi), 0);
	assert_int_equal(pi.page_type, 0xf0000000u);		/* PGTY_buddy << 24 */
	assert_string_equal(pi.page_type_name, "buddy");
	assert_true(pi.typed);
	assert_null(strstr(pi.flags_text, "buddy"));		/* not a PG_ flag */
	assert_non_null(strstr(pi.kpageflags_text, "buddy"));	/* KPF_BUDDY */
	assert_int_equal(pi.order, (int)fb.order);
	/* the other pages of the block are untyped, _mapcount -1 */
	assert_int_equal(machine_page_info(m, fb.pfn + 1, &pi), 0);
	assert_false(pi.typed);
	assert_int_equal(pi.raw_mapcount, -1);
	assert_null(strstr(pi.kpageflags_text, "buddy"));
	machine_destroy(m);
}

/*
 * The flags word numbers the bits as 6.18's enum pageflags does (PG_head is
 * bit 6, PG_reserved bit 13), and __GFP_ZERO leaves no flag behind.
 */
static void test_flags_are_6_18_pageflags(void **state)
{
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	struct alloc_pages_result res;
	struct page_info pi;

	(void)state;
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL | __GFP_COMP | __GFP_ZERO, 2, -1, 0, &res,
					NULL), 0);
	assert_int_equal(machine_page_info(m, res.pfn, &pi), 0);
	assert_int_equal(pi.flags, 1u << 6);			/* PG_head only */
	assert_string_equal(pi.flags_text, "head");
	assert_false(pi.typed);
	assert_non_null(strstr(pi.kpageflags_text, "compound_head"));
	assert_int_equal(machine_page_info(m, 0, &pi), 0);	/* pfn 0: reserved */
	assert_int_equal(pi.flags, 1u << 13);			/* PG_reserved */
	assert_non_null(strstr(pi.kpageflags_text, "reserved"));
	machine_destroy(m);
}

/*
 * Kernel: __pagetable_ctor() (include/linux/mm.h) types the tables that
 * pagetable_alloc() hands to a page-table constructor (include/asm-generic/
 * pgalloc.h); the image's static tables (arch/x86/kernel/head_64.S) are
 * never constructed and stay untyped.
 */
static void test_buddy_tables_are_pgty_table(void **state)
{
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	struct mm_process_info proc;
	struct mm_translation t;
	struct page_info pi;
	uint64_t addr;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "t", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 4096, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_translate(m, 0, pid, addr, MM_ACCESS_WRITE, -1, &t, NULL), 0);
	assert_int_equal(mm_process_info(m, 0, &proc), 0);
	assert_int_equal(machine_page_info(m, proc.pgd_pfn, &pi), 0);
	assert_string_equal(pi.page_type_name, "table");	/* pgd_alloc(): buddy */
	assert_int_equal(pi.page_type, 0xf2000000u);
	assert_non_null(strstr(pi.kpageflags_text, "pgtable"));
	assert_int_equal(machine_page_info(m, t.levels[t.nr_levels - 1].table_pfn, &pi), 0);
	assert_string_equal(pi.page_type_name, "table");	/* the PTE table */
	/* a kernel address walks from init_top_pgt, a static table of the image */
	assert_int_equal(mm_translate(m, 0, 0, 0xffff888000100000ULL, MM_ACCESS_READ, 0, &t,
				      NULL), 0);
	assert_int_equal(machine_page_info(m, t.levels[0].table_pfn, &pi), 0);
	assert_int_equal(pi.owner, OWNER_KERNEL);
	assert_false(pi.typed);
	assert_null(strstr(pi.kpageflags_text, "pgtable"));
	assert_clean(m);
	machine_destroy(m);
}

/* The self-check: invariant 9 (the type word against the owner) and 2. */
static void test_check_catches_wrong_types(void **state)
{
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	struct alloc_pages_result res;
	struct first_block fb = { 0, 0 };
	struct page *p;

	(void)state;
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL), 0);
	assert_clean(m);
	p = pfn_to_page(m, res.pfn);
	p->page_type = (uint32_t)PGTY_slab << 24;		/* a slab type on no slab */
	assert_true(count_violations(m, "9:") > 0);
	p->page_type = UINT32_MAX;
	p->_mapcount = 0;					/* mapped, but by nobody */
	assert_true(count_violations(m, "9:") > 0);
	p->_mapcount = -1;
	assert_clean(m);
	assert_int_equal(machine_zone_free_blocks(m, 0, ZONE_DMA32, take_first, &fb), 0);
	p = pfn_to_page(m, fb.pfn);
	p->page_type = UINT32_MAX;				/* a free head without PGTY_buddy */
	assert_true(count_violations(m, "2:") > 0);
	p->page_type = (uint32_t)PGTY_buddy << 24;
	assert_clean(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_block_head_is_pgty_buddy),
		cmocka_unit_test(test_flags_are_6_18_pageflags),
		cmocka_unit_test(test_buddy_tables_are_pgty_table),
		cmocka_unit_test(test_check_catches_wrong_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
