/* common/child: the first-line handshake, its deadline, and stopping without leaving
 * anything behind. The test process is a child subreaper, so whatever a child leaves
 * running is reparented here, where the checks can see (and reap) it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/child.h"
#include "common/str.h"
#include "tests/support/sttest.h"

static char *dir;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts /bin/sh -c script with stderr into dir/err. */
static void spawn_sh(st_child *c, const char *script)
{
	char *errp = st_xasprintf("%s/err", dir);
	int fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	char err[200];
	assert_int_equal(st_child_spawn(c, argv, fd, err, sizeof err), 0);
	assert_true(c->pid > 0);
	assert_true(c->out_fd > 2);
	close(fd);
	free(errp);
}

static char *child_stderr(void)
{
	char *p = st_xasprintf("%s/err", dir), err[200];
	char *s = st_read_file(p, 1 << 16, NULL, err, sizeof err);
	assert_non_null(s);
	free(p);
	return s;
}

/* Reaps pid (a child or an orphan reparented here) within ms; its wait status. */
static int reap_within(pid_t pid, int ms)
{
	int status;
	for (long long end = now_ms() + ms; now_ms() < end;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		assert_true(r == 0);
		usleep(10000);
	}
	fail_msg("process %ld still runs after %d ms", (long)pid, ms);
	return -1;
}

static void t_first_line_then_stop(void **state)
{
	(void)state;
	st_child c;
	spawn_sh(&c, "printf 'abc'; sleep 0.2; printf 'def\\nmore\\n'; exec sleep 30");
	char line[64];
	int status = -1;
	assert_int_equal(st_child_first_line(&c, 5000, line, sizeof line, &status), ST_CHILD_LINE_OK);
	assert_string_equal(line, "abcdef");
	assert_int_equal(c.out_fd, -1);
	pid_t pid = c.pid;
	status = st_child_stop(&c, 2000);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(c.pid, 0);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(st_child_stop(&c, 10), -1);
}

/* The child lives in a group of its own, away from our terminal's signals. */
static void t_own_process_group(void **state)
{
	(void)state;
	st_child c;
	spawn_sh(&c, "echo up; exec sleep 30");
	char line[16];
	int status;
	assert_int_equal(st_child_first_line(&c, 5000, line, sizeof line, &status), ST_CHILD_LINE_OK);
	assert_int_equal(getpgid(c.pid), c.pid);
	assert_true(getpgid(c.pid) != getpgrp());
	st_child_stop(&c, 2000);
}

static void t_long_line_is_cut(void **state)
{
	(void)state;
	st_child c;
	spawn_sh(&c, "i=0; while [ $i -lt 300 ]; do printf xxxx; i=$((i+1)); done; echo; exec sleep 30");
	char line[16];
	int status;
	assert_int_equal(st_child_first_line(&c, 5000, line, sizeof line, &status), ST_CHILD_LINE_OK);
	assert_string_equal(line, "xxxxxxxxxxxxxxx");
	st_child_stop(&c, 2000);
}

static void t_exit_before_line(void **state)
{
	(void)state;
	st_child c;
	spawn_sh(&c, "printf 'half a line'; echo 'it broke' >&2; exit 3");
	char line[64];
	int status = -1;
	assert_int_equal(st_child_first_line(&c, 5000, line, sizeof line, &status), ST_CHILD_LINE_EXITED);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_int_equal(c.pid, 0);
	char *err = child_stderr();
	assert_string_equal(err, "it broke\n");
	free(err);
	assert_int_equal(st_child_stop(&c, 10), -1);
}

