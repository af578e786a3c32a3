/* Starting and stopping the embedded sandbox; where it comes from is embedded_find.c. */
#include "tui/embedded.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/str.h"
#include "config/globals.h"

/* A log past this size is moved to sandbox.log.old before the next start. */
#define LOG_ROTATE_BYTES (8L << 20)
/* How long a stopping sandbox gets to finish the calls in flight. */
#define STOP_GRACE_MS 5000

#define FAIL_PREFIX "sealtrain: --sandbox: "

/* The one running child that signal handlers and exit() must stop. */
static st_child *volatile active;

static void stop_active(void)
{
	st_child *c = active;
	if (c)
		st_child_stop(c, STOP_GRACE_MS);
}

/* Stop the sandbox, then die of the same signal as if we had not caught it. */
static void on_fatal_signal(int sig)
{
	stop_active();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void guard(st_child *c)
{
	static bool registered;
	if (!registered) {
		atexit(stop_active);
		registered = true;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigfillset(&sa.sa_mask);
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaction(sigs[i], &sa, NULL);
	active = c;
}

/* The log keeps every run's lines, so it is opened for appending and moved aside
 * once it grows large. *start is where this run's lines begin. */
static int open_log(const char *path, off_t *start)
{
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size > LOG_ROTATE_BYTES) {
		char *old = st_xasprintf("%s.old", path);
		rename(path, old);
		free(old);
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0 && fstat(fd, &st) == 0)
		*start = st.st_size;
	return fd;
}

/* The last non-empty line the child wrote to the log in this run, made printable. */
static void last_log_line(const char *path, off_t start, char *out, size_t size)
{
	out[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	char buf[4096];
	if (fstat(fd, &st) == 0 && st.st_size > start) {
		off_t from = st.st_size - (off_t)(sizeof buf - 1);
		if (from < start)
			from = start;
		ssize_t n = pread(fd, buf, sizeof buf - 1, from);
		if (n > 0) {
			buf[n] = '\0';
			while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
				buf[--n] = '\0';
			char *nl = strrchr(buf, '\n');
			st_sanitize_text(out, size, nl ? nl + 1 : buf);
		}
	}
	close(fd);
}

/* Whether another process holds the sandbox's state lock (the sandbox takes an
 * exclusive flock on STATE/lock and refuses to start when it cannot). */
static bool state_locked(const char *state_dir)
{
	char *path = st_xasprintf("%s/lock", state_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return false;
	bool held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static void describe_status(int status, char *out, size_t size)
{
	if (WIFEXITED(status))
		snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, size, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, size, "stopped");
}

static void report_exit(const st_embedded *e, int status, off_t log_start)
{
	char how[64], last[300];
	describe_status(status, how, sizeof how);
	last_log_line(e->log_path, log_start, last, sizeof last);
	fprintf(stderr, FAIL_PREFIX "%s %s before it was ready: \"%s\"", e->bin, how,
		last[0] ? last : "(nothing in its log)");
	if (state_locked(e->state_dir))
		fprintf(stderr, "; another sealtrain-sandbox holds its state directory %s (each "
			"keeps a lock there): stop that one, or use it with --sandbox-url URL",
			e->state_dir);
	fprintf(stderr, " (log: %s)\n", e->log_path);
}

/* "sealtrain-sandbox listening on http://127.0.0.1:PORT" and nothing else. */
static int parse_address(const char *line, char *url, size_t size)
{
	static const char mark[] = "sealtrain-sandbox listening on http://127.0.0.1:";
	if (strncmp(line, mark, sizeof mark - 1) != 0)
		return -1;
	const char *p = line + sizeof mark - 1;
	char *end;
	errno = 0;
	long port = strtol(p, &end, 10);
	if (end == p || *end || errno || port < 1 || port > 65535 || *p == '+' || *p == '-')
		return -1;
	snprintf(url, size, "http://127.0.0.1:%ld", port);
	return 0;
}

/* Reads the first line and turns it into the URL, or reports why not. */
static int handshake(st_embedded *e, off_t log_start)
{
	char line[256], clean[256];
	int status;
	switch (st_child_first_line(&e->child, ST_EMBEDDED_START_MS, line, sizeof line, &status)) {
	case ST_CHILD_LINE_OK:
		if (parse_address(line, e->url, sizeof e->url) == 0)
			return ST_EXIT_OK;
		st_sanitize_text(clean, sizeof clean, line);
		fprintf(stderr, FAIL_PREFIX "%s printed \"%s\" where its address was expected; stopped "
			"it (log: %s)\n", e->bin, clean, e->log_path);
		return ST_EXIT_FAIL;
	case ST_CHILD_LINE_EXITED:
		report_exit(e, status, log_start);
		return ST_EXIT_FAIL;
	case ST_CHILD_LINE_TIMEOUT:
		fprintf(stderr, FAIL_PREFIX "%s did not report its address within %d s; stopped it "
			"(log: %s)\n", e->bin, ST_EMBEDDED_START_MS / 1000, e->log_path);
		return ST_EXIT_FAIL;
	case ST_CHILD_LINE_CLOSED:
		break;
	}
	fprintf(stderr, FAIL_PREFIX "%s closed its output without reporting an address; stopped "
		"it (log: %s)\n", e->bin, e->log_path);
	return ST_EXIT_FAIL;
}

/* The state directory (0700, like everything the sandbox keeps) and the log file. */
static int prepare_dirs(st_embedded *e, int *log_fd, off_t *log_start)
{
	char *base = st_embedded_state_base();
	if (!base) {
		fputs(FAIL_PREFIX "neither XDG_STATE_HOME nor HOME is set, so there is no place "
		      "for the sandbox's state\n", stderr);
		return ST_EXIT_FAIL;
	}
	e->state_dir = st_xasprintf("%s/sandbox", base);
	e->log_path = st_xasprintf("%s/sandbox.log", base);
	free(base);
	char err[300];
	if (st_mkdir_p(e->state_dir, 0700, err, sizeof err) < 0) {
		fprintf(stderr, FAIL_PREFIX "state directory: %s\n", err);
		return ST_EXIT_FAIL;
	}
	*log_fd = open_log(e->log_path, log_start);
	if (*log_fd < 0) {
		fprintf(stderr, FAIL_PREFIX "log %s: %s\n", e->log_path, strerror(errno));
		return ST_EXIT_FAIL;
	}
	return ST_EXIT_OK;
}

/* A line of our own in the log marks where each run's output starts. */
static void log_banner(int fd, const st_embedded *e)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	dprintf(fd, "--- %s sealtrain (pid %ld) starts %s --state %s\n", when, (long)getpid(), e->bin,
		e->state_dir);
}

static int launch(st_embedded *e, int log_fd, off_t log_start, bool verbose)
{
	const char *argv[] = {e->bin, "--listen", "127.0.0.1:0", "--state", e->state_dir, NULL};
	char err[200];
	log_banner(log_fd, e);
	guard(&e->child);
	int rc = st_child_spawn(&e->child, argv, log_fd, err, sizeof err);
	close(log_fd);
	if (rc < 0) {
		fprintf(stderr, FAIL_PREFIX "cannot start %s: %s\n", e->bin, err);
		return ST_EXIT_FAIL;
	}
	rc = handshake(e, log_start);
	if (rc == ST_EXIT_OK && verbose)
		fprintf(stderr, "sealtrain: --sandbox: started %s (pid %ld) at %s, state %s, log %s\n",
			e->bin, (long)e->child.pid, e->url, e->state_dir, e->log_path);
	return rc;
}

int st_embedded_start(st_embedded *e, bool verbose)
{
	memset(e, 0, sizeof *e);
	e->child.out_fd = -1;
	char *looked = NULL;
	e->bin = st_embedded_find(&looked);
	if (!e->bin) {
		fprintf(stderr, FAIL_PREFIX "sealtrain-sandbox not found (looked in %s); install it, "
			"set SEALTRAIN_SANDBOX to its path, or use a running one with --sandbox-url URL\n",
			looked);
		free(looked);
		return ST_EXIT_FAIL;
	}
	int log_fd = -1;
	off_t log_start = 0;
	int rc = prepare_dirs(e, &log_fd, &log_start);
	if (rc == ST_EXIT_OK)
		rc = launch(e, log_fd, log_start, verbose);
	if (rc != ST_EXIT_OK)
		st_embedded_stop(e);
	return rc;
}

void st_embedded_stop(st_embedded *e)
{
	/* Unhooked first: a signal from here on finds no child half-stopped by us. */
	if (active == &e->child)
		active = NULL;
	st_child_stop(&e->child, STOP_GRACE_MS);
	free(e->bin);
	free(e->state_dir);
	free(e->log_path);
	e->bin = e->state_dir = e->log_path = NULL;
}
