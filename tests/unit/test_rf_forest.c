/* sealtrain-rf forests: separable data is learnt perfectly, training is deterministic for
 * a seed whatever the thread count, and the tree limits hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trainer/bins.h"
#include "trainer/forest.h"
#include "trainer/rng.h"

struct set {
	uint32_t n, nf, C;
	float *x;      /* column-major */
	uint32_t *rows;
	uint8_t *y, *bins;
	struct rf_bins b;
	struct rf_train t;
};

/* Values on a 1/32 grid (one bin each); labels depend on feature 1 only, cut at 0.3 and
 * 0.6 (or 0.5), so the classes are separable; the other features are noise. */
static void make_set(struct set *s, uint32_t n, uint32_t C, uint64_t seed)
{
	struct rf_rng r;
	rf_rng_init(&r, seed, 7, 7);
	s->n = n;
	s->nf = 4;
	s->C = C;
	s->x = malloc((size_t)n * s->nf * sizeof(float));
	s->rows = malloc(n * sizeof(uint32_t));
	s->y = malloc(n);
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t f = 0; f < s->nf; f++)
			s->x[(size_t)f * n + i] = (float)rf_rng_below(&r, 32) / 32.0f;
		float v = s->x[n + i];
		s->y[i] = (uint8_t)(C == 2 ? v > 0.5f : v > 0.6f ? 2 : v > 0.3f ? 1 : 0);
		s->rows[i] = i;
	}
	rf_bins_fit(&s->b, s->x, n, s->rows, n, s->nf, 64, 2);
	s->bins = rf_bins_apply(&s->b, s->x, n, s->rows, n, 2);
	s->t = (struct rf_train){ n, s->nf, C, s->bins, s->y, s->b.nbins };
}

static void free_set(struct set *s)
{
	free(s->x);
	free(s->rows);
	free(s->y);
	free(s->bins);
	rf_bins_free(&s->b);
}

static struct rf_params params(uint32_t trees, uint64_t seed)
{
	struct rf_params p = { .trees = trees, .max_features = 2, .min_leaf = 1, .min_split = 2,
			       .seed = seed, .threads = 2 };
	return p;
}

static double accuracy(const struct rf_forest *f, const struct set *s)
{
	uint8_t *pred = malloc(s->n);
	rf_predict(f, s->x, s->n, NULL, s->n, 2, pred);
	uint32_t ok = 0;
	for (uint32_t i = 0; i < s->n; i++)
		ok += pred[i] == s->y[i];
	free(pred);
	return (double)ok / s->n;
}

static void test_separable(void **state)
{
	for (uint32_t C = 2; C <= 3; C++) {
		struct set train, test;
		make_set(&train, 3000, C, 1);
		make_set(&test, 1000, C, 2);
		/* Score the test rows against bins fitted on the training rows. */
		struct rf_params p = params(15, 42);
		struct rf_forest f;
		char err[RF_ERRLEN];
		assert_int_equal(rf_fit(&rf_backend_cpu, &train.t, &train.b, &p, 2, &f, NULL, NULL, err), 0);
		assert_true(accuracy(&f, &train) == 1.0);
		double acc = accuracy(&f, &test);
		if (acc != 1.0)
			fail_msg("%u classes: test accuracy %.4f", C, acc);
		rf_forest_free(&f);
		free_set(&train);
		free_set(&test);
	}
}

static void progress(void *user, uint32_t done, uint32_t total)
{
	uint32_t *last = user;
	assert_int_equal(done, *last + 1);
	assert_int_equal(total, 12);
	*last = done;
}

