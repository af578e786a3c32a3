/* The request engine: one libcurl multi handle driven by the caller's poll() loop.
 *
 * A request (xfer) lives in one list from gcp_send until its callback has run. It moves
 * between states: waiting for a token, in flight, waiting out a backoff, finished. Every
 * decision that may call back into user code (completion, failure, cancellation) is taken
 * in gcp_dispatch, never inside gcp_send, so callers never see re-entrant callbacks. */
#include "gcp/endpoints.h"
#include "gcp/engine_priv.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"

static int curl_inited;

/* ------------------------------------------------------------------ curl glue */

static int on_socket(CURL *e, curl_socket_t s, int what, void *cp, void *sp)
{
	gcp_ctx *ctx = cp;
	(void)e, (void)sp;
	for (size_t i = 0; i < ctx->nsocks; i++) {
		if (ctx->socks[i].fd != s)
			continue;
		if (what == CURL_POLL_REMOVE)
			ctx->socks[i] = ctx->socks[--ctx->nsocks];
		else
			ctx->socks[i].what = what;
		return 0;
	}
	if (what == CURL_POLL_REMOVE)
		return 0;
	if (ctx->nsocks == ctx->capsocks) {
		ctx->capsocks = ctx->capsocks ? ctx->capsocks * 2 : 16;
		ctx->socks = st_xrealloc(ctx->socks, ctx->capsocks * sizeof *ctx->socks);
	}
	ctx->socks[ctx->nsocks].fd = s;
	ctx->socks[ctx->nsocks].what = what;
	ctx->nsocks++;
	return 0;
}

static int on_timer(CURLM *m, long ms, void *cp)
{
	gcp_ctx *ctx = cp;
	(void)m;
	ctx->curl_deadline = ms < 0 ? -1 : st_mono_ms() + ms;
	return 0;
}

