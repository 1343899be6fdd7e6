/*
 * mmu.c - what the CPU does with a linear address: the canonical check, the
 * TLB, the page walk from CR3, accessed/dirty bits, and #PF with its error
 * code; and the TLB flushes the kernel asks for.
 *
 * Kernel and hardware: the Intel SDM's 4-level/5-level paging chapter,
 * arch/x86/mm/fault.c (the error code bits, do_user_addr_fault), and
 * arch/x86/mm/tlb.c (flush_tlb_kernel_range, flush_tlb_mm_range, invlpg).
 *
 * Ideas to hold:
 *  - Each CPU has four arrays, set-associative: L1 for 4 KiB, 2 MiB and
 *    1 GiB pages and a second-level STLB shared by 4 KiB and 2 MiB pages. A
 *    miss in L1 that hits the STLB refills L1; a miss in both walks the tables
 *    and fills both. Replacement is lru, fifo or random (the machine's PRNG).
 *  - There are no PCIDs: a CR3 write drops every entry that is not global,
 *    and global entries (the kernel half) survive it.
 *  - One access, three paths with one result: mm_translate() serves a hit
 *    in the L1 array of the CPU's last hit (by a hint, or a search of the
 *    set); translate_miss() a 4 KiB page in no array, mapped with A (and D)
 *    already set, while no one records (miss_fast()); translate_paged() and
 *    translate_full() everything else, events included.
 *    test_fast_miss_equals_general holds the second to the third.
 *
 * Design notes: the invariants that x86_check() verifies here.
 *  C1. Every valid TLB entry of a CPU agrees with that CPU's current tables:
 *      the walk of its address from CR3 finds a present leaf of the same
 *      size and frame, with rights at least as wide (no entry survives the
 *      unmapping and flush of its page). The one exception is a 4 KiB entry
 *      in a vmalloc range that vfree() left on the lazy list: its PTE is
 *      gone but the flush waits for the purge, as in the kernel.
 *  C2. A CPU with paging off has an empty TLB; CR0.PG implies CR0.PE; long
 *      mode is exactly CR0.PG with EFER.LME and CR4.PAE, and CR3 of a CPU
 *      with paging on is a table page.
 *  C3. Each TLB array's geometry is the config's (sets * ways = entries),
 *      a slot has a stamp exactly when it has a tag, no later than the
 *      clock (tlb_victim() finds empty ways by their stamp of 0), nr_size[]
 *      counts the entries of each page size and regions[] has a bit for the
 *      region of each (a lookup skips a size an array does not hold in the
 *      address's region), and each entry keeps its page's region (for the
 *      counters of a hit).
 *  C4. Each hint of a CPU's memo (struct tlb_memo) names the L1 slot that
 *      holds its tag, and sits where its tag puts it.
 *  C5. A CPU's walk cache of the current table generation holds what a walk
 *      of its region reads above the PTE, every entry with A.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "layout.h"
#include "oom.h"
#include "pgtable.h"
#include "slab.h"

static const char *const tlb_array_names[NR_TLB_ARRAYS] = { "l1_4k", "l1_2m", "l1_1g", "stlb" };

/*** Geometry ***/

static int tlb_array_init(struct tlb_array *t, const struct tlb_array_config *cfg)
{
	t->entries = cfg->entries;
	t->ways = cfg->ways && cfg->ways <= cfg->entries ? cfg->ways : cfg->entries;
	t->sets = t->ways ? t->entries / t->ways : 0;
	t->entries = t->sets * t->ways;
	/* A configuration from JSON has a power of two of sets; one built in
	 * C may not, and then the set is found by a division. */
	t->set_mask = !(t->sets & (t->sets - 1)) ? (t->sets ? t->sets - 1 : 0) : TLB_SET_DIVIDE;
	t->tag = calloc(1, t->entries ? tlb_array_bytes(t) : 1);
	if (!t->tag)
		return -ENOMEM;
	tlb_array_bind(t);
	return 0;
}

int tlb_init_cpu(const struct machine *m, struct cpu_state *cpu)
{
	const struct tlb_config *c = &m->cfg.tlb;

	if (tlb_array_init(&cpu->tlb[TLB_L1_4K], &c->l1_4k) ||
	    tlb_array_init(&cpu->tlb[TLB_L1_2M], &c->l1_2m) ||
	    tlb_array_init(&cpu->tlb[TLB_L1_1G], &c->l1_1g) ||
	    tlb_array_init(&cpu->tlb[TLB_STLB], &c->stlb))
		return -ENOMEM;
	return 0;
}

/* The L1 array of a page size is its size index: TLB_L1_4K, _2M, _1G are 0, 1, 2. */
_Static_assert(TLB_L1_4K == 0 && TLB_L1_2M == 1 && TLB_L1_1G == 2,
	       "L1 arrays are indexed by tlb_size_index()");

/*** Lookup, fill, eviction ***/

/* The first slot of the set @tag maps to: a mask for the usual geometries. */
static inline size_t tlb_set_base(const struct tlb_array *t, uint64_t tag)
{
	uint64_t vpn = tag >> TLB_TAG_VPN_SHIFT;
	uint64_t set = t->set_mask != TLB_SET_DIVIDE ? vpn & t->set_mask : vpn % t->sets;

	return (size_t)set * t->ways;
}

/*
 * The slot of @t that holds @tag, or -1: four ways a step with one branch,
 * then way by way (a tag is in at most one way of its set).
 */
static inline long tlb_find(const struct tlb_array *t, uint64_t tag)
{
	const uint64_t *p = t->tag + tlb_set_base(t, tag);
	const uint64_t *end = p + t->ways, *end4 = p + (t->ways & ~3u);

	for (; p < end4; p += 4)
		if ((p[0] == tag) | (p[1] == tag) | (p[2] == tag) | (p[3] == tag))
			break;
	for (; p < end; p++)
		if (*p == tag)
			return p - t->tag;
	return -1;
}

static void tlb_entry_event(struct machine *m, int type, int cpu, int array, size_t slot,
			    const char *why)
{
	const struct tlb_array *t = &m->x86->cpus[cpu].tlb[array];
	const struct tlb_entry *te = &t->ent[slot];
	unsigned int shift = tlb_tag_shift(t->tag[slot]);
	struct mm_event ev;

	mm_event_init(&ev, type);
	ev.cpu = cpu;
	ev.vaddr = tlb_tag_vaddr(t->tag[slot]);
	ev.paddr = PFN_PHYS(te->pfn);
	ev.pfn = te->pfn;
	ev.size = 1ULL << shift;
	ev.value = (int64_t)te->prot;
	snprintf(m->detail, sizeof(m->detail), "%s%s%s", tlb_array_names[array],
		 why ? " " : "", why ? why : "");
	ev.detail = m->detail;
	emit(m, &ev);
}

/*
 * The way of the set at slot @base of @t to replace, by the configured
 * policy: the first empty way, else lru (oldest use), fifo (oldest fill) or
 * random. An empty slot's stamp is 0 and a used one's is not, so one pass
 * over the stamps finds both the first empty way and the oldest.
 */
static inline __attribute__((always_inline)) unsigned int
tlb_victim_ways(struct machine *m, const struct tlb_array *t, size_t base, size_t ways)
{
	const uint64_t *stamp = t->stamp + base;
	size_t w, best = 0;
	uint64_t oldest = stamp[0];

	/* two ways a step; a tie keeps the earlier way (only empty ways tie:
	 * stamps are unique) */
	for (w = 1; w + 1 < ways; w += 2) {
		uint64_t a = stamp[w], b = stamp[w + 1];

		best = a < oldest ? w : best;
		oldest = a < oldest ? a : oldest;
		best = b < oldest ? w + 1 : best;
		oldest = b < oldest ? b : oldest;
	}
	if (w < ways && stamp[w] < oldest) {
		best = w;
		oldest = stamp[w];
	}
	if (oldest && m->cfg.tlb.policy == TLB_POLICY_RANDOM)
		return (unsigned int)(x86_prng_next(m) % ways);
	return (unsigned int)best;
}

