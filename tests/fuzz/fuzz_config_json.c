/* libFuzzer target: `sealtrain config check --json` (config/dump.c). Each YAML input
 * that st_config_parse accepts is rendered with st_config_dump_json; the text must
 * parse with jansson and every member must carry the config's own value (a string
 * that is not UTF-8 in its printable form). The YAML dump must also read back into a
 * config whose JSON is the same, since `config check` promises a file the parser
 * accepts unchanged. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/str.h"
#include "config/cmd_config.h"
#include "config/config.h"
#include "config/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.yaml"

static void discard_diags(st_diag_list *d)
{
	for (size_t i = 0; i < d->count; i++)
		free(st_diag_format(&d->items[i]));
	st_diag_list_free(d);
}

/* NULL when text is refused (which must come with a reason). */
static st_config *parse(const char *text, size_t len)
{
	st_diag_list diags;
	st_config *c = NULL;

	st_diag_list_init(&diags);
	int rc = st_config_parse(NAME, text, len, &c, &diags);
	if ((rc == 0) != (c != NULL) || (rc != 0 && diags.count == 0))
		abort();
	discard_diags(&diags);
	return c;
}

typedef int (*render_fn)(const st_config *c, FILE *fp);

static int render_yaml(const st_config *c, FILE *fp)
{
	st_config_dump(c, fp);
	return 0;
}

/* What a renderer wrote, as one malloc'd string. */
static char *render(const st_config *c, render_fn fn, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);
	if (!fp)
		abort();
	if (fn(c, fp) != 0)
		abort(); /* writing to memory cannot fail */
	if (fclose(fp) != 0)
		abort();
	return buf;
}

static json_t *at(json_t *root, const char *obj, const char *key)
{
	json_t *o = obj ? json_object_get(root, obj) : root;
	json_t *v = o ? json_object_get(o, key) : NULL;
	if (!v)
		abort(); /* a member went missing */
	return v;
}

static void want_str(json_t *root, const char *obj, const char *key, const char *s)
{
	json_t *v = at(root, obj, key);
	if (!s) {
		if (!json_is_null(v))
			abort();
		return;
	}
	if (!json_is_string(v))
		abort();
	size_t n = strlen(s) + 1;
	char *clean = st_xmalloc(n);
	if (st_utf8_valid(s, n - 1))
		memcpy(clean, s, n);
	else
		st_sanitize_text(clean, n, s);
	if (strcmp(json_string_value(v), clean) != 0)
		abort();
	free(clean);
}

static void want_int(json_t *root, const char *obj, const char *key, int64_t i)
{
	json_t *v = at(root, obj, key);
	if (!json_is_integer(v) || json_integer_value(v) != i)
		abort();
}

static void want_bool(json_t *root, const char *obj, const char *key, bool b)
{
	json_t *v = at(root, obj, key);
	if (!json_is_boolean(v) || json_is_true(v) != b)
		abort();
}

static void want_dur(json_t *root, const char *obj, const char *key, int64_t s)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRId64 "s", s);
	want_str(root, obj, key, s ? buf : NULL);
}

typedef struct str_member {
	const char *obj, *key; /* obj NULL: a top-level member */
	const char *v;
} str_member;

typedef struct int_member {
	const char *obj, *key;
	int64_t v;
} int_member;

static void check_strings(json_t *j, const st_config *c)
{
	static const char *const colors[] = {"auto", "always", "never"};
	const str_member m[] = {
		{NULL, "source", NAME}, {NULL, "project", c->project},
		{NULL, "region", c->region}, {NULL, "zone", c->zone},
		{"names", "suffix", c->names.suffix}, {"names", "key_ring", c->names.key_ring},
		{"names", "key", c->names.key}, {"names", "bucket", c->names.bucket},
		{"names", "service_account", c->names.service_account},
		{"names", "reservation", c->names.reservation},
		{"names", "template", c->names.template}, {"names", "instance", c->names.instance},
		{"names", "job", c->names.job}, {"names", "alert", c->names.alert},
		{"names", "sink", c->names.sink},
		{"compute", "machine_type", c->compute.machine_type},
		{"compute", "accelerator_type", c->compute.accelerator_type},
		{"compute", "confidential_type", c->compute.confidential_type},
		{"compute", "provisioning", st_provisioning_name(c->compute.provisioning)},
		{"compute", "termination_action", c->compute.termination_action},
		{"compute", "image", c->compute.image}, {"compute", "disk_type", c->compute.disk_type},
		{"kms", "location", c->kms.location}, {"bucket", "location", c->bucket.location},
		{"training", "label", c->training.label},
		{"training", "max_features", c->training.max_features},
		{"training", "data", c->training.data},
		{"endpoints", "default", c->endpoints.default_url},
		{"endpoints", "ca_file", c->endpoints.ca_file},
		{"credentials", "source", st_cred_source_name(c->credentials.source)},
		{"credentials", "file", c->credentials.file}, {"ui", "color", colors[c->ui.color]},
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		want_str(j, m[i].obj, m[i].key, m[i].v);
	for (int i = 0; i < ST_API_COUNT; i++) {
		const char *name = st_api_name((enum st_api)i);
		want_str(j, "endpoints", name, c->endpoints.api[i]);
		want_str(j, "endpoints_used", name, st_config_endpoint(c, name));
	}
}

static void check_numbers(json_t *j, const st_config *c)
{
	const int_member m[] = {
		{"compute", "accelerator_count", c->compute.accelerator_count},
		{"compute", "boot_disk_gb", c->compute.boot_disk_gb},
		{"bucket", "nearline_days", c->bucket.nearline_days},
		{"bucket", "coldline_days", c->bucket.coldline_days},
		{"training", "trees", c->training.trees}, {"training", "max_depth", c->training.max_depth},
		{"training", "bins", c->training.bins}, {"training", "seed", c->training.seed},
		{"ui", "refresh_ms", c->ui.refresh_ms}, {"ui", "log_lines", c->ui.log_lines},
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		want_int(j, m[i].obj, m[i].key, m[i].v);
	want_dur(j, "compute", "max_run_duration", c->compute.max_run_duration_s);
	want_dur(j, "kms", "rotation_period", c->kms.rotation_period_s);
	want_bool(j, "bucket", "versioning", c->bucket.versioning);
	want_bool(j, "ui", "ascii", c->ui.ascii);
	/* the shortest precision must still read back as the very same double */
	json_t *t = at(j, "training", "test_size");
	if (!json_is_number(t) || json_number_value(t) != c->training.test_size)
		abort();
}

/* The JSON text of c, checked member by member. */
static char *checked_json(const st_config *c)
{
	size_t len;
	char *text = render(c, st_config_dump_json, &len);
	json_error_t jerr;
	json_t *j = json_loadb(text, len, 0, &jerr);
	if (!j || !json_is_object(j))
		abort();
	check_strings(j, c);
	check_numbers(j, c);
	json_decref(j);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > ST_CONFIG_MAX_BYTES)
		return 0;
	st_config *c = parse((const char *)data, size);
	if (!c)
		return 0;
	char *json = checked_json(c);
	size_t ylen;
	char *yaml = render(c, render_yaml, &ylen);
	st_config *again = parse(yaml, ylen);
	if (!again)
		abort(); /* the dump is not a config the parser takes back */
	char *json_again = checked_json(again);
	if (strcmp(json, json_again) != 0)
		abort(); /* a value changed on the way through the YAML dump */
	free(json_again);
	st_config_free(again);
	free(yaml);
	free(json);
	st_config_free(c);
	return 0;
}
