/* IAM service accounts and keys against the real sandbox, and the OAuth token
 * endpoint driven with a key it minted: an RS256 JWT signed here with OpenSSL. */
#include "tests/integration/test_sb_core_util.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/codec.h"

static st_sandbox sb;

static int setup(void **state)
{
	(void)state;
	if (st_sandbox_start(&sb, NULL, NULL) < 0)
		return -1;
	return st_sandbox_enable_all(&sb, "p1") < 0 || st_sandbox_enable_all(&sb, "p2") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	sbt_stop(&sb);
	return 0;
}

static char *b64url_json(json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);
	char *b = st_base64url_encode(text, strlen(text));
	free(text);
	return b;
}

/* Signs {header}.{claims} with the key file's private key. */
static char *make_jwt(json_t *keyfile, const char *aud, long iat, long exp, const char *kid)
{
	json_t *h = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "kid",
			      kid ? kid : json_string_value(json_object_get(keyfile, "private_key_id")));
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss",
			      json_string_value(json_object_get(keyfile, "client_email")), "scope",
			      "https://www.googleapis.com/auth/cloud-platform", "aud", aud, "iat",
			      (json_int_t)iat, "exp", (json_int_t)exp);
	char *hb = b64url_json(h), *cb = b64url_json(c);
	char *signing = st_xasprintf("%s.%s", hb, cb);
	const char *pem = json_string_value(json_object_get(keyfile, "private_key"));
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	assert_non_null(pk);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = 0;
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk), 1);
	assert_int_equal(EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)signing,
					strlen(signing)), 1);
	unsigned char *sig = malloc(siglen);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)signing,
					strlen(signing)), 1);
	char *sb64 = st_base64url_encode(sig, siglen);
	char *jwt = st_xasprintf("%s.%s", signing, sb64);
	free(sb64);
	free(sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	free(signing);
	free(hb);
	free(cb);
	json_decref(h);
	json_decref(c);
	return jwt;
}

static int token_call(const st_sandbox *box, const char *form, st_http_resp *r)
{
	return st_http(box, "POST", "/token", form, strlen(form),
		       "application/x-www-form-urlencoded", "", NULL, r);
}

static char *exchange_at(const st_sandbox *box, const char *jwt, long want)
{
	char *form = st_xasprintf("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3A"
				  "jwt-bearer&assertion=%s", jwt);
	st_http_resp r;
	assert_int_equal(token_call(box, form, &r), 0);
	free(form);
	if (r.status != want)
		fprintf(stderr, "token: %ld %s\n", r.status, r.body);
	assert_int_equal(r.status, want);
	char *tok = NULL;
	if (want == 200) {
		tok = st_xstrdup(sbt_str(&r, "access_token"));
		assert_string_equal(sbt_str(&r, "token_type"), "Bearer");
		assert_true(json_integer_value(json_object_get(r.json, "expires_in")) > 3000);
	} else {
		assert_string_equal(sbt_str(&r, "error"), "invalid_grant");
	}
	st_http_free(&r);
	return tok;
}

static char *exchange(const char *jwt, long want)
{
	return exchange_at(&sb, jwt, want);
}

