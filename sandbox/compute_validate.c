#include "sandbox/compute_validate.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "sandbox/capacity.h"

/* Families per confidential technology, as Google's supported-configurations page
 * lists them (see API-NOTES §6.1). */
static const char *const sev_families[] = {"n2d", "c2d", "c3d", "c4d", NULL};
static const char *const snp_families[] = {"n2d", NULL};
static const char *const tdx_families[] = {"c3", NULL};

#define GPU_CVM_MACHINE "a3-highgpu-1g"
#define GPU_CVM_GPU "nvidia-h100-80gb"

static bool family_in(const char *mt, const char *const *families)
{
	size_t n;

	for (; *families; families++) {
		n = strlen(*families);
		if (strncmp(mt, *families, n) == 0 && mt[n] == '-')
			return true;
	}
	return false;
}

const char *cv_confidential_type(const json_t *props)
{
	const char *t = stj_str(props, "confidentialInstanceConfig.confidentialInstanceType");

	if (t && strcmp(t, "CONFIDENTIAL_INSTANCE_TYPE_UNSPECIFIED") != 0)
		return t;
	if (stj_bool(props, "confidentialInstanceConfig.enableConfidentialCompute", false))
		return "SEV";
	return NULL;
}

static int check_enum(const json_t *props, const char *path, const char *const *allowed,
		      char *err, size_t errlen)
{
	json_t *v = stj_get(props, path);
	const char *s = json_string_value(v);

	if (!v)
		return 0;
	for (; s && *allowed; allowed++)
		if (strcmp(s, *allowed) == 0)
			return 0;
	snprintf(err, errlen, "Invalid value for field '%s': '%s'.", path,
		 s ? s : "(not a string)");
	return -1;
}

static int check_enums(const json_t *props, char *err, size_t errlen)
{
	static const char *const ctype[] = {"SEV", "SEV_SNP", "TDX",
		"CONFIDENTIAL_INSTANCE_TYPE_UNSPECIFIED", NULL};
	static const char *const model[] = {"STANDARD", "SPOT", "FLEX_START",
		"RESERVATION_BOUND", NULL};
	static const char *const ohm[] = {"MIGRATE", "TERMINATE", NULL};
	static const char *const term[] = {"STOP", "DELETE",
		"INSTANCE_TERMINATION_ACTION_UNSPECIFIED", NULL};
	static const char *const affinity[] = {"ANY_RESERVATION", "NO_RESERVATION",
		"SPECIFIC_RESERVATION", "UNSPECIFIED", NULL};

	if (check_enum(props, "confidentialInstanceConfig.confidentialInstanceType", ctype,
		       err, errlen) ||
	    check_enum(props, "scheduling.provisioningModel", model, err, errlen) ||
	    check_enum(props, "scheduling.onHostMaintenance", ohm, err, errlen) ||
	    check_enum(props, "scheduling.instanceTerminationAction", term, err, errlen) ||
	    check_enum(props, "reservationAffinity.consumeReservationType", affinity, err, errlen))
		return -1;
	return 0;
}

static bool terminates_on_maintenance(const json_t *props)
{
	const char *ohm = stj_str(props, "scheduling.onHostMaintenance");

	return ohm && strcmp(ohm, "TERMINATE") == 0;
}

static bool uses_scsi_disk(const json_t *props)
{
	size_t i;
	json_t *d;
	const char *iface;

	json_array_foreach(json_object_get(props, "disks"), i, d) {
		iface = json_string_value(json_object_get(d, "interface"));
		if (iface && strcmp(iface, "SCSI") == 0)
			return true;
	}
	return false;
}

static int check_gpu_cvm(const char *mt, const char *type, const char *gpu, char *err,
			 size_t errlen)
{
	if (strcmp(mt, GPU_CVM_MACHINE) == 0 && strcmp(gpu, GPU_CVM_GPU) == 0 &&
	    strcmp(type, "TDX") == 0)
		return 0;
	snprintf(err, errlen, "Confidential VM type %s is not supported with machine type %s "
		 "and accelerator %s. GPU Confidential VMs require machine type " GPU_CVM_MACHINE
		 " with " GPU_CVM_GPU " and confidentialInstanceType TDX.", type, mt, gpu);
	return -1;
}

static int check_family(const char *mt, const char *type, const json_t *props, char *err,
			size_t errlen)
{
	const char *const *fam = strcmp(type, "SEV") == 0 ? sev_families :
		strcmp(type, "SEV_SNP") == 0 ? snp_families : tdx_families;
	const char *cpu = stj_str(props, "minCpuPlatform");

	if (strcmp(type, "TDX") == 0 && strcmp(mt, GPU_CVM_MACHINE) == 0)
		return 0;
	if (!family_in(mt, fam)) {
		snprintf(err, errlen, "Confidential VM type %s is not supported for machine type "
			 "%s.", type, mt);
		return -1;
	}
	if (strcmp(type, "SEV_SNP") == 0 && (!cpu || strcmp(cpu, "AMD Milan") != 0)) {
		snprintf(err, errlen, "Confidential VM type SEV_SNP requires minCpuPlatform "
			 "'AMD Milan'.");
		return -1;
	}
	return 0;
}

