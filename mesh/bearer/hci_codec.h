/*
 * HCI packets (Core Vol 4 Part E): command building, event parsing and the
 * LE Advertising Report, with no I/O. Packets here never include the H4
 * packet type octet; h4.h adds and strips it.
 *
 * Parsers take untrusted controller bytes: they check every length before
 * reading and return MESH_ERR_TRUNCATED / MESH_ERR_OVERSIZED /
 * MESH_ERR_MALFORMED naming what was wrong, never reading out of bounds.
 */
#ifndef MESH_HCI_CODEC_H
#define MESH_HCI_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* H4 packet type octets (Core Vol 4 Part A 2). */
#define HCI_H4_CMD 0x01
#define HCI_H4_ACL 0x02
#define HCI_H4_SCO 0x03
#define HCI_H4_EVT 0x04
#define HCI_H4_ISO 0x05

#define HCI_CMD_HDR_LEN 3   /* opcode (LE16), parameter length */
#define HCI_EVT_HDR_LEN 2   /* event code, parameter length */
#define HCI_ACL_HDR_LEN 4   /* handle+flags (LE16), data length (LE16) */
#define HCI_MAX_PARAM_LEN 255
#define HCI_MAX_CMD_LEN (HCI_CMD_HDR_LEN + HCI_MAX_PARAM_LEN)
#define HCI_MAX_EVT_LEN (HCI_EVT_HDR_LEN + HCI_MAX_PARAM_LEN)

#define HCI_OPCODE(ogf, ocf) ((uint16_t)(((ogf) << 10) | (ocf)))

/* Controller & Baseband (OGF 0x03) */
#define HCI_OP_SET_EVENT_MASK 0x0c01
#define HCI_OP_RESET 0x0c03
/* Informational (OGF 0x04) */
#define HCI_OP_READ_LOCAL_VERSION 0x1001
#define HCI_OP_READ_LOCAL_COMMANDS 0x1002
#define HCI_OP_READ_LOCAL_FEATURES 0x1003
#define HCI_OP_READ_BD_ADDR 0x1009
/* LE Controller (OGF 0x08) */
#define HCI_OP_LE_SET_EVENT_MASK 0x2001
#define HCI_OP_LE_READ_BUFFER_SIZE 0x2002
#define HCI_OP_LE_READ_LOCAL_FEATURES 0x2003
#define HCI_OP_LE_SET_RANDOM_ADDR 0x2005
#define HCI_OP_LE_SET_ADV_PARAMS 0x2006
#define HCI_OP_LE_SET_ADV_DATA 0x2008
#define HCI_OP_LE_SET_SCAN_RSP_DATA 0x2009
#define HCI_OP_LE_SET_ADV_ENABLE 0x200a
#define HCI_OP_LE_SET_SCAN_PARAMS 0x200b
#define HCI_OP_LE_SET_SCAN_ENABLE 0x200c

/* Events */
#define HCI_EVT_CMD_COMPLETE 0x0e
#define HCI_EVT_CMD_STATUS 0x0f
#define HCI_EVT_HARDWARE_ERROR 0x10
#define HCI_EVT_DATA_BUFFER_OVERFLOW 0x1a
#define HCI_EVT_LE_META 0x3e
#define HCI_EVT_VENDOR 0xff
#define HCI_LE_SUBEVT_ADV_REPORT 0x02

/* Status codes used by name in the code (Core Vol 1 Part F). */
#define HCI_SUCCESS 0x00
#define HCI_ERR_UNKNOWN_COMMAND 0x01
#define HCI_ERR_HARDWARE_FAILURE 0x03
#define HCI_ERR_INVALID_PARAMS 0x12
#define HCI_ERR_COMMAND_DISALLOWED 0x0c

/* Advertising PDU types of LE Set Advertising Parameters. */
#define HCI_ADV_IND 0x00
#define HCI_ADV_NONCONN_IND 0x03
/* Event types of a legacy LE Advertising Report. */
#define HCI_REPORT_ADV_IND 0x00
#define HCI_REPORT_ADV_DIRECT_IND 0x01
#define HCI_REPORT_ADV_SCAN_IND 0x02
#define HCI_REPORT_ADV_NONCONN_IND 0x03
#define HCI_REPORT_SCAN_RSP 0x04

#define HCI_ADDR_PUBLIC 0x00
#define HCI_ADDR_RANDOM 0x01

#define HCI_RSSI_UNAVAILABLE 127

/* Name of an HCI status/error code ("Unknown HCI Command"), never NULL. */
const char *hci_status_name(uint8_t status);
/* Name of a command opcode this code uses ("LE Set Scan Enable"), or NULL. */
const char *hci_opcode_name(uint16_t opcode);

/* ---- commands ---------------------------------------------------------- */

/* Command packet opcode || plen || params into out (HCI_MAX_CMD_LEN).
 * Returns its length, or MESH_ERR_OVERSIZED for plen > 255. */
int hci_cmd_build(uint8_t *out, uint16_t opcode, const uint8_t *params, size_t plen);

/* A command packet split into its fields; MESH_ERR_TRUNCATED or
 * MESH_ERR_MALFORMED when plen disagrees with the packet length. */
