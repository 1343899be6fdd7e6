/*
 * ops_batch.c - op batches scanned in one pass, and results written as JSON
 * text without Jansson's dump callbacks (see ops_batch.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ops.h"
#include "daemon/ops_batch.h"

struct scan {
	const char *p, *end;
	char *out;			/* the compact text being written */
	struct ops_batch *b;
	size_t cap_ops, cap_fields, nr_fields;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool eat(struct scan *s, char c)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* A string of printable ASCII without escapes; its characters' offset in the
 * text and length. */
static int scan_string(struct scan *s, uint32_t *at, uint32_t *len)
{
	const char *start;

	if (!eat(s, '"'))
		return -1;
	start = s->p;
	while (s->p < s->end && *s->p != '"') {
		if ((unsigned char)*s->p < 0x20 || (unsigned char)*s->p > 0x7e || *s->p == '\\')
			return -1;
		s->p++;
	}
	if (s->p == s->end)
		return -1;
	*s->out++ = '"';
	*at = (uint32_t)(s->out - s->b->text);
	*len = (uint32_t)(s->p - start);
	memcpy(s->out, start, *len);
	s->out += *len;
	*s->out++ = '"';
	s->p++;
	return 0;
}

/* An integer as Jansson writes it back: no "-0", at most 18 digits, not the
 * start of a real. */
static int scan_integer(struct scan *s, int64_t *v)
{
	const char *start = s->p;
	bool neg = *s->p == '-';
	uint64_t n = 0;
	size_t digits = 0;

	if (neg)
		s->p++;
	if (s->p < s->end && *s->p == '0') {
		s->p++;
		digits = 1;
		if (neg)
			return -1;
	} else {
		for (; s->p < s->end && *s->p >= '0' && *s->p <= '9'; s->p++, digits++)
			n = n * 10 + (uint64_t)(*s->p - '0');
		if (!digits || digits > 18)
			return -1;
	}
	if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E' ||
			      (*s->p >= '0' && *s->p <= '9')))
		return -1;
	*v = neg ? -(int64_t)n : (int64_t)n;
	memcpy(s->out, start, (size_t)(s->p - start));
	s->out += s->p - start;
	return 0;
}

static int scan_word(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	memcpy(s->out, word, n);
	s->out += n;
	s->p += n;
	return 0;
}

static struct ops_batch_field *new_field(struct scan *s)
{
	if (s->nr_fields == s->cap_fields) {
		size_t cap = s->cap_fields ? 2 * s->cap_fields : 64;
		struct ops_batch_field *f = realloc(s->b->fields, cap * sizeof(*f));

		if (!f)
			return NULL;
		s->b->fields = f;
		s->cap_fields = cap;
	}
	return &s->b->fields[s->nr_fields++];
}

static int scan_value(struct scan *s, struct ops_batch_field *f)
{
	skip_ws(s);
	if (s->p == s->end)
		return -1;
	switch (*s->p) {
	case '"':
		f->type = OPS_BATCH_STRING;
		return scan_string(s, &f->val, &f->val_len);
	case 't':
		f->type = OPS_BATCH_TRUE;
		return scan_word(s, "true");
	case 'f':
		f->type = OPS_BATCH_FALSE;
		return scan_word(s, "false");
	case 'n':
		f->type = OPS_BATCH_NULL;
		return scan_word(s, "null");
	default:
		f->type = OPS_BATCH_INTEGER;
		return *s->p == '-' || (*s->p >= '0' && *s->p <= '9') ? scan_integer(s, &f->num) : -1;
	}
}

static int scan_object(struct scan *s)
{
	struct ops_batch *b = s->b;
	struct ops_batch_op *op;
	bool has_op = false;

	if (b->nr == OPS_MAX_PER_REQUEST)
		return -1;	/* the general path answers 413 */
	if (b->nr == s->cap_ops) {
		size_t cap = s->cap_ops ? 2 * s->cap_ops : 16;
		struct ops_batch_op *ops = realloc(b->ops, cap * sizeof(*ops));

		if (!ops)
			return -1;
		b->ops = ops;
		s->cap_ops = cap;
	}
	op = &b->ops[b->nr];
	*op = (struct ops_batch_op){ .text = (uint32_t)(s->out - b->text),
				     .field = (uint32_t)s->nr_fields };
	if (!eat(s, '{'))
		return -1;
	*s->out++ = '{';
	if (!eat(s, '}')) {
		do {
			struct ops_batch_field *f = new_field(s);

			if (!f)
				return -1;
			if (op->nr_fields)
				*s->out++ = ',';
			if (scan_string(s, &f->key, &f->key_len) || !eat(s, ':'))
				return -1;
			*s->out++ = ':';
			if (scan_value(s, f))
				return -1;
			for (uint32_t i = op->field; i < op->field + op->nr_fields; i++)
				if (b->fields[i].key_len == f->key_len &&
				    memcmp(b->text + b->fields[i].key, b->text + f->key, f->key_len) == 0)
					return -1;	/* twice: the general path refuses it */
			if (f->key_len == 2 && memcmp(b->text + f->key, "op", 2) == 0)
				has_op = f->type == OPS_BATCH_STRING;
			if (f->type == OPS_BATCH_STRING && f->val_len && b->text[f->val] == '$')
				op->refs = true;
			op->nr_fields++;
		} while (eat(s, ','));
		if (!eat(s, '}'))
			return -1;
	}
	*s->out++ = '}';
	op->text_len = (uint32_t)(s->out - b->text) - op->text;
	*s->out++ = '\0';
	b->refs |= op->refs;
	b->nr++;
	return has_op ? 0 : -1;
}

