/* sealtrain.yaml: valid files give the expected values; each broken file gives the
 * exact FILE:LINE:COL: KEY: MESSAGE lines, in order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "config/config.h"
#include "tests/support/sttest.h"

/* Parses text as "t.yaml"; returns every diagnostic joined by newlines, or NULL when
 * the text is accepted (then *out holds the config). */
static char *parse_errors(const char *text, st_config **out)
{
	st_diag_list d;
	st_diag_list_init(&d);
	st_config *c = NULL;
	int r = st_config_parse("t.yaml", text, strlen(text), &c, &d);
	st_buf b;
	st_buf_init(&b);
	for (size_t i = 0; i < d.count; i++) {
		char *line = st_diag_format(&d.items[i]);
		st_buf_printf(&b, "%s%s", i ? "\n" : "", line);
		free(line);
	}
	/* The return code and the diagnostics must agree. */
	assert_int_equal(r < 0, d.count > 0);
	assert_int_equal(r < 0, c == NULL);
	st_diag_list_free(&d);
	if (out)
		*out = c;
	else
		st_config_free(c);
	if (r == 0) {
		st_buf_free(&b);
		return NULL;
	}
	return st_buf_steal(&b);
}

static st_config *parse_ok(const char *text)
{
	st_config *c = NULL;
	char *err = parse_errors(text, &c);
	if (err)
		fail_msg("unexpected error: %s", err);
	return c;
}

struct bad_case {
	const char *yaml;
	const char *expect; /* all diagnostics, newline-separated */
};

/* ---------------------------------------------------------------- broken files */

