/* The sandbox's signing key for tokens it issues as an identity provider (metadata
 * server identity tokens, Confidential Computing attestation tokens): made once,
 * kept as a blob under --state, loaded on first use. */
#include <stdlib.h>

#include "sandbox/jwt_sign.h"
#include "sandbox/jwt_store.h"

#define KEY_BLOB "jwt/issuer-key.pem"

/* One server per process: the key is cached for it. */
static sb_jwt_key *cached;
static const sb_server *cached_for;

sb_jwt_key *sb_jwt_issuer_key(sb_server *s)
{
	size_t len = 0;
	unsigned char *pem;
	char err[128], *out;

	if (cached && cached_for == s)
		return cached;
	sb_jwt_key_free(cached);
	cached = NULL;
	pem = sb_blob_get(s, KEY_BLOB, &len);
	if (pem) {
		cached = sb_jwt_key_from_pem((const char *)pem, len, err, sizeof(err));
		if (!cached)
			sb_log(s, "jwt: %s in blob %s; making a new key", err, KEY_BLOB);
		free(pem);
	}
	if (!cached) {
		cached = sb_jwt_key_generate();
		out = cached ? sb_jwt_key_to_pem(cached, &len) : NULL;
		if (!out || sb_blob_put(s, KEY_BLOB, out, len) != 0)
			sb_log(s, "jwt: cannot store the issuer key");
		free(out);
	}
	cached_for = s;
	return cached;
}

void sb_jwt_issuer_forget(void)
{
	sb_jwt_key_free(cached);
	cached = NULL;
	cached_for = NULL;
}
