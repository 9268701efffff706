/*
 * HCI packet coding against the Core specification's layouts (Vol 4 Part
 * E): command and event packets, the LE advertising/scanning parameter
 * blocks, the LE Advertising Report with every malformed variant, and the
 * mesh advertising data helpers of bearer.h. Malformed inputs are copied
 * into buffers of exactly their length, so a read past the end is caught
 * by the sanitizer build.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/bearer/bearer.h"
#include "mesh/bearer/hci_codec.h"
#include "mesh/err.h"
#include "vectors.h"

/* A heap copy of exactly len octets (at least one allocated). */
static uint8_t *dup_exact(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

/* ---- names ------------------------------------------------------------- */

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(hci_status_name(0x00), "Success");
	assert_string_equal(hci_status_name(HCI_ERR_UNKNOWN_COMMAND), "Unknown HCI Command");
	assert_string_equal(hci_status_name(HCI_ERR_HARDWARE_FAILURE), "Hardware Failure");
	assert_string_equal(hci_status_name(HCI_ERR_COMMAND_DISALLOWED), "Command Disallowed");
	assert_string_equal(hci_status_name(HCI_ERR_INVALID_PARAMS),
			    "Invalid HCI Command Parameters");
	assert_string_equal(hci_status_name(0x11), "Unsupported Feature or Parameter Value");
	assert_string_equal(hci_status_name(0x1f), "Unspecified Error");
	assert_string_equal(hci_status_name(0x3a), "Controller Busy");
	assert_string_equal(hci_status_name(0x3c), "Advertising Timeout");
	assert_string_equal(hci_status_name(0x42), "Unknown Advertising Identifier");
	assert_string_equal(hci_status_name(0x45), "Packet Too Long");
	/* reserved codes and codes past the table */
	assert_string_equal(hci_status_name(0x2b), "Unknown status");
	assert_string_equal(hci_status_name(0x31), "Unknown status");
	assert_string_equal(hci_status_name(0x33), "Unknown status");
	assert_string_equal(hci_status_name(0x46), "Unknown status");
	assert_string_equal(hci_status_name(0xff), "Unknown status");
	for (unsigned int s = 0; s <= 0xff; s++)
		assert_non_null(hci_status_name((uint8_t)s));
}

static void test_opcode_names(void **state)
{
	(void)state;
	assert_string_equal(hci_opcode_name(HCI_OP_RESET), "Reset");
	assert_string_equal(hci_opcode_name(HCI_OP_SET_EVENT_MASK), "Set Event Mask");
	assert_string_equal(hci_opcode_name(HCI_OP_READ_LOCAL_VERSION),
			    "Read Local Version Information");
	assert_string_equal(hci_opcode_name(HCI_OP_READ_LOCAL_COMMANDS),
			    "Read Local Supported Commands");
	assert_string_equal(hci_opcode_name(HCI_OP_READ_LOCAL_FEATURES),
			    "Read Local Supported Features");
	assert_string_equal(hci_opcode_name(HCI_OP_READ_BD_ADDR), "Read BD_ADDR");
	assert_string_equal(hci_opcode_name(HCI_OP_LE_SET_EVENT_MASK), "LE Set Event Mask");
	assert_string_equal(hci_opcode_name(HCI_OP_LE_READ_BUFFER_SIZE), "LE Read Buffer Size");
	assert_string_equal(hci_opcode_name(HCI_OP_LE_READ_LOCAL_FEATURES),
			    "LE Read Local Supported Features");
	assert_string_equal(hci_opcode_name(HCI_OP_LE_SET_RANDOM_ADDR), "LE Set Random Address");
	assert_string_equal(hci_opcode_name(HCI_OP_LE_SET_ADV_PARAMS),
			    "LE Set Advertising Parameters");
	assert_string_equal(hci_opcode_name(HCI_OP_LE_SET_ADV_DATA), "LE Set Advertising Data");
	assert_string_equal(hci_opcode_name(HCI_OP_LE_SET_SCAN_RSP_DATA),
			    "LE Set Scan Response Data");
	assert_string_equal(hci_opcode_name(HCI_OP_LE_SET_ADV_ENABLE),
			    "LE Set Advertising Enable");
	assert_string_equal(hci_opcode_name(HCI_OP_LE_SET_SCAN_PARAMS), "LE Set Scan Parameters");
	assert_string_equal(hci_opcode_name(HCI_OP_LE_SET_SCAN_ENABLE), "LE Set Scan Enable");
	assert_null(hci_opcode_name(0x0000));
	assert_null(hci_opcode_name(0xfc01));
	/* OGF/OCF packing of the opcode (Core Vol 4 Part E 5.4.1) */
	assert_int_equal(HCI_OPCODE(0x03, 0x003), HCI_OP_RESET);
	assert_int_equal(HCI_OPCODE(0x08, 0x00c), HCI_OP_LE_SET_SCAN_ENABLE);
}

