/*
 * populate.h - a big struct page array faulted in by several threads at once
 * (the engine's mem_map_set_populate() hook).
 */
#ifndef MMLAB_POPULATE_H
#define MMLAB_POPULATE_H

#include <stddef.h>

/*
 * Fault in @len bytes at @addr (fresh anonymous memory, zero) in up to
 * @max_threads threads, one 2 MiB-aligned part each. The memory stays zero.
 */
void populate_parallel(void *addr, size_t len, unsigned int max_threads);
/* The engine's hook: populate_parallel() over the online CPUs (with one, nothing). */
void populate_hook(void *addr, size_t len);

#endif
