#include "sandbox/guest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/str.h"

/* Between fork and exec only async-signal-safe calls: everything is prepared before. */
static void child(int in, int out, const char *dir, char *const argv[], char *const envp[])
{
	setpgid(0, 0);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 || chdir(dir) != 0)
		_exit(126);
	/* Nothing of the sandbox's (sockets, database, descriptors it inherited) leaks in. */
	close_range(3, ~0U, 0);
	execve(argv[0], argv, envp);
	_exit(127);
}

pid_t guest_spawn(const char *dir, char *const argv[], char *const envp[],
		  const char *out_path, char *err, size_t errlen)
{
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	pid_t pid;

	if (in < 0 || out < 0) {
		snprintf(err, errlen, "cannot open %s: %s", in < 0 ? "/dev/null" : out_path,
			 strerror(errno));
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		return -1;
	}
	pid = fork();
	if (pid == 0)
		child(in, out, dir, argv, envp);
	if (pid < 0)
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(errno));
	else
		setpgid(pid, pid); /* also from the parent, so kill works at once */
	close(in);
	close(out);
	return pid;
}

int guest_poll(pid_t pid, int *code)
{
	int st;
	pid_t r;

	if (pid <= 0)
		return -1;
	do
		r = waitpid(pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r < 0)
		return -1;
	*code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 1;
}

void guest_kill(pid_t pid)
{
	int code;

	if (pid <= 0)
		return;
	kill(-pid, SIGKILL);
	while (waitpid(pid, &code, 0) < 0 && errno == EINTR)
		;
}

char *guest_read_new(const char *out_path, long long *offset, size_t max, size_t *n)
{
	int fd = open(out_path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char *buf;
	ssize_t r;
	size_t want;

	*n = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) != 0 || sb.st_size <= *offset) {
		close(fd);
		return NULL;
	}
	want = (size_t)(sb.st_size - *offset);
	if (want > max)
		want = max;
	buf = st_xmalloc(want + 1);
	r = pread(fd, buf, want, (off_t)*offset);
	close(fd);
	if (r <= 0) {
		free(buf);
		return NULL;
	}
	buf[r] = '\0';
	*n = (size_t)r;
	*offset += r;
	return buf;
}

bool guest_pump(const char *out_path, long long *done, bool final,
		void (*emit)(void *ctx, char *text, size_t n), void *ctx)
{
	long long off = *done;
	size_t n;
	char *buf, *last;
	bool moved = false;

	while ((buf = guest_read_new(out_path, &off, GUEST_PUMP_MAX, &n))) {
		last = final || n == GUEST_PUMP_MAX ? buf + n - 1 : memrchr(buf, '\n', n);
		if (last) {
			emit(ctx, buf, (size_t)(last - buf + 1));
			*done += last - buf + 1;
			moved = true;
		}
		free(buf);
		off = *done;
		if (!final || !last)
			break;
	}
	return moved;
}
