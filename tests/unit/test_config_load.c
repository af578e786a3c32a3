/* Finding and reading the config file: search order, files that cannot be read,
 * files over the size limit, and the global flags applied on top. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/str.h"
#include "config/config.h"
#include "config/globals.h"
#include "tests/support/sttest.h"

struct env {
	char *dir;
};

static int setup(void **state)
{
	struct env *e = st_xcalloc(1, sizeof *e);
	e->dir = st_test_tmpdir("cfgload");
	/* Each test sets the search variables it needs; none leak in from the caller. */
	unsetenv("SEALTRAIN_CONFIG");
	setenv("XDG_CONFIG_HOME", e->dir, 1);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	st_test_rmtree(e->dir);
	free(e->dir);
	free(e);
	return 0;
}

/* Loads with explicit path p; returns all diagnostics joined, or NULL on success. */
static char *load_errors(const char *p, st_config **out)
{
	st_diag_list d;
	st_diag_list_init(&d);
	st_config *c = NULL;
	int r = st_config_load(p, &c, &d);
	assert_int_equal(r < 0, d.count > 0);
	st_buf b;
	st_buf_init(&b);
	for (size_t i = 0; i < d.count; i++) {
		char *line = st_diag_format(&d.items[i]);
		st_buf_printf(&b, "%s%s", i ? "\n" : "", line);
		free(line);
	}
	st_diag_list_free(&d);
	if (out)
		*out = c;
	else
		st_config_free(c);
	if (r == 0) {
		st_buf_free(&b);
		return NULL;
	}
	return st_buf_steal(&b);
}

static char *xdg_file(struct env *e)
{
	char *dir = st_xasprintf("%s/sealtrain", e->dir);
	mkdir(dir, 0700);
	free(dir);
	return st_xasprintf("%s/sealtrain/sealtrain.yaml", e->dir);
}

static void t_missing_explicit(void **state)
{
	struct env *e = *state;
	char *p = st_xasprintf("%s/nope.yaml", e->dir);
	char *err = load_errors(p, NULL);
	char *want = st_xasprintf("%s: cannot open: No such file or directory", p);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(p);
}

static void t_empty_name(void **state)
{
	(void)state;
	char *err = load_errors("", NULL);
	assert_string_equal(err, "\"\": expected a config file name, got an empty string");
	free(err);
}

static void t_directory(void **state)
{
	struct env *e = *state;
	char *err = load_errors(e->dir, NULL);
	char *want = st_xasprintf("%s: not a regular file", e->dir);
	assert_string_equal(err, want);
	free(want);
	free(err);
}

static void t_not_a_directory(void **state)
{
	struct env *e = *state;
	char *f = st_xasprintf("%s/plain", e->dir);
	st_test_write_file(f, "x: 1\n");
	char *p = st_xasprintf("%s/sealtrain.yaml", f);
	char *err = load_errors(p, NULL);
	char *want = st_xasprintf("%s: cannot open: Not a directory", p);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(p);
	free(f);
}

/* Mode 000 keeps out everyone but root; as root, check from an unprivileged child. */
static void t_unreadable(void **state)
{
	struct env *e = *state;
	char *p = st_xasprintf("%s/secret.yaml", e->dir);
	st_test_write_file(p, "project: abcdef\n");
	assert_int_equal(chmod(p, 0), 0);
	assert_int_equal(chmod(e->dir, 0755), 0);
	char *want = st_xasprintf("%s: cannot open: Permission denied", p);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		char *err = load_errors(p, NULL);
		_exit(err && strcmp(err, want) == 0 ? 0 : (fprintf(stderr, "got: %s\n", err ? err : "(accepted)"), 1));
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(want);
	free(p);
}

