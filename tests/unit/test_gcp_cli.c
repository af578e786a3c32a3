/* `sealtrain api` as an operator runs it, with endpoints and credentials from a
 * config file (not --sandbox-url) and a scripted server behind them: the config
 * adapter, path resolution per API, exit codes, and where output goes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/atomicfile.h"
#include "common/str.h"
#include "tests/support/fakeserver.h"
#include "tests/support/sttest.h"

typedef struct fx {
	fs_server *fs;
	char *dir, *cfg;
} fx;

static int setup(void **state)
{
	fx *f = st_xcalloc(1, sizeof *f);
	f->fs = fs_start();
	f->dir = st_test_tmpdir("gcp-cli");
	char *tok = st_xasprintf("%s/token", f->dir);
	st_test_write_file(tok, "ya29.cli-token\n");
	f->cfg = st_xasprintf("%s/sealtrain.yaml", f->dir);
	char *yaml = st_xasprintf("project: cli-project-1\nendpoints:\n  default: %s\ncredentials:\n  source: token-file\n  file: %s\n",
				  fs_url(f->fs), tok);
	st_test_write_file(f->cfg, yaml);
	free(yaml);
	free(tok);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	fs_stop(f->fs);
	st_test_rmtree(f->dir);
	free(f->dir);
	free(f->cfg);
	free(f);
	return 0;
}

/* Runs the console with extra global flags; stdout and stderr are kept apart. */
static int run_g(fx *f, const char *globals, const char *args, char **out, char **errout)
{
	const char *console = getenv("ST_CONSOLE");
	char *o = st_xasprintf("%s/out", f->dir), *e = st_xasprintf("%s/err", f->dir);
	char *cmd = st_xasprintf("HOME=%s XDG_STATE_HOME=%s %s --config %s %s api %s >%s 2>%s", f->dir, f->dir,
				 console ? console : "./sealtrain", f->cfg, globals, args, o, e);
	int st = system(cmd);
	char err[200];
	size_t len;
	*out = st_read_file(o, 1 << 20, &len, err, sizeof err);
	*errout = st_read_file(e, 1 << 20, &len, err, sizeof err);
	free(cmd);
	free(o);
	free(e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run(fx *f, const char *args, char **out, char **errout)
{
	return run_g(f, "", args, out, errout);
}

static void test_config_endpoints_and_token(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "GET", "/v1/projects/cli-project-1/locations/us-central1/keyRings", 0, 200, "{\"keyRings\":[]}");
	char *out, *err;
	assert_int_equal(run(f, "v1/projects/cli-project-1/locations/us-central1/keyRings", &out, &err), 0);
	assert_non_null(strstr(out, "\"keyRings\": []"));
	assert_string_equal(err, "");
	fs_request *q = fs_get(f->fs, 0);
	assert_string_equal(q->auth, "Bearer ya29.cli-token");
	fs_request_free(q);
	free(out);
	free(err);
}

static void test_error_goes_to_stderr(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "DELETE", "/storage/v1/b/full", 0, 409,
		"{\"error\":{\"code\":409,\"message\":\"The bucket you tried to delete is not empty.\",\"errors\":[{\"reason\":\"conflict\"}]}}");
	char *out, *err;
	assert_int_equal(run(f, "-X DELETE storage/v1/b/full", &out, &err), 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "HTTP 409 ABORTED: The bucket you tried to delete is not empty. (conflict)"));
	assert_non_null(strstr(err, "\"error\""));
	assert_null(strstr(err, "ya29.cli-token"));
	free(out);
	free(err);
}

