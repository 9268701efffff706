/*
 * Device keys (Mesh Profile 3.8.6.1).
 *
 * A gateway acting as Configuration Client holds the device key of every
 * node it provisioned, stored against the node's unicast address range
 * (primary address + element count) so a message from any of its elements
 * finds the key. The packet tool is also given bare device keys without an
 * address; those "any-address" keys are tried after the addressed ones.
 *
 * The table is a fixed array owned by the caller; every key keeps a struct
 * mesh_aes_key so the hot path allocates nothing after a key's first use.
 */
#ifndef MESH_DEV_KEYS_H
#define MESH_DEV_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define MESH_DEV_KEYS_MAX 256

struct mesh_dev_key {
	bool used;
	uint16_t addr;     /* primary element; MESH_ADDR_UNASSIGNED: any address */
	uint8_t elements;  /* 0 for an any-address key */
	struct mesh_aes_key key;
};

struct mesh_dev_keys {
	struct mesh_dev_key key[MESH_DEV_KEYS_MAX];
};

void mesh_dev_keys_init(struct mesh_dev_keys *t);
/* Delete every key, freeing cipher contexts and wiping key material. */
void mesh_dev_keys_clear(struct mesh_dev_keys *t);

/*
 * Add the device key of the node at addr with `elements` elements, or an
 * any-address key when addr is MESH_ADDR_UNASSIGNED (elements ignored).
 * MESH_ERR_SRC if the range is not all unicast, MESH_ERR_EXISTS if it
 * overlaps a stored node (or the any-address key is already stored),
 * MESH_ERR_FULL.
 */
int mesh_dev_keys_add(struct mesh_dev_keys *t, uint16_t addr, uint8_t elements,
		      const uint8_t key[MESH_KEY_LEN]);

/* Delete the key of the node whose range holds addr. MESH_ERR_NOT_FOUND. */
int mesh_dev_keys_delete(struct mesh_dev_keys *t, uint16_t addr);

/* Delete an any-address key by value. MESH_ERR_NOT_FOUND. */
int mesh_dev_keys_delete_any(struct mesh_dev_keys *t, const uint8_t key[MESH_KEY_LEN]);

/* The key of the node whose range holds unicast addr, or NULL. */
struct mesh_dev_key *mesh_dev_keys_lookup(struct mesh_dev_keys *t, uint16_t addr);

/*
 * Iterate over the keys that may secure a message between src and dst: the
 * key of the node at src (a node answering us), then that of the node at dst
 * (a message to a node, as a sniffer sees it), then every any-address key.
 * Start with *cursor = 0; NULL at the end.
 */
struct mesh_dev_key *mesh_dev_keys_next(struct mesh_dev_keys *t, uint16_t src, uint16_t dst,
					unsigned int *cursor);

#endif
