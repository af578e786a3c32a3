#include "gcp/iam.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"

static gcp_rq *at(const gcp_endpoints *ep, enum gcp_api api, const char *method, const char *id, char *path)
{
	gcp_rq *rq = path ? gcp_rq_new(ep, api, NULL, method, id, path) : NULL;
	free(path);
	return rq;
}

char *gcp_iam_sa_email(const char *account_id, const char *project)
{
	return st_xasprintf("%s@%s.iam.gserviceaccount.com", account_id, project);
}

gcp_rq *gcp_iam_sa_create(const gcp_endpoints *ep, const char *project, const char *account_id, const char *display_name)
{
	gcp_rq *rq = at(ep, GCP_API_IAM, "POST", "iam.projects.serviceAccounts.create",
			gcp_pathf("/v1/projects/%s/serviceAccounts", project));
	json_t *sa = json_object();
	if (display_name)
		json_object_set_new(sa, "displayName", json_string(display_name));
	gcp_rq_body(rq, json_pack("{s:s,s:o}", "accountId", account_id, "serviceAccount", sa));
	return rq;
}

gcp_rq *gcp_iam_sa_get(const gcp_endpoints *ep, const char *project, const char *who)
{
	return at(ep, GCP_API_IAM, "GET", "iam.projects.serviceAccounts.get",
		  gcp_pathf("/v1/projects/%s/serviceAccounts/%s", project, who));
}

gcp_rq *gcp_iam_sa_delete(const gcp_endpoints *ep, const char *project, const char *who)
{
	return at(ep, GCP_API_IAM, "DELETE", "iam.projects.serviceAccounts.delete",
		  gcp_pathf("/v1/projects/%s/serviceAccounts/%s", project, who));
}

gcp_rq *gcp_iam_sa_key_create(const gcp_endpoints *ep, const char *project, const char *who)
{
	gcp_rq *rq = at(ep, GCP_API_IAM, "POST", "iam.projects.serviceAccounts.keys.create",
			gcp_pathf("/v1/projects/%s/serviceAccounts/%s/keys", project, who));
	gcp_rq_body(rq, json_object());
	return rq;
}

gcp_rq *gcp_crm_project_get(const gcp_endpoints *ep, const char *project)
{
	return at(ep, GCP_API_CRM, "GET", "cloudresourcemanager.projects.get", gcp_pathf("/v1/projects/%s", project));
}

gcp_rq *gcp_crm_get_iam_policy(const gcp_endpoints *ep, const char *project)
{
	gcp_rq *rq = at(ep, GCP_API_CRM, "POST", "cloudresourcemanager.projects.getIamPolicy",
			gcp_pathf("/v1/projects/%s:getIamPolicy", project));
	gcp_rq_body(rq, json_pack("{s:{s:i}}", "options", "requestedPolicyVersion", 3));
	return rq;
}

gcp_rq *gcp_crm_set_iam_policy(const gcp_endpoints *ep, const char *project, const json_t *policy,
			       const char *update_mask)
{
	gcp_rq *rq = at(ep, GCP_API_CRM, "POST", "cloudresourcemanager.projects.setIamPolicy",
			gcp_pathf("/v1/projects/%s:setIamPolicy", project));
	json_t *b = json_pack("{s:O}", "policy", policy);
	if (update_mask)
		json_object_set_new(b, "updateMask", json_string(update_mask));
	gcp_rq_body(rq, b);
	return rq;
}

static json_t *array_of(json_t *obj, const char *key)
{
	json_t *a = json_object_get(obj, key);
	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(obj, key, a);
	}
	return a;
}

static bool array_has_string(const json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* Conditional bindings are left alone: adding a member there would widen a grant
 * that someone restricted on purpose. */
static json_t *plain_binding(const json_t *bindings, const char *role)
{
	size_t i;
	json_t *b;
	json_array_foreach(bindings, i, b) {
		const char *r = stj_str(b, "role");
		if (r && strcmp(r, role) == 0 && !json_object_get(b, "condition"))
			return b;
	}
	return NULL;
}

bool gcp_policy_has_binding(const json_t *policy, const char *role, const char *member)
{
	json_t *b = plain_binding(json_object_get(policy, "bindings"), role);
	return b && array_has_string(json_object_get(b, "members"), member);
}

bool gcp_policy_add_binding(json_t *policy, const char *role, const char *member)
{
	json_object_set_new(policy, "version", json_integer(3));
	json_t *bindings = array_of(policy, "bindings");
	json_t *b = plain_binding(bindings, role);
	if (!b) {
		json_array_append_new(bindings, json_pack("{s:s,s:[s]}", "role", role, "members", member));
		return true;
	}
	json_t *members = array_of(b, "members");
	if (array_has_string(members, member))
		return false;
	json_array_append_new(members, json_string(member));
	return true;
}

bool gcp_policy_remove_member(json_t *policy, const char *role, const char *member)
{
	json_t *bindings = json_object_get(policy, "bindings");
	json_t *b = plain_binding(bindings, role);
	json_t *members = b ? json_object_get(b, "members") : NULL;
	size_t i;
	json_t *v;
	json_array_foreach(members, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), member) == 0) {
			json_array_remove(members, i);
			return true;
		}
	return false;
}

bool gcp_policy_audit(json_t *policy, const char *service, const char *const *log_types, size_t n)
{
	json_t *cfgs = array_of(policy, "auditConfigs");
	json_t *cfg = NULL, *c;
	size_t i;
	json_array_foreach(cfgs, i, c) {
		const char *s = stj_str(c, "service");
		if (s && strcmp(s, service) == 0)
			cfg = c;
	}
	if (!cfg) {
		cfg = json_pack("{s:s,s:[]}", "service", service, "auditLogConfigs");
		json_array_append_new(cfgs, cfg);
	}
	json_t *logs = array_of(cfg, "auditLogConfigs");
	bool changed = false;
	for (size_t k = 0; k < n; k++) {
		bool have = false;
		json_array_foreach(logs, i, c) {
			const char *t = stj_str(c, "logType");
			if (t && strcmp(t, log_types[k]) == 0)
				have = true;
		}
		if (!have) {
			json_array_append_new(logs, json_pack("{s:s}", "logType", log_types[k]));
			changed = true;
		}
	}
	json_object_set_new(policy, "version", json_integer(3));
	return changed;
}
