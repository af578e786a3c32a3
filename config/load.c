/* Finding and reading the config file: --config, $SEALTRAIN_CONFIG, the XDG location,
 * then the built-in defaults. */
#include "config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "common/str.h"
#include "config/config_priv.h"

/* $XDG_CONFIG_HOME/sealtrain/sealtrain.yaml, or under ~/.config; NULL without a home. */
static char *xdg_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && xdg[0] == '/')
		return st_xasprintf("%s/sealtrain/sealtrain.yaml", xdg);
	const char *home = getenv("HOME");
	if (home && *home)
		return st_xasprintf("%s/.config/sealtrain/sealtrain.yaml", home);
	return NULL;
}

static int load_file(const char *path, st_config **out, st_diag_list *diags)
{
	char err[512];
	size_t len;
	if (!*path) {
		st_diag_add(diags, "\"\"", 0, 0, NULL, "expected a config file name, got an empty string");
		return -1;
	}
	char *text = st_read_file(path, ST_CONFIG_MAX_BYTES, &len, err, sizeof err);
	if (!text) {
		/* st_read_file starts its reason with the path; the diagnostic adds it again. */
		size_t pl = strlen(path);
		const char *why = strncmp(err, path, pl) == 0 && err[pl] == ':' ? err + pl + 2 : err;
		st_diag_add(diags, path, 0, 0, NULL, "%s", why);
		return -1;
	}
	int r = st_config_parse(path, text, len, out, diags);
	free(text);
	return r;
}

int st_config_load(const char *explicit_path, st_config **out, st_diag_list *diags)
{
	*out = NULL;
	if (explicit_path)
		return load_file(explicit_path, out, diags);
	const char *env = getenv("SEALTRAIN_CONFIG");
	if (env && *env)
		return load_file(env, out, diags);
	char *xdg = xdg_path();
	struct stat st;
	/* Only a file that is really absent falls back; an unreadable one is an error. */
	if (xdg && (stat(xdg, &st) == 0 || errno != ENOENT)) {
		int r = load_file(xdg, out, diags);
		free(xdg);
		return r;
	}
	free(xdg);
	*out = st_config_defaults();
	return 0;
}

void st_config_random_suffix(char out[ST_CONFIG_RANDOM_SUFFIX_LEN + 1])
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[ST_CONFIG_RANDOM_SUFFIX_LEN];
	if (st_random_bytes(r, sizeof r) != 0)
		abort(); /* no randomness at all: names would collide, so refuse to go on */
	for (size_t i = 0; i < sizeof r; i++)
		out[i] = i == 0 ? alnum[r[i] % 26] : alnum[r[i] % 36];
	out[ST_CONFIG_RANDOM_SUFFIX_LEN] = '\0';
}