static const struct bad_case bad_cases[] = {
	/* malformed YAML */
	{"project: [a\n", "t.yaml:2:1: malformed YAML: did not find expected ',' or ']' while parsing a flow sequence"},
	{"compute:\n  machine_type: x\n bad: 1\n", "t.yaml:3:2: malformed YAML: did not find expected key while parsing a block mapping"},
	{"compute:\n\tmachine_type: x\n", "t.yaml:2:1: malformed YAML: a tab character cannot indent YAML; use spaces"},
	{"project: ok\nregion: \"\xff\"\n", "t.yaml:2:10: malformed YAML: invalid leading UTF-8 octet"},
	{"region: 'us-central1\n", "t.yaml:2:1: malformed YAML: found unexpected end of stream while scanning a quoted scalar"},
	{"a: 1\n---\nb: 2\n", "t.yaml:1:1: a: unknown key \"a\" (known keys: project, region, zone, names, compute, kms, bucket, training, endpoints, credentials, ui)\n"
			      "t.yaml:3:1: expected one YAML document, found a second one"},
	/* structure and types */
	{"- project\n", "t.yaml:1:1: expected a mapping of settings at the top level, got a list"},
	{"projet: abcdef\n", "t.yaml:1:1: projet: unknown key \"projet\"; did you mean \"project\"?"},
	{"compute:\n  machine_typ: a3-highgpu-1g\n", "t.yaml:2:3: compute.machine_typ: unknown key \"machine_typ\"; did you mean \"machine_type\"?"},
	{"ui:\n  theme: dark\n", "t.yaml:2:3: ui.theme: unknown key \"theme\" (known keys: color, ascii, refresh_ms, log_lines)"},
	{"zone: us-central1-a\nzone: us-central1-b\n", "t.yaml:2:1: zone: duplicate key (first given at line 1)"},
	{"region: {a: b}\n", "t.yaml:1:9: region: expected a string, got a mapping"},
	{"compute: [a3]\n", "t.yaml:1:10: compute: expected a mapping of compute settings, got a list"},
	{"region:\n", "t.yaml:1:8: region: expected a string, got nothing"},
	{"compute:\n  accelerator_count: two\n", "t.yaml:2:22: compute.accelerator_count: expected an integer, got \"two\""},
	{"compute:\n  accelerator_count: \"1\"\n", "t.yaml:2:22: compute.accelerator_count: expected an integer, got \"1\""},
	{"compute:\n  accelerator_count: 0\n", "t.yaml:2:22: compute.accelerator_count: 0 is out of range (expected 1 to 16)"},
	{"training:\n  trees: 99999999999999999999\n", "t.yaml:2:10: training.trees: 99999999999999999999 is out of range (expected 1 to 10000)"},
	{"bucket:\n  versioning: maybe\n", "t.yaml:2:15: bucket.versioning: expected true or false, got \"maybe\""},
	{"training:\n  test_size: 1.5\n", "t.yaml:2:14: training.test_size: 1.5 is out of range (expected more than 0 and less than 1)"},
	{"training:\n  test_size: half\n", "t.yaml:2:14: training.test_size: expected a number, got \"half\""},
	{"training:\n  max_features: most\n", "t.yaml:2:17: training.max_features: \"most\": expected sqrt, log2, all or a fraction in (0, 1]"},
	{"training:\n  label: \"\"\n", "t.yaml:2:10: training.label: \"\": must not be empty"},
	{"region: \"us\\x1b[2Jcentral1\"\n", "t.yaml:1:9: region: \"us?[2Jcentral1\" must not contain control characters"},
	{"region: \"a\\0b\"\n", "t.yaml:1:9: region: \"a?b\" must not contain control characters"},
	{"region: \"us\\u009B2Jcentral1\"\n", "t.yaml:1:9: region: \"us?2Jcentral1\" must not contain control characters"},
	{"region: \"us\\u2028central1\"\n", "t.yaml:1:9: region: \"us?central1\" must not contain control characters"},
	/* durations */
	{"kms:\n  rotation_period: 2592000\n", "t.yaml:2:20: kms.rotation_period: expected a duration such as 30d, 12h or 2592000s, got \"2592000\" (a unit is required)"},
	{"kms:\n  rotation_period: 12h\n", "t.yaml:2:20: kms.rotation_period: 12h is out of range (expected 1d to 36500d)"},
	{"kms:\n  rotation_period: 30 days\n", "t.yaml:2:20: kms.rotation_period: expected a duration such as 30d, 12h or 2592000s, got \"30 days\""},
	{"compute:\n  max_run_duration: 200d\n  provisioning: spot\n", "t.yaml:2:21: compute.max_run_duration: 200d is out of range (expected none to 120d)"},
	/* choices */
	{"compute:\n  provisioning: flex_start\n", "t.yaml:2:17: compute.provisioning: \"flex_start\" is not one of reservation, flex-start, spot; did you mean \"flex-start\"?"},
	{"compute:\n  confidential_type: sev-snp\n", "t.yaml:2:22: compute.confidential_type: \"sev-snp\" is not one of TDX, SEV, SEV_SNP; did you mean \"SEV_SNP\"?"},
	{"credentials:\n  source: keyfile\n", "t.yaml:2:11: credentials.source: \"keyfile\" is not one of auto, service-account, authorized-user, metadata, token-file, gcloud"},
	/* names, by Google's rules */
	{"project: 1abcdef\n", "t.yaml:1:10: project: \"1abcdef\" is not a valid project id: must start with a lowercase letter"},
	{"project: abc\n", "t.yaml:1:10: project: \"abc\" is not a valid project id: is 3 characters long (expected 6 to 30)"},
	{"region: uscentral\n", "t.yaml:1:9: region: \"uscentral\" is not a valid region: expected a region such as \"us-central1\""},
	{"names:\n  suffix: ABC\n", "t.yaml:2:11: names.suffix: \"ABC\" is not a valid name suffix: character 'A' is not allowed (only a-z and 0-9)"},
	{"names:\n  bucket: My_Bucket\n", "t.yaml:2:11: names.bucket: \"My_Bucket\" is not a valid bucket name: character 'M' is not allowed (only a-z, 0-9, '-', '_' and '.')"},
	{"names:\n  bucket: ab\n", "t.yaml:2:11: names.bucket: \"ab\" is not a valid bucket name: is 2 characters long (expected 3 to 63)"},
	{"names:\n  bucket: my-google-data\n", "t.yaml:2:11: names.bucket: \"my-google-data\" is not a valid bucket name: must not start with \"goog\" or contain \"google\""},
	{"names:\n  bucket: data-{suffix}-\n", "t.yaml:2:11: names.bucket: \"data-a1b2c3-\" (with suffix \"a1b2c3\") is not a valid bucket name: must start and end with a lowercase letter or digit"},
	{"names:\n  key_ring: ring/{suffix}\n", "t.yaml:2:13: names.key_ring: \"ring/a1b2c3\" (with suffix \"a1b2c3\") is not a valid Cloud KMS id: character '/' is not allowed (only A-Z, a-z, 0-9, '_' and '-')"},
	{"names:\n  suffix: abcdefghijkl\n  service_account: sealtrain-trainer-vm-{suffix}\n",
	 "t.yaml:3:20: names.service_account: \"sealtrain-trainer-vm-abcdefghijkl\" (with suffix \"abcdefghijkl\") is not a valid service account id: is 33 characters long (expected 6 to 30)"},
	{"names:\n  instance: VM-{suffix}\n", "t.yaml:2:13: names.instance: \"VM-a1b2c3\" (with suffix \"a1b2c3\") is not a valid Compute Engine name: character 'V' is not allowed (only a-z, 0-9 and '-')"},
	{"names:\n  template: tmpl-{sufix}\n", "t.yaml:2:13: names.template: unknown placeholder \"{sufix}\" (only {suffix} is replaced)"},
	{"names:\n  sink: audit/{suffix}\n", "t.yaml:2:9: names.sink: \"audit/a1b2c3\" (with suffix \"a1b2c3\") is not a valid log sink id: character '/' is not allowed (only A-Z, a-z, 0-9, '_', '-' and '.')"},
	/* checks across keys */
	{"zone: europe-west4-a\nregion: us-central1\n", "t.yaml:1:7: zone: zone \"europe-west4-a\" is not in region \"us-central1\""},
	{"region: europe-west4\n", "t.yaml:1:9: region: zone \"us-central1-a\" is not in region \"europe-west4\""},
	{"kms:\n  location: us-east1\n", "t.yaml:2:13: kms.location: bucket location \"us-central1\" differs from kms.location \"us-east1\"; a bucket's default KMS key must be in the bucket's location"},
	{"compute:\n  max_run_duration: none\n", "t.yaml:2:21: compute.max_run_duration: flex-start needs a max_run_duration from 1s to 7d (got none)"},
	{"compute:\n  provisioning: flex-start\n  max_run_duration: 8d\n", "t.yaml:3:21: compute.max_run_duration: flex-start needs a max_run_duration from 1s to 7d (got more than 7d)"},
	{"credentials:\n  source: service-account\n", "t.yaml:2:11: credentials.source: source \"service-account\" needs credentials.file"},
	{"credentials:\n  file: /tmp/key.json\n", "t.yaml:2:9: credentials.file: only used with source service-account, authorized-user or token-file (source is \"auto\")"},
	{"bucket:\n  nearline_days: 90\n  coldline_days: 30\n", "t.yaml:3:18: bucket.coldline_days: objects move to COLDLINE after 30 days, which must be later than NEARLINE (90 days)"},
	/* endpoints */
	{"endpoints:\n  default: http://example.com\n", "t.yaml:2:12: endpoints.default: \"http://example.com\": plain http is allowed only to a loopback host (127.0.0.0/8, [::1], localhost); use https"},
	{"endpoints:\n  storage: http://10.0.0.1:8080\n", "t.yaml:2:12: endpoints.storage: \"http://10.0.0.1:8080\": plain http is allowed only to a loopback host (127.0.0.0/8, [::1], localhost); use https"},
	{"endpoints:\n  cloudkms: https://kms.example.com/v1\n", "t.yaml:2:13: endpoints.cloudkms: \"https://kms.example.com/v1\": expected scheme://host[:port] with no path, query or fragment"},
	{"endpoints:\n  iam: https://iam.example.com:99999\n", "t.yaml:2:8: endpoints.iam: \"https://iam.example.com:99999\": expected a port from 1 to 65535"},
	{"endpoints:\n  default: ftp://files.example.com\n", "t.yaml:2:12: endpoints.default: \"ftp://files.example.com\": expected a base URL starting with https:// or http://"},
	{"endpoints:\n  default: https://user@evil.example.com\n", "t.yaml:2:12: endpoints.default: \"https://user@evil.example.com\": expected scheme://host[:port], the host is not valid"},
	{"endpoints:\n  compute: http://metadata.google.internal\n", "t.yaml:2:12: endpoints.compute: \"http://metadata.google.internal\": plain http is allowed only to a loopback host (127.0.0.0/8, [::1], localhost); use https"},
	{"endpoints:\n  kms: https://kms.example.com\n", "t.yaml:2:3: endpoints.kms: unknown key \"kms\" (known keys: default, serviceusage, cloudkms, iam, cloudresourcemanager, storage, compute, aiplatform, monitoring, logging, confidentialcomputing, oauth2, metadata, ca_file)"},
	{"endpoints:\n  ca_file: /nonexistent/sealtrain-ca.pem\n", "t.yaml:2:12: endpoints.ca_file: \"/nonexistent/sealtrain-ca.pem\": cannot open: No such file or directory"},
	{"endpoints:\n  ca_file: /\n", "t.yaml:2:12: endpoints.ca_file: \"/\": not a regular file"},
};

