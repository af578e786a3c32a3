/* The sealtrain binary itself: --help, --version, `config check` (YAML and --json)
 * and exit codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/json.h"
#include "common/str.h"
#include "tests/support/sttest.h"

struct run {
	int rc;
	char *out, *err;
};

static char *dir;

/* Runs $ST_CONSOLE with args (NULL-terminated), with the config search pointed at an
 * empty directory so that the caller's own files never leak in. */
static struct run run_console_to(const char *const *args, const char *stdout_path)
{
	const char *bin = getenv("ST_CONSOLE");
	if (!bin || !*bin)
		bin = "./sealtrain";
	char *outp = st_xasprintf("%s/out", dir), *errp = st_xasprintf("%s/err", dir);
	const char *to = stdout_path ? stdout_path : outp;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		unsetenv("SEALTRAIN_CONFIG");
		setenv("XDG_CONFIG_HOME", dir, 1);
		const char *argv[16] = {bin};
		for (size_t i = 0; args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	struct run r = {WEXITSTATUS(status), NULL, NULL};
	char err[256];
	r.out = stdout_path ? st_xstrdup("") : st_read_file(outp, 1 << 20, NULL, err, sizeof err);
	r.err = st_read_file(errp, 1 << 20, NULL, err, sizeof err);
	assert_non_null(r.out);
	assert_non_null(r.err);
	free(outp);
	free(errp);
	return r;
}

static struct run run_console(const char *const *args)
{
	return run_console_to(args, NULL);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void t_version_help(void **state)
{
	(void)state;
	struct run r = run_console((const char *[]){"--version", NULL});
	assert_int_equal(r.rc, 0);
	assert_true(st_starts_with(r.out, "sealtrain "));
	run_free(&r);
	r = run_console((const char *[]){"--help", NULL});
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "--config FILE"));
	assert_non_null(strstr(r.out, "config "));
	run_free(&r);
}

static void t_usage_errors(void **state)
{
	(void)state;
	struct run r = run_console((const char *[]){NULL});
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "usage: sealtrain"));
	run_free(&r);
	r = run_console((const char *[]){"--frobnicate", NULL});
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "sealtrain: unknown flag --frobnicate (see sealtrain --help)\n");
	run_free(&r);
	r = run_console((const char *[]){"launch\x1b[2J", NULL});
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "sealtrain: unknown command \"launch?[2J\" (see sealtrain --help)\n");
	run_free(&r);
	r = run_console((const char *[]){"--config", NULL});
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "sealtrain: --config needs a value\n");
	run_free(&r);
	r = run_console((const char *[]){"config", "lint", NULL});
	assert_int_equal(r.rc, 2);
	assert_true(st_starts_with(r.err, "sealtrain config: unknown subcommand \"lint\"\n"));
	run_free(&r);
	/* --sandbox starts a sandbox, --sandbox-url names a running one: not both. */
	r = run_console((const char *[]){"--sandbox", "--sandbox-url", "http://127.0.0.1:9", "config", "check", NULL});
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "sealtrain: --sandbox and --sandbox-url cannot be used together: "
				   "--sandbox starts its own sandbox, --sandbox-url uses a running one\n");
	run_free(&r);
	r = run_console((const char *[]){"--sandbox-url=http://127.0.0.1:9", "--sandbox", "config", "check", NULL});
	assert_int_equal(r.rc, 2);
	run_free(&r);
	r = run_console((const char *[]){"config", "check", "--yaml", NULL});
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "sealtrain config check: unknown option --yaml\n");
	run_free(&r);
}

static void t_check_defaults(void **state)
{
	(void)state;
	struct run r = run_console((const char *[]){"config", "check", NULL});
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_true(st_starts_with(r.out, "# effective configuration from built-in defaults\n"));
	assert_non_null(strstr(r.out, "  machine_type: \"a3-highgpu-1g\"\n"));
	assert_non_null(strstr(r.out, "  confidential_type: \"TDX\"\n"));
	run_free(&r);
}

static void t_check_broken(void **state)
{
	(void)state;
	char *p = st_xasprintf("%s/broken.yaml", dir);
	st_test_write_file(p, "project: my-project-1\ncompute:\n  accelerator_count: many\n");
	struct run r = run_console((const char *[]){"config", "check", p, NULL});
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	char *want = st_xasprintf("%s:3:22: compute.accelerator_count: expected an integer, got \"many\"\n", p);
	assert_string_equal(r.err, want);
	free(want);
	run_free(&r);
	/* The same file through --config. */
	r = run_console((const char *[]){"--config", p, "config", "check", NULL});
	assert_int_equal(r.rc, 2);
	assert_true(st_starts_with(r.err, p));
	run_free(&r);
	free(p);
}

