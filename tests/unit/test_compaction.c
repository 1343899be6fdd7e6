/*
 * test_compaction.c - page migration and compaction (engine/migrate.c,
 * engine/compaction.c): one folio moved with its maps and content, the
 * refusals of pages that cannot move (pinned ones too), the scanners'
 * directions and pageblock steps, the modes' rules, the skip hints,
 * compaction_suitable() against vm.extfrag_threshold, deferral, the slow
 * path's order of compaction and reclaim, kcompactd, compact_memory of one
 * node, and fragmentation by movable pages (compacted away) against
 * unmovable ones (not).
 */
#include "paging_test.h"
#include "engine/compaction.h"
#include "engine/pgtable.h"

/*** A recorder of the whole sequence ***/

struct ev {
	int type;
	uint64_t pfn, size;
	int64_t value;
	int order, node, zone;
	char detail[160];
};

struct seq {
	struct ev *v;
	size_t nr, cap;
};

static void seq_record(void *ctx, const struct mm_event *e)
{
	struct seq *s = ctx;

	if (s->nr == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		assert_non_null(s->v);
	}
	s->v[s->nr] = (struct ev){ e->type, e->pfn, e->size, e->value, e->order, e->node, e->zone,
				   "" };
	snprintf(s->v[s->nr].detail, sizeof(s->v[0].detail), "%s", e->detail ? e->detail : "");
	s->nr++;
}

static size_t seq_count(const struct seq *s, int type)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nr; i++)
		n += s->v[i].type == type;
	return n;
}

static long find_from(const struct seq *s, size_t from, int type)
{
	for (size_t i = from; i < s->nr; i++)
		if (s->v[i].type == type)
			return (long)i;
	return -1;
}

/*** Workloads ***/

static uint64_t vmstat(struct machine *m, const char *name)
{
	char *t = proc_vmstat(m), *p;
	size_t n = strlen(name);
	uint64_t v = UINT64_MAX;

	assert_non_null(t);
	for (p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ') {
			v = strtoull(p + n + 1, NULL, 10);
			break;
		}
	free(t);
	assert_true(v != UINT64_MAX);
	return v;
}

static uint64_t pfn_of(struct machine *m, int pid, uint64_t va)
{
	struct mm_translation t;
	struct mm_error e = { 0 };

	if (mm_translate(m, 0, pid, va, MM_ACCESS_READ, -1, &t, &e))
		fail_msg("translate: %s", e.message);
	assert_false(t.fault);
	return t.paddr >> 12;
}

/* Touch @pages pages of a new mapping; return its address. */
static uint64_t map_and_touch(struct machine *m, int pid, uint64_t pages)
{
	struct mm_access_summary s;
	struct mm_error e = { 0 };
	uint64_t addr;

	if (mm_mmap(m, pid, 0, pages * 4096, "rw-", &addr, &e))
		fail_msg("mmap: %s", e.message);
	if (mm_access_range(m, 0, pid, addr, pages * 4096, 4096, MM_ACCESS_WRITE, false, pages,
			    &s, &e))
		fail_msg("access: %s", e.message);
	return addr;
}

/* The zone with the most free pages: the one the workloads fill and fragment. */
static int main_zone(struct machine *m)
{
	struct zone_info zi;
	uint64_t most = 0;
	int best = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (machine_zone_info(m, 0, z, &zi) == 0 && zi.present && zi.free > most) {
			most = zi.free;
			best = z;
		}
	return best;
}

/* The DMA zone filled with kernel pages down to its watermarks: no large block left there. */
static void fill_dma(struct machine *m)
{
	struct alloc_pages_result r;
	struct zone_info zi;

	while (machine_zone_info(m, 0, ZONE_DMA, &zi) == 0 && zi.present &&
	       zi.free > 2 * zi.wmark_high)
		assert_int_equal(mm_alloc_pages(m, 0xcc0 | 0x1, 0, -1, 0, &r, NULL), 0);
}

/* The main zone's free pages above its min watermark: what a workload may fill. */
static uint64_t zone_free(struct machine *m)
{
	struct zone_info zi;

	assert_int_equal(machine_zone_info(m, 0, main_zone(m), &zi), 0);
	return zi.free - zi.wmark_min - 16;
}

static int max_free_order(struct machine *m);

/*
 * What the filling left over above the watermark (with the per-CPU lists
 * drained) may still hold a block of a pageblock or more: a kernel user
 * takes it (GFP_ATOMIC, order 9), so that only the pieces are free.
 */
static void take_large_blocks(struct machine *m)
{
	struct alloc_pages_result r;

	while (max_free_order(m) >= 9)
		assert_int_equal(mm_alloc_pages(m, 0x820, 9, -1, 0, &r, NULL), 0);
}

/*
 * Half of the free memory in single pages among movable anon pages: map
 * and touch as many pages as the main zone has free above its min watermark,
 * then unmap every other page. Proactive compaction
 * is off (vm.compaction_proactiveness 0) so that the end of an op leaves
 * the pieces as they are.
 */
static uint64_t fragment_movable_as_set(struct machine *m, int *pidp);

static uint64_t fragment_movable(struct machine *m, int *pidp)
{
	assert_int_equal(mm_sysctl_vm_set(m, "compaction_proactiveness", 0, NULL), 0);
	return fragment_movable_as_set(m, pidp);
}

/* The same with vm.compaction_proactiveness left as it is. */
static uint64_t fragment_movable_as_set(struct machine *m, int *pidp)
{
	uint64_t pages, addr;
	int pid;

	fill_dma(m);
	pages = zone_free(m);
	assert_int_equal(mm_spawn(m, "frag", &pid, NULL), 0);
	addr = map_and_touch(m, pid, pages);
	for (uint64_t i = 1; i < pages; i += 2)
		assert_int_equal(mm_munmap(m, pid, addr + i * 4096, 4096, NULL), 0);
	mm_drain_all_pages(m);
	mm_kswapd_run(m);
	take_large_blocks(m);
	*pidp = pid;
	return addr;
}

/* The same shape with unmovable kernel pages (alloc_pages(GFP_KERNEL, 0)), the odd frames freed. */
static void fragment_unmovable(struct machine *m)
{
	uint64_t pages, *pfn;
	struct alloc_pages_result r;
	uint64_t n = 0;

	fill_dma(m);
	pages = zone_free(m);
	pfn = calloc(pages, sizeof(*pfn));
	assert_non_null(pfn);
	assert_int_equal(mm_sysctl_vm_set(m, "compaction_proactiveness", 0, NULL), 0);
	for (; n < pages; n++)
		if (mm_alloc_pages(m, 0xcc0, 0, -1, 0, &r, NULL))
			break;
		else
			pfn[n] = r.pfn;
	for (uint64_t i = 0; i < n; i++)	/* every other frame: no two free pages are buddies */
		if (pfn[i] & 1)
			assert_int_equal(mm_free_pages(m, pfn[i], 0, 0, NULL), 0);
	free(pfn);
	mm_drain_all_pages(m);
	mm_kswapd_run(m);
	take_large_blocks(m);
}

/*** Migration ***/

/* An anonymous page moves: the PTE now maps the new frame, with the same content tag. */
static void test_migrate_anon_page(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":64}", seq_record, &s);
	struct mm_folio_info before, after;
	struct mm_error e = { 0 };
	uint64_t addr, old, new_pfn = 0;
	long set, rem, move;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "p", &pid, NULL), 0);
	addr = map_and_touch(m, pid, 4);
	old = pfn_of(m, pid, addr + 4096);
	assert_int_equal(machine_folio_info(m, old, &before), 0);
	s.nr = 0;
	if (mm_migrate_pages(m, old, 0, &new_pfn, &e))
		fail_msg("migrate: %s", e.message);
	assert_true(new_pfn != old);
	assert_int_equal(pfn_of(m, pid, addr + 4096), new_pfn);
	assert_int_equal(machine_folio_info(m, new_pfn, &after), 0);
	assert_int_equal(after.content, before.content);
	assert_string_equal(after.lru_list, before.lru_list);
	assert_int_equal(after.index, before.index);
	assert_int_equal(machine_folio_info(m, old, &after), -ENOENT);	/* freed */
	set = find_from(&s, 0, MM_EV_set_migration_pte);
	move = find_from(&s, 0, MM_EV_migrate_folio_move);
	rem = find_from(&s, 0, MM_EV_remove_migration_pte);
	assert_true(find_from(&s, 0, MM_EV_mm_migrate_pages_start) < set);
	assert_true(set >= 0 && set < rem && rem < move);
	assert_int_equal(s.v[set].pfn, old);
	assert_int_equal(s.v[rem].pfn, new_pfn);
	assert_int_equal(s.v[move].value, (int64_t)new_pfn);
	assert_non_null(strstr(s.v[find_from(&s, 0, MM_EV_mm_migrate_pages)].detail,
			       "nr_succeeded=1 nr_failed=0"));
	assert_int_equal(vmstat(m, "pgmigrate_success"), 1);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/* A page-cache page moves too: the file's slot points at the new frame, its reads hit it. */
