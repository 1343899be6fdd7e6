/*
 * migrate.c - page migration: a movable folio moves to another frame while
 * every PTE that maps it, its LRU list, its page-cache or swap-cache slot,
 * its memory cgroup and its content follow it.
 *
 * Mirrors mm/migrate.c of Linux 6.18 (migrate_pages(), migrate_pages_batch(),
 * migrate_folio_unmap(), migrate_folio_move(), folio_migrate_mapping(),
 * folio_migrate_flags(), remove_migration_ptes(), putback_movable_pages()),
 * mm/rmap.c (try_to_migrate_one()) and the isolation tests of
 * isolate_migratepages_block() in mm/compaction.c.
 *
 * The engine's folios are order 0. A move is done within one op, so a
 * migration entry lives only between the unmap and the remap: no fault can
 * see one. The kernel retries a folio that failed with -EAGAIN up to
 * NR_MAX_MIGRATE_PAGES_RETRY times, because its reference count may change
 * under it; in the engine nothing changes meanwhile, so one try says it all.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "compaction.h"
#include "memcontrol.h"
#include "pgtable.h"
#include "swap.h"

static const char *const mode_names[] = { "MIGRATE_ASYNC", "MIGRATE_SYNC_LIGHT",
					  "MIGRATE_SYNC" };
static const char *const reason_names[MR_TYPES] = {
	"compaction", "memory_failure", "memory_hotplug", "syscall_or_cpuset",
	"mempolicy_mbind", "numa_misplaced", "contig_range", "longterm_pin", "demotion",
	"damon"
};

const char *migrate_mode_name(int mode)
{
	return mode >= 0 && mode <= MIGRATE_SYNC ? mode_names[mode] : "?";
}

const char *migrate_reason_name(int reason)
{
	return reason >= 0 && reason < MR_TYPES ? reason_names[reason] : "?";
}

#define SWP_MIGRATION_READ	SWP_MIGRATION_READ_TYPE
#define SWP_MIGRATION_READ_EXCLUSIVE (SWP_MIGRATION_READ_TYPE + 1)
#define SWP_MIGRATION_WRITE	(SWP_MIGRATION_READ_TYPE + 2)

/*** Isolation ***/

/* The references a folio holds when nothing but its maps and cache slot use it. */
static int folio_expected_refs(const struct page *p)
{
	int refs = p->_mapcount + 1;

	if (folio_file_id(p) >= 0 || page_test(p, PG_swapcache))
		refs++;
	return refs;
}

int folio_migration_refusal(const struct machine *m, uint64_t pfn, unsigned int mode,
			    const char **why)
{
	const struct page *p = pfn_to_page(m, pfn);

	if (p->owner == OWNER_HOLE) {
		*why = "no RAM behind this pfn";
		return -EFAULT;
	}
	if (PageBuddy(p) || p->owner == OWNER_FREE || p->owner == OWNER_PCP) {
		*why = "the page is free: there is nothing to migrate";
		return -ENOENT;
	}
	if (p->tail) {
		*why = "a tail page of a compound page: only its head is isolated";
		return -EBUSY;
	}
	if (PageSlab(p)) {
		*why = "a slab page: not on an LRU list and without movable_ops";
		return -EBUSY;
	}
	if (PageTable(p)) {
		*why = "a page-table page: not on an LRU list and without movable_ops";
		return -EBUSY;
	}
	if (p->owner != OWNER_USER && p->owner != OWNER_PAGECACHE) {
		*why = "an unmovable kernel page: not on an LRU list and without movable_ops";
		return -EBUSY;
	}
	if (!page_test(p, PG_lru)) {
		*why = "not on an LRU list (already isolated)";
		return -EBUSY;
	}
	/*
	 * Only a folio without a mapping (anon, not in the swap cache) is
	 * refused here for a pin: a page-cache or swap-cache folio is taken,
	 * and its migration fails on the refcount in folio_migrate_mapping()
	 * (migrate_one()), counted in pgmigrate_fail, as the kernel's racy
	 * check in isolate_migratepages_block() does.
	 */
	if (folio_file_id(p) < 0 && !page_test(p, PG_swapcache) &&
	    p->_refcount > folio_expected_refs(p)) {
		*why = "extra references (pinned): the refcount is above its maps";
		return -EAGAIN;
	}
	if (!(mode & ISOLATE_UNEVICTABLE) && page_test(p, PG_unevictable)) {
		*why = "unevictable, and vm.compact_unevictable_allowed is 0";
		return -EBUSY;
	}
	if (page_test(p, PG_writeback)) {
		*why = (mode & ISOLATE_ASYNC_MIGRATE) ?
		       "under writeback: asynchronous migration does not wait for it" :
		       "under writeback";
		return -EBUSY;
	}
	return 0;
}

