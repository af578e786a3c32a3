/* Cloud Storage buckets: insert, get, list, patch, delete, and the project's
 * Cloud Storage service agent (projects.serviceAccount.get). */
#include "sandbox/storage.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "sandbox/storage_lifecycle.h"

static char *upper(const char *s)
{
	char *u = st_xstrdup(s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static bool multi_region(const char *loc)
{
	return !strcmp(loc, "US") || !strcmp(loc, "EU") || !strcmp(loc, "ASIA");
}

/* The key must exist, sit in the bucket's location, and be usable by the agent. */
static int check_default_key(sb_server *s, sb_call *c, const char *project, const char *loc,
			     const char *key)
{
	json_t *doc = sb_get(s, "kms.key", key);
	const char *l = strstr(key, "/locations/");
	char *kloc = l ? st_xstrndup(l + 11, strcspn(l + 11, "/")) : NULL;
	char *ku = kloc ? upper(kloc) : NULL;
	int rc = -1;
	if (!doc || strstr(key, "/cryptoKeyVersions/"))
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Cloud KMS key %s does not exist or is not a CryptoKey name.", key);
	else if (!ku || strcmp(ku, loc) != 0)
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Cloud KMS key location %s does not match the bucket location %s; "
			       "the key ring must be in the bucket's location.",
			       kloc ? kloc : "(none)", loc);
	else if (gcs_agent_may_use(s, c, project, key))
		rc = 0;
	json_decref(doc);
	free(kloc);
	free(ku);
	return rc;
}

static int check_fields(sb_call *c, const json_t *body)
{
	char err[256];
	const char *cls = json_string_value(json_object_get(body, "storageClass"));
	json_t *ver = json_object_get(body, "versioning");
	json_t *enc = json_object_get(body, "encryption");
	if (json_object_get(body, "storageClass") && sb_storage_class_rank(cls) < 0) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Invalid storageClass '%s'.", cls ? cls : "?");
		return -1;
	}
	if (ver && !json_is_null(ver) && !json_is_boolean(json_object_get(ver, "enabled"))) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "versioning.enabled must be a boolean.");
		return -1;
	}
	if (enc && !json_is_null(enc) && json_object_get(enc, "defaultKmsKeyName") &&
	    !json_is_string(json_object_get(enc, "defaultKmsKeyName"))) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "encryption.defaultKmsKeyName must be a string.");
		return -1;
	}
	json_t *lc = json_object_get(body, "lifecycle");
	if (lc && sb_lifecycle_validate(lc, err, sizeof err) != 0) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "%s", err);
		return -1;
	}
	return 0;
}

static void stamp(sb_server *s, json_t *b, bool created)
{
	char now[48], etag[32];
	sb_now_rfc3339(s, now, sizeof now);
	if (created)
		json_object_set_new(b, "timeCreated", json_string(now));
	json_object_set_new(b, "updated", json_string(now));
	int64_t mg = 0;
	stj_int64(b, "metageneration", &mg);
	json_object_set_new(b, "metageneration", stj_int64_string(mg + 1));
	snprintf(etag, sizeof etag, "CA%lld=", (long long)(mg + 1));
	json_object_set_new(b, "etag", json_string(etag));
}

static const char *const settable[] = {"storageClass", "versioning", "lifecycle", "encryption",
				       "labels", "iamConfiguration"};

/* Copies the settable fields of body into b (null removes). */
static void apply_fields(json_t *b, const json_t *body)
{
	for (size_t i = 0; i < sizeof settable / sizeof *settable; i++) {
		json_t *v = json_object_get(body, settable[i]);
		if (v && json_is_null(v))
			json_object_del(b, settable[i]);
		else if (v)
			json_object_set(b, settable[i], v);
	}
}

static json_t *new_bucket(sb_server *s, const char *project, const char *name, const char *loc)
{
	char *self = st_xasprintf("%s/storage/v1/b/%s", sb_base_url(s), name);
	json_t *b = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "kind",
			      "storage#bucket", "id", name, "selfLink", self, "projectNumber",
			      stj_int64_string(sb_project_number(s, project)), "name", name,
			      "location", loc, "locationType",
			      multi_region(loc) ? "multi-region" : "region", "storageClass",
			      "STANDARD", "_project", project);
	/* unique, so that uploads notice when their bucket was replaced by a namesake */
	char gen[24];
	snprintf(gen, sizeof gen, "%lld",
		 (long long)(sb_now_ms(s) * 1000 + sb_next_id(s, "gcs.bucket.generation") % 1000));
	json_object_set_new(b, "generation", json_string(gen));
	free(self);
	return b;
}

