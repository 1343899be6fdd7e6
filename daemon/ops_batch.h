/*
 * ops_batch.h - the common shape of an op batch, read without building its
 * whole JSON tree, and op results written out as JSON text.
 *
 * POST .../ops takes up to OPS_MAX_PER_REQUEST ops, nearly always flat
 * objects of short strings and integers. Parsed whole by Jansson, a batch is
 * ten thousand trees allocated before the first op runs and freed after the
 * last, and every op is then dumped again for the op log. Here the body is
 * scanned once: each op's compact text (exactly what json_dumpb() with
 * JSON_COMPACT would write, so the op log does not change) and its fields
 * are kept, and each op's object is built just before it runs and freed right
 * after. A body outside that shape is left to the general path (api.c's
 * Jansson parse), which also gives every error its message.
 */
#ifndef MMLAB_OPS_BATCH_H
#define MMLAB_OPS_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum ops_batch_type { OPS_BATCH_STRING, OPS_BATCH_INTEGER, OPS_BATCH_TRUE, OPS_BATCH_FALSE,
		      OPS_BATCH_NULL };

struct ops_batch_field {
	uint32_t key, key_len;		/* in text, without the quotes */
	uint32_t val, val_len;		/* a string's characters, in text */
	int64_t num;			/* an integer's value */
	uint8_t type;			/* enum ops_batch_type */
};

struct ops_batch_op {
	uint32_t text, text_len;	/* its compact JSON, NUL-terminated, in text */
	uint32_t field, nr_fields;	/* in fields */
	bool refs;			/* a string value starts with '$' (session.c) */
};

struct ops_batch {
	size_t nr;
	struct ops_batch_op *ops;
	struct ops_batch_field *fields;
	char *text;
	bool refs;			/* some op has a "$N.field" value */
};

/*
 * Read @body (@len bytes) as an array of flat op objects (or one op object):
 * strings of printable ASCII without escapes, integers, true, false, null,
 * no key twice, a string "op" in each, at most OPS_MAX_PER_REQUEST ops.
 * 0 and @b filled (release it with ops_batch_release()); -1 when the body is
 * anything else (@b then holds nothing): the general path takes it.
 */
int ops_batch_scan(const char *body, size_t len, struct ops_batch *b);
void ops_batch_release(struct ops_batch *b);

/* Op @i as a Jansson object (a new reference, NULL on ENOMEM). */
json_t *ops_batch_op(const struct ops_batch *b, size_t i);
/* Op @i's compact JSON text. */
static inline const char *ops_batch_text(const struct ops_batch *b, size_t i)
{
	return b->text + b->ops[i].text;
}

/* A growing text buffer for a reply. */
struct json_text {
	char *s;
	size_t len, cap;
	bool failed;			/* an allocation failed: s is incomplete */
};

/* Room for @n more bytes, so that appending them copies nothing. */
void json_text_reserve(struct json_text *t, size_t n);
void json_text_putn(struct json_text *t, const char *s, size_t n);
static inline void json_text_puts(struct json_text *t, const char *s)
{
	json_text_putn(t, s, __builtin_strlen(s));
}
void json_text_int(struct json_text *t, int64_t v);
/*
 * Append @v as json_dumpb(v, JSON_COMPACT | JSON_ENCODE_ANY) would write it,
 * byte for byte: objects in their order, integers and plain strings written
 * here, and reals and strings that need escapes by Jansson itself.
 */
void json_text_value(struct json_text *t, const json_t *v);

#endif
