/* Running Vertex custom jobs, from the module tick: QUEUED -> PENDING -> (GPU
 * capacity, shared with Compute) -> RUNNING -> SUCCEEDED / FAILED / CANCELLED.
 * The command runs through the guest runner (sandbox/guest.h): own process group,
 * clean environment, output to Logging as ml_job entries. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "sandbox/capacity.h"
#include "sandbox/compute.h"
#include "sandbox/guest.h"
#include "sandbox/vertex.h"

static int64_t priv_int(const json_t *job, const char *k, int64_t def)
{
	return co_priv_int(job, k, def);
}

void vx_save(sb_server *s, json_t *job)
{
	sb_put(s, CK_JOB, stj_str(job, "name"), job);
}

void vx_set_state(sb_server *s, json_t *job, const char *state)
{
	char ts[48];

	sb_now_rfc3339(s, ts, sizeof(ts));
	json_object_set_new(job, "state", json_string(state));
	json_object_set_new(job, "updateTime", json_string(ts));
	json_object_set_new(co_priv(job), "since", json_integer(sb_now_ms(s)));
	if (strcmp(state, "JOB_STATE_RUNNING") == 0)
		json_object_set_new(job, "startTime", json_string(ts));
	if (strcmp(state, "JOB_STATE_SUCCEEDED") == 0 || strcmp(state, "JOB_STATE_FAILED") == 0 ||
	    strcmp(state, "JOB_STATE_CANCELLED") == 0)
		json_object_set_new(job, "endTime", json_string(ts));
}

static void fail(sb_server *s, json_t *job, const char *state, int code, const char *msg)
{
	json_object_set_new(job, "error", json_pack("{s:i, s:s}", "code", code, "message", msg));
	vx_set_state(s, job, state);
}

int vx_zone_gpus(sb_server *s, const char *zone)
{
	json_t *all = sb_list(s, CK_JOB, "projects/"), *j;
	size_t i;
	int n = 0;

	json_array_foreach(all, i, j) {
		const char *st = stj_str(j, "state"), *z = co_priv_str(j, "zone");

		if (z && strcmp(z, zone) == 0 && (strcmp(st, "JOB_STATE_RUNNING") == 0 ||
		    (strcmp(st, "JOB_STATE_CANCELLING") == 0 && priv_int(j, "pid", 0) > 0)))
			n += (int)priv_int(j, "gpus", 0);
	}
	json_decref(all);
	return n;
}

static char *job_dir(sb_server *s, const json_t *job)
{
	char *d = st_xasprintf("%s/vertex/%s", sb_state_dir(s), co_priv_str(job, "id")), err[256];

	if (st_mkdir_p(d, 0700, err, sizeof(err)) != 0)
		sb_log(s, "vertex: %s", err);
	return d;
}

/* "/gcs/" anywhere in v points into the working copy. */
static char *rewrite(const char *v, const char *dir)
{
	st_buf b;
	const char *p;

	st_buf_init(&b);
	while ((p = strstr(v, "/gcs/"))) {
		st_buf_append(&b, v, (size_t)(p - v));
		st_buf_printf(&b, "%s/gcs/", dir);
		v = p + 5;
	}
	st_buf_puts(&b, v);
	return st_buf_steal(&b);
}

