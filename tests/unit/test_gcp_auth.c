/* Credentials and tokens: every ADC source against a scripted loopback server, the
 * JWT checked with the public half of a key made for the test, broken key files,
 * hostile token replies, one refresh on 401, background refresh, sandbox minting,
 * and no secret ever in an error message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "gcp/auth.h"
#include "gcp/gcp.h"
#include "tests/support/fakeserver.h"
#include "tests/support/sttest.h"
#include "tests/unit/test_gcp_result.h"

static EVP_PKEY *test_key;
static char *test_pem;

typedef struct fx {
	fs_server *fs;
	char *dir;
	char *tok_uri;   /* the fake server's /token, for key and refresh-token flows */
} fx;

static int group_setup(void **state)
{
	(void)state;
	test_key = EVP_RSA_gen(2048);
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, test_key, NULL, NULL, 0, NULL, NULL);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	test_pem = st_xstrndup(p, (size_t)n);
	BIO_free(b);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(test_key);
	free(test_pem);
	return 0;
}

static int setup(void **state)
{
	fx *f = st_xcalloc(1, sizeof *f);
	f->fs = fs_start();
	f->dir = st_test_tmpdir("gcp-auth");
	f->tok_uri = st_xasprintf("%s/token", fs_url(f->fs));
	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	unsetenv("GCE_METADATA_HOST");
	unsetenv("SEALTRAIN_GCLOUD");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	fs_stop(f->fs);
	st_test_rmtree(f->dir);
	free(f->dir);
	free(f->tok_uri);
	free(f);
	return 0;
}

static char *write_sa_key(fx *f, const char *email)
{
	json_t *k = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "service_account", "project_id", "p",
			      "private_key_id", "kid-1", "private_key", test_pem, "client_email", email);
	char *path = st_xasprintf("%s/key.json", f->dir);
	char *s = stj_dump(k);
	st_test_write_file(path, s);
	free(s);
	json_decref(k);
	return path;
}

/* Verifies the RS256 assertion the client sent and answers with a fresh token. */
static int tokens_issued;
static char jwt_claims[1024];
static void token_endpoint(const fs_request *rq, fs_reply *out, void *user)
{
	static char body[256];
	(void)user;
	out->status = 400;
	out->body = "{\"error\":\"invalid_grant\",\"error_description\":\"bad assertion\"}";
	const char *a = strstr(rq->body, "assertion=");
	if (!strstr(rq->body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") || !a)
		return;
	a += strlen("assertion=");
	const char *dot1 = strchr(a, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2)
		return;
	size_t siglen, clen;
	unsigned char *sig = st_base64_decode(dot2 + 1, strlen(dot2 + 1), &siglen);
	unsigned char *claims = st_base64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &clen);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = sig && claims && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, test_key) == 1 &&
		 EVP_DigestVerify(md, sig, siglen, (const unsigned char *)a, (size_t)(dot2 - a)) == 1;
	EVP_MD_CTX_free(md);
	if (ok) {
		snprintf(jwt_claims, sizeof jwt_claims, "%.*s", (int)clen, claims);
		tokens_issued++;
		snprintf(body, sizeof body, "{\"access_token\":\"ya29.test-%d\",\"expires_in\":3599,\"token_type\":\"Bearer\"}",
			 tokens_issued);
		out->status = 200;
		out->body = body;
	}
	free(sig);
	free(claims);
}

static void call(gcp_ctx *ctx, fx *f, const char *path, result *res)
{
	char *u = st_xasprintf("%s%s", fs_url(f->fs), path);
	memset(res, 0, sizeof *res);
	assert_int_equal(gcp_call(ctx, "GET", u, NULL, on_done, res), 0);
	assert_int_equal(gcp_loop_run_until(ctx, &res->done, 20000), 0);
	json_decref(res->json); /* these tests look at the outcome, not the body */
	res->json = NULL;
	free(u);
}

static gcp_ctx *ctx_for(fx *f, gcp_auth_opts *o, char *err, size_t errlen)
{
	o->no_adc_file = o->no_metadata = o->no_gcloud = true;
	gcp_auth *a = gcp_auth_new(o, err, errlen);
	if (!a)
		return NULL;
	gcp_opts opts;
	memset(&opts, 0, sizeof opts);
	opts.backoff_base_ms = 5;
	opts.backoff_cap_ms = 20;
	(void)f;
	return gcp_new(&opts, a);
}

