/* The client against a real sealtrain-sandbox on loopback: the JWT flow through the
 * sandbox's /token with a minted key, each module's calls, LRO polling to the end,
 * retries under injected faults without duplicates, and `sealtrain api`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "gcp/aiplatform.h"
#include "gcp/auth.h"
#include "gcp/cc.h"
#include "gcp/compute.h"
#include "gcp/iam.h"
#include "gcp/kms.h"
#include "gcp/logging.h"
#include "gcp/lro.h"
#include "gcp/monitoring.h"
#include "gcp/serviceusage.h"
#include "gcp/storage.h"
#include "tests/support/stenable.h"
#include "tests/support/sthttp.h"
#include "tests/support/sttest.h"
#include "tests/unit/test_gcp_result.h"

#define PROJECT "sealtrain-it-1"
#define ZONE "us-central1-a"
#define LOC "us-central1"

typedef struct fx {
	st_sandbox sb;
	char *keydir;
	gcp_ctx *ctx;
	gcp_endpoints ep;
} fx;

/* A download's media is what the test checks: keep the raw body too. */
static void on_download(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	result *res = user;
	(void)ctx;
	result_take(res, r);
	res->body = st_xstrndup(r->body ? r->body : "", r->body_len);
}

static void res_free(result *r)
{
	json_decref(r->json);
	free(r->body);
	memset(r, 0, sizeof *r);
}

static void wait_for(fx *f, result *r)
{
	assert_int_equal(gcp_loop_run_until(f->ctx, &r->done, 60000), 0);
	assert_true(r->done);
}

/* Sends rq and waits; fails the test with the server's words when ok is expected. */
static void send_ok(fx *f, gcp_rq *rq, result *r)
{
	gcp_error e;
	memset(r, 0, sizeof *r);
	if (gcp_rq_send(f->ctx, rq, NULL, on_done, r, &e) != 0)
		fail_msg("not sent: %s", e.message);
	wait_for(f, r);
	if (!r->ok) {
		char line[1200];
		gcp_error_format(&r->err, line, sizeof line);
		fail_msg("%s [%s]", line, r->err.where);
	}
}

static void send_any(fx *f, gcp_rq *rq, result *r)
{
	memset(r, 0, sizeof *r);
	assert_int_equal(gcp_rq_send(f->ctx, rq, NULL, on_done, r, NULL), 0);
	wait_for(f, r);
}

static void wait_compute(fx *f, result *op)
{
	result w = {0};
	assert_int_equal(gcp_lro_compute(f->ctx, &f->ep, PROJECT, op->json, NULL, NULL, on_done, &w, NULL), 0);
	wait_for(f, &w);
	if (!w.ok)
		fail_msg("operation failed: %s", w.err.message);
	assert_string_equal(stj_str(w.json, "status"), "DONE");
	res_free(&w);
}

static gcp_ctx *client(fx *f, int max_attempts)
{
	gcp_auth_opts o = { .sandbox_url = f->sb.url, .project = PROJECT, .state_dir = f->keydir,
			    .no_adc_file = true, .no_metadata = true, .no_gcloud = true };
	char err[300];
	gcp_auth *a = gcp_auth_new(&o, err, sizeof err);
	if (!a)
		fail_msg("%s", err);
	gcp_opts opts;
	memset(&opts, 0, sizeof opts);
	opts.max_attempts = max_attempts;
	opts.backoff_base_ms = 20;
	opts.backoff_cap_ms = 200;
	return gcp_new(&opts, a);
}

/* Under injected faults the plain test helper's single attempts fail; the APIs are
 * turned on through the client under test instead, which retries. */
static int enable_with_client(fx *f)
{
	const char *ids[] = { "compute.googleapis.com", "cloudkms.googleapis.com", "iam.googleapis.com",
			      "storage.googleapis.com" };
	result r = {0}, w = {0};
	gcp_rq_send(f->ctx, gcp_su_batch_enable(&f->ep, PROJECT, ids, 4), NULL, on_done, &r, NULL);
	gcp_loop_run_until(f->ctx, &r.done, 60000);
	if (!r.ok) {
		fprintf(stderr, "batchEnable: %s\n", r.err.message);
		res_free(&r);
		return -1;
	}
	gcp_lro_google(f->ctx, &f->ep, GCP_API_SERVICEUSAGE, r.json, NULL, NULL, on_done, &w, NULL);
	gcp_loop_run_until(f->ctx, &w.done, 60000);
	int rc = w.ok ? 0 : -1;
	res_free(&r);
	res_free(&w);
	return rc;
}

