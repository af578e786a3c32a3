/* The train command: parse, split, bin, grow the forest, score it, write the three files. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "trainer/bins.h"
#include "trainer/cli.h"
#include "trainer/csv.h"
#include "trainer/cuda.h"
#include "trainer/forest.h"
#include "trainer/model.h"
#include "trainer/report.h"
#include "trainer/rng.h"
#include "trainer/sha256.h"
#include "trainer/util.h"

struct run {
	const struct rf_opts *o;
	struct rf_csv data, test;
	int64_t *classes;
	uint32_t nclass;
	uint8_t *y_all, *y_test;     /* class ids of data rows and of test-file rows */
	uint32_t *train, *testrows;  /* row numbers in data (testrows: NULL with a test file) */
	uint32_t ntrain, ntest;
	struct rf_bins bins;
	uint8_t *tbins, *ty;
	struct rf_params p;
	struct rf_forest forest;
	const struct rf_backend *be;
	char err[RF_ERRLEN];
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static uint32_t class_of(const struct run *r, double v)
{
	int64_t k = (int64_t)v;
	const int64_t *hit = bsearch(&k, r->classes, r->nclass, sizeof(int64_t), cmp_i64);
	return (uint32_t)(hit - r->classes);
}

/* Class ids are the distinct label values in ascending order (from every file read). */
static int make_classes(struct run *r)
{
	uint64_t n = r->data.nrows + (uint64_t)r->test.nrows;
	int64_t *v = rf_xmalloc(n * sizeof(int64_t));
	for (uint32_t i = 0; i < r->data.nrows; i++)
		v[i] = (int64_t)r->data.label[i];
	for (uint32_t i = 0; i < r->test.nrows; i++)
		v[r->data.nrows + i] = (int64_t)r->test.label[i];
	qsort(v, n, sizeof(int64_t), cmp_i64);
	uint32_t k = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (k && v[k - 1] == v[i])
			continue;
		if (k == RF_MAX_CLASSES) {
			free(v);
			return rf_err(r->err, "%s: more than %d distinct labels in column \"%s\"", r->o->data,
				      RF_MAX_CLASSES, r->o->label);
		}
		v[k++] = v[i];
	}
	r->classes = v;
	r->nclass = k;
	r->y_all = rf_xmalloc(r->data.nrows + 1);
	for (uint32_t i = 0; i < r->data.nrows; i++)
		r->y_all[i] = (uint8_t)class_of(r, r->data.label[i]);
	r->y_test = rf_xmalloc(r->test.nrows + 1);
	for (uint32_t i = 0; i < r->test.nrows; i++)
		r->y_test[i] = (uint8_t)class_of(r, r->test.label[i]);
	return 0;
}

/* A seeded shuffle puts round(n * test_size) rows in the test set. */
static int split_rows(struct run *r)
{
	uint32_t n = r->data.nrows;
	r->train = rf_xmalloc((size_t)n * sizeof(uint32_t) + 4);
	if (r->o->test_data) {
		for (uint32_t i = 0; i < n; i++)
			r->train[i] = i;
		r->ntrain = n;
		r->ntest = r->test.nrows;
		return 0;
	}
	uint32_t *perm = rf_xmalloc((size_t)n * sizeof(uint32_t) + 4);
	struct rf_rng g;
	rf_rng_init(&g, r->o->seed, 0x73706c6974ULL, 0);
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = rf_rng_below(&g, i), t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	r->ntest = (uint32_t)llround(n * r->o->test_size);
	if (r->ntest < 1 || r->ntest >= n) {
		free(perm);
		return rf_err(r->err, "%s: %u rows cannot be split with --test-size %g", r->o->data, n,
			      r->o->test_size);
	}
	r->ntrain = n - r->ntest;
	r->testrows = perm;
	memcpy(r->train, perm + r->ntest, (size_t)r->ntrain * sizeof(uint32_t));
	qsort(r->testrows, r->ntest, sizeof(uint32_t), cmp_u32);
	qsort(r->train, r->ntrain, sizeof(uint32_t), cmp_u32);
	return 0;
}

static uint32_t resolve_max_features(const char *spec, uint32_t F, int *ok)
{
	double v;
	char *end;
	*ok = 1;
	if (!strcmp(spec, "sqrt"))
		v = floor(sqrt(F));
	else if (!strcmp(spec, "log2"))
		v = floor(log2(F));
	else if (!strcmp(spec, "all"))
		v = F;
	else {
		v = strtod(spec, &end);
		if (!*spec || *end || !(v > 0)) {
			*ok = 0;
			return 0;
		}
		if (v <= 1 && strchr(spec, '.'))
			v = floor(v * F);
	}
	if (v < 1)
		v = 1;
	return v > F ? F : (uint32_t)v;
}

static int pick_backend(struct run *r, const char **device)
{
	char why[RF_ERRLEN];
	const char *d = r->o->device;
	int gpu = strcmp(d, "cpu") ? rf_cuda_available(why) : 0;
	if (!strcmp(d, "cuda") && !gpu)
		return rf_err(r->err, "--device cuda: no usable GPU: %s", why);
	r->be = gpu ? &rf_backend_cuda : &rf_backend_cpu;
	*device = r->be->name;
	return 0;
}

