/*
 * The Key Refresh procedure (Mesh Profile 1.0.1 3.10.4, Mesh Protocol 1.1
 * 3.11.4) run by meshgate as the network's Configuration Client: after a
 * node was removed (Config Node Reset, then excluded), a node that kept
 * its keys must no longer be able to read or send. Only new keys it never
 * gets achieve that, so every other node gets them:
 *
 *   start   A new NetKey and new AppKeys for every AppKey bound to it, from
 *           the cryptographic RNG. The database takes them (the current
 *           keys become old_key, the NetKey goes to phase 1) and is saved
 *           BEFORE anything is sent: a node holding a new key nobody has
 *           on disk any more could never be refreshed again (a second
 *           NetKey Update with another key is refused in phase 1).
 *   phase 1 meshgate's own node takes the new keys (receives with old and
 *           new, still sends with the old), then every node that has the
 *           NetKey, one at a time, gets Config NetKey Update and Config
 *           AppKey Update for each of its AppKeys bound to it. Removed
 *           nodes are no longer in the database; nodes marked excluded
 *           and meshgate itself are skipped.
 *   phase 2 The database goes to phase 2 (saved), meshgate's own node
 *           switches to sending with the new keys (and sends a secure
 *           network beacon with the Key Refresh flag, which moves nodes
 *           that miss their Set), then every node that confirmed the new
 *           NetKey gets Config Key Refresh Phase Set, transition 2.
 *   phase 3 Every such node gets Key Refresh Phase Set, transition 3 (it
 *           drops the old keys). Then the database drops the old keys
 *           (has_old_key false, phase 0, every node's "updated" flag
 *           cleared), is saved, and meshgate's own node drops them too.
 *
 * Why these choices:
 *  - A node that does not answer (after the configuration client's
 *    retries) does not stop the refresh: it is reported by name and
 *    address and the refresh goes on. In phase 1 that node will be cut
 *    off from the network when the refresh completes, and the report
 *    says so. Failing instead would leave the removed node able to read
 *    and send for as long as any one node is switched off, which defeats
 *    the reason the refresh runs; the specification makes the same trade
 *    (a node that misses the new keys is left out). A node cut off this
 *    way must be reset and provisioned again.
 *  - But a phase 1 in which NO node confirmed anything (when some had to)
 *    stops the refresh instead: that looks like meshgate's own radio
 *    failing rather than nodes being away, and switching to the new keys
 *    would cut off the whole network. Phase 1 changes nothing anyone
 *    sends with, so stopping there is harmless, and the refresh resumes.
 *  - A request that could not even be sent (a local error, not a node's
 *    silence) stops the refresh likewise; it resumes later.
 *  - Phase 2 and 3 failures are reported too, but those nodes hold the
 *    new keys: they follow the other nodes' secure network beacons (Key
 *    Refresh flag set: phase 2; clear, with the new key: phase 3).
 *  - meshgate switches itself to phase 2 before the nodes (its Sets then
 *    go out with the new key, which phase 1 nodes accept), but to phase 3
 *    only after the nodes: until then it still hears nodes that send with
 *    either key, and a restart in the middle finds the database still in
 *    phase 2, which resumes correctly (see below).
 *  - One request at a time, node after node, like the configure
 *    workflow: simple to follow in the log, gentle on the radio.
 *
 * Resuming: the database is the state. A NetKey in phase 1 or 2 with its
 * old key is a refresh under way. Progress per node is the "updated" flag
 * of its key references: NetKey/AppKey Update set it (cfg_apply.c), a
 * confirmed transition 3 clears it. Resuming in phase 1 updates the nodes
 * not updated yet (retrying those that failed before); in phase 2 it sends
 * transition 2 and then 3 to every node still marked updated (a node that
 * finished phase 3 before the restart is not marked any more, so it never
 * gets a transition 2 it would have to ignore). The list of nodes left out
 * is only known to the run that gave up on them: after a restart in phase
 * 2 the final report lists the nodes that run gave up on.
 *
 * Statuses are applied to the database with their request (cfg_apply.h),
 * late ones too; the owner must destroy the configuration client that
 * calls ops->send's done before destroying this module.
 */
#ifndef GATEWAY_KEY_REFRESH_H
#define GATEWAY_KEY_REFRESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/configure.h"
#include "gateway/netdb.h"
#include "mesh/cfg_msg.h"
#include "mesh/timer.h"

#define GW_KEY_REFRESH_WHY_MAX 512
#define GW_KEY_REFRESH_LIST_MAX 32

