/*
 * api_views.c - the state views of a session: zones, pages, the physical map
 * and the /proc texts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/replay.h"
#include "daemon/server.h"
#include "daemon/session.h"

#define PAGES_MAX_COUNT 65536

/* Physmap colours, by enum page_owner: the dashboard draws frames with them. */
static const char *const owner_colors[NR_PAGE_OWNERS] = {
	[OWNER_HOLE] = "#222222", [OWNER_FREE] = "#e9ecef", [OWNER_PCP] = "#b7e4c7",
	[OWNER_RESERVED] = "#6c757d", [OWNER_KERNEL] = "#7b2cbf", [OWNER_MEM_MAP] = "#f4a261",
	[OWNER_PAGETABLE] = "#e76f51", [OWNER_SLAB] = "#2a9d8f", [OWNER_KMALLOC_LARGE] = "#264653",
	[OWNER_VMALLOC] = "#e63946", [OWNER_USER] = "#457b9d", [OWNER_PERCPU] = "#ffb703",
	[OWNER_OTHER] = "#8d99ae", [OWNER_SWIOTLB] = "#d4a373",
	[OWNER_PAGECACHE] = "#90be6d",
};
/* ... and of the page states past them (enum physmap_code): dirty, writeback, swap cache. */
static const char *const state_colors[NR_PHYSMAP_CODES - NR_PAGE_OWNERS] = {
	"#d00000", "#ff7b00", "#9d4edd",
};

bool view_begin(struct server *srv, struct http_request *req, struct http_reply *rep,
		       struct view *v)
{
	int64_t id = api_session_id(req, rep);
	const char *at = http_query(req, "at");
	uint64_t seq = UINT64_MAX;
	struct mm_error e = { 0 };
	char *end;
	int err;

	memset(v, 0, sizeof(*v));
	if (id < 0 || api_trace_refuse(srv, id, rep))
		return false;
	if (at) {
		seq = strtoull(at, &end, 10);
		if (!*at || *end || at[0] == '-') {
			reply_error(rep, 400, "EINVAL", "at must be an event seq, not \"%s\"", at);
			return false;
		}
	}
	v->s = session_get(srv, id);
	if (v->s) {
		pthread_mutex_lock(&v->s->lock);
		if (seq >= v->s->last_seq) {
			if (seq != UINT64_MAX && seq > v->s->last_seq) {
				reply_error(rep, 400, "ERANGE",
					    "seq %llu is beyond the session's last event (%llu)",
					    (unsigned long long)seq,
					    (unsigned long long)v->s->last_seq);
				view_end(v);
				return false;
			}
			v->m = v->s->m;
			v->seq = v->s->last_seq;
			return true;
		}
		pthread_mutex_unlock(&v->s->lock);
		session_put(v->s);
		v->s = NULL;
	}
	err = replay_session(srv, id, seq, &v->rp, &e);
	if (err) {
		if (err == -ENOENT)
			reply_error(rep, 404, "ENOENT", "%s", e.message);
		else if (err == -ERANGE)
			reply_error(rep, 400, "ERANGE", "%s", e.message);
		else
			reply_error(rep, 503, mm_errno_name(err), "cannot replay: %s", e.message);
		return false;
	}
	v->m = v->rp.m;
	v->seq = v->rp.seq;
	return true;
}

void view_end(struct view *v)
{
	if (v->s) {
		pthread_mutex_unlock(&v->s->lock);
		session_put(v->s);
	}
	replay_release(&v->rp);
	v->s = NULL;
}

/*
 * A view of the live machine that was already rendered at this seq: reply
 * with it. Views of the past (replays) are not cached here.
 */
static bool view_cached(struct view *v, struct http_request *req, struct http_reply *rep)
{
	const char *type;
	size_t len;
	char *body;

	if (!v->s || !req->route)
		return false;
	body = session_cache_get(v->s, req->route, v->seq, &len, &type);
	if (!body)
		return false;
	reply_take(rep, 200, type, body, len);
	return true;
}

