/* Human-readable text for enum mesh_err; kept in step with err.h. */
#include "err.h"

const char *mesh_strerror(int err)
{
	switch ((enum mesh_err)err) {
	case MESH_OK: return "success";
	case MESH_ERR_INVAL: return "invalid argument";
	case MESH_ERR_NOMEM: return "out of memory";
	case MESH_ERR_CRYPTO: return "cryptographic library failure";
	case MESH_ERR_TRUNCATED: return "pdu too short";
	case MESH_ERR_OVERSIZED: return "pdu too long";
	case MESH_ERR_UNKNOWN_NID: return "no network key with this nid";
	case MESH_ERR_NETMIC: return "netmic mismatch";
	case MESH_ERR_IV_INDEX: return "iv index not acceptable";
	case MESH_ERR_SRC: return "source address is not unicast";
	case MESH_ERR_DST: return "destination address not allowed";
	case MESH_ERR_CACHED: return "already in network message cache";
	case MESH_ERR_REPLAY: return "replayed sequence number";
	case MESH_ERR_NO_APPKEY: return "no application key with this aid";
	case MESH_ERR_NO_DEVKEY: return "no device key for this address";
	case MESH_ERR_TRANSMIC: return "transmic mismatch";
	case MESH_ERR_NO_LABEL: return "no label uuid decrypts this virtual address";
	case MESH_ERR_RESERVED: return "reserved field value";
	case MESH_ERR_SEGMENT: return "inconsistent segment header";
	case MESH_ERR_BUSY: return "busy";
	case MESH_ERR_TIMEOUT: return "timed out";
	case MESH_ERR_CANCELED: return "canceled";
	case MESH_ERR_OBSOLETE: return "obsolete segment";
	case MESH_ERR_NOT_FOUND: return "not found";
	case MESH_ERR_EXISTS: return "already exists";
	case MESH_ERR_FULL: return "table full";
	case MESH_ERR_OPCODE: return "malformed opcode";
	case MESH_ERR_UNKNOWN_OPCODE: return "no model handles this opcode";
	case MESH_ERR_SEQ_EXHAUSTED: return "sequence numbers exhausted";
	case MESH_ERR_BEACON_AUTH: return "beacon authentication mismatch";
	case MESH_ERR_UNKNOWN_BEACON: return "unknown beacon type";
	case MESH_ERR_IO: return "storage i/o failure";
	case MESH_ERR_DUPLICATE: return "duplicate";
	case MESH_ERR_KEY_INDEX: return "unknown key index";
	case MESH_ERR_PUBKEY: return "invalid public key";
	case MESH_ERR_KEY_REFRESH: return "not allowed in this key refresh phase";
	case MESH_ERR_MIC: return "mic mismatch";
	case MESH_ERR_NOT_BOUND: return "model not bound to this key";
	case MESH_ERR_HCI_STATUS: return "controller reported an error status";
	case MESH_ERR_DOWN: return "bearer is down";
	case MESH_ERR_MALFORMED: return "malformed packet";
	}
	return "unknown error";
}
