/*
 * timer.c - the machine's clock and the kernel's timed work.
 *
 * The clock is jiffies (include/linux/jiffies.h) at HZ 250, starting at
 * INITIAL_JIFFIES. An op takes no time: the engine is driven op by op, and
 * what the kernel does at once (a fault, a wakeup, kswapd and kcompactd
 * woken by an allocation) runs within the op or at its end. Time passes
 * only in the idle op (mm_idle()), and the work the kernel does on a timer
 * runs then, at the jiffies it is due, in order:
 *  - kcompactd's wait times out every HPAGE_FRAG_CHECK_INTERVAL_MSEC (500
 *    ms) while vm.compaction_proactiveness is above 0, and it makes its
 *    proactive check (compaction.c: kcompactd_timer()).
 */
#include <errno.h>

#include "internal.h"
#include "compaction.h"

/* An hour at most in one op: 7,200 proactive checks per node. */
#define IDLE_MAX_MS	(3600u * 1000u)

uint64_t machine_jiffies(const struct machine *m)
{
	return m->jiffies;
}

int mm_idle(struct machine *m, uint64_t ms, struct mm_error *e)
{
	uint64_t end;

	if (ms > IDLE_MAX_MS)
		return mm_error_set(e, -EINVAL, "ms must be at most %u (an hour)", IDLE_MAX_MS);
	if (!m->booted)
		return mm_error_set(e, -EINVAL, "the machine has not booted: no timer runs yet");
	end = m->jiffies + msecs_to_jiffies(ms);
	for (;;) {
		uint64_t next = end;

		kcompactd_next_timeout(m, &next);
		if (next > m->jiffies)
			m->jiffies = next;
		kcompactd_timer(m);
		if (next >= end)
			break;
	}
	return 0;
}