static void test_deterministic(void **state)
{
	struct set s;
	make_set(&s, 2000, 3, 5);
	struct rf_params p = params(12, 42);
	struct rf_forest a, b, c;
	char err[RF_ERRLEN];
	uint32_t last = 0;
	assert_int_equal(rf_fit(&rf_backend_cpu, &s.t, &s.b, &p, 1, &a, progress, &last, err), 0);
	assert_int_equal(last, 12);
	assert_int_equal(rf_fit(&rf_backend_cpu, &s.t, &s.b, &p, 4, &b, NULL, NULL, err), 0);
	assert_int_equal(a.nnodes, b.nnodes);
	for (uint32_t t = 0; t < a.ntrees; t++) {
		assert_int_equal(a.trees[t].n, b.trees[t].n);
		assert_memory_equal(a.trees[t].nodes, b.trees[t].nodes, a.trees[t].n * sizeof(struct rf_node));
	}
	p.seed = 43;
	assert_int_equal(rf_fit(&rf_backend_cpu, &s.t, &s.b, &p, 2, &c, NULL, NULL, err), 0);
	int differs = c.nnodes != a.nnodes;
	for (uint32_t t = 0; !differs && t < a.ntrees; t++)
		differs = a.trees[t].n != c.trees[t].n ||
			  memcmp(a.trees[t].nodes, c.trees[t].nodes, a.trees[t].n * sizeof(struct rf_node));
	assert_true(differs);
	rf_forest_free(&a);
	rf_forest_free(&b);
	rf_forest_free(&c);
	free_set(&s);
}

/* Walks a tree checking layout (children after parents, in pairs) and the limits. */
static void check_tree(const struct rf_tree *t, uint32_t max_depth, uint32_t min_leaf)
{
	uint32_t deepest = 0;
	for (uint32_t i = 0; i < t->n; i++) {
		const struct rf_node *nd = &t->nodes[i];
		uint32_t depth = nd->c >> 16;
		deepest = depth > deepest ? depth : deepest;
		if (nd->a & RF_LEAF) {
			assert_true(nd->b >= min_leaf);
			continue;
		}
		assert_true(nd->b > i && nd->b + 1 < t->n);
		assert_int_equal(t->nodes[nd->b].c >> 16, depth + 1);
		assert_int_equal(t->nodes[nd->b + 1].c >> 16, depth + 1);
	}
	if (max_depth)
		assert_true(deepest <= max_depth);
}

static void test_limits(void **state)
{
	struct set s;
	make_set(&s, 2000, 2, 9);
	struct rf_params p = params(4, 1);
	p.max_depth = 3;
	p.min_leaf = 5;
	struct rf_forest f;
	char err[RF_ERRLEN];
	assert_int_equal(rf_fit(&rf_backend_cpu, &s.t, &s.b, &p, 2, &f, NULL, NULL, err), 0);
	for (uint32_t t = 0; t < f.ntrees; t++) {
		check_tree(&f.trees[t], 3, 5);
		assert_true(f.trees[t].n <= 15);
	}
	rf_forest_free(&f);
	p.max_depth = 0;
	p.min_leaf = 1;
	assert_int_equal(rf_fit(&rf_backend_cpu, &s.t, &s.b, &p, 2, &f, NULL, NULL, err), 0);
	for (uint32_t t = 0; t < f.ntrees; t++)
		check_tree(&f.trees[t], 0, 1);
	rf_forest_free(&f);
	free_set(&s);
}

static void test_bootstrap(void **state)
{
	uint8_t w[1000], w2[1000];
	rf_bootstrap(42, 3, 1000, w);
	rf_bootstrap(42, 3, 1000, w2);
	assert_memory_equal(w, w2, sizeof(w));
	uint32_t sum = 0, zero = 0;
	for (int i = 0; i < 1000; i++) {
		sum += w[i];
		zero += !w[i];
	}
	assert_int_equal(sum, 1000);
	/* About e^-1 of the rows are left out of a bootstrap sample. */
	assert_true(zero > 330 && zero < 410);
	rf_bootstrap(42, 4, 1000, w2);
	assert_memory_not_equal(w, w2, sizeof(w));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_separable),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bootstrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
