/*
 * vmstat.c - the external-fragmentation views of debugfs:
 * /sys/kernel/debug/extfrag/unusable_index and extfrag_index.
 * Kernel: mm/vmstat.c, fill_contig_page_info(), unusable_free_index(),
 * __fragmentation_index() and their seq_file printers.
 *
 * Both are computed from the free lists alone. The unusable index of an order
 * is the share of free memory that sits in blocks too small for it; the
 * fragmentation index says, for a request that would fail, whether it fails
 * for lack of memory (towards 0) or because the memory is in pieces (towards
 * 1), and is -1 when the request would succeed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlab.h"

struct contig_page_info {
	uint64_t free_pages;
	uint64_t free_blocks_total;
	uint64_t free_blocks_suitable;
};

/* Kernel: fill_contig_page_info(). */
static void fill_contig_page_info(const struct zone_info *zi, unsigned int nr_orders,
				  unsigned int suitable_order, struct contig_page_info *info)
{
	memset(info, 0, sizeof(*info));
	for (unsigned int order = 0; order < nr_orders; order++) {
		uint64_t blocks = zi->nr_free[order];

		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable += blocks << (order - suitable_order);
	}
}

int zone_unusable_index(const struct zone_info *zi, unsigned int nr_orders, unsigned int order)
{
	struct contig_page_info info;

	fill_contig_page_info(zi, nr_orders, order, &info);
	if (!info.free_pages)
		return 1000;	/* no free memory: all of it is unusable */
	return (int)((info.free_pages - (info.free_blocks_suitable << order)) * 1000 /
		     info.free_pages);
}

int zone_fragmentation_index(const struct zone_info *zi, unsigned int nr_orders,
			     unsigned int order)
{
	struct contig_page_info info;
	uint64_t requested = 1ULL << order;

	fill_contig_page_info(zi, nr_orders, order, &info);
	if (!info.free_blocks_total)
		return 0;
	if (info.free_blocks_suitable)
		return -1000;
	return 1000 - (int)((1000 + info.free_pages * 1000 / requested) / info.free_blocks_total);
}

/* Print one line per populated zone, as walk_zones_in_node() does. */
static char *extfrag_text(const struct machine *m, bool unusable)
{
	unsigned int nr_orders = machine_get_config(m)->max_order + 1;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct zone_info zi;

	if (!f)
		return NULL;
	for (unsigned int node = 0; node < machine_nr_nodes(m); node++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			if (machine_zone_info(m, (int)node, z, &zi) || !zi.present)
				continue;
			fprintf(f, "Node %d, zone %8s ", zi.node, zi.name);
			for (unsigned int order = 0; order < nr_orders; order++) {
				int index = unusable ? zone_unusable_index(&zi, nr_orders, order)
						     : zone_fragmentation_index(&zi, nr_orders, order);

				fprintf(f, unusable ? "%d.%03d " : "%2d.%03d ", index / 1000,
					abs(index % 1000));
			}
			fputc('\n', f);
		}
	if (fclose(f))
		return NULL;
	return buf;
}

char *debug_extfrag_unusable_index(const struct machine *m)
{
	return extfrag_text(m, true);
}

char *debug_extfrag_index(const struct machine *m)
{
	return extfrag_text(m, false);
}