static void t_bad(void **state)
{
	const struct bad_case *bc = *state;
	char *got = parse_errors(bc->yaml, NULL);
	if (!got)
		fail_msg("accepted: %s", bc->yaml);
	assert_string_equal(got, bc->expect);
	free(got);
}

/* Many problems: all reported in file order, capped so the output stays readable. */
static void t_many_errors(void **state)
{
	(void)state;
	st_buf b;
	st_buf_init(&b);
	for (int i = 0; i < 60; i++)
		st_buf_printf(&b, "unknown%02d: x\n", i);
	char *got = parse_errors(b.p, NULL);
	st_buf_free(&b);
	assert_non_null(got);
	size_t lines = 1;
	for (char *p = got; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 50);
	assert_non_null(strstr(got, "t.yaml:50:1: unknown49: unknown key \"unknown49\""));
	assert_non_null(strstr(got, "(stopping after 50 errors)"));
	free(got);
}

/* A hostile file: deep nesting where a string belongs is refused, not recursed into. */
static void t_deep_nesting(void **state)
{
	(void)state;
	st_buf b;
	st_buf_init(&b);
	st_buf_puts(&b, "region: ");
	for (int i = 0; i < 10000; i++)
		st_buf_puts(&b, "[");
	for (int i = 0; i < 10000; i++)
		st_buf_puts(&b, "]");
	st_buf_puts(&b, "\n");
	char *got = parse_errors(b.p, NULL);
	st_buf_free(&b);
	assert_string_equal(got, "t.yaml:1:73: malformed YAML: [ ] and { } nested deeper than 64 levels");
	free(got);
	/* Brackets in quoted scalars and comments are text, not nesting. */
	st_buf_init(&b);
	st_buf_puts(&b, "# ");
	for (int i = 0; i < 100; i++)
		st_buf_puts(&b, "[");
	st_buf_puts(&b, "\nnames:\n  job: \"");
	for (int i = 0; i < 100; i++)
		st_buf_puts(&b, "[");
	st_buf_puts(&b, "\"\n  alert: 'it''s [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['\n");
	st_config *c = parse_ok(b.p);
	assert_int_equal(strlen(c->names.job), 100);
	assert_true(st_starts_with(c->names.alert, "it's [[["));
	st_config_free(c);
	st_buf_free(&b);
	/* 64 levels of flow nesting are still YAML (and then the wrong type here). */
	st_buf_init(&b);
	st_buf_puts(&b, "region: ");
	for (int i = 0; i < 64; i++)
		st_buf_puts(&b, "[");
	for (int i = 0; i < 64; i++)
		st_buf_puts(&b, "]");
	got = parse_errors(b.p, NULL);
	assert_string_equal(got, "t.yaml:1:9: region: expected a string, got a list");
	free(got);
	st_buf_free(&b);
}

