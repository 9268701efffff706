/*
 * Provisioning PDUs (Mesh Protocol 1.1, 5.4.1): the messages a Provisioner
 * and an unprovisioned device exchange over a provisioning bearer, and the
 * Provisioning Data they protect.
 *
 * The parser takes untrusted bytes from the air. It checks what can be
 * checked from one PDU alone (type, exact length, prohibited and RFU
 * values); rules that depend on the session (is this Start allowed by
 * those Capabilities, is a 17-octet Confirmation right for the chosen
 * algorithm) are checked by mesh_prov_start_check() and by the state
 * machines in provisioner.c and provisionee.c.
 */
#ifndef MESH_PROV_PDU_H
#define MESH_PROV_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mesh_prov_pdu_type {
	MESH_PROV_INVITE = 0x00,
	MESH_PROV_CAPABILITIES = 0x01,
	MESH_PROV_START = 0x02,
	MESH_PROV_PUBLIC_KEY = 0x03,
	MESH_PROV_INPUT_COMPLETE = 0x04,
	MESH_PROV_CONFIRMATION = 0x05,
	MESH_PROV_RANDOM = 0x06,
	MESH_PROV_DATA = 0x07,
	MESH_PROV_COMPLETE = 0x08,
	MESH_PROV_FAILED = 0x09,
	MESH_PROV_TYPE_COUNT = 0x0a,   /* first type we do not handle (records, 1.1) */
};

/* Error codes of the Provisioning Failed PDU (5.4.1.10, Table 5.38). */
enum mesh_prov_error {
	MESH_PROV_ERR_NONE = 0x00,               /* prohibited on the air */
	MESH_PROV_ERR_INVALID_PDU = 0x01,
	MESH_PROV_ERR_INVALID_FORMAT = 0x02,
	MESH_PROV_ERR_UNEXPECTED_PDU = 0x03,
	MESH_PROV_ERR_CONFIRMATION_FAILED = 0x04,
	MESH_PROV_ERR_OUT_OF_RESOURCES = 0x05,
	MESH_PROV_ERR_DECRYPTION_FAILED = 0x06,
	MESH_PROV_ERR_UNEXPECTED_ERROR = 0x07,
	MESH_PROV_ERR_CANNOT_ASSIGN_ADDRESSES = 0x08,
	MESH_PROV_ERR_INVALID_DATA = 0x09,
};

/* Algorithms (Start's Algorithm field; Capabilities bit = 1 << value). */
enum mesh_prov_alg {
	MESH_PROV_ALG_CMAC_AES128 = 0x00,   /* BTM_ECDH_P256_CMAC_AES128_AES_CCM */
	MESH_PROV_ALG_HMAC_SHA256 = 0x01,   /* BTM_ECDH_P256_HMAC_SHA256_AES_CCM (1.1) */
};
#define MESH_PROV_ALG_BIT(alg) ((uint16_t)(1u << (alg)))

enum mesh_prov_auth_method {
	MESH_PROV_AUTH_NO_OOB = 0x00,
	MESH_PROV_AUTH_STATIC = 0x01,
	MESH_PROV_AUTH_OUTPUT = 0x02,
	MESH_PROV_AUTH_INPUT = 0x03,
};

/* Output OOB actions (Start's action value; Capabilities bit = 1 << value). */
enum mesh_prov_output_action {
	MESH_PROV_OUT_BLINK = 0,
	MESH_PROV_OUT_BEEP = 1,
	MESH_PROV_OUT_VIBRATE = 2,
	MESH_PROV_OUT_NUMERIC = 3,
	MESH_PROV_OUT_ALPHANUMERIC = 4,
};

/* Input OOB actions (Start's action value; Capabilities bit = 1 << value). */
enum mesh_prov_input_action {
	MESH_PROV_IN_PUSH = 0,
	MESH_PROV_IN_TWIST = 1,
	MESH_PROV_IN_NUMERIC = 2,
	MESH_PROV_IN_ALPHANUMERIC = 3,
};

/* Whole-protocol timeout: a session without progress for this long fails
 * (5.4.4: 60 s). */
#define MESH_PROV_PROTOCOL_TIMEOUT_MS 60000u

#define MESH_PROV_OOB_SIZE_MAX 8          /* Output/Input OOB Size 0x01..0x08 */
#define MESH_PROV_PUBKEY_LEN 64
#define MESH_PROV_VALUE_MAX 32            /* Confirmation/Random: 16 (CMAC) or 32 (HMAC) */
#define MESH_PROV_DATA_LEN 25             /* Provisioning Data plaintext */
#define MESH_PROV_DATA_MIC_LEN 8
#define MESH_PROV_PDU_MAX 65              /* the Public Key PDU is the largest */

/* Capabilities' Public Key Type and Static OOB Type bits. */
#define MESH_PROV_PUBKEY_OOB_AVAILABLE 0x01
#define MESH_PROV_STATIC_OOB_AVAILABLE 0x01
/* Mesh 1.1: the device accepts only OOB-authenticated provisioning. */
#define MESH_PROV_STATIC_OOB_AUTH_REQUIRED 0x02
/* Provisioning Data Flags. */
#define MESH_PROV_FLAG_KEY_REFRESH 0x01
#define MESH_PROV_FLAG_IV_UPDATE 0x02

