/* Hex conversion for tools, tests and logs (see bytes.h). */
#include <string.h>

#include "bytes.h"
#include "err.h"

int mesh_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mesh_hex_decode(const char *hex, uint8_t *out, size_t max)
{
	size_t len = strlen(hex);

	if (len % 2)
		return MESH_ERR_INVAL;
	if (len / 2 > max)
		return MESH_ERR_OVERSIZED;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = mesh_hex_digit(hex[2 * i]);
		int lo = mesh_hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return MESH_ERR_INVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(len / 2);
}

void mesh_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}
