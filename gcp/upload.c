/* Uploads with progress and an end-to-end CRC32C check: the checksum of the bytes we
 * read is compared with the one the server reports for the stored object, so a
 * corrupted or truncated upload is an error, never a silent success. */
#include "gcp/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"

#define SMALL_MAX (5u << 20)
#define CHUNK_UNIT (256u * 1024)

typedef struct up {
	gcp_ctx *ctx;
	void *owner;
	gcp_done_fn done;
	void *user;
	gcp_progress_fn progress;
	void *progress_user;
	char *object;
	int fd;                 /* resumable from a file, or -1 */
	unsigned char *buf;     /* whole data in memory, or NULL */
	uint64_t total, sent;
	size_t chunk;
	uint32_t crc;
	char *session;
} up;

static void up_free(up *u)
{
	if (u->fd >= 0)
		close(u->fd);
	free(u->buf);
	free(u->object);
	free(u->session);
	free(u);
}

static void finish(up *u, const gcp_resp *r)
{
	gcp_resp out = *r;
	if (r->ok && !r->cancelled) {
		char want[9];
		const char *got = stj_str(r->json, "crc32c");
		st_crc32c_b64(u->crc, want);
		if (!got || strcmp(got, want) != 0) {
			out.ok = false;
			gcp_error_set(&out.err, (int)r->http, 15, NULL,
				      "upload of %s: server reports crc32c %s, local data has %s",
				      u->object, got ? got : "(none)", want);
		} else if (u->progress) {
			u->progress(u->progress_user, u->total, u->total);
		}
	}
	if (u->done)
		u->done(u->ctx, &out, u->user);
	up_free(u);
}

static void on_single(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	(void)ctx;
	finish(user, r);
}

static void fail_now(up *u, const gcp_error *e)
{
	gcp_resp r;
	memset(&r, 0, sizeof r);
	r.err = *e;
	r.body = "";
	r.headers = "";
	finish(u, &r);
}

static void send_chunk(up *u);

static void chunk_progress(void *user, uint64_t now, uint64_t total)
{
	up *u = user;
	(void)total;
	if (u->progress)
		u->progress(u->progress_user, u->sent + now, u->total);
}

/* 308 Range: "bytes=0-N" says what the server holds. */
static bool parse_range(const char *v, uint64_t *next)
{
	unsigned long long a, b;
	if (!v || sscanf(v, "bytes=%llu-%llu", &a, &b) != 2 || a != 0)
		return false;
	*next = (uint64_t)b + 1;
	return true;
}

static void on_chunk(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	up *u = user;
	char hv[96];
	(void)ctx;
	if (r->http == 308 && !r->cancelled) {
		uint64_t next = 0;
		const char *range = gcp_resp_header(r, "Range", hv, sizeof hv);
		if (range && (!parse_range(range, &next) || next > u->total)) {
			gcp_error e;
			gcp_error_set(&e, 308, 13, NULL, "resumable upload of %s: bad Range header", u->object);
			fail_now(u, &e);
			return;
		}
		u->sent = next;
		if (u->progress)
			u->progress(u->progress_user, u->sent, u->total);
		send_chunk(u);
		return;
	}
	finish(u, r);
}