enum gw_key_refresh_event {
	GW_KEY_REFRESH_PHASE,        /* report.phase started */
	GW_KEY_REFRESH_NODE_OK,      /* report.node confirmed this phase's step */
	GW_KEY_REFRESH_NODE_FAILED,  /* report.node did not; why says what and the consequence */
	GW_KEY_REFRESH_DONE,         /* new keys in use, old ones gone (why: who was left out) */
	GW_KEY_REFRESH_FAILED,       /* stopped (why); the database keeps the phase: resumable */
	GW_KEY_REFRESH_CANCELED,     /* a request was canceled (shutting down): resumable */
};

/* "phase", "node ok", ... */
const char *gw_key_refresh_event_name(enum gw_key_refresh_event ev);

struct gw_key_refresh_report {
	enum gw_key_refresh_event event;
	uint16_t net_idx;
	uint8_t phase;                   /* 1, 2 or 3 (DONE: 0) */
	uint16_t node;                   /* NODE_*: primary address */
	char node_name[NETDB_NAME_MAX];  /* NODE_*: its name in the database, or "" */
	unsigned int nodes_ok;           /* this phase so far */
	unsigned int nodes_failed;
	/* DONE/FAILED/CANCELED: nodes this run gave up on that did not make
	 * up for it later. cut_off: no new NetKey, they are out of the
	 * network once the refresh completes; unconfirmed: they have the new
	 * NetKey but missed a step (an AppKey Update: that AppKey is lost to
	 * them; or a phase transition: the beacons should move them). n_*
	 * count all, the lists hold the first GW_KEY_REFRESH_LIST_MAX. */
	size_t n_cut_off, n_unconfirmed;
	uint16_t cut_off[GW_KEY_REFRESH_LIST_MAX];
	uint16_t unconfirmed[GW_KEY_REFRESH_LIST_MAX];
	char why[GW_KEY_REFRESH_WHY_MAX];
};

struct gw_key_refresh_ops {
	/* Send request to dst with the device key; done gets every event of
	 * it (gw_core_cfg_send()'s contract). Required. */
	int (*send)(void *ctx, uint16_t dst, const struct mesh_cfg_msg *request,
		    gw_configure_done_fn done, void *done_ctx);
	/* The database changed: save it (0 or negative errno). Required:
	 * the procedure must not go on with a phase that is not on disk. */
	int (*save)(void *ctx);
	/* meshgate's own node takes the new NetKey of net_idx and the new
	 * values of the n_app AppKeys app_idx[] (phase 1; called again when
	 * resuming: it must accept the same keys twice). Required. */
	int (*local_keys)(void *ctx, uint16_t net_idx, const uint8_t new_net_key[16], size_t n_app,
			  const uint16_t *app_idx, const uint8_t (*new_app_keys)[16]);
	/* meshgate's own node makes key refresh transition 2 or 3 (2 again
	 * when resuming in phase 2: no change). Required. */
	int (*local_phase)(void *ctx, uint16_t net_idx, uint8_t transition);
	/* Every event (report->event). Optional. */
	void (*progress)(void *ctx, const struct gw_key_refresh_report *report);
};

struct gw_key_refresh;

/* timers: the clock that bounds how long a request's record waits for a
 * late status. -EINVAL without the required ops. */
int gw_key_refresh_create(struct gw_key_refresh **out, struct netdb *db,
			  struct mesh_timers *timers, const struct gw_key_refresh_ops *ops,
			  void *ctx);
/* After the configuration client that calls ops->send's done is gone. */
void gw_key_refresh_destroy(struct gw_key_refresh *kr);

/*
 * Refresh NetKey net_idx and its AppKeys. Returns 0 once the new keys are
 * saved and the procedure runs (its end comes through ops->progress,
 * possibly before this returns), -EBUSY while a refresh runs, -ENOENT for
 * an unknown NetKey, -EIO when the RNG fails, or the save's error (then
 * nothing changed). A NetKey already in phase 1 or 2 is not given new
 * keys again: its refresh is resumed.
 */
int gw_key_refresh_start(struct gw_key_refresh *kr, uint16_t net_idx);

/* Continue a refresh the database shows under way (a NetKey in phase 1
 * or 2): 1 if one resumed, 0 if none, -EBUSY while one runs. */
int gw_key_refresh_resume(struct gw_key_refresh *kr);

bool gw_key_refresh_busy(const struct gw_key_refresh *kr);
/* The last event reported. */
const struct gw_key_refresh_report *gw_key_refresh_last(const struct gw_key_refresh *kr);

#endif
