/*
 * The Linux HCI user channel (AF_BLUETOOTH, BTPROTO_HCI, HCI_CHANNEL_USER)
 * as an HCI transport: exclusive raw access to an adapter hciN, one H4-typed
 * packet per read and write. The kernel grants it only when the adapter is
 * down and no other process (bluetoothd) uses it, and only with
 * CAP_NET_ADMIN; failures are explained in words a user can act on.
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
