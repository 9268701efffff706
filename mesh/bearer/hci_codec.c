/*
 * HCI packet coding (Core Vol 4 Part E): names of status codes and of the
 * commands meshgate sends, command and event packets, the parameter blocks
 * of the LE advertising and scanning commands, and the legacy LE Advertising
 * Report. No I/O and no logging: hci.c and the virtual controller decide
 * what to say about a rejected packet, using the error code returned here.
 *
 * Length rules shared by the parsers: a packet shorter than its header or
 * its fixed fields says is MESH_ERR_TRUNCATED (it was cut off); octets
 * left over after what the length fields account for are
 * MESH_ERR_MALFORMED for a packet's own plen (the header contradicts the
 * packet) and MESH_ERR_OVERSIZED after the last advertising report.
 */
#include <string.h>

#include "hci_codec.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/util.h"

/* ---- names ------------------------------------------------------------- */

/* Core Vol 1 Part F 1.3, indexed by code; NULL marks codes not assigned. */
static const char *const status_names[] = {
	[0x00] = "Success",
	[0x01] = "Unknown HCI Command",
	[0x02] = "Unknown Connection Identifier",
	[0x03] = "Hardware Failure",
	[0x04] = "Page Timeout",
	[0x05] = "Authentication Failure",
	[0x06] = "PIN or Key Missing",
	[0x07] = "Memory Capacity Exceeded",
	[0x08] = "Connection Timeout",
	[0x09] = "Connection Limit Exceeded",
	[0x0a] = "Synchronous Connection Limit To A Device Exceeded",
	[0x0b] = "Connection Already Exists",
	[0x0c] = "Command Disallowed",
	[0x0d] = "Connection Rejected due to Limited Resources",
	[0x0e] = "Connection Rejected Due To Security Reasons",
	[0x0f] = "Connection Rejected due to Unacceptable BD_ADDR",
	[0x10] = "Connection Accept Timeout Exceeded",
	[0x11] = "Unsupported Feature or Parameter Value",
	[0x12] = "Invalid HCI Command Parameters",
	[0x13] = "Remote User Terminated Connection",
	[0x14] = "Remote Device Terminated Connection due to Low Resources",
	[0x15] = "Remote Device Terminated Connection due to Power Off",
	[0x16] = "Connection Terminated By Local Host",
	[0x17] = "Repeated Attempts",
	[0x18] = "Pairing Not Allowed",
	[0x19] = "Unknown LMP PDU",
	[0x1a] = "Unsupported Remote Feature",
	[0x1b] = "SCO Offset Rejected",
	[0x1c] = "SCO Interval Rejected",
	[0x1d] = "SCO Air Mode Rejected",
	[0x1e] = "Invalid LMP Parameters / Invalid LL Parameters",
	[0x1f] = "Unspecified Error",
	[0x20] = "Unsupported LMP Parameter Value / Unsupported LL Parameter Value",
	[0x21] = "Role Change Not Allowed",
	[0x22] = "LMP Response Timeout / LL Response Timeout",
	[0x23] = "LMP Error Transaction Collision / LL Procedure Collision",
	[0x24] = "LMP PDU Not Allowed",
	[0x25] = "Encryption Mode Not Acceptable",
	[0x26] = "Link Key cannot be Changed",
	[0x27] = "Requested QoS Not Supported",
	[0x28] = "Instant Passed",
	[0x29] = "Pairing With Unit Key Not Supported",
	[0x2a] = "Different Transaction Collision",
	[0x2c] = "QoS Unacceptable Parameter",
	[0x2d] = "QoS Rejected",
	[0x2e] = "Channel Classification Not Supported",
	[0x2f] = "Insufficient Security",
	[0x30] = "Parameter Out Of Mandatory Range",
	[0x32] = "Role Switch Pending",
	[0x34] = "Reserved Slot Violation",
	[0x35] = "Role Switch Failed",
	[0x36] = "Extended Inquiry Response Too Large",
	[0x37] = "Secure Simple Pairing Not Supported By Host",
	[0x38] = "Host Busy - Pairing",
	[0x39] = "Connection Rejected due to No Suitable Channel Found",
	[0x3a] = "Controller Busy",
	[0x3b] = "Unacceptable Connection Parameters",
	[0x3c] = "Advertising Timeout",
	[0x3d] = "Connection Terminated due to MIC Failure",
	[0x3e] = "Connection Failed to be Established / Synchronization Timeout",
	[0x3f] = "Previously Used",
	[0x40] = "Coarse Clock Adjustment Rejected but Will Try to Adjust Using Clock Dragging",
	[0x41] = "Type0 Submap Not Defined",
	[0x42] = "Unknown Advertising Identifier",
	[0x43] = "Limit Reached",
	[0x44] = "Operation Cancelled by Host",
	[0x45] = "Packet Too Long",
};

