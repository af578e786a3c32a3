/* Compute list filter: a hand-written recursive-descent parser over the raw text
 * (the two styles lex values differently, so there is no separate token stream),
 * then a tree walk per resource. */
#include "sandbox/compute_filter.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"
#include "sandbox/safe_regex.h"

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_HAS, OP_REQ, OP_RNE };
enum node { N_AND, N_OR, N_CMP };
enum has_mode { HAS_SUBSTR, HAS_PREFIX, HAS_ANY };
enum style { STYLE_NONE, STYLE_AIP, STYLE_LEGACY };

struct cf_expr {
	enum node kind;
	cf_expr *a, *b;  /* AND/OR operands */
	char *field;     /* CMP: dotted path */
	enum op op;
	char *value;
	enum has_mode has;
	regex_t re;      /* eq/ne */
	bool has_re;
};

typedef struct parser {
	const char *src, *p;
	char *err;
	size_t errlen;
	bool failed;
	int depth;
	enum style style;
} parser;

static void fail_at(parser *ps, const char *at, const char *why)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errlen, "position %zu: %s", (size_t)(at - ps->src) + 1, why);
	ps->failed = true;
}

static void skip_ws(parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static bool field_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '.' || ch == '-';
}

/* Whether the keyword w starts at p as a whole word. */
static bool at_word(const char *p, const char *w)
{
	size_t n = strlen(w);
	return strncmp(p, w, n) == 0 && !field_char(p[n]) && p[n] != ':' && p[n] != '=';
}

static cf_expr *node(enum node kind, cf_expr *a, cf_expr *b)
{
	cf_expr *e = st_xcalloc(1, sizeof *e);
	e->kind = kind;
	e->a = a;
	e->b = b;
	return e;
}

void cf_free(cf_expr *e)
{
	if (!e)
		return;
	cf_free(e->a);
	cf_free(e->b);
	free(e->field);
	free(e->value);
	if (e->has_re)
		regfree(&e->re);
	free(e);
}

/* A dotted path of non-empty segments that starts with a letter or '_'. */
static char *parse_field(parser *ps)
{
	const char *start = ps->p;
	if (!isalpha((unsigned char)*start) && *start != '_') {
		fail_at(ps, start, *start == '-' ? "negation ('-' or NOT) is not supported"
						 : "expected a field name");
		return NULL;
	}
	while (field_char(*ps->p))
		ps->p++;
	char *field = st_xstrndup(start, (size_t)(ps->p - start));
	if (st_ends_with(field, ".") || strstr(field, "..")) {
		fail_at(ps, start, "empty segment in field name");
		free(field);
		return NULL;
	}
	return field;
}

static bool parse_op(parser *ps, enum op *op)
{
	static const struct {
		const char *s;
		enum op op;
	} sym[] = {{"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"=", OP_EQ},
		   {"<", OP_LT}, {">", OP_GT}, {":", OP_HAS}};
	for (size_t i = 0; i < sizeof sym / sizeof *sym; i++)
		if (strncmp(ps->p, sym[i].s, strlen(sym[i].s)) == 0) {
			ps->p += strlen(sym[i].s);
			*op = sym[i].op;
			return true;
		}
	if (at_word(ps->p, "eq") || at_word(ps->p, "ne")) {
		*op = ps->p[0] == 'e' ? OP_REQ : OP_RNE;
		ps->p += 2;
		return true;
	}
	fail_at(ps, ps->p, "expected an operator (=, !=, <, <=, >, >=, :, eq or ne) after the field");
	return false;
}

/* The filter's style is fixed by its first comparison; Google refuses a mix. */
static bool check_style(parser *ps, const char *at, enum op op)
{
	enum style st = op == OP_REQ || op == OP_RNE ? STYLE_LEGACY : STYLE_AIP;
	if (ps->style != STYLE_NONE && ps->style != st) {
		fail_at(ps, at, "eq/ne cannot be mixed with =, !=, <, >, <=, >= or : comparisons");
		return false;
	}
	ps->style = st;
	return true;
}

static char *parse_quoted(parser *ps)
{
	const char *start = ps->p;
	char q = *ps->p++;
	st_buf b;
	st_buf_init(&b);
	st_buf_puts(&b, "");
	while (*ps->p && *ps->p != q) {
		if (*ps->p == '\\' && ps->p[1])
			ps->p++;
		st_buf_append(&b, ps->p, 1);
		ps->p++;
	}
	if (*ps->p != q) {
		st_buf_free(&b);
		fail_at(ps, start, "unterminated quoted value");
		return NULL;
	}
	ps->p++;
	return st_buf_steal(&b);
}

/* The closing ']' of the bracket expression that opens at p, or NULL when there is
 * none before white space or the end (regcomp then judges the '[' itself). Inside
 * one, "]" right after "[" or "[^" and the ends of [:class:], [.coll.] and [=equiv=]
 * do not close it. */
static const char *bracket_end(const char *p)
{
	const char *q = p + 1;
	q += *q == '^';
	q += *q == ']';
	for (; *q && !isspace((unsigned char)*q); q++) {
		if (*q == ']')
			return q;
		if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
			const char *close = q + 2;
			while (*close && !isspace((unsigned char)*close) &&
			       !(close[0] == q[1] && close[1] == ']'))
				close++;
			if (close[0] != q[1])
				return NULL;
			q = close + 1;
		}
	}
	return NULL;
}

