/*
 * btsnoop capture files (the format of `btsnoop_hci.log`, read by
 * `btmon -r` and Wireshark): a 16-octet header ("btsnoop\0", version 1,
 * datalink 1002 = H4/UART) and one record per HCI packet with the H4 type
 * octet in front of it. Every record is flushed when written, so a capture
 * stays readable after a crash.
 */
#ifndef MESH_BTSNOOP_H
#define MESH_BTSNOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BTSNOOP_DATALINK_H4 1002

struct btsnoop {
	FILE *file;
	uint64_t records;
	int err;                 /* first write error (negative errno), sticky */
};

/* Create or truncate path (mode 0600) and write the header.
 * Returns 0 or a negative errno. */
int btsnoop_open(struct btsnoop *s, const char *path);
/*
 * Append one packet. received: controller to host. type: the H4 type
 * octet; pkt without it. timestamp_us: microseconds since the Unix epoch
 * (0: now). Returns 0 or the first write error.
 */
int btsnoop_write(struct btsnoop *s, bool received, uint8_t type, const uint8_t *pkt,
		  size_t len, uint64_t timestamp_us);
void btsnoop_close(struct btsnoop *s);

#endif
