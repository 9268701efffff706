/*
 * Access layer (Mesh Profile 3.7): opcode coding, payload limits, model
 * IDs and the element/model registry that routes received messages.
 *
 * The routing rules live in one place, access_model_addressed(), so that
 * the question "why did my model not see this message?" has one answer.
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "addr.h"
#include "bytes.h"
#include "err.h"

/* --- Opcodes ------------------------------------------------------------ */

int mesh_access_opcode_len(uint32_t opcode)
{
	if (opcode < 0x7f)
		return 1;
	if (opcode >= 0x8000 && opcode <= 0xbfff)
		return 2;
	if (opcode >= 0xc00000 && opcode <= 0xffffff)
		return 3;
	return MESH_ERR_OPCODE;
}

int mesh_access_opcode_decode(const uint8_t *buf, size_t len, uint32_t *opcode)
{
	if (len == 0)
		return MESH_ERR_TRUNCATED;

	switch (buf[0] >> 6) {
	case 0x0:
	case 0x1:
		if (buf[0] == 0x7f)
			return MESH_ERR_OPCODE;
		*opcode = buf[0];
		return 1;
	case 0x2:
		if (len < 2)
			return MESH_ERR_OPCODE;
		*opcode = mesh_get_be16(buf);
		return 2;
	default:
		if (len < 3)
			return MESH_ERR_OPCODE;
		*opcode = (uint32_t)buf[0] << 16 | mesh_get_le16(buf + 1);
		return 3;
	}
}

int mesh_access_opcode_encode(uint32_t opcode, uint8_t *buf, size_t max)
{
	int len = mesh_access_opcode_len(opcode);

	if (len < 0)
		return len;
	if ((size_t)len > max)
		return MESH_ERR_OVERSIZED;

	switch (len) {
	case 1:
		buf[0] = (uint8_t)opcode;
		break;
	case 2:
		mesh_put_be16(buf, (uint16_t)opcode);
		break;
	default:
		/* The company ID is an access layer parameter: little-endian. */
		buf[0] = (uint8_t)(opcode >> 16);
		mesh_put_le16(buf + 1, (uint16_t)opcode);
		break;
	}
	return len;
}

int mesh_access_opcode_hex(uint32_t opcode, char out[MESH_OPCODE_HEX_LEN])
{
	uint8_t raw[MESH_OPCODE_MAX_LEN];
	int len = mesh_access_opcode_encode(opcode, raw, sizeof(raw));

	if (len < 0) {
		out[0] = '\0';
		return len;
	}
	mesh_hex_encode(raw, (size_t)len, out);
	return len;
}

int mesh_access_opcode_from_hex(const char *hex, uint32_t *opcode)
{
	uint8_t raw[MESH_OPCODE_MAX_LEN];
	int len = mesh_hex_decode(hex, raw, sizeof(raw));
	int oplen;

	if (len == MESH_ERR_OVERSIZED || len == 0)
		return MESH_ERR_OPCODE;
	if (len < 0)
		return len;
	oplen = mesh_access_opcode_decode(raw, (size_t)len, opcode);
	if (oplen < 0)
		return oplen;
	/* "0401" is an opcode followed by a parameter, not an opcode. */
	if (oplen != len)
		return MESH_ERR_OPCODE;
	return oplen;
}

/* --- Access payloads ---------------------------------------------------- */

int mesh_access_parse(const uint8_t *payload, size_t len, struct mesh_access_pdu *out)
{
	int oplen;

	if (len > MESH_ACCESS_MAX_PAYLOAD)
		return MESH_ERR_OVERSIZED;
	oplen = mesh_access_opcode_decode(payload, len, &out->opcode);
	if (oplen < 0)
		return oplen;
	out->opcode_len = (uint8_t)oplen;
	out->params = payload + oplen;
	out->params_len = len - (size_t)oplen;
	return 0;
}

int mesh_access_compose(uint32_t opcode, const uint8_t *params, size_t params_len,
			uint8_t *out, size_t max)
{
	int oplen = mesh_access_opcode_len(opcode);
	size_t total;

	if (oplen < 0)
		return oplen;
	total = (size_t)oplen + params_len;
	if (total > MESH_ACCESS_MAX_PAYLOAD || total > max)
		return MESH_ERR_OVERSIZED;
	/* Parameters first: a caller may have built them at out already. */
	if (params_len)
		memmove(out + oplen, params, params_len);
	mesh_access_opcode_encode(opcode, out, max);
	return (int)total;
}

