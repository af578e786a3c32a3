/* Cloud Storage module: route table, start-up, tick, and helpers shared by the
 * bucket, object and upload handlers. */
#include "sandbox/storage.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"

static char *tmp_dir, *upload_dir;
static int64_t last_tick_ms;

const char *gcs_tmp_dir(void)
{
	return tmp_dir;
}

const char *gcs_upload_dir(void)
{
	return upload_dir;
}

bool gcs_valid_bucket_name(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	if (len < 3 || len > 63 || strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != len)
		return false;
	const char *ends = "abcdefghijklmnopqrstuvwxyz0123456789";
	return strchr(ends, n[0]) && strchr(ends, n[len - 1]) && !st_starts_with(n, "goog");
}

static bool dot_segment(const char *name)
{
	for (const char *p = name; p;) {
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		p = p[n] ? p + n + 1 : NULL;
	}
	return false;
}

bool gcs_check_object_name(sb_call *c, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	const char *why = NULL;
	if (n == 0)
		why = "Object name is required.";
	else if (n > 1024)
		why = "Object name is longer than 1024 bytes.";
	else if (!st_utf8_valid(name, n))
		why = "Object name is not valid UTF-8.";
	else if (dot_segment(name))
		why = "Object name has a '.' or '..' path segment; the sandbox refuses such names.";
	for (size_t i = 0; !why && i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			why = "Object name contains a control character.";
	if (why)
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "%s", why);
	return why == NULL;
}

/* Bucket paths carry no project: the bucket says which project to audit and to
 * check for the Storage API being enabled. */
json_t *gcs_bucket_load(sb_server *s, sb_call *c, const char *bucket)
{
	json_t *b = bucket ? sb_get(s, "gcs.bucket", bucket) : NULL;
	if (!b) {
		sb_reply_error(c, 404, "NOT_FOUND", "notFound", "The specified bucket does not exist.");
		return NULL;
	}
	const char *project = json_string_value(json_object_get(b, "_project"));
	sb_audit_project(c, project);
	if (sb_require_service(c, project) < 0) {
		json_decref(b);
		return NULL;
	}
	return b;
}

bool gcs_bucket_same(sb_call *c, const json_t *b, const char *gen)
{
	const char *now = json_string_value(json_object_get(b, "generation"));
	if (!gen || (now && !strcmp(now, gen)))
		return true;
	sb_reply_error(c, 404, "NOT_FOUND", "notFound",
		       "The bucket %s was deleted while the upload was in progress.",
		       json_string_value(json_object_get(b, "name")));
	return false;
}

char *gcs_agent_email(sb_server *s, const char *project)
{
	return st_xasprintf("service-%lld@gs-project-accounts.iam.gserviceaccount.com",
			    (long long)sb_project_number(s, project));
}

char *gcs_key_of(const char *kms_name)
{
	const char *cut = strstr(kms_name, "/cryptoKeyVersions/");
	return cut ? st_xstrndup(kms_name, (size_t)(cut - kms_name)) : st_xstrdup(kms_name);
}

bool gcs_agent_may_use(sb_server *s, sb_call *c, const char *project, const char *key)
{
	char *email = gcs_agent_email(s, project);
	char *member = st_xasprintf("serviceAccount:%s", email);
	bool ok = sb_kms_key_grants(s, key, member, GCS_ROLE_ED);
	if (!ok)
		sb_reply_error(c, 403, "PERMISSION_DENIED", "forbidden",
			       "Permission denied on Cloud KMS key. The Cloud Storage service agent "
			       "%s needs %s on %s (grant it on the key or the project).", email,
			       GCS_ROLE_ED, key);
	free(member);
	free(email);
	return ok;
}

char *gcs_obj_key(const char *bucket, const char *name, int64_t gen)
{
	return st_xasprintf("%s/%s" GCS_SEP "%020lld", bucket, name, (long long)gen);
}

