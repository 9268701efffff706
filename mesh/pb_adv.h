/*
 * PB-ADV and the Generic Provisioning layer (Mesh Protocol 1.1, 5.2.1 and
 * 5.3): provisioning PDUs carried in AD type 0x29 advertising packets.
 *
 *   PB-ADV PDU = Link ID (4, big-endian) || Transaction Number (1) ||
 *                Generic Provisioning PDU
 *   Generic Provisioning PDU, by the two low bits of its first octet:
 *     0b00 Transaction Start: SegN (6 bits), TotalLength (2), FCS (1), data
 *     0b01 Transaction Ack
 *     0b10 Transaction Continuation: SegmentIndex (6 bits), data
 *     0b11 Provisioning Bearer Control: opcode (6 bits) and parameters:
 *          0x00 Link Open (Device UUID), 0x01 Link Ack, 0x02 Link Close
 *          (reason 0x00 success, 0x01 timeout, 0x02 fail)
 *
 * A PB-ADV PDU fits one AD structure, 29 octets, so a Transaction Start
 * carries up to 20 octets of the provisioning PDU and a continuation up to
 * 23. The FCS is the 8-bit frame check sequence of 3GPP TS 27.010 over the
 * whole provisioning PDU.
 *
 * A link (struct mesh_pb_adv_link) is one end of one provisioning link, in
 * either role: the Provisioner opens it with a Link ID it chose, the device
 * accepts a Link Open carrying its own UUID. Transaction numbers run
 * 0x00..0x7f from the Provisioner and 0x80..0xff from the device. Each
 * provisioning PDU given to mesh_pb_adv_link_send() becomes one
 * transaction, retransmitted until acknowledged; PDUs sent while one is
 * unacknowledged wait in a short queue. A new transaction from the peer
 * also acknowledges ours (the peer could not have answered without it).
 */
#ifndef MESH_PB_ADV_H
#define MESH_PB_ADV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prov_pdu.h"
#include "timer.h"

#define MESH_PB_ADV_PDU_MAX 29
#define MESH_PB_ADV_START_DATA_MAX 20
#define MESH_PB_ADV_CONT_DATA_MAX 23
#define MESH_PB_ADV_SEGMENTS_MAX 64         /* SegN is 6 bits */

/* Timers. The transaction timeout (30 s) and the link establishment timer
 * (60 s) are the specification's (5.3.2); the retransmission interval is
 * ours. */
#define MESH_PB_ADV_RETRANSMIT_MS 500u
#define MESH_PB_ADV_TRANSACTION_TIMEOUT_MS 30000u
#define MESH_PB_ADV_LINK_OPEN_TIMEOUT_MS 60000u  /* link establishment timer (5.3.2) */
#define MESH_PB_ADV_CLOSE_REPEAT 3               /* Link Close is sent this often */

enum mesh_pb_adv_gpcf {
	MESH_PB_ADV_TX_START = 0x0,
	MESH_PB_ADV_TX_ACK = 0x1,
	MESH_PB_ADV_TX_CONTINUATION = 0x2,
	MESH_PB_ADV_BEARER_CONTROL = 0x3,
};

enum mesh_pb_adv_bearer_op {
	MESH_PB_ADV_LINK_OPEN = 0x00,
	MESH_PB_ADV_LINK_ACK = 0x01,
	MESH_PB_ADV_LINK_CLOSE = 0x02,
};

enum mesh_pb_adv_close_reason {
	MESH_PB_ADV_CLOSE_SUCCESS = 0x00,
	MESH_PB_ADV_CLOSE_TIMEOUT = 0x01,
	MESH_PB_ADV_CLOSE_FAIL = 0x02,
};

/* One parsed PB-ADV PDU. */
struct mesh_pb_adv_pdu {
	uint32_t link_id;
	uint8_t transaction;
	uint8_t gpcf;                  /* enum mesh_pb_adv_gpcf */
	union {
		struct {
			uint8_t seg_n;
			uint16_t total_len;
			uint8_t fcs;
		} start;
		uint8_t seg_index;     /* continuation */
		struct {
			uint8_t opcode;
			uint8_t uuid[16];      /* Link Open */
			uint8_t reason;        /* Link Close */
		} control;
	};
	const uint8_t *data;           /* segment data (start, continuation) */
	uint8_t data_len;
};

