/*
 * config.c - the machine configuration of engine.md section 1.
 *
 * A config is a JSON object of optional keys over the defaults (a 4 GiB,
 * one-node, two-CPU PC). Parsing is strict: an unknown key, a wrong type or an
 * impossible value is an error that names the key, so a learner who writes
 * "mem_mb" hears about it instead of silently getting 4 GiB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mmlab.h"

void machine_config_defaults(struct machine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_mib = 4096;
	cfg->nodes = 1;
	cfg->cpus = 2;
	cfg->paging_levels = 4;
	cfg->gbpages = true;
	cfg->max_order = 10;
	cfg->pcp = true;
	cfg->tlb.l1_4k = (struct tlb_array_config){ 64, 4 };
	cfg->tlb.l1_2m = (struct tlb_array_config){ 32, 4 };
	cfg->tlb.l1_1g = (struct tlb_array_config){ 4, 4 };
	cfg->tlb.stlb = (struct tlb_array_config){ 1536, 12 };
	cfg->tlb.policy = TLB_POLICY_LRU;
	cfg->start = MACHINE_START_BOOTED;
	cfg->seed = 1;
	cfg->layout_zoneinfo = NULL;
	cfg->swap_mib = 0;
	cfg->swappiness = 60;
}

void machine_config_release(struct machine_config *cfg)
{
	free(cfg->layout_zoneinfo);
	cfg->layout_zoneinfo = NULL;
}

static const char *const tlb_policy_names[] = { "lru", "fifo", "random" };

/* An integer key within [min, max]. */
static int get_uint(json_t *v, const char *key, uint64_t min, uint64_t max,
		    uint64_t *out, struct mm_error *e)
{
	json_int_t n;

	if (!json_is_integer(v))
		return mm_error_set(e, -EINVAL, "%s must be an integer", key);
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n < min || (uint64_t)n > max)
		return mm_error_set(e, -EINVAL, "%s must be %llu..%llu (got %lld)", key,
				    (unsigned long long)min, (unsigned long long)max,
				    (long long)n);
	*out = (uint64_t)n;
	return 0;
}

