/* Command-line options and the two commands of sealtrain-rf. */
#ifndef RF_CLI_H
#define RF_CLI_H

#include <stdint.h>

struct rf_opts {
	const char *data, *label, *out, *device, *test_data, *max_features, *model;
	uint32_t trees, max_depth, bins, min_leaf, min_split;
	uint64_t seed, max_memory;
	double test_size;
	unsigned threads;
	int skip_bad;
};

int rf_cmd_train(const struct rf_opts *o);
int rf_cmd_predict(const struct rf_opts *o);

/* Machine lines: "sealtrain-rf: " and one JSON object, flushed at once. */
void rf_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A failure: an error event on stdout and the same message for people on stderr. */
int rf_fail(const char *msg);

#endif
