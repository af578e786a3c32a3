/* The request engine against a scripted loopback server: success, Google errors,
 * hostile bodies, retries, deadlines, cancellation, connection reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "gcp/gcp.h"
#include "gcp/internal.h"
#include "tests/support/fakeserver.h"
#include "tests/support/sttest.h"

typedef struct result {
	bool done;
	bool cancelled;
	bool ok;
	long http;
	int attempts;
	int http_version;
	gcp_error err;
	char *body;
	json_t *json;
	char hdr[128];
} result;

static void on_done(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	result *res = user;
	(void)ctx;
	res->done = true;
	res->cancelled = r->cancelled;
	res->ok = r->ok;
	res->http = r->http;
	res->attempts = r->attempts;
	res->http_version = r->http_version;
	res->err = r->err;
	res->body = st_xstrdup(r->body);
	res->json = json_incref(r->json);
	if (!gcp_resp_header(r, "X-Test", res->hdr, sizeof res->hdr))
		res->hdr[0] = '\0';
}

static void result_free(result *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

typedef struct fx {
	fs_server *fs;
	gcp_ctx *ctx;
} fx;

static int setup(void **state)
{
	fx *f = st_xcalloc(1, sizeof *f);
	f->fs = fs_start();
	gcp_opts o;
	memset(&o, 0, sizeof o);
	o.backoff_base_ms = 5;
	o.backoff_cap_ms = 50;
	o.max_attempts = 4;
	o.max_response = 1 << 20;
	f->ctx = gcp_new(&o, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	gcp_free(f->ctx);
	fs_stop(f->fs);
	free(f);
	return 0;
}

static char *url(fx *f, const char *path)
{
	return st_xasprintf("%s%s", fs_url(f->fs), path);
}

/* Sends one request and runs the loop until it completes. */
static void run_one(fx *f, const char *method, const char *path, const char *body, result *res)
{
	char *u = url(f, path);
	gcp_req r;
	memset(&r, 0, sizeof r);
	r.method = method;
	r.url = u;
	r.body = body;
	memset(res, 0, sizeof *res);
	assert_int_equal(gcp_send(f->ctx, &r, on_done, res, NULL), 0);
	assert_false(res->done); /* never called back from inside gcp_send */
	assert_int_equal(gcp_loop_run_until(f->ctx, &res->done, 20000), 0);
	assert_true(res->done);
	free(u);
}

static void test_get_ok(void **state)
{
	fx *f = *state;
	fs_reply rep = { .status = 200, .body = "{\"name\":\"x\",\"count\":\"42\"}", .header = "X-Test: yes" };
	fs_on(f->fs, "GET", "/v1/thing", 1, &rep);
	result res;
	run_one(f, "GET", "/v1/thing", NULL, &res);
	assert_true(res.ok);
	assert_int_equal(res.http, 200);
	assert_string_equal(stj_str(res.json, "name"), "x");
	assert_string_equal(res.hdr, "yes");
	assert_int_equal(res.attempts, 1);
	assert_int_equal(res.http_version, 11); /* cleartext: no h2c upgrade is asked for */
	result_free(&res);
}

static void test_post_body(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "POST", "/v1/p", 0, 200, "{}");
	result res;
	run_one(f, "POST", "/v1/p", "{\"a\":1}", &res);
	assert_true(res.ok);
	fs_request *rq = fs_get(f->fs, 0);
	assert_string_equal(rq->body, "{\"a\":1}");
	assert_string_equal(rq->ctype, "application/json");
	assert_null(rq->auth); /* no auth configured: no header at all */
	fs_request_free(rq);
	result_free(&res);
	run_one(f, "POST", "/v1/p", NULL, &res);
	rq = fs_get(f->fs, 1);
	assert_int_equal(rq->body_len, 0);
	assert_non_null(strstr(rq->headers, "Content-Length: 0"));
	fs_request_free(rq);
	result_free(&res);
}

