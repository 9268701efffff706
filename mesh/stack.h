/*
 * One node's mesh stack: the layers of mesh/ composed into a receive chain
 * (network -> relay -> lower transport -> replay protection -> upper
 * transport -> access dispatch) and a send chain (SEQ -> upper transport ->
 * lower transport -> network -> bearer).
 *
 * The stack owns every piece of per-node state: the network layer (subnets,
 * IV index, message cache), the SAR pools, the AppKey / device key / Label
 * UUID tables, the replay protection list, the SEQ counter and the model
 * registry. It owns no clock and no radio: timers run on the caller's
 * struct mesh_timers, network PDUs leave through ops->bearer_send and come
 * back in through mesh_stack_net_receive().
 *
 * SEQ: one counter is shared by all our elements. A SEQ must only be unique
 * per source address within an IV index; one counter gives every element a
 * strictly increasing (if gapped) series, needs one persisted value instead
 * of one per element, and matches what most implementations do.
 *
 * IV index (3.10.5): the stack runs the IV Update procedure by itself. SEQ
 * crossing MESH_SEQ_IV_THRESHOLD requests an update, a timer on the
 * caller's struct mesh_timers makes the time-driven transitions (armed only
 * while one is due), and mesh_stack_beacon_receive() feeds secure network
 * beacons to the IV index and key refresh state. The owner persists what
 * changes through ops->iv_changed, ops->seq_store and ops->kr_changed.
 *
 * Key refresh (3.10.4): go through the mesh_stack_*_key_* and
 * mesh_stack_kr_set() entry points, not the tables, so that finishing a
 * refresh or deleting a NetKey also takes the subnet's AppKeys along.
 *
 * Replay protection: a PDU is checked against the RPL before any upper
 * transport work, but the RPL is only updated once the PDU proved itself:
 * access messages after the TransMIC authenticated, control messages (whose
 * only authentication is the NetMIC) after the network layer accepted them.
 * Lower transport likewise lets only such accepted segmented messages make
 * older SeqAuths of their source obsolete. What that buys, precisely:
 *  - Someone holding a NetKey but neither the AppKey nor the device key
 *    cannot, with access messages (segmented or not), push a source's SEQ
 *    or SeqAuth forward and lock out its genuine messages.
 *  - They can with control messages, which 3.6.5 authenticates with the
 *    NetMIC alone: a forged control message (a Heartbeat, say) as SRC with
 *    a SEQ far ahead is accepted and recorded, and that source's genuine
 *    messages with lower SEQs are then dropped as replays until its SEQ
 *    passes the forged one or its entry is pruned (IV index) or removed.
 *    Forged control messages from up to MESH_RPL_MAX made-up sources also
 *    fill the RPL, which never evicts (see rpl.c), and new genuine sources
 *    are then refused with MESH_ERR_FULL. Only the NetKey protects
 *    against this.
 *  - While a reassembly from SRC to DST is under way, segments of an older
 *    SeqAuth are obsolete (3.5.3.4), and a forged segment with a newer one
 *    replaces it: a NetKey holder can keep disturbing one source's
 *    segmented messages for as long as they keep sending, never beyond.
 * mesh_stack_node_remove() forgets a node that left the network (reset, or
 * its addresses given to a newly provisioned node whose SEQ starts again at
 * 0): its device key, replay list entries and lower transport records.
 *
 * Nothing on the receive path allocates (cipher contexts are created on the
 * first use of each key, see crypto.h). The struct holds pointers into
 * itself: do not move it after mesh_stack_init().
 */
#ifndef MESH_STACK_H
#define MESH_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "app_keys.h"
#include "beacon.h"
#include "dev_keys.h"
#include "heartbeat.h"
#include "lower_transport.h"
#include "net.h"
#include "rpl.h"
#include "seq.h"
#include "timer.h"
#include "upper_transport.h"
#include "va.h"

/* TTL value asking for the node's Default TTL. */
#define MESH_STACK_TTL_DEFAULT 0xff

