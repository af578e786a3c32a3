/* Integration tests: Cloud Storage under customer-managed keys (reads fail while the
 * key version is disabled or destroyed, or the agent lost its grant; rotation;
 * data at rest is ciphertext; restarts; lifecycle transitions in scaled time). */
#include "tests/integration/test_sb_kms_util.h"

#include <pthread.h>
#include <signal.h>

#define BKT "bkt-c"
#define V1 KT_KEY "/cryptoKeyVersions/1"

static const char secret[] = "label,feature\n1,TOP-SECRET-ROW-0001\n";

static void upload_secret(const st_sandbox *sb, const char *name)
{
	st_http_resp r;
	kt_upload(sb, BKT, name, secret, sizeof secret - 1, 200, &r);
	st_http_free(&r);
}

static void expect_read(const st_sandbox *sb, const char *name, long want, const char *needle)
{
	st_http_resp r;
	kt_download(sb, BKT, name, NULL, want, &r);
	if (want == 200)
		assert_memory_equal(r.body, secret, sizeof secret - 1);
	else
		kt_error(&r, want, want == 403 ? "PERMISSION_DENIED" : "FAILED_PRECONDITION", needle);
	st_http_free(&r);
}

static void disabled_version_blocks_reads(void **st)
{
	st_sandbox *sb = kt_live();
	sbt_start(sb, NULL, NULL);
	kt_cmek_bucket(sb, BKT);
	upload_secret(sb, "s.csv");
	expect_read(sb, "s.csv", 200, NULL);
	kt_do(sb, "PATCH", V1 "?updateMask=state", "{\"state\":\"DISABLED\"}", 200);
	expect_read(sb, "s.csv", 400, "DISABLED");
	/* metadata stays readable; writes under a disabled primary fail too */
	kt_do(sb, "GET", "/storage/v1/b/" BKT "/o/s.csv", NULL, 200);
	st_http_resp r;
	kt_upload(sb, BKT, "t.csv", "x", 1, 400, &r);
	kt_error(&r, 400, "FAILED_PRECONDITION", "DISABLED");
	st_http_free(&r);
	kt_do(sb, "PATCH", V1 "?updateMask=state", "{\"state\":\"ENABLED\"}", 200);
	expect_read(sb, "s.csv", 200, NULL);
	/* scheduled for destruction: unreadable at once */
	kt_do(sb, "POST", V1 ":destroy", "{}", 200);
	expect_read(sb, "s.csv", 400, "DESTROY_SCHEDULED");
	kt_do(sb, "POST", V1 ":restore", "{}", 200);
	kt_do(sb, "PATCH", V1 "?updateMask=state", "{\"state\":\"ENABLED\"}", 200);
	expect_read(sb, "s.csv", 200, NULL);
	st_sandbox_stop(sb, SIGTERM, false);
}

static void rotation_keeps_old_objects_readable(void **st)
{
	st_sandbox *sb = kt_live();
	st_http_resp r;
	sbt_start(sb, NULL, NULL);
	kt_cmek_bucket(sb, BKT);
	upload_secret(sb, "old");
	kt_do(sb, "POST", KT_KEY "/cryptoKeyVersions", "{}", 200);
	kt_do(sb, "POST", KT_KEY ":updatePrimaryVersion", "{\"cryptoKeyVersionId\":\"2\"}", 200);
	kt_upload(sb, BKT, "new", secret, sizeof secret - 1, 200, &r);
	assert_string_equal(sbt_str(&r, "kmsKeyName"), KT_KEYNAME "/cryptoKeyVersions/2");
	st_http_free(&r);
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o/old", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "kmsKeyName"), KT_KEYNAME "/cryptoKeyVersions/1");
	st_http_free(&r);
	expect_read(sb, "old", 200, NULL);
	expect_read(sb, "new", 200, NULL);
	/* disabling version 1 affects only what it protects */
	kt_do(sb, "PATCH", V1 "?updateMask=state", "{\"state\":\"DISABLED\"}", 200);
	expect_read(sb, "old", 400, "cryptoKeyVersions/1");
	expect_read(sb, "new", 200, NULL);
	st_sandbox_stop(sb, SIGTERM, false);
}

