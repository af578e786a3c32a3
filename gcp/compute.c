#include "gcp/compute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "gcp/internal.h"

static gcp_rq *at(const gcp_endpoints *ep, const char *method, const char *id, char *path, bool mutation)
{
	gcp_rq *rq = path ? gcp_rq_new(ep, GCP_API_COMPUTE, NULL, method, id, path) : NULL;
	free(path);
	if (rq && mutation)
		gcp_rq_request_id(rq);
	return rq;
}

gcp_rq *gcp_ce_reservation_insert(const gcp_endpoints *ep, const char *project, const char *zone, const char *name,
				  const char *machine_type, const char *accel_type, int accel_count, int64_t count)
{
	gcp_rq *rq = at(ep, "POST", "compute.reservations.insert",
			gcp_pathf("/compute/v1/projects/%s/zones/%s/reservations", project, zone), true);
	json_t *props = json_pack("{s:s}", "machineType", machine_type);
	if (accel_type && accel_count > 0)
		json_object_set_new(props, "guestAccelerators",
				    json_pack("[{s:s,s:i}]", "acceleratorType", accel_type, "acceleratorCount", accel_count));
	gcp_rq_body(rq, json_pack("{s:s,s:b,s:{s:o,s:o}}", "name", name, "specificReservationRequired", 1,
				  "specificReservation", "count", stj_int64_string(count), "instanceProperties", props));
	return rq;
}

gcp_rq *gcp_ce_reservation_get(const gcp_endpoints *ep, const char *project, const char *zone, const char *name)
{
	return at(ep, "GET", "compute.reservations.get",
		  gcp_pathf("/compute/v1/projects/%s/zones/%s/reservations/%s", project, zone, name), false);
}

gcp_rq *gcp_ce_reservation_delete(const gcp_endpoints *ep, const char *project, const char *zone, const char *name)
{
	return at(ep, "DELETE", "compute.reservations.delete",
		  gcp_pathf("/compute/v1/projects/%s/zones/%s/reservations/%s", project, zone, name), true);
}

static json_t *scheduling(const gcp_template_spec *s)
{
	const char *prov = s->provisioning ? s->provisioning : "STANDARD";
	json_t *sc = json_pack("{s:s,s:b,s:s}", "onHostMaintenance", "TERMINATE", "automaticRestart", 0,
			       "provisioningModel", prov);
	if (s->termination_action && strcmp(prov, "STANDARD") != 0)
		json_object_set_new(sc, "instanceTerminationAction", json_string(s->termination_action));
	if (s->max_run_duration_s > 0)
		json_object_set_new(sc, "maxRunDuration", json_pack("{s:o}", "seconds", stj_int64_string(s->max_run_duration_s)));
	return sc;
}

static json_t *template_props(const gcp_template_spec *s)
{
	json_t *p = json_pack("{s:s,s:o}", "machineType", s->machine_type, "scheduling", scheduling(s));
	if (s->accel_type && s->accel_count > 0)
		json_object_set_new(p, "guestAccelerators", json_pack("[{s:s,s:i}]", "acceleratorType", s->accel_type,
								      "acceleratorCount", s->accel_count));
	if (s->confidential_type)
		json_object_set_new(p, "confidentialInstanceConfig",
				    json_pack("{s:s}", "confidentialInstanceType", s->confidential_type));
	json_object_set_new(p, "shieldedInstanceConfig", json_pack("{s:b,s:b,s:b}", "enableSecureBoot", 1,
								   "enableVtpm", 1, "enableIntegrityMonitoring", 1));
	if (s->reservation)
		json_object_set_new(p, "reservationAffinity",
				    json_pack("{s:s,s:s,s:[s]}", "consumeReservationType", "SPECIFIC_RESERVATION",
					      "key", "compute.googleapis.com/reservation-name", "values", s->reservation));
	else
		json_object_set_new(p, "reservationAffinity", json_pack("{s:s}", "consumeReservationType", "NO_RESERVATION"));
	json_t *init = json_pack("{s:s,s:o,s:s}", "sourceImage", s->image ? s->image : "",
				 "diskSizeGb", stj_int64_string(s->disk_gb > 0 ? s->disk_gb : 200),
				 "diskType", s->disk_type ? s->disk_type : "pd-balanced");
	json_object_set_new(p, "disks", json_pack("[{s:b,s:b,s:s,s:s,s:o}]", "boot", 1, "autoDelete", 1, "type",
						  "PERSISTENT", "interface", "NVME", "initializeParams", init));
	json_object_set_new(p, "networkInterfaces",
			    json_pack("[{s:s,s:[{s:s,s:s}]}]", "network", "global/networks/default", "accessConfigs",
				      "type", "ONE_TO_ONE_NAT", "name", "External NAT"));
	if (s->service_account)
		json_object_set_new(p, "serviceAccounts", json_pack("[{s:s,s:[s]}]", "email", s->service_account, "scopes",
								    "https://www.googleapis.com/auth/cloud-platform"));
	if (s->startup_script)
		json_object_set_new(p, "metadata", json_pack("{s:[{s:s,s:s}]}", "items", "key", "startup-script",
							     "value", s->startup_script));
	if (s->labels)
		json_object_set_new(p, "labels", json_deep_copy(s->labels));
	return p;
}

