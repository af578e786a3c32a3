/* Conformance: every request the gcp/ builders can make is checked against Google's
 * discovery documents ($ST_DISCOVERY_DIR): HTTP method, path template, query
 * parameter names and body field names (recursively, through $ref schemas).
 * Confidential Computing has no discovery document in the tree; its two calls are
 * checked here against the shapes in API-NOTES §10 instead. The metadata server has
 * none either; its paths are checked against API-NOTES §1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/str.h"
#include "gcp/aiplatform.h"
#include "gcp/cc.h"
#include "gcp/compute.h"
#include "gcp/iam.h"
#include "gcp/kms.h"
#include "gcp/logging.h"
#include "gcp/metadata.h"
#include "gcp/monitoring.h"
#include "gcp/serviceusage.h"
#include "gcp/storage.h"

static const char *disc_dir;

/* ------------------------------------------------------------------ discovery lookup */

static json_t *load_doc(const char *file)
{
	char *p = st_xasprintf("%s/%s", disc_dir, file);
	json_error_t e;
	json_t *d = json_load_file(p, 0, &e);
	if (!d)
		fail_msg("cannot load %s: %s", p, e.text);
	free(p);
	return d;
}

static json_t *find_method(const json_t *res, const char *id)
{
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(res, "methods"), k, v) {
		const char *mid = stj_str(v, "id");
		if (mid && strcmp(mid, id) == 0)
			return v;
	}
	json_object_foreach(json_object_get(res, "resources"), k, v) {
		json_t *m = find_method(v, id);
		if (m)
			return m;
	}
	return NULL;
}

