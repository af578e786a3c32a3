/* model.rf: the forest in a compact binary file (16 bytes a node), self-checking. */
#ifndef RF_MODEL_H
#define RF_MODEL_H

#include <stdint.h>

#include "trainer/forest.h"

#define RF_MODEL_MAGIC "SEALTRF"
#define RF_MODEL_VERSION 1

struct rf_model_meta {
	char **names;       /* [nfeat] feature column names */
	int64_t *classes;   /* [nclass] label value of each class id */
};

/* Writes path atomically (temp file + rename); sha256_hex gets the file's digest. */
int rf_model_write(const char *path, const struct rf_forest *f, const struct rf_model_meta *m,
		   char sha256_hex[65], uint64_t *bytes, char *err);
/* Reads and fully validates a model: a truncated or corrupted file is an error, never a crash. */
int rf_model_read(const char *path, struct rf_forest *f, struct rf_model_meta *m, char *err);
void rf_model_meta_free(struct rf_model_meta *m, uint32_t nfeat);

/* Serialises into memory (for tests and the writer); caller frees *buf. */
void rf_model_encode(const struct rf_forest *f, const struct rf_model_meta *m, uint8_t **buf,
		     uint64_t *len);
/* Parses a model from memory; `what` names it in errors. */
int rf_model_decode(const uint8_t *buf, uint64_t len, const char *what, struct rf_forest *f,
		    struct rf_model_meta *m, char *err);

#endif
