/*
 * SAR behaviour over a simulated lossy link, fully deterministic: two
 * lower transport instances share one struct mesh_timers clock, and each
 * one's net_send hands the PDU (unless a seeded PRNG drops it) to the
 * other's mesh_lt_receive after a fixed link latency. Covers delivery
 * under loss, acknowledgments and retransmissions, the discard timer,
 * duplicates and obsolete segments, the reassembly pool bound, BlockAck 0
 * and running out of retransmissions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/lower_transport.h"
#include "mesh/util.h"

#define ADDR_A 0x0011
#define ADDR_B 0x0022
#define GROUP 0xc001
#define IV 0x12345678
#define LATENCY_MS 5
#define MAX_PKTS 1024

struct sim;

struct node {
	struct mesh_lower_transport lt;
	struct sim *sim;
	uint16_t addr;
	uint32_t seq;
	unsigned int net_sent;     /* everything handed to the network */
	unsigned int acks_sent;
	unsigned int busy_acks;    /* BlockAck 0 */
	unsigned int delivered;
	int refuse;                /* deliver's answer: 0, or why refused */
	unsigned int refused;
	uint8_t last[MESH_UPPER_MAX_PDU];
	size_t last_len;
	struct mesh_transport_msg last_msg;
	unsigned int done_calls;
	int done_err;
};

struct pkt {
	struct mesh_timer timer;
	struct sim *sim;
	struct node *to;
	struct mesh_net_rx rx;
	bool used;
};

struct sim {
	struct mesh_timers ts;
	uint64_t rng;
	unsigned int seg_loss_pct;
	unsigned int ack_loss_pct;
	int drop_seg_o;            /* this SegO never arrives; -1: none */
	unsigned int drop_times[MESH_SEG_MAX]; /* lose SegO's next n copies */
	bool no_receiver;          /* B is switched off */
	unsigned int segs_lost;
	struct node a;
	struct node b;
	struct pkt pkts[MAX_PKTS];
};

static uint64_t rng_next(struct sim *s)
{
	/* xorshift64*: small, seedable, and good enough for loss patterns. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dULL;
}

static bool is_segment(const struct mesh_net_tx *tx)
{
	return tx->transport[0] & 0x80;
}

static unsigned int seg_o_of(const struct mesh_net_tx *tx)
{
	return (unsigned int)((tx->transport[2] & 0x03) << 3 | tx->transport[3] >> 5);
}

static bool lost(struct sim *s, const struct mesh_net_tx *tx)
{
	unsigned int pct = is_segment(tx) ? s->seg_loss_pct : s->ack_loss_pct;

	if (is_segment(tx) && s->drop_seg_o >= 0 && seg_o_of(tx) == (unsigned int)s->drop_seg_o)
		return true;
	if (is_segment(tx) && s->drop_times[seg_o_of(tx)]) {
		s->drop_times[seg_o_of(tx)]--;
		return true;
	}
	return rng_next(s) % 100 < pct;
}

static void pkt_fire(struct mesh_timer *t)
{
	struct pkt *p = MESH_CONTAINER_OF(t, struct pkt, timer);

	p->used = false;
	mesh_lt_receive(&p->to->lt, &p->rx);
}

static struct node *node_for(struct sim *s, uint16_t dst)
{
	if (dst == ADDR_A)
		return &s->a;
	if ((dst == ADDR_B || dst == GROUP) && !s->no_receiver)
		return &s->b;
	return NULL;
}

static int sim_net_send(void *ctx, const struct mesh_net_tx *tx)
{
	struct node *n = ctx;
	struct sim *s = n->sim;
	struct node *to = node_for(s, tx->dst);
	struct pkt *p = NULL;

	assert_true(tx->transport_len <= MESH_NET_MAX_TRANSPORT);
	assert_int_equal(tx->src, n->addr);
	n->net_sent++;
	if (tx->ctl && !is_segment(tx) && tx->transport[0] == MESH_CTL_SEG_ACK) {
		n->acks_sent++;
		if (mesh_get_be32(tx->transport + 3) == 0)
			n->busy_acks++;
	}
	if (!to)
		return 0;
	if (lost(s, tx)) {
		s->segs_lost += is_segment(tx);
		return 0;
	}
	for (size_t i = 0; i < MAX_PKTS && !p; i++) {
		if (!s->pkts[i].used)
			p = &s->pkts[i];
	}
	if (!p) {
		fail_msg("in-memory air: packet pool exhausted");
		return MESH_ERR_FULL;
	}
	memset(&p->rx, 0, sizeof(p->rx));
	p->used = true;
	p->sim = s;
	p->to = to;
	p->rx.net_idx = tx->net_idx;
	p->rx.iv_index = IV;
	p->rx.ctl = tx->ctl;
	p->rx.ttl = tx->ttl;
	p->rx.seq = tx->seq;
	p->rx.src = tx->src;
	p->rx.dst = tx->dst;
	p->rx.transport_len = (uint8_t)tx->transport_len;
	memcpy(p->rx.transport, tx->transport, tx->transport_len);
	mesh_timer_init(&p->timer, pkt_fire);
	mesh_timer_start(&s->ts, &p->timer, LATENCY_MS);
	return 0;
}

static int sim_seq_next(void *ctx, uint16_t src, uint32_t *seq)
{
	struct node *n = ctx;

	assert_int_equal(src, n->addr);
	*seq = n->seq++;
	return 0;
}

static int sim_deliver(void *ctx, const struct mesh_transport_msg *msg)
{
	struct node *n = ctx;

	if (n->refuse) {
		/* What an upper transport does with a bad TransMIC. */
		n->refused++;
		return n->refuse;
	}
	n->delivered++;
	n->last_msg = *msg;
	n->last_len = msg->len;
	memcpy(n->last, msg->pdu, msg->len);
	return 0;
}

