/*
 * proc.c - /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo and
 * /proc/meminfo, byte for byte in Linux 6.18's layout.
 *
 * Mirrors mm/vmstat.c (frag_show_print, pagetypeinfo_showfree_print,
 * pagetypeinfo_showblockcount_print, zoneinfo_show_print) and
 * fs/proc/meminfo.c. Counters the simulation does not have (page cache,
 * swap, LRU lists, ...) print as 0, so the files keep every line a tool
 * expects. Each view returns a malloc'd string the caller frees.
 */
#include <stdarg.h>
#include <string.h>

#include "internal.h"
#include "lru.h"
#include "slab.h"
#include "swap.h"

static const struct zone *zone_at(const struct machine *m, unsigned int n, int zi)
{
	return &m->nodes[n].node_zones[zi];
}

/*** /proc/buddyinfo ***/

char *proc_buddyinfo(const struct machine *m)
{
	struct sbuf sb = { 0 };
	unsigned int n, o;
	int zi;

	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			const struct zone *z = zone_at(m, n, zi);

			if (!populated_zone(z))
				continue;
			sb_printf(&sb, "Node %u, zone %8s ", n, zone_type_name(zi));
			for (o = 0; o <= m->max_order; o++)
				sb_printf(&sb, "%6llu ", (unsigned long long)z->free_area[o].nr_free);
			sb_printf(&sb, "\n");
		}
	return sb_finish(&sb);
}

/*** /proc/pagetypeinfo ***/

/* Pageblocks of each type, stepping from zone_start_pfn over present frames. */
static void pageblock_counts(const struct machine *m, const struct zone *z,
			     uint64_t count[MIGRATE_TYPES])
{
	uint64_t pfn;

	memset(count, 0, MIGRATE_TYPES * sizeof(count[0]));
	for (pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn += pageblock_nr_pages) {
		const struct page *p = &m->mem_map[pfn];

		if (p->owner == OWNER_HOLE || p->zone != z->idx || p->node != z->node)
			continue;
		count[get_pageblock_migratetype(m, pfn)]++;
	}
}

static void pagetypeinfo_node(struct sbuf *sb, const struct machine *m, unsigned int n)
{
	uint64_t count[MIGRATE_TYPES];
	unsigned int o;
	int zi, mt;

	sb_printf(sb, "Page block order: %d\n", pageblock_order);
	sb_printf(sb, "Pages per block:  %lu\n", pageblock_nr_pages);
	sb_printf(sb, "\n");
	sb_printf(sb, "%-43s ", "Free pages count per migrate type at order");
	for (o = 0; o <= m->max_order; o++)
		sb_printf(sb, "%6u ", o);
	sb_printf(sb, "\n");
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = zone_at(m, n, zi);

		if (!populated_zone(z))
			continue;
		for (mt = 0; mt < MIGRATE_TYPES; mt++) {
			sb_printf(sb, "Node %4u, zone %8s, type %12s ", n, zone_type_name(zi),
				  migratetype_name(mt));
			for (o = 0; o <= m->max_order; o++) {
				uint64_t c = z->free_area[o].free_list[mt].nr;

				if (c >= 100000)
					sb_printf(sb, ">%6llu ", 100000ULL);
				else
					sb_printf(sb, "%6llu ", (unsigned long long)c);
			}
			sb_printf(sb, "\n");
		}
	}
	sb_printf(sb, "\n%-23s", "Number of blocks type ");
	for (mt = 0; mt < MIGRATE_TYPES; mt++)
		sb_printf(sb, "%12s ", migratetype_name(mt));
	sb_printf(sb, "\n");
	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = zone_at(m, n, zi);

		if (!populated_zone(z))
			continue;
		pageblock_counts(m, z, count);
		sb_printf(sb, "Node %u, zone %8s ", n, zone_type_name(zi));
		for (mt = 0; mt < MIGRATE_TYPES; mt++)
			sb_printf(sb, "%12llu ", (unsigned long long)count[mt]);
		sb_printf(sb, "\n");
	}
}

char *proc_pagetypeinfo(const struct machine *m)
{
	struct sbuf sb = { 0 };
	unsigned int n;

	for (n = 0; n < m->nr_nodes; n++)
		if (m->nodes[n].node_present_pages)
			pagetypeinfo_node(&sb, m, n);
	return sb_finish(&sb);
}