int ops_batch_scan(const char *body, size_t len, struct ops_batch *b)
{
	struct scan s = { .p = body, .end = body + len, .b = b };
	int rc = -1;

	*b = (struct ops_batch){ 0 };
	if (len >= UINT32_MAX / 2)
		return -1;
	/* The compact text is no longer than the body, and each op ends with a
	 * NUL where its body had at least "{}" and a comma. */
	b->text = malloc(len + len / 2 + 2);
	if (!b->text)
		return -1;
	s.out = b->text;
	skip_ws(&s);
	if (s.p < s.end && *s.p == '{') {
		rc = scan_object(&s);
	} else if (eat(&s, '[') && !eat(&s, ']')) {
		do
			rc = scan_object(&s);
		while (!rc && eat(&s, ','));
		if (!rc && !eat(&s, ']'))
			rc = -1;
	}
	skip_ws(&s);
	if (rc || s.p != s.end) {
		ops_batch_release(b);
		return -1;
	}
	return 0;
}

void ops_batch_release(struct ops_batch *b)
{
	free(b->ops);
	free(b->fields);
	free(b->text);
	*b = (struct ops_batch){ 0 };
}

json_t *ops_batch_op(const struct ops_batch *b, size_t i)
{
	const struct ops_batch_op *op = &b->ops[i];
	json_t *obj = json_object();

	for (uint32_t k = op->field; obj && k < op->field + op->nr_fields; k++) {
		const struct ops_batch_field *f = &b->fields[k];
		json_t *v;

		switch (f->type) {
		case OPS_BATCH_STRING:
			v = json_stringn_nocheck(b->text + f->val, f->val_len);
			break;
		case OPS_BATCH_INTEGER:
			v = json_integer(f->num);
			break;
		case OPS_BATCH_TRUE:
			v = json_true();
			break;
		case OPS_BATCH_FALSE:
			v = json_false();
			break;
		default:
			v = json_null();
			break;
		}
		if (!v || json_object_setn_new_nocheck(obj, b->text + f->key, f->key_len, v)) {
			json_decref(obj);
			obj = NULL;
		}
	}
	return obj;
}

/*** JSON text ***/

void json_text_reserve(struct json_text *t, size_t n)
{
	char *p;

	if (t->failed || t->len + n + 1 <= t->cap)
		return;
	p = realloc(t->s, t->len + n + 1);
	if (!p) {
		t->failed = true;
		return;
	}
	t->s = p;
	t->cap = t->len + n + 1;
}

void json_text_putn(struct json_text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *p;

		while (cap < t->len + n + 1)
			cap *= 2;
		p = realloc(t->s, cap);
		if (!p) {
			t->failed = true;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

void json_text_int(struct json_text *t, int64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t n = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + n % 10);
	while (n /= 10);
	if (v < 0)
		*--p = '-';
	json_text_putn(t, p, (size_t)(buf + sizeof(buf) - p));
}

/* A string Jansson writes without escapes: no '"', '\\' or control character. */
static bool plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

static void put_string(struct json_text *t, const char *s, size_t n, const json_t *v)
{
	char buf[256];
	size_t len;

	if (plain(s, n)) {
		json_text_putn(t, "\"", 1);
		json_text_putn(t, s, n);
		json_text_putn(t, "\"", 1);
		return;
	}
	/* Escapes as Jansson writes them. */
	len = json_dumpb(v, buf, sizeof(buf), JSON_COMPACT | JSON_ENCODE_ANY);
	if (len && len <= sizeof(buf)) {
		json_text_putn(t, buf, len);
	} else {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		if (!text) {
			t->failed = true;
			return;
		}
		json_text_puts(t, text);
		free(text);
	}
}

void json_text_value(struct json_text *t, const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;
	bool first = true;

	if (!v) {		/* a result that could not be built (ENOMEM) */
		t->failed = true;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_text_putn(t, "{", 1);
		json_object_foreach((json_t *)v, key, item) {
			json_t *k;

			if (!first)
				json_text_putn(t, ",", 1);
			first = false;
			if (plain(key, strlen(key))) {
				json_text_putn(t, "\"", 1);
				json_text_puts(t, key);
				json_text_putn(t, "\"", 1);
			} else {
				k = json_string_nocheck(key);
				if (!k) {
					t->failed = true;
					return;
				}
				put_string(t, key, strlen(key), k);
				json_decref(k);
			}
			json_text_putn(t, ":", 1);
			json_text_value(t, item);
		}
		json_text_putn(t, "}", 1);
		break;
	case JSON_ARRAY:
		json_text_putn(t, "[", 1);
		json_array_foreach(v, i, item) {
			if (i)
				json_text_putn(t, ",", 1);
			json_text_value(t, item);
		}
		json_text_putn(t, "]", 1);
		break;
	case JSON_STRING:
		put_string(t, json_string_value(v), json_string_length(v), v);
		break;
	case JSON_INTEGER:
		json_text_int(t, json_integer_value(v));
		break;
	case JSON_TRUE:
		json_text_putn(t, "true", 4);
		break;
	case JSON_FALSE:
		json_text_putn(t, "false", 5);
		break;
	case JSON_NULL:
		json_text_putn(t, "null", 4);
		break;
	default: {	/* a real: Jansson's own digits */
		char buf[64];
		size_t len = json_dumpb(v, buf, sizeof(buf), JSON_COMPACT | JSON_ENCODE_ANY);

		if (len && len <= sizeof(buf))
			json_text_putn(t, buf, len);
		else
			t->failed = true;
		break;
	}
	}
}
