/* Sandbox RS256 signing: the token verifies with the public key published in the
 * JWKS (rebuilt with OpenSSL from n and e), tampering is detected, PEM round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "common/codec.h"
#include "sandbox/jwt_sign.h"

static EVP_PKEY *pkey_from_jwk(const json_t *jwk)
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

static int verify_with(EVP_PKEY *pk, const char *tok)
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

static void sign_verify(void **state)
{
	sb_jwt_key *k = sb_jwt_key_generate();
	json_t *claims = json_pack("{s:s, s:i}", "iss", "http://127.0.0.1:1", "exp", 2000000000);
	json_t *jwks, *back;
	char *tok, err[128];
	EVP_PKEY *pk;

	assert_non_null(k);
	tok = sb_jwt_sign(k, claims);
	assert_non_null(tok);
	jwks = sb_jwt_jwks(k);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(jwks, "keys"), 0), "kid")), sb_jwt_key_id(k));
	pk = pkey_from_jwk(json_array_get(json_object_get(jwks, "keys"), 0));
	assert_int_equal(verify_with(pk, tok), 1);
	back = sb_jwt_verify(k, tok, err, sizeof(err));
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(back, "iss")), "http://127.0.0.1:1");
	json_decref(back);
	/* Flip one character of the payload: the signature no longer matches. */
	tok[strchr(tok, '.') - tok + 3] ^= 1;
	assert_int_not_equal(verify_with(pk, tok), 1);
	assert_null(sb_jwt_verify(k, tok, err, sizeof(err)));
	assert_null(sb_jwt_verify(k, "a.b", err, sizeof(err)));
	assert_non_null(strstr(err, "three"));
	assert_null(sb_jwt_verify(k, "!!.b.c", err, sizeof(err)));
	EVP_PKEY_free(pk);
	free(tok);
	json_decref(jwks);
	json_decref(claims);
	sb_jwt_key_free(k);
}

static void pem_round_trip(void **state)
{
	sb_jwt_key *k = sb_jwt_key_generate(), *k2;
	size_t len = 0;
	char *pem = sb_jwt_key_to_pem(k, &len), *pub = sb_jwt_key_public_pem(k), err[128];

	assert_non_null(pem);
	assert_non_null(strstr(pub, "BEGIN PUBLIC KEY"));
	k2 = sb_jwt_key_from_pem(pem, len, err, sizeof(err));
	assert_non_null(k2);
	assert_string_equal(sb_jwt_key_id(k), sb_jwt_key_id(k2));
	assert_null(sb_jwt_key_from_pem("garbage", 7, err, sizeof(err)));
	assert_non_null(strstr(err, "RSA"));
	free(pem);
	free(pub);
	sb_jwt_key_free(k);
	sb_jwt_key_free(k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sign_verify),
		cmocka_unit_test(pem_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
