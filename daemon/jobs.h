/*
 * jobs.h - the threads that run API handlers, apart from the threads that
 * talk HTTP.
 *
 * A handler may hold a session's lock for a long batch of ops, a replay or
 * an export. Run on one of libmicrohttpd's few threads, it would stall every
 * connection of that thread (health checks too); here the connection is
 * suspended while a job thread runs the handler, then resumed to send the
 * reply. Jobs wait in a FIFO: there are never more than there are
 * connections.
 */
#ifndef MMLAB_JOBS_H
#define MMLAB_JOBS_H

#include <stddef.h>

struct job {
	struct job *next;
	void (*run)(struct job *job);
};

/* Start @nr_threads job threads. */
int jobs_start(unsigned int nr_threads, char *err, size_t errlen);
/* Queue @job: one of the threads calls job->run(job) soon. */
void jobs_submit(struct job *job);
/* Run what is queued, then stop and join the threads. */
void jobs_stop(void);

#endif
