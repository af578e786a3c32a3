/* common/str: buffers, comparisons, trimming, edit distance, UTF-8 checks,
 * terminal-safe text and URL escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/str.h"

static void t_buf(void **state)
{
	(void)state;
	st_buf b;
	st_buf_init(&b);
	/* An empty buffer still hands out a valid empty string. */
	char *s = st_buf_steal(&b);
	assert_string_equal(s, "");
	free(s);
	assert_null(b.p);
	for (int i = 0; i < 1000; i++)
		st_buf_printf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.p));
	assert_true(st_starts_with(b.p, "0,1,2,"));
	assert_true(st_ends_with(b.p, "998,999,"));
	st_buf_append(&b, "a\0b", 3); /* binary data keeps its length */
	assert_int_equal(b.p[b.len], '\0');
	assert_memory_equal(b.p + b.len - 3, "a\0b", 3);
	st_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	st_buf_puts(&b, "x");
	s = st_buf_steal(&b);
	assert_string_equal(s, "x");
	assert_int_equal(b.len, 0);
	free(s);
	st_buf_free(&b);
}

static void t_alloc(void **state)
{
	(void)state;
	char *s = st_xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	s = st_xstrndup("ab", 10); /* n beyond the string reads no further than its NUL */
	assert_string_equal(s, "ab");
	free(s);
	s = st_xasprintf("%s-%05d", "id", 42);
	assert_string_equal(s, "id-00042");
	free(s);
	void *z = st_xcalloc(0, 0); /* zero-size requests still give a pointer */
	assert_non_null(z);
	free(z);
}

static void t_prefix_suffix(void **state)
{
	(void)state;
	assert_true(st_starts_with("sealtrain", "seal"));
	assert_true(st_starts_with("x", ""));
	assert_false(st_starts_with("se", "seal"));
	assert_true(st_ends_with("model.rf", ".rf"));
	assert_false(st_ends_with("rf", "model.rf"));
	assert_true(st_ends_with("", ""));
}

static void t_strlcpy_trim(void **state)
{
	(void)state;
	char d[5];
	assert_int_equal(st_strlcpy(d, "abcdefgh", sizeof d), 8);
	assert_string_equal(d, "abcd");
	assert_int_equal(st_strlcpy(d, "ab", sizeof d), 2);
	assert_string_equal(d, "ab");
	d[0] = 'q';
	assert_int_equal(st_strlcpy(d, "zz", 0), 2); /* size 0 writes nothing */
	assert_int_equal(d[0], 'q');
	char t[] = " \t hello world \r\n";
	assert_string_equal(st_trim(t), "hello world");
	char e[] = "   ";
	assert_string_equal(st_trim(e), "");
}

static void t_levenshtein(void **state)
{
	(void)state;
	assert_int_equal(st_levenshtein("kitten", "sitting"), 3);
	assert_int_equal(st_levenshtein("", "abc"), 3);
	assert_int_equal(st_levenshtein("same", "same"), 0);
	assert_int_equal(st_levenshtein("machine_typ", "machine_type"), 1);
	char longer[80];
	memset(longer, 'a', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	assert_int_equal(st_levenshtein(longer, "a"), 255); /* capped, never overflows its row */
}

static void t_utf8(void **state)
{
	(void)state;
	assert_true(st_utf8_valid("plain", 5));
	assert_true(st_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9)); /* é € 😀 */
	assert_false(st_utf8_valid("\xc0\xaf", 2));          /* overlong '/' */
	assert_false(st_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
	assert_false(st_utf8_valid("\xf4\x90\x80\x80", 4));  /* above U+10FFFF */
	assert_false(st_utf8_valid("\xe2\x82", 2));          /* truncated */
	assert_false(st_utf8_valid("\x80", 1));              /* lone continuation */
	assert_false(st_utf8_valid("\xff", 1));
	assert_true(st_utf8_valid("", 0));
}

static void t_sanitize(void **state)
{
	(void)state;
	char out[64];
	st_sanitize_text(out, sizeof out, "ok\x1b[31mred\x07\n");
	assert_string_equal(out, "ok?[31mred??");
	st_sanitize_text(out, sizeof out, "caf\xc3\xa9 \xc2\x9b" "2J \xff");
	assert_string_equal(out, "caf\xc3\xa9 ?2J ?");
	/* Line separators and bidi overrides are masked; a neighbouring ordinary character
	 * (U+2027, U+2030, U+2065) stays. */
	st_sanitize_text(out, sizeof out, "a\xe2\x80\xa8" "b\xe2\x80\xae" "c\xe2\x81\xa6" "d\xe2\x80\xa7\xe2\x80\xb0\xe2\x81\xa5");
	assert_string_equal(out, "a?b?c?d\xe2\x80\xa7\xe2\x80\xb0\xe2\x81\xa5");
	/* Truncation never splits a multi-byte character. */
	char small[5];
	st_sanitize_text(small, sizeof small, "ab\xe2\x82\xac");
	assert_string_equal(small, "ab");
	st_sanitize_text(small, 1, "abc");
	assert_string_equal(small, "");
}

static void t_url_escape(void **state)
{
	(void)state;
	char *s = st_url_escape("data/set 1.csv~_-");
	assert_string_equal(s, "data%2Fset%201.csv~_-");
	free(s);
	s = st_url_escape("caf\xc3\xa9?&=#%");
	assert_string_equal(s, "caf%C3%A9%3F%26%3D%23%25");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_buf),           cmocka_unit_test(t_alloc),
		cmocka_unit_test(t_prefix_suffix), cmocka_unit_test(t_strlcpy_trim),
		cmocka_unit_test(t_levenshtein),   cmocka_unit_test(t_utf8),
		cmocka_unit_test(t_sanitize),      cmocka_unit_test(t_url_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
