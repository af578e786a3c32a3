/* Where an embedded sandbox comes from and where it keeps its state. */
#include "tui/embedded.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"

#define SANDBOX_NAME "sealtrain-sandbox"

static bool runnable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The directory of the running binary: an installed sealtrain and the build tree both
 * keep the sandbox beside it, so this finds the matching version before any other. */
static char *self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return st_xstrdup(buf[0] ? buf : "/");
}

static char *try_dir(const char *dir, st_buf *looked)
{
	char *p = st_xasprintf("%s/%s", dir, SANDBOX_NAME);
	if (runnable(p))
		return p;
	free(p);
	st_buf_printf(looked, "%s%s", looked->len ? ", " : "", dir);
	return NULL;
}

/* PATH entries in order; an empty entry (the current directory for a shell) is
 * skipped: a sandbox that happens to lie in the working directory is not trusted. */
static char *try_path(st_buf *looked)
{
	const char *path = getenv("PATH");
	if (!path || !*path) {
		st_buf_puts(looked, ", PATH (unset)");
		return NULL;
	}
	char *copy = st_xstrdup(path), *save = NULL, *found = NULL;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = st_xasprintf("%s/%s", d, SANDBOX_NAME);
		if (runnable(p))
			found = p;
		else
			free(p);
	}
	free(copy);
	if (!found)
		st_buf_printf(looked, ", PATH=%s", path);
	return found;
}

char *st_embedded_find(char **looked)
{
	st_buf where;
	st_buf_init(&where);
	char *found = NULL, *dir = self_dir();
	if (dir)
		found = try_dir(dir, &where);
	else
		st_buf_puts(&where, "(the directory of /proc/self/exe is unknown)");
	free(dir);
	const char *env = getenv("SEALTRAIN_SANDBOX");
	if (!found && env && *env) {
		if (runnable(env))
			found = st_xstrdup(env);
		else
			st_buf_printf(&where, ", $SEALTRAIN_SANDBOX=%s", env);
	} else if (!found) {
		st_buf_puts(&where, ", $SEALTRAIN_SANDBOX (unset)");
	}
	if (!found)
		found = try_path(&where);
	if (looked && !found)
		*looked = st_buf_steal(&where);
	else if (looked)
		*looked = NULL;
	st_buf_free(&where);
	return found;
}

/* The same rule as the console's other state (the sandbox key, the workflow state). */
char *st_embedded_state_base(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg && *xdg)
		return st_xasprintf("%s/sealtrain", xdg);
	const char *home = getenv("HOME");
	if (home && *home)
		return st_xasprintf("%s/.local/state/sealtrain", home);
	return NULL;
}