/* Keep the reply just rendered for the live machine. */
static void view_keep(struct view *v, struct http_request *req, struct http_reply *rep)
{
	if (v->s && req->route && rep->status == 200 && rep->body)
		session_cache_put(v->s, req->route, v->seq, rep->body, rep->len, rep->content_type);
}

static json_t *u64_array(const uint64_t *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

/*
 * The watermark boost of a zone (boost_watermark(), mm/page_alloc.c): what it
 * adds to every mark, and what takes it away.
 */
static json_t *boost_json(const struct zone_info *zi)
{
	return json_pack("{s:I,s:s}", "pages", (json_int_t)zi->watermark_boost,
			 "cleared_by", zi->watermark_boost ?
			 "kswapd, woken by the allocation that boosted it, reclaims the boost "
			 "away (balance_pgdat() in mm/vmscan.c); the engine has no kswapd, so "
			 "the boost stays" : "");
}

static json_t *zone_json(const struct zone_info *zi, unsigned int max_order)
{
	json_t *by_mt = json_object(), *blocks = json_object(), *owners = json_object();
	uint64_t column[MAX_NR_ORDERS];
	json_t *z;

	for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
		for (unsigned int o = 0; o <= max_order; o++)
			column[o] = zi->nr_free_mt[o][mt];
		json_object_set_new(by_mt, migratetype_name(mt), u64_array(column, max_order + 1));
		json_object_set_new(blocks, migratetype_name(mt),
				    json_integer((json_int_t)zi->nr_pageblocks_mt[mt]));
	}
	for (int o = 0; o < NR_PAGE_OWNERS; o++)
		json_object_set_new(owners, page_owner_name(o),
				    json_integer((json_int_t)zi->owner_pages[o]));
	z = json_pack("{s:s,s:i,s:i,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I},s:o,"
			 "s:o,s:o,s:o,s:o,s:{s:i,s:i}}",
			 "name", zi->name, "node", zi->node, "zone", zi->zone,
			 "populated", zi->populated,
			 "start_pfn", (json_int_t)zi->start_pfn, "spanned", (json_int_t)zi->spanned,
			 "present", (json_int_t)zi->present, "managed", (json_int_t)zi->managed,
			 "free", (json_int_t)zi->free, "pcp", (json_int_t)zi->pcp,
			 "watermarks", "min", (json_int_t)zi->wmark_min,
			 "low", (json_int_t)zi->wmark_low, "high", (json_int_t)zi->wmark_high,
			 "promo", (json_int_t)zi->wmark_promo,
			 "lowmem_reserve", u64_array(zi->lowmem_reserve, MAX_NR_ZONES),
			 "nr_free", u64_array(zi->nr_free, max_order + 1),
			 "nr_free_by_migratetype", by_mt,
			 "pageblocks", blocks,
			 "owners", owners,
			 "pcp_lists", "high", (int)zi->pcp_high, "batch", (int)zi->pcp_batch);
	json_object_set_new(z, "watermark_boost", boost_json(zi));
	json_object_set_new(z, "pageblock_order", json_integer(zi->pb_order));
	json_object_set_new(z, "nr_reserved_highatomic",
			    json_integer((json_int_t)zi->nr_reserved_highatomic));
	return z;
}

