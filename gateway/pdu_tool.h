/*
 * `meshgate pdu`: decode captured network PDUs layer by layer with known
 * keys, or build network PDUs from an access payload. Output is one JSON
 * object (decode) or one hex PDU (encode) per line, for people and scripts.
 */
#ifndef GATEWAY_PDU_TOOL_H
#define GATEWAY_PDU_TOOL_H

/* argv[0] is "pdu". Returns the process exit code: 0, 1 (a PDU did not
 * decode or encode) or 2 (usage error). */
int pdu_tool_main(int argc, char **argv);

#endif
