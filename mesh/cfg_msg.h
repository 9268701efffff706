/*
 * Configuration messages (Mesh Profile 1.0.1 / Mesh Protocol 1.1, 4.3):
 * the requests a Configuration Client sends and the statuses a
 * Configuration Server answers with, in both directions.
 *
 * One codec serves three users: the gateway's Configuration Client
 * (cfg_cli.c) encodes requests and decodes statuses, the simulator's
 * Configuration Server decodes requests and encodes statuses, and the
 * gateway's database updater reads the decoded statuses. A message is a
 * struct mesh_cfg_msg: the opcode plus a union with one member per message
 * shape. Several opcodes share a shape (AppKey Add/Update/Delete/Status all
 * use .app_key); each member's comment says which fields each opcode
 * carries. Fields an opcode does not carry are zero after decoding and
 * ignored by encoding.
 *
 * Decoding takes untrusted octets: the length must be exactly what the
 * opcode needs (MESH_ERR_TRUNCATED / MESH_ERR_OVERSIZED; lists must be a
 * whole number of entries, else MESH_ERR_MALFORMED), and values the
 * specification prohibits or reserves are refused with MESH_ERR_RESERVED.
 * Encoding refuses the same values with MESH_ERR_INVAL: we never send what
 * a peer must reject. So everything that decodes encodes back to the same
 * octets, and the fuzz target checks exactly that.
 *
 * Status codes (4.3.5) are passed through whatever their value: a code a
 * later specification adds still tells the client the request failed.
 *
 * Composition Data is carried opaque in the Composition Data Status (its
 * layout depends on the page); mesh_cfg_comp0_parse() reads page 0.
 */
#ifndef MESH_CFG_MSG_H
#define MESH_CFG_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "transport.h"
#include "va.h"

/* --- Opcodes (4.3.4, Table 4.289) --------------------------------------- */

