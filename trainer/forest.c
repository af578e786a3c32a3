#include "trainer/forest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/util.h"

struct fit_ctx {
	const struct rf_backend *be;
	void *shared;
	const struct rf_train *t;
	const struct rf_bins *bins;
	const struct rf_params *p;
	struct rf_forest *out;
	atomic_uint next;
	atomic_int failed;
	uint32_t done;
	pthread_mutex_t lock;
	rf_progress_fn cb;
	void *user;
	char err[RF_ERRLEN];
};

static void fail(struct fit_ctx *c, const char *msg)
{
	pthread_mutex_lock(&c->lock);
	if (!atomic_exchange(&c->failed, 1))
		memcpy(c->err, msg, RF_ERRLEN);
	pthread_mutex_unlock(&c->lock);
}

static void *fit_worker(void *arg)
{
	struct fit_ctx *c = arg;
	char err[RF_ERRLEN];
	void *w = c->be->worker_new(c->shared, c->t, c->p->max_features, err);
	if (!w) {
		fail(c, err);
		return NULL;
	}
	for (;;) {
		uint32_t i = atomic_fetch_add(&c->next, 1);
		if (i >= c->p->trees || atomic_load(&c->failed))
			break;
		if (rf_build_tree(c->be, w, c->t, c->bins, c->p, i, &c->out->trees[i], err)) {
			fail(c, err);
			break;
		}
		pthread_mutex_lock(&c->lock);
		c->done++;
		if (c->cb)
			c->cb(c->user, c->done, c->p->trees);
		pthread_mutex_unlock(&c->lock);
	}
	c->be->worker_free(w);
	return NULL;
}

int rf_fit(const struct rf_backend *be, const struct rf_train *t, const struct rf_bins *bins,
	   const struct rf_params *p, unsigned workers, struct rf_forest *out, rf_progress_fn cb,
	   void *user, char *err)
{
	memset(out, 0, sizeof(*out));
	out->ntrees = p->trees;
	out->nfeat = t->nfeat;
	out->nclass = t->nclass;
	out->trees = rf_xcalloc(p->trees, sizeof(struct rf_tree));
	struct fit_ctx c = { .be = be, .t = t, .bins = bins, .p = p, .out = out, .cb = cb, .user = user };
	c.shared = be->shared_new(t, err);
	if (!c.shared) {
		rf_forest_free(out);
		return -1;
	}
	pthread_mutex_init(&c.lock, NULL);
	if (workers < 1)
		workers = 1;
	if (workers > p->trees)
		workers = p->trees ? p->trees : 1;
	pthread_t *th = rf_xcalloc(workers, sizeof(*th));
	int *started = rf_xcalloc(workers, sizeof(int));
	for (unsigned i = 1; i < workers; i++)
		started[i] = !pthread_create(&th[i], NULL, fit_worker, &c);
	fit_worker(&c);
	for (unsigned i = 1; i < workers; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	free(th);
	free(started);
	pthread_mutex_destroy(&c.lock);
	be->shared_free(c.shared);
	if (atomic_load(&c.failed)) {
		memcpy(err, c.err, RF_ERRLEN);
		rf_forest_free(out);
		return -1;
	}
	for (uint32_t i = 0; i < p->trees; i++) {
		out->nnodes += out->trees[i].n;
		if (out->trees[i].depth > out->depth)
			out->depth = out->trees[i].depth;
	}
	return 0;
}

uint32_t rf_predict_row(const struct rf_forest *f, const float *x, uint32_t *votes)
{
	memset(votes, 0, f->nclass * sizeof(uint32_t));
	for (uint32_t t = 0; t < f->ntrees; t++) {
		const struct rf_node *nd = f->trees[t].nodes;
		uint32_t i = 0;
		while (!(nd[i].a & RF_LEAF))
			i = nd[i].b + (x[nd[i].a] > nd[i].thr);
		votes[nd[i].a & ~RF_LEAF]++;
	}
	uint32_t best = 0;
	for (uint32_t c = 1; c < f->nclass; c++)
		if (votes[c] > votes[best])
			best = c;
	return best;
}

struct pred_job {
	const struct rf_forest *f;
	const float *x;
	uint32_t nrows;
	const uint32_t *rows;
	uint8_t *out;
};

/* Walks GROUP rows down one tree in lockstep: their node loads do not depend on each
 * other, so the processor overlaps the cache misses of a deep tree instead of waiting on
 * each in turn. */
#define GROUP 16

static void walk_tree(const struct rf_node *nd, const float *rows, uint32_t nb, uint32_t F, uint32_t C,
		      uint32_t *votes)
{
	for (uint32_t k0 = 0; k0 < nb; k0 += GROUP) {
		uint32_t g = nb - k0 < GROUP ? nb - k0 : GROUP, cur[GROUP] = { 0 };
		const float *x = rows + (size_t)k0 * F;
		for (int moving = 1; moving;) {
			moving = 0;
			for (uint32_t q = 0; q < g; q++) {
				const struct rf_node *n = &nd[cur[q]];
				if (n->a & RF_LEAF)
					continue;
				cur[q] = n->b + (x[(size_t)q * F + n->a] > n->thr);
				moving = 1;
			}
		}
		for (uint32_t q = 0; q < g; q++)
			votes[(size_t)(k0 + q) * C + (nd[cur[q]].a & ~RF_LEAF)]++;
	}
}

/* Rows go through the trees in blocks, tree by tree, so that one tree stays in cache
 * while a block of rows walks it (a deep forest is far larger than the caches). */
#define PRED_BLOCK 512

static void predict_range(void *arg, uint64_t lo, uint64_t hi)
{
	struct pred_job *j = arg;
	const struct rf_forest *f = j->f;
	const uint32_t F = f->nfeat, C = f->nclass;
	float *rows = rf_xmalloc((size_t)PRED_BLOCK * F * sizeof(float));
	uint32_t *votes = rf_xmalloc((size_t)PRED_BLOCK * C * sizeof(uint32_t));
	for (uint64_t b0 = lo; b0 < hi; b0 += PRED_BLOCK) {
		uint32_t nb = hi - b0 < PRED_BLOCK ? (uint32_t)(hi - b0) : PRED_BLOCK;
		for (uint32_t k = 0; k < nb; k++) {
			uint32_t r = j->rows ? j->rows[b0 + k] : (uint32_t)(b0 + k);
			for (uint32_t c = 0; c < F; c++)
				rows[(size_t)k * F + c] = j->x[(uint64_t)c * j->nrows + r];
		}
		memset(votes, 0, (size_t)nb * C * sizeof(uint32_t));
		for (uint32_t t = 0; t < f->ntrees; t++)
			walk_tree(f->trees[t].nodes, rows, nb, F, C, votes);
		for (uint32_t k = 0; k < nb; k++) {
			const uint32_t *v = votes + (size_t)k * C;
			uint32_t best = 0;
			for (uint32_t c = 1; c < C; c++)
				if (v[c] > v[best])
					best = c;
			j->out[b0 + k] = (uint8_t)best;
		}
	}
	free(rows);
	free(votes);
}

void rf_predict(const struct rf_forest *f, const float *x, uint32_t nrows, const uint32_t *rows,
		uint32_t n, unsigned threads, uint8_t *out)
{
	struct pred_job j = { f, x, nrows, rows, out };
	rf_parallel(n, threads, predict_range, &j);
}

void rf_forest_free(struct rf_forest *f)
{
	if (f->trees && !f->blob)
		for (uint32_t i = 0; i < f->ntrees; i++)
			free(f->trees[i].nodes);
	free(f->trees);
	free(f->blob);
	memset(f, 0, sizeof(*f));
}
