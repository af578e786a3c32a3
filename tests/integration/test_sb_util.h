/* What every sandbox integration test needs, whichever API it exercises: one JSON
 * request with its status checked, and a real sandbox with every API enabled in
 * project "p1", either started in place or as a per-test cmocka fixture. */
#ifndef TEST_SB_UTIL_H
#define TEST_SB_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"
#include "common/str.h"
#include "tests/support/stenable.h"
#include "tests/support/sthttp.h"
#include "tests/support/sttest.h"

/* One request; asserts the transport worked and the status is as expected (the
 * body goes to stderr when it is not, so a failure explains itself). */
static inline void sbt_call(const st_sandbox *sb, const char *method, const char *path,
			    const char *body, long want, st_http_resp *r)
{
	assert_int_equal(st_http_json(sb, method, path, body, r), 0);
	if (r->status != want)
		fprintf(stderr, "%s %s: got %ld, want %ld: %s\n", method, path, r->status, want,
			r->body ? r->body : "");
	assert_int_equal(r->status, want);
}

/* The string at a dotted path ("items.0.name") of the response's JSON, or NULL. */
static inline const char *sbt_str(const st_http_resp *r, const char *path)
{
	return stj_str(r->json, path);
}

/* Starts sb (state NULL: a fresh temporary state directory) with the extra flags
 * and enables every API in "p1". */
static inline void sbt_start(st_sandbox *sb, const char *state, const char *const *extra)
{
	assert_int_equal(st_sandbox_start(sb, state, extra), 0);
	assert_int_equal(st_sandbox_enable_all(sb, "p1"), 0);
}

/* A started sandbox of its own for one test (a cmocka setup stores it in *state). */
static inline st_sandbox *sbt_new(const char *const *extra)
{
	st_sandbox *sb = st_xcalloc(1, sizeof(*sb));

	sbt_start(sb, NULL, extra);
	return sb;
}

/* cmocka teardown for sbt_new: SIGTERM, state directory removed, memory freed. */
static inline int sbt_free(void **state)
{
	st_sandbox *sb = *state;

	st_sandbox_stop(sb, SIGTERM, false);
	free(sb);
	return 0;
}

#endif
