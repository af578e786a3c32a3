/* Vertex AI v1 custom jobs: create (returns the job), get, list, cancel, delete (an
 * LRO), and the location's operations. Running them is vertex_run.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "sandbox/compute.h"
#include "sandbox/vertex.h"

/* Jobs are named with the project number, as Google does; requests may use either. */
static char *project_num(sb_server *s, const char *p)
{
	if (p[0] && strspn(p, "0123456789") == strlen(p))
		return st_xstrdup(p);
	return st_xasprintf("%lld", (long long)sb_project_number(s, p));
}

static char *job_name(sb_server *s, sb_call *c, const char *id)
{
	char *num = project_num(s, sb_var(c, "project"));
	char *n = st_xasprintf("projects/%s/locations/%s/customJobs/%s", num, sb_var(c, "location"),
			       id);

	free(num);
	return n;
}

static bool in_list(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(v, *list) == 0)
			return true;
	return false;
}

static int duration_ok(const json_t *d)
{
	int64_t secs;
	const char *s = json_string_value(d);

	return !d || (s && (strcmp(s, "0s") == 0 || st_duration_parse(s, &secs) == 0));
}

static int check_scheduling(sb_call *c, const json_t *sch)
{
	static const char *const strategies[] = {"STRATEGY_UNSPECIFIED", "STANDARD", "SPOT",
		"FLEX_START", "ON_DEMAND", "LOW_COST", NULL};
	const char *st = stj_str(sch, "strategy");

	if (json_object_get(sch, "strategy") && (!st || !in_list(st, strategies))) {
		sb_reply_invalid(c, "Invalid value at 'custom_job.job_spec.scheduling.strategy': %s",
				 st ? st : "(not a string)");
		return -1;
	}
	if (!duration_ok(json_object_get(sch, "maxWaitDuration")) ||
	    !duration_ok(json_object_get(sch, "timeout"))) {
		sb_reply_invalid(c, "scheduling.timeout and scheduling.maxWaitDuration must be "
				 "durations such as \"3600s\"");
		return -1;
	}
	return 0;
}

static int check_container(sb_call *c, const json_t *pool)
{
	json_t *cs = json_object_get(pool, "containerSpec"), *cmd = json_object_get(cs, "command");
	json_t *v;
	size_t i;

	if (json_object_get(pool, "pythonPackageSpec")) {
		sb_reply_invalid(c, "pythonPackageSpec is not supported by the sandbox; use "
				 "containerSpec with a command");
		return -1;
	}
	if (!stj_str(cs, "imageUri")) {
		sb_reply_invalid(c, "custom_job.job_spec.worker_pool_specs[0].container_spec."
				 "image_uri is required");
		return -1;
	}
	if (!json_is_array(cmd) || json_array_size(cmd) == 0) {
		sb_reply_invalid(c, "containerSpec.command is required by the sandbox: it has no "
				 "container runtime and runs the command on the host");
		return -1;
	}
	json_array_foreach(cmd, i, v)
		if (!json_is_string(v))
			goto bad;
	json_array_foreach(json_object_get(cs, "args"), i, v)
		if (!json_is_string(v))
			goto bad;
	return 0;
bad:
	sb_reply_invalid(c, "containerSpec.command and args must be lists of strings");
	return -1;
}

static int check_pool(sb_call *c, const json_t *pool, int *gpus)
{
	static const char *const accels[] = {"NVIDIA_TESLA_K80", "NVIDIA_TESLA_P100",
		"NVIDIA_TESLA_V100", "NVIDIA_TESLA_P4", "NVIDIA_TESLA_T4", "NVIDIA_TESLA_A100",
		"NVIDIA_A100_80GB", "NVIDIA_L4", "NVIDIA_H100_80GB", "NVIDIA_H100_MEGA_80GB",
		"NVIDIA_H200_141GB", "NVIDIA_B200", "NVIDIA_GB200", "TPU_V2", "TPU_V3", NULL};
	const char *acc = stj_str(pool, "machineSpec.acceleratorType");
	int64_t replicas = 1, count = 0;

	if (!stj_str(pool, "machineSpec.machineType")) {
		sb_reply_invalid(c, "worker_pool_specs[0].machine_spec.machine_type is required");
		return -1;
	}
	if (acc && !in_list(acc, accels)) {
		sb_reply_invalid(c, "Invalid value at 'custom_job.job_spec.worker_pool_specs[0]."
				 "machine_spec.accelerator_type': %s", acc);
		return -1;
	}
	if (json_object_get(pool, "replicaCount") &&
	    (!stj_int64(pool, "replicaCount", &replicas) || replicas != 1)) {
		sb_reply_invalid(c, "replicaCount must be 1 in the sandbox (it runs one replica)");
		return -1;
	}
	stj_int64(pool, "machineSpec.acceleratorCount", &count);
	if (count < 0 || count > 16 || (count > 0 && !acc)) {
		sb_reply_invalid(c, "machine_spec.accelerator_count needs an accelerator_type and "
				 "must be between 0 and 16");
		return -1;
	}
	*gpus = acc ? (int)(count ? count : 1) : 0;
	return check_container(c, pool);
}