/* ---- commands ---------------------------------------------------------- */

static void test_cmd_build_parse(void **state)
{
	static const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	static const uint8_t scan_on[] = { 0x0c, 0x20, 0x02, 0x01, 0x00 };
	static const uint8_t enable[] = { 0x01, 0x00 };
	uint8_t out[HCI_MAX_CMD_LEN], big[HCI_MAX_PARAM_LEN + 1] = { 0 };
	struct hci_cmd cmd;

	(void)state;
	assert_int_equal(hci_cmd_build(out, HCI_OP_RESET, NULL, 0), 3);
	assert_bytes_equal(out, reset, sizeof(reset));
	assert_int_equal(hci_cmd_build(out, HCI_OP_LE_SET_SCAN_ENABLE, enable, 2), 5);
	assert_bytes_equal(out, scan_on, sizeof(scan_on));
	assert_int_equal(hci_cmd_build(out, 0x2008, big, 255), HCI_MAX_CMD_LEN);
	assert_int_equal(out[2], 255);
	assert_int_equal(hci_cmd_build(out, 0x2008, big, 256), MESH_ERR_OVERSIZED);

	assert_int_equal(hci_cmd_parse(scan_on, sizeof(scan_on), &cmd), 0);
	assert_int_equal(cmd.opcode, HCI_OP_LE_SET_SCAN_ENABLE);
	assert_int_equal(cmd.plen, 2);
	assert_ptr_equal(cmd.params, scan_on + 3);
	assert_int_equal(hci_cmd_parse(reset, sizeof(reset), &cmd), 0);
	assert_int_equal(cmd.plen, 0);
}

static void test_cmd_parse_rejects(void **state)
{
	static const uint8_t scan_on[] = { 0x0c, 0x20, 0x02, 0x01, 0x00, 0xee };
	struct hci_cmd cmd;

	(void)state;
	for (size_t len = 0; len < 5; len++) {
		uint8_t *p = dup_exact(scan_on, len);

		assert_int_equal(hci_cmd_parse(p, len, &cmd), MESH_ERR_TRUNCATED);
		free(p);
	}
	assert_int_equal(hci_cmd_parse(scan_on, 6, &cmd), MESH_ERR_MALFORMED);
}

/* LE Set Advertising Parameters, Core Vol 4 Part E 7.8.5: Interval_Min,
 * Interval_Max (LE16), Type, Own_Address_Type, Peer_Address_Type,
 * Peer_Address (6, LE), Channel_Map, Filter_Policy. */
static void test_adv_params(void **state)
{
	static const uint8_t expect[HCI_ADV_PARAMS_LEN] = {
		0xa0, 0x00, 0xb0, 0x00, 0x03, 0x01, 0x01,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x07, 0x02,
	};
	struct hci_adv_params p = {
		.interval_min = 0x00a0, .interval_max = 0x00b0, .type = HCI_ADV_NONCONN_IND,
		.own_addr_type = HCI_ADDR_RANDOM, .peer_addr_type = HCI_ADDR_RANDOM,
		.peer_addr = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 }, .channel_map = 0x07,
		.filter_policy = 0x02,
	}, q;
	uint8_t out[HCI_ADV_PARAMS_LEN], *shortp;

	(void)state;
	hci_adv_params_encode(&p, out);
	assert_bytes_equal(out, expect, sizeof(expect));
	memset(&q, 0xee, sizeof(q));
	assert_int_equal(hci_adv_params_decode(out, sizeof(out), &q), 0);
	assert_int_equal(q.interval_min, p.interval_min);
	assert_int_equal(q.interval_max, p.interval_max);
	assert_int_equal(q.type, p.type);
	assert_int_equal(q.own_addr_type, p.own_addr_type);
	assert_int_equal(q.peer_addr_type, p.peer_addr_type);
	assert_memory_equal(q.peer_addr, p.peer_addr, 6);
	assert_int_equal(q.channel_map, p.channel_map);
	assert_int_equal(q.filter_policy, p.filter_policy);
	shortp = dup_exact(expect, 14);
	assert_int_equal(hci_adv_params_decode(shortp, 14, &q), MESH_ERR_TRUNCATED);
	free(shortp);
	assert_int_equal(hci_adv_params_decode(expect, 16, &q), MESH_ERR_OVERSIZED);
}