static void sim_send_done(void *ctx, void *cookie, int err)
{
	struct node *n = ctx;

	(void)cookie;
	n->done_calls++;
	n->done_err = err;
}

static const struct mesh_lt_ops sim_ops = {
	.net_send = sim_net_send,
	.seq_next = sim_seq_next,
	.deliver = sim_deliver,
	.send_done = sim_send_done,
};

static struct sim *sim_new(uint64_t seed, const struct mesh_lt_config *cfg)
{
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	mesh_timers_init(&s->ts, 1000);
	s->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	s->drop_seg_o = -1;
	s->a.sim = s;
	s->a.addr = ADDR_A;
	s->a.seq = 0x1000;
	s->b.sim = s;
	s->b.addr = ADDR_B;
	s->b.seq = 0x500000;
	assert_int_equal(mesh_lt_init(&s->a.lt, &s->ts, cfg, &sim_ops, &s->a), 0);
	assert_int_equal(mesh_lt_init(&s->b.lt, &s->ts, cfg, &sim_ops, &s->b), 0);
	return s;
}

static void sim_free(struct sim *s)
{
	mesh_lt_cleanup(&s->a.lt);
	mesh_lt_cleanup(&s->b.lt);
	for (size_t i = 0; i < MAX_PKTS; i++)
		mesh_timer_stop(&s->ts, &s->pkts[i].timer);
	free(s);
}

static void sim_run(struct sim *s, uint32_t ms)
{
	mesh_timers_advance(&s->ts, mesh_timers_now(&s->ts) + ms);
}

static void fill(uint8_t *buf, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 3));
}

/* A sends len octets of upper transport PDU to dst, taking a SEQ first. */
static int send_from_a(struct sim *s, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct mesh_transport_msg msg = {
		.iv_index = IV,
		.src = ADDR_A,
		.dst = dst,
		.ttl = 5,
		.seq = s->a.seq++,
		.akf = true,
		.aid = 0x26,
		.pdu = pdu,
		.len = len,
	};

	return mesh_lt_send(&s->a.lt, &msg, s);
}

/* SAR Transmitter tuned for a very lossy link: the 4-bit maximum of
 * retransmissions, as a SAR Configuration Client would set. */
static void lossy_config(struct mesh_lt_config *cfg)
{
	mesh_lt_config_default(cfg);
	cfg->sar.unicast_retrans_count = 15;
	cfg->sar.unicast_retrans_wo_progress_count = 15;
}

