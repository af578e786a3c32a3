// Device side of the CUDA back end. Every kernel follows the CPU code's arithmetic and
// tie-breaking exactly (built with --fmad=false), so both back ends grow the same trees.
#include "trainer/kernels.h"

#define FULL 0xffffffffu

__device__ static double gini_score(const uint32_t *left, const uint32_t *parent, uint32_t C,
				    uint64_t nl, uint64_t np)
{
	double sl = 0, sr = 0;
	for (uint32_t c = 0; c < C; c++) {
		double l = left[c], r = (double)(parent[c] - left[c]);
		sl += l * l;
		sr += r * r;
	}
	return sl / (double)nl + sr / (double)(np - nl);
}

__device__ static uint64_t total(const uint32_t *v, uint32_t C)
{
	uint64_t s = 0;
	for (uint32_t c = 0; c < C; c++)
		s += v[c];
	return s;
}

// Class histograms of large nodes: a block per chunk of a node's rows, counted in shared
// memory when the node's histograms fit there, then added into the node's global slot.
template <bool SHARED>
__global__ void k_hist(struct rf_dev_data d, struct rf_dev_level lv, const uint8_t *wt,
		       const uint32_t *idx)
{
	extern __shared__ uint32_t sh[];
	const uint32_t W = d.C + 1, size = lv.nf * d.NB * W;
	const uint32_t ci = blockIdx.x, k = lv.chunk_task[ci];
	uint32_t *gh = lv.hist + (size_t)lv.slot[k] * size;
	uint32_t *h = SHARED ? sh : gh;
	if (SHARED) {
		for (uint32_t i = threadIdx.x; i < size; i += blockDim.x)
			sh[i] = 0;
		__syncthreads();
	}
	const uint16_t *fs = lv.feats + (size_t)k * lv.nf;
	for (uint32_t i = lv.chunk_lo[ci] + threadIdx.x; i < lv.chunk_hi[ci]; i += blockDim.x) {
		uint32_t r = idx[i], w = wt[r], c = d.y[r];
		const uint8_t *rb = d.bins + (size_t)r * d.F;
		for (uint32_t j = 0; j < lv.nf; j++) {
			uint32_t *cell = h + ((size_t)j * d.NB + rb[fs[j]]) * W;
			atomicAdd(cell + c, w);
			atomicAdd(cell + d.C, 1u);
		}
	}
	if (SHARED) {
		__syncthreads();
		for (uint32_t i = threadIdx.x; i < size; i += blockDim.x)
			if (sh[i])
				atomicAdd(gh + i, sh[i]);
	}
}