static void test_service_account_jwt(void **state)
{
	fx *f = *state;
	tokens_issued = 0;
	fs_on_fn(f->fs, "POST", "/token", 0, token_endpoint, NULL);
	fs_json(f->fs, "GET", "/v1/x", 0, 200, "{}");
	char *key = write_sa_key(f, "runner@p.iam.gserviceaccount.com");
	gcp_auth_opts o = { .credentials_file = key, .token_uri = f->tok_uri };
	char err[300];
	gcp_ctx *ctx = ctx_for(f, &o, err, sizeof err);
	assert_non_null(ctx);
	assert_string_equal(gcp_auth_kind(gcp_ctx_auth(ctx)), "service_account");
	result r;
	call(ctx, f, "/v1/x", &r);
	assert_true(r.ok);
	call(ctx, f, "/v1/x", &r); /* cached: no second exchange */
	assert_int_equal(tokens_issued, 1);
	json_t *c = json_loads(jwt_claims, 0, NULL);
	assert_string_equal(stj_str(c, "iss"), "runner@p.iam.gserviceaccount.com");
	assert_string_equal(stj_str(c, "aud"), f->tok_uri);
	assert_string_equal(stj_str(c, "scope"), "https://www.googleapis.com/auth/cloud-platform");
	int64_t iat, exp;
	assert_true(stj_int64(c, "iat", &iat) && stj_int64(c, "exp", &exp));
	assert_int_equal(exp - iat, 3600);
	json_decref(c);
	fs_request *q = fs_get(f->fs, 1);
	assert_string_equal(q->auth, "Bearer ya29.test-1");
	fs_request_free(q);
	gcp_free(ctx);
	free(key);
}

static void test_401_refresh_once(void **state)
{
	fx *f = *state;
	tokens_issued = 0;
	fs_on_fn(f->fs, "POST", "/token", 0, token_endpoint, NULL);
	fs_json(f->fs, "GET", "/v1/r", 1, 401, "{\"error\":{\"code\":401,\"message\":\"expired\",\"status\":\"UNAUTHENTICATED\"}}");
	fs_json(f->fs, "GET", "/v1/r", 1, 200, "{}");
	fs_json(f->fs, "GET", "/v1/never", 0, 401, "{\"error\":{\"code\":401,\"message\":\"no\",\"status\":\"UNAUTHENTICATED\"}}");
	char *key = write_sa_key(f, "a@p.iam.gserviceaccount.com");
	gcp_auth_opts o = { .credentials_file = key, .token_uri = f->tok_uri };
	char err[300];
	gcp_ctx *ctx = ctx_for(f, &o, err, sizeof err);
	result r;
	call(ctx, f, "/v1/r", &r);
	assert_true(r.ok);
	assert_int_equal(tokens_issued, 2);
	assert_int_equal(fs_count(f->fs, "/v1/r"), 2);
	/* A second 401 after the refresh is final: no loop. */
	call(ctx, f, "/v1/never", &r);
	assert_false(r.ok);
	assert_int_equal(r.http, 401);
	assert_int_equal(fs_count(f->fs, "/v1/never"), 2);
	assert_int_equal(tokens_issued, 3);
	gcp_free(ctx);
	free(key);
}

static void test_authorized_user(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "POST", "/token", 0, 200, "{\"access_token\":\"ya29.user\",\"expires_in\":\"3599\"}");
	fs_json(f->fs, "GET", "/v1/u", 0, 200, "{}");
	char *path = st_xasprintf("%s/adc.json", f->dir);
	st_test_write_file(path, "{\"type\":\"authorized_user\",\"client_id\":\"cid\",\"client_secret\":\"s&cret\","
			   "\"refresh_token\":\"1//rt\",\"quota_project_id\":\"billing-proj\"}");
	gcp_auth_opts o = { .credentials_file = path, .token_uri = f->tok_uri };
	char err[300];
	gcp_ctx *ctx = ctx_for(f, &o, err, sizeof err);
	result r;
	call(ctx, f, "/v1/u", &r);
	assert_true(r.ok);
	fs_request *q = fs_get(f->fs, 0);
	assert_non_null(strstr(q->body, "grant_type=refresh_token"));
	assert_non_null(strstr(q->body, "client_secret=s%26cret"));
	assert_non_null(strstr(q->body, "refresh_token=1%2F%2Frt"));
	fs_request_free(q);
	q = fs_get(f->fs, 1);
	assert_string_equal(q->auth, "Bearer ya29.user");
	assert_non_null(strstr(q->headers, "x-goog-user-project: billing-proj"));
	fs_request_free(q);
	gcp_free(ctx);
	free(path);
}

