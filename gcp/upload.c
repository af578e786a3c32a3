/* Uploads with progress and an end-to-end CRC32C check: the checksum of the bytes we
 * read is compared with the one the server reports for the stored object, so a
 * corrupted or truncated upload is an error, never a silent success. The resumable
 * session protocol lives in upload_resumable.c. */
#include "gcp/upload_priv.h"

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

static void up_free(gcp_up *u)
{
	if (u->fd >= 0)
		close(u->fd);
	free(u->buf);
	free(u->bucket);
	free(u->object);
	free(u->ctype);
	free(u->kms_key);
	free(u->session);
	free(u);
}

void gcp__up_finish(gcp_up *u, const gcp_resp *r)
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

void gcp__up_fail(gcp_up *u, const gcp_error *e)
{
	gcp_resp r;
	memset(&r, 0, sizeof r);
	r.err = *e;
	r.body = "";
	r.headers = "";
	gcp__up_finish(u, &r);
}

static void on_single(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	(void)ctx;
	gcp__up_finish(user, r);
}

int gcp__up_read_at(gcp_up *u, unsigned char *dst, uint64_t off, size_t n)
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

/* Reads the whole source when it is small, or opens it for chunked reads. */
static int open_source(gcp_up *u, const gcp_upload_spec *s, bool want_buffer, gcp_error *e)
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
		if (gcp__up_read_at(u, blk, off, n) != 0) {
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
	gcp_up *u = st_xcalloc(1, sizeof *u);
	u->ctx = ctx;
	u->owner = owner;
	u->done = done;
	u->user = user;
	u->progress = s->progress;
	u->progress_user = s->progress_user;
	u->ep = ep;
	u->bucket = st_xstrdup(s->bucket);
	u->object = st_xstrdup(s->object);
	u->ctype = s->ctype ? st_xstrdup(s->ctype) : NULL;
	u->kms_key = s->kms_key ? st_xstrdup(s->kms_key) : NULL;
	u->fd = -1;
	u->chunk = s->chunk_size ? (s->chunk_size + CHUNK_UNIT - 1) / CHUNK_UNIT * CHUNK_UNIT : 8u << 20;
	if (open_source(u, s, !resumable, e) != 0) {
		up_free(u);
		return -1;
	}
	gcp_rq *rq;
	if (resumable) {
		if (gcp__up_resumable_begin(u, e) != 0) {
			up_free(u);
			return -1;
		}
		return 0;
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
