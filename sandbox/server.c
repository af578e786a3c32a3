/* sealtrain-sandbox HTTP server: libmicrohttpd with a thread per connection, one
 * server mutex around every handler and tick, one store transaction per call. */
#include "sandbox/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/log.h"
#include "common/timeutil.h"

/* ------------------------------------------------------------------ locking */

void sb_lock(sb_server *s)
{
	pthread_mutex_lock(&s->mu);
	sb_txn_begin(s);
}

void sb_unlock(sb_server *s)
{
	sb_txn_commit(s);
	pthread_mutex_unlock(&s->mu);
}

static void timespec_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The caller's work so far is committed before the lock is released: other
 * handlers run meanwhile and must see it (and must not join our transaction). */
void sb_wait_ms(sb_server *s, int ms)
{
	if (s->stopping || ms <= 0)
		return;
	sb_txn_commit(s);
	struct timespec ts;
	timespec_in(&ts, ms);
	pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	sb_txn_begin(s);
}

void sb_call_unlock(sb_call *c)
{
	if (!c->dispatched || c->unlocked)
		return;
	sb_txn_commit(c->s);
	c->unlocked = true;
	pthread_mutex_unlock(&c->s->mu);
}

void sb_call_relock(sb_call *c)
{
	if (!c->unlocked)
		return;
	pthread_mutex_lock(&c->s->mu);
	c->unlocked = false;
	sb_txn_begin(c->s);
}

void sb_notify(sb_server *s)
{
	pthread_cond_broadcast(&s->cv);
}

const char *sb_base_url(const sb_server *s)
{
	return s->base_url;
}

const char *sb_state_dir(const sb_server *s)
{
	return s->state_dir;
}

double sb_time_scale(const sb_server *s)
{
	return s->opt.time_scale;
}

void sb_log(sb_server *s, const char *fmt, ...)
{
	(void)s;
	va_list ap;
	va_start(ap, fmt);
	char *msg = st_xvasprintf(fmt, ap);
	va_end(ap);
	st_log(ST_LOG_INFO, "%s", msg);
	free(msg);
}

/* ------------------------------------------------------------------ replies to MHD */

/* MHD's side of sb_reply_stream: runs in the connection's thread, lock not held. */
typedef struct stream_box {
	sb_stream_read read;
	void (*done)(void *ctx);
	void *ctx;
} stream_box;

