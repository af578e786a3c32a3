/* Unit tests: multipart/related upload bodies (sandbox/storage_multipart.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "sandbox/storage_multipart.h"
#include "tests/support/sttest.h"

static char *dir;

static int setup(void **st)
{
	dir = st_test_tmpdir("multipart");
	return 0;
}

static int teardown(void **st)
{
	st_test_rmtree(dir);
	free(dir);
	return 0;
}

/* Writes body (len bytes) and parses it. */
static int parse(const char *body, size_t len, const char *ct, sb_multipart *m, char *err)
{
	char *path = st_xasprintf("%s/body", dir);
	FILE *f = fopen(path, "wb");
	fwrite(body, 1, len, f);
	fclose(f);
	int rc = sb_multipart_parse(path, len, ct, m, err, 256);
	free(path);
	return rc;
}

static const char good[] =
	"--XyZ\r\n"
	"Content-Type: application/json; charset=UTF-8\r\n\r\n"
	"{\"name\":\"a/b.txt\"}\r\n"
	"--XyZ\r\n"
	"Content-Type: text/plain\r\n\r\n"
	"hello\r\n--XyZ not a boundary\r\n"
	"--XyZ--\r\n";

static void parses_two_parts(void **st)
{
	sb_multipart m;
	char err[256];
	assert_int_equal(parse(good, sizeof good - 1, "multipart/related; boundary=XyZ", &m, err), 0);
	assert_int_equal(m.nparts, 2);
	assert_string_equal(m.parts[0].content_type, "application/json; charset=UTF-8");
	assert_memory_equal(good + m.parts[0].off, "{\"name\":\"a/b.txt\"}", m.parts[0].len);
	assert_int_equal(m.parts[0].len, 18);
	assert_string_equal(m.parts[1].content_type, "text/plain");
	/* "\r\n--XyZ " inside the data is no delimiter: the bytes after it are neither
	 * CRLF nor "--", so the media part runs on past it. */
	static const char media[] = "hello\r\n--XyZ not a boundary";
	assert_int_equal(m.parts[1].len, sizeof media - 1);
	assert_memory_equal(good + m.parts[1].off, media, sizeof media - 1);
	sb_multipart_free(&m);
}

static void binary_media_with_quoted_boundary_and_preamble(void **st)
{
	char body[512];
	size_t n = 0;
	const char *pre = "preamble\r\n--b0und\r\n\r\n{}\r\n--b0und\r\n\r\n";
	memcpy(body, pre, strlen(pre));
	n = strlen(pre);
	unsigned char bin[] = {0, 1, '\r', '\n', '-', '-', 0xff, 0};
	memcpy(body + n, bin, sizeof bin);
	n += sizeof bin;
	memcpy(body + n, "\r\n--b0und--", 11);
	n += 11;
	sb_multipart m;
	char err[256];
	assert_int_equal(parse(body, n, "multipart/related; boundary=\"b0und\"", &m, err), 0);
	assert_null(m.parts[0].content_type);
	assert_int_equal(m.parts[1].len, sizeof bin);
	assert_memory_equal(body + m.parts[1].off, bin, sizeof bin);
	sb_multipart_free(&m);
}

static void truncated_body(void **st)
{
	sb_multipart m;
	char err[256];
	size_t cut = strstr(good, "hello") - good + 3;
	assert_int_equal(parse(good, cut, "multipart/related; boundary=XyZ", &m, err), -1);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(parse(good, 9, "multipart/related; boundary=XyZ", &m, err), -1);
	assert_int_equal(parse("", 0, "multipart/related; boundary=XyZ", &m, err), -1);
}

static void boundary_followed_by_junk_is_data(void **st)
{
	static const char junk[] = "--XyZ\r\n\r\n{}\r\n--XyZ\r\n\r\nabc\r\n--XyZxx";
	sb_multipart m;
	char err[256];
	assert_int_equal(parse(junk, sizeof junk - 1, "multipart/related; boundary=XyZ", &m, err), -1);
	assert_non_null(strstr(err, "truncated"));
}

