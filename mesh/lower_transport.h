/*
 * Lower transport layer (Mesh Protocol 1.1 section 3.5.3): the PDU codec,
 * segmentation and reassembly (SAR) with segment acknowledgments, and the
 * SAR Transmitter / SAR Receiver timing of Mesh 1.1.
 *
 * It sits between the network layer (struct mesh_net_rx in, struct
 * mesh_net_tx out) and the upper transport layer (struct mesh_transport_msg
 * both ways). All state lives in fixed pools inside struct
 * mesh_lower_transport, so what an attacker can make us hold is bounded by
 * the pool sizes below, never by what arrives. All timing runs on the
 * injectable struct mesh_timers queue.
 */
#ifndef MESH_LOWER_TRANSPORT_H
#define MESH_LOWER_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "timer.h"
#include "transport.h"

#define MESH_LT_HDR_SEG_LEN 4        /* header of a segmented PDU */
#define MESH_LT_SEG_ACK_LEN 6        /* OBO|SeqZero|RFU + BlockAck */
#define MESH_LT_SEQ_ZERO_MASK 0x1fff
#define MESH_LT_MAX_PDU MESH_NET_MAX_TRANSPORT

/* Pool sizes: the whole memory budget of SAR, whatever the radio brings. */
#define MESH_LT_RX_CTX_MAX 8         /* concurrent reassemblies */
#define MESH_LT_RX_DONE_MAX 32       /* remembered finished SeqAuths */
#define MESH_LT_TX_CTX_MAX 8         /* concurrent outgoing segmented msgs */

/*
 * SAR Transmitter and SAR Receiver states, stored as the raw field values
 * a SAR Configuration Server carries, so that model can set them as they
 * come. mesh_sar_config_default() gives the Mesh Protocol 1.1 defaults.
 */
struct mesh_sar_config {
	/* SAR Transmitter */
	uint8_t seg_int_step;             /* interval (n+1)*10 ms */
	uint8_t unicast_retrans_count;    /* retransmission rounds, unicast */
	uint8_t unicast_retrans_wo_progress_count;
	uint8_t unicast_retrans_int_step; /* (n+1)*25 ms */
	uint8_t unicast_retrans_int_inc;  /* (n+1)*25 ms per hop beyond one */
	uint8_t multicast_retrans_count;
	uint8_t multicast_retrans_int_step; /* (n+1)*25 ms */
	/* SAR Receiver */
	uint8_t segments_threshold;       /* acks are repeated above this */
	uint8_t ack_delay_inc;            /* n + 1.5 segment intervals */
	uint8_t discard_timeout;          /* (n+1)*5 s */
	uint8_t rx_seg_int_step;          /* (n+1)*10 ms */
	uint8_t ack_retrans_count;
};

void mesh_sar_config_default(struct mesh_sar_config *sar);

struct mesh_lt_config {
	struct mesh_sar_config sar;
	/* TTL of the Segment Acknowledgments we send (Default TTL state),
	 * except that segments received with TTL 0 are acked with TTL 0. */
	uint8_t default_ttl;
};

void mesh_lt_config_default(struct mesh_lt_config *cfg);

/* One lower transport PDU, decoded. Which fields mean something depends
 * on ctl and seg; the others are zero. */