static size_t on_body(char *p, size_t sz, size_t n, void *u)
{
	xfer *x = u;
	size_t len = sz * n;
	if (x->rbody.len + len > x->ctx->opts.max_response) {
		x->too_big = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	st_buf_append(&x->rbody, p, len);
	return len;
}

static size_t on_header(char *p, size_t sz, size_t n, void *u)
{
	xfer *x = u;
	size_t len = sz * n;
	/* A new status line starts a new header block (after 100 Continue, say). */
	if (len > 5 && memcmp(p, "HTTP/", 5) == 0)
		st_buf_reset(&x->rhdrs);
	if (x->rhdrs.len + len < 256 * 1024)
		st_buf_append(&x->rhdrs, p, len);
	return len;
}

static int on_xferinfo(void *u, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
	xfer *x = u;
	(void)dlt, (void)dln;
	if (x->progress)
		x->progress(x->progress_user, (uint64_t)uln, (uint64_t)ult);
	return 0;
}

/* ------------------------------------------------------------------ lifecycle */

gcp_ctx *gcp_new(const gcp_opts *opts, gcp_auth *auth)
{
	if (!curl_inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_inited = 1;
	}
	gcp_ctx *ctx = st_xcalloc(1, sizeof *ctx);
	if (opts)
		ctx->opts = *opts;
	if (!ctx->opts.max_response)
		ctx->opts.max_response = 64u << 20;
	if (!ctx->opts.default_deadline_ms)
		ctx->opts.default_deadline_ms = 120000;
	if (!ctx->opts.max_attempts)
		ctx->opts.max_attempts = 6;
	if (!ctx->opts.backoff_base_ms)
		ctx->opts.backoff_base_ms = 250;
	if (!ctx->opts.backoff_cap_ms)
		ctx->opts.backoff_cap_ms = 32000;
	if (!ctx->opts.max_host_connections)
		ctx->opts.max_host_connections = 8;
	ctx->user_agent = st_xstrdup(opts && opts->user_agent ? opts->user_agent : "sealtrain/0.1");
	ctx->opts.user_agent = ctx->user_agent;
	ctx->ca_file = opts && opts->ca_file ? st_xstrdup(opts->ca_file) : NULL;
	ctx->opts.ca_file = ctx->ca_file;
	ctx->auth = auth;
	ctx->curl_deadline = -1;
	ctx->multi = curl_multi_init();
	curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETDATA, ctx);
	curl_multi_setopt(ctx->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(ctx->multi, CURLMOPT_TIMERDATA, ctx);
	curl_multi_setopt(ctx->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(ctx->multi, CURLMOPT_MAX_HOST_CONNECTIONS, ctx->opts.max_host_connections);
	return ctx;
}

gcp_auth *gcp_ctx_auth(gcp_ctx *ctx)
{
	return ctx->auth;
}

static void xfer_release_easy(xfer *x)
{
	if (x->easy) {
		curl_multi_remove_handle(x->ctx->multi, x->easy);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
}

static void xfer_free(xfer *x)
{
	xfer_release_easy(x);
	free(x->method);
	free(x->url);
	free(x->body);
	free(x->ctype);
	for (char **h = x->extra; h && *h; h++)
		free(*h);
	free(x->extra);
	free(x->token_used);
	st_buf_free(&x->rbody);
	st_buf_free(&x->rhdrs);
	free(x);
}

static void unlink_xfer(gcp_ctx *ctx, xfer *x)
{
	for (xfer **pp = &ctx->xfers; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			return;
		}
}

/* Unlinks x, hands resp to its callback, frees x. */
static void complete(xfer *x, gcp_resp *resp)
{
	gcp_ctx *ctx = x->ctx;
	unlink_xfer(ctx, x);
	xfer_release_easy(x);
	resp->attempts = x->attempts;
	if (x->done)
		x->done(ctx, resp, x->user);
	xfer_free(x);
}

static void where_of(const xfer *x, gcp_error *e)
{
	/* Query strings can be long (filters); the path is what names the call. */
	const char *q = strchr(x->url, '?');
	int n = q ? (int)(q - x->url) : (int)strlen(x->url);
	char raw[sizeof e->where];
	snprintf(raw, sizeof raw, "%s %.*s", x->method, n, x->url);
	st_sanitize_text(e->where, sizeof e->where, raw);
}

static void fail(xfer *x, const gcp_error *e)
{
	gcp_resp r;
	memset(&r, 0, sizeof r);
	r.err = *e;
	if (!r.err.where[0])
		where_of(x, &r.err);
	r.http = e->http;
	r.body = "";
	r.headers = "";
	complete(x, &r);
}

void gcp__resp_cancelled(gcp_resp *r)
{
	memset(r, 0, sizeof *r);
	r->cancelled = true;
	r->body = "";
	r->headers = "";
}

static void cancel(xfer *x)
{
	gcp_resp r;
	gcp__resp_cancelled(&r);
	gcp_error_set(&r.err, 0, 1, "CANCELLED", "request cancelled");
	where_of(x, &r.err);
	complete(x, &r);
}

void gcp_cancel_owner(gcp_ctx *ctx, void *owner)
{
	bool again = true;
	/* Callbacks may queue or cancel more, so restart the scan after each one. */
	while (again) {
		again = false;
		for (xfer *x = ctx->xfers; x; x = x->next)
			if (x->owner == owner) {
				cancel(x);
				again = true;
				break;
			}
		for (timer **pp = &ctx->timers; !again && *pp; pp = &(*pp)->next)
			if ((*pp)->owner == owner) {
				timer *t = *pp;
				*pp = t->next;
				t->fn(ctx, t->user, true);
				free(t);
				again = true;
				break;
			}
	}
}

void gcp_free(gcp_ctx *ctx)
{
	if (!ctx)
		return;
	/* Cancellation callbacks may queue more work (a helper starting its next step);
	 * cancel that too, a bounded number of rounds, then drop whatever is left. */
	for (int round = 0; round < 16 && (ctx->xfers || ctx->timers); round++) {
		while (ctx->xfers)
			cancel(ctx->xfers);
		while (ctx->timers) {
			timer *t = ctx->timers;
			ctx->timers = t->next;
			t->fn(ctx, t->user, true);
			free(t);
		}
	}
	while (ctx->xfers) {
		xfer *x = ctx->xfers;
		ctx->xfers = x->next;
		xfer_free(x);
	}
	while (ctx->timers) {
		timer *t = ctx->timers;
		ctx->timers = t->next;
		free(t);
	}
	gcp__auth_free(ctx->auth);
	curl_multi_cleanup(ctx->multi);
	free(ctx->socks);
	free(ctx->watches);
	free(ctx->user_agent);
	free(ctx->ca_file);
	free(ctx);
}

size_t gcp_pending(const gcp_ctx *ctx)
{
	size_t n = 0;
	for (const xfer *x = ctx->xfers; x; x = x->next)
		n++;
	for (const timer *t = ctx->timers; t; t = t->next)
		n++;
	return n;
}

long gcp_connections_opened(const gcp_ctx *ctx)
{
	return ctx->connects;
}

/* ------------------------------------------------------------------ sending */

static bool needs_auth(const xfer *x)
{
	return x->ctx->auth && !(x->flags & GCP_NO_AUTH);
}

static void add_header(xfer *x, const char *h)
{
	x->hdrs = curl_slist_append(x->hdrs, h);
}

static void build_headers(xfer *x, const char *token)
{
	if (token) {
		char *h = st_xasprintf("Authorization: Bearer %s", token);
		add_header(x, h);
		/* The header copy inside curl is all that remains; wipe ours. */
		memset(h, 0, strlen(h));
		free(h);
		const char *qp = gcp__auth_quota_project(x->ctx->auth);
		if (qp) {
			char *q = st_xasprintf("x-goog-user-project: %s", qp);
			add_header(x, q);
			free(q);
		}
	}
	if (x->body) {
		char *c = st_xasprintf("Content-Type: %s", x->ctype ? x->ctype : "application/json");
		add_header(x, c);
		free(c);
	}
	if (x->flags & GCP_METADATA)
		add_header(x, "Metadata-Flavor: Google");
	add_header(x, "Expect:");
	for (char **h = x->extra; h && *h; h++)
		add_header(x, *h);
}

static void set_method(xfer *x)
{
	CURL *e = x->easy;
	if (strcmp(x->method, "GET") == 0 && !x->body) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (strcmp(x->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return;
	}
	if (strcmp(x->method, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
	if (x->body || strcmp(x->method, "POST") == 0 || strcmp(x->method, "PUT") == 0 ||
	    strcmp(x->method, "PATCH") == 0) {
		/* Google wants a Content-Length even on empty POSTs. */
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body ? x->body : "");
	}
}

static void start_attempt(xfer *x, const char *token)
{
	gcp_ctx *ctx = x->ctx;
	int64_t left = x->deadline - st_mono_ms();
	CURL *e = curl_easy_init();
	x->easy = e;
	x->attempts++;
	x->too_big = false;
	x->cerr[0] = '\0';
	st_buf_reset(&x->rbody);
	st_buf_reset(&x->rhdrs);
	free(x->token_used);
	x->token_used = token ? st_xstrdup(token) : NULL;
	build_headers(x, token);
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->cerr);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* An operator's proxy settings apply to Google, never to a sandbox on loopback. */
	curl_easy_setopt(e, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ctx->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, ctx->ca_file);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, ctx->user_agent);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ctx->opts.max_response);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(left > 1 ? left : 1));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(left > 1 && left < 15000 ? left : 15000));
	if (x->progress) {
		curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
		curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
	}
	set_method(x);
	x->state = XS_FLIGHT;
	curl_multi_add_handle(ctx->multi, e);
}