/* Where a received PDU's processing ended (or was dropped). */
enum mesh_stack_layer {
	MESH_STACK_NET,      /* network: length, NID, NetMIC, cache, dst */
	MESH_STACK_LOWER,    /* lower transport: header, SAR, acks */
	MESH_STACK_RPL,      /* replay protection */
	MESH_STACK_UPPER,    /* upper transport: keys, TransMIC */
	MESH_STACK_CONTROL,  /* transport control message decoding */
	MESH_STACK_ACCESS,   /* access layer: opcode, models, bindings */
};

/* Short lowercase name of a layer for logs ("net", "lower", ...). */
const char *mesh_stack_layer_name(enum mesh_stack_layer layer);

/* The outcome of one mesh_stack_net_receive(), for logs and tools. */
struct mesh_stack_trace {
	enum mesh_stack_layer layer; /* last layer that handled it */
	int err;                     /* 0, or why that layer dropped it */
	bool relayed;                /* a copy was sent on with TTL - 1 */
	bool authenticated;          /* NetMIC passed: fields below are valid */
	uint16_t net_idx;
	uint32_t iv_index;
	uint32_t seq;
	uint16_t src;
	uint16_t dst;
	uint8_t ttl;
	bool ctl;
};

/* A heartbeat received from a publisher. */
struct mesh_stack_hb_rx {
	uint16_t net_idx;
	uint16_t src;
	uint16_t dst;
	uint8_t rx_ttl;       /* TTL the network PDU arrived with */
	unsigned int hops;    /* mesh_heartbeat_hops() */
	struct mesh_heartbeat hb;
};

struct mesh_stack_ops {
	/* Required: put a network PDU on the air (ours and relayed ones).
	 * Must not call mesh_stack_net_receive() of this stack before it
	 * returns (queue local loopback instead). */
	int (*bearer_send)(void *ctx, const uint8_t *pdu, size_t len);
	/* Optional: relayed PDUs go here instead of bearer_send, so the
	 * bearer can give them the Relay Retransmit state rather than the
	 * Network Transmit state (4.2.19, 4.2.20). Same rules. */
	int (*relay_send)(void *ctx, const uint8_t *pdu, size_t len);
	/* Final result of a send that returned 0 (see mesh_lt_send()). */
	void (*send_done)(void *ctx, void *cookie, int err);
	/* A Heartbeat message arrived. */
	void (*heartbeat)(void *ctx, const struct mesh_stack_hb_rx *hb);
	/* Any other transport control message (not Segment Acknowledgments,
	 * which lower transport consumes). decoded is NULL for opcodes this
	 * code has no decoder for. */
	void (*control)(void *ctx, const struct mesh_transport_msg *msg,
			const struct mesh_ctl_msg *decoded);
	/* Every authenticated access message before dispatch, whether or not
	 * a model takes it: how a gateway/monitor sees traffic between other
	 * nodes in accept-all mode. meta's opcode/params are not filled. */
	void (*access_rx)(void *ctx, const struct mesh_access_msg *meta,
			  const uint8_t *payload, size_t len);
	/* Once per received PDU, with where it ended and why. */
	void (*rx_trace)(void *ctx, const struct mesh_stack_trace *t);
	/* Persist "SEQ below limit may be used"; nonzero = failed. NULL: the
	 * counter lives in memory only (tests, tools). */
	int (*seq_store)(void *ctx, uint32_t limit);
	/* RPL entry changed or removed (write-through persistence). */
	void (*rpl_store)(void *ctx, const struct mesh_rpl_entry *e, bool removed);
	/*
	 * IV index or IV Update flag changed: persist it before returning 0.
	 * Ordering contract (3.8.3, 3.10.5): this runs first, and only after
	 * it returned 0 does SEQ restart at 0 (seq_store(0)) for a new
	 * transmit IV index; SEQ 0 on flash next to the old IV index would
	 * repeat nonces after a crash. Nonzero = not persisted: the change is
	 * refused (the stack stays in its previous IV state and keeps counting
	 * SEQ on, which only skips numbers), the call that caused it reports
	 * MESH_ERR_IO, and it is tried again later (next beacon, or a minute
	 * later for the stack's own timer). NULL: nothing to persist.
	 */
	int (*iv_changed)(void *ctx, uint32_t iv_index, bool iv_update);
	/* A secure network beacon moved subnet net_idx to key refresh phase
	 * (MESH_KR_PHASE_2, or MESH_KR_NORMAL once the old NetKey and its old
	 * AppKeys are revoked): persist it. Changes made through
	 * mesh_stack_kr_set() are the caller's to persist. */
	void (*kr_changed)(void *ctx, uint16_t net_idx, uint8_t phase);
	/* Put one of our secure network beacons (Beacon Type || Beacon
	 * Data) on the air. NULL: the Beacon state cannot be enabled. */
	int (*beacon_send)(void *ctx, const uint8_t *beacon, size_t len);
};

