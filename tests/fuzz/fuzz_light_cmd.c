/*
 * libFuzzer target for light commands, the JSON anyone who can publish to
 * <base>/<name>/set hands meshgate. Whatever the bytes: the parser either
 * accepts them or says why; an accepted command becomes, on every shape of
 * light and for known and unknown current states, either an explained
 * refusal or at most three acknowledged Sets that the mesh layer encodes.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/entity.h"
#include "mesh/err.h"
#include "mesh/light_msg.h"
#include "mesh/util.h"

#define MAX_MSGS 4

static const uint32_t shapes[] = {
	GW_CAP_ONOFF,
	GW_CAP_ONOFF | GW_CAP_LEVEL | GW_CAP_LIGHTNESS,
	GW_CAP_ONOFF | GW_CAP_LEVEL | GW_CAP_LIGHTNESS | GW_CAP_CTL,
	GW_CAP_ONOFF | GW_CAP_LEVEL | GW_CAP_LIGHTNESS | GW_CAP_HSL,
	GW_CAP_ONOFF | GW_CAP_LIGHTNESS | GW_CAP_CTL | GW_CAP_HSL,
	GW_CAP_LIGHTNESS,
	GW_CAP_LEVEL,
	GW_CAP_CTL,
	GW_CAP_SENSOR | GW_CAP_SWITCH,
};

static void check_messages(const struct gw_light_cmd *cmd, const struct gw_entity *e,
			   const struct gw_elem_state *cur)
{
	struct mesh_model_msg out[MAX_MSGS];
	char err[160] = "";
	int n = gw_light_cmd_messages(cmd, e, cur, out, MAX_MSGS, err, sizeof(err));

	if (n < 0) {
		if (n != MESH_ERR_INVAL || !err[0])
			abort();
		return;
	}
	if (n == 0 || n > 3)
		abort();
	for (int i = 0; i < n; i++) {
		uint8_t buf[MESH_ACCESS_MAX_PAYLOAD];

		if (mesh_model_msg_encode(&out[i], buf, sizeof(buf)) <= 0)
			abort();
		if (out[i].has_transition != cmd->has_transition)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan sees any read past the input. */
	char *text = malloc(size ? size : 1);
	struct gw_elem_state cur[4];
	struct gw_light_cmd cmd;
	char err[160] = "";

	if (!text)
		return 0;
	memcpy(text, data, size);
	if (gw_light_cmd_parse(text, size, &cmd, err, sizeof(err)) != 0) {
		if (!err[0])
			abort();
		free(text);
		return 0;
	}
	memset(cur, 0, sizeof(cur));
	cur[1].known = GW_STATE_ONOFF | GW_STATE_LIGHTNESS | GW_STATE_CTL | GW_STATE_HSL;
	cur[1].target_onoff = 1;
	cur[1].target_lightness = cur[1].ctl_lightness = cur[1].hsl_lightness = 0x1234;
	cur[1].delta_uv = -100;
	cur[2].known = GW_STATE_LIGHTNESS | GW_STATE_LIGHTNESS_LAST | GW_STATE_LEVEL;
	cur[2].lightness_last = 0x4000;
	cur[2].target_level = INT16_MIN;
	cur[3].known = GW_STATE_ONOFF;
	for (size_t s = 0; s < MESH_ARRAY_SIZE(shapes); s++) {
		struct gw_entity e;

		memset(&e, 0, sizeof(e));
		e.caps = shapes[s];
		/* Ranges from the input: sane, reversed or empty. */
		e.temp_min_k = size > 1 ? (uint16_t)(data[0] * 100) : 2700;
		e.temp_max_k = size > 2 ? (uint16_t)(data[1] * 100) : 6500;
		check_messages(&cmd, &e, NULL);
		for (size_t c = 0; c < MESH_ARRAY_SIZE(cur); c++)
			check_messages(&cmd, &e, &cur[c]);
	}
	free(text);
	return 0;
}
