/* Vertex AI custom jobs against the real sandbox: a job whose command reads and
 * writes /gcs/BUCKET and whose output lands encrypted in the bucket; Logging of job
 * output; Flex-start waiting for GPU capacity; cancel, delete (LRO), validation and
 * CMEK checks; restart persistence. */
#include "tests/integration/test_sb_kms_util.h"
#include "tests/integration/test_sb_compute_util.h"

#include "common/atomicfile.h"
#include <signal.h>

#define BKT "bkt-v"
#define JOBS "/v1/projects/p1/locations/us-central1/customJobs"

static const char secret[] = "label,feature\n1,VERTEX-SECRET-ROW-42\n";
static const char *const fast[] = {"--time-scale", "20", NULL};
static const char *const one_gpu[] = {"--time-scale", "20", "--gpus-per-zone", "1", NULL};

/* Key, grants (operator, Storage agent, Vertex agent unless skipped), CMEK bucket and
 * one input object. */
static void prepare(st_sandbox *sb, bool vertex_agent)
{
	st_http_resp r;
	char *storage = kt_agent_member(sb), *members, *vx, *num;

	kt_make_key(sb);
	num = strstr(storage, "service-") + 8;
	vx = st_xasprintf("serviceAccount:service-%.*s@gcp-sa-aiplatform.iam.gserviceaccount.com",
			  (int)strcspn(num, "@"), num);
	members = st_xasprintf("\"%s\",\"%s\"%s%s%s", KT_OPERATOR, storage,
			       vertex_agent ? ",\"" : "", vertex_agent ? vx : "",
			       vertex_agent ? "\"" : "");
	kt_grant(sb, KT_KEY, KT_ED, members);
	kt_do(sb, "POST", "/storage/v1/b?project=p1", "{\"name\":\"" BKT "\",\"location\":"
	      "\"us-central1\",\"encryption\":{\"defaultKmsKeyName\":\"" KT_KEYNAME "\"}}", 200);
	kt_upload(sb, BKT, "data%2Fin.csv", secret, sizeof secret - 1, 200, &r);
	st_http_free(&r);
	free(members);
	free(vx);
	free(storage);
}

static int setup(void **state)
{
	st_sandbox *sb = sbt_new(fast);

	prepare(sb, true);
	*state = sb;
	return 0;
}

static int setup_one_gpu(void **state)
{
	st_sandbox *sb = sbt_new(one_gpu);

	prepare(sb, true);
	*state = sb;
	return 0;
}

/* A job body running sh -c SCRIPT, optional extra jobSpec fields. */
static char *job_body(const char *script, const char *spec_extra, const char *top_extra)
{
	json_t *cmd = json_pack("[s, s, s]", "/bin/sh", "-c", script);
	char *c = stj_dump(cmd);
	char *b = st_xasprintf("{\"displayName\":\"cgpu-train\",\"labels\":{\"app\":\"cgpu\"},"
			       "\"jobSpec\":{\"workerPoolSpecs\":[{\"machineSpec\":{\"machineType\":"
			       "\"a3-highgpu-1g\",\"acceleratorType\":\"NVIDIA_H100_80GB\","
			       "\"acceleratorCount\":1},\"replicaCount\":\"1\",\"containerSpec\":"
			       "{\"imageUri\":\"us-docker.pkg.dev/x/y:z\",\"command\":%s}}]%s}%s}",
			       c, spec_extra, top_extra);

	json_decref(cmd);
	free(c);
	return b;
}

static char *create(st_sandbox *sb, const char *body)
{
	st_http_resp r;
	char *name;

	sbt_call(sb, "POST", JOBS, body, 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "JOB_STATE_QUEUED");
	name = st_xstrdup(sbt_str(&r, "name"));
	assert_true(st_starts_with(name, "projects/"));
	assert_non_null(strstr(name, "/locations/us-central1/customJobs/"));
	st_http_free(&r);
	return name;
}

static char *job_path(const char *name)
{
	return st_xasprintf("/v1/%s", name);
}

