/*
 * lru_proc.c - the texts and views of user and file pages: /proc/vmstat,
 * /proc/PID/status, and struct page's folio words for the API.
 *
 * Kernel: mm/vmstat.c (vmstat_start, vmstat_show: the node items, then the
 * event counters, pgpgin/pgpgout in KiB), fs/proc/task_mmu.c (task_mem),
 * fs/proc/array.c (proc_pid_status), include/linux/mm_types.h (the folio).
 *
 * /proc/vmstat prints nr_free_pages, then the node items and the vm event
 * counters the engine keeps, each under its kernel name and in the
 * kernel's order; the zone, NUMA and THP items are left out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "lru.h"
#include "pgtable.h"
#include "slab.h"

char *proc_vmstat(const struct machine *m)
{
	struct sbuf b = { 0 };
	uint64_t free = 0;
	unsigned int n;
	int i;

	for (n = 0; n < m->nr_nodes; n++)
		for (i = 0; i < MAX_NR_ZONES; i++)
			free += m->nodes[n].node_zones[i].nr_free_pages;
	sb_printf(&b, "nr_free_pages %" PRIu64 "\n", free);
	for (i = 0; i < NR_VM_NODE_STAT_ITEMS; i++) {
		uint64_t v = global_node_page_state(m, (enum node_stat_item)i);

		if (i == NR_SLAB_RECLAIMABLE_B || i == NR_SLAB_UNRECLAIMABLE_B)
			v = slab_pages(m, -1, i == NR_SLAB_RECLAIMABLE_B);	/* slub.c's */
		sb_printf(&b, "%s %" PRIu64 "\n", node_stat_name(i), v);
	}
	for (i = 0; i < NR_VM_EVENT_ITEMS; i++) {
		uint64_t v = m->vm_events[i];

		if (i == PGPGIN || i == PGPGOUT)
			v /= 2;		/* sectors to KiB */
		sb_printf(&b, "%s %" PRIu64 "\n", vm_event_name(i), v);
	}
	return sb_finish(&b);
}

/* task_mem(): one "Name:\t%8lu kB" line. */
static void status_kb(struct sbuf *b, const char *name, uint64_t pages)
{
	sb_printf(b, "%s\t%8" PRIu64 " kB\n", name, pages << (PAGE_SHIFT - 10));
}

/*
 * /proc/PID/status: the process's name and pid, then task_mem()'s lines.
 * The engine keeps no high-water marks: VmPeak and VmHWM are the present
 * VmSize and VmRSS. VmData counts the private writable VMAs but the stack,
 * VmStk the stack (the kernel's data_vm and stack_vm).
 */
char *proc_pid_status(const struct machine *m, int pid)
{
	const struct mm_struct *mm = find_mm(m, pid);
	struct sbuf b = { 0 };
	uint64_t total = 0, data = 0, stack = 0, anon, file, shmem;
	unsigned int k;

	if (!mm)
		return NULL;
	for (k = 0; k < mm->nr_vmas; k++) {
		const struct vm_area_struct *v = &mm->vmas[k];
		uint64_t pages = (v->vm_end - v->vm_start) >> PAGE_SHIFT;

		total += pages;
		if (v->vm_flags & VM_GROWSDOWN)
			stack += pages;
		else if ((v->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
			data += pages;
	}
	anon = mm->rss_stat[MM_ANONPAGES];
	file = mm->rss_stat[MM_FILEPAGES];
	shmem = mm->rss_stat[MM_SHMEMPAGES];
	sb_printf(&b, "Name:\t%s\nPid:\t%d\n", mm->comm, mm->pid);
	status_kb(&b, "VmPeak:", total);
	status_kb(&b, "VmSize:", total);
	status_kb(&b, "VmLck:", 0);
	status_kb(&b, "VmPin:", 0);
	status_kb(&b, "VmHWM:", anon + file + shmem);
	status_kb(&b, "VmRSS:", anon + file + shmem);
	status_kb(&b, "RssAnon:", anon);
	status_kb(&b, "RssFile:", file);
	status_kb(&b, "RssShmem:", shmem);
	status_kb(&b, "VmData:", data);
	status_kb(&b, "VmStk:", stack);
	status_kb(&b, "VmExe:", 0);
	status_kb(&b, "VmLib:", 0);
	status_kb(&b, "VmPTE:", mm->pgtables_pages);
	status_kb(&b, "VmSwap:", mm->rss_stat[MM_SWAPENTS]);
	return sb_finish(&b);
}

const char *physmap_code_name(int code)
{
	static const char *const names[] = { "pagecache_dirty", "pagecache_writeback",
					     "user_swapcache" };

	if (code >= NR_PAGE_OWNERS && code < NR_PHYSMAP_CODES)
		return names[code - NR_PAGE_OWNERS];
	return page_owner_name(code);
}

int machine_folio_info(const struct machine *m, uint64_t pfn, struct mm_folio_info *fi)
{
	const struct page *p;
	int64_t id;

	if (pfn >= m->max_pfn)
		return -ENOENT;
	p = &m->mem_map[pfn];
	if ((p->owner != OWNER_USER && p->owner != OWNER_PAGECACHE) || p->_refcount < 1)
		return -ENOENT;
	memset(fi, 0, sizeof(*fi));
	fi->lru = page_test(p, PG_lru);
	fi->lru_list = fi->lru ? lru_list_name(folio_lru_list(p)) : NULL;
	fi->lru_prev = fi->lru && p->prev != PFN_NIL ? p->prev : UINT64_MAX;
	fi->lru_next = fi->lru && p->next != PFN_NIL ? p->next : UINT64_MAX;
	if (folio_test_anon(p)) {
		fi->mapping_kind = "anon";
		fi->mapping_id = (uint64_t)folio_anon_vma_id(p);
	} else if ((id = folio_file_id(p)) >= 0) {
		fi->mapping_kind = "file";
		fi->mapping_id = (uint64_t)id;
		fi->file_name = mm_file_name(m, (uint32_t)id);
	}
	fi->index = folio_index(p);
	fi->content = p->folio.content;
	fi->memcg_id = p->folio.memcg_id;
	return 0;
}
