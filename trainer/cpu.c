/* The CPU back end: splits from per-node histograms (or sorted rows for small nodes),
 * stable in-place partition of the row order. One worker per thread, trees in parallel. */
#include <stdlib.h>
#include <string.h>

#include "trainer/split.h"
#include "trainer/tree.h"
#include "trainer/util.h"

/* Each tree works on its own compact copy of its in-bag rows (bins, class, weight),
 * numbered 0..m-1: about a third smaller than the training set, and the class and weight
 * of a row sit in small arrays that stay in cache. */
struct cpu_worker {
	const struct rf_train *t;
	struct rf_train local;
	uint8_t *bins, *y, *wt;
	uint32_t *idx, *tmp;
	struct rf_split_scratch s;
};

static void *cpu_shared_new(const struct rf_train *t, char *err)
{
	return (void *)t;
}

static void cpu_shared_free(void *shared)
{
}

static void *cpu_worker_new(void *shared, const struct rf_train *t, uint32_t nf_max, char *err)
{
	struct cpu_worker *w = rf_xcalloc(1, sizeof(*w));
	w->t = t;
	w->bins = rf_xmalloc((size_t)t->n * t->nfeat + 1);
	w->y = rf_xmalloc((size_t)t->n + 1);
	w->wt = rf_xmalloc((size_t)t->n + 1);
	w->idx = rf_xmalloc((size_t)t->n * sizeof(uint32_t) + 4);
	w->tmp = rf_xmalloc((size_t)t->n * sizeof(uint32_t) + 4);
	rf_split_scratch_init(&w->s, nf_max, t->nclass);
	return w;
}

static void cpu_worker_free(void *p)
{
	struct cpu_worker *w = p;
	if (!w)
		return;
	free(w->bins);
	free(w->y);
	free(w->wt);
	free(w->idx);
	free(w->tmp);
	rf_split_scratch_free(&w->s);
	free(w);
}

static int cpu_tree_begin(void *p, const uint8_t *wt, const uint32_t *rows, uint32_t m, char *err)
{
	struct cpu_worker *w = p;
	const struct rf_train *t = w->t;
	const size_t F = t->nfeat;
	for (uint32_t i = 0; i < m; i++) {
		memcpy(w->bins + i * F, t->bins + (size_t)rows[i] * F, F);
		w->y[i] = t->y[rows[i]];
		w->wt[i] = wt[rows[i]];
		w->idx[i] = i;
	}
	w->local = (struct rf_train){ m, t->nfeat, t->nclass, w->bins, w->y, t->nbins };
	return 0;
}

static int cpu_find_splits(void *p, struct rf_level *lv, char *err)
{
	struct cpu_worker *w = p;
	for (uint32_t k = 0; k < lv->n; k++)
		rf_split_node(&w->local, w->wt, w->idx + lv->begin[k], lv->end[k] - lv->begin[k],
			      lv->feats + (size_t)k * lv->nf, lv->nf, lv->counts + (size_t)k * lv->nclass,
			      lv->min_leaf, RF_SPLIT_AUTO, &w->s, &lv->split[k],
			      lv->left + (size_t)k * lv->nclass);
	return 0;
}

static int cpu_partition(void *p, const struct rf_part *parts, uint32_t n, char *err)
{
	struct cpu_worker *w = p;
	const uint32_t F = w->t->nfeat;
	const uint8_t *bins = w->bins;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t *idx = w->idx, l = parts[k].begin, r = 0, f = parts[k].feat, bin = parts[k].bin;
		for (uint32_t i = parts[k].begin; i < parts[k].end; i++) {
			uint32_t row = idx[i];
			if (i + 12 < parts[k].end)
				__builtin_prefetch(bins + (size_t)idx[i + 12] * F + f);
			if (bins[(size_t)row * F + f] <= bin)
				idx[l++] = row;
			else
				w->tmp[r++] = row;
		}
		memcpy(idx + l, w->tmp, r * sizeof(uint32_t));
	}
	return 0;
}

const struct rf_backend rf_backend_cpu = {
	"cpu", cpu_shared_new, cpu_shared_free, cpu_worker_new, cpu_worker_free,
	cpu_tree_begin, cpu_find_splits, cpu_partition,
};
