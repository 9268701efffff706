/*
 * Provisioning PDUs (Mesh Protocol 1.1, 5.4.1) and the Provisioning Data
 * plaintext (5.4.2.5): exact-length parsing with the prohibited and RFU
 * values of each field refused, faithful composing, and the rules a device
 * applies to a Start PDU against the Capabilities it sent.
 *
 * Composing writes whatever the struct holds (only the type and the
 * Confirmation/Random length are checked): the confirmation inputs are
 * built from the same encoders, and tests can produce the invalid PDUs a
 * peer must reject. Parsing is where the field rules live, so anything
 * that parses composes back to the same octets.
 */
#include <string.h>

#include "addr.h"
#include "bytes.h"
#include "err.h"
#include "prov_pdu.h"
#include "util.h"

/* Parameter lengths (after the type octet), 5.4.1, Table 5.17. */
#define INVITE_LEN 1
#define CAPABILITIES_LEN 11
#define START_LEN 5
#define VALUE_LEN_CMAC 16
#define VALUE_LEN_HMAC 32
#define DATA_PDU_LEN (MESH_PROV_DATA_LEN + MESH_PROV_DATA_MIC_LEN)
#define FAILED_LEN 1

/* Capabilities bits that Mesh Protocol 1.1 defines; the rest are RFU. */
#define ALGORITHMS_DEFINED (MESH_PROV_ALG_BIT(MESH_PROV_ALG_CMAC_AES128) | \
			    MESH_PROV_ALG_BIT(MESH_PROV_ALG_HMAC_SHA256))
#define PUBKEY_TYPE_DEFINED MESH_PROV_PUBKEY_OOB_AVAILABLE
#define OOB_TYPE_DEFINED (MESH_PROV_STATIC_OOB_AVAILABLE | MESH_PROV_STATIC_OOB_AUTH_REQUIRED)
#define OUTPUT_ACTIONS_DEFINED ((uint16_t)((1u << (MESH_PROV_OUT_ALPHANUMERIC + 1)) - 1))
#define INPUT_ACTIONS_DEFINED ((uint16_t)((1u << (MESH_PROV_IN_ALPHANUMERIC + 1)) - 1))

#define PUBKEY_IN_BAND 0x00
#define PUBKEY_OOB 0x01

#define DATA_FLAGS_DEFINED (MESH_PROV_FLAG_KEY_REFRESH | MESH_PROV_FLAG_IV_UPDATE)
#define NET_IDX_MAX 0x0fff

/* Provisioning Data layout (5.4.2.5). */
#define DATA_NET_IDX_OFF 16
#define DATA_FLAGS_OFF 18
#define DATA_IV_INDEX_OFF 19
#define DATA_ADDRESS_OFF 23

static int exact_len(size_t len, size_t want)
{
	if (len < want)
		return MESH_ERR_TRUNCATED;
	if (len > want)
		return MESH_ERR_OVERSIZED;
	return 0;
}

/* Confirmation and Random carry 16 (CMAC) or 32 (HMAC) octets; which one
 * this session uses is the state machine's business. */
static int value_len_check(size_t len)
{
	if (len == VALUE_LEN_CMAC || len == VALUE_LEN_HMAC)
		return 0;
	return len > VALUE_LEN_HMAC ? MESH_ERR_OVERSIZED : MESH_ERR_TRUNCATED;
}

static bool oob_size_valid(uint8_t size)
{
	return size <= MESH_PROV_OOB_SIZE_MAX;
}

/* --- Capabilities (5.4.1.2) --------------------------------------------- */

static void caps_encode(const struct mesh_prov_caps *c, uint8_t *p)
{
	p[0] = c->n_elements;
	mesh_put_be16(p + 1, c->algorithms);
	p[3] = c->pub_key_type;
	p[4] = c->static_oob_type;
	p[5] = c->output_size;
	mesh_put_be16(p + 6, c->output_actions);
	p[8] = c->input_size;
	mesh_put_be16(p + 9, c->input_actions);
}

