/* model.json and metrics.json: what a person or the console reads about a run. */
#ifndef RF_REPORT_H
#define RF_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "trainer/bins.h"
#include "trainer/tree.h"

struct rf_report {
	const char *data_path;
	const char *label;
	char **names;
	uint32_t nfeat;
	const int64_t *classes;
	uint32_t nclass;
	const struct rf_bins *bins;
	const struct rf_params *p;
	uint32_t max_bins;
	const char *max_features_spec;
	double test_size;
	const char *test_data;   /* NULL: split from the data */
	char data_sha[65];
	char model_sha[65];
	uint64_t model_bytes;
	uint64_t nnodes;
	uint32_t depth;
	const char *device;
	uint32_t ntrain, ntest;
	uint64_t skipped;
	const uint64_t *confusion; /* [true class * nclass + predicted class] */
	double accuracy;
	double parse_s, bin_s, fit_s, predict_s; /* fit_s includes bin_s */
};

/* Writes s as a JSON string literal. */
void rf_json_string(FILE *fp, const char *s);
int rf_write_model_json(const char *path, const struct rf_report *r, char *err);
int rf_write_metrics_json(const char *path, const struct rf_report *r, char *err);

#endif
