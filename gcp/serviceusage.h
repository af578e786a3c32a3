/* Service Usage: turning the workflow's APIs on. */
#ifndef GCP_SERVICEUSAGE_H
#define GCP_SERVICEUSAGE_H

#include "gcp/rq.h"

/* At most 20 ids per call (Google's limit); NULL when n is 0 or over 20. Returns an LRO. */
gcp_rq *gcp_su_batch_enable(const gcp_endpoints *ep, const char *project, const char *const *ids, size_t n);
gcp_rq *gcp_su_service_get(const gcp_endpoints *ep, const char *project, const char *service);
/* name: "operations/..." as batchEnable returned it. */
gcp_rq *gcp_su_operation_get(const gcp_endpoints *ep, const char *name);
/* "ENABLED" / "DISABLED" from a Service; NULL when absent or of the wrong type. */
const char *gcp_su_state(const json_t *service);

#endif