static void caps_decode(const uint8_t *p, struct mesh_prov_caps *c)
{
	c->n_elements = p[0];
	c->algorithms = mesh_get_be16(p + 1);
	c->pub_key_type = p[3];
	c->static_oob_type = p[4];
	c->output_size = p[5];
	c->output_actions = mesh_get_be16(p + 6);
	c->input_size = p[8];
	c->input_actions = mesh_get_be16(p + 9);
}

static int caps_check(const struct mesh_prov_caps *c)
{
	/* A device has at least one element and one way to provision it. */
	if (c->n_elements == 0 || c->algorithms == 0)
		return MESH_ERR_RESERVED;
	if ((c->algorithms & ~ALGORITHMS_DEFINED) ||
	    (c->pub_key_type & ~PUBKEY_TYPE_DEFINED) ||
	    (c->static_oob_type & ~OOB_TYPE_DEFINED))
		return MESH_ERR_RESERVED;
	if (!oob_size_valid(c->output_size) || (c->output_actions & ~OUTPUT_ACTIONS_DEFINED))
		return MESH_ERR_RESERVED;
	if (!oob_size_valid(c->input_size) || (c->input_actions & ~INPUT_ACTIONS_DEFINED))
		return MESH_ERR_RESERVED;
	return 0;
}

/* --- Start (5.4.1.3) ---------------------------------------------------- */

static void start_encode(const struct mesh_prov_start *s, uint8_t *p)
{
	p[0] = s->algorithm;
	p[1] = s->public_key;
	p[2] = s->auth_method;
	p[3] = s->auth_action;
	p[4] = s->auth_size;
}

static void start_decode(const uint8_t *p, struct mesh_prov_start *s)
{
	s->algorithm = p[0];
	s->public_key = p[1];
	s->auth_method = p[2];
	s->auth_action = p[3];
	s->auth_size = p[4];
}

static bool auth_size_valid(uint8_t size)
{
	return size >= 1 && size <= MESH_PROV_OOB_SIZE_MAX;
}

/* Action and Size as Tables 5.29 and 5.30 allow them for the method. */
static bool auth_fields_valid(const struct mesh_prov_start *s)
{
	switch (s->auth_method) {
	case MESH_PROV_AUTH_NO_OOB:
	case MESH_PROV_AUTH_STATIC:
		return s->auth_action == 0 && s->auth_size == 0;
	case MESH_PROV_AUTH_OUTPUT:
		return s->auth_action <= MESH_PROV_OUT_ALPHANUMERIC &&
		       auth_size_valid(s->auth_size);
	case MESH_PROV_AUTH_INPUT:
		return s->auth_action <= MESH_PROV_IN_ALPHANUMERIC &&
		       auth_size_valid(s->auth_size);
	default:
		return false;
	}
}

static int start_check(const struct mesh_prov_start *s)
{
	if (s->algorithm > MESH_PROV_ALG_HMAC_SHA256 || s->public_key > PUBKEY_OOB ||
	    !auth_fields_valid(s))
		return MESH_ERR_RESERVED;
	return 0;
}

/* --- parse / compose ---------------------------------------------------- */

static int parse_value(const uint8_t *p, size_t len, uint8_t *out_len, uint8_t *value)
{
	int err = value_len_check(len);

	if (err)
		return err;
	*out_len = (uint8_t)len;
	memcpy(value, p, len);
	return 0;
}

