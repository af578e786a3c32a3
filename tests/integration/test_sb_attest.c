/* Confidential Computing attestation against the real sandbox: challenge, then
 * verifyAttestation with the VM's identity token; the returned JWT is verified here
 * with OpenSSL against the key the issuer publishes (discovery -> JWKS), and its
 * claims checked the way the console will. Also Shielded VM integrity log entries. */
#include "tests/integration/test_sb_compute_util.h"

#include <signal.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "tests/unit/test_sb_jwt_util.h"

static const char *const fast[] = {"--time-scale", "20", NULL};
static const char *const mf[] = {"Metadata-Flavor: Google", NULL};

static int setup(void **state)
{
	*state = sbt_new(fast);
	return 0;
}

static char *make_vm(st_sandbox *sb, const char *name, const char *props)
{
	char *body = st_xasprintf("{\"name\":\"%s\",%s,\"serviceAccounts\":[{\"email\":"
				  "\"runner@p1.iam.gserviceaccount.com\"}],\"scheduling\":"
				  "{\"onHostMaintenance\":\"TERMINATE\"}}", name, props);
	char *path = st_xasprintf(CZ "/instances/%s", name), *id;
	json_t *op = ct_op(sb, "POST", CZ "/instances", body);
	st_http_resp r;

	assert_null(stj_get(op, "error"));
	sbt_call(sb, "GET", path, NULL, 200, &r);
	id = st_xstrdup(sbt_str(&r, "id"));
	st_http_free(&r);
	json_decref(op);
	free(body);
	free(path);
	return id;
}

static char *identity_token(st_sandbox *sb, const char *id)
{
	char *p = st_xasprintf("/sandbox-metadata/%s/computeMetadata/v1/instance/service-accounts/"
			       "default/identity?audience=https://confidentialcomputing&format=full", id);
	st_http_resp r;
	char *tok;

	assert_int_equal(st_http(sb, "GET", p, NULL, 0, NULL, "", mf, &r), 0);
	assert_int_equal(r.status, 200);
	tok = st_xstrdup(r.body);
	st_http_free(&r);
	free(p);
	return tok;
}

static char *new_challenge(st_sandbox *sb)
{
	st_http_resp r;
	char *name;

	sbt_call(sb, "POST", "/v1/projects/p1/locations/us-central1/challenges", "{}", 200, &r);
	assert_false(stj_bool(r.json, "used", true));
	assert_non_null(sbt_str(&r, "expireTime"));
	assert_non_null(sbt_str(&r, "tpmNonce"));
	name = st_xstrdup(sbt_str(&r, "name"));
	assert_true(st_starts_with(name, "projects/p1/locations/us-central1/challenges/"));
	st_http_free(&r);
	return name;
}

static void verify(st_sandbox *sb, const char *challenge, const char *body, long want,
		   st_http_resp *r)
{
	char *p = st_xasprintf("/v1/%s:verifyAttestation", challenge);

	sbt_call(sb, "POST", p, body, want, r);
	free(p);
}

static json_t *b64_json(const char *s, size_t n)
{
	size_t len;
	unsigned char *raw = st_base64_decode(s, n, &len);
	json_error_t je;
	json_t *v;

	assert_non_null(raw);
	v = json_loadb((const char *)raw, len, 0, &je);
	free(raw);
	assert_non_null(v);
	return v;
}

/* Verifies tok's RS256 signature with the issuer's published key; returns claims. */
static json_t *verify_jwt(st_sandbox *sb, const char *tok)
{
	const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
	json_t *hdr = b64_json(tok, (size_t)(d1 - tok)), *claims, *jwk = NULL, *k;
	st_http_resp disc, keys;
	size_t i;
	EVP_PKEY *pk;

	assert_string_equal(stj_str(hdr, "alg"), "RS256");
	assert_int_equal(st_http(sb, "GET", "/.well-known/openid-configuration", NULL, 0, NULL, "",
				 NULL, &disc), 0);
	assert_int_equal(disc.status, 200);
	assert_string_equal(stj_str(disc.json, "issuer"), sb->url);
	assert_int_equal(st_http(sb, "GET", stj_str(disc.json, "jwks_uri"), NULL, 0, NULL, "", NULL,
				 &keys), 0);
	assert_int_equal(keys.status, 200);
	json_array_foreach(stj_get(keys.json, "keys"), i, k)
		if (strcmp(stj_str(k, "kid"), stj_str(hdr, "kid")) == 0)
			jwk = k;
	assert_non_null(jwk);
	pk = jt_pkey_from_jwk(jwk);
	assert_int_equal(jt_rs256_verify(pk, tok), 1);
	claims = b64_json(d1 + 1, (size_t)(d2 - d1 - 1));
	EVP_PKEY_free(pk);
	json_decref(hdr);
	st_http_free(&disc);
	st_http_free(&keys);
	return claims;
}

