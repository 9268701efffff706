/*
 * Upper transport: access message encryption and the friendship control
 * message decoders (see upper_transport.h).
 *
 * Receive cost: the nonce is built once per message; each candidate key is
 * one AES-CCM pass over at most 380 octets, multiplied by the labels when
 * the destination is virtual. Candidates are found by scanning small fixed
 * tables, so nothing is allocated per message.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "bytes.h"
#include "crypto.h"
#include "err.h"
#include "net.h"
#include "upper_transport.h"
#include "util.h"

static size_t transmic_len(const struct mesh_transport_msg *msg)
{
	return msg->segmented && msg->szmic ? MESH_TRANSMIC_64 : MESH_TRANSMIC_32;
}

void mesh_upper_nonce(const struct mesh_transport_msg *msg, uint8_t nonce[MESH_NONCE_LEN])
{
	bool aszmic = msg->segmented && msg->szmic;

	if (msg->akf)
		mesh_nonce_application(nonce, aszmic, msg->seq, msg->src, msg->dst,
				       msg->iv_index);
	else
		mesh_nonce_device(nonce, aszmic, msg->seq, msg->src, msg->dst, msg->iv_index);
}

/* Check that label is the one dst was derived from. */
static int label_check(struct mesh_va_table *va, const uint8_t *label, uint16_t dst)
{
	const struct mesh_va *v = va ? mesh_va_find(va, label) : NULL;
	uint16_t addr;
	int err;

	if (v) {
		addr = v->addr;
	} else {
		err = mesh_virtual_address(label, &addr);
		if (err)
			return err;
	}
	return addr == dst ? 0 : MESH_ERR_DST;
}

static int tx_check(struct mesh_upper_keyring *kr, const struct mesh_upper_tx *tx,
		    const struct mesh_transport_msg *msg)
{
	if (!mesh_addr_is_unicast(msg->src))
		return MESH_ERR_SRC;
	if (mesh_addr_is_unassigned(msg->dst))
		return MESH_ERR_DST;
	if (!tx->len || msg->seq > MESH_SEQ_MAX)
		return MESH_ERR_INVAL;
	if (tx->len > mesh_upper_max_payload(msg->szmic))
		return MESH_ERR_OVERSIZED;
	if (!mesh_addr_is_virtual(msg->dst))
		return tx->label_uuid ? MESH_ERR_INVAL : 0;
	if (!tx->label_uuid)
		return MESH_ERR_NO_LABEL;
	return label_check(kr->va, tx->label_uuid, msg->dst);
}

/* Pick the key of sel; set akf/aid of msg. */
static int tx_key(struct mesh_upper_keyring *kr, const struct mesh_upper_key_sel *sel,
		  struct mesh_transport_msg *msg, struct mesh_aes_key **key)
{
	struct mesh_app_key *ak;
	struct mesh_app_key_val *val;
	struct mesh_dev_key *dk;
	unsigned int cursor = 0;

	if (sel->dev) {
		/* The node's own key, else the first any-address key. */
		dk = kr->dev ? mesh_dev_keys_next(kr->dev, sel->dev_addr,
						  MESH_ADDR_UNASSIGNED, &cursor) : NULL;
		if (!dk)
			return MESH_ERR_NO_DEVKEY;
		msg->akf = false;
		msg->aid = 0;
		*key = &dk->key;
		return 0;
	}
	ak = kr->app ? mesh_app_keys_get(kr->app, sel->app_idx) : NULL;
	if (!ak || ak->net_idx != msg->net_idx)
		return MESH_ERR_KEY_INDEX;
	val = mesh_app_key_tx(ak, sel->new_key);
	msg->akf = true;
	msg->aid = val->aid;
	*key = &val->key;
	return 0;
}

int mesh_upper_encrypt(struct mesh_upper_keyring *kr, const struct mesh_upper_tx *tx,
		       struct mesh_transport_msg *msg, uint8_t *out, size_t out_size)
{
	uint8_t nonce[MESH_NONCE_LEN];
	struct mesh_aes_key *key;
	size_t mic_len;
	int err;

	err = tx_check(kr, tx, msg);
	if (err)
		return err;
	if (msg->szmic || tx->len > MESH_ACCESS_MAX_UNSEG)
		msg->segmented = true;
	msg->ctl = false;
	mic_len = transmic_len(msg);
	if (out_size < tx->len + mic_len)
		return MESH_ERR_INVAL;
	err = tx_key(kr, &tx->key, msg, &key);
	if (err)
		return err;
	mesh_upper_nonce(msg, nonce);
	err = mesh_aes_ccm_encrypt(key, nonce, tx->label_uuid,
				   tx->label_uuid ? MESH_LABEL_UUID_LEN : 0, tx->payload, tx->len,
				   out, mic_len);
	if (err)
		return err;
	msg->pdu = out;
	msg->len = tx->len + mic_len;
	return 0;
}

