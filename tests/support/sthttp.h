/* A small synchronous HTTP client for integration tests (libcurl easy API).
 * Tests talk to the sandbox with it directly, independent of gcp/, so that the
 * client and the emulator never vouch for each other. Loopback only. */
#ifndef ST_HTTP_H
#define ST_HTTP_H

#include <jansson.h>
#include <stddef.h>

#include "tests/support/sttest.h"

typedef struct st_http_resp {
	long status;
	char *body;         /* NUL-terminated raw body (owned) */
	size_t len;
	json_t *json;       /* parsed body when it was JSON, else NULL (owned) */
	char *headers;      /* raw response headers, "Name: value\r\n"... (owned) */
} st_http_resp;

/* method "GET"/"POST"/...; path_or_url relative to sb->url when it starts with '/'.
 * body may be NULL; ctype defaults to application/json when body is set.
 * token NULL sends "Authorization: Bearer sandbox-test-token"; "" sends none.
 * extra_headers: NULL-terminated "Name: value" strings or NULL.
 * Returns 0 when an HTTP answer came back (any status), -1 on transport error. */
int st_http(const st_sandbox *sb, const char *method, const char *path_or_url,
	    const char *body, size_t body_len, const char *ctype, const char *token,
	    const char *const *extra_headers, st_http_resp *out);
/* JSON convenience: body_json may be NULL. */
int st_http_json(const st_sandbox *sb, const char *method, const char *path,
		 const char *body_json, st_http_resp *out);
/* Value of a response header (case-insensitive), copied into buf; NULL if absent. */
const char *st_http_header(const st_http_resp *r, const char *name, char *buf, size_t size);
void st_http_free(st_http_resp *r);

#endif
