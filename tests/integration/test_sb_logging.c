/* Cloud Logging against the real sandbox: audit entries written by other calls,
 * entries:list filters (the query language subset), ordering and paging,
 * entries:write, and sinks. */
#include "tests/integration/test_sb_core_util.h"

#include <unistd.h>

#include "common/timeutil.h"

static st_sandbox sb;

static int setup(void **state)
{
	(void)state;
	if (st_sandbox_start(&sb, NULL, NULL) < 0 || st_sandbox_enable_all(&sb, "p1") < 0 ||
	    st_sandbox_enable_all(&sb, "p2") < 0)
		return -1;
	/* Some admin activity to read back: two accounts, one failed create. */
	const char *bodies[] = {"{\"accountId\":\"log-one-sa\"}", "{\"accountId\":\"log-two-sa\"}",
				"{\"accountId\":\"log-one-sa\"}"};
	for (int i = 0; i < 3; i++) {
		st_http_resp r;
		st_http_json(&sb, "POST", "/v1/projects/p1/serviceAccounts", bodies[i], &r);
		st_http_free(&r);
		usleep(5000);
	}
	st_http_resp r;
	st_http_json(&sb, "POST", "/v1/projects/p2/serviceAccounts", "{\"accountId\":\"other-sa\"}", &r);
	st_http_free(&r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sbt_stop(&sb);
	return 0;
}

/* entries:list with the given filter/order/size; returns the reply JSON. */
static json_t *list(const char *filter, const char *order, int size, const char *token,
		    long want)
{
	json_t *req = json_pack("{s:[s]}", "resourceNames", "projects/p1");
	if (filter)
		json_object_set_new(req, "filter", json_string(filter));
	if (order)
		json_object_set_new(req, "orderBy", json_string(order));
	if (size)
		json_object_set_new(req, "pageSize", json_integer(size));
	if (token)
		json_object_set_new(req, "pageToken", json_string(token));
	char *text = json_dumps(req, JSON_COMPACT);
	st_http_resp r;
	sbt_call(&sb, "POST", "/v2/entries:list", text, want, &r);
	json_t *out = json_incref(r.json);
	st_http_free(&r);
	free(text);
	json_decref(req);
	return out;
}

static size_t count(const char *filter)
{
	json_t *o = list(filter, NULL, 1000, NULL, 200);
	size_t n = json_array_size(json_object_get(o, "entries"));
	json_decref(o);
	return n;
}

static const char *entry_str(json_t *e, const char *path)
{
	json_t *cur = e;
	char *copy = st_xstrdup(path), *save = NULL;
	for (char *k = strtok_r(copy, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, k);
	free(copy);
	return json_string_value(cur);
}

static void t_audit_entry_shape(void **state)
{
	json_t *o = list("protoPayload.methodName=\"google.iam.admin.v1.CreateServiceAccount\"",
			 "timestamp asc", 0, NULL, 200);
	json_t *entries = json_object_get(o, "entries");
	assert_int_equal(json_array_size(entries), 3);
	json_t *e = json_array_get(entries, 0);
	assert_string_equal(entry_str(e, "logName"),
			    "projects/p1/logs/cloudaudit.googleapis.com%2Factivity");
	assert_string_equal(entry_str(e, "protoPayload.@type"),
			    "type.googleapis.com/google.cloud.audit.AuditLog");
	assert_string_equal(entry_str(e, "protoPayload.serviceName"), "iam.googleapis.com");
	assert_string_equal(entry_str(e, "protoPayload.authenticationInfo.principalEmail"),
			    "operator@sandbox.local");
	assert_string_equal(entry_str(e, "protoPayload.requestMetadata.callerIp"), "127.0.0.1");
	assert_non_null(strstr(entry_str(e, "protoPayload.resourceName"), "log-one-sa"));
	assert_string_equal(entry_str(e, "resource.type"), "audited_resource");
	assert_string_equal(entry_str(e, "severity"), "NOTICE");
	assert_non_null(entry_str(e, "insertId"));
	assert_non_null(entry_str(e, "timestamp"));
	assert_non_null(entry_str(e, "receiveTimestamp"));
	/* The duplicate create failed: ERROR with the status code 6 (ALREADY_EXISTS). */
	json_t *dup = json_array_get(entries, 2);
	assert_string_equal(entry_str(dup, "severity"), "ERROR");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(dup, "protoPayload"), "status"),
				 "code")), 6);
	json_decref(o);
	(void)state;
}

