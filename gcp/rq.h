/* A built request: what the typed API builders return and gcp_rq_send sends.
 * Builders are pure (no I/O), so tests can inspect every request they make and
 * check it against Google's discovery documents. */
#ifndef GCP_RQ_H
#define GCP_RQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "gcp/endpoints.h"
#include "gcp/gcp.h"

typedef struct gcp_rq {
	char *method;
	char *url;             /* absolute; query already appended */
	json_t *body;          /* JSON body or NULL (owned) */
	char *raw;             /* non-JSON body (uploads), owned */
	size_t raw_len;
	char *ctype;           /* content type of raw */
	unsigned flags;        /* GCP_RAW_BODY etc. */
	const char *id;        /* discovery method id, "compute.instances.insert" */
	const char *upload;    /* "simple"/"multipart"/"resumable" for media uploads, else NULL */
	gcp_progress_fn progress; /* upload progress, or NULL */
	void *progress_user;
} gcp_rq;

/* path is appended to the API's base; region fills Vertex's regional host. */
gcp_rq *gcp_rq_new(const gcp_endpoints *ep, enum gcp_api api, const char *region,
		   const char *method, const char *id, const char *path);
/* Adds ?name=value (value percent-encoded). NULL value: nothing. */
void gcp_rq_query(gcp_rq *rq, const char *name, const char *value);
void gcp_rq_query_int(gcp_rq *rq, const char *name, long long value);
/* Takes ownership of body. */
void gcp_rq_body(gcp_rq *rq, json_t *body);
/* Compute mutations: a fresh requestId, fixed for every retry of this request. */
void gcp_rq_request_id(gcp_rq *rq);
void gcp_rq_free(gcp_rq *rq);

/* Sends and frees rq (NULL rq: a builder refused its arguments). 0, or -1 with err filled (callback not called). */
int gcp_rq_send(gcp_ctx *ctx, gcp_rq *rq, void *owner, gcp_done_fn done, void *user, gcp_error *err);

/* Percent-encodes one path segment (object names: "a/b" -> "a%2Fb"). Caller frees. */
char *gcp_seg(const char *s);
/* prefix + a resource name whose segments are encoded one by one + suffix, e.g.
 * ("/v1/", "projects/p/locations/l/customJobs/1", ":cancel"). NULL when the name is
 * empty or has empty, "." or ".." segments (a hostile operation name must not walk
 * to another path). */
char *gcp_name_path(const char *prefix, const char *name, const char *suffix);
/* A path from a printf format whose %s arguments are each one path segment, encoded. */
char *gcp_pathf(const char *fmt, ...);
/* The segment after the first "/KIND/" of a name or URL ("locations" in
 * "projects/p/locations/us-central1/jobs/1" gives "us-central1"), up to the next
 * '/', '?' or ':'. NULL when s is NULL, has no such part, or it is empty. Caller frees. */
char *gcp_name_part(const char *s, const char *kind);
/* A JSON array of the NULL-terminated strings v (NULL v: empty). */
json_t *gcp_json_strings(const char *const *v);

#endif
