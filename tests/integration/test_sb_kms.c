/* Integration tests: Cloud KMS in the real sealtrain-sandbox (key rings, keys,
 * versions, IAM, encrypt/decrypt and their error paths). */
#include "tests/integration/test_sb_kms_util.h"

#include <sys/stat.h>

#include "common/codec.h"

static int setup(void **st)
{
	*st = sbt_new(NULL);
	return 0;
}

static void key_rings(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	sbt_call(sb, "POST", KT_LOC "/keyRings?keyRingId=ring1", "{}", 200, &r);
	assert_string_equal(sbt_str(&r, "name"), "projects/p1/locations/us-central1/keyRings/ring1");
	assert_non_null(sbt_str(&r, "createTime"));
	st_http_free(&r);
	sbt_call(sb, "POST", KT_LOC "/keyRings?keyRingId=ring1", "{}", 409, &r);
	kt_error(&r, 409, "ALREADY_EXISTS", "ring1");
	st_http_free(&r);
	kt_do(sb, "POST", KT_LOC "/keyRings?keyRingId=ring2", "{}", 200);
	sbt_call(sb, "GET", KT_RING, NULL, 200, &r);
	st_http_free(&r);
	sbt_call(sb, "GET", KT_LOC "/keyRings?pageSize=1", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "keyRings")), 1);
	char *next = st_xasprintf(KT_LOC "/keyRings?pageSize=1&pageToken=%s",
				  sbt_str(&r, "nextPageToken"));
	st_http_free(&r);
	sbt_call(sb, "GET", next, NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "keyRings.0.name"),
			    "projects/p1/locations/us-central1/keyRings/ring2");
	assert_null(sbt_str(&r, "nextPageToken"));
	st_http_free(&r);
	free(next);
}

static void key_ring_errors(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	sbt_call(sb, "POST", KT_LOC "/keyRings", "{}", 400, &r);
	kt_error(&r, 400, "INVALID_ARGUMENT", "keyRingId");
	st_http_free(&r);
	sbt_call(sb, "POST", KT_LOC "/keyRings?keyRingId=bad%20id", "{}", 400, &r);
	st_http_free(&r);
	sbt_call(sb, "POST", KT_LOC "/keyRings?keyRingId=r", "{\"x\":", 400, &r);
	kt_error(&r, 400, "INVALID_ARGUMENT", NULL);
	st_http_free(&r);
	sbt_call(sb, "GET", KT_LOC "/keyRings/none", NULL, 404, &r);
	kt_error(&r, 404, "NOT_FOUND", "KeyRing");
	st_http_free(&r);
	sbt_call(sb, "GET", KT_LOC "/keyRings?pageToken=%25%25", NULL, 400, &r);
	st_http_free(&r);
	/* key rings cannot be deleted, as in Google's API */
	kt_do(sb, "POST", KT_LOC "/keyRings?keyRingId=ring1", "{}", 200);
	sbt_call(sb, "DELETE", KT_RING, NULL, 405, &r);
	st_http_free(&r);
}

static void crypto_keys(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_do(sb, "POST", KT_LOC "/keyRings?keyRingId=ring1", "{}", 200);
	sbt_call(sb, "POST", KT_RING "/cryptoKeys?cryptoKeyId=key1",
		 "{\"purpose\":\"ENCRYPT_DECRYPT\",\"rotationPeriod\":\"2592000s\","
		 "\"nextRotationTime\":\"2099-01-01T00:00:00Z\",\"labels\":{\"app\":\"t\"},"
		 "\"versionTemplate\":{\"algorithm\":\"GOOGLE_SYMMETRIC_ENCRYPTION\","
		 "\"protectionLevel\":\"SOFTWARE\"}}", 200, &r);
	assert_string_equal(sbt_str(&r, "primary.state"), "ENABLED");
	assert_string_equal(sbt_str(&r, "primary.name"), KT_KEYNAME "/cryptoKeyVersions/1");
	assert_string_equal(sbt_str(&r, "rotationPeriod"), "2592000s");
	assert_null(json_object_get(json_object_get(r.json, "primary"), "_material"));
	st_http_free(&r);
	sbt_call(sb, "POST", KT_RING "/cryptoKeys?cryptoKeyId=key1", "{\"purpose\":\"ENCRYPT_DECRYPT\"}",
		 409, &r);
	kt_error(&r, 409, "ALREADY_EXISTS", "key1");
	st_http_free(&r);
	sbt_call(sb, "POST", KT_RING "/cryptoKeys?cryptoKeyId=key2&skipInitialVersionCreation=true",
		 "{\"purpose\":\"ENCRYPT_DECRYPT\"}", 200, &r);
	assert_null(json_object_get(r.json, "primary"));
	st_http_free(&r);
	sbt_call(sb, "GET", KT_RING "/cryptoKeys", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "cryptoKeys")), 2);
	st_http_free(&r);
	sbt_call(sb, "PATCH", KT_KEY "?updateMask=rotationPeriod,labels",
		 "{\"rotationPeriod\":\"86400s\",\"labels\":{\"b\":\"c\"}}", 200, &r);
	assert_string_equal(sbt_str(&r, "rotationPeriod"), "86400s");
	assert_string_equal(sbt_str(&r, "labels.b"), "c");
	assert_null(sbt_str(&r, "labels.app"));
	st_http_free(&r);
	sbt_call(sb, "GET", KT_KEY, NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "rotationPeriod"), "86400s");
	st_http_free(&r);
}