static char *attest_body(const char *idtok, const char *extra)
{
	return st_xasprintf("{\"gcpCredentials\":{\"serviceAccountIdTokens\":[\"%s\"]},"
			    "\"tpmAttestation\":{\"quotes\":[]},\"tokenOptions\":{\"audience\":"
			    "\"sealtrain-console\",\"nonce\":[\"0123456789abcdef\"],\"tokenType\":"
			    "\"TOKEN_TYPE_OIDC\"}%s}", idtok, extra);
}

static void t_tdx_token_verifies(void **state)
{
	st_sandbox *sb = *state;
	char *id = make_vm(sb, "cvm", "\"machineType\":\"a3-highgpu-1g\",\"confidentialInstanceConfig\""
			   ":{\"confidentialInstanceType\":\"TDX\"},\"shieldedInstanceConfig\":"
			   "{\"enableSecureBoot\":true}");
	char *idtok = identity_token(sb, id), *ch = new_challenge(sb), *body = attest_body(idtok, "");
	st_http_resp r;
	json_t *cl;
	int64_t exp;

	verify(sb, ch, body, 200, &r);
	cl = verify_jwt(sb, sbt_str(&r, "oidcClaimsToken"));
	assert_string_equal(stj_str(cl, "iss"), sb->url);
	assert_string_equal(stj_str(cl, "aud"), "sealtrain-console");
	assert_string_equal(stj_str(cl, "eat_nonce"), "0123456789abcdef");
	assert_string_equal(stj_str(cl, "hwmodel"), "INTEL_TDX");
	assert_true(stj_bool(cl, "secboot", false));
	assert_string_equal(stj_str(cl, "submods.gce.instance_id"), id);
	assert_string_equal(stj_str(cl, "submods.gce.zone"), "us-central1-a");
	assert_string_equal(stj_str(cl, "submods.gce.project_id"), "p1");
	assert_string_equal(stj_str(cl, "submods.gce.instance_name"), "cvm");
	assert_true(stj_bool(cl, "sandbox_simulated_evidence", false));
	assert_true(stj_int64(cl, "exp", &exp) && exp > (int64_t)time(NULL));
	json_decref(cl);
	st_http_free(&r);
	/* The challenge is used up. */
	verify(sb, ch, body, 400, &r);
	ct_error(&r, 400, "FAILED_PRECONDITION", "already used");
	st_http_free(&r);
	free(body);
	free(ch);
	free(idtok);
	free(id);
}

static void t_snp_and_refusals(void **state)
{
	st_sandbox *sb = *state;
	char *snp = make_vm(sb, "snp", "\"machineType\":\"n2d-standard-2\",\"minCpuPlatform\":"
			    "\"AMD Milan\",\"confidentialInstanceConfig\":{\"confidentialInstanceType\""
			    ":\"SEV_SNP\"}");
	char *plain = make_vm(sb, "plain", "\"machineType\":\"e2-small\"");
	char *tok = identity_token(sb, snp), *ptok = identity_token(sb, plain);
	char *ch = new_challenge(sb), *body;
	st_http_resp r;
	json_t *cl;

	body = st_xasprintf("{\"gcpCredentials\":{\"serviceAccountIdTokens\":[\"%s\"]}}", tok);
	verify(sb, ch, body, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "tpmAttestation");
	st_http_free(&r);
	free(body);
	verify(sb, ch, "{\"tpmAttestation\":{}}", 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "serviceAccountIdTokens");
	st_http_free(&r);
	body = attest_body("not.a.token", "");
	verify(sb, ch, body, 400, &r);
	st_http_free(&r);
	free(body);
	body = st_xasprintf("{\"gcpCredentials\":{\"serviceAccountIdTokens\":[\"%s\"]},"
			    "\"tpmAttestation\":{},\"tokenOptions\":{\"nonce\":[\"short\"]}}", tok);
	verify(sb, ch, body, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "nonce");
	st_http_free(&r);
	free(body);
	/* Not a Confidential VM. */
	body = attest_body(ptok, "");
	verify(sb, ch, body, 400, &r);
	ct_error(&r, 400, "FAILED_PRECONDITION", "not a Confidential VM");
	st_http_free(&r);
	free(body);
	/* Failures did not use the challenge up: SEV-SNP works with it. */
	body = attest_body(tok, "");
	verify(sb, ch, body, 200, &r);
	cl = verify_jwt(sb, sbt_str(&r, "oidcClaimsToken"));
	assert_string_equal(stj_str(cl, "hwmodel"), "AMD_SEV_SNP");
	assert_false(stj_bool(cl, "secboot", true));
	json_decref(cl);
	st_http_free(&r);
	verify(sb, "projects/p1/locations/us-central1/challenges/nope", body, 404, &r);
	st_http_free(&r);
	free(body);
	free(ch);
	free(tok);
	free(ptok);
	free(snp);
	free(plain);
}

