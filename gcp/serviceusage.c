#include "gcp/serviceusage.h"

#include <stdlib.h>

#include "common/json.h"

gcp_rq *gcp_su_batch_enable(const gcp_endpoints *ep, const char *project, const char *const *ids, size_t n)
{
	if (n == 0 || n > 20)
		return NULL;
	char *path = gcp_pathf("/v1/projects/%s/services:batchEnable", project);
	gcp_rq *rq = gcp_rq_new(ep, GCP_API_SERVICEUSAGE, NULL, "POST", "serviceusage.services.batchEnable", path);
	free(path);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(ids[i]));
	gcp_rq_body(rq, json_pack("{s:o}", "serviceIds", arr));
	return rq;
}

gcp_rq *gcp_su_service_get(const gcp_endpoints *ep, const char *project, const char *service)
{
	char *path = gcp_pathf("/v1/projects/%s/services/%s", project, service);
	gcp_rq *rq = gcp_rq_new(ep, GCP_API_SERVICEUSAGE, NULL, "GET", "serviceusage.services.get", path);
	free(path);
	return rq;
}

gcp_rq *gcp_su_operation_get(const gcp_endpoints *ep, const char *name)
{
	char *path = gcp_name_path("/v1/", name, NULL);
	if (!path)
		return NULL;
	gcp_rq *rq = gcp_rq_new(ep, GCP_API_SERVICEUSAGE, NULL, "GET", "serviceusage.operations.get", path);
	free(path);
	return rq;
}

const char *gcp_su_state(const json_t *service)
{
	return stj_str(service, "state");
}
