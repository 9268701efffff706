/*
 * Lower transport layer: codec, SAR receiver and SAR transmitter (see
 * lower_transport.h). Section numbers are those of Mesh Protocol 1.1.
 *
 * Receiver. Each (SRC, DST) pair has at most one reassembly, keyed by its
 * SeqAuth, in a fixed pool of MESH_LT_RX_CTX_MAX contexts. A segment of a
 * newer SeqAuth abandons the pair's older reassembly (the sender has moved
 * on, 3.5.3.4); one of an older SeqAuth is obsolete. Finished messages
 * leave a small record per pair, without the payload, in a second fixed
 * table. Late segments of the newest message the upper layers accepted are
 * re-acknowledged but never delivered twice, and older SeqAuths than that
 * one are obsolete. A message the upper layers refused (TransMIC, replay)
 * or the discard timer abandoned proved nothing: segments have no MIC but
 * the NetMIC, so it may be anyone's with the NetKey using any SRC and SEQ.
 * Its record only keeps its own SeqAuth out and makes nothing else
 * obsolete, or one forged segment far ahead in SEQ would lock the real
 * source out. When the table is full the least recently used record goes;
 * the worst a forgotten record allows is a second reassembly of a replayed
 * message, which the upper transport's replay protection then drops.
 *
 * Transmitter. One context per outgoing segmented message, at most one per
 * destination (3.5.3.3). A round sends every unacknowledged segment, one
 * per segment transmission interval; after a round's last segment the
 * retransmission timer runs. Each further round costs one of the
 * retransmission budget and, for unicast, one of the without-progress
 * budget if no acknowledgment of new segments came since the previous
 * round began; one that did refills it (3.5.3.3). An acknowledgment with
 * progress that arrives while we wait starts the next round at once
 * instead of letting the timer run out.
 */
#include <string.h>

#include "addr.h"
#include "bytes.h"
#include "err.h"
#include "lower_transport.h"
#include "util.h"

#define SEG_BIT 0x80
#define AKF_BIT 0x40
#define AID_MASK 0x3f
#define OPCODE_MASK 0x7f
#define SZMIC_BIT 0x80      /* first octet after a segmented header octet */
#define OBO_BIT 0x80
#define SEQ_WINDOW 8192     /* SEQ may not move this far past SeqAuth */

void mesh_sar_config_default(struct mesh_sar_config *sar)
{
	/*
	 * Default values of the SAR Transmitter and SAR Receiver states
	 * (Mesh Protocol 1.1, 4.2 "SAR Transmitter" and "SAR Receiver"
	 * state tables; timing rules in 3.5.3.3 and 3.5.3.4). The node uses
	 * them whether or not it has a SAR Configuration Server.
	 */
	*sar = (struct mesh_sar_config){
		.seg_int_step = 0x05,                /* 60 ms between segments */
		.unicast_retrans_count = 0x02,       /* 2 retransmission rounds */
		.unicast_retrans_wo_progress_count = 0x02,
		.unicast_retrans_int_step = 0x07,    /* 200 ms */
		.unicast_retrans_int_inc = 0x01,     /* + 50 ms per hop */
		.multicast_retrans_count = 0x02,
		.multicast_retrans_int_step = 0x09,  /* 250 ms */
		.segments_threshold = 0x03,
		.ack_delay_inc = 0x01,               /* 2.5 segment intervals */
		.discard_timeout = 0x01,             /* 10 s */
		.rx_seg_int_step = 0x05,             /* 60 ms */
		.ack_retrans_count = 0x00,
	};
}

void mesh_lt_config_default(struct mesh_lt_config *cfg)
{
	mesh_sar_config_default(&cfg->sar);
	/* The Default TTL state has no spec default; 7 is common practice. */
	cfg->default_ttl = 7;
}

/* ---- codec ------------------------------------------------------------ */

static size_t seg_len(bool ctl)
{
	return ctl ? MESH_SEG_CTL_LEN : MESH_SEG_ACCESS_LEN;
}

static uint32_t block_full(unsigned int seg_n)
{
	return (uint32_t)(((uint64_t)1 << (seg_n + 1)) - 1);
}

unsigned int mesh_lt_seg_count(bool ctl, size_t len)
{
	if (len == 0)
		return 1;
	return (unsigned int)((len + seg_len(ctl) - 1) / seg_len(ctl));
}

static int decode_seg_ack(const uint8_t *p, size_t len, struct mesh_lt_pdu *out)
{
	if (len < MESH_LT_SEG_ACK_LEN)
		return MESH_ERR_TRUNCATED;
	if (len > MESH_LT_SEG_ACK_LEN)
		return MESH_ERR_OVERSIZED;
	if (p[1] & 0x03)
		return MESH_ERR_RESERVED;
	out->obo = p[0] & OBO_BIT;
	out->seq_zero = (mesh_get_be16(p) >> 2) & MESH_LT_SEQ_ZERO_MASK;
	out->block_ack = mesh_get_be32(p + 2);
	return 0;
}

static int decode_access_hdr(uint8_t hdr, struct mesh_lt_pdu *out)
{
	out->akf = hdr & AKF_BIT;
	out->aid = hdr & AID_MASK;
	/* AID is only meaningful with an application key (3.5.2.1). */
	if (!out->akf && out->aid)
		return MESH_ERR_RESERVED;
	return 0;
}

