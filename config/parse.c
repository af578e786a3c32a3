/* YAML → st_config. libyaml builds the node tree (with line and column marks); a
 * table of known keys then drives the walk, so a typo, a wrong type or an odd value
 * is reported at its exact place instead of being silently ignored. */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/str.h"
#include "common/timeutil.h"
#include "config/config_priv.h"
#include "config/names.h"

/* Most keys in one mapping of the schema (see walk_map). */
#define MAX_TABLE 16

/* Past this many problems the rest are noise; the operator fixes these first. */
#define MAX_ERRORS 50

enum kind { K_MAP, K_STR, K_INT, K_I64, K_BOOL, K_DUR, K_DOUBLE, K_ENUM, K_CHOICE };
#define F_NULL 1u /* null is allowed and means "not set" */

struct key;
typedef int (*check_fn)(const struct key *k, const char *v, char *why, size_t n);

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	int64_t min, max;
	const struct key *sub;      /* K_MAP */
	const char *const *choices; /* K_ENUM (index stored as int), K_CHOICE (string) */
	check_fn check;             /* K_STR */
	int arg;                    /* name kind or API index for check */
	unsigned flags;
};

struct ctx {
	const char *file;
	yaml_document_t *doc;
	st_config *c;
	st_diag_list *diags;
	size_t errors;
	struct st_keypos_list pos;
};

/* ------------------------------------------------------------------ value checks */

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

/* ------------------------------------------------------------------ the schema */

static const char *const prov_names[] = {"reservation", "flex-start", "spot", NULL};
static const char *const cred_names[] = {"auto", "service-account", "authorized-user", "metadata",
					 "token-file", "gcloud", NULL};
static const char *const color_names[] = {"auto", "always", "never", NULL};
static const char *const cc_types[] = {"TDX", "SEV", "SEV_SNP", NULL};
static const char *const term_actions[] = {"DELETE", "STOP", NULL};

#define OFF(field) offsetof(st_config, field)
#define STR(n, f, chk, a, fl) {.name = n, .kind = K_STR, .off = OFF(f), .check = chk, .arg = a, .flags = fl}
#define NAME(n, f) STR(n, f, check_text, 0, 0)
#define INT(n, f, lo, hi) {.name = n, .kind = K_INT, .off = OFF(f), .min = lo, .max = hi}
#define DUR(n, f, lo, hi) {.name = n, .kind = K_DUR, .off = OFF(f), .min = lo, .max = hi}
#define BOOL(n, f) {.name = n, .kind = K_BOOL, .off = OFF(f)}
#define ENUM(n, f, list) {.name = n, .kind = K_ENUM, .off = OFF(f), .choices = list}
#define CHOICE(n, f, list) {.name = n, .kind = K_CHOICE, .off = OFF(f), .choices = list}
#define MAP(n, table) {.name = n, .kind = K_MAP, .sub = table}
#define EP(n, i) STR(n, endpoints.api[i], check_endpoint, i, F_NULL)
#define END {.name = NULL}

/* Name templates are checked after parsing, once names.suffix is known. */
static const struct key names_keys[] = {
	STR("suffix", names.suffix, check_name, ST_NAME_SUFFIX, F_NULL),
	NAME("key_ring", names.key_ring), NAME("key", names.key), NAME("bucket", names.bucket),
	NAME("service_account", names.service_account), NAME("reservation", names.reservation),
	NAME("template", names.template), NAME("instance", names.instance), NAME("job", names.job),
	NAME("alert", names.alert), NAME("sink", names.sink), END,
};

