/* Builders and parsers of the API modules, and the helpers that drive several
 * requests (LRO polling, pagination, uploads) against the scripted server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "gcp/aiplatform.h"
#include "gcp/cc.h"
#include "gcp/metadata.h"
#include "gcp/serviceusage.h"
#include "gcp/compute.h"
#include "gcp/iam.h"
#include "gcp/kms.h"
#include "gcp/logging.h"
#include "gcp/monitoring.h"
#include "gcp/lro.h"
#include "gcp/storage.h"
#include "tests/support/fakeserver.h"
#include "tests/unit/test_gcp_fixture.h"
#include "tests/unit/test_gcp_result.h"
#include "tests/support/sttest.h"

static json_t *parse(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);
	assert_non_null(j);
	return j;
}

/* ------------------------------------------------------------------ builders */

static void test_request_ids(void **state)
{
	(void)state;
	gcp_endpoints ep;
	gcp_endpoints_init(&ep);
	gcp_rq *a = gcp_ce_instance_insert(&ep, "p", "z", "vm", "t");
	gcp_rq *b = gcp_ce_instance_insert(&ep, "p", "z", "vm", "t");
	gcp_rq *g = gcp_ce_instance_get(&ep, "p", "z", "vm");
	const char *ra = strstr(a->url, "requestId="), *rb = strstr(b->url, "requestId=");
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(strlen(ra + 10) >= 36, 1);
	assert_true(strncmp(ra, rb, 46) != 0); /* one per built request */
	assert_true(strncmp(ra + 10, "00000000-0000-0000-0000-000000000000", 36) != 0);
	assert_null(strstr(g->url, "requestId"));
	assert_non_null(strstr(a->url, "sourceInstanceTemplate=global%2FinstanceTemplates%2Ft"));
	gcp_rq_free(a);
	gcp_rq_free(b);
	gcp_rq_free(g);
	/* Server-named creates are flagged so the engine never retries them blindly. */
	gcp_alert_spec as = { .display_name = "a", .log_filter = "x" };
	gcp_job_spec js = { .display_name = "j", .machine_type = "m", .image_uri = "i" };
	a = gcp_mon_alert_create(&ep, "p", &as);
	b = gcp_ai_job_create(&ep, "p", "us-central1", &js);
	assert_true(a->flags & GCP_NOT_IDEMPOTENT);
	assert_true(b->flags & GCP_NOT_IDEMPOTENT);
	gcp_rq_free(a);
	gcp_rq_free(b);
	gcp_endpoints_free(&ep);
}

static void test_paths_and_escaping(void **state)
{
	(void)state;
	gcp_endpoints ep;
	gcp_endpoints_init(&ep);
	gcp_rq *rq = gcp_gcs_object_get(&ep, "b", "dir/a b?#.csv");
	assert_string_equal(rq->url, "https://storage.googleapis.com/storage/v1/b/b/o/dir%2Fa%20b%3F%23.csv");
	gcp_rq_free(rq);
	/* A hostile name from a server reply cannot walk to another path. */
	assert_null(gcp_ai_job_get(&ep, "projects/p/locations/us-central1/../../v1/x"));
	assert_null(gcp_ai_job_get(&ep, "projects/p//customJobs/1"));
	assert_null(gcp_ai_job_get(&ep, "no-location"));
	rq = gcp_ai_job_get(&ep, "projects/p/locations/europe-west4/customJobs/7");
	assert_string_equal(rq->url, "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/customJobs/7");
	gcp_rq_free(rq);
	gcp_endpoints_all(&ep, "http://127.0.0.1:9/");
	rq = gcp_kms_keyring_create(&ep, "p", "l", "r");
	assert_string_equal(rq->url, "http://127.0.0.1:9/v1/projects/p/locations/l/keyRings?keyRingId=r");
	gcp_rq_free(rq);
	gcp_endpoints_free(&ep);
}

