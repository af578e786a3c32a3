/* sealtrain.yaml: the operator's settings as plain data.
 *
 * Every field below is filled after st_config_load() or st_config_defaults(): a key the
 * file leaves out keeps its built-in default (see config/sealtrain.example.yaml and
 * sealtrain.yaml(5)). Strings are owned by the config (st_config_free releases them);
 * callers may replace one by freeing it and assigning a malloc'd copy. */
#ifndef ST_CONFIG_H
#define ST_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/diag.h"

/* Largest config file accepted: a settings file this big is a mistake, not a config. */
#define ST_CONFIG_MAX_BYTES (1024 * 1024)

/* How the VM gets its GPU: a specific reservation, Dynamic Workload Scheduler's
 * flex-start queue, or Spot capacity. */
enum st_provisioning {
	ST_PROV_RESERVATION,
	ST_PROV_FLEX_START,
	ST_PROV_SPOT,
};

/* Where credentials come from; AUTO follows Application Default Credentials order. */
enum st_cred_source {
	ST_CRED_AUTO,
	ST_CRED_SERVICE_ACCOUNT, /* key file at credentials.file */
	ST_CRED_AUTHORIZED_USER, /* gcloud-style authorized_user file at credentials.file */
	ST_CRED_METADATA,        /* the GCE metadata server */
	ST_CRED_TOKEN_FILE,      /* a file holding a bare access token, at credentials.file */
	ST_CRED_GCLOUD,          /* `gcloud auth print-access-token` */
};

enum st_color_mode {
	ST_COLOR_AUTO,   /* colour when the terminal has it and NO_COLOR is unset */
	ST_COLOR_ALWAYS,
	ST_COLOR_NEVER,
};

/* The APIs sealtrain calls; the order is fixed (index into endpoints.api). */
enum st_api {
	ST_API_SERVICEUSAGE,
	ST_API_CLOUDKMS,
	ST_API_IAM,
	ST_API_CLOUDRESOURCEMANAGER,
	ST_API_STORAGE,
	ST_API_COMPUTE,
	ST_API_AIPLATFORM,
	ST_API_MONITORING,
	ST_API_LOGGING,
	ST_API_CONFIDENTIALCOMPUTING,
	ST_API_OAUTH2,
	ST_API_METADATA,
	ST_API_COUNT
};

struct st_config_private;

typedef struct st_config {
	char *project; /* project id; NULL until set by the file or --project */
	char *region;  /* default "us-central1" */
	char *zone;    /* default "us-central1-a"; must lie in region */

	/* Resource names. Each may contain "{suffix}", replaced by st_config_expand_name()
	 * with the run's suffix so that names stay unique across runs (KMS names are
	 * never freed by Google). */
	struct {
		char *suffix; /* fixed suffix, [a-z0-9]{1,12}; NULL = the workflow draws one with
			       * st_config_random_suffix() and keeps it in the state file */
		char *key_ring;
		char *key;
		char *bucket;
		char *service_account; /* account id, not the e-mail */
		char *reservation;
		char *template;
		char *instance;
		char *job;   /* Vertex custom job display name */
		char *alert; /* alert policy display name */
		char *sink;
	} names;

	struct {
		char *machine_type;      /* default "a3-highgpu-1g" */
		char *accelerator_type;  /* default "nvidia-h100-80gb" */
		int accelerator_count;   /* default 1 */
		char *confidential_type; /* "TDX" (default), "SEV" or "SEV_SNP" */
		enum st_provisioning provisioning; /* default ST_PROV_FLEX_START */
		int64_t max_run_duration_s; /* 0 = none; flex-start needs 1..604800 (default 86400) */
		char *termination_action;   /* "DELETE" (default) or "STOP" */
		char *image;                /* boot image URL path, must be TDX capable */
		int boot_disk_gb;           /* default 200 */
		char *disk_type;            /* default "pd-balanced" */
	} compute;

	struct {
		int64_t rotation_period_s; /* default 2592000 (30 days); 86400..3153600000 */
		char *location;            /* default: region; must equal bucket.location */
	} kms;

	struct {
		char *location;    /* default: region */
		bool versioning;   /* default true */
		int nearline_days; /* age for SetStorageClass NEARLINE; 0 = no rule; default 30 */
		int coldline_days; /* age for SetStorageClass COLDLINE; 0 = no rule; default 90 */
	} bucket;

	struct {
		int trees;          /* default 100 */
		int max_depth;      /* 0 = unlimited (default) */
		int bins;           /* default 128 */
		int64_t seed;       /* default 42 */
		double test_size;   /* fraction held out, (0, 1); default 0.2 */
		char *label;        /* label column, default "label" */
		char *max_features; /* "sqrt" (default), "log2", "all" or a fraction like "0.5" */
		char *data;         /* local CSV to upload; default "dataset.csv" */
	} training;

	struct {
		char *default_url;          /* base URL for every API without an override; NULL = Google */
		char *api[ST_API_COUNT];    /* per-API override; NULL = none */
		char *ca_file;              /* PEM CA file for https (a TLS-inspecting proxy, a
					     * private endpoint); NULL = the system's trust */
	} endpoints;

	struct {
		enum st_cred_source source; /* default ST_CRED_AUTO */
		char *file;                 /* key/token file for the sources that need one */
	} credentials;

	struct {
		enum st_color_mode color; /* default ST_COLOR_AUTO */
		bool ascii;               /* ASCII-only drawing; default false */
		int refresh_ms;           /* pane refresh period, 100..60000; default 2000 */
		int log_lines;            /* audit-log tail kept in memory, 10..100000; default 1000 */
	} ui;

	struct st_config_private *priv; /* source path and endpoint cache; not for callers */
} st_config;

