#include "gcp/rq.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"

gcp_rq *gcp_rq_new(const gcp_endpoints *ep, enum gcp_api api, const char *region,
		   const char *method, const char *id, const char *path)
{
	gcp_rq *rq = st_xcalloc(1, sizeof *rq);
	rq->method = st_xstrdup(method);
	rq->url = gcp_url(ep, api, region, path);
	rq->id = id;
	return rq;
}

void gcp_rq_query(gcp_rq *rq, const char *name, const char *value)
{
	if (!value)
		return;
	char *v = st_url_escape(value);
	char *u = st_xasprintf("%s%c%s=%s", rq->url, strchr(rq->url, '?') ? '&' : '?', name, v);
	free(v);
	free(rq->url);
	rq->url = u;
}

void gcp_rq_query_int(gcp_rq *rq, const char *name, long long value)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", value);
	gcp_rq_query(rq, name, buf);
}

void gcp_rq_body(gcp_rq *rq, json_t *body)
{
	json_decref(rq->body);
	rq->body = body;
}

void gcp_rq_request_id(gcp_rq *rq)
{
	char id[37];
	st_uuid4(id);
	gcp_rq_query(rq, "requestId", id);
}

void gcp_rq_free(gcp_rq *rq)
{
	if (!rq)
		return;
	free(rq->method);
	free(rq->url);
	json_decref(rq->body);
	free(rq->raw);
	free(rq->ctype);
	free(rq);
}

int gcp_rq_send(gcp_ctx *ctx, gcp_rq *rq, void *owner, gcp_done_fn done, void *user, gcp_error *err)
{
	gcp_req r;
	if (!rq) {
		if (err)
			gcp_error_set(err, 0, 3, NULL, "request not built: invalid arguments");
		return -1;
	}
	memset(&r, 0, sizeof r);
	r.method = rq->method;
	r.url = rq->url;
	r.flags = rq->flags;
	r.owner = owner;
	r.progress = rq->progress;
	r.progress_user = rq->progress_user;
	char *json = NULL;
	if (rq->raw) {
		r.body = rq->raw;
		r.body_len = rq->raw_len;
		r.content_type = rq->ctype;
	} else if (rq->body) {
		json = stj_dump(rq->body);
		r.body = json;
	}
	/* An empty raw body still needs its length; gcp_send reads 0 as strlen. */
	int rc = gcp_send(ctx, &r, done, user, err);
	free(json);
	gcp_rq_free(rq);
	return rc;
}

char *gcp_seg(const char *s)
{
	return st_url_escape(s ? s : "");
}

char *gcp_pathf(const char *fmt, ...)
{
	st_buf b;
	va_list ap;
	st_buf_init(&b);
	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			char *e = gcp_seg(va_arg(ap, const char *));
			st_buf_puts(&b, e);
			free(e);
			p++;
		} else {
			st_buf_append(&b, p, 1);
		}
	}
	va_end(ap);
	return b.p ? st_buf_steal(&b) : st_xstrdup("");
}

char *gcp_name_part(const char *s, const char *kind)
{
	char *marker = st_xasprintf("/%s/", kind);
	const char *p = s ? strstr(s, marker) : NULL;
	size_t skip = strlen(marker);
	free(marker);
	if (!p)
		return NULL;
	p += skip;
	size_t n = strcspn(p, "/?:");
	return n ? st_xstrndup(p, n) : NULL;
}

json_t *gcp_json_strings(const char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

char *gcp_name_path(const char *prefix, const char *name, const char *suffix)
{
	if (!name || !*name)
		return NULL;
	st_buf b;
	st_buf_init(&b);
	st_buf_puts(&b, prefix);
	const char *p = name;
	for (;;) {
		size_t n = strcspn(p, "/");
		char *seg = st_xstrndup(p, n);
		bool bad = n == 0 || strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0;
		char *e = bad ? NULL : gcp_seg(seg);
		free(seg);
		if (bad) {
			st_buf_free(&b);
			return NULL;
		}
		st_buf_puts(&b, e);
		free(e);
		if (!p[n])
			break;
		st_buf_puts(&b, "/");
		p += n + 1;
	}
	st_buf_puts(&b, suffix ? suffix : "");
	return st_buf_steal(&b);
}
