/* Instance life cycle, driven by the module tick: timed status changes in sandbox
 * time, the Flex-start queue, maxRunDuration, SPOT preemption, and booting (boot log
 * on serial port 1, Shielded VM integrity events, the startup script). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "sandbox/capacity.h"
#include "sandbox/compute.h"
#include "sandbox/compute_validate.h"
#include "sandbox/guest.h"

#define PUMP_MAX (256 * 1024)

void co_set_status(sb_server *s, json_t *inst, const char *status)
{
	char ts[48];

	co_ts(s, ts, sizeof(ts));
	json_object_set_new(inst, "status", json_string(status));
	json_object_set_new(co_priv(inst), "since", json_integer(sb_now_ms(s)));
	if (strcmp(status, "RUNNING") == 0)
		json_object_set_new(inst, "lastStartTimestamp", json_string(ts));
	if (strcmp(status, "TERMINATED") == 0)
		json_object_set_new(inst, "lastStopTimestamp", json_string(ts));
	if (strcmp(status, "PROVISIONING") != 0)
		json_object_del(inst, "statusMessage");
}

static void serial_printf(sb_server *s, json_t *inst, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void serial_printf(sb_server *s, json_t *inst, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = st_xvasprintf(fmt, ap);
	va_end(ap);
	co_serial_append(s, inst, line, strlen(line));
	free(line);
}

/* "Nov 25 20:41:07", the syslog prefix of guest lines on a real serial console. */
static void syslog_time(sb_server *s, char *buf, size_t size)
{
	time_t t = (time_t)(sb_now_ms(s) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%b %e %H:%M:%S", &tm);
}


/* A line from the script runner itself, in its serial console format. */
static void runner_line(sb_server *s, json_t *inst, const char *what)
{
	char when[32];

	syslog_time(s, when, sizeof(when));
	serial_printf(s, inst, "%s %s google_metadata_script_runner: %s\r\n", when,
		      stj_str(inst, "name"), what);
}

static json_t *gce_resource(const json_t *inst)
{
	return json_pack("{s:s, s:{s:s, s:s, s:s}}", "type", "gce_instance", "labels",
			 "instance_id", stj_str(inst, "id"), "zone",
			 cap_basename(stj_str(inst, "zone")), "project_id",
			 co_priv_str(inst, "project"));
}

static char *log_name(const json_t *inst, const char *log_id)
{
	return st_xasprintf("projects/%s/logs/%s", co_priv_str(inst, "project"), log_id);
}

static void log_text(sb_server *s, const json_t *inst, const char *log_id, const char *text)
{
	char *ln = log_name(inst, log_id);

	sb_log_entry(s, json_pack("{s:s, s:o, s:s, s:s}", "logName", ln, "resource",
				  gce_resource(inst), "severity", "INFO", "textPayload", text));
	free(ln);
}

static const char *memory_encryption(const json_t *inst)
{
	const char *t = cv_confidential_type(inst);

	if (!t)
		return "none (not a Confidential VM)";
	if (strcmp(t, "TDX") == 0)
		return "Intel TDX";
	if (strcmp(t, "SEV_SNP") == 0)
		return "AMD SEV SEV-ES SEV-SNP";
	return "AMD SEV";
}

static const char *gpu_model(const char *type)
{
	if (strcmp(type, "nvidia-h100-80gb") == 0)
		return "NVIDIA H100 80GB HBM3";
	if (strcmp(type, "nvidia-h100-mega-80gb") == 0)
		return "NVIDIA H100 80GB HBM3 (Mega)";
	if (strcmp(type, "nvidia-tesla-a100") == 0)
		return "NVIDIA A100-SXM4-40GB";
	if (strcmp(type, "nvidia-a100-80gb") == 0)
		return "NVIDIA A100-SXM4-80GB";
	return type;
}

static void boot_log(sb_server *s, json_t *inst)
{
	const char *ct = cv_confidential_type(inst), *gpu = co_priv_str(inst, "gpuType");
	int i, n = (int)co_priv_int(inst, "gpus", 0);
	bool cc = ct && strcmp(ct, "TDX") == 0 && n > 0;

	serial_printf(s, inst, "[sandbox] simulated boot %lld of %s (no real hardware: this log "
		      "is produced by sealtrain-sandbox)\r\n", (long long)co_priv_int(inst, "boot", 0),
		      stj_str(inst, "name"));
	serial_printf(s, inst, "SeaBIOS (version 1.8.2-google)\r\nBooting from Hard Disk 0...\r\n");
	serial_printf(s, inst, "[    0.000000] Linux version 6.8.0-sandbox (simulated guest)\r\n");
	serial_printf(s, inst, "[    0.000000] Memory Encryption Features active: %s\r\n",
		      memory_encryption(inst));
	if (ct && strcmp(ct, "TDX") == 0)
		serial_printf(s, inst, "[    0.000000] tdx: Guest detected\r\n");
	for (i = 0; i < n; i++)
		serial_printf(s, inst, "[    2.%06d] nvidia 0000:00:%02x.0: GPU %d: %s, "
			      "confidential computing mode: %s\r\n", 100000 + i, 5 + i, i,
			      gpu_model(gpu ? gpu : ""), cc ? "on" : "off");
	serial_printf(s, inst, "[    3.000000] systemd[1]: Reached target Multi-User System.\r\n");
}

static json_t *measurements(const json_t *inst, int boot)
{
	json_t *arr = json_array();
	char src[128], hex[65];
	unsigned char raw[32];
	char *b64;
	int pcr, i;

	(void)boot; /* the baseline is stable across boots: the same image boots each time */
	for (pcr = 0; pcr < 8; pcr++) {
		snprintf(src, sizeof(src), "%s/pcr%d", stj_str(inst, "id"), pcr);
		st_sha256_hex(src, strlen(src), hex);
		for (i = 0; i < 32; i++)
			sscanf(hex + 2 * i, "%2hhx", &raw[i]);
		b64 = st_base64_encode(raw, sizeof(raw));
		json_array_append_new(arr, json_pack("{s:o, s:s, s:s}", "pcrNum",
						     json_sprintf("PCR_%d", pcr), "hashAlgo",
						     "SHA256", "value", b64));
		free(b64);
	}
	return arr;
}

/* The Shielded VM integrity events Google logs at each boot (measured boot against a
 * learned baseline; not hardware attestation). */
static void integrity_events(sb_server *s, json_t *inst)
{
	static const char *const events[] = {"earlyBootReportEvent", "lateBootReportEvent"};
	char *ln = log_name(inst, "compute.googleapis.com%2Fshielded_vm_integrity");
	int boot = (int)co_priv_int(inst, "boot", 0);
	json_t *m, *payload;
	size_t i;

	if (!stj_bool(inst, "shieldedInstanceConfig.enableIntegrityMonitoring", true)) {
		free(ln);
		return;
	}
	for (i = 0; i < 2; i++) {
		m = measurements(inst, boot);
		payload = json_pack("{s:s, s:o, s:{s:b, s:O, s:O}}", "@type",
				    "type.googleapis.com/cloud_integrity.IntegrityEvent",
				    "bootCounter", stj_int64_string(boot), events[i],
				    "policyEvaluationPassed", 1, "actualMeasurements", m,
				    "policyMeasurements", m);
		sb_log_entry(s, json_pack("{s:s, s:o, s:s, s:o, s:{s:s}}", "logName", ln,
					  "resource", gce_resource(inst), "severity", "NOTICE",
					  "jsonPayload", payload, "labels",
					  "sandbox.sealtrain/simulated", "true"));
		json_decref(m);
	}
	free(ln);
}

static const char *metadata_value(const json_t *inst, const char *key)
{
	json_t *it;
	size_t i;

	json_array_foreach(stj_get(inst, "metadata.items"), i, it)
		if (strcmp(stj_str(it, "key") ? stj_str(it, "key") : "", key) == 0)
			return stj_str(it, "value");
	return NULL;
}

/* host:port of the sandbox, for GCE_METADATA_HOST. */
static char *metadata_host(sb_server *s)
{
	const char *u = sb_base_url(s);

	return st_xstrdup(st_starts_with(u, "http://") ? u + 7 : u);
}

static void start_script(sb_server *s, json_t *inst, const char *script)
{
	char *dir = co_inst_dir(s, inst), *gdir = st_xasprintf("%s/guest", dir);
	char *path = st_xasprintf("%s/startup-script", dir), *out = st_xasprintf("%s/guest.out", dir);
	char *host = metadata_host(s), err[256];
	char *env[] = {
		st_xstrdup("PATH=/usr/local/bin:/usr/bin:/bin"),
		st_xasprintf("HOME=%s", gdir),
		st_xstrdup("LANG=C.UTF-8"),
		st_xasprintf("GCE_METADATA_HOST=%s/sandbox-metadata/%s", host, stj_str(inst, "id")),
		st_xasprintf("GCE_METADATA_IP=%s", host),
		st_xasprintf("SANDBOX_INSTANCE_ID=%s", stj_str(inst, "id")),
		st_xasprintf("SEALTRAIN_SANDBOX_URL=%s", sb_base_url(s)),
		NULL,
	};
	char *argv[] = {(char *)"/bin/sh", path, NULL};
	long long off = 0;
	size_t n, i;
	char *old;
	pid_t pid;

	st_mkdir_p(gdir, 0700, err, sizeof(err));
	/* Start reading the output file where it ends now. */
	while ((old = guest_read_new(out, &off, 1 << 30, &n)))
		free(old);
	if (st_atomic_write(path, script, strlen(script), 0700, err, sizeof(err)) != 0 ||
	    (pid = guest_spawn(gdir, argv, env, out, err, sizeof(err))) < 0) {
		char *why = st_xasprintf("startup-script could not start: %s", err);

		runner_line(s, inst, why);
		free(why);
	} else {
		runner_line(s, inst, "Starting startup scripts.");
		json_object_set_new(co_priv(inst), "pid", json_integer(pid));
		json_object_set_new(co_priv(inst), "outOff", json_integer(off));
		json_object_set_new(co_priv(inst), "scriptWall", json_integer(st_wall_ms()));
	}
	for (i = 0; env[i]; i++)
		free(env[i]);
	free(dir);
	free(gdir);
	free(path);
	free(out);
	free(host);
}

void co_boot(sb_server *s, json_t *inst)
{
	const char *script;
	int64_t boot = co_priv_int(inst, "boot", 0) + 1;

	json_object_set_new(co_priv(inst), "boot", json_integer(boot));
	boot_log(s, inst);
	integrity_events(s, inst);
	script = metadata_value(inst, "startup-script");
	/* Recorded before the script starts so that a restart never runs it twice. */
	json_object_set_new(co_priv(inst), "scriptBoot", json_integer(boot));
	if (script)
		start_script(s, inst, script);
}

/* ------------------------------------------------------------ startup script output */

static void emit_lines(sb_server *s, json_t *inst, char *text, size_t n)
{
	char *line = text, *nl, *out, when[32];
	int64_t pid = co_priv_int(inst, "pid", 0);

	syslog_time(s, when, sizeof(when));

	while (line < text + n) {
		nl = memchr(line, '\n', (size_t)(text + n - line));
		if (nl)
			*nl = '\0';
		out = st_xasprintf("%s %s google_metadata_script_runner[%lld]: startup-script: %s\r\n",
				   when, stj_str(inst, "name"), (long long)pid, line);
		co_serial_append(s, inst, out, strlen(out));
		log_text(s, inst, "serialconsole.googleapis.com%2Fserial_port_1_output", line);
		free(out);
		if (!nl)
			break;
		line = nl + 1;
	}
}

/* Moves new complete lines of script output to serial port 1 and Logging; a partial
 * last line waits for its newline unless the script is gone. */
static bool pump(sb_server *s, json_t *inst, bool final)
{
	char *dir = co_inst_dir(s, inst), *out = st_xasprintf("%s/guest.out", dir);
	long long off = co_priv_int(inst, "outOff", 0), done = off;
	size_t n;
	char *buf, *last;
	bool moved = false;

	/* A running script gets one chunk per tick; a finished one is drained fully. */
	while ((buf = guest_read_new(out, &off, PUMP_MAX, &n))) {
		last = final || n == PUMP_MAX ? buf + n - 1 : memrchr(buf, '\n', n);
		if (last) {
			emit_lines(s, inst, buf, (size_t)(last - buf + 1));
			done += last - buf + 1;
			json_object_set_new(co_priv(inst), "outOff", json_integer(done));
			moved = true;
		}
		free(buf);
		off = done;
		if (!final || !last)
			break;
	}
	free(dir);
	free(out);
	return moved;
}

static void script_ended(sb_server *s, json_t *inst, const char *how)
{
	char *line = st_xasprintf("startup-script %s", how);

	pump(s, inst, true);
	runner_line(s, inst, line);
	runner_line(s, inst, "Finished running startup scripts.");
	free(line);
	json_object_set_new(co_priv(inst), "pid", json_integer(0));
}

static bool watch_script(sb_server *s, json_t *inst)
{
	pid_t pid = (pid_t)co_priv_int(inst, "pid", 0);
	int code, r;
	char how[64];

	if (pid <= 0)
		return false;
	r = guest_poll(pid, &code);
	if (r == 1) {
		snprintf(how, sizeof(how), "exit status %d", code);
		script_ended(s, inst, how);
		return true;
	}
	if (r < 0) {
		script_ended(s, inst, "lost (not a child of this sandbox)");
		return true;
	}
	if (st_wall_ms() - co_priv_int(inst, "scriptWall", 0) > co_opt.guest_timeout_s * 1000LL) {
		guest_kill(pid);
		snprintf(how, sizeof(how), "killed after the %d s time limit", co_opt.guest_timeout_s);
		script_ended(s, inst, how);
		return true;
	}
	return pump(s, inst, false);
}

void co_halt_guest(sb_server *s, json_t *inst)
{
	pid_t pid = (pid_t)co_priv_int(inst, "pid", 0);

	if (pid <= 0)
		return;
	guest_kill(pid);
	script_ended(s, inst, "killed: the instance is stopping");
}

/* ------------------------------------------------------------ the state machine */

static bool elapsed(sb_server *s, const json_t *inst, int seconds)
{
	return sb_now_ms(s) - co_priv_int(inst, "since", 0) >= seconds * 1000LL;
}

static void system_event(sb_server *s, const json_t *inst, const char *method, const char *msg)
{
	char *ln = log_name(inst, "cloudaudit.googleapis.com%2Fsystem_event");

	sb_log_entry(s, json_pack("{s:s, s:o, s:s, s:{s:s, s:s, s:s, s:s, s:{s:s}}}",
				  "logName", ln, "resource", gce_resource(inst), "severity", "NOTICE",
				  "protoPayload", "@type", "type.googleapis.com/google.cloud.audit.AuditLog",
				  "serviceName", COMPUTE_SERVICE, "methodName", method,
				  "resourceName", co_priv_str(inst, "fullName"),
				  "status", "message", msg));
	free(ln);
}

/* Stop or delete, as instanceTerminationAction says (STOP by default). */
static void terminate(sb_server *s, json_t *inst, const char *method, const char *why)
{
	const char *act = stj_str(inst, "scheduling.instanceTerminationAction");

	system_event(s, inst, method, why);
	serial_printf(s, inst, "[sandbox] %s\r\n", why);
	co_halt_guest(s, inst);
	if (act && strcmp(act, "DELETE") == 0)
		json_object_set_new(co_priv(inst), "deleting", json_integer(1));
	json_object_del(co_priv(inst), "op");
	co_set_status(s, inst, "STOPPING");
}

static bool running_checks(sb_server *s, json_t *inst, int64_t dt)
{
	const char *model = stj_str(inst, "scheduling.provisioningModel");
	int64_t deadline = co_priv_int(inst, "runDeadline", 0);

	if (deadline > 0 && sb_now_ms(s) >= deadline) {
		terminate(s, inst, "compute.instances.maxRunDurationReached",
			  "Instance reached its maxRunDuration.");
		return true;
	}
	if (model && strcmp(model, "SPOT") == 0 &&
	    cap_preempt_now(co_opt.preempt_rate, dt, sb_random(s))) {
		terminate(s, inst, "compute.instances.preempted", "Instance was preempted.");
		return true;
	}
	return watch_script(s, inst);
}

static void become_running(sb_server *s, json_t *inst)
{
	json_t *mrd = stj_get(inst, "scheduling.maxRunDuration");
	int64_t secs;

	co_set_status(s, inst, "RUNNING");
	json_object_del(co_priv(inst), "runDeadline");
	if (mrd && stj_int64(mrd, "seconds", &secs))
		json_object_set_new(co_priv(inst), "runDeadline",
				    json_integer(sb_now_ms(s) + secs * 1000));
	co_boot(s, inst);
	co_op_finish(s, co_priv_str(inst, "op"), 0, NULL, NULL);
}

/* Returns true when inst changed; sets *gone when it was deleted. */
static bool advance(sb_server *s, json_t *inst, int64_t dt, bool *gone)
{
	const char *st = stj_str(inst, "status");

	*gone = false;
	if (co_priv_int(inst, "queued", 0))
		return false;
	if (strcmp(st, "PROVISIONING") == 0 && elapsed(s, inst, CO_PROVISION_S)) {
		co_set_status(s, inst, "STAGING");
		return true;
	}
	if (strcmp(st, "STAGING") == 0 && elapsed(s, inst, CO_STAGE_S)) {
		become_running(s, inst);
		return true;
	}
	if (strcmp(st, "RUNNING") == 0)
		return running_checks(s, inst, dt);
	if (strcmp(st, "STOPPING") == 0 && elapsed(s, inst, CO_STOP_S)) {
		co_op_finish(s, co_priv_str(inst, "op"), 0, NULL, NULL);
		json_object_del(co_priv(inst), "op");
		if (co_priv_int(inst, "deleting", 0)) {
			sb_del(s, CK_INSTANCE, co_priv_str(inst, "fullName"));
			*gone = true;
		} else {
			co_set_status(s, inst, "TERMINATED");
		}
		return true;
	}
	return false;
}

static int by_queue_time(const void *a, const void *b)
{
	int64_t x = co_priv_int(*(json_t *const *)a, "queuedAt", 0);
	int64_t y = co_priv_int(*(json_t *const *)b, "queuedAt", 0);

	return x < y ? -1 : x > y;
}

/* Flex-start requests, oldest first; a request that does not fit blocks its zone. */
static void run_queue(sb_server *s, json_t *all)
{
	json_t *q[256], *inst;
	size_t i, n = 0;
	char code[64], msg[512], blocked[1024] = "";
	const char *zone;

	json_array_foreach(all, i, inst)
		if (co_priv_int(inst, "queued", 0) && n < sizeof(q) / sizeof(q[0]))
			q[n++] = inst;
	qsort(q, n, sizeof(q[0]), by_queue_time);
	for (i = 0; i < n; i++) {
		zone = cap_basename(stj_str(q[i], "zone"));
		if (strstr(blocked, zone))
			continue;
		if (co_acquire(s, q[i], code, sizeof(code), msg, sizeof(msg)) != 0) {
			st_strlcpy(blocked + strlen(blocked), zone, sizeof(blocked) - strlen(blocked));
			continue;
		}
		json_object_del(co_priv(q[i]), "queued");
		co_set_status(s, q[i], "PROVISIONING");
		co_op_note(s, co_priv_str(q[i], "op"), "Capacity found; provisioning.");
		sb_put(s, CK_INSTANCE, co_priv_str(q[i], "fullName"), q[i]);
	}
}

void co_tick(sb_server *s)
{
	static int64_t last;
	int64_t now = sb_now_ms(s), dt = last ? now - last : 0;
	json_t *all = sb_list(s, CK_INSTANCE, "projects/"), *inst;
	size_t i;
	bool gone;

	last = now;
	run_queue(s, all);
	json_array_foreach(all, i, inst)
		if (advance(s, inst, dt, &gone) && !gone)
			sb_put(s, CK_INSTANCE, co_priv_str(inst, "fullName"), inst);
	json_decref(all);
}

void co_shutdown(sb_server *s)
{
	json_t *all = sb_list(s, CK_INSTANCE, "projects/"), *inst;
	size_t i;

	json_array_foreach(all, i, inst)
		guest_kill((pid_t)co_priv_int(inst, "pid", 0));
	json_decref(all);
}

/* Scripts recorded as running belonged to the previous sandbox process: they were
 * killed at its shutdown (or orphaned by a crash) and are not started again. */
int co_init_guests(sb_server *s)
{
	json_t *all = sb_list(s, CK_INSTANCE, "projects/"), *inst;
	size_t i;

	json_array_foreach(all, i, inst) {
		if (co_priv_int(inst, "pid", 0) <= 0)
			continue;
		pump(s, inst, true);
		serial_printf(s, inst, "[sandbox] startup-script interrupted by a sandbox restart; "
			      "it runs again only at the next boot\r\n");
		json_object_set_new(co_priv(inst), "pid", json_integer(0));
		sb_put(s, CK_INSTANCE, co_priv_str(inst, "fullName"), inst);
	}
	json_decref(all);
	return 0;
}
