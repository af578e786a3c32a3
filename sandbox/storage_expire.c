/* Applies bucket lifecycle rules to stored objects, from the Storage module's tick:
 * storage-class transitions and deletions by age in sandbox (scaled) time. */
#include "sandbox/storage.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "sandbox/storage_lifecycle.h"

static int64_t time_field(const json_t *o, const char *f)
{
	int64_t ms = 0;
	const char *t = json_string_value(json_object_get(o, f));
	return t && st_rfc3339_parse(t, &ms) == 0 ? ms : 0;
}

static void set_class(sb_server *s, json_t *o, const char *key, const char *cls)
{
	char now[48];
	sb_now_rfc3339(s, now, sizeof now);
	json_object_set_new(o, "storageClass", json_string(cls));
	json_object_set_new(o, "timeStorageClassUpdated", json_string(now));
	json_object_set_new(o, "updated", json_string(now));
	sb_put(s, "gcs.obj", key, o);
}

/* Deleting a live object under versioning leaves a noncurrent generation. */
static void expire(sb_server *s, json_t *o, const char *key, bool versioned)
{
	if (versioned && !json_object_get(o, "timeDeleted")) {
		char now[48];
		sb_now_rfc3339(s, now, sizeof now);
		json_object_set_new(o, "timeDeleted", json_string(now));
		sb_put(s, "gcs.obj", key, o);
	} else {
		gcs_obj_purge(s, o);
	}
}

/* Newer generations of the same name follow an object in store order. */
static int64_t newer_count(const json_t *all, size_t i)
{
	const char *name = json_string_value(json_object_get(json_array_get(all, i), "name"));
	int64_t n = 0;
	for (size_t j = i + 1; j < json_array_size(all); j++) {
		if (strcmp(json_string_value(json_object_get(json_array_get(all, j), "name")), name))
			break;
		n++;
	}
	return n;
}

static void apply_bucket(sb_server *s, const json_t *b, int64_t now)
{
	const json_t *lc = json_object_get(b, "lifecycle");
	const char *bn = json_string_value(json_object_get(b, "name"));
	bool versioned = json_is_true(json_object_get(json_object_get(b, "versioning"), "enabled"));
	char *prefix = st_xasprintf("%s/", bn);
	json_t *all = sb_list(s, "gcs.obj", prefix);
	size_t i;
	json_t *o;
	json_array_foreach(all, i, o) {
		sb_lc_object lo = {
			.name = json_string_value(json_object_get(o, "name")),
			.storage_class = json_string_value(json_object_get(o, "storageClass")),
			.created_ms = time_field(o, "timeCreated"),
			.noncurrent_ms = time_field(o, "timeDeleted"),
			.live = !json_object_get(o, "timeDeleted"),
			.num_newer = newer_count(all, i),
		};
		const char *cls = NULL;
		int64_t gen = 0;
		stj_int64(o, "generation", &gen);
		char *key = gcs_obj_key(bn, lo.name, gen);
		enum sb_lc_action a = sb_lifecycle_eval(lc, &lo, now, &cls);
		if (a == SB_LC_SET_CLASS)
			set_class(s, o, key, cls);
		else if (a == SB_LC_DELETE)
			expire(s, o, key, versioned);
		free(key);
	}
	json_decref(all);
	free(prefix);
}

void gcs_lifecycle_tick(sb_server *s)
{
	json_t *buckets = sb_list(s, "gcs.bucket", "");
	int64_t now = sb_now_ms(s);
	size_t i;
	json_t *b;
	json_array_foreach(buckets, i, b) {
		if (json_array_size(json_object_get(json_object_get(b, "lifecycle"), "rule")))
			apply_bucket(s, b, now);
	}
	json_decref(buckets);
}