#define MESH_OP_CFG_APPKEY_ADD               MESH_OP_1(0x00)
#define MESH_OP_CFG_APPKEY_UPDATE            MESH_OP_1(0x01)
#define MESH_OP_CFG_COMP_DATA_STATUS         MESH_OP_1(0x02)
#define MESH_OP_CFG_MODEL_PUB_SET            MESH_OP_1(0x03)
#define MESH_OP_CFG_HB_PUB_STATUS            MESH_OP_1(0x06)
#define MESH_OP_CFG_APPKEY_DELETE            MESH_OP_2(0x80, 0x00)
#define MESH_OP_CFG_APPKEY_GET               MESH_OP_2(0x80, 0x01)
#define MESH_OP_CFG_APPKEY_LIST              MESH_OP_2(0x80, 0x02)
#define MESH_OP_CFG_APPKEY_STATUS            MESH_OP_2(0x80, 0x03)
#define MESH_OP_CFG_COMP_DATA_GET            MESH_OP_2(0x80, 0x08)
#define MESH_OP_CFG_BEACON_GET               MESH_OP_2(0x80, 0x09)
#define MESH_OP_CFG_BEACON_SET               MESH_OP_2(0x80, 0x0a)
#define MESH_OP_CFG_BEACON_STATUS            MESH_OP_2(0x80, 0x0b)
#define MESH_OP_CFG_DEFAULT_TTL_GET          MESH_OP_2(0x80, 0x0c)
#define MESH_OP_CFG_DEFAULT_TTL_SET          MESH_OP_2(0x80, 0x0d)
#define MESH_OP_CFG_DEFAULT_TTL_STATUS       MESH_OP_2(0x80, 0x0e)
#define MESH_OP_CFG_FRIEND_GET               MESH_OP_2(0x80, 0x0f)
#define MESH_OP_CFG_FRIEND_SET               MESH_OP_2(0x80, 0x10)
#define MESH_OP_CFG_FRIEND_STATUS            MESH_OP_2(0x80, 0x11)
#define MESH_OP_CFG_GATT_PROXY_GET           MESH_OP_2(0x80, 0x12)
#define MESH_OP_CFG_GATT_PROXY_SET           MESH_OP_2(0x80, 0x13)
#define MESH_OP_CFG_GATT_PROXY_STATUS        MESH_OP_2(0x80, 0x14)
#define MESH_OP_CFG_KRP_GET                  MESH_OP_2(0x80, 0x15)
#define MESH_OP_CFG_KRP_SET                  MESH_OP_2(0x80, 0x16)
#define MESH_OP_CFG_KRP_STATUS               MESH_OP_2(0x80, 0x17)
#define MESH_OP_CFG_MODEL_PUB_GET            MESH_OP_2(0x80, 0x18)
#define MESH_OP_CFG_MODEL_PUB_STATUS         MESH_OP_2(0x80, 0x19)
#define MESH_OP_CFG_MODEL_PUB_VA_SET         MESH_OP_2(0x80, 0x1a)
#define MESH_OP_CFG_MODEL_SUB_ADD            MESH_OP_2(0x80, 0x1b)
#define MESH_OP_CFG_MODEL_SUB_DELETE         MESH_OP_2(0x80, 0x1c)
#define MESH_OP_CFG_MODEL_SUB_DELETE_ALL     MESH_OP_2(0x80, 0x1d)
#define MESH_OP_CFG_MODEL_SUB_OVERWRITE      MESH_OP_2(0x80, 0x1e)
#define MESH_OP_CFG_MODEL_SUB_STATUS         MESH_OP_2(0x80, 0x1f)
#define MESH_OP_CFG_MODEL_SUB_VA_ADD         MESH_OP_2(0x80, 0x20)
#define MESH_OP_CFG_MODEL_SUB_VA_DELETE      MESH_OP_2(0x80, 0x21)
#define MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE   MESH_OP_2(0x80, 0x22)
#define MESH_OP_CFG_NET_TRANSMIT_GET         MESH_OP_2(0x80, 0x23)
#define MESH_OP_CFG_NET_TRANSMIT_SET         MESH_OP_2(0x80, 0x24)
#define MESH_OP_CFG_NET_TRANSMIT_STATUS      MESH_OP_2(0x80, 0x25)
#define MESH_OP_CFG_RELAY_GET                MESH_OP_2(0x80, 0x26)
#define MESH_OP_CFG_RELAY_SET                MESH_OP_2(0x80, 0x27)
#define MESH_OP_CFG_RELAY_STATUS             MESH_OP_2(0x80, 0x28)
#define MESH_OP_CFG_SIG_MODEL_SUB_GET        MESH_OP_2(0x80, 0x29)
#define MESH_OP_CFG_SIG_MODEL_SUB_LIST       MESH_OP_2(0x80, 0x2a)
#define MESH_OP_CFG_VND_MODEL_SUB_GET        MESH_OP_2(0x80, 0x2b)
#define MESH_OP_CFG_VND_MODEL_SUB_LIST       MESH_OP_2(0x80, 0x2c)
#define MESH_OP_CFG_HB_PUB_GET               MESH_OP_2(0x80, 0x38)
#define MESH_OP_CFG_HB_PUB_SET               MESH_OP_2(0x80, 0x39)
#define MESH_OP_CFG_HB_SUB_GET               MESH_OP_2(0x80, 0x3a)
#define MESH_OP_CFG_HB_SUB_SET               MESH_OP_2(0x80, 0x3b)
#define MESH_OP_CFG_HB_SUB_STATUS            MESH_OP_2(0x80, 0x3c)
#define MESH_OP_CFG_MODEL_APP_BIND           MESH_OP_2(0x80, 0x3d)
#define MESH_OP_CFG_MODEL_APP_STATUS         MESH_OP_2(0x80, 0x3e)
#define MESH_OP_CFG_MODEL_APP_UNBIND         MESH_OP_2(0x80, 0x3f)
#define MESH_OP_CFG_NETKEY_ADD               MESH_OP_2(0x80, 0x40)
#define MESH_OP_CFG_NETKEY_DELETE            MESH_OP_2(0x80, 0x41)
#define MESH_OP_CFG_NETKEY_GET               MESH_OP_2(0x80, 0x42)
#define MESH_OP_CFG_NETKEY_LIST              MESH_OP_2(0x80, 0x43)
#define MESH_OP_CFG_NETKEY_STATUS            MESH_OP_2(0x80, 0x44)
#define MESH_OP_CFG_NETKEY_UPDATE            MESH_OP_2(0x80, 0x45)
#define MESH_OP_CFG_NODE_IDENTITY_GET        MESH_OP_2(0x80, 0x46)
#define MESH_OP_CFG_NODE_IDENTITY_SET        MESH_OP_2(0x80, 0x47)
#define MESH_OP_CFG_NODE_IDENTITY_STATUS     MESH_OP_2(0x80, 0x48)
#define MESH_OP_CFG_NODE_RESET               MESH_OP_2(0x80, 0x49)
#define MESH_OP_CFG_NODE_RESET_STATUS        MESH_OP_2(0x80, 0x4a)
#define MESH_OP_CFG_SIG_MODEL_APP_GET        MESH_OP_2(0x80, 0x4b)
#define MESH_OP_CFG_SIG_MODEL_APP_LIST       MESH_OP_2(0x80, 0x4c)
#define MESH_OP_CFG_VND_MODEL_APP_GET        MESH_OP_2(0x80, 0x4d)
#define MESH_OP_CFG_VND_MODEL_APP_LIST       MESH_OP_2(0x80, 0x4e)

