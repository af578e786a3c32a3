#include "gcp/cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

/* The config's API order is the same as enum gcp_api; names are checked anyway. */
static int endpoints(const st_config *c, gcp_endpoints *ep, char *err, size_t errlen)
{
	gcp_endpoints_init(ep);
	for (int i = 0; i < ST_API_COUNT; i++) {
		const char *name = st_api_name((enum st_api)i);
		int api = gcp_api_lookup(name);
		if (api < 0)
			continue;
		/* Vertex stays regional (the region comes from each call) unless overridden. */
		if (api == GCP_API_AIPLATFORM && !c->endpoints.api[i] && !c->endpoints.default_url)
			continue;
		const char *base = st_config_endpoint(c, name);
		if (!base)
			continue;
		char *url = api == GCP_API_METADATA ? st_xasprintf("%s/computeMetadata/v1", base) : st_xstrdup(base);
		int rc = gcp_endpoints_set(ep, name, url, err, errlen);
		free(url);
		if (rc != 0) {
			gcp_endpoints_free(ep);
			return -1;
		}
	}
	return 0;
}

void gcp_opts_from_config(const st_config *c, gcp_opts *o)
{
	memset(o, 0, sizeof *o);
	o->ca_file = c->endpoints.ca_file;
}

int gcp_from_config(const st_config *c, const char *sandbox_url, gcp_endpoints *ep, gcp_auth_opts *ao,
		    char *err, size_t errlen)
{
	memset(ao, 0, sizeof *ao);
	/* The sandbox mints its key for a project: without one this is the operator's
	 * settings to fix (exit 2), not a credentials failure. */
	if (sandbox_url && (!c->project || !*c->project)) {
		snprintf(err, errlen, "sandbox mode needs a project: pass --project ID or set project: in the config file");
		return -1;
	}
	if (endpoints(c, ep, err, errlen) != 0)
		return -1;
	ao->project = c->project;
	ao->sandbox_url = sandbox_url;
	if (sandbox_url)
		ao->no_adc_file = ao->no_metadata = ao->no_gcloud = true; /* never leak real creds there */
	switch (c->credentials.source) {
	case ST_CRED_AUTO:
		break;
	case ST_CRED_SERVICE_ACCOUNT:
	case ST_CRED_AUTHORIZED_USER:
		ao->credentials_file = c->credentials.file;
		break;
	case ST_CRED_TOKEN_FILE:
		ao->token_file = c->credentials.file;
		break;
	case ST_CRED_METADATA:
		ao->only = "metadata";
		ao->metadata_url = ep->base[GCP_API_METADATA];
		break;
	case ST_CRED_GCLOUD:
		ao->only = "gcloud";
		break;
	}
	if ((c->credentials.source == ST_CRED_SERVICE_ACCOUNT || c->credentials.source == ST_CRED_AUTHORIZED_USER ||
	     c->credentials.source == ST_CRED_TOKEN_FILE) && !c->credentials.file) {
		snprintf(err, errlen, "credentials.source %s needs credentials.file",
			 st_cred_source_name(c->credentials.source));
		gcp_endpoints_free(ep);
		return -1;
	}
	return 0;
}
