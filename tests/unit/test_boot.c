/*
 * test_boot.c - the boot path stage by stage, paging on and off by hand, the
 * triple fault, secondary CPUs through the trampoline, kexec, determinism.
 */
#include "paging_test.h"

static const char *const stages[] = { "startup_32", "extract_kernel", "startup_64", "__startup_64",
				      "common_startup_64", "reset_early_page_tables",
				      "init_mem_mapping", "mm_core_init", "done" };

static struct mm_translation tr(struct machine *m, int cpu, uint64_t va, int access)
{
	struct mm_translation t;

	assert_int_equal(mm_translate(m, cpu, MM_PID_CURRENT, va, access, 0, &t, NULL), 0);
	return t;
}

/* Is entry 0 of the PGD that CR3 of @cpu points at present (the identity map)? */
static bool pgd0_present(struct machine *m, int cpu)
{
	struct mm_translation t;

	assert_int_equal(mm_pagetable_walk(m, MM_PID_CR3(cpu), 0x1000000, &t, NULL), 0);
	return t.nr_levels > 0 && (t.levels[0].entry & 1);
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
		if (i == 1) {		/* the decompressor's startup_32 turned paging on */
			assert_string_equal(ci.mode, "long");
			assert_true(ci.cr0 >> 31);
			assert_int_equal(r.count[MM_EV_paging_enable], 1);
			assert_true(ci.cr4 & (1 << 5));
			assert_true(ci.efer & (1 << 8));
		}
		if (i == 2) {		/* the kernel's startup_64: PG already set, on an identity map */
			assert_true(ci.cr0 >> 31);
			assert_int_equal(ci.rip, 0x1000000);
			assert_string_equal(mm_pagetable_root_name(m, MM_PID_CR3(0)),
					    "top_level_pgt (decompressor)");
			assert_int_equal(tr(m, 0, 0x1000000, MM_ACCESS_EXEC).paddr, 0x1000000);
			/* __pa() is arithmetic: the number, though nothing maps it yet */
			assert_int_equal(mm_virt_to_phys(m, 0xffff888000100000ULL, &pa, NULL), 0);
			assert_int_equal(pa, 0x100000);
		}
		if (i == 3) {		/* CR3 = early_top_pgt: identity and high mapping */
			assert_string_equal(mm_pagetable_root_name(m, MM_PID_CR3(0)), "early_top_pgt");
			assert_int_equal(tr(m, 0, 0x1000000, MM_ACCESS_EXEC).paddr, 0x1000000);
			assert_false(tr(m, 0, 0xffffffff81000000ULL, MM_ACCESS_EXEC).fault);
			assert_true(pgd0_present(m, 0));
		}
		if (i == 4)		/* RIP is high now */
			assert_true(ci.rip >= 0xffffffff80000000ULL);
		if (i == 5) {		/* reset_early_page_tables(): no identity map any more */
			assert_string_equal(mm_pagetable_root_name(m, MM_PID_CR3(0)), "early_top_pgt");
			assert_false(pgd0_present(m, 0));
			assert_true(tr(m, 0, 0x1000000, MM_ACCESS_EXEC).fault);
			assert_false(tr(m, 0, ci.rip, MM_ACCESS_EXEC).fault);
		}
		if (i == 6) {		/* the direct map exists, __pa works, CR3 = init_top_pgt */
			assert_int_equal(mm_virt_to_phys(m, 0xffff888000100000ULL, &pa, NULL), 0);
			assert_string_equal(mm_pagetable_root_name(m, MM_PID_CR3(0)), "init_top_pgt");
			assert_true(tr(m, 0, 0x1000000, MM_ACCESS_EXEC).fault);
			assert_int_equal(mm_spawn(m, "early", (int *)&pa, &e), -EAGAIN);
		}
		if (i >= 1 && i < 8)	/* paging is switched on once only on the boot CPU */
			assert_int_equal(r.count[MM_EV_paging_enable], 1);
		assert_clean(m);
	}
	mm_cpu_info(m, 1, &ci);
	assert_true(ci.online);
	assert_string_equal(ci.mode, "long");
	assert_int_equal(mm_boot(m, "done", &reached, &e), -EALREADY);
	assert_int_equal(mm_boot(m, "later", &reached, &e), -EINVAL);
	assert_int_equal(r.count[MM_EV_paging_enable], 2);	/* + CPU 1 in the trampoline */
	assert_int_equal(r.count[MM_EV_paging_disable], 0);
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
	struct mm_translation t;
	struct mm_error e = { 0 };
	unsigned long offs;
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
	/* kexec: paging stays on, CR3 moves to kexec's identity-mapped tables */
	offs = r.count[MM_EV_paging_disable];
	assert_int_equal(mm_paging(m, 2, false, true, &tf, &e), -EINVAL);
	assert_int_equal(mm_paging(m, 2, true, true, &tf, &e), 0);
	assert_false(tf);
	mm_cpu_info(m, 2, &ci);
	assert_string_equal(ci.mode, "long");
	assert_true(ci.cr0 >> 31);
	assert_false(ci.online);
	assert_int_equal(r.count[MM_EV_paging_disable], offs);
	assert_string_equal(mm_pagetable_root_name(m, MM_PID_CR3(2)), "kexec pgd (image->arch.pgd)");
	assert_int_equal(ci.rip, 0x1000000);		/* the next kernel's startup_64 */
	assert_true(pgd0_present(m, 2));
	/* then off by hand from that identity map, as 32-bit relocate_kernel does */
	assert_int_equal(mm_paging(m, 2, false, false, &tf, &e), 0);
	assert_false(tf);
	mm_cpu_info(m, 2, &ci);
	assert_string_equal(ci.mode, "protected");
	assert_int_equal(mm_pagetable_walk(m, MM_PID_CR3(2), 0x1000000, &t, &e), -ENOENT);
	assert_int_equal(mm_paging(m, 2, false, false, &tf, &e), -EALREADY);
	assert_int_equal(mm_paging(m, 2, true, false, &tf, &e), 0);
	assert_false(tf);
	/* off again, then on with init_top_pgt, which maps nothing at 16 MiB */
	assert_int_equal(mm_paging(m, 2, false, false, &tf, &e), 0);
	assert_int_equal(mm_load_cr3(m, 2, MM_PID_KERNEL, &e), 0);
	assert_int_equal(mm_paging(m, 2, true, false, &tf, &e), 0);
	assert_true(tf);
	assert_int_equal(r.count[MM_EV_triple_fault], 2);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * A secondary CPU: real mode, then trampoline_64.S's startup_32 writes CR3
 * with trampoline_pgd before it sets CR0.PG, and secondary_startup_64 moves
 * CR3 to init_top_pgt at the high address.
 */