static const char *doc_for(const char *id, int alt)
{
	static const struct { const char *prefix, *file, *alt; } map[] = {
		{ "compute.", "compute.v1.trimmed.json", "compute.v1.20230620.full.json" },
		{ "storage.", "storage.v1.json", NULL },
		{ "cloudkms.", "cloudkms.v1.json", NULL },
		{ "iam.", "iam.v1.json", NULL },
		{ "cloudresourcemanager.", "cloudresourcemanager.v1.json", NULL },
		{ "serviceusage.", "serviceusage.v1.json", NULL },
		{ "aiplatform.", "aiplatform.v1.json", NULL },
		{ "monitoring.", "monitoring.v3.json", NULL },
		{ "logging.", "logging.v2.json", NULL },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (st_starts_with(id, map[i].prefix))
			return alt ? map[i].alt : map[i].file;
	return NULL;
}

/* ------------------------------------------------------------------ checks */

/* A discovery path template as an anchored regex: {x} one segment, {+x} the rest. */
static bool path_matches(const char *tmpl, const char *path)
{
	st_buf re;
	st_buf_init(&re);
	st_buf_puts(&re, "^");
	for (const char *p = tmpl; *p; p++) {
		if (*p == '{') {
			const char *end = strchr(p, '}');
			st_buf_puts(&re, p[1] == '+' ? "[^?]+" : "[^/?]+");
			p = end;
		} else if (strchr(".^$*+?()[]\\|", *p)) {
			st_buf_printf(&re, "\\%c", *p);
		} else {
			st_buf_append(&re, p, 1);
		}
	}
	st_buf_puts(&re, "$");
	regex_t rx;
	assert_int_equal(regcomp(&rx, re.p, REG_EXTENDED | REG_NOSUB), 0);
	bool ok = regexec(&rx, path, 0, NULL, 0) == 0;
	regfree(&rx);
	st_buf_free(&re);
	return ok;
}

static const json_t *schema(const json_t *doc, const char *ref)
{
	return json_object_get(json_object_get(doc, "schemas"), ref);
}

/* Every key of obj must be a property of the schema, all the way down. */
static int check_fields(const json_t *doc, const json_t *sch, const json_t *obj, const char *where, char *bad, size_t badlen)
{
	const char *ref = stj_str(sch, "$ref");
	if (ref)
		sch = schema(doc, ref);
	if (!sch)
		return 0;
	if (json_is_array(obj)) {
		size_t i;
		json_t *v;
		json_array_foreach(obj, i, v)
			if (check_fields(doc, json_object_get(sch, "items"), v, where, bad, badlen) != 0)
				return -1;
		return 0;
	}
	if (!json_is_object(obj))
		return 0;
	const json_t *props = json_object_get(sch, "properties");
	const json_t *addl = json_object_get(sch, "additionalProperties");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)obj, k, v) {
		const json_t *ps = json_object_get(props, k);
		if (!ps && addl) {
			if (check_fields(doc, addl, v, where, bad, badlen) != 0)
				return -1;
			continue;
		}
		if (!ps) {
			snprintf(bad, badlen, "%s.%s", where, k);
			return -1;
		}
		char *w = st_xasprintf("%s.%s", where, k);
		int rc = check_fields(doc, ps, v, w, bad, badlen);
		free(w);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static char *url_path(const char *url, char **query)
{
	const char *p = strstr(url, "://");
	p = strchr(p + 3, '/');
	const char *q = strchr(p, '?');
	*query = q ? st_xstrdup(q + 1) : st_xstrdup("");
	return q ? st_xstrndup(p, (size_t)(q - p)) : st_xstrdup(p);
}

static bool param_known(const json_t *doc, const json_t *m, const char *name)
{
	const json_t *p = json_object_get(json_object_get(m, "parameters"), name);
	if (p)
		return strcmp(stj_str(p, "location") ? stj_str(p, "location") : "", "query") == 0;
	return json_object_get(json_object_get(doc, "parameters"), name) != NULL;
}

/* Returns NULL when rq conforms, else a description of the first problem. */
static char *conforms(const gcp_rq *rq)
{
	const char *file = doc_for(rq->id, 0);
	if (!file)
		return st_xasprintf("%s: no discovery document for this API", rq->id);
	json_t *doc = load_doc(file);
	json_t *m = find_method(doc, rq->id);
	if (!m && doc_for(rq->id, 1)) {
		json_decref(doc);
		doc = load_doc(doc_for(rq->id, 1));
		m = find_method(doc, rq->id);
	}
	char *problem = NULL, *query = NULL, *path = url_path(rq->url, &query);
	if (!m) {
		problem = st_xasprintf("%s: method not in %s", rq->id, file);
		goto out;
	}
	if (strcmp(stj_str(m, "httpMethod"), rq->method) != 0) {
		problem = st_xasprintf("%s: sent %s, discovery says %s", rq->id, rq->method, stj_str(m, "httpMethod"));
		goto out;
	}
	const char *sp = stj_str(doc, "servicePath") ? stj_str(doc, "servicePath") : "";
	char *t1 = st_xasprintf("/%s%s", sp, stj_str(m, "flatPath") ? stj_str(m, "flatPath") : stj_str(m, "path"));
	char *t2 = st_xasprintf("/%s%s", sp, stj_str(m, "path"));
	bool ok = path_matches(t1, path) || path_matches(t2, path);
	if (rq->upload) {
		const json_t *protos = stj_get(m, "mediaUpload.protocols");
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)protos, k, v)
			ok = ok || path_matches(stj_str(v, "path"), path);
	}
	if (!ok)
		problem = st_xasprintf("%s: path %s matches neither %s nor %s", rq->id, path, t1, t2);
	free(t1);
	free(t2);
	if (problem)
		goto out;
	for (char *save = NULL, *kv = strtok_r(query, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq = '\0';
		if (!param_known(doc, m, kv)) {
			problem = st_xasprintf("%s: query parameter '%s' unknown", rq->id, kv);
			goto out;
		}
	}
	if (rq->body) {
		char bad[300];
		const json_t *req = json_object_get(m, "request");
		if (!req) {
			problem = st_xasprintf("%s: sends a body but the method takes none", rq->id);
			goto out;
		}
		if (check_fields(doc, req, rq->body, stj_str(req, "$ref"), bad, sizeof bad) != 0)
			problem = st_xasprintf("%s: body field %s not in the schema", rq->id, bad);
	}
out:
	free(path);
	free(query);
	json_decref(doc);
	return problem;
}

