/*
 * test_snapshot.c - machine_save() and machine_load(): a machine read back
 * from its snapshot passes the self-check, shows the same /proc texts, and
 * from then on behaves exactly as the original (same events for the same
 * operations, randomised, checked after every step); a damaged, short or
 * foreign stream is refused without a leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "mmlab.h"
#include "machine_test.h"

/*** Through a buffer ***/

struct buf {
	uint8_t *p;
	size_t len;
};

static struct buf save(const struct machine *m)
{
	struct buf b = { 0 };
	struct mm_error e = { 0 };
	void *p;

	if (machine_save_mem(m, &p, &b.len, &e))
		fail_msg("save: %s", e.message);
	b.p = p;
	return b;
}

static struct machine *load(const struct buf *b, struct mm_error *e)
{
	return machine_load_mem(b->p, b->len, e);
}

/*** A world: a machine, what it holds, and a digest of its events ***/

#define MAX_HELD 256

struct world {
	struct machine *m;
	uint64_t digest, events;
	struct { uint64_t pfn; unsigned int order; } pages[MAX_HELD];
	uint64_t kmem[MAX_HELD], vmem[MAX_HELD];
	int nr_pages, nr_kmem, nr_vmem;
	int pids[4], nr_pids;
	uint64_t maps[4];		/* one 64-page mapping per process */
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * 0x100000001b3ULL;
	return h;
}

