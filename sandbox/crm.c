/* Resource Manager: projects (they exist as soon as they are named) and the project
 * IAM policy with etag concurrency control, conditions (version 3) and auditConfigs,
 * which only change when updateMask names them. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "sandbox/server.h"

#define CRM "cloudresourcemanager.googleapis.com"

/* ------------------------------------------------------------------ projects */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Stable: derived from the id, so the same project has the same number everywhere. */
static int64_t number_of(const char *project_id)
{
	char hex[65];
	st_sha256_hex(project_id, strlen(project_id), hex);
	uint64_t h = strtoull(hex + 48, NULL, 16);
	return (int64_t)(100000000000ull + h % 900000000000ull);
}

int64_t sb_project_number(sb_server *s, const char *project_id)
{
	if (all_digits(project_id))
		return strtoll(project_id, NULL, 10);
	int64_t n = number_of(project_id);
	char key[24];
	snprintf(key, sizeof key, "%" PRId64, n);
	json_t *have = sb_get(s, "projnum", key);
	if (!have) {
		char now[48];
		sb_now_rfc3339(s, now, sizeof now);
		json_t *doc = json_pack("{s:s, s:s}", "projectId", project_id, "createTime", now);
		sb_insert(s, "projnum", key, doc);
		json_decref(doc);
	}
	json_decref(have);
	return n;
}

char *sb_project_resolve(sb_server *s, const char *id_or_number)
{
	if (!all_digits(id_or_number))
		return st_xstrdup(id_or_number);
	json_t *doc = sb_get(s, "projnum", id_or_number);
	char *id = st_xstrdup(stj_str(doc, "projectId") ? stj_str(doc, "projectId") : id_or_number);
	json_decref(doc);
	return id;
}

static json_t *project_record(sb_server *s, const char *project)
{
	char key[24];
	snprintf(key, sizeof key, "%" PRId64, sb_project_number(s, project));
	return sb_get(s, "projnum", key);
}

static void get_project_v1(sb_server *s, sb_call *c)
{
	const char *p = sb_need_project(c);
	if (!p)
		return;
	json_t *rec = project_record(s, p);
	sb_reply_json(c, 200, json_pack("{s:o, s:s, s:s, s:s, s:s}", "projectNumber",
					stj_int64_string(sb_project_number(s, p)), "projectId", p,
					"lifecycleState", "ACTIVE", "name", p, "createTime",
					stj_str(rec, "createTime") ? stj_str(rec, "createTime") : ""));
	json_decref(rec);
}

static void get_project_v3(sb_server *s, sb_call *c)
{
	const char *p = sb_need_project(c);
	if (!p)
		return;
	json_t *rec = project_record(s, p);
	char name[40];
	snprintf(name, sizeof name, "projects/%" PRId64, sb_project_number(s, p));
	sb_reply_json(c, 200, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name, "projectId", p,
					"state", "ACTIVE", "displayName", p, "createTime",
					stj_str(rec, "createTime") ? stj_str(rec, "createTime") : ""));
	json_decref(rec);
}

/* ------------------------------------------------------------------ policy store */

static char *new_etag(sb_server *s)
{
	int64_t n = sb_next_id(s, "policy-etag");
	unsigned char raw[8] = {0x07};
	for (int i = 7; i >= 1; i--) {
		raw[i] = (unsigned char)(n & 0xff);
		n >>= 8;
	}
	return st_base64_encode(raw, sizeof raw);
}

/* The stored policy of a resource, or its default: a new project is owned by the
 * operator; other resources (service accounts) start with no bindings. */
static json_t *load_policy_key(sb_server *s, const char *key, bool owner)
{
	json_t *p = sb_get(s, "policy", key);
	if (!p) {
		char *etag = new_etag(s);
		p = owner ? json_pack("{s:i, s:s, s:[{s:s, s:[s]}]}", "version", 1, "etag", etag,
				      "bindings", "role", "roles/owner", "members", SB_OPERATOR)
			  : json_pack("{s:i, s:s, s:[]}", "version", 1, "etag", etag, "bindings");
		sb_put(s, "policy", key, p);
		free(etag);
	}
	return p;
}

static json_t *load_policy(sb_server *s, const char *project)
{
	char *key = st_xasprintf("projects/%s", project);
	json_t *p = load_policy_key(s, key, true);
	free(key);
	return p;
}

static bool has_conditions(const json_t *policy)
{
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(policy, "bindings"), i, b)
		if (json_object_get(b, "condition"))
			return true;
	return false;
}