static void wrong_part_count(void **st)
{
	static const char one[] = "--XyZ\r\n\r\n{}\r\n--XyZ--";
	static const char three[] = "--XyZ\r\n\r\n{}\r\n--XyZ\r\n\r\na\r\n--XyZ\r\n\r\nb\r\n--XyZ--";
	sb_multipart m;
	char err[256];
	assert_int_equal(parse(one, sizeof one - 1, "multipart/related; boundary=XyZ", &m, err), -1);
	assert_non_null(strstr(err, "1 part"));
	assert_int_equal(parse(three, sizeof three - 1, "multipart/related; boundary=XyZ", &m, err), -1);
	assert_non_null(strstr(err, "more than"));
}

static void boundary_extraction(void **st)
{
	char *b = sb_multipart_boundary("multipart/related; boundary=abc; charset=x");
	assert_string_equal(b, "abc");
	free(b);
	assert_null(sb_multipart_boundary("multipart/related"));
	assert_null(sb_multipart_boundary("multipart/related; boundary="));
	assert_null(sb_multipart_boundary("multipart/related; boundary=\"open"));
	assert_null(sb_multipart_boundary(NULL));
	char longb[120];
	memset(longb, 'a', sizeof longb);
	memcpy(longb, "boundary=", 9);
	longb[sizeof longb - 1] = 0;
	assert_null(sb_multipart_boundary(longb));
	sb_multipart m;
	char err[256];
	assert_int_equal(parse(good, sizeof good - 1, "multipart/related", &m, err), -1);
	assert_non_null(strstr(err, "boundary"));
	assert_int_equal(parse(good, sizeof good - 1, "multipart/related; boundary=other", &m, err), -1);
	assert_non_null(strstr(err, "never"));
}

static void block_edge_boundary(void **st)
{
	/* the media part straddles the parser's 1 MiB read blocks */
	size_t media = (1u << 20) + 3;
	const char *head = "--E\r\n\r\n{}\r\n--E\r\n\r\n";
	size_t hl = strlen(head), n = hl + media + 7;
	char *body = st_xmalloc(n);
	memcpy(body, head, hl);
	memset(body + hl, 'x', media);
	memcpy(body + hl + media, "\r\n--E--", 7);
	sb_multipart m;
	char err[256];
	assert_int_equal(parse(body, n, "multipart/related; boundary=E", &m, err), 0);
	assert_int_equal(m.parts[1].len, media);
	sb_multipart_free(&m);
	free(body);
}

/* Every prefix of a good body, and every single-byte corruption of it, parses or
 * fails cleanly; only the whole body parses as two parts with the right media. */
static void every_truncation_and_corruption(void **st)
{
	sb_multipart m;
	char err[256];
	size_t n = sizeof good - 1;
	for (size_t cut = 0; cut < n; cut++) {
		int rc = parse(good, cut, "multipart/related; boundary=XyZ", &m, err);
		if (rc == 0)
			sb_multipart_free(&m);
		/* the closing delimiter needs its "--": no shorter prefix is complete */
		if (cut < n - 2)
			assert_int_equal(rc, -1);
	}
	char *copy = st_xmalloc(n);
	for (size_t i = 0; i < n; i++) {
		memcpy(copy, good, n);
		copy[i] ^= 0x5a;
		if (parse(copy, n, "multipart/related; boundary=XyZ", &m, err) == 0) {
			assert_int_equal(m.nparts, 2);
			assert_true(m.parts[1].off + m.parts[1].len <= n);
			sb_multipart_free(&m);
		}
	}
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_two_parts),
		cmocka_unit_test(binary_media_with_quoted_boundary_and_preamble),
		cmocka_unit_test(truncated_body),
		cmocka_unit_test(boundary_followed_by_junk_is_data),
		cmocka_unit_test(wrong_part_count),
		cmocka_unit_test(boundary_extraction),
		cmocka_unit_test(block_edge_boundary),
		cmocka_unit_test(every_truncation_and_corruption),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
