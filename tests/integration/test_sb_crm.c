/* Resource Manager against the real sandbox: project IAM policy read-modify-write
 * with etags, conditions and version 3, auditConfigs behind updateMask, and the Data
 * Access audit logs those configs switch on. */
#include "tests/integration/test_sb_core_util.h"

static st_sandbox sb;

static int setup(void **state)
{
	(void)state;
	if (st_sandbox_start(&sb, NULL, NULL) < 0)
		return -1;
	return st_sandbox_enable_all(&sb, "p1");
}

static int teardown(void **state)
{
	(void)state;
	sbt_stop(&sb);
	return 0;
}

static json_t *get_policy(const char *body)
{
	st_http_resp r;
	sbt_call(&sb, "POST", "/v1/projects/p1:getIamPolicy", body, 200, &r);
	json_t *p = json_incref(r.json);
	st_http_free(&r);
	return p;
}

static void set_policy(json_t *policy, const char *mask, long want, st_http_resp *r)
{
	json_t *req = json_pack("{s:O}", "policy", policy);
	if (mask)
		json_object_set_new(req, "updateMask", json_string(mask));
	char *text = json_dumps(req, JSON_COMPACT);
	sbt_call(&sb, "POST", "/v1/projects/p1:setIamPolicy", text, want, r);
	free(text);
	json_decref(req);
}

static void t_default_policy(void **state)
{
	json_t *p = get_policy("{}");
	assert_int_equal(json_integer_value(json_object_get(p, "version")), 1);
	assert_non_null(json_string_value(json_object_get(p, "etag")));
	json_t *b = json_array_get(json_object_get(p, "bindings"), 0);
	assert_string_equal(json_string_value(json_object_get(b, "role")), "roles/owner");
	json_decref(p);
	st_http_resp r;
	sbt_call(&sb, "GET", "/v1/projects/p1", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "projectId"), "p1");
	assert_string_equal(sbt_str(&r, "lifecycleState"), "ACTIVE");
	assert_true(json_is_string(json_object_get(r.json, "projectNumber")));
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v3/projects/p1", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "ACTIVE");
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/p1:testIamPermissions",
		 "{\"permissions\":[\"iam.serviceAccounts.create\",\"logging.sinks.create\"]}", 200,
		 &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "permissions")), 2);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/p1:testIamPermissions", "{}", 400, &r);
	st_http_free(&r);
	(void)state;
}

static void t_read_modify_write_etag(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "POST", "/v1/projects/p1/serviceAccounts", "{\"accountId\":\"crm-runner\"}",
		 200, &r);
	st_http_free(&r);
	json_t *p = get_policy("{\"options\":{\"requestedPolicyVersion\":3}}");
	char *old_etag = st_xstrdup(json_string_value(json_object_get(p, "etag")));
	json_array_append_new(json_object_get(p, "bindings"),
			      json_pack("{s:s, s:[s]}", "role", "roles/aiplatform.user", "members",
					"serviceAccount:crm-runner@p1.iam.gserviceaccount.com"));
	set_policy(p, NULL, 200, &r);
	const char *new_etag = sbt_str(&r, "etag");
	assert_string_not_equal(new_etag, old_etag);
	assert_int_equal(json_array_size(json_object_get(r.json, "bindings")), 2);
	st_http_free(&r);
	/* A writer holding the old etag loses. */
	set_policy(p, NULL, 409, &r);
	sbt_error(&r, 409, "ABORTED");
	st_http_free(&r);
	json_t *now = get_policy("{}");
	assert_int_equal(json_array_size(json_object_get(now, "bindings")), 2);
	/* Without an etag the write is unconditional. */
	json_object_del(now, "etag");
	set_policy(now, "bindings", 200, &r);
	st_http_free(&r);
	/* v3 serves the same policy. */
	json_t *body = json_pack("{s:O}", "policy", now);
	char *text = json_dumps(body, JSON_COMPACT);
	sbt_call(&sb, "POST", "/v3/projects/p1:setIamPolicy", text, 200, &r);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v3/projects/p1:getIamPolicy", "{}", 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "bindings")), 2);
	st_http_free(&r);
	free(text);
	json_decref(body);
	json_decref(now);
	json_decref(p);
	free(old_etag);
	(void)state;
}

static void t_policy_validation(void **state)
{
	static const char *const bad[] = {
		"{\"bindings\":[{\"role\":\"owner\",\"members\":[\"user:a@b.c\"]}]}",
		"{\"bindings\":[{\"role\":\"roles/viewer\",\"members\":[\"someone\"]}]}",
		"{\"bindings\":[{\"role\":\"roles/viewer\",\"members\":[\"user:nobody\"]}]}",
		"{\"bindings\":[{\"role\":\"roles/viewer\",\"members\":\"user:a@b.c\"}]}",
		"{\"bindings\":[{\"role\":\"roles/viewer\",\"members\":"
		"[\"serviceAccount:ghost-sa@p1.iam.gserviceaccount.com\"]}]}",
		"{\"version\":1,\"bindings\":[{\"role\":\"roles/viewer\",\"members\":[\"user:a@b.c\"],"
		"\"condition\":{\"expression\":\"true\"}}]}",
		"{\"version\":3,\"bindings\":[{\"role\":\"roles/viewer\",\"members\":[\"user:a@b.c\"],"
		"\"condition\":{\"title\":\"no expression\"}}]}",
		"{\"version\":2,\"bindings\":[]}",
		"{\"auditConfigs\":[{\"service\":\"allServices\",\"auditLogConfigs\":"
		"[{\"logType\":\"EVERYTHING\"}]}]}",
		"{\"auditConfigs\":[{\"auditLogConfigs\":[]}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *body = st_xasprintf("{\"policy\":%s,\"updateMask\":\"bindings,auditConfigs\"}",
					  bad[i]);
		st_http_resp r;
		sbt_call(&sb, "POST", "/v1/projects/p1:setIamPolicy", body, 400, &r);
		sbt_error(&r, 400, "INVALID_ARGUMENT");
		assert_non_null(strstr(r.body, "policy."));
		st_http_free(&r);
		free(body);
	}
	st_http_resp r;
	sbt_call(&sb, "POST", "/v1/projects/p1:setIamPolicy", "{}", 400, &r);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/p1:setIamPolicy",
		 "{\"policy\":{},\"updateMask\":\"bindings,owner\"}", 400, &r);
	assert_non_null(strstr(r.body, "updateMask"));
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/p1:getIamPolicy",
		 "{\"options\":{\"requestedPolicyVersion\":5}}", 400, &r);
	st_http_free(&r);
	(void)state;
}

