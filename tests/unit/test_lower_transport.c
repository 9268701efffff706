/*
 * Lower transport codec against the Mesh sample data (8.3): every lower
 * transport PDU decodes to its documented header fields and encodes back
 * byte for byte; the segmented messages reassemble into their upper
 * transport PDU and segment into exactly the printed segments; malformed
 * PDUs are refused with the error that names the fault.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/lower_transport.h"
#include "vectors.h"

#define MAX_CAPTURE 16

/* What the fake network layer and upper transport saw. */
struct capture {
	unsigned int sent;
	struct mesh_net_tx tx[MAX_CAPTURE];
	uint8_t pdu[MAX_CAPTURE][MESH_LT_MAX_PDU];
	uint32_t next_seq;
	unsigned int delivered;
	uint8_t msg_pdu[MESH_UPPER_MAX_PDU];
	struct mesh_transport_msg msg;
	unsigned int done_calls;
	int done_err;
};

static int cap_net_send(void *ctx, const struct mesh_net_tx *tx)
{
	struct capture *c = ctx;

	assert_true(c->sent < MAX_CAPTURE);
	assert_true(tx->transport_len <= MESH_LT_MAX_PDU);
	c->tx[c->sent] = *tx;
	memcpy(c->pdu[c->sent], tx->transport, tx->transport_len);
	c->tx[c->sent].transport = c->pdu[c->sent];
	c->sent++;
	return 0;
}

static int cap_seq_next(void *ctx, uint16_t src, uint32_t *seq)
{
	struct capture *c = ctx;

	(void)src;
	*seq = c->next_seq++;
	return 0;
}

static int cap_deliver(void *ctx, const struct mesh_transport_msg *msg)
{
	struct capture *c = ctx;

	c->delivered++;
	c->msg = *msg;
	assert_true(msg->len <= sizeof(c->msg_pdu));
	memcpy(c->msg_pdu, msg->pdu, msg->len);
	c->msg.pdu = c->msg_pdu;
	return 0;
}

static void cap_send_done(void *ctx, void *cookie, int err)
{
	struct capture *c = ctx;

	(void)cookie;
	c->done_calls++;
	c->done_err = err;
}

static const struct mesh_lt_ops cap_ops = {
	.net_send = cap_net_send,
	.seq_next = cap_seq_next,
	.deliver = cap_deliver,
	.send_done = cap_send_done,
};

static json_t *message(size_t i)
{
	json_t *m = json_array_get(vec_get(vectors_root(), "messages"), i);

	assert_non_null(m);
	return m;
}

static size_t message_count(void)
{
	return json_array_size(vec_get(vectors_root(), "messages"));
}

static void check_decoded(json_t *m, json_t *l, const struct mesh_lt_pdu *p)
{
	bool ctl = vec_int(m, "ctl");
	uint8_t buf[MESH_UPPER_MAX_PDU];
	size_t n;

	assert_int_equal(p->seg, vec_int(l, "seg"));
	if (p->seg) {
		if (!ctl) {
			assert_int_equal(p->akf, vec_int(l, "akf"));
			assert_int_equal(p->aid, vec_int(l, "aid"));
			assert_int_equal(p->szmic, vec_int(l, "szmic"));
		}
		assert_int_equal(p->seq_zero, vec_int(l, "seq_zero"));
		assert_int_equal(p->seg_o, vec_int(l, "seg_o"));
		assert_int_equal(p->seg_n, vec_int(l, "seg_n"));
		n = vec_hex(l, "segment", buf, sizeof(buf));
	} else {
		if (ctl) {
			assert_int_equal(p->opcode, vec_int(m, "control.opcode"));
		} else {
			assert_int_equal(p->akf, vec_int(l, "akf"));
			assert_int_equal(p->aid, vec_int(l, "aid"));
		}
		n = vec_hex(m, "upper_transport_pdu", buf, sizeof(buf));
	}
	assert_int_equal(p->payload_len, n);
	assert_bytes_equal(p->payload, buf, n);
}

