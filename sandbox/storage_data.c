/* Object data at rest: every generation gets its own random AES-256 data key; the
 * data is written in the chunked GCM format of cmek.h (streamed, so a 5 GiB upload
 * never sits in memory) and the data key is wrapped by the object's KMS key version
 * (CMEK) or sealed by the sandbox master key (Google-managed encryption).
 * Downloads: up to GCS_MEM_REPLY bytes are decrypted into memory; larger ranges are
 * decrypted chunk by chunk as the client reads them.
 * The bulk AES-GCM work of single-request uploads and of downloads runs outside the
 * server lock (sb_call_unlock), so a large transfer does not stall other calls. */
#include "sandbox/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "sandbox/kms.h"

int gcs_data_wrap(sb_server *s, sb_call *c, const char *project, const char *kms_key,
		  const unsigned char *dek, json_t *obj)
{
	if (!kms_key) {
		size_t n = 0;
		const char *aad = "gcs-data-key";
		unsigned char *sealed = sb_cmek_seal(kms_master(), aad, strlen(aad), dek,
						     SB_CMEK_KEY_LEN, &n);
		if (!sealed) {
			sb_reply_error(c, 500, "INTERNAL", NULL, "data key sealing failed");
			return -1;
		}
		char *b64 = st_base64_encode(sealed, n);
		json_object_set_new(obj, "_dekMaster", json_string(b64));
		free(b64);
		free(sealed);
		return 0;
	}
	/* uploads name the key itself; the version suffix is only ever an output */
	if (strstr(kms_key, "/cryptoKeyVersions/")) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Bad Cloud KMS crypto key: %s",
			       kms_key);
		return -1;
	}
	char *key = st_xstrdup(kms_key), *wrapped = NULL, *version = NULL;
	int rc = -1;
	if (gcs_agent_may_use(s, c, project, key) &&
	    sb_kms_wrap(s, c, key, dek, SB_CMEK_KEY_LEN, &wrapped, &version) == 0) {
		json_object_set_new(obj, "kmsKeyName", json_string(version));
		json_object_set_new(obj, "_dek", json_string(wrapped));
		rc = 0;
	}
	free(wrapped);
	free(version);
	free(key);
	return rc;
}

/* Client-supplied checksums in the metadata must match what arrived. */
static int verify_hashes(sb_call *c, const json_t *obj, const char *crc, const char *md5)
{
	const char *want_crc = json_string_value(json_object_get(obj, "crc32c"));
	const char *want_md5 = json_string_value(json_object_get(obj, "md5Hash"));
	if (want_crc && strcmp(want_crc, crc) != 0) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Provided CRC32C \"%s\" doesn't match calculated CRC32C \"%s\".",
			       want_crc, crc);
		return -1;
	}
	if (want_md5 && strcmp(want_md5, md5) != 0) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Provided MD5 hash \"%s\" doesn't match calculated MD5 hash \"%s\".",
			       want_md5, md5);
		return -1;
	}
	return 0;
}

static void set_digest(json_t *obj, const sb_cmek_digest *d, char crc[9], char **md5)
{
	st_crc32c_b64(d->crc32c, crc);
	*md5 = st_base64_encode(d->md5, sizeof d->md5);
	json_object_set_new(obj, "size", stj_int64_string((int64_t)d->size));
}

int gcs_data_prepare(sb_server *s, sb_call *c, const char *project, const char *kms_key,
		     gcs_pending *p)
{
	memset(p, 0, sizeof *p);
	p->keys = json_object();
	if (st_random_bytes(p->dek, sizeof p->dek) != 0) {
		sb_reply_error(c, 500, "INTERNAL", NULL, "no randomness for a data key");
		return -1;
	}
	if (gcs_data_wrap(s, c, project, kms_key, p->dek, p->keys) != 0)
		return -1;
	p->tmp = st_xasprintf("%s/enc-XXXXXX", gcs_tmp_dir());
	int fd = mkstemp(p->tmp);
	if (fd < 0) {
		sb_log(s, "storage: cannot create a scratch file in %s", gcs_tmp_dir());
		sb_reply_error(c, 503, "UNAVAILABLE", "backendError",
			       "object data not stored: cannot create a scratch file in %s",
			       gcs_tmp_dir());
		free(p->tmp);
		p->tmp = NULL;
		return -1;
	}
	close(fd);
	return 0;
}

