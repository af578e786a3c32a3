/* The logging filter parser and matcher on fixed entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
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

/* Shapes that make glibc's regcomp allocate without bound are refused up front
 * (tests/fuzz/known/fuzz_sb_filter-regex-oom), with the column of the value. */
static void t_regex_limits(void **state)
{
	(void)state;
	static const char *const refused[][2] = {
		{"textPayload=~\"k+++++++++++++++++++++++\"", "repetition of a repetition"},
		{"textPayload=~\"a*?\"", "repetition of a repetition"},
		{"textPayload=~\"a{2}{3}\"", "repetition of a repetition"},
		{"textPayload=~\"a{1001}\"", "repetition count over 1000"},
		{"textPayload=~\"(a{100}b){100}\"", "repetition count over 1000"},
		{"textPayload=~\"a{1,30000}\"", "repetition count over 1000"},
		{"textPayload=~\"(((a{1,50}){1,50}){1,50}){1,50}\"", "repetition count over 1000"},
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		char err[200] = "";
		lf_expr *e = lf_parse(refused[i][0], err, sizeof err);
		if (e)
			fail_msg("'%s' parsed", refused[i][0]);
		if (!strstr(err, refused[i][1]) || !strstr(err, "column 14"))
			fail_msg("'%s': unexpected error '%s'", refused[i][0], err);
	}
	char *long_re = calloc(1, 1100);
	strcpy(long_re, "textPayload=~\"");
	memset(long_re + 14, 'a', 1030);
	strcat(long_re, "\"");
	char err[200] = "";
	assert_null(lf_parse(long_re, err, sizeof err));
	assert_non_null(strstr(err, "longer than 1024"));
	free(long_re);
	assert_true(m("textPayload=~\"^Hel+o W(or)?ld$\""));
	assert_true(m("textPayload=~\"l{2}o\""));
	assert_true(m("textPayload=~\"a\\\\++\"") == false);
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
		cmocka_unit_test(t_regex_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