static int decode_unseg(const uint8_t *pdu, size_t len, struct mesh_lt_pdu *out)
{
	out->payload = pdu + 1;
	out->payload_len = len - 1;
	if (out->ctl) {
		out->opcode = pdu[0] & OPCODE_MASK;
		if (out->opcode == MESH_CTL_SEG_ACK)
			return decode_seg_ack(out->payload, out->payload_len, out);
		return 0;
	}
	/* At least one octet of access payload and a 32-bit TransMIC. */
	if (out->payload_len < 1 + MESH_TRANSMIC_32)
		return MESH_ERR_TRUNCATED;
	return decode_access_hdr(pdu[0], out);
}

static int decode_seg(const uint8_t *pdu, size_t len, struct mesh_lt_pdu *out)
{
	size_t max = seg_len(out->ctl);
	int err;

	if (len < MESH_LT_HDR_SEG_LEN + 1)
		return MESH_ERR_TRUNCATED;
	if (out->ctl) {
		out->opcode = pdu[0] & OPCODE_MASK;
		/* Acknowledgments are never segmented (3.5.2.3.1). */
		if (out->opcode == MESH_CTL_SEG_ACK)
			return MESH_ERR_OPCODE;
		if (pdu[1] & 0x80)
			return MESH_ERR_RESERVED;
	} else {
		err = decode_access_hdr(pdu[0], out);
		if (err)
			return err;
		out->szmic = pdu[1] & SZMIC_BIT;
	}
	out->seq_zero = (uint16_t)(((pdu[1] & 0x7f) << 6) | (pdu[2] >> 2));
	out->seg_o = (uint8_t)(((pdu[2] & 0x03) << 3) | (pdu[3] >> 5));
	out->seg_n = pdu[3] & 0x1f;
	out->payload = pdu + MESH_LT_HDR_SEG_LEN;
	out->payload_len = len - MESH_LT_HDR_SEG_LEN;

	if (out->seg_o > out->seg_n)
		return MESH_ERR_SEGMENT;
	if (out->payload_len > max)
		return MESH_ERR_OVERSIZED;
	if (out->seg_o < out->seg_n && out->payload_len != max)
		return MESH_ERR_SEGMENT;
	/* A lone segment must still hold an opcode and the TransMIC. */
	if (!out->ctl && out->seg_n == 0 &&
	    out->payload_len < 1 + (out->szmic ? MESH_TRANSMIC_64 : MESH_TRANSMIC_32))
		return MESH_ERR_TRUNCATED;
	return 0;
}

int mesh_lt_decode(bool ctl, const uint8_t *pdu, size_t len, struct mesh_lt_pdu *out)
{
	if (!out || (!pdu && len))
		return MESH_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	out->ctl = ctl;
	if (len == 0)
		return MESH_ERR_TRUNCATED;
	if (len > (ctl ? MESH_NET_MAX_TRANSPORT_CTL : MESH_NET_MAX_TRANSPORT))
		return MESH_ERR_OVERSIZED;
	out->seg = pdu[0] & SEG_BIT;
	return out->seg ? decode_seg(pdu, len, out) : decode_unseg(pdu, len, out);
}

static int encode_first_octet(const struct mesh_lt_pdu *p, uint8_t *o)
{
	if (p->ctl) {
		if (p->opcode > OPCODE_MASK)
			return MESH_ERR_INVAL;
		*o = p->opcode;
	} else {
		if (p->aid > AID_MASK || (!p->akf && p->aid))
			return MESH_ERR_INVAL;
		*o = (uint8_t)((p->akf ? AKF_BIT : 0) | p->aid);
	}
	if (p->seg)
		*o |= SEG_BIT;
	return 0;
}

static int encode_seg_ack(const struct mesh_lt_pdu *p, uint8_t *out, size_t max)
{
	if (p->seq_zero > MESH_LT_SEQ_ZERO_MASK)
		return MESH_ERR_INVAL;
	if (max < 1 + MESH_LT_SEG_ACK_LEN)
		return MESH_ERR_OVERSIZED;
	out[0] = MESH_CTL_SEG_ACK;
	mesh_put_be16(out + 1, (uint16_t)((p->obo ? 0x8000 : 0) | p->seq_zero << 2));
	mesh_put_be32(out + 3, p->block_ack);
	return 1 + MESH_LT_SEG_ACK_LEN;
}

int mesh_lt_encode(const struct mesh_lt_pdu *p, uint8_t *out, size_t max)
{
	size_t hdr = p->seg ? MESH_LT_HDR_SEG_LEN : 1;
	size_t limit = p->ctl ? MESH_NET_MAX_TRANSPORT_CTL : MESH_NET_MAX_TRANSPORT;
	int err;

	if (!out || (!p->payload && p->payload_len))
		return MESH_ERR_INVAL;
	if (p->ctl && !p->seg && p->opcode == MESH_CTL_SEG_ACK)
		return encode_seg_ack(p, out, max);
	if (p->ctl && p->seg && p->opcode == MESH_CTL_SEG_ACK)
		return MESH_ERR_INVAL;
	if (hdr + p->payload_len > limit)
		return MESH_ERR_OVERSIZED;
	if (hdr + p->payload_len > max)
		return MESH_ERR_OVERSIZED;
	err = encode_first_octet(p, &out[0]);
	if (err)
		return err;
	if (p->seg) {
		if (p->seq_zero > MESH_LT_SEQ_ZERO_MASK || p->seg_n > 31 ||
		    p->seg_o > p->seg_n || p->payload_len == 0)
			return MESH_ERR_INVAL;
		out[1] = (uint8_t)((!p->ctl && p->szmic ? SZMIC_BIT : 0) |
				   p->seq_zero >> 6);
		out[2] = (uint8_t)((p->seq_zero & 0x3f) << 2 | p->seg_o >> 3);
		out[3] = (uint8_t)((p->seg_o & 0x07) << 5 | p->seg_n);
	}
	if (p->payload_len)
		memcpy(out + hdr, p->payload, p->payload_len);
	return (int)(hdr + p->payload_len);
}