gcp_rq *gcp_ce_template_insert(const gcp_endpoints *ep, const char *project, const gcp_template_spec *s)
{
	gcp_rq *rq = at(ep, "POST", "compute.instanceTemplates.insert",
			gcp_pathf("/compute/v1/projects/%s/global/instanceTemplates", project), true);
	gcp_rq_body(rq, json_pack("{s:s,s:o}", "name", s->name, "properties", template_props(s)));
	return rq;
}

gcp_rq *gcp_ce_template_get(const gcp_endpoints *ep, const char *project, const char *name)
{
	return at(ep, "GET", "compute.instanceTemplates.get",
		  gcp_pathf("/compute/v1/projects/%s/global/instanceTemplates/%s", project, name), false);
}

gcp_rq *gcp_ce_template_delete(const gcp_endpoints *ep, const char *project, const char *name)
{
	return at(ep, "DELETE", "compute.instanceTemplates.delete",
		  gcp_pathf("/compute/v1/projects/%s/global/instanceTemplates/%s", project, name), true);
}

gcp_rq *gcp_ce_instance_insert(const gcp_endpoints *ep, const char *project, const char *zone, const char *name,
			       const char *template_name)
{
	gcp_rq *rq = at(ep, "POST", "compute.instances.insert",
			gcp_pathf("/compute/v1/projects/%s/zones/%s/instances", project, zone), true);
	char *t = gcp_pathf("global/instanceTemplates/%s", template_name);
	gcp_rq_query(rq, "sourceInstanceTemplate", t);
	free(t);
	gcp_rq_body(rq, json_pack("{s:s}", "name", name));
	return rq;
}

gcp_rq *gcp_ce_instance_get(const gcp_endpoints *ep, const char *project, const char *zone, const char *name)
{
	return at(ep, "GET", "compute.instances.get",
		  gcp_pathf("/compute/v1/projects/%s/zones/%s/instances/%s", project, zone, name), false);
}

gcp_rq *gcp_ce_instance_delete(const gcp_endpoints *ep, const char *project, const char *zone, const char *name)
{
	return at(ep, "DELETE", "compute.instances.delete",
		  gcp_pathf("/compute/v1/projects/%s/zones/%s/instances/%s", project, zone, name), true);
}

gcp_rq *gcp_ce_instance_reset(const gcp_endpoints *ep, const char *project, const char *zone, const char *name)
{
	return at(ep, "POST", "compute.instances.reset",
		  gcp_pathf("/compute/v1/projects/%s/zones/%s/instances/%s/reset", project, zone, name), true);
}

gcp_rq *gcp_ce_instances_list(const gcp_endpoints *ep, const char *project, const char *zone, const char *filter,
			      const char *page_token)
{
	gcp_rq *rq = at(ep, "GET", "compute.instances.list",
			gcp_pathf("/compute/v1/projects/%s/zones/%s/instances", project, zone), false);
	gcp_rq_query(rq, "filter", filter);
	gcp_rq_query(rq, "pageToken", page_token);
	return rq;
}

gcp_rq *gcp_ce_instance_set_metadata(const gcp_endpoints *ep, const char *project, const char *zone, const char *name,
				     const char *fingerprint, const json_t *items)
{
	gcp_rq *rq = at(ep, "POST", "compute.instances.setMetadata",
			gcp_pathf("/compute/v1/projects/%s/zones/%s/instances/%s/setMetadata", project, zone, name), true);
	json_t *b = json_pack("{s:o}", "items", items ? json_deep_copy(items) : json_array());
	if (fingerprint)
		json_object_set_new(b, "fingerprint", json_string(fingerprint));
	gcp_rq_body(rq, b);
	return rq;
}

gcp_rq *gcp_ce_serial_port(const gcp_endpoints *ep, const char *project, const char *zone, const char *name,
			   int port, int64_t start)
{
	gcp_rq *rq = at(ep, "GET", "compute.instances.getSerialPortOutput",
			gcp_pathf("/compute/v1/projects/%s/zones/%s/instances/%s/serialPort", project, zone, name), false);
	gcp_rq_query_int(rq, "port", port);
	gcp_rq_query_int(rq, "start", (long long)start);
	return rq;
}

gcp_rq *gcp_ce_shielded_identity(const gcp_endpoints *ep, const char *project, const char *zone, const char *name)
{
	return at(ep, "GET", "compute.instances.getShieldedInstanceIdentity",
		  gcp_pathf("/compute/v1/projects/%s/zones/%s/instances/%s/getShieldedInstanceIdentity", project, zone, name),
		  false);
}

gcp_rq *gcp_ce_operation_wait(const gcp_endpoints *ep, const char *project, const char *zone, const char *op)
{
	if (zone)
		return at(ep, "POST", "compute.zoneOperations.wait",
			  gcp_pathf("/compute/v1/projects/%s/zones/%s/operations/%s/wait", project, zone, op), false);
	return at(ep, "POST", "compute.globalOperations.wait",
		  gcp_pathf("/compute/v1/projects/%s/global/operations/%s/wait", project, op), false);
}

