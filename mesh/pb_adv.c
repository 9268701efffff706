/*
 * PB-ADV and Generic Provisioning (see pb_adv.h). Section numbers are
 * those of Mesh Protocol 1.1.
 *
 * Codec. The parser accepts only PDUs whose fields agree with each other:
 * a Transaction Start's SegN must be exactly what its TotalLength needs
 * and its data must fill the segment, so a link never has to guess which
 * of two contradicting fields to believe.
 *
 * Link. One timer (retransmit) repeats whatever the link is waiting to
 * have heard: Link Open until Link Ack, the segments of the transaction in
 * flight until Transaction Ack, Link Close until it has gone out
 * MESH_PB_ADV_CLOSE_REPEAT times. The other (give_up) bounds the wait for
 * Link Ack and for each Transaction Ack. Either timeout closes the link
 * with Link Close (Timeout), as the peer may well have heard us even if
 * we never heard it.
 *
 * Incoming transactions are reassembled in any order: segments carry
 * their index, so a continuation that overtakes the Start is kept and its
 * length checked once the Start has said how long the PDU is. The peer
 * numbers its transactions one after another from the first of its half,
 * so only three numbers mean anything: the one being reassembled, the
 * last one completed (the peer missed our ack: ack again, deliver
 * nothing) and the next one. Anything else is a stale repeat.
 *
 * Callbacks come last on every path, so an owner may close, abort or
 * reopen the link from inside any of them. ops->send is expected to queue
 * the PDU for the radio, not to hand it synchronously to the peer.
 */
#include <string.h>

#include "bytes.h"
#include "err.h"
#include "log.h"
#include "pb_adv.h"
#include "util.h"

#define LOG_COMPONENT "pb-adv"

#define HDR_LEN 6            /* Link ID (4), Transaction Number, GPC octet */
#define GPC_OFFSET 5
#define GPCF_MASK 0x03
#define START_FIELDS_LEN 3   /* TotalLength (2), FCS after the GPC octet */
#define UUID_LEN 16
#define CLOSE_PARAM_LEN 1

#define TRANSACTION_COUNTER_MASK 0x7f
#define TRANSACTION_HALF_BIT 0x80
#define PROVISIONER_FIRST_TRANSACTION 0x00
#define DEVICE_FIRST_TRANSACTION 0x80
/* Bearer Control PDUs are not transactions; their number is always 0. */
#define CONTROL_TRANSACTION 0x00

/* 3GPP TS 27.010: CRC-8 with x^8 + x^2 + x + 1 (0x07) processed least
 * significant bit first, hence the bit-reversed polynomial. */
#define FCS_POLY_REVERSED 0xe0
#define FCS_INIT 0xff

/* The largest provisioning PDU the Generic Provisioning PDU can describe. */
#define TRANSACTION_DATA_MAX \
	(MESH_PB_ADV_START_DATA_MAX + (MESH_PB_ADV_SEGMENTS_MAX - 1) * MESH_PB_ADV_CONT_DATA_MAX)
/* Segments of the largest provisioning PDU a link carries. */
#define LINK_SEGMENTS_MAX \
	(1 + (MESH_PROV_PDU_MAX - MESH_PB_ADV_START_DATA_MAX + MESH_PB_ADV_CONT_DATA_MAX - 1) / \
		     MESH_PB_ADV_CONT_DATA_MAX)

/* ---- codec -------------------------------------------------------------- */

uint8_t mesh_pb_adv_fcs(const uint8_t *data, size_t len)
{
	uint8_t crc = FCS_INIT;

	for (size_t i = 0; i < len; i++) {
		crc ^= data[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc & 1) ? (uint8_t)((crc >> 1) ^ FCS_POLY_REVERSED) :
					  (uint8_t)(crc >> 1);
	}
	return (uint8_t)~crc;
}