static void test_endpoint_rules(void **state)
{
	(void)state;
	gcp_endpoints ep;
	char err[200];
	gcp_endpoints_init(&ep);
	assert_int_equal(gcp_endpoints_set(&ep, "compute", "http://10.0.0.1:8080", err, sizeof err), -1);
	assert_non_null(strstr(err, "plain http"));
	assert_int_equal(gcp_endpoints_set(&ep, "nope", "https://x", err, sizeof err), -1);
	assert_int_equal(gcp_endpoints_set(&ep, "cloudkms.googleapis.com", "https://kms.example/", err, sizeof err), 0);
	char *u = gcp_resolve_path(&ep, "v1/projects/p/locations/l/keyRings", err, sizeof err);
	assert_string_equal(u, "https://kms.example/v1/projects/p/locations/l/keyRings");
	free(u);
	u = gcp_resolve_path(&ep, "compute/v1/projects/p/zones/z/instances", err, sizeof err);
	assert_string_equal(u, "https://compute.googleapis.com/compute/v1/projects/p/zones/z/instances");
	free(u);
	u = gcp_resolve_path(&ep, "v1/projects/p/locations/asia-east1/customJobs", err, sizeof err);
	assert_string_equal(u, "https://asia-east1-aiplatform.googleapis.com/v1/projects/p/locations/asia-east1/customJobs");
	free(u);
	u = gcp_resolve_path(&ep, "iam.googleapis.com/v1/roles", err, sizeof err);
	assert_string_equal(u, "https://iam.googleapis.com/v1/roles");
	free(u);
	assert_null(gcp_resolve_path(&ep, "v9/whatever", err, sizeof err));
	assert_non_null(strstr(err, "cannot tell"));
	gcp_endpoints_free(&ep);
}

static void test_small_builders_and_getters(void **state)
{
	(void)state;
	gcp_endpoints ep;
	gcp_endpoints_init(&ep);
	gcp_rq *rq = gcp_md_attribute(&ep, "startup-script");
	assert_string_equal(rq->url, "http://metadata.google.internal/computeMetadata/v1/instance/attributes/startup-script");
	assert_true((rq->flags & (GCP_METADATA | GCP_NO_AUTH | GCP_RAW_BODY)) == (GCP_METADATA | GCP_NO_AUTH | GCP_RAW_BODY));
	gcp_rq_free(rq);
	rq = gcp_md_identity(&ep, "https://aud/x y");
	assert_non_null(strstr(rq->url, "/instance/service-accounts/default/identity?audience=https%3A%2F%2Faud%2Fx%20y&format=full"));
	gcp_rq_free(rq);
	assert_null(gcp_su_batch_enable(&ep, "p", NULL, 0)); /* nothing to enable */
	const char *many[21];
	for (int i = 0; i < 21; i++)
		many[i] = "x.googleapis.com";
	assert_null(gcp_su_batch_enable(&ep, "p", many, 21)); /* Google's limit is 20 */
	char *email = gcp_iam_sa_email("runner", "proj-1");
	assert_string_equal(email, "runner@proj-1.iam.gserviceaccount.com");
	free(email);
	json_t *j = parse("{\"state\":\"ENABLED\",\"oidcClaimsToken\":\"eyJ.x.y\"}");
	assert_string_equal(gcp_su_state(j), "ENABLED");
	assert_string_equal(gcp_cc_token(j), "eyJ.x.y");
	json_decref(j);
	j = parse("{\"state\":1,\"oidcClaimsToken\":[]}");
	assert_null(gcp_su_state(j));
	assert_null(gcp_cc_token(j));
	json_decref(j);
	gcp_endpoints_free(&ep);
}

static void test_kms_key_body(void **state)
{
	(void)state;
	gcp_endpoints ep;
	gcp_endpoints_init(&ep);
	gcp_rq *rq = gcp_kms_key_create(&ep, "p", "l", "r", "k", 2592000, 1800000000000LL, NULL);
	assert_string_equal(stj_str(rq->body, "rotationPeriod"), "2592000s");
	assert_non_null(stj_str(rq->body, "nextRotationTime")); /* Google wants both */
	assert_string_equal(stj_str(rq->body, "purpose"), "ENCRYPT_DECRYPT");
	gcp_rq_free(rq);
	rq = gcp_kms_key_create(&ep, "p", "l", "r", "k", 0, 0, NULL);
	assert_null(json_object_get(rq->body, "rotationPeriod"));
	assert_null(json_object_get(rq->body, "nextRotationTime"));
	gcp_rq_free(rq);
	gcp_endpoints_free(&ep);
}

