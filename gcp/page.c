/* Pagination: one request per page, arrays (and aggregatedList maps) merged, until
 * no nextPageToken. */
#include "gcp/lro.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"

typedef struct pager {
	gcp_ctx *ctx;
	gcp_rq tmpl;       /* method, url without pageToken, body, flags */
	void *owner;
	gcp_done_fn done;
	void *user;
	json_t *merged;
	char *last_token;
	int pages, max_pages;
} pager;

static void pager_free(pager *p)
{
	free(p->tmpl.method);
	free(p->tmpl.url);
	json_decref(p->tmpl.body);
	json_decref(p->merged);
	free(p->last_token);
	free(p);
}

/* Removes any pageToken=... from a URL's query. */
static char *strip_token(const char *url)
{
	const char *q = strchr(url, '?');
	if (!q)
		return st_xstrdup(url);
	st_buf b;
	st_buf_init(&b);
	st_buf_append(&b, url, (size_t)(q - url));
	char sep = '?';
	for (const char *p = q + 1; *p;) {
		size_t n = strcspn(p, "&");
		if (!(n >= 10 && strncmp(p, "pageToken=", 10) == 0)) {
			st_buf_append(&b, &sep, 1);
			st_buf_append(&b, p, n);
			sep = '&';
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return st_buf_steal(&b);
}

/* A scope's NO_RESULTS_ON_PAGE warning speaks of one page only: it has no place in
 * the merged scope once another page brought that scope a list. */
static bool scope_has_list(const json_t *scope)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)scope, k, v) {
		if (json_is_array(v) && json_array_size(v) > 0)
			return true;
	}
	return false;
}

static bool is_empty_page_warning(const json_t *w)
{
	const char *code = stj_str(w, "code");
	return code && strcmp(code, "NO_RESULTS_ON_PAGE") == 0;
}

/* Depth of a merge: a page, compute's aggregatedList "items" map (keyed by scope,
 * "zones/us-central1-a"), or one scope in it ({"instances": [...], "warning": ...}). */
enum { AT_PAGE, AT_SCOPES, AT_SCOPE };

/* Joins from into into: lists grow, the items map of an aggregatedList and a scope met
 * on two pages are merged, anything else takes the later value. Copies, never
 * references: the page is borrowed, and a later page may merge into what it brought. */
static void merge_at(json_t *into, const json_t *from, int depth)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)from, k, v) {
		json_t *have = json_object_get(into, k);
		bool nested = depth == AT_SCOPES || (depth == AT_PAGE && strcmp(k, "items") == 0);
		if (depth == AT_PAGE && strcmp(k, "nextPageToken") == 0)
			continue;
		if (json_is_array(v) && json_is_array(have))
			json_array_extend(have, v);
		else if (nested && json_is_object(v) && json_is_object(have))
			merge_at(have, v, depth + 1);
		else if (depth == AT_SCOPE && strcmp(k, "warning") == 0 && is_empty_page_warning(v) &&
			 scope_has_list(into))
			continue;
		else
			json_object_set_new(into, k, json_deep_copy(v));
	}
	if (depth == AT_SCOPE && scope_has_list(into) && is_empty_page_warning(json_object_get(into, "warning")))
		json_object_del(into, "warning");
}

static void finish(pager *p, const gcp_resp *r, bool ok)
{
	gcp_resp out = *r;
	if (ok) {
		out.json = p->merged;
		out.ok = true;
	}
	if (p->done)
		p->done(p->ctx, &out, p->user);
	pager_free(p);
}

static int send_page(pager *p, const char *token, gcp_error *e);

static void on_page(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	pager *p = user;
	(void)ctx;
	if (!r->ok || r->cancelled) {
		finish(p, r, false);
		return;
	}
	if (!json_is_object(r->json)) {
		gcp_resp bad = *r;
		bad.ok = false;
		gcp_error_set(&bad.err, (int)r->http, 13, NULL, "list page %d is not a JSON object", p->pages);
		finish(p, &bad, false);
		return;
	}
	merge_at(p->merged, r->json, AT_PAGE);
	const char *tok = stj_str(r->json, "nextPageToken");
	if (!tok || !*tok) {
		finish(p, r, true);
		return;
	}
	gcp_resp bad = *r;
	bad.ok = false;
	if (p->last_token && strcmp(tok, p->last_token) == 0) {
		gcp_error_set(&bad.err, (int)r->http, 13, NULL, "server repeated page token after page %d", p->pages);
		finish(p, &bad, false);
		return;
	}
	if (p->pages >= p->max_pages) {
		gcp_error_set(&bad.err, (int)r->http, 11, NULL, "more than %d pages; stopping", p->max_pages);
		finish(p, &bad, false);
		return;
	}
	free(p->last_token);
	p->last_token = st_xstrdup(tok);
	if (send_page(p, tok, &bad.err) != 0)
		finish(p, &bad, false);
}

static int send_page(pager *p, const char *token, gcp_error *e)
{
	gcp_rq *rq = st_xcalloc(1, sizeof *rq);
	rq->method = st_xstrdup(p->tmpl.method);
	rq->url = st_xstrdup(p->tmpl.url);
	rq->flags = p->tmpl.flags;
	rq->id = p->tmpl.id;
	if (p->tmpl.body) {
		json_t *b = json_deep_copy(p->tmpl.body);
		if (token)
			json_object_set_new(b, "pageToken", json_string(token));
		rq->body = b;
	} else if (token) {
		gcp_rq_query(rq, "pageToken", token);
	}
	p->pages++;
	return gcp_rq_send(p->ctx, rq, p->owner, on_page, p, e);
}

int gcp_page_all(gcp_ctx *ctx, gcp_rq *rq, int max_pages, void *owner, gcp_done_fn done, void *user, gcp_error *err)
{
	gcp_error tmp;
	gcp_error *e = err ? err : &tmp;
	if (!rq) {
		gcp_error_set(e, 0, 3, NULL, "request not built: invalid arguments");
		return -1;
	}
	pager *p = st_xcalloc(1, sizeof *p);
	p->ctx = ctx;
	p->tmpl.method = st_xstrdup(rq->method);
	p->tmpl.url = strip_token(rq->url);
	p->tmpl.flags = rq->flags;
	p->tmpl.id = rq->id;
	if (rq->body) {
		p->tmpl.body = json_deep_copy(rq->body);
		json_object_del(p->tmpl.body, "pageToken");
	}
	p->owner = owner;
	p->done = done;
	p->user = user;
	p->max_pages = max_pages > 0 ? max_pages : 1000;
	p->merged = json_object();
	gcp_rq_free(rq);
	if (send_page(p, NULL, e) != 0) {
		pager_free(p);
		return -1;
	}
	return 0;
}
