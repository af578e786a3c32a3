/* sealtrain-sandbox core internals: shared by the core files only (server, router,
 * store, auth, faults, audit). API modules see sandbox/sandbox.h alone. */
#ifndef SB_SERVER_H
#define SB_SERVER_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/str.h"
#include "sandbox/sandbox.h"

#define SB_MAX_BODY (64ull << 20)      /* JSON and media bodies held in memory */
#define SB_MAX_UPLOAD (5ull << 30)     /* SB_STREAM_BODY routes, spooled to disk */
#define SB_OPERATOR "user:operator@sandbox.local"

/* Command-line settings. */
typedef struct sb_options {
	const char *listen;   /* host:port */
	const char *state;    /* state directory */
	const char *faults;   /* fault spec or NULL */
	const char *log_path; /* NULL: stderr */
	double time_scale;
	uint64_t seed;
	bool have_seed;
	bool allow_remote;
	bool strict_auth;
	bool verbose;
} sb_options;

/* A compiled route: pattern split into segments once at start-up. */
typedef struct sb_cseg {
	int kind;           /* SEG_LIT, SEG_VAR, SEG_ANY, SEG_VERB, SEG_REST */
	char *text;         /* literal, or the variable name */
	char *verb;         /* SEG_VERB: ":verb" suffix */
} sb_cseg;

typedef struct sb_croute {
	const sb_route *r;
	const sb_service *svc;
	sb_cseg *segs;
	size_t nsegs;
} sb_croute;

/* Deterministic generator (splitmix64) for --seed. */
typedef struct sb_rng {
	uint64_t s;
} sb_rng;

typedef struct sb_faults {
	double p503, p429, preset;
	int latency_ms;
	sb_rng rng;
	uint64_t injected;
} sb_faults;

struct sb_server {
	sb_options opt;
	char base_url[80];
	char *state_dir;
	char *blob_dir;
	char *tmp_dir;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int txn_depth;        /* sb_lock nesting held by the current owner */
	atomic_bool stopping;  /* set by the signal wait, read by the tick thread unlocked */
	sqlite3 *db;
	sqlite3_stmt *st_get, *st_insert, *st_put, *st_del, *st_page, *st_next_id, *st_meta_get,
		*st_meta_put, *st_log_insert;
	const sb_service *const *services;
	size_t nservices;
	sb_croute *routes;
	size_t nroutes;
	/* clock */
	int64_t clock_base_ms;  /* sandbox time at clock_mono0 */
	int64_t clock_mono0;
	sb_rng rng;
	sb_faults faults;
	uint64_t requests;
};

/* What MHD hands us, plus the request state (server_call.c). */
typedef struct sb_kv {
	char *k, *v;
} sb_kv;

struct sb_call {
	sb_server *s;
	void *conn;            /* struct MHD_Connection * */
	char *method;
	char *raw_uri;
	char *path;            /* raw path without query */
	sb_kv *query;
	size_t nquery;
	sb_kv *vars;
	size_t nvars;
	const sb_croute *route;
	st_buf body;
	bool body_too_big;
	int spool_fd;
	char *spool_path;
	uint64_t spool_len;
	json_t *json;
	char *principal;
	char *principal_email;
	char *audit_resource;
	char *audit_project;
	/* reply */
	int status;
	char *reply_ctype;
	void *reply_data;
	size_t reply_len;
	char *reply_file;
	uint64_t reply_off, reply_flen;
	sb_stream_read stream_read;  /* sb_reply_stream; owned until handed to MHD */
	void (*stream_done)(void *ctx);
	void *stream_ctx;
	uint64_t stream_len;
	sb_kv *rheaders;
	size_t nrheaders;
	bool replied;
	char *error_message;   /* for the audit entry's status */
	char *error_status;
	const char **qall;     /* scratch for sb_query_all */
	int64_t t0_ms;
	bool prepared;         /* first-call work done */
	bool early;            /* answered before the body was read */
	bool dispatched;       /* run by dispatch(): sb_call_unlock may release the lock */
	bool unlocked;         /* between sb_call_unlock and sb_call_relock */
};

