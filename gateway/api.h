/*
 * The request dispatcher: every request users make, whether it arrives on
 * MQTT (<base>/bridge/request/<method>, <base>/<entity>/set) or as a
 * WebSocket JSON-RPC call, goes through gw_api_call() or gw_api_call_ex().
 * A request is a method name and a JSON object of parameters; the answer
 * is data (any JSON) or one clear error sentence naming the parameter and
 * the problem, of a kind (enum gw_api_error) that JSON-RPC maps to its
 * error codes.
 *
 * Methods (docs/mqtt.md has the parameters and answers):
 *   info, nodes, groups, health_check, networkmap, backup,
 *   scan, provision, oob,
 *   node/info, node/rename, node/remove, node/configure,
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

#include <stdbool.h>

#include <jansson.h>

#include "gateway/app.h"

/* What went wrong, for callers that map errors to codes (JSON-RPC). */
enum gw_api_error {
	GW_API_OK = 0,
	GW_API_ERR_UNKNOWN_METHOD,   /* no such method */
	GW_API_ERR_PARAMS,           /* a parameter is missing, of the wrong type, unknown or out of range,
	                                or names nothing known (unknown node/group/entity) */
	GW_API_ERR_FAILED,           /* a valid request that could not be done: the mesh did not answer,
	                                busy, shutting down, out of memory */
};

/* data: the answer (borrowed) when error is NULL. */
typedef void (*gw_api_reply_fn)(void *ctx, const json_t *data, const char *error);
/* The same with the kind of error: GW_API_OK (error NULL, data set) or
 * another kind with the sentence in error (data NULL). */
typedef void (*gw_api_result_fn)(void *ctx, const json_t *data, enum gw_api_error kind,
				 const char *error);

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

/* gw_api_call() telling the kind of error too. */
void gw_api_call_ex(struct gw_api *api, const char *method, const json_t *params,
		    gw_api_result_fn result, void *ctx);

/* Whether gw_api_call() knows method. */
bool gw_api_method_exists(const char *method);

/* Forget the calls of ctx, made with either function (a WebSocket client
 * gone): they are not answered. */
void gw_api_forget(struct gw_api *api, void *ctx);

#endif
