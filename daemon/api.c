/*
 * api.c - the routes of the REST API (shared/spec/api.md) and their dispatch.
 *
 * A route is a path pattern whose "{name}" segments match any one segment,
 * with one handler per method. A path that matches no pattern is 404; a path
 * that matches with no handler for the method is 405 with an Allow header.
 * Every error is {"error":{"code":...,"message":...}}.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "daemon/api.h"
#include "daemon/db.h"
#include "daemon/metrics.h"
#include "daemon/server.h"
#include "mmlab.h"

static time_t started_at;

static void api_health_get(struct server *srv, struct http_request *req,
			   struct http_reply *rep)
{
	(void)req;
	(void)srv;
	if (!started_at)
		started_at = time(NULL);
	reply_json(rep, 200, json_pack("{s:s,s:s,s:s,s:i,s:I}", "status", "ok",
				       "version", PACKAGE_VERSION,
				       "engine_version", MMLAB_ENGINE_VERSION,
				       "schema_version", db_schema_version(),
				       "uptime_s", (json_int_t)(time(NULL) - started_at)));
}

static void api_metrics_get(struct server *srv, struct http_request *req,
			    struct http_reply *rep)
{
	char *text = metrics_render(srv);

	(void)req;
	if (!text) {
		reply_error(rep, 503, "ENOMEM", "out of memory");
		return;
	}
	reply_take(rep, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
}

static const struct api_route routes[] = {
	{ "/metrics", .get = api_metrics_get },
	{ "/api/v1/health", .get = api_health_get },
	{ "/api/v1/event-types", .get = api_event_types },
	{ "/api/v1/scenarios", .get = api_scenarios_list },
	{ "/api/v1/scenarios/{name}", .get = api_scenario_get },
	{ "/api/v1/scenarios/{name}/run", .post = api_scenario_run_new },
	{ "/api/v1/sessions", .get = api_sessions_list, .post = api_sessions_create },
	{ "/api/v1/site/sessions", .get = api_site_sessions },
	{ "/api/v1/sessions/import", .post = api_sessions_import },
	/* the kernel's trace text (api_trace.c) */
	{ "/api/v1/sessions/import-trace", .post = api_sessions_import_trace },
	{ "/api/v1/ftrace/tracepoints", .get = api_ftrace_tracepoints },
	{ "/api/v1/sessions/{id}/trace", .get = api_trace_get },
	{ "/api/v1/sessions/{id}/trace/activity", .get = api_trace_activity },
	{ "/api/v1/sessions/{id}/resimulate", .post = api_trace_resimulate },
	{ "/api/v1/sessions/{id}/reclaim", .get = api_reclaim },
	{ "/api/v1/sessions/{id}", .get = api_session_get, .delete = api_session_delete },
	{ "/api/v1/sessions/{id}/pin", .post = api_session_pin, .delete = api_session_pin },
	{ "/api/v1/sessions/{id}/hibernate", .post = api_session_hibernate },
	{ "/api/v1/sessions/{id}/state", .get = api_view_state },
	{ "/api/v1/sessions/{id}/events", .get = api_session_events },
	{ "/api/v1/sessions/{id}/timeline", .get = api_session_timeline },
	{ "/api/v1/sessions/{id}/verify", .get = api_session_verify },
	{ "/api/v1/sessions/{id}/fork", .post = api_session_fork },
	{ "/api/v1/sessions/{id}/export", .get = api_session_export },
	{ "/api/v1/sessions/{id}/stream", .get = api_session_stream },
	{ "/api/v1/sessions/{id}/scenarios/{name}", .post = api_session_scenario_run },
	{ "/api/v1/sessions/{id}/ops", .post = api_session_ops },
	{ "/api/v1/sessions/{id}/zones", .get = api_view_zones },
	{ "/api/v1/sessions/{id}/buddy/blocks", .get = api_view_free_blocks },
	{ "/api/v1/sessions/{id}/pages", .get = api_view_pages },
	{ "/api/v1/sessions/{id}/pages/{pfn}", .get = api_view_page },
	{ "/api/v1/sessions/{id}/physmap", .get = api_view_physmap },
	{ "/api/v1/sessions/{id}/physmap/legend", .get = api_view_physmap_legend },
	{ "/api/v1/sessions/{id}/proc/buddyinfo", .get = api_proc_buddyinfo },
	{ "/api/v1/sessions/{id}/proc/pagetypeinfo", .get = api_proc_pagetypeinfo },
	{ "/api/v1/sessions/{id}/proc/zoneinfo", .get = api_proc_zoneinfo },
	{ "/api/v1/sessions/{id}/proc/meminfo", .get = api_proc_meminfo },
	{ "/api/v1/sessions/{id}/proc/swaps", .get = api_proc_swaps },
	{ "/api/v1/sessions/{id}/pressure", .get = api_pressure },
	{ "/api/v1/sessions/{id}/slabs", .get = api_view_slabs },
	{ "/api/v1/sessions/{id}/proc/slabinfo", .get = api_proc_slabinfo },
	{ "/api/v1/sessions/{id}/vmalloc", .get = api_view_vmalloc },
	{ "/api/v1/sessions/{id}/proc/vmallocinfo", .get = api_proc_vmallocinfo },
	{ "/api/v1/sessions/{id}/debug/extfrag/unusable_index", .get = api_debug_unusable_index },
	{ "/api/v1/sessions/{id}/debug/extfrag/extfrag_index", .get = api_debug_extfrag_index },
	{ "/api/v1/sessions/{id}/pagetable", .get = api_view_pagetable },
	{ "/api/v1/sessions/{id}/pagetable/tree", .get = api_view_pagetable_tree },
	{ "/api/v1/sessions/{id}/tlb", .get = api_view_tlb },
	{ "/api/v1/sessions/{id}/tlb/history", .get = api_view_tlb_history },
	{ "/api/v1/sessions/{id}/cpus", .get = api_view_cpus },
	{ "/api/v1/sessions/{id}/processes", .get = api_view_processes },
	{ "/api/v1/sessions/{id}/proc/{pid}/maps", .get = api_proc_pid_maps },
	{ "/api/v1/sessions/{id}/debug/page_tables/kernel", .get = api_debug_page_tables_kernel },
	{ "/api/v1/sessions/{id}/debug/vtop", .get = api_debug_vtop },
	{ "/api/v1/sessions/{id}/vmlayout", .get = api_view_vmlayout },
	{ "/api/v1/sessions/{id}/proc/vmstat", .get = api_proc_vmstat },
	{ "/api/v1/sessions/{id}/proc/{pid}/status", .get = api_proc_pid_status },
	{ "/api/v1/sessions/{id}/files", .get = api_view_files },
	{ "/api/v1/sessions/{id}/proc/{pid}/oom_score", .get = api_proc_pid_oom_score },
	{ "/api/v1/sessions/{id}/proc/{pid}/oom_score_adj", .get = api_proc_pid_oom_score_adj },
	{ "/api/v1/sessions/{id}/dmesg", .get = api_dmesg },
	{ "/api/v1/sessions/{id}/memcgs", .get = api_view_memcgs },
	{ "/api/v1/sessions/{id}/memcgs/{name}/{file}", .get = api_memcg_file },
};