/* LE Set Scan Parameters, Core Vol 4 Part E 7.8.10: LE_Scan_Type,
 * LE_Scan_Interval, LE_Scan_Window (LE16), Own_Address_Type,
 * Scanning_Filter_Policy. */
static void test_scan_params(void **state)
{
	static const uint8_t expect[HCI_SCAN_PARAMS_LEN] = {
		0x00, 0x30, 0x00, 0x20, 0x00, 0x01, 0x00,
	};
	struct hci_scan_params p = { .type = 0, .interval = 0x0030, .window = 0x0020,
				     .own_addr_type = HCI_ADDR_RANDOM, .filter_policy = 0 }, q;
	uint8_t out[HCI_SCAN_PARAMS_LEN + 1] = { 0 }, *shortp;

	(void)state;
	hci_scan_params_encode(&p, out);
	assert_bytes_equal(out, expect, sizeof(expect));
	assert_int_equal(hci_scan_params_decode(out, HCI_SCAN_PARAMS_LEN, &q), 0);
	assert_int_equal(q.type, 0);
	assert_int_equal(q.interval, 0x0030);
	assert_int_equal(q.window, 0x0020);
	assert_int_equal(q.own_addr_type, HCI_ADDR_RANDOM);
	assert_int_equal(q.filter_policy, 0);
	shortp = dup_exact(expect, 6);
	assert_int_equal(hci_scan_params_decode(shortp, 6, &q), MESH_ERR_TRUNCATED);
	free(shortp);
	assert_int_equal(hci_scan_params_decode(out, 8, &q), MESH_ERR_OVERSIZED);
}

/* LE Set Advertising Data, Core Vol 4 Part E 7.8.7: length, then 31
 * octets of which only the first `length` are significant. */
static void test_adv_data_encode(void **state)
{
	static const uint8_t ad[] = { 0x05, 0x2a, 0xde, 0xad, 0xbe, 0xef };
	uint8_t full[32], out[HCI_ADV_DATA_PARAMS_LEN], zero[31] = { 0 };

	(void)state;
	memset(out, 0xee, sizeof(out));
	assert_int_equal(hci_adv_data_encode(ad, sizeof(ad), out), HCI_ADV_DATA_PARAMS_LEN);
	assert_int_equal(out[0], 6);
	assert_bytes_equal(out + 1, ad, sizeof(ad));
	assert_bytes_equal(out + 7, zero, 25);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(hci_adv_data_encode(NULL, 0, out), HCI_ADV_DATA_PARAMS_LEN);
	assert_int_equal(out[0], 0);
	assert_bytes_equal(out + 1, zero, 31);
	for (size_t i = 0; i < sizeof(full); i++)
		full[i] = (uint8_t)i;
	assert_int_equal(hci_adv_data_encode(full, 31, out), HCI_ADV_DATA_PARAMS_LEN);
	assert_int_equal(out[0], 31);
	assert_bytes_equal(out + 1, full, 31);
	assert_int_equal(hci_adv_data_encode(full, 32, out), MESH_ERR_OVERSIZED);
}

static void test_interval_units(void **state)
{
	(void)state;
	/* 0.625 ms units: 20 ms = 0x20, 100 ms = 0xa0, 10.24 s = 0x4000 */
	assert_int_equal(hci_adv_interval_units(20), 0x0020);
	assert_int_equal(hci_adv_interval_units(100), 0x00a0);
	assert_int_equal(hci_adv_interval_units(30), 48);
	assert_int_equal(hci_adv_interval_units(21), 34);  /* 33.6 rounds to 34 */
	assert_int_equal(hci_adv_interval_units(10240), 0x4000);
	/* clamped to the range the commands allow */
	assert_int_equal(hci_adv_interval_units(0), 0x0020);
	assert_int_equal(hci_adv_interval_units(19), 0x0020);
	assert_int_equal(hci_adv_interval_units(10241), 0x4000);
	assert_int_equal(hci_adv_interval_units(~0u), 0x4000);
	assert_int_equal(hci_scan_interval_units(0), 0x0004);
	assert_int_equal(hci_scan_interval_units(3), 5);
	assert_int_equal(hci_scan_interval_units(30), 48);
	assert_int_equal(hci_scan_interval_units(~0u), 0x4000);
}

