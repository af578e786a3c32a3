/* Compute instances: insert (body or template), get, list, delete, start, stop,
 * reset, setMetadata. The timed status changes happen in compute_lifecycle.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "sandbox/capacity.h"
#include "sandbox/compute.h"
#include "sandbox/compute_validate.h"

static int check_items(sb_call *c, const json_t *items);

static char *inst_name(sb_call *c, const char *name)
{
	return st_xasprintf("projects/%s/zones/%s/instances/%s", sb_var(c, "project"),
			    sb_var(c, "zone"), name);
}

static void new_fingerprint(json_t *md)
{
	unsigned char raw[8];
	char *b64;

	st_random_bytes(raw, sizeof(raw));
	b64 = st_base64_encode(raw, sizeof(raw));
	json_object_set_new(md, "fingerprint", json_string(b64));
	free(b64);
}

/* Template properties overlaid with the body's fields; NULL when it answered. */
static json_t *merged_props(sb_server *s, sb_call *c, json_t *body)
{
	const char *tref = sb_query(c, "sourceInstanceTemplate");
	json_t *tmpl, *props;

	if (!tref)
		return json_deep_copy(body);
	tmpl = co_template_lookup(s, sb_var(c, "project"), tref);
	if (!tmpl) {
		sb_reply_error(c, 404, "NOT_FOUND", "notFound", "The resource '%s' was not found",
			       tref);
		return NULL;
	}
	props = json_deep_copy(json_object_get(tmpl, "properties"));
	if (!json_is_object(props))
		props = json_object();
	json_object_update(props, body);
	json_object_set_new(props, "sourceInstanceTemplate",
			    json_string(stj_str(tmpl, "selfLink")));
	json_decref(tmpl);
	return props;
}

static char *zonal_link(sb_server *s, sb_call *c, const char *coll, const char *name)
{
	char *p = st_xasprintf("projects/%s/zones/%s/%s/%s", sb_var(c, "project"),
			       sb_var(c, "zone"), coll, cap_basename(name));
	char *l = co_link(s, p);

	free(p);
	return l;
}

static void set_link(json_t *obj, const char *key, char *link)
{
	json_object_set_new(obj, key, json_string(link));
	free(link);
}

static void default_obj(json_t *inst, const char *key, json_t *def)
{
	json_t *cur = json_object_get(inst, key);

	if (json_is_object(cur))
		json_object_update_missing(cur, def);
	else
		json_object_set(inst, key, def);
	json_decref(def);
}

/* Server-side fields and the defaults Google fills in. */
static void fill_instance(sb_server *s, sb_call *c, json_t *inst, const char *full)
{
	char ts[48], *zn = st_xasprintf("projects/%s/zones/%s", sb_var(c, "project"),
					sb_var(c, "zone"));
	const char *ct = NULL;
	json_t *md, *a;
	size_t i;

	co_ts(s, ts, sizeof(ts));
	json_object_set_new(inst, "kind", json_string("compute#instance"));
	json_object_set_new(inst, "id", stj_int64_string(7000000000000000000LL +
							 sb_next_id(s, "compute.resource")));
	json_object_set_new(inst, "creationTimestamp", json_string(ts));
	set_link(inst, "selfLink", co_link(s, full));
	set_link(inst, "zone", co_link(s, zn));
	set_link(inst, "machineType", zonal_link(s, c, "machineTypes", stj_str(inst, "machineType")));
	json_array_foreach(json_object_get(inst, "guestAccelerators"), i, a)
		set_link(a, "acceleratorType", zonal_link(s, c, "acceleratorTypes",
							  stj_str(a, "acceleratorType")));
	md = json_object_get(inst, "metadata");
	if (!json_is_object(md)) {
		md = json_object();
		json_object_set_new(inst, "metadata", md);
	}
	json_object_set_new(md, "kind", json_string("compute#metadata"));
	if (!json_is_array(json_object_get(md, "items")))
		json_object_set_new(md, "items", json_array());
	new_fingerprint(md);
	default_obj(inst, "scheduling", json_pack("{s:s, s:s, s:b, s:b}", "provisioningModel",
		    "STANDARD", "onHostMaintenance", "MIGRATE", "automaticRestart", 1,
		    "preemptible", 0));
	default_obj(inst, "shieldedInstanceConfig", json_pack("{s:b, s:b, s:b}",
		    "enableSecureBoot", 0, "enableVtpm", 1, "enableIntegrityMonitoring", 1));
	default_obj(inst, "reservationAffinity", json_pack("{s:s}", "consumeReservationType",
		    "ANY_RESERVATION"));
	if (!json_object_get(inst, "labels"))
		json_object_set_new(inst, "labels", json_object());
	ct = stj_str(inst, "confidentialInstanceConfig.confidentialInstanceType");
	json_object_set_new(inst, "cpuPlatform", json_string(
		ct && strcmp(ct, "TDX") == 0 ? "Intel Sapphire Rapids" :
		(ct || stj_bool(inst, "confidentialInstanceConfig.enableConfidentialCompute", 0)) ?
		"AMD Milan" : "Intel Cascade Lake"));
	json_object_set_new(inst, "status", json_string("PROVISIONING"));
	free(zn);
}

