/* Booting a VM: the boot log on serial port 1 (memory encryption, GPUs), the Shielded
 * VM integrity events, then the startup script. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/str.h"
#include "sandbox/compute.h"
#include "sandbox/compute_validate.h"

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

	co_serial_printf(s, inst, "[sandbox] simulated boot %lld of %s (no real hardware: this log "
		      "is produced by sealtrain-sandbox)\r\n", (long long)co_priv_int(inst, "boot", 0),
		      stj_str(inst, "name"));
	co_serial_printf(s, inst, "SeaBIOS (version 1.8.2-google)\r\nBooting from Hard Disk 0...\r\n");
	co_serial_printf(s, inst, "[    0.000000] Linux version 6.8.0-sandbox (simulated guest)\r\n");
	co_serial_printf(s, inst, "[    0.000000] Memory Encryption Features active: %s\r\n",
		      memory_encryption(inst));
	if (ct && strcmp(ct, "TDX") == 0)
		co_serial_printf(s, inst, "[    0.000000] tdx: Guest detected\r\n");
	for (i = 0; i < n; i++)
		co_serial_printf(s, inst, "[    2.%06d] nvidia 0000:00:%02x.0: GPU %d: %s, "
			      "confidential computing mode: %s\r\n", 100000 + i, 5 + i, i,
			      gpu_model(gpu ? gpu : ""), cc ? "on" : "off");
	co_serial_printf(s, inst, "[    3.000000] systemd[1]: Reached target Multi-User System.\r\n");
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
	char *ln = co_log_name(inst, "compute.googleapis.com%2Fshielded_vm_integrity");
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
					  "resource", co_gce_resource(inst), "severity", "NOTICE",
					  "jsonPayload", payload, "labels",
					  "sandbox.sealtrain/simulated", "true"));
		json_decref(m);
	}
	free(ln);
}

void co_boot(sb_server *s, json_t *inst)
{
	const char *script;
	int64_t boot = co_priv_int(inst, "boot", 0) + 1;

	json_object_set_new(co_priv(inst), "boot", json_integer(boot));
	boot_log(s, inst);
	integrity_events(s, inst);
	script = co_metadata_value(inst, "startup-script");
	/* Recorded before the script starts so that a restart never runs it twice. */
	json_object_set_new(co_priv(inst), "scriptBoot", json_integer(boot));
	if (script)
		co_guest_start(s, inst, script);
}
