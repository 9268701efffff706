/*
 * Named groups in the network database (groups.h).
 */
#include "gateway/groups.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "mesh/addr.h"
#include "mesh/crypto.h"

static bool same_address(const struct netdb_address *a, const struct netdb_address *b)
{
	if (a->is_label != b->is_label)
		return false;
	return a->is_label ? memcmp(a->label, b->label, 16) == 0 : a->address == b->address;
}

struct netdb_group *gw_groups_find_name(struct netdb *db, const char *name)
{
	for (size_t i = 0; i < db->n_groups; i++)
		if (strcmp(db->groups[i].name, name) == 0)
			return &db->groups[i];
	return NULL;
}

struct netdb_group *gw_groups_find_address(struct netdb *db, const struct netdb_address *a)
{
	for (size_t i = 0; i < db->n_groups; i++)
		if (same_address(&db->groups[i].address, a))
			return &db->groups[i];
	return NULL;
}

/* A group address users may name: 0xc000..0xfeff. Above are the fixed
 * groups (all-proxies ... all-nodes) and addresses reserved for them. */
static bool dynamic_group(uint16_t a)
{
	return mesh_addr_is_group(a) && a < 0xff00;
}

static bool address_taken(const struct netdb *db, uint16_t addr)
{
	for (size_t i = 0; i < db->n_groups; i++)
		if (!db->groups[i].address.is_label && db->groups[i].address.address == addr)
			return true;
	return false;
}

int gw_groups_alloc_address(const struct netdb *db, uint16_t reserved, uint16_t *out)
{
	const struct netdb_provisioner *p = NULL;

	for (size_t i = 0; i < db->n_provisioners; i++)
		if (memcmp(db->provisioners[i].uuid, db->self_uuid, 16) == 0)
			p = &db->provisioners[i];
	for (size_t r = 0; p && r < p->n_group; r++) {
		for (uint32_t a = p->group[r].low; a <= p->group[r].high; a++) {
			if (!dynamic_group((uint16_t)a) || a == reserved ||
			    address_taken(db, (uint16_t)a))
				continue;
			*out = (uint16_t)a;
			return 0;
		}
	}
	return -ENOSPC;
}