/* Does @path match @pattern? Captures "{...}" segments into req->params. */
static bool route_match(const char *pattern, const char *path, struct http_request *req,
			char params[HTTP_MAX_PARAMS][128])
{
	unsigned int nr = 0;

	while (*pattern && *path) {
		const char *pe = strchr(pattern + 1, '/'), *se = strchr(path + 1, '/');
		size_t pl = pe ? (size_t)(pe - pattern) : strlen(pattern);
		size_t sl = se ? (size_t)(se - path) : strlen(path);

		if (pattern[1] == '{') {
			if (sl < 2 || nr == HTTP_MAX_PARAMS || sl - 1 >= 128)
				return false;
			memcpy(params[nr], path + 1, sl - 1);
			params[nr][sl - 1] = '\0';
			nr++;
		} else if (pl != sl || strncmp(pattern, path, pl) != 0) {
			return false;
		}
		pattern += pl;
		path += sl;
	}
	if (*pattern || (*path && strcmp(path, "/") != 0))
		return false;
	for (unsigned int i = 0; i < nr; i++)
		req->params[i] = params[i];
	req->nr_params = nr;
	return true;
}

static void allow_header(const struct api_route *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", r->get ? "GET, HEAD, " : "", r->post ? "POST, " : "",
		 r->delete ? "DELETE, " : "", "OPTIONS");
}

bool api_body_is_json(struct http_request *req, struct http_reply *rep)
{
	const char *ct = http_header(req, "Content-Type");

	if (ct && strncasecmp(ct, "application/json", 16) != 0) {
		reply_error(rep, 415, "EMEDIATYPE",
			    "request body must be JSON (Content-Type: application/json), not %s", ct);
		return false;
	}
	return true;
}

json_t *api_body_json(struct http_request *req, struct http_reply *rep)
{
	json_error_t jerr;
	json_t *root;

	if (!api_body_is_json(req, rep))
		return NULL;
	if (!req->body || !req->body_len) {
		reply_error(rep, 400, "EINVAL", "a JSON body is required");
		return NULL;
	}
	root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		reply_error(rep, 400, "EINVAL", "malformed JSON: %s (line %d, column %d)",
			    jerr.text, jerr.line, jerr.column);
	return root;
}

const struct api_route *api_route_lookup(struct http_request *req,
					 char params[HTTP_MAX_PARAMS][128])
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (route_match(routes[i].pattern, req->path, req, params))
			return &routes[i];
	return NULL;
}

const struct api_route *api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}

void api_handle(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	char params[HTTP_MAX_PARAMS][128];
	const struct api_route *r = api_route_lookup(req, params);
	api_fn fn = NULL;

	if (!r) {
		req->route = "(unknown)";
		reply_error(rep, 404, "ENOENT", "no such route: %s", req->path);
		return;
	}
	req->route = r->pattern;
	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
		fn = r->get;
	else if (strcmp(req->method, "POST") == 0)
		fn = r->post;
	else if (strcmp(req->method, "DELETE") == 0)
		fn = r->delete;
	if (strcmp(req->method, "OPTIONS") == 0) {
		allow_header(r, rep->allow, sizeof(rep->allow));
		reply_take(rep, 204, NULL, NULL, 0);
		return;
	}
	if (!fn) {
		allow_header(r, rep->allow, sizeof(rep->allow));
		reply_error(rep, 405, "EMETHOD", "%s is not allowed on %s (allowed: %s)",
			    req->method, r->pattern, rep->allow);
		return;
	}
	fn(srv, req, rep);
}
