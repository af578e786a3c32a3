/* Lifecycle rule checking and evaluation (see storage_lifecycle.h). */
#include "sandbox/storage_lifecycle.h"

#include <stdio.h>
#include <string.h>

#include "common/str.h"
#include "common/timeutil.h"

#define DAY_MS 86400000LL

static const char *const classes[] = {"STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"};

int sb_storage_class_rank(const char *cls)
{
	for (int i = 0; cls && i < 4; i++)
		if (strcmp(cls, classes[i]) == 0)
			return i;
	return -1;
}

/* "YYYY-MM-DD" as midnight UTC in ms; -1 when malformed. */
static int64_t date_ms(const char *d)
{
	char buf[40];
	int64_t ms;
	if (!d || strlen(d) != 10)
		return -1;
	snprintf(buf, sizeof buf, "%sT00:00:00Z", d);
	return st_rfc3339_parse(buf, &ms) == 0 ? ms : -1;
}

static int check_strings(const json_t *v, const char *what, size_t i, char *err, size_t errlen)
{
	size_t k;
	json_t *x;
	if (!json_is_array(v))
		goto bad;
	json_array_foreach(v, k, x) {
		if (!json_is_string(x))
			goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "lifecycle.rule[%zu].condition.%s must be a list of strings", i, what);
	return -1;
}

static int check_condition(const json_t *c, size_t i, char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	if (!json_is_object(c) || json_object_size(c) == 0) {
		snprintf(err, errlen, "lifecycle.rule[%zu].condition must be a non-empty object", i);
		return -1;
	}
	json_object_foreach((json_t *)c, k, v) {
		bool num = !strcmp(k, "age") || !strcmp(k, "numNewerVersions") ||
			   !strcmp(k, "daysSinceNoncurrentTime") || !strcmp(k, "daysSinceCustomTime");
		bool date = !strcmp(k, "createdBefore") || !strcmp(k, "noncurrentTimeBefore") ||
			    !strcmp(k, "customTimeBefore");
		bool list = !strcmp(k, "matchesStorageClass") || !strcmp(k, "matchesPrefix") ||
			    !strcmp(k, "matchesSuffix");
		if (num && !(json_is_integer(v) && json_integer_value(v) >= 0)) {
			snprintf(err, errlen, "lifecycle.rule[%zu].condition.%s must be a "
				 "non-negative integer", i, k);
			return -1;
		} else if (date && !(json_is_string(v) && date_ms(json_string_value(v)) >= 0)) {
			snprintf(err, errlen, "lifecycle.rule[%zu].condition.%s must be a date "
				 "YYYY-MM-DD", i, k);
			return -1;
		} else if (list && check_strings(v, k, i, err, errlen) != 0) {
			return -1;
		} else if (!strcmp(k, "isLive") && !json_is_boolean(v)) {
			snprintf(err, errlen, "lifecycle.rule[%zu].condition.isLive must be a boolean", i);
			return -1;
		} else if (!num && !date && !list && strcmp(k, "isLive") && strcmp(k, "matchesPattern")) {
			snprintf(err, errlen, "lifecycle.rule[%zu].condition: unknown condition '%s'", i, k);
			return -1;
		}
	}
	return 0;
}

static int check_action(const json_t *a, size_t i, char *err, size_t errlen)
{
	const char *type = json_string_value(json_object_get(a, "type"));
	const char *cls = json_string_value(json_object_get(a, "storageClass"));
	if (!type || (strcmp(type, "Delete") && strcmp(type, "SetStorageClass") &&
		      strcmp(type, "AbortIncompleteMultipartUpload"))) {
		snprintf(err, errlen, "lifecycle.rule[%zu].action.type must be Delete, "
			 "SetStorageClass or AbortIncompleteMultipartUpload", i);
		return -1;
	}
	if (!strcmp(type, "SetStorageClass") && sb_storage_class_rank(cls) < 0) {
		snprintf(err, errlen, "lifecycle.rule[%zu].action.storageClass must be one of "
			 "STANDARD, NEARLINE, COLDLINE, ARCHIVE", i);
		return -1;
	}
	return 0;
}

