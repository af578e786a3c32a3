/* Logging filter: a tokenizer and a recursive-descent parser with Google's
 * precedence (NOT > OR > AND), then a tree walk per entry. */
#include "sandbox/logging_filter.h"

#include <ctype.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "sandbox/safe_regex.h"

#define LF_MAX_DEPTH 32
#define LF_MAX_LEN 20000

enum tok { T_END, T_LP, T_RP, T_AND, T_OR, T_NOT, T_MINUS, T_CMP, T_STR, T_WORD };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_HAS, OP_RE, OP_NRE };
enum node { N_AND, N_OR, N_NOT, N_CMP, N_TEXT, N_VAL, N_LOGID };

struct lf_expr {
	enum node kind;
	lf_expr *a, *b;  /* AND/OR/NOT operands; CMP: b is the value tree */
	char *field;     /* CMP */
	enum op op;      /* CMP */
	char *text;      /* VAL, TEXT */
	regex_t re;      /* VAL under =~ / !~ */
	bool has_re;
};

typedef struct lexer {
	const char *src, *p;
	enum tok t;
	enum op op;
	char *text;       /* T_STR / T_WORD */
	size_t col;       /* column of the current token */
	int value_mode;   /* >0: lexing a value after a comparison */
	int depth;
	char *err;
	size_t errlen;
	bool failed;
} lexer;

static void fail(lexer *lx, const char *why)
{
	if (!lx->failed)
		snprintf(lx->err, lx->errlen, "column %zu: %s", lx->col + 1, why);
	lx->failed = true;
}

static int lex_string(lexer *lx)
{
	st_buf b;
	st_buf_init(&b);
	st_buf_puts(&b, "");
	lx->p++;
	while (*lx->p && *lx->p != '"') {
		if (*lx->p == '\\' && lx->p[1])
			lx->p++;
		st_buf_append(&b, lx->p, 1);
		lx->p++;
	}
	if (*lx->p != '"') {
		st_buf_free(&b);
		fail(lx, "unterminated quoted string");
		return -1;
	}
	lx->p++;
	lx->text = st_buf_steal(&b);
	lx->t = T_STR;
	return 0;
}

