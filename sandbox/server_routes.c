/* The sandbox's own endpoints: health, reset, and the OAuth token endpoint. */
#include "config.h"
#include "sandbox/server.h"

#include <stdlib.h>

#include "common/json.h"

static void health(sb_server *s, sb_call *c)
{
	char now[48];
	sb_now_rfc3339(s, now, sizeof now);
	sb_reply_json(c, 200, json_pack("{s:s, s:s, s:s, s:f, s:o, s:o, s:s}", "status", "ok",
					"version", PACKAGE_VERSION, "time", now, "timeScale",
					s->opt.time_scale, "requests",
					stj_int64_string((int64_t)s->requests), "faultsInjected",
					stj_int64_string((int64_t)s->faults.injected), "baseUrl",
					s->base_url));
}

/* Wipes every resource, log entry and blob: tests start from a clean slate. */
static void reset(sb_server *s, sb_call *c)
{
	if (sb_store_reset(s) < 0)
		return sb_reply_error(c, 500, "INTERNAL", NULL, "reset failed: %s",
				      sqlite3_errmsg(s->db));
	sb_log(s, "state reset by %s", sb_principal(c));
	sb_reply_json(c, 200, json_object());
}

static const sb_route core_routes[] = {
	{"GET", "/sandbox/v1/health", health, NULL, NULL, SB_NO_AUTH},
	{"POST", "/sandbox/v1/reset", reset, NULL, NULL, 0},
	/* The way in under --strict-auth: like a browser login, no token needed. */
	{"POST", "/sandbox/v1/authorizedUser", sb_authorized_user_handler, NULL, NULL, SB_NO_AUTH},
	{"POST", "/token", sb_token_handler, NULL, NULL, SB_NO_AUTH},
};

const sb_service sb_svc_core = {
	.name = "sandbox",
	.routes = core_routes,
	.nroutes = sizeof core_routes / sizeof *core_routes,
	.tick = sb_store_prune,
};
