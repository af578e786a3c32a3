/* Cloud Storage module of the sandbox: declarations shared by its files (storage*.c).
 * Stored documents (kind: name):
 *   gcs.bucket: BUCKET                    Bucket resource, "_project" = owning project
 *   gcs.obj:    BUCKET/OBJECT\x01GEN      one per generation (GEN zero-padded to 20
 *               digits so generations sort); a noncurrent one has "timeDeleted".
 *               Private: "_blob" (blob key of the encrypted data), "_dek" (data key
 *               wrapped by the KMS key version in kmsKeyName) or "_dekMaster" (data key
 *               sealed by the sandbox master key: Google-managed encryption)
 *   gcs.upload: UPLOAD_ID                 resumable upload session
 *   gcs.trash:  COUNTER                   blob or file to delete once committed
 *   gcs.policy: BUCKET                    the bucket's IAM policy, once set
 * Object names never reach the file system: blobs are named by counters. */
#ifndef SB_STORAGE_H
#define SB_STORAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sandbox/cmek.h"
#include "sandbox/sandbox.h"

#define GCS_SERVICE "storage.googleapis.com"
#define GCS_SEP "\x01"
#define GCS_ROLE_ED "roles/cloudkms.cryptoKeyEncrypterDecrypter"
/* Downloads up to this size are answered from memory, larger ones streamed. */
#define GCS_MEM_REPLY (16u << 20)

extern const sb_service sb_svc_storage;

/* storage.c */
/* STATE/gcs-tmp: scratch files (same file system as the blobs, so renames work). */
const char *gcs_tmp_dir(void);
/* STATE/gcs-uploads: spooled bytes of unfinished resumable uploads. */
const char *gcs_upload_dir(void);
/* Bucket names: 3-63 of [a-z0-9-_.], starting and ending with a letter or digit. */
bool gcs_valid_bucket_name(const char *name);
/* Object names: 1-1024 bytes of valid UTF-8, no control characters, no "." or ".."
 * path segment. On failure answers 400 naming the problem and returns false. */
bool gcs_check_object_name(sb_call *c, const char *name);
/* Loads a bucket (new reference); answers 404 when absent. */
json_t *gcs_bucket_load(sb_server *s, sb_call *c, const char *bucket);
/* A bucket deleted and created again under the same name is another bucket (maybe
 * in another project, with other keys): its generation tells them apart. gen is
 * what the caller saw earlier (NULL: nothing known, as for state from before
 * buckets had one). When b is not that bucket, answers 404 and returns false. */
bool gcs_bucket_same(sb_call *c, const json_t *b, const char *gen);
/* "service-NUMBER@gs-project-accounts.iam.gserviceaccount.com"; caller frees. */
char *gcs_agent_email(sb_server *s, const char *project);
/* Key name without any /cryptoKeyVersions/N suffix; caller frees. */
char *gcs_key_of(const char *kms_name);
/* Checks the project's service agent may use key; answers 403 saying which grant is
 * missing otherwise. */
bool gcs_agent_may_use(sb_server *s, sb_call *c, const char *project, const char *key);
/* Store name of a generation; caller frees. */
char *gcs_obj_key(const char *bucket, const char *name, int64_t gen);
/* The live generation of an object, or one given generation (gen > 0). New ref. */
json_t *gcs_obj_find(sb_server *s, const char *bucket, const char *name, int64_t gen);
/* Public view of an object document. */
json_t *gcs_obj_view(sb_server *s, const json_t *doc);
/* Queues a blob (field "blob") or a file path (field "file") for deletion by the
 * tick, after the current call has committed. */
void gcs_trash(sb_server *s, const char *field, const char *value);
/* Removes a generation's document; its blob goes to the trash. */
void gcs_obj_purge(sb_server *s, const json_t *doc);
/* Parses ?generation= and friends: -1 absent, -2 malformed (answered). */
int64_t gcs_query_int(sb_call *c, const char *param);
void gcs_lifecycle_tick(sb_server *s);
/* storage_upload.c: drops resumable sessions older than a week (sandbox time). */
void gcs_upload_expire(sb_server *s);

/* storage_reap.c: files deleted without the server lock. start makes STATE/gcs-reap
 * (emptied) and starts the thread that unlinks what lands there; gcs_reap moves path
 * there under the name tag (unique per call: the trash id), or unlinks it in place
 * when it cannot be moved; stop deletes what is left and joins the thread. */
int gcs_reap_start(const char *state_dir, char *err, size_t errlen);
void gcs_reap(const char *path, const char *tag);
void gcs_reap_stop(void);

