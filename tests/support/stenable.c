#include "tests/support/stenable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"
#include "tests/support/sthttp.h"

/* Appends every service name of every services.list page to names. */
static int list_services(const st_sandbox *sb, const char *project, json_t *names)
{
	char *token = NULL;
	do {
		char *path = st_xasprintf("/v1/projects/%s/services?pageSize=200%s%s", project,
					  token ? "&pageToken=" : "", token ? token : "");
		st_http_resp r;
		int rc = st_http_json(sb, "GET", path, NULL, &r);
		free(path);
		free(token);
		token = NULL;
		if (rc < 0 || r.status != 200 || !r.json) {
			fprintf(stderr, "services.list failed: %ld %s\n", r.status,
				r.body ? r.body : "");
			st_http_free(&r);
			return -1;
		}
		size_t i;
		json_t *s;
		json_array_foreach(json_object_get(r.json, "services"), i, s)
			json_array_append(names, json_object_get(json_object_get(s, "config"), "name"));
		const char *next = json_string_value(json_object_get(r.json, "nextPageToken"));
		if (next && *next)
			token = st_url_escape(next);
		st_http_free(&r);
	} while (token);
	return 0;
}

static int wait_op(const st_sandbox *sb, const char *name)
{
	char *path = st_xasprintf("/v1/%s", name);
	int rc = -1;
	for (int i = 0; i < 600 && rc < 0; i++) {
		st_http_resp r;
		if (st_http_json(sb, "GET", path, NULL, &r) == 0 && r.status == 200 && r.json &&
		    json_is_true(json_object_get(r.json, "done")))
			rc = json_object_get(r.json, "error") ? -2 : 0;
		st_http_free(&r);
		if (rc == -2) {
			fprintf(stderr, "operation %s failed\n", name);
			break;
		}
		if (rc < 0)
			usleep(20000);
	}
	free(path);
	return rc < 0 ? -1 : 0;
}

static int enable_batch(const st_sandbox *sb, const char *project, json_t *ids)
{
	json_t *body = json_pack("{s:O}", "serviceIds", ids);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	char *path = st_xasprintf("/v1/projects/%s/services:batchEnable", project);
	st_http_resp r;
	int rc = st_http_json(sb, "POST", path, text, &r);
	free(path);
	free(text);
	const char *op = r.json ? json_string_value(json_object_get(r.json, "name")) : NULL;
	if (rc < 0 || r.status != 200 || !op) {
		fprintf(stderr, "batchEnable failed: %ld %s\n", r.status, r.body ? r.body : "");
		st_http_free(&r);
		return -1;
	}
	rc = wait_op(sb, op);
	st_http_free(&r);
	return rc;
}

int st_sandbox_enable_all(const st_sandbox *sb, const char *project)
{
	json_t *names = json_array();
	int rc = list_services(sb, project, names);
	for (size_t at = 0; rc == 0 && at < json_array_size(names); at += 20) {
		json_t *ids = json_array();
		for (size_t i = at; i < at + 20 && i < json_array_size(names); i++)
			json_array_append(ids, json_array_get(names, i));
		rc = enable_batch(sb, project, ids);
		json_decref(ids);
	}
	json_decref(names);
	return rc;
}
