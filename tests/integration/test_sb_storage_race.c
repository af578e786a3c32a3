/* Storage uploads whose bucket is deleted and made again (in another project) while
 * they are under way. The data key of such an upload was wrapped for the old
 * bucket's project; the upload must fail with 404 rather than leave an object in the
 * namesake. One test holds a resumable session across the swap; the other swaps the
 * bucket while a large single-request upload is being encrypted outside the lock
 * (seen by its scratch file), trying again in the rare case the upload wins. */
#include "tests/integration/test_sb_kms_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#define BKT "bkt-race"
#define BODY_P1 "{\"name\":\"" BKT "\",\"location\":\"us-central1\"}"

static int setup(void **st)
{
	st_sandbox *sb = sbt_new(NULL);
	assert_int_equal(st_sandbox_enable_all(sb, "p2"), 0);
	kt_do(sb, "POST", "/storage/v1/b?project=p1", BODY_P1, 200);
	*st = sb;
	return 0;
}

static char *bucket_generation(const st_sandbox *sb)
{
	st_http_resp r;
	sbt_call(sb, "GET", "/storage/v1/b/" BKT, NULL, 200, &r);
	assert_non_null(sbt_str(&r, "generation"));
	char *g = st_xstrdup(sbt_str(&r, "generation"));
	st_http_free(&r);
	return g;
}

/* Deletes the bucket (409 when an object got in first: returned) and makes a new
 * one of the same name in project p2. */
static long swap_bucket(const st_sandbox *sb)
{
	st_http_resp r;
	sbt_call(sb, "GET", "/storage/v1/b/" BKT, NULL, 200, &r);
	st_http_free(&r);
	assert_int_equal(st_http_json(sb, "DELETE", "/storage/v1/b/" BKT, NULL, &r), 0);
	long st = r.status;
	st_http_free(&r);
	if (st == 204)
		kt_do(sb, "POST", "/storage/v1/b?project=p2", BODY_P1, 200);
	return st;
}

static void assert_bucket_empty(const st_sandbox *sb)
{
	st_http_resp r;
	sbt_call(sb, "GET", "/storage/v1/b/" BKT "/o", NULL, 200, &r);
	assert_null(json_object_get(r.json, "items"));
	st_http_free(&r);
}

static void namesake_has_another_generation(void **st)
{
	st_sandbox *sb = *st;
	char *g1 = bucket_generation(sb);
	assert_int_equal(swap_bucket(sb), 204);
	char *g2 = bucket_generation(sb);
	assert_string_not_equal(g1, g2);
	free(g1);
	free(g2);
}

static void resumable_session_outlives_its_bucket(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	size_t len = 262144 + 1000;
	unsigned char *data = kt_bytes(len, 41);
	char loc[512];
	assert_int_equal(st_http(sb, "POST", "/upload/storage/v1/b/" BKT
				 "/o?uploadType=resumable&name=obj", "{}", 2, "application/json",
				 NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(st_http_header(&r, "Location", loc, sizeof loc));
	st_http_free(&r);
	const char *c1[] = {"Content-Range: bytes 0-262143/*", NULL};
	assert_int_equal(st_http(sb, "PUT", loc, (const char *)data, 262144, "text/plain", NULL,
				 c1, &r), 0);
	assert_int_equal(r.status, 308);
	st_http_free(&r);

	assert_int_equal(swap_bucket(sb), 204);

	char *cr = st_xasprintf("Content-Range: bytes 262144-%zu/%zu", len - 1, len);
	const char *c2[] = {cr, NULL};
	assert_int_equal(st_http(sb, "PUT", loc, (const char *)data + 262144, len - 262144,
				 "text/plain", NULL, c2, &r), 0);
	assert_int_equal(r.status, 404);
	kt_error(&r, 404, "NOT_FOUND", "deleted while the upload was in progress");
	st_http_free(&r);
	const char *q[] = {"Content-Range: bytes */*", NULL};
	assert_int_equal(st_http(sb, "PUT", loc, "", 0, "text/plain", NULL, q, &r), 0);
	assert_int_equal(r.status, 404);
	st_http_free(&r);
	assert_bucket_empty(sb);
	free(cr);
	free(data);
}

typedef struct upload_job {
	const st_sandbox *sb;
	const unsigned char *data;
	size_t len;
	st_http_resp r;
	int rc;
} upload_job;

static void *do_upload(void *arg)
{
	upload_job *j = arg;
	j->rc = st_http(j->sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=media&name=big",
			(const char *)j->data, j->len, "application/octet-stream", NULL, NULL,
			&j->r);
	return NULL;
}

static int scratch_files(const st_sandbox *sb)
{
	char *dir = st_xasprintf("%s/gcs-tmp", sb->state);
	int n = st_test_count_entries(dir, "enc-");
	free(dir);
	return n;
}

static void upload_encrypting_while_bucket_swapped(void **st)
{
	st_sandbox *sb = *st;
	size_t len = 48u << 20;
	unsigned char *data = kt_bytes(len, 42);
	bool swapped = false;
	for (int attempt = 0; attempt < 5 && !swapped; attempt++) {
		upload_job j = {.sb = sb, .data = data, .len = len};
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, do_upload, &j), 0);
		/* the scratch file exists from just before the lock is let go */
		for (int i = 0; i < 20000 && !scratch_files(sb); i++)
			usleep(500);
		long del = swap_bucket(sb);
		pthread_join(t, NULL);
		assert_int_equal(j.rc, 0);
		if (del == 204) {
			swapped = true;
			if (j.r.status != 404)
				fprintf(stderr, "upload: %ld %.300s\n", j.r.status, j.r.body);
			assert_int_equal(j.r.status, 404);
			kt_error(&j.r, 404, "NOT_FOUND", "deleted while the upload was in progress");
			assert_bucket_empty(sb);
		} else {
			/* the upload committed before the delete: start over on a fresh bucket */
			assert_int_equal(j.r.status, 200);
			kt_do(sb, "DELETE", "/storage/v1/b/" BKT "/o/big", NULL, 204);
		}
		st_http_free(&j.r);
	}
	assert_true(swapped);
	assert_int_equal(scratch_files(sb), 0);
	free(data);
}