static void t_conditions_need_v3(void **state)
{
	json_t *p = get_policy("{}");
	json_object_set_new(p, "version", json_integer(3));
	json_array_append_new(json_object_get(p, "bindings"),
			      json_pack("{s:s, s:[s], s:{s:s, s:s}}", "role", "roles/viewer",
					"members", "user:temp@example.com", "condition", "title",
					"until", "expression",
					"request.time < timestamp(\"2030-01-01T00:00:00Z\")"));
	st_http_resp r;
	set_policy(p, NULL, 200, &r);
	assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 3);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/p1:getIamPolicy", "{}", 400, &r);
	st_http_free(&r);
	json_t *v3 = get_policy("{\"options\":{\"requestedPolicyVersion\":3}}");
	assert_int_equal(json_integer_value(json_object_get(v3, "version")), 3);
	/* Drop the condition again so later tests read the policy without options. */
	json_t *keep = json_array();
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(v3, "bindings"), i, b)
		if (!json_object_get(b, "condition"))
			json_array_append(keep, b);
	json_object_set_new(v3, "bindings", keep);
	set_policy(v3, NULL, 200, &r);
	st_http_free(&r);
	json_decref(v3);
	json_decref(p);
	(void)state;
}

static size_t count_entries(const char *filter)
{
	json_t *req = json_pack("{s:[s], s:s, s:i}", "resourceNames", "projects/p1", "filter", filter,
				"pageSize", 1000);
	char *text = json_dumps(req, JSON_COMPACT);
	st_http_resp r;
	sbt_call(&sb, "POST", "/v2/entries:list", text, 200, &r);
	size_t n = json_array_size(json_object_get(r.json, "entries"));
	st_http_free(&r);
	free(text);
	json_decref(req);
	return n;
}

static void t_audit_configs_need_mask(void **state)
{
	const char *da = "logName=\"projects/p1/logs/cloudaudit.googleapis.com%2Fdata_access\"";
	st_http_resp r;
	sbt_call(&sb, "GET", "/v1/projects/p1/serviceAccounts", NULL, 200, &r);
	st_http_free(&r);
	assert_int_equal(count_entries(da), 0);
	json_t *p = get_policy("{}");
	json_object_set_new(p, "auditConfigs",
			    json_pack("[{s:s, s:[{s:s}, {s:s}, {s:s}]}]", "service", "allServices",
				      "auditLogConfigs", "logType", "ADMIN_READ", "logType",
				      "DATA_READ", "logType", "DATA_WRITE"));
	/* The default mask (bindings, etag) leaves auditConfigs alone. */
	set_policy(p, NULL, 200, &r);
	assert_null(json_object_get(r.json, "auditConfigs"));
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/p1/serviceAccounts", NULL, 200, &r);
	st_http_free(&r);
	assert_int_equal(count_entries(da), 0);
	json_t *cur = get_policy("{}");
	json_object_set(cur, "auditConfigs", json_object_get(p, "auditConfigs"));
	set_policy(cur, "bindings,etag,auditConfigs", 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "auditConfigs")), 1);
	st_http_free(&r);
	/* Now reads are audited in the data_access log, as ADMIN_READ calls. */
	sbt_call(&sb, "GET", "/v1/projects/p1/serviceAccounts", NULL, 200, &r);
	st_http_free(&r);
	assert_int_equal(count_entries(da), 1); /* this count's own entries:list comes after */
	assert_true(count_entries("logName:\"data_access\" AND protoPayload.methodName="
				  "\"google.iam.admin.v1.ListServiceAccounts\"") == 1);
	/* Removing the configs (mask names them, list empty) turns it off again. */
	json_t *off = get_policy("{}");
	json_object_del(off, "auditConfigs");
	set_policy(off, "auditConfigs", 200, &r);
	st_http_free(&r);
	size_t before = count_entries(da);
	sbt_call(&sb, "GET", "/v1/projects/p1/serviceAccounts", NULL, 200, &r);
	st_http_free(&r);
	assert_int_equal(count_entries(da), before);
	json_decref(off);
	json_decref(cur);
	json_decref(p);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_default_policy),
		cmocka_unit_test(t_read_modify_write_etag),
		cmocka_unit_test(t_policy_validation),
		cmocka_unit_test(t_conditions_need_v3),
		cmocka_unit_test(t_audit_configs_need_mask),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