gcp_rq *gcp_ce_operation_get(const gcp_endpoints *ep, const char *project, const char *zone, const char *op)
{
	if (zone)
		return at(ep, "GET", "compute.zoneOperations.get",
			  gcp_pathf("/compute/v1/projects/%s/zones/%s/operations/%s", project, zone, op), false);
	return at(ep, "GET", "compute.globalOperations.get",
		  gcp_pathf("/compute/v1/projects/%s/global/operations/%s", project, op), false);
}

/* ------------------------------------------------------------------ parsers */

static void last_segment(char *dst, size_t size, const char *url)
{
	const char *s = url ? strrchr(url, '/') : NULL;
	st_sanitize_text(dst, size, s ? s + 1 : url ? url : "");
}

static void copy(char *dst, size_t size, const char *s)
{
	st_sanitize_text(dst, size, s ? s : "");
}

int gcp_ce_op_parse(const json_t *j, gcp_ce_op *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	const char *name = stj_str(j, "name"), *status = stj_str(j, "status");
	if (!name || !status) {
		snprintf(err, errlen, "compute Operation lacks %s", name ? "status" : "name");
		return -1;
	}
	if (strcmp(status, "PENDING") && strcmp(status, "RUNNING") && strcmp(status, "DONE")) {
		snprintf(err, errlen, "compute Operation %.100s: unknown status", name);
		return -1;
	}
	copy(o->name, sizeof o->name, name);
	copy(o->status, sizeof o->status, status);
	last_segment(o->zone, sizeof o->zone, stj_str(j, "zone"));
	copy(o->target, sizeof o->target, stj_str(j, "targetLink"));
	int64_t pr = 0;
	if (stj_int64(j, "progress", &pr) && pr >= 0 && pr <= 100)
		o->progress = (int)pr;
	json_t *errs = stj_get(j, "error.errors");
	if (strcmp(status, "DONE") == 0 && json_is_array(errs) && json_array_size(errs) > 0) {
		int64_t http = 0;
		stj_int64(j, "httpErrorStatusCode", &http);
		o->failed = true;
		gcp_error_set(&o->err, (int)http, http ? gcp_rpc_from_http(http) : 2, NULL, "%s",
			      stj_str(errs, "0.message") ? stj_str(errs, "0.message") : "operation failed");
		copy(o->err.reason, sizeof o->err.reason, stj_str(errs, "0.code"));
		snprintf(o->err.where, sizeof o->err.where, "operation %.120s", o->name);
	}
	return 0;
}

int gcp_ce_instance_parse(const json_t *j, gcp_ce_instance *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	if (!stj_str(j, "name") || !stj_str(j, "status")) {
		snprintf(err, errlen, "compute Instance lacks name or status");
		return -1;
	}
	copy(o->name, sizeof o->name, stj_str(j, "name"));
	copy(o->id, sizeof o->id, stj_str(j, "id"));
	copy(o->status, sizeof o->status, stj_str(j, "status"));
	copy(o->confidential_type, sizeof o->confidential_type,
	     stj_str(j, "confidentialInstanceConfig.confidentialInstanceType"));
	copy(o->fingerprint, sizeof o->fingerprint, stj_str(j, "metadata.fingerprint"));
	last_segment(o->machine_type, sizeof o->machine_type, stj_str(j, "machineType"));
	last_segment(o->accelerator, sizeof o->accelerator, stj_str(j, "guestAccelerators.0.acceleratorType"));
	stj_int64(j, "guestAccelerators.0.acceleratorCount", &o->accel_count);
	copy(o->provisioning, sizeof o->provisioning, stj_str(j, "scheduling.provisioningModel"));
	return 0;
}

int gcp_ce_reservation_parse(const json_t *j, gcp_ce_reservation *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	if (!stj_str(j, "name")) {
		snprintf(err, errlen, "compute Reservation lacks a name");
		return -1;
	}
	copy(o->name, sizeof o->name, stj_str(j, "name"));
	copy(o->status, sizeof o->status, stj_str(j, "status"));
	if (!stj_int64(j, "specificReservation.count", &o->count)) {
		snprintf(err, errlen, "Reservation %s: specificReservation.count missing or not an int64", o->name);
		return -1;
	}
	if (json_object_get(json_object_get(j, "specificReservation"), "inUseCount") &&
	    !stj_int64(j, "specificReservation.inUseCount", &o->in_use)) {
		snprintf(err, errlen, "Reservation %s: inUseCount is not an int64", o->name);
		return -1;
	}
	return 0;
}

int gcp_ce_serial_parse(const json_t *j, gcp_ce_serial *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	o->contents = stj_str(j, "contents");
	if (!o->contents || !stj_int64(j, "next", &o->next) || o->next < 0) {
		snprintf(err, errlen, "serial port output lacks contents or next");
		return -1;
	}
	stj_int64(j, "start", &o->start);
	return 0;
}