// Best split of a large node: a warp per feature, each lane taking a run of bins. Lanes
// first total their runs, a warp scan turns the totals into the class counts left of each
// run, then every lane walks its run as the CPU walks all bins. Ties keep the lowest bin,
// then the earliest feature, as on the CPU.
__global__ void k_split_big(struct rf_dev_data d, struct rf_dev_level lv)
{
	__shared__ double bs[32], g_best;
	__shared__ uint32_t bb[32], g_feat, g_bin;
	const uint32_t k = lv.big[blockIdx.x], C = d.C, W = C + 1;
	if (!threadIdx.x) {
		g_best = -1;
		g_feat = g_bin = 0;
	}
	const uint32_t lane = threadIdx.x % 32, wid = threadIdx.x / 32, nwarps = blockDim.x / 32;
	const uint32_t *hist = lv.hist + (size_t)lv.slot[k] * lv.nf * d.NB * W;
	const uint32_t *parent = lv.counts + (size_t)k * C;
	const uint32_t n = lv.end[k] - lv.begin[k];
	const uint64_t np = total(parent, C);
	uint32_t acc[RF_MAX_CLASSES + 1];
	for (uint32_t j0 = 0; j0 < lv.nf; j0 += nwarps) {
		uint32_t j = j0 + wid;
		double best = -1;
		uint32_t mb = 0;
		if (j < lv.nf) {
			const uint32_t *h = hist + (size_t)j * d.NB * W;
			uint32_t nb = d.nbins[lv.feats[(size_t)k * lv.nf + j]];
			uint32_t per = (nb + 31) / 32, b0 = lane * per, b1 = min(b0 + per, nb);
			// Counts left of this lane's run: a warp-wide exclusive scan, class by class.
			uint64_t nl = 0;
			for (uint32_t c = 0; c <= C; c++) {
				uint32_t mine = 0;
				for (uint32_t b = b0; b < b1; b++)
					mine += h[(size_t)b * W + c];
				uint32_t inc = mine;
				for (int off = 1; off < 32; off *= 2) {
					uint32_t v = __shfl_up_sync(FULL, inc, off);
					if (lane >= (uint32_t)off)
						inc += v;
				}
				acc[c] = inc - mine;
				if (c < C)
					nl += acc[c];
			}
			for (uint32_t b = b0; b < b1 && b + 1 < nb; b++) {
				const uint32_t *hb = h + (size_t)b * W;
				if (!hb[C])
					continue;
				for (uint32_t c = 0; c < C; c++) {
					acc[c] += hb[c];
					nl += hb[c];
				}
				acc[C] += hb[C];
				if (acc[C] == n || nl < lv.min_leaf || np - nl < lv.min_leaf)
					continue;
				double sc = gini_score(acc, parent, C, nl, np);
				if (sc > best) {
					best = sc;
					mb = b;
				}
			}
		}
		for (int off = 16; off; off /= 2) {
			double os = __shfl_down_sync(FULL, best, off);
			uint32_t ob = __shfl_down_sync(FULL, mb, off);
			if (os > best || (os == best && ob < mb)) {
				best = os;
				mb = ob;
			}
		}
		if (!lane) {
			bs[wid] = best;
			bb[wid] = mb;
		}
		__syncthreads();
		if (!threadIdx.x)
			for (uint32_t w = 0; w < nwarps && j0 + w < lv.nf; w++)
				if (bs[w] > g_best) {
					g_best = bs[w];
					g_feat = j0 + w;
					g_bin = bb[w];
				}
		__syncthreads();
	}
	if (threadIdx.x)
		return;
	struct rf_split out;
	double best = g_best;
	uint32_t mj = g_feat, mb = g_bin;
	out.score = best;
	out.feat = -1;
	out.bin = out.hi = out.left_rows = 0;
	if (best >= 0) {
		const uint32_t *h = hist + (size_t)mj * d.NB * W;
		uint32_t *left = lv.left + (size_t)k * C, rows = 0;
		for (uint32_t c = 0; c < C; c++)
			left[c] = 0;
		for (uint32_t b = 0; b <= mb; b++) {
			for (uint32_t c = 0; c < C; c++)
				left[c] += h[(size_t)b * W + c];
			rows += h[(size_t)b * W + C];
		}
		uint32_t hi = mb + 1;
		while (!h[(size_t)hi * W + C])
			hi++;
		out.feat = lv.feats[(size_t)k * lv.nf + mj];
		out.bin = mb;
		out.hi = hi;
		out.left_rows = rows;
	}
	lv.split[k] = out;
}

