#include "trainer/bins.h"

#include <stdlib.h>
#include <string.h>

#include "trainer/util.h"

/* Edges come from at most this many rows: quantiles of a sample this size are within a
 * fraction of a bin of the full data's, at a fraction of the sorting time. */
#define SAMPLE_MAX 262144

static uint32_t float_key(float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	return u & 0x80000000u ? ~u : u | 0x80000000u;
}

static float key_float(uint32_t k)
{
	uint32_t u = k & 0x80000000u ? k & 0x7fffffffu : ~k;
	float v;
	memcpy(&v, &u, 4);
	return v;
}

/* LSD radix sort of keys, 3 passes of 11 bits. */
static void radix_sort(uint32_t *k, uint32_t *tmp, uint32_t n)
{
	for (int pass = 0; pass < 3; pass++) {
		uint32_t cnt[2049] = { 0 };
		int sh = pass * 11;
		for (uint32_t i = 0; i < n; i++)
			cnt[((k[i] >> sh) & 2047) + 1]++;
		for (int i = 0; i < 2048; i++)
			cnt[i + 1] += cnt[i];
		for (uint32_t i = 0; i < n; i++)
			tmp[cnt[(k[i] >> sh) & 2047]++] = k[i];
		memcpy(k, tmp, n * sizeof(*k));
	}
}

struct fit_job {
	struct rf_bins *b;
	const float *x;
	uint32_t nrows, n, maxbins;
	const uint32_t *rows;
};

static void fit_feature(struct fit_job *j, uint32_t f)
{
	uint32_t s = j->n < SAMPLE_MAX ? j->n : SAMPLE_MAX;
	uint32_t *k = rf_xmalloc(s * sizeof(*k)), *tmp = rf_xmalloc(s * sizeof(*tmp));
	const float *col = j->x + (uint64_t)f * j->nrows;
	for (uint32_t i = 0; i < s; i++) {
		uint32_t r = j->rows[(uint64_t)i * j->n / s];
		k[i] = float_key(col[r]);
	}
	radix_sort(k, tmp, s);
	uint32_t u = 0;
	for (uint32_t i = 0; i < s; i++)
		if (!u || tmp[u - 1] != k[i])
			tmp[u++] = k[i];
	float *e = rf_xmalloc((j->maxbins + 1) * sizeof(float));
	uint32_t ne = 0;
	if (u <= j->maxbins) {
		/* Few distinct values: one bin each, so no two values ever share a bin. */
		for (uint32_t i = 0; i + 1 < u; i++)
			e[ne++] = key_float(tmp[i]);
	} else {
		for (uint32_t q = 1; q < j->maxbins; q++) {
			uint32_t kk = k[(uint64_t)q * s / j->maxbins - 1];
			if (kk == k[s - 1])
				break;
			if (!ne || float_key(e[ne - 1]) != kk)
				e[ne++] = key_float(kk);
		}
	}
	j->b->edges[f] = e;
	j->b->nbins[f] = (uint16_t)(ne + 1);
	free(k);
	free(tmp);
}

static void fit_range(void *arg, uint64_t lo, uint64_t hi)
{
	for (uint64_t f = lo; f < hi; f++)
		fit_feature(arg, (uint32_t)f);
}

void rf_bins_fit(struct rf_bins *b, const float *x, uint32_t nrows, const uint32_t *rows, uint32_t n,
		 uint32_t nfeat, uint32_t maxbins, unsigned threads)
{
	b->nfeat = nfeat;
	b->nbins = rf_xcalloc(nfeat, sizeof(*b->nbins));
	b->edges = rf_xcalloc(nfeat, sizeof(*b->edges));
	struct fit_job j = { b, x, nrows, n, maxbins, rows };
	rf_parallel(nfeat, threads, fit_range, &j);
}

/* Branch-free lower bound: the count of edges below v. The branchy search mispredicts on
 * almost every step, and binning touches every value of the data. */
uint32_t rf_bin_of(const float *edges, uint32_t nedges, float v)
{
	if (!nedges)
		return 0;
	const float *base = edges;
	uint32_t n = nedges;
	while (n > 1) {
		uint32_t half = n / 2;
		base = base[half] < v ? base + half : base;
		n -= half;
	}
	return (uint32_t)(base - edges) + (*base < v);
}

struct apply_job {
	const struct rf_bins *b;
	const float *x;
	uint32_t nrows;
	const uint32_t *rows;
	uint8_t *out;
};

/* Rows in blocks, every feature of a block before the next: the row-major output block
 * stays in cache while the columns are read. */
static void apply_range(void *arg, uint64_t lo, uint64_t hi)
{
	struct apply_job *j = arg;
	uint32_t nf = j->b->nfeat;
	for (uint64_t b0 = lo; b0 < hi; b0 += 2048) {
		uint64_t b1 = hi - b0 < 2048 ? hi : b0 + 2048;
		for (uint32_t f = 0; f < nf; f++) {
			const float *col = j->x + (uint64_t)f * j->nrows, *e = j->b->edges[f];
			uint32_t ne = j->b->nbins[f] - 1u;
			for (uint64_t i = b0; i < b1; i++)
				j->out[i * nf + f] = (uint8_t)rf_bin_of(e, ne, col[j->rows[i]]);
		}
	}
}

uint8_t *rf_bins_apply(const struct rf_bins *b, const float *x, uint32_t nrows, const uint32_t *rows,
		       uint32_t n, unsigned threads)
{
	uint8_t *out = rf_xmalloc((uint64_t)n * b->nfeat + 1);
	struct apply_job j = { b, x, nrows, rows, out };
	rf_parallel(n, threads, apply_range, &j);
	return out;
}

float rf_bins_threshold(const struct rf_bins *b, uint32_t f, uint32_t bin, uint32_t hi)
{
	const float *e = b->edges[f];
	if (hi <= bin + 1)
		return e[bin];
	/* Every value of bins bin+1 .. hi-1 lies in (e[bin], e[hi-1]]: split in its middle. */
	float t = (float)(((double)e[bin] + (double)e[hi - 1]) / 2);
	return t < e[bin] ? e[bin] : t > e[hi - 1] ? e[hi - 1] : t;
}

void rf_bins_free(struct rf_bins *b)
{
	if (b->edges)
		for (uint32_t f = 0; f < b->nfeat; f++)
			free(b->edges[f]);
	free(b->edges);
	free(b->nbins);
	memset(b, 0, sizeof(*b));
}