/* SegN of a transaction carrying total_len octets. */
static unsigned int seg_n_for(size_t total_len)
{
	if (total_len <= MESH_PB_ADV_START_DATA_MAX)
		return 0;
	return (unsigned int)(1 + (total_len - MESH_PB_ADV_START_DATA_MAX - 1) /
					  MESH_PB_ADV_CONT_DATA_MAX);
}

/* Where segment index's data starts in the provisioning PDU. */
static size_t seg_offset(unsigned int index)
{
	if (index == 0)
		return 0;
	return MESH_PB_ADV_START_DATA_MAX + (size_t)(index - 1) * MESH_PB_ADV_CONT_DATA_MAX;
}

/* Data octets segment index of a total_len transaction must carry. */
static size_t seg_data_len(size_t total_len, unsigned int index)
{
	size_t max = index == 0 ? MESH_PB_ADV_START_DATA_MAX : MESH_PB_ADV_CONT_DATA_MAX;
	size_t left = total_len - seg_offset(index);

	return left < max ? left : max;
}

static int parse_start(uint8_t gpc, const uint8_t *body, size_t body_len,
		       struct mesh_pb_adv_pdu *out)
{
	size_t expected;

	if (body_len < START_FIELDS_LEN)
		return MESH_ERR_TRUNCATED;
	out->start.seg_n = gpc >> 2;
	out->start.total_len = mesh_get_be16(body);
	out->start.fcs = body[2];
	out->data = body + START_FIELDS_LEN;
	out->data_len = (uint8_t)(body_len - START_FIELDS_LEN);
	if (out->data_len == 0 || out->start.total_len == 0 ||
	    out->start.seg_n != seg_n_for(out->start.total_len))
		return MESH_ERR_RESERVED;
	expected = seg_data_len(out->start.total_len, 0);
	if (out->data_len < expected)
		return MESH_ERR_TRUNCATED;
	if (out->data_len > expected)
		return MESH_ERR_OVERSIZED;
	return 0;
}

static int parse_ack(uint8_t gpc, size_t body_len)
{
	/* The six bits above the GPCF are padding, 0 (5.3.1.2). */
	if (gpc >> 2)
		return MESH_ERR_RESERVED;
	if (body_len)
		return MESH_ERR_OVERSIZED;
	return 0;
}

static int parse_continuation(uint8_t gpc, const uint8_t *body, size_t body_len,
			      struct mesh_pb_adv_pdu *out)
{
	out->seg_index = gpc >> 2;
	out->data = body;
	out->data_len = (uint8_t)body_len;
	/* Index 0 is the Start's; a continuation always carries data. */
	if (out->seg_index == 0 || body_len == 0)
		return MESH_ERR_RESERVED;
	return 0;
}

static int exact_len(size_t len, size_t want)
{
	if (len < want)
		return MESH_ERR_TRUNCATED;
	if (len > want)
		return MESH_ERR_OVERSIZED;
	return 0;
}

static int parse_control(uint8_t gpc, const uint8_t *body, size_t body_len,
			 struct mesh_pb_adv_pdu *out)
{
	int err;

	out->control.opcode = gpc >> 2;
	switch (out->control.opcode) {
	case MESH_PB_ADV_LINK_OPEN:
		err = exact_len(body_len, UUID_LEN);
		if (!err)
			memcpy(out->control.uuid, body, UUID_LEN);
		return err;
	case MESH_PB_ADV_LINK_ACK:
		return exact_len(body_len, 0);
	case MESH_PB_ADV_LINK_CLOSE:
		err = exact_len(body_len, CLOSE_PARAM_LEN);
		if (err)
			return err;
		out->control.reason = body[0];
		return out->control.reason > MESH_PB_ADV_CLOSE_FAIL ? MESH_ERR_RESERVED : 0;
	default:
		return MESH_ERR_RESERVED;
	}
}

