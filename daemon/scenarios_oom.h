/*
 * scenarios_oom.h - the figures of the OOM killer and memory cgroup
 * scenarios (scenarios_oom.c), as scenario_measures[] names them.
 */
#ifndef MMLAB_SCENARIOS_OOM_H
#define MMLAB_SCENARIOS_OOM_H

#include <stdint.h>

#include <jansson.h>

struct server;
struct session;

json_t *measure_oom_victims(struct server *srv, struct session *s, uint64_t first, uint64_t last);
json_t *measure_memcg_limit(struct server *srv, struct session *s, uint64_t first, uint64_t last);

#endif
