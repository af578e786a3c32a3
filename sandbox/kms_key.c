/* Cloud KMS crypto keys: create, get, list, patch, updatePrimaryVersion, and the
 * automatic rotation that the tick performs when nextRotationTime has passed. */
#include "sandbox/kms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"

#define DAY_S 86400LL
#define ROTATION_MAX_S (876000LL * 3600)
#define DESTROY_DEFAULT_S (30 * DAY_S)
#define DESTROY_MAX_S (120 * DAY_S)

json_t *kms_key_view(sb_server *s, const json_t *key)
{
	json_t *out = kms_public(key);
	const char *pname = json_string_value(json_object_get(key, "_primary"));
	json_t *ver = pname ? sb_get(s, "kms.version", pname) : NULL;
	if (ver) {
		json_t *v = kms_version_view(s, ver);
		/* Google lists primary right after name and purpose; order is cosmetic. */
		json_object_set_new(out, "primary", v);
		json_decref(ver);
	}
	return out;
}

/* A duration field as whole seconds within [min, max]; answers 400 otherwise. */
static int duration_field(sb_call *c, const json_t *body, const char *field, int64_t min,
			  int64_t max, int64_t *secs)
{
	const char *v = json_string_value(json_object_get(body, field));
	if (!v || st_duration_parse(v, secs) != 0) {
		sb_reply_invalid(c, "%s must be a duration such as \"2592000s\".", field);
		return -1;
	}
	if (*secs < min || *secs > max) {
		sb_reply_invalid(c, "%s must be between %llds and %llds, not %s.", field,
				 (long long)min, (long long)max, v);
		return -1;
	}
	return 0;
}

int kms_key_rotation(sb_call *c, const json_t *body, json_t *key, bool rot_mask, bool next_mask)
{
	char buf[48];
	int64_t secs, ms;
	if (rot_mask && json_object_get(body, "rotationPeriod")) {
		if (duration_field(c, body, "rotationPeriod", DAY_S, ROTATION_MAX_S, &secs) != 0)
			return -1;
		st_duration_format(secs, buf, sizeof buf);
		json_object_set_new(key, "rotationPeriod", json_string(buf));
	} else if (rot_mask) {
		json_object_del(key, "rotationPeriod");
	}
	if (next_mask && json_object_get(body, "nextRotationTime")) {
		const char *t = json_string_value(json_object_get(body, "nextRotationTime"));
		if (!t || st_rfc3339_parse(t, &ms) != 0) {
			sb_reply_invalid(c, "nextRotationTime must be an RFC 3339 timestamp.");
			return -1;
		}
		st_rfc3339_format(ms, buf, sizeof buf);
		json_object_set_new(key, "nextRotationTime", json_string(buf));
	} else if (next_mask) {
		json_object_del(key, "nextRotationTime");
	}
	/* checked on create (both fields) and once after a whole patch (neither) */
	if (rot_mask == next_mask && json_object_get(key, "rotationPeriod") &&
	    !json_object_get(key, "nextRotationTime")) {
		sb_reply_invalid(c, "rotationPeriod requires nextRotationTime to be set as well.");
		return -1;
	}
	return 0;
}

static int key_template(sb_call *c, const json_t *body, json_t *key)
{
	const json_t *t = json_object_get(body, "versionTemplate");
	const char *alg = json_string_value(json_object_get(t, "algorithm"));
	const char *lvl = json_string_value(json_object_get(t, "protectionLevel"));
	if (alg && strcmp(alg, "GOOGLE_SYMMETRIC_ENCRYPTION") != 0) {
		sb_reply_invalid(c, "versionTemplate.algorithm %s does not fit purpose "
				 "ENCRYPT_DECRYPT; use GOOGLE_SYMMETRIC_ENCRYPTION.", alg);
		return -1;
	}
	if (lvl && strcmp(lvl, "SOFTWARE") && strcmp(lvl, "HSM")) {
		sb_reply_invalid(c, "versionTemplate.protectionLevel must be SOFTWARE or HSM.");
		return -1;
	}
	json_object_set_new(key, "versionTemplate",
			    json_pack("{s:s, s:s}", "protectionLevel", lvl ? lvl : "SOFTWARE",
				      "algorithm", "GOOGLE_SYMMETRIC_ENCRYPTION"));
	return 0;
}

static int key_labels(sb_call *c, const json_t *body, json_t *key)
{
	json_t *labels = json_object_get(body, "labels");
	const char *k;
	json_t *v;
	if (!labels)
		return 0;
	if (!json_is_object(labels))
		goto bad;
	json_object_foreach(labels, k, v) {
		if (!json_is_string(v) || strlen(k) == 0 || strlen(k) > 63)
			goto bad;
	}
	json_object_set(key, "labels", labels);
	return 0;
bad:
	sb_reply_invalid(c, "labels must map keys of 1 to 63 characters to strings.");
	return -1;
}