struct mesh_stack_config {
	uint32_t iv_index;
	bool iv_update;
	uint8_t default_ttl;   /* Default TTL state: 0 or 2..127 */
	uint32_t seq_block;    /* SEQ numbers reserved per seq_store call */
	uint32_t seq_start;    /* persisted SEQ limit to continue from */
	const struct mesh_sar_config *sar; /* NULL: Mesh 1.1 defaults */
};

/* IV index 0 in normal operation, Default TTL 7, SEQ from 0 in blocks of
 * 1024, default SAR timing. */
void mesh_stack_config_default(struct mesh_stack_config *cfg);

struct mesh_stack {
	struct mesh_timers *timers;
	const struct mesh_stack_ops *ops;
	void *ctx;
	uint8_t default_ttl;
	bool accept_all;

	struct mesh_net net;
	struct mesh_lower_transport lt;
	struct mesh_app_keys app_keys;
	struct mesh_dev_keys dev_keys;
	struct mesh_va_table va;
	struct mesh_upper_keyring keyring; /* points at the three tables above */
	struct mesh_rpl rpl;
	struct mesh_seq seq;
	uint32_t seq_iv_index;             /* transmit IV index SEQ counts for */
	struct mesh_timer iv_timer;        /* next time-driven IV transition */
	bool beacons;                      /* Secure Network Beacon state */
	struct mesh_timer beacon_timer;    /* ticks every MESH_BEACON_TICK_MS */
	uint32_t beacon_ticks;
	struct mesh_access access;         /* models: mesh_access_model_add() */

	/* Receive state, valid only inside mesh_stack_net_receive(). */
	bool rx_busy;
	const struct mesh_net_rx *rx_cur;
	struct mesh_stack_trace *rx_trace;
	bool rx_delivered;
	struct mesh_upper_key_info rx_key;
	uint8_t rx_payload[MESH_ACCESS_MAX_PAYLOAD];
};

/* ---- setup ------------------------------------------------------------- */

/* timers and ops (with ops->bearer_send) are required; cfg NULL gives
 * mesh_stack_config_default(). The node starts unprovisioned: no keys, no
 * address, relay off, accept-all off. */
int mesh_stack_init(struct mesh_stack *s, struct mesh_timers *timers,
		    const struct mesh_stack_config *cfg, const struct mesh_stack_ops *ops,
		    void *ctx);
/* Stop timers (pending sends end with MESH_ERR_CANCELED through
 * send_done, the IV timer stops) and wipe every key. */
void mesh_stack_cleanup(struct mesh_stack *s);

/*
 * Our unicast range: primary .. primary + count - 1. Creates the access
 * layer's elements (count of them, at most MESH_ACCESS_ELEMS_MAX) so models
 * can be added; calling it again may grow the count but not shrink it.
 * MESH_ERR_SRC if the range is not all unicast, MESH_ERR_INVAL for count 0
 * or a shrink, MESH_ERR_FULL above MESH_ACCESS_ELEMS_MAX.
 */
int mesh_stack_set_address(struct mesh_stack *s, uint16_t primary, uint8_t count);

/* Relay feature; also decides whether all-relays (0xfffe) is ours. */
void mesh_stack_set_relay(struct mesh_stack *s, bool on);
/* Accept-all (gateway/monitor): process every authenticated PDU whatever
 * its destination. We never acknowledge segments or send anything for
 * addresses that are not ours. */
