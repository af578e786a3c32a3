/* Helpers shared by the KMS and Storage integration tests: a sandbox with every API
 * on in project "p1", JSON calls with status checks, and the KMS set-up most tests
 * need (a key ring, a key, grants). */
#ifndef TEST_SB_KMS_UTIL_H
#define TEST_SB_KMS_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "common/str.h"
#include "common/timeutil.h"
#include "tests/integration/test_sb_util.h"

#define KT_LOC "/v1/projects/p1/locations/us-central1"
#define KT_RING KT_LOC "/keyRings/ring1"
#define KT_KEY KT_RING "/cryptoKeys/key1"
#define KT_KEYNAME "projects/p1/locations/us-central1/keyRings/ring1/cryptoKeys/key1"
#define KT_OPERATOR "user:operator@sandbox.local"
#define KT_ED "roles/cloudkms.cryptoKeyEncrypterDecrypter"

/* Same, for calls whose answer is not needed. */
static inline void kt_do(const st_sandbox *sb, const char *method, const char *path,
			 const char *body, long want)
{
	st_http_resp r;
	sbt_call(sb, method, path, body, want, &r);
	st_http_free(&r);
}

/* Asserts a google.rpc error envelope with code, status and a message containing needle. */
static inline void kt_error(const st_http_resp *r, long code, const char *status,
			    const char *needle)
{
	json_t *e = json_object_get(r->json, "error");
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "code")), code);
	assert_string_equal(json_string_value(json_object_get(e, "status")), status);
	const char *msg = json_string_value(json_object_get(e, "message"));
	assert_non_null(msg);
	if (needle && !strstr(msg, needle))
		fail_msg("error message '%s' lacks '%s'", msg, needle);
}

/* Stops the sandbox and keeps its state directory for a restart; st_sandbox_stop
 * leaves the state and log strings allocated in that case, so they are freed here. */
static inline void kt_stop_keep(st_sandbox *sb, int sig)
{
	st_sandbox_stop(sb, sig, true);
	unlink(sb->log);
	free(sb->state);
	free(sb->log);
	sb->state = sb->log = NULL;
}

/* Tests without a fixture run their sandbox here, so that one failed assertion does
 * not leave a sandbox running: kt_stop_live, their cmocka teardown, kills it. */
static inline st_sandbox *kt_live(void)
{
	static st_sandbox live;
	return &live;
}

static inline int kt_stop_live(void **st)
{
	st_sandbox *sb = kt_live();
	if (sb->pid > 0)
		kt_stop_keep(sb, SIGKILL);
	return 0;
}

/* Key ring ring1 and ENCRYPT_DECRYPT key key1 (one version). */
static inline void kt_make_key(const st_sandbox *sb)
{
	kt_do(sb, "POST", KT_LOC "/keyRings?keyRingId=ring1", "{}", 200);
	kt_do(sb, "POST", KT_RING "/cryptoKeys?cryptoKeyId=key1", "{\"purpose\":\"ENCRYPT_DECRYPT\"}",
	      200);
}

/* Replaces the key's policy with one binding of role to the given members (a JSON
 * list body such as "\"user:a\",\"serviceAccount:b\""), using the current etag. */
static inline void kt_grant(const st_sandbox *sb, const char *key_path, const char *role,
			    const char *members)
{
	st_http_resp r;
	char *p = st_xasprintf("%s:getIamPolicy", key_path);
	sbt_call(sb, "GET", p, NULL, 200, &r);
	char *body = st_xasprintf("{\"policy\":{\"etag\":\"%s\",\"bindings\":[{\"role\":\"%s\","
				  "\"members\":[%s]}]}}", sbt_str(&r, "etag"), role, members);
	st_http_free(&r);
	free(p);
	p = st_xasprintf("%s:setIamPolicy", key_path);
	kt_do(sb, "POST", p, body, 200);
	free(p);
	free(body);
}

/* Polls GET path until the string at field equals want or timeout_ms passes. */
static inline bool kt_wait_field(const st_sandbox *sb, const char *path, const char *field,
				 const char *want, int timeout_ms)
{
	for (int64_t end = st_mono_ms() + timeout_ms; st_mono_ms() < end; usleep(100000)) {
		st_http_resp r;
		sbt_call(sb, "GET", path, NULL, 200, &r);
		const char *v = sbt_str(&r, field);
		bool ok = v && !strcmp(v, want);
		st_http_free(&r);
		if (ok)
			return true;
	}
	return false;
}

