/* Level-wise tree growing, shared by every back end: the back end finds splits and moves
 * rows; this code decides leaves, draws features and lays the nodes out. */
#ifndef RF_TREE_H
#define RF_TREE_H

#include <stdint.h>

#include "trainer/backend.h"
#include "trainer/bins.h"

/* One node of the forest, 16 bytes, as stored in model.rf.
 * a: leaf flag (bit 31) | class id, or the split feature.
 * b: index of the left child within the tree (the right one follows it), or the leaf's
 *    bootstrap-weighted row count.
 * thr: x <= thr goes left; for a leaf, the share of its majority class.
 * c: depth << 16 | split bin. */
struct rf_node {
	uint32_t a, b;
	float thr;
	uint32_t c;
};

#define RF_LEAF 0x80000000u

struct rf_params {
	uint32_t trees;
	uint32_t max_depth;    /* 0: grow until pure */
	uint32_t max_features; /* resolved count, >= 1 */
	uint32_t min_leaf;
	uint32_t min_split;
	uint64_t seed;
	unsigned threads;
};

struct rf_tree {
	struct rf_node *nodes;
	uint32_t n;
	uint32_t depth;
};

struct rf_backend {
	const char *name;
	/* Once per forest: data every worker reads (the device copy of the bins, say). */
	void *(*shared_new)(const struct rf_train *t, char *err);
	void (*shared_free)(void *shared);
	/* One per worker thread. */
	void *(*worker_new)(void *shared, const struct rf_train *t, uint32_t nf_max, char *err);
	void (*worker_free)(void *w);
	/* rows: the m in-bag rows, ascending; wt: bootstrap count of every training row. */
	int (*tree_begin)(void *w, const uint8_t *wt, const uint32_t *rows, uint32_t m, char *err);
	int (*find_splits)(void *w, struct rf_level *lv, char *err);
	int (*partition)(void *w, const struct rf_part *parts, uint32_t n, char *err);
};

extern const struct rf_backend rf_backend_cpu;

int rf_build_tree(const struct rf_backend *be, void *w, const struct rf_train *t,
		  const struct rf_bins *bins, const struct rf_params *p, uint32_t tree_id,
		  struct rf_tree *out, char *err);

/* Bootstrap counts of one tree (n draws with replacement, capped at 255). */
void rf_bootstrap(uint64_t seed, uint32_t tree_id, uint32_t n, uint8_t *wt);

#endif
