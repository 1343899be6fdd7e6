/*
 * scenarios_compaction.h - the figures of the compaction scenarios
 * (scenarios_compaction.c), as scenario_measures[] names them.
 */
#ifndef MMLAB_SCENARIOS_COMPACTION_H
#define MMLAB_SCENARIOS_COMPACTION_H

#include <stdint.h>

#include <jansson.h>

struct server;
struct session;

json_t *measure_compaction(struct server *srv, struct session *s, uint64_t first, uint64_t last);

#endif