/* Returns how many segment transmissions the link lost. */
static unsigned int transfer_384(uint64_t seed, unsigned int loss,
				 const struct mesh_lt_config *cfg)
{
	struct sim *s = sim_new(seed, cfg);
	uint8_t pdu[MESH_UPPER_MAX_PDU];
	unsigned int lost_segs;

	fill(pdu, sizeof(pdu), seed);
	s->seg_loss_pct = loss;
	s->ack_loss_pct = loss;
	assert_int_equal(send_from_a(s, ADDR_B, pdu, sizeof(pdu)), 0);
	sim_run(s, 120000);

	if (s->a.done_err != 0)
		fail_msg("seed %llu loss %u%%: send_done %d (%s)", (unsigned long long)seed,
			 loss, s->a.done_err, mesh_strerror(s->a.done_err));
	assert_int_equal(s->a.done_calls, 1);
	assert_int_equal(s->b.delivered, 1);
	assert_int_equal(s->b.last_len, sizeof(pdu));
	assert_memory_equal(s->b.last, pdu, sizeof(pdu));
	assert_true(s->b.last_msg.segmented);
	assert_int_equal(s->b.last_msg.seq, 0x1000);
	assert_int_equal(s->b.last_msg.iv_index, IV);
	assert_true(s->b.acks_sent >= 1);
	if (s->segs_lost == 0) {
		assert_int_equal(s->a.lt.stats.seg_sent, MESH_SEG_MAX);
		assert_int_equal(s->a.lt.stats.seg_resent, 0);
	} else {
		assert_true(s->a.lt.stats.seg_sent > MESH_SEG_MAX);
		assert_true(s->a.lt.stats.seg_resent > 0);
	}
	/* A gave every segment but the first a fresh SEQ. */
	assert_int_equal(s->a.seq, 0x1000 + s->a.lt.stats.seg_sent);
	assert_int_equal(mesh_lt_tx_in_use(&s->a.lt), 0);
	assert_int_equal(mesh_lt_rx_in_use(&s->b.lt), 0);
	lost_segs = s->segs_lost;
	sim_free(s);
	return lost_segs;
}

static void test_transfer_lossless(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++)
		assert_int_equal(transfer_384(seed, 0, NULL), 0);
}

static void test_transfer_10pct_loss(void **state)
{
	struct mesh_lt_config cfg;
	unsigned int lost = 0;

	(void)state;
	lossy_config(&cfg);
	for (uint64_t seed = 1; seed <= 8; seed++)
		lost += transfer_384(seed, 10, &cfg);
	assert_true(lost > 8);
}

static void test_transfer_30pct_loss(void **state)
{
	struct mesh_lt_config cfg;
	unsigned int lost = 0;

	(void)state;
	lossy_config(&cfg);
	for (uint64_t seed = 1; seed <= 8; seed++)
		lost += transfer_384(seed, 30, &cfg);
	assert_true(lost > 8 * 10);
}

/* The defaults (2 retransmission rounds) still carry 384 octets over a
 * mildly lossy link; count how often, so a regression shows. */
static void test_transfer_default_config_light_loss(void **state)
{
	unsigned int ok = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct sim *s = sim_new(seed, NULL);
		uint8_t pdu[MESH_UPPER_MAX_PDU];

		fill(pdu, sizeof(pdu), seed);
		s->seg_loss_pct = 5;
		s->ack_loss_pct = 5;
		assert_int_equal(send_from_a(s, ADDR_B, pdu, sizeof(pdu)), 0);
		sim_run(s, 60000);
		assert_int_equal(s->a.done_calls, 1);
		assert_true(s->b.delivered <= 1);
		if (s->a.done_err == 0) {
			ok++;
			assert_int_equal(s->b.delivered, 1);
			assert_memory_equal(s->b.last, pdu, sizeof(pdu));
		} else {
			assert_int_equal(s->a.done_err, MESH_ERR_TIMEOUT);
		}
		sim_free(s);
	}
	assert_true(ok >= 18);
}

