#include "gcp/lro.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "gcp/compute.h"
#include "gcp/internal.h"

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
		memset(&r, 0, sizeof r);
		r.cancelled = true;
		r.body = "";
		r.headers = "";
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
	/* wait normally blocks server-side; if it came back at once, do not spin. */
	int64_t took = st_mono_ms() - l->sent_at;
	gcp__timer_add(l->ctx, took < 200 ? 500 : 0, l->owner, ce_timer, l);
}

static void ce_done(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	lro *l = user;
	(void)ctx;
	if (!r->ok || r->cancelled || !json_is_object(r->json)) {
		gcp_resp out = *r;
		if (r->ok && !r->cancelled) {
			out.ok = false;
			gcp_error_set(&out.err, (int)r->http, 13, NULL, "operation wait returned no Operation");
		}
		lro_end(l, &out);
		return;
	}
	ce_step(l, r, r->json);
}

static void ce_poll(lro *l)
{
	gcp_error e;
	l->sent_at = st_mono_ms();
	gcp_rq *rq = gcp_ce_operation_wait(l->ep, l->project, l->zone, l->name);
	if (gcp_rq_send(l->ctx, rq, l->owner, ce_done, l, &e) != 0)
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
	gcp_error tmp;
	gcp_error *e = err ? err : &tmp;
	const char *name = stj_str(op, "name");
	if (!name || !*name) {
		gcp_error_set(e, 0, 3, NULL, "compute Operation without a name");
		return -1;
	}
	if (stj_str(op, "region") && !stj_str(op, "zone")) {
		gcp_error_set(e, 0, 12, NULL, "regional compute operations are not handled (%.100s)", name);
		return -1;
	}
	lro *l = st_xcalloc(1, sizeof *l);
	l->ctx = ctx;
	l->ep = ep;
	l->project = st_xstrdup(project);
	l->zone = stj_str(op, "zone") ? last_seg(stj_str(op, "zone")) : NULL;
	l->name = st_xstrdup(name);
	l->owner = owner;
	l->progress = progress;
	l->done = done;
	l->user = user;
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
		gcp__timer_add(l->ctx, l->interval, l->owner, g_timer, l);
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
	if (!r->ok || r->cancelled || !json_is_object(r->json)) {
		gcp_resp out = *r;
		if (r->ok && !r->cancelled) {
			out.ok = false;
			gcp_error_set(&out.err, (int)r->http, 13, NULL, "operation poll returned no Operation");
		}
		lro_end(l, &out);
		return;
	}
	g_step(l, r, r->json);
}

static void g_poll(lro *l)
{
	gcp_error e;
	char *region = NULL;
	const char *loc = strstr(l->name, "/locations/");
	if (loc) {
		loc += strlen("/locations/");
		region = st_xstrndup(loc, strcspn(loc, "/"));
	}
	char *path = gcp_name_path(l->api == GCP_API_MONITORING ? "/v3/" : "/v1/", l->name, NULL);
	gcp_rq *rq = path ? gcp_rq_new(l->ep, l->api, region, "GET", NULL, path) : NULL;
	free(path);
	free(region);
	if (gcp_rq_send(l->ctx, rq, l->owner, g_done, l, &e) != 0)
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
	gcp_error tmp;
	gcp_error *e = err ? err : &tmp;
	const char *name = stj_str(op, "name");
	if (!name || !*name) {
		gcp_error_set(e, 0, 3, NULL, "long-running operation without a name");
		return -1;
	}
	lro *l = st_xcalloc(1, sizeof *l);
	l->ctx = ctx;
	l->ep = ep;
	l->api = api;
	l->name = st_xstrdup(name);
	l->owner = owner;
	l->progress = progress;
	l->done = done;
	l->user = user;
	l->interval = 500;
	gcp__timer_add(ctx, 0, owner, g_first, l);
	return 0;
}
