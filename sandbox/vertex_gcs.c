/* The /gcs working copy of a Vertex job: staging bucket objects in (decrypted) and
 * writing the job's outputs back (encrypted). This is a small adapter over the
 * Storage module's helpers (sandbox/storage.h). Those helpers answer an sb_call on
 * failure, and a job starts and ends in a tick where there is no request, so the
 * adapter runs them against a detached call (sandbox/server.h) and reads the error
 * it received. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomicfile.h"
#include "common/json.h"
#include "common/str.h"
#include "sandbox/server.h"
#include "sandbox/storage.h"
#include "sandbox/vertex.h"

static void add_bucket(json_t *set, const char *p, size_t skip)
{
	const char *b = p + skip;
	size_t n = strcspn(b, "/ \"'=:,;");
	char name[64];

	if (n == 0 || n >= sizeof(name))
		return;
	memcpy(name, b, n);
	name[n] = '\0';
	if (gcs_valid_bucket_name(name))
		json_object_set_new(set, name, json_true());
}

static void scan(json_t *set, const char *s)
{
	const char *p;

	for (p = s; s && (p = strstr(p, "/gcs/")); p += 5)
		add_bucket(set, p, 5);
	for (p = s; s && (p = strstr(p, "gs://")); p += 5)
		add_bucket(set, p, 5);
}

json_t *vx_buckets(const json_t *job)
{
	json_t *set = json_object(), *cs, *v, *out = json_array();
	const char *k;
	size_t i;

	cs = stj_get(job, "jobSpec.workerPoolSpecs.0.containerSpec");
	json_array_foreach(json_object_get(cs, "command"), i, v)
		scan(set, json_string_value(v));
	json_array_foreach(json_object_get(cs, "args"), i, v)
		scan(set, json_string_value(v));
	json_array_foreach(json_object_get(cs, "env"), i, v)
		scan(set, stj_str(v, "value"));
	scan(set, stj_str(job, "jobSpec.baseOutputDirectory.outputUriPrefix"));
	json_object_foreach(set, k, v)
		json_array_append_new(out, json_string(k));
	json_decref(set);
	return out;
}

static void take_error(sb_call *c, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, c->error_message ? c->error_message : "failed");
}

/* Object names were checked by Storage; this refuses anything that could still leave
 * the working directory. */
static bool safe_name(const char *n)
{
	return *n && n[0] != '/' && !strstr(n, "//") && strcmp(n, "..") != 0 &&
	       !st_starts_with(n, "../") && !strstr(n, "/../") && !st_ends_with(n, "/..");
}

static int stage_object(sb_server *s, sb_call *c, const json_t *bucket, const json_t *obj,
			const char *dst, char *err, size_t errlen)
{
	unsigned char dek[SB_CMEK_KEY_LEN];
	int64_t size = 0;
	char *blob, *dir = st_xstrdup(dst), *slash = strrchr(dir, '/');
	int rc = -1;

	*slash = '\0';
	stj_int64(obj, "size", &size);
	if (st_mkdir_p(dir, 0700, err, errlen) != 0) {
		free(dir);
		return -1;
	}
	free(dir);
	if (gcs_data_key(s, c, bucket, obj, dek) != 0) {
		take_error(c, stj_str(obj, "name"), err, errlen);
		return -1;
	}
	blob = sb_blob_path(s, stj_str(obj, "_blob"));
	rc = sb_cmek_decrypt_range(dek, blob, 0, (uint64_t)size, dst, NULL, err, errlen);
	free(blob);
	return rc;
}

static void remember(json_t *staged, const char *key, const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		json_object_set_new(staged, key, json_pack("{s:I, s:I}", "size",
			(json_int_t)st.st_size, "mtime", (json_int_t)st.st_mtim.tv_sec * 1000000000 +
			st.st_mtim.tv_nsec));
}

