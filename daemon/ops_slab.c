/*
 * ops_slab.c - the kernel allocators' ops: kmalloc, kfree, kmem_cache_*,
 * vmalloc, vfree and dma_map (api.md "Operations").
 *
 * Fields are checked here, at the edge; what the simulated kernel refuses
 * (ENOMEM, a bad pointer, a live cache, a buffer a device cannot reach) is
 * the op's result with the engine's message.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon/ops.h"

#define KMALLOC_OP_MAX_SIZE	(1ULL << 32)

static json_t *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

static int field_gfp(struct op_ctx *c, gfp_t *gfp)
{
	const char *text;

	if (op_field_str(c, "gfp", false, "GFP_KERNEL", &text))
		return c->e.err;
	return gfp_parse(text, gfp, &c->e);
}

static json_t *kmalloc_json(const struct kmalloc_result *r)
{
	json_t *o = json_pack("{s:b,s:o,s:s,s:I,s:o,s:I,s:i}", "ok", 1, "addr", hex(r->addr),
			      "cache", r->cache, "pfn", (json_int_t)r->pfn,
			      "paddr", hex(r->paddr), "bytes_alloc", (json_int_t)r->bytes_alloc,
			      "order", (int)r->order);

	json_object_set_new(o, "zone", json_string(zone_type_name(r->zone)));
	return o;
}

static int op_kmalloc(struct op_ctx *c)
{
	struct kmalloc_result r;
	uint64_t size, cpu;
	gfp_t gfp;
	int err;

	if (op_field_u64(c, "size", true, 0, KMALLOC_OP_MAX_SIZE, &size) ||
	    op_field_cpu(c, &cpu))
		return c->e.err;
	err = field_gfp(c, &gfp);
	if (err)
		return err;
	err = mm_kmalloc(c->m, size, gfp, (int)cpu, &r, &c->e);
	if (err)
		return err;
	if (r.addr == ZERO_SIZE_PTR)
		c->result = json_pack("{s:b,s:o,s:s}", "ok", 1, "addr", hex(r.addr),
				      "cache", "ZERO_SIZE_PTR");
	else
		c->result = kmalloc_json(&r);
	return 0;
}

static int op_kfree(struct op_ctx *c)
{
	uint64_t addr, cpu;

	if (op_field_addr(c, "addr", true, 0, &addr) || op_field_cpu(c, &cpu))
		return c->e.err;
	return mm_kfree(c->m, addr, (int)cpu, &c->e);
}

static int op_ksize(struct op_ctx *c)
{
	uint64_t addr, size;
	int err;

	if (op_field_addr(c, "addr", true, 0, &addr))
		return c->e.err;
	err = mm_ksize(c->m, addr, &size, &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:I}", "ok", 1, "size", (json_int_t)size);
	return 0;
}

static int op_kmem_cache_create(struct op_ctx *c)
{
	struct slab_cache_info info;
	const char *name;
	uint64_t size, align;
	int err;

	if (op_field_str(c, "name", true, NULL, &name) ||
	    op_field_u64(c, "size", true, 0, UINT32_MAX, &size) ||
	    op_field_u64(c, "align", false, 0, UINT32_MAX, &align))
		return c->e.err;
	err = mm_kmem_cache_create(c->m, name, (unsigned int)size, (unsigned int)align, &info,
				   &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:s,s:i,s:i,s:i,s:i,s:i}", "ok", 1, "name", info.name,
			      "objsize", (int)info.size, "object_size", (int)info.object_size,
			      "align", (int)info.align, "objperslab", (int)info.objperslab,
			      "pagesperslab", (int)info.pagesperslab);
	/* find_mergeable() answered with an existing cache: the name is an alias of it */
	if (strcmp(info.name, name)) {
		json_object_set_new(c->result, "name", json_string(name));
		json_object_set_new(c->result, "merged_into", json_string(info.name));
	}
	return 0;
}