static void test_google_error(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "POST", "/v1/k", 1, 409,
		"{\"error\":{\"code\":409,\"message\":\"KeyRing r already exists.\",\"status\":\"ALREADY_EXISTS\","
		"\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.Help\"},"
		"{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"RESOURCE_EXISTS\",\"domain\":\"x\"}]}}");
	result res;
	run_one(f, "POST", "/v1/k", "{}", &res);
	assert_false(res.ok);
	assert_int_equal(res.err.http, 409);
	assert_int_equal(res.err.code, 6);
	assert_string_equal(res.err.status, "ALREADY_EXISTS");
	assert_string_equal(res.err.reason, "RESOURCE_EXISTS");
	assert_string_equal(res.err.message, "KeyRing r already exists.");
	assert_non_null(strstr(res.err.where, "POST http://127.0.0.1:"));
	assert_int_equal(res.attempts, 1); /* 409 is never retried */
	result_free(&res);
}

static void test_legacy_errors(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/storage/v1/b/x", 1, 404,
		"{\"error\":{\"code\":404,\"message\":\"No such bucket\",\"errors\":[{\"domain\":\"global\",\"reason\":\"notFound\",\"message\":\"No such bucket\"}]}}");
	result res;
	run_one(f, "GET", "/storage/v1/b/x", NULL, &res);
	assert_string_equal(res.err.status, "NOT_FOUND");
	assert_string_equal(res.err.reason, "notFound");
	result_free(&res);
}

static void test_html_error_page(void **state)
{
	fx *f = *state;
	fs_reply rep = { .status = 403, .ctype = "text/html",
			 .body = "<html><body>\x1b[31mForbidden by proxy</body></html>" };
	fs_on(f->fs, "GET", "/html", 1, &rep);
	result res;
	run_one(f, "GET", "/html", NULL, &res);
	assert_false(res.ok);
	assert_string_equal(res.err.status, "PERMISSION_DENIED");
	assert_non_null(strstr(res.err.message, "text/html"));
	assert_null(strchr(res.err.message, '\x1b')); /* terminal escapes never pass */
	result_free(&res);
}

static void test_truncated_json(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/trunc", 1, 200, "{\"items\":[{\"name\":\"a\"},{\"na");
	result res;
	run_one(f, "GET", "/trunc", NULL, &res);
	assert_false(res.ok);
	assert_non_null(strstr(res.err.message, "not valid JSON"));
	assert_non_null(strstr(res.err.where, "/trunc"));
	result_free(&res);
}

static void test_invalid_utf8(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/utf8", 1, 200, "{\"name\":\"\xff\xfe\"}");
	result res;
	run_one(f, "GET", "/utf8", NULL, &res);
	assert_false(res.ok);
	result_free(&res);
}

static void test_huge_body(void **state)
{
	fx *f = *state;
	fs_reply rep = { .status = 200, .big_bytes = 3u << 20 };
	fs_on(f->fs, "GET", "/huge", 1, &rep);
	result res;
	run_one(f, "GET", "/huge", NULL, &res);
	assert_false(res.ok);
	assert_string_equal(res.err.status, "RESOURCE_EXHAUSTED");
	assert_non_null(strstr(res.err.message, "limit"));
	result_free(&res);
}

static void test_retry_then_ok(void **state)
{
	fx *f = *state;
	fs_reply busy = { .status = 503, .header = "Retry-After: 0",
			  .body = "{\"error\":{\"code\":503,\"message\":\"try later\",\"status\":\"UNAVAILABLE\"}}" };
	fs_on(f->fs, "GET", "/flaky", 2, &busy);
	fs_json(f->fs, "GET", "/flaky", 0, 200, "{\"ok\":true}");
	result res;
	run_one(f, "GET", "/flaky", NULL, &res);
	assert_true(res.ok);
	assert_int_equal(res.attempts, 3);
	assert_int_equal(fs_count(f->fs, "/flaky"), 3);
	result_free(&res);
}

static void test_retry_after_honoured(void **state)
{
	fx *f = *state;
	fs_reply busy = { .status = 429, .header = "Retry-After: 1", .body = "{}" };
	fs_on(f->fs, "GET", "/slowdown", 1, &busy);
	fs_json(f->fs, "GET", "/slowdown", 0, 200, "{}");
	result res;
	int64_t t0 = st_mono_ms();
	run_one(f, "GET", "/slowdown", NULL, &res);
	assert_true(res.ok);
	assert_true(st_mono_ms() - t0 >= 950); /* backoff alone would be <= 50 ms here */
	result_free(&res);
}

