/* Helpers for the Compute, guest, Vertex, Monitoring and attestation integration
 * tests: one sandbox per test group with APIs enabled in project "p1". */
#ifndef TEST_SB_COMPUTE_UTIL_H
#define TEST_SB_COMPUTE_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/str.h"
#include "tests/integration/test_sb_util.h"

#define CZ "/compute/v1/projects/p1/zones/us-central1-a"
#define CG "/compute/v1/projects/p1/global"

/* Error envelope check: HTTP code, status name and a message containing needle. */
static inline void ct_error(const st_http_resp *r, long code, const char *status,
			    const char *needle)
{
	const char *msg = stj_str(r->json, "error.message");

	assert_int_equal(r->status, code);
	assert_string_equal(stj_str(r->json, "error.status"), status);
	assert_non_null(msg);
	if (needle && !strstr(msg, needle))
		fprintf(stderr, "message '%s' lacks '%s'\n", msg, needle);
	if (needle)
		assert_non_null(strstr(msg, needle));
}

static inline void ct_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Polls an operation (zonal or global, by its selfLink) with wait until DONE.
 * Returns the final operation JSON (new ref). */
static inline json_t *ct_wait_op(const st_sandbox *sb, const json_t *op)
{
	const char *self = stj_str(op, "selfLink");
	char *url = st_xasprintf("%s/wait", self);
	st_http_resp r;
	json_t *out = NULL;
	int i;

	assert_non_null(self);
	for (i = 0; i < 60; i++) {
		sbt_call(sb, "POST", url, NULL, 200, &r);
		if (strcmp(sbt_str(&r, "status"), "DONE") == 0) {
			out = json_incref(r.json);
			st_http_free(&r);
			break;
		}
		st_http_free(&r);
	}
	free(url);
	assert_non_null(out);
	return out;
}

/* Issues a mutating call that returns an operation and waits for it. */
static inline json_t *ct_op(const st_sandbox *sb, const char *method, const char *path,
			    const char *body)
{
	st_http_resp r;
	json_t *done;

	sbt_call(sb, method, path, body, 200, &r);
	assert_string_equal(sbt_str(&r, "kind"), "compute#operation");
	done = ct_wait_op(sb, r.json);
	st_http_free(&r);
	return done;
}

/* Polls GET path until field equals want (or about timeout_ms passes); asserts it. */
static inline void ct_until(const st_sandbox *sb, const char *path, const char *field,
			    const char *want, int timeout_ms)
{
	st_http_resp r;
	int waited = 0;
	const char *got = NULL;

	for (;;) {
		sbt_call(sb, "GET", path, NULL, 200, &r);
		got = sbt_str(&r, field);
		if ((got && strcmp(got, want) == 0) || waited >= timeout_ms)
			break;
		st_http_free(&r);
		ct_sleep_ms(50);
		waited += 50;
	}
	if (!got || strcmp(got, want) != 0)
		fprintf(stderr, "%s: %s is %s, want %s\n", path, field, got ? got : "(none)", want);
	assert_non_null(got);
	assert_string_equal(got, want);
	st_http_free(&r);
}

/* Serial port 1 of an instance from start; caller frees. */
static inline char *ct_serial(const st_sandbox *sb, const char *inst)
{
	char *p = st_xasprintf(CZ "/instances/%s/serialPort?port=1&start=0", inst);
	st_http_resp r;
	char *out;

	sbt_call(sb, "GET", p, NULL, 200, &r);
	out = st_xstrdup(sbt_str(&r, "contents"));
	st_http_free(&r);
	free(p);
	return out;
}

/* Polls serial port 1 until it contains needle; asserts it does. */
static inline void ct_serial_until(const st_sandbox *sb, const char *inst, const char *needle,
				   int timeout_ms)
{
	char *s = NULL;
	int waited = 0;

	for (;;) {
		free(s);
		s = ct_serial(sb, inst);
		if (strstr(s, needle) || waited >= timeout_ms)
			break;
		ct_sleep_ms(100);
		waited += 100;
	}
	if (!strstr(s, needle))
		fprintf(stderr, "serial of %s lacks '%s':\n%s\n", inst, needle, s);
	assert_non_null(strstr(s, needle));
	free(s);
}

#endif
