/* A scripted HTTP server on 127.0.0.1 (libmicrohttpd) for the gcp/ unit tests: it
 * answers what a test tells it to, including what a real API never should (HTML
 * error pages, truncated JSON, huge or cut-off bodies, slow replies), and records
 * every request it saw. Not the sandbox: it knows nothing about Google's APIs. */
#ifndef FAKESERVER_H
#define FAKESERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct fs_server fs_server;

typedef struct fs_request {
	char *method;
	char *path;      /* raw path, no query */
	char *query;     /* raw query without '?', "" when none */
	char *auth;      /* Authorization header or NULL */
	char *ctype;     /* Content-Type header or NULL */
	char *headers;   /* every request header, "Name: value\n" */
	char *body;
	size_t body_len;
} fs_request;

typedef struct fs_reply {
	int status;
	const char *ctype;      /* default application/json */
	const char *body;       /* copied */
	const char *header;     /* one extra "Name: value" or NULL */
	int delay_ms;           /* sleep before answering */
	size_t big_bytes;       /* >0: body of that many 'x' bytes instead of body */
	size_t cut_after;       /* >0: announce body's length, close after this many bytes */
} fs_reply;

/* Handler for dynamic answers (token endpoints that check a JWT, say). Runs on the
 * server's thread; fill *out (strings must outlive the call: use static or the
 * request's own memory). */
typedef void (*fs_fn)(const fs_request *req, fs_reply *out, void *user);

fs_server *fs_start(void);
/* The same over TLS with the given PEM key and certificate; URL "https://127.0.0.1:PORT". */
fs_server *fs_start_tls(const char *key_pem, const char *cert_pem);
void fs_stop(fs_server *s);
const char *fs_url(const fs_server *s);   /* "http://127.0.0.1:PORT" */

/* Rules are tried in the order added; times = 0 means for ever. */
void fs_on(fs_server *s, const char *method, const char *path, int times, const fs_reply *r);
void fs_on_fn(fs_server *s, const char *method, const char *path, int times, fs_fn fn, void *user);
/* Shorthand: status and a JSON (or other) body. */
void fs_json(fs_server *s, const char *method, const char *path, int times, int status, const char *body);

size_t fs_count(fs_server *s, const char *path);   /* requests for path; NULL: all */
/* Copy of the i-th recorded request (0-based, all paths), or NULL; free with fs_request_free. */
fs_request *fs_get(fs_server *s, size_t i);
void fs_request_free(fs_request *r);
long fs_connections(fs_server *s);
/* true when some recorded request's headers contain needle (case-sensitive). */
bool fs_any_header_contains(fs_server *s, const char *needle);

#endif
