/* Router: every module's routes compiled once into segment lists, matched against
 * the raw (still percent-encoded) path so that %2F inside a name stays one segment. */
#include "sandbox/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEG_LIT, SEG_VAR, SEG_ANY, SEG_VERB, SEG_REST };

static int compile_seg(sb_cseg *g, const char *text, size_t n)
{
	memset(g, 0, sizeof *g);
	if (n < 3 || text[0] != '{') {
		g->kind = SEG_LIT;
		g->text = st_xstrndup(text, n);
		return 0;
	}
	const char *close = memchr(text, '}', n);
	if (!close)
		return -1;
	size_t vn = (size_t)(close - text - 1);
	const char *rest = close + 1;
	size_t rn = n - (size_t)(rest - text);
	if (vn > 2 && strncmp(close - 2, "**", 2) == 0 && rn == 0) {
		g->kind = SEG_REST;
		g->text = st_xstrndup(text + 1, vn - 2);
	} else if (vn > 1 && close[-1] == '*' && rn == 0) {
		g->kind = SEG_ANY;
		g->text = st_xstrndup(text + 1, vn - 1);
	} else if (rn > 1 && rest[0] == ':') {
		g->kind = SEG_VERB;
		g->text = st_xstrndup(text + 1, vn);
		g->verb = st_xstrndup(rest, rn);
	} else if (rn == 0) {
		g->kind = SEG_VAR;
		g->text = st_xstrndup(text + 1, vn);
	} else {
		return -1;
	}
	return 0;
}

static int compile(sb_croute *cr)
{
	const char *p = cr->r->pattern;
	if (*p != '/')
		return -1;
	while (*p == '/') {
		p++;
		size_t n = strcspn(p, "/");
		cr->segs = st_xrealloc(cr->segs, (cr->nsegs + 1) * sizeof *cr->segs);
		if (compile_seg(&cr->segs[cr->nsegs], p, n) < 0)
			return -1;
		cr->nsegs++;
		p += n;
	}
	return 0;
}

int sb_router_build(sb_server *s)
{
	size_t total = 0;
	for (size_t i = 0; i < s->nservices; i++)
		total += s->services[i]->nroutes;
	s->routes = st_xcalloc(total ? total : 1, sizeof *s->routes);
	for (size_t i = 0; i < s->nservices; i++) {
		const sb_service *svc = s->services[i];
		for (size_t j = 0; j < svc->nroutes; j++) {
			sb_croute *cr = &s->routes[s->nroutes++];
			cr->r = &svc->routes[j];
			cr->svc = svc;
			if (compile(cr) < 0) {
				fprintf(stderr, "sealtrain-sandbox: module %s: bad route pattern %s\n",
					svc->name, cr->r->pattern);
				return -1;
			}
		}
	}
	return 0;
}

void sb_router_free(sb_server *s)
{
	for (size_t i = 0; i < s->nroutes; i++) {
		for (size_t j = 0; j < s->routes[i].nsegs; j++) {
			free(s->routes[i].segs[j].text);
			free(s->routes[i].segs[j].verb);
		}
		free(s->routes[i].segs);
	}
	free(s->routes);
	s->routes = NULL;
	s->nroutes = 0;
}

/* The raw path split at '/', views into c->path. */
typedef struct rseg {
	const char *p;
	size_t n;
} rseg;

static void add_var(sb_kv **vars, size_t *n, const char *name, char *value)
{
	*vars = st_xrealloc(*vars, (*n + 1) * sizeof **vars);
	(*vars)[*n].k = st_xstrdup(name);
	(*vars)[*n].v = value;
	(*n)++;
}

static void free_vars(sb_kv *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(vars[i].k);
		free(vars[i].v);
	}
	free(vars);
}

/* Decoded value of a one-segment capture; a plain {name} may not hide a '/'. */
static char *seg_value(const char *p, size_t n, bool allow_slash)
{
	if (n == 0)
		return NULL;
	char *v = sb_pct_decode(p, n, false);
	if (v && !allow_slash && strchr(v, '/')) {
		free(v);
		return NULL;
	}
	return v;
}

static char *rest_value(const rseg *segs, size_t from, size_t nsegs)
{
	st_buf b;
	st_buf_init(&b);
	for (size_t i = from; i < nsegs; i++) {
		char *v = seg_value(segs[i].p, segs[i].n, true);
		if (!v) {
			st_buf_free(&b);
			return NULL;
		}
		if (i > from)
			st_buf_puts(&b, "/");
		st_buf_puts(&b, v);
		free(v);
	}
	return st_buf_steal(&b);
}

static bool match_seg(const sb_cseg *g, const rseg *r, sb_kv **vars, size_t *nv)
{
	char *v = NULL;
	switch (g->kind) {
	case SEG_LIT:
		return strlen(g->text) == r->n && memcmp(g->text, r->p, r->n) == 0;
	case SEG_VAR:
		if (memchr(r->p, ':', r->n))
			return false;
		v = seg_value(r->p, r->n, false);
		break;
	case SEG_ANY:
		v = seg_value(r->p, r->n, true);
		break;
	case SEG_VERB: {
		size_t vl = strlen(g->verb);
		if (r->n <= vl || memcmp(r->p + r->n - vl, g->verb, vl) != 0 ||
		    memchr(r->p, ':', r->n - vl))
			return false;
		v = seg_value(r->p, r->n - vl, false);
		break;
	}
	default:
		return false;
	}
	if (!v)
		return false;
	add_var(vars, nv, g->text, v);
	return true;
}

static bool match_route(const sb_croute *cr, const rseg *segs, size_t nsegs, sb_kv **vars,
			size_t *nv)
{
	for (size_t i = 0; i < cr->nsegs; i++) {
		const sb_cseg *g = &cr->segs[i];
		if (g->kind == SEG_REST) {
			if (i >= nsegs)
				return false;
			char *v = rest_value(segs, i, nsegs);
			if (!v)
				return false;
			add_var(vars, nv, g->text, v);
			return true;
		}
		if (i >= nsegs || !match_seg(g, &segs[i], vars, nv))
			return false;
	}
	return cr->nsegs == nsegs;
}

/* Splits the raw path; rejects dot segments and raw bytes a URL cannot carry. */
static int split_path(const char *path, rseg *segs, size_t max, size_t *n)
{
	*n = 0;
	if (path[0] != '/')
		return -1;
	const char *p = path;
	while (*p == '/') {
		p++;
		size_t len = strcspn(p, "/");
		if (*n == max)
			return -1;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return -1;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
				return -1;
		segs[(*n)++] = (rseg){p, len};
		p += len;
	}
	return 0;
}

int sb_route_match(sb_server *s, sb_call *c)
{
	rseg segs[64];
	size_t nsegs;
	if (strlen(c->path) > 8192 || split_path(c->path, segs, 64, &nsegs) < 0) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", NULL,
			       "malformed request path (dot segments, control bytes or too long)");
		return SB_ROUTE_BAD;
	}
	bool path_known = false;
	for (size_t i = 0; i < s->nroutes; i++) {
		const sb_croute *cr = &s->routes[i];
		sb_kv *vars = NULL;
		size_t nv = 0;
		if (!match_route(cr, segs, nsegs, &vars, &nv)) {
			free_vars(vars, nv);
			continue;
		}
		if (strcmp(cr->r->method, c->method) != 0) {
			path_known = true;
			free_vars(vars, nv);
			continue;
		}
		c->route = cr;
		c->vars = vars;
		c->nvars = nv;
		return SB_ROUTE_OK;
	}
	return path_known ? SB_ROUTE_METHOD : SB_ROUTE_NONE;
}