// Best split of a small node: one warp, a row per lane; every lane proposes its own bin
// as the threshold and counts the left side over the warp with shuffles.
__global__ void k_split_small(struct rf_dev_data d, struct rf_dev_level lv, const uint8_t *wt,
			      const uint32_t *idx)
{
	const uint32_t warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
	if (warp >= lv.nsmall)
		return;
	const uint32_t k = lv.small[warp], C = d.C, n = lv.end[k] - lv.begin[k];
	const uint32_t *parent = lv.counts + (size_t)k * C;
	const uint64_t np = total(parent, C);
	const bool valid = lane < n;
	uint32_t r = valid ? idx[lv.begin[k] + lane] : 0;
	uint32_t y = valid ? d.y[r] : 0, w = valid ? wt[r] : 0;
	uint32_t acc[RF_MAX_CLASSES];
	double best = -1;
	uint32_t bj = 0, bbin = 0, bhi = 0, brows = 0;
	for (uint32_t j = 0; j < lv.nf; j++) {
		uint32_t f = lv.feats[(size_t)k * lv.nf + j];
		uint32_t b = valid ? d.bins[(size_t)r * d.F + f] : 0;
		for (uint32_t c = 0; c < C; c++)
			acc[c] = 0;
		uint64_t nl = 0;
		uint32_t rows = 0, hi = 0xffffffffu;
		for (uint32_t q = 0; q < n; q++) {
			uint32_t bq = __shfl_sync(FULL, b, q), yq = __shfl_sync(FULL, y, q);
			uint32_t wq = __shfl_sync(FULL, w, q);
			if (bq <= b) {
				acc[yq] += wq;
				nl += wq;
				rows++;
			} else if (bq < hi) {
				hi = bq;
			}
		}
		double sc = -1;
		if (valid && rows < n && nl >= lv.min_leaf && np - nl >= lv.min_leaf)
			sc = gini_score(acc, parent, C, nl, np);
		// The warp's best: highest score, then lowest bin.
		uint32_t mbin = b, mhi = hi, mrows = rows;
		for (int off = 16; off; off /= 2) {
			double os = __shfl_down_sync(FULL, sc, off);
			uint32_t ob = __shfl_down_sync(FULL, mbin, off);
			uint32_t oh = __shfl_down_sync(FULL, mhi, off);
			uint32_t orow = __shfl_down_sync(FULL, mrows, off);
			if (os > sc || (os == sc && ob < mbin)) {
				sc = os;
				mbin = ob;
				mhi = oh;
				mrows = orow;
			}
		}
		sc = __shfl_sync(FULL, sc, 0);
		mbin = __shfl_sync(FULL, mbin, 0);
		mhi = __shfl_sync(FULL, mhi, 0);
		mrows = __shfl_sync(FULL, mrows, 0);
		if (sc > best) {
			best = sc;
			bj = j;
			bbin = mbin;
			bhi = mhi;
			brows = mrows;
		}
	}
	if (best >= 0) {
		uint32_t f = lv.feats[(size_t)k * lv.nf + bj];
		uint32_t b = valid ? d.bins[(size_t)r * d.F + f] : 0;
		uint32_t mine = valid && b <= bbin ? w : 0;
		for (uint32_t c = 0; c < C; c++) {
			uint32_t v = y == c ? mine : 0;
			for (int off = 16; off; off /= 2)
				v += __shfl_down_sync(FULL, v, off);
			if (!lane)
				lv.left[(size_t)k * C + c] = v;
		}
	}
	if (!lane) {
		struct rf_split out;
		out.feat = best >= 0 ? (int32_t)lv.feats[(size_t)k * lv.nf + bj] : -1;
		out.bin = best >= 0 ? bbin : 0;
		out.hi = best >= 0 ? bhi : 0;
		out.left_rows = best >= 0 ? brows : 0;
		out.score = best;
		lv.split[k] = out;
	}
}

__device__ static bool goes_left(const struct rf_dev_data &d, const struct rf_part &p, uint32_t row)
{
	return d.bins[(size_t)row * d.F + p.feat] <= p.bin;
}

// Partition, pass 1: rows of each chunk that go left.
__global__ void k_part_count(struct rf_dev_data d, struct rf_dev_parts p, const uint32_t *idx)
{
	const uint32_t ci = blockIdx.x;
	const struct rf_part part = p.parts[p.chunk_part[ci]];
	uint32_t cnt = 0;
	for (uint32_t base = p.chunk_lo[ci]; base < p.chunk_hi[ci]; base += blockDim.x) {
		uint32_t i = base + threadIdx.x;
		cnt += __syncthreads_count(i < p.chunk_hi[ci] && goes_left(d, part, idx[i]));
	}
	if (!threadIdx.x)
		p.chunk_left[ci] = cnt;
}

// Pass 2: each part's chunks get the count of left rows before them.
__global__ void k_part_offsets(struct rf_dev_parts p)
{
	const uint32_t q = blockIdx.x * blockDim.x + threadIdx.x;
	if (q >= p.n)
		return;
	uint32_t run = 0;
	for (uint32_t ci = p.first_chunk[q]; ci < p.first_chunk[q + 1]; ci++) {
		p.chunk_off[ci] = run;
		run += p.chunk_left[ci];
	}
	p.part_left[q] = run;
}