bool sb_project_grants(sb_server *s, const char *project, const char *member, const char *role)
{
	json_t *p = load_policy(s, project);
	size_t i, j;
	json_t *b, *m;
	bool found = false;
	json_array_foreach(json_object_get(p, "bindings"), i, b) {
		const char *r = stj_str(b, "role");
		if (!r || strcmp(r, role) != 0 || json_object_get(b, "condition"))
			continue;
		json_array_foreach(json_object_get(b, "members"), j, m)
			if (json_is_string(m) && strcmp(json_string_value(m), member) == 0)
				found = true;
	}
	json_decref(p);
	return found;
}

bool sb_audit_enabled(sb_server *s, const char *project, const char *service,
		      const char *log_type)
{
	char *key = st_xasprintf("projects/%s", project);
	json_t *p = sb_get(s, "policy", key);
	free(key);
	size_t i, j;
	json_t *ac, *lc;
	bool on = false;
	json_array_foreach(json_object_get(p, "auditConfigs"), i, ac) {
		const char *svc = stj_str(ac, "service");
		if (!svc || (strcmp(svc, service) != 0 && strcmp(svc, "allServices") != 0))
			continue;
		json_array_foreach(json_object_get(ac, "auditLogConfigs"), j, lc) {
			const char *t = stj_str(lc, "logType");
			if (t && strcmp(t, log_type) == 0)
				on = true;
		}
	}
	json_decref(p);
	return on;
}

/* ------------------------------------------------------------------ validation */

static const char *member_error(sb_server *s, const char *m)
{
	static const char *const exact[] = {"allUsers", "allAuthenticatedUsers"};
	static const char *const prefixed[] = {"user:", "serviceAccount:", "group:", "domain:",
					       "deleted:", "principal://", "principalSet://",
					       "projectOwner:", "projectEditor:", "projectViewer:"};
	for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
		if (strcmp(m, exact[i]) == 0)
			return NULL;
	size_t k;
	for (k = 0; k < sizeof prefixed / sizeof *prefixed; k++)
		if (st_starts_with(m, prefixed[k]) && m[strlen(prefixed[k])])
			break;
	if (k == sizeof prefixed / sizeof *prefixed)
		return "has an unknown member type";
	const char *email = strchr(m, ':') + 1;
	if (k <= 2 && !strchr(email, '@'))
		return "is not an email address";
	/* A user-managed account of a sandbox project must exist, as Google checks. */
	if (k == 1 && st_ends_with(email, ".iam.gserviceaccount.com") &&
	    !strstr(email, "@gcp-sa-") && !strstr(email, "gs-project-accounts")) {
		json_t *sa = sb_iam_find_sa(s, "-", email);
		bool ok = sa != NULL;
		json_decref(sa);
		if (!ok)
			return "does not exist";
	}
	return NULL;
}

static bool role_ok(const char *r)
{
	const char *body = NULL;
	if (st_starts_with(r, "roles/"))
		body = r + 6;
	else if (st_starts_with(r, "projects/") || st_starts_with(r, "organizations/"))
		body = strstr(r, "/roles/") ? strstr(r, "/roles/") + 7 : NULL;
	if (!body || !*body)
		return false;
	for (; *body; body++)
		if (!isalnum((unsigned char)*body) && *body != '.' && *body != '_')
			return false;
	return true;
}

static int check_binding(sb_server *s, sb_call *c, json_t *b, size_t i, int version)
{
	const char *role = stj_str(b, "role");
	json_t *members = json_object_get(b, "members");
	if (!role || !role_ok(role)) {
		sb_reply_invalid(c, "policy.bindings[%zu].role: '%s' is not a valid role name", i,
				 role ? role : "");
		return -1;
	}
	if (!json_is_array(members)) {
		sb_reply_invalid(c, "policy.bindings[%zu].members: an array is required", i);
		return -1;
	}
	size_t j;
	json_t *m;
	json_array_foreach(members, j, m) {
		const char *why = json_is_string(m) ? member_error(s, json_string_value(m))
						    : "is not a string";
		if (why) {
			sb_reply_invalid(c, "policy.bindings[%zu].members[%zu]: %s %s", i, j,
					 json_is_string(m) ? json_string_value(m) : "", why);
			return -1;
		}
	}
	json_t *cond = json_object_get(b, "condition");
	if (cond && (!stj_str(cond, "expression") || !*stj_str(cond, "expression"))) {
		sb_reply_invalid(c, "policy.bindings[%zu].condition.expression: required", i);
		return -1;
	}
	if (cond && version != 3) {
		sb_reply_invalid(c, "policy.version: conditional role bindings need version 3");
		return -1;
	}
	return 0;
}