static bool lex_op(lexer *lx)
{
	static const struct {
		const char *s;
		enum op op;
	} ops[] = {{"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"=~", OP_RE}, {"!~", OP_NRE},
		   {"=", OP_EQ}, {"<", OP_LT}, {">", OP_GT}, {":", OP_HAS}};
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (strncmp(lx->p, ops[i].s, strlen(ops[i].s)) == 0) {
			lx->p += strlen(ops[i].s);
			lx->op = ops[i].op;
			lx->t = T_CMP;
			return true;
		}
	return false;
}

static bool word_char(char ch, bool value)
{
	if (isspace((unsigned char)ch) || ch == '(' || ch == ')' || ch == '"' || !ch)
		return false;
	return value || !strchr("=!<>:", ch);
}

static void lex_word(lexer *lx)
{
	bool value = lx->value_mode > 0;
	const char *start = lx->p;
	while (word_char(*lx->p, value))
		lx->p++;
	size_t n = (size_t)(lx->p - start);
	lx->t = T_WORD;
	if (n == 3 && strncmp(start, "AND", 3) == 0)
		lx->t = T_AND;
	else if (n == 2 && strncmp(start, "OR", 2) == 0)
		lx->t = T_OR;
	else if (n == 3 && strncmp(start, "NOT", 3) == 0)
		lx->t = T_NOT;
	else
		lx->text = st_xstrndup(start, n);
}

static void next(lexer *lx)
{
	free(lx->text);
	lx->text = NULL;
	while (isspace((unsigned char)*lx->p))
		lx->p++;
	lx->col = (size_t)(lx->p - lx->src);
	char ch = *lx->p;
	if (!ch) {
		lx->t = T_END;
	} else if (ch == '(') {
		lx->p++;
		lx->t = T_LP;
	} else if (ch == ')') {
		lx->p++;
		lx->t = T_RP;
	} else if (ch == '"') {
		lex_string(lx);
	} else if (ch == '-' && lx->value_mode == 0) {
		lx->p++;
		lx->t = T_MINUS;
	} else if (lx->value_mode == 0 && lex_op(lx)) {
		/* comparison operator */
	} else if (word_char(ch, lx->value_mode > 0)) {
		lex_word(lx);
	} else {
		fail(lx, "unexpected character");
		lx->t = T_END;
	}
}

static lf_expr *node(enum node kind, lf_expr *a, lf_expr *b)
{
	lf_expr *e = st_xcalloc(1, sizeof *e);
	e->kind = kind;
	e->a = a;
	e->b = b;
	return e;
}

void lf_free(lf_expr *e)
{
	if (!e)
		return;
	lf_free(e->a);
	lf_free(e->b);
	free(e->field);
	free(e->text);
	if (e->has_re)
		regfree(&e->re);
	free(e);
}

static lf_expr *parse_conj(lexer *lx);

static bool starts_term(enum tok t)
{
	return t == T_LP || t == T_NOT || t == T_MINUS || t == T_STR || t == T_WORD;
}

/* Value side of a comparison: one value or a parenthesised AND/OR group. */
static lf_expr *parse_values(lexer *lx, enum op op);

/* A leaf value from the current token, which it does not consume. */
static lf_expr *make_value(lexer *lx, enum op op)
{
	if (lx->t != T_STR && lx->t != T_WORD) {
		fail(lx, "expected a value after the comparison");
		return NULL;
	}
	lf_expr *v = node(N_VAL, NULL, NULL);
	v->text = lx->text;
	lx->text = NULL;
	if (op == OP_RE || op == OP_NRE) {
		const char *why = sb_re_refusal(v->text);
		if (why) {
			fail(lx, why);
			lf_free(v);
			return NULL;
		}
		if (regcomp(&v->re, v->text, REG_EXTENDED | REG_NOSUB) != 0) {
			fail(lx, "invalid regular expression");
			lf_free(v);
			return NULL;
		}
		v->has_re = true;
	}
	return v;
}

static lf_expr *parse_value_atom(lexer *lx, enum op op)
{
	if (lx->t == T_LP) {
		next(lx);
		lf_expr *v = parse_values(lx, op);
		if (lx->t != T_RP) {
			fail(lx, "expected ')' to close the value group");
			lf_free(v);
			return NULL;
		}
		next(lx);
		return v;
	}
	lf_expr *v = make_value(lx, op);
	if (v)
		next(lx);
	return v;
}

static lf_expr *parse_values(lexer *lx, enum op op)
{
	if (++lx->depth > LF_MAX_DEPTH) {
		fail(lx, "filter nested too deeply");
		return NULL;
	}
	lf_expr *a = parse_value_atom(lx, op);
	while (a && !lx->failed && (lx->t == T_OR || lx->t == T_AND || lx->t == T_STR ||
				    lx->t == T_WORD)) {
		enum node k = lx->t == T_OR ? N_OR : N_AND;
		if (lx->t == T_OR || lx->t == T_AND)
			next(lx);
		lf_expr *b = parse_value_atom(lx, op);
		if (!b) {
			lf_free(a);
			return NULL;
		}
		a = node(k, a, b);
	}
	lx->depth--;
	return a;
}

static lf_expr *parse_comparison(lexer *lx, char *field)
{
	enum op op = lx->op;
	lx->value_mode++;
	next(lx);
	lf_expr *v = NULL;
	if (lx->t == T_LP) {
		next(lx);
		v = parse_values(lx, op);
		if (v && lx->t != T_RP) {
			fail(lx, "expected ')' to close the value group");
			lf_free(v);
			v = NULL;
		}
		lx->value_mode--;
		if (v)
			next(lx);
	} else {
		/* Leave value mode before reading on: "a=1 b=2" is two comparisons. */
		v = make_value(lx, op);
		lx->value_mode--;
		if (v)
			next(lx);
	}
	if (!v) {
		free(field);
		return NULL;
	}
	lf_expr *e = node(N_CMP, NULL, v);
	e->field = field;
	e->op = op;
	return e;
}

/* log_id("ID") and SEARCH("text"): the two functions of the language we support. */
static lf_expr *parse_function(lexer *lx, char *fname)
{
	bool logid = strcmp(fname, "log_id") == 0;
	free(fname);
	next(lx); /* past '(' */
	if (lx->t != T_STR) {
		fail(lx, "expected a quoted string argument");
		return NULL;
	}
	lf_expr *e = node(logid ? N_LOGID : N_TEXT, NULL, NULL);
	e->text = lx->text;
	lx->text = NULL;
	next(lx);
	if (lx->t != T_RP) {
		fail(lx, "expected ')' after the function argument");
		lf_free(e);
		return NULL;
	}
	next(lx);
	return e;
}

static lf_expr *parse_primary(lexer *lx)
{
	if (lx->t == T_LP) {
		next(lx);
		lf_expr *e = parse_conj(lx);
		if (e && lx->t != T_RP) {
			fail(lx, "expected ')'");
			lf_free(e);
			return NULL;
		}
		next(lx);
		return e;
	}
	if (lx->t == T_STR || lx->t == T_WORD) {
		bool quoted = lx->t == T_STR;
		char *text = lx->text;
		lx->text = NULL;
		next(lx);
		if (lx->t == T_CMP && !quoted)
			return parse_comparison(lx, text);
		if (lx->t == T_LP && !quoted &&
		    (strcmp(text, "log_id") == 0 || strcmp(text, "SEARCH") == 0))
			return parse_function(lx, text);
		lf_expr *e = node(N_TEXT, NULL, NULL);
		e->text = text;
		return e;
	}
	fail(lx, lx->t == T_END ? "unexpected end of filter" : "expected a comparison or '('");
	return NULL;
}

static lf_expr *parse_unary(lexer *lx)
{
	if (++lx->depth > LF_MAX_DEPTH) {
		fail(lx, "filter nested too deeply");
		return NULL;
	}
	lf_expr *e;
	if (lx->t == T_NOT || lx->t == T_MINUS) {
		next(lx);
		lf_expr *x = parse_unary(lx);
		e = x ? node(N_NOT, x, NULL) : NULL;
	} else {
		e = parse_primary(lx);
	}
	lx->depth--;
	return e;
}

static lf_expr *parse_disj(lexer *lx)
{
	lf_expr *a = parse_unary(lx);
	while (a && lx->t == T_OR) {
		next(lx);
		lf_expr *b = parse_unary(lx);
		if (!b) {
			lf_free(a);
			return NULL;
		}
		a = node(N_OR, a, b);
	}
	return a;
}

static lf_expr *parse_conj(lexer *lx)
{
	if (++lx->depth > LF_MAX_DEPTH) {
		fail(lx, "filter nested too deeply");
		return NULL;
	}
	lf_expr *a = parse_disj(lx);
	while (a && (lx->t == T_AND || starts_term(lx->t))) {
		if (lx->t == T_AND)
			next(lx);
		lf_expr *b = parse_disj(lx);
		if (!b) {
			lf_free(a);
			return NULL;
		}
		a = node(N_AND, a, b);
	}
	lx->depth--;
	return a;
}

lf_expr *lf_parse(const char *text, char *err, size_t errlen)
{
	lexer lx = {.src = text, .p = text, .err = err, .errlen = errlen};
	if (strlen(text) > LF_MAX_LEN) {
		snprintf(err, errlen, "filter longer than %d characters", LF_MAX_LEN);
		return NULL;
	}
	if (!st_utf8_valid(text, strlen(text))) {
		snprintf(err, errlen, "filter is not valid UTF-8");
		return NULL;
	}
	next(&lx);
	lf_expr *e = lx.t == T_END ? NULL : parse_conj(&lx);
	if (lx.t == T_END && !e && !lx.failed)
		fail(&lx, "empty filter");
	if (e && !lx.failed && lx.t != T_END)
		fail(&lx, lx.t == T_RP ? "unbalanced ')'" : "unexpected token");
	free(lx.text);
	if (lx.failed) {
		lf_free(e);
		return NULL;
	}
	return e;
}

/* ------------------------------------------------------------------ matching */

static const char *const sev_names[] = {"DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING",
					"ERROR", "CRITICAL", "ALERT", "EMERGENCY"};

static int sev_rank(const char *s)
{
	for (int i = 0; i < 9; i++)
		if (strcasecmp(s, sev_names[i]) == 0)
			return i * 100;
	char *end;
	long n = strtol(s, &end, 10);
	return *end || end == s ? -1 : (int)n;
}

static const json_t *field_of(const json_t *root, const char *path)
{
	const json_t *cur = root;
	const char *p = path;
	while (cur && *p) {
		size_t n = strcspn(p, ".");
		char key[256];
		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
		p += n + (p[n] == '.');
	}
	return cur;
}

/* logName values are written both with %2F and with '/' in log ids. */
static char *norm_logname(const char *s)
{
	st_buf b;
	st_buf_init(&b);
	st_buf_puts(&b, "");
	for (; *s; s++) {
		if (s[0] == '%' && s[1] == '2' && (s[2] == 'F' || s[2] == 'f')) {
			st_buf_puts(&b, "/");
			s += 2;
		} else {
			st_buf_append(&b, s, 1);
		}
	}
	return st_buf_steal(&b);
}

static int ordered(enum op op, int cmp)
{
	switch (op) {
	case OP_EQ: return cmp == 0;
	case OP_NE: return cmp != 0;
	case OP_LT: return cmp < 0;
	case OP_LE: return cmp <= 0;
	case OP_GT: return cmp > 0;
	case OP_GE: return cmp >= 0;
	default: return 0;
	}
}

static int sign(double d)
{
	return d < 0 ? -1 : d > 0 ? 1 : 0;
}

static bool cmp_text(const char *field, const char *have, enum op op, const lf_expr *v)
{
	const char *want = v->text;
	if (op == OP_RE || op == OP_NRE)
		return (regexec(&v->re, have, 0, NULL, 0) == 0) == (op == OP_RE);
	if (op == OP_HAS)
		return strcmp(want, "*") == 0 || strcasestr(have, want) != NULL;
	if (strcmp(field, "severity") == 0 && sev_rank(have) >= 0 && sev_rank(want) >= 0)
		return ordered(op, sev_rank(have) - sev_rank(want));
	int64_t ta, tb;
	if ((st_ends_with(field, "imestamp") || st_ends_with(field, "Time")) &&
	    st_rfc3339_parse(have, &ta) == 0 && st_rfc3339_parse(want, &tb) == 0)
		return ordered(op, ta < tb ? -1 : ta > tb);
	char *ea, *eb;
	double da = strtod(have, &ea), db = strtod(want, &eb);
	if (*have && *want && !*ea && !*eb)
		return ordered(op, sign(da - db));
	if (strcmp(field, "logName") == 0) {
		char *na = norm_logname(have), *nb = norm_logname(want);
		int r = ordered(op, strcmp(na, nb));
		free(na);
		free(nb);
		return r;
	}
	return ordered(op, strcmp(have, want));
}

static bool cmp_value(const char *field, const json_t *f, enum op op, const lf_expr *v)
{
	if (v->kind == N_OR)
		return cmp_value(field, f, op, v->a) || cmp_value(field, f, op, v->b);
	if (v->kind == N_AND)
		return cmp_value(field, f, op, v->a) && cmp_value(field, f, op, v->b);
	if (!f)
		return op == OP_NE || op == OP_NRE;
	if (json_is_array(f)) {
		size_t i;
		const json_t *x;
		json_array_foreach(f, i, x)
			if (cmp_value(field, x, op, v))
				return true;
		return false;
	}
	if (json_is_string(f))
		return cmp_text(field, json_string_value(f), op, v);
	if (json_is_object(f))
		return op == OP_HAS && strcmp(v->text, "*") == 0;
	char *dumped = json_dumps(f, JSON_ENCODE_ANY);
	bool r = dumped && cmp_text(field, dumped, op, v);
	free(dumped);
	return r;
}

static bool log_id_is(const json_t *entry, const char *id)
{
	const char *ln = json_string_value(json_object_get(entry, "logName"));
	const char *at = ln ? strstr(ln, "/logs/") : NULL;
	if (!at)
		return false;
	char *have = norm_logname(at + 6), *want = norm_logname(id);
	bool r = strcmp(have, want) == 0;
	free(have);
	free(want);
	return r;
}

static bool text_search(const json_t *entry, const char *text)
{
	char *all = json_dumps(entry, JSON_COMPACT);
	bool r = all && strcasestr(all, text) != NULL;
	free(all);
	return r;
}

bool lf_match(const lf_expr *e, const json_t *entry)
{
	switch (e->kind) {
	case N_AND:
		return lf_match(e->a, entry) && lf_match(e->b, entry);
	case N_OR:
		return lf_match(e->a, entry) || lf_match(e->b, entry);
	case N_NOT:
		return !lf_match(e->a, entry);
	case N_CMP:
		return cmp_value(e->field, field_of(entry, e->field), e->op, e->b);
	case N_TEXT:
		return text_search(entry, e->text);
	case N_LOGID:
		return log_id_is(entry, e->text);
	default:
		return false;
	}
}
