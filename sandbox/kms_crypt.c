/* Cloud KMS encrypt/decrypt and the envelope helpers other modules use
 * (sb_kms_wrap/sb_kms_unwrap). Ciphertext layout, opaque to clients as Google's is:
 *   "SKM1" | version number (4 bytes, big-endian) | iv | AES-256-GCM ct | tag
 * with the key's resource name and the caller's AAD bound in as GCM AAD, so a
 * ciphertext only opens under the key (and AAD) that made it. */
#include "sandbox/kms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"

#define CT_MAGIC "SKM1"
#define CT_HDR 8
#define MAX_PLAIN 65536

int kms_require_enabled(sb_call *c, const json_t *ver, const char *ver_name)
{
	const char *state = json_string_value(json_object_get(ver, "state"));
	if (state && strcmp(state, "ENABLED") == 0)
		return 0;
	if (c)
		sb_reply_error(c, 400, "FAILED_PRECONDITION", "KEY_VERSION_NOT_ENABLED",
			       "%s is not enabled, current state is: %s.", ver_name,
			       state ? state : "UNKNOWN");
	return -1;
}

static unsigned char *gcm_aad(const char *key_name, const unsigned char *aad, size_t aad_len,
			      size_t *n)
{
	size_t kl = strlen(key_name);
	unsigned char *buf = st_xmalloc(kl + 1 + aad_len + 1);
	memcpy(buf, key_name, kl + 1);
	if (aad_len)
		memcpy(buf + kl + 1, aad, aad_len);
	*n = kl + 1 + aad_len;
	return buf;
}

/* Seals pt with version ver of key_name; returns the wire ciphertext. */
static unsigned char *seal_with(const char *key_name, const json_t *ver, const unsigned char *aad,
				size_t aad_len, const unsigned char *pt, size_t pt_len, size_t *n)
{
	unsigned char k[SB_CMEK_KEY_LEN];
	if (kms_version_material(ver, k) != 0)
		return NULL;
	size_t al, sl = 0;
	unsigned char *a = gcm_aad(key_name, aad, aad_len, &al);
	unsigned char *sealed = sb_cmek_seal(k, a, al, pt, pt_len, &sl);
	OPENSSL_cleanse(k, sizeof k);
	free(a);
	if (!sealed)
		return NULL;
	long num = kms_version_number(json_string_value(json_object_get(ver, "name")));
	unsigned char *out = st_xmalloc(CT_HDR + sl);
	memcpy(out, CT_MAGIC, 4);
	out[4] = (unsigned char)(num >> 24), out[5] = (unsigned char)(num >> 16);
	out[6] = (unsigned char)(num >> 8), out[7] = (unsigned char)num;
	memcpy(out + CT_HDR, sealed, sl);
	free(sealed);
	*n = CT_HDR + sl;
	return out;
}

/* Version number recorded in a wire ciphertext; -1 when it is not one of ours. */
static long ct_version(const unsigned char *ct, size_t n)
{
	if (n < CT_HDR + SB_CMEK_OVERHEAD || memcmp(ct, CT_MAGIC, 4) != 0)
		return -1;
	long v = (long)ct[4] << 24 | (long)ct[5] << 16 | (long)ct[6] << 8 | (long)ct[7];
	return v > 0 ? v : -1;
}

static unsigned char *open_with(const char *key_name, const json_t *ver, const unsigned char *aad,
				size_t aad_len, const unsigned char *ct, size_t n, size_t *pt_len)
{
	unsigned char k[SB_CMEK_KEY_LEN];
	if (kms_version_material(ver, k) != 0)
		return NULL;
	size_t al;
	unsigned char *a = gcm_aad(key_name, aad, aad_len, &al);
	unsigned char *pt = sb_cmek_open(k, a, al, ct + CT_HDR, n - CT_HDR, pt_len);
	OPENSSL_cleanse(k, sizeof k);
	free(a);
	return pt;
}

/* Decodes an optional base64 bytes field (max bytes); -1 when c was answered. */
static int bytes_field(sb_call *c, const json_t *body, const char *field, bool required,
		       size_t max, unsigned char **out, size_t *len)
{
	json_t *v = json_object_get(body, field);
	*out = NULL;
	*len = 0;
	if (!v && !required)
		return 0;
	const char *s = json_string_value(v);
	if (!s) {
		sb_reply_invalid(c, "%s is required and must be base64-encoded bytes.", field);
		return -1;
	}
	*out = st_base64_decode(s, strlen(s), len);
	if (!*out) {
		sb_reply_invalid(c, "%s is not valid base64.", field);
		return -1;
	}
	if (*len > max) {
		sb_reply_invalid(c, "%s is %zu bytes; at most %zu are allowed.", field, *len, max);
		return -1;
	}
	return 0;
}