int sb_lifecycle_validate(const json_t *lc, char *err, size_t errlen)
{
	if (json_is_null(lc))
		return 0;
	const json_t *rules = json_object_get(lc, "rule");
	if (!json_is_object(lc) || (rules && !json_is_array(rules))) {
		snprintf(err, errlen, "lifecycle must be an object with a 'rule' list");
		return -1;
	}
	if (json_array_size(rules) > 100) {
		snprintf(err, errlen, "lifecycle: at most 100 rules per bucket");
		return -1;
	}
	size_t i;
	json_t *r;
	json_array_foreach(rules, i, r) {
		if (check_action(json_object_get(r, "action"), i, err, errlen) != 0 ||
		    check_condition(json_object_get(r, "condition"), i, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static bool any_match(const json_t *list, const char *s, bool (*fn)(const char *, const char *))
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) {
		if (fn(s, json_string_value(x)))
			return true;
	}
	return false;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static bool days_passed(const json_t *c, const char *key, int64_t since, int64_t now)
{
	json_t *v = json_object_get(c, key);
	return !v || (since > 0 && now - since >= json_integer_value(v) * DAY_MS);
}

static bool before_date(const json_t *c, const char *key, int64_t t)
{
	json_t *v = json_object_get(c, key);
	return !v || (t > 0 && t < date_ms(json_string_value(v)));
}

static bool lists_match(const json_t *c, const sb_lc_object *o)
{
	json_t *v;
	if ((v = json_object_get(c, "matchesStorageClass")) &&
	    !any_match(v, o->storage_class, str_eq))
		return false;
	if ((v = json_object_get(c, "matchesPrefix")) && !any_match(v, o->name, st_starts_with))
		return false;
	if ((v = json_object_get(c, "matchesSuffix")) && !any_match(v, o->name, st_ends_with))
		return false;
	return true;
}

/* All conditions of a rule must hold (they are ANDed). */
static bool condition_holds(const json_t *c, const sb_lc_object *o, int64_t now)
{
	json_t *v;
	if (!days_passed(c, "age", o->created_ms, now) ||
	    !before_date(c, "createdBefore", o->created_ms))
		return false;
	if ((v = json_object_get(c, "isLive")) && json_is_true(v) != o->live)
		return false;
	if ((v = json_object_get(c, "numNewerVersions")) && o->num_newer < json_integer_value(v))
		return false;
	if ((json_object_get(c, "daysSinceNoncurrentTime") || json_object_get(c, "noncurrentTimeBefore")) &&
	    (o->live || !days_passed(c, "daysSinceNoncurrentTime", o->noncurrent_ms, now) ||
	     !before_date(c, "noncurrentTimeBefore", o->noncurrent_ms)))
		return false;
	return lists_match(c, o);
}

enum sb_lc_action sb_lifecycle_eval(const json_t *lc, const sb_lc_object *o, int64_t now_ms,
				    const char **new_class)
{
	enum sb_lc_action act = SB_LC_NONE;
	int best = sb_storage_class_rank(o->storage_class);
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(lc, "rule"), i, r) {
		const char *type = json_string_value(json_object_get(json_object_get(r, "action"), "type"));
		if (!type || !condition_holds(json_object_get(r, "condition"), o, now_ms))
			continue;
		if (!strcmp(type, "Delete"))
			return SB_LC_DELETE;
		const char *cls = json_string_value(
			json_object_get(json_object_get(r, "action"), "storageClass"));
		int rank = sb_storage_class_rank(cls);
		if (!strcmp(type, "SetStorageClass") && rank > best) {
			best = rank;
			*new_class = cls;
			act = SB_LC_SET_CLASS;
		}
	}
	return act;
}