void isolate_folio_to_list(struct machine *m, uint64_t pfn, struct migrate_list *l)
{
	struct page *p = pfn_to_page(m, pfn);

	SIM_BUG_ON(l->nr >= MIGRATE_LIST_MAX);
	p->_refcount++;				/* folio_get_nontail_page() */
	lruvec_del_folio(m, folio_lruvec(m, p), pfn);
	mod_node_page_state(m, p->node, folio_is_file_lru(p) ? NR_ISOLATED_FILE :
			    NR_ISOLATED_ANON, 1);
	l->pfn[l->nr++] = (uint32_t)pfn;
}

/* folio_putback_lru() of one isolated folio. */
static void putback_one(struct machine *m, uint64_t pfn)
{
	struct page *p = pfn_to_page(m, pfn);

	mod_node_page_state(m, p->node, folio_is_file_lru(p) ? NR_ISOLATED_FILE :
			    NR_ISOLATED_ANON, -1);
	folio_add_lru(m, pfn);
	folio_put(m, pfn);
}

void putback_movable_pages(struct machine *m, struct migrate_list *l)
{
	for (unsigned int i = 0; i < l->nr; i++)
		putback_one(m, l->pfn[i]);
	l->nr = 0;
}

/*** Unmap: migration entries (try_to_migrate_one()) ***/

struct mig_pte {
	int pid;
	uint64_t vaddr;
	uint64_t table;
	uint64_t old;		/* the PTE before the migration entry replaced it */
};

struct mig_ptes {
	struct mig_pte *v;
	unsigned int nr, cap;
	bool nomem;
};

static void flush_pid_page(struct machine *m, int pid, uint64_t vaddr)
{
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		if (m->x86->cpus[cpu].pid == pid)
			tlb_flush_cpu_range(m, (int)cpu, vaddr, vaddr + PAGE_SIZE, "rmap");
}

static void migration_pte_event(struct machine *m, int type, uint64_t pfn, uint64_t vaddr,
				uint64_t pte)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	ev.pfn = pfn;
	ev.paddr = PFN_PHYS(pfn);
	ev.vaddr = vaddr;
	ev.order = 0;
	snprintf(m->detail, sizeof(m->detail), "addr=%" PRIx64 ", pte=%" PRIx64 " order=0", vaddr,
		 pte);
	ev.detail = m->detail;
	emit(m, &ev);
}

static bool migrate_unmap_one(struct machine *m, uint64_t pfn, const struct rmap_hit *h,
			      void *arg)
{
	struct mig_ptes *mp = arg;
	struct page *p = pfn_to_page(m, pfn);
	unsigned int type, idx = pt_index(h->vaddr, PT_PTE);
	uint64_t old = *h->pte, entry;

	if (mp->nr == mp->cap) {
		unsigned int cap = mp->cap ? mp->cap * 2 : 8;
		struct mig_pte *v = realloc(mp->v, cap * sizeof(*v));

		if (!v) {
			mp->nomem = true;
			return false;
		}
		mp->v = v;
		mp->cap = cap;
	}
	if (old & _PAGE_RW)
		type = SWP_MIGRATION_WRITE;
	else if (folio_test_anon(p) && p->_mapcount == 0)
		type = SWP_MIGRATION_READ_EXCLUSIVE;
	else
		type = SWP_MIGRATION_READ;
	entry = swp_val_to_pte(swp_val(type, pfn));
	mp->v[mp->nr++] = (struct mig_pte){ h->pid, h->vaddr, h->pte_table, old };
	pt_set_entry(m, h->pte_table, idx, PT_PTE, entry, h->vaddr);
	flush_pid_page(m, h->pid, h->vaddr);
	if ((old & _PAGE_DIRTY) && !folio_test_anon(p))
		folio_mark_dirty(m, pfn);
	else if (old & _PAGE_DIRTY)
		page_set(p, PG_dirty);
	migration_pte_event(m, MM_EV_set_migration_pte, pfn, h->vaddr, entry);
	folio_remove_rmap_pte(m, pfn);
	SIM_BUG_ON(p->_refcount < 2);		/* ours stays */
	p->_refcount--;
	return true;
}