static int start(void **state, const char *const *extra)
{
	fx *f = st_xcalloc(1, sizeof *f);
	if (st_sandbox_start(&f->sb, NULL, extra) != 0) {
		free(f);
		return -1;
	}
	if (extra) {
		f->keydir = st_test_tmpdir("gcp-it-keys");
		gcp_endpoints_init(&f->ep);
		gcp_endpoints_all(&f->ep, f->sb.url);
		f->ctx = client(f, 10);
		*state = f;
		return enable_with_client(f);
	}
	if (st_sandbox_enable_all(&f->sb, PROJECT) != 0) {
		st_sandbox_stop(&f->sb, SIGTERM, false);
		free(f);
		return -1;
	}
	f->keydir = st_test_tmpdir("gcp-it-keys");
	gcp_endpoints_init(&f->ep);
	gcp_endpoints_all(&f->ep, f->sb.url);
	f->ctx = client(f, 8);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return start(state, NULL);
}

static int setup_faults(void **state)
{
	static const char *const extra[] = { "--faults", "503:0.3,429:0.1", "--seed", "7", NULL };
	return start(state, extra);
}

static int setup_upload_faults(void **state)
{
	static const char *const extra[] = { "--faults", "503:0.3,reset:0.05", "--seed", "11", "--verbose", NULL };
	return start(state, extra);
}

/* No GPU anywhere: a Flex-start VM's request stays queued and its operation RUNNING. */
static int setup_no_gpus(void **state)
{
	static const char *const extra[] = { "--gpus-per-zone", "0", NULL };
	return start(state, extra);
}