void gcs_data_encrypt(gcs_pending *p, const char *src, uint64_t off, uint64_t len)
{
	p->failed = sb_cmek_encrypt_file(p->dek, src, off, len, p->tmp, &p->digest, p->err,
					 sizeof p->err) != 0;
}

int gcs_data_install(sb_server *s, sb_call *c, gcs_pending *p, json_t *obj)
{
	char *md5 = NULL, crc[9];
	int rc = -1;
	if (p->failed) {
		sb_log(s, "storage: %s", p->err);
		sb_reply_error(c, 503, "UNAVAILABLE", "backendError", "object data not stored: %s",
			       p->err);
		return -1;
	}
	json_object_update(obj, p->keys);
	set_digest(obj, &p->digest, crc, &md5);
	if (verify_hashes(c, obj, crc, md5) != 0) {
		free(md5);
		return -1;
	}
	char *blob = st_xasprintf("gcs-%lld", (long long)sb_next_id(s, "gcs.blob"));
	if (sb_blob_put_file(s, blob, p->tmp) != 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", "backendError",
			       "object data not stored: cannot store blob %s", blob);
	} else {
		free(p->tmp); /* renamed into the blob store */
		p->tmp = NULL;
		json_object_set_new(obj, "crc32c", json_string(crc));
		json_object_set_new(obj, "md5Hash", json_string(md5));
		json_object_set_new(obj, "_blob", json_string(blob));
		rc = 0;
	}
	free(blob);
	free(md5);
	return rc;
}

void gcs_pending_free(gcs_pending *p)
{
	OPENSSL_cleanse(p->dek, sizeof p->dek);
	if (p->tmp)
		unlink(p->tmp);
	free(p->tmp);
	json_decref(p->keys);
	memset(p, 0, sizeof *p);
}

int gcs_data_adopt(sb_server *s, sb_call *c, const unsigned char *dek, const char *path,
		   const sb_cmek_digest *digest, json_t *obj)
{
	sb_cmek_digest d;
	char err[512], crc[9], *md5 = NULL;
	if (digest)
		d = *digest;
	else if (sb_cmek_digest_file(dek, path, &d, err, sizeof err) != 0) {
		sb_log(s, "storage: %s", err);
		sb_reply_error(c, 500, "DATA_LOSS", "backendError", "upload data unreadable: %s", err);
		return -1;
	}
	set_digest(obj, &d, crc, &md5);
	int rc = verify_hashes(c, obj, crc, md5);
	char *blob = st_xasprintf("gcs-%lld", (long long)sb_next_id(s, "gcs.blob"));
	if (rc == 0 && sb_blob_put_file(s, blob, path) != 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", "backendError",
			       "cannot store object data as blob %s", blob);
		rc = -1;
	}
	if (rc == 0) {
		json_object_set_new(obj, "crc32c", json_string(crc));
		json_object_set_new(obj, "md5Hash", json_string(md5));
		json_object_set_new(obj, "_blob", json_string(blob));
	}
	free(blob);
	free(md5);
	return rc;
}

