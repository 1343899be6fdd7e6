/*
 * slowpath.c - what a failed page allocation means: the steps the kernel's
 * slow path would take next, and whether it would ever give up.
 *
 * Mirrors mm/page_alloc.c of Linux 6.18: __alloc_pages_slowpath(),
 * __alloc_pages_may_oom(), should_reclaim_retry(), should_compact_retry()
 * and gfp_compaction_allowed() (include/linux/gfp.h). The engine walks the
 * same path: it wakes kswapd, compacts (compaction.c, at COMPACT_PRIO_ASYNC
 * first), runs direct reclaim, compacts again at the slow path's priority,
 * retries as should_reclaim_retry() and should_compact_retry() say
 * (page_alloc.c, vmscan.c) and runs the OOM killer where
 * mm_slowpath_may_oom() lets it (oom_kill.c). When all of that finds
 * nothing the request is refused here with the path it walked: which of
 * kswapd, direct compaction, direct reclaim, the retry loop and the OOM
 * killer it reached, in order, and whether the kernel could return NULL at
 * the end of it. mm_slowpath_reclaimed() puts what the engine's reclaim and
 * compaction did in front; what its OOM killer did follows the plan.
 *
 * The plan is a function of the request alone (gfp and order); the state
 * consulted on the way (what compaction said, whether the OOM killer found
 * a victim) is in the counts put in front of it and in the events.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const step_names[NR_SLOWPATH_STEPS] = {
	[SLOWPATH_WAKE_KSWAPD]		= "wake_all_kswapds",
	[SLOWPATH_DIRECT_COMPACT]	= "direct_compact",
	[SLOWPATH_DIRECT_RECLAIM]	= "direct_reclaim",
	[SLOWPATH_RECLAIM_RETRY]	= "should_reclaim_retry",
	[SLOWPATH_OOM]			= "oom",
	[SLOWPATH_NOFAIL_RETRY]		= "nofail_retry",
};

static const char *const step_texts[NR_SLOWPATH_STEPS] = {
	[SLOWPATH_WAKE_KSWAPD]		= "wake kswapd",
	[SLOWPATH_DIRECT_COMPACT]	= "try direct compaction",
	[SLOWPATH_DIRECT_RECLAIM]	= "enter direct reclaim (draining the per-CPU lists "
					  "and unreserving highatomic pageblocks on the way)",
	[SLOWPATH_RECLAIM_RETRY]	= "retry reclaim and compaction while "
					  "should_reclaim_retry() sees progress",
	[SLOWPATH_OOM]			= "invoke the OOM killer and retry as long as it "
					  "kills something",
	[SLOWPATH_NOFAIL_RETRY]		= "loop forever (__GFP_NOFAIL never returns NULL)",
};

const char *mm_slowpath_step_name(int step)
{
	if (step < 0 || step >= NR_SLOWPATH_STEPS)
		return "?";
	return step_names[step];
}

static void add_step(struct mm_slowpath *sp, int step)
{
	if (sp->nr_steps < MM_SLOWPATH_MAX_STEPS)
		sp->steps[sp->nr_steps++] = step;
}

/*
 * may_invoke_oom() - the checks __alloc_pages_may_oom() makes before it calls
 * out_of_memory(): not for costly orders, not for __GFP_RETRY_MAYFAIL or
 * __GFP_THISNODE, not for requests limited to the low zones.
 */
bool mm_slowpath_may_oom(gfp_t gfp, unsigned int order)
{
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		return false;
	if (gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE))
		return false;
	return gfp_zone(gfp) >= ZONE_NORMAL;
}

/* Why the walk ends in NULL, or NULL when it does not end. */
static const char *plan_steps(gfp_t gfp, unsigned int order, struct mm_slowpath *sp)
{
	bool can_direct_reclaim = gfp & __GFP_DIRECT_RECLAIM;
	bool can_compact = gfp & __GFP_IO;		/* gfp_compaction_allowed() */
	bool nofail = gfp & __GFP_NOFAIL;
	bool costly = order > PAGE_ALLOC_COSTLY_ORDER;
	bool pfmemalloc = (gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC);
	int mt = gfp_migratetype(gfp);

	if (gfp & __GFP_KSWAPD_RECLAIM)
		add_step(sp, SLOWPATH_WAKE_KSWAPD);
	if (can_direct_reclaim && can_compact && !pfmemalloc &&
	    (costly || (order > 0 && mt != MIGRATE_MOVABLE)))
		add_step(sp, SLOWPATH_DIRECT_COMPACT);
	if (!can_direct_reclaim)
		return nofail ? "__GFP_NOFAIL without __GFP_DIRECT_RECLAIM cannot be honoured: "
				"the kernel warns and returns NULL" :
				"the request may not sleep (no __GFP_DIRECT_RECLAIM): the kernel "
				"returns NULL too";
	add_step(sp, SLOWPATH_DIRECT_RECLAIM);
	add_step(sp, SLOWPATH_DIRECT_COMPACT);
	if (gfp & __GFP_NORETRY) {
		if (nofail)
			goto nofail;
		return "__GFP_NORETRY: no retry after one round of reclaim and compaction, "
		       "the kernel returns NULL";
	}
	if (costly && (!can_compact || !(gfp & __GFP_RETRY_MAYFAIL))) {
		if (nofail)
			goto nofail;
		return "a costly order (above PAGE_ALLOC_COSTLY_ORDER) is not retried without "
		       "__GFP_RETRY_MAYFAIL: the kernel returns NULL";
	}
	add_step(sp, SLOWPATH_RECLAIM_RETRY);
	if (mm_slowpath_may_oom(gfp, order)) {
		add_step(sp, SLOWPATH_OOM);
		return NULL;
	}
	if (nofail)
		goto nofail;
	return gfp & __GFP_RETRY_MAYFAIL ?
	       "__GFP_RETRY_MAYFAIL: when the retries stop helping the kernel returns NULL "
	       "rather than invoke the OOM killer" :
	       costly ? "the OOM killer does not help a costly order: the kernel returns NULL" :
	       gfp & __GFP_THISNODE ? "__GFP_THISNODE: the OOM killer may not free memory on "
				     "this node, the kernel returns NULL" :
	       "the request is limited to the low zones, where the OOM killer does not "
	       "kill for: the kernel returns NULL";
nofail:
	add_step(sp, SLOWPATH_NOFAIL_RETRY);
	return NULL;
}

