/* What the auth files share: the auth object and the helpers every source uses. */
#ifndef GCP_AUTH_PRIV_H
#define GCP_AUTH_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/str.h"
#include "gcp/auth.h"
#include "gcp/internal.h"

#define GCP_SCOPE "https://www.googleapis.com/auth/cloud-platform"

enum kind { AK_STATIC, AK_SA, AK_USER, AK_METADATA, AK_GCLOUD, AK_SANDBOX };

struct gcp_auth {
	enum kind kind;
	char desc[300];
	char *token;
	int64_t expires;            /* monotonic ms; 0: never */
	bool busy;
	bool has_failure;
	gcp_error failure;
	int fetches;
	/* service account / authorized user */
	char *email, *key_id, *pem, *token_uri;
	char *client_id, *client_secret, *refresh_token, *quota_project;
	/* metadata server */
	char *metadata_url;
	/* gcloud child */
	char *gcloud;
	pid_t child;
	int child_fd;
	st_buf child_out;
	/* sandbox minting */
	char *sandbox_url, *project, *key_path;
	bool reminted, tried_enable;
	char *enable_op;
	gcp_ctx *ctx;
};

void gcp_a_wipe(char *s);
void gcp_a_set_failure(gcp_auth *a, const gcp_error *e);
/* Records cause, prefixed with what, as the auth failure. */
void gcp_a_failf(gcp_auth *a, const char *what, const gcp_error *cause);
bool gcp_a_token_ok(const char *t);
void gcp_a_store_token(gcp_auth *a, const char *tok, int64_t ttl_s);
/* The fetch is over (token or failure): parked requests may go on. */
void gcp_a_settle(gcp_auth *a);
/* Queues one of the credential flow's own requests (sent without a token, owned by
 * a); when it cannot even be queued the fetch ends with that reason, prefixed by what. */
void gcp_a_send(gcp_auth *a, gcp_req *r, gcp_done_fn done, const char *what);
int gcp_a_load_file(gcp_auth *a, const char *path, char *err, size_t errlen);
void gcp_a_fetch_sa(gcp_auth *a);
void gcp_a_fetch_sandbox(gcp_auth *a);
void gcp_a_fetch_gcloud(gcp_auth *a);
void gcp_a_reap_child(gcp_auth *a, bool kill_it);

#endif
