/* `sealtrain api [-X METHOD] URL_OR_PATH [--data JSON|@file] [--paginate] [--wait [--timeout S]]`
 *
 * Same auth, retries, requestId and LRO handling as the modules; the JSON answer on
 * stdout, the google.rpc error on stderr. Exit: 0 ok, 1 the request failed, 2 usage or
 * config error, 3 no usable credentials. */
#include "gcp/cmd_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "gcp/auth.h"
#include "gcp/cfg.h"
#include "gcp/gcp.h"
#include "gcp/internal.h"
#include "gcp/lro.h"

typedef struct api_args {
	const char *method;
	const char *target;
	const char *data;
	bool paginate, wait;
	int64_t timeout_s;     /* --timeout; 0: the LRO helpers' default */
} api_args;

typedef struct run {
	bool verbose;
	gcp_ctx *ctx;
	gcp_endpoints ep;
	bool done;
	bool wait;
	int64_t timeout_ms;
	char *resume_url;      /* where to GET the operation again after a timeout */
	int rc;
	char *url;
	char *project;
} run;

static void usage(FILE *f)
{
	fputs("usage: sealtrain api [-X METHOD] URL_OR_PATH [--data JSON|@FILE] [--paginate] [--wait [--timeout S]]\n"
	      "  URL_OR_PATH  a full URL, or a path resolved against the API's endpoint, e.g.\n"
	      "               compute/v1/projects/P/zones/Z/instances, storage/v1/b/B/o,\n"
	      "               or HOST/PATH such as cloudkms.googleapis.com/v1/projects/P/...\n"
	      "  -X METHOD    GET (default; POST when --data is given), POST, PUT, PATCH, DELETE\n"
	      "  --data JSON  request body, or @FILE to read it from a file\n"
	      "  --paginate   follow nextPageToken and merge every page\n"
	      "  --wait       when the answer is a long-running operation, wait until it is done\n"
	      "  --timeout S  with --wait: give up waiting after S seconds (default 1800); the\n"
	      "               operation is printed so that the wait can be taken up again\n", f);
}

/* Whole seconds, 1 to 7 days: a week covers any wait a console should sit through. */
static int parse_timeout(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > 7 * 86400) {
		char c[64];
		st_sanitize_text(c, sizeof c, v);
		fprintf(stderr, "sealtrain api: --timeout %s: expected whole seconds from 1 to 604800\n", c);
		return -1;
	}
	*out = n;
	return 0;
}

static int parse_args(int argc, char **argv, api_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if ((!strcmp(s, "-X") || !strcmp(s, "--method")) && i + 1 < argc)
			a->method = argv[++i];
		else if (!strcmp(s, "--data") && i + 1 < argc)
			a->data = argv[++i];
		else if (!strcmp(s, "--paginate"))
			a->paginate = true;
		else if (!strcmp(s, "--wait"))
			a->wait = true;
		else if (!strcmp(s, "--timeout") && i + 1 < argc) {
			if (parse_timeout(argv[++i], &a->timeout_s) != 0)
				return -1;
		}
		else if (!strcmp(s, "-h") || !strcmp(s, "--help"))
			return 1;
		else if (s[0] == '-' && s[1]) {
			char c[64];
			st_sanitize_text(c, sizeof c, s);
			fprintf(stderr, "sealtrain api: unknown or incomplete option %s\n", c);
			return -1;
		} else if (!a->target)
			a->target = s;
		else {
			fprintf(stderr, "sealtrain api: more than one URL or path given\n");
			return -1;
		}
	}
	if (!a->target) {
		fprintf(stderr, "sealtrain api: missing URL_OR_PATH\n");
		return -1;
	}
	if (a->timeout_s && !a->wait) {
		fprintf(stderr, "sealtrain api: --timeout only applies with --wait\n");
		return -1;
	}
	if (!a->method)
		a->method = a->data ? "POST" : "GET";
	return 0;
}