/* Creates an account and one key in box; returns the decoded key file. */
static json_t *new_key(const st_sandbox *box, const char *tok, const char *account)
{
	char *body = st_xasprintf("{\"accountId\":\"%s\"}", account);
	st_http_resp r;
	assert_int_equal(st_http(box, "POST", "/v1/projects/p1/serviceAccounts", body,
				 strlen(body), NULL, tok, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	st_http_free(&r);
	free(body);
	char *path = st_xasprintf("/v1/projects/p1/serviceAccounts/%s@p1.iam.gserviceaccount.com"
				  "/keys", account);
	assert_int_equal(st_http(box, "POST", path, "{}", 2, NULL, tok, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	free(path);
	const char *data = sbt_str(&r, "privateKeyData");
	assert_non_null(data);
	size_t n = 0;
	unsigned char *raw = st_base64_decode(data, strlen(data), &n);
	assert_non_null(raw);
	json_t *kf = json_loadb((const char *)raw, n, 0, NULL);
	free(raw);
	assert_non_null(kf);
	st_http_free(&r);
	return kf;
}

static void t_create_get_list_delete(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "POST", "/v1/projects/p1/serviceAccounts",
		 "{\"accountId\":\"runner-sa\",\"serviceAccount\":{\"displayName\":\"Runner\"}}",
		 200, &r);
	assert_string_equal(sbt_str(&r, "email"), "runner-sa@p1.iam.gserviceaccount.com");
	assert_string_equal(sbt_str(&r, "name"),
			    "projects/p1/serviceAccounts/runner-sa@p1.iam.gserviceaccount.com");
	assert_string_equal(sbt_str(&r, "displayName"), "Runner");
	assert_string_equal(sbt_str(&r, "projectId"), "p1");
	char *uid = st_xstrdup(sbt_str(&r, "uniqueId"));
	assert_int_equal(strlen(uid), 21);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/p1/serviceAccounts", "{\"accountId\":\"runner-sa\"}",
		 409, &r);
	sbt_error(&r, 409, "ALREADY_EXISTS");
	st_http_free(&r);
	char *p = st_xasprintf("/v1/projects/p1/serviceAccounts/%s", uid);
	sbt_call(&sb, "GET", p, NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "email"), "runner-sa@p1.iam.gserviceaccount.com");
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/-/serviceAccounts/runner-sa%40p1.iam.gserviceaccount.com",
		 NULL, 200, &r);
	st_http_free(&r);
	sbt_call(&sb, "DELETE", p, NULL, 200, &r);
	st_http_free(&r);
	sbt_call(&sb, "GET", p, NULL, 404, &r);
	sbt_error(&r, 404, "NOT_FOUND");
	st_http_free(&r);
	sbt_call(&sb, "DELETE", p, NULL, 404, &r);
	st_http_free(&r);
	free(p);
	free(uid);
	(void)state;
}

static void t_create_validation(void **state)
{
	static const char *const bad[] = {
		"{}", "{\"accountId\":\"ab\"}", "{\"accountId\":\"Upper-case\"}",
		"{\"accountId\":\"9starts-digit\"}", "{\"accountId\":\"ends-with-\"}",
		"{\"accountId\":\"way-too-long-account-id-over-30\"}",
		"{\"accountId\":\"fine-name\",\"serviceAccount\":[]}",
		"{\"accountId\":\"fine-name\",\"serviceAccount\":{\"displayName\":7}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		st_http_resp r;
		sbt_call(&sb, "POST", "/v1/projects/p1/serviceAccounts", bad[i], 400, &r);
		sbt_error(&r, 400, "INVALID_ARGUMENT");
		assert_true(strstr(r.body, "accountId") || strstr(r.body, "serviceAccount"));
		st_http_free(&r);
	}
	(void)state;
}

static void t_list_paging(void **state)
{
	st_http_resp r;
	for (int i = 0; i < 5; i++) {
		char body[64];
		snprintf(body, sizeof body, "{\"accountId\":\"pager-%d-sa\"}", i);
		sbt_call(&sb, "POST", "/v1/projects/p2/serviceAccounts", body, 200, &r);
		st_http_free(&r);
	}
	sbt_call(&sb, "GET", "/v1/projects/p2/serviceAccounts?pageSize=2", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "accounts")), 2);
	char *tok = st_url_escape(sbt_str(&r, "nextPageToken"));
	st_http_free(&r);
	char *p = st_xasprintf("/v1/projects/p2/serviceAccounts?pageSize=2&pageToken=%s", tok);
	sbt_call(&sb, "GET", p, NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "accounts")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
				    json_object_get(r.json, "accounts"), 0), "email")),
			    "pager-2-sa@p2.iam.gserviceaccount.com");
	st_http_free(&r);
	free(p);
	free(tok);
	sbt_call(&sb, "GET", "/v1/projects/p2/serviceAccounts?pageSize=10", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "accounts")), 5);
	assert_null(sbt_str(&r, "nextPageToken"));
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/p2/serviceAccounts?pageToken=%25%25", NULL, 400, &r);
	st_http_free(&r);
	(void)state;
}

