/* Integration tests: Cloud Storage objects in the real sealtrain-sandbox (media,
 * multipart and resumable uploads, downloads with Range, list, generations, delete,
 * and hostile requests). */
#include "tests/integration/test_sb_kms_util.h"

#include <signal.h>

#define BKT "bkt-o"

static int setup(void **st)
{
	st_sandbox *sb = sbt_new(NULL);

	kt_cmek_bucket(sb, BKT);
	*st = sb;
	return 0;
}

static void check_object(const st_http_resp *r, const char *name, const void *data, size_t len)
{
	char crc[9], *md5, size[24];
	kt_hashes(data, len, crc, &md5);
	snprintf(size, sizeof size, "%zu", len);
	assert_string_equal(sbt_str(r, "kind"), "storage#object");
	assert_string_equal(sbt_str(r, "name"), name);
	assert_string_equal(sbt_str(r, "bucket"), BKT);
	assert_string_equal(sbt_str(r, "size"), size);
	assert_string_equal(sbt_str(r, "crc32c"), crc);
	assert_string_equal(sbt_str(r, "md5Hash"), md5);
	assert_string_equal(sbt_str(r, "kmsKeyName"), KT_KEYNAME "/cryptoKeyVersions/1");
	assert_non_null(sbt_str(r, "generation"));
	assert_null(json_object_get(r->json, "_blob"));
	assert_null(json_object_get(r->json, "_dek"));
	free(md5);
}

static void media_upload_and_download(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	size_t len = 300000;
	unsigned char *data = kt_bytes(len, 1);
	kt_upload(sb, BKT, "data%2Fdataset.csv", data, len, 200, &r);
	check_object(&r, "data/dataset.csv", data, len);
	st_http_free(&r);
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o/data%2Fdataset.csv", NULL, 200, &r);
	check_object(&r, "data/dataset.csv", data, len);
	const char *media = sbt_str(&r, "mediaLink");
	assert_true(st_starts_with(media, sb->url));
	st_http_resp m;
	assert_int_equal(st_http(sb, "GET", media, NULL, 0, NULL, NULL, NULL, &m), 0);
	assert_int_equal(m.status, 200);
	assert_int_equal(m.len, len);
	st_http_free(&m);
	st_http_free(&r);
	kt_download(sb, BKT, "data%2Fdataset.csv", NULL, 200, &r);
	assert_int_equal(r.len, len);
	assert_memory_equal(r.body, data, len);
	char hb[128], crc[9], *md5, want[128];
	kt_hashes(data, len, crc, &md5);
	snprintf(want, sizeof want, "crc32c=%s,md5=%s", crc, md5);
	assert_string_equal(st_http_header(&r, "X-Goog-Hash", hb, sizeof hb), want);
	st_http_free(&r);
	/* the blob on disk is not the plaintext */
	free(md5);
	free(data);
}

static void chunked_request_body(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	size_t len = 700000;
	unsigned char *data = kt_bytes(len, 9);
	const char *te[] = {"Transfer-Encoding: chunked", NULL};
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=media"
				 "&name=chunked", (const char *)data, len, "application/octet-stream",
				 NULL, te, &r), 0);
	assert_int_equal(r.status, 200);
	check_object(&r, "chunked", data, len);
	st_http_free(&r);
	kt_download(sb, BKT, "chunked", NULL, 200, &r);
	assert_int_equal(r.len, len);
	assert_memory_equal(r.body, data, len);
	st_http_free(&r);
	free(data);
}