json_t *gcs_obj_find(sb_server *s, const char *bucket, const char *name, int64_t gen)
{
	if (gen > 0) {
		char *k = gcs_obj_key(bucket, name, gen);
		json_t *d = sb_get(s, "gcs.obj", k);
		free(k);
		return d;
	}
	char *prefix = st_xasprintf("%s/%s" GCS_SEP, bucket, name);
	json_t *all = sb_list(s, "gcs.obj", prefix), *live = NULL;
	size_t i;
	json_t *d;
	json_array_foreach(all, i, d) {
		if (!json_object_get(d, "timeDeleted"))
			live = json_incref(d);
	}
	json_decref(all);
	free(prefix);
	return live;
}

json_t *gcs_obj_view(sb_server *s, const json_t *doc)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)doc, k, v) {
		if (k[0] != '_')
			json_object_set(out, k, v);
	}
	return out;
}

void gcs_trash(sb_server *s, const char *field, const char *value)
{
	char *k = st_xasprintf("%020lld", (long long)sb_next_id(s, "gcs.trash"));
	json_t *t = json_pack("{s:s, s:s}", "id", k, field, value);
	sb_put(s, "gcs.trash", k, t);
	json_decref(t);
	free(k);
}

void gcs_obj_purge(sb_server *s, const json_t *doc)
{
	const char *blob = json_string_value(json_object_get(doc, "_blob"));
	int64_t gen = 0;
	stj_int64(doc, "generation", &gen);
	char *k = gcs_obj_key(json_string_value(json_object_get(doc, "bucket")),
			      json_string_value(json_object_get(doc, "name")), gen);
	sb_del(s, "gcs.obj", k);
	if (blob)
		gcs_trash(s, "blob", blob);
	free(k);
}

/* Removes what committed calls threw away. Run from the tick: a file is deleted only
 * once the call that dropped it has committed, so a rolled-back call loses nothing.
 * The unlink itself happens in the reaper thread (storage_reap.c). */
static void empty_trash(sb_server *s)
{
	json_t *all = sb_list(s, "gcs.trash", "");
	size_t i;
	json_t *t;
	json_array_foreach(all, i, t) {
		const char *blob = json_string_value(json_object_get(t, "blob"));
		const char *file = json_string_value(json_object_get(t, "file"));
		const char *id = json_string_value(json_object_get(t, "id"));
		char *path = blob ? sb_blob_path(s, blob) : NULL;
		if (path || file)
			gcs_reap(path ? path : file, id ? id : "x");
		free(path);
		sb_del(s, "gcs.trash", id);
	}
	json_decref(all);
}

int64_t gcs_query_int(sb_call *c, const char *param)
{
	const char *v = sb_query(c, param);
	if (!v)
		return -1;
	size_t n = strlen(v);
	if (n == 0 || n > 19 || strspn(v, "0123456789") != n) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Invalid value for %s: '%s' is not a non-negative integer.", param, v);
		return -2;
	}
	return strtoll(v, NULL, 10);
}

/* Scratch files (uploads being encrypted) are written to continuously and then
 * renamed into the blob store or removed by their call; one untouched for a minute
 * was left behind by a crash. */
static void clean_tmp(int max_age_s)
{
	DIR *d = opendir(tmp_dir);
	struct dirent *e;
	time_t now = time(NULL);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = st_xasprintf("%s/%s", tmp_dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime >= max_age_s)
			unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
}

static int storage_init(sb_server *s)
{
	char err[512];
	tmp_dir = st_xasprintf("%s/gcs-tmp", sb_state_dir(s));
	upload_dir = st_xasprintf("%s/gcs-uploads", sb_state_dir(s));
	if (st_mkdir_p(tmp_dir, 0700, err, sizeof err) != 0 ||
	    st_mkdir_p(upload_dir, 0700, err, sizeof err) != 0) {
		sb_log(s, "storage: %s", err);
		return -1;
	}
	clean_tmp(0);
	if (gcs_reap_start(sb_state_dir(s), err, sizeof err) != 0) {
		sb_log(s, "storage: %s", err);
		return -1;
	}
	return 0;
}

