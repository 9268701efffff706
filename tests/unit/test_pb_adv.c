/*
 * PB-ADV and Generic Provisioning (mesh/pb_adv.c).
 *
 * The codec is checked against the specification's sample data (Mesh
 * Protocol 1.1, 8.7): FCS, segmentation, parsing and the control PDUs
 * octet for octet, and a whole sample session is replayed through one
 * link in each role, which must answer with exactly the sample's PDUs.
 *
 * The link state machine runs with a Provisioner and a device wired back
 * to back through a fake air in this file: every PDU one end sends
 * arrives at the other after a fixed latency unless a seeded PRNG (or a
 * test's filter) drops it, all on one struct mesh_timers advanced here.
 * Everything either end puts on the air must parse, and its data
 * transactions must be numbered one after the other in its own half.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/err.h"
#include "mesh/pb_adv.h"
#include "mesh/util.h"
#include "vectors.h"

#define LATENCY_MS 5
#define STEP_MS 10
#define AIR_PACKETS 256
#define MAX_MSGS 256
#define LOG_MAX 64
#define LINK_ID 0x3e5a0001u
#define PROV 0
#define DEV 1

static const uint8_t test_uuid[16] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};

struct air;

struct end {
	struct mesh_pb_adv_link link;
	struct air *air;
	int index;                      /* PROV or DEV */
	unsigned int opened;
	unsigned int sent_calls;
	unsigned int closed_calls;
	enum mesh_pb_adv_closed_why why;
	uint8_t reason;
	uint64_t closed_at;
	/* provisioning PDUs delivered to this end, in order */
	unsigned int received;
	uint8_t rx[MAX_MSGS][MESH_PROV_PDU_MAX];
	uint8_t rx_len[MAX_MSGS];
	/* what this end put on the air */
	unsigned int tx_link_open, tx_link_ack, tx_link_close, tx_acks, tx_segments;
	bool have_tx_transaction;
	uint8_t last_tx_transaction;
	unsigned int log_n;             /* transmissions since log_reset() */
	uint8_t log[LOG_MAX][MESH_PB_ADV_PDU_MAX];
	uint8_t log_len[LOG_MAX];
	/* conversation: bursts of messages answered by bursts */
	unsigned int next_burst;
	unsigned int queued;            /* script messages handed to the link */
};

struct packet {
	struct mesh_timer timer;
	struct air *air;
	int to;
	uint8_t pdu[MESH_PB_ADV_PDU_MAX];
	uint8_t len;
	bool used;
};

struct air {
	struct mesh_timers ts;
	uint64_t rng;
	bool wired;                     /* false: PDUs are only logged */
	unsigned int loss_pct;          /* both directions */
	bool deaf[2];                   /* nothing reaches this end */
	bool mute[2];                   /* nothing from this end arrives */
	bool drop_acks_from[2];         /* Transaction Acks of this end are lost */
	int drop_ack_of;                /* Transaction Acks of this number; -1: none */
	unsigned int rounds;            /* conversation length; 0: none */
	unsigned int lost;
	struct end ends[2];
	struct packet packets[AIR_PACKETS];
};

/* ---- the fake air --------------------------------------------------------- */

static uint64_t rng_next(struct air *a)
{
	/* xorshift64*: seedable, and plenty for loss patterns. */
	a->rng ^= a->rng >> 12;
	a->rng ^= a->rng << 25;
	a->rng ^= a->rng >> 27;
	return a->rng * 0x2545f4914f6cdd1dULL;
}

static uint8_t next_in_half(uint8_t t)
{
	return (uint8_t)((t & 0x80) | ((t + 1) & 0x7f));
}

/* Rules every PDU an end transmits must follow. */
static void check_transmission(struct end *e, const uint8_t *pdu, size_t len)
{
	struct mesh_pb_adv_pdu p;
	uint8_t half = e->index == PROV ? 0x00 : 0x80;

	assert_int_equal(mesh_pb_adv_parse(pdu, len, &p), 0);
	switch (p.gpcf) {
	case MESH_PB_ADV_TX_START:
	case MESH_PB_ADV_TX_CONTINUATION:
		e->tx_segments++;
		assert_int_equal(p.transaction & 0x80, half);
		if (!e->have_tx_transaction)
			assert_int_equal(p.transaction, half);
		else if (p.transaction != e->last_tx_transaction)
			assert_int_equal(p.transaction, next_in_half(e->last_tx_transaction));
		e->have_tx_transaction = true;
		e->last_tx_transaction = p.transaction;
		break;
	case MESH_PB_ADV_TX_ACK:
		/* Acks carry the peer's numbers. */
		assert_int_equal(p.transaction & 0x80, half ^ 0x80);
		e->tx_acks++;
		break;
	default:
		assert_int_equal(p.transaction, 0);
		if (p.control.opcode == MESH_PB_ADV_LINK_OPEN)
			e->tx_link_open++;
		else if (p.control.opcode == MESH_PB_ADV_LINK_ACK)
			e->tx_link_ack++;
		else
			e->tx_link_close++;
		break;
	}
}

static void packet_fire(struct mesh_timer *t)
{
	struct packet *pk = MESH_CONTAINER_OF(t, struct packet, timer);
	struct end *to = &pk->air->ends[pk->to];

	pk->used = false;
	if (pk->air->deaf[pk->to])
		return;
	mesh_pb_adv_link_receive(&to->link, pk->pdu, pk->len);
}

static bool air_drops(struct air *a, int from, const uint8_t *pdu)
{
	bool ack = (pdu[5] & 0x03) == MESH_PB_ADV_TX_ACK;

	if (a->mute[from] || a->deaf[1 - from])
		return true;
	if (ack && (a->drop_acks_from[from] || a->drop_ack_of == pdu[4]))
		return true;
	return a->loss_pct && rng_next(a) % 100 < a->loss_pct;
}

static int air_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct end *e = ctx;
	struct air *a = e->air;
	struct packet *pk = NULL;

	assert_true(len <= MESH_PB_ADV_PDU_MAX);
	check_transmission(e, pdu, len);
	if (e->log_n < LOG_MAX) {
		memcpy(e->log[e->log_n], pdu, len);
		e->log_len[e->log_n] = (uint8_t)len;
	}
	e->log_n++;
	if (!a->wired)
		return 0;
	if (air_drops(a, e->index, pdu)) {
		a->lost++;
		return 0;
	}
	for (size_t i = 0; i < AIR_PACKETS && !pk; i++) {
		if (!a->packets[i].used)
			pk = &a->packets[i];
	}
	if (!pk)
		fail_msg("fake air: packet pool exhausted");
	pk->used = true;
	pk->air = a;
	pk->to = 1 - e->index;
	memcpy(pk->pdu, pdu, len);
	pk->len = (uint8_t)len;
	mesh_timer_init(&pk->timer, packet_fire);
	mesh_timer_start(&a->ts, &pk->timer, LATENCY_MS);
	return 0;
}

static void log_reset(struct end *e)
{
	e->log_n = 0;
}

/* ---- a scripted conversation --------------------------------------------- */

/* Message i of an end's script: every fourth one the largest PDU, the
 * others of lengths around every segment boundary. */
static size_t script_msg(int from, unsigned int i, uint8_t *buf)
{
	size_t len = i % 4 == 0 ? MESH_PROV_PDU_MAX : 1 + (i * 37 + (unsigned int)from * 11) % 65;

	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 13 + k * 7 + (unsigned int)from * 101);
	return len;
}

/* Bursts fill the queue in turn with one, two and three PDUs. */
static unsigned int burst_size(int from, unsigned int round)
{
	return 1 + (round + (unsigned int)from) % 3;
}

static unsigned int burst_end(int from, unsigned int round)
{
	unsigned int n = 0;

	for (unsigned int r = 0; r <= round; r++)
		n += burst_size(from, r);
	return n;
}