/* tlb_victim_ways() of @t's own ways (@ways a constant where it is inlined). */
static inline unsigned int tlb_victim(struct machine *m, const struct tlb_array *t, size_t base)
{
	return tlb_victim_ways(m, t, base, t->ways);
}

/* A slot holding @tag changes: its hint goes. */
static inline void memo_forget(struct cpu_state *c, uint64_t tag)
{
	struct tlb_hint *h = tlb_hint_of(&c->memo, tag);

	if (h->tag == tag)
		h->tag = 0;
}

/* L1 slot @slot of @array, which holds @tag, just hit. */
static inline void memo_set(struct cpu_state *c, unsigned int array, size_t slot, uint64_t tag)
{
	*tlb_hint_of(&c->memo, tag) = (struct tlb_hint){ tag, (uint32_t)slot };
	c->memo.array = (uint8_t)array;
}

/* Empty slot @slot of @c's array @t: no tag, no stamp. */
static inline void tlb_drop(struct cpu_state *c, struct tlb_array *t, size_t slot)
{
	unsigned int size = tlb_size_index(tlb_tag_shift(t->tag[slot]));

	if (t != &c->tlb[TLB_STLB])		/* hints name L1 slots only */
		memo_forget(c, t->tag[slot]);
	if (!--t->nr_size[size])
		t->regions[size] = 0;
	t->tag[slot] = 0;
	t->stamp[slot] = 0;
}

/* What a fill writes into a slot, worked out once for the L1 array and the STLB. */
struct tlb_fill {
	uint64_t tag;
	struct tlb_entry ent;
	unsigned int size;		/* tlb_size_index() of the page */
	int region;			/* page_region() */
	uint8_t region_bit;		/* its bit in tlb_array.regions */
};

static inline struct tlb_fill tlb_fill_of(uint64_t tag, uint64_t pfn, uint64_t prot, int region)
{
	return (struct tlb_fill){ tag, { pfn, prot }, tlb_size_index(tlb_tag_shift(tag)), region,
				  (uint8_t)(region >= 0 ? 1u << region : 0xffu) };
}

/* Write @f into the empty slot @slot of @c's array @t. */
static inline void tlb_put(struct cpu_state *c, struct tlb_array *t, size_t slot,
			   const struct tlb_fill *f)
{
	t->nr_size[f->size]++;
	t->regions[f->size] |= f->region_bit;
	t->tag[slot] = f->tag;
	t->ent[slot] = f->ent;
	t->region[slot] = (int8_t)f->region;
	t->stamp[slot] = ++c->tlb_clock;
}

/*
 * Fill @f into @array of @cpu (@c); @absent: the caller just looked and it
 * is not there. Returns the slot, or -1 for an empty array.
 */
static inline __attribute__((always_inline)) long
tlb_insert(struct machine *m, int cpu, struct cpu_state *c, int array, const struct tlb_fill *f,
	   bool absent)
{
	struct tlb_array *t = &c->tlb[array];
	long slot;

	if (!t->entries)
		return -1;
	slot = absent ? -1 : tlb_find(t, f->tag);
	if (slot < 0) {
		size_t base = tlb_set_base(t, f->tag);

		slot = (long)(base + tlb_victim(m, t, base));
	}
	if (t->tag[slot]) {
		if (events_on(m) && t->tag[slot] != f->tag)
			tlb_entry_event(m, MM_EV_tlb_evict, cpu, array, (size_t)slot,
					m->cfg.tlb.policy == TLB_POLICY_RANDOM ? "random" :
					m->cfg.tlb.policy == TLB_POLICY_FIFO ? "fifo" : "lru");
		tlb_drop(c, t, (size_t)slot);
	}
	tlb_put(c, t, (size_t)slot, f);
	if (events_on(m))
		tlb_entry_event(m, MM_EV_tlb_fill, cpu, array, (size_t)slot, NULL);
	return slot;
}

static inline void tlb_touch(struct machine *m, struct cpu_state *c, const struct tlb_array *t,
			     size_t slot)
{
	c->tlb_clock++;
	if (m->cfg.tlb.policy == TLB_POLICY_LRU)
		t->stamp[slot] = c->tlb_clock;
}

/*** Flushes ***/

static void flush_event(struct machine *m, int cpu, const char *scope, uint64_t start,
			uint64_t size, uint64_t dropped)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_tlb_flush);
	ev.cpu = cpu;
	ev.vaddr = start;
	ev.size = size;
	ev.value = (int64_t)dropped;
	ev.detail = scope;
	emit(m, &ev);
}

/* Drop entries: all, or the non-global ones (a CR3 write). */
void tlb_flush_cpu(struct machine *m, int cpu, bool global, const char *why)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	uint64_t dropped = 0;
	unsigned int a, i;

	for (a = 0; a < NR_TLB_ARRAYS; a++) {
		struct tlb_array *t = &c->tlb[a];
		const struct tlb_entry *te = t->ent;

		if (global) {		/* every entry: no need to look at them one by one */
			dropped += t->nr_size[0] + t->nr_size[1] + t->nr_size[2];
			memset(t->tag, 0, t->entries * sizeof(*t->tag));
			memset(t->stamp, 0, t->entries * sizeof(*t->stamp));
			memset(t->nr_size, 0, sizeof(t->nr_size));
			memset(t->regions, 0, sizeof(t->regions));
			continue;
		}
		for (i = 0; i < t->entries; i++)
			if (t->tag[i] && !(te[i].prot & _PAGE_GLOBAL)) {
				tlb_drop(c, t, i);
				dropped++;
			}
	}
	if (global)
		memset(c->memo.hint, 0, sizeof(c->memo.hint));
	flush_event(m, cpu, why ? why : global ? "all" : "nonglobal", MM_NA_U64, MM_NA_U64,
		    dropped);
}

/* invlpg over [start, end): every entry whose page overlaps the range. */
void tlb_flush_cpu_range(struct machine *m, int cpu, uint64_t start, uint64_t end,
			 const char *why)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	uint64_t dropped = 0;
	unsigned int a, i;

	for (a = 0; a < NR_TLB_ARRAYS; a++) {
		struct tlb_array *t = &c->tlb[a];

		for (i = 0; i < t->entries; i++) {
			uint64_t tag = t->tag[i], s, e;

			if (!tag)
				continue;
			s = tlb_tag_vaddr(tag);
			e = s + (1ULL << tlb_tag_shift(tag));
			if (s < end && start < e) {
				tlb_drop(c, t, i);
				dropped++;
			}
		}
	}
	flush_event(m, cpu, why, start, end - start, dropped);
}

/* flush_tlb_kernel_range(): every CPU, one range (the kernel half is shared). */
void flush_tlb_kernel_range(struct machine *m, uint64_t start, uint64_t end)
{
	unsigned int cpu;

	for (cpu = 0; cpu < m->nr_cpus; cpu++)
		tlb_flush_cpu_range(m, (int)cpu, start, end, "range");
}

int mm_tlb_flush(struct machine *m, int cpu, int scope, uint64_t addr, uint64_t length,
		 struct mm_error *e)
{
	unsigned int c, first = cpu < 0 ? 0 : (unsigned int)cpu;
	unsigned int last = cpu < 0 ? m->nr_cpus - 1 : (unsigned int)cpu;

