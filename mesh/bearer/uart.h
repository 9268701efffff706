/*
 * H4 over a byte stream, as an HCI transport (transport.h):
 *  - a serial device (an nRF52840 running Zephyr's hci_uart): raw mode,
 *    8N1, the configured baud rate (default 1000000) and RTS/CTS flow
 *    control (default on);
 *  - a pseudo-terminal or a Unix stream socket (meshsim's virtual
 *    controllers): the same, minus the line settings a pty ignores;
 *  - an already connected descriptor (the in-process simulator).
 * When the device goes away (read error, hangup, EOF) it logs, reports
 * on_down and retries opening the path with exponential backoff (100 ms
 * doubling to 5 s), logging each attempt; on success on_up again.
 *
 * Callback timing: open() returns 0 even when the device is not there yet
 * (it keeps retrying; the failure is logged). on_up never runs inside
 * open(): it comes from the loop (a zero timer), always before the first
 * on_packet of that connection. on_down(ctx, MESH_ERR_DOWN) runs from the
 * loop, only after an on_up, and never inside write(), reopen() or close();
 * the cause is in the log. reopen() drops the connection from the loop
 * (on_down, as for a loss), opens again at once and, failing that, backs
 * off as after a loss; on_up follows when it is back. After close() no
 * callback runs, but the struct must stay in memory until the loop has
 * run once more (its handles close asynchronously).
 */
#ifndef MESH_UART_H
#define MESH_UART_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "h4.h"
#include "transport.h"

#define HCI_UART_DEFAULT_BAUD 1000000u
#define HCI_UART_REOPEN_MIN_MS 100u
#define HCI_UART_REOPEN_MAX_MS 5000u
#define HCI_UART_WBUF_LEN 8192

struct hci_uart_config {
	const char *path;           /* device, pty or Unix socket path */
	unsigned int baud;          /* 0: HCI_UART_DEFAULT_BAUD */
	bool rtscts;                /* hardware flow control */
};

/* hci_uart_config with the defaults (rtscts on); path is left NULL. */
void hci_uart_config_default(struct hci_uart_config *cfg);

struct hci_uart {
	struct hci_transport transport;   /* what the HCI core uses */
	uv_loop_t *loop;
	char path[256];
	char name[280];
	unsigned int baud;
	bool rtscts;
	int fd;                           /* -1 while closed */
	bool fixed_fd;                    /* given by hci_uart_init_fd: never reopened */
	bool is_open;
	bool closing;
	uv_poll_t poll;
	bool poll_active;
	uv_timer_t reopen_timer;
	uv_timer_t expire_timer;          /* h4_rx_expire for stalled packets */
	uint64_t expire_due;              /* loop time it is due at; 0: not armed */
	unsigned int backoff_ms;
	unsigned int reopen_attempts;
	struct h4_rx rx;
	uint8_t wbuf[HCI_UART_WBUF_LEN];
	size_t wlen;
	uint64_t garbage_octets;
	/* Private to uart.c. */
	bool started;                     /* open() ran: the timers exist */
	bool is_socket;                   /* send(MSG_NOSIGNAL), not write() */
	int poll_events;                  /* what poll is started with */
	bool poll_closing;                /* poll's uv_close not finished yet */
	bool open_when_closed;            /* open again once it has */
	uv_timer_t event_timer;           /* zero timer: on_up, deferred losses */
	bool up_pending;                  /* on_up not yet delivered */
	bool reopen_requested;            /* the reopen op, run from the loop */
	int write_err;                    /* errno of a failed write(), lost next */
	int last_open_err;                /* errno of the last failed open */
};

/* A device path; MESH_ERR_INVAL for a bad baud rate (only the rates
 * termios knows, 9600..4000000) or a missing path. Nothing is opened yet. */
int hci_uart_init(struct hci_uart *u, uv_loop_t *loop, const struct hci_uart_config *cfg);
/* An already connected stream (takes ownership of fd, closing it also when
 * refusing). On loss it reports on_down and stays down: it cannot reopen. */
int hci_uart_init_fd(struct hci_uart *u, uv_loop_t *loop, int fd, const char *name);

/* The termios speed constant for baud, or 0 if it has none. */
unsigned int hci_uart_speed(unsigned int baud);

#endif
