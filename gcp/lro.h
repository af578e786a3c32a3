/* Long-running operations and pagination, both as loop-driven helpers: each keeps
 * its state between requests and calls done exactly once (resp->json is the final
 * Operation, or the merged pages). Cancelling the owner ends them too. */
#ifndef GCP_LRO_H
#define GCP_LRO_H

#include "gcp/rq.h"

/* Called after each poll with the Operation as it stands. */
typedef void (*gcp_lro_progress_fn)(void *user, const json_t *op);

/* Compute: op is what the mutation returned (zonal or global). Loops on
 * operations.wait until status DONE. resp->ok is false when the operation ended in
 * error (resp->err from its error.errors[0] and httpErrorStatusCode). */
int gcp_lro_compute(gcp_ctx *ctx, const gcp_endpoints *ep, const char *project, const json_t *op, void *owner,
		    gcp_lro_progress_fn progress, gcp_done_fn done, void *user, gcp_error *err);
/* google.longrunning (Service Usage, Vertex): GETs name until done:true, backing off
 * from 0.5 s to 5 s between polls (an op that came back done costs one GET). */
int gcp_lro_google(gcp_ctx *ctx, const gcp_endpoints *ep, enum gcp_api api, const json_t *op, void *owner,
		   gcp_lro_progress_fn progress, gcp_done_fn done, void *user, gcp_error *err);
/* google.rpc.Status (numeric code) into a gcp_error. */
void gcp_error_from_status(gcp_error *e, const json_t *status, const char *where);

/* Follows nextPageToken (query parameter, or body field for POST list calls such as
 * entries:list) and merges every array field of every page. max_pages 0: 1000. A
 * server that repeats a token is an error, not an endless loop. rq is consumed. */
int gcp_page_all(gcp_ctx *ctx, gcp_rq *rq, int max_pages, void *owner, gcp_done_fn done, void *user, gcp_error *err);

#endif