static int teardown(void **state)
{
	fx *f = *state;
	gcp_free(f->ctx);
	gcp_endpoints_free(&f->ep);
	st_sandbox_stop(&f->sb, SIGTERM, false);
	st_test_rmtree(f->keydir);
	free(f->keydir);
	free(f);
	return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_jwt_flow_and_kms(void **state)
{
	fx *f = *state;
	result r;
	send_ok(f, gcp_kms_keyring_create(&f->ep, PROJECT, LOC, "ring-1"), &r);
	res_free(&r);
	/* The minted key went through the sandbox's /token: the caller is our account. */
	assert_string_equal(gcp_auth_kind(gcp_ctx_auth(f->ctx)), "service_account");
	assert_int_equal(gcp_auth_fetches(gcp_ctx_auth(f->ctx)), 1);
	send_any(f, gcp_kms_keyring_create(&f->ep, PROJECT, LOC, "ring-1"), &r);
	assert_int_equal(r.http, 409);
	assert_string_equal(r.err.status, "ALREADY_EXISTS");
	res_free(&r);
	send_ok(f, gcp_kms_key_create(&f->ep, PROJECT, LOC, "ring-1", "key-1", 2592000, st_wall_ms() + 86400000LL, NULL), &r);
	res_free(&r);
	send_ok(f, gcp_kms_key_get(&f->ep, PROJECT, LOC, "ring-1", "key-1"), &r);
	gcp_kms_key k;
	char err[200];
	assert_int_equal(gcp_kms_key_parse(r.json, &k, err, sizeof err), 0);
	assert_string_equal(k.primary_state, "ENABLED");
	assert_int_equal(k.rotation_s, 2592000);
	char *keyname = st_xstrdup(k.name);
	res_free(&r);
	send_ok(f, gcp_kms_get_iam_policy(&f->ep, keyname), &r);
	json_t *pol = json_incref(r.json);
	res_free(&r);
	gcp_policy_add_binding(pol, "roles/cloudkms.cryptoKeyEncrypterDecrypter", "serviceAccount:x@" PROJECT ".iam.gserviceaccount.com");
	send_ok(f, gcp_kms_set_iam_policy(&f->ep, keyname, pol), &r);
	assert_true(gcp_policy_has_binding(r.json, "roles/cloudkms.cryptoKeyEncrypterDecrypter",
					   "serviceAccount:x@" PROJECT ".iam.gserviceaccount.com"));
	res_free(&r);
	json_decref(pol);
	result all = {0};
	gcp_page_all(f->ctx, gcp_kms_versions_list(&f->ep, keyname, NULL), 0, NULL, on_done, &all, NULL);
	wait_for(f, &all);
	assert_true(all.ok);
	assert_int_equal(json_array_size(json_object_get(all.json, "cryptoKeyVersions")), 1);
	res_free(&all);
	free(keyname);
}

static void test_iam_and_project_policy(void **state)
{
	fx *f = *state;
	result r;
	send_ok(f, gcp_iam_sa_create(&f->ep, PROJECT, "runner-1", "runner"), &r);
	char *email = st_xstrdup(stj_str(r.json, "email"));
	res_free(&r);
	send_ok(f, gcp_iam_sa_get(&f->ep, PROJECT, email), &r);
	res_free(&r);
	send_ok(f, gcp_crm_get_iam_policy(&f->ep, PROJECT), &r);
	json_t *pol = json_incref(r.json);
	res_free(&r);
	char *member = st_xasprintf("serviceAccount:%s", email);
	gcp_policy_add_binding(pol, "roles/logging.logWriter", member);
	const char *types[] = { "ADMIN_READ", "DATA_READ", "DATA_WRITE" };
	gcp_policy_audit(pol, "allServices", types, 3);
	send_ok(f, gcp_crm_set_iam_policy(&f->ep, PROJECT, pol, "bindings,etag,auditConfigs"), &r);
	res_free(&r);
	/* The etag we used is stale now: a second write with it is refused. */
	send_any(f, gcp_crm_set_iam_policy(&f->ep, PROJECT, pol, NULL), &r);
	assert_int_equal(r.http, 409);
	assert_int_equal(r.attempts, 1);
	res_free(&r);
	send_ok(f, gcp_crm_get_iam_policy(&f->ep, PROJECT), &r);
	assert_true(gcp_policy_has_binding(r.json, "roles/logging.logWriter", member));
	assert_non_null(stj_get(r.json, "auditConfigs.0.auditLogConfigs"));
	res_free(&r);
	send_ok(f, gcp_iam_sa_delete(&f->ep, PROJECT, email), &r);
	res_free(&r);
	json_decref(pol);
	free(member);
	free(email);
}

static void test_storage(void **state)
{
	fx *f = *state;
	result r;
	send_ok(f, gcp_kms_keyring_create(&f->ep, PROJECT, LOC, "ring-s"), &r);
	res_free(&r);
	send_ok(f, gcp_kms_key_create(&f->ep, PROJECT, LOC, "ring-s", "key-s", 0, 0, NULL), &r);
	char *key = st_xstrdup(stj_str(r.json, "name"));
	res_free(&r);
	/* The Cloud Storage service agent must hold the key role before the bucket. */
	send_ok(f, gcp_gcs_service_account(&f->ep, PROJECT), &r);
	char *agent = st_xasprintf("serviceAccount:%s", stj_str(r.json, "email_address"));
	res_free(&r);
	send_ok(f, gcp_kms_get_iam_policy(&f->ep, key), &r);
	json_t *pol = json_incref(r.json);
	res_free(&r);
	gcp_policy_add_binding(pol, "roles/cloudkms.cryptoKeyEncrypterDecrypter", agent);
	send_ok(f, gcp_kms_set_iam_policy(&f->ep, key, pol), &r);
	res_free(&r);
	json_decref(pol);
	gcp_bucket_spec bs = { .name = "sealtrain-it-bucket", .location = "US-CENTRAL1", .kms_key = key,
			       .versioning = true, .nearline_days = 30, .coldline_days = 90 };
	send_ok(f, gcp_gcs_bucket_insert(&f->ep, PROJECT, &bs), &r);
	res_free(&r);
	send_ok(f, gcp_gcs_bucket_get(&f->ep, "sealtrain-it-bucket"), &r);
	assert_string_equal(stj_str(r.json, "encryption.defaultKmsKeyName"), key);
	assert_true(stj_bool(r.json, "versioning.enabled", false));
	res_free(&r);

	const char *modes[] = { "media", "multipart", "resumable" };
	size_t len = 600 * 1024;
	char *data = st_xmalloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)('a' + i % 26);
	for (int i = 0; i < 3; i++) {
		char obj[64];
		snprintf(obj, sizeof obj, "dir/data-%s.csv", modes[i]);
		gcp_upload_spec s = { .bucket = "sealtrain-it-bucket", .object = obj, .data = data, .len = len,
				      .ctype = "text/csv", .mode = modes[i], .chunk_size = 256 * 1024 };
		result u = {0};
		assert_int_equal(gcp_gcs_upload(f->ctx, &f->ep, &s, NULL, on_done, &u, NULL), 0);
		wait_for(f, &u);
		if (!u.ok)
			fail_msg("%s upload: %s", modes[i], u.err.message);
		gcp_gcs_object o;
		char err[200];
		assert_int_equal(gcp_gcs_object_parse(u.json, &o, err, sizeof err), 0);
		assert_int_equal(o.size, (int64_t)len);
		assert_true(st_starts_with(o.kms_key, key)); /* stored under our key */
		res_free(&u);
	}
	/* A second version of one object, then a versioned listing. */
	gcp_upload_spec s2 = { .bucket = "sealtrain-it-bucket", .object = "dir/data-media.csv", .data = "v2", .len = 2 };
	result u = {0};
	gcp_gcs_upload(f->ctx, &f->ep, &s2, NULL, on_done, &u, NULL);
	wait_for(f, &u);
	assert_true(u.ok);
	res_free(&u);
	result all = {0};
	gcp_page_all(f->ctx, gcp_gcs_objects_list(&f->ep, "sealtrain-it-bucket", "dir/", true, NULL), 0, NULL, on_done, &all, NULL);
	wait_for(f, &all);
	assert_true(all.ok);
	assert_int_equal(json_array_size(json_object_get(all.json, "items")), 4);
	res_free(&all);
	memset(&r, 0, sizeof r);
	assert_int_equal(gcp_gcs_download(f->ctx, &f->ep, "sealtrain-it-bucket", "dir/data-resumable.csv", NULL, on_download, &r, NULL), 0);
	wait_for(f, &r);
	if (!r.ok)
		fail_msg("download: %s", r.err.message);
	assert_int_equal(strlen(r.body), len);
	assert_memory_equal(r.body, data, len);
	res_free(&r);
	/* Non-empty bucket: 409, not retried. */
	send_any(f, gcp_gcs_bucket_delete(&f->ep, "sealtrain-it-bucket"), &r);
	assert_int_equal(r.http, 409);
	res_free(&r);
	free(data);
	free(agent);
	free(key);
}

