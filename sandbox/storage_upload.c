/* Cloud Storage uploads: uploadType=media and multipart in one request, and
 * resumable sessions (POST starts one and answers with a Location header; PUTs add
 * chunks, 308 with Range until the last byte arrives). The request body is always
 * spooled to a file by the server (SB_STREAM_BODY). A resumable session gets its data
 * key when it starts; each chunk is encrypted onto STATE/gcs-uploads/ID as it
 * arrives (chunks are whole multiples of the cipher's chunk size), and the finished
 * file becomes the object's blob without another encryption pass. That encryption,
 * and the read-back that checksums a finished upload, run outside the server lock. */
#include "sandbox/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "sandbox/storage_multipart.h"

#include <openssl/crypto.h>

#define META_MAX (1u << 20)
#define CHUNK_UNIT 262144u
#define OBJECT_MAX (5ull << 40)

/* Reads a small JSON object from [off, off+len) of the spooled body; empty gives {}.
 * NULL when c was answered. */
static json_t *read_meta(sb_call *c, const char *path, uint64_t off, uint64_t len)
{
	if (len == 0)
		return json_object();
	if (len > META_MAX) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "object metadata is larger than %u bytes", META_MAX);
		return NULL;
	}
	char *buf = st_xmalloc((size_t)len + 1), err[200];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? pread(fd, buf, (size_t)len, (off_t)off) : -1;
	if (fd >= 0)
		close(fd);
	json_t *j = r == (ssize_t)len ? stj_parse(buf, (size_t)len, META_MAX, err, sizeof err) : NULL;
	if (r != (ssize_t)len)
		snprintf(err, sizeof err, "cannot read the spooled request body");
	free(buf);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
		snprintf(err, sizeof err, "metadata must be a JSON object");
	}
	if (!j)
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "parseError",
			       "Invalid object metadata: %s", err);
	return j;
}

/* ?name= wins over the metadata's name, as Google's does. */
static void set_name(sb_call *c, json_t *meta)
{
	const char *q = sb_query(c, "name");
	if (q)
		json_object_set_new(meta, "name", json_string(q));
}

static void upload_media(sb_server *s, sb_call *c, const char *path, uint64_t len)
{
	json_t *meta = json_object();
	const char *ct = sb_header(c, "Content-Type");
	set_name(c, meta);
	if (ct && *ct)
		json_object_set_new(meta, "contentType", json_string(ct));
	if (!json_object_get(meta, "name"))
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "required", "Required parameter: name");
	else
		gcs_object_commit(s, c, sb_var(c, "bucket"), meta, path, 0, len);
	json_decref(meta);
}

static void upload_multipart(sb_server *s, sb_call *c, const char *path, uint64_t len)
{
	sb_multipart mp;
	char err[256];
	if (sb_multipart_parse(path, len, sb_header(c, "Content-Type"), &mp, err, sizeof err) != 0) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "%s", err);
		return;
	}
	json_t *meta = read_meta(c, path, mp.parts[0].off, mp.parts[0].len);
	if (meta) {
		set_name(c, meta);
		if (!json_object_get(meta, "contentType") && mp.parts[1].content_type)
			json_object_set_new(meta, "contentType",
					    json_string(mp.parts[1].content_type));
		if (!json_is_string(json_object_get(meta, "name")))
			sb_reply_error(c, 400, "INVALID_ARGUMENT", "required",
				       "Required parameter: name");
		else
			gcs_object_commit(s, c, sb_var(c, "bucket"), meta, path, mp.parts[1].off,
					  mp.parts[1].len);
	}
	json_decref(meta);
	sb_multipart_free(&mp);
}

static char *spool_path(const char *id)
{
	return st_xasprintf("%s/%s", gcs_upload_dir(), id);
}

/* Session checks done up front so that a client learns early of a bad name, a
 * missing bucket or a missing CMEK grant. */
static bool session_ok(sb_server *s, sb_call *c, json_t *meta)
{
	json_t *b = gcs_bucket_load(s, c, sb_var(c, "bucket"));
	bool ok = b && gcs_check_object_name(c, json_string_value(json_object_get(meta, "name")));
	const char *q = sb_query(c, "kmsKeyName");
	if (ok && q && *q)
		json_object_set_new(meta, "kmsKeyName", json_string(q));
	const char *key = json_string_value(json_object_get(meta, "kmsKeyName"));
	if (!key)
		key = json_string_value(
			json_object_get(json_object_get(b, "encryption"), "defaultKmsKeyName"));
	if (ok && key) {
		char *k = gcs_key_of(key);
		ok = gcs_agent_may_use(s, c, json_string_value(json_object_get(b, "_project")), k);
		free(k);
	}
	json_decref(b);
	return ok;
}