static void t_too_big(void **state)
{
	struct env *e = *state;
	char *p = st_xasprintf("%s/big.yaml", e->dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	/* Valid YAML all the way, so only the size can be the reason. */
	for (size_t n = 0; n <= ST_CONFIG_MAX_BYTES; n += 20)
		fputs("# padding padding..\n", f);
	fclose(f);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	char *err = load_errors(p, NULL);
	char *want = st_xasprintf("%s: file is %lld bytes, over the 1048576-byte limit", p, (long long)st.st_size);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(p);
}

/* Exactly at the limit is still accepted. */
static void t_at_limit(void **state)
{
	struct env *e = *state;
	char *p = st_xasprintf("%s/edge.yaml", e->dir);
	char *text = st_xmalloc(ST_CONFIG_MAX_BYTES + 1);
	memset(text, ' ', ST_CONFIG_MAX_BYTES);
	memcpy(text, "project: abcdefg", 16);
	text[ST_CONFIG_MAX_BYTES - 1] = '\n';
	text[ST_CONFIG_MAX_BYTES] = '\0';
	st_test_write_file(p, text);
	st_config *c;
	assert_null(load_errors(p, &c));
	assert_string_equal(c->project, "abcdefg");
	st_config_free(c);
	free(text);
	free(p);
}

static void t_search_order(void **state)
{
	struct env *e = *state;
	st_config *c;
	/* Nothing anywhere: built-in defaults. */
	assert_null(load_errors(NULL, &c));
	assert_string_equal(st_config_source(c), "built-in defaults");
	st_config_free(c);

	char *xdg = xdg_file(e);
	st_test_write_file(xdg, "project: from-xdg\n");
	assert_null(load_errors(NULL, &c));
	assert_string_equal(c->project, "from-xdg");
	assert_string_equal(st_config_source(c), xdg);
	st_config_free(c);

	char *envp = st_xasprintf("%s/env.yaml", e->dir);
	st_test_write_file(envp, "project: from-env\n");
	setenv("SEALTRAIN_CONFIG", envp, 1);
	assert_null(load_errors(NULL, &c));
	assert_string_equal(c->project, "from-env");
	st_config_free(c);

	char *ex = st_xasprintf("%s/explicit.yaml", e->dir);
	st_test_write_file(ex, "project: from-flag\n");
	assert_null(load_errors(ex, &c));
	assert_string_equal(c->project, "from-flag");
	st_config_free(c);

	/* A named file that is missing is an error, never a silent fall-back. */
	setenv("SEALTRAIN_CONFIG", "/nonexistent/sealtrain.yaml", 1);
	char *err = load_errors(NULL, NULL);
	assert_string_equal(err, "/nonexistent/sealtrain.yaml: cannot open: No such file or directory");
	free(err);
	unsetenv("SEALTRAIN_CONFIG");

	/* Without XDG_CONFIG_HOME the file is looked for under $HOME/.config. */
	unsetenv("XDG_CONFIG_HOME");
	char *home = st_xasprintf("%s/home", e->dir), *dot = st_xasprintf("%s/home/.config/sealtrain", e->dir);
	char *homefile = st_xasprintf("%s/sealtrain.yaml", dot);
	char errbuf[256];
	assert_int_equal(st_mkdir_p(dot, 0700, errbuf, sizeof errbuf), 0);
	st_test_write_file(homefile, "project: from-home\n");
	char *oldhome = getenv("HOME") ? st_xstrdup(getenv("HOME")) : NULL;
	setenv("HOME", home, 1);
	assert_null(load_errors(NULL, &c));
	assert_string_equal(c->project, "from-home");
	st_config_free(c);
	if (oldhome)
		setenv("HOME", oldhome, 1);
	free(oldhome);
	free(home);
	free(dot);
	free(homefile);
	free(xdg);
	free(envp);
	free(ex);
}

/* A broken XDG file is reported, not skipped in favour of the defaults. */
static void t_broken_xdg(void **state)
{
	struct env *e = *state;
	char *xdg = xdg_file(e);
	st_test_write_file(xdg, "project: abcdef\nregion: [\n");
	char *err = load_errors(NULL, NULL);
	char *want = st_xasprintf("%s:3:1: malformed YAML: did not find expected node content while parsing a flow node", xdg);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(xdg);
}

static void t_fixtures(void **state)
{
	(void)state;
	char *p = st_test_srcpath("tests/fixtures/config/broken-indent.yaml");
	char *err = load_errors(p, NULL);
	char *want = st_xasprintf("%s:4:21: malformed YAML: mapping values are not allowed in this context", p);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(p);

	p = st_test_srcpath("tests/fixtures/config/typo.yaml");
	err = load_errors(p, NULL);
	want = st_xasprintf(
		"%1$s:3:3: compute.machine_typ: unknown key \"machine_typ\"; did you mean \"machine_type\"?\n"
		"%1$s:4:22: compute.accelerator_count: 0 is out of range (expected 1 to 16)\n"
		"%1$s:5:17: compute.provisioning: \"flex_start\" is not one of reservation, flex-start, spot; did you mean \"flex-start\"?\n"
		"%1$s:7:15: bucket.versioning: expected true or false, got \"maybe\"\n"
		"%1$s:9:11: names.bucket: \"Google-Data\" is not a valid bucket name: character 'G' is not allowed (only a-z, 0-9, '-', '_' and '.')",
		p);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(p);
}

static void t_globals(void **state)
{
	struct env *e = *state;
	char *p = st_xasprintf("%s/g.yaml", e->dir);
	st_test_write_file(p, "project: in-the-file\nendpoints:\n  storage: https://storage.example.com\n");
	struct st_globals g = {.config_path = p};
	st_config *c;
	assert_int_equal(st_globals_config(&g, &c), ST_EXIT_OK);
	assert_string_equal(c->project, "in-the-file");
	st_config_free(c);

	g.project = "from-flag-1";
	g.sandbox_url = "http://127.0.0.1:5555";
	assert_int_equal(st_globals_config(&g, &c), ST_EXIT_OK);
	assert_string_equal(c->project, "from-flag-1");
	assert_string_equal(st_config_endpoint(c, "storage"), "http://127.0.0.1:5555");
	assert_string_equal(st_config_endpoint(c, "oauth2"), "http://127.0.0.1:5555");
	st_config_free(c);

	g.project = "Bad_Project";
	c = (st_config *)1;
	assert_int_equal(st_globals_config(&g, &c), ST_EXIT_USAGE);
	assert_null(c);
	g.project = NULL;
	g.sandbox_url = "http://sandbox.example.com:80";
	assert_int_equal(st_globals_config(&g, &c), ST_EXIT_USAGE);
	g.sandbox_url = NULL;
	st_test_write_file(p, "zone: nowhere\n");
	assert_int_equal(st_globals_config(&g, &c), ST_EXIT_USAGE);
	assert_null(c);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_missing_explicit, setup, teardown),
		cmocka_unit_test_setup_teardown(t_empty_name, setup, teardown),
		cmocka_unit_test_setup_teardown(t_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(t_not_a_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(t_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(t_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(t_at_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(t_search_order, setup, teardown),
		cmocka_unit_test_setup_teardown(t_broken_xdg, setup, teardown),
		cmocka_unit_test_setup_teardown(t_fixtures, setup, teardown),
		cmocka_unit_test_setup_teardown(t_globals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