static int stage_bucket(sb_server *s, sb_call *c, const char *bname, const char *dir,
			json_t *staged, char *err, size_t errlen)
{
	json_t *bucket = gcs_bucket_load(s, c, bname), *objs, *o;
	char *prefix = st_xasprintf("%s/", bname), *root = st_xasprintf("%s/gcs/%s", dir, bname);
	size_t i;
	int rc = 0;

	if (!bucket) {
		take_error(c, bname, err, errlen);
		free(prefix);
		free(root);
		return -1;
	}
	st_mkdir_p(root, 0700, err, errlen);
	objs = sb_list(s, "gcs.obj", prefix);
	json_array_foreach(objs, i, o) {
		const char *name = stj_str(o, "name");
		char *dst, *key;

		if (json_object_get(o, "timeDeleted") || !name || !safe_name(name) ||
		    st_ends_with(name, "/"))
			continue;
		dst = st_xasprintf("%s/%s", root, name);
		key = st_xasprintf("%s/%s", bname, name);
		rc = stage_object(s, c, bucket, o, dst, err, errlen);
		if (rc == 0)
			remember(staged, key, dst);
		free(dst);
		free(key);
		if (rc != 0)
			break;
	}
	json_decref(objs);
	json_decref(bucket);
	free(prefix);
	free(root);
	return rc;
}

int vx_stage(sb_server *s, json_t *job, const char *dir, char *err, size_t errlen)
{
	json_t *buckets = vx_buckets(job), *b, *staged = json_object();
	sb_call *c = sb_call_new(s, "/sandbox/vertex-staging");
	size_t i;
	int rc = 0;

	json_array_foreach(buckets, i, b)
		if ((rc = stage_bucket(s, c, json_string_value(b), dir, staged, err, errlen)) != 0)
			break;
	json_object_set_new(json_object_get(job, "_sb"), "staged", staged);
	json_decref(buckets);
	sb_call_free(c);
	return rc;
}

static bool changed(const json_t *staged, const char *key, const struct stat *st)
{
	json_t *was = json_object_get(staged, key);
	int64_t size = 0, mtime = 0;

	if (!was)
		return true;
	stj_int64(was, "size", &size);
	stj_int64(was, "mtime", &mtime);
	return size != st->st_size ||
	       mtime != (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

typedef struct wb_ctx {
	sb_server *s;
	sb_call *c;
	const json_t *job;
	const char *bucket;
	char *err;
	size_t errlen;
	int uploaded;
} wb_ctx;

static int upload(wb_ctx *w, const char *path, const char *name, const struct stat *st)
{
	const char *key = stj_str(w->job, "encryptionSpec.kmsKeyName");
	json_t *meta = json_pack("{s:s}", "name", name);
	int rc;

	if (key)
		json_object_set_new(meta, "kmsKeyName", json_string(key));
	rc = gcs_object_commit(w->s, w->c, w->bucket, meta, path, 0, (uint64_t)st->st_size);
	if (rc != 0)
		take_error(w->c, name, w->err, w->errlen);
	else
		w->uploaded++;
	json_decref(meta);
	return rc;
}

/* Walks root/rel recursively; uploads regular files that are new or changed. */
static int walk(wb_ctx *w, const char *root, const char *rel)
{
	char *dirpath = *rel ? st_xasprintf("%s/%s", root, rel) : st_xstrdup(root);
	DIR *d = opendir(dirpath);
	struct dirent *e;
	struct stat st;
	int rc = 0;

	while (d && rc == 0 && (e = readdir(d))) {
		char *sub, *path, *key;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = *rel ? st_xasprintf("%s/%s", rel, e->d_name) : st_xstrdup(e->d_name);
		path = st_xasprintf("%s/%s", root, sub);
		key = st_xasprintf("%s/%s", w->bucket, sub);
		if (lstat(path, &st) != 0)
			rc = 0; /* vanished while we looked: nothing to upload */
		else if (S_ISDIR(st.st_mode))
			rc = walk(w, root, sub);
		else if (S_ISREG(st.st_mode) &&
			 changed(json_object_get(json_object_get(w->job, "_sb"), "staged"), key, &st))
			rc = upload(w, path, sub, &st);
		free(sub);
		free(path);
		free(key);
	}
	if (d)
		closedir(d);
	free(dirpath);
	return rc;
}

int vx_write_back(sb_server *s, json_t *job, const char *dir, char *err, size_t errlen)
{
	json_t *buckets = vx_buckets(job), *b;
	wb_ctx w = {.s = s, .job = job, .err = err, .errlen = errlen};
	size_t i;
	int rc = 0;

	w.c = sb_call_new(s, "/sandbox/vertex-output");
	json_array_foreach(buckets, i, b) {
		char *root = st_xasprintf("%s/gcs/%s", dir, json_string_value(b));

		w.bucket = json_string_value(b);
		rc = walk(&w, root, "");
		free(root);
		if (rc != 0)
			break;
	}
	json_object_set_new(json_object_get(job, "_sb"), "uploaded", json_integer(w.uploaded));
	sb_call_free(w.c);
	json_decref(buckets);
	return rc;
}