/* Not an opcode (access.h): "no such request" from mesh_cfg_status_opcode_for. */
#define MESH_CFG_OP_NONE 0xffffffffu

/* SIG model IDs of the Configuration models. */
#define MESH_MODEL_ID_CFG_SRV 0x0000
#define MESH_MODEL_ID_CFG_CLI 0x0001

/* --- Status codes (4.3.5, Table 4.296) ---------------------------------- */

enum mesh_cfg_status {
	MESH_CFG_SUCCESS = 0x00,
	MESH_CFG_INVALID_ADDRESS = 0x01,
	MESH_CFG_INVALID_MODEL = 0x02,
	MESH_CFG_INVALID_APPKEY = 0x03,          /* Invalid AppKey Index */
	MESH_CFG_INVALID_NETKEY = 0x04,          /* Invalid NetKey Index */
	MESH_CFG_INSUFFICIENT_RESOURCES = 0x05,
	MESH_CFG_KEY_INDEX_ALREADY_STORED = 0x06,
	MESH_CFG_INVALID_PUB_PARAMS = 0x07,
	MESH_CFG_NOT_A_SUB_MODEL = 0x08,
	MESH_CFG_STORAGE_FAILURE = 0x09,
	MESH_CFG_FEATURE_NOT_SUPPORTED = 0x0a,
	MESH_CFG_CANNOT_UPDATE = 0x0b,
	MESH_CFG_CANNOT_REMOVE = 0x0c,
	MESH_CFG_CANNOT_BIND = 0x0d,
	MESH_CFG_TEMP_UNABLE_TO_CHANGE = 0x0e,
	MESH_CFG_CANNOT_SET = 0x0f,
	MESH_CFG_UNSPECIFIED_ERROR = 0x10,
	MESH_CFG_INVALID_BINDING = 0x11,
	/* 0x12-0xff RFU */
};

/* "Success", "Invalid Address", ... as the specification names them;
 * "RFU" for codes it does not define. Never NULL. */
const char *mesh_cfg_status_str(uint8_t status);

/* --- Field values ------------------------------------------------------- */

/* Beacon, GATT Proxy, Friend, Node Identity and Relay states (4.2.x):
 * Set messages carry only DISABLED/ENABLED; NOT_SUPPORTED appears in
 * statuses of GATT Proxy, Friend, Node Identity and Relay. */
#define MESH_CFG_DISABLED 0x00
#define MESH_CFG_ENABLED 0x01
#define MESH_CFG_NOT_SUPPORTED 0x02

/* Default TTL (4.2.7): 0x00 and 0x02-0x7f; 0x01 and 0x80-0xff prohibited. */
#define MESH_CFG_TTL_MAX 0x7f
/* Publish TTL 0xff: use the publishing node's Default TTL (4.2.2.5). */
#define MESH_CFG_PUB_TTL_DEFAULT 0xff

/* Key Refresh Phase (4.2.14): statuses carry phases 0-2, the Set message
 * carries a transition, 2 or 3. */
#define MESH_CFG_KR_PHASE_NORMAL 0x00
#define MESH_CFG_KR_PHASE_1 0x01
#define MESH_CFG_KR_PHASE_2 0x02
#define MESH_CFG_KR_TRANSITION_2 0x02
#define MESH_CFG_KR_TRANSITION_3 0x03

/* Key indexes are 12 bits (4.3.1.1). */
#define MESH_CFG_KEY_IDX_MAX 0x0fff
#define MESH_CFG_KEY_LEN 16

/* Heartbeat log fields (4.2.17, 4.2.18). */
#define MESH_CFG_HB_LOG_MAX 0x11            /* largest 2^(n-1) exponent field */
#define MESH_CFG_HB_COUNT_LOG_INFINITE 0xff /* Count Log 0xff: count 0xffff */
#define MESH_CFG_HB_COUNT_INFINITE 0xffffu  /* "indefinitely" / saturated */

