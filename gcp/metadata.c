#include "gcp/metadata.h"

#include <stdlib.h>

static gcp_rq *md(const gcp_endpoints *ep, char *path, bool raw)
{
	gcp_rq *rq = gcp_rq_new(ep, GCP_API_METADATA, NULL, "GET", NULL, path);
	free(path);
	rq->flags |= GCP_METADATA | GCP_NO_AUTH | (raw ? GCP_RAW_BODY : 0);
	return rq;
}

gcp_rq *gcp_md_token(const gcp_endpoints *ep)
{
	return md(ep, gcp_pathf("/instance/service-accounts/default/token"), false);
}

gcp_rq *gcp_md_project_id(const gcp_endpoints *ep)
{
	return md(ep, gcp_pathf("/project/project-id"), true);
}

gcp_rq *gcp_md_attribute(const gcp_endpoints *ep, const char *key)
{
	return md(ep, gcp_pathf("/instance/attributes/%s", key), true);
}

gcp_rq *gcp_md_identity(const gcp_endpoints *ep, const char *audience)
{
	gcp_rq *rq = md(ep, gcp_pathf("/instance/service-accounts/default/identity"), true);
	gcp_rq_query(rq, "audience", audience);
	gcp_rq_query(rq, "format", "full");
	return rq;
}
