/* Helpers shared by the sandbox core and admin-API integration tests. */
#ifndef TEST_SB_CORE_UTIL_H
#define TEST_SB_CORE_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <sys/wait.h>

#include "common/atomicfile.h"
#include "common/str.h"
#include "tests/integration/test_sb_util.h"

/* Asserts an error envelope with the given status name. */
static inline void sbt_error(const st_http_resp *r, long code, const char *status)
{
	assert_non_null(r->json);
	json_t *e = json_object_get(r->json, "error");
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "code")), code);
	assert_string_equal(json_string_value(json_object_get(e, "status")), status);
	assert_non_null(json_string_value(json_object_get(e, "message")));
	assert_true(json_is_array(json_object_get(e, "details")));
}

/* ErrorInfo reason of an error envelope, or NULL. */
static inline const char *sbt_reason(const st_http_resp *r)
{
	json_t *d = json_object_get(json_object_get(r->json, "error"), "details");
	return json_string_value(json_object_get(json_array_get(d, 0), "reason"));
}

/* SIGTERM and wait: the sandbox must exit 0 (under ASan a leak or an error in the
 * sandbox itself shows up here as a non-zero exit). */
static inline void sbt_stop(st_sandbox *sb)
{
	int st = st_sandbox_stop(sb, SIGTERM, true);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char err[128];
		size_t n;
		char *log = st_read_file(sb->log, 1 << 20, &n, err, sizeof err);
		fprintf(stderr, "sandbox exit status %d; its log:\n%s\n", st, log ? log : err);
		free(log);
	}
	st_sandbox_stop(sb, 0, false);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

#endif