/*
 * Bounds of the lists a status can carry: enough for any list that fits in
 * one access message (MESH_ACCESS_MAX_PAYLOAD), so decoding never has to
 * cut a list short. A key index list packs two indexes in 3 octets; an
 * address list takes 2 octets per address.
 */
#define MESH_CFG_KEY_LIST_MAX 252
#define MESH_CFG_ADDR_LIST_MAX 188
/* Composition Data Status: everything after the opcode and Page octets. */
#define MESH_CFG_COMP_DATA_MAX (MESH_ACCESS_MAX_PAYLOAD - 2)

/* --- Message shapes ------------------------------------------------------ */

/* Composition Data Get: page. Status: page, len, data (the page's octets,
 * copied; page 0 is read with mesh_cfg_comp0_parse()). */
struct mesh_cfg_comp_data {
	uint8_t page;
	uint16_t len;
	uint8_t data[MESH_CFG_COMP_DATA_MAX];
};

/* Relay Set/Status: relay (Set: DISABLED/ENABLED; Status: also
 * NOT_SUPPORTED) and retransmit (mesh_cfg_transmit_pack() layout). */
struct mesh_cfg_relay {
	uint8_t relay;
	uint8_t retransmit;
};

/* Node Identity Get: net_idx. Set: net_idx, identity (DISABLED/ENABLED).
 * Status: status, net_idx, identity (also NOT_SUPPORTED). */
struct mesh_cfg_node_identity {
	uint8_t status;
	uint16_t net_idx;
	uint8_t identity;
};

/* Key Refresh Phase Get: net_idx. Set: net_idx, phase = the transition
 * (MESH_CFG_KR_TRANSITION_2/3). Status: status, net_idx, phase (0..2). */
struct mesh_cfg_krp {
	uint8_t status;
	uint16_t net_idx;
	uint8_t phase;
};

/* NetKey Add/Update: net_idx, key. Delete: net_idx. Status: status,
 * net_idx. */
struct mesh_cfg_net_key {
	uint8_t status;
	uint16_t net_idx;
	uint8_t key[MESH_CFG_KEY_LEN];
};

/* AppKey Add/Update: net_idx, app_idx, key. Delete: net_idx, app_idx.
 * Status: status, net_idx, app_idx. */
struct mesh_cfg_app_key {
	uint8_t status;
	uint16_t net_idx;
	uint16_t app_idx;
	uint8_t key[MESH_CFG_KEY_LEN];
};

/* NetKey List: n, idx (the NetKey indexes). AppKey Get: net_idx. AppKey
 * List: status, net_idx, n, idx (the AppKey indexes). */
struct mesh_cfg_key_list {
	uint8_t status;
	uint16_t net_idx;
	uint16_t n;
	uint16_t idx[MESH_CFG_KEY_LIST_MAX];
};

/* Model App Bind/Unbind: elem_addr, app_idx, model. Status: status too. */
struct mesh_cfg_model_app {
	uint8_t status;
	uint16_t elem_addr;
	uint16_t app_idx;
	struct mesh_model_id model;
};

/* SIG/Vendor Model App Get: elem_addr, model (SIG resp. vendor). SIG/Vendor
 * Model App List: status, elem_addr, model, n, app_idx. */
struct mesh_cfg_model_app_list {
	uint8_t status;
	uint16_t elem_addr;
	struct mesh_model_id model;
	uint16_t n;
	uint16_t app_idx[MESH_CFG_KEY_LIST_MAX];
};

/*
 * Model Publication Get: elem_addr, model.
 * Set: elem_addr, pub_addr (not virtual), app_idx, cred_flag, ttl, period,
 *      retransmit, model.
 * Virtual Address Set: as Set but label instead of pub_addr (pub_addr is
 *      left 0 by decoding; the caller computes the virtual address).
 * Status: status and everything Set has (pub_addr may be virtual).
 * ttl: 0x00-0x7f or MESH_CFG_PUB_TTL_DEFAULT. period: Publish Period
 * (mesh_cfg_pub_period_ms()). retransmit: Publish Retransmit
 * (mesh_cfg_transmit_pack(), mesh_cfg_pub_retransmit_interval_ms()).
 */