static void test_policy_helpers(void **state)
{
	(void)state;
	json_t *p = parse("{\"etag\":\"e1\",\"bindings\":[{\"role\":\"roles/a\",\"members\":[\"user:x\"]},"
			  "{\"role\":\"roles/b\",\"members\":[\"user:y\"],\"condition\":{\"expression\":\"true\"}}]}");
	assert_true(gcp_policy_add_binding(p, "roles/a", "serviceAccount:s"));
	assert_false(gcp_policy_add_binding(p, "roles/a", "serviceAccount:s"));
	/* The conditional binding for roles/b is not widened: a plain one is added. */
	assert_true(gcp_policy_add_binding(p, "roles/b", "serviceAccount:s"));
	assert_int_equal(json_array_size(json_object_get(p, "bindings")), 3);
	assert_int_equal(json_array_size(stj_get(p, "bindings.1.members")), 1);
	assert_true(gcp_policy_has_binding(p, "roles/b", "serviceAccount:s"));
	assert_string_equal(stj_str(p, "etag"), "e1");
	int64_t v;
	assert_true(stj_int64(p, "version", &v) && v == 3);
	const char *types[] = { "ADMIN_READ", "DATA_READ", "DATA_WRITE" };
	assert_true(gcp_policy_audit(p, "allServices", types, 3));
	assert_false(gcp_policy_audit(p, "allServices", types, 3));
	assert_int_equal(json_array_size(stj_get(p, "auditConfigs.0.auditLogConfigs")), 3);
	assert_true(gcp_policy_remove_member(p, "roles/a", "user:x"));
	assert_false(gcp_policy_has_binding(p, "roles/a", "user:x"));
	json_decref(p);
	/* Wrong types in a policy from the server do not crash the helpers. */
	p = parse("{\"bindings\":\"oops\",\"auditConfigs\":7}");
	assert_true(gcp_policy_add_binding(p, "roles/a", "user:x"));
	assert_true(gcp_policy_audit(p, "allServices", types, 1));
	json_decref(p);
}

/* ------------------------------------------------------------------ parsers */

static void test_compute_op_parse(void **state)
{
	(void)state;
	gcp_ce_op o;
	char err[200];
	json_t *j = parse("{\"name\":\"op-1\",\"status\":\"DONE\",\"zone\":\"https://x/zones/us-central1-a\","
			  "\"httpErrorStatusCode\":409,\"error\":{\"errors\":[{\"code\":\"RESOURCE_ALREADY_EXISTS\","
			  "\"message\":\"The resource 'vm' already exists\"}]}}");
	assert_int_equal(gcp_ce_op_parse(j, &o, err, sizeof err), 0);
	assert_true(o.failed);
	assert_int_equal(o.err.http, 409);
	assert_string_equal(o.err.reason, "RESOURCE_ALREADY_EXISTS");
	assert_string_equal(o.zone, "us-central1-a");
	json_decref(j);
	const char *bad[] = { "{}", "{\"name\":\"x\"}", "{\"name\":\"x\",\"status\":\"EXPLODED\"}",
			      "{\"name\":7,\"status\":\"DONE\"}", "[]" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		j = parse(bad[i]);
		assert_int_equal(gcp_ce_op_parse(j, &o, err, sizeof err), -1);
		json_decref(j);
	}
	/* Wrong-typed progress and a string error list are tolerated, not trusted. */
	j = parse("{\"name\":\"x\",\"status\":\"RUNNING\",\"progress\":\"lots\",\"error\":{\"errors\":\"no\"}}");
	assert_int_equal(gcp_ce_op_parse(j, &o, err, sizeof err), 0);
	assert_false(o.failed);
	assert_int_equal(o.progress, 0);
	json_decref(j);
}

static void test_instance_and_reservation_parse(void **state)
{
	(void)state;
	char err[200];
	gcp_ce_instance in;
	json_t *j = parse("{\"name\":\"vm\",\"id\":\"123\",\"status\":\"RUNNING\",\"machineType\":\"https://x/zones/z/machineTypes/a3-highgpu-1g\","
			  "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"TDX\"},\"metadata\":{\"fingerprint\":\"abc=\"},"
			  "\"guestAccelerators\":[{\"acceleratorType\":\"https://x/acceleratorTypes/nvidia-h100-80gb\",\"acceleratorCount\":1}],"
			  "\"scheduling\":{\"provisioningModel\":\"FLEX_START\"}}");
	assert_int_equal(gcp_ce_instance_parse(j, &in, err, sizeof err), 0);
	assert_string_equal(in.machine_type, "a3-highgpu-1g");
	assert_string_equal(in.accelerator, "nvidia-h100-80gb");
	assert_string_equal(in.confidential_type, "TDX");
	assert_string_equal(in.fingerprint, "abc=");
	json_decref(j);
	j = parse("{\"name\":\"vm\\u001b[2J\",\"status\":\"RUNNING\"}");
	assert_int_equal(gcp_ce_instance_parse(j, &in, err, sizeof err), 0);
	assert_null(strchr(in.name, '\x1b'));
	json_decref(j);
	gcp_ce_reservation rv;
	j = parse("{\"name\":\"r\",\"specificReservation\":{\"count\":\"1\",\"inUseCount\":\"1\"}}");
	assert_int_equal(gcp_ce_reservation_parse(j, &rv, err, sizeof err), 0);
	assert_int_equal(rv.in_use, 1);
	json_decref(j);
	j = parse("{\"name\":\"r\",\"specificReservation\":{\"count\":\"1\",\"inUseCount\":\"one\"}}");
	assert_int_equal(gcp_ce_reservation_parse(j, &rv, err, sizeof err), -1);
	json_decref(j);
	j = parse("{\"name\":\"r\",\"specificReservation\":{\"count\":[1]}}");
	assert_int_equal(gcp_ce_reservation_parse(j, &rv, err, sizeof err), -1);
	json_decref(j);
	gcp_ce_serial s;
	j = parse("{\"contents\":\"boot\\n\",\"start\":\"0\",\"next\":\"5\"}");
	assert_int_equal(gcp_ce_serial_parse(j, &s, err, sizeof err), 0);
	assert_int_equal(s.next, 5);
	json_decref(j);
	j = parse("{\"contents\":\"x\",\"next\":-4}");
	assert_int_equal(gcp_ce_serial_parse(j, &s, err, sizeof err), -1);
	json_decref(j);
}

