/* Sandbox-side RS256 token signing: the key that signs attestation tokens and the
 * metadata server's identity tokens, and the JWKS that publishes its public half.
 * Kept apart from gcp/ on purpose: the emulator must not share code with its client. */
#ifndef SB_JWT_SIGN_H
#define SB_JWT_SIGN_H

#include <jansson.h>
#include <stddef.h>

typedef struct sb_jwt_key sb_jwt_key;

/* A fresh RSA-2048 key; NULL when OpenSSL fails. */
sb_jwt_key *sb_jwt_key_generate(void);
/* Parses a PKCS#8 PEM private key; NULL with a reason in err when it is not one. */
sb_jwt_key *sb_jwt_key_from_pem(const char *pem, size_t len, char *err, size_t errlen);
/* PKCS#8 PEM of the private key (caller frees); NULL on failure. */
char *sb_jwt_key_to_pem(const sb_jwt_key *k, size_t *len);
/* SPKI PEM of the public key (caller frees); NULL on failure. */
char *sb_jwt_key_public_pem(const sb_jwt_key *k);
void sb_jwt_key_free(sb_jwt_key *k);
/* Key id: the first 16 bytes of the SHA-256 of the public key's DER, in hex. */
const char *sb_jwt_key_id(const sb_jwt_key *k);
/* {"keys":[{kty,alg,use,kid,n,e}]}: a new reference. */
json_t *sb_jwt_jwks(const sb_jwt_key *k);
/* header.payload.signature with {"alg":"RS256","kid":...,"typ":"JWT"}; caller frees. */
char *sb_jwt_sign(const sb_jwt_key *k, const json_t *claims);
/* Checks an RS256 token made by this key and returns its claims (new reference), or
 * NULL with a reason in err (malformed, wrong algorithm or key, bad signature). The
 * caller checks exp/aud: this only proves who signed it. */
json_t *sb_jwt_verify(const sb_jwt_key *k, const char *token, char *err, size_t errlen);

#endif
