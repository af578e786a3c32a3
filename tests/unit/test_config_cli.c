/* The sealtrain binary itself: --help, --version, `config check` and exit codes. */
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
#include "common/str.h"
#include "tests/support/sttest.h"

struct run {
	int rc;
	char *out, *err;
};

static char *dir;

/* Runs $ST_CONSOLE with args (NULL-terminated), with the config search pointed at an
 * empty directory so that the caller's own files never leak in. */
static struct run run_console(const char *const *args)
{
	const char *bin = getenv("ST_CONSOLE");
	if (!bin || !*bin)
		bin = "./sealtrain";
	char *outp = st_xasprintf("%s/out", dir), *errp = st_xasprintf("%s/err", dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
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
	r.out = st_read_file(outp, 1 << 20, NULL, err, sizeof err);
	r.err = st_read_file(errp, 1 << 20, NULL, err, sizeof err);
	assert_non_null(r.out);
	assert_non_null(r.err);
	free(outp);
	free(errp);
	return r;
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
	r = run_console((const char *[]){"--sandbox", "config", "check", NULL});
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "--sandbox-url"));
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
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