/*** Move: the mapping, the flags, the content (folio_migrate_mapping/flags) ***/

static void folio_migrate_mapping(struct machine *m, uint64_t src, uint64_t dst)
{
	struct page *s = pfn_to_page(m, src), *d = pfn_to_page(m, dst);
	int64_t file = folio_file_id(s);

	if (file >= 0) {
		struct sim_file *f = file_by_id(m, (uint32_t)file);

		SIM_BUG_ON(f->i_pages[folio_index(s)] != src + 1);
		f->i_pages[folio_index(s)] = dst + 1;
		s->_refcount--;
		d->_refcount++;
	} else if (page_test(s, PG_swapcache)) {
		swp_entry_t e = { s->private };
		struct swap_info_struct *si = swp_info(m, e);

		SIM_BUG_ON(si->swap_table[swp_offset(e)] != src + 1);
		si->swap_table[swp_offset(e)] = dst + 1;
		s->_refcount--;
		d->_refcount++;
	}
	d->folio.mapping = s->folio.mapping;
	d->index = s->index;
	d->index_hi = s->index_hi;
	d->private = s->private;
	s->folio.mapping = 0;
	s->index = s->index_hi = 0;
	s->private = 0;
}

#define MIGRATE_FLAGS ((1u << PG_referenced) | (1u << PG_uptodate) | (1u << PG_dirty) |	\
		       (1u << PG_active) | (1u << PG_workingset) | (1u << PG_owner_priv_1) |	\
		       (1u << PG_owner_2) | (1u << PG_private) | (1u << PG_reclaim) |		\
		       (1u << PG_swapbacked) | (1u << PG_unevictable) | (1u << PG_dropbehind) |	\
		       (1u << PG_mlocked) | (1u << PG_arch_1))

static void folio_migrate_flags(struct machine *m, uint64_t src, uint64_t dst)
{
	struct page *s = pfn_to_page(m, src), *d = pfn_to_page(m, dst);

	d->flags |= s->flags & MIGRATE_FLAGS;
	s->flags &= ~MIGRATE_FLAGS;
	d->folio.content = s->folio.content;	/* folio_copy(): the data itself */
	s->folio.content = 0;
	d->folio.memcg_id = s->folio.memcg_id;	/* mem_cgroup_migrate(): the charge moves */
	s->folio.memcg_id = 0;
}

/* remove_migration_ptes(): each migration entry becomes a PTE of the new frame. */
static void remove_migration_ptes(struct machine *m, uint64_t src, uint64_t dst,
				  const struct mig_ptes *mp)
{
	struct page *d = pfn_to_page(m, dst);

	for (unsigned int i = 0; i < mp->nr; i++) {
		const struct mig_pte *e = &mp->v[i];
		uint64_t pte = (e->old & ~PTE_PFN_MASK) | (dst << PAGE_SHIFT);
		unsigned int idx = pt_index(e->vaddr, PT_PTE);

		SIM_BUG_ON(pte_to_swp_val(pt_table(m, e->table)[idx]) >> SWP_TYPE_SHIFT <
			   SWP_MIGRATION_READ);
		SIM_BUG_ON(swp_val_offset(pte_to_swp_val(pt_table(m, e->table)[idx])) != src);
		d->_refcount++;
		folio_add_rmap_pte(m, dst);
		pt_set_entry(m, e->table, idx, PT_PTE, pte, e->vaddr);
		migration_pte_event(m, MM_EV_remove_migration_pte, dst, e->vaddr, pte);
	}
}

