/*
 * api_slab.c - the kernel allocators' state views: slab caches, vmalloc
 * areas, /proc/slabinfo and /proc/vmallocinfo. Each reads the live machine or
 * a replayed one (view_begin), so ?at=SEQ works for all of them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"

static json_t *slab_cache_json(const struct slab_cache_info *ci)
{
	return json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:b}",
			 "name", ci->name, "objsize", (int)ci->size,
			 "object_size", (int)ci->object_size, "align", (int)ci->align,
			 "objperslab", (int)ci->objperslab, "pagesperslab", (int)ci->pagesperslab,
			 "active_objs", (json_int_t)ci->active_objs,
			 "num_objs", (json_int_t)ci->num_objs,
			 "active_slabs", (json_int_t)ci->active_slabs,
			 "num_slabs", (json_int_t)ci->num_slabs,
			 "partial", (json_int_t)ci->partial,
			 "cpu_slabs", (json_int_t)ci->cpu_slabs,
			 "inuse", (json_int_t)ci->inuse,
			 "min_partial", (int)ci->min_partial,
			 "kmalloc", ci->is_kmalloc);
}

/*
 * The names merged into a cache (find_mergeable()), as /sys/kernel/slab
 * shows them as links to it, and its reference count.
 */
static json_t *slab_cache_aliases(const struct machine *m, unsigned int i,
				  const struct slab_cache_info *ci, json_t *cache)
{
	json_t *aliases = json_array();
	const char *name;

	for (unsigned int k = 0; (name = machine_slab_alias(m, i, k)) != NULL; k++)
		json_array_append_new(aliases, json_string(name));
	json_object_set_new(cache, "aliases", aliases);
	json_object_set_new(cache, "refcount", json_integer(ci->refcount));
	/* CONFIG_SLUB_CPU_PARTIAL: slabs on the CPUs' partial lists, and one list's limit */
	json_object_set_new(cache, "cpu_partial", json_integer((json_int_t)ci->cpu_partial));
	json_object_set_new(cache, "cpu_partial_slabs", json_integer(ci->cpu_partial_slabs));
	return cache;
}

void api_view_slabs(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct slab_cache_info ci;
	struct view v;
	json_t *caches;
	unsigned int n;

	if (!view_begin(srv, req, rep, &v))
		return;
	caches = json_array();
	n = machine_slab_caches(v.m);
	for (unsigned int i = 0; i < n; i++)
		if (machine_slab_cache_info(v.m, i, &ci) == 0)
			json_array_append_new(caches, slab_cache_aliases(v.m, i, &ci,
									 slab_cache_json(&ci)));
	reply_json(rep, 200, json_pack("{s:I,s:o}", "seq", (json_int_t)v.seq, "caches", caches));
	view_end(&v);
}

static void text_view(struct server *srv, struct http_request *req, struct http_reply *rep,
		      char *(*render)(const struct machine *))
{
	struct view v;
	char *text;

	if (!view_begin(srv, req, rep, &v))
		return;
	text = render(v.m);
	if (text)
		reply_take(rep, 200, "text/plain; charset=utf-8", text, strlen(text));
	else
		reply_error(rep, 503, "ENOMEM", "out of memory");
	view_end(&v);
}

void api_proc_slabinfo(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	text_view(srv, req, rep, proc_slabinfo);
}

/*
 * The ranges vfree() left on the lazy list (free_vmap_area_noflush()), with
 * vmap_lazy_nr and lazy_max_pages(): past the latter, one purge flushes
 * the TLBs over all of them and frees them.
 */
static json_t *lazy_json(const struct machine *m)
{
	json_t *ranges = json_array();
	uint64_t s, e, nr, max;
	char a[24], b[24];

	for (unsigned int i = 0; machine_vmalloc_lazy_area(m, i, &s, &e) == 0; i++) {
		snprintf(a, sizeof(a), "0x%" PRIx64, s);
		snprintf(b, sizeof(b), "0x%" PRIx64, e);
		json_array_append_new(ranges, json_pack("{s:s,s:s,s:I}", "addr", a, "end", b,
							"size", (json_int_t)(e - s)));
	}
	machine_vmalloc_lazy(m, &nr, &max);
	return json_pack("{s:o,s:I,s:I}", "areas", ranges, "vmap_lazy_nr", (json_int_t)nr,
			 "lazy_max_pages", (json_int_t)max);
}

void api_view_vmalloc(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct vmalloc_area_info ai;
	struct view v;
	json_t *areas;
	char a[24], b[24], vm[24], pg[24];

	if (!view_begin(srv, req, rep, &v))
		return;
	areas = json_array();
	for (unsigned int i = 0; i < machine_vmalloc_areas(v.m); i++) {
		json_t *pfns = json_array();

		if (machine_vmalloc_area(v.m, i, &ai))
			break;
		for (unsigned int k = 0; k < ai.nr_pages; k++)
			json_array_append_new(pfns, json_integer((json_int_t)ai.pfns[k]));
		snprintf(a, sizeof(a), "0x%" PRIx64, ai.addr);
		snprintf(b, sizeof(b), "0x%" PRIx64, ai.end);
		snprintf(vm, sizeof(vm), "0x%" PRIx64, ai.vm_struct_addr);
		snprintf(pg, sizeof(pg), "0x%" PRIx64, ai.pages_addr);
		json_array_append_new(areas, json_pack("{s:s,s:s,s:I,s:s,s:i,s:o,s:s,s:s,s:b}",
						       "addr", a, "end", b,
						       "size", (json_int_t)ai.size,
						       "caller", ai.caller, "nr_pages", (int)ai.nr_pages,
						       "pfns", pfns, "vm_struct", vm,
						       "pages_array", pg,
						       "pages_array_vmalloc", ai.pages_vmalloc));
	}
	reply_json(rep, 200, json_pack("{s:I,s:o,s:o}", "seq", (json_int_t)v.seq, "areas", areas,
				       "lazy", lazy_json(v.m)));
	view_end(&v);
}

void api_proc_vmallocinfo(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	text_view(srv, req, rep, proc_vmallocinfo);
}
