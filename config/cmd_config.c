#include "config/cmd_config.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *fp)
{
	fputs("usage: sealtrain [GLOBAL FLAGS] config check [FILE]\n"
	      "  Loads FILE (or the file the global flags and the search order pick),\n"
	      "  applies --project and --sandbox-url, and prints the effective\n"
	      "  configuration as YAML; on errors prints FILE:LINE:COL: KEY: MESSAGE\n"
	      "  lines on stderr and exits 2.\n",
	      fp);
}

static int check(const struct st_globals *g, int argc, char **argv)
{
	const char *file = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return ST_EXIT_OK;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "sealtrain config check: unknown option %s\n", argv[i]);
			return ST_EXIT_USAGE;
		}
		if (file) {
			fprintf(stderr, "sealtrain config check: expected one FILE, got %s too\n", argv[i]);
			return ST_EXIT_USAGE;
		}
		file = argv[i];
	}
	struct st_globals local = *g;
	if (file)
		local.config_path = file;
	st_config *c;
	int rc = st_globals_config(&local, &c);
	if (rc != ST_EXIT_OK)
		return rc;
	st_config_dump(c, stdout);
	st_config_free(c);
	return fflush(stdout) == 0 ? ST_EXIT_OK : ST_EXIT_FAIL;
}

int st_cmd_config(const struct st_globals *g, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return check(g, argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return ST_EXIT_OK;
	}
	if (argc >= 2)
		fprintf(stderr, "sealtrain config: unknown subcommand \"%s\"\n", argv[1]);
	usage(stderr);
	return ST_EXIT_USAGE;
}
