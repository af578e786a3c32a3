/* Sandbox RS256 signing: the token verifies with the public key published in the
 * JWKS (rebuilt with OpenSSL from n and e), tampering is detected, PEM round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/jwt_sign.h"
#include "tests/unit/test_sb_jwt_util.h"

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
	pk = jt_pkey_from_jwk(json_array_get(json_object_get(jwks, "keys"), 0));
	assert_int_equal(jt_rs256_verify(pk, tok), 1);
	back = sb_jwt_verify(k, tok, err, sizeof(err));
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(back, "iss")), "http://127.0.0.1:1");
	json_decref(back);
	/* Flip one character of the payload: the signature no longer matches. */
	tok[strchr(tok, '.') - tok + 3] ^= 1;
	assert_int_not_equal(jt_rs256_verify(pk, tok), 1);
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
