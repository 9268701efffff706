/*
 * Octet order helpers and hex conversion.
 *
 * Mesh network, transport and beacon headers are big-endian; access layer
 * parameters (company IDs, key indexes, model IDs) are little-endian.
 */
#ifndef MESH_BYTES_H
#define MESH_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t mesh_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t mesh_get_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t mesh_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t mesh_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[1] << 8 | p[0]);
}

static inline void mesh_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void mesh_put_be24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static inline void mesh_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void mesh_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/*
 * Parse a hex string (upper or lower case, even length, no separators) into
 * out. Returns the number of octets written, or a negative enum mesh_err:
 * MESH_ERR_INVAL for a non-hex character or odd length, MESH_ERR_OVERSIZED
 * when it would not fit in max octets.
 */
int mesh_hex_decode(const char *hex, uint8_t *out, size_t max);

/* One hexadecimal digit's value (either case), or -1. */
int mesh_hex_digit(char c);

/* Write 2*len lowercase hex digits and a NUL to out (2*len+1 octets). */
void mesh_hex_encode(const uint8_t *in, size_t len, char *out);

#endif
