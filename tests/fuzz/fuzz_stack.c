/*
 * libFuzzer target: the whole receive path of struct mesh_stack, network
 * layer to access dispatch.
 *
 * Random bytes almost never pass a NetMIC, so the input is plaintext that
 * this target encrypts with the stack's own keys. It is a list of records:
 *
 *   flags  bit 7: access record (else raw lower transport PDU)
 *          bit 6: CTL (raw records)
 *          bits 5..3: source choice, bits 2..0: destination choice
 *   ttl    low 7 bits
 *   seq    low octet added to a per-input SEQ base
 *   wait   time to advance after the record, in 40 ms steps
 *   n      body length, then n body octets
 *
 * A raw record's body is a lower transport PDU (segment headers and all),
 * sent in one network PDU. An access record's body is one option octet
 * (key: app / device / app with a 64-bit TransMIC; forced segmentation;
 * a mask of segments to leave out) and an access payload, which is
 * encrypted with the upper transport, segmented if needed, and sent as a
 * series of network PDUs, so SAR, TransMIC and dispatch all see valid
 * traffic.
 *
 * The stack is built once and kept, like a node that stays up: after each
 * input time moves a minute on, which must leave no SAR context and no
 * timer behind, so state cannot grow across millions of inputs.
 */
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mesh/addr.h"
#include "mesh/err.h"
#include "mesh/stack.h"

#define OWN_ADDR 0x0100
#define REMOTE_ADDR 0x0001   /* remote node of 8 elements, with a device key */
#define GROUP 0xc001
#define APP_IDX 0x001
#define OP_A MESH_OP_1(0x04)
#define OP_B MESH_OP_2(0x82, 0x02)
#define OP_V MESH_OP_VENDOR(0x15, 0x000a)
#define OP_CFG MESH_OP_2(0x80, 0x08)
#define FLUSH_MS 60000
#define SEQ_STEP 0x400       /* SEQ base moves this far per input */

static struct mesh_timers timers;
static struct mesh_stack stack;
static struct mesh_model srv, srv2, cfg;
static uint16_t va;
static uint32_t seq_base;

static const uint8_t label[MESH_LABEL_UUID_LEN] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21,
};

static int handler(struct mesh_model *m, const struct mesh_access_msg *msg)
{
	/* Touch every parameter octet so ASan checks the bounds. */
	volatile uint8_t sum = 0;

	(void)m;
	for (size_t i = 0; i < msg->params_len; i++)
		sum = (uint8_t)(sum + msg->params[i]);
	return msg->params_len == 3 ? MESH_ERR_INVAL : 0;
}

static const struct mesh_access_op srv_ops[] = {
	{ OP_A, 0, 0, handler },
	{ OP_B, 1, 2, handler },
	{ OP_V, 0, 0, handler },
	{ 0, 0, 0, NULL },
};

static const struct mesh_access_op cfg_ops[] = {
	{ OP_CFG, 0, 0, handler },
	{ 0, 0, 0, NULL },
};

static int bearer_send(void *ctx, const uint8_t *pdu, size_t len)
{
	(void)ctx;
	(void)pdu;
	(void)len;
	return 0;
}

static const struct mesh_stack_ops ops = {
	.bearer_send = bearer_send,
};

static void fill_key(uint8_t key[MESH_KEY_LEN], uint8_t seed)
{
	for (int i = 0; i < MESH_KEY_LEN; i++)
		key[i] = (uint8_t)(seed + 29 * i);
}

static void setup(void)
{
	uint8_t k[MESH_KEY_LEN];

	mesh_timers_init(&timers, 0);
	if (mesh_stack_init(&stack, &timers, NULL, &ops, NULL) ||
	    mesh_stack_set_address(&stack, OWN_ADDR, 2))
		abort();
	mesh_stack_set_relay(&stack, true);
	fill_key(k, 1);
	mesh_stack_net_key_add(&stack, 0, k);
	fill_key(k, 2);
	mesh_stack_app_key_add(&stack, APP_IDX, 0, k);
	fill_key(k, 3);
	mesh_stack_dev_key_add(&stack, REMOTE_ADDR, 8, k);
	fill_key(k, 4);
	mesh_stack_dev_key_add(&stack, OWN_ADDR, 2, k);
	mesh_stack_label_add(&stack, label, &va);

	srv = (struct mesh_model){ .id = mesh_model_id_sig(0x1000), .ops = srv_ops };
	srv2 = (struct mesh_model){ .id = mesh_model_id_sig(0x1000), .ops = srv_ops };
	cfg = (struct mesh_model){ .id = mesh_model_id_sig(0x0000), .ops = cfg_ops,
				   .dev_key = true };
	if (mesh_access_model_add(&stack.access, 0, &srv) ||
	    mesh_access_model_add(&stack.access, 0, &cfg) ||
	    mesh_access_model_add(&stack.access, 1, &srv2))
		abort();
	mesh_model_bind(&srv, APP_IDX);
	mesh_model_bind(&srv2, APP_IDX);
	mesh_model_sub_add(&srv, GROUP, NULL);
	mesh_model_sub_add(&srv2, va, label);
}