	if (cpu >= (int)m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if ((scope == MM_FLUSH_PAGE || scope == MM_FLUSH_RANGE) &&
	    !layout_canonical(addr, pt_levels(m)))
		return mm_error_set(e, -EINVAL, "addr 0x%" PRIx64 " is not canonical", addr);
	if (scope == MM_FLUSH_RANGE && (!length || addr + length < addr))
		return mm_error_set(e, -EINVAL, "length must be > 0 and stay in the address space");
	for (c = first; c <= last; c++) {
		if (scope == MM_FLUSH_ALL)
			tlb_flush_cpu(m, (int)c, true, "all");
		else if (scope == MM_FLUSH_NONGLOBAL)
			tlb_flush_cpu(m, (int)c, false, "nonglobal");
		else if (scope == MM_FLUSH_PAGE)
			tlb_flush_cpu_range(m, (int)c, addr & ~(PAGE_SIZE - 1),
					    (addr & ~(PAGE_SIZE - 1)) + PAGE_SIZE, "page");
		else
			tlb_flush_cpu_range(m, (int)c, addr, addr + length, "range");
	}
	return 0;
}

/*** Translation ***/

/*
 * What an entry's rights must allow, by access: the bits it needs set (U as
 * well for a user access) and the bits it must not have. A cached entry
 * serves a write only once D is set: a clean page walks again to set it, as
 * the hardware does.
 */
static const uint64_t need_bits[3] = { 0, _PAGE_RW, 0 };
static const uint64_t forbid_bits[3] = { 0, 0, _PAGE_NX };

/* Whether rights @prot (from the walk) allow @access. */
static inline bool rights_ok(uint64_t prot, int access, bool user)
{
	uint64_t need = need_bits[access] | (user ? _PAGE_USER : 0);

	return !((~prot & need) | (prot & forbid_bits[access]));
}

/* Whether the cached rights @prot serve @access: rights_ok() and, for a write, D. */
static inline bool tlb_serves(uint64_t prot, int access, bool user)
{
	return rights_ok(prot, access, user) &&
	       (access != MM_ACCESS_WRITE || (prot & _PAGE_DIRTY));
}

static uint32_t pf_error_code(bool present, int access, bool user)
{
	return (present ? X86_PF_PROT : 0) | (access == MM_ACCESS_WRITE ? X86_PF_WRITE : 0) |
	       (user ? X86_PF_USER : 0) | (access == MM_ACCESS_EXEC ? X86_PF_INSTR : 0);
}

/* Where a lookup found the page: an array and its slot. */
struct tlb_hit {
	int array;
	long slot;			/* -1: a miss */
};

static const unsigned int l1_shifts[3] = { PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT };

/*
 * The region of every address of the large page at @vaddr (whose own region
 * is @region), or -1 when it spans two. Every region boundary but the end of
 * the direct map is 1 GiB aligned, and all are 4 KiB aligned.
 */
static int page_region(const struct machine *m, uint64_t vaddr, unsigned int shift, int region)
{
	uint64_t start = vaddr & ~((1ULL << shift) - 1);

	return mm_region_of(m, start) == (enum mm_region)region &&
	       mm_region_of(m, start + (1ULL << shift) - 1) == (enum mm_region)region ? region : -1;
}

/* Whether @t may hold a page of size @size (0, 1, 2) in region @region. */
static inline bool tlb_may_hold(const struct tlb_array *t, unsigned int size, int region)
{
	return (t->regions[size] >> region) & 1;
}

/*
 * A TLB hit: L1 of each size first, then the STLB (which refills L1), for
 * @vaddr in @region. @hint_absent: the L1 array of the last hit was just
 * searched in vain.
 */
static int tlb_lookup(struct machine *m, int cpu, uint64_t vaddr, int region, bool hint_absent,
		      struct tlb_hit *hit)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	const struct tlb_memo *mo = &c->memo;
	const struct tlb_array *stlb = &c->tlb[TLB_STLB];
	unsigned int i, l1, l2;
	long slot;

	/* The three L1 arrays are looked up at once in hardware; here one
	 * after the other (a page is in one of them at most: C1), but not one
	 * with no entry of its size in the region, nor the one the caller just
	 * searched. The L1 arrays are TLB_L1_4K, _2M, _1G: index i holds pages
	 * of l1_shifts[i]. Bit i of l1 (of l2): look in that L1 array (in the
	 * STLB for that size). */
	l1 = (unsigned int)tlb_may_hold(&c->tlb[0], 0, region) |
	     (unsigned int)tlb_may_hold(&c->tlb[1], 1, region) << 1 |
	     (unsigned int)tlb_may_hold(&c->tlb[2], 2, region) << 2;
	l2 = (unsigned int)tlb_may_hold(stlb, 0, region) |
	     (unsigned int)tlb_may_hold(stlb, 1, region) << 1;
	if (hint_absent)
		l1 &= ~(1u << mo->array);
	for (; l1; l1 &= l1 - 1) {
		uint64_t tag;

		i = (unsigned int)__builtin_ctz(l1);
		tag = tlb_tag(vaddr, l1_shifts[i]);
		slot = tlb_find(&c->tlb[i], tag);
		if (slot >= 0) {
			tlb_touch(m, c, &c->tlb[i], (size_t)slot);
			memo_set(c, i, (size_t)slot, tag);
			*hit = (struct tlb_hit){ (int)i, slot };
			return MM_TLB_L1_HIT;
		}
	}
	for (; l2; l2 &= l2 - 1) {
		uint64_t tag;

		i = (unsigned int)__builtin_ctz(l2);
		tag = tlb_tag(vaddr, l1_shifts[i]);
		slot = tlb_find(stlb, tag);
		if (slot >= 0) {
			struct tlb_fill f = tlb_fill_of(tag, stlb->ent[slot].pfn,
							stlb->ent[slot].prot, stlb->region[slot]);
			long refill;

			tlb_touch(m, c, &c->tlb[TLB_STLB], (size_t)slot);
			refill = tlb_insert(m, cpu, c, (int)i, &f, true);
			*hit = refill >= 0 ? (struct tlb_hit){ (int)i, refill } :
					     (struct tlb_hit){ TLB_STLB, slot };
			return MM_TLB_STLB_HIT;
		}
	}
	*hit = (struct tlb_hit){ 0, -1 };
	return MM_TLB_MISS;
}

/* What a successful walk found. */
struct walk_result {
	uint64_t pfn;			/* the 4 KiB frame that backs the address */
	unsigned int page_shift;
	uint64_t prot;			/* effective: RW and US of every level, NX of any */
};

/* A walk under way: where it is and what it has gathered. */
struct walk {
	const struct page *mem_map;
	uint64_t (*tables)[PTRS_PER_TABLE];
	uint64_t max_pfn;
	struct mm_walk_level *lv;	/* the next level's record */
	uint64_t table;			/* pfn of the table to read */
	uint64_t all, any;		/* the entries read, ANDed and ORed */
	uint64_t entry;			/* the last one */
	const uint32_t *slot_pfn;	/* the table store's slot -> pfn */
};

/* The rights of a walk's entries ANDed (@all) and ORed (@any): RW and US
 * where every level has them, NX where any has. */
static inline uint64_t walk_rights(uint64_t all, uint64_t any)
{
	return (all & (_PAGE_RW | _PAGE_USER)) | (any & _PAGE_NX);
}

/* What a TLB entry keeps: the walk's @rights and the @leaf's P, G, D and A. */
static inline uint64_t tlb_prot(uint64_t rights, uint64_t leaf)
{
	return rights | (leaf & (_PAGE_PRESENT | _PAGE_GLOBAL | _PAGE_DIRTY | _PAGE_ACCESSED));
}

/*
 * Read the entry for @vaddr at @level (a constant where it is inlined):
 * 1 for a leaf, -1 for a not-present entry, 0 to go down a level.
 */
static inline __attribute__((always_inline)) int
walk_level(struct walk *w, uint64_t vaddr, int level)
{
	unsigned int idx = pt_index(vaddr, level);
	const struct page *p = &w->mem_map[w->table];
	uint64_t entry;

	/* pt_entries() without its slot cross-check, which P1 of
	 * pgtable_check() covers: this is every TLB miss's path. */
	SIM_BUG_ON(w->table >= w->max_pfn || w->slot_pfn[p->index] != w->table);
	entry = w->tables[p->index][idx];
	*w->lv++ = (struct mm_walk_level){ level, w->table, idx, entry };
	w->entry = entry;
	if (!(entry & _PAGE_PRESENT))
		return -1;
	w->all &= entry;
	w->any |= entry;
	if (entry_is_leaf(entry, level))
		return 1;
	w->table = pte_pfn(entry);
	return 0;
}

/*
 * The levels above the PTE (@levels of them with the PTE), each written out
 * by walk_level(): what the last one returned.
 */