/* A file of one key repeated 50,000 times: reported once per line up to the cap,
 * without comparing every pair. */
static void t_many_duplicates(void **state)
{
	(void)state;
	st_buf b;
	st_buf_init(&b);
	for (int i = 0; i < 50000; i++)
		st_buf_puts(&b, "zone: us-central1-a\n");
	char *got = parse_errors(b.p, NULL);
	st_buf_free(&b);
	assert_true(st_starts_with(got, "t.yaml:2:1: zone: duplicate key (first given at line 1)\n"));
	assert_true(st_ends_with(got, "t.yaml:51:1: zone: duplicate key (first given at line 1) (stopping after 50 errors)"));
	free(got);
}

/* ---------------------------------------------------------------- valid files */

static void t_empty_is_defaults(void **state)
{
	(void)state;
	const char *texts[] = {"", "# only a comment\n", "---\n", "~\n"};
	for (size_t i = 0; i < 4; i++) {
		st_config *c = parse_ok(texts[i]);
		assert_null(c->project);
		assert_string_equal(c->region, "us-central1");
		assert_string_equal(c->zone, "us-central1-a");
		assert_string_equal(c->compute.machine_type, "a3-highgpu-1g");
		assert_string_equal(c->compute.accelerator_type, "nvidia-h100-80gb");
		assert_int_equal(c->compute.accelerator_count, 1);
		assert_string_equal(c->compute.confidential_type, "TDX");
		assert_int_equal(c->compute.provisioning, ST_PROV_FLEX_START);
		assert_int_equal(c->kms.rotation_period_s, 2592000);
		assert_string_equal(c->kms.location, "us-central1");
		assert_string_equal(c->bucket.location, "us-central1");
		assert_true(c->bucket.versioning);
		assert_int_equal(c->bucket.nearline_days, 30);
		assert_int_equal(c->bucket.coldline_days, 90);
		assert_int_equal(c->credentials.source, ST_CRED_AUTO);
		assert_string_equal(st_config_source(c), "t.yaml");
		st_config_free(c);
	}
}

