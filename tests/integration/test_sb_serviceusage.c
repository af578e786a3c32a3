/* Service Usage v1 against the real sandbox: batchEnable and its LRO, get, list with
 * filter and paging, enable/disable, batchGet, and the error paths. */
#include "tests/integration/test_sb_core_util.h"

#include <unistd.h>

static st_sandbox sb;

static int setup(void **state)
{
	(void)state;
	return st_sandbox_start(&sb, NULL, NULL);
}

static int teardown(void **state)
{
	(void)state;
	sbt_stop(&sb);
	return 0;
}

static json_t *wait_done(const char *op)
{
	char *path = st_xasprintf("/v1/%s", op);
	json_t *done = NULL;
	for (int i = 0; i < 300 && !done; i++) {
		st_http_resp r;
		sbt_call(&sb, "GET", path, NULL, 200, &r);
		assert_string_equal(sbt_str(&r, "name"), op);
		if (json_is_true(json_object_get(r.json, "done")))
			done = json_incref(r.json);
		st_http_free(&r);
		if (!done)
			usleep(20000);
	}
	free(path);
	assert_non_null(done);
	return done;
}

static void t_batch_enable_lro(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "GET", "/v1/projects/su-a/services/iam.googleapis.com", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "DISABLED");
	assert_non_null(strstr(sbt_str(&r, "name"), "/services/iam.googleapis.com"));
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/su-a/services:batchEnable",
		 "{\"serviceIds\":[\"iam.googleapis.com\",\"logging.googleapis.com\"]}", 200, &r);
	const char *op = sbt_str(&r, "name");
	assert_non_null(op);
	assert_true(strncmp(op, "operations/", 11) == 0);
	assert_false(json_is_true(json_object_get(r.json, "done")));
	json_t *done = wait_done(op);
	json_t *resp = json_object_get(done, "response");
	assert_non_null(resp);
	assert_string_equal(json_string_value(json_object_get(resp, "@type")),
			    "type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse");
	assert_int_equal(json_array_size(json_object_get(resp, "services")), 2);
	json_decref(done);
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/su-a/services/logging.googleapis.com", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "ENABLED");
	st_http_free(&r);
	/* Another project is untouched. */
	sbt_call(&sb, "GET", "/v1/projects/su-b/services/logging.googleapis.com", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "DISABLED");
	st_http_free(&r);
	(void)state;
}

static void t_batch_enable_errors(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "POST", "/v1/projects/su-c/services:batchEnable", "{}", 400, &r);
	sbt_error(&r, 400, "INVALID_ARGUMENT");
	assert_non_null(strstr(r.body, "serviceIds"));
	st_http_free(&r);
	/* One unknown service fails the whole batch: nothing is enabled. */
	sbt_call(&sb, "POST", "/v1/projects/su-c/services:batchEnable",
		 "{\"serviceIds\":[\"iam.googleapis.com\",\"nosuch.googleapis.com\"]}", 403, &r);
	sbt_error(&r, 403, "PERMISSION_DENIED");
	assert_non_null(strstr(r.body, "nosuch.googleapis.com"));
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/su-c/services:batchEnable",
		 "{\"serviceIds\":[1]}", 400, &r);
	st_http_free(&r);
	st_buf b;
	st_buf_init(&b);
	st_buf_puts(&b, "{\"serviceIds\":[");
	for (int i = 0; i < 21; i++)
		st_buf_printf(&b, "%s\"iam.googleapis.com\"", i ? "," : "");
	st_buf_puts(&b, "]}");
	sbt_call(&sb, "POST", "/v1/projects/su-c/services:batchEnable", b.p, 400, &r);
	st_buf_free(&b);
	st_http_free(&r);
	usleep(700000);
	sbt_call(&sb, "GET", "/v1/projects/su-c/services/iam.googleapis.com", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "DISABLED");
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/su-c/services/nosuch.googleapis.com", NULL, 403, &r);
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/operations/acf.p2-1-nope", NULL, 404, &r);
	sbt_error(&r, 404, "NOT_FOUND");
	st_http_free(&r);
	(void)state;
}

static void t_list_filter_paging(void **state)
{
	assert_int_equal(st_sandbox_enable_all(&sb, "su-d"), 0);
	st_http_resp r;
	sbt_call(&sb, "GET", "/v1/projects/su-d/services?filter=state:DISABLED", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "services")), 0);
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/su-d/services?filter=state:ENABLED", NULL, 200, &r);
	size_t total = json_array_size(json_object_get(r.json, "services"));
	assert_true(total >= 4);
	st_http_free(&r);
	/* Page through one at a time and see every service once. */
	size_t seen = 0;
	char *tok = NULL;
	do {
		char *p = st_xasprintf("/v1/projects/su-d/services?pageSize=1%s%s",
				       tok ? "&pageToken=" : "", tok ? tok : "");
		sbt_call(&sb, "GET", p, NULL, 200, &r);
		free(p);
		free(tok);
		tok = NULL;
		assert_int_equal(json_array_size(json_object_get(r.json, "services")), 1);
		seen++;
		const char *n = sbt_str(&r, "nextPageToken");
		if (n)
			tok = st_url_escape(n);
		st_http_free(&r);
	} while (tok);
	assert_int_equal(seen, total);
	sbt_call(&sb, "GET", "/v1/projects/su-d/services?filter=name:foo", NULL, 400, &r);
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/su-d/services?pageToken=!!!", NULL, 400, &r);
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/su-d/services?pageSize=-3", NULL, 400, &r);
	st_http_free(&r);
	(void)state;
}

static void t_enable_disable_one(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "POST", "/v1/projects/su-e/services/iam.googleapis.com:enable", "{}", 200,
		 &r);
	json_t *done = wait_done(sbt_str(&r, "name"));
	st_http_free(&r);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(done, "response"), "service"),
				    "state")), "ENABLED");
	json_decref(done);
	sbt_call(&sb, "GET", "/v1/projects/su-e/serviceAccounts", NULL, 200, &r);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/su-e/services/iam.googleapis.com:disable", "{}", 200,
		 &r);
	json_decref(wait_done(sbt_str(&r, "name")));
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/su-e/serviceAccounts", NULL, 403, &r);
	assert_string_equal(sbt_reason(&r), "SERVICE_DISABLED");
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v1/projects/su-e/services/bogus.googleapis.com:enable", "{}", 403,
		 &r);
	st_http_free(&r);
	(void)state;
}

static void t_batch_get(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "GET",
		 "/v1/projects/su-f/services:batchGet?names=projects/su-f/services/iam.googleapis.com"
		 "&names=projects/su-f/services/logging.googleapis.com", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "services")), 2);
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/su-f/services:batchGet", NULL, 400, &r);
	st_http_free(&r);
	(void)state;
}

static void t_project_number_paths(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "GET", "/v1/projects/su-g/services/iam.googleapis.com", NULL, 200, &r);
	char *name = st_xstrdup(sbt_str(&r, "name"));
	long long num = 0;
	assert_int_equal(sscanf(name, "projects/%lld/", &num), 1);
	assert_true(num >= 100000000000LL);
	st_http_free(&r);
	char *p = st_xasprintf("/v1/projects/%lld/services/iam.googleapis.com", num);
	sbt_call(&sb, "GET", p, NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "name"), name);
	st_http_free(&r);
	free(p);
	free(name);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_batch_enable_lro),
		cmocka_unit_test(t_batch_enable_errors),
		cmocka_unit_test(t_list_filter_paging),
		cmocka_unit_test(t_enable_disable_one),
		cmocka_unit_test(t_batch_get),
		cmocka_unit_test(t_project_number_paths),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
