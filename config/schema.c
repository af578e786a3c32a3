/* The schema of sealtrain.yaml: every known key, its type, range and rule. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "config/names.h"
#include "config/parse_priv.h"

static int check_name(const struct key *k, const char *v, char *why, size_t n)
{
	return st_name_check((enum st_name_kind)k->arg, v, why, n);
}

static int check_endpoint(const struct key *k, const char *v, char *why, size_t n)
{
	return st_endpoint_check(v, k->arg, why, n);
}

static int check_features(const struct key *k, const char *v, char *why, size_t n)
{
	if (!strcmp(v, "sqrt") || !strcmp(v, "log2") || !strcmp(v, "all"))
		return 0;
	char *end;
	errno = 0;
	double f = strtod(v, &end);
	if (!errno && end != v && !*end && isdigit((unsigned char)v[0]) && f > 0 && f <= 1)
		return 0;
	snprintf(why, n, "expected sqrt, log2, all or a fraction in (0, 1]");
	return -1;
}

static int check_text(const struct key *k, const char *v, char *why, size_t n)
{
	if (!*v) {
		snprintf(why, n, "must not be empty");
		return -1;
	}
	return 0;
}

/* Checked when the config is read, so that a wrong path is reported at its line
 * rather than as a TLS failure on the first request. */