static int rx_check(const struct mesh_transport_msg *msg, size_t mic_len, size_t out_size)
{
	if (msg->ctl || !msg->pdu)
		return MESH_ERR_INVAL;
	if (msg->len < mic_len + 1)
		return MESH_ERR_TRUNCATED;
	if (msg->len > (msg->segmented ? MESH_UPPER_MAX_PDU : MESH_UNSEG_ACCESS_MAX))
		return MESH_ERR_OVERSIZED;
	if (out_size < msg->len - mic_len)
		return MESH_ERR_INVAL;
	return 0;
}

/*
 * One key against msg: directly, or for a virtual dst with each label that
 * hashes to it. MESH_ERR_MIC when nothing authenticates; *label gets the
 * label that did.
 */
static int rx_try_key(struct mesh_aes_key *key, const uint8_t *nonce,
		      const struct mesh_transport_msg *msg, size_t mic_len,
		      struct mesh_va_table *va, uint8_t *out, const struct mesh_va **label)
{
	size_t len = msg->len - mic_len;
	int err;

	if (!mesh_addr_is_virtual(msg->dst))
		return mesh_aes_ccm_decrypt(key, nonce, NULL, 0, msg->pdu, len, out, mic_len);
	for (const struct mesh_va *v = mesh_va_next(va, msg->dst, NULL); v;
	     v = mesh_va_next(va, msg->dst, v)) {
		err = mesh_aes_ccm_decrypt(key, nonce, v->uuid, MESH_LABEL_UUID_LEN, msg->pdu,
					   len, out, mic_len);
		if (err != MESH_ERR_MIC) {
			if (!err)
				*label = v;
			return err;
		}
	}
	return MESH_ERR_MIC;
}

/*
 * The next candidate key of msg; fills the key part of info. cursor starts
 * at 0.
 */
static struct mesh_aes_key *rx_next_key(struct mesh_upper_keyring *kr,
					const struct mesh_transport_msg *msg,
					unsigned int *cursor, struct mesh_upper_key_info *info)
{
	struct mesh_app_key_val *val;
	struct mesh_app_key *ak;
	struct mesh_dev_key *dk;

	memset(info, 0, sizeof(*info));
	if (msg->akf) {
		if (!kr->app)
			return NULL;
		val = mesh_app_keys_next(kr->app, msg->net_idx, msg->aid, cursor, &ak,
					 &info->new_key);
		if (!val)
			return NULL;
		info->app_idx = ak->app_idx;
		return &val->key;
	}
	if (!kr->dev)
		return NULL;
	dk = mesh_dev_keys_next(kr->dev, msg->src, msg->dst, cursor);
	if (!dk)
		return NULL;
	info->dev = true;
	info->dev_addr = dk->addr;
	info->dev_slot = (unsigned int)(dk - kr->dev->key);
	return &dk->key;
}

int mesh_upper_decrypt(struct mesh_upper_keyring *kr, const struct mesh_transport_msg *msg,
		       uint8_t *out, size_t out_size, size_t *out_len,
		       struct mesh_upper_key_info *info)
{
	uint8_t nonce[MESH_NONCE_LEN];
	struct mesh_upper_key_info cand;
	const struct mesh_va *label = NULL;
	struct mesh_aes_key *key;
	unsigned int cursor = 0;
	size_t mic_len = transmic_len(msg);
	int err;

	err = rx_check(msg, mic_len, out_size);
	if (err)
		return err;
	key = rx_next_key(kr, msg, &cursor, &cand);
	if (!key)
		return msg->akf ? MESH_ERR_NO_APPKEY : MESH_ERR_NO_DEVKEY;
	if (mesh_addr_is_virtual(msg->dst) &&
	    (!kr->va || !mesh_va_next(kr->va, msg->dst, NULL)))
		return MESH_ERR_NO_LABEL;
	mesh_upper_nonce(msg, nonce);
	for (; key; key = rx_next_key(kr, msg, &cursor, &cand)) {
		err = rx_try_key(key, nonce, msg, mic_len, kr->va, out, &label);
		if (err != MESH_ERR_MIC)
			break;
	}
	if (err == MESH_ERR_MIC)
		return MESH_ERR_TRANSMIC;
	if (err)
		return err;
	if (label) {
		cand.has_label = true;
		memcpy(cand.label_uuid, label->uuid, MESH_LABEL_UUID_LEN);
	}
	if (info)
		*info = cand;
	*out_len = msg->len - mic_len;
	return 0;
}

int mesh_upper_key_info_format(const struct mesh_upper_key_info *info, char *buf,
			       size_t size)
{
	if (!info->dev)
		return snprintf(buf, size, "app:%u %s", info->app_idx,
				info->new_key ? "new" : "old");
	if (info->dev_addr)
		return snprintf(buf, size, "dev:0x%04x", info->dev_addr);
	return snprintf(buf, size, "dev:any#%u", info->dev_slot);
}

/* Length check shared by the fixed-size control messages. */
static int ctl_len(size_t len, size_t want)
{
	if (len < want)
		return MESH_ERR_TRUNCATED;
	if (len > want)
		return MESH_ERR_OVERSIZED;
	return 0;
}

