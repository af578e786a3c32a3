/* The effective configuration written back as YAML: what `sealtrain config check`
 * prints, and a file that st_config_parse accepts unchanged; and the same content as
 * JSON for `config check --json`. */
#include "config/config.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "config/cmd_config.h"
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
	kv_str(fp, "  ", "ca_file", c->endpoints.ca_file);
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

/* --- the same content as one JSON object (`config check --json`) --- */

json_t *st_config_json_str(const char *s)
{
	if (!s)
		return json_null();
	if (st_utf8_valid(s, strlen(s)))
		return json_string(s);
	size_t n = strlen(s) + 1;
	char *clean = st_xmalloc(n);
	st_sanitize_text(clean, n, s);
	json_t *j = json_string(clean);
	free(clean);
	return j;
}

/* Durations read back by the parser as "<seconds>s"; 0 means "none", shown as null. */
static json_t *jdur(int64_t s)
{
	if (!s)
		return json_null();
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRId64 "s", s);
	return json_string(buf);
}

static json_t *json_names(const st_config *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "suffix", st_config_json_str(c->names.suffix));
	json_object_set_new(o, "key_ring", st_config_json_str(c->names.key_ring));
	json_object_set_new(o, "key", st_config_json_str(c->names.key));
	json_object_set_new(o, "bucket", st_config_json_str(c->names.bucket));
	json_object_set_new(o, "service_account", st_config_json_str(c->names.service_account));
	json_object_set_new(o, "reservation", st_config_json_str(c->names.reservation));
	json_object_set_new(o, "template", st_config_json_str(c->names.template));
	json_object_set_new(o, "instance", st_config_json_str(c->names.instance));
	json_object_set_new(o, "job", st_config_json_str(c->names.job));
	json_object_set_new(o, "alert", st_config_json_str(c->names.alert));
	json_object_set_new(o, "sink", st_config_json_str(c->names.sink));
	return o;
}

static json_t *json_compute(const st_config *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "machine_type", st_config_json_str(c->compute.machine_type));
	json_object_set_new(o, "accelerator_type", st_config_json_str(c->compute.accelerator_type));
	json_object_set_new(o, "accelerator_count", json_integer(c->compute.accelerator_count));
	json_object_set_new(o, "confidential_type", st_config_json_str(c->compute.confidential_type));
	json_object_set_new(o, "provisioning", json_string(st_provisioning_name(c->compute.provisioning)));
	json_object_set_new(o, "max_run_duration", jdur(c->compute.max_run_duration_s));
	json_object_set_new(o, "termination_action", st_config_json_str(c->compute.termination_action));
	json_object_set_new(o, "image", st_config_json_str(c->compute.image));
	json_object_set_new(o, "boot_disk_gb", json_integer(c->compute.boot_disk_gb));
	json_object_set_new(o, "disk_type", st_config_json_str(c->compute.disk_type));
	return o;
}

static void json_storage(const st_config *c, json_t *root)
{
	json_t *k = json_object();
	json_object_set_new(k, "rotation_period", jdur(c->kms.rotation_period_s));
	json_object_set_new(k, "location", st_config_json_str(c->kms.location));
	json_object_set_new(root, "kms", k);
	json_t *b = json_object();
	json_object_set_new(b, "location", st_config_json_str(c->bucket.location));
	json_object_set_new(b, "versioning", json_boolean(c->bucket.versioning));
	json_object_set_new(b, "nearline_days", json_integer(c->bucket.nearline_days));
	json_object_set_new(b, "coldline_days", json_integer(c->bucket.coldline_days));
	json_object_set_new(root, "bucket", b);
}

static json_t *json_training(const st_config *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "trees", json_integer(c->training.trees));
	json_object_set_new(o, "max_depth", json_integer(c->training.max_depth));
	json_object_set_new(o, "bins", json_integer(c->training.bins));
	json_object_set_new(o, "seed", json_integer(c->training.seed));
	json_object_set_new(o, "test_size", json_real(c->training.test_size));
	json_object_set_new(o, "label", st_config_json_str(c->training.label));
	json_object_set_new(o, "max_features", st_config_json_str(c->training.max_features));
	json_object_set_new(o, "data", st_config_json_str(c->training.data));
	return o;
}

/* "endpoints" holds what the file says (as in the YAML); "endpoints_used" is what the
 * YAML shows in its comments: the URL each API will really be sent to. */
static void json_endpoints(const st_config *c, json_t *root)
{
	json_t *set = json_object(), *used = json_object();
	json_object_set_new(set, "default", st_config_json_str(c->endpoints.default_url));
	for (int i = 0; i < ST_API_COUNT; i++) {
		const char *name = st_api_name((enum st_api)i);
		json_object_set_new(set, name, st_config_json_str(c->endpoints.api[i]));
		json_object_set_new(used, name, st_config_json_str(st_config_endpoint(c, name)));
	}
	json_object_set_new(set, "ca_file", st_config_json_str(c->endpoints.ca_file));
	json_object_set_new(root, "endpoints", set);
	json_object_set_new(root, "endpoints_used", used);
}

static json_t *config_json(const st_config *c)
{
	static const char *const colors[] = {"auto", "always", "never"};
	json_t *root = json_object();
	json_object_set_new(root, "source", st_config_json_str(st_config_source(c)));
	json_object_set_new(root, "project", st_config_json_str(c->project));
	json_object_set_new(root, "region", st_config_json_str(c->region));
	json_object_set_new(root, "zone", st_config_json_str(c->zone));
	json_object_set_new(root, "names", json_names(c));
	json_object_set_new(root, "compute", json_compute(c));
	json_storage(c, root);
	json_object_set_new(root, "training", json_training(c));
	json_endpoints(c, root);
	/* The credentials file's path only: its contents (keys, tokens) are never read here. */
	json_t *cr = json_object();
	json_object_set_new(cr, "source", json_string(st_cred_source_name(c->credentials.source)));
	json_object_set_new(cr, "file", st_config_json_str(c->credentials.file));
	json_object_set_new(root, "credentials", cr);
	json_t *ui = json_object();
	json_object_set_new(ui, "color", json_string(colors[c->ui.color]));
	json_object_set_new(ui, "ascii", json_boolean(c->ui.ascii));
	json_object_set_new(ui, "refresh_ms", json_integer(c->ui.refresh_ms));
	json_object_set_new(ui, "log_lines", json_integer(c->ui.log_lines));
	json_object_set_new(root, "ui", ui);
	return root;
}

/* Fewest significant digits that read back as d, so 0.2 prints as 0.2 and not as
 * jansson's default 0.20000000000000001. */
static int shortest_precision(double d)
{
	char buf[40];
	for (int prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return prec;
	}
	return 17;
}

int st_config_dump_json(const st_config *c, FILE *fp)
{
	json_t *root = config_json(c);
	/* test_size is the only real number in the object, so its precision is the dump's. */
	size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		       JSON_REAL_PRECISION(shortest_precision(c->training.test_size));
	int rc = json_dumpf(root, fp, flags);
	json_decref(root);
	if (rc == 0 && fputc('\n', fp) == EOF)
		rc = -1;
	return rc;
}
