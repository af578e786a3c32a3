/* The Compute list filter parser and matcher on a fixed instance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/compute_filter.h"

static json_t *instance(void)
{
	return json_loads(
		"{\"name\":\"train-vm-1\",\"id\":\"4012\",\"status\":\"RUNNING\","
		"\"cpuPlatform\":\"Intel Sapphire Rapids\",\"machineType\":\"zones/z/machineTypes/a3-highgpu-1g\","
		"\"creationTimestamp\":\"2026-11-25T10:00:00.000-08:00\","
		"\"scheduling\":{\"automaticRestart\":false,\"provisioningModel\":\"SPOT\"},"
		"\"labels\":{\"env\":\"prod\",\"team-a\":\"ml\"},\"cpus\":8,"
		"\"guestAccelerators\":[{\"acceleratorType\":\"nvidia-h100-80gb\",\"acceleratorCount\":1}],"
		"\"tags\":{\"items\":[\"ssh\",\"gpu\"]},\"empty\":null}",
		0, NULL);
}

static bool m(const char *filter)
{
	char err[200];
	cf_expr *e = cf_parse(filter, err, sizeof err);
	if (!e && err[0])
		fail_msg("parse failed for %s: %s", filter, err);
	json_t *j = instance();
	bool r = cf_match(e, j);
	json_decref(j);
	cf_free(e);
	return r;
}

/* The parse must fail with a message that starts with "position N:". */
static void bad(const char *filter, int pos, const char *why)
{
	char err[200], want[32];
	cf_expr *e = cf_parse(filter, err, sizeof err);
	if (e) {
		cf_free(e);
		fail_msg("parse accepted %s", filter);
	}
	snprintf(want, sizeof want, "position %d: ", pos);
	if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, why))
		fail_msg("for %s: got \"%s\", want \"%s...%s\"", filter, err, want, why);
}

static void t_aip_comparisons(void **state)
{
	(void)state;
	assert_true(m("name = train-vm-1"));
	assert_true(m("name=\"train-vm-1\""));
	assert_true(m("name='train-vm-1'"));
	assert_false(m("name = train-vm"));
	assert_true(m("name != example-instance"));
	assert_false(m("name != train-vm-1"));
	assert_true(m("scheduling.automaticRestart = false"));
	assert_false(m("scheduling.automaticRestart = true"));
	assert_true(m("scheduling.automaticRestart = FALSE"));
	assert_true(m("labels.env = prod"));
	assert_true(m("labels.team-a = ml"));
	assert_false(m("labels.env = dev"));
	assert_true(m("cpuPlatform = \"Intel Sapphire Rapids\""));
	assert_true(m("cpus > 4"));
	assert_false(m("cpus > 8"));
	assert_true(m("cpus >= 8 cpus <= 8"));
	assert_true(m("cpus < 10"));   /* numeric, not text order */
	assert_true(m("id > 999"));    /* decimal strings compare as numbers */
	assert_true(m("creationTimestamp > \"2026-11-25\""));
	assert_true(m("guestAccelerators.acceleratorCount = 1"));
	assert_true(m("guestAccelerators.acceleratorType = nvidia-h100-80gb"));
	assert_true(m("tags.items = gpu"));
	assert_false(m("tags.items = cpu"));
	assert_true(m("tags.items != cpu"));
	assert_false(m("missing = x"));
	assert_true(m("missing != x"));
	assert_false(m("scheduling = x")); /* an object is no scalar */
}

static void t_has(void **state)
{
	(void)state;
	assert_true(m("name:vm"));          /* substring */
	assert_true(m("name:train*"));      /* prefix */
	assert_false(m("name:vm*"));
	assert_true(m("labels.env:*"));     /* presence */
	assert_false(m("labels.owner:*"));
	assert_false(m("empty:*"));
	assert_true(m("cpus:8"));           /* non-string: like = */
	assert_false(m("cpus:80"));
	assert_true(m("scheduling.automaticRestart:false"));
}