/* ------------------------------------------------------------------ every request */

static size_t collect(const gcp_endpoints *ep, gcp_rq **out)
{
	size_t n = 0;
	const char *ids[] = { "compute.googleapis.com", "cloudkms.googleapis.com" };
	json_t *labels = json_pack("{s:s}", "app", "sealtrain");
	json_t *policy = json_pack("{s:i,s:s,s:[{s:s,s:[s]}],s:[{s:s,s:[{s:s}]}]}", "version", 3, "etag", "BwX=",
				   "bindings", "role", "roles/viewer", "members", "user:a@b.c",
				   "auditConfigs", "service", "allServices", "auditLogConfigs", "logType", "DATA_READ");
	json_t *items = json_pack("[{s:s,s:s}]", "key", "startup-script", "value", "echo hi");
	const char *key = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k";
	const char *job = "projects/p/locations/us-central1/customJobs/123";
	gcp_bucket_spec bs = { .name = "b", .location = "US-CENTRAL1", .kms_key = key, .versioning = true,
			       .nearline_days = 30, .coldline_days = 90, .labels = labels };
	gcp_template_spec ts = { .name = "t", .machine_type = "a3-highgpu-1g", .accel_type = "nvidia-h100-80gb",
				 .accel_count = 1, .confidential_type = "TDX", .provisioning = "FLEX_START",
				 .max_run_duration_s = 86400, .termination_action = "DELETE", .image = "projects/x/global/images/y",
				 .disk_gb = 200, .disk_type = "pd-balanced", .service_account = "sa@p.iam.gserviceaccount.com",
				 .startup_script = "#!/bin/sh\n", .labels = labels };
	gcp_template_spec ts2 = ts;
	ts2.provisioning = "STANDARD";
	ts2.reservation = "res";
	ts2.max_run_duration_s = 0;
	const char *cmd[] = { "sh", "-c", "run", NULL };
	const char *env[] = { "A=1", NULL };
	gcp_job_spec js = { .display_name = "j", .machine_type = "a3-highgpu-1g", .accel_type = "NVIDIA_H100_80GB",
			    .accel_count = 1, .image_uri = "img", .command = cmd, .args = cmd, .env = env,
			    .service_account = "sa@p", .output_uri = "gs://b/out", .strategy = "FLEX_START",
			    .max_wait_s = 3600, .timeout_s = 7200, .kms_key = key, .labels = labels };
	gcp_alert_spec as = { .display_name = "a", .condition_name = "c", .metric_filter = "metric.type=\"x\"",
			      .severity = "CRITICAL", .labels = labels };
	gcp_alert_spec as2 = { .display_name = "a", .log_filter = "logName=\"x\"" };

	out[n++] = gcp_su_batch_enable(ep, "p", ids, 2);
	out[n++] = gcp_su_service_get(ep, "p", "compute.googleapis.com");
	out[n++] = gcp_su_operation_get(ep, "operations/abc");
	out[n++] = gcp_kms_keyring_create(ep, "p", "us-central1", "r");
	out[n++] = gcp_kms_keyring_get(ep, "p", "us-central1", "r");
	out[n++] = gcp_kms_key_create(ep, "p", "us-central1", "r", "k", 2592000, 1800000000000LL, labels);
	out[n++] = gcp_kms_key_get(ep, "p", "us-central1", "r", "k");
	out[n++] = gcp_kms_get_iam_policy(ep, key);
	out[n++] = gcp_kms_set_iam_policy(ep, key, policy);
	out[n++] = gcp_kms_versions_list(ep, key, "tok");
	out[n++] = gcp_kms_version_destroy(ep, "projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1");
	out[n++] = gcp_iam_sa_create(ep, "p", "runner", "Runner");
	out[n++] = gcp_iam_sa_get(ep, "p", "runner@p.iam.gserviceaccount.com");
	out[n++] = gcp_iam_sa_delete(ep, "p", "runner@p.iam.gserviceaccount.com");
	out[n++] = gcp_iam_sa_key_create(ep, "p", "runner@p.iam.gserviceaccount.com");
	out[n++] = gcp_crm_project_get(ep, "p");
	out[n++] = gcp_crm_get_iam_policy(ep, "p");
	out[n++] = gcp_crm_set_iam_policy(ep, "p", policy, "bindings,etag,auditConfigs");
	out[n++] = gcp_gcs_bucket_insert(ep, "p", &bs);
	out[n++] = gcp_gcs_bucket_get(ep, "b");
	out[n++] = gcp_gcs_bucket_delete(ep, "b");
	out[n++] = gcp_gcs_objects_list(ep, "b", "trainer/", true, "tok");
	out[n++] = gcp_gcs_object_get(ep, "b", "dir/obj name.csv");
	out[n++] = gcp_gcs_object_delete(ep, "b", "dir/obj", 12345);
	out[n++] = gcp_gcs_object_download(ep, "b", "dir/obj");
	out[n++] = gcp_gcs_service_account(ep, "p");
	out[n++] = gcp_gcs_bucket_get_iam_policy(ep, "b");
	json_t *bpol = json_pack("{s:[{s:s,s:[s]}],s:s}", "bindings", "role", "roles/storage.objectCreator", "members",
				 "serviceAccount:w@x", "etag", "CAE=");
	out[n++] = gcp_gcs_bucket_set_iam_policy(ep, "b", bpol);
	json_decref(bpol);
	out[n++] = gcp_ce_shielded_identity(ep, "p", "z", "vm");
	out[n++] = gcp_gcs_upload_media(ep, "b", "o", "abc", 3, "text/csv", key);
	out[n++] = gcp_gcs_upload_multipart(ep, "b", "o", "abc", 3, "text/csv", key);
	out[n++] = gcp_gcs_upload_resumable_start(ep, "b", "o", 3, "text/csv", key, 123);
	out[n++] = gcp_ce_reservation_insert(ep, "p", "z", "res", "a3-highgpu-1g", "nvidia-h100-80gb", 1, 1);
	out[n++] = gcp_ce_reservation_get(ep, "p", "z", "res");
	out[n++] = gcp_ce_reservation_delete(ep, "p", "z", "res");
	out[n++] = gcp_ce_template_insert(ep, "p", &ts);
	out[n++] = gcp_ce_template_insert(ep, "p", &ts2);
	out[n++] = gcp_ce_template_get(ep, "p", "t");
	out[n++] = gcp_ce_template_delete(ep, "p", "t");
	out[n++] = gcp_ce_instance_insert(ep, "p", "z", "vm", "t");
	out[n++] = gcp_ce_instance_get(ep, "p", "z", "vm");
	out[n++] = gcp_ce_instance_delete(ep, "p", "z", "vm");
	out[n++] = gcp_ce_instance_reset(ep, "p", "z", "vm");
	out[n++] = gcp_ce_instances_list(ep, "p", "z", "name=vm", "tok");
	out[n++] = gcp_ce_instance_set_metadata(ep, "p", "z", "vm", "fp==", items);
	out[n++] = gcp_ce_serial_port(ep, "p", "z", "vm", 1, 100);
	out[n++] = gcp_ce_operation_wait(ep, "p", "z", "op-1");
	out[n++] = gcp_ce_operation_wait(ep, "p", NULL, "op-1");
	out[n++] = gcp_ce_operation_get(ep, "p", "z", "op-1");
	out[n++] = gcp_ce_operation_get(ep, "p", NULL, "op-1");
	out[n++] = gcp_ai_job_create(ep, "p", "us-central1", &js);
	out[n++] = gcp_ai_job_get(ep, job);
	out[n++] = gcp_ai_job_cancel(ep, job);
	out[n++] = gcp_ai_job_delete(ep, job);
	out[n++] = gcp_ai_jobs_list(ep, "p", "us-central1", "displayName=\"j\"", "tok");
	out[n++] = gcp_ai_operation_get(ep, "projects/p/locations/us-central1/operations/9");
	out[n++] = gcp_mon_alert_create(ep, "p", &as);
	out[n++] = gcp_mon_alert_create(ep, "p", &as2);
	out[n++] = gcp_mon_alerts_list(ep, "p", "display_name=\"a\"", "tok");
	out[n++] = gcp_mon_alert_get(ep, "projects/p/alertPolicies/1");
	out[n++] = gcp_mon_alert_delete(ep, "projects/p/alertPolicies/1");
	out[n++] = gcp_mon_metric_descriptors_list(ep, "p", "metric.type=starts_with(\"x\")", "tok");
	out[n++] = gcp_mon_time_series_list(ep, "p", "metric.type=\"x\"", 0, 1000, "tok");
	out[n++] = gcp_log_entries_list(ep, "projects/p", "logName=x", "timestamp desc", 100, "tok");
	out[n++] = gcp_log_sink_create(ep, "p", "s", "storage.googleapis.com/b", "logName:x", true);
	out[n++] = gcp_log_sink_get(ep, "p", "s");
	out[n++] = gcp_log_sink_delete(ep, "p", "s");
	json_decref(labels);
	json_decref(policy);
	json_decref(items);
	return n;
}

