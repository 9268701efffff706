/*
 * The gateway's configuration file (config.yaml): what `meshgate --config
 * FILE` reads at start and again on SIGHUP. The schema is documented in
 * docs/config.md; every section is optional and has defaults, so an empty
 * file (or no file at all) runs meshgate on the built-in simulator.
 *
 * Errors are one line naming the file, line and column (1-based), the key
 * path and what is wrong, as config/scenario.h does:
 *
 *   config.yaml:12:14: groups.stairway lights.address: 0x8001 is a virtual
 *   address; use 'virtual:' with a label UUID
 *
 * Unknown and duplicate keys are errors. Secrets (the MQTT and web
 * passwords, static OOB values) may instead come from the environment
 * ("${MQTT_PASSWORD}" anywhere a string is expected is replaced by that
 * variable; an unset variable is an error naming it) or from a file
 * (`password_file:`, first line, trailing newline dropped). Secrets are
 * never echoed in messages.
 *
 * This module knows YAML and the schema only; the gateway turns the result
 * into radio, core and bridge settings.
 */
#ifndef CONFIG_GATEWAY_CONFIG_H
#define CONFIG_GATEWAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_CONFIG_STR_MAX 256
#define GW_CONFIG_PATH_MAX 4096
#define GW_CONFIG_NAME_MAX 96        /* = NETDB_NAME_MAX: names end up in the CDB */
#define GW_CONFIG_ELEMENTS_MAX 8
#define GW_CONFIG_NODE_GROUPS_MAX 8
#define GW_CONFIG_ERR_MAX 512

enum gw_config_bearer_kind {
	GW_CONFIG_BEARER_SIMULATOR,   /* the default */
	GW_CONFIG_BEARER_HCI,
	GW_CONFIG_BEARER_UART,
};

enum gw_config_log_format {
	GW_CONFIG_LOG_TEXT,
	GW_CONFIG_LOG_JSON,
};

/* Where a key was found: for messages given after loading (SIGHUP checks,
 * a group name clash found by the gateway). line 0: not from a file. */
struct gw_config_mark {
	unsigned int line, column;    /* 1-based */
};

struct gw_config_mqtt {
	bool enabled;                      /* default true */
	char server[GW_CONFIG_STR_MAX];    /* mqtt://host:port, mqtts://host:port;
	                                      default mqtt://localhost:1883 */
	char base_topic[GW_CONFIG_STR_MAX];/* default "meshgate"; no wildcards, no
	                                      leading or trailing '/' */
	char client_id[GW_CONFIG_STR_MAX]; /* default "meshgate" */
	char username[GW_CONFIG_STR_MAX];
	char password[GW_CONFIG_STR_MAX];  /* secret */
	char ca[GW_CONFIG_PATH_MAX];       /* PEM files for mqtts; "" none */
	char cert[GW_CONFIG_PATH_MAX];
	char key[GW_CONFIG_PATH_MAX];
	bool insecure;                     /* mqtts without verifying the server */
	int version;                       /* 4 (3.1.1, default) or 5; the file says
	                                      3.1.1 or 5 */
	unsigned int keepalive_s;          /* default 60; 5..65535 */
	unsigned int reconnect_max_s;      /* backoff cap, default 60 */
};

struct gw_config_homeassistant {
	bool enabled;                           /* default true */
	char discovery_prefix[GW_CONFIG_STR_MAX]; /* default "homeassistant" */
	char status_topic[GW_CONFIG_STR_MAX];     /* default "homeassistant/status" */
};

struct gw_config_bearer {
	enum gw_config_bearer_kind kind;
	char device[64];                     /* hci: "hci0" (default) */
	char path[GW_CONFIG_PATH_MAX];       /* uart: serial device (required) */
	unsigned int baudrate;               /* uart: default 1000000 */
	bool rtscts;                         /* uart: default true */
	char scenario[GW_CONFIG_PATH_MAX];   /* simulator: "" = the built-in stairway */
	char hci_log[GW_CONFIG_PATH_MAX];    /* btsnoop capture of all HCI traffic; "" none */
};

struct gw_config_mesh {
	char data_dir[GW_CONFIG_PATH_MAX];   /* database and state; default "" (the
	                                        caller's default: $MESHGATE_DATA or ./data) */
	uint16_t unicast_low, unicast_high;  /* provisioner range; default 0x0001-0x7fff */
	uint16_t heartbeat_group;            /* default 0xfeff; a group address */
	uint32_t heartbeat_period_s;         /* default 0: the plan's (16 s) */
	unsigned int liveness_factor;        /* window = factor x period; default 3 */
	uint8_t default_ttl;                 /* 0: leave nodes' alone; else 2..127 */
	bool has_network_transmit;
	uint8_t network_transmit_count;      /* transmissions 1..8 */
	uint16_t network_transmit_interval_ms; /* 10..320, multiple of 10 */
};

