/* Test support shared by the unit and integration suites. */
#ifndef ST_TEST_H
#define ST_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A fresh directory under $TMPDIR (mode 0700); removed by st_test_rmtree. */
char *st_test_tmpdir(const char *tag);
void st_test_rmtree(const char *path);
/* Writes a file; aborts the test binary on failure. */
void st_test_write_file(const char *path, const char *text);
/* Path of a file under the source tree (tests/fixtures/...); caller frees. */
char *st_test_srcpath(const char *rel);
/* Entries of dir whose names start with prefix ("" for all), dot files left out;
 * 0 when dir does not exist. */
int st_test_count_entries(const char *dir, const char *prefix);

/* A real sealtrain-sandbox process on 127.0.0.1, port chosen by the kernel. */
typedef struct st_sandbox {
	pid_t pid;
	int port;
	char url[64];   /* http://127.0.0.1:PORT */
	char *state;    /* its --state directory (owned) */
	char *log;      /* file receiving its stderr (owned) */
	bool own_state; /* remove state on stop */
} st_sandbox;

/* Starts $ST_SANDBOX (or ./sealtrain-sandbox) with --listen 127.0.0.1:0 --state DIR and
 * the extra NULL-terminated args; waits for the "listening on" line. state may be NULL
 * for a fresh temp dir. Returns 0, or -1 with a message on stderr. */
int st_sandbox_start(st_sandbox *sb, const char *state, const char *const *extra_args);
/* SIGTERM and wait (sig = SIGKILL for crash tests); keeps state when keep_state. */
int st_sandbox_stop(st_sandbox *sb, int sig, bool keep_state);

#endif
