/*
 * Shared YAML loading helpers (see yaml_doc.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/yaml_doc.h"
#include "mesh/bytes.h"
#include "mesh/err.h"

/* Scalars longer than this are shortened in messages. */
#define ECHO_MAX 40

void ydoc_init(struct ydoc *y, const char *file, char *err, size_t err_len)
{
	memset(y, 0, sizeof(*y));
	y->file = file;
	y->err = err;
	y->err_len = err_len;
	if (err && err_len)
		err[0] = '\0';
}

/* ---- messages ---------------------------------------------------------- */

int ydoc_fail_at(struct ydoc *y, yaml_mark_t mark, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!y->err || y->err_len == 0)
		return MESH_ERR_INVAL;
	n = snprintf(y->err, y->err_len, "%s:%zu:%zu: %s%s", y->file, mark.line + 1,
		     mark.column + 1, path ? path : "", path && *path ? ": " : "");
	if (n >= 0 && (size_t)n < y->err_len) {
		va_start(ap, fmt);
		vsnprintf(y->err + n, y->err_len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return MESH_ERR_INVAL;
}

const char *ydoc_describe(const struct ydoc *y, const yaml_node_t *n, char *buf, size_t size)
{
	size_t o = 0;
	const char *s;

	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (ydoc_is_null(n))
		return "nothing";
	if (y->hide_values)
		return "a value (not shown)";
	s = ydoc_scalar(n);
	buf[o++] = '"';
	for (size_t i = 0; i < n->data.scalar.length && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == ECHO_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* Key paths longer than YDOC_PATH_LEN (absurd nesting or names) end in
 * "..."; control characters in keys become '?', so a message stays one
 * line. */
static void ellipsize(char *out, int n)
{
	if (n < 0 || n >= YDOC_PATH_LEN)
		memcpy(out + YDOC_PATH_LEN - 4, "...", 4);
	for (; *out; out++)
		if ((unsigned char)*out < 0x20 || *out == 0x7f)
			*out = '?';
}

void ydoc_subpath(char *out, const char *path, const char *key)
{
	ellipsize(out, snprintf(out, YDOC_PATH_LEN, "%s%s%s", path, *path ? "." : "", key));
}

void ydoc_subindex(char *out, const char *path, size_t i)
{
	ellipsize(out, snprintf(out, YDOC_PATH_LEN, "%s[%zu]", path, i));
}

/* ---- loading ----------------------------------------------------------- */

static int parser_error(struct ydoc *y, const yaml_parser_t *p)
{
	const char *what = p->problem ? p->problem : "not valid YAML";

	if (p->error == YAML_MEMORY_ERROR)
		return MESH_ERR_NOMEM;
	if (p->context && p->context_mark.line != p->problem_mark.line)
		return ydoc_fail_at(y, p->problem_mark, "", "invalid YAML: %s (%s at line %zu)",
				    what, p->context, p->context_mark.line + 1);
	if (p->context)
		return ydoc_fail_at(y, p->problem_mark, "", "invalid YAML: %s (%s)", what,
				    p->context);
	return ydoc_fail_at(y, p->problem_mark, "", "invalid YAML: %s", what);
}

int ydoc_load(struct ydoc *y, const char *yaml, size_t len, yaml_node_t **root)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	int rc = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&parser))
		return MESH_ERR_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &y->doc)) {
		rc = parser_error(y, &parser);
		goto done;
	}
	y->loaded = true;
	if (!yaml_parser_load(&parser, &extra)) {
		rc = parser_error(y, &parser);
		goto done;
	}
	if (yaml_document_get_root_node(&extra))
		rc = ydoc_fail_at(y, extra.start_mark, "", "a second YAML document (this file "
				  "holds one)");
	yaml_document_delete(&extra);
	if (rc == 0)
		*root = yaml_document_get_root_node(&y->doc);
done:
	if (rc == MESH_ERR_NOMEM && y->err && y->err_len)
		snprintf(y->err, y->err_len, "%s: out of memory", y->file);
	yaml_parser_delete(&parser);
	return rc;
}

void ydoc_free(struct ydoc *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = false;
}