#endif

/* ------------------------------------------------------------------ Storage */

#ifndef KT_STORAGE_HELPERS
#define KT_STORAGE_HELPERS

#include <dirent.h>
#include <openssl/evp.h>

#include "common/codec.h"

/* Whether any regular file under dir (hidden ones included; the first MiB of each)
 * holds needle: the tests' check that plaintext never rests in --state. */
static inline bool kt_tree_contains(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = st_xasprintf("%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			found = kt_tree_contains(p, needle);
		} else if (e->d_type == DT_REG) {
			FILE *f = fopen(p, "rb");
			char *buf = st_xmalloc(1 << 20);
			size_t n = f ? fread(buf, 1, 1 << 20, f) : 0;

			found = memmem(buf, n, needle, strlen(needle)) != NULL;
			free(buf);
			if (f)
				fclose(f);
		}
		free(p);
	}
	if (d)
		closedir(d);
	return found;
}

/* The project's Cloud Storage service agent as an IAM member. Caller frees. */
static inline char *kt_agent_member(const st_sandbox *sb)
{
	st_http_resp r;
	sbt_call(sb, "GET", "/storage/v1/projects/p1/serviceAccount", NULL, 200, &r);
	char *m = st_xasprintf("serviceAccount:%s", sbt_str(&r, "email_address"));
	st_http_free(&r);
	return m;
}

/* key1 with the operator and the storage agent holding encrypter/decrypter, and a
 * bucket (versioning on) whose default key it is. */
static inline void kt_cmek_bucket(const st_sandbox *sb, const char *bucket)
{
	kt_make_key(sb);
	char *agent = kt_agent_member(sb);
	char *members = st_xasprintf("\"%s\",\"%s\"", KT_OPERATOR, agent);
	kt_grant(sb, KT_KEY, KT_ED, members);
	char *body = st_xasprintf("{\"name\":\"%s\",\"location\":\"us-central1\","
				  "\"versioning\":{\"enabled\":true},"
				  "\"encryption\":{\"defaultKmsKeyName\":\"%s\"}}", bucket, KT_KEYNAME);
	kt_do(sb, "POST", "/storage/v1/b?project=p1", body, 200);
	free(body);
	free(members);
	free(agent);
}

/* uploadType=media of len bytes; returns the response (caller frees). */
static inline void kt_upload(const st_sandbox *sb, const char *bucket, const char *name_esc,
			     const void *data, size_t len, long want, st_http_resp *r)
{
	char *p = st_xasprintf("/upload/storage/v1/b/%s/o?uploadType=media&name=%s", bucket,
			       name_esc);
	memset(r, 0, sizeof *r);
	assert_int_equal(st_http(sb, "POST", p, data, len, "application/octet-stream", NULL, NULL,
				 r), 0);
	if (r->status != want)
		fprintf(stderr, "upload %s: got %ld, want %ld: %.300s\n", name_esc, r->status, want,
			r->body ? r->body : "");
	assert_int_equal(r->status, want);
	free(p);
}

/* GET of object media; returns the response (caller frees). */
static inline void kt_download(const st_sandbox *sb, const char *bucket, const char *name_esc,
			       const char *const *headers, long want, st_http_resp *r)
{
	char *p = st_xasprintf("/storage/v1/b/%s/o/%s?alt=media", bucket, name_esc);
	memset(r, 0, sizeof *r);
	assert_int_equal(st_http(sb, "GET", p, NULL, 0, NULL, NULL, headers, r), 0);
	if (r->status != want)
		fprintf(stderr, "download %s: got %ld, want %ld: %.300s\n", name_esc, r->status,
			want, r->body ? r->body : "");
	assert_int_equal(r->status, want);
	free(p);
}

/* Cloud Storage's crc32c and md5Hash of data. */
static inline void kt_hashes(const void *data, size_t len, char crc[9], char **md5)
{
	unsigned char d[16];
	unsigned int n = 0;
	st_crc32c_b64(st_crc32c(0, data, len), crc);
	EVP_Digest(data, len, d, &n, EVP_md5(), NULL);
	*md5 = st_base64_encode(d, 16);
}

/* Deterministic test bytes. */
static inline unsigned char *kt_bytes(size_t len, unsigned seed)
{
	unsigned char *b = st_xmalloc(len + 1);
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		b[i] = (unsigned char)x;
	}
	return b;
}

#endif