static void revoked_agent_cannot_read_or_write(void **st)
{
	st_sandbox *sb = kt_live();
	st_http_resp r;
	sbt_start(sb, NULL, NULL);
	kt_cmek_bucket(sb, BKT);
	upload_secret(sb, "s");
	kt_grant(sb, KT_KEY, KT_ED, "\"" KT_OPERATOR "\"");
	expect_read(sb, "s", 403, "gs-project-accounts");
	kt_upload(sb, BKT, "s2", "x", 1, 403, &r);
	kt_error(&r, 403, "PERMISSION_DENIED", "roles/cloudkms.cryptoKeyEncrypterDecrypter");
	st_http_free(&r);
	/* a resumable session checks the grant when it starts */
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=resumable"
				 "&name=s3", "{}", 2, "application/json", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 403);
	st_http_free(&r);
	st_sandbox_stop(sb, SIGTERM, false);
}

static void data_at_rest_is_ciphertext_and_survives_restarts(void **st)
{
	char *state = st_test_tmpdir("gcs-restart");
	st_sandbox *sb = kt_live();
	sbt_start(sb, state, NULL);
	kt_cmek_bucket(sb, BKT);
	upload_secret(sb, "s");
	st_http_resp r;
	kt_do(sb, "POST", "/storage/v1/b?project=p1", "{\"name\":\"plain\"}", 200);
	kt_upload(sb, "plain", "p", secret, sizeof secret - 1, 200, &r);
	st_http_free(&r);
	/* an unfinished resumable upload holds its first chunk encrypted too */
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=resumable"
				 "&name=partial", "{}", 2, "application/json", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	char loc[512];
	st_http_header(&r, "Location", loc, sizeof loc);
	st_http_free(&r);
	char *chunk = st_xmalloc(262144);
	for (size_t i = 0; i + sizeof secret <= 262144; i += sizeof secret)
		memcpy(chunk + i, secret, sizeof secret);
	const char *cr[] = {"Content-Range: bytes 0-262143/*", NULL};
	assert_int_equal(st_http(sb, "PUT", loc, chunk, 262144, "text/plain", NULL, cr, &r), 0);
	assert_int_equal(r.status, 308);
	st_http_free(&r);
	free(chunk);
	kt_stop_keep(sb, SIGTERM);
	assert_false(kt_tree_contains(state, "TOP-SECRET-ROW"));
	assert_int_equal(st_sandbox_start(sb, state, NULL), 0);
	expect_read(sb, "s", 200, NULL);
	kt_download(sb, "plain", "p", NULL, 200, &r);
	assert_memory_equal(r.body, secret, sizeof secret - 1);
	st_http_free(&r);
	upload_secret(sb, "after");
	kt_stop_keep(sb, SIGKILL);
	assert_int_equal(st_sandbox_start(sb, state, NULL), 0);
	expect_read(sb, "s", 200, NULL);
	expect_read(sb, "after", 200, NULL);
	kt_stop_keep(sb, SIGTERM);
	st_test_rmtree(state);
	free(state);
}

typedef struct bg_upload {
	const st_sandbox *sb;
	unsigned char *data;
	size_t len;
} bg_upload;

static void *upload_in_background(void *arg)
{
	bg_upload *u = arg;
	st_http_resp r;
	/* the answer does not matter: the sandbox is killed under it */
	if (st_http(u->sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=media&name=s",
		    (const char *)u->data, u->len, "application/octet-stream", NULL, NULL, &r) == 0)
		st_http_free(&r);
	return NULL;
}

/* kill -9 while a large overwrite is being received or encrypted: after a restart
 * the object is either the old generation or the new one, whole and readable. */