static void folio_move_event(struct machine *m, uint64_t src, uint64_t dst, int reason)
{
	const struct page *s = pfn_to_page(m, src);
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_migrate_folio_move);
	ev.node = s->node;
	ev.zone = s->zone;
	ev.pfn = src;
	ev.paddr = PFN_PHYS(src);
	ev.value = (int64_t)dst;
	ev.order = 0;
	snprintf(m->detail, sizeof(m->detail),
		 "src_pfn=0x%" PRIx64 " dst_pfn=0x%" PRIx64 " order=0 reason=%s", src, dst,
		 migrate_reason_name(reason));
	ev.detail = m->detail;
	emit(m, &ev);
}

/*
 * One folio: the refcount test of folio_migrate_mapping() (nothing but its
 * maps, its cache slot and the isolation hold it), unmap, move, remap, put
 * the new folio on the LRU, free the old frame.
 */
static int migrate_one(struct machine *m, uint64_t src, uint64_t dst, int reason)
{
	struct page *s = pfn_to_page(m, src), *d = pfn_to_page(m, dst);
	enum node_stat_item isolated = folio_is_file_lru(s) ? NR_ISOLATED_FILE : NR_ISOLATED_ANON;
	struct mig_ptes mp = { 0 };

	if (s->_refcount != folio_expected_refs(s) + 1)
		return -EAGAIN;
	SIM_BUG_ON(s->node != d->node);
	if (folio_mapped(s))
		rmap_walk(m, src, migrate_unmap_one, &mp);
	if (mp.nomem) {		/* put back what was unmapped: the folio stays where it is */
		for (unsigned int i = 0; i < mp.nr; i++) {
			pt_set_entry(m, mp.v[i].table, pt_index(mp.v[i].vaddr, PT_PTE),
				     PT_PTE, mp.v[i].old, mp.v[i].vaddr);
			folio_add_rmap_pte(m, src);
			s->_refcount++;
		}
		free(mp.v);
		return -ENOMEM;
	}
	SIM_BUG_ON(folio_mapped(s));
	folio_migrate_mapping(m, src, dst);
	folio_migrate_flags(m, src, dst);
	remove_migration_ptes(m, src, dst, &mp);
	free(mp.v);
	folio_move_event(m, src, dst, reason);
	/* migrate_folio_move(): the new folio joins the LRU, the old one goes */
	folio_add_lru(m, dst);
	folio_put(m, dst);			/* the allocation's reference */
	mod_node_page_state(m, s->node, isolated, -1);	/* as it was counted: flags moved */
	SIM_BUG_ON(s->_refcount != 1);
	folio_put(m, src);
	return 0;
}

static void migrate_event(struct machine *m, int type, unsigned int ok, unsigned int failed,
			  enum migrate_mode mode, int reason)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, type);
	if (type == MM_EV_mm_migrate_pages) {
		ev.value = ok;
		ev.size = failed;
		snprintf(m->detail, sizeof(m->detail),
			 "nr_succeeded=%u nr_failed=%u nr_thp_succeeded=0 nr_thp_failed=0 "
			 "nr_thp_split=0 nr_split=0 mode=%s reason=%s", ok, failed,
			 migrate_mode_name(mode), migrate_reason_name(reason));
	} else {
		snprintf(m->detail, sizeof(m->detail), "mode=%s reason=%s",
			 migrate_mode_name(mode), migrate_reason_name(reason));
	}
	ev.detail = m->detail;
	emit(m, &ev);
}