/* CMEK: the key must exist in the job's location and Vertex AI's service agent must
 * be allowed to use it, as Google requires. */
static int check_key(sb_server *s, sb_call *c, const char *key, const char *project)
{
	char *loc = st_xasprintf("/locations/%s/", sb_var(c, "location"));
	char *email = st_xasprintf("service-%lld@gcp-sa-aiplatform.iam.gserviceaccount.com",
				   (long long)sb_project_number(s, project));
	char *member = st_xasprintf("serviceAccount:%s", email);
	json_t *k = sb_get(s, "kms.key", key);
	int rc = -1;

	if (!k)
		sb_reply_invalid(c, "encryptionSpec.kmsKeyName: Cloud KMS key %s does not exist", key);
	else if (!strstr(key, loc))
		sb_reply_invalid(c, "encryptionSpec.kmsKeyName must be in location %s",
				 sb_var(c, "location"));
	else if (!sb_kms_key_grants(s, key, member, VX_AGENT_ROLE))
		sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL, "The Vertex AI service agent %s "
			       "needs %s on %s.", email, VX_AGENT_ROLE, key);
	else
		rc = 0;
	json_decref(k);
	free(loc);
	free(email);
	free(member);
	return rc;
}

static int check_job(sb_server *s, sb_call *c, const json_t *body, int *gpus)
{
	json_t *pools = stj_get(body, "jobSpec.workerPoolSpecs");
	const char *dn = stj_str(body, "displayName"), *key;

	if (!dn || !*dn || strlen(dn) > 128) {
		sb_reply_invalid(c, "custom_job.display_name is required (at most 128 characters)");
		return -1;
	}
	if (!json_is_array(pools) || json_array_size(pools) == 0) {
		sb_reply_invalid(c, "custom_job.job_spec.worker_pool_specs is required");
		return -1;
	}
	if (json_array_size(pools) > 1) {
		sb_reply_invalid(c, "the sandbox runs jobs with one worker pool only");
		return -1;
	}
	if (check_pool(c, json_array_get(pools, 0), gpus) ||
	    check_scheduling(c, stj_get(body, "jobSpec.scheduling")))
		return -1;
	key = stj_str(body, "encryptionSpec.kmsKeyName");
	if (stj_get(body, "encryptionSpec.kmsKeyName") && !key) {
		sb_reply_invalid(c, "encryptionSpec.kmsKeyName must be a string");
		return -1;
	}
	return key ? check_key(s, c, key, sb_var(c, "project")) : 0;
}

static void job_create(sb_server *s, sb_call *c)
{
	json_t *body = sb_json(c), *job;
	int gpus = 0;
	char ts[48], id[32], *name, *zone;

	if (!body || check_job(s, c, body, &gpus))
		return;
	snprintf(id, sizeof(id), "%lld", (long long)(4000000000000000000LL +
						     sb_next_id(s, "vertex.job") * 7919));
	name = job_name(s, c, id);
	sb_now_rfc3339(s, ts, sizeof(ts));
	job = json_pack("{s:s, s:s, s:O, s:s, s:s, s:s}", "name", name, "displayName",
			stj_str(body, "displayName"), "jobSpec", stj_get(body, "jobSpec"), "state",
			"JOB_STATE_QUEUED", "createTime", ts, "updateTime", ts);
	if (json_object_get(body, "labels"))
		json_object_set(job, "labels", json_object_get(body, "labels"));
	if (json_object_get(body, "encryptionSpec"))
		json_object_set(job, "encryptionSpec", json_object_get(body, "encryptionSpec"));
	zone = st_xasprintf("%s-a", sb_var(c, "location"));
	json_object_set_new(job, "_sb", json_pack("{s:s, s:s, s:i, s:s, s:I}", "project",
		sb_var(c, "project"), "id", id, "gpus", gpus, "zone", zone, "since",
		(json_int_t)sb_now_ms(s)));
	sb_put(s, CK_JOB, name, job);
	sb_reply_json(c, 200, co_public(job));
	json_decref(job);
	free(zone);
	free(name);
}

static json_t *load_job(sb_server *s, sb_call *c, char **name)
{
	json_t *job;

	*name = job_name(s, c, sb_var(c, "job"));
	job = sb_get(s, CK_JOB, *name);
	if (!job)
		sb_reply_error(c, 404, "NOT_FOUND", NULL, "The CustomJob does not exist: %s", *name);
	return job;
}

static void job_get(sb_server *s, sb_call *c)
{
	char *name;
	json_t *job = load_job(s, c, &name);

	if (job)
		sb_reply_json(c, 200, co_public(job));
	json_decref(job);
	free(name);
}