int ydoc_read_file(const char *path, size_t max, const char *what, char **out, size_t *len,
		   char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t used = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (!f) {
		if (err && err_len)
			snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
		return MESH_ERR_IO;
	}
	for (;;) {
		size_t n;

		if (used + 1 >= cap) {
			char *p;

			if (cap > max) {
				if (err && err_len)
					snprintf(err, err_len, "%s: too large for a %s (over %zu "
						 "MiB)", path, what, max >> 20);
				rc = MESH_ERR_INVAL;
				goto done;
			}
			cap = cap ? cap * 2 : 16384;
			p = realloc(buf, cap);
			if (!p) {
				if (err && err_len)
					snprintf(err, err_len, "%s: out of memory", path);
				rc = MESH_ERR_NOMEM;
				goto done;
			}
			buf = p;
		}
		n = fread(buf + used, 1, cap - used - 1, f);
		used += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		if (err && err_len)
			snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
		rc = MESH_ERR_IO;
		goto done;
	}
	if (used > max) {
		if (err && err_len)
			snprintf(err, err_len, "%s: too large for a %s (over %zu MiB)", path, what,
				 max >> 20);
		rc = MESH_ERR_INVAL;
		goto done;
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	buf = NULL;
done:
	fclose(f);
	free(buf);
	return rc;
}

/* ---- nodes ------------------------------------------------------------- */

yaml_node_t *ydoc_node(struct ydoc *y, int id)
{
	return yaml_document_get_node(&y->doc, id);
}

bool ydoc_is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return n->data.scalar.length == 0 || strcmp(ydoc_scalar(n), "~") == 0 ||
	       strcmp(ydoc_scalar(n), "null") == 0;
}

bool ydoc_is_text(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && strlen(ydoc_scalar(n)) == n->data.scalar.length;
}

size_t ydoc_count(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (n->type == YAML_MAPPING_NODE)
		return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	return 0;
}

int ydoc_expect_mapping(struct ydoc *y, const yaml_node_t *n, const char *path,
			const char *what)
{
	char buf[64];

	if (n->type == YAML_MAPPING_NODE)
		return 0;
	return ydoc_fail(y, n, path, "expected %s, got %s", what,
			 ydoc_describe(y, n, buf, sizeof(buf)));
}

int ydoc_expect_list(struct ydoc *y, const yaml_node_t *n, const char *path, const char *what)
{
	char buf[64];

	if (n->type == YAML_SEQUENCE_NODE)
		return 0;
	return ydoc_fail(y, n, path, "expected %s, got %s", what,
			 ydoc_describe(y, n, buf, sizeof(buf)));
}

int ydoc_check_keys(struct ydoc *y, const yaml_node_t *map, const char *path,
		    const char *const *allowed)
{
	const yaml_node_pair_t *p, *q;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = ydoc_node(y, p->key);
		char sub[YDOC_PATH_LEN], known[512], buf[64];
		size_t o = 0;
		bool found = false;

		if (!ydoc_is_text(k) || ydoc_is_null(k))
			return ydoc_fail(y, k, path, "expected a key name, got %s",
					 ydoc_describe(y, k, buf, sizeof(buf)));
		ydoc_subpath(sub, path, ydoc_scalar(k));
		for (const char *const *a = allowed; *a; a++)
			found = found || strcmp(*a, ydoc_scalar(k)) == 0;
		if (!found) {
			known[0] = '\0';
			for (const char *const *a = allowed; *a && o < sizeof(known); a++) {
				int n = snprintf(known + o, sizeof(known) - o, "%s%s",
						 a == allowed ? "" : ", ", *a);
				if (n < 0)
					break;
				o += (size_t)n;
			}
			if (y->hide_values && strlen(ydoc_scalar(k)) > 16)
				return ydoc_fail(y, k, path, "unknown key, name not shown (known "
						 "keys here: %s)", known);
			return ydoc_fail(y, k, sub, "unknown key (known keys here: %s)", known);
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *k2 = ydoc_node(y, q->key);

			if (strcmp(ydoc_scalar(k2), ydoc_scalar(k)) == 0)
				return ydoc_fail(y, k, sub, "duplicate key (first at line %zu)",
						 k2->start_mark.line + 1);
		}
	}
	return 0;
}

yaml_node_t *ydoc_get(struct ydoc *y, const yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = ydoc_node(y, p->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(ydoc_scalar(k), key) == 0)
			return ydoc_node(y, p->value);
	}
	return NULL;
}

const yaml_node_t *ydoc_key_of(struct ydoc *y, const yaml_node_t *map, const yaml_node_t *v)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++)
		if (ydoc_node(y, p->value) == v)
			return ydoc_node(y, p->key);
	return map;
}

const yaml_node_t *ydoc_require(struct ydoc *y, const yaml_node_t *map, const char *path,
				const char *key, const char *what)
{
	const yaml_node_t *v = ydoc_get(y, map, key);

	if (!v)
		ydoc_fail(y, map, path, "%s is missing (%s)", key, what);
	return v;
}

/* ---- scalars ----------------------------------------------------------- */

bool ydoc_parse_u64(const char *s, uint64_t *out)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (const char *c = s; *c; c++)
		if (!(*c >= '0' && *c <= '9') && !(base == 16 && mesh_hex_digit(*c) >= 0))
			return false;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno == 0 && *end == '\0';
}