static void t_filters(void **state)
{
	const char *m = "protoPayload.methodName=\"google.iam.admin.v1.CreateServiceAccount\"";
	char *f;
	assert_int_equal(count(m), 3);
	assert_int_equal(count("severity>=ERROR AND protoPayload.serviceName=\"iam.googleapis.com\""), 1);
	assert_int_equal(count("severity>=error protoPayload.serviceName=iam.googleapis.com"), 1);
	assert_int_equal(count("severity<WARNING AND protoPayload.methodName:CreateServiceAccount"), 2);
	assert_int_equal(count("logName=\"projects/p1/logs/cloudaudit.googleapis.com/activity\" AND "
			       "protoPayload.methodName:CreateServiceAccount"), 3);
	assert_int_equal(count("logName=(\"projects/p1/logs/cloudaudit.googleapis.com%2Factivity\" OR "
			       "\"projects/p1/logs/cloudaudit.googleapis.com%2Fdata_access\") AND "
			       "resource.type=\"audited_resource\" AND "
			       "protoPayload.methodName:CreateServiceAccount"), 3);
	/* OR binds tighter than AND: this is m AND (error OR notice). */
	f = st_xasprintf("%s AND severity=ERROR OR severity=NOTICE", m);
	assert_int_equal(count(f), 3);
	free(f);
	f = st_xasprintf("%s AND NOT severity=ERROR", m);
	assert_int_equal(count(f), 2);
	free(f);
	f = st_xasprintf("%s -severity=ERROR", m);
	assert_int_equal(count(f), 2);
	free(f);
	f = st_xasprintf("(%s) AND protoPayload.resourceName:\"log-two-sa\"", m);
	assert_int_equal(count(f), 1);
	free(f);
	/* (The failed duplicate names the collection, not an account.) */
	f = st_xasprintf("%s AND protoPayload.resourceName=~\"log-(one|two)-sa@\"", m);
	assert_int_equal(count(f), 2);
	free(f);
	/* Time ranges: everything is after 2000 and before 2999. */
	f = st_xasprintf("%s AND timestamp>=\"2000-01-01T00:00:00Z\" AND "
			 "timestamp<=\"2999-01-01T00:00:00Z\"", m);
	assert_int_equal(count(f), 3);
	free(f);
	f = st_xasprintf("%s AND timestamp>=\"2999-01-01T00:00:00Z\"", m);
	assert_int_equal(count(f), 0);
	free(f);
	/* Bare words search the whole entry. */
	assert_int_equal(count("\"log-two-sa\" AND protoPayload.methodName:Create"), 1);
	/* The other project's entries stay in the other project. */
	assert_int_equal(count("protoPayload.resourceName:\"other-sa\""), 0);
	(void)state;
}

static void t_bad_filters(void **state)
{
	static const char *const bad[] = {
		"severity>=", "(severity=ERROR", "severity=ERROR)", "logName=\"unterminated",
		"AND", "protoPayload.methodName=~\"(\"", "a=(b OR", "NOT",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		json_t *o = list(bad[i], NULL, 0, NULL, 400);
		const char *msg = json_string_value(
			json_object_get(json_object_get(o, "error"), "message"));
		assert_non_null(strstr(msg, "filter"));
		assert_non_null(strstr(msg, "column"));
		json_decref(o);
	}
	json_decref(list(NULL, "severity desc", 0, NULL, 400));
	st_http_resp r;
	sbt_call(&sb, "POST", "/v2/entries:list", "{}", 400, &r);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v2/entries:list", "{\"resourceNames\":[\"folders/1\"]}", 400, &r);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v2/entries:list",
		 "{\"resourceNames\":[\"projects/p1\"],\"pageSize\":-1}", 400, &r);
	st_http_free(&r);
	(void)state;
}

