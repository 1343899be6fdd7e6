/*
 * populate.c - a big struct page array faulted in by several threads at once.
 *
 * A 256 GiB machine's struct page array is 4 GiB of fresh memory. The host
 * hands it out a fault at a time (a 2 MiB fault with transparent huge pages),
 * and on a virtual machine whose free memory went back to its hypervisor
 * each of those faults waits for the hypervisor too: the faults, not the
 * engine's writes, were most of the creation. Faults of different threads
 * run in parallel, so the array is cut into one part per CPU and each part
 * faulted in by a thread of its own (MADV_POPULATE_WRITE, Linux 5.14, or a
 * write of a zero byte a page where it is missing), before the engine
 * initialises it. The kernel does the same for its own struct pages:
 * deferred_init_memmap() hands them to padata_do_multithreaded().
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/populate.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define POPULATE_MAX_THREADS	16
#define POPULATE_ALIGN		((size_t)2 << 20)	/* a huge page: never split between parts */

struct part {
	char *addr;
	size_t len;
};

static void *populate_part(void *arg)
{
	struct part *p = arg;
	long page = sysconf(_SC_PAGESIZE);

	if (madvise(p->addr, p->len, MADV_POPULATE_WRITE) == 0)
		return NULL;
	if (page <= 0)
		page = 4096;
	for (size_t off = 0; off < p->len; off += (size_t)page)
		((volatile char *)p->addr)[off] = 0;	/* the memory is zero: the write keeps it so */
	return NULL;
}

void populate_parallel(void *addr, size_t len, unsigned int max_threads)
{
	struct part parts[POPULATE_MAX_THREADS];
	pthread_t threads[POPULATE_MAX_THREADS];
	bool started[POPULATE_MAX_THREADS] = { false };
	unsigned int n = max_threads < 1 ? 1 : max_threads > POPULATE_MAX_THREADS ?
		POPULATE_MAX_THREADS : max_threads;
	size_t per = (len / n + POPULATE_ALIGN - 1) & ~(POPULATE_ALIGN - 1), off = 0;
	unsigned int i;

	for (i = 0; i < n && off < len; i++) {
		parts[i] = (struct part){ (char *)addr + off, len - off < per ? len - off : per };
		off += parts[i].len;
	}
	n = i;
	/* parts 1..n-1 on threads of their own, part 0 here; a thread that cannot start, here too */
	for (i = 1; i < n; i++)
		started[i] = pthread_create(&threads[i], NULL, populate_part, &parts[i]) == 0;
	populate_part(&parts[0]);
	for (i = 1; i < n; i++) {
		if (started[i])
			pthread_join(threads[i], NULL);
		else
			populate_part(&parts[i]);
	}
}

void populate_hook(void *addr, size_t len)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus > 1)
		populate_parallel(addr, len, (unsigned int)cpus);
}