static int op_kmem_cache_alloc(struct op_ctx *c)
{
	struct kmalloc_result r;
	const char *cache;
	uint64_t cpu;
	gfp_t gfp;
	int err;

	if (op_field_str(c, "cache", true, NULL, &cache) || op_field_cpu(c, &cpu))
		return c->e.err;
	err = field_gfp(c, &gfp);
	if (err)
		return err;
	err = mm_kmem_cache_alloc(c->m, cache, gfp, (int)cpu, &r, &c->e);
	if (err)
		return err;
	c->result = kmalloc_json(&r);
	return 0;
}

static int op_kmem_cache_free(struct op_ctx *c)
{
	const char *cache;
	uint64_t addr, cpu;

	if (op_field_str(c, "cache", true, NULL, &cache) ||
	    op_field_addr(c, "addr", true, 0, &addr) || op_field_cpu(c, &cpu))
		return c->e.err;
	return mm_kmem_cache_free(c->m, cache, addr, (int)cpu, &c->e);
}

static int op_kmem_cache_destroy(struct op_ctx *c)
{
	const char *cache;

	if (op_field_str(c, "cache", true, NULL, &cache))
		return c->e.err;
	return mm_kmem_cache_destroy(c->m, cache, &c->e);
}

/*** vmalloc and DMA ***/

static int op_vmalloc(struct op_ctx *c)
{
	struct vmalloc_area_info info;
	const char *caller;
	uint64_t size, cpu, addr;
	json_t *pfns;
	int err;

	if (op_field_u64(c, "size", true, 0, KMALLOC_OP_MAX_SIZE, &size) ||
	    op_field_str(c, "caller", false, NULL, &caller) || op_field_cpu(c, &cpu))
		return c->e.err;
	if (!size)
		return op_bad(c, "size must be at least 1 byte");
	if (caller && (strlen(caller) == 0 || strlen(caller) > 63 || strpbrk(caller, " \t\n")))
		return op_bad(c, "caller is 1..63 characters without spaces");
	err = mm_vmalloc(c->m, size, (int)cpu, caller, &addr, &c->e);
	if (err)
		return err;
	for (unsigned int i = 0; i < machine_vmalloc_areas(c->m); i++) {
		if (machine_vmalloc_area(c->m, i, &info) || info.addr != addr)
			continue;
		pfns = json_array();
		for (unsigned int k = 0; k < info.nr_pages; k++)
			json_array_append_new(pfns, json_integer((json_int_t)info.pfns[k]));
		c->result = json_pack("{s:b,s:o,s:I,s:i,s:o,s:o,s:o,s:b}", "ok", 1,
				      "addr", hex(addr), "size", (json_int_t)info.size,
				      "nr_pages", (int)info.nr_pages, "pfns", pfns,
				      "vm_struct", hex(info.vm_struct_addr),
				      "pages_array", hex(info.pages_addr),
				      "pages_array_vmalloc", info.pages_vmalloc);
		return 0;
	}
	return op_bad(c, "vmalloc returned 0x%" PRIx64 " but no area starts there", addr);
}

static int op_vfree(struct op_ctx *c)
{
	uint64_t addr, cpu;

	if (op_field_addr(c, "addr", true, 0, &addr) || op_field_cpu(c, &cpu))
		return c->e.err;
	return mm_vfree(c->m, addr, (int)cpu, &c->e);
}

static int op_vmalloc_to_page(struct op_ctx *c)
{
	uint64_t addr, pfn;
	int err;

	if (op_field_addr(c, "addr", true, 0, &addr))
		return c->e.err;
	err = mm_vmalloc_to_pfn(c->m, addr, &pfn, &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:I,s:o}", "ok", 1, "pfn", (json_int_t)pfn,
			      "paddr", hex((pfn << 12) | (addr & 0xfff)));
	return 0;
}

/* "dir": DMA_BIDIRECTIONAL (default), DMA_TO_DEVICE or DMA_FROM_DEVICE. */
static int op_field_dir(struct op_ctx *c, int *dir)
{
	const char *name;

	if (op_field_str(c, "dir", false, "DMA_BIDIRECTIONAL", &name))
		return c->e.err;
	*dir = dma_direction_from_name(name);
	if (*dir < 0)
		return op_bad(c, "dir must be DMA_BIDIRECTIONAL, DMA_TO_DEVICE or DMA_FROM_DEVICE");
	return 0;
}