static void send_burst(struct end *e, unsigned int round)
{
	uint8_t msg[MESH_PROV_PDU_MAX];

	for (unsigned int k = 0; k < burst_size(e->index, round); k++) {
		size_t len = script_msg(e->index, e->queued, msg);

		assert_int_equal(mesh_pb_adv_link_send(&e->link, msg, len), 0);
		e->queued++;
	}
	e->next_burst = round + 1;
}

/* The device answers each complete burst with one of its own; the
 * Provisioner answers with the next round's. */
static void converse(struct end *e)
{
	struct air *a = e->air;
	int peer = 1 - e->index;
	unsigned int answered = e->index == DEV ? e->next_burst : e->next_burst - 1;

	if (answered >= a->rounds || e->received != burst_end(peer, answered))
		return;
	if (e->next_burst < a->rounds)
		send_burst(e, e->next_burst);
}

static bool conversation_done(struct air *a)
{
	return a->ends[PROV].received == burst_end(DEV, a->rounds - 1) &&
	       a->ends[DEV].received == burst_end(PROV, a->rounds - 1) &&
	       !a->ends[PROV].link.tx_in_flight && !a->ends[DEV].link.tx_in_flight;
}

/* ---- link callbacks -------------------------------------------------------- */

static void on_opened(void *ctx)
{
	struct end *e = ctx;

	e->opened++;
	if (e->air->rounds && e->index == PROV)
		send_burst(e, 0);
}

static void on_receive(void *ctx, const uint8_t *pdu, size_t len)
{
	struct end *e = ctx;

	assert_true(len >= 1 && len <= MESH_PROV_PDU_MAX);
	assert_true(e->received < MAX_MSGS);
	memcpy(e->rx[e->received], pdu, len);
	e->rx_len[e->received] = (uint8_t)len;
	e->received++;
	if (e->air->rounds)
		converse(e);
}

static void on_sent(void *ctx)
{
	struct end *e = ctx;

	e->sent_calls++;
}

static void on_closed(void *ctx, enum mesh_pb_adv_closed_why why, uint8_t reason)
{
	struct end *e = ctx;

	e->closed_calls++;
	e->why = why;
	e->reason = reason;
	e->closed_at = mesh_timers_now(&e->air->ts);
	assert_false(mesh_pb_adv_link_busy(&e->link));
}

static const struct mesh_pb_adv_link_ops end_ops = {
	.send = air_send,
	.opened = on_opened,
	.receive = on_receive,
	.sent = on_sent,
	.closed = on_closed,
};

static struct air *air_new(uint64_t seed, bool wired)
{
	struct air *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	mesh_timers_init(&a->ts, 0);
	a->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	a->wired = wired;
	a->drop_ack_of = -1;
	for (int i = 0; i < 2; i++) {
		a->ends[i].air = a;
		a->ends[i].index = i;
	}
	return a;
}

static void air_free(struct air *a)
{
	mesh_pb_adv_link_abort(&a->ends[PROV].link);
	mesh_pb_adv_link_abort(&a->ends[DEV].link);
	for (size_t i = 0; i < AIR_PACKETS; i++)
		mesh_timer_stop(&a->ts, &a->packets[i].timer);
	free(a);
}

/* The end goes quiet: it hears nothing and nothing it says arrives. */
static void silence(struct air *a, int end)
{
	a->deaf[end] = true;
	a->mute[end] = true;
}

static void run_ms(struct air *a, uint64_t ms)
{
	mesh_timers_advance(&a->ts, mesh_timers_now(&a->ts) + ms);
}

static void start_both(struct air *a, uint32_t link_id)
{
	assert_int_equal(mesh_pb_adv_link_listen(&a->ends[DEV].link, &a->ts, test_uuid,
						 &end_ops, &a->ends[DEV]), 0);
	assert_int_equal(mesh_pb_adv_link_open(&a->ends[PROV].link, &a->ts, link_id,
					       test_uuid, &end_ops, &a->ends[PROV]), 0);
}

/* Both ends open, lossless; returns the air with logs cleared. */
static struct air *open_pair(void)
{
	struct air *a = air_new(7, true);

	start_both(a, LINK_ID);
	run_ms(a, 50);
	assert_int_equal(a->ends[PROV].opened, 1);
	assert_int_equal(a->ends[DEV].opened, 1);
	log_reset(&a->ends[PROV]);
	log_reset(&a->ends[DEV]);
	return a;
}

/* A device link opened by feeding it a Link Open, with nobody on the air. */
static struct air *open_device_alone(void)
{
	struct air *a = air_new(3, false);
	struct end *dev = &a->ends[DEV];
	uint8_t pdu[MESH_PB_ADV_PDU_MAX];
	size_t len = mesh_pb_adv_compose_link_open(LINK_ID, test_uuid, pdu);

	assert_int_equal(mesh_pb_adv_link_listen(&dev->link, &a->ts, test_uuid, &end_ops, dev),
			 0);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, pdu, len), 0);
	assert_int_equal(dev->opened, 1);
	log_reset(dev);
	return a;
}

static void assert_delivered(const struct end *e, unsigned int i, const uint8_t *pdu,
			     size_t len)
{
	assert_true(i < e->received);
	assert_int_equal(e->rx_len[i], len);
	assert_bytes_equal(e->rx[i], pdu, len);
}

/* ---- sample data ------------------------------------------------------------ */

enum vec_kind { VEC_DATA, VEC_TX_ACK, VEC_LINK_OPEN, VEC_LINK_ACK, VEC_LINK_CLOSE };

struct vec_entry {
	json_t *obj;
	uint32_t link_id;
	uint8_t transaction;
	enum vec_kind kind;
	int sender;                      /* PROV or DEV */
	size_t n_pdus;
	uint8_t pdus[4][MESH_PB_ADV_PDU_MAX];
	uint8_t lens[4];
};

static json_t *vec_transactions(void)
{
	json_t *list = vec_get(vectors_root(), "provisioning.pb_adv_transactions");

	assert_true(json_is_array(list));
	assert_true(json_array_size(list) >= 20);
	return list;
}

static enum vec_kind kind_of(const struct mesh_pb_adv_pdu *p)
{
	if (p->gpcf == MESH_PB_ADV_TX_START)
		return VEC_DATA;
	if (p->gpcf == MESH_PB_ADV_TX_ACK)
		return VEC_TX_ACK;
	assert_int_equal(p->gpcf, MESH_PB_ADV_BEARER_CONTROL);
	if (p->control.opcode == MESH_PB_ADV_LINK_OPEN)
		return VEC_LINK_OPEN;
	if (p->control.opcode == MESH_PB_ADV_LINK_ACK)
		return VEC_LINK_ACK;
	return VEC_LINK_CLOSE;
}

/* Who sends it: data by the half of its number, an ack by the other
 * end's, Link Open and Close by the Provisioner, Link Ack by the device. */
static int sender_of(enum vec_kind kind, uint8_t transaction)
{
	switch (kind) {
	case VEC_DATA: return transaction & 0x80 ? DEV : PROV;
	case VEC_TX_ACK: return transaction & 0x80 ? PROV : DEV;
	case VEC_LINK_ACK: return DEV;
	default: return PROV;
	}
}

static void vec_load(json_t *obj, struct vec_entry *v)
{
	uint8_t id[4];
	json_t *pdus = vec_get(obj, "pb_adv_pdus");
	struct mesh_pb_adv_pdu p;
	char path[48];

	memset(v, 0, sizeof(*v));
	v->obj = obj;
	assert_int_equal(vec_hex(obj, "link_id", id, sizeof(id)), 4);
	v->link_id = mesh_get_be32(id);
	v->transaction = (uint8_t)vec_int(obj, "transaction");
	assert_true(json_is_array(pdus));
	v->n_pdus = json_array_size(pdus);
	assert_true(v->n_pdus >= 1 && v->n_pdus <= 4);
	for (size_t i = 0; i < v->n_pdus; i++) {
		snprintf(path, sizeof(path), "pb_adv_pdus.[%zu]", i);
		v->lens[i] = (uint8_t)vec_hex(obj, path, v->pdus[i], MESH_PB_ADV_PDU_MAX);
	}
	assert_int_equal(mesh_pb_adv_parse(v->pdus[0], v->lens[0], &p), 0);
	v->kind = kind_of(&p);
	v->sender = sender_of(v->kind, v->transaction);
}