static void test_retry_gives_up(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/down", 0, 500, "{\"error\":{\"code\":500,\"message\":\"boom\",\"status\":\"INTERNAL\"}}");
	result res;
	run_one(f, "GET", "/down", NULL, &res);
	assert_false(res.ok);
	assert_int_equal(res.attempts, 4);
	assert_int_equal(fs_count(f->fs, "/down"), 4);
	assert_string_equal(res.err.message, "boom");
	result_free(&res);
}

/* Creates that are not idempotent: a 500 or a cut connection may mean it was done. */
static void test_not_idempotent(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "POST", "/v3/projects/p/alertPolicies", 1, 500, "{}");
	fs_json(f->fs, "POST", "/v3/projects/p/alertPolicies", 1, 503, "{}");
	fs_json(f->fs, "POST", "/v3/projects/p/alertPolicies", 0, 200, "{\"name\":\"projects/p/alertPolicies/1\"}");
	char *u = url(f, "/v3/projects/p/alertPolicies");
	gcp_req r;
	memset(&r, 0, sizeof r);
	r.method = "POST";
	r.url = u;
	r.body = "{}";
	r.flags = GCP_NOT_IDEMPOTENT;
	result res;
	memset(&res, 0, sizeof res);
	gcp_send(f->ctx, &r, on_done, &res, NULL);
	gcp_loop_run_until(f->ctx, &res.done, 10000);
	assert_false(res.ok);
	assert_int_equal(res.attempts, 1);
	result_free(&res);
	gcp_send(f->ctx, &r, on_done, &res, NULL); /* 503: the server says it did nothing */
	gcp_loop_run_until(f->ctx, &res.done, 10000);
	assert_true(res.ok);
	assert_int_equal(res.attempts, 2);
	result_free(&res);
	free(u);
}

static void test_no_retry_4xx(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/bad", 0, 400, "{\"error\":{\"code\":400,\"message\":\"bad\",\"status\":\"INVALID_ARGUMENT\"}}");
	result res;
	run_one(f, "GET", "/bad", NULL, &res);
	assert_int_equal(fs_count(f->fs, "/bad"), 1);
	assert_string_equal(res.err.status, "INVALID_ARGUMENT");
	result_free(&res);
}

static void test_cut_body_retried(void **state)
{
	fx *f = *state;
	fs_reply cut = { .status = 200, .body = "{\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", .cut_after = 10 };
	fs_on(f->fs, "GET", "/cut", 1, &cut);
	fs_json(f->fs, "GET", "/cut", 0, 200, "{\"whole\":true}");
	result res;
	run_one(f, "GET", "/cut", NULL, &res);
	assert_true(res.ok);
	assert_true(stj_bool(res.json, "whole", false));
	assert_int_equal(res.attempts, 2);
	result_free(&res);
}

static void test_deadline(void **state)
{
	fx *f = *state;
	fs_reply slow = { .status = 200, .body = "{}", .delay_ms = 3000 };
	fs_on(f->fs, "GET", "/slow", 0, &slow);
	char *u = url(f, "/slow");
	gcp_req r;
	memset(&r, 0, sizeof r);
	r.method = "GET";
	r.url = u;
	r.deadline_ms = 300;
	result res;
	memset(&res, 0, sizeof res);
	int64_t t0 = st_mono_ms();
	assert_int_equal(gcp_send(f->ctx, &r, on_done, &res, NULL), 0);
	assert_int_equal(gcp_loop_run_until(f->ctx, &res.done, 10000), 0);
	assert_false(res.ok);
	assert_string_equal(res.err.status, "DEADLINE_EXCEEDED");
	assert_true(st_mono_ms() - t0 < 2500);
	free(u);
	result_free(&res);
}