static void test_migrate_file_page(void **state)
{
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct mm_folio_info before, after;
	struct mm_file_io io;
	struct mm_error e = { 0 };
	uint64_t new_pfn = 0, pfn;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "p", &pid, NULL), 0);
	assert_int_equal(mm_create_file(m, "f", 8 * 4096, NULL), 0);
	if (mm_read_file(m, pid, "f", 0, 8 * 4096, &io, &e))
		fail_msg("read: %s", e.message);
	for (pfn = 0; pfn < 1u << 20; pfn++)
		if (machine_folio_info(m, pfn, &before) == 0 && before.file_name)
			break;
	assert_int_equal(mm_migrate_pages(m, pfn, 0, &new_pfn, &e), 0);
	assert_int_equal(machine_folio_info(m, new_pfn, &after), 0);
	assert_string_equal(after.file_name, "f");
	assert_int_equal(after.index, before.index);
	assert_int_equal(after.content, before.content);
	assert_clean(m);
	machine_destroy(m);
}

/* Pages that cannot move refuse with the kernel's reason, and nothing changes. */
static void test_migrate_refusals(void **state)
{
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct alloc_pages_result r;
	struct kmalloc_result kr;
	struct mm_translation w;
	struct mm_error e = { 0 };
	uint64_t new_pfn, addr;
	int pid;

	(void)state;
	assert_int_equal(mm_alloc_pages(m, 0xcc0, 0, -1, 0, &r, NULL), 0);
	assert_int_equal(mm_migrate_pages(m, r.pfn, 0, &new_pfn, &e), -EBUSY);
	assert_non_null(strstr(e.message, "unmovable kernel page"));
	assert_int_equal(mm_kmalloc(m, 64, 0xcc0, 0, &kr, NULL), 0);
	assert_int_equal(mm_migrate_pages(m, kr.pfn, 0, &new_pfn, &e), -EBUSY);
	assert_non_null(strstr(e.message, "slab page"));
	assert_int_equal(mm_spawn(m, "p", &pid, NULL), 0);
	addr = map_and_touch(m, pid, 1);
	assert_int_equal(mm_pagetable_walk(m, pid, addr, &w, NULL), 0);
	assert_int_equal(mm_migrate_pages(m, w.levels[w.nr_levels - 1].table_pfn, 0, &new_pfn,
					  &e), -EBUSY);
	assert_non_null(strstr(e.message, "page-table page"));
	assert_int_equal(mm_free_pages(m, r.pfn, 0, 0, NULL), 0);
	mm_drain_all_pages(m);
	assert_int_equal(mm_migrate_pages(m, r.pfn, 0, &new_pfn, &e), -ENOENT);
	assert_non_null(strstr(e.message, "free"));
	assert_int_equal(vmstat(m, "pgmigrate_success"), 0);
	assert_clean(m);
	machine_destroy(m);
}

/*** Compaction ***/

/*
 * compact_memory: the migrate scanner's ranges go up, the free scanner's
 * come down, each range stays within one pageblock, and the run ends where
 * the free scanner's pageblock is at or below the migrate scanner's.
 */
static void test_scanners_directions(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	uint64_t last_m = 0, last_f = UINT64_MAX, pb = 512, zone_start = 0;
	size_t nm = 0, nf = 0;
	int pid;

	(void)state;
	fragment_movable(m, &pid);
	s.nr = 0;
	assert_int_equal(mm_compact_memory(m, -1, 0, NULL), 0);
	assert_clean(m);
	for (size_t i = 0; i < s.nr; i++) {
		const struct ev *v = &s.v[i];

		if (v->type == MM_EV_mm_compaction_begin) {
			last_m = 0;
			last_f = UINT64_MAX;
			zone_start = v->pfn;
			assert_non_null(strstr(v->detail, "mode=sync"));
		} else if (v->type == MM_EV_mm_compaction_isolate_migratepages) {
			assert_true(v->pfn >= last_m);
			assert_true(v->pfn >= zone_start);
			/* one pageblock at most: [start, end) inside the start's block */
			assert_true((v->pfn + v->size - 1) / pb == v->pfn / pb || v->size == 0);
			last_m = v->pfn;
			nm++;
		} else if (v->type == MM_EV_mm_compaction_isolate_freepages) {
			assert_true(v->pfn / pb <= last_f);
			assert_true(v->size <= pb);
			last_f = v->pfn / pb;
			nf++;
		} else if (v->type == MM_EV_mm_compaction_end) {
			/* met: value holds free_pfn, pfn migrate_pfn */
			assert_true((uint64_t)v->value / pb <= v->pfn / pb);
			assert_non_null(strstr(v->detail, "status=complete"));
		}
	}
	assert_true(nm > 1 && nf > 1);
	assert_true(seq_count(&s, MM_EV_migrate_folio_move) > 0);
	/* every move goes up: from below the meeting point to above it */
	for (size_t i = 0; i < s.nr; i++)
		if (s.v[i].type == MM_EV_migrate_folio_move)
			assert_true((uint64_t)s.v[i].value > s.v[i].pfn);
	assert_true(vmstat(m, "compact_migrate_scanned") > 0);
	assert_true(vmstat(m, "compact_free_scanned") > 0);
	assert_true(vmstat(m, "compact_isolated") > 0);
	assert_int_equal(vmstat(m, "pgmigrate_success"), seq_count(&s, MM_EV_migrate_folio_move));
	machine_destroy(m);
	free(s.v);
}

static int max_free_order(struct machine *m)
{
	struct zone_info zi;
	int best = -1;

	assert_int_equal(machine_zone_info(m, 0, main_zone(m), &zi), 0);
	for (int o = 0; o < (int)MAX_NR_ORDERS; o++)
		if (zi.nr_free[o])
			best = o;
	return best;
}

/* The "range=(0x.. ~ 0x..)" of an isolate event. */
static bool range_of(const struct ev *v, uint64_t *start, uint64_t *end)
{
	unsigned long long a, b;

	if (sscanf(v->detail, "range=(0x%llx ~ 0x%llx)", &a, &b) != 2)
		return false;
	*start = a;
	*end = b;
	return true;
}