static void check_data_entry(const struct vec_entry *v)
{
	uint8_t prov_pdu[MESH_PROV_PDU_MAX], seg_data[MESH_PB_ADV_CONT_DATA_MAX];
	uint8_t fcs, out[MESH_PB_ADV_SEGMENTS_MAX][MESH_PB_ADV_PDU_MAX];
	uint8_t lens[MESH_PB_ADV_SEGMENTS_MAX];
	size_t len = vec_hex(v->obj, "provisioning_pdu", prov_pdu, sizeof(prov_pdu));
	long long seg_n = vec_int(v->obj, "seg_n");
	char path[48];
	int n;

	assert_int_equal(vec_hex(v->obj, "fcs", &fcs, 1), 1);
	assert_int_equal(mesh_pb_adv_fcs(prov_pdu, len), fcs);
	assert_int_equal(vec_int(v->obj, "total_length"), len);

	n = mesh_pb_adv_segment(v->link_id, v->transaction, prov_pdu, len, out, lens,
				MESH_PB_ADV_SEGMENTS_MAX);
	assert_int_equal(n, seg_n + 1);
	assert_int_equal((size_t)n, v->n_pdus);
	assert_int_equal(json_array_size(vec_get(v->obj, "segments")), v->n_pdus);
	for (int i = 0; i < n; i++) {
		struct mesh_pb_adv_pdu p;
		size_t seg_len;

		assert_int_equal(lens[i], v->lens[i]);
		assert_bytes_equal(out[i], v->pdus[i], lens[i]);

		assert_int_equal(mesh_pb_adv_parse(v->pdus[i], v->lens[i], &p), 0);
		assert_int_equal(p.link_id, v->link_id);
		assert_int_equal(p.transaction, v->transaction);
		snprintf(path, sizeof(path), "segments.[%d]", i);
		seg_len = vec_hex(v->obj, path, seg_data, sizeof(seg_data));
		assert_int_equal(p.data_len, seg_len);
		assert_bytes_equal(p.data, seg_data, seg_len);
		if (i == 0) {
			assert_int_equal(p.gpcf, MESH_PB_ADV_TX_START);
			assert_int_equal(p.start.seg_n, seg_n);
			assert_int_equal(p.start.total_len, len);
			assert_int_equal(p.start.fcs, fcs);
		} else {
			assert_int_equal(p.gpcf, MESH_PB_ADV_TX_CONTINUATION);
			assert_int_equal(p.seg_index, i);
		}
	}
	/* Too few segments allowed for it. */
	if (n > 1)
		assert_int_equal(mesh_pb_adv_segment(v->link_id, v->transaction, prov_pdu, len,
						     out, lens, (size_t)n - 1),
				 MESH_ERR_OVERSIZED);
}

static void check_control_entry(const struct vec_entry *v, const uint8_t uuid[16])
{
	uint8_t out[MESH_PB_ADV_PDU_MAX];
	struct mesh_pb_adv_pdu p;
	size_t len = 0;

	assert_int_equal(v->n_pdus, 1);
	assert_int_equal(mesh_pb_adv_parse(v->pdus[0], v->lens[0], &p), 0);
	assert_int_equal(p.link_id, v->link_id);
	assert_int_equal(p.transaction, v->transaction);
	assert_null(p.data);
	switch (v->kind) {
	case VEC_TX_ACK:
		len = mesh_pb_adv_compose_ack(v->link_id, v->transaction, out);
		break;
	case VEC_LINK_OPEN:
		assert_bytes_equal(p.control.uuid, uuid, 16);
		len = mesh_pb_adv_compose_link_open(v->link_id, uuid, out);
		break;
	case VEC_LINK_ACK:
		len = mesh_pb_adv_compose_link_ack(v->link_id, out);
		break;
	case VEC_LINK_CLOSE:
		assert_int_equal(p.control.reason, MESH_PB_ADV_CLOSE_SUCCESS);
		len = mesh_pb_adv_compose_link_close(v->link_id, p.control.reason, out);
		break;
	default:
		fail();
	}
	assert_int_equal(len, v->lens[0]);
	assert_bytes_equal(out, v->pdus[0], len);
}

static void test_sample_data_codec(void **state)
{
	json_t *list = vec_transactions();
	unsigned int count[VEC_LINK_CLOSE + 1] = { 0 };
	unsigned int multi_segment = 0;
	uint8_t uuid[16];

	(void)state;
	assert_int_equal(vec_hex(vectors_root(), "provisioning.device_uuid", uuid, 16), 16);
	for (size_t i = 0; i < json_array_size(list); i++) {
		struct vec_entry v;

		vec_load(json_array_get(list, i), &v);
		count[v.kind]++;
		if (v.kind == VEC_DATA) {
			check_data_entry(&v);
			multi_segment += v.n_pdus > 1;
		} else {
			check_control_entry(&v, uuid);
		}
	}
	/* The sample covers every kind, and SegN 1 and 2. */
	assert_int_equal(count[VEC_LINK_OPEN], 1);
	assert_int_equal(count[VEC_LINK_ACK], 1);
	assert_int_equal(count[VEC_LINK_CLOSE], 1);
	assert_true(count[VEC_DATA] >= 10);
	assert_int_equal(count[VEC_TX_ACK], count[VEC_DATA]);
	assert_true(multi_segment >= 3);
}

/* Feed the peer's PDUs, check our answers and what we were given. */
static void replay_from_peer(struct air *a, struct end *us, const struct vec_entry *v)
{
	unsigned int received = us->received, sent = us->sent_calls;
	uint8_t prov_pdu[MESH_PROV_PDU_MAX];
	size_t len;

	log_reset(us);
	for (size_t k = 0; k < v->n_pdus; k++)
		assert_int_equal(mesh_pb_adv_link_receive(&us->link, v->pdus[k], v->lens[k]), 0);
	switch (v->kind) {
	case VEC_DATA:
		len = vec_hex(v->obj, "provisioning_pdu", prov_pdu, sizeof(prov_pdu));
		assert_int_equal(us->received, received + 1);
		assert_delivered(us, received, prov_pdu, len);
		break;
	case VEC_TX_ACK:
		assert_int_equal(us->sent_calls, sent + 1);
		break;
	case VEC_LINK_ACK:
	case VEC_LINK_OPEN:
		assert_int_equal(us->opened, 1);
		break;
	case VEC_LINK_CLOSE:
		assert_int_equal(us->closed_calls, 1);
		assert_int_equal(us->why, MESH_PB_ADV_CLOSED_BY_PEER);
		assert_int_equal(us->reason, MESH_PB_ADV_CLOSE_SUCCESS);
		break;
	}
	(void)a;
}

/* Do what the sample shows us doing; what we transmit must be the sample. */
static void replay_ours(struct air *a, struct end *us, const struct vec_entry *v,
			const uint8_t uuid[16])
{
	uint8_t prov_pdu[MESH_PROV_PDU_MAX];
	size_t len;

	switch (v->kind) {
	case VEC_DATA:
		log_reset(us);
		len = vec_hex(v->obj, "provisioning_pdu", prov_pdu, sizeof(prov_pdu));
		assert_int_equal(mesh_pb_adv_link_send(&us->link, prov_pdu, len), 0);
		break;
	case VEC_LINK_OPEN:
		log_reset(us);
		assert_int_equal(mesh_pb_adv_link_open(&us->link, &a->ts, v->link_id, uuid,
						       &end_ops, us), 0);
		break;
	case VEC_LINK_CLOSE:
		log_reset(us);
		mesh_pb_adv_link_close(&us->link, MESH_PB_ADV_CLOSE_SUCCESS);
		break;
	default:
		break;  /* acks answer what the peer sent: already in the log */
	}
	assert_int_equal(us->log_n, v->n_pdus);
	for (size_t k = 0; k < v->n_pdus; k++) {
		assert_int_equal(us->log_len[k], v->lens[k]);
		assert_bytes_equal(us->log[k], v->pdus[k], v->lens[k]);
	}
}