static int set_priv(sb_server *s, sb_call *c, json_t *inst, const char *full, char *err,
		    size_t errlen)
{
	json_t *p = co_priv(inst);
	char gpu[64];
	int gpus = cap_shape_gpus(stj_str(inst, "machineType"),
				  json_object_get(inst, "guestAccelerators"), gpu, sizeof(gpu),
				  err, errlen);

	if (gpus < 0)
		return -1;
	json_object_set_new(p, "fullName", json_string(full));
	json_object_set_new(p, "project", json_string(sb_var(c, "project")));
	json_object_set_new(p, "gpus", json_integer(gpus));
	json_object_set_new(p, "gpuType", json_string(gpu));
	json_object_set_new(p, "since", json_integer(sb_now_ms(s)));
	json_object_set_new(p, "boot", json_integer(0));
	return 0;
}

/* Capacity outcome for an insert or start: bound, queued or failed. */
static void place(sb_server *s, sb_call *c, json_t *inst, json_t *op, const char *full)
{
	char code[64], msg[512];
	int rc = co_acquire(s, inst, code, sizeof(code), msg, sizeof(msg));
	json_t *p = co_priv(inst);

	json_object_set_new(p, "op", json_string(co_priv_str(op, "fullName")));
	if (rc < 0) {
		co_op_reply_done(s, c, op, 503, code, msg);
		return;
	}
	co_set_status(s, inst, "PROVISIONING");
	if (rc == 1) {
		json_object_set_new(p, "queued", json_integer(1));
		json_object_set_new(p, "queuedAt", json_integer(sb_now_ms(s)));
		json_object_set_new(inst, "statusMessage", json_string(
			"Waiting for GPU capacity (FLEX_START request queued)."));
		snprintf(msg, sizeof(msg), "Queued: waiting for %d GPU(s) in zone %s (Flex-start).",
			 (int)co_priv_int(inst, "gpus", 0), sb_var(c, "zone"));
		json_object_set_new(op, "statusMessage", json_string(msg));
		sb_put(s, CK_OP, co_priv_str(op, "fullName"), op);
	}
	sb_put(s, CK_INSTANCE, full, inst);
	co_op_reply(s, c, op);
}