static void test_refused_urls(void **state)
{
	fx *f = *state;
	gcp_req r;
	gcp_error e;
	memset(&r, 0, sizeof r);
	r.method = "GET";
	r.url = "http://example.com/v1/x";
	assert_int_equal(gcp_send(f->ctx, &r, on_done, NULL, &e), -1);
	assert_non_null(strstr(e.message, "plain http"));
	r.url = "ftp://127.0.0.1/x";
	assert_int_equal(gcp_send(f->ctx, &r, on_done, NULL, &e), -1);
	r.url = "https://example.com/x";
	r.method = "BREW";
	assert_int_equal(gcp_send(f->ctx, &r, on_done, NULL, &e), -1);
	const char *bad[] = { "X-Evil: a\r\nInjected: b", NULL };
	r.method = "GET";
	r.headers = bad;
	assert_int_equal(gcp_send(f->ctx, &r, on_done, NULL, &e), -1);
	assert_int_equal(gcp_pending(f->ctx), 0);
}

static void test_cancel_owner(void **state)
{
	fx *f = *state;
	fs_reply slow = { .status = 200, .body = "{}", .delay_ms = 1500 };
	fs_on(f->fs, "GET", "/hang", 0, &slow);
	fs_json(f->fs, "GET", "/quick", 0, 200, "{}");
	char *u1 = url(f, "/hang"), *u2 = url(f, "/quick");
	int pane_a, pane_b;
	result r1, r2, r3;
	memset(&r1, 0, sizeof r1);
	memset(&r2, 0, sizeof r2);
	memset(&r3, 0, sizeof r3);
	gcp_req q;
	memset(&q, 0, sizeof q);
	q.method = "GET";
	q.url = u1;
	q.owner = &pane_a;
	gcp_send(f->ctx, &q, on_done, &r1, NULL);
	gcp_send(f->ctx, &q, on_done, &r2, NULL);
	q.url = u2;
	q.owner = &pane_b;
	gcp_send(f->ctx, &q, on_done, &r3, NULL);
	gcp_loop_run_until(f->ctx, NULL, 100);
	gcp_cancel_owner(f->ctx, &pane_a);
	assert_true(r1.done && r1.cancelled);
	assert_true(r2.done && r2.cancelled);
	assert_int_equal(gcp_loop_run_until(f->ctx, &r3.done, 5000), 0);
	assert_true(r3.ok);
	assert_int_equal(gcp_pending(f->ctx), 0);
	free(u1);
	free(u2);
	result_free(&r1);
	result_free(&r2);
	result_free(&r3);
}

static void test_connection_reuse(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/small", 0, 200, "{}");
	for (int i = 0; i < 20; i++) {
		result res;
		run_one(f, "GET", "/small", NULL, &res);
		assert_true(res.ok);
		result_free(&res);
	}
	assert_int_equal(gcp_connections_opened(f->ctx), 1);
	assert_int_equal(fs_connections(f->fs), 1);
}

static int count_done;
static void count_cb(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	(void)ctx, (void)user;
	if (r->ok)
		count_done++;
}

static void test_parallel_bounded_connections(void **state)
{
	fx *f = *state;
	fs_reply rep = { .status = 200, .body = "{}", .delay_ms = 20 };
	fs_on(f->fs, "GET", "/par", 0, &rep);
	char *u = url(f, "/par");
	count_done = 0;
	for (int i = 0; i < 40; i++)
		gcp_call(f->ctx, "GET", u, NULL, count_cb, NULL);
	assert_int_equal(gcp_loop_run_until(f->ctx, NULL, 20000), 0);
	assert_int_equal(count_done, 40);
	assert_true(gcp_connections_opened(f->ctx) <= 8);
	free(u);
}

static void test_free_with_pending(void **state)
{
	fx *f = *state;
	fs_reply slow = { .status = 200, .body = "{}", .delay_ms = 500 };
	fs_on(f->fs, "GET", "/pending", 0, &slow);
	char *u = url(f, "/pending");
	result res;
	memset(&res, 0, sizeof res);
	gcp_call(f->ctx, "GET", u, NULL, on_done, &res);
	gcp_loop_run_until(f->ctx, NULL, 50);
	gcp_free(f->ctx);
	f->ctx = gcp_new(NULL, NULL);
	assert_true(res.done && res.cancelled);
	free(u);
	result_free(&res);
}

