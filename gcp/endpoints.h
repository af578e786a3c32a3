/* One base URL per API (DESIGN §4), all overridable; in sandbox mode all of them
 * point at the sandbox. Builders join a base with a method path. */
#ifndef GCP_ENDPOINTS_H
#define GCP_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>

enum gcp_api {
	GCP_API_SERVICEUSAGE, GCP_API_KMS, GCP_API_IAM, GCP_API_CRM, GCP_API_STORAGE,
	GCP_API_COMPUTE, GCP_API_AIPLATFORM, GCP_API_MONITORING, GCP_API_LOGGING,
	GCP_API_CC, GCP_API_OAUTH2, GCP_API_METADATA, GCP_API_COUNT
};

typedef struct gcp_endpoints {
	char *base[GCP_API_COUNT]; /* no trailing slash; Vertex may hold "{region}" */
} gcp_endpoints;

/* Google's production hosts. */
void gcp_endpoints_init(gcp_endpoints *ep);
void gcp_endpoints_free(gcp_endpoints *ep);
/* Every API at one base (a sandbox); the metadata server at BASE/computeMetadata/v1. */
void gcp_endpoints_all(gcp_endpoints *ep, const char *base);
/* name: the config key ("compute", "kms", ...) or the service host
 * ("cloudkms.googleapis.com"). -1 with a reason for unknown names or refused URLs. */
int gcp_endpoints_set(gcp_endpoints *ep, const char *name, const char *url, char *err, size_t errlen);
int gcp_api_lookup(const char *name);
const char *gcp_api_key(enum gcp_api api);      /* "compute" */
const char *gcp_api_service(enum gcp_api api);  /* "compute.googleapis.com" */

/* base + path ("/compute/v1/projects/..."), "{region}" replaced. Caller frees. */
char *gcp_url(const gcp_endpoints *ep, enum gcp_api api, const char *region, const char *path);
/* For `sealtrain api`: an absolute URL is returned as is; a path such as
 * "compute/v1/projects/P/zones/Z/instances" is matched to its API (optionally
 * spelled "HOST/..." with the service host) and joined with that API's base.
 * NULL with a reason when the API cannot be told. */
char *gcp_resolve_path(const gcp_endpoints *ep, const char *url_or_path, char *err, size_t errlen);

/* Which API a URL's path belongs to (by the same rules as gcp_resolve_path), or -1. */
int gcp_api_of_url(const char *url);

/* https anywhere; http only to loopback (and, for the metadata server, its own
 * link-local names). */
bool gcp_url_allowed(const char *url, bool metadata, char *why, size_t whylen);

#endif