/* Checks an optional client CRC32C of data; *verified tells the client we did. */
static int crc_field(sb_call *c, const json_t *body, const char *field, const char *data_field,
		     const unsigned char *data, size_t len, bool *verified)
{
	int64_t want;
	*verified = false;
	if (!json_object_get(body, field))
		return 0;
	if (!stj_int64(body, field, &want) || want < 0 || want > 0xFFFFFFFFLL) {
		sb_reply_invalid(c, "%s must be an unsigned 32-bit integer.", field);
		return -1;
	}
	if ((uint32_t)want != st_crc32c(0, data, len)) {
		sb_reply_invalid(c, "The checksum in field %s did not match the data in field %s.",
				 field, data_field);
		return -1;
	}
	*verified = true;
	return 0;
}

static json_t *crc_json(const unsigned char *d, size_t n)
{
	return stj_int64_string(st_crc32c(0, d, n));
}

/* The key's primary version if it can encrypt; answers c otherwise. */
static json_t *primary_version(sb_server *s, sb_call *c, const char *kname, const json_t *key)
{
	const char *pname = json_string_value(json_object_get(key, "_primary"));
	json_t *ver = pname ? sb_get(s, "kms.version", pname) : NULL;
	if (!ver) {
		if (c)
			sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL,
				       "%s has no primary version; it cannot encrypt.", kname);
		return NULL;
	}
	if (kms_require_enabled(c, ver, pname) != 0) {
		json_decref(ver);
		return NULL;
	}
	return ver;
}

typedef struct enc_req {
	unsigned char *pt, *aad;
	size_t pt_len, aad_len;
	bool pt_ok, aad_ok;
} enc_req;

static void encrypt_reply(sb_call *c, const json_t *ver, const enc_req *r, unsigned char *ct,
			  size_t n)
{
	char *b64 = st_base64_encode(ct, n);
	json_t *out = json_pack("{s:O, s:s, s:o, s:b, s:b, s:O}", "name",
				json_object_get(ver, "name"), "ciphertext", b64, "ciphertextCrc32c",
				crc_json(ct, n), "verifiedPlaintextCrc32c", r->pt_ok,
				"verifiedAdditionalAuthenticatedDataCrc32c", r->aad_ok,
				"protectionLevel", json_object_get(ver, "protectionLevel"));
	free(b64);
	sb_reply_json(c, 200, out);
}

void kms_encrypt(sb_server *s, sb_call *c)
{
	enc_req r = {0};
	char *kname = kms_key_name(c);
	json_t *body = sb_json(c), *key = NULL, *ver = NULL;
	if (!body || !(key = kms_key_load(s, c, kname)) || !kms_may_use(s, c, kname, true))
		goto out;
	if (bytes_field(c, body, "plaintext", true, MAX_PLAIN, &r.pt, &r.pt_len) ||
	    bytes_field(c, body, "additionalAuthenticatedData", false, MAX_PLAIN, &r.aad,
			&r.aad_len) ||
	    crc_field(c, body, "plaintextCrc32c", "plaintext", r.pt, r.pt_len, &r.pt_ok) ||
	    crc_field(c, body, "additionalAuthenticatedDataCrc32c", "additionalAuthenticatedData",
		      r.aad, r.aad_len, &r.aad_ok))
		goto out;
	if (!(ver = primary_version(s, c, kname, key)))
		goto out;
	size_t n = 0;
	unsigned char *ct = seal_with(kname, ver, r.aad, r.aad_len, r.pt, r.pt_len, &n);
	if (!ct)
		sb_reply_error(c, 500, "INTERNAL", NULL, "encryption failed inside the sandbox");
	else
		encrypt_reply(c, ver, &r, ct, n);
	free(ct);
out:
	if (r.pt)
		OPENSSL_cleanse(r.pt, r.pt_len);
	free(r.pt);
	free(r.aad);
	json_decref(ver);
	json_decref(key);
	free(kname);
}

/* Finds the version a ciphertext names; answers 400 when there is none. */
static json_t *ct_owner(sb_server *s, sb_call *c, const char *kname, const unsigned char *ct,
			size_t n, char **vname)
{
	long num = ct_version(ct, n);
	*vname = num > 0 ? st_xasprintf("%s/cryptoKeyVersions/%ld", kname, num) : NULL;
	json_t *ver = *vname ? sb_get(s, "kms.version", *vname) : NULL;
	if (!ver && c)
		sb_reply_invalid(c, "Decryption failed: the ciphertext is invalid.");
	return ver;
}

static void decrypt_reply(sb_call *c, const json_t *key, const json_t *ver, unsigned char *pt,
			  size_t n)
{
	char *b64 = st_base64_encode(pt, n);
	const char *primary = json_string_value(json_object_get(key, "_primary"));
	const char *vn = json_string_value(json_object_get(ver, "name"));
	json_t *out = json_pack("{s:s, s:o, s:b, s:O}", "plaintext", b64, "plaintextCrc32c",
				crc_json(pt, n), "usedPrimary", primary && !strcmp(primary, vn),
				"protectionLevel", json_object_get(ver, "protectionLevel"));
	OPENSSL_cleanse(b64, strlen(b64));
	free(b64);
	sb_reply_json(c, 200, out);
}

