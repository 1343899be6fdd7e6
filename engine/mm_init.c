/*
 * mm_init.c - building a machine: the physical layout, nodes and zones, the
 * struct page array, and the hand-over from memblock to the buddy allocator.
 *
 * Mirrors mm/mm_init.c (free_area_init, calculate_node_totalpages,
 * memmap_init, init_unavailable_range) and the e820 picture of a PC
 * (arch/x86/kernel/e820.c). The "pc" layout puts RAM at [0, min(mem, 3 GiB)),
 * leaves a 1 GiB MMIO hole below 4 GiB, and puts the rest above 4 GiB.
 * pfn 0 and the legacy VGA/BIOS hole [0x9f000, 0x100000) are not RAM: their
 * struct pages exist (reserved) but they are not present. A layout can also be
 * imported from the text of a real /proc/zoneinfo (engine.md section 9).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "slab.h"
#include "swiotlb.h"
#include "lru.h"
#include "swap.h"
#include "vmscan.h"
#include "oom.h"
#include "memcontrol.h"
#include "compaction.h"

#define LEGACY_HOLE_START	0x9fUL		/* pfn of 0x9f000 */
#define LEGACY_HOLE_END		0x100UL		/* pfn of 0x100000 */
#define PFN_16M			(16 * SZ_1M >> PAGE_SHIFT)
#define PFN_3G			(3 * SZ_1G >> PAGE_SHIFT)
#define PFN_4G			(4 * SZ_1G >> PAGE_SHIFT)

static const char *const zone_names[MAX_NR_ZONES] = {
	"DMA", "DMA32", "Normal", "Movable", "Device"
};

static const char *const page_owner_names[NR_PAGE_OWNERS] = {
	[OWNER_HOLE] = "hole",
	[OWNER_FREE] = "free",
	[OWNER_PCP] = "pcp",
	[OWNER_RESERVED] = "reserved",
	[OWNER_KERNEL] = "kernel",
	[OWNER_MEM_MAP] = "mem_map",
	[OWNER_PAGETABLE] = "pagetable",
	[OWNER_SLAB] = "slab",
	[OWNER_KMALLOC_LARGE] = "kmalloc_large",
	[OWNER_VMALLOC] = "vmalloc",
	[OWNER_USER] = "user",
	[OWNER_PERCPU] = "percpu",
	[OWNER_OTHER] = "other",
	[OWNER_SWIOTLB] = "swiotlb",
	[OWNER_PAGECACHE] = "pagecache",
};

const char *zone_type_name(int zone)
{
	if (zone < 0 || zone >= MAX_NR_ZONES)
		return "?";
	return zone_names[zone];
}

const char *page_owner_name(int owner)
{
	if (owner < 0 || owner >= NR_PAGE_OWNERS)
		return "?";
	return page_owner_names[owner];
}

/*** The "pc" layout ***/

/* The pfn of the @off-th page of RAM, counting RAM in address order. */
static uint64_t ram_offset_to_pfn(uint64_t off, uint64_t low_pages)
{
	return off < low_pages ? off : PFN_4G + (off - low_pages);
}

/* Add RAM [s, e) to memblock.memory for node @nid, minus pfn 0 and the legacy hole. */
static int add_ram(struct machine *m, uint64_t s, uint64_t e, int nid)
{
	int err;

	if (s < 1)
		s = 1;
	if (s < LEGACY_HOLE_START && e > LEGACY_HOLE_END) {
		err = memblock_add(m, s, LEGACY_HOLE_START - s, nid);
		if (err)
			return err;
		s = LEGACY_HOLE_END;
	} else if (s < LEGACY_HOLE_END && e > LEGACY_HOLE_START) {
		if (s < LEGACY_HOLE_START)
			err = memblock_add(m, s, LEGACY_HOLE_START - s, nid);
		else
			err = 0;
		if (err)
			return err;
		s = LEGACY_HOLE_END;
	}
	return s < e ? memblock_add(m, s, e - s, nid) : 0;
}

