#include "tests/support/fakeserver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"

typedef struct rule {
	struct rule *next;
	char *method, *path;
	int left;            /* -1: unlimited */
	fs_reply reply;
	char *body, *ctype, *header;
	fs_fn fn;
	void *user;
} rule;

struct fs_server {
	struct MHD_Daemon *d;
	char url[64];
	pthread_mutex_t mu;
	rule *rules;
	fs_request **reqs;
	size_t nreqs, capreqs;
	long conns;
};

typedef struct pending {
	st_buf body;
} pending;

static char *dup0(const char *s)
{
	return s ? st_xstrdup(s) : NULL;
}

static enum MHD_Result collect_hdr(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	st_buf *b = cls;
	(void)kind;
	st_buf_printf(b, "%s: %s\n", k, v ? v : "");
	return MHD_YES;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	st_buf *b = cls;
	(void)kind;
	char *ek = st_url_escape(k);
	char *ev = v ? st_url_escape(v) : NULL;
	st_buf_printf(b, "%s%s%s%s", b->len ? "&" : "", ek, ev ? "=" : "", ev ? ev : "");
	free(ek);
	free(ev);
	return MHD_YES;
}

static rule *match(fs_server *s, const char *method, const char *path)
{
	for (rule *r = s->rules; r; r = r->next) {
		if (r->left == 0 || strcmp(r->method, method) != 0 || strcmp(r->path, path) != 0)
			continue;
		if (r->left > 0)
			r->left--;
		return r;
	}
	return NULL;
}

struct cut { size_t total, cut; };

static ssize_t gen_big(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct cut *c = cls;
	if (c->cut && pos >= c->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = max;
	if (c->cut && pos + n > c->cut)
		n = c->cut - pos;
	if (pos + n > c->total)
		n = c->total - pos;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	memset(buf, 'x', n);
	return (ssize_t)n;
}

static struct MHD_Response *make_response(const fs_reply *r)
{
	if (r->big_bytes || r->cut_after) {
		struct cut *c = st_xcalloc(1, sizeof *c);
		c->total = r->big_bytes ? r->big_bytes : strlen(r->body ? r->body : "");
		c->cut = r->cut_after;
		return MHD_create_response_from_callback(c->total, 16384, gen_big, c, free);
	}
	const char *b = r->body ? r->body : "";
	return MHD_create_response_from_buffer(strlen(b), (void *)b, MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	fs_server *s = cls;
	(void)version;
	if (!*con_cls) {
		pending *p = st_xcalloc(1, sizeof *p);
		st_buf_init(&p->body);
		*con_cls = p;
		return MHD_YES;
	}
	pending *p = *con_cls;
	if (*upload_len) {
		st_buf_append(&p->body, upload, *upload_len);
		*upload_len = 0;
		return MHD_YES;
	}
	fs_request *rq = st_xcalloc(1, sizeof *rq);
	st_buf hb, qb;
	st_buf_init(&hb);
	st_buf_init(&qb);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_hdr, &hb);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &qb);
	rq->method = st_xstrdup(method);
	rq->path = st_xstrdup(url);
	rq->query = qb.p ? st_buf_steal(&qb) : st_xstrdup("");
	rq->headers = hb.p ? st_buf_steal(&hb) : st_xstrdup("");
	rq->auth = dup0(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"));
	rq->ctype = dup0(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"));
	rq->body_len = p->body.len;
	rq->body = p->body.p ? st_buf_steal(&p->body) : st_xstrdup("");

	fs_reply rep;
	memset(&rep, 0, sizeof rep);
	rep.status = 404;
	rep.body = "{\"error\":{\"code\":404,\"message\":\"fake server: no rule\",\"status\":\"NOT_FOUND\"}}";
	pthread_mutex_lock(&s->mu);
	if (s->nreqs == s->capreqs) {
		s->capreqs = s->capreqs ? s->capreqs * 2 : 64;
		s->reqs = st_xrealloc(s->reqs, s->capreqs * sizeof *s->reqs);
	}
	s->reqs[s->nreqs++] = rq;
	rule *r = match(s, method, url);
	fs_fn fn = r ? r->fn : NULL;
	void *fu = r ? r->user : NULL;
	if (r && !fn)
		rep = r->reply;
	pthread_mutex_unlock(&s->mu);
	if (fn)
		fn(rq, &rep, fu);
	if (rep.delay_ms)
		usleep((useconds_t)rep.delay_ms * 1000);
	struct MHD_Response *resp = make_response(&rep);
	MHD_add_response_header(resp, "Content-Type", rep.ctype ? rep.ctype : "application/json");
	if (rep.header) {
		const char *colon = strchr(rep.header, ':');
		if (colon) {
			char *k = st_xstrndup(rep.header, (size_t)(colon - rep.header));
			MHD_add_response_header(resp, k, colon + 1 + (colon[1] == ' '));
			free(k);
		}
	}
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)rep.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	pending *p = *con_cls;
	(void)cls, (void)c, (void)t;
	if (p) {
		st_buf_free(&p->body);
		free(p);
		*con_cls = NULL;
	}
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_ctx, enum MHD_ConnectionNotificationCode code)
{
	fs_server *s = cls;
	(void)c, (void)socket_ctx;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&s->mu);
		s->conns++;
		pthread_mutex_unlock(&s->mu);
	}
}

