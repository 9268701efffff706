/*
 * The HCI user channel transport: adapter names, the advice given for each
 * way opening can fail, and a real open on this machine, whose kernel has
 * no Bluetooth sockets, failing with that advice logged and nothing left
 * on the loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "mesh/bearer/hci_user.h"
#include "mesh/err.h"
#include "uv_helpers.h"

static void test_parse_name(void **state)
{
	int index = -1;

	(void)state;
	assert_int_equal(hci_user_parse_name("hci0", &index), 0);
	assert_int_equal(index, 0);
	assert_int_equal(hci_user_parse_name("hci12", &index), 0);
	assert_int_equal(index, 12);
	assert_int_equal(hci_user_parse_name("hci65534", &index), 0);
	assert_int_equal(index, 65534);

	assert_int_equal(hci_user_parse_name(NULL, &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("", &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("hci", &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("hci-1", &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("hci+1", &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("hci01", &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("hci1x", &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("hci 1", &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("HCI0", &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("0", &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("hci65535", &index), MESH_ERR_INVAL);
	assert_int_equal(hci_user_parse_name("hci99999999999999999999", &index),
			 MESH_ERR_INVAL);
}

static void explain(int err, const char *stage, int dev, char *buf, size_t size)
{
	memset(buf, 'x', size);
	hci_user_explain(err, stage, dev, buf, size);
	assert_non_null(memchr(buf, '\0', size));
}

static void assert_has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("\"%s\" not in \"%s\"", needle, text);
}

static void test_explain(void **state)
{
	char buf[512];

	(void)state;
	explain(EAFNOSUPPORT, "socket", 0, buf, sizeof(buf));
	assert_has(buf, "cannot open hci0 (socket: ");
	assert_has(buf, "no Bluetooth");
	assert_has(buf, "bluetooth");
	assert_has(buf, "container");
	assert_has(buf, "UART");
	assert_has(buf, "simulator");

	explain(ENODEV, "bind", 3, buf, sizeof(buf));
	assert_has(buf, "hci3");
	assert_has(buf, "no such adapter");
	assert_has(buf, "ls /sys/class/bluetooth");

	explain(EBUSY, "bind", 1, buf, sizeof(buf));
	assert_has(buf, "bluetoothd");
	assert_has(buf, "systemctl stop bluetooth");
	assert_has(buf, "btmgmt -i hci1 power off");
	assert_has(buf, "hciconfig hci1 down");

	explain(EPERM, "bind", 0, buf, sizeof(buf));
	assert_has(buf, "CAP_NET_ADMIN");
	assert_has(buf, "root");
	assert_has(buf, "setcap cap_net_admin,cap_net_raw+ep");
	assert_has(buf, "--cap-add NET_ADMIN --cap-add NET_RAW --net host");
	explain(EACCES, "socket", 0, buf, sizeof(buf));
	assert_has(buf, "CAP_NET_ADMIN");

	explain(ERFKILL, "bind", 0, buf, sizeof(buf));
	assert_has(buf, "rfkill unblock bluetooth");

	explain(EUSERS, "bind", 0, buf, sizeof(buf));
	assert_has(buf, "already holds");

	/* Anything else: the stage and the system's words for the errno. */
	explain(EMFILE, "socket", 0, buf, sizeof(buf));
	assert_has(buf, "cannot open hci0 (socket: ");
	assert_has(buf, strerror(EMFILE));

	/* A negative errno reads the same; a small buffer is cut, not
	 * overrun. */
	explain(-EBUSY, "bind", 0, buf, sizeof(buf));
	assert_has(buf, "bluetoothd");
	explain(EBUSY, "bind", 0, buf, 24);
	assert_int_equal(strlen(buf), 23);
	explain(EBUSY, "bind", 0, buf, 1);
	assert_int_equal(buf[0], '\0');
}

static void test_init(void **state)
{
	struct hci_user h;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(hci_user_init(&h, &loop, -1), MESH_ERR_INVAL);
	assert_int_equal(hci_user_init(&h, &loop, 7), 0);
	assert_string_equal(h.transport.name, "hci7");
	assert_null(h.transport.ops->reopen);
	/* Closed without having been opened: nothing to do, nothing left. */
	assert_int_equal(hci_transport_write(&h.transport, 0x01, (const uint8_t *)"\x03\x0c\x00",
					     3), MESH_ERR_DOWN);
	hci_transport_close(&h.transport);
	assert_true(test_uv_loop_close(&loop));
}

static int ups, downs;

static void count_up(void *ctx)
{
	(void)ctx;
	ups++;
}

static void count_down(void *ctx, int err)
{
	(void)ctx;
	(void)err;
	downs++;
}

/* This machine's kernel has no AF_BLUETOOTH: opening must fail, say so in
 * words a user can act on, and leave no handle behind. */
static void test_open_without_bluetooth(void **state)
{
	struct test_log log;
	struct hci_user h;
	uv_loop_t loop;
	int rc;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	test_log_start(&log);
	assert_int_equal(hci_user_init(&h, &loop, 0), 0);
	h.transport.on_up = count_up;
	h.transport.on_down = count_down;
	rc = hci_transport_open(&h.transport);
	if (rc == 0)
		fail_msg("hci0 opened, but this machine was expected to have no Bluetooth "
			 "sockets (AF_BLUETOOTH); the test needs updating for this host");
	assert_true(rc < 0);
	assert_int_equal(rc, MESH_ERR_DOWN);
	if (!test_log_has(&log, "error hci_user: cannot open hci0 (socket: ") ||
	    !test_log_has(&log, "no Bluetooth sockets (AF_BLUETOOTH)"))
		fail_msg("the AF_BLUETOOTH explanation was not logged; log:\n%s",
			 log.text ? log.text : "");
	test_uv_run_until(&loop, NULL, NULL, 20);
	assert_int_equal(ups, 0);
	assert_int_equal(downs, 0);
	hci_transport_close(&h.transport);
	test_log_stop(&log);
	assert_true(test_uv_loop_close(&loop));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_name),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_open_without_bluetooth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