static void test_compute_and_lro(void **state)
{
	fx *f = *state;
	result r;
	send_ok(f, gcp_ce_reservation_insert(&f->ep, PROJECT, ZONE, "res-1", "a3-highgpu-1g", "nvidia-h100-80gb", 1, 1), &r);
	wait_compute(f, &r);
	res_free(&r);
	gcp_template_spec ts = { .name = "tmpl-1", .machine_type = "a3-highgpu-1g", .accel_type = "nvidia-h100-80gb",
				 .accel_count = 1, .confidential_type = "TDX", .provisioning = "STANDARD",
				 .reservation = "res-1", .image = "projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64",
				 .disk_gb = 200 };
	send_ok(f, gcp_ce_template_insert(&f->ep, PROJECT, &ts), &r);
	wait_compute(f, &r);
	res_free(&r);
	send_ok(f, gcp_ce_instance_insert(&f->ep, PROJECT, ZONE, "vm-1", "tmpl-1"), &r);
	wait_compute(f, &r);
	res_free(&r);
	gcp_ce_instance in;
	char err[200];
	for (int i = 0; i < 100; i++) {
		send_ok(f, gcp_ce_instance_get(&f->ep, PROJECT, ZONE, "vm-1"), &r);
		assert_int_equal(gcp_ce_instance_parse(r.json, &in, err, sizeof err), 0);
		res_free(&r);
		if (!strcmp(in.status, "RUNNING"))
			break;
		gcp_loop_run_until(f->ctx, NULL, 200);
		usleep(200000);
	}
	assert_string_equal(in.status, "RUNNING");
	assert_string_equal(in.confidential_type, "TDX");
	assert_string_equal(in.accelerator, "nvidia-h100-80gb");
	send_ok(f, gcp_ce_reservation_get(&f->ep, PROJECT, ZONE, "res-1"), &r);
	gcp_ce_reservation rv;
	assert_int_equal(gcp_ce_reservation_parse(r.json, &rv, err, sizeof err), 0);
	assert_int_equal(rv.in_use, 1);
	res_free(&r);
	send_ok(f, gcp_ce_shielded_identity(&f->ep, PROJECT, ZONE, "vm-1"), &r);
	assert_non_null(stj_str(r.json, "signingKey.ekPub"));
	res_free(&r);
	send_ok(f, gcp_ce_serial_port(&f->ep, PROJECT, ZONE, "vm-1", 1, 0), &r);
	gcp_ce_serial s;
	assert_int_equal(gcp_ce_serial_parse(r.json, &s, err, sizeof err), 0);
	res_free(&r);
	json_t *items = json_pack("[{s:s,s:s}]", "key", "sealtrain", "value", "1");
	send_ok(f, gcp_ce_instance_set_metadata(&f->ep, PROJECT, ZONE, "vm-1", in.fingerprint, items), &r);
	wait_compute(f, &r);
	res_free(&r);
	/* The fingerprint is stale now: 412, never retried. */
	send_any(f, gcp_ce_instance_set_metadata(&f->ep, PROJECT, ZONE, "vm-1", in.fingerprint, items), &r);
	assert_int_equal(r.http, 412);
	assert_int_equal(r.attempts, 1);
	res_free(&r);
	json_decref(items);
	send_ok(f, gcp_ce_instance_delete(&f->ep, PROJECT, ZONE, "vm-1"), &r);
	wait_compute(f, &r);
	res_free(&r);
}