/* The session's data key, wrapped like an object's, and its encrypted spool file
 * (header only for now). The key was made for this bucket only, so its generation
 * goes with the session (bucketGen). -1 when c was answered. */
static int session_keys(sb_server *s, sb_call *c, const json_t *meta, const char *spool,
			json_t *keys, json_t *sess)
{
	json_t *b = gcs_bucket_load(s, c, sb_var(c, "bucket"));
	json_t *bgen = json_object_get(b, "generation");
	if (bgen)
		json_object_set(sess, "bucketGen", bgen);
	const char *key = json_string_value(json_object_get(meta, "kmsKeyName"));
	if (!key)
		key = json_string_value(
			json_object_get(json_object_get(b, "encryption"), "defaultKmsKeyName"));
	unsigned char dek[SB_CMEK_KEY_LEN];
	char err[256];
	int rc = b && st_random_bytes(dek, sizeof dek) == 0 ? 0 : -1;
	if (rc == 0)
		rc = gcs_data_wrap(s, c, json_string_value(json_object_get(b, "_project")), key, dek,
				   keys);
	if (rc == 0 && sb_cmek_append(dek, spool, 0, "/dev/null", 0, 0, 0, err, sizeof err) != 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", "backendError",
			       "cannot open an upload session: %s", err);
		rc = -1;
	}
	OPENSSL_cleanse(dek, sizeof dek);
	json_decref(b);
	return rc;
}

static void session_reply(sb_server *s, sb_call *c, const char *id)
{
	char *loc = st_xasprintf("%s/upload/storage/v1/b/%s/o?uploadType=resumable&upload_id=%s",
				 sb_base_url(s), sb_var(c, "bucket"), id);
	sb_reply_bytes(c, 200, "text/plain", NULL, 0);
	sb_reply_header(c, "Location", loc);
	sb_reply_header(c, "X-GUploader-UploadID", id);
	free(loc);
}

static void session_start(sb_server *s, sb_call *c, const char *path, uint64_t len)
{
	json_t *meta = read_meta(c, path, 0, len);
	if (!meta)
		return;
	set_name(c, meta);
	const char *xct = sb_header(c, "X-Upload-Content-Type");
	if (xct && *xct && !json_object_get(meta, "contentType"))
		json_object_set_new(meta, "contentType", json_string(xct));
	/* the precondition is the starting request's; the chunks' URLs carry none */
	int64_t igm = gcs_query_int(c, "ifGenerationMatch");
	if (igm == -2) {
		/* answered */
	} else if (!json_is_string(json_object_get(meta, "name"))) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "required", "Required parameter: name");
	} else if (session_ok(s, c, meta)) {
		unsigned char rnd[16];
		char id[33];
		st_random_bytes(rnd, sizeof rnd);
		st_hex_encode(rnd, sizeof rnd, id);
		char *sp = spool_path(id);
		json_t *keys = json_object();
		json_t *sess = json_pack("{s:s, s:s, s:O, s:i, s:i, s:I}", "id", id, "bucket",
					 sb_var(c, "bucket"), "meta", meta, "received", 0, "total",
					 -1, "started", (json_int_t)sb_now_ms(s));
		if (igm >= 0)
			json_object_set_new(sess, "ifGenerationMatch", json_integer(igm));
		if (session_keys(s, c, meta, sp, keys, sess) == 0) {
			json_object_set(sess, "keys", keys);
			if (sb_put(s, "gcs.upload", id, sess) != 0)
				sb_reply_error(c, 503, "UNAVAILABLE", "backendError",
					       "store write failed");
			else
				session_reply(s, c, id);
		}
		json_decref(sess);
		json_decref(keys);
		free(sp);
	}
	json_decref(meta);
}

void gcs_upload_post(sb_server *s, sb_call *c)
{
	const char *type = sb_query(c, "uploadType");
	uint64_t len = 0;
	const char *path = sb_body_file(c, &len);
	if (sb_query(c, "upload_id")) {
		gcs_upload_put(s, c);
	} else if (!path) {
		sb_reply_error(c, 500, "INTERNAL", NULL, "upload body was not spooled");
	} else if (type && !strcmp(type, "media")) {
		upload_media(s, c, path, len);
	} else if (type && !strcmp(type, "multipart")) {
		upload_multipart(s, c, path, len);
	} else if (type && !strcmp(type, "resumable")) {
		session_start(s, c, path, len);
	} else {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "uploadType must be media, multipart or resumable, not '%s'.",
			       type ? type : "");
	}
}