static ssize_t stream_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	stream_box *b = cls;
	long n = b->read(b->ctx, pos, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void stream_free(void *cls)
{
	stream_box *b = cls;
	if (b->done)
		b->done(b->ctx);
	free(b);
}

static struct MHD_Response *stream_response(sb_call *c)
{
	stream_box *b = st_xcalloc(1, sizeof *b);
	b->read = c->stream_read;
	b->done = c->stream_done;
	b->ctx = c->stream_ctx;
	struct MHD_Response *r = MHD_create_response_from_callback(c->stream_len, 64 * 1024,
								   stream_cb, b, stream_free);
	if (!r) {
		free(b); /* the call still owns the stream and ends it when freed */
		return NULL;
	}
	c->stream_read = NULL;
	c->stream_done = NULL;
	c->stream_ctx = NULL;
	return r;
}

static enum MHD_Result queue_reply(sb_call *c)
{
	struct MHD_Connection *conn = c->conn;
	struct MHD_Response *r = NULL;
	if (c->stream_read) {
		r = stream_response(c);
		if (!r)
			return MHD_NO;
	} else if (c->reply_file) {
		int fd = open(c->reply_file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			r = MHD_create_response_from_fd_at_offset64(c->reply_flen, fd,
								    c->reply_off);
		if (!r) {
			if (fd >= 0)
				close(fd);
			sb_log(c->s, "cannot open %s for the reply: %s", c->reply_file,
			       strerror(errno));
			return MHD_NO;
		}
	} else {
		r = MHD_create_response_from_buffer(c->reply_len, c->reply_data,
						    MHD_RESPMEM_MUST_FREE);
		if (!r)
			return MHD_NO;
		c->reply_data = NULL;
	}
	if (c->reply_ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, c->reply_ctype);
	for (size_t i = 0; i < c->nrheaders; i++)
		MHD_add_response_header(r, c->rheaders[i].k, c->rheaders[i].v);
	if (c->early)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ok = MHD_queue_response(conn, (unsigned)c->status, r);
	MHD_destroy_response(r);
	return ok;
}

/* ------------------------------------------------------------------ dispatch */

/* 403 SERVICE_DISABLED like Google's, with the consumer and service in ErrorInfo. */
int sb_require_service(sb_call *c, const char *project)
{
	const sb_route *r = c->route ? c->route->r : NULL;
	if (!r || !r->service || !project)
		return 0;
	if (sb_service_enabled(c->s, project, r->service))
		return 0;
	int64_t num = sb_project_number(c->s, project);
	char consumer[40];
	snprintf(consumer, sizeof consumer, "projects/%lld", (long long)num);
	json_t *meta = json_pack("{s:s, s:s}", "service", r->service, "consumer", consumer);
	char *msg = st_xasprintf("%s has not been used in project %lld before or it is disabled. "
				 "Enable it by visiting %s/v1/projects/%s/services/%s:enable "
				 "then retry.", r->service, (long long)num, c->s->base_url,
				 project, r->service);
	sb_reply_error_md(c, 403, "PERMISSION_DENIED", "SERVICE_DISABLED", "googleapis.com", meta,
			  msg);
	free(msg);
	return -1;
}

static void run_handler(sb_server *s, sb_call *c)
{
	const sb_route *r = c->route->r;
	bool check = r->service && !(r->flags & SB_NO_SERVICE_CHECK);
	if (check && sb_require_service(c, sb_call_project(c)) < 0)
		return;
	r->fn(s, c);
	if (!c->replied)
		sb_reply_error(c, 500, "INTERNAL", NULL, "the handler for %s %s gave no answer",
			       c->method, c->path);
}

static void dispatch(sb_server *s, sb_call *c)
{
	sb_lock(s);
	s->requests++;
	c->dispatched = true;
	run_handler(s, c);
	sb_call_relock(c); /* a handler that returned unlocked by mistake */
	/* A failed call leaves no half-made resource behind; its audit entry stays. */
	if (c->status >= 400) {
		sb_txn_rollback(s);
		sb_txn_begin(s);
	}
	sb_audit_write(s, c);
	if (sb_txn_commit(s) < 0) {
		c->replied = false;
		free(c->reply_data);
		c->reply_data = NULL;
		c->reply_len = 0;
		free(c->reply_file);
		c->reply_file = NULL;
		sb_reply_error(c, 503, "UNAVAILABLE", NULL,
			       "sandbox state store write failed: %s", sqlite3_errmsg(s->db));
	}
	pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------------ first call */

static int early_error(sb_call *c, int status, const char *st, const char *msg)
{
	sb_reply_error(c, status, st, NULL, "%s", msg);
	return -1;
}

static bool sandbox_path(const sb_call *c)
{
	return st_starts_with(c->path, "/sandbox/v1/");
}

/* Body size limits come from Content-Length when the client sends one. */
static int check_length(sb_call *c)
{
	const char *cl = sb_header(c, "Content-Length");
	if (!cl)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(cl, &end, 10);
	if (errno || *end || end == cl)
		return early_error(c, 400, "INVALID_ARGUMENT", "bad Content-Length header");
	bool stream = c->route && (c->route->r->flags & SB_STREAM_BODY);
	if (n > (stream ? SB_MAX_UPLOAD : SB_MAX_BODY)) {
		c->early = true;
		sb_reply_error(c, 413, "INVALID_ARGUMENT", "requestTooLarge",
			       "request body of %llu bytes exceeds the limit of %llu bytes", n,
			       stream ? SB_MAX_UPLOAD : SB_MAX_BODY);
		return -1;
	}
	return 0;
}

static int open_spool(sb_call *c)
{
	c->spool_path = st_xasprintf("%s/upload-XXXXXX", c->s->tmp_dir);
	c->spool_fd = mkstemp(c->spool_path);
	if (c->spool_fd < 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "cannot spool the upload in %s: %s",
			       c->s->tmp_dir, strerror(errno));
		free(c->spool_path);
		c->spool_path = NULL;
		return -1;
	}
	return 0;
}

/* Routing, auth and faults, decided before any body byte is read. Returns 0 to go on
 * reading the body, -1 when c already holds the answer, -2 to drop the connection. */
static int prepare(sb_server *s, sb_call *c)
{
	c->t0_ms = st_mono_ms();
	if (sb_call_parse_query(c) < 0)
		return -1;
	if (!sandbox_path(c) && (s->faults.p503 > 0 || s->faults.p429 > 0 ||
				 s->faults.preset > 0 || s->faults.latency_ms > 0)) {
		int lat = 0;
		pthread_mutex_lock(&s->mu);
		int f = sb_faults_pick(s, &lat);
		pthread_mutex_unlock(&s->mu);
		if (lat > 0)
			usleep((useconds_t)lat * 1000);
		if (f == -1)
			return -2;
		if (f == 503)
			return early_error(c, 503, "UNAVAILABLE",
					   "The service is currently unavailable (injected fault).");
		if (f == 429)
			return early_error(c, 429, "RESOURCE_EXHAUSTED",
					   "Quota exceeded (injected fault).");
	}
	int m = sb_route_match(s, c);
	if (m == SB_ROUTE_BAD)
		return -1;
	if (m == SB_ROUTE_NONE) {
		sb_reply_error(c, 404, "NOT_FOUND", NULL,
			       "The requested URL %.200s was not found on this server.", c->path);
		return -1;
	}
	if (m == SB_ROUTE_METHOD) {
		sb_reply_error(c, 405, "INVALID_ARGUMENT", NULL,
			       "Method %.40s is not allowed for this URL.", c->method);
		return -1;
	}
	if (check_length(c) < 0)
		return -1;
	if (!(c->route->r->flags & (SB_NO_AUTH | SB_METADATA)) && sb_auth_check(s, c) < 0)
		return -1;
	if (c->route->r->flags & SB_METADATA) {
		const char *mf = sb_header(c, "Metadata-Flavor");
		if (!mf || strcmp(mf, "Google") != 0 || sb_header(c, "X-Forwarded-For"))
			return early_error(c, 403, "PERMISSION_DENIED",
					   "Missing required header: Metadata-Flavor: Google");
	}
	if ((c->route->r->flags & SB_STREAM_BODY) && open_spool(c) < 0)
		return -1;
	return 0;
}

static int absorb(sb_call *c, const char *data, size_t n)
{
	if (c->replied)
		return 0; /* the answer is known; the rest of the body is discarded */
	if (c->spool_fd >= 0) {
		if (c->spool_len + n > SB_MAX_UPLOAD) {
			c->body_too_big = true;
			return 0;
		}
		size_t off = 0;
		while (off < n) {
			ssize_t w = write(c->spool_fd, data + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				sb_reply_error(c, 503, "UNAVAILABLE", NULL,
					       "cannot spool the upload to %s: %s", c->spool_path,
					       strerror(errno));
				return 0;
			}
			off += (size_t)w;
		}
		c->spool_len += n;
		return 0;
	}
	if (c->body.len + n > SB_MAX_BODY) {
		c->body_too_big = true;
		return 0;
	}
	st_buf_append(&c->body, data, n);
	return 0;
}

static void log_request(sb_server *s, sb_call *c)
{
	if (!s->opt.verbose && c->status < 400)
		return;
	/* The path is the client's: keep control bytes out of the log. */
	char path[512], method[32];
	st_sanitize_text(path, sizeof path, c->path);
	st_sanitize_text(method, sizeof method, c->method ? c->method : "?");
	sb_log(s, "%s %s -> %d (%lld ms)", method, path, c->status,
	       (long long)(st_mono_ms() - c->t0_ms));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)url, (void)version;
	sb_server *s = cls;
	sb_call *c = *con_cls;
	if (!c)
		return MHD_NO;
	if (!c->prepared) {
		c->prepared = true;
		c->conn = conn;
		c->method = st_xstrdup(method);
		int p = prepare(s, c);
		if (p == -2) {
			sb_log(s, "connection reset for %s %s", c->method, c->path);
			return MHD_NO;
		}
		if (c->early) {
			log_request(s, c);
			return queue_reply(c);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		absorb(c, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!c->replied && c->body_too_big)
		sb_reply_error(c, 413, "INVALID_ARGUMENT", "requestTooLarge",
			       "request body exceeds the limit of %llu bytes",
			       (c->route->r->flags & SB_STREAM_BODY) ? SB_MAX_UPLOAD : SB_MAX_BODY);
	if (!c->replied) {
		if (c->spool_fd >= 0) {
			close(c->spool_fd);
			c->spool_fd = -1;
		}
		dispatch(s, c);
	}
	log_request(s, c);
	return queue_reply(c);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	(void)con;
	return sb_call_new(cls, uri);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)conn, (void)toe;
	sb_call_free(*con_cls);
	*con_cls = NULL;
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char *msg = st_xvasprintf(fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	sb_log(cls, "libmicrohttpd: %s", msg);
	free(msg);
}

/* ------------------------------------------------------------------ listen socket */

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

static int split_listen(const char *spec, char *host, size_t hsize, char *port, size_t psize)
{
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || !colon[1])
		return -1;
	const char *h = spec;
	size_t hl = (size_t)(colon - spec);
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= hsize || strlen(colon + 1) >= psize)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

static int open_listener(sb_server *s)
{
	char host[256], port[16];
	if (split_listen(s->opt.listen, host, sizeof host, port, sizeof port) < 0) {
		fprintf(stderr, "sealtrain-sandbox: --listen %s: expected HOST:PORT\n", s->opt.listen);
		return -1;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "sealtrain-sandbox: --listen %s: %s\n", s->opt.listen,
			gai_strerror(rc));
		return -1;
	}
	if (!is_loopback(ai->ai_addr) && !s->opt.allow_remote) {
		fprintf(stderr, "sealtrain-sandbox: --listen %s is not a loopback address; "
			"refusing (pass --allow-remote to serve other machines)\n", s->opt.listen);
		freeaddrinfo(ai);
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		fprintf(stderr, "sealtrain-sandbox: --listen %s: %s\n", s->opt.listen,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	char ip[INET6_ADDRSTRLEN] = "";
	int p = 0;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		p = ntohs(a->sin6_port);
		snprintf(s->base_url, sizeof s->base_url, "http://[%s]:%d", ip, p);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		p = ntohs(a->sin_port);
		snprintf(s->base_url, sizeof s->base_url, "http://%s:%d", ip, p);
	}
	freeaddrinfo(ai);
	return fd;
}

/* ------------------------------------------------------------------ ticks, lifecycle */

static void *tick_main(void *arg)
{
	sb_server *s = arg;
	int64_t last_persist = st_mono_ms();
	while (!s->stopping) {
		usleep(100000);
		if (s->stopping)
			break;
		sb_lock(s);
		for (size_t i = 0; i < s->nservices; i++)
			if (s->services[i]->tick)
				s->services[i]->tick(s);
		if (st_mono_ms() - last_persist >= 1000) {
			sb_clock_persist(s);
			last_persist = st_mono_ms();
		}
		sb_unlock(s);
	}
	return NULL;
}

static int init_dirs(sb_server *s)
{
	char err[512];
	s->state_dir = st_xstrdup(s->opt.state);
	s->blob_dir = st_xasprintf("%s/blobs", s->state_dir);
	s->tmp_dir = st_xasprintf("%s/tmp", s->state_dir);
	if (st_mkdir_p(s->state_dir, 0700, err, sizeof err) < 0 ||
	    st_mkdir_p(s->blob_dir, 0700, err, sizeof err) < 0 ||
	    st_mkdir_p(s->tmp_dir, 0700, err, sizeof err) < 0) {
		fprintf(stderr, "sealtrain-sandbox: --state %s: %s\n", s->state_dir, err);
		return -1;
	}
	return 0;
}

static int init_modules(sb_server *s)
{
	s->services = sb_services;
	s->nservices = sb_nservices;
	if (sb_router_build(s) < 0)
		return -1;
	sb_lock(s);
	int rc = 0;
	for (size_t i = 0; i < s->nservices && rc == 0; i++)
		if (s->services[i]->init && s->services[i]->init(s) < 0) {
			fprintf(stderr, "sealtrain-sandbox: module %s failed to start\n",
				s->services[i]->name);
			rc = -1;
		}
	sb_unlock(s);
	return rc;
}

static int wait_for_signal(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	int sig = 0;
	sigwait(&set, &sig);
	return sig;
}

static struct MHD_Daemon *start_mhd(sb_server *s, int fd)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
				MHD_OPTION_CONNECTION_TIMEOUT, 300u,
				MHD_OPTION_CONNECTION_LIMIT, 512u,
				MHD_OPTION_END);
}

