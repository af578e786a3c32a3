/* Access tokens: where they come from (ADC order) and how long they are kept.
 *
 * A token is used until 10 s before it expires and refreshed in the background from
 * 60 s before, so a request rarely waits for one. Only one fetch runs at a time; the
 * engine parks requests that need a token until the fetch settles. Secrets (keys,
 * refresh tokens, access tokens) never reach a log line or an error message. */
#include "gcp/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "gcp/auth_priv.h"

#define GOOGLE_TOKEN_URI "https://oauth2.googleapis.com/token"

/* ------------------------------------------------------------------ small helpers */

void gcp_a_wipe(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static char *dup_or_null(const char *s)
{
	return s ? st_xstrdup(s) : NULL;
}

void gcp_a_set_failure(gcp_auth *a, const gcp_error *e)
{
	a->failure = *e;
	a->has_failure = true;
}

void gcp_a_failf(gcp_auth *a, const char *what, const gcp_error *cause)
{
	gcp_error e = *cause;
	st_buf b;
	st_buf_init(&b);
	st_buf_printf(&b, "%s: %s", what, cause->message);
	st_strlcpy(e.message, b.p, sizeof e.message);
	st_buf_free(&b);
	if (e.code == 0)
		e.code = 16;
	gcp_a_set_failure(a, &e);
}

/* Tokens go into an HTTP header: printable ASCII only, no spaces, bounded. */
bool gcp_a_token_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;
	if (n == 0 || n > 4096)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
			return false;
	return true;
}

void gcp_a_store_token(gcp_auth *a, const char *tok, int64_t ttl_s)
{
	gcp_a_wipe(a->token);
	a->token = st_xstrdup(tok);
	a->expires = ttl_s > 0 ? st_mono_ms() + ttl_s * 1000 : 0;
	a->has_failure = false;
}

/* {"access_token":..., "expires_in":N} from the token endpoint or metadata server. */
static void take_token_reply(gcp_auth *a, const gcp_resp *r, const char *what)
{
	gcp_error e;
	if (!r->ok) {
		gcp_a_failf(a, what, &r->err);
		return;
	}
	const char *tok = stj_str(r->json, "access_token");
	int64_t ttl = 3600;
	if (!gcp_a_token_ok(tok)) {
		gcp_error_set(&e, (int)r->http, 16, NULL, "%s: reply has no usable access_token", what);
		gcp_a_set_failure(a, &e);
		return;
	}
	if (json_object_get(r->json, "expires_in") && (!stj_int64(r->json, "expires_in", &ttl) || ttl <= 0)) {
		gcp_error_set(&e, (int)r->http, 16, NULL, "%s: expires_in is not a positive number", what);
		gcp_a_set_failure(a, &e);
		return;
	}
	/* A lifetime beyond a day is not something Google issues; do not trust it. */
	gcp_a_store_token(a, tok, ttl > 86400 ? 86400 : ttl);
}

void gcp_a_settle(gcp_auth *a)
{
	a->busy = false;
	if (a->ctx)
		gcp__auth_settled(a->ctx);
}

/* ------------------------------------------------------------------ key files */

static int load_service_account(gcp_auth *a, const json_t *j, const char *path, char *err, size_t errlen)
{
	const char *email = stj_str(j, "client_email");
	const char *pem = stj_str(j, "private_key");
	if (!email || !*email || !pem || !*pem) {
		snprintf(err, errlen, "%s: service_account key lacks %s", path,
			 !email || !*email ? "client_email" : "private_key");
		return -1;
	}
	/* Prove the key is usable now rather than at the first request. */
	char jerr[160];
	char *probe = gcp_jwt_rs256(pem, NULL, email, GCP_SCOPE, "probe", 0, 1, jerr, sizeof jerr);
	if (!probe) {
		snprintf(err, errlen, "%s: %s", path, jerr);
		return -1;
	}
	free(probe);
	a->kind = AK_SA;
	free(a->email);
	gcp_a_wipe(a->pem);
	free(a->key_id);
	a->email = st_xstrdup(email);
	a->pem = st_xstrdup(pem);
	a->key_id = dup_or_null(stj_str(j, "private_key_id"));
	if (!a->token_uri)
		a->token_uri = st_xstrdup(stj_str(j, "token_uri") ? stj_str(j, "token_uri") : GOOGLE_TOKEN_URI);
	snprintf(a->desc, sizeof a->desc, "service account %.120s (%.150s)", email, path);
	return 0;
}

