/*
 * Device key table (see dev_keys.h).
 *
 * Node ranges never overlap (mesh_dev_keys_add refuses it), so an address
 * belongs to at most one node and lookup can stop at the first match.
 */
#include <string.h>

#include "addr.h"
#include "dev_keys.h"
#include "err.h"
#include "util.h"

void mesh_dev_keys_init(struct mesh_dev_keys *t)
{
	memset(t, 0, sizeof(*t));
}

static void dev_key_free(struct mesh_dev_key *k)
{
	mesh_aes_key_clear(&k->key);
	memset(k, 0, sizeof(*k));
}

void mesh_dev_keys_clear(struct mesh_dev_keys *t)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key); i++)
		if (t->key[i].used)
			dev_key_free(&t->key[i]);
}

static bool dev_key_owns(const struct mesh_dev_key *k, uint16_t addr)
{
	return k->used && k->elements && addr >= k->addr &&
	       (uint32_t)addr < (uint32_t)k->addr + k->elements;
}

struct mesh_dev_key *mesh_dev_keys_lookup(struct mesh_dev_keys *t, uint16_t addr)
{
	if (!mesh_addr_is_unicast(addr))
		return NULL;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key); i++)
		if (dev_key_owns(&t->key[i], addr))
			return &t->key[i];
	return NULL;
}

static bool dev_key_overlaps(const struct mesh_dev_keys *t, uint16_t addr, uint8_t elements)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key); i++) {
		const struct mesh_dev_key *k = &t->key[i];

		if (!k->used || !k->elements)
			continue;
		if ((uint32_t)addr < (uint32_t)k->addr + k->elements &&
		    (uint32_t)k->addr < (uint32_t)addr + elements)
			return true;
	}
	return false;
}

static struct mesh_dev_key *dev_key_find_any(struct mesh_dev_keys *t,
					     const uint8_t key[MESH_KEY_LEN])
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key); i++) {
		struct mesh_dev_key *k = &t->key[i];

		if (k->used && !k->elements && !memcmp(k->key.key, key, MESH_KEY_LEN))
			return k;
	}
	return NULL;
}

int mesh_dev_keys_add(struct mesh_dev_keys *t, uint16_t addr, uint8_t elements,
		      const uint8_t key[MESH_KEY_LEN])
{
	struct mesh_dev_key *k = NULL;
	int err;

	if (addr == MESH_ADDR_UNASSIGNED) {
		elements = 0;
		if (dev_key_find_any(t, key))
			return MESH_ERR_EXISTS;
	} else {
		if (!elements || !mesh_addr_is_unicast(addr) ||
		    (uint32_t)addr + elements - 1 > 0x7fff)
			return MESH_ERR_SRC;
		if (dev_key_overlaps(t, addr, elements))
			return MESH_ERR_EXISTS;
	}
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key) && !k; i++)
		if (!t->key[i].used)
			k = &t->key[i];
	if (!k)
		return MESH_ERR_FULL;
	err = mesh_aes_key_set(&k->key, key);
	if (err) {
		dev_key_free(k);
		return err;
	}
	k->addr = addr;
	k->elements = elements;
	k->used = true;
	return 0;
}

int mesh_dev_keys_delete(struct mesh_dev_keys *t, uint16_t addr)
{
	struct mesh_dev_key *k = mesh_dev_keys_lookup(t, addr);

	if (!k)
		return MESH_ERR_NOT_FOUND;
	dev_key_free(k);
	return 0;
}

int mesh_dev_keys_delete_any(struct mesh_dev_keys *t, const uint8_t key[MESH_KEY_LEN])
{
	struct mesh_dev_key *k = dev_key_find_any(t, key);

	if (!k)
		return MESH_ERR_NOT_FOUND;
	dev_key_free(k);
	return 0;
}

/*
 * Cursor 0 is src's node, 1 is dst's node, 2 + i is table slot i when it
 * holds an any-address key.
 */
struct mesh_dev_key *mesh_dev_keys_next(struct mesh_dev_keys *t, uint16_t src, uint16_t dst,
					unsigned int *cursor)
{
	struct mesh_dev_key *k;

	if (*cursor == 0) {
		(*cursor)++;
		k = mesh_dev_keys_lookup(t, src);
		if (k)
			return k;
	}
	if (*cursor == 1) {
		(*cursor)++;
		k = mesh_dev_keys_lookup(t, dst);
		if (k && k != mesh_dev_keys_lookup(t, src))
			return k;
	}
	while (*cursor - 2 < MESH_ARRAY_SIZE(t->key)) {
		k = &t->key[*cursor - 2];
		(*cursor)++;
		if (k->used && !k->elements)
			return k;
	}
	return NULL;
}