int mesh_lt_build_segment(const struct mesh_transport_msg *msg, unsigned int seg_o,
			  uint8_t *out, size_t max)
{
	unsigned int seg_n = mesh_lt_seg_count(msg->ctl, msg->len) - 1;
	size_t off = seg_o * seg_len(msg->ctl);
	struct mesh_lt_pdu p = {
		.ctl = msg->ctl,
		.seg = true,
		.akf = msg->akf,
		.aid = msg->aid,
		.szmic = msg->szmic,
		.opcode = msg->opcode,
		.seq_zero = msg->seq & MESH_LT_SEQ_ZERO_MASK,
		.seg_o = (uint8_t)seg_o,
		.seg_n = (uint8_t)seg_n,
	};

	if (!msg->pdu || msg->len == 0 || msg->len > MESH_SEG_MAX * seg_len(msg->ctl) ||
	    seg_o > seg_n)
		return MESH_ERR_INVAL;
	p.payload = msg->pdu + off;
	p.payload_len = msg->len - off < seg_len(msg->ctl) ? msg->len - off :
							      seg_len(msg->ctl);
	return mesh_lt_encode(&p, out, max);
}

int mesh_lt_seq_auth(uint32_t iv_index, uint32_t seq, uint16_t seq_zero,
		     uint64_t *seq_auth)
{
	uint64_t full = (uint64_t)iv_index << 24 | (seq & MESH_SEQ_MAX);
	/* SEQ moved at most 8191 past the first segment's (3.5.3.3). */
	uint32_t behind = (seq - seq_zero) & MESH_LT_SEQ_ZERO_MASK;

	if (full < behind)
		return MESH_ERR_SEGMENT;
	*seq_auth = full - behind;
	return 0;
}

/* ---- timing (3.5.3.3, 3.5.3.4, 4.2 SAR states) ------------------------- */

static uint32_t seg_tx_interval_ms(const struct mesh_sar_config *s)
{
	return (s->seg_int_step + 1u) * 10;
}

static uint32_t retrans_interval_ms(const struct mesh_sar_config *s, uint16_t dst,
				    uint8_t ttl)
{
	uint32_t step, inc;

	if (!mesh_addr_is_unicast(dst))
		return (s->multicast_retrans_int_step + 1u) * 25;
	step = (s->unicast_retrans_int_step + 1u) * 25;
	inc = (s->unicast_retrans_int_inc + 1u) * 25;
	return ttl ? step + inc * (ttl - 1u) : step;
}

static uint32_t seg_rx_interval_ms(const struct mesh_sar_config *s)
{
	return (s->rx_seg_int_step + 1u) * 10;
}

/* min(SegN + 0.5, ack delay increment + 1.5) segment reception intervals,
 * counted in half intervals to stay in integers. */
static uint32_t ack_delay_ms(const struct mesh_sar_config *s, unsigned int seg_n)
{
	uint32_t halves = 2u * seg_n + 1;
	uint32_t cap = 2u * s->ack_delay_inc + 3;

	if (cap < halves)
		halves = cap;
	return halves * seg_rx_interval_ms(s) / 2;
}

static uint32_t discard_ms(const struct mesh_sar_config *s)
{
	return (s->discard_timeout + 1u) * 5000;
}

/* ---- receiver ------------------------------------------------------- */

static int send_ack(struct mesh_lower_transport *lt, uint16_t net_idx, uint16_t src,
		    uint16_t dst, uint8_t rx_ttl, uint16_t seq_zero, uint32_t block)
{
	struct mesh_lt_pdu p = {
		.ctl = true,
		.opcode = MESH_CTL_SEG_ACK,
		.seq_zero = seq_zero,
		.block_ack = block,
	};
	uint8_t buf[1 + MESH_LT_SEG_ACK_LEN];
	struct mesh_net_tx tx = {
		.net_idx = net_idx,
		.ctl = 1,
		/* A TTL 0 exchange stays single hop (3.5.3.4). */
		.ttl = rx_ttl ? lt->cfg.default_ttl : 0,
		.src = src,
		.dst = dst,
		.transport = buf,
	};
	int len = mesh_lt_encode(&p, buf, sizeof(buf));
	int err;

	if (len < 0)
		return len;
	tx.transport_len = (size_t)len;
	err = lt->ops->seq_next(lt->ctx, src, &tx.seq);
	if (err)
		return err;
	lt->stats.ack_sent++;
	return lt->ops->net_send(lt->ctx, &tx);
}

static struct mesh_lt_done *done_find(struct mesh_lower_transport *lt, uint16_t src,
				      uint16_t dst)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->done); i++) {
		struct mesh_lt_done *d = &lt->done[i];

		if (d->in_use && d->src == src && d->dst == dst)
			return d;
	}
	return NULL;
}