/* Fields straight from the JSON, not from our decoder. */
static void fields_from_json(json_t *m, json_t *l, struct mesh_lt_pdu *p,
			     uint8_t *payload, size_t max)
{
	memset(p, 0, sizeof(*p));
	p->ctl = vec_int(m, "ctl");
	p->seg = vec_int(l, "seg");
	if (p->ctl) {
		p->opcode = (uint8_t)vec_int(m, "control.opcode");
	} else {
		p->akf = vec_int(l, "akf");
		p->aid = (uint8_t)vec_int(l, "aid");
	}
	if (p->seg) {
		if (!p->ctl)
			p->szmic = vec_int(l, "szmic");
		p->seq_zero = (uint16_t)vec_int(l, "seq_zero");
		p->seg_o = (uint8_t)vec_int(l, "seg_o");
		p->seg_n = (uint8_t)vec_int(l, "seg_n");
		p->payload_len = vec_hex(l, "segment", payload, max);
	} else if (p->ctl && p->opcode == MESH_CTL_SEG_ACK) {
		p->obo = vec_int(m, "control.fields.obo");
		p->seq_zero = (uint16_t)vec_int(m, "control.fields.seq_zero");
		p->block_ack = (uint32_t)vec_int(m, "control.fields.block_ack");
	} else {
		p->payload_len = vec_hex(m, "upper_transport_pdu", payload, max);
	}
	p->payload = payload;
}

static void test_sample_pdus_decode_and_encode(void **state)
{
	unsigned int checked = 0;

	(void)state;
	assert_int_equal(message_count(), 24);
	for (size_t i = 0; i < message_count(); i++) {
		json_t *m = message(i);
		json_t *pdus = vec_get(m, "lower_transport_pdus");

		for (size_t j = 0; pdus && j < json_array_size(pdus); j++) {
			json_t *l = json_array_get(pdus, j);
			uint8_t pdu[32], out[32], payload[MESH_UPPER_MAX_PDU], hdr[4];
			size_t len = vec_hex(l, "pdu", pdu, sizeof(pdu));
			size_t hlen = vec_hex(l, "header", hdr, sizeof(hdr));
			struct mesh_lt_pdu p;
			int n;

			assert_int_equal(mesh_lt_decode(vec_int(m, "ctl"), pdu, len, &p), 0);
			check_decoded(m, l, &p);
			assert_bytes_equal(pdu, hdr, hlen);

			fields_from_json(m, l, &p, payload, sizeof(payload));
			n = mesh_lt_encode(&p, out, sizeof(out));
			assert_int_equal(n, len);
			assert_bytes_equal(out, pdu, len);
			checked++;
		}
	}
	/* 22 PDUs of the 20 messages that print lower transport PDUs. */
	assert_true(checked >= 20);
}

/* The relayed and friend-queued copies (#8, #11, #13, #15, #17) too. */
static void test_sample_network_copies_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < message_count(); i++) {
		json_t *m = message(i);
		json_t *nets = vec_get(m, "network_pdus");

		for (size_t j = 0; nets && j < json_array_size(nets); j++) {
			uint8_t pdu[32];
			size_t len = vec_hex(json_array_get(nets, j), "lower_transport_pdu",
					     pdu, sizeof(pdu));
			struct mesh_lt_pdu p;

			assert_int_equal(mesh_lt_decode(vec_int(m, "ctl"), pdu, len, &p), 0);
			assert_int_equal(p.seg, json_is_true(vec_get(m, "segmented")));
		}
	}
}

static void check_seg_ack(size_t idx)
{
	json_t *m = message(idx);
	uint8_t pdu[16];
	size_t len = vec_hex(m, "lower_transport_pdus.[0].pdu", pdu, sizeof(pdu));
	struct mesh_lt_pdu p;

	assert_int_equal(vec_int(m, "control.opcode"), MESH_CTL_SEG_ACK);
	assert_int_equal(mesh_lt_decode(true, pdu, len, &p), 0);
	assert_false(p.seg);
	assert_int_equal(p.opcode, MESH_CTL_SEG_ACK);
	assert_int_equal(p.obo, vec_int(m, "control.fields.obo"));
	assert_int_equal(p.seq_zero, vec_int(m, "control.fields.seq_zero"));
	assert_int_equal(p.block_ack, vec_int(m, "control.fields.block_ack"));
}