static void digest_event(void *ctx, const struct mm_event *ev)
{
	struct world *w = ctx;
	uint64_t h = w->digest;

	h = mix(h, (uint64_t)ev->type);
	h = mix(h, (uint64_t)ev->cpu);
	h = mix(h, (uint64_t)ev->zone);
	h = mix(h, (uint64_t)ev->order);
	h = mix(h, ev->gfp);
	h = mix(h, ev->pfn);
	h = mix(h, ev->vaddr);
	h = mix(h, ev->paddr);
	h = mix(h, ev->size);
	h = mix(h, (uint64_t)ev->value);
	for (const char *c = ev->detail ? ev->detail : ""; *c; c++)
		h = mix(h, (uint8_t)*c);
	w->digest = h;
	w->events++;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One operation chosen by @r; both worlds given the same @r do the same. */
static void step(struct world *w, uint64_t r)
{
	static const char *const gfps[] = { "GFP_KERNEL", "GFP_DMA32", "GFP_HIGHUSER_MOVABLE",
					    "GFP_ATOMIC", "GFP_KERNEL|__GFP_RECLAIMABLE" };
	struct machine *m = w->m;
	unsigned int kind = r % 100, cpu = (r >> 8) % 4;
	uint64_t arg = r >> 16;
	struct mm_translation t;
	gfp_t gfp;

	if (kind < 25 && w->nr_pages < MAX_HELD) {
		struct alloc_pages_result res;

		assert_int_equal(gfp_parse(gfps[arg % 5], &gfp, NULL), 0);
		if (!mm_alloc_pages(m, gfp, (arg >> 4) % 5, -1, (int)cpu, &res, NULL)) {
			w->pages[w->nr_pages].pfn = res.pfn;
			w->pages[w->nr_pages++].order = res.order;
		}
	} else if (kind < 40 && w->nr_pages) {
		int i = (int)(arg % (uint64_t)w->nr_pages);

		assert_int_equal(mm_free_pages(m, w->pages[i].pfn, w->pages[i].order, (int)cpu,
					       NULL), 0);
		w->pages[i] = w->pages[--w->nr_pages];
	} else if (kind < 55 && w->nr_kmem < MAX_HELD) {
		struct kmalloc_result res;

		if (!mm_kmalloc(m, 8 + arg % 20000, 0xcc0 /* GFP_KERNEL */, (int)cpu, &res, NULL))
			w->kmem[w->nr_kmem++] = res.addr;
	} else if (kind < 65 && w->nr_kmem) {
		int i = (int)(arg % (uint64_t)w->nr_kmem);

		assert_int_equal(mm_kfree(m, w->kmem[i], (int)cpu, NULL), 0);
		w->kmem[i] = w->kmem[--w->nr_kmem];
	} else if (kind < 72 && w->nr_vmem < MAX_HELD) {
		uint64_t addr;

		if (!mm_vmalloc(m, 4096 * (1 + arg % 40), (int)cpu, NULL, &addr, NULL))
			w->vmem[w->nr_vmem++] = addr;
	} else if (kind < 78 && w->nr_vmem) {
		int i = (int)(arg % (uint64_t)w->nr_vmem);

		assert_int_equal(mm_vfree(m, w->vmem[i], (int)cpu, NULL), 0);
		w->vmem[i] = w->vmem[--w->nr_vmem];
	} else if (kind < 82 && w->nr_pids < 4) {
		int pid;

		assert_int_equal(mm_spawn(m, "snap", &pid, NULL), 0);
		assert_int_equal(mm_mmap(m, pid, 0, 64 * 4096, "rw-", &w->maps[w->nr_pids], NULL), 0);
		w->pids[w->nr_pids++] = pid;
	} else if (kind < 92 && w->nr_pids) {
		int i = (int)(arg % (uint64_t)w->nr_pids);

		assert_int_equal(mm_translate(m, (int)cpu, w->pids[i],
					      w->maps[i] + ((arg >> 8) % 64) * 4096,
					      MM_ACCESS_WRITE, -1, &t, NULL), 0);
	} else if (kind < 94 && w->nr_pids) {
		int i = (int)(arg % (uint64_t)w->nr_pids);

		assert_int_equal(mm_exit(m, w->pids[i], NULL), 0);
		w->pids[i] = w->pids[--w->nr_pids];
		w->maps[i] = w->maps[w->nr_pids];
	} else if (kind < 98 && w->nr_kmem) {
		/* A read through the direct map: a TLB fill or hit. */
		assert_int_equal(mm_translate(m, (int)cpu, MM_PID_KERNEL,
					      w->kmem[arg % (uint64_t)w->nr_kmem],
					      MM_ACCESS_READ, 0, &t, NULL), 0);
	} else {
		mm_drain_all_pages(m);
	}
}

static void assert_same_texts(const struct machine *a, const struct machine *b)
{
	char *(*const views[])(const struct machine *) = {
		proc_buddyinfo, proc_pagetypeinfo, proc_zoneinfo, proc_meminfo,
		proc_slabinfo, proc_vmallocinfo,
	};

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		char *x = views[i](a), *y = views[i](b);

		assert_non_null(x);
		assert_non_null(y);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
}

/* Run, save halfway, load, and run both the same way to the end. */
static void round_trip(const char *config, uint64_t seed, int steps)
{
	struct world a = { .digest = 0xcbf29ce484222325ULL }, b;
	struct mm_error e = { 0 };
	uint64_t s = seed, s2;
	struct buf buf;

	a.m = make(config, digest_event, &a);
	for (int i = 0; i < steps / 2; i++) {
		step(&a, xorshift(&s));
		assert_clean(a.m);
	}
	buf = save(a.m);
	b = a;
	b.m = load(&buf, &e);
	if (!b.m)
		fail_msg("load: %s", e.message);
	machine_set_event_fn(b.m, digest_event, &b);
	assert_clean(b.m);
	assert_same_texts(a.m, b.m);
	s2 = s;
	for (int i = steps / 2; i < steps; i++) {
		step(&a, xorshift(&s));
		step(&b, xorshift(&s2));
		assert_clean(a.m);
		assert_clean(b.m);
		assert_int_equal(a.events, b.events);
		assert_int_equal(a.digest, b.digest);
	}
	assert_true(a.events > 1000);
	assert_same_texts(a.m, b.m);
	machine_destroy(a.m);
	machine_destroy(b.m);
	free(buf.p);
}

static void test_round_trip_four_levels(void **state)
{
	(void)state;
	round_trip("{\"mem_mib\": 256, \"nodes\": 2, \"cpus\": 4}", 0x5eed, 400);
}

static void test_round_trip_five_levels_fifo(void **state)
{
	(void)state;
	round_trip("{\"mem_mib\": 192, \"cpus\": 4, \"paging_levels\": 5, \"gbpages\": false,"
		   " \"tlb\": {\"policy\": \"fifo\"}}", 0xfeed, 400);
}

/* A machine at power-on has no slab, vmalloc or direct map yet. */
static void test_round_trip_power_on(void **state)
{
	struct machine *m = make("{\"mem_mib\": 128, \"start\": \"poweron\"}", NULL, NULL), *c;
	struct mm_error e = { 0 };
	struct buf buf;
	const char *reached;

	(void)state;
	buf = save(m);
	c = load(&buf, &e);
	assert_non_null(c);
	assert_clean(c);
	assert_int_equal(mm_boot(c, "done", &reached, NULL), 0);
	assert_int_equal(mm_boot(m, "done", &reached, NULL), 0);
	assert_clean(c);
	assert_same_texts(m, c);
	machine_destroy(c);
	machine_destroy(m);
	free(buf.p);
}

/* Does the mapping that starts at @addr carry VmFlag @flag (/proc/self/smaps)? */
static bool mapping_has_flag(const void *addr, const char *flag)
{
	char line[512], start[32];
	FILE *fp = fopen("/proc/self/smaps", "r");
	bool in = false, found = false;

	assert_non_null(fp);
	snprintf(start, sizeof(start), "%lx-", (unsigned long)(uintptr_t)addr);
	while (fgets(line, sizeof(line), fp)) {
		if (strchr(line, '-') && strncmp(line, start, strlen(start)) == 0)
			in = true;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			char want[8];

			snprintf(want, sizeof(want), " %s", flag);
			found = strstr(line, want) != NULL;
			break;
		}
	}
	fclose(fp);
	return found;
}