static const struct key compute_keys[] = {
	STR("machine_type", compute.machine_type, check_name, ST_NAME_TYPE, 0),
	STR("accelerator_type", compute.accelerator_type, check_name, ST_NAME_TYPE, 0),
	INT("accelerator_count", compute.accelerator_count, 1, 16),
	CHOICE("confidential_type", compute.confidential_type, cc_types),
	ENUM("provisioning", compute.provisioning, prov_names),
	{.name = "max_run_duration", .kind = K_DUR, .off = OFF(compute.max_run_duration_s), .max = 120 * 86400, .flags = F_NULL},
	CHOICE("termination_action", compute.termination_action, term_actions),
	STR("image", compute.image, check_text, 0, 0),
	INT("boot_disk_gb", compute.boot_disk_gb, 10, 65536),
	STR("disk_type", compute.disk_type, check_name, ST_NAME_TYPE, 0),
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
	STR("default", endpoints.default_url, check_endpoint, -1, F_NULL),
	EP("serviceusage", ST_API_SERVICEUSAGE), EP("cloudkms", ST_API_CLOUDKMS), EP("iam", ST_API_IAM),
	EP("cloudresourcemanager", ST_API_CLOUDRESOURCEMANAGER), EP("storage", ST_API_STORAGE),
	EP("compute", ST_API_COMPUTE), EP("aiplatform", ST_API_AIPLATFORM),
	EP("monitoring", ST_API_MONITORING), EP("logging", ST_API_LOGGING),
	EP("confidentialcomputing", ST_API_CONFIDENTIALCOMPUTING), EP("oauth2", ST_API_OAUTH2),
	EP("metadata", ST_API_METADATA), END,
};

static const struct key credentials_keys[] = {
	ENUM("source", credentials.source, cred_names),
	STR("file", credentials.file, check_text, 0, F_NULL), END,
};

static const struct key ui_keys[] = {
	ENUM("color", ui.color, color_names), BOOL("ascii", ui.ascii),
	INT("refresh_ms", ui.refresh_ms, 100, 60000), INT("log_lines", ui.log_lines, 10, 100000), END,
};

static const struct key top_keys[] = {
	STR("project", project, check_name, ST_NAME_PROJECT, F_NULL),
	STR("region", region, check_name, ST_NAME_REGION, 0),
	STR("zone", zone, check_name, ST_NAME_ZONE, 0),
	MAP("names", names_keys), MAP("compute", compute_keys), MAP("kms", kms_keys),
	MAP("bucket", bucket_keys), MAP("training", training_keys), MAP("endpoints", endpoint_keys),
	MAP("credentials", credentials_keys), MAP("ui", ui_keys), END,
};

#define TABLE_FITS(t) _Static_assert(sizeof t / sizeof *t - 1 <= MAX_TABLE, #t " exceeds MAX_TABLE")
TABLE_FITS(names_keys);
TABLE_FITS(compute_keys);
TABLE_FITS(kms_keys);
TABLE_FITS(bucket_keys);
TABLE_FITS(training_keys);
TABLE_FITS(endpoint_keys);
TABLE_FITS(credentials_keys);
TABLE_FITS(ui_keys);
TABLE_FITS(top_keys);

/* ------------------------------------------------------------------ reporting */