const char *hci_status_name(uint8_t status)
{
	if (status < MESH_ARRAY_SIZE(status_names) && status_names[status])
		return status_names[status];
	/* 0x2b, 0x31 and 0x33 are reserved; later codes are newer than this table. */
	return "Unknown status";
}

struct opcode_name {
	uint16_t opcode;
	const char *name;
};

/* Command names as Core Vol 4 Part E 7 titles them, without "HCI_". */
static const struct opcode_name opcode_names[] = {
	{ HCI_OP_SET_EVENT_MASK, "Set Event Mask" },
	{ HCI_OP_RESET, "Reset" },
	{ HCI_OP_READ_LOCAL_VERSION, "Read Local Version Information" },
	{ HCI_OP_READ_LOCAL_COMMANDS, "Read Local Supported Commands" },
	{ HCI_OP_READ_LOCAL_FEATURES, "Read Local Supported Features" },
	{ HCI_OP_READ_BD_ADDR, "Read BD_ADDR" },
	{ HCI_OP_LE_SET_EVENT_MASK, "LE Set Event Mask" },
	{ HCI_OP_LE_READ_BUFFER_SIZE, "LE Read Buffer Size" },
	{ HCI_OP_LE_READ_LOCAL_FEATURES, "LE Read Local Supported Features" },
	{ HCI_OP_LE_SET_RANDOM_ADDR, "LE Set Random Address" },
	{ HCI_OP_LE_SET_ADV_PARAMS, "LE Set Advertising Parameters" },
	{ HCI_OP_LE_SET_ADV_DATA, "LE Set Advertising Data" },
	{ HCI_OP_LE_SET_SCAN_RSP_DATA, "LE Set Scan Response Data" },
	{ HCI_OP_LE_SET_ADV_ENABLE, "LE Set Advertising Enable" },
	{ HCI_OP_LE_SET_SCAN_PARAMS, "LE Set Scan Parameters" },
	{ HCI_OP_LE_SET_SCAN_ENABLE, "LE Set Scan Enable" },
};

const char *hci_opcode_name(uint16_t opcode)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(opcode_names); i++) {
		if (opcode_names[i].opcode == opcode)
			return opcode_names[i].name;
	}
	return NULL;
}

/* ---- commands ---------------------------------------------------------- */

int hci_cmd_build(uint8_t *out, uint16_t opcode, const uint8_t *params, size_t plen)
{
	if (plen > HCI_MAX_PARAM_LEN)
		return MESH_ERR_OVERSIZED;
	mesh_put_le16(out, opcode);
	out[2] = (uint8_t)plen;
	if (plen)
		memcpy(out + HCI_CMD_HDR_LEN, params, plen);
	return (int)(HCI_CMD_HDR_LEN + plen);
}

/* A packet of hdr_len header octets whose last one is plen. */
static int plen_check(size_t len, size_t hdr_len, uint8_t plen)
{
	if (len < hdr_len + plen)
		return MESH_ERR_TRUNCATED;
	if (len > hdr_len + plen)
		return MESH_ERR_MALFORMED;
	return 0;
}

