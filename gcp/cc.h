/* Confidential Computing API: challenges and verifyAttestation. Evidence is made
 * inside the guest; the console builds these calls for the in-guest agent's flow and
 * for checking tokens. There is no discovery document for this API in the tree, so
 * the shapes follow API-NOTES §10 (the service proto). */
#ifndef GCP_CC_H
#define GCP_CC_H

#include "gcp/rq.h"

gcp_rq *gcp_cc_challenge_create(const gcp_endpoints *ep, const char *project, const char *location);

typedef struct gcp_attest_spec {
	const char *challenge;             /* full challenge name */
	const char *const *sa_id_tokens;   /* NULL-terminated, or NULL */
	const json_t *tpm_attestation;     /* TpmAttestation object (required by the API) */
	const json_t *td_ccel;             /* or NULL */
	const char *audience;
	const char *const *nonces;         /* NULL-terminated, or NULL */
	const char *token_type;            /* "TOKEN_TYPE_OIDC" when NULL */
} gcp_attest_spec;

gcp_rq *gcp_cc_verify(const gcp_endpoints *ep, const gcp_attest_spec *spec);
/* The token string (borrowed from j), or NULL. */
const char *gcp_cc_token(const json_t *verify_reply);

#endif