struct order_rec {
	uint64_t cr3;			/* CPU 1's last CR3 write */
	uint64_t cr3_at_pg;		/* CR3 when CPU 1 set CR0.PG */
	int pg_sets;
};

static void order_event(void *ctx, const struct mm_event *ev)
{
	struct order_rec *o = ctx;

	if (ev->cpu != 1)
		return;
	if (ev->type == MM_EV_cr3_write)
		o->cr3 = ev->paddr;
	if (ev->type == MM_EV_paging_enable) {
		o->cr3_at_pg = o->cr3;
		o->pg_sets++;
	}
}

static void test_trampoline_enables_paging(void **state)
{
	struct order_rec o = { 0 };
	struct machine *m = make("{\"mem_mib\":512,\"cpus\":2,\"start\":\"poweron\"}",
				 order_event, &o);
	struct mm_cpu_info ci;
	struct mm_translation t;

	(void)state;
	boot_to(m, "done");
	assert_int_equal(o.pg_sets, 1);
	assert_int_equal(mm_pagetable_walk(m, MM_PID_CR3(0), 0, &t, NULL), 0);
	/* trampoline_pgd is below 1 MiB and held the identity map of low memory */
	assert_true(o.cr3_at_pg < 0x100000);
	assert_true(o.cr3_at_pg > 0);
	mm_cpu_info(m, 1, &ci);
	assert_true(ci.online);
	assert_string_equal(mm_pagetable_root_name(m, MM_PID_CR3(1)), "init_top_pgt");
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
	assert_int_equal(mm_paging(m, 1, true, true, &tf, NULL), 0);
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
	boot_to(m, "startup_64");
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

/* A snapshot at each stage with a table of no mm in CR3 loads to the same boot. */
static void test_snapshot_mid_boot(void **state)
{
	static const char *const at[] = { "extract_kernel", "startup_64", "__startup_64",
					  "reset_early_page_tables" };

	(void)state;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		struct machine *m = make("{\"mem_mib\":512,\"start\":\"poweron\"}", NULL, NULL);
		struct machine *c;
		struct mm_translation t, u;
		void *buf;
		size_t len;
		char *ta, *tb;

		boot_to(m, at[i]);
		assert_int_equal(machine_save_mem(m, &buf, &len, NULL), 0);
		c = machine_load_mem(buf, len, NULL);
		free(buf);
		assert_non_null(c);
		assert_clean(c);
		assert_string_equal(mm_pagetable_root_name(c, MM_PID_CR3(0)),
				    mm_pagetable_root_name(m, MM_PID_CR3(0)));
		assert_int_equal(mm_pagetable_walk(m, MM_PID_CR3(0), 0x1000000, &t, NULL), 0);
		assert_int_equal(mm_pagetable_walk(c, MM_PID_CR3(0), 0x1000000, &u, NULL), 0);
		assert_int_equal(t.nr_levels, u.nr_levels);
		assert_memory_equal(t.levels, u.levels, sizeof(t.levels[0]) * (size_t)t.nr_levels);
		boot_to(m, "done");
		boot_to(c, "done");
		ta = ptdump_kernel(m);
		tb = ptdump_kernel(c);
		assert_string_equal(ta, tb);
		free(ta);
		free(tb);
		machine_destroy(c);
		machine_destroy(m);
	}
}

