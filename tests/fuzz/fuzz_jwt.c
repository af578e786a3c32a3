/* libFuzzer target: the sandbox's RS256 token verifier (sb_jwt_verify in
 * sandbox/jwt_sign.c), which checks the attestation and identity tokens the sandbox
 * issued before it trusts their claims. Random bytes rarely get past the header
 * check, so the first input byte picks how much of the token the harness builds:
 *   0: the rest is the whole token;
 *   1: a correct header for this key, then the rest (payload.signature);
 *   2: a correct header, the rest as the payload, and a real signature, so the
 *      claims decoder after the signature check sees hostile bytes too. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/codec.h"
#include "common/str.h"
#include "sandbox/jwt_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sb_jwt_key *key;
static EVP_PKEY *signer; /* the same key, for the harness's own signatures */
static char *header64;

static void setup(void)
{
	char hdr[128];
	size_t len;
	char *pem;
	BIO *bio;

	key = sb_jwt_key_generate();
	pem = key ? sb_jwt_key_to_pem(key, &len) : NULL;
	bio = pem ? BIO_new_mem_buf(pem, (int)len) : NULL;
	signer = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	if (!signer)
		abort();
	BIO_free(bio);
	free(pem);
	snprintf(hdr, sizeof hdr, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
		 sb_jwt_key_id(key));
	header64 = st_base64url_encode(hdr, strlen(hdr));
}

/* base64url(RS256(input)), or NULL when OpenSSL fails. */
static char *sign(const char *input)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t slen = sizeof sig;
	char *out = NULL;

	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, signer) == 1 &&
	    EVP_DigestSign(md, sig, &slen, (const unsigned char *)input, strlen(input)) == 1)
		out = st_base64url_encode(sig, slen);
	EVP_MD_CTX_free(md);
	return out;
}

static char *build(uint8_t mode, const uint8_t *data, size_t size)
{
	char *rest = st_xmalloc(size + 1), *payload, *signed_part, *sig, *tok;

	memcpy(rest, data, size);
	rest[size] = '\0';
	if (mode == 0)
		return rest;
	if (mode == 1) {
		tok = st_xasprintf("%s.%s", header64, rest);
		free(rest);
		return tok;
	}
	payload = st_base64url_encode(data, size);
	signed_part = st_xasprintf("%s.%s", header64, payload);
	sig = sign(signed_part);
	tok = st_xasprintf("%s.%s", signed_part, sig ? sig : "");
	free(sig);
	free(signed_part);
	free(payload);
	free(rest);
	return tok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	json_t *claims;
	char *tok;

	if (size < 1 || size > 8192)
		return 0;
	if (!key)
		setup();
	tok = build(data[0] % 3, data + 1, size - 1);
	claims = sb_jwt_verify(key, tok, err, sizeof err);
	if (claims) {
		if (!json_is_object(claims))
			abort();
		json_decref(claims);
	} else if (!err[0]) {
		abort(); /* a refusal must say why */
	}
	free(tok);
	return 0;
}
