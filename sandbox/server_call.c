/* One HTTP request as the modules see it: raw path, decoded captures and query
 * parameters, headers, body; and the reply being built. */
#include "sandbox/server.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/json.h"

sb_call *sb_call_new(sb_server *s, const char *raw_uri)
{
	sb_call *c = st_xcalloc(1, sizeof *c);
	c->s = s;
	c->spool_fd = -1;
	c->raw_uri = st_xstrdup(raw_uri ? raw_uri : "/");
	const char *q = strchr(c->raw_uri, '?');
	c->path = q ? st_xstrndup(c->raw_uri, (size_t)(q - c->raw_uri)) : st_xstrdup(c->raw_uri);
	st_buf_init(&c->body);
	return c;
}

static void free_kv(sb_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].k);
		free(kv[i].v);
	}
	free(kv);
}

static void drop_stream(sb_call *c);

void sb_call_free(sb_call *c)
{
	if (!c)
		return;
	drop_stream(c);
	if (c->spool_fd >= 0)
		close(c->spool_fd);
	if (c->spool_path) {
		unlink(c->spool_path);
		free(c->spool_path);
	}
	free(c->method);
	free(c->raw_uri);
	free(c->path);
	free_kv(c->query, c->nquery);
	free_kv(c->vars, c->nvars);
	free_kv(c->rheaders, c->nrheaders);
	st_buf_free(&c->body);
	json_decref(c->json);
	free(c->principal);
	free(c->principal_email);
	free(c->audit_resource);
	free(c->audit_project);
	free(c->reply_ctype);
	free(c->reply_data);
	free(c->reply_file);
	free(c->error_message);
	free(c->error_status);
	free(c->qall);
	free(c);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

char *sb_pct_decode(const char *s, size_t n, bool plus_space)
{
	char *out = st_xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus_space) {
			out[o++] = ' ';
		} else if (s[i] == '\0') {
			free(out);
			return NULL;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (!st_utf8_valid(out, o)) {
		free(out);
		return NULL;
	}
	return out;
}

int sb_call_parse_query(sb_call *c)
{
	const char *q = strchr(c->raw_uri, '?');
	if (!q)
		return 0;
	q++;
	while (*q) {
		const char *amp = strchr(q, '&');
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		if (n > 0) {
			const char *eq = memchr(q, '=', n);
			size_t kn = eq ? (size_t)(eq - q) : n;
			char *k = sb_pct_decode(q, kn, true);
			char *v = eq ? sb_pct_decode(eq + 1, n - kn - 1, true) : st_xstrdup("");
			if (!k || !v) {
				free(k);
				free(v);
				sb_reply_error(c, 400, "INVALID_ARGUMENT", NULL,
					       "malformed percent-encoding or invalid UTF-8 in the "
					       "query string");
				return -1;
			}
			c->query = st_xrealloc(c->query, (c->nquery + 1) * sizeof *c->query);
			c->query[c->nquery].k = k;
			c->query[c->nquery].v = v;
			c->nquery++;
		}
		q += n + (amp ? 1 : 0);
	}
	return 0;
}

/* ------------------------------------------------------------------ accessors */

const char *sb_method(const sb_call *c)
{
	return c->method;
}

const char *sb_path(const sb_call *c)
{
	return c->path;
}

const char *sb_var(const sb_call *c, const char *name)
{
	for (size_t i = 0; i < c->nvars; i++)
		if (strcmp(c->vars[i].k, name) == 0)
			return c->vars[i].v;
	return NULL;
}

const char *sb_query(const sb_call *c, const char *name)
{
	for (size_t i = 0; i < c->nquery; i++)
		if (strcmp(c->query[i].k, name) == 0)
			return c->query[i].v;
	return NULL;
}

const char *const *sb_query_all(const sb_call *c, const char *name, size_t *n)
{
	sb_call *mc = (sb_call *)c;
	free(mc->qall);
	mc->qall = st_xcalloc(c->nquery + 1, sizeof *mc->qall);
	size_t k = 0;
	for (size_t i = 0; i < c->nquery; i++)
		if (strcmp(c->query[i].k, name) == 0)
			mc->qall[k++] = c->query[i].v;
	*n = k;
	return mc->qall;
}

const char *sb_header(const sb_call *c, const char *name)
{
	if (!c->conn)
		return NULL;
	return MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, name);
}