struct mesh_cfg_model_pub {
	uint8_t status;
	uint16_t elem_addr;
	uint16_t pub_addr;
	uint8_t label[MESH_LABEL_UUID_LEN];
	uint16_t app_idx;
	bool cred_flag;
	uint8_t ttl;
	uint8_t period;
	uint8_t retransmit;
	struct mesh_model_id model;
};

/*
 * Model Subscription Add/Delete/Overwrite: elem_addr, addr (a group
 * address other than all-nodes), model.
 * Virtual Address Add/Delete/Overwrite: elem_addr, label, model (addr 0).
 * Delete All: elem_addr, model.
 * Status: status, elem_addr, addr, model (addr as the request had it: the
 * virtual address for the VA forms, 0 for Delete All).
 */
struct mesh_cfg_model_sub {
	uint8_t status;
	uint16_t elem_addr;
	uint16_t addr;
	uint8_t label[MESH_LABEL_UUID_LEN];
	struct mesh_model_id model;
};

/* SIG/Vendor Model Subscription Get: elem_addr, model. List: status,
 * elem_addr, model, n, addr. */
struct mesh_cfg_model_sub_list {
	uint8_t status;
	uint16_t elem_addr;
	struct mesh_model_id model;
	uint16_t n;
	uint16_t addr[MESH_CFG_ADDR_LIST_MAX];
};

/*
 * Heartbeat Publication Set: dst (not virtual), count_log (0x00-0x11 or
 * 0xff), period_log (0x00-0x11), ttl (0x00-0x7f), features (MESH_FEAT_*
 * of heartbeat.h; RFU bits passed through), net_idx. Status: status too.
 */
struct mesh_cfg_hb_pub {
	uint8_t status;
	uint16_t dst;
	uint8_t count_log;
	uint8_t period_log;
	uint8_t ttl;
	uint16_t features;
	uint16_t net_idx;
};

/*
 * Heartbeat Subscription Set: src (unassigned or unicast), dst
 * (unassigned, unicast or group), period_log (0x00-0x11). Status: status,
 * src, dst, period_log, count_log (0x00-0x11 or 0xff), min_hops, max_hops
 * (0x00-0x7f).
 */
struct mesh_cfg_hb_sub {
	uint8_t status;
	uint16_t src;
	uint16_t dst;
	uint8_t period_log;
	uint8_t count_log;
	uint8_t min_hops;
	uint8_t max_hops;
};

/*
 * One Configuration message. Which union member an opcode uses:
 *  (none)          Beacon/Default TTL/GATT Proxy/Friend/Network Transmit/
 *                  Relay/Heartbeat Pub/Heartbeat Sub Get, NetKey Get,
 *                  Node Reset, Node Reset Status
 *  comp_data       Composition Data Get/Status
 *  value           Beacon, Default TTL, GATT Proxy, Friend, Network
 *                  Transmit Set/Status (the one state octet)
 *  relay           Relay Set/Status
 *  node_identity   Node Identity Get/Set/Status
 *  krp             Key Refresh Phase Get/Set/Status
 *  net_key         NetKey Add/Update/Delete/Status
 *  app_key         AppKey Add/Update/Delete/Status
 *  key_list        NetKey List, AppKey Get/List
 *  model_app       Model App Bind/Unbind/Status
 *  model_app_list  SIG/Vendor Model App Get/List
 *  model_pub       Model Publication Get/Set/Virtual Address Set/Status
 *  model_sub       Model Subscription Add/Delete/Overwrite/Delete All/
 *                  Virtual Address Add/Delete/Overwrite/Status
 *  model_sub_list  SIG/Vendor Model Subscription Get/List
 *  hb_pub          Heartbeat Publication Set/Status
 *  hb_sub          Heartbeat Subscription Set/Status
 * The struct is about 600 octets (the lists are bounded arrays).
 */
struct mesh_cfg_msg {
	uint32_t opcode;
	union {
		struct mesh_cfg_comp_data comp_data;
		uint8_t value;
		struct mesh_cfg_relay relay;
		struct mesh_cfg_node_identity node_identity;
		struct mesh_cfg_krp krp;
		struct mesh_cfg_net_key net_key;
		struct mesh_cfg_app_key app_key;
		struct mesh_cfg_key_list key_list;
		struct mesh_cfg_model_app model_app;
		struct mesh_cfg_model_app_list model_app_list;
		struct mesh_cfg_model_pub model_pub;
		struct mesh_cfg_model_sub model_sub;
		struct mesh_cfg_model_sub_list model_sub_list;
		struct mesh_cfg_hb_pub hb_pub;
		struct mesh_cfg_hb_sub hb_sub;
	};
};