int mesh_pb_adv_parse(const uint8_t *buf, size_t len, struct mesh_pb_adv_pdu *out)
{
	const uint8_t *body;
	size_t body_len;
	uint8_t gpc;

	if (!out || (!buf && len))
		return MESH_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (len < HDR_LEN)
		return MESH_ERR_TRUNCATED;
	if (len > MESH_PB_ADV_PDU_MAX)
		return MESH_ERR_OVERSIZED;
	out->link_id = mesh_get_be32(buf);
	out->transaction = buf[4];
	gpc = buf[GPC_OFFSET];
	out->gpcf = gpc & GPCF_MASK;
	body = buf + HDR_LEN;
	body_len = len - HDR_LEN;
	switch (out->gpcf) {
	case MESH_PB_ADV_TX_START:
		return parse_start(gpc, body, body_len, out);
	case MESH_PB_ADV_TX_ACK:
		return parse_ack(gpc, body_len);
	case MESH_PB_ADV_TX_CONTINUATION:
		return parse_continuation(gpc, body, body_len, out);
	default:
		return parse_control(gpc, body, body_len, out);
	}
}

static size_t put_header(uint8_t *out, uint32_t link_id, uint8_t transaction, uint8_t gpc)
{
	mesh_put_be32(out, link_id);
	out[4] = transaction;
	out[GPC_OFFSET] = gpc;
	return HDR_LEN;
}

static uint8_t gpc_of(unsigned int upper6, enum mesh_pb_adv_gpcf gpcf)
{
	return (uint8_t)(upper6 << 2 | gpcf);
}

int mesh_pb_adv_segment(uint32_t link_id, uint8_t transaction, const uint8_t *prov_pdu,
			size_t len, uint8_t out[][MESH_PB_ADV_PDU_MAX], uint8_t *lens,
			size_t max_segments)
{
	unsigned int seg_n;
	size_t n;

	if (!prov_pdu || !out || !lens || len == 0)
		return MESH_ERR_INVAL;
	if (len > TRANSACTION_DATA_MAX)
		return MESH_ERR_OVERSIZED;
	seg_n = seg_n_for(len);
	if (seg_n + 1u > max_segments)
		return MESH_ERR_OVERSIZED;
	for (unsigned int i = 0; i <= seg_n; i++) {
		size_t data_len = seg_data_len(len, i);

		if (i == 0) {
			n = put_header(out[i], link_id, transaction,
				       gpc_of(seg_n, MESH_PB_ADV_TX_START));
			mesh_put_be16(out[i] + n, (uint16_t)len);
			out[i][n + 2] = mesh_pb_adv_fcs(prov_pdu, len);
			n += START_FIELDS_LEN;
		} else {
			n = put_header(out[i], link_id, transaction,
				       gpc_of(i, MESH_PB_ADV_TX_CONTINUATION));
		}
		memcpy(out[i] + n, prov_pdu + seg_offset(i), data_len);
		lens[i] = (uint8_t)(n + data_len);
	}
	return (int)seg_n + 1;
}

size_t mesh_pb_adv_compose_ack(uint32_t link_id, uint8_t transaction,
			       uint8_t out[MESH_PB_ADV_PDU_MAX])
{
	return put_header(out, link_id, transaction, gpc_of(0, MESH_PB_ADV_TX_ACK));
}

static size_t put_control(uint8_t *out, uint32_t link_id, enum mesh_pb_adv_bearer_op op)
{
	return put_header(out, link_id, CONTROL_TRANSACTION,
			  gpc_of(op, MESH_PB_ADV_BEARER_CONTROL));
}

size_t mesh_pb_adv_compose_link_open(uint32_t link_id, const uint8_t uuid[16],
				     uint8_t out[MESH_PB_ADV_PDU_MAX])
{
	size_t n = put_control(out, link_id, MESH_PB_ADV_LINK_OPEN);

	memcpy(out + n, uuid, UUID_LEN);
	return n + UUID_LEN;
}

size_t mesh_pb_adv_compose_link_ack(uint32_t link_id, uint8_t out[MESH_PB_ADV_PDU_MAX])
{
	return put_control(out, link_id, MESH_PB_ADV_LINK_ACK);
}