void api_view_zones(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct view v;
	unsigned int max_order;
	json_t *zones;
	struct zone_info zi;
	uint64_t totals[NR_PAGE_OWNERS] = { 0 };
	json_t *owner_totals;

	if (api_trace_zones(srv, req, rep))
		return;
	if (!view_begin(srv, req, rep, &v))
		return;
	if (view_cached(&v, req, rep)) {
		view_end(&v);
		return;
	}
	max_order = machine_get_config(v.m)->max_order;
	zones = json_array();
	for (unsigned int node = 0; node < machine_nr_nodes(v.m); node++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			if (machine_zone_info(v.m, (int)node, z, &zi) || !zi.spanned)
				continue;
			for (int o = 0; o < NR_PAGE_OWNERS; o++)
				totals[o] += zi.owner_pages[o];
			json_array_append_new(zones, zone_json(&zi, max_order));
		}
	owner_totals = json_object();
	for (int o = 0; o < NR_PAGE_OWNERS; o++)
		json_object_set_new(owner_totals, page_owner_name(o), json_integer((json_int_t)totals[o]));
	reply_json(rep, 200, json_pack("{s:I,s:i,s:i,s:o,s:o}", "seq", (json_int_t)v.seq,
				       "nodes", (int)machine_nr_nodes(v.m),
				       "max_order", (int)max_order, "zones", zones,
				       "owners", owner_totals));
	view_keep(&v, req, rep);
	view_end(&v);
}

/*
 * The word page_type/_mapcount shares: the type by name (null when
 * untyped), the raw word, _mapcount (null when typed); page_mapcount() is
 * "mapcount". Then the /proc/kpageflags bits and the tail mark.
 */
static void page_type_json(json_t *p, const struct page_info *pi)
{
	char word[16];

	snprintf(word, sizeof(word), "0x%08x", pi->page_type);
	json_object_set_new(p, "page_type", pi->typed ? json_string(pi->page_type_name)
							: json_null());
	json_object_set_new(p, "page_type_word", json_string(word));
	json_object_set_new(p, "_mapcount", pi->typed ? json_null()
						       : json_integer(pi->raw_mapcount));
	json_object_set_new(p, "kpageflags", json_string(pi->kpageflags_text));
	json_object_set_new(p, "kpageflags_value", json_integer((json_int_t)pi->kpageflags));
	json_object_set_new(p, "tail", json_boolean(pi->tail));
	json_object_set_new(p, "zero_page", json_boolean(pi->zero_page));
}

static json_t *page_json(const struct page_info *pi)
{
	json_t *p = json_pack("{s:I,s:i,s:s,s:s,s:s,s:I,s:i,s:i,s:s,s:I,s:I}",
			      "pfn", (json_int_t)pi->pfn, "node", pi->node,
			      "zone", zone_type_name(pi->zone), "owner", page_owner_name(pi->owner),
			      "flags", pi->flags_text, "flags_value", (json_int_t)pi->flags,
			      "refcount", pi->refcount, "mapcount", pi->mapcount,
			      "migratetype", migratetype_name(pi->migratetype),
			      "private", (json_int_t)pi->private_,
			      "compound_head", (json_int_t)pi->compound_head);

	json_object_set_new(p, "order", pi->order == MM_NA ? json_null() : json_integer(pi->order));
	page_type_json(p, pi);
	if (pi->slab_cache[0])
		json_object_set_new(p, "slab", json_pack("{s:s,s:i,s:i}", "cache", pi->slab_cache,
							 "inuse", (int)pi->inuse,
							 "objects", (int)pi->objects));
	return p;
}

/* A non-negative integer query argument, @def when absent; -1 when malformed. */
static int64_t query_u64(struct http_request *req, const char *name, int64_t def)
{
	const char *v = http_query(req, name);
	char *end;
	long long n;

	if (!v)
		return def;
	n = strtoll(v, &end, 0);
	if (!*v || *end || n < 0)
		return -1;
	return n;
}

void api_view_pages(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t start = query_u64(req, "start", 0), count = query_u64(req, "count", 64);
	struct view v;
	struct page_info pi;
	json_t *pages;

	if (start < 0 || count < 1 || count > PAGES_MAX_COUNT) {
		reply_error(rep, 400, "EINVAL", "start must be a pfn and count 1..%d",
			    PAGES_MAX_COUNT);
		return;
	}
	if (!view_begin(srv, req, rep, &v))
		return;
	pages = json_array();
	for (uint64_t pfn = (uint64_t)start;
	     pfn < (uint64_t)(start + count) && pfn < machine_max_pfn(v.m); pfn++) {
		if (machine_page_info(v.m, pfn, &pi) == 0)
			json_array_append_new(pages, page_json(&pi));
		else
			json_array_append_new(pages, json_pack("{s:I,s:s}", "pfn", (json_int_t)pfn,
							       "owner", page_owner_name(OWNER_HOLE)));
	}
	reply_json(rep, 200, json_pack("{s:I,s:I,s:o}", "seq", (json_int_t)v.seq,
				       "max_pfn", (json_int_t)machine_max_pfn(v.m), "pages", pages));
	view_end(&v);
}