static fs_server *start(const char *key_pem, const char *cert_pem)
{
	fs_server *s = st_xcalloc(1, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
	if (key_pem)
		s->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, answer, s,
					MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
					MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
					MHD_OPTION_NOTIFY_COMPLETED, completed, s,
					MHD_OPTION_NOTIFY_CONNECTION, notify_conn, s,
					MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	else
		s->d = MHD_start_daemon(flags, 0, NULL, NULL, answer, s,
					MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
					MHD_OPTION_NOTIFY_COMPLETED, completed, s,
					MHD_OPTION_NOTIFY_CONNECTION, notify_conn, s,
					MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!s->d) {
		fprintf(stderr, "fakeserver: cannot start on 127.0.0.1\n");
		abort();
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%u", key_pem ? "https" : "http", (unsigned)info->port);
	return s;
}

fs_server *fs_start(void)
{
	return start(NULL, NULL);
}

fs_server *fs_start_tls(const char *key_pem, const char *cert_pem)
{
	return start(key_pem, cert_pem);
}

void fs_request_free(fs_request *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->path);
	free(r->query);
	free(r->auth);
	free(r->ctype);
	free(r->headers);
	free(r->body);
	free(r);
}

void fs_stop(fs_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	for (size_t i = 0; i < s->nreqs; i++)
		fs_request_free(s->reqs[i]);
	free(s->reqs);
	while (s->rules) {
		rule *r = s->rules;
		s->rules = r->next;
		free(r->method);
		free(r->path);
		free(r->body);
		free(r->ctype);
		free(r->header);
		free(r);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}

const char *fs_url(const fs_server *s)
{
	return s->url;
}

static void add_rule(fs_server *s, rule *r)
{
	pthread_mutex_lock(&s->mu);
	rule **pp = &s->rules;
	while (*pp)
		pp = &(*pp)->next;
	*pp = r;
	pthread_mutex_unlock(&s->mu);
}

void fs_on(fs_server *s, const char *method, const char *path, int times, const fs_reply *rep)
{
	rule *r = st_xcalloc(1, sizeof *r);
	r->method = st_xstrdup(method);
	r->path = st_xstrdup(path);
	r->left = times > 0 ? times : -1;
	r->reply = *rep;
	r->body = dup0(rep->body);
	r->ctype = dup0(rep->ctype);
	r->header = dup0(rep->header);
	r->reply.body = r->body;
	r->reply.ctype = r->ctype;
	r->reply.header = r->header;
	add_rule(s, r);
}

void fs_on_fn(fs_server *s, const char *method, const char *path, int times, fs_fn fn, void *user)
{
	rule *r = st_xcalloc(1, sizeof *r);
	r->method = st_xstrdup(method);
	r->path = st_xstrdup(path);
	r->left = times > 0 ? times : -1;
	r->fn = fn;
	r->user = user;
	add_rule(s, r);
}

void fs_json(fs_server *s, const char *method, const char *path, int times, int status, const char *body)
{
	fs_reply r;
	memset(&r, 0, sizeof r);
	r.status = status;
	r.body = body;
	fs_on(s, method, path, times, &r);
}

size_t fs_count(fs_server *s, const char *path)
{
	size_t n = 0;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->nreqs; i++)
		if (!path || strcmp(s->reqs[i]->path, path) == 0)
			n++;
	pthread_mutex_unlock(&s->mu);
	return n;
}

fs_request *fs_get(fs_server *s, size_t i)
{
	fs_request *c = NULL;
	pthread_mutex_lock(&s->mu);
	if (i < s->nreqs) {
		fs_request *r = s->reqs[i];
		c = st_xcalloc(1, sizeof *c);
		c->method = st_xstrdup(r->method);
		c->path = st_xstrdup(r->path);
		c->query = st_xstrdup(r->query);
		c->auth = dup0(r->auth);
		c->ctype = dup0(r->ctype);
		c->headers = st_xstrdup(r->headers);
		c->body = st_xmalloc(r->body_len + 1);
		memcpy(c->body, r->body, r->body_len + 1);
		c->body_len = r->body_len;
	}
	pthread_mutex_unlock(&s->mu);
	return c;
}

long fs_connections(fs_server *s)
{
	pthread_mutex_lock(&s->mu);
	long n = s->conns;
	pthread_mutex_unlock(&s->mu);
	return n;
}

bool fs_any_header_contains(fs_server *s, const char *needle)
{
	bool yes = false;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->nreqs && !yes; i++)
		yes = strstr(s->reqs[i]->headers, needle) != NULL;
	pthread_mutex_unlock(&s->mu);
	return yes;
}