/* Movable fragmentation: the order-10 GFP_KERNEL request succeeds after direct compaction. */
static void test_movable_fragmentation_compacts(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct alloc_pages_result r;
	struct mm_error e = { 0 };
	unsigned int around;
	bool sync = false;
	int pid;

	(void)state;
	fragment_movable(m, &pid);
	assert_true(max_free_order(m) < 10);
	s.nr = 0;
	if (mm_alloc_pages(m, 0xcc0, 10, -1, 0, &r, &e))
		fail_msg("order-10: %s", e.message);
	assert_true(seq_count(&s, MM_EV_migrate_folio_move) > 0);
	assert_int_equal(vmstat(m, "compact_success"), 1);
	assert_true(vmstat(m, "compact_stall") >= 1);
	/*
	 * fast_isolate_around(): in the sync pass, a block the free-list search
	 * took is followed at once by a page-by-page scan of the rest of its
	 * pageblock, inside the search's range, when the batch needs more.
	 */
	around = 0;
	for (size_t i = 0; i < s.nr; i++) {
		uint64_t fa = 0, fb = 0, a = 0, b = 0;
		long next;

		if (s.v[i].type == MM_EV_mm_compaction_begin)
			sync = strstr(s.v[i].detail, "mode=sync") != NULL;
		if (!sync || s.v[i].type != MM_EV_mm_compaction_fast_isolate_freepages ||
		    s.v[i].value < 1)
			continue;
		next = (long)i + 1;
		/* none when the block taken was enough for the batch */
		if ((size_t)next >= s.nr || s.v[next].type != MM_EV_mm_compaction_isolate_freepages)
			continue;
		assert_true(range_of(&s.v[i], &fa, &fb));
		assert_true(range_of(&s.v[next], &a, &b));
		assert_true(a >= fa && b <= fb + 512 && (a & ~511ULL) == ((b - 1) & ~511ULL));
		around++;
	}
	assert_true(around > 0);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/*
 * Capture: a GFP_KERNEL order-9 request on movable fragmentation. Its
 * direct compaction frees the old frames of the pages it moves; the block
 * of order 9 they make is handed to the request inside the run
 * (compaction_capture(), traced as the unmovable request's fallback into a
 * movable block, mm_page_alloc_extfrag, before mm_compaction_end), never
 * put on a free list, and the run ends with status success. Without the
 * capture the block would reach the free list and the fallback would be
 * traced after the run, by __rmqueue_claim().
 */
static void test_direct_compaction_captures(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct alloc_pages_result r;
	struct mm_error e = { 0 };
	long begin, capture, end;
	int pid;

	(void)state;
	fragment_movable(m, &pid);
	assert_true(max_free_order(m) < 9);
	s.nr = 0;
	if (mm_alloc_pages(m, 0xcc0, 9, -1, 0, &r, &e))
		fail_msg("order-9: %s", e.message);
	assert_true(seq_count(&s, MM_EV_migrate_folio_move) > 0);
	capture = -1;
	for (size_t i = 0; i < s.nr; i++)
		if (s.v[i].type == MM_EV_mm_page_alloc_extfrag && s.v[i].pfn == r.pfn)
			capture = (long)i;
	assert_true(capture >= 0);
	assert_int_equal(s.v[capture].order, 9);
	assert_non_null(strstr(s.v[capture].detail, "fallback_order=9 "));
	assert_non_null(strstr(s.v[capture].detail, "fallback_migratetype=Movable"));
	/* inside the run that made it, which ends in success */
	begin = -1;
	for (long i = capture; i >= 0 && begin < 0; i--)
		if (s.v[i].type == MM_EV_mm_compaction_begin)
			begin = i;
	end = find_from(&s, (size_t)capture, MM_EV_mm_compaction_end);
	assert_true(begin >= 0 && end > capture);
	assert_true(find_from(&s, (size_t)begin + 1, MM_EV_mm_compaction_end) == end);
	assert_non_null(strstr(s.v[end].detail, "status=success"));
	/* the block the request got is the captured one, allocated whole */
	assert_int_equal(r.pfn & 511, 0);
	assert_int_equal(vmstat(m, "compact_success"), 1);
	assert_true(max_free_order(m) < 9);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/*
 * The fast searches of the free lists (fast_find_migrateblock(),
 * fast_isolate_freepages()). On movable fragmentation, one pageblock in the
 * lower half of the zone gets an order-4 free block. A movable order-10
 * request's direct compaction starts its migrate scanner at that pageblock
 * (found on the order-4 free list), not at the zone's start; its free
 * scanner first takes a block from the free lists high in the zone
 * (mm_compaction_fast_isolate_freepages, whose range is the top half of
 * the space between the scanners). A compact_memory run (no order) takes
 * neither: its first migrate range starts at the zone's start and no fast
 * event is traced.
 */
static void test_fast_searches(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct alloc_pages_result r;
	struct mm_error e = { 0 };
	struct zone_info zi;
	uint64_t addr, pages, pb = 0, zone_start, freed = 0;
	uint64_t *va_of;
	long begin, first_migrate, fast;
	uint64_t a = 0, b = 0, fa = 0, fb = 0;
	int pid, zone;

	(void)state;
	addr = fragment_movable(m, &pid);
	zone = main_zone(m);
	assert_int_equal(machine_zone_info(m, 0, zone, &zi), 0);
	zone_start = zi.start_pfn;
	pages = zone_free(m);
	/* which page maps each frame of the zone (the even ones are still mapped) */
	va_of = calloc(zi.spanned, sizeof(*va_of));
	assert_non_null(va_of);
	for (uint64_t i = 0; i < pages; i += 2) {
		uint64_t f = pfn_of(m, pid, addr + i * 4096);

		if (f >= zone_start && f < zone_start + zi.spanned)
			va_of[f - zone_start] = addr + i * 4096;
	}
	/*
	 * A pageblock in the first half of the scan space (the zone's start to
	 * its last pageblock) whose first 16 frames are ours or free; the
	 * kernel's own pages fill the zone's first pageblocks.
	 */
	for (uint64_t f = zone_start + 512; !pb && f + 512 <= zone_start + (zi.spanned - 512) / 2;
	     f += 512) {
		uint64_t ours = 0;

		for (uint64_t j = 0; j < 16; j++)
			ours += va_of[f - zone_start + j] != 0;
		if (ours == 8)
			pb = f;
	}
	assert_true(pb != 0);
	for (uint64_t j = 0; j < 16; j++)
		if (va_of[pb - zone_start + j]) {
			assert_int_equal(mm_munmap(m, pid, va_of[pb - zone_start + j], 4096, NULL),
					 0);
			freed++;
		}
	free(va_of);
	assert_int_equal(freed, 8);	/* the odd frames were free already */
	mm_drain_all_pages(m);
	assert_true(max_free_order(m) < 10);

	/* the request may fail (its async pass leaves skip hints); its first run is what counts */
	s.nr = 0;
	(void)mm_alloc_pages(m, 0x100cca, 10, -1, 0, &r, &e);
	begin = find_from(&s, 0, MM_EV_mm_compaction_begin);
	assert_true(begin >= 0);
	assert_non_null(strstr(s.v[begin].detail, "mode=async"));
	/* the migrate scanner starts at the pageblock the order-4 free list named */
	first_migrate = find_from(&s, (size_t)begin, MM_EV_mm_compaction_isolate_migratepages);
	assert_true(first_migrate > begin);
	assert_true(range_of(&s.v[first_migrate], &a, &b));
	assert_int_equal(a, pb);
	/*
	 * The free scanner's first blocks come from the free lists: the search
	 * spans the top half of the space between the scanners, [free_pfn -
	 * distance / 2 rounded down to a pageblock, free_pfn), and takes one.
	 */
	fast = find_from(&s, (size_t)first_migrate, MM_EV_mm_compaction_fast_isolate_freepages);
	assert_true(fast > first_migrate);
	assert_true(find_from(&s, (size_t)begin + 1, MM_EV_mm_compaction_end) > fast);
	assert_true(range_of(&s.v[fast], &fa, &fb));
	assert_int_equal(fb, zi.start_pfn + zi.spanned - 512);
	assert_int_equal(fa, (fb - (fb - b) / 2) & ~511ULL);
	assert_true(s.v[fast].value >= 1);		/* nr_taken */
	assert_clean(m);

	/* compact_memory: the plain linear walks */
	s.nr = 0;
	assert_int_equal(mm_compact_memory(m, -1, 0, &e), 0);
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_fast_isolate_freepages), 0);
	for (size_t i = 0; i < s.nr; i++)
		if (s.v[i].type == MM_EV_mm_compaction_begin) {
			long mig = find_from(&s, i, MM_EV_mm_compaction_isolate_migratepages);
			unsigned long long zs;

			if (mig < 0 || find_from(&s, i, MM_EV_mm_compaction_end) < mig)
				continue;
			assert_int_equal(sscanf(s.v[i].detail, "zone_start=0x%llx", &zs), 1);
			assert_true(range_of(&s.v[mig], &a, &b));
			assert_int_equal(a, zs);
		}
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/* Unmovable fragmentation: compaction moves nothing and the request fails. */
static void test_unmovable_fragmentation_fails(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct alloc_pages_result r;
	struct mm_error e = { 0 };

	(void)state;
	fragment_unmovable(m);
	assert_true(max_free_order(m) < 10);
	s.nr = 0;
	assert_int_equal(mm_alloc_pages(m, 0xcc0, 10, -1, 0, &r, &e), -ENOMEM);
	assert_int_equal(seq_count(&s, MM_EV_migrate_folio_move), 0);
	assert_true(seq_count(&s, MM_EV_mm_compaction_begin) >= 1);
	assert_int_equal(vmstat(m, "compact_success"), 0);
	assert_true(vmstat(m, "compact_fail") >= 1);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/*
 * The slow path's order for a costly request: async compaction (priority
 * 2), then direct reclaim, then compaction again at sync-light (priority 1).
 */
static void test_slowpath_order(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct alloc_pages_result r;
	long c1, rec, c2;

	(void)state;
	fragment_unmovable(m);
	s.nr = 0;
	assert_int_equal(mm_alloc_pages(m, 0xcc0, 10, -1, 0, &r, NULL), -ENOMEM);
	c1 = find_from(&s, 0, MM_EV_mm_compaction_try_to_compact_pages);
	rec = find_from(&s, 0, MM_EV_mm_vmscan_direct_reclaim_begin);
	assert_true(c1 >= 0 && rec > c1);
	c2 = find_from(&s, (size_t)rec, MM_EV_mm_compaction_try_to_compact_pages);
	assert_true(c2 > rec);
	assert_int_equal(s.v[c1].value, COMPACT_PRIO_ASYNC);
	assert_int_equal(s.v[c2].value, COMPACT_PRIO_SYNC_LIGHT);
	assert_non_null(strstr(s.v[c1].detail, "order=10 gfp_mask=GFP_KERNEL priority=2"));
	machine_destroy(m);
	free(s.v);
}

static struct zone *zone_of_pfn(struct machine *m, uint64_t pfn)
{
	return page_zone(m, &m->mem_map[pfn]);
}

/*
 * The modes' rules: direct async compaction for an unmovable request scans
 * only unmovable pageblocks (suitable_migration_source()), so the movable
 * pages are not touched; sync-light scans them all.
 */
static void test_mode_rules(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	uint64_t addr, cap;
	int pid, r1, r2;

	(void)state;
	addr = fragment_movable(m, &pid);
	s.nr = 0;
	r1 = try_to_compact_pages(m, 0xcc0, 10, WMARK_MIN, 0, main_zone(m), COMPACT_PRIO_ASYNC, 0,
				  &cap);
	assert_int_equal(seq_count(&s, MM_EV_migrate_folio_move), 0);
	for (size_t i = 0; i < s.nr; i++)
		if (s.v[i].type == MM_EV_mm_compaction_isolate_migratepages)
			assert_int_equal(get_pageblock_migratetype(m, s.v[i].pfn),
					 MIGRATE_UNMOVABLE);
	assert_true(r1 != COMPACT_SUCCESS);
	s.nr = 0;
	r2 = try_to_compact_pages(m, 0xcc0, 10, WMARK_MIN, 0, main_zone(m),
				  COMPACT_PRIO_SYNC_LIGHT, 0, &cap);
	assert_int_equal(cap, PFN_NIL);	/* a MAX_PAGE_ORDER block is never captured */
	assert_true(seq_count(&s, MM_EV_migrate_folio_move) > 0);
	assert_int_equal(r2, COMPACT_SUCCESS);
	assert_non_null(strstr(s.v[find_from(&s, 0, MM_EV_mm_compaction_begin)].detail,
			       "mode=sync"));
	/* a movable request's async pass takes movable blocks */
	(void)addr;
	(void)zone_of_pfn;
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/*
 * Deferral: a failed sync compaction defers the zone (defer_shift 1), the
 * next request of that order is deferred, the one after runs again; a
 * success resets it.
 */
static void test_deferral(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct zone *z = &m->nodes[0].node_zones[main_zone(m)];
	uint64_t cap;
	int rc;

	(void)state;
	fragment_unmovable(m);
	assert_int_equal(z->compact_defer_shift, 0);
	rc = try_to_compact_pages(m, 0xcc0, 10, WMARK_MIN, 0, z->idx, COMPACT_PRIO_SYNC_LIGHT, 0,
				  &cap);
	assert_true(rc == COMPACT_COMPLETE || rc == COMPACT_PARTIAL_SKIPPED);
	assert_true(z->compact_defer_shift >= 1);
	assert_true(z->compact_order_failed <= 10);
	s.nr = 0;
	rc = try_to_compact_pages(m, 0xcc0, 10, WMARK_MIN, 0, z->idx, COMPACT_PRIO_SYNC_LIGHT, 0,
				  &cap);
	assert_int_equal(rc, COMPACT_DEFERRED);
	assert_true(seq_count(&s, MM_EV_mm_compaction_deferred) >= 1);
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_begin), 0);
	/* an order below the one that failed is never deferred */
	s.nr = 0;
	try_to_compact_pages(m, 0xcc0, 4, WMARK_MIN, 0, z->idx, COMPACT_PRIO_SYNC_LIGHT, 0, &cap);
	assert_int_equal(cap, PFN_NIL);	/* nothing moved: no block of the old frames */
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_deferred), 0);
	compaction_defer_reset(m, z, 10, true);
	assert_int_equal(z->compact_defer_shift, 0);
	assert_int_equal(z->compact_order_failed, 11);
	machine_destroy(m);
	free(s.v);
}

