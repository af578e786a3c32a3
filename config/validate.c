/* Checks across keys, run once every value is known: name templates against Google's
 * naming rules (with the suffix filled in), zone within region, key ring and bucket in
 * one location, and the settings a provisioning model or credentials source needs. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"
#include "config/config_priv.h"
#include "config/names.h"

struct vctx {
	const char *file;
	const struct st_keypos_list *pos;
	st_diag_list *diags;
	size_t errors;
};

/* Reports at the first of the given keys that the file sets (the one to edit), or
 * without a position when all of them are defaults. */
static void report(struct vctx *v, const char *key, const char *alt, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct vctx *v, const char *key, const char *alt, const char *fmt, ...)
{
	const struct st_keypos *p = st_keypos_find(v->pos, key);
	const char *path = key;
	if (!p && alt && (p = st_keypos_find(v->pos, alt)) != NULL)
		path = alt;
	va_list ap;
	va_start(ap, fmt);
	char *msg = st_xvasprintf(fmt, ap);
	va_end(ap);
	st_diag_add(v->diags, v->file, p ? p->line : 0, p ? p->col : 0, path, "%s", msg);
	free(msg);
	v->errors++;
}

/* Any "{...}" other than "{suffix}" is a typo that would end up in a resource name. */
static const char *bad_placeholder(const char *tmpl)
{
	for (const char *p = strchr(tmpl, '{'); p; p = strchr(p + 1, '{'))
		if (!st_starts_with(p, "{suffix}"))
			return p;
	return NULL;
}

static void check_template(struct vctx *v, const st_config *c, const char *key, const char *tmpl,
			   enum st_name_kind kind)
{
	const char *bad = bad_placeholder(tmpl);
	if (bad) {
		size_t n = strcspn(bad, "}");
		report(v, key, NULL, "unknown placeholder \"%.*s\" (only {suffix} is replaced)",
		       (int)(n + (bad[n] == '}')), bad);
		return;
	}
	/* Without a fixed suffix, check with one shaped like a random suffix. */
	const char *suffix = c->names.suffix ? c->names.suffix : "a1b2c3";
	char *name = st_config_expand_name(c, tmpl, suffix);
	char why[160], clean[80];
	if (st_name_check(kind, name, why, sizeof why) < 0) {
		st_sanitize_text(clean, sizeof clean, name);
		if (strstr(tmpl, "{suffix}"))
			report(v, key, "names.suffix", "\"%s\" (with suffix \"%s\") is not a valid %s: %s",
			       clean, suffix, st_name_kind_label(kind), why);
		else
			report(v, key, NULL, "\"%s\" is not a valid %s: %s", clean,
			       st_name_kind_label(kind), why);
	}
	free(name);
}

static void check_names(struct vctx *v, const st_config *c)
{
	const struct {
		const char *key;
		const char *tmpl;
		enum st_name_kind kind;
	} names[] = {
		{"names.key_ring", c->names.key_ring, ST_NAME_KMS},
		{"names.key", c->names.key, ST_NAME_KMS},
		{"names.bucket", c->names.bucket, ST_NAME_BUCKET},
		{"names.service_account", c->names.service_account, ST_NAME_ACCOUNT},
		{"names.reservation", c->names.reservation, ST_NAME_COMPUTE},
		{"names.template", c->names.template, ST_NAME_COMPUTE},
		{"names.instance", c->names.instance, ST_NAME_COMPUTE},
		{"names.job", c->names.job, ST_NAME_DISPLAY},
		{"names.alert", c->names.alert, ST_NAME_DISPLAY},
		{"names.sink", c->names.sink, ST_NAME_SINK},
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		check_template(v, c, names[i].key, names[i].tmpl, names[i].kind);
}

static void check_places(struct vctx *v, const st_config *c)
{
	size_t rl = strlen(c->region);
	if (strncmp(c->zone, c->region, rl) != 0 || c->zone[rl] != '-')
		report(v, "zone", "region", "zone \"%s\" is not in region \"%s\"", c->zone, c->region);
	if (strcasecmp(c->kms.location, c->bucket.location) != 0)
		report(v, "bucket.location", "kms.location",
		       "bucket location \"%s\" differs from kms.location \"%s\"; a bucket's default "
		       "KMS key must be in the bucket's location", c->bucket.location, c->kms.location);
}

static void check_compute(struct vctx *v, const st_config *c)
{
	int64_t d = c->compute.max_run_duration_s;
	if (c->compute.provisioning == ST_PROV_FLEX_START && (d < 1 || d > 7 * 86400))
		report(v, "compute.max_run_duration", "compute.provisioning",
		       "flex-start needs a max_run_duration from 1s to 7d (got %s)",
		       d ? "more than 7d" : "none");
}

static void check_misc(struct vctx *v, const st_config *c)
{
	enum st_cred_source s = c->credentials.source;
	bool needs_file = s == ST_CRED_SERVICE_ACCOUNT || s == ST_CRED_AUTHORIZED_USER ||
			  s == ST_CRED_TOKEN_FILE;
	if (needs_file && !c->credentials.file)
		report(v, "credentials.source", NULL, "source \"%s\" needs credentials.file",
		       st_cred_source_name(s));
	if (!needs_file && c->credentials.file)
		report(v, "credentials.file", NULL,
		       "only used with source service-account, authorized-user or token-file (source is \"%s\")",
		       st_cred_source_name(s));
	int nl = c->bucket.nearline_days, cl = c->bucket.coldline_days;
	if (nl && cl && cl <= nl)
		report(v, "bucket.coldline_days", "bucket.nearline_days",
		       "objects move to COLDLINE after %d days, which must be later than NEARLINE (%d days)",
		       cl, nl);
}

size_t st_config_validate(st_config *c, const char *file, const struct st_keypos_list *pos,
			  bool across, st_diag_list *diags)
{
	struct vctx v = {file, pos, diags, 0};
	check_names(&v, c);
	/* After a value error the other keys may still hold defaults: comparing them
	 * would only produce noise. */
	if (!across)
		return v.errors;
	check_places(&v, c);
	check_compute(&v, c);
	check_misc(&v, c);
	return v.errors;
}