static void test_discard_timer_abandons(void **state)
{
	struct sim *s = sim_new(7, NULL);
	uint8_t pdu[100], late[MESH_UPPER_MAX_PDU];
	struct mesh_net_rx rx = { 0 };
	uint64_t last_new;

	(void)state;
	fill(pdu, sizeof(pdu), 7);
	s->drop_seg_o = 3;
	assert_int_equal(send_from_a(s, ADDR_B, pdu, sizeof(pdu)), 0);
	/* A gives up first: defaults allow two rounds without progress. */
	sim_run(s, 5000);
	assert_int_equal(s->a.done_calls, 1);
	assert_int_equal(s->a.done_err, MESH_ERR_TIMEOUT);
	assert_int_equal(s->a.lt.stats.seg_resent, 2);  /* SegO 3, twice */
	assert_int_equal(mesh_lt_tx_in_use(&s->a.lt), 0);
	assert_int_equal(mesh_lt_rx_in_use(&s->b.lt), 1);

	/* B holds on until 10 s after the last new segment (at ~8*60 ms). */
	last_new = 1000 + 8 * 60 + LATENCY_MS;
	mesh_timers_advance(&s->ts, last_new + 10000 - 1);
	assert_int_equal(mesh_lt_rx_in_use(&s->b.lt), 1);
	mesh_timers_advance(&s->ts, last_new + 10000);
	assert_int_equal(mesh_lt_rx_in_use(&s->b.lt), 0);
	assert_int_equal(s->b.lt.stats.rx_discarded, 1);
	assert_int_equal(s->b.delivered, 0);

	/* The missing segment turning up now changes nothing. */
	fill(late, sizeof(late), 0);
	rx.iv_index = IV;
	rx.ttl = 5;
	rx.src = ADDR_A;
	rx.dst = ADDR_B;
	rx.seq = 0x1000 + 3;
	rx.transport[0] = 0x80 | 0x40 | 0x26;
	rx.transport[1] = (0x1000 & 0x1fff) >> 6;
	rx.transport[2] = (uint8_t)(((0x1000 & 0x3f) << 2) | (3 >> 3));
	rx.transport[3] = (uint8_t)((3 & 7) << 5 | 8);
	memcpy(rx.transport + 4, late, 12);
	rx.transport_len = 16;
	assert_int_equal(mesh_lt_receive(&s->b.lt, &rx), MESH_ERR_OBSOLETE);
	assert_int_equal(mesh_lt_rx_in_use(&s->b.lt), 0);
	assert_int_equal(s->b.delivered, 0);
	sim_free(s);
}

/* Build segment seg_o of a message that started at seq_auth. */
static void make_seg(struct mesh_net_rx *rx, uint16_t src, uint16_t dst, uint32_t seq_auth,
		     uint32_t seq, unsigned int seg_o, unsigned int seg_n, uint8_t fillbyte)
{
	struct mesh_lt_pdu p = {
		.seg = true,
		.akf = true,
		.aid = 0x26,
		.seq_zero = seq_auth & 0x1fff,
		.seg_o = (uint8_t)seg_o,
		.seg_n = (uint8_t)seg_n,
	};
	uint8_t payload[12];
	int len;

	memset(payload, fillbyte + seg_o, sizeof(payload));
	p.payload = payload;
	p.payload_len = seg_o == seg_n ? 7 : 12;
	memset(rx, 0, sizeof(*rx));
	rx->iv_index = IV;
	rx->ttl = 4;
	rx->src = src;
	rx->dst = dst;
	rx->seq = seq;
	len = mesh_lt_encode(&p, rx->transport, sizeof(rx->transport));
	assert_true(len > 0);
	rx->transport_len = (uint8_t)len;
}

