/* Service Usage v1: which APIs a project has enabled. Enabling goes through an LRO
 * that completes half a sandbox second later, all services of a batch at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "sandbox/server.h"

#define SU "serviceusage.googleapis.com"
#define SU_DELAY_MS 500
#define SU_MAX_BATCH 20

static const struct {
	const char *name, *title;
} titles[] = {
	{"aiplatform.googleapis.com", "Vertex AI API"},
	{"cloudkms.googleapis.com", "Cloud Key Management Service (KMS) API"},
	{"cloudresourcemanager.googleapis.com", "Cloud Resource Manager API"},
	{"compute.googleapis.com", "Compute Engine API"},
	{"confidentialcomputing.googleapis.com", "Confidential Computing API"},
	{"iam.googleapis.com", "Identity and Access Management (IAM) API"},
	{"logging.googleapis.com", "Cloud Logging API"},
	{"monitoring.googleapis.com", "Cloud Monitoring API"},
	{"serviceusage.googleapis.com", "Service Usage API"},
	{"storage.googleapis.com", "Cloud Storage JSON API"},
};

static const char *title_of(const char *name)
{
	for (size_t i = 0; i < sizeof titles / sizeof *titles; i++)
		if (strcmp(titles[i].name, name) == 0)
			return titles[i].title;
	return name;
}

/* The services the sandbox serves: the registered modules named *.googleapis.com. */
static bool known_service(sb_server *s, const char *name)
{
	for (size_t i = 0; i < s->nservices; i++)
		if (strcmp(s->services[i]->name, name) == 0)
			return st_ends_with(name, ".googleapis.com");
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Known service names in name order; count in *n. Caller frees the array only. */
static const char **known_sorted(sb_server *s, size_t *n)
{
	const char **v = st_xcalloc(s->nservices + 1, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < s->nservices; i++)
		if (st_ends_with(s->services[i]->name, ".googleapis.com"))
			v[(*n)++] = s->services[i]->name;
	qsort(v, *n, sizeof *v, cmp_str);
	return v;
}

static char *state_key(const char *project, const char *service)
{
	return st_xasprintf("%s/%s", project, service);
}

bool sb_service_enabled(sb_server *s, const char *project, const char *service)
{
	char *k = state_key(project, service);
	json_t *d = sb_get(s, "su_state", k);
	free(k);
	bool on = d && stj_str(d, "state") && strcmp(stj_str(d, "state"), "ENABLED") == 0;
	json_decref(d);
	return on;
}

static json_t *service_json(sb_server *s, const char *project, const char *service)
{
	long long num = (long long)sb_project_number(s, project);
	char *name = st_xasprintf("projects/%lld/services/%s", num, service);
	char *parent = st_xasprintf("projects/%lld", num);
	json_t *v = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}", "name", name, "parent", parent,
			      "config", "name", service, "title", title_of(service), "state",
			      sb_service_enabled(s, project, service) ? "ENABLED" : "DISABLED");
	free(name);
	free(parent);
	return v;
}

/* Every Service Usage route names a project; NULL (answered 400) for "-" or "_". */
static const char *project_of(sb_call *c)
{
	return sb_need_project(c);
}

static void not_found_services(sb_call *c, const char *list)
{
	sb_reply_error(c, 403, "PERMISSION_DENIED", "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED",
		       "Not found or permission denied for service(s): %s.", list);
}

/* Starts the LRO that flips the services' state when it completes. */
static void start_change(sb_server *s, sb_call *c, json_t *services, bool enable,
			 const char *response_type)
{
	const char *project = project_of(c);
	char uuid[37];
	st_uuid4(uuid);
	char *name = st_xasprintf("operations/acf.p2-%lld-%s",
				  (long long)sb_project_number(s, project), uuid);
	json_t *meta = json_pack("{s:s, s:[]}", "@type",
				 "type.googleapis.com/google.api.serviceusage.v1.OperationMetadata",
				 "resourceNames");
	json_t *op = sb_op_new(s, name, meta);
	json_t *pending = json_pack("{s:s, s:s, s:O, s:b, s:s, s:I}", "operation", name,
				    "project", project, "services", services, "enable", enable,
				    "responseType", response_type,
				    "dueMs", (json_int_t)(sb_now_ms(s) + SU_DELAY_MS));
	if (!op || sb_put(s, "su_pending", name, pending) < 0)
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "cannot record the operation");
	else
		sb_reply_json(c, 200, json_incref(op));
	json_decref(pending);
	json_decref(op);
	free(name);
}