static int parse_fixed(uint8_t type, const uint8_t *p, size_t len, struct mesh_prov_pdu *out)
{
	int err;

	switch (type) {
	case MESH_PROV_INVITE:
		err = exact_len(len, INVITE_LEN);
		if (!err)
			out->attention_s = p[0];
		return err;
	case MESH_PROV_CAPABILITIES:
		err = exact_len(len, CAPABILITIES_LEN);
		if (err)
			return err;
		caps_decode(p, &out->caps);
		return caps_check(&out->caps);
	case MESH_PROV_START:
		err = exact_len(len, START_LEN);
		if (err)
			return err;
		start_decode(p, &out->start);
		return start_check(&out->start);
	case MESH_PROV_PUBLIC_KEY:
		err = exact_len(len, MESH_PROV_PUBKEY_LEN);
		if (!err)
			memcpy(out->public_key, p, MESH_PROV_PUBKEY_LEN);
		return err;
	case MESH_PROV_INPUT_COMPLETE:
	case MESH_PROV_COMPLETE:
		return exact_len(len, 0);
	case MESH_PROV_DATA:
		err = exact_len(len, DATA_PDU_LEN);
		if (err)
			return err;
		memcpy(out->data.encrypted, p, MESH_PROV_DATA_LEN);
		memcpy(out->data.mic, p + MESH_PROV_DATA_LEN, MESH_PROV_DATA_MIC_LEN);
		return 0;
	case MESH_PROV_FAILED:
		err = exact_len(len, FAILED_LEN);
		if (err)
			return err;
		/* 0x00 is prohibited. Codes above the known ones are RFU, but the
		 * peer is ending the session either way: keep its number. */
		out->error = p[0];
		return p[0] == MESH_PROV_ERR_NONE ? MESH_ERR_RESERVED : 0;
	default:
		return MESH_ERR_OPCODE;
	}
}

int mesh_prov_pdu_parse(const uint8_t *buf, size_t len, struct mesh_prov_pdu *out)
{
	const uint8_t *params = buf + 1;
	size_t params_len;

	if (len == 0)
		return MESH_ERR_TRUNCATED;
	/* Types 0x0a and up (certificate-based provisioning records, and a
	 * non-zero padding in the top two bits) are not ours to handle. */
	if (buf[0] >= MESH_PROV_TYPE_COUNT)
		return MESH_ERR_OPCODE;
	memset(out, 0, sizeof(*out));
	out->type = buf[0];
	params_len = len - 1;
	if (out->type == MESH_PROV_CONFIRMATION)
		return parse_value(params, params_len, &out->confirmation.len,
				   out->confirmation.value);
	if (out->type == MESH_PROV_RANDOM)
		return parse_value(params, params_len, &out->random.len, out->random.value);
	return parse_fixed(out->type, params, params_len, out);
}

/* Parameter length of pdu as composed, or a negative error. */
static int params_len(const struct mesh_prov_pdu *pdu)
{
	switch (pdu->type) {
	case MESH_PROV_INVITE:
		return INVITE_LEN;
	case MESH_PROV_CAPABILITIES:
		return CAPABILITIES_LEN;
	case MESH_PROV_START:
		return START_LEN;
	case MESH_PROV_PUBLIC_KEY:
		return MESH_PROV_PUBKEY_LEN;
	case MESH_PROV_INPUT_COMPLETE:
	case MESH_PROV_COMPLETE:
		return 0;
	case MESH_PROV_CONFIRMATION:
		return value_len_check(pdu->confirmation.len) ? MESH_ERR_INVAL
							      : pdu->confirmation.len;
	case MESH_PROV_RANDOM:
		return value_len_check(pdu->random.len) ? MESH_ERR_INVAL : pdu->random.len;
	case MESH_PROV_DATA:
		return DATA_PDU_LEN;
	case MESH_PROV_FAILED:
		return FAILED_LEN;
	default:
		return MESH_ERR_INVAL;
	}
}

static void encode_params(const struct mesh_prov_pdu *pdu, uint8_t *p)
{
	switch (pdu->type) {
	case MESH_PROV_INVITE:
		p[0] = pdu->attention_s;
		break;
	case MESH_PROV_CAPABILITIES:
		caps_encode(&pdu->caps, p);
		break;
	case MESH_PROV_START:
		start_encode(&pdu->start, p);
		break;
	case MESH_PROV_PUBLIC_KEY:
		memcpy(p, pdu->public_key, MESH_PROV_PUBKEY_LEN);
		break;
	case MESH_PROV_CONFIRMATION:
		memcpy(p, pdu->confirmation.value, pdu->confirmation.len);
		break;
	case MESH_PROV_RANDOM:
		memcpy(p, pdu->random.value, pdu->random.len);
		break;
	case MESH_PROV_DATA:
		memcpy(p, pdu->data.encrypted, MESH_PROV_DATA_LEN);
		memcpy(p + MESH_PROV_DATA_LEN, pdu->data.mic, MESH_PROV_DATA_MIC_LEN);
		break;
	case MESH_PROV_FAILED:
		p[0] = pdu->error;
		break;
	default:
		break;
	}
}

