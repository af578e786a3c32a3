/* Cloud Logging: reading entries (the audit-log tail) and log sinks. */
#ifndef GCP_LOGGING_H
#define GCP_LOGGING_H

#include <stdbool.h>

#include "gcp/rq.h"

/* resource: "projects/P". page_size 0: server default. */
gcp_rq *gcp_log_entries_list(const gcp_endpoints *ep, const char *resource, const char *filter,
			     const char *order_by, int page_size, const char *page_token);
gcp_rq *gcp_log_sink_create(const gcp_endpoints *ep, const char *project, const char *name,
			    const char *destination, const char *filter, bool unique_writer);
gcp_rq *gcp_log_sink_get(const gcp_endpoints *ep, const char *project, const char *name);
gcp_rq *gcp_log_sink_delete(const gcp_endpoints *ep, const char *project, const char *name);

#endif