/* FCS of 3GPP TS 27.010 (CRC-8, polynomial x^8 + x^2 + x + 1, reflected,
 * initial 0xff, result complemented). */
uint8_t mesh_pb_adv_fcs(const uint8_t *data, size_t len);

/*
 * Parse one PB-ADV PDU (the AD structure's data). MESH_ERR_TRUNCATED /
 * MESH_ERR_OVERSIZED for lengths its kind does not allow, MESH_ERR_RESERVED
 * for an unknown bearer opcode, RFU bits in a Transaction Ack or Bearer
 * Control, a Link Close reason above 0x02, a zero-length or over-long
 * segment, or a TotalLength the segments cannot hold (SegN too small or
 * too large for it).
 */
int mesh_pb_adv_parse(const uint8_t *buf, size_t len, struct mesh_pb_adv_pdu *out);

/*
 * Split one provisioning PDU into the PB-ADV PDUs of its transaction.
 * Writes each to out[i] with its length in lens[i]; returns the number of
 * segments, or MESH_ERR_OVERSIZED / MESH_ERR_INVAL.
 */
int mesh_pb_adv_segment(uint32_t link_id, uint8_t transaction, const uint8_t *prov_pdu,
			size_t len, uint8_t out[][MESH_PB_ADV_PDU_MAX], uint8_t *lens,
			size_t max_segments);

/* A Transaction Ack / Bearer Control PDU; returns its length. */
size_t mesh_pb_adv_compose_ack(uint32_t link_id, uint8_t transaction,
			       uint8_t out[MESH_PB_ADV_PDU_MAX]);
size_t mesh_pb_adv_compose_link_open(uint32_t link_id, const uint8_t uuid[16],
				     uint8_t out[MESH_PB_ADV_PDU_MAX]);
size_t mesh_pb_adv_compose_link_ack(uint32_t link_id, uint8_t out[MESH_PB_ADV_PDU_MAX]);
size_t mesh_pb_adv_compose_link_close(uint32_t link_id, uint8_t reason,
				      uint8_t out[MESH_PB_ADV_PDU_MAX]);

/* --- Links --------------------------------------------------------------- */

enum mesh_pb_adv_role {
	MESH_PB_ADV_PROVISIONER,
	MESH_PB_ADV_DEVICE,
};

/* Why a link closed, as its owner hears it. */
enum mesh_pb_adv_closed_why {
	MESH_PB_ADV_CLOSED_LOCAL,           /* mesh_pb_adv_link_close() */
	MESH_PB_ADV_CLOSED_BY_PEER,         /* Link Close received (reason given) */
	MESH_PB_ADV_CLOSED_OPEN_TIMEOUT,    /* no Link Ack */
	MESH_PB_ADV_CLOSED_TX_TIMEOUT,      /* a transaction was never acknowledged */
};

struct mesh_pb_adv_link_ops {
	/* Transmit one PB-ADV PDU (the owner adds AD type 0x29 and chooses
	 * how often the advertiser repeats it). */
	int (*send)(void *ctx, const uint8_t *pdu, size_t len);
	/* Provisioner: Link Ack received. Device: a Link Open for our UUID
	 * was accepted. */
	void (*opened)(void *ctx);
	/* A complete provisioning PDU whose FCS matched (delivered once). */
	void (*receive)(void *ctx, const uint8_t *prov_pdu, size_t len);
	/* Our transactions are all acknowledged (the queue is empty). Optional. */
	void (*sent)(void *ctx);
	/* The link is gone; nothing more is sent or delivered. reason is
	 * the Link Close reason sent or received (CLOSED_LOCAL/BY_PEER),
	 * MESH_PB_ADV_CLOSE_TIMEOUT otherwise. */
	void (*closed)(void *ctx, enum mesh_pb_adv_closed_why why, uint8_t reason);
};

#define MESH_PB_ADV_QUEUE_MAX 3