static void test_token_file(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/v1/t", 0, 200, "{}");
	char *path = st_xasprintf("%s/tok", f->dir);
	st_test_write_file(path, "  ya29.from-file\n");
	gcp_auth_opts o = { .token_file = path };
	char err[300];
	gcp_ctx *ctx = ctx_for(f, &o, err, sizeof err);
	result r;
	call(ctx, f, "/v1/t", &r);
	assert_true(r.ok);
	fs_request *q = fs_get(f->fs, 0);
	assert_string_equal(q->auth, "Bearer ya29.from-file");
	fs_request_free(q);
	gcp_free(ctx);
	st_test_write_file(path, "two words\n");
	assert_null(gcp_auth_new(&o, err, sizeof err));
	assert_non_null(strstr(err, path));
	free(path);
}

static void test_metadata_server(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/computeMetadata/v1/instance/service-accounts/default/token", 0, 200,
		"{\"access_token\":\"ya29.md\",\"expires_in\":100,\"token_type\":\"Bearer\"}");
	fs_json(f->fs, "GET", "/v1/m", 0, 200, "{}");
	const char *host = fs_url(f->fs) + strlen("http://");
	setenv("GCE_METADATA_HOST", host, 1);
	gcp_auth_opts o;
	memset(&o, 0, sizeof o);
	o.no_adc_file = o.no_gcloud = true;
	char err[300];
	gcp_auth *a = gcp_auth_new(&o, err, sizeof err);
	assert_non_null(a);
	assert_string_equal(gcp_auth_kind(a), "metadata");
	gcp_ctx *ctx = gcp_new(NULL, a);
	result r;
	call(ctx, f, "/v1/m", &r);
	assert_true(r.ok);
	fs_request *q = fs_get(f->fs, 0);
	assert_non_null(strstr(q->headers, "Metadata-Flavor: Google"));
	assert_null(q->auth);
	fs_request_free(q);
	/* expires_in 100 s is inside the 60 s refresh window after 40 s; at once it is fresh. */
	assert_int_equal(gcp_auth_fetches(a), 1);
	gcp_free(ctx);
	unsetenv("GCE_METADATA_HOST");
}

static void test_background_refresh(void **state)
{
	fx *f = *state;
	/* 30 s lifetime: usable now (until 10 s before expiry), but within a minute of it, so each use refreshes in
	 * the background while the current token keeps serving. */
	fs_json(f->fs, "POST", "/token", 0, 200, "{\"access_token\":\"ya29.short\",\"expires_in\":30}");
	fs_json(f->fs, "GET", "/v1/b", 0, 200, "{}");
	char *path = st_xasprintf("%s/adc.json", f->dir);
	st_test_write_file(path, "{\"type\":\"authorized_user\",\"client_id\":\"c\",\"client_secret\":\"s\",\"refresh_token\":\"r\"}");
	gcp_auth_opts o = { .credentials_file = path, .token_uri = f->tok_uri };
	char err[300];
	gcp_ctx *ctx = ctx_for(f, &o, err, sizeof err);
	result r;
	call(ctx, f, "/v1/b", &r);
	call(ctx, f, "/v1/b", &r);
	assert_true(r.ok);
	gcp_loop_run_until(ctx, NULL, 5000);
	assert_true(gcp_auth_fetches(gcp_ctx_auth(ctx)) >= 2);
	assert_int_equal(fs_count(f->fs, "/v1/b"), 2);
	gcp_free(ctx);
	free(path);
}

static void test_gcloud(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/v1/g", 0, 200, "{}");
	char *script = st_xasprintf("%s/fake-gcloud", f->dir);
	st_test_write_file(script, "#!/bin/sh\n[ \"$1 $2\" = \"auth print-access-token\" ] || exit 3\necho ya29.gcloud\n");
	chmod(script, 0700);
	gcp_auth_opts o;
	memset(&o, 0, sizeof o);
	o.no_adc_file = o.no_metadata = true;
	o.gcloud = script;
	char err[300];
	gcp_auth *a = gcp_auth_new(&o, err, sizeof err);
	assert_non_null(a);
	assert_string_equal(gcp_auth_kind(a), "gcloud");
	gcp_ctx *ctx = gcp_new(NULL, a);
	result r;
	call(ctx, f, "/v1/g", &r);
	assert_true(r.ok);
	fs_request *q = fs_get(f->fs, 0);
	assert_string_equal(q->auth, "Bearer ya29.gcloud");
	fs_request_free(q);
	gcp_free(ctx);
	/* A failing gcloud is a clear auth error, not a hang. */
	st_test_write_file(script, "#!/bin/sh\necho 'ERROR: not logged in' >&2\nexit 1\n");
	a = gcp_auth_new(&o, err, sizeof err);
	ctx = gcp_new(NULL, a);
	call(ctx, f, "/v1/g", &r);
	assert_false(r.ok);
	assert_string_equal(r.err.status, "UNAUTHENTICATED");
	assert_non_null(strstr(r.err.message, "exit status 1"));
	gcp_free(ctx);
	free(script);
}

