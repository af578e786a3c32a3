// Host side of the CUDA back end: device buffers, packing each level's work into one
// upload, launching the kernels and reading the splits back. No managed memory; every
// CUDA call is checked and reported with what was being done.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/cuda.h"
#include "trainer/kernels.h"
#include "trainer/util.h"

#define CK(call, what)                                                                          \
	do {                                                                                    \
		cudaError_t e_ = (call);                                                        \
		if (e_ != cudaSuccess)                                                          \
			return rf_err(err, "CUDA: %s: %s", what, cudaGetErrorString(e_));       \
	} while (0)

// Releasing cannot fail the run any more, but a failure there still means the device is in
// trouble: say so on stderr.
static void released(cudaError_t e, const char *what)
{
	if (e != cudaSuccess)
		fprintf(stderr, "sealtrain-rf: warning: CUDA: releasing %s: %s\n", what, cudaGetErrorString(e));
}

static void dev_free(void *p, const char *what)
{
	if (p)
		released(cudaFree(p), what);
}

static void host_free(void *p, const char *what)
{
	if (p)
		released(cudaFreeHost(p), what);
}

// Large nodes are cut into chunks of this many rows, a thread block each.
#define CHUNK 4096

struct shared_dev {
	struct rf_dev_data d;
	uint8_t *bins, *y;
	uint16_t *nbins;
};

// A growable pair of buffers: pinned on the host, plain on the device.
struct stage {
	uint8_t *host, *dev;
	size_t cap;
};

struct worker {
	struct shared_dev *sh;
	cudaStream_t s;
	uint8_t *wt;
	uint32_t *idx, *tmp;
	uint32_t *hist;
	size_t hist_cap;
	struct stage up, part_up, down;
	uint32_t *part_scratch;
	size_t part_scratch_cap;
	char err[RF_ERRLEN];
};

extern "C" int rf_cuda_available(char *why)
{
	int n = 0;
	cudaError_t e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess)
		return rf_err(why, "%s", cudaGetErrorString(e)) + 1;
	if (n < 1)
		return rf_err(why, "no CUDA device found") + 1;
	return 1;
}

extern "C" int rf_cuda_init(char *err)
{
	CK(cudaFree(0), "creating the CUDA context");
	return 0;
}

static int stage_reserve(struct stage *st, size_t n, char *err)
{
	if (n <= st->cap)
		return 0;
	size_t cap = n > 2 * st->cap ? n : 2 * st->cap;
	host_free(st->host, "a pinned buffer");
	dev_free(st->dev, "a staging buffer");
	st->host = NULL;
	st->dev = NULL;
	st->cap = 0;
	CK(cudaMallocHost((void **)&st->host, cap), "pinned staging buffer");
	CK(cudaMalloc((void **)&st->dev, cap), "device staging buffer");
	st->cap = cap;
	return 0;
}

static void stage_free(struct stage *st)
{
	host_free(st->host, "a pinned buffer");
	dev_free(st->dev, "a staging buffer");
}

static int upload_shared(struct shared_dev *sh, const struct rf_train *t, char *err)
{
	uint32_t nb = 1;
	for (uint32_t f = 0; f < t->nfeat; f++)
		nb = t->nbins[f] > nb ? t->nbins[f] : nb;
	size_t nbytes = (size_t)t->n * t->nfeat;
	CK(cudaMalloc((void **)&sh->bins, nbytes + 1), "allocating the binned features");
	CK(cudaMalloc((void **)&sh->y, (size_t)t->n + 1), "allocating the labels");
	CK(cudaMalloc((void **)&sh->nbins, t->nfeat * sizeof(uint16_t)), "allocating bin counts");
	CK(cudaMemcpy(sh->bins, t->bins, nbytes, cudaMemcpyHostToDevice), "uploading features");
	CK(cudaMemcpy(sh->y, t->y, t->n, cudaMemcpyHostToDevice), "uploading labels");
	CK(cudaMemcpy(sh->nbins, t->nbins, t->nfeat * sizeof(uint16_t), cudaMemcpyHostToDevice),
	   "uploading bin counts");
	sh->d.bins = sh->bins;
	sh->d.y = sh->y;
	sh->d.nbins = sh->nbins;
	sh->d.n = t->n;
	sh->d.F = t->nfeat;
	sh->d.C = t->nclass;
	sh->d.NB = nb;
	return 0;
}