struct mesh_pb_adv_link {
	/* all private to pb_adv.c */
	enum mesh_pb_adv_role role;
	enum { MESH_PB_ADV_IDLE, MESH_PB_ADV_OPENING, MESH_PB_ADV_OPEN, MESH_PB_ADV_CLOSING } state;
	uint32_t link_id;
	uint8_t uuid[16];
	const struct mesh_pb_adv_link_ops *ops;
	void *ctx;
	struct mesh_timers *timers;
	struct mesh_timer retransmit;      /* Link Open, segments, Link Close repeats */
	struct mesh_timer give_up;         /* open and transaction timeouts */
	/* outgoing */
	uint8_t tx_next;                   /* our next transaction number */
	uint8_t tx_queue[MESH_PB_ADV_QUEUE_MAX][MESH_PROV_PDU_MAX];
	uint8_t tx_queue_len[MESH_PB_ADV_QUEUE_MAX];
	uint8_t tx_queued;                 /* entries in tx_queue; [0] is in flight */
	bool tx_in_flight;
	uint8_t tx_transaction;            /* of tx_queue[0] while in flight */
	uint8_t close_reason;
	uint8_t close_left;
	enum mesh_pb_adv_closed_why close_why;  /* reported once the repeats are out */
	/* incoming */
	bool rx_active;                    /* reassembling rx_transaction */
	bool rx_have_last;                 /* rx_last is a completed transaction */
	uint8_t rx_transaction;
	uint8_t rx_last;                   /* last completed, re-acked on repeats */
	uint8_t rx_seg_n;
	uint16_t rx_total_len;
	uint8_t rx_fcs;
	uint64_t rx_seen;                  /* bit per segment received */
	uint8_t rx_buf[MESH_PROV_PDU_MAX];
	/* data octets of each segment received, checked once all are in
	 * (a continuation may come before the Start that gives the length);
	 * one per segment a MESH_PROV_PDU_MAX PDU can need */
	uint8_t rx_seg_len[1 + (MESH_PROV_PDU_MAX - MESH_PB_ADV_START_DATA_MAX +
				MESH_PB_ADV_CONT_DATA_MAX - 1) / MESH_PB_ADV_CONT_DATA_MAX];
};

/* Provisioner: start sending Link Open for uuid with link_id until a Link
 * Ack arrives (ops->opened) or MESH_PB_ADV_LINK_OPEN_TIMEOUT_MS pass. */
int mesh_pb_adv_link_open(struct mesh_pb_adv_link *l, struct mesh_timers *timers,
			  uint32_t link_id, const uint8_t uuid[16],
			  const struct mesh_pb_adv_link_ops *ops, void *ctx);
/* Device: accept the first Link Open carrying uuid (answered with Link
 * Ack, also when repeated). */
int mesh_pb_adv_link_listen(struct mesh_pb_adv_link *l, struct mesh_timers *timers,
			    const uint8_t uuid[16], const struct mesh_pb_adv_link_ops *ops,
			    void *ctx);
/* Queue one provisioning PDU as a transaction. MESH_ERR_DOWN unless open,
 * MESH_ERR_FULL when MESH_PB_ADV_QUEUE_MAX wait, MESH_ERR_OVERSIZED. */
int mesh_pb_adv_link_send(struct mesh_pb_adv_link *l, const uint8_t *prov_pdu, size_t len);
/* Send Link Close(reason) MESH_PB_ADV_CLOSE_REPEAT times, then report
 * closed. Queued transactions are dropped. */
void mesh_pb_adv_link_close(struct mesh_pb_adv_link *l, uint8_t reason);
/* Stop everything at once without sending (teardown); no callback. */
void mesh_pb_adv_link_abort(struct mesh_pb_adv_link *l);
/* Feed every received PB-ADV PDU; those of other links are ignored.
 * Returns 0 if it belonged to this link, else MESH_ERR_NOT_FOUND or the
 * parse error. */
int mesh_pb_adv_link_receive(struct mesh_pb_adv_link *l, const uint8_t *pdu, size_t len);

static inline bool mesh_pb_adv_link_busy(const struct mesh_pb_adv_link *l)
{
	return l->state != MESH_PB_ADV_IDLE;
}

#endif