static void batch_enable(sb_server *s, sb_call *c)
{
	if (!project_of(c))
		return;
	json_t *req = sb_json(c);
	if (!req)
		return;
	json_t *ids = json_object_get(req, "serviceIds");
	if (!json_is_array(ids) || json_array_size(ids) == 0)
		return sb_reply_invalid(c, "serviceIds: at least one service id is required");
	if (json_array_size(ids) > SU_MAX_BATCH)
		return sb_reply_invalid(c, "serviceIds: at most %d services per batch",
					SU_MAX_BATCH);
	size_t i;
	json_t *v;
	st_buf unknown;
	st_buf_init(&unknown);
	json_array_foreach(ids, i, v) {
		if (!json_is_string(v)) {
			st_buf_free(&unknown);
			return sb_reply_invalid(c, "serviceIds[%zu]: must be a string", i);
		}
		if (!known_service(s, json_string_value(v)))
			st_buf_printf(&unknown, "%s%s", unknown.len ? ", " : "",
				      json_string_value(v));
	}
	if (unknown.len)
		not_found_services(c, unknown.p);
	else
		start_change(s, c, ids, true,
			     "type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse");
	st_buf_free(&unknown);
}

static void enable_one(sb_server *s, sb_call *c, bool enable)
{
	if (!project_of(c))
		return;
	const char *svc = sb_var(c, "service");
	json_t *req = sb_json(c);
	if (!req)
		return;
	if (!known_service(s, svc))
		return not_found_services(c, svc);
	json_t *ids = json_pack("[s]", svc);
	start_change(s, c, ids, enable,
		     enable ? "type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse"
			    : "type.googleapis.com/google.api.serviceusage.v1.DisableServiceResponse");
	json_decref(ids);
}

static void enable(sb_server *s, sb_call *c)
{
	enable_one(s, c, true);
}

static void disable(sb_server *s, sb_call *c)
{
	enable_one(s, c, false);
}

static void get_service(sb_server *s, sb_call *c)
{
	if (!project_of(c))
		return;
	const char *svc = sb_var(c, "service");
	if (!known_service(s, svc))
		return not_found_services(c, svc);
	sb_reply_json(c, 200, service_json(s, project_of(c), svc));
}

static void batch_get(sb_server *s, sb_call *c)
{
	if (!project_of(c))
		return;
	size_t n = 0;
	const char *const *names = sb_query_all(c, "names", &n);
	if (n == 0 || n > SU_MAX_BATCH)
		return sb_reply_invalid(c, "names: between 1 and %d service names are required",
					SU_MAX_BATCH);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(names[i], '/');
		const char *svc = slash ? slash + 1 : names[i];
		if (!known_service(s, svc)) {
			json_decref(out);
			return not_found_services(c, svc);
		}
		json_array_append_new(out, service_json(s, project_of(c), svc));
	}
	sb_reply_json(c, 200, json_pack("{s:o}", "services", out));
}

static int page_size(sb_call *c, int def, int max)
{
	const char *ps = sb_query(c, "pageSize");
	if (!ps)
		return def;
	char *end;
	long n = strtol(ps, &end, 10);
	if (*end || n < 0)
		return -1;
	return n == 0 ? def : n > max ? max : (int)n;
}