static void test_transport_error(void **state)
{
	fx *f = *state;
	/* A port nobody listens on: the kernel refuses at once. */
	fs_server *tmp = fs_start();
	char *u = st_xasprintf("%s/x", fs_url(tmp));
	fs_stop(tmp);
	result res;
	memset(&res, 0, sizeof res);
	gcp_call(f->ctx, "GET", u, NULL, on_done, &res);
	assert_int_equal(gcp_loop_run_until(f->ctx, &res.done, 10000), 0);
	assert_false(res.ok);
	assert_int_equal(res.http, 0);
	assert_string_equal(res.err.status, "UNAVAILABLE");
	assert_int_equal(res.attempts, 4);
	free(u);
	result_free(&res);
}

/* The TUI drives the engine from its own poll() loop beside the terminal: nothing in
 * the engine may hold that loop up while a slow request is in flight. */
static void test_external_loop_never_blocks(void **state)
{
	fx *f = *state;
	fs_reply slow = { .status = 200, .body = "{}", .delay_ms = 1000 };
	fs_on(f->fs, "GET", "/tui", 0, &slow);
	char *u = url(f, "/tui");
	result res;
	memset(&res, 0, sizeof res);
	int64_t t0 = st_mono_ms();
	assert_int_equal(gcp_call(f->ctx, "GET", u, NULL, on_done, &res), 0);
	assert_true(st_mono_ms() - t0 < 100);
	int p[2];
	assert_int_equal(pipe(p), 0);
	int keys = 0, turns = 0;
	int64_t worst = 0;
	while (!res.done && turns < 10000) {
		struct pollfd pfds[64];
		pfds[0].fd = p[0];
		pfds[0].events = POLLIN;
		size_t n = 1 + gcp_pollfds(f->ctx, pfds + 1, 63);
		int t = gcp_timeout_ms(f->ctx);
		if (t < 0 || t > 50)
			t = 50; /* the "terminal" wants a turn at least every 50 ms */
		if (turns % 3 == 0)
			assert_int_equal(write(p[1], "k", 1), 1); /* a key press */
		int64_t a = st_mono_ms();
		poll(pfds, n, t);
		if (pfds[0].revents & POLLIN) {
			char c;
			assert_int_equal(read(p[0], &c, 1), 1);
			keys++;
		}
		gcp_dispatch(f->ctx, pfds + 1, n - 1);
		int64_t took = st_mono_ms() - a;
		if (took > worst)
			worst = took;
		turns++;
	}
	assert_true(res.ok);
	assert_true(keys > 5);
	assert_true(worst < 200); /* no turn of the loop stalled on the network */
	close(p[0]);
	close(p[1]);
	free(u);
	result_free(&res);
}

static void test_backoff_and_retry_after(void **state)
{
	(void)state;
	/* Full jitter: anywhere in [0, min(cap, base * 2^n)], never above. */
	int64_t max_seen = 0;
	for (int i = 0; i < 2000; i++) {
		int64_t d = gcp_backoff_ms(3, 100, 500);
		assert_true(d >= 0 && d <= 500);
		if (d > max_seen)
			max_seen = d;
		assert_true(gcp_backoff_ms(1, 100, 5000) <= 200);
	}
	assert_true(max_seen > 250); /* it does spread out, not stick to the floor */
	assert_true(gcp_backoff_ms(40, 100, 32000) <= 32000); /* no overflow on many attempts */
	assert_int_equal(gcp_retry_after_ms("7", 0), 7000);
	assert_int_equal(gcp_retry_after_ms(" 0 ", 0), 0);
	assert_int_equal(gcp_retry_after_ms("-3", 0), -1);
	assert_int_equal(gcp_retry_after_ms("soon", 0), -1);
	assert_int_equal(gcp_retry_after_ms("99999999999", 0), -1);
	assert_int_equal(gcp_retry_after_ms(NULL, 0), -1);
	/* HTTP-date form: 30 s after "now". */
	int64_t now = 1445412480000LL; /* Wed, 21 Oct 2015 07:28:00 GMT */
	assert_int_equal(gcp_retry_after_ms("Wed, 21 Oct 2015 07:28:30 GMT", now), 30000);
	assert_int_equal(gcp_retry_after_ms("Wed, 21 Oct 2015 07:00:00 GMT", now), 0);
	for (long c = 400; c < 600; c++)
		assert_int_equal(gcp_retryable_http(c), c == 429 || c == 500 || c == 502 || c == 503 || c == 504);
}

