/* CUDA kernels of the forest builder and their launchers (C++ only, used by cuda.cu). */
#ifndef RF_KERNELS_H
#define RF_KERNELS_H

#include <cuda_runtime.h>
#include <stdint.h>

#include "trainer/backend.h"

/* Nodes with at most this many rows are split by one warp holding a row per lane. */
#define RF_WARP_ROWS 32

struct rf_dev_data {
	const uint8_t *bins;   /* row-major n * F */
	const uint8_t *y;
	const uint16_t *nbins;
	uint32_t n, F, C, NB;  /* NB: the largest bin count of any feature */
};

/* One find_splits call, all pointers on the device. */
struct rf_dev_level {
	uint32_t n, nf, min_leaf;
	const uint32_t *begin, *end, *counts;
	const uint16_t *feats;
	const uint32_t *big, *small;     /* task ids of large and small nodes */
	uint32_t nbig, nsmall;
	const uint32_t *chunk_task, *chunk_lo, *chunk_hi; /* row ranges of large nodes */
	uint32_t nchunks;
	const uint32_t *slot;            /* task id -> its histogram slot (large nodes) */
	uint32_t *hist;                  /* nbig * nf * NB * (C + 1), zeroed by the caller */
	struct rf_split *split;
	uint32_t *left;
};

struct rf_dev_parts {
	uint32_t n;
	const struct rf_part *parts;
	const uint32_t *chunk_part, *chunk_lo, *chunk_hi; /* chunks in part order */
	uint32_t nchunks;
	const uint32_t *first_chunk;     /* [n + 1] */
	uint32_t *chunk_left, *chunk_off, *part_left; /* scratch */
};

cudaError_t rf_launch_splits(const struct rf_dev_data *d, const struct rf_dev_level *lv,
			     const uint8_t *wt, const uint32_t *idx, cudaStream_t s);
cudaError_t rf_launch_partition(const struct rf_dev_data *d, const struct rf_dev_parts *p,
				uint32_t *idx, uint32_t *tmp, cudaStream_t s);

#endif
