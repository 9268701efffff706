/*
 * JSON helpers for the files meshgate keeps on disk (the network database,
 * the runtime state): naming places in a document for error messages
 * ("nodes[2].unicastAddress", and what kind of value was found where
 * another was expected), and writing a document out as text.
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

#endif
