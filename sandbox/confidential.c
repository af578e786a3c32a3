/* Confidential Computing v1: challenges and verifyAttestation, which returns an RS256
 * OIDC token signed by the sandbox, whose keys are published at the issuer's JWKS.
 *
 * There is no TEE here. The sandbox cannot check a TPM quote or a TD quote; it learns
 * which VM is asking from the VM's own identity token (from this sandbox's metadata
 * server, format=full) and reports that VM's configured confidential type. The token
 * says so: "sandbox_simulated_evidence": true. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "sandbox/capacity.h"
#include "sandbox/compute.h"
#include "sandbox/compute_validate.h"
#include "sandbox/jwt_sign.h"
#include "sandbox/jwt_store.h"

#define CC_SERVICE "confidentialcomputing.googleapis.com"
#define CK_CHALLENGE "cc.challenge"
#define CHALLENGE_TTL_S 3600

static void challenge_create(sb_server *s, sb_call *c)
{
	char uuid[37], *name, ct[48], et[48];
	unsigned char nonce[32];
	char *nonce64;
	int64_t now = sb_now_ms(s);
	json_t *ch;

	if (!sb_json(c))
		return;
	st_uuid4(uuid);
	name = st_xasprintf("projects/%s/locations/%s/challenges/%s", sb_var(c, "project"),
			    sb_var(c, "location"), uuid);
	st_random_bytes(nonce, sizeof(nonce));
	nonce64 = st_base64_encode(nonce, sizeof(nonce));
	st_rfc3339_format(now, ct, sizeof(ct));
	st_rfc3339_format(now + CHALLENGE_TTL_S * 1000LL, et, sizeof(et));
	ch = json_pack("{s:s, s:s, s:s, s:b, s:s}", "name", name, "createTime", ct, "expireTime",
		       et, "used", 0, "tpmNonce", nonce64);
	sb_put(s, CK_CHALLENGE, name, ch);
	sb_reply_json(c, 200, ch);
	free(name);
	free(nonce64);
}

static const char *hwmodel(const char *type)
{
	if (strcmp(type, "TDX") == 0)
		return "INTEL_TDX";
	if (strcmp(type, "SEV_SNP") == 0)
		return "AMD_SEV_SNP";
	return "AMD_SEV";
}

static int check_nonces(sb_call *c, const json_t *nonces)
{
	size_t i, n;
	json_t *v;

	if (nonces && !json_is_array(nonces))
		goto bad;
	if (json_array_size(nonces) > 6)
		goto bad;
	json_array_foreach(nonces, i, v) {
		n = json_string_length(v);
		if (!json_is_string(v) || n < 8 || n > 88)
			goto bad;
	}
	return 0;
bad:
	sb_reply_invalid(c, "tokenOptions.nonce: at most 6 nonces of 8 to 88 bytes each");
	return -1;
}

/* The VM behind the request, from its metadata-server identity token. */
static json_t *caller_instance(sb_server *s, sb_call *c, const json_t *body)
{
	const char *tok = stj_str(body, "gcpCredentials.serviceAccountIdTokens.0");
	sb_jwt_key *k = sb_jwt_issuer_key(s);
	char err[160];
	json_t *claims, *all, *inst, *found = NULL;
	const char *id;
	int64_t exp;
	size_t i;

	if (!tok) {
		sb_reply_invalid(c, "gcpCredentials.serviceAccountIdTokens: the sandbox needs the "
				 "VM's identity token (metadata server, format=full) to know which "
				 "VM is attesting");
		return NULL;
	}
	claims = k ? sb_jwt_verify(k, tok, err, sizeof(err)) : NULL;
	if (!claims || !stj_int64(claims, "exp", &exp) || exp * 1000 < sb_now_ms(s) ||
	    !(id = stj_str(claims, "google.compute_engine.instance_id"))) {
		sb_reply_invalid(c, "gcpCredentials.serviceAccountIdTokens[0]: %s",
				 claims ? "expired, or not a format=full VM identity token" : err);
		json_decref(claims);
		return NULL;
	}
	all = sb_list(s, CK_INSTANCE, "projects/");
	json_array_foreach(all, i, inst)
		if (strcmp(stj_str(inst, "id"), id) == 0)
			found = json_incref(inst);
	json_decref(all);
	json_decref(claims);
	if (!found)
		sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL, "Instance %s no longer exists.",
			       id);
	return found;
}

