#include "config/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "config/config_priv.h"

static const char *const api_names[ST_API_COUNT] = {
	"serviceusage", "cloudkms", "iam", "cloudresourcemanager", "storage", "compute",
	"aiplatform", "monitoring", "logging", "confidentialcomputing", "oauth2", "metadata",
};

/* Google's own hosts; aiplatform is regional and built from the region instead. */
static const char *const google_urls[ST_API_COUNT] = {
	"https://serviceusage.googleapis.com",
	"https://cloudkms.googleapis.com",
	"https://iam.googleapis.com",
	"https://cloudresourcemanager.googleapis.com",
	"https://storage.googleapis.com",
	"https://compute.googleapis.com",
	NULL,
	"https://monitoring.googleapis.com",
	"https://logging.googleapis.com",
	"https://confidentialcomputing.googleapis.com",
	"https://oauth2.googleapis.com",
	"http://metadata.google.internal",
};

const char *st_api_name(enum st_api api)
{
	return (unsigned)api < ST_API_COUNT ? api_names[api] : "?";
}

int st_api_from_name(const char *name)
{
	for (int i = 0; i < ST_API_COUNT; i++)
		if (strcmp(api_names[i], name) == 0)
			return i;
	return -1;
}

/* The regional Vertex host is rebuilt only when the region changes, so a pointer a
 * caller got earlier stays valid while the region does. */
static const char *aiplatform_url(const st_config *c)
{
	struct st_config_private *p = c->priv;
	if (!p->aip_url || strcmp(p->aip_region, c->region) != 0) {
		free(p->aip_url);
		free(p->aip_region);
		p->aip_region = st_xstrdup(c->region);
		p->aip_url = st_xasprintf("https://%s-aiplatform.googleapis.com", c->region);
	}
	return p->aip_url;
}

const char *st_config_endpoint(const st_config *c, const char *api)
{
	int i = st_api_from_name(api);
	if (i < 0)
		return NULL;
	if (c->endpoints.api[i])
		return c->endpoints.api[i];
	if (c->endpoints.default_url)
		return c->endpoints.default_url;
	if (i == ST_API_AIPLATFORM)
		return aiplatform_url(c);
	return google_urls[i];
}

/* A copy of url without a trailing slash: base URLs are joined with "/v1/..." paths. */
static char *strip_slash(const char *url)
{
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	return st_xstrndup(url, n);
}

void st_config_set_all_endpoints(st_config *c, const char *base_url)
{
	free(c->endpoints.default_url);
	c->endpoints.default_url = strip_slash(base_url);
	for (int i = 0; i < ST_API_COUNT; i++) {
		free(c->endpoints.api[i]);
		c->endpoints.api[i] = NULL;
	}
}

static bool is_loopback(const char *host, size_t n)
{
	if ((n == 9 && strncasecmp(host, "localhost", 9) == 0) || (n == 5 && memcmp(host, "[::1]", 5) == 0))
		return true;
	unsigned a, b, d, e;
	char tail;
	char tmp[64];
	if (n >= sizeof tmp)
		return false;
	memcpy(tmp, host, n);
	tmp[n] = '\0';
	return sscanf(tmp, "%3u.%3u.%3u.%3u%c", &a, &b, &d, &e, &tail) == 4 && a == 127 &&
	       b < 256 && d < 256 && e < 256;
}

/* The metadata server only speaks plain http, on a link-local name or address. */
static bool is_metadata_host(const char *host, size_t n)
{
	return (n == 24 && strncasecmp(host, "metadata.google.internal", 24) == 0) ||
	       (n == 15 && memcmp(host, "169.254.169.254", 15) == 0);
}

static bool valid_host(const char *h, size_t n)
{
	if (n == 0)
		return false;
	if (h[0] == '[') {
		if (h[n - 1] != ']' || n < 3)
			return false;
		for (size_t i = 1; i + 1 < n; i++)
			if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
				return false;
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.')
			return false;
	return h[0] != '-' && h[0] != '.';
}

int st_endpoint_check(const char *url, int api, char *why, size_t whylen)
{
	bool https = st_starts_with(url, "https://");
	if (!https && !st_starts_with(url, "http://")) {
		snprintf(why, whylen, "expected a base URL starting with https:// or http://");
		return -1;
	}
	const char *host = url + (https ? 8 : 7);
	size_t hn = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/?#@");
	if (host[0] == '[' && host[hn - 1] != ']') {
		snprintf(why, whylen, "unterminated [ in the host");
		return -1;
	}
	if (strchr(url, '@') || !valid_host(host, hn)) {
		snprintf(why, whylen, "expected scheme://host[:port], the host is not valid");
		return -1;
	}
	const char *p = host + hn;
	if (*p == ':') {
		char *end;
		long port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port < 1 || port > 65535 || !isdigit((unsigned char)p[1])) {
			snprintf(why, whylen, "expected a port from 1 to 65535");
			return -1;
		}
		p = end;
	}
	if (*p && strcmp(p, "/") != 0) {
		snprintf(why, whylen, "expected scheme://host[:port] with no path, query or fragment");
		return -1;
	}
	if (!https && !is_loopback(host, hn) && !(api == ST_API_METADATA && is_metadata_host(host, hn))) {
		snprintf(why, whylen, "plain http is allowed only to a loopback host (127.0.0.0/8, [::1], localhost); use https");
		return -1;
	}
	return 0;
}

char *st_endpoint_normalize(const char *url)
{
	return strip_slash(url);
}
