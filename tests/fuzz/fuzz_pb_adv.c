/*
 * libFuzzer target for PB-ADV: the parser on the whole input, then the
 * input as a session played into a device-side link listening for a
 * fixed UUID (the sample data's), with time passing between PDUs so the
 * retransmission, transaction and close timers all run.
 *
 * Session input: a sequence of records, each led by one octet
 *   bits 0-4: 0..29  receive that many octets as one PB-ADV PDU
 *             30     the device sends a provisioning PDU; the next octet
 *                    gives its length (modulo 66)
 *             31     the device closes the link; the next octet the reason
 *   bits 5-7: advance the clock first by delays[] of this index.
 * The device answers every provisioning PDU it receives with one of its
 * own, as a provisionee does, and listens again whenever its link closes.
 *
 * Besides memory errors it checks that whatever parses composes back to
 * the same octets, and that everything the link transmits parses, belongs
 * to its link and numbers its transactions in the device's half.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/err.h"
#include "mesh/pb_adv.h"

#define ACTION_SEND 30
#define ACTION_CLOSE 31

static const uint8_t device_uuid[16] = {
	0x70, 0xcf, 0x7c, 0x97, 0x32, 0xa3, 0x45, 0xb6,
	0x91, 0x49, 0x48, 0x10, 0xd2, 0xe9, 0xcb, 0xf4,
};

/* Reaches past the 30 s transaction timeout in one step or a few. */
static const uint32_t delays_ms[8] = { 0, 5, 50, 200, 500, 2000, 10000, 31000 };

static struct mesh_timers timers;
static struct mesh_pb_adv_link link;
static unsigned int sink;

static int fuzz_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct mesh_pb_adv_pdu p;

	(void)ctx;
	if (mesh_pb_adv_parse(pdu, len, &p) || p.link_id != link.link_id)
		abort();
	if ((p.gpcf == MESH_PB_ADV_TX_START || p.gpcf == MESH_PB_ADV_TX_CONTINUATION) &&
	    !(p.transaction & 0x80))
		abort();
	if (p.gpcf == MESH_PB_ADV_TX_ACK && (p.transaction & 0x80))
		abort();
	return 0;
}

static void fuzz_opened(void *ctx)
{
	(void)ctx;
	if (link.state != MESH_PB_ADV_OPEN)
		abort();
}

static void fuzz_receive(void *ctx, const uint8_t *pdu, size_t len)
{
	uint8_t answer[MESH_PROV_PDU_MAX];

	(void)ctx;
	if (len == 0 || len > MESH_PROV_PDU_MAX)
		abort();
	for (size_t i = 0; i < len; i++)
		sink += pdu[i];
	/* A provisionee answers; the queue may well be full. */
	memset(answer, pdu[0], sizeof(answer));
	mesh_pb_adv_link_send(&link, answer, 1 + pdu[0] % MESH_PROV_PDU_MAX);
}

static const struct mesh_pb_adv_link_ops fuzz_ops;

static void fuzz_closed(void *ctx, enum mesh_pb_adv_closed_why why, uint8_t reason)
{
	(void)ctx;
	if (reason > MESH_PB_ADV_CLOSE_FAIL || why > MESH_PB_ADV_CLOSED_TX_TIMEOUT ||
	    mesh_pb_adv_link_busy(&link))
		abort();
	/* Ready for the next Provisioner, from inside the callback. */
	if (mesh_pb_adv_link_listen(&link, &timers, device_uuid, &fuzz_ops, NULL))
		abort();
}

static const struct mesh_pb_adv_link_ops fuzz_ops = {
	.send = fuzz_send,
	.opened = fuzz_opened,
	.receive = fuzz_receive,
	.closed = fuzz_closed,
};