static void crypto_key_errors(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	const char *no_ring = KT_LOC "/keyRings/none/cryptoKeys?cryptoKeyId=k";
	sbt_call(sb, "POST", no_ring, "{\"purpose\":\"ENCRYPT_DECRYPT\"}", 404, &r);
	st_http_free(&r);
	kt_do(sb, "POST", KT_LOC "/keyRings?keyRingId=ring1", "{}", 200);
	struct {
		const char *body, *needle;
	} bad[] = {
		{"{}", "purpose"},
		{"{\"purpose\":\"ASYMMETRIC_SIGN\"}", "ASYMMETRIC_SIGN"},
		{"{\"purpose\":\"ENCRYPT_DECRYPT\",\"rotationPeriod\":\"2592000s\"}", "nextRotationTime"},
		{"{\"purpose\":\"ENCRYPT_DECRYPT\",\"rotationPeriod\":\"3600s\","
		 "\"nextRotationTime\":\"2099-01-01T00:00:00Z\"}", "rotationPeriod"},
		{"{\"purpose\":\"ENCRYPT_DECRYPT\",\"rotationPeriod\":\"soon\","
		 "\"nextRotationTime\":\"2099-01-01T00:00:00Z\"}", "duration"},
		{"{\"purpose\":\"ENCRYPT_DECRYPT\",\"nextRotationTime\":\"tomorrow\"}", "RFC 3339"},
		{"{\"purpose\":\"ENCRYPT_DECRYPT\",\"labels\":[1]}", "labels"},
		{"{\"purpose\":\"ENCRYPT_DECRYPT\",\"versionTemplate\":{\"algorithm\":\"RSA\"}}",
		 "algorithm"},
		{"{\"purpose\":\"ENCRYPT_DECRYPT\",\"destroyScheduledDuration\":\"60s\"}",
		 "destroyScheduledDuration"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		sbt_call(sb, "POST", KT_RING "/cryptoKeys?cryptoKeyId=k", bad[i].body, 400, &r);
		kt_error(&r, 400, "INVALID_ARGUMENT", bad[i].needle);
		st_http_free(&r);
	}
	sbt_call(sb, "POST", KT_RING "/cryptoKeys?cryptoKeyId=a.b", "{\"purpose\":\"ENCRYPT_DECRYPT\"}",
		 400, &r);
	st_http_free(&r);
	kt_do(sb, "POST", KT_RING "/cryptoKeys?cryptoKeyId=key1", "{\"purpose\":\"ENCRYPT_DECRYPT\"}",
	      200);
	sbt_call(sb, "PATCH", KT_KEY, "{}", 400, &r);
	kt_error(&r, 400, "INVALID_ARGUMENT", "updateMask");
	st_http_free(&r);
	sbt_call(sb, "PATCH", KT_KEY "?updateMask=purpose", "{\"purpose\":\"MAC\"}", 400, &r);
	st_http_free(&r);
	/* a period without a next time is refused on patch as on create */
	sbt_call(sb, "PATCH", KT_KEY "?updateMask=rotationPeriod", "{\"rotationPeriod\":\"86400s\"}",
		 400, &r);
	st_http_free(&r);
	sbt_call(sb, "GET", KT_RING "/cryptoKeys/none", NULL, 404, &r);
	kt_error(&r, 404, "NOT_FOUND", "CryptoKey");
	st_http_free(&r);
}

static void versions(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_make_key(sb);
	for (int i = 0; i < 10; i++)
		kt_do(sb, "POST", KT_KEY "/cryptoKeyVersions", "{}", 200);
	sbt_call(sb, "GET", KT_KEY "/cryptoKeyVersions", NULL, 200, &r);
	json_t *list = json_object_get(r.json, "cryptoKeyVersions");
	assert_int_equal(json_array_size(list), 11);
	/* numeric order, not "1, 10, 11, 2" */
	assert_string_equal(sbt_str(&r, "cryptoKeyVersions.1.name"), KT_KEYNAME "/cryptoKeyVersions/2");
	st_http_free(&r);
	const char *v2 = KT_KEY "/cryptoKeyVersions/2";
	sbt_call(sb, "PATCH", KT_KEY "/cryptoKeyVersions/2?updateMask=state", "{\"state\":\"DISABLED\"}",
		 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "DISABLED");
	st_http_free(&r);
	kt_do(sb, "PATCH", KT_KEY "/cryptoKeyVersions/2?updateMask=state", "{\"state\":\"ENABLED\"}",
	      200);
	sbt_call(sb, "POST", KT_KEY "/cryptoKeyVersions/2:destroy", "{}", 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "DESTROY_SCHEDULED");
	assert_non_null(sbt_str(&r, "destroyTime"));
	st_http_free(&r);
	sbt_call(sb, "PATCH", KT_KEY "/cryptoKeyVersions/2?updateMask=state", "{\"state\":\"ENABLED\"}",
		 400, &r);
	kt_error(&r, 400, "FAILED_PRECONDITION", "DESTROY_SCHEDULED");
	st_http_free(&r);
	sbt_call(sb, "POST", KT_KEY "/cryptoKeyVersions/2:destroy", "{}", 400, &r);
	st_http_free(&r);
	sbt_call(sb, "POST", KT_KEY "/cryptoKeyVersions/2:restore", "{}", 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "DISABLED");
	assert_null(sbt_str(&r, "destroyTime"));
	st_http_free(&r);
	sbt_call(sb, "POST", KT_KEY "/cryptoKeyVersions/3:restore", "{}", 400, &r);
	st_http_free(&r);
	sbt_call(sb, "GET", v2, NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "DISABLED");
	st_http_free(&r);
	sbt_call(sb, "GET", KT_KEY "/cryptoKeyVersions/99", NULL, 404, &r);
	st_http_free(&r);
	sbt_call(sb, "GET", KT_KEY "/cryptoKeyVersions/01", NULL, 404, &r);
	st_http_free(&r);
	sbt_call(sb, "PATCH", KT_KEY "/cryptoKeyVersions/2?updateMask=state", "{\"state\":\"DESTROYED\"}",
		 400, &r);
	st_http_free(&r);
	sbt_call(sb, "PATCH", KT_KEY "/cryptoKeyVersions/2", "{\"state\":\"ENABLED\"}", 400, &r);
	st_http_free(&r);
	/* primary moves only to an enabled version */
	sbt_call(sb, "POST", KT_KEY ":updatePrimaryVersion", "{\"cryptoKeyVersionId\":\"2\"}", 400, &r);
	st_http_free(&r);
	sbt_call(sb, "POST", KT_KEY ":updatePrimaryVersion", "{\"cryptoKeyVersionId\":\"5\"}", 200, &r);
	assert_string_equal(sbt_str(&r, "primary.name"), KT_KEYNAME "/cryptoKeyVersions/5");
	st_http_free(&r);
}

static char *b64(const char *s)
{
	return st_base64_encode(s, strlen(s));
}

static char *encrypt(const st_sandbox *sb, const char *pt, const char *aad, long want)
{
	char *p = b64(pt), *a = aad ? b64(aad) : NULL;
	char *body = a ? st_xasprintf("{\"plaintext\":\"%s\",\"additionalAuthenticatedData\":\"%s\"}",
				      p, a)
		       : st_xasprintf("{\"plaintext\":\"%s\"}", p);
	st_http_resp r;
	sbt_call(sb, "POST", KT_KEY ":encrypt", body, want, &r);
	char *ct = want == 200 ? st_xstrdup(sbt_str(&r, "ciphertext")) : NULL;
	st_http_free(&r);
	free(p), free(a), free(body);
	return ct;
}

static void decrypt_expect(const st_sandbox *sb, const char *ct, const char *aad, long want,
			   const char *pt_or_status)
{
	char *a = aad ? b64(aad) : NULL;
	char *body = a ? st_xasprintf("{\"ciphertext\":\"%s\",\"additionalAuthenticatedData\":\"%s\"}",
				      ct, a)
		       : st_xasprintf("{\"ciphertext\":\"%s\"}", ct);
	st_http_resp r;
	sbt_call(sb, "POST", KT_KEY ":decrypt", body, want, &r);
	if (want == 200) {
		size_t n = 0;
		const char *p = sbt_str(&r, "plaintext");
		unsigned char *raw = st_base64_decode(p, strlen(p), &n);
		assert_int_equal(n, strlen(pt_or_status));
		assert_memory_equal(raw, pt_or_status, n);
		free(raw);
	} else {
		kt_error(&r, want, pt_or_status, NULL);
	}
	st_http_free(&r);
	free(a), free(body);
}

static void encrypt_decrypt(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_make_key(sb);
	/* the operator owns the project but, as in Google's, needs the key role to use it */
	sbt_call(sb, "POST", KT_KEY ":encrypt", "{\"plaintext\":\"aGk=\"}", 403, &r);
	kt_error(&r, 403, "PERMISSION_DENIED", "useToEncrypt");
	st_http_free(&r);
	kt_grant(sb, KT_KEY, KT_ED, "\"" KT_OPERATOR "\"");
	char *ct = encrypt(sb, "secret training data", "ctx-1", 200);
	decrypt_expect(sb, ct, "ctx-1", 200, "secret training data");
	decrypt_expect(sb, ct, "ctx-2", 400, "INVALID_ARGUMENT");
	decrypt_expect(sb, ct, NULL, 400, "INVALID_ARGUMENT");
	/* a flipped ciphertext byte fails authentication */
	size_t n = 0;
	unsigned char *raw = st_base64_decode(ct, strlen(ct), &n);
	raw[n - 3] ^= 1;
	char *bad = st_base64_encode(raw, n);
	decrypt_expect(sb, bad, "ctx-1", 400, "INVALID_ARGUMENT");
	free(bad);
	free(raw);
	/* rotation to a new primary leaves old ciphertexts readable */
	kt_do(sb, "POST", KT_KEY "/cryptoKeyVersions", "{}", 200);
	kt_do(sb, "POST", KT_KEY ":updatePrimaryVersion", "{\"cryptoKeyVersionId\":\"2\"}", 200);
	char *ct2 = encrypt(sb, "newer", NULL, 200);
	decrypt_expect(sb, ct, "ctx-1", 200, "secret training data");
	sbt_call(sb, "POST", KT_KEY ":decrypt", "{\"ciphertext\":\"U0tNMQ==\"}", 400, &r);
	st_http_free(&r);
	/* a disabled version cannot decrypt; enabled again it can */
	kt_do(sb, "PATCH", KT_KEY "/cryptoKeyVersions/1?updateMask=state", "{\"state\":\"DISABLED\"}",
	      200);
	decrypt_expect(sb, ct, "ctx-1", 400, "FAILED_PRECONDITION");
	decrypt_expect(sb, ct2, NULL, 200, "newer");
	kt_do(sb, "PATCH", KT_KEY "/cryptoKeyVersions/1?updateMask=state", "{\"state\":\"ENABLED\"}",
	      200);
	decrypt_expect(sb, ct, "ctx-1", 200, "secret training data");
	/* a disabled primary cannot encrypt */
	kt_do(sb, "PATCH", KT_KEY "/cryptoKeyVersions/2?updateMask=state", "{\"state\":\"DISABLED\"}",
	      200);
	sbt_call(sb, "POST", KT_KEY ":encrypt", "{\"plaintext\":\"aGk=\"}", 400, &r);
	kt_error(&r, 400, "FAILED_PRECONDITION", "DISABLED");
	st_http_free(&r);
	free(ct);
	free(ct2);
}

static void encrypt_crc32c_and_bad_input(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_make_key(sb);
	kt_grant(sb, KT_KEY, KT_ED, "\"" KT_OPERATOR "\"");
	/* "hi" */
	char *good = st_xasprintf("{\"plaintext\":\"aGk=\",\"plaintextCrc32c\":\"%u\"}",
				  (unsigned)st_crc32c(0, "hi", 2));
	sbt_call(sb, "POST", KT_KEY ":encrypt", good, 200, &r);
	assert_true(json_is_true(json_object_get(r.json, "verifiedPlaintextCrc32c")));
	const char *ct = sbt_str(&r, "ciphertext");
	size_t n = 0;
	unsigned char *raw = st_base64_decode(ct, strlen(ct), &n);
	int64_t crc = 0;
	const char *crcs = sbt_str(&r, "ciphertextCrc32c");
	crc = strtoll(crcs, NULL, 10);
	assert_int_equal((uint32_t)crc, st_crc32c(0, raw, n));
	char *dec = st_xasprintf("{\"ciphertext\":\"%s\",\"ciphertextCrc32c\":\"%lld\"}", ct,
				 (long long)crc + 1);
	st_http_free(&r);
	sbt_call(sb, "POST", KT_KEY ":decrypt", dec, 400, &r);
	kt_error(&r, 400, "INVALID_ARGUMENT", "ciphertextCrc32c");
	st_http_free(&r);
	sbt_call(sb, "POST", KT_KEY ":encrypt", "{\"plaintext\":\"aGk=\",\"plaintextCrc32c\":\"1\"}",
		 400, &r);
	kt_error(&r, 400, "INVALID_ARGUMENT", "plaintextCrc32c");
	st_http_free(&r);
	const char *bad[] = {"{}", "{\"plaintext\":\"***\"}", "{\"plaintext\":5}", "[1]", "{",
			     "{\"plaintext\":\"aGk=\",\"plaintextCrc32c\":\"x\"}"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		sbt_call(sb, "POST", KT_KEY ":encrypt", bad[i], 400, &r);
		st_http_free(&r);
	}
	/* over 64 KiB of plaintext */
	char *big = st_xmalloc(90001);
	memset(big, 'A', 90000);
	big[90000] = 0;
	char *body = st_xasprintf("{\"plaintext\":\"%s\"}", big);
	sbt_call(sb, "POST", KT_KEY ":encrypt", body, 400, &r);
	kt_error(&r, 400, "INVALID_ARGUMENT", "at most");
	st_http_free(&r);
	sbt_call(sb, "POST", KT_RING "/cryptoKeys/none:encrypt", "{\"plaintext\":\"aGk=\"}", 404, &r);
	st_http_free(&r);
	free(body), free(big), free(dec), free(raw), free(good);
}

static void iam_policy(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_make_key(sb);
	sbt_call(sb, "GET", KT_KEY ":getIamPolicy?options.requestedPolicyVersion=3", NULL, 200, &r);
	char *etag = st_xstrdup(sbt_str(&r, "etag"));
	st_http_free(&r);
	char *body = st_xasprintf("{\"policy\":{\"etag\":\"%s\",\"bindings\":[{\"role\":\"%s\","
				  "\"members\":[\"user:a@x.org\"]}]}}", etag, KT_ED);
	sbt_call(sb, "POST", KT_KEY ":setIamPolicy", body, 200, &r);
	assert_string_not_equal(sbt_str(&r, "etag"), etag);
	st_http_free(&r);
	/* the same stale etag again: a concurrent change */
	sbt_call(sb, "POST", KT_KEY ":setIamPolicy", body, 409, &r);
	kt_error(&r, 409, "ABORTED", "concurrent");
	st_http_free(&r);
	sbt_call(sb, "GET", KT_KEY ":getIamPolicy", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "bindings.0.members.0"), "user:a@x.org");
	st_http_free(&r);
	const char *bad[] = {
		"{}",
		"{\"policy\":{\"bindings\":{}}}",
		"{\"policy\":{\"bindings\":[{\"role\":\"owner\",\"members\":[\"user:a\"]}]}}",
		"{\"policy\":{\"bindings\":[{\"role\":\"roles/x\",\"members\":[]}]}}",
		"{\"policy\":{\"bindings\":[{\"role\":\"roles/x\",\"members\":[\"bob\"]}]}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		sbt_call(sb, "POST", KT_KEY ":setIamPolicy", bad[i], 400, &r);
		kt_error(&r, 400, "INVALID_ARGUMENT", NULL);
		st_http_free(&r);
	}
	sbt_call(sb, "GET", KT_RING "/cryptoKeys/none:getIamPolicy", NULL, 404, &r);
	st_http_free(&r);
	free(body);
	free(etag);
}

static void master_key_file_is_private(void **st)
{
	st_sandbox *sb = *st;
	char *path = st_xasprintf("%s/master.key", sb->state);
	struct stat s;
	assert_int_equal(stat(path, &s), 0);
	assert_int_equal(s.st_mode & 0777, 0600);
	assert_int_equal(s.st_size, 32);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(key_rings, setup, sbt_free),
		cmocka_unit_test_setup_teardown(key_ring_errors, setup, sbt_free),
		cmocka_unit_test_setup_teardown(crypto_keys, setup, sbt_free),
		cmocka_unit_test_setup_teardown(crypto_key_errors, setup, sbt_free),
		cmocka_unit_test_setup_teardown(versions, setup, sbt_free),
		cmocka_unit_test_setup_teardown(encrypt_decrypt, setup, sbt_free),
		cmocka_unit_test_setup_teardown(encrypt_crc32c_and_bad_input, setup, sbt_free),
		cmocka_unit_test_setup_teardown(iam_policy, setup, sbt_free),
		cmocka_unit_test_setup_teardown(master_key_file_is_private, setup, sbt_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