void gcs_bucket_insert(sb_server *s, sb_call *c)
{
	const char *project = sb_query(c, "project");
	json_t *body = sb_json(c);
	if (!body)
		return;
	const char *name = json_string_value(json_object_get(body, "name"));
	if (!project || !*project) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "required", "Required parameter: project");
		return;
	}
	if (!gcs_valid_bucket_name(name)) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid bucket name: '%s'",
			       name ? name : "");
		return;
	}
	const char *l = json_string_value(json_object_get(body, "location"));
	char *loc = upper(l ? l : "US");
	const char *key = json_string_value(
		json_object_get(json_object_get(body, "encryption"), "defaultKmsKeyName"));
	if (check_fields(c, body) == 0 && (!key || check_default_key(s, c, project, loc, key) == 0)) {
		json_t *b = new_bucket(s, project, name, loc);
		apply_fields(b, body);
		stamp(s, b, true);
		int rc = sb_insert(s, "gcs.bucket", name, b);
		if (rc == 1)
			sb_reply_error(c, 409, "ALREADY_EXISTS", "conflict",
				       "The requested bucket name is not available. The bucket "
				       "namespace is shared by all users of the system. Please select "
				       "a different name and try again.");
		else if (rc < 0)
			sb_reply_error(c, 503, "UNAVAILABLE", "backendError", "store write failed");
		else
			sb_reply_json(c, 200, gcs_obj_view(s, b));
		char *res = st_xasprintf("projects/_/buckets/%s", name);
		sb_audit_resource(c, res);
		free(res);
		json_decref(b);
	}
	free(loc);
}

void gcs_bucket_get(sb_server *s, sb_call *c)
{
	json_t *b = gcs_bucket_load(s, c, sb_var(c, "bucket"));
	if (b)
		sb_reply_json(c, 200, gcs_obj_view(s, b));
	json_decref(b);
}

void gcs_bucket_list(sb_server *s, sb_call *c)
{
	const char *project = sb_query(c, "project");
	if (!project || !*project) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "required", "Required parameter: project");
		return;
	}
	const char *tok = sb_query(c, "pageToken");
	int64_t max = gcs_query_int(c, "maxResults");
	if (max == -2)
		return;
	char *after = tok && *tok ? sb_page_token_decode(tok) : st_xstrdup("");
	if (!after) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid pageToken.");
		return;
	}
	json_t *all = sb_list(s, "gcs.bucket", ""), *items = json_array();
	json_t *out = json_pack("{s:s}", "kind", "storage#buckets");
	size_t i, lim = max > 0 && max < 1000 ? (size_t)max : 1000;
	json_t *b;
	json_array_foreach(all, i, b) {
		const char *n = json_string_value(json_object_get(b, "name"));
		if (strcmp(json_string_value(json_object_get(b, "_project")), project) ||
		    strcmp(n, after) <= 0)
			continue;
		if (json_array_size(items) == lim) {
			sb_set_page_token(out, json_string_value(json_object_get(
				json_array_get(items, lim - 1), "name")));
			break;
		}
		json_array_append_new(items, gcs_obj_view(s, b));
	}
	json_object_set_new(out, "items", items);
	sb_reply_json(c, 200, out);
	json_decref(all);
	free(after);
}

void gcs_bucket_patch(sb_server *s, sb_call *c)
{
	json_t *body = sb_json(c);
	json_t *b = body ? gcs_bucket_load(s, c, sb_var(c, "bucket")) : NULL;
	if (!b || check_fields(c, body) != 0) {
		json_decref(b);
		return;
	}
	apply_fields(b, body);
	const char *key = json_string_value(
		json_object_get(json_object_get(b, "encryption"), "defaultKmsKeyName"));
	const char *project = json_string_value(json_object_get(b, "_project"));
	const char *loc = json_string_value(json_object_get(b, "location"));
	if (json_object_get(body, "encryption") && key &&
	    check_default_key(s, c, project, loc, key) != 0) {
		json_decref(b);
		return;
	}
	stamp(s, b, false);
	if (sb_put(s, "gcs.bucket", sb_var(c, "bucket"), b) != 0)
		sb_reply_error(c, 503, "UNAVAILABLE", "backendError", "store write failed");
	else
		sb_reply_json(c, 200, gcs_obj_view(s, b));
	json_decref(b);
}

void gcs_bucket_delete(sb_server *s, sb_call *c)
{
	const char *name = sb_var(c, "bucket");
	json_t *b = gcs_bucket_load(s, c, name);
	if (!b)
		return;
	char *prefix = st_xasprintf("%s/", name);
	json_t *objs = sb_list_page(s, "gcs.obj", prefix, "", 1, NULL);
	if (json_array_size(objs))
		sb_reply_error(c, 409, "FAILED_PRECONDITION", "conflict",
			       "The bucket you tried to delete is not empty.");
	else if (sb_del(s, "gcs.bucket", name) < 0 || sb_del(s, "gcs.policy", name) < 0)
		sb_reply_error(c, 503, "UNAVAILABLE", "backendError", "store write failed");
	else
		sb_reply_bytes(c, 204, "application/json", NULL, 0);
	json_decref(objs);
	free(prefix);
	json_decref(b);
}

void gcs_service_account(sb_server *s, sb_call *c)
{
	char *email = gcs_agent_email(s, sb_var(c, "project"));
	sb_reply_json(c, 200, json_pack("{s:s, s:s}", "kind", "storage#serviceAccount",
					"email_address", email));
	free(email);
}