static void t_durations(void **state)
{
	(void)state;
	const struct {
		const char *text;
		int64_t secs;
	} cases[] = {
		{"30d", 2592000}, {"720h", 2592000}, {"2592000s", 2592000}, {"\"45d\"", 45 * 86400},
		{"1440m", 86400},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *y = st_xasprintf("kms:\n  rotation_period: %s\n", cases[i].text);
		st_config *c = parse_ok(y);
		assert_int_equal(c->kms.rotation_period_s, cases[i].secs);
		st_config_free(c);
		free(y);
	}
}

static void t_full_fixture(void **state)
{
	(void)state;
	char *path = st_test_srcpath("tests/fixtures/config/full.yaml");
	st_diag_list d;
	st_diag_list_init(&d);
	st_config *c;
	assert_int_equal(st_config_load(path, &c, &d), 0);
	assert_int_equal(d.count, 0);
	assert_string_equal(st_config_source(c), path);
	assert_string_equal(c->project, "sealtrain-test-42");
	assert_string_equal(c->zone, "europe-west4-b");
	assert_string_equal(c->names.suffix, "run7");
	assert_int_equal(c->compute.accelerator_count, 2);
	assert_string_equal(c->compute.confidential_type, "SEV_SNP");
	assert_int_equal(c->compute.provisioning, ST_PROV_SPOT);
	assert_int_equal(c->compute.max_run_duration_s, 0);
	assert_string_equal(c->compute.termination_action, "STOP");
	assert_int_equal(c->kms.rotation_period_s, 90 * 86400);
	assert_false(c->bucket.versioning);
	assert_int_equal(c->bucket.nearline_days, 0);
	assert_int_equal(c->training.trees, 250);
	assert_int_equal(c->training.max_depth, 40);
	assert_true(c->training.test_size == 0.25);
	assert_string_equal(c->training.max_features, "0.5");
	assert_int_equal(c->credentials.source, ST_CRED_SERVICE_ACCOUNT);
	assert_string_equal(c->credentials.file, "/etc/sealtrain/key.json");
	assert_int_equal(c->ui.color, ST_COLOR_NEVER);
	assert_true(c->ui.ascii);
	assert_int_equal(c->ui.refresh_ms, 500);
	/* Name templates expand with the fixed suffix. */
	char *bucket = st_config_expand_name(c, c->names.bucket, NULL);
	assert_string_equal(bucket, "acme-train-run7");
	free(bucket);
	st_config_free(c);
	free(path);
}

/* The shipped example documents the defaults: loading it changes nothing. */
static void dump_to(const st_config *c, char **buf)
{
	size_t n;
	FILE *fp = open_memstream(buf, &n);
	assert_non_null(fp);
	st_config_dump(c, fp);
	fclose(fp);
	/* The first line names the source; compare what follows. */
	char *nl = strchr(*buf, '\n');
	memmove(*buf, nl + 1, strlen(nl + 1) + 1);
}

static void t_example_matches_defaults(void **state)
{
	(void)state;
	char *path = st_test_srcpath("config/sealtrain.example.yaml");
	st_diag_list d;
	st_diag_list_init(&d);
	st_config *ex, *def = st_config_defaults();
	if (st_config_load(path, &ex, &d) < 0) {
		st_diag_print(&d, stderr);
		fail_msg("example does not load");
	}
	char *a, *b;
	dump_to(ex, &a);
	dump_to(def, &b);
	assert_string_equal(a, b);
	free(a);
	free(b);
	st_config_free(ex);
	st_config_free(def);
	free(path);
}

