/* Unit tests: chunked AES-256-GCM object files (sandbox/cmek_stream.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/codec.h"
#include "common/str.h"
#include "sandbox/cmek.h"
#include "tests/support/sttest.h"

static const unsigned char dek[32] = {7, 7, 7};

typedef struct fx {
	char *dir, *src, *enc, *out;
	unsigned char *data;
	size_t len;
} fx;

static void fx_make(fx *f, size_t len)
{
	f->dir = st_test_tmpdir("chunks");
	f->src = st_xasprintf("%s/src", f->dir);
	f->enc = st_xasprintf("%s/enc", f->dir);
	f->out = st_xasprintf("%s/out", f->dir);
	f->len = len;
	f->data = st_xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		f->data[i] = (unsigned char)(i * 31 + (i >> 9));
	FILE *fp = fopen(f->src, "wb");
	/* 5 bytes of prefix so that encrypting from an offset is exercised */
	fwrite("HEAD!", 1, 5, fp);
	fwrite(f->data, 1, len, fp);
	fclose(fp);
}

static void fx_free(fx *f)
{
	st_test_rmtree(f->dir);
	free(f->dir), free(f->src), free(f->enc), free(f->out), free(f->data);
}

static void roundtrip_len(size_t len)
{
	fx f;
	fx_make(&f, len);
	char err[256];
	sb_cmek_digest d;
	assert_int_equal(sb_cmek_encrypt_file(dek, f.src, 5, len, f.enc, &d, err, sizeof err), 0);
	assert_int_equal(d.size, len);
	assert_int_equal(d.crc32c, st_crc32c(0, f.data, len));
	unsigned char md5[16];
	unsigned int ml;
	EVP_Digest(f.data, len, md5, &ml, EVP_md5(), NULL);
	assert_memory_equal(d.md5, md5, 16);
	struct stat sb;
	stat(f.enc, &sb);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb_cmek_plain_size((uint64_t)sb.st_size), (int64_t)len);
	unsigned char *mem = NULL;
	assert_int_equal(sb_cmek_decrypt_range(dek, f.enc, 0, len, NULL, &mem, err, sizeof err), 0);
	assert_memory_equal(mem, f.data, len);
	free(mem);
	fx_free(&f);
}

static void roundtrip_sizes(void **st)
{
	size_t sizes[] = {0, 1, SB_CMEK_CHUNK - 1, SB_CMEK_CHUNK, SB_CMEK_CHUNK + 1,
			  3 * SB_CMEK_CHUNK, 3 * SB_CMEK_CHUNK + 777};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
		roundtrip_len(sizes[i]);
}

