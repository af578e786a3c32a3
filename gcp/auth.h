/* Credentials in Application Default Credentials order, and the access-token cache.
 * Building the auth object only reads local files; every network step (token endpoint,
 * metadata server, the sandbox's IAM API, the gcloud child) runs later on the loop. */
#ifndef GCP_AUTH_H
#define GCP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "gcp/gcp.h"

typedef struct gcp_auth_opts {
	const char *credentials_file; /* overrides $GOOGLE_APPLICATION_CREDENTIALS */
	const char *token_file;       /* a file holding one access token */
	const char *token_uri;        /* overrides the key file's token_uri */
	const char *metadata_url;     /* base, ".../computeMetadata/v1"; default from $GCE_METADATA_HOST */
	const char *sandbox_url;      /* sandbox mode: mint a key through its IAM API */
	const char *project;          /* sandbox mode: where the service account lives */
	const char *sandbox_id;       /* sandbox mode: what names that sandbox across restarts
	                               * (an embedded one's state dir); NULL: its URL */
	const char *state_dir;        /* sandbox key file directory; default $XDG_STATE_HOME/sealtrain */
	const char *gcloud;           /* gcloud command; default $SEALTRAIN_GCLOUD or "gcloud" */
	const char *only;             /* NULL: ADC order; "metadata" or "gcloud": that source only */
	bool no_adc_file;             /* skip gcloud's ADC file (tests) */
	bool no_metadata;             /* never consider the metadata server (tests) */
	bool no_gcloud;               /* never run gcloud (tests) */
} gcp_auth_opts;

/* Picks the first source that applies. NULL with a one-line reason when none does or
 * a credentials file is broken (names the file and what is wrong). */
gcp_auth *gcp_auth_new(const gcp_auth_opts *opts, char *err, size_t errlen);
/* A short description safe to show: "service account x@p.iam.gserviceaccount.com (FILE)". */
const char *gcp_auth_describe(const gcp_auth *a);
/* Which source: "token-file", "service_account", "authorized_user", "metadata",
 * "gcloud", "sandbox". */
const char *gcp_auth_kind(const gcp_auth *a);
/* Token fetches so far (tests check refresh-once behaviour). */
int gcp_auth_fetches(const gcp_auth *a);
/* Frees an auth that was never handed to gcp_new. */
void gcp_auth_free(gcp_auth *a);

/* jwt.c: RS256-signed JWT "header.claims.signature" for the OAuth JWT-bearer grant.
 * pem is a PKCS#8 or PKCS#1 RSA private key. NULL with a reason on failure. */
char *gcp_jwt_rs256(const char *pem, const char *kid, const char *iss, const char *scope,
		    const char *aud, long long iat, long long ttl, char *err, size_t errlen);

#endif