/* ---- events ------------------------------------------------------------ */

static void test_cmd_complete(void **state)
{
	/* Command Complete of Reset: ncmd 1, opcode 0x0c03, status 0 */
	static const uint8_t reset_cc[] = { 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	static const uint8_t bd_addr_cc[] = { 0x0e, 0x0a, 0x01, 0x09, 0x10, 0x00,
					      0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };
	static const uint8_t nop_cc[] = { 0x0e, 0x03, 0x05, 0x00, 0x00 };
	uint8_t out[HCI_MAX_EVT_LEN], big[HCI_MAX_PARAM_LEN] = { 0 };
	struct hci_evt e;

	(void)state;
	assert_int_equal(hci_evt_parse(reset_cc, sizeof(reset_cc), &e), 0);
	assert_int_equal(e.code, HCI_EVT_CMD_COMPLETE);
	assert_int_equal(e.plen, 4);
	assert_ptr_equal(e.params, reset_cc + 2);
	assert_int_equal(e.cmd_complete.ncmd, 1);
	assert_int_equal(e.cmd_complete.opcode, HCI_OP_RESET);
	assert_int_equal(e.cmd_complete.status, HCI_SUCCESS);
	assert_int_equal(e.cmd_complete.ret_len, 1);
	assert_ptr_equal(e.cmd_complete.ret, reset_cc + 5);
	assert_int_equal(hci_evt_cmd_complete(out, 1, HCI_OP_RESET, 0, NULL, 0), 6);
	assert_bytes_equal(out, reset_cc, sizeof(reset_cc));

	assert_int_equal(hci_evt_parse(bd_addr_cc, sizeof(bd_addr_cc), &e), 0);
	assert_int_equal(e.cmd_complete.opcode, HCI_OP_READ_BD_ADDR);
	assert_int_equal(e.cmd_complete.ret_len, 7);
	assert_bytes_equal(e.cmd_complete.ret + 1, bd_addr_cc + 6, 6);
	assert_int_equal(hci_evt_cmd_complete(out, 1, HCI_OP_READ_BD_ADDR, 0, bd_addr_cc + 6, 6),
			 (int)sizeof(bd_addr_cc));
	assert_bytes_equal(out, bd_addr_cc, sizeof(bd_addr_cc));

	/* No return parameters at all (the NOP opcode): status reads 0 */
	assert_int_equal(hci_evt_parse(nop_cc, sizeof(nop_cc), &e), 0);
	assert_int_equal(e.cmd_complete.ncmd, 5);
	assert_int_equal(e.cmd_complete.opcode, 0);
	assert_int_equal(e.cmd_complete.ret_len, 0);
	assert_int_equal(e.cmd_complete.status, 0);

	assert_int_equal(hci_evt_cmd_complete(out, 1, 0x2008, 0x12, big, 251), HCI_MAX_EVT_LEN);
	assert_int_equal(out[1], 255);
	assert_int_equal(out[5], 0x12);
	assert_int_equal(hci_evt_cmd_complete(out, 1, 0x2008, 0, big, 252), MESH_ERR_OVERSIZED);
}

static void test_cmd_status_hw_error_meta(void **state)
{
	/* Command Status: Status, Num_HCI_Command_Packets, Command_Opcode */
	static const uint8_t cs[] = { 0x0f, 0x04, 0x0c, 0x02, 0x06, 0x20 };
	static const uint8_t hw[] = { 0x10, 0x01, 0x42 };
	static const uint8_t meta[] = { 0x3e, 0x03, 0x7f, 0xaa, 0xbb };
	static const uint8_t disc[] = { 0x05, 0x04, 0x00, 0x40, 0x00, 0x13 };
	static const uint8_t vendor_empty[] = { 0xff, 0x00 };
	uint8_t out[HCI_MAX_EVT_LEN], big[256] = { 0 };
	struct hci_evt e;

	(void)state;
	assert_int_equal(hci_evt_parse(cs, sizeof(cs), &e), 0);
	assert_int_equal(e.code, HCI_EVT_CMD_STATUS);
	assert_int_equal(e.cmd_status.status, HCI_ERR_COMMAND_DISALLOWED);
	assert_int_equal(e.cmd_status.ncmd, 2);
	assert_int_equal(e.cmd_status.opcode, HCI_OP_LE_SET_ADV_PARAMS);
	assert_int_equal(hci_evt_cmd_status(out, 2, HCI_OP_LE_SET_ADV_PARAMS,
					    HCI_ERR_COMMAND_DISALLOWED), 6);
	assert_bytes_equal(out, cs, sizeof(cs));

	assert_int_equal(hci_evt_parse(hw, sizeof(hw), &e), 0);
	assert_int_equal(e.hw_error.code, 0x42);

	assert_int_equal(hci_evt_parse(meta, sizeof(meta), &e), 0);
	assert_int_equal(e.le_meta.subevent, 0x7f);
	assert_int_equal(e.le_meta.len, 2);
	assert_ptr_equal(e.le_meta.params, meta + 3);

	/* An event without a fixed part here: only the split is done. */
	assert_int_equal(hci_evt_parse(disc, sizeof(disc), &e), 0);
	assert_int_equal(e.code, 0x05);
	assert_int_equal(e.plen, 4);
	assert_ptr_equal(e.params, disc + 2);
	assert_int_equal(hci_evt_parse(vendor_empty, 2, &e), 0);
	assert_int_equal(e.code, HCI_EVT_VENDOR);
	assert_int_equal(e.plen, 0);

	assert_int_equal(hci_evt_build(out, 0x05, disc + 2, 4), 6);
	assert_bytes_equal(out, disc, sizeof(disc));
	assert_int_equal(hci_evt_build(out, 0xff, big, 255), HCI_MAX_EVT_LEN);
	assert_int_equal(hci_evt_build(out, 0xff, big, 256), MESH_ERR_OVERSIZED);
}

static void expect_evt_err(const uint8_t *pkt, size_t len, int err)
{
	uint8_t *p = dup_exact(pkt, len);
	struct hci_evt e;

	assert_int_equal(hci_evt_parse(p, len, &e), err);
	free(p);
}

static void test_evt_parse_rejects(void **state)
{
	static const uint8_t reset_cc[] = { 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00, 0x00 };
	static const uint8_t cc_short[] = { 0x0e, 0x02, 0x01, 0x03 };
	static const uint8_t cs_short[] = { 0x0f, 0x03, 0x00, 0x01, 0x06 };
	static const uint8_t hw_empty[] = { 0x10, 0x00 };
	static const uint8_t meta_empty[] = { 0x3e, 0x00 };

	(void)state;
	expect_evt_err(reset_cc, 0, MESH_ERR_TRUNCATED);
	expect_evt_err(reset_cc, 1, MESH_ERR_TRUNCATED);
	/* plen says more than the packet holds */
	for (size_t len = 2; len < 6; len++)
		expect_evt_err(reset_cc, len, MESH_ERR_TRUNCATED);
	/* plen says less than the packet holds */
	expect_evt_err(reset_cc, 7, MESH_ERR_MALFORMED);
	/* fixed parts missing */
	expect_evt_err(cc_short, sizeof(cc_short), MESH_ERR_TRUNCATED);
	expect_evt_err(cs_short, sizeof(cs_short), MESH_ERR_TRUNCATED);
	expect_evt_err(hw_empty, sizeof(hw_empty), MESH_ERR_TRUNCATED);
	expect_evt_err(meta_empty, sizeof(meta_empty), MESH_ERR_TRUNCATED);
}

/* ---- LE Advertising Report --------------------------------------------- */

/*
 * Two reports (Core Vol 4 Part E 7.7.65.2), one after the other:
 *  1. ADV_NONCONN_IND from a static random address, Flags, a Mesh Message
 *     and a Mesh Beacon AD structure, RSSI -60 dBm;
 *  2. ADV_IND from a public address, Flags, 16-bit UUIDs, a short name,
 *     RSSI unavailable (127).
 */
static const uint8_t two_reports[] = {
	0x3e, 0x3a, 0x02,
	0x02,                                      /* Num_Reports */
	0x03, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0xc6,
	0x16,                                      /* Data_Length 22 */
	0x02, 0x01, 0x06,
	0x07, 0x2a, 0x68, 0x11, 0x22, 0x33, 0x44, 0x55,
	0x0a, 0x2b, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0xc4,                                      /* RSSI -60 */
	0x00, 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	0x0e,                                      /* Data_Length 14 */
	0x02, 0x01, 0x06,
	0x05, 0x03, 0x27, 0x18, 0x28, 0x18,
	0x04, 0x08, 'a', 'b', 'c',
	0x7f,                                      /* RSSI unavailable */
};

#define MAX_SEEN 4

struct seen_reports {
	int n;
	struct hci_adv_report r[MAX_SEEN];
};

static void on_report(void *ctx, const struct hci_adv_report *r)
{
	struct seen_reports *s = ctx;

	assert_true(s->n < MAX_SEEN);
	s->r[s->n++] = *r;
}

struct seen_ads {
	int n;
	uint8_t types[8];
	size_t lens[8];
	const uint8_t *data[8];
};

static void on_ad(void *ctx, uint8_t type, const uint8_t *data, size_t len)
{
	struct seen_ads *s = ctx;

	assert_true(s->n < 8);
	s->types[s->n] = type;
	s->lens[s->n] = len;
	s->data[s->n++] = data;
}

static void test_adv_report_two(void **state)
{
	static const uint8_t addr1[6] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0xc6 };
	static const uint8_t addr2[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	struct seen_reports s = { 0 };
	struct seen_ads a1 = { 0 }, a2 = { 0 };
	struct hci_evt e;

	(void)state;
	assert_int_equal(sizeof(two_reports), 2 + 0x3a);
	assert_int_equal(hci_evt_parse(two_reports, sizeof(two_reports), &e), 0);
	assert_int_equal(e.le_meta.subevent, HCI_LE_SUBEVT_ADV_REPORT);
	assert_int_equal(hci_adv_reports_foreach(e.le_meta.params, e.le_meta.len, on_report, &s),
			 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[0].event_type, HCI_REPORT_ADV_NONCONN_IND);
	assert_int_equal(s.r[0].addr_type, HCI_ADDR_RANDOM);
	assert_memory_equal(s.r[0].addr, addr1, 6);
	assert_int_equal(s.r[0].data_len, 22);
	assert_ptr_equal(s.r[0].data, two_reports + 13);
	assert_int_equal(s.r[0].rssi, -60);
	assert_int_equal(s.r[1].event_type, HCI_REPORT_ADV_IND);
	assert_int_equal(s.r[1].addr_type, HCI_ADDR_PUBLIC);
	assert_memory_equal(s.r[1].addr, addr2, 6);
	assert_int_equal(s.r[1].data_len, 14);
	assert_int_equal(s.r[1].rssi, HCI_RSSI_UNAVAILABLE);

	assert_int_equal(mesh_ad_foreach(s.r[0].data, s.r[0].data_len, on_ad, &a1), 3);
	assert_int_equal(a1.types[0], 0x01);
	assert_int_equal(a1.types[1], MESH_AD_TYPE_MESSAGE);
	assert_int_equal(a1.lens[1], 6);
	assert_int_equal(a1.data[1][0], 0x68);
	assert_int_equal(a1.types[2], MESH_AD_TYPE_BEACON);
	assert_int_equal(a1.lens[2], 9);
	assert_int_equal(mesh_ad_foreach(s.r[1].data, s.r[1].data_len, on_ad, &a2), 3);
	assert_int_equal(a2.types[1], 0x03);
	assert_int_equal(a2.types[2], 0x08);
	assert_memory_equal(a2.data[2], "abc", 3);

	/* Validation alone (no callback) gives the count too. */
	assert_int_equal(hci_adv_reports_foreach(e.le_meta.params, e.le_meta.len, NULL, NULL), 2);
}

/* foreach on a patched copy of two_reports' params, exactly sized. */
static int reports_variant(size_t off, uint8_t value, size_t len, struct seen_reports *s)
{
	uint8_t params[sizeof(two_reports)], *p;
	int ret;

	memcpy(params, two_reports + 3, sizeof(two_reports) - 3);
	if (off < sizeof(params))
		params[off] = value;
	p = dup_exact(params, len);
	ret = hci_adv_reports_foreach(p, len, on_report, s);
	free(p);
	return ret;
}

static void test_adv_report_rejects(void **state)
{
	const size_t len = sizeof(two_reports) - 3, none = (size_t)-1;
	struct seen_reports s = { 0 };

	(void)state;
	/* Num_Reports 0 and above 25 */
	assert_int_equal(reports_variant(0, 0, len, &s), MESH_ERR_MALFORMED);
	assert_int_equal(reports_variant(0, 26, len, &s), MESH_ERR_MALFORMED);
	/* Num_Reports 3 with only two present: the third's fixed part is missing */
	assert_int_equal(reports_variant(0, 3, len, &s), MESH_ERR_TRUNCATED);
	/* Num_Reports 1: the second report is left over */
	assert_int_equal(reports_variant(0, 1, len, &s), MESH_ERR_OVERSIZED);
	/* Data_Length above 31, in the first and in the second report */
	assert_int_equal(reports_variant(9, 32, len, &s), MESH_ERR_MALFORMED);
	assert_int_equal(reports_variant(9 + 22 + 1 + 9, 0xff, len, &s), MESH_ERR_MALFORMED);
	/* Data running past the end: second report claims 31 octets */
	assert_int_equal(reports_variant(9 + 22 + 1 + 9, 31, len, &s), MESH_ERR_TRUNCATED);
	/* A shorter Data_Length leaves octets after the last report */
	assert_int_equal(reports_variant(9 + 22 + 1 + 9, 13, len, &s), MESH_ERR_OVERSIZED);
	/* A trailing octet */
	{
		uint8_t params[sizeof(two_reports)];

		memcpy(params, two_reports + 3, len);
		params[len] = 0;
		assert_int_equal(hci_adv_reports_foreach(params, len + 1, on_report, &s),
				 MESH_ERR_OVERSIZED);
	}
	/* Every truncation, in fixed parts, data and RSSI alike */
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(reports_variant(none, 0, cut, &s), MESH_ERR_TRUNCATED);
	/* Nothing reached the callback from any of these. */
	assert_int_equal(s.n, 0);
	assert_int_equal(reports_variant(none, 0, len, &s), 2);
	assert_int_equal(s.n, 2);
}

static void test_adv_report_build(void **state)
{
	uint8_t data[31], out[HCI_MAX_EVT_LEN];
	struct hci_adv_report r = { .event_type = HCI_REPORT_ADV_NONCONN_IND,
				    .addr_type = HCI_ADDR_RANDOM,
				    .addr = { 1, 2, 3, 4, 5, 0xc6 }, .data = data, .rssi = -42 };
	struct seen_reports s = { 0 };
	struct hci_evt e;
	int len;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x80 + i);
	for (unsigned int dl = 0; dl <= 31; dl++) {
		r.data_len = (uint8_t)dl;
		len = hci_evt_adv_report(out, &r);
		assert_int_equal(len, 2 + 1 + 1 + 9 + dl + 1);
		assert_int_equal(out[0], HCI_EVT_LE_META);
		assert_int_equal(out[1], len - 2);
		assert_int_equal(out[2], HCI_LE_SUBEVT_ADV_REPORT);
		assert_int_equal(out[3], 1);
		assert_int_equal(hci_evt_parse(out, (size_t)len, &e), 0);
		s.n = 0;
		assert_int_equal(hci_adv_reports_foreach(e.le_meta.params, e.le_meta.len,
							 on_report, &s), 1);
		assert_int_equal(s.r[0].event_type, r.event_type);
		assert_int_equal(s.r[0].addr_type, r.addr_type);
		assert_memory_equal(s.r[0].addr, r.addr, 6);
		assert_int_equal(s.r[0].data_len, dl);
		if (dl)
			assert_memory_equal(s.r[0].data, data, dl);
		assert_int_equal(s.r[0].rssi, -42);
	}
	r.data_len = 32;
	assert_int_equal(hci_evt_adv_report(out, &r), MESH_ERR_OVERSIZED);
}