static int get_bool(json_t *v, const char *key, bool *out, struct mm_error *e)
{
	if (!json_is_boolean(v))
		return mm_error_set(e, -EINVAL, "%s must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

/* Is @n a power of two (and not zero)? */
static bool is_pow2(uint64_t n)
{
	return n && !(n & (n - 1));
}

static int parse_tlb_array(json_t *v, const char *name, struct tlb_array_config *a,
			   struct mm_error *e)
{
	const char *key;
	json_t *val;
	uint64_t n;
	char path[48];
	int err;

	if (!json_is_object(v))
		return mm_error_set(e, -EINVAL, "tlb.%s must be an object", name);
	json_object_foreach(v, key, val) {
		snprintf(path, sizeof(path), "tlb.%s.%s", name, key);
		if (strcmp(key, "entries") == 0) {
			err = get_uint(val, path, 0, 65536, &n, e);
			if (err)
				return err;
			a->entries = (unsigned int)n;
		} else if (strcmp(key, "ways") == 0) {
			err = get_uint(val, path, 1, 65536, &n, e);
			if (err)
				return err;
			a->ways = (unsigned int)n;
		} else {
			return mm_error_set(e, -EINVAL, "unknown key %s", path);
		}
	}
	if (a->entries == 0)
		return 0;
	if (a->ways > a->entries || a->entries % a->ways)
		return mm_error_set(e, -EINVAL,
				    "tlb.%s: entries (%u) must be a multiple of ways (%u)",
				    name, a->entries, a->ways);
	if (!is_pow2(a->entries / a->ways))
		return mm_error_set(e, -EINVAL,
				    "tlb.%s: entries / ways (%u sets) must be a power of two",
				    name, a->entries / a->ways);
	return 0;
}

static int parse_tlb(json_t *v, struct tlb_config *t, struct mm_error *e)
{
	const char *key;
	json_t *val;
	int err;

	if (!json_is_object(v))
		return mm_error_set(e, -EINVAL, "tlb must be an object");
	json_object_foreach(v, key, val) {
		if (strcmp(key, "l1_4k") == 0)
			err = parse_tlb_array(val, key, &t->l1_4k, e);
		else if (strcmp(key, "l1_2m") == 0)
			err = parse_tlb_array(val, key, &t->l1_2m, e);
		else if (strcmp(key, "l1_1g") == 0)
			err = parse_tlb_array(val, key, &t->l1_1g, e);
		else if (strcmp(key, "stlb") == 0)
			err = parse_tlb_array(val, key, &t->stlb, e);
		else if (strcmp(key, "policy") == 0) {
			const char *p = json_string_value(val);
			unsigned int i;

			err = -EINVAL;
			for (i = 0; p && i < 3; i++)
				if (strcmp(p, tlb_policy_names[i]) == 0) {
					t->policy = (enum tlb_policy)i;
					err = 0;
				}
			if (err)
				mm_error_set(e, err, "tlb.policy must be \"lru\", \"fifo\" or \"random\"");
		} else
			err = mm_error_set(e, -EINVAL, "unknown key tlb.%s", key);
		if (err)
			return err;
	}
	return 0;
}

/* One top-level key. */
static int parse_key(struct machine_config *cfg, const char *key, json_t *v,
		     uint64_t host_limit_mib, struct mm_error *e)
{
	uint64_t n, max_mib = host_limit_mib ? host_limit_mib : UINT64_C(1) << 40;
	int err;

	if (strcmp(key, "mem_mib") == 0) {
		if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		    (uint64_t)json_integer_value(v) > max_mib)
			return mm_error_set(e, -EINVAL,
					    "mem_mib %lld is too large for this host (at most %llu: 64 bytes of host memory per simulated page)",
					    (long long)json_integer_value(v),
					    (unsigned long long)max_mib);
		err = get_uint(v, key, MACHINE_MIN_MEM_MIB, max_mib, &n, e);
		cfg->mem_mib = n;
	} else if (strcmp(key, "nodes") == 0) {
		err = get_uint(v, key, 1, MACHINE_MAX_NODES, &n, e);
		cfg->nodes = (unsigned int)n;
	} else if (strcmp(key, "cpus") == 0) {
		err = get_uint(v, key, 1, MACHINE_MAX_CPUS, &n, e);
		cfg->cpus = (unsigned int)n;
	} else if (strcmp(key, "paging_levels") == 0) {
		err = get_uint(v, key, 4, 5, &n, e);
		cfg->paging_levels = (unsigned int)n;
	} else if (strcmp(key, "gbpages") == 0) {
		err = get_bool(v, key, &cfg->gbpages, e);
	} else if (strcmp(key, "max_order") == 0) {
		err = get_uint(v, key, MACHINE_MIN_MAX_ORDER, MACHINE_MAX_MAX_ORDER, &n, e);
		cfg->max_order = (unsigned int)n;
	} else if (strcmp(key, "pcp") == 0) {
		err = get_bool(v, key, &cfg->pcp, e);
	} else if (strcmp(key, "debug_virtual") == 0) {
		err = get_bool(v, key, &cfg->debug_virtual, e);
	} else if (strcmp(key, "swap_mib") == 0) {
		err = get_uint(v, key, 0, max_mib, &n, e);
		cfg->swap_mib = n;
	} else if (strcmp(key, "swappiness") == 0) {
		err = get_uint(v, key, 0, 200, &n, e);
		cfg->swappiness = (unsigned int)n;
	} else if (strcmp(key, "tlb") == 0) {
		err = parse_tlb(v, &cfg->tlb, e);
	} else if (strcmp(key, "start") == 0) {
		const char *s = json_string_value(v);

		if (s && strcmp(s, "booted") == 0)
			cfg->start = MACHINE_START_BOOTED;
		else if (s && strcmp(s, "poweron") == 0)
			cfg->start = MACHINE_START_POWERON;
		else
			return mm_error_set(e, -EINVAL, "start must be \"booted\" or \"poweron\"");
		err = 0;
	} else if (strcmp(key, "seed") == 0) {
		err = get_uint(v, key, 0, INT64_MAX, &n, e);
		cfg->seed = n;
	} else if (strcmp(key, "layout") == 0) {
		const char *s = json_string_value(v);

		if (!s)
			return mm_error_set(e, -EINVAL,
					    "layout must be \"pc\" or the text of a /proc/zoneinfo");
		free(cfg->layout_zoneinfo);
		cfg->layout_zoneinfo = NULL;
		if (strcmp(s, "pc") == 0)
			return 0;
		if (!strstr(s, "Node ") || !strstr(s, "zone"))
			return mm_error_set(e, -EINVAL,
					    "layout must be \"pc\" or the text of a /proc/zoneinfo");
		cfg->layout_zoneinfo = strdup(s);
		err = cfg->layout_zoneinfo ? 0 : mm_error_set(e, -ENOMEM, "out of memory");
	} else {
		return mm_error_set(e, -EINVAL, "unknown machine key \"%s\"", key);
	}
	return err;
}

int machine_config_parse(struct machine_config *cfg, const char *json,
			 uint64_t host_limit_mib, struct mm_error *e)
{
	json_error_t jerr;
	json_t *root, *v;
	const char *key;
	int err = 0;

	machine_config_defaults(cfg);
	if (!json || !*json)
		return 0;
	root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return mm_error_set(e, -EINVAL, "machine config is not valid JSON: %s (line %d)",
				    jerr.text, jerr.line);
	if (!json_is_object(root)) {
		err = mm_error_set(e, -EINVAL, "machine config must be a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		err = parse_key(cfg, key, v, host_limit_mib, e);
		if (err)
			goto out;
	}
	if (cfg->mem_mib / cfg->nodes < MACHINE_MIN_MEM_MIB)
		err = mm_error_set(e, -EINVAL,
				   "each of the %u nodes needs at least %u MiB (mem_mib is %llu)",
				   cfg->nodes, MACHINE_MIN_MEM_MIB,
				   (unsigned long long)cfg->mem_mib);
out:
	json_decref(root);
	if (err)
		machine_config_release(cfg);
	return err;
}

static json_t *tlb_array_json(const struct tlb_array_config *a)
{
	return json_pack("{s:I,s:I}", "entries", (json_int_t)a->entries,
			 "ways", (json_int_t)a->ways);
}

char *machine_config_to_json(const struct machine_config *cfg)
{
	json_t *root;
	char *text;

	root = json_pack("{s:I,s:I,s:I,s:I,s:b,s:I,s:b,s:{s:o,s:o,s:o,s:o,s:s},s:s,s:I,s:s}",
			 "mem_mib", (json_int_t)cfg->mem_mib,
			 "nodes", (json_int_t)cfg->nodes,
			 "cpus", (json_int_t)cfg->cpus,
			 "paging_levels", (json_int_t)cfg->paging_levels,
			 "gbpages", cfg->gbpages,
			 "max_order", (json_int_t)cfg->max_order,
			 "pcp", cfg->pcp,
			 "tlb",
			 "l1_4k", tlb_array_json(&cfg->tlb.l1_4k),
			 "l1_2m", tlb_array_json(&cfg->tlb.l1_2m),
			 "l1_1g", tlb_array_json(&cfg->tlb.l1_1g),
			 "stlb", tlb_array_json(&cfg->tlb.stlb),
			 "policy", tlb_policy_names[cfg->tlb.policy],
			 "start", cfg->start == MACHINE_START_POWERON ? "poweron" : "booted",
			 "seed", (json_int_t)cfg->seed,
			 "layout", cfg->layout_zoneinfo ? cfg->layout_zoneinfo : "pc");
	if (!root)
		return NULL;
	json_object_set_new(root, "debug_virtual", json_boolean(cfg->debug_virtual));
	json_object_set_new(root, "swap_mib", json_integer((json_int_t)cfg->swap_mib));
	json_object_set_new(root, "swappiness", json_integer((json_int_t)cfg->swappiness));
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return text;
}