/* Content-Range: "bytes A-B/T", "bytes A-B/STAR", "bytes STAR/T" or "bytes STAR/STAR"
 * (STAR being an asterisk).
 * *first = -1 for a status query; *total = -1 when unknown. */
static int parse_content_range(const char *h, int64_t *first, int64_t *last, int64_t *total)
{
	if (!h || strncmp(h, "bytes ", 6) != 0)
		return -1;
	const char *p = h + 6;
	char *e;
	if (*p == '*') {
		*first = *last = -1;
		p++;
	} else {
		*first = strtoll(p, &e, 10);
		if (e == p || *e != '-')
			return -1;
		p = e + 1;
		*last = strtoll(p, &e, 10);
		if (e == p || *last < *first || *first < 0)
			return -1;
		p = e;
	}
	if (*p++ != '/')
		return -1;
	if (!strcmp(p, "*")) {
		*total = -1;
		return 0;
	}
	*total = strtoll(p, &e, 10);
	if (e == p || *e || *total < 0 || (*last >= 0 && *last >= *total))
		return -1;
	return 0;
}

static void reply_308(sb_call *c, int64_t received)
{
	sb_reply_bytes(c, 308, "text/plain", NULL, 0);
	if (received > 0) {
		char r[48];
		snprintf(r, sizeof r, "bytes=0-%" PRId64, received - 1);
		sb_reply_header(c, "Range", r);
	}
}

typedef struct chunk {
	int64_t first, last, total;
	uint64_t len;
	const char *path;
} chunk;

/* Validates the chunk against the session; -1 when c was answered. */
static int check_chunk(sb_call *c, const json_t *sess, chunk *k)
{
	int64_t received = json_integer_value(json_object_get(sess, "received"));
	int64_t known = json_integer_value(json_object_get(sess, "total"));
	const char *why = NULL;
	if (k->first >= 0 && (uint64_t)(k->last - k->first + 1) != k->len)
		why = "Content-Range does not match the number of bytes sent.";
	else if (k->first < 0 && k->len)
		why = "a status query (Content-Range: bytes */N) must have an empty body.";
	else if (k->first > received)
		why = "Content-Range starts after the bytes persisted so far.";
	else if (k->total >= 0 && known >= 0 && k->total != known)
		why = "the total size changed during the upload.";
	else if (k->total > (int64_t)OBJECT_MAX)
		why = "objects are limited to 5 TiB.";
	else if (k->first >= 0 && (k->total < 0 || k->last + 1 < k->total) &&
		 k->len % CHUNK_UNIT != 0)
		why = "chunks other than the last must be a multiple of 262144 bytes.";
	if (why)
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid request: %s", why);
	return why ? -1 : 0;
}

static void finish(sb_server *s, sb_call *c, const char *id, json_t *sess, const char *spool,
		   const unsigned char *dek, const sb_cmek_digest *digest)
{
	gcs_sealed sealed = {.path = spool, .dek = dek, .keys = json_object_get(sess, "keys"),
			     .digest = digest,
			     .bucket_gen = json_string_value(json_object_get(sess, "bucketGen")),
			     .if_generation_match = -1};
	json_t *igm = json_object_get(sess, "ifGenerationMatch");
	if (json_is_integer(igm))
		sealed.if_generation_match = json_integer_value(igm);
	else /* none at the start: one on the last chunk's URL still counts */
		sealed.if_generation_match = gcs_query_int(c, "ifGenerationMatch");
	if (gcs_object_commit_sealed(s, c, json_string_value(json_object_get(sess, "bucket")),
				     json_object_get(sess, "meta"), &sealed) != 0)
		return;
	/* the spool is now the object's blob; a marker answers late status queries */
	json_object_set_new(sess, "done", json_true());
	sb_put(s, "gcs.upload", id, sess);
}

/* The session's data key: unwrapped as an object's would be, so a key version
 * disabled mid-upload or a revoked grant stops the upload, and so does the loss of
 * the bucket it was made for. -1 when c was answered. */
