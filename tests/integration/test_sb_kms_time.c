/* Integration tests: KMS behaviour over time and restarts (automatic rotation and
 * scheduled destruction under --time-scale; key material surviving a restart). */
#include "tests/integration/test_sb_kms_util.h"

#include <signal.h>

#include "common/codec.h"

static char *encrypt_hi(const st_sandbox *sb)
{
	st_http_resp r;
	sbt_call(sb, "POST", KT_KEY ":encrypt", "{\"plaintext\":\"aGk=\"}", 200, &r);
	char *ct = st_xstrdup(sbt_str(&r, "ciphertext"));
	st_http_free(&r);
	return ct;
}

static long decrypt_status(const st_sandbox *sb, const char *ct, char **state_msg)
{
	char *body = st_xasprintf("{\"ciphertext\":\"%s\"}", ct);
	st_http_resp r;
	memset(&r, 0, sizeof r);
	assert_int_equal(st_http_json(sb, "POST", KT_KEY ":decrypt", body, &r), 0);
	long st = r.status;
	if (state_msg)
		*state_msg = st_xstrdup(r.body ? r.body : "");
	if (st == 200)
		assert_string_equal(sbt_str(&r, "plaintext"), "aGk=");
	st_http_free(&r);
	free(body);
	return st;
}

static void rotation_under_time_scale(void **st)
{
	st_sandbox *sb = kt_live();
	const char *args[] = {"--time-scale", "10000", NULL};
	sbt_start(sb, NULL, args);
	kt_make_key(sb);
	kt_grant(sb, KT_KEY, KT_ED, "\"" KT_OPERATOR "\"");
	char *old = encrypt_hi(sb);
	st_http_resp r;
	sbt_call(sb, "GET", KT_KEY, NULL, 200, &r);
	int64_t t0;
	assert_int_equal(st_rfc3339_parse(sbt_str(&r, "createTime"), &t0), 0);
	st_http_free(&r);
	/* two sandbox hours from the key's creation: under a second of real time */
	char next[48], *body;
	st_rfc3339_format(t0 + 2 * 3600 * 1000LL, next, sizeof next);
	body = st_xasprintf("{\"rotationPeriod\":\"86400s\",\"nextRotationTime\":\"%s\"}", next);
	kt_do(sb, "PATCH", KT_KEY "?updateMask=rotationPeriod,nextRotationTime", body, 200);
	assert_true(kt_wait_field(sb, KT_KEY, "primary.name", KT_KEYNAME "/cryptoKeyVersions/2",
				  8000));
	sbt_call(sb, "GET", KT_KEY, NULL, 200, &r);
	int64_t moved;
	assert_int_equal(st_rfc3339_parse(sbt_str(&r, "nextRotationTime"), &moved), 0);
	/* the next rotation is whole periods after the first one */
	assert_true(moved > t0 + 2 * 3600 * 1000LL);
	assert_int_equal((moved - (t0 + 2 * 3600 * 1000LL)) % (86400 * 1000LL), 0);
	assert_string_equal(sbt_str(&r, "primary.state"), "ENABLED");
	st_http_free(&r);
	/* what the old primary encrypted still decrypts */
	assert_int_equal(decrypt_status(sb, old, NULL), 200);
	char *newer = encrypt_hi(sb);
	assert_int_equal(decrypt_status(sb, newer, NULL), 200);
	free(newer);
	free(old);
	free(body);
	st_sandbox_stop(sb, SIGTERM, false);
}

static void destroy_after_scheduled_duration(void **st)
{
	st_sandbox *sb = kt_live();
	const char *args[] = {"--time-scale", "100000", NULL};
	sbt_start(sb, NULL, args);
	kt_do(sb, "POST", KT_LOC "/keyRings?keyRingId=ring1", "{}", 200);
	kt_do(sb, "POST", KT_RING "/cryptoKeys?cryptoKeyId=key1",
	      "{\"purpose\":\"ENCRYPT_DECRYPT\",\"destroyScheduledDuration\":\"86400s\"}", 200);
	kt_grant(sb, KT_KEY, KT_ED, "\"" KT_OPERATOR "\"");
	char *ct = encrypt_hi(sb);
	kt_do(sb, "POST", KT_KEY "/cryptoKeyVersions/1:destroy", "{}", 200);
	assert_true(kt_wait_field(sb, KT_KEY "/cryptoKeyVersions/1", "state", "DESTROYED", 8000));
	st_http_resp r;
	sbt_call(sb, "GET", KT_KEY "/cryptoKeyVersions/1", NULL, 200, &r);
	assert_non_null(sbt_str(&r, "destroyEventTime"));
	st_http_free(&r);
	char *msg = NULL;
	assert_int_equal(decrypt_status(sb, ct, &msg), 400);
	assert_non_null(strstr(msg, "DESTROYED"));
	free(msg);
	/* a destroyed version can be neither restored nor enabled */
	kt_do(sb, "POST", KT_KEY "/cryptoKeyVersions/1:restore", "{}", 400);
	kt_do(sb, "PATCH", KT_KEY "/cryptoKeyVersions/1?updateMask=state", "{\"state\":\"ENABLED\"}",
	      400);
	free(ct);
	st_sandbox_stop(sb, SIGTERM, false);
}

static void keys_survive_restart_and_kill(void **st)
{
	char *state = st_test_tmpdir("kms-restart");
	st_sandbox *sb = kt_live();
	sbt_start(sb, state, NULL);
	kt_make_key(sb);
	kt_grant(sb, KT_KEY, KT_ED, "\"" KT_OPERATOR "\"");
	char *ct = encrypt_hi(sb);
	kt_stop_keep(sb, SIGTERM);
	assert_int_equal(st_sandbox_start(sb, state, NULL), 0);
	assert_int_equal(decrypt_status(sb, ct, NULL), 200);
	char *ct2 = encrypt_hi(sb);
	kt_stop_keep(sb, SIGKILL);
	assert_int_equal(st_sandbox_start(sb, state, NULL), 0);
	assert_int_equal(decrypt_status(sb, ct, NULL), 200);
	assert_int_equal(decrypt_status(sb, ct2, NULL), 200);
	kt_stop_keep(sb, SIGTERM);
	/* a damaged master key is refused at start with a message, not used */
	char *mk = st_xasprintf("%s/master.key", state);
	st_test_write_file(mk, "short");
	assert_int_not_equal(st_sandbox_start(sb, state, NULL), 0);
	st_sandbox_stop(sb, SIGTERM, false);
	free(mk);
	free(ct);
	free(ct2);
	st_test_rmtree(state);
	free(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(rotation_under_time_scale, kt_stop_live),
		cmocka_unit_test_teardown(destroy_after_scheduled_duration, kt_stop_live),
		cmocka_unit_test_teardown(keys_survive_restart_and_kill, kt_stop_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
