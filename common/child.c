#include "common/child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A parent started with stdin or stdout closed hands out fds 0-2 from pipe(); moved
 * above them, they cannot be clobbered by the child's own dup2 onto 0, 1 and 2. */
static int above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return moved;
}

/* In the child, between fork and exec. A parent that died before prctl took effect
 * would never send the death signal, hence the getppid check after it. */
static void exec_child(const char *const argv[], int in, int out, int err_fd, pid_t parent)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	static const int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT};
	for (size_t i = 0; i < sizeof reset / sizeof *reset; i++)
		signal(reset[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || (err_fd >= 0 && dup2(err_fd, 2) < 0))
		_exit(127);
	/* execv promises not to change the strings; its prototype predates const. */
	execv(argv[0], (char *const *)argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int st_child_spawn(st_child *c, const char *const argv[], int err_fd, char *err, size_t errlen)
{
	c->pid = 0;
	c->out_fd = -1;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	p[0] = above_stdio(p[0]);
	p[1] = above_stdio(p[1]);
	int in = above_stdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (p[0] < 0 || p[1] < 0 || in < 0) {
		snprintf(err, errlen, "opening the child's stdin and stdout: %s", strerror(errno));
		goto fail;
	}
	/* Signals stay blocked until c->pid is set, so that a handler stopping the child
	 * never sees a child it does not know about. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		exec_child(argv, in, p[1], err_fd, parent);
	int fork_errno = errno;
	if (pid > 0) {
		setpgid(pid, pid); /* also here: whichever side runs first, the group exists */
		c->pid = pid;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(fork_errno));
		goto fail;
	}
	close(p[1]);
	close(in);
	c->out_fd = p[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	if (in >= 0)
		close(in);
	return -1;
}

/* After stdout closed: the child is normally exiting, but give it until the deadline
 * (and at least a second) before deciding that it lives on without a voice. */
static enum st_child_line await_exit(st_child *c, long long deadline, int *status)
{
	if (deadline < now_ms() + 1000)
		deadline = now_ms() + 1000;
	for (;;) {
		pid_t r = waitpid(c->pid, status, WNOHANG);
		if (r == c->pid || (r < 0 && errno == ECHILD)) {
			c->pid = 0;
			return ST_CHILD_LINE_EXITED;
		}
		if (now_ms() >= deadline)
			return ST_CHILD_LINE_CLOSED;
		nap_ms(10);
	}
}

enum st_child_line st_child_first_line(st_child *c, int timeout_ms, char *line, size_t size,
				       int *status)
{
	long long deadline = now_ms() + timeout_ms;
	size_t n = 0;
	enum st_child_line res = ST_CHILD_LINE_TIMEOUT;
	*status = 0;
	line[0] = '\0';
	for (long long left; res == ST_CHILD_LINE_TIMEOUT && (left = deadline - now_ms()) > 0;) {
		struct pollfd pfd = {.fd = c->out_fd, .events = POLLIN};
		int r = poll(&pfd, 1, (int)left);
		if (r <= 0)
			continue; /* timeout or EINTR: the loop condition decides */
		char buf[256];
		ssize_t k = read(c->out_fd, buf, sizeof buf);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			res = ST_CHILD_LINE_CLOSED;
			break;
		}
		for (ssize_t i = 0; i < k; i++) {
			if (buf[i] == '\n') {
				res = ST_CHILD_LINE_OK;
				break;
			}
			if (n + 1 < size)
				line[n++] = buf[i];
		}
		line[n] = '\0';
	}
	close(c->out_fd);
	c->out_fd = -1;
	if (res == ST_CHILD_LINE_CLOSED)
		return await_exit(c, deadline, status);
	return res;
}

/* Waits for the child to end without reaping it, so that its pid (its group's id) stays
 * reserved while the rest of the group is killed. */
static bool ended_within(pid_t pid, int ms)
{
	for (int waited = 0;; waited += 10) {
		siginfo_t si;
		si.si_pid = 0;
		int r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || si.si_pid == pid)
			return true;
		if (waited >= ms)
			return false;
		nap_ms(10);
	}
}

int st_child_stop(st_child *c, int grace_ms)
{
	int saved_errno = errno;
	if (c->out_fd >= 0) {
		close(c->out_fd);
		c->out_fd = -1;
	}
	pid_t pid = c->pid;
	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	ended_within(pid, grace_ms);
	/* Whatever it left behind in its group (a stuck child, a guest script) goes too. */
	kill(-pid, SIGKILL);
	int status = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
	errno = saved_errno;
	return status;
}
