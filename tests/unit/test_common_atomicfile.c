/* common/atomicfile: replace-or-keep semantics under a full disk, unreadable and
 * oversized files, mkdir -p. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/str.h"
#include "tests/support/sttest.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = st_test_tmpdir("atomic");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	st_test_rmtree(dir);
	free(dir);
	return 0;
}

/* Number of entries in dir other than . and .. */
static int entries(void)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void t_write_read(void **state)
{
	(void)state;
	char err[256];
	char *p = st_xasprintf("%s/state.json", dir);
	assert_int_equal(st_atomic_write(p, "{\"v\":1}", 7, 0600, err, sizeof err), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	size_t len;
	char *got = st_read_file(p, 100, &len, err, sizeof err);
	assert_non_null(got);
	assert_int_equal(len, 7);
	assert_string_equal(got, "{\"v\":1}");
	free(got);
	/* Replace with something shorter: no leftover bytes from the old file. */
	assert_int_equal(st_atomic_write(p, "{}", 2, 0640, err, sizeof err), 0);
	got = st_read_file(p, 100, &len, err, sizeof err);
	assert_string_equal(got, "{}");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	free(got);
	/* Empty content and binary content both round-trip. */
	assert_int_equal(st_atomic_write(p, "", 0, 0600, err, sizeof err), 0);
	got = st_read_file(p, 100, &len, err, sizeof err);
	assert_int_equal(len, 0);
	assert_string_equal(got, "");
	free(got);
	assert_int_equal(st_atomic_write(p, "a\0b", 3, 0600, err, sizeof err), 0);
	got = st_read_file(p, 100, &len, err, sizeof err);
	assert_int_equal(len, 3);
	assert_memory_equal(got, "a\0b", 3);
	free(got);
	assert_int_equal(entries(), 1);
	free(p);
}

/* Child process: write under a 4 KiB file-size limit with SIGXFSZ ignored, so the
 * write fails with EFBIG the way a full disk makes it fail. */
static void t_full_disk(void **state)
{
	(void)state;
	char err[256];
	char *p = st_xasprintf("%s/state.json", dir);
	assert_int_equal(st_atomic_write(p, "old contents", 12, 0600, err, sizeof err), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = {4096, 4096};
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(3);
		static char big[65536];
		memset(big, 'x', sizeof big);
		char e[256];
		if (st_atomic_write(p, big, sizeof big, 0600, e, sizeof e) == 0)
			_exit(1);
		char *want = st_xasprintf("%s: write failed: File too large", p);
		_exit(strcmp(e, want) == 0 ? 0 : (fprintf(stderr, "got: %s\n", e), 2));
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The old file is intact and no temporary file is left behind. */
	size_t len;
	char *got = st_read_file(p, 100, &len, err, sizeof err);
	assert_non_null(got);
	assert_string_equal(got, "old contents");
	free(got);
	assert_int_equal(entries(), 1);
	free(p);
}

static void t_write_failures(void **state)
{
	(void)state;
	char err[256];
	char *p = st_xasprintf("%s/missing-dir/state.json", dir);
	assert_int_equal(st_atomic_write(p, "x", 1, 0600, err, sizeof err), -1);
	char *want = st_xasprintf("%s: cannot create temporary file: No such file or directory", p);
	assert_string_equal(err, want);
	free(want);
	free(p);
	/* The target is a directory: rename fails, the temp file is removed. */
	p = st_xasprintf("%s/adir", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(st_atomic_write(p, "x", 1, 0600, err, sizeof err), -1);
	want = st_xasprintf("%s: rename failed: Is a directory", p);
	assert_string_equal(err, want);
	free(want);
	assert_int_equal(entries(), 1);
	free(p);
}

static void t_read_failures(void **state)
{
	(void)state;
	char err[256];
	char *p = st_xasprintf("%s/nope", dir);
	assert_null(st_read_file(p, 10, NULL, err, sizeof err));
	char *want = st_xasprintf("%s: cannot open: No such file or directory", p);
	assert_string_equal(err, want);
	free(want);
	free(p);

	assert_null(st_read_file(dir, 10, NULL, err, sizeof err));
	want = st_xasprintf("%s: not a regular file", dir);
	assert_string_equal(err, want);
	free(want);

	p = st_xasprintf("%s/big", dir);
	st_test_write_file(p, "0123456789A");
	assert_null(st_read_file(p, 10, NULL, err, sizeof err));
	want = st_xasprintf("%s: file is 11 bytes, over the 10-byte limit", p);
	assert_string_equal(err, want);
	free(want);
	size_t len;
	char *got = st_read_file(p, 11, &len, err, sizeof err); /* exactly at the limit */
	assert_non_null(got);
	assert_int_equal(len, 11);
	free(got);

	/* Unreadable: mode 000 stops everyone but root, so check from an unprivileged child. */
	assert_int_equal(chmod(p, 0), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		char e[256];
		char *w = st_xasprintf("%s: cannot open: Permission denied", p);
		_exit(!st_read_file(p, 100, NULL, e, sizeof e) && strcmp(e, w) == 0 ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(p);
}

static void t_mkdir_p(void **state)
{
	(void)state;
	char err[256];
	char *p = st_xasprintf("%s/a/b//c/", dir);
	assert_int_equal(st_mkdir_p(p, 0700, err, sizeof err), 0);
	assert_int_equal(st_mkdir_p(p, 0700, err, sizeof err), 0); /* existing is fine */
	struct stat st;
	char *c = st_xasprintf("%s/a/b/c", dir);
	assert_int_equal(stat(c, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	free(c);
	free(p);
	/* A file in the way. */
	char *f = st_xasprintf("%s/file", dir);
	st_test_write_file(f, "x");
	p = st_xasprintf("%s/file/sub", dir);
	assert_int_equal(st_mkdir_p(p, 0700, err, sizeof err), -1);
	char *want = st_xasprintf("%s/file/sub: cannot create directory: Not a directory", dir);
	assert_string_equal(err, want);
	free(want);
	free(p);
	assert_int_equal(st_mkdir_p(f, 0700, err, sizeof err), -1);
	want = st_xasprintf("%s: not a directory", f);
	assert_string_equal(err, want);
	free(want);
	free(f);
	assert_int_equal(st_mkdir_p("", 0700, err, sizeof err), -1);
	assert_string_equal(err, "empty directory path");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(t_full_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(t_write_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(t_read_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(t_mkdir_p, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