static int load_authorized_user(gcp_auth *a, const json_t *j, const char *path, char *err, size_t errlen)
{
	const char *need[] = { "client_id", "client_secret", "refresh_token" };
	for (size_t i = 0; i < 3; i++)
		if (!stj_str(j, need[i]) || !*stj_str(j, need[i])) {
			snprintf(err, errlen, "%s: authorized_user credentials lack %s", path, need[i]);
			return -1;
		}
	a->kind = AK_USER;
	a->client_id = st_xstrdup(stj_str(j, "client_id"));
	a->client_secret = st_xstrdup(stj_str(j, "client_secret"));
	a->refresh_token = st_xstrdup(stj_str(j, "refresh_token"));
	a->quota_project = dup_or_null(stj_str(j, "quota_project_id"));
	if (!a->token_uri)
		a->token_uri = st_xstrdup(GOOGLE_TOKEN_URI);
	snprintf(a->desc, sizeof a->desc, "user credentials (%.200s)", path);
	return 0;
}

int gcp_a_load_file(gcp_auth *a, const char *path, char *err, size_t errlen)
{
	char rerr[200], perr[160];
	size_t len;
	char *text = st_read_file(path, 1 << 20, &len, rerr, sizeof rerr);
	if (!text) {
		snprintf(err, errlen, "credentials: %s", rerr);
		return -1;
	}
	json_t *j = stj_parse(text, len, 1 << 20, perr, sizeof perr);
	memset(text, 0, len);
	free(text);
	if (!json_is_object(j)) {
		snprintf(err, errlen, "%s: not a JSON credentials file (%s)", path, j ? "not an object" : perr);
		json_decref(j);
		return -1;
	}
	const char *type = stj_str(j, "type");
	int rc;
	if (type && strcmp(type, "service_account") == 0)
		rc = load_service_account(a, j, path, err, errlen);
	else if (type && strcmp(type, "authorized_user") == 0)
		rc = load_authorized_user(a, j, path, err, errlen);
	else {
		char t[64];
		st_sanitize_text(t, sizeof t, type ? type : "(missing)");
		snprintf(err, errlen, "%s: unsupported credentials type '%s' (want service_account or authorized_user)",
			 path, t);
		rc = -1;
	}
	json_decref(j);
	return rc;
}

static int load_token_file(gcp_auth *a, const char *path, char *err, size_t errlen)
{
	char rerr[200];
	size_t len;
	char *text = st_read_file(path, 16384, &len, rerr, sizeof rerr);
	if (!text) {
		snprintf(err, errlen, "token file: %s", rerr);
		return -1;
	}
	char *t = st_trim(text);
	if (!gcp_a_token_ok(t)) {
		snprintf(err, errlen, "%s: does not hold one access token on a line", path);
		gcp_a_wipe(text);
		return -1;
	}
	a->kind = AK_STATIC;
	gcp_a_store_token(a, t, 0);
	gcp_a_wipe(text);
	snprintf(a->desc, sizeof a->desc, "access token from %.200s", path);
	return 0;
}

/* ------------------------------------------------------------------ source choice */

static char *adc_file_path(void)
{
	const char *cfg = getenv("CLOUDSDK_CONFIG");
	if (cfg && *cfg)
		return st_xasprintf("%s/application_default_credentials.json", cfg);
	const char *home = getenv("HOME");
	return home && *home ? st_xasprintf("%s/.config/gcloud/application_default_credentials.json", home) : NULL;
}

/* google-auth's own heuristic: the DMI product name says Google on GCE. Probing
 * 169.254.169.254 blindly would stall off-cloud machines. */