/* server.c */
int sb_server_run(sb_options *opt);
void sb_txn_begin(sb_server *s);
int sb_txn_commit(sb_server *s); /* -1: failed and rolled back */
void sb_txn_rollback(sb_server *s);

/* router.c */
int sb_router_build(sb_server *s);
void sb_router_free(sb_server *s);
enum { SB_ROUTE_OK, SB_ROUTE_NONE, SB_ROUTE_METHOD, SB_ROUTE_BAD };
/* Finds the route for c->method and c->path, filling c->vars. */
int sb_route_match(sb_server *s, sb_call *c);

/* server_call.c */
sb_call *sb_call_new(sb_server *s, const char *raw_uri);
void sb_call_free(sb_call *c);
int sb_call_parse_query(sb_call *c);
/* Percent-decodes [s, s+n); NULL when malformed or containing NUL/invalid UTF-8. */
char *sb_pct_decode(const char *s, size_t n, bool plus_space);

/* store.c */
int sb_store_open(sb_server *s);
void sb_store_close(sb_server *s);
int sb_store_reset(sb_server *s);
char *sb_meta_get(sb_server *s, const char *key);
/* store_prune.c: drops expired tokens and aged log entries (at most once a minute). */
void sb_store_prune(sb_server *s);
void sb_meta_put(sb_server *s, const char *key, const char *value);

/* clock.c */
void sb_clock_init(sb_server *s);
void sb_clock_persist(sb_server *s);
uint64_t sb_rng_next(sb_rng *r);
double sb_rng_unit(sb_rng *r);

/* faults.c */
int sb_faults_parse(sb_faults *f, const char *spec, char *err, size_t errlen);
/* Decides the fault for one request: 0 none, 503, 429, or -1 (reset). */
int sb_faults_pick(sb_server *s, int *latency_ms);

/* auth.c */
/* Resolves the bearer token of c into c->principal; 0 ok, -1 answered 401. */
int sb_auth_check(sb_server *s, sb_call *c);
/* A token for any principal ("user:x@y" for refresh-token grants). */
char *sb_issue_token_for(sb_server *s, const char *principal, int64_t *expires_in);

/* token.c: POST /token and POST /sandbox/v1/authorizedUser. */
void sb_token_handler(sb_server *s, sb_call *c);
void sb_authorized_user_handler(sb_server *s, sb_call *c);

/* audit.c */
void sb_audit_write(sb_server *s, sb_call *c);
/* Project id named by the call's path or ?project=, or NULL. */
const char *sb_call_project(sb_call *c);
/* The same, for handlers that need a concrete project: NULL means it answered 400. */
const char *sb_need_project(sb_call *c);

/* iam.c: a service account by email or uniqueId (project may be "-"); new ref or NULL. */
json_t *sb_iam_find_sa(sb_server *s, const char *project, const char *id);

/* crm.c: getIamPolicy / setIamPolicy of the resource whose policy is stored under key
 * ("projects/P", "projects/P/serviceAccounts/E"); owner: a new policy makes the
 * operator roles/owner (projects) or is empty (other resources). */
void sb_policy_get(sb_server *s, sb_call *c, const char *key, bool owner);
void sb_policy_set(sb_server *s, sb_call *c, const char *key, bool owner);

/* crm.c: project id for a path segment that may be a project number; caller frees. */
char *sb_project_resolve(sb_server *s, const char *id_or_number);

/* errors.c */
const char *sb_status_name(int http_status);
/* The error envelope with an ErrorInfo of the given domain and metadata (owned). */
void sb_reply_error_md(sb_call *c, int http_status, const char *status, const char *reason,
		       const char *domain, json_t *metadata, const char *message);
int sb_grpc_code(const char *status);

/* services.c */
extern const sb_service *const sb_services[];
extern const size_t sb_nservices;
extern const sb_service sb_svc_core;

#endif