int mesh_prov_pdu_compose(const struct mesh_prov_pdu *pdu, uint8_t *out, size_t max)
{
	int len = params_len(pdu);

	if (len < 0)
		return len;
	if ((size_t)len + 1 > max)
		return MESH_ERR_OVERSIZED;
	out[0] = pdu->type;
	encode_params(pdu, out + 1);
	return len + 1;
}

uint8_t mesh_prov_parse_error(int parse_err)
{
	switch (parse_err) {
	case 0:
		return MESH_PROV_ERR_NONE;
	case MESH_ERR_OPCODE:
		return MESH_PROV_ERR_INVALID_PDU;
	case MESH_ERR_TRUNCATED:
	case MESH_ERR_OVERSIZED:
	case MESH_ERR_RESERVED:
		return MESH_PROV_ERR_INVALID_FORMAT;
	default:
		return MESH_PROV_ERR_UNEXPECTED_ERROR;
	}
}

/* --- Start against Capabilities (5.4.1.3, 5.4.2.2) ----------------------- */

static bool action_offered(uint16_t actions, uint8_t action)
{
	return action < 16 && (actions & (1u << action));
}

static bool oob_choice_offered(uint16_t actions, uint8_t max_size, uint8_t action,
			       uint8_t size)
{
	return action_offered(actions, action) && size >= 1 && size <= max_size;
}

static bool auth_offered(const struct mesh_prov_caps *caps, const struct mesh_prov_start *st)
{
	switch (st->auth_method) {
	case MESH_PROV_AUTH_NO_OOB:
		/* A 1.1 device that insists on OOB authentication refuses it. */
		return !(caps->static_oob_type & MESH_PROV_STATIC_OOB_AUTH_REQUIRED);
	case MESH_PROV_AUTH_STATIC:
		return (caps->static_oob_type & MESH_PROV_STATIC_OOB_AVAILABLE) != 0;
	case MESH_PROV_AUTH_OUTPUT:
		return oob_choice_offered(caps->output_actions, caps->output_size,
					  st->auth_action, st->auth_size);
	case MESH_PROV_AUTH_INPUT:
		return oob_choice_offered(caps->input_actions, caps->input_size,
					  st->auth_action, st->auth_size);
	default:
		return false;
	}
}

uint8_t mesh_prov_start_check(const struct mesh_prov_caps *caps,
			      const struct mesh_prov_start *start)
{
	/* The field rules first: the caps bits below are only meaningful for
	 * values the specification defines. */
	if (start_check(start))
		return MESH_PROV_ERR_INVALID_FORMAT;
	if (!(caps->algorithms & MESH_PROV_ALG_BIT(start->algorithm)))
		return MESH_PROV_ERR_INVALID_FORMAT;
	if (start->public_key == PUBKEY_OOB &&
	    !(caps->pub_key_type & MESH_PROV_PUBKEY_OOB_AVAILABLE))
		return MESH_PROV_ERR_INVALID_FORMAT;
	if (!auth_offered(caps, start))
		return MESH_PROV_ERR_INVALID_FORMAT;
	return MESH_PROV_ERR_NONE;
}

/* --- Provisioning Data (5.4.2.5) ----------------------------------------- */

void mesh_prov_data_encode(const struct mesh_prov_data *d, uint8_t out[MESH_PROV_DATA_LEN])
{
	memcpy(out, d->net_key, sizeof(d->net_key));
	mesh_put_be16(out + DATA_NET_IDX_OFF, d->net_idx);
	out[DATA_FLAGS_OFF] = d->flags;
	mesh_put_be32(out + DATA_IV_INDEX_OFF, d->iv_index);
	mesh_put_be16(out + DATA_ADDRESS_OFF, d->address);
}