size_t mesh_pb_adv_compose_link_close(uint32_t link_id, uint8_t reason,
				      uint8_t out[MESH_PB_ADV_PDU_MAX])
{
	size_t n = put_control(out, link_id, MESH_PB_ADV_LINK_CLOSE);

	out[n] = reason;
	return n + CLOSE_PARAM_LEN;
}

/* ---- link: helpers -------------------------------------------------------- */

static uint8_t next_transaction(uint8_t t)
{
	/* Each role counts within its own half (5.2.1). */
	return (uint8_t)((t & TRANSACTION_HALF_BIT) | ((t + 1) & TRANSACTION_COUNTER_MASK));
}

static uint8_t first_transaction(enum mesh_pb_adv_role role)
{
	return role == MESH_PB_ADV_PROVISIONER ? PROVISIONER_FIRST_TRANSACTION :
						 DEVICE_FIRST_TRANSACTION;
}

static enum mesh_pb_adv_role peer_role(const struct mesh_pb_adv_link *l)
{
	return l->role == MESH_PB_ADV_PROVISIONER ? MESH_PB_ADV_DEVICE :
						    MESH_PB_ADV_PROVISIONER;
}

static bool listening(const struct mesh_pb_adv_link *l)
{
	return l->role == MESH_PB_ADV_DEVICE && l->state == MESH_PB_ADV_OPENING;
}

static const char *closed_why_name(enum mesh_pb_adv_closed_why why)
{
	switch (why) {
	case MESH_PB_ADV_CLOSED_LOCAL: return "closed locally";
	case MESH_PB_ADV_CLOSED_BY_PEER: return "closed by peer";
	case MESH_PB_ADV_CLOSED_OPEN_TIMEOUT: return "no link ack";
	case MESH_PB_ADV_CLOSED_TX_TIMEOUT: return "transaction timeout";
	}
	return "unknown";
}

/* A PDU the radio refuses is no different from one lost on the air:
 * whatever it was for is repeated by us or prompted again by the peer. */
static void transmit(struct mesh_pb_adv_link *l, const uint8_t *pdu, size_t len)
{
	(void)l->ops->send(l->ctx, pdu, len);
}

static void send_link_open(struct mesh_pb_adv_link *l)
{
	uint8_t pdu[MESH_PB_ADV_PDU_MAX];

	transmit(l, pdu, mesh_pb_adv_compose_link_open(l->link_id, l->uuid, pdu));
}

static void send_link_ack(struct mesh_pb_adv_link *l)
{
	uint8_t pdu[MESH_PB_ADV_PDU_MAX];

	transmit(l, pdu, mesh_pb_adv_compose_link_ack(l->link_id, pdu));
}

static void send_link_close(struct mesh_pb_adv_link *l)
{
	uint8_t pdu[MESH_PB_ADV_PDU_MAX];

	transmit(l, pdu, mesh_pb_adv_compose_link_close(l->link_id, l->close_reason, pdu));
}

static void send_transaction_ack(struct mesh_pb_adv_link *l, uint8_t transaction)
{
	uint8_t pdu[MESH_PB_ADV_PDU_MAX];

	transmit(l, pdu, mesh_pb_adv_compose_ack(l->link_id, transaction, pdu));
}

/* ---- link: closing ------------------------------------------------------- */

static void finish(struct mesh_pb_adv_link *l, enum mesh_pb_adv_closed_why why,
		   uint8_t reason)
{
	const struct mesh_pb_adv_link_ops *ops = l->ops;
	void *ctx = l->ctx;

	mesh_timer_stop(l->timers, &l->retransmit);
	mesh_timer_stop(l->timers, &l->give_up);
	l->state = MESH_PB_ADV_IDLE;
	l->tx_queued = 0;
	l->tx_in_flight = false;
	l->rx_active = false;
	mesh_log_debug(LOG_COMPONENT, "link %08x %s (reason %u)", (unsigned int)l->link_id,
		       closed_why_name(why), reason);
	ops->closed(ctx, why, reason);
}

