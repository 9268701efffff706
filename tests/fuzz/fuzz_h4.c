/*
 * libFuzzer target for the H4 framer: the input drives two framers, one
 * per direction, in chunks whose sizes and arrival times come from the
 * input itself, with h4_rx_expire calls in between. Every emitted event is
 * parsed as hci.c would. Checks: a packet never exceeds H4_MAX_PACKET, only
 * types the direction may receive come out, and every octet fed is either
 * in a packet, counted as garbage, or still buffered.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/bearer/h4.h"
#include "mesh/bearer/hci_codec.h"

struct tally {
	enum h4_direction dir;
	uint64_t packet_octets;   /* including type octets */
	uint64_t reported;        /* garbage octets reported */
};

static void on_packet(void *ctx, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct tally *t = ctx;
	struct hci_evt e;
	struct hci_cmd c;

	if (len > H4_MAX_PACKET)
		abort();
	if (type == (t->dir == H4_FROM_CONTROLLER ? HCI_H4_CMD : HCI_H4_EVT))
		abort();
	t->packet_octets += 1 + len;
	if (type == HCI_H4_CMD && hci_cmd_parse(pkt, len, &c) != 0)
		abort();
	if (type != HCI_H4_EVT)
		return;
	/* the framer sized the event from its header */
	if (len != (size_t)HCI_EVT_HDR_LEN + pkt[1])
		abort();
	if (hci_evt_parse(pkt, len, &e) == 0 && e.code == HCI_EVT_LE_META &&
	    e.le_meta.subevent == HCI_LE_SUBEVT_ADV_REPORT)
		hci_adv_reports_foreach(e.le_meta.params, e.le_meta.len, NULL, NULL);
}

static void on_garbage(void *ctx, size_t count, const char *why)
{
	struct tally *t = ctx;

	if (!count || !why[0])
		abort();
	t->reported += count;
}

static void run(enum h4_direction dir, const uint8_t *data, size_t size)
{
	static struct h4_rx rx;   /* large: not on the stack */
	struct tally t = { .dir = dir };
	uint64_t now = 1000, fed = 0;
	size_t off = 0;

	h4_rx_init(&rx, dir, on_packet, on_garbage, &t);
	while (off < size) {
		/* one control octet: chunk length and time step */
		uint8_t ctl = data[off++];
		size_t n = (size_t)(ctl & 0x1f) + 1;

		if (n > size - off)
			n = size - off;
		now += (ctl >> 5) * 40u;   /* 0..280 ms: some steps expire */
		if (ctl & 0x80)
			h4_rx_expire(&rx, now);
		h4_rx_feed(&rx, data + off, n, now);
		off += n;
		fed += n;
	}
	h4_rx_expire(&rx, now + H4_PARTIAL_TIMEOUT_MS + 1);
	if (h4_rx_partial(&rx) || h4_rx_garbage_pending(&rx))
		abort();
	if (t.reported != rx.garbage_total || fed != t.packet_octets + t.reported)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(H4_FROM_CONTROLLER, data, size);
	run(H4_FROM_HOST, data, size);
	return 0;
}
