/*
 * jobs.c - a fixed pool of threads running queued jobs in order (jobs.h).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/jobs.h"

#define JOBS_MAX_THREADS	64

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct job *head, *tail;
	pthread_t threads[JOBS_MAX_THREADS];
	unsigned int nr_threads;
	bool stopping;
} jobs = { .lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER };

static void *job_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&jobs.lock);
	for (;;) {
		struct job *job = jobs.head;

		if (!job) {
			if (jobs.stopping)
				break;
			pthread_cond_wait(&jobs.more, &jobs.lock);
			continue;
		}
		jobs.head = job->next;
		if (!jobs.head)
			jobs.tail = NULL;
		pthread_mutex_unlock(&jobs.lock);
		job->run(job);
		pthread_mutex_lock(&jobs.lock);
	}
	pthread_mutex_unlock(&jobs.lock);
	return NULL;
}

int jobs_start(unsigned int nr_threads, char *err, size_t errlen)
{
	pthread_attr_t attr;

	if (nr_threads > JOBS_MAX_THREADS)
		nr_threads = JOBS_MAX_THREADS;
	jobs.stopping = false;
	pthread_attr_init(&attr);
	/* Handlers build JSON and replay machines: more stack than a poller. */
	pthread_attr_setstacksize(&attr, (size_t)2 << 20);
	for (jobs.nr_threads = 0; jobs.nr_threads < nr_threads; jobs.nr_threads++) {
		int rc = pthread_create(&jobs.threads[jobs.nr_threads], &attr, job_thread, NULL);

		if (rc) {
			snprintf(err, errlen, "cannot start a handler thread: %s", strerror(rc));
			pthread_attr_destroy(&attr);
			jobs_stop();
			return -1;
		}
	}
	pthread_attr_destroy(&attr);
	return 0;
}

void jobs_submit(struct job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&jobs.lock);
	if (jobs.tail)
		jobs.tail->next = job;
	else
		jobs.head = job;
	jobs.tail = job;
	pthread_cond_signal(&jobs.more);
	pthread_mutex_unlock(&jobs.lock);
}

void jobs_stop(void)
{
	pthread_mutex_lock(&jobs.lock);
	jobs.stopping = true;
	pthread_cond_broadcast(&jobs.more);
	pthread_mutex_unlock(&jobs.lock);
	for (unsigned int i = 0; i < jobs.nr_threads; i++)
		pthread_join(jobs.threads[i], NULL);
	jobs.nr_threads = 0;
}