/* Fill a node's zones from the fixed x86-64 zone boundaries. */
static void zones_from_boundaries(pg_data_t *pgdat)
{
	static const uint64_t lo[MAX_NR_ZONES] = { 0, PFN_16M, PFN_4G, 0, 0 };
	static const uint64_t hi[MAX_NR_ZONES] = { PFN_16M, PFN_4G, UINT64_MAX, 0, 0 };
	uint64_t ns = pgdat->node_start_pfn, ne = ns + pgdat->node_spanned_pages;
	int zi;

	for (zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &pgdat->node_zones[zi];
		uint64_t s = lo[zi] > ns ? lo[zi] : ns;
		uint64_t e = hi[zi] < ne ? hi[zi] : ne;

		if (zi >= ZONE_MOVABLE || s >= e)
			continue;
		z->zone_start_pfn = s;
		z->spanned_pages = e - s;
	}
}

/*
 * layout_pc() - the e820-like map of engine.md section 1, RAM split evenly
 * between the nodes (in 2 MiB units, the last node takes the rest).
 */
static int layout_pc(struct machine *m)
{
	uint64_t ram = m->cfg.mem_mib << (20 - PAGE_SHIFT);
	uint64_t low = ram < PFN_3G ? ram : PFN_3G;
	uint64_t share = ram / m->nr_nodes & ~(pageblock_nr_pages - 1);
	unsigned int n;
	int err;

	m->max_pfn = ram > low ? PFN_4G + (ram - low) : low;
	for (n = 0; n < m->nr_nodes; n++) {
		pg_data_t *pgdat = &m->nodes[n];
		uint64_t off_s = n * share;
		uint64_t off_e = n + 1 == m->nr_nodes ? ram : off_s + share;
		uint64_t ps = ram_offset_to_pfn(off_s, low);
		uint64_t pe = ram_offset_to_pfn(off_e - 1, low) + 1;

		if (ps == 0)
			ps = 1;
		pgdat->node_start_pfn = ps;
		pgdat->node_spanned_pages = pe - ps;
		if (ps < low) {
			err = add_ram(m, ps, pe < low ? pe : low, (int)n);
			if (err)
				return err;
		}
		if (pe > PFN_4G) {
			err = memblock_add(m, ps > PFN_4G ? ps : PFN_4G,
					   pe - (ps > PFN_4G ? ps : PFN_4G), (int)n);
			if (err)
				return err;
		}
		zones_from_boundaries(pgdat);
	}
	return 0;
}

/*** Importing a /proc/zoneinfo (engine.md section 9) ***/

struct imported_zone {
	int node, zone;
	uint64_t start, spanned, present;
	bool have_start;
};

static int zone_index_by_name(const char *name)
{
	int zi;

	for (zi = 0; zi < MAX_NR_ZONES; zi++)
		if (strcmp(zone_names[zi], name) == 0)
			return zi;
	return -1;
}

/* Parse the zone headers and the spanned/present/start_pfn lines. */
static int zoneinfo_parse(const char *text, struct imported_zone *zones, int max,
			  int *nr, struct mm_error *e)
{
	const char *line = text;
	int cur = -1;

	*nr = 0;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		char name[32];
		unsigned long long v;
		int node;

		if (sscanf(line, "Node %d, zone %31s", &node, name) == 2) {
			int zi = zone_index_by_name(name);

			if (zi < 0 || node < 0 || node >= (int)MACHINE_MAX_NODES)
				return mm_error_set(e, -EINVAL, "zoneinfo: unknown zone \"%s\"", name);
			if (*nr == max)
				return mm_error_set(e, -EINVAL, "zoneinfo: too many zones");
			cur = (*nr)++;
			memset(&zones[cur], 0, sizeof(zones[cur]));
			zones[cur].node = node;
			zones[cur].zone = zi;
		} else if (cur >= 0 && sscanf(line, " spanned %llu", &v) == 1) {
			zones[cur].spanned = v;
		} else if (cur >= 0 && sscanf(line, " present %llu", &v) == 1) {
			zones[cur].present = v;
		} else if (cur >= 0 && sscanf(line, " start_pfn: %llu", &v) == 1) {
			zones[cur].start = v;
			zones[cur].have_start = true;
		}
		line = eol ? eol + 1 : NULL;
	}
	if (*nr == 0)
		return mm_error_set(e, -EINVAL, "zoneinfo: no \"Node N, zone NAME\" line");
	return 0;
}

