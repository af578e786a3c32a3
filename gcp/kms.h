/* Cloud KMS: key ring, a rotating ENCRYPT_DECRYPT key, its IAM policy, versions. */
#ifndef GCP_KMS_H
#define GCP_KMS_H

#include <stdint.h>

#include "gcp/rq.h"

gcp_rq *gcp_kms_keyring_create(const gcp_endpoints *ep, const char *project, const char *location, const char *ring);
gcp_rq *gcp_kms_keyring_get(const gcp_endpoints *ep, const char *project, const char *location, const char *ring);
/* rotation_s > 0 also sets nextRotationTime (Google requires both together). */
gcp_rq *gcp_kms_key_create(const gcp_endpoints *ep, const char *project, const char *location, const char *ring,
			   const char *key, int64_t rotation_s, int64_t next_rotation_unix_ms, const json_t *labels);
gcp_rq *gcp_kms_key_get(const gcp_endpoints *ep, const char *project, const char *location, const char *ring,
			const char *key);
/* key_name: "projects/P/locations/L/keyRings/R/cryptoKeys/K". */
gcp_rq *gcp_kms_get_iam_policy(const gcp_endpoints *ep, const char *key_name);
gcp_rq *gcp_kms_set_iam_policy(const gcp_endpoints *ep, const char *key_name, const json_t *policy);
gcp_rq *gcp_kms_versions_list(const gcp_endpoints *ep, const char *key_name, const char *page_token);
/* version_name: ".../cryptoKeyVersions/N". */
gcp_rq *gcp_kms_version_destroy(const gcp_endpoints *ep, const char *version_name);

typedef struct gcp_kms_key {
	char name[512];
	char purpose[40];
	char primary_state[48];   /* "" when the key has no primary */
	int64_t rotation_s;       /* 0 when unset */
	char next_rotation[48];
} gcp_kms_key;
/* 0, or -1 with a reason (missing name, rotationPeriod not a duration). */
int gcp_kms_key_parse(const json_t *j, gcp_kms_key *out, char *err, size_t errlen);

#endif
