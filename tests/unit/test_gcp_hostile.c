/* Randomised hostile input for everything in gcp/ that reads server replies: the
 * google.rpc error parser and every typed parser get thousands of mutated versions
 * of real-shaped replies (cut short, bytes flipped, types swapped, nesting deepened).
 * The property checked: no crash, no sanitizer report, and every message that comes
 * out is clean text. Seeded, so a failure can be replayed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "gcp/aiplatform.h"
#include "gcp/compute.h"
#include "gcp/internal.h"
#include "gcp/kms.h"
#include "gcp/lro.h"
#include "gcp/storage.h"

static const char *const seeds[] = {
	"{\"error\":{\"code\":409,\"message\":\"exists\",\"status\":\"ALREADY_EXISTS\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"R\"}],\"errors\":[{\"reason\":\"conflict\"}]}}",
	"{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT\"}",
	"{\"kind\":\"compute#operation\",\"name\":\"op\",\"status\":\"DONE\",\"progress\":100,\"httpErrorStatusCode\":400,\"error\":{\"errors\":[{\"code\":\"X\",\"message\":\"m\"}]},\"zone\":\"a/zones/z\"}",
	"{\"name\":\"vm\",\"id\":\"1\",\"status\":\"RUNNING\",\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"TDX\"},\"metadata\":{\"fingerprint\":\"f\"},\"guestAccelerators\":[{\"acceleratorType\":\"a/b\",\"acceleratorCount\":1}]}",
	"{\"name\":\"r\",\"status\":\"READY\",\"specificReservation\":{\"count\":\"1\",\"inUseCount\":\"0\"}}",
	"{\"contents\":\"boot\\n\",\"start\":\"0\",\"next\":\"5\"}",
	"{\"name\":\"k\",\"purpose\":\"ENCRYPT_DECRYPT\",\"rotationPeriod\":\"2592000s\",\"primary\":{\"state\":\"ENABLED\"}}",
	"{\"name\":\"projects/p/locations/l/customJobs/1\",\"state\":\"JOB_STATE_FAILED\",\"error\":{\"code\":3,\"message\":\"m\"}}",
	"{\"name\":\"o\",\"generation\":\"1\",\"size\":\"2\",\"crc32c\":\"AAAAAA==\",\"kmsKeyName\":\"k\"}",
	"{\"name\":\"operations/x\",\"done\":true,\"error\":{\"code\":7,\"message\":\"no\",\"details\":[{\"reason\":\"R\"}]}}",
};

static uint64_t rng = 0x5ea17a1e;
static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static char *mutate(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *b = st_xmalloc(n * 2 + 64);
	memcpy(b, s, n);
	int edits = 1 + (int)(next_rand() % 4);
	for (int e = 0; e < edits && n > 0; e++) {
		size_t at = next_rand() % n;
		switch (next_rand() % 6) {
		case 0: /* flip a byte (invalid UTF-8, control characters) */
			b[at] = (char)(next_rand() & 0xff);
			break;
		case 1: /* cut short */
			n = at;
			break;
		case 2: /* a string value becomes a number, an object or an array */
			if (b[at] == '"') {
				const char *rep[] = { "7", "{}", "[]", "null", "true" };
				const char *r = rep[next_rand() % 5];
				memmove(b + at + strlen(r), b + at + 1, n - at - 1);
				memcpy(b + at, r, strlen(r));
				n = n - 1 + strlen(r);
			}
			break;
		case 3: /* duplicate a span */
			if (n + 16 < n * 2 + 64) {
				size_t k = 1 + next_rand() % 16;
				if (at + k <= n) {
					memmove(b + at + k, b + at, n - at);
					n += k;
				}
			}
			break;
		case 4: /* escape sequences into the terminal */
			if (b[at] == '"' && n + 8 < n * 2 + 64) {
				memmove(b + at + 7, b + at + 1, n - at - 1);
				memcpy(b + at, "\"\\u001b[", 7);
				n += 6;
			}
			break;
		default: /* drop a byte */
			memmove(b + at, b + at + 1, n - at - 1);
			n--;
			break;
		}
	}
	b[n] = '\0';
	*len = n;
	return b;
}

static void assert_clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fail_msg("control character 0x%02x in '%s'", *p, s);
	assert_true(st_utf8_valid(s, strlen(s)));
}

static int parsed;

static void feed(const char *body, size_t len)
{
	char err[256];
	json_t *j = stj_parse(body, len, 1 << 20, err, sizeof err);
	gcp_error e;
	gcp_error_from_response(&e, 500, j, body, len, "application/json");
	assert_clean(e.message);
	assert_clean(e.reason);
	assert_clean(e.status);
	if (!j)
		return;
	parsed++;
	gcp_ce_op op;
	gcp_ce_instance in;
	gcp_ce_reservation rv;
	gcp_ce_serial se;
	gcp_kms_key k;
	gcp_ai_job jb;
	gcp_gcs_object o;
	if (gcp_ce_op_parse(j, &op, err, sizeof err) == 0) {
		assert_clean(op.name);
		assert_clean(op.err.message);
	}
	if (gcp_ce_instance_parse(j, &in, err, sizeof err) == 0) {
		assert_clean(in.name);
		assert_clean(in.status);
	}
	gcp_ce_reservation_parse(j, &rv, err, sizeof err);
	gcp_ce_serial_parse(j, &se, err, sizeof err);
	if (gcp_kms_key_parse(j, &k, err, sizeof err) == 0)
		assert_clean(k.primary_state);
	if (gcp_ai_job_parse(j, &jb, err, sizeof err) == 0)
		assert_clean(jb.err.message);
	if (gcp_gcs_object_parse(j, &o, err, sizeof err) == 0)
		assert_clean(o.name);
	gcp_error_from_status(&e, json_object_get(j, "error"), "x");
	assert_clean(e.message);
	json_decref(j);
}

static void test_mutated_replies(void **state)
{
	(void)state;
	const char *seed_env = getenv("GCP_HOSTILE_SEED");
	if (seed_env)
		rng = strtoull(seed_env, NULL, 0);
	printf("# seed 0x%llx\n", (unsigned long long)rng);
	for (int round = 0; round < 20000; round++) {
		size_t len;
		char *b = mutate(seeds[round % (sizeof seeds / sizeof seeds[0])], &len);
		feed(b, len);
		free(b);
	}
	/* Enough mutants must still be JSON for the typed parsers to be exercised. */
	printf("# %d of 20000 mutants parsed as JSON\n", parsed);
	assert_true(parsed > 2000);
}

static void test_non_json_bodies(void **state)
{
	(void)state;
	const char *bodies[] = { "", "<html><head><title>502 Bad Gateway</title></head></html>", "\xff\xfe\xfd",
				 "null", "[]", "\"just a string\"", "{\"error\":null}", "{\"error\":{\"code\":\"x\"}}" };
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		feed(bodies[i], strlen(bodies[i]));
	/* Deep nesting is refused by the parser, not followed into a stack overflow. */
	st_buf b;
	st_buf_init(&b);
	for (int i = 0; i < 100000; i++)
		st_buf_puts(&b, "[");
	feed(b.p, b.len);
	st_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutated_replies),
		cmocka_unit_test(test_non_json_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