/* Starts x now if it can; otherwise parks it until the token arrives. */
static void advance(xfer *x)
{
	if (!needs_auth(x)) {
		start_attempt(x, NULL);
		return;
	}
	gcp_auth *a = x->ctx->auth;
	const char *tok = gcp__auth_token(a);
	if (tok) {
		gcp__auth_touch(a, x->ctx);
		start_attempt(x, tok);
		return;
	}
	x->state = XS_AUTH_WAIT;
	gcp__auth_start(a, x->ctx);
}

static char **copy_headers(const char *const *h)
{
	size_t n = 0;
	while (h && h[n])
		n++;
	if (!n)
		return NULL;
	char **out = st_xcalloc(n + 1, sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = st_xstrdup(h[i]);
	return out;
}

static bool method_ok(const char *m)
{
	static const char *const ok[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD" };
	for (size_t i = 0; m && i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(m, ok[i]) == 0)
			return true;
	return false;
}

int gcp_send(gcp_ctx *ctx, const gcp_req *req, gcp_done_fn done, void *user, gcp_error *err)
{
	gcp_error tmp;
	gcp_error *e = err ? err : &tmp;
	char why[200];
	if (!method_ok(req->method)) {
		gcp_error_set(e, 0, 3, NULL, "unsupported HTTP method '%s'", req->method ? req->method : "");
		return -1;
	}
	if (!req->url || !gcp_url_allowed(req->url, req->flags & GCP_METADATA, why, sizeof why)) {
		gcp_error_set(e, 0, 3, NULL, "%s", req->url ? why : "no URL");
		return -1;
	}
	for (const char *const *h = req->headers; h && *h; h++)
		if (strpbrk(*h, "\r\n")) {
			gcp_error_set(e, 0, 3, NULL, "header with a line break refused");
			return -1;
		}
	xfer *x = st_xcalloc(1, sizeof *x);
	x->ctx = ctx;
	x->method = st_xstrdup(req->method);
	x->url = st_xstrdup(req->url);
	if (req->body) {
		x->body_len = req->body_len ? req->body_len : strlen(req->body);
		x->body = st_xmalloc(x->body_len + 1);
		memcpy(x->body, req->body, x->body_len);
		x->body[x->body_len] = '\0';
	}
	x->ctype = req->content_type ? st_xstrdup(req->content_type) : NULL;
	x->extra = copy_headers(req->headers);
	x->flags = req->flags;
	x->owner = req->owner;
	x->deadline = st_mono_ms() + (req->deadline_ms > 0 ? req->deadline_ms : ctx->opts.default_deadline_ms);
	x->progress = req->progress;
	x->progress_user = req->progress_user;
	x->done = done;
	x->user = user;
	st_buf_init(&x->rbody);
	st_buf_init(&x->rhdrs);
	/* Append, so requests start in the order they were queued. */
	xfer **pp = &ctx->xfers;
	while (*pp)
		pp = &(*pp)->next;
	*pp = x;
	advance(x);
	return 0;
}

int gcp_call(gcp_ctx *ctx, const char *method, const char *url, const json_t *body_json,
	     gcp_done_fn done, void *user)
{
	gcp_req r;
	memset(&r, 0, sizeof r);
	r.method = method;
	r.url = url;
	char *body = body_json ? stj_dump(body_json) : NULL;
	r.body = body;
	int rc = gcp_send(ctx, &r, done, user, NULL);
	free(body);
	return rc;
}

/* ------------------------------------------------------------------ outcomes */

const char *gcp_resp_header(const gcp_resp *r, const char *name, char *buf, size_t size)
{
	size_t nl = strlen(name);
	for (const char *p = r->headers; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t vl = len - (size_t)(v - p);
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
				vl--;
			if (vl >= size)
				vl = size - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = eol ? eol + 1 : p + len;
	}
	return NULL;
}

static bool is_transport_retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_OPERATION_TIMEDOUT:
		return true;
	default:
		return false;
	}
}