// Pass 3: stable scatter into tmp, left rows first; a block-wide scan ranks each row.
__global__ void k_part_scatter(struct rf_dev_data d, struct rf_dev_parts p, const uint32_t *idx,
			       uint32_t *tmp)
{
	__shared__ uint32_t wsum[32];
	__shared__ uint32_t tile_left;
	const uint32_t ci = blockIdx.x, q = p.chunk_part[ci], lane = threadIdx.x % 32,
		       wid = threadIdx.x / 32, nw = (blockDim.x + 31) / 32;
	const struct rf_part part = p.parts[q];
	uint32_t lefts = p.chunk_off[ci];                               // left rows before us
	uint32_t rights = (p.chunk_lo[ci] - part.begin) - p.chunk_off[ci]; // right rows before us
	const uint32_t right0 = part.begin + p.part_left[q];
	for (uint32_t base = p.chunk_lo[ci]; base < p.chunk_hi[ci]; base += blockDim.x) {
		uint32_t i = base + threadIdx.x;
		bool in = i < p.chunk_hi[ci];
		uint32_t row = in ? idx[i] : 0;
		bool l = in && goes_left(d, part, row);
		uint32_t ballot = __ballot_sync(FULL, l);
		uint32_t rank = __popc(ballot & ((1u << lane) - 1));
		if (!lane)
			wsum[wid] = __popc(ballot);
		__syncthreads();
		if (!threadIdx.x) {
			uint32_t s = 0;
			for (uint32_t k = 0; k < nw; k++) {
				uint32_t v = wsum[k];
				wsum[k] = s;
				s += v;
			}
			tile_left = s;
		}
		__syncthreads();
		rank += wsum[wid];
		uint32_t pos = i - base; // rows of this tile before i
		if (in) {
			if (l)
				tmp[part.begin + lefts + rank] = row;
			else
				tmp[right0 + rights + (pos - rank)] = row;
		}
		uint32_t tl = tile_left, tn = min((uint32_t)blockDim.x, p.chunk_hi[ci] - base);
		lefts += tl;
		rights += tn - tl;
		__syncthreads();
	}
}

// Pass 4: the partitioned rows back into idx.
__global__ void k_part_copy(struct rf_dev_parts p, uint32_t *idx, const uint32_t *tmp)
{
	const uint32_t ci = blockIdx.x;
	for (uint32_t i = p.chunk_lo[ci] + threadIdx.x; i < p.chunk_hi[ci]; i += blockDim.x)
		idx[i] = tmp[i];
}

cudaError_t rf_launch_splits(const struct rf_dev_data *d, const struct rf_dev_level *lv,
			     const uint8_t *wt, const uint32_t *idx, cudaStream_t s)
{
	if (lv->nbig) {
		size_t shbytes = (size_t)lv->nf * d->NB * (d->C + 1) * sizeof(uint32_t);
		if (shbytes <= 48 * 1024)
			k_hist<true><<<lv->nchunks, 256, shbytes, s>>>(*d, *lv, wt, idx);
		else
			k_hist<false><<<lv->nchunks, 256, 0, s>>>(*d, *lv, wt, idx);
		k_split_big<<<lv->nbig, 32 * (lv->nf < 8 ? lv->nf : 8), 0, s>>>(*d, *lv);
	}
	if (lv->nsmall)
		k_split_small<<<(lv->nsmall + 3) / 4, 128, 0, s>>>(*d, *lv, wt, idx);
	return cudaGetLastError();
}

cudaError_t rf_launch_partition(const struct rf_dev_data *d, const struct rf_dev_parts *p,
				uint32_t *idx, uint32_t *tmp, cudaStream_t s)
{
	if (!p->nchunks)
		return cudaSuccess;
	k_part_count<<<p->nchunks, 256, 0, s>>>(*d, *p, idx);
	k_part_offsets<<<(p->n + 127) / 128, 128, 0, s>>>(*p);
	k_part_scatter<<<p->nchunks, 256, 0, s>>>(*d, *p, idx, tmp);
	k_part_copy<<<p->nchunks, 256, 0, s>>>(*p, idx, tmp);
	return cudaGetLastError();
}