/*** /proc/zoneinfo ***/

static const char *const node_stat_names[] = {
	"nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
	"nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable",
	"nr_isolated_anon", "nr_isolated_file", "workingset_nodes",
	"workingset_refault_anon", "workingset_refault_file", "workingset_activate_anon",
	"workingset_activate_file", "workingset_restore_anon", "workingset_restore_file",
	"workingset_nodereclaim", "nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty",
	"nr_writeback", "nr_shmem", "nr_shmem_hugepages", "nr_shmem_pmdmapped",
	"nr_file_hugepages", "nr_file_pmdmapped", "nr_anon_transparent_hugepages",
	"nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written",
	"nr_throttled_written", "nr_kernel_misc_reclaimable", "nr_foll_pin_acquired",
	"nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages",
	"nr_sec_page_table_pages", "nr_iommu_pages", "nr_swapcached", "pgpromote_success",
	"pgpromote_candidate", "pgpromote_candidate_nrl", "pgdemote_kswapd",
	"pgdemote_direct", "pgdemote_khugepaged", "pgdemote_proactive", "nr_hugetlb",
	"nr_balloon_pages", "nr_kernel_file_pages",
};

static uint64_t node_owner_pages(const struct machine *m, unsigned int n, int owner)
{
	uint64_t sum = 0;
	int zi;

	for (zi = 0; zi < MAX_NR_ZONES; zi++)
		sum += zone_at(m, n, zi)->owner_pages[owner];
	return sum;
}

/* Page-table pages the buddy handed out (the early, memblock ones are not counted). */
static uint64_t node_pagetable_pages(const struct machine *m, unsigned int n)
{
	uint64_t pt = node_owner_pages(m, n, OWNER_PAGETABLE);

	if (n == 0)
		pt = pt > m->early_pgtable_pages ? pt - m->early_pgtable_pages : 0;
	return pt;
}

static uint64_t node_stat(const struct machine *m, unsigned int n, const char *name)
{
	/* kmalloc_large blocks count as unreclaimable slab, as the kernel accounts them. */
	if (!strcmp(name, "nr_slab_unreclaimable"))
		return slab_pages(m, (int)n, false) + node_owner_pages(m, n, OWNER_KMALLOC_LARGE);
	if (!strcmp(name, "nr_slab_reclaimable"))
		return slab_pages(m, (int)n, true);
	if (!strcmp(name, "nr_anon_pages") || !strcmp(name, "nr_active_anon"))
		return node_owner_pages(m, n, OWNER_USER);
	if (!strcmp(name, "nr_page_table_pages"))
		return node_pagetable_pages(m, n);
	return 0;
}

/* calculate_normal_threshold(): the per-CPU vmstat drift allowed. */
static int stat_threshold(const struct machine *m, const struct zone *z)
{
	int mem = (int)(z->managed_pages >> (27 - PAGE_SHIFT));
	int cpus_fls = 32 - __builtin_clz(m->nr_cpus);
	int mem_fls = mem ? 32 - __builtin_clz((unsigned int)mem) : 0;
	int t = 2 * cpus_fls * (1 + mem_fls);

	return t < 125 ? t : 125;
}

static uint64_t free_pages_blocks(const struct machine *m, const struct zone *z)
{
	uint64_t sum = 0;
	unsigned int o;

	for (o = pageblock_order; o <= m->max_order && o < MAX_NR_ORDERS; o++)
		sum += z->free_area[o].nr_free << o;
	return sum;
}

