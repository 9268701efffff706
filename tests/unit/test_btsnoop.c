/*
 * btsnoop captures (btsnoop.h): the file header and records read back
 * octet by octet, the flags of each direction and packet type, timestamps,
 * file mode and errors; and a capture decoded by BlueZ's btmon, the tool
 * users will open our captures with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mesh/bearer/btsnoop.h"
#include "mesh/bearer/hci_codec.h"
#include "mesh/bytes.h"
#include "vectors.h"

#define UNIX_TO_BTSNOOP_US 0x00dcddb30f2f8000ull
/* 2023-11-14 22:13:20 UTC */
#define T0_US (1700000000ull * 1000000u)

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_btsnoop.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/cap.log", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

static const char *cap_path(void)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/cap.log", tmpdir);
	return path;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(65536);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)mesh_get_be32(p) << 32 | mesh_get_be32(p + 4);
}

/* Check the record at *off and step past it. */
static void assert_record(const uint8_t *buf, size_t len, size_t *off, uint32_t flags,
			  uint8_t type, const uint8_t *pkt, size_t pkt_len, uint64_t unix_us)
{
	const uint8_t *r = buf + *off;

	assert_true(*off + 24 + 1 + pkt_len <= len);
	assert_int_equal(mesh_get_be32(r), pkt_len + 1);         /* original length */
	assert_int_equal(mesh_get_be32(r + 4), pkt_len + 1);     /* included length */
	assert_int_equal(mesh_get_be32(r + 8), flags);
	assert_int_equal(mesh_get_be32(r + 12), 0);              /* cumulative drops */
	assert_true(get_be64(r + 16) == unix_us + UNIX_TO_BTSNOOP_US);
	assert_int_equal(r[24], type);
	assert_bytes_equal(r + 25, pkt, pkt_len);
	*off += 24 + 1 + pkt_len;
}