const unsigned char *sb_body(const sb_call *c, size_t *len)
{
	*len = c->body.len;
	return c->body.len ? (const unsigned char *)c->body.p : NULL;
}

const char *sb_body_file(const sb_call *c, uint64_t *len)
{
	*len = c->spool_len;
	return c->spool_path;
}

static bool json_ctype_ok(const char *ct)
{
	if (!ct)
		return true;
	size_t n = strcspn(ct, "; ");
	return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
	       (n == 10 && strncasecmp(ct, "text/plain", 10) == 0);
}

json_t *sb_json(sb_call *c)
{
	if (c->json)
		return c->json;
	if (c->body.len == 0) {
		c->json = json_object();
		return c->json;
	}
	const char *ct = sb_header(c, "Content-Type");
	if (!json_ctype_ok(ct)) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "badContent",
			       "Invalid Content-Type %.80s: this method takes application/json", ct);
		return NULL;
	}
	char err[256];
	json_t *v = stj_parse(c->body.p, c->body.len, SB_MAX_BODY, err, sizeof err);
	if (!v) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "parseError",
			       "Invalid JSON payload received. %s", err);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "parseError",
			       "Invalid JSON payload received. The body must be a JSON object.");
		return NULL;
	}
	c->json = v;
	return v;
}

const char *sb_principal(const sb_call *c)
{
	return c->principal ? c->principal : SB_OPERATOR;
}

const char *sb_principal_email(const sb_call *c)
{
	const char *p = sb_principal(c);
	const char *colon = strchr(p, ':');
	return colon ? colon + 1 : p;
}

void sb_audit_resource(sb_call *c, const char *resource_name)
{
	free(c->audit_resource);
	c->audit_resource = resource_name ? st_xstrdup(resource_name) : NULL;
}

void sb_audit_project(sb_call *c, const char *project)
{
	free(c->audit_project);
	c->audit_project = project ? st_xstrdup(project) : NULL;
}

/* ------------------------------------------------------------------ replies */

/* Ends a streamed reply that never reached the client. */
static void drop_stream(sb_call *c)
{
	if (c->stream_read && c->stream_done)
		c->stream_done(c->stream_ctx);
	c->stream_read = NULL;
	c->stream_done = NULL;
	c->stream_ctx = NULL;
}

static void reset_reply(sb_call *c)
{
	drop_stream(c);
	free(c->reply_data);
	c->reply_data = NULL;
	c->reply_len = 0;
	free(c->reply_file);
	c->reply_file = NULL;
	free(c->reply_ctype);
	c->reply_ctype = NULL;
}

/* What every kind of reply sets; the caller adds its body source. */
static void begin_reply(sb_call *c, int http_status, const char *content_type)
{
	reset_reply(c);
	c->status = http_status;
	c->reply_ctype = st_xstrdup(content_type ? content_type : "application/octet-stream");
	c->replied = true;
}

void sb_reply_bytes(sb_call *c, int http_status, const char *content_type, void *data,
		    size_t len)
{
	begin_reply(c, http_status, content_type);
	c->reply_data = data;
	c->reply_len = len;
}

void sb_reply_json(sb_call *c, int http_status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(body);
	if (!text)
		text = st_xstrdup("{}");
	sb_reply_bytes(c, http_status, "application/json; charset=UTF-8", text, strlen(text));
}

void sb_reply_file(sb_call *c, int http_status, const char *content_type, const char *path,
		   uint64_t offset, uint64_t len)
{
	begin_reply(c, http_status, content_type);
	c->reply_file = st_xstrdup(path);
	c->reply_off = offset;
	c->reply_flen = len;
}

void sb_reply_stream(sb_call *c, int http_status, const char *content_type, uint64_t len,
		     sb_stream_read read, void (*done)(void *ctx), void *ctx)
{
	begin_reply(c, http_status, content_type);
	c->stream_read = read;
	c->stream_done = done;
	c->stream_ctx = ctx;
	c->stream_len = len;
}

void sb_reply_header(sb_call *c, const char *name, const char *value)
{
	c->rheaders = st_xrealloc(c->rheaders, (c->nrheaders + 1) * sizeof *c->rheaders);
	c->rheaders[c->nrheaders].k = st_xstrdup(name);
	c->rheaders[c->nrheaders].v = st_xstrdup(value);
	c->nrheaders++;
}