static void cuda_shared_free(void *p)
{
	struct shared_dev *sh = (struct shared_dev *)p;
	if (!sh)
		return;
	dev_free(sh->bins, "the binned features");
	dev_free(sh->y, "the labels");
	dev_free(sh->nbins, "bin counts");
	free(sh);
}

static void *cuda_shared_new(const struct rf_train *t, char *err)
{
	struct shared_dev *sh = (struct shared_dev *)rf_xcalloc(1, sizeof(*sh));
	if (upload_shared(sh, t, err)) {
		cuda_shared_free(sh);
		return NULL;
	}
	return sh;
}

static void cuda_worker_free(void *p)
{
	struct worker *w = (struct worker *)p;
	if (!w)
		return;
	if (w->s)
		released(cudaStreamDestroy(w->s), "a stream");
	dev_free(w->wt, "bootstrap weights");
	dev_free(w->idx, "row order");
	dev_free(w->tmp, "row order");
	dev_free(w->hist, "node histograms");
	dev_free(w->part_scratch, "partition scratch");
	stage_free(&w->up);
	stage_free(&w->part_up);
	stage_free(&w->down);
	free(w);
}

static int worker_init(struct worker *w, const struct rf_train *t, char *err)
{
	CK(cudaStreamCreateWithFlags(&w->s, cudaStreamNonBlocking), "creating a stream");
	CK(cudaMalloc((void **)&w->wt, (size_t)t->n + 1), "allocating bootstrap weights");
	CK(cudaMalloc((void **)&w->idx, ((size_t)t->n + 1) * sizeof(uint32_t)), "allocating row order");
	CK(cudaMalloc((void **)&w->tmp, ((size_t)t->n + 1) * sizeof(uint32_t)), "allocating row order");
	return 0;
}

static void *cuda_worker_new(void *shared, const struct rf_train *t, uint32_t nf_max, char *err)
{
	struct worker *w = (struct worker *)rf_xcalloc(1, sizeof(*w));
	w->sh = (struct shared_dev *)shared;
	if (worker_init(w, t, err)) {
		cuda_worker_free(w);
		return NULL;
	}
	return w;
}

static int cuda_tree_begin(void *p, const uint8_t *wt, const uint32_t *rows, uint32_t m, char *err)
{
	struct worker *w = (struct worker *)p;
	CK(cudaMemcpyAsync(w->wt, wt, w->sh->d.n, cudaMemcpyHostToDevice, w->s), "uploading weights");
	CK(cudaMemcpyAsync(w->idx, rows, (size_t)m * sizeof(uint32_t), cudaMemcpyHostToDevice, w->s),
	   "uploading in-bag rows");
	// The host buffers are reused for the next tree: wait until they are consumed.
	CK(cudaStreamSynchronize(w->s), "uploading a tree's rows");
	return 0;
}

// Carves consecutive, 8-byte aligned arrays out of one staging buffer.
struct carve {
	size_t off;
};

static size_t take(struct carve *c, size_t bytes)
{
	size_t at = c->off;
	c->off += (bytes + 7) & ~(size_t)7;
	return at;
}