int mesh_prov_data_decode(const uint8_t in[MESH_PROV_DATA_LEN], struct mesh_prov_data *d)
{
	memcpy(d->net_key, in, sizeof(d->net_key));
	d->net_idx = mesh_get_be16(in + DATA_NET_IDX_OFF);
	d->flags = in[DATA_FLAGS_OFF];
	d->iv_index = mesh_get_be32(in + DATA_IV_INDEX_OFF);
	d->address = mesh_get_be16(in + DATA_ADDRESS_OFF);
	if ((d->flags & ~DATA_FLAGS_DEFINED) || d->net_idx > NET_IDX_MAX ||
	    !mesh_addr_is_unicast(d->address))
		return MESH_ERR_RESERVED;
	return 0;
}

/* --- names -------------------------------------------------------------- */

static const char *name_at(const char *const *names, size_t count, uint8_t i,
			   const char *unknown)
{
	return i < count && names[i] ? names[i] : unknown;
}

const char *mesh_prov_pdu_name(uint8_t type)
{
	static const char *const names[] = {
		[MESH_PROV_INVITE] = "invite",
		[MESH_PROV_CAPABILITIES] = "capabilities",
		[MESH_PROV_START] = "start",
		[MESH_PROV_PUBLIC_KEY] = "public key",
		[MESH_PROV_INPUT_COMPLETE] = "input complete",
		[MESH_PROV_CONFIRMATION] = "confirmation",
		[MESH_PROV_RANDOM] = "random",
		[MESH_PROV_DATA] = "data",
		[MESH_PROV_COMPLETE] = "complete",
		[MESH_PROV_FAILED] = "failed",
	};

	return name_at(names, MESH_ARRAY_SIZE(names), type, "unknown");
}

const char *mesh_prov_error_name(uint8_t code)
{
	static const char *const names[] = {
		[MESH_PROV_ERR_INVALID_PDU] = "invalid PDU",
		[MESH_PROV_ERR_INVALID_FORMAT] = "invalid format",
		[MESH_PROV_ERR_UNEXPECTED_PDU] = "unexpected PDU",
		[MESH_PROV_ERR_CONFIRMATION_FAILED] = "confirmation failed",
		[MESH_PROV_ERR_OUT_OF_RESOURCES] = "out of resources",
		[MESH_PROV_ERR_DECRYPTION_FAILED] = "decryption failed",
		[MESH_PROV_ERR_UNEXPECTED_ERROR] = "unexpected error",
		[MESH_PROV_ERR_CANNOT_ASSIGN_ADDRESSES] = "cannot assign addresses",
		[MESH_PROV_ERR_INVALID_DATA] = "invalid data",
	};

	return name_at(names, MESH_ARRAY_SIZE(names), code, "unknown error");
}

const char *mesh_prov_output_action_name(uint8_t action)
{
	static const char *const names[] = {
		[MESH_PROV_OUT_BLINK] = "blink",
		[MESH_PROV_OUT_BEEP] = "beep",
		[MESH_PROV_OUT_VIBRATE] = "vibrate",
		[MESH_PROV_OUT_NUMERIC] = "numeric",
		[MESH_PROV_OUT_ALPHANUMERIC] = "alphanumeric",
	};

	return name_at(names, MESH_ARRAY_SIZE(names), action, "unknown");
}

const char *mesh_prov_input_action_name(uint8_t action)
{
	static const char *const names[] = {
		[MESH_PROV_IN_PUSH] = "push",
		[MESH_PROV_IN_TWIST] = "twist",
		[MESH_PROV_IN_NUMERIC] = "numeric",
		[MESH_PROV_IN_ALPHANUMERIC] = "alphanumeric",
	};

	return name_at(names, MESH_ARRAY_SIZE(names), action, "unknown");
}

const char *mesh_prov_alg_name(uint8_t alg)
{
	static const char *const names[] = {
		[MESH_PROV_ALG_CMAC_AES128] = "CMAC-AES128",
		[MESH_PROV_ALG_HMAC_SHA256] = "HMAC-SHA256",
	};

	return name_at(names, MESH_ARRAY_SIZE(names), alg, "unknown");
}