static void test_every_builder_conforms(void **state)
{
	(void)state;
	gcp_endpoints ep;
	gcp_endpoints_init(&ep);
	gcp_rq *rqs[128];
	size_t n = collect(&ep, rqs);
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rqs[i]) {
			fprintf(stderr, "builder %zu refused its sample arguments\n", i);
			bad++;
			continue;
		}
		char *why = conforms(rqs[i]);
		if (why) {
			fprintf(stderr, "NONCONFORMING %s\n", why);
			bad++;
			free(why);
		}
		gcp_rq_free(rqs[i]);
	}
	gcp_endpoints_free(&ep);
	printf("# %zu requests checked against discovery documents\n", n);
	assert_int_equal(bad, 0);
}

/* The checker itself must catch mistakes, or the test above proves nothing. */
static void test_checker_catches_mistakes(void **state)
{
	(void)state;
	gcp_endpoints ep;
	gcp_endpoints_init(&ep);
	gcp_rq *rq = gcp_kms_keyring_get(&ep, "p", "l", "r");
	free(rq->method);
	rq->method = st_xstrdup("POST");
	char *why = conforms(rq);
	assert_non_null(why);
	free(why);
	gcp_rq_free(rq);

	rq = gcp_kms_key_create(&ep, "p", "l", "r", "k", 86400, 0, NULL);
	json_object_set_new(json_object_get(rq->body, "versionTemplate"), "algorithmm", json_string("x"));
	why = conforms(rq);
	assert_non_null(why);
	assert_non_null(strstr(why, "algorithmm"));
	free(why);
	gcp_rq_free(rq);

	rq = gcp_ce_instance_get(&ep, "p", "z", "vm");
	gcp_rq_query(rq, "requestIdd", "x");
	why = conforms(rq);
	assert_non_null(why);
	free(why);
	gcp_rq_free(rq);

	rq = gcp_gcs_bucket_get(&ep, "b");
	char *u = st_xasprintf("%s/extra", rq->url);
	free(rq->url);
	rq->url = u;
	why = conforms(rq);
	assert_non_null(why);
	free(why);
	gcp_rq_free(rq);
	gcp_endpoints_free(&ep);
}