static void test_duplicates_and_obsolete(void **state)
{
	struct sim *s = sim_new(3, NULL);
	struct mesh_lower_transport *b = &s->b.lt;
	struct mesh_net_rx rx;
	uint8_t first[MESH_UPPER_MAX_PDU];
	const uint32_t sa = 0x2ffe;  /* SeqZero wraps within the message */

	(void)state;
	s->no_receiver = true;  /* nothing of B's acks matters here */
	make_seg(&rx, ADDR_A, ADDR_B, sa, sa, 0, 2, 0x10);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_DUPLICATE);
	/* Older SeqAuth from the same source: obsolete. */
	make_seg(&rx, ADDR_A, ADDR_B, sa - 100, sa - 90, 1, 2, 0x99);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_OBSOLETE);
	/* Same SeqAuth, inconsistent SegN: refused, changes nothing. */
	make_seg(&rx, ADDR_A, ADDR_B, sa, sa + 1, 1, 3, 0x10);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_SEGMENT);
	make_seg(&rx, ADDR_A, ADDR_B, sa, sa + 3, 2, 2, 0x10);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	make_seg(&rx, ADDR_A, ADDR_B, sa, sa + 4, 1, 2, 0x10);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	assert_int_equal(s->b.delivered, 1);
	assert_int_equal(s->b.last_len, 12 + 12 + 7);
	assert_int_equal(s->b.last_msg.seq, sa);
	memcpy(first, s->b.last, s->b.last_len);
	for (size_t i = 0; i < 12; i++) {
		assert_int_equal(first[i], 0x10);
		assert_int_equal(first[12 + i], 0x11);
	}
	assert_int_equal(first[24], 0x12);

	/* Late copies of the delivered message: re-acked, not delivered. */
	s->b.acks_sent = 0;
	mesh_timers_advance(&s->ts, mesh_timers_now(&s->ts) + 1000);
	make_seg(&rx, ADDR_A, ADDR_B, sa, sa + 9, 1, 2, 0x10);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_DUPLICATE);
	assert_int_equal(s->b.acks_sent, 1);
	/* ... at most once per segment reception interval. */
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_DUPLICATE);
	assert_int_equal(s->b.acks_sent, 1);
	assert_int_equal(s->b.delivered, 1);
	assert_memory_equal(s->b.last, first, 31);

	/* A newer message abandons an unfinished older one. */
	make_seg(&rx, ADDR_A, ADDR_B, sa + 20, sa + 20, 0, 1, 0x40);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	make_seg(&rx, ADDR_A, ADDR_B, sa + 30, sa + 30, 0, 1, 0x50);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	assert_int_equal(mesh_lt_rx_in_use(b), 1);
	make_seg(&rx, ADDR_A, ADDR_B, sa + 20, sa + 31, 1, 1, 0x40);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_OBSOLETE);
	make_seg(&rx, ADDR_A, ADDR_B, sa + 30, sa + 32, 1, 1, 0x50);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	assert_int_equal(s->b.delivered, 2);
	assert_int_equal(s->b.last[0], 0x50);
	/* The first message is now older than the newest: obsolete. */
	make_seg(&rx, ADDR_A, ADDR_B, sa, sa + 40, 1, 2, 0x10);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_OBSOLETE);
	assert_int_equal(s->b.delivered, 2);
	assert_int_equal(mesh_lt_rx_in_use(b), 0);
	sim_free(s);
}

static void test_pool_bound_under_flood(void **state)
{
	struct sim *s = sim_new(5, NULL);
	struct mesh_lower_transport *b = &s->b.lt;
	struct mesh_net_rx rx;
	unsigned int accepted = 0, full = 0;

	(void)state;
	s->no_receiver = true;
	for (uint16_t src = 0x100; src < 0x100 + 200; src++) {
		for (unsigned int k = 0; k < 3; k++) {
			int err;

			/* Each source also tries newer SeqAuths: still one
			 * context per (source, destination). */
			make_seg(&rx, src, ADDR_B, 1000 + k * 50, 1000 + k * 50, 0, 5, 0x20);
			err = mesh_lt_receive(b, &rx);
			if (err == 0)
				accepted++;
			else if (err == MESH_ERR_FULL)
				full++;
			else
				fail_msg("src %#x: %s", src, mesh_strerror(err));
			assert_true(mesh_lt_rx_in_use(b) <= MESH_LT_RX_CTX_MAX);
		}
	}
	assert_int_equal(mesh_lt_rx_in_use(b), MESH_LT_RX_CTX_MAX);
	assert_int_equal(accepted, MESH_LT_RX_CTX_MAX * 3);
	assert_int_equal(full, 200 * 3 - MESH_LT_RX_CTX_MAX * 3);
	assert_int_equal(b->stats.rx_rejected, full);
	/* Each refused unicast sender was told: BlockAck 0. */
	assert_int_equal(s->b.busy_acks, full);
	/* Group traffic gets refused silently. */
	make_seg(&rx, 0x7000, GROUP, 1, 1, 0, 5, 0x20);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_FULL);
	assert_int_equal(s->b.busy_acks, full);

	/* All of it times out and the pool is whole again. */
	sim_run(s, 10001);
	assert_int_equal(mesh_lt_rx_in_use(b), 0);
	assert_int_equal(b->stats.rx_discarded, MESH_LT_RX_CTX_MAX);
	make_seg(&rx, 0x7000, ADDR_B, 1, 1, 0, 0, 0x20);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	assert_int_equal(s->b.delivered, 1);
	sim_free(s);
}

