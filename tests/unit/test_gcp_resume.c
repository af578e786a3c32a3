/* The resumable upload's recovery and the LRO deadlines against the scripted
 * server: a chunk whose answer was lost (the session then says how much it holds,
 * with or without a Range), a session that expired (begun again once, then a
 * one-line error naming the object), the bound on resume attempts, a hostile Range,
 * and waits that stop at their deadline with the operation handed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "gcp/lro.h"
#include "gcp/storage.h"
#include "tests/support/fakeserver.h"
#include "tests/unit/test_gcp_fixture.h"
#include "tests/unit/test_gcp_result.h"

#define CHUNK (256u * 1024)


/* ------------------------------------------------------------------ a scripted session
 * It keeps what arrives, answers status queries from what it holds, and fails the
 * PUT numbered fail_put (1-based, queries counted) with a 503 after keeping keep
 * bytes of that chunk, as a server whose answer was lost would have. */
typedef struct sess {
	st_buf got;
	int puts, queries;
	int fail_put;         /* this PUT gets 503 (0: none) */
	size_t keep;          /* bytes of the failed chunk kept anyway */
	bool fail_always;     /* every chunk gets 503 */
	int gone_put;         /* this PUT gets 410 (0: none) */
	int deny_put;         /* this PUT gets 403 (0: none) */
	const char *range;    /* a fixed (hostile) Range for every 308, or NULL */
	int sent_at_zero;     /* chunks that started at byte 0 */
	bool done;
	char hdr[96], body[256];
} sess;

static void reply_object(sess *s, fs_reply *out)
{
	char crc[9];
	st_crc32c_b64(st_crc32c(0, s->got.p, s->got.len), crc);
	snprintf(s->body, sizeof s->body, "{\"name\":\"big.bin\",\"size\":\"%zu\",\"crc32c\":\"%s\"}", s->got.len,
		 crc);
	out->status = 200;
	out->body = s->body;
}

static void reply_held(sess *s, fs_reply *out)
{
	out->status = 308;
	out->body = "";
	if (s->range) {
		snprintf(s->hdr, sizeof s->hdr, "Range: %s", s->range);
		out->header = s->hdr;
	} else if (s->got.len) {
		snprintf(s->hdr, sizeof s->hdr, "Range: bytes=0-%zu", s->got.len - 1);
		out->header = s->hdr;
	}
}

static void reply_error(fs_reply *out, int status)
{
	out->status = status;
	out->body = status == 410 ? "{\"error\":{\"code\":410,\"message\":\"session expired\"}}"
				  : "{\"error\":{\"code\":503,\"message\":\"backend busy\",\"status\":\"UNAVAILABLE\"}}";
}

/* Appends the part of [a, a+len) the session does not hold yet, up to keep bytes. */
static void keep_bytes(sess *s, unsigned long long a, const char *p, size_t len, size_t keep)
{
	size_t skip = s->got.len - (size_t)a;
	if (skip >= len)
		return;
	size_t n = len - skip < keep ? len - skip : keep;
	st_buf_append(&s->got, p + skip, n);
}

static void sess_put(const fs_request *rq, fs_reply *out, void *user)
{
	sess *s = user;
	unsigned long long a, b, total;
	const char *cr = strstr(rq->headers, "Content-Range: bytes ");
	s->puts++;
	if (cr && sscanf(cr, "Content-Range: bytes */%llu", &total) == 1 && rq->body_len == 0) {
		s->queries++;
		if (s->done)
			reply_object(s, out);
		else
			reply_held(s, out);
		return;
	}
	if (!cr || sscanf(cr, "Content-Range: bytes %llu-%llu/%llu", &a, &b, &total) != 3 || a > s->got.len ||
	    b - a + 1 != rq->body_len) {
		out->status = 400;
		out->body = "{\"error\":{\"code\":400,\"message\":\"bad range\",\"status\":\"INVALID_ARGUMENT\"}}";
		return;
	}
	if (a == 0)
		s->sent_at_zero++;
	if (s->puts == s->gone_put) {
		reply_error(out, 410);
		return;
	}
	if (s->puts == s->deny_put) {
		out->status = 403;
		out->body = "{\"error\":{\"code\":403,\"message\":\"key disabled\",\"status\":\"PERMISSION_DENIED\"}}";
		return;
	}
	if (s->fail_always || s->puts == s->fail_put) {
		keep_bytes(s, a, rq->body, rq->body_len, s->fail_always ? 0 : s->keep);
		s->done = s->got.len == total;
		reply_error(out, 503);
		return;
	}
	keep_bytes(s, a, rq->body, rq->body_len, rq->body_len);
	s->done = s->got.len == total;
	if (s->done)
		reply_object(s, out);
	else
		reply_held(s, out);
}

