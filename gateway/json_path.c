/* Places and kinds in JSON documents, for error messages. */
#include "json_path.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void path_fits(char out[JSON_PATH_LEN], int n)
{
	if (n < 0 || n >= JSON_PATH_LEN)
		memcpy(out + JSON_PATH_LEN - 4, "...", 4);
}

void json_path_member(char out[JSON_PATH_LEN], const char *parent, const char *key)
{
	if (parent && *parent)
		path_fits(out, snprintf(out, JSON_PATH_LEN, "%s.%s", parent, key));
	else
		path_fits(out, snprintf(out, JSON_PATH_LEN, "%s", key));
}

void json_path_item(char out[JSON_PATH_LEN], const char *parent, size_t i)
{
	path_fits(out, snprintf(out, JSON_PATH_LEN, "%s[%zu]", parent, i));
}

const char *json_kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction or exponent";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	}
	return "something else";
}

char *json_file_text(const json_t *root)
{
	const size_t flags = JSON_INDENT(2);
	size_t len = json_dumpb(root, NULL, 0, flags);
	char *text = len ? malloc(len + 2) : NULL;

	if (text && json_dumpb(root, text, len, flags) == len) {
		text[len] = '\n';
		text[len + 1] = '\0';
		return text;
	}
	free(text);
	return NULL;
}

int json_file_invalid(const struct json_file_err *e, const char *path, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (e->err && e->errlen) {
		if (path && *path)
			snprintf(e->err, e->errlen, "%s: %s: %s", e->name, path, what);
		else
			snprintf(e->err, e->errlen, "%s: %s", e->name, what);
	}
	return -EINVAL;
}

void json_quote_short(const char *s, size_t len, char out[JSON_QUOTE_MAX + 4])
{
	size_t n = len < JSON_QUOTE_MAX ? len : JSON_QUOTE_MAX, i;

	for (i = 0; i < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
	if (len > n)
		memcpy(out + n, "...", 4);
	else
		out[n] = '\0';
}

int json_check_members(const struct json_file_err *e, json_t *obj, const char *path,
		       const char *const *known)
{
	const char *key;
	json_t *value;

	json_object_foreach(obj, key, value) {
		const char *const *k = known;
		char quoted[JSON_QUOTE_MAX + 4];

		while (*k && strcmp(*k, key) != 0)
			k++;
		if (*k)
			continue;
		json_quote_short(key, strlen(key), quoted);
		return json_file_invalid(e, path, "unknown member \"%s\"", quoted);
	}
	return 0;
}

