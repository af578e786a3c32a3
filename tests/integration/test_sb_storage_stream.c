/* Large Cloud Storage transfers against the real sandbox: a download held open
 * mid-stream by a reader that stops reading must not hold up other calls, and the
 * generation it started on stays readable to the end even when it is replaced and
 * deleted meanwhile. No timing: each step waits for its answer. */
#include "tests/integration/test_sb_kms_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define BKT "bkt-stream"
#define BIG (40u << 20) /* above the 16 MiB kept in memory, so it is streamed */

static int setup(void **st)
{
	st_sandbox *sb = sbt_new(NULL);
	kt_cmek_bucket(sb, BKT);
	*st = sb;
	return 0;
}

typedef struct raw_dl {
	int fd;
	long status;
	uint64_t length;     /* Content-Length */
	unsigned char *body; /* what has arrived so far */
	uint64_t got;
} raw_dl;

/* Starts GET path on a plain socket with a small receive buffer and reads the
 * status line and headers (and whatever body came with them). */
static void raw_open(const st_sandbox *sb, const char *path, raw_dl *d)
{
	int small = 16384;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sb->port)};
	char head[8192];
	size_t n = 0;

	memset(d, 0, sizeof *d);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(d->fd >= 0);
	setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	assert_int_equal(connect(d->fd, (struct sockaddr *)&a, sizeof a), 0);
	char *req = st_xasprintf("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
				 "sandbox-test-token\r\nConnection: close\r\n\r\n", path);
	assert_int_equal(write(d->fd, req, strlen(req)), (ssize_t)strlen(req));
	free(req);
	char *end = NULL;
	while (!end) {
		assert_true(n < sizeof head - 1);
		ssize_t r = read(d->fd, head + n, sizeof head - 1 - n);
		assert_true(r > 0);
		n += (size_t)r;
		head[n] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	assert_int_equal(sscanf(head, "HTTP/1.1 %ld", &d->status), 1);
	char *cl = strcasestr(head, "\r\nContent-Length:");
	assert_non_null(cl);
	d->length = strtoull(cl + 17, NULL, 10);
	d->body = st_xmalloc(d->length + 1);
	size_t extra = n - (size_t)(end + 4 - head);
	memcpy(d->body, end + 4, extra);
	d->got = extra;
}

/* Reads until at least want body bytes (or the end) have arrived. */
static void raw_read(raw_dl *d, uint64_t want)
{
	while (d->got < want && d->got < d->length) {
		ssize_t r = read(d->fd, d->body + d->got, (size_t)(d->length - d->got));
		if (r <= 0)
			break;
		d->got += (uint64_t)r;
	}
}

static void raw_close(raw_dl *d)
{
	close(d->fd);
	free(d->body);
}

static char *generation_of(const st_sandbox *sb, const char *name)
{
	st_http_resp r;
	char *p = st_xasprintf("/storage/v1/b/" BKT "/o/%s", name);
	sbt_call(sb, "GET", p, NULL, 200, &r);
	char *g = st_xstrdup(sbt_str(&r, "generation"));
	st_http_free(&r);
	free(p);
	return g;
}

static void held_download_blocks_nothing(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	unsigned char *old = kt_bytes(BIG, 21), *new = kt_bytes(1000, 22);
	kt_upload(sb, BKT, "big", old, BIG, 200, &r);
	st_http_free(&r);
	char *gen = generation_of(sb, "big");
	char *blobs = st_xasprintf("%s/blobs", sb->state);
	int nblobs = st_test_count_entries(blobs, "");

	raw_dl d;
	raw_open(sb, "/storage/v1/b/" BKT "/o/big?alt=media", &d);
	assert_int_equal(d.status, 200);
	assert_int_equal(d.length, BIG);
	raw_read(&d, 256 * 1024);
	assert_true(d.got < BIG); /* the reader now stops, with most of the object to come */

	/* Other clients' calls are answered while that download is open. */
	kt_do(sb, "GET", KT_KEY, NULL, 200);
	kt_do(sb, "GET", "/storage/v1/b/" BKT "/o/big", NULL, 200);
	kt_do(sb, "POST", KT_KEY ":encrypt", "{\"plaintext\":\"aGVsbG8=\"}", 200);

	/* Replaced (last writer wins) and then the old generation purged: its blob goes. */
	kt_upload(sb, BKT, "big", new, 1000, 200, &r);
	st_http_free(&r);
	char *p = st_xasprintf("/storage/v1/b/" BKT "/o/big?generation=%s", gen);
	kt_do(sb, "DELETE", p, NULL, 204);
	free(p);
	for (int i = 0; i < 100 && st_test_count_entries(blobs, "") != nblobs; i++)
		usleep(100000); /* the tick empties the trash about once a second */
	assert_int_equal(st_test_count_entries(blobs, ""), nblobs);
	p = st_xasprintf("/storage/v1/b/" BKT "/o/big?alt=media&generation=%s", gen);
	kt_do(sb, "GET", p, NULL, 404);
	free(p);
	kt_download(sb, BKT, "big", NULL, 200, &r);
	assert_int_equal(r.len, 1000);
	assert_memory_equal(r.body, new, 1000);
	st_http_free(&r);

	/* The held reader still gets the generation it asked for, whole. */
	raw_read(&d, BIG);
	assert_int_equal(d.got, BIG);
	assert_memory_equal(d.body, old, BIG);
	raw_close(&d);
	free(gen);
	free(blobs);
	free(old);
	free(new);
}

/* A streamed range: the right bytes, Content-Range, and a reader that goes away
 * early leaves the server answering. */
