/* The predict command: a saved model applied to a CSV file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/cli.h"
#include "trainer/csv.h"
#include "trainer/forest.h"
#include "trainer/model.h"
#include "trainer/util.h"

static int write_predictions(const char *path, const uint8_t *pred, uint32_t n, const int64_t *classes,
			     char *err)
{
	FILE *fp = fopen(path, "w");
	if (!fp)
		return rf_err(err, "%s: cannot create: %s", path, strerror(errno));
	fputs("prediction\n", fp);
	for (uint32_t i = 0; i < n; i++)
		fprintf(fp, "%lld\n", (long long)classes[pred[i]]);
	int bad = ferror(fp), e = errno;
	if (fclose(fp) && !bad) {
		bad = 1;
		e = errno;
	}
	return bad ? rf_err(err, "%s: write failed: %s", path, strerror(e ? e : EIO)) : 0;
}

static int predict(const struct rf_opts *o, struct rf_forest *f, struct rf_model_meta *m,
		   struct rf_csv *d, char *err)
{
	size_t n = strlen(o->model);
	char *path = rf_xmalloc(n + 10);
	memcpy(path, o->model, n);
	memcpy(path + n, "/model.rf", 10);
	int rc = rf_model_read(path, f, m, err);
	free(path);
	if (rc)
		return -1;
	struct rf_csv_opts co = { .label = o->label, .label_optional = 1, .skip_bad_rows = o->skip_bad,
				  .max_memory = o->max_memory, .threads = o->threads,
				  .want = (const char *const *)m->names, .nwant = f->nfeat };
	if (rf_csv_load(o->data, &co, d, err))
		return -1;
	double t0 = rf_now();
	uint8_t *pred = rf_xmalloc(d->nrows + 1);
	rf_predict(f, d->x, d->nrows, NULL, d->nrows, o->threads, pred);
	double secs = rf_now() - t0;
	rc = write_predictions(o->out ? o->out : "predictions.csv", pred, d->nrows, m->classes, err);
	if (!rc && d->has_label) {
		uint64_t right = 0;
		for (uint32_t i = 0; i < d->nrows; i++)
			right += (double)m->classes[pred[i]] == d->label[i];
		double acc = (double)right / d->nrows;
		printf("Model accuracy: %.4f\n", acc);
		rf_event("{\"event\":\"done\",\"rows\":%u,\"accuracy\":%.6f,\"predict_seconds\":%.4f}",
			 d->nrows, acc, secs);
	} else if (!rc) {
		rf_event("{\"event\":\"done\",\"rows\":%u,\"predict_seconds\":%.4f}", d->nrows, secs);
	}
	free(pred);
	return rc;
}

int rf_cmd_predict(const struct rf_opts *o)
{
	struct rf_forest f = { 0 };
	struct rf_model_meta m = { 0 };
	struct rf_csv d = { 0 };
	char err[RF_ERRLEN];
	int rc = predict(o, &f, &m, &d, err);
	if (rc)
		rf_fail(err);
	rf_model_meta_free(&m, f.nfeat);
	rf_forest_free(&f);
	rf_csv_free(&d);
	return rc ? 1 : 0;
}