static void t_order_and_paging(void **state)
{
	const char *m = "protoPayload.serviceName=\"iam.googleapis.com\"";
	json_t *asc = list(m, "timestamp asc", 0, NULL, 200);
	json_t *desc = list(m, "timestamp desc", 0, NULL, 200);
	json_t *ea = json_object_get(asc, "entries"), *ed = json_object_get(desc, "entries");
	size_t n = json_array_size(ea);
	assert_true(n >= 3);
	assert_int_equal(json_array_size(ed), n);
	assert_string_equal(entry_str(json_array_get(ea, 0), "insertId"),
			    entry_str(json_array_get(ed, n - 1), "insertId"));
	/* One entry per page, in order, all of them, no repeats. */
	for (int dir = 0; dir < 2; dir++) {
		json_t *ref = dir ? ed : ea;
		char *tok = NULL;
		size_t seen = 0;
		do {
			json_t *o = list(m, dir ? "timestamp desc" : "timestamp asc", 1, tok, 200);
			free(tok);
			tok = NULL;
			json_t *e = json_array_get(json_object_get(o, "entries"), 0);
			assert_non_null(e);
			assert_string_equal(entry_str(e, "insertId"),
					    entry_str(json_array_get(ref, seen), "insertId"));
			seen++;
			const char *next = json_string_value(json_object_get(o, "nextPageToken"));
			if (next)
				tok = st_xstrdup(next);
			json_decref(o);
		} while (tok && seen < n);
		free(tok);
		assert_int_equal(seen, n);
	}
	/* A token from one order does not fit the other. */
	json_t *o = list(m, "timestamp asc", 1, NULL, 200);
	json_decref(list(m, "timestamp desc", 1,
			 json_string_value(json_object_get(o, "nextPageToken")), 400));
	json_decref(o);
	json_decref(list(m, NULL, 1, "garbage!", 400));
	json_decref(asc);
	json_decref(desc);
	(void)state;
}

static void t_write_entries(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "POST", "/v2/entries:write",
		 "{\"logName\":\"projects/p1/logs/sealtrain-test\",\"resource\":{\"type\":\"global\"},"
		 "\"entries\":[{\"textPayload\":\"hello one\",\"severity\":\"WARNING\"},"
		 "{\"jsonPayload\":{\"step\":2},\"labels\":{\"k\":\"v\"}}]}", 200, &r);
	st_http_free(&r);
	assert_int_equal(count("logName=\"projects/p1/logs/sealtrain-test\""), 2);
	assert_int_equal(count("logName=\"projects/p1/logs/sealtrain-test\" severity=WARNING"), 1);
	assert_int_equal(count("jsonPayload.step=2"), 1);
	assert_int_equal(count("labels.k=v AND resource.type=global"), 1);
	static const char *const bad[] = {
		"{}", "{\"entries\":[]}",
		"{\"entries\":[{\"textPayload\":\"x\",\"resource\":{\"type\":\"global\"}}]}",
		"{\"logName\":\"projects/p1/logs/x\",\"entries\":[{\"textPayload\":\"x\"}]}",
		"{\"logName\":\"projects/p1/logs/x\",\"resource\":{\"type\":\"global\"},"
		"\"entries\":[{\"severity\":\"LOUD\"}]}",
		"{\"logName\":\"projects/p1/logs/x\",\"resource\":{\"type\":\"global\"},"
		"\"entries\":[{\"textPayload\":\"a\",\"jsonPayload\":{}}]}",
		"{\"logName\":\"projects/p1/logs/x\",\"resource\":{\"type\":\"global\"},"
		"\"entries\":[7]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		sbt_call(&sb, "POST", "/v2/entries:write", bad[i], 400, &r);
		sbt_error(&r, 400, "INVALID_ARGUMENT");
		st_http_free(&r);
	}
	/* A batch with one bad entry writes nothing. */
	assert_int_equal(count("logName=\"projects/p1/logs/x\""), 0);
	(void)state;
}