static inline __attribute__((always_inline)) int
walk_upper_levels(struct walk *w, unsigned int levels, uint64_t vaddr)
{
	int got = 0;

	if (levels == 5)
		got = walk_level(w, vaddr, PT_PGD5);
	if (!got)
		got = walk_level(w, vaddr, PT_P4D);
	if (!got)
		got = walk_level(w, vaddr, PT_PUD);
	if (!got)
		got = walk_level(w, vaddr, PT_PMD);
	return got;
}

/*
 * Keep the @nr levels above the PTE of a walk from @root to @vaddr (@lv,
 * the PTE's record after them), their entries ANDed and ORed in @all and
 * @any, every one with A: the walk cache of C5.
 */
static inline void walk_cache_keep(struct walk_cache *wc, const struct machine *m, uint64_t root,
				   uint64_t vaddr, const struct mm_walk_level *lv, int nr,
				   uint64_t all, uint64_t any)
{
	wc->gen = m->x86->pt.gen;
	wc->root = root;
	wc->region = vaddr >> PMD_SHIFT;
	wc->pte_table = lv[nr].table_pfn;
	wc->all = all;
	wc->any = any;
	wc->nr = nr;
	memcpy(wc->lv, lv, sizeof(wc->lv));	/* nr of them, and what follows */
}

/*
 * The hardware walk from CR3 (@root) of @c: read each level by physical
 * address (into t->levels), gather the rights and, once the leaf is found,
 * set A on every entry read and D on the leaf for a write the rights allow.
 * A walk that meets a not-present entry sets nothing and returns -EFAULT.
 * The levels are written out one by one, so that each knows its shift and
 * whether it can be a leaf; the upper ones come from the walk cache when it
 * holds this 2 MiB region.
 */
static inline __attribute__((always_inline)) int
hw_walk(struct machine *m, struct cpu_state *c, uint64_t root, uint64_t vaddr, int access,
	struct mm_translation *t, struct walk_result *r)
{
	/* In locals: the stores to t->levels could alias them. */
	struct walk w = { m->mem_map, m->x86->pt.slots, m->max_pfn, t->levels, root,
			  ~0ULL, 0, 0, m->x86->pt.slot_pfn };
	struct walk_cache *wc = &c->walk_cache;
	int got = 0, n, i, level;
	uint64_t prot, upper_all = 0, upper_any = 0;
	bool cached, dirty, set_a;

	cached = wc->nr && wc->gen == m->x86->pt.gen && wc->root == root &&
		 wc->region == vaddr >> PMD_SHIFT;
	if (cached) {
		memcpy(t->levels, wc->lv, sizeof(wc->lv));	/* all four: one fixed copy */
		w.lv += wc->nr;
		w.table = wc->pte_table;
		w.all = wc->all;
		w.any = wc->any;
	} else {
		got = walk_upper_levels(&w, pt_levels(m), vaddr);
		upper_all = w.all;	/* the levels above a PTE, if one is next */
		upper_any = w.any;
	}
	if (!got)
		got = walk_level(&w, vaddr, PT_PTE);
	n = (int)(w.lv - t->levels);
	t->nr_levels = n;
	if (got < 0)
		return -EFAULT;
	level = t->levels[n - 1].level;
	prot = walk_rights(w.all, w.any);
	r->page_shift = pt_level_shift(level);
	r->pfn = pte_pfn(w.entry) + ((vaddr & ((1ULL << r->page_shift) - 1)) >> PAGE_SHIFT);
	dirty = access == MM_ACCESS_WRITE && (w.entry & _PAGE_RW) && (prot & _PAGE_RW);
	/* After the first walk, every entry has A (and a written leaf D). */
	set_a = !(w.all & _PAGE_ACCESSED) || (dirty && !(w.entry & _PAGE_DIRTY));
	if (set_a)
		for (i = 0; i < n; i++) {
			struct mm_walk_level *l = &t->levels[i];
			uint64_t set = _PAGE_ACCESSED | (dirty && i == n - 1 ? _PAGE_DIRTY : 0);

			w.tables[w.mem_map[l->table_pfn].index][l->index] |= set;
			l->entry |= set;
		}
	/* A walk down to a PTE keeps its upper levels, once every one has A. */
	if (!cached && level == PT_PTE) {
		upper_all |= set_a ? _PAGE_ACCESSED : 0;
		upper_any |= set_a ? _PAGE_ACCESSED : 0;
		if (upper_all & _PAGE_ACCESSED)
			walk_cache_keep(wc, m, root, vaddr, t->levels, n - 1, upper_all, upper_any);
	}
	r->prot = tlb_prot(prot, t->levels[n - 1].entry);
	return 0;
}

static void translate_event(struct machine *m, int cpu, uint64_t vaddr, int access,
			    const struct mm_translation *t, int pid)
{
	static const char *const tlb_names[] = { "off", "l1_hit", "stlb_hit", "miss" };
	static const char *const access_names[] = { "read", "write", "exec" };
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_translate);
	ev.cpu = cpu;
	ev.vaddr = vaddr;
	ev.paddr = t->fault ? MM_NA_U64 : t->paddr;
	ev.pfn = t->fault ? MM_NA_U64 : PHYS_PFN(t->paddr);
	ev.size = t->fault ? MM_NA_U64 : 1ULL << t->page_shift;
	ev.value = t->walk_refs;
	ev.level = t->nr_levels ? t->levels[t->nr_levels - 1].level : MM_NA;
	snprintf(m->detail, sizeof(m->detail), "%s %s%s%s pid %d", tlb_names[t->tlb],
		 access_names[access], t->fault ? " fault " : "", t->fault ? t->outcome : "",
		 pid);
	ev.detail = m->detail;
	emit(m, &ev);
}

static void page_fault_event(struct machine *m, int cpu, uint64_t vaddr, uint32_t code,
			     const char *outcome)
{
	struct mm_event ev;

	if (!events_on(m))
		return;
	mm_event_init(&ev, MM_EV_page_fault);
	ev.cpu = cpu;
	ev.vaddr = vaddr;
	ev.value = code;
	ev.detail = outcome;
	emit(m, &ev);
}

/* Fill L1 (and the STLB for 4 KiB and 2 MiB pages) after a successful walk. */
/* @absent: the lookup before the walk found the page in no array. */
/* @region: the region of @vaddr. */
static void tlb_fill_walk(struct machine *m, int cpu, uint64_t vaddr,
			  const struct walk_result *r, int region, bool absent)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	struct tlb_fill f = tlb_fill_of(tlb_tag(vaddr, r->page_shift),
					r->pfn & ~((1ULL << (r->page_shift - PAGE_SHIFT)) - 1),
					r->prot, r->page_shift == PAGE_SHIFT ? region :
					page_region(m, vaddr, r->page_shift, region));

	tlb_insert(m, cpu, c, (int)f.size, &f, absent);
	if (r->page_shift != PUD_SHIFT)
		tlb_insert(m, cpu, c, TLB_STLB, &f, absent);
}

/*
 * A miss (or a hit that cannot be used): the walk, the fill, or the fault.
 * Returns 1 when a not-present #PF in a process was fixed by demand paging
 * (the caller retries), 0 otherwise.
 */
