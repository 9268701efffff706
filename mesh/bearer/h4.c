/*
 * H4 receive framer (Core Vol 4 Part A): turns the octets of a UART, pty or
 * socket into whole HCI packets, one octet at a time, so it does not care
 * how read() split the stream. Octets that cannot start or belong to a
 * packet are discarded and reported through the garbage callback, one
 * report per run of discarded octets: the run is reported when the next
 * good packet is emitted, or by h4_rx_expire / the next feed once the
 * stream has been quiet for H4_PARTIAL_TIMEOUT_MS.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "h4.h"
#include "mesh/bytes.h"

/* Event codes from here up to 0xfe are unassigned (Core 5.4); 0xff is
 * the vendor event. */
#define H4_EVT_CODE_UNASSIGNED 0x5a
#define H4_ISO_LEN_MASK 0x3fff

static size_t header_len(uint8_t type)
{
	switch (type) {
	case HCI_H4_CMD: return HCI_CMD_HDR_LEN;
	case HCI_H4_ACL: return HCI_ACL_HDR_LEN;
	case HCI_H4_SCO: return 3;   /* handle+flags (LE16), length */
	case HCI_H4_EVT: return HCI_EVT_HDR_LEN;
	case HCI_H4_ISO: return 4;   /* handle+flags (LE16), length (LE16, 14 bits) */
	default: return 0;
	}
}

/* Commands only go to a controller and events only come from one. */
static bool type_accepted(enum h4_direction dir, uint8_t type)
{
	switch (type) {
	case HCI_H4_ACL:
	case HCI_H4_SCO:
	case HCI_H4_ISO:
		return true;
	case HCI_H4_CMD:
		return dir == H4_FROM_HOST;
	case HCI_H4_EVT:
		return dir == H4_FROM_CONTROLLER;
	default:
		return false;
	}
}

/* Length of what follows the complete header in rx->buf. */
static size_t payload_len(const struct h4_rx *rx)
{
	switch (rx->type) {
	case HCI_H4_CMD: return rx->buf[2];
	case HCI_H4_ACL: return mesh_get_le16(rx->buf + 2);
	case HCI_H4_SCO: return rx->buf[2];
	case HCI_H4_EVT: return rx->buf[1];
	default: return mesh_get_le16(rx->buf + 2) & H4_ISO_LEN_MASK;
	}
}

static void discard(struct h4_rx *rx, size_t count, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Count octets as garbage; the first reason of a run is the one reported. */
static void discard(struct h4_rx *rx, size_t count, const char *fmt, ...)
{
	va_list ap;

	rx->garbage_total += count;
	if (rx->run == 0) {
		va_start(ap, fmt);
		vsnprintf(rx->run_why, sizeof(rx->run_why), fmt, ap);
		va_end(ap);
	}
	rx->run += count;
}

static void report_run(struct h4_rx *rx)
{
	size_t count = rx->run;

	if (!count)
		return;
	rx->run = 0;
	if (rx->garbage)
		rx->garbage(rx->ctx, count, rx->run_why);
}

static void forget_partial(struct h4_rx *rx)
{
	rx->type = 0;
	rx->have = 0;
	rx->need = 0;
}

/* Why a complete header cannot be right, written to why; false if fine. */
static bool header_bad(const struct h4_rx *rx, char *why, size_t why_size)
{
	size_t hl = header_len(rx->type), len = payload_len(rx);
	uint8_t code = rx->buf[0];

	if (rx->type == HCI_H4_EVT && (code == 0x00 ||
				       (code >= H4_EVT_CODE_UNASSIGNED && code != HCI_EVT_VENDOR))) {
		snprintf(why, why_size, "event code 0x%02x", code);
		return true;
	}
	if (hl + len > H4_MAX_PACKET) {
		snprintf(why, why_size, "%s length %zu above %zu",
			 rx->type == HCI_H4_ACL ? "ACL" : "ISO", len, (size_t)H4_MAX_PACKET - hl);
		return true;
	}
	return false;
}

static void rx_octet(struct h4_rx *rx, uint8_t b);

/* Drop the type octet of a bad header and look for a packet start among
 * the header octets after it: the real stream may resume there. */
static void rescan_header(struct h4_rx *rx, const char *why)
{
	uint8_t hdr[4];
	size_t n = rx->have;

	memcpy(hdr, rx->buf, n);
	discard(rx, 1, "%s", why);
	forget_partial(rx);
	for (size_t i = 0; i < n; i++)
		rx_octet(rx, hdr[i]);
}

static void emit(struct h4_rx *rx)
{
	uint8_t type = rx->type;
	size_t len = rx->have;

	/* The garbage before this packet is over: say so first, so logs
	 * show events in the order they happened. */
	report_run(rx);
	forget_partial(rx);
	if (rx->packet)
		rx->packet(rx->ctx, type, rx->buf, len);
}

static void rx_octet(struct h4_rx *rx, uint8_t b)
{
	size_t hl;
	char why[sizeof(rx->run_why)];

	if (!rx->type) {
		if (type_accepted(rx->dir, b)) {
			rx->type = b;
			rx->need = header_len(b);
		} else {
			discard(rx, 1, "%s packet type 0x%02x",
				header_len(b) ? "unexpected" : "unknown", b);
		}
		return;
	}
	rx->buf[rx->have++] = b;
	if (rx->have < rx->need)
		return;
	hl = header_len(rx->type);
	if (rx->have == hl && rx->need == hl) {
		/* Header complete: now the packet's length is known. */
		if (header_bad(rx, why, sizeof(why))) {
			rescan_header(rx, why);
			return;
		}
		rx->need = hl + payload_len(rx);
		if (rx->have < rx->need)
			return;
	}
	emit(rx);
}

void h4_rx_init(struct h4_rx *rx, enum h4_direction dir, h4_packet_fn packet,
		h4_garbage_fn garbage, void *ctx)
{
	memset(rx, 0, sizeof(*rx));
	rx->dir = dir;
	rx->packet = packet;
	rx->garbage = garbage;
	rx->ctx = ctx;
}

void h4_rx_feed(struct h4_rx *rx, const uint8_t *data, size_t len, uint64_t now_ms)
{
	/* Whatever stalled before these octets must not swallow them. */
	h4_rx_expire(rx, now_ms);
	if (len)
		rx->last_ms = now_ms;
	for (size_t i = 0; i < len; i++)
		rx_octet(rx, data[i]);
}

bool h4_rx_expire(struct h4_rx *rx, uint64_t now_ms)
{
	if (now_ms <= rx->last_ms || now_ms - rx->last_ms <= H4_PARTIAL_TIMEOUT_MS)
		return false;
	/* The stream went quiet: a run of garbage before it has ended. */
	report_run(rx);
	if (!rx->type)
		return false;
	discard(rx, 1 + rx->have, "incomplete packet timed out");
	forget_partial(rx);
	report_run(rx);
	return true;
}

void h4_rx_watch_from(struct h4_rx *rx, uint64_t now_ms)
{
	if (now_ms > rx->last_ms)
		rx->last_ms = now_ms;
}

void h4_rx_reset(struct h4_rx *rx)
{
	forget_partial(rx);
	rx->run = 0;
}

bool h4_rx_partial(const struct h4_rx *rx)
{
	return rx->type != 0;
}

bool h4_rx_garbage_pending(const struct h4_rx *rx)
{
	return rx->run != 0;
}
