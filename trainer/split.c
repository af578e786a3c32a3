#include "trainer/split.h"

#include <stdlib.h>
#include <string.h>

#include "trainer/util.h"

#define RF_PREFETCH 12

void rf_split_scratch_init(struct rf_split_scratch *s, uint32_t nf, uint32_t nclass)
{
	s->nf_cap = nf;
	s->hist = rf_xmalloc((size_t)nf * RF_MAX_BINS * (nclass + 1) * sizeof(uint32_t));
	s->acc = rf_xmalloc((nclass + 1) * sizeof(uint32_t));
	s->best_left = rf_xmalloc((nclass + 1) * sizeof(uint32_t));
	s->sb = rf_xmalloc(RF_SORT_MAX);
	s->sy = rf_xmalloc(RF_SORT_MAX);
	s->sw = rf_xmalloc(RF_SORT_MAX * sizeof(uint32_t));
}

void rf_split_scratch_free(struct rf_split_scratch *s)
{
	free(s->hist);
	free(s->acc);
	free(s->best_left);
	free(s->sb);
	free(s->sy);
	free(s->sw);
	memset(s, 0, sizeof(*s));
}

double rf_gini_score(const uint32_t *left, const uint32_t *parent, uint32_t nclass, uint64_t nl,
		     uint64_t np)
{
	double sl = 0, sr = 0;
	for (uint32_t c = 0; c < nclass; c++) {
		double l = left[c], r = (double)(parent[c] - left[c]);
		sl += l * l;
		sr += r * r;
	}
	return sl / (double)nl + sr / (double)(np - nl);
}

static uint64_t total(const uint32_t *v, uint32_t n)
{
	uint64_t s = 0;
	for (uint32_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

static void split_hist(const struct rf_train *t, const uint8_t *wt, const uint32_t *idx, uint32_t n,
		       const uint16_t *feats, uint32_t nf, const uint32_t *parent, uint32_t min_leaf,
		       struct rf_split_scratch *s, struct rf_split *out, uint32_t *left)
{
	const uint32_t C = t->nclass, W = C + 1, F = t->nfeat;
	const uint64_t np = total(parent, C);
	uint32_t *hist = s->hist;
	for (uint32_t j = 0; j < nf; j++)
		memset(hist + (size_t)j * RF_MAX_BINS * W, 0, t->nbins[feats[j]] * W * sizeof(uint32_t));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = idx[i];
		const uint8_t *rb = t->bins + (size_t)r * F;
		/* Rows are scattered over the binned matrix: fetch a few rows ahead. */
		if (i + RF_PREFETCH < n)
			__builtin_prefetch(t->bins + (size_t)idx[i + RF_PREFETCH] * F);
		uint32_t y = t->y[r], w = wt[r];
		for (uint32_t j = 0; j < nf; j++) {
			uint32_t *h = hist + ((size_t)j * RF_MAX_BINS + rb[feats[j]]) * W;
			h[y] += w;
			h[C]++;
		}
	}
	double best = -1;
	uint32_t bj = 0, bb = 0;
	for (uint32_t j = 0; j < nf; j++) {
		const uint32_t *h = hist + (size_t)j * RF_MAX_BINS * W;
		uint32_t nb = t->nbins[feats[j]];
		uint64_t nl = 0;
		memset(s->acc, 0, W * sizeof(uint32_t));
		for (uint32_t b = 0; b + 1 < nb; b++, h += W) {
			if (!h[C])
				continue;
			for (uint32_t c = 0; c < C; c++) {
				s->acc[c] += h[c];
				nl += h[c];
			}
			s->acc[C] += h[C];
			if (s->acc[C] == n)
				break;
			if (nl < min_leaf || np - nl < min_leaf)
				continue;
			double sc = rf_gini_score(s->acc, parent, C, nl, np);
			if (sc > best) {
				best = sc;
				bj = j;
				bb = b;
			}
		}
	}
	out->feat = -1;
	if (best < 0)
		return;
	const uint32_t *h = hist + (size_t)bj * RF_MAX_BINS * W;
	memset(left, 0, C * sizeof(uint32_t));
	uint32_t rows = 0;
	for (uint32_t b = 0; b <= bb; b++) {
		for (uint32_t c = 0; c < C; c++)
			left[c] += h[(size_t)b * W + c];
		rows += h[(size_t)b * W + C];
	}
	uint32_t hi = bb + 1;
	while (!h[(size_t)hi * W + C])
		hi++;
	*out = (struct rf_split){ feats[bj], bb, hi, rows, best };
}

/* Insertion sort by bin, stable: n is at most RF_SORT_MAX. */
static void sort_rows(uint8_t *b, uint8_t *y, uint32_t *w, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		uint8_t kb = b[i], ky = y[i];
		uint32_t kw = w[i], j = i;
		for (; j > 0 && b[j - 1] > kb; j--) {
			b[j] = b[j - 1];
			y[j] = y[j - 1];
			w[j] = w[j - 1];
		}
		b[j] = kb;
		y[j] = ky;
		w[j] = kw;
	}
}

static void split_sorted(const struct rf_train *t, const uint8_t *wt, const uint32_t *idx, uint32_t n,
			 const uint16_t *feats, uint32_t nf, const uint32_t *parent, uint32_t min_leaf,
			 struct rf_split_scratch *s, struct rf_split *out, uint32_t *left)
{
	const uint32_t C = t->nclass, F = t->nfeat;
	const uint64_t np = total(parent, C);
	double best = -1;
	out->feat = -1;
	for (uint32_t j = 0; j < nf; j++) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t r = idx[i];
			s->sb[i] = t->bins[(size_t)r * F + feats[j]];
			s->sy[i] = t->y[r];
			s->sw[i] = wt[r];
		}
		sort_rows(s->sb, s->sy, s->sw, n);
		memset(s->acc, 0, (C + 1) * sizeof(uint32_t));
		uint64_t nl = 0;
		for (uint32_t i = 0; i < n;) {
			uint32_t b = s->sb[i];
			for (; i < n && s->sb[i] == b; i++) {
				s->acc[s->sy[i]] += s->sw[i];
				nl += s->sw[i];
			}
			if (i == n)
				break;
			if (nl < min_leaf || np - nl < min_leaf)
				continue;
			double sc = rf_gini_score(s->acc, parent, C, nl, np);
			if (sc > best) {
				best = sc;
				*out = (struct rf_split){ feats[j], b, s->sb[i], i, sc };
				memcpy(left, s->acc, C * sizeof(uint32_t));
			}
		}
	}
}

void rf_split_node(const struct rf_train *t, const uint8_t *wt, const uint32_t *idx, uint32_t n,
		   const uint16_t *feats, uint32_t nf, const uint32_t *parent, uint32_t min_leaf,
		   enum rf_split_method how, struct rf_split_scratch *s, struct rf_split *out,
		   uint32_t *left)
{
	if (how == RF_SPLIT_AUTO)
		how = n <= RF_SORT_MAX ? RF_SPLIT_SORTED : RF_SPLIT_HIST;
	if (how == RF_SPLIT_SORTED && n <= RF_SORT_MAX)
		split_sorted(t, wt, idx, n, feats, nf, parent, min_leaf, s, out, left);
	else
		split_hist(t, wt, idx, n, feats, nf, parent, min_leaf, s, out, left);
}
