/*
 * The virtual HCI controller (mesh/sim/vctrl.h) driven byte by byte: the
 * test plays the host on the other end of a socketpair (or a pty, or a
 * Unix socket), writes raw H4 commands and checks the raw events that come
 * back, and what the controller puts on the simulated air.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "mesh/bearer/hci_codec.h"
#include "mesh/err.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/vctrl.h"
#include "mesh/sim/world.h"
#include "sim_helpers.h"
#include "uv_helpers.h"

#define PEER_RSSI (-55)
#define IN_MAX 8192
#define AIR_MAX 64
#define EVT_WAIT_MS 1000

struct fx {
	uv_loop_t loop;
	struct test_log log;
	struct sim_scenario sc;
	struct sim_world *w;
	struct sim_device *ctrl, *peer;
	struct sim_vctrl *vc;
	int host;                 /* the test's end of the link */
	uint8_t in[IN_MAX];       /* what the host received, not yet consumed */
	size_t in_len;
	size_t want;
	struct sim_test_air air[AIR_MAX];
	size_t n_air;
	size_t peer_rx;
	unsigned int cmds_seen;
	uint16_t last_opcode;
	char dir[64];
};

/* ---- observers ----------------------------------------------------------- */

static void on_air(void *ctx, const struct sim_device *from, const uint8_t *adv, size_t len)
{
	struct fx *f = ctx;

	sim_test_air_append(f->air, &f->n_air, AIR_MAX, from, adv, len);
}

static void on_rx(void *ctx, const struct sim_device *to, const struct sim_device *from,
		  const uint8_t *adv, size_t len, int8_t rssi)
{
	struct fx *f = ctx;

	(void)from;
	(void)adv;
	(void)len;
	(void)rssi;
	if (to == f->peer)
		f->peer_rx++;
}

static void on_command(void *ctx, uint16_t opcode, const uint8_t *params, size_t len)
{
	struct fx *f = ctx;

	(void)params;
	(void)len;
	f->cmds_seen++;
	f->last_opcode = opcode;
}

/* ---- set-up -------------------------------------------------------------- */

