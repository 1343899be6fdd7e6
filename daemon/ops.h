/*
 * ops.h - operations on a machine, from their JSON form (api.md "Operations").
 * Shared by the live API and by replay, so a stored op log re-executes exactly.
 */
#ifndef MMLAB_OPS_H
#define MMLAB_OPS_H

#include <jansson.h>

#include "mmlab.h"

#define OPS_MAX_PER_REQUEST	10000

/*
 * Apply one op object to @m and return its result: {"ok":true,...} or
 * {"ok":false,"errno":"EINVAL","message":...}. Bad fields are an EINVAL
 * result, never a change to the machine.
 */
json_t *op_apply(struct machine *m, json_t *op);

/* "is this an op object at all": an object with a string "op". */
int op_validate_shape(json_t *op, char *err, size_t errlen);

#endif