static void t_logs_list_delete(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "POST", "/v2/entries:write",
		 "{\"logName\":\"projects/p1/logs/to-delete\",\"resource\":{\"type\":\"global\"},"
		 "\"entries\":[{\"textPayload\":\"x\"},{\"textPayload\":\"y\"}]}", 200, &r);
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v2/projects/p1/logs", NULL, 200, &r);
	json_t *names = json_object_get(r.json, "logNames");
	bool audit = false, mine = false;
	size_t i;
	json_t *n;
	json_array_foreach(names, i, n) {
		audit |= strcmp(json_string_value(n),
				"projects/p1/logs/cloudaudit.googleapis.com%2Factivity") == 0;
		mine |= strcmp(json_string_value(n), "projects/p1/logs/to-delete") == 0;
	}
	assert_true(audit && mine);
	st_http_free(&r);
	sbt_call(&sb, "DELETE", "/v2/projects/p1/logs/to-delete", NULL, 200, &r);
	st_http_free(&r);
	assert_int_equal(count("logName=\"projects/p1/logs/to-delete\""), 0);
	sbt_call(&sb, "DELETE", "/v2/projects/p1/logs/to-delete", NULL, 404, &r);
	st_http_free(&r);
	(void)state;
}

static void t_sinks(void **state)
{
	st_http_resp r;
	const char *body = "{\"name\":\"audit-sink\",\"destination\":\"storage.googleapis.com/audit-b\","
			   "\"filter\":\"logName:\\\"cloudaudit.googleapis.com\\\"\"}";
	sbt_call(&sb, "POST", "/v2/projects/p1/sinks?uniqueWriterIdentity=true", body, 200, &r);
	assert_string_equal(sbt_str(&r, "name"), "audit-sink");
	const char *wi = sbt_str(&r, "writerIdentity");
	assert_non_null(wi);
	assert_true(strncmp(wi, "serviceAccount:", 15) == 0);
	assert_non_null(sbt_str(&r, "createTime"));
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v2/projects/p1/sinks?uniqueWriterIdentity=true", body, 409, &r);
	sbt_error(&r, 409, "ALREADY_EXISTS");
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v2/projects/p1/sinks/audit-sink", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "destination"), "storage.googleapis.com/audit-b");
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v2/projects/p1/sinks", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "sinks")), 1);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v2/projects/p1/sinks",
		 "{\"name\":\"bad-dest\",\"destination\":\"ftp://x\"}", 400, &r);
	assert_non_null(strstr(r.body, "destination"));
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v2/projects/p1/sinks",
		 "{\"name\":\"bad-filter\",\"destination\":\"storage.googleapis.com/b\","
		 "\"filter\":\"((\"}", 400, &r);
	assert_non_null(strstr(r.body, "filter"));
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v2/projects/p1/sinks",
		 "{\"name\":\"bad name!\",\"destination\":\"storage.googleapis.com/b\"}", 400, &r);
	st_http_free(&r);
	sbt_call(&sb, "POST", "/v2/projects/p1/sinks", "{\"destination\":\"storage.googleapis.com/b\"}",
		 400, &r);
	st_http_free(&r);
	sbt_call(&sb, "DELETE", "/v2/projects/p1/sinks/audit-sink", NULL, 200, &r);
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v2/projects/p1/sinks/audit-sink", NULL, 404, &r);
	sbt_error(&r, 404, "NOT_FOUND");
	st_http_free(&r);
	sbt_call(&sb, "DELETE", "/v2/projects/p1/sinks/audit-sink", NULL, 404, &r);
	st_http_free(&r);
	/* Sink changes are admin activity, failed attempts included. */
	assert_int_equal(count("protoPayload.methodName=\"google.logging.v2.ConfigServiceV2.CreateSink\""),
			 6);
	assert_int_equal(count("protoPayload.methodName=\"google.logging.v2.ConfigServiceV2.CreateSink\""
			       " severity=NOTICE"), 1);
	(void)state;
}