static void set_nonblock(int fd)
{
	assert_true(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
}

/* A controller and a node 'peer' linked to it; no host link yet. */
static struct fx *fx_world(void)
{
	static const struct sim_world_observer obs_template = { .on_air = on_air, .on_rx = on_rx };
	struct sim_world_observer obs = obs_template;
	struct fx *f = calloc(1, sizeof(*f));
	struct sim_device_desc *peer;

	assert_non_null(f);
	f->host = -1;
	test_log_start(&f->log);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	sim_scenario_init(&f->sc);
	f->sc.tx_delay_max_ms = 2;
	assert_non_null(sim_scenario_add_device(&f->sc, "ctrl", SIM_DEVICE_CONTROLLER));
	peer = sim_scenario_add_device(&f->sc, "peer", SIM_DEVICE_NODE);
	assert_non_null(peer);
	peer->beacon_interval_ms = 3600000;
	assert_non_null(sim_scenario_add_link(&f->sc, "ctrl", "peer", 0.0, PEER_RSSI));
	assert_int_equal(sim_world_create(&f->w, &f->loop, &f->sc), 0);
	obs.ctx = f;
	sim_world_set_observer(f->w, &obs);
	f->ctrl = sim_world_find(f->w, "ctrl");
	f->peer = sim_world_find(f->w, "peer");
	f->vc = sim_vctrl_of(f->ctrl);
	assert_non_null(f->vc);
	assert_null(sim_vctrl_of(f->peer));
	sim_vctrl_set_command_observer(f->vc, on_command, f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/meshgate-vctrl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	return f;
}

/* ... with the host on a socketpair, world started. */
static struct fx *fx_new(void)
{
	struct fx *f = fx_world();
	int fds[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(sim_vctrl_attach_fd(f->vc, fds[0]), 0);
	f->host = fds[1];
	set_nonblock(f->host);
	assert_int_equal(sim_world_start(f->w), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	sim_world_destroy(f->w);
	if (f->host >= 0)
		close(f->host);
	assert_true(test_uv_loop_close(&f->loop));
	sim_scenario_free(&f->sc);
	rmdir(f->dir);
	test_log_stop(&f->log);
	free(f);
}

/* ---- the host's side ----------------------------------------------------- */

static void host_write(struct fx *f, const uint8_t *bytes, size_t len)
{
	assert_int_equal(write(f->host, bytes, len), (ssize_t)len);
}

static void host_cmd(struct fx *f, uint16_t opcode, const uint8_t *params, size_t plen)
{
	uint8_t pkt[4 + 255];

	pkt[0] = HCI_H4_CMD;
	pkt[1] = (uint8_t)opcode;
	pkt[2] = (uint8_t)(opcode >> 8);
	pkt[3] = (uint8_t)plen;
	if (plen)
		memcpy(pkt + 4, params, plen);
	host_write(f, pkt, 4 + plen);
}

static void host_pull(struct fx *f)
{
	ssize_t n;

	while (f->in_len < IN_MAX &&
	       (n = read(f->host, f->in + f->in_len, IN_MAX - f->in_len)) > 0)
		f->in_len += (size_t)n;
}

static bool host_has_want(void *ctx)
{
	struct fx *f = ctx;

	host_pull(f);
	return f->in_len >= f->want;
}

/* Wait for n octets; true if they came. */
static bool host_wait(struct fx *f, size_t n, unsigned int ms)
{
	f->want = n;
	return test_uv_run_until(&f->loop, host_has_want, f, ms);
}

static void host_consume(struct fx *f, size_t n)
{
	memmove(f->in, f->in + n, f->in_len - n);
	f->in_len -= n;
}

/* The next whole event (type octet checked and stripped); its length. */
static size_t host_event(struct fx *f, uint8_t *evt)
{
	size_t len;

	assert_true(host_wait(f, 3, EVT_WAIT_MS));
	assert_int_equal(f->in[0], HCI_H4_EVT);
	len = 2u + f->in[2];
	assert_true(host_wait(f, 1 + len, EVT_WAIT_MS));
	memcpy(evt, f->in + 1, len);
	host_consume(f, 1 + len);
	return len;
}

/* Expect Command Complete for opcode with status; returns its length. */
static size_t expect_complete(struct fx *f, uint16_t opcode, uint8_t status, uint8_t *evt)
{
	uint8_t buf[HCI_MAX_EVT_LEN];
	uint8_t *e = evt ? evt : buf;
	size_t len = host_event(f, e);

	assert_int_equal(e[0], HCI_EVT_CMD_COMPLETE);
	assert_true(len >= 6);
	assert_int_equal(e[2], 1);  /* one credit, always */
	assert_int_equal(e[3] | e[4] << 8, opcode);
	assert_int_equal(e[5], status);
	return len;
}

static void cmd_ok(struct fx *f, uint16_t opcode, const uint8_t *params, size_t plen)
{
	host_cmd(f, opcode, params, plen);
	expect_complete(f, opcode, HCI_SUCCESS, NULL);
}

static void cmd_status(struct fx *f, uint16_t opcode, const uint8_t *params, size_t plen,
		       uint8_t status)
{
	host_cmd(f, opcode, params, plen);
	expect_complete(f, opcode, status, NULL);
}

/* Nothing arrives within ms. */
static void host_silent(struct fx *f, unsigned int ms)
{
	assert_false(host_wait(f, f->in_len + 1, ms));
}

static void run_ms(struct fx *f, unsigned int ms)
{
	test_uv_run_until(&f->loop, NULL, NULL, ms);
}

/* ---- parameter blocks ---------------------------------------------------- */

static void adv_params(uint8_t out[15], uint16_t min, uint16_t max, uint8_t type, uint8_t chmap)
{
	struct hci_adv_params p = {
		.interval_min = min, .interval_max = max, .type = type,
		.own_addr_type = HCI_ADDR_RANDOM, .channel_map = chmap,
	};

	hci_adv_params_encode(&p, out);
}

static const uint8_t random_addr[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6 };
static const uint8_t scan_on[2] = { 1, 0 };
static const uint8_t scan_off[2] = { 0, 0 };
static const uint8_t on[1] = { 1 };
static const uint8_t off[1] = { 0 };
/* Default mask plus LE Meta (bit 61). */
static const uint8_t mask_le_meta[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x20 };

/* ---- tests --------------------------------------------------------------- */

static void test_reset(void **state)
{
	static const uint8_t reset[] = { 0x01, 0x03, 0x0c, 0x00 };
	static const uint8_t answer[] = { 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	struct fx *f = fx_new();

	(void)state;
	host_write(f, reset, sizeof(reset));
	assert_true(host_wait(f, sizeof(answer), EVT_WAIT_MS));
	assert_int_equal(f->in_len, sizeof(answer));
	assert_memory_equal(f->in, answer, sizeof(answer));
	assert_int_equal(sim_vctrl_stats(f->vc)->resets, 1);
	assert_int_equal(sim_vctrl_stats(f->vc)->commands, 1);
	assert_int_equal(sim_vctrl_stats(f->vc)->credit_violations, 0);
	assert_int_equal(f->cmds_seen, 1);
	assert_int_equal(f->last_opcode, HCI_OP_RESET);
	fx_free(f);
}

static void test_informational(void **state)
{
	struct fx *f = fx_new();
	uint8_t evt[HCI_MAX_EVT_LEN];

	(void)state;
	host_cmd(f, HCI_OP_READ_LOCAL_VERSION, NULL, 0);
	assert_int_equal(expect_complete(f, HCI_OP_READ_LOCAL_VERSION, 0, evt), 6 + 8);
	assert_int_equal(evt[6], 0x0b);                   /* HCI 5.2 */
	assert_int_equal(evt[10] | evt[11] << 8, 0x05f1); /* manufacturer */

	host_cmd(f, HCI_OP_READ_LOCAL_COMMANDS, NULL, 0);
	assert_int_equal(expect_complete(f, HCI_OP_READ_LOCAL_COMMANDS, 0, evt), 6 + 64);
	assert_true(evt[6 + 5] & 0x80);   /* Reset */
	assert_true(evt[6 + 26] & 0x08);  /* LE Set Scan Enable */
	assert_int_equal(evt[6 + 0], 0);  /* no Inquiry */

	host_cmd(f, HCI_OP_READ_LOCAL_FEATURES, NULL, 0);
	assert_int_equal(expect_complete(f, HCI_OP_READ_LOCAL_FEATURES, 0, evt), 6 + 8);
	assert_true(evt[6 + 4] & 0x40);   /* LE Supported (Controller) */

	host_cmd(f, HCI_OP_READ_BD_ADDR, NULL, 0);
	assert_int_equal(expect_complete(f, HCI_OP_READ_BD_ADDR, 0, evt), 6 + 6);
	host_cmd(f, HCI_OP_LE_READ_BUFFER_SIZE, NULL, 0);
	assert_int_equal(expect_complete(f, HCI_OP_LE_READ_BUFFER_SIZE, 0, evt), 6 + 3);
	host_cmd(f, HCI_OP_LE_READ_LOCAL_FEATURES, NULL, 0);
	assert_int_equal(expect_complete(f, HCI_OP_LE_READ_LOCAL_FEATURES, 0, evt), 6 + 8);
	assert_int_equal(sim_vctrl_stats(f->vc)->unknown_commands, 0);
	fx_free(f);
}

static void test_unknown_and_bad_length(void **state)
{
	static const uint8_t name[3] = { 'a', 'b', 'c' };
	struct fx *f = fx_new();

	(void)state;
	cmd_status(f, 0x0c13, name, sizeof(name), HCI_ERR_UNKNOWN_COMMAND); /* Write Local Name */
	cmd_status(f, 0xfc01, NULL, 0, HCI_ERR_UNKNOWN_COMMAND);            /* vendor */
	assert_int_equal(sim_vctrl_stats(f->vc)->unknown_commands, 2);
	cmd_status(f, HCI_OP_RESET, on, 1, HCI_ERR_INVALID_PARAMS);
	cmd_status(f, HCI_OP_LE_SET_RANDOM_ADDR, random_addr, 5, HCI_ERR_INVALID_PARAMS);
	assert_int_equal(sim_vctrl_stats(f->vc)->resets, 0);
	assert_int_equal(sim_vctrl_stats(f->vc)->credit_violations, 0);
	fx_free(f);
}

static void test_adv_params_validated(void **state)
{
	struct fx *f = fx_new();
	uint8_t p[15];

	(void)state;
	adv_params(p, 0x0010, 0x0020, HCI_ADV_NONCONN_IND, 0x07);  /* below 20 ms */
	cmd_status(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15, HCI_ERR_INVALID_PARAMS);
	adv_params(p, 0x0040, 0x0030, HCI_ADV_NONCONN_IND, 0x07);  /* min > max */
	cmd_status(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15, HCI_ERR_INVALID_PARAMS);
	adv_params(p, 0x0020, 0x4001, HCI_ADV_NONCONN_IND, 0x07);  /* above 10.24 s */
	cmd_status(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15, HCI_ERR_INVALID_PARAMS);
	adv_params(p, 0x0020, 0x0020, 0x05, 0x07);                 /* no such type */
	cmd_status(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15, HCI_ERR_INVALID_PARAMS);
	adv_params(p, 0x0020, 0x0020, HCI_ADV_NONCONN_IND, 0x00);  /* no channel */
	cmd_status(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15, HCI_ERR_INVALID_PARAMS);
	cmd_status(f, HCI_OP_LE_SET_ADV_PARAMS, p, 14, HCI_ERR_INVALID_PARAMS);
	adv_params(p, 0x0020, 0x0020, HCI_ADV_NONCONN_IND, 0x07);
	cmd_ok(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15);
	fx_free(f);
}

static void test_disallowed(void **state)
{
	struct fx *f = fx_new();
	uint8_t p[15];
	uint8_t data[32] = { 3, 2, 0x2a, 0x01 };

	(void)state;
	cmd_ok(f, HCI_OP_LE_SET_SCAN_ENABLE, scan_on, 2);
	assert_true(sim_vctrl_scanning(f->vc));
	cmd_status(f, HCI_OP_LE_SET_RANDOM_ADDR, random_addr, 6, HCI_ERR_COMMAND_DISALLOWED);
	cmd_status(f, HCI_OP_LE_SET_SCAN_PARAMS, (const uint8_t[7]){ 0, 0x30, 0, 0x30, 0, 1, 0 },
		   7, HCI_ERR_COMMAND_DISALLOWED);
	cmd_ok(f, HCI_OP_LE_SET_SCAN_ENABLE, scan_off, 2);
	cmd_ok(f, HCI_OP_LE_SET_RANDOM_ADDR, random_addr, 6);

	/* Advertising with a random address needs one; params are fixed
	 * while advertising. */
	adv_params(p, 0x0020, 0x0020, HCI_ADV_NONCONN_IND, 0x07);
	cmd_ok(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15);
	cmd_ok(f, HCI_OP_LE_SET_ADV_DATA, data, 32);
	cmd_ok(f, HCI_OP_LE_SET_ADV_ENABLE, on, 1);
	cmd_status(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15, HCI_ERR_COMMAND_DISALLOWED);
	cmd_status(f, HCI_OP_LE_SET_RANDOM_ADDR, random_addr, 6, HCI_ERR_COMMAND_DISALLOWED);
	cmd_status(f, HCI_OP_LE_SET_ADV_ENABLE, (const uint8_t[1]){ 2 }, 1,
		   HCI_ERR_INVALID_PARAMS);
	data[0] = 32;
	cmd_status(f, HCI_OP_LE_SET_ADV_DATA, data, 32, HCI_ERR_INVALID_PARAMS);
	cmd_ok(f, HCI_OP_LE_SET_ADV_ENABLE, off, 1);

	/* Reset forgets the random address. */
	cmd_ok(f, HCI_OP_RESET, NULL, 0);
	cmd_ok(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15);
	cmd_status(f, HCI_OP_LE_SET_ADV_ENABLE, on, 1, HCI_ERR_INVALID_PARAMS);
	assert_false(sim_vctrl_advertising(f->vc));
	fx_free(f);
}

static size_t air_from(const struct fx *f, const struct sim_device *d)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n_air; i++)
		n += f->air[i].from == d->index;
	return n;
}

static void test_advertising_on_air(void **state)
{
	static const uint8_t mesh_ad[] = { 5, 0x2a, 0xde, 0xad, 0xbe, 0xef };
	struct fx *f = fx_new();
	uint8_t p[15], data[32];

	(void)state;
	assert_int_equal(hci_adv_data_encode(mesh_ad, sizeof(mesh_ad), data), 32);
	cmd_ok(f, HCI_OP_LE_SET_RANDOM_ADDR, random_addr, 6);
	adv_params(p, 0x00a0, 0x00a0, HCI_ADV_NONCONN_IND, 0x07);  /* 100 ms */
	cmd_ok(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15);
	cmd_ok(f, HCI_OP_LE_SET_ADV_DATA, data, 32);
	assert_int_equal(air_from(f, f->ctrl), 0);

	cmd_ok(f, HCI_OP_LE_SET_ADV_ENABLE, on, 1);
	assert_true(sim_vctrl_advertising(f->vc));
	assert_int_equal(air_from(f, f->ctrl), 1);   /* at once */
	assert_int_equal(f->air[0].len, sizeof(mesh_ad));
	assert_memory_equal(f->air[0].adv, mesh_ad, sizeof(mesh_ad));
	run_ms(f, 60);
	assert_int_equal(air_from(f, f->ctrl), 1);
	run_ms(f, 80);                                /* 140 ms: the second */
	assert_int_equal(air_from(f, f->ctrl), 2);
	assert_int_equal(f->peer_rx, 2);
	/* Enabling again changes nothing. */
	cmd_ok(f, HCI_OP_LE_SET_ADV_ENABLE, on, 1);
	assert_int_equal(air_from(f, f->ctrl), 2);

	cmd_ok(f, HCI_OP_LE_SET_ADV_ENABLE, off, 1);
	assert_false(sim_vctrl_advertising(f->vc));
	run_ms(f, 250);
	assert_int_equal(air_from(f, f->ctrl), 2);
	assert_int_equal(sim_vctrl_stats(f->vc)->adv_events, 2);
	fx_free(f);
}

/* 7.8.11 / 7.8.9: scanning or advertising from a random own address
 * (0x01, or 0x03 with no resolving list entry) needs LE Set Random
 * Address first, or the enable fails with Invalid Parameters. */
static void test_random_address_required(void **state)
{
	static const uint8_t scan_random[7] = { 0, 0x30, 0, 0x30, 0, HCI_ADDR_RANDOM, 0 };
	static const uint8_t scan_rpa[7] = { 0, 0x30, 0, 0x30, 0, 0x03, 0 };
	struct fx *f = fx_new();
	uint8_t p[15];

	(void)state;
	cmd_ok(f, HCI_OP_LE_SET_SCAN_PARAMS, scan_random, 7);
	cmd_status(f, HCI_OP_LE_SET_SCAN_ENABLE, scan_on, 2, HCI_ERR_INVALID_PARAMS);
	assert_false(sim_vctrl_scanning(f->vc));
	cmd_ok(f, HCI_OP_LE_SET_SCAN_PARAMS, scan_rpa, 7);
	cmd_status(f, HCI_OP_LE_SET_SCAN_ENABLE, scan_on, 2, HCI_ERR_INVALID_PARAMS);
	cmd_ok(f, HCI_OP_LE_SET_SCAN_ENABLE, scan_off, 2);   /* disabling is always fine */

	adv_params(p, 0x0020, 0x0020, HCI_ADV_NONCONN_IND, 0x07);
	p[5] = 0x03;                                          /* RPA, random fallback */
	cmd_ok(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15);
	cmd_status(f, HCI_OP_LE_SET_ADV_ENABLE, on, 1, HCI_ERR_INVALID_PARAMS);
	assert_false(sim_vctrl_advertising(f->vc));

	cmd_ok(f, HCI_OP_LE_SET_RANDOM_ADDR, random_addr, 6);
	cmd_ok(f, HCI_OP_LE_SET_SCAN_ENABLE, scan_on, 2);
	assert_true(sim_vctrl_scanning(f->vc));
	cmd_ok(f, HCI_OP_LE_SET_ADV_ENABLE, on, 1);
	assert_true(air_from(f, f->ctrl) >= 1);
	fx_free(f);
}

static void peer_transmit(struct fx *f, const uint8_t *adv, size_t len)
{
	sim_world_transmit(f->w, f->peer, adv, len);
}

static void test_scan_reports(void **state)
{
	static const uint8_t mesh_ad[] = { 4, 0x2a, 0x01, 0x02, 0x03 };
	struct fx *f = fx_new();
	uint8_t evt[HCI_MAX_EVT_LEN];
	size_t len;

	(void)state;
	cmd_ok(f, HCI_OP_SET_EVENT_MASK, mask_le_meta, 8);
	cmd_ok(f, HCI_OP_LE_SET_SCAN_ENABLE, scan_on, 2);
	peer_transmit(f, mesh_ad, sizeof(mesh_ad));
	len = host_event(f, evt);
	assert_int_equal(len, 2 + 1 + 1 + 1 + 1 + 6 + 1 + sizeof(mesh_ad) + 1);
	assert_int_equal(evt[0], HCI_EVT_LE_META);
	assert_int_equal(evt[2], HCI_LE_SUBEVT_ADV_REPORT);
	assert_int_equal(evt[3], 1);                         /* one report */
	assert_int_equal(evt[4], HCI_REPORT_ADV_NONCONN_IND);
	assert_int_equal(evt[5], HCI_ADDR_RANDOM);
	assert_memory_equal(evt + 6, f->peer->addr, 6);
	assert_int_equal(evt[12], sizeof(mesh_ad));
	assert_memory_equal(evt + 13, mesh_ad, sizeof(mesh_ad));
	assert_int_equal((int8_t)evt[13 + sizeof(mesh_ad)], PEER_RSSI);
	assert_int_equal(sim_vctrl_stats(f->vc)->reports, 1);

	/* Scanning off: nothing. */
	cmd_ok(f, HCI_OP_LE_SET_SCAN_ENABLE, scan_off, 2);
	peer_transmit(f, mesh_ad, sizeof(mesh_ad));
	host_silent(f, 60);
	fx_free(f);
}

static void test_reports_masked(void **state)
{
	static const uint8_t mesh_ad[] = { 4, 0x2a, 0x01, 0x02, 0x03 };
	static const uint8_t le_no_reports[8] = { 0x1d };
	struct fx *f = fx_new();

	(void)state;
	/* The default event mask leaves LE Meta out. */
	cmd_ok(f, HCI_OP_LE_SET_SCAN_ENABLE, scan_on, 2);
	peer_transmit(f, mesh_ad, sizeof(mesh_ad));
	host_silent(f, 60);
	/* LE Meta on, the report bit of the LE mask off. */
	cmd_ok(f, HCI_OP_SET_EVENT_MASK, mask_le_meta, 8);
	cmd_ok(f, HCI_OP_LE_SET_EVENT_MASK, le_no_reports, 8);
	peer_transmit(f, mesh_ad, sizeof(mesh_ad));
	host_silent(f, 60);
	assert_int_equal(sim_vctrl_stats(f->vc)->reports, 0);
	assert_int_equal(f->ctrl->rx_count, 2);  /* it did hear them */
	fx_free(f);
}

/* A controller scanning while it advertises does not hear itself. */
static void test_no_self_reception(void **state)
{
	static const uint8_t mesh_ad[] = { 3, 0x2a, 0x77, 0x78 };
	struct fx *f = fx_new();
	uint8_t p[15], data[32];

	(void)state;
	hci_adv_data_encode(mesh_ad, sizeof(mesh_ad), data);
	cmd_ok(f, HCI_OP_SET_EVENT_MASK, mask_le_meta, 8);
	cmd_ok(f, HCI_OP_LE_SET_RANDOM_ADDR, random_addr, 6);
	adv_params(p, 0x0020, 0x0020, HCI_ADV_NONCONN_IND, 0x07);
	cmd_ok(f, HCI_OP_LE_SET_ADV_PARAMS, p, 15);
	cmd_ok(f, HCI_OP_LE_SET_ADV_DATA, data, 32);
	cmd_ok(f, HCI_OP_LE_SET_SCAN_ENABLE, scan_on, 2);
	cmd_ok(f, HCI_OP_LE_SET_ADV_ENABLE, on, 1);
	run_ms(f, 100);
	cmd_ok(f, HCI_OP_LE_SET_ADV_ENABLE, off, 1);
	assert_true(air_from(f, f->ctrl) >= 3);
	host_silent(f, 30);
	assert_int_equal(sim_vctrl_stats(f->vc)->reports, 0);
	fx_free(f);
}

static void test_inject(void **state)
{
	static const uint8_t junk[] = { 0x7f, 0x00, 0x04, 0x0e, 0xff, 0x42 };
	struct fx *f = fx_new();

	(void)state;
	sim_vctrl_inject(f->vc, junk, sizeof(junk));
	assert_true(host_wait(f, sizeof(junk), EVT_WAIT_MS));
	assert_int_equal(f->in_len, sizeof(junk));
	assert_memory_equal(f->in, junk, sizeof(junk));
	fx_free(f);
}

static void test_mute(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	sim_vctrl_set_mute(f->vc, true);
	host_cmd(f, HCI_OP_RESET, NULL, 0);
	host_silent(f, 100);
	assert_int_equal(sim_vctrl_stats(f->vc)->commands, 1);
	assert_int_equal(f->cmds_seen, 1);  /* read, not answered */
	assert_int_equal(sim_vctrl_stats(f->vc)->resets, 0);

	/* The host never got its credit back: the next command breaks the rule. */
	sim_vctrl_set_mute(f->vc, false);
	cmd_ok(f, HCI_OP_RESET, NULL, 0);
	assert_int_equal(sim_vctrl_stats(f->vc)->credit_violations, 1);
	cmd_ok(f, HCI_OP_RESET, NULL, 0);
	assert_int_equal(sim_vctrl_stats(f->vc)->credit_violations, 1);
	fx_free(f);
}

/* Two commands in one write: the second was sent without a credit. */
static void test_credit_violation(void **state)
{
	static const uint8_t two[] = { 0x01, 0x03, 0x0c, 0x00, 0x01, 0x01, 0x10, 0x00 };
	struct fx *f = fx_new();

	(void)state;
	host_write(f, two, sizeof(two));
	expect_complete(f, HCI_OP_RESET, 0, NULL);
	expect_complete(f, HCI_OP_READ_LOCAL_VERSION, 0, NULL);
	assert_int_equal(sim_vctrl_stats(f->vc)->credit_violations, 1);
	fx_free(f);
}

static void test_hardware_error(void **state)
{
	static const uint8_t expect[] = { 0x04, 0x10, 0x01, 0x42 };
	static const uint8_t no_hw_error[8] = { 0xff, 0x7f, 0xff, 0xff, 0xff, 0x1f, 0, 0 };
	struct fx *f = fx_new();

	(void)state;
	sim_vctrl_hardware_error(f->vc, 0x42);
	assert_true(host_wait(f, sizeof(expect), EVT_WAIT_MS));
	assert_memory_equal(f->in, expect, sizeof(expect));
	host_consume(f, sizeof(expect));
	/* Masked (bit 15): not sent. */
	cmd_ok(f, HCI_OP_SET_EVENT_MASK, no_hw_error, 8);
	sim_vctrl_hardware_error(f->vc, 0x43);
	host_silent(f, 50);
	fx_free(f);
}

/* The host closing its end is a lost link, not a crash; a new attach works. */
static void test_host_goes_away(void **state)
{
	struct fx *f = fx_new();
	int fds[2];

	(void)state;
	close(f->host);
	f->host = -1;
	run_ms(f, 30);
	assert_true(test_log_has(&f->log, "host link lost"));
	sim_vctrl_inject(f->vc, (const uint8_t *)"x", 1);  /* nowhere to go: dropped */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(sim_vctrl_attach_fd(f->vc, fds[0]), 0);
	f->host = fds[1];
	set_nonblock(f->host);
	cmd_ok(f, HCI_OP_RESET, NULL, 0);
	fx_free(f);
}

/* ---- pty with a symlink -------------------------------------------------- */

static int open_slave(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);

	assert_true(fd >= 0);
	return fd;
}

static void link_target(const char *link, char *out, size_t size)
{
	ssize_t n = readlink(link, out, size - 1);

	assert_true(n > 0);
	out[n] = '\0';
}

/* The host hangs up or errors on a pty whose master went away. */
static bool slave_hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t b;

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLHUP | POLLERR))
		return true;
	return read(fd, &b, 1) <= 0 && errno == EIO;
}