static void test_sample_segment_acks(void **state)
{
	(void)state;
	check_seg_ack(6);  /* message #7 */
	check_seg_ack(8);  /* message #9 */
}

static void rx_from_sample(json_t *m, json_t *l, struct mesh_net_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->iv_index = (uint32_t)vec_int(m, "iv_index");
	rx->ctl = (uint8_t)vec_int(m, "ctl");
	rx->ttl = (uint8_t)vec_int(m, "ttl");
	rx->seq = (uint32_t)vec_int(l, "seq");
	rx->src = (uint16_t)vec_int(m, "src");
	rx->dst = (uint16_t)vec_int(m, "dst");
	rx->transport_len = (uint8_t)vec_hex(l, "pdu", rx->transport, sizeof(rx->transport));
}

static void reassemble(size_t idx, bool reverse)
{
	json_t *m = message(idx);
	json_t *pdus = vec_get(m, "lower_transport_pdus");
	size_t n = json_array_size(pdus);
	uint8_t upper[MESH_UPPER_MAX_PDU];
	size_t ulen = vec_hex(m, "upper_transport_pdu", upper, sizeof(upper));
	struct mesh_lower_transport lt;
	struct mesh_timers ts;
	struct capture c = { .next_seq = 100 };
	struct mesh_net_rx rx;
	uint16_t dst = (uint16_t)vec_int(m, "dst");

	mesh_timers_init(&ts, 0);
	assert_int_equal(mesh_lt_init(&lt, &ts, NULL, &cap_ops, &c), 0);
	for (size_t k = 0; k < n; k++) {
		rx_from_sample(m, json_array_get(pdus, reverse ? n - 1 - k : k), &rx);
		assert_int_equal(mesh_lt_receive(&lt, &rx), 0);
		assert_int_equal(c.delivered, k + 1 == n ? 1 : 0);
	}
	assert_int_equal(c.msg.len, ulen);
	assert_bytes_equal(c.msg.pdu, upper, ulen);
	assert_true(c.msg.segmented);
	assert_int_equal(c.msg.seq, vec_int(m, "lower_transport_pdus.[0].seq"));
	assert_int_equal(c.msg.iv_index, vec_int(m, "iv_index"));
	assert_int_equal(c.msg.src, vec_int(m, "src"));
	assert_int_equal(c.msg.dst, dst);
	assert_int_equal(c.msg.akf, vec_int(m, "access.akf"));
	assert_int_equal(c.msg.aid, vec_int(m, "access.aid"));
	assert_int_equal(c.msg.szmic, vec_int(m, "access.szmic"));
	assert_int_equal(mesh_lt_rx_in_use(&lt), 0);

	if (mesh_addr_is_unicast(dst)) {
		/* The completing segment is acknowledged at once, all bits set. */
		struct mesh_lt_pdu ack;

		assert_int_equal(c.sent, 1);
		assert_int_equal(c.tx[0].dst, vec_int(m, "src"));
		assert_int_equal(c.tx[0].src, dst);
		assert_int_equal(c.tx[0].ctl, 1);
		assert_int_equal(mesh_lt_decode(true, c.pdu[0], c.tx[0].transport_len, &ack), 0);
		assert_int_equal(ack.seq_zero, vec_int(m, "lower_transport_pdus.[0].seq_zero"));
		assert_int_equal(ack.block_ack, (1u << n) - 1);
		assert_false(ack.obo);
	} else {
		assert_int_equal(c.sent, 0);
	}

	/* A late copy of a segment: re-acked (unicast), never re-delivered. */
	rx_from_sample(m, json_array_get(pdus, 0), &rx);
	assert_int_equal(mesh_lt_receive(&lt, &rx), MESH_ERR_DUPLICATE);
	assert_int_equal(c.delivered, 1);
	mesh_lt_cleanup(&lt);
}

