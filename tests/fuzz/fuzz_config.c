/*
 * fuzz_config.c - libFuzzer target for machine_config_parse(), the parser of
 * the "machine" object that POST /api/v1/sessions takes from the network.
 *
 * Any input must be refused with an error or accepted; an accepted config,
 * written back with machine_config_to_json(), must parse again to the very
 * same normalised text (the round trip replay relies on).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlab.h"

/* A host budget that lets the biggest allowed machines through, as a large host would. */
#define FUZZ_HOST_MIB	((uint64_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct machine_config cfg, again;
	struct mm_error e = { 0 };
	char *text = malloc(size + 1), *json, *json2;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (machine_config_parse(&cfg, text, FUZZ_HOST_MIB, &e)) {
		if (!e.message[0]) {
			fprintf(stderr, "refused without a message: %s\n", text);
			abort();
		}
		free(text);
		return 0;
	}
	json = machine_config_to_json(&cfg);
	if (!json)
		abort();
	memset(&e, 0, sizeof(e));
	if (machine_config_parse(&again, json, FUZZ_HOST_MIB, &e)) {
		fprintf(stderr, "normalised config refused (%s): %s\n", e.message, json);
		abort();
	}
	json2 = machine_config_to_json(&again);
	if (!json2 || strcmp(json, json2) != 0) {
		fprintf(stderr, "round trip differs:\n%s\n%s\n", json, json2 ? json2 : "(null)");
		abort();
	}
	free(json2);
	free(json);
	machine_config_release(&again);
	machine_config_release(&cfg);
	free(text);
	return 0;
}
