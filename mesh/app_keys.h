/*
 * Application keys (Mesh Profile 3.8.6.4, 4.3.1.1 AppKey List, 3.10.4 key
 * refresh).
 *
 * Each AppKey has a 12-bit index, is bound to one NetKey index, and is
 * identified on the air only by its 6-bit AID = k4(AppKey). AIDs collide
 * easily, so the receive path iterates over every key with the AID and lets
 * the TransMIC decide.
 *
 * During key refresh an entry holds two values: the current (old) key and the
 * new one stored by AppKey Update. Both are accepted on receive until the
 * bound subnet completes the procedure, when mesh_app_keys_revoke_old()
 * makes the new key the only one. Which of the two is used to send is the
 * caller's decision (it knows the subnet's phase), see struct
 * mesh_upper_key_sel.
 *
 * The table is a fixed array owned by the caller; every key keeps a struct
 * mesh_aes_key so the hot path allocates nothing after a key's first use.
 */
#ifndef MESH_APP_KEYS_H
#define MESH_APP_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "transport.h"

#define MESH_APP_KEYS_MAX 16


/* One value of an AppKey: the key with its contexts and its AID. */
struct mesh_app_key_val {
	struct mesh_aes_key key;
	uint8_t aid;
};

struct mesh_app_key {
	bool used;
	bool updated;        /* key refresh in progress: val[1] holds the new key */
	uint16_t app_idx;
	uint16_t net_idx;    /* bound NetKey index */
	struct mesh_app_key_val val[2]; /* [0] current/old, [1] new */
};

struct mesh_app_keys {
	struct mesh_app_key key[MESH_APP_KEYS_MAX];
};

void mesh_app_keys_init(struct mesh_app_keys *t);
/* Delete every key, freeing cipher contexts and wiping key material. */
void mesh_app_keys_clear(struct mesh_app_keys *t);

/*
 * Add AppKey app_idx bound to net_idx. Adding the same index with the same
 * key and binding again succeeds (Config AppKey Add is idempotent);
 * MESH_ERR_EXISTS if the index holds another key or binding, MESH_ERR_FULL,
 * MESH_ERR_KEY_INDEX for an index above 0xfff.
 */
int mesh_app_keys_add(struct mesh_app_keys *t, uint16_t app_idx, uint16_t net_idx,
		      const uint8_t key[MESH_KEY_LEN]);

/*
 * Store the new value of app_idx (AppKey Update, key refresh phase 1).
 * MESH_ERR_NOT_FOUND for an unknown index, MESH_ERR_INVAL if net_idx is not
 * the bound NetKey (Invalid Binding), MESH_ERR_KEY_REFRESH if another new
 * key is already stored; storing the same new key again succeeds.
 */
int mesh_app_keys_update(struct mesh_app_keys *t, uint16_t app_idx, uint16_t net_idx,
			 const uint8_t key[MESH_KEY_LEN]);

/*
 * Key refresh of subnet net_idx completed (phase 3 or back to normal
 * operation): every updated key bound to it keeps only its new value.
 * Returns the number of keys that changed.
 */
int mesh_app_keys_revoke_old(struct mesh_app_keys *t, uint16_t net_idx);

/* Delete AppKey app_idx. MESH_ERR_NOT_FOUND if unknown. */
int mesh_app_keys_delete(struct mesh_app_keys *t, uint16_t app_idx);

/* Delete every AppKey bound to net_idx (its NetKey was deleted). */
void mesh_app_keys_delete_net(struct mesh_app_keys *t, uint16_t net_idx);

/* The entry of app_idx, or NULL. */
struct mesh_app_key *mesh_app_keys_get(struct mesh_app_keys *t, uint16_t app_idx);

/*
 * The value to send with: the new one when new_key is set and the key is
 * being updated (subnet in key refresh phase 2), else the current one.
 */
struct mesh_app_key_val *mesh_app_key_tx(struct mesh_app_key *k, bool new_key);

/*
 * Iterate over the key values with this AID bound to net_idx: current
 * values and, during key refresh, new ones. Start with *cursor = 0; each
 * call returns the next candidate (its entry in *key and whether it is the
 * new value in *new_key), or NULL at the end.
 */
struct mesh_app_key_val *mesh_app_keys_next(struct mesh_app_keys *t, uint16_t net_idx,
					    uint8_t aid, unsigned int *cursor,
					    struct mesh_app_key **key, bool *new_key);

#endif