static void t_exec_failure(void **state)
{
	(void)state;
	char *errp = st_xasprintf("%s/err", dir);
	int fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *argv[] = {"/nonexistent/sealtrain-sandbox", NULL};
	char err[200];
	st_child c;
	assert_int_equal(st_child_spawn(&c, argv, fd, err, sizeof err), 0);
	close(fd);
	free(errp);
	char line[64];
	int status;
	assert_int_equal(st_child_first_line(&c, 5000, line, sizeof line, &status), ST_CHILD_LINE_EXITED);
	assert_int_equal(WEXITSTATUS(status), 127);
	char *text = child_stderr();
	assert_string_equal(text, "cannot run /nonexistent/sealtrain-sandbox: No such file or directory\n");
	free(text);
}

static void t_deadline(void **state)
{
	(void)state;
	st_child c;
	spawn_sh(&c, "exec sleep 30");
	char line[64];
	int status;
	long long t0 = now_ms();
	assert_int_equal(st_child_first_line(&c, 300, line, sizeof line, &status), ST_CHILD_LINE_TIMEOUT);
	long long took = now_ms() - t0;
	assert_true(took >= 290 && took < 3000);
	assert_true(c.pid > 0);
	status = st_child_stop(&c, 2000);
	assert_int_equal(WTERMSIG(status), SIGTERM);
}

/* Closing stdout without a line, and going on running, is its own outcome. */
static void t_closed_but_running(void **state)
{
	(void)state;
	st_child c;
	spawn_sh(&c, "exec >&-; exec sleep 30");
	char line[64];
	int status;
	assert_int_equal(st_child_first_line(&c, 300, line, sizeof line, &status), ST_CHILD_LINE_CLOSED);
	assert_true(c.pid > 0);
	st_child_stop(&c, 2000);
	assert_int_equal(c.pid, 0);
}

/* A child that ignores SIGTERM is killed after the grace period, and so is what it
 * started in its group. */
static void t_stop_kills_the_group(void **state)
{
	(void)state;
	st_child c;
	spawn_sh(&c, "trap '' TERM; sleep 30 & echo $!; wait");
	char line[32];
	int status;
	assert_int_equal(st_child_first_line(&c, 5000, line, sizeof line, &status), ST_CHILD_LINE_OK);
	pid_t grandchild = (pid_t)atol(line);
	assert_true(grandchild > 0);
	long long t0 = now_ms();
	status = st_child_stop(&c, 300);
	assert_true(now_ms() - t0 >= 290);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	status = reap_within(grandchild, 5000);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* If we die without stopping it, the child still gets SIGTERM (the death signal). */
static void t_parent_death_signal(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		st_child c;
		const char *argv[] = {"/bin/sh", "-c", "echo up; exec sleep 30", NULL};
		char err[200], line[16];
		int status;
		if (st_child_spawn(&c, argv, -1, err, sizeof err) < 0 ||
		    st_child_first_line(&c, 5000, line, sizeof line, &status) != ST_CHILD_LINE_OK)
			_exit(1);
		pid_t pid = c.pid;
		if (write(p[1], &pid, sizeof pid) != sizeof pid)
			_exit(1);
		_exit(0); /* without st_child_stop */
	}
	close(p[1]);
	pid_t orphan = 0;
	assert_int_equal(read(p[0], &orphan, sizeof orphan), (ssize_t)sizeof orphan);
	close(p[0]);
	int status;
	assert_int_equal(waitpid(mid, &status, 0), mid);
	assert_int_equal(WEXITSTATUS(status), 0);
	status = reap_within(orphan, 5000);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
}

static int setup(void **state)
{
	(void)state;
	dir = st_test_tmpdir("child");
	return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	/* Nothing any test started may still be around, reaped or not. */
	int left = waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD ? 0 : -1;
	st_test_rmtree(dir);
	free(dir);
	return left;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_first_line_then_stop),
		cmocka_unit_test(t_own_process_group),
		cmocka_unit_test(t_long_line_is_cut),
		cmocka_unit_test(t_exit_before_line),
		cmocka_unit_test(t_exec_failure),
		cmocka_unit_test(t_deadline),
		cmocka_unit_test(t_closed_but_running),
		cmocka_unit_test(t_stop_kills_the_group),
		cmocka_unit_test(t_parent_death_signal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
