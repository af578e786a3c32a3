/* The contract between the tree builder (C) and a split-finding back end (C or CUDA).
 * Kept C and C++ compatible so that the CUDA sources can include it unchanged. */
#ifndef RF_BACKEND_H
#define RF_BACKEND_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RF_MAX_CLASSES 256
#define RF_MAX_BINS 256
#define RF_ERRLEN 512

/* The binned training set every tree of a forest reads. */
struct rf_train {
	uint32_t n;           /* training rows */
	uint32_t nfeat;
	uint32_t nclass;
	const uint8_t *bins;  /* row-major: bins[row * nfeat + f] */
	const uint8_t *y;     /* class id per row */
	const uint16_t *nbins; /* bins used by each feature (1 = constant) */
};

/* Best split of one node. Rows whose bin is <= bin go left; hi is the lowest bin
 * present among the right-hand rows (used to centre the threshold in empty bins). */
struct rf_split {
	int32_t feat;         /* -1: no valid split among the features tried */
	uint32_t bin;
	uint32_t hi;
	uint32_t left_rows;   /* distinct in-bag rows going left */
	double score;
};

/* One batch of nodes of one level, all trying nf features each. */
struct rf_level {
	uint32_t n;
	uint32_t nf;
	uint32_t nclass;
	uint32_t min_leaf;     /* weighted rows each side must keep */
	const uint32_t *begin; /* [n] positions in the back end's row order */
	const uint32_t *end;
	const uint16_t *feats; /* [n * nf] */
	const uint32_t *counts; /* [n * nclass] weighted class counts of each node */
	struct rf_split *split; /* out [n] */
	uint32_t *left;        /* out [n * nclass] weighted class counts going left */
};

/* A node to partition: its rows are split stably, left rows first. */
struct rf_part {
	uint32_t begin;
	uint32_t end;
	uint32_t feat;
	uint32_t bin;
};

#ifdef __cplusplus
}
#endif
#endif
