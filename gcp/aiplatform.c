#include "gcp/aiplatform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "gcp/internal.h"

static gcp_rq *by_name(const gcp_endpoints *ep, const char *method, const char *id, const char *name, const char *suffix)
{
	char *region = gcp_name_part(name, "locations");
	char *path = region ? gcp_name_path("/v1/", name, suffix) : NULL;
	gcp_rq *rq = path ? gcp_rq_new(ep, GCP_API_AIPLATFORM, region, method, id, path) : NULL;
	free(region);
	free(path);
	return rq;
}

static json_t *env_list(const char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++) {
		const char *eq = strchr(*v, '=');
		if (!eq)
			continue;
		char *k = st_xstrndup(*v, (size_t)(eq - *v));
		json_array_append_new(a, json_pack("{s:s,s:s}", "name", k, "value", eq + 1));
		free(k);
	}
	return a;
}

static json_t *job_spec(const gcp_job_spec *s)
{
	json_t *machine = json_pack("{s:s}", "machineType", s->machine_type);
	if (s->accel_type && s->accel_count > 0) {
		json_object_set_new(machine, "acceleratorType", json_string(s->accel_type));
		json_object_set_new(machine, "acceleratorCount", json_integer(s->accel_count));
	}
	json_t *container = json_pack("{s:s}", "imageUri", s->image_uri);
	if (s->command)
		json_object_set_new(container, "command", gcp_json_strings(s->command));
	if (s->args)
		json_object_set_new(container, "args", gcp_json_strings(s->args));
	if (s->env)
		json_object_set_new(container, "env", env_list(s->env));
	json_t *pool = json_pack("{s:o,s:o,s:o}", "machineSpec", machine, "replicaCount", stj_int64_string(1),
				 "containerSpec", container);
	json_t *spec = json_pack("{s:[o]}", "workerPoolSpecs", pool);
	if (s->service_account)
		json_object_set_new(spec, "serviceAccount", json_string(s->service_account));
	if (s->output_uri)
		json_object_set_new(spec, "baseOutputDirectory", json_pack("{s:s}", "outputUriPrefix", s->output_uri));
	if (s->strategy || s->max_wait_s || s->timeout_s) {
		json_t *sch = json_object();
		char d[32];
		if (s->strategy)
			json_object_set_new(sch, "strategy", json_string(s->strategy));
		if (s->max_wait_s) {
			st_duration_format(s->max_wait_s, d, sizeof d);
			json_object_set_new(sch, "maxWaitDuration", json_string(d));
		}
		if (s->timeout_s) {
			st_duration_format(s->timeout_s, d, sizeof d);
			json_object_set_new(sch, "timeout", json_string(d));
		}
		json_object_set_new(spec, "scheduling", sch);
	}
	return spec;
}

gcp_rq *gcp_ai_job_create(const gcp_endpoints *ep, const char *project, const char *region, const gcp_job_spec *s)
{
	char *path = gcp_pathf("/v1/projects/%s/locations/%s/customJobs", project, region);
	gcp_rq *rq = gcp_rq_new(ep, GCP_API_AIPLATFORM, region, "POST", "aiplatform.projects.locations.customJobs.create", path);
	free(path);
	rq->flags |= GCP_NOT_IDEMPOTENT; /* server-named: a blind retry could make two */
	json_t *b = json_pack("{s:s,s:o}", "displayName", s->display_name, "jobSpec", job_spec(s));
	if (s->kms_key)
		json_object_set_new(b, "encryptionSpec", json_pack("{s:s}", "kmsKeyName", s->kms_key));
	if (s->labels)
		json_object_set_new(b, "labels", json_deep_copy(s->labels));
	gcp_rq_body(rq, b);
	return rq;
}

gcp_rq *gcp_ai_job_get(const gcp_endpoints *ep, const char *name)
{
	return by_name(ep, "GET", "aiplatform.projects.locations.customJobs.get", name, NULL);
}

gcp_rq *gcp_ai_job_cancel(const gcp_endpoints *ep, const char *name)
{
	gcp_rq *rq = by_name(ep, "POST", "aiplatform.projects.locations.customJobs.cancel", name, ":cancel");
	if (rq)
		gcp_rq_body(rq, json_object());
	return rq;
}

gcp_rq *gcp_ai_job_delete(const gcp_endpoints *ep, const char *name)
{
	return by_name(ep, "DELETE", "aiplatform.projects.locations.customJobs.delete", name, NULL);
}

gcp_rq *gcp_ai_jobs_list(const gcp_endpoints *ep, const char *project, const char *region, const char *filter,
			 const char *page_token)
{
	char *path = gcp_pathf("/v1/projects/%s/locations/%s/customJobs", project, region);
	gcp_rq *rq = gcp_rq_new(ep, GCP_API_AIPLATFORM, region, "GET", "aiplatform.projects.locations.customJobs.list", path);
	free(path);
	gcp_rq_query(rq, "filter", filter);
	gcp_rq_query(rq, "pageToken", page_token);
	return rq;
}

gcp_rq *gcp_ai_operation_get(const gcp_endpoints *ep, const char *name)
{
	return by_name(ep, "GET", "aiplatform.projects.locations.operations.get", name, NULL);
}

int gcp_ai_job_parse(const json_t *j, gcp_ai_job *o, char *err, size_t errlen)
{
	static const char *const terminal[] = { "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED",
						"JOB_STATE_EXPIRED", "JOB_STATE_PARTIALLY_SUCCEEDED" };
	memset(o, 0, sizeof *o);
	const char *name = stj_str(j, "name"), *state = stj_str(j, "state");
	if (!name || !state || !st_starts_with(state, "JOB_STATE_")) {
		snprintf(err, errlen, "CustomJob lacks %s", name ? "a valid state" : "a name");
		return -1;
	}
	st_sanitize_text(o->name, sizeof o->name, name);
	st_sanitize_text(o->state, sizeof o->state, state);
	st_sanitize_text(o->display_name, sizeof o->display_name, stj_str(j, "displayName") ? stj_str(j, "displayName") : "");
	for (size_t i = 0; i < sizeof terminal / sizeof terminal[0]; i++)
		if (strcmp(state, terminal[i]) == 0)
			o->terminal = true;
	json_t *e = json_object_get(j, "error");
	if (json_is_object(e)) {
		int64_t code = 2;
		stj_int64(e, "code", &code);
		o->failed = code != 0;
		gcp_error_set(&o->err, 0, (int)code, gcp_rpc_name((int)code), "%s",
			      stj_str(e, "message") ? stj_str(e, "message") : "job failed");
		snprintf(o->err.where, sizeof o->err.where, "custom job %.200s", o->name);
	}
	return 0;
}