/* Builds the stored key from a create body; NULL when c was answered. */
static json_t *key_from_body(sb_server *s, sb_call *c, const json_t *body, const char *name)
{
	const char *purpose = json_string_value(json_object_get(body, "purpose"));
	if (!purpose || strcmp(purpose, "ENCRYPT_DECRYPT") != 0) {
		sb_reply_invalid(c, "purpose %s is not supported by the sandbox; only "
				 "ENCRYPT_DECRYPT keys are.", purpose ? purpose : "(missing)");
		return NULL;
	}
	char now[48], dur[32];
	kms_now(s, now, sizeof now);
	json_t *key = json_pack("{s:s, s:s, s:s}", "name", name, "purpose", purpose,
				"createTime", now);
	int64_t secs = DESTROY_DEFAULT_S;
	if ((json_object_get(body, "destroyScheduledDuration") &&
	     duration_field(c, body, "destroyScheduledDuration", DAY_S, DESTROY_MAX_S, &secs)) ||
	    kms_key_rotation(c, body, key, true, true) || key_template(c, body, key) ||
	    key_labels(c, body, key)) {
		json_decref(key);
		return NULL;
	}
	st_duration_format(secs, dur, sizeof dur);
	json_object_set_new(key, "destroyScheduledDuration", json_string(dur));
	return key;
}

static bool ring_exists(sb_server *s, sb_call *c, char **ring)
{
	*ring = kms_ring_name(c);
	json_t *r = sb_get(s, "kms.ring", *ring);
	if (r) {
		json_decref(r);
		return true;
	}
	char *what = st_xasprintf("KeyRing %s", *ring);
	sb_reply_not_found(c, what);
	free(what);
	return false;
}

static void key_store_new(sb_server *s, sb_call *c, json_t *key, const char *name)
{
	const char *skip = sb_query(c, "skipInitialVersionCreation");
	int rc = sb_insert(s, "kms.key", name, key);
	if (rc == 1) {
		char *what = st_xasprintf("CryptoKey %s", name);
		sb_reply_exists(c, what);
		free(what);
		return;
	}
	if (rc == 0 && !(skip && strcmp(skip, "true") == 0)) {
		json_t *ver = kms_version_new(s, name, key);
		if (!ver)
			rc = -1;
		else
			json_object_set(key, "_primary", json_object_get(ver, "name"));
		json_decref(ver);
		if (rc == 0)
			rc = sb_put(s, "kms.key", name, key);
	}
	if (rc < 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "sandbox store write failed");
		return;
	}
	sb_audit_resource(c, name);
	sb_reply_json(c, 200, kms_key_view(s, key));
}

void kms_key_create(sb_server *s, sb_call *c)
{
	const char *id = sb_query(c, "cryptoKeyId");
	char *ring = NULL;
	if (!kms_valid_id(id)) {
		sb_reply_invalid(c, "cryptoKeyId must be 1 to 63 letters, digits, '_' or '-'%s.",
				 id ? "" : " (the cryptoKeyId parameter is missing)");
		return;
	}
	json_t *body = sb_json(c);
	if (!body || !ring_exists(s, c, &ring)) {
		free(ring);
		return;
	}
	char *name = st_xasprintf("%s/cryptoKeys/%s", ring, id);
	json_t *key = key_from_body(s, c, body, name);
	if (key)
		key_store_new(s, c, key, name);
	json_decref(key);
	free(name);
	free(ring);
}

void kms_key_get(sb_server *s, sb_call *c)
{
	char *name = kms_key_name(c);
	json_t *key = kms_key_load(s, c, name);
	if (key)
		sb_reply_json(c, 200, kms_key_view(s, key));
	json_decref(key);
	free(name);
}

void kms_key_list(sb_server *s, sb_call *c)
{
	char *ring = NULL;
	if (!ring_exists(s, c, &ring)) {
		free(ring);
		return;
	}
	char *prefix = st_xasprintf("%s/cryptoKeys/", ring);
	json_t *docs = sb_list(s, "kms.key", prefix);
	kms_reply_page(s, c, docs, "cryptoKeys", kms_key_view);
	json_decref(docs);
	free(prefix);
	free(ring);
}

