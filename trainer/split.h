/* Best gini split of one node on the CPU: from class histograms for large nodes, from the
 * node's few rows sorted by bin for small ones. Both give identical results. */
#ifndef RF_SPLIT_H
#define RF_SPLIT_H

#include <stdint.h>

#include "trainer/backend.h"

enum rf_split_method { RF_SPLIT_AUTO, RF_SPLIT_HIST, RF_SPLIT_SORTED };

/* Nodes with at most this many rows are split by sorting. */
#define RF_SORT_MAX 48

struct rf_split_scratch {
	uint32_t *hist;       /* nf * RF_MAX_BINS * (nclass + 1) */
	uint32_t *acc;        /* nclass + 1 */
	uint32_t *best_left;  /* nclass */
	uint8_t *sb, *sy;     /* sorted rows: bin, class */
	uint32_t *sw;         /* and weight */
	uint32_t nf_cap;
};

void rf_split_scratch_init(struct rf_split_scratch *s, uint32_t nf, uint32_t nclass);
void rf_split_scratch_free(struct rf_split_scratch *s);

/* The sum over both sides of (sum of squared class weights / side weight): the larger, the
 * lower the weighted gini impurity of the children. np is the node's total weight. */
double rf_gini_score(const uint32_t *left, const uint32_t *parent, uint32_t nclass, uint64_t nl,
		     uint64_t np);

/* Tries the nf features of feats on the node's n rows idx (weights wt by row). Writes the best
 * split (feat -1 when no split leaves min_leaf weight on both sides) and its left counts. */
void rf_split_node(const struct rf_train *t, const uint8_t *wt, const uint32_t *idx, uint32_t n,
		   const uint16_t *feats, uint32_t nf, const uint32_t *parent, uint32_t min_leaf,
		   enum rf_split_method how, struct rf_split_scratch *s, struct rf_split *out,
		   uint32_t *left);

#endif
