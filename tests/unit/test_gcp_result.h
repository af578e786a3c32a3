/* What the gcp tests keep of a finished request, LRO, pager or upload, and the
 * callback that keeps it. The json is a reference: the test drops it. */
#ifndef TEST_GCP_RESULT_H
#define TEST_GCP_RESULT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "gcp/gcp.h"

typedef struct result {
	bool done, ok, cancelled;
	long http;
	int attempts;
	gcp_error err;
	json_t *json;
	char *body;             /* filled only by callbacks of the test's own that want it */
	int progress_calls;     /* for tests that count progress reports */
	uint64_t last_progress;
} result;

static void result_take(result *res, const gcp_resp *r)
{
	res->done = true;
	res->ok = r->ok;
	res->cancelled = r->cancelled;
	res->http = r->http;
	res->attempts = r->attempts;
	res->err = r->err;
	res->json = json_incref(r->json);
}

static void on_done(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	(void)ctx;
	result_take(user, r);
}

#endif
