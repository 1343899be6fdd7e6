/*
 * test_ops_batch.c - op batches read in one pass (daemon/ops_batch.c): the
 * op log text and the objects built are exactly what Jansson's parse and
 * compact dump give, bodies outside the shape go to the general path, and
 * results written as text match json_dumps() byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ops.h"
#include "daemon/ops_batch.h"

/* Scan @body and compare every op with Jansson's reading of the same body. */
static void check_against_jansson(const char *body)
{
	json_error_t jerr;
	json_t *root = json_loads(body, JSON_REJECT_DUPLICATES, &jerr), *ops;
	struct ops_batch b;

	assert_non_null(root);
	ops = json_is_array(root) ? json_incref(root) : json_pack("[O]", root);
	assert_int_equal(ops_batch_scan(body, strlen(body), &b), 0);
	assert_int_equal(b.nr, json_array_size(ops));
	for (size_t i = 0; i < b.nr; i++) {
		json_t *want = json_array_get(ops, i), *got = ops_batch_op(&b, i);
		char *dumped = json_dumps(want, JSON_COMPACT), *again = json_dumps(got, JSON_COMPACT);

		assert_string_equal(ops_batch_text(&b, i), dumped);
		assert_string_equal(again, dumped);	/* same keys, order and values */
		assert_true(json_equal(got, want));
		free(dumped);
		free(again);
		json_decref(got);
	}
	ops_batch_release(&b);
	json_decref(ops);
	json_decref(root);
}

static void scanned_ops_are_jansson_ops(void **state)
{
	(void)state;
	check_against_jansson("[{\"op\":\"alloc_pages\",\"gfp\":\"GFP_KERNEL\",\"order\":0}]");
	check_against_jansson(" [ { \"op\" : \"free_pages\" ,\n\t\"pfn\" : 123456 , \"order\":0 } ,"
			      "{\"order\":3,\"op\":\"alloc_pages\",\"node\":-1,\"x\":true,"
			      "\"y\":false,\"z\":null,\"big\":999999999999999999} ]\r\n");
	check_against_jansson("{\"op\":\"kfree\",\"addr\":\"$0.addr\"}");
	check_against_jansson("[{\"op\":\"check\"},{\"op\":\"a b/c~\",\"s\":\"\"}]");
}

static void refs_are_flagged(void **state)
{
	struct ops_batch b;
	const char *body = "[{\"op\":\"kmalloc\",\"size\":64},{\"op\":\"kfree\",\"addr\":\"$0.addr\"}]";

	(void)state;
	assert_int_equal(ops_batch_scan(body, strlen(body), &b), 0);
	assert_false(b.ops[0].refs);
	assert_true(b.ops[1].refs);
	assert_true(b.refs);
	ops_batch_release(&b);
}

/* What the fast reading leaves to the general path (which answers errors too). */
static void other_shapes_fall_back(void **state)
{
	static const char *const bodies[] = {
		"", "[]", "{}", "[{}]", "3", "\"op\"", "[{\"op\":1}]",
		"[{\"order\":0}]",				/* no "op": a 400 there */
		"[{\"op\":\"x\",\"op\":\"y\"}]",		/* a key twice */
		"[{\"op\":\"x\",\"a\":1.5}]", "[{\"op\":\"x\",\"a\":1e3}]",	/* reals */
		"[{\"op\":\"x\",\"a\":-0}]", "[{\"op\":\"x\",\"a\":01}]",
		"[{\"op\":\"x\",\"a\":1234567890123456789}]",	/* 19 digits */
		"[{\"op\":\"x\",\"a\":\"\\n\"}]", "[{\"op\":\"x\",\"a\":\"\xc3\xa9\"}]",
		"[{\"op\":\"x\",\"a\":[1]}]", "[{\"op\":\"x\",\"a\":{\"b\":1}}]",
		"[{\"op\":\"x\"},]", "[{\"op\":\"x\"}", "[{\"op\":\"x\"}] x", "[{\"op\":\"x\" \"a\":1}]",
		"[{\"op\":\"x\",\"a\":tru}]", "[{\"op\":\"x\",\"a\":-}]", "[{\"op\":\"x\",\"a\":\"b}]",
	};
	struct ops_batch b;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		if (ops_batch_scan(bodies[i], strlen(bodies[i]), &b) == 0)
			fail_msg("scanned: %s", bodies[i]);
		assert_null(b.text);
	}
}

static void at_most_a_batch(void **state)
{
	size_t n = OPS_MAX_PER_REQUEST + 1, len = 0;
	char *body = malloc(n * 16 + 2);
	struct ops_batch b;

	(void)state;
	body[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(body + len, "%s{\"op\":\"check\"}", i ? "," : "");
	body[len++] = ']';
	assert_int_equal(ops_batch_scan(body, len, &b), -1);	/* the general path's 413 */
	/* One fewer is a batch. */
	len -= strlen(",{\"op\":\"check\"}]");
	body[len++] = ']';
	assert_int_equal(ops_batch_scan(body, len, &b), 0);
	assert_int_equal(b.nr, OPS_MAX_PER_REQUEST);
	ops_batch_release(&b);
	free(body);
}

static void check_text(const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	struct json_text t = { 0 };
	char *want;

	assert_non_null(v);
	want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_text_value(&t, v);
	assert_false(t.failed);
	assert_string_equal(t.s, want);
	assert_int_equal(t.len, strlen(want));
	free(want);
	free(t.s);
	json_decref(v);
}

static void results_text_is_jansson_text(void **state)
{
	(void)state;
	check_text("{\"ok\":true,\"pfn\":262143,\"order\":0,\"zone\":\"Normal\",\"node\":0,"
		   "\"migratetype\":\"Unmovable\"}");
	check_text("{\"ok\":false,\"errno\":\"ENOMEM\",\"message\":\"page allocation failure: "
		   "order:10, mode:0xcc0(GFP_KERNEL)\",\"slowpath\":[\"wake_all_kswapds\","
		   "\"__alloc_pages_direct_compact\"],\"kernel_fails\":false,\"would\":\"a \\\"q\\\"\"}");
	check_text("[-9223372036854775807,-1,0,1,9223372036854775807,null,true,false]");
	check_text("{\"a\\nb\":\"tab\\there \\u0001 \\\\ / \xc3\xa9\",\"\":{}, \"x\":[]}");
	check_text("{\"r\":0.1,\"s\":1e300,\"t\":-2.5,\"u\":100.0}");
	check_text("\"plain\"");
}

static void text_of_a_big_value_grows(void **state)
{
	json_t *a = json_array();
	struct json_text t = { 0 };
	char *want;

	(void)state;
	for (int i = 0; i < 5000; i++)
		json_array_append_new(a, json_pack("{s:b,s:i,s:s}", "ok", 1, "pfn", i * 7919,
						   "zone", "DMA32"));
	want = json_dumps(a, JSON_COMPACT);
	json_text_value(&t, a);
	assert_string_equal(t.s, want);
	free(want);
	free(t.s);
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scanned_ops_are_jansson_ops),
		cmocka_unit_test(refs_are_flagged),
		cmocka_unit_test(other_shapes_fall_back),
		cmocka_unit_test(at_most_a_batch),
		cmocka_unit_test(results_text_is_jansson_text),
		cmocka_unit_test(text_of_a_big_value_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