static void t_check_flags_applied(void **state)
{
	(void)state;
	char *p = st_xasprintf("%s/ok.yaml", dir);
	st_test_write_file(p, "project: from-file-1\n");
	struct run r = run_console((const char *[]){"--project", "from-flag-1", "--sandbox-url=http://127.0.0.1:9/",
						    "config", "check", p, NULL});
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "project: \"from-flag-1\"\n"));
	assert_non_null(strstr(r.out, "  default: \"http://127.0.0.1:9\"\n"));
	assert_non_null(strstr(r.out, "  metadata: null  # uses http://127.0.0.1:9\n"));
	run_free(&r);
	r = run_console((const char *[]){"--project", "X", "config", "check", p, NULL});
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "sealtrain: --project: not a valid project id: is 1 character long (expected 6 to 30)\n");
	run_free(&r);
	free(p);
}

/* Parses the whole of stdout as one JSON value (so nothing else may be printed there). */
static json_t *parse_out(const struct run *r)
{
	char err[200];
	json_t *j = stj_parse(r->out, strlen(r->out), 1 << 20, err, sizeof err);
	if (!j)
		fail_msg("stdout is not one JSON value (%s): %s", err, r->out);
	assert_true(json_is_object(j));
	return j;
}

/* NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR, the C1 CSI and U+FFFF in a value (NEL
 * found by fuzz_config_json): the YAML dump used to print them raw; a YAML reader takes
 * the first three as line breaks (the dump read back with spaces in their place) and
 * refuses the last two. They are now written as \u escapes and the dump reads back to
 * the same value. */
static void t_check_dump_reads_back(void **state)
{
	(void)state;
	/* Noncharacters are allowed in a value but libyaml refuses them raw, so the dump must
	 * escape them to read back. */
	static const char want[] = "a\xef\xbf\xbe" "b\xef\xbf\xbf" "f";
	char *p = st_xasprintf("%s/breaks.yaml", dir), *dump = st_xasprintf("%s/dump.yaml", dir);
	st_test_write_file(p, "names:\n  job: \"a\\uFFFEb\\uFFFFf\"\n");
	struct run r = run_console((const char *[]){"config", "check", p, NULL});
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "  job: \"a\\ufffeb\\uffff" "f\"\n"));
	st_test_write_file(dump, r.out);
	run_free(&r);
	r = run_console((const char *[]){"config", "check", "--json", dump, NULL});
	assert_int_equal(r.rc, 0);
	json_t *j = parse_out(&r);
	assert_string_equal(stj_str(j, "names.job"), want);
	json_decref(j);
	run_free(&r);
	/* Characters that break lines or act as terminal controls (NEL, U+2028, U+2029, C1) are
	 * refused at load, so they never reach a dump or the screen. */
	static const char *const refused[] = {"\\N", "\\L", "\\P", "\\u009b"};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		char *body = st_xasprintf("names:\n  job: \"a%sb\"\n", refused[i]);
		st_test_write_file(p, body);
		free(body);
		r = run_console((const char *[]){"config", "check", p, NULL});
		assert_int_equal(r.rc, 2);
		assert_non_null(strstr(r.err, "names.job: \"a?b\" must not contain control characters"));
		run_free(&r);
	}
	free(p);
	free(dump);
}

static void t_json_defaults(void **state)
{
	(void)state;
	struct run r = run_console((const char *[]){"config", "check", "--json", NULL});
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	json_t *j = parse_out(&r);
	assert_string_equal(stj_str(j, "source"), "built-in defaults");
	assert_true(json_is_null(stj_get(j, "project")));
	assert_string_equal(stj_str(j, "compute.machine_type"), "a3-highgpu-1g");
	assert_string_equal(stj_str(j, "compute.confidential_type"), "TDX");
	assert_string_equal(stj_str(j, "compute.provisioning"), "flex-start");
	/* Durations are strings in seconds, numbers are JSON numbers. */
	assert_string_equal(stj_str(j, "compute.max_run_duration"), "86400s");
	assert_string_equal(stj_str(j, "kms.rotation_period"), "2592000s");
	assert_true(json_is_integer(stj_get(j, "compute.accelerator_count")));
	assert_int_equal(json_integer_value(stj_get(j, "compute.accelerator_count")), 1);
	assert_int_equal(json_integer_value(stj_get(j, "training.seed")), 42);
	assert_int_equal(json_integer_value(stj_get(j, "bucket.coldline_days")), 90);
	assert_true(json_is_real(stj_get(j, "training.test_size")));
	assert_true(json_real_value(stj_get(j, "training.test_size")) == 0.2);
	assert_non_null(strstr(r.out, "\"test_size\": 0.2,"));
	assert_true(json_is_true(stj_get(j, "bucket.versioning")));
	assert_true(json_is_null(stj_get(j, "endpoints.cloudkms")));
	assert_true(json_is_null(stj_get(j, "endpoints.ca_file")));
	assert_string_equal(stj_str(j, "endpoints_used.cloudkms"), "https://cloudkms.googleapis.com");
	assert_string_equal(stj_str(j, "credentials.source"), "auto");
	assert_string_equal(stj_str(j, "ui.color"), "auto");
	/* The global --json asks for the same output. */
	struct run g = run_console((const char *[]){"--json", "config", "check", NULL});
	assert_int_equal(g.rc, 0);
	assert_string_equal(g.out, r.out);
	run_free(&g);
	json_decref(j);
	run_free(&r);
}

