/* Cloud Storage JSON API: the CMEK bucket, objects, downloads and uploads. */
#ifndef GCP_STORAGE_H
#define GCP_STORAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "gcp/rq.h"

typedef struct gcp_bucket_spec {
	const char *name;
	const char *location;        /* "US-CENTRAL1" */
	const char *kms_key;         /* default CMEK key name, or NULL */
	bool versioning;
	int nearline_days;           /* 0: no rule */
	int coldline_days;           /* 0: no rule */
	const json_t *labels;        /* or NULL */
} gcp_bucket_spec;

gcp_rq *gcp_gcs_bucket_insert(const gcp_endpoints *ep, const char *project, const gcp_bucket_spec *spec);
gcp_rq *gcp_gcs_bucket_get(const gcp_endpoints *ep, const char *bucket);
gcp_rq *gcp_gcs_bucket_delete(const gcp_endpoints *ep, const char *bucket);
/* versions: every generation (cleanup needs them all). */
gcp_rq *gcp_gcs_objects_list(const gcp_endpoints *ep, const char *bucket, const char *prefix, bool versions,
			     const char *page_token);
gcp_rq *gcp_gcs_object_get(const gcp_endpoints *ep, const char *bucket, const char *object);
/* generation 0: the live version. */
gcp_rq *gcp_gcs_object_delete(const gcp_endpoints *ep, const char *bucket, const char *object, int64_t generation);
/* The object's bytes (raw body, not JSON). */
gcp_rq *gcp_gcs_object_download(const gcp_endpoints *ep, const char *bucket, const char *object);
gcp_rq *gcp_gcs_service_account(const gcp_endpoints *ep, const char *project);
/* Bucket IAM (a log sink's writer identity needs objectCreator on its bucket). */
gcp_rq *gcp_gcs_bucket_get_iam_policy(const gcp_endpoints *ep, const char *bucket);
gcp_rq *gcp_gcs_bucket_set_iam_policy(const gcp_endpoints *ep, const char *bucket, const json_t *policy);
/* Uploads in one request: media (bytes only) or multipart (metadata with crc32c, so
 * the server checks the bytes, then the bytes). data is copied. */
gcp_rq *gcp_gcs_upload_media(const gcp_endpoints *ep, const char *bucket, const char *object, const void *data,
			     size_t len, const char *ctype, const char *kms_key);
gcp_rq *gcp_gcs_upload_multipart(const gcp_endpoints *ep, const char *bucket, const char *object, const void *data,
				 size_t len, const char *ctype, const char *kms_key);
/* Starts a resumable session (the session URL comes back in Location). */
gcp_rq *gcp_gcs_upload_resumable_start(const gcp_endpoints *ep, const char *bucket, const char *object,
				       uint64_t total, const char *ctype, const char *kms_key, uint32_t crc32c);

typedef struct gcp_gcs_object {
	char name[1024];
	int64_t generation;
	int64_t size;
	char crc32c[16];
	char kms_key[512];
} gcp_gcs_object;
int gcp_gcs_object_parse(const json_t *j, gcp_gcs_object *out, char *err, size_t errlen);

/* ------------------------------------------------------------------ upload helper
 * Uploads a file or a buffer with progress and a CRC32C check of what the server
 * stored: multipart up to 5 MiB, resumable above (chunks of chunk_size, a multiple of
 * 256 KiB; 8 MiB by default), or as forced by mode. The callback gets the Object. */
typedef struct gcp_upload_spec {
	const char *bucket, *object, *ctype, *kms_key;
	const char *path;            /* file to upload, or */
	const void *data;            /* buffer (copied) */
	size_t len;
	const char *mode;            /* NULL (auto), "media", "multipart", "resumable" */
	size_t chunk_size;
	gcp_progress_fn progress;
	void *progress_user;
} gcp_upload_spec;
int gcp_gcs_upload(gcp_ctx *ctx, const gcp_endpoints *ep, const gcp_upload_spec *spec, void *owner,
		   gcp_done_fn done, void *user, gcp_error *err);

/* Downloads an object's bytes (resp->body) and checks them against the crc32c in the
 * X-Goog-Hash header when the server sends one: a mismatch is DATA_LOSS, not data. */
int gcp_gcs_download(gcp_ctx *ctx, const gcp_endpoints *ep, const char *bucket, const char *object, void *owner,
		     gcp_done_fn done, void *user, gcp_error *err);

#endif