static void zoneinfo_zone_stats(struct sbuf *sb, const struct machine *m, const struct zone *z)
{
	sb_printf(sb, "\n      %-12s %llu", "nr_free_pages", (unsigned long long)z->nr_free_pages);
	sb_printf(sb, "\n      %-12s %llu", "nr_free_pages_blocks",
		  (unsigned long long)free_pages_blocks(m, z));
	sb_printf(sb, "\n      %-12s %lu", "nr_zone_inactive_anon", 0UL);
	sb_printf(sb, "\n      %-12s %llu", "nr_zone_active_anon",
		  (unsigned long long)z->owner_pages[OWNER_USER]);
	sb_printf(sb, "\n      %-12s %lu", "nr_zone_inactive_file", 0UL);
	sb_printf(sb, "\n      %-12s %lu", "nr_zone_active_file", 0UL);
	sb_printf(sb, "\n      %-12s %lu", "nr_zone_unevictable", 0UL);
	sb_printf(sb, "\n      %-12s %lu", "nr_zone_write_pending", 0UL);
	sb_printf(sb, "\n      %-12s %lu", "nr_mlock", 0UL);
	sb_printf(sb, "\n      %-12s %lu", "nr_zspages", 0UL);
	sb_printf(sb, "\n      %-12s %lu", "nr_free_cma", 0UL);
	sb_printf(sb, "\n      %-12s %llu", "numa_hit", (unsigned long long)z->numa_hit);
	sb_printf(sb, "\n      %-12s %llu", "numa_miss", (unsigned long long)z->numa_miss);
	sb_printf(sb, "\n      %-12s %llu", "numa_foreign", (unsigned long long)z->numa_foreign);
	sb_printf(sb, "\n      %-12s %lu", "numa_interleave", 0UL);
	sb_printf(sb, "\n      %-12s %llu", "numa_local", (unsigned long long)z->numa_local);
	sb_printf(sb, "\n      %-12s %llu", "numa_other", (unsigned long long)z->numa_other);
}

static void zoneinfo_pagesets(struct sbuf *sb, const struct machine *m, const struct zone *z)
{
	unsigned int cpu;

	sb_printf(sb, "\n  pagesets");
	for (cpu = 0; cpu < m->nr_cpus; cpu++) {
		const struct per_cpu_pages *pcp = &z->pcp[cpu];

		sb_printf(sb, "\n    cpu: %u"
			  "\n              count:    %d"
			  "\n              high:     %d"
			  "\n              batch:    %d"
			  "\n              high_min: %d"
			  "\n              high_max: %d",
			  cpu, pcp->count, pcp->high, pcp->batch, pcp->high_min, pcp->high_max);
		sb_printf(sb, "\n  vm stats threshold: %d", stat_threshold(m, z));
	}
}

static void zoneinfo_zone(struct sbuf *sb, const struct machine *m, unsigned int n, int zi,
			  bool first_populated)
{
	const struct zone *z = zone_at(m, n, zi);
	size_t i;

	sb_printf(sb, "Node %u, zone %8s", n, zone_type_name(zi));
	if (first_populated) {
		sb_printf(sb, "\n  per-node stats");
		for (i = 0; i < sizeof(node_stat_names) / sizeof(node_stat_names[0]); i++)
			sb_printf(sb, "\n      %-12s %llu", node_stat_names[i],
				  (unsigned long long)node_stat(m, n, node_stat_names[i]));
	}
	sb_printf(sb, "\n  pages free     %llu"
		  "\n        boost    %llu"
		  "\n        min      %llu"
		  "\n        low      %llu"
		  "\n        high     %llu"
		  "\n        promo    %llu"
		  "\n        spanned  %llu"
		  "\n        present  %llu"
		  "\n        managed  %llu"
		  "\n        cma      %lu",
		  (unsigned long long)z->nr_free_pages, (unsigned long long)z->watermark_boost,
		  /* min_wmark_pages() and the others: the marks with the boost */
		  (unsigned long long)(z->_watermark[WMARK_MIN] + z->watermark_boost),
		  (unsigned long long)(z->_watermark[WMARK_LOW] + z->watermark_boost),
		  (unsigned long long)(z->_watermark[WMARK_HIGH] + z->watermark_boost),
		  (unsigned long long)(z->_watermark[WMARK_PROMO] + z->watermark_boost),
		  (unsigned long long)z->spanned_pages, (unsigned long long)z->present_pages,
		  (unsigned long long)z->managed_pages, 0UL);
	sb_printf(sb, "\n        protection: (%llu", (unsigned long long)z->lowmem_reserve[0]);
	for (i = 1; i < MAX_NR_ZONES; i++)
		sb_printf(sb, ", %llu", (unsigned long long)z->lowmem_reserve[i]);
	sb_printf(sb, ")");
	if (!populated_zone(z)) {
		sb_printf(sb, "\n");
		return;
	}
	zoneinfo_zone_stats(sb, m, z);
	zoneinfo_pagesets(sb, m, z);
	sb_printf(sb, "\n  node_unreclaimable:  %u\n  start_pfn:           %llu\n", 0u,
		  (unsigned long long)z->zone_start_pfn);
}

