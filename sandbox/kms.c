/* Cloud KMS module: route table, start-up (master key), tick, shared helpers. */
#include "sandbox/kms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"

static unsigned char master[SB_CMEK_KEY_LEN];
static int64_t last_tick_ms;

const unsigned char *kms_master(void)
{
	return master;
}

json_t *kms_public(const json_t *doc)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)doc, k, v) {
		if (k[0] != '_')
			json_object_set(out, k, v);
	}
	return out;
}

bool kms_valid_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 63)
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

char *kms_ring_name(const sb_call *c)
{
	return st_xasprintf("projects/%s/locations/%s/keyRings/%s", sb_var(c, "project"),
			    sb_var(c, "location"), sb_var(c, "ring"));
}

char *kms_key_name(const sb_call *c)
{
	char *ring = kms_ring_name(c);
	char *k = st_xasprintf("%s/cryptoKeys/%s", ring, sb_var(c, "key"));
	free(ring);
	return k;
}

json_t *kms_key_load(sb_server *s, sb_call *c, const char *key_name)
{
	json_t *key = sb_get(s, "kms.key", key_name);
	if (!key) {
		char *what = st_xasprintf("CryptoKey %s", key_name);
		sb_reply_not_found(c, what);
		free(what);
	}
	return key;
}

void kms_now(sb_server *s, char *buf, size_t size)
{
	sb_now_rfc3339(s, buf, size);
}

/* Position just past pageToken in docs (names in "name"); 0 for the first page. */
static long page_start(const json_t *docs, const char *token)
{
	char *after = sb_page_token_decode(token);
	if (!after)
		return -1;
	size_t i;
	json_t *d;
	long at = -1;
	json_array_foreach(docs, i, d) {
		if (strcmp(json_string_value(json_object_get(d, "name")), after) == 0)
			at = (long)i + 1;
	}
	free(after);
	return at;
}

void kms_reply_page(sb_server *s, sb_call *c, json_t *docs, const char *field,
		    json_t *(*view)(sb_server *, const json_t *))
{
	const char *ps = sb_query(c, "pageSize"), *tok = sb_query(c, "pageToken");
	long size = ps ? strtol(ps, NULL, 10) : 0;
	if (ps && (size < 0 || size > 1000 || strspn(ps, "0123456789") != strlen(ps))) {
		sb_reply_invalid(c, "pageSize must be an integer from 0 to 1000, not '%s'", ps);
		return;
	}
	long start = tok && *tok ? page_start(docs, tok) : 0;
	if (start < 0) {
		sb_reply_invalid(c, "Invalid page token.");
		return;
	}
	size_t end = size ? (size_t)start + (size_t)size : json_array_size(docs);
	json_t *items = json_array(), *out = json_object();
	for (size_t i = (size_t)start; i < end && i < json_array_size(docs); i++)
		json_array_append_new(items, view(s, json_array_get(docs, i)));
	if (json_array_size(items))
		json_object_set(out, field, items);
	if (end < json_array_size(docs))
		sb_set_page_token(out, stj_str(json_array_get(docs, end - 1), "name"));
	json_object_set_new(out, "totalSize", json_integer((json_int_t)json_array_size(docs)));
	json_decref(items);
	sb_reply_json(c, 200, out);
}

static int kms_init(sb_server *s)
{
	char err[512];
	if (sb_cmek_master_load(sb_state_dir(s), master, err, sizeof err) != 0) {
		sb_log(s, "cloudkms: %s", err);
		return -1;
	}
	return 0;
}

/* Rotation and scheduled destruction run at most twice a second of real time. */
static void kms_tick(sb_server *s)
{
	int64_t now = st_mono_ms();
	if (now - last_tick_ms < 500)
		return;
	last_tick_ms = now;
	kms_rotation_tick(s);
	kms_destroy_tick(s);
}

static void kms_shutdown(sb_server *s)
{
	OPENSSL_cleanse(master, sizeof master);
}

#define LOC "/v1/projects/{project}/locations/{location}"
#define RING LOC "/keyRings/{ring}"
#define KEY RING "/cryptoKeys/{key}"
#define VER KEY "/cryptoKeyVersions/{version}"

static const sb_route routes[] = {
	{"POST", LOC "/keyRings", kms_ring_create, KMS_SERVICE, "CreateKeyRing", 0},
	{"GET", LOC "/keyRings", kms_ring_list, KMS_SERVICE, "ListKeyRings", SB_ADMIN_READ},
	{"GET", RING, kms_ring_get, KMS_SERVICE, "GetKeyRing", SB_ADMIN_READ},
	{"POST", RING "/cryptoKeys", kms_key_create, KMS_SERVICE, "CreateCryptoKey", 0},
	{"GET", RING "/cryptoKeys", kms_key_list, KMS_SERVICE, "ListCryptoKeys", SB_ADMIN_READ},
	{"GET", KEY, kms_key_get, KMS_SERVICE, "GetCryptoKey", SB_ADMIN_READ},
	{"PATCH", KEY, kms_key_patch, KMS_SERVICE, "UpdateCryptoKey", 0},
	{"POST", RING "/cryptoKeys/{key}:encrypt", kms_encrypt, KMS_SERVICE, "Encrypt",
	 SB_DATA_ACCESS},
	{"POST", RING "/cryptoKeys/{key}:decrypt", kms_decrypt, KMS_SERVICE, "Decrypt",
	 SB_DATA_ACCESS},
	{"POST", RING "/cryptoKeys/{key}:updatePrimaryVersion", kms_key_update_primary, KMS_SERVICE,
	 "UpdateCryptoKeyPrimaryVersion", 0},
	{"GET", RING "/cryptoKeys/{key}:getIamPolicy", kms_get_iam_policy, KMS_SERVICE,
	 "GetIamPolicy", SB_ADMIN_READ},
	{"POST", RING "/cryptoKeys/{key}:getIamPolicy", kms_get_iam_policy, KMS_SERVICE,
	 "GetIamPolicy", SB_ADMIN_READ},
	{"POST", RING "/cryptoKeys/{key}:setIamPolicy", kms_set_iam_policy, KMS_SERVICE,
	 "SetIamPolicy", 0},
	{"POST", KEY "/cryptoKeyVersions", kms_version_create, KMS_SERVICE,
	 "CreateCryptoKeyVersion", 0},
	{"GET", KEY "/cryptoKeyVersions", kms_version_list, KMS_SERVICE, "ListCryptoKeyVersions",
	 SB_ADMIN_READ},
	{"GET", VER, kms_version_get, KMS_SERVICE, "GetCryptoKeyVersion", SB_ADMIN_READ},
	{"PATCH", VER, kms_version_patch, KMS_SERVICE, "UpdateCryptoKeyVersion", 0},
	{"POST", KEY "/cryptoKeyVersions/{version}:destroy", kms_version_destroy, KMS_SERVICE,
	 "DestroyCryptoKeyVersion", 0},
	{"POST", KEY "/cryptoKeyVersions/{version}:restore", kms_version_restore, KMS_SERVICE,
	 "RestoreCryptoKeyVersion", 0},
};

const sb_service sb_svc_kms = {
	.name = KMS_SERVICE,
	.routes = routes,
	.nroutes = sizeof routes / sizeof *routes,
	.tick = kms_tick,
	.init = kms_init,
	.shutdown = kms_shutdown,
};