static void test_sample_reassembly(void **state)
{
	(void)state;
	reassemble(5, false);   /* #6, to a unicast address */
	reassemble(5, true);
	reassemble(23, false);  /* #24, virtual address, SZMIC 1 */
	reassemble(23, true);
}

static void msg_from_sample(json_t *m, struct mesh_transport_msg *msg, uint8_t *upper,
			    size_t max)
{
	bool ctl = vec_int(m, "ctl");

	memset(msg, 0, sizeof(*msg));
	msg->iv_index = (uint32_t)vec_int(m, "iv_index");
	msg->src = (uint16_t)vec_int(m, "src");
	msg->dst = (uint16_t)vec_int(m, "dst");
	msg->ttl = (uint8_t)vec_int(m, "ttl");
	msg->ctl = ctl;
	msg->seq = (uint32_t)vec_int(m, "lower_transport_pdus.[0].seq");
	msg->segmented = json_is_true(vec_get(m, "segmented"));
	if (ctl) {
		msg->opcode = (uint8_t)vec_int(m, "control.opcode");
	} else {
		msg->akf = vec_int(m, "access.akf");
		msg->aid = (uint8_t)vec_int(m, "access.aid");
		msg->szmic = vec_int(m, "access.szmic");
	}
	msg->len = vec_hex(m, "upper_transport_pdu", upper, max);
	msg->pdu = upper;
}

static void test_sample_segmentation(void **state)
{
	static const size_t seg_msgs[] = { 5, 23 };

	(void)state;
	for (size_t i = 0; i < sizeof(seg_msgs) / sizeof(seg_msgs[0]); i++) {
		json_t *m = message(seg_msgs[i]);
		json_t *pdus = vec_get(m, "lower_transport_pdus");
		uint8_t upper[MESH_UPPER_MAX_PDU], pdu[32], out[32];
		struct mesh_transport_msg msg;

		msg_from_sample(m, &msg, upper, sizeof(upper));
		assert_int_equal(mesh_lt_seg_count(msg.ctl, msg.len), json_array_size(pdus));
		for (size_t j = 0; j < json_array_size(pdus); j++) {
			size_t len = vec_hex(json_array_get(pdus, j), "pdu", pdu, sizeof(pdu));

			assert_int_equal(mesh_lt_build_segment(&msg, (unsigned int)j, out,
							       sizeof(out)), len);
			assert_bytes_equal(out, pdu, len);
		}
	}
}

/* The transmitter puts the sample's segments on the air with its SEQs. */
static void send_sample(size_t idx)
{
	json_t *m = message(idx);
	json_t *pdus = vec_get(m, "lower_transport_pdus");
	size_t n = json_array_size(pdus);
	uint8_t upper[MESH_UPPER_MAX_PDU], pdu[32];
	struct mesh_transport_msg msg;
	struct mesh_lower_transport lt;
	struct mesh_timers ts;
	struct capture c = { 0 };

	msg_from_sample(m, &msg, upper, sizeof(upper));
	c.next_seq = msg.seq + 1;
	mesh_timers_init(&ts, 0);
	assert_int_equal(mesh_lt_init(&lt, &ts, NULL, &cap_ops, &c), 0);
	assert_int_equal(mesh_lt_send(&lt, &msg, NULL), 0);
	/* Let the segment interval pass, but not a retransmission timeout. */
	mesh_timers_advance(&ts, 100 * n);
	assert_int_equal(c.sent, n);
	for (size_t j = 0; j < n; j++) {
		json_t *l = json_array_get(pdus, j);
		size_t len = vec_hex(l, "pdu", pdu, sizeof(pdu));

		assert_int_equal(c.tx[j].seq, vec_int(l, "seq"));
		assert_int_equal(c.tx[j].transport_len, len);
		assert_bytes_equal(c.pdu[j], pdu, len);
		assert_int_equal(c.tx[j].ttl, msg.ttl);
		assert_int_equal(c.tx[j].src, msg.src);
		assert_int_equal(c.tx[j].dst, msg.dst);
	}
	mesh_lt_cleanup(&lt);
	assert_int_equal(c.done_calls, 1);
}

