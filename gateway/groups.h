/*
 * Named groups in the network database: the CDB's "groups" list, where a
 * semantic name ("stairway lights") stands for a group address or a
 * virtual address (Label UUID). The configuration file's `groups:` are
 * brought into the database at start and on reload (gw_groups_sync);
 * groups added through the API live in the database only.
 */
#ifndef GATEWAY_GROUPS_H
#define GATEWAY_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "config/gateway_config.h"
#include "gateway/netdb.h"

struct netdb_group *gw_groups_find_name(struct netdb *db, const char *name);
struct netdb_group *gw_groups_find_address(struct netdb *db, const struct netdb_address *a);

/* The lowest group address of meshgate's group ranges used by no group
 * and not reserved (reserved: e.g. the heartbeat group). -ENOSPC. */
int gw_groups_alloc_address(const struct netdb *db, uint16_t reserved, uint16_t *out);

/*
 * Add a group. -EEXIST (err says which name or address is taken),
 * -EINVAL (not a group or virtual address), -ENOMEM.
 */
int gw_groups_add(struct netdb *db, const char *name, const struct netdb_address *a, char *err,
		  size_t errlen);
/* 0 or -ENOENT. */
int gw_groups_remove(struct netdb *db, const char *name);
/* 0, -ENOENT, -EEXIST (to is taken). */
int gw_groups_rename(struct netdb *db, const char *from, const char *to);

/*
 * Make the database hold every group of cfg: a group missing is added
 * (auto addresses allocated avoiding reserved, `virtual: auto` Label UUIDs
 * drawn at random and kept in the database from then on); one whose
 * address the file changed is moved. Problems (an address already named
 * otherwise in the database) are reported in err, naming the file and
 * line, and that group is skipped. Returns the number of changes (the
 * caller saves), or -ENOMEM.
 */
int gw_groups_sync(struct netdb *db, const struct gw_config *cfg, uint16_t reserved, char *err,
		   size_t errlen);

/*
 * A group the previous configuration named and the new one does not, at
 * an address the new one gives another name: the file renamed it. Rename
 * it in db so it keeps its address (and its members' subscriptions)
 * instead of the new name being refused as a clash. Returns how many
 * groups were renamed. Call before gw_groups_sync() on a reload.
 */
int gw_groups_follow_renames(struct netdb *db, const struct gw_config *previous,
			     const struct gw_config *cfg);

#endif
