/* The gcloud source: `gcloud auth print-access-token` as a child process whose
 * output is read from the loop, so the console never waits on it. */
#include "gcp/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/str.h"
#include "gcp/auth_priv.h"

void gcp_a_reap_child(gcp_auth *a, bool kill_it)
{
	if (a->child_fd >= 0) {
		if (a->ctx)
			gcp__unwatch_fd(a->ctx, a->child_fd);
		close(a->child_fd);
		a->child_fd = -1;
	}
	if (a->child > 0) {
		if (kill_it)
			kill(a->child, SIGTERM);
		waitpid(a->child, NULL, 0);
		a->child = -1;
	}
}

/* gcloud: one child per fetch, its stdout read from the loop. */
static void gcloud_result(gcp_auth *a, int status)
{
	gcp_error e;
	char *t = st_trim(a->child_out.p ? a->child_out.p : (char *)"");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		gcp_error_set(&e, 0, 16, NULL, "'%s auth print-access-token' failed (exit status %d); run 'gcloud auth login'",
			      a->gcloud, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		gcp_a_set_failure(a, &e);
	} else if (!gcp_a_token_ok(t)) {
		gcp_error_set(&e, 0, 16, NULL, "'%s auth print-access-token' printed no usable token", a->gcloud);
		gcp_a_set_failure(a, &e);
	} else {
		/* gcloud does not say how long the token lives; its tokens last an hour. */
		gcp_a_store_token(a, t, 45 * 60);
	}
	if (a->child_out.p)
		memset(a->child_out.p, 0, a->child_out.len);
	st_buf_reset(&a->child_out);
	gcp_a_settle(a);
}

/* Stdout closed; the child is on its way out. Reap it without blocking the loop. */
static void reap_later(gcp_ctx *ctx, void *user, bool cancelled)
{
	gcp_auth *a = user;
	int status = 0;
	if (a->child <= 0)
		return;
	if (cancelled) {
		kill(a->child, SIGTERM);
		waitpid(a->child, NULL, 0);
		a->child = -1;
		return;
	}
	pid_t r = waitpid(a->child, &status, WNOHANG);
	if (r == 0) {
		gcp__timer_add(ctx, 20, a, reap_later, a);
		return;
	}
	a->child = -1;
	gcloud_result(a, r < 0 ? 0x7f00 : status);
}

static void on_child_out(gcp_ctx *ctx, int fd, short revents, void *user)
{
	gcp_auth *a = user;
	char buf[4096];
	(void)revents;
	ssize_t n = read(fd, buf, sizeof buf);
	if (n > 0) {
		if (a->child_out.len < 65536)
			st_buf_append(&a->child_out, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	gcp__unwatch_fd(ctx, a->child_fd);
	close(a->child_fd);
	a->child_fd = -1;
	reap_later(ctx, a, false);
}

void gcp_a_fetch_gcloud(gcp_auth *a)
{
	int p[2];
	gcp_error e;
	if (pipe2(p, O_CLOEXEC) != 0) {
		gcp_error_set(&e, 0, 16, NULL, "pipe for gcloud: %s", strerror(errno));
		goto out_fail;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		gcp_error_set(&e, 0, 16, NULL, "fork for gcloud: %s", strerror(errno));
		goto out_fail;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(p[1], 1);
		dup2(devnull, 2);
		execlp(a->gcloud, a->gcloud, "auth", "print-access-token", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	a->child = pid;
	a->child_fd = p[0];
	gcp__watch_fd(a->ctx, p[0], on_child_out, a);
	return;
out_fail:
	gcp_a_set_failure(a, &e);
	gcp_a_settle(a);
}