static void test_sample_transmit(void **state)
{
	(void)state;
	send_sample(5);    /* #6 segmented */
	send_sample(23);   /* #24 segmented */
	send_sample(15);   /* #16 unsegmented access */
	send_sample(17);   /* #18 */
	send_sample(0);    /* #1 unsegmented control */
	send_sample(1);    /* #2 */
}

/* #7 and #9: the Friend acks on behalf of the LPN (OBO), #9 completes. */
static void test_sample_acks_drive_transmitter(void **state)
{
	json_t *m = message(5);
	uint8_t upper[MESH_UPPER_MAX_PDU];
	struct mesh_transport_msg msg;
	struct mesh_lower_transport lt;
	struct mesh_timers ts;
	struct capture c = { 0 };
	struct mesh_net_rx rx;

	(void)state;
	msg_from_sample(m, &msg, upper, sizeof(upper));
	c.next_seq = msg.seq + 1;
	mesh_timers_init(&ts, 0);
	assert_int_equal(mesh_lt_init(&lt, &ts, NULL, &cap_ops, &c), 0);
	assert_int_equal(mesh_lt_send(&lt, &msg, NULL), 0);
	mesh_timers_advance(&ts, 100);
	assert_int_equal(c.sent, 2);

	rx_from_sample(message(6), vec_get(message(6), "lower_transport_pdus.[0]"), &rx);
	assert_int_equal(mesh_lt_receive(&lt, &rx), 0);
	assert_int_equal(c.done_calls, 0);
	/* Progress while waiting: segment 0 goes again at once, new SEQ
	 * (message #8 printed 3221933). */
	assert_int_equal(c.sent, 3);
	assert_int_equal(c.tx[2].seq, vec_int(message(7), "network_pdus.[0].seq"));
	assert_bytes_equal(c.pdu[2], c.pdu[0], c.tx[0].transport_len);

	rx_from_sample(message(8), vec_get(message(8), "lower_transport_pdus.[0]"), &rx);
	assert_int_equal(mesh_lt_receive(&lt, &rx), 0);
	assert_int_equal(c.done_calls, 1);
	assert_int_equal(c.done_err, 0);
	assert_int_equal(mesh_lt_tx_in_use(&lt), 0);
	/* Nothing more goes out. */
	mesh_timers_advance(&ts, 60000);
	assert_int_equal(c.sent, 3);
}

struct bad_pdu {
	bool ctl;
	const char *hex;
	int err;
};

static const struct bad_pdu bad_pdus[] = {
	{ false, "", MESH_ERR_TRUNCATED },
	{ true, "", MESH_ERR_TRUNCATED },
	{ false, "660102030405060708090a0b0c0d0e0f10", MESH_ERR_OVERSIZED },
	{ true, "0301020304050607080910111213", MESH_ERR_OVERSIZED },
	/* unsegmented access: AID without AKF; too short for a TransMIC */
	{ false, "0501020304050607", MESH_ERR_RESERVED },
	{ false, "6601020304", MESH_ERR_TRUNCATED },
	/* Segment Acknowledgment: RFU bits, short, long */
	{ true, "00a6ad00000002", MESH_ERR_RESERVED },
	{ true, "00a6ac000000", MESH_ERR_TRUNCATED },
	{ true, "00a6ac0000000200", MESH_ERR_OVERSIZED },
	/* segmented: header only; SegO > SegN; short non-last segment */
	{ false, "8026ac01", MESH_ERR_TRUNCATED },
	{ false, "8026ac20ee9dddfd2169326d23f3afdf", MESH_ERR_SEGMENT },
	{ false, "8026ac01ee9dddfd2169326d23f3af", MESH_ERR_SEGMENT },
	{ false, "8026ade1ee9dddfd2169326d23f3afdf", MESH_ERR_SEGMENT },
	/* lone segment too short for its 64-bit TransMIC */
	{ false, "e6a0340001020304050607", MESH_ERR_TRUNCATED },
	{ false, "a526ac01ee9dddfd2169326d23f3afdf", MESH_ERR_RESERVED },
	/* segmented control: opcode 0, RFU bit, short non-last */
	{ true, "80000001aabbccddeeff0011", MESH_ERR_OPCODE },
	{ true, "8a800001aabbccddeeff0011", MESH_ERR_RESERVED },
	{ true, "8a000001aabbccddeeff00", MESH_ERR_SEGMENT },
};