/* Applies one updateMask path; -1 when c was answered. */
static int patch_field(sb_call *c, const json_t *body, json_t *key, const char *path)
{
	if (!strcmp(path, "rotationPeriod") || !strcmp(path, "rotation_period"))
		return kms_key_rotation(c, body, key, true, false);
	if (!strcmp(path, "nextRotationTime") || !strcmp(path, "next_rotation_time"))
		return kms_key_rotation(c, body, key, false, true);
	if (!strcmp(path, "labels")) {
		json_object_del(key, "labels");
		return key_labels(c, body, key);
	}
	if (!strcmp(path, "versionTemplate.algorithm") || !strcmp(path, "versionTemplate"))
		return key_template(c, body, key);
	sb_reply_invalid(c, "updateMask path '%s' cannot be updated on a CryptoKey.", path);
	return -1;
}

void kms_key_patch(sb_server *s, sb_call *c)
{
	const char *mask = sb_query(c, "updateMask");
	if (!mask || !*mask) {
		sb_reply_invalid(c, "updateMask is required to update a CryptoKey.");
		return;
	}
	json_t *body = sb_json(c);
	char *name = kms_key_name(c);
	json_t *key = body ? kms_key_load(s, c, name) : NULL;
	char *paths = st_xstrdup(mask), *save = NULL;
	int rc = key ? 0 : -1;
	for (char *p = strtok_r(paths, ",", &save); p && rc == 0; p = strtok_r(NULL, ",", &save))
		rc = patch_field(c, body, key, st_trim(p));
	/* the pairing rule applies to the key as it ends up, whatever the mask named */
	if (rc == 0)
		rc = kms_key_rotation(c, key, key, false, false);
	if (rc == 0 && sb_put(s, "kms.key", name, key) != 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "sandbox store write failed");
		rc = -1;
	}
	if (rc == 0)
		sb_reply_json(c, 200, kms_key_view(s, key));
	free(paths);
	json_decref(key);
	free(name);
}

void kms_key_update_primary(sb_server *s, sb_call *c)
{
	json_t *body = sb_json(c);
	char *name = kms_key_name(c);
	json_t *key = body ? kms_key_load(s, c, name) : NULL;
	const char *id = json_string_value(json_object_get(body, "cryptoKeyVersionId"));
	char *vname = key && id ? st_xasprintf("%s/cryptoKeyVersions/%s", name, id) : NULL;
	json_t *ver = vname ? sb_get(s, "kms.version", vname) : NULL;
	if (key && !ver) {
		sb_reply_invalid(c, "cryptoKeyVersionId '%s' names no version of %s.",
				 id ? id : "(missing)", name);
	} else if (key && kms_require_enabled(c, ver, vname) == 0) {
		json_object_set_new(key, "_primary", json_string(vname));
		if (sb_put(s, "kms.key", name, key) != 0)
			sb_reply_error(c, 503, "UNAVAILABLE", NULL, "sandbox store write failed");
		else
			sb_reply_json(c, 200, kms_key_view(s, key));
	}
	json_decref(ver);
	free(vname);
	json_decref(key);
	free(name);
}

/* One rotation: a new primary version, and nextRotationTime moved past now (or
 * cleared when the key has no period, i.e. a one-off rotation time). */
static void rotate(sb_server *s, json_t *key, int64_t next_ms, int64_t period_s, int64_t now)
{
	const char *name = json_string_value(json_object_get(key, "name"));
	json_t *ver = kms_version_new(s, name, key);
	if (!ver) {
		sb_log(s, "cloudkms: rotation of %s failed: store write", name);
		return;
	}
	json_object_set(key, "_primary", json_object_get(ver, "name"));
	json_decref(ver);
	char buf[48] = "none";
	if (period_s > 0) {
		while (next_ms <= now)
			next_ms += period_s * 1000;
		st_rfc3339_format(next_ms, buf, sizeof buf);
		json_object_set_new(key, "nextRotationTime", json_string(buf));
	} else {
		json_object_del(key, "nextRotationTime");
	}
	if (sb_put(s, "kms.key", name, key) == 0)
		sb_log(s, "cloudkms: rotated %s; next rotation %s", name, buf);
}

void kms_rotation_tick(sb_server *s)
{
	json_t *keys = sb_list(s, "kms.key", "");
	int64_t now = sb_now_ms(s);
	size_t i;
	json_t *key;
	json_array_foreach(keys, i, key) {
		const char *next = json_string_value(json_object_get(key, "nextRotationTime"));
		const char *per = json_string_value(json_object_get(key, "rotationPeriod"));
		int64_t next_ms, period = 0;
		if (!next || st_rfc3339_parse(next, &next_ms) != 0 || next_ms > now)
			continue;
		if (per && st_duration_parse(per, &period) != 0)
			period = 0;
		rotate(s, key, next_ms, period, now);
	}
	json_decref(keys);
}
