/* Integration tests: Cloud Storage buckets in the real sealtrain-sandbox (insert with
 * a CMEK default key and the service-agent grant, get, list, patch, delete). */
#include "tests/integration/test_sb_kms_util.h"

#include <signal.h>

static int setup(void **st)
{
	*st = sbt_new(NULL);
	return 0;
}

static void service_agent(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	sbt_call(sb, "GET", "/storage/v1/projects/p1/serviceAccount", NULL, 200, &r);
	const char *e = sbt_str(&r, "email_address");
	assert_non_null(e);
	assert_true(st_starts_with(e, "service-"));
	assert_true(st_ends_with(e, "@gs-project-accounts.iam.gserviceaccount.com"));
	assert_string_equal(sbt_str(&r, "kind"), "storage#serviceAccount");
	st_http_free(&r);
}

static const char recipe_bucket[] =
	"{\"name\":\"bkt-1\",\"location\":\"US-CENTRAL1\",\"storageClass\":\"STANDARD\","
	"\"encryption\":{\"defaultKmsKeyName\":\"" KT_KEYNAME "\"},"
	"\"versioning\":{\"enabled\":true},"
	"\"iamConfiguration\":{\"uniformBucketLevelAccess\":{\"enabled\":true}},"
	"\"lifecycle\":{\"rule\":["
	"{\"action\":{\"type\":\"SetStorageClass\",\"storageClass\":\"NEARLINE\"},"
	"\"condition\":{\"age\":30,\"matchesStorageClass\":[\"STANDARD\"]}},"
	"{\"action\":{\"type\":\"SetStorageClass\",\"storageClass\":\"COLDLINE\"},"
	"\"condition\":{\"age\":90,\"matchesStorageClass\":[\"NEARLINE\"]}}]}}";

static void cmek_bucket_needs_agent_grant(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_make_key(sb);
	/* the operator alone holding the role is not enough: the agent does the crypto */
	kt_grant(sb, KT_KEY, KT_ED, "\"" KT_OPERATOR "\"");
	sbt_call(sb, "POST", "/storage/v1/b?project=p1", recipe_bucket, 403, &r);
	kt_error(&r, 403, "PERMISSION_DENIED", "roles/cloudkms.cryptoKeyEncrypterDecrypter");
	const char *msg = sbt_str(&r, "error.message");
	assert_non_null(strstr(msg, "@gs-project-accounts.iam.gserviceaccount.com"));
	assert_non_null(strstr(msg, KT_KEYNAME));
	assert_string_equal(sbt_str(&r, "error.errors.0.reason"), "forbidden");
	st_http_free(&r);
	sbt_call(sb, "GET", "/storage/v1/b/bkt-1", NULL, 404, &r);
	st_http_free(&r);
	char *agent = kt_agent_member(sb);
	char *members = st_xasprintf("\"%s\",\"%s\"", KT_OPERATOR, agent);
	kt_grant(sb, KT_KEY, KT_ED, members);
	sbt_call(sb, "POST", "/storage/v1/b?project=p1", recipe_bucket, 200, &r);
	assert_string_equal(sbt_str(&r, "kind"), "storage#bucket");
	assert_string_equal(sbt_str(&r, "name"), "bkt-1");
	assert_string_equal(sbt_str(&r, "location"), "US-CENTRAL1");
	assert_string_equal(sbt_str(&r, "encryption.defaultKmsKeyName"), KT_KEYNAME);
	assert_true(json_is_true(json_object_get(json_object_get(r.json, "versioning"), "enabled")));
	assert_int_equal(json_array_size(json_object_get(json_object_get(r.json, "lifecycle"),
							 "rule")), 2);
	assert_non_null(sbt_str(&r, "projectNumber"));
	assert_null(json_object_get(r.json, "_project"));
	st_http_free(&r);
	sbt_call(sb, "POST", "/storage/v1/b?project=p1", recipe_bucket, 409, &r);
	kt_error(&r, 409, "ALREADY_EXISTS", NULL);
	assert_string_equal(sbt_str(&r, "error.errors.0.reason"), "conflict");
	st_http_free(&r);
	sbt_call(sb, "GET", "/storage/v1/b/bkt-1", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "lifecycle.rule.1.action.storageClass"), "COLDLINE");
	st_http_free(&r);
	free(members);
	free(agent);
}

static void project_level_grant_is_enough(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_make_key(sb);
	sbt_call(sb, "POST", "/v1/projects/p1:getIamPolicy", "{}", 200, &r);
	json_t *pol = json_deep_copy(r.json);
	st_http_free(&r);
	json_t *bindings = json_object_get(pol, "bindings");
	if (!bindings) {
		bindings = json_array();
		json_object_set_new(pol, "bindings", bindings);
	}
	char *agent = kt_agent_member(sb);
	json_array_append_new(bindings, json_pack("{s:s, s:[s]}", "role", KT_ED, "members", agent));
	json_t *req = json_pack("{s:o}", "policy", pol);
	char *body = json_dumps(req, JSON_COMPACT);
	kt_do(sb, "POST", "/v1/projects/p1:setIamPolicy", body, 200);
	kt_do(sb, "POST", "/storage/v1/b?project=p1", recipe_bucket, 200);
	free(body);
	json_decref(req);
	free(agent);
}