char *proc_zoneinfo(const struct machine *m)
{
	struct sbuf sb = { 0 };
	unsigned int n;
	int zi;

	for (n = 0; n < m->nr_nodes; n++) {
		bool first = true;

		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			bool pop = populated_zone(zone_at(m, n, zi));

			zoneinfo_zone(&sb, m, n, zi, pop && first);
			if (pop)
				first = false;
		}
	}
	return sb_finish(&sb);
}

/*** /proc/meminfo ***/

static void show_val_kb(struct sbuf *sb, const char *name, uint64_t pages)
{
	sb_printf(sb, "%-16s%8llu kB\n", name, (unsigned long long)(pages << (PAGE_SHIFT - 10)));
}

static void show_val(struct sbuf *sb, const char *name, uint64_t v, const char *unit)
{
	sb_printf(sb, "%-16s%8llu%s\n", name, (unsigned long long)v, unit);
}

static uint64_t total_owner_pages(const struct machine *m, int owner)
{
	uint64_t sum = 0;
	unsigned int n;

	for (n = 0; n < m->nr_nodes; n++)
		sum += node_owner_pages(m, n, owner);
	return sum;
}

/* The direct map's 4k, 2M and 1G mappings of all RAM, in kB (see engine.md section 6). */
static void direct_map_sizes(const struct machine *m, uint64_t kb[3])
{
	const uint64_t gb = SZ_1G >> PAGE_SHIFT, mb2 = (2 * SZ_1M) >> PAGE_SHIFT;
	uint64_t g, p;

	kb[0] = kb[1] = kb[2] = 0;
	for (g = 0; g < m->max_pfn; g += gb) {
		uint64_t ram = memblock_memory_pages_in(m, g, g + gb);

		if (!ram)
			continue;
		if (ram == gb && m->cfg.gbpages) {
			kb[2] += SZ_1G >> 10;
			continue;
		}
		for (p = g; p < g + gb && p < m->max_pfn; p += mb2) {
			uint64_t r2 = memblock_memory_pages_in(m, p, p + mb2);

			if (r2 == mb2)
				kb[1] += 2048;
			else
				kb[0] += r2 * 4;
		}
	}
	/* init_mem_mapping() maps the whole ISA range [0, 1 MiB) with 4 KiB pages, RAM or not. */
	kb[0] += (256 - memblock_memory_pages_in(m, 0, 256)) * 4;
}

