#include "trainer/tree.h"

#include <stdlib.h>
#include <string.h>

#include "trainer/rng.h"
#include "trainer/util.h"

/* Nodes of one level, as parallel arrays. */
struct front {
	uint32_t n, cap, C;
	uint32_t *node, *begin, *end, *counts;
};

static void front_reserve(struct front *f, uint32_t n)
{
	if (n <= f->cap)
		return;
	f->cap = n > 2 * f->cap ? n : 2 * f->cap;
	f->node = rf_xrealloc(f->node, f->cap * sizeof(uint32_t));
	f->begin = rf_xrealloc(f->begin, f->cap * sizeof(uint32_t));
	f->end = rf_xrealloc(f->end, f->cap * sizeof(uint32_t));
	f->counts = rf_xrealloc(f->counts, (size_t)f->cap * f->C * sizeof(uint32_t));
}

static void front_free(struct front *f)
{
	free(f->node);
	free(f->begin);
	free(f->end);
	free(f->counts);
}

void rf_bootstrap(uint64_t seed, uint32_t tree_id, uint32_t n, uint8_t *wt)
{
	struct rf_rng r;
	rf_rng_init(&r, seed, 0x6f6f7462ULL, tree_id);
	memset(wt, 0, n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = rf_rng_below(&r, n);
		if (wt[k] < 255)
			wt[k]++;
	}
}

/* The node's features in a random order fixed by (seed, tree, node): batch b uses
 * positions [b*mf, b*mf + nf). */