/* What config check prints reads back as the same configuration. */
static void t_dump_round_trip(void **state)
{
	(void)state;
	char *path = st_test_srcpath("tests/fixtures/config/full.yaml");
	st_diag_list d;
	st_diag_list_init(&d);
	st_config *c, *again;
	assert_int_equal(st_config_load(path, &c, &d), 0);
	char *a, *b;
	dump_to(c, &a);
	again = parse_ok(a);
	dump_to(again, &b);
	assert_string_equal(a, b);
	free(a);
	free(b);
	st_config_free(c);
	st_config_free(again);
	free(path);
}

static void t_region_from_zone(void **state)
{
	(void)state;
	st_config *c = parse_ok("zone: europe-west4-b\n");
	assert_string_equal(c->region, "europe-west4");
	assert_string_equal(c->kms.location, "europe-west4");
	assert_string_equal(c->bucket.location, "europe-west4");
	char *ep = st_xstrdup(st_config_endpoint(c, "aiplatform"));
	assert_string_equal(ep, "https://europe-west4-aiplatform.googleapis.com");
	free(ep);
	st_config_free(c);
}

static void t_endpoints(void **state)
{
	(void)state;
	st_config *c = st_config_defaults();
	assert_string_equal(st_config_endpoint(c, "cloudkms"), "https://cloudkms.googleapis.com");
	assert_string_equal(st_config_endpoint(c, "storage"), "https://storage.googleapis.com");
	assert_string_equal(st_config_endpoint(c, "oauth2"), "https://oauth2.googleapis.com");
	assert_string_equal(st_config_endpoint(c, "metadata"), "http://metadata.google.internal");
	assert_string_equal(st_config_endpoint(c, "aiplatform"), "https://us-central1-aiplatform.googleapis.com");
	assert_null(st_config_endpoint(c, "bigquery"));
	/* The regional host follows a region change. */
	free(c->region);
	c->region = st_xstrdup("asia-east1");
	assert_string_equal(st_config_endpoint(c, "aiplatform"), "https://asia-east1-aiplatform.googleapis.com");
	st_config_set_all_endpoints(c, "http://127.0.0.1:4567/");
	for (int i = 0; i < ST_API_COUNT; i++)
		assert_string_equal(st_config_endpoint(c, st_api_name((enum st_api)i)), "http://127.0.0.1:4567");
	assert_int_equal(st_api_from_name("confidentialcomputing"), ST_API_CONFIDENTIALCOMPUTING);
	assert_int_equal(st_api_from_name("nope"), -1);
	st_config_free(c);

	c = parse_ok("endpoints:\n  default: http://localhost:8080\n  storage: https://[::1]:9000/\n"
		     "  compute: http://127.1.2.3\n  metadata: http://metadata.google.internal\n");
	assert_string_equal(st_config_endpoint(c, "storage"), "https://[::1]:9000");
	assert_string_equal(st_config_endpoint(c, "compute"), "http://127.1.2.3");
	assert_string_equal(st_config_endpoint(c, "iam"), "http://localhost:8080");
	assert_string_equal(st_config_endpoint(c, "metadata"), "http://metadata.google.internal");
	st_config_free(c);
}