static void replay_sample_session(int role)
{
	struct air *a = air_new(1, false);
	struct end *us = &a->ends[role];
	json_t *list = vec_transactions();
	uint8_t uuid[16];

	assert_int_equal(vec_hex(vectors_root(), "provisioning.device_uuid", uuid, 16), 16);
	if (role == DEV)
		assert_int_equal(mesh_pb_adv_link_listen(&us->link, &a->ts, uuid, &end_ops, us),
				 0);
	for (size_t i = 0; i < json_array_size(list); i++) {
		struct vec_entry v;

		vec_load(json_array_get(list, i), &v);
		if (v.sender == role)
			replay_ours(a, us, &v, uuid);
		else
			replay_from_peer(a, us, &v);
	}
	assert_int_equal(us->opened, 1);
	if (role == PROV) {
		/* The Link Close goes out twice more, then the link is gone. */
		assert_int_equal(us->closed_calls, 0);
		run_ms(a, MESH_PB_ADV_RETRANSMIT_MS * MESH_PB_ADV_CLOSE_REPEAT);
		assert_int_equal(us->closed_calls, 1);
		assert_int_equal(us->why, MESH_PB_ADV_CLOSED_LOCAL);
		assert_int_equal(us->tx_link_close, MESH_PB_ADV_CLOSE_REPEAT);
		assert_int_equal(us->log_n, MESH_PB_ADV_CLOSE_REPEAT);
		assert_bytes_equal(us->log[2], us->log[0], us->log_len[0]);
	}
	assert_false(mesh_pb_adv_link_busy(&us->link));
	air_free(a);
}

static void test_device_replays_sample_session(void **state)
{
	(void)state;
	replay_sample_session(DEV);
}

static void test_provisioner_replays_sample_session(void **state)
{
	(void)state;
	replay_sample_session(PROV);
}

/* ---- two links back to back ------------------------------------------------ */

static void test_open_exchange_queue_close(void **state)
{
	static const size_t sizes[] = { 1, 2, 20, 21, 43, 44, 64, 65 };
	struct air *a = air_new(11, true);
	struct end *prov = &a->ends[PROV], *dev = &a->ends[DEV];
	uint8_t msg[MESH_PROV_PDU_MAX], big[MESH_PROV_PDU_MAX + 1] = { 0 };
	unsigned int n = 0;

	(void)state;
	start_both(a, LINK_ID);
	assert_true(mesh_pb_adv_link_busy(&prov->link));
	assert_true(mesh_pb_adv_link_busy(&dev->link));
	run_ms(a, 50);
	assert_int_equal(prov->opened, 1);
	assert_int_equal(dev->opened, 1);
	assert_int_equal(prov->tx_link_open, 1);
	assert_int_equal(dev->tx_link_ack, 1);
	/* Lossless: no Link Open repeat after the Link Ack. */
	run_ms(a, 2000);
	assert_int_equal(prov->tx_link_open, 1);

	/* One PDU at a time, each size, both ways, answered in turn. */
	for (size_t i = 0; i < MESH_ARRAY_SIZE(sizes); i++) {
		memset(msg, (int)(0x10 + i), sizes[i]);
		assert_int_equal(mesh_pb_adv_link_send(&prov->link, msg, sizes[i]), 0);
		run_ms(a, 50);
		assert_int_equal(dev->received, i + 1);
		assert_delivered(dev, (unsigned int)i, msg, sizes[i]);
		msg[0] ^= 0xff;
		assert_int_equal(mesh_pb_adv_link_send(&dev->link, msg, sizes[i]), 0);
		run_ms(a, 50);
		assert_int_equal(prov->received, i + 1);
		assert_delivered(prov, (unsigned int)i, msg, sizes[i]);
	}
	run_ms(a, 100);
	assert_int_equal(prov->sent_calls, MESH_ARRAY_SIZE(sizes));
	assert_int_equal(dev->sent_calls, MESH_ARRAY_SIZE(sizes));

	/* Three may wait; a fourth is refused; all three arrive in order. */
	n = dev->received;
	for (unsigned int k = 0; k < MESH_PB_ADV_QUEUE_MAX; k++) {
		memset(msg, 0x80 + (int)k, MESH_PROV_PDU_MAX);
		assert_int_equal(mesh_pb_adv_link_send(&prov->link, msg, MESH_PROV_PDU_MAX), 0);
	}
	assert_int_equal(mesh_pb_adv_link_send(&prov->link, msg, 1), MESH_ERR_FULL);
	assert_int_equal(mesh_pb_adv_link_send(&prov->link, big, sizeof(big)),
			 MESH_ERR_OVERSIZED);
	run_ms(a, 200);
	assert_int_equal(dev->received, n + MESH_PB_ADV_QUEUE_MAX);
	for (unsigned int k = 0; k < MESH_PB_ADV_QUEUE_MAX; k++) {
		memset(msg, 0x80 + (int)k, MESH_PROV_PDU_MAX);
		assert_delivered(dev, n + k, msg, MESH_PROV_PDU_MAX);
	}
	/* Only once all three are acknowledged. */
	assert_int_equal(prov->sent_calls, MESH_ARRAY_SIZE(sizes) + 1);

	/* Close with a reason: repeated, then reported on both ends. */
	mesh_pb_adv_link_close(&prov->link, MESH_PB_ADV_CLOSE_FAIL);
	assert_int_equal(mesh_pb_adv_link_send(&prov->link, msg, 1), MESH_ERR_DOWN);
	run_ms(a, 50);
	assert_int_equal(dev->closed_calls, 1);
	assert_int_equal(dev->why, MESH_PB_ADV_CLOSED_BY_PEER);
	assert_int_equal(dev->reason, MESH_PB_ADV_CLOSE_FAIL);
	assert_int_equal(prov->closed_calls, 0);
	run_ms(a, 2000);
	assert_int_equal(prov->closed_calls, 1);
	assert_int_equal(prov->why, MESH_PB_ADV_CLOSED_LOCAL);
	assert_int_equal(prov->reason, MESH_PB_ADV_CLOSE_FAIL);
	assert_int_equal(prov->tx_link_close, MESH_PB_ADV_CLOSE_REPEAT);
	assert_int_equal(dev->closed_calls, 1);
	assert_int_equal(mesh_pb_adv_link_send(&dev->link, msg, 1), MESH_ERR_DOWN);
	/* Nothing is armed any more. */
	assert_int_equal(mesh_timers_next_delay(&a->ts), -1);
	air_free(a);
}

