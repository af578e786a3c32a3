/* Global command-line flags shared by every `sealtrain` subcommand, and the
 * subcommand signature that tui/main.c dispatches to. */
#ifndef ST_GLOBALS_H
#define ST_GLOBALS_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"

/* Exit codes (DESIGN §5). */
enum {
	ST_EXIT_OK = 0,
	ST_EXIT_FAIL = 1,   /* a step or request failed */
	ST_EXIT_USAGE = 2,  /* bad command line or bad config */
	ST_EXIT_AUTH = 3,   /* no usable credentials */
};

struct st_globals {
	const char *config_path; /* --config FILE; NULL = search */
	const char *project;     /* --project ID; overrides the file */
	const char *sandbox_url; /* --sandbox-url URL; every endpoint points there */
	bool sandbox;            /* --sandbox: start an embedded sandbox */
	const char *sandbox_state; /* set with --sandbox: the embedded sandbox's state dir */
	bool read_only;          /* --read-only: refuse every mutating action */
	bool json;               /* --json: machine-readable output */
	bool verbose;            /* -v */
};

/* A subcommand: argv[0] is the subcommand's own name, global flags already removed.
 * Returns the process exit code. */
typedef int (*st_cmd_fn)(const struct st_globals *g, int argc, char **argv);

/* Loads the config named by g (or searched for), applies --project and --sandbox-url,
 * prints diagnostics to stderr. Returns 0 with *out set, or ST_EXIT_USAGE with *out NULL. */
int st_globals_config(const struct st_globals *g, st_config **out);
/* The same without printing: every problem is appended to diags. A bad flag value has
 * no file (file "", line 0) and the flag as its key_path, e.g. "--project". */
int st_globals_load(const struct st_globals *g, st_config **out, st_diag_list *diags);
/* Human form of diags: FILE:LINE:COL: KEY: MESSAGE, or "sealtrain: FLAG: MESSAGE". */
void st_globals_print_diags(const st_diag_list *diags, FILE *fp);

#endif
