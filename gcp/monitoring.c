#include "gcp/monitoring.h"

#include <stdlib.h>

#include "common/json.h"
#include "common/timeutil.h"

static gcp_rq *at(const gcp_endpoints *ep, const char *method, const char *id, char *path)
{
	gcp_rq *rq = path ? gcp_rq_new(ep, GCP_API_MONITORING, NULL, method, id, path) : NULL;
	free(path);
	return rq;
}

static json_t *condition(const gcp_alert_spec *s)
{
	json_t *c = json_pack("{s:s}", "displayName", s->condition_name ? s->condition_name : s->display_name);
	if (s->log_filter) {
		json_object_set_new(c, "conditionMatchedLog", json_pack("{s:s}", "filter", s->log_filter));
		return c;
	}
	json_object_set_new(c, "conditionThreshold",
			    json_pack("{s:s,s:s,s:f,s:s,s:[{s:s,s:s}],s:{s:i}}", "filter", s->metric_filter ? s->metric_filter : "",
				      "comparison", "COMPARISON_GT", "thresholdValue", 0.0, "duration", "0s",
				      "aggregations", "alignmentPeriod", "300s", "perSeriesAligner", "ALIGN_MAX",
				      "trigger", "count", 1));
	return c;
}

gcp_rq *gcp_mon_alert_create(const gcp_endpoints *ep, const char *project, const gcp_alert_spec *s)
{
	gcp_rq *rq = at(ep, "POST", "monitoring.projects.alertPolicies.create",
			gcp_pathf("/v3/projects/%s/alertPolicies", project));
	rq->flags |= GCP_NOT_IDEMPOTENT; /* server-named: a blind retry could make two */
	json_t *b = json_pack("{s:s,s:s,s:b,s:[o],s:[]}", "displayName", s->display_name, "combiner", "OR",
			      "enabled", 1, "conditions", condition(s), "notificationChannels");
	if (s->severity)
		json_object_set_new(b, "severity", json_string(s->severity));
	if (s->labels)
		json_object_set_new(b, "userLabels", json_deep_copy(s->labels));
	/* Log-match conditions are refused without a notification rate limit. */
	json_t *strategy = json_pack("{s:s}", "autoClose", "1800s");
	if (s->log_filter)
		json_object_set_new(strategy, "notificationRateLimit", json_pack("{s:s}", "period", "300s"));
	json_object_set_new(b, "alertStrategy", strategy);
	gcp_rq_body(rq, b);
	return rq;
}

gcp_rq *gcp_mon_alerts_list(const gcp_endpoints *ep, const char *project, const char *filter, const char *page_token)
{
	gcp_rq *rq = at(ep, "GET", "monitoring.projects.alertPolicies.list",
			gcp_pathf("/v3/projects/%s/alertPolicies", project));
	gcp_rq_query(rq, "filter", filter);
	gcp_rq_query(rq, "pageToken", page_token);
	return rq;
}

gcp_rq *gcp_mon_alert_get(const gcp_endpoints *ep, const char *name)
{
	return at(ep, "GET", "monitoring.projects.alertPolicies.get", gcp_name_path("/v3/", name, NULL));
}

gcp_rq *gcp_mon_alert_delete(const gcp_endpoints *ep, const char *name)
{
	return at(ep, "DELETE", "monitoring.projects.alertPolicies.delete", gcp_name_path("/v3/", name, NULL));
}

gcp_rq *gcp_mon_metric_descriptors_list(const gcp_endpoints *ep, const char *project, const char *filter,
					const char *page_token)
{
	gcp_rq *rq = at(ep, "GET", "monitoring.projects.metricDescriptors.list",
			gcp_pathf("/v3/projects/%s/metricDescriptors", project));
	gcp_rq_query(rq, "filter", filter);
	gcp_rq_query(rq, "pageToken", page_token);
	return rq;
}

gcp_rq *gcp_mon_time_series_list(const gcp_endpoints *ep, const char *project, const char *filter,
				 int64_t start_unix_ms, int64_t end_unix_ms, const char *page_token)
{
	char a[48], b[48];
	gcp_rq *rq = at(ep, "GET", "monitoring.projects.timeSeries.list",
			gcp_pathf("/v3/projects/%s/timeSeries", project));
	st_rfc3339_format(start_unix_ms, a, sizeof a);
	st_rfc3339_format(end_unix_ms, b, sizeof b);
	gcp_rq_query(rq, "filter", filter);
	gcp_rq_query(rq, "interval.startTime", a);
	gcp_rq_query(rq, "interval.endTime", b);
	gcp_rq_query(rq, "view", "FULL");
	gcp_rq_query(rq, "pageToken", page_token);
	return rq;
}