/* A bare value runs to white space or a parenthesis. A regex may hold its own
 * groups, so for eq/ne a ')' only ends the value when it closes nothing in it; an
 * escaped parenthesis (\( or \)) or one in a bracket expression ([(]) is a literal
 * and neither opens nor closes anything. */
static char *parse_bare(parser *ps, bool regex)
{
	const char *start = ps->p;
	int open = 0;
	for (; *ps->p && !isspace((unsigned char)*ps->p); ps->p++) {
		if (regex && *ps->p == '\\' && ps->p[1] && !isspace((unsigned char)ps->p[1])) {
			ps->p++;
			continue;
		}
		const char *bracket = regex && *ps->p == '[' ? bracket_end(ps->p) : NULL;
		if (bracket) {
			ps->p = bracket;
			continue;
		}
		if (*ps->p == '(' && !regex)
			break;
		if (*ps->p == '(')
			open++;
		if (*ps->p == ')' && (!regex || open-- == 0))
			break;
		if (*ps->p == '"' || *ps->p == '\'')
			break;
	}
	if (ps->p == start) {
		fail_at(ps, start, "expected a value after the operator");
		return NULL;
	}
	return st_xstrndup(start, (size_t)(ps->p - start));
}

static bool compile_regex(parser *ps, cf_expr *e, const char *at)
{
	const char *why = sb_re_refusal(e->value);
	if (why) {
		fail_at(ps, at, why);
		return false;
	}
	/* Compiled as written, not wrapped in "^(...)$": a value such as "a)|(b)" would
	 * close the wrapper's group and match any text that merely starts with "a".
	 * The whole-value rule is checked on the match's span instead (whole_match). */
	if (regcomp(&e->re, e->value, REG_EXTENDED) != 0) {
		fail_at(ps, at, "invalid regular expression");
		return false;
	}
	e->has_re = true;
	return true;
}

static cf_expr *parse_comparison(parser *ps)
{
	cf_expr *e = node(N_CMP, NULL, NULL);
	e->field = parse_field(ps);
	if (!e->field)
		goto bad;
	skip_ws(ps);
	const char *op_at = ps->p;
	if (!parse_op(ps, &e->op) || !check_style(ps, op_at, e->op))
		goto bad;
	bool regex = e->op == OP_REQ || e->op == OP_RNE;
	skip_ws(ps);
	const char *val_at = ps->p;
	bool quoted = *ps->p == '"' || *ps->p == '\'';
	e->value = quoted ? parse_quoted(ps) : parse_bare(ps, regex);
	if (!e->value)
		goto bad;
	if (regex && !compile_regex(ps, e, val_at))
		goto bad;
	if (e->op == OP_HAS && strcmp(e->value, "*") == 0) {
		e->has = HAS_ANY;
	} else if (e->op == OP_HAS && st_ends_with(e->value, "*")) {
		e->has = HAS_PREFIX;
		e->value[strlen(e->value) - 1] = '\0';
	}
	return e;
bad:
	cf_free(e);
	return NULL;
}

static cf_expr *parse_conj(parser *ps);

static cf_expr *parse_term(parser *ps)
{
	skip_ws(ps);
	if (at_word(ps->p, "AND") || at_word(ps->p, "OR")) {
		fail_at(ps, ps->p, "expected a comparison before AND/OR");
		return NULL;
	}
	if (at_word(ps->p, "NOT")) {
		fail_at(ps, ps->p, "negation ('-' or NOT) is not supported");
		return NULL;
	}
	if (!*ps->p) {
		fail_at(ps, ps->p, "expected a comparison at the end of the filter");
		return NULL;
	}
	if (*ps->p != '(')
		return parse_comparison(ps);
	const char *open = ps->p++;
	if (++ps->depth > CF_MAX_DEPTH) {
		fail_at(ps, open, "parentheses nested too deeply");
		return NULL;
	}
	cf_expr *e = parse_conj(ps);
	skip_ws(ps);
	if (e && *ps->p != ')') {
		fail_at(ps, ps->p, "expected ')' to close the '(' opened earlier");
		cf_free(e);
		return NULL;
	}
	ps->depth--;
	if (e)
		ps->p++;
	return e;
}

static cf_expr *parse_disj(parser *ps)
{
	cf_expr *a = parse_term(ps);
	while (a) {
		skip_ws(ps);
		if (!at_word(ps->p, "OR"))
			break;
		ps->p += 2;
		cf_expr *b = parse_term(ps);
		if (!b) {
			cf_free(a);
			return NULL;
		}
		a = node(N_OR, a, b);
	}
	return a;
}

