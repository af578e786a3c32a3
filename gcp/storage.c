#include "gcp/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"

static gcp_rq *at(const gcp_endpoints *ep, const char *method, const char *id, char *path)
{
	gcp_rq *rq = path ? gcp_rq_new(ep, GCP_API_STORAGE, NULL, method, id, path) : NULL;
	free(path);
	return rq;
}

static json_t *lifecycle(const gcp_bucket_spec *s)
{
	json_t *rules = json_array();
	if (s->nearline_days > 0)
		json_array_append_new(rules, json_pack("{s:{s:s,s:s},s:{s:i,s:[s]}}", "action", "type", "SetStorageClass",
						      "storageClass", "NEARLINE", "condition", "age", s->nearline_days,
						      "matchesStorageClass", "STANDARD"));
	if (s->coldline_days > 0)
		json_array_append_new(rules, json_pack("{s:{s:s,s:s},s:{s:i,s:[s]}}", "action", "type", "SetStorageClass",
						      "storageClass", "COLDLINE", "condition", "age", s->coldline_days,
						      "matchesStorageClass", "NEARLINE"));
	return json_pack("{s:o}", "rule", rules);
}

gcp_rq *gcp_gcs_bucket_insert(const gcp_endpoints *ep, const char *project, const gcp_bucket_spec *s)
{
	gcp_rq *rq = at(ep, "POST", "storage.buckets.insert", st_xstrdup("/storage/v1/b"));
	gcp_rq_query(rq, "project", project);
	json_t *b = json_pack("{s:s,s:s,s:s,s:{s:b},s:{s:{s:b}}}", "name", s->name, "location", s->location,
			      "storageClass", "STANDARD", "versioning", "enabled", s->versioning,
			      "iamConfiguration", "uniformBucketLevelAccess", "enabled", 1);
	if (s->kms_key)
		json_object_set_new(b, "encryption", json_pack("{s:s}", "defaultKmsKeyName", s->kms_key));
	if (s->nearline_days > 0 || s->coldline_days > 0)
		json_object_set_new(b, "lifecycle", lifecycle(s));
	if (s->labels)
		json_object_set_new(b, "labels", json_deep_copy(s->labels));
	gcp_rq_body(rq, b);
	return rq;
}

gcp_rq *gcp_gcs_bucket_get(const gcp_endpoints *ep, const char *bucket)
{
	return at(ep, "GET", "storage.buckets.get", gcp_pathf("/storage/v1/b/%s", bucket));
}

gcp_rq *gcp_gcs_bucket_delete(const gcp_endpoints *ep, const char *bucket)
{
	return at(ep, "DELETE", "storage.buckets.delete", gcp_pathf("/storage/v1/b/%s", bucket));
}

gcp_rq *gcp_gcs_objects_list(const gcp_endpoints *ep, const char *bucket, const char *prefix, bool versions,
			     const char *page_token)
{
	gcp_rq *rq = at(ep, "GET", "storage.objects.list", gcp_pathf("/storage/v1/b/%s/o", bucket));
	gcp_rq_query(rq, "prefix", prefix);
	if (versions)
		gcp_rq_query(rq, "versions", "true");
	gcp_rq_query(rq, "pageToken", page_token);
	return rq;
}

gcp_rq *gcp_gcs_object_get(const gcp_endpoints *ep, const char *bucket, const char *object)
{
	return at(ep, "GET", "storage.objects.get", gcp_pathf("/storage/v1/b/%s/o/%s", bucket, object));
}

gcp_rq *gcp_gcs_object_delete(const gcp_endpoints *ep, const char *bucket, const char *object, int64_t generation)
{
	gcp_rq *rq = at(ep, "DELETE", "storage.objects.delete", gcp_pathf("/storage/v1/b/%s/o/%s", bucket, object));
	if (generation > 0)
		gcp_rq_query_int(rq, "generation", (long long)generation);
	return rq;
}

gcp_rq *gcp_gcs_object_download(const gcp_endpoints *ep, const char *bucket, const char *object)
{
	gcp_rq *rq = gcp_gcs_object_get(ep, bucket, object);
	gcp_rq_query(rq, "alt", "media");
	rq->flags |= GCP_RAW_BODY;
	return rq;
}

gcp_rq *gcp_gcs_service_account(const gcp_endpoints *ep, const char *project)
{
	return at(ep, "GET", "storage.projects.serviceAccount.get",
		  gcp_pathf("/storage/v1/projects/%s/serviceAccount", project));
}

gcp_rq *gcp_gcs_bucket_get_iam_policy(const gcp_endpoints *ep, const char *bucket)
{
	gcp_rq *rq = at(ep, "GET", "storage.buckets.getIamPolicy", gcp_pathf("/storage/v1/b/%s/iam", bucket));
	gcp_rq_query(rq, "optionsRequestedPolicyVersion", "3");
	return rq;
}