void co_instance_insert(sb_server *s, sb_call *c)
{
	json_t *body, *inst, *op;
	const char *name;
	char err[512], *full;

	if (co_replay(s, c, sb_var(c, "project")) || !(body = sb_json(c)))
		return;
	if (!(inst = merged_props(s, c, body)))
		return;
	name = stj_str(inst, "name");
	if (co_check_name(c, name) != 0) {
		json_decref(inst);
		return;
	}
	if (cv_check_instance(inst, err, sizeof(err)) != 0) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "%s", err);
		json_decref(inst);
		return;
	}
	if (stj_get(inst, "metadata") && !json_is_object(stj_get(inst, "metadata"))) {
		sb_reply_invalid(c, "Invalid value for field 'resource.metadata': must be an object.");
		json_decref(inst);
		return;
	}
	if (check_items(c, stj_get(inst, "metadata.items")) != 0) {
		json_decref(inst);
		return;
	}
	full = inst_name(c, name);
	if (co_already_exists(s, c, CK_INSTANCE, full) == 0) {
		if (set_priv(s, c, inst, full, err, sizeof(err)) != 0) {
			sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "%s", err);
		} else {
			fill_instance(s, c, inst, full);
			op = co_op_new(s, c, sb_var(c, "project"), sb_var(c, "zone"), "insert",
				       full, stj_str(inst, "id"));
			place(s, c, inst, op, full);
		}
	}
	json_decref(inst);
	free(full);
}

void co_instance_get(sb_server *s, sb_call *c)
{
	char *full = inst_name(c, sb_var(c, "instance"));

	co_reply_stored(s, c, CK_INSTANCE, full);
	free(full);
}

void co_instance_list(sb_server *s, sb_call *c)
{
	char *prefix = inst_name(c, "");

	co_reply_list(s, c, CK_INSTANCE, prefix, "compute#instanceList", NULL);
	free(prefix);
}

/* Fetches the instance for a mutating call, after requestId replay. */
static json_t *instance_for_change(sb_server *s, sb_call *c, char **full)
{
	*full = inst_name(c, sb_var(c, "instance"));
	return co_get_for_change(s, c, CK_INSTANCE, *full);
}

static json_t *op_for(sb_server *s, sb_call *c, const json_t *inst, const char *type)
{
	return co_op_new(s, c, sb_var(c, "project"), sb_var(c, "zone"), type,
			 co_priv_str(inst, "fullName"), stj_str(inst, "id"));
}

static bool status_is(const json_t *inst, const char *st)
{
	return strcmp(stj_str(inst, "status"), st) == 0;
}

/* A new operation takes over the instance: the one it replaces (an insert still
 * provisioning, a stop under way) ends DONE, as the VM did get that far. */
static void take_over(sb_server *s, json_t *inst, const json_t *op)
{
	co_op_finish(s, co_priv_str(inst, "op"), 0, NULL, NULL);
	json_object_set_new(co_priv(inst), "op", json_string(co_priv_str(op, "fullName")));
}

/* A queued Flex-start request that is stopped or deleted never got its VM. */
static void drop_queue(sb_server *s, json_t *inst, const char *why)
{
	if (!co_priv_int(inst, "queued", 0))
		return;
	json_object_del(co_priv(inst), "queued");
	json_object_del(inst, "statusMessage");
	co_op_finish(s, co_priv_str(inst, "op"), 409, "OPERATION_CANCELED", why);
}

/* Hands the instance to op and moves it to STOPPING (if not there already); the
 * guest has been halted by the caller. Replies with op. */
static void begin_stopping(sb_server *s, sb_call *c, json_t *inst, json_t *op,
			   const char *full)
{
	take_over(s, inst, op);
	if (!status_is(inst, "STOPPING"))
		co_set_status(s, inst, "STOPPING");
	sb_put(s, CK_INSTANCE, full, inst);
	co_op_reply(s, c, op);
}

void co_instance_delete(sb_server *s, sb_call *c)
{
	char *full;
	json_t *inst = instance_for_change(s, c, &full), *op;

	if (inst) {
		op = op_for(s, c, inst, "delete");
		co_halt_guest(s, inst);
		drop_queue(s, inst, "The queued request was cancelled by instance deletion.");
		json_object_set_new(co_priv(inst), "deleting", json_integer(1));
		begin_stopping(s, c, inst, op, full);
		json_decref(inst);
	}
	free(full);
}

