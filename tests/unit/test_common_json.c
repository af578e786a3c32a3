/* common/json: bounded parsing with clear errors, typed reads by path, Google's
 * int64-as-string. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"

static json_t *parse(const char *s)
{
	char err[256];
	json_t *v = stj_parse(s, strlen(s), 1 << 20, err, sizeof err);
	if (!v)
		fail_msg("parse failed: %s", err);
	return v;
}

static void expect_parse_error(const char *s, size_t len, size_t max, const char *want)
{
	char err[256] = "";
	json_t *v = stj_parse(s, len, max, err, sizeof err);
	assert_null(v);
	assert_string_equal(err, want);
}

static void t_parse_errors(void **state)
{
	(void)state;
	expect_parse_error("", 0, 100, "empty body where JSON was expected");
	expect_parse_error("{\"a\":1}", 7, 6, "JSON body of 7 bytes exceeds the 6-byte limit");
	expect_parse_error("{\"a\":", 5, 100, "invalid JSON at line 1 column 5: unexpected token near end of file");
	expect_parse_error("<html>502</html>", 16, 100, "invalid JSON at line 1 column 1: '[' or '{' expected near '<'");
	expect_parse_error("{\"a\":1,\"a\":2}", 13, 100, "invalid JSON at line 1 column 10: duplicate object key near '\"a\"'");
	expect_parse_error("{\"a\":\"\xff\"}", 8, 100, "invalid JSON at line 1 column 6: unable to decode byte 0xff near '\"'");
	/* A thousand '[' is refused before jansson recurses into it. */
	char deep[1001];
	memset(deep, '[', 1000);
	deep[1000] = '\0';
	expect_parse_error(deep, 1000, 2000, "JSON nested deeper than 64 levels at byte 64");
}

static void t_depth_counts_only_structure(void **state)
{
	(void)state;
	/* Brackets inside strings (with escaped quotes) are not nesting. */
	st_buf b;
	st_buf_init(&b);
	st_buf_puts(&b, "{\"s\":\"\\\"");
	for (int i = 0; i < 200; i++)
		st_buf_puts(&b, "[{");
	st_buf_puts(&b, "\"}");
	json_t *v = parse(b.p);
	assert_int_equal(strlen(stj_str(v, "s")), 401);
	json_decref(v);
	st_buf_free(&b);
	/* 64 levels are fine, 65 are not. */
	char ok[129], bad[131];
	memset(ok, '[', 64);
	memset(ok + 64, ']', 64);
	ok[128] = '\0';
	v = parse(ok);
	json_decref(v);
	memset(bad, '[', 65);
	memset(bad + 65, ']', 65);
	bad[130] = '\0';
	expect_parse_error(bad, 130, 1000, "JSON nested deeper than 64 levels at byte 64");
}

static void t_paths(void **state)
{
	(void)state;
	json_t *v = parse("{\"a\":{\"b\":[{\"c\":\"x\"},{\"c\":\"y\",\"n\":\"123\",\"i\":-5,\"t\":true}]},"
			  "\"big\":\"9223372036854775807\",\"over\":\"9223372036854775808\","
			  "\"bad\":\"12x\",\"f\":1.5,\"empty\":\"\",\"sp\":\" 12\"}");
	assert_string_equal(stj_str(v, "a.b.0.c"), "x");
	assert_string_equal(stj_str(v, "a.b.1.c"), "y");
	assert_null(stj_str(v, "a.b.2.c"));  /* past the end */
	assert_null(stj_str(v, "a.b.x.c"));  /* not an index */
	assert_null(stj_str(v, "a.b.-1.c")); /* negative index */
	assert_null(stj_str(v, "a.b"));      /* not a string */
	assert_null(stj_get(v, "a.zz"));
	assert_null(stj_get(v, "a.b.1.c.deeper")); /* through a string */
	assert_ptr_equal(stj_get(v, ""), v);
	int64_t n = 0;
	assert_true(stj_int64(v, "a.b.1.n", &n));
	assert_int_equal(n, 123);
	assert_true(stj_int64(v, "a.b.1.i", &n));
	assert_int_equal(n, -5);
	assert_true(stj_int64(v, "big", &n));
	assert_int_equal(n, INT64_MAX);
	n = 7;
	assert_false(stj_int64(v, "over", &n));
	assert_false(stj_int64(v, "bad", &n));
	assert_false(stj_int64(v, "f", &n));
	assert_false(stj_int64(v, "empty", &n));
	assert_false(stj_int64(v, "sp", &n)); /* Google never pads numbers: treat as malformed */
	assert_false(stj_int64(v, "missing", &n));
	assert_int_equal(n, 7); /* failures leave the output alone */
	assert_true(stj_bool(v, "a.b.1.t", false));
	assert_false(stj_bool(v, "a.b.1.c", false)); /* wrong type gives the default */
	assert_true(stj_bool(v, "nope", true));
	char longkey[200];
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	assert_null(stj_get(v, longkey));
	json_decref(v);
}

static void t_dump_and_int64(void **state)
{
	(void)state;
	json_t *o = json_object();
	json_object_set_new(o, "z", json_integer(1));
	json_object_set_new(o, "a", stj_int64_string(-9223372036854775807LL - 1));
	char *s = stj_dump(o);
	assert_string_equal(s, "{\"z\":1,\"a\":\"-9223372036854775808\"}"); /* insertion order kept */
	free(s);
	json_decref(o);
	s = stj_dump(NULL);
	assert_string_equal(s, "null");
	free(s);
	json_t *str = json_string("x");
	s = stj_dump(str);
	assert_string_equal(s, "\"x\"");
	free(s);
	json_decref(str);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_parse_errors),
		cmocka_unit_test(t_depth_counts_only_structure),
		cmocka_unit_test(t_paths),
		cmocka_unit_test(t_dump_and_int64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
