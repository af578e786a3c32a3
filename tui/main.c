/* sealtrain's entry point: global flags, then one subcommand from the table below.
 * The full-screen console arrives with a later issue; until then a bare `sealtrain`
 * prints its usage and exits 2. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "config/cmd_config.h"
#include "config/globals.h"
#include "gcp/cmd_api.h"
#include "tui/embedded.h"

struct cmd {
	const char *name;
	st_cmd_fn fn;
	const char *summary;
};

/* One line per subcommand; keep it sorted by name. */
static const struct cmd cmds[] = {
	{"api", gcp_cmd_api, "[-X METHOD] URL_OR_PATH [--data JSON|@FILE] [--paginate] [--wait]: one API request"},
	{"config", st_cmd_config, "check [FILE]: print the effective configuration or its errors"},
};

static void usage(FILE *fp)
{
	fputs("usage: sealtrain [GLOBAL FLAGS] COMMAND [ARGS]\n"
	      "\n"
	      "Global flags:\n"
	      "  --config FILE      configuration file (default: $SEALTRAIN_CONFIG, then\n"
	      "                     $XDG_CONFIG_HOME/sealtrain/sealtrain.yaml, then built-in defaults)\n"
	      "  --project ID       Google Cloud project, overriding the file\n"
	      "  --sandbox          start a sealtrain-sandbox for this run and send every API\n"
	      "                     call to it (state in $XDG_STATE_HOME/sealtrain/sandbox,\n"
	      "                     its log in $XDG_STATE_HOME/sealtrain/sandbox.log)\n"
	      "  --sandbox-url URL  send every API call to a running sealtrain-sandbox\n"
	      "  --read-only        refuse every action that would change a resource\n"
	      "  --json             machine-readable output where a command supports it\n"
	      "  -v, --verbose      more detail on stderr\n"
	      "  -h, --help         this help\n"
	      "  -V, --version      print the version\n"
	      "\n"
	      "Commands:\n",
	      fp);
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		fprintf(fp, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\n"
	      "The interactive console is not part of this build yet: run a command.\n"
	      "Exit status: 0 ok, 1 failure, 2 usage or configuration error, 3 authentication error.\n",
	      fp);
}

/* Takes the value of a flag given as "--flag VALUE" or "--flag=VALUE". Returns 1 when
 * argv[*i] is that flag (advancing *i past a separate value), 0 when it is not, -1 on a
 * missing value. */
static int flag_value(const char *flag, int argc, char **argv, int *i, const char **out)
{
	const char *a = argv[*i];
	size_t n = strlen(flag);
	if (strncmp(a, flag, n) != 0)
		return 0;
	if (a[n] == '=') {
		*out = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "sealtrain: %s needs a value\n", flag);
		return -1;
	}
	*out = argv[++*i];
	return 1;
}

/* Parses global flags up to the first non-flag word. Returns the index of the command,
 * argc when there is none, or -1 after printing an error (-2 when help or version
 * was printed). */
static int parse_globals(int argc, char **argv, struct st_globals *g)
{
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		int r;
		if ((r = flag_value("--config", argc, argv, &i, &g->config_path)) ||
		    (r = flag_value("--project", argc, argv, &i, &g->project)) ||
		    (r = flag_value("--sandbox-url", argc, argv, &i, &g->sandbox_url))) {
			if (r < 0)
				return -1;
		} else if (!strcmp(a, "--sandbox")) {
			g->sandbox = true;
		} else if (!strcmp(a, "--read-only")) {
			g->read_only = true;
		} else if (!strcmp(a, "--json")) {
			g->json = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			g->verbose = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return -2;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("sealtrain %s\n", PACKAGE_VERSION);
			return -2;
		} else if (!strcmp(a, "--")) {
			return i + 1;
		} else {
			fprintf(stderr, "sealtrain: unknown flag %s (see sealtrain --help)\n", a);
			return -1;
		}
	}
	return i;
}

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* --sandbox is --sandbox-url with the URL of a sandbox of our own, which lives exactly
 * as long as the command. */
static int run_with_sandbox(const struct cmd *c, struct st_globals *g, int argc, char **argv)
{
	st_embedded emb;
	int rc = st_embedded_start(&emb, g->verbose);
	if (rc == ST_EXIT_OK) {
		g->sandbox_url = emb.url;
		g->sandbox_state = emb.state_dir;
		rc = c->fn(g, argc, argv);
	}
	st_embedded_stop(&emb);
	return rc;
}

int main(int argc, char **argv)
{
	struct st_globals g = {0};
	int at = parse_globals(argc, argv, &g);
	if (at == -2)
		return fflush(stdout) == 0 ? ST_EXIT_OK : ST_EXIT_FAIL;
	if (at < 0)
		return ST_EXIT_USAGE;
	if (g.sandbox && g.sandbox_url) {
		fputs("sealtrain: --sandbox and --sandbox-url cannot be used together: --sandbox starts "
		      "its own sandbox, --sandbox-url uses a running one\n", stderr);
		return ST_EXIT_USAGE;
	}
	if (at >= argc) {
		usage(stderr);
		return ST_EXIT_USAGE;
	}
	const struct cmd *c = find_cmd(argv[at]);
	if (!c) {
		char clean[64];
		st_sanitize_text(clean, sizeof clean, argv[at]);
		fprintf(stderr, "sealtrain: unknown command \"%s\" (see sealtrain --help)\n", clean);
		return ST_EXIT_USAGE;
	}
	return g.sandbox ? run_with_sandbox(c, &g, argc - at, argv + at) : c->fn(&g, argc - at, argv + at);
}
