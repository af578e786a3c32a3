#include "trainer/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/util.h"

void rf_json_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* JSON files are written to PATH.tmp and renamed, so a reader never sees half a file. */
static FILE *open_tmp(const char *path, char **tmp, char *err)
{
	size_t n = strlen(path);
	*tmp = rf_xmalloc(n + 5);
	memcpy(*tmp, path, n);
	memcpy(*tmp + n, ".tmp", 5);
	FILE *fp = fopen(*tmp, "w");
	if (!fp) {
		rf_err(err, "%s: cannot create: %s", *tmp, strerror(errno));
		free(*tmp);
	}
	return fp;
}

static int commit(FILE *fp, char *tmp, const char *path, char *err)
{
	int bad = ferror(fp);
	int e = errno;
	if (fclose(fp) && !bad) {
		bad = 1;
		e = errno;
	}
	int rc = 0;
	if (bad)
		rc = rf_err(err, "%s: write failed: %s", tmp, strerror(e ? e : EIO));
	else if (rename(tmp, path))
		rc = rf_err(err, "%s: cannot rename into place: %s", path, strerror(errno));
	if (rc)
		remove(tmp);
	free(tmp);
	return rc;
}

static void classes_array(FILE *fp, const struct rf_report *r)
{
	fputc('[', fp);
	for (uint32_t c = 0; c < r->nclass; c++)
		fprintf(fp, "%s%lld", c ? ", " : "", (long long)r->classes[c]);
	fputc(']', fp);
}

int rf_write_model_json(const char *path, const struct rf_report *r, char *err)
{
	char *tmp;
	FILE *fp = open_tmp(path, &tmp, err);
	if (!fp)
		return -1;
	const struct rf_params *p = r->p;
	fprintf(fp, "{\n  \"format\": \"sealtrain-rf\",\n  \"format_version\": 1,\n  \"model_file\": \"model.rf\",\n");
	fprintf(fp, "  \"model_rf_sha256\": \"%s\",\n  \"model_rf_bytes\": %llu,\n", r->model_sha,
		(unsigned long long)r->model_bytes);
	fprintf(fp, "  \"data_sha256\": \"%s\",\n  \"label\": ", r->data_sha);
	rf_json_string(fp, r->label);
	fprintf(fp, ",\n  \"classes\": ");
	classes_array(fp, r);
	fprintf(fp, ",\n  \"features\": [");
	for (uint32_t f = 0; f < r->nfeat; f++) {
		fputs(f ? ", " : "", fp);
		rf_json_string(fp, r->names[f]);
	}
	fprintf(fp, "],\n  \"seed\": %llu,\n", (unsigned long long)p->seed);
	fprintf(fp, "  \"params\": {\"trees\": %u, \"max_depth\": %u, \"bins\": %u, \"max_features\": ",
		p->trees, p->max_depth, r->max_bins);
	rf_json_string(fp, r->max_features_spec);
	fprintf(fp, ", \"max_features_count\": %u, \"min_samples_leaf\": %u, \"min_samples_split\": %u, "
		"\"bootstrap\": true, \"criterion\": \"gini\", \"test_size\": %.6g},\n",
		p->max_features, p->min_leaf, p->min_split, r->test_data ? 0.0 : r->test_size);
	fprintf(fp, "  \"node_count\": %llu,\n  \"max_tree_depth\": %u,\n  \"device\": \"%s\",\n",
		(unsigned long long)r->nnodes, r->depth, r->device);
	fprintf(fp, "  \"bin_edges\": [");
	for (uint32_t f = 0; f < r->nfeat; f++) {
		fprintf(fp, "%s\n    [", f ? "," : "");
		for (uint32_t b = 0; b + 1u < r->bins->nbins[f]; b++)
			fprintf(fp, "%s%.9g", b ? ", " : "", (double)r->bins->edges[f][b]);
		fputc(']', fp);
	}
	fprintf(fp, "\n  ]\n}\n");
	return commit(fp, tmp, path, err);
}

int rf_write_metrics_json(const char *path, const struct rf_report *r, char *err)
{
	char *tmp;
	FILE *fp = open_tmp(path, &tmp, err);
	if (!fp)
		return -1;
	const uint32_t C = r->nclass;
	fprintf(fp, "{\n  \"accuracy\": %.6f,\n  \"train_rows\": %u,\n  \"test_rows\": %u,\n", r->accuracy,
		r->ntrain, r->ntest);
	fprintf(fp, "  \"skipped_rows\": %llu,\n  \"classes\": ", (unsigned long long)r->skipped);
	classes_array(fp, r);
	fprintf(fp, ",\n  \"per_class\": [");
	for (uint32_t c = 0; c < C; c++) {
		uint64_t tp = r->confusion[(size_t)c * C + c], pred = 0, truth = 0;
		for (uint32_t k = 0; k < C; k++) {
			pred += r->confusion[(size_t)k * C + c];
			truth += r->confusion[(size_t)c * C + k];
		}
		fprintf(fp, "%s\n    {\"class\": %lld, \"precision\": %.6f, \"recall\": %.6f, \"support\": %llu}",
			c ? "," : "", (long long)r->classes[c], pred ? (double)tp / (double)pred : 0.0,
			truth ? (double)tp / (double)truth : 0.0, (unsigned long long)truth);
	}
	fprintf(fp, "\n  ],\n  \"confusion_matrix\": [");
	for (uint32_t c = 0; c < C; c++) {
		fprintf(fp, "%s[", c ? ", " : "");
		for (uint32_t k = 0; k < C; k++)
			fprintf(fp, "%s%llu", k ? ", " : "", (unsigned long long)r->confusion[(size_t)c * C + k]);
		fputc(']', fp);
	}
	fprintf(fp, "],\n  \"parse_seconds\": %.4f,\n  \"bin_seconds\": %.4f,\n  \"fit_seconds\": %.4f,\n"
		"  \"predict_seconds\": %.4f,\n", r->parse_s, r->bin_s, r->fit_s, r->predict_s);
	fprintf(fp, "  \"fit_rows_per_second\": %.1f,\n  \"predict_rows_per_second\": %.1f,\n",
		r->fit_s > 0 ? r->ntrain / r->fit_s : 0.0, r->predict_s > 0 ? r->ntest / r->predict_s : 0.0);
	fprintf(fp, "  \"node_count\": %llu,\n  \"device\": \"%s\"\n}\n", (unsigned long long)r->nnodes,
		r->device);
	return commit(fp, tmp, path, err);
}
