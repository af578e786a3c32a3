/* Resumable uploads as Google documents them. The bytes go to a session URL in
 * chunks. A chunk that fails or is cut off is not simply sent again: the session is
 * asked what it holds (an empty PUT carrying "Content-Range: bytes STAR/TOTAL") and the
 * upload carries on from the first byte it lacks, because a lost answer says nothing
 * about how much arrived. A session the server has forgotten (404/410) is begun again
 * once. Everything is driven by engine callbacks and timers; nothing here blocks. */
#include "gcp/upload_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "gcp/internal.h"

static void send_chunk(gcp_up *u);
static void send_query(gcp_up *u);
static void on_session(gcp_ctx *ctx, const gcp_resp *r, void *user);

static bool session_gone(long http)
{
	return http == 404 || http == 410;
}

/* Worth asking the session again: the server was busy or the connection failed.
 * A missing token (UNAUTHENTICATED without an answer) will not fix itself. */
static bool transient(const gcp_resp *r)
{
	return gcp_retryable_http(r->http) || (r->http == 0 && r->err.code != 16);
}

/* Any other final answer, with the object named in the message. */
static void fail_with(gcp_up *u, const gcp_resp *r)
{
	gcp_resp out = *r;
	gcp_error_set(&out.err, r->err.http, r->err.code, r->err.status[0] ? r->err.status : NULL, "upload of %s: %s",
		      u->object, r->err.message);
	memcpy(out.err.reason, r->err.reason, sizeof out.err.reason);
	memcpy(out.err.where, r->err.where, sizeof out.err.where);
	gcp__up_finish(u, &out);
}

static void on_resume_timer(gcp_ctx *ctx, void *user, bool cancelled)
{
	gcp_up *u = user;
	(void)ctx;
	if (cancelled) {
		gcp_resp r;
		gcp__resp_cancelled(&r);
		gcp__up_finish(u, &r);
		return;
	}
	send_query(u);
}

/* One more failure without the server gaining a byte: ask the session again after a
 * pause, or give up once the bound is reached. */
static void resume_later(gcp_up *u, const gcp_error *why)
{
	if (++u->resumes > GCP_UP_MAX_RESUMES) {
		gcp_error e = *why;
		gcp_error_set(&e, why->http, why->code ? why->code : 14, why->status[0] ? why->status : NULL,
			      "upload of %s: gave up after %d resume attempts without progress (last: %s)", u->object,
			      GCP_UP_MAX_RESUMES, why->message);
		memcpy(e.where, why->where, sizeof e.where);
		gcp__up_fail(u, &e);
		return;
	}
	gcp__timer_add(u->ctx, gcp__backoff_for(u->ctx, u->resumes - 1), u->owner, on_resume_timer, u);
}

/* The session expired: start from scratch once, then give up. */
static void restart(gcp_up *u, const gcp_resp *r)
{
	gcp_error e;
	if (u->restarted) {
		gcp_error_set(&e, (int)r->http, 5, NULL,
			      "upload of %s: the resumable session expired again after starting over (HTTP %ld)",
			      u->object, r->http);
		memcpy(e.where, r->err.where, sizeof e.where);
		gcp__up_fail(u, &e);
		return;
	}
	u->restarted = true;
	free(u->session);
	u->session = NULL;
	u->sent = 0;
	u->resumes = 0;
	if (u->progress)
		u->progress(u->progress_user, 0, u->total);
	gcp_rq *rq = gcp_gcs_upload_resumable_start(u->ep, u->bucket, u->object, u->total, u->ctype, u->kms_key, u->crc);
	if (gcp_rq_send(u->ctx, rq, u->owner, on_session, u, &e) != 0)
		gcp__up_fail(u, &e);
}

/* 308 Range: "bytes=0-N" says what the server holds; no Range means nothing. */
static bool parse_range(const char *v, uint64_t *next)
{
	unsigned long long a, b;
	char tail;
	if (!v || sscanf(v, "bytes=%llu-%llu%c", &a, &b, &tail) != 2 || a != 0)
		return false;
	*next = (uint64_t)b + 1;
	return true;
}

/* Reads a 308's Range into *next; false (and the upload ended) when it is unusable. */
static bool held_bytes(gcp_up *u, const gcp_resp *r, uint64_t *next)
{
	char hv[96];
	const char *range = gcp_resp_header(r, "Range", hv, sizeof hv);
	*next = 0;
	if (range && (!parse_range(range, next) || *next > u->total)) {
		gcp_error e;
		char safe[100];
		st_sanitize_text(safe, sizeof safe, range);
		gcp_error_set(&e, 308, 13, NULL, "upload of %s: unusable Range header '%s' in the session's answer",
			      u->object, safe);
		gcp__up_fail(u, &e);
		return false;
	}
	return true;
}

/* Carries on from what the session holds. after_chunk: the 308 answered a chunk, so
 * holding nothing more than before is itself a failure (else a server that never
 * keeps anything would be fed the same chunk for ever). */