static void run_conversation(uint64_t seed, unsigned int loss, unsigned int rounds)
{
	struct air *a = air_new(seed, true);
	struct end *prov = &a->ends[PROV], *dev = &a->ends[DEV];
	uint8_t msg[MESH_PROV_PDU_MAX];
	uint64_t deadline = 3600 * 1000;

	a->loss_pct = loss;
	a->rounds = rounds;
	start_both(a, LINK_ID ^ (uint32_t)seed);
	while (!conversation_done(a) && mesh_timers_now(&a->ts) < deadline &&
	       !prov->closed_calls && !dev->closed_calls)
		run_ms(a, STEP_MS);
	if (!conversation_done(a))
		fail_msg("seed %llu loss %u%%: prov got %u of %u, device %u of %u, closed %u/%u",
			 (unsigned long long)seed, loss, prov->received,
			 burst_end(DEV, rounds - 1), dev->received, burst_end(PROV, rounds - 1),
			 prov->closed_calls, dev->closed_calls);
	/* Late repeats still on the air deliver nothing more. */
	run_ms(a, 5000);
	assert_int_equal(prov->received, burst_end(DEV, rounds - 1));
	assert_int_equal(dev->received, burst_end(PROV, rounds - 1));
	for (unsigned int i = 0; i < prov->received; i++)
		assert_delivered(prov, i, msg, script_msg(DEV, i, msg));
	for (unsigned int i = 0; i < dev->received; i++)
		assert_delivered(dev, i, msg, script_msg(PROV, i, msg));
	assert_int_equal(prov->opened, 1);
	assert_int_equal(dev->opened, 1);
	assert_int_equal(prov->closed_calls + dev->closed_calls, 0);
	if (loss)
		assert_true(a->lost > 0);
	/* A quiet air for the goodbye, so the device surely hears it. */
	a->loss_pct = 0;
	mesh_pb_adv_link_close(&prov->link, MESH_PB_ADV_CLOSE_SUCCESS);
	run_ms(a, 2000);
	assert_int_equal(dev->why, MESH_PB_ADV_CLOSED_BY_PEER);
	assert_int_equal(prov->why, MESH_PB_ADV_CLOSED_LOCAL);
	assert_int_equal(prov->closed_calls, 1);
	assert_int_equal(dev->closed_calls, 1);
	air_free(a);
}

static void test_conversation_lossless_wraps_numbers(void **state)
{
	(void)state;
	/* Over 128 transactions each way: both halves wrap. */
	run_conversation(1, 0, 100);
}

static void test_conversation_20pct_loss(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++)
		run_conversation(seed, 20, 30);
}

static void test_conversation_50pct_loss(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++)
		run_conversation(seed, 50, 20);
}

static void transaction_timeout(int sender)
{
	struct air *a = open_pair();
	struct end *s = &a->ends[sender], *peer = &a->ends[1 - sender];
	uint8_t msg[MESH_PROV_PDU_MAX];
	uint64_t started = mesh_timers_now(&a->ts);

	memset(msg, 0x5a, sizeof(msg));
	silence(a, 1 - sender);
	assert_int_equal(mesh_pb_adv_link_send(&s->link, msg, sizeof(msg)), 0);
	run_ms(a, MESH_PB_ADV_TRANSACTION_TIMEOUT_MS - 10);
	assert_int_equal(s->closed_calls, 0);
	/* Every segment, every interval. */
	assert_int_equal(s->tx_segments,
			 3 * (MESH_PB_ADV_TRANSACTION_TIMEOUT_MS / MESH_PB_ADV_RETRANSMIT_MS));
	run_ms(a, 10 + MESH_PB_ADV_CLOSE_REPEAT * MESH_PB_ADV_RETRANSMIT_MS);
	assert_int_equal(s->closed_calls, 1);
	assert_int_equal(s->why, MESH_PB_ADV_CLOSED_TX_TIMEOUT);
	assert_int_equal(s->reason, MESH_PB_ADV_CLOSE_TIMEOUT);
	assert_int_equal(s->tx_link_close, MESH_PB_ADV_CLOSE_REPEAT);
	assert_int_equal(s->closed_at - started,
			 MESH_PB_ADV_TRANSACTION_TIMEOUT_MS +
				 MESH_PB_ADV_CLOSE_REPEAT * MESH_PB_ADV_RETRANSMIT_MS);
	assert_int_equal(s->sent_calls, 0);
	assert_int_equal(peer->received, 0);
	assert_int_equal(peer->closed_calls, 0);
	assert_int_equal(mesh_pb_adv_link_send(&s->link, msg, 1), MESH_ERR_DOWN);
	air_free(a);
}

static void test_transaction_timeout_provisioner(void **state)
{
	(void)state;
	transaction_timeout(PROV);
}

static void test_transaction_timeout_device(void **state)
{
	(void)state;
	transaction_timeout(DEV);
}

static void test_transaction_timer_restarts_per_transaction(void **state)
{
	struct air *a = open_pair();
	struct end *prov = &a->ends[PROV], *dev = &a->ends[DEV];
	uint8_t msg[4] = { 1, 2, 3, 4 };

	(void)state;
	/* Each of two queued transactions gets 30 s of its own: the second
	 * is acknowledged 50 s after the first was queued. */
	a->drop_ack_of = 0x00;
	assert_int_equal(mesh_pb_adv_link_send(&prov->link, msg, sizeof(msg)), 0);
	assert_int_equal(mesh_pb_adv_link_send(&prov->link, msg, 2), 0);
	run_ms(a, 25000);
	assert_int_equal(prov->link.tx_queued, 2);
	a->drop_ack_of = 0x01;
	run_ms(a, 600);
	assert_int_equal(prov->link.tx_queued, 1);
	run_ms(a, 25000);
	a->drop_ack_of = -1;
	run_ms(a, 600);
	assert_int_equal(prov->link.tx_queued, 0);
	assert_int_equal(prov->closed_calls, 0);
	assert_int_equal(prov->sent_calls, 1);
	assert_int_equal(dev->received, 2);
	air_free(a);
}

static void test_open_timeout(void **state)
{
	struct air *a = air_new(5, true);
	struct end *prov = &a->ends[PROV], *dev = &a->ends[DEV];

	(void)state;
	/* Nobody listens for this UUID. */
	assert_int_equal(mesh_pb_adv_link_open(&prov->link, &a->ts, LINK_ID, test_uuid,
					       &end_ops, prov), 0);
	run_ms(a, MESH_PB_ADV_LINK_OPEN_TIMEOUT_MS - 10);
	assert_int_equal(prov->closed_calls, 0);
	assert_int_equal(prov->tx_link_open,
			 MESH_PB_ADV_LINK_OPEN_TIMEOUT_MS / MESH_PB_ADV_RETRANSMIT_MS);
	run_ms(a, 10 + MESH_PB_ADV_CLOSE_REPEAT * MESH_PB_ADV_RETRANSMIT_MS);
	assert_int_equal(prov->opened, 0);
	assert_int_equal(prov->closed_calls, 1);
	assert_int_equal(prov->why, MESH_PB_ADV_CLOSED_OPEN_TIMEOUT);
	assert_int_equal(prov->reason, MESH_PB_ADV_CLOSE_TIMEOUT);
	assert_int_equal(prov->tx_link_close, MESH_PB_ADV_CLOSE_REPEAT);
	assert_int_equal(dev->closed_calls, 0);
	assert_int_equal(mesh_timers_next_delay(&a->ts), -1);
	air_free(a);
}

static void test_open_survives_lost_link_acks(void **state)
{
	struct air *a = air_new(9, true);
	struct end *prov = &a->ends[PROV], *dev = &a->ends[DEV];

	(void)state;
	/* The device hears the Link Opens but its answers are lost: it
	 * answers every repeat, and opens only once. */
	a->mute[DEV] = true;
	start_both(a, LINK_ID);
	run_ms(a, 1200);
	assert_int_equal(dev->opened, 1);
	assert_int_equal(dev->tx_link_ack, 3);
	assert_int_equal(prov->opened, 0);
	a->mute[DEV] = false;
	run_ms(a, 600);
	assert_int_equal(prov->opened, 1);
	assert_int_equal(dev->opened, 1);
	assert_int_equal(dev->tx_link_ack, 4);
	assert_int_equal(prov->tx_link_open, 4);
	run_ms(a, 2000);
	assert_int_equal(prov->tx_link_open, 4);
	air_free(a);
}

