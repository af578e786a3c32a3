/* Compute list methods: filter, orderBy, maxResults and pageToken over one
 * collection, plus the zone and global operations lists.
 *
 * The whole collection is read, filtered and sorted per call (sandbox-sized data),
 * and a page token names the sort key of the last item returned rather than an
 * offset, so that a page stays right when items come or go between calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "sandbox/compute.h"
#include "sandbox/compute_filter.h"

#define CO_TS_DESC "creationTimestamp desc"

typedef struct item {
	json_t *doc;       /* public form */
	const char *name;
	const char *ts;    /* creationTimestamp (operations: insertTime) */
} item;

typedef struct list_req {
	size_t limit;
	bool by_ts;        /* orderBy=creationTimestamp desc */
	char *after;       /* decoded page token, "" for the first page */
	cf_expr *filter;
} list_req;

static bool parse_max_results(sb_call *c, size_t *limit)
{
	const char *m = sb_query(c, "maxResults");
	char *end;

	*limit = 500;
	if (!m)
		return true;
	long v = strtol(m, &end, 10);
	if (!*m || *end || v < 0 || v > 500) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Invalid value for field 'maxResults': '%.32s'. Must be between 0 "
			       "and 500.", m);
		return false;
	}
	*limit = v == 0 ? 500 : (size_t)v;
	return true;
}

static bool parse_order_by(sb_call *c, bool *by_ts)
{
	const char *o = sb_query(c, "orderBy");

	*by_ts = false;
	if (!o || strcmp(o, "name") == 0 || strcmp(o, "name asc") == 0)
		return true;
	if (strcmp(o, CO_TS_DESC) == 0) {
		*by_ts = true;
		return true;
	}
	sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
		       "Invalid value for field 'orderBy': '%.64s'. Only 'name' and '" CO_TS_DESC
		       "' are supported.", o);
	return false;
}

static bool parse_filter(sb_call *c, cf_expr **out)
{
	const char *f = sb_query(c, "filter");
	char err[160];

	*out = NULL;
	if (!f)
		return true;
	*out = cf_parse(f, err, sizeof err);
	if (*out || !err[0])
		return true;
	sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
		       "Invalid value for field 'filter': '%.100s'. Invalid list filter "
		       "expression: %s.", f, err);
	return false;
}

static void req_free(list_req *r)
{
	free(r->after);
	cf_free(r->filter);
}

/* Reads the list parameters; on a bad one it has answered 400 and returns false. */
static bool parse_req(sb_call *c, list_req *r)
{
	const char *tok = sb_query(c, "pageToken");

	memset(r, 0, sizeof *r);
	if (!parse_max_results(c, &r->limit) || !parse_order_by(c, &r->by_ts) ||
	    !parse_filter(c, &r->filter))
		return false;
	r->after = tok && *tok ? sb_page_token_decode(tok) : st_xstrdup("");
	/* a token from the other order (see sort_key) is refused, not misread */
	if (r->after && *r->after && (strchr(r->after, ' ') != NULL) != r->by_ts) {
		free(r->after);
		r->after = NULL;
	}
	if (!r->after) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Invalid value for field 'pageToken': '%.64s'.", tok);
		return false;
	}
	return true;
}

/* Newest first, then by name so that equal timestamps still have one order. */
static int cmp_ts_desc(const void *pa, const void *pb)
{
	const item *a = pa, *b = pb;
	int d = strcmp(b->ts, a->ts);
	return d ? d : strcmp(a->name, b->name);
}

/* The page token's text: the name, or "TS NAME" for the timestamp order (neither a
 * resource name nor an RFC 3339 time holds a space). */
static char *sort_key(const item *it, bool by_ts)
{
	return by_ts ? st_xasprintf("%s %s", it->ts, it->name) : st_xstrdup(it->name);
}