static void t_job_writes_into_bucket(void **state)
{
	st_sandbox *sb = *state;
	char *body = job_body("mkdir -p /gcs/" BKT "/out && tr a-z A-Z < /gcs/" BKT "/data/in.csv"
			      " > /gcs/" BKT "/out/upper.csv && echo rows=$(wc -l < /gcs/" BKT
			      "/data/in.csv) && echo job=$CLOUD_ML_JOB_ID model=$AIP_MODEL_DIR",
			      ",\"baseOutputDirectory\":{\"outputUriPrefix\":\"gs://" BKT "/out\"}",
			      ",\"encryptionSpec\":{\"kmsKeyName\":\"" KT_KEYNAME "\"}");
	char *name = create(sb, body), *path = job_path(name);
	st_http_resp r;
	json_t *q;
	char *qs;

	ct_until(sb, path, "state", "JOB_STATE_SUCCEEDED", 10000);
	sbt_call(sb, "GET", path, NULL, 200, &r);
	assert_non_null(sbt_str(&r, "startTime"));
	assert_non_null(sbt_str(&r, "endTime"));
	assert_null(stj_get(r.json, "_sb"));
	assert_string_equal(sbt_str(&r, "encryptionSpec.kmsKeyName"), KT_KEYNAME);
	st_http_free(&r);
	/* The output is an object of the bucket, under the job's key. */
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o/out%2Fupper.csv", NULL, 200, &r);
	assert_true(st_starts_with(sbt_str(&r, "kmsKeyName"), KT_KEYNAME "/cryptoKeyVersions/"));
	st_http_free(&r);
	kt_download(sb, BKT, "out%2Fupper.csv", NULL, 200, &r);
	assert_non_null(strstr(r.body, "VERTEX-SECRET-ROW-42"));
	assert_non_null(strstr(r.body, "LABEL,FEATURE"));
	st_http_free(&r);
	/* The input was not rewritten (unchanged files are not uploaded again). */
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o?versions=true", NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "items")), 2);
	st_http_free(&r);
	/* Plaintext is nowhere under --state (the working copy is gone). */
	assert_false(kt_tree_contains(sb->state, "VERTEX-SECRET-ROW-42"));
	assert_false(kt_tree_contains(sb->state, "VERTEX-SECRET-ROW-42"));
	/* Job output went to Logging as ml_job entries. */
	q = json_pack("{s:[s], s:s}", "resourceNames", "projects/p1", "filter",
		      "resource.type=\"ml_job\"");
	qs = stj_dump(q);
	sbt_call(sb, "POST", "/v2/entries:list", qs, 200, &r);
	assert_non_null(strstr(r.body, "rows=2"));
	assert_non_null(strstr(r.body, "model=gs://" BKT "/out/model/"));
	st_http_free(&r);
	free(qs);
	json_decref(q);
	sbt_call(sb, "GET", JOBS, NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "customJobs")), 1);
	st_http_free(&r);
	free(path);
	free(name);
	free(body);
}

static void t_failures(void **state)
{
	st_sandbox *sb = *state;
	char *body = job_body("echo failing; exit 3", "", "");
	char *name = create(sb, body), *path = job_path(name);
	st_http_resp r;

	ct_until(sb, path, "state", "JOB_STATE_FAILED", 10000);
	sbt_call(sb, "GET", path, NULL, 200, &r);
	assert_non_null(strstr(sbt_str(&r, "error.message"), "non-zero status of 3"));
	st_http_free(&r);
	free(body);
	free(path);
	free(name);
	/* scheduling.timeout (20 sandbox seconds = 1 s here) stops a job that runs on. */
	body = job_body("sleep 30", ",\"scheduling\":{\"timeout\":\"20s\"}", "");
	name = create(sb, body);
	path = job_path(name);
	ct_until(sb, path, "state", "JOB_STATE_FAILED", 10000);
	sbt_call(sb, "GET", path, NULL, 200, &r);
	assert_int_equal(json_integer_value(stj_get(r.json, "error.code")), 4);
	assert_non_null(strstr(sbt_str(&r, "error.message"), "timeout"));
	st_http_free(&r);
	free(body);
	free(path);
	free(name);
	/* A /gcs path to a bucket that does not exist: the job fails at staging. */
	body = job_body("cat /gcs/no-such-bucket/x", "", "");
	name = create(sb, body);
	path = job_path(name);
	ct_until(sb, path, "state", "JOB_STATE_FAILED", 10000);
	sbt_call(sb, "GET", path, NULL, 200, &r);
	assert_non_null(strstr(sbt_str(&r, "error.message"), "no-such-bucket"));
	st_http_free(&r);
	free(body);
	free(path);
	free(name);
}