int hci_cmd_parse(const uint8_t *pkt, size_t len, struct hci_cmd *out)
{
	int err;

	if (len < HCI_CMD_HDR_LEN)
		return MESH_ERR_TRUNCATED;
	err = plen_check(len, HCI_CMD_HDR_LEN, pkt[2]);
	if (err)
		return err;
	out->opcode = mesh_get_le16(pkt);
	out->plen = pkt[2];
	out->params = pkt + HCI_CMD_HDR_LEN;
	return 0;
}

/* A fixed-size parameter block: exactly want octets. */
static int fixed_len_check(size_t len, size_t want)
{
	if (len < want)
		return MESH_ERR_TRUNCATED;
	if (len > want)
		return MESH_ERR_OVERSIZED;
	return 0;
}

/* LE Set Advertising Parameters (Core Vol 4 Part E 7.8.5). */
void hci_adv_params_encode(const struct hci_adv_params *p, uint8_t out[HCI_ADV_PARAMS_LEN])
{
	mesh_put_le16(out, p->interval_min);
	mesh_put_le16(out + 2, p->interval_max);
	out[4] = p->type;
	out[5] = p->own_addr_type;
	out[6] = p->peer_addr_type;
	memcpy(out + 7, p->peer_addr, 6);
	out[13] = p->channel_map;
	out[14] = p->filter_policy;
}

int hci_adv_params_decode(const uint8_t *in, size_t len, struct hci_adv_params *p)
{
	int err = fixed_len_check(len, HCI_ADV_PARAMS_LEN);

	if (err)
		return err;
	p->interval_min = mesh_get_le16(in);
	p->interval_max = mesh_get_le16(in + 2);
	p->type = in[4];
	p->own_addr_type = in[5];
	p->peer_addr_type = in[6];
	memcpy(p->peer_addr, in + 7, 6);
	p->channel_map = in[13];
	p->filter_policy = in[14];
	return 0;
}

/* LE Set Scan Parameters (Core Vol 4 Part E 7.8.10). */
void hci_scan_params_encode(const struct hci_scan_params *p, uint8_t out[HCI_SCAN_PARAMS_LEN])
{
	out[0] = p->type;
	mesh_put_le16(out + 1, p->interval);
	mesh_put_le16(out + 3, p->window);
	out[5] = p->own_addr_type;
	out[6] = p->filter_policy;
}

int hci_scan_params_decode(const uint8_t *in, size_t len, struct hci_scan_params *p)
{
	int err = fixed_len_check(len, HCI_SCAN_PARAMS_LEN);

	if (err)
		return err;
	p->type = in[0];
	p->interval = mesh_get_le16(in + 1);
	p->window = mesh_get_le16(in + 3);
	p->own_addr_type = in[5];
	p->filter_policy = in[6];
	return 0;
}

int hci_adv_data_encode(const uint8_t *data, size_t len, uint8_t out[HCI_ADV_DATA_PARAMS_LEN])
{
	if (len > HCI_ADV_DATA_PARAMS_LEN - 1)
		return MESH_ERR_OVERSIZED;
	/* The command always carries 31 data octets; the unused ones are
	 * zero so a capture never shows stale bytes of an earlier PDU. */
	memset(out, 0, HCI_ADV_DATA_PARAMS_LEN);
	out[0] = (uint8_t)len;
	if (len)
		memcpy(out + 1, data, len);
	return HCI_ADV_DATA_PARAMS_LEN;
}

#define HCI_INTERVAL_MAX_UNITS 0x4000u
#define HCI_ADV_INTERVAL_MIN_UNITS 0x0020u
#define HCI_SCAN_INTERVAL_MIN_UNITS 0x0004u

