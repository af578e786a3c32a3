/* Bearer tokens. The sandbox issues opaque access tokens (through /token and the
 * metadata server) and keeps only their SHA-256, never the token itself. Without
 * --strict-auth an unknown token is taken as the operator, so that a static token
 * from a test or from gcloud works; with it, only live tokens it issued pass. */
#include "sandbox/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/timeutil.h"

#define SB_TOKEN_LIFETIME_S 3600

static void token_key(const char *token, char out[65])
{
	st_sha256_hex(token, strlen(token), out);
}

/* Tokens expire by the wall clock, not sandbox time: clients time them in real seconds. */
static char *issue(sb_server *s, const char *principal, int64_t *expires_in)
{
	unsigned char raw[32];
	if (st_random_bytes(raw, sizeof raw) < 0)
		return NULL;
	char *b64 = st_base64url_encode(raw, sizeof raw);
	char *token = st_xasprintf("ya29.sandbox.%s", b64);
	free(b64);
	char key[65];
	token_key(token, key);
	json_t *doc = json_pack("{s:s, s:I}", "principal", principal, "expiresMs",
				(json_int_t)(st_wall_ms() + SB_TOKEN_LIFETIME_S * 1000LL));
	int rc = sb_put(s, "token", key, doc);
	json_decref(doc);
	if (rc < 0) {
		free(token);
		return NULL;
	}
	if (expires_in)
		*expires_in = SB_TOKEN_LIFETIME_S - 1;
	return token;
}

char *sb_issue_token(sb_server *s, const char *email, int64_t *expires_in)
{
	char *principal = st_xasprintf("serviceAccount:%s", email);
	char *t = issue(s, principal, expires_in);
	free(principal);
	return t;
}

char *sb_issue_token_for(sb_server *s, const char *principal, int64_t *expires_in)
{
	return issue(s, principal, expires_in);
}

static int unauthenticated(sb_call *c, const char *why)
{
	sb_reply_error(c, 401, "UNAUTHENTICATED", "CREDENTIALS_MISSING", "%s", why);
	return -1;
}

/* Tokens of a service account stop working while the account is disabled. */
static bool account_disabled(sb_server *s, const char *principal)
{
	if (!principal || !st_starts_with(principal, "serviceAccount:"))
		return false;
	json_t *sa = sb_iam_find_sa(s, "-", principal + strlen("serviceAccount:"));
	bool off = sa && stj_bool(sa, "disabled", false);
	json_decref(sa);
	return off;
}

int sb_auth_check(sb_server *s, sb_call *c)
{
	const char *h = sb_header(c, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return unauthenticated(c, "Request is missing required authentication credential. "
					  "Expected OAuth 2 access token, login cookie or other "
					  "valid authentication credential.");
	const char *token = h + 7;
	while (*token == ' ')
		token++;
	if (!*token || strlen(token) > 4096)
		return unauthenticated(c, "Request had invalid authentication credentials.");
	char key[65];
	token_key(token, key);
	pthread_mutex_lock(&s->mu);
	json_t *doc = sb_get(s, "token", key);
	bool disabled = doc && account_disabled(s, stj_str(doc, "principal"));
	pthread_mutex_unlock(&s->mu);
	if (disabled) {
		json_decref(doc);
		return unauthenticated(c, "Request had invalid authentication credentials: the "
					  "service account is disabled.");
	}
	if (doc) {
		int64_t exp = 0;
		stj_int64(doc, "expiresMs", &exp);
		const char *p = stj_str(doc, "principal");
		if (exp > st_wall_ms() && p) {
			c->principal = st_xstrdup(p);
			json_decref(doc);
			return 0;
		}
		json_decref(doc);
		return unauthenticated(c, "Request had invalid authentication credentials: the "
					  "access token has expired.");
	}
	if (s->opt.strict_auth)
		return unauthenticated(c, "Request had invalid authentication credentials. "
					  "Expected OAuth 2 access token issued by this sandbox.");
	c->principal = st_xstrdup(SB_OPERATOR);
	return 0;
}