int mesh_upper_friend_poll_decode(const uint8_t *p, size_t len, struct mesh_friend_poll *out)
{
	int err = ctl_len(len, 1);

	if (err)
		return err;
	if (p[0] & 0xfe)
		return MESH_ERR_RESERVED;
	out->fsn = p[0];
	return 0;
}

int mesh_upper_friend_update_decode(const uint8_t *p, size_t len,
				    struct mesh_friend_update *out)
{
	int err = ctl_len(len, 6);

	if (err)
		return err;
	if ((p[0] & 0xfc) || p[5] > 1)
		return MESH_ERR_RESERVED;
	out->flags = p[0];
	out->key_refresh = p[0] & 0x01;
	out->iv_update = p[0] & 0x02;
	out->iv_index = mesh_get_be32(p + 1);
	out->md = p[5];
	return 0;
}

#define FRIEND_POLL_TIMEOUT_MIN 0x00000a
#define FRIEND_POLL_TIMEOUT_MAX 0x34bbff
#define FRIEND_RECEIVE_DELAY_MIN 0x0a

int mesh_upper_friend_request_decode(const uint8_t *p, size_t len,
				     struct mesh_friend_request *out)
{
	struct mesh_friend_request r;
	int err = ctl_len(len, 10);

	if (err)
		return err;
	r.criteria = p[0];
	r.rssi_factor = (p[0] >> 5) & 0x03;
	r.receive_window_factor = (p[0] >> 3) & 0x03;
	r.min_queue_size_log = p[0] & 0x07;
	r.receive_delay = p[1];
	r.poll_timeout = mesh_get_be24(p + 2);
	r.previous_address = mesh_get_be16(p + 5);
	r.num_elements = p[7];
	r.lpn_counter = mesh_get_be16(p + 8);
	if ((r.criteria & 0x80) || !r.min_queue_size_log ||
	    r.receive_delay < FRIEND_RECEIVE_DELAY_MIN ||
	    r.poll_timeout < FRIEND_POLL_TIMEOUT_MIN || r.poll_timeout > FRIEND_POLL_TIMEOUT_MAX ||
	    !(mesh_addr_is_unassigned(r.previous_address) ||
	      mesh_addr_is_unicast(r.previous_address)) ||
	    !r.num_elements)
		return MESH_ERR_RESERVED;
	*out = r;
	return 0;
}

int mesh_upper_friend_offer_decode(const uint8_t *p, size_t len, struct mesh_friend_offer *out)
{
	int err = ctl_len(len, 6);

	if (err)
		return err;
	if (!p[0])
		return MESH_ERR_RESERVED;
	out->receive_window = p[0];
	out->queue_size = p[1];
	out->subscription_list_size = p[2];
	out->rssi = (int8_t)p[3];
	out->friend_counter = mesh_get_be16(p + 4);
	return 0;
}

int mesh_upper_ctl_decode(uint8_t opcode, const uint8_t *p, size_t len, struct mesh_ctl_msg *out)
{
	if (opcode > 0x7f)
		return MESH_ERR_OPCODE;
	out->opcode = opcode;
	switch (opcode) {
	case MESH_CTL_FRIEND_POLL:
		return mesh_upper_friend_poll_decode(p, len, &out->u.poll);
	case MESH_CTL_FRIEND_UPDATE:
		return mesh_upper_friend_update_decode(p, len, &out->u.update);
	case MESH_CTL_FRIEND_REQUEST:
		return mesh_upper_friend_request_decode(p, len, &out->u.request);
	case MESH_CTL_FRIEND_OFFER:
		return mesh_upper_friend_offer_decode(p, len, &out->u.offer);
	case MESH_CTL_HEARTBEAT:
		return mesh_heartbeat_decode(p, len, &out->u.heartbeat);
	}
	return MESH_ERR_UNKNOWN_OPCODE;
}

const char *mesh_upper_ctl_name(uint8_t opcode)
{
	static const char *const names[] = {
		[MESH_CTL_SEG_ACK] = "Segment Acknowledgment",
		[MESH_CTL_FRIEND_POLL] = "Friend Poll",
		[MESH_CTL_FRIEND_UPDATE] = "Friend Update",
		[MESH_CTL_FRIEND_REQUEST] = "Friend Request",
		[MESH_CTL_FRIEND_OFFER] = "Friend Offer",
		[MESH_CTL_FRIEND_CLEAR] = "Friend Clear",
		[MESH_CTL_FRIEND_CLEAR_CFM] = "Friend Clear Confirm",
		[MESH_CTL_FRIEND_SUB_ADD] = "Friend Subscription List Add",
		[MESH_CTL_FRIEND_SUB_REMOVE] = "Friend Subscription List Remove",
		[MESH_CTL_FRIEND_SUB_CFM] = "Friend Subscription List Confirm",
		[MESH_CTL_HEARTBEAT] = "Heartbeat",
	};

	if (opcode < MESH_ARRAY_SIZE(names))
		return names[opcode];
	return "RFU";
}