static void kill_during_upload_loses_nothing(void **st)
{
	char *state = st_test_tmpdir("gcs-kill");
	st_sandbox *sb = kt_live();
	sbt_start(sb, state, NULL);
	kt_cmek_bucket(sb, BKT);
	upload_secret(sb, "s");
	bg_upload u = {.sb = sb, .len = 48u << 20};
	u.data = kt_bytes(u.len, 11);
	/* early, middling and late kills, then one after the upload has surely finished */
	const int delays_ms[] = {30, 150, 270, 4000};
	for (size_t d = 0; d < 4; d++) {
		int delay_ms = delays_ms[d];
		pthread_t th;
		pthread_create(&th, NULL, upload_in_background, &u);
		usleep((useconds_t)delay_ms * 1000);
		kt_stop_keep(sb, SIGKILL);
		pthread_join(th, NULL);
		assert_int_equal(st_sandbox_start(sb, state, NULL), 0);
		st_http_resp r;
		kt_download(sb, BKT, "s", NULL, 200, &r);
		bool old = r.len == sizeof secret - 1 && !memcmp(r.body, secret, r.len);
		bool new = r.len == u.len && !memcmp(r.body, u.data, r.len);
		assert_true(old || new);
		st_http_free(&r);
		sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o?versions=true", NULL, 200, &r);
		size_t n = json_array_size(json_object_get(r.json, "items"));
		assert_true(n >= 1);
		st_http_free(&r);
	}
	free(u.data);
	kt_stop_keep(sb, SIGTERM);
	st_test_rmtree(state);
	free(state);
}

static void lifecycle_moves_classes_in_scaled_time(void **st)
{
	st_sandbox *sb = kt_live();
	/* a sandbox day lasts 0.864 s of real time (100000 is the sandbox's top speed) */
	const char *args[] = {"--time-scale", "100000", NULL};
	sbt_start(sb, NULL, args);
	kt_do(sb, "POST", "/storage/v1/b?project=p1",
	      "{\"name\":\"lcb\",\"lifecycle\":{\"rule\":["
	      "{\"action\":{\"type\":\"SetStorageClass\",\"storageClass\":\"NEARLINE\"},"
	      "\"condition\":{\"age\":1,\"matchesStorageClass\":[\"STANDARD\"]}},"
	      "{\"action\":{\"type\":\"SetStorageClass\",\"storageClass\":\"COLDLINE\"},"
	      "\"condition\":{\"age\":3,\"matchesStorageClass\":[\"NEARLINE\"]}},"
	      "{\"action\":{\"type\":\"Delete\"},\"condition\":{\"age\":5,"
	      "\"matchesPrefix\":[\"tmp/\"]}}]}}", 200);
	st_http_resp r;
	kt_upload(sb, "lcb", "data.csv", "abc", 3, 200, &r);
	assert_string_equal(sbt_str(&r, "storageClass"), "STANDARD");
	st_http_free(&r);
	kt_upload(sb, "lcb", "tmp%2Fscratch", "abc", 3, 200, &r);
	st_http_free(&r);
	assert_true(kt_wait_field(sb, "/storage/v1/b/lcb/o/data.csv", "storageClass", "NEARLINE",
				  8000));
	assert_true(kt_wait_field(sb, "/storage/v1/b/lcb/o/data.csv", "storageClass", "COLDLINE",
				  15000));
	bool gone = false;
	for (int i = 0; i < 300 && !gone; i++, usleep(100000)) {
		memset(&r, 0, sizeof r);
		assert_int_equal(st_http_json(sb, "GET", "/storage/v1/b/lcb/o/tmp%2Fscratch", NULL, &r),
				 0);
		gone = r.status == 404;
		st_http_free(&r);
	}
	assert_true(gone);
	/* an unfinished resumable session lapses after a week of sandbox time */
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/lcb/o?uploadType=resumable"
				 "&name=later", "{}", 2, "application/json", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	char loc[512];
	st_http_header(&r, "Location", loc, sizeof loc);
	st_http_free(&r);
	const char *q[] = {"Content-Range: bytes */*", NULL};
	assert_int_equal(st_http(sb, "PUT", loc, "", 0, "text/plain", NULL, q, &r), 0);
	assert_int_equal(r.status, 308);
	st_http_free(&r);
	bool lapsed = false;
	for (int i = 0; i < 200 && !lapsed; i++, usleep(100000)) {
		assert_int_equal(st_http(sb, "PUT", loc, "", 0, "text/plain", NULL, q, &r), 0);
		lapsed = r.status == 404;
		st_http_free(&r);
	}
	assert_true(lapsed);
	/* the moved object still reads back */
	sbt_call(sb, "GET", "/storage/v1/b/lcb/o/data.csv?alt=media", NULL, 200, &r);
	assert_memory_equal(r.body, "abc", 3);
	st_http_free(&r);
	st_sandbox_stop(sb, SIGTERM, false);
}

