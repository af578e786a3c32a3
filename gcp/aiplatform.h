/* Vertex AI custom jobs (regional endpoint). */
#ifndef GCP_AIPLATFORM_H
#define GCP_AIPLATFORM_H

#include <stdint.h>

#include "gcp/rq.h"

typedef struct gcp_job_spec {
	const char *display_name;
	const char *machine_type;
	const char *accel_type;            /* Vertex enum, "NVIDIA_H100_80GB", or NULL */
	int accel_count;
	const char *image_uri;
	const char *const *command;        /* NULL-terminated or NULL */
	const char *const *args;           /* NULL-terminated or NULL */
	const char *const *env;            /* "NAME=VALUE", NULL-terminated or NULL */
	const char *service_account;
	const char *output_uri;            /* gs://... or NULL */
	const char *strategy;              /* "FLEX_START", "SPOT", "STANDARD" or NULL */
	int64_t max_wait_s, timeout_s;     /* 0: unset */
	const char *kms_key;               /* encryptionSpec, or NULL */
	const json_t *labels;
} gcp_job_spec;

/* Not idempotent: each call makes a new job (match on displayName/labels first). */
gcp_rq *gcp_ai_job_create(const gcp_endpoints *ep, const char *project, const char *region, const gcp_job_spec *spec);
/* name: "projects/P/locations/L/customJobs/ID"; the region is read from it. */
gcp_rq *gcp_ai_job_get(const gcp_endpoints *ep, const char *name);
gcp_rq *gcp_ai_job_cancel(const gcp_endpoints *ep, const char *name);
gcp_rq *gcp_ai_job_delete(const gcp_endpoints *ep, const char *name);
gcp_rq *gcp_ai_jobs_list(const gcp_endpoints *ep, const char *project, const char *region, const char *filter,
			 const char *page_token);
/* A google.longrunning Operation by full name (delete returns one). */
gcp_rq *gcp_ai_operation_get(const gcp_endpoints *ep, const char *name);

typedef struct gcp_ai_job {
	char name[256];
	char display_name[128];
	char state[40];          /* "JOB_STATE_RUNNING" ... */
	bool terminal;
	bool failed;
	gcp_error err;           /* job.error when set */
} gcp_ai_job;
int gcp_ai_job_parse(const json_t *j, gcp_ai_job *out, char *err, size_t errlen);

#endif