void co_instance_stop(sb_server *s, sb_call *c)
{
	char *full;
	json_t *inst = instance_for_change(s, c, &full), *op;

	if (inst) {
		op = op_for(s, c, inst, "stop");
		if (status_is(inst, "TERMINATED") || co_priv_int(inst, "queued", 0)) {
			drop_queue(s, inst, "The queued request was cancelled by instance stop.");
			co_set_status(s, inst, "TERMINATED");
			sb_put(s, CK_INSTANCE, full, inst);
			co_op_reply_done(s, c, op, 0, NULL, NULL);
		} else if (co_priv_int(inst, "deleting", 0)) {
			co_op_reply_done(s, c, op, 400, "RESOURCE_NOT_READY",
					 "The instance is being deleted.");
		} else {
			co_halt_guest(s, inst);
			begin_stopping(s, c, inst, op, full);
		}
		json_decref(inst);
	}
	free(full);
}

void co_instance_start(sb_server *s, sb_call *c)
{
	char *full;
	json_t *inst = instance_for_change(s, c, &full), *op;

	if (inst) {
		op = op_for(s, c, inst, "start");
		if (!status_is(inst, "TERMINATED"))
			co_op_reply_done(s, c, op, 0, NULL, NULL); /* already on its way up */
		else
			place(s, c, inst, op, full);
		json_decref(inst);
	}
	free(full);
}

void co_instance_reset(sb_server *s, sb_call *c)
{
	char *full;
	json_t *inst = instance_for_change(s, c, &full), *op;

	if (inst) {
		if (!status_is(inst, "RUNNING")) {
			sb_reply_error(c, 400, "FAILED_PRECONDITION", "resourceNotReady",
				       "The resource '%s' is not ready", full);
		} else {
			op = op_for(s, c, inst, "reset");
			co_halt_guest(s, inst);
			co_boot(s, inst);
			sb_put(s, CK_INSTANCE, full, inst);
			co_op_reply_done(s, c, op, 0, NULL, NULL);
		}
		json_decref(inst);
	}
	free(full);
}

static int check_items(sb_call *c, const json_t *items)
{
	size_t i, total = 0;
	json_t *it;
	const char *k, *v;

	if (items && !json_is_array(items)) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Invalid value for field 'resource.items': must be a list.");
		return -1;
	}
	json_array_foreach(items, i, it) {
		k = stj_str(it, "key");
		v = stj_str(it, "value");
		if (!k || !*k || strlen(k) > 128 || strspn(k, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(k)) {
			sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid value for "
				       "field 'resource.items[%zu].key': '%.128s'.", i, k ? k : "");
			return -1;
		}
		total += strlen(k) + (v ? strlen(v) : 0);
	}
	if (total > 512 * 1024) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Metadata exceeds the 512 KB limit.");
		return -1;
	}
	return 0;
}

void co_instance_set_metadata(sb_server *s, sb_call *c)
{
	char *full;
	json_t *body = NULL, *inst = instance_for_change(s, c, &full), *md, *op;
	const char *fp;

	if (!inst || !(body = sb_json(c)) || check_items(c, json_object_get(body, "items"))) {
		json_decref(inst);
		free(full);
		return;
	}
	md = json_object_get(inst, "metadata");
	fp = stj_str(body, "fingerprint");
	if (!fp || strcmp(fp, stj_str(md, "fingerprint")) != 0) {
		sb_reply_error(c, 412, "FAILED_PRECONDITION", "conditionNotMet",
			       "Supplied fingerprint does not match current metadata fingerprint.");
	} else {
		if (json_object_get(body, "items"))
			json_object_set(md, "items", json_object_get(body, "items"));
		else
			json_object_set_new(md, "items", json_array());
		new_fingerprint(md);
		sb_put(s, CK_INSTANCE, full, inst);
		op = op_for(s, c, inst, "setMetadata");
		co_op_reply_done(s, c, op, 0, NULL, NULL);
	}
	json_decref(inst);
	free(full);
}
