/*
 * The H4 framer (h4.h): whole packets out of a byte stream however it is
 * split, in both directions; garbage skipped and reported once per run
 * with its reason; resynchronisation after an impossible header; stalled
 * partial packets dropped after H4_PARTIAL_TIMEOUT_MS.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/bearer/h4.h"
#include "vectors.h"

#define MAX_PKTS 64
#define MAX_REPORTS 64

struct capture {
	int npkts;
	uint8_t types[MAX_PKTS];
	size_t lens[MAX_PKTS];
	uint8_t pkts[MAX_PKTS][H4_MAX_PACKET];
	int nreports;
	size_t counts[MAX_REPORTS];
	char whys[MAX_REPORTS][64];
};

static void on_packet(void *ctx, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct capture *c = ctx;

	assert_true(c->npkts < MAX_PKTS);
	assert_true(len <= H4_MAX_PACKET);
	c->types[c->npkts] = type;
	c->lens[c->npkts] = len;
	memcpy(c->pkts[c->npkts], pkt, len);
	c->npkts++;
}

static void on_garbage(void *ctx, size_t count, const char *why)
{
	struct capture *c = ctx;

	assert_true(c->nreports < MAX_REPORTS);
	assert_non_null(why);
	c->counts[c->nreports] = count;
	snprintf(c->whys[c->nreports], sizeof(c->whys[0]), "%s", why);
	c->nreports++;
}

/* A framer and its capture, on the heap: both hold whole packet buffers. */
struct env {
	struct h4_rx rx;
	struct capture cap;
};

static struct env *env_new(enum h4_direction dir)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	h4_rx_init(&e->rx, dir, on_packet, on_garbage, &e->cap);
	return e;
}

static void feed_bytewise(struct env *e, const uint8_t *data, size_t len, uint64_t now)
{
	for (size_t i = 0; i < len; i++)
		h4_rx_feed(&e->rx, data + i, 1, now);
}

static void assert_pkt(const struct capture *c, int i, uint8_t type, const uint8_t *pkt,
		       size_t len)
{
	assert_true(i < c->npkts);
	assert_int_equal(c->types[i], type);
	assert_int_equal(c->lens[i], len);
	assert_bytes_equal(c->pkts[i], pkt, len);
}