/* RAM of an imported zone: present pages from its start, legacy hole honoured. */
static int import_zone_memory(struct machine *m, const struct imported_zone *iz)
{
	uint64_t s = iz->start, holes = iz->spanned - iz->present, left = iz->present;
	uint64_t legacy = LEGACY_HOLE_END - LEGACY_HOLE_START;
	int err;

	if (s < LEGACY_HOLE_START && s + iz->spanned >= LEGACY_HOLE_END && holes >= legacy) {
		uint64_t first = LEGACY_HOLE_START - s;

		if (first > left)
			first = left;
		err = memblock_add(m, s, first, iz->node);
		if (err)
			return err;
		left -= first;
		s = LEGACY_HOLE_END;
	}
	return memblock_add(m, s, left, iz->node);
}

/*
 * zoneinfo_import() - nodes, zone spans and present pages from a real
 * /proc/zoneinfo. Holes go where a PC has them (the legacy hole in DMA) or,
 * when the text does not say where, at the end of the zone.
 */
int zoneinfo_import(struct machine *m, const char *text, struct mm_error *e)
{
	struct imported_zone zones[MACHINE_MAX_NODES * MAX_NR_ZONES];
	int nr, i, err, max_node = 0;

	err = zoneinfo_parse(text, zones, (int)(sizeof(zones) / sizeof(zones[0])), &nr, e);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		if (zones[i].node > max_node)
			max_node = zones[i].node;
		if (zones[i].present > zones[i].spanned ||
		    (zones[i].spanned && !zones[i].have_start))
			return mm_error_set(e, -EINVAL,
					    "zoneinfo: node %d zone %s: present > spanned or no start_pfn",
					    zones[i].node, zone_names[zones[i].zone]);
		if (zones[i].start + zones[i].spanned > (1ULL << 32))
			return mm_error_set(e, -EINVAL, "zoneinfo: pfns beyond 2^32 are not supported");
	}
	if ((unsigned int)max_node + 1 > m->nr_nodes)
		return mm_error_set(e, -EINVAL,
				    "zoneinfo has %d nodes, the machine was built for %u",
				    max_node + 1, m->nr_nodes);
	m->nr_nodes = (unsigned int)max_node + 1;
	for (i = 0; i < nr; i++) {
		pg_data_t *pgdat = &m->nodes[zones[i].node];
		struct zone *z = &pgdat->node_zones[zones[i].zone];
		uint64_t end = zones[i].start + zones[i].spanned;

		if (!zones[i].spanned)
			continue;
		z->zone_start_pfn = zones[i].start;
		z->spanned_pages = zones[i].spanned;
		if (!pgdat->node_spanned_pages || zones[i].start < pgdat->node_start_pfn) {
			uint64_t old_end = pgdat->node_start_pfn + pgdat->node_spanned_pages;

			pgdat->node_start_pfn = zones[i].start;
			if (old_end > end && pgdat->node_spanned_pages)
				end = old_end;
		} else if (pgdat->node_start_pfn + pgdat->node_spanned_pages > end) {
			end = pgdat->node_start_pfn + pgdat->node_spanned_pages;
		}
		pgdat->node_spanned_pages = end - pgdat->node_start_pfn;
		if (end > m->max_pfn)
			m->max_pfn = end;
		err = import_zone_memory(m, &zones[i]);
		if (err)
			return mm_error_set(e, err, "out of memory");
	}
	if (!m->max_pfn)
		return mm_error_set(e, -EINVAL, "zoneinfo: no zone has pages");
	return 0;
}

/*** Nodes, zones, struct pages ***/

/* calculate_node_totalpages(): present pages of each zone and node. */
static void calculate_node_totalpages(struct machine *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned int n;
	unsigned long i;
	int zi;

	for (n = 0; n < m->nr_nodes; n++) {
		pg_data_t *pgdat = &m->nodes[n];

		pgdat->node_id = (int)n;
		pgdat->node_present_pages = 0;
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &pgdat->node_zones[zi];

			z->node = (int)n;
			z->idx = zi;
			z->present_pages = 0;
			for (i = 0; i < mem->cnt; i++) {
				uint64_t s = mem->regions[i].base;
				uint64_t e = s + mem->regions[i].size;

				if (s < z->zone_start_pfn)
					s = z->zone_start_pfn;
				if (e > zone_end_pfn(z))
					e = zone_end_pfn(z);
				if (s < e)
					z->present_pages += e - s;
			}
			pgdat->node_present_pages += z->present_pages;
		}
		m->present_pages += pgdat->node_present_pages;
	}
}