/* Waits and sends again when the deadline and the attempt budget allow. */
static bool schedule_retry(xfer *x, int64_t hint_ms)
{
	gcp_ctx *ctx = x->ctx;
	if ((x->flags & GCP_NO_RETRY) || x->attempts >= ctx->opts.max_attempts)
		return false;
	int64_t d = gcp_backoff_ms(x->attempts - 1, ctx->opts.backoff_base_ms, ctx->opts.backoff_cap_ms);
	if (hint_ms >= 0)
		d = hint_ms > 60000 ? 60000 : hint_ms; /* the server knows best, within reason */
	int64_t now = st_mono_ms();
	if (now + d >= x->deadline)
		return false;
	xfer_release_easy(x);
	x->retry_at = now + d;
	x->state = XS_RETRY_WAIT;
	return true;
}

static void finish_transport(xfer *x)
{
	gcp_error e;
	if (x->too_big) {
		gcp_error_set(&e, 0, 8, NULL, "response larger than the %zu-byte limit",
			      x->ctx->opts.max_response);
		fail(x, &e);
		return;
	}
	if (x->cres == CURLE_FILESIZE_EXCEEDED) {
		gcp_error_set(&e, 0, 8, NULL, "response larger than the %zu-byte limit (Content-Length)",
			      x->ctx->opts.max_response);
		fail(x, &e);
		return;
	}
	/* Said plainly: libcurl's own wording for it names SSH keys. */
	if (x->cres == CURLE_PEER_FAILED_VERIFICATION) {
		gcp_error_set(&e, 0, 14, NULL, "TLS verification of the server failed: %s",
			      x->cerr[0] ? x->cerr : curl_easy_strerror(x->cres));
		fail(x, &e);
		return;
	}
	/* A request that may have reached the server is sent again only when doing it
	 * twice is harmless. */
	bool may_repeat = !(x->flags & GCP_NOT_IDEMPOTENT) || x->cres == CURLE_COULDNT_CONNECT ||
			  x->cres == CURLE_COULDNT_RESOLVE_HOST;
	if (may_repeat && is_transport_retryable(x->cres) && schedule_retry(x, -1))
		return;
	bool timeout = x->cres == CURLE_OPERATION_TIMEDOUT;
	gcp_error_set(&e, 0, timeout ? 4 : 14, NULL, "%s%s%s (after %d attempt%s)",
		      curl_easy_strerror(x->cres), x->cerr[0] ? ": " : "", x->cerr, x->attempts,
		      x->attempts == 1 ? "" : "s");
	fail(x, &e);
}