static int op_dma_map(struct op_ctx *c)
{
	uint64_t addr, length, bits, cpu;
	struct dma_map_info info;
	int err, dir;

	if (op_field_addr(c, "addr", true, 0, &addr) ||
	    op_field_u64(c, "length", true, 0, KMALLOC_OP_MAX_SIZE, &length) ||
	    op_field_u64(c, "device_mask_bits", false, 64, 64, &bits) ||
	    op_field_dir(c, &dir) || op_field_cpu(c, &cpu))
		return c->e.err;
	if (!length || bits < 12)
		return op_bad(c, "length must be at least 1 and device_mask_bits 12..64");
	err = mm_dma_map_attrs(c->m, addr, length, (unsigned int)bits, dir, (int)cpu, &info,
			       &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:o,s:i,s:o,s:b,s:s}", "ok", 1, "dma_addr", hex(info.dma_addr),
			      "device_mask_bits", (int)bits, "paddr", hex(info.phys),
			      "bounced", info.bounced, "dir", dma_direction_name(dir));
	if (info.bounced)
		json_object_set_new(c->result, "swiotlb_slots",
				    json_pack("{s:i,s:i}", "first", (int)info.slot,
					      "count", (int)info.nslots));
	return 0;
}

static int op_dma_unmap(struct op_ctx *c)
{
	uint64_t addr, length;
	struct dma_unmap_info info;
	int err, dir;

	if (op_field_addr(c, "dma_addr", true, 0, &addr) ||
	    op_field_u64(c, "length", true, 0, KMALLOC_OP_MAX_SIZE, &length) ||
	    op_field_dir(c, &dir))
		return c->e.err;
	if (!length)
		return op_bad(c, "length must be at least 1");
	err = mm_dma_unmap(c->m, addr, length, dir, &info, &c->e);
	if (err)
		return err;
	c->result = json_pack("{s:b,s:b,s:s}", "ok", 1, "bounced", info.bounced,
			      "dir", dma_direction_name(dir));
	if (info.bounced) {
		json_object_set_new(c->result, "paddr", hex(info.orig_phys));
		json_object_set_new(c->result, "copied_back", json_integer((json_int_t)info.copied));
		json_object_set_new(c->result, "swiotlb_slots",
				    json_pack("{s:i,s:i}", "first", (int)info.slot,
					      "count", (int)info.nslots));
	}
	return 0;
}

static const char *const kmalloc_fields[] = { "size", "gfp", "cpu", NULL };
static const char *const kfree_fields[] = { "addr", "cpu", NULL };
static const char *const ksize_fields[] = { "addr", NULL };
static const char *const cache_create_fields[] = { "name", "size", "align", NULL };
static const char *const cache_alloc_fields[] = { "cache", "gfp", "cpu", NULL };
static const char *const cache_free_fields[] = { "cache", "addr", "cpu", NULL };
static const char *const cache_destroy_fields[] = { "cache", NULL };
static const char *const vmalloc_fields[] = { "size", "caller", "cpu", NULL };
static const char *const dma_map_fields[] = { "addr", "length", "device_mask_bits", "dir", "cpu",
					       NULL };
static const char *const dma_unmap_fields[] = { "dma_addr", "length", "dir", NULL };

const struct op_def slab_ops[] = {
	{ "kmalloc", kmalloc_fields, op_kmalloc },
	{ "kfree", kfree_fields, op_kfree },
	{ "ksize", ksize_fields, op_ksize },
	{ "kmem_cache_create", cache_create_fields, op_kmem_cache_create },
	{ "kmem_cache_alloc", cache_alloc_fields, op_kmem_cache_alloc },
	{ "kmem_cache_free", cache_free_fields, op_kmem_cache_free },
	{ "kmem_cache_destroy", cache_destroy_fields, op_kmem_cache_destroy },
	{ "vmalloc", vmalloc_fields, op_vmalloc },
	{ "vfree", kfree_fields, op_vfree },
	{ "vmalloc_to_page", ksize_fields, op_vmalloc_to_page },
	{ "dma_map", dma_map_fields, op_dma_map },
	{ "dma_unmap", dma_unmap_fields, op_dma_unmap },
	{ NULL, NULL, NULL },
};