/* Command Complete of Reset, as it travels on the wire and without type. */
static const uint8_t reset_cc_h4[] = { 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
static const uint8_t *const reset_cc = reset_cc_h4 + 1;
static const uint8_t reset_cmd_h4[] = { 0x01, 0x03, 0x0c, 0x00 };

static void test_whole_and_bytewise(void **state)
{
	struct env *e = env_new(H4_FROM_CONTROLLER);

	(void)state;
	h4_rx_feed(&e->rx, reset_cc_h4, sizeof(reset_cc_h4), 10);
	assert_int_equal(e->cap.npkts, 1);
	assert_pkt(&e->cap, 0, HCI_H4_EVT, reset_cc, 6);
	assert_false(h4_rx_partial(&e->rx));

	feed_bytewise(e, reset_cc_h4, sizeof(reset_cc_h4), 11);
	assert_int_equal(e->cap.npkts, 2);
	assert_pkt(&e->cap, 1, HCI_H4_EVT, reset_cc, 6);

	/* split across feeds at every point, with time passing within limits */
	for (size_t cut = 1; cut < sizeof(reset_cc_h4); cut++) {
		h4_rx_feed(&e->rx, reset_cc_h4, cut, 100);
		assert_true(h4_rx_partial(&e->rx));
		assert_false(h4_rx_expire(&e->rx, 100 + H4_PARTIAL_TIMEOUT_MS));
		h4_rx_feed(&e->rx, reset_cc_h4 + cut, sizeof(reset_cc_h4) - cut,
			   100 + H4_PARTIAL_TIMEOUT_MS);
		assert_false(h4_rx_partial(&e->rx));
	}
	assert_int_equal(e->cap.npkts, 2 + 6);
	assert_int_equal(e->cap.nreports, 0);
	assert_int_equal(e->rx.garbage_total, 0);
	free(e);
}

static void test_both_directions(void **state)
{
	/* host side: event, ACL, SCO, ISO; a command is not for it */
	static const uint8_t from_ctrl[] = {
		0x04, 0xff, 0x00,                                  /* vendor, empty */
		0x02, 0x01, 0x20, 0x03, 0x00, 0xa1, 0xa2, 0xa3,    /* ACL, 3 octets */
		0x03, 0x02, 0x00, 0x01, 0xb1,                      /* SCO, 1 octet */
		0x05, 0x03, 0x00, 0x02, 0xc0, 0xc1, 0xc2,          /* ISO, flags in len */
		0x01, 0x0c, 0x20, 0x00,                            /* a command: garbage */
		0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00,
	};
	/* controller side: command, ACL; an event is not for it */
	static const uint8_t from_host[] = {
		0x01, 0x0c, 0x20, 0x02, 0x01, 0x00,
		0x04, 0x0e, 0x00,
		0x02, 0x01, 0x00, 0x00, 0x00,                      /* ACL, empty */
		0x01, 0x03, 0x0c, 0x00,
	};
	struct env *h = env_new(H4_FROM_CONTROLLER), *c = env_new(H4_FROM_HOST);

	(void)state;
	feed_bytewise(h, from_ctrl, sizeof(from_ctrl), 5);
	assert_int_equal(h->cap.npkts, 5);
	assert_pkt(&h->cap, 0, HCI_H4_EVT, from_ctrl + 1, 2);
	assert_pkt(&h->cap, 1, HCI_H4_ACL, from_ctrl + 4, 7);
	assert_pkt(&h->cap, 2, HCI_H4_SCO, from_ctrl + 12, 4);
	/* ISO length is 14 bits: 0x4002 & 0x3fff = 2 */
	assert_pkt(&h->cap, 3, HCI_H4_ISO, from_ctrl + 17, 6);
	assert_pkt(&h->cap, 4, HCI_H4_EVT, reset_cc, 6);
	assert_int_equal(h->cap.nreports, 1);
	assert_int_equal(h->cap.counts[0], 4);
	assert_string_equal(h->cap.whys[0], "unexpected packet type 0x01");

	feed_bytewise(c, from_host, sizeof(from_host), 5);
	assert_pkt(&c->cap, 0, HCI_H4_CMD, from_host + 1, 5);
	assert_int_equal(c->cap.nreports, 1);
	/* 0e 00 are not packet types either: 3 octets in one run before the ACL */
	assert_int_equal(c->cap.counts[0], 3);
	assert_pkt(&c->cap, 1, HCI_H4_ACL, from_host + 10, 4);
	assert_pkt(&c->cap, 2, HCI_H4_CMD, reset_cmd_h4 + 1, 3);
	assert_int_equal(c->cap.npkts, 3);
	free(h);
	free(c);
}

static void test_garbage_runs(void **state)
{
	static const uint8_t stream[] = {
		0x7f, 0x7f, 0x99,                              /* run 1: 3 octets */
		0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00,
		0x00, 0xa5, 0x06, 0xfe, 0x80,                  /* run 2: 5 octets */
		0x04, 0xff, 0x01, 0x55,
	};
	static const uint8_t vendor[] = { 0xff, 0x01, 0x55 };

	(void)state;
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct env *e = env_new(H4_FROM_CONTROLLER);

		if (bytewise)
			feed_bytewise(e, stream, sizeof(stream), 50);
		else
			h4_rx_feed(&e->rx, stream, sizeof(stream), 50);
		assert_int_equal(e->cap.npkts, 2);
		assert_pkt(&e->cap, 0, HCI_H4_EVT, reset_cc, 6);
		assert_pkt(&e->cap, 1, HCI_H4_EVT, vendor, 3);
		assert_int_equal(e->cap.nreports, 2);
		assert_int_equal(e->cap.counts[0], 3);
		assert_string_equal(e->cap.whys[0], "unknown packet type 0x7f");
		assert_int_equal(e->cap.counts[1], 5);
		assert_string_equal(e->cap.whys[1], "unknown packet type 0x00");
		assert_int_equal(e->rx.garbage_total, 8);
		free(e);
	}
}

/* A run at the end of the stream is reported once the stream is quiet. */
static void test_trailing_garbage(void **state)
{
	static const uint8_t junk[] = { 0x7f, 0x80, 0x81, 0x82 };
	struct env *e = env_new(H4_FROM_CONTROLLER);

	(void)state;
	feed_bytewise(e, junk, 2, 1000);
	feed_bytewise(e, junk + 2, 2, 1050);
	assert_true(h4_rx_garbage_pending(&e->rx));
	assert_false(h4_rx_expire(&e->rx, 1050 + H4_PARTIAL_TIMEOUT_MS));
	assert_int_equal(e->cap.nreports, 0);
	assert_false(h4_rx_expire(&e->rx, 1051 + H4_PARTIAL_TIMEOUT_MS));
	assert_int_equal(e->cap.nreports, 1);
	assert_int_equal(e->cap.counts[0], 4);
	assert_false(h4_rx_garbage_pending(&e->rx));
	/* and only once */
	assert_false(h4_rx_expire(&e->rx, 5000));
	assert_int_equal(e->cap.nreports, 1);

	/* The next feed after a quiet spell reports an earlier run too. */
	h4_rx_feed(&e->rx, junk, 1, 6000);
	h4_rx_feed(&e->rx, reset_cc_h4, 3, 6000 + H4_PARTIAL_TIMEOUT_MS + 1);
	assert_int_equal(e->cap.nreports, 2);
	assert_int_equal(e->cap.counts[1], 1);
	free(e);
}