/* The pair's record as it is (the accepted and the dropped message are
 * kept side by side), else a free or the least recently used one, wiped. */
static struct mesh_lt_done *done_get(struct mesh_lower_transport *lt, uint16_t src,
				     uint16_t dst)
{
	struct mesh_lt_done *d = done_find(lt, src, dst);

	if (!d) {
		for (size_t i = 0; !d && i < MESH_ARRAY_SIZE(lt->done); i++) {
			if (!lt->done[i].in_use)
				d = &lt->done[i];
		}
	}
	if (!d) {
		d = &lt->done[0];
		for (size_t i = 1; i < MESH_ARRAY_SIZE(lt->done); i++) {
			if (lt->done[i].stamp < d->stamp)
				d = &lt->done[i];
		}
	}
	if (!d->in_use || d->src != src || d->dst != dst) {
		memset(d, 0, sizeof(*d));
		d->in_use = true;
		d->src = src;
		d->dst = dst;
	}
	d->stamp = ++lt->done_stamp;
	return d;
}

/* r was refused or abandoned: keep its segments out, and nothing else. */
static void done_drop(struct mesh_lt_rx *r)
{
	struct mesh_lt_done *d = done_get(r->lt, r->src, r->dst);

	d->dropped = true;
	d->dropped_seq_auth = r->seq_auth;
}

static void rx_free(struct mesh_lt_rx *r)
{
	mesh_timer_stop(r->lt->timers, &r->ack_timer);
	mesh_timer_stop(r->lt->timers, &r->discard_timer);
	r->in_use = false;
}

static uint16_t rx_seq_zero(const struct mesh_lt_rx *r)
{
	return (uint16_t)(r->seq_auth & MESH_LT_SEQ_ZERO_MASK);
}

static void rx_ack_fire(struct mesh_timer *t)
{
	struct mesh_lt_rx *r = MESH_CONTAINER_OF(t, struct mesh_lt_rx, ack_timer);
	struct mesh_lower_transport *lt = r->lt;

	if (!r->in_use)
		return;
	send_ack(lt, r->net_idx, r->dst, r->src, r->ttl, rx_seq_zero(r), r->block);
	/* Long messages get their acks repeated (SAR Segments Threshold). */
	if (r->in_use && r->ack_rtx_left) {
		r->ack_rtx_left--;
		mesh_timer_start(lt->timers, &r->ack_timer, seg_rx_interval_ms(&lt->cfg.sar));
	}
}

static void rx_discard_fire(struct mesh_timer *t)
{
	struct mesh_lt_rx *r = MESH_CONTAINER_OF(t, struct mesh_lt_rx, discard_timer);

	if (!r->in_use)
		return;
	r->lt->stats.rx_discarded++;
	done_drop(r);
	rx_free(r);
}

static int rx_complete(struct mesh_lt_rx *r)
{
	struct mesh_lower_transport *lt = r->lt;
	struct mesh_transport_msg msg = {
		.net_idx = r->net_idx,
		.new_key = r->new_key,
		.iv_index = (uint32_t)(r->seq_auth >> 24),
		.src = r->src,
		.dst = r->dst,
		.ttl = r->ttl,
		.ctl = r->ctl,
		.seq = (uint32_t)(r->seq_auth & MESH_SEQ_MAX),
		.segmented = true,
		.akf = !r->ctl && (r->hdr0 & AKF_BIT),
		.aid = r->ctl ? 0 : r->hdr0 & AID_MASK,
		.szmic = r->szmic,
		.opcode = r->ctl ? r->hdr0 : 0,
		.pdu = r->buf,
		.len = r->len,
	};
	bool unicast = mesh_addr_is_unicast(r->dst);
	uint64_t now = mesh_timers_now(lt->timers);
	struct mesh_lt_done *d;
	int err = 0;

	mesh_timer_stop(lt->timers, &r->ack_timer);
	mesh_timer_stop(lt->timers, &r->discard_timer);
	/* The last segment is acknowledged at once (3.5.3.4), whatever the
	 * upper layers make of the message: every segment did arrive, and a
	 * sender whose message is refused as a replay should stop. */
	if (unicast)
		send_ack(lt, r->net_idx, r->dst, r->src, r->ttl, rx_seq_zero(r), r->block);
	lt->stats.rx_delivered++;
	if (lt->ops->deliver)
		err = lt->ops->deliver(lt->ctx, &msg);
	/* Recorded only now: what the record may make obsolete depends on
	 * whether the message proved itself (see the top of this file). */
	if (err) {
		lt->stats.rx_refused++;
		done_drop(r);
	} else {
		d = done_get(lt, r->src, r->dst);
		d->delivered = true;
		d->seq_auth = r->seq_auth;
		d->block = r->block;
		d->acked_once = unicast;
		d->last_ack_ms = now;
	}
	rx_free(r);
	return err;
}

static bool rx_matches(const struct mesh_lt_rx *r, const struct mesh_net_rx *rx,
		       const struct mesh_lt_pdu *p, uint8_t hdr0)
{
	return r->ctl == p->ctl && r->hdr0 == hdr0 && r->szmic == p->szmic &&
	       r->seg_n == p->seg_n && r->net_idx == rx->net_idx;
}

