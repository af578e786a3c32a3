/* common/codec: CRC32C known answers, base64 both alphabets, SHA-256, UUIDs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/codec.h"

/* Bit-at-a-time CRC32C, the definition the fast table version must agree with. */
static uint32_t crc_ref(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

static void t_crc32c(void **state)
{
	(void)state;
	assert_int_equal(st_crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(st_crc32c(0, "", 0), 0);
	/* RFC 3720 B.4: 32 bytes of zeros, of 0xFF, and ascending. */
	unsigned char buf[32];
	memset(buf, 0, sizeof buf);
	assert_int_equal(st_crc32c(0, buf, 32), 0x8A9136AAu);
	memset(buf, 0xFF, sizeof buf);
	assert_int_equal(st_crc32c(0, buf, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char)i;
	assert_int_equal(st_crc32c(0, buf, 32), 0x46DD794Eu);
	/* Chaining over any split equals one pass; every length and alignment agrees with
	 * the bitwise reference. */
	unsigned char data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 131 + 7);
	for (size_t len = 0; len < 64; len++)
		for (size_t off = 0; off < 8; off++)
			assert_int_equal(st_crc32c(0, data + off, len), crc_ref(data + off, len));
	uint32_t whole = st_crc32c(0, data, sizeof data);
	for (size_t cut = 0; cut <= sizeof data; cut += 13)
		assert_int_equal(st_crc32c(st_crc32c(0, data, cut), data + cut, sizeof data - cut), whole);
	char b64[9];
	st_crc32c_b64(0xE3069283u, b64);
	assert_string_equal(b64, "4waSgw=="); /* big-endian bytes e3 06 92 83 */
}

static void t_base64(void **state)
{
	(void)state;
	const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	const char *std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	const char *url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char *e = st_base64_encode(plain[i], strlen(plain[i]));
		assert_string_equal(e, std[i]);
		free(e);
		e = st_base64url_encode(plain[i], strlen(plain[i]));
		assert_string_equal(e, url[i]);
		free(e);
		size_t n = 99;
		unsigned char *d = st_base64_decode(std[i], strlen(std[i]), &n);
		assert_non_null(d);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(d, plain[i], n);
		free(d);
		d = st_base64_decode(url[i], strlen(url[i]), &n);
		assert_non_null(d);
		assert_int_equal(n, strlen(plain[i]));
		free(d);
	}
	/* Bytes that differ between the two alphabets, and every byte value. */
	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	char *e = st_base64_encode("\xfb\xff", 2);
	assert_string_equal(e, "+/8=");
	free(e);
	e = st_base64url_encode("\xfb\xff", 2);
	assert_string_equal(e, "-_8");
	free(e);
	for (size_t len = 0; len <= 256; len += 17) {
		e = st_base64url_encode(all, len);
		size_t n;
		unsigned char *d = st_base64_decode(e, strlen(e), &n);
		assert_non_null(d);
		assert_int_equal(n, len);
		assert_memory_equal(d, all, len);
		free(d);
		free(e);
	}
}

static void t_base64_malformed(void **state)
{
	(void)state;
	const char *bad[] = {"Z", "Zm9vY", "Zm 9v", "Zm9v\n", "Zm=9v", "Zm9v!A==", "\xc3\xa9" "AA"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		size_t n = 0;
		if (st_base64_decode(bad[i], strlen(bad[i]), &n))
			fail_msg("accepted \"%s\"", bad[i]);
	}
	/* An embedded NUL inside the given length is malformed, not an early end. */
	size_t n;
	assert_null(st_base64_decode("Zm\0v", 4, &n));
}

static void t_sha256_hex(void **state)
{
	(void)state;
	char out[65];
	st_sha256_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	st_sha256_hex("", 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	char hex[7];
	st_hex_encode("\x00\xab\xff", 3, hex);
	assert_string_equal(hex, "00abff");
}

static void t_uuid(void **state)
{
	(void)state;
	char a[37], b[37];
	st_uuid4(a);
	st_uuid4(b);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", a[i]));
	}
	assert_int_equal(a[14], '4');                  /* version 4 */
	assert_non_null(strchr("89ab", a[19]));        /* RFC 4122 variant */
	unsigned char r[32] = {0};
	assert_int_equal(st_random_bytes(r, sizeof r), 0);
	int nonzero = 0;
	for (size_t i = 0; i < sizeof r; i++)
		nonzero |= r[i];
	assert_true(nonzero);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_crc32c),   cmocka_unit_test(t_base64),
		cmocka_unit_test(t_base64_malformed), cmocka_unit_test(t_sha256_hex),
		cmocka_unit_test(t_uuid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
