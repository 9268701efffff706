/*
 * JSON helpers for the files meshgate keeps on disk (the network database,
 * the runtime state, liveness): naming places in a document for error
 * messages ("nodes[2].unicastAddress", and what kind of value was found
 * where another was expected), those messages themselves, and writing a
 * document out as text.
 */
#ifndef GATEWAY_JSON_PATH_H
#define GATEWAY_JSON_PATH_H

#include <stddef.h>

#include <jansson.h>

#define JSON_PATH_LEN 160

/* "parent.key", or "key" at the top. A path longer than JSON_PATH_LEN is
 * cut short with "...": messages stay readable. */
void json_path_member(char out[JSON_PATH_LEN], const char *parent, const char *key);
/* "parent[i]". */
void json_path_item(char out[JSON_PATH_LEN], const char *parent, size_t i);
/* "an object", "a string", "an integer", ... for "expected X, found Y". */
const char *json_kind_name(const json_t *v);

/*
 * root as indented text ending in a newline, in one malloc'd buffer (free()
 * it), or NULL. Sized first and written once: no growing buffer leaves
 * copies of keys behind in freed memory.
 */
char *json_file_text(const json_t *root);

/* Where a file reader's messages go, and which file they name. */
struct json_file_err {
	const char *name;
	char *err;
	size_t errlen;
};

/* "NAME: PATH: what" (or "NAME: what" without a path) into e->err;
 * always returns -EINVAL. */
int json_file_invalid(const struct json_file_err *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Strings from a file go into log lines: printable, at most
 * JSON_QUOTE_MAX characters and "..." after. */
#define JSON_QUOTE_MAX 16
void json_quote_short(const char *s, size_t len, char out[JSON_QUOTE_MAX + 4]);

/* Refuse members of obj other than those listed (NULL-terminated). */
int json_check_members(const struct json_file_err *e, json_t *obj, const char *path,
		       const char *const *known);


#endif
