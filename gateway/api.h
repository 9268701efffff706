/*
 * The request dispatcher: every request users make, whether it arrives on
 * MQTT (<base>/bridge/request/<method>, <base>/<entity>/set) or as a
 * WebSocket JSON-RPC call, goes through gw_api_call(). A request is a
 * method name and a JSON object of parameters; the answer is data (any
 * JSON) or one clear error sentence naming the parameter and the problem.
 *
 * Methods (docs/mqtt.md has the parameters and answers):
 *   info, nodes, groups, health_check, networkmap, backup,
 *   scan, provision, oob,
 *   node/rename, node/remove, node/configure,
 *   group/add, group/remove, group/rename, group/members/add,
 *   group/members/remove,
 *   entity/set, entity/get
 *
 * Requests that wait for the mesh (provision, node/remove, node/configure,
 * group membership, entity/set and entity/get to a unicast element) answer
 * when the mesh has answered, or failed to; the others answer before
 * gw_api_call() returns. Nothing is sent to the mesh for a request with a
 * bad parameter.
 */
#ifndef GATEWAY_API_H
#define GATEWAY_API_H

#include <jansson.h>

#include "gateway/app.h"

/* data: the answer (borrowed) when error is NULL. */
typedef void (*gw_api_reply_fn)(void *ctx, const json_t *data, const char *error);

struct gw_api_call;

struct gw_api {
	struct gw_app *app;
	struct gw_api_call *calls;      /* waiting for the mesh */
};

int gw_api_init(struct gw_api *api, struct gw_app *app);
/* Pending calls are answered "meshgate is shutting down". */
void gw_api_close(struct gw_api *api);

/* params may be NULL ({}). reply is called exactly once, possibly before
 * this returns. */
void gw_api_call(struct gw_api *api, const char *method, const json_t *params,
		 gw_api_reply_fn reply, void *ctx);

/* Forget the calls of ctx (a WebSocket client gone): they are not answered. */
void gw_api_forget(struct gw_api *api, void *ctx);

#endif
