/* The logging filter parser and matcher on fixed entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "sandbox/logging_filter.h"

static json_t *entry(void)
{
	return json_loads(
		"{\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%2Factivity\","
		"\"severity\":\"WARNING\",\"timestamp\":\"2026-11-25T10:00:00.500Z\","
		"\"resource\":{\"type\":\"gce_instance\",\"labels\":{\"instance_id\":\"123\"}},"
		"\"labels\":{\"n\":\"42\"},\"tags\":[\"a\",\"b\"],\"ok\":true,"
		"\"protoPayload\":{\"methodName\":\"v1.compute.instances.insert\","
		"\"status\":{\"code\":7}},\"textPayload\":\"Hello World\"}",
		0, NULL);
}

static bool m(const char *filter)
{
	char err[200];
	lf_expr *e = lf_parse(filter, err, sizeof err);
	if (!e)
		fail_msg("parse failed for %s: %s", filter, err);
	json_t *j = entry();
	bool r = lf_match(e, j);
	json_decref(j);
	lf_free(e);
	return r;
}

static void t_comparisons(void **state)
{
	assert_true(m("severity=WARNING"));
	assert_true(m("severity>=NOTICE"));
	assert_false(m("severity>=ERROR"));
	assert_true(m("severity<error"));
	assert_true(m("resource.type=gce_instance"));
	assert_true(m("resource.labels.instance_id=\"123\""));
	assert_true(m("labels.n>41 AND labels.n<=42"));
	assert_true(m("protoPayload.status.code=7"));
	assert_true(m("protoPayload.methodName:instances"));
	assert_true(m("protoPayload.methodName:INSTANCES"));
	assert_false(m("protoPayload.methodName=\"instances\""));
	assert_true(m("protoPayload.methodName=~\"^v1\\\\.compute\""));
	assert_true(m("protoPayload.methodName!~\"delete$\""));
	assert_true(m("timestamp>=\"2026-11-25T10:00:00Z\" timestamp<\"2026-11-25T10:00:01Z\""));
	assert_false(m("timestamp>\"2026-11-25T11:00:00+00:00\""));
	assert_true(m("timestamp<\"2026-11-25T11:00:00+00:30\""));
	assert_true(m("logName=\"projects/p/logs/cloudaudit.googleapis.com/activity\""));
	assert_true(m("tags=b"));
	assert_true(m("ok=true"));
	assert_true(m("resource.labels:*"));
	assert_false(m("missing.field=x"));
	assert_true(m("missing.field!=x"));
	(void)state;
}

static void t_logic(void **state)
{
	assert_true(m("severity=ERROR OR severity=WARNING"));
	/* OR binds tighter: false AND (x OR y). */
	assert_false(m("severity=ERROR AND severity=WARNING OR resource.type=gce_instance"));
	assert_true(m("(severity=ERROR AND severity=WARNING) OR resource.type=gce_instance"));
	assert_true(m("NOT severity=ERROR"));
	assert_true(m("-severity=ERROR resource.type=gce_instance"));
	assert_false(m("NOT (severity=WARNING)"));
	assert_true(m("severity=(ERROR OR WARNING)"));
	assert_false(m("severity=(ERROR OR DEBUG)"));
	assert_true(m("\"hello world\""));
	assert_true(m("World AND severity=WARNING"));
	assert_false(m("nothing-like-this"));
	assert_true(m("log_id(\"cloudaudit.googleapis.com/activity\")"));
	assert_true(m("log_id(\"cloudaudit.googleapis.com%2Factivity\") severity=WARNING"));
	assert_false(m("log_id(\"cloudaudit.googleapis.com/data_access\")"));
	assert_true(m("SEARCH(\"hello\") AND NOT SEARCH(\"absent\")"));
	assert_true(m("log_id = x OR severity=WARNING")); /* a field named log_id, not a call */
	(void)state;
}

static void t_errors(void **state)
{
	static const char *const bad[] = {
		"", "   ", "severity=", "(severity=ERROR", "severity=ERROR)", "\"open",
		"severity=(ERROR OR", "AND severity=ERROR", "NOT", "x=~\"[\"", "=x", "a b (",
		"log_id(activity)", "log_id(\"a\"", "SEARCH()",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char err[200] = "";
		lf_expr *e = lf_parse(bad[i], err, sizeof err);
		if (e)
			fail_msg("'%s' parsed", bad[i]);
		assert_non_null(strstr(err, "column") ? err : strstr(err, "empty") ? err : NULL);
	}
	char deep[200];
	memset(deep, '(', 100);
	strcpy(deep + 100, "a=b");
	char err[200];
	assert_null(lf_parse(deep, err, sizeof err));
	assert_null(lf_parse("a=\"\xff\"", err, sizeof err));
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_comparisons),
		cmocka_unit_test(t_logic),
		cmocka_unit_test(t_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