/* gcloud's ADC file comes after GOOGLE_APPLICATION_CREDENTIALS in the order. */
static void test_adc_order(void **state)
{
	fx *f = *state;
	char *adc = st_xasprintf("%s/application_default_credentials.json", f->dir);
	st_test_write_file(adc, "{\"type\":\"authorized_user\",\"client_id\":\"c\",\"client_secret\":\"s\",\"refresh_token\":\"r\"}");
	setenv("CLOUDSDK_CONFIG", f->dir, 1);
	gcp_auth_opts o = { .no_metadata = true, .no_gcloud = true };
	char err[300];
	gcp_auth *a = gcp_auth_new(&o, err, sizeof err);
	assert_non_null(a);
	assert_string_equal(gcp_auth_kind(a), "authorized_user");
	assert_non_null(strstr(gcp_auth_describe(a), adc));
	gcp_auth_free(a);
	char *key = write_sa_key(f, "first@p.iam.gserviceaccount.com");
	setenv("GOOGLE_APPLICATION_CREDENTIALS", key, 1);
	a = gcp_auth_new(&o, err, sizeof err);
	assert_string_equal(gcp_auth_kind(a), "service_account");
	gcp_auth_free(a);
	/* In sandbox mode the operator's real credentials are never used. */
	gcp_auth_opts so = { .sandbox_url = "http://127.0.0.1:1", .project = "proj-abc", .state_dir = f->dir,
			     .no_metadata = true, .no_gcloud = true, .no_adc_file = true };
	a = gcp_auth_new(&so, err, sizeof err);
	assert_string_equal(gcp_auth_kind(a), "sandbox");
	gcp_auth_free(a);
	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	unsetenv("CLOUDSDK_CONFIG");
	free(adc);
	free(key);
}

