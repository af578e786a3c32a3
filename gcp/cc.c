#include "gcp/cc.h"

#include <stdlib.h>

#include "common/json.h"

gcp_rq *gcp_cc_challenge_create(const gcp_endpoints *ep, const char *project, const char *location)
{
	char *path = gcp_pathf("/v1/projects/%s/locations/%s/challenges", project, location);
	gcp_rq *rq = gcp_rq_new(ep, GCP_API_CC, NULL, "POST", "confidentialcomputing.projects.locations.challenges.create", path);
	free(path);
	gcp_rq_body(rq, json_object());
	return rq;
}

gcp_rq *gcp_cc_verify(const gcp_endpoints *ep, const gcp_attest_spec *s)
{
	if (!s->challenge || !s->tpm_attestation)
		return NULL;
	char *path = gcp_name_path("/v1/", s->challenge, ":verifyAttestation");
	if (!path)
		return NULL;
	gcp_rq *rq = gcp_rq_new(ep, GCP_API_CC, NULL, "POST",
				"confidentialcomputing.projects.locations.challenges.verifyAttestation", path);
	free(path);
	json_t *b = json_pack("{s:s,s:O}", "challenge", s->challenge, "tpmAttestation", s->tpm_attestation);
	if (s->sa_id_tokens)
		json_object_set_new(b, "gcpCredentials", json_pack("{s:o}", "serviceAccountIdTokens", gcp_json_strings(s->sa_id_tokens)));
	if (s->td_ccel)
		json_object_set_new(b, "tdCcel", json_deep_copy(s->td_ccel));
	json_t *opts = json_pack("{s:s}", "tokenType", s->token_type ? s->token_type : "TOKEN_TYPE_OIDC");
	if (s->audience)
		json_object_set_new(opts, "audience", json_string(s->audience));
	if (s->nonces)
		json_object_set_new(opts, "nonce", gcp_json_strings(s->nonces));
	json_object_set_new(b, "tokenOptions", opts);
	gcp_rq_body(rq, b);
	return rq;
}

const char *gcp_cc_token(const json_t *reply)
{
	return stj_str(reply, "oidcClaimsToken");
}