static int rx_add_segment(struct mesh_lt_rx *r, const struct mesh_net_rx *rx,
			  const struct mesh_lt_pdu *p, uint8_t hdr0)
{
	struct mesh_lower_transport *lt = r->lt;
	uint32_t bit = (uint32_t)1 << p->seg_o;
	size_t off = p->seg_o * seg_len(p->ctl);

	if (!rx_matches(r, rx, p, hdr0))
		return MESH_ERR_SEGMENT;
	if (r->block & bit)
		return MESH_ERR_DUPLICATE;
	memcpy(r->buf + off, p->payload, p->payload_len);
	if (p->seg_o == p->seg_n)
		r->len = off + p->payload_len;
	r->block |= bit;
	r->ttl = rx->ttl;
	/* Discard only after a whole timeout without any new segment. */
	mesh_timer_start(lt->timers, &r->discard_timer, discard_ms(&lt->cfg.sar));
	if (r->block == block_full(r->seg_n))
		return rx_complete(r);
	if (mesh_addr_is_unicast(r->dst) && !mesh_timer_armed(&r->ack_timer)) {
		r->ack_rtx_left = r->seg_n + 1u > lt->cfg.sar.segments_threshold ?
					  lt->cfg.sar.ack_retrans_count : 0;
		mesh_timer_start(lt->timers, &r->ack_timer,
				 ack_delay_ms(&lt->cfg.sar, r->seg_n));
	}
	return 0;
}

static struct mesh_lt_rx *rx_find(struct mesh_lower_transport *lt, uint16_t src,
				  uint16_t dst)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->rx); i++) {
		struct mesh_lt_rx *r = &lt->rx[i];

		if (r->in_use && r->src == src && r->dst == dst)
			return r;
	}
	return NULL;
}

static struct mesh_lt_rx *rx_alloc(struct mesh_lower_transport *lt)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->rx); i++) {
		if (!lt->rx[i].in_use)
			return &lt->rx[i];
	}
	return NULL;
}

/* A late segment of a delivered message: the sender missed our ack. At
 * most one re-ack per segment reception interval, so a replayed burst
 * cannot make us flood. */
static void rx_reack(struct mesh_lower_transport *lt, struct mesh_lt_done *d,
		     const struct mesh_net_rx *rx)
{
	uint64_t now = mesh_timers_now(lt->timers);

	if (!mesh_addr_is_unicast(d->dst))
		return;
	if (d->acked_once && now - d->last_ack_ms < seg_rx_interval_ms(&lt->cfg.sar))
		return;
	d->acked_once = true;
	d->last_ack_ms = now;
	send_ack(lt, rx->net_idx, d->dst, d->src, rx->ttl,
		 (uint16_t)(d->seq_auth & MESH_LT_SEQ_ZERO_MASK), d->block);
}

static int rx_start(struct mesh_lt_rx *r, const struct mesh_net_rx *rx,
		    const struct mesh_lt_pdu *p, uint64_t seq_auth, uint8_t hdr0)
{
	r->in_use = true;
	r->seq_auth = seq_auth;
	r->net_idx = rx->net_idx;
	r->new_key = rx->new_key;
	r->src = rx->src;
	r->dst = rx->dst;
	r->ttl = rx->ttl;
	r->ctl = p->ctl;
	r->hdr0 = hdr0;
	r->szmic = p->szmic;
	r->seg_n = p->seg_n;
	r->ack_rtx_left = 0;
	r->block = 0;
	r->len = 0;
	return rx_add_segment(r, rx, p, hdr0);
}

static int rx_segment(struct mesh_lower_transport *lt, const struct mesh_net_rx *rx,
		      const struct mesh_lt_pdu *p)
{
	uint8_t hdr0 = p->ctl ? p->opcode :
				(uint8_t)((p->akf ? AKF_BIT : 0) | p->aid);
	struct mesh_lt_rx *r = rx_find(lt, rx->src, rx->dst);
	struct mesh_lt_done *d = done_find(lt, rx->src, rx->dst);
	uint64_t seq_auth;
	int err;

	err = mesh_lt_seq_auth(rx->iv_index, rx->seq, p->seq_zero, &seq_auth);
	if (err)
		return err;
	if (r && r->seq_auth == seq_auth)
		return rx_add_segment(r, rx, p, hdr0);
	if (d && d->delivered && d->seq_auth == seq_auth) {
		d->stamp = ++lt->done_stamp;
		rx_reack(lt, d, rx);
		return MESH_ERR_DUPLICATE;
	}
	/* Refused or abandoned: that message only, nothing older. */
	if (d && d->dropped && d->dropped_seq_auth == seq_auth)
		return MESH_ERR_OBSOLETE;
	if ((r && seq_auth < r->seq_auth) || (d && d->delivered && seq_auth < d->seq_auth))
		return MESH_ERR_OBSOLETE;
	if (r)
		rx_free(r);  /* the sender gave the older message up */
	else
		r = rx_alloc(lt);
	if (!r) {
		lt->stats.rx_rejected++;
		/* Message Rejected: BlockAck 0 stops a unicast sender (3.5.3.4). */
		if (mesh_addr_is_unicast(rx->dst))
			send_ack(lt, rx->net_idx, rx->dst, rx->src, rx->ttl,
				 p->seq_zero, 0);
		return MESH_ERR_FULL;
	}
	return rx_start(r, rx, p, seq_auth, hdr0);
}

