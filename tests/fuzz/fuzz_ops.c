/*
 * fuzz_ops.c - libFuzzer target for the operations of POST .../ops: the input
 * is parsed as JSON the way the API parses a body, each op object goes through
 * op_validate_shape() and op_apply() on a small machine, and the machine's
 * invariants (machine_check) must hold afterwards. The raw bytes also go
 * through gfp_parse(), the parser of the ops' "gfp" strings.
 *
 * Which ops an input reached (its handler ran: the name and the fields were
 * known) and which succeeded is printed at exit ("fuzz_ops: reached ...",
 * "fuzz_ops: succeeded ..."): run.sh holds it against the op tables.
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

#define MAX_OPS	256
static char *reached[MAX_OPS], *succeeded[MAX_OPS];
static unsigned int nr_reached, nr_succeeded;

static void print_names(const char *what, char **names, unsigned int n)
{
	fprintf(stderr, "fuzz_ops: %s %u:", what, n);
	for (unsigned int i = 0; i < n; i++)
		fprintf(stderr, " %s", names[i]);
	fprintf(stderr, "\n");
}

static void print_ops(void)
{
	print_names("reached", reached, nr_reached);
	print_names("succeeded", succeeded, nr_succeeded);
}

static void note(char **names, unsigned int *n, const char *name)
{
	for (unsigned int i = 0; i < *n; i++)
		if (!strcmp(names[i], name))
			return;
	if (*n < MAX_OPS && (names[*n] = strdup(name)))
		(*n)++;
}

/* The op's handler ran unless its name or a field was unknown. */
static void note_op(json_t *op, json_t *res)
{
	const char *name = json_string_value(json_object_get(op, "op"));
	const char *msg = json_string_value(json_object_get(res, "message"));

	if (!name || (msg && (!strncmp(msg, "unknown op", 10) || !strncmp(msg, "unknown field", 13))))
		return;
	note(reached, &nr_reached, name);
	if (json_is_true(json_object_get(res, "ok")))
		note(succeeded, &nr_succeeded, name);
}

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
	atexit(print_ops);
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
	note_op(op, res);
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
