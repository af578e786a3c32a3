/* sealtrain-sandbox: the contract between the server core and the per-API modules.
 *
 * Concurrency model: libmicrohttpd runs one thread per connection; every handler,
 * every tick and every store access runs under one server mutex (sb_lock), so the
 * modules are written as if single-threaded. A handler that must wait (compute
 * operations.wait) calls sb_wait_ms, which releases the mutex while it sleeps.
 *
 * Persistence: SQLite in WAL mode under --state. The core wraps each handler call
 * and each tick in one transaction, so a kill -9 leaves every request either fully
 * applied or not at all. A handler that answers with a status >= 400 has its store
 * changes rolled back (blobs are files and are not); its audit entry is kept.
 * sb_wait_ms commits the work done so far before it releases the lock, and so does
 * sb_call_unlock (bulk work such as object encryption done outside the lock). */
#ifndef SB_SANDBOX_H
#define SB_SANDBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sb_server sb_server;
typedef struct sb_call sb_call;

/* ------------------------------------------------------------------ routing */

typedef void (*sb_handler)(sb_server *s, sb_call *c);

enum sb_route_flags {
	SB_LEGACY_ERRORS = 1 << 0, /* Storage/Compute: error envelope also has errors[] */
	SB_NO_AUTH = 1 << 1,       /* /token, JWKS, discovery, health */
	SB_NO_SERVICE_CHECK = 1 << 2, /* reachable before the API is enabled (serviceusage) */
	SB_DATA_ACCESS = 1 << 3,   /* audited only when DATA_READ/DATA_WRITE is on (auditConfigs) */
	SB_ADMIN_READ = 1 << 4,    /* audited only when ADMIN_READ is on (a POST that reads;
				    * with SB_DATA_ACCESS: a DATA_READ) */
	SB_STREAM_BODY = 1 << 5,   /* body spooled to a temp file (uploads, up to 5 GiB) */
	SB_METADATA = 1 << 6,      /* metadata server: needs Metadata-Flavor: Google, no bearer */
};

/* Pattern syntax, matched against the raw (still percent-encoded) path segment by segment:
 *   literal      matches itself exactly
 *   {name}       one segment without ':'; the value is percent-decoded
 *   {name*}      one non-empty segment, any characters (object names: a%2Fb -> "a/b")
 *   {name}:verb  a segment "VALUE:verb" (custom methods such as :encrypt, :batchEnable)
 *   {name**}     the rest of the path, at least one segment (operation names)
 * Routes are tried in table order; the first whose method and pattern match wins.
 * A path that matches some pattern but no method answers 405; none at all, 404. */
typedef struct sb_route {
	const char *method;
	const char *pattern;
	sb_handler fn;
	const char *service;      /* "cloudkms.googleapis.com"; NULL for sandbox-internal */
	const char *audit_method; /* AuditLog methodName; NULL: not audited */
	unsigned flags;
} sb_route;

/* One API module. */
typedef struct sb_service {
	const char *name;          /* "cloudkms.googleapis.com" */
	const sb_route *routes;
	size_t nroutes;
	void (*tick)(sb_server *s); /* every ~100 ms (real time), under the lock, in a txn */
	int (*init)(sb_server *s);  /* once after the store opens; create tables etc. */
	void (*shutdown)(sb_server *s); /* SIGTERM: stop children, flush */
} sb_service;

/* ------------------------------------------------------------------ requests */

const char *sb_method(const sb_call *c);
const char *sb_path(const sb_call *c);         /* raw path, no query */
const char *sb_var(const sb_call *c, const char *name); /* decoded capture or NULL */
/* Decoded value of the first ?name=, or NULL. */
const char *sb_query(const sb_call *c, const char *name);
/* Every value of a repeated parameter (?a=1&a=2); count in *n. Borrowed. */
const char *const *sb_query_all(const sb_call *c, const char *name, size_t *n);
const char *sb_header(const sb_call *c, const char *name); /* case-insensitive */
/* In-memory body (NULL with *len 0 for SB_STREAM_BODY routes, see sb_body_file). */
const unsigned char *sb_body(const sb_call *c, size_t *len);
/* Spooled body of an SB_STREAM_BODY route: a file path and its length. */
const char *sb_body_file(const sb_call *c, uint64_t *len);
/* Parses the body as a JSON object. On failure it has already answered 400
 * INVALID_ARGUMENT (with the parse position) and returns NULL: just return.
 * An empty body gives an empty object. Borrowed; freed with the call. */
json_t *sb_json(sb_call *c);
/* Caller identity from the bearer token: "serviceAccount:x@p.iam.gserviceaccount.com"
 * or "user:operator@sandbox.local". Never NULL once authenticated. */
