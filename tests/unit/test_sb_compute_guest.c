/* The guest runner on its own: exit codes, the exact environment, output capture,
 * killing a whole process group, and failures to start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/str.h"
#include "sandbox/guest.h"
#include "tests/support/sttest.h"

static int wait_exit(pid_t pid)
{
	struct timespec ts = {0, 20 * 1000000L};
	int code = -1, i;

	for (i = 0; i < 500; i++) {
		if (guest_poll(pid, &code) == 1)
			return code;
		nanosleep(&ts, NULL);
	}
	fail_msg("child %d did not exit", (int)pid);
	return -1;
}

static char *all_output(const char *path)
{
	long long off = 0;
	size_t n;
	char *b = guest_read_new(path, &off, 1 << 20, &n);

	return b ? b : st_xstrdup("");
}

static void exit_code_env_and_output(void **state)
{
	char *dir = st_test_tmpdir("guest"), *out = st_xasprintf("%s/out", dir), err[128], *o;
	char *argv[] = {(char *)"/bin/sh", (char *)"-c",
			(char *)"echo foo=$FOO; echo home=$HOME; echo err >&2; exit 3", NULL};
	char *env[] = {(char *)"FOO=bar", (char *)"HOME=/nowhere", NULL};
	pid_t pid = guest_spawn(dir, argv, env, out, err, sizeof(err));
	long long off;
	size_t n;

	assert_true(pid > 0);
	assert_int_equal(wait_exit(pid), 3);
	o = all_output(out);
	assert_non_null(strstr(o, "foo=bar\n"));
	assert_non_null(strstr(o, "home=/nowhere\n"));
	assert_non_null(strstr(o, "err\n"));
	/* Reading again from the end: nothing new. */
	off = (long long)strlen(o);
	assert_null(guest_read_new(out, &off, 1 << 20, &n));
	assert_int_equal(guest_poll(pid, &(int){0}), -1); /* already reaped */
	free(o);
	free(out);
	st_test_rmtree(dir);
	free(dir);
}

static void kill_takes_the_group(void **state)
{
	char *dir = st_test_tmpdir("guest"), *out = st_xasprintf("%s/out", dir), err[128], *o;
	char *argv[] = {(char *)"/bin/sh", (char *)"-c",
			(char *)"sleep 60 & echo $!; wait", NULL};
	char *env[] = {NULL};
	pid_t pid = guest_spawn(dir, argv, env, out, err, sizeof(err)), child = 0;
	struct timespec ts = {0, 20 * 1000000L};
	int i;

	assert_true(pid > 0);
	for (i = 0; i < 250 && !child; i++) {
		o = all_output(out);
		child = (pid_t)atoi(o);
		free(o);
		if (!child)
			nanosleep(&ts, NULL);
	}
	assert_true(child > 0);
	assert_int_equal(kill(child, 0), 0);
	guest_kill(pid);
	for (i = 0; i < 100 && kill(child, 0) == 0; i++)
		nanosleep(&ts, NULL);
	assert_int_equal(kill(child, 0), -1);
	assert_int_equal(errno, ESRCH);
	free(out);
	st_test_rmtree(dir);
	free(dir);
}

static void failures_to_start(void **state)
{
	char *dir = st_test_tmpdir("guest"), *out = st_xasprintf("%s/out", dir), err[128];
	char *missing[] = {(char *)"/nonexistent/program", NULL};
	char *sh[] = {(char *)"/bin/sh", (char *)"-c", (char *)"true", NULL};
	char *env[] = {NULL};
	char *badout = st_xasprintf("%s/no/such/dir/out", dir);
	pid_t pid;

	pid = guest_spawn(dir, missing, env, out, err, sizeof(err));
	assert_true(pid > 0);
	assert_int_equal(wait_exit(pid), 127);
	pid = guest_spawn("/nonexistent-dir", sh, env, out, err, sizeof(err));
	assert_true(pid > 0);
	assert_int_equal(wait_exit(pid), 126);
	/* The output file cannot be made: refused before any process starts. */
	assert_int_equal(guest_spawn(dir, sh, env, badout, err, sizeof(err)), -1);
	assert_non_null(strstr(err, badout));
	assert_int_equal(guest_poll(-1, &(int){0}), -1);
	guest_kill(0); /* no-op */
	free(badout);
	free(out);
	st_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_code_env_and_output),
		cmocka_unit_test(kill_takes_the_group),
		cmocka_unit_test(failures_to_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