static json_t *claims_for(sb_server *s, const json_t *inst, const json_t *ch,
			  const json_t *body, const char *type)
{
	const char *aud = stj_str(body, "tokenOptions.audience");
	json_t *nonces = stj_get(body, "tokenOptions.nonce"), *sa;
	const char *project = co_priv_str(inst, "project");
	int64_t now = sb_now_ms(s) / 1000, exp_ms = 0;
	char *sub = st_xasprintf("https://www.googleapis.com/compute/v1/%s",
				 co_priv_str(inst, "fullName"));
	json_t *cl;

	st_rfc3339_parse(stj_str(ch, "expireTime"), &exp_ms);
	sa = json_array();
	if (stj_str(inst, "serviceAccounts.0.email"))
		json_array_append_new(sa, json_string(stj_str(inst, "serviceAccounts.0.email")));
	cl = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:b, s:i, s:s, s:s, s:o,"
		       " s:{s:{s:s, s:s, s:s, s:s, s:s}}, s:b, s:s}",
		       "iss", sb_base_url(s), "sub", sub, "aud",
		       aud ? aud : "https://sts.googleapis.com", "iat", (json_int_t)now,
		       "nbf", (json_int_t)now, "exp", (json_int_t)(exp_ms / 1000),
		       "eat_profile", "https://cloud.google.com/confidential-computing/"
		       "confidential-space/docs/reference/token-claims",
		       "hwmodel", hwmodel(type),
		       "secboot", stj_bool(inst, "shieldedInstanceConfig.enableSecureBoot", false),
		       "oemid", 11129, "swname", "GCE", "dbgstat", "disabled-since-boot",
		       "google_service_accounts", sa,
		       "submods", "gce", "zone", cap_basename(stj_str(inst, "zone")), "project_id",
		       project, "project_number", "", "instance_name", stj_str(inst, "name"),
		       "instance_id", stj_str(inst, "id"),
		       "sandbox_simulated_evidence", 1,
		       "sandbox_note", "TEE evidence is simulated by sealtrain-sandbox; no hardware "
		       "quote was verified");
	json_object_set_new(stj_get(cl, "submods.gce"), "project_number",
			    json_sprintf("%lld", (long long)sb_project_number(s, project)));
	if (json_array_size(nonces) == 1)
		json_object_set(cl, "eat_nonce", json_array_get(nonces, 0));
	else if (json_array_size(nonces) > 1)
		json_object_set(cl, "eat_nonce", nonces);
	free(sub);
	return cl;
}

static json_t *usable_challenge(sb_server *s, sb_call *c, const char *name)
{
	json_t *ch = sb_get(s, CK_CHALLENGE, name);
	int64_t exp = 0;

	if (!ch) {
		sb_reply_not_found(c, name);
		return NULL;
	}
	st_rfc3339_parse(stj_str(ch, "expireTime"), &exp);
	if (stj_bool(ch, "used", false) || exp < sb_now_ms(s)) {
		sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL, "Challenge %s is %s.", name,
			       stj_bool(ch, "used", false) ? "already used" : "expired");
		json_decref(ch);
		return NULL;
	}
	return ch;
}

