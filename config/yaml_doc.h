/*
 * What meshgate's YAML loaders share (config/scenario.c for simulator
 * scenarios, config/gateway_config.c for the gateway's configuration): a
 * file loaded with libyaml's document API, so every node keeps the line and
 * column it came from, and helpers that walk it by a schema and report the
 * first problem as one line in the style of Mosquitto's configuration
 * errors:
 *
 *   file:line:column: key.path: what is wrong
 *
 * Every check function returns 0, or MESH_ERR_INVAL after writing that
 * line; loaders stop at the first problem. Unknown and duplicate keys are
 * errors (ydoc_check_keys), so a typo never passes silently.
 *
 * Aliases are resolved by libyaml: an alias is the node its anchor names,
 * so a schema walk sees it (and reports its place) as that node.
 */
#ifndef CONFIG_YAML_DOC_H
#define CONFIG_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

/* Key paths ("devices.lamp.elements[0]") longer than this end in "...". */
#define YDOC_PATH_LEN 256

struct ydoc {
	const char *file;            /* the name in messages */
	yaml_document_t doc;
	bool loaded;                 /* doc holds a document to delete */
	char *err;                   /* the message; may be NULL */
	size_t err_len;
	bool hide_values;            /* echo no scalar in messages (secrets nearby) */
};

/* Set up y to report into err under the name file. */
void ydoc_init(struct ydoc *y, const char *file, char *err, size_t err_len);

/*
 * Parse yaml (len octets, need not be NUL-terminated) as one YAML document.
 * *root is its top node, or NULL when the text holds no node (empty, or
 * comments only). A syntax error is reported with libyaml's reason, line
 * and column; a second document is an error too. MESH_ERR_NOMEM when
 * libyaml runs out of memory (err says so). ydoc_free() afterwards in
 * every case.
 */
int ydoc_load(struct ydoc *y, const char *yaml, size_t len, yaml_node_t **root);
void ydoc_free(struct ydoc *y);

/*
 * The contents of the file at path, NUL-terminated (len excludes the NUL;
 * free() it). Errors, naming the file as path was given: MESH_ERR_IO
 * "path: cannot read: reason", MESH_ERR_INVAL "path: too large for a
 * <what> (over N MiB)" beyond max octets, MESH_ERR_NOMEM.
 */
int ydoc_read_file(const char *path, size_t max, const char *what, char **out, size_t *len,
		   char *err, size_t err_len);

/* ---- messages ---------------------------------------------------------- */

int ydoc_fail_at(struct ydoc *y, yaml_mark_t mark, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A problem at node n. */
#define ydoc_fail(y, n, path, ...) ydoc_fail_at(y, (n)->start_mark, path, __VA_ARGS__)

/* What a node is, for "got ..." in messages: a kind ("a list", "nothing")
 * or the shortened, quoted scalar (never the scalar when hide_values). */
const char *ydoc_describe(const struct ydoc *y, const yaml_node_t *n, char *buf, size_t size);

/* path + "." + key, and path + "[i]", into out (YDOC_PATH_LEN octets). */
void ydoc_subpath(char *out, const char *path, const char *key);
void ydoc_subindex(char *out, const char *path, size_t i);

/* ---- nodes ------------------------------------------------------------- */

yaml_node_t *ydoc_node(struct ydoc *y, int id);

/* A scalar's text (NUL-terminated by libyaml). */
static inline const char *ydoc_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain scalar with nothing in it ("key:" with no value, ~, null). */
bool ydoc_is_null(const yaml_node_t *n);
/* A scalar with no NUL inside (usable as a C string). */
bool ydoc_is_text(const yaml_node_t *n);

/* The number of items of a list or pairs of a mapping. */
size_t ydoc_count(const yaml_node_t *n);

int ydoc_expect_mapping(struct ydoc *y, const yaml_node_t *n, const char *path,
			const char *what);
int ydoc_expect_list(struct ydoc *y, const yaml_node_t *n, const char *path, const char *what);

/* The keys of map are plain strings, in allowed (NULL-terminated), and
 * none is repeated. */
int ydoc_check_keys(struct ydoc *y, const yaml_node_t *map, const char *path,
		    const char *const *allowed);

/* The value of key in map, or NULL. */
yaml_node_t *ydoc_get(struct ydoc *y, const yaml_node_t *map, const char *key);
/* The key node whose value is v in map (for messages about a key), or map. */
const yaml_node_t *ydoc_key_of(struct ydoc *y, const yaml_node_t *map, const yaml_node_t *v);
/* The value of key in map, or NULL after reporting "key is missing (what)". */
const yaml_node_t *ydoc_require(struct ydoc *y, const yaml_node_t *map, const char *path,
				const char *key, const char *what);

/* ---- scalars ----------------------------------------------------------- */

/* Decimal or 0x-prefixed hex, no sign, no spaces. */
bool ydoc_parse_u64(const char *s, uint64_t *out);

int ydoc_get_uint(struct ydoc *y, const yaml_node_t *n, const char *path, uint64_t min,
		  uint64_t max, uint64_t *out);
int ydoc_get_int(struct ydoc *y, const yaml_node_t *n, const char *path, long min, long max,
		 long *out);
int ydoc_get_double(struct ydoc *y, const yaml_node_t *n, const char *path, double min,
		    double max, double *out);
int ydoc_get_string(struct ydoc *y, const yaml_node_t *n, const char *path, char *out,
		    size_t size);
/* 16 octets as 32 hex digits; dashes allowed when dashes (UUIDs). A secret
 * is never echoed. */
int ydoc_get_hex16(struct ydoc *y, const yaml_node_t *n, const char *path, bool dashes,
		   bool secret, uint8_t out[16]);
/* s as 32 hex digits, dashes allowed; false when it is not one. */
bool ydoc_parse_uuid(const char *s, uint8_t out[16]);

#endif