static void t_keys_and_token(void **state)
{
	json_t *kf = new_key(&sb, NULL, "key-user-sa");
	assert_string_equal(json_string_value(json_object_get(kf, "type")), "service_account");
	assert_string_equal(json_string_value(json_object_get(kf, "client_email")),
			    "key-user-sa@p1.iam.gserviceaccount.com");
	/* The key must be a usable RSA key in PEM, as Google's key files carry. */
	const char *pem = json_string_value(json_object_get(kf, "private_key"));
	assert_non_null(pem);
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_RSA);
	EVP_PKEY_free(pk);
	const char *kid = json_string_value(json_object_get(kf, "private_key_id"));
	char *aud = st_xasprintf("%s/token", sb.url);
	assert_string_equal(json_string_value(json_object_get(kf, "token_uri")), aud);
	long now = (long)time(NULL);
	char *jwt = make_jwt(kf, aud, now, now + 3600, NULL);
	char *tok = exchange(jwt, 200);
	free(jwt);
	/* The token works, and the audit log names the account as the caller. */
	st_http_resp r;
	assert_int_equal(st_http(&sb, "GET", "/v1/projects/p1/serviceAccounts", NULL, 0, NULL, tok,
				 NULL, &r), 0);
	assert_int_equal(r.status, 200);
	st_http_free(&r);
	assert_int_equal(st_http(&sb, "POST", "/v1/projects/p1/serviceAccounts",
				 "{\"accountId\":\"made-by-sa\"}", strlen("{\"accountId\":\"made-by-sa\"}"),
				 NULL, tok, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v2/entries:list",
		 "{\"resourceNames\":[\"projects/p1\"],\"filter\":\"protoPayload.resourceName:"
		 "made-by-sa\"}", 200, &r);
	json_t *e = json_array_get(json_object_get(r.json, "entries"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
					e, "protoPayload"), "authenticationInfo"), "principalEmail")),
			    "key-user-sa@p1.iam.gserviceaccount.com");
	st_http_free(&r);
	/* keys.list shows no private data; get gives the raw public key on request. */
	sbt_call(&sb, "GET", "/v1/projects/p1/serviceAccounts/key-user-sa@p1.iam.gserviceaccount.com/keys",
		 NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "keys")), 1);
	assert_null(strstr(r.body, "privateKeyData"));
	assert_null(strstr(r.body, "PRIVATE"));
	st_http_free(&r);
	char *kp = st_xasprintf("/v1/projects/p1/serviceAccounts/key-user-sa@p1.iam.gserviceaccount.com"
				"/keys/%s", kid);
	char *kpr = st_xasprintf("%s?publicKeyType=TYPE_RAW_PUBLIC_KEY", kp);
	sbt_call(&sb, "GET", kpr, NULL, 200, &r);
	assert_non_null(sbt_str(&r, "publicKeyData"));
	st_http_free(&r);
	free(kpr);
	kpr = st_xasprintf("%s?publicKeyType=TYPE_BOGUS", kp);
	sbt_call(&sb, "GET", kpr, NULL, 400, &r);
	st_http_free(&r);
	free(kpr);
	/* A deleted key no longer signs in. */
	sbt_call(&sb, "DELETE", kp, NULL, 200, &r);
	st_http_free(&r);
	sbt_call(&sb, "GET", kp, NULL, 404, &r);
	st_http_free(&r);
	jwt = make_jwt(kf, aud, now, now + 3600, NULL);
	exchange(jwt, 400);
	free(jwt);
	free(kp);
	free(tok);
	free(aud);
	json_decref(kf);
	(void)state;
}

