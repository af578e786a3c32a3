/* From global flags to a loaded config: the one place where --config, --project and
 * --sandbox-url meet the file, so every subcommand sees the same result. */
#include "config/globals.h"

#include <stdio.h>
#include <stdlib.h>

#include "config/config_priv.h"
#include "config/names.h"

int st_globals_load(const struct st_globals *g, st_config **out, st_diag_list *diags)
{
	*out = NULL;
	char why[200];
	size_t before = diags->count;
	if (g->project && st_name_check(ST_NAME_PROJECT, g->project, why, sizeof why) < 0)
		st_diag_add(diags, NULL, 0, 0, "--project", "not a valid project id: %s", why);
	if (g->sandbox_url && st_endpoint_check(g->sandbox_url, -1, why, sizeof why) < 0)
		st_diag_add(diags, NULL, 0, 0, "--sandbox-url", "%s", why);
	if (diags->count > before)
		return ST_EXIT_USAGE;
	st_config *c;
	if (st_config_load(g->config_path, &c, diags) < 0)
		return ST_EXIT_USAGE;
	if (g->project)
		st_config_set_str(&c->project, g->project);
	if (g->sandbox_url)
		st_config_set_all_endpoints(c, g->sandbox_url);
	*out = c;
	return ST_EXIT_OK;
}

void st_globals_print_diags(const st_diag_list *diags, FILE *fp)
{
	for (size_t i = 0; i < diags->count; i++) {
		const st_diag *d = &diags->items[i];
		if (d->file[0]) {
			char *s = st_diag_format(d);
			fprintf(fp, "%s\n", s);
			free(s);
		} else {
			fprintf(fp, "sealtrain: %s: %s\n", d->key_path, d->message);
		}
	}
}

int st_globals_config(const struct st_globals *g, st_config **out)
{
	st_diag_list diags;
	st_diag_list_init(&diags);
	int rc = st_globals_load(g, out, &diags);
	st_globals_print_diags(&diags, stderr);
	st_diag_list_free(&diags);
	return rc;
}
