/* The effective configuration written back as YAML: what `sealtrain config check`
 * prints, and a file that st_config_parse accepts unchanged. */
#include "config/config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_priv.h"

/* Double-quoted YAML scalar; escapes what could end the string or drive a terminal. */
static void put_str(FILE *fp, const char *s)
{
	if (!s) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* Shortest decimal form that reads back as the same double (0.2, not 0.2000...01). */
static void put_double(FILE *fp, double d)
{
	char buf[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	fprintf(fp, "%s\n", buf);
}

static void kv_str(FILE *fp, const char *indent, const char *key, const char *v)
{
	fprintf(fp, "%s%s: ", indent, key);
	put_str(fp, v);
	fputc('\n', fp);
}

static void kv_dur(FILE *fp, const char *key, int64_t s)
{
	if (s)
		fprintf(fp, "  %s: %" PRId64 "s\n", key, s);
	else
		fprintf(fp, "  %s: none\n", key);
}

static const char *yn(bool b)
{
	return b ? "true" : "false";
}

static void dump_names(const st_config *c, FILE *fp)
{
	fputs("names:\n", fp);
	kv_str(fp, "  ", "suffix", c->names.suffix);
	kv_str(fp, "  ", "key_ring", c->names.key_ring);
	kv_str(fp, "  ", "key", c->names.key);
	kv_str(fp, "  ", "bucket", c->names.bucket);
	kv_str(fp, "  ", "service_account", c->names.service_account);
	kv_str(fp, "  ", "reservation", c->names.reservation);
	kv_str(fp, "  ", "template", c->names.template);
	kv_str(fp, "  ", "instance", c->names.instance);
	kv_str(fp, "  ", "job", c->names.job);
	kv_str(fp, "  ", "alert", c->names.alert);
	kv_str(fp, "  ", "sink", c->names.sink);
}

static void dump_compute(const st_config *c, FILE *fp)
{
	fputs("compute:\n", fp);
	kv_str(fp, "  ", "machine_type", c->compute.machine_type);
	kv_str(fp, "  ", "accelerator_type", c->compute.accelerator_type);
	fprintf(fp, "  accelerator_count: %d\n", c->compute.accelerator_count);
	kv_str(fp, "  ", "confidential_type", c->compute.confidential_type);
	fprintf(fp, "  provisioning: %s\n", st_provisioning_name(c->compute.provisioning));
	kv_dur(fp, "max_run_duration", c->compute.max_run_duration_s);
	kv_str(fp, "  ", "termination_action", c->compute.termination_action);
	kv_str(fp, "  ", "image", c->compute.image);
	fprintf(fp, "  boot_disk_gb: %d\n", c->compute.boot_disk_gb);
	kv_str(fp, "  ", "disk_type", c->compute.disk_type);
}

static void dump_storage(const st_config *c, FILE *fp)
{
	fputs("kms:\n", fp);
	kv_dur(fp, "rotation_period", c->kms.rotation_period_s);
	kv_str(fp, "  ", "location", c->kms.location);
	fputs("bucket:\n", fp);
	kv_str(fp, "  ", "location", c->bucket.location);
	fprintf(fp, "  versioning: %s\n", yn(c->bucket.versioning));
	fprintf(fp, "  nearline_days: %d\n", c->bucket.nearline_days);
	fprintf(fp, "  coldline_days: %d\n", c->bucket.coldline_days);
}

static void dump_training(const st_config *c, FILE *fp)
{
	fputs("training:\n", fp);
	fprintf(fp, "  trees: %d\n", c->training.trees);
	fprintf(fp, "  max_depth: %d\n", c->training.max_depth);
	fprintf(fp, "  bins: %d\n", c->training.bins);
	fprintf(fp, "  seed: %" PRId64 "\n", c->training.seed);
	fprintf(fp, "  test_size: ");
	put_double(fp, c->training.test_size);
	kv_str(fp, "  ", "label", c->training.label);
	kv_str(fp, "  ", "max_features", c->training.max_features);
	kv_str(fp, "  ", "data", c->training.data);
}

/* Shows the URL each API will really use, so an override typo is visible. */
static void dump_endpoints(const st_config *c, FILE *fp)
{
	fputs("endpoints:\n", fp);
	kv_str(fp, "  ", "default", c->endpoints.default_url);
	for (int i = 0; i < ST_API_COUNT; i++) {
		const char *name = st_api_name((enum st_api)i);
		fprintf(fp, "  %s: ", name);
		put_str(fp, c->endpoints.api[i]);
		fprintf(fp, "  # uses %s\n", st_config_endpoint(c, name));
	}
}

void st_config_dump(const st_config *c, FILE *fp)
{
	static const char *const colors[] = {"auto", "always", "never"};
	fprintf(fp, "# effective configuration from %s\n", st_config_source(c));
	kv_str(fp, "", "project", c->project);
	kv_str(fp, "", "region", c->region);
	kv_str(fp, "", "zone", c->zone);
	dump_names(c, fp);
	dump_compute(c, fp);
	dump_storage(c, fp);
	dump_training(c, fp);
	dump_endpoints(c, fp);
	fputs("credentials:\n", fp);
	fprintf(fp, "  source: %s\n", st_cred_source_name(c->credentials.source));
	kv_str(fp, "  ", "file", c->credentials.file);
	fputs("ui:\n", fp);
	fprintf(fp, "  color: %s\n", colors[c->ui.color]);
	fprintf(fp, "  ascii: %s\n", yn(c->ui.ascii));
	fprintf(fp, "  refresh_ms: %d\n", c->ui.refresh_ms);
	fprintf(fp, "  log_lines: %d\n", c->ui.log_lines);
}
