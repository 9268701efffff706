/*
 * The message that passes between lower and upper transport (Mesh Profile
 * 3.5/3.6): one complete upper transport PDU with the metadata both layers
 * need. Lower transport produces it on receive (reassembled if segmented)
 * and consumes it on send (segmenting it when needed or asked).
 */
#ifndef MESH_TRANSPORT_H
#define MESH_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MESH_UPPER_MAX_PDU 384       /* 32 segments x 12 octets */
#define MESH_SEG_MAX 32
#define MESH_SEG_ACCESS_LEN 12       /* upper transport octets per access segment */
#define MESH_SEG_CTL_LEN 8           /* ... per control segment */
#define MESH_UNSEG_ACCESS_MAX 15     /* upper transport octets, unsegmented access */
#define MESH_UNSEG_CTL_MAX 11        /* ... unsegmented control */

/* Access payload (opcode and parameters) limits, 3.7.3. */
#define MESH_ACCESS_MAX_PAYLOAD 380       /* with a 32-bit TransMIC */
#define MESH_ACCESS_MAX_PAYLOAD_MIC64 376 /* with a 64-bit TransMIC */
#define MESH_ACCESS_MAX_UNSEG 11          /* fits one unsegmented PDU */

/* TransMIC sizes (3.6.2). */
#define MESH_TRANSMIC_32 4
#define MESH_TRANSMIC_64 8

/* Transport control opcode of the Segment Acknowledgment (3.5.2.3), the one
 * control message the lower transport itself handles. */
#define MESH_CTL_SEG_ACK 0x00

/* NetKey and AppKey indexes are 12-bit (4.3.1.1). */
#define MESH_KEY_INDEX_MAX 0x0fff

struct mesh_transport_msg {
	uint16_t net_idx;
	bool new_key;        /* rx: network layer used key refresh's new key */
	uint32_t iv_index;   /* IV index of SeqAuth */
	uint16_t src;
	uint16_t dst;
	uint8_t ttl;
	bool ctl;
	uint32_t seq;        /* SEQ of SeqAuth: first segment's, or the PDU's */
	bool segmented;      /* rx: arrived segmented; tx: segment even if short */
	/* Access messages only. */
	bool akf;
	uint8_t aid;
	bool szmic;          /* 64-bit TransMIC (segmented access only) */
	/* Control messages only. */
	uint8_t opcode;      /* 7-bit transport control opcode */
	/* Upper transport PDU: encrypted access payload || TransMIC, or the
	 * control message parameters. */
	const uint8_t *pdu;
	size_t len;
};

#endif