bool mesh_access_fits_unsegmented(size_t len)
{
	return len <= MESH_ACCESS_MAX_UNSEG;
}

int mesh_access_check_len(size_t len, size_t mic_len)
{
	if (mic_len != 4 && mic_len != 8)
		return MESH_ERR_INVAL;
	if (len == 0)
		return MESH_ERR_TRUNCATED;
	if (len > (mic_len == 8 ? MESH_ACCESS_MAX_PAYLOAD_MIC64 : MESH_ACCESS_MAX_PAYLOAD))
		return MESH_ERR_OVERSIZED;
	return 0;
}

size_t mesh_access_max_mic_len(size_t len)
{
	if (len <= MESH_ACCESS_MAX_PAYLOAD_MIC64)
		return 8;
	if (len <= MESH_ACCESS_MAX_PAYLOAD)
		return 4;
	return 0;
}

/* --- Model identifiers -------------------------------------------------- */

int mesh_model_id_encode(struct mesh_model_id m, uint8_t *buf, size_t max)
{
	size_t len = mesh_model_id_len(m);

	if (len > max)
		return MESH_ERR_OVERSIZED;
	if (m.vendor) {
		mesh_put_le16(buf, m.company);
		mesh_put_le16(buf + 2, m.id);
	} else {
		mesh_put_le16(buf, m.id);
	}
	return (int)len;
}

int mesh_model_id_decode(const uint8_t *buf, size_t len, struct mesh_model_id *m)
{
	if (len == 2) {
		*m = mesh_model_id_sig(mesh_get_le16(buf));
		return 0;
	}
	if (len == 4) {
		*m = mesh_model_id_vendor(mesh_get_le16(buf), mesh_get_le16(buf + 2));
		return 0;
	}
	return len < 2 || len == 3 ? MESH_ERR_TRUNCATED : MESH_ERR_OVERSIZED;
}

void mesh_model_id_format(struct mesh_model_id m, char out[MESH_MODEL_ID_STR_LEN])
{
	if (m.vendor)
		snprintf(out, MESH_MODEL_ID_STR_LEN, "%04x:%04x", m.company, m.id);
	else
		snprintf(out, MESH_MODEL_ID_STR_LEN, "%04x", m.id);
}

/* --- Registry ----------------------------------------------------------- */

void mesh_access_init(struct mesh_access *a)
{
	memset(a, 0, sizeof(*a));
}

int mesh_access_set_primary(struct mesh_access *a, uint16_t addr)
{
	uint32_t last = (uint32_t)addr + (a->n_elems ? a->n_elems - 1u : 0u);

	if (!mesh_addr_is_unicast(addr) || last > 0x7fff)
		return MESH_ERR_SRC;
	a->primary = addr;
	return 0;
}

int mesh_access_elem_add(struct mesh_access *a, uint16_t loc)
{
	struct mesh_element *e;

	if (a->n_elems >= MESH_ACCESS_ELEMS_MAX)
		return MESH_ERR_FULL;
	/* A new element must still have a unicast address. */
	if (a->primary && (uint32_t)a->primary + a->n_elems > 0x7fff)
		return MESH_ERR_FULL;
	e = &a->elems[a->n_elems];
	memset(e, 0, sizeof(*e));
	e->loc = loc;
	return a->n_elems++;
}

static const struct mesh_access_op *access_model_op(const struct mesh_model *m,
						    uint32_t opcode)
{
	for (const struct mesh_access_op *op = m->ops; op && op->handler; op++) {
		if (op->opcode == opcode)
			return op;
	}
	return NULL;
}

static int access_model_ops_check(const struct mesh_element *e,
				  const struct mesh_model *m)
{
	for (const struct mesh_access_op *op = m->ops; op && op->handler; op++) {
		if (mesh_access_opcode_len(op->opcode) < 0)
			return MESH_ERR_OPCODE;
		if (access_model_op(m, op->opcode) != op)
			return MESH_ERR_EXISTS;
		for (uint8_t i = 0; i < e->n_models; i++) {
			if (access_model_op(e->models[i], op->opcode))
				return MESH_ERR_EXISTS;
		}
	}
	return 0;
}