/* libcurl's version constants as the number callers print: 11 for HTTP/1.1. */
static int http_version_of(long v)
{
	switch (v) {
	case CURL_HTTP_VERSION_1_0:
		return 10;
	case CURL_HTTP_VERSION_1_1:
		return 11;
	case CURL_HTTP_VERSION_2_0:
		return 20;
	case CURL_HTTP_VERSION_3:
		return 30;
	default:
		return 0;
	}
}

static void finish_http(xfer *x)
{
	gcp_ctx *ctx = x->ctx;
	char hv[128];
	gcp_resp r;
	memset(&r, 0, sizeof r);
	r.http = x->http;
	r.body = x->rbody.p ? x->rbody.p : "";
	r.body_len = x->rbody.len;
	r.headers = x->rhdrs.p ? x->rhdrs.p : "";
	r.http_version = http_version_of(x->http_version);

	if (x->http == 401 && needs_auth(x) && !x->replayed_401) {
		/* One refresh and one replay: the token may have been revoked or expired early. */
		x->replayed_401 = true;
		gcp__auth_invalidate(ctx->auth, x->token_used);
		xfer_release_easy(x);
		x->state = XS_START;
		return;
	}
	bool repeatable = !(x->flags & GCP_NOT_IDEMPOTENT) || x->http == 429 || x->http == 503;
	if (gcp_retryable_http(x->http) && repeatable) {
		int64_t hint = gcp_retry_after_ms(gcp_resp_header(&r, "Retry-After", hv, sizeof hv),
						  st_wall_ms());
		if (schedule_retry(x, hint))
			return;
	}
	char perr[160] = "";
	json_t *j = NULL;
	bool two = x->http >= 200 && x->http < 300;
	/* Error bodies are parsed even for raw requests: they carry the google.rpc Status. */
	if ((!(x->flags & GCP_RAW_BODY) || !two) && r.body_len)
		j = stj_parse(r.body, r.body_len, ctx->opts.max_response, perr, sizeof perr);
	r.json = j;
	if (two && (x->flags & GCP_RAW_BODY || !r.body_len || j)) {
		r.ok = true;
	} else if (two) {
		gcp_error_set(&r.err, (int)x->http, 13, "INTERNAL", "response is not valid JSON: %s", perr);
		where_of(x, &r.err);
	} else {
		gcp_error_from_response(&r.err, x->http, j, r.body, r.body_len,
					gcp_resp_header(&r, "Content-Type", hv, sizeof hv));
		where_of(x, &r.err);
	}
	complete(x, &r);
	json_decref(j);
}