void mesh_stack_set_accept_all(struct mesh_stack *s, bool on);

/* Key tables; errors as for mesh_subnet_add(), mesh_app_keys_add(),
 * mesh_dev_keys_add() and mesh_va_add() (addr may be NULL). */
int mesh_stack_net_key_add(struct mesh_stack *s, uint16_t net_idx,
			   const uint8_t key[MESH_KEY_LEN]);
int mesh_stack_app_key_add(struct mesh_stack *s, uint16_t app_idx, uint16_t net_idx,
			   const uint8_t key[MESH_KEY_LEN]);
/*
 * The node with primary address addr and elements elements has left the
 * network: drop its device key, its replay protection entries and what the
 * lower transport remembers of it. MESH_ERR_INVAL for a bad range.
 */
int mesh_stack_node_remove(struct mesh_stack *s, uint16_t addr, uint8_t elements);

int mesh_stack_dev_key_add(struct mesh_stack *s, uint16_t addr, uint8_t elements,
			   const uint8_t key[MESH_KEY_LEN]);
int mesh_stack_label_add(struct mesh_stack *s, const uint8_t uuid[MESH_LABEL_UUID_LEN],
			 uint16_t *addr);

/* ---- key refresh, key deletion, beacons -------------------------------- */

/* NetKey Update: subnet net_idx enters key refresh phase 1 with the new
 * key (errors as mesh_subnet_update()). */
int mesh_stack_net_key_update(struct mesh_stack *s, uint16_t net_idx,
			      const uint8_t key[MESH_KEY_LEN]);
/* AppKey Update: only while the bound subnet is in phase 1 (3.10.4.1;
 * Config AppKey Update answers Cannot Update otherwise):
 * MESH_ERR_KEY_INDEX for an unknown subnet, MESH_ERR_KEY_REFRESH outside
 * phase 1, else errors as mesh_app_keys_update(). */
int mesh_stack_app_key_update(struct mesh_stack *s, uint16_t app_idx, uint16_t net_idx,
			      const uint8_t key[MESH_KEY_LEN]);
/* Key Refresh Phase Set, transition 2 or 3 (rules of mesh_subnet_kr_set()).
 * Transition 3 revokes the old NetKey and every old AppKey bound to it,
 * so from then on only the new keys send and receive. */
int mesh_stack_kr_set(struct mesh_stack *s, uint16_t net_idx, uint8_t transition);
/* NetKey Delete: the subnet, the AppKeys bound to it, and their model
 * bindings. MESH_ERR_KEY_INDEX if unknown. Refusing to delete the last
 * NetKey (Cannot Remove) is the Configuration Server's decision. */
int mesh_stack_net_key_delete(struct mesh_stack *s, uint16_t net_idx);
/* AppKey Delete: the key and every model binding to it.
 * MESH_ERR_NOT_FOUND if unknown. */
int mesh_stack_app_key_delete(struct mesh_stack *s, uint16_t app_idx);

/*
 * A beacon from a bearer (Beacon Type || Beacon Data). A secure network
 * beacon (3.9.3) is matched to a subnet by Network ID (its current key or,
 * during key refresh, the new one) and authenticated with that key's
 * BeaconKey; then its IV index and IV Update flag go to the IV Update
 * procedure (3.10.5, 3.10.6; beacons of the primary subnet only, while we
 * have it) and its Key Refresh flag to the subnet's key refresh (3.10.4.1,
 * completing it revokes the old AppKeys as mesh_stack_kr_set() does).
 * Returns 0 if it was used, else why not, with nothing changed:
 * parse errors of mesh_beacon_secure_parse() (MESH_ERR_UNKNOWN_BEACON for
 * other beacon types), MESH_ERR_NOT_FOUND (no such network),
 * MESH_ERR_BEACON_AUTH (forged), MESH_ERR_IV_INDEX (an IV index 3.10.5
 * says to ignore). Two results are partial: MESH_ERR_BUSY (a consistent
 * beacon asking for an IV transition the 96 h rule does not allow yet)
 * and MESH_ERR_IO (the IV change could not be persisted); the Key Refresh
 * flag was applied in both cases.
 */