/* One kept-alive connection for a thousand small uploads: a client handle per call
 * would spend most of the test setting up TLS defaults. */
static int connect_to(const st_sandbox *sb)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sb->port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

/* Uploads one byte as bkt-gen/g on fd and returns the new generation. */
static long long upload_generation(int fd)
{
	static const char req[] = "POST /upload/storage/v1/b/bkt-gen/o?uploadType=media&name=g "
				  "HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
				  "sandbox-test-token\r\nContent-Type: text/plain\r\n"
				  "Content-Length: 1\r\n\r\nx";
	char buf[8192];
	size_t n = 0;
	assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
	for (;;) { /* headers, then Content-Length bytes of body */
		assert_true(n < sizeof buf - 1);
		ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
		assert_true(r > 0);
		n += (size_t)r;
		buf[n] = '\0';
		char *end = strstr(buf, "\r\n\r\n"), *cl = strcasestr(buf, "\r\nContent-Length:");
		if (end && cl && n >= (size_t)(end + 4 - buf) + strtoull(cl + 17, NULL, 10))
			break;
	}
	assert_true(st_starts_with(buf, "HTTP/1.1 200"));
	char *g = strstr(buf, "\"generation\":\"");
	assert_non_null(g);
	return strtoll(g + 14, NULL, 10);
}

/* With the sandbox clock nearly stopped (the restart: enabling the APIs needs time
 * to pass), a thousand and more uploads commit in one sandbox millisecond; their
 * generations must still grow (they order versions and key the object rows: an
 * equal one would overwrite an older version's row). */
static void generations_grow_within_a_millisecond(void **st)
{
	(void)st;
	const char *const slow[] = {"--time-scale", "0.000001", NULL};
	st_sandbox *sb = kt_live();
	sbt_start(sb, NULL, NULL);
	kt_do(sb, "POST", "/storage/v1/b?project=p1",
	      "{\"name\":\"bkt-gen\"}", 200); /* unversioned: a thousand versions slow every call */
	char *state = st_xstrdup(sb->state);
	kt_stop_keep(sb, SIGTERM);
	assert_int_equal(st_sandbox_start(sb, state, slow), 0);
	long long prev = 0;
	int fd = connect_to(sb);
	for (int i = 0; i < 1005; i++) {
		long long g = upload_generation(fd);
		if (g <= prev)
			fprintf(stderr, "upload %d: generation %lld after %lld\n", i, g, prev);
		assert_true(g > prev);
		prev = g;
	}
	close(fd);
	kt_stop_keep(sb, SIGTERM);
	st_test_rmtree(state);
	free(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(namesake_has_another_generation, setup, sbt_free),
		cmocka_unit_test_setup_teardown(resumable_session_outlives_its_bucket, setup,
						sbt_free),
		cmocka_unit_test_setup_teardown(upload_encrypting_while_bucket_swapped, setup,
						sbt_free),
		cmocka_unit_test_teardown(generations_grow_within_a_millisecond, kt_stop_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
