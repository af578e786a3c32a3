/* From the operator's config (config/config.h) to the client's settings. */
#ifndef GCP_CFG_H
#define GCP_CFG_H

#include <stddef.h>

#include "config/config.h"
#include "gcp/auth.h"
#include "gcp/endpoints.h"
#include "gcp/gcp.h"

/* Fills ep (initialised here; free with gcp_endpoints_free) and ao (pointers borrow
 * from c, so c must outlive ao). sandbox_url non-NULL selects sandbox minting when no
 * explicit credentials are configured. -1 with a reason (ep then needs no freeing) on
 * a refused endpoint, missing credentials.file, or sandbox mode without a project. */
int gcp_from_config(const st_config *c, const char *sandbox_url, gcp_endpoints *ep, gcp_auth_opts *ao,
		    char *err, size_t errlen);
/* The engine settings the config decides (today the extra CA file); the rest keep
 * their defaults. o borrows from c. */
void gcp_opts_from_config(const st_config *c, gcp_opts *o);

#endif