static void on_tree(void *user, uint32_t done, uint32_t total)
{
	rf_event("{\"event\":\"tree\",\"done\":%u,\"total\":%u}", done, total);
}

struct ctx_job {
	pthread_t th;
	int started, rc;
	char err[RF_ERRLEN];
};

static void *init_cuda(void *arg)
{
	struct ctx_job *j = arg;
	j->rc = rf_cuda_init(j->err);
	return NULL;
}

static int load(struct run *r, double *parse_s)
{
	const struct rf_opts *o = r->o;
	double t0 = rf_now();
	struct rf_csv_opts co = { .label = o->label, .skip_bad_rows = o->skip_bad,
				  .max_memory = o->max_memory, .threads = o->threads };
	if (rf_csv_load(o->data, &co, &r->data, r->err))
		return -1;
	if (o->test_data) {
		co.want = (const char *const *)r->data.names;
		co.nwant = r->data.nfeat;
		if (rf_csv_load(o->test_data, &co, &r->test, r->err))
			return -1;
	}
	*parse_s = rf_now() - t0;
	if (r->data.nfeat > 65535)
		return rf_err(r->err, "%s: %u feature columns, at most 65535", o->data, r->data.nfeat);
	if (r->data.skipped)
		rf_event("{\"event\":\"skipped\",\"rows\":%llu}", (unsigned long long)r->data.skipped);
	if (r->data.skipped)
		fprintf(stderr, "sealtrain-rf: skipped %llu bad rows (first: %s)\n",
			(unsigned long long)r->data.skipped, r->data.first_skip);
	return make_classes(r) || split_rows(r);
}

static void prepare_training(struct run *r)
{
	const struct rf_opts *o = r->o;
	rf_bins_fit(&r->bins, r->data.x, r->data.nrows, r->train, r->ntrain, r->data.nfeat, o->bins,
		    o->threads);
	r->tbins = rf_bins_apply(&r->bins, r->data.x, r->data.nrows, r->train, r->ntrain, o->threads);
	r->ty = rf_xmalloc(r->ntrain + 1);
	for (uint32_t i = 0; i < r->ntrain; i++)
		r->ty[i] = r->y_all[r->train[i]];
}

static double score(struct run *r, uint64_t *confusion, double *predict_s)
{
	double t0 = rf_now();
	uint8_t *pred = rf_xmalloc(r->ntest + 1);
	const struct rf_csv *src = r->o->test_data ? &r->test : &r->data;
	rf_predict(&r->forest, src->x, src->nrows, r->testrows, r->ntest, r->o->threads, pred);
	*predict_s = rf_now() - t0;
	uint64_t right = 0;
	for (uint32_t i = 0; i < r->ntest; i++) {
		uint32_t truth = r->o->test_data ? r->y_test[i] : r->y_all[r->testrows[i]];
		confusion[(size_t)truth * r->nclass + pred[i]]++;
		right += truth == pred[i];
	}
	free(pred);
	return r->ntest ? (double)right / r->ntest : 0;
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *s = rf_xmalloc(a + b + 2);
	memcpy(s, dir, a);
	s[a] = '/';
	memcpy(s + a + 1, name, b + 1);
	return s;
}

