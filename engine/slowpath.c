/*
 * slowpath.c - what a failed page allocation means: the steps the kernel's
 * slow path would take next, and whether it would ever give up.
 *
 * Mirrors mm/page_alloc.c of Linux 6.18: __alloc_pages_slowpath(),
 * __alloc_pages_may_oom(), should_reclaim_retry(), should_compact_retry()
 * and gfp_compaction_allowed() (include/linux/gfp.h). The engine wakes
 * kswapd, runs direct reclaim with its retries (page_alloc.c, vmscan.c) and
 * the OOM killer where mm_slowpath_may_oom() lets it (oom_kill.c), but has
 * no compaction, so when all of that finds nothing the request is refused
 * here with the path the kernel walks: which of kswapd, direct compaction,
 * direct reclaim, the reclaim retry loop and the OOM killer it reaches, in
 * order, and whether the kernel could return NULL at the end of it.
 * mm_slowpath_reclaimed() puts what the engine's own reclaim did in front;
 * what its OOM killer did follows the plan.
 *
 * The plan is a function of the request alone (gfp and order): the state
 * the kernel consults on the way (what compaction said, whether the OOM
 * killer found a victim) is what the engine lacks, so the text names the
 * points where that state decides.
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
 * mm_slowpath_reclaimed() - the engine now runs kswapd, direct reclaim and
 * should_reclaim_retry() itself: a refusal that came after them says so
 * first, and the plan that follows still names every step of the kernel's
 * walk, those the engine does not model (compaction, the OOM killer) among
 * them.
 */
void mm_slowpath_reclaimed(struct mm_slowpath *sp, unsigned int rounds, uint64_t reclaimed)
{
	char rest[sizeof(sp->message)];
	int n;

	sp->reclaim_rounds = rounds;
	sp->reclaimed = reclaimed;
	if (!rounds)
		return;
	memcpy(rest, sp->message, sizeof(rest));
	n = snprintf(sp->message, sizeof(sp->message),
		     "direct reclaim ran %u round%s and freed %llu page%s, in vain; on that path ",
		     rounds, rounds == 1 ? "" : "s", (unsigned long long)reclaimed,
		     reclaimed == 1 ? "" : "s");
	if (n > 0 && (size_t)n < sizeof(sp->message))
		memcpy(sp->message + n, rest, strnlen(rest, sizeof(sp->message) - (size_t)n - 1) + 1);
	sp->message[sizeof(sp->message) - 1] = 0;
}