int mesh_stack_beacon_receive(struct mesh_stack *s, const uint8_t *beacon, size_t len);
/*
 * The Secure Network Beacon state (4.2.10): while enabled, each subnet's
 * beacon goes out through ops->beacon_send at the adaptive interval of
 * 3.9.3.1 (beacon.h), and at once for every subnet when the IV index or
 * the IV Update flag changes, so the network follows an IV Update we
 * start. The first periodic beacon comes one tick after enabling.
 * MESH_ERR_INVAL if on and ops->beacon_send is NULL.
 */
int mesh_stack_beacons_enable(struct mesh_stack *s, bool on);
/* Our secure network beacon for subnet net_idx: current IV index and
 * flags, secured with the key we transmit with (the new key and the Key
 * Refresh flag in phase 2). MESH_ERR_KEY_INDEX if unknown. */
int mesh_stack_beacon_compose(struct mesh_stack *s, uint16_t net_idx,
			      uint8_t out[MESH_BEACON_SECURE_LEN]);

/* ---- receive ----------------------------------------------------------- */

/*
 * Process one network PDU from a bearer: decrypt, relay if wanted, and if
 * it is addressed to us (our elements, a group or virtual address a model
 * subscribes to, all-nodes, all-relays while relaying; anything in
 * accept-all mode) pass it up to replay protection, SAR, decryption and
 * model dispatch. Returns 0 if the PDU was used (delivered, stored as a
 * segment, or relayed), else the reason of the layer that dropped it,
 * which ops->rx_trace also reports. MESH_ERR_BUSY if called from inside
 * this stack's own processing.
 */
int mesh_stack_net_receive(struct mesh_stack *s, const uint8_t *pdu, size_t len);

/* ---- send -------------------------------------------------------------- */

struct mesh_stack_access_tx {
	uint16_t net_idx;
	uint16_t src;               /* one of our element addresses */
	uint16_t dst;
	const uint8_t *label_uuid;  /* required iff dst is virtual */
	uint8_t ttl;                /* MESH_STACK_TTL_DEFAULT: Default TTL */
	bool dev_key;               /* device key instead of app_idx */
	uint16_t app_idx;
	/* dev_key: whose key; 0 means dst's if we hold it (we configure it),
	 * else our own (we answer as a configured node). */
	uint16_t dev_addr;
	bool szmic;                 /* 64-bit TransMIC (implies segmented) */
	bool segmented;             /* segment even if short (acked delivery) */
	const uint8_t *payload;     /* opcode || parameters */
	size_t len;
};

/*
 * Encrypt and send an access message with the next SEQ. Returns 0 and
 * later calls ops->send_done(cookie) once (already before returning for an
 * unsegmented message), or an error and never calls it: MESH_ERR_KEY_INDEX
 * (unknown subnet or AppKey), MESH_ERR_SRC (src not ours), MESH_ERR_INVAL
 * (TTL), SEQ, upper transport and lower transport errors.
 */
int mesh_stack_send_access(struct mesh_stack *s, const struct mesh_stack_access_tx *tx,
			   void *cookie);

struct mesh_stack_ctl_tx {
	uint16_t net_idx;
	uint16_t src;
	uint16_t dst;               /* unicast or group, never virtual */
	uint8_t ttl;                /* MESH_STACK_TTL_DEFAULT: Default TTL */
	uint8_t opcode;             /* 0x01..0x7f; 0x00 belongs to SAR */
	bool segmented;
	const uint8_t *params;
	size_t len;
};

/* Send a transport control message; results as mesh_stack_send_access(). */
int mesh_stack_send_control(struct mesh_stack *s, const struct mesh_stack_ctl_tx *tx,
			    void *cookie);

/* A Heartbeat from our primary element with TTL = InitTTL = init_ttl. */
int mesh_stack_send_heartbeat(struct mesh_stack *s, uint16_t net_idx, uint16_t dst,
			      uint8_t init_ttl, uint16_t features, void *cookie);

#endif
