#include "gcp/lro.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "gcp/compute.h"
#include "gcp/internal.h"

/* The longest one operations.wait call may be held by the server. */
#define CE_WAIT_MAX_S 60

typedef struct lro {
	gcp_ctx *ctx;
	const gcp_endpoints *ep; /* borrowed: outlives every request by contract */
	enum gcp_api api;
	char *project, *zone, *name;
	void *owner;
	gcp_lro_progress_fn progress;
	gcp_done_fn done;
	void *user;
	int64_t interval, sent_at;
	int64_t started, deadline; /* monotonic ms */
} lro;

static void lro_free(lro *l)
{
	free(l->project);
	free(l->zone);
	free(l->name);
	free(l);
}

static void lro_end(lro *l, const gcp_resp *r)
{
	if (l->done)
		l->done(l->ctx, r, l->user);
	lro_free(l);
}

static void lro_fail(lro *l, const gcp_error *e, json_t *op)
{
	gcp_resp r;
	memset(&r, 0, sizeof r);
	r.err = *e;
	r.json = op;
	r.body = "";
	r.headers = "";
	lro_end(l, &r);
}

/* Past the caller's deadline: say so, and hand back the Operation as last seen so
 * that the caller can start waiting on it again later. */
static bool lro_out_of_time(lro *l, const gcp_resp *r, json_t *op, const char *status)
{
	int64_t now = st_mono_ms();
	if (now < l->deadline)
		return false;
	gcp_resp out = *r;
	out.ok = false;
	out.json = op;
	gcp_error_set(&out.err, 0, 4, NULL, "operation %s still %s after %lld s", l->name, status,
		      (long long)((now - l->started + 500) / 1000));
	st_sanitize_text(out.err.where, sizeof out.err.where, l->name);
	lro_end(l, &out);
	return true;
}

/* Time left before the deadline, for pacing the next poll. */
static int64_t lro_left(const lro *l)
{
	int64_t left = l->deadline - st_mono_ms();
	return left < 0 ? 0 : left;
}

/* What both kinds of wait start from; timeout_ms 0 is the default deadline. */
static lro *lro_new(gcp_ctx *ctx, const gcp_endpoints *ep, const char *name, int64_t timeout_ms, void *owner,
		    gcp_lro_progress_fn progress, gcp_done_fn done, void *user)
{
	lro *l = st_xcalloc(1, sizeof *l);
	l->ctx = ctx;
	l->ep = ep;
	l->name = st_xstrdup(name);
	l->owner = owner;
	l->progress = progress;
	l->done = done;
	l->user = user;
	l->started = st_mono_ms();
	l->deadline = l->started + (timeout_ms > 0 ? timeout_ms : GCP_LRO_DEFAULT_TIMEOUT_MS);
	return l;
}

/* The operation's name, or NULL with e set: what cannot be named cannot be polled. */
static const char *op_name(const json_t *op, const char *what, gcp_error *e)
{
	const char *name = stj_str(op, "name");
	if (!name || !*name) {
		gcp_error_set(e, 0, 3, NULL, "%s without a name", what);
		return NULL;
	}
	return name;
}

void gcp_error_from_status(gcp_error *e, const json_t *st, const char *where)
{
	int64_t code = 2;
	stj_int64(st, "code", &code);
	if (code < 0 || code > 16)
		code = 2;
	gcp_error_set(e, 0, (int)code, NULL, "%s", stj_str(st, "message") ? stj_str(st, "message") : "operation failed");
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(st, "details"), i, d)
		if (stj_str(d, "reason"))
			st_sanitize_text(e->reason, sizeof e->reason, stj_str(d, "reason"));
	st_sanitize_text(e->where, sizeof e->where, where ? where : "");
}

/* ------------------------------------------------------------------ compute */

static void ce_poll(lro *l);

static void ce_timer(gcp_ctx *ctx, void *user, bool cancelled)
{
	lro *l = user;
	(void)ctx;
	if (cancelled) {
		gcp_resp r;
		gcp__resp_cancelled(&r);
		lro_end(l, &r);
		return;
	}
	ce_poll(l);
}