static int check_audit_configs(sb_call *c, json_t *acs)
{
	static const char *const types[] = {"ADMIN_READ", "DATA_WRITE", "DATA_READ"};
	if (!acs)
		return 0;
	if (!json_is_array(acs))
		return sb_reply_invalid(c, "policy.auditConfigs: an array is required"), -1;
	size_t i, j;
	json_t *ac, *lc;
	json_array_foreach(acs, i, ac) {
		if (!stj_str(ac, "service") || !*stj_str(ac, "service"))
			return sb_reply_invalid(c, "policy.auditConfigs[%zu].service: required", i),
			       -1;
		json_array_foreach(json_object_get(ac, "auditLogConfigs"), j, lc) {
			const char *t = stj_str(lc, "logType");
			bool ok = false;
			for (size_t k = 0; t && k < 3; k++)
				ok = ok || strcmp(t, types[k]) == 0;
			if (!ok)
				return sb_reply_invalid(c, "policy.auditConfigs[%zu].auditLogConfigs"
							   "[%zu].logType: invalid value '%s' "
							   "(ADMIN_READ, DATA_WRITE or DATA_READ)",
							i, j, t ? t : ""), -1;
		}
	}
	return 0;
}

static int check_policy(sb_server *s, sb_call *c, json_t *pol, int version)
{
	json_t *bindings = json_object_get(pol, "bindings");
	if (bindings && !json_is_array(bindings))
		return sb_reply_invalid(c, "policy.bindings: an array is required"), -1;
	size_t i;
	json_t *b;
	json_array_foreach(bindings, i, b)
		if (check_binding(s, c, b, i, version) < 0)
			return -1;
	return check_audit_configs(c, json_object_get(pol, "auditConfigs"));
}

/* updateMask fields; -1 (answered) on an unknown one. */
enum { M_BINDINGS = 1, M_ETAG = 2, M_AUDIT = 4, M_VERSION = 8 };

static int parse_mask(sb_call *c, const char *mask)
{
	if (!mask || !*mask)
		return M_BINDINGS | M_ETAG;
	int m = 0;
	char *copy = st_xstrdup(mask);
	char *save = NULL;
	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		f = st_trim(f);
		if (strcmp(f, "bindings") == 0)
			m |= M_BINDINGS;
		else if (strcmp(f, "etag") == 0)
			m |= M_ETAG;
		else if (strcmp(f, "auditConfigs") == 0 || strcmp(f, "audit_configs") == 0)
			m |= M_AUDIT;
		else if (strcmp(f, "version") == 0)
			m |= M_VERSION;
		else {
			sb_reply_invalid(c, "updateMask: unknown field '%s'", f);
			free(copy);
			return -1;
		}
	}
	free(copy);
	return m;
}

/* ------------------------------------------------------------------ get/setIamPolicy */

static int policy_version(sb_call *c, json_t *v, const char *field)
{
	long long n = 0;
	char *end = NULL;
	if (!v)
		return 0;
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_string(v) && *json_string_value(v))
		n = strtoll(json_string_value(v), &end, 10);
	if ((!json_is_integer(v) && (!end || *end)) || (n != 0 && n != 1 && n != 3)) {
		sb_reply_invalid(c, "%s: invalid policy version (0, 1 or 3)", field);
		return -1;
	}
	return (int)n;
}

static json_t *policy_reply(json_t *pol)
{
	json_t *out = json_deep_copy(pol);
	json_object_set_new(out, "version", json_integer(has_conditions(pol) ? 3 : 1));
	if (json_array_size(json_object_get(out, "auditConfigs")) == 0)
		json_object_del(out, "auditConfigs");
	return out;
}

void sb_policy_get(sb_server *s, sb_call *c, const char *key, bool owner)
{
	json_t *req = sb_json(c);
	if (!req)
		return;
	json_t *opt = stj_get(req, "options.requestedPolicyVersion");
	const char *q = sb_query(c, "options.requestedPolicyVersion");
	json_t *qv = q ? json_string(q) : NULL;
	int want = policy_version(c, opt ? opt : qv, "options.requestedPolicyVersion");
	json_decref(qv);
	if (want < 0)
		return;
	json_t *pol = load_policy_key(s, key, owner);
	if (has_conditions(pol) && want != 3) {
		json_decref(pol);
		return sb_reply_invalid(c, "options.requestedPolicyVersion: the policy has "
					   "conditional role bindings; request version 3");
	}
	sb_audit_resource(c, key);
	sb_reply_json(c, 200, policy_reply(pol));
	json_decref(pol);
}

