/* Cloud Storage objects: new generations (shared by every upload type), get
 * (metadata or media with Range), list (prefix, delimiter, versions), delete. */
#include "sandbox/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "sandbox/storage_range.h"

static const char *const meta_fields[] = {"contentType", "metadata", "cacheControl",
					  "contentDisposition", "contentEncoding",
					  "contentLanguage", "customTime", "crc32c", "md5Hash"};

static json_t *new_generation(sb_server *s, const json_t *bucket, const char *name,
			      const json_t *meta, int64_t gen)
{
	const char *bn = json_string_value(json_object_get(bucket, "name"));
	char *esc = st_url_escape(name), now[48], g[24];
	snprintf(g, sizeof g, "%lld", (long long)gen);
	sb_now_rfc3339(s, now, sizeof now);
	char *id = st_xasprintf("%s/%s/%s", bn, name, g);
	char *self = st_xasprintf("%s/storage/v1/b/%s/o/%s", sb_base_url(s), bn, esc);
	char *media = st_xasprintf("%s/download/storage/v1/b/%s/o/%s?generation=%s&alt=media",
				   sb_base_url(s), bn, esc, g);
	const char *cls = json_string_value(json_object_get(meta, "storageClass"));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			      "kind", "storage#object", "id", id, "selfLink", self, "mediaLink",
			      media, "name", name, "bucket", bn, "generation", g, "metageneration",
			      "1", "contentType", "application/octet-stream", "storageClass",
			      cls ? cls : json_string_value(json_object_get(bucket, "storageClass")),
			      "timeCreated", now, "updated", now, "timeStorageClassUpdated", now);
	for (size_t i = 0; i < sizeof meta_fields / sizeof *meta_fields; i++) {
		json_t *v = json_object_get(meta, meta_fields[i]);
		if (v && (json_is_string(v) ||
			  (json_is_object(v) && !strcmp(meta_fields[i], "metadata"))))
			json_object_set(o, meta_fields[i], v);
	}
	char etag[32];
	snprintf(etag, sizeof etag, "C%.20s=", g);
	json_object_set_new(o, "etag", json_string(etag));
	free(id), free(self), free(media), free(esc);
	return o;
}

/* ifGenerationMatch want (-1: none; 0 means "must not exist"). -1 when c was
 * answered (412). */
static int generation_match(sb_call *c, const json_t *live, int64_t want)
{
	int64_t have = 0;
	if (want < 0)
		return 0;
	if (live)
		stj_int64(live, "generation", &have);
	if (want == have)
		return 0;
	sb_reply_error(c, 412, "FAILED_PRECONDITION", "conditionNotMet",
		       "At least one of the pre-conditions you specified did not hold.");
	return -1;
}

/* The same with ?ifGenerationMatch= of this request. */
static int check_precondition(sb_call *c, const json_t *live)
{
	int64_t want = gcs_query_int(c, "ifGenerationMatch");
	return want == -2 ? -1 : generation_match(c, live, want);
}

/* The previous live generation becomes noncurrent (versioning) or goes away. */
static void retire(sb_server *s, json_t *live, const json_t *bucket)
{
	if (!json_is_true(json_object_get(json_object_get(bucket, "versioning"), "enabled"))) {
		gcs_obj_purge(s, live);
		return;
	}
	char now[48];
	int64_t gen = 0;
	sb_now_rfc3339(s, now, sizeof now);
	json_object_set_new(live, "timeDeleted", json_string(now));
	stj_int64(live, "generation", &gen);
	char *k = gcs_obj_key(json_string_value(json_object_get(live, "bucket")),
			      json_string_value(json_object_get(live, "name")), gen);
	sb_put(s, "gcs.obj", k, live);
	free(k);
}

static const char *kms_choice(sb_call *c, const json_t *bucket, const json_t *meta)
{
	const char *q = sb_query(c, "kmsKeyName");
	const char *m = json_string_value(json_object_get(meta, "kmsKeyName"));
	if (q && *q)
		return q;
	if (m && *m)
		return m;
	return json_string_value(
		json_object_get(json_object_get(bucket, "encryption"), "defaultKmsKeyName"));
}

/* What must hold before data is taken and again when it is committed: the bucket,
 * the name, ifGenerationMatch (want), the storage class. Loads bucket and the live
 * generation (new refs, NULL when absent). -1 when c was answered. */
