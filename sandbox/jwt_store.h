/* The sandbox's own token-issuing key (see jwt_store.c). */
#ifndef SB_JWT_STORE_H
#define SB_JWT_STORE_H

#include "sandbox/jwt_sign.h"
#include "sandbox/sandbox.h"

/* Borrowed; NULL only when OpenSSL cannot make a key. */
sb_jwt_key *sb_jwt_issuer_key(sb_server *s);
/* Drops the cached key (at shutdown, so leak checkers see it freed). */
void sb_jwt_issuer_forget(void);

#endif
