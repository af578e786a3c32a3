/* The GCE metadata server (what the guest side and the sandbox's guests use). */
#ifndef GCP_METADATA_H
#define GCP_METADATA_H

#include "gcp/rq.h"

gcp_rq *gcp_md_token(const gcp_endpoints *ep);
/* Plain-text answers (raw body). */
gcp_rq *gcp_md_project_id(const gcp_endpoints *ep);
gcp_rq *gcp_md_attribute(const gcp_endpoints *ep, const char *key);
gcp_rq *gcp_md_identity(const gcp_endpoints *ep, const char *audience);

#endif