static void peer_close(int closer)
{
	struct air *a = open_pair();
	struct end *c = &a->ends[closer], *peer = &a->ends[1 - closer];
	uint8_t msg[MESH_PROV_PDU_MAX] = { 0x09, 0x02 };

	/* The peer's queue is dropped with the link. */
	assert_int_equal(mesh_pb_adv_link_send(&peer->link, msg, sizeof(msg)), 0);
	mesh_pb_adv_link_close(&c->link, MESH_PB_ADV_CLOSE_FAIL);
	run_ms(a, LATENCY_MS);
	assert_int_equal(peer->closed_calls, 1);
	assert_int_equal(peer->why, MESH_PB_ADV_CLOSED_BY_PEER);
	assert_int_equal(peer->reason, MESH_PB_ADV_CLOSE_FAIL);
	assert_int_equal(peer->tx_link_close, 0);
	/* Closed at once: the rest of the repeats find nobody. */
	log_reset(peer);
	run_ms(a, 5000);
	assert_int_equal(peer->log_n, 0);
	assert_int_equal(peer->closed_calls, 1);
	assert_int_equal(c->closed_calls, 1);
	assert_int_equal(c->why, MESH_PB_ADV_CLOSED_LOCAL);
	air_free(a);
}

static void test_peer_link_close_device_closes(void **state)
{
	(void)state;
	peer_close(DEV);
}

static void test_peer_link_close_provisioner_closes(void **state)
{
	(void)state;
	peer_close(PROV);
}

static void test_close_while_opening_and_listening(void **state)
{
	struct air *a = air_new(13, false);
	struct end *prov = &a->ends[PROV], *dev = &a->ends[DEV];

	(void)state;
	/* A listening device has no link to announce the close on. */
	assert_int_equal(mesh_pb_adv_link_listen(&dev->link, &a->ts, test_uuid, &end_ops, dev),
			 0);
	mesh_pb_adv_link_close(&dev->link, MESH_PB_ADV_CLOSE_SUCCESS);
	assert_int_equal(dev->closed_calls, 1);
	assert_int_equal(dev->why, MESH_PB_ADV_CLOSED_LOCAL);
	assert_int_equal(dev->log_n, 0);
	/* A Provisioner still opening tells the device it may have reached. */
	assert_int_equal(mesh_pb_adv_link_open(&prov->link, &a->ts, LINK_ID, test_uuid,
					       &end_ops, prov), 0);
	mesh_pb_adv_link_close(&prov->link, 0x77);
	mesh_pb_adv_link_close(&prov->link, MESH_PB_ADV_CLOSE_SUCCESS);  /* already closing */
	run_ms(a, 5000);
	assert_int_equal(prov->closed_calls, 1);
	assert_int_equal(prov->reason, MESH_PB_ADV_CLOSE_FAIL);  /* RFU reason sent as fail */
	assert_int_equal(prov->tx_link_close, MESH_PB_ADV_CLOSE_REPEAT);
	assert_int_equal(prov->tx_link_open, 1);
	air_free(a);
}

static void feed_transaction(struct end *e, uint32_t link_id, uint8_t transaction,
			     const uint8_t *pdu, size_t len, bool reverse)
{
	uint8_t segs[MESH_PB_ADV_SEGMENTS_MAX][MESH_PB_ADV_PDU_MAX];
	uint8_t lens[MESH_PB_ADV_SEGMENTS_MAX];
	int n = mesh_pb_adv_segment(link_id, transaction, pdu, len, segs, lens,
				    MESH_PB_ADV_SEGMENTS_MAX);

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		int k = reverse ? n - 1 - i : i;

		assert_int_equal(mesh_pb_adv_link_receive(&e->link, segs[k], lens[k]), 0);
	}
}

static void test_bad_fcs_dropped_not_acked(void **state)
{
	struct air *a = open_device_alone();
	struct end *dev = &a->ends[DEV];
	uint8_t pdu[MESH_PROV_PDU_MAX];
	uint8_t segs[MESH_PB_ADV_SEGMENTS_MAX][MESH_PB_ADV_PDU_MAX];
	uint8_t lens[MESH_PB_ADV_SEGMENTS_MAX];
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(pdu); i++)
		pdu[i] = (uint8_t)(i * 3);
	n = mesh_pb_adv_segment(LINK_ID, 0x00, pdu, sizeof(pdu), segs, lens, 3);
	assert_int_equal(n, 3);
	/* The FCS (after Link ID, number, GPC, TotalLength) is wrong. */
	segs[0][8] ^= 0x01;
	for (int i = 0; i < n; i++)
		assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[i], lens[i]), 0);
	assert_int_equal(dev->received, 0);
	assert_int_equal(dev->tx_acks, 0);
	/* A corrupted continuation, FCS right: dropped too. */
	segs[0][8] ^= 0x01;
	segs[2][10] ^= 0x40;
	for (int i = 0; i < n; i++)
		assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[i], lens[i]), 0);
	assert_int_equal(dev->received, 0);
	assert_int_equal(dev->tx_acks, 0);
	/* The sender's next round, intact, is taken whole. */
	segs[2][10] ^= 0x40;
	for (int i = 0; i < n; i++)
		assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[i], lens[i]), 0);
	assert_int_equal(dev->received, 1);
	assert_delivered(dev, 0, pdu, sizeof(pdu));
	assert_int_equal(dev->tx_acks, 1);
	air_free(a);
}

static void test_segment_shorter_than_total_length_dropped(void **state)
{
	struct air *a = open_device_alone();
	struct end *dev = &a->ends[DEV];
	uint8_t msg[50], segs[3][MESH_PB_ADV_PDU_MAX], lens[3];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(0x31 * i);
	feed_transaction(dev, LINK_ID, 0x00, msg, sizeof(msg), false);
	assert_int_equal(dev->received, 1);
	/* The same PDU again, its last continuation two octets short: the
	 * octets missing are still in the buffer from the first, so the FCS
	 * matches; the length TotalLength asks for does not. */
	assert_int_equal(mesh_pb_adv_segment(LINK_ID, 0x01, msg, sizeof(msg), segs, lens, 3), 3);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[0], lens[0]), 0);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[1], lens[1]), 0);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[2], lens[2] - 2u), 0);
	assert_int_equal(dev->received, 1);
	assert_int_equal(dev->tx_acks, 1);
	/* Also a short continuation before the Start that gives the length. */
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[1], lens[1] - 1u), 0);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[2], lens[2]), 0);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[0], lens[0]), 0);
	assert_int_equal(dev->received, 1);
	/* The next round, whole, is taken. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[i], lens[i]), 0);
	assert_int_equal(dev->received, 2);
	assert_delivered(dev, 1, msg, sizeof(msg));
	assert_int_equal(dev->tx_acks, 2);
	air_free(a);
}

static void test_other_link_ids_ignored(void **state)
{
	struct air *a = air_new(17, false);
	struct end *prov = &a->ends[PROV], *dev = &a->ends[DEV];
	uint8_t other_uuid[16], pdu[MESH_PB_ADV_PDU_MAX], msg[3] = { 0, 0, 0 };
	size_t len;

	(void)state;
	memcpy(other_uuid, test_uuid, 16);
	other_uuid[15] ^= 1;
	assert_int_equal(mesh_pb_adv_link_listen(&dev->link, &a->ts, test_uuid, &end_ops, dev),
			 0);
	/* Listening: another device's Link Open, and anything but a Link Open. */
	len = mesh_pb_adv_compose_link_open(LINK_ID + 1, other_uuid, pdu);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, pdu, len), MESH_ERR_NOT_FOUND);
	len = mesh_pb_adv_compose_link_ack(LINK_ID, pdu);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, pdu, len), MESH_ERR_NOT_FOUND);
	assert_int_equal(dev->opened, 0);
	assert_int_equal(dev->log_n, 0);

	len = mesh_pb_adv_compose_link_open(LINK_ID, test_uuid, pdu);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, pdu, len), 0);
	assert_int_equal(dev->opened, 1);
	log_reset(dev);
	/* Open: a second Provisioner's Link Open for us is not answered. */
	len = mesh_pb_adv_compose_link_open(LINK_ID + 1, test_uuid, pdu);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, pdu, len), MESH_ERR_NOT_FOUND);
	len = mesh_pb_adv_compose_link_close(LINK_ID + 1, 0, pdu);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, pdu, len), MESH_ERR_NOT_FOUND);
	len = mesh_pb_adv_compose_ack(LINK_ID + 1, 0x80, pdu);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, pdu, len), MESH_ERR_NOT_FOUND);
	feed_transaction(dev, LINK_ID, 0x00, msg, sizeof(msg), false);  /* ours: taken */
	{
		uint8_t segs[1][MESH_PB_ADV_PDU_MAX], lens[1];

		mesh_pb_adv_segment(LINK_ID - 1, 0x01, msg, sizeof(msg), segs, lens, 1);
		assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[0], lens[0]),
				 MESH_ERR_NOT_FOUND);
	}
	assert_int_equal(dev->received, 1);
	assert_int_equal(dev->closed_calls, 0);
	assert_int_equal(dev->opened, 1);
	assert_int_equal(dev->log_n, 1);  /* the ack of ours */
	assert_true(mesh_pb_adv_link_busy(&dev->link));

	/* A Provisioner ignores Link Acks of other links. */
	assert_int_equal(mesh_pb_adv_link_open(&prov->link, &a->ts, LINK_ID, test_uuid,
					       &end_ops, prov), 0);
	len = mesh_pb_adv_compose_link_ack(LINK_ID + 1, pdu);
	assert_int_equal(mesh_pb_adv_link_receive(&prov->link, pdu, len), MESH_ERR_NOT_FOUND);
	assert_int_equal(prov->opened, 0);
	len = mesh_pb_adv_compose_link_ack(LINK_ID, pdu);
	assert_int_equal(mesh_pb_adv_link_receive(&prov->link, pdu, len), 0);
	assert_int_equal(prov->opened, 1);
	assert_int_equal(mesh_pb_adv_link_receive(&prov->link, pdu, len), 0);
	assert_int_equal(prov->opened, 1);
	air_free(a);
}