static void err_at(struct ctx *x, const yaml_node_t *node, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void err_at(struct ctx *x, const yaml_node_t *node, const char *path, const char *fmt, ...)
{
	if (++x->errors > MAX_ERRORS)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = st_xvasprintf(fmt, ap);
	va_end(ap);
	if (x->errors == MAX_ERRORS)
		st_diag_add(x->diags, x->file, (unsigned)node->start_mark.line + 1,
			    (unsigned)node->start_mark.column + 1, path, "%s (stopping after %d errors)",
			    msg, MAX_ERRORS);
	else
		st_diag_add(x->diags, x->file, (unsigned)node->start_mark.line + 1,
			    (unsigned)node->start_mark.column + 1, path, "%s", msg);
	free(msg);
}

/* A short, terminal-safe rendering of a scalar for messages (NUL bytes included). */
static void show(const yaml_node_t *n, char *out, size_t size)
{
	char raw[48], clean[48];
	size_t len = n->data.scalar.length, k = len < sizeof raw - 1 ? len : sizeof raw - 1;
	for (size_t i = 0; i < k; i++)
		raw[i] = n->data.scalar.value[i] ? (char)n->data.scalar.value[i] : '?';
	raw[k] = '\0';
	st_sanitize_text(clean, sizeof clean, raw);
	snprintf(out, size, "\"%s%s\"", clean, len > k ? "..." : "");
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* The closest name in the table, when it is close enough to be a likely typo. */
static const char *closest(const char *name, const struct key *table)
{
	const char *best = NULL;
	unsigned bd = 255;
	for (const struct key *k = table; k->name; k++) {
		unsigned d = st_levenshtein(name, k->name);
		if (d < bd) {
			bd = d;
			best = k->name;
		}
	}
	/* Two edits turn any short word into another: demand a longer name for those. */
	size_t len = strlen(name);
	return bd <= 1 || (bd == 2 && len >= 5) || bd * 3 <= len ? best : NULL;
}

static char *choices_list(const char *const *list)
{
	st_buf b;
	st_buf_init(&b);
	for (size_t i = 0; list[i]; i++)
		st_buf_printf(&b, "%s%s", i ? ", " : "", list[i]);
	return st_buf_steal(&b);
}

static void record_pos(struct ctx *x, const char *path, const yaml_node_t *n)
{
	struct st_keypos_list *l = &x->pos;
	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->items = st_xrealloc(l->items, l->cap * sizeof *l->items);
	}
	l->items[l->count++] = (struct st_keypos){st_xstrdup(path), (unsigned)n->start_mark.line + 1,
						  (unsigned)n->start_mark.column + 1};
}

const struct st_keypos *st_keypos_find(const struct st_keypos_list *l, const char *path)
{
	for (size_t i = 0; i < l->count; i++)
		if (!strcmp(l->items[i].path, path))
			return &l->items[i];
	return NULL;
}

/* ------------------------------------------------------------------ scalar setters */

static void *field(struct ctx *x, const struct key *k)
{
	return (char *)x->c + k->off;
}

static const char *expect_what(const struct key *k)
{
	switch (k->kind) {
	case K_INT:
	case K_I64:
		return "an integer";
	case K_BOOL:
		return "true or false";
	case K_DUR:
		return "a duration such as 30d, 12h or 2592000s";
	case K_DOUBLE:
		return "a number";
	case K_MAP:
		return "a mapping";
	default:
		return "a string";
	}
}

static void set_null(struct ctx *x, const struct key *k)
{
	if (k->kind == K_STR) {
		free(*(char **)field(x, k));
		*(char **)field(x, k) = NULL;
	} else if (k->kind == K_DUR) {
		*(int64_t *)field(x, k) = 0;
	}
}

static void fmt_dur(int64_t s, char *out, size_t n)
{
	if (s % 86400 == 0)
		snprintf(out, n, "%lldd", (long long)(s / 86400));
	else if (s % 3600 == 0)
		snprintf(out, n, "%lldh", (long long)(s / 3600));
	else
		snprintf(out, n, "%llds", (long long)s);
}

static void set_int(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
	const char *v = (const char *)n->data.scalar.value;
	char shown[64];
	show(n, shown, sizeof shown);
	char *end;
	errno = 0;
	long long i = strtoll(v, &end, 10);
	bool numeric = *v && (isdigit((unsigned char)*v) || (*v == '-' && isdigit((unsigned char)v[1])));
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !numeric || *end) {
		err_at(x, n, path, "expected an integer, got %s", shown);
		return;
	}
	if (errno == ERANGE || i < k->min || i > k->max) {
		err_at(x, n, path, "%s is out of range (expected %lld to %lld)", v, (long long)k->min,
		       (long long)k->max);
		return;
	}
	if (k->kind == K_I64)
		*(int64_t *)field(x, k) = i;
	else
		*(int *)field(x, k) = (int)i;
}

static void set_dur(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
	const char *v = (const char *)n->data.scalar.value;
	char shown[64], lo[32], hi[32];
	show(n, shown, sizeof shown);
	int64_t s;
	if (k->min == 0 && !strcmp(v, "none")) {
		*(int64_t *)field(x, k) = 0;
		return;
	}
	if (st_duration_parse(v, &s) < 0) {
		bool bare = *v && strspn(v, "0123456789") == strlen(v);
		err_at(x, n, path, "expected a duration such as 30d, 12h or 2592000s, got %s%s", shown,
		       bare ? " (a unit is required)" : "");
		return;
	}
	if (s < k->min || s > k->max) {
		if (k->min == 0)
			snprintf(lo, sizeof lo, "none");
		else
			fmt_dur(k->min, lo, sizeof lo);
		fmt_dur(k->max, hi, sizeof hi);
		err_at(x, n, path, "%s is out of range (expected %s to %s)", v, lo, hi);
		return;
	}
	*(int64_t *)field(x, k) = s;
}