static void t_integrity_log(void **state)
{
	st_sandbox *sb = *state;
	char *id = make_vm(sb, "shielded", "\"machineType\":\"e2-small\"");
	json_t *q = json_pack("{s:[s]}", "resourceNames", "projects/p1");
	char *body;
	st_http_resp r;

	json_object_set_new(q, "filter", json_sprintf("logName=\"projects/p1/logs/compute."
		"googleapis.com%%2Fshielded_vm_integrity\""));
	body = stj_dump(q);
	sbt_call(sb, "POST", "/v2/entries:list", body, 200, &r);
	assert_non_null(strstr(r.body, "earlyBootReportEvent"));
	assert_non_null(strstr(r.body, "lateBootReportEvent"));
	assert_non_null(strstr(r.body, "\"policyEvaluationPassed\":true"));
	assert_non_null(strstr(r.body, id));
	st_http_free(&r);
	free(body);
	json_decref(q);
	free(id);
}

/* The whole flow from inside a guest, as the console's in-guest agent will run it:
 * identity token and access token from the metadata server, a challenge, then
 * verifyAttestation; the token lands in a file (never on the serial console). */
static void t_attest_from_guest(void **state)
{
	st_sandbox *sb = *state;
	static const char script[] =
		"H='Metadata-Flavor: Google'\n"
		"MD=http://$GCE_METADATA_HOST/computeMetadata/v1\n"
		"API=$SEALTRAIN_SANDBOX_URL\n"
		"ID=$(curl -s -H \"$H\" \"$MD/instance/service-accounts/default/identity"
		"?audience=$API&format=full\")\n"
		"TOK=$(curl -s -H \"$H\" $MD/instance/service-accounts/default/token |"
		" sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')\n"
		"AUTH=\"Authorization: Bearer $TOK\"\n"
		"CH=$(curl -s -X POST -H \"$AUTH\" -H 'Content-Type: application/json' -d '{}'"
		" $API/v1/projects/p1/locations/us-central1/challenges |"
		" sed 's/.*\"name\":\"\\([^\"]*\\)\".*/\\1/')\n"
		"curl -s -X POST -H \"$AUTH\" -H 'Content-Type: application/json' -d "
		"\"{\\\"gcpCredentials\\\":{\\\"serviceAccountIdTokens\\\":[\\\"$ID\\\"]},"
		"\\\"tpmAttestation\\\":{},\\\"tokenOptions\\\":{\\\"audience\\\":"
		"\\\"sealtrain-console\\\"}}\" \"$API/v1/$CH:verifyAttestation\" > \"$HOME/att.json\"\n"
		"echo attested=$(grep -c oidcClaimsToken \"$HOME/att.json\")\n";
	json_t *body = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:[{s:s}], s:{s:[{s:s, s:s}]}}",
				 "name", "agent", "machineType", "a3-highgpu-1g",
				 "confidentialInstanceConfig", "confidentialInstanceType", "TDX",
				 "scheduling", "onHostMaintenance", "TERMINATE", "serviceAccounts",
				 "email", "runner@p1.iam.gserviceaccount.com", "metadata", "items",
				 "key", "startup-script", "value", script);
	char *txt = stj_dump(body), *path, *serial = NULL, err[64], *att;
	json_t *op = ct_op(sb, "POST", CZ "/instances", txt), *cl, *resp;
	st_http_resp r;
	size_t len;
	json_error_t je;
	int i;

	assert_null(stj_get(op, "error"));
	sbt_call(sb, "GET", CZ "/instances/agent", NULL, 200, &r);
	path = st_xasprintf("%s/compute/%s/guest/att.json", sb->state, sbt_str(&r, "id"));
	for (i = 0; i < 100; i++) {
		free(serial);
		serial = ct_serial(sb, "agent");
		if (strstr(serial, "exit status"))
			break;
		ct_sleep_ms(100);
	}
	assert_non_null(strstr(serial, "startup-script: attested=1"));
	att = st_read_file(path, 1 << 20, &len, err, sizeof(err));
	assert_non_null(att);
	resp = json_loads(att, 0, &je);
	assert_non_null(resp);
	/* Nothing secret reached the serial console. */
	assert_null(strstr(serial, stj_str(resp, "oidcClaimsToken")));
	cl = verify_jwt(sb, stj_str(resp, "oidcClaimsToken"));
	assert_string_equal(stj_str(cl, "submods.gce.instance_id"), sbt_str(&r, "id"));
	assert_string_equal(stj_str(cl, "hwmodel"), "INTEL_TDX");
	assert_string_equal(stj_str(cl, "aud"), "sealtrain-console");
	json_decref(cl);
	json_decref(resp);
	st_http_free(&r);
	free(att);
	free(serial);
	free(path);
	json_decref(op);
	free(txt);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_tdx_token_verifies, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_snp_and_refusals, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_integrity_log, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_attest_from_guest, setup, sbt_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