static void close_step(struct mesh_pb_adv_link *l)
{
	/* One interval after the last repeat, so it is out before the owner
	 * hears the link is gone and perhaps stops the advertiser. */
	if (!l->close_left) {
		finish(l, l->close_why, l->close_reason);
		return;
	}
	l->close_left--;
	mesh_timer_start(l->timers, &l->retransmit, MESH_PB_ADV_RETRANSMIT_MS);
	send_link_close(l);
}

static void start_close(struct mesh_pb_adv_link *l, uint8_t reason,
			enum mesh_pb_adv_closed_why why)
{
	if (l->state == MESH_PB_ADV_IDLE || l->state == MESH_PB_ADV_CLOSING)
		return;
	if (listening(l)) {
		/* No link yet, so no Link ID to close. */
		finish(l, why, reason);
		return;
	}
	mesh_timer_stop(l->timers, &l->give_up);
	l->state = MESH_PB_ADV_CLOSING;
	l->tx_queued = 0;
	l->tx_in_flight = false;
	l->rx_active = false;
	l->close_reason = reason;
	l->close_why = why;
	l->close_left = MESH_PB_ADV_CLOSE_REPEAT;
	close_step(l);
}

/* ---- link: transmitting -------------------------------------------------- */

static void tx_send_segments(struct mesh_pb_adv_link *l)
{
	uint8_t segs[LINK_SEGMENTS_MAX][MESH_PB_ADV_PDU_MAX];
	uint8_t lens[LINK_SEGMENTS_MAX];
	int n = mesh_pb_adv_segment(l->link_id, l->tx_transaction, l->tx_queue[0],
				    l->tx_queue_len[0], segs, lens, LINK_SEGMENTS_MAX);

	for (int i = 0; i < n; i++)
		transmit(l, segs[i], lens[i]);
}

static void tx_begin(struct mesh_pb_adv_link *l)
{
	l->tx_transaction = l->tx_next;
	l->tx_next = next_transaction(l->tx_next);
	l->tx_in_flight = true;
	mesh_timer_start(l->timers, &l->retransmit, MESH_PB_ADV_RETRANSMIT_MS);
	mesh_timer_start(l->timers, &l->give_up, MESH_PB_ADV_TRANSACTION_TIMEOUT_MS);
	tx_send_segments(l);
}

/* The transaction in flight was acknowledged, one way or the other. */
static void tx_done(struct mesh_pb_adv_link *l)
{
	mesh_timer_stop(l->timers, &l->retransmit);
	mesh_timer_stop(l->timers, &l->give_up);
	l->tx_in_flight = false;
	l->tx_queued--;
	memmove(l->tx_queue[0], l->tx_queue[1], l->tx_queued * sizeof(l->tx_queue[0]));
	memmove(l->tx_queue_len, l->tx_queue_len + 1, l->tx_queued);
	if (l->tx_queued) {
		tx_begin(l);
		return;
	}
	if (l->ops->sent)
		l->ops->sent(l->ctx);
}

/* ---- link: receiving ----------------------------------------------------- */

static uint64_t segments_mask(unsigned int seg_n)
{
	return seg_n >= 63 ? UINT64_MAX : ((uint64_t)1 << (seg_n + 1)) - 1;
}

static bool rx_start_known(const struct mesh_pb_adv_link *l)
{
	return l->rx_seen & 1;
}

static uint8_t rx_expected(const struct mesh_pb_adv_link *l)
{
	return l->rx_have_last ? next_transaction(l->rx_last) : first_transaction(peer_role(l));
}

static void rx_add_start(struct mesh_pb_adv_link *l, const struct mesh_pb_adv_pdu *p)
{
	if (rx_start_known(l) || p->start.total_len > MESH_PROV_PDU_MAX)
		return;
	l->rx_seg_n = p->start.seg_n;
	l->rx_total_len = p->start.total_len;
	l->rx_fcs = p->start.fcs;
	memcpy(l->rx_buf, p->data, p->data_len);
	l->rx_seg_len[0] = p->data_len;
	l->rx_seen |= 1;
}