/* The zone (and node) that spans @pfn, or NULL. */
static struct zone *zone_of_pfn(struct machine *m, uint64_t pfn)
{
	unsigned int n;
	int zi;

	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &m->nodes[n].node_zones[zi];

			if (z->spanned_pages && pfn >= z->zone_start_pfn && pfn < zone_end_pfn(z))
				return z;
		}
	return NULL;
}

/* __init_single_page(): a reserved page of @z that nobody owns yet. */
static void init_single_page(struct machine *m, uint64_t pfn, const struct zone *z)
{
	struct page *page = pfn_to_page(m, pfn);

	page->flags = 1u << PG_reserved;
	page->owner = OWNER_RESERVED;
	page->zone = (uint8_t)z->idx;
	page->node = (uint16_t)z->node;
	page->_refcount = 1;
	page->_mapcount = -1;
	page->next = page->prev = PFN_NIL;
	page->compound_head = (uint32_t)pfn;
}

/* memmap_init(): every RAM page, and the unavailable pages of the first MiB. */
static void memmap_init(struct machine *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long i;
	uint64_t pfn;

	for (i = 0; i < mem->cnt; i++) {
		const struct memblock_region *r = &mem->regions[i];
		struct zone *z = NULL;

		for (pfn = r->base; pfn < r->base + r->size; pfn++) {
			if (!z || pfn >= zone_end_pfn(z))
				z = zone_of_pfn(m, pfn);
			SIM_BUG_ON(!z);
			init_single_page(m, pfn, z);
			z->owner_pages[OWNER_RESERVED]++;
		}
	}
	/* init_unavailable_range(): pfn 0 and the legacy hole keep reserved struct pages. */
	for (pfn = 0; pfn < LEGACY_HOLE_END && pfn < m->max_pfn; pfn++) {
		struct zone *z = &m->nodes[0].node_zones[ZONE_DMA];

		if (memblock_is_memory(m, pfn) || (pfn && pfn < LEGACY_HOLE_START))
			continue;
		if (!z->spanned_pages)
			break;
		init_single_page(m, pfn, z);
		if (pfn >= z->zone_start_pfn)
			z->owner_pages[OWNER_RESERVED]++;
	}
	/* memmap_init_zone(): every pageblock starts Movable. */
	memset(m->pageblock_mt, MIGRATE_MOVABLE, (m->max_pfn + pageblock_nr_pages - 1) >>
	       pageblock_order);
}

static void zone_online_events(struct machine *m)
{
	struct mm_event ev;
	unsigned int n;
	int zi;

	if (!events_on(m))
		return;
	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			const struct zone *z = &m->nodes[n].node_zones[zi];

			if (!populated_zone(z))
				continue;
			mm_event_init(&ev, MM_EV_zone_online);
			ev.node = (int)n;
			ev.zone = zi;
			ev.pfn = z->zone_start_pfn;
			ev.paddr = PFN_PHYS(z->zone_start_pfn);
			ev.size = PFN_PHYS(z->spanned_pages);
			ev.value = (int64_t)z->managed_pages;
			ev.detail = zone_names[zi];
			emit(m, &ev);
		}
}

/*
 * mm_core_init_buddy() - memblock_free_all(), the zonelists, watermarks and
 * per-CPU pagesets: after this the buddy allocator serves requests.
 * Kernel: mm/mm_init.c, mm_core_init() and the initcalls that follow it.
 */
void mm_core_init_buddy(struct machine *m)
{
	pci_iommu_alloc(m);	/* swiotlb.c: arch_mm_preinit(), before the hand-over */
	memblock_free_all(m);
	build_all_zonelists(m);
	init_per_zone_wmark_min(m);
	m->booted = true;
	zone_online_events(m);
	kmem_cache_init(m);
	vmalloc_init(m);
	kswapd_init(m);		/* vmscan.c: one kswapd per node, asleep */
	compaction_init(m);	/* compaction.c: kcompactd, sysctls, scanner positions */
	if (swap_setup(m))	/* swapfile.c: swapon of the swap partition */
		m->swap = NULL;
}

static void cpus_to_nodes(struct machine *m)
{
	unsigned int cpu;

	for (cpu = 0; cpu < m->nr_cpus; cpu++) {
		m->cpu_to_node[cpu] = (int)(cpu * m->nr_nodes / m->nr_cpus);
		m->nodes[m->cpu_to_node[cpu]].nr_cpus++;
	}
}