static void ce_step(lro *l, const gcp_resp *r, json_t *op)
{
	gcp_ce_op o;
	char err[200];
	gcp_error e;
	if (gcp_ce_op_parse(op, &o, err, sizeof err) != 0) {
		gcp_error_set(&e, (int)r->http, 13, NULL, "%s", err);
		lro_fail(l, &e, op);
		return;
	}
	if (l->progress)
		l->progress(l->user, op);
	if (strcmp(o.status, "DONE") == 0) {
		gcp_resp out = *r;
		out.json = op;
		out.ok = !o.failed;
		if (o.failed)
			out.err = o.err;
		lro_end(l, &out);
		return;
	}
	if (lro_out_of_time(l, r, op, o.status[0] ? o.status : "RUNNING"))
		return;
	/* wait normally blocks server-side; if it came back at once, do not spin. */
	int64_t took = st_mono_ms() - l->sent_at;
	int64_t pause = took < 200 ? 500 : 0;
	gcp__timer_add(l->ctx, pause < lro_left(l) ? pause : lro_left(l), l->owner, ce_timer, l);
}

/* Ends the wait unless r carries an Operation object; a 2xx without one is an
 * INTERNAL error ("operation VERB returned no Operation"). */
static bool lro_got_operation(lro *l, const gcp_resp *r, const char *verb)
{
	if (r->ok && !r->cancelled && json_is_object(r->json))
		return true;
	gcp_resp out = *r;
	if (r->ok && !r->cancelled) {
		out.ok = false;
		gcp_error_set(&out.err, (int)r->http, 13, NULL, "operation %s returned no Operation", verb);
	}
	lro_end(l, &out);
	return false;
}

static void ce_done(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	lro *l = user;
	(void)ctx;
	if (lro_got_operation(l, r, "wait"))
		ce_step(l, r, r->json);
}

/* operations.wait holds the call server-side; X-Server-Timeout keeps that hold
 * inside what is left of our deadline (and under a minute, so that progress is
 * reported now and then), and the request's own deadline leaves room for it. */
static void ce_poll(lro *l)
{
	gcp_error e;
	l->sent_at = st_mono_ms();
	int64_t secs = (lro_left(l) + 999) / 1000;
	if (secs < 1)
		secs = 1;
	if (secs > CE_WAIT_MAX_S)
		secs = CE_WAIT_MAX_S;
	gcp_rq *rq = gcp_ce_operation_wait(l->ep, l->project, l->zone, l->name);
	if (!rq) {
		gcp_error_set(&e, 0, 3, NULL, "operation %s: wait request not built", l->name);
		lro_fail(l, &e, NULL);
		return;
	}
	char hdr[48];
	snprintf(hdr, sizeof hdr, "X-Server-Timeout: %lld", (long long)secs);
	const char *hdrs[] = { hdr, NULL };
	char *body = rq->body ? stj_dump(rq->body) : NULL;
	gcp_req q;
	memset(&q, 0, sizeof q);
	q.method = rq->method;
	q.url = rq->url;
	q.body = body;
	q.flags = rq->flags;
	q.headers = hdrs;
	q.owner = l->owner;
	q.deadline_ms = secs * 1000 + 30000;
	int rc = gcp_send(l->ctx, &q, ce_done, l, &e);
	free(body);
	gcp_rq_free(rq);
	if (rc != 0)
		lro_fail(l, &e, NULL);
}

static char *last_seg(const char *url)
{
	const char *s = strrchr(url, '/');
	return st_xstrdup(s ? s + 1 : url);
}

int gcp_lro_compute(gcp_ctx *ctx, const gcp_endpoints *ep, const char *project, const json_t *op, void *owner,
		    gcp_lro_progress_fn progress, gcp_done_fn done, void *user, gcp_error *err)
{
	return gcp_lro_compute_for(ctx, ep, project, op, 0, owner, progress, done, user, err);
}