static void test_broken_key_files(void **state)
{
	fx *f = *state;
	char err[300];
	char *path = st_xasprintf("%s/bad.json", f->dir);
	gcp_auth_opts o = { .credentials_file = path, .no_adc_file = true, .no_metadata = true, .no_gcloud = true };
	const struct { const char *text, *want; } cases[] = {
		{ "{\"type\":\"service_account\",\"client_email\":\"a@b\"", "not a JSON" },
		{ "{\"type\":\"service_account\",\"client_email\":\"a@b\"}", "lacks private_key" },
		{ "{\"type\":\"service_account\",\"private_key\":\"x\",\"client_email\":\"a@b\"}", "not a PEM" },
		{ "{\"type\":\"external_account\"}", "unsupported credentials type 'external_account'" },
		{ "{\"type\":\"authorized_user\",\"client_id\":\"c\"}", "lack client_secret" },
		{ "[1,2]", "not an object" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		st_test_write_file(path, cases[i].text);
		assert_null(gcp_auth_new(&o, err, sizeof err));
		assert_non_null(strstr(err, path));
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
	}
	free(path);
	o.credentials_file = "/nonexistent/key.json";
	assert_null(gcp_auth_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/key.json"));
	gcp_auth_opts none = { .no_adc_file = true, .no_metadata = true, .no_gcloud = true };
	assert_null(gcp_auth_new(&none, err, sizeof err));
	assert_non_null(strstr(err, "no Google credentials"));
}

static void test_hostile_token_replies(void **state)
{
	fx *f = *state;
	const char *replies[] = {
		"{\"expires_in\":3600}",
		"{\"access_token\":\"ya29.a\\r\\nX-Injected: 1\",\"expires_in\":3600}",
		"{\"access_token\":42}",
		"{\"access_token\":\"ya29.ok\",\"expires_in\":\"soon\"}",
		"<html>login</html>",
		"{\"access_token\":\"ya29.ok\",\"expires_in\":-5}",
	};
	char *path = st_xasprintf("%s/adc.json", f->dir);
	st_test_write_file(path, "{\"type\":\"authorized_user\",\"client_id\":\"c\",\"client_secret\":\"s\",\"refresh_token\":\"r\"}");
	fs_json(f->fs, "GET", "/v1/h", 0, 200, "{}");
	for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		fs_json(f->fs, "POST", "/token", 1, 200, replies[i]);
		gcp_auth_opts o = { .credentials_file = path, .token_uri = f->tok_uri };
		char err[300];
		gcp_ctx *ctx = ctx_for(f, &o, err, sizeof err);
		result r;
		call(ctx, f, "/v1/h", &r);
		if (r.ok)
			fail_msg("hostile token reply %zu was accepted", i);
		assert_string_equal(r.err.status, i == 4 ? "INTERNAL" : "UNAUTHENTICATED");
		gcp_free(ctx);
	}
	assert_int_equal(fs_count(f->fs, "/v1/h"), 0);
	assert_false(fs_any_header_contains(f->fs, "X-Injected"));
	free(path);
}

static void test_secrets_not_in_errors(void **state)
{
	fx *f = *state;
	/* A token endpoint that echoes the assertion back in its error must not get it
	 * onto the screen: the assertion is not in our message, only the server's words. */
	fs_json(f->fs, "POST", "/token", 0, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}");
	char *key = write_sa_key(f, "a@p.iam.gserviceaccount.com");
	gcp_auth_opts o = { .credentials_file = key, .token_uri = f->tok_uri };
	char err[300];
	gcp_ctx *ctx = ctx_for(f, &o, err, sizeof err);
	result r;
	call(ctx, f, "/v1/s", &r);
	assert_false(r.ok);
	assert_string_equal(r.err.reason, "invalid_grant");
	assert_null(strstr(r.err.message, "BEGIN"));
	assert_null(strstr(r.err.message, "assertion"));
	assert_null(strstr(gcp_auth_describe(gcp_ctx_auth(ctx)), "PRIVATE"));
	gcp_free(ctx);
	free(key);
}

/* The sandbox flow against a scripted stand-in: IAM off first, then on. */
static char *minted_key_b64;
static void sa_keys(const fs_request *rq, fs_reply *out, void *user)
{
	(void)rq, (void)user;
	static char body[8192];
	snprintf(body, sizeof body, "{\"name\":\"k\",\"privateKeyData\":\"%s\"}", minted_key_b64);
	out->status = 200;
	out->body = body;
}

static void test_sandbox_minting(void **state)
{
	fx *f = *state;
	tokens_issued = 0;
	json_t *k = json_pack("{s:s,s:s,s:s,s:s}", "type", "service_account", "private_key_id", "k1",
			      "private_key", test_pem, "client_email", "sealtrain-console@proj-abc.iam.gserviceaccount.com");
	char *ks = stj_dump(k);
	minted_key_b64 = st_base64_encode(ks, strlen(ks));
	free(ks);
	json_decref(k);
	fs_json(f->fs, "POST", "/v1/projects/proj-abc/serviceAccounts", 1, 403,
		"{\"error\":{\"code\":403,\"message\":\"iam off\",\"status\":\"PERMISSION_DENIED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"SERVICE_DISABLED\"}]}}");
	fs_json(f->fs, "POST", "/v1/projects/proj-abc/services/iam.googleapis.com:enable", 1, 200,
		"{\"name\":\"operations/en1\"}");
	fs_json(f->fs, "GET", "/v1/operations/en1", 1, 200, "{\"name\":\"operations/en1\",\"done\":true}");
	fs_json(f->fs, "POST", "/v1/projects/proj-abc/serviceAccounts", 1, 200, "{\"email\":\"x\"}");
	fs_on_fn(f->fs, "POST", "/v1/projects/proj-abc/serviceAccounts/sealtrain-console@proj-abc.iam.gserviceaccount.com/keys",
		 0, sa_keys, NULL);
	fs_on_fn(f->fs, "POST", "/token", 0, token_endpoint, NULL);
	fs_json(f->fs, "GET", "/v1/z", 0, 200, "{}");
	gcp_auth_opts o = { .sandbox_url = fs_url(f->fs), .project = "proj-abc", .state_dir = f->dir };
	char err[300];
	gcp_ctx *ctx = ctx_for(f, &o, err, sizeof err);
	assert_non_null(ctx);
	assert_string_equal(gcp_auth_kind(gcp_ctx_auth(ctx)), "sandbox");
	result r;
	call(ctx, f, "/v1/z", &r);
	if (!r.ok)
		fail_msg("%s", r.err.message);
	assert_int_equal(tokens_issued, 1);
	gcp_free(ctx);
	/* The key was kept 0600 and is reused without minting again. */
	size_t minted = fs_count(f->fs, "/v1/projects/proj-abc/serviceAccounts");
	ctx = ctx_for(f, &o, err, sizeof err);
	assert_string_equal(gcp_auth_kind(gcp_ctx_auth(ctx)), "service_account");
	call(ctx, f, "/v1/z", &r);
	assert_true(r.ok);
	assert_int_equal(fs_count(f->fs, "/v1/projects/proj-abc/serviceAccounts"), minted);
	gcp_free(ctx);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "test \"$(stat -c %%a %s/sandbox-key-*.json)\" = 600", f->dir);
	assert_int_equal(system(cmd), 0);
	free(minted_key_b64);
}