static void test_block_ack_zero_cancels(void **state)
{
	struct sim *s = sim_new(9, NULL);
	uint8_t pdu[200];
	struct mesh_net_rx rx;

	(void)state;
	fill(pdu, sizeof(pdu), 9);
	/* B's reassembly pool is taken by others: B refuses A. */
	for (uint16_t src = 0x300; src < 0x300 + MESH_LT_RX_CTX_MAX; src++) {
		make_seg(&rx, src, ADDR_B, 77, 77, 0, 3, 0x20);
		assert_int_equal(mesh_lt_receive(&s->b.lt, &rx), 0);
	}
	assert_int_equal(send_from_a(s, ADDR_B, pdu, sizeof(pdu)), 0);
	sim_run(s, 50);
	assert_int_equal(s->a.done_calls, 1);
	assert_int_equal(s->a.done_err, MESH_ERR_CANCELED);
	assert_int_equal(s->a.lt.stats.seg_sent, 1);
	assert_int_equal(mesh_lt_tx_in_use(&s->a.lt), 0);
	/* Nothing further goes out, and A may send to B again. */
	sim_run(s, 2000);
	assert_int_equal(s->a.lt.stats.seg_sent, 1);
	assert_int_equal(send_from_a(s, ADDR_B, pdu, sizeof(pdu)), 0);
	sim_free(s);
}

static void test_timeout_without_acks(void **state)
{
	struct sim *s = sim_new(11, NULL);
	uint8_t pdu[MESH_UPPER_MAX_PDU];

	(void)state;
	fill(pdu, sizeof(pdu), 11);
	s->no_receiver = true;
	assert_int_equal(send_from_a(s, ADDR_B, pdu, sizeof(pdu)), 0);
	sim_run(s, 60000);
	assert_int_equal(s->a.done_calls, 1);
	assert_int_equal(s->a.done_err, MESH_ERR_TIMEOUT);
	/* First round plus the two default retransmission rounds. */
	assert_int_equal(s->a.lt.stats.seg_sent, 3 * MESH_SEG_MAX);
	assert_int_equal(s->a.lt.stats.seg_resent, 2 * MESH_SEG_MAX);
	assert_int_equal(mesh_lt_tx_in_use(&s->a.lt), 0);
	sim_free(s);
}

/* Every ack lost: B delivers once; A retries, then times out. */
static void test_acks_lost_no_double_delivery(void **state)
{
	struct sim *s = sim_new(13, NULL);
	uint8_t pdu[MESH_UPPER_MAX_PDU];

	(void)state;
	fill(pdu, sizeof(pdu), 13);
	s->ack_loss_pct = 100;
	assert_int_equal(send_from_a(s, ADDR_B, pdu, sizeof(pdu)), 0);
	sim_run(s, 60000);
	assert_int_equal(s->a.done_err, MESH_ERR_TIMEOUT);
	assert_int_equal(s->b.delivered, 1);
	assert_memory_equal(s->b.last, pdu, sizeof(pdu));
	assert_true(s->b.acks_sent > 1);  /* re-acks of the late copies */
	sim_free(s);
}

static void test_multicast_no_acks(void **state)
{
	struct sim *s = sim_new(17, NULL);
	uint8_t pdu[MESH_UPPER_MAX_PDU];

	(void)state;
	fill(pdu, sizeof(pdu), 17);
	assert_int_equal(send_from_a(s, GROUP, pdu, sizeof(pdu)), 0);
	sim_run(s, 60000);
	assert_int_equal(s->a.done_calls, 1);
	assert_int_equal(s->a.done_err, 0);
	/* Multicast: every segment, 1 + 2 (default) times. */
	assert_int_equal(s->a.lt.stats.seg_sent, 3 * MESH_SEG_MAX);
	assert_int_equal(s->b.delivered, 1);
	assert_memory_equal(s->b.last, pdu, sizeof(pdu));
	assert_int_equal(s->b.acks_sent, 0);
	sim_free(s);
}