int gcs_data_key(sb_server *s, sb_call *c, const json_t *bucket, const json_t *obj,
		 unsigned char dek[SB_CMEK_KEY_LEN])
{
	const char *kv = json_string_value(json_object_get(obj, "kmsKeyName"));
	if (kv) {
		char *key = gcs_key_of(kv);
		const char *project = json_string_value(json_object_get(bucket, "_project"));
		bool ok = gcs_agent_may_use(s, c, project, key);
		free(key);
		if (!ok)
			return -1;
		return sb_kms_unwrap(s, c, kv, json_string_value(json_object_get(obj, "_dek")), dek,
				     SB_CMEK_KEY_LEN);
	}
	const char *b64 = json_string_value(json_object_get(obj, "_dekMaster"));
	size_t n = 0, m = 0;
	unsigned char *sealed = b64 ? st_base64_decode(b64, strlen(b64), &n) : NULL;
	const char *aad = "gcs-data-key";
	unsigned char *raw = sealed ? sb_cmek_open(kms_master(), aad, strlen(aad), sealed, n, &m)
				    : NULL;
	free(sealed);
	int rc = raw && m == SB_CMEK_KEY_LEN ? 0 : -1;
	if (rc == 0)
		memcpy(dek, raw, SB_CMEK_KEY_LEN);
	else
		sb_reply_error(c, 500, "DATA_LOSS", "backendError",
			       "the data key of this object does not open (damaged state?)");
	if (raw)
		OPENSSL_cleanse(raw, m);
	free(raw);
	return rc;
}

/* A large download: chunks are decrypted as the client takes them, in the
 * connection's thread, so no scratch copy is made and the lock is not held. A chunk
 * that fails to authenticate mid-way can only cut the connection (the status line
 * has gone out); it is logged. */
typedef struct dl_stream {
	sb_cmek_reader *r;
	char *path;
} dl_stream;

static long dl_read(void *ctx, uint64_t pos, char *buf, size_t max)
{
	dl_stream *d = ctx;
	char err[512];
	(void)pos; /* MHD asks for the bytes in order; the reader keeps its place */
	long n = sb_cmek_reader_read(d->r, (unsigned char *)buf, max, d->path, err, sizeof err);
	if (n < 0)
		st_log(ST_LOG_ERROR, "storage: download cut short: %s", err);
	return n;
}

static void dl_done(void *ctx)
{
	dl_stream *d = ctx;
	sb_cmek_reader_close(d->r);
	free(d->path);
	free(d);
}

/* The blob is opened while the lock is held, so the generation found is the one
 * read even when it is replaced or deleted while the bytes go out: the descriptor
 * keeps its file readable (the trash only unlinks it). Small ranges are decrypted
 * into memory outside the lock; large ones are streamed. */
void gcs_data_reply(sb_server *s, sb_call *c, const json_t *obj, const unsigned char *dek,
		    int status, uint64_t off, uint64_t len)
{
	char err[512] = "";
	const char *ctype = json_string_value(json_object_get(obj, "contentType"));
	char *path = sb_blob_path(s, json_string_value(json_object_get(obj, "_blob")));
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	if (fd < 0) {
		snprintf(err, sizeof err, "cannot open object data %s: %s", path, strerror(errno));
	} else if (len > GCS_MEM_REPLY) {
		sb_cmek_reader *r = sb_cmek_reader_open(dek, fd, path, off, len, err, sizeof err);
		fd = -1; /* the reader owns it */
		if (r) {
			dl_stream *d = st_xcalloc(1, sizeof *d);
			d->r = r;
			d->path = st_xstrdup(path);
			sb_reply_stream(c, status, ctype, len, dl_read, dl_done, d);
			rc = 0;
		}
	} else {
		unsigned char *mem = NULL;
		sb_call_unlock(c);
		rc = sb_cmek_decrypt_range_fd(dek, fd, path, off, len, NULL, &mem, err, sizeof err);
		sb_call_relock(c);
		if (rc == 0)
			sb_reply_bytes(c, status, ctype, mem, (size_t)len);
	}
	if (fd >= 0)
		close(fd);
	if (rc != 0) {
		sb_log(s, "storage: %s", err);
		sb_reply_error(c, 500, "DATA_LOSS", "backendError", "object data unreadable: %s", err);
	}
	free(path);
}
