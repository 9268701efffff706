/*
 * libFuzzer target for the network database file (gateway/cdb.c): jansson's
 * parser, the CDB schema walk, the checks across the network, the writer
 * and the import of a foreign CDB.
 *
 * Besides memory errors it checks what the code promises: a refused file
 * leaves nothing behind and its message names the file; an accepted one
 * is written as JSON that is accepted again and written identically (so
 * meshgate never saves a file it cannot load, and loading what it saved
 * changes nothing); and importing accepts what loading accepts, with a
 * result that survives the same round trip.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/netdb.h"

/* Written, read back and written again: the same text. */
static void check_round_trip(const struct netdb *db)
{
	struct netdb *again;
	char err[512], *first, *second;

	first = netdb_to_json(db);
	if (!first)
		abort();
	if (netdb_from_json(&again, first, strlen(first), "again.json", err, sizeof(err)) != 0)
		abort();
	second = netdb_to_json(again);
	if (!second || strcmp(first, second) != 0)
		abort();
	free(first);
	free(second);
	netdb_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t self[16] = { 0x6d, 0x65, 0x73, 0x68, 0x67, 0x61, 0x74, 0x65,
					  0x40, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01 };
	struct netdb *db = NULL, *imported = NULL;
	char err[512], report[512];
	int rc, rc_import;

	rc = netdb_from_json(&db, (const char *)data, size, "fuzz.json", err, sizeof(err));
	rc_import = netdb_import(&imported, (const char *)data, size, "fuzz.json", self, report,
				 sizeof(report));
	if (rc != 0) {
		if (db || imported || rc_import == 0 || strncmp(err, "fuzz.json", 9) != 0)
			abort();
		return 0;
	}
	check_round_trip(db);
	/* Import may only fail for want of room for meshgate. */
	if (rc_import == 0)
		check_round_trip(imported);
	else if (rc_import != -ENOSPC || imported)
		abort();
	netdb_free(db);
	netdb_free(imported);
	return 0;
}
