/* Who holds which GPUs: reservations, on-demand VMs, simulated tenants; and the
 * decision, per instance, of where its GPUs come from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "sandbox/capacity.h"
#include "sandbox/compute.h"
#include "sandbox/vertex.h"

static const char *zone_of(const json_t *doc)
{
	return cap_basename(stj_str(doc, "zone"));
}

static bool holds_gpus(const json_t *inst)
{
	const char *st = stj_str(inst, "status");

	if (co_priv_int(inst, "queued", 0))
		return false;
	return strcmp(st, "PROVISIONING") == 0 || strcmp(st, "STAGING") == 0 ||
	       strcmp(st, "RUNNING") == 0 || strcmp(st, "STOPPING") == 0;
}

int co_zone_reserved(sb_server *s, const char *zone)
{
	json_t *all = sb_list(s, CK_RESERVATION, "projects/"), *r;
	size_t i;
	int64_t total = 0, count;

	json_array_foreach(all, i, r) {
		if (strcmp(zone_of(r), zone) != 0 || !stj_int64(r, "specificReservation.count", &count))
			continue;
		total += count * co_priv_int(r, "gpusPerVm", 0);
	}
	json_decref(all);
	return (int)total;
}

int co_zone_on_demand(sb_server *s, const char *zone)
{
	json_t *all = sb_list(s, CK_INSTANCE, "projects/"), *inst;
	size_t i;
	int total = 0;

	json_array_foreach(all, i, inst)
		if (strcmp(zone_of(inst), zone) == 0 && holds_gpus(inst) &&
		    !co_priv_str(inst, "reservation"))
			total += (int)co_priv_int(inst, "gpus", 0);
	json_decref(all);
	return total;
}

int co_reservation_in_use(sb_server *s, const char *res_name)
{
	json_t *all = sb_list(s, CK_INSTANCE, "projects/"), *inst;
	size_t i;
	int n = 0;
	const char *r;

	json_array_foreach(all, i, inst) {
		r = co_priv_str(inst, "reservation");
		if (r && strcmp(r, res_name) == 0 && holds_gpus(inst))
			n++;
	}
	json_decref(all);
	return n;
}

static uint64_t tenant_seed(sb_server *s)
{
	json_t *cfg = sb_get(s, CK_CONFIG, "tenant-seed");
	int64_t seed;

	if (!cfg || !stj_int64(cfg, "seed", &seed)) {
		json_decref(cfg);
		/* Drawn once from the --seed stream, then kept, so restarts agree. */
		seed = (int64_t)(sb_random(s) * 9007199254740992.0);
		cfg = json_pack("{s:o}", "seed", stj_int64_string(seed));
		sb_put(s, CK_CONFIG, "tenant-seed", cfg);
	}
	json_decref(cfg);
	return (uint64_t)seed;
}

int co_tenant_gpus(sb_server *s, const char *zone)
{
	if (co_opt.tenant_gpus <= 0)
		return 0;
	return cap_tenant_gpus(tenant_seed(s), zone, sb_now_ms(s), co_opt.tenant_gpus,
			       co_opt.tenant_slot_s);
}

int co_zone_free(sb_server *s, const char *zone)
{
	return cap_free(co_opt.gpus_per_zone, co_zone_reserved(s, zone),
			co_zone_on_demand(s, zone) + vx_zone_gpus(s, zone), co_tenant_gpus(s, zone));
}

int sb_gpu_capacity(sb_server *s, const char *zone)
{
	return co_opt.gpus_per_zone;
}

int sb_gpu_in_use(sb_server *s, const char *zone)
{
	return co_opt.gpus_per_zone - co_zone_free(s, zone);
}

/* Reservation names arrive as "r", "projects/P/zones/Z/reservations/r" or a URL. */
static char *reservation_name(const json_t *inst, const char *value)
{
	const char *self = stj_str(inst, "_sb.fullName"), *z = strstr(self, "/instances/");
	const char *p = strstr(value, "projects/");

	if (p && strstr(p, "/reservations/"))
		return st_xstrdup(p);
	return st_xasprintf("%.*s/reservations/%s", (int)(z - self), self, cap_basename(value));
}

