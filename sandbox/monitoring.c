/* Cloud Monitoring v3: alert policies (server-named), metric descriptors (a fixed
 * catalogue including the Shielded/Confidential VM integrity metrics), and
 * timeSeries.list for those integrity metrics, one series per booted VM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "sandbox/capacity.h"
#include "sandbox/compute.h"

#define MON_SERVICE "monitoring.googleapis.com"
#define CK_POLICY "monitoring.alertPolicy"
#define INTEGRITY "compute.googleapis.com/instance/integrity/"

static const struct {
	const char *type, *kind, *value, *unit, *label, *desc;
} catalogue[] = {
	{INTEGRITY "early_boot_validation_status", "GAUGE", "INT64", "1", "status",
	 "Validation status of the early boot integrity policy (passed, failed, unknown)."},
	{INTEGRITY "late_boot_validation_status", "GAUGE", "INT64", "1", "status",
	 "Validation status of the late boot integrity policy (passed, failed, unknown)."},
	{"compute.googleapis.com/instance/uptime", "DELTA", "DOUBLE", "s", NULL,
	 "Seconds the VM has been running."},
	{"compute.googleapis.com/instance/cpu/utilization", "GAUGE", "DOUBLE", "10^2.%", NULL,
	 "Fraction of the allocated CPU in use."},
	{"aiplatform.googleapis.com/training/job/state", "GAUGE", "INT64", "1", "state",
	 "State of a custom training job."},
};
#define NCAT (sizeof(catalogue) / sizeof(catalogue[0]))

static json_t *descriptor(const char *project, size_t i)
{
	json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}",
		"name", "", "type", catalogue[i].type, "metricKind", catalogue[i].kind,
		"valueType", catalogue[i].value, "unit", catalogue[i].unit,
		"description", catalogue[i].desc, "displayName", cap_basename(catalogue[i].type),
		"launchStage", "GA", "monitoredResourceTypes",
		strstr(catalogue[i].type, "aiplatform") ? "aiplatform.googleapis.com/CustomJob" :
		"gce_instance");

	json_object_set_new(d, "name", json_sprintf("projects/%s/metricDescriptors/%s", project,
						    catalogue[i].type));
	json_object_set_new(d, "labels", catalogue[i].label ?
		json_pack("[{s:s, s:s}]", "key", catalogue[i].label, "valueType", "STRING") :
		json_array());
	return d;
}

/* The filter subset used to find metrics: metric.type = "T" or
 * metric.type = starts_with("T"), spaces optional. 0 ok; -1 unsupported. */
static int type_filter(const char *f, char *want, size_t size, int *prefix)
{
	const char *p = f, *q;

	*prefix = 0;
	want[0] = '\0';
	if (!f || !*f)
		return 0;
	while (*p == ' ')
		p++;
	if (!st_starts_with(p, "metric.type"))
		return -1;
	p += 11;
	while (*p == ' ')
		p++;
	if (*p++ != '=')
		return -1;
	while (*p == ' ')
		p++;
	if (st_starts_with(p, "starts_with(")) {
		*prefix = 1;
		p += 12;
	}
	if (*p++ != '"' || !(q = strchr(p, '"')) || (size_t)(q - p) >= size)
		return -1;
	memcpy(want, p, (size_t)(q - p));
	want[q - p] = '\0';
	q++;
	if (*prefix && *q++ != ')')
		return -1;
	while (*q == ' ')
		q++;
	/* A trailing "AND ..." (resource.type and the like) narrows nothing here. */
	return *q == '\0' || st_starts_with(q, "AND ") ? 0 : -1;
}

static bool type_matches(const char *type, const char *want, int prefix)
{
	return !*want || (prefix ? st_starts_with(type, want) : strcmp(type, want) == 0);
}

static void descriptors_list(sb_server *s, sb_call *c)
{
	char want[256];
	int prefix;
	size_t i;
	json_t *arr;

	if (type_filter(sb_query(c, "filter"), want, sizeof(want), &prefix) != 0) {
		sb_reply_invalid(c, "Could not parse filter '%.200s': the sandbox understands "
				 "metric.type = \"T\" and metric.type = starts_with(\"T\")",
				 sb_query(c, "filter"));
		return;
	}
	arr = json_array();
	for (i = 0; i < NCAT; i++)
		if (type_matches(catalogue[i].type, want, prefix))
			json_array_append_new(arr, descriptor(sb_var(c, "project"), i));
	sb_reply_json(c, 200, json_pack("{s:o}", "metricDescriptors", arr));
}

static bool known_metric(const char *type)
{
	size_t i;

	if (st_starts_with(type, "custom.googleapis.com/") ||
	    st_starts_with(type, "logging.googleapis.com/user/") ||
	    st_starts_with(type, "workload.googleapis.com/"))
		return true;
	for (i = 0; i < NCAT; i++)
		if (strcmp(catalogue[i].type, type) == 0)
			return true;
	return false;
}