/*
 * A clone into a spare struct page array (a live session's snapshots): the
 * array of a destroyed clone is taken as it is, scribbled on or not, and
 * the clone is the machine (its struct pages byte for byte, its /proc texts);
 * a spare of another size is given
 * back and the clone gets a fresh array.
 */
static void test_clone_reusing_spare(void **state)
{
	struct machine *m = make("{\"mem_mib\": 128, \"cpus\": 2}", NULL, NULL), *c;
	struct machine *other = make("{\"mem_mib\": 64, \"cpus\": 2}", NULL, NULL);
	struct mem_map_spare spare = { 0 };
	struct alloc_pages_result res;
	void *kept;
	gfp_t gfp;

	(void)state;
	assert_int_equal(gfp_parse("GFP_KERNEL", &gfp, NULL), 0);
	machine_destroy_keeping(machine_clone(m), &spare);
	assert_non_null(spare.pages);
	assert_int_equal(spare.nr_pages, m->max_pfn);
	kept = spare.pages;
	memset(kept, 0xa5, (size_t)spare.nr_pages * sizeof(struct page));
	/* a mark on this mapping: a fresh one, even at the same address, has none */
	assert_int_equal(madvise(kept, (size_t)spare.nr_pages * sizeof(struct page), MADV_DONTDUMP), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(mm_alloc_pages(m, gfp, i % 4, -1, i % 2, &res, NULL), 0);
	c = machine_clone_reusing(m, &spare);
	assert_non_null(c);
	assert_null(spare.pages);
	assert_ptr_equal(c->mem_map, kept);
	assert_true(mapping_has_flag(c->mem_map, "dd"));
	assert_clean(c);
	assert_memory_equal(c->mem_map, m->mem_map, m->max_pfn * sizeof(struct page));
	assert_same_texts(m, c);

	/* a spare of another machine's size: not used, not kept */
	machine_destroy_keeping(machine_clone(other), &spare);
	assert_int_equal(spare.nr_pages, other->max_pfn);
	assert_int_equal(madvise(spare.pages, (size_t)spare.nr_pages * sizeof(struct page),
				 MADV_DONTDUMP), 0);
	machine_destroy(c);
	c = machine_clone_reusing(m, &spare);
	assert_non_null(c);
	assert_null(spare.pages);
	assert_false(mapping_has_flag(c->mem_map, "dd"));	/* a copy into it would overrun it */
	assert_memory_equal(c->mem_map, m->mem_map, m->max_pfn * sizeof(struct page));
	assert_same_texts(m, c);
	machine_destroy(c);
	machine_destroy(other);
	machine_destroy(m);
}

/* Every damaged or short stream is refused; none leaks (the sanitizer run). */
static void test_damaged_streams_are_refused(void **state)
{
	struct machine *m = make("{\"mem_mib\": 64, \"cpus\": 2}", NULL, NULL), *c;
	struct mm_error e = { 0 };
	struct buf buf;
	size_t len;

	(void)state;
	buf = save(m);
	len = buf.len;
	for (size_t off = 0; off < len; off += len / 97 + 1) {
		buf.p[off] ^= 0x5a;
		c = load(&buf, &e);
		assert_null(c);
		assert_int_equal(e.err, -EPROTO);
		buf.p[off] ^= 0x5a;
	}
	for (size_t cut = 0; cut < len; cut += len / 31 + 1) {
		buf.len = cut;
		assert_null(load(&buf, &e));
		assert_int_equal(e.err, -EPROTO);
	}
	buf.len = len;
	/* Another build's snapshot: refused by name. */
	buf.p[12] ^= 1;
	assert_null(load(&buf, &e));
	assert_int_equal(e.err, -EPROTO);
	assert_non_null(strstr(e.message, "engine build"));
	buf.p[12] ^= 1;
	c = load(&buf, &e);
	assert_non_null(c);
	assert_clean(c);
	machine_destroy(c);
	machine_destroy(m);
	free(buf.p);
}

/* A writer that fails stops the save with its error. */
static int full_disk(void *ctx, const void *p, size_t n)
{
	size_t *left = ctx;

	(void)p;
	if (n > *left)
		return -ENOSPC;
	*left -= n;
	return 0;
}

static void test_write_failure(void **state)
{
	struct machine *m = make("{\"mem_mib\": 64}", NULL, NULL);
	struct mm_error e = { 0 };
	size_t left = 100000;

	(void)state;
	assert_int_equal(machine_save(m, full_disk, &left, &e), -ENOSPC);
	assert_non_null(strstr(machine_snapshot_build(), MMLAB_ENGINE_VERSION));
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_four_levels),
		cmocka_unit_test(test_round_trip_five_levels_fifo),
		cmocka_unit_test(test_round_trip_power_on),
		cmocka_unit_test(test_damaged_streams_are_refused),
		cmocka_unit_test(test_write_failure),
		cmocka_unit_test(test_clone_reusing_spare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
