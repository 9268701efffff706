/*
 * `meshgate network show|export|import`: the network database from the
 * command line (docs/network-database.md).
 */
#ifndef GATEWAY_NETWORK_CMD_H
#define GATEWAY_NETWORK_CMD_H

/* Where the data directory is when --data is not given. */
#define MESHGATE_DATA_DEFAULT "meshgate-data"
#define MESHGATE_DATA_ENV "MESHGATE_DATA"

/* The data directory: --data's value, $MESHGATE_DATA, or the default. */
const char *meshgate_data_dir(const char *option);

int network_cmd_main(int argc, char **argv);

#endif