static void list_services(sb_server *s, sb_call *c)
{
	if (!project_of(c))
		return;
	const char *filter = sb_query(c, "filter");
	const char *want = NULL;
	if (filter && strcmp(filter, "state:ENABLED") == 0)
		want = "ENABLED";
	else if (filter && strcmp(filter, "state:DISABLED") == 0)
		want = "DISABLED";
	else if (filter && *filter)
		return sb_reply_invalid(c, "filter: only state:ENABLED and state:DISABLED are "
					   "supported, got '%s'", filter);
	int limit = page_size(c, 50, 200);
	if (limit < 0)
		return sb_reply_invalid(c, "pageSize: must be a non-negative integer");
	char *after = NULL;
	const char *tok = sb_query(c, "pageToken");
	if (tok && *tok && !(after = sb_page_token_decode(tok)))
		return sb_reply_invalid(c, "pageToken: invalid page token");
	size_t n;
	const char **names = known_sorted(s, &n);
	json_t *out = json_array();
	const char *last = NULL;
	bool more = false;
	for (size_t i = 0; i < n; i++) {
		if (after && strcmp(names[i], after) <= 0)
			continue;
		json_t *svc = service_json(s, project_of(c), names[i]);
		if (want && strcmp(stj_str(svc, "state"), want) != 0) {
			json_decref(svc);
			continue;
		}
		if ((int)json_array_size(out) == limit) {
			json_decref(svc);
			more = true;
			break;
		}
		json_array_append_new(out, svc);
		last = names[i];
	}
	json_t *reply = json_pack("{s:o}", "services", out);
	if (more)
		sb_set_page_token(reply, last);
	free(names);
	free(after);
	sb_reply_json(c, 200, reply);
}

static void get_operation(sb_server *s, sb_call *c)
{
	char *name = st_xasprintf("operations/%s", sb_var(c, "op"));
	json_t *op = sb_op_get(s, name);
	if (!op)
		sb_reply_not_found(c, name);
	else
		sb_reply_json(c, 200, op);
	free(name);
}

static void complete(sb_server *s, const char *opname, json_t *p)
{
	const char *project = stj_str(p, "project");
	bool on = stj_bool(p, "enable", true);
	json_t *services = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(p, "services"), i, v) {
		char *k = state_key(project, json_string_value(v));
		json_t *st = json_pack("{s:s}", "state", on ? "ENABLED" : "DISABLED");
		sb_put(s, "su_state", k, st);
		json_decref(st);
		free(k);
		json_array_append_new(services, service_json(s, project, json_string_value(v)));
	}
	const char *type = stj_str(p, "responseType");
	json_t *resp;
	if (strstr(type, "BatchEnable")) {
		resp = json_pack("{s:s, s:o}", "@type", type, "services", services);
	} else {
		resp = json_pack("{s:s, s:O}", "@type", type, "service",
				 json_array_get(services, 0));
		json_decref(services);
	}
	sb_op_finish(s, opname, resp);
	sb_del(s, "su_pending", opname);
}

static void tick(sb_server *s)
{
	json_t *pending = sb_list(s, "su_pending", "");
	size_t i;
	json_t *p;
	int64_t now = sb_now_ms(s);
	json_array_foreach(pending, i, p) {
		int64_t due = 0;
		stj_int64(p, "dueMs", &due);
		if (due > now)
			continue;
		const char *opname = stj_str(p, "operation");
		if (opname)
			complete(s, opname, p);
	}
	json_decref(pending);
}

#define F SB_NO_SERVICE_CHECK
static const sb_route routes[] = {
	{"POST", "/v1/projects/{project}/services:batchEnable", batch_enable, SU,
	 "google.api.serviceusage.v1.ServiceUsage.BatchEnableServices", F},
	{"GET", "/v1/projects/{project}/services:batchGet", batch_get, SU,
	 "google.api.serviceusage.v1.ServiceUsage.BatchGetServices", F},
	{"POST", "/v1/projects/{project}/services/{service}:enable", enable, SU,
	 "google.api.serviceusage.v1.ServiceUsage.EnableService", F},
	{"POST", "/v1/projects/{project}/services/{service}:disable", disable, SU,
	 "google.api.serviceusage.v1.ServiceUsage.DisableService", F},
	{"GET", "/v1/projects/{project}/services/{service}", get_service, SU,
	 "google.api.serviceusage.v1.ServiceUsage.GetService", F},
	{"GET", "/v1/projects/{project}/services", list_services, SU,
	 "google.api.serviceusage.v1.ServiceUsage.ListServices", F},
	{"GET", "/v1/operations/{op**}", get_operation, SU, NULL, F},
};
#undef F

const sb_service sb_svc_serviceusage = {
	.name = SU,
	.routes = routes,
	.nroutes = sizeof routes / sizeof *routes,
	.tick = tick,
};