static void storage_tick(sb_server *s)
{
	int64_t now = st_mono_ms();
	if (now - last_tick_ms < 1000)
		return;
	last_tick_ms = now;
	clean_tmp(60);
	empty_trash(s);
	gcs_upload_expire(s);
	gcs_lifecycle_tick(s);
}

static void storage_shutdown(sb_server *s)
{
	gcs_reap_stop();
	free(tmp_dir);
	free(upload_dir);
	tmp_dir = upload_dir = NULL;
}

#define B "/storage/v1/b/{bucket}"
#define UP "/upload/storage/v1/b/{bucket}/o"

static const sb_route routes[] = {
	{"POST", "/storage/v1/b", gcs_bucket_insert, GCS_SERVICE, "storage.buckets.create",
	 SB_LEGACY_ERRORS},
	{"GET", "/storage/v1/b", gcs_bucket_list, GCS_SERVICE, "storage.buckets.list",
	 SB_LEGACY_ERRORS | SB_ADMIN_READ},
	{"GET", B, gcs_bucket_get, GCS_SERVICE, "storage.buckets.get",
	 SB_LEGACY_ERRORS | SB_ADMIN_READ},
	{"PATCH", B, gcs_bucket_patch, GCS_SERVICE, "storage.buckets.update", SB_LEGACY_ERRORS},
	{"DELETE", B, gcs_bucket_delete, GCS_SERVICE, "storage.buckets.delete", SB_LEGACY_ERRORS},
	{"GET", B "/iam", gcs_bucket_get_iam, GCS_SERVICE, "storage.getIamPermissions",
	 SB_LEGACY_ERRORS | SB_ADMIN_READ},
	{"PUT", B "/iam", gcs_bucket_set_iam, GCS_SERVICE, "storage.setIamPermissions",
	 SB_LEGACY_ERRORS},
	{"GET", "/storage/v1/projects/{project}/serviceAccount", gcs_service_account, GCS_SERVICE,
	 "storage.getServiceAccount", SB_LEGACY_ERRORS | SB_ADMIN_READ},
	{"GET", B "/o", gcs_object_list, GCS_SERVICE, "storage.objects.list",
	 SB_LEGACY_ERRORS | SB_DATA_ACCESS},
	{"GET", B "/o/{object*}", gcs_object_get, GCS_SERVICE, "storage.objects.get",
	 SB_LEGACY_ERRORS | SB_DATA_ACCESS},
	{"DELETE", B "/o/{object*}", gcs_object_delete, GCS_SERVICE, "storage.objects.delete",
	 SB_LEGACY_ERRORS | SB_DATA_ACCESS},
	{"GET", "/download/storage/v1/b/{bucket}/o/{object*}", gcs_object_download, GCS_SERVICE,
	 "storage.objects.get", SB_LEGACY_ERRORS | SB_DATA_ACCESS},
	{"POST", UP, gcs_upload_post, GCS_SERVICE, "storage.objects.create",
	 SB_LEGACY_ERRORS | SB_DATA_ACCESS | SB_STREAM_BODY},
	{"PUT", UP, gcs_upload_put, GCS_SERVICE, "storage.objects.create",
	 SB_LEGACY_ERRORS | SB_DATA_ACCESS | SB_STREAM_BODY},
	{"DELETE", UP, gcs_upload_cancel, GCS_SERVICE, "storage.objects.create",
	 SB_LEGACY_ERRORS | SB_DATA_ACCESS},
};

const sb_service sb_svc_storage = {
	.name = GCS_SERVICE,
	.routes = routes,
	.nroutes = sizeof routes / sizeof *routes,
	.tick = storage_tick,
	.init = storage_init,
	.shutdown = storage_shutdown,
};