static void test_other_parsers(void **state)
{
	(void)state;
	char err[200];
	gcp_kms_key k;
	json_t *j = parse("{\"name\":\"k\",\"purpose\":\"ENCRYPT_DECRYPT\",\"rotationPeriod\":\"2592000s\",\"primary\":{\"state\":\"ENABLED\"}}");
	assert_int_equal(gcp_kms_key_parse(j, &k, err, sizeof err), 0);
	assert_int_equal(k.rotation_s, 2592000);
	assert_string_equal(k.primary_state, "ENABLED");
	json_decref(j);
	j = parse("{\"name\":\"k\",\"rotationPeriod\":30}");
	assert_int_equal(gcp_kms_key_parse(j, &k, err, sizeof err), -1);
	json_decref(j);
	gcp_ai_job jb;
	j = parse("{\"name\":\"projects/p/locations/l/customJobs/1\",\"state\":\"JOB_STATE_FAILED\",\"error\":{\"code\":3,\"message\":\"bad image\"}}");
	assert_int_equal(gcp_ai_job_parse(j, &jb, err, sizeof err), 0);
	assert_true(jb.terminal && jb.failed);
	assert_string_equal(jb.err.status, "INVALID_ARGUMENT");
	json_decref(j);
	j = parse("{\"name\":\"x\",\"state\":\"RUNNING\"}");
	assert_int_equal(gcp_ai_job_parse(j, &jb, err, sizeof err), -1);
	json_decref(j);
	gcp_gcs_object o;
	j = parse("{\"name\":\"o\",\"generation\":\"1700000000000000\",\"size\":\"12\",\"crc32c\":\"AAAAAA==\",\"kmsKeyName\":\"k/cryptoKeyVersions/1\"}");
	assert_int_equal(gcp_gcs_object_parse(j, &o, err, sizeof err), 0);
	assert_int_equal(o.generation, 1700000000000000LL);
	json_decref(j);
	j = parse("{\"name\":\"o\",\"size\":\"12x\"}");
	assert_int_equal(gcp_gcs_object_parse(j, &o, err, sizeof err), -1);
	json_decref(j);
}

/* ------------------------------------------------------------------ helpers on the loop */

static void on_op(void *user, const json_t *op)
{
	result *res = user;
	(void)op;
	res->progress_calls++;
}


static void test_compute_lro(void **state)
{
	fx *f = *state;
	const char *wait = "/compute/v1/projects/p/zones/z/operations/op-1/wait";
	fs_json(f->fs, "POST", wait, 2, 200, "{\"kind\":\"compute#operation\",\"name\":\"op-1\",\"status\":\"RUNNING\",\"zone\":\"x/zones/z\"}");
	fs_json(f->fs, "POST", wait, 1, 200, "{\"kind\":\"compute#operation\",\"name\":\"op-1\",\"status\":\"DONE\",\"zone\":\"x/zones/z\",\"targetLink\":\"t\"}");
	json_t *op = parse("{\"kind\":\"compute#operation\",\"name\":\"op-1\",\"status\":\"PENDING\",\"zone\":\"https://h/compute/v1/projects/p/zones/z\"}");
	result res = {0};
	assert_int_equal(gcp_lro_compute(f->ctx, &f->ep, "p", op, NULL, on_op, on_done, &res, NULL), 0);
	assert_false(res.done);
	assert_int_equal(gcp_loop_run_until(f->ctx, &res.done, 20000), 0);
	assert_true(res.ok);
	assert_int_equal(res.progress_calls, 3);
	assert_string_equal(stj_str(res.json, "status"), "DONE");
	assert_int_equal(fs_count(f->fs, wait), 3);
	json_decref(res.json);
	json_decref(op);
}

