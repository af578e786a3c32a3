/* Unit tests: one-shot AES-256-GCM sealing and the master key file (sandbox/cmek.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/str.h"
#include "sandbox/cmek.h"
#include "tests/support/sttest.h"

static const unsigned char key1[32] = {1, 2, 3};
static const unsigned char key2[32] = {9};

static void seal_open_roundtrip(void **st)
{
	size_t n = 0, m = 0;
	unsigned char *ct = sb_cmek_seal(key1, "aad", 3, "secret data", 11, &n);
	assert_non_null(ct);
	assert_int_equal(n, 11 + SB_CMEK_OVERHEAD);
	assert_null(memmem(ct, n, "secret", 6));
	unsigned char *pt = sb_cmek_open(key1, "aad", 3, ct, n, &m);
	assert_non_null(pt);
	assert_int_equal(m, 11);
	assert_memory_equal(pt, "secret data", 11);
	free(pt);
	free(ct);
}

static void open_rejects_wrong_key_aad_and_tampering(void **st)
{
	size_t n = 0, m = 0;
	unsigned char *ct = sb_cmek_seal(key1, "aad", 3, "x", 1, &n);
	assert_null(sb_cmek_open(key2, "aad", 3, ct, n, &m));
	assert_null(sb_cmek_open(key1, "aae", 3, ct, n, &m));
	assert_null(sb_cmek_open(key1, NULL, 0, ct, n, &m));
	ct[SB_CMEK_IV_LEN] ^= 1;
	assert_null(sb_cmek_open(key1, "aad", 3, ct, n, &m));
	ct[SB_CMEK_IV_LEN] ^= 1;
	assert_null(sb_cmek_open(key1, "aad", 3, ct, n - 1, &m));
	assert_null(sb_cmek_open(key1, "aad", 3, ct, 5, &m));
	free(ct);
}

static void empty_plaintext(void **st)
{
	size_t n = 0, m = 1;
	unsigned char *ct = sb_cmek_seal(key1, NULL, 0, "", 0, &n);
	assert_int_equal(n, SB_CMEK_OVERHEAD);
	unsigned char *pt = sb_cmek_open(key1, NULL, 0, ct, n, &m);
	assert_non_null(pt);
	assert_int_equal(m, 0);
	free(pt);
	free(ct);
}

static void seal_uses_fresh_iv(void **st)
{
	size_t n1, n2;
	unsigned char *a = sb_cmek_seal(key1, NULL, 0, "same", 4, &n1);
	unsigned char *b = sb_cmek_seal(key1, NULL, 0, "same", 4, &n2);
	assert_memory_not_equal(a, b, n1);
	free(a);
	free(b);
}

static void master_key_created_0600_and_stable(void **st)
{
	char *dir = st_test_tmpdir("kms-master");
	unsigned char k1[32], k2[32];
	char err[256];
	assert_int_equal(sb_cmek_master_load(dir, k1, err, sizeof err), 0);
	char *path = st_xasprintf("%s/master.key", dir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 32);
	assert_int_equal(sb_cmek_master_load(dir, k2, err, sizeof err), 0);
	assert_memory_equal(k1, k2, 32);
	free(path);
	st_test_rmtree(dir);
	free(dir);
}

static void master_key_refuses_loose_mode_and_bad_size(void **st)
{
	char *dir = st_test_tmpdir("kms-master");
	unsigned char k[32];
	char err[256];
	assert_int_equal(sb_cmek_master_load(dir, k, err, sizeof err), 0);
	char *path = st_xasprintf("%s/master.key", dir);
	chmod(path, 0644);
	assert_int_equal(sb_cmek_master_load(dir, k, err, sizeof err), -1);
	assert_non_null(strstr(err, "master.key"));
	assert_non_null(strstr(err, "0600"));
	st_test_write_file(path, "short");
	chmod(path, 0600);
	assert_int_equal(sb_cmek_master_load(dir, k, err, sizeof err), -1);
	assert_non_null(strstr(err, "damaged"));
	free(path);
	st_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seal_open_roundtrip),
		cmocka_unit_test(open_rejects_wrong_key_aad_and_tampering),
		cmocka_unit_test(empty_plaintext),
		cmocka_unit_test(seal_uses_fresh_iv),
		cmocka_unit_test(master_key_created_0600_and_stable),
		cmocka_unit_test(master_key_refuses_loose_mode_and_bad_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