/* kswapd, woken by a failed high-order request, hands it to kcompactd as it sleeps. */
static void test_kcompactd_woken_by_kswapd(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct alloc_pages_result r;
	int pid;

	(void)state;
	fragment_movable(m, &pid);
	s.nr = 0;
	/* GFP_NOWAIT: no direct compaction, only kswapd */
	assert_int_equal(mm_alloc_pages(m, 0x2800, 9, -1, 0, &r, NULL), -ENOMEM);
	mm_kswapd_run(m);
	assert_true(find_from(&s, 0, MM_EV_mm_compaction_wakeup_kcompactd) >= 0);
	assert_true(find_from(&s, 0, MM_EV_mm_compaction_kcompactd_wake) >
		    find_from(&s, 0, MM_EV_mm_compaction_wakeup_kcompactd));
	assert_true(find_from(&s, 0, MM_EV_mm_compaction_kcompactd_sleep) >
		    find_from(&s, 0, MM_EV_mm_compaction_kcompactd_wake));
	assert_int_equal(vmstat(m, "compact_daemon_wake"), 1);
	assert_true(max_free_order(m) >= 9);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/*
 * Proactive compaction: with vm.compaction_proactiveness back at 20 the end
 * of the next op finds the node's fragmentation score above its high mark,
 * and kcompactd compacts until the score is under the low one.
 */
static void test_proactive_compaction(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	int pid;

	(void)state;
	fragment_movable(m, &pid);
	assert_true(max_free_order(m) < 10);
	s.nr = 0;
	mm_kswapd_run(m);
	assert_int_equal(seq_count(&s, MM_EV_migrate_folio_move), 0);	/* proactiveness 0 */
	assert_int_equal(mm_sysctl_vm_set(m, "compaction_proactiveness", 20, NULL), 0);
	mm_kswapd_run(m);
	assert_true(seq_count(&s, MM_EV_migrate_folio_move) > 0);
	assert_true(max_free_order(m) >= 10);
	assert_true(vmstat(m, "compact_daemon_migrate_scanned") > 0);
	assert_int_equal(mm_sysctl_vm_set(m, "compaction_proactiveness", 101, NULL), -EINVAL);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/*
 * Proactive compaction runs on kcompactd's timer: the wait times out every
 * 500 ms (125 jiffies at HZ 250) of idle time, not at the end of an op.
 * With vm.compaction_proactiveness 0, time passes and nothing is compacted
 * (the wait that was armed at boot times out once, then kcompactd waits
 * with no timeout). With it at 20, its write wakes kcompactd at once, which
 * finds nothing to do; a workload then fragments the zone over many ops,
 * and nothing is compacted until 125 jiffies after that check, when the
 * proactive pass runs.
 */
static void test_proactive_timer(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct mm_error e = { 0 };
	uint64_t t0;
	int pid;

	(void)state;
	assert_int_equal(machine_jiffies(m), 4294892296ULL);	/* INITIAL_JIFFIES at HZ 250 */
	/* proactiveness 0: time passes, nothing is compacted */
	fragment_movable(m, &pid);
	s.nr = 0;
	assert_int_equal(mm_idle(m, 2000, &e), 0);
	mm_kswapd_run(m);
	assert_int_equal(machine_jiffies(m), 4294892296ULL + 500);
	assert_int_equal(seq_count(&s, MM_EV_migrate_folio_move), 0);
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_kcompactd_sleep), 1);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);

	/* proactiveness 20 from the start: its write wakes kcompactd, which finds nothing to do */
	s = (struct seq){ 0 };
	m = make("{\"mem_mib\":128}", seq_record, &s);
	assert_int_equal(mm_sysctl_vm_set(m, "compaction_proactiveness", 20, NULL), 0);
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_wakeup_kcompactd), 1);
	mm_kswapd_run(m);
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_begin), 0);
	assert_int_equal(s.v[s.nr - 1].type, MM_EV_mm_compaction_kcompactd_sleep);
	t0 = machine_jiffies(m);
	/* a workload of many ops fragments the zone: no time passes, nothing is compacted */
	s.nr = 0;
	fragment_movable_as_set(m, &pid);
	assert_true(max_free_order(m) < 10);
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_begin), 0);
	assert_int_equal(mm_idle(m, 496, &e), 0);	/* 124 jiffies: not yet */
	mm_kswapd_run(m);
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_begin), 0);
	assert_int_equal(machine_jiffies(m), t0 + 124);
	assert_int_equal(mm_idle(m, 4, &e), 0);		/* the 125th: the check runs */
	assert_true(seq_count(&s, MM_EV_mm_compaction_begin) > 0);
	assert_true(seq_count(&s, MM_EV_migrate_folio_move) > 0);
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_kcompactd_wake), 0);
	assert_int_equal(s.v[s.nr - 1].type, MM_EV_mm_compaction_kcompactd_sleep);
	assert_int_equal(machine_jiffies(m), t0 + 125);
	assert_true(max_free_order(m) >= 9);
	assert_int_equal(mm_idle(m, 3600001, &e), -EINVAL);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/*
 * A proactive pass that did not lower the fragmentation score (unmovable
 * pages: nothing moves) makes kcompactd wait 64 times as long, 32 s,
 * before it checks again.
 */