static void test_other_apis(void **state)
{
	fx *f = *state;
	result r;
	send_ok(f, gcp_su_service_get(&f->ep, PROJECT, "compute.googleapis.com"), &r);
	assert_string_equal(gcp_su_state(r.json), "ENABLED");
	res_free(&r);
	const char *cmd[] = { "/bin/sh", "-c", "echo trained", NULL };
	gcp_job_spec js = { .display_name = "it-job", .machine_type = "n1-standard-4", .image_uri = "local",
			    .command = cmd };
	send_ok(f, gcp_ai_job_create(&f->ep, PROJECT, LOC, &js), &r);
	gcp_ai_job job;
	char err[200];
	assert_int_equal(gcp_ai_job_parse(r.json, &job, err, sizeof err), 0);
	res_free(&r);
	send_ok(f, gcp_ai_job_get(&f->ep, job.name), &r);
	res_free(&r);
	result all = {0};
	gcp_page_all(f->ctx, gcp_ai_jobs_list(&f->ep, PROJECT, LOC, NULL, NULL), 0, NULL, on_done, &all, NULL);
	wait_for(f, &all);
	assert_true(all.ok);
	assert_int_equal(json_array_size(json_object_get(all.json, "customJobs")), 1);
	res_free(&all);

	gcp_alert_spec as = { .display_name = "it-alert", .log_filter = "logName:\"shielded_vm_integrity\"" };
	send_ok(f, gcp_mon_alert_create(&f->ep, PROJECT, &as), &r);
	char *alert = st_xstrdup(stj_str(r.json, "name"));
	res_free(&r);
	send_ok(f, gcp_mon_alert_get(&f->ep, alert), &r);
	assert_true(stj_bool(r.json, "enabled", false));
	res_free(&r);
	send_ok(f, gcp_mon_metric_descriptors_list(&f->ep, PROJECT,
						   "metric.type = starts_with(\"compute.googleapis.com/instance/integrity\")", NULL), &r);
	res_free(&r);
	send_ok(f, gcp_mon_alert_delete(&f->ep, alert), &r);
	res_free(&r);
	free(alert);

	send_ok(f, gcp_log_sink_create(&f->ep, PROJECT, "it-sink", "storage.googleapis.com/some-bucket",
				       "logName:\"cloudaudit.googleapis.com\"", true), &r);
	assert_non_null(stj_str(r.json, "writerIdentity"));
	res_free(&r);
	send_ok(f, gcp_log_sink_get(&f->ep, PROJECT, "it-sink"), &r);
	res_free(&r);
	all = (result){0};
	gcp_page_all(f->ctx, gcp_log_entries_list(&f->ep, "projects/" PROJECT, NULL, "timestamp desc", 5, NULL), 3,
		     NULL, on_done, &all, NULL);
	wait_for(f, &all);
	/* Audit entries exist for what we did; three pages of five at most were read. */
	assert_true(all.ok || strstr(all.err.message, "more than 3 pages"));
	res_free(&all);
	send_ok(f, gcp_log_sink_delete(&f->ep, PROJECT, "it-sink"), &r);
	res_free(&r);

	send_ok(f, gcp_cc_challenge_create(&f->ep, PROJECT, LOC), &r);
	assert_true(st_starts_with(stj_str(r.json, "name"), "projects/"));
	res_free(&r);
}