void api_view_page(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	const char *text = req->params[1];
	struct view v;
	struct page_info pi;
	char *end;
	unsigned long long pfn = strtoull(text, &end, 0);

	if (!*text || *end || text[0] == '-') {
		reply_error(rep, 400, "EINVAL", "pfn must be a number, not \"%s\"", text);
		return;
	}
	if (api_trace_page(srv, req, rep, pfn))
		return;
	if (!view_begin(srv, req, rep, &v))
		return;
	if (pfn >= machine_max_pfn(v.m))
		reply_error(rep, 404, "ENOENT", "pfn %llu is beyond the machine (max_pfn %llu)",
			    pfn, (unsigned long long)machine_max_pfn(v.m));
	else if (machine_page_info(v.m, pfn, &pi))
		reply_error(rep, 404, "ENOENT", "pfn %llu is in a hole: no struct page", pfn);
	else {
		json_t *page = page_json(&pi);

		page_folio_json(v.m, pfn, page);	/* api_pagecache.c */
		reply_json(rep, 200, page);
	}
	view_end(&v);
}

void api_view_physmap(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	int64_t start = query_u64(req, "start", 0), count = query_u64(req, "count", -1);
	struct view v;
	uint64_t max;
	uint8_t *bytes;

	if (api_trace_physmap(srv, req, rep, false))
		return;
	if (start < 0 || (http_query(req, "count") && count < 1)) {
		reply_error(rep, 400, "EINVAL", "start and count must be non-negative pfns");
		return;
	}
	if (!view_begin(srv, req, rep, &v))
		return;
	max = machine_max_pfn(v.m);
	if ((uint64_t)start > max)
		start = (int64_t)max;
	if (count < 0 || (uint64_t)(start + count) > max)
		count = (int64_t)(max - (uint64_t)start);
	bytes = malloc(count ? (size_t)count : 1);
	if (!bytes) {
		reply_error(rep, 503, "ENOMEM", "out of memory");
	} else {
		machine_physmap(v.m, (uint64_t)start, (uint64_t)count, bytes);
		reply_take(rep, 200, "application/octet-stream", (char *)bytes, (size_t)count);
	}
	view_end(&v);
}

void api_view_physmap_legend(struct server *srv, struct http_request *req,
			     struct http_reply *rep)
{
	struct view v;
	json_t *codes;

	if (api_trace_physmap(srv, req, rep, true))
		return;
	if (!view_begin(srv, req, rep, &v))
		return;
	codes = json_array();
	for (int o = 0; o < NR_PAGE_OWNERS; o++)
		json_array_append_new(codes, json_pack("{s:i,s:s,s:s}", "code", o,
						       "name", page_owner_name(o),
						       "color", owner_colors[o]));
	for (int c = NR_PAGE_OWNERS; c < NR_PHYSMAP_CODES; c++)	/* lru.h: a page's state */
		json_array_append_new(codes, json_pack("{s:i,s:s,s:s}", "code", c,
						       "name", physmap_code_name(c),
						       "color", state_colors[c - NR_PAGE_OWNERS]));
	reply_json(rep, 200, json_pack("{s:I,s:I,s:o}", "seq", (json_int_t)v.seq,
				       "max_pfn", (json_int_t)machine_max_pfn(v.m), "codes", codes));
	view_end(&v);
}