static void set_bool(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
	const char *v = (const char *)n->data.scalar.value;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (size_t i = 0; i < 3; i++) {
			if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
				*(bool *)field(x, k) = !strcmp(v, yes[i]);
				return;
			}
		}
	}
	char shown[64];
	show(n, shown, sizeof shown);
	err_at(x, n, path, "expected true or false, got %s", shown);
}

static void set_double(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
	const char *v = (const char *)n->data.scalar.value;
	char shown[64];
	show(n, shown, sizeof shown);
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || end == v || *end || errno ||
	    !isfinite(d) || !(isdigit((unsigned char)*v) || *v == '-' || *v == '.')) {
		err_at(x, n, path, "expected a number, got %s", shown);
		return;
	}
	if (!(d > (double)k->min && d < (double)k->max)) {
		err_at(x, n, path, "%s is out of range (expected more than %lld and less than %lld)", v,
		       (long long)k->min, (long long)k->max);
		return;
	}
	*(double *)field(x, k) = d;
}

/* Same word up to case and '-' versus '_': "sev-snp" for SEV_SNP. */
static bool loose_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = (char)tolower((unsigned char)*a), y = (char)tolower((unsigned char)*b);
		if (x != y && !((x == '-' || x == '_') && (y == '-' || y == '_')))
			return false;
	}
	return *a == *b;
}

static void set_choice(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
	const char *v = (const char *)n->data.scalar.value;
	for (int i = 0; k->choices[i]; i++) {
		if (strcmp(v, k->choices[i]) != 0)
			continue;
		if (k->kind == K_ENUM)
			*(int *)field(x, k) = i;
		else
			st_config_set_str((char **)field(x, k), v);
		return;
	}
	char shown[64];
	show(n, shown, sizeof shown);
	char *list = choices_list(k->choices);
	const char *near = NULL;
	unsigned bd = 3;
	for (int i = 0; k->choices[i]; i++) {
		unsigned d = st_levenshtein(v, k->choices[i]);
		if (d < bd || loose_eq(v, k->choices[i])) {
			bd = d;
			near = k->choices[i];
		}
	}
	if (near)
		err_at(x, n, path, "%s is not one of %s; did you mean \"%s\"?", shown, list, near);
	else
		err_at(x, n, path, "%s is not one of %s", shown, list);
	free(list);
}

static void set_str(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
	const char *v = (const char *)n->data.scalar.value;
	char why[160], shown[64];
	show(n, shown, sizeof shown);
	for (size_t i = 0; i < n->data.scalar.length; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch < 0x20 || ch == 0x7f) {
			err_at(x, n, path, "%s must not contain control characters", shown);
			return;
		}
	}
	if (k->check && k->check(k, v, why, sizeof why) < 0) {
		if (k->check == check_name)
			err_at(x, n, path, "%s is not a valid %s: %s", shown,
			       st_name_kind_label((enum st_name_kind)k->arg), why);
		else
			err_at(x, n, path, "%s: %s", shown, why);
		return;
	}
	char *copy = k->check == check_endpoint ? st_endpoint_normalize(v) : st_xstrdup(v);
	free(*(char **)field(x, k));
	*(char **)field(x, k) = copy;
}

/* ------------------------------------------------------------------ the walk */

static void walk_map(struct ctx *x, const yaml_node_t *map, const struct key *table, const char *prefix);

static void set_value(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
	if (k->kind == K_MAP) {
		if (n->type == YAML_MAPPING_NODE)
			walk_map(x, n, k->sub, path);
		else if (!is_null(n))
			err_at(x, n, path, "expected a mapping of %s settings, got %s", k->name, node_kind(n));
		return;
	}
	if (n->type != YAML_SCALAR_NODE) {
		err_at(x, n, path, "expected %s, got %s", expect_what(k), node_kind(n));
		return;
	}
	if (is_null(n)) {
		if (k->flags & F_NULL)
			set_null(x, k);
		else
			err_at(x, n, path, "expected %s, got nothing", expect_what(k));
		return;
	}
	switch (k->kind) {
	case K_STR:
		set_str(x, k, n, path);
		break;
	case K_INT:
	case K_I64:
		set_int(x, k, n, path);
		break;
	case K_BOOL:
		set_bool(x, k, n, path);
		break;
	case K_DUR:
		set_dur(x, k, n, path);
		break;
	case K_DOUBLE:
		set_double(x, k, n, path);
		break;
	case K_ENUM:
	case K_CHOICE:
		set_choice(x, k, n, path);
		break;
	case K_MAP:
		break;
	}
}