static void streamed_ranges_and_early_hangup(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	unsigned char *data = kt_bytes(BIG, 23);
	kt_upload(sb, BKT, "ranged", data, BIG, 200, &r);
	st_http_free(&r);
	const char *hdr[] = {"Range: bytes=1000-20000999", NULL};
	kt_download(sb, BKT, "ranged", hdr, 206, &r);
	assert_int_equal(r.len, 20000000);
	assert_memory_equal(r.body, data + 1000, 20000000);
	char buf[80];
	assert_string_equal(st_http_header(&r, "Content-Range", buf, sizeof buf),
			    "bytes 1000-20000999/41943040");
	st_http_free(&r);
	for (int i = 0; i < 3; i++) {
		raw_dl d;
		raw_open(sb, "/storage/v1/b/" BKT "/o/ranged?alt=media", &d);
		raw_read(&d, 100000);
		raw_close(&d);
	}
	kt_download(sb, BKT, "ranged", NULL, 200, &r);
	assert_int_equal(r.len, BIG);
	assert_memory_equal(r.body, data, BIG);
	st_http_free(&r);
	free(data);
}

/* A damaged blob: a small read answers 500 DATA_LOSS before any byte; a streamed
 * one is cut short instead of delivering unauthenticated bytes. */
static void damaged_blob_never_leaks(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	unsigned char *data = kt_bytes(BIG, 24);
	kt_upload(sb, BKT, "dmg", data, BIG, 200, &r);
	st_http_free(&r);
	char *blobs = st_xasprintf("%s/blobs", sb->state);
	DIR *dd = opendir(blobs);
	struct dirent *e;
	char *victim = NULL;
	struct stat stt;
	while ((e = readdir(dd))) {
		char *p = st_xasprintf("%s/%s", blobs, e->d_name);
		if (e->d_name[0] != '.' && stat(p, &stt) == 0 && stt.st_size > (off_t)BIG) {
			free(victim);
			victim = p;
		} else {
			free(p);
		}
	}
	closedir(dd);
	assert_non_null(victim);
	FILE *f = fopen(victim, "r+b");
	assert_non_null(f);
	/* a byte of ciphertext chunk 479 (16-byte header, chunks of 65536 + 16 tag) */
	long at = 16 + 479L * 65552 + 100;
	fseek(f, at, SEEK_SET);
	int ch = fgetc(f);
	fseek(f, at, SEEK_SET);
	fputc(ch ^ 0x5a, f);
	fclose(f);
	const char *hdr[] = {"Range: bytes=31391744-31391844", NULL}; /* 479 * 65536 */
	kt_download(sb, BKT, "dmg", hdr, 500, &r);
	kt_error(&r, 500, "DATA_LOSS", "damaged");
	st_http_free(&r);
	raw_dl d;
	raw_open(sb, "/storage/v1/b/" BKT "/o/dmg?alt=media", &d);
	assert_int_equal(d.status, 200);
	raw_read(&d, BIG);
	assert_true(d.got <= 479u * 65536);
	assert_memory_equal(d.body, data, d.got);
	raw_close(&d);
	kt_do(sb, "GET", KT_KEY, NULL, 200); /* still serving */
	free(victim);
	free(blobs);
	free(data);
}

typedef struct put_job {
	const st_sandbox *sb;
	const char *url;
	const unsigned char *data;
	size_t len;
	st_http_resp r;
} put_job;

static void *put_whole(void *arg)
{
	put_job *p = arg;
	if (st_http(p->sb, "PUT", p->url, (const char *)p->data, p->len,
		    "application/octet-stream", NULL, NULL, &p->r) != 0)
		p->r.status = -1;
	return NULL;
}

/* Two requests carrying the same last chunk of a resumable session at once (a
 * client retrying while its first try is still being encrypted): each is either
 * the one that completes the upload, told the upload is complete, or told to
 * retry; the object comes out whole either way. */
static void resumable_retry_while_busy(void **st)
{
	st_sandbox *sb = *st;
	st_http_resp r;
	unsigned char *data = kt_bytes(BIG, 25);
	sbt_call(sb, "POST", "/upload/storage/v1/b/" BKT "/o?uploadType=resumable&name=res",
		 "{}", 200, &r);
	char loc[512];
	assert_non_null(st_http_header(&r, "Location", loc, sizeof loc));
	st_http_free(&r);
	put_job a = {.sb = sb, .url = loc, .data = data, .len = BIG}, b = a;
	pthread_t ta, tb;
	pthread_create(&ta, NULL, put_whole, &a);
	pthread_create(&tb, NULL, put_whole, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	int ok = 0;
	put_job *both[] = {&a, &b};
	for (int i = 0; i < 2; i++) {
		long st_ = both[i]->r.status;
		if (st_ == 503)
			kt_error(&both[i]->r, 503, "UNAVAILABLE", "retry");
		else
			assert_int_equal(st_, 200);
		ok += st_ == 200;
		st_http_free(&both[i]->r);
	}
	assert_true(ok >= 1);
	kt_download(sb, BKT, "res", NULL, 200, &r);
	assert_int_equal(r.len, BIG);
	assert_memory_equal(r.body, data, BIG);
	st_http_free(&r);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(held_download_blocks_nothing, setup, sbt_free),
		cmocka_unit_test_setup_teardown(streamed_ranges_and_early_hangup, setup, sbt_free),
		cmocka_unit_test_setup_teardown(damaged_blob_never_leaks, setup, sbt_free),
		cmocka_unit_test_setup_teardown(resumable_retry_while_busy, setup, sbt_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
