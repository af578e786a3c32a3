/* Shared set-up for the sandbox benchmarks: a sandbox with its APIs on, a KMS key the
 * operator and the Storage agent may use, and a reusable curl handle per client. */
#ifndef BENCH_SANDBOX_UTIL_H
#define BENCH_SANDBOX_UTIL_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/timeutil.h"
#include "tests/support/stenable.h"
#include "tests/support/sthttp.h"
#include "tests/support/sttest.h"

#define BS_KEY "projects/p1/locations/us-central1/keyRings/ring1/cryptoKeys/key1"

static inline void bs_die(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(1);
}

/* One JSON call that must answer 200. */
static inline json_t *bs_ok(const st_sandbox *sb, const char *method, const char *path,
			    const char *body)
{
	st_http_resp r;
	if (st_http_json(sb, method, path, body, &r) != 0 || r.status != 200) {
		fprintf(stderr, "bench: %s %s -> %ld %.300s\n", method, path, r.status,
			r.body ? r.body : "");
		exit(1);
	}
	json_t *j = json_incref(r.json);
	st_http_free(&r);
	return j;
}

/* Starts the sandbox and makes key1 usable by the operator and the Storage agent. */
static inline void bs_setup(st_sandbox *sb)
{
	if (st_sandbox_start(sb, NULL, NULL) != 0 || st_sandbox_enable_all(sb, "p1") != 0)
		bs_die("cannot start the sandbox (is ST_SANDBOX set?)");
	json_decref(bs_ok(sb, "POST", "/v1/projects/p1/locations/us-central1/keyRings?keyRingId=ring1",
			  "{}"));
	json_decref(bs_ok(sb, "POST", "/v1/projects/p1/locations/us-central1/keyRings/ring1/"
			  "cryptoKeys?cryptoKeyId=key1", "{\"purpose\":\"ENCRYPT_DECRYPT\"}"));
	json_t *sa = bs_ok(sb, "GET", "/storage/v1/projects/p1/serviceAccount", NULL);
	char *body = st_xasprintf("{\"policy\":{\"bindings\":[{\"role\":"
				  "\"roles/cloudkms.cryptoKeyEncrypterDecrypter\",\"members\":["
				  "\"user:operator@sandbox.local\",\"serviceAccount:%s\"]}]}}",
				  json_string_value(json_object_get(sa, "email_address")));
	json_decref(bs_ok(sb, "POST", "/v1/" BS_KEY ":setIamPolicy", body));
	free(body);
	json_decref(sa);
}

static size_t bs_sink(char *p, size_t size, size_t n, void *user)
{
	size_t *count = user;
	*count += size * n;
	return size * n;
}

/* A keep-alive curl handle aimed at the sandbox, with the bearer token set. */
static inline CURL *bs_handle(struct curl_slist **hdrs, const char *ctype)
{
	CURL *h = curl_easy_init();
	*hdrs = curl_slist_append(NULL, "Authorization: Bearer sandbox-test-token");
	char *ct = st_xasprintf("Content-Type: %s", ctype);
	*hdrs = curl_slist_append(*hdrs, ct);
	free(ct);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, bs_sink);
	return h;
}

#endif