static void test_compute_lro_failure_and_cancel(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "POST", "/compute/v1/projects/p/global/operations/op-2/wait", 1, 200,
		"{\"name\":\"op-2\",\"status\":\"DONE\",\"httpErrorStatusCode\":400,\"error\":{\"errors\":[{\"code\":\"INVALID\",\"message\":\"SEV_SNP needs N2D\"}]}}");
	json_t *op = parse("{\"name\":\"op-2\",\"status\":\"PENDING\"}");
	result res = {0};
	gcp_lro_compute(f->ctx, &f->ep, "p", op, NULL, NULL, on_done, &res, NULL);
	gcp_loop_run_until(f->ctx, &res.done, 20000);
	assert_false(res.ok);
	assert_int_equal(res.err.http, 400);
	assert_string_equal(res.err.message, "SEV_SNP needs N2D");
	json_decref(res.json);
	json_decref(op);
	/* A pane closing mid-wait: the helper ends, the callback learns it was cancelled. */
	fs_reply slow = { .status = 200, .body = "{\"name\":\"op-3\",\"status\":\"RUNNING\"}", .delay_ms = 100 };
	fs_on(f->fs, "POST", "/compute/v1/projects/p/global/operations/op-3/wait", 0, &slow);
	op = parse("{\"name\":\"op-3\",\"status\":\"PENDING\"}");
	int pane;
	memset(&res, 0, sizeof res);
	gcp_lro_compute(f->ctx, &f->ep, "p", op, &pane, NULL, on_done, &res, NULL);
	gcp_loop_run_until(f->ctx, NULL, 400);
	assert_false(res.done);
	gcp_cancel_owner(f->ctx, &pane);
	assert_true(res.done && res.cancelled);
	assert_int_equal(gcp_pending(f->ctx), 0);
	json_decref(op);
	/* No name: refused at once. */
	op = parse("{\"status\":\"PENDING\"}");
	gcp_error e;
	assert_int_equal(gcp_lro_compute(f->ctx, &f->ep, "p", op, NULL, NULL, on_done, &res, &e), -1);
	json_decref(op);
}

/* A cancelled helper whose callback starts the next one, while the context is being
 * freed: everything still ends exactly once and nothing leaks (checked under ASan). */
static gcp_endpoints *restart_ep;
static int restarts, ends;
static void restart_on_cancel(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	ends++;
	if (r->cancelled && restarts++ < 3)
		gcp_lro_compute(ctx, restart_ep, "p", user, NULL, NULL, restart_on_cancel, user, NULL);
}

static void test_free_while_helpers_restart(void **state)
{
	fx *f = *state;
	json_t *op = parse("{\"name\":\"op-x\",\"status\":\"PENDING\"}");
	restart_ep = &f->ep;
	restarts = ends = 0;
	assert_int_equal(gcp_lro_compute(f->ctx, &f->ep, "p", op, NULL, NULL, restart_on_cancel, op, NULL), 0);
	gcp_free(f->ctx);
	f->ctx = gcp_new(NULL, NULL);
	assert_int_equal(ends, 4);
	json_decref(op);
}

static void test_google_lro(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/v1/operations/abc", 1, 200, "{\"name\":\"operations/abc\"}");
	fs_json(f->fs, "GET", "/v1/operations/abc", 1, 200,
		"{\"name\":\"operations/abc\",\"done\":true,\"error\":{\"code\":7,\"message\":\"denied\",\"details\":[{\"reason\":\"AUTH_PERMISSION_DENIED\"}]}}");
	json_t *op = parse("{\"name\":\"operations/abc\",\"done\":false}");
	result res = {0};
	assert_int_equal(gcp_lro_google(f->ctx, &f->ep, GCP_API_SERVICEUSAGE, op, NULL, on_op, on_done, &res, NULL), 0);
	assert_int_equal(gcp_loop_run_until(f->ctx, &res.done, 20000), 0);
	assert_false(res.ok);
	assert_string_equal(res.err.status, "PERMISSION_DENIED");
	assert_string_equal(res.err.reason, "AUTH_PERMISSION_DENIED");
	assert_int_equal(res.progress_calls, 2);
	json_decref(res.json);
	json_decref(op);
	/* A hostile operation name is refused instead of being followed. */
	op = parse("{\"name\":\"operations/../../admin\"}");
	memset(&res, 0, sizeof res);
	gcp_lro_google(f->ctx, &f->ep, GCP_API_SERVICEUSAGE, op, NULL, NULL, on_done, &res, NULL);
	gcp_loop_run_until(f->ctx, &res.done, 5000);
	assert_true(res.done && !res.ok);
	json_decref(op);
}