/* No discovery document: shapes from API-NOTES §10 (the service proto). */
static void test_confidential_computing_shapes(void **state)
{
	(void)state;
	gcp_endpoints ep;
	gcp_endpoints_init(&ep);
	gcp_rq *rq = gcp_cc_challenge_create(&ep, "p", "us-central1");
	char *q, *path = url_path(rq->url, &q);
	assert_string_equal(rq->method, "POST");
	assert_true(st_starts_with(rq->url, "https://confidentialcomputing.googleapis.com/"));
	assert_true(path_matches("/v1/projects/{p}/locations/{l}/challenges", path));
	assert_int_equal(json_object_size(rq->body), 0);
	free(path);
	free(q);
	gcp_rq_free(rq);

	json_t *tpm = json_pack("{s:[{s:i,s:{s:s},s:s,s:s}],s:s,s:s}", "quotes", "hashAlgo", 11, "pcrValues", "0", "AA==",
				"rawQuote", "AA==", "rawSignature", "AA==", "tcgEventLog", "AA==", "akCert", "AA==");
	const char *toks[] = { "idtok", NULL }, *nonces[] = { "nonce-12345678", NULL };
	gcp_attest_spec s = { .challenge = "projects/p/locations/us-central1/challenges/abc", .sa_id_tokens = toks,
			      .tpm_attestation = tpm, .audience = "sealtrain", .nonces = nonces };
	rq = gcp_cc_verify(&ep, &s);
	path = url_path(rq->url, &q);
	assert_true(path_matches("/v1/projects/{p}/locations/{l}/challenges/{c}:verifyAttestation", path));
	const char *allowed[] = { "challenge", "gcpCredentials", "tpmAttestation", "tdCcel", "sevSnpAttestation", "tokenOptions" };
	const char *k;
	json_t *v;
	json_object_foreach(rq->body, k, v) {
		bool ok = false;
		for (size_t i = 0; i < 6; i++)
			ok = ok || strcmp(k, allowed[i]) == 0;
		if (!ok)
			fail_msg("verifyAttestation body field %s not in API-NOTES §10", k);
	}
	json_object_foreach(json_object_get(rq->body, "tokenOptions"), k, v)
		if (strcmp(k, "audience") && strcmp(k, "nonce") && strcmp(k, "tokenType"))
			fail_msg("tokenOptions.%s not in API-NOTES §10", k);
	assert_non_null(stj_get(rq->body, "gcpCredentials.serviceAccountIdTokens.0"));
	assert_string_equal(stj_str(rq->body, "tokenOptions.tokenType"), "TOKEN_TYPE_OIDC");
	free(path);
	free(q);
	gcp_rq_free(rq);
	s.tpm_attestation = NULL; /* required by the API: refused locally */
	assert_null(gcp_cc_verify(&ep, &s));
	json_decref(tpm);

	/* Metadata server paths (API-NOTES §1). */
	rq = gcp_md_token(&ep);
	assert_string_equal(rq->url, "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token");
	assert_true(rq->flags & GCP_METADATA);
	gcp_rq_free(rq);
	rq = gcp_md_project_id(&ep);
	assert_string_equal(rq->url, "http://metadata.google.internal/computeMetadata/v1/project/project-id");
	gcp_rq_free(rq);
	gcp_endpoints_free(&ep);
}

int main(void)
{
	disc_dir = getenv("ST_DISCOVERY_DIR");
	struct stat st;
	if (!disc_dir || stat(disc_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		/* Only a tree without the reference data (make distcheck) gets here. */
		printf("1..0 # SKIP discovery documents not found (ST_DISCOVERY_DIR)\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_builder_conforms),
		cmocka_unit_test(test_checker_catches_mistakes),
		cmocka_unit_test(test_confidential_computing_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
