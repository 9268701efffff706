/*
 * Application key table (see app_keys.h).
 *
 * An entry's two values are whole struct mesh_aes_key objects; promoting the
 * new value moves the struct (and so the ownership of its OpenSSL contexts)
 * instead of setting the key again, so key refresh completion allocates
 * nothing either.
 */
#include <string.h>

#include "app_keys.h"
#include "err.h"
#include "util.h"

void mesh_app_keys_init(struct mesh_app_keys *t)
{
	memset(t, 0, sizeof(*t));
}

static void app_key_free(struct mesh_app_key *k)
{
	mesh_aes_key_clear(&k->val[0].key);
	mesh_aes_key_clear(&k->val[1].key);
	memset(k, 0, sizeof(*k));
}

void mesh_app_keys_clear(struct mesh_app_keys *t)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key); i++)
		if (t->key[i].used)
			app_key_free(&t->key[i]);
}

struct mesh_app_key *mesh_app_keys_get(struct mesh_app_keys *t, uint16_t app_idx)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key); i++)
		if (t->key[i].used && t->key[i].app_idx == app_idx)
			return &t->key[i];
	return NULL;
}

/* Load key and its AID into a zeroed or cleared value. */
static int app_key_val_set(struct mesh_app_key_val *v, const uint8_t key[MESH_KEY_LEN])
{
	uint8_t aid;
	int err;

	err = mesh_k4(key, &aid);
	if (err)
		return err;
	err = mesh_aes_key_set(&v->key, key);
	if (err)
		return err;
	v->aid = aid;
	return 0;
}

int mesh_app_keys_add(struct mesh_app_keys *t, uint16_t app_idx, uint16_t net_idx,
		      const uint8_t key[MESH_KEY_LEN])
{
	struct mesh_app_key *k;
	int err;

	if (app_idx > MESH_KEY_INDEX_MAX || net_idx > MESH_KEY_INDEX_MAX)
		return MESH_ERR_KEY_INDEX;
	k = mesh_app_keys_get(t, app_idx);
	if (k) {
		if (k->net_idx == net_idx &&
		    !memcmp(k->val[0].key.key, key, MESH_KEY_LEN))
			return 0;
		return MESH_ERR_EXISTS;
	}
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key) && !k; i++)
		if (!t->key[i].used)
			k = &t->key[i];
	if (!k)
		return MESH_ERR_FULL;
	err = app_key_val_set(&k->val[0], key);
	if (err) {
		app_key_free(k);
		return err;
	}
	k->app_idx = app_idx;
	k->net_idx = net_idx;
	k->used = true;
	return 0;
}

int mesh_app_keys_update(struct mesh_app_keys *t, uint16_t app_idx, uint16_t net_idx,
			 const uint8_t key[MESH_KEY_LEN])
{
	struct mesh_app_key *k = mesh_app_keys_get(t, app_idx);
	int err;

	if (!k)
		return MESH_ERR_NOT_FOUND;
	if (k->net_idx != net_idx)
		return MESH_ERR_INVAL;
	if (k->updated)
		return memcmp(k->val[1].key.key, key, MESH_KEY_LEN) ? MESH_ERR_KEY_REFRESH : 0;
	err = app_key_val_set(&k->val[1], key);
	if (err) {
		mesh_aes_key_clear(&k->val[1].key);
		return err;
	}
	k->updated = true;
	return 0;
}

int mesh_app_keys_revoke_old(struct mesh_app_keys *t, uint16_t net_idx)
{
	int n = 0;

	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key); i++) {
		struct mesh_app_key *k = &t->key[i];

		if (!k->used || !k->updated || k->net_idx != net_idx)
			continue;
		mesh_aes_key_clear(&k->val[0].key);
		k->val[0] = k->val[1];
		memset(&k->val[1], 0, sizeof(k->val[1]));
		k->updated = false;
		n++;
	}
	return n;
}

int mesh_app_keys_delete(struct mesh_app_keys *t, uint16_t app_idx)
{
	struct mesh_app_key *k = mesh_app_keys_get(t, app_idx);

	if (!k)
		return MESH_ERR_NOT_FOUND;
	app_key_free(k);
	return 0;
}

void mesh_app_keys_delete_net(struct mesh_app_keys *t, uint16_t net_idx)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key); i++)
		if (t->key[i].used && t->key[i].net_idx == net_idx)
			app_key_free(&t->key[i]);
}

struct mesh_app_key_val *mesh_app_key_tx(struct mesh_app_key *k, bool new_key)
{
	return &k->val[new_key && k->updated];
}

/* The cursor counts values: slot i's current value is 2i, its new one 2i+1. */
struct mesh_app_key_val *mesh_app_keys_next(struct mesh_app_keys *t, uint16_t net_idx,
					    uint8_t aid, unsigned int *cursor,
					    struct mesh_app_key **key, bool *new_key)
{
	while (*cursor < 2 * MESH_ARRAY_SIZE(t->key)) {
		struct mesh_app_key *k = &t->key[*cursor / 2];
		unsigned int which = *cursor % 2;

		(*cursor)++;
		if (!k->used || k->net_idx != net_idx)
			continue;
		if (which && !k->updated)
			continue;
		if (k->val[which].aid != aid)
			continue;
		if (key)
			*key = k;
		if (new_key)
			*new_key = which;
		return &k->val[which];
	}
	return NULL;
}
