/*
 * btsnoop capture writer: HCI traffic in the file format `btmon -r` and
 * Wireshark read, so a user can hand over a capture of what the controller
 * said. All fields are big endian. Datalink 1002 (H4) means every record
 * carries the H4 packet type octet before the HCI packet, which lets a
 * reader tell commands, events and data apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btsnoop.h"
#include "hci_codec.h"
#include "mesh/bytes.h"

#define BTSNOOP_VERSION 1
#define BTSNOOP_HDR_LEN 16
#define BTSNOOP_REC_HDR_LEN 24

/* Record flags: bit 0 set for controller to host, bit 1 for command/event. */
#define BTSNOOP_FLAG_RECEIVED 0x01u
#define BTSNOOP_FLAG_CMD_EVT 0x02u

/* Microseconds from 0000-01-01 (the format's epoch) to 1970-01-01. */
#define BTSNOOP_UNIX_EPOCH_US 0x00dcddb30f2f8000ull

static void put_be64(uint8_t *p, uint64_t v)
{
	mesh_put_be32(p, (uint32_t)(v >> 32));
	mesh_put_be32(p + 4, (uint32_t)v);
}

static uint64_t unix_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Write len octets; on failure remember the first error. */
static int snoop_put(struct btsnoop *s, const void *data, size_t len)
{
	if (s->err)
		return s->err;
	if (len && fwrite(data, 1, len, s->file) != len)
		s->err = errno ? -errno : -EIO;
	return s->err;
}

int btsnoop_open(struct btsnoop *s, const char *path)
{
	uint8_t hdr[BTSNOOP_HDR_LEN];
	int fd;

	memset(s, 0, sizeof(*s));
	/* 0600, also for a file that existed: a capture shows the network's
	 * traffic and addresses. No symlinks: run as root in a shared
	 * directory, following one would truncate someone else's file. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0) {
		s->err = -errno;
		close(fd);
		return s->err;
	}
	s->file = fdopen(fd, "wb");
	if (!s->file) {
		s->err = -errno;
		close(fd);
		return s->err;
	}
	memcpy(hdr, "btsnoop\0", 8);
	mesh_put_be32(hdr + 8, BTSNOOP_VERSION);
	mesh_put_be32(hdr + 12, BTSNOOP_DATALINK_H4);
	errno = 0;
	if (snoop_put(s, hdr, sizeof(hdr)) == 0 && fflush(s->file) != 0)
		s->err = errno ? -errno : -EIO;
	/* A capture that cannot even take its header is not kept open. */
	if (s->err)
		btsnoop_close(s);
	return s->err;
}

static uint32_t record_flags(bool received, uint8_t type)
{
	uint32_t flags = received ? BTSNOOP_FLAG_RECEIVED : 0;

	if (type == HCI_H4_CMD || type == HCI_H4_EVT)
		flags |= BTSNOOP_FLAG_CMD_EVT;
	return flags;
}

int btsnoop_write(struct btsnoop *s, bool received, uint8_t type, const uint8_t *pkt,
		  size_t len, uint64_t timestamp_us)
{
	uint8_t rec[BTSNOOP_REC_HDR_LEN + 1];
	uint32_t total = (uint32_t)len + 1;

	if (!s->file)
		return s->err ? s->err : -EBADF;
	if (len > UINT32_MAX - 1)
		return -EINVAL;
	if (!timestamp_us)
		timestamp_us = unix_now_us();
	mesh_put_be32(rec, total);                 /* original length */
	mesh_put_be32(rec + 4, total);             /* included length */
	mesh_put_be32(rec + 8, record_flags(received, type));
	mesh_put_be32(rec + 12, 0);                /* cumulative drops */
	put_be64(rec + 16, timestamp_us + BTSNOOP_UNIX_EPOCH_US);
	rec[BTSNOOP_REC_HDR_LEN] = type;
	errno = 0;
	if (snoop_put(s, rec, sizeof(rec)) == 0 && snoop_put(s, pkt, len) == 0 &&
	    fflush(s->file) != 0)
		s->err = errno ? -errno : -EIO;
	if (!s->err)
		s->records++;
	return s->err;
}

void btsnoop_close(struct btsnoop *s)
{
	if (s->file) {
		fclose(s->file);
		s->file = NULL;
	}
}