static int read_at(up *u, unsigned char *dst, uint64_t off, size_t n)
{
	if (u->buf) {
		memcpy(dst, u->buf + off, n);
		return 0;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(u->fd, dst + got, n - got, (off_t)(off + got));
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static void send_chunk(up *u)
{
	uint64_t left = u->total - u->sent;
	size_t n = left < u->chunk ? (size_t)left : u->chunk;
	unsigned char *data = st_xmalloc(n + 1);
	gcp_error e;
	if (read_at(u, data, u->sent, n) != 0) {
		free(data);
		gcp_error_set(&e, 0, 15, NULL, "upload of %s: source file shrank or became unreadable", u->object);
		fail_now(u, &e);
		return;
	}
	char range[96];
	if (u->total == 0)
		snprintf(range, sizeof range, "Content-Range: bytes */0");
	else
		snprintf(range, sizeof range, "Content-Range: bytes %llu-%llu/%llu", (unsigned long long)u->sent,
			 (unsigned long long)(u->sent + n - 1), (unsigned long long)u->total);
	const char *hdrs[] = { range, NULL };
	gcp_req r;
	memset(&r, 0, sizeof r);
	r.method = "PUT";
	r.url = u->session;
	r.body = (const char *)data;
	r.body_len = n;
	r.content_type = "application/octet-stream";
	r.headers = hdrs;
	r.owner = u->owner;
	r.progress = chunk_progress;
	r.progress_user = u;
	/* An empty final chunk: gcp_send reads body_len 0 as strlen, which is 0 here too. */
	data[n] = '\0';
	int rc = gcp_send(u->ctx, &r, on_chunk, u, &e);
	free(data);
	if (rc != 0)
		fail_now(u, &e);
}

static void on_session(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	up *u = user;
	char loc[2048];
	(void)ctx;
	if (!r->ok || r->cancelled) {
		finish(u, r);
		return;
	}
	if (!gcp_resp_header(r, "Location", loc, sizeof loc)) {
		gcp_error e;
		gcp_error_set(&e, (int)r->http, 13, NULL, "resumable upload of %s: no session Location in reply", u->object);
		fail_now(u, &e);
		return;
	}
	u->session = st_xstrdup(loc);
	send_chunk(u);
}

/* Reads the whole source when it is small, or opens it for chunked reads. */
static int open_source(up *u, const gcp_upload_spec *s, bool want_buffer, gcp_error *e)
{
	if (!s->path) {
		u->buf = st_xmalloc(s->len + 1);
		memcpy(u->buf, s->data ? s->data : "", s->len);
		u->total = s->len;
		u->crc = st_crc32c(0, u->buf, s->len);
		return 0;
	}
	char err[300];
	if (want_buffer) {
		size_t len;
		char *b = st_read_file(s->path, SMALL_MAX, &len, err, sizeof err);
		if (!b) {
			gcp_error_set(e, 0, 3, NULL, "upload: %s", err);
			return -1;
		}
		u->buf = (unsigned char *)b;
		u->total = len;
		u->crc = st_crc32c(0, b, len);
		return 0;
	}
	u->fd = open(s->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (u->fd < 0 || fstat(u->fd, &st) != 0) {
		gcp_error_set(e, 0, 3, NULL, "upload: %s: %s", s->path, strerror(errno));
		return -1;
	}
	u->total = (uint64_t)st.st_size;
	/* One pass for the checksum; the server's answer is checked against it. */
	unsigned char blk[65536];
	uint64_t off = 0;
	while (off < u->total) {
		size_t n = u->total - off < sizeof blk ? (size_t)(u->total - off) : sizeof blk;
		if (read_at(u, blk, off, n) != 0) {
			gcp_error_set(e, 0, 3, NULL, "upload: %s: read error", s->path);
			return -1;
		}
		u->crc = st_crc32c(u->crc, blk, n);
		off += n;
	}
	return 0;
}

static uint64_t source_size(const gcp_upload_spec *s)
{
	struct stat st;
	if (!s->path)
		return s->len;
	return stat(s->path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int gcp_gcs_upload(gcp_ctx *ctx, const gcp_endpoints *ep, const gcp_upload_spec *s, void *owner,
		   gcp_done_fn done, void *user, gcp_error *err)
{
	gcp_error tmp;
	gcp_error *e = err ? err : &tmp;
	const char *mode = s->mode;
	if (!mode)
		mode = source_size(s) <= SMALL_MAX ? "multipart" : "resumable";
	bool resumable = strcmp(mode, "resumable") == 0;
	if (!resumable && strcmp(mode, "multipart") != 0 && strcmp(mode, "media") != 0) {
		gcp_error_set(e, 0, 3, NULL, "upload: unknown mode '%s'", mode);
		return -1;
	}
	up *u = st_xcalloc(1, sizeof *u);
	u->ctx = ctx;
	u->owner = owner;
	u->done = done;
	u->user = user;
	u->progress = s->progress;
	u->progress_user = s->progress_user;
	u->object = st_xstrdup(s->object);
	u->fd = -1;
	u->chunk = s->chunk_size ? (s->chunk_size + CHUNK_UNIT - 1) / CHUNK_UNIT * CHUNK_UNIT : 8u << 20;
	if (open_source(u, s, !resumable, e) != 0) {
		up_free(u);
		return -1;
	}
	gcp_rq *rq;
	if (resumable) {
		rq = gcp_gcs_upload_resumable_start(ep, s->bucket, s->object, u->total, s->ctype, s->kms_key, u->crc);
		return gcp_rq_send(ctx, rq, owner, on_session, u, e) == 0 ? 0 : (up_free(u), -1);
	}
	if (strcmp(mode, "media") == 0)
		rq = gcp_gcs_upload_media(ep, s->bucket, s->object, u->buf, u->total, s->ctype, s->kms_key);
	else
		rq = gcp_gcs_upload_multipart(ep, s->bucket, s->object, u->buf, u->total, s->ctype, s->kms_key);
	rq->progress = s->progress;
	rq->progress_user = s->progress_user;
	if (gcp_rq_send(ctx, rq, owner, on_single, u, e) != 0) {
		up_free(u);
		return -1;
	}
	return 0;
}
