/*
 * Access layer (Mesh Profile 3.7): opcodes, access message length limits,
 * model identifiers, and the registry that hands received access messages
 * to the models of this node's elements.
 *
 * Opcodes are carried in a uint32_t ("canonical opcode") whose value also
 * says how long the opcode is on the air:
 *
 *   0x00000000-0x0000007e  1 octet, the octet itself (0x7f is RFU)
 *   0x00008000-0x0000bfff  2 octets, sent big-endian as written (0x8201
 *                          goes out as 82 01)
 *   0x00c00000-0x00ffffff  3 octets, vendor: bits 23..16 are the first
 *                          octet (0b11 + 6-bit opcode), bits 15..0 the
 *                          company ID as a number. The company ID goes out
 *                          little-endian, so MESH_OP_VENDOR(0x15, 0x000a)
 *                          = 0xd5000a is sent as d5 0a 00.
 *
 * Every other value is not an opcode. Writing vendor opcodes this way keeps
 * the company ID readable in model tables; mesh_access_opcode_hex() prints
 * the on-air octets, which is what packet tools and MQTT show.
 *
 * The registry (struct mesh_access) is caller-allocated and bounded: a fixed
 * number of elements, each holding pointers to caller-owned struct
 * mesh_model objects. Models embed their subscription and binding lists, so
 * the receive path never allocates. Clients and servers (Configuration
 * client, Generic OnOff client, Health client, ...) embed a struct
 * mesh_model in their own state and reach it back with MESH_CONTAINER_OF.
 */
#ifndef MESH_ACCESS_H
#define MESH_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"
#include "va.h"

/* --- Opcodes ------------------------------------------------------------ */

#define MESH_OP_1(b)             ((uint32_t)(b))
#define MESH_OP_2(b0, b1)        ((uint32_t)(b0) << 8 | (uint32_t)(b1))
#define MESH_OP_VENDOR(op6, cid) \
	(0xc00000u | ((uint32_t)(op6) & 0x3f) << 16 | ((uint32_t)(cid) & 0xffff))

#define MESH_OPCODE_MAX_LEN 3
#define MESH_OPCODE_HEX_LEN (2 * MESH_OPCODE_MAX_LEN + 1) /* incl. NUL */

/* Octets the opcode takes on the air (1..3), or MESH_ERR_OPCODE. */
int mesh_access_opcode_len(uint32_t opcode);

/*
 * Read the opcode at the start of an access payload. Returns its length in
 * octets and stores the canonical value in *opcode, or returns
 * MESH_ERR_TRUNCATED for an empty payload and MESH_ERR_OPCODE for the RFU
 * octet 0x7f or a 2-/3-octet opcode cut short.
 */
int mesh_access_opcode_decode(const uint8_t *buf, size_t len, uint32_t *opcode);

/*
 * Write the on-air octets of opcode to buf. Returns the number written,
 * MESH_ERR_OPCODE for a value that is not an opcode or MESH_ERR_OVERSIZED
 * when max is too small.
 */
int mesh_access_opcode_encode(uint32_t opcode, uint8_t *buf, size_t max);

/*
 * Format the on-air octets as lowercase hex ("04", "8201", "d50a00") into
 * out (MESH_OPCODE_HEX_LEN octets). Returns the opcode length or
 * MESH_ERR_OPCODE (out is then "").
 */
int mesh_access_opcode_hex(uint32_t opcode, char out[MESH_OPCODE_HEX_LEN]);

/* The reverse: on-air hex, exactly one whole opcode, to canonical form. */
int mesh_access_opcode_from_hex(const char *hex, uint32_t *opcode);

/* --- Access payloads ---------------------------------------------------- */

/* Size limits: MESH_ACCESS_MAX_PAYLOAD and friends in transport.h. */

/* An access payload split into opcode and parameters (pointing into it). */
struct mesh_access_pdu {
	uint32_t opcode;
	uint8_t opcode_len;
	const uint8_t *params;
	size_t params_len;
};

/*
 * Split payload into opcode and parameters. Errors as for
 * mesh_access_opcode_decode, plus MESH_ERR_OVERSIZED above
 * MESH_ACCESS_MAX_PAYLOAD.
 */
int mesh_access_parse(const uint8_t *payload, size_t len, struct mesh_access_pdu *out);

/*
 * Build opcode || params into out. Returns the payload length, or
 * MESH_ERR_OPCODE, MESH_ERR_OVERSIZED (beyond MESH_ACCESS_MAX_PAYLOAD or
 * max). params may already sit in out (at out or at out + opcode length):
 * they are moved before the opcode is written.
 */
int mesh_access_compose(uint32_t opcode, const uint8_t *params, size_t params_len,
			uint8_t *out, size_t max);