/* storage_data.c: encryption of object data */
/* Data of a new generation on its way in, in three steps: gcs_data_prepare (lock
 * held) picks a fresh data key, wraps it with kms_key (or seals it with the master
 * key when kms_key is NULL) and makes a scratch file; gcs_data_encrypt (lock not
 * needed: it touches nothing shared) encrypts the plaintext into it; gcs_data_install
 * (lock held) checks client-supplied crc32c/md5Hash, moves the file into the blob
 * store and fills size, crc32c, md5Hash, kmsKeyName and the private fields of obj. */
typedef struct gcs_pending {
	unsigned char dek[SB_CMEK_KEY_LEN];
	json_t *keys;          /* kmsKeyName, _dek or _dekMaster */
	char *tmp;             /* scratch file; NULL once installed */
	sb_cmek_digest digest;
	bool failed;
	char err[512];
} gcs_pending;
/* -1 when c was answered. */
int gcs_data_prepare(sb_server *s, sb_call *c, const char *project, const char *kms_key,
		     gcs_pending *p);
void gcs_data_encrypt(gcs_pending *p, const char *src, uint64_t off, uint64_t len);
/* -1 when c was answered. */
int gcs_data_install(sb_server *s, sb_call *c, gcs_pending *p, json_t *obj);
/* Wipes the key and removes a scratch file that was not installed. */
void gcs_pending_free(gcs_pending *p);
/* Wraps dek with kms_key (CMEK, after checking the agent's grant) or seals it with
 * the master key when kms_key is NULL, setting kmsKeyName and _dek or _dekMaster in
 * obj. -1 when c was answered. */
int gcs_data_wrap(sb_server *s, sb_call *c, const char *project, const char *kms_key,
		  const unsigned char *dek, json_t *obj);
/* Takes an already encrypted chunked file (a finished resumable upload) as the data
 * of obj: size, crc32c and md5Hash come from digest (or, when NULL, from reading the
 * file back), client-supplied hashes are checked, the file moves into the blob
 * store. -1 when c was answered. */
int gcs_data_adopt(sb_server *s, sb_call *c, const unsigned char *dek, const char *path,
		   const sb_cmek_digest *digest, json_t *obj);
/* Unwraps obj's data key; -1 when c was answered (key disabled, destroyed, no grant). */
int gcs_data_key(sb_server *s, sb_call *c, const json_t *bucket, const json_t *obj,
		 unsigned char dek[SB_CMEK_KEY_LEN]);
/* Answers c with the bytes [off, off+len) of obj (status 200 or 206), decrypting
 * outside the server lock. */
void gcs_data_reply(sb_server *s, sb_call *c, const json_t *obj, const unsigned char *dek,
		    int status, uint64_t off, uint64_t len);

/* storage_object.c */
/* Data that arrives already encrypted (resumable uploads): the file, its data key
 * and the object fields that hold the wrapped key. */
typedef struct gcs_sealed {
	const char *path;
	const unsigned char *dek;
	const json_t *keys; /* kmsKeyName, _dek or _dekMaster */
	const sb_cmek_digest *digest; /* of the plaintext, when already known */
	const char *bucket_gen;       /* generation of the bucket the keys were made for */
	int64_t if_generation_match;  /* given when the upload started; -1: none */
} gcs_sealed;
/* Builds a new generation from upload metadata and stores it with data from src
 * (plaintext [off, off+len)). Answers c itself (200 with the object, or the error);
 * 0 on success. (Vertex uses it too, to write job outputs back.) */
int gcs_object_commit(sb_server *s, sb_call *c, const char *bucket, const json_t *meta,
		      const char *src, uint64_t off, uint64_t len);
/* The same with data that arrived already encrypted. */
int gcs_object_commit_sealed(sb_server *s, sb_call *c, const char *bucket, const json_t *meta,
			     const gcs_sealed *sealed);

/* route handlers */
void gcs_bucket_insert(sb_server *s, sb_call *c);
void gcs_bucket_list(sb_server *s, sb_call *c);
void gcs_bucket_get(sb_server *s, sb_call *c);
void gcs_bucket_patch(sb_server *s, sb_call *c);
void gcs_bucket_delete(sb_server *s, sb_call *c);
void gcs_service_account(sb_server *s, sb_call *c);
void gcs_bucket_get_iam(sb_server *s, sb_call *c);
void gcs_bucket_set_iam(sb_server *s, sb_call *c);
void gcs_object_get(sb_server *s, sb_call *c);
void gcs_object_download(sb_server *s, sb_call *c);
void gcs_object_list(sb_server *s, sb_call *c);
void gcs_object_delete(sb_server *s, sb_call *c);
void gcs_upload_post(sb_server *s, sb_call *c);
void gcs_upload_put(sb_server *s, sb_call *c);
void gcs_upload_cancel(sb_server *s, sb_call *c);

#endif
