/* The guest runner: starts an operator's script (a VM's startup-script or a Vertex
 * job's command) as a child process of the sandbox, in its own process group, with
 * a clean environment, its output appended to a file that the caller's tick reads.
 *
 * This runs the operator's own code as the operator's own user; it exists so that
 * the console's push flow can be exercised end to end, and it is reachable only
 * through authenticated API calls (setMetadata/insert, customJobs.create). */
#ifndef SB_GUEST_H
#define SB_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Runs argv (argv[0] is a path) in dir with exactly the environment envp, stdin from
 * /dev/null, stdout and stderr appended to out_path. Returns the child's pid, which
 * is also its process group id, or -1 with a reason in err. */
pid_t guest_spawn(const char *dir, char *const argv[], char *const envp[],
		  const char *out_path, char *err, size_t errlen);
/* 1 and *code set when the child has exited (code: exit status, or 128+signal);
 * 0 while it runs; -1 when pid is not (or no longer) our child. */
int guest_poll(pid_t pid, int *code);
/* Kills the child's whole process group and reaps it. */
void guest_kill(pid_t pid);
/* Reads what out_path gained past *offset (at most max bytes), advancing *offset.
 * Returns a malloc'd buffer (len in *n), or NULL when nothing is new. */
char *guest_read_new(const char *out_path, long long *offset, size_t max, size_t *n);
/* Hands what out_path gained past *done to emit, advancing *done past what emit got.
 * A running child (final false) gets one chunk of at most GUEST_PUMP_MAX bytes per
 * call and only complete lines, unless the chunk is full; a finished one (final true)
 * is drained to the end, a partial last line included. emit may change the text in
 * place. Returns true when emit was called. */
#define GUEST_PUMP_MAX (256 * 1024)
bool guest_pump(const char *out_path, long long *done, bool final,
		void (*emit)(void *ctx, char *text, size_t n), void *ctx);

#endif