struct gw_config_web {
	bool enabled;                        /* default true */
	char host[GW_CONFIG_STR_MAX];        /* default "0.0.0.0" */
	unsigned int port;                   /* default 8080 */
	char password[GW_CONFIG_STR_MAX];    /* secret; "" = generated at first start */
	char cert[GW_CONFIG_PATH_MAX];       /* HTTPS when both are set */
	char key[GW_CONFIG_PATH_MAX];
};

enum gw_config_group_kind {
	GW_CONFIG_GROUP_ADDRESS,             /* a group address 0xc000..0xfeff */
	GW_CONFIG_GROUP_VIRTUAL,             /* a given Label UUID */
	GW_CONFIG_GROUP_VIRTUAL_AUTO,        /* a Label UUID meshgate creates (and keeps) */
	GW_CONFIG_GROUP_AUTO,                /* no address given: meshgate allocates one */
};

struct gw_config_group {
	char name[GW_CONFIG_NAME_MAX];
	enum gw_config_group_kind kind;
	uint16_t address;                    /* ADDRESS */
	uint8_t label[16];                   /* VIRTUAL */
	struct gw_config_mark mark;          /* of the name */
};

struct gw_config_element {
	char name[GW_CONFIG_NAME_MAX];       /* "" = default name */
	char publish[GW_CONFIG_NAME_MAX];    /* group name its client models publish to; "" none */
};

struct gw_config_node {
	bool by_uuid;                        /* key is a UUID, else a unicast address */
	uint8_t uuid[16];
	uint16_t address;
	char name[GW_CONFIG_NAME_MAX];       /* "" = keep the database's */
	size_t n_elements;
	struct gw_config_element elements[GW_CONFIG_ELEMENTS_MAX];
	uint8_t static_oob[32];              /* secret */
	uint8_t static_oob_len;              /* 0, 16 or 32 */
	size_t n_groups;                     /* lighting servers subscribe to these */
	char groups[GW_CONFIG_NODE_GROUPS_MAX][GW_CONFIG_NAME_MAX];
	bool provision_auto;                 /* `provision: auto`: see docs/config.md */
	struct gw_config_mark mark;          /* of the key */
};

enum gw_config_log_level {
	GW_CONFIG_LOG_ERROR,
	GW_CONFIG_LOG_WARN,
	GW_CONFIG_LOG_INFO,                  /* default */
	GW_CONFIG_LOG_DEBUG,
};

struct gw_config_log {
	enum gw_config_log_level level;
	enum gw_config_log_format format;
};

struct gw_config {
	char file[GW_CONFIG_PATH_MAX];       /* as given; "" = defaults / built-in */
	struct gw_config_mqtt mqtt;
	struct gw_config_homeassistant homeassistant;
	struct gw_config_bearer bearer;
	struct gw_config_mesh mesh;
	struct gw_config_web web;
	size_t n_groups;
	struct gw_config_group *groups;
	size_t n_nodes;
	struct gw_config_node *nodes;
	struct gw_config_log log;
};

/* Every default (as documented); no groups, no nodes. */
void gw_config_init(struct gw_config *cfg);
/* Free groups and nodes and wipe the secrets; cfg can be loaded again. */
void gw_config_free(struct gw_config *cfg);

/*
 * Parse yaml (len octets) into cfg (initialised here). name is the file
 * name used in messages. Returns 0, or MESH_ERR_INVAL with the one error
 * line in err (cfg then holds defaults only), MESH_ERR_NOMEM.
 */
int gw_config_load_string(struct gw_config *cfg, const char *yaml, size_t len, const char *name,
			  char *err, size_t errlen);
/* The same for a file. MESH_ERR_IO: "path: cannot read: reason". */
int gw_config_load_file(struct gw_config *cfg, const char *path, char *err, size_t errlen);

/* The demo configuration meshgate uses when started without a file:
 * deploy/config/demo.yaml compiled in (names for the built-in stairway,
 * the "stairway lights" group, part of the stairway provisioned at the
 * first start). Named "builtin:demo.yaml" in messages. */
int gw_config_load_builtin(struct gw_config *cfg, char *err, size_t errlen);

/* The group called name, or NULL. */
const struct gw_config_group *gw_config_group_find(const struct gw_config *cfg, const char *name);
/* The node entry for uuid, or else for its primary address, or NULL. */
const struct gw_config_node *gw_config_node_find(const struct gw_config *cfg,
						 const uint8_t uuid[16], uint16_t address);

#endif