/* ms in 0.625 ms units, rounded to nearest, clamped to min..0x4000. */
static uint16_t interval_units(unsigned int ms, unsigned int min_units)
{
	unsigned int units;

	/* Checked before multiplying so a huge ms cannot wrap around. */
	if (ms >= HCI_INTERVAL_MAX_UNITS * 5u / 8u)
		return HCI_INTERVAL_MAX_UNITS;
	units = (ms * 8u + 2u) / 5u;
	if (units < min_units)
		units = min_units;
	return (uint16_t)units;
}

uint16_t hci_adv_interval_units(unsigned int ms)
{
	return interval_units(ms, HCI_ADV_INTERVAL_MIN_UNITS);
}

uint16_t hci_scan_interval_units(unsigned int ms)
{
	return interval_units(ms, HCI_SCAN_INTERVAL_MIN_UNITS);
}

/* ---- events ------------------------------------------------------------ */

/* Command Complete (Core Vol 4 Part E 7.7.14). */
static int parse_cmd_complete(struct hci_evt *e)
{
	if (e->plen < 3)
		return MESH_ERR_TRUNCATED;
	e->cmd_complete.ncmd = e->params[0];
	e->cmd_complete.opcode = mesh_get_le16(e->params + 1);
	e->cmd_complete.ret = e->params + 3;
	e->cmd_complete.ret_len = (uint8_t)(e->plen - 3);
	/* The NOP opcode (0x0000) completes with no return parameters. */
	e->cmd_complete.status = e->cmd_complete.ret_len ? e->params[3] : HCI_SUCCESS;
	return 0;
}

/* Command Status (Core Vol 4 Part E 7.7.15). */
static int parse_cmd_status(struct hci_evt *e)
{
	if (e->plen < 4)
		return MESH_ERR_TRUNCATED;
	e->cmd_status.status = e->params[0];
	e->cmd_status.ncmd = e->params[1];
	e->cmd_status.opcode = mesh_get_le16(e->params + 2);
	return 0;
}

int hci_evt_parse(const uint8_t *pkt, size_t len, struct hci_evt *out)
{
	int err;

	if (len < HCI_EVT_HDR_LEN)
		return MESH_ERR_TRUNCATED;
	err = plen_check(len, HCI_EVT_HDR_LEN, pkt[1]);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->code = pkt[0];
	out->plen = pkt[1];
	out->params = pkt + HCI_EVT_HDR_LEN;
	switch (out->code) {
	case HCI_EVT_CMD_COMPLETE:
		return parse_cmd_complete(out);
	case HCI_EVT_CMD_STATUS:
		return parse_cmd_status(out);
	case HCI_EVT_HARDWARE_ERROR:
		if (out->plen < 1)
			return MESH_ERR_TRUNCATED;
		out->hw_error.code = out->params[0];
		return 0;
	case HCI_EVT_LE_META:
		if (out->plen < 1)
			return MESH_ERR_TRUNCATED;
		out->le_meta.subevent = out->params[0];
		out->le_meta.params = out->params + 1;
		out->le_meta.len = (uint8_t)(out->plen - 1);
		return 0;
	default:
		return 0;
	}
}

int hci_evt_build(uint8_t *out, uint8_t code, const uint8_t *params, size_t plen)
{
	if (plen > HCI_MAX_PARAM_LEN)
		return MESH_ERR_OVERSIZED;
	out[0] = code;
	out[1] = (uint8_t)plen;
	if (plen)
		memcpy(out + HCI_EVT_HDR_LEN, params, plen);
	return (int)(HCI_EVT_HDR_LEN + plen);
}

int hci_evt_cmd_complete(uint8_t *out, uint8_t ncmd, uint16_t opcode, uint8_t status,
			 const uint8_t *ret, size_t ret_len)
{
	/* ncmd, opcode and status come before the return parameters. */
	if (ret_len > HCI_MAX_PARAM_LEN - 4)
		return MESH_ERR_OVERSIZED;
	out[0] = HCI_EVT_CMD_COMPLETE;
	out[1] = (uint8_t)(4 + ret_len);
	out[2] = ncmd;
	mesh_put_le16(out + 3, opcode);
	out[5] = status;
	if (ret_len)
		memcpy(out + 6, ret, ret_len);
	return (int)(HCI_EVT_HDR_LEN + 4 + ret_len);
}