/* Output that cannot be written back (the Storage agent lost its key grant while the
 * job ran) fails the job with the reason, and the outputs are kept, not lost. */
static void t_write_back_failure_keeps_outputs(void **state)
{
	st_sandbox *sb = *state;
	char *body = job_body("sleep 2; echo result > /gcs/" BKT "/out.txt", "", "");
	char *name = create(sb, body), *path = job_path(name), *kept, *msg, err[64], *txt;
	st_http_resp r;
	size_t len;

	ct_until(sb, path, "state", "JOB_STATE_RUNNING", 10000);
	kt_grant(sb, KT_KEY, KT_ED, "\"" KT_OPERATOR "\"");
	ct_until(sb, path, "state", "JOB_STATE_FAILED", 10000);
	sbt_call(sb, "GET", path, NULL, 200, &r);
	msg = st_xstrdup(sbt_str(&r, "error.message"));
	st_http_free(&r);
	assert_non_null(strstr(msg, "Writing the job's output back"));
	assert_non_null(strstr(msg, "gs-project-accounts"));
	kept = strstr(msg, "kept in ");
	assert_non_null(kept);
	kept += strlen("kept in ");
	kept[strlen(kept) - 1] = '\0'; /* the final '.' */
	{
		char *file = st_xasprintf("%s/" BKT "/out.txt", kept);

		txt = st_read_file(file, 4096, &len, err, sizeof(err));
		assert_non_null(txt);
		assert_string_equal(txt, "result\n");
		free(txt);
		free(file);
	}
	free(msg);
	free(path);
	free(name);
	free(body);
}

static void t_validation(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	char *b;

	sbt_call(sb, "POST", JOBS, "{\"jobSpec\":{}}", 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "display_name");
	st_http_free(&r);
	sbt_call(sb, "POST", JOBS, "{\"displayName\":\"x\",\"jobSpec\":{\"workerPoolSpecs\":[]}}",
		 400, &r);
	st_http_free(&r);
	sbt_call(sb, "POST", JOBS, "{\"displayName\":\"x\",\"jobSpec\":{\"workerPoolSpecs\":[{"
		 "\"machineSpec\":{\"machineType\":\"n1-standard-4\"},\"containerSpec\":{\"imageUri\":"
		 "\"i\"}}]}}", 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "command");
	st_http_free(&r);
	b = job_body("true", ",\"scheduling\":{\"strategy\":\"CHEAP\"}", "");
	sbt_call(sb, "POST", JOBS, b, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "strategy");
	st_http_free(&r);
	free(b);
	b = job_body("true", "", ",\"encryptionSpec\":{\"kmsKeyName\":\"projects/p1/locations/"
		     "us-central1/keyRings/ring1/cryptoKeys/nope\"}");
	sbt_call(sb, "POST", JOBS, b, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "does not exist");
	st_http_free(&r);
	free(b);
	sbt_call(sb, "GET", JOBS "/123", NULL, 404, &r);
	st_http_free(&r);
	sbt_call(sb, "POST", JOBS, "{bad", 400, &r);
	st_http_free(&r);
}

static void t_key_needs_vertex_agent(void **state)
{
	st_sandbox sb;
	st_http_resp r;
	char *b;

	sbt_start(&sb, NULL, fast);
	prepare(&sb, false);
	b = job_body("true", "", ",\"encryptionSpec\":{\"kmsKeyName\":\"" KT_KEYNAME "\"}");
	sbt_call(&sb, "POST", JOBS, b, 400, &r);
	ct_error(&r, 400, "FAILED_PRECONDITION", "gcp-sa-aiplatform");
	st_http_free(&r);
	free(b);
	st_sandbox_stop(&sb, SIGTERM, false);
}