static void test_pagination(void **state)
{
	fx *f = *state;
	/* Rules match the path only; pages are served in order. */
	fs_json(f->fs, "GET", "/storage/v1/b/b/o", 1, 200, "{\"kind\":\"k\",\"items\":[{\"name\":\"a\"}],\"nextPageToken\":\"t1\"}");
	fs_json(f->fs, "GET", "/storage/v1/b/b/o", 1, 200, "{\"items\":[{\"name\":\"b\"},{\"name\":\"c\"}],\"prefixes\":[\"p/\"],\"nextPageToken\":\"t2\"}");
	fs_json(f->fs, "GET", "/storage/v1/b/b/o", 1, 200, "{\"items\":[{\"name\":\"d\"}]}");
	result res = {0};
	assert_int_equal(gcp_page_all(f->ctx, gcp_gcs_objects_list(&f->ep, "b", NULL, true, NULL), 0, NULL, on_done, &res, NULL), 0);
	gcp_loop_run_until(f->ctx, &res.done, 20000);
	assert_true(res.ok);
	assert_int_equal(json_array_size(json_object_get(res.json, "items")), 4);
	assert_int_equal(json_array_size(json_object_get(res.json, "prefixes")), 1);
	assert_null(json_object_get(res.json, "nextPageToken"));
	fs_request *q = fs_get(f->fs, 1);
	assert_non_null(strstr(q->query, "pageToken=t1"));
	assert_non_null(strstr(q->query, "versions=true"));
	fs_request_free(q);
	q = fs_get(f->fs, 2);
	assert_non_null(strstr(q->query, "pageToken=t2"));
	assert_null(strstr(q->query, "pageToken=t1"));
	fs_request_free(q);
	json_decref(res.json);
}

/* compute's aggregatedList: "items" is a map keyed by scope, and a scope may show
 * up on more than one page; every page's scopes must survive the merge. */
static void test_pagination_aggregated(void **state)
{
	fx *f = *state;
	const char *path = "/compute/v1/projects/p/aggregated/instances";
	fs_json(f->fs, "GET", path, 1, 200,
		"{\"kind\":\"compute#instanceAggregatedList\",\"items\":{"
		"\"zones/us-central1-a\":{\"instances\":[{\"name\":\"a1\"}]},"
		"\"zones/europe-west4-b\":{\"warning\":{\"code\":\"NO_RESULTS_ON_PAGE\"}},"
		"\"zones/asia-east1-c\":{\"warning\":{\"code\":\"NO_RESULTS_ON_PAGE\"}}},"
		"\"nextPageToken\":\"t1\"}");
	fs_json(f->fs, "GET", path, 1, 200,
		"{\"kind\":\"compute#instanceAggregatedList\",\"items\":{"
		"\"zones/us-central1-a\":{\"instances\":[{\"name\":\"a2\"}]},"
		"\"zones/europe-west4-b\":{\"instances\":[{\"name\":\"b1\"}]},"
		"\"zones/us-east1-d\":{\"instances\":[{\"name\":\"d1\"}]}},"
		"\"unreachables\":[\"zones/x\"]}");
	gcp_rq *rq = gcp_rq_new(&f->ep, GCP_API_COMPUTE, NULL, "GET", "compute.instances.aggregatedList", path);
	result res = {0};
	assert_int_equal(gcp_page_all(f->ctx, rq, 0, NULL, on_done, &res, NULL), 0);
	gcp_loop_run_until(f->ctx, &res.done, 20000);
	assert_true(res.ok);
	assert_int_equal(fs_count(f->fs, path), 2);
	const json_t *items = json_object_get(res.json, "items");
	assert_int_equal(json_object_size(items), 4);
	const json_t *a = json_object_get(json_object_get(items, "zones/us-central1-a"), "instances");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(stj_str(json_array_get(a, 0), "name"), "a1");
	assert_string_equal(stj_str(json_array_get(a, 1), "name"), "a2");
	/* An empty-page warning gives way once a later page lists the scope... */
	const json_t *b = json_object_get(items, "zones/europe-west4-b");
	assert_int_equal(json_array_size(json_object_get(b, "instances")), 1);
	assert_null(json_object_get(b, "warning"));
	/* ...and stays where no page ever did. */
	assert_string_equal(stj_str(json_object_get(items, "zones/asia-east1-c"), "warning.code"), "NO_RESULTS_ON_PAGE");
	assert_int_equal(json_array_size(json_object_get(json_object_get(items, "zones/us-east1-d"), "instances")), 1);
	assert_int_equal(json_array_size(json_object_get(res.json, "unreachables")), 1);
	assert_null(json_object_get(res.json, "nextPageToken"));
	json_decref(res.json);
}