/* Whether it sorts after the page token's key. */
static bool after_key(const item *it, const list_req *r)
{
	if (!*r->after)
		return true;
	if (!r->by_ts)
		return strcmp(it->name, r->after) > 0;
	const char *sp = strchr(r->after, ' ');
	char *ts = st_xstrndup(r->after, sp ? (size_t)(sp - r->after) : strlen(r->after));
	int d = strcmp(it->ts, ts); /* descending: a smaller time comes later */
	free(ts);
	return d < 0 || (d == 0 && sp && strcmp(it->name, sp + 1) > 0);
}

/* The matching items of all (documents in name order), public form, in the
 * requested order. */
static item *collect(sb_server *s, json_t *all, const list_req *r,
		     void (*fill)(sb_server *, json_t *), size_t *n)
{
	json_t *doc;
	item *items = st_xcalloc(json_array_size(all) + 1, sizeof *items);
	size_t i;

	*n = 0;
	json_array_foreach(all, i, doc) {
		if (fill)
			fill(s, doc);
		json_t *pub = co_public(doc);
		if (!cf_match(r->filter, pub)) {
			json_decref(pub);
			continue;
		}
		item *it = &items[(*n)++];
		it->doc = pub;
		it->name = stj_str(pub, "name") ? stj_str(pub, "name") : "";
		it->ts = stj_str(pub, "creationTimestamp") ? stj_str(pub, "creationTimestamp")
			 : stj_str(pub, "insertTime") ? stj_str(pub, "insertTime") : "";
	}
	if (r->by_ts)
		qsort(items, *n, sizeof *items, cmp_ts_desc);
	return items;
}

/* Appends the page after the token to arr; returns the next page's key or NULL. */
static char *take_page(item *items, size_t n, const list_req *r, json_t *arr)
{
	size_t taken = 0, i = 0;

	while (i < n && !after_key(&items[i], r))
		i++;
	for (; i < n && taken < r->limit; i++, taken++)
		json_array_append(arr, items[i].doc);
	return i < n && taken ? sort_key(&items[i - 1], r->by_ts) : NULL;
}

static void reply_items(sb_server *s, sb_call *c, json_t *all, const char *prefix,
			const char *list_kind, void (*fill)(sb_server *, json_t *))
{
	list_req r;
	size_t n;

	if (!parse_req(c, &r)) {
		req_free(&r);
		return;
	}
	item *items = collect(s, all, &r, fill, &n);
	json_t *arr = json_array();
	char *next = take_page(items, n, &r, arr);
	char *self = co_link(s, prefix);
	self[strlen(self) - 1] = '\0'; /* prefix ends with '/' */
	json_t *out = json_pack("{s:s, s:s, s:o, s:s}", "kind", list_kind, "id", prefix,
				"items", arr, "selfLink", self);
	sb_set_page_token(out, next);
	for (size_t i = 0; i < n; i++)
		json_decref(items[i].doc);
	free(items);
	free(next);
	free(self);
	req_free(&r);
	sb_reply_json(c, 200, out);
}

void co_reply_list(sb_server *s, sb_call *c, const char *kind, const char *prefix,
		   const char *list_kind, void (*fill)(sb_server *, json_t *))
{
	json_t *all = sb_list(s, kind, prefix);
	reply_items(s, c, all, prefix, list_kind, fill);
	json_decref(all);
}

void co_reply_items(sb_server *s, sb_call *c, json_t *all, const char *prefix,
		    const char *list_kind)
{
	reply_items(s, c, all, prefix, list_kind, NULL);
}

void co_zone_op_list(sb_server *s, sb_call *c)
{
	char *prefix = st_xasprintf("projects/%s/zones/%s/operations/", sb_var(c, "project"),
				    sb_var(c, "zone"));

	co_reply_list(s, c, CK_OP, prefix, "compute#operationList", NULL);
	free(prefix);
}

void co_global_op_list(sb_server *s, sb_call *c)
{
	char *prefix = st_xasprintf("projects/%s/global/operations/", sb_var(c, "project"));

	co_reply_list(s, c, CK_OP, prefix, "compute#operationList", NULL);
	free(prefix);
}