static void rx_add_continuation(struct mesh_pb_adv_link *l, const struct mesh_pb_adv_pdu *p)
{
	unsigned int index = p->seg_index;
	size_t offset = seg_offset(index);

	if (l->rx_seen & ((uint64_t)1 << index))
		return;
	if (rx_start_known(l) && index > l->rx_seg_n)
		return;
	if (index >= MESH_ARRAY_SIZE(l->rx_seg_len) || offset + p->data_len > MESH_PROV_PDU_MAX)
		return;
	memcpy(l->rx_buf + offset, p->data, p->data_len);
	l->rx_seg_len[index] = p->data_len;
	l->rx_seen |= (uint64_t)1 << index;
}

static bool rx_lengths_agree(const struct mesh_pb_adv_link *l)
{
	for (unsigned int i = 1; i <= l->rx_seg_n; i++) {
		if (l->rx_seg_len[i] != seg_data_len(l->rx_total_len, i))
			return false;
	}
	return true;
}

static void rx_try_complete(struct mesh_pb_adv_link *l)
{
	uint64_t all = segments_mask(l->rx_seg_n);

	if (!rx_start_known(l) || (l->rx_seen & all) != all)
		return;
	if (!rx_lengths_agree(l) ||
	    mesh_pb_adv_fcs(l->rx_buf, l->rx_total_len) != l->rx_fcs) {
		/* Unacknowledged, so the peer sends every segment again:
		 * start over rather than keep a segment that may be bad. */
		l->rx_seen = 0;
		return;
	}
	l->rx_active = false;
	l->rx_have_last = true;
	l->rx_last = l->rx_transaction;
	send_transaction_ack(l, l->rx_last);
	l->ops->receive(l->ctx, l->rx_buf, l->rx_total_len);
}

static void rx_add_segment(struct mesh_pb_adv_link *l, const struct mesh_pb_adv_pdu *p)
{
	if (p->gpcf == MESH_PB_ADV_TX_START)
		rx_add_start(l, p);
	else
		rx_add_continuation(l, p);
	rx_try_complete(l);
}

static void rx_data(struct mesh_pb_adv_link *l, const struct mesh_pb_adv_pdu *p)
{
	uint8_t t = p->transaction;

	if (l->rx_active && t == l->rx_transaction) {
		rx_add_segment(l, p);
		return;
	}
	if (l->rx_have_last && t == l->rx_last) {
		send_transaction_ack(l, t);
		return;
	}
	if (t != rx_expected(l))
		return;
	l->rx_active = true;
	l->rx_transaction = t;
	l->rx_seen = 0;
	/* The peer only moves on once it has our PDU (see pb_adv.h). */
	if (l->tx_in_flight) {
		tx_done(l);
		if (l->state != MESH_PB_ADV_OPEN)
			return;
	}
	rx_add_segment(l, p);
}

static void rx_transaction_ack(struct mesh_pb_adv_link *l, const struct mesh_pb_adv_pdu *p)
{
	if (l->tx_in_flight && p->transaction == l->tx_transaction)
		tx_done(l);
}

static void link_established(struct mesh_pb_adv_link *l)
{
	mesh_timer_stop(l->timers, &l->retransmit);
	mesh_timer_stop(l->timers, &l->give_up);
	l->state = MESH_PB_ADV_OPEN;
	mesh_log_debug(LOG_COMPONENT, "link %08x opened", (unsigned int)l->link_id);
	l->ops->opened(l->ctx);
}

static void rx_control(struct mesh_pb_adv_link *l, const struct mesh_pb_adv_pdu *p)
{
	switch (p->control.opcode) {
	case MESH_PB_ADV_LINK_OPEN:
		/* Our Link Ack was lost: the Provisioner is still asking. */
		if (l->role == MESH_PB_ADV_DEVICE && !memcmp(p->control.uuid, l->uuid, UUID_LEN))
			send_link_ack(l);
		break;
	case MESH_PB_ADV_LINK_ACK:
		if (l->role == MESH_PB_ADV_PROVISIONER && l->state == MESH_PB_ADV_OPENING)
			link_established(l);
		break;
	default:
		finish(l, MESH_PB_ADV_CLOSED_BY_PEER, p->control.reason);
		break;
	}
}

