#include "gcp/endpoints.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"
#include "gcp/internal.h"
#include "gcp/rq.h"

static const struct {
	const char *key, *service, *base;
} apis[GCP_API_COUNT] = {
	[GCP_API_SERVICEUSAGE] = { "serviceusage", "serviceusage.googleapis.com", "https://serviceusage.googleapis.com" },
	[GCP_API_KMS] = { "cloudkms", "cloudkms.googleapis.com", "https://cloudkms.googleapis.com" },
	[GCP_API_IAM] = { "iam", "iam.googleapis.com", "https://iam.googleapis.com" },
	[GCP_API_CRM] = { "cloudresourcemanager", "cloudresourcemanager.googleapis.com", "https://cloudresourcemanager.googleapis.com" },
	[GCP_API_STORAGE] = { "storage", "storage.googleapis.com", "https://storage.googleapis.com" },
	[GCP_API_COMPUTE] = { "compute", "compute.googleapis.com", "https://compute.googleapis.com" },
	[GCP_API_AIPLATFORM] = { "aiplatform", "aiplatform.googleapis.com", "https://{region}-aiplatform.googleapis.com" },
	[GCP_API_MONITORING] = { "monitoring", "monitoring.googleapis.com", "https://monitoring.googleapis.com" },
	[GCP_API_LOGGING] = { "logging", "logging.googleapis.com", "https://logging.googleapis.com" },
	[GCP_API_CC] = { "confidentialcomputing", "confidentialcomputing.googleapis.com", "https://confidentialcomputing.googleapis.com" },
	[GCP_API_OAUTH2] = { "oauth2", "oauth2.googleapis.com", "https://oauth2.googleapis.com" },
	[GCP_API_METADATA] = { "metadata", "metadata.google.internal", "http://metadata.google.internal/computeMetadata/v1" },
};

const char *gcp_api_key(enum gcp_api api)
{
	return apis[api].key;
}

const char *gcp_api_service(enum gcp_api api)
{
	return apis[api].service;
}

int gcp_api_lookup(const char *name)
{
	for (int i = 0; name && i < GCP_API_COUNT; i++)
		if (strcmp(name, apis[i].key) == 0 || strcmp(name, apis[i].service) == 0)
			return i;
	return -1;
}

static char *strip_slash(const char *s)
{
	char *d = st_xstrdup(s);
	size_t n = strlen(d);
	while (n && d[n - 1] == '/')
		d[--n] = '\0';
	return d;
}

void gcp_endpoints_init(gcp_endpoints *ep)
{
	for (int i = 0; i < GCP_API_COUNT; i++)
		ep->base[i] = st_xstrdup(apis[i].base);
}

void gcp_endpoints_free(gcp_endpoints *ep)
{
	for (int i = 0; i < GCP_API_COUNT; i++) {
		free(ep->base[i]);
		ep->base[i] = NULL;
	}
}

void gcp_endpoints_all(gcp_endpoints *ep, const char *base)
{
	char *b = strip_slash(base);
	for (int i = 0; i < GCP_API_COUNT; i++) {
		free(ep->base[i]);
		ep->base[i] = i == GCP_API_METADATA ? st_xasprintf("%s/computeMetadata/v1", b) : st_xstrdup(b);
	}
	free(b);
}

int gcp_endpoints_set(gcp_endpoints *ep, const char *name, const char *url, char *err, size_t errlen)
{
	int api = gcp_api_lookup(name);
	char why[200];
	if (api < 0) {
		snprintf(err, errlen, "unknown API '%s' in endpoints", name);
		return -1;
	}
	if (!gcp_url_allowed(url, api == GCP_API_METADATA, why, sizeof why)) {
		snprintf(err, errlen, "endpoint %s: %s", name, why);
		return -1;
	}
	free(ep->base[api]);
	ep->base[api] = strip_slash(url);
	return 0;
}

char *gcp_url(const gcp_endpoints *ep, enum gcp_api api, const char *region, const char *path)
{
	const char *b = ep->base[api];
	const char *r = strstr(b, "{region}");
	if (r)
		return st_xasprintf("%.*s%s%s%s", (int)(r - b), b, region ? region : "us-central1",
				    r + strlen("{region}"), path);
	return st_xasprintf("%s%s", b, path);
}

