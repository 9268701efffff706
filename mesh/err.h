/*
 * Error codes of the mesh core.
 *
 * Every fallible function of mesh/ returns 0 on success or one of these
 * negative values. Decoders of untrusted radio input return the code that
 * names *why* a PDU was rejected, so the packet tool and logs can say it
 * ("netmic mismatch") instead of a bare failure.
 *
 * New codes are appended at the end of the enum, with their text in err.c.
 */
#ifndef MESH_ERR_H
#define MESH_ERR_H

enum mesh_err {
	MESH_OK = 0,
	MESH_ERR_INVAL = -1,           /* a caller passed an invalid argument */
	MESH_ERR_NOMEM = -2,
	MESH_ERR_CRYPTO = -3,          /* OpenSSL reported a failure */
	MESH_ERR_TRUNCATED = -4,       /* input shorter than its format needs */
	MESH_ERR_OVERSIZED = -5,       /* input longer than its format allows */
	MESH_ERR_UNKNOWN_NID = -6,     /* no subnet credentials carry this NID */
	MESH_ERR_NETMIC = -7,          /* NetMIC did not authenticate */
	MESH_ERR_IV_INDEX = -8,        /* IV index not acceptable */
	MESH_ERR_SRC = -9,             /* source address is not unicast */
	MESH_ERR_DST = -10,            /* destination address not allowed here */
	MESH_ERR_CACHED = -11,         /* already in the network message cache */
	MESH_ERR_REPLAY = -12,         /* SEQ/IV index not newer than last seen */
	MESH_ERR_NO_APPKEY = -13,      /* no application key with this AID */
	MESH_ERR_NO_DEVKEY = -14,      /* no device key for this address */
	MESH_ERR_TRANSMIC = -15,       /* TransMIC did not authenticate */
	MESH_ERR_NO_LABEL = -16,       /* no Label UUID decrypts this virtual dst */
	MESH_ERR_RESERVED = -17,       /* a reserved/prohibited field value */
	MESH_ERR_SEGMENT = -18,        /* segment header inconsistent */
	MESH_ERR_BUSY = -19,           /* resource in use (e.g. SAR to same dst) */
	MESH_ERR_TIMEOUT = -20,
	MESH_ERR_CANCELED = -21,
	MESH_ERR_OBSOLETE = -22,       /* segment of an older SeqZero */
	MESH_ERR_NOT_FOUND = -23,
	MESH_ERR_EXISTS = -24,
	MESH_ERR_FULL = -25,           /* a bounded table is full */
	MESH_ERR_OPCODE = -26,         /* malformed or reserved opcode */
	MESH_ERR_UNKNOWN_OPCODE = -27, /* no model handles this opcode */
	MESH_ERR_SEQ_EXHAUSTED = -28,  /* 24-bit SEQ space used up */
	MESH_ERR_BEACON_AUTH = -29,    /* beacon authentication value mismatch */
	MESH_ERR_UNKNOWN_BEACON = -30, /* beacon type not known */
	MESH_ERR_IO = -31,             /* persistence/storage failure */
	MESH_ERR_DUPLICATE = -32,      /* segment or message already received */
	MESH_ERR_KEY_INDEX = -33,      /* key index out of range or unknown */
	MESH_ERR_PUBKEY = -34,         /* ECDH public key invalid / not on curve */
	MESH_ERR_KEY_REFRESH = -35,    /* operation not allowed in this phase */
	MESH_ERR_MIC = -36,            /* AES-CCM MIC did not authenticate */
	MESH_ERR_NOT_BOUND = -37,      /* model not bound to the key used */
	MESH_ERR_HCI_STATUS = -38,     /* the controller answered a non-zero HCI status */
	MESH_ERR_DOWN = -39,           /* bearer or controller not (yet) usable */
	MESH_ERR_MALFORMED = -40,      /* fields of a packet contradict each other */
};

/* A short lowercase sentence naming the error, never NULL. */
const char *mesh_strerror(int err);

#endif
