/* sealtrain-rf split math: the histogram and sorted-rows paths against a brute-force
 * reference that counts every candidate split directly, and the bin edges. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trainer/bins.h"
#include "trainer/rng.h"
#include "trainer/split.h"

#define F 6

struct data {
	struct rf_train t;
	uint8_t bins[300 * F], y[300], wt[300];
	uint16_t nbins[F];
	uint32_t idx[300], n;
};

static void make_data(struct data *d, uint64_t seed, uint32_t rows, uint32_t C)
{
	struct rf_rng r;
	rf_rng_init(&r, seed, 1, 2);
	for (uint32_t f = 0; f < F; f++)
		d->nbins[f] = (uint16_t)(1 + rf_rng_below(&r, 20));
	d->n = 0;
	for (uint32_t i = 0; i < rows; i++) {
		for (uint32_t f = 0; f < F; f++)
			d->bins[i * F + f] = (uint8_t)rf_rng_below(&r, d->nbins[f]);
		d->y[i] = (uint8_t)rf_rng_below(&r, C);
		d->wt[i] = (uint8_t)rf_rng_below(&r, 4);
		if (d->wt[i])
			d->idx[d->n++] = i;
	}
	d->t = (struct rf_train){ rows, F, C, d->bins, d->y, d->nbins };
}

/* The reference: for every feature and every bin b, sends bin <= b left by scanning the
 * rows, and keeps the best score (first one on ties, features in the given order). */
static void brute(const struct data *d, const uint16_t *feats, uint32_t nf, const uint32_t *parent,
		  uint32_t min_leaf, struct rf_split *out, uint32_t *left)
{
	const uint32_t C = d->t.nclass;
	uint64_t np = 0;
	for (uint32_t c = 0; c < C; c++)
		np += parent[c];
	double best = -1;
	out->feat = -1;
	for (uint32_t j = 0; j < nf; j++) {
		uint32_t f = feats[j];
		for (uint32_t b = 0; b < d->nbins[f]; b++) {
			uint32_t L[8] = { 0 }, rows = 0, hi = 1000;
			uint64_t nl = 0;
			for (uint32_t k = 0; k < d->n; k++) {
				uint32_t i = d->idx[k], v = d->bins[i * F + f];
				if (v <= b) {
					L[d->y[i]] += d->wt[i];
					nl += d->wt[i];
					rows++;
				} else if (v < hi) {
					hi = v;
				}
			}
			int present = 0;
			for (uint32_t k = 0; k < d->n; k++)
				present |= d->bins[d->idx[k] * F + f] == b;
			if (!present || rows == 0 || rows == d->n || nl < min_leaf || np - nl < min_leaf)
				continue;
			double sc = rf_gini_score(L, parent, C, nl, np);
			if (sc > best) {
				best = sc;
				*out = (struct rf_split){ (int32_t)f, b, hi, rows, sc };
				memcpy(left, L, C * sizeof(uint32_t));
			}
		}
	}
}

static void parent_counts(const struct data *d, uint32_t *parent)
{
	memset(parent, 0, 8 * sizeof(uint32_t));
	for (uint32_t k = 0; k < d->n; k++)
		parent[d->y[d->idx[k]]] += d->wt[d->idx[k]];
}

static void check_same(const struct rf_split *a, const uint32_t *la, const struct rf_split *b,
		       const uint32_t *lb, uint32_t C)
{
	assert_int_equal(a->feat, b->feat);
	if (a->feat < 0)
		return;
	assert_int_equal(a->bin, b->bin);
	assert_int_equal(a->hi, b->hi);
	assert_int_equal(a->left_rows, b->left_rows);
	assert_true(a->score == b->score);
	assert_memory_equal(la, lb, C * sizeof(uint32_t));
}

static void test_against_brute_force(void **state)
{
	struct data *d = malloc(sizeof(*d));
	struct rf_split_scratch s;
	rf_split_scratch_init(&s, F, 8);
	uint16_t feats[F] = { 3, 0, 5, 1, 4, 2 };
	int found = 0;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		uint32_t C = 2 + (uint32_t)(seed % 4), rows = 2 + (uint32_t)((seed * 37) % 298);
		make_data(d, seed, rows, C);
		if (d->n < 2)
			continue;
		uint32_t parent[8], lb[8], lh[8], ls[8];
		parent_counts(d, parent);
		uint32_t nf = 1 + (uint32_t)(seed % F), min_leaf = 1 + (uint32_t)(seed % 3);
		struct rf_split rb, rh, rs;
		brute(d, feats, nf, parent, min_leaf, &rb, lb);
		rf_split_node(&d->t, d->wt, d->idx, d->n, feats, nf, parent, min_leaf, RF_SPLIT_HIST, &s, &rh, lh);
		check_same(&rh, lh, &rb, lb, C);
		if (d->n <= RF_SORT_MAX) {
			rf_split_node(&d->t, d->wt, d->idx, d->n, feats, nf, parent, min_leaf, RF_SPLIT_SORTED, &s,
				      &rs, ls);
			check_same(&rs, ls, &rb, lb, C);
		}
		found += rb.feat >= 0;
	}
	assert_true(found > 200);
	rf_split_scratch_free(&s);
	free(d);
}

