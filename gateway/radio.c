/* Bearer selection and set-up for the gateway; see radio.h. */
#include "radio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/scenario.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/prov_pdu.h"
#include "mesh/sim/vctrl.h"

#define LOG "radio"

void radio_config_default(struct radio_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = RADIO_SIMULATOR;
	cfg->rtscts = true;
}

static int radio_target_copy(struct radio_config *cfg, const char *value, char *err,
			     size_t err_len)
{
	if (strlen(value) >= sizeof(cfg->target)) {
		snprintf(err, err_len, "bearer target '%.40s...' is too long", value);
		return MESH_ERR_INVAL;
	}
	strcpy(cfg->target, value);
	return 0;
}

int radio_config_parse(struct radio_config *cfg, const char *spec, char *err, size_t err_len)
{
	const char *colon = strchr(spec, ':');
	size_t kind_len = colon ? (size_t)(colon - spec) : strlen(spec);
	const char *value = colon ? colon + 1 : "";

	if (kind_len == 9 && strncmp(spec, "simulator", 9) == 0) {
		cfg->kind = RADIO_SIMULATOR;
		return radio_target_copy(cfg, value, err, err_len);
	}
	if (kind_len == 3 && strncmp(spec, "hci", 3) == 0) {
		int index;

		cfg->kind = RADIO_HCI;
		if (hci_user_parse_name(value, &index) < 0) {
			snprintf(err, err_len,
				 "bearer 'hci:%s': expected an adapter name like hci0", value);
			return MESH_ERR_INVAL;
		}
		return radio_target_copy(cfg, value, err, err_len);
	}
	if (kind_len == 4 && strncmp(spec, "uart", 4) == 0) {
		cfg->kind = RADIO_UART;
		if (!*value) {
			snprintf(err, err_len,
				 "bearer 'uart:': expected a serial device path, e.g. uart:/dev/ttyACM0");
			return MESH_ERR_INVAL;
		}
		return radio_target_copy(cfg, value, err, err_len);
	}
	snprintf(err, err_len,
		 "unknown bearer '%s': use hci:hciN, uart:PATH, simulator or simulator:SCENARIO",
		 spec);
	return MESH_ERR_INVAL;
}

static int radio_open_uart(struct radio *r, const struct radio_config *cfg, char *err,
			   size_t err_len)
{
	struct hci_uart_config ucfg;
	int rc;

	hci_uart_config_default(&ucfg);
	ucfg.path = cfg->target;
	if (cfg->baud)
		ucfg.baud = cfg->baud;
	ucfg.rtscts = cfg->rtscts;
	rc = hci_uart_init(&r->uart, r->loop, &ucfg);
	r->transport_unowned = rc == 0;
	if (rc < 0)
		snprintf(err, err_len, "uart %s: unsupported baud rate %u", cfg->target, cfg->baud);
	return rc;
}

static int radio_open_hci(struct radio *r, const struct radio_config *cfg, char *err,
			  size_t err_len)
{
	int index;
	int rc = hci_user_parse_name(cfg->target, &index);

	if (rc == 0)
		rc = hci_user_init(&r->user, r->loop, index);
	r->transport_unowned = rc == 0;
	if (rc < 0)
		snprintf(err, err_len, "bearer hci:%s: %s", cfg->target, mesh_strerror(rc));
	return rc;
}

static struct sim_device *radio_first_controller(struct sim_world *w)
{
	for (size_t i = 0; i < sim_world_device_count(w); i++) {
		struct sim_device *d = sim_world_device(w, i);

		if (d->desc.kind == SIM_DEVICE_CONTROLLER)
			return d;
	}
	return NULL;
}

static int radio_load_scenario(struct radio *r, const struct radio_config *cfg, char *err,
			       size_t err_len)
{
	if (cfg->target[0])
		return config_scenario_load_file(cfg->target, &r->scenario, err, err_len);
	return config_scenario_load_builtin(&r->scenario, err, err_len);
}

/* Nobody stands next to an in-process simulated device: the log is its
 * display. */
static void radio_sim_shows(void *ctx, const struct sim_device *d, uint8_t action,
			    const char *value)
{
	(void)ctx;
	mesh_log_info(LOG, "simulated device %s shows %s (%s)", d->desc.name, value,
		      mesh_prov_output_action_name(action));
}

static void radio_sim_asks(void *ctx, const struct sim_device *d, uint8_t action, uint8_t size)
{
	(void)ctx;
	mesh_log_warn(LOG, "simulated device %s waits for input (%s, %u): in-process devices "
		      "cannot be typed on; run meshsim and use its 'input' command",
		      d->desc.name, mesh_prov_input_action_name(action), size);
}

