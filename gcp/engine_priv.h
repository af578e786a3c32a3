/* The engine's state, shared by engine.c (requests) and loop.c (the poll glue). */
#ifndef GCP_ENGINE_PRIV_H
#define GCP_ENGINE_PRIV_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/str.h"
#include "gcp/internal.h"

enum xstate { XS_START, XS_AUTH_WAIT, XS_FLIGHT, XS_RETRY_WAIT, XS_FINISHED };

typedef struct xfer {
	struct xfer *next;
	gcp_ctx *ctx;
	enum xstate state;
	CURL *easy;
	struct curl_slist *hdrs;
	char *method, *url, *body, *ctype;
	size_t body_len;
	char **extra;              /* copied extra headers, NULL-terminated */
	unsigned flags;
	void *owner;
	int64_t deadline;          /* monotonic ms */
	int64_t retry_at;
	gcp_progress_fn progress;
	void *progress_user;
	gcp_done_fn done;
	void *user;
	int attempts;
	bool replayed_401;
	char *token_used;
	st_buf rbody, rhdrs;
	bool too_big;
	/* outcome of the last attempt */
	CURLcode cres;
	long http;
	long http_version;         /* CURLINFO_HTTP_VERSION */
	char cerr[CURL_ERROR_SIZE];
} xfer;

typedef struct timer {
	struct timer *next;
	int64_t at;
	void *owner;
	gcp_timer_fn fn;
	void *user;
} timer;

typedef struct watch {
	int fd;
	short events;
	gcp_fd_fn fn;
	void *user;
} watch;

struct gcp_ctx {
	CURLM *multi;
	gcp_opts opts;
	char *user_agent;
	char *ca_file;
	gcp_auth *auth;
	xfer *xfers;
	timer *timers;
	struct { curl_socket_t fd; int what; } *socks;
	size_t nsocks, capsocks;
	watch *watches;
	size_t nwatches, capwatches;
	int64_t curl_deadline;     /* -1: none */
	long connects;
};

/* Moves finished transfers out of libcurl's message queue. */
void gcp__collect_completions(gcp_ctx *ctx);
/* One step for the first request that needs one (finish, retry, start); false if none. */
bool gcp__step_one(gcp_ctx *ctx, int64_t now);
/* Fires the first due helper timer; false if none is due. */
bool gcp__fire_one_timer(gcp_ctx *ctx, int64_t now);

#endif