/* A listening device: only a Link Open with its UUID concerns it. */
static int rx_listening(struct mesh_pb_adv_link *l, const struct mesh_pb_adv_pdu *p)
{
	if (p->gpcf != MESH_PB_ADV_BEARER_CONTROL || p->control.opcode != MESH_PB_ADV_LINK_OPEN ||
	    memcmp(p->control.uuid, l->uuid, UUID_LEN))
		return MESH_ERR_NOT_FOUND;
	l->link_id = p->link_id;
	l->state = MESH_PB_ADV_OPEN;
	mesh_log_debug(LOG_COMPONENT, "link %08x opened", (unsigned int)l->link_id);
	send_link_ack(l);
	l->ops->opened(l->ctx);
	return 0;
}

int mesh_pb_adv_link_receive(struct mesh_pb_adv_link *l, const uint8_t *pdu, size_t len)
{
	struct mesh_pb_adv_pdu p;
	int err;

	if (!l)
		return MESH_ERR_INVAL;
	err = mesh_pb_adv_parse(pdu, len, &p);
	if (err)
		return err;
	if (l->state == MESH_PB_ADV_IDLE)
		return MESH_ERR_NOT_FOUND;
	if (listening(l))
		return rx_listening(l, &p);
	/* Also a Link Open for us on another link: one link at a time. */
	if (p.link_id != l->link_id)
		return MESH_ERR_NOT_FOUND;
	if (l->state == MESH_PB_ADV_CLOSING)
		return 0;
	switch (p.gpcf) {
	case MESH_PB_ADV_BEARER_CONTROL:
		rx_control(l, &p);
		break;
	case MESH_PB_ADV_TX_ACK:
		if (l->state == MESH_PB_ADV_OPEN)
			rx_transaction_ack(l, &p);
		break;
	default:
		if (l->state == MESH_PB_ADV_OPEN)
			rx_data(l, &p);
		break;
	}
	return 0;
}

/* ---- link: timers -------------------------------------------------------- */

static void retransmit_fire(struct mesh_timer *t)
{
	struct mesh_pb_adv_link *l = MESH_CONTAINER_OF(t, struct mesh_pb_adv_link, retransmit);

	switch (l->state) {
	case MESH_PB_ADV_OPENING:
		if (l->role == MESH_PB_ADV_PROVISIONER) {
			mesh_timer_start(l->timers, &l->retransmit, MESH_PB_ADV_RETRANSMIT_MS);
			send_link_open(l);
		}
		break;
	case MESH_PB_ADV_OPEN:
		if (l->tx_in_flight) {
			mesh_timer_start(l->timers, &l->retransmit, MESH_PB_ADV_RETRANSMIT_MS);
			tx_send_segments(l);
		}
		break;
	case MESH_PB_ADV_CLOSING:
		close_step(l);
		break;
	default:
		break;
	}
}

static void give_up_fire(struct mesh_timer *t)
{
	struct mesh_pb_adv_link *l = MESH_CONTAINER_OF(t, struct mesh_pb_adv_link, give_up);

	if (l->state == MESH_PB_ADV_OPENING && l->role == MESH_PB_ADV_PROVISIONER) {
		mesh_log_debug(LOG_COMPONENT, "link %08x: no link ack, giving up",
			       (unsigned int)l->link_id);
		start_close(l, MESH_PB_ADV_CLOSE_TIMEOUT, MESH_PB_ADV_CLOSED_OPEN_TIMEOUT);
	} else if (l->state == MESH_PB_ADV_OPEN && l->tx_in_flight) {
		mesh_log_debug(LOG_COMPONENT, "link %08x: transaction %02x never acknowledged",
			       (unsigned int)l->link_id, l->tx_transaction);
		start_close(l, MESH_PB_ADV_CLOSE_TIMEOUT, MESH_PB_ADV_CLOSED_TX_TIMEOUT);
	}
}

