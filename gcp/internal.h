/* Private glue between the gcp/ files; not for callers outside gcp/. */
#ifndef GCP_INTERNAL_H
#define GCP_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "gcp/gcp.h"

/* error.c */
const char *gcp_rpc_name(int code);
int gcp_rpc_code(const char *name);
int gcp_rpc_from_http(long http);
void gcp_error_from_response(gcp_error *e, long http, const json_t *json, const char *body,
			     size_t len, const char *ctype);
json_t *gcp_error_to_json(const gcp_error *e);

/* retry.c */
bool gcp_retryable_http(long http);
int64_t gcp_retry_after_ms(const char *value, int64_t now_wall_ms);
int64_t gcp_backoff_ms(int attempt, int64_t base, int64_t cap);
/* loop.c: the same full-jitter pause with the context's base and cap, for helpers
 * that wait between their own steps (upload resumes). */
int64_t gcp__backoff_for(const gcp_ctx *ctx, int attempt);

/* engine.c: timers and extra descriptors for helpers (auth child, LRO pauses).
 * A timer's callback runs once: when it fires, or with cancelled set when its owner
 * is cancelled or the context is freed. */
typedef void (*gcp_timer_fn)(gcp_ctx *ctx, void *user, bool cancelled);
void gcp__timer_add(gcp_ctx *ctx, int64_t delay_ms, void *owner, gcp_timer_fn fn, void *user);
typedef void (*gcp_fd_fn)(gcp_ctx *ctx, int fd, short revents, void *user);
void gcp__watch_fd(gcp_ctx *ctx, int fd, gcp_fd_fn fn, void *user);
void gcp__unwatch_fd(gcp_ctx *ctx, int fd);
/* An empty answer marked cancelled, for helpers whose owner went away while they
 * waited on a timer. */
void gcp__resp_cancelled(gcp_resp *r);
/* auth.c tells the engine a token fetch ended (token or failure). */
void gcp__auth_settled(gcp_ctx *ctx);

/* auth.c, as the engine sees it */
const char *gcp__auth_token(gcp_auth *a);       /* usable token or NULL */
bool gcp__auth_busy(const gcp_auth *a);           /* a fetch is running */
void gcp__auth_start(gcp_auth *a, gcp_ctx *ctx);  /* fetch unless one is running; afterwards
						    * the auth is busy, holds a token, or a failure */
void gcp__auth_touch(gcp_auth *a, gcp_ctx *ctx);  /* refresh in the background when stale */
void gcp__auth_invalidate(gcp_auth *a, const char *token);
const gcp_error *gcp__auth_failure(const gcp_auth *a);
const char *gcp__auth_quota_project(const gcp_auth *a);
void gcp__auth_free(gcp_auth *a);


#endif