static void t_cancel_and_delete(void **state)
{
	st_sandbox *sb = *state;
	char *body = job_body("echo started; sleep 30", "", "");
	char *name = create(sb, body), *path = job_path(name), *cancel, *opp;
	st_http_resp r;

	ct_until(sb, path, "state", "JOB_STATE_RUNNING", 10000);
	sbt_call(sb, "DELETE", path, NULL, 400, &r);
	ct_error(&r, 400, "FAILED_PRECONDITION", "cancel");
	st_http_free(&r);
	cancel = st_xasprintf("%s:cancel", path);
	sbt_call(sb, "POST", cancel, "{}", 200, &r);
	st_http_free(&r);
	ct_until(sb, path, "state", "JOB_STATE_CANCELLED", 5000);
	sbt_call(sb, "GET", path, NULL, 200, &r);
	assert_int_equal(json_integer_value(stj_get(r.json, "error.code")), 1);
	st_http_free(&r);
	sbt_call(sb, "POST", cancel, "{}", 400, &r);
	st_http_free(&r);
	sbt_call(sb, "DELETE", path, NULL, 200, &r);
	assert_true(stj_bool(r.json, "done", false));
	assert_non_null(strstr(sbt_str(&r, "name"), "/operations/"));
	opp = st_xasprintf("/v1/%s", sbt_str(&r, "name"));
	st_http_free(&r);
	sbt_call(sb, "GET", opp, NULL, 200, &r);
	assert_true(stj_bool(r.json, "done", false));
	st_http_free(&r);
	sbt_call(sb, "GET", path, NULL, 404, &r);
	st_http_free(&r);
	free(opp);
	free(cancel);
	free(path);
	free(name);
	free(body);
}

static void t_flex_start_waits_for_capacity(void **state)
{
	st_sandbox *sb = *state;
	json_t *op;
	char *std = job_body("true", "", ""), *flex, *name, *path;
	st_http_resp r;

	/* The zone's only GPU goes to a VM. */
	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"hog\",\"machineType\":\"a3-highgpu-1g\","
		   "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}");
	assert_null(stj_get(op, "error"));
	json_decref(op);
	/* STANDARD: fails for lack of capacity. */
	name = create(sb, std);
	path = job_path(name);
	ct_until(sb, path, "state", "JOB_STATE_FAILED", 5000);
	sbt_call(sb, "GET", path, NULL, 200, &r);
	assert_int_equal(json_integer_value(stj_get(r.json, "error.code")), 8);
	st_http_free(&r);
	free(path);
	free(name);
	/* FLEX_START: waits in PENDING, then runs once the VM is gone. */
	flex = job_body("echo flex-ran", ",\"scheduling\":{\"strategy\":\"FLEX_START\","
			"\"maxWaitDuration\":\"3600s\"}", "");
	name = create(sb, flex);
	path = job_path(name);
	ct_until(sb, path, "state", "JOB_STATE_PENDING", 5000);
	ct_sleep_ms(1000);
	ct_until(sb, path, "state", "JOB_STATE_PENDING", 0);
	json_decref(ct_op(sb, "DELETE", CZ "/instances/hog", NULL));
	ct_until(sb, path, "state", "JOB_STATE_SUCCEEDED", 10000);
	free(path);
	free(name);
	free(flex);
	free(std);
}

static void t_restart_keeps_jobs(void **state)
{
	st_sandbox *sb = *state;
	char *body = job_body("echo ok", "", ""), *name = create(sb, body), *path = job_path(name);
	char *dir = st_xstrdup(sb->state);
	char *lbody = job_body("sleep 30", "", ""), *lname, *lpath;
	st_http_resp r;

	ct_until(sb, path, "state", "JOB_STATE_SUCCEEDED", 10000);
	lname = create(sb, lbody);
	lpath = job_path(lname);
	ct_until(sb, lpath, "state", "JOB_STATE_RUNNING", 10000);
	st_sandbox_stop(sb, SIGTERM, true);
	free(sb->state);
	free(sb->log);
	assert_int_equal(st_sandbox_start(sb, dir, fast), 0);
	sb->own_state = true;
	ct_until(sb, path, "state", "JOB_STATE_SUCCEEDED", 0);
	/* A job cut off by the restart says so instead of hanging in RUNNING. */
	ct_until(sb, lpath, "state", "JOB_STATE_FAILED", 0);
	sbt_call(sb, "GET", lpath, NULL, 200, &r);
	assert_non_null(strstr(sbt_str(&r, "error.message"), "restarted"));
	st_http_free(&r);
	free(lpath);
	free(lname);
	free(lbody);
	free(dir);
	free(path);
	free(name);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_job_writes_into_bucket, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_failures, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_validation, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_write_back_failure_keeps_outputs, setup, sbt_free),
		cmocka_unit_test(t_key_needs_vertex_agent),
		cmocka_unit_test_setup_teardown(t_cancel_and_delete, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_flex_start_waits_for_capacity, setup_one_gpu,
						sbt_free),
		cmocka_unit_test_setup_teardown(t_restart_keeps_jobs, setup, sbt_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