static void continue_from(gcp_up *u, const gcp_resp *r, bool after_chunk)
{
	uint64_t next;
	if (!held_bytes(u, r, &next))
		return;
	bool gained = next > u->sent;
	u->sent = next;
	if (gained)
		u->resumes = 0;
	if (u->progress)
		u->progress(u->progress_user, u->sent, u->total);
	gcp_error e;
	if (u->total > 0 && next == u->total) {
		/* Every byte is there but the object was not reported: ask again. */
		gcp_error_set(&e, 308, 14, NULL, "the session holds all %llu bytes but did not complete",
			      (unsigned long long)u->total);
		resume_later(u, &e);
	} else if (after_chunk && !gained) {
		gcp_error_set(&e, 308, 14, NULL, "the server kept none of the chunk at byte %llu",
			      (unsigned long long)u->sent);
		resume_later(u, &e);
	} else {
		send_chunk(u);
	}
}

/* The answer to a chunk and to a status query mean the same, but for a 308 (see
 * continue_from); a 200/201 to a query means the upload had completed meanwhile. */
static void on_answer(gcp_up *u, const gcp_resp *r, bool after_chunk)
{
	if (r->cancelled || r->ok)
		gcp__up_finish(u, r);
	else if (r->http == 308)
		continue_from(u, r, after_chunk);
	else if (session_gone(r->http))
		restart(u, r);
	else if (transient(r))
		resume_later(u, &r->err);
	else
		fail_with(u, r);
}

static void on_chunk(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	(void)ctx;
	on_answer(user, r, true);
}

static void on_query(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	(void)ctx;
	on_answer(user, r, false);
}

static void chunk_progress(void *user, uint64_t now, uint64_t total)
{
	gcp_up *u = user;
	(void)total;
	if (u->progress)
		u->progress(u->progress_user, u->sent + now, u->total);
}

static void put(gcp_up *u, const char *range, const unsigned char *data, size_t n, unsigned flags,
		gcp_done_fn fn)
{
	char hdr[96];
	snprintf(hdr, sizeof hdr, "Content-Range: %s", range);
	const char *hdrs[] = { hdr, NULL };
	gcp_req r;
	memset(&r, 0, sizeof r);
	r.method = "PUT";
	r.url = u->session;
	r.body = (const char *)data; /* NUL-terminated: body_len 0 reads as strlen, 0 too */
	r.body_len = n;
	r.content_type = "application/octet-stream";
	r.headers = hdrs;
	r.flags = flags;
	r.owner = u->owner;
	if (fn == on_chunk) {
		r.progress = chunk_progress;
		r.progress_user = u;
	}
	gcp_error e;
	if (gcp_send(u->ctx, &r, fn, u, &e) != 0)
		gcp__up_fail(u, &e);
}

/* Asking is harmless to repeat, so the engine's own retries apply. */
static void send_query(gcp_up *u)
{
	char range[64];
	snprintf(range, sizeof range, "bytes */%llu", (unsigned long long)u->total);
	put(u, range, (const unsigned char *)"", 0, 0, on_query);
}

static void send_chunk(gcp_up *u)
{
	uint64_t left = u->total - u->sent;
	size_t n = left < u->chunk ? (size_t)left : u->chunk;
	unsigned char *data = st_xmalloc(n + 1);
	if (gcp__up_read_at(u, data, u->sent, n) != 0) {
		free(data);
		gcp_error e;
		gcp_error_set(&e, 0, 15, NULL, "upload of %s: source file shrank or became unreadable", u->object);
		gcp__up_fail(u, &e);
		return;
	}
	data[n] = '\0';
	char range[96];
	if (u->total == 0)
		snprintf(range, sizeof range, "bytes */0");
	else
		snprintf(range, sizeof range, "bytes %llu-%llu/%llu", (unsigned long long)u->sent,
			 (unsigned long long)(u->sent + n - 1), (unsigned long long)u->total);
	/* A failed chunk is followed by a status query, not a blind resend: the engine
	 * must not repeat it on its own. */
	put(u, range, data, n, GCP_NO_RETRY, on_chunk);
	free(data);
}

static void on_session(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	gcp_up *u = user;
	char loc[2048];
	(void)ctx;
	if (r->cancelled) {
		gcp__up_finish(u, r);
		return;
	}
	if (!r->ok) {
		fail_with(u, r);
		return;
	}
	if (!gcp_resp_header(r, "Location", loc, sizeof loc)) {
		gcp_error e;
		gcp_error_set(&e, (int)r->http, 13, NULL, "resumable upload of %s: no session Location in reply", u->object);
		gcp__up_fail(u, &e);
		return;
	}
	u->session = st_xstrdup(loc);
	send_chunk(u);
}

int gcp__up_resumable_begin(gcp_up *u, gcp_error *e)
{
	gcp_rq *rq = gcp_gcs_upload_resumable_start(u->ep, u->bucket, u->object, u->total, u->ctype, u->kms_key, u->crc);
	return gcp_rq_send(u->ctx, rq, u->owner, on_session, u, e);
}