static void test_pagination_hostile(void **state)
{
	fx *f = *state;
	/* A server that hands back the same token forever. */
	fs_json(f->fs, "POST", "/v2/entries:list", 0, 200, "{\"entries\":[{}],\"nextPageToken\":\"same\"}");
	result res = {0};
	gcp_page_all(f->ctx, gcp_log_entries_list(&f->ep, "projects/p", "x", NULL, 10, NULL), 0, NULL, on_done, &res, NULL);
	gcp_loop_run_until(f->ctx, &res.done, 20000);
	assert_false(res.ok);
	assert_non_null(strstr(res.err.message, "repeated page token"));
	fs_request *q = fs_get(f->fs, 1);
	assert_non_null(strstr(q->body, "\"pageToken\":\"same\"")); /* POST lists carry it in the body */
	fs_request_free(q);
	json_decref(res.json);
	/* A page that is an array, not an object. */
	fs_json(f->fs, "GET", "/storage/v1/b/x/o", 0, 200, "[1,2,3]");
	memset(&res, 0, sizeof res);
	gcp_page_all(f->ctx, gcp_gcs_objects_list(&f->ep, "x", NULL, false, NULL), 0, NULL, on_done, &res, NULL);
	gcp_loop_run_until(f->ctx, &res.done, 20000);
	assert_false(res.ok);
	json_decref(res.json);
}

static void test_huge_array_page(void **state)
{
	fx *f = *state;
	st_buf b;
	st_buf_init(&b);
	st_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < 100000; i++)
		st_buf_printf(&b, "%s{\"name\":\"o%d\"}", i ? "," : "", i);
	st_buf_puts(&b, "]}");
	fs_json(f->fs, "GET", "/storage/v1/b/big/o", 0, 200, b.p);
	st_buf_free(&b);
	result res = {0};
	gcp_page_all(f->ctx, gcp_gcs_objects_list(&f->ep, "big", NULL, false, NULL), 0, NULL, on_done, &res, NULL);
	gcp_loop_run_until(f->ctx, &res.done, 30000);
	assert_true(res.ok);
	assert_int_equal(json_array_size(json_object_get(res.json, "items")), 100000);
	json_decref(res.json);
}

/* Emulates the server half of a resumable upload: keeps what arrived, says 308 until
 * the last byte, then returns the Object with the crc32c of what it holds. */
static st_buf upload_got;
static void resumable_put(const fs_request *rq, fs_reply *out, void *user)
{
	static char range[64], body[256];
	(void)user;
	const char *cr = strstr(rq->headers, "Content-Range: bytes ");
	unsigned long long a, b, total;
	if (!cr || sscanf(cr, "Content-Range: bytes %llu-%llu/%llu", &a, &b, &total) != 3 || a != upload_got.len) {
		out->status = 400;
		out->body = "{\"error\":{\"code\":400,\"message\":\"bad range\",\"status\":\"INVALID_ARGUMENT\"}}";
		return;
	}
	st_buf_append(&upload_got, rq->body, rq->body_len);
	if (b + 1 < total) {
		snprintf(range, sizeof range, "Range: bytes=0-%llu", b);
		out->status = 308;
		out->header = range;
		out->body = "";
		return;
	}
	char crc[9];
	st_crc32c_b64(st_crc32c(0, upload_got.p, upload_got.len), crc);
	snprintf(body, sizeof body, "{\"name\":\"big.bin\",\"size\":\"%zu\",\"crc32c\":\"%s\"}", upload_got.len, crc);
	out->status = 200;
	out->body = body;
}

static void on_progress(void *user, uint64_t now, uint64_t total)
{
	result *res = user;
	(void)total;
	res->progress_calls++;
	res->last_progress = now;
}

static void test_resumable_upload(void **state)
{
	fx *f = *state;
	st_buf_init(&upload_got);
	char *session = st_xasprintf("Location: %s/upload/session/1", fs_url(f->fs));
	fs_reply start = { .status = 200, .header = session, .body = "" };
	fs_on(f->fs, "POST", "/upload/storage/v1/b/b/o", 1, &start);
	fs_on_fn(f->fs, "PUT", "/upload/session/1", 0, resumable_put, NULL);
	size_t len = 700 * 1024;
	unsigned char *data = st_xmalloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7);
	result res = {0};
	gcp_upload_spec s = { .bucket = "b", .object = "big.bin", .data = data, .len = len, .mode = "resumable",
			      .chunk_size = 256 * 1024, .progress = on_progress, .progress_user = &res };
	assert_int_equal(gcp_gcs_upload(f->ctx, &f->ep, &s, NULL, on_done, &res, NULL), 0);
	gcp_loop_run_until(f->ctx, &res.done, 30000);
	if (!res.ok)
		fail_msg("%s", res.err.message);
	assert_int_equal(upload_got.len, len);
	assert_memory_equal(upload_got.p, data, len);
	assert_int_equal(fs_count(f->fs, "/upload/session/1"), 3);
	assert_int_equal(res.last_progress, len);
	fs_request *q = fs_get(f->fs, 0);
	assert_non_null(strstr(q->query, "uploadType=resumable"));
	fs_request_free(q);
	json_decref(res.json);
	st_buf_free(&upload_got);
	free(data);
	free(session);
}

