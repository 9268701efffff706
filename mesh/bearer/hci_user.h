/*
 * The Linux HCI user channel (AF_BLUETOOTH, BTPROTO_HCI, HCI_CHANNEL_USER)
 * as an HCI transport: exclusive raw access to an adapter hciN, one H4-typed
 * packet per read and write. The kernel grants it only when the adapter is
 * down and no other process (bluetoothd) uses it, and only with
 * CAP_NET_ADMIN; failures are explained in words a user can act on.
 *
 * open() either holds the adapter and returns 0, with on_up following from
 * the loop (a zero timer, never inside open()), or logs the explanation at
 * error level and returns MESH_ERR_DOWN, leaving nothing to close on the
 * loop. It is not retried by itself. A later loss (adapter removed) is
 * logged and reported by on_down(ctx, MESH_ERR_DOWN) from the loop, and
 * stays down. There is no reopen op. After close() no callback runs; the
 * struct must stay in memory until the loop has run once more.
 */
#ifndef MESH_HCI_USER_H
#define MESH_HCI_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "transport.h"

struct hci_user {
	struct hci_transport transport;
	uv_loop_t *loop;
	int dev_index;                 /* N of hciN */
	char name[16];
	int fd;
	bool poll_active;
	uv_poll_t poll;
	/* Private to hci_user.c. */
	bool started;                  /* bound: the handles exist */
	bool is_open;
	bool closing;
	bool up_pending;               /* on_up not yet delivered */
	int write_err;                 /* errno of a failed write(), lost next */
	uv_timer_t event_timer;        /* zero timer: on_up, deferred losses */
};

/* "hci0" -> 0; MESH_ERR_INVAL for anything else. */
int hci_user_parse_name(const char *name, int *dev_index);
int hci_user_init(struct hci_user *h, uv_loop_t *loop, int dev_index);

/*
 * A sentence saying why opening hciN failed and what to do, for the errno
 * of socket() (stage "socket") or bind() (stage "bind"):
 * EAFNOSUPPORT (kernel without Bluetooth), ENODEV (no such adapter),
 * EBUSY (adapter up or owned by bluetoothd), EPERM/EACCES (no
 * CAP_NET_ADMIN), ERFKILL, and a generic one for the rest.
 */
void hci_user_explain(int err, const char *stage, int dev_index, char *buf, size_t size);

#endif