static bool is_loopback(const char *host)
{
	return strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "[::1]") == 0 || st_starts_with(host, "127.");
}

bool gcp_url_allowed(const char *url, bool metadata, char *why, size_t whylen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok = false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(why, whylen, "not a valid URL");
	} else if (strcmp(scheme, "https") == 0) {
		ok = true;
	} else if (strcmp(scheme, "http") != 0) {
		snprintf(why, whylen, "scheme '%.20s' refused (https only)", scheme);
	} else if (is_loopback(host) ||
		   (metadata && (strcmp(host, "metadata.google.internal") == 0 || strcmp(host, "169.254.169.254") == 0))) {
		ok = true;
	} else {
		snprintf(why, whylen, "plain http to %.100s refused: only loopback may go without TLS", host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* Which API serves a given path. Paths under /v1 are shared by six APIs; the
 * collection names tell them apart. */
static int api_of_path(const char *p)
{
	static const struct { const char *needle; int api; } v1[] = {
		{ "/keyRings", GCP_API_KMS }, { "/serviceAccounts", GCP_API_IAM },
		{ "/services", GCP_API_SERVICEUSAGE }, { "/challenges", GCP_API_CC },
		{ "/customJobs", GCP_API_AIPLATFORM }, { "/trainingPipelines", GCP_API_AIPLATFORM },
		{ "/locations/", GCP_API_AIPLATFORM }, { "/roles", GCP_API_IAM },
	};
	if (st_starts_with(p, "compute/"))
		return GCP_API_COMPUTE;
	if (st_starts_with(p, "storage/") || st_starts_with(p, "upload/storage/") ||
	    st_starts_with(p, "resumable/upload/storage/") || st_starts_with(p, "download/storage/"))
		return GCP_API_STORAGE;
	if (st_starts_with(p, "v3/"))
		return GCP_API_MONITORING;
	if (st_starts_with(p, "v2/"))
		return GCP_API_LOGGING;
	if (st_starts_with(p, "computeMetadata/"))
		return GCP_API_METADATA;
	if (!st_starts_with(p, "v1/"))
		return -1;
	if (st_starts_with(p, "v1/operations/"))
		return GCP_API_SERVICEUSAGE;
	for (size_t i = 0; i < sizeof v1 / sizeof v1[0]; i++)
		if (strstr(p, v1[i].needle))
			return v1[i].api;
	if (st_starts_with(p, "v1/projects/"))
		return GCP_API_CRM;
	return -1;
}

char *gcp_resolve_path(const gcp_endpoints *ep, const char *in, char *err, size_t errlen)
{
	if (st_starts_with(in, "https://") || st_starts_with(in, "http://"))
		return st_xstrdup(in);
	while (*in == '/')
		in++;
	int api = -1;
	const char *slash = strchr(in, '/');
	if (slash) {
		/* "cloudkms.googleapis.com/v1/..." names the API outright. */
		char *head = st_xstrndup(in, (size_t)(slash - in));
		api = strchr(head, '.') ? gcp_api_lookup(head) : -1;
		free(head);
		if (api >= 0)
			in = slash + 1;
	}
	if (api < 0)
		api = api_of_path(in);
	if (api < 0) {
		snprintf(err, errlen, "cannot tell which API serves '%.120s': give a full URL or prefix the "
			 "service host (e.g. cloudkms.googleapis.com/v1/...)", in);
		return NULL;
	}
	char *region = api == GCP_API_AIPLATFORM ? gcp_name_part(in, "locations") : NULL;
	const char *base = ep->base[api];
	char *path;
	/* The metadata base already ends in /computeMetadata/v1. */
	if (api == GCP_API_METADATA && st_starts_with(in, "computeMetadata/v1"))
		path = st_xstrdup(in + strlen("computeMetadata/v1"));
	else
		path = st_xasprintf("/%s", in);
	char *url = gcp_url(ep, (enum gcp_api)api, region, path);
	(void)base;
	free(region);
	free(path);
	return url;
}

int gcp_api_of_url(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : url;
	if (!p)
		return -1;
	while (*p == '/')
		p++;
	return api_of_path(p);
}
