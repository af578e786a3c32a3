/* Compute Engine: reservations, instance templates, instances, serial output,
 * metadata and operations. Every mutation carries a requestId (one per built
 * request, reused by the engine's retries), so a retried insert never duplicates. */
#ifndef GCP_COMPUTE_H
#define GCP_COMPUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "gcp/rq.h"

gcp_rq *gcp_ce_reservation_insert(const gcp_endpoints *ep, const char *project, const char *zone, const char *name,
				  const char *machine_type, const char *accel_type, int accel_count, int64_t count);
gcp_rq *gcp_ce_reservation_get(const gcp_endpoints *ep, const char *project, const char *zone, const char *name);
gcp_rq *gcp_ce_reservation_delete(const gcp_endpoints *ep, const char *project, const char *zone, const char *name);

typedef struct gcp_template_spec {
	const char *name;
	const char *machine_type;      /* "a3-highgpu-1g" */
	const char *accel_type;        /* "nvidia-h100-80gb" */
	int accel_count;
	const char *confidential_type; /* "TDX", "SEV", "SEV_SNP" or NULL */
	const char *provisioning;      /* "STANDARD", "SPOT", "FLEX_START" */
	int64_t max_run_duration_s;    /* FLEX_START: 1..604800; 0 none */
	const char *termination_action;/* "DELETE"/"STOP" or NULL */
	const char *reservation;       /* consume this specific reservation, or NULL */
	const char *image;             /* sourceImage */
	int disk_gb;
	const char *disk_type;
	const char *service_account;   /* e-mail or NULL */
	const char *startup_script;    /* or NULL */
	const json_t *labels;          /* or NULL */
} gcp_template_spec;

gcp_rq *gcp_ce_template_insert(const gcp_endpoints *ep, const char *project, const gcp_template_spec *spec);
gcp_rq *gcp_ce_template_get(const gcp_endpoints *ep, const char *project, const char *name);
gcp_rq *gcp_ce_template_delete(const gcp_endpoints *ep, const char *project, const char *name);

gcp_rq *gcp_ce_instance_insert(const gcp_endpoints *ep, const char *project, const char *zone, const char *name,
			       const char *template_name);
gcp_rq *gcp_ce_instance_get(const gcp_endpoints *ep, const char *project, const char *zone, const char *name);
gcp_rq *gcp_ce_instance_delete(const gcp_endpoints *ep, const char *project, const char *zone, const char *name);
gcp_rq *gcp_ce_instance_reset(const gcp_endpoints *ep, const char *project, const char *zone, const char *name);
gcp_rq *gcp_ce_instances_list(const gcp_endpoints *ep, const char *project, const char *zone, const char *filter,
			      const char *page_token);
/* items: [{"key":..,"value":..}]; fingerprint from the instance's metadata (412 when stale). */
gcp_rq *gcp_ce_instance_set_metadata(const gcp_endpoints *ep, const char *project, const char *zone, const char *name,
				     const char *fingerprint, const json_t *items);
gcp_rq *gcp_ce_serial_port(const gcp_endpoints *ep, const char *project, const char *zone, const char *name,
			   int port, int64_t start);
/* The vTPM endorsement keys, for pinning the VM's identity before attestation. */
gcp_rq *gcp_ce_shielded_identity(const gcp_endpoints *ep, const char *project, const char *zone, const char *name);
/* zone NULL: a global operation. wait blocks server-side up to ~2 min. */
gcp_rq *gcp_ce_operation_wait(const gcp_endpoints *ep, const char *project, const char *zone, const char *op);
gcp_rq *gcp_ce_operation_get(const gcp_endpoints *ep, const char *project, const char *zone, const char *op);

/* ------------------------------------------------------------------ parsers */
typedef struct gcp_ce_op {
	char name[128];
	char zone[64];          /* last segment of zone URL; "" for global */
	char status[16];        /* PENDING, RUNNING, DONE */
	int progress;
	char target[512];
	bool failed;            /* DONE with error */
	gcp_error err;          /* when failed: first error, code from httpErrorStatusCode */
} gcp_ce_op;
int gcp_ce_op_parse(const json_t *j, gcp_ce_op *out, char *err, size_t errlen);

typedef struct gcp_ce_instance {
	char name[64];
	char id[32];
	char status[24];
	char confidential_type[16];
	char fingerprint[64];
	char machine_type[64];   /* last segment */
	char accelerator[64];    /* last segment of guestAccelerators[0].acceleratorType */
	int64_t accel_count;
	char provisioning[24];
} gcp_ce_instance;
int gcp_ce_instance_parse(const json_t *j, gcp_ce_instance *out, char *err, size_t errlen);

typedef struct gcp_ce_reservation {
	char name[64];
	char status[16];
	int64_t count, in_use;
} gcp_ce_reservation;
int gcp_ce_reservation_parse(const json_t *j, gcp_ce_reservation *out, char *err, size_t errlen);

/* contents is borrowed from j. */
typedef struct gcp_ce_serial {
	const char *contents;
	int64_t start, next;
} gcp_ce_serial;
int gcp_ce_serial_parse(const json_t *j, gcp_ce_serial *out, char *err, size_t errlen);

#endif