static int session_dek(sb_server *s, sb_call *c, const json_t *sess, unsigned char *dek)
{
	json_t *b = gcs_bucket_load(s, c, json_string_value(json_object_get(sess, "bucket")));
	const char *bgen = json_string_value(json_object_get(sess, "bucketGen"));
	int rc = b && gcs_bucket_same(c, b, bgen) ? gcs_data_key(s, c, b,
								 json_object_get(sess, "keys"),
								 dek)
						    : -1;
	json_decref(b);
	return rc;
}

/* ------------------------------------------------------------ sessions at work
 * A chunk is encrypted onto the spool without the server lock. Its session is
 * marked busy meanwhile (under the lock), so that a second request on the same
 * session (a client's retry while the first attempt still runs, or a cancel) is
 * told to retry instead of writing the same file at the same time. */
#define BUSY_MAX 64
static char busy[BUSY_MAX][33];

static bool busy_take(const char *id)
{
	int free_slot = -1;
	for (int i = 0; i < BUSY_MAX; i++) {
		if (!strcmp(busy[i], id))
			return false;
		if (!busy[i][0] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return false;
	st_strlcpy(busy[free_slot], id, sizeof busy[free_slot]);
	return true;
}

static bool busy_has(const char *id)
{
	for (int i = 0; i < BUSY_MAX; i++)
		if (!strcmp(busy[i], id))
			return true;
	return false;
}

static void busy_drop(const char *id)
{
	for (int i = 0; i < BUSY_MAX; i++)
		if (!strcmp(busy[i], id))
			busy[i][0] = '\0';
}

static void reply_busy(sb_call *c)
{
	sb_reply_error(c, 503, "UNAVAILABLE", "backendError",
		       "another request on this upload session is still being processed; retry");
}

/* What one chunk adds: bytes [skip, skip+n) of the request body at plaintext offset
 * at of the spool; final closes the file. Filled under the lock, run without it. */
typedef struct spool_job {
	uint64_t at, skip, n;
	int final;
	const char *src, *spool;
	sb_cmek_digest digest;  /* of the whole object, once final */
	bool failed;
	char err[512];
} spool_job;

/* -1 when c was answered. */
static int plan_chunk(sb_call *c, const chunk *k, int64_t received, int64_t total,
		      spool_job *j)
{
	j->at = (uint64_t)received;
	j->skip = k->first >= 0 && k->first < received ? (uint64_t)(received - k->first) : 0;
	j->n = k->first >= 0 && k->last >= received ? k->len - j->skip : 0;
	j->final = total >= 0 && received + (int64_t)j->n == total;
	j->src = k->path;
	if (!j->final && j->n % SB_CMEK_CHUNK) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Invalid request: the chunk does not continue on a 262144-byte "
			       "boundary.");
		return -1;
	}
	return 0;
}

/* The bulk work: touches only the spool and the request body. */
static void run_job(spool_job *j, const unsigned char *dek)
{
	if ((j->n || j->final) && sb_cmek_append(dek, j->spool, j->at, j->src, j->skip, j->n,
						 j->final, j->err, sizeof j->err) != 0)
		j->failed = true;
	else if (j->final && sb_cmek_digest_file(dek, j->spool, &j->digest, j->err,
						 sizeof j->err) != 0)
		j->failed = true;
}

/* Records the chunk in the session as it is now (reread: it may have been cancelled
 * or expired while the chunk was written) and answers. */
static void record_chunk(sb_server *s, sb_call *c, const char *id, const spool_job *j,
			 int64_t total, const unsigned char *dek)
{
	json_t *sess = sb_get(s, "gcs.upload", id);
	if (!sess) {
		sb_reply_error(c, 404, "NOT_FOUND", "notFound",
			       "The upload session was cancelled or expired: %s", id);
		return;
	}
	if (j->failed) {
		sb_reply_error(c, 503, "UNAVAILABLE", "backendError", "cannot store the chunk: %s",
			       j->err);
	} else {
		int64_t received = (int64_t)(j->at + j->n);
		json_object_set_new(sess, "total", json_integer(total));
		json_object_set_new(sess, "received", json_integer(received));
		if (j->final)
			finish(s, c, id, sess, j->spool, dek, &j->digest);
		else if (sb_put(s, "gcs.upload", id, sess) != 0)
			sb_reply_error(c, 503, "UNAVAILABLE", "backendError", "store write failed");
		else
			reply_308(c, received);
	}
	json_decref(sess);
}

