/* CSV input: a header row, numeric feature columns and an integer label column. */
#ifndef RF_CSV_H
#define RF_CSV_H

#include <stdint.h>

#include "trainer/backend.h"

struct rf_csv_opts {
	const char *label;        /* label column name */
	int label_optional;       /* predict: a file may come without labels */
	int skip_bad_rows;        /* count and drop bad rows instead of failing */
	uint64_t max_memory;      /* 0: what the system reports as available */
	uint32_t threads;
	const char *const *want;  /* when set: these feature columns, in this order */
	uint32_t nwant;
	int no_mmap;              /* read the file instead of mapping it (tests the fallback) */
};

struct rf_csv {
	uint32_t nrows;
	uint32_t nfeat;
	char **names;             /* [nfeat] feature column names */
	int has_label;
	float *x;                 /* column-major: x[f * nrows + row] */
	double *label;            /* [nrows] */
	uint64_t skipped;         /* bad rows dropped under skip_bad_rows */
	char first_skip[RF_ERRLEN]; /* the first of them, for the report */
	uint64_t file_size;
	void *hash;               /* the file's SHA-256, computed by a thread while we work */
};

/* 0 on success; otherwise err holds "FILE:LINE:COL: what" and nothing is allocated. */
int rf_csv_load(const char *path, const struct rf_csv_opts *o, struct rf_csv *out, char *err);
void rf_csv_free(struct rf_csv *c);
/* SHA-256 of the file's bytes (waits for the hashing thread the first time). */
void rf_csv_sha256(struct rf_csv *c, uint8_t out[32]);

/* Parses one numeric token (spaces around it allowed). 0 ok, -1 not a number,
 * -2 not finite (NaN, infinity or out of float range). Exposed for tests. */
int rf_parse_number(const char *s, const char *e, double *out);

#endif