static void node_features(uint64_t seed, uint32_t tree_id, uint32_t node, uint32_t F, uint32_t need,
			  uint16_t *perm)
{
	struct rf_rng r;
	rf_rng_init(&r, seed, ((uint64_t)tree_id << 1) | 1, node);
	for (uint32_t i = 0; i < F; i++)
		perm[i] = (uint16_t)i;
	for (uint32_t i = 0; i < need && i < F; i++) {
		uint32_t j = i + rf_rng_below(&r, F - i);
		uint16_t tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
}

struct builder {
	const struct rf_backend *be;
	void *w;
	const struct rf_train *t;
	const struct rf_bins *bins;
	const struct rf_params *p;
	uint32_t tree_id;
	struct rf_node *nodes;
	uint32_t nn, ncap;
	/* per-level scratch */
	uint32_t *pending, *lb, *le, *lc, *ll;
	uint16_t *lf, *perm;
	struct rf_split *ls, *sp;
	uint32_t *left;
	uint32_t scap;
	struct rf_part *parts;
};

static uint32_t add_nodes(struct builder *b, uint32_t k)
{
	if (b->nn + k > b->ncap) {
		b->ncap = b->ncap * 2 > b->nn + k ? b->ncap * 2 : b->nn + k + 64;
		b->nodes = rf_xrealloc(b->nodes, b->ncap * sizeof(struct rf_node));
	}
	b->nn += k;
	return b->nn - k;
}

static void scratch_reserve(struct builder *b, uint32_t n)
{
	if (n <= b->scap)
		return;
	uint32_t C = b->t->nclass, F = b->t->nfeat, mf = b->p->max_features;
	b->scap = n > 2 * b->scap ? n : 2 * b->scap;
	size_t s = b->scap;
	b->pending = rf_xrealloc(b->pending, s * sizeof(uint32_t));
	b->lb = rf_xrealloc(b->lb, s * sizeof(uint32_t));
	b->le = rf_xrealloc(b->le, s * sizeof(uint32_t));
	b->lc = rf_xrealloc(b->lc, s * C * sizeof(uint32_t));
	b->ll = rf_xrealloc(b->ll, s * C * sizeof(uint32_t));
	b->lf = rf_xrealloc(b->lf, s * mf * sizeof(uint16_t));
	b->ls = rf_xrealloc(b->ls, s * sizeof(struct rf_split));
	b->sp = rf_xrealloc(b->sp, s * sizeof(struct rf_split));
	b->left = rf_xrealloc(b->left, s * C * sizeof(uint32_t));
	b->parts = rf_xrealloc(b->parts, s * sizeof(struct rf_part));
	if (!b->perm)
		b->perm = rf_xmalloc((F + 1) * sizeof(uint16_t));
}

static void builder_free(struct builder *b)
{
	free(b->pending);
	free(b->lb);
	free(b->le);
	free(b->lc);
	free(b->ll);
	free(b->lf);
	free(b->perm);
	free(b->ls);
	free(b->sp);
	free(b->left);
	free(b->parts);
}

static int splittable(const struct builder *b, const uint32_t *counts, uint32_t rows, uint32_t depth)
{
	const struct rf_params *p = b->p;
	uint64_t tot = 0;
	uint32_t mx = 0;
	for (uint32_t c = 0; c < b->t->nclass; c++) {
		tot += counts[c];
		mx = counts[c] > mx ? counts[c] : mx;
	}
	if (p->max_depth && depth >= p->max_depth)
		return 0;
	return rows >= 2 && tot >= p->min_split && tot >= 2ull * p->min_leaf && mx < tot;
}

static void make_leaf(struct builder *b, uint32_t node, const uint32_t *counts, uint32_t depth)
{
	uint32_t best = 0;
	uint64_t tot = 0;
	for (uint32_t c = 0; c < b->t->nclass; c++) {
		tot += counts[c];
		if (counts[c] > counts[best])
			best = c;
	}
	b->nodes[node] = (struct rf_node){ RF_LEAF | best, (uint32_t)(tot > UINT32_MAX ? UINT32_MAX : tot),
					   tot ? (float)((double)counts[best] / (double)tot) : 0.0f,
					   depth << 16 };
}

/* Finds a split for every splittable node of the level, trying further batches of
 * features for the nodes whose batch held no usable split (as scikit-learn keeps drawing
 * past max_features when the drawn features are constant). */
static int find_level_splits(struct builder *b, struct front *f, uint32_t depth, char *err)
{
	const uint32_t C = b->t->nclass, F = b->t->nfeat, mf = b->p->max_features;
	uint32_t np = 0;
	for (uint32_t i = 0; i < f->n; i++) {
		b->sp[i].feat = -1;
		if (splittable(b, f->counts + (size_t)i * C, f->end[i] - f->begin[i], depth))
			b->pending[np++] = i;
	}
	for (uint32_t batch = 0; np && batch * mf < F; batch++) {
		uint32_t nf = F - batch * mf < mf ? F - batch * mf : mf;
		for (uint32_t k = 0; k < np; k++) {
			uint32_t i = b->pending[k];
			b->lb[k] = f->begin[i];
			b->le[k] = f->end[i];
			memcpy(b->lc + (size_t)k * C, f->counts + (size_t)i * C, C * sizeof(uint32_t));
			node_features(b->p->seed, b->tree_id, f->node[i], F, batch * mf + nf, b->perm);
			memcpy(b->lf + (size_t)k * nf, b->perm + batch * mf, nf * sizeof(uint16_t));
		}
		struct rf_level lv = { np, nf, C, b->p->min_leaf, b->lb, b->le, b->lf, b->lc, b->ls, b->ll };
		if (b->be->find_splits(b->w, &lv, err))
			return -1;
		uint32_t still = 0;
		for (uint32_t k = 0; k < np; k++) {
			uint32_t i = b->pending[k];
			if (b->ls[k].feat >= 0) {
				b->sp[i] = b->ls[k];
				memcpy(b->left + (size_t)i * C, b->ll + (size_t)k * C, C * sizeof(uint32_t));
			} else {
				b->pending[still++] = i;
			}
		}
		np = still;
	}
	return 0;
}

/* Turns the level's splits into nodes and the next level's frontier. */
static int grow_level(struct builder *b, struct front *f, struct front *next, uint32_t depth, char *err)
{
	const uint32_t C = b->t->nclass;
	uint32_t nparts = 0;
	next->n = 0;
	for (uint32_t i = 0; i < f->n; i++) {
		const uint32_t *cnt = f->counts + (size_t)i * C;
		const struct rf_split *s = &b->sp[i];
		if (s->feat < 0) {
			make_leaf(b, f->node[i], cnt, depth);
			continue;
		}
		uint32_t l = add_nodes(b, 2);
		float thr = rf_bins_threshold(b->bins, (uint32_t)s->feat, s->bin, s->hi);
		b->nodes[f->node[i]] = (struct rf_node){ (uint32_t)s->feat, l, thr, depth << 16 | s->bin };
		front_reserve(next, next->n + 2);
		uint32_t mid = f->begin[i] + s->left_rows, k = next->n;
		next->node[k] = l;
		next->begin[k] = f->begin[i];
		next->end[k] = mid;
		next->node[k + 1] = l + 1;
		next->begin[k + 1] = mid;
		next->end[k + 1] = f->end[i];
		for (uint32_t c = 0; c < C; c++) {
			uint32_t lc = b->left[(size_t)i * C + c];
			next->counts[(size_t)k * C + c] = lc;
			next->counts[(size_t)(k + 1) * C + c] = cnt[c] - lc;
		}
		next->n += 2;
		b->parts[nparts++] = (struct rf_part){ f->begin[i], f->end[i], (uint32_t)s->feat, s->bin };
	}
	return nparts ? b->be->partition(b->w, b->parts, nparts, err) : 0;
}

int rf_build_tree(const struct rf_backend *be, void *w, const struct rf_train *t,
		  const struct rf_bins *bins, const struct rf_params *p, uint32_t tree_id,
		  struct rf_tree *out, char *err)
{
	const uint32_t C = t->nclass, n = t->n;
	uint8_t *wt = rf_xmalloc(n ? n : 1);
	uint32_t *rows = rf_xmalloc((size_t)n * sizeof(uint32_t) + 4), m = 0;
	rf_bootstrap(p->seed, tree_id, n, wt);
	struct front a = { .C = C }, bf = { .C = C };
	front_reserve(&a, 1);
	a.n = 1;
	a.node[0] = 0;
	a.begin[0] = 0;
	memset(a.counts, 0, C * sizeof(uint32_t));
	for (uint32_t i = 0; i < n; i++)
		if (wt[i]) {
			rows[m++] = i;
			a.counts[t->y[i]] += wt[i];
		}
	a.end[0] = m;
	struct builder b = { .be = be, .w = w, .t = t, .bins = bins, .p = p, .tree_id = tree_id };
	add_nodes(&b, 1);
	int rc = be->tree_begin(w, wt, rows, m, err);
	uint32_t depth = 0;
	struct front *f = &a, *nx = &bf;
	while (!rc && f->n) {
		scratch_reserve(&b, f->n);
		rc = find_level_splits(&b, f, depth, err);
		if (!rc)
			rc = grow_level(&b, f, nx, depth, err);
		struct front *tmp = f;
		f = nx;
		nx = tmp;
		depth++;
	}
	builder_free(&b);
	front_free(&a);
	front_free(&bf);
	free(wt);
	free(rows);
	if (rc) {
		free(b.nodes);
		return -1;
	}
	out->nodes = b.nodes;
	out->n = b.nn;
	out->depth = depth;
	return 0;
}