/* ---- link: owner's calls ------------------------------------------------- */

static int link_setup(struct mesh_pb_adv_link *l, struct mesh_timers *timers,
		      enum mesh_pb_adv_role role, const uint8_t uuid[16],
		      const struct mesh_pb_adv_link_ops *ops, void *ctx)
{
	if (!l || !timers || !uuid || !ops || !ops->send || !ops->opened || !ops->receive ||
	    !ops->closed)
		return MESH_ERR_INVAL;
	if (mesh_pb_adv_link_busy(l))
		return MESH_ERR_BUSY;
	/* Idle means no timer is armed, so the struct may be wiped. */
	memset(l, 0, sizeof(*l));
	l->role = role;
	memcpy(l->uuid, uuid, UUID_LEN);
	l->ops = ops;
	l->ctx = ctx;
	l->timers = timers;
	l->tx_next = first_transaction(role);
	mesh_timer_init(&l->retransmit, retransmit_fire);
	mesh_timer_init(&l->give_up, give_up_fire);
	return 0;
}

int mesh_pb_adv_link_open(struct mesh_pb_adv_link *l, struct mesh_timers *timers,
			  uint32_t link_id, const uint8_t uuid[16],
			  const struct mesh_pb_adv_link_ops *ops, void *ctx)
{
	int err = link_setup(l, timers, MESH_PB_ADV_PROVISIONER, uuid, ops, ctx);

	if (err)
		return err;
	l->link_id = link_id;
	l->state = MESH_PB_ADV_OPENING;
	mesh_timer_start(timers, &l->retransmit, MESH_PB_ADV_RETRANSMIT_MS);
	mesh_timer_start(timers, &l->give_up, MESH_PB_ADV_LINK_OPEN_TIMEOUT_MS);
	send_link_open(l);
	return 0;
}

int mesh_pb_adv_link_listen(struct mesh_pb_adv_link *l, struct mesh_timers *timers,
			    const uint8_t uuid[16], const struct mesh_pb_adv_link_ops *ops,
			    void *ctx)
{
	int err = link_setup(l, timers, MESH_PB_ADV_DEVICE, uuid, ops, ctx);

	if (err)
		return err;
	l->state = MESH_PB_ADV_OPENING;
	return 0;
}

int mesh_pb_adv_link_send(struct mesh_pb_adv_link *l, const uint8_t *prov_pdu, size_t len)
{
	if (!l || !prov_pdu || len == 0)
		return MESH_ERR_INVAL;
	if (l->state != MESH_PB_ADV_OPEN)
		return MESH_ERR_DOWN;
	if (len > MESH_PROV_PDU_MAX)
		return MESH_ERR_OVERSIZED;
	if (l->tx_queued == MESH_PB_ADV_QUEUE_MAX)
		return MESH_ERR_FULL;
	memcpy(l->tx_queue[l->tx_queued], prov_pdu, len);
	l->tx_queue_len[l->tx_queued] = (uint8_t)len;
	l->tx_queued++;
	if (!l->tx_in_flight)
		tx_begin(l);
	return 0;
}

void mesh_pb_adv_link_close(struct mesh_pb_adv_link *l, uint8_t reason)
{
	if (!l)
		return;
	/* A reason the peer would reject as RFU is a failure all the same. */
	if (reason > MESH_PB_ADV_CLOSE_FAIL)
		reason = MESH_PB_ADV_CLOSE_FAIL;
	start_close(l, reason, MESH_PB_ADV_CLOSED_LOCAL);
}

void mesh_pb_adv_link_abort(struct mesh_pb_adv_link *l)
{
	if (!l || l->state == MESH_PB_ADV_IDLE)
		return;
	mesh_timer_stop(l->timers, &l->retransmit);
	mesh_timer_stop(l->timers, &l->give_up);
	l->state = MESH_PB_ADV_IDLE;
	l->tx_queued = 0;
	l->tx_in_flight = false;
	l->rx_active = false;
}
