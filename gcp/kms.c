#include "gcp/kms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"

static gcp_rq *at(const gcp_endpoints *ep, const char *method, const char *id, char *path)
{
	gcp_rq *rq = path ? gcp_rq_new(ep, GCP_API_KMS, NULL, method, id, path) : NULL;
	free(path);
	return rq;
}

gcp_rq *gcp_kms_keyring_create(const gcp_endpoints *ep, const char *project, const char *location, const char *ring)
{
	gcp_rq *rq = at(ep, "POST", "cloudkms.projects.locations.keyRings.create",
			gcp_pathf("/v1/projects/%s/locations/%s/keyRings", project, location));
	gcp_rq_query(rq, "keyRingId", ring);
	gcp_rq_body(rq, json_object());
	return rq;
}

gcp_rq *gcp_kms_keyring_get(const gcp_endpoints *ep, const char *project, const char *location, const char *ring)
{
	return at(ep, "GET", "cloudkms.projects.locations.keyRings.get",
		  gcp_pathf("/v1/projects/%s/locations/%s/keyRings/%s", project, location, ring));
}

gcp_rq *gcp_kms_key_create(const gcp_endpoints *ep, const char *project, const char *location, const char *ring,
			   const char *key, int64_t rotation_s, int64_t next_rotation_unix_ms, const json_t *labels)
{
	gcp_rq *rq = at(ep, "POST", "cloudkms.projects.locations.keyRings.cryptoKeys.create",
			gcp_pathf("/v1/projects/%s/locations/%s/keyRings/%s/cryptoKeys", project, location, ring));
	gcp_rq_query(rq, "cryptoKeyId", key);
	json_t *b = json_pack("{s:s,s:{s:s,s:s}}", "purpose", "ENCRYPT_DECRYPT", "versionTemplate",
			      "algorithm", "GOOGLE_SYMMETRIC_ENCRYPTION", "protectionLevel", "SOFTWARE");
	if (rotation_s > 0) {
		char d[32], t[48];
		st_duration_format(rotation_s, d, sizeof d);
		st_rfc3339_format(next_rotation_unix_ms, t, sizeof t);
		json_object_set_new(b, "rotationPeriod", json_string(d));
		json_object_set_new(b, "nextRotationTime", json_string(t));
	}
	if (labels)
		json_object_set_new(b, "labels", json_deep_copy(labels));
	gcp_rq_body(rq, b);
	return rq;
}

gcp_rq *gcp_kms_key_get(const gcp_endpoints *ep, const char *project, const char *location, const char *ring,
			const char *key)
{
	return at(ep, "GET", "cloudkms.projects.locations.keyRings.cryptoKeys.get",
		  gcp_pathf("/v1/projects/%s/locations/%s/keyRings/%s/cryptoKeys/%s", project, location, ring, key));
}

gcp_rq *gcp_kms_get_iam_policy(const gcp_endpoints *ep, const char *key_name)
{
	/* KMS takes getIamPolicy as a GET with the version in the query. */
	gcp_rq *rq = at(ep, "GET", "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy",
			gcp_name_path("/v1/", key_name, ":getIamPolicy"));
	if (rq)
		gcp_rq_query(rq, "options.requestedPolicyVersion", "3");
	return rq;
}

gcp_rq *gcp_kms_set_iam_policy(const gcp_endpoints *ep, const char *key_name, const json_t *policy)
{
	gcp_rq *rq = at(ep, "POST", "cloudkms.projects.locations.keyRings.cryptoKeys.setIamPolicy",
			gcp_name_path("/v1/", key_name, ":setIamPolicy"));
	if (rq)
		gcp_rq_body(rq, json_pack("{s:O}", "policy", policy));
	return rq;
}

gcp_rq *gcp_kms_versions_list(const gcp_endpoints *ep, const char *key_name, const char *page_token)
{
	gcp_rq *rq = at(ep, "GET", "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.list",
			gcp_name_path("/v1/", key_name, "/cryptoKeyVersions"));
	if (rq)
		gcp_rq_query(rq, "pageToken", page_token);
	return rq;
}

gcp_rq *gcp_kms_version_destroy(const gcp_endpoints *ep, const char *version_name)
{
	gcp_rq *rq = at(ep, "POST", "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.destroy",
			gcp_name_path("/v1/", version_name, ":destroy"));
	if (rq)
		gcp_rq_body(rq, json_object());
	return rq;
}

static void copy_str(char *dst, size_t size, const char *s)
{
	st_sanitize_text(dst, size, s ? s : "");
}

int gcp_kms_key_parse(const json_t *j, gcp_kms_key *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!json_is_object(j) || !stj_str(j, "name")) {
		snprintf(err, errlen, "CryptoKey without a name");
		return -1;
	}
	copy_str(out->name, sizeof out->name, stj_str(j, "name"));
	copy_str(out->purpose, sizeof out->purpose, stj_str(j, "purpose"));
	copy_str(out->primary_state, sizeof out->primary_state, stj_str(j, "primary.state"));
	copy_str(out->next_rotation, sizeof out->next_rotation, stj_str(j, "nextRotationTime"));
	const char *rp = stj_str(j, "rotationPeriod");
	if (json_object_get(j, "rotationPeriod") && (!rp || st_duration_parse(rp, &out->rotation_s) != 0)) {
		snprintf(err, errlen, "CryptoKey %s: rotationPeriod is not a duration", out->name);
		return -1;
	}
	return 0;
}