/* --- Encode / decode ----------------------------------------------------- */

/*
 * Write opcode || parameters of msg to out. Returns the length, or
 * MESH_ERR_OPCODE (not a Configuration message opcode), MESH_ERR_INVAL (a
 * field the decoder would refuse: a prohibited value, a key index above
 * 0xfff, a SIG model for a vendor-only opcode or the reverse, a list or
 * Composition Data longer than its bound) or MESH_ERR_OVERSIZED (max too
 * small, or the message would not fit in MESH_ACCESS_MAX_PAYLOAD).
 */
int mesh_cfg_encode(const struct mesh_cfg_msg *msg, uint8_t *out, size_t max);

/*
 * Decode a whole access payload (opcode || parameters). Returns 0 or
 * MESH_ERR_OPCODE (malformed opcode), MESH_ERR_UNKNOWN_OPCODE (not a
 * Configuration message), MESH_ERR_TRUNCATED / MESH_ERR_OVERSIZED (wrong
 * parameter length for the opcode), MESH_ERR_MALFORMED (a list that is
 * not a whole number of entries), MESH_ERR_RESERVED (a prohibited or RFU
 * value). out is fully overwritten (zeroed first).
 */
int mesh_cfg_decode(const uint8_t *payload, size_t len, struct mesh_cfg_msg *out);

/* The same for parameters whose opcode is already known (a model
 * handler's msg->opcode / msg->params). */
int mesh_cfg_decode_params(uint32_t opcode, const uint8_t *params, size_t len,
			   struct mesh_cfg_msg *out);

/* --- Opcode facts -------------------------------------------------------- */

/* "Config AppKey Add", ... ; "unknown" for other opcodes. */
const char *mesh_cfg_opcode_name(uint32_t opcode);

/* Is this a Configuration message opcode (above), a request a client
 * sends, a status/list a server sends? */
bool mesh_cfg_is_cfg_opcode(uint32_t opcode);
bool mesh_cfg_is_request(uint32_t opcode);
bool mesh_cfg_is_status(uint32_t opcode);

/*
 * The status opcode that answers a request (Node Reset -> Node Reset
 * Status, Model App Bind -> Model App Status, SIG Model App Get -> SIG
 * Model App List, Model Subscription Virtual Address Add -> Model
 * Subscription Status, ...), or MESH_CFG_OP_NONE if opcode is no request.
 */
uint32_t mesh_cfg_status_opcode_for(uint32_t request_opcode);

/* --- Composition Data page 0 (4.2.1.1) ------------------------------------ */

#define MESH_COMP_ELEMS_MAX 32
#define MESH_COMP_ELEM_MODELS_MAX 32   /* SIG + vendor models of one element */
#define MESH_COMP0_HEADER_LEN 10       /* CID, PID, VID, CRPL, Features */

struct mesh_comp_elem {
	uint16_t loc;
	uint8_t n_sig;        /* models[0 .. n_sig-1] are SIG models */
	uint8_t n_vnd;        /* models[n_sig .. n_sig+n_vnd-1] vendor models */
	struct mesh_model_id models[MESH_COMP_ELEM_MODELS_MAX];
};

struct mesh_comp0 {
	uint16_t cid;
	uint16_t pid;
	uint16_t vid;
	uint16_t crpl;
	uint16_t features;    /* MESH_FEAT_* (heartbeat.h); RFU bits kept */
	uint8_t n_elems;
	struct mesh_comp_elem elems[MESH_COMP_ELEMS_MAX];
};

/*
 * Parse Composition Data page 0 (the data after the Page octet of a
 * Composition Data Status). Returns 0 or MESH_ERR_TRUNCATED (header or an
 * element cut short), MESH_ERR_MALFORMED (no element, or a model twice in
 * one element), MESH_ERR_FULL (more than MESH_COMP_ELEMS_MAX elements or
 * MESH_COMP_ELEM_MODELS_MAX models in one element).
 */
int mesh_cfg_comp0_parse(const uint8_t *data, size_t len, struct mesh_comp0 *out);

/*
 * Write page 0 (without the Page octet). Returns the length, MESH_ERR_INVAL
 * (no element, counts above the bounds or models[] not SIG-then-vendor as
 * n_sig/n_vnd say, a model twice in an element) or MESH_ERR_OVERSIZED.
 */