int gcp_lro_compute_for(gcp_ctx *ctx, const gcp_endpoints *ep, const char *project, const json_t *op,
			int64_t timeout_ms, void *owner, gcp_lro_progress_fn progress, gcp_done_fn done, void *user,
			gcp_error *err)
{
	gcp_error tmp;
	gcp_error *e = err ? err : &tmp;
	const char *name = op_name(op, "compute Operation", e);
	if (!name)
		return -1;
	if (stj_str(op, "region") && !stj_str(op, "zone")) {
		gcp_error_set(e, 0, 12, NULL, "regional compute operations are not handled (%.100s)", name);
		return -1;
	}
	lro *l = lro_new(ctx, ep, name, timeout_ms, owner, progress, done, user);
	l->project = st_xstrdup(project);
	l->zone = stj_str(op, "zone") ? last_seg(stj_str(op, "zone")) : NULL;
	/* Start on the loop even when op is already DONE: callbacks never run inside the call. */
	gcp__timer_add(ctx, 0, owner, ce_timer, l);
	return 0;
}

/* ------------------------------------------------------------------ google.longrunning */

static void g_poll(lro *l);

static void g_timer(gcp_ctx *ctx, void *user, bool cancelled)
{
	if (cancelled)
		ce_timer(ctx, user, true);
	else
		g_poll(user);
}

static void g_step(lro *l, const gcp_resp *r, json_t *op)
{
	if (l->progress)
		l->progress(l->user, op);
	if (!stj_bool(op, "done", false)) {
		if (lro_out_of_time(l, r, op, "RUNNING"))
			return;
		gcp__timer_add(l->ctx, l->interval < lro_left(l) ? l->interval : lro_left(l), l->owner, g_timer, l);
		l->interval = l->interval * 2 > 5000 ? 5000 : l->interval * 2;
		return;
	}
	gcp_resp out = *r;
	out.json = op;
	out.ok = true;
	json_t *st = json_object_get(op, "error");
	if (json_is_object(st)) {
		out.ok = false;
		gcp_error_from_status(&out.err, st, l->name);
	}
	lro_end(l, &out);
}

static void g_done(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	lro *l = user;
	(void)ctx;
	if (lro_got_operation(l, r, "poll"))
		g_step(l, r, r->json);
}

/* GET on the operation's name, at the regional host when the name has a location. */
static gcp_rq *g_request(const gcp_endpoints *ep, enum gcp_api api, const char *name)
{
	char *region = gcp_name_part(name, "locations");
	char *path = gcp_name_path(api == GCP_API_MONITORING ? "/v3/" : "/v1/", name, NULL);
	gcp_rq *rq = path ? gcp_rq_new(ep, api, region, "GET", NULL, path) : NULL;
	free(path);
	free(region);
	return rq;
}

char *gcp_lro_google_url(const gcp_endpoints *ep, enum gcp_api api, const char *name)
{
	gcp_rq *rq = g_request(ep, api, name);
	char *url = rq ? st_xstrdup(rq->url) : NULL;
	gcp_rq_free(rq);
	return url;
}

static void g_poll(lro *l)
{
	gcp_error e;
	if (gcp_rq_send(l->ctx, g_request(l->ep, l->api, l->name), l->owner, g_done, l, &e) != 0)
		lro_fail(l, &e, NULL);
}

static void g_first(gcp_ctx *ctx, void *user, bool cancelled)
{
	lro *l = user;
	if (cancelled) {
		ce_timer(ctx, user, true);
		return;
	}
	g_poll(l);
}

int gcp_lro_google(gcp_ctx *ctx, const gcp_endpoints *ep, enum gcp_api api, const json_t *op, void *owner,
		   gcp_lro_progress_fn progress, gcp_done_fn done, void *user, gcp_error *err)
{
	return gcp_lro_google_for(ctx, ep, api, op, 0, owner, progress, done, user, err);
}

int gcp_lro_google_for(gcp_ctx *ctx, const gcp_endpoints *ep, enum gcp_api api, const json_t *op,
		       int64_t timeout_ms, void *owner, gcp_lro_progress_fn progress, gcp_done_fn done, void *user,
		       gcp_error *err)
{
	gcp_error tmp;
	gcp_error *e = err ? err : &tmp;
	const char *name = op_name(op, "long-running operation", e);
	if (!name)
		return -1;
	lro *l = lro_new(ctx, ep, name, timeout_ms, owner, progress, done, user);
	l->api = api;
	l->interval = 500;
	gcp__timer_add(ctx, 0, owner, g_first, l);
	return 0;
}