static void ranges(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	size_t len = 200000;
	unsigned char *data = kt_bytes(len, 2);
	kt_upload(sb, BKT, "r", data, len, 200, &r);
	st_http_free(&r);
	const char *h1[] = {"Range: bytes=65530-65545", NULL};
	kt_download(sb, BKT, "r", h1, 206, &r);
	assert_int_equal(r.len, 16);
	assert_memory_equal(r.body, data + 65530, 16);
	char hb[80];
	assert_string_equal(st_http_header(&r, "Content-Range", hb, sizeof hb),
			    "bytes 65530-65545/200000");
	st_http_free(&r);
	const char *h2[] = {"Range: bytes=-10", NULL};
	kt_download(sb, BKT, "r", h2, 206, &r);
	assert_memory_equal(r.body, data + len - 10, 10);
	st_http_free(&r);
	const char *h3[] = {"Range: bytes=199990-", NULL};
	kt_download(sb, BKT, "r", h3, 206, &r);
	assert_int_equal(r.len, 10);
	st_http_free(&r);
	const char *h4[] = {"Range: bytes=200000-", NULL};
	kt_download(sb, BKT, "r", h4, 416, &r);
	assert_string_equal(st_http_header(&r, "Content-Range", hb, sizeof hb), "bytes */200000");
	st_http_free(&r);
	const char *h5[] = {"Range: bytes=junk", NULL};
	kt_download(sb, BKT, "r", h5, 200, &r);
	assert_int_equal(r.len, len);
	st_http_free(&r);
	free(data);
}

static void large_object_streams_through_a_file(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	size_t len = (20u << 20) + 12345; /* above the in-memory reply limit */
	unsigned char *data = kt_bytes(len, 3);
	kt_upload(sb, BKT, "big.bin", data, len, 200, &r);
	check_object(&r, "big.bin", data, len);
	st_http_free(&r);
	kt_download(sb, BKT, "big.bin", NULL, 200, &r);
	assert_int_equal(r.len, len);
	assert_memory_equal(r.body, data, len);
	st_http_free(&r);
	free(data);
}

static char *multipart_body(const char *meta, const void *data, size_t len, size_t *n)
{
	st_buf b;
	st_buf_init(&b);
	st_buf_printf(&b, "--sep\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n%s\r\n"
		      "--sep\r\nContent-Type: text/csv\r\n\r\n", meta);
	st_buf_append(&b, data, len);
	st_buf_puts(&b, "\r\n--sep--\r\n");
	*n = b.len;
	return st_buf_steal(&b);
}

static void multipart_upload(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	size_t len = 5000, n;
	unsigned char *data = kt_bytes(len, 4);
	char crc[9], *md5;
	kt_hashes(data, len, crc, &md5);
	char *meta = st_xasprintf("{\"name\":\"mp/a.csv\",\"metadata\":{\"k\":\"v\"},"
				  "\"crc32c\":\"%s\",\"md5Hash\":\"%s\"}", crc, md5);
	char *body = multipart_body(meta, data, len, &n);
	const char *path = "/upload/storage/v1/b/" BKT "/o?uploadType=multipart";
	assert_int_equal(st_http(sb, "POST", path, body, n, "multipart/related; boundary=sep", NULL,
				 NULL, &r), 0);
	assert_int_equal(r.status, 200);
	check_object(&r, "mp/a.csv", data, len);
	assert_string_equal(sbt_str(&r, "contentType"), "text/csv");
	assert_string_equal(sbt_str(&r, "metadata.k"), "v");
	st_http_free(&r);
	kt_download(sb, BKT, "mp%2Fa.csv", NULL, 200, &r);
	assert_memory_equal(r.body, data, len);
	st_http_free(&r);
	free(body);
	free(meta);
	/* a checksum that does not match what arrived is refused */
	meta = st_xasprintf("{\"name\":\"mp/b.csv\",\"crc32c\":\"AAAAAA==\"}");
	body = multipart_body(meta, data, len, &n);
	assert_int_equal(st_http(sb, "POST", path, body, n, "multipart/related; boundary=sep", NULL,
				 NULL, &r), 0);
	assert_int_equal(r.status, 400);
	kt_error(&r, 400, "INVALID_ARGUMENT", "CRC32C");
	st_http_free(&r);
	kt_do(sb, "GET", "/storage/v1/b/" BKT "/o/mp%2Fb.csv", NULL, 404);
	free(body);
	free(meta);
	free(md5);
	free(data);
}