static const struct sim_world_observer radio_sim_observer = {
	.on_prov_output = radio_sim_shows,
	.on_prov_input = radio_sim_asks,
};

/* The world runs in this process; its first controller talks H4 to our HCI
 * core over a socketpair, exactly as a real controller would over a UART. */
static int radio_open_simulator(struct radio *r, const struct radio_config *cfg, char *err,
				size_t err_len)
{
	struct sim_device *ctrl;
	int fds[2];
	int rc = radio_load_scenario(r, cfg, err, err_len);

	if (rc < 0)
		return rc;
	rc = sim_world_create(&r->world, r->loop, &r->scenario);
	if (rc < 0) {
		snprintf(err, err_len, "simulator: cannot build the world: %s", mesh_strerror(rc));
		return rc;
	}
	sim_world_set_observer(r->world, &radio_sim_observer);
	ctrl = radio_first_controller(r->world);
	if (!ctrl) {
		snprintf(err, err_len,
			 "simulator scenario '%s' has no device of type controller to attach to",
			 r->scenario.name);
		return MESH_ERR_INVAL;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
		snprintf(err, err_len, "simulator: socketpair: %s", strerror(errno));
		return MESH_ERR_IO;
	}
	rc = sim_vctrl_attach_fd(sim_vctrl_of(ctrl), fds[0]);
	if (rc == 0)
		rc = hci_uart_init_fd(&r->uart, r->loop, fds[1], "in-process H4 link");
	else
		close(fds[1]);
	r->transport_unowned = rc == 0;
	if (rc == 0)
		rc = sim_world_start(r->world);
	if (rc < 0)
		snprintf(err, err_len, "simulator: %s", mesh_strerror(rc));
	else
		mesh_log_info(LOG, "simulated world '%s': %zu devices, gateway attached to '%s'",
			      r->scenario.name, sim_world_device_count(r->world), ctrl->desc.name);
	return rc;
}

static struct hci_transport *radio_transport(struct radio *r)
{
	return r->kind == RADIO_HCI ? &r->user.transport : &r->uart.transport;
}

static int radio_open_snoop(struct radio *r, const char *path, char *err, size_t err_len)
{
	int rc = btsnoop_open(&r->snoop, path);

	if (rc < 0) {
		snprintf(err, err_len, "--hci-log %s: %s", path, strerror(-rc));
		return MESH_ERR_IO;
	}
	r->snooping = true;
	hci_core_set_snoop(&r->core, &r->snoop);
	mesh_log_info(LOG, "writing HCI traffic to %s (btsnoop; read with btmon -r)", path);
	return 0;
}

int radio_open(struct radio *r, uv_loop_t *loop, const struct radio_config *cfg, char *err,
	       size_t err_len)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->loop = loop;
	r->kind = cfg->kind;
	sim_scenario_init(&r->scenario);
	switch (cfg->kind) {
	case RADIO_UART: rc = radio_open_uart(r, cfg, err, err_len); break;
	case RADIO_HCI: rc = radio_open_hci(r, cfg, err, err_len); break;
	default: rc = radio_open_simulator(r, cfg, err, err_len); break;
	}
	if (rc < 0)
		goto fail;
	rc = hci_core_init(&r->core, loop, radio_transport(r), NULL);
	if (rc < 0) {
		snprintf(err, err_len, "HCI core: %s", mesh_strerror(rc));
		r->core.transport = NULL;
		goto fail;
	}
	r->transport_unowned = false;   /* hci_core_close() closes it now */
	if (cfg->hci_log && (rc = radio_open_snoop(r, cfg->hci_log, err, err_len)) < 0)
		goto fail;
	rc = hci_core_start(&r->core);
	if (rc < 0) {
		snprintf(err, err_len, "%s: cannot open the radio (%s; see above)",
			 radio_transport(r)->name, mesh_strerror(rc));
		goto fail;
	}
	return 0;
fail:
	radio_close(r);
	return rc;
}

void radio_close(struct radio *r)
{
	if (r->core.transport) {
		hci_core_close(&r->core);
		r->core.transport = NULL;
	} else if (r->transport_unowned) {
		hci_transport_close(radio_transport(r));
	}
	r->transport_unowned = false;
	if (r->world) {
		sim_world_destroy(r->world);
		r->world = NULL;
	}
	if (r->snooping) {
		btsnoop_close(&r->snoop);
		r->snooping = false;
	}
	sim_scenario_free(&r->scenario);
}