/* The daemon's way of faulting a big array in (mmlab.h), or none. */
static void (*mem_map_populate)(void *addr, size_t len);

void mem_map_set_populate(void (*populate)(void *addr, size_t len))
{
	mem_map_populate = populate;
}

/*
 * The struct page array has a mapping of its own: 64 bytes a simulated page,
 * 4 GiB for a 256 GiB machine. Fresh anonymous memory is zero already (no
 * pass to clear it), asks for transparent huge pages (the host then fills it
 * in 2 MiB faults, not 4 KiB ones: the first touch of a big array was most of
 * a big machine's creation), reserves no swap for untouched parts, and goes
 * back to the host at once when the machine is destroyed.
 */
struct page *mem_map_alloc(uint64_t nr_pages)
{
	size_t len = (size_t)(nr_pages ? nr_pages : 1) * sizeof(struct page);
	void *p;

	if (nr_pages > SIZE_MAX / sizeof(struct page))
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, len, MADV_HUGEPAGE);	/* a hint: without it, 4 KiB pages */
#endif
	if (mem_map_populate && len >= MEM_MAP_POPULATE_MIN)
		mem_map_populate(p, len);
	return p;
}

void mem_map_free(struct page *map, uint64_t nr_pages)
{
	if (map)
		munmap(map, (size_t)(nr_pages ? nr_pages : 1) * sizeof(struct page));
}

static int alloc_arrays(struct machine *m)
{
	uint64_t nr_blocks = (m->max_pfn + pageblock_nr_pages - 1) >> pageblock_order;
	unsigned int n;
	int zi;

	if (m->max_pfn >= PFN_NIL)
		return -E2BIG;
	m->mem_map = mem_map_alloc(m->max_pfn);
	m->pageblock_mt = calloc(nr_blocks ? nr_blocks : 1, 1);
	if (!m->mem_map || !m->pageblock_mt)
		return -ENOMEM;
	for (n = 0; n < m->nr_nodes; n++)
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &m->nodes[n].node_zones[zi];
			unsigned int o, t;

			z->pcp = calloc(m->nr_cpus, sizeof(*z->pcp));
			if (!z->pcp)
				return -ENOMEM;
			for (o = 0; o < MAX_NR_ORDERS; o++)
				for (t = 0; t < MIGRATE_TYPES; t++)
					z->free_area[o].free_list[t] =
						(struct list_head){ PFN_NIL, PFN_NIL, 0 };
			for (t = 0; t < m->nr_cpus; t++)
				for (o = 0; o < NR_PCP_LISTS; o++)
					z->pcp[t].lists[o] = (struct list_head){ PFN_NIL, PFN_NIL, 0 };
		}
	return 0;
}

/* The physical layout and struct pages; everything before the buddy hand-over. */
static int machine_init_layout(struct machine *m, struct mm_error *e)
{
	int err;

	if (m->cfg.layout_zoneinfo)
		err = zoneinfo_import(m, m->cfg.layout_zoneinfo, e);
	else
		err = layout_pc(m);
	if (err)
		return e && e->err ? err : mm_error_set(e, err, "cannot lay out memory");
	calculate_node_totalpages(m);
	cpus_to_nodes(m);
	err = alloc_arrays(m);
	if (err)
		return mm_error_set(e, err, "cannot allocate the struct page array for %llu pfns",
				    (unsigned long long)m->max_pfn);
	memmap_init(m);
	err = memblock_setup_reservations(m);
	if (err)
		return mm_error_set(e, err, "memblock cannot place the boot reservations");
	return 0;
}