static inline int
mmu_miss(struct machine *m, int cpu, uint64_t vaddr, int access, bool user,
	 struct mm_translation *t, int region, bool absent, int *err)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	struct tlb_stats *st = &c->stats[region];
	struct walk_result r = { 0, 0, 0 };
	uint32_t code;

	t->tlb = MM_TLB_MISS;
	st->misses++;
	*err = hw_walk(m, c, PHYS_PFN(c->cr3), vaddr, access, t, &r);
	t->walk_refs += (unsigned int)t->nr_levels;
	st->walk_refs += (uint64_t)t->nr_levels;
	if (!*err && rights_ok(r.prot, access, user)) {
		tlb_fill_walk(m, cpu, vaddr, &r, region, absent);
		t->page_shift = r.page_shift;
		t->paddr = PFN_PHYS(r.pfn) + (vaddr & (PAGE_SIZE - 1));
		return 0;
	}
	code = pf_error_code(*err == 0, access, user);
	*err = 0;
	st->faults++;
	t->fault = true;
	t->vector = 14;
	t->error_code = code;
	if (vaddr < layout_task_size(pt_levels(m)) + PAGE_SIZE && c->pid > 0 &&
	    !(user && !(code & X86_PF_USER))) {
		struct mm_struct *mm = find_mm(m, c->pid);
		int ret = do_user_addr_fault(m, cpu, mm, vaddr, code, &t->outcome);

		page_fault_event(m, cpu, vaddr, code, t->outcome);
		if (ret < 0)
			*err = ret;
		return ret == 1;
	}
	t->outcome = user ? "segv" : "oops";	/* bad_area() or a kernel oops */
	page_fault_event(m, cpu, vaddr, code, t->outcome);
	return 0;
}

/*
 * The access proper, once CR3 is the right one: the TLB, and on a miss (or
 * an entry that cannot serve it) mmu_miss(). Returns what mmu_miss() does.
 */
static inline __attribute__((always_inline)) int
mmu_access(struct machine *m, int cpu, uint64_t vaddr, int access,
			     bool user, bool hint_absent, struct mm_translation *t, int *err)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	struct tlb_stats *st;
	struct tlb_hit hit;
	int region;

	region = (int)mm_region_of(m, vaddr);
	t->tlb = tlb_lookup(m, cpu, vaddr, region, hint_absent, &hit);
	st = &c->stats[region];
	if (hit.slot >= 0) {
		struct tlb_array *ta = &c->tlb[hit.array];
		const struct tlb_entry *te = &ta->ent[hit.slot];

		if (tlb_serves(te->prot, access, user)) {
			unsigned int shift = tlb_tag_shift(ta->tag[hit.slot]);

			t->page_shift = shift;
			t->paddr = PFN_PHYS(te->pfn) + (vaddr & ((1ULL << shift) - 1));
			if (t->tlb == MM_TLB_L1_HIT)
				st->l1_hits++;
			else
				st->stlb_hits++;
			return 0;
		}
		/* a write to a clean page or a rights mismatch: walk again */
		tlb_drop(c, ta, (size_t)hit.slot);
	}
	return mmu_miss(m, cpu, vaddr, access, user, t, region, hit.slot < 0, err);
}

/* user = -1: user mode for process addresses of a process. */
static bool resolve_user(const struct machine *m, int pid, uint64_t vaddr, int user)
{
	if (user >= 0)
		return user != 0;
	return pid > 0 && vaddr < layout_task_size(pt_levels(m)) + PAGE_SIZE;
}

/*
 * tlb_insert() for miss_fast(): the page is in no array and no one records.
 * The victim scan is unrolled for the ways of the default geometry.
 */
static inline __attribute__((always_inline)) void
fill_fast(struct machine *m, struct cpu_state *c, struct tlb_array *t, const struct tlb_fill *f)
{
	size_t base, slot;

	if (!t->entries)
		return;
	base = tlb_set_base(t, f->tag);
	switch (t->ways) {
	case 4:
		slot = base + tlb_victim_ways(m, t, base, 4);
		break;
	case 12:
		slot = base + tlb_victim_ways(m, t, base, 12);
		break;
	default:
		slot = base + tlb_victim(m, t, base);
		break;
	}
	if (t->tag[slot])
		tlb_drop(c, t, slot);
	tlb_put(c, t, slot, f);
}

/*
 * For miss_fast(), when the walk cache does not hold the region: the walk
 * down to the PTE table of @vaddr from @root, recorded in @lv. Returns the
 * levels read, with the entries ANDed and ORed in @wc (its other fields
 * untouched), or 0 where it cannot go on (not present, a large page).
 */
static int __attribute__((noinline))
walk_upper(const struct machine *m, uint64_t root, uint64_t vaddr, struct mm_walk_level *lv,
	   struct walk_cache *wc)
{
	struct walk w = { m->mem_map, m->x86->pt.slots, m->max_pfn, lv, root, ~0ULL, 0, 0,
			  m->x86->pt.slot_pfn };

	if (walk_upper_levels(&w, pt_levels(m), vaddr))
		return 0;
	wc->pte_table = w.table;
	wc->all = w.all;
	wc->any = w.any;
	return (int)(w.lv - lv);
}

/*
 * The common miss, on its own: a 4 KiB page that only the STLB might hold
 * and that is not there, mapped by entries that all have A (and the PTE D
 * for a write) and the rights the access needs, with no one recording. It
 * does what mmu_access() does then (the same counters, records, walk cache
 * and fills) in fewer steps. It decides before it changes anything but
 * @t: false, and the caller takes the general path, which gives the same
 * result for every case this one takes (test_fast_miss_equals_general
 * runs both side by side).
 */
static inline __attribute__((always_inline)) bool
miss_fast(struct machine *m, int cpu, uint64_t vaddr, int access, int user,
	  struct mm_translation *t)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	struct walk_cache *wc = &c->walk_cache, up;
	const struct tlb_array *stlb = &c->tlb[TLB_STLB];
	uint64_t tag = tlb_tag(vaddr, PAGE_SHIFT), root = PHYS_PFN(c->cr3), entry, prot;
	unsigned int idx = pt_index(vaddr, PT_PTE);
	const struct walk_cache *from = wc;
	const struct page *p;
	struct tlb_stats *st;
	struct tlb_fill f;
	int region, n;

	if (events_on(m) || !stlb->entries || !layout_canonical(vaddr, pt_levels(m)))
		return false;
	/* not in any TLB array: the memo's was just searched, the others
	 * hold no page of the region but the 4 KiB ones */
	region = (int)mm_region_of(m, vaddr);
	if ((c->memo.array != TLB_L1_1G && tlb_may_hold(&c->tlb[TLB_L1_1G], 2, region)) ||
	    (c->memo.array != TLB_L1_2M && tlb_may_hold(&c->tlb[TLB_L1_2M], 1, region)) ||
	    tlb_may_hold(stlb, 1, region) ||
	    (c->memo.array != TLB_L1_4K && tlb_may_hold(&c->tlb[TLB_L1_4K], 0, region) &&
	     tlb_find(&c->tlb[TLB_L1_4K], tag) >= 0) ||
	    (tlb_may_hold(stlb, 0, region) && tlb_find(stlb, tag) >= 0))
		return false;
	if (wc->nr && wc->gen == m->x86->pt.gen && wc->root == root &&
	    wc->region == vaddr >> PMD_SHIFT) {
		memcpy(t->levels, wc->lv, sizeof(wc->lv));
	} else {
		up.nr = walk_upper(m, root, vaddr, t->levels, &up);
		if (!up.nr || !(up.all & _PAGE_ACCESSED))	/* a hole, a large page, no A */
			return false;
		from = &up;
	}
	p = &m->mem_map[from->pte_table];
	SIM_BUG_ON(!pt_is_table(m, from->pte_table));
	entry = m->x86->pt.slots[p->index][idx];
	prot = walk_rights(from->all & entry, from->any | entry);
	if ((entry & (_PAGE_PRESENT | _PAGE_ACCESSED)) != (_PAGE_PRESENT | _PAGE_ACCESSED) ||
	    !rights_ok(prot, access, resolve_user(m, c->pid, vaddr, user)) ||
	    (access == MM_ACCESS_WRITE && !(entry & _PAGE_DIRTY)))
		return false;

	/* from here on, what mmu_access() does for it */
	c->fast_misses++;
	n = from->nr;
	t->levels[n] = (struct mm_walk_level){ PT_PTE, from->pte_table, idx, entry };
	if (from == &up)
		walk_cache_keep(wc, m, root, vaddr, t->levels, n, up.all, up.any);
	n++;
	memset(t, 0, offsetof(struct mm_translation, levels));
	t->nr_levels = n;
	t->walk_refs = (unsigned int)n;
	t->paging = true;
	t->tlb = MM_TLB_MISS;
	st = &c->stats[region];
	st->misses++;
	st->walk_refs += (uint64_t)n;
	f = tlb_fill_of(tag, pte_pfn(entry), tlb_prot(prot, entry), region);
	fill_fast(m, c, &c->tlb[TLB_L1_4K], &f);
	fill_fast(m, c, &c->tlb[TLB_STLB], &f);
	t->page_shift = PAGE_SHIFT;
	t->paddr = PFN_PHYS(pte_pfn(entry)) + (vaddr & (PAGE_SIZE - 1));
	return true;
}