int migrate_pages(struct machine *m, struct migrate_list *l, new_folio_t get_new,
		  free_folio_t put_new, void *priv, enum migrate_mode mode, int reason,
		  int cpu, unsigned int *nr_succeeded)
{
	unsigned int ok = 0, failed = 0, keep = 0, i;
	int rc = 0;

	(void)cpu;
	migrate_event(m, MM_EV_mm_migrate_pages_start, 0, 0, mode, reason);
	for (i = 0; i < l->nr; i++) {
		uint64_t src = l->pfn[i], dst;
		int err;

		if (rc == -ENOMEM) {		/* the rest stays isolated for the caller */
			l->pfn[keep++] = (uint32_t)src;
			continue;
		}
		dst = get_new(m, src, priv);
		if (dst == PFN_NIL) {
			rc = -ENOMEM;
			failed++;
			l->pfn[keep++] = (uint32_t)src;
			continue;
		}
		err = migrate_one(m, src, dst, reason);
		if (err) {
			put_new(m, dst, priv);
			failed++;
			l->pfn[keep++] = (uint32_t)src;
			if (err == -ENOMEM)
				rc = -ENOMEM;
			continue;
		}
		ok++;
	}
	l->nr = keep;
	count_vm_events(m, PGMIGRATE_SUCCESS, ok);
	count_vm_events(m, PGMIGRATE_FAIL, failed);
	migrate_event(m, MM_EV_mm_migrate_pages, ok, failed, mode, reason);
	*nr_succeeded = ok;
	return rc ? rc : (int)failed;
}

/*** The op: move one folio (move_pages(2) of one page to its own node) ***/

struct target_arg {
	int cpu;
	int node;
	uint64_t dst;		/* the last frame handed out */
};

/* alloc_migration_target(): a movable page on the folio's node, owned as the folio is. */
static uint64_t alloc_migration_target(struct machine *m, uint64_t src, void *priv)
{
	struct target_arg *t = priv;
	struct alloc_pages_result res;
	int owner = pfn_to_page(m, src)->owner;

	if (__alloc_pages(m, GFP_HIGHUSER_MOVABLE | __GFP_RETRY_MAYFAIL | __GFP_NOWARN |
			  __GFP_THISNODE, 0, t->node, t->cpu, owner, &res, NULL))
		return PFN_NIL;
	t->dst = res.pfn;
	return res.pfn;
}

static void free_migration_target(struct machine *m, uint64_t dst, void *priv)
{
	struct target_arg *t = priv;

	SIM_BUG_ON(__free_pages_owner(m, dst, 0, t->cpu, pfn_to_page(m, dst)->owner, NULL));
}

int mm_migrate_pages(struct machine *m, uint64_t pfn, int cpu, uint64_t *new_pfn,
		     struct mm_error *e)
{
	struct migrate_list l = { .nr = 0 };
	struct target_arg t;
	unsigned int ok = 0;
	const char *why = NULL;
	int err;

	if (!m->booted)
		return mm_error_set(e, -EPERM, "the buddy allocator is not up yet");
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if (pfn >= m->max_pfn)
		return mm_error_set(e, -EINVAL, "pfn 0x%" PRIx64 " is beyond the machine "
				    "(max_pfn 0x%" PRIx64 ")", pfn, m->max_pfn);
	/*
	 * A pin is no reason to leave a folio on its LRU here: move_pages()
	 * takes it with folio_isolate_lru(), which has no refcount test, and
	 * its move fails on the refcount (pgmigrate_fail); only the scanners of
	 * compaction and alloc_contig_range() pass a pinned anonymous folio over.
	 */
	err = folio_migration_refusal(m, pfn, ISOLATE_UNEVICTABLE, &why);
	if (err && err != -EAGAIN)
		return mm_error_set(e, err, "pfn 0x%" PRIx64 " cannot be migrated: %s", pfn, why);
	t.cpu = cpu;
	t.node = pfn_to_page(m, pfn)->node;
	t.dst = PFN_NIL;
	isolate_folio_to_list(m, pfn, &l);
	err = migrate_pages(m, &l, alloc_migration_target, free_migration_target, &t,
			    MIGRATE_SYNC, MR_SYSCALL, cpu, &ok);
	if (l.nr)
		putback_movable_pages(m, &l);
	if (err == -ENOMEM)
		return mm_error_set(e, -ENOMEM, "pfn 0x%" PRIx64 " cannot be migrated: no free "
				    "page on node %d to move it to", pfn, t.node);
	if (err)
		return mm_error_set(e, -EAGAIN, "pfn 0x%" PRIx64 " cannot be migrated: extra "
				    "references (pinned)", pfn);
	*new_pfn = t.dst;
	return 0;
}
