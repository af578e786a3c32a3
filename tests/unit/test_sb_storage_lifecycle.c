/* Unit tests: lifecycle rule validation and evaluation (sandbox/storage_lifecycle.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "common/json.h"
#include "sandbox/storage_lifecycle.h"

#define DAY 86400000LL
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static json_t *lc(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	assert_non_null(v);
	return v;
}

static const char recipe[] =
	"{\"rule\":["
	"{\"action\":{\"type\":\"SetStorageClass\",\"storageClass\":\"NEARLINE\"},"
	" \"condition\":{\"age\":30,\"matchesStorageClass\":[\"STANDARD\"]}},"
	"{\"action\":{\"type\":\"SetStorageClass\",\"storageClass\":\"COLDLINE\"},"
	" \"condition\":{\"age\":90,\"matchesStorageClass\":[\"NEARLINE\"]}}]}";

static void recipe_rules_move_by_age(void **st)
{
	json_t *l = lc(recipe);
	char err[200];
	assert_int_equal(sb_lifecycle_validate(l, err, sizeof err), 0);
	sb_lc_object o = {.name = "data.csv", .storage_class = "STANDARD", .created_ms = T0,
			  .live = true};
	const char *cls = NULL;
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 29 * DAY, &cls), SB_LC_NONE);
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 30 * DAY, &cls), SB_LC_SET_CLASS);
	assert_string_equal(cls, "NEARLINE");
	o.storage_class = "NEARLINE";
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 89 * DAY, &cls), SB_LC_NONE);
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 90 * DAY, &cls), SB_LC_SET_CLASS);
	assert_string_equal(cls, "COLDLINE");
	o.storage_class = "COLDLINE";
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 900 * DAY, &cls), SB_LC_NONE);
	json_decref(l);
}

static void delete_wins_and_versions(void **st)
{
	json_t *l = lc("{\"rule\":["
		       "{\"action\":{\"type\":\"SetStorageClass\",\"storageClass\":\"ARCHIVE\"},"
		       " \"condition\":{\"age\":1}},"
		       "{\"action\":{\"type\":\"Delete\"},"
		       " \"condition\":{\"isLive\":false,\"numNewerVersions\":2}}]}");
	sb_lc_object o = {.name = "x", .storage_class = "STANDARD", .created_ms = T0,
			  .live = false, .num_newer = 1, .noncurrent_ms = T0 + DAY};
	const char *cls = NULL;
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 2 * DAY, &cls), SB_LC_SET_CLASS);
	o.num_newer = 2;
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 2 * DAY, &cls), SB_LC_DELETE);
	o.live = true;
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 2 * DAY, &cls), SB_LC_SET_CLASS);
	json_decref(l);
}

static void prefix_suffix_dates(void **st)
{
	json_t *l = lc("{\"rule\":[{\"action\":{\"type\":\"Delete\"},"
		       "\"condition\":{\"matchesPrefix\":[\"tmp/\"],\"matchesSuffix\":[\".log\"],"
		       "\"createdBefore\":\"2026-01-02\"}}]}");
	sb_lc_object o = {.name = "tmp/a.log", .storage_class = "STANDARD", .created_ms = T0,
			  .live = true};
	const char *cls = NULL;
	assert_int_equal(sb_lifecycle_eval(l, &o, T0, &cls), SB_LC_DELETE);
	o.name = "tmp/a.txt";
	assert_int_equal(sb_lifecycle_eval(l, &o, T0, &cls), SB_LC_NONE);
	o.name = "tmp/a.log";
	o.created_ms = T0 + DAY;
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + DAY, &cls), SB_LC_NONE);
	json_decref(l);
}

static void noncurrent_conditions_skip_live(void **st)
{
	json_t *l = lc("{\"rule\":[{\"action\":{\"type\":\"Delete\"},"
		       "\"condition\":{\"daysSinceNoncurrentTime\":3}}]}");
	sb_lc_object o = {.name = "x", .storage_class = "STANDARD", .created_ms = T0, .live = true};
	const char *cls = NULL;
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 10 * DAY, &cls), SB_LC_NONE);
	o.live = false;
	o.noncurrent_ms = T0 + 8 * DAY;
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 10 * DAY, &cls), SB_LC_NONE);
	assert_int_equal(sb_lifecycle_eval(l, &o, T0 + 11 * DAY, &cls), SB_LC_DELETE);
	json_decref(l);
}

static void expect_invalid(const char *text, const char *needle)
{
	json_t *l = lc(text);
	char err[200] = "";
	assert_int_equal(sb_lifecycle_validate(l, err, sizeof err), -1);
	if (!strstr(err, needle))
		fail_msg("'%s' lacks '%s'", err, needle);
	json_decref(l);
}

static void validation_names_the_field(void **st)
{
	expect_invalid("{\"rule\":{}}", "'rule' list");
	expect_invalid("[]", "'rule' list");
	expect_invalid("{\"rule\":[{\"action\":{\"type\":\"Move\"},\"condition\":{\"age\":1}}]}",
		       "rule[0].action.type");
	expect_invalid("{\"rule\":[{\"action\":{\"type\":\"SetStorageClass\"},"
		       "\"condition\":{\"age\":1}}]}", "rule[0].action.storageClass");
	expect_invalid("{\"rule\":[{\"action\":{\"type\":\"Delete\"},\"condition\":{\"age\":-1}}]}",
		       "condition.age");
	expect_invalid("{\"rule\":[{\"action\":{\"type\":\"Delete\"},\"condition\":{}}]}",
		       "non-empty");
	expect_invalid("{\"rule\":[{\"action\":{\"type\":\"Delete\"},\"condition\":{\"age\":1}},"
		       "{\"action\":{\"type\":\"Delete\"},\"condition\":{\"createdBefore\":\"01/02/2026\"}}]}",
		       "rule[1].condition.createdBefore");
	expect_invalid("{\"rule\":[{\"action\":{\"type\":\"Delete\"},\"condition\":{\"colour\":1}}]}",
		       "unknown condition 'colour'");
	expect_invalid("{\"rule\":[{\"action\":{\"type\":\"Delete\"},"
		       "\"condition\":{\"matchesPrefix\":[1]}}]}", "list of strings");
	expect_invalid("{\"rule\":[{\"action\":{\"type\":\"Delete\"},\"condition\":{\"isLive\":1}}]}",
		       "isLive");
	char err[10];
	assert_int_equal(sb_lifecycle_validate(json_null(), err, sizeof err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recipe_rules_move_by_age),
		cmocka_unit_test(delete_wins_and_versions),
		cmocka_unit_test(prefix_suffix_dates),
		cmocka_unit_test(noncurrent_conditions_skip_live),
		cmocka_unit_test(validation_names_the_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