static void add_chunk(sb_server *s, sb_call *c, const char *id, json_t *sess, chunk *k)
{
	int64_t received = json_integer_value(json_object_get(sess, "received"));
	int64_t total = k->total >= 0 ? k->total : json_integer_value(json_object_get(sess, "total"));
	unsigned char dek[SB_CMEK_KEY_LEN];
	char *spool = spool_path(id);
	spool_job j = {.spool = spool};
	if (session_dek(s, c, sess, dek) != 0 || plan_chunk(c, k, received, total, &j) != 0) {
		/* answered */
	} else if (!j.n && !j.final) { /* a status query or a resent chunk: nothing to write */
		record_chunk(s, c, id, &j, total, dek);
	} else if (!busy_take(id)) {
		reply_busy(c);
	} else {
		sb_call_unlock(c);
		run_job(&j, dek);
		sb_call_relock(c);
		busy_drop(id);
		record_chunk(s, c, id, &j, total, dek);
	}
	OPENSSL_cleanse(dek, sizeof dek);
	free(spool);
}

/* A session that already completed: answer with its object. */
static void reply_done(sb_server *s, sb_call *c, const json_t *sess)
{
	const json_t *meta = json_object_get(sess, "meta");
	json_t *o = gcs_obj_find(s, json_string_value(json_object_get(sess, "bucket")),
				 json_string_value(json_object_get(meta, "name")), 0);
	if (o)
		sb_reply_json(c, 200, gcs_obj_view(s, o));
	else
		sb_reply_error(c, 404, "NOT_FOUND", "notFound",
			       "The upload completed but its object no longer exists.");
	json_decref(o);
}

void gcs_upload_put(sb_server *s, sb_call *c)
{
	const char *id = sb_query(c, "upload_id");
	json_t *sess = id && strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32
			       ? sb_get(s, "gcs.upload", id) : NULL;
	chunk k = {.first = 0};
	k.path = sb_body_file(c, &k.len);
	const char *cr = sb_header(c, "Content-Range");
	if (!sess || strcmp(json_string_value(json_object_get(sess, "bucket")),
			    sb_var(c, "bucket"))) {
		sb_reply_error(c, 404, "NOT_FOUND", "notFound", "No such upload session: %s",
			       id ? id : "(no upload_id)");
	} else if (json_is_true(json_object_get(sess, "done"))) {
		reply_done(s, c, sess);
	} else if (cr && parse_content_range(cr, &k.first, &k.last, &k.total) != 0) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Invalid Content-Range header: %s", cr);
	} else {
		if (!cr) { /* the whole object in one PUT */
			k.last = (int64_t)k.len - 1;
			k.total = (int64_t)k.len;
		}
		if (!cr && k.len == 0)
			k.first = -1;
		if (check_chunk(c, sess, &k) == 0)
			add_chunk(s, c, id, sess, &k);
	}
	json_decref(sess);
}

/* Sessions live a week of sandbox time, as Google's do; then their spool goes. */
void gcs_upload_expire(sb_server *s)
{
	json_t *all = sb_list(s, "gcs.upload", "");
	int64_t now = sb_now_ms(s);
	size_t i;
	json_t *sess;
	json_array_foreach(all, i, sess) {
		json_int_t t = json_integer_value(json_object_get(sess, "started"));
		const char *id = json_string_value(json_object_get(sess, "id"));
		if (!id || now - t < 7 * 86400000LL || busy_has(id))
			continue;
		if (!json_is_true(json_object_get(sess, "done"))) {
			char *spool = spool_path(id);
			gcs_trash(s, "file", spool);
			free(spool);
		}
		sb_del(s, "gcs.upload", id);
	}
	json_decref(all);
}

void gcs_upload_cancel(sb_server *s, sb_call *c)
{
	const char *id = sb_query(c, "upload_id");
	json_t *sess = id && strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32
			       ? sb_get(s, "gcs.upload", id) : NULL;
	if (!sess) {
		sb_reply_error(c, 404, "NOT_FOUND", "notFound", "No such upload session.");
		return;
	}
	if (busy_has(id)) {
		reply_busy(c);
		json_decref(sess);
		return;
	}
	char *spool = spool_path(id);
	gcs_trash(s, "file", spool);
	free(spool);
	sb_del(s, "gcs.upload", id);
	/* Google answers 499; any status of 400 or more would roll the deletion back here */
	sb_reply_bytes(c, 204, "text/plain", NULL, 0);
	json_decref(sess);
}