static void multipart_errors(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	size_t n;
	const char *path = "/upload/storage/v1/b/" BKT "/o?uploadType=multipart";
	char *body = multipart_body("{\"name\":\"t\"}", "abcdef", 6, &n);
	struct {
		size_t len;
		const char *ctype, *needle;
	} bad[] = {
		{n - 12, "multipart/related; boundary=sep", "truncated"},
		{n, "multipart/related", "boundary"},
		{n, "multipart/related; boundary=other", "boundary"},
		{20, "multipart/related; boundary=sep", NULL},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(st_http(sb, "POST", path, body, bad[i].len, bad[i].ctype, NULL, NULL,
					 &r), 0);
		assert_int_equal(r.status, 400);
		kt_error(&r, 400, "INVALID_ARGUMENT", bad[i].needle);
		st_http_free(&r);
	}
	free(body);
	body = multipart_body("{\"name\":", "abcdef", 6, &n);
	assert_int_equal(st_http(sb, "POST", path, body, n, "multipart/related; boundary=sep", NULL,
				 NULL, &r), 0);
	assert_int_equal(r.status, 400);
	kt_error(&r, 400, "INVALID_ARGUMENT", "metadata");
	st_http_free(&r);
	free(body);
	body = multipart_body("{\"contentType\":\"x/y\"}", "abcdef", 6, &n);
	assert_int_equal(st_http(sb, "POST", path, body, n, "multipart/related; boundary=sep", NULL,
				 NULL, &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
	free(body);
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o", NULL, 200, &r);
	assert_null(json_object_get(r.json, "items"));
	st_http_free(&r);
}

static void resumable_upload(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	size_t len = 3 * 262144 + 1000;
	char *data = (char *)kt_bytes(len, 5);
	const char *h[] = {"X-Upload-Content-Type: text/plain", NULL};
	assert_int_equal(st_http(sb, "POST",
				 "/upload/storage/v1/b/" BKT "/o?uploadType=resumable&name=res%2Fx",
				 "{\"metadata\":{\"a\":\"1\"}}", 22, "application/json", NULL, h, &r),
			 0);
	assert_int_equal(r.status, 200);
	char loc[512], rng[64];
	assert_non_null(st_http_header(&r, "Location", loc, sizeof loc));
	assert_true(st_starts_with(loc, sb->url));
	st_http_free(&r);
	/* first chunk: 256 KiB */
	const char *c1[] = {"Content-Range: bytes 0-262143/*", NULL};
	assert_int_equal(st_http(sb, "PUT", loc, data, 262144, "text/plain", NULL, c1, &r), 0);
	assert_int_equal(r.status, 308);
	assert_string_equal(st_http_header(&r, "Range", rng, sizeof rng), "bytes=0-262143");
	st_http_free(&r);
	/* a chunk that is not a multiple of 256 KiB and not the last one */
	const char *cbad[] = {"Content-Range: bytes 262144-262243/*", NULL};
	assert_int_equal(st_http(sb, "PUT", loc, data + 262144, 100, "text/plain", NULL, cbad, &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
	/* status query */
	const char *q[] = {"Content-Range: bytes */*", NULL};
	assert_int_equal(st_http(sb, "PUT", loc, "", 0, "text/plain", NULL, q, &r), 0);
	assert_int_equal(r.status, 308);
	assert_string_equal(st_http_header(&r, "Range", rng, sizeof rng), "bytes=0-262143");
	st_http_free(&r);
	/* a resend overlapping what was persisted is accepted */
	const char *c2[] = {"Content-Range: bytes 0-524287/*", NULL};
	assert_int_equal(st_http(sb, "PUT", loc, data, 524288, "text/plain", NULL, c2, &r), 0);
	assert_int_equal(r.status, 308);
	st_http_free(&r);
	char *last = st_xasprintf("Content-Range: bytes 524288-%zu/%zu", len - 1, len);
	const char *c3[] = {last, NULL};
	assert_int_equal(st_http(sb, "PUT", loc, data + 524288, len - 524288, "text/plain", NULL, c3,
				 &r), 0);
	assert_int_equal(r.status, 200);
	check_object(&r, "res/x", data, len);
	assert_string_equal(sbt_str(&r, "contentType"), "text/plain");
	assert_string_equal(sbt_str(&r, "metadata.a"), "1");
	st_http_free(&r);
	/* asking again after completion gives the object */
	char *fin = st_xasprintf("Content-Range: bytes */%zu", len);
	const char *c4[] = {fin, NULL};
	assert_int_equal(st_http(sb, "PUT", loc, "", 0, "text/plain", NULL, c4, &r), 0);
	assert_int_equal(r.status, 200);
	st_http_free(&r);
	kt_download(sb, BKT, "res%2Fx", NULL, 200, &r);
	assert_int_equal(r.len, len);
	assert_memory_equal(r.body, data, len);
	st_http_free(&r);
	free(fin);
	free(last);
	free(data);
}

/* ifGenerationMatch given when a resumable session starts holds at its end (the
 * chunks' URLs carry no precondition); a malformed one is refused at the start. */
static void resumable_precondition_from_start(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_upload(sb, BKT, "pre", "old", 3, 200, &r);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=resumable"
				 "&name=pre&ifGenerationMatch=x", "{}", 2, "application/json", NULL,
				 NULL, &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=resumable"
				 "&name=pre&ifGenerationMatch=0", "{}", 2, "application/json", NULL,
				 NULL, &r), 0);
	assert_int_equal(r.status, 200);
	char loc[512];
	assert_non_null(st_http_header(&r, "Location", loc, sizeof loc));
	st_http_free(&r);
	assert_int_equal(st_http(sb, "PUT", loc, "new", 3, "text/plain", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 412);
	st_http_free(&r);
	kt_download(sb, BKT, "pre", NULL, 200, &r);
	assert_int_equal(r.len, 3);
	assert_memory_equal(r.body, "old", 3);
	st_http_free(&r);
	/* the same for a name that is still free: it is created */
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=resumable"
				 "&name=pre2&ifGenerationMatch=0", "{}", 2, "application/json", NULL,
				 NULL, &r), 0);
	assert_non_null(st_http_header(&r, "Location", loc, sizeof loc));
	st_http_free(&r);
	assert_int_equal(st_http(sb, "PUT", loc, "new", 3, "text/plain", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	st_http_free(&r);
}

static void resumable_errors(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	const char *c[] = {"Content-Range: bytes 0-2/3", NULL};
	assert_int_equal(st_http(sb, "PUT",
				 "/upload/storage/v1/b/" BKT "/o?uploadType=resumable&upload_id=ffff",
				 "abc", 3, "text/plain", NULL, c, &r), 0);
	assert_int_equal(r.status, 404);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=resumable",
				 "{}", 2, "application/json", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 400);
	kt_error(&r, 400, "INVALID_ARGUMENT", "name");
	st_http_free(&r);
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/nobucket/o?uploadType=resumable"
				 "&name=a", "{}", 2, "application/json", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 404);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=resumable"
				 "&name=a", "{\"x\"", 4, "application/json", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=resumable"
				 "&name=a", "", 0, "application/json", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	char loc[512];
	st_http_header(&r, "Location", loc, sizeof loc);
	st_http_free(&r);
	const char *bad[] = {"Content-Range: bytes 5-7/9", "Content-Range: bytes x-1/2",
			     "Content-Range: bytes 0-2/2", "Content-Range: items 0-2/3"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *h[] = {bad[i], NULL};
		assert_int_equal(st_http(sb, "PUT", loc, "abc", 3, "text/plain", NULL, h, &r), 0);
		assert_int_equal(r.status, 400);
		st_http_free(&r);
	}
	/* cancelled sessions are gone */
	assert_int_equal(st_http(sb, "DELETE", loc, NULL, 0, NULL, NULL, NULL, &r), 0);
	assert_true(r.status == 204);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "PUT", loc, "abc", 3, "text/plain", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 404);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=weird&name=a",
				 "x", 1, "text/plain", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=media",
				 "x", 1, "text/plain", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
}