static void test_duplicates_reacked_delivered_once(void **state)
{
	struct air *a = open_device_alone();
	struct end *dev = &a->ends[DEV];
	uint8_t pdu[MESH_PB_ADV_PDU_MAX], msg[50];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(0xa0 + i);
	/* A repeated Link Open is answered again; opened only once. */
	len = mesh_pb_adv_compose_link_open(LINK_ID, test_uuid, pdu);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, pdu, len), 0);
	assert_int_equal(mesh_pb_adv_link_receive(&dev->link, pdu, len), 0);
	assert_int_equal(dev->tx_link_ack, 3);
	assert_int_equal(dev->opened, 1);

	/* Segments last first: complete when the Start comes. */
	feed_transaction(dev, LINK_ID, 0x00, msg, sizeof(msg), true);
	assert_int_equal(dev->received, 1);
	assert_delivered(dev, 0, msg, sizeof(msg));
	assert_int_equal(dev->tx_acks, 1);
	/* The Provisioner missed our ack and repeats: 3 segments, 3 acks,
	 * nothing delivered. */
	feed_transaction(dev, LINK_ID, 0x00, msg, sizeof(msg), false);
	assert_int_equal(dev->received, 1);
	assert_int_equal(dev->tx_acks, 4);
	assert_int_equal(dev->log_len[dev->log_n - 1], 6);
	assert_int_equal(dev->log[dev->log_n - 1][4], 0x00);

	/* The next one with a duplicate in the middle of it. */
	{
		uint8_t segs[3][MESH_PB_ADV_PDU_MAX], lens[3];

		assert_int_equal(mesh_pb_adv_segment(LINK_ID, 0x01, msg, sizeof(msg), segs,
						     lens, 3), 3);
		assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[1], lens[1]), 0);
		assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[1], lens[1]), 0);
		assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[0], lens[0]), 0);
		assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[0], lens[0]), 0);
		assert_int_equal(dev->received, 1);
		assert_int_equal(mesh_pb_adv_link_receive(&dev->link, segs[2], lens[2]), 0);
	}
	assert_int_equal(dev->received, 2);
	assert_delivered(dev, 1, msg, sizeof(msg));
	assert_int_equal(dev->tx_acks, 5);
	/* A stale repeat of an older one, or one skipping ahead: ignored. */
	feed_transaction(dev, LINK_ID, 0x00, msg, 5, false);
	feed_transaction(dev, LINK_ID, 0x03, msg, 5, false);
	feed_transaction(dev, LINK_ID, 0x82, msg, 5, false);
	assert_int_equal(dev->received, 2);
	assert_int_equal(dev->tx_acks, 5);
	air_free(a);
}

static void test_new_peer_transaction_acknowledges_ours(void **state)
{
	struct air *a = open_pair();
	struct end *prov = &a->ends[PROV], *dev = &a->ends[DEV];
	uint8_t invite[2] = { 0x00, 0x05 }, caps[12] = { 0x01, 0x01 };
	unsigned int segments;

	(void)state;
	/* Every Transaction Ack of the device is lost; its answer stands in. */
	a->drop_acks_from[DEV] = true;
	assert_int_equal(mesh_pb_adv_link_send(&prov->link, invite, sizeof(invite)), 0);
	run_ms(a, 50);
	assert_int_equal(dev->received, 1);
	assert_int_equal(prov->sent_calls, 0);
	assert_int_equal(mesh_pb_adv_link_send(&dev->link, caps, sizeof(caps)), 0);
	run_ms(a, 50);
	assert_int_equal(prov->sent_calls, 1);
	assert_int_equal(prov->received, 1);
	segments = prov->tx_segments;
	run_ms(a, 5000);
	assert_int_equal(prov->tx_segments, segments);  /* no more repeats */
	assert_int_equal(dev->sent_calls, 1);           /* the Provisioner's acks pass */
	assert_int_equal(prov->closed_calls, 0);
	air_free(a);
}

/* ---- malformed input and API errors ------------------------------------------ */

struct bad_pdu {
	const char *what;
	const char *hex;
	int err;
};

static const struct bad_pdu bad_pdus[] = {
	{ "empty", "", MESH_ERR_TRUNCATED },
	{ "no GPC octet", "23af585000", MESH_ERR_TRUNCATED },
	{ "over 29 octets", "23af5850000000010203040506070809" "0a0b0c0d0e0f1011121314151617",
	  MESH_ERR_OVERSIZED },
	{ "start without FCS", "23af58500000000a", MESH_ERR_TRUNCATED },
	{ "start without data", "23af58500000000114", MESH_ERR_RESERVED },
	{ "start, TotalLength 0", "23af5850000000001400", MESH_ERR_RESERVED },
	{ "start, SegN 1 for 12 octets", "23af58500004000cd6010100010000000000000000",
	  MESH_ERR_RESERVED },
	{ "start, SegN 0 for 21 octets", "23af585000000015d6010100010000000000000000",
	  MESH_ERR_RESERVED },
	{ "start, SegN 3 for 65 octets",
	  "23af5850020c0041d1032c31a47b5779809ef44cb5eaaf5c3e43d5f8fa", MESH_ERR_RESERVED },
	{ "start, TotalLength 0xffff", "23af585002fcffffd1032c", MESH_ERR_RESERVED },
	{ "start, fewer octets than TotalLength", "23af5850000000051401", MESH_ERR_TRUNCATED },
	{ "start, more octets than TotalLength", "23af58500000000114000000", MESH_ERR_OVERSIZED },
	{ "start, first of two not full", "23af5850050400228b07d0bd", MESH_ERR_TRUNCATED },
	{ "transaction ack with a parameter", "23af5850000100", MESH_ERR_OVERSIZED },
	{ "transaction ack, RFU bits", "23af58500005", MESH_ERR_RESERVED },
	{ "continuation without data", "23af58500206", MESH_ERR_RESERVED },
	{ "continuation index 0", "23af5850020201", MESH_ERR_RESERVED },
	{ "bearer opcode 3", "23af5850000f", MESH_ERR_RESERVED },
	{ "bearer opcode 0x3f", "23af585000ff00", MESH_ERR_RESERVED },
	{ "link open, short UUID", "23af5850000370cf7c9732a345b691494810d2e9cb",
	  MESH_ERR_TRUNCATED },
	{ "link open, long UUID", "23af5850000370cf7c9732a345b691494810d2e9cbf400",
	  MESH_ERR_OVERSIZED },
	{ "link ack with a parameter", "23af5850000700", MESH_ERR_OVERSIZED },
	{ "link close without reason", "23af5850000b", MESH_ERR_TRUNCATED },
	{ "link close, two octets", "23af5850000b0000", MESH_ERR_OVERSIZED },
	{ "link close, reason 3", "23af5850000b03", MESH_ERR_RESERVED },
	{ "link close, reason 0xff", "23af5850000bff", MESH_ERR_RESERVED },
};

