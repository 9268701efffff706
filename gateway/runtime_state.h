/*
 * meshgate's own runtime state as a node, kept beside the CDB in
 * state.json: the IV index and IV Update state, the sequence number
 * reservation, and the replay protection list. The CDB has no place for
 * these, and they change far more often than the network does.
 *
 * SEQ is reserved in blocks: the file records the first SEQ not yet
 * handed out after a crash (`seq_reserved`); the stack may use numbers up
 * to it without saving, and asks for the next block before it gets there.
 * After a crash meshgate restarts at seq_reserved, never reusing a SEQ.
 */
#ifndef GATEWAY_RUNTIME_STATE_H
#define GATEWAY_RUNTIME_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNTIME_RPL_MAX 1024

struct runtime_rpl_entry {
	uint16_t src;
	uint32_t seq;                /* highest SEQ seen (24 bits) */
	uint32_t iv_index;
};

struct runtime_state {
	uint32_t iv_index;
	bool iv_update;              /* IV Update in progress */
	uint32_t seq_reserved;       /* first SEQ not reserved (24 bits) */
	size_t n_rpl;
	struct runtime_rpl_entry rpl[RUNTIME_RPL_MAX];
};

/* A fresh state: IV index 0, normal operation, SEQ 0, empty RPL. */
void runtime_state_init(struct runtime_state *s);

/*
 * Load dir/state.json. -ENOENT if it does not exist (caller starts fresh);
 * -EINVAL for a damaged file, with err saying which file, where and what
 * (never silently starting with IV index 0 over a damaged file, which
 * would make the network reject us). 
 */
int runtime_state_load(struct runtime_state *s, const char *dir, char *err, size_t errlen);

/* Save atomically and durably (mode 0600, previous version kept as .bak). */
int runtime_state_save(const struct runtime_state *s, const char *dir, char *err,
		       size_t errlen);

/* JSON text and back (exposed for tests and the fuzz target). */
char *runtime_state_to_json(const struct runtime_state *s);
int runtime_state_from_json(struct runtime_state *s, const char *text, size_t len,
			    const char *name, char *err, size_t errlen);

#endif
