/* A helper process that announces itself on its first stdout line (a server telling
 * its address), owned by us: it lives in its own process group, gets SIGTERM if we
 * die without stopping it, and is always reaped. */
#ifndef ST_CHILD_H
#define ST_CHILD_H

#include <stddef.h>
#include <sys/types.h>

typedef struct st_child {
	pid_t pid;  /* 0 when no child is running (never started, or reaped) */
	int out_fd; /* read end of the child's stdout until the first line is read; else -1 */
} st_child;

/* Starts argv[0] (a path, not searched) with argv, stdin from /dev/null, stdout to a
 * pipe and stderr to err_fd, as the leader of a new process group, with SIGTERM as
 * its parent-death signal. Returns 0, or -1 with a one-line reason in err. */
int st_child_spawn(st_child *c, const char *const argv[], int err_fd, char *err, size_t errlen);

enum st_child_line {
	ST_CHILD_LINE_OK,      /* line holds the first line, without its newline */
	ST_CHILD_LINE_EXITED,  /* the child ended first; it is reaped, *status says how */
	ST_CHILD_LINE_TIMEOUT, /* no complete line within the time given; still running */
	ST_CHILD_LINE_CLOSED,  /* stdout closed without a line but the child lives on */
};

/* Waits up to timeout_ms for the child's first stdout line (longer lines are cut to
 * size - 1 bytes). The pipe is closed on return, whatever the outcome: later output
 * is not ours to read. */
enum st_child_line st_child_first_line(st_child *c, int timeout_ms, char *line, size_t size,
				       int *status);

/* SIGTERM to the child, up to grace_ms for it to exit, then SIGKILL to its whole
 * group; reaps it. Returns its wait status, or -1 when there was no child. Only
 * async-signal-safe calls, so a signal handler may use it. */
int st_child_stop(st_child *c, int grace_ms);

#endif