static int admit(sb_server *s, sb_call *c, const char *bname, const json_t *meta, int64_t want,
		 json_t **bucket, json_t **live)
{
	const char *name = json_string_value(json_object_get(meta, "name"));
	json_decref(*bucket);
	json_decref(*live);
	*live = NULL;
	*bucket = gcs_bucket_load(s, c, bname);
	if (!*bucket || !gcs_check_object_name(c, name))
		return -1;
	*live = gcs_obj_find(s, bname, name, 0);
	if (generation_match(c, *live, want) != 0)
		return -1;
	const char *cls = json_string_value(json_object_get(meta, "storageClass"));
	if (json_object_get(meta, "storageClass") && (!cls || (strcmp(cls, "STANDARD") &&
	    strcmp(cls, "NEARLINE") && strcmp(cls, "COLDLINE") && strcmp(cls, "ARCHIVE")))) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid storageClass.");
		return -1;
	}
	return 0;
}

/* Generations follow the sandbox clock in microseconds but always grow: two uploads
 * committed in the same millisecond (many, with a slow --time-scale) get the next
 * numbers up instead of ones that could go back or repeat (the generation keys the
 * object row, so a repeat would overwrite an older version). */
static int64_t next_generation(sb_server *s)
{
	json_t *d = sb_get(s, "gcs.generation", "last");
	int64_t last = 0, gen = sb_now_ms(s) * 1000;
	stj_int64(d, "generation", &last);
	json_decref(d);
	if (gen <= last)
		gen = last + 1;
	d = json_pack("{s:I}", "generation", (json_int_t)gen);
	sb_put(s, "gcs.generation", "last", d);
	json_decref(d);
	return gen;
}

/* Stores the new generation (data from pd, or adopted when it came sealed), retires
 * the live one and answers with the object. */
static int publish(sb_server *s, sb_call *c, const char *bname, const json_t *meta,
		   const json_t *bucket, json_t *live, gcs_pending *pd, const gcs_sealed *sealed)
{
	const char *name = json_string_value(json_object_get(meta, "name"));
	int64_t gen = next_generation(s);
	json_t *o = new_generation(s, bucket, name, meta, gen);
	int rc = -1;
	if (sealed)
		json_object_update(o, (json_t *)sealed->keys);
	if ((sealed ? gcs_data_adopt(s, c, sealed->dek, sealed->path, sealed->digest, o)
		    : gcs_data_install(s, c, pd, o)) != 0)
		goto out;
	if (live)
		retire(s, live, bucket);
	char *k = gcs_obj_key(bname, name, gen);
	if (sb_put(s, "gcs.obj", k, o) != 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", "backendError", "store write failed");
	} else {
		char *res = st_xasprintf("projects/_/buckets/%s/objects/%s", bname, name);
		sb_audit_resource(c, res);
		free(res);
		sb_reply_json(c, 200, gcs_obj_view(s, o));
		rc = 0;
	}
	free(k);
out:
	json_decref(o);
	return rc;
}

/* Plaintext data is encrypted outside the server lock. Whatever happened meanwhile
 * is checked again before the commit: a deleted bucket answers 404 (so does one
 * deleted and made again: the data key was wrapped for the old one's project and
 * key), a precondition that no longer holds 412, and otherwise the last upload to
 * commit wins, as on Google (the one it replaces becomes noncurrent or goes to the
 * trash). Sealed data (resumable) carries the generation of the bucket its key was
 * made for. */
static int commit(sb_server *s, sb_call *c, const char *bname, const json_t *meta,
		  const char *src, uint64_t off, uint64_t len, const gcs_sealed *sealed)
{
	json_t *bucket = NULL, *live = NULL;
	gcs_pending pd;
	char *bgen = NULL;
	int rc = -1;
	/* a resumable upload's precondition came with the request that started it */
	int64_t want = sealed ? sealed->if_generation_match : gcs_query_int(c, "ifGenerationMatch");
	memset(&pd, 0, sizeof pd);
	if (want == -2 || admit(s, c, bname, meta, want, &bucket, &live) != 0)
		goto out;
	if (!sealed) {
		const char *project = json_string_value(json_object_get(bucket, "_project"));
		const char *g = json_string_value(json_object_get(bucket, "generation"));
		bgen = g ? st_xstrdup(g) : NULL;
		if (gcs_data_prepare(s, c, project, kms_choice(c, bucket, meta), &pd) != 0)
			goto out;
		sb_call_unlock(c);
		gcs_data_encrypt(&pd, src, off, len);
		sb_call_relock(c);
		if (admit(s, c, bname, meta, want, &bucket, &live) != 0)
			goto out;
	}
	if (!gcs_bucket_same(c, bucket, sealed ? sealed->bucket_gen : bgen))
		goto out;
	rc = publish(s, c, bname, meta, bucket, live, &pd, sealed);
out:
	free(bgen);
	gcs_pending_free(&pd);
	json_decref(live);
	json_decref(bucket);
	return rc;
}

int gcs_object_commit(sb_server *s, sb_call *c, const char *bname, const json_t *meta,
		      const char *src, uint64_t off, uint64_t len)
{
	return commit(s, c, bname, meta, src, off, len, NULL);
}

