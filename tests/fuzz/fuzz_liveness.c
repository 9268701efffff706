/*
 * libFuzzer target for the liveness file (liveness.h): jansson's parser
 * under our validation and error messages.
 *
 * Besides memory errors it checks what the loader promises: an accepted
 * file exports to text that loads back to the same text; a refused one
 * returns -EINVAL with a message naming the file and changes nothing
 * (a record already in the table stays as it was).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/liveness.h"

#define NOW 1000

static uint64_t fixed_wall(void *ctx)
{
	(void)ctx;
	return 1700000000000ull;
}

static const struct liveness_config config = { .wall_clock = fixed_wall };

static void check_round_trip(struct mesh_timers *ts, const struct liveness *lv)
{
	char err[512], *text, *again;
	struct liveness *copy = liveness_create(ts, &config);

	text = liveness_to_json(lv);
	if (!copy || !text)
		abort();
	if (liveness_from_json(copy, text, strlen(text), "fuzz.json", NOW, err, sizeof(err)) != 0)
		abort();
	again = liveness_to_json(copy);
	if (!again || strcmp(text, again) != 0)
		abort();
	free(text);
	free(again);
	liveness_destroy(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mesh_timers ts;
	struct liveness *lv;
	const struct liveness_node *n;
	char err[512];
	int rc;

	mesh_timers_init(&ts, NOW);
	lv = liveness_create(&ts, &config);
	if (!lv)
		return 0;
	/* A record the file may mention: it is kept or replaced, never half. */
	liveness_seen(lv, 0x7fff, NOW);
	rc = liveness_from_json(lv, (const char *)data, size, "fuzz.json", NOW, err, sizeof(err));
	if (rc == 0) {
		check_round_trip(&ts, lv);
		/* Time passes over whatever was loaded. */
		mesh_timers_advance(&ts, NOW + 100000000);
	} else {
		if (rc != -EINVAL && rc != -ENOMEM)
			abort();
		if (strncmp(err, "fuzz.json", 9) != 0)
			abort();
		n = liveness_find(lv, 0x7fff);
		if (liveness_count(lv) != 1 || !n || n->count != 0 ||
		    n->state != LIVENESS_UNKNOWN || n->last_seen_wall_ms != 1700000000000ull)
			abort();
	}
	liveness_destroy(lv);
	return 0;
}