typedef struct upload {
	unsigned char *data;
	size_t len;
	char *loc[2];
} upload;

/* Scripts one or two sessions (a restart asks for a second) and starts the upload. */
static void start_upload(fx *f, upload *u, sess *s1, sess *s2, result *res, size_t len)
{
	u->len = len;
	u->data = st_xmalloc(len);
	for (size_t i = 0; i < len; i++)
		u->data[i] = (unsigned char)(i * 13 + i / 1000);
	sess *ss[2] = { s1, s2 };
	for (int i = 0; i < 2 && ss[i]; i++) {
		char path[64];
		snprintf(path, sizeof path, "/upload/session/%d", i + 1);
		u->loc[i] = st_xasprintf("Location: %s%s", fs_url(f->fs), path);
		fs_reply start = { .status = 200, .header = u->loc[i], .body = "" };
		fs_on(f->fs, "POST", "/upload/storage/v1/b/b/o", 1, &start);
		fs_on_fn(f->fs, "PUT", path, 0, sess_put, ss[i]);
		st_buf_init(&ss[i]->got);
	}
	memset(res, 0, sizeof *res);
	gcp_upload_spec spec = { .bucket = "b", .object = "big.bin", .data = u->data, .len = len,
				 .mode = "resumable", .chunk_size = CHUNK };
	assert_int_equal(gcp_gcs_upload(f->ctx, &f->ep, &spec, NULL, on_done, res, NULL), 0);
	assert_int_equal(gcp_loop_run_until(f->ctx, &res->done, 30000), 0);
}

static void upload_free(upload *u, sess *s1, sess *s2, result *res)
{
	free(u->data);
	free(u->loc[0]);
	free(u->loc[1]);
	st_buf_free(&s1->got);
	if (s2)
		st_buf_free(&s2->got);
	json_decref(res->json);
}

static void assert_holds(const sess *s, const upload *u)
{
	assert_int_equal(s->got.len, u->len);
	assert_memory_equal(s->got.p, u->data, u->len);
}

/* The second chunk's answer is lost after the server kept half of it: the client
 * asks, learns the Range, and sends from the first byte the server lacks. */
static void test_lost_answer_resumes_from_range(void **state)
{
	fx *f = *state;
	sess s = { .fail_put = 2, .keep = CHUNK / 2 };
	upload u = {0};
	result res;
	start_upload(f, &u, &s, NULL, &res, 700 * 1024);
	if (!res.ok)
		fail_msg("%s", res.err.message);
	assert_holds(&s, &u);
	assert_int_equal(s.queries, 1);
	/* chunk, chunk (lost), query, then 700K - 384K in two chunks */
	assert_int_equal(s.puts, 5);
	assert_int_equal(s.sent_at_zero, 1);
	fs_request *q = fs_get(f->fs, 4); /* POST, PUT, PUT, query, next chunk */
	assert_non_null(strstr(q->headers, "Content-Range: bytes 393216-655359/716800"));
	fs_request_free(q);
	upload_free(&u, &s, NULL, &res);
}

/* Nothing of the first chunk arrived: a 308 without Range means start at byte 0. */
static void test_query_without_range_starts_over(void **state)
{
	fx *f = *state;
	sess s = { .fail_put = 1, .keep = 0 };
	upload u = {0};
	result res;
	start_upload(f, &u, &s, NULL, &res, 600 * 1024);
	if (!res.ok)
		fail_msg("%s", res.err.message);
	assert_holds(&s, &u);
	assert_int_equal(s.queries, 1);
	assert_int_equal(s.sent_at_zero, 2);
	upload_free(&u, &s, NULL, &res);
}

/* The last chunk was stored but its answer lost: the query's 200 completes it. */
static void test_query_reports_completion(void **state)
{
	fx *f = *state;
	sess s = { .fail_put = 2, .keep = CHUNK };
	upload u = {0};
	result res;
	start_upload(f, &u, &s, NULL, &res, 300 * 1024);
	if (!res.ok)
		fail_msg("%s", res.err.message);
	assert_holds(&s, &u);
	assert_int_equal(s.puts, 3);
	assert_string_equal(stj_str(res.json, "name"), "big.bin");
	upload_free(&u, &s, NULL, &res);
}

/* 410 on the second chunk: a new session, the whole object again, once. */
static void test_expired_session_restarts_once(void **state)
{
	fx *f = *state;
	sess s1 = { .gone_put = 2 }, s2 = {0};
	upload u = {0};
	result res;
	start_upload(f, &u, &s1, &s2, &res, 700 * 1024);
	if (!res.ok)
		fail_msg("%s", res.err.message);
	assert_holds(&s2, &u);
	assert_int_equal(fs_count(f->fs, "/upload/storage/v1/b/b/o"), 2);
	assert_int_equal(s2.sent_at_zero, 1);
	upload_free(&u, &s1, &s2, &res);
}