int hci_evt_cmd_status(uint8_t *out, uint8_t ncmd, uint16_t opcode, uint8_t status)
{
	out[0] = HCI_EVT_CMD_STATUS;
	out[1] = 4;
	out[2] = status;
	out[3] = ncmd;
	mesh_put_le16(out + 4, opcode);
	return HCI_EVT_HDR_LEN + 4;
}

/* ---- LE Advertising Report (Core Vol 4 Part E 7.7.65.2) ---------------- */

#define ADV_REPORTS_MAX 25
#define ADV_REPORT_DATA_MAX 31
/* Event_Type, Address_Type, Address, Data_Length: before the data. */
#define ADV_REPORT_HEAD_LEN 9

/*
 * Read the report at *off, advancing *off past it. Only lengths are
 * checked here; the values of event type, address type and RSSI are
 * passed on as the controller sent them.
 */
static int report_at(const uint8_t *p, size_t len, size_t *off, struct hci_adv_report *r)
{
	size_t at = *off;

	if (len - at < ADV_REPORT_HEAD_LEN)
		return MESH_ERR_TRUNCATED;
	r->event_type = p[at];
	r->addr_type = p[at + 1];
	memcpy(r->addr, p + at + 2, 6);
	r->data_len = p[at + 8];
	if (r->data_len > ADV_REPORT_DATA_MAX)
		return MESH_ERR_MALFORMED;
	at += ADV_REPORT_HEAD_LEN;
	/* The data and the RSSI octet after it. */
	if (len - at < (size_t)r->data_len + 1)
		return MESH_ERR_TRUNCATED;
	r->data = p + at;
	r->rssi = (int8_t)p[at + r->data_len];
	*off = at + r->data_len + 1;
	return 0;
}

/* Walk all reports; fn NULL only validates. */
static int reports_walk(const uint8_t *params, size_t len, hci_adv_report_fn fn, void *ctx)
{
	struct hci_adv_report r;
	size_t off = 1;
	unsigned int n;
	int err;

	if (len < 1)
		return MESH_ERR_TRUNCATED;
	n = params[0];
	if (n == 0 || n > ADV_REPORTS_MAX)
		return MESH_ERR_MALFORMED;
	for (unsigned int i = 0; i < n; i++) {
		err = report_at(params, len, &off, &r);
		if (err)
			return err;
		if (fn)
			fn(ctx, &r);
	}
	if (off != len)
		return MESH_ERR_OVERSIZED;
	return (int)n;
}

int hci_adv_reports_foreach(const uint8_t *params, size_t len, hci_adv_report_fn fn, void *ctx)
{
	/* A report list that goes wrong halfway must deliver nothing, so the
	 * first pass only validates. */
	int n = reports_walk(params, len, NULL, NULL);

	if (n < 0 || !fn)
		return n;
	return reports_walk(params, len, fn, ctx);
}

int hci_evt_adv_report(uint8_t *out, const struct hci_adv_report *r)
{
	uint8_t *p = out + HCI_EVT_HDR_LEN;

	if (r->data_len > ADV_REPORT_DATA_MAX)
		return MESH_ERR_OVERSIZED;
	p[0] = HCI_LE_SUBEVT_ADV_REPORT;
	p[1] = 1; /* Num_Reports */
	p[2] = r->event_type;
	p[3] = r->addr_type;
	memcpy(p + 4, r->addr, 6);
	p[10] = r->data_len;
	if (r->data_len)
		memcpy(p + 11, r->data, r->data_len);
	p[11 + r->data_len] = (uint8_t)r->rssi;
	out[0] = HCI_EVT_LE_META;
	out[1] = (uint8_t)(2 + ADV_REPORT_HEAD_LEN + r->data_len + 1);
	return HCI_EVT_HDR_LEN + out[1];
}