/* ---- mesh advertising data (bearer.h) ---------------------------------- */

static void test_adv_tx_check_and_build(void **state)
{
	struct mesh_adv_tx tx = { .ad_type = MESH_AD_TYPE_MESSAGE, .len = 3,
				  .payload = { 0x68, 0xde, 0xad }, .count = 1,
				  .interval_ms = 20 };
	static const uint8_t expect[] = { 0x04, 0x2a, 0x68, 0xde, 0xad };
	uint8_t out[MESH_ADV_DATA_MAX];

	(void)state;
	assert_int_equal(mesh_adv_tx_check(&tx), 0);
	assert_int_equal(mesh_adv_data_build(&tx, out), sizeof(expect));
	assert_bytes_equal(out, expect, sizeof(expect));
	tx.ad_type = MESH_AD_TYPE_PB_ADV;
	assert_int_equal(mesh_adv_tx_check(&tx), 0);
	tx.ad_type = MESH_AD_TYPE_BEACON;
	tx.len = MESH_ADV_PAYLOAD_MAX;
	assert_int_equal(mesh_adv_tx_check(&tx), 0);
	assert_int_equal(mesh_adv_data_build(&tx, out), MESH_ADV_DATA_MAX);
	assert_int_equal(out[0], 30);
	assert_int_equal(out[1], 0x2b);

	tx.len = 0;
	assert_int_equal(mesh_adv_tx_check(&tx), MESH_ERR_INVAL);
	assert_int_equal(mesh_adv_data_build(&tx, out), 0);
	tx.len = MESH_ADV_PAYLOAD_MAX + 1;
	assert_int_equal(mesh_adv_tx_check(&tx), MESH_ERR_INVAL);
	assert_int_equal(mesh_adv_data_build(&tx, out), 0);
	tx.len = 3;
	tx.count = 0;
	assert_int_equal(mesh_adv_tx_check(&tx), MESH_ERR_INVAL);
	tx.count = 255;
	assert_int_equal(mesh_adv_tx_check(&tx), 0);
	tx.ad_type = 0x28;
	assert_int_equal(mesh_adv_tx_check(&tx), MESH_ERR_INVAL);
	tx.ad_type = 0x2c;
	assert_int_equal(mesh_adv_tx_check(&tx), MESH_ERR_INVAL);
}

