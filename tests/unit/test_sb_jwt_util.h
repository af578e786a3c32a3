/* RS256 checks shared by the sandbox's JWT unit test and the attestation
 * integration test: both rebuild the issuer's public key from its JWK (n and e),
 * independently of the sandbox's own signing code, and check a token with it. */
#ifndef TEST_SB_JWT_UTIL_H
#define TEST_SB_JWT_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "common/codec.h"

/* The RSA public key of a JWK (caller frees with EVP_PKEY_free). */
static inline EVP_PKEY *jt_pkey_from_jwk(const json_t *jwk)
{
	const char *n64 = json_string_value(json_object_get(jwk, "n"));
	const char *e64 = json_string_value(json_object_get(jwk, "e"));
	size_t nl, el;
	unsigned char *n = st_base64_decode(n64, strlen(n64), &nl);
	unsigned char *e = st_base64_decode(e64, strlen(e64), &el);
	BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;

	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return pk;
}

/* EVP_DigestVerify's answer for tok's signature over its header and payload: 1
 * when it matches. Callers that expect a mismatch assert on anything else. */
static inline int jt_rs256_verify(EVP_PKEY *pk, const char *tok)
{
	const char *dot = strrchr(tok, '.');
	size_t sl;
	unsigned char *sig = st_base64_decode(dot + 1, strlen(dot + 1), &sl);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
	ok = EVP_DigestVerify(md, sig, sl, (const unsigned char *)tok, (size_t)(dot - tok));
	EVP_MD_CTX_free(md);
	free(sig);
	return ok;
}

#endif