/* Loads the config. explicit_path (from --config) wins; NULL searches
 * $SEALTRAIN_CONFIG, then $XDG_CONFIG_HOME/sealtrain/sealtrain.yaml (HOME/.config when
 * unset), then falls back to built-in defaults. An explicit or $SEALTRAIN_CONFIG path
 * that cannot be read is an error; a missing XDG file is not. Returns 0 with *out set,
 * or -1 with *out NULL and at least one entry appended to diags. */
int st_config_load(const char *explicit_path, st_config **out, st_diag_list *diags);
/* Parses YAML text as if read from name (used by tests and by st_config_load). */
int st_config_parse(const char *name, const char *text, size_t len, st_config **out,
		    st_diag_list *diags);
/* A fresh config holding only the built-in defaults. Never NULL. */
st_config *st_config_defaults(void);
void st_config_free(st_config *c);
/* The file the values came from, or "built-in defaults". */
const char *st_config_source(const st_config *c);

/* Base URL (scheme://host[:port], no path, no trailing slash) for an API name such as
 * "cloudkms" or "aiplatform": the per-API override, else endpoints.default, else Google's
 * own host. NULL for an unknown API name. Valid until the config changes or is freed. */
const char *st_config_endpoint(const st_config *c, const char *api);
/* Points every API (metadata and oauth2 included) at one base URL, e.g. a sandbox.
 * Replaces all per-API overrides. */
void st_config_set_all_endpoints(st_config *c, const char *base_url);
/* "cloudkms" for ST_API_CLOUDKMS, ...; st_api_from_name returns -1 when unknown. */
const char *st_api_name(enum st_api api);
int st_api_from_name(const char *name);

/* Replaces every "{suffix}" in tmpl with suffix (or names.suffix when suffix is NULL;
 * when both are NULL the placeholder stays). Caller frees. */
char *st_config_expand_name(const st_config *c, const char *tmpl, const char *suffix);

/* Length of a random suffix, and the suffix names are checked against when none is fixed. */
#define ST_CONFIG_RANDOM_SUFFIX_LEN 6
/* ST_CONFIG_RANDOM_SUFFIX_LEN random characters from [a-z0-9], the first a letter. */
void st_config_random_suffix(char out[ST_CONFIG_RANDOM_SUFFIX_LEN + 1]);

/* Writes the effective configuration as YAML that st_config_parse accepts back. */
void st_config_dump(const st_config *c, FILE *fp);

const char *st_provisioning_name(enum st_provisioning p); /* "reservation", "flex-start", "spot" */
const char *st_cred_source_name(enum st_cred_source s);   /* "auto", "service-account", ... */

#endif