/* Under injected 503/429 faults: every insert eventually succeeds exactly once. */
static void test_retries_under_faults(void **state)
{
	fx *f = *state;
	const int n = 12;
	int sent = 0;
	for (int i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof name, "res-f%d", i);
		result r;
		send_ok(f, gcp_ce_reservation_insert(&f->ep, PROJECT, ZONE, name, "n2-standard-2", NULL, 0, 1), &r);
		sent += r.attempts;
		wait_compute(f, &r);
		res_free(&r);
		snprintf(name, sizeof name, "ring-f%d", i);
		send_ok(f, gcp_kms_keyring_create(&f->ep, PROJECT, LOC, name), &r);
		sent += r.attempts;
		res_free(&r);
	}
	/* With 40 % of answers faulted, 24 calls cannot all have gone through first time. */
	assert_true(sent > 2 * n);
	printf("# %d calls took %d attempts under faults\n", 2 * n, sent);
	/* A retry after a lost answer sends the very same request again: with the same
	 * requestId the sandbox hands back the first operation instead of a 409. */
	gcp_rq *rq = gcp_ce_reservation_insert(&f->ep, PROJECT, ZONE, "res-replay", "n2-standard-2", NULL, 0, 1);
	char *url = st_xstrdup(rq->url), *body = stj_dump(rq->body);
	gcp_rq_free(rq);
	char *opname[2] = { NULL, NULL };
	for (int i = 0; i < 2; i++) {
		gcp_req q;
		memset(&q, 0, sizeof q);
		q.method = "POST";
		q.url = url;
		q.body = body;
		result r = {0};
		assert_int_equal(gcp_send(f->ctx, &q, on_done, &r, NULL), 0);
		wait_for(f, &r);
		if (!r.ok)
			fail_msg("replay %d: %s", i, r.err.message);
		opname[i] = st_xstrdup(stj_str(r.json, "name"));
		res_free(&r);
	}
	assert_string_equal(opname[0], opname[1]);
	free(opname[0]);
	free(opname[1]);
	free(url);
	free(body);
	/* Direct look at the sandbox, independent of the client under test. */
	st_http_resp h;
	assert_int_equal(st_http_json(&f->sb, "GET", "/compute/v1/projects/" PROJECT "/zones/" ZONE "/reservations?maxResults=500", NULL, &h), 0);
	int tries = 0;
	while (h.status != 200 && tries++ < 20) {
		st_http_free(&h);
		st_http_json(&f->sb, "GET", "/compute/v1/projects/" PROJECT "/zones/" ZONE "/reservations?maxResults=500", NULL, &h);
	}
	assert_int_equal(h.status, 200);
	assert_int_equal(json_array_size(json_object_get(h.json, "items")), n + 1);
	st_http_free(&h);
	/* The faults really happened: the sandbox logged them. */
	char *cmd = st_xasprintf("grep -ci 'fault' %s >/dev/null", f->sb.log);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* `sealtrain api`: a path through the same client, errors on stderr, exit codes. */
