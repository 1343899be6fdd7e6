/*
 * fuzz_ops.c - libFuzzer target for the operations of POST .../ops: the input
 * is parsed as JSON the way the API parses a body, each op object goes through
 * op_validate_shape() and op_apply() on a small machine, and the machine's
 * invariants (machine_check) must hold afterwards. The raw bytes also go
 * through gfp_parse(), the parser of the ops' "gfp" strings.
 *
 * The machine (64 MiB) is made once; every RESET_EVERY inputs it is replaced
 * by a clone of the pristine one, so state builds up across inputs (as in a
 * real session) without running into "out of memory" for ever.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/ops.h"
#include "mmlab.h"

#define RESET_EVERY	256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct machine *pristine, *m;
static unsigned long runs;

static void print_violation(void *ctx, const char *violation)
{
	fprintf(stderr, "%s: %s\n", (const char *)ctx, violation);
}

static void setup(void)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };

	if (machine_config_parse(&cfg, "{\"mem_mib\":64}", 1024, &e))
		goto fail;
	pristine = machine_create(&cfg, NULL, NULL, &e);
	if (!pristine)
		goto fail;
	return;
fail:
	fprintf(stderr, "cannot make the fuzz machine: %s\n", e.message);
	abort();
}

static void apply_one(json_t *op, const char *input)
{
	char err[256];
	json_t *res;

	if (op_validate_shape(op, err, sizeof(err)))
		return;
	res = op_apply(m, op);
	if (!json_is_object(res) || !json_is_boolean(json_object_get(res, "ok"))) {
		fprintf(stderr, "op_apply gave no {\"ok\":...} result for %s\n", input);
		abort();
	}
	json_decref(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct mm_error e = { 0 };
	json_error_t jerr;
	json_t *root, *op;
	gfp_t gfp;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)gfp_parse(text, &gfp, &e);

	if (!pristine)
		setup();
	if (!m || ++runs % RESET_EVERY == 0) {
		machine_destroy(m);
		m = machine_clone(pristine);
		if (!m)
			abort();
	}
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (json_is_array(root)) {
		json_array_foreach(root, i, op)
			apply_one(op, text);
	} else if (root) {
		apply_one(root, text);
	}
	json_decref(root);
	if (machine_check(m, print_violation, text)) {
		fprintf(stderr, "invariants broken after: %s\n", text);
		abort();
	}
	free(text);
	return 0;
}