static char *resolve(const char *cmd)
{
	static const char *const path[] = {"/usr/local/bin", "/usr/bin", "/bin"};
	size_t i;
	char *p;

	if (strchr(cmd, '/'))
		return st_xstrdup(cmd);
	for (i = 0; i < 3; i++) {
		p = st_xasprintf("%s/%s", path[i], cmd);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

static char **build_argv(const json_t *cs, const char *dir)
{
	json_t *cmd = json_object_get(cs, "command"), *args = json_object_get(cs, "args"), *v;
	size_t n = json_array_size(cmd) + json_array_size(args), i, k = 0;
	char **argv = st_xcalloc(n + 1, sizeof(char *));

	json_array_foreach(cmd, i, v)
		argv[k++] = rewrite(json_string_value(v), dir);
	json_array_foreach(args, i, v)
		argv[k++] = rewrite(json_string_value(v), dir);
	return argv;
}

static char **build_env(sb_server *s, const json_t *job, const char *dir)
{
	json_t *env = stj_get(job, "jobSpec.workerPoolSpecs.0.containerSpec.env"), *e;
	const char *base = stj_str(job, "jobSpec.baseOutputDirectory.outputUriPrefix");
	char **out = st_xcalloc(json_array_size(env) + 12, sizeof(char *));
	size_t i, k = 0;

	out[k++] = st_xstrdup("PATH=/usr/local/bin:/usr/bin:/bin");
	out[k++] = st_xasprintf("HOME=%s/home", dir);
	out[k++] = st_xstrdup("LANG=C.UTF-8");
	out[k++] = st_xasprintf("CLOUD_ML_JOB_ID=%s", co_priv_str(job, "id"));
	out[k++] = st_xasprintf("SEALTRAIN_SANDBOX_URL=%s", sb_base_url(s));
	if (base) {
		const char *sl = st_ends_with(base, "/") ? "" : "/";

		out[k++] = st_xasprintf("AIP_MODEL_DIR=%s%smodel/", base, sl);
		out[k++] = st_xasprintf("AIP_CHECKPOINT_DIR=%s%scheckpoints/", base, sl);
		out[k++] = st_xasprintf("AIP_TENSORBOARD_LOG_DIR=%s%slogs/", base, sl);
	}
	json_array_foreach(env, i, e) {
		char *v;

		if (!stj_str(e, "name") || strchr(stj_str(e, "name"), '='))
			continue;
		v = rewrite(stj_str(e, "value") ? stj_str(e, "value") : "", dir);
		out[k++] = st_xasprintf("%s=%s", stj_str(e, "name"), v);
		free(v);
	}
	return out;
}

static void free_vec(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path); /* best effort: keep removing the rest */
	return 0;
}

/* The decrypted working copy must not outlive the job: plaintext stays out of --state. */
static void drop_copy(sb_server *s, const json_t *job)
{
	char *dir = job_dir(s, job), *gcs = st_xasprintf("%s/gcs", dir);

	nftw(gcs, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(gcs);
	free(dir);
}

static void start(sb_server *s, json_t *job)
{
	char *dir = job_dir(s, job), *home = st_xasprintf("%s/home", dir);
	char *out = st_xasprintf("%s/job.out", dir), err[512], *exe;
	char **argv = build_argv(stj_get(job, "jobSpec.workerPoolSpecs.0.containerSpec"), dir);
	char **env = build_env(s, job, dir);
	pid_t pid;

	vx_set_state(s, job, "JOB_STATE_RUNNING");
	st_mkdir_p(home, 0700, err, sizeof(err));
	if (vx_stage(s, job, dir, err, sizeof(err)) != 0) {
		fail(s, job, "JOB_STATE_FAILED", 9, err);
		drop_copy(s, job);
	} else if (!(exe = resolve(argv[0]))) {
		snprintf(err, sizeof(err), "The replica workerpool0-0 could not start: command '%s' "
			 "not found.", argv[0]);
		fail(s, job, "JOB_STATE_FAILED", 3, err);
	} else {
		free(argv[0]);
		argv[0] = exe;
		pid = guest_spawn(dir, argv, env, out, err, sizeof(err));
		if (pid < 0) {
			fail(s, job, "JOB_STATE_FAILED", 13, err);
		} else {
			json_object_set_new(co_priv(job), "pid", json_integer(pid));
			json_object_set_new(co_priv(job), "wall", json_integer(st_wall_ms()));
		}
	}
	free_vec(argv);
	free_vec(env);
	free(home);
	free(out);
	free(dir);
}

struct job_out {
	sb_server *s;
	const json_t *job;
};

static void log_lines(void *ctx, char *text, size_t n)
{
	sb_server *s = ((struct job_out *)ctx)->s;
	const json_t *job = ((struct job_out *)ctx)->job;
	char *line = text, *nl;
	char *ln = st_xasprintf("projects/%s/logs/workerpool0-0", co_priv_str(job, "project"));

	while (line < text + n) {
		nl = memchr(line, '\n', (size_t)(text + n - line));
		if (nl)
			*nl = '\0';
		sb_log_entry(s, json_pack("{s:s, s:{s:s, s:{s:s, s:s, s:s}}, s:s, s:s}",
					  "logName", ln, "resource", "type", "ml_job", "labels",
					  "job_id", co_priv_str(job, "id"), "project_id",
					  co_priv_str(job, "project"), "task_name", "workerpool0-0",
					  "severity", "INFO", "textPayload", line));
		if (!nl)
			break;
		line = nl + 1;
	}
	free(ln);
}

static void pump(sb_server *s, json_t *job, bool final)
{
	char *dir = job_dir(s, job), *out = st_xasprintf("%s/job.out", dir);
	long long done = priv_int(job, "outOff", 0);
	struct job_out ctx = {s, job};

	if (guest_pump(out, &done, final, log_lines, &ctx))
		json_object_set_new(co_priv(job), "outOff", json_integer(done));
	free(dir);
	free(out);
}

static void finish(sb_server *s, json_t *job, int code)
{
	char *dir = job_dir(s, job), err[512], msg[600];

	pump(s, job, true);
	json_object_set_new(co_priv(job), "pid", json_integer(0));
	if (vx_write_back(s, job, dir, err, sizeof(err)) != 0) {
		/* The outputs would be lost with the copy: keep it and say where it is. */
		char *why = st_xasprintf("Writing the job's output back to Cloud Storage failed: "
					 "%s. The working copy is kept in %s/gcs.", err, dir);

		fail(s, job, "JOB_STATE_FAILED", 13, why);
		free(why);
		free(dir);
		return;
	} else if (code != 0) {
		snprintf(msg, sizeof(msg), "The replica workerpool0-0 exited with a non-zero status "
			 "of %d.", code);
		fail(s, job, "JOB_STATE_FAILED", 3, msg);
	} else {
		vx_set_state(s, job, "JOB_STATE_SUCCEEDED");
	}
	drop_copy(s, job);
	free(dir);
}

void vx_kill(sb_server *s, json_t *job)
{
	pid_t pid = (pid_t)priv_int(job, "pid", 0);

	if (pid > 0) {
		guest_kill(pid);
		pump(s, job, true);
		json_object_set_new(co_priv(job), "pid", json_integer(0));
	}
	drop_copy(s, job);
}

static int64_t spec_secs(const json_t *job, const char *field, int64_t def)
{
	const char *v = stj_str(job, field);
	int64_t secs;

	if (v && strcmp(v, "0s") == 0)
		return 0;
	return v && st_duration_parse(v, &secs) == 0 ? secs : def;
}

static void running(sb_server *s, json_t *job)
{
	pid_t pid = (pid_t)priv_int(job, "pid", 0);
	int code, r;
	int64_t limit = spec_secs(job, "jobSpec.scheduling.timeout", 7 * 86400);
	bool over = (limit > 0 && sb_now_ms(s) - priv_int(job, "since", 0) > limit * 1000) ||
		    st_wall_ms() - priv_int(job, "wall", 0) > co_opt.guest_timeout_s * 1000LL;

	r = guest_poll(pid, &code);
	if (r == 1) {
		finish(s, job, code);
	} else if (r < 0) {
		json_object_set_new(co_priv(job), "pid", json_integer(0));
		fail(s, job, "JOB_STATE_FAILED", 13, "The job's process was lost.");
	} else if (over) {
		vx_kill(s, job);
		fail(s, job, "JOB_STATE_FAILED", 4, "The job ran past its timeout and was stopped.");
	} else {
		pump(s, job, false);
		return;
	}
}

static void pending(sb_server *s, json_t *job)
{
	const char *strategy = stj_str(job, "jobSpec.scheduling.strategy");
	const char *zone = co_priv_str(job, "zone");
	int gpus = (int)priv_int(job, "gpus", 0);
	int64_t wait = spec_secs(job, "jobSpec.scheduling.maxWaitDuration", 86400);
	char msg[256];

	if (gpus == 0 || co_zone_free(s, zone) >= gpus) {
		start(s, job);
		return;
	}
	if (!strategy || strcmp(strategy, "FLEX_START") != 0) {
		snprintf(msg, sizeof(msg), "The zone %s does not have enough resources available to "
			 "fulfill the request (%d GPU).", zone, gpus);
		fail(s, job, "JOB_STATE_FAILED", 8, msg);
	} else if (wait > 0 && sb_now_ms(s) - priv_int(job, "since", 0) > wait * 1000) {
		fail(s, job, "JOB_STATE_FAILED", 8, "No GPU capacity became available within "
		     "scheduling.maxWaitDuration.");
	}
}

/* Returns true when the job changed. */
static bool step(sb_server *s, json_t *job)
{
	const char *st = stj_str(job, "state");

	if (strcmp(st, "JOB_STATE_QUEUED") == 0) {
		if (sb_now_ms(s) - priv_int(job, "since", 0) < VX_QUEUE_S * 1000)
			return false;
		vx_set_state(s, job, "JOB_STATE_PENDING");
		return true;
	}
	if (strcmp(st, "JOB_STATE_PENDING") == 0) {
		pending(s, job);
		return true;
	}
	if (strcmp(st, "JOB_STATE_RUNNING") == 0) {
		running(s, job);
		return true;
	}
	if (strcmp(st, "JOB_STATE_CANCELLING") == 0) {
		vx_kill(s, job);
		fail(s, job, "JOB_STATE_CANCELLED", 1, "CANCELED");
		return true;
	}
	return false;
}

void vx_tick(sb_server *s)
{
	json_t *all = sb_list(s, CK_JOB, "projects/"), *job, *before;
	size_t i;

	json_array_foreach(all, i, job) {
		before = json_deep_copy(job);
		if (step(s, job) && !json_equal(before, job))
			vx_save(s, job);
		json_decref(before);
	}
	json_decref(all);
}

/* A job whose process belonged to a previous sandbox process cannot be resumed. */
int vx_init(sb_server *s)
{
	json_t *all = sb_list(s, CK_JOB, "projects/"), *job;
	size_t i;

	json_array_foreach(all, i, job) {
		if (priv_int(job, "pid", 0) <= 0)
			continue;
		json_object_set_new(co_priv(job), "pid", json_integer(0));
		drop_copy(s, job);
		fail(s, job, "JOB_STATE_FAILED", 14, "The sandbox restarted while the job ran; its "
		     "process was stopped.");
		vx_save(s, job);
	}
	json_decref(all);
	return 0;
}

void vx_shutdown(sb_server *s)
{
	co_kill_guests(s, CK_JOB);
}