static void test_expired_twice_fails(void **state)
{
	fx *f = *state;
	sess s1 = { .gone_put = 1 }, s2 = { .gone_put = 2 };
	upload u = {0};
	result res;
	start_upload(f, &u, &s1, &s2, &res, 700 * 1024);
	assert_false(res.ok);
	assert_false(res.cancelled);
	assert_non_null(strstr(res.err.message, "upload of big.bin"));
	assert_non_null(strstr(res.err.message, "expired again"));
	assert_null(strchr(res.err.message, '\n'));
	assert_int_equal(fs_count(f->fs, "/upload/storage/v1/b/b/o"), 2);
	upload_free(&u, &s1, &s2, &res);
}

/* A refusal is final: no resume, and the message names the object on one line. */
static void test_refusal_is_final(void **state)
{
	fx *f = *state;
	sess s = { .deny_put = 2 };
	upload u = {0};
	result res;
	start_upload(f, &u, &s, NULL, &res, 700 * 1024);
	assert_false(res.ok);
	assert_int_equal(res.err.http, 403);
	assert_string_equal(res.err.status, "PERMISSION_DENIED");
	assert_string_equal(res.err.message, "upload of big.bin: key disabled");
	assert_int_equal(s.puts, 2);
	assert_int_equal(s.queries, 0);
	upload_free(&u, &s, NULL, &res);
}

/* A server that never keeps anything: the resumes are bounded. */
static void test_resumes_are_bounded(void **state)
{
	fx *f = *state;
	sess s = { .fail_always = true };
	upload u = {0};
	result res;
	start_upload(f, &u, &s, NULL, &res, 300 * 1024);
	assert_false(res.ok);
	assert_non_null(strstr(res.err.message, "upload of big.bin: gave up after 8 resume attempts"));
	assert_non_null(strstr(res.err.message, "backend busy"));
	assert_int_equal(s.puts - s.queries, 9);
	assert_int_equal(s.queries, 8);
	upload_free(&u, &s, NULL, &res);
}

/* A Range the upload cannot continue from is an error naming the object, not a guess. */
static void test_hostile_range(void **state)
{
	fx *f = *state;
	const char *bad[] = { "bytes=5-9", "bytes=0-99999999", "bytes=0-10x", "garbage" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		sess s = { .fail_put = 1, .range = bad[i] };
		upload u = {0};
		result res;
		teardown(state);
		setup(state);
		f = *state;
		start_upload(f, &u, &s, NULL, &res, 300 * 1024);
		assert_false(res.ok);
		assert_non_null(strstr(res.err.message, "upload of big.bin: unusable Range header"));
		upload_free(&u, &s, NULL, &res);
	}
}

/* Cancelling the owner while a resume waits on its timer ends the upload once. */
static void test_cancel_during_resume(void **state)
{
	fx *f = *state;
	sess s = { .fail_always = true };
	st_buf_init(&s.got);
	char *loc = st_xasprintf("Location: %s/upload/session/1", fs_url(f->fs));
	fs_reply start = { .status = 200, .header = loc, .body = "" };
	fs_on(f->fs, "POST", "/upload/storage/v1/b/b/o", 1, &start);
	fs_on_fn(f->fs, "PUT", "/upload/session/1", 0, sess_put, &s);
	static const char data[] = "0123456789";
	result res = {0};
	int pane;
	gcp_upload_spec spec = { .bucket = "b", .object = "big.bin", .data = data, .len = 10, .mode = "resumable" };
	assert_int_equal(gcp_gcs_upload(f->ctx, &f->ep, &spec, &pane, on_done, &res, NULL), 0);
	while (s.puts < 3 && !res.done)
		gcp_loop_run_until(f->ctx, NULL, 5);
	gcp_cancel_owner(f->ctx, &pane);
	assert_true(res.done && res.cancelled);
	assert_int_equal(gcp_pending(f->ctx), 0);
	st_buf_free(&s.got);
	free(loc);
}

/* ------------------------------------------------------------------ LRO deadlines */