static int rx_unsegmented(struct mesh_lower_transport *lt, const struct mesh_net_rx *rx,
			  const struct mesh_lt_pdu *p)
{
	struct mesh_transport_msg msg = {
		.net_idx = rx->net_idx,
		.new_key = rx->new_key,
		.iv_index = rx->iv_index,
		.src = rx->src,
		.dst = rx->dst,
		.ttl = rx->ttl,
		.ctl = p->ctl,
		.seq = rx->seq,
		.akf = p->akf,
		.aid = p->aid,
		.opcode = p->opcode,
		.pdu = p->payload,
		.len = p->payload_len,
	};
	int err;

	lt->stats.rx_delivered++;
	if (!lt->ops->deliver)
		return 0;
	err = lt->ops->deliver(lt->ctx, &msg);
	if (err)
		lt->stats.rx_refused++;
	return err;
}

/* ---- transmitter ------------------------------------------------------ */

static void tx_finish(struct mesh_lt_tx *t, int err)
{
	struct mesh_lower_transport *lt = t->lt;
	void *cookie = t->cookie;

	mesh_timer_stop(lt->timers, &t->timer);
	t->in_use = false;
	t->gen = ++lt->tx_gen;
	/* Freed first: send_done may start the next message to this dst. */
	if (lt->ops->send_done)
		lt->ops->send_done(lt->ctx, cookie, err);
}

static int tx_transmit(struct mesh_lt_tx *t, unsigned int seg_o, uint32_t seq)
{
	struct mesh_lower_transport *lt = t->lt;
	struct mesh_transport_msg msg = {
		.ctl = t->ctl,
		.seq = t->seq_auth,
		.akf = !t->ctl && (t->hdr0 & AKF_BIT),
		.aid = t->ctl ? 0 : t->hdr0 & AID_MASK,
		.szmic = t->szmic,
		.opcode = t->ctl ? t->hdr0 : 0,
		.pdu = t->pdu,
		.len = t->len,
	};
	uint8_t buf[MESH_LT_MAX_PDU];
	struct mesh_net_tx tx = {
		.net_idx = t->net_idx,
		.ctl = t->ctl,
		.ttl = t->ttl,
		.seq = seq,
		.src = t->src,
		.dst = t->dst,
		.transport = buf,
	};
	int len = mesh_lt_build_segment(&msg, seg_o, buf, sizeof(buf));

	if (len < 0)
		return len;
	tx.transport_len = (size_t)len;
	lt->stats.seg_sent++;
	return lt->ops->net_send(lt->ctx, &tx);
}

static int tx_next_unacked(const struct mesh_lt_tx *t, unsigned int from)
{
	for (unsigned int i = from; i <= t->seg_n; i++) {
		if (!(t->acked & (uint32_t)1 << i))
			return (int)i;
	}
	return -1;
}

/* After a transmission: the next segment of the round, or the wait. */
static void tx_schedule(struct mesh_lt_tx *t)
{
	const struct mesh_sar_config *s = &t->lt->cfg.sar;

	if (tx_next_unacked(t, t->cursor) >= 0) {
		mesh_timer_start(t->lt->timers, &t->timer, seg_tx_interval_ms(s));
		return;
	}
	t->in_pass = false;
	mesh_timer_start(t->lt->timers, &t->timer, retrans_interval_ms(s, t->dst, t->ttl));
}

static void tx_pass_step(struct mesh_lt_tx *t)
{
	struct mesh_lower_transport *lt = t->lt;
	int seg_o = tx_next_unacked(t, t->cursor);
	uint32_t gen = t->gen;
	uint32_t seq;
	int err;

	if (seg_o < 0) {
		tx_schedule(t);
		return;
	}
	/* Every transmission but the very first takes a fresh SEQ, which
	 * must stay within SeqZero's reach (3.5.3.3). */
	err = lt->ops->seq_next(lt->ctx, t->src, &seq);
	if (!err && ((seq - t->seq_auth) & MESH_SEQ_MAX) >= SEQ_WINDOW)
		err = MESH_ERR_SEQ_EXHAUSTED;
	if (err) {
		tx_finish(t, MESH_ERR_SEQ_EXHAUSTED);
		return;
	}
	t->cursor = (uint8_t)(seg_o + 1);
	if (t->retrying)
		lt->stats.seg_resent++;
	/* A lost transmission is just a lost segment: the acks tell. */
	tx_transmit(t, (unsigned int)seg_o, seq);
	if (!t->in_use || t->gen != gen)
		return;  /* finished from inside net_send (local loopback) */
	tx_schedule(t);
}

static void tx_start_round(struct mesh_lt_tx *t)
{
	bool unicast = mesh_addr_is_unicast(t->dst);
	/* Only a round with no new segment acknowledged since the previous
	 * one began is a retransmission without progress (3.5.3.3). */
	bool wo_progress = unicast && !t->progressed;

	if (!t->retrans_left || (wo_progress && !t->wo_progress_left)) {
		/* Groups have no acks: running out of rounds is success. */
		tx_finish(t, unicast ? MESH_ERR_TIMEOUT : 0);
		return;
	}
	t->retrans_left--;
	if (wo_progress)
		t->wo_progress_left--;
	t->progressed = false;
	t->cursor = 0;
	t->in_pass = true;
	t->retrying = true;
	tx_pass_step(t);
}