/* Entries in the data_access log whose methodName is method. */
static size_t data_access_count(const st_sandbox *sb, const char *method)
{
	char *body = st_xasprintf(
		"{\"resourceNames\":[\"projects/p1\"],\"pageSize\":1000,\"filter\":"
		"\"logName=\\\"projects/p1/logs/cloudaudit.googleapis.com%%2Fdata_access\\\" AND "
		"protoPayload.methodName=\\\"%s\\\"\"}", method);
	st_http_resp r;
	sbt_call(sb, "POST", "/v2/entries:list", body, 200, &r);
	size_t n = json_array_size(json_object_get(r.json, "entries"));
	st_http_free(&r);
	free(body);
	return n;
}

static void data_access_audit_only_when_enabled(void **st)
{
	st_sandbox *sb = kt_live();
	sbt_start(sb, NULL, NULL);
	kt_cmek_bucket(sb, BKT);
	upload_secret(sb, "s");
	expect_read(sb, "s", 200, NULL);
	kt_do(sb, "POST", KT_KEY ":encrypt", "{\"plaintext\":\"aGk=\"}", 200);
	assert_int_equal(data_access_count(sb, "storage.objects.get"), 0);
	assert_int_equal(data_access_count(sb, "Encrypt"), 0);
	st_http_resp r;
	sbt_call(sb, "POST", "/v1/projects/p1:getIamPolicy", "{}", 200, &r);
	json_t *pol = json_deep_copy(r.json);
	st_http_free(&r);
	json_object_set_new(pol, "auditConfigs", json_pack(
		"[{s:s, s:[{s:s}, {s:s}]}]", "service", "allServices", "auditLogConfigs",
		"logType", "DATA_READ", "logType", "DATA_WRITE"));
	json_t *req = json_pack("{s:o, s:s}", "policy", pol, "updateMask", "bindings,etag,auditConfigs");
	char *body = json_dumps(req, JSON_COMPACT);
	kt_do(sb, "POST", "/v1/projects/p1:setIamPolicy", body, 200);
	expect_read(sb, "s", 200, NULL);
	upload_secret(sb, "s2");
	kt_do(sb, "POST", KT_KEY ":encrypt", "{\"plaintext\":\"aGk=\"}", 200);
	assert_int_equal(data_access_count(sb, "storage.objects.get"), 1);
	assert_int_equal(data_access_count(sb, "storage.objects.create"), 1);
	assert_int_equal(data_access_count(sb, "Encrypt"), 1);
	free(body);
	json_decref(req);
	st_sandbox_stop(sb, SIGTERM, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(disabled_version_blocks_reads, kt_stop_live),
		cmocka_unit_test_teardown(rotation_keeps_old_objects_readable, kt_stop_live),
		cmocka_unit_test_teardown(revoked_agent_cannot_read_or_write, kt_stop_live),
		cmocka_unit_test_teardown(data_at_rest_is_ciphertext_and_survives_restarts, kt_stop_live),
		cmocka_unit_test_teardown(kill_during_upload_loses_nothing, kt_stop_live),
		cmocka_unit_test_teardown(lifecycle_moves_classes_in_scaled_time, kt_stop_live),
		cmocka_unit_test_teardown(data_access_audit_only_when_enabled, kt_stop_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