static void bucket_insert_errors(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_make_key(sb);
	struct {
		const char *path, *body, *needle;
		long code;
	} bad[] = {
		{"/storage/v1/b", "{\"name\":\"okname\"}", "project", 400},
		{"/storage/v1/b?project=p1", "{\"name\":\"UPPER\"}", "bucket name", 400},
		{"/storage/v1/b?project=p1", "{\"name\":\"ab\"}", "bucket name", 400},
		{"/storage/v1/b?project=p1", "{\"name\":\"-dash\"}", "bucket name", 400},
		{"/storage/v1/b?project=p1", "{}", "bucket name", 400},
		{"/storage/v1/b?project=p1", "{\"name\":", NULL, 400},
		{"/storage/v1/b?project=p1", "{\"name\":\"okname\",\"storageClass\":\"HOT\"}",
		 "storageClass", 400},
		{"/storage/v1/b?project=p1", "{\"name\":\"okname\",\"versioning\":{\"enabled\":1}}",
		 "versioning", 400},
		{"/storage/v1/b?project=p1", "{\"name\":\"okname\",\"lifecycle\":{\"rule\":"
		 "[{\"action\":{\"type\":\"Explode\"},\"condition\":{\"age\":1}}]}}",
		 "lifecycle.rule[0].action.type", 400},
		{"/storage/v1/b?project=p1", "{\"name\":\"okname\",\"encryption\":{\"defaultKmsKeyName\":"
		 "\"projects/p1/locations/us-central1/keyRings/ring1/cryptoKeys/nope\"}}",
		 "does not exist", 400},
		{"/storage/v1/b?project=p1", "{\"name\":\"okname\",\"location\":\"EU\","
		 "\"encryption\":{\"defaultKmsKeyName\":\"" KT_KEYNAME "\"}}", "location", 400},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		sbt_call(sb, "POST", bad[i].path, bad[i].body, bad[i].code, &r);
		kt_error(&r, bad[i].code, "INVALID_ARGUMENT", bad[i].needle);
		assert_non_null(json_object_get(json_object_get(r.json, "error"), "errors"));
		st_http_free(&r);
	}
	sbt_call(sb, "GET", "/storage/v1/b/okname", NULL, 404, &r);
	kt_error(&r, 404, "NOT_FOUND", "bucket does not exist");
	st_http_free(&r);
}

static void bucket_get_list_patch_delete(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_do(sb, "POST", "/storage/v1/b?project=p1", "{\"name\":\"b-one\"}", 200);
	kt_do(sb, "POST", "/storage/v1/b?project=p1", "{\"name\":\"b-two\",\"location\":\"eu\"}", 200);
	sbt_call(sb, "GET", "/storage/v1/b?project=p1&maxResults=1", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "items.0.name"), "b-one");
	assert_string_equal(sbt_str(&r, "items.0.location"), "US");
	char *next = st_xasprintf("/storage/v1/b?project=p1&maxResults=1&pageToken=%s",
				  sbt_str(&r, "nextPageToken"));
	st_http_free(&r);
	sbt_call(sb, "GET", next, NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "items.0.name"), "b-two");
	assert_string_equal(sbt_str(&r, "items.0.locationType"), "multi-region");
	assert_null(sbt_str(&r, "nextPageToken"));
	st_http_free(&r);
	free(next);
	/* another project: its Storage API is off */
	sbt_call(sb, "GET", "/storage/v1/b?project=other", NULL, 403, &r);
	st_http_free(&r);
	sbt_call(sb, "PATCH", "/storage/v1/b/b-one",
		 "{\"versioning\":{\"enabled\":true},\"labels\":{\"a\":\"b\"},\"lifecycle\":{\"rule\":"
		 "[{\"action\":{\"type\":\"Delete\"},\"condition\":{\"age\":400}}]}}", 200, &r);
	assert_string_equal(sbt_str(&r, "metageneration"), "2");
	assert_string_equal(sbt_str(&r, "labels.a"), "b");
	st_http_free(&r);
	sbt_call(sb, "PATCH", "/storage/v1/b/b-one", "{\"lifecycle\":{\"rule\":[{}]}}", 400, &r);
	st_http_free(&r);
	sbt_call(sb, "PATCH", "/storage/v1/b/b-one", "{\"labels\":null}", 200, &r);
	assert_null(json_object_get(r.json, "labels"));
	st_http_free(&r);
	/* a bucket holding any generation cannot go */
	kt_upload(sb, "b-one", "x", "x", 1, 200, &r);
	st_http_free(&r);
	sbt_call(sb, "DELETE", "/storage/v1/b/b-one", NULL, 409, &r);
	kt_error(&r, 409, "FAILED_PRECONDITION", "not empty");
	st_http_free(&r);
	kt_do(sb, "DELETE", "/storage/v1/b/b-one/o/x", NULL, 204);
	/* versioning keeps a noncurrent generation: still not empty */
	kt_do(sb, "DELETE", "/storage/v1/b/b-one", NULL, 409);
	sbt_call(sb, "GET", "/storage/v1/b/b-one/o?versions=true", NULL, 200, &r);
	char *gen = st_xasprintf("/storage/v1/b/b-one/o/x?generation=%s",
				 sbt_str(&r, "items.0.generation"));
	st_http_free(&r);
	kt_do(sb, "DELETE", gen, NULL, 204);
	kt_do(sb, "DELETE", "/storage/v1/b/b-one", NULL, 204);
	kt_do(sb, "GET", "/storage/v1/b/b-one", NULL, 404);
	kt_do(sb, "DELETE", "/storage/v1/b/b-one", NULL, 404);
	free(gen);
}