static void tx_timer_fire(struct mesh_timer *timer)
{
	struct mesh_lt_tx *t = MESH_CONTAINER_OF(timer, struct mesh_lt_tx, timer);

	if (!t->in_use)
		return;
	if (t->in_pass)
		tx_pass_step(t);
	else
		tx_start_round(t);
}

static int rx_seg_ack(struct mesh_lower_transport *lt, const struct mesh_net_rx *rx,
		      const struct mesh_lt_pdu *p)
{
	struct mesh_lt_tx *t = NULL;
	uint32_t fresh;

	lt->stats.ack_received++;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->tx) && !t; i++) {
		struct mesh_lt_tx *c = &lt->tx[i];

		/* A Friend acks for its Low Power node with OBO set. */
		if (c->in_use && mesh_addr_is_unicast(c->dst) &&
		    (c->seq_auth & MESH_LT_SEQ_ZERO_MASK) == p->seq_zero &&
		    c->src == rx->dst && c->net_idx == rx->net_idx &&
		    (c->dst == rx->src || p->obo))
			t = c;
	}
	if (!t)
		return MESH_ERR_NOT_FOUND;
	if (p->block_ack == 0) {
		tx_finish(t, MESH_ERR_CANCELED);
		return 0;
	}
	if (p->block_ack & ~block_full(t->seg_n))
		return MESH_ERR_SEGMENT;
	fresh = p->block_ack & ~t->acked;
	if (!fresh)
		return 0;
	t->acked |= fresh;
	t->wo_progress_left = lt->cfg.sar.unicast_retrans_wo_progress_count;
	t->progressed = true;
	if (t->acked == block_full(t->seg_n)) {
		tx_finish(t, 0);
		return 0;
	}
	if (!t->in_pass && t->retrans_left) {
		mesh_timer_stop(lt->timers, &t->timer);
		tx_start_round(t);
	}
	return 0;
}

static int tx_check(const struct mesh_transport_msg *msg)
{
	size_t min = msg->ctl ? 0 : 1 + (msg->szmic ? MESH_TRANSMIC_64 : MESH_TRANSMIC_32);

	if ((!msg->pdu && msg->len) || !mesh_addr_is_unicast(msg->src) ||
	    mesh_addr_is_unassigned(msg->dst) || msg->seq > MESH_SEQ_MAX ||
	    msg->ttl > MESH_TTL_MAX || msg->len < min)
		return MESH_ERR_INVAL;
	if (msg->ctl && (msg->opcode > OPCODE_MASK || msg->opcode == MESH_CTL_SEG_ACK))
		return MESH_ERR_INVAL;
	if (!msg->ctl && (msg->aid > AID_MASK || (!msg->akf && msg->aid)))
		return MESH_ERR_INVAL;
	if (msg->len > MESH_SEG_MAX * seg_len(msg->ctl))
		return MESH_ERR_OVERSIZED;
	return 0;
}

static int tx_unsegmented(struct mesh_lower_transport *lt,
			  const struct mesh_transport_msg *msg, void *cookie)
{
	struct mesh_lt_pdu p = {
		.ctl = msg->ctl,
		.akf = msg->akf,
		.aid = msg->aid,
		.opcode = msg->opcode,
		.payload = msg->pdu,
		.payload_len = msg->len,
	};
	uint8_t buf[MESH_LT_MAX_PDU];
	struct mesh_net_tx tx = {
		.net_idx = msg->net_idx,
		.ctl = msg->ctl,
		.ttl = msg->ttl,
		.seq = msg->seq,
		.src = msg->src,
		.dst = msg->dst,
		.transport = buf,
	};
	int len = mesh_lt_encode(&p, buf, sizeof(buf));
	int err;

	if (len < 0)
		return len;
	tx.transport_len = (size_t)len;
	err = lt->ops->net_send(lt->ctx, &tx);
	if (err)
		return err;
	if (lt->ops->send_done)
		lt->ops->send_done(lt->ctx, cookie, 0);
	return 0;
}

static struct mesh_lt_tx *tx_alloc(struct mesh_lower_transport *lt, uint16_t dst,
				   int *err)
{
	struct mesh_lt_tx *free_ctx = NULL;

	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->tx); i++) {
		struct mesh_lt_tx *t = &lt->tx[i];

		if (t->in_use && t->dst == dst) {
			*err = MESH_ERR_BUSY;
			return NULL;
		}
		if (!t->in_use && !free_ctx)
			free_ctx = t;
	}
	*err = free_ctx ? 0 : MESH_ERR_FULL;
	return free_ctx;
}

