/* Cloud Monitoring: alert policies, metric descriptors, time series. */
#ifndef GCP_MONITORING_H
#define GCP_MONITORING_H

#include <stdint.h>

#include "gcp/rq.h"

typedef struct gcp_alert_spec {
	const char *display_name;
	const char *condition_name;
	const char *metric_filter;   /* threshold on a metric (checked to exist first), or */
	const char *log_filter;      /* a log-match condition */
	const char *severity;        /* "CRITICAL", ... or NULL */
	const json_t *labels;        /* userLabels */
} gcp_alert_spec;

/* Not idempotent: list and match on displayName first. */
gcp_rq *gcp_mon_alert_create(const gcp_endpoints *ep, const char *project, const gcp_alert_spec *spec);
gcp_rq *gcp_mon_alerts_list(const gcp_endpoints *ep, const char *project, const char *filter, const char *page_token);
/* name: "projects/P/alertPolicies/ID". */
gcp_rq *gcp_mon_alert_get(const gcp_endpoints *ep, const char *name);
gcp_rq *gcp_mon_alert_delete(const gcp_endpoints *ep, const char *name);
gcp_rq *gcp_mon_metric_descriptors_list(const gcp_endpoints *ep, const char *project, const char *filter,
					const char *page_token);
gcp_rq *gcp_mon_time_series_list(const gcp_endpoints *ep, const char *project, const char *filter,
				 int64_t start_unix_ms, int64_t end_unix_ms, const char *page_token);

#endif