/* Every key of the fixture that differs from the defaults comes out as JSON of its type. */
static void t_json_full_fixture(void **state)
{
	(void)state;
	char *p = st_test_srcpath("tests/fixtures/config/full.yaml");
	struct run r = run_console((const char *[]){"--sandbox-url", "http://127.0.0.1:7/", "config", "check",
						    "--json", p, NULL});
	assert_int_equal(r.rc, 0);
	json_t *j = parse_out(&r);
	assert_string_equal(stj_str(j, "source"), p);
	assert_string_equal(stj_str(j, "project"), "sealtrain-test-42");
	assert_string_equal(stj_str(j, "names.job"), "Training run {suffix}");
	assert_true(json_is_null(stj_get(j, "compute.max_run_duration")));
	assert_string_equal(stj_str(j, "kms.rotation_period"), "7776000s");
	assert_true(json_is_false(stj_get(j, "bucket.versioning")));
	assert_int_equal(json_integer_value(stj_get(j, "bucket.nearline_days")), 0);
	assert_true(json_real_value(stj_get(j, "training.test_size")) == 0.25);
	assert_string_equal(stj_str(j, "training.max_features"), "0.5");
	assert_string_equal(stj_str(j, "credentials.source"), "service-account");
	assert_string_equal(stj_str(j, "credentials.file"), "/etc/sealtrain/key.json");
	assert_true(json_is_true(stj_get(j, "ui.ascii")));
	assert_int_equal(json_integer_value(stj_get(j, "ui.log_lines")), 5000);
	/* --sandbox-url replaced every override, as in the YAML dump. */
	assert_string_equal(stj_str(j, "endpoints.default"), "http://127.0.0.1:7");
	assert_true(json_is_null(stj_get(j, "endpoints.aiplatform")));
	assert_string_equal(stj_str(j, "endpoints_used.metadata"), "http://127.0.0.1:7");
	json_decref(j);
	run_free(&r);
	free(p);
}

/* The broken fixture: exactly these error objects on stdout, the human lines on stderr. */
static void t_json_typo_errors(void **state)
{
	(void)state;
	char *p = st_test_srcpath("tests/fixtures/config/typo.yaml");
	struct run r = run_console((const char *[]){"config", "check", "--json", p, NULL});
	assert_int_equal(r.rc, 2);
	json_t *j = parse_out(&r);
	json_t *want = json_pack(
		"{s:[{s:s,s:i,s:i,s:s,s:s},{s:s,s:i,s:i,s:s,s:s},{s:s,s:i,s:i,s:s,s:s},"
		"{s:s,s:i,s:i,s:s,s:s},{s:s,s:i,s:i,s:s,s:s}]}", "errors",
		"file", p, "line", 3, "column", 3, "path", "compute.machine_typ",
		"message", "unknown key \"machine_typ\"; did you mean \"machine_type\"?",
		"file", p, "line", 4, "column", 22, "path", "compute.accelerator_count",
		"message", "0 is out of range (expected 1 to 16)",
		"file", p, "line", 5, "column", 17, "path", "compute.provisioning",
		"message", "\"flex_start\" is not one of reservation, flex-start, spot; did you mean \"flex-start\"?",
		"file", p, "line", 7, "column", 15, "path", "bucket.versioning",
		"message", "expected true or false, got \"maybe\"",
		"file", p, "line", 9, "column", 11, "path", "names.bucket",
		"message", "\"Google-Data\" is not a valid bucket name: character 'G' is not allowed "
			   "(only a-z, 0-9, '-', '_' and '.')");
	assert_non_null(want);
	if (!json_equal(j, want))
		fail_msg("unexpected errors: %s", r.out);
	char *first = st_xasprintf("%s:3:3: compute.machine_typ: unknown key", p);
	assert_true(st_starts_with(r.err, first));
	free(first);
	json_decref(want);
	json_decref(j);
	run_free(&r);
	free(p);
}

/* Problems without a place in a file: a bad flag value, a file that is not there (named
 * with bytes that are not UTF-8, which must not cost the object its "file"). */