static int tx_segmented(struct mesh_lower_transport *lt,
			const struct mesh_transport_msg *msg, void *cookie)
{
	const struct mesh_sar_config *s = &lt->cfg.sar;
	bool unicast = mesh_addr_is_unicast(msg->dst);
	struct mesh_lt_tx *t;
	uint32_t gen;
	int err;

	t = tx_alloc(lt, msg->dst, &err);
	if (!t)
		return err;
	t->in_use = true;
	t->gen = gen = ++lt->tx_gen;
	t->cookie = cookie;
	t->net_idx = msg->net_idx;
	t->src = msg->src;
	t->dst = msg->dst;
	t->ttl = msg->ttl;
	t->ctl = msg->ctl;
	t->hdr0 = msg->ctl ? msg->opcode :
			     (uint8_t)((msg->akf ? AKF_BIT : 0) | msg->aid);
	t->szmic = !msg->ctl && msg->szmic;
	t->seq_auth = msg->seq;
	t->seg_n = (uint8_t)(mesh_lt_seg_count(msg->ctl, msg->len) - 1);
	t->acked = 0;
	t->progressed = false;
	t->retrying = false;
	t->retrans_left = unicast ? s->unicast_retrans_count : s->multicast_retrans_count;
	t->wo_progress_left = s->unicast_retrans_wo_progress_count;
	t->len = msg->len;
	memcpy(t->pdu, msg->pdu, msg->len);

	/* The first segment goes now, with the SEQ of the upper transport's
	 * nonce; its failure is the caller's to see. */
	err = tx_transmit(t, 0, msg->seq);
	if (err) {
		t->in_use = false;
		t->gen = ++lt->tx_gen;
		return err;
	}
	if (!t->in_use || t->gen != gen)
		return 0;  /* already acked from inside net_send */
	t->cursor = 1;
	t->in_pass = true;
	tx_schedule(t);
	return 0;
}

/* ---- entry points ------------------------------------------------------- */

int mesh_lt_init(struct mesh_lower_transport *lt, struct mesh_timers *timers,
		 const struct mesh_lt_config *cfg, const struct mesh_lt_ops *ops, void *ctx)
{
	if (!lt || !timers || !ops || !ops->net_send || !ops->seq_next)
		return MESH_ERR_INVAL;
	memset(lt, 0, sizeof(*lt));
	lt->timers = timers;
	lt->ops = ops;
	lt->ctx = ctx;
	if (cfg)
		lt->cfg = *cfg;
	else
		mesh_lt_config_default(&lt->cfg);
	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->rx); i++) {
		lt->rx[i].lt = lt;
		mesh_timer_init(&lt->rx[i].ack_timer, rx_ack_fire);
		mesh_timer_init(&lt->rx[i].discard_timer, rx_discard_fire);
	}
	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->tx); i++) {
		lt->tx[i].lt = lt;
		mesh_timer_init(&lt->tx[i].timer, tx_timer_fire);
	}
	return 0;
}

void mesh_lt_cleanup(struct mesh_lower_transport *lt)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->rx); i++) {
		if (lt->rx[i].in_use)
			rx_free(&lt->rx[i]);
	}
	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->tx); i++) {
		if (lt->tx[i].in_use)
			tx_finish(&lt->tx[i], MESH_ERR_CANCELED);
	}
}

void mesh_lt_set_config(struct mesh_lower_transport *lt, const struct mesh_lt_config *cfg)
{
	lt->cfg = *cfg;
}

int mesh_lt_receive(struct mesh_lower_transport *lt, const struct mesh_net_rx *rx)
{
	struct mesh_lt_pdu p;
	int err;

	if (!lt || !rx || rx->transport_len > sizeof(rx->transport))
		return MESH_ERR_INVAL;
	if (!mesh_addr_is_unicast(rx->src))
		return MESH_ERR_SRC;
	if (mesh_addr_is_unassigned(rx->dst))
		return MESH_ERR_DST;
	err = mesh_lt_decode(rx->ctl, rx->transport, rx->transport_len, &p);
	if (err)
		return err;
	if (p.seg)
		return rx_segment(lt, rx, &p);
	if (p.ctl && p.opcode == MESH_CTL_SEG_ACK)
		return rx_seg_ack(lt, rx, &p);
	return rx_unsegmented(lt, rx, &p);
}

int mesh_lt_send(struct mesh_lower_transport *lt, const struct mesh_transport_msg *msg,
		 void *cookie)
{
	size_t unseg_max;
	int err;

	if (!lt || !msg)
		return MESH_ERR_INVAL;
	err = tx_check(msg);
	if (err)
		return err;
	unseg_max = msg->ctl ? MESH_UNSEG_CTL_MAX : MESH_UNSEG_ACCESS_MAX;
	if (msg->segmented || (!msg->ctl && msg->szmic) || msg->len > unseg_max) {
		if (msg->len == 0)
			return MESH_ERR_INVAL;
		return tx_segmented(lt, msg, cookie);
	}
	return tx_unsegmented(lt, msg, cookie);
}

static bool in_range(uint16_t a, uint16_t first, uint8_t count)
{
	return a >= first && (uint32_t)a < (uint32_t)first + count;
}

void mesh_lt_forget_source(struct mesh_lower_transport *lt, uint16_t addr, uint8_t count)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->rx); i++) {
		if (lt->rx[i].in_use && in_range(lt->rx[i].src, addr, count))
			rx_free(&lt->rx[i]);
	}
	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->done); i++) {
		if (lt->done[i].in_use && in_range(lt->done[i].src, addr, count))
			memset(&lt->done[i], 0, sizeof(lt->done[i]));
	}
}

unsigned int mesh_lt_rx_in_use(const struct mesh_lower_transport *lt)
{
	unsigned int n = 0;

	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->rx); i++)
		n += lt->rx[i].in_use;
	return n;
}

unsigned int mesh_lt_tx_in_use(const struct mesh_lower_transport *lt)
{
	unsigned int n = 0;

	for (size_t i = 0; i < MESH_ARRAY_SIZE(lt->tx); i++)
		n += lt->tx[i].in_use;
	return n;
}