static void test_compute_wait_deadline(void **state)
{
	fx *f = *state;
	const char *wait = "/compute/v1/projects/p/zones/z/operations/op-9/wait";
	fs_json(f->fs, "POST", wait, 0, 200,
		"{\"kind\":\"compute#operation\",\"name\":\"op-9\",\"status\":\"RUNNING\",\"zone\":\"x/zones/z\"}");
	json_t *op = json_pack("{s:s,s:s,s:s}", "name", "op-9", "status", "PENDING", "zone", "x/zones/z");
	result res = {0};
	assert_int_equal(gcp_lro_compute_for(f->ctx, &f->ep, "p", op, 1200, NULL, NULL, on_done, &res, NULL), 0);
	assert_int_equal(gcp_loop_run_until(f->ctx, &res.done, 20000), 0);
	assert_false(res.ok);
	assert_int_equal(res.err.code, 4);
	assert_true(st_starts_with(res.err.message, "operation op-9 still RUNNING after "));
	assert_non_null(strstr(res.err.message, " s"));
	/* The operation comes back so that the caller can wait on it again. */
	assert_string_equal(stj_str(res.json, "name"), "op-9");
	assert_true(fs_count(f->fs, wait) >= 1);
	/* The server is asked to hold each wait no longer than what is left. */
	fs_request *q = fs_get(f->fs, 0);
	assert_non_null(strstr(q->headers, "X-Server-Timeout: 2"));
	fs_request_free(q);
	/* Taking the wait up again with what came back. */
	fs_stop(f->fs);
	f->fs = fs_start();
	gcp_endpoints_free(&f->ep);
	gcp_endpoints_init(&f->ep);
	gcp_endpoints_all(&f->ep, fs_url(f->fs));
	fs_json(f->fs, "POST", wait, 0, 200,
		"{\"kind\":\"compute#operation\",\"name\":\"op-9\",\"status\":\"DONE\",\"zone\":\"x/zones/z\"}");
	result again = {0};
	assert_int_equal(gcp_lro_compute(f->ctx, &f->ep, "p", res.json, NULL, NULL, on_done, &again, NULL), 0);
	assert_int_equal(gcp_loop_run_until(f->ctx, &again.done, 20000), 0);
	assert_true(again.ok);
	json_decref(again.json);
	json_decref(res.json);
	json_decref(op);
}

static void test_google_wait_deadline(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/v1/operations/slow", 0, 200, "{\"name\":\"operations/slow\"}");
	json_t *op = json_pack("{s:s}", "name", "operations/slow");
	result res = {0};
	int64_t t0 = st_mono_ms();
	assert_int_equal(gcp_lro_google_for(f->ctx, &f->ep, GCP_API_SERVICEUSAGE, op, 1600, NULL, NULL, on_done, &res,
					    NULL), 0);
	assert_int_equal(gcp_loop_run_until(f->ctx, &res.done, 20000), 0);
	int64_t took = st_mono_ms() - t0;
	assert_false(res.ok);
	assert_int_equal(res.err.code, 4);
	assert_true(st_starts_with(res.err.message, "operation operations/slow still RUNNING after "));
	assert_string_equal(stj_str(res.json, "name"), "operations/slow");
	assert_true(took >= 1600 && took < 5000);
	/* 0.5 s, 1 s, then the rest: four polls, not a spin. */
	assert_true(fs_count(f->fs, "/v1/operations/slow") <= 5);
	json_decref(res.json);
	json_decref(op);
}

/* A 2xx whose body is not an Operation ends the wait with a clear error, never a crash. */
static void test_wait_reply_without_operation(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "POST", "/compute/v1/projects/p/zones/z/operations/op-x/wait", 0, 200, "[1,2,3]");
	fs_json(f->fs, "GET", "/v1/operations/odd", 0, 200, "[]");
	json_t *cop = json_pack("{s:s,s:s,s:s}", "name", "op-x", "status", "PENDING", "zone", "x/zones/z");
	json_t *gop = json_pack("{s:s}", "name", "operations/odd");
	result c = {0}, g = {0};
	assert_int_equal(gcp_lro_compute_for(f->ctx, &f->ep, "p", cop, 5000, NULL, NULL, on_done, &c, NULL), 0);
	assert_int_equal(gcp_lro_google_for(f->ctx, &f->ep, GCP_API_SERVICEUSAGE, gop, 5000, NULL, NULL, on_done, &g,
					    NULL), 0);
	assert_int_equal(gcp_loop_run_until(f->ctx, &c.done, 20000), 0);
	assert_int_equal(gcp_loop_run_until(f->ctx, &g.done, 20000), 0);
	assert_false(c.ok);
	assert_false(g.ok);
	assert_int_equal(c.err.code, 13);
	assert_string_equal(c.err.message, "operation wait returned no Operation");
	assert_string_equal(g.err.message, "operation poll returned no Operation");
	json_decref(c.json);
	json_decref(g.json);
	json_decref(cop);
	json_decref(gop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lost_answer_resumes_from_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_without_range_starts_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_reports_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_session_restarts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_twice_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_is_final, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resumes_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_during_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compute_wait_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_google_wait_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_reply_without_operation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