int mesh_access_model_add(struct mesh_access *a, uint8_t elem_idx, struct mesh_model *m)
{
	struct mesh_element *e;
	int err;

	if (!m)
		return MESH_ERR_INVAL;
	if (elem_idx >= a->n_elems)
		return MESH_ERR_NOT_FOUND;
	e = &a->elems[elem_idx];
	if (mesh_access_model_find(a, elem_idx, m->id))
		return MESH_ERR_EXISTS;
	if (e->n_models >= MESH_ELEM_MODELS_MAX)
		return MESH_ERR_FULL;
	err = access_model_ops_check(e, m);
	if (err)
		return err;
	m->elem_idx = elem_idx;
	e->models[e->n_models++] = m;
	return 0;
}

struct mesh_model *mesh_access_model_find(struct mesh_access *a, uint8_t elem_idx,
					  struct mesh_model_id id)
{
	struct mesh_element *e;

	if (elem_idx >= a->n_elems)
		return NULL;
	e = &a->elems[elem_idx];
	for (uint8_t i = 0; i < e->n_models; i++) {
		if (mesh_model_id_equal(e->models[i]->id, id))
			return e->models[i];
	}
	return NULL;
}

uint16_t mesh_access_model_addr(const struct mesh_access *a, const struct mesh_model *m)
{
	if (!a->primary)
		return MESH_ADDR_UNASSIGNED;
	return (uint16_t)(a->primary + m->elem_idx);
}

/* --- Bindings and subscriptions ----------------------------------------- */

static int model_bind_find(const struct mesh_model *m, uint16_t app_idx)
{
	for (uint8_t i = 0; i < m->n_binds; i++) {
		if (m->binds[i] == app_idx)
			return i;
	}
	return -1;
}

int mesh_model_bind(struct mesh_model *m, uint16_t app_idx)
{
	if (app_idx > MESH_KEY_INDEX_MAX)
		return MESH_ERR_KEY_INDEX;
	if (m->dev_key)
		return MESH_ERR_INVAL;
	if (model_bind_find(m, app_idx) >= 0)
		return MESH_ERR_EXISTS;
	if (m->n_binds >= MESH_MODEL_BINDS_MAX)
		return MESH_ERR_FULL;
	m->binds[m->n_binds++] = app_idx;
	return 0;
}

int mesh_model_unbind(struct mesh_model *m, uint16_t app_idx)
{
	int i = model_bind_find(m, app_idx);

	if (i < 0)
		return MESH_ERR_NOT_FOUND;
	m->binds[i] = m->binds[--m->n_binds];
	return 0;
}

bool mesh_model_is_bound(const struct mesh_model *m, uint16_t app_idx)
{
	return model_bind_find(m, app_idx) >= 0;
}

/*
 * Index of the subscription to addr (with label for virtual addresses), or
 * -1. A NULL label on a virtual address matches by the 16-bit hash alone.
 */
static int model_sub_find(const struct mesh_model *m, uint16_t addr, const uint8_t *label)
{
	for (uint8_t i = 0; i < m->n_subs; i++) {
		const struct mesh_model_sub *s = &m->subs[i];

		if (s->addr != addr)
			continue;
		if (!label || (s->has_label && !memcmp(s->label, label, sizeof(s->label))))
			return i;
	}
	return -1;
}

static int model_sub_check(uint16_t addr, const uint8_t *label)
{
	if (mesh_addr_is_virtual(addr))
		return label ? 0 : MESH_ERR_INVAL;
	if (label)
		return MESH_ERR_INVAL;
	if (!mesh_addr_is_group(addr) || mesh_addr_is_rfu_group(addr) ||
	    addr == MESH_ADDR_ALL_NODES)
		return MESH_ERR_DST;
	return 0;
}

int mesh_model_sub_add(struct mesh_model *m, uint16_t addr, const uint8_t *label)
{
	struct mesh_model_sub *s;
	int err = model_sub_check(addr, label);

	if (err)
		return err;
	if (model_sub_find(m, addr, label) >= 0)
		return MESH_ERR_EXISTS;
	if (m->n_subs >= MESH_MODEL_SUBS_MAX)
		return MESH_ERR_FULL;
	s = &m->subs[m->n_subs++];
	memset(s, 0, sizeof(*s));
	s->addr = addr;
	if (label) {
		s->has_label = true;
		memcpy(s->label, label, sizeof(s->label));
	}
	return 0;
}

