/*
 * libFuzzer target for meshgate's runtime state file (runtime_state.h):
 * jansson's parser under our validation and error messages.
 *
 * Besides memory errors it checks what the loader promises: an accepted
 * file survives a save and a reload unchanged (to_json, from_json give the
 * same state, and the same text again); a refused one returns -EINVAL with
 * a message that names the file, and leaves the caller's state untouched.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/runtime_state.h"

static struct runtime_state parsed, reparsed, sentinel;

static bool same_state(const struct runtime_state *a, const struct runtime_state *b)
{
	if (a->iv_index != b->iv_index || a->iv_update != b->iv_update ||
	    a->seq_reserved != b->seq_reserved || a->n_rpl != b->n_rpl)
		return false;
	for (size_t i = 0; i < a->n_rpl; i++) {
		if (a->rpl[i].src != b->rpl[i].src || a->rpl[i].seq != b->rpl[i].seq ||
		    a->rpl[i].iv_index != b->rpl[i].iv_index)
			return false;
	}
	return true;
}

/* A state no file could produce, to see a refusal leaves it alone. */
static void set_sentinel(struct runtime_state *s)
{
	runtime_state_init(s);
	s->iv_index = 0xdeadbeef;
	s->seq_reserved = 0xffffffff;
	s->n_rpl = 1;
	s->rpl[0].src = 0xffff;
}

static void check_round_trip(void)
{
	char err[512], *text, *again;

	text = runtime_state_to_json(&parsed);
	if (!text)
		abort();
	if (runtime_state_from_json(&reparsed, text, strlen(text), "fuzz.json", err,
				    sizeof(err)) != 0)
		abort();
	if (!same_state(&parsed, &reparsed))
		abort();
	again = runtime_state_to_json(&reparsed);
	if (!again || strcmp(text, again) != 0)
		abort();
	free(text);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	int rc;

	set_sentinel(&parsed);
	set_sentinel(&sentinel);
	rc = runtime_state_from_json(&parsed, (const char *)data, size, "fuzz.json", err,
				     sizeof(err));
	if (rc == 0) {
		check_round_trip();
		return 0;
	}
	if (rc != -EINVAL && rc != -ENOMEM)
		abort();
	if (strncmp(err, "fuzz.json", 9) != 0)
		abort();
	if (!same_state(&parsed, &sentinel))
		abort();
	return 0;
}