static void job_list(sb_server *s, sb_call *c)
{
	const char *ps = sb_query(c, "pageSize"), *tok = sb_query(c, "pageToken");
	long size = ps ? strtol(ps, NULL, 10) : 100;
	char *prefix = job_name(s, c, ""), *next = NULL;
	char *after = tok ? sb_page_token_decode(tok) : st_xstrdup("");
	json_t *page, *items, *j, *out;
	size_t i;

	if (!after || size < 0 || size > 1000) {
		sb_reply_invalid(c, "Invalid %s.", after ? "pageSize" : "pageToken");
		free(prefix);
		free(after);
		return;
	}
	page = sb_list_page(s, CK_JOB, prefix, after, size ? (size_t)size : 100, &next);
	items = json_array();
	json_array_foreach(page, i, j)
		json_array_append_new(items, co_public(j));
	out = json_pack("{s:o}", "customJobs", items);
	sb_set_page_token(out, next);
	sb_reply_json(c, 200, out);
	json_decref(page);
	free(next);
	free(after);
	free(prefix);
}

static bool terminal(const char *st)
{
	static const char *const t[] = {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED",
		"JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED", "JOB_STATE_PARTIALLY_SUCCEEDED", NULL};

	return in_list(st, t);
}

static void job_cancel(sb_server *s, sb_call *c)
{
	char *name;
	json_t *job = load_job(s, c, &name);
	const char *st;

	if (job) {
		st = stj_str(job, "state");
		if (terminal(st)) {
			sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL, "Cannot cancel %s: it is "
				       "already in state %s.", name, st);
		} else {
			/* Asynchronous, as Google's: the tick stops the process and finishes. */
			vx_set_state(s, job, "JOB_STATE_CANCELLING");
			vx_save(s, job);
			sb_reply_json(c, 200, json_object());
		}
	}
	json_decref(job);
	free(name);
}

static void job_delete(sb_server *s, sb_call *c)
{
	char *name, *opname, *num, ts[48];
	json_t *job = load_job(s, c, &name), *op;

	if (!job) {
		free(name);
		return;
	}
	if (!terminal(stj_str(job, "state"))) {
		sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL, "The CustomJob %s is in state %s;"
			       " cancel it and wait for a final state before deleting.", name,
			       stj_str(job, "state"));
	} else {
		num = project_num(s, sb_var(c, "project"));
		opname = st_xasprintf("projects/%s/locations/%s/operations/%lld", num,
				      sb_var(c, "location"), (long long)sb_next_id(s, "vertex.op"));
		sb_now_rfc3339(s, ts, sizeof(ts));
		op = sb_op_new(s, opname, json_pack("{s:s, s:{s:s, s:s}}", "@type",
			"type.googleapis.com/google.cloud.aiplatform.v1.DeleteOperationMetadata",
			"genericMetadata", "createTime", ts, "updateTime", ts));
		sb_del(s, CK_JOB, name);
		sb_op_finish(s, opname, json_pack("{s:s}", "@type",
						  "type.googleapis.com/google.protobuf.Empty"));
		json_decref(op);
		op = sb_op_get(s, opname);
		sb_reply_json(c, 200, op);
		free(opname);
		free(num);
	}
	json_decref(job);
	free(name);
}

static void op_get(sb_server *s, sb_call *c)
{
	char *num = project_num(s, sb_var(c, "project"));
	char *name = st_xasprintf("projects/%s/locations/%s/operations/%s", num,
				  sb_var(c, "location"), sb_var(c, "operation"));
	json_t *op = sb_op_get(s, name);

	if (op)
		sb_reply_json(c, 200, op);
	else
		sb_reply_not_found(c, name);
	free(name);
	free(num);
}

#define LOC "/v1/projects/{project}/locations/{location}"
#define M "google.cloud.aiplatform.v1.JobService."

static const sb_route routes[] = {
	{"POST", LOC "/customJobs", job_create, AIP_SERVICE, M "CreateCustomJob", 0},
	{"GET", LOC "/customJobs", job_list, AIP_SERVICE, M "ListCustomJobs", SB_ADMIN_READ},
	{"GET", LOC "/customJobs/{job}", job_get, AIP_SERVICE, M "GetCustomJob", SB_ADMIN_READ},
	{"POST", LOC "/customJobs/{job}:cancel", job_cancel, AIP_SERVICE, M "CancelCustomJob", 0},
	{"DELETE", LOC "/customJobs/{job}", job_delete, AIP_SERVICE, M "DeleteCustomJob", 0},
	{"GET", LOC "/operations/{operation}", op_get, AIP_SERVICE, NULL, 0},
};

const sb_service sb_svc_vertex = {
	.name = AIP_SERVICE,
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.tick = vx_tick,
	.init = vx_init,
	.shutdown = vx_shutdown,
};