static void test_pty_symlink(void **state)
{
	static const uint8_t answer[] = { 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	struct fx *f = fx_world();
	char link[128], slave[64], slave2[64], target[128];
	int old;

	(void)state;
	snprintf(link, sizeof(link), "%s/ttyMESH0", f->dir);
	assert_int_equal(sim_vctrl_open_pty(f->vc, link, slave, sizeof(slave)), 0);
	assert_int_equal(sim_world_start(f->w), 0);
	link_target(link, target, sizeof(target));
	assert_string_equal(target, slave);

	/* The host talks H4 through the symlink. */
	f->host = open_slave(link);
	cmd_ok(f, HCI_OP_RESET, NULL, 0);

	/* Unplugged: the host sees a hangup, the symlink is gone. */
	sim_vctrl_detach(f->vc);
	run_ms(f, 20);
	assert_true(slave_hung_up(f->host));
	assert_true(access(link, F_OK) != 0);

	/* Plugged in again: a new pty (the old slave is still open, so its
	 * number cannot be reused), the symlink points at it. */
	old = f->host;
	assert_int_equal(sim_vctrl_open_pty(f->vc, link, slave2, sizeof(slave2)), 0);
	assert_string_not_equal(slave, slave2);
	link_target(link, target, sizeof(target));
	assert_string_equal(target, slave2);
	close(old);
	f->host = open_slave(link);
	host_cmd(f, HCI_OP_RESET, NULL, 0);
	assert_true(host_wait(f, sizeof(answer), EVT_WAIT_MS));
	assert_memory_equal(f->in, answer, sizeof(answer));
	host_consume(f, sizeof(answer));

	/* A host may close and reopen the slave: the controller stays. */
	close(f->host);
	f->host = open_slave(link);
	cmd_ok(f, HCI_OP_RESET, NULL, 0);

	/* open_pty again without a detach replaces the symlink in place. */
	assert_int_equal(sim_vctrl_open_pty(f->vc, link, slave, sizeof(slave)), 0);
	link_target(link, target, sizeof(target));
	assert_string_equal(target, slave);
	close(f->host);
	f->host = -1;
	fx_free(f);
	/* Destroying the world removed the symlink it made. */
	assert_true(access(link, F_OK) != 0);
}

/* A path that is not a symlink is never replaced. */
static void test_pty_link_not_clobbered(void **state)
{
	struct fx *f = fx_world();
	char path[128];
	struct stat st;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/ttyACM0", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(sim_vctrl_open_pty(f->vc, path, NULL, 0), MESH_ERR_IO);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(test_log_has(&f->log, "cannot link"));
	unlink(path);
	fx_free(f);
}

/* ---- Unix socket --------------------------------------------------------- */

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	set_nonblock(fd);
	return fd;
}