void kms_decrypt(sb_server *s, sb_call *c)
{
	unsigned char *ct = NULL, *aad = NULL, *pt = NULL;
	size_t ct_len = 0, aad_len = 0, pt_len = 0;
	bool ok1, ok2;
	char *kname = kms_key_name(c), *vname = NULL;
	json_t *body = sb_json(c), *key = NULL, *ver = NULL;
	if (!body || !(key = kms_key_load(s, c, kname)) || !kms_may_use(s, c, kname, false))
		goto out;
	if (bytes_field(c, body, "ciphertext", true, MAX_PLAIN + 1024, &ct, &ct_len) ||
	    bytes_field(c, body, "additionalAuthenticatedData", false, MAX_PLAIN, &aad, &aad_len) ||
	    crc_field(c, body, "ciphertextCrc32c", "ciphertext", ct, ct_len, &ok1) ||
	    crc_field(c, body, "additionalAuthenticatedDataCrc32c", "additionalAuthenticatedData",
		      aad, aad_len, &ok2))
		goto out;
	if (!(ver = ct_owner(s, c, kname, ct, ct_len, &vname)) ||
	    kms_require_enabled(c, ver, vname) != 0)
		goto out;
	pt = open_with(kname, ver, aad, aad_len, ct, ct_len, &pt_len);
	if (!pt)
		sb_reply_invalid(c, "Decryption failed: verify that 'name' refers to the correct "
				 "CryptoKey and that the additional authenticated data matches.");
	else
		decrypt_reply(c, key, ver, pt, pt_len);
out:
	if (pt)
		OPENSSL_cleanse(pt, pt_len);
	free(pt);
	free(ct);
	free(aad);
	free(vname);
	json_decref(ver);
	json_decref(key);
	free(kname);
}

/* ------------------------------------------------------------------ for other modules */

/* The caller (Storage, Vertex) checks its service agent's grant with
 * sb_kms_key_grants first; wrapping itself needs only a usable primary version. */
int sb_kms_wrap(sb_server *s, sb_call *c, const char *key_name, const unsigned char *dek,
		size_t dek_len, char **wrapped_b64, char **version_name)
{
	json_t *key = sb_get(s, "kms.key", key_name);
	if (!key) {
		if (c)
			sb_reply_error(c, 400, "INVALID_ARGUMENT", NULL,
				       "Cloud KMS key %s does not exist.", key_name);
		return -1;
	}
	json_t *ver = primary_version(s, c, key_name, key);
	size_t n = 0;
	unsigned char *ct = ver ? seal_with(key_name, ver, NULL, 0, dek, dek_len, &n) : NULL;
	int rc = -1;
	if (ct) {
		*wrapped_b64 = st_base64_encode(ct, n);
		*version_name = st_xstrdup(json_string_value(json_object_get(ver, "name")));
		rc = 0;
	} else if (ver && c) {
		sb_reply_error(c, 500, "INTERNAL", NULL, "key wrapping failed inside the sandbox");
	}
	free(ct);
	json_decref(ver);
	json_decref(key);
	return rc;
}

int sb_kms_unwrap(sb_server *s, sb_call *c, const char *version_name, const char *wrapped_b64,
		  unsigned char *dek, size_t dek_len)
{
	const char *cut = version_name ? strstr(version_name, "/cryptoKeyVersions/") : NULL;
	size_t n = 0, m = 0;
	unsigned char *ct = wrapped_b64 ? st_base64_decode(wrapped_b64, strlen(wrapped_b64), &n)
					: NULL;
	json_t *ver = NULL;
	unsigned char *pt = NULL;
	char *kname = cut ? st_xstrndup(version_name, (size_t)(cut - version_name)) : NULL;
	int rc = -1;
	if (!kname || !ct || ct_version(ct, n) != kms_version_number(version_name)) {
		if (c)
			sb_reply_error(c, 500, "DATA_LOSS", NULL,
				       "the wrapped data key for %s is damaged",
				       version_name ? version_name : "(no key version)");
		goto out;
	}
	ver = sb_get(s, "kms.version", version_name);
	if (kms_require_enabled(c, ver, version_name) != 0)
		goto out;
	pt = open_with(kname, ver, NULL, 0, ct, n, &m);
	if (pt && m == dek_len) {
		memcpy(dek, pt, dek_len);
		rc = 0;
	} else if (c) {
		sb_reply_error(c, 500, "DATA_LOSS", NULL,
			       "the wrapped data key does not open under %s", version_name);
	}
out:
	if (pt)
		OPENSSL_cleanse(pt, m);
	free(pt);
	free(ct);
	free(kname);
	json_decref(ver);
	return rc;
}