static void unknown_key(struct ctx *x, const yaml_node_t *kn, const char *name, const char *path,
			const struct key *table)
{
	char shown[64];
	show(kn, shown, sizeof shown);
	const char *near = closest(name, table);
	if (near) {
		err_at(x, kn, path, "unknown key %s; did you mean \"%s\"?", shown, near);
		return;
	}
	st_buf b;
	st_buf_init(&b);
	for (const struct key *k = table; k->name; k++)
		st_buf_printf(&b, "%s%s", k == table ? "" : ", ", k->name);
	err_at(x, kn, path, "unknown key %s (known keys: %s)", shown, b.p);
	st_buf_free(&b);
}

/* Keys per mapping are few; a line number per table entry finds a repeated key in
 * constant time, so a hostile file of 100,000 "zone:" lines stays fast. */
static void walk_map(struct ctx *x, const yaml_node_t *map, const struct key *table, const char *prefix)
{
	unsigned long first_line[MAX_TABLE] = {0};
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top && x->errors < MAX_ERRORS; pair++) {
		const yaml_node_t *kn = yaml_document_get_node(x->doc, pair->key);
		const yaml_node_t *vn = yaml_document_get_node(x->doc, pair->value);
		if (!kn || !vn)
			continue;
		if (kn->type != YAML_SCALAR_NODE) {
			err_at(x, kn, prefix, "expected a key name, got %s", node_kind(kn));
			continue;
		}
		const char *name = (const char *)kn->data.scalar.value;
		char *path = prefix ? st_xasprintf("%s.%s", prefix, name) : st_xstrdup(name);
		const struct key *k = table;
		while (k->name && strcmp(k->name, name) != 0)
			k++;
		size_t idx = (size_t)(k - table);
		if (!k->name) {
			unknown_key(x, kn, name, path, table);
		} else if (first_line[idx]) {
			err_at(x, kn, path, "duplicate key (first given at line %lu)", first_line[idx]);
		} else {
			first_line[idx] = (unsigned long)kn->start_mark.line + 1;
			record_pos(x, path, vn->type == YAML_SCALAR_NODE && !*vn->data.scalar.value ? kn : vn);
			set_value(x, k, vn, path);
		}
		free(path);
	}
}

/* ------------------------------------------------------------------ YAML syntax errors */

