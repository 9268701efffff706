/* NetKey table and key refresh phases (see subnet.h). */
#include "subnet.h"

#include <string.h>

#include <openssl/crypto.h>

#include "err.h"

void mesh_subnets_init(struct mesh_subnets *s)
{
	memset(s, 0, sizeof(*s));
}

static void keys_clear(struct mesh_subnet_keys *k)
{
	mesh_net_cred_clear(&k->cred);
	OPENSSL_cleanse(k, sizeof(*k));
}

static int keys_derive(struct mesh_subnet_keys *k, const uint8_t key[MESH_KEY_LEN])
{
	static const uint8_t master_p[] = { 0x00 };
	int err;

	memcpy(k->net_key, key, MESH_KEY_LEN);
	err = mesh_net_cred_derive(&k->cred, key, master_p, sizeof(master_p));
	if (!err)
		err = mesh_network_id(key, k->net_id);
	if (!err)
		err = mesh_beacon_key(key, k->beacon_key);
	if (!err)
		err = mesh_identity_key(key, k->identity_key);
	if (err)
		keys_clear(k);
	return err;
}

static void subnet_clear(struct mesh_subnet *sub)
{
	keys_clear(&sub->keys[0]);
	keys_clear(&sub->keys[1]);
	memset(sub, 0, sizeof(*sub));
}

void mesh_subnets_clear(struct mesh_subnets *s)
{
	for (size_t i = 0; i < MESH_SUBNET_MAX; i++)
		subnet_clear(&s->sub[i]);
}

struct mesh_subnet *mesh_subnet_find(struct mesh_subnets *s, uint16_t net_idx)
{
	for (size_t i = 0; i < MESH_SUBNET_MAX; i++)
		if (s->sub[i].in_use && s->sub[i].net_idx == net_idx)
			return &s->sub[i];
	return NULL;
}

int mesh_subnet_add(struct mesh_subnets *s, uint16_t net_idx, const uint8_t key[MESH_KEY_LEN])
{
	struct mesh_subnet *sub;
	int err;

	if (net_idx > MESH_KEY_INDEX_MAX)
		return MESH_ERR_KEY_INDEX;
	sub = mesh_subnet_find(s, net_idx);
	if (sub)
		return memcmp(sub->keys[sub->old].net_key, key, MESH_KEY_LEN) ?
			MESH_ERR_EXISTS : 0;
	for (sub = s->sub; sub < s->sub + MESH_SUBNET_MAX && sub->in_use; sub++)
		;
	if (sub == s->sub + MESH_SUBNET_MAX)
		return MESH_ERR_FULL;
	memset(sub, 0, sizeof(*sub));
	err = keys_derive(&sub->keys[0], key);
	if (err)
		return err;
	sub->net_idx = net_idx;
	sub->in_use = true;
	return 0;
}

int mesh_subnet_update(struct mesh_subnets *s, uint16_t net_idx,
		       const uint8_t new_key[MESH_KEY_LEN])
{
	struct mesh_subnet *sub = mesh_subnet_find(s, net_idx);
	struct mesh_subnet_keys *next;
	int err;

	if (!sub)
		return MESH_ERR_KEY_INDEX;
	next = &sub->keys[sub->old ^ 1];
	if (sub->kr_phase == MESH_KR_PHASE_1)
		return memcmp(next->net_key, new_key, MESH_KEY_LEN) ?
			MESH_ERR_KEY_REFRESH : 0;
	if (sub->kr_phase != MESH_KR_NORMAL)
		return MESH_ERR_KEY_REFRESH;
	err = keys_derive(next, new_key);
	if (err)
		return err;
	sub->kr_phase = MESH_KR_PHASE_1;
	return 0;
}

int mesh_subnet_delete(struct mesh_subnets *s, uint16_t net_idx)
{
	struct mesh_subnet *sub = mesh_subnet_find(s, net_idx);

	if (!sub)
		return MESH_ERR_KEY_INDEX;
	subnet_clear(sub);
	return 0;
}

/* Phase 3: the new key becomes the only key, which is phase 0 again. */
static void subnet_revoke_old(struct mesh_subnet *sub)
{
	keys_clear(&sub->keys[sub->old]);
	sub->old ^= 1;
	sub->kr_phase = MESH_KR_NORMAL;
}

int mesh_subnet_kr_set(struct mesh_subnets *s, uint16_t net_idx, uint8_t transition)
{
	struct mesh_subnet *sub = mesh_subnet_find(s, net_idx);

	if (!sub)
		return MESH_ERR_KEY_INDEX;
	if (transition != MESH_KR_PHASE_2 && transition != MESH_KR_PHASE_3)
		return MESH_ERR_INVAL;
	switch (sub->kr_phase) {
	case MESH_KR_NORMAL:
		/* nothing to switch to; 3 is a harmless repeat of a revoke */
		return transition == MESH_KR_PHASE_3 ? 0 : MESH_ERR_KEY_REFRESH;
	case MESH_KR_PHASE_1:
		if (transition == MESH_KR_PHASE_2)
			sub->kr_phase = MESH_KR_PHASE_2;
		else
			subnet_revoke_old(sub);
		return 0;
	case MESH_KR_PHASE_2:
		if (transition == MESH_KR_PHASE_3)
			subnet_revoke_old(sub);
		return 0;
	}
	return MESH_ERR_KEY_REFRESH;
}

int mesh_subnet_kr_beacon(struct mesh_subnets *s, uint16_t net_idx, bool new_key,
			  bool kr_flag)
{
	struct mesh_subnet *sub = mesh_subnet_find(s, net_idx);

	if (!sub)
		return MESH_ERR_KEY_INDEX;
	/* Only a beacon under the new key proves the network moved on. */
	if (!new_key || sub->kr_phase == MESH_KR_NORMAL)
		return 0;
	if (kr_flag) {
		if (sub->kr_phase == MESH_KR_PHASE_1)
			sub->kr_phase = MESH_KR_PHASE_2;
		return 0;
	}
	subnet_revoke_old(sub);
	return 0;
}

bool mesh_subnet_tx_new(const struct mesh_subnet *sub)
{
	return sub->kr_phase == MESH_KR_PHASE_2;
}

struct mesh_subnet_keys *mesh_subnet_tx_keys(struct mesh_subnet *sub)
{
	return &sub->keys[mesh_subnet_tx_new(sub) ? sub->old ^ 1 : sub->old];
}

struct mesh_subnet_keys *mesh_subnet_rx_keys(struct mesh_subnet *sub, bool new_key)
{
	if (!new_key)
		return &sub->keys[sub->old];
	if (sub->kr_phase == MESH_KR_PHASE_1 || sub->kr_phase == MESH_KR_PHASE_2)
		return &sub->keys[sub->old ^ 1];
	return NULL;
}