/* True if a payload of len octets can travel in one unsegmented PDU. */
bool mesh_access_fits_unsegmented(size_t len);

/*
 * 0 if a payload of len octets can be sent with a TransMIC of mic_len
 * octets (4 or 8; 8 means the message is sent segmented), else
 * MESH_ERR_OVERSIZED, MESH_ERR_TRUNCATED for an empty payload or
 * MESH_ERR_INVAL for another mic_len.
 */
int mesh_access_check_len(size_t len, size_t mic_len);

/*
 * The largest TransMIC (8 or 4 octets) a payload of len octets allows, or 0
 * if it is too long to send at all.
 */
size_t mesh_access_max_mic_len(size_t len);

/* --- Model identifiers -------------------------------------------------- */

/* A SIG model (16-bit ID) or a vendor model (company ID + 16-bit ID). */
struct mesh_model_id {
	bool vendor;
	uint16_t company;  /* vendor models only; 0 for SIG models */
	uint16_t id;
};

#define MESH_MODEL_ID_STR_LEN 10  /* "000a:0001" + NUL */

static inline struct mesh_model_id mesh_model_id_sig(uint16_t id)
{
	return (struct mesh_model_id){ .vendor = false, .company = 0, .id = id };
}

static inline struct mesh_model_id mesh_model_id_vendor(uint16_t company, uint16_t id)
{
	return (struct mesh_model_id){ .vendor = true, .company = company, .id = id };
}

static inline bool mesh_model_id_equal(struct mesh_model_id a, struct mesh_model_id b)
{
	return a.vendor == b.vendor && a.id == b.id && (!a.vendor || a.company == b.company);
}

/*
 * Octets of a model ID inside Configuration messages and Composition Data:
 * 2 for SIG (ID little-endian), 4 for vendor (company, then ID, both
 * little-endian).
 */
static inline size_t mesh_model_id_len(struct mesh_model_id m)
{
	return m.vendor ? 4 : 2;
}

/* Write that form to buf; returns the length or MESH_ERR_OVERSIZED. */
int mesh_model_id_encode(struct mesh_model_id m, uint8_t *buf, size_t max);
/* Read it back: len must be exactly 2 (SIG) or 4 (vendor). */
int mesh_model_id_decode(const uint8_t *buf, size_t len, struct mesh_model_id *m);
/* "1001" for SIG models, "000a:0001" (company:model) for vendor models. */
void mesh_model_id_format(struct mesh_model_id m, char out[MESH_MODEL_ID_STR_LEN]);

/* --- Registry and dispatch ---------------------------------------------- */

#define MESH_ACCESS_ELEMS_MAX 8
#define MESH_ELEM_MODELS_MAX 16
#define MESH_MODEL_SUBS_MAX 8
#define MESH_MODEL_BINDS_MAX 8

/* app_idx of a message secured with a device key (AKF = 0). */
#define MESH_KEY_IDX_DEV 0xfffe
/* rssi when the bearer did not report one. */
#define MESH_RSSI_UNKNOWN 127

/* A received access message as handlers see it. */
struct mesh_access_msg {
	uint16_t net_idx;
	uint16_t app_idx;           /* application key index or MESH_KEY_IDX_DEV */
	uint16_t src;
	uint16_t dst;
	const uint8_t *label_uuid;  /* dst virtual: the Label UUID that decrypted it */
	uint8_t ttl;                /* TTL as received */
	int8_t rssi;                /* dBm, or MESH_RSSI_UNKNOWN */
	/* Filled in by mesh_access_dispatch(). */
	uint32_t opcode;
	const uint8_t *params;
	size_t params_len;
};

struct mesh_model;

/* Return 0 or a negative enum mesh_err (reported by mesh_access_dispatch). */
typedef int (*mesh_access_handler)(struct mesh_model *model,
				   const struct mesh_access_msg *msg);

/*
 * One opcode a model handles. A table ends with an entry whose handler is
 * NULL (opcode 0x00 is a real opcode, so it cannot be the terminator).
 * Messages whose parameters are shorter than min_len, or longer than
 * max_len when max_len is not 0, are dropped before the handler runs.
 */
struct mesh_access_op {
	uint32_t opcode;
	uint16_t min_len;
	uint16_t max_len;
	mesh_access_handler handler;
};

/* A subscription: a group address, or a virtual address with its label. */
struct mesh_model_sub {
	uint16_t addr;
	bool has_label;
	uint8_t label[MESH_LABEL_UUID_LEN];
};

struct mesh_model {
	/* Set by the owner before mesh_access_model_add(). */
	struct mesh_model_id id;
	const struct mesh_access_op *ops;
	bool dev_key;        /* secured with a device key only (Config models) */
	void *user_data;