struct mesh_lt_pdu {
	bool ctl;
	bool seg;
	bool akf;            /* access */
	uint8_t aid;         /* access */
	bool szmic;          /* segmented access */
	uint8_t opcode;      /* control */
	uint16_t seq_zero;   /* segmented, and Segment Acknowledgment */
	uint8_t seg_o;       /* segmented */
	uint8_t seg_n;       /* segmented */
	bool obo;            /* Segment Acknowledgment */
	uint32_t block_ack;  /* Segment Acknowledgment */
	/* Unsegmented: the upper transport PDU (the Segment Acknowledgment's
	 * six parameter octets included). Segmented: the segment. */
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * Decode and validate a lower transport PDU on its own, with no state.
 * Errors: MESH_ERR_TRUNCATED, MESH_ERR_OVERSIZED, MESH_ERR_SEGMENT (SegO >
 * SegN, a non-last segment not full, SegN too large for the PDU),
 * MESH_ERR_RESERVED (RFU bits set, AID with AKF 0), MESH_ERR_OPCODE (a
 * Segment Acknowledgment sent segmented). out->payload points into pdu.
 */
int mesh_lt_decode(bool ctl, const uint8_t *pdu, size_t len, struct mesh_lt_pdu *out);

/* Encode p (header from its fields, then payload) into out; returns the
 * PDU length or a negative enum mesh_err. A Segment Acknowledgment is
 * built from obo/seq_zero/block_ack and needs no payload. */
int mesh_lt_encode(const struct mesh_lt_pdu *p, uint8_t *out, size_t max);

/* Number of segments an upper transport PDU of len octets needs. */
unsigned int mesh_lt_seg_count(bool ctl, size_t len);

/*
 * Lower transport PDU of segment seg_o of msg (SeqZero from msg->seq).
 * Returns the PDU length or a negative enum mesh_err.
 */
int mesh_lt_build_segment(const struct mesh_transport_msg *msg, unsigned int seg_o,
			  uint8_t *out, size_t max);

/*
 * SeqAuth (IV index << 24 | SEQ of the first segment) of a segment sent
 * with seq under iv_index carrying seq_zero; the 13-bit SeqZero may have
 * wrapped since. MESH_ERR_SEGMENT if it would precede IV index 0.
 */
int mesh_lt_seq_auth(uint32_t iv_index, uint32_t seq, uint16_t seq_zero,
		     uint64_t *seq_auth);

struct mesh_lt_ops {
	/* Hand a lower transport PDU to the network layer; tx->seq is set. */
	int (*net_send)(void *ctx, const struct mesh_net_tx *tx);
	/* Next SEQ of element src: for every PDU we originate (acks, and
	 * every segment transmission after a message's first). */
	int (*seq_next)(void *ctx, uint16_t src, uint32_t *seq);
	/*
	 * A complete upper transport PDU arrived; msg->pdu lives only for
	 * the call, which must not re-enter mesh_lt_receive(). Return 0 if
	 * the upper layers accepted it (it authenticated and was new), else
	 * a negative enum mesh_err saying why not (TransMIC, no key,
	 * replay), which mesh_lt_receive() then returns. Only an accepted
	 * segmented message makes older SeqAuths from its source obsolete:
	 * segments carry nothing but a NetMIC, so anyone with the NetKey
	 * could otherwise lock a source out with one forged segment far
	 * ahead in SEQ. A refused one only keeps its own SeqAuth from being
	 * reassembled again.
	 */
	int (*deliver)(void *ctx, const struct mesh_transport_msg *msg);
	/* Final result of a mesh_lt_send() that returned 0. */
	void (*send_done)(void *ctx, void *cookie, int err);
};

/* Counters for tests and diagnostics. */
struct mesh_lt_stats {
	uint32_t seg_sent;        /* segment transmissions, first ones too */
	uint32_t seg_resent;      /* of which retransmissions */
	uint32_t ack_sent;
	uint32_t ack_received;
	uint32_t rx_delivered;    /* handed to deliver, accepted or not */
	uint32_t rx_refused;      /* of which deliver refused */
	uint32_t rx_discarded;    /* reassemblies abandoned by the discard timer */
	uint32_t rx_rejected;     /* new reassemblies refused: pool full */
};

/* Internal state, public only so the pools can live inside the struct. */
struct mesh_lt_rx {
	struct mesh_lower_transport *lt;
	struct mesh_timer ack_timer;
	struct mesh_timer discard_timer;
	bool in_use;
	uint64_t seq_auth;
	uint16_t net_idx;
	bool new_key;
	uint16_t src;
	uint16_t dst;
	uint8_t ttl;
	bool ctl;
	uint8_t hdr0;          /* first header octet minus SEG: AKF|AID or opcode */
	bool szmic;
	uint8_t seg_n;
	uint8_t ack_rtx_left;
	uint32_t block;
	size_t len;            /* known once the last segment arrived */
	uint8_t buf[MESH_UPPER_MAX_PDU];
};

/* What is remembered of finished messages, one record per (SRC, DST). */
struct mesh_lt_done {
	bool in_use;
	uint16_t src;
	uint16_t dst;
	/* The newest message deliver accepted: its late segments are
	 * re-acknowledged, those of older SeqAuths are obsolete. */
	bool delivered;
	uint64_t seq_auth;
	uint32_t block;
	uint64_t last_ack_ms;
	bool acked_once;
	/* The last message deliver refused or the discard timer abandoned:
	 * nothing vouches for it, so it only keeps its own segments out. */
	bool dropped;
	uint64_t dropped_seq_auth;
	uint64_t stamp;        /* for least-recently-used eviction */
};

struct mesh_lt_tx {
	struct mesh_lower_transport *lt;
	struct mesh_timer timer;
	bool in_use;
	bool in_pass;          /* sending a round; else waiting for acks */
	bool retrying;         /* past the first round */
	uint32_t gen;          /* tells a reused context from its old self */
	void *cookie;
	uint16_t net_idx;
	uint16_t src;
	uint16_t dst;
	uint8_t ttl;
	bool ctl;
	uint8_t hdr0;
	bool szmic;
	uint32_t seq_auth;     /* SEQ of the first segment */
	uint8_t seg_n;
	uint8_t cursor;        /* next segment to consider in this round */
	uint32_t acked;
	uint8_t retrans_left;
	uint8_t wo_progress_left;
	bool progressed;       /* new segments acked since the round began */
	size_t len;
	uint8_t pdu[MESH_UPPER_MAX_PDU];
};

struct mesh_lower_transport {
	struct mesh_timers *timers;
	struct mesh_lt_config cfg;
	const struct mesh_lt_ops *ops;
	void *ctx;
	struct mesh_lt_stats stats;
	uint64_t done_stamp;
	uint32_t tx_gen;
	struct mesh_lt_rx rx[MESH_LT_RX_CTX_MAX];
	struct mesh_lt_done done[MESH_LT_RX_DONE_MAX];
	struct mesh_lt_tx tx[MESH_LT_TX_CTX_MAX];
};

/* cfg NULL: mesh_lt_config_default(). ops->net_send and seq_next are
 * required; deliver (NULL: accept everything) and send_done may be NULL. */
int mesh_lt_init(struct mesh_lower_transport *lt, struct mesh_timers *timers,
		 const struct mesh_lt_config *cfg, const struct mesh_lt_ops *ops, void *ctx);

/* Stop every timer; pending sends end with MESH_ERR_CANCELED. */
void mesh_lt_cleanup(struct mesh_lower_transport *lt);

/* Takes effect for messages started afterwards. */
void mesh_lt_set_config(struct mesh_lower_transport *lt, const struct mesh_lt_config *cfg);

/*
 * Process one network PDU addressed to us. Returns 0 when it was used (a
 * message delivered, a new segment stored, an acknowledgment applied) or
 * why not: any mesh_lt_decode() error, MESH_ERR_SRC/MESH_ERR_DST for bad
 * addresses, MESH_ERR_DUPLICATE (segment already held, or of a message
 * already delivered: re-acknowledged), MESH_ERR_OBSOLETE (older SeqAuth than
 * an accepted message's or a reassembly's, or of an abandoned or refused
 * message), MESH_ERR_SEGMENT (header differs from earlier
 * segments of the message), MESH_ERR_FULL (no reassembly context free; a
 * unicast sender is told so with a BlockAck of 0), MESH_ERR_NOT_FOUND (an
 * acknowledgment for nothing we send), or the error deliver refused the
 * message it completed with.
 */
int mesh_lt_receive(struct mesh_lower_transport *lt, const struct mesh_net_rx *rx);

/*
 * Send an upper transport PDU. msg->seq is the SEQ the upper transport
 * used for its nonce: the PDU's, or the first segment's. Segments when
 * msg->segmented or msg->szmic is set or the PDU does not fit one PDU.
 * Returns 0 and later calls send_done exactly once (already before
 * returning for an unsegmented PDU), or an error and never calls it:
 * MESH_ERR_INVAL, MESH_ERR_OVERSIZED, MESH_ERR_BUSY (a segmented message
 * to msg->dst is still outstanding), MESH_ERR_FULL, or net_send's error.
 * send_done reports 0, MESH_ERR_TIMEOUT (retransmissions exhausted),
 * MESH_ERR_CANCELED (receiver answered BlockAck 0, or cleanup) or
 * MESH_ERR_SEQ_EXHAUSTED (SEQ moved 8192 past SeqAuth, or seq_next failed).
 */
int mesh_lt_send(struct mesh_lower_transport *lt, const struct mesh_transport_msg *msg,
		 void *cookie);

/*
 * Forget everything received from the count addresses starting at addr:
 * reassemblies under way and the records of finished messages. For a node
 * that left the network, so that a new node given its addresses, whose SEQ
 * starts again at 0, is not taken for a replay.
 */
void mesh_lt_forget_source(struct mesh_lower_transport *lt, uint16_t addr, uint8_t count);

/* Contexts in use, for tests and diagnostics. */
unsigned int mesh_lt_rx_in_use(const struct mesh_lower_transport *lt);
unsigned int mesh_lt_tx_in_use(const struct mesh_lower_transport *lt);

#endif