/* libyaml's reader errors carry a byte offset instead of a mark. */
static void offset_to_mark(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static void syntax_error(const char *file, const yaml_parser_t *p, const char *text, size_t len,
			 st_diag_list *diags)
{
	unsigned line, col;
	if (p->error == YAML_READER_ERROR) {
		offset_to_mark(text, len, p->problem_offset, &line, &col);
	} else {
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
	}
	const char *problem = p->problem ? p->problem : "unknown error";
	/* libyaml's wording for a tab in the indentation does not say "tab". */
	size_t off = p->problem_mark.index;
	if (p->error == YAML_SCANNER_ERROR && off < len && text[off] == '\t') {
		st_diag_add(diags, file, line, col, NULL,
			    "malformed YAML: a tab character cannot indent YAML; use spaces");
		return;
	}
	if (p->context)
		st_diag_add(diags, file, line, col, NULL, "malformed YAML: %s %s", problem, p->context);
	else
		st_diag_add(diags, file, line, col, NULL, "malformed YAML: %s", problem);
}

/* libyaml slows down quadratically with the depth of nested flow collections (20,000
 * '[' take seconds, a megabyte of them hours), and no config needs more than a few
 * levels: count them first, skipping quoted scalars and comments. */
#define MAX_FLOW_DEPTH 64

static bool token_start(const char *text, size_t i)
{
	return i == 0 || strchr(" \t\r\n[{,:", text[i - 1]) != NULL;
}

static int flow_depth_ok(const char *file, const char *text, size_t len, st_diag_list *diags)
{
	int depth = 0;
	char quote = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (quote == '"') {
			if (c == '\\')
				i++;
			else if (c == '"')
				quote = 0;
		} else if (quote == '\'') {
			if (c == '\'' && i + 1 < len && text[i + 1] == '\'')
				i++;
			else if (c == '\'')
				quote = 0;
		} else if (c == '#' && token_start(text, i)) {
			while (i < len && text[i] != '\n')
				i++;
		} else if ((c == '"' || c == '\'') && token_start(text, i)) {
			quote = c;
		} else if (c == '[' || c == '{') {
			if (++depth > MAX_FLOW_DEPTH) {
				unsigned line, col;
				offset_to_mark(text, len, i, &line, &col);
				st_diag_add(diags, file, line, col, NULL,
					    "malformed YAML: [ ] and { } nested deeper than %d levels", MAX_FLOW_DEPTH);
				return -1;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

/* Loads one document; 1 = loaded, 0 = end of stream, -1 = syntax error (reported). */
static int load_doc(yaml_parser_t *p, yaml_document_t *doc, const char *file, const char *text,
		    size_t len, st_diag_list *diags)
{
	if (!yaml_parser_load(p, doc)) {
		syntax_error(file, p, text, len, diags);
		return -1;
	}
	if (!yaml_document_get_root_node(doc)) {
		yaml_document_delete(doc);
		return 0;
	}
	return 1;
}

static int walk_document(struct ctx *x, yaml_parser_t *p, const char *text, size_t len)
{
	yaml_document_t doc;
	int r = load_doc(p, &doc, x->file, text, len, x->diags);
	if (r <= 0)
		return r;
	x->doc = &doc;
	const yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root->type == YAML_MAPPING_NODE)
		walk_map(x, root, top_keys, NULL);
	else if (!is_null(root))
		err_at(x, root, NULL, "expected a mapping of settings at the top level, got %s", node_kind(root));
	yaml_document_delete(&doc);
	x->doc = NULL;

	yaml_document_t extra;
	r = load_doc(p, &extra, x->file, text, len, x->diags);
	if (r < 0)
		return -1;
	if (r > 0) {
		const yaml_node_t *n = yaml_document_get_root_node(&extra);
		err_at(x, n, NULL, "expected one YAML document, found a second one");
		yaml_document_delete(&extra);
	}
	return 0;
}

/* Fills a missing region from the zone, so that "zone: europe-west4-b" alone is enough. */
static void derive_region(struct ctx *x)
{
	if (!st_keypos_find(&x->pos, "zone") || st_keypos_find(&x->pos, "region"))
		return;
	size_t len = strlen(x->c->zone);
	free(x->c->region);
	x->c->region = st_xstrndup(x->c->zone, len - 2); /* the zone check ensured "-x" at the end */
}

int st_config_parse(const char *name, const char *text, size_t len, st_config **out,
		    st_diag_list *diags)
{
	*out = NULL;
	struct ctx x = {.file = name, .c = st_config_defaults(), .diags = diags};
	/* Locations default to the region, which the file may change: derive them last. */
	st_config_set_str(&x.c->kms.location, NULL);
	st_config_set_str(&x.c->bucket.location, NULL);
	st_config_set_str(&x.c->priv->source, name);

	int r = flow_depth_ok(name, text, len, diags);
	if (r == 0) {
		yaml_parser_t p;
		yaml_parser_initialize(&p);
		yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
		r = walk_document(&x, &p, text, len);
		yaml_parser_delete(&p);
	}

	if (r == 0) {
		bool clean = x.errors == 0;
		if (clean)
			derive_region(&x);
		st_config_derive(x.c);
		x.errors += st_config_validate(x.c, name, &x.pos, clean, diags);
	}
	for (size_t i = 0; i < x.pos.count; i++)
		free(x.pos.items[i].path);
	free(x.pos.items);
	if (r < 0 || x.errors) {
		st_config_free(x.c);
		return -1;
	}
	*out = x.c;
	return 0;
}
