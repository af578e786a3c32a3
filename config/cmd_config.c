#include "config/cmd_config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

static void usage(FILE *fp)
{
	fputs("usage: sealtrain [GLOBAL FLAGS] config check [--json] [FILE]\n"
	      "  Loads FILE (or the file the global flags and the search order pick),\n"
	      "  applies --project and --sandbox-url, and prints the effective\n"
	      "  configuration as YAML; on errors prints FILE:LINE:COL: KEY: MESSAGE\n"
	      "  lines on stderr and exits 2.\n"
	      "  --json  print the configuration as one JSON object instead; on errors\n"
	      "          print {\"errors\":[{\"file\",\"line\",\"column\",\"path\",\"message\"}]}\n"
	      "          on stdout (the human lines still go to stderr) and exit 2.\n",
	      fp);
}

/* A string member that may be absent: "" becomes null like an unknown position. */
static json_t *opt_str(const char *s)
{
	return s && *s ? st_config_json_str(s) : json_null();
}

static json_t *opt_pos(unsigned v)
{
	return v ? json_integer(v) : json_null();
}

/* {"errors":[...]} in the order the problems were found. */
static int print_errors_json(const st_diag_list *diags, FILE *fp)
{
	json_t *list = json_array();
	for (size_t i = 0; i < diags->count; i++) {
		const st_diag *d = &diags->items[i];
		json_t *e = json_object();
		json_object_set_new(e, "file", opt_str(d->file));
		json_object_set_new(e, "line", opt_pos(d->line));
		json_object_set_new(e, "column", opt_pos(d->col));
		json_object_set_new(e, "path", opt_str(d->key_path));
		json_object_set_new(e, "message", opt_str(d->message));
		json_array_append_new(list, e);
	}
	json_t *root = json_object();
	json_object_set_new(root, "errors", list);
	int rc = json_dumpf(root, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc == 0 && fputc('\n', fp) == EOF)
		rc = -1;
	return rc;
}

/* Both the YAML and the JSON form end here: a failed write to stdout (a full disk,
 * a closed pipe) is a failure, not a silent success. */
static int finish(int rc, int wrote)
{
	if (wrote != 0 || fflush(stdout) != 0) {
		fputs("sealtrain config check: cannot write to standard output\n", stderr);
		return ST_EXIT_FAIL;
	}
	return rc;
}

static int load_and_print(const struct st_globals *g, bool json)
{
	st_diag_list diags;
	st_diag_list_init(&diags);
	st_config *c;
	int rc = st_globals_load(g, &c, &diags);
	st_globals_print_diags(&diags, stderr);
	if (rc != ST_EXIT_OK) {
		int wrote = json ? print_errors_json(&diags, stdout) : 0;
		st_diag_list_free(&diags);
		return finish(rc, wrote);
	}
	st_diag_list_free(&diags);
	int wrote = 0;
	if (json)
		wrote = st_config_dump_json(c, stdout);
	else
		st_config_dump(c, stdout);
	st_config_free(c);
	return finish(ST_EXIT_OK, wrote);
}

static int check(const struct st_globals *g, int argc, char **argv)
{
	const char *file = NULL;
	bool json = g->json;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return ST_EXIT_OK;
		}
		if (!strcmp(argv[i], "--json")) {
			json = true;
			continue;
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
	return load_and_print(&local, json);
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