static void t_token_rejections(void **state)
{
	json_t *kf = new_key(&sb, NULL, "jwt-check-sa");
	json_t *other = new_key(&sb, NULL, "jwt-other-sa");
	char *aud = st_xasprintf("%s/token", sb.url);
	long now = (long)time(NULL);
	char *jwt;
	jwt = make_jwt(kf, "https://example.com/", now, now + 600, NULL); /* wrong aud */
	exchange(jwt, 400);
	free(jwt);
	jwt = make_jwt(kf, aud, now - 7200, now - 3600, NULL); /* expired */
	exchange(jwt, 400);
	free(jwt);
	jwt = make_jwt(kf, aud, now, now + 7200, NULL); /* lifetime over an hour */
	exchange(jwt, 400);
	free(jwt);
	jwt = make_jwt(kf, aud, now, now + 600, "0000"); /* unknown kid */
	exchange(jwt, 400);
	free(jwt);
	/* Signed by another account's key under this key's id. */
	jwt = make_jwt(other, aud, now, now + 600,
		       json_string_value(json_object_get(kf, "private_key_id")));
	exchange(jwt, 400);
	free(jwt);
	/* Tampered claims keep the old signature. */
	jwt = make_jwt(kf, aud, now, now + 600, NULL);
	char *dot = strchr(jwt, '.');
	dot[3] = dot[3] == 'A' ? 'B' : 'A';
	exchange(jwt, 400);
	free(jwt);
	exchange("not-a-jwt", 400);
	exchange("a.b.c.d", 400);
	st_http_resp r;
	assert_int_equal(token_call(&sb, "grant_type=password&username=x", &r), 0);
	assert_int_equal(r.status, 400);
	assert_string_equal(sbt_str(&r, "error"), "unsupported_grant_type");
	st_http_free(&r);
	assert_int_equal(token_call(&sb, "assertion=x", &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
	assert_int_equal(st_http(&sb, "POST", "/token", "{}", 2, "application/json", "", NULL, &r),
			 0);
	assert_int_equal(r.status, 400);
	assert_string_equal(sbt_str(&r, "error"), "invalid_request");
	st_http_free(&r);
	/* A disabled account cannot sign in, nor use the tokens it has; enabled again, it can. */
	jwt = make_jwt(other, aud, now, now + 600, NULL);
	char *other_tok = exchange(jwt, 200);
	free(jwt);
	const char *base = "/v1/projects/p1/serviceAccounts/jwt-other-sa@p1.iam.gserviceaccount.com";
	char *dis = st_xasprintf("%s:disable", base), *en = st_xasprintf("%s:enable", base);
	sbt_call(&sb, "POST", dis, "{}", 200, &r);
	st_http_free(&r);
	sbt_call(&sb, "GET", base, NULL, 200, &r);
	assert_true(json_is_true(json_object_get(r.json, "disabled")));
	st_http_free(&r);
	jwt = make_jwt(other, aud, now, now + 600, NULL);
	exchange(jwt, 400);
	assert_int_equal(st_http(&sb, "GET", "/v1/projects/p1/serviceAccounts", NULL, 0, NULL,
				 other_tok, NULL, &r), 0);
	assert_int_equal(r.status, 401);
	st_http_free(&r);
	sbt_call(&sb, "POST", en, "{}", 200, &r);
	st_http_free(&r);
	free(exchange(jwt, 200));
	free(jwt);
	free(dis);
	free(en);
	free(other_tok);
	/* A deleted account cannot sign in with its (still valid) key. */
	sbt_call(&sb, "DELETE", "/v1/projects/p1/serviceAccounts/jwt-other-sa@p1.iam.gserviceaccount.com",
		 NULL, 200, &r);
	st_http_free(&r);
	jwt = make_jwt(other, aud, now, now + 600, NULL);
	exchange(jwt, 400);
	free(jwt);
	free(aud);
	json_decref(kf);
	json_decref(other);
	(void)state;
}

static void t_key_errors(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "POST", "/v1/projects/p1/serviceAccounts/nobody-sa@p1.iam.gserviceaccount.com/keys",
		 "{}", 404, &r);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/p1/serviceAccounts", "{\"accountId\":\"many-keys\"}",
		 200, &r);
	st_http_free(&r);
	const char *kp = "/v1/projects/p1/serviceAccounts/many-keys@p1.iam.gserviceaccount.com/keys";
	sbt_call(&sb, "POST", kp, "{\"keyAlgorithm\":\"KEY_ALG_BOGUS\"}", 400, &r);
	assert_non_null(strstr(r.body, "keyAlgorithm"));
	st_http_free(&r);
	sbt_call(&sb, "POST", kp, "{\"privateKeyType\":\"TYPE_WHATEVER\"}", 400, &r);
	st_http_free(&r);
	for (int i = 0; i < 10; i++) {
		sbt_call(&sb, "POST", kp, "{}", 200, &r);
		st_http_free(&r);
	}
	sbt_call(&sb, "POST", kp, "{}", 400, &r);
	sbt_error(&r, 400, "FAILED_PRECONDITION");
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/p1/serviceAccounts/many-keys@p1.iam.gserviceaccount.com/keys?keyTypes=NOPE",
		 NULL, 400, &r);
	st_http_free(&r);
	(void)state;
}

static void t_account_policy(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "POST", "/v1/projects/p1/serviceAccounts", "{\"accountId\":\"actas-target\"}",
		 200, &r);
	st_http_free(&r);
	const char *base = "/v1/projects/p1/serviceAccounts/actas-target@p1.iam.gserviceaccount.com";
	char *get = st_xasprintf("%s:getIamPolicy", base), *set = st_xasprintf("%s:setIamPolicy", base);
	sbt_call(&sb, "POST", get, NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "bindings")), 0);
	char *etag = st_xstrdup(sbt_str(&r, "etag"));
	st_http_free(&r);
	char *body = st_xasprintf("{\"policy\":{\"etag\":\"%s\",\"bindings\":[{\"role\":"
				  "\"roles/iam.serviceAccountUser\",\"members\":[\"user:dev@example.com\"]}]}}",
				  etag);
	sbt_call(&sb, "POST", set, body, 200, &r);
	assert_string_not_equal(sbt_str(&r, "etag"), etag);
	st_http_free(&r);
	sbt_call(&sb, "POST", set, body, 409, &r); /* the etag is stale now */
	sbt_error(&r, 409, "ABORTED");
	st_http_free(&r);
	sbt_call(&sb, "POST", get, "{}", 200, &r);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
				    json_object_get(r.json, "bindings"), 0), "role")),
			    "roles/iam.serviceAccountUser");
	st_http_free(&r);
	sbt_call(&sb, "POST", set, "{\"policy\":{\"auditConfigs\":[{\"service\":\"allServices\"}]},"
		 "\"updateMask\":\"auditConfigs\"}", 400, &r);
	st_http_free(&r);
	sbt_call(&sb, "POST", set, "{\"policy\":{\"bindings\":[{\"role\":\"x\"}]}}", 400, &r);
	st_http_free(&r);
	sbt_call(&sb, "POST",
		 "/v1/projects/p1/serviceAccounts/ghost@p1.iam.gserviceaccount.com:getIamPolicy", "{}",
		 404, &r);
	st_http_free(&r);
	free(body);
	free(etag);
	free(get);
	free(set);
	(void)state;
}