static int run_cli(fx *f, const char *args, char **out)
{
	const char *console = getenv("ST_CONSOLE");
	char *outf = st_xasprintf("%s/cli.out", f->keydir);
	char *cmd = st_xasprintf("XDG_STATE_HOME=%s XDG_CONFIG_HOME=%s/nocfg SEALTRAIN_CONFIG= %s --sandbox-url %s --project %s api %s >%s 2>&1",
				 f->keydir, f->keydir, console ? console : "./sealtrain", f->sb.url, PROJECT, args, outf);
	int st = system(cmd);
	char err[200];
	size_t len;
	*out = st_read_file(outf, 1 << 20, &len, err, sizeof err);
	free(cmd);
	free(outf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_api(void **state)
{
	fx *f = *state;
	char *out;
	assert_int_equal(run_cli(f, "-X POST compute/v1/projects/" PROJECT "/zones/" ZONE "/reservations --wait --data "
				    "'{\"name\":\"cli-res\",\"specificReservation\":{\"count\":\"1\",\"instanceProperties\":{\"machineType\":\"a3-highgpu-1g\"}}}'",
				 &out), 0);
	assert_non_null(strstr(out, "\"status\": \"DONE\""));
	free(out);
	assert_int_equal(run_cli(f, "compute/v1/projects/" PROJECT "/zones/" ZONE "/reservations/cli-res", &out), 0);
	assert_non_null(strstr(out, "\"name\": \"cli-res\""));
	free(out);
	assert_int_equal(run_cli(f, "compute/v1/projects/" PROJECT "/zones/" ZONE "/reservations/missing", &out), 1);
	assert_non_null(strstr(out, "HTTP 404 NOT_FOUND"));
	assert_non_null(strstr(out, "\"error\""));
	free(out);
	assert_int_equal(run_cli(f, "v1/projects/" PROJECT "/services --paginate", &out), 0);
	assert_non_null(strstr(out, "compute.googleapis.com"));
	assert_null(strstr(out, "nextPageToken"));
	free(out);
	assert_int_equal(run_cli(f, "--data '{broken' v1/projects/" PROJECT "/serviceAccounts", &out), 2);
	assert_non_null(strstr(out, "not JSON"));
	free(out);
	assert_int_equal(run_cli(f, "v9/unknown/path", &out), 2);
	free(out);
	assert_int_equal(run_cli(f, "http://192.0.2.1/v1/x", &out), 2);
	assert_non_null(strstr(out, "plain http"));
	free(out);
	/* No token or key material on the screen, whatever happened above. */
	assert_int_equal(run_cli(f, "v1/projects/" PROJECT "/serviceAccounts", &out), 0);
	assert_null(strstr(out, "ya29."));
	assert_null(strstr(out, "PRIVATE KEY"));
	free(out);
}

/* Every token the sandbox issued is revoked (the sandbox restarts, same port and
 * state, with --strict-auth and its token table emptied): the next call gets a 401,
 * the client refreshes once through the JWT flow and replays, and the call succeeds. */
static void test_401_refresh_on_real_sandbox(void **state)
{
	fx *f = *state;
	result r;
	send_ok(f, gcp_kms_keyring_create(&f->ep, PROJECT, LOC, "ring-401a"), &r);
	res_free(&r);
	assert_int_equal(gcp_auth_fetches(gcp_ctx_auth(f->ctx)), 1);
	char *stdir = st_xstrdup(f->sb.state);
	int port = f->sb.port;
	st_sandbox_stop(&f->sb, SIGTERM, true);
	unlink(f->sb.log);
	free(f->sb.log);
	free(f->sb.state);
	char *db = st_xasprintf("%s/sandbox.db", stdir);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "DELETE FROM docs WHERE kind='token'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	char listen[64];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	const char *extra[] = { "--listen", listen, "--strict-auth", NULL };
	assert_int_equal(st_sandbox_start(&f->sb, stdir, extra), 0);
	f->sb.own_state = true;
	send_ok(f, gcp_kms_keyring_create(&f->ep, PROJECT, LOC, "ring-401b"), &r);
	res_free(&r);
	assert_int_equal(gcp_auth_fetches(gcp_ctx_auth(f->ctx)), 2);
	free(db);
	free(stdir);
}

/* A multi-chunk file under injected 503s and connection resets: the upload resumes
 * from what the session holds, and the stored object is byte-for-byte the file (its
 * crc32c and md5 as the server computed them) in exactly one generation. */
static void test_resumable_upload_under_faults(void **state)
{
	fx *f = *state;
	size_t len = 2621440 + 12345; /* ten full chunks and a short one */
	unsigned char *data = st_xmalloc(len);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (unsigned char)x;
	}
	char *path = st_xasprintf("%s/train.bin", f->keydir);
	char err[300];
	assert_int_equal(st_atomic_write(path, data, len, 0600, err, sizeof err), 0);
	char crc[9];
	st_crc32c_b64(st_crc32c(0, data, len), crc);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	assert_int_equal(EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL), 1);
	char *md5 = st_base64_encode(md, mdlen);

	result r;
	gcp_bucket_spec bs = { .name = "sealtrain-it-faults", .location = "US-CENTRAL1", .versioning = true };
	send_ok(f, gcp_gcs_bucket_insert(&f->ep, PROJECT, &bs), &r);
	res_free(&r);
	gcp_upload_spec s = { .bucket = "sealtrain-it-faults", .object = "data/train.bin", .path = path,
			      .ctype = "application/octet-stream", .mode = "resumable", .chunk_size = 256 * 1024 };
	result u = {0};
	assert_int_equal(gcp_gcs_upload(f->ctx, &f->ep, &s, NULL, on_done, &u, NULL), 0);
	assert_int_equal(gcp_loop_run_until(f->ctx, &u.done, 300000), 0);
	if (!u.ok)
		fail_msg("upload under faults: %s", u.err.message);
	res_free(&u);

	send_ok(f, gcp_gcs_object_get(&f->ep, "sealtrain-it-faults", "data/train.bin"), &r);
	assert_string_equal(stj_str(r.json, "crc32c"), crc);
	assert_string_equal(stj_str(r.json, "md5Hash"), md5);
	assert_string_equal(stj_str(r.json, "size"), "2633785");
	res_free(&r);
	result all = {0};
	gcp_page_all(f->ctx, gcp_gcs_objects_list(&f->ep, "sealtrain-it-faults", "data/", true, NULL), 0, NULL,
		     on_done, &all, NULL);
	wait_for(f, &all);
	assert_true(all.ok);
	assert_int_equal(json_array_size(json_object_get(all.json, "items")), 1);
	res_free(&all);
	/* Faults hit the chunks, and the session was asked what it held: eleven chunks
	 * alone would draw ten 308 answers, every status query one more. */
	char *cmd = st_xasprintf("grep -c 'PUT /upload/storage/v1/b/sealtrain-it-faults/o -> 308' %s", f->sb.log);
	FILE *p = popen(cmd, "r");
	int n308 = 0;
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n308), 1);
	pclose(p);
	free(cmd);
	printf("# resumable upload under faults: %d answers 308 for 11 chunks\n", n308);
	assert_true(n308 > 10);
	cmd = st_xasprintf("test $(grep -c 'fault injected' %s) -gt 5", f->sb.log);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(md5);
	free(path);
	free(data);
}