static void apply_policy(sb_server *s, sb_call *c, const char *key, json_t *cur, json_t *in,
			 int mask)
{
	json_t *next = json_deep_copy(cur);
	json_t *b = json_object_get(in, "bindings"), *a = json_object_get(in, "auditConfigs");
	if (mask & M_BINDINGS)
		json_object_set_new(next, "bindings", b ? json_incref(b) : json_array());
	if (mask & M_AUDIT)
		json_object_set_new(next, "auditConfigs", a ? json_incref(a) : json_array());
	char *etag = new_etag(s);
	json_object_set_new(next, "etag", json_string(etag));
	free(etag);
	if (sb_put(s, "policy", key, next) < 0)
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "cannot store the policy");
	else
		sb_reply_json(c, 200, policy_reply(next));
	sb_audit_resource(c, key);
	json_decref(next);
}

void sb_policy_set(sb_server *s, sb_call *c, const char *key, bool owner)
{
	json_t *req = sb_json(c);
	if (!req)
		return;
	json_t *in = json_object_get(req, "policy");
	if (!json_is_object(in))
		return sb_reply_invalid(c, "policy: required");
	json_t *mask_v = json_object_get(req, "updateMask");
	if (mask_v && !json_is_string(mask_v))
		return sb_reply_invalid(c, "updateMask: must be a string such as "
					   "\"bindings,etag,auditConfigs\"");
	int mask = parse_mask(c, json_string_value(mask_v));
	int version = policy_version(c, json_object_get(in, "version"), "policy.version");
	if (mask < 0 || version < 0 || check_policy(s, c, in, version) < 0)
		return;
	/* Audit logging is configured on projects only. */
	if (!owner && ((mask & M_AUDIT) || json_array_size(json_object_get(in, "auditConfigs"))))
		return sb_reply_invalid(c, "policy.auditConfigs: audit configs can only be set "
					   "on a project");
	json_t *cur = load_policy_key(s, key, owner);
	const char *etag = stj_str(in, "etag");
	if (etag && *etag && strcmp(etag, stj_str(cur, "etag")) != 0) {
		json_decref(cur);
		return sb_reply_error(c, 409, "ABORTED", NULL,
				      "There were concurrent policy changes. Please retry the whole "
				      "read-modify-write with exponential backoff.");
	}
	apply_policy(s, c, key, cur, in, mask);
	json_decref(cur);
}

static void get_iam_policy(sb_server *s, sb_call *c)
{
	const char *p = sb_need_project(c);
	if (!p)
		return;
	char *key = st_xasprintf("projects/%s", p);
	sb_policy_get(s, c, key, true);
	free(key);
}

static void set_iam_policy(sb_server *s, sb_call *c)
{
	const char *p = sb_need_project(c);
	if (!p)
		return;
	char *key = st_xasprintf("projects/%s", p);
	sb_policy_set(s, c, key, true);
	free(key);
}

static void test_permissions(sb_server *s, sb_call *c)
{
	json_t *req = sb_json(c);
	if (!req)
		return;
	json_t *perms = json_object_get(req, "permissions");
	if (!json_is_array(perms))
		return sb_reply_invalid(c, "permissions: an array is required");
	/* Sandbox callers act as project owner: every permission asked for is held. */
	(void)s;
	sb_reply_json(c, 200, json_pack("{s:O}", "permissions", perms));
}

#define RM(m) "google.cloudresourcemanager.v1.Projects." m
static const sb_route routes[] = {
	{"POST", "/v1/projects/{project}:getIamPolicy", get_iam_policy, CRM, "GetIamPolicy",
	 SB_ADMIN_READ},
	{"POST", "/v1/projects/{project}:setIamPolicy", set_iam_policy, CRM, "SetIamPolicy", 0},
	{"POST", "/v1/projects/{project}:testIamPermissions", test_permissions, CRM,
	 "TestIamPermissions", SB_ADMIN_READ},
	{"GET", "/v1/projects/{project}", get_project_v1, CRM, RM("GetProject"), 0},
	{"POST", "/v3/projects/{project}:getIamPolicy", get_iam_policy, CRM, "GetIamPolicy",
	 SB_ADMIN_READ},
	{"POST", "/v3/projects/{project}:setIamPolicy", set_iam_policy, CRM, "SetIamPolicy", 0},
	{"GET", "/v3/projects/{project}", get_project_v3, CRM,
	 "google.cloud.resourcemanager.v3.Projects.GetProject", 0},
};
#undef RM

const sb_service sb_svc_crm = {
	.name = CRM,
	.routes = routes,
	.nroutes = sizeof routes / sizeof *routes,
};