struct hci_cmd {
	uint16_t opcode;
	uint8_t plen;
	const uint8_t *params;
};
int hci_cmd_parse(const uint8_t *pkt, size_t len, struct hci_cmd *out);

/* Parameter blocks (little endian on the wire). Intervals in 0.625 ms units. */
struct hci_adv_params {
	uint16_t interval_min;
	uint16_t interval_max;
	uint8_t type;                 /* HCI_ADV_NONCONN_IND for mesh */
	uint8_t own_addr_type;        /* HCI_ADDR_RANDOM with a static address */
	uint8_t peer_addr_type;
	uint8_t peer_addr[6];
	uint8_t channel_map;          /* 0x07: all three */
	uint8_t filter_policy;
};
#define HCI_ADV_PARAMS_LEN 15
void hci_adv_params_encode(const struct hci_adv_params *p, uint8_t out[HCI_ADV_PARAMS_LEN]);
int hci_adv_params_decode(const uint8_t *in, size_t len, struct hci_adv_params *p);

struct hci_scan_params {
	uint8_t type;                 /* 0x00 passive */
	uint16_t interval;
	uint16_t window;
	uint8_t own_addr_type;
	uint8_t filter_policy;
};
#define HCI_SCAN_PARAMS_LEN 7
void hci_scan_params_encode(const struct hci_scan_params *p, uint8_t out[HCI_SCAN_PARAMS_LEN]);
int hci_scan_params_decode(const uint8_t *in, size_t len, struct hci_scan_params *p);

/* LE Set Advertising Data parameters: length octet then 31 octets, zero padded. */
#define HCI_ADV_DATA_PARAMS_LEN 32
int hci_adv_data_encode(const uint8_t *data, size_t len, uint8_t out[HCI_ADV_DATA_PARAMS_LEN]);

/* ms <-> 0.625 ms units, clamped to the range HCI allows (0x0020..0x4000
 * for advertising, 0x0004..0x4000 for scanning). */
uint16_t hci_adv_interval_units(unsigned int ms);
uint16_t hci_scan_interval_units(unsigned int ms);

/* ---- events ------------------------------------------------------------ */

struct hci_evt {
	uint8_t code;
	uint8_t plen;
	const uint8_t *params;        /* plen octets */
	union {
		struct {
			uint8_t ncmd;         /* Num_HCI_Command_Packets */
			uint16_t opcode;
			uint8_t status;       /* first return parameter, if any */
			const uint8_t *ret;   /* return parameters incl. status */
			uint8_t ret_len;
		} cmd_complete;
		struct {
			uint8_t status;
			uint8_t ncmd;
			uint16_t opcode;
		} cmd_status;
		struct {
			uint8_t code;
		} hw_error;
		struct {
			uint8_t subevent;
			const uint8_t *params; /* after the subevent octet */
			uint8_t len;
		} le_meta;
	};
};

/*
 * Split an event packet (code || plen || params). Checks plen against the
 * packet length and the fixed parts of Command Complete (3 octets), Command
 * Status (4), Hardware Error (1) and LE Meta (1). Other events are returned
 * with only code/plen/params set.
 */
int hci_evt_parse(const uint8_t *pkt, size_t len, struct hci_evt *out);

/* Build an event packet (for the virtual controller); returns its length
 * or MESH_ERR_OVERSIZED. out holds HCI_MAX_EVT_LEN. */
int hci_evt_build(uint8_t *out, uint8_t code, const uint8_t *params, size_t plen);
/* Command Complete with status and return parameters after it. */
int hci_evt_cmd_complete(uint8_t *out, uint8_t ncmd, uint16_t opcode, uint8_t status,
			 const uint8_t *ret, size_t ret_len);
int hci_evt_cmd_status(uint8_t *out, uint8_t ncmd, uint16_t opcode, uint8_t status);

/* One report of a legacy LE Advertising Report event. */
struct hci_adv_report {
	uint8_t event_type;
	uint8_t addr_type;
	uint8_t addr[6];
	uint8_t data_len;             /* 0..31 */
	const uint8_t *data;
	int8_t rssi;                  /* dBm, HCI_RSSI_UNAVAILABLE if unknown */
};

typedef void (*hci_adv_report_fn)(void *ctx, const struct hci_adv_report *r);

/*
 * Walk every report of an LE Advertising Report subevent (params after the
 * subevent octet: Num_Reports, then per report Event_Type, Address_Type,
 * Address, Data_Length, Data, RSSI, laid out report after report as
 * controllers send them). The whole event is validated before fn sees any
 * report: MESH_ERR_TRUNCATED / MESH_ERR_OVERSIZED for lengths that do not
 * add up, MESH_ERR_MALFORMED for Num_Reports 0 or above 25, or a
 * Data_Length above 31. Returns the number of reports.
 */
int hci_adv_reports_foreach(const uint8_t *params, size_t len, hci_adv_report_fn fn, void *ctx);

/* Build an LE Meta event with one advertising report (virtual controller). */
int hci_evt_adv_report(uint8_t *out, const struct hci_adv_report *r);

#endif
