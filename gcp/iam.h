/* IAM service accounts and keys, and the project IAM policy (Resource Manager v1). */
#ifndef GCP_IAM_H
#define GCP_IAM_H

#include <stdbool.h>

#include "gcp/rq.h"

gcp_rq *gcp_iam_sa_create(const gcp_endpoints *ep, const char *project, const char *account_id, const char *display_name);
/* who: the e-mail or unique id. */
gcp_rq *gcp_iam_sa_get(const gcp_endpoints *ep, const char *project, const char *who);
gcp_rq *gcp_iam_sa_delete(const gcp_endpoints *ep, const char *project, const char *who);
gcp_rq *gcp_iam_sa_key_create(const gcp_endpoints *ep, const char *project, const char *who);
/* "ID@PROJECT.iam.gserviceaccount.com"; caller frees. */
char *gcp_iam_sa_email(const char *account_id, const char *project);

gcp_rq *gcp_crm_project_get(const gcp_endpoints *ep, const char *project);
gcp_rq *gcp_crm_get_iam_policy(const gcp_endpoints *ep, const char *project);
/* update_mask NULL: Google's default "bindings,etag". Pass "bindings,etag,auditConfigs"
 * to change audit configuration. */
gcp_rq *gcp_crm_set_iam_policy(const gcp_endpoints *ep, const char *project, const json_t *policy,
			       const char *update_mask);

/* Read-modify-write helpers on a Policy object (as getIamPolicy returned it).
 * Each returns true when it changed the policy. version is raised to 3. */
bool gcp_policy_add_binding(json_t *policy, const char *role, const char *member);
bool gcp_policy_remove_member(json_t *policy, const char *role, const char *member);
/* Turns on every listed logType (ADMIN_READ, DATA_READ, DATA_WRITE) for service. */
bool gcp_policy_audit(json_t *policy, const char *service, const char *const *log_types, size_t n);
bool gcp_policy_has_binding(const json_t *policy, const char *role, const char *member);

#endif