/* The acknowledgment delay follows min(SegN + 0.5, 2.5) x 60 ms. */
static void test_ack_timer_delay(void **state)
{
	struct sim *s = sim_new(19, NULL);
	struct mesh_net_rx rx;
	uint64_t t0 = mesh_timers_now(&s->ts);

	(void)state;
	s->no_receiver = true;
	/* SegN 1: 1.5 x 60 = 90 ms. */
	make_seg(&rx, 0x0301, ADDR_B, 500, 500, 0, 1, 0);
	assert_int_equal(mesh_lt_receive(&s->b.lt, &rx), 0);
	/* SegN 9: capped at 2.5 x 60 = 150 ms. */
	make_seg(&rx, 0x0302, ADDR_B, 600, 600, 0, 9, 0);
	assert_int_equal(mesh_lt_receive(&s->b.lt, &rx), 0);
	/* Group destination: never acked. */
	make_seg(&rx, 0x0303, GROUP, 700, 700, 0, 1, 0);
	assert_int_equal(mesh_lt_receive(&s->b.lt, &rx), 0);

	mesh_timers_advance(&s->ts, t0 + 89);
	assert_int_equal(s->b.acks_sent, 0);
	mesh_timers_advance(&s->ts, t0 + 90);
	assert_int_equal(s->b.acks_sent, 1);
	mesh_timers_advance(&s->ts, t0 + 149);
	assert_int_equal(s->b.acks_sent, 1);
	mesh_timers_advance(&s->ts, t0 + 150);
	assert_int_equal(s->b.acks_sent, 2);
	mesh_timers_advance(&s->ts, t0 + 5000);
	assert_int_equal(s->b.acks_sent, 2);
	sim_free(s);
}

/* Above the Segments Threshold, acks are repeated when so configured. */
static void test_ack_retransmissions(void **state)
{
	struct mesh_lt_config cfg;
	struct sim *s;
	struct mesh_net_rx rx;
	uint64_t t0;

	(void)state;
	mesh_lt_config_default(&cfg);
	cfg.sar.ack_retrans_count = 2;
	s = sim_new(23, &cfg);
	s->no_receiver = true;
	t0 = mesh_timers_now(&s->ts);
	make_seg(&rx, 0x0301, ADDR_B, 500, 500, 0, 3, 0);  /* 4 segments > 3 */
	assert_int_equal(mesh_lt_receive(&s->b.lt, &rx), 0);
	make_seg(&rx, 0x0302, ADDR_B, 500, 500, 0, 2, 0);  /* 3 segments */
	assert_int_equal(mesh_lt_receive(&s->b.lt, &rx), 0);
	mesh_timers_advance(&s->ts, t0 + 1000);
	assert_int_equal(s->b.acks_sent, 3 + 1);
	sim_free(s);
}

/*
 * Someone with only the NetKey sends, as A, one segment with a SeqAuth far
 * ahead of A's; the upper transport refuses the message. That must not
 * make A's genuine (older SeqAuth) messages obsolete.
 */
static void test_refused_message_obsoletes_nothing(void **state)
{
	struct sim *s = sim_new(29, NULL);
	struct mesh_lower_transport *b = &s->b.lt;
	struct mesh_net_rx rx;
	const uint32_t forged = 0x7ff000, genuine = 0x1000;

	(void)state;
	s->no_receiver = true;
	s->b.refuse = MESH_ERR_TRANSMIC;
	make_seg(&rx, ADDR_A, ADDR_B, forged, forged, 0, 0, 0xee);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_TRANSMIC);
	assert_int_equal(s->b.refused, 1);
	assert_int_equal(b->stats.rx_refused, 1);
	assert_int_equal(mesh_lt_rx_in_use(b), 0);
	/* The exact message again is not handed up a second time. */
	make_seg(&rx, ADDR_A, ADDR_B, forged, forged + 1, 0, 0, 0xee);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_OBSOLETE);
	assert_int_equal(s->b.refused, 1);

	/* A's genuine message with a lower SeqAuth still gets through. */
	s->b.refuse = 0;
	make_seg(&rx, ADDR_A, ADDR_B, genuine, genuine, 0, 1, 0x10);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	make_seg(&rx, ADDR_A, ADDR_B, genuine, genuine + 1, 1, 1, 0x10);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	assert_int_equal(s->b.delivered, 1);
	assert_int_equal(s->b.last_msg.seq, genuine);

	/* An accepted message still makes older ones obsolete. */
	make_seg(&rx, ADDR_A, ADDR_B, genuine - 10, genuine + 2, 0, 1, 0x20);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_OBSOLETE);
	/* ... and a refused newer one does not undo that. */
	s->b.refuse = MESH_ERR_TRANSMIC;
	make_seg(&rx, ADDR_A, ADDR_B, genuine + 50, genuine + 50, 0, 0, 0xee);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_TRANSMIC);
	s->b.refuse = 0;
	make_seg(&rx, ADDR_A, ADDR_B, genuine, genuine + 51, 1, 1, 0x10);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_DUPLICATE);
	make_seg(&rx, ADDR_A, ADDR_B, genuine - 10, genuine + 52, 0, 1, 0x20);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_OBSOLETE);
	assert_int_equal(s->b.delivered, 1);
	sim_free(s);
}