/* Storage takes the Policy itself as the body (not wrapped in {"policy":...}). */
gcp_rq *gcp_gcs_bucket_set_iam_policy(const gcp_endpoints *ep, const char *bucket, const json_t *policy)
{
	gcp_rq *rq = at(ep, "PUT", "storage.buckets.setIamPolicy", gcp_pathf("/storage/v1/b/%s/iam", bucket));
	gcp_rq_body(rq, json_deep_copy(policy));
	return rq;
}

static gcp_rq *upload_rq(const gcp_endpoints *ep, const char *bucket, const char *type, const char *kind)
{
	gcp_rq *rq = at(ep, "POST", "storage.objects.insert", gcp_pathf("/upload/storage/v1/b/%s/o", bucket));
	gcp_rq_query(rq, "uploadType", type);
	rq->upload = kind;
	return rq;
}

gcp_rq *gcp_gcs_upload_media(const gcp_endpoints *ep, const char *bucket, const char *object, const void *data,
			     size_t len, const char *ctype, const char *kms_key)
{
	gcp_rq *rq = upload_rq(ep, bucket, "media", "simple");
	gcp_rq_query(rq, "name", object);
	gcp_rq_query(rq, "kmsKeyName", kms_key);
	rq->raw = st_xmalloc(len + 1);
	memcpy(rq->raw, data, len);
	rq->raw_len = len;
	rq->ctype = st_xstrdup(ctype ? ctype : "application/octet-stream");
	return rq;
}

static json_t *object_meta(const char *object, const char *ctype, uint32_t crc, bool with_crc)
{
	json_t *m = json_pack("{s:s,s:s}", "name", object, "contentType", ctype ? ctype : "application/octet-stream");
	if (with_crc) {
		char c[9];
		st_crc32c_b64(crc, c);
		json_object_set_new(m, "crc32c", json_string(c));
	}
	return m;
}

gcp_rq *gcp_gcs_upload_multipart(const gcp_endpoints *ep, const char *bucket, const char *object, const void *data,
				 size_t len, const char *ctype, const char *kms_key)
{
	gcp_rq *rq = upload_rq(ep, bucket, "multipart", "multipart");
	gcp_rq_query(rq, "kmsKeyName", kms_key);
	char rnd[16], boundary[40];
	st_random_bytes(rnd, sizeof rnd);
	memcpy(boundary, "sealtrain_", 10);
	st_hex_encode(rnd, 14, boundary + 10);
	boundary[38] = '\0';
	json_t *meta = object_meta(object, ctype, st_crc32c(0, data, len), true);
	char *m = stj_dump(meta);
	json_decref(meta);
	st_buf b;
	st_buf_init(&b);
	st_buf_printf(&b, "--%s\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n%s\r\n--%s\r\nContent-Type: %s\r\n\r\n",
		      boundary, m, boundary, ctype ? ctype : "application/octet-stream");
	st_buf_append(&b, data, len);
	st_buf_printf(&b, "\r\n--%s--\r\n", boundary);
	free(m);
	rq->raw_len = b.len;
	rq->raw = st_buf_steal(&b);
	rq->ctype = st_xasprintf("multipart/related; boundary=%s", boundary);
	return rq;
}

gcp_rq *gcp_gcs_upload_resumable_start(const gcp_endpoints *ep, const char *bucket, const char *object,
				       uint64_t total, const char *ctype, const char *kms_key, uint32_t crc32c)
{
	(void)total;
	gcp_rq *rq = upload_rq(ep, bucket, "resumable", "resumable");
	gcp_rq_query(rq, "kmsKeyName", kms_key);
	gcp_rq_body(rq, object_meta(object, ctype, crc32c, true));
	return rq;
}

int gcp_gcs_object_parse(const json_t *j, gcp_gcs_object *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	const char *name = stj_str(j, "name");
	if (!name) {
		snprintf(err, errlen, "Object without a name");
		return -1;
	}
	st_sanitize_text(o->name, sizeof o->name, name);
	if ((json_object_get(j, "generation") && !stj_int64(j, "generation", &o->generation)) ||
	    (json_object_get(j, "size") && !stj_int64(j, "size", &o->size))) {
		snprintf(err, errlen, "Object %s: generation/size is not an int64", o->name);
		return -1;
	}
	st_sanitize_text(o->crc32c, sizeof o->crc32c, stj_str(j, "crc32c") ? stj_str(j, "crc32c") : "");
	st_sanitize_text(o->kms_key, sizeof o->kms_key, stj_str(j, "kmsKeyName") ? stj_str(j, "kmsKeyName") : "");
	return 0;
}