/* --strict-auth: an authorized_user credential from the sandbox-only endpoint is the
 * way in; the refresh grant gives a token; made-up tokens are refused. */
static void t_strict_mode_flow(void **state)
{
	const char *extra[] = {"--strict-auth", NULL};
	st_sandbox strict;
	assert_int_equal(st_sandbox_start(&strict, NULL, extra), 0);
	st_http_resp r;
	assert_int_equal(st_http(&strict, "POST", "/sandbox/v1/authorizedUser",
				 "{\"email\":\"alice@example.com\"}",
				 strlen("{\"email\":\"alice@example.com\"}"), NULL, "", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(sbt_str(&r, "type"), "authorized_user");
	char *form = st_xasprintf("grant_type=refresh_token&client_id=%s&client_secret=%s"
				  "&refresh_token=%s", sbt_str(&r, "client_id"),
				  sbt_str(&r, "client_secret"), sbt_str(&r, "refresh_token"));
	char *bad = st_xasprintf("grant_type=refresh_token&client_id=%s&refresh_token=1//nope",
				 sbt_str(&r, "client_id"));
	st_http_free(&r);
	assert_int_equal(token_call(&strict, bad, &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
	assert_int_equal(token_call(&strict, form, &r), 0);
	assert_int_equal(r.status, 200);
	char *tok = st_xstrdup(sbt_str(&r, "access_token"));
	st_http_free(&r);
	assert_int_equal(st_http(&strict, "GET", "/v1/projects/p1/services", NULL, 0, NULL, "made-up",
				 NULL, &r), 0);
	assert_int_equal(r.status, 401);
	st_http_free(&r);
	assert_int_equal(st_http(&strict, "GET", "/v1/projects/p1/services", NULL, 0, NULL, tok, NULL,
				 &r), 0);
	assert_int_equal(r.status, 200);
	st_http_free(&r);
	/* A service-account key made with that token signs in through the JWT grant. */
	assert_int_equal(st_http(&strict, "POST", "/v1/projects/p1/services/iam.googleapis.com:enable",
				 "{}", 2, NULL, tok, NULL, &r), 0);
	st_http_free(&r);
	usleep(800000);
	json_t *kf = new_key(&strict, tok, "strict-sa");
	char *aud = st_xasprintf("%s/token", strict.url);
	long now = (long)time(NULL);
	char *jwt = make_jwt(kf, aud, now, now + 600, NULL);
	char *sat = exchange_at(&strict, jwt, 200);
	assert_int_equal(st_http(&strict, "GET", "/v1/projects/p1/serviceAccounts", NULL, 0, NULL, sat,
				 NULL, &r), 0);
	assert_int_equal(r.status, 200);
	st_http_free(&r);
	/* No secret reached the sandbox log. */
	char err[128];
	size_t n;
	char *log = st_read_file(strict.log, 1 << 22, &n, err, sizeof err);
	assert_non_null(log);
	assert_null(strstr(log, tok));
	assert_null(strstr(log, sat));
	assert_null(strstr(log, "PRIVATE KEY"));
	free(log);
	free(sat);
	free(jwt);
	free(aud);
	json_decref(kf);
	free(tok);
	free(form);
	free(bad);
	sbt_stop(&strict);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_create_get_list_delete),
		cmocka_unit_test(t_create_validation),
		cmocka_unit_test(t_list_paging),
		cmocka_unit_test(t_keys_and_token),
		cmocka_unit_test(t_token_rejections),
		cmocka_unit_test(t_key_errors),
		cmocka_unit_test(t_account_policy),
		cmocka_unit_test(t_strict_mode_flow),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