static char *pem_of(int (*w)(BIO *, void *), void *obj)
{
	BIO *b = BIO_new(BIO_s_mem());
	w(b, obj);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *out = st_xstrndup(p, (size_t)n);
	BIO_free(b);
	return out;
}

static int write_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static int write_cert(BIO *b, void *c)
{
	return PEM_write_bio_X509(b, c);
}

/* A loopback HTTPS server with a self-signed certificate: the client must refuse it,
 * because TLS verification is never turned off, and must not retry. */
static void test_tls_verification_on(void **state)
{
	(void)state;
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *c = X509_new();
	X509_set_version(c, 2); /* v3: the certificate carries a subjectAltName */
	ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 3600);
	X509_set_pubkey(c, k);
	X509_NAME *nm = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(c, nm);
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, c, c, NULL, NULL, 0);
	X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
	X509_add_ext(c, san, -1);
	X509_EXTENSION_free(san);
	X509_sign(c, k, EVP_sha256());
	char *kp = pem_of(write_key, k), *cp = pem_of(write_cert, c);
	fs_server *tls = fs_start_tls(kp, cp);
	fs_json(tls, "GET", "/v1/x", 0, 200, "{}");
	gcp_ctx *ctx = gcp_new(NULL, NULL);
	char *u = st_xasprintf("%s/v1/x", fs_url(tls));
	result res;
	memset(&res, 0, sizeof res);
	assert_int_equal(gcp_call(ctx, "GET", u, NULL, on_done, &res), 0);
	assert_int_equal(gcp_loop_run_until(ctx, &res.done, 20000), 0);
	assert_false(res.ok);
	assert_int_equal(res.http, 0);
	assert_int_equal(res.attempts, 1);
	assert_non_null(strstr(res.err.message, "certificate"));
	assert_int_equal(fs_count(tls, NULL), 0);
	gcp_free(ctx);
	result_free(&res);
	/* Trusting that certificate explicitly makes the same call work, still verified. */
	char *dir = st_test_tmpdir("gcp-tls");
	char *ca = st_xasprintf("%s/ca.pem", dir);
	st_test_write_file(ca, cp);
	gcp_opts o;
	memset(&o, 0, sizeof o);
	o.ca_file = ca;
	ctx = gcp_new(&o, NULL);
	memset(&res, 0, sizeof res);
	gcp_call(ctx, "GET", u, NULL, on_done, &res);
	gcp_loop_run_until(ctx, &res.done, 20000);
	if (!res.ok)
		fail_msg("%s", res.err.message);
	assert_int_equal(fs_count(tls, NULL), 1);
	gcp_free(ctx);
	result_free(&res);
	/* A CA file that went away after the config was read: a clear error naming it. */
	unlink(ca);
	ctx = gcp_new(&o, NULL);
	gcp_call(ctx, "GET", u, NULL, on_done, &res);
	gcp_loop_run_until(ctx, &res.done, 20000);
	assert_false(res.ok);
	assert_int_equal(res.attempts, 1);
	if (!strstr(res.err.message, ca))
		fail_msg("%s", res.err.message);
	assert_int_equal(fs_count(tls, NULL), 1);
	gcp_free(ctx);
	result_free(&res);
	st_test_rmtree(dir);
	free(dir);
	free(ca);
	fs_stop(tls);
	free(u);
	free(kp);
	free(cp);
	X509_free(c);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_google_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_error_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_then_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_honoured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_retry_4xx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_body_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parallel_bounded_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_external_loop_never_blocks, setup, teardown),
		cmocka_unit_test(test_backoff_and_retry_after),
		cmocka_unit_test(test_tls_verification_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
