/* Turning one YAML scalar into a typed config value, with a precise message naming
 * the value when it does not fit. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/timeutil.h"
#include "config/names.h"
#include "config/parse_priv.h"

void st_cfg_err(struct ctx *x, const yaml_node_t *node, const char *path, const char *fmt, ...)
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
void st_cfg_show(const yaml_node_t *n, char *out, size_t size)
{
	char raw[48], clean[48];
	size_t len = n->data.scalar.length, k = len < sizeof raw - 1 ? len : sizeof raw - 1;
	for (size_t i = 0; i < k; i++)
		raw[i] = n->data.scalar.value[i] ? (char)n->data.scalar.value[i] : '?';
	raw[k] = '\0';
	st_sanitize_text(clean, sizeof clean, raw);
	snprintf(out, size, "\"%s%s\"", clean, len > k ? "..." : "");
}

const char *st_cfg_node_kind(const yaml_node_t *n)
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

bool st_cfg_is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static char *choices_list(const char *const *list)
{
	st_buf b;
	st_buf_init(&b);
	for (size_t i = 0; list[i]; i++)
		st_buf_printf(&b, "%s%s", i ? ", " : "", list[i]);
	return st_buf_steal(&b);
}

void st_cfg_record_pos(struct ctx *x, const char *path, const yaml_node_t *n)
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

static void *field(struct ctx *x, const struct key *k)
{
	return (char *)x->c + k->off;
}

const char *st_cfg_expect_what(const struct key *k)
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

void st_cfg_set_null(struct ctx *x, const struct key *k)
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
	st_cfg_show(n, shown, sizeof shown);
	char *end;
	errno = 0;
	long long i = strtoll(v, &end, 10);
	bool numeric = *v && (isdigit((unsigned char)*v) || (*v == '-' && isdigit((unsigned char)v[1])));
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !numeric || *end) {
		st_cfg_err(x, n, path, "expected an integer, got %s", shown);
		return;
	}
	if (errno == ERANGE || i < k->min || i > k->max) {
		st_cfg_err(x, n, path, "%s is out of range (expected %lld to %lld)", v, (long long)k->min,
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
	st_cfg_show(n, shown, sizeof shown);
	int64_t s;
	if (k->min == 0 && !strcmp(v, "none")) {
		*(int64_t *)field(x, k) = 0;
		return;
	}
	if (st_duration_parse(v, &s) < 0) {
		bool bare = *v && strspn(v, "0123456789") == strlen(v);
		st_cfg_err(x, n, path, "expected a duration such as 30d, 12h or 2592000s, got %s%s", shown,
		       bare ? " (a unit is required)" : "");
		return;
	}
	if (s < k->min || s > k->max) {
		if (k->min == 0)
			snprintf(lo, sizeof lo, "none");
		else
			fmt_dur(k->min, lo, sizeof lo);
		fmt_dur(k->max, hi, sizeof hi);
		st_cfg_err(x, n, path, "%s is out of range (expected %s to %s)", v, lo, hi);
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
	st_cfg_show(n, shown, sizeof shown);
	st_cfg_err(x, n, path, "expected true or false, got %s", shown);
}

static void set_double(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
	const char *v = (const char *)n->data.scalar.value;
	char shown[64];
	st_cfg_show(n, shown, sizeof shown);
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || end == v || *end || errno ||
	    !isfinite(d) || !(isdigit((unsigned char)*v) || *v == '-' || *v == '.')) {
		st_cfg_err(x, n, path, "expected a number, got %s", shown);
		return;
	}
	if (!(d > (double)k->min && d < (double)k->max)) {
		st_cfg_err(x, n, path, "%s is out of range (expected more than %lld and less than %lld)", v,
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
	st_cfg_show(n, shown, sizeof shown);
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
		st_cfg_err(x, n, path, "%s is not one of %s; did you mean \"%s\"?", shown, list, near);
	else
		st_cfg_err(x, n, path, "%s is not one of %s", shown, list);
	free(list);
}

/* C0, DEL, and their UTF-8 cousins: the C1 controls (U+0080..U+009F, which 8-bit terminals
 * read as escape sequences) and U+2028/U+2029 (line breaks to YAML and JavaScript). libyaml
 * hands us valid UTF-8, so the lead bytes are enough to spot them. */
static bool is_control_at(const unsigned char *v, size_t len, size_t i)
{
	if (v[i] < 0x20 || v[i] == 0x7f)
		return true;
	if (v[i] == 0xc2 && i + 1 < len && v[i + 1] >= 0x80 && v[i + 1] <= 0x9f)
		return true;
	return v[i] == 0xe2 && i + 2 < len && v[i + 1] == 0x80 && (v[i + 2] == 0xa8 || v[i + 2] == 0xa9);
}

static void set_str(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
	const char *v = (const char *)n->data.scalar.value;
	char why[160], shown[64];
	st_cfg_show(n, shown, sizeof shown);
	for (size_t i = 0; i < n->data.scalar.length; i++) {
		if (is_control_at((const unsigned char *)v, n->data.scalar.length, i)) {
			st_cfg_err(x, n, path, "%s must not contain control characters", shown);
			return;
		}
	}
	if (k->check && k->check(k, v, why, sizeof why) < 0) {
		if (k->flags & F_NAME)
			st_cfg_err(x, n, path, "%s is not a valid %s: %s", shown,
			       st_name_kind_label((enum st_name_kind)k->arg), why);
		else
			st_cfg_err(x, n, path, "%s: %s", shown, why);
		return;
	}
	char *copy = k->flags & F_URL ? st_endpoint_normalize(v) : st_xstrdup(v);
	free(*(char **)field(x, k));
	*(char **)field(x, k) = copy;
}

void st_cfg_set_scalar(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
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