static void test_upload_crc_mismatch(void **state)
{
	fx *f = *state;
	/* The server claims to have stored something else: that is data loss, not success. */
	fs_json(f->fs, "POST", "/upload/storage/v1/b/b/o", 0, 200, "{\"name\":\"o\",\"crc32c\":\"AAAAAA==\"}");
	result res = {0};
	gcp_upload_spec s = { .bucket = "b", .object = "o", .data = "hello", .len = 5 };
	assert_int_equal(gcp_gcs_upload(f->ctx, &f->ep, &s, NULL, on_done, &res, NULL), 0);
	gcp_loop_run_until(f->ctx, &res.done, 10000);
	assert_false(res.ok);
	assert_string_equal(res.err.status, "DATA_LOSS");
	fs_request *q = fs_get(f->fs, 0);
	assert_non_null(strstr(q->query, "uploadType=multipart"));
	assert_non_null(strstr(q->ctype, "multipart/related; boundary="));
	assert_non_null(strstr(q->body, "\"crc32c\":\"")); /* the server can check the bytes too */
	assert_non_null(strstr(q->body, "hello"));
	fs_request_free(q);
	json_decref(res.json);
	/* A file that does not exist is refused before anything is sent. */
	gcp_upload_spec s2 = { .bucket = "b", .object = "o", .path = "/nonexistent/data.csv" };
	gcp_error e;
	assert_int_equal(gcp_gcs_upload(f->ctx, &f->ep, &s2, NULL, on_done, &res, &e), -1);
	assert_non_null(strstr(e.message, "/nonexistent/data.csv"));
}

static void test_download_crc(void **state)
{
	fx *f = *state;
	char good[9], hdr[64];
	st_crc32c_b64(st_crc32c(0, "model-bytes", 11), good);
	snprintf(hdr, sizeof hdr, "X-Goog-Hash: crc32c=%s,md5=AAAA", good);
	fs_reply ok = { .status = 200, .ctype = "application/octet-stream", .body = "model-bytes", .header = hdr };
	fs_on(f->fs, "GET", "/storage/v1/b/b/o/out/model.rf", 1, &ok);
	fs_reply bad = { .status = 200, .ctype = "application/octet-stream", .body = "model-bytez", .header = hdr };
	fs_on(f->fs, "GET", "/storage/v1/b/b/o/out/model.rf", 1, &bad);
	result res = {0};
	assert_int_equal(gcp_gcs_download(f->ctx, &f->ep, "b", "out/model.rf", NULL, on_done, &res, NULL), 0);
	gcp_loop_run_until(f->ctx, &res.done, 10000);
	assert_true(res.ok);
	fs_request *q = fs_get(f->fs, 0);
	assert_string_equal(q->path, "/storage/v1/b/b/o/out/model.rf"); /* the server decoded %2F */
	assert_non_null(strstr(q->query, "alt=media"));
	fs_request_free(q);
	memset(&res, 0, sizeof res);
	gcp_gcs_download(f->ctx, &f->ep, "b", "out/model.rf", NULL, on_done, &res, NULL);
	gcp_loop_run_until(f->ctx, &res.done, 10000);
	assert_false(res.ok);
	assert_string_equal(res.err.status, "DATA_LOSS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_ids),
		cmocka_unit_test(test_paths_and_escaping),
		cmocka_unit_test(test_endpoint_rules),
		cmocka_unit_test(test_small_builders_and_getters),
		cmocka_unit_test(test_kms_key_body),
		cmocka_unit_test(test_policy_helpers),
		cmocka_unit_test(test_compute_op_parse),
		cmocka_unit_test(test_instance_and_reservation_parse),
		cmocka_unit_test(test_other_parsers),
		cmocka_unit_test_setup_teardown(test_compute_lro, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compute_lro_failure_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_while_helpers_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_google_lro, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pagination, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pagination_aggregated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pagination_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_array_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resumable_upload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_crc_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_download_crc, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
