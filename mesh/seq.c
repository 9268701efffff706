/* Block-reserved, crash-safe 24-bit sequence numbers (see seq.h). */
#include "seq.h"

#include <string.h>

#include "err.h"

int mesh_seq_init(struct mesh_seq *s, uint32_t block, mesh_seq_store_fn store,
		  mesh_seq_threshold_fn on_threshold, void *user)
{
	if (!store || block == 0 || block > MESH_SEQ_LIMIT)
		return MESH_ERR_INVAL;
	memset(s, 0, sizeof(*s));
	s->block = block;
	s->threshold = MESH_SEQ_IV_THRESHOLD;
	s->store = store;
	s->on_threshold = on_threshold;
	s->user = user;
	return 0;
}

int mesh_seq_load(struct mesh_seq *s, uint32_t limit)
{
	if (limit > MESH_SEQ_LIMIT)
		return MESH_ERR_INVAL;
	s->next = limit;
	s->reserved = limit;
	/* a restart past the threshold must still ask for the IV update */
	s->threshold_signalled = false;
	return 0;
}

int mesh_seq_reset(struct mesh_seq *s)
{
	/* Only safe once the new IV index is persisted: after a crash, SEQ 0
	 * with the old IV index would repeat old PDUs' nonces. */
	if (s->store(s->user, 0))
		return MESH_ERR_IO;
	s->next = 0;
	s->reserved = 0;
	s->threshold_signalled = false;
	return 0;
}

static int seq_reserve(struct mesh_seq *s)
{
	uint32_t limit = s->next + s->block;

	if (limit > MESH_SEQ_LIMIT || limit < s->next)
		limit = MESH_SEQ_LIMIT;
	if (s->store(s->user, limit))
		return MESH_ERR_IO;
	s->reserved = limit;
	return 0;
}

int mesh_seq_next(struct mesh_seq *s, uint32_t *seq)
{
	int err;

	if (s->next >= MESH_SEQ_LIMIT)
		return MESH_ERR_SEQ_EXHAUSTED;
	if (s->next >= s->reserved) {
		err = seq_reserve(s);
		if (err)
			return err;
	}
	*seq = s->next++;
	if (*seq >= s->threshold && !s->threshold_signalled) {
		s->threshold_signalled = true;
		if (s->on_threshold)
			s->on_threshold(s->user, *seq);
	}
	return 0;
}
