/* Instance life cycle, driven by the module tick: timed status changes in sandbox
 * time, the Flex-start queue, maxRunDuration and SPOT preemption. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "sandbox/capacity.h"
#include "sandbox/compute.h"

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

static bool elapsed(sb_server *s, const json_t *inst, int seconds)
{
	return sb_now_ms(s) - co_priv_int(inst, "since", 0) >= seconds * 1000LL;
}

static void system_event(sb_server *s, const json_t *inst, const char *method, const char *msg)
{
	char *ln = co_log_name(inst, "cloudaudit.googleapis.com%2Fsystem_event");

	sb_log_entry(s, json_pack("{s:s, s:o, s:s, s:{s:s, s:s, s:s, s:s, s:{s:s}}}",
				  "logName", ln, "resource", co_gce_resource(inst), "severity", "NOTICE",
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
	co_serial_printf(s, inst, "[sandbox] %s\r\n", why);
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
	return co_guest_watch(s, inst);
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
