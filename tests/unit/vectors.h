/*
 * Access to the specification's sample data (../shared/vectors) for unit
 * tests. Every accessor fails the running cmocka test when the field is
 * missing or malformed, so a test can never pass on absent data.
 */
#ifndef TESTS_VECTORS_H
#define TESTS_VECTORS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "mesh/bytes.h"

/* The whole file, loaded once per process. */
json_t *vectors_root(void);
/* Member of an object, or element of an array for "[N]"; dotted path. */
json_t *vec_get(json_t *obj, const char *path);
/* Decode hex field `path` into out; returns its length in octets. */
size_t vec_hex(json_t *obj, const char *path, uint8_t *out, size_t max);
/* Integer field. */
long long vec_int(json_t *obj, const char *path);
/* String field. */
const char *vec_str(json_t *obj, const char *path);
/* True if the field exists and is not null. */
int vec_has(json_t *obj, const char *path);
/* Compare bytes and print both as hex when they differ. */
#define assert_bytes_equal(a, b, len) assert_bytes_equal_at(a, b, len, __FILE__, __LINE__)
void assert_bytes_equal_at(const uint8_t *a, const uint8_t *b, size_t len,
			   const char *file, int line);

#endif
