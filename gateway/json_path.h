/*
 * Naming places in a JSON document for error messages about files on disk
 * (the network database, the runtime state): "nodes[2].unicastAddress",
 * and what kind of value was found where another was expected.
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

#endif