static void list_prefix_delimiter_pages(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	const char *names[] = {"a", "a%2F1", "a%2F2", "a%2Fdeep%2F3", "b%2F1", "c"};
	for (size_t i = 0; i < 6; i++) {
		kt_upload(sb, BKT, names[i], "x", 1, 200, &r);
		st_http_free(&r);
	}
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o?delimiter=%2F", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "items.0.name"), "a");
	assert_string_equal(sbt_str(&r, "items.1.name"), "c");
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
	assert_string_equal(sbt_str(&r, "prefixes.0"), "a/");
	assert_string_equal(sbt_str(&r, "prefixes.1"), "b/");
	st_http_free(&r);
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o?prefix=a%2F&delimiter=%2F", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
	assert_string_equal(sbt_str(&r, "prefixes.0"), "a/deep/");
	st_http_free(&r);
	/* pages of two: a, a/1 | a/2, a/deep/3 | b/1, c */
	const char *want[] = {"a", "a/1", "a/2", "a/deep/3", "b/1", "c"};
	char *path = st_xstrdup("/storage/v1/b/" BKT "/o?maxResults=2");
	for (int page = 0; page < 3; page++) {
		sbt_call(sb, "GET", path, NULL, 200, &r);
		assert_string_equal(sbt_str(&r, "items.0.name"), want[2 * page]);
		assert_string_equal(sbt_str(&r, "items.1.name"), want[2 * page + 1]);
		free(path);
		const char *t = sbt_str(&r, "nextPageToken");
		if (page < 2) {
			assert_non_null(t);
			path = st_xasprintf("/storage/v1/b/" BKT "/o?maxResults=2&pageToken=%s", t);
		} else {
			assert_null(t);
			path = NULL;
		}
		st_http_free(&r);
	}
	kt_do(sb, "GET", "/storage/v1/b/" BKT "/o?pageToken=!!", NULL, 400);
	kt_do(sb, "GET", "/storage/v1/b/" BKT "/o?maxResults=x", NULL, 400);
	kt_do(sb, "GET", "/storage/v1/b/nobucket/o", NULL, 404);
}