/* The same through the discard timer: a forged first segment that never
 * completes is abandoned, and A's older SeqAuths are not obsolete after. */
static void test_abandoned_message_obsoletes_nothing(void **state)
{
	struct sim *s = sim_new(31, NULL);
	struct mesh_lower_transport *b = &s->b.lt;
	struct mesh_net_rx rx;
	const uint32_t forged = 0x7ff000, genuine = 0x1000;

	(void)state;
	s->no_receiver = true;
	make_seg(&rx, ADDR_A, ADDR_B, forged, forged, 0, 1, 0xee);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	sim_run(s, 10001);
	assert_int_equal(b->stats.rx_discarded, 1);
	assert_int_equal(mesh_lt_rx_in_use(b), 0);
	/* Its own missing segment stays ignored ... */
	make_seg(&rx, ADDR_A, ADDR_B, forged, forged + 1, 1, 1, 0xee);
	assert_int_equal(mesh_lt_receive(b, &rx), MESH_ERR_OBSOLETE);
	/* ... but A's genuine messages are not. */
	make_seg(&rx, ADDR_A, ADDR_B, genuine, genuine, 0, 0, 0x10);
	assert_int_equal(mesh_lt_receive(b, &rx), 0);
	assert_int_equal(s->b.delivered, 1);
	sim_free(s);
}

/*
 * 3.5.3.3: the without-progress budget counts retransmission rounds in
 * which no new segment was acknowledged. A round started at once by an
 * acknowledgment with progress is not one of them. With a budget of 1:
 * SegO 1 and 2 are lost in the first pass, round 1 gets SegO 1 through
 * (progress, round 2 at once), round 2 loses SegO 2 again, round 3 is the
 * one round without progress and completes the message.
 */
static void test_wo_progress_counts_only_rounds_without_progress(void **state)
{
	struct mesh_lt_config cfg;
	struct sim *s;
	uint8_t pdu[40];

	(void)state;
	mesh_lt_config_default(&cfg);
	cfg.sar.unicast_retrans_count = 15;
	cfg.sar.unicast_retrans_wo_progress_count = 1;
	s = sim_new(37, &cfg);
	fill(pdu, sizeof(pdu), 37);
	s->drop_times[1] = 1;
	s->drop_times[2] = 3;
	assert_int_equal(send_from_a(s, ADDR_B, pdu, sizeof(pdu)), 0);
	sim_run(s, 60000);
	assert_int_equal(s->a.done_calls, 1);
	assert_int_equal(s->a.done_err, 0);
	assert_int_equal(s->b.delivered, 1);
	/* rounds: SegO 1+2, SegO 2, SegO 2 */
	assert_int_equal(s->a.lt.stats.seg_resent, 4);
	sim_free(s);

	/* SegO 2 never arrives: one round without progress, then the end. */
	s = sim_new(37, &cfg);
	s->drop_times[1] = 1;
	s->drop_seg_o = 2;
	assert_int_equal(send_from_a(s, ADDR_B, pdu, sizeof(pdu)), 0);
	sim_run(s, 60000);
	assert_int_equal(s->a.done_calls, 1);
	assert_int_equal(s->a.done_err, MESH_ERR_TIMEOUT);
	assert_int_equal(s->a.lt.stats.seg_resent, 4);
	sim_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transfer_lossless),
		cmocka_unit_test(test_transfer_10pct_loss),
		cmocka_unit_test(test_transfer_30pct_loss),
		cmocka_unit_test(test_transfer_default_config_light_loss),
		cmocka_unit_test(test_discard_timer_abandons),
		cmocka_unit_test(test_duplicates_and_obsolete),
		cmocka_unit_test(test_pool_bound_under_flood),
		cmocka_unit_test(test_block_ack_zero_cancels),
		cmocka_unit_test(test_timeout_without_acks),
		cmocka_unit_test(test_acks_lost_no_double_delivery),
		cmocka_unit_test(test_multicast_no_acks),
		cmocka_unit_test(test_ack_timer_delay),
		cmocka_unit_test(test_ack_retransmissions),
		cmocka_unit_test(test_refused_message_obsoletes_nothing),
		cmocka_unit_test(test_abandoned_message_obsoletes_nothing),
		cmocka_unit_test(test_wo_progress_counts_only_rounds_without_progress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