static int switch_for(struct machine *m, int cpu, int pid, struct mm_error *e)
{
	struct cpu_state *c = &m->x86->cpus[cpu];

	if (pid == MM_PID_CURRENT || pid == c->pid)
		return 0;
	if (!(c->cr0 & X86_CR0_PG))
		return 0;
	return mm_load_cr3(m, cpu, pid, e);
}

static int __attribute__((noinline))
translate_full(struct machine *m, int cpu, int pid, uint64_t vaddr, int access, int user,
	       struct mm_translation *t, struct mm_error *e);
static int __attribute__((noinline))
translate_paged(struct machine *m, int cpu, uint64_t vaddr, int access, int user,
		bool hint_absent, struct mm_translation *t, struct mm_error *e);

/* The page is not in the memo's L1 array: miss_fast(), else translate_paged(). */
static int __attribute__((noinline))
translate_miss(struct machine *m, int cpu, uint64_t vaddr, int access, int user,
	       struct mm_translation *t, struct mm_error *e)
{
	if (miss_fast(m, cpu, vaddr, access, user, t))
		return 0;
	return translate_paged(m, cpu, vaddr, access, user, true, t, e);
}

/*
 * The fast path in @array, the L1 array of the CPU's last L1 hit, whose
 * pages are 1 << @shift bytes (constants where it is inlined): 1 when it
 * served the access; 0 when the caller goes on, with *@miss set when the
 * page is not in that array (else the entry cannot serve the access).
 */
static inline __attribute__((always_inline)) int
l1_fast(struct machine *m, int cpu, struct cpu_state *c, unsigned int array, unsigned int shift,
	uint64_t vaddr, int access, int user, struct mm_translation *t, bool *miss)
{
	struct tlb_array *ta = &c->tlb[array];
	uint64_t tag = tlb_tag(vaddr, shift);
	struct tlb_hint *h = tlb_hint_of(&c->memo, tag);
	const struct tlb_entry *te;
	size_t slot;
	int region;

	if (h->tag == tag) {
		slot = h->slot;
	} else {
		long found = tlb_find(ta, tag);

		if (found < 0) {
			*miss = true;
			return 0;
		}
		slot = (size_t)found;
		*h = (struct tlb_hint){ tag, (uint32_t)slot };
	}
	te = &ta->ent[slot];
	region = ta->region[slot];
	if (!tlb_serves(te->prot, access, resolve_user(m, c->pid, vaddr, user)) || region < 0)
		return 0;
	tlb_touch(m, c, ta, slot);
	c->stats[region].l1_hits++;
	memset(t, 0, offsetof(struct mm_translation, levels));
	t->paging = true;
	t->tlb = MM_TLB_L1_HIT;
	t->page_shift = shift;
	t->paddr = PFN_PHYS(te->pfn) + (vaddr & ((1ULL << shift) - 1));
	if (events_on(m))
		translate_event(m, cpu, vaddr, access, t, c->pid);
	return 1;
}

/*
 * The common access comes first: paging on, no CR3 to load, and the page in
 * the L1 array of this CPU's last L1 hit, with the rights the access needs
 * (l1_fast(), one copy for each page size). The same result as the full
 * path, which looks in that array first. A page not in that array goes on
 * to translate_miss(), which does not search it again; an entry that
 * cannot serve the access to translate_paged(); anything else to
 * translate_full().
 */
int mm_translate(struct machine *m, int cpu, int pid, uint64_t vaddr, int access, int user,
		 struct mm_translation *t, struct mm_error *e)
{
	struct cpu_state *c;
	bool miss = false;
	int done;

	if ((unsigned int)cpu >= m->nr_cpus || (unsigned int)access > MM_ACCESS_EXEC)
		return translate_full(m, cpu, pid, vaddr, access, user, t, e);
	c = &m->x86->cpus[cpu];
	/* (A pid that is c->pid exists: mm_exit() moves its CPUs to init_mm.) */
	if (!(c->cr0 & X86_CR0_PG) || (pid != MM_PID_CURRENT && pid != c->pid))
		return translate_full(m, cpu, pid, vaddr, access, user, t, e);
	switch (c->memo.array) {
	case TLB_L1_4K:
		done = l1_fast(m, cpu, c, TLB_L1_4K, PAGE_SHIFT, vaddr, access, user, t, &miss);
		break;
	case TLB_L1_2M:
		done = l1_fast(m, cpu, c, TLB_L1_2M, PMD_SHIFT, vaddr, access, user, t, &miss);
		break;
	default:
		done = l1_fast(m, cpu, c, TLB_L1_1G, PUD_SHIFT, vaddr, access, user, t, &miss);
		break;
	}
	if (done)
		return 0;
	if (miss)
		return translate_miss(m, cpu, vaddr, access, user, t, e);
	return translate_paged(m, cpu, vaddr, access, user, false, t, e);
}

/* Paging on and @vaddr not canonical: #GP, before anything else. */
static int __attribute__((cold, noinline))
translate_gp(struct machine *m, int cpu, uint64_t vaddr, int access, struct mm_translation *t)
{
	t->paging = true;
	t->fault = true;
	t->vector = 13;
	t->outcome = "gp";
	translate_event(m, cpu, vaddr, access, t, m->x86->cpus[cpu].pid);
	return 0;
}

/*
 * Paging on, CR3 in place: the canonical check (#GP), then the TLB and the
 * walk, once more after demand paging has mapped the page. @hint_absent:
 * the L1 array of the memo was just searched in vain (by mm_translate()'s
 * fast path, which comes here straight when that is all it found).
 */
static int translate_paged(struct machine *m, int cpu, uint64_t vaddr, int access, int user,
			   bool hint_absent, struct mm_translation *t, struct mm_error *e)
{
	struct cpu_state *c = &m->x86->cpus[cpu];
	int err = 0, tries;
	bool u;

	/* levels[] is read up to nr_levels only: not worth clearing on every access. */
	memset(t, 0, offsetof(struct mm_translation, levels));
	if (!layout_canonical(vaddr, pt_levels(m)))
		return translate_gp(m, cpu, vaddr, access, t);
	t->paging = true;
	u = resolve_user(m, c->pid, vaddr, user);
	for (tries = 0; tries < 2; tries++) {
		int again = mmu_access(m, cpu, vaddr, access, u, hint_absent && !tries, t, &err);

		if (err)
			return mm_error_set(e, err, "out of memory handling the fault at 0x%"
					    PRIx64, vaddr);
		if (!again)
			break;
		t->demand_paged = true;
		t->fault = false;
		t->outcome = "mapped";
	}
	translate_event(m, cpu, vaddr, access, t, c->pid);
	return 0;
}

/*
 * Everything else: the checks, paging off, #GP (with no CR3 switch for it),
 * a CR3 switch, then translate_paged().
 */
static int translate_full(struct machine *m, int cpu, int pid, uint64_t vaddr, int access,
			  int user, struct mm_translation *t, struct mm_error *e)
{
	struct cpu_state *c;
	int err;

	memset(t, 0, offsetof(struct mm_translation, levels));	/* for the returns before */
	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return mm_error_set(e, -EINVAL, "no CPU %d (the machine has %u)", cpu, m->nr_cpus);
	if (access < MM_ACCESS_READ || access > MM_ACCESS_EXEC)
		return mm_error_set(e, -EINVAL, "access must be read, write or exec");
	if (pid > 0 && !find_mm(m, pid))
		return mm_error_set(e, -ESRCH, "no process with pid %d", pid);
	c = &m->x86->cpus[cpu];
	if (!(c->cr0 & X86_CR0_PG)) {
		t->tlb = MM_TLB_OFF;
		t->paddr = vaddr;
		t->page_shift = PAGE_SHIFT;
		translate_event(m, cpu, vaddr, access, t, c->pid);
		return 0;
	}
	if (!layout_canonical(vaddr, pt_levels(m)))
		return translate_gp(m, cpu, vaddr, access, t);
	err = switch_for(m, cpu, pid, e);
	if (err)
		return err;
	return translate_paged(m, cpu, vaddr, access, user, false, t, e);
}