static void generations_and_delete(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_upload(sb, BKT, "v", "one", 3, 200, &r);
	char *g1 = st_xstrdup(sbt_str(&r, "generation"));
	st_http_free(&r);
	kt_upload(sb, BKT, "v", "two", 3, 200, &r);
	char *g2 = st_xstrdup(sbt_str(&r, "generation"));
	st_http_free(&r);
	assert_string_not_equal(g1, g2);
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o?versions=true", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
	assert_string_equal(sbt_str(&r, "items.0.generation"), g1);
	assert_non_null(sbt_str(&r, "items.0.timeDeleted"));
	st_http_free(&r);
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	st_http_free(&r);
	char *p = st_xasprintf("/storage/v1/b/" BKT "/o/v?alt=media&generation=%s", g1);
	sbt_call(sb, "GET", p, NULL, 200, &r);
	assert_memory_equal(r.body, "one", 3);
	st_http_free(&r);
	kt_download(sb, BKT, "v", NULL, 200, &r);
	assert_memory_equal(r.body, "two", 3);
	st_http_free(&r);
	char *cond = st_xasprintf("/storage/v1/b/" BKT "/o/v?alt=media&ifGenerationMatch=%s", g1);
	kt_do(sb, "GET", cond, NULL, 412);
	free(cond);
	cond = st_xasprintf("/storage/v1/b/" BKT "/o/v?ifGenerationMatch=%s", g2);
	kt_do(sb, "GET", cond, NULL, 200);
	free(cond);
	/* preconditions */
	char *pre = st_xasprintf("/upload/storage/v1/b/" BKT "/o?uploadType=media&name=v"
				 "&ifGenerationMatch=%s", g1);
	assert_int_equal(st_http(sb, "POST", pre, "3", 1, "text/plain", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 412);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=media"
				 "&name=new&ifGenerationMatch=0", "n", 1, "text/plain", NULL, NULL,
				 &r), 0);
	assert_int_equal(r.status, 200);
	st_http_free(&r);
	/* delete the live one: it becomes noncurrent */
	kt_do(sb, "DELETE", "/storage/v1/b/" BKT "/o/v", NULL, 204);
	kt_do(sb, "GET", "/storage/v1/b/" BKT "/o/v", NULL, 404);
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o?versions=true&prefix=v", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
	st_http_free(&r);
	char *d = st_xasprintf("/storage/v1/b/" BKT "/o/v?generation=%s", g1);
	kt_do(sb, "DELETE", d, NULL, 204);
	kt_do(sb, "DELETE", d, NULL, 404);
	kt_do(sb, "GET", p, NULL, 404);
	kt_do(sb, "GET", "/storage/v1/b/" BKT "/o/v?generation=abc", NULL, 400);
	free(d), free(pre), free(p), free(g1), free(g2);
}