int ydoc_get_uint(struct ydoc *y, const yaml_node_t *n, const char *path, uint64_t min,
		  uint64_t max, uint64_t *out)
{
	char buf[64];
	uint64_t v;

	if (!ydoc_is_text(n) || ydoc_is_null(n) || !ydoc_parse_u64(ydoc_scalar(n), &v))
		return ydoc_fail(y, n, path, "expected an integer (decimal or 0x hex), got %s",
				 ydoc_describe(y, n, buf, sizeof(buf)));
	if (v < min || v > max) {
		if (max > 0xffff)
			return ydoc_fail(y, n, path, "%s is out of range %" PRIu64 "..%" PRIu64,
					 ydoc_scalar(n), min, max);
		return ydoc_fail(y, n, path, "%s is out of range %" PRIu64 "..%" PRIu64
				 " (0x%04" PRIx64 "..0x%04" PRIx64 ")", ydoc_scalar(n), min, max,
				 min, max);
	}
	*out = v;
	return 0;
}

int ydoc_get_int(struct ydoc *y, const yaml_node_t *n, const char *path, long min, long max,
		 long *out)
{
	char buf[64];
	const char *s;
	char *end;
	long v;

	if (!ydoc_is_text(n) || ydoc_is_null(n))
		goto bad;
	s = ydoc_scalar(n);
	if (!((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') &&
					       s[1] >= '0' && s[1] <= '9')))
		goto bad;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		goto bad;
	if (v < min || v > max)
		return ydoc_fail(y, n, path, "%s is out of range %ld..%ld", s, min, max);
	*out = v;
	return 0;
bad:
	return ydoc_fail(y, n, path, "expected an integer, got %s",
			 ydoc_describe(y, n, buf, sizeof(buf)));
}

int ydoc_get_double(struct ydoc *y, const yaml_node_t *n, const char *path, double min,
		    double max, double *out)
{
	char buf[64];
	const char *s;
	char *end;
	double v;

	if (!ydoc_is_text(n) || ydoc_is_null(n))
		goto bad;
	s = ydoc_scalar(n);
	/* strtod also takes "inf", "nan" and hex floats: insist on digits. */
	if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '.' ||
	      ((s[0] == '-' || s[0] == '+') && ((s[1] >= '0' && s[1] <= '9') || s[1] == '.'))))
		goto bad;
	if (strchr(s, 'x') || strchr(s, 'X'))
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		goto bad;
	if (v < min || v > max)
		return ydoc_fail(y, n, path, "%s is out of range %g..%g", s, min, max);
	*out = v;
	return 0;
bad:
	return ydoc_fail(y, n, path, "expected a number, got %s",
			 ydoc_describe(y, n, buf, sizeof(buf)));
}

int ydoc_get_string(struct ydoc *y, const yaml_node_t *n, const char *path, char *out,
		    size_t size)
{
	char buf[64];

	if (!ydoc_is_text(n) || ydoc_is_null(n))
		return ydoc_fail(y, n, path, "expected a string, got %s",
				 ydoc_describe(y, n, buf, sizeof(buf)));
	if (n->data.scalar.length >= size)
		return ydoc_fail(y, n, path, "too long (%zu characters, at most %zu)",
				 n->data.scalar.length, size - 1);
	memcpy(out, ydoc_scalar(n), n->data.scalar.length + 1);
	return 0;
}

/* 16 octets from 32 hex digits, skipping dashes when dashes. */
static bool parse_hex16(const char *s, bool dashes, uint8_t out[16])
{
	size_t digits = 0;
	uint8_t v[16];

	for (; *s; s++) {
		int h = mesh_hex_digit(*s);

		if (*s == '-' && dashes)
			continue;
		if (h < 0 || digits == 32)
			goto bad;
		if (digits % 2 == 0)
			v[digits / 2] = (uint8_t)(h << 4);
		else
			v[digits / 2] |= (uint8_t)h;
		digits++;
	}
	if (digits != 32)
		goto bad;
	memcpy(out, v, 16);
	memset(v, 0, sizeof(v));
	return true;
bad:
	memset(v, 0, sizeof(v));
	return false;
}

bool ydoc_parse_uuid(const char *s, uint8_t out[16])
{
	return parse_hex16(s, true, out);
}

int ydoc_get_hex16(struct ydoc *y, const yaml_node_t *n, const char *path, bool dashes,
		   bool secret, uint8_t out[16])
{
	char buf[64];

	if (ydoc_is_text(n) && !ydoc_is_null(n) && parse_hex16(ydoc_scalar(n), dashes, out))
		return 0;
	if (secret && n->type == YAML_SCALAR_NODE && !ydoc_is_null(n))
		return ydoc_fail(y, n, path, "expected 32 hex digits (a 128-bit key; value not "
				 "shown)");
	return ydoc_fail(y, n, path, "expected 32 hex digits%s, got %s",
			 dashes ? " (dashes allowed)" : "", ydoc_describe(y, n, buf, sizeof(buf)));
}
