/* Cloud Monitoring against the real sandbox: metric descriptors (integrity metrics
 * present), alert policies create/get/list/delete, and integrity time series. */
#include "tests/integration/test_sb_compute_util.h"

#include <signal.h>

static const char *const fast[] = {"--time-scale", "20", NULL};

static int setup(void **state)
{
	*state = sbt_new(fast);
	return 0;
}

#define POLICY(metric) \
	"{\"displayName\":\"late boot\",\"combiner\":\"OR\",\"userLabels\":{\"app\":\"cgpu\"}," \
	"\"conditions\":[{\"displayName\":\"failed\",\"conditionThreshold\":{\"filter\":" \
	"\"resource.type=\\\"gce_instance\\\" AND metric.type=\\\"" metric "\\\"\"," \
	"\"comparison\":\"COMPARISON_GT\",\"thresholdValue\":0,\"duration\":\"0s\"}}]}"

static void t_descriptors(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;

	sbt_call(sb, "GET", "/v3/projects/p1/metricDescriptors?filter=metric.type%3Dstarts_with(%22"
		 "compute.googleapis.com%2Finstance%2Fintegrity%22)", NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "metricDescriptors")), 2);
	assert_string_equal(sbt_str(&r, "metricDescriptors.0.type"),
			    "compute.googleapis.com/instance/integrity/early_boot_validation_status");
	assert_string_equal(sbt_str(&r, "metricDescriptors.1.metricKind"), "GAUGE");
	st_http_free(&r);
	sbt_call(sb, "GET", "/v3/projects/p1/metricDescriptors?filter=metric.type%20%3D%20%22nope%22",
		 NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "metricDescriptors")), 0);
	st_http_free(&r);
	sbt_call(sb, "GET", "/v3/projects/p1/metricDescriptors?filter=resource.type%3Dx", NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "filter");
	st_http_free(&r);
}

static void t_alert_policies(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	char *name, *path;

	sbt_call(sb, "POST", "/v3/projects/p1/alertPolicies",
		 POLICY("compute.googleapis.com/instance/integrity/late_boot_validation_status"), 200, &r);
	name = st_xstrdup(sbt_str(&r, "name"));
	assert_true(st_starts_with(name, "projects/p1/alertPolicies/"));
	assert_true(stj_bool(r.json, "enabled", false));
	assert_true(st_starts_with(sbt_str(&r, "conditions.0.name"), name));
	st_http_free(&r);
	/* Not idempotent: a second create makes a second policy. */
	sbt_call(sb, "POST", "/v3/projects/p1/alertPolicies",
		 POLICY("compute.googleapis.com/instance/integrity/late_boot_validation_status"), 200, &r);
	assert_string_not_equal(sbt_str(&r, "name"), name);
	st_http_free(&r);
	sbt_call(sb, "GET", "/v3/projects/p1/alertPolicies", NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "alertPolicies")), 2);
	st_http_free(&r);
	sbt_call(sb, "GET", "/v3/projects/p1/alertPolicies?pageSize=1", NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "alertPolicies")), 1);
	assert_non_null(sbt_str(&r, "nextPageToken"));
	st_http_free(&r);
	path = st_xasprintf("/v3/%s", name);
	sbt_call(sb, "GET", path, NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "displayName"), "late boot");
	st_http_free(&r);
	sbt_call(sb, "DELETE", path, NULL, 200, &r);
	st_http_free(&r);
	sbt_call(sb, "GET", path, NULL, 404, &r);
	ct_error(&r, 404, "NOT_FOUND", NULL);
	st_http_free(&r);
	sbt_call(sb, "DELETE", path, NULL, 404, &r);
	st_http_free(&r);
	/* A metric that does not exist, no conditions, a log condition without a rate limit. */
	sbt_call(sb, "POST", "/v3/projects/p1/alertPolicies",
		 POLICY("compute.googleapis.com/instance/integrity/no_such_metric"), 404, &r);
	ct_error(&r, 404, "NOT_FOUND", "no_such_metric");
	st_http_free(&r);
	sbt_call(sb, "POST", "/v3/projects/p1/alertPolicies", "{\"displayName\":\"x\"}", 400, &r);
	st_http_free(&r);
	sbt_call(sb, "POST", "/v3/projects/p1/alertPolicies", "{\"conditions\":[{\"conditionMatchedLog\""
		 ":{\"filter\":\"x\"}}]}", 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "notificationRateLimit");
	st_http_free(&r);
	sbt_call(sb, "POST", "/v3/projects/p1/alertPolicies", "{\"conditions\":[{\"conditionMatchedLog\""
		 ":{\"filter\":\"x\"}}],\"alertStrategy\":{\"notificationRateLimit\":{\"period\":\"300s\"}}}",
		 200, &r);
	st_http_free(&r);
	sbt_call(sb, "POST", "/v3/projects/p1/alertPolicies", "[1,2", 400, &r);
	st_http_free(&r);
	free(path);
	free(name);
}

static void t_integrity_time_series(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	json_t *op;
	const char *q = "/v3/projects/p1/timeSeries?filter=metric.type%3D%22compute.googleapis.com%2F"
			"instance%2Fintegrity%2Flate_boot_validation_status%22&interval.startTime="
			"2020-01-01T00:00:00Z&interval.endTime=2099-01-01T00:00:00Z";

	sbt_call(sb, "GET", q, NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "timeSeries")), 0);
	st_http_free(&r);
	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"ts-vm\",\"machineType\":\"e2-small\"}");
	json_decref(op);
	sbt_call(sb, "GET", q, NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "timeSeries")), 1);
	assert_string_equal(sbt_str(&r, "timeSeries.0.metric.labels.status"), "passed");
	assert_string_equal(sbt_str(&r, "timeSeries.0.resource.type"), "gce_instance");
	assert_string_equal(sbt_str(&r, "timeSeries.0.points.0.value.int64Value"), "1");
	st_http_free(&r);
	sbt_call(sb, "GET", "/v3/projects/p1/timeSeries?filter=metric.type%3D%22x%22", NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "endTime");
	st_http_free(&r);
	sbt_call(sb, "GET", "/v3/projects/p1/timeSeries", NULL, 400, &r);
	st_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_descriptors, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_alert_policies, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_integrity_time_series, setup, sbt_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