int mm_access_range(struct machine *m, int cpu, int pid, uint64_t start, uint64_t length,
		    uint64_t stride, int access, bool random, uint64_t count,
		    struct mm_access_summary *s, struct mm_error *e)
{
	uint64_t i, slots, next = 0;	/* next: i % slots, without a division */

	memset(s, 0, sizeof(*s));
	if (!length || !stride)
		return mm_error_set(e, -EINVAL, "length and stride must be > 0");
	slots = (length + stride - 1) / stride;
	for (i = 0; i < count; i++) {
		uint64_t k = random ? x86_prng_next(m) % slots : next;
		struct mm_translation t;
		int err = mm_translate(m, cpu, pid, start + k * stride, access, -1, &t, e);

		if (++next == slots)
			next = 0;

		if (err)
			return err;
		if (t.fault && oom_current(m, cpu) && oom_current(m, cpu)->oom_victim)
			return mm_error_set(e, -ESRCH, "pid %d was killed by the OOM killer (SIGKILL) "
					    "during the access", oom_current(m, cpu)->pid);
		s->accesses++;
		s->walk_refs += t.walk_refs;
		if (t.fault)
			s->faults++;
		else if (t.tlb == MM_TLB_L1_HIT)
			s->l1_hits++;
		else if (t.tlb == MM_TLB_STLB_HIT)
			s->stlb_hits++;
		else if (t.tlb == MM_TLB_MISS)
			s->misses++;
	}
	return 0;
}

/*** Views ***/

int mm_tlb_info(const struct machine *m, int cpu, struct mm_tlb_info *ti)
{
	static const char *const policies[] = { "lru", "fifo", "random" };
	const struct cpu_state *c;
	unsigned int a, i;
	int r;

	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return -EINVAL;
	c = &m->x86->cpus[cpu];
	memset(ti, 0, sizeof(*ti));
	ti->policy = policies[m->cfg.tlb.policy];
	for (a = 0; a < NR_TLB_ARRAYS; a++) {
		ti->arrays[a].name = tlb_array_names[a];
		ti->arrays[a].entries = c->tlb[a].entries;
		ti->arrays[a].ways = c->tlb[a].ways;
		ti->arrays[a].sets = c->tlb[a].sets;
		for (i = 0; i < c->tlb[a].entries; i++)
			ti->arrays[a].valid += c->tlb[a].tag[i] != 0;
	}
	for (r = 0; r < NR_MM_REGIONS; r++) {
		const struct tlb_stats *st = &c->stats[r];

		ti->regions[r] = (struct mm_tlb_region_info){ mm_region_name(r),
			st->l1_hits + st->stlb_hits + st->misses, st->l1_hits, st->stlb_hits,
			st->misses, st->walk_refs, st->faults };
	}
	return 0;
}

int mm_tlb_entries(const struct machine *m, int cpu, mm_tlb_entry_fn fn, void *ctx)
{
	const struct cpu_state *c;
	unsigned int a, i;

	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return -EINVAL;
	c = &m->x86->cpus[cpu];
	for (a = 0; a < NR_TLB_ARRAYS; a++)
		for (i = 0; i < c->tlb[a].entries; i++) {
			const struct tlb_array *t = &c->tlb[a];
			const struct tlb_entry *te = &t->ent[i];

			if (t->tag[i])
				fn(ctx, (int)a, tlb_tag_vaddr(t->tag[i]), PFN_PHYS(te->pfn),
				   tlb_tag_shift(t->tag[i]), te->prot);
		}
	return 0;
}

/*** Looking without touching: the walk page-table view draws ***/

/*
 * What mm_translate() would meet for @vaddr on @cpu, with nothing changed:
 * the three L1 arrays (probed at once in hardware), then the STLB with the
 * tag of each size it holds. Entries that are not global do not count when
 * @pid is not the address space in @cpu's CR3: the CR3 write before the
 * access would drop them (switch_for(), tlb_flush_cpu()). An entry that
 * cannot serve @access (tlb_serves(): a write to a clean page, or rights it
 * lacks) is found but refused: mmu_access() drops it and walks.
 */
int mm_tlb_probe(const struct machine *m, int cpu, int pid, uint64_t vaddr, int access,
		 struct mm_tlb_probe *p)
{
	bool user = resolve_user(m, pid, vaddr, -1), refused = false;
	const struct cpu_state *c;
	unsigned int i;

	if (cpu < 0 || (unsigned int)cpu >= m->nr_cpus)
		return -EINVAL;
	c = &m->x86->cpus[cpu];
	memset(p, 0, sizeof(*p));
	p->result = MM_TLB_MISS;
	if (!(c->cr0 & X86_CR0_PG)) {
		p->result = MM_TLB_OFF;
		return 0;
	}
	p->same_mm = pid == c->pid;
	for (i = 0; i < 5; i++) {
		unsigned int array = i < 3 ? i : TLB_STLB, shift = l1_shifts[i < 3 ? i : i - 3];
		const struct tlb_array *t = &c->tlb[array];
		uint64_t tag = tlb_tag(vaddr, shift);
		long slot = t->entries ? tlb_find(t, tag) : -1;
		bool found = slot >= 0 && (p->same_mm || (t->ent[slot].prot & _PAGE_GLOBAL));
		bool hit = found && tlb_serves(t->ent[slot].prot, access, user);

		if (i == 3 && (p->result != MM_TLB_MISS || refused))
			break;		/* what L1 found ends the lookup */
		p->probe[p->nr++] = (struct mm_tlb_probe_step){ tlb_array_names[array], shift,
			t->sets ? (unsigned int)(tlb_set_base(t, tag) / t->ways) : 0, hit,
			found && !hit };
		refused |= found && !hit;	/* found, refused: a walk */
		if (hit)
			p->result = i < 3 ? MM_TLB_L1_HIT : MM_TLB_STLB_HIT;
		if (found && i >= 3)
			break;
	}
	return 0;
}

/*
 * The walk of mm_pagetable_walk() as an access of @access would end: #GP for
 * a non-canonical address, #PF with the error code the CPU pushes
 * (pf_error_code(), as arch/x86/mm/fault.c reads it in do_user_addr_fault())
 * at a level whose entry is not present or at a leaf whose rights refuse
 * the access. User mode for a process's user addresses (resolve_user()).
 */
int mm_pagetable_walk_access(const struct machine *m, int pid, uint64_t vaddr, int access,
			     struct mm_translation *t, struct mm_error *e)
{
	bool user = resolve_user(m, pid, vaddr, -1);
	struct pt_walk w;
	int err;

	if (access < MM_ACCESS_READ || access > MM_ACCESS_EXEC)
		return mm_error_set(e, -EINVAL, "access must be read, write or exec");
	if (!layout_canonical(vaddr, pt_levels(m))) {
		memset(t, 0, sizeof(*t));
		t->paging = t->fault = true;
		t->vector = 13;
		t->outcome = "gp";
		return 0;
	}
	err = mm_pagetable_walk(m, pid, vaddr, t, e);
	if (err)
		return err;
	if (!t->fault) {
		uint64_t root = t->levels[0].table_pfn;

		pt_walk(m, root, vaddr, &w);
		if (rights_ok(w.prot, access, user))
			return 0;
		t->fault = true;
		t->outcome = "protection";
	}
	t->vector = 14;
	t->error_code = pf_error_code(!strcmp(t->outcome, "protection"), access, user);
	return 0;
}

/*** Self-check (C1..C5) ***/