static void hostile_names_and_requests(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	const char *names[] = {"..%2F..%2Fetc%2Fpasswd", "a%2F..%2Fb", ".", "%FF%FE", "a%0Ab",
			       "a%01b"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		kt_upload(sb, BKT, names[i], "x", 1, 400, &r);
		kt_error(&r, 400, "INVALID_ARGUMENT", NULL);
		st_http_free(&r);
		char *p = st_xasprintf("/storage/v1/b/" BKT "/o/%s", names[i]);
		memset(&r, 0, sizeof r);
		assert_int_equal(st_http_json(sb, "GET", p, NULL, &r), 0);
		assert_true(r.status == 400 || r.status == 404);
		st_http_free(&r);
		free(p);
	}
	char *longname = st_xmalloc(1100);
	memset(longname, 'n', 1099);
	longname[1099] = 0;
	kt_upload(sb, BKT, longname, "x", 1, 400, &r);
	st_http_free(&r);
	free(longname);
	kt_do(sb, "GET", "/storage/v1/b/" BKT "/o/x?alt=xml", NULL, 404);
	kt_upload(sb, BKT, "ok", "x", 1, 200, &r);
	st_http_free(&r);
	kt_do(sb, "GET", "/storage/v1/b/" BKT "/o/ok?alt=xml", NULL, 400);
	kt_do(sb, "POST", "/storage/v1/b/" BKT "/o/ok", "{}", 405);
	/* nothing above reached the file system: the state dir holds no such paths */
	char *etc = st_xasprintf("%s/etc", sb->state);
	assert_int_equal(access(etc, F_OK), -1);
	free(etc);
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o", NULL, 200, &r);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	st_http_free(&r);
}