static void test_malformed_rejected(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_pdus) / sizeof(bad_pdus[0]); i++) {
		const struct bad_pdu *b = &bad_pdus[i];
		uint8_t pdu[32];
		int n = mesh_hex_decode(b->hex, pdu, sizeof(pdu));
		struct mesh_lt_pdu p;
		int err;

		assert_true(n >= 0);
		err = mesh_lt_decode(b->ctl, pdu, (size_t)n, &p);
		if (err != b->err)
			fail_msg("case %zu (%s): got %d (%s), want %d (%s)", i, b->hex, err,
				 mesh_strerror(err), b->err, mesh_strerror(b->err));
	}
}

static void test_malformed_via_receive(void **state)
{
	struct mesh_lower_transport lt;
	struct mesh_timers ts;
	struct capture c = { 0 };
	struct mesh_net_rx rx = {
		.iv_index = 1, .seq = 10, .src = 0x0003, .dst = 0x1201, .ttl = 4,
	};

	(void)state;
	mesh_timers_init(&ts, 0);
	assert_int_equal(mesh_lt_init(&lt, &ts, NULL, &cap_ops, &c), 0);
	for (size_t i = 0; i < sizeof(bad_pdus) / sizeof(bad_pdus[0]); i++) {
		int n = mesh_hex_decode(bad_pdus[i].hex, rx.transport, sizeof(rx.transport));

		if (n < 0)
			continue;  /* longer than any network PDU can carry */
		rx.ctl = bad_pdus[i].ctl;
		rx.transport_len = (uint8_t)n;
		assert_int_equal(mesh_lt_receive(&lt, &rx), bad_pdus[i].err);
	}
	assert_int_equal(c.delivered, 0);
	assert_int_equal(c.sent, 0);
	assert_int_equal(mesh_lt_rx_in_use(&lt), 0);

	rx.ctl = 0;
	rx.transport_len = (uint8_t)mesh_hex_decode("665a8bde6d9106ea078a", rx.transport,
						    sizeof(rx.transport));
	rx.src = 0xc001;
	assert_int_equal(mesh_lt_receive(&lt, &rx), MESH_ERR_SRC);
	rx.src = 0x0003;
	rx.dst = 0;
	assert_int_equal(mesh_lt_receive(&lt, &rx), MESH_ERR_DST);
	rx.dst = 0x1201;
	assert_int_equal(mesh_lt_receive(&lt, &rx), 0);
	assert_int_equal(c.delivered, 1);
	assert_false(c.msg.segmented);
	assert_int_equal(c.msg.seq, 10);
	assert_int_equal(c.msg.aid, 0x26);
	assert_true(c.msg.akf);
	mesh_lt_cleanup(&lt);
}

