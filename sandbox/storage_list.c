/* Cloud Storage objects.list: prefix, delimiter (collapsed into "prefixes"),
 * versions, maxResults and page tokens. Entries are built in store order (name,
 * then generation), so a page token is simply the store key of the last entry. */
#include "sandbox/storage.h"

#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"

typedef struct lister {
	const char *prefix, *delim, *after;
	size_t max, count;
	bool versions;
	json_t *items, *prefixes;
	char *last_key;   /* store key of the last entry taken */
	char *last_prefix;
	bool more;
} lister;

/* The collapsed prefix an object name falls under, or NULL. Caller frees. */
static char *collapse(const lister *l, const char *name)
{
	if (!l->delim || !*l->delim)
		return NULL;
	const char *rest = name + strlen(l->prefix);
	const char *d = strstr(rest, l->delim);
	return d ? st_xstrndup(name, (size_t)(d - name) + strlen(l->delim)) : NULL;
}

/* One stored generation; returns false once the page is full. */
static bool take(sb_server *s, lister *l, const json_t *doc, const char *key)
{
	if (!l->versions && json_object_get(doc, "timeDeleted"))
		return true;
	const char *name = json_string_value(json_object_get(doc, "name"));
	char *pre = collapse(l, name);
	if (pre && l->last_prefix && !strcmp(pre, l->last_prefix)) {
		/* same collapsed prefix as the previous entry: extend it */
		free(l->last_key);
		l->last_key = st_xstrdup(key);
		free(pre);
		return true;
	}
	if (l->count == l->max) {
		l->more = true;
		free(pre);
		return false;
	}
	if (pre) {
		json_array_append_new(l->prefixes, json_string(pre));
		free(l->last_prefix);
		l->last_prefix = pre;
	} else {
		json_array_append_new(l->items, gcs_obj_view(s, doc));
	}
	l->count++;
	free(l->last_key);
	l->last_key = st_xstrdup(key);
	return true;
}

static void list_reply(sb_call *c, lister *l)
{
	json_t *out = json_pack("{s:s}", "kind", "storage#objects");
	if (json_array_size(l->items))
		json_object_set(out, "items", l->items);
	if (json_array_size(l->prefixes))
		json_object_set(out, "prefixes", l->prefixes);
	if (l->more && l->last_key) {
		char *t = st_base64url_encode(l->last_key, strlen(l->last_key));
		json_object_set_new(out, "nextPageToken", json_string(t));
		free(t);
	}
	sb_reply_json(c, 200, out);
}

/* Keys are "BUCKET/NAME\x01GEN"; the store lists them in that byte order. */
static void walk(sb_server *s, lister *l, const char *bucket)
{
	char *pfx = st_xasprintf("%s/%s", bucket, l->prefix);
	json_t *all = sb_list(s, "gcs.obj", pfx);
	size_t i;
	json_t *doc;
	json_array_foreach(all, i, doc) {
		int64_t gen = 0;
		stj_int64(doc, "generation", &gen);
		char *key = gcs_obj_key(bucket, json_string_value(json_object_get(doc, "name")), gen);
		bool go = strcmp(key, l->after) <= 0 || take(s, l, doc, key);
		free(key);
		if (!go)
			break;
	}
	json_decref(all);
	free(pfx);
}

void gcs_object_list(sb_server *s, sb_call *c)
{
	const char *bn = sb_var(c, "bucket"), *tok = sb_query(c, "pageToken");
	const char *v = sb_query(c, "versions");
	int64_t max = gcs_query_int(c, "maxResults");
	json_t *bucket = max == -2 ? NULL : gcs_bucket_load(s, c, bn);
	if (!bucket)
		return;
	size_t n = 0;
	unsigned char *raw = tok && *tok ? st_base64_decode(tok, strlen(tok), &n) : NULL;
	char *after = raw && !memchr(raw, 0, n) ? st_xstrndup((char *)raw, n) : NULL;
	free(raw);
	if (!tok || !*tok)
		after = st_xstrdup("");
	if (!after || (n && !st_starts_with(after, bn))) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid pageToken.");
	} else {
		lister l = {.prefix = sb_query(c, "prefix") ? sb_query(c, "prefix") : "",
			    .delim = sb_query(c, "delimiter"), .after = after,
			    .max = max > 0 && max < 1000 ? (size_t)max : 1000,
			    .versions = v && !strcmp(v, "true"), .items = json_array(),
			    .prefixes = json_array()};
		walk(s, &l, bn);
		list_reply(c, &l);
		json_decref(l.items);
		json_decref(l.prefixes);
		free(l.last_key);
		free(l.last_prefix);
	}
	free(after);
	json_decref(bucket);
}