struct mesh_prov_caps {
	uint8_t n_elements;          /* 1..255 */
	uint16_t algorithms;         /* MESH_PROV_ALG_BIT()s */
	uint8_t pub_key_type;        /* MESH_PROV_PUBKEY_OOB_AVAILABLE or 0 */
	uint8_t static_oob_type;     /* MESH_PROV_STATIC_OOB_AVAILABLE | _AUTH_REQUIRED */
	uint8_t output_size;         /* 0: no Output OOB */
	uint16_t output_actions;     /* 1 << enum mesh_prov_output_action */
	uint8_t input_size;          /* 0: no Input OOB */
	uint16_t input_actions;      /* 1 << enum mesh_prov_input_action */
};

struct mesh_prov_start {
	uint8_t algorithm;           /* enum mesh_prov_alg */
	uint8_t public_key;          /* 0: in band, 1: device's key obtained out of band */
	uint8_t auth_method;         /* enum mesh_prov_auth_method */
	uint8_t auth_action;         /* output/input action, else 0 */
	uint8_t auth_size;           /* 1..8 for output/input, else 0 */
};

/* The 25 octets the Provisioner gives the device (5.4.2.5). */
struct mesh_prov_data {
	uint8_t net_key[16];
	uint16_t net_idx;            /* 12 bits */
	uint8_t flags;               /* MESH_PROV_FLAG_* */
	uint32_t iv_index;
	uint16_t address;            /* unicast, primary element */
};

struct mesh_prov_pdu {
	uint8_t type;                /* enum mesh_prov_pdu_type */
	union {
		uint8_t attention_s;                    /* Invite */
		struct mesh_prov_caps caps;             /* Capabilities */
		struct mesh_prov_start start;           /* Start */
		uint8_t public_key[MESH_PROV_PUBKEY_LEN]; /* Public Key: X || Y */
		struct {
			uint8_t len;                    /* 16 or 32 */
			uint8_t value[MESH_PROV_VALUE_MAX];
		} confirmation, random;                 /* Confirmation, Random */
		struct {
			uint8_t encrypted[MESH_PROV_DATA_LEN];
			uint8_t mic[MESH_PROV_DATA_MIC_LEN];
		} data;                                 /* Data */
		uint8_t error;                          /* Failed */
	};
};

/*
 * Parse one provisioning PDU (type octet first). Returns 0 or:
 *  MESH_ERR_OPCODE     unknown or unsupported type (peer answers Invalid PDU),
 *  MESH_ERR_TRUNCATED / MESH_ERR_OVERSIZED  wrong length for the type,
 *  MESH_ERR_RESERVED   a prohibited or RFU value (Capabilities with 0
 *                      elements or no algorithm, RFU bits, a Start field
 *                      out of range, Failed with error 0x00 ...).
 * mesh_prov_parse_error() maps these to the Failed error code to send.
 */
int mesh_prov_pdu_parse(const uint8_t *buf, size_t len, struct mesh_prov_pdu *out);

/* Encode pdu into out; returns the length or MESH_ERR_OVERSIZED / _INVAL. */
int mesh_prov_pdu_compose(const struct mesh_prov_pdu *pdu, uint8_t *out, size_t max);

/* The Failed error code a device sends for a parse error of its peer. */
uint8_t mesh_prov_parse_error(int parse_err);

/*
 * May a device with caps accept start? Returns MESH_PROV_ERR_NONE or
 * MESH_PROV_ERR_INVALID_FORMAT (unsupported algorithm, OOB public key not
 * offered, an action it lacks, a size above what it offered, non-zero
 * action/size for No OOB/Static, No OOB from a device that requires OOB
 * authentication).
 */
uint8_t mesh_prov_start_check(const struct mesh_prov_caps *caps,
			      const struct mesh_prov_start *start);

/* Provisioning Data plaintext, big-endian fields as on the air. */
void mesh_prov_data_encode(const struct mesh_prov_data *d, uint8_t out[MESH_PROV_DATA_LEN]);
/* MESH_ERR_RESERVED for RFU flag bits, a NetKey index above 0xfff, or an
 * address that is not unicast. */
int mesh_prov_data_decode(const uint8_t in[MESH_PROV_DATA_LEN], struct mesh_prov_data *d);

/* "invite", "capabilities", ... "failed", or "unknown". */
const char *mesh_prov_pdu_name(uint8_t type);
/* "invalid PDU", ... "confirmation failed", ... or "unknown error". */
const char *mesh_prov_error_name(uint8_t code);
/* "blink", "beep", "vibrate", "numeric", "alphanumeric" / "push", "twist",
 * "numeric", "alphanumeric"; "unknown" otherwise. */
const char *mesh_prov_output_action_name(uint8_t action);
const char *mesh_prov_input_action_name(uint8_t action);
/* "CMAC-AES128" / "HMAC-SHA256" / "unknown". */
const char *mesh_prov_alg_name(uint8_t alg);

#endif
