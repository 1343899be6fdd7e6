/*
 * api_pagecache.c - the views of files, the page cache and user pages:
 * /proc/vmstat, /proc/PID/status, the files with their page cache, and the
 * folio words of a struct page (its LRU list and neighbours, mapping, index).
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "http.h"

void api_proc_vmstat(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct view v;
	char *text;

	if (!view_begin(srv, req, rep, &v))
		return;
	text = proc_vmstat(v.m);
	if (text)
		reply_take(rep, 200, "text/plain; charset=utf-8", text, strlen(text));
	else
		reply_error(rep, 503, "ENOMEM", "out of memory");
	view_end(&v);
}

void api_proc_pid_status(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	const char *arg = req->params[1];
	struct view v;
	char *end, *text;
	long pid = strtol(arg, &end, 10);

	if (!*arg || *end || pid < 1 || pid > INT32_MAX) {
		reply_error(rep, 400, "EINVAL", "pid must be a process id, not \"%s\"", arg);
		return;
	}
	if (!view_begin(srv, req, rep, &v))
		return;
	text = proc_pid_status(v.m, (int)pid);
	if (text)
		reply_take(rep, 200, "text/plain; charset=utf-8", text, strlen(text));
	else
		reply_error(rep, 404, "ENOENT", "no process with pid %ld", pid);
	view_end(&v);
}

/* GET .../files: each file, its size, page cache, dirty pages and readahead window. */
void api_view_files(struct server *srv, struct http_request *req, struct http_reply *rep)
{
	struct mm_file_info fi;
	struct view v;
	json_t *files;

	if (!view_begin(srv, req, rep, &v))
		return;
	files = json_array();
	for (unsigned int i = 0; mm_file_info(v.m, i, &fi) == 0; i++)
		json_array_append_new(files, json_pack(
			"{s:s,s:i,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I},s:b,s:b,s:i}",
			"name", fi.name, "ino", (int)fi.id + 1, "size", (json_int_t)fi.size,
			"nrpages", (json_int_t)fi.nrpages, "nr_dirty", (json_int_t)fi.nr_dirty,
			"nr_writeback", (json_int_t)fi.nr_writeback,
			"ra", "start", (json_int_t)fi.ra_start, "size", (json_int_t)fi.ra_size,
			"async_size", (json_int_t)fi.ra_async_size,
			"dentry", fi.has_dentry, "inode", fi.has_inode, "mmaps", (int)fi.nr_mmaps));
	reply_json(rep, 200, json_pack("{s:I,s:o}", "seq", (json_int_t)v.seq, "files", files));
	view_end(&v);
}

static json_t *pfn_or_null(uint64_t pfn)
{
	return pfn == UINT64_MAX ? json_null() : json_integer((json_int_t)pfn);
}

/* The folio words of a user or page-cache page, added to its struct page JSON. */
void page_folio_json(const struct machine *m, uint64_t pfn, json_t *page)
{
	struct mm_folio_info fi;

	if (machine_folio_info(m, pfn, &fi))
		return;
	json_object_set_new(page, "lru", fi.lru ? json_pack("{s:s,s:o,s:o}", "list", fi.lru_list,
							     "prev", pfn_or_null(fi.lru_prev),
							     "next", pfn_or_null(fi.lru_next)) :
					   json_null());
	json_object_set_new(page, "mapping", fi.mapping_kind ?
			    json_pack("{s:s,s:I,s:s?}", "kind", fi.mapping_kind,
				      "id", (json_int_t)fi.mapping_id, "file", fi.file_name) :
			    json_null());
	json_object_set_new(page, "index", json_integer((json_int_t)fi.index));
	json_object_set_new(page, "content", json_integer(fi.content));
	json_object_set_new(page, "memcg_id", json_integer(fi.memcg_id));
}