static void bucket_iam_policy(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_do(sb, "POST", "/storage/v1/b?project=p1", "{\"name\":\"sink-dest\"}", 200);
	sbt_call(sb, "GET", "/storage/v1/b/sink-dest/iam", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "kind"), "storage#policy");
	assert_string_equal(sbt_str(&r, "resourceId"), "projects/_/buckets/sink-dest");
	assert_string_equal(sbt_str(&r, "bindings.0.role"), "roles/storage.legacyBucketOwner");
	json_t *pol = json_deep_copy(r.json);
	st_http_free(&r);
	/* grant a log sink's writer identity object creation, read-modify-write */
	json_array_append_new(json_object_get(pol, "bindings"),
			      json_pack("{s:s, s:[s]}", "role", "roles/storage.objectCreator",
					"members", "serviceAccount:sink-writer@logging.example"));
	char *body = json_dumps(pol, JSON_COMPACT);
	sbt_call(sb, "PUT", "/storage/v1/b/sink-dest/iam", body, 200, &r);
	assert_string_not_equal(sbt_str(&r, "etag"), json_string_value(json_object_get(pol, "etag")));
	st_http_free(&r);
	sbt_call(sb, "GET", "/storage/v1/b/sink-dest/iam", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "bindings.2.role"), "roles/storage.objectCreator");
	assert_string_equal(sbt_str(&r, "bindings.2.members.0"),
			    "serviceAccount:sink-writer@logging.example");
	st_http_free(&r);
	/* the same (now stale) etag again */
	sbt_call(sb, "PUT", "/storage/v1/b/sink-dest/iam", body, 412, &r);
	kt_error(&r, 412, "FAILED_PRECONDITION", "etag");
	assert_string_equal(sbt_str(&r, "error.errors.0.reason"), "conditionNotMet");
	st_http_free(&r);
	sbt_call(sb, "PUT", "/storage/v1/b/sink-dest/iam",
		 "{\"bindings\":[{\"role\":\"roles/storage.objectViewer\",\"members\":[\"x\"]}]}",
		 400, &r);
	st_http_free(&r);
	kt_do(sb, "PUT", "/storage/v1/b/sink-dest/iam", "{\"bindings\":", 400);
	kt_do(sb, "GET", "/storage/v1/b/nope/iam", NULL, 404);
	/* a deleted and re-made bucket starts from the default policy again */
	kt_do(sb, "DELETE", "/storage/v1/b/sink-dest", NULL, 204);
	kt_do(sb, "POST", "/storage/v1/b?project=p1", "{\"name\":\"sink-dest\"}", 200);
	sbt_call(sb, "GET", "/storage/v1/b/sink-dest/iam", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "bindings")), 2);
	st_http_free(&r);
	free(body);
	json_decref(pol);
}

static void storage_api_must_be_enabled(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_do(sb, "POST", "/storage/v1/b?project=p1", "{\"name\":\"b-one\"}", 200);
	sbt_call(sb, "POST", "/v1/projects/p1/services/storage.googleapis.com:disable", "{}", 200, &r);
	st_http_free(&r);
	/* Service Usage answers with an operation; give it a moment to finish */
	bool disabled = false;
	for (int i = 0; i < 50 && !disabled; i++, usleep(100000)) {
		memset(&r, 0, sizeof r);
		assert_int_equal(st_http_json(sb, "GET", "/storage/v1/b/b-one", NULL, &r), 0);
		disabled = r.status == 403;
		if (disabled)
			kt_error(&r, 403, "PERMISSION_DENIED", "storage.googleapis.com");
		st_http_free(&r);
	}
	assert_true(disabled);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(service_agent, setup, sbt_free),
		cmocka_unit_test_setup_teardown(cmek_bucket_needs_agent_grant, setup, sbt_free),
		cmocka_unit_test_setup_teardown(project_level_grant_is_enough, setup, sbt_free),
		cmocka_unit_test_setup_teardown(bucket_insert_errors, setup, sbt_free),
		cmocka_unit_test_setup_teardown(bucket_get_list_patch_delete, setup, sbt_free),
		cmocka_unit_test_setup_teardown(bucket_iam_policy, setup, sbt_free),
		cmocka_unit_test_setup_teardown(storage_api_must_be_enabled, setup, sbt_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
