#include "tests/support/sthttp.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
	st_buf_append(user, p, size * n);
	return size * n;
}

int st_http(const st_sandbox *sb, const char *method, const char *path_or_url,
	    const char *body, size_t body_len, const char *ctype, const char *token,
	    const char *const *extra_headers, st_http_resp *out)
{
	memset(out, 0, sizeof *out);
	CURL *h = curl_easy_init();
	if (!h)
		return -1;
	char *url = path_or_url[0] == '/' ? st_xasprintf("%s%s", sb->url, path_or_url)
					  : st_xstrdup(path_or_url);
	st_buf data, hdrs;
	st_buf_init(&data);
	st_buf_init(&hdrs);
	struct curl_slist *hl = NULL;
	char *auth = NULL;
	if (!token || *token) {
		auth = st_xasprintf("Authorization: Bearer %s", token ? token : "sandbox-test-token");
		hl = curl_slist_append(hl, auth);
	}
	char *ct = NULL;
	if (body) {
		ct = st_xasprintf("Content-Type: %s", ctype ? ctype : "application/json");
		hl = curl_slist_append(hl, ct);
	}
	hl = curl_slist_append(hl, "Expect:");
	for (; extra_headers && *extra_headers; extra_headers++)
		hl = curl_slist_append(hl, *extra_headers);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &data);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
		out->len = data.len;
		out->body = st_buf_steal(&data);
		out->headers = st_buf_steal(&hdrs);
		out->json = json_loadb(out->body, out->len, 0, NULL);
	}
	st_buf_free(&data);
	st_buf_free(&hdrs);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	free(url);
	free(auth);
	free(ct);
	return rc == CURLE_OK ? 0 : -1;
}

int st_http_json(const st_sandbox *sb, const char *method, const char *path,
		 const char *body_json, st_http_resp *out)
{
	return st_http(sb, method, path, body_json, body_json ? strlen(body_json) : 0, NULL, NULL,
		       NULL, out);
}

const char *st_http_header(const st_http_resp *r, const char *name, char *buf, size_t size)
{
	size_t n = strlen(name);
	for (const char *p = r->headers; p && *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			while (*v == ' ')
				v++;
			size_t vl = (size_t)(p + len - v);
			if (vl >= size)
				vl = size - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = eol ? eol + 2 : p + len;
	}
	return NULL;
}

void st_http_free(st_http_resp *r)
{
	free(r->body);
	free(r->headers);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}