/* The minted key cannot be kept (its directory is a file here, as good as a full or
 * read-only disk): a clear error naming the place, and no key used from memory. */
static void test_sandbox_key_unwritable(void **state)
{
	fx *f = *state;
	json_t *k = json_pack("{s:s,s:s,s:s}", "type", "service_account", "private_key", test_pem, "client_email",
			      "sealtrain-console@proj-abc.iam.gserviceaccount.com");
	char *ks = stj_dump(k);
	minted_key_b64 = st_base64_encode(ks, strlen(ks));
	free(ks);
	json_decref(k);
	fs_json(f->fs, "POST", "/v1/projects/proj-abc/serviceAccounts", 0, 409, "{\"error\":{\"code\":409,\"status\":\"ALREADY_EXISTS\",\"message\":\"exists\"}}");
	fs_on_fn(f->fs, "POST", "/v1/projects/proj-abc/serviceAccounts/sealtrain-console@proj-abc.iam.gserviceaccount.com/keys",
		 0, sa_keys, NULL);
	fs_json(f->fs, "GET", "/v1/z", 0, 200, "{}");
	char *blocker = st_xasprintf("%s/not-a-dir", f->dir);
	st_test_write_file(blocker, "x");
	char *keydir = st_xasprintf("%s/sub", blocker);
	gcp_auth_opts o = { .sandbox_url = fs_url(f->fs), .project = "proj-abc", .state_dir = keydir };
	char err[300];
	gcp_ctx *ctx = ctx_for(f, &o, err, sizeof err);
	result r;
	call(ctx, f, "/v1/z", &r);
	assert_false(r.ok);
	assert_non_null(strstr(r.err.message, "not-a-dir"));
	assert_int_equal(fs_count(f->fs, "/v1/z"), 0);
	assert_int_equal(fs_count(f->fs, "/token"), 0);
	gcp_free(ctx);
	free(minted_key_b64);
	free(blocker);
	free(keydir);
}

static void test_jwt_helper(void **state)
{
	(void)state;
	char err[200];
	char *jwt = gcp_jwt_rs256(test_pem, "kid-9", "i@x", "s", "https://aud", 1000, 3600, err, sizeof err);
	assert_non_null(jwt);
	char *dot = strchr(jwt, '.');
	size_t hl;
	unsigned char *h = st_base64_decode(jwt, (size_t)(dot - jwt), &hl);
	json_t *hj = json_loadb((const char *)h, hl, 0, NULL);
	assert_string_equal(stj_str(hj, "alg"), "RS256");
	assert_string_equal(stj_str(hj, "kid"), "kid-9");
	json_decref(hj);
	free(h);
	free(jwt);
	/* An EC key cannot sign RS256. */
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, ec, NULL, NULL, 0, NULL, NULL);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *pem = st_xstrndup(p, (size_t)n);
	assert_null(gcp_jwt_rs256(pem, NULL, "i", "s", "a", 0, 1, err, sizeof err));
	assert_non_null(strstr(err, "RSA"));
	free(pem);
	BIO_free(b);
	EVP_PKEY_free(ec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_service_account_jwt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_401_refresh_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authorized_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_background_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gcloud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adc_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_key_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_token_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_not_in_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sandbox_minting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sandbox_key_unwritable, setup, teardown),
		cmocka_unit_test(test_jwt_helper),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