int gw_groups_add(struct netdb *db, const char *name, const struct netdb_address *a, char *err,
		  size_t errlen)
{
	struct netdb_group *grown, *g;
	const struct netdb_group *other;

	if (!name[0] || strlen(name) >= NETDB_NAME_MAX) {
		snprintf(err, errlen, "a group name has 1 to %d characters", NETDB_NAME_MAX - 1);
		return -EINVAL;
	}
	if (!a->is_label && !dynamic_group(a->address)) {
		snprintf(err, errlen, "0x%04x is not a group address (0xc000-0xfeff)", a->address);
		return -EINVAL;
	}
	if (gw_groups_find_name(db, name)) {
		snprintf(err, errlen, "there is already a group called '%s'", name);
		return -EEXIST;
	}
	other = gw_groups_find_address(db, a);
	if (other) {
		snprintf(err, errlen, "group '%s' already has this address", other->name);
		return -EEXIST;
	}
	grown = realloc(db->groups, (db->n_groups + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	db->groups = grown;
	g = &db->groups[db->n_groups++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->address = *a;
	if (a->is_label && mesh_virtual_address(a->label, &g->address.address) < 0)
		g->address.address = 0;
	return 0;
}

int gw_groups_remove(struct netdb *db, const char *name)
{
	struct netdb_group *g = gw_groups_find_name(db, name);
	size_t i;

	if (!g)
		return -ENOENT;
	i = (size_t)(g - db->groups);
	memmove(g, g + 1, (db->n_groups - i - 1) * sizeof(*g));
	db->n_groups--;
	return 0;
}

int gw_groups_rename(struct netdb *db, const char *from, const char *to)
{
	struct netdb_group *g = gw_groups_find_name(db, from);

	if (!g)
		return -ENOENT;
	if (strcmp(from, to) == 0)
		return 0;
	if (gw_groups_find_name(db, to) || !to[0] || strlen(to) >= NETDB_NAME_MAX)
		return -EEXIST;
	snprintf(g->name, sizeof(g->name), "%s", to);
	return 0;
}

/* The address a configured group asks for; false for one not decided by
 * the file (auto kinds), which keeps whatever the database has. */
static bool config_address(const struct gw_config_group *cg, struct netdb_address *a)
{
	memset(a, 0, sizeof(*a));
	switch (cg->kind) {
	case GW_CONFIG_GROUP_ADDRESS:
		a->address = cg->address;
		return true;
	case GW_CONFIG_GROUP_VIRTUAL:
		a->is_label = true;
		memcpy(a->label, cg->label, 16);
		mesh_virtual_address(a->label, &a->address);
		return true;
	default:
		return false;
	}
}

static int new_address(struct netdb *db, const struct gw_config_group *cg, uint16_t reserved,
		       struct netdb_address *a)
{
	if (config_address(cg, a))
		return 0;
	if (cg->kind == GW_CONFIG_GROUP_VIRTUAL_AUTO) {
		a->is_label = true;
		if (RAND_bytes(a->label, 16) != 1)
			return -EIO;
		/* A random Label UUID is a version 4 UUID. */
		a->label[6] = (uint8_t)((a->label[6] & 0x0f) | 0x40);
		a->label[8] = (uint8_t)((a->label[8] & 0x3f) | 0x80);
		return mesh_virtual_address(a->label, &a->address) < 0 ? -EIO : 0;
	}
	return gw_groups_alloc_address(db, reserved, &a->address);
}

static void sync_note(char *err, size_t errlen, const struct gw_config *cfg,
		      const struct gw_config_group *cg, const char *what)
{
	size_t used = errlen ? strlen(err) : 0;

	if (used + 1 >= errlen)
		return;
	snprintf(err + used, errlen - used, "%s%s:%u:%u: groups.%s: %s", used ? "; " : "",
		 cfg->file[0] ? cfg->file : "builtin:demo.yaml", cg->mark.line, cg->mark.column,
		 cg->name, what);
}

static int sync_one(struct netdb *db, const struct gw_config *cfg, const struct gw_config_group *cg,
		    uint16_t reserved, char *err, size_t errlen)
{
	struct netdb_group *g = gw_groups_find_name(db, cg->name);
	struct netdb_address want;
	const struct netdb_group *other;
	char why[200];
	int rc;

	if (g && (!config_address(cg, &want) || same_address(&g->address, &want))) {
		/* Auto kinds keep what they got; only the kind must fit. */
		if (cg->kind == GW_CONFIG_GROUP_VIRTUAL_AUTO && !g->address.is_label)
			goto readdress;
		if (cg->kind == GW_CONFIG_GROUP_AUTO && g->address.is_label)
			goto readdress;
		return 0;
	}
readdress:
	rc = new_address(db, cg, reserved, &want);
	if (rc == -ENOSPC) {
		sync_note(err, errlen, cfg, cg, "no group address left in meshgate's group range");
		return 0;
	}
	if (rc)
		return rc;
	other = gw_groups_find_address(db, &want);
	if (other && other != g) {
		snprintf(why, sizeof(why), "its address is already group '%s' in the network "
			 "database; rename or remove that group first", other->name);
		sync_note(err, errlen, cfg, cg, why);
		return 0;
	}
	if (g) {
		g->address = want;
		return 1;
	}
	rc = gw_groups_add(db, cg->name, &want, why, sizeof(why));
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		sync_note(err, errlen, cfg, cg, why);
		return 0;
	}
	return 1;
}

static const struct gw_config_group *config_group_named(const struct gw_config *cfg,
							const char *name)
{
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (strcmp(cfg->groups[i].name, name) == 0)
			return &cfg->groups[i];
	return NULL;
}

int gw_groups_follow_renames(struct netdb *db, const struct gw_config *previous,
			     const struct gw_config *cfg)
{
	int renamed = 0;

	for (size_t i = 0; i < cfg->n_groups; i++) {
		const struct gw_config_group *cg = &cfg->groups[i];
		struct netdb_address want;
		struct netdb_group *g;

		if (gw_groups_find_name(db, cg->name) || !config_address(cg, &want))
			continue;
		g = gw_groups_find_address(db, &want);
		if (g && config_group_named(previous, g->name) && !config_group_named(cfg, g->name) &&
		    gw_groups_rename(db, g->name, cg->name) == 0)
			renamed++;
	}
	return renamed;
}

/* Groups whose address the file gives go first: an automatic group must
 * not take an address that a group further down the file asks for. */
static bool kind_is_given(enum gw_config_group_kind kind)
{
	return kind == GW_CONFIG_GROUP_ADDRESS || kind == GW_CONFIG_GROUP_VIRTUAL;
}

int gw_groups_sync(struct netdb *db, const struct gw_config *cfg, uint16_t reserved, char *err,
		   size_t errlen)
{
	int changes = 0;

	if (errlen)
		err[0] = '\0';
	for (int given = 1; given >= 0; given--) {
		for (size_t i = 0; i < cfg->n_groups; i++) {
			int rc;

			if (kind_is_given(cfg->groups[i].kind) != given)
				continue;
			rc = sync_one(db, cfg, &cfg->groups[i], reserved, err, errlen);
			if (rc < 0)
				return rc;
			changes += rc;
		}
	}
	return changes;
}
