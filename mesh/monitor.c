/*
 * Promiscuous multi-layer decoder (see monitor.h). It composes the same
 * layer functions a node uses, minus everything that keeps node state
 * consistent across a network (cache, RPL, relaying, acknowledgements).
 */
#include <string.h>

#include "addr.h"
#include "err.h"
#include "monitor.h"

/* The monitor binds every AppKey to this one pseudo subnet (see monitor.h). */
#define MONITOR_APP_NET_IDX 0

static int drop_ack(void *ctx, const struct mesh_net_tx *tx)
{
	(void)ctx;
	(void)tx;
	return 0;
}

static int next_ack_seq(void *ctx, uint16_t src, uint32_t *seq)
{
	struct mesh_monitor *m = ctx;

	(void)src;
	*seq = m->ack_seq++ & MESH_SEQ_MAX;
	return 0;
}

/* Always accepted: the monitor decrypts afterwards, keeps no replay list,
 * and should show a later message even when this one fails to decrypt. */
static int keep_message(void *ctx, const struct mesh_transport_msg *msg)
{
	struct mesh_monitor *m = ctx;
	struct mesh_monitor_result *r = m->current;

	if (!r || msg->len > sizeof(r->upper))
		return 0;
	r->msg = *msg;
	memcpy(r->upper, msg->pdu, msg->len);
	r->msg.pdu = r->upper;
	r->complete = true;
	return 0;
}

static const struct mesh_lt_ops monitor_lt_ops = {
	.net_send = drop_ack,
	.seq_next = next_ack_seq,
	.deliver = keep_message,
};

int mesh_monitor_init(struct mesh_monitor *m, uint32_t iv_index)
{
	memset(m, 0, sizeof(*m));
	m->iv_index = iv_index;
	mesh_app_keys_init(&m->app_keys);
	mesh_dev_keys_init(&m->dev_keys);
	mesh_va_init(&m->labels);
	m->keyring.app = &m->app_keys;
	m->keyring.dev = &m->dev_keys;
	m->keyring.va = &m->labels;
	mesh_timers_init(&m->timers, 0);
	return mesh_lt_init(&m->lt, &m->timers, NULL, &monitor_lt_ops, m);
}

void mesh_monitor_cleanup(struct mesh_monitor *m)
{
	mesh_lt_cleanup(&m->lt);
	for (unsigned int i = 0; i < m->cred_count; i++)
		mesh_net_cred_clear(&m->creds[i]);
	mesh_app_keys_clear(&m->app_keys);
	mesh_dev_keys_clear(&m->dev_keys);
	m->cred_count = 0;
}

int mesh_monitor_add_netkey(struct mesh_monitor *m, const uint8_t key[MESH_KEY_LEN])
{
	static const uint8_t master_p[] = { 0x00 };
	int err;

	if (m->cred_count == MESH_MONITOR_NETKEYS_MAX)
		return MESH_ERR_FULL;
	err = mesh_net_cred_derive(&m->creds[m->cred_count], key, master_p, sizeof(master_p));
	if (!err)
		m->cred_count++;
	return err;
}

int mesh_monitor_add_appkey(struct mesh_monitor *m, const uint8_t key[MESH_KEY_LEN])
{
	int err = mesh_app_keys_add(&m->app_keys, (uint16_t)m->app_count,
				    MONITOR_APP_NET_IDX, key);

	if (!err)
		m->app_count++;
	return err;
}

int mesh_monitor_add_devkey(struct mesh_monitor *m, const uint8_t key[MESH_KEY_LEN])
{
	return mesh_dev_keys_add(&m->dev_keys, MESH_ADDR_UNASSIGNED, 0, key);
}

int mesh_monitor_add_label(struct mesh_monitor *m, const uint8_t uuid[MESH_LABEL_UUID_LEN])
{
	return mesh_va_add(&m->labels, uuid, NULL);
}

static int fail(struct mesh_monitor_result *r, enum mesh_monitor_layer layer, int err)
{
	r->err = err;
	r->err_layer = layer;
	return err;
}

/*
 * Try every NetKey. When none authenticates, report the most telling
 * reason: a key whose NID matched but whose NetMIC failed says more than
 * "no key with this NID".
 */
static int decode_network(struct mesh_monitor *m, const uint8_t *pdu, size_t len,
			  struct mesh_monitor_result *r)
{
	int best = MESH_ERR_UNKNOWN_NID;
	uint32_t iv = m->iv_index;

	if (len == 0)
		return MESH_ERR_TRUNCATED;
	/* IVI is the low bit of the IV index used; if it differs, the sender
	 * is still on the previous IV index. */
	if ((pdu[0] >> 7) != (iv & 1)) {
		if (iv == 0)
			return MESH_ERR_IV_INDEX;
		iv--;
	}
	for (unsigned int i = 0; i < m->cred_count; i++) {
		int err = mesh_net_pdu_decode(&m->creds[i], iv, pdu, len, &r->net);

		if (!err) {
			r->netkey = i;
			r->net.net_idx = (uint16_t)i;
			return 0;
		}
		if (best == MESH_ERR_UNKNOWN_NID || err != MESH_ERR_UNKNOWN_NID)
			best = err;
	}
	return best;
}

static int decrypt_access(struct mesh_monitor *m, struct mesh_monitor_result *r)
{
	struct mesh_transport_msg msg = r->msg;
	int err;

	msg.net_idx = MONITOR_APP_NET_IDX;
	err = mesh_upper_decrypt(&m->keyring, &msg, r->payload, sizeof(r->payload),
				 &r->payload_len, &r->key);
	if (err)
		return fail(r, MESH_MONITOR_UPPER_TRANSPORT, err);
	r->decrypted = true;
	err = mesh_access_parse(r->payload, r->payload_len, &r->access);
	if (err)
		return fail(r, MESH_MONITOR_ACCESS, err);
	r->opcode_ok = true;
	return 0;
}

static bool is_segment_ack(const struct mesh_lt_pdu *lt)
{
	return lt->ctl && !lt->seg && lt->opcode == MESH_CTL_SEG_ACK;
}

static void keep_ack(struct mesh_monitor_result *r)
{
	memcpy(r->upper, r->lt.payload, r->lt.payload_len);
	r->msg = (struct mesh_transport_msg){
		.net_idx = r->net.net_idx, .iv_index = r->net.iv_index,
		.src = r->net.src, .dst = r->net.dst, .ttl = r->net.ttl,
		.ctl = true, .seq = r->net.seq, .opcode = MESH_CTL_SEG_ACK,
		.pdu = r->upper, .len = r->lt.payload_len,
	};
	r->complete = true;
}

int mesh_monitor_decode(struct mesh_monitor *m, const uint8_t *pdu, size_t len,
			struct mesh_monitor_result *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = decode_network(m, pdu, len, r);
	if (err)
		return fail(r, MESH_MONITOR_NETWORK, err);
	r->net_ok = true;

	err = mesh_lt_decode(r->net.ctl, r->net.transport, r->net.transport_len, &r->lt);
	if (err)
		return fail(r, MESH_MONITOR_LOWER_TRANSPORT, err);
	r->lt_ok = true;
	/* An acknowledgement is a complete control message in itself; the
	 * monitor sends nothing that could await it. */
	if (is_segment_ack(&r->lt)) {
		keep_ack(r);
		return 0;
	}

	m->current = r;
	err = mesh_lt_receive(&m->lt, &r->net);
	m->current = NULL;
	if (err)
		return fail(r, MESH_MONITOR_LOWER_TRANSPORT, err);
	if (r->complete && !r->msg.ctl)
		return decrypt_access(m, r);
	return 0;
}
