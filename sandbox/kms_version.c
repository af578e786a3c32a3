/* Cloud KMS crypto key versions: fresh key material per version (sealed by the
 * master key), the ENABLED/DISABLED/DESTROY_SCHEDULED/DESTROYED states, and the
 * tick that completes scheduled destruction in sandbox (scaled) time. */
#include "sandbox/kms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"

long kms_version_number(const char *name)
{
	const char *p = name ? strstr(name, "/cryptoKeyVersions/") : NULL;
	if (!p)
		return -1;
	p += strlen("/cryptoKeyVersions/");
	size_t n = strlen(p);
	if (n == 0 || n > 9 || strspn(p, "0123456789") != n || p[0] == '0')
		return -1;
	return strtol(p, NULL, 10);
}

/* Seals fresh random material under the master key, bound to the version name. */
static char *new_material(const char *vname)
{
	unsigned char raw[SB_CMEK_KEY_LEN];
	if (st_random_bytes(raw, sizeof raw) != 0)
		return NULL;
	size_t n = 0;
	unsigned char *sealed = sb_cmek_seal(kms_master(), vname, strlen(vname), raw, sizeof raw, &n);
	OPENSSL_cleanse(raw, sizeof raw);
	if (!sealed)
		return NULL;
	char *b64 = st_base64_encode(sealed, n);
	free(sealed);
	return b64;
}

json_t *kms_version_new(sb_server *s, const char *key_name, const json_t *key)
{
	char *counter = st_xasprintf("kms.version:%s", key_name);
	int64_t n = sb_next_id(s, counter);
	free(counter);
	if (n < 0)
		return NULL;
	char *vname = st_xasprintf("%s/cryptoKeyVersions/%lld", key_name, (long long)n);
	char *mat = new_material(vname);
	const char *lvl = json_string_value(
		json_object_get(json_object_get(key, "versionTemplate"), "protectionLevel"));
	char now[48];
	kms_now(s, now, sizeof now);
	json_t *ver = NULL;
	if (mat) {
		ver = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", vname, "state",
				"ENABLED", "createTime", now, "generateTime", now, "protectionLevel",
				lvl ? lvl : "SOFTWARE", "algorithm", "GOOGLE_SYMMETRIC_ENCRYPTION",
				"_material", mat);
		if (sb_put(s, "kms.version", vname, ver) != 0) {
			json_decref(ver);
			ver = NULL;
		}
	}
	free(mat);
	free(vname);
	return ver;
}

json_t *kms_version_view(sb_server *s, const json_t *ver)
{
	return kms_public(ver);
}

int kms_version_material(const json_t *ver, unsigned char key[SB_CMEK_KEY_LEN])
{
	const char *b64 = json_string_value(json_object_get(ver, "_material"));
	const char *name = json_string_value(json_object_get(ver, "name"));
	if (!b64 || !name)
		return -1;
	size_t n = 0, m = 0;
	unsigned char *sealed = st_base64_decode(b64, strlen(b64), &n);
	unsigned char *raw = sealed ? sb_cmek_open(kms_master(), name, strlen(name), sealed, n, &m)
				    : NULL;
	free(sealed);
	int rc = raw && m == SB_CMEK_KEY_LEN ? 0 : -1;
	if (rc == 0)
		memcpy(key, raw, SB_CMEK_KEY_LEN);
	if (raw) {
		OPENSSL_cleanse(raw, m);
		free(raw);
	}
	return rc;
}

static char *version_name(const sb_call *c)
{
	char *key = kms_key_name(c);
	char *v = st_xasprintf("%s/cryptoKeyVersions/%s", key, sb_var(c, "version"));
	free(key);
	return v;
}

/* Loads the version named by the route; answers 404 when missing. */
static json_t *version_load(sb_server *s, sb_call *c, char **vname)
{
	*vname = version_name(c);
	json_t *ver = kms_version_number(*vname) > 0 ? sb_get(s, "kms.version", *vname) : NULL;
	if (!ver) {
		char *what = st_xasprintf("CryptoKeyVersion %s", *vname);
		sb_reply_not_found(c, what);
		free(what);
	}
	return ver;
}

static void store_and_reply(sb_server *s, sb_call *c, const char *vname, json_t *ver)
{
	if (sb_put(s, "kms.version", vname, ver) != 0)
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "sandbox store write failed");
	else
		sb_reply_json(c, 200, kms_version_view(s, ver));
}

void kms_version_create(sb_server *s, sb_call *c)
{
	char *kname = kms_key_name(c);
	json_t *key = sb_json(c) ? kms_key_load(s, c, kname) : NULL;
	json_t *ver = key ? kms_version_new(s, kname, key) : NULL;
	if (key && !ver)
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "sandbox store write failed");
	else if (ver)
		sb_reply_json(c, 200, kms_version_view(s, ver));
	json_decref(ver);
	json_decref(key);
	free(kname);
}

void kms_version_get(sb_server *s, sb_call *c)
{
	char *vname;
	json_t *ver = version_load(s, c, &vname);
	if (ver)
		sb_reply_json(c, 200, kms_version_view(s, ver));
	json_decref(ver);
	free(vname);
}

