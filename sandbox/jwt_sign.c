#include "sandbox/jwt_sign.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"

struct sb_jwt_key {
	EVP_PKEY *pkey;
	char kid[33];
};

static int set_kid(sb_jwt_key *k)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k->pkey, &der);
	char hex[65];

	if (n <= 0)
		return -1;
	st_sha256_hex(der, (size_t)n, hex);
	OPENSSL_free(der);
	memcpy(k->kid, hex, 32);
	k->kid[32] = '\0';
	return 0;
}

static sb_jwt_key *wrap(EVP_PKEY *pkey)
{
	sb_jwt_key *k = st_xcalloc(1, sizeof(*k));

	k->pkey = pkey;
	if (set_kid(k) != 0) {
		sb_jwt_key_free(k);
		return NULL;
	}
	return k;
}

sb_jwt_key *sb_jwt_key_generate(void)
{
	EVP_PKEY *pkey = EVP_RSA_gen(2048);

	return pkey ? wrap(pkey) : NULL;
}

sb_jwt_key *sb_jwt_key_from_pem(const char *pem, size_t len, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		snprintf(err, errlen, "not an RSA private key in PEM form");
		return NULL;
	}
	return wrap(pkey);
}

char *sb_jwt_key_to_pem(const sb_jwt_key *k, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (!bio)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) == 1) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0) {
			out = st_xstrndup(data, (size_t)n);
			*len = (size_t)n;
		}
	}
	BIO_free(bio);
	return out;
}

char *sb_jwt_key_public_pem(const sb_jwt_key *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (!bio)
		return NULL;
	if (PEM_write_bio_PUBKEY(bio, k->pkey) == 1) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0)
			out = st_xstrndup(data, (size_t)n);
	}
	BIO_free(bio);
	return out;
}

void sb_jwt_key_free(sb_jwt_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

const char *sb_jwt_key_id(const sb_jwt_key *k)
{
	return k->kid;
}

static char *bn_b64url(const EVP_PKEY *pkey, const char *param)
{
	BIGNUM *bn = NULL;
	unsigned char *bin;
	char *out;
	int n;

	if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
		return NULL;
	n = BN_num_bytes(bn);
	bin = st_xmalloc((size_t)n + 1);
	BN_bn2bin(bn, bin);
	out = st_base64url_encode(bin, (size_t)n);
	free(bin);
	BN_free(bn);
	return out;
}

json_t *sb_jwt_jwks(const sb_jwt_key *k)
{
	char *n = bn_b64url(k->pkey, OSSL_PKEY_PARAM_RSA_N);
	char *e = bn_b64url(k->pkey, OSSL_PKEY_PARAM_RSA_E);
	json_t *jwk = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?}", "kty", "RSA", "alg", "RS256",
				"use", "sig", "kid", k->kid, "n", n, "e", e);

	free(n);
	free(e);
	return json_pack("{s:[o]}", "keys", jwk);
}

static char *b64url_json(const json_t *v)
{
	char *txt = stj_dump(v);
	char *out = st_base64url_encode(txt, strlen(txt));

	free(txt);
	return out;
}

char *sb_jwt_sign(const sb_jwt_key *k, const json_t *claims)
{
	json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "kid", k->kid, "typ", "JWT");
	char *h = b64url_json(hdr), *p = b64url_json(claims);
	char *input = st_xasprintf("%s.%s", h, p), *sig64 = NULL, *out = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t siglen = sizeof(sig);

	json_decref(hdr);
	free(h);
	free(p);
	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, strlen(input)) == 1) {
		sig64 = st_base64url_encode(sig, siglen);
		out = st_xasprintf("%s.%s", input, sig64);
	}
	EVP_MD_CTX_free(md);
	free(sig64);
	free(input);
	return out;
}

static json_t *decode_segment(const char *s, size_t n)
{
	size_t len;
	unsigned char *raw = st_base64_decode(s, n, &len);
	char err[128];
	json_t *v;

	if (!raw)
		return NULL;
	v = stj_parse((const char *)raw, len, 65536, err, sizeof(err));
	free(raw);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static int check_sig(const sb_jwt_key *k, const char *token, size_t signed_len,
		     const char *sig64)
{
	size_t siglen;
	unsigned char *sig = st_base64_decode(sig64, strlen(sig64), &siglen);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	if (sig && md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1)
		ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)token, signed_len) == 1;
	EVP_MD_CTX_free(md);
	free(sig);
	return ok ? 0 : -1;
}

json_t *sb_jwt_verify(const sb_jwt_key *k, const char *token, char *err, size_t errlen)
{
	const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	json_t *hdr, *claims;
	const char *alg, *kid;

	if (!d1 || !d2 || strchr(d2 + 1, '.')) {
		snprintf(err, errlen, "token is not three dot-separated segments");
		return NULL;
	}
	hdr = decode_segment(token, (size_t)(d1 - token));
	if (!hdr) {
		snprintf(err, errlen, "token header is not base64url JSON");
		return NULL;
	}
	alg = stj_str(hdr, "alg");
	kid = stj_str(hdr, "kid");
	if (!alg || strcmp(alg, "RS256") != 0 || !kid || strcmp(kid, k->kid) != 0) {
		snprintf(err, errlen, "token is not RS256 with this issuer's key id");
		json_decref(hdr);
		return NULL;
	}
	json_decref(hdr);
	if (check_sig(k, token, (size_t)(d2 - token), d2 + 1) != 0) {
		snprintf(err, errlen, "token signature does not verify");
		return NULL;
	}
	claims = decode_segment(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!claims)
		snprintf(err, errlen, "token claims are not base64url JSON");
	return claims;
}
