/* `sealtrain --sandbox`: the console starts the real sealtrain-sandbox beside it, uses
 * it as --sandbox-url would, and leaves nothing running. The failures (no binary, a
 * held state directory, a sandbox that dies or stays silent) each give one line.
 *
 * This process is a child subreaper: anything the console fails to reap is reparented
 * here, so "no child left" after a run means nothing survived it. The failure cases
 * run a copy of the console from a directory without a sandbox next to it, so that
 * $SEALTRAIN_SANDBOX and PATH decide what starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/json.h"
#include "common/str.h"
#include "tests/support/sttest.h"

typedef struct fx {
	char *dir;     /* HOME and XDG_CONFIG_HOME */
	char *xdg;     /* XDG_STATE_HOME */
	char *copy;    /* the console copied alone into dir/bin */
	char *nobin;   /* an empty directory, used as PATH */
	char *outp, *errp;
} fx;

struct run {
	int status;
	char *out, *err;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *console(void)
{
	const char *c = getenv("ST_CONSOLE");
	return c && *c ? c : "./sealtrain";
}

/* Starts bin with args; env holds "NAME=VALUE" to set and "NAME" to unset. */
static pid_t start(fx *f, const char *bin, const char *const *env, const char *const *args)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	int o = open(f->outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int e = open(f->errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
		_exit(126);
	setenv("HOME", f->dir, 1);
	setenv("XDG_CONFIG_HOME", f->dir, 1);
	setenv("XDG_STATE_HOME", f->xdg, 1);
	unsetenv("SEALTRAIN_CONFIG");
	unsetenv("SEALTRAIN_SANDBOX");
	for (; env && *env; env++) {
		const char *eq = strchr(*env, '=');
		if (eq) {
			char *name = st_xstrndup(*env, (size_t)(eq - *env));
			setenv(name, eq + 1, 1);
			free(name);
		} else {
			unsetenv(*env);
		}
	}
	const char *argv[24] = {bin};
	for (size_t i = 0; args[i] && i < 22; i++)
		argv[i + 1] = args[i];
	execv(bin, (char *const *)argv);
	_exit(127);
}

static struct run finish(fx *f, pid_t pid)
{
	struct run r = {0, NULL, NULL};
	assert_int_equal(waitpid(pid, &r.status, 0), pid);
	char err[200];
	r.out = st_read_file(f->outp, 1 << 20, NULL, err, sizeof err);
	r.err = st_read_file(f->errp, 1 << 20, NULL, err, sizeof err);
	assert_non_null(r.out);
	assert_non_null(r.err);
	return r;
}

static struct run run(fx *f, const char *bin, const char *const *env, const char *const *args)
{
	return finish(f, start(f, bin, env, args));
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static int exit_code(const struct run *r)
{
	assert_true(WIFEXITED(r->status));
	return WEXITSTATUS(r->status);
}

/* Nothing this test started is left: no child and no orphan reparented here. */
static void assert_nothing_left(void)
{
	errno = 0;
	pid_t left = waitpid(-1, NULL, WNOHANG);
	if (!(left == -1 && errno == ECHILD))
		fail_msg("a process is left behind (waitpid says %ld)", (long)left);
}

static void assert_gone(pid_t pid)
{
	assert_true(pid > 0);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

/* The pid in "--sandbox: started BIN (pid N)" (printed with -v). */
static pid_t started_pid(const char *err)
{
	const char *at = strstr(err, "sealtrain: --sandbox: started ");
	at = at ? strstr(at, "(pid ") : NULL;
	assert_non_null(at);
	return (pid_t)atol(at + 5);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A fake sandbox: a shell script run through $SEALTRAIN_SANDBOX. */
static char *fake_sandbox(fx *f, const char *body)
{
	char *p = st_xasprintf("%s/fake-sandbox", f->dir);
	char *text = st_xasprintf("#!/bin/sh\necho $$ > %s/fake.pid\n%s\n", f->dir, body);
	st_test_write_file(p, text);
	free(text);
	assert_int_equal(chmod(p, 0700), 0);
	return p;
}

static pid_t fake_pid(fx *f, int wait_ms)
{
	char *p = st_xasprintf("%s/fake.pid", f->dir), err[200];
	char *s = NULL;
	for (long long end = now_ms() + wait_ms; !s && now_ms() < end; usleep(10000)) {
		s = st_read_file(p, 100, NULL, err, sizeof err);
		if (s && !strchr(s, '\n')) {
			free(s);
			s = NULL;
		}
	}
	assert_non_null(s);
	pid_t pid = (pid_t)atol(s);
	free(s);
	free(p);
	return pid;
}

static void copy_file(const char *from, const char *to)
{
	char err[200];
	size_t len;
	char *data = st_read_file(from, 512u << 20, &len, err, sizeof err);
	if (!data)
		fail_msg("%s", err);
	if (st_atomic_write(to, data, len, 0700, err, sizeof err) < 0)
		fail_msg("%s", err);
	free(data);
}

static int setup(void **state)
{
	fx *f = st_xcalloc(1, sizeof *f);
	f->dir = st_test_tmpdir("cli-sandbox");
	f->xdg = st_xasprintf("%s/state", f->dir);
	f->nobin = st_xasprintf("%s/nobin", f->dir);
	char *bin = st_xasprintf("%s/bin", f->dir);
	if (mkdir(f->nobin, 0700) < 0 || mkdir(bin, 0700) < 0)
		return -1;
	f->copy = st_xasprintf("%s/sealtrain", bin);
	copy_file(console(), f->copy);
	free(bin);
	f->outp = st_xasprintf("%s/out", f->dir);
	f->errp = st_xasprintf("%s/err", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	st_test_rmtree(f->dir);
	free(f->dir);
	free(f->xdg);
	free(f->copy);
	free(f->nobin);
	free(f->outp);
	free(f->errp);
	free(f);
	return 0;
}

#define SERVICE "serviceusage.googleapis.com/v1/projects/demo-proj/services/cloudkms.googleapis.com"

/* Enable an API in one run, read it back in the next: the state outlives each sandbox,
 * and each run's sandbox is gone when the console returns. */
static void t_runs_and_state_persists(void **state)
{
	fx *f = *state;
	struct run r = run(f, console(), NULL, (const char *[]){"--sandbox", "-v", "--project", "demo-proj", "api",
							       "-X", "POST", SERVICE ":enable", "--wait", NULL});
	if (exit_code(&r) != 0)
		fail_msg("first run failed: %s", r.err);
	assert_non_null(strstr(r.out, "\"state\": \"ENABLED\""));
	pid_t first = started_pid(r.err);
	assert_gone(first);
	assert_nothing_left();
	/* The sandbox's own chatter went to its log, not to our stderr. */
	assert_null(strstr(r.err, "listening on"));
	assert_null(strstr(r.err, "PRIVATE KEY"));
	run_free(&r);

	r = run(f, console(), NULL, (const char *[]){"--sandbox", "--project", "demo-proj", "api", SERVICE, NULL});
	assert_int_equal(exit_code(&r), 0);
	assert_string_equal(r.err, "");
	char err[200];
	json_t *j = stj_parse(r.out, strlen(r.out), 1 << 20, err, sizeof err);
	assert_non_null(j);
	assert_string_equal(stj_str(j, "state"), "ENABLED");
	json_decref(j);
	run_free(&r);
	assert_nothing_left();

	/* Each run has a new port but the same state: one minted key serves both runs. */
	char *keydir = st_xasprintf("%s/sealtrain", f->xdg);
	assert_int_equal(st_test_count_entries(keydir, "sandbox-key-"), 1);
	free(keydir);

	char *sdir = st_xasprintf("%s/sealtrain/sandbox", f->xdg), *logp = st_xasprintf("%s/sealtrain/sandbox.log", f->xdg);
	struct stat st;
	assert_int_equal(stat(sdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	char *log = st_read_file(logp, 1 << 22, NULL, err, sizeof err);
	assert_non_null(log);
	/* Two runs, two sandboxes, each stopped by SIGTERM. */
	const char *second = strstr(log, "listening on");
	assert_non_null(second);
	assert_non_null(strstr(second + 1, "listening on"));
	assert_non_null(strstr(log, "signal 15: shutting down"));
	/* The minted key and the tokens made from it stay out of the log. */
	assert_null(strstr(log, "PRIVATE KEY"));
	assert_null(strstr(log, "Bearer "));
	assert_null(strstr(log, "access_token"));
	free(log);
	free(sdir);
	free(logp);
}

/* Without XDG_STATE_HOME the state lives under ~/.local/state. */
static void t_default_state_dir(void **state)
{
	fx *f = *state;
	struct run r = run(f, console(), (const char *[]){"XDG_STATE_HOME", NULL},
			   (const char *[]){"--sandbox", "--project", "demo-proj", "api", SERVICE, NULL});
	assert_int_equal(exit_code(&r), 0);
	run_free(&r);
	char *sdir = st_xasprintf("%s/.local/state/sealtrain/sandbox", f->dir);
	struct stat st;
	assert_int_equal(stat(sdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(sdir);
	assert_nothing_left();
}

static void t_missing_binary(void **state)
{
	fx *f = *state;
	char *nowhere = st_xasprintf("%s/nowhere/sealtrain-sandbox", f->dir);
	char *envs = st_xasprintf("SEALTRAIN_SANDBOX=%s", nowhere), *path = st_xasprintf("PATH=%s", f->nobin);
	struct run r = run(f, f->copy, (const char *[]){envs, path, NULL},
			   (const char *[]){"--sandbox", "--project", "demo-proj", "api", SERVICE, NULL});
	assert_int_equal(exit_code(&r), 1);
	assert_string_equal(r.out, "");
	char *want = st_xasprintf("sealtrain: --sandbox: sealtrain-sandbox not found (looked in %s/bin, "
				  "$SEALTRAIN_SANDBOX=%s, PATH=%s); install it, set SEALTRAIN_SANDBOX to its "
				  "path, or use a running one with --sandbox-url URL\n", f->dir, nowhere, f->nobin);
	assert_string_equal(r.err, want);
	free(want);
	run_free(&r);
	/* With SEALTRAIN_SANDBOX unset the message says so. */
	r = run(f, f->copy, (const char *[]){path, NULL}, (const char *[]){"--sandbox", "config", "check", NULL});
	assert_int_equal(exit_code(&r), 1);
	assert_non_null(strstr(r.err, "$SEALTRAIN_SANDBOX (unset)"));
	assert_int_equal(count_lines(r.err), 1);
	run_free(&r);
	/* ... and when it is found through $SEALTRAIN_SANDBOX, it runs. */
	char *real = st_xasprintf("SEALTRAIN_SANDBOX=%s", getenv("ST_SANDBOX"));
	r = run(f, f->copy, (const char *[]){real, path, NULL},
		(const char *[]){"--sandbox", "--project", "demo-proj", "api", SERVICE, NULL});
	assert_int_equal(exit_code(&r), 0);
	run_free(&r);
	/* ... or through PATH. */
	char *dir = st_xstrdup(getenv("ST_SANDBOX"));
	*strrchr(dir, '/') = '\0';
	char *viapath = st_xasprintf("PATH=%s:%s", f->nobin, dir);
	r = run(f, f->copy, (const char *[]){viapath, NULL},
		(const char *[]){"--sandbox", "--project", "demo-proj", "api", SERVICE, NULL});
	assert_int_equal(exit_code(&r), 0);
	run_free(&r);
	assert_nothing_left();
	free(viapath);
	free(dir);
	free(real);
	free(nowhere);
	free(envs);
	free(path);
}

/* A sandbox already runs on the state directory: its lock makes ours exit, and the
 * message quotes why and points at --sandbox-url. */
static void t_state_dir_held(void **state)
{
	fx *f = *state;
	char *sdir = st_xasprintf("%s/sealtrain/sandbox", f->xdg), err[200];
	assert_int_equal(st_mkdir_p(sdir, 0700, err, sizeof err), 0);
	st_sandbox holder;
	assert_int_equal(st_sandbox_start(&holder, sdir, NULL), 0);
	struct run r = run(f, console(), NULL, (const char *[]){"--sandbox", "--project", "demo-proj", "api", SERVICE, NULL});
	assert_int_equal(exit_code(&r), 1);
	assert_string_equal(r.out, "");
	assert_int_equal(count_lines(r.err), 1);
	char *quote = st_xasprintf("exited with status 1 before it was ready: \"sealtrain-sandbox: --state %s: "
				   "in use by another sealtrain-sandbox\"", sdir);
	assert_non_null(strstr(r.err, quote));
	char *hint = st_xasprintf("another sealtrain-sandbox holds its state directory %s", sdir);
	assert_non_null(strstr(r.err, hint));
	assert_non_null(strstr(r.err, "--sandbox-url URL"));
	run_free(&r);
	/* The one that holds it is untouched. */
	assert_int_equal(kill(holder.pid, 0), 0);
	st_sandbox_stop(&holder, SIGTERM, true); /* keeps (and leaves to us) its paths */
	free(holder.state);
	free(holder.log);
	assert_nothing_left();
	free(quote);
	free(hint);
	free(sdir);
}

/* A "sandbox" that dies at once: its last log line is quoted, and no lock is blamed. */
static void t_exits_early(void **state)
{
	fx *f = *state;
	char *fake = fake_sandbox(f, "echo 'first complaint' >&2\necho 'sealtrain-sandbox: --listen: bad' >&2\nexit 2");
	char *envs = st_xasprintf("SEALTRAIN_SANDBOX=%s", fake), *path = st_xasprintf("PATH=%s", f->nobin);
	struct run r = run(f, f->copy, (const char *[]){envs, path, NULL},
			   (const char *[]){"--sandbox", "--project", "demo-proj", "api", SERVICE, NULL});
	assert_int_equal(exit_code(&r), 1);
	char *want = st_xasprintf("sealtrain: --sandbox: %s exited with status 2 before it was ready: "
				  "\"sealtrain-sandbox: --listen: bad\" (log: %s/sealtrain/sandbox.log)\n", fake, f->xdg);
	assert_string_equal(r.err, want);
	free(want);
	run_free(&r);
	assert_nothing_left();
	free(fake);
	free(envs);
	free(path);
}

/* No place for the state: a file where its directory should be, or no HOME at all. */
static void t_state_dir_unusable(void **state)
{
	fx *f = *state;
	char *fake = fake_sandbox(f, "echo 'sealtrain-sandbox listening on http://127.0.0.1:9'\nexec /bin/sleep 60");
	char *envs = st_xasprintf("SEALTRAIN_SANDBOX=%s", fake), *path = st_xasprintf("PATH=%s", f->nobin);
	char *base = st_xasprintf("%s/sealtrain", f->xdg), *blocker = st_xasprintf("%s/sandbox", base), err[200];
	assert_int_equal(st_mkdir_p(base, 0700, err, sizeof err), 0);
	st_test_write_file(blocker, "not a directory\n");
	struct run r = run(f, f->copy, (const char *[]){envs, path, NULL}, (const char *[]){"--sandbox", "config", "check", NULL});
	assert_int_equal(exit_code(&r), 1);
	assert_string_equal(r.out, "");
	assert_true(st_starts_with(r.err, "sealtrain: --sandbox: state directory: "));
	assert_non_null(strstr(r.err, blocker));
	assert_int_equal(count_lines(r.err), 1);
	run_free(&r);
	r = run(f, f->copy, (const char *[]){envs, path, "HOME", "XDG_STATE_HOME", NULL},
		(const char *[]){"--sandbox", "config", "check", NULL});
	assert_int_equal(exit_code(&r), 1);
	assert_string_equal(r.err, "sealtrain: --sandbox: neither XDG_STATE_HOME nor HOME is set, so there is no "
				   "place for the sandbox's state\n");
	run_free(&r);
	/* Neither case got as far as starting anything. */
	char *pidfile = st_xasprintf("%s/fake.pid", f->dir);
	assert_int_equal(access(pidfile, F_OK), -1);
	assert_nothing_left();
	free(pidfile);
	free(base);
	free(blocker);
	free(fake);
	free(envs);
	free(path);
}

/* A log grown past 8 MiB is moved aside to sandbox.log.old before the next start. */
static void t_log_rotates(void **state)
{
	fx *f = *state;
	char *fake = fake_sandbox(f, "echo 'fresh run' >&2\nexit 1");
	char *envs = st_xasprintf("SEALTRAIN_SANDBOX=%s", fake), *path = st_xasprintf("PATH=%s", f->nobin);
	char *base = st_xasprintf("%s/sealtrain", f->xdg), *logp = st_xasprintf("%s/sandbox.log", base);
	char *oldp = st_xasprintf("%s.old", logp), err[200];
	assert_int_equal(st_mkdir_p(base, 0700, err, sizeof err), 0);
	size_t big = (8u << 20) + 100;
	char *fill = st_xmalloc(big);
	memset(fill, 'o', big);
	memcpy(fill, "old run\n", 8);
	assert_int_equal(st_atomic_write(logp, fill, big, 0600, err, sizeof err), 0);
	free(fill);
	struct run r = run(f, f->copy, (const char *[]){envs, path, NULL}, (const char *[]){"--sandbox", "config", "check", NULL});
	assert_int_equal(exit_code(&r), 1);
	assert_non_null(strstr(r.err, "\"fresh run\""));
	run_free(&r);
	struct stat st;
	assert_int_equal(stat(oldp, &st), 0);
	assert_int_equal((size_t)st.st_size, big);
	char *log = st_read_file(logp, 1 << 16, NULL, err, sizeof err);
	assert_non_null(log);
	assert_null(strstr(log, "old run"));
	assert_non_null(strstr(log, "fresh run\n"));
	free(log);
	/* Below the limit, runs append. */
	r = run(f, f->copy, (const char *[]){envs, path, NULL}, (const char *[]){"--sandbox", "config", "check", NULL});
	run_free(&r);
	log = st_read_file(logp, 1 << 16, NULL, err, sizeof err);
	assert_non_null(log);
	assert_non_null(strstr(strstr(log, "fresh run\n") + 1, "fresh run\n"));
	free(log);
	assert_nothing_left();
	free(base);
	free(logp);
	free(oldp);
	free(fake);
	free(envs);
	free(path);
}

/* Silent past the 10 s deadline: stopped, reaped, one line. */
static void t_deadline(void **state)
{
	fx *f = *state;
	char *fake = fake_sandbox(f, "exec /bin/sleep 60");
	char *envs = st_xasprintf("SEALTRAIN_SANDBOX=%s", fake), *path = st_xasprintf("PATH=%s", f->nobin);
	long long t0 = now_ms();
	struct run r = run(f, f->copy, (const char *[]){envs, path, NULL},
			   (const char *[]){"--sandbox", "--project", "demo-proj", "api", SERVICE, NULL});
	long long took = now_ms() - t0;
	assert_int_equal(exit_code(&r), 1);
	assert_true(took >= 9900 && took < 20000);
	char *want = st_xasprintf("sealtrain: --sandbox: %s did not report its address within 10 s; stopped it "
				  "(log: %s/sealtrain/sandbox.log)\n", fake, f->xdg);
	assert_string_equal(r.err, want);
	free(want);
	assert_gone(fake_pid(f, 100));
	assert_nothing_left();
	run_free(&r);
	/* A first line that is not an address is refused too. */
	char *liar = fake_sandbox(f, "echo 'listening somewhere'\nexec /bin/sleep 60");
	r = run(f, f->copy, (const char *[]){envs, path, NULL},
		(const char *[]){"--sandbox", "--project", "demo-proj", "api", SERVICE, NULL});
	assert_int_equal(exit_code(&r), 1);
	assert_non_null(strstr(r.err, "printed \"listening somewhere\" where its address was expected; stopped it"));
	assert_gone(fake_pid(f, 100));
	assert_nothing_left();
	run_free(&r);
	free(liar);
	free(fake);
	free(envs);
	free(path);
}

/* A loopback port that accepts connections (the kernel completes them) and never
 * answers, so that a console using it waits until it is signalled. */
static int silent_port(int *fd)
{
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(*fd, 16), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

/* Waits until the console has started its sandbox and is busy with the command. */
static void wait_started(fx *f)
{
	char err[200];
	for (long long end = now_ms() + 10000; now_ms() < end; usleep(20000)) {
		char *s = st_read_file(f->errp, 1 << 16, NULL, err, sizeof err);
		bool up = s && strstr(s, "sealtrain api: credentials:");
		free(s);
		if (up)
			return;
	}
	fail_msg("the console did not get to its request");
}

/* SIGINT, SIGTERM (caught: the child is stopped first) and SIGKILL (not caught: the
 * parent-death signal stops the child) all leave no sandbox behind. */
static void t_signals(void **state)
{
	fx *f = *state;
	int sock;
	int port = silent_port(&sock);
	char *body = st_xasprintf("echo 'sealtrain-sandbox listening on http://127.0.0.1:%d'\nexec /bin/sleep 60", port);
	char *fake = fake_sandbox(f, body);
	char *envs = st_xasprintf("SEALTRAIN_SANDBOX=%s", fake), *path = st_xasprintf("PATH=%s", f->nobin);
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGKILL};
	char *pidfile = st_xasprintf("%s/fake.pid", f->dir);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		unlink(pidfile);
		pid_t pid = start(f, f->copy, (const char *[]){envs, path, NULL},
				  (const char *[]){"--sandbox", "-v", "--project", "demo-proj", "api", SERVICE, NULL});
		wait_started(f);
		pid_t child = fake_pid(f, 5000);
		assert_int_equal(kill(pid, sigs[i]), 0);
		struct run r = finish(f, pid);
		assert_true(WIFSIGNALED(r.status));
		assert_int_equal(WTERMSIG(r.status), sigs[i]);
		if (sigs[i] == SIGKILL) {
			/* Reparented here; it must end of the SIGTERM its parent's death sent. */
			int st = -1;
			for (long long end = now_ms() + 5000; now_ms() < end && waitpid(child, &st, WNOHANG) == 0;)
				usleep(10000);
			assert_true(WIFSIGNALED(st));
			assert_int_equal(WTERMSIG(st), SIGTERM);
		}
		assert_gone(child);
		assert_nothing_left();
		run_free(&r);
	}
	close(sock);
	free(pidfile);
	free(body);
	free(fake);
	free(envs);
	free(path);
}

int main(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		perror("PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_runs_and_state_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(t_default_state_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(t_missing_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(t_state_dir_held, setup, teardown),
		cmocka_unit_test_setup_teardown(t_exits_early, setup, teardown),
		cmocka_unit_test_setup_teardown(t_state_dir_unusable, setup, teardown),
		cmocka_unit_test_setup_teardown(t_log_rotates, setup, teardown),
		cmocka_unit_test_setup_teardown(t_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(t_signals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