/* A PDU that parsed must be what the composers make of its fields. */
static void check_compose(const struct mesh_pb_adv_pdu *p, const uint8_t *buf, size_t len)
{
	uint8_t out[MESH_PB_ADV_SEGMENTS_MAX][MESH_PB_ADV_PDU_MAX];
	uint8_t lens[MESH_PB_ADV_SEGMENTS_MAX];
	size_t n = 0;

	switch (p->gpcf) {
	case MESH_PB_ADV_TX_START:
		/* A whole transaction in one segment, when its FCS is right. */
		if (p->start.seg_n || mesh_pb_adv_fcs(p->data, p->data_len) != p->start.fcs)
			return;
		if (mesh_pb_adv_segment(p->link_id, p->transaction, p->data, p->data_len, out,
					lens, 1) != 1)
			abort();
		n = lens[0];
		break;
	case MESH_PB_ADV_TX_ACK:
		n = mesh_pb_adv_compose_ack(p->link_id, p->transaction, out[0]);
		break;
	case MESH_PB_ADV_TX_CONTINUATION:
		if (p->seg_index == 0 || p->data_len == 0 ||
		    p->data_len > MESH_PB_ADV_CONT_DATA_MAX)
			abort();
		return;
	default:
		/* Composers always send Transaction Number 0. */
		if (buf[4] != 0)
			return;
		if (p->control.opcode == MESH_PB_ADV_LINK_OPEN)
			n = mesh_pb_adv_compose_link_open(p->link_id, p->control.uuid, out[0]);
		else if (p->control.opcode == MESH_PB_ADV_LINK_ACK)
			n = mesh_pb_adv_compose_link_ack(p->link_id, out[0]);
		else
			n = mesh_pb_adv_compose_link_close(p->link_id, p->control.reason, out[0]);
		break;
	}
	if (n != len || memcmp(out[0], buf, len))
		abort();
}

static void fuzz_parse(const uint8_t *buf, size_t len)
{
	struct mesh_pb_adv_pdu p;
	int err = mesh_pb_adv_parse(buf, len, &p);

	if (err == 0) {
		check_compose(&p, buf, len);
		return;
	}
	if (err != MESH_ERR_TRUNCATED && err != MESH_ERR_OVERSIZED && err != MESH_ERR_RESERVED)
		abort();
}

static void fuzz_device_send(uint8_t len_octet)
{
	uint8_t pdu[MESH_PROV_PDU_MAX + 1];
	size_t len = len_octet % (MESH_PROV_PDU_MAX + 1);
	int err;

	memset(pdu, len_octet, sizeof(pdu));
	err = mesh_pb_adv_link_send(&link, pdu, len);
	if (err && err != MESH_ERR_INVAL && err != MESH_ERR_DOWN && err != MESH_ERR_FULL)
		abort();
}

static void fuzz_session(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	mesh_timers_init(&timers, 0);
	memset(&link, 0, sizeof(link));
	if (mesh_pb_adv_link_listen(&link, &timers, device_uuid, &fuzz_ops, NULL))
		abort();
	while (pos < size) {
		uint8_t head = data[pos++];
		size_t len = head & 0x1f;
		uint8_t arg = pos < size ? data[pos] : 0;

		mesh_timers_advance(&timers, mesh_timers_now(&timers) + delays_ms[head >> 5]);
		if (len == ACTION_SEND || len == ACTION_CLOSE) {
			pos += pos < size;
			if (len == ACTION_SEND)
				fuzz_device_send(arg);
			else
				mesh_pb_adv_link_close(&link, arg);
			continue;
		}
		if (len > size - pos)
			len = size - pos;
		mesh_pb_adv_link_receive(&link, data + pos, len);
		pos += len;
	}
	/* Let whatever is still running finish. */
	mesh_timers_advance(&timers, mesh_timers_now(&timers) + 2 * 31000);
	mesh_pb_adv_link_abort(&link);
	if (mesh_timers_next_delay(&timers) != -1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy, so reads past the end are caught. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	fuzz_parse(buf, size);
	fuzz_session(buf, size);
	free(buf);
	return 0;
}