/* metric.type="T" anywhere in a condition filter. */
static int filter_metric(const char *filter, char *out, size_t size)
{
	const char *p = filter ? strstr(filter, "metric.type") : NULL, *q;

	if (!p)
		return -1;
	p = strchr(p, '"');
	q = p ? strchr(p + 1, '"') : NULL;
	if (!q || (size_t)(q - p - 1) >= size)
		return -1;
	memcpy(out, p + 1, (size_t)(q - p - 1));
	out[q - p - 1] = '\0';
	return 0;
}

static int check_condition(sb_call *c, const json_t *pol, const json_t *cond, size_t i)
{
	json_t *th = json_object_get(cond, "conditionThreshold");
	json_t *ab = json_object_get(cond, "conditionAbsent");
	json_t *ml = json_object_get(cond, "conditionMatchedLog");
	const char *filter;
	char type[256];

	if (!!th + !!ab + !!ml != 1) {
		sb_reply_invalid(c, "conditions[%zu]: exactly one of conditionThreshold, "
				 "conditionAbsent or conditionMatchedLog is required (the sandbox "
				 "supports these three)", i);
		return -1;
	}
	if (ml) {
		if (!stj_str(ml, "filter") || !stj_get(pol, "alertStrategy.notificationRateLimit")) {
			sb_reply_invalid(c, "conditions[%zu]: a log match condition needs a filter "
					 "and alertStrategy.notificationRateLimit", i);
			return -1;
		}
		return 0;
	}
	filter = stj_str(th ? th : ab, "filter");
	if (filter_metric(filter, type, sizeof(type)) != 0) {
		sb_reply_invalid(c, "conditions[%zu].filter must name a metric.type", i);
		return -1;
	}
	if (!known_metric(type)) {
		sb_reply_error(c, 404, "NOT_FOUND", NULL, "Cannot find metric(s) that match type = "
			       "\"%s\".", type);
		return -1;
	}
	return 0;
}

static int check_policy(sb_call *c, const json_t *pol)
{
	json_t *conds = json_object_get(pol, "conditions"), *cond;
	const char *comb = stj_str(pol, "combiner");
	size_t i;

	if (!json_is_array(conds) || json_array_size(conds) == 0 || json_array_size(conds) > 6) {
		sb_reply_invalid(c, "An alert policy needs between 1 and 6 conditions.");
		return -1;
	}
	if (json_array_size(conds) > 1 && !comb) {
		sb_reply_invalid(c, "combiner is required when a policy has several conditions.");
		return -1;
	}
	if (comb && strcmp(comb, "AND") && strcmp(comb, "OR") &&
	    strcmp(comb, "AND_WITH_MATCHING_RESOURCE")) {
		sb_reply_invalid(c, "Invalid value for combiner: %s", comb);
		return -1;
	}
	json_array_foreach(conds, i, cond)
		if (check_condition(c, pol, cond, i))
			return -1;
	return 0;
}

static void name_conditions(json_t *pol, const char *name, int64_t base)
{
	json_t *cond;
	size_t i;

	json_array_foreach(json_object_get(pol, "conditions"), i, cond)
		json_object_set_new(cond, "name", json_sprintf("%s/conditions/%lld", name,
							       (long long)(base + (int64_t)i)));
}

static void policy_create(sb_server *s, sb_call *c)
{
	json_t *body = sb_json(c), *pol;
	int64_t id;
	char ts[48], *name;

	if (!body || check_policy(c, body))
		return;
	id = sb_next_id(s, "monitoring.alertPolicy");
	name = st_xasprintf("projects/%s/alertPolicies/%lld", sb_var(c, "project"),
			    (long long)(1300000000000000000LL + id * 7919));
	pol = json_deep_copy(body);
	sb_now_rfc3339(s, ts, sizeof(ts));
	json_object_set_new(pol, "name", json_string(name));
	if (!json_object_get(pol, "enabled"))
		json_object_set_new(pol, "enabled", json_true());
	json_object_set_new(pol, "creationRecord", json_pack("{s:s, s:s}", "mutateTime", ts,
							      "mutatedBy", sb_principal_email(c)));
	json_object_set(pol, "mutationRecord", json_object_get(pol, "creationRecord"));
	name_conditions(pol, name, id * 100);
	sb_put(s, CK_POLICY, name, pol);
	sb_reply_json(c, 200, pol);
	free(name);
}

static char *policy_name(sb_call *c)
{
	return st_xasprintf("projects/%s/alertPolicies/%s", sb_var(c, "project"),
			    sb_var(c, "policy"));
}

static void policy_get(sb_server *s, sb_call *c)
{
	char *name = policy_name(c);
	json_t *pol = sb_get(s, CK_POLICY, name);

	if (pol)
		sb_reply_json(c, 200, pol);
	else
		sb_reply_not_found(c, name);
	free(name);
}

static void policy_delete(sb_server *s, sb_call *c)
{
	char *name = policy_name(c);

	if (sb_del(s, CK_POLICY, name) == 0)
		sb_reply_json(c, 200, json_object());
	else
		sb_reply_not_found(c, name);
	free(name);
}

