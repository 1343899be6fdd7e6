/*
 * clock.h - seconds on the monotonic clock, for the daemon's own timings
 * (what an op or a replay took); never for anything recorded.
 */
#ifndef MMLAB_CLOCK_H
#define MMLAB_CLOCK_H

#include <time.h>

static inline double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