struct machine *machine_create(const struct machine_config *cfg,
			       mm_event_fn fn, void *ctx, struct mm_error *e)
{
	struct machine *m;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m) {
		mm_error_set(e, -ENOMEM, "out of memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->cfg.layout_zoneinfo = NULL;
	m->event_fn = fn;
	m->event_ctx = ctx;
	m->max_order = cfg->max_order;
	m->pb_order = cfg->max_order < HPAGE_PMD_ORDER ? cfg->max_order : HPAGE_PMD_ORDER;
	m->nr_nodes = cfg->nodes;
	m->nr_cpus = cfg->cpus;
	m->watermark_scale_factor = 10;
	m->thp_enabled = true;
	m->jiffies = INITIAL_JIFFIES;
	err = -ENOMEM;
	if (cfg->layout_zoneinfo && !(m->cfg.layout_zoneinfo = strdup(cfg->layout_zoneinfo)))
		goto fail;
	if (cfg->layout_zoneinfo)
		m->nr_nodes = MACHINE_MAX_NODES;
	m->nodes = calloc(m->nr_nodes, sizeof(*m->nodes));
	m->cpu_to_node = calloc(m->nr_cpus, sizeof(int));
	if (!m->nodes || !m->cpu_to_node)
		goto fail;
	if (slab_state_create(m) || vmalloc_state_create(m))
		goto fail;
	if (lru_state_create(m))	/* lru.h: lruvecs, files, anon_vmas */
		goto fail;
	err = machine_init_layout(m, e);
	if (err)
		goto fail_quiet;
	err = x86_boot_init(m, e);	/* boot.c: CPUs; the kernel's page tables */
	if (err)
		goto fail_quiet;
	if (cfg->start == MACHINE_START_BOOTED)
		mm_core_init_buddy(m);
	if (cfg->start == MACHINE_START_BOOTED && (err = x86_boot_late(m))) {
		mm_error_set(e, err, "the boot could not finish (%s)", mm_errno_name(err));
		goto fail_quiet;
	}
	if (cfg->start == MACHINE_START_BOOTED && cfg->swap_mib && !m->swap) {
		err = -ENOMEM;
		goto fail;
	}
	return m;
fail:
	mm_error_set(e, err, "out of memory");
fail_quiet:
	machine_destroy(m);
	return NULL;
}

void machine_destroy(struct machine *m)
{
	unsigned int n;
	int zi;

	if (!m)
		return;
	x86_state_destroy(m);
	for (n = 0; m->nodes && n < m->nr_nodes; n++) {
		for (zi = 0; zi < MAX_NR_ZONES; zi++)
			free(m->nodes[n].node_zones[zi].pcp);
		free(m->nodes[n].zonelist);
	}
	free(m->nodes);
	free(m->cpu_to_node);
	mem_map_free(m->mem_map, m->max_pfn);
	free(m->pageblock_mt);
	memblock_release(&m->memblock);
	vmalloc_state_release(m);
	slab_state_release(m);
	swiotlb_state_release(m);
	lru_state_release(m);
	swap_state_release(m);
	oom_state_release(m);		/* oom_kill.c */
	memcg_state_release(m);		/* memcontrol.c */
	machine_config_release(&m->cfg);
	free(m);
}

/*
 * machine_clone() - a deep copy: every array is duplicated, and since lists
 * link pfns rather than pointers nothing inside needs fixing up.
 */
static struct machine *clone_into(const struct machine *m, struct page *map)
{
	uint64_t nr_blocks = (m->max_pfn + pageblock_nr_pages - 1) >> pageblock_order;
	struct machine *c;
	unsigned int n;
	int zi;

	c = malloc(sizeof(*c));
	if (!c) {
		mem_map_free(map, m->max_pfn);
		return NULL;
	}
	*c = *m;
	c->cfg.layout_zoneinfo = NULL;
	c->nodes = NULL;
	c->cpu_to_node = NULL;
	c->mem_map = map;	/* freed with @c from here on */
	c->pageblock_mt = NULL;
	c->slab = NULL;
	c->vmalloc = NULL;
	c->x86 = NULL;
	c->swiotlb = NULL;
	c->files = NULL;
	c->anon_vmas = NULL;
	c->swap = NULL;
	c->oom = NULL;
	c->memcg = NULL;
	memset(&c->memblock, 0, sizeof(c->memblock));
	if (m->cfg.layout_zoneinfo && !(c->cfg.layout_zoneinfo = strdup(m->cfg.layout_zoneinfo)))
		goto fail;
	c->nodes = calloc(m->nr_nodes, sizeof(*c->nodes));
	c->cpu_to_node = malloc(m->nr_cpus * sizeof(int));
	c->pageblock_mt = malloc(nr_blocks ? nr_blocks : 1);
	if (!c->nodes || !c->cpu_to_node || !c->mem_map || !c->pageblock_mt)
		goto fail;
	c->nr_nodes = 0;
	for (n = 0; n < m->nr_nodes; n++) {
		pg_data_t *dst = &c->nodes[n];
		const pg_data_t *src = &m->nodes[n];

		*dst = *src;
		dst->zonelist = NULL;
		for (zi = 0; zi < MAX_NR_ZONES; zi++)
			dst->node_zones[zi].pcp = NULL;
		c->nr_nodes = n + 1;
		if (src->zonelist) {
			dst->zonelist = malloc(src->nr_zonerefs * sizeof(struct zoneref));
			if (!dst->zonelist)
				goto fail;
			memcpy(dst->zonelist, src->zonelist, src->nr_zonerefs * sizeof(struct zoneref));
		}
		for (zi = 0; zi < MAX_NR_ZONES; zi++) {
			dst->node_zones[zi].pcp = malloc(m->nr_cpus * sizeof(struct per_cpu_pages));
			if (!dst->node_zones[zi].pcp)
				goto fail;
			memcpy(dst->node_zones[zi].pcp, src->node_zones[zi].pcp,
			       m->nr_cpus * sizeof(struct per_cpu_pages));
		}
	}
	memcpy(c->cpu_to_node, m->cpu_to_node, m->nr_cpus * sizeof(int));
	memcpy(c->mem_map, m->mem_map, m->max_pfn * sizeof(struct page));
	memcpy(c->pageblock_mt, m->pageblock_mt, nr_blocks ? nr_blocks : 1);
	if (memblock_copy(&c->memblock, &m->memblock))
		goto fail;
	if (slab_state_clone(c, m) || vmalloc_state_clone(c, m))
		goto fail;
	if (x86_state_clone(c, m))
		goto fail;
	if (swiotlb_state_clone(c, m))
		goto fail;
	if (lru_state_clone(c, m))	/* lru.h: files, anon_vmas */
		goto fail;
	if (swap_state_clone(c, m))	/* swapfile.c: the swap device and its cache */
		goto fail;
	if (oom_state_clone(c, m))	/* oom_kill.c */
		goto fail;
	if (memcg_state_clone(c, m))	/* memcontrol.c */
		goto fail;
	return c;
fail:
	machine_destroy(c);
	return NULL;
}

struct machine *machine_clone(const struct machine *m)
{
	return clone_into(m, mem_map_alloc(m->max_pfn));
}

struct machine *machine_clone_reusing(const struct machine *m, struct mem_map_spare *spare)
{
	struct page *map = NULL;

	if (spare->pages && spare->nr_pages == m->max_pfn) {
		map = spare->pages;
		spare->pages = NULL;
	}
	mem_map_spare_free(spare);
	return clone_into(m, map ? map : mem_map_alloc(m->max_pfn));
}

void machine_destroy_keeping(struct machine *m, struct mem_map_spare *spare)
{
	if (!m)
		return;
	mem_map_spare_free(spare);
	spare->pages = m->mem_map;
	spare->nr_pages = m->max_pfn;
	m->mem_map = NULL;
	machine_destroy(m);
}

void mem_map_spare_free(struct mem_map_spare *spare)
{
	mem_map_free(spare->pages, spare->nr_pages);
	spare->pages = NULL;
	spare->nr_pages = 0;
}

void machine_set_event_fn(struct machine *m, mm_event_fn fn, void *ctx)
{
	m->event_fn = fn;
	m->event_ctx = ctx;
}

const struct machine_config *machine_get_config(const struct machine *m)
{
	return &m->cfg;
}

unsigned int machine_nr_nodes(const struct machine *m)
{
	return m->nr_nodes;
}

unsigned int machine_nr_cpus(const struct machine *m)
{
	return m->nr_cpus;
}

uint64_t machine_max_pfn(const struct machine *m)
{
	return m->max_pfn;
}

size_t machine_struct_page_size(void)
{
	return sizeof(struct page);
}

uint64_t machine_mem_map_bytes(const struct machine *m)
{
	return m->mem_map_bytes;
}

uint64_t machine_present_pages(const struct machine *m)
{
	return m->present_pages;
}

void machine_physmap(const struct machine *m, uint64_t start, uint64_t count, uint8_t *out)
{
	uint64_t i;

	for (i = 0; i < count; i++) {
		uint64_t pfn = start + i;

		out[i] = pfn < m->max_pfn ? folio_physmap_code(&m->mem_map[pfn]) : OWNER_HOLE;
	}
}
