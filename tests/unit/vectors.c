/* Sample data loader for the unit tests (see vectors.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/bytes.h"
#include "vectors.h"

json_t *vectors_root(void)
{
	static json_t *root;
	json_error_t err;
	const char *path = getenv("MESHGATE_VECTORS");

	if (root)
		return root;
	if (!path)
		path = MESHGATE_VECTORS;
	root = json_load_file(path, 0, &err);
	if (!root) {
		fprintf(stderr, "cannot load sample data %s: %s (line %d)\n", path,
			err.text, err.line);
		fail();
	}
	return root;
}

json_t *vec_get(json_t *obj, const char *path)
{
	char buf[256];
	char *save = NULL;

	if (strlen(path) >= sizeof(buf))
		fail_msg("path too long: %s", path);
	strcpy(buf, path);
	for (char *tok = strtok_r(buf, ".", &save); tok && obj;
	     tok = strtok_r(NULL, ".", &save)) {
		if (tok[0] == '[')
			obj = json_array_get(obj, (size_t)strtoul(tok + 1, NULL, 10));
		else
			obj = json_object_get(obj, tok);
	}
	return obj;
}

int vec_has(json_t *obj, const char *path)
{
	json_t *v = vec_get(obj, path);

	return v && !json_is_null(v);
}

const char *vec_str(json_t *obj, const char *path)
{
	json_t *v = vec_get(obj, path);

	if (!json_is_string(v))
		fail_msg("sample data: %s is not a string", path);
	return json_string_value(v);
}

size_t vec_hex(json_t *obj, const char *path, uint8_t *out, size_t max)
{
	int n = mesh_hex_decode(vec_str(obj, path), out, max);

	if (n < 0)
		fail_msg("sample data: %s is not hex of at most %zu octets", path, max);
	return (size_t)n;
}

long long vec_int(json_t *obj, const char *path)
{
	json_t *v = vec_get(obj, path);

	if (!json_is_integer(v))
		fail_msg("sample data: %s is not an integer", path);
	return json_integer_value(v);
}

void assert_bytes_equal_at(const uint8_t *a, const uint8_t *b, size_t len,
			   const char *file, int line)
{
	char ha[2 * 512 + 1], hb[2 * 512 + 1];

	if (memcmp(a, b, len) == 0)
		return;
	if (len > 512)
		len = 512;
	mesh_hex_encode(a, len, ha);
	mesh_hex_encode(b, len, hb);
	fail_msg("%s:%d: bytes differ\n  got      %s\n  expected %s", file, line, ha, hb);
}