/* endpoints.ca_file must name a readable PEM file when the config is read. */
static void t_ca_file(void **state)
{
	(void)state;
	char *dir = st_test_tmpdir("cacfg");
	char *ca = st_xasprintf("%s/ca.pem", dir), *junk = st_xasprintf("%s/junk.pem", dir);
	st_test_write_file(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	st_test_write_file(junk, "not a certificate\n");
	char *text = st_xasprintf("endpoints:\n  ca_file: %s\n", ca);
	st_config *c = parse_ok(text);
	assert_string_equal(c->endpoints.ca_file, ca);
	st_config_free(c);
	free(text);
	text = st_xasprintf("endpoints:\n  ca_file: %s\n", junk);
	char *got = parse_errors(text, NULL);
	char *want = st_xasprintf("t.yaml:2:12: endpoints.ca_file: \"%s\": holds no PEM certificate "
				  "(-----BEGIN CERTIFICATE-----)", junk);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
	free(text);
	c = parse_ok("endpoints:\n  ca_file: ~\n");
	assert_null(c->endpoints.ca_file);
	st_config_free(c);
	st_test_rmtree(dir);
	free(ca);
	free(junk);
	free(dir);
}

static void t_expand_and_suffix(void **state)
{
	(void)state;
	st_config *c = st_config_defaults();
	char *n = st_config_expand_name(c, "a-{suffix}-b-{suffix}", "xyz");
	assert_string_equal(n, "a-xyz-b-xyz");
	free(n);
	n = st_config_expand_name(c, "plain", "xyz");
	assert_string_equal(n, "plain");
	free(n);
	n = st_config_expand_name(c, "keep-{suffix}", NULL); /* no suffix anywhere yet */
	assert_string_equal(n, "keep-{suffix}");
	free(n);
	for (int i = 0; i < 200; i++) {
		char s[ST_CONFIG_RANDOM_SUFFIX_LEN + 1];
		st_config_random_suffix(s);
		assert_int_equal(strlen(s), ST_CONFIG_RANDOM_SUFFIX_LEN);
		assert_true(s[0] >= 'a' && s[0] <= 'z');
		assert_int_equal(strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789"), ST_CONFIG_RANDOM_SUFFIX_LEN);
	}
	st_config_free(c);
}

static void t_misc_valid(void **state)
{
	(void)state;
	st_config *c = parse_ok("project: ~\nbucket: {versioning: off, nearline_days: 0}\n"
				"compute:\n  provisioning: reservation\n  max_run_duration: none\n"
				"credentials:\n  source: token-file\n  file: ~/token\n"
				"names:\n  job: \"Ünïcode run {suffix}\"\n");
	assert_null(c->project);
	assert_false(c->bucket.versioning);
	assert_int_equal(c->compute.provisioning, ST_PROV_RESERVATION);
	assert_int_equal(c->compute.max_run_duration_s, 0);
	assert_int_equal(c->credentials.source, ST_CRED_TOKEN_FILE);
	st_config_free(c);
}

static void t_diag_format(void **state)
{
	(void)state;
	st_diag_list d;
	st_diag_list_init(&d);
	st_diag_add(&d, "f.yaml", 3, 7, "a.b", "bad %d", 1);
	st_diag_add(&d, "f.yaml", 0, 9, "", "whole file");
	st_diag_add(&d, NULL, 1, 1, NULL, "x");
	char *s = st_diag_format(&d.items[0]);
	assert_string_equal(s, "f.yaml:3:7: a.b: bad 1");
	free(s);
	s = st_diag_format(&d.items[1]);
	assert_string_equal(s, "f.yaml: whole file");
	free(s);
	s = st_diag_format(&d.items[2]);
	assert_string_equal(s, ":1:1: x");
	free(s);
	st_diag_list_free(&d);
	assert_int_equal(d.count, 0);
}

int main(void)
{
	enum { NBAD = sizeof bad_cases / sizeof *bad_cases };
	struct CMUnitTest tests[NBAD + 16];
	size_t n = 0;
	static char names[NBAD][64];
	for (size_t i = 0; i < NBAD; i++) {
		snprintf(names[i], sizeof names[i], "bad config %02zu: %.40s", i + 1,
			 strchr(bad_cases[i].expect, ' ') + 1);
		tests[n++] = (struct CMUnitTest){names[i], t_bad, NULL, NULL, (void *)&bad_cases[i]};
	}
	const struct CMUnitTest rest[] = {
		cmocka_unit_test(t_many_errors),
		cmocka_unit_test(t_deep_nesting),
		cmocka_unit_test(t_many_duplicates),
		cmocka_unit_test(t_empty_is_defaults),
		cmocka_unit_test(t_durations),
		cmocka_unit_test(t_full_fixture),
		cmocka_unit_test(t_example_matches_defaults),
		cmocka_unit_test(t_dump_round_trip),
		cmocka_unit_test(t_region_from_zone),
		cmocka_unit_test(t_endpoints),
		cmocka_unit_test(t_ca_file),
		cmocka_unit_test(t_expand_and_suffix),
		cmocka_unit_test(t_misc_valid),
		cmocka_unit_test(t_diag_format),
	};
	for (size_t i = 0; i < sizeof rest / sizeof *rest; i++)
		tests[n++] = rest[i];
	return _cmocka_run_group_tests("config", tests, n, NULL, NULL);
}