/* The score is the gini decrease in disguise: total weight minus score is the children's
 * weighted gini impurity. */
static void test_score_is_gini(void **state)
{
	uint32_t parent[3] = { 5, 3, 2 }, left[3] = { 4, 1, 0 };
	uint64_t nl = 5, nr = 5;
	double gl = 1 - (0.8 * 0.8 + 0.2 * 0.2), gr = 1 - (0.2 * 0.2 + 0.4 * 0.4 + 0.4 * 0.4);
	double weighted = nl * gl + nr * gr;
	assert_true(fabs((10 - rf_gini_score(left, parent, 3, nl, 10)) - weighted) < 1e-12);
}

/* Four rows, one feature: the only split separating the classes is after bin 1. */
static void test_hand_example(void **state)
{
	uint8_t bins[4] = { 0, 1, 3, 3 }, y[4] = { 0, 0, 1, 1 }, wt[4] = { 1, 2, 1, 1 };
	uint16_t nb[1] = { 4 }, feats[1] = { 0 };
	uint32_t idx[4] = { 0, 1, 2, 3 }, parent[2] = { 3, 2 }, left[2];
	struct rf_train t = { 4, 1, 2, bins, y, nb };
	struct rf_split_scratch s;
	rf_split_scratch_init(&s, 1, 2);
	for (int how = RF_SPLIT_HIST; how <= RF_SPLIT_SORTED; how++) {
		struct rf_split out;
		rf_split_node(&t, wt, idx, 4, feats, 1, parent, 1, (enum rf_split_method)how, &s, &out, left);
		assert_int_equal(out.feat, 0);
		assert_int_equal(out.bin, 1);
		assert_int_equal(out.hi, 3);
		assert_int_equal(out.left_rows, 2);
		assert_int_equal(left[0], 3);
		assert_int_equal(left[1], 0);
		assert_true(out.score == 5.0);
		/* min_leaf 3 leaves no split with 3 on each side of a weight-5 node. */
		rf_split_node(&t, wt, idx, 4, feats, 1, parent, 3, (enum rf_split_method)how, &s, &out, left);
		assert_int_equal(out.feat, -1);
	}
	rf_split_scratch_free(&s);
}

static void test_bins(void **state)
{
	/* Few distinct values: one bin each, edges are the values themselves. */
	float x[1000];
	uint32_t rows[1000];
	for (int i = 0; i < 1000; i++) {
		x[i] = (float)(i % 5) * 2;
		rows[i] = (uint32_t)i;
	}
	struct rf_bins b;
	rf_bins_fit(&b, x, 1000, rows, 1000, 1, 128, 2);
	assert_int_equal(b.nbins[0], 5);
	for (int i = 0; i < 4; i++)
		assert_true(b.edges[0][i] == (float)i * 2);
	assert_int_equal(rf_bin_of(b.edges[0], 4, 0), 0);
	assert_int_equal(rf_bin_of(b.edges[0], 4, 1), 1);
	assert_int_equal(rf_bin_of(b.edges[0], 4, 2), 1);
	assert_int_equal(rf_bin_of(b.edges[0], 4, 8), 4);
	assert_int_equal(rf_bin_of(b.edges[0], 4, 100), 4);
	/* A split after bin 0 whose right side starts at bin 3 sits between the edges of
	 * bins 0 and 2. */
	assert_true(rf_bins_threshold(&b, 0, 0, 3) == 2.0f);
	assert_true(rf_bins_threshold(&b, 0, 0, 1) == 0.0f);
	rf_bins_free(&b);
	/* Many distinct values: quantile edges, equal-sized bins. */
	for (int i = 0; i < 1000; i++)
		x[i] = (float)((i * 7919) % 1000);
	rf_bins_fit(&b, x, 1000, rows, 1000, 1, 4, 1);
	assert_int_equal(b.nbins[0], 4);
	assert_true(b.edges[0][0] == 249 && b.edges[0][1] == 499 && b.edges[0][2] == 749);
	uint8_t *bb = rf_bins_apply(&b, x, 1000, rows, 1000, 2);
	uint32_t count[4] = { 0 };
	for (int i = 0; i < 1000; i++)
		count[bb[i]]++;
	for (int i = 0; i < 4; i++)
		assert_int_equal(count[i], 250);
	free(bb);
	rf_bins_free(&b);
	/* A constant feature has one bin and no edges. */
	for (int i = 0; i < 1000; i++)
		x[i] = -3.5f;
	rf_bins_fit(&b, x, 1000, rows, 1000, 1, 128, 1);
	assert_int_equal(b.nbins[0], 1);
	rf_bins_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_brute_force),
		cmocka_unit_test(test_score_is_gini),
		cmocka_unit_test(test_hand_example),
		cmocka_unit_test(test_bins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