static void test_header_and_records(void **state)
{
	static const uint8_t header[16] = { 'b', 't', 's', 'n', 'o', 'o', 'p', 0,
					    0, 0, 0, 1, 0, 0, 0x03, 0xea };
	static const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	static const uint8_t reset_cc[] = { 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	static const uint8_t acl[] = { 0x01, 0x20, 0x02, 0x00, 0xaa, 0xbb };
	struct btsnoop s;
	struct stat st;
	size_t len, off = 16;
	uint8_t *buf;

	(void)state;
	assert_int_equal(btsnoop_open(&s, cap_path()), 0);
	assert_int_equal(btsnoop_write(&s, false, HCI_H4_CMD, reset, sizeof(reset), T0_US), 0);
	/* flushed per record: readable before close */
	buf = read_all(cap_path(), &len);
	assert_int_equal(len, 16 + 24 + 1 + sizeof(reset));
	free(buf);
	assert_int_equal(btsnoop_write(&s, true, HCI_H4_EVT, reset_cc, sizeof(reset_cc),
				       T0_US + 1234), 0);
	assert_int_equal(btsnoop_write(&s, false, HCI_H4_ACL, acl, sizeof(acl), T0_US + 2000), 0);
	assert_int_equal(btsnoop_write(&s, true, HCI_H4_ACL, acl, sizeof(acl), T0_US + 3000), 0);
	assert_int_equal(btsnoop_write(&s, true, HCI_H4_EVT, NULL, 0, T0_US + 4000), 0);
	assert_int_equal(s.records, 5);
	btsnoop_close(&s);
	btsnoop_close(&s);   /* harmless twice */

	assert_int_equal(stat(cap_path(), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	buf = read_all(cap_path(), &len);
	assert_int_equal(len, 16 + 5 * 25 + sizeof(reset) + sizeof(reset_cc) + 2 * sizeof(acl));
	assert_bytes_equal(buf, header, sizeof(header));
	/* flags: bit 0 controller to host, bit 1 command or event */
	assert_record(buf, len, &off, 0x02, HCI_H4_CMD, reset, sizeof(reset), T0_US);
	assert_record(buf, len, &off, 0x03, HCI_H4_EVT, reset_cc, sizeof(reset_cc), T0_US + 1234);
	assert_record(buf, len, &off, 0x00, HCI_H4_ACL, acl, sizeof(acl), T0_US + 2000);
	assert_record(buf, len, &off, 0x01, HCI_H4_ACL, acl, sizeof(acl), T0_US + 3000);
	assert_record(buf, len, &off, 0x03, HCI_H4_EVT, reset_cc, 0, T0_US + 4000);
	assert_int_equal(off, len);
	free(buf);
	/* The epoch offset is 1970-01-01 in microseconds since 0000-01-01. */
	assert_true(UNIX_TO_BTSNOOP_US == 62168256000ull * 1000000u);
}

static void test_now_truncate_errors(void **state)
{
	static const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	struct btsnoop s;
	struct timespec ts;
	uint64_t before, after, stamp;
	size_t len;
	uint8_t *buf;

	(void)state;
	/* an existing capture is truncated */
	assert_int_equal(btsnoop_open(&s, cap_path()), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	before = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	assert_int_equal(btsnoop_write(&s, false, HCI_H4_CMD, reset, sizeof(reset), 0), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	after = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	btsnoop_close(&s);
	buf = read_all(cap_path(), &len);
	assert_int_equal(len, 16 + 25 + sizeof(reset));
	stamp = get_be64(buf + 16 + 16) - UNIX_TO_BTSNOOP_US;
	assert_true(stamp >= before && stamp <= after);
	free(buf);

	assert_int_equal(btsnoop_write(&s, false, HCI_H4_CMD, reset, sizeof(reset), 0), -EBADF);
	assert_int_equal(btsnoop_open(&s, "/nonexistent-dir/cap.log"), -ENOENT);
	assert_null(s.file);
}

/* Write errors are sticky: /dev/full fails the first flush. */
static void test_write_error(void **state)
{
	static const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	struct btsnoop s;

	(void)state;
	if (access("/dev/full", W_OK) != 0) {
		skip();
		return;
	}
	assert_int_equal(btsnoop_open(&s, "/dev/full"), -ENOSPC);
	assert_null(s.file);
	assert_int_equal(btsnoop_write(&s, false, HCI_H4_CMD, reset, sizeof(reset), 0),
			 -ENOSPC);
}

/* ---- btmon ------------------------------------------------------------- */

static char *run_capture(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char *out = calloc(1, 65536);
	size_t n;
	int rc;

	assert_non_null(p);
	assert_non_null(out);
	n = fread(out, 1, 65535, p);
	out[n] = 0;
	rc = pclose(p);
	if (rc != 0)
		fail_msg("'%s' exited with %d:\n%s", cmd, rc, out);
	return out;
}

static void assert_has(const char *out, const char *what)
{
	if (!strstr(out, what))
		fail_msg("btmon output lacks \"%s\":\n%s", what, out);
}

/* An existing world-readable file becomes private; a symlink is refused
 * rather than followed. */
static void test_private_and_no_symlink(void **state)
{
	char dir[] = "/tmp/btsnoop-perm-XXXXXX";
	char file[64], link[64], victim[64];
	struct btsnoop s;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/cap", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(file, 0644), 0);
	assert_int_equal(btsnoop_open(&s, file), 0);
	btsnoop_close(&s);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("keep me", f);
	fclose(f);
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(btsnoop_open(&s, link), -ELOOP);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 7);
	unlink(link);
	unlink(victim);
	unlink(file);
	rmdir(dir);
}

static void test_btmon_reads_capture(void **state)
{
	static const uint8_t mesh_ad[] = { 0x07, 0x2a, 0x68, 0xde, 0xad, 0xbe, 0xef, 0x42 };
	uint8_t pkt[HCI_MAX_EVT_LEN], params[HCI_ADV_DATA_PARAMS_LEN];
	struct hci_adv_report r = { .event_type = HCI_REPORT_ADV_NONCONN_IND,
				    .addr_type = HCI_ADDR_RANDOM,
				    .addr = { 0x01, 0x02, 0x03, 0x04, 0x05, 0xc6 },
				    .data_len = sizeof(mesh_ad), .data = mesh_ad, .rssi = -60 };
	char *btmon, *out, cmd[256];
	struct btsnoop s;
	int len;

	(void)state;
	/* scripts/deps.sh installs bluez: a missing btmon is a broken setup. */
	btmon = run_capture("command -v btmon || true");
	if (!btmon[0])
		fail_msg("btmon not found: run scripts/deps.sh (Debian package bluez)");
	btmon[strcspn(btmon, "\n")] = 0;

	assert_int_equal(btsnoop_open(&s, cap_path()), 0);
	len = hci_cmd_build(pkt, HCI_OP_RESET, NULL, 0);
	assert_int_equal(btsnoop_write(&s, false, HCI_H4_CMD, pkt, (size_t)len, T0_US), 0);
	len = hci_evt_cmd_complete(pkt, 1, HCI_OP_RESET, HCI_SUCCESS, NULL, 0);
	assert_int_equal(btsnoop_write(&s, true, HCI_H4_EVT, pkt, (size_t)len, T0_US + 1000), 0);
	assert_int_equal(hci_adv_data_encode(mesh_ad, sizeof(mesh_ad), params), sizeof(params));
	len = hci_cmd_build(pkt, HCI_OP_LE_SET_ADV_DATA, params, sizeof(params));
	assert_int_equal(btsnoop_write(&s, false, HCI_H4_CMD, pkt, (size_t)len, T0_US + 2000), 0);
	len = hci_evt_adv_report(pkt, &r);
	assert_int_equal(btsnoop_write(&s, true, HCI_H4_EVT, pkt, (size_t)len, T0_US + 3000), 0);
	btsnoop_close(&s);

	snprintf(cmd, sizeof(cmd), "'%s' -r '%s' 2>&1", btmon, cap_path());
	out = run_capture(cmd);
	/* btmon 5.66 prints, among other lines:
	 *   < HCI Command: Reset (0x03|0x0003) plen 0
	 *   > HCI Event: Command Complete (0x0e) plen 4
	 *         Reset (0x03|0x0003) ncmd 1
	 *           Status: Success (0x00)
	 *   < HCI Command: LE Set Advertising Data (0x08|0x0008) plen 32
	 *           Mesh Data: 68deadbeef42
	 *   > HCI Event: LE Meta Event (0x3e) plen 20
	 *         LE Advertising Report (0x02)
	 *           Address: C6:05:04:03:02:01 (Static)
	 *           RSSI: -60 dBm (0xc4)                                 */
	assert_has(out, "< HCI Command: Reset (0x03|0x0003) plen 0");
	assert_has(out, "> HCI Event: Command Complete (0x0e) plen 4");
	assert_has(out, "Status: Success (0x00)");
	assert_has(out, "< HCI Command: LE Set Advertising Data (0x08|0x0008) plen 32");
	assert_has(out, "Mesh Data: 68deadbeef42");
	assert_has(out, "LE Advertising Report (0x02)");
	assert_has(out, "Address: C6:05:04:03:02:01");
	assert_has(out, "RSSI: -60 dBm");
	/* both the command and the report carry the mesh AD structure */
	assert_non_null(strstr(strstr(out, "Mesh Data: 68deadbeef42") + 1,
			       "Mesh Data: 68deadbeef42"));
	free(out);
	free(btmon);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_records),
		cmocka_unit_test(test_now_truncate_errors),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_private_and_no_symlink),
		cmocka_unit_test(test_btmon_reads_capture),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
