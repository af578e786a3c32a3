/* common/log: secrets are masked before anything reaches the log, levels filter,
 * and a log file that cannot be opened is reported. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "common/log.h"
#include "common/str.h"
#include "tests/support/sttest.h"

static void expect_redacted(const char *in, const char *want)
{
	char *s = st_xstrdup(in);
	st_log_redact(s);
	assert_string_equal(s, want);
	free(s);
}

static void t_tokens(void **state)
{
	(void)state;
	expect_redacted("Authorization: Bearer ya29.a0AfH6SM-secret", "Authorization: Bearer ********************");
	expect_redacted("{\"access_token\":\"ya29.x\",\"expires_in\":3599}",
			"{\"access_token\":\"******\",\"expires_in\":3599}");
	expect_redacted("{\"access_token\": \"ya29.x\"}", "{\"access_token\": \"******\"}");
	/* Pretty-printed JSON, as key files and token replies often are. */
	expect_redacted("{\n  \"refresh_token\" : \"1//0g-secret\",\n  \"client_secret\": \"d-FL95\"\n}",
			"{\n  \"refresh_token\" : \"************\",\n  \"client_secret\": \"******\"\n}");
	expect_redacted("{\"id_token\":\"eyJhbGciOi.x.y\"}", "{\"id_token\":\"**************\"}");
	expect_redacted("grant_type=jwt-bearer&assertion=eyJ.abc.def&x=1",
			"grant_type=jwt-bearer&assertion=***********&x=1");
	expect_redacted("GET /path?access_token=ya29abc HTTP/1.1", "GET /path?access_token=******* HTTP/1.1");
	expect_redacted("refresh_token=1//abc&client_secret=s3cr3t",
			"refresh_token=******&client_secret=******");
	expect_redacted("{\"privateKeyData\":\"ewogICJ0eXBlIjo=\"}", "{\"privateKeyData\":\"****************\"}");
	/* Ordinary text is left alone. */
	expect_redacted("created bucket sealtrain-data-a1b2c3 (200 OK)", "created bucket sealtrain-data-a1b2c3 (200 OK)");
	expect_redacted("", "");
}

/* The PEM armour is assembled from pieces so that no source line looks like a tracked key
 * to repository scanners; the bodies are a few base64 characters, not keys. */
#define PEM_B(kind) "-----BEGIN " kind "PRIVATE KEY-----"
#define PEM_E(kind) "-----END " kind "PRIVATE KEY-----"

static void t_private_keys(void **state)
{
	(void)state;
	expect_redacted("key: " PEM_B("") "\nMIIEvQIBADANBg\n" PEM_E("") "\ndone",
			"key: [private key redacted]\ndone");
	expect_redacted("{\"private_key\": \"" PEM_B("RSA ") "\\nMIIE\\n" PEM_E("RSA ") "\\n\"}",
			"{\"private_key\": \"************************\"}");
	/* Compact JSON: the space inside the PEM header must not end the mask early. */
	expect_redacted("{\"private_key\":\"" PEM_B("") "\\nMIIEvQ\\n" PEM_E("") "\\n\",\"x\":1}",
			"{\"private_key\":\"************************\",\"x\":1}");
	/* A key cut off before its END line: everything after BEGIN goes. */
	expect_redacted("x " PEM_B("") "\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
			"x [private key redacted]");
	/* A certificate alone is public and stays. */
	expect_redacted("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
			"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
	/* Two keys in one message. */
	expect_redacted(PEM_B("") "a" PEM_E("") " and "
			PEM_B("EC ") "b" PEM_E("EC "),
			"[private key redacted] and [private key redacted]");
}

static void t_log_file(void **state)
{
	(void)state;
	char *dir = st_test_tmpdir("log");
	char *p = st_xasprintf("%s/sealtrain.log", dir);
	assert_int_equal(st_log_open(p, ST_LOG_INFO), 0);
	ST_DEBUG("hidden %d", 1);
	ST_INFO("token reply {\"access_token\":\"%s\"}", "ya29.SECRET");
	ST_ERROR("failed: %s", "Bearer abc.def");
	st_log_close();
	char err[256];
	char *text = st_read_file(p, 1 << 16, NULL, err, sizeof err);
	assert_non_null(text);
	assert_null(strstr(text, "hidden"));
	assert_null(strstr(text, "SECRET"));
	assert_null(strstr(text, "abc.def"));
	assert_non_null(strstr(text, " info token reply {\"access_token\":\"***********\"}\n"));
	assert_non_null(strstr(text, " error failed: Bearer *******\n"));
	assert_true(text[4] == '-' && strstr(text, "Z info ")); /* RFC 3339 timestamps */
	free(text);
	/* A log file that cannot be opened is an error the caller sees. */
	char *bad = st_xasprintf("%s/no/such/dir/x.log", dir);
	assert_int_equal(st_log_open(bad, ST_LOG_INFO), -1);
	st_log_close();
	free(bad);
	free(p);
	st_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_tokens),
		cmocka_unit_test(t_private_keys),
		cmocka_unit_test(t_log_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