int mesh_model_sub_del(struct mesh_model *m, uint16_t addr, const uint8_t *label)
{
	int err = model_sub_check(addr, label);
	int i;

	if (err)
		return err;
	i = model_sub_find(m, addr, label);
	if (i < 0)
		return MESH_ERR_NOT_FOUND;
	m->subs[i] = m->subs[--m->n_subs];
	return 0;
}

void mesh_model_sub_clear(struct mesh_model *m)
{
	memset(m->subs, 0, sizeof(m->subs));
	m->n_subs = 0;
}

/* --- Dispatch ----------------------------------------------------------- */

/* Does msg's destination reach model m on element elem_idx? */
static bool access_model_addressed(const struct mesh_access *a, uint8_t elem_idx,
				   const struct mesh_model *m,
				   const struct mesh_access_msg *msg)
{
	uint16_t dst = msg->dst;

	if (mesh_addr_is_unicast(dst))
		return a->primary && dst == a->primary + elem_idx;
	if (mesh_addr_is_virtual(dst))
		return model_sub_find(m, dst, msg->label_uuid) >= 0;
	if (mesh_addr_is_fixed_group(dst) && elem_idx == 0)
		return true;
	if (mesh_addr_is_group(dst))
		return model_sub_find(m, dst, NULL) >= 0;
	return false;
}

static bool access_model_key_ok(const struct mesh_model *m, uint16_t app_idx)
{
	if (m->dev_key)
		return app_idx == MESH_KEY_IDX_DEV;
	return app_idx != MESH_KEY_IDX_DEV && mesh_model_is_bound(m, app_idx);
}

/* How far a message got before being dropped: the most telling reason wins. */
static int access_reason_rank(int err)
{
	switch (err) {
	case MESH_ERR_DST: return 0;
	case MESH_ERR_UNKNOWN_OPCODE: return 1;
	case MESH_ERR_NOT_BOUND: return 2;
	default: return 3;
	}
}

static void access_reason(int *reason, int err)
{
	if (access_reason_rank(err) > access_reason_rank(*reason))
		*reason = err;
}

/*
 * Offer msg to one model. Returns 1 if its handler ran (result in *rc),
 * else 0 with the drop reason folded into *reason.
 */
static int access_model_recv(const struct mesh_access *a, uint8_t elem_idx,
			     struct mesh_model *m, const struct mesh_access_msg *msg,
			     int *reason, int *rc)
{
	const struct mesh_access_op *op;

	if (!access_model_addressed(a, elem_idx, m, msg))
		return 0;
	access_reason(reason, MESH_ERR_UNKNOWN_OPCODE);
	op = access_model_op(m, msg->opcode);
	if (!op)
		return 0;
	if (!access_model_key_ok(m, msg->app_idx)) {
		access_reason(reason, MESH_ERR_NOT_BOUND);
		return 0;
	}
	if (msg->params_len < op->min_len) {
		access_reason(reason, MESH_ERR_TRUNCATED);
		return 0;
	}
	if (op->max_len && msg->params_len > op->max_len) {
		access_reason(reason, MESH_ERR_OVERSIZED);
		return 0;
	}
	*rc = op->handler(m, msg);
	return 1;
}

int mesh_access_dispatch(struct mesh_access *a, struct mesh_access_msg *msg,
			 const uint8_t *payload, size_t len)
{
	struct mesh_access_pdu pdu;
	int reason = MESH_ERR_DST;
	int result = 0;
	int ran = 0;
	uint8_t first = 0, end = a->n_elems;
	int err;

	err = mesh_access_parse(payload, len, &pdu);
	if (err)
		return err;
	msg->opcode = pdu.opcode;
	msg->params = pdu.params;
	msg->params_len = pdu.params_len;

	/* Unicast reaches one element at most: skip the others outright. */
	if (mesh_addr_is_unicast(msg->dst)) {
		if (!a->primary || msg->dst < a->primary ||
		    msg->dst - a->primary >= a->n_elems)
			return MESH_ERR_DST;
		first = (uint8_t)(msg->dst - a->primary);
		end = (uint8_t)(first + 1);
	}

	for (uint8_t e = first; e < end; e++) {
		struct mesh_element *elem = &a->elems[e];

		for (uint8_t i = 0; i < elem->n_models; i++) {
			int rc = 0;

			if (!access_model_recv(a, e, elem->models[i], msg, &reason, &rc))
				continue;
			ran = 1;
			if (rc && !result)
				result = rc;
		}
	}
	return ran ? result : reason;
}