static int cuda_find_splits(void *p, struct rf_level *lv, char *err)
{
	struct worker *w = (struct worker *)p;
	const struct rf_dev_data *d = &w->sh->d;
	const uint32_t n = lv->n, C = d->C, nf = lv->nf;
	uint32_t nbig = 0, nchunks = 0;
	for (uint32_t k = 0; k < n; k++)
		if (lv->end[k] - lv->begin[k] > RF_WARP_ROWS) {
			nbig++;
			nchunks += (lv->end[k] - lv->begin[k] + CHUNK - 1) / CHUNK;
		}
	struct carve c = { 0 };
	size_t o_begin = take(&c, n * 4), o_end = take(&c, n * 4), o_counts = take(&c, (size_t)n * C * 4),
	       o_feats = take(&c, (size_t)n * nf * 2), o_big = take(&c, nbig * 4),
	       o_small = take(&c, (n - nbig) * 4), o_slot = take(&c, n * 4),
	       o_ct = take(&c, nchunks * 4), o_lo = take(&c, nchunks * 4), o_hi = take(&c, nchunks * 4);
	size_t up_bytes = c.off;
	if (stage_reserve(&w->up, up_bytes, err))
		return -1;
	uint8_t *h = w->up.host;
	memcpy(h + o_begin, lv->begin, n * 4);
	memcpy(h + o_end, lv->end, n * 4);
	memcpy(h + o_counts, lv->counts, (size_t)n * C * 4);
	memcpy(h + o_feats, lv->feats, (size_t)n * nf * 2);
	uint32_t *big = (uint32_t *)(h + o_big), *small = (uint32_t *)(h + o_small),
		 *slot = (uint32_t *)(h + o_slot), *ct = (uint32_t *)(h + o_ct),
		 *lo = (uint32_t *)(h + o_lo), *hi = (uint32_t *)(h + o_hi);
	uint32_t nb = 0, ns = 0, ch = 0;
	for (uint32_t k = 0; k < n; k++) {
		slot[k] = 0;
		if (lv->end[k] - lv->begin[k] <= RF_WARP_ROWS) {
			small[ns++] = k;
			continue;
		}
		slot[k] = nb;
		big[nb++] = k;
		for (uint32_t b = lv->begin[k]; b < lv->end[k]; b += CHUNK) {
			ct[ch] = k;
			lo[ch] = b;
			hi[ch++] = lv->end[k] - b > CHUNK ? b + CHUNK : lv->end[k];
		}
	}
	size_t hist_bytes = (size_t)nbig * nf * d->NB * (C + 1) * sizeof(uint32_t);
	if (hist_bytes > w->hist_cap) {
		dev_free(w->hist, "node histograms");
		w->hist = NULL;
		w->hist_cap = 0;
		size_t cap = hist_bytes > 2 * w->hist_cap ? hist_bytes : 2 * w->hist_cap;
		CK(cudaMalloc((void **)&w->hist, cap), "allocating node histograms");
		w->hist_cap = cap;
	}
	size_t down_split = (size_t)n * sizeof(struct rf_split), down_bytes = down_split + (size_t)n * C * 4;
	if (stage_reserve(&w->down, down_bytes, err))
		return -1;
	uint8_t *dv = w->up.dev;
	CK(cudaMemcpyAsync(dv, h, up_bytes, cudaMemcpyHostToDevice, w->s), "uploading a level");
	if (hist_bytes)
		CK(cudaMemsetAsync(w->hist, 0, hist_bytes, w->s), "clearing histograms");
	struct rf_dev_level dl;
	dl.n = n;
	dl.nf = nf;
	dl.min_leaf = lv->min_leaf;
	dl.begin = (const uint32_t *)(dv + o_begin);
	dl.end = (const uint32_t *)(dv + o_end);
	dl.counts = (const uint32_t *)(dv + o_counts);
	dl.feats = (const uint16_t *)(dv + o_feats);
	dl.big = (const uint32_t *)(dv + o_big);
	dl.small = (const uint32_t *)(dv + o_small);
	dl.nbig = nbig;
	dl.nsmall = n - nbig;
	dl.chunk_task = (const uint32_t *)(dv + o_ct);
	dl.chunk_lo = (const uint32_t *)(dv + o_lo);
	dl.chunk_hi = (const uint32_t *)(dv + o_hi);
	dl.nchunks = nchunks;
	dl.slot = (const uint32_t *)(dv + o_slot);
	dl.hist = w->hist;
	dl.split = (struct rf_split *)w->down.dev;
	dl.left = (uint32_t *)(w->down.dev + down_split);
	CK(rf_launch_splits(d, &dl, w->wt, w->idx, w->s), "launching split kernels");
	CK(cudaMemcpyAsync(w->down.host, w->down.dev, down_bytes, cudaMemcpyDeviceToHost, w->s),
	   "reading splits back");
	CK(cudaStreamSynchronize(w->s), "finding splits");
	memcpy(lv->split, w->down.host, down_split);
	memcpy(lv->left, w->down.host + down_split, (size_t)n * C * 4);
	return 0;
}

