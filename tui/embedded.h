/* `sealtrain --sandbox`: a sealtrain-sandbox of our own, started as a child for the
 * length of one run, so that `--sandbox` behaves as `--sandbox-url URL` with its URL. */
#ifndef ST_EMBEDDED_H
#define ST_EMBEDDED_H

#include <stdbool.h>
#include <stddef.h>

#include "common/child.h"

/* How long the sandbox has to print its address. */
#define ST_EMBEDDED_START_MS 10000

typedef struct st_embedded {
	st_child child;
	char url[64];    /* http://127.0.0.1:PORT once started */
	char *bin;       /* the sealtrain-sandbox that runs */
	char *state_dir; /* $XDG_STATE_HOME/sealtrain/sandbox */
	char *log_path;  /* $XDG_STATE_HOME/sealtrain/sandbox.log: the child's stderr */
} st_embedded;

/* Finds sealtrain-sandbox, starts it on 127.0.0.1:0 with its state under
 * $XDG_STATE_HOME/sealtrain (default ~/.local/state/sealtrain) and waits up to
 * ST_EMBEDDED_START_MS for its address. Until st_embedded_stop, SIGINT, SIGTERM,
 * SIGHUP, SIGPIPE and exit() stop it first. Returns 0 (ST_EXIT_OK), or an exit code
 * after printing one line on stderr that says what failed and where. */
int st_embedded_start(st_embedded *e, bool verbose);
/* SIGTERM, a grace period, then SIGKILL; reaps the child and frees e. Idempotent. */
void st_embedded_stop(st_embedded *e);

/* --- lookup (tui/embedded_find.c) --- */

/* The sealtrain-sandbox to run: beside this program (/proc/self/exe), then
 * $SEALTRAIN_SANDBOX, then each directory of PATH. NULL when none is executable; then
 * looked (when not NULL) lists the places tried. Caller frees both. */
char *st_embedded_find(char **looked);
/* $XDG_STATE_HOME/sealtrain, or $HOME/.local/state/sealtrain; NULL when neither
 * variable is set. Caller frees. */
char *st_embedded_state_base(void);

#endif