static void ranges_across_chunk_edges(void **st)
{
	fx f;
	size_t len = 3 * SB_CMEK_CHUNK + 100;
	fx_make(&f, len);
	char err[256];
	assert_int_equal(sb_cmek_encrypt_file(dek, f.src, 5, len, f.enc, NULL, err, sizeof err), 0);
	uint64_t cases[][2] = {{0, 1}, {SB_CMEK_CHUNK - 3, 10}, {SB_CMEK_CHUNK, SB_CMEK_CHUNK},
			       {len - 1, 1}, {100, len - 100}, {len, 0}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		unsigned char *mem = NULL;
		assert_int_equal(sb_cmek_decrypt_range(dek, f.enc, cases[i][0], cases[i][1], NULL,
						       &mem, err, sizeof err), 0);
		assert_memory_equal(mem, f.data + cases[i][0], cases[i][1]);
		free(mem);
	}
	/* into a file */
	int rc = sb_cmek_decrypt_range(dek, f.enc, 10, 190000, f.out, NULL, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
	size_t n = 0;
	char *got = NULL;
	FILE *fp = fopen(f.out, "rb");
	got = st_xmalloc(190001);
	n = fread(got, 1, 190001, fp);
	fclose(fp);
	assert_int_equal(n, 190000);
	assert_memory_equal(got, f.data + 10, 190000);
	free(got);
	/* past the end */
	unsigned char *mem = NULL;
	assert_int_equal(sb_cmek_decrypt_range(dek, f.enc, len, 1, NULL, &mem, err, sizeof err), -1);
	fx_free(&f);
}

static void flip_byte(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	unsigned char c;
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0x40;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
}

static void detects_wrong_key_tampering_and_truncation(void **st)
{
	fx f;
	size_t len = 2 * SB_CMEK_CHUNK + 5;
	fx_make(&f, len);
	char err[256];
	unsigned char *mem = NULL;
	assert_int_equal(sb_cmek_encrypt_file(dek, f.src, 5, len, f.enc, NULL, err, sizeof err), 0);
	unsigned char other[32] = {1};
	assert_int_equal(sb_cmek_decrypt_range(other, f.enc, 0, len, NULL, &mem, err, sizeof err), -1);
	assert_non_null(strstr(err, "damaged or wrong key"));
	flip_byte(f.enc, SB_CMEK_HDR_LEN + SB_CMEK_CHUNK + 40);
	assert_int_equal(sb_cmek_decrypt_range(dek, f.enc, 0, len, NULL, &mem, err, sizeof err), -1);
	/* the untouched first chunk still reads; the damaged second one does not */
	assert_int_equal(sb_cmek_decrypt_range(dek, f.enc, 100, 10, NULL, &mem, err, sizeof err), 0);
	free(mem);
	assert_int_equal(sb_cmek_decrypt_range(dek, f.enc, SB_CMEK_CHUNK + 1, 10, NULL, &mem, err,
					       sizeof err), -1);
	mem = NULL;
	free(mem);
	flip_byte(f.enc, SB_CMEK_HDR_LEN + SB_CMEK_CHUNK + 40);
	/* cut so that the size still looks valid: the chunk now taken as the last one
	 * fails its "last" binding */
	assert_int_equal(truncate(f.enc, SB_CMEK_HDR_LEN + SB_CMEK_CHUNK + 2 * SB_CMEK_TAG_LEN + 5), 0);
	assert_int_equal(sb_cmek_decrypt_range(dek, f.enc, 0, SB_CMEK_CHUNK + 5, NULL, &mem, err,
					       sizeof err), -1);
	assert_int_equal(sb_cmek_decrypt_range(dek, f.enc, 0, 1, NULL, &mem, err, sizeof err), 0);
	free(mem);
	assert_int_equal(truncate(f.enc, 7), 0);
	assert_int_equal(sb_cmek_decrypt_range(dek, f.enc, 0, 0, NULL, &mem, err, sizeof err), -1);
	fx_free(&f);
}

static void missing_source_is_an_error(void **st)
{
	char err[256];
	char *dir = st_test_tmpdir("chunks");
	char *dst = st_xasprintf("%s/x", dir);
	assert_int_equal(sb_cmek_encrypt_file(dek, "/nonexistent/src", 0, 1, dst, NULL, err,
					      sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/src"));
	/* a source shorter than the length asked for */
	char *src = st_xasprintf("%s/s", dir);
	st_test_write_file(src, "abc");
	assert_int_equal(sb_cmek_encrypt_file(dek, src, 0, 10, dst, NULL, err, sizeof err), -1);
	assert_int_equal(access(dst, F_OK), -1);
	free(src);
	free(dst);
	st_test_rmtree(dir);
	free(dir);
}

static void plain_size_rejects_impossible_sizes(void **st)
{
	assert_int_equal(sb_cmek_plain_size(0), -1);
	assert_int_equal(sb_cmek_plain_size(SB_CMEK_HDR_LEN + 15), -1);
	assert_int_equal(sb_cmek_plain_size(SB_CMEK_HDR_LEN + 16), 0);
	assert_int_equal(sb_cmek_plain_size(SB_CMEK_HDR_LEN + SB_CMEK_CHUNK + 16), -1);
}

static void append_in_steps_and_digest(void **st)
{
	fx f;
	size_t len = 5 * SB_CMEK_CHUNK + 321;
	fx_make(&f, len);
	char err[256];
	/* 2 chunks, then a "rolled back" 2 more, then those 2 again, then the rest */
	assert_int_equal(sb_cmek_append(dek, f.enc, 0, f.src, 5, 2 * SB_CMEK_CHUNK, 0, err,
					sizeof err), 0);
	assert_int_equal(sb_cmek_append(dek, f.enc, 2 * SB_CMEK_CHUNK, f.src, 5, 2 * SB_CMEK_CHUNK,
					0, err, sizeof err), 0);
	assert_int_equal(sb_cmek_append(dek, f.enc, 2 * SB_CMEK_CHUNK, f.src, 5 + 2 * SB_CMEK_CHUNK,
					2 * SB_CMEK_CHUNK, 0, err, sizeof err), 0);
	assert_int_equal(sb_cmek_append(dek, f.enc, 4 * SB_CMEK_CHUNK, f.src, 5 + 4 * SB_CMEK_CHUNK,
					SB_CMEK_CHUNK + 321, 1, err, sizeof err), 0);
	sb_cmek_digest d;
	assert_int_equal(sb_cmek_digest_file(dek, f.enc, &d, err, sizeof err), 0);
	assert_int_equal(d.size, len);
	assert_int_equal(d.crc32c, st_crc32c(0, f.data, len));
	unsigned char *mem = NULL;
	assert_int_equal(sb_cmek_decrypt_range(dek, f.enc, 0, len, NULL, &mem, err, sizeof err), 0);
	assert_memory_equal(mem, f.data, len);
	free(mem);
	/* an unfinished file (no closing chunk) does not pass as complete */
	assert_int_equal(sb_cmek_append(dek, f.enc, 0, f.src, 5, SB_CMEK_CHUNK, 0, err, sizeof err), 0);
	assert_int_equal(sb_cmek_digest_file(dek, f.enc, &d, err, sizeof err), -1);
	/* an empty final append closes a chunk-aligned file */
	assert_int_equal(sb_cmek_append(dek, f.enc, SB_CMEK_CHUNK, f.src, 0, 0, 1, err, sizeof err), 0);
	assert_int_equal(sb_cmek_digest_file(dek, f.enc, &d, err, sizeof err), 0);
	assert_int_equal(d.size, SB_CMEK_CHUNK);
	/* misaligned steps are refused */
	assert_int_equal(sb_cmek_append(dek, f.enc, 10, f.src, 0, SB_CMEK_CHUNK, 0, err, sizeof err), -1);
	assert_int_equal(sb_cmek_append(dek, f.enc, 0, f.src, 0, 10, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "whole"));
	unsigned char other[32] = {5};
	assert_int_equal(sb_cmek_digest_file(other, f.enc, &d, err, sizeof err), -1);
	fx_free(&f);
}

/* Reads [off, off+len) through a streaming reader in steps of max bytes. */
static void read_stream(const fx *f, uint64_t off, uint64_t len, size_t max)
{
	char err[256];
	int fd = open(f->enc, O_RDONLY | O_CLOEXEC);
	sb_cmek_reader *r = sb_cmek_reader_open(dek, fd, f->enc, off, len, err, sizeof err);
	assert_non_null(r);
	unsigned char *got = st_xmalloc(len + max + 1);
	uint64_t n = 0;
	long k;
	while ((k = sb_cmek_reader_read(r, got + n, max, f->enc, err, sizeof err)) > 0) {
		assert_true((size_t)k <= max);
		n += (uint64_t)k;
	}
	assert_int_equal(k, 0);
	assert_int_equal(n, len);
	assert_memory_equal(got, f->data + off, len);
	sb_cmek_reader_close(r);
	free(got);
}

static void streaming_reader(void **st)
{
	(void)st;
	fx f;
	size_t len = 3 * SB_CMEK_CHUNK + 123;
	char err[256];
	fx_make(&f, len);
	assert_int_equal(sb_cmek_encrypt_file(dek, f.src, 5, len, f.enc, NULL, err, sizeof err), 0);
	read_stream(&f, 0, len, 1000);
	read_stream(&f, 0, len, 1 << 20);
	read_stream(&f, SB_CMEK_CHUNK - 1, 2, 1);
	read_stream(&f, SB_CMEK_CHUNK, SB_CMEK_CHUNK, 7777);
	read_stream(&f, len - 5, 5, 64);
	read_stream(&f, len, 0, 64);
	/* a range past the end, a file that is not one */
	int fd = open(f.enc, O_RDONLY | O_CLOEXEC);
	assert_null(sb_cmek_reader_open(dek, fd, f.enc, len - 1, 2, err, sizeof err));
	assert_non_null(strstr(err, "past its end"));
	fd = open(f.src, O_RDONLY | O_CLOEXEC);
	assert_null(sb_cmek_reader_open(dek, fd, f.src, 0, 1, err, sizeof err));
	assert_non_null(strstr(err, "damaged"));
	assert_null(sb_cmek_reader_open(dek, -1, "nothing", 0, 1, err, sizeof err));
	/* a damaged second chunk: the first comes out, then the read fails */
	flip_byte(f.enc, SB_CMEK_HDR_LEN + (SB_CMEK_CHUNK + SB_CMEK_TAG_LEN) + 10);
	fd = open(f.enc, O_RDONLY | O_CLOEXEC);
	sb_cmek_reader *r = sb_cmek_reader_open(dek, fd, f.enc, 0, len, err, sizeof err);
	assert_non_null(r);
	unsigned char *buf = st_xmalloc(SB_CMEK_CHUNK);
	assert_int_equal(sb_cmek_reader_read(r, buf, SB_CMEK_CHUNK, f.enc, err, sizeof err),
			 SB_CMEK_CHUNK);
	assert_memory_equal(buf, f.data, SB_CMEK_CHUNK);
	assert_int_equal(sb_cmek_reader_read(r, buf, 10, f.enc, err, sizeof err), -1);
	assert_non_null(strstr(err, "damaged or wrong key"));
	sb_cmek_reader_close(r);
	free(buf);
	/* decrypting from a descriptor whose file is gone */
	fx g;
	fx_make(&g, 5000);
	assert_int_equal(sb_cmek_encrypt_file(dek, g.src, 5, 5000, g.enc, NULL, err, sizeof err), 0);
	fd = open(g.enc, O_RDONLY | O_CLOEXEC);
	assert_int_equal(unlink(g.enc), 0);
	unsigned char *mem = NULL;
	assert_int_equal(sb_cmek_decrypt_range_fd(dek, fd, g.enc, 100, 4000, NULL, &mem, err,
						  sizeof err), 0);
	assert_memory_equal(mem, g.data + 100, 4000);
	free(mem);
	close(fd);
	fx_free(&g);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip_sizes),
		cmocka_unit_test(ranges_across_chunk_edges),
		cmocka_unit_test(detects_wrong_key_tampering_and_truncation),
		cmocka_unit_test(missing_source_is_an_error),
		cmocka_unit_test(plain_size_rejects_impossible_sizes),
		cmocka_unit_test(append_in_steps_and_digest),
		cmocka_unit_test(streaming_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
