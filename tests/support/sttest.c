#include "tests/support/sttest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/str.h"

char *st_test_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = st_xasprintf("%s/sealtrain-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	if (!mkdtemp(tmpl)) {
		fprintf(stderr, "mkdtemp %s: %s\n", tmpl, strerror(errno));
		abort();
	}
	return tmpl;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

int st_test_count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	size_t plen = strlen(prefix);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.' && !strncmp(e->d_name, prefix, plen);
	closedir(d);
	return n;
}

void st_test_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void st_test_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
		fprintf(stderr, "write %s: %s\n", path, strerror(errno));
		abort();
	}
}

char *st_test_srcpath(const char *rel)
{
	const char *top = getenv("ST_TOP_SRCDIR");
	return st_xasprintf("%s/%s", top && *top ? top : ".", rel);
}

static const char *sandbox_binary(void)
{
	const char *p = getenv("ST_SANDBOX");
	return p && *p ? p : "./sealtrain-sandbox";
}

/* Reads the first stdout line of the child, up to a deadline. */
static int read_first_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	for (int waited = 0; waited < 20000;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r == 1) {
			if (c == '\n') {
				line[n] = '\0';
				return 0;
			}
			if (n + 1 < size)
				line[n++] = c;
		} else if (r == 0) {
			return -1;
		} else if (errno == EAGAIN) {
			usleep(10000);
			waited += 10;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return -1;
}

int st_sandbox_start(st_sandbox *sb, const char *state, const char *const *extra)
{
	memset(sb, 0, sizeof *sb);
	sb->own_state = state == NULL;
	sb->state = state ? st_xstrdup(state) : st_test_tmpdir("sandbox");
	sb->log = st_xasprintf("%s.log", sb->state);
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	const char *argv[64] = {sandbox_binary(), "--listen", "127.0.0.1:0", "--state", sb->state};
	int argc = 5;
	for (; extra && *extra && argc < 62; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int lfd = open(sb->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(pfd[1], 1);
		if (lfd >= 0)
			dup2(lfd, 2);
		close(pfd[0]);
		setpgid(0, 0);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	char line[256];
	int rc = read_first_line(pfd[0], line, sizeof line);
	close(pfd[0]); /* later stdout writes get EPIPE/SIGPIPE-ignored in the sandbox */
	const char *mark = "listening on http://127.0.0.1:";
	char *at = rc == 0 ? strstr(line, mark) : NULL;
	if (!at) {
		fprintf(stderr, "sandbox did not start (see %s)\n", sb->log);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	sb->pid = pid;
	sb->port = atoi(at + strlen(mark));
	snprintf(sb->url, sizeof sb->url, "http://127.0.0.1:%d", sb->port);
	return 0;
}

int st_sandbox_stop(st_sandbox *sb, int sig, bool keep_state)
{
	int status = 0;
	if (sb->pid > 0) {
		kill(sb->pid, sig ? sig : SIGTERM);
		while (waitpid(sb->pid, &status, 0) < 0 && errno == EINTR)
			;
		sb->pid = 0;
	}
	if (!keep_state) {
		if (sb->own_state)
			st_test_rmtree(sb->state);
		unlink(sb->log);
		free(sb->state);
		free(sb->log);
		sb->state = sb->log = NULL;
	}
	return status;
}