static void test_proactive_backoff(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct mm_error e = { 0 };
	uint64_t t0;

	(void)state;
	fragment_unmovable(m);
	s.nr = 0;
	assert_int_equal(mm_sysctl_vm_set(m, "compaction_proactiveness", 20, NULL), 0);
	mm_kswapd_run(m);
	assert_true(seq_count(&s, MM_EV_mm_compaction_begin) > 0);
	assert_int_equal(seq_count(&s, MM_EV_migrate_folio_move), 0);
	t0 = machine_jiffies(m);
	s.nr = 0;
	assert_int_equal(mm_idle(m, 31996, &e), 0);
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_kcompactd_sleep), 0);
	assert_int_equal(mm_idle(m, 4, &e), 0);
	assert_int_equal(machine_jiffies(m), t0 + 8000);
	assert_int_equal(seq_count(&s, MM_EV_mm_compaction_kcompactd_sleep), 1);
	assert_true(seq_count(&s, MM_EV_mm_compaction_begin) > 0);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

static int owner_at(struct machine *m, uint64_t pfn)
{
	struct page_info pi;

	assert_int_equal(machine_page_info(m, pfn, &pi), 0);
	return pi.owner;
}

/*
 * alloc_contig_range: a range among movable pages is emptied (its pages
 * migrated out) and handed out whole; free_contig_range gives it back; a
 * range with an unmovable page is refused with that page, and no pageblock
 * stays isolated either way.
 */