static void t_logic(void **state)
{
	(void)state;
	assert_true(m(""));
	assert_true(m("   "));
	assert_true(m("(status = RUNNING) (labels.env = prod)"));
	assert_false(m("(status = RUNNING) (labels.env = dev)"));
	assert_true(m("status = RUNNING AND labels.env = prod"));
	assert_true(m("name = a OR name = train-vm-1"));
	/* OR binds tighter than AND: false AND (x OR true) is false. */
	assert_false(m("labels.env = dev AND name = x OR status = RUNNING"));
	assert_true(m("(cpuPlatform = \"Intel Skylake\") OR (cpuPlatform = \"Intel Sapphire Rapids\")"
		      " AND (scheduling.automaticRestart = false)"));
	assert_true(m("((name = x) OR ((status = RUNNING)))"));
}

static void t_legacy_regex(void **state)
{
	(void)state;
	assert_true(m("name eq train-vm-.*"));
	assert_false(m("name eq train"));        /* must match the whole value */
	assert_true(m("name eq 'train-vm-[0-9]+'"));
	assert_true(m("name eq \"train-(vm|job)-1\""));
	assert_true(m("name eq train-(vm|job)-1"));
	assert_true(m("name ne .*instance"));
	assert_false(m("name ne train.*"));
	assert_true(m("(name eq train-.*) (status ne STOPPED)"));
	assert_true(m("(name eq train-(vm|x)-1)"));
	assert_true(m("scheduling.automaticRestart eq false"));
	assert_true(m("missing ne x"));
}

/* A value whose ')' closed a "^(...)$" wrapper used to match any name that began with
 * "train"; the whole value must still match, and an unbalanced one is refused. */
static void t_legacy_regex_wrapper(void **state)
{
	(void)state;
	assert_false(m("name eq \"train)|(zzz)\""));
	assert_true(m("name ne \"train)|(zzz)\""));
	assert_true(m("name eq \"train-vm-1|(zzz)\""));
	bad("name eq \"a)|(b\"", 9, "invalid regular expression");
}

/* A parenthesis escaped or inside a bracket expression is part of the regex, so the
 * comparison still fits in parentheses of its own (found by fuzz_sb_compute_filter:
 * F parsed, (F) was refused). */
static void t_legacy_regex_literal_parens(void **state)
{
	(void)state;
	assert_true(m("(name eq train-vm-[1(])"));
	assert_true(m("(name eq train-vm\\(?-1)"));
	assert_true(m("(name eq train-vm-[[:digit:])])"));
	assert_true(m("(name eq train-vm-[]1])"));
	assert_false(m("(name eq train-vm-[)])"));
	bad("(name eq a[(b)", 10, "invalid regular expression");
}

static void t_errors(void **state)
{
	(void)state;
	bad("name", 5, "expected an operator");
	bad("name =", 7, "expected a value");
	bad("name = \"abc", 8, "unterminated");
	bad("(name = a", 10, "expected ')'");
	bad("name = a)", 9, "unexpected ')'");
	bad("= a", 1, "expected a field name");
	bad("AND name = a", 1, "before AND/OR");
	bad("name = a OR", 12, "expected a comparison");
	bad("NOT name = a", 1, "negation");
	bad("-name = a", 1, "negation");
	bad("labels..env = a", 1, "empty segment");
	bad("labels. = a", 1, "empty segment");
	bad("name ~ a", 6, "expected an operator");
	bad("name eq a status = RUNNING", 18, "cannot be mixed");
	bad("status = RUNNING name eq a", 23, "cannot be mixed");
	bad("name eq (a", 9, "invalid regular expression");
}

static void t_limits(void **state)
{
	(void)state;
	char deep[200];
	size_t i = 0;
	for (; i < 40; i++)
		deep[i] = '(';
	strcpy(deep + i, "name = a");
	bad(deep, CF_MAX_DEPTH + 1, "nested too deeply");

	bad("name eq a++", 9, "repetition of a repetition");
	bad("name eq a{1001}", 9, "repetition count");
	bad("name eq (a{100}){100}", 9, "repetition count");

	char *big = malloc(CF_MAX_LEN + 10);
	memset(big, 'a', CF_MAX_LEN + 9);
	big[CF_MAX_LEN + 9] = '\0';
	bad(big, CF_MAX_LEN + 1, "longer than");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_aip_comparisons),
		cmocka_unit_test(t_has),
		cmocka_unit_test(t_logic),
		cmocka_unit_test(t_legacy_regex),
		cmocka_unit_test(t_legacy_regex_wrapper),
		cmocka_unit_test(t_legacy_regex_literal_parens),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
