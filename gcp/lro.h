/* Long-running operations and pagination, both as loop-driven helpers: each keeps
 * its state between requests and calls done exactly once (resp->json is the final
 * Operation, or the merged pages). Cancelling the owner ends them too. */
#ifndef GCP_LRO_H
#define GCP_LRO_H

#include "gcp/rq.h"

/* Both waits end after an overall deadline (timeout_ms; 0 means this default) with
 * resp->ok false, err.code 4 (DEADLINE_EXCEEDED), the message "operation NAME still
 * STATUS after N s" and resp->json the Operation as last seen, which can be handed
 * to the same function again to go on waiting. */
#define GCP_LRO_DEFAULT_TIMEOUT_MS (30 * 60 * 1000LL)

/* Called after each poll with the Operation as it stands. */
typedef void (*gcp_lro_progress_fn)(void *user, const json_t *op);

/* Compute: op is what the mutation returned (zonal or global). Loops on
 * operations.wait until status DONE. resp->ok is false when the operation ended in
 * error (resp->err from its error.errors[0] and httpErrorStatusCode). */
int gcp_lro_compute(gcp_ctx *ctx, const gcp_endpoints *ep, const char *project, const json_t *op, void *owner,
		    gcp_lro_progress_fn progress, gcp_done_fn done, void *user, gcp_error *err);
int gcp_lro_compute_for(gcp_ctx *ctx, const gcp_endpoints *ep, const char *project, const json_t *op,
			int64_t timeout_ms, void *owner, gcp_lro_progress_fn progress, gcp_done_fn done, void *user,
			gcp_error *err);
/* google.longrunning (Service Usage, Vertex): GETs name until done:true, backing off
 * from 0.5 s to 5 s between polls (an op that came back done costs one GET). */
int gcp_lro_google(gcp_ctx *ctx, const gcp_endpoints *ep, enum gcp_api api, const json_t *op, void *owner,
		   gcp_lro_progress_fn progress, gcp_done_fn done, void *user, gcp_error *err);
int gcp_lro_google_for(gcp_ctx *ctx, const gcp_endpoints *ep, enum gcp_api api, const json_t *op,
		       int64_t timeout_ms, void *owner, gcp_lro_progress_fn progress, gcp_done_fn done, void *user,
		       gcp_error *err);
/* The URL such a wait polls for the operation name (to take a wait up again later);
 * caller frees; NULL for a name that cannot be a path. */
char *gcp_lro_google_url(const gcp_endpoints *ep, enum gcp_api api, const char *name);
/* google.rpc.Status (numeric code) into a gcp_error. */
void gcp_error_from_status(gcp_error *e, const json_t *status, const char *where);

/* Follows nextPageToken (query parameter, or body field for POST list calls such as
 * entries:list) and merges every array field of every page. max_pages 0: 1000. A
 * server that repeats a token is an error, not an endless loop. rq is consumed. */
int gcp_page_all(gcp_ctx *ctx, gcp_rq *rq, int max_pages, void *owner, gcp_done_fn done, void *user, gcp_error *err);

#endif