static void test_bad_event_header_resync(void **state)
{
	/* 04 00 04: event code 0x00 cannot be; the type octet is dropped, 00
	 * is no packet type, and the second 04 starts the real packet. */
	static const uint8_t code0[] = { 0x04, 0x00, 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	/* the same with codes Core 5.4 leaves unassigned */
	static const uint8_t code5a[] = { 0x04, 0x5a, 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	static const uint8_t codefe[] = { 0x04, 0xfe, 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	/* 0x59 is assigned: a real (if unusual) event */
	static const uint8_t code59[] = { 0x04, 0x59, 0x00 };
	const uint8_t *cases[] = { code0, code5a, codefe };
	const char *whys[] = { "event code 0x00", "event code 0x5a", "event code 0xfe" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct env *e = env_new(H4_FROM_CONTROLLER);

			if (bytewise)
				feed_bytewise(e, cases[i], sizeof(code0), 1);
			else
				h4_rx_feed(&e->rx, cases[i], sizeof(code0), 1);
			assert_int_equal(e->cap.npkts, 1);
			assert_pkt(&e->cap, 0, HCI_H4_EVT, reset_cc, 6);
			assert_int_equal(e->cap.nreports, 1);
			assert_int_equal(e->cap.counts[0], 2);
			assert_string_equal(e->cap.whys[0], whys[i]);
			free(e);
		}
	}
	{
		struct env *e = env_new(H4_FROM_CONTROLLER);

		h4_rx_feed(&e->rx, code59, sizeof(code59), 1);
		assert_int_equal(e->cap.npkts, 1);
		assert_int_equal(e->cap.nreports, 0);
		free(e);
	}
}

/* The octets of a rejected header are rescanned: a header byte that is a
 * packet type starts the next packet. */
static void test_rescan_inside_header(void **state)
{
	static const uint8_t stream[] = { 0x02, 0xff, 0xff, 0x04, 0x0e, 0x04, 0x01, 0x03,
					  0x0c, 0x00 };
	struct env *e = env_new(H4_FROM_CONTROLLER);

	(void)state;
	/* ACL header 02 | ff ff 04 0e: handle 0xffff, length 0x0e04 = 3588 > 1020 */
	feed_bytewise(e, stream, 5, 1);
	assert_int_equal(e->cap.npkts, 0);
	assert_true(h4_rx_partial(&e->rx));   /* 04 0e is an event header in progress */
	feed_bytewise(e, stream + 5, sizeof(stream) - 5, 1);
	assert_int_equal(e->cap.npkts, 1);
	assert_pkt(&e->cap, 0, HCI_H4_EVT, reset_cc, 6);
	assert_int_equal(e->cap.nreports, 1);
	assert_int_equal(e->cap.counts[0], 3);          /* 02 ff ff */
	assert_string_equal(e->cap.whys[0], "ACL length 3588 above 1020");
	free(e);
}

static void test_acl_iso_limits(void **state)
{
	uint8_t *acl = calloc(1, 1 + H4_MAX_PACKET + 1);
	struct env *e = env_new(H4_FROM_CONTROLLER);
	size_t max_data = H4_MAX_PACKET - HCI_ACL_HDR_LEN;
	/* ISO length 0x3fff is the most 14 bits say: above the buffer */
	static const uint8_t iso_big[] = { 0x05, 0x00, 0x00, 0xff, 0x3f };

	(void)state;
	assert_non_null(acl);
	/* the largest ACL packet that fits passes through whole */
	acl[0] = HCI_H4_ACL;
	acl[3] = (uint8_t)max_data;
	acl[4] = (uint8_t)(max_data >> 8);
	for (size_t i = 0; i < max_data; i++)
		acl[5 + i] = (uint8_t)i;
	h4_rx_feed(&e->rx, acl, 1 + H4_MAX_PACKET, 1);
	assert_int_equal(e->cap.npkts, 1);
	assert_pkt(&e->cap, 0, HCI_H4_ACL, acl + 1, H4_MAX_PACKET);
	/* One more octet is refused at the header. Its length octets fd 03
	 * are rescanned: fd is garbage, 03 looks like a SCO packet start,
	 * which then stalls. */
	max_data++;
	acl[3] = (uint8_t)max_data;
	acl[4] = (uint8_t)(max_data >> 8);
	h4_rx_feed(&e->rx, acl, 5, 2);
	assert_true(h4_rx_partial(&e->rx));
	assert_true(h4_rx_expire(&e->rx, 200));
	assert_int_equal(e->cap.nreports, 2);
	assert_string_equal(e->cap.whys[0], "ACL length 1021 above 1020");
	assert_int_equal(e->cap.counts[0], 4);
	assert_string_equal(e->cap.whys[1], "incomplete packet timed out");
	assert_int_equal(e->cap.counts[1], 1);
	h4_rx_feed(&e->rx, reset_cc_h4, sizeof(reset_cc_h4), 300);
	assert_int_equal(e->cap.npkts, 2);
	h4_rx_feed(&e->rx, iso_big, sizeof(iso_big), 300);
	h4_rx_feed(&e->rx, reset_cc_h4, sizeof(reset_cc_h4), 300);
	assert_int_equal(e->cap.nreports, 3);
	assert_string_equal(e->cap.whys[2], "ISO length 16383 above 1020");
	assert_int_equal(e->cap.counts[2], 5);
	assert_int_equal(e->cap.npkts, 3);
	free(acl);
	free(e);
}

/* Time the caller could not watch the line does not count as quiet. */
static void test_unwatched_time_is_not_quiet(void **state)
{
	struct env *e = env_new(H4_FROM_CONTROLLER);

	(void)state;
	h4_rx_feed(&e->rx, reset_cc_h4, 3, 1000);
	h4_rx_watch_from(&e->rx, 1500);
	assert_false(h4_rx_expire(&e->rx, 1500 + H4_PARTIAL_TIMEOUT_MS));
	h4_rx_watch_from(&e->rx, 1200);        /* never back in time */
	assert_false(h4_rx_expire(&e->rx, 1500 + H4_PARTIAL_TIMEOUT_MS));
	h4_rx_feed(&e->rx, reset_cc_h4 + 3, sizeof(reset_cc_h4) - 3, 1500 + H4_PARTIAL_TIMEOUT_MS);
	assert_int_equal(e->cap.npkts, 1);
	assert_pkt(&e->cap, 0, HCI_H4_EVT, reset_cc, 6);

	/* And a packet that stops for real still expires after it. */
	h4_rx_feed(&e->rx, reset_cc_h4, 3, 2000);
	h4_rx_watch_from(&e->rx, 2500);
	assert_true(h4_rx_expire(&e->rx, 2501 + H4_PARTIAL_TIMEOUT_MS));
	assert_int_equal(e->cap.nreports, 1);
	assert_int_equal(e->rx.garbage_total, 3);
	free(e);
}

static void test_stalled_partial(void **state)
{
	/* an event whose length octet was garbage: 0xf0 octets never come */
	static const uint8_t stalled[] = { 0x04, 0x3e, 0xf0, 0x02, 0x01 };
	struct env *e = env_new(H4_FROM_CONTROLLER);

	(void)state;
	h4_rx_feed(&e->rx, stalled, sizeof(stalled), 1000);
	assert_true(h4_rx_partial(&e->rx));
	assert_false(h4_rx_expire(&e->rx, 999));       /* clock not past the last octet */
	assert_false(h4_rx_expire(&e->rx, 1000 + H4_PARTIAL_TIMEOUT_MS));
	assert_true(h4_rx_partial(&e->rx));
	assert_int_equal(e->cap.nreports, 0);
	assert_true(h4_rx_expire(&e->rx, 1001 + H4_PARTIAL_TIMEOUT_MS));
	assert_false(h4_rx_partial(&e->rx));
	assert_int_equal(e->cap.nreports, 1);
	assert_int_equal(e->cap.counts[0], sizeof(stalled));
	assert_string_equal(e->cap.whys[0], "incomplete packet timed out");
	assert_false(h4_rx_expire(&e->rx, 5000));
	assert_int_equal(e->cap.nreports, 1);

	/* A later feed drops the stalled packet before reading new octets,
	 * even if nobody called h4_rx_expire. */
	h4_rx_feed(&e->rx, stalled, sizeof(stalled), 6000);
	h4_rx_feed(&e->rx, reset_cc_h4, sizeof(reset_cc_h4), 6200);
	assert_int_equal(e->cap.npkts, 1);
	assert_pkt(&e->cap, 0, HCI_H4_EVT, reset_cc, 6);
	assert_int_equal(e->cap.nreports, 2);
	assert_int_equal(e->rx.garbage_total, 2 * sizeof(stalled));

	/* Octets arriving now and then keep a slow packet alive. */
	for (size_t i = 0; i < sizeof(reset_cc_h4); i++)
		h4_rx_feed(&e->rx, reset_cc_h4 + i, 1, 7000 + i * H4_PARTIAL_TIMEOUT_MS);
	assert_int_equal(e->cap.npkts, 2);
	free(e);
}

/* Garbage, then a type octet whose packet stalls: two separate reports. */
static void test_garbage_then_stall(void **state)
{
	static const uint8_t stream[] = { 0x7f, 0x7f, 0x04, 0x0e };
	struct env *e = env_new(H4_FROM_CONTROLLER);

	(void)state;
	h4_rx_feed(&e->rx, stream, sizeof(stream), 0);
	assert_true(h4_rx_expire(&e->rx, 500));
	assert_int_equal(e->cap.nreports, 2);
	assert_int_equal(e->cap.counts[0], 2);
	assert_string_equal(e->cap.whys[0], "unknown packet type 0x7f");
	assert_int_equal(e->cap.counts[1], 2);
	assert_string_equal(e->cap.whys[1], "incomplete packet timed out");
	free(e);
}

static void test_reset(void **state)
{
	struct env *e = env_new(H4_FROM_CONTROLLER);

	(void)state;
	h4_rx_feed(&e->rx, (const uint8_t[]){ 0x7f }, 1, 0);
	h4_rx_feed(&e->rx, reset_cc_h4, 4, 0);
	assert_true(h4_rx_partial(&e->rx));
	h4_rx_reset(&e->rx);
	assert_false(h4_rx_partial(&e->rx));
	assert_false(h4_rx_garbage_pending(&e->rx));
	assert_int_equal(e->cap.nreports, 0);
	h4_rx_feed(&e->rx, reset_cc_h4, sizeof(reset_cc_h4), 1);
	assert_int_equal(e->cap.npkts, 1);
	assert_int_equal(e->cap.nreports, 0);
	assert_false(h4_rx_expire(&e->rx, 10000));
	free(e);
}

/* Many packets with garbage between them, in random chunk sizes. */
static void test_random_chunks(void **state)
{
	enum { N = 40 };
	uint8_t *stream = malloc(N * 300), pkts[N][260];
	size_t pkt_len[N], len = 0, junk_octets = 0;
	int junk_runs = 0;
	uint32_t x = 0x2545f491;
	struct env *e = env_new(H4_FROM_CONTROLLER);

	(void)state;
	assert_non_null(stream);
#define NEXT() (x ^= x << 13, x ^= x >> 17, x ^= x << 5, x)
	for (int i = 0; i < N; i++) {
		size_t junk = NEXT() % 4, plen = NEXT() % 256;

		/* garbage octets that are never packet types */
		for (size_t j = 0; j < junk; j++)
			stream[len++] = (uint8_t)(0x06 + NEXT() % 0xf9);
		junk_runs += junk > 0;
		junk_octets += junk;
		pkts[i][0] = (uint8_t)(1 + NEXT() % 0x3e);   /* an assigned event code */
		pkts[i][1] = (uint8_t)plen;
		for (size_t j = 0; j < plen; j++)
			pkts[i][2 + j] = (uint8_t)NEXT();
		pkt_len[i] = 2 + plen;
		stream[len++] = HCI_H4_EVT;
		memcpy(stream + len, pkts[i], pkt_len[i]);
		len += pkt_len[i];
	}
	for (size_t off = 0; off < len;) {
		size_t n = 1 + NEXT() % 40;

		if (n > len - off)
			n = len - off;
		h4_rx_feed(&e->rx, stream + off, n, off / 7);
		off += n;
	}
#undef NEXT
	assert_int_equal(e->cap.npkts, N);
	for (int i = 0; i < N; i++)
		assert_pkt(&e->cap, i, HCI_H4_EVT, pkts[i], pkt_len[i]);
	assert_false(h4_rx_partial(&e->rx));
	/* one report per run between packets, whatever the chunking */
	assert_int_equal(e->cap.nreports, junk_runs);
	assert_int_equal(e->rx.garbage_total, junk_octets);
	free(stream);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_bytewise),
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_garbage_runs),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_bad_event_header_resync),
		cmocka_unit_test(test_rescan_inside_header),
		cmocka_unit_test(test_acl_iso_limits),
		cmocka_unit_test(test_stalled_partial),
		cmocka_unit_test(test_unwatched_time_is_not_quiet),
		cmocka_unit_test(test_garbage_then_stall),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_random_chunks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