static void test_alloc_contig_range(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct zone *z;
	struct mm_error e = { 0 };
	uint64_t start, pfn, got;
	int pid;

	(void)state;
	fragment_movable(m, &pid);
	z = &m->nodes[0].node_zones[main_zone(m)];
	start = ((z->zone_start_pfn + zone_end_pfn(z)) / 2) & ~1023ULL;
	for (pfn = start; pfn < start + 1024; pfn++)	/* movable pages in it */
		if (owner_at(m, pfn) == OWNER_USER)
			break;
	assert_true(pfn < start + 1024);
	s.nr = 0;
	if (mm_alloc_contig_range(m, start, 1024, 0, &e))
		fail_msg("alloc_contig_range: %s", e.message);
	for (pfn = start; pfn < start + 1024; pfn++)
		assert_int_equal(owner_at(m, pfn), OWNER_OTHER);
	assert_true(seq_count(&s, MM_EV_migrate_folio_move) > 0);
	assert_non_null(strstr(s.v[find_from(&s, 0, MM_EV_mm_migrate_pages)].detail,
			       "reason=contig_range"));
	for (pfn = start; pfn < start + 1024; pfn += 512)
		assert_int_not_equal(get_pageblock_migratetype(m, pfn), MIGRATE_ISOLATE);
	assert_clean(m);
	assert_int_equal(mm_free_contig_range(m, start + 1, 1024, 0, &e), -EINVAL);
	assert_int_equal(mm_free_contig_range(m, start, 1024, 0, &e), 0);
	assert_clean(m);
	/* alloc_contig_pages finds a range itself */
	assert_int_equal(mm_alloc_contig_pages(m, 512, 0, 0, &got, &e), 0);
	assert_int_equal(got & 511, 0);
	assert_clean(m);
	assert_int_equal(mm_free_contig_range(m, got, 512, 0, &e), 0);
	machine_destroy(m);

	m = make("{\"mem_mib\":128}", NULL, NULL);
	fragment_unmovable(m);
	z = &m->nodes[0].node_zones[main_zone(m)];
	start = ((z->zone_start_pfn + zone_end_pfn(z)) / 2) & ~1023ULL;
	assert_int_equal(mm_alloc_contig_range(m, start, 1024, 0, &e), -EBUSY);
	assert_non_null(strstr(e.message, "cannot move"));
	for (pfn = start; pfn < start + 1024; pfn += 512)
		assert_int_not_equal(get_pageblock_migratetype(m, pfn), MIGRATE_ISOLATE);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/*** Pins, skip hints, suitability, modes, nodes ***/

/* The pageblocks of @z whose skip hint (PB_compact_skip) is set. */
static size_t skipped_blocks(struct machine *m, const struct zone *z)
{
	size_t n = 0;

	for (uint64_t pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn += 512)
		n += get_pageblock_skip(m, pfn);
	return n;
}

/*
 * A longterm pin (pin_user_pages(FOLL_LONGTERM)) of a page: one reference
 * more than its maps and cache slot account for.
 */
static void pin(struct machine *m, uint64_t pfn)
{
	m->mem_map[pfn]._refcount++;
}

static void unpin(struct machine *m, uint64_t pfn)
{
	m->mem_map[pfn]._refcount--;
}

static bool user_page(struct machine *m, uint64_t pfn)
{
	const struct page *p = &m->mem_map[pfn];

	return p->owner == OWNER_USER && !p->tail && page_test(p, PG_lru);
}

/* Pin every user page of @z (@every 1), or the lowest of each pageblock (@every 0). */
static size_t pin_zone(struct machine *m, const struct zone *z, bool every, uint64_t *pfns,
		       size_t max)
{
	size_t n = 0;

	for (uint64_t pfn = z->zone_start_pfn; pfn < zone_end_pfn(z) && n < max; pfn++)
		if (user_page(m, pfn)) {
			pin(m, pfn);
			pfns[n++] = pfn;
			if (!every)
				pfn = (pfn | 511);
		}
	return n;
}

static uint64_t nr_taken(const struct ev *v)
{
	return (uint64_t)v->value;
}

/*
 * A pinned page does not move: move_pages(2) takes a pinned anonymous or
 * page-cache page off its LRU and its migration fails on the refcount
 * (-EAGAIN, "extra references (pinned)", counted in pgmigrate_fail); it
 * stays mapped where it was with its content, and no page is lost (the
 * frame taken for the move is freed again). Compaction's scanner passes a
 * pinned anonymous page over: test_mode_rules_movable_and_sync.
 */
/* Free pages of every zone of node 0, the per-CPU lists drained first. */
static uint64_t total_free(struct machine *m)
{
	struct zone_info zi;
	uint64_t n = 0;

	mm_drain_all_pages(m);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (machine_zone_info(m, 0, z, &zi) == 0 && zi.present)
			n += zi.free;
	return n;
}

static void test_migrate_pinned(void **state)
{
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct mm_folio_info before, after;
	struct mm_file_io io;
	struct mm_error e = { 0 };
	uint64_t addr, pfn, fpfn, new_pfn = PFN_NIL, free0;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "p", &pid, NULL), 0);
	addr = map_and_touch(m, pid, 4);
	pfn = pfn_of(m, pid, addr + 4096);
	free0 = total_free(m);
	assert_int_equal(machine_folio_info(m, pfn, &before), 0);
	pin(m, pfn);
	assert_int_equal(mm_migrate_pages(m, pfn, 0, &new_pfn, &e), -EAGAIN);
	assert_non_null(strstr(e.message, "extra references (pinned)"));
	assert_int_equal(new_pfn, PFN_NIL);
	assert_int_equal(pfn_of(m, pid, addr + 4096), pfn);
	assert_int_equal(machine_folio_info(m, pfn, &after), 0);
	assert_int_equal(after.content, before.content);
	assert_string_equal(after.lru_list, before.lru_list);
	assert_int_equal(vmstat(m, "pgmigrate_success"), 0);
	assert_int_equal(vmstat(m, "pgmigrate_fail"), 1);	/* taken, and failed */
	assert_int_equal(total_free(m), free0);	/* the frame taken for the move came back */
	/* a page-cache page is taken, and fails in the move */
	assert_int_equal(mm_create_file(m, "f", 4 * 4096, NULL), 0);
	if (mm_read_file(m, pid, "f", 0, 4 * 4096, &io, &e))
		fail_msg("read: %s", e.message);
	for (fpfn = 0; fpfn < 1u << 20; fpfn++)
		if (machine_folio_info(m, fpfn, &before) == 0 && before.file_name)
			break;
	pin(m, fpfn);
	free0 = total_free(m);
	e.message[0] = '\0';
	assert_int_equal(mm_migrate_pages(m, fpfn, 0, &new_pfn, &e), -EAGAIN);
	assert_non_null(strstr(e.message, "extra references (pinned)"));
	assert_int_equal(new_pfn, PFN_NIL);
	assert_int_equal(machine_folio_info(m, fpfn, &after), 0);
	assert_string_equal(after.file_name, "f");
	assert_int_equal(after.index, before.index);
	assert_int_equal(after.content, before.content);
	assert_int_equal(vmstat(m, "pgmigrate_success"), 0);
	assert_int_equal(vmstat(m, "pgmigrate_fail"), 2);
	assert_int_equal(total_free(m), free0);
	unpin(m, fpfn);
	unpin(m, pfn);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * What kswapd_try_to_sleep() leaves, seen at its mm_vmscan_kswapd_sleep
 * line (before kcompactd's turn): reset_isolation_suitable() walks the zone
 * from both ends a pageblock at a time; each block of the lower half in
 * which one of the pages sampled (one in 8 from its start) is on an LRU
 * list can be a migration source, and has its hint cleared.
 */
struct skip_watch {
	struct seq s;
	struct machine *m;
	const struct zone *z;
	bool seen;
	size_t skipped, sources, sources_cleared;
	uint64_t first_source, cached_migrate;
};

static bool sampled_lru(struct machine *m, const struct zone *z, uint64_t block)
{
	uint64_t pfn = block < z->zone_start_pfn ? z->zone_start_pfn : block;

	for (; pfn < block + 512 && pfn < zone_end_pfn(z); pfn += 8)
		if (page_test(&m->mem_map[pfn], PG_lru))
			return true;
	return false;
}

static void skip_watch_record(void *ctx, const struct mm_event *e)
{
	struct skip_watch *w = ctx;
	const struct zone *z = w->z;
	uint64_t lo, hi;

	seq_record(&w->s, e);
	if (e->type != MM_EV_mm_vmscan_kswapd_sleep || !z || w->seen)
		return;
	w->seen = true;
	w->skipped = skipped_blocks(w->m, z);
	w->first_source = UINT64_MAX;
	for (lo = z->zone_start_pfn, hi = zone_end_pfn(z) - 1; lo < hi; lo += 512, hi -= 512) {
		if (!sampled_lru(w->m, z, lo & ~511ULL))
			continue;
		if (w->first_source == UINT64_MAX)
			w->first_source = lo;
		w->sources++;
		w->sources_cleared += !get_pageblock_skip(w->m, lo);
	}
	w->cached_migrate = z->compact_cached_migrate_pfn[0];
}

/*
 * The skip hints: a direct async pass for a movable order-10 request over
 * movable fragmentation whose pages are all pinned isolates nothing, and
 * marks each pageblock it scanned skipped; the scanners met, so the cached
 * positions are back at the zone's ends and compact_blockskip_flush is set.
 * The next async pass passes over the marked blocks: no range of its
 * migrate scanner starts in one, and it scans fewer pages. When kswapd goes
 * to sleep (kswapd_try_to_sleep(), after a failed GFP_NOWAIT order-9
 * request woke it), reset_isolation_suitable() clears the hints of the
 * blocks its samples find suitable: every block of the lower half with a
 * page on an LRU list among those sampled, the migrate scanner's cached
 * position at the first of them; the lowest block with user pages, which
 * keeps them only at pfns the samples miss, and blocks of the upper half
 * in which no sampled page is free keep theirs, as in 6.18. Only a direct
 * compaction's meeting asks for that flush: after kcompactd's run the
 * next sleep clears nothing.
 */
static void test_skip_hints(void **state)
{
	struct skip_watch w = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", skip_watch_record, &w);
	struct alloc_pages_result r;
	struct zone *z;
	uint64_t *pfns, cap, scanned, pass1, pass2, zs, addr, low;
	size_t n, k1, k2, nr_ranges = 0;
	bool *was_skipped;
	long b;
	int pid;

	(void)state;
	w.m = m;
	addr = fragment_movable(m, &pid);
	z = &m->nodes[0].node_zones[main_zone(m)];
	zs = z->zone_start_pfn;
	assert_int_equal(skipped_blocks(m, z), 0);
	/*
	 * The lowest pageblock with user pages keeps only those the reset's
	 * samples miss (none at a pfn that is a multiple of 8): it is not taken
	 * for a source.
	 */
	for (low = zs; low < zone_end_pfn(z) && !user_page(m, low); low++)
		;
	low &= ~511ULL;
	for (uint64_t i = 0, gone = 0; gone < 512; i++, gone++) {
		struct mm_translation t;

		if (mm_translate(m, 0, pid, addr + i * 4096, MM_ACCESS_READ, -1, &t, NULL) ||
		    t.fault)
			continue;
		gone = 0;
		if ((t.paddr >> 12) >> 9 == low >> 9 && !((t.paddr >> 12) & 7))
			assert_int_equal(mm_munmap(m, pid, addr + i * 4096, 4096, NULL), 0);
	}
	mm_drain_all_pages(m);
	assert_true(!sampled_lru(m, z, low));
	for (uint64_t pfn = low; pfn < low + 512 && !user_page(m, pfn); pfn++)
		assert_true(pfn + 1 < low + 512);	/* user pages are left there */
	pfns = calloc(zone_end_pfn(z), sizeof(*pfns));
	assert_non_null(pfns);
	n = pin_zone(m, z, true, pfns, zone_end_pfn(z));
	assert_true(n > 1000);
	/* pass 1 */
	w.s.nr = 0;
	scanned = vmstat(m, "compact_migrate_scanned");
	assert_true(try_to_compact_pages(m, GFP_HIGHUSER_MOVABLE, 10, WMARK_MIN, 0, z->idx,
					 COMPACT_PRIO_ASYNC, 0, &cap) != COMPACT_SUCCESS);
	pass1 = vmstat(m, "compact_migrate_scanned") - scanned;
	assert_int_equal(seq_count(&w.s, MM_EV_migrate_folio_move), 0);
	k1 = skipped_blocks(m, z);
	assert_true(k1 > 0);
	for (size_t i = 0; i < w.s.nr; i++)	/* every block it scanned is marked */
		if (w.s.v[i].type == MM_EV_mm_compaction_isolate_migratepages &&
		    w.s.v[i].zone == z->idx && w.s.v[i].size)
			assert_true(get_pageblock_skip(m, w.s.v[i].pfn));
	assert_true(z->compact_blockskip_flush);
	assert_int_equal(z->compact_cached_migrate_pfn[0], zs);
	assert_int_equal(z->compact_cached_migrate_pfn[1], zs);
	assert_int_equal(z->compact_cached_free_pfn, (zone_end_pfn(z) - 1) & ~511ULL);
	/* pass 2: starts at the cached position, passes over the marked blocks */
	was_skipped = calloc(zone_end_pfn(z) / 512 + 1, sizeof(*was_skipped));
	assert_non_null(was_skipped);
	for (uint64_t pfn = zs; pfn < zone_end_pfn(z); pfn += 512)
		was_skipped[pfn / 512] = get_pageblock_skip(m, pfn);
	w.s.nr = 0;
	scanned = vmstat(m, "compact_migrate_scanned");
	try_to_compact_pages(m, GFP_HIGHUSER_MOVABLE, 10, WMARK_MIN, 0, z->idx,
			     COMPACT_PRIO_ASYNC, 0, &cap);
	pass2 = vmstat(m, "compact_migrate_scanned") - scanned;
	for (size_t i = 0; i < w.s.nr; i++) {
		if (w.s.v[i].zone != z->idx)
			continue;
		if (w.s.v[i].type == MM_EV_mm_compaction_begin) {
			unsigned long long mp = 0;

			assert_non_null(strstr(w.s.v[i].detail, "migrate_pfn="));
			assert_int_equal(sscanf(strstr(w.s.v[i].detail, "migrate_pfn="),
						"migrate_pfn=0x%llx", &mp), 1);
			assert_int_equal(mp, zs);
		}
		if (w.s.v[i].type == MM_EV_mm_compaction_isolate_migratepages && w.s.v[i].size) {
			assert_false(was_skipped[w.s.v[i].pfn / 512]);
			nr_ranges++;
		}
	}
	assert_true(pass2 < pass1);
	/* kswapd goes to sleep: the hints are cleared */
	w.z = z;
	assert_int_equal(mm_alloc_pages(m, GFP_NOWAIT, 9, -1, 0, &r, NULL), -ENOMEM);
	mm_kswapd_run(m);
	b = find_from(&w.s, 0, MM_EV_mm_vmscan_kswapd_sleep);
	assert_true(b >= 0 && w.seen);
	assert_true(w.sources > 0);
	assert_int_equal(w.sources_cleared, w.sources);
	assert_int_equal(w.cached_migrate, w.first_source);
	assert_true(w.first_source > low);
	assert_true(get_pageblock_skip(m, low));
	assert_true(w.skipped > 0 && w.skipped < k1);
	/*
	 * kcompactd's run that followed (not direct compaction) marked blocks
	 * again but asked for no flush: the next time kswapd sleeps, the
	 * hints stay as they are.
	 */
	k2 = skipped_blocks(m, z);
	assert_true(k2 > w.skipped);
	assert_false(z->compact_blockskip_flush);
	w.seen = false;
	assert_int_equal(mm_alloc_pages(m, GFP_NOWAIT, 9, -1, 0, &r, NULL), -ENOMEM);
	mm_kswapd_run(m);
	assert_true(w.seen);
	assert_int_equal(w.skipped, k2);
	for (size_t i = 0; i < n; i++)
		unpin(m, pfns[i]);
	free(pfns);
	free(was_skipped);
	assert_clean(m);
	machine_destroy(m);
	free(w.s.v);
}

/*
 * The skip hints after deferral: with every user page pinned, each
 * sync-light direct compaction for a movable order-10 request fails and
 * defers the zone; the hints its runs leave make the next runs pass over
 * those pageblocks. Once the deferral is at COMPACT_MAX_DEFER_SHIFT and its
 * count is used up, compaction_restarting() is true and the run first
 * flushes the hints (__reset_isolation_suitable(): a direct run's scanners
 * met before): its migrate scanner scans the blocks marked before it again.
 */
static void test_skip_hints_restart(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct zone *z;
	uint64_t *pfns, cap;
	size_t n, runs = 0, restarts = 0;
	bool *was_skipped;
	int pid;

	(void)state;
	fragment_movable(m, &pid);
	z = &m->nodes[0].node_zones[main_zone(m)];
	pfns = calloc(zone_end_pfn(z), sizeof(*pfns));
	was_skipped = calloc(zone_end_pfn(z) / 512 + 1, sizeof(*was_skipped));
	assert_non_null(pfns);
	assert_non_null(was_skipped);
	n = pin_zone(m, z, true, pfns, zone_end_pfn(z));
	for (int call = 0; call < 200 && restarts < 2; call++) {
		bool restarting = z->compact_defer_shift == COMPACT_MAX_DEFER_SHIFT &&
				  z->compact_considered + 1 >= 1u << COMPACT_MAX_DEFER_SHIFT;
		size_t again = 0;

		for (uint64_t pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn += 512)
			was_skipped[pfn / 512] = get_pageblock_skip(m, pfn);
		s.nr = 0;
		if (try_to_compact_pages(m, GFP_HIGHUSER_MOVABLE, 10, WMARK_MIN, 0, z->idx,
					 COMPACT_PRIO_SYNC_LIGHT, 0, &cap) == COMPACT_DEFERRED)
			continue;
		assert_int_equal(seq_count(&s, MM_EV_migrate_folio_move), 0);
		for (size_t i = 0; i < s.nr; i++)
			if (s.v[i].type == MM_EV_mm_compaction_isolate_migratepages &&
			    s.v[i].zone == z->idx && s.v[i].size)
				again += was_skipped[s.v[i].pfn / 512];
		if (runs++ == 0)
			continue;		/* the first run: nothing was marked before it */
		if (restarting) {
			assert_true(again > 0);	/* the flushed blocks are scanned again */
			restarts++;
		} else {
			assert_int_equal(again, 0);	/* the marked blocks are passed over */
		}
	}
	assert_true(runs > 7);
	assert_true(restarts >= 1);
	for (size_t i = 0; i < n; i++)
		unpin(m, pfns[i]);
	free(pfns);
	free(was_skipped);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/* The mm_compaction_suitable line of zone @zi after @from: its ret=..., or NULL. */
static const char *suitable_ret(const struct seq *s, size_t from, int zi)
{
	for (size_t i = from; i < s->nr; i++)
		if (s->v[i].type == MM_EV_mm_compaction_suitable && s->v[i].zone == zi)
			return strstr(s->v[i].detail, "ret=");
	return NULL;
}

/*
 * compaction_suitable(): with the same movable fragmentation, an order-10
 * request's compaction is not run when the zone's fragmentation_index() is
 * at or below vm.extfrag_threshold (the failure would come from too little
 * memory, not from fragmentation): mm_compaction_suitable says
 * ret=not_suitable_zone, the zone's result is COMPACT_SKIPPED, no
 * mm_compaction_begin. At the default 500 it runs and succeeds.
 */
static void test_extfrag_threshold(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	const int thresholds[] = { 1000, 0 /* the index itself */ };
	struct zone *z;
	uint64_t cap;
	int pid, idx;

	(void)state;
	fragment_movable(m, &pid);
	z = &m->nodes[0].node_zones[main_zone(m)];
	idx = fragmentation_index(m, z, 10);
	assert_true(idx > 500 && idx < 1000);
	for (size_t t = 0; t < 2; t++) {
		int threshold = thresholds[t] ? thresholds[t] : idx;

		assert_int_equal(mm_sysctl_vm_set(m, "extfrag_threshold", threshold, NULL), 0);
		s.nr = 0;
		assert_int_equal(try_to_compact_pages(m, 0xcc0, 10, WMARK_MIN, 0, z->idx,
						      COMPACT_PRIO_SYNC_LIGHT, 0, &cap),
				 COMPACT_SKIPPED);
		assert_non_null(suitable_ret(&s, 0, z->idx));
		assert_string_equal(suitable_ret(&s, 0, z->idx), "ret=not_suitable_zone");
		assert_int_equal(seq_count(&s, MM_EV_mm_compaction_begin), 0);
		assert_int_equal(seq_count(&s, MM_EV_migrate_folio_move), 0);
		assert_int_equal(z->compact_defer_shift, 0);	/* skipped is not deferred */
	}
	assert_int_equal(vmstat(m, "pgmigrate_success"), 0);
	assert_int_equal(mm_sysctl_vm_set(m, "extfrag_threshold", 500, NULL), 0);
	s.nr = 0;
	assert_int_equal(try_to_compact_pages(m, 0xcc0, 10, WMARK_MIN, 0, z->idx,
					      COMPACT_PRIO_SYNC_LIGHT, 0, &cap), COMPACT_SUCCESS);
	assert_string_equal(suitable_ret(&s, 0, z->idx), "ret=continue");
	assert_true(seq_count(&s, MM_EV_mm_compaction_begin) >= 1);
	assert_true(seq_count(&s, MM_EV_migrate_folio_move) > 0);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/*
 * The modes' rules for a movable request and for compact_memory. With the
 * lowest user page of every pageblock pinned: direct async compaction for
 * a movable order-10 request scans only MIGRATE_MOVABLE pageblocks
 * (suitable_migration_source()), and gives up an order-aligned block at the
 * first page it cannot take (skip_on_failure): nothing is taken. A
 * compact_memory write is MIGRATE_SYNC, ignores the skip hints the async
 * pass left and the pageblocks' types (every block from the zone's start
 * is scanned, the unmovable ones too), and takes the pages after a pinned
 * one; the pinned pages stay.
 */
static void test_mode_rules_movable_and_sync(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":128}", seq_record, &s);
	struct zone *z;
	uint64_t *pfns, cap, next;
	size_t n, nonmovable = 0, async_ranges = 0, taken_after_pin = 0, skipped_scanned = 0;
	bool *was_skipped;
	int pid;

	(void)state;
	fragment_movable(m, &pid);
	z = &m->nodes[0].node_zones[main_zone(m)];
	pfns = calloc(zone_end_pfn(z) / 512 + 1, sizeof(*pfns));
	assert_non_null(pfns);
	n = pin_zone(m, z, false, pfns, zone_end_pfn(z) / 512 + 1);
	assert_true(n > 8);
	s.nr = 0;
	assert_true(try_to_compact_pages(m, GFP_HIGHUSER_MOVABLE, 10, WMARK_MIN, 0, z->idx,
					 COMPACT_PRIO_ASYNC, 0, &cap) != COMPACT_SUCCESS);
	assert_non_null(strstr(s.v[find_from(&s, 0, MM_EV_mm_compaction_begin)].detail,
			       "mode=async"));
	for (size_t i = 0; i < s.nr; i++)
		if (s.v[i].type == MM_EV_mm_compaction_isolate_migratepages &&
		    s.v[i].zone == z->idx) {
			assert_int_equal(get_pageblock_migratetype(m, s.v[i].pfn), MIGRATE_MOVABLE);
			assert_int_equal(nr_taken(&s.v[i]), 0);
			async_ranges++;
		}
	assert_true(async_ranges > 0);
	assert_int_equal(seq_count(&s, MM_EV_migrate_folio_move), 0);
	/* compact_memory: sync, every block in order from the zone's start */
	was_skipped = calloc(zone_end_pfn(z) / 512 + 1, sizeof(*was_skipped));
	assert_non_null(was_skipped);
	for (uint64_t pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn += 512)
		was_skipped[pfn / 512] = get_pageblock_skip(m, pfn);
	s.nr = 0;
	assert_int_equal(mm_compact_memory(m, 0, 0, NULL), 0);
	next = z->zone_start_pfn;
	for (size_t i = 0; i < s.nr; i++) {
		const struct ev *v = &s.v[i];

		if (v->zone != z->idx)
			continue;
		if (v->type == MM_EV_mm_compaction_begin)
			assert_non_null(strstr(v->detail, "mode=sync"));
		if (v->type != MM_EV_mm_compaction_isolate_migratepages)
			continue;
		assert_true(v->pfn <= next);		/* no block passed over */
		next = v->pfn + v->size;
		if (v->size) {
			nonmovable += get_pageblock_migratetype(m, v->pfn) != MIGRATE_MOVABLE;
			skipped_scanned += was_skipped[v->pfn / 512];
		}
		for (size_t k = 0; k < n; k++)
			if (pfns[k] >= v->pfn && pfns[k] < v->pfn + v->size && nr_taken(v) > 0)
				taken_after_pin++;
	}
	assert_true(nonmovable > 0);
	assert_true(skipped_scanned > 0);
	assert_true(taken_after_pin > 0);
	assert_true(seq_count(&s, MM_EV_migrate_folio_move) > 0);
	for (size_t k = 0; k < n; k++)		/* the pinned pages stayed */
		assert_true(user_page(m, pfns[k]));
	for (size_t k = 0; k < n; k++)
		unpin(m, pfns[k]);
	free(pfns);
	free(was_skipped);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

/*
 * compact_memory {node}: on a two-node machine with movable fragmentation
 * on both nodes, a write for node 1 (/sys/devices/system/node/node1/compact)
 * compacts node 1's zones only: every run and every move is on node 1, and
 * node 0's free lists are as they were. A pinned page-cache page among
 * node 1's pages is taken and fails to move: pgmigrate_fail counts it, and
 * the mm_migrate_pages line of its batch says nr_failed=1.
 */
static void test_compact_memory_node(void **state)
{
	struct seq s = { 0 };
	struct machine *m = make("{\"mem_mib\":256,\"nodes\":2,\"cpus\":2}", seq_record, &s);
	struct zone_info before[MAX_NR_ZONES], after;
	struct mm_access_summary sum;
	struct mm_folio_info fi;
	struct mm_error e = { 0 };
	const uint64_t pages = 6144;
	uint64_t addr[2], faddr, fpfn = PFN_NIL, fail0;
	size_t failed_batches = 0;
	int pid[2];

	(void)state;
	assert_int_equal(machine_nr_nodes(m), 2);
	assert_int_equal(mm_sysctl_vm_set(m, "compaction_proactiveness", 0, NULL), 0);
	for (int n = 0; n < 2; n++) {
		assert_int_equal(mm_spawn(m, n ? "p1" : "p0", &pid[n], NULL), 0);
		if (n == 1) {	/* page cache read in by node 1's CPU, first */
			assert_int_equal(mm_create_file(m, "f", 64 * 4096, NULL), 0);
			if (mm_mmap_file(m, pid[1], 0, 64 * 4096, "r--", MM_MAP_SHARED, "f", 0,
					 &faddr, &e))
				fail_msg("mmap f: %s", e.message);
			if (mm_access_range(m, 1, pid[1], faddr, 64 * 4096, 4096, MM_ACCESS_READ,
					    false, 64, &sum, &e))
				fail_msg("read f: %s", e.message);
		}
		if (mm_mmap(m, pid[n], 0, pages * 4096, "rw-", &addr[n], &e))
			fail_msg("mmap: %s", e.message);
		if (mm_access_range(m, n, pid[n], addr[n], pages * 4096, 4096, MM_ACCESS_WRITE,
				    false, pages, &sum, &e))
			fail_msg("access: %s", e.message);
		for (uint64_t i = 1; i < pages; i += 2)
			assert_int_equal(mm_munmap(m, pid[n], addr[n] + i * 4096, 4096, NULL), 0);
	}
	assert_int_equal(m->mem_map[pfn_of(m, pid[0], addr[0])].node, 0);
	assert_int_equal(m->mem_map[pfn_of(m, pid[1], addr[1])].node, 1);
	for (uint64_t pfn = 0; pfn < m->max_pfn && fpfn == PFN_NIL; pfn++)
		if (machine_folio_info(m, pfn, &fi) == 0 && fi.file_name && m->mem_map[pfn].node == 1)
			fpfn = pfn;
	assert_true(fpfn != PFN_NIL);
	pin(m, fpfn);
	mm_drain_all_pages(m);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		if (machine_zone_info(m, 0, zi, &before[zi]))
			memset(&before[zi], 0, sizeof(before[zi]));
	fail0 = vmstat(m, "pgmigrate_fail");
	s.nr = 0;
	assert_int_equal(mm_compact_memory(m, 1, 0, NULL), 0);
	assert_true(seq_count(&s, MM_EV_mm_compaction_begin) >= 1);
	assert_true(seq_count(&s, MM_EV_migrate_folio_move) > 0);
	for (size_t i = 0; i < s.nr; i++) {
		const struct ev *v = &s.v[i];

		if (v->type == MM_EV_mm_compaction_begin || v->type == MM_EV_mm_compaction_end ||
		    v->type == MM_EV_mm_compaction_isolate_migratepages ||
		    v->type == MM_EV_mm_compaction_isolate_freepages)
			assert_int_equal(v->node, 1);
		if (v->type == MM_EV_migrate_folio_move) {
			assert_int_equal(m->mem_map[v->pfn].node, 1);
			assert_int_equal(m->mem_map[v->value].node, 1);
		}
		if (v->type == MM_EV_mm_migrate_pages && strstr(v->detail, "nr_failed=1 "))
			failed_batches++;
	}
	assert_int_equal(vmstat(m, "pgmigrate_fail") - fail0, 1);
	assert_int_equal(failed_batches, 1);
	assert_int_equal(machine_folio_info(m, fpfn, &fi), 0);
	assert_string_equal(fi.file_name, "f");
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		if (machine_zone_info(m, 0, zi, &after) || !after.present)
			continue;
		assert_int_equal(after.free, before[zi].free);
		for (unsigned int o = 0; o < MAX_NR_ORDERS; o++)
			assert_int_equal(after.nr_free[o], before[zi].nr_free[o]);
	}
	unpin(m, fpfn);
	assert_clean(m);
	machine_destroy(m);
	free(s.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_anon_page),
		cmocka_unit_test(test_migrate_file_page),
		cmocka_unit_test(test_migrate_refusals),
		cmocka_unit_test(test_scanners_directions),
		cmocka_unit_test(test_movable_fragmentation_compacts),
		cmocka_unit_test(test_direct_compaction_captures),
		cmocka_unit_test(test_fast_searches),
		cmocka_unit_test(test_unmovable_fragmentation_fails),
		cmocka_unit_test(test_slowpath_order),
		cmocka_unit_test(test_mode_rules),
		cmocka_unit_test(test_deferral),
		cmocka_unit_test(test_kcompactd_woken_by_kswapd),
		cmocka_unit_test(test_proactive_compaction),
		cmocka_unit_test(test_proactive_timer),
		cmocka_unit_test(test_proactive_backoff),
		cmocka_unit_test(test_alloc_contig_range),
		cmocka_unit_test(test_migrate_pinned),
		cmocka_unit_test(test_skip_hints),
		cmocka_unit_test(test_skip_hints_restart),
		cmocka_unit_test(test_extfrag_threshold),
		cmocka_unit_test(test_mode_rules_movable_and_sync),
		cmocka_unit_test(test_compact_memory_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
