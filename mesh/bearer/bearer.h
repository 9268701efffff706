/*
 * The advertising bearer as the rest of the stack sees it (Mesh Profile
 * 3.3.1): send one AD structure of a mesh AD type a number of times at an
 * interval, and receive mesh AD structures with the RSSI they arrived with.
 * Nothing above this interface knows whether an HCI socket, a UART or the
 * simulator is underneath.
 */
#ifndef MESH_BEARER_H
#define MESH_BEARER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* AD types assigned to mesh (Bluetooth Assigned Numbers, "Common Data Types"). */
#define MESH_AD_TYPE_PB_ADV 0x29
#define MESH_AD_TYPE_MESSAGE 0x2a
#define MESH_AD_TYPE_BEACON 0x2b

/* Legacy advertising data is 31 octets: the AD structure's length and type
 * octets leave 29 for the mesh payload. */
#define MESH_ADV_DATA_MAX 31
#define MESH_ADV_PAYLOAD_MAX 29

#define MESH_BEARER_RSSI_UNKNOWN 127

/* Transmissions are spaced by at least this (the advertising interval floor
 * of non-connectable advertising since Bluetooth 5.0). */
#define MESH_ADV_INTERVAL_MIN_MS 20

/* Network Transmit / Relay Retransmit state: count = transmissions - 1,
 * interval steps of 10 ms (Mesh Profile 4.2.19, 4.2.20). */
static inline unsigned int mesh_transmit_count(uint8_t state)
{
	return (state & 0x07u) + 1u;
}

static inline unsigned int mesh_transmit_interval_ms(uint8_t state)
{
	return ((state >> 3) + 1u) * 10u;
}

static inline uint8_t mesh_transmit_state(unsigned int transmissions, unsigned int interval_ms)
{
	return (uint8_t)((((interval_ms / 10u) - 1u) << 3) | ((transmissions - 1u) & 0x07u));
}

struct mesh_adv_tx {
	uint8_t ad_type;                     /* MESH_AD_TYPE_* */
	uint8_t len;                         /* 1..MESH_ADV_PAYLOAD_MAX */
	uint8_t payload[MESH_ADV_PAYLOAD_MAX];
	uint8_t count;                       /* transmissions, 1..255 */
	uint16_t interval_ms;                /* between transmission starts */
};

struct mesh_adv_rx {
	uint8_t ad_type;
	uint8_t len;
	const uint8_t *payload;
	int8_t rssi;                         /* dBm or MESH_BEARER_RSSI_UNKNOWN */
	uint8_t addr_type;                   /* advertiser's address */
	uint8_t addr[6];                     /* little endian, as on HCI */
};

struct mesh_bearer;

/* A mesh AD structure arrived (only the three mesh AD types). */
typedef void (*mesh_bearer_rx_fn)(void *ctx, const struct mesh_adv_rx *rx);
/* The bearer became able (true) or unable (false) to send and receive. */
typedef void (*mesh_bearer_state_fn)(void *ctx, bool up);

struct mesh_bearer_ops {
	/* Queue tx (copied). 0, MESH_ERR_INVAL (type, length, count), or
	 * MESH_ERR_FULL (queue full). PDUs queued while the bearer is down
	 * are sent once it is up. */
	int (*send)(struct mesh_bearer *b, const struct mesh_adv_tx *tx);
};

struct mesh_bearer {
	const struct mesh_bearer_ops *ops;
	mesh_bearer_rx_fn rx;
	mesh_bearer_state_fn state;
	void *ctx;                           /* for rx and state */
	bool up;
};

static inline int mesh_bearer_send(struct mesh_bearer *b, const struct mesh_adv_tx *tx)
{
	return b->ops->send(b, tx);
}

/* Validate tx for a bearer: a mesh AD type, 1..29 octets, count >= 1. */
int mesh_adv_tx_check(const struct mesh_adv_tx *tx);

/*
 * Walk the AD structures of advertising data (Core Vol 3 Part C 11):
 * length octet, AD type, data. A zero length octet ends the significant
 * part (the rest is padding). fn is called for each structure only after
 * the whole buffer proved well formed; returns the number of structures,
 * or MESH_ERR_TRUNCATED when a structure runs past the end.
 */
typedef void (*mesh_ad_fn)(void *ctx, uint8_t type, const uint8_t *data, size_t len);
int mesh_ad_foreach(const uint8_t *adv, size_t len, mesh_ad_fn fn, void *ctx);

/* Advertising data holding exactly tx's AD structure; returns its length. */
size_t mesh_adv_data_build(const struct mesh_adv_tx *tx, uint8_t out[MESH_ADV_DATA_MAX]);

#endif