/* A Flex-start VM with no GPU to be had: the insert's operation stays RUNNING. The
 * library's wait ends at its deadline with the operation handed back, and so does
 * `sealtrain api --wait --timeout`, which prints how to take the wait up again. */
static void test_lro_deadline_flex_start(void **state)
{
	fx *f = *state;
	result r;
	gcp_template_spec ts = { .name = "flex-1", .machine_type = "a3-highgpu-1g", .accel_type = "nvidia-h100-80gb",
				 .accel_count = 1, .provisioning = "FLEX_START", .max_run_duration_s = 3600,
				 .termination_action = "DELETE",
				 .image = "projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64",
				 .disk_gb = 200 };
	send_ok(f, gcp_ce_template_insert(&f->ep, PROJECT, &ts), &r);
	wait_compute(f, &r);
	res_free(&r);
	send_ok(f, gcp_ce_instance_insert(&f->ep, PROJECT, ZONE, "flex-vm", "flex-1"), &r);
	char *opname = st_xstrdup(stj_str(r.json, "name"));
	result w = {0};
	int64_t t0 = st_mono_ms();
	assert_int_equal(gcp_lro_compute_for(f->ctx, &f->ep, PROJECT, r.json, 2000, NULL, NULL, on_done, &w, NULL), 0);
	wait_for(f, &w);
	int64_t took = st_mono_ms() - t0;
	assert_false(w.ok);
	assert_int_equal(w.err.code, 4);
	char *want = st_xasprintf("operation %s still RUNNING after 2 s", opname);
	assert_string_equal(w.err.message, want);
	free(want);
	assert_string_equal(stj_str(w.json, "name"), opname);
	assert_true(took >= 2000 && took < 6000);
	res_free(&w);
	res_free(&r);

	char *out, *args = st_xasprintf("--wait --timeout 2 compute/v1/projects/%s/zones/%s/operations/%s", PROJECT,
					ZONE, opname);
	assert_int_equal(run_cli(f, args, &out), 1);
	want = st_xasprintf("sealtrain api: operation %s still RUNNING after 2 s\n", opname);
	assert_non_null(strstr(out, want));
	free(want);
	assert_non_null(strstr(out, "sealtrain api: to wait again: sealtrain api --wait http"));
	assert_non_null(strstr(out, "\"status\": \"RUNNING\""));
	free(out);
	free(args);
	assert_int_equal(run_cli(f, "--timeout 2 v1/projects/" PROJECT "/services", &out), 2);
	assert_non_null(strstr(out, "--timeout only applies with --wait"));
	free(out);
	assert_int_equal(run_cli(f, "--wait --timeout 0s v1/projects/" PROJECT "/services", &out), 2);
	assert_non_null(strstr(out, "--timeout 0s: expected whole seconds"));
	free(out);
	free(opname);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_jwt_flow_and_kms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iam_and_project_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compute_and_lro, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_apis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries_under_faults, setup_faults, teardown),
		cmocka_unit_test_setup_teardown(test_cli_api, setup, teardown),
		cmocka_unit_test_setup_teardown(test_401_refresh_on_real_sandbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resumable_upload_under_faults, setup_upload_faults, teardown),
		cmocka_unit_test_setup_teardown(test_lro_deadline_flex_start, setup_no_gpus, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
