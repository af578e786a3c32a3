#include "gcp/logging.h"

#include <stdlib.h>

#include "common/json.h"

static gcp_rq *at(const gcp_endpoints *ep, const char *method, const char *id, char *path)
{
	gcp_rq *rq = path ? gcp_rq_new(ep, GCP_API_LOGGING, NULL, method, id, path) : NULL;
	free(path);
	return rq;
}

gcp_rq *gcp_log_entries_list(const gcp_endpoints *ep, const char *resource, const char *filter,
			     const char *order_by, int page_size, const char *page_token)
{
	gcp_rq *rq = at(ep, "POST", "logging.entries.list", gcp_pathf("/v2/entries:list"));
	json_t *b = json_pack("{s:[s]}", "resourceNames", resource);
	if (filter)
		json_object_set_new(b, "filter", json_string(filter));
	if (order_by)
		json_object_set_new(b, "orderBy", json_string(order_by));
	if (page_size > 0)
		json_object_set_new(b, "pageSize", json_integer(page_size));
	if (page_token)
		json_object_set_new(b, "pageToken", json_string(page_token));
	gcp_rq_body(rq, b);
	return rq;
}

gcp_rq *gcp_log_sink_create(const gcp_endpoints *ep, const char *project, const char *name,
			    const char *destination, const char *filter, bool unique_writer)
{
	gcp_rq *rq = at(ep, "POST", "logging.projects.sinks.create", gcp_pathf("/v2/projects/%s/sinks", project));
	if (unique_writer)
		gcp_rq_query(rq, "uniqueWriterIdentity", "true");
	json_t *b = json_pack("{s:s,s:s}", "name", name, "destination", destination);
	if (filter)
		json_object_set_new(b, "filter", json_string(filter));
	gcp_rq_body(rq, b);
	return rq;
}

gcp_rq *gcp_log_sink_get(const gcp_endpoints *ep, const char *project, const char *name)
{
	return at(ep, "GET", "logging.projects.sinks.get", gcp_pathf("/v2/projects/%s/sinks/%s", project, name));
}

gcp_rq *gcp_log_sink_delete(const gcp_endpoints *ep, const char *project, const char *name)
{
	return at(ep, "DELETE", "logging.projects.sinks.delete", gcp_pathf("/v2/projects/%s/sinks/%s", project, name));
}