int mesh_cfg_comp0_encode(const struct mesh_comp0 *c, uint8_t *out, size_t max);

/* --- Field helpers ------------------------------------------------------- */

/*
 * Network Transmit, Relay Retransmit and Publish Retransmit octets: count
 * in bits 0-2, interval steps in bits 3-7.
 *  Network Transmit / Relay Retransmit (4.2.19, 4.2.20): count + 1
 *    transmissions, (steps + 1) * 10 ms apart.
 *  Publish Retransmit (4.2.2.6, 4.2.2.7): count retransmissions,
 *    (steps + 1) * 50 ms apart.
 */
static inline uint8_t mesh_cfg_transmit_pack(uint8_t count, uint8_t steps)
{
	return (uint8_t)((count & 0x07) | (steps & 0x1f) << 3);
}

static inline uint8_t mesh_cfg_transmit_count(uint8_t v)
{
	return v & 0x07;
}

static inline uint8_t mesh_cfg_transmit_steps(uint8_t v)
{
	return v >> 3;
}

/* Transmissions (1..8) and interval (10..320 ms) of Network Transmit /
 * Relay Retransmit. */
unsigned int mesh_cfg_net_transmit_count(uint8_t v);
uint32_t mesh_cfg_net_transmit_interval_ms(uint8_t v);
/* The octet for transmissions 1..8 and interval_ms 10..320 (a multiple of
 * 10), or MESH_ERR_INVAL. */
int mesh_cfg_net_transmit_make(unsigned int transmissions, uint32_t interval_ms, uint8_t *out);

/* Retransmissions (0..7) and interval (50..1600 ms) of Publish Retransmit. */
unsigned int mesh_cfg_pub_retransmit_count(uint8_t v);
uint32_t mesh_cfg_pub_retransmit_interval_ms(uint8_t v);
/* The octet for retransmissions 0..7 and interval_ms 50..1600 (a multiple
 * of 50), or MESH_ERR_INVAL. */
int mesh_cfg_pub_retransmit_make(unsigned int retransmissions, uint32_t interval_ms,
				 uint8_t *out);

/* Publish Period (4.2.2.2): steps in bits 0-5, resolution in bits 6-7
 * (100 ms, 1 s, 10 s, 10 min). */
#define MESH_CFG_PUB_PERIOD_MAX_MS (63u * 600000u)

/* The period in milliseconds; 0 means periodic publishing is off. */
uint32_t mesh_cfg_pub_period_ms(uint8_t period);

/*
 * The Publish Period octet for ms: the finest resolution that holds it,
 * rounded up to a whole number of steps of that resolution (a period is
 * never made shorter than asked). 0 is "off". MESH_ERR_INVAL above
 * MESH_CFG_PUB_PERIOD_MAX_MS. Returns 0 when ms was exact, 1 when rounded.
 */
int mesh_cfg_pub_period_from_ms(uint32_t ms, uint8_t *period);

/*
 * Heartbeat log fields (4.2.17.2/.3, 4.2.18.3/.4): 0x00 is 0, 0x01-0x11 is
 * 2^(n-1), and for counts 0xff is 0xffff ("indefinitely" for a publication
 * count, "saturated" for a subscription count).
 *
 * From a log field: returns 0 and the value (uint32_t: 0x11 is 65536), or
 * MESH_ERR_RESERVED for a prohibited field.
 */
int mesh_cfg_hb_count_from_log(uint8_t log, uint32_t *count);
int mesh_cfg_hb_period_from_log(uint8_t log, uint32_t *seconds);

/*
 * To a log field, as a server reports its current state: 0 for 0, else
 * the n with 2^(n-1) <= value < 2^n. For counts, 0xffff (and above) is
 * 0xff; periods are capped at 0x11.
 */
uint8_t mesh_cfg_hb_count_log(uint32_t count);
uint8_t mesh_cfg_hb_period_log(uint32_t seconds);

/* Pack/unpack two 12-bit key indexes in 3 octets (4.3.1.1): a | b << 12,
 * little-endian. The indexes must be at most 0xfff. */
void mesh_cfg_key_idx_pack(uint16_t a, uint16_t b, uint8_t out[3]);
void mesh_cfg_key_idx_unpack(const uint8_t in[3], uint16_t *a, uint16_t *b);

#endif
/* CFG_MSG_API_READY */