int gcs_object_commit_sealed(sb_server *s, sb_call *c, const char *bname, const json_t *meta,
			     const gcs_sealed *sealed)
{
	return commit(s, c, bname, meta, NULL, 0, 0, sealed);
}

/* Loads the object the route names (live or ?generation=); answers c otherwise. */
static json_t *object_load(sb_server *s, sb_call *c, json_t **bucket)
{
	const char *bn = sb_var(c, "bucket"), *name = sb_var(c, "object");
	*bucket = gcs_bucket_load(s, c, bn);
	if (!*bucket || !gcs_check_object_name(c, name))
		return NULL;
	int64_t gen = gcs_query_int(c, "generation");
	if (gen == -2)
		return NULL;
	json_t *o = gcs_obj_find(s, bn, name, gen > 0 ? gen : 0);
	if (!o)
		sb_reply_error(c, 404, "NOT_FOUND", "notFound", "No such object: %s/%s", bn, name);
	return o;
}

static void media_headers(sb_call *c, const json_t *o)
{
	char buf[128];
	snprintf(buf, sizeof buf, "crc32c=%s,md5=%s",
		 json_string_value(json_object_get(o, "crc32c")),
		 json_string_value(json_object_get(o, "md5Hash")));
	sb_reply_header(c, "X-Goog-Hash", buf);
	sb_reply_header(c, "X-Goog-Generation", json_string_value(json_object_get(o, "generation")));
	sb_reply_header(c, "X-Goog-Metageneration",
			json_string_value(json_object_get(o, "metageneration")));
	sb_reply_header(c, "X-Goog-Stored-Content-Length",
			json_string_value(json_object_get(o, "size")));
	sb_reply_header(c, "X-Goog-Storage-Class",
			json_string_value(json_object_get(o, "storageClass")));
	sb_reply_header(c, "ETag", json_string_value(json_object_get(o, "etag")));
	sb_reply_header(c, "Accept-Ranges", "bytes");
}

static void send_media(sb_server *s, sb_call *c, const json_t *bucket, const json_t *o)
{
	int64_t size = 0;
	uint64_t off = 0, len = 0;
	unsigned char dek[SB_CMEK_KEY_LEN];
	stj_int64(o, "size", &size);
	enum sb_range_result r = sb_range_parse(sb_header(c, "Range"), (uint64_t)size, &off, &len);
	if (gcs_data_key(s, c, bucket, o, dek) != 0)
		return;
	if (r == SB_RANGE_UNSATISFIABLE) {
		char cr[48];
		snprintf(cr, sizeof cr, "bytes */%lld", (long long)size);
		sb_reply_error(c, 416, "OUT_OF_RANGE", "requestedRangeNotSatisfiable",
			       "The requested range cannot be satisfied.");
		sb_reply_header(c, "Content-Range", cr);
	} else if (r == SB_RANGE_PARTIAL) {
		char cr[80];
		snprintf(cr, sizeof cr, "bytes %llu-%llu/%lld", (unsigned long long)off,
			 (unsigned long long)(off + len - 1), (long long)size);
		gcs_data_reply(s, c, o, dek, 206, off, len);
		sb_reply_header(c, "Content-Range", cr);
		media_headers(c, o);
	} else {
		gcs_data_reply(s, c, o, dek, 200, 0, (uint64_t)size);
		media_headers(c, o);
	}
	OPENSSL_cleanse(dek, sizeof dek);
}

void gcs_object_get(sb_server *s, sb_call *c)
{
	json_t *bucket = NULL, *o = object_load(s, c, &bucket);
	const char *alt = sb_query(c, "alt");
	if (o && check_precondition(c, o) != 0)
		;
	else if (o && alt && !strcmp(alt, "media"))
		send_media(s, c, bucket, o);
	else if (o && alt && strcmp(alt, "json"))
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid alt value: %s", alt);
	else if (o)
		sb_reply_json(c, 200, gcs_obj_view(s, o));
	json_decref(o);
	json_decref(bucket);
}

void gcs_object_download(sb_server *s, sb_call *c)
{
	json_t *bucket = NULL, *o = object_load(s, c, &bucket);
	if (o && check_precondition(c, o) == 0)
		send_media(s, c, bucket, o);
	json_decref(o);
	json_decref(bucket);
}

void gcs_object_delete(sb_server *s, sb_call *c)
{
	json_t *bucket = NULL, *o = object_load(s, c, &bucket);
	if (!o || check_precondition(c, o) != 0)
		goto out;
	if (sb_query(c, "generation") || json_object_get(o, "timeDeleted"))
		gcs_obj_purge(s, o);
	else
		retire(s, o, bucket);
	sb_reply_bytes(c, 204, "application/json", NULL, 0);
out:
	json_decref(o);
	json_decref(bucket);
}
