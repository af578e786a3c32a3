/* Cloud Storage bucket IAM policies: getIamPolicy (GET b/B/iam) and setIamPolicy
 * (PUT b/B/iam, the policy itself as the body, etag checked: 412 on a stale one).
 * The console grants a log sink's writer identity roles/storage.objectCreator here.
 * Bindings are stored and reported; like the rest of the sandbox, they are not
 * enforced on object calls. */
#include "sandbox/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/str.h"
#include "sandbox/kms.h"

/* Google's Storage etags are base64 of a small protobuf varint: "CAE=" for 1. */
static char *policy_etag(int64_t n)
{
	unsigned char b[12] = {0x08};
	size_t len = 1;
	uint64_t v = (uint64_t)n;
	do {
		b[len++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v && len < sizeof b);
	return st_base64_encode(b, len);
}

/* The stored policy, or the default a new bucket has (legacy project roles). */
static json_t *policy_load(sb_server *s, const json_t *bucket)
{
	const char *name = json_string_value(json_object_get(bucket, "name"));
	json_t *p = sb_get(s, "gcs.policy", name);
	if (p)
		return p;
	const char *project = json_string_value(json_object_get(bucket, "_project"));
	char *owner = st_xasprintf("projectOwner:%s", project);
	char *editor = st_xasprintf("projectEditor:%s", project);
	char *viewer = st_xasprintf("projectViewer:%s", project);
	char *res = st_xasprintf("projects/_/buckets/%s", name);
	char *etag = policy_etag(1);
	p = json_pack("{s:s, s:s, s:i, s:s, s:[{s:s, s:[s, s]}, {s:s, s:[s]}]}", "kind",
		      "storage#policy", "resourceId", res, "version", 1, "etag", etag, "bindings",
		      "role", "roles/storage.legacyBucketOwner", "members", editor, owner, "role",
		      "roles/storage.legacyBucketReader", "members", viewer);
	free(owner), free(editor), free(viewer), free(res), free(etag);
	return p;
}

void gcs_bucket_get_iam(sb_server *s, sb_call *c)
{
	json_t *b = gcs_bucket_load(s, c, sb_var(c, "bucket"));
	if (b)
		sb_reply_json(c, 200, policy_load(s, b));
	json_decref(b);
}

static void store_policy(sb_server *s, sb_call *c, const json_t *bucket, json_t *cur,
			 const json_t *in)
{
	const char *name = json_string_value(json_object_get(bucket, "name"));
	char *etag = policy_etag(sb_next_id(s, "gcs.policy.etag") + 1);
	json_t *bindings = json_object_get(in, "bindings");
	json_object_set(cur, "bindings", bindings ? bindings : json_array());
	if (!bindings)
		json_decref(json_object_get(cur, "bindings"));
	json_object_set_new(cur, "etag", json_string(etag));
	free(etag);
	if (sb_put(s, "gcs.policy", name, cur) != 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", "backendError", "store write failed");
		return;
	}
	char *res = st_xasprintf("projects/_/buckets/%s", name);
	sb_audit_resource(c, res);
	free(res);
	sb_reply_json(c, 200, json_incref(cur));
}

void gcs_bucket_set_iam(sb_server *s, sb_call *c)
{
	json_t *in = sb_json(c);
	json_t *b = in ? gcs_bucket_load(s, c, sb_var(c, "bucket")) : NULL;
	if (!b || kms_check_bindings(c, json_object_get(in, "bindings")) != 0) {
		json_decref(b);
		return;
	}
	json_t *cur = policy_load(s, b);
	const char *want = json_string_value(json_object_get(in, "etag"));
	const char *have = json_string_value(json_object_get(cur, "etag"));
	if (want && strcmp(want, have) != 0)
		sb_reply_error(c, 412, "FAILED_PRECONDITION", "conditionNotMet",
			       "At least one of the pre-conditions you specified did not hold "
			       "(the policy's etag is %s, not %s).", have, want);
	else
		store_policy(s, c, b, cur, in);
	json_decref(cur);
	json_decref(b);
}