static bool on_gce(void)
{
	char buf[64] = "";
	FILE *f = fopen("/sys/class/dmi/id/product_name", "r");
	if (!f)
		return false;
	bool yes = fgets(buf, sizeof buf, f) && strstr(buf, "Google");
	fclose(f);
	return yes;
}

static bool on_path(const char *cmd)
{
	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	const char *path = getenv("PATH");
	if (!path)
		return false;
	char *copy = st_xstrdup(path), *save = NULL;
	bool found = false;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = st_xasprintf("%s/%s", d, cmd);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

static char *sandbox_key_path(const gcp_auth_opts *o)
{
	char *dir;
	if (o->state_dir)
		dir = st_xstrdup(o->state_dir);
	else if (getenv("XDG_STATE_HOME") && *getenv("XDG_STATE_HOME"))
		dir = st_xasprintf("%s/sealtrain", getenv("XDG_STATE_HOME"));
	else
		dir = st_xasprintf("%s/.local/state/sealtrain", getenv("HOME") ? getenv("HOME") : ".");
	/* One key per sandbox and project. A sandbox we only know by address is named by
	 * it (a restarted one on another port must not be sent a key it never issued); an
	 * embedded one gets a new port each run but keeps its state dir, so that names it,
	 * and one key serves every run instead of a new key file per run. */
	char h[65];
	char *id = o->sandbox_id ? st_xasprintf("state:%s|%s", o->sandbox_id, o->project)
				 : st_xasprintf("%s|%s", o->sandbox_url, o->project);
	st_sha256_hex(id, strlen(id), h);
	free(id);
	h[16] = '\0';
	char *p = st_xasprintf("%s/sandbox-key-%s.json", dir, h);
	free(dir);
	return p;
}

static int pick_sandbox(gcp_auth *a, const gcp_auth_opts *o, char *err, size_t errlen)
{
	if (!o->project || !*o->project) {
		snprintf(err, errlen, "sandbox mode needs a project (--project or config)");
		return -1;
	}
	a->sandbox_url = st_xstrdup(o->sandbox_url);
	a->project = st_xstrdup(o->project);
	a->key_path = sandbox_key_path(o);
	if (access(a->key_path, R_OK) == 0)
		return gcp_a_load_file(a, a->key_path, err, errlen);
	a->kind = AK_SANDBOX;
	snprintf(a->desc, sizeof a->desc, "sandbox service account (to be minted, key kept in %.200s)", a->key_path);
	return 0;
}

static int use_metadata(gcp_auth *a, const gcp_auth_opts *o)
{
	const char *mh = getenv("GCE_METADATA_HOST");
	a->kind = AK_METADATA;
	a->metadata_url = o->metadata_url ? st_xstrdup(o->metadata_url)
		: st_xasprintf("http://%s/computeMetadata/v1", mh && *mh ? mh : "metadata.google.internal");
	snprintf(a->desc, sizeof a->desc, "metadata server (%.200s)", a->metadata_url);
	return 0;
}

static int use_gcloud(gcp_auth *a, const char *gc)
{
	a->kind = AK_GCLOUD;
	a->gcloud = st_xstrdup(gc);
	snprintf(a->desc, sizeof a->desc, "gcloud auth print-access-token");
	return 0;
}

static int pick_source(gcp_auth *a, const gcp_auth_opts *o, char *err, size_t errlen)
{
	const char *gc = o->gcloud ? o->gcloud : getenv("SEALTRAIN_GCLOUD");
	if (!gc || !*gc)
		gc = "gcloud";
	if (o->only && strcmp(o->only, "metadata") == 0)
		return use_metadata(a, o);
	if (o->only && strcmp(o->only, "gcloud") == 0) {
		if (on_path(gc))
			return use_gcloud(a, gc);
		snprintf(err, errlen, "credentials source gcloud: '%s' not found on PATH", gc);
		return -1;
	}
	if (o->token_file)
		return load_token_file(a, o->token_file, err, errlen);
	/* A sandbox never gets the operator's real credentials unless asked for explicitly. */
	const char *gac = o->credentials_file ? o->credentials_file
		: o->sandbox_url ? NULL : getenv("GOOGLE_APPLICATION_CREDENTIALS");
	if (gac && *gac)
		return gcp_a_load_file(a, gac, err, errlen);
	if (o->sandbox_url)
		return pick_sandbox(a, o, err, errlen);
	char *adc = o->no_adc_file ? NULL : adc_file_path();
	if (adc && access(adc, R_OK) == 0) {
		int rc = gcp_a_load_file(a, adc, err, errlen);
		free(adc);
		return rc;
	}
	free(adc);
	const char *mh = getenv("GCE_METADATA_HOST");
	if (!o->no_metadata && ((mh && *mh) || on_gce()))
		return use_metadata(a, o);
	if (!o->no_gcloud && on_path(gc))
		return use_gcloud(a, gc);
	snprintf(err, errlen, "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS, run "
		 "'gcloud auth application-default login', or use --sandbox-url");
	return -1;
}

gcp_auth *gcp_auth_new(const gcp_auth_opts *opts, char *err, size_t errlen)
{
	gcp_auth_opts none;
	memset(&none, 0, sizeof none);
	const gcp_auth_opts *o = opts ? opts : &none;
	gcp_auth *a = st_xcalloc(1, sizeof *a);
	a->child = -1;
	a->child_fd = -1;
	st_buf_init(&a->child_out);
	if (o->token_uri)
		a->token_uri = st_xstrdup(o->token_uri);
	else if (o->sandbox_url)
		a->token_uri = st_xasprintf("%s/token", o->sandbox_url);
	if (pick_source(a, o, err, errlen) != 0) {
		gcp_auth_free(a);
		return NULL;
	}
	return a;
}

const char *gcp_auth_describe(const gcp_auth *a)
{
	return a->desc;
}

const char *gcp_auth_kind(const gcp_auth *a)
{
	static const char *const names[] = { "token-file", "service_account", "authorized_user",
					     "metadata", "gcloud", "sandbox" };
	return names[a->kind];
}

int gcp_auth_fetches(const gcp_auth *a)
{
	return a->fetches;
}

void gcp_auth_free(gcp_auth *a)
{
	if (!a)
		return;
	gcp_a_reap_child(a, true);
	gcp_a_wipe(a->token);
	gcp_a_wipe(a->pem);
	gcp_a_wipe(a->client_secret);
	gcp_a_wipe(a->refresh_token);
	gcp_a_wipe(a->child_out.p);
	free(a->email);
	free(a->key_id);
	free(a->token_uri);
	free(a->client_id);
	free(a->quota_project);
	free(a->metadata_url);
	free(a->gcloud);
	free(a->sandbox_url);
	free(a->project);
	free(a->key_path);
	free(a->enable_op);
	free(a);
}

void gcp__auth_free(gcp_auth *a)
{
	gcp_auth_free(a);
}

/* ------------------------------------------------------------------ engine view */

const char *gcp__auth_token(gcp_auth *a)
{
	if (!a->token)
		return NULL;
	if (a->expires && st_mono_ms() >= a->expires - 10000)
		return NULL;
	return a->token;
}

bool gcp__auth_busy(const gcp_auth *a)
{
	return a->busy;
}

const gcp_error *gcp__auth_failure(const gcp_auth *a)
{
	return a->has_failure ? &a->failure : NULL;
}

const char *gcp__auth_quota_project(const gcp_auth *a)
{
	return a->quota_project;
}

void gcp__auth_invalidate(gcp_auth *a, const char *token)
{
	if (a->kind == AK_STATIC || !a->token || (token && strcmp(token, a->token) != 0))
		return;
	gcp_a_wipe(a->token);
	a->token = NULL;
}

static void fetch(gcp_auth *a);

void gcp__auth_start(gcp_auth *a, gcp_ctx *ctx)
{
	a->ctx = ctx;
	if (a->busy || gcp__auth_token(a))
		return;
	if (a->kind == AK_STATIC) {
		gcp_error e;
		gcp_error_set(&e, 401, 16, NULL, "%s was refused (401) and cannot be refreshed", a->desc);
		gcp_a_set_failure(a, &e);
		return;
	}
	a->busy = true;
	a->has_failure = false;
	a->fetches++;
	fetch(a);
}

void gcp__auth_touch(gcp_auth *a, gcp_ctx *ctx)
{
	a->ctx = ctx;
	if (!a->busy && a->kind != AK_STATIC && a->token && a->expires &&
	    st_mono_ms() >= a->expires - 60000) {
		a->busy = true;
		a->fetches++;
		fetch(a);
	}
}

/* ------------------------------------------------------------------ fetch flows */

void gcp_a_send(gcp_auth *a, gcp_req *r, gcp_done_fn done, const char *what)
{
	gcp_error e;
	r->flags |= GCP_NO_AUTH;
	r->owner = a;
	if (gcp_send(a->ctx, r, done, a, &e) != 0) {
		gcp_a_failf(a, what, &e);
		gcp_a_settle(a);
	}
}

static void post_form(gcp_auth *a, const char *url, const char *form, gcp_done_fn done)
{
	gcp_req r;
	memset(&r, 0, sizeof r);
	r.method = "POST";
	r.url = url;
	r.body = form;
	r.content_type = "application/x-www-form-urlencoded";
	gcp_a_send(a, &r, done, "token endpoint");
}

static void on_token_reply(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	gcp_auth *a = user;
	(void)ctx;
	if (r->cancelled)
		return;
	take_token_reply(a, r, a->kind == AK_SA ? "service-account token exchange"
			 : "refresh-token exchange");
	if (a->has_failure && a->sandbox_url && !a->reminted && (r->http == 400 || r->http == 401)) {
		/* The sandbox's state was reset: its old key is unknown there. Mint afresh. */
		a->reminted = true;
		unlink(a->key_path);
		a->kind = AK_SANDBOX;
		gcp_a_fetch_sandbox(a);
		return;
	}
	gcp_a_settle(a);
}

void gcp_a_fetch_sa(gcp_auth *a)
{
	char err[160];
	long long now = (long long)(st_wall_ms() / 1000);
	char *jwt = gcp_jwt_rs256(a->pem, a->key_id, a->email, GCP_SCOPE, a->token_uri, now, 3600, err, sizeof err);
	if (!jwt) {
		gcp_error e;
		gcp_error_set(&e, 0, 16, NULL, "service-account key: %s", err);
		gcp_a_set_failure(a, &e);
		gcp_a_settle(a);
		return;
	}
	char *form = st_xasprintf("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s", jwt);
	post_form(a, a->token_uri, form, on_token_reply);
	gcp_a_wipe(form);
	gcp_a_wipe(jwt);
}

static void fetch_user(gcp_auth *a)
{
	char *id = st_url_escape(a->client_id), *sec = st_url_escape(a->client_secret);
	char *rt = st_url_escape(a->refresh_token);
	char *form = st_xasprintf("grant_type=refresh_token&client_id=%s&client_secret=%s&refresh_token=%s",
				  id, sec, rt);
	post_form(a, a->token_uri, form, on_token_reply);
	free(id);
	gcp_a_wipe(sec);
	gcp_a_wipe(rt);
	gcp_a_wipe(form);
}

static void on_metadata_reply(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	gcp_auth *a = user;
	(void)ctx;
	if (r->cancelled)
		return;
	take_token_reply(a, r, "metadata server token");
	gcp_a_settle(a);
}

static void fetch_metadata(gcp_auth *a)
{
	gcp_req r;
	char *url = st_xasprintf("%s/instance/service-accounts/default/token", a->metadata_url);
	memset(&r, 0, sizeof r);
	r.method = "GET";
	r.url = url;
	r.flags = GCP_METADATA;
	gcp_a_send(a, &r, on_metadata_reply, "metadata server");
	free(url);
}

static void fetch(gcp_auth *a)
{
	switch (a->kind) {
	case AK_SA: gcp_a_fetch_sa(a); break;
	case AK_USER: fetch_user(a); break;
	case AK_METADATA: fetch_metadata(a); break;
	case AK_GCLOUD: gcp_a_fetch_gcloud(a); break;
	case AK_SANDBOX: gcp_a_fetch_sandbox(a); break;
	case AK_STATIC: gcp_a_settle(a); break;
	}
}
