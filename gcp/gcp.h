/* gcp/: the console's asynchronous Google Cloud REST client.
 *
 * One thread. Every request is queued on one libcurl multi handle and returns at
 * once; the application's own poll() loop asks the engine which descriptors and
 * which deadline to wait on (gcp_pollfds, gcp_timeout_ms) and hands readiness back
 * (gcp_dispatch). Completion callbacks run from gcp_dispatch, never from gcp_call.
 * Nothing in gcp/ blocks: token fetches, retries and LRO polling are all requests
 * or timers on the same loop. */
#ifndef GCP_GCP_H
#define GCP_GCP_H

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gcp_ctx gcp_ctx;
typedef struct gcp_auth gcp_auth;

/* google.rpc.Status as far as the console needs it, plus where it came from. */
typedef struct gcp_error {
	int http;            /* HTTP status, 0 for transport errors */
	int code;            /* google.rpc.Code (0 = OK) */
	char status[48];     /* "ALREADY_EXISTS", "UNAVAILABLE", ... */
	char reason[96];     /* ErrorInfo reason, or the legacy errors[0].reason */
	char message[512];   /* sanitised: no control characters, valid UTF-8 */
	char where[256];     /* "GET https://host/path" of the failing request, if any */
} gcp_error;

typedef struct gcp_resp {
	long http;                 /* 0 when no HTTP answer came back */
	json_t *json;              /* parsed body (borrowed; NULL if not JSON or empty) */
	const char *body;          /* raw body, NUL-terminated (borrowed) */
	size_t body_len;
	const char *headers;       /* raw "Name: value\r\n" lines of the final response */
	bool ok;                   /* 2xx with a usable body */
	bool cancelled;            /* gcp_cancel_owner or gcp_free ended it: free user data only */
	gcp_error err;             /* filled when !ok */
	int attempts;              /* how many times it was sent */
	int http_version;          /* of the final answer: 10, 11, 20 or 30 (HTTP/1.0 .. HTTP/3); 0: none */
} gcp_resp;

typedef void (*gcp_done_fn)(gcp_ctx *ctx, const gcp_resp *resp, void *user);
/* Upload/download progress; total is 0 when unknown. It runs inside libcurl: do not
 * queue or cancel requests from it (note the figures and act on the loop instead). */
typedef void (*gcp_progress_fn)(void *user, uint64_t now, uint64_t total);

enum gcp_req_flags {
	GCP_NO_AUTH = 1 << 0,     /* token endpoint, metadata server */
	GCP_NO_RETRY = 1 << 1,
	GCP_RAW_BODY = 1 << 2,    /* response is not JSON (object media, serial text) */
	GCP_METADATA = 1 << 3,    /* adds Metadata-Flavor: Google */
	GCP_NOT_IDEMPOTENT = 1 << 4, /* a create the server may have done even if the answer
				      * was lost: retried only on 429/503 and when the
				      * connection was never made */
};

/* A request description; gcp_call copies everything it needs. */
typedef struct gcp_req {
	const char *method;        /* "GET", "POST", ... */
	const char *url;           /* absolute URL */
	const char *body;          /* NULL for none */
	size_t body_len;           /* 0 with body set: strlen(body) */
	const char *content_type;  /* default application/json when body set */
	const char *const *headers; /* extra "Name: value", NULL-terminated, or NULL */
	unsigned flags;
	void *owner;               /* for gcp_cancel_owner; NULL is fine */
	int64_t deadline_ms;       /* whole request incl. retries; 0: ctx default */
	gcp_progress_fn progress;  /* upload progress */
	void *progress_user;
} gcp_req;

typedef struct gcp_opts {
	size_t max_response;       /* bytes; default 64 MiB */
	int64_t default_deadline_ms; /* default 120 s */
	int max_attempts;          /* default 6 */
	int64_t backoff_base_ms;   /* default 250 */
	int64_t backoff_cap_ms;    /* default 32 s */
	long max_host_connections; /* default 8 */
	const char *user_agent;
	const char *ca_file;       /* extra trust (a TLS-inspecting proxy's CA); verification stays on */
} gcp_opts;

/* NULL opts: defaults. auth may be NULL (every request then goes without a token)
 * and is owned by the context afterwards. */
gcp_ctx *gcp_new(const gcp_opts *opts, gcp_auth *auth);
/* Cancels everything still queued (callbacks see cancelled) and frees. */
void gcp_free(gcp_ctx *ctx);
gcp_auth *gcp_ctx_auth(gcp_ctx *ctx);

/* Queues one request. Returns 0, or -1 with a reason in err (bad URL, plain http to
 * a non-loopback host); on -1 the callback is not called. */
int gcp_send(gcp_ctx *ctx, const gcp_req *req, gcp_done_fn done, void *user, gcp_error *err);
/* The DESIGN §4 shape: body_json is borrowed and serialised now. */
int gcp_call(gcp_ctx *ctx, const char *method, const char *url, const json_t *body_json,
	     gcp_done_fn done, void *user);
/* Ends every request (and helper: LRO, pages, uploads) whose owner is owner; their
 * callbacks run once, at once, with resp->cancelled set. */
void gcp_cancel_owner(gcp_ctx *ctx, void *owner);
/* Requests queued or in flight, including waits between retries. */
size_t gcp_pending(const gcp_ctx *ctx);

/* ---------------------------------------------------------------- the loop */
/* Fills up to max pollfds the engine wants watched; returns how many. */
size_t gcp_pollfds(gcp_ctx *ctx, struct pollfd *pfds, size_t max);
/* Milliseconds until the engine needs gcp_dispatch even without I/O; -1: none. */
int gcp_timeout_ms(gcp_ctx *ctx);
/* Hands back the poll() result (pfds as filled by gcp_pollfds) and runs timers;
 * completion callbacks run from here. */
void gcp_dispatch(gcp_ctx *ctx, const struct pollfd *pfds, size_t n);
/* Tiny loop for the CLI and tests: runs until *done is true, nothing is pending,
 * or max_ms passes (0 = no limit). Returns 0, or -1 on timeout. */
int gcp_loop_run_until(gcp_ctx *ctx, const volatile bool *done, int64_t max_ms);

/* ---------------------------------------------------------------- helpers */
/* Connections libcurl opened so far (connection reuse check, bench). */
long gcp_connections_opened(const gcp_ctx *ctx);
/* Value of a response header (case-insensitive) copied into buf, or NULL. */
const char *gcp_resp_header(const gcp_resp *r, const char *name, char *buf, size_t size);
/* "HTTP 409 ALREADY_EXISTS: message (reason)" style one-liner. */
void gcp_error_format(const gcp_error *e, char *buf, size_t size);
void gcp_error_set(gcp_error *e, int http, int code, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