/* No allowed zone: the slow path jumps to its end, where only __GFP_NOFAIL loops. */
static const char *no_zone(gfp_t gfp, struct mm_slowpath *sp)
{
	if ((gfp & __GFP_NOFAIL) && (gfp & __GFP_DIRECT_RECLAIM)) {
		add_step(sp, SLOWPATH_NOFAIL_RETRY);
		return NULL;
	}
	return "no zone these flags allow: the kernel returns NULL";
}

/*
 * mm_alloc_slowpath() - the plan for a request the engine refused. A request
 * no zone may serve goes straight to the end of the slow path (its "nopage"
 * label), an injected failure never reaches it (should_fail_alloc_page()
 * exempts only __GFP_NOFAIL).
 */
void mm_alloc_slowpath(gfp_t gfp, unsigned int order, int why, struct mm_slowpath *sp)
{
	const char *end;
	size_t pos;

	memset(sp, 0, sizeof(*sp));
	sp->kernel_fails = true;
	if (why == SLOWPATH_WHY_INJECTED)
		end = "failure injection (should_fail_alloc_page()) fails it before the slow path";
	else if (why == SLOWPATH_WHY_NO_ZONE)
		end = no_zone(gfp, sp);
	else
		end = plan_steps(gfp, order, sp);
	if (!end)
		sp->kernel_fails = false;
	pos = (size_t)snprintf(sp->message, sizeof(sp->message), "the kernel would ");
	for (unsigned int i = 0; i < sp->nr_steps && pos < sizeof(sp->message); i++)
		pos += (size_t)snprintf(sp->message + pos, sizeof(sp->message) - pos, "%s%s",
					i == 0 ? "" : i + 1 == sp->nr_steps && !end ? ", then " :
					", ", step_texts[sp->steps[i]]);
	if (!sp->nr_steps && pos < sizeof(sp->message))
		pos += (size_t)snprintf(sp->message + pos, sizeof(sp->message) - pos,
					"try nothing more");
	if (pos < sizeof(sp->message))
		snprintf(sp->message + pos, sizeof(sp->message) - pos, "%s%s",
			 end ? "; " : ": it does not fail this request",
			 end ? end : "");
}

/*
 * mm_slowpath_reclaimed() - the engine runs kswapd, direct compaction,
 * direct reclaim and the retry rules itself: a refusal that came after them
 * says so first, and the plan that follows names every step of the walk.
 */
void mm_slowpath_reclaimed(struct mm_slowpath *sp, unsigned int rounds, uint64_t reclaimed,
			   unsigned int compacted)
{
	char rest[sizeof(sp->message)];
	int n;

	sp->reclaim_rounds = rounds;
	sp->reclaimed = reclaimed;
	sp->compact_rounds = compacted;
	if (!rounds && !compacted)
		return;
	memcpy(rest, sp->message, sizeof(rest));
	if (!rounds)
		n = snprintf(sp->message, sizeof(sp->message),
			     "direct compaction ran %u time%s, in vain; on that path ", compacted,
			     compacted == 1 ? "" : "s");
	else if (!compacted)
		n = snprintf(sp->message, sizeof(sp->message),
			     "direct reclaim ran %u round%s and freed %llu page%s, in vain; on that "
			     "path ", rounds, rounds == 1 ? "" : "s", (unsigned long long)reclaimed,
			     reclaimed == 1 ? "" : "s");
	else
		n = snprintf(sp->message, sizeof(sp->message),
			     "direct compaction ran %u time%s and direct reclaim %u round%s freeing "
			     "%llu page%s, in vain; on that path ", compacted,
			     compacted == 1 ? "" : "s", rounds, rounds == 1 ? "" : "s",
			     (unsigned long long)reclaimed, reclaimed == 1 ? "" : "s");
	if (n > 0 && (size_t)n < sizeof(sp->message))
		memcpy(sp->message + n, rest, strnlen(rest, sizeof(sp->message) - (size_t)n - 1) + 1);
	sp->message[sizeof(sp->message) - 1] = 0;
}