static int make_dirs(const char *dir, char *err)
{
	char *p = rf_xstrdup(dir);
	for (char *s = p + 1;; s++) {
		char c = *s;
		if (c != '/' && c)
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			rf_err(err, "%s: cannot create directory: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		if (!c)
			break;
		*s = c;
	}
	free(p);
	return 0;
}

/* model.rf is written by a thread while the test set is scored: encoding and hashing a
 * deep forest takes about as long as predicting with it. */
struct model_job {
	struct run *r;
	char *path;
	char sha[65];
	uint64_t bytes;
	int rc;
	char err[RF_ERRLEN];
	pthread_t th;
	int threaded;
};

static void *write_model(void *arg)
{
	struct model_job *j = arg;
	struct rf_model_meta meta = { j->r->data.names, j->r->classes };
	j->rc = rf_model_write(j->path, &j->r->forest, &meta, j->sha, &j->bytes, j->err);
	return NULL;
}

static int start_model(struct run *r, struct model_job *j)
{
	const char *dir = r->o->out ? r->o->out : ".";
	if (make_dirs(dir, r->err))
		return -1;
	j->r = r;
	j->path = join(dir, "model.rf");
	j->threaded = !pthread_create(&j->th, NULL, write_model, j);
	if (!j->threaded)
		write_model(j);
	return 0;
}

static int finish_outputs(struct run *r, struct model_job *j, struct rf_report *rep)
{
	if (j->threaded)
		pthread_join(j->th, NULL);
	free(j->path);
	if (j->rc) {
		memcpy(r->err, j->err, RF_ERRLEN);
		return -1;
	}
	memcpy(rep->model_sha, j->sha, 65);
	rep->model_bytes = j->bytes;
	const char *dir = r->o->out ? r->o->out : ".";
	char *jp = join(dir, "model.json"), *xp = join(dir, "metrics.json");
	int rc = rf_write_model_json(jp, rep, r->err);
	if (!rc)
		rc = rf_write_metrics_json(xp, rep, r->err);
	free(jp);
	free(xp);
	return rc;
}

static void run_free(struct run *r)
{
	rf_csv_free(&r->data);
	rf_csv_free(&r->test);
	free(r->classes);
	free(r->y_all);
	free(r->y_test);
	free(r->train);
	free(r->testrows);
	rf_bins_free(&r->bins);
	free(r->tbins);
	free(r->ty);
	rf_forest_free(&r->forest);
}

static int train(struct run *r)
{
	const struct rf_opts *o = r->o;
	const char *device = "cpu";
	struct rf_report rep = { .data_path = o->data, .label = o->label, .max_bins = o->bins,
				 .max_features_spec = o->max_features, .test_size = o->test_size,
				 .test_data = o->test_data };
	if (pick_backend(r, &device))
		return -1;
	/* The GPU's context is created while the CSV is parsed. */
	struct ctx_job cj = { 0 };
	if (r->be == &rf_backend_cuda) {
		cj.started = !pthread_create(&cj.th, NULL, init_cuda, &cj);
		if (!cj.started)
			init_cuda(&cj);
	}
	int lrc = load(r, &rep.parse_s);
	if (cj.started)
		pthread_join(cj.th, NULL);
	if (lrc)
		return -1;
	if (r->be == &rf_backend_cuda && cj.rc) {
		memcpy(r->err, cj.err, RF_ERRLEN);
		return -1;
	}
	int ok;
	r->p = (struct rf_params){ o->trees, o->max_depth,
				   resolve_max_features(o->max_features, r->data.nfeat, &ok), o->min_leaf,
				   o->min_split, o->seed, o->threads };
	if (!ok)
		return rf_err(r->err, "--max-features: expected sqrt, log2, all, a count or a fraction, got \"%s\"",
			      o->max_features);
	rf_event("{\"event\":\"start\",\"rows\":%u,\"features\":%u,\"classes\":%u,\"train_rows\":%u,"
		 "\"test_rows\":%u,\"trees\":%u,\"device\":\"%s\",\"seed\":%llu}",
		 r->data.nrows, r->data.nfeat, r->nclass, r->ntrain, r->ntest, o->trees, device,
		 (unsigned long long)o->seed);
	double t0 = rf_now();
	prepare_training(r);
	rep.bin_s = rf_now() - t0;
	struct rf_train t = { r->ntrain, r->data.nfeat, r->nclass, r->tbins, r->ty, r->bins.nbins };
	/* CUDA workers are host threads each driving its own stream: trees overlap on the GPU. */
	unsigned workers = o->threads;
	if (rf_fit(r->be, &t, &r->bins, &r->p, workers, &r->forest, on_tree, NULL, r->err))
		return -1;
	rep.fit_s = rf_now() - t0;
	struct model_job job = { 0 };
	if (start_model(r, &job))
		return -1;
	uint64_t *conf = rf_xcalloc((size_t)r->nclass * r->nclass, sizeof(uint64_t));
	rep.accuracy = score(r, conf, &rep.predict_s);
	printf("Model accuracy: %.4f\n", rep.accuracy);
	fflush(stdout);
	rep.names = r->data.names;
	rep.nfeat = r->data.nfeat;
	rep.classes = r->classes;
	rep.nclass = r->nclass;
	rep.bins = &r->bins;
	rep.p = &r->p;
	uint8_t digest[32];
	rf_csv_sha256(&r->data, digest);
	rf_hex(digest, 32, rep.data_sha);
	rep.nnodes = r->forest.nnodes;
	rep.depth = r->forest.depth;
	rep.device = device;
	rep.ntrain = r->ntrain;
	rep.ntest = r->ntest;
	rep.skipped = r->data.skipped;
	rep.confusion = conf;
	int rc = finish_outputs(r, &job, &rep);
	free(conf);
	if (rc)
		return -1;
	rf_event("{\"event\":\"done\",\"accuracy\":%.6f,\"fit_seconds\":%.4f,\"predict_seconds\":%.4f,"
		 "\"nodes\":%llu,\"max_depth\":%u,\"device\":\"%s\",\"model_sha256\":\"%s\"}",
		 rep.accuracy, rep.fit_s, rep.predict_s, (unsigned long long)rep.nnodes, rep.depth, device,
		 rep.model_sha);
	return 0;
}

int rf_cmd_train(const struct rf_opts *o)
{
	struct run *r = rf_xcalloc(1, sizeof(*r));
	r->o = o;
	int rc = train(r);
	if (rc)
		rf_fail(r->err);
	run_free(r);
	free(r);
	return rc ? 1 : 0;
}