static int check_ca_file(const struct key *k, const char *v, char *why, size_t n)
{
	char err[300];
	size_t len;
	char *pem = st_read_file(v, 16u << 20, &len, err, sizeof err);
	if (!pem) {
		size_t plen = strlen(v);
		bool named = strncmp(err, v, plen) == 0 && err[plen] == ':';
		snprintf(why, n, "%s", named ? err + plen + 2 : err);
		return -1;
	}
	bool cert = strstr(pem, "-----BEGIN CERTIFICATE-----") != NULL;
	free(pem);
	if (!cert) {
		snprintf(why, n, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
		return -1;
	}
	return 0;
}

static const char *const prov_names[] = {"reservation", "flex-start", "spot", NULL};
static const char *const cred_names[] = {"auto", "service-account", "authorized-user", "metadata",
					 "token-file", "gcloud", NULL};
static const char *const color_names[] = {"auto", "always", "never", NULL};
static const char *const cc_types[] = {"TDX", "SEV", "SEV_SNP", NULL};
static const char *const term_actions[] = {"DELETE", "STOP", NULL};

#define OFF(field) offsetof(st_config, field)
#define STR(n, f, chk, a, fl) {.name = n, .kind = K_STR, .off = OFF(f), .check = chk, .arg = a, .flags = fl}
#define NAMED(n, f, kind, fl) STR(n, f, check_name, kind, (fl) | F_NAME)
#define NAME(n, f) STR(n, f, check_text, 0, 0)
#define INT(n, f, lo, hi) {.name = n, .kind = K_INT, .off = OFF(f), .min = lo, .max = hi}
#define DUR(n, f, lo, hi) {.name = n, .kind = K_DUR, .off = OFF(f), .min = lo, .max = hi}
#define BOOL(n, f) {.name = n, .kind = K_BOOL, .off = OFF(f)}
#define ENUM(n, f, list) {.name = n, .kind = K_ENUM, .off = OFF(f), .choices = list}
#define CHOICE(n, f, list) {.name = n, .kind = K_CHOICE, .off = OFF(f), .choices = list}
#define MAP(n, table) {.name = n, .kind = K_MAP, .sub = table}
#define EP(n, i) STR(n, endpoints.api[i], check_endpoint, i, F_NULL | F_URL)
#define END {.name = NULL}

/* Name templates are checked after parsing, once names.suffix is known. */
static const struct key names_keys[] = {
	NAMED("suffix", names.suffix, ST_NAME_SUFFIX, F_NULL),
	NAME("key_ring", names.key_ring), NAME("key", names.key), NAME("bucket", names.bucket),
	NAME("service_account", names.service_account), NAME("reservation", names.reservation),
	NAME("template", names.template), NAME("instance", names.instance), NAME("job", names.job),
	NAME("alert", names.alert), NAME("sink", names.sink), END,
};

static const struct key compute_keys[] = {
	NAMED("machine_type", compute.machine_type, ST_NAME_TYPE, 0),
	NAMED("accelerator_type", compute.accelerator_type, ST_NAME_TYPE, 0),
	INT("accelerator_count", compute.accelerator_count, 1, 16),
	CHOICE("confidential_type", compute.confidential_type, cc_types),
	ENUM("provisioning", compute.provisioning, prov_names),
	{.name = "max_run_duration", .kind = K_DUR, .off = OFF(compute.max_run_duration_s), .max = 120 * 86400, .flags = F_NULL},
	CHOICE("termination_action", compute.termination_action, term_actions),
	STR("image", compute.image, check_text, 0, 0),
	INT("boot_disk_gb", compute.boot_disk_gb, 10, 65536),
	NAMED("disk_type", compute.disk_type, ST_NAME_TYPE, 0),
	END,
};

static const struct key kms_keys[] = {
	DUR("rotation_period", kms.rotation_period_s, 86400, 876000LL * 3600),
	STR("location", kms.location, check_text, 0, 0), END,
};

static const struct key bucket_keys[] = {
	STR("location", bucket.location, check_text, 0, 0), BOOL("versioning", bucket.versioning),
	INT("nearline_days", bucket.nearline_days, 0, 36500),
	INT("coldline_days", bucket.coldline_days, 0, 36500), END,
};

static const struct key training_keys[] = {
	INT("trees", training.trees, 1, 10000), INT("max_depth", training.max_depth, 0, 1000),
	INT("bins", training.bins, 2, 1024),
	{.name = "seed", .kind = K_I64, .off = OFF(training.seed), .max = INT64_MAX},
	{.name = "test_size", .kind = K_DOUBLE, .off = OFF(training.test_size), .max = 1},
	STR("label", training.label, check_text, 0, 0),
	STR("max_features", training.max_features, check_features, 0, 0),
	STR("data", training.data, check_text, 0, 0), END,
};

static const struct key endpoint_keys[] = {
	STR("default", endpoints.default_url, check_endpoint, -1, F_NULL | F_URL),
	EP("serviceusage", ST_API_SERVICEUSAGE), EP("cloudkms", ST_API_CLOUDKMS), EP("iam", ST_API_IAM),
	EP("cloudresourcemanager", ST_API_CLOUDRESOURCEMANAGER), EP("storage", ST_API_STORAGE),
	EP("compute", ST_API_COMPUTE), EP("aiplatform", ST_API_AIPLATFORM),
	EP("monitoring", ST_API_MONITORING), EP("logging", ST_API_LOGGING),
	EP("confidentialcomputing", ST_API_CONFIDENTIALCOMPUTING), EP("oauth2", ST_API_OAUTH2),
	EP("metadata", ST_API_METADATA),
	STR("ca_file", endpoints.ca_file, check_ca_file, 0, F_NULL), END,
};

static const struct key credentials_keys[] = {
	ENUM("source", credentials.source, cred_names),
	STR("file", credentials.file, check_text, 0, F_NULL), END,
};

static const struct key ui_keys[] = {
	ENUM("color", ui.color, color_names), BOOL("ascii", ui.ascii),
	INT("refresh_ms", ui.refresh_ms, 100, 60000), INT("log_lines", ui.log_lines, 10, 100000), END,
};

const struct key st_schema_top[] = {
	NAMED("project", project, ST_NAME_PROJECT, F_NULL),
	NAMED("region", region, ST_NAME_REGION, 0),
	NAMED("zone", zone, ST_NAME_ZONE, 0),
	MAP("names", names_keys), MAP("compute", compute_keys), MAP("kms", kms_keys),
	MAP("bucket", bucket_keys), MAP("training", training_keys), MAP("endpoints", endpoint_keys),
	MAP("credentials", credentials_keys), MAP("ui", ui_keys), END,
};

/* K_ENUM stores the choice's index through an int pointer. */
_Static_assert(sizeof(enum st_provisioning) == sizeof(int), "enum size");
_Static_assert(sizeof(enum st_cred_source) == sizeof(int), "enum size");
_Static_assert(sizeof(enum st_color_mode) == sizeof(int), "enum size");

#define TABLE_FITS(t) _Static_assert(sizeof t / sizeof *t - 1 <= MAX_TABLE, #t " exceeds MAX_TABLE")
TABLE_FITS(names_keys);
TABLE_FITS(compute_keys);
TABLE_FITS(kms_keys);
TABLE_FITS(bucket_keys);
TABLE_FITS(training_keys);
TABLE_FITS(endpoint_keys);
TABLE_FITS(credentials_keys);
TABLE_FITS(ui_keys);
TABLE_FITS(st_schema_top);