static void t_json_errors_without_position(void **state)
{
	(void)state;
	struct run r = run_console((const char *[]){"--json", "--project", "X", "config", "check", NULL});
	assert_int_equal(r.rc, 2);
	json_t *j = parse_out(&r);
	json_t *want = json_pack("{s:[{s:n,s:n,s:n,s:s,s:s}]}", "errors", "file", "line", "column", "path",
				 "--project", "message", "not a valid project id: is 1 character long (expected 6 to 30)");
	assert_true(json_equal(j, want));
	assert_string_equal(r.err, "sealtrain: --project: not a valid project id: is 1 character long (expected 6 to 30)\n");
	json_decref(want);
	json_decref(j);
	run_free(&r);
	char *p = st_xasprintf("%s/no\xffsuch.yaml", dir);
	r = run_console((const char *[]){"config", "check", "--json", p, NULL});
	assert_int_equal(r.rc, 2);
	j = parse_out(&r);
	const char *file = stj_str(j, "errors.0.file");
	assert_non_null(file);
	assert_non_null(strstr(file, "/no?such.yaml"));
	assert_true(json_is_null(stj_get(j, "errors.0.line")));
	assert_non_null(stj_str(j, "errors.0.message"));
	assert_null(stj_get(j, "errors.1"));
	json_decref(j);
	run_free(&r);
	free(p);
}

/* The credentials file's path is shown, never what is inside it, in either outcome. */
static void t_json_no_secrets(void **state)
{
	(void)state;
	static const char token[] = "ya29.a0-SECRET-token-never-printed";
	static const char pem[] = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC-secret";
	char *tok = st_xasprintf("%s/token.txt", dir), *key = st_xasprintf("%s/key.json", dir);
	char *body = st_xasprintf("%s\n", token);
	st_test_write_file(tok, body);
	free(body);
	/* The armour is split so no source line reads as a tracked key; the body is not a key. */
	body = st_xasprintf("{\"type\":\"service_account\",\"private_key\":\"-----BEGIN " "PRIVATE KEY-----\\n%s\\n"
			    "-----END " "PRIVATE KEY-----\\n\"}\n", pem);
	st_test_write_file(key, body);
	free(body);
	char *ok = st_xasprintf("%s/tok.yaml", dir), *bad = st_xasprintf("%s/key.yaml", dir);
	body = st_xasprintf("project: secret-check-1\ncredentials:\n  source: token-file\n  file: %s\n", tok);
	st_test_write_file(ok, body);
	free(body);
	body = st_xasprintf("project: secret-check-1\ncredentials:\n  source: service-account\n  file: %s\n"
			    "ui:\n  colour: never\n", key);
	st_test_write_file(bad, body);
	free(body);
	struct run r = run_console((const char *[]){"config", "check", "--json", ok, NULL});
	assert_int_equal(r.rc, 0);
	json_t *j = parse_out(&r);
	assert_string_equal(stj_str(j, "credentials.file"), tok);
	assert_null(strstr(r.out, token));
	assert_null(strstr(r.err, token));
	json_decref(j);
	run_free(&r);
	r = run_console((const char *[]){"config", "check", "--json", bad, NULL});
	assert_int_equal(r.rc, 2);
	j = parse_out(&r);
	assert_string_equal(stj_str(j, "errors.0.path"), "ui.colour");
	assert_null(strstr(r.out, pem));
	assert_null(strstr(r.err, pem));
	assert_null(strstr(r.out, "PRIVATE KEY"));
	json_decref(j);
	run_free(&r);
	free(ok);
	free(bad);
	free(tok);
	free(key);
}

/* A full disk under stdout is reported, not taken for success. */
static void t_json_write_failure(void **state)
{
	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	struct run r = run_console_to((const char *[]){"config", "check", "--json", NULL}, "/dev/full");
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "sealtrain config check: cannot write to standard output\n");
	run_free(&r);
	r = run_console_to((const char *[]){"config", "check", NULL}, "/dev/full");
	assert_int_equal(r.rc, 1);
	run_free(&r);
}

static int setup(void **state)
{
	(void)state;
	dir = st_test_tmpdir("cfgcli");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	st_test_rmtree(dir);
	free(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_version_help),
		cmocka_unit_test(t_usage_errors),
		cmocka_unit_test(t_check_defaults),
		cmocka_unit_test(t_check_broken),
		cmocka_unit_test(t_check_flags_applied),
		cmocka_unit_test(t_check_dump_reads_back),
		cmocka_unit_test(t_json_defaults),
		cmocka_unit_test(t_json_full_fixture),
		cmocka_unit_test(t_json_typo_errors),
		cmocka_unit_test(t_json_errors_without_position),
		cmocka_unit_test(t_json_no_secrets),
		cmocka_unit_test(t_json_write_failure),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
