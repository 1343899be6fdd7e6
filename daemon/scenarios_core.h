/*
 * scenarios_core.h - the figures of the page-cache and fork scenarios
 * (scenarios_core.c), as scenario_measures[] names them.
 */
#ifndef MMLAB_SCENARIOS_CORE_H
#define MMLAB_SCENARIOS_CORE_H

#include <stdint.h>

#include <jansson.h>

struct server;
struct session;

json_t *measure_page_cache(struct server *srv, struct session *s, uint64_t first, uint64_t last);
json_t *measure_fork_cow(struct server *srv, struct session *s, uint64_t first, uint64_t last);

#endif