/*
 * The identity map is what keeps startup_64 alive across its CR3 write:
 * without it the next fetch at the physical address faults, the CPU
 * triple-faults, and the boot starts again, after which it goes through.
 */
struct fetch_rec {
	struct recorder r;
	struct mm_event last;		/* the event before the latest one */
	struct mm_event before_tf;	/* the event just before the triple fault */
};

static void fetch_event(void *ctx, const struct mm_event *ev)
{
	struct fetch_rec *f = ctx;

	record(&f->r, ev);
	if (ev->type == MM_EV_triple_fault)
		f->before_tf = f->last;
	f->last = *ev;
	f->last.detail = NULL;
}

static void test_no_identity_triple_faults(void **state)
{
	struct fetch_rec f = { 0 };
	struct recorder *rp = &f.r;
	struct machine *m = make("{\"mem_mib\":512,\"start\":\"poweron\"}", fetch_event, &f);
	struct machine *ref = make("{\"mem_mib\":512,\"start\":\"poweron\"}", NULL, NULL);
	struct mm_cpu_info ci;
	struct mm_translation t, u;
	const char *reached;
	bool tf;
	char *ta, *tb;

	(void)state;
	boot_to(m, "startup_64");
	assert_int_equal(mm_boot_ex(m, "common_startup_64", MM_BOOT_NO_IDENTITY, &reached, &tf,
				    NULL), 0);
	assert_true(tf);
	assert_string_equal(reached, "poweron");
	assert_int_equal(rp->count[MM_EV_triple_fault], 1);
	mm_cpu_info(m, 0, &ci);
	assert_string_equal(ci.mode, "real");
	assert_int_equal(ci.rip, 0xfffffff0);
	assert_clean(m);
	/* the failing fetch: a translate of the physical RIP, not present at the PGD */
	assert_int_equal(f.before_tf.type, MM_EV_translate);
	assert_int_equal(f.before_tf.vaddr, 0x1000000);
	assert_int_equal(f.before_tf.level, 4);
	assert_int_equal(f.before_tf.paddr, MM_NA_U64);
	boot_to(m, "done");
	boot_to(ref, "done");
	ta = ptdump_kernel(m);
	tb = ptdump_kernel(ref);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	/* the same tables in the same frames as a boot that never failed */
	assert_int_equal(mm_pagetable_walk(m, MM_PID_KERNEL, 0xffffffff81000000ULL, &t, NULL), 0);
	assert_int_equal(mm_pagetable_walk(ref, MM_PID_KERNEL, 0xffffffff81000000ULL, &u, NULL), 0);
	assert_int_equal(t.nr_levels, u.nr_levels);
	assert_memory_equal(t.levels, u.levels, sizeof(t.levels[0]) * (size_t)t.nr_levels);
	assert_clean(m);
	machine_destroy(ref);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stage_by_stage),
		cmocka_unit_test(test_booted_equals_poweron_booted),
		cmocka_unit_test(test_triple_fault_and_trampoline),
		cmocka_unit_test(test_trampoline_enables_paging),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_clone_mid_boot),
		cmocka_unit_test(test_snapshot_mid_boot),
		cmocka_unit_test(test_no_identity_triple_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
