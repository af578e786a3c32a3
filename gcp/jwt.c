/* RS256 JWTs for the service-account flow (RFC 7523 JWT-bearer grant). */
#include "gcp/auth.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"

static char *segment(const json_t *obj)
{
	char *s = stj_dump(obj);
	char *b = st_base64url_encode(s, strlen(s));
	free(s);
	return b;
}

static EVP_PKEY *load_key(const char *pem, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	ERR_clear_error();
	if (!k) {
		snprintf(err, errlen, "private_key is not a PEM private key");
		return NULL;
	}
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		snprintf(err, errlen, "private_key is not an RSA key (RS256 needs RSA)");
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

static char *sign(EVP_PKEY *k, const char *input, char *err, size_t errlen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = 0;
	unsigned char *sig = NULL;
	char *out = NULL;
	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)input, strlen(input)) == 1) {
		sig = st_xmalloc(siglen);
		if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, strlen(input)) == 1)
			out = st_base64url_encode(sig, siglen);
	}
	if (!out)
		snprintf(err, errlen, "RS256 signing failed");
	ERR_clear_error();
	free(sig);
	EVP_MD_CTX_free(md);
	return out;
}

char *gcp_jwt_rs256(const char *pem, const char *kid, const char *iss, const char *scope,
		    const char *aud, long long iat, long long ttl, char *err, size_t errlen)
{
	EVP_PKEY *k = load_key(pem, err, errlen);
	if (!k)
		return NULL;
	json_t *h = json_pack("{s:s,s:s}", "alg", "RS256", "typ", "JWT");
	if (kid && *kid)
		json_object_set_new(h, "kid", json_string(kid));
	json_t *c = json_pack("{s:s,s:s,s:s,s:I,s:I}", "iss", iss, "scope", scope, "aud", aud,
			      "iat", (json_int_t)iat, "exp", (json_int_t)(iat + ttl));
	char *hs = segment(h), *cs = segment(c);
	char *input = st_xasprintf("%s.%s", hs, cs);
	char *sig = sign(k, input, err, errlen);
	char *jwt = sig ? st_xasprintf("%s.%s", input, sig) : NULL;
	free(hs);
	free(cs);
	free(input);
	free(sig);
	json_decref(h);
	json_decref(c);
	EVP_PKEY_free(k);
	return jwt;
}