static void policy_list(sb_server *s, sb_call *c)
{
	const char *ps = sb_query(c, "pageSize"), *tok = sb_query(c, "pageToken");
	long size = ps ? strtol(ps, NULL, 10) : 100;
	char *prefix = st_xasprintf("projects/%s/alertPolicies/", sb_var(c, "project"));
	char *after = tok ? sb_page_token_decode(tok) : st_xstrdup(""), *next = NULL;
	json_t *page, *out;

	if (!after || size < 0 || size > 1000) {
		sb_reply_invalid(c, "Invalid %s.", after ? "pageSize" : "pageToken");
	} else {
		page = sb_list_page(s, CK_POLICY, prefix, after, size ? (size_t)size : 100, &next);
		out = json_pack("{s:o, s:I}", "alertPolicies", page, "totalSize",
				(json_int_t)json_array_size(page));
		sb_set_page_token(out, next);
		sb_reply_json(c, 200, out);
	}
	free(prefix);
	free(after);
	free(next);
}

/* One point per booted VM of the project with integrity monitoring on: the policy
 * always passes in the sandbox (there is no real measured boot to fail). */
static json_t *integrity_series(sb_server *s, const char *project, const char *type,
				const char *end)
{
	char *prefix = st_xasprintf("projects/%s/zones/", project);
	json_t *all = sb_list(s, CK_INSTANCE, prefix), *inst, *out = json_array();
	size_t i;

	json_array_foreach(all, i, inst) {
		if (co_priv_int(inst, "boot", 0) < 1 ||
		    !stj_bool(inst, "shieldedInstanceConfig.enableIntegrityMonitoring", true))
			continue;
		json_array_append_new(out, json_pack(
			"{s:{s:s, s:{s:s}}, s:{s:s, s:{s:s, s:s, s:s}}, s:s, s:s,"
			" s:[{s:{s:s, s:s}, s:{s:o}}]}",
			"metric", "type", type, "labels", "status", "passed",
			"resource", "type", "gce_instance", "labels", "project_id", project,
			"instance_id", stj_str(inst, "id"), "zone", cap_basename(stj_str(inst, "zone")),
			"metricKind", "GAUGE", "valueType", "INT64",
			"points", "interval", "startTime", end, "endTime", end,
			"value", "int64Value", stj_int64_string(1)));
	}
	json_decref(all);
	free(prefix);
	return out;
}

static void time_series_list(sb_server *s, sb_call *c)
{
	const char *f = sb_query(c, "filter"), *end = sb_query(c, "interval.endTime");
	const char *start = sb_query(c, "interval.startTime");
	char type[256];
	int prefix;
	int64_t e, st;
	json_t *series;

	if (!f || type_filter(f, type, sizeof(type), &prefix) != 0 || prefix || !*type) {
		sb_reply_invalid(c, "filter must be metric.type = \"T\" (got '%.200s')", f ? f : "");
		return;
	}
	if (!end || st_rfc3339_parse(end, &e) != 0 || (start && st_rfc3339_parse(start, &st))) {
		sb_reply_invalid(c, "interval.endTime (and interval.startTime if given) must be "
				 "RFC 3339 timestamps");
		return;
	}
	if (!known_metric(type)) {
		sb_reply_error(c, 404, "NOT_FOUND", NULL, "Cannot find metric(s) that match type = "
			       "\"%s\".", type);
		return;
	}
	series = st_starts_with(type, INTEGRITY) ?
		integrity_series(s, sb_var(c, "project"), type, end) : json_array();
	sb_reply_json(c, 200, json_pack("{s:o, s:s}", "timeSeries", series, "unit", "1"));
}

#define PRJ "/v3/projects/{project}"

static const sb_route routes[] = {
	{"POST", PRJ "/alertPolicies", policy_create, MON_SERVICE,
	 "google.monitoring.v3.AlertPolicyService.CreateAlertPolicy", 0},
	{"GET", PRJ "/alertPolicies", policy_list, MON_SERVICE,
	 "google.monitoring.v3.AlertPolicyService.ListAlertPolicies", SB_ADMIN_READ},
	{"GET", PRJ "/alertPolicies/{policy}", policy_get, MON_SERVICE,
	 "google.monitoring.v3.AlertPolicyService.GetAlertPolicy", SB_ADMIN_READ},
	{"DELETE", PRJ "/alertPolicies/{policy}", policy_delete, MON_SERVICE,
	 "google.monitoring.v3.AlertPolicyService.DeleteAlertPolicy", 0},
	{"GET", PRJ "/metricDescriptors", descriptors_list, MON_SERVICE,
	 "google.monitoring.v3.MetricService.ListMetricDescriptors", SB_ADMIN_READ},
	{"GET", PRJ "/timeSeries", time_series_list, MON_SERVICE,
	 "google.monitoring.v3.MetricService.ListTimeSeries", SB_DATA_ACCESS},
};

const sb_service sb_svc_monitoring = {
	.name = MON_SERVICE,
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
};