static void shutdown_modules(sb_server *s)
{
	sb_lock(s);
	for (size_t i = 0; i < s->nservices; i++)
		if (s->services[i]->shutdown)
			s->services[i]->shutdown(s);
	sb_clock_persist(s);
	sb_unlock(s);
}

/* Announces the address, serves until SIGTERM/SIGINT, then stops in order: no new
 * requests, the calls in flight finish, ticks stop, modules shut down. */
static void serve(sb_server *s, struct MHD_Daemon *d)
{
	pthread_t tick;
	bool ticking = pthread_create(&tick, NULL, tick_main, s) == 0;
	printf("sealtrain-sandbox listening on %s\n", s->base_url);
	fflush(stdout);
	sb_log(s, "sealtrain-sandbox listening on %s, state %s", s->base_url, s->state_dir);
	int sig = wait_for_signal();
	sb_log(s, "signal %d: shutting down", sig);
	s->stopping = true;
	pthread_mutex_lock(&s->mu);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	MHD_stop_daemon(d);
	if (ticking)
		pthread_join(tick, NULL);
	shutdown_modules(s);
}

int sb_server_run(sb_options *opt)
{
	sb_server *s = st_xcalloc(1, sizeof *s);
	s->opt = *opt;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	char err[256];
	if (sb_faults_parse(&s->faults, opt->faults, err, sizeof err) < 0) {
		fprintf(stderr, "sealtrain-sandbox: --faults: %s\n", err);
		return 2;
	}
	int rc = 1;
	int fd = -1;
	struct MHD_Daemon *d = NULL;
	if (init_dirs(s) < 0 || sb_store_open(s) < 0)
		goto out;
	sb_clock_init(s);
	s->faults.rng.s = opt->seed ^ 0x6661756c7473ull; /* own stream: "faults" */
	if ((fd = open_listener(s)) < 0 || init_modules(s) < 0)
		goto out;
	if (!(d = start_mhd(s, fd))) {
		fprintf(stderr, "sealtrain-sandbox: cannot start the HTTP server\n");
		goto out;
	}
	fd = -1; /* MHD owns it now */
	serve(s, d);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	sb_router_free(s);
	sb_store_close(s);
	free(s->state_dir);
	free(s->blob_dir);
	free(s->tmp_dir);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
	return rc;
}