static void plain_bucket_without_cmek(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_do(sb, "POST", "/storage/v1/b?project=p1", "{\"name\":\"plain\"}", 200);
	kt_upload(sb, "plain", "p", "google-managed", 14, 200, &r);
	assert_null(sbt_str(&r, "kmsKeyName"));
	st_http_free(&r);
	kt_download(sb, "plain", "p", NULL, 200, &r);
	assert_memory_equal(r.body, "google-managed", 14);
	st_http_free(&r);
	/* a per-request key overrides the (absent) default */
	char *p = st_xasprintf("/upload/storage/v1/b/plain/o?uploadType=media&name=q&kmsKeyName=%s",
			       KT_KEYNAME);
	assert_int_equal(st_http(sb, "POST", p, "z", 1, "text/plain", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(sbt_str(&r, "kmsKeyName"), KT_KEYNAME "/cryptoKeyVersions/1");
	st_http_free(&r);
	free(p);
	/* the versioned name objects report is refused as an upload's key, as Google does */
	p = st_xasprintf("/upload/storage/v1/b/plain/o?uploadType=media&name=q&kmsKeyName=%s"
			 "%%2FcryptoKeyVersions%%2F1", KT_KEYNAME);
	assert_int_equal(st_http(sb, "POST", p, "z", 1, "text/plain", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 400);
	kt_error(&r, 400, "INVALID_ARGUMENT", "Bad Cloud KMS crypto key");
	st_http_free(&r);
	free(p);
	/* a key that does not exist */
	p = st_xasprintf("/upload/storage/v1/b/plain/o?uploadType=media&name=q&kmsKeyName=%s"
			 "x", KT_KEYNAME);
	assert_int_equal(st_http(sb, "POST", p, "z", 1, "text/plain", NULL, NULL, &r), 0);
	assert_true(r.status == 400 || r.status == 403);
	st_http_free(&r);
	free(p);
}

/* The scratch directory turned into a plain file stands in for a disk that cannot
 * take more data: uploads fail with a clear 503 and leave nothing half-made. */
static void scratch_failure_is_clean(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	kt_upload(sb, BKT, "keep", "old", 3, 200, &r);
	st_http_free(&r);
	char *tmp = st_xasprintf("%s/gcs-tmp", sb->state);
	char *aside = st_xasprintf("%s/gcs-tmp.aside", sb->state);
	assert_int_equal(rename(tmp, aside), 0);
	st_test_write_file(tmp, "not a directory");
	kt_upload(sb, BKT, "keep", "new", 3, 503, &r);
	kt_error(&r, 503, "UNAVAILABLE", "gcs-tmp");
	st_http_free(&r);
	kt_upload(sb, BKT, "other", "x", 1, 503, &r);
	st_http_free(&r);
	assert_int_equal(unlink(tmp), 0);
	assert_int_equal(rename(aside, tmp), 0);
	kt_download(sb, BKT, "keep", NULL, 200, &r);
	assert_memory_equal(r.body, "old", 3);
	st_http_free(&r);
	kt_do(sb, "GET", "/storage/v1/b/" BKT "/o/other", NULL, 404);
	kt_upload(sb, BKT, "other", "x", 1, 200, &r);
	st_http_free(&r);
	free(tmp);
	free(aside);
}

/* Waits (up to 5 s) for the blob directory to hold want files. */
static bool blobs_settle(const char *dir, int want)
{
	for (int i = 0; i < 50; i++, usleep(100000))
		if (st_test_count_entries(dir, "") == want)
			return true;
	return false;
}

static void replaced_and_deleted_data_is_reclaimed(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	char *blobs = st_xasprintf("%s/blobs", sb->state);
	kt_do(sb, "POST", "/storage/v1/b?project=p1", "{\"name\":\"unversioned\"}", 200);
	int base = st_test_count_entries(blobs, "");
	for (int i = 0; i < 3; i++) {
		kt_upload(sb, "unversioned", "obj", "data", 4, 200, &r);
		st_http_free(&r);
	}
	assert_true(blobs_settle(blobs, base + 1));
	/* a failed overwrite (bad checksum) keeps the old data */
	const char *bad = "/upload/storage/v1/b/unversioned/o?uploadType=multipart";
	const char *mp = "--s\r\n\r\n{\"name\":\"obj\",\"md5Hash\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}"
			 "\r\n--s\r\n\r\nnew\r\n--s--";
	assert_int_equal(st_http(sb, "POST", bad, mp, strlen(mp), "multipart/related; boundary=s",
				 NULL, NULL, &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
	kt_download(sb, "unversioned", "obj", NULL, 200, &r);
	assert_memory_equal(r.body, "data", 4);
	st_http_free(&r);
	kt_do(sb, "DELETE", "/storage/v1/b/unversioned/o/obj", NULL, 204);
	assert_true(blobs_settle(blobs, base));
	free(blobs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(media_upload_and_download, setup, sbt_free),
		cmocka_unit_test_setup_teardown(chunked_request_body, setup, sbt_free),
		cmocka_unit_test_setup_teardown(ranges, setup, sbt_free),
		cmocka_unit_test_setup_teardown(large_object_streams_through_a_file, setup, sbt_free),
		cmocka_unit_test_setup_teardown(multipart_upload, setup, sbt_free),
		cmocka_unit_test_setup_teardown(multipart_errors, setup, sbt_free),
		cmocka_unit_test_setup_teardown(resumable_upload, setup, sbt_free),
		cmocka_unit_test_setup_teardown(resumable_errors, setup, sbt_free),
		cmocka_unit_test_setup_teardown(resumable_precondition_from_start, setup, sbt_free),
		cmocka_unit_test_setup_teardown(list_prefix_delimiter_pages, setup, sbt_free),
		cmocka_unit_test_setup_teardown(generations_and_delete, setup, sbt_free),
		cmocka_unit_test_setup_teardown(hostile_names_and_requests, setup, sbt_free),
		cmocka_unit_test_setup_teardown(plain_bucket_without_cmek, setup, sbt_free),
		cmocka_unit_test_setup_teardown(replaced_and_deleted_data_is_reclaimed, setup,
						sbt_free),
		cmocka_unit_test_setup_teardown(scratch_failure_is_clean, setup, sbt_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
