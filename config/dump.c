/* The effective configuration written back as YAML: what `sealtrain config check`
 * prints, and a file that st_config_parse accepts unchanged; and the same content as
 * JSON for `config check --json`. One walk over the config feeds both renderers, so
 * the two can never list different keys or put them in a different order. */
#include "config/config.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "config/cmd_config.h"
#include "config/config_priv.h"

/* The code point at p when it must be written as a \u escape, else 0; *len gets its
 * length in bytes. A YAML reader takes NEL (U+0085), U+2028 and U+2029 as line breaks
 * and refuses the other C1 controls and U+FFFE/U+FFFF outright, so printed raw the value
 * would not read back the same; a terminal may also act on a C1 control. */
static unsigned escaped_char(const unsigned char *p, int *len)
{
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*len = 2;
		return p[1];
	}
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
		*len = 3;
		return 0x2028u + (p[2] - 0xa8u);
	}
	if (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
		*len = 3;
		return 0xfffeu + (p[2] - 0xbeu);
	}
	return 0;
}

/* Double-quoted YAML scalar; escapes what could end the string, break the line or
 * drive a terminal. */
static void put_str(FILE *fp, const char *s)
{
	if (!s) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned cp;
		int len;
		if (*p == '"' || *p == '\\') {
			fprintf(fp, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(fp, "\\x%02x", *p);
		} else if ((cp = escaped_char(p, &len)) != 0) {
			fprintf(fp, "\\u%04x", cp);
			p += len - 1;
		} else {
			fputc(*p, fp);
		}
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

/* What a renderer does with each kind of value. The walk calls these in the order
 * both outputs list the keys; out is the renderer's own state. */
typedef struct dump_ops {
	void (*source)(void *out, const char *path);
	void (*section)(void *out, const char *name);
	void (*str)(void *out, const char *key, const char *v); /* NULL: not set */
	void (*word)(void *out, const char *key, const char *v); /* a fixed keyword */
	void (*num)(void *out, const char *key, int64_t v);
	void (*flag)(void *out, const char *key, bool v);
	void (*dur)(void *out, const char *key, int64_t s); /* seconds, 0 = none */
	void (*real)(void *out, const char *key, double d);
	/* set: the file's override (NULL for none); used: the URL the API really gets */
	void (*endpoint)(void *out, const char *api, const char *set, const char *used);
} dump_ops;

static void walk_names(const st_config *c, const dump_ops *op, void *out)
{
	op->section(out, "names");
	op->str(out, "suffix", c->names.suffix);
	op->str(out, "key_ring", c->names.key_ring);
	op->str(out, "key", c->names.key);
	op->str(out, "bucket", c->names.bucket);
	op->str(out, "service_account", c->names.service_account);
	op->str(out, "reservation", c->names.reservation);
	op->str(out, "template", c->names.template);
	op->str(out, "instance", c->names.instance);
	op->str(out, "job", c->names.job);
	op->str(out, "alert", c->names.alert);
	op->str(out, "sink", c->names.sink);
}

static void walk_compute(const st_config *c, const dump_ops *op, void *out)
{
	op->section(out, "compute");
	op->str(out, "machine_type", c->compute.machine_type);
	op->str(out, "accelerator_type", c->compute.accelerator_type);
	op->num(out, "accelerator_count", c->compute.accelerator_count);
	op->str(out, "confidential_type", c->compute.confidential_type);
	op->word(out, "provisioning", st_provisioning_name(c->compute.provisioning));
	op->dur(out, "max_run_duration", c->compute.max_run_duration_s);
	op->str(out, "termination_action", c->compute.termination_action);
	op->str(out, "image", c->compute.image);
	op->num(out, "boot_disk_gb", c->compute.boot_disk_gb);
	op->str(out, "disk_type", c->compute.disk_type);
}

static void walk_storage(const st_config *c, const dump_ops *op, void *out)
{
	op->section(out, "kms");
	op->dur(out, "rotation_period", c->kms.rotation_period_s);
	op->str(out, "location", c->kms.location);
	op->section(out, "bucket");
	op->str(out, "location", c->bucket.location);
	op->flag(out, "versioning", c->bucket.versioning);
	op->num(out, "nearline_days", c->bucket.nearline_days);
	op->num(out, "coldline_days", c->bucket.coldline_days);
}

static void walk_training(const st_config *c, const dump_ops *op, void *out)
{
	op->section(out, "training");
	op->num(out, "trees", c->training.trees);
	op->num(out, "max_depth", c->training.max_depth);
	op->num(out, "bins", c->training.bins);
	op->num(out, "seed", c->training.seed);
	op->real(out, "test_size", c->training.test_size);
	op->str(out, "label", c->training.label);
	op->str(out, "max_features", c->training.max_features);
	op->str(out, "data", c->training.data);
}

/* Shows the URL each API will really use, so an override typo is visible. */
static void walk_endpoints(const st_config *c, const dump_ops *op, void *out)
{
	op->section(out, "endpoints");
	op->str(out, "default", c->endpoints.default_url);
	for (int i = 0; i < ST_API_COUNT; i++) {
		const char *name = st_api_name((enum st_api)i);
		op->endpoint(out, name, c->endpoints.api[i], st_config_endpoint(c, name));
	}
	op->str(out, "ca_file", c->endpoints.ca_file);
}

static void walk(const st_config *c, const dump_ops *op, void *out)
{
	static const char *const colors[] = {"auto", "always", "never"};
	op->source(out, st_config_source(c));
	op->str(out, "project", c->project);
	op->str(out, "region", c->region);
	op->str(out, "zone", c->zone);
	walk_names(c, op, out);
	walk_compute(c, op, out);
	walk_storage(c, op, out);
	walk_training(c, op, out);
	walk_endpoints(c, op, out);
	/* The credentials file's path only: its contents (keys, tokens) are never read here. */
	op->section(out, "credentials");
	op->word(out, "source", st_cred_source_name(c->credentials.source));
	op->str(out, "file", c->credentials.file);
	op->section(out, "ui");
	op->word(out, "color", colors[c->ui.color]);
	op->flag(out, "ascii", c->ui.ascii);
	op->num(out, "refresh_ms", c->ui.refresh_ms);
	op->num(out, "log_lines", c->ui.log_lines);
}

/* --- YAML --- */

typedef struct yaml_out {
	FILE *fp;
	const char *indent; /* "" for the top-level keys, "  " inside a section */
} yaml_out;

static void y_source(void *out, const char *path)
{
	fprintf(((yaml_out *)out)->fp, "# effective configuration from %s\n", path);
}

static void y_section(void *out, const char *name)
{
	yaml_out *y = out;
	fprintf(y->fp, "%s:\n", name);
	y->indent = "  ";
}

static void y_str(void *out, const char *key, const char *v)
{
	yaml_out *y = out;
	fprintf(y->fp, "%s%s: ", y->indent, key);
	put_str(y->fp, v);
	fputc('\n', y->fp);
}

static void y_word(void *out, const char *key, const char *v)
{
	yaml_out *y = out;
	fprintf(y->fp, "%s%s: %s\n", y->indent, key, v);
}

static void y_num(void *out, const char *key, int64_t v)
{
	yaml_out *y = out;
	fprintf(y->fp, "%s%s: %" PRId64 "\n", y->indent, key, v);
}

static void y_flag(void *out, const char *key, bool v)
{
	y_word(out, key, v ? "true" : "false");
}

static void y_dur(void *out, const char *key, int64_t s)
{
	yaml_out *y = out;
	if (s)
		fprintf(y->fp, "%s%s: %" PRId64 "s\n", y->indent, key, s);
	else
		fprintf(y->fp, "%s%s: none\n", y->indent, key);
}

static void y_real(void *out, const char *key, double d)
{
	yaml_out *y = out;
	fprintf(y->fp, "%s%s: ", y->indent, key);
	put_double(y->fp, d);
}

static void y_endpoint(void *out, const char *api, const char *set, const char *used)
{
	yaml_out *y = out;
	fprintf(y->fp, "%s%s: ", y->indent, api);
	put_str(y->fp, set);
	fprintf(y->fp, "  # uses %s\n", used);
}

void st_config_dump(const st_config *c, FILE *fp)
{
	static const dump_ops yaml = {y_source, y_section, y_str, y_word, y_num,
				      y_flag, y_dur, y_real, y_endpoint};
	yaml_out y = {.fp = fp, .indent = ""};
	walk(c, &yaml, &y);
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

typedef struct json_out {
	json_t *root;
	json_t *cur;  /* the section being filled, or root before the first */
	json_t *used; /* "endpoints_used", made with its first member */
} json_out;

static void j_set(void *out, const char *key, json_t *v)
{
	json_object_set_new(((json_out *)out)->cur, key, v);
}

static void j_source(void *out, const char *path)
{
	j_set(out, "source", st_config_json_str(path));
}

static void j_section(void *out, const char *name)
{
	json_out *j = out;
	j->cur = json_object();
	json_object_set_new(j->root, name, j->cur);
}

static void j_str(void *out, const char *key, const char *v)
{
	j_set(out, key, st_config_json_str(v));
}

static void j_word(void *out, const char *key, const char *v)
{
	j_set(out, key, json_string(v));
}

static void j_num(void *out, const char *key, int64_t v)
{
	j_set(out, key, json_integer(v));
}

static void j_flag(void *out, const char *key, bool v)
{
	j_set(out, key, json_boolean(v));
}

static void j_dur(void *out, const char *key, int64_t s)
{
	j_set(out, key, jdur(s));
}

static void j_real(void *out, const char *key, double d)
{
	j_set(out, key, json_real(d));
}

/* "endpoints" holds what the file says (as in the YAML); "endpoints_used" is what the
 * YAML shows in its comments: the URL each API will really be sent to. */
static void j_endpoint(void *out, const char *api, const char *set, const char *used)
{
	json_out *j = out;
	if (!j->used) {
		j->used = json_object();
		json_object_set_new(j->root, "endpoints_used", j->used);
	}
	j_set(out, api, st_config_json_str(set));
	json_object_set_new(j->used, api, st_config_json_str(used));
}

static json_t *config_json(const st_config *c)
{
	static const dump_ops json = {j_source, j_section, j_str, j_word, j_num,
				      j_flag, j_dur, j_real, j_endpoint};
	json_t *root = json_object();
	json_out j = {.root = root, .cur = root};
	walk(c, &json, &j);
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