char *proc_meminfo(const struct machine *m)
{
	struct sbuf sb = { 0 };
	uint64_t free = 0, pcp = 0, avail, slab, dm[3];
	unsigned int n;
	int zi;

	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			free += zone_at(m, n, zi)->nr_free_pages;
			pcp += zone_pcp_pages(zone_at(m, n, zi), m->nr_cpus);
		}
	avail = free > m->totalreserve_pages ? free - m->totalreserve_pages : 0;
	{	/* si_mem_available(): the file LRU less what the low watermarks keep */
		uint64_t pagecache = global_node_page_state(m, NR_ACTIVE_FILE) +
				     global_node_page_state(m, NR_INACTIVE_FILE), low = 0;

		for (n = 0; n < m->nr_nodes; n++)
			for (zi = 0; zi < MAX_NR_ZONES; zi++)
				low += zone_at(m, n, zi)->_watermark[WMARK_LOW];
		avail += pagecache - (pagecache / 2 < low ? pagecache / 2 : low);
	}
	slab = total_owner_pages(m, OWNER_SLAB) + total_owner_pages(m, OWNER_KMALLOC_LARGE);
	show_val_kb(&sb, "MemTotal:", m->totalram_pages);
	show_val_kb(&sb, "MemFree:", free);
	show_val_kb(&sb, "MemAvailable:", avail);
	show_val_kb(&sb, "Buffers:", 0);
	/* meminfo_proc_show(): Cached is NR_FILE_PAGES less the swap cache */
	show_val_kb(&sb, "Cached:", global_node_page_state(m, NR_FILE_PAGES) -
		    global_node_page_state(m, NR_SWAPCACHE));
	show_val_kb(&sb, "SwapCached:", global_node_page_state(m, NR_SWAPCACHE));
	show_val_kb(&sb, "Active:", global_node_page_state(m, NR_ACTIVE_ANON) +
		    global_node_page_state(m, NR_ACTIVE_FILE));
	show_val_kb(&sb, "Inactive:", global_node_page_state(m, NR_INACTIVE_ANON) +
		    global_node_page_state(m, NR_INACTIVE_FILE));
	show_val_kb(&sb, "Active(anon):", global_node_page_state(m, NR_ACTIVE_ANON));
	show_val_kb(&sb, "Inactive(anon):", global_node_page_state(m, NR_INACTIVE_ANON));
	show_val_kb(&sb, "Active(file):", global_node_page_state(m, NR_ACTIVE_FILE));
	show_val_kb(&sb, "Inactive(file):", global_node_page_state(m, NR_INACTIVE_FILE));
	show_val_kb(&sb, "Unevictable:", global_node_page_state(m, NR_UNEVICTABLE));
	show_val_kb(&sb, "Mlocked:", 0);
	show_val_kb(&sb, "SwapTotal:", total_swap_pages(m));	/* swapfile.c */
	show_val_kb(&sb, "SwapFree:", get_nr_swap_pages(m));
	show_val_kb(&sb, "Zswap:", 0);
	show_val_kb(&sb, "Zswapped:", 0);
	show_val_kb(&sb, "Dirty:", global_node_page_state(m, NR_FILE_DIRTY));
	show_val_kb(&sb, "Writeback:", global_node_page_state(m, NR_WRITEBACK));
	show_val_kb(&sb, "AnonPages:", global_node_page_state(m, NR_ANON_MAPPED));
	show_val_kb(&sb, "Mapped:", global_node_page_state(m, NR_FILE_MAPPED));
	show_val_kb(&sb, "Shmem:", 0);
	show_val_kb(&sb, "KReclaimable:", slab_pages(m, -1, true));
	show_val_kb(&sb, "Slab:", slab);
	show_val_kb(&sb, "SReclaimable:", slab_pages(m, -1, true));
	show_val_kb(&sb, "SUnreclaim:", slab - slab_pages(m, -1, true));
	show_val_kb(&sb, "KernelStack:", 0);
	{
		uint64_t pt = 0;

		for (n = 0; n < m->nr_nodes; n++)
			pt += node_pagetable_pages(m, n);
		show_val_kb(&sb, "PageTables:", pt);
	}
	show_val_kb(&sb, "SecPageTables:", 0);
	show_val_kb(&sb, "NFS_Unstable:", 0);
	show_val_kb(&sb, "Bounce:", 0);
	show_val_kb(&sb, "WritebackTmp:", 0);
	show_val_kb(&sb, "CommitLimit:", m->totalram_pages * 50 / 100 + total_swap_pages(m));
	show_val_kb(&sb, "Committed_AS:", 0);
	show_val(&sb, "VmallocTotal:", m->cfg.paging_levels == 5 ? 13743895347199ULL :
		 34359738367ULL, " kB");
	show_val_kb(&sb, "VmallocUsed:", total_owner_pages(m, OWNER_VMALLOC));
	show_val_kb(&sb, "VmallocChunk:", 0);
	show_val_kb(&sb, "Percpu:", m->percpu_pages);
	show_val_kb(&sb, "AnonHugePages:", 0);
	show_val_kb(&sb, "ShmemHugePages:", 0);
	show_val_kb(&sb, "ShmemPmdMapped:", 0);
	show_val_kb(&sb, "FileHugePages:", 0);
	show_val_kb(&sb, "FilePmdMapped:", 0);
	show_val_kb(&sb, "Balloon:", 0);
	show_val(&sb, "HugePages_Total:", 0, "");
	show_val(&sb, "HugePages_Free:", 0, "");
	show_val(&sb, "HugePages_Rsvd:", 0, "");
	show_val(&sb, "HugePages_Surp:", 0, "");
	show_val(&sb, "Hugepagesize:", 2048, " kB");
	show_val(&sb, "Hugetlb:", 0, " kB");
	direct_map_sizes(m, dm);
	show_val(&sb, "DirectMap4k:", dm[0], " kB");
	show_val(&sb, "DirectMap2M:", dm[1], " kB");
	show_val(&sb, "DirectMap1G:", dm[2], " kB");
	(void)pcp;
	return sb_finish(&sb);
}