static bool shape_matches(const json_t *res, const json_t *inst)
{
	const char *want = co_priv_str(res, "machineType");

	return want && strcmp(want, cap_basename(stj_str(inst, "machineType"))) == 0;
}

static int use_specific(sb_server *s, json_t *inst, char *code, size_t codelen, char *msg,
			size_t msglen)
{
	json_t *vals = stj_get(inst, "reservationAffinity.values");
	char *name = reservation_name(inst, json_string_value(json_array_get(vals, 0)));
	json_t *res = sb_get(s, CK_RESERVATION, name);
	int64_t count = 0, rc = -1;

	if (!res) {
		snprintf(code, codelen, "RESOURCE_NOT_FOUND");
		snprintf(msg, msglen, "The resource '%s' was not found", name);
	} else if (!shape_matches(res, inst)) {
		snprintf(code, codelen, "RESERVATION_MISMATCH");
		snprintf(msg, msglen, "Specified reservation '%s' does not match the instance's "
			 "machine type '%s'.", name, cap_basename(stj_str(inst, "machineType")));
	} else if (stj_int64(res, "specificReservation.count", &count) &&
		   co_reservation_in_use(s, name) >= count) {
		snprintf(code, codelen, "RESERVATION_CAPACITY_EXCEEDED");
		snprintf(msg, msglen, "Specified reservation '%s' does not have available "
			 "resources for the request.", name);
	} else {
		json_object_set_new(co_priv(inst), "reservation", json_string(name));
		rc = 0;
	}
	json_decref(res);
	free(name);
	return (int)rc;
}

/* ANY_RESERVATION (Google's default): an open reservation of the same shape with room. */
static bool use_any(sb_server *s, json_t *inst)
{
	const char *self = stj_str(inst, "_sb.fullName"), *z = strstr(self, "/instances/");
	char *prefix = st_xasprintf("%.*s/reservations/", (int)(z - self), self);
	json_t *all = sb_list(s, CK_RESERVATION, prefix), *r;
	size_t i;
	int64_t count;
	bool found = false;

	json_array_foreach(all, i, r) {
		const char *rn = co_priv_str(r, "fullName");

		if (stj_bool(r, "specificReservationRequired", false) || !shape_matches(r, inst) ||
		    !stj_int64(r, "specificReservation.count", &count) ||
		    co_reservation_in_use(s, rn) >= count)
			continue;
		json_object_set_new(co_priv(inst), "reservation", json_string(rn));
		found = true;
		break;
	}
	json_decref(all);
	free(prefix);
	return found;
}

int co_acquire(sb_server *s, json_t *inst, char *code, size_t codelen, char *msg,
	       size_t msglen)
{
	const char *aff = stj_str(inst, "reservationAffinity.consumeReservationType");
	const char *model = stj_str(inst, "scheduling.provisioningModel");
	int gpus = (int)co_priv_int(inst, "gpus", 0);

	json_object_del(co_priv(inst), "reservation");
	if (aff && strcmp(aff, "SPECIFIC_RESERVATION") == 0)
		return use_specific(s, inst, code, codelen, msg, msglen);
	if (gpus == 0)
		return 0;
	if ((!aff || strcmp(aff, "ANY_RESERVATION") == 0) && (!model ||
	    strcmp(model, "FLEX_START") != 0) && use_any(s, inst))
		return 0;
	if (co_zone_free(s, zone_of(inst)) >= gpus)
		return 0;
	if (model && strcmp(model, "FLEX_START") == 0)
		return 1;
	snprintf(code, codelen, "ZONE_RESOURCE_POOL_EXHAUSTED");
	snprintf(msg, msglen, "The zone 'projects/%s/zones/%s' does not have enough resources "
		 "available to fulfill the request.  Try a different zone, or try again later.",
		 co_priv_str(inst, "project"), zone_of(inst));
	return -1;
}
