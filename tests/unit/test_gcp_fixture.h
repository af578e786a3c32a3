/* cmocka fixture for gcp unit tests: a client whose every endpoint points at a
 * fresh fake server, with short backoffs so that retry paths run quickly. */
#ifndef TEST_GCP_FIXTURE_H
#define TEST_GCP_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "gcp/endpoints.h"
#include "gcp/gcp.h"
#include "tests/support/fakeserver.h"

typedef struct fx {
	fs_server *fs;
	gcp_ctx *ctx;
	gcp_endpoints ep;
} fx;

static int setup(void **state)
{
	fx *f = st_xcalloc(1, sizeof *f);
	f->fs = fs_start();
	gcp_opts o;
	memset(&o, 0, sizeof o);
	o.backoff_base_ms = 5;
	o.backoff_cap_ms = 20;
	f->ctx = gcp_new(&o, NULL);
	gcp_endpoints_init(&f->ep);
	gcp_endpoints_all(&f->ep, fs_url(f->fs));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	gcp_free(f->ctx);
	gcp_endpoints_free(&f->ep);
	fs_stop(f->fs);
	free(f);
	return 0;
}

#endif