static int cuda_partition(void *p, const struct rf_part *parts, uint32_t n, char *err)
{
	struct worker *w = (struct worker *)p;
	uint32_t nchunks = 0;
	for (uint32_t k = 0; k < n; k++)
		nchunks += (parts[k].end - parts[k].begin + CHUNK - 1) / CHUNK;
	struct carve c = { 0 };
	size_t o_parts = take(&c, n * sizeof(struct rf_part)), o_cp = take(&c, nchunks * 4),
	       o_lo = take(&c, nchunks * 4), o_hi = take(&c, nchunks * 4), o_first = take(&c, (n + 1) * 4);
	if (stage_reserve(&w->part_up, c.off, err))
		return -1;
	uint8_t *h = w->part_up.host;
	memcpy(h + o_parts, parts, n * sizeof(struct rf_part));
	uint32_t *cp = (uint32_t *)(h + o_cp), *lo = (uint32_t *)(h + o_lo), *hi = (uint32_t *)(h + o_hi),
		 *first = (uint32_t *)(h + o_first), ch = 0;
	for (uint32_t k = 0; k < n; k++) {
		first[k] = ch;
		for (uint32_t b = parts[k].begin; b < parts[k].end; b += CHUNK) {
			cp[ch] = k;
			lo[ch] = b;
			hi[ch++] = parts[k].end - b > CHUNK ? b + CHUNK : parts[k].end;
		}
	}
	first[n] = ch;
	size_t scratch = (2 * (size_t)nchunks + n + 1) * sizeof(uint32_t);
	if (scratch > w->part_scratch_cap) {
		dev_free(w->part_scratch, "partition scratch");
		w->part_scratch = NULL;
		w->part_scratch_cap = 0;
		size_t cap = scratch * 2;
		CK(cudaMalloc((void **)&w->part_scratch, cap), "allocating partition scratch");
		w->part_scratch_cap = cap;
	}
	uint8_t *dv = w->part_up.dev;
	CK(cudaMemcpyAsync(dv, h, c.off, cudaMemcpyHostToDevice, w->s), "uploading partitions");
	struct rf_dev_parts dp;
	dp.n = n;
	dp.parts = (const struct rf_part *)(dv + o_parts);
	dp.chunk_part = (const uint32_t *)(dv + o_cp);
	dp.chunk_lo = (const uint32_t *)(dv + o_lo);
	dp.chunk_hi = (const uint32_t *)(dv + o_hi);
	dp.nchunks = nchunks;
	dp.first_chunk = (const uint32_t *)(dv + o_first);
	dp.chunk_left = w->part_scratch;
	dp.chunk_off = w->part_scratch + nchunks;
	dp.part_left = w->part_scratch + 2 * (size_t)nchunks;
	CK(rf_launch_partition(&w->sh->d, &dp, w->idx, w->tmp, w->s), "launching partition kernels");
	// No wait here: the next level's find_splits waits on the same stream, and the staging
	// buffer is not touched again before that.
	return 0;
}

extern "C" const struct rf_backend rf_backend_cuda = {
	"cuda", cuda_shared_new, cuda_shared_free, cuda_worker_new, cuda_worker_free,
	cuda_tree_begin, cuda_find_splits, cuda_partition,
};
