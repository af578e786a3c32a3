/* Sandbox mode: mint a service account and key through the sandbox's own IAM API,
 * keep the key 0600, then use the ordinary JWT flow against its /token. */
#include "gcp/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "gcp/rq.h"

#define SANDBOX_SA_ID "sealtrain-console"
/* The sandbox accepts any bearer for its own IAM API; this one only bootstraps the key. */
#define SANDBOX_BOOTSTRAP "Authorization: Bearer sealtrain-sandbox-bootstrap"
#include "gcp/auth_priv.h"

/* Sandbox: create (or adopt) our service account, create a key, keep it 0600.
 * body NULL: a GET. */
static void sandbox_call(gcp_auth *a, const char *url, const char *body, gcp_done_fn done)
{
	static const char *const hdrs[] = { SANDBOX_BOOTSTRAP, NULL };
	gcp_req r;
	memset(&r, 0, sizeof r);
	r.method = body ? "POST" : "GET";
	r.url = url;
	r.body = body;
	r.headers = hdrs;
	gcp_a_send(a, &r, done, "sandbox key minting");
}

static int save_key(gcp_auth *a, const unsigned char *key, size_t len, char *err, size_t errlen)
{
	char *dir = st_xstrdup(a->key_path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int rc = st_mkdir_p(dir, 0700, err, errlen);
	free(dir);
	if (rc == 0)
		rc = st_atomic_write(a->key_path, key, len, 0600, err, errlen);
	return rc;
}

static void on_sandbox_key(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	gcp_auth *a = user;
	gcp_error e;
	char err[300];
	(void)ctx;
	if (r->cancelled)
		return;
	if (!r->ok) {
		gcp_a_failf(a, "sandbox keys.create", &r->err);
		gcp_a_settle(a);
		return;
	}
	const char *b64 = stj_str(r->json, "privateKeyData");
	size_t len = 0;
	unsigned char *key = b64 ? st_base64_decode(b64, strlen(b64), &len) : NULL;
	if (!key) {
		gcp_error_set(&e, (int)r->http, 16, NULL, "sandbox keys.create: privateKeyData missing or not base64");
		gcp_a_set_failure(a, &e);
		gcp_a_settle(a);
		return;
	}
	if (save_key(a, key, len, err, sizeof err) != 0 || gcp_a_load_file(a, a->key_path, err, sizeof err) != 0) {
		gcp_error_set(&e, 0, 16, NULL, "sandbox key: %s", err);
		gcp_a_set_failure(a, &e);
		a->kind = AK_SANDBOX;
		memset(key, 0, len);
		free(key);
		gcp_a_settle(a);
		return;
	}
	memset(key, 0, len);
	free(key);
	gcp_a_fetch_sa(a);
}

static void on_enable_poll(gcp_ctx *ctx, const gcp_resp *r, void *user);

static void enable_poll_timer(gcp_ctx *ctx, void *user, bool cancelled)
{
	gcp_auth *a = user;
	(void)ctx;
	if (cancelled || !a->enable_op)
		return;
	char *path = gcp_name_path("/v1/", a->enable_op, NULL);
	char *url = path ? st_xasprintf("%s%s", a->sandbox_url, path) : NULL;
	free(path);
	if (!url) {
		gcp_error e;
		gcp_error_set(&e, 0, 16, NULL, "sandbox: enabling IAM returned a bad operation name");
		gcp_a_set_failure(a, &e);
		gcp_a_settle(a);
		return;
	}
	sandbox_call(a, url, NULL, on_enable_poll);
	free(url);
}

/* The sandbox's IAM API must be on before it can mint our account: turn it on,
 * as an operator would, and wait for that operation. */
static void on_enable_poll(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	gcp_auth *a = user;
	if (r->cancelled)
		return;
	if (!r->ok) {
		gcp_a_failf(a, "sandbox: enabling iam.googleapis.com", &r->err);
		gcp_a_settle(a);
		return;
	}
	if (!stj_bool(r->json, "done", false)) {
		const char *name = stj_str(r->json, "name");
		if (name && (!a->enable_op || strcmp(name, a->enable_op) != 0)) {
			free(a->enable_op);
			a->enable_op = st_xstrdup(name);
		}
		if (!a->enable_op) {
			gcp_error e;
			gcp_error_set(&e, 0, 16, NULL, "sandbox: enabling IAM returned no operation name");
			gcp_a_set_failure(a, &e);
			gcp_a_settle(a);
			return;
		}
		gcp__timer_add(ctx, 200, a, enable_poll_timer, a);
		return;
	}
	gcp_a_fetch_sandbox(a);
}

static void on_sandbox_account(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	gcp_auth *a = user;
	(void)ctx;
	if (r->cancelled)
		return;
	if (r->http == 403 && strcmp(r->err.reason, "SERVICE_DISABLED") == 0 && !a->tried_enable) {
		a->tried_enable = true;
		char *pesc = st_url_escape(a->project);
		char *url = st_xasprintf("%s/v1/projects/%s/services/iam.googleapis.com:enable", a->sandbox_url, pesc);
		sandbox_call(a, url, "{}", on_enable_poll);
		free(pesc);
		free(url);
		return;
	}
	if (!r->ok && r->http != 409) {
		gcp_a_failf(a, "sandbox serviceAccounts.create", &r->err);
		gcp_a_settle(a);
		return;
	}
	char *email = st_xasprintf(SANDBOX_SA_ID "@%s.iam.gserviceaccount.com", a->project);
	char *esc = st_url_escape(email);
	char *pesc = st_url_escape(a->project);
	char *url = st_xasprintf("%s/v1/projects/%s/serviceAccounts/%s/keys", a->sandbox_url, pesc, esc);
	sandbox_call(a, url, "{}", on_sandbox_key);
	free(email);
	free(esc);
	free(pesc);
	free(url);
}

void gcp_a_fetch_sandbox(gcp_auth *a)
{
	char *pesc = st_url_escape(a->project);
	char *url = st_xasprintf("%s/v1/projects/%s/serviceAccounts", a->sandbox_url, pesc);
	sandbox_call(a, url, "{\"accountId\":\"" SANDBOX_SA_ID "\",\"serviceAccount\":"
		     "{\"displayName\":\"sealtrain console (sandbox)\"}}", on_sandbox_account);
	free(pesc);
	free(url);
}