static bool peer_closed(void *ctx)
{
	int *fd = ctx;
	uint8_t b;

	return read(*fd, &b, 1) == 0;
}

static void test_unix_socket(void **state)
{
	struct fx *f = fx_world();
	char path[128];
	int second;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/hci.sock", f->dir);
	assert_int_equal(sim_vctrl_listen_unix(f->vc, path), 0);
	assert_int_equal(sim_world_start(f->w), 0);
	f->host = unix_connect(path);
	cmd_ok(f, HCI_OP_RESET, NULL, 0);

	/* One host at a time: a second connection is closed. */
	second = unix_connect(path);
	assert_true(test_uv_run_until(&f->loop, peer_closed, &second, EVT_WAIT_MS));
	close(second);

	/* The first host leaves; the next one is served. */
	close(f->host);
	run_ms(f, 20);
	f->host = unix_connect(path);
	cmd_ok(f, HCI_OP_RESET, NULL, 0);
	assert_int_equal(sim_vctrl_stats(f->vc)->resets, 2);
	close(f->host);
	f->host = -1;
	fx_free(f);
	assert_true(stat(path, &st) != 0);  /* the socket file is removed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_informational),
		cmocka_unit_test(test_unknown_and_bad_length),
		cmocka_unit_test(test_adv_params_validated),
		cmocka_unit_test(test_disallowed),
		cmocka_unit_test(test_random_address_required),
		cmocka_unit_test(test_advertising_on_air),
		cmocka_unit_test(test_scan_reports),
		cmocka_unit_test(test_reports_masked),
		cmocka_unit_test(test_no_self_reception),
		cmocka_unit_test(test_inject),
		cmocka_unit_test(test_mute),
		cmocka_unit_test(test_credit_violation),
		cmocka_unit_test(test_hardware_error),
		cmocka_unit_test(test_host_goes_away),
		cmocka_unit_test(test_pty_symlink),
		cmocka_unit_test(test_pty_link_not_clobbered),
		cmocka_unit_test(test_unix_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
