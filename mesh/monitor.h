/*
 * Promiscuous decoding of network PDUs with a set of known keys: what the
 * packet tool (`meshgate pdu decode`) and diagnostics use to show every
 * layer of a captured PDU.
 *
 * Unlike a node's receive path it relays nothing, keeps no replay list and
 * no network cache (a relayed copy is shown too), sends no acknowledgements
 * and accepts every destination. Segments are reassembled by the real lower
 * transport, so what it shows is what a node would have received. NetKeys,
 * AppKeys and device keys come without bindings or addresses: any AppKey
 * is tried on traffic of any NetKey, and every device key on every message.
 */
#ifndef MESH_MONITOR_H
#define MESH_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "lower_transport.h"
#include "net.h"
#include "timer.h"
#include "upper_transport.h"

#define MESH_MONITOR_NETKEYS_MAX 8

/* Which layer a result's error comes from. */
enum mesh_monitor_layer {
	MESH_MONITOR_NETWORK,
	MESH_MONITOR_LOWER_TRANSPORT,
	MESH_MONITOR_UPPER_TRANSPORT,
	MESH_MONITOR_ACCESS,
};

struct mesh_monitor_result {
	int err;                          /* 0, or why decoding stopped */
	enum mesh_monitor_layer err_layer;
	/* Network layer: valid once net_ok. */
	bool net_ok;
	unsigned int netkey;              /* position of the NetKey that decoded it */
	struct mesh_net_rx net;
	/* Lower transport header: valid once lt_ok. */
	bool lt_ok;
	struct mesh_lt_pdu lt;
	/* A complete upper transport message: valid once complete. */
	bool complete;
	struct mesh_transport_msg msg;    /* msg.pdu points into upper[] */
	uint8_t upper[MESH_UPPER_MAX_PDU];
	/* Access messages: decrypted payload, valid once decrypted. */
	bool decrypted;
	struct mesh_upper_key_info key;
	uint8_t payload[MESH_UPPER_MAX_PDU];
	size_t payload_len;
	bool opcode_ok;
	struct mesh_access_pdu access;    /* points into payload[] */
};

struct mesh_monitor {
	uint32_t iv_index;
	struct mesh_net_cred creds[MESH_MONITOR_NETKEYS_MAX];
	unsigned int cred_count;
	struct mesh_app_keys app_keys;
	unsigned int app_count;
	struct mesh_dev_keys dev_keys;
	struct mesh_va_table labels;
	struct mesh_upper_keyring keyring;
	struct mesh_timers timers;
	struct mesh_lower_transport lt;
	struct mesh_monitor_result *current; /* result being filled */
	uint32_t ack_seq;                    /* SEQ for acks the lower transport "sends" */
};

int mesh_monitor_init(struct mesh_monitor *m, uint32_t iv_index);
void mesh_monitor_cleanup(struct mesh_monitor *m);

/* Keys are numbered in the order they are added, from 0. */
int mesh_monitor_add_netkey(struct mesh_monitor *m, const uint8_t key[MESH_KEY_LEN]);
int mesh_monitor_add_appkey(struct mesh_monitor *m, const uint8_t key[MESH_KEY_LEN]);
int mesh_monitor_add_devkey(struct mesh_monitor *m, const uint8_t key[MESH_KEY_LEN]);
int mesh_monitor_add_label(struct mesh_monitor *m, const uint8_t uuid[MESH_LABEL_UUID_LEN]);

/*
 * Decode one network PDU as far as the keys allow. Returns r->err: 0 when
 * every layer it reached decoded (a segment that does not yet complete its
 * message is success), else the first failure, with r->err_layer.
 */
int mesh_monitor_decode(struct mesh_monitor *m, const uint8_t *pdu, size_t len,
			struct mesh_monitor_result *r);

#endif