static int check_confidential(const json_t *props, const char *mt, int gpus, const char *gpu,
			      char *err, size_t errlen)
{
	const char *type = cv_confidential_type(props);

	if (!type)
		return 0;
	if (gpus > 0 ? check_gpu_cvm(mt, type, gpu, err, errlen) :
		       check_family(mt, type, props, err, errlen))
		return -1;
	if (!terminates_on_maintenance(props)) {
		snprintf(err, errlen, "Confidential VMs do not support live migration: "
			 "scheduling.onHostMaintenance must be TERMINATE.");
		return -1;
	}
	if (uses_scsi_disk(props)) {
		snprintf(err, errlen, "Confidential VM type %s requires NVMe disks; the SCSI "
			 "interface is not supported.", type);
		return -1;
	}
	return 0;
}

static int check_max_run(const json_t *props, char *err, size_t errlen)
{
	json_t *mrd = stj_get(props, "scheduling.maxRunDuration");
	int64_t secs;

	if (!mrd) {
		snprintf(err, errlen, "FLEX_START instances require scheduling.maxRunDuration.");
		return -1;
	}
	if (!stj_int64(mrd, "seconds", &secs) || secs < 30 || secs > 604800) {
		snprintf(err, errlen, "scheduling.maxRunDuration.seconds must be between 30 and "
			 "604800 (7 days).");
		return -1;
	}
	return 0;
}

static int check_scheduling(const json_t *props, int gpus, char *err, size_t errlen)
{
	const char *model = stj_str(props, "scheduling.provisioningModel");
	const char *aff = stj_str(props, "reservationAffinity.consumeReservationType");
	bool flex = model && strcmp(model, "FLEX_START") == 0;

	if (gpus > 0 && !terminates_on_maintenance(props)) {
		snprintf(err, errlen, "Instances with guest accelerators do not support live "
			 "migration: scheduling.onHostMaintenance must be TERMINATE.");
		return -1;
	}
	if (flex && check_max_run(props, err, errlen))
		return -1;
	if (flex && aff && strcmp(aff, "SPECIFIC_RESERVATION") == 0) {
		snprintf(err, errlen, "FLEX_START instances cannot consume a specific "
			 "reservation; choose reservationAffinity NO_RESERVATION.");
		return -1;
	}
	if (aff && strcmp(aff, "SPECIFIC_RESERVATION") == 0 &&
	    (json_array_size(stj_get(props, "reservationAffinity.values")) != 1 ||
	     !stj_str(props, "reservationAffinity.values.0"))) {
		snprintf(err, errlen, "reservationAffinity.values must name exactly one "
			 "reservation for SPECIFIC_RESERVATION.");
		return -1;
	}
	return 0;
}

int cv_check_instance(const json_t *props, char *err, size_t errlen)
{
	const char *mt = stj_str(props, "machineType");
	char gpu[64];
	int gpus;

	if (!json_is_object(props)) {
		snprintf(err, errlen, "Instance properties must be a JSON object.");
		return -1;
	}
	if (!mt || !*cap_basename(mt)) {
		snprintf(err, errlen, "Invalid value for field 'machineType': required.");
		return -1;
	}
	if (check_enums(props, err, errlen))
		return -1;
	gpus = cap_shape_gpus(mt, json_object_get(props, "guestAccelerators"), gpu, sizeof(gpu),
			      err, errlen);
	if (gpus < 0)
		return -1;
	if (check_confidential(props, cap_basename(mt), gpus, gpu, err, errlen))
		return -1;
	return check_scheduling(props, gpus, err, errlen);
}

int cv_check_reservation(const json_t *body, char *err, size_t errlen)
{
	const char *name = stj_str(body, "name");
	json_t *props = stj_get(body, "specificReservation.instanceProperties");
	json_t *tmpl = stj_get(body, "specificReservation.sourceInstanceTemplate");
	int64_t count;
	char gpu[64];

	if (!name || !cv_name_ok(name)) {
		snprintf(err, errlen, "Invalid value for field 'resource.name': '%s'. Must be a "
			 "match of regex '[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?'", name ? name : "");
		return -1;
	}
	if (!stj_int64(body, "specificReservation.count", &count) || count < 1 || count > 1000) {
		snprintf(err, errlen, "Invalid value for field 'resource.specificReservation.count':"
			 " must be between 1 and 1000.");
		return -1;
	}
	if ((props != NULL) == (tmpl != NULL)) {
		snprintf(err, errlen, "specificReservation needs exactly one of instanceProperties"
			 " and sourceInstanceTemplate.");
		return -1;
	}
	if (props && (!stj_str(props, "machineType") ||
		      cap_shape_gpus(stj_str(props, "machineType"),
				     json_object_get(props, "guestAccelerators"), gpu, sizeof(gpu),
				     err, errlen) < 0)) {
		if (!stj_str(props, "machineType"))
			snprintf(err, errlen, "Invalid value for field 'resource.specificReservation"
				 ".instanceProperties.machineType': required.");
		return -1;
	}
	return 0;
}

int cv_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 1 || n > 63 || !islower((unsigned char)name[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '-')
			return 0;
	return name[n - 1] != '-';
}

int cv_request_id_ok(const char *id)
{
	static const char dash[] = {8, 13, 18, 23};
	size_t i, k = 0;
	bool nonzero = false;

	if (strlen(id) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (k < 4 && (size_t)dash[k] == i) {
			if (id[i] != '-')
				return 0;
			k++;
			continue;
		}
		if (!isxdigit((unsigned char)id[i]))
			return 0;
		if (id[i] != '0')
			nonzero = true;
	}
	return nonzero;
}