static void proc_view(struct server *srv, struct http_request *req, struct http_reply *rep,
		      char *(*render)(const struct machine *))
{
	struct view v;
	char *text;

	if (!view_begin(srv, req, rep, &v))
		return;
	if (view_cached(&v, req, rep)) {
		view_end(&v);
		return;
	}
	text = render(v.m);
	if (text) {
		reply_take(rep, 200, "text/plain; charset=utf-8", text, strlen(text));
		view_keep(&v, req, rep);
	} else {
		reply_error(rep, 503, "ENOMEM", "out of memory");
	}
	view_end(&v);
}

void api_proc_buddyinfo(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	proc_view(srv, req, rep, proc_buddyinfo);
}

void api_proc_pagetypeinfo(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	proc_view(srv, req, rep, proc_pagetypeinfo);
}

void api_proc_zoneinfo(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	proc_view(srv, req, rep, proc_zoneinfo);
}

void api_proc_meminfo(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	proc_view(srv, req, rep, proc_meminfo);
}

void api_proc_swaps(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	proc_view(srv, req, rep, proc_swaps);
}

void api_debug_unusable_index(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	proc_view(srv, req, rep, debug_extfrag_unusable_index);
}

void api_debug_extfrag_index(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	proc_view(srv, req, rep, debug_extfrag_index);
}

#define FREE_BLOCKS_MAX 200000

struct block_list {
	json_t *blocks;
	size_t n;
};

static int add_block(void *ctx, uint64_t pfn, unsigned int order, int mt)
{
	struct block_list *l = ctx;

	if (l->n == FREE_BLOCKS_MAX)
		return 1;
	json_array_append_new(l->blocks, json_pack("[I,i,i]", (json_int_t)pfn, (int)order, mt));
	l->n++;
	return 0;
}

/* GET .../buddy/blocks?node=N&zone=NAME: the free blocks of one zone, for a picture. */
void api_view_free_blocks(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	const char *zone_name = http_query(req, "zone");
	int64_t node = query_u64(req, "node", 0);
	struct block_list l = { 0 };
	struct zone_info zi;
	struct view v;
	int zone = -1;

	for (int z = 0; zone_name && z < MAX_NR_ZONES; z++)
		if (strcmp(zone_name, zone_type_name(z)) == 0)
			zone = z;
	if (zone < 0 || node < 0) {
		reply_error(rep, 400, "EINVAL", "zone must be DMA, DMA32, Normal, Movable or Device, "
			    "and node a node number");
		return;
	}
	if (!view_begin(srv, req, rep, &v))
		return;
	if (machine_zone_info(v.m, (int)node, zone, &zi)) {
		reply_error(rep, 404, "ENOENT", "no zone %s on node %lld", zone_name, (long long)node);
		view_end(&v);
		return;
	}
	l.blocks = json_array();
	machine_zone_free_blocks(v.m, (int)node, zone, add_block, &l);
	reply_json(rep, 200, json_pack("{s:I,s:i,s:s,s:I,s:I,s:o,s:b,s:[s,s,s]}", "seq", (json_int_t)v.seq,
				       "node", (int)node, "zone", zi.name,
				       "start_pfn", (json_int_t)zi.start_pfn, "spanned", (json_int_t)zi.spanned,
				       "blocks", l.blocks, "truncated", l.n == FREE_BLOCKS_MAX,
				       "columns", "pfn", "order", "migratetype"));
	view_end(&v);
}

/*
 * GET .../state[?at=SEQ]: a digest of the machine's struct pages and pageblock
 * migratetypes, so that two machines (a session and its replay, a session
 * before and after it hibernated) can be compared to the byte.
 */
void api_view_state(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct view v;
	uint64_t digest, bytes;
	char hex[17];

	if (!view_begin(srv, req, rep, &v))
		return;
	digest = machine_mem_map_digest(v.m);
	bytes = machine_mem_map_bytes(v.m);
	view_end(&v);
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)digest);
	reply_json(rep, 200, json_pack("{s:I,s:I,s:s}", "seq", (json_int_t)v.seq,
				       "mem_map_bytes", (json_int_t)bytes, "mem_map_fnv1a64", hex));
}