const char *sb_principal(const sb_call *c);
/* Bare email of the principal (for AuditLog authenticationInfo.principalEmail). */
const char *sb_principal_email(const sb_call *c);
/* The sandbox's own base URL, "http://127.0.0.1:PORT" (for Location headers, selfLinks, iss). */
const char *sb_base_url(const sb_server *s);

/* ------------------------------------------------------------------ replies */

/* Takes ownership of body. */
void sb_reply_json(sb_call *c, int http_status, json_t *body);
/* google.rpc error envelope {"error":{code,message,status,details[ErrorInfo]}}, plus
 * errors[{domain:"global",reason,message}] on SB_LEGACY_ERRORS routes. reason may be
 * NULL (no ErrorInfo detail). status is the canonical code name ("NOT_FOUND"). */
void sb_reply_error(sb_call *c, int http_status, const char *status, const char *reason,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Raw bytes (object media); takes ownership of data (free()). */
void sb_reply_bytes(sb_call *c, int http_status, const char *content_type, void *data,
		    size_t len);
/* Streams a file region as the body (large object downloads). */
void sb_reply_file(sb_call *c, int http_status, const char *content_type, const char *path,
		   uint64_t offset, uint64_t len);
/* Streams a body of len bytes made on demand: read is called from the connection's
 * thread, without the server lock, as the client takes data; it fills up to max
 * bytes of buf for offset pos and returns the count, or -1 to abort the connection
 * (the body cannot be finished). done(ctx) runs once when the reply is over or
 * dropped (a later reply replaces it). Neither may touch the store. */
typedef long (*sb_stream_read)(void *ctx, uint64_t pos, char *buf, size_t max);
void sb_reply_stream(sb_call *c, int http_status, const char *content_type, uint64_t len,
		     sb_stream_read read, void (*done)(void *ctx), void *ctx);
void sb_reply_header(sb_call *c, const char *name, const char *value);
/* Shorthands for the common errors (message formats as Google's). */
void sb_reply_not_found(sb_call *c, const char *what);      /* 404 NOT_FOUND */
void sb_reply_exists(sb_call *c, const char *what);         /* 409 ALREADY_EXISTS */
void sb_reply_invalid(sb_call *c, const char *fmt, ...)     /* 400 INVALID_ARGUMENT */
	__attribute__((format(printf, 2, 3)));
/* resourceName of the audit entry for this call (default: the decoded path). */
void sb_audit_resource(sb_call *c, const char *resource_name);
/* Project the call's audit entry goes to, when the path has no projects/P (and no
 * ?project=), e.g. Storage object calls: the bucket's project. */
void sb_audit_project(sb_call *c, const char *project);
/* The core checks that sb_route.service is enabled when the path names projects/P
 * (or ?project=P). Handlers that learn the project otherwise call this: -1 means it
 * has answered 403 SERVICE_DISABLED. */
int sb_require_service(sb_call *c, const char *project);

/* ------------------------------------------------------------------ store */

/* Documents: JSON keyed by (kind, name). name is the full resource name. */
json_t *sb_get(sb_server *s, const char *kind, const char *name); /* new ref or NULL */
/* Inserts; returns 1 (and stores nothing) when (kind,name) exists, 0 ok, -1 error. */
int sb_insert(sb_server *s, const char *kind, const char *name, const json_t *doc);
int sb_put(sb_server *s, const char *kind, const char *name, const json_t *doc); /* upsert */
int sb_del(sb_server *s, const char *kind, const char *name); /* 0 ok, 1 absent */
/* All documents of kind whose name starts with prefix, in name order: a new array. */
json_t *sb_list(sb_server *s, const char *kind, const char *prefix);
/* One page: after = last name of the previous page ("" for the first). */
json_t *sb_list_page(sb_server *s, const char *kind, const char *prefix, const char *after,
		     size_t limit, char **next_after);
/* Opaque page tokens (base64url of the last name) for nextPageToken. */
char *sb_page_token_encode(const char *last_name);
char *sb_page_token_decode(const char *token); /* NULL when malformed */
/* Sets out's nextPageToken for a page that ended at last_name; NULL or "" (no
 * further page) sets nothing. */
void sb_set_page_token(json_t *out, const char *last_name);
/* Binary blobs (encrypted object data, wrapped keys) kept as files under
 * STATE/blobs, written atomically. 0 ok, -1 error (message via sb_log). */
int sb_blob_put(sb_server *s, const char *key, const void *data, size_t len);
int sb_blob_put_file(sb_server *s, const char *key, const char *src_path); /* renames in */
unsigned char *sb_blob_get(sb_server *s, const char *key, size_t *len);
char *sb_blob_path(sb_server *s, const char *key); /* path of the file, caller frees */
int sb_blob_del(sb_server *s, const char *key);
/* A monotonically increasing counter per name (ids, generations), persisted. */
int64_t sb_next_id(sb_server *s, const char *counter);
const char *sb_state_dir(const sb_server *s);

/* Long-running operations ({name, metadata, done, response|error}), one table keyed
 * by the full operation name, for modules whose LROs use google.longrunning. */
json_t *sb_op_new(sb_server *s, const char *name, json_t *metadata); /* takes metadata; new ref */
json_t *sb_op_get(sb_server *s, const char *name);                   /* new ref or NULL */
int sb_op_finish(sb_server *s, const char *name, json_t *response);  /* takes response */
int sb_op_fail(sb_server *s, const char *name, int http_status, const char *message);

/* ------------------------------------------------------------------ time, misc */

/* Sandbox time in ms since the epoch: wall clock at start, then advancing at
 * --time-scale times real time. Persisted so it never goes backwards on restart. */
int64_t sb_now_ms(sb_server *s);
double sb_time_scale(const sb_server *s);
/* RFC 3339 of sb_now_ms ("...Z" with nanosecond-style 9 digits as Google sends). */
void sb_now_rfc3339(sb_server *s, char *buf, size_t size);
/* Bulk work outside the server lock (encrypting or decrypting object data).
 * sb_call_unlock commits the call's store work so far as a transaction of its own and
 * releases the lock; sb_call_relock takes the lock back and opens the transaction
 * that the rest of the call and its audit entry commit in. In between, the handler
 * may use only its own files and memory: no store, no sb_* call but these two. After
 * the relock it must reread what it relies on (others ran meanwhile). A reply >= 400
 * after the relock rolls back only the second part, so the first part should write
 * nothing that matters on its own. Calls made up by the server itself (Vertex
 * staging from a tick) are not dispatched: for them both are no-ops and the lock
 * stays held. */
void sb_call_unlock(sb_call *c);
void sb_call_relock(sb_call *c);
/* Releases the lock for up to ms real milliseconds or until sb_notify. */
void sb_wait_ms(sb_server *s, int ms);
void sb_notify(sb_server *s);
/* Deterministic per --seed: uniform in [0,1). */
double sb_random(sb_server *s);
/* The project number of a project id (stable, 12 digits). */
int64_t sb_project_number(sb_server *s, const char *project_id);
/* Sandbox log (stderr or --log FILE). */
void sb_log(sb_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ cross-module */

/* Logging: stores one LogEntry (takes ownership); fills insertId, timestamp and
 * receiveTimestamp when absent. */
void sb_log_entry(sb_server *s, json_t *entry);
/* Whether DATA_READ / DATA_WRITE / ADMIN_READ audit logs are on for service. */
bool sb_audit_enabled(sb_server *s, const char *project, const char *service,
		      const char *log_type);
/* Service Usage: whether the API is enabled in project. */
bool sb_service_enabled(sb_server *s, const char *project, const char *service);
/* IAM: does member hold role on the KMS key (key policy or project policy)? */
bool sb_kms_key_grants(sb_server *s, const char *key_name, const char *member,
		       const char *role);
/* IAM: does member hold role in the project policy? */
bool sb_project_grants(sb_server *s, const char *project, const char *member,
		       const char *role);
/* KMS envelope encryption for other modules (Storage, Vertex): wraps a data key with
 * the key's primary version. On failure answers c with Google's error and returns -1.
 * *version_name receives ".../cryptoKeyVersions/N" (caller frees). */
int sb_kms_wrap(sb_server *s, sb_call *c, const char *key_name, const unsigned char *dek,
		size_t dek_len, char **wrapped_b64, char **version_name);
int sb_kms_unwrap(sb_server *s, sb_call *c, const char *version_name, const char *wrapped_b64,
		  unsigned char *dek, size_t dek_len);
/* Compute: GPUs in use / capacity in a zone (capacity model shared with Vertex). */
int sb_gpu_capacity(sb_server *s, const char *zone);
int sb_gpu_in_use(sb_server *s, const char *zone);
/* Issues an access token for a service account (metadata server, guest). Caller frees. */
char *sb_issue_token(sb_server *s, const char *email, int64_t *expires_in);

/* The lock, for code outside handlers and ticks (guest reaper threads). */
void sb_lock(sb_server *s);
void sb_unlock(sb_server *s);

#endif