/* The body: inline JSON or @file, checked to be JSON before anything is sent. */
static char *load_body(const char *data, int *rc)
{
	char err[300];
	size_t len;
	char *text = data[0] == '@' ? st_read_file(data + 1, 64u << 20, &len, err, sizeof err) : st_xstrdup(data);
	if (!text) {
		fprintf(stderr, "sealtrain api: --data: %s\n", err);
		*rc = ST_EXIT_USAGE;
		return NULL;
	}
	len = strlen(text);
	json_t *j = stj_parse(text, len, 64u << 20, err, sizeof err);
	if (!j) {
		fprintf(stderr, "sealtrain api: --data%s%s is not JSON: %s\n", data[0] == '@' ? " " : "",
			data[0] == '@' ? data + 1 : "", err);
		free(text);
		*rc = ST_EXIT_USAGE;
		return NULL;
	}
	json_decref(j);
	return text;
}

static void print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
	}
	free(s);
}

static void print_error(run *r, const gcp_resp *resp)
{
	char line[1200];
	gcp_error_format(&resp->err, line, sizeof line);
	fprintf(stderr, "sealtrain api: %s%s%s%s\n", line, resp->err.where[0] ? " [" : "", resp->err.where,
		resp->err.where[0] ? "]" : "");
	json_t *env = json_is_object(stj_get(resp->json, "error")) ? json_incref(resp->json) : gcp_error_to_json(&resp->err);
	char *s = json_dumps(env, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		fprintf(stderr, "%s\n", s);
	free(s);
	json_decref(env);
	/* A token that could not be had is an auth problem, not a failed request. */
	bool auth = resp->err.code == 16 && resp->http == 0;
	r->rc = auth ? ST_EXIT_AUTH : ST_EXIT_FAIL;
}

/* A wait that ran out of time: the operation goes to stdout as it last stood, and
 * stderr says how to take the wait up again. */
static bool report_timeout(run *r, const gcp_resp *resp)
{
	if (resp->ok || resp->cancelled || resp->err.code != 4 || !r->wait || !json_is_object(resp->json) ||
	    !stj_str(resp->json, "name"))
		return false;
	char safe[700];
	st_sanitize_text(safe, sizeof safe, resp->err.message);
	fprintf(stderr, "sealtrain api: %s\n", safe);
	if (r->resume_url) {
		st_sanitize_text(safe, sizeof safe, r->resume_url);
		fprintf(stderr, "sealtrain api: to wait again: sealtrain api --wait %s\n", safe);
	}
	print_json(resp->json);
	r->rc = ST_EXIT_FAIL;
	return true;
}

/* For --verbose, so that an operator (and the TLS test) can see what was negotiated. */
static const char *version_name(int v)
{
	switch (v) {
	case 10:
		return "HTTP/1.0";
	case 11:
		return "HTTP/1.1";
	case 20:
		return "HTTP/2";
	case 30:
		return "HTTP/3";
	default:
		return "";
	}
}

static void finish(run *r, const gcp_resp *resp)
{
	if (r->verbose)
		fprintf(stderr, "sealtrain api: HTTP %ld%s%s after %d attempt%s\n", resp->http,
			resp->http_version ? " over " : "", version_name(resp->http_version), resp->attempts,
			resp->attempts == 1 ? "" : "s");
	if (resp->ok) {
		if (resp->json)
			print_json(resp->json);
		else if (resp->body_len)
			fwrite(resp->body, 1, resp->body_len, stdout);
		r->rc = ST_EXIT_OK;
	} else if (!report_timeout(r, resp)) {
		print_error(r, resp);
	}
	r->done = true;
}

static void on_final(gcp_ctx *ctx, const gcp_resp *resp, void *user)
{
	(void)ctx;
	finish(user, resp);
}

static void lro_progress(void *user, const json_t *op)
{
	(void)user;
	const char *st = stj_str(op, "status");
	if (st)
		fprintf(stderr, "sealtrain api: operation %s\n", st);
}

static bool start_wait(run *r, const gcp_resp *resp)
{
	gcp_error e;
	const json_t *j = resp->json;
	const char *kind = stj_str(j, "kind");
	if (kind && strcmp(kind, "compute#operation") == 0) {
		char *proj = gcp_name_part(stj_str(j, "selfLink"), "projects");
		if (!proj)
			proj = gcp_name_part(r->url, "projects");
		const char *self = stj_str(j, "selfLink");
		if (self && (st_starts_with(self, "https://") || st_starts_with(self, "http://")))
			r->resume_url = st_xstrdup(self);
		int rc = gcp_lro_compute_for(r->ctx, &r->ep, proj ? proj : (r->project ? r->project : ""), j,
					     r->timeout_ms, NULL, lro_progress, on_final, r, &e);
		free(proj);
		if (rc == 0)
			return true;
	} else if (stj_str(j, "name") && (json_object_get(j, "done") || st_starts_with(stj_str(j, "name"), "operations/") ||
					 strstr(stj_str(j, "name"), "/operations/"))) {
		/* proto3 JSON leaves "done" out while it is false. */
		int api = gcp_api_of_url(r->url);
		if (strstr(stj_str(j, "name"), "/locations/") && api != GCP_API_SERVICEUSAGE)
			api = GCP_API_AIPLATFORM;
		if (api < 0)
			api = GCP_API_SERVICEUSAGE;
		r->resume_url = gcp_lro_google_url(&r->ep, (enum gcp_api)api, stj_str(j, "name"));
		if (gcp_lro_google_for(r->ctx, &r->ep, (enum gcp_api)api, j, r->timeout_ms, NULL, NULL, on_final, r,
				       &e) == 0)
			return true;
	} else {
		return false;
	}
	gcp_resp bad = *resp;
	bad.ok = false;
	bad.err = e;
	print_error(r, &bad);
	r->done = true;
	return true;
}

/* The first answer came back raw (it may be text: serial output, object media);
 * JSON after all is parsed here so that it prints as JSON and --wait can read it. */
static void on_first(gcp_ctx *ctx, const gcp_resp *resp, void *user)
{
	run *r = user;
	char perr[100];
	(void)ctx;
	gcp_resp copy = *resp;
	json_t *j = NULL;
	if (resp->ok && !resp->json && resp->body_len)
		j = stj_parse(resp->body, resp->body_len, 64u << 20, perr, sizeof perr);
	if (j)
		copy.json = j;
	if (copy.ok && r->wait && json_is_object(copy.json) && start_wait(r, &copy)) {
		json_decref(j);
		return;
	}
	finish(r, &copy);
	json_decref(j);
}

/* Compute methods that change something take a requestId; operations.wait is a POST
 * that changes nothing and does not accept one. */
static bool is_compute_mutation(const char *url, const char *method)
{
	const char *q = strchr(url, '?');
	size_t n = q ? (size_t)(q - url) : strlen(url);
	bool wait = n >= 5 && strncmp(url + n - 5, "/wait", 5) == 0;
	return strstr(url, "/compute/v1/") && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && !wait &&
	       !strstr(url, "requestId=");
}

static int send_it(run *r, const api_args *a, const char *body)
{
	gcp_error e;
	if (is_compute_mutation(r->url, a->method)) {
		char id[37];
		st_uuid4(id);
		char *u = st_xasprintf("%s%crequestId=%s", r->url, strchr(r->url, '?') ? '&' : '?', id);
		free(r->url);
		r->url = u;
	}
	if (a->paginate) {
		gcp_rq *rq = st_xcalloc(1, sizeof *rq);
		rq->method = st_xstrdup(a->method);
		rq->url = st_xstrdup(r->url);
		if (body) {
			char perr[100];
			rq->body = stj_parse(body, strlen(body), 64u << 20, perr, sizeof perr);
		}
		return gcp_page_all(r->ctx, rq, 0, NULL, on_final, r, &e) == 0 ? 0 : (fprintf(stderr, "sealtrain api: %s\n", e.message), -1);
	}
	gcp_req q;
	memset(&q, 0, sizeof q);
	q.method = a->method;
	q.url = r->url;
	q.body = body;
	q.flags = GCP_RAW_BODY;
	if (gcp_send(r->ctx, &q, on_first, r, &e) != 0) {
		fprintf(stderr, "sealtrain api: %s\n", e.message);
		return -1;
	}
	return 0;
}

/* Raw answers that are JSON after all are printed as JSON. */
/* Endpoints, URL and credentials from the config; on failure prints why and returns
 * the exit code (r->ep is freed again then). */
static int prepare(const struct st_globals *g, const st_config *c, const api_args *a, run *r, gcp_auth **auth)
{
	char err[400];
	gcp_auth_opts ao;
	if (gcp_from_config(c, g->sandbox_url, &r->ep, &ao, err, sizeof err) != 0) {
		fprintf(stderr, "sealtrain api: %s\n", err);
		return ST_EXIT_USAGE;
	}
	ao.sandbox_id = g->sandbox_state;
	r->url = gcp_resolve_path(&r->ep, a->target, err, sizeof err);
	if (!r->url) {
		fprintf(stderr, "sealtrain api: %s\n", err);
		gcp_endpoints_free(&r->ep);
		return ST_EXIT_USAGE;
	}
	*auth = gcp_auth_new(&ao, err, sizeof err);
	if (!*auth) {
		fprintf(stderr, "sealtrain api: %s\n", err);
		free(r->url);
		r->url = NULL;
		gcp_endpoints_free(&r->ep);
		return ST_EXIT_AUTH;
	}
	if (g->verbose) {
		char safe[600];
		st_sanitize_text(safe, sizeof safe, r->url);
		fprintf(stderr, "sealtrain api: %s %s\nsealtrain api: credentials: %s\n", a->method, safe,
			gcp_auth_describe(*auth));
	}
	return ST_EXIT_OK;
}

static int execute(run *r, const api_args *a, const char *body)
{
	if (send_it(r, a, body) != 0)
		return ST_EXIT_USAGE;
	gcp_loop_run_until(r->ctx, &r->done, 0);
	return r->done ? r->rc : ST_EXIT_FAIL;
}

int gcp_cmd_api(const struct st_globals *g, int argc, char **argv)
{
	api_args a;
	int rc = parse_args(argc, argv, &a);
	if (rc != 0) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? ST_EXIT_OK : ST_EXIT_USAGE;
	}
	st_config *c = NULL;
	if (st_globals_config(g, &c) != ST_EXIT_OK)
		return ST_EXIT_USAGE;
	char *body = NULL;
	run r;
	gcp_auth *auth = NULL;
	memset(&r, 0, sizeof r);
	rc = ST_EXIT_OK;
	if (a.data && !(body = load_body(a.data, &rc))) {
		st_config_free(c);
		return rc;
	}
	rc = prepare(g, c, &a, &r, &auth);
	if (rc == ST_EXIT_OK) {
		r.verbose = g->verbose;
		r.wait = a.wait;
		r.timeout_ms = a.timeout_s * 1000;
		r.project = c->project ? st_xstrdup(c->project) : NULL;
		r.rc = ST_EXIT_FAIL;
		gcp_opts o;
		gcp_opts_from_config(c, &o);
		r.ctx = gcp_new(&o, auth);
		rc = execute(&r, &a, body);
		gcp_free(r.ctx);
		free(r.project);
		free(r.url);
		free(r.resume_url);
		gcp_endpoints_free(&r.ep);
	}
	if (body) {
		memset(body, 0, strlen(body));
		free(body);
	}
	st_config_free(c);
	if (fflush(stdout) != 0 && rc == ST_EXIT_OK)
		rc = ST_EXIT_FAIL;
	return rc;
}
