/*
 * An HCI transport: moves H4-typed HCI packets between the HCI core and a
 * controller. Implementations: uart.c (a serial device, pseudo-terminal or
 * Unix socket carrying an H4 byte stream, or an already connected stream
 * such as the in-process simulator's socketpair) and hci_user.c (the Linux
 * HCI user channel). All run on the caller's libuv loop.
 *
 * Lifecycle: open() starts it; once it can carry packets it calls
 * on_up(); if it loses the device it calls on_down() with the reason and,
 * where it can (UART), keeps trying to reopen by itself and calls on_up()
 * again when it succeeds. close() stops everything and calls no callback
 * after it returns.
 */
#ifndef MESH_HCI_TRANSPORT_H
#define MESH_HCI_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct hci_transport;

struct hci_transport_ops {
	int (*open)(struct hci_transport *t);
	/* Queue one packet (type octet separately). 0, MESH_ERR_DOWN, or
	 * MESH_ERR_FULL when the write buffer is exhausted. */
	int (*write)(struct hci_transport *t, uint8_t type, const uint8_t *pkt, size_t len);
	void (*close)(struct hci_transport *t);
	/* Optional: drop the current connection and reopen (after the
	 * controller stopped answering). */
	void (*reopen)(struct hci_transport *t);
};

struct hci_transport {
	const struct hci_transport_ops *ops;
	const char *name;            /* for logs: "uart /dev/ttyACM0", "hci0" */
	/* Set by the user (the HCI core) before open(). */
	void (*on_packet)(void *ctx, uint8_t type, const uint8_t *pkt, size_t len);
	void (*on_up)(void *ctx);
	void (*on_down)(void *ctx, int err);
	void *ctx;
};

static inline int hci_transport_open(struct hci_transport *t)
{
	return t->ops->open(t);
}

static inline int hci_transport_write(struct hci_transport *t, uint8_t type,
				      const uint8_t *pkt, size_t len)
{
	return t->ops->write(t, type, pkt, len);
}

static inline void hci_transport_close(struct hci_transport *t)
{
	t->ops->close(t);
}

#endif