static int by_number(const void *a, const void *b)
{
	long x = kms_version_number(json_string_value(json_object_get(*(json_t *const *)a, "name")));
	long y = kms_version_number(json_string_value(json_object_get(*(json_t *const *)b, "name")));
	return (x > y) - (x < y);
}

/* Versions sort as strings in the store ("10" before "2"); Google lists by number. */
static json_t *sorted_versions(sb_server *s, const char *kname)
{
	char *prefix = st_xasprintf("%s/cryptoKeyVersions/", kname);
	json_t *docs = sb_list(s, "kms.version", prefix);
	size_t n = json_array_size(docs);
	json_t **v = st_xcalloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(docs, i));
	qsort(v, n, sizeof *v, by_number);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	json_decref(docs);
	free(prefix);
	return out;
}

void kms_version_list(sb_server *s, sb_call *c)
{
	char *kname = kms_key_name(c);
	json_t *key = kms_key_load(s, c, kname);
	if (key) {
		json_t *docs = sorted_versions(s, kname);
		kms_reply_page(s, c, docs, "cryptoKeyVersions", kms_version_view);
		json_decref(docs);
	}
	json_decref(key);
	free(kname);
}

/* Only ENABLED <-> DISABLED moves through a patch; other states have their own verbs. */
void kms_version_patch(sb_server *s, sb_call *c)
{
	const char *mask = sb_query(c, "updateMask");
	json_t *body = sb_json(c);
	if (!body)
		return;
	if (!mask || strcmp(mask, "state") != 0) {
		sb_reply_invalid(c, "updateMask must be \"state\" to update a CryptoKeyVersion.");
		return;
	}
	char *vname;
	json_t *ver = version_load(s, c, &vname);
	const char *want = json_string_value(json_object_get(body, "state"));
	const char *cur = json_string_value(json_object_get(ver, "state"));
	if (ver && (!want || (strcmp(want, "ENABLED") && strcmp(want, "DISABLED")))) {
		sb_reply_invalid(c, "state must be ENABLED or DISABLED.");
	} else if (ver && strcmp(cur, "ENABLED") && strcmp(cur, "DISABLED")) {
		sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL,
			       "%s is not enabled or disabled, current state is: %s.", vname, cur);
	} else if (ver) {
		json_object_set_new(ver, "state", json_string(want));
		store_and_reply(s, c, vname, ver);
	}
	json_decref(ver);
	free(vname);
}

void kms_version_destroy(sb_server *s, sb_call *c)
{
	char *vname, *kname = kms_key_name(c);
	json_t *ver = sb_json(c) ? version_load(s, c, &vname) : (vname = NULL, NULL);
	json_t *key = ver ? sb_get(s, "kms.key", kname) : NULL;
	const char *cur = json_string_value(json_object_get(ver, "state"));
	int64_t secs = 30 * 86400, at;
	if (ver && strcmp(cur, "ENABLED") && strcmp(cur, "DISABLED")) {
		sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL,
			       "%s is not enabled or disabled, current state is: %s.", vname, cur);
	} else if (ver) {
		const char *d = json_string_value(json_object_get(key, "destroyScheduledDuration"));
		if (d)
			st_duration_parse(d, &secs);
		at = sb_now_ms(s) + secs * 1000;
		char buf[48];
		st_rfc3339_format(at, buf, sizeof buf);
		json_object_set_new(ver, "state", json_string("DESTROY_SCHEDULED"));
		json_object_set_new(ver, "destroyTime", json_string(buf));
		store_and_reply(s, c, vname, ver);
	}
	json_decref(key);
	json_decref(ver);
	free(vname);
	free(kname);
}

void kms_version_restore(sb_server *s, sb_call *c)
{
	char *vname;
	json_t *ver = sb_json(c) ? version_load(s, c, &vname) : (vname = NULL, NULL);
	const char *cur = json_string_value(json_object_get(ver, "state"));
	if (ver && strcmp(cur, "DESTROY_SCHEDULED")) {
		sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL,
			       "%s is not scheduled for destruction, current state is: %s.", vname,
			       cur);
	} else if (ver) {
		json_object_set_new(ver, "state", json_string("DISABLED"));
		json_object_del(ver, "destroyTime");
		store_and_reply(s, c, vname, ver);
	}
	json_decref(ver);
	free(vname);
}

/* Destruction shreds the sealed material: nothing can decrypt afterwards. */
void kms_destroy_tick(sb_server *s)
{
	json_t *vers = sb_list(s, "kms.version", "");
	int64_t now = sb_now_ms(s), at;
	size_t i;
	json_t *v;
	json_array_foreach(vers, i, v) {
		const char *state = json_string_value(json_object_get(v, "state"));
		const char *t = json_string_value(json_object_get(v, "destroyTime"));
		if (!state || strcmp(state, "DESTROY_SCHEDULED") || !t ||
		    st_rfc3339_parse(t, &at) != 0 || at > now)
			continue;
		char buf[48];
		kms_now(s, buf, sizeof buf);
		json_object_set_new(v, "state", json_string("DESTROYED"));
		json_object_set_new(v, "destroyEventTime", json_string(buf));
		json_object_del(v, "_material");
		const char *name = json_string_value(json_object_get(v, "name"));
		if (sb_put(s, "kms.version", name, v) == 0)
			sb_log(s, "cloudkms: destroyed %s", name);
	}
	json_decref(vers);
}