static void test_compute_request_id_and_wait(void **state)
{
	fx *f = *state;
	fs_json(f->fs, "POST", "/compute/v1/projects/cli-project-1/zones/z/instances", 0, 200,
		"{\"kind\":\"compute#operation\",\"name\":\"op-9\",\"status\":\"RUNNING\",\"zone\":\"x/projects/cli-project-1/zones/z\","
		"\"selfLink\":\"http://h/compute/v1/projects/cli-project-1/zones/z/operations/op-9\"}");
	fs_json(f->fs, "POST", "/compute/v1/projects/cli-project-1/zones/z/operations/op-9/wait", 0, 200,
		"{\"kind\":\"compute#operation\",\"name\":\"op-9\",\"status\":\"DONE\"}");
	char *out, *err;
	assert_int_equal(run(f, "compute/v1/projects/cli-project-1/zones/z/instances --data '{\"name\":\"vm\"}' --wait", &out, &err), 0);
	assert_non_null(strstr(out, "\"status\": \"DONE\""));
	fs_request *q = fs_get(f->fs, 0);
	assert_string_equal(q->method, "POST");
	assert_non_null(strstr(q->query, "requestId="));
	fs_request_free(q);
	free(out);
	free(err);
	/* operations.wait is a POST that takes no requestId. */
	assert_int_equal(run(f, "-X POST compute/v1/projects/cli-project-1/zones/z/operations/op-9/wait", &out, &err), 0);
	q = fs_get(f->fs, fs_count(f->fs, NULL) - 1);
	assert_null(strstr(q->query, "requestId"));
	fs_request_free(q);
	free(out);
	free(err);
}

static void test_usage_errors(void **state)
{
	fx *f = *state;
	char *out, *err;
	assert_int_equal(run(f, "", &out, &err), 2);
	assert_non_null(strstr(err, "missing URL_OR_PATH"));
	free(out);
	free(err);
	assert_int_equal(run(f, "--data @/nonexistent/body.json v1/projects/p/serviceAccounts", &out, &err), 2);
	assert_non_null(strstr(err, "/nonexistent/body.json"));
	free(out);
	free(err);
	assert_int_equal(run(f, "--bogus x", &out, &err), 2);
	free(out);
	free(err);
	assert_int_equal(fs_count(f->fs, NULL), 0); /* nothing was sent for any of them */
}

static void test_bad_credentials_exit_3(void **state)
{
	fx *f = *state;
	char *yaml = st_xasprintf("project: cli-project-1\nendpoints:\n  default: %s\ncredentials:\n  source: service-account\n  file: %s/missing.json\n",
				  fs_url(f->fs), f->dir);
	st_test_write_file(f->cfg, yaml);
	free(yaml);
	char *out, *err;
	assert_int_equal(run(f, "v1/projects/cli-project-1/serviceAccounts", &out, &err), 3);
	assert_non_null(strstr(err, "missing.json"));
	free(out);
	free(err);
}

/* --paginate over compute's aggregatedList: every page's scopes are printed. */
static void test_paginate_aggregated(void **state)
{
	fx *f = *state;
	const char *path = "/compute/v1/projects/cli-project-1/aggregated/instances";
	fs_json(f->fs, "GET", path, 1, 200,
		"{\"items\":{\"zones/z-a\":{\"instances\":[{\"name\":\"vm-page1\"}]}},\"nextPageToken\":\"n1\"}");
	fs_json(f->fs, "GET", path, 1, 200,
		"{\"items\":{\"zones/z-b\":{\"instances\":[{\"name\":\"vm-page2\"}]}}}");
	char *out, *err;
	assert_int_equal(run(f, "compute/v1/projects/cli-project-1/aggregated/instances --paginate", &out, &err), 0);
	assert_non_null(strstr(out, "\"zones/z-a\""));
	assert_non_null(strstr(out, "vm-page1"));
	assert_non_null(strstr(out, "vm-page2"));
	assert_null(strstr(out, "nextPageToken"));
	assert_int_equal(fs_count(f->fs, path), 2);
	free(out);
	free(err);
}

/* Sandbox mode mints a key for a project: none given is a usage error (2) that
 * names both ways to give one, not a credentials failure (3), and nothing is sent. */
static void test_sandbox_without_project_exit_2(void **state)
{
	fx *f = *state;
	st_test_write_file(f->cfg, "region: us-central1\n");
	char *globals = st_xasprintf("--sandbox-url %s", fs_url(f->fs));
	char *out, *err;
	assert_int_equal(run_g(f, globals, "v1/projects/p/serviceAccounts", &out, &err), 2);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "--project"));
	assert_non_null(strstr(err, "project:"));
	assert_non_null(strchr(err, '\n'));
	assert_string_equal(strchr(err, '\n'), "\n"); /* one line */
	assert_int_equal(fs_count(f->fs, NULL), 0);
	free(out);
	free(err);
	free(globals);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_endpoints_and_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_goes_to_stderr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compute_request_id_and_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_credentials_exit_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sandbox_without_project_exit_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paginate_aggregated, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
