/* POST /token: the OAuth 2.0 token endpoint. The JWT-bearer grant verifies an RS256
 * assertion against the public half of a service-account key the sandbox minted;
 * the refresh_token grant takes refresh tokens from POST /sandbox/v1/authorizedUser. */
#include "sandbox/server.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/timeutil.h"

#define JWT_SKEW_S 300

static void oauth_error(sb_call *c, int status, const char *code, const char *desc)
{
	sb_reply_json(c, status, json_pack("{s:s, s:s}", "error", code, "error_description", desc));
}

/* Value of one field of an application/x-www-form-urlencoded body; caller frees. */
static char *form_value(const char *body, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fe = amp ? amp : end;
		if ((size_t)(fe - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=')
			return sb_pct_decode(p + nl + 1, (size_t)(fe - p - nl - 1), true);
		p = fe + 1;
	}
	return NULL;
}

static json_t *jwt_part(const char *s, size_t n)
{
	size_t len = 0;
	unsigned char *raw = st_base64_decode(s, n, &len);
	if (!raw)
		return NULL;
	json_t *v = json_loadb((const char *)raw, len, 0, NULL);
	free(raw);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static bool rs256_ok(const char *pem, const char *signed_part, size_t signed_len,
		     const char *sig_b64)
{
	size_t sig_len = 0;
	unsigned char *sig = st_base64_decode(sig_b64, strlen(sig_b64), &sig_len);
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = sig && pk && ctx &&
		  EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pk) == 1 &&
		  EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)signed_part,
				   signed_len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	free(sig);
	return ok;
}

static bool audience_ok(sb_server *s, const char *aud)
{
	if (!aud)
		return false;
	char *ours = st_xasprintf("%s/token", sb_base_url(s));
	bool ok = strcmp(aud, ours) == 0 || strcmp(aud, "https://oauth2.googleapis.com/token") == 0 ||
		  strcmp(aud, "https://www.googleapis.com/oauth2/v4/token") == 0;
	free(ours);
	return ok;
}

/* Checks the claims against the key record; NULL when fine, else the reason. */
static const char *check_claims(sb_server *s, json_t *claims, json_t *key)
{
	const char *iss = stj_str(claims, "iss");
	const char *email = stj_str(key, "email");
	int64_t iat = 0, exp = 0, now = st_wall_ms() / 1000;
	if (!iss || !email || strcmp(iss, email) != 0)
		return "Invalid JWT: iss does not match the key's service account.";
	if (!audience_ok(s, stj_str(claims, "aud")))
		return "Invalid JWT: aud must be the token endpoint.";
	if (!stj_int64(claims, "iat", &iat) || !stj_int64(claims, "exp", &exp))
		return "Invalid JWT: iat and exp are required.";
	if (iat > now + JWT_SKEW_S || exp <= now - JWT_SKEW_S)
		return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
		       "reasonable timeframe. Check your iat and exp values in the JWT claim.";
	if (exp - iat > 3600 || exp <= iat)
		return "Invalid JWT: exp must be at most 3600 s after iat.";
	return NULL;
}

/* The key that signed the assertion: by kid when the header has one, else (gtoken
 * and other libraries send no kid) whichever key of the issuing account verifies. */
static json_t *signing_key(sb_server *s, json_t *hdr, json_t *claims, const char *jwt,
			   size_t signed_len, const char *sig)
{
	const char *kid = stj_str(hdr, "kid");
	if (kid) {
		json_t *key = sb_get(s, "sakey_kid", kid);
		if (key && rs256_ok(stj_str(key, "publicKeyPem"), jwt, signed_len, sig))
			return key;
		json_decref(key);
		return NULL;
	}
	json_t *sa = sb_iam_find_sa(s, "-", stj_str(claims, "iss"));
	if (!sa)
		return NULL;
	char *prefix = st_xasprintf("%s/keys/", stj_str(sa, "name"));
	json_t *keys = sb_list(s, "sakey", prefix);
	json_t *found = NULL;
	size_t i;
	json_t *k;
	json_array_foreach(keys, i, k) {
		if (!found && rs256_ok(stj_str(k, "publicKeyPem"), jwt, signed_len, sig))
			found = json_pack("{s:s, s:s, s:s}", "name", stj_str(k, "name"), "email",
					  stj_str(sa, "email"), "publicKeyPem",
					  stj_str(k, "publicKeyPem"));
	}
	json_decref(keys);
	json_decref(sa);
	free(prefix);
	return found;
}