static unsigned long check_cpu_tlb(const struct machine *m, int cpu, mm_violation_fn fn,
				   void *ctx)
{
	const struct cpu_state *c = &m->x86->cpus[cpu];
	unsigned long n = 0;
	unsigned int a, i;

	for (a = 0; a < NR_TLB_ARRAYS; a++) {
		const struct tlb_array *t = &c->tlb[a];

		unsigned int counted[3] = { 0, 0, 0 };
		uint8_t regions[3] = { 0, 0, 0 };

		for (i = 0; i < t->entries; i++) {
			unsigned int shift = tlb_tag_shift(t->tag[i]);

			if (t->tag[i] && (shift == PAGE_SHIFT || shift == PMD_SHIFT ||
					  shift == PUD_SHIFT)) {
				counted[tlb_size_index(shift)]++;
				regions[tlb_size_index(shift)] |=
					t->region[i] >= 0 ? 1u << t->region[i] : 0xffu;
			}
		}
		if (memcmp(counted, t->nr_size, sizeof(counted)))
			n += mm_report(fn, ctx, "C3: cpu %d %s counts %u/%u/%u entries of 4K/2M/1G "
				       "and holds %u/%u/%u", cpu, tlb_array_names[a], t->nr_size[0],
				       t->nr_size[1], t->nr_size[2], counted[0], counted[1], counted[2]);
		for (i = 0; i < 3; i++)
			if ((regions[i] & t->regions[i]) != regions[i] ||
			    (!counted[i] && t->regions[i]))
				n += mm_report(fn, ctx, "C3: cpu %d %s keeps regions %#x for its %s "
					       "entries, which are in %#x", cpu, tlb_array_names[a],
					       t->regions[i], i == 0 ? "4K" : i == 1 ? "2M" : "1G",
					       regions[i]);
		if (t->sets * t->ways != t->entries)
			n += mm_report(fn, ctx, "C3: cpu %d %s has %u sets of %u ways for %u entries",
				       cpu, tlb_array_names[a], t->sets, t->ways, t->entries);
		for (i = 0; i < t->entries; i++) {
			const struct tlb_entry *te = &t->ent[i];
			uint64_t va = tlb_tag_vaddr(t->tag[i]);
			unsigned int shift = tlb_tag_shift(t->tag[i]);
			struct pt_walk w;

			if (!t->tag[i] != !t->stamp[i] || t->stamp[i] > c->tlb_clock)
				n += mm_report(fn, ctx, "C3: cpu %d %s slot %u has a tag without a stamp, "
					       "a stamp without a tag, or one past the clock", cpu,
					       tlb_array_names[a], i);
			if (!t->tag[i])
				continue;
			if ((shift == PAGE_SHIFT || shift == PMD_SHIFT || shift == PUD_SHIFT) &&
			    t->region[i] != page_region(m, va, shift, (int)mm_region_of(m, va)))
				n += mm_report(fn, ctx, "C3: cpu %d %s entry %016" PRIx64 " has region %d, "
					       "not %d", cpu, tlb_array_names[a], va, t->region[i],
					       page_region(m, va, shift, (int)mm_region_of(m, va)));
			if (!(c->cr0 & X86_CR0_PG)) {
				n += mm_report(fn, ctx, "C2: cpu %d has paging off and a TLB entry", cpu);
				return n;
			}
			/* vfree() is lazy: no flush until the purge (C1's exception). */
			if (shift == PAGE_SHIFT && pt_walk(m, PHYS_PFN(c->cr3), va, &w) &&
			    vmalloc_lazy_contains(m, va))
				continue;
			if ((shift != PAGE_SHIFT && shift != PMD_SHIFT && shift != PUD_SHIFT) ||
			    pt_walk(m, PHYS_PFN(c->cr3), va, &w) || w.page_shift != shift ||
			    (w.pfn & ~((1ULL << (shift - PAGE_SHIFT)) - 1)) != te->pfn ||
			    ((te->prot & _PAGE_RW) && !(w.prot & _PAGE_RW)) ||
			    ((te->prot & _PAGE_USER) && !(w.prot & _PAGE_USER)))
				n += mm_report(fn, ctx, "C1: cpu %d %s entry %016" PRIx64
					       " -> pfn 0x%" PRIx64 " disagrees with the page tables",
					       cpu, tlb_array_names[a], va, te->pfn);
		}
	}
	return n;
}

static unsigned long check_cpu_memo(const struct cpu_state *c, int cpu, mm_violation_fn fn,
				    void *ctx)
{
	const struct tlb_memo *mo = &c->memo;
	unsigned long n = 0;
	unsigned int i;

	if (mo->array > TLB_L1_1G)
		return mm_report(fn, ctx, "C4: cpu %d memo names array %u", cpu, mo->array);
	for (i = 0; i < TLB_HINTS; i++) {
		const struct tlb_hint *h = &mo->hint[i];
		unsigned int shift = tlb_tag_shift(h->tag);
		const struct tlb_array *t;

		if (!h->tag)
			continue;
		t = &c->tlb[tlb_size_index(shift)];
		if ((shift != PAGE_SHIFT && shift != PMD_SHIFT && shift != PUD_SHIFT) ||
		    tlb_hint_of((struct tlb_memo *)mo, h->tag) != h || h->slot >= t->entries ||
		    t->tag[h->slot] != h->tag)
			n += mm_report(fn, ctx, "C4: cpu %d hint %u (%016" PRIx64 ") is not the L1 "
				       "slot %u it names", cpu, i, h->tag, h->slot);
	}
	return n;
}

static unsigned long check_walk_cache(const struct machine *m, const struct cpu_state *c,
				      int cpu, mm_violation_fn fn, void *ctx)
{
	const struct walk_cache *wc = &c->walk_cache;
	uint64_t all = ~0ULL, any = 0;
	struct pt_walk w;
	int i;

	if (!wc->nr || wc->gen != m->x86->pt.gen)
		return 0;
	pt_walk(m, wc->root, wc->region << PMD_SHIFT, &w);
	for (i = 0; i < wc->nr && i < w.nr; i++) {
		all &= wc->lv[i].entry;
		any |= wc->lv[i].entry;
		if (w.step[i].level != wc->lv[i].level || w.step[i].table != wc->lv[i].table_pfn ||
		    w.step[i].index != wc->lv[i].index || w.step[i].entry != wc->lv[i].entry)
			break;
	}
	if (wc->nr != (int)pt_levels(m) - 1 || i != wc->nr || w.nr <= wc->nr ||
	    w.step[wc->nr].table != wc->pte_table || !(all & _PAGE_ACCESSED) ||
	    all != wc->all || any != wc->any)
		return mm_report(fn, ctx, "C5: cpu %d walk cache for 0x%" PRIx64 " is not what the "
				 "tables hold", cpu, wc->region << PMD_SHIFT);
	return 0;
}

unsigned long mmu_check(const struct machine *m, mm_violation_fn fn, void *ctx)
{
	unsigned long n = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < m->nr_cpus; cpu++) {
		const struct cpu_state *c = &m->x86->cpus[cpu];
		bool pg = c->cr0 & X86_CR0_PG;
		bool lm = pg && (c->efer & EFER_LME) && (c->cr4 & X86_CR4_PAE);

		if (pg && !(c->cr0 & X86_CR0_PE))
			n += mm_report(fn, ctx, "C2: cpu %u has CR0.PG without CR0.PE", cpu);
		if (lm != (c->mode == CPU_MODE_LONG))
			n += mm_report(fn, ctx, "C2: cpu %u mode disagrees with CR0/CR4/EFER", cpu);
		if (pg && !pt_is_table(m, PHYS_PFN(c->cr3)))
			n += mm_report(fn, ctx, "C2: cpu %u CR3 0x%" PRIx64 " is not a table", cpu,
				       c->cr3);
		n += check_cpu_tlb(m, (int)cpu, fn, ctx);
		n += check_cpu_memo(c, (int)cpu, fn, ctx);
		n += check_walk_cache(m, c, (int)cpu, fn, ctx);
	}
	return n;
}