	/* Application keys it accepts (not used when dev_key is set). */
	uint16_t binds[MESH_MODEL_BINDS_MAX];
	uint8_t n_binds;
	struct mesh_model_sub subs[MESH_MODEL_SUBS_MAX];
	uint8_t n_subs;

	/* Set by the registry. */
	uint8_t elem_idx;
};

struct mesh_element {
	uint16_t loc;        /* GATT Bluetooth Namespace Descriptor */
	struct mesh_model *models[MESH_ELEM_MODELS_MAX];
	uint8_t n_models;
};

/* The elements of this node. Element i has address primary + i. */
struct mesh_access {
	uint16_t primary;    /* unicast address of element 0; 0 if unprovisioned */
	struct mesh_element elems[MESH_ACCESS_ELEMS_MAX];
	uint8_t n_elems;
};

void mesh_access_init(struct mesh_access *a);

/* MESH_ERR_SRC unless addr is unicast and every element's address is too. */
int mesh_access_set_primary(struct mesh_access *a, uint16_t addr);

/* Append an element; returns its index or MESH_ERR_FULL. */
int mesh_access_elem_add(struct mesh_access *a, uint16_t loc);

/*
 * Put model on element elem_idx. MESH_ERR_NOT_FOUND for an unknown element,
 * MESH_ERR_FULL when the element is full, MESH_ERR_OPCODE for an invalid
 * opcode in its table, MESH_ERR_EXISTS when the element already has a model
 * with that ID or a model already handling one of its opcodes (or the table
 * lists an opcode twice). The model must outlive the registry.
 */
int mesh_access_model_add(struct mesh_access *a, uint8_t elem_idx, struct mesh_model *m);

/* The model with this ID on element elem_idx, or NULL. */
struct mesh_model *mesh_access_model_find(struct mesh_access *a, uint8_t elem_idx,
					  struct mesh_model_id id);

/* Unicast address of the model's element (0 when unprovisioned). */
uint16_t mesh_access_model_addr(const struct mesh_access *a, const struct mesh_model *m);

/*
 * Bind/unbind an application key index. MESH_ERR_KEY_INDEX for an index
 * above 0xfff, MESH_ERR_INVAL on a device-key model, MESH_ERR_EXISTS,
 * MESH_ERR_NOT_FOUND, MESH_ERR_FULL.
 */
int mesh_model_bind(struct mesh_model *m, uint16_t app_idx);
int mesh_model_unbind(struct mesh_model *m, uint16_t app_idx);
bool mesh_model_is_bound(const struct mesh_model *m, uint16_t app_idx);

/*
 * Subscribe to a group address (label NULL) or a virtual address (label is
 * its Label UUID; addr must be the address it hashes to, which the caller
 * computed with mesh_virtual_address). MESH_ERR_DST for unassigned, unicast,
 * RFU group or all-nodes (which reaches the primary element anyway),
 * MESH_ERR_INVAL for a virtual address without a label or a label with a
 * non-virtual address, MESH_ERR_EXISTS, MESH_ERR_FULL.
 */
int mesh_model_sub_add(struct mesh_model *m, uint16_t addr, const uint8_t *label);
int mesh_model_sub_del(struct mesh_model *m, uint16_t addr, const uint8_t *label);
void mesh_model_sub_clear(struct mesh_model *m);

/*
 * Hand an access payload to every model that should see it, Mesh Profile
 * 3.7.4.1 / 3.4.2.4:
 *  - unicast dst: the models of the element with that address;
 *  - group dst: models subscribed to it; fixed groups (all-proxies,
 *    all-friends, all-relays, all-nodes) also reach every model of the
 *    primary element (whether this node runs the feature a fixed group
 *    names is decided by the network layer before the message gets here);
 *  - virtual dst: models subscribed to msg->label_uuid (or, when the caller
 *    passes no label, to the 16-bit address);
 * of those, the ones with the opcode in their table and that accept the key
 * used (dev_key models: device key only; others: a bound application key).
 *
 * msg carries the metadata; opcode and params are filled in here. Returns
 * 0 when at least one handler ran and none failed, the first handler error
 * when one failed, or when no handler ran the most specific reason:
 * MESH_ERR_OPCODE/TRUNCATED/OVERSIZED (payload), MESH_ERR_DST (no element
 * or subscription matches dst), MESH_ERR_UNKNOWN_OPCODE (addressed models
 * do not handle it), MESH_ERR_NOT_BOUND (they do, but not with this key),
 * MESH_ERR_TRUNCATED/OVERSIZED (parameter length outside the table's).
 */
int mesh_access_dispatch(struct mesh_access *a, struct mesh_access_msg *msg,
			 const uint8_t *payload, size_t len);

#endif