void gcp__collect_completions(gcp_ctx *ctx)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(ctx->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		xfer *x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (!x)
			continue;
		long nc = 0;
		curl_easy_getinfo(m->easy_handle, CURLINFO_NUM_CONNECTS, &nc);
		ctx->connects += nc;
		x->cres = m->data.result;
		x->http = 0;
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &x->http);
		x->http_version = 0;
		curl_easy_getinfo(m->easy_handle, CURLINFO_HTTP_VERSION, &x->http_version);
		x->state = XS_FINISHED;
	}
}

/* Runs one step for the first xfer that needs one; false when none did. */
bool gcp__step_one(gcp_ctx *ctx, int64_t now)
{
	for (xfer *x = ctx->xfers; x; x = x->next) {
		switch (x->state) {
		case XS_FINISHED:
			if (x->cres == CURLE_OK)
				finish_http(x);
			else
				finish_transport(x);
			return true;
		case XS_RETRY_WAIT:
			if (now < x->retry_at)
				break;
			x->state = XS_START;
			/* fall through */
		case XS_START:
			if (now >= x->deadline) {
				gcp_error e;
				gcp_error_set(&e, 0, 4, NULL, "deadline passed after %d attempt%s",
					      x->attempts, x->attempts == 1 ? "" : "s");
				fail(x, &e);
				return true;
			}
			advance(x);
			return true;
		case XS_AUTH_WAIT:
			if (gcp__auth_busy(ctx->auth))
				break;
			if (gcp__auth_token(ctx->auth)) {
				advance(x);
				return true;
			}
			if (gcp__auth_failure(ctx->auth)) {
				fail(x, gcp__auth_failure(ctx->auth));
			} else {
				gcp_error e;
				gcp_error_set(&e, 0, 16, NULL, "no access token could be obtained");
				fail(x, &e);
			}
			return true;
		case XS_FLIGHT:
			if (now >= x->deadline + 2000) {
				/* curl's own timeout should have fired; this is the backstop. */
				x->cres = CURLE_OPERATION_TIMEDOUT;
				x->state = XS_FINISHED;
				return true;
			}
			break;
		}
	}
	return false;
}

bool gcp__fire_one_timer(gcp_ctx *ctx, int64_t now)
{
	for (timer **pp = &ctx->timers; *pp; pp = &(*pp)->next)
		if ((*pp)->at <= now) {
			timer *t = *pp;
			*pp = t->next;
			t->fn(ctx, t->user, false);
			free(t);
			return true;
		}
	return false;
}

void gcp__auth_settled(gcp_ctx *ctx)
{
	/* Nothing to do here: parked requests are looked at on the next dispatch, which
	 * gcp_timeout_ms makes immediate. */
	(void)ctx;
}