static void grant_jwt(sb_server *s, sb_call *c, const char *jwt)
{
	const char *d1 = strchr(jwt, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return oauth_error(c, 400, "invalid_grant", "Invalid JWT: not three segments.");
	json_t *hdr = jwt_part(jwt, (size_t)(d1 - jwt));
	json_t *claims = jwt_part(d1 + 1, (size_t)(d2 - d1 - 1));
	json_t *key = NULL;
	const char *why = NULL;
	if (!hdr || !claims)
		why = "Invalid JWT: header or claims are not base64url JSON.";
	else if (!stj_str(hdr, "alg") || strcmp(stj_str(hdr, "alg"), "RS256") != 0)
		why = "Invalid JWT: alg must be RS256.";
	else if (!(key = signing_key(s, hdr, claims, jwt, (size_t)(d2 - jwt), d2 + 1)))
		why = "Invalid JWT Signature.";
	else
		why = check_claims(s, claims, key);
	json_t *sa = !why ? sb_iam_find_sa(s, "-", stj_str(key, "email")) : NULL;
	if (!why && (!sa || stj_bool(sa, "disabled", false)))
		why = "Invalid grant: account not found or disabled.";
	if (why) {
		oauth_error(c, 400, "invalid_grant", why);
	} else {
		int64_t exp_in = 0;
		char *tok = sb_issue_token(s, stj_str(key, "email"), &exp_in);
		if (!tok)
			sb_reply_error(c, 503, "UNAVAILABLE", NULL, "cannot store the token");
		else
			sb_reply_json(c, 200, json_pack("{s:s, s:I, s:s}", "access_token", tok,
							"expires_in", (json_int_t)exp_in,
							"token_type", "Bearer"));
		free(tok);
	}
	json_decref(sa);
	json_decref(key);
	json_decref(hdr);
	json_decref(claims);
}

static void refresh_key(const char *token, char out[65])
{
	st_sha256_hex(token, strlen(token), out);
}

static void grant_refresh(sb_server *s, sb_call *c, const char *rt, const char *client_id)
{
	char key[65];
	refresh_key(rt, key);
	json_t *doc = sb_get(s, "refresh", key);
	const char *cid = stj_str(doc, "clientId");
	if (!doc || !client_id || !cid || strcmp(cid, client_id) != 0) {
		json_decref(doc);
		return oauth_error(c, 400, "invalid_grant", "Token has been expired or revoked.");
	}
	int64_t exp_in = 0;
	char *tok = sb_issue_token_for(s, stj_str(doc, "principal"), &exp_in);
	if (tok)
		sb_reply_json(c, 200, json_pack("{s:s, s:I, s:s, s:s}", "access_token", tok,
						"expires_in", (json_int_t)exp_in, "token_type",
						"Bearer", "scope",
						"https://www.googleapis.com/auth/cloud-platform"));
	else
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "cannot store the token");
	free(tok);
	json_decref(doc);
}

void sb_token_handler(sb_server *s, sb_call *c)
{
	const char *ct = sb_header(c, "Content-Type");
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return oauth_error(c, 400, "invalid_request",
				   "Content-Type must be application/x-www-form-urlencoded.");
	size_t len = 0;
	const char *body = (const char *)sb_body(c, &len);
	char *grant = body ? form_value(body, len, "grant_type") : NULL;
	if (!grant) {
		oauth_error(c, 400, "invalid_request", "Missing required parameter: grant_type");
	} else if (strcmp(grant, "urn:ietf:params:oauth:grant-type:jwt-bearer") == 0) {
		char *a = form_value(body, len, "assertion");
		if (a)
			grant_jwt(s, c, a);
		else
			oauth_error(c, 400, "invalid_request", "Missing required parameter: assertion");
		free(a);
	} else if (strcmp(grant, "refresh_token") == 0) {
		char *rt = form_value(body, len, "refresh_token");
		char *cid = form_value(body, len, "client_id");
		if (rt)
			grant_refresh(s, c, rt, cid);
		else
			oauth_error(c, 400, "invalid_request",
				    "Missing required parameter: refresh_token");
		free(rt);
		free(cid);
	} else {
		oauth_error(c, 400, "unsupported_grant_type", "Invalid grant_type.");
	}
	free(grant);
}

/* POST /sandbox/v1/authorizedUser {"email":"someone@example.com"}: an authorized_user
 * credentials file (sandbox-only; real ones come from gcloud's browser login). */
void sb_authorized_user_handler(sb_server *s, sb_call *c)
{
	json_t *req = sb_json(c);
	if (!req)
		return;
	const char *email = stj_str(req, "email");
	if (!email || !strchr(email, '@') || strlen(email) > 254)
		return sb_reply_invalid(c, "email: a user email address is required");
	unsigned char raw[24];
	st_random_bytes(raw, sizeof raw);
	char *b64 = st_base64url_encode(raw, sizeof raw);
	char *rt = st_xasprintf("1//sandbox-%s", b64);
	free(b64);
	st_random_bytes(raw, 12);
	char *secret = st_base64url_encode(raw, 12);
	char key[65];
	refresh_key(rt, key);
	char *principal = st_xasprintf("user:%s", email);
	const char *client_id = "sandbox-client.apps.googleusercontent.com";
	json_t *doc = json_pack("{s:s, s:s}", "principal", principal, "clientId", client_id);
	sb_put(s, "refresh", key, doc);
	json_decref(doc);
	sb_reply_json(c, 200, json_pack("{s:s, s:s, s:s, s:s}", "type", "authorized_user",
					"client_id", client_id, "client_secret", secret,
					"refresh_token", rt));
	free(principal);
	free(secret);
	free(rt);
}
