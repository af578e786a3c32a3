/* From global flags to a loaded config: the one place where --config, --project and
 * --sandbox-url meet the file, so every subcommand sees the same result. */
#include "config/globals.h"

#include <stdio.h>

#include "config/config_priv.h"
#include "config/names.h"

int st_globals_config(const struct st_globals *g, st_config **out)
{
	st_diag_list diags;
	st_diag_list_init(&diags);
	*out = NULL;
	char why[200];
	if (g->project && st_name_check(ST_NAME_PROJECT, g->project, why, sizeof why) < 0) {
		fprintf(stderr, "sealtrain: --project: not a valid project id: %s\n", why);
		return ST_EXIT_USAGE;
	}
	if (g->sandbox_url && st_endpoint_check(g->sandbox_url, -1, why, sizeof why) < 0) {
		fprintf(stderr, "sealtrain: --sandbox-url: %s\n", why);
		return ST_EXIT_USAGE;
	}
	st_config *c;
	if (st_config_load(g->config_path, &c, &diags) < 0) {
		st_diag_print(&diags, stderr);
		st_diag_list_free(&diags);
		return ST_EXIT_USAGE;
	}
	st_diag_list_free(&diags);
	if (g->project)
		st_config_set_str(&c->project, g->project);
	if (g->sandbox_url)
		st_config_set_all_endpoints(c, g->sandbox_url);
	*out = c;
	return ST_EXIT_OK;
}
