/*
 * test_boot.c - the boot path stage by stage, paging on and off by hand, the
 * triple fault, secondary CPUs through the trampoline, kexec, determinism.
 */
#include "paging_test.h"

static const char *const stages[] = { "protected", "early_tables", "paging_on", "high_jump",
				      "direct_map", "identity_dropped", "buddy", "done" };

static struct mm_translation tr(struct machine *m, int cpu, uint64_t va, int access)
{
	struct mm_translation t;

	assert_int_equal(mm_translate(m, cpu, MM_PID_CURRENT, va, access, 0, &t, NULL), 0);
	return t;
}

static void boot_to(struct machine *m, const char *stage)
{
	struct mm_error e = { 0 };
	const char *reached;

	if (mm_boot(m, stage, &reached, &e))
		fail_msg("boot %s: %s", stage, e.message);
	assert_string_equal(reached, stage);
}

static void test_stage_by_stage(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make("{\"mem_mib\":512,\"start\":\"poweron\"}", record, &r);
	struct mm_cpu_info ci;
	struct mm_translation t;
	struct mm_error e = { 0 };
	const char *reached;
	uint64_t pa;
	size_t i;

	(void)state;
	assert_int_equal(mm_cpu_info(m, 0, &ci), 0);
	assert_string_equal(ci.mode, "real");
	assert_string_equal(mm_boot_stage(m), "poweron");
	t = tr(m, 0, 0x7c00, MM_ACCESS_READ);		/* paging off: identity, no TLB */
	assert_false(t.paging);
	assert_int_equal(t.paddr, 0x7c00);
	assert_int_equal(t.tlb, MM_TLB_OFF);
	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		boot_to(m, stages[i]);
		assert_int_equal(r.count[MM_EV_boot_stage], i + 1);
		assert_string_equal(r.last_detail[MM_EV_boot_stage], stages[i]);
		mm_cpu_info(m, 0, &ci);
		if (i == 0) {
			assert_string_equal(ci.mode, "protected");
			assert_true(ci.cr0 & 1);
			assert_false(ci.cr0 >> 31);
		}
		if (i == 2) {		/* paging on: the identity map serves the next fetch */
			assert_string_equal(ci.mode, "long");
			assert_true(ci.cr4 & (1 << 5));
			assert_true(ci.efer & (1 << 8));
			t = tr(m, 0, 0x1000000, MM_ACCESS_EXEC);
			assert_false(t.fault);
			assert_int_equal(t.paddr, 0x1000000);
			/* __pa() is arithmetic: the number, though nothing maps it yet */
			assert_int_equal(mm_virt_to_phys(m, 0xffff888000100000ULL, &pa, NULL), 0);
			assert_int_equal(pa, 0x100000);
		}
		if (i == 4) {		/* the direct map exists, __pa works */
			assert_int_equal(mm_virt_to_phys(m, 0xffff888000100000ULL, &pa, NULL), 0);
			/* CR3 is init_top_pgt now, which never had the identity map */
			assert_true(tr(m, 0, 0x1000000, MM_ACCESS_EXEC).fault);
		}
		if (i == 5) {
			t = tr(m, 0, 0x1000000, MM_ACCESS_EXEC);
			assert_true(t.fault);
			assert_int_equal(mm_spawn(m, "early", (int *)&pa, &e), -EAGAIN);
		}
		assert_clean(m);
	}
	mm_cpu_info(m, 1, &ci);
	assert_true(ci.online);
	assert_string_equal(ci.mode, "long");
	assert_int_equal(mm_boot(m, "done", &reached, &e), -EALREADY);
	assert_int_equal(mm_boot(m, "later", &reached, &e), -EINVAL);
	assert_true(r.count[MM_EV_paging_enable] >= 2);
	assert_int_equal(r.count[MM_EV_triple_fault], 0);
	machine_destroy(m);
}

static void test_booted_equals_poweron_booted(void **state)
{
	struct machine *a = make("{\"mem_mib\":1024}", NULL, NULL);
	struct machine *b = make("{\"mem_mib\":1024,\"start\":\"poweron\"}", NULL, NULL);
	char *ta, *tb;

	(void)state;
	boot_to(b, "done");
	ta = ptdump_kernel(a);
	tb = ptdump_kernel(b);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	ta = proc_meminfo(a);
	tb = proc_meminfo(b);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	machine_destroy(a);
	machine_destroy(b);
}

