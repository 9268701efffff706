/*
 * A virtual HCI controller: what an nRF52840 running Zephyr's hci_uart
 * looks like from the host, attached to a simulated device's radio.
 *
 * It reads H4 commands from its host link and answers them as a controller
 * does (Command Complete with one command credit; Unknown HCI Command for
 * what it does not implement; Command Disallowed / Invalid Parameters where
 * the specification says so), keeps the event masks, scan and advertising
 * state, turns enabled advertising into transmissions on the world's air
 * (one at enable, then one per advertising interval while enabled) and,
 * while scanning with the LE Meta event and the advertising report unmasked,
 * turns receptions into LE Advertising Report events with their RSSI.
 *
 * Host links: a pseudo-terminal (with a symlink at a stable path, since a
 * pty's /dev/pts/N changes when it is recreated), a Unix stream socket, or
 * a connected descriptor (the gateway's in-process simulator).
 *
 * Fault injection for tests: raw bytes on the link, a mute controller, a
 * Hardware Error event, and closing and recreating the pty.
 */
#ifndef MESH_SIM_VCTRL_H
#define MESH_SIM_VCTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "mesh/bearer/hci_codec.h"
#include "world.h"

struct sim_vctrl_stats {
	uint64_t commands;             /* commands received */
	uint64_t unknown_commands;     /* answered with Unknown HCI Command */
	uint64_t credit_violations;    /* commands sent without a credit */
	uint64_t adv_events;           /* advertising events transmitted */
	uint64_t reports;              /* advertising reports sent to the host */
	uint64_t resets;
	uint64_t events_dropped;       /* events lost: the host was not reading */
};

/* Observer of every command the host sends (tests check the sequence). */
typedef void (*sim_vctrl_command_fn)(void *ctx, uint16_t opcode, const uint8_t *params,
				     size_t len);

struct sim_vctrl *sim_vctrl_of(struct sim_device *controller_device);

/*
 * Host links, one at a time: each of these replaces whatever link was
 * there. A new host connection starts with one command credit and a fresh
 * H4 stream; the controller state stays as it was (a UART controller does
 * not notice its host closing the port).
 */
/* A connected stream (a socketpair end); the controller owns fd from now
 * on and closes it, also when this fails. */
int sim_vctrl_attach_fd(struct sim_vctrl *vc, int fd);
/* Create a pty in raw mode; if link_path is not NULL, (re)point a symlink
 * there at its slave (atomically: a temporary name, then rename). The
 * slave's path is copied to slave_path (may be NULL). The controller keeps
 * the slave open itself, so the host may close and reopen it at will. */
int sim_vctrl_open_pty(struct sim_vctrl *vc, const char *link_path, char *slave_path,
		       size_t slave_path_size);
/* Listen on a Unix stream socket at path (a stale socket there is
 * replaced); one host connection at a time, others are refused. */
int sim_vctrl_listen_unix(struct sim_vctrl *vc, const char *path);
/* Unplug: close every link (a pty's master: the host sees a hangup; our
 * symlink and socket file are removed) and lose the controller state as
 * with a power cycle. sim_vctrl_open_pty() plugs it in again. */
void sim_vctrl_detach(struct sim_vctrl *vc);

void sim_vctrl_set_command_observer(struct sim_vctrl *vc, sim_vctrl_command_fn fn, void *ctx);
const struct sim_vctrl_stats *sim_vctrl_stats(const struct sim_vctrl *vc);

/* State as the host left it (tests). */
bool sim_vctrl_scanning(const struct sim_vctrl *vc);
bool sim_vctrl_advertising(const struct sim_vctrl *vc);

/* Faults. */
/* Raw octets to the host, as they are (garbage on the UART). */
void sim_vctrl_inject(struct sim_vctrl *vc, const uint8_t *bytes, size_t len);
/* Read commands (the observer still sees them) and answer none; events
 * such as advertising reports keep flowing. */
void sim_vctrl_set_mute(struct sim_vctrl *vc, bool mute);
/* A Hardware Error event with code (if the event mask lets it through). */
void sim_vctrl_hardware_error(struct sim_vctrl *vc, uint8_t code);

#endif