static void test_seq_auth(void **state)
{
	uint64_t sa;

	(void)state;
	/* Same window: the second segment of #6. */
	assert_int_equal(mesh_lt_seq_auth(0x12345678, 0x3129ac, 0x09ab, &sa), 0);
	assert_int_equal(sa, (uint64_t)0x12345678 << 24 | 0x3129ab);
	/* SeqZero wrapped past 0x1fff since the first segment. */
	assert_int_equal(mesh_lt_seq_auth(7, 0x2001, 0x1ffe, &sa), 0);
	assert_int_equal(sa, (uint64_t)7 << 24 | 0x1ffe);
	assert_int_equal(mesh_lt_seq_auth(7, 0x123fff + 3, 0x1fff, &sa), 0);
	assert_int_equal(sa, (uint64_t)7 << 24 | 0x123fff);
	/* The first segment went out before SEQ wrapped to the next IV. */
	assert_int_equal(mesh_lt_seq_auth(5, 1, 0x1fff, &sa), 0);
	assert_int_equal(sa, (uint64_t)4 << 24 | 0xffffff);
	assert_int_equal(mesh_lt_seq_auth(0, 1, 0x1fff, &sa), MESH_ERR_SEGMENT);
}

static void test_send_rejects_bad_messages(void **state)
{
	struct mesh_lower_transport lt;
	struct mesh_timers ts;
	struct capture c = { 0 };
	uint8_t big[MESH_UPPER_MAX_PDU + 1] = { 0 };
	struct mesh_transport_msg ok = {
		.src = 1, .dst = 2, .ttl = 5, .seq = 1, .pdu = big, .len = 20,
	};
	struct mesh_transport_msg m;

	(void)state;
	mesh_timers_init(&ts, 0);
	assert_int_equal(mesh_lt_init(&lt, &ts, NULL, &cap_ops, &c), 0);
	m = ok; m.src = 0xc000;
	assert_int_equal(mesh_lt_send(&lt, &m, NULL), MESH_ERR_INVAL);
	m = ok; m.dst = 0;
	assert_int_equal(mesh_lt_send(&lt, &m, NULL), MESH_ERR_INVAL);
	m = ok; m.len = MESH_UPPER_MAX_PDU + 1;
	assert_int_equal(mesh_lt_send(&lt, &m, NULL), MESH_ERR_OVERSIZED);
	m = ok; m.ctl = true; m.opcode = 3; m.len = 257;
	assert_int_equal(mesh_lt_send(&lt, &m, NULL), MESH_ERR_OVERSIZED);
	m = ok; m.ctl = true; m.opcode = MESH_CTL_SEG_ACK;
	assert_int_equal(mesh_lt_send(&lt, &m, NULL), MESH_ERR_INVAL);
	m = ok; m.aid = 3;
	assert_int_equal(mesh_lt_send(&lt, &m, NULL), MESH_ERR_INVAL);
	m = ok; m.seq = 0x1000000;
	assert_int_equal(mesh_lt_send(&lt, &m, NULL), MESH_ERR_INVAL);
	assert_int_equal(c.sent, 0);

	/* One segmented message per destination at a time. */
	assert_int_equal(mesh_lt_send(&lt, &ok, NULL), 0);
	m = ok; m.seq = 50;
	assert_int_equal(mesh_lt_send(&lt, &m, NULL), MESH_ERR_BUSY);
	m.dst = 3;
	assert_int_equal(mesh_lt_send(&lt, &m, NULL), 0);
	assert_int_equal(mesh_lt_tx_in_use(&lt), 2);
	mesh_lt_cleanup(&lt);
	assert_int_equal(c.done_calls, 2);
	assert_int_equal(c.done_err, MESH_ERR_CANCELED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_pdus_decode_and_encode),
		cmocka_unit_test(test_sample_network_copies_decode),
		cmocka_unit_test(test_sample_segment_acks),
		cmocka_unit_test(test_sample_reassembly),
		cmocka_unit_test(test_sample_segmentation),
		cmocka_unit_test(test_sample_transmit),
		cmocka_unit_test(test_sample_acks_drive_transmitter),
		cmocka_unit_test(test_malformed_rejected),
		cmocka_unit_test(test_malformed_via_receive),
		cmocka_unit_test(test_seq_auth),
		cmocka_unit_test(test_send_rejects_bad_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
