/* A forest: training with worker threads (trees in parallel), prediction by majority vote. */
#ifndef RF_FOREST_H
#define RF_FOREST_H

#include <stdint.h>

#include "trainer/tree.h"

struct rf_forest {
	uint32_t ntrees, nfeat, nclass;
	struct rf_tree *trees;
	uint64_t nnodes;
	uint32_t depth;      /* deepest tree's levels */
	void *blob;          /* set when loaded: one block holds every tree's nodes */
};

typedef void (*rf_progress_fn)(void *user, uint32_t done, uint32_t total);

/* Grows p->trees trees with `workers` threads. Trees do not depend on the thread count. */
int rf_fit(const struct rf_backend *be, const struct rf_train *t, const struct rf_bins *bins,
	   const struct rf_params *p, unsigned workers, struct rf_forest *out, rf_progress_fn cb,
	   void *user, char *err);

/* Majority vote (lowest class on ties) for one row of raw feature values. */
uint32_t rf_predict_row(const struct rf_forest *f, const float *x, uint32_t *votes);
/* Predictions for rows[0..n) of column-major x (nrows rows a column). */
void rf_predict(const struct rf_forest *f, const float *x, uint32_t nrows, const uint32_t *rows,
		uint32_t n, unsigned threads, uint8_t *out);
void rf_forest_free(struct rf_forest *f);

#endif