static uint16_t pick_dst(uint8_t c)
{
	static const uint16_t fixed[] = {
		OWN_ADDR, OWN_ADDR + 1, GROUP, 0 /* va */, MESH_ADDR_ALL_NODES,
		MESH_ADDR_ALL_RELAYS, 0x0200, 0xc002,
	};
	uint16_t d = fixed[c & 7];

	return d ? d : va;
}

static uint16_t pick_src(uint8_t c)
{
	/* Seven remote elements and, to cover our own-address check, us. */
	return (c & 7) == 7 ? OWN_ADDR : (uint16_t)(REMOTE_ADDR + (c & 7));
}

static void send_net(uint8_t ctl, uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst,
		     const uint8_t *transport, size_t len)
{
	struct mesh_subnet *sub = mesh_subnet_find(&stack.net.subnets, 0);
	uint8_t pdu[MESH_NET_MAX_PDU];
	struct mesh_net_tx tx = {
		.ctl = ctl,
		.ttl = ttl,
		.seq = seq & MESH_SEQ_MAX,
		.src = src,
		.dst = dst,
		.transport = transport,
		.transport_len = len,
	};
	size_t pdu_len;

	if (mesh_net_pdu_encode(&mesh_subnet_tx_keys(sub)->cred,
				mesh_iv_tx_index(&stack.net.iv), &tx, pdu, &pdu_len))
		return;
	mesh_stack_net_receive(&stack, pdu, pdu_len);
}

/* An access message, encrypted and (maybe) segmented like a real sender. */
static void send_access(uint8_t ttl, uint32_t seq, uint16_t src, uint16_t dst,
			const uint8_t *body, size_t n)
{
	uint8_t upper[MESH_UPPER_MAX_PDU], lt_pdu[MESH_NET_MAX_TRANSPORT];
	uint8_t opt = body[0];
	struct mesh_transport_msg msg = {
		.net_idx = 0,
		.src = src,
		.dst = dst,
		.seq = seq & MESH_SEQ_MAX,
		.iv_index = mesh_iv_tx_index(&stack.net.iv),
		.segmented = opt & 0x04,
		.szmic = (opt & 0x03) == 2,
	};
	struct mesh_upper_tx tx = {
		.payload = body + 1,
		.len = n - 1,
		.label_uuid = mesh_addr_is_virtual(dst) ? label : NULL,
		.key = {
			.dev = (opt & 0x03) == 1,
			.app_idx = APP_IDX,
			.dev_addr = src,
		},
	};
	uint8_t skip = opt >> 3;   /* segments left out: bit i skips i, i+5, ... */
	unsigned int segs;
	struct mesh_lt_pdu p;
	int len;

	if (mesh_upper_encrypt(&stack.keyring, &tx, &msg, upper, sizeof(upper)))
		return;
	if (!msg.segmented) {
		p = (struct mesh_lt_pdu){ .akf = msg.akf, .aid = msg.aid, .payload = msg.pdu,
					  .payload_len = msg.len };
		len = mesh_lt_encode(&p, lt_pdu, sizeof(lt_pdu));
		if (len > 0)
			send_net(0, ttl, msg.seq, src, dst, lt_pdu, (size_t)len);
		return;
	}
	segs = mesh_lt_seg_count(false, msg.len);
	for (unsigned int i = 0; i < segs && i < MESH_SEG_MAX; i++) {
		if (skip & (1u << (i % 5)))
			continue;
		len = mesh_lt_build_segment(&msg, i, lt_pdu, sizeof(lt_pdu));
		if (len > 0)
			send_net(0, ttl, msg.seq + i, src, dst, lt_pdu, (size_t)len);
	}
}

/* Any timer other than the stack's IV Update timer, which may rightly
 * wait 96 h once our own acks have pushed SEQ past its threshold. */
static bool foreign_timer_armed(void)
{
	for (const struct mesh_timer *t = timers.head; t; t = t->next)
		if (t != &stack.iv_timer)
			return true;
	return false;
}

static void flush_and_check(void)
{
	mesh_timers_advance(&timers, mesh_timers_now(&timers) + FLUSH_MS);
	/* Every SAR context must have ended and every timer with it. */
	if (mesh_lt_rx_in_use(&stack.lt) || mesh_lt_tx_in_use(&stack.lt) || foreign_timer_armed())
		abort();
	if (stack.rpl.count > MESH_RPL_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		setup();
		ready = 1;
	}
	seq_base += SEQ_STEP;
	if (seq_base > MESH_SEQ_MAX - 2 * SEQ_STEP) {
		/* SEQ space used up: start over as after an IV update. */
		seq_base = 0;
		mesh_rpl_clear(&stack.rpl);
		mesh_net_cache_init(&stack.net.cache, 1);
	}
	while (size >= 5) {
		uint8_t flags = data[0], ttl = data[1] & 0x7f, wait = data[3];
		uint32_t seq = seq_base + data[2];
		size_t n = data[4];
		uint16_t src = pick_src(flags >> 3), dst = pick_dst(flags);

		data += 5;
		size -= 5;
		if (n > size)
			n = size;
		if ((flags & 0x80) && n)
			send_access(ttl, seq, src, dst, data, n);
		else if (!(flags & 0x80))
			send_net((flags >> 6) & 1, ttl, seq, src, dst, data, n);
		data += n;
		size -= n;
		mesh_timers_advance(&timers, mesh_timers_now(&timers) + 40u * wait);
	}
	flush_and_check();
	return 0;
}
