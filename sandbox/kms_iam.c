/* Cloud KMS key-level IAM: getIamPolicy (a GET in KMS), setIamPolicy with etag
 * checks, and the permission check made on every use of a key. */
#include "sandbox/kms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"

static const char *const member_prefixes[] = {
	"user:", "serviceAccount:", "group:", "domain:", "principal:", "principalSet:",
	"deleted:", "projectOwner:", "projectEditor:", "projectViewer:",
};

static bool valid_member(const char *m)
{
	if (!m)
		return false;
	if (!strcmp(m, "allUsers") || !strcmp(m, "allAuthenticatedUsers"))
		return true;
	for (size_t i = 0; i < sizeof member_prefixes / sizeof *member_prefixes; i++)
		if (st_starts_with(m, member_prefixes[i]) && strlen(m) > strlen(member_prefixes[i]))
			return true;
	return false;
}

/* The stored policy, or Google's empty default. New reference. */
static json_t *policy_load(sb_server *s, const char *key_name)
{
	json_t *p = sb_get(s, "kms.policy", key_name);
	return p ? p : json_pack("{s:i, s:s}", "version", 1, "etag", "ACAB");
}

static bool binding_has(const json_t *policy, const char *role, const char *member)
{
	size_t i, j;
	json_t *b, *m;
	json_array_foreach(json_object_get(policy, "bindings"), i, b) {
		if (strcmp(json_string_value(json_object_get(b, "role")), role) != 0)
			continue;
		json_array_foreach(json_object_get(b, "members"), j, m) {
			if (!strcmp(json_string_value(m), member) ||
			    !strcmp(json_string_value(m), "allUsers") ||
			    !strcmp(json_string_value(m), "allAuthenticatedUsers"))
				return true;
		}
	}
	return false;
}

bool sb_kms_key_grants(sb_server *s, const char *key_name, const char *member, const char *role)
{
	json_t *p = sb_get(s, "kms.policy", key_name);
	bool ok = p && binding_has(p, role, member);
	json_decref(p);
	if (ok || !st_starts_with(key_name, "projects/"))
		return ok;
	const char *proj = key_name + strlen("projects/");
	char *project = st_xstrndup(proj, strcspn(proj, "/"));
	ok = sb_project_grants(s, project, member, role);
	free(project);
	return ok;
}

bool kms_may_use(sb_server *s, sb_call *c, const char *key_name, bool encrypt)
{
	const char *who = sb_principal(c);
	const char *one = encrypt ? "roles/cloudkms.cryptoKeyEncrypter"
				  : "roles/cloudkms.cryptoKeyDecrypter";
	if (who && (sb_kms_key_grants(s, key_name, who, KMS_ROLE_ED) ||
		    sb_kms_key_grants(s, key_name, who, one)))
		return true;
	sb_reply_error(c, 403, "PERMISSION_DENIED", "IAM_PERMISSION_DENIED",
		       "Permission 'cloudkms.cryptoKeyVersions.useTo%s' denied on resource '%s' "
		       "(or it may not exist). %s needs %s or %s on the key or the project.",
		       encrypt ? "Encrypt" : "Decrypt", key_name, who ? who : "the caller",
		       KMS_ROLE_ED, one);
	return false;
}

void kms_get_iam_policy(sb_server *s, sb_call *c)
{
	char *kname = kms_key_name(c);
	json_t *key = kms_key_load(s, c, kname);
	if (key)
		sb_reply_json(c, 200, policy_load(s, kname));
	json_decref(key);
	free(kname);
}

int kms_check_bindings(sb_call *c, const json_t *bindings)
{
	size_t i, j;
	json_t *b, *m;
	if (bindings && !json_is_array(bindings)) {
		sb_reply_invalid(c, "policy.bindings must be a list.");
		return -1;
	}
	json_array_foreach(bindings, i, b) {
		const char *role = json_string_value(json_object_get(b, "role"));
		json_t *members = json_object_get(b, "members");
		if (!role || !st_starts_with(role, "roles/") || strlen(role) < 7) {
			sb_reply_invalid(c, "policy.bindings[%zu].role must name a role such as "
					 "roles/cloudkms.cryptoKeyEncrypterDecrypter.", i);
			return -1;
		}
		if (!json_is_array(members) || json_array_size(members) == 0) {
			sb_reply_invalid(c, "policy.bindings[%zu].members must be a non-empty list.", i);
			return -1;
		}
		json_array_foreach(members, j, m) {
			if (!valid_member(json_string_value(m))) {
				sb_reply_invalid(c, "Invalid member '%s' in policy.bindings[%zu]; use "
						 "user:, serviceAccount:, group: or domain: forms.",
						 json_is_string(m) ? json_string_value(m) : "?", i);
				return -1;
			}
		}
	}
	return 0;
}

static char *new_etag(sb_server *s)
{
	int64_t n = sb_next_id(s, "kms.policy.etag");
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(n >> (56 - 8 * i));
	b[0] = 0x07; /* Google's etags start with "Bw" */
	return st_base64_encode(b, sizeof b);
}

static void store_policy(sb_server *s, sb_call *c, const char *kname, const json_t *in)
{
	char *etag = new_etag(s);
	json_t *bindings = json_object_get(in, "bindings");
	json_t *p = json_pack("{s:i, s:o, s:s}", "version",
			      (int)(json_integer_value(json_object_get(in, "version")) == 3 ? 3 : 1),
			      "bindings", bindings ? json_incref(bindings) : json_array(), "etag",
			      etag);
	free(etag);
	if (sb_put(s, "kms.policy", kname, p) != 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "sandbox store write failed");
		json_decref(p);
		return;
	}
	sb_audit_resource(c, kname);
	sb_reply_json(c, 200, p);
}

void kms_set_iam_policy(sb_server *s, sb_call *c)
{
	json_t *body = sb_json(c);
	char *kname = kms_key_name(c);
	json_t *key = body ? kms_key_load(s, c, kname) : NULL;
	json_t *in = json_object_get(body, "policy");
	if (key && !json_is_object(in)) {
		sb_reply_invalid(c, "policy is required.");
	} else if (key && kms_check_bindings(c, json_object_get(in, "bindings")) == 0) {
		json_t *cur = policy_load(s, kname);
		const char *want = json_string_value(json_object_get(in, "etag"));
		const char *have = json_string_value(json_object_get(cur, "etag"));
		if (want && strcmp(want, have) != 0)
			sb_reply_error(c, 409, "ABORTED", NULL,
				       "There were concurrent policy changes. Please retry the whole "
				       "read-modify-write with exponential backoff. The request's "
				       "ETag '%s' did not match the current policy's ETag '%s'.",
				       want, have);
		else
			store_policy(s, c, kname, in);
		json_decref(cur);
	}
	json_decref(key);
	free(kname);
}