static void t_logging_disabled(void **state)
{
	st_http_resp r;
	sbt_call(&sb, "POST", "/v2/entries:list", "{\"resourceNames\":[\"projects/p-off\"]}", 403, &r);
	assert_string_equal(sbt_reason(&r), "SERVICE_DISABLED");
	st_http_free(&r);
	(void)state;
}

/* Retention: 30 days for most logs, 400 for Admin Activity, applied on the tick. */
static void t_retention(void **state)
{
	char *dir = st_test_tmpdir("log-retention");
	st_sandbox box;
	assert_int_equal(st_sandbox_start(&box, dir, NULL), 0);
	assert_int_equal(st_sandbox_enable_all(&box, "p1"), 0);
	char d1[40], d40[40], d500[40];
	int64_t now = st_wall_ms();
	st_rfc3339_format(now - 86400000LL, d1, sizeof d1);
	st_rfc3339_format(now - 40 * 86400000LL, d40, sizeof d40);
	st_rfc3339_format(now - 500 * 86400000LL, d500, sizeof d500);
	char *body = st_xasprintf(
		"{\"resource\":{\"type\":\"global\"},\"entries\":["
		"{\"logName\":\"projects/p1/logs/app\",\"timestamp\":\"%s\",\"textPayload\":\"A\"},"
		"{\"logName\":\"projects/p1/logs/cloudaudit.googleapis.com%%2Factivity\","
		"\"timestamp\":\"%s\",\"textPayload\":\"B\"},"
		"{\"logName\":\"projects/p1/logs/app\",\"timestamp\":\"%s\",\"textPayload\":\"C\"},"
		"{\"logName\":\"projects/p1/logs/cloudaudit.googleapis.com%%2Factivity\","
		"\"timestamp\":\"%s\",\"textPayload\":\"D\"}]}", d40, d40, d1, d500);
	st_http_resp r;
	sbt_call(&box, "POST", "/v2/entries:write", body, 200, &r);
	st_http_free(&r);
	free(body);
	st_sandbox_stop(&box, SIGTERM, true);
	st_sandbox_stop(&box, 0, false); /* frees its strings; the directory is ours */
	assert_int_equal(st_sandbox_start(&box, dir, NULL), 0);
	usleep(400000);
	sbt_call(&box, "POST", "/v2/entries:list",
		 "{\"resourceNames\":[\"projects/p1\"],\"filter\":\"textPayload:*\","
		 "\"orderBy\":\"timestamp asc\"}", 200, &r);
	json_t *e = json_object_get(r.json, "entries");
	assert_int_equal(json_array_size(e), 2);
	assert_string_equal(entry_str(json_array_get(e, 0), "textPayload"), "B");
	assert_string_equal(entry_str(json_array_get(e, 1), "textPayload"), "C");
	st_http_free(&r);
	sbt_stop(&box);
	st_test_rmtree(dir);
	free(dir);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_audit_entry_shape),
		cmocka_unit_test(t_filters),
		cmocka_unit_test(t_bad_filters),
		cmocka_unit_test(t_order_and_paging),
		cmocka_unit_test(t_write_entries),
		cmocka_unit_test(t_logs_list_delete),
		cmocka_unit_test(t_sinks),
		cmocka_unit_test(t_logging_disabled),
		cmocka_unit_test(t_retention),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