/* AND, written or implied by two terms side by side. */
static cf_expr *parse_conj(parser *ps)
{
	cf_expr *a = parse_disj(ps);
	while (a) {
		skip_ws(ps);
		if (at_word(ps->p, "AND"))
			ps->p += 3;
		else if (!*ps->p || *ps->p == ')')
			break;
		cf_expr *b = parse_disj(ps);
		if (!b) {
			cf_free(a);
			return NULL;
		}
		a = node(N_AND, a, b);
	}
	return a;
}

cf_expr *cf_parse(const char *text, char *err, size_t errlen)
{
	parser ps = {.src = text, .p = text, .err = err, .errlen = errlen};
	if (errlen)
		err[0] = '\0';
	if (strlen(text) > CF_MAX_LEN) {
		snprintf(err, errlen, "position %d: filter longer than %d characters",
			 CF_MAX_LEN + 1, CF_MAX_LEN);
		return NULL;
	}
	skip_ws(&ps);
	if (!*ps.p)
		return NULL;
	cf_expr *e = parse_conj(&ps);
	skip_ws(&ps);
	if (e && *ps.p) {
		fail_at(&ps, ps.p, "unexpected ')'");
		cf_free(e);
		return NULL;
	}
	return e;
}

/* ------------------------------------------------------------------ matching */

/* Text of a scalar for comparison; NULL for objects, arrays and null. */
static const char *leaf_text(const json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, size, "%.17g", json_real_value(v));
		return buf;
	}
	return NULL;
}

static bool as_number(const char *s, double *out)
{
	char *end;
	if (!*s || !(isdigit((unsigned char)*s) || strchr("+-.", *s)))
		return false;
	*out = strtod(s, &end);
	return *end == '\0';
}

/* <0, 0, >0 like strcmp; numbers compare as numbers (ids are decimal strings). */
static int order(const char *a, const char *b)
{
	double x, y;
	if (as_number(a, &x) && as_number(b, &y))
		return x < y ? -1 : x > y;
	return strcmp(a, b);
}

static bool equal(const json_t *v, const char *t, const char *want)
{
	if (json_is_boolean(v))
		return strcasecmp(t, want) == 0;
	if (json_is_number(v))
		return order(t, want) == 0;
	return strcmp(t, want) == 0;
}

/* Whether re matches all of t, as Google requires of eq/ne. POSIX picks the leftmost
 * and then longest match, so a match spanning the whole text is found when one exists. */
static bool whole_match(const regex_t *re, const char *t)
{
	regmatch_t m;
	return regexec(re, t, 1, &m, 0) == 0 && m.rm_so == 0 && (size_t)m.rm_eo == strlen(t);
}

/* One scalar against a comparison; != and ne are answered by the caller as the
 * negation of = and eq over all the values the path reaches. */
static bool leaf_matches(const cf_expr *e, const json_t *v)
{
	char buf[64];
	if (e->op == OP_HAS && e->has == HAS_ANY)
		return !json_is_null(v);
	const char *t = leaf_text(v, buf, sizeof buf);
	if (!t)
		return false;
	switch (e->op) {
	case OP_EQ:
	case OP_NE:
		return equal(v, t, e->value);
	case OP_LT:
		return order(t, e->value) < 0;
	case OP_LE:
		return order(t, e->value) <= 0;
	case OP_GT:
		return order(t, e->value) > 0;
	case OP_GE:
		return order(t, e->value) >= 0;
	case OP_HAS:
		if (!json_is_string(v))
			return equal(v, t, e->value);
		return e->has == HAS_PREFIX ? st_starts_with(t, e->value) : !!strstr(t, e->value);
	case OP_REQ:
	case OP_RNE:
		return whole_match(&e->re, t);
	}
	return false;
}

/* Follows path from v; an array on the way (or at the end) matches when any of
 * its elements does. */
static bool path_matches(const cf_expr *e, const json_t *v, const char *path)
{
	if (json_is_array(v)) {
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it)
			if (path_matches(e, it, path))
				return true;
		return false;
	}
	if (!*path)
		return leaf_matches(e, v);
	if (!json_is_object(v))
		return false;
	const char *dot = strchr(path, '.');
	size_t n = dot ? (size_t)(dot - path) : strlen(path);
	char *key = st_xstrndup(path, n);
	json_t *child = json_object_get(v, key);
	free(key);
	return child && path_matches(e, child, dot ? dot + 1 : "");
}

bool cf_match(const cf_expr *e, const json_t *doc)
{
	if (!e)
		return true;
	switch (e->kind) {
	case N_AND:
		return cf_match(e->a, doc) && cf_match(e->b, doc);
	case N_OR:
		return cf_match(e->a, doc) || cf_match(e->b, doc);
	case N_CMP:
		break;
	}
	bool hit = path_matches(e, doc, e->field);
	return e->op == OP_NE || e->op == OP_RNE ? !hit : hit;
}
