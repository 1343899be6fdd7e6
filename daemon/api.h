/*
 * api.h - what the route handlers (api_*.c) share.
 */
#ifndef MMLAB_API_H
#define MMLAB_API_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/http.h"
#include "daemon/replay.h"

struct server;

typedef void (*api_fn)(struct server *srv, struct http_request *req, struct http_reply *rep);

struct api_route {
	const char *pattern;
	api_fn get, post, delete;
};

/*
 * The route for req->path, with its "{...}" segments in req->params (backed by
 * @params); NULL when no route matches.
 */
const struct api_route *api_route_lookup(struct http_request *req,
					 char params[HTTP_MAX_PARAMS][128]);
/* Every route, for documentation checks. */
const struct api_route *api_routes(size_t *n);

/* 415 unless the body is declared JSON (or undeclared). */
bool api_body_is_json(struct http_request *req, struct http_reply *rep);
/* The body parsed as JSON, or NULL with a 400/415 reply already set. */
json_t *api_body_json(struct http_request *req, struct http_reply *rep);

/* What a state view reads: the live machine (locked), or a replayed one. */
struct view {
	struct session *s;	/* the live session, NULL for a replay */
	struct machine *m;
	uint64_t seq;		/* the machine is as just after this event */
	struct replay rp;
};

/*
 * The machine a view reads: the live one (locked until view_end), or, for
 * ?at=SEQ and for stored sessions, one rebuilt by replay. false with the
 * reply set on error.
 */
bool view_begin(struct server *srv, struct http_request *req, struct http_reply *rep,
		struct view *v);
void view_end(struct view *v);

/* The session id of /api/v1/sessions/{id}/...; -1 with a 404 reply when malformed. */
int64_t api_session_id(struct http_request *req, struct http_reply *rep);

void api_sessions_list(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_site_sessions(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_sessions_create(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_get(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_state(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_pin(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_hibernate(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_delete(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_ops(struct server *srv, struct http_request *req, struct http_reply *rep);

void api_event_types(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_events(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_timeline(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_verify(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_fork(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_export(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_sessions_import(struct server *srv, struct http_request *req, struct http_reply *rep);
/* api_trace.c: the kernel's trace text */
void api_trace_export(struct server *srv, int64_t id, struct http_reply *rep);
void api_ftrace_tracepoints(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_sessions_import_trace(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_trace_get(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_trace_resimulate(struct server *srv, struct http_request *req, struct http_reply *rep);
/* A trace session: machine views refused (409), the physmap drawn from its events. */
void api_trace_activity(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_trace_markers(struct server *srv, int64_t id, json_t *markers);
void api_trace_annotate(struct server *srv, int64_t id, json_t *events);
bool api_trace_refuse(struct server *srv, int64_t id, struct http_reply *rep);
/* The same for a change (@what: "an op", "a fork", "a scenario"): a trace is read-only. */
bool api_trace_refuse_change(struct server *srv, int64_t id, const char *what,
			     struct http_reply *rep);
bool api_trace_zones(struct server *srv, struct http_request *req, struct http_reply *rep);
bool api_trace_page(struct server *srv, struct http_request *req, struct http_reply *rep,
		    uint64_t pfn);
bool api_trace_physmap(struct server *srv, struct http_request *req, struct http_reply *rep,
		       bool legend);

void api_session_stream(struct server *srv, struct http_request *req, struct http_reply *rep);

void api_scenarios_list(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_scenario_get(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_scenario_run_new(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_session_scenario_run(struct server *srv, struct http_request *req, struct http_reply *rep);

void api_view_zones(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_free_blocks(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_pages(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_page(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_physmap(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_physmap_legend(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_proc_buddyinfo(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_proc_pagetypeinfo(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_proc_zoneinfo(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_proc_meminfo(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_proc_swaps(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_pressure(struct server *srv, struct http_request *req, struct http_reply *rep);
/* api_reclaim.c: reclaim rounds from the mm_vmscan_* events */
void api_reclaim(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_slabs(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_proc_slabinfo(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_vmalloc(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_proc_vmallocinfo(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_debug_unusable_index(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_debug_extfrag_index(struct server *srv, struct http_request *req, struct http_reply *rep);

/* api_mmu.c: page tables, TLB, CPUs, processes */
void api_view_pagetable(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_pagetable_tree(struct server *srv, struct http_request *req,
			     struct http_reply *rep);
void api_view_tlb(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_tlb_history(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_cpus(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_processes(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_proc_pid_maps(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_debug_page_tables_kernel(struct server *srv, struct http_request *req,
				  struct http_reply *rep);
void api_debug_vtop(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_vmlayout(struct server *srv, struct http_request *req, struct http_reply *rep);

/* api_pagecache.c: files, the page cache, user pages */
void api_proc_vmstat(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_proc_pid_status(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_view_files(struct server *srv, struct http_request *req, struct http_reply *rep);
void page_folio_json(const struct machine *m, uint64_t pfn, json_t *page);
/* api_oom.c: the OOM killer (and memory cgroups) */
void api_proc_pid_oom_score(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_proc_pid_oom_score_adj(struct server *srv, struct http_request *req,
				struct http_reply *rep);
void api_dmesg(struct server *srv, struct http_request *req, struct http_reply *rep);
/* "oom_score" and "oom_score_adj" of process @pid into its object of the processes view. */
void api_process_oom_fields(const struct machine *m, int pid, json_t *process);
void api_view_memcgs(struct server *srv, struct http_request *req, struct http_reply *rep);
void api_memcg_file(struct server *srv, struct http_request *req, struct http_reply *rep);

#endif