static void test_parse_rejects_malformed(void **state)
{
	struct air *a = open_device_alone();
	struct end *dev = &a->ends[DEV];
	struct mesh_pb_adv_pdu p;
	uint8_t buf[40];

	(void)state;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(bad_pdus); i++) {
		int n = mesh_hex_decode(bad_pdus[i].hex, buf, sizeof(buf));

		assert_true(n >= 0);
		if (mesh_pb_adv_parse(buf, (size_t)n, &p) != bad_pdus[i].err)
			fail_msg("%s: got %d (%s), want %d (%s)", bad_pdus[i].what,
				 mesh_pb_adv_parse(buf, (size_t)n, &p),
				 mesh_strerror(mesh_pb_adv_parse(buf, (size_t)n, &p)),
				 bad_pdus[i].err, mesh_strerror(bad_pdus[i].err));
		/* The link says why, and does nothing. */
		if (n >= 4)
			mesh_put_be32(buf, LINK_ID);
		if (n >= 4)
			assert_int_equal(mesh_pb_adv_link_receive(&dev->link, buf, (size_t)n),
					 bad_pdus[i].err);
	}
	assert_int_equal(mesh_pb_adv_parse(NULL, 6, &p), MESH_ERR_INVAL);
	assert_int_equal(mesh_pb_adv_parse(buf, 6, NULL), MESH_ERR_INVAL);
	assert_int_equal(dev->log_n, 0);
	assert_int_equal(dev->received, 0);
	assert_int_equal(dev->closed_calls, 0);
	air_free(a);
}

static void test_api_errors(void **state)
{
	struct air *a = air_new(19, false);
	struct end *prov = &a->ends[PROV], *dev = &a->ends[DEV];
	uint8_t msg[1500] = { 0 }, segs[64][MESH_PB_ADV_PDU_MAX], lens[64];
	struct mesh_pb_adv_link_ops no_send = end_ops;

	(void)state;
	no_send.send = NULL;
	assert_int_equal(mesh_pb_adv_segment(1, 0, msg, 0, segs, lens, 64), MESH_ERR_INVAL);
	assert_int_equal(mesh_pb_adv_segment(1, 0, NULL, 5, segs, lens, 64), MESH_ERR_INVAL);
	/* 20 + 63 * 23 = 1469 octets is the most SegN can describe. */
	assert_int_equal(mesh_pb_adv_segment(1, 0, msg, 1469, segs, lens, 64), 64);
	assert_int_equal(lens[63], MESH_PB_ADV_PDU_MAX);
	assert_int_equal(mesh_pb_adv_segment(1, 0, msg, 1470, segs, lens, 64),
			 MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_pb_adv_segment(1, 0, msg, 66, segs, lens, 3), 3);
	assert_int_equal(mesh_pb_adv_segment(1, 0, msg, 67, segs, lens, 3), MESH_ERR_OVERSIZED);

	assert_int_equal(mesh_pb_adv_link_send(&prov->link, msg, 1), MESH_ERR_DOWN);
	assert_int_equal(mesh_pb_adv_link_receive(&prov->link, segs[0],
						  mesh_pb_adv_compose_link_ack(1, segs[0])),
			 MESH_ERR_NOT_FOUND);
	assert_int_equal(mesh_pb_adv_link_open(&prov->link, &a->ts, 1, test_uuid, &no_send,
					       prov), MESH_ERR_INVAL);
	assert_int_equal(mesh_pb_adv_link_listen(&dev->link, &a->ts, NULL, &end_ops, dev),
			 MESH_ERR_INVAL);
	assert_int_equal(mesh_pb_adv_link_open(&prov->link, &a->ts, 1, test_uuid, &end_ops,
					       prov), 0);
	assert_int_equal(mesh_pb_adv_link_open(&prov->link, &a->ts, 2, test_uuid, &end_ops,
					       prov), MESH_ERR_BUSY);
	assert_int_equal(mesh_pb_adv_link_listen(&prov->link, &a->ts, test_uuid, &end_ops,
						 prov), MESH_ERR_BUSY);
	/* Opening is not open. */
	assert_int_equal(mesh_pb_adv_link_send(&prov->link, msg, 1), MESH_ERR_DOWN);
	/* Abort: silent, no callback, nothing left armed; reusable. */
	log_reset(prov);
	mesh_pb_adv_link_abort(&prov->link);
	assert_false(mesh_pb_adv_link_busy(&prov->link));
	run_ms(a, 60000);
	assert_int_equal(prov->log_n, 0);
	assert_int_equal(prov->closed_calls, 0);
	assert_int_equal(mesh_timers_next_delay(&a->ts), -1);
	assert_int_equal(mesh_pb_adv_link_listen(&prov->link, &a->ts, test_uuid, &end_ops,
						 prov), 0);
	mesh_pb_adv_link_abort(&prov->link);
	mesh_pb_adv_link_abort(&prov->link);
	air_free(a);

	a = open_pair();
	prov = &a->ends[PROV];
	assert_int_equal(mesh_pb_adv_link_send(&prov->link, msg, 0), MESH_ERR_INVAL);
	assert_int_equal(mesh_pb_adv_link_send(&prov->link, NULL, 3), MESH_ERR_INVAL);
	assert_int_equal(mesh_pb_adv_link_send(&prov->link, msg, MESH_PROV_PDU_MAX + 1),
			 MESH_ERR_OVERSIZED);
	air_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_data_codec),
		cmocka_unit_test(test_device_replays_sample_session),
		cmocka_unit_test(test_provisioner_replays_sample_session),
		cmocka_unit_test(test_open_exchange_queue_close),
		cmocka_unit_test(test_conversation_lossless_wraps_numbers),
		cmocka_unit_test(test_conversation_20pct_loss),
		cmocka_unit_test(test_conversation_50pct_loss),
		cmocka_unit_test(test_transaction_timeout_provisioner),
		cmocka_unit_test(test_transaction_timeout_device),
		cmocka_unit_test(test_transaction_timer_restarts_per_transaction),
		cmocka_unit_test(test_open_timeout),
		cmocka_unit_test(test_open_survives_lost_link_acks),
		cmocka_unit_test(test_peer_link_close_device_closes),
		cmocka_unit_test(test_peer_link_close_provisioner_closes),
		cmocka_unit_test(test_close_while_opening_and_listening),
		cmocka_unit_test(test_bad_fcs_dropped_not_acked),
		cmocka_unit_test(test_segment_shorter_than_total_length_dropped),
		cmocka_unit_test(test_other_link_ids_ignored),
		cmocka_unit_test(test_duplicates_reacked_delivered_once),
		cmocka_unit_test(test_new_peer_transaction_acknowledges_ours),
		cmocka_unit_test(test_parse_rejects_malformed),
		cmocka_unit_test(test_api_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
