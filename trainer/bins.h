/* Per-feature quantile bin edges, and features turned into one-byte bin numbers. */
#ifndef RF_BINS_H
#define RF_BINS_H

#include <stdint.h>

struct rf_bins {
	uint32_t nfeat;
	uint16_t *nbins;  /* [nfeat] bins of each feature, 1..256 */
	float **edges;    /* edges[f][0 .. nbins[f]-2]: value v falls in the first bin b with v <= edges[f][b] */
};

/* Edges from the given rows of column-major x (nrows rows a column). */
void rf_bins_fit(struct rf_bins *b, const float *x, uint32_t nrows, const uint32_t *rows, uint32_t n,
		 uint32_t nfeat, uint32_t maxbins, unsigned threads);
/* Row-major bin numbers [n * nfeat] of the given rows. */
uint8_t *rf_bins_apply(const struct rf_bins *b, const float *x, uint32_t nrows, const uint32_t *rows,
		       uint32_t n, unsigned threads);
uint32_t rf_bin_of(const float *edges, uint32_t nedges, float v);
/* Raw-value threshold for a split after `bin` whose right side starts at bin `hi`: the middle
 * of the run of bins that no training row of the node fell in. */
float rf_bins_threshold(const struct rf_bins *b, uint32_t f, uint32_t bin, uint32_t hi);
void rf_bins_free(struct rf_bins *b);

#endif