static void test_triple_fault_and_trampoline(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make("{\"mem_mib\":512,\"cpus\":3}", record, &r);
	struct mm_cpu_info ci;
	struct mm_error e = { 0 };
	bool tf;

	(void)state;
	/* paging off while running at the kernel's high address */
	assert_int_equal(mm_paging(m, 2, false, false, &tf, &e), 0);
	assert_true(tf);
	assert_int_equal(r.count[MM_EV_triple_fault], 1);
	mm_cpu_info(m, 2, &ci);
	assert_string_equal(ci.mode, "real");
	assert_false(ci.online);
	assert_int_equal(ci.rip, 0xfffffff0);
	assert_clean(m);
	assert_int_equal(mm_paging(m, 2, true, false, &tf, &e), -EINVAL);	/* real mode */
	assert_int_equal(mm_boot_cpu(m, 2, &e), 0);
	mm_cpu_info(m, 2, &ci);
	assert_true(ci.online);
	assert_int_equal(mm_boot_cpu(m, 2, &e), -EBUSY);
	assert_int_equal(mm_boot_cpu(m, 3, &e), -EINVAL);
	/* kexec: off from the identity-mapped control page, then on again */
	assert_int_equal(mm_paging(m, 2, false, true, &tf, &e), 0);
	assert_false(tf);
	mm_cpu_info(m, 2, &ci);
	assert_string_equal(ci.mode, "protected");
	assert_int_equal(mm_paging(m, 2, false, false, &tf, &e), -EALREADY);
	assert_int_equal(mm_paging(m, 2, true, false, &tf, &e), 0);
	assert_false(tf);
	/* off again, then on with init_top_pgt, which maps nothing at the control page */
	assert_int_equal(mm_paging(m, 2, false, true, &tf, &e), 0);
	assert_int_equal(mm_load_cr3(m, 2, MM_PID_KERNEL, &e), 0);
	assert_int_equal(mm_paging(m, 2, true, false, &tf, &e), 0);
	assert_true(tf);
	assert_int_equal(r.count[MM_EV_triple_fault], 2);
	assert_clean(m);
	machine_destroy(m);
}

struct hasher {
	uint64_t h;
	unsigned long n;
};

static void hash_event(void *ctx, const struct mm_event *ev)
{
	struct hasher *hs = ctx;
	const uint64_t f[] = { (uint64_t)ev->type, (uint64_t)ev->cpu, (uint64_t)ev->level,
			       ev->pfn, ev->vaddr, ev->paddr, ev->size, (uint64_t)ev->value };

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		hs->h = (hs->h ^ f[i]) * 1099511628211ULL;
	for (const char *s = ev->detail; s && *s; s++)
		hs->h = (hs->h ^ (uint8_t)*s) * 1099511628211ULL;
	hs->n++;
}

static struct hasher boot_and_work(void)
{
	struct hasher hs = { 1469598103934665603ULL, 0 };
	struct machine *m = make("{\"mem_mib\":512,\"start\":\"poweron\",\"tlb\":{\"policy\":\"random\"}}",
				 hash_event, &hs);
	struct mm_access_summary s;
	uint64_t addr;
	int pid;
	bool tf;

	boot_to(m, "done");
	assert_int_equal(mm_spawn(m, "w", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 1 << 20, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_access_range(m, 1, pid, addr, 1 << 20, 4096, MM_ACCESS_WRITE, true,
					 600, &s, NULL), 0);
	assert_int_equal(mm_paging(m, 1, false, true, &tf, NULL), 0);
	machine_destroy(m);
	return hs;
}

static void test_determinism(void **state)
{
	struct hasher a = boot_and_work(), b = boot_and_work();

	(void)state;
	assert_true(a.n > 1000);
	assert_int_equal(a.n, b.n);
	assert_int_equal(a.h, b.h);
}

static void test_clone_mid_boot(void **state)
{
	struct machine *m = make("{\"mem_mib\":512,\"start\":\"poweron\"}", NULL, NULL);
	struct machine *c;
	char *ta, *tb;

	(void)state;
	boot_to(m, "early_tables");
	c = machine_clone(m);
	assert_non_null(c);
	boot_to(m, "done");
	boot_to(c, "done");
	ta = ptdump_kernel(m);
	tb = ptdump_kernel(c);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	assert_clean(c);
	machine_destroy(c);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stage_by_stage),
		cmocka_unit_test(test_booted_equals_poweron_booted),
		cmocka_unit_test(test_triple_fault_and_trampoline),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_clone_mid_boot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
