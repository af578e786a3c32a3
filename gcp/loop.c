/* The poll() glue: which descriptors and deadline the caller's loop should wait on,
 * what to do when they fire, a tiny loop for the CLI and tests, and the timers and
 * extra descriptors helpers (LRO pauses, the gcloud child) hang on the loop. */
#include "gcp/gcp.h"

#include <errno.h>
#include <stdlib.h>

#include "common/timeutil.h"
#include "gcp/engine_priv.h"

/* ------------------------------------------------------------------ the loop */

size_t gcp_pollfds(gcp_ctx *ctx, struct pollfd *pfds, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ctx->nsocks && n < max; i++, n++) {
		pfds[n].fd = ctx->socks[i].fd;
		pfds[n].events = 0;
		pfds[n].revents = 0;
		if (ctx->socks[i].what & CURL_POLL_IN)
			pfds[n].events |= POLLIN;
		if (ctx->socks[i].what & CURL_POLL_OUT)
			pfds[n].events |= POLLOUT;
	}
	for (size_t i = 0; i < ctx->nwatches && n < max; i++, n++) {
		pfds[n].fd = ctx->watches[i].fd;
		pfds[n].events = ctx->watches[i].events;
		pfds[n].revents = 0;
	}
	return n;
}

static bool has_ready_xfer(const gcp_ctx *ctx, int64_t now, int64_t *soonest)
{
	for (const xfer *x = ctx->xfers; x; x = x->next) {
		if (x->state == XS_FINISHED || x->state == XS_START)
			return true;
		if (x->state == XS_AUTH_WAIT && !gcp__auth_busy(ctx->auth))
			return true;
		if (x->state == XS_RETRY_WAIT && (*soonest < 0 || x->retry_at < *soonest))
			*soonest = x->retry_at;
		if (x->state == XS_FLIGHT && (*soonest < 0 || x->deadline + 2000 < *soonest))
			*soonest = x->deadline + 2000;
	}
	(void)now;
	return false;
}

int gcp_timeout_ms(gcp_ctx *ctx)
{
	int64_t now = st_mono_ms();
	int64_t soonest = ctx->curl_deadline;
	if (has_ready_xfer(ctx, now, &soonest))
		return 0;
	for (const timer *t = ctx->timers; t; t = t->next)
		if (soonest < 0 || t->at < soonest)
			soonest = t->at;
	if (soonest < 0)
		return -1;
	int64_t d = soonest - now;
	if (d <= 0)
		return 0;
	return d > 60000 ? 60000 : (int)d;
}

static bool is_curl_socket(const gcp_ctx *ctx, int fd)
{
	for (size_t i = 0; i < ctx->nsocks; i++)
		if (ctx->socks[i].fd == fd)
			return true;
	return false;
}

static watch *find_watch(gcp_ctx *ctx, int fd)
{
	for (size_t i = 0; i < ctx->nwatches; i++)
		if (ctx->watches[i].fd == fd)
			return &ctx->watches[i];
	return NULL;
}

void gcp_dispatch(gcp_ctx *ctx, const struct pollfd *pfds, size_t n)
{
	int running;
	for (size_t i = 0; i < n; i++) {
		if (!pfds[i].revents)
			continue;
		if (is_curl_socket(ctx, pfds[i].fd)) {
			int mask = 0;
			if (pfds[i].revents & POLLIN)
				mask |= CURL_CSELECT_IN;
			if (pfds[i].revents & POLLOUT)
				mask |= CURL_CSELECT_OUT;
			if (pfds[i].revents & (POLLERR | POLLHUP | POLLNVAL))
				mask |= CURL_CSELECT_ERR;
			curl_multi_socket_action(ctx->multi, pfds[i].fd, mask, &running);
			continue;
		}
		watch *w = find_watch(ctx, pfds[i].fd);
		if (w)
			w->fn(ctx, w->fd, pfds[i].revents, w->user);
	}
	if (ctx->curl_deadline >= 0 && st_mono_ms() >= ctx->curl_deadline) {
		ctx->curl_deadline = -1;
		curl_multi_socket_action(ctx->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	gcp__collect_completions(ctx);
	int64_t now = st_mono_ms();
	while (gcp__fire_one_timer(ctx, now) || gcp__step_one(ctx, now))
		gcp__collect_completions(ctx);
}

int gcp_loop_run_until(gcp_ctx *ctx, const volatile bool *done, int64_t max_ms)
{
	int64_t end = max_ms > 0 ? st_mono_ms() + max_ms : -1;
	struct pollfd pfds[256];
	while (!(done && *done) && gcp_pending(ctx) > 0) {
		size_t n = gcp_pollfds(ctx, pfds, sizeof pfds / sizeof pfds[0]);
		int t = gcp_timeout_ms(ctx);
		if (end >= 0) {
			int64_t left = end - st_mono_ms();
			if (left <= 0)
				return -1;
			if (t < 0 || t > left)
				t = (int)left;
		}
		if (t < 0)
			t = 1000;
		if (poll(pfds, n, t) < 0 && errno != EINTR)
			return -1;
		gcp_dispatch(ctx, pfds, n);
	}
	return 0;
}

/* ------------------------------------------------------------------ helpers' timers and fds */

void gcp__timer_add(gcp_ctx *ctx, int64_t delay_ms, void *owner, gcp_timer_fn fn, void *user)
{
	timer *t = st_xcalloc(1, sizeof *t);
	t->at = st_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->owner = owner;
	t->fn = fn;
	t->user = user;
	timer **pp = &ctx->timers;
	while (*pp)
		pp = &(*pp)->next;
	*pp = t;
}

void gcp__watch_fd(gcp_ctx *ctx, int fd, gcp_fd_fn fn, void *user)
{
	if (ctx->nwatches == ctx->capwatches) {
		ctx->capwatches = ctx->capwatches ? ctx->capwatches * 2 : 4;
		ctx->watches = st_xrealloc(ctx->watches, ctx->capwatches * sizeof *ctx->watches);
	}
	ctx->watches[ctx->nwatches].fd = fd;
	ctx->watches[ctx->nwatches].events = POLLIN;
	ctx->watches[ctx->nwatches].fn = fn;
	ctx->watches[ctx->nwatches].user = user;
	ctx->nwatches++;
}

void gcp__unwatch_fd(gcp_ctx *ctx, int fd)
{
	for (size_t i = 0; i < ctx->nwatches; i++)
		if (ctx->watches[i].fd == fd) {
			ctx->watches[i] = ctx->watches[--ctx->nwatches];
			return;
		}
}

int64_t gcp__backoff_for(const gcp_ctx *ctx, int attempt)
{
	return gcp_backoff_ms(attempt, ctx->opts.backoff_base_ms, ctx->opts.backoff_cap_ms);
}
