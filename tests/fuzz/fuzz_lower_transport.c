/*
 * libFuzzer target for the lower transport layer: the pure codec, and a
 * SAR instance fed a sequence of network PDUs with time passing between
 * them, so reassembly, acknowledgments, discard and retransmission timers
 * all run on attacker-chosen input.
 *
 * Input: a sequence of records
 *   flags (1): bit 0 CTL, bits 1-2 source, bits 3-4 destination, bit 5
 *              "send a segmented message from us" instead of receiving,
 *              bit 6 TTL 0, bit 7 NetKey index 1
 *   seq (2, big-endian), the low SEQ bits (the high ones are fixed, so
 *              SeqAuths collide and wrap)
 *   time (1): advance the clock by this many 40 ms steps first
 *   len (1): PDU length modulo 17, then that many octets.
 * Besides memory errors it checks that whatever decodes encodes back to
 * the same octets, that what we send decodes, and that the pools hold.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/lower_transport.h"

#define OUR_ADDR 0x0100

static struct mesh_timers timers;
static struct mesh_lower_transport lt;
static uint32_t next_seq;
static unsigned int sink;

static int fuzz_net_send(void *ctx, const struct mesh_net_tx *tx)
{
	struct mesh_lt_pdu p;

	(void)ctx;
	/* Acks come from whichever of "our" unicast addresses was hit. */
	if (tx->transport_len > MESH_NET_MAX_TRANSPORT || !mesh_addr_is_unicast(tx->src) ||
	    mesh_lt_decode(tx->ctl, tx->transport, tx->transport_len, &p))
		abort();
	return 0;
}

static int fuzz_seq_next(void *ctx, uint16_t src, uint32_t *seq)
{
	(void)ctx;
	(void)src;
	if (next_seq > MESH_SEQ_MAX)
		return MESH_ERR_SEQ_EXHAUSTED;
	*seq = next_seq++;
	return 0;
}

static int fuzz_deliver(void *ctx, const struct mesh_transport_msg *msg)
{
	(void)ctx;
	if (msg->len > MESH_UPPER_MAX_PDU)
		abort();
	/* Touch every octet so ASan sees any read past the end. */
	for (size_t i = 0; i < msg->len; i++)
		sink += msg->pdu[i];
	/* Refuse some, as a failed TransMIC would, so the paths of refused
	 * messages get explored too. */
	return msg->len && (msg->pdu[0] & 1) ? MESH_ERR_TRANSMIC : 0;
}

static void fuzz_send_done(void *ctx, void *cookie, int err)
{
	(void)ctx;
	(void)cookie;
	sink += (unsigned int)-err;
}

static const struct mesh_lt_ops fuzz_ops = {
	.net_send = fuzz_net_send,
	.seq_next = fuzz_seq_next,
	.deliver = fuzz_deliver,
	.send_done = fuzz_send_done,
};

static void check_codec(bool ctl, const uint8_t *data, size_t size)
{
	uint8_t out[MESH_LT_MAX_PDU];
	struct mesh_lt_pdu p;
	int n;

	if (mesh_lt_decode(ctl, data, size, &p))
		return;
	n = mesh_lt_encode(&p, out, sizeof(out));
	if (n < 0 || (size_t)n != size || memcmp(out, data, size))
		abort();
}

static const uint16_t sources[] = { 0x0001, 0x0002, 0x7fff, 0x0100 };
static const uint16_t dests[] = { OUR_ADDR, 0xc001, 0x8abc, 0x0200 };

static void fuzz_send(uint8_t flags, const uint8_t *data, size_t len)
{
	uint8_t pdu[MESH_UPPER_MAX_PDU];
	struct mesh_transport_msg msg = {
		.src = OUR_ADDR,
		.dst = dests[(flags >> 3) & 3],
		.ttl = flags & 0x40 ? 0 : 5,
		.ctl = flags & 1,
		.opcode = 0x0a,
		.segmented = true,
		.pdu = pdu,
		/* Stretch the record so long messages get exercised too. */
		.len = 5 + (size_t)len * 23 % (MESH_UPPER_MAX_PDU - 5),
	};

	if (msg.ctl && msg.len > MESH_SEG_MAX * MESH_SEG_CTL_LEN)
		msg.len = MESH_SEG_MAX * MESH_SEG_CTL_LEN;
	memset(pdu, 0xa5, sizeof(pdu));
	memcpy(pdu, data, len);
	if (fuzz_seq_next(NULL, OUR_ADDR, &msg.seq))
		return;
	mesh_lt_send(&lt, &msg, NULL);
}

static void fuzz_receive(uint8_t flags, uint32_t seq, const uint8_t *data, size_t len)
{
	struct mesh_net_rx rx = {
		.net_idx = flags & 0x80 ? 1 : 0,
		.iv_index = 0x12345678,
		.ctl = flags & 1,
		.ttl = flags & 0x40 ? 0 : 7,
		.seq = seq,
		.src = sources[(flags >> 1) & 3],
		.dst = dests[(flags >> 3) & 3],
		.transport_len = (uint8_t)len,
	};

	memcpy(rx.transport, data, len);
	mesh_lt_receive(&lt, &rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_codec(false, data, size);
	check_codec(true, data, size);

	mesh_timers_init(&timers, 0);
	next_seq = 0x10000;
	if (mesh_lt_init(&lt, &timers, NULL, &fuzz_ops, NULL))
		abort();
	while (size >= 5) {
		uint8_t flags = data[0];
		uint32_t seq = 0x3f0000 | mesh_get_be16(data + 1);
		size_t len = data[4] % (MESH_NET_MAX_TRANSPORT + 1);

		mesh_timers_advance(&timers, mesh_timers_now(&timers) + data[3] * 40u);
		data += 5;
		size -= 5;
		if (len > size)
			len = size;
		if (flags & 0x20)
			fuzz_send(flags, data, len);
		else
			fuzz_receive(flags, seq, data, len);
		data += len;
		size -= len;
		if (mesh_lt_rx_in_use(&lt) > MESH_LT_RX_CTX_MAX ||
		    mesh_lt_tx_in_use(&lt) > MESH_LT_TX_CTX_MAX)
			abort();
	}
	/* Let every timer run out, then nothing may be left. */
	mesh_timers_advance(&timers, mesh_timers_now(&timers) + 3600 * 1000);
	if (mesh_lt_rx_in_use(&lt) || mesh_lt_tx_in_use(&lt) || timers.head)
		abort();
	mesh_lt_cleanup(&lt);
	return 0;
}