static int ad_foreach_exact(const uint8_t *adv, size_t len, struct seen_ads *s)
{
	uint8_t *p = dup_exact(adv, len);
	int n = mesh_ad_foreach(p, len, on_ad, s);

	free(p);
	return n;
}

static void test_ad_foreach(void **state)
{
	/* Flags, a type-only structure, a mesh message, then zero padding */
	static const uint8_t adv[] = { 0x02, 0x01, 0x06, 0x01, 0xff, 0x03, 0x2a, 0x01, 0x02,
				       0x00, 0x00, 0x05 };
	static const uint8_t past_end[] = { 0x02, 0x01, 0x06, 0x04, 0x2a, 0x01, 0x02 };
	struct seen_ads s = { 0 };

	(void)state;
	assert_int_equal(ad_foreach_exact(adv, sizeof(adv), &s), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.types[1], 0xff);
	assert_int_equal(s.lens[1], 0);
	assert_int_equal(s.types[2], MESH_AD_TYPE_MESSAGE);
	assert_int_equal(s.lens[2], 2);
	/* The structures alone, without padding */
	s.n = 0;
	assert_int_equal(ad_foreach_exact(adv, 9, &s), 3);
	/* Empty and all-padding data hold no structure */
	s.n = 0;
	assert_int_equal(ad_foreach_exact(adv, 0, &s), 0);
	assert_int_equal(ad_foreach_exact(adv + 9, 2, &s), 0);
	assert_int_equal(s.n, 0);
	/* A structure running past the end fails the whole buffer... */
	assert_int_equal(ad_foreach_exact(past_end, sizeof(past_end), &s), MESH_ERR_TRUNCATED);
	/* ...as does a lone length octet, and every cut inside a structure */
	assert_int_equal(ad_foreach_exact(adv, 1, &s), MESH_ERR_TRUNCATED);
	for (size_t cut = 1; cut < 9; cut++) {
		if (cut == 3 || cut == 5)
			continue;
		assert_int_equal(ad_foreach_exact(adv, cut, &s), MESH_ERR_TRUNCATED);
	}
	/* ...and nothing was delivered before the failure was found. */
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_opcode_names),
		cmocka_unit_test(test_cmd_build_parse),
		cmocka_unit_test(test_cmd_parse_rejects),
		cmocka_unit_test(test_adv_params),
		cmocka_unit_test(test_scan_params),
		cmocka_unit_test(test_adv_data_encode),
		cmocka_unit_test(test_interval_units),
		cmocka_unit_test(test_cmd_complete),
		cmocka_unit_test(test_cmd_status_hw_error_meta),
		cmocka_unit_test(test_evt_parse_rejects),
		cmocka_unit_test(test_adv_report_two),
		cmocka_unit_test(test_adv_report_rejects),
		cmocka_unit_test(test_adv_report_build),
		cmocka_unit_test(test_adv_tx_check_and_build),
		cmocka_unit_test(test_ad_foreach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