static int check_request(sb_call *c, const json_t *body)
{
	const char *tt = stj_str(body, "tokenOptions.tokenType");

	if (!json_is_object(json_object_get(body, "tpmAttestation"))) {
		sb_reply_invalid(c, "tpmAttestation is required");
		return -1;
	}
	if (tt && strcmp(tt, "TOKEN_TYPE_OIDC") != 0 && strcmp(tt, "TOKEN_TYPE_UNSPECIFIED") != 0) {
		sb_reply_invalid(c, "tokenOptions.tokenType %s is not supported by the sandbox "
				 "(only TOKEN_TYPE_OIDC)", tt);
		return -1;
	}
	if (stj_str(body, "tokenOptions.audience") &&
	    strlen(stj_str(body, "tokenOptions.audience")) > 512) {
		sb_reply_invalid(c, "tokenOptions.audience is longer than 512 bytes");
		return -1;
	}
	return check_nonces(c, stj_get(body, "tokenOptions.nonce"));
}

static void verify_attestation(sb_server *s, sb_call *c)
{
	char *name = st_xasprintf("projects/%s/locations/%s/challenges/%s", sb_var(c, "project"),
				  sb_var(c, "location"), sb_var(c, "challenge"));
	json_t *body = sb_json(c), *ch = NULL, *inst = NULL, *claims;
	const char *type;
	char *jwt;

	if (!body || check_request(c, body) || !(ch = usable_challenge(s, c, name)) ||
	    !(inst = caller_instance(s, c, body)))
		goto out;
	type = cv_confidential_type(inst);
	if (!type || strcmp(stj_str(inst, "status"), "RUNNING") != 0) {
		sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL, "Instance %s is %s; attestation "
			       "needs a RUNNING Confidential VM.", stj_str(inst, "name"),
			       type ? stj_str(inst, "status") : "not a Confidential VM");
		goto out;
	}
	claims = claims_for(s, inst, ch, body, type);
	jwt = sb_jwt_sign(sb_jwt_issuer_key(s), claims);
	json_decref(claims);
	json_object_set_new(ch, "used", json_true());
	sb_put(s, CK_CHALLENGE, name, ch);
	sb_reply_json(c, 200, json_pack("{s:s}", "oidcClaimsToken", jwt));
	free(jwt);
out:
	json_decref(ch);
	json_decref(inst);
	free(name);
}

static void openid_configuration(sb_server *s, sb_call *c)
{
	char *jwks = st_xasprintf("%s/.well-known/jwks", sb_base_url(s));

	sb_reply_json(c, 200, json_pack("{s:s, s:s, s:[s], s:[s], s:[s], s:[s,s,s,s,s,s,s,s]}",
		"issuer", sb_base_url(s), "jwks_uri", jwks, "response_types_supported", "id_token",
		"subject_types_supported", "public", "id_token_signing_alg_values_supported", "RS256",
		"scopes_supported", "openid", "claims_supported", "sub", "aud", "exp", "iat", "iss",
		"eat_nonce", "hwmodel", "submods"));
	free(jwks);
}

static void jwks(sb_server *s, sb_call *c)
{
	sb_jwt_key *k = sb_jwt_issuer_key(s);

	if (k)
		sb_reply_json(c, 200, sb_jwt_jwks(k));
	else
		sb_reply_error(c, 500, "INTERNAL", NULL, "No signing key.");
}

#define LOC "/v1/projects/{project}/locations/{location}"

static const sb_route routes[] = {
	{"POST", LOC "/challenges", challenge_create, CC_SERVICE,
	 "google.cloud.confidentialcomputing.v1.ConfidentialComputing.CreateChallenge", 0},
	{"POST", LOC "/challenges/{challenge}:verifyAttestation", verify_attestation, CC_SERVICE,
	 "google.cloud.confidentialcomputing.v1.ConfidentialComputing.VerifyAttestation", 0},
	{"GET", "/.well-known/openid-configuration", openid_configuration, NULL, NULL,
	 SB_NO_AUTH | SB_NO_SERVICE_CHECK},
	{"GET", "/.well-known/jwks", jwks, NULL, NULL, SB_NO_AUTH | SB_NO_SERVICE_CHECK},
};

const sb_service sb_svc_confidential = {
	.name = CC_SERVICE,
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
};
