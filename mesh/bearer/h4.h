/*
 * H4 framing (Core Vol 4 Part A, "UART Transport Layer"): each HCI packet is
 * preceded by one packet type octet on a byte stream. The receiver here is a
 * pure state machine fed with whatever read() returned; it emits whole
 * packets and resynchronises after garbage:
 *  - an octet that is not a packet type this side may receive is skipped;
 *  - a header that cannot be right (an event code of 0x00, or in the
 *    0x5a..0xfe range that Core 5.4 leaves unassigned; an ACL/ISO length
 *    above the buffer) drops the type octet and rescans from the next one;
 *  - a packet still incomplete when h4_rx_expire() is called with a time
 *    more than H4_PARTIAL_TIMEOUT_MS after its last byte is dropped: at UART
 *    speeds a packet's bytes arrive within milliseconds, so a stalled packet
 *    means its length octet was garbage.
 * Skipped and dropped octets are counted and reported through the garbage
 * callback, once per run of garbage, so logs say what happened. A run is
 * reported (with the reason of its first octet) just before the next good
 * packet is emitted, or by h4_rx_expire() / the next h4_rx_feed() once no
 * octet came for more than H4_PARTIAL_TIMEOUT_MS; so call h4_rx_expire()
 * periodically while h4_rx_partial() or h4_rx_garbage_pending() is true.
 */
#ifndef MESH_H4_H
#define MESH_H4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hci_codec.h"

#define H4_PARTIAL_TIMEOUT_MS 100
/* Largest packet we accept: events are at most 257 octets; ACL data is not
 * used by mesh and is only skipped over, up to this size. */
#define H4_MAX_PACKET 1024

enum h4_direction {
	H4_FROM_CONTROLLER,   /* host side: accepts events, ACL, SCO, ISO */
	H4_FROM_HOST,         /* controller side: accepts commands, ACL, SCO, ISO */
};

/* pkt excludes the type octet. */
typedef void (*h4_packet_fn)(void *ctx, uint8_t type, const uint8_t *pkt, size_t len);
/* count octets were discarded; why names the reason ("unknown packet type
 * 0x7f", "event code 0x00", "incomplete packet timed out"). */
typedef void (*h4_garbage_fn)(void *ctx, size_t count, const char *why);

struct h4_rx {
	enum h4_direction dir;
	h4_packet_fn packet;
	h4_garbage_fn garbage;
	void *ctx;
	uint8_t type;           /* 0 while waiting for a type octet */
	size_t have;            /* octets of the packet (after type) buffered */
	size_t need;            /* total octets of the packet, once known */
	uint64_t last_ms;       /* time of the last octet fed */
	uint64_t garbage_total; /* octets discarded since init */
	size_t run;             /* discarded octets not yet reported */
	char run_why[48];       /* why the first of them was discarded */
	uint8_t buf[H4_MAX_PACKET];
};

void h4_rx_init(struct h4_rx *rx, enum h4_direction dir, h4_packet_fn packet,
		h4_garbage_fn garbage, void *ctx);
/* Feed octets that arrived at now_ms; callbacks run from inside. */
void h4_rx_feed(struct h4_rx *rx, const uint8_t *data, size_t len, uint64_t now_ms);
/* Drop a stalled partial packet (see above). Returns true if one was dropped. */
bool h4_rx_expire(struct h4_rx *rx, uint64_t now_ms);
/* The caller could not watch the line until now_ms (its event loop was
 * held up): octets that arrived meanwhile were not read, so the quiet time
 * of a partial packet starts again from now_ms instead of counting the
 * time nobody looked. */
void h4_rx_watch_from(struct h4_rx *rx, uint64_t now_ms);
/* Forget any partial packet and unreported garbage (after a reopen or a
 * reset); makes no callback. */
void h4_rx_reset(struct h4_rx *rx);
/* True while a packet is partly received. */
bool h4_rx_partial(const struct h4_rx *rx);
/* True while discarded octets wait to be reported. */
bool h4_rx_garbage_pending(const struct h4_rx *rx);

#endif
