/* sealtrain-rf: option parsing and dispatch to the train and predict commands. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/backend.h"
#include "trainer/cli.h"
#include "trainer/report.h"
#include "trainer/util.h"

static pthread_mutex_t event_lock = PTHREAD_MUTEX_INITIALIZER;

void rf_event(const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&event_lock);
	fputs("sealtrain-rf: ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&event_lock);
}

int rf_fail(const char *msg)
{
	pthread_mutex_lock(&event_lock);
	fputs("sealtrain-rf: {\"event\":\"error\",\"message\":", stdout);
	rf_json_string(stdout, msg);
	fputs("}\n", stdout);
	fflush(stdout);
	pthread_mutex_unlock(&event_lock);
	fprintf(stderr, "sealtrain-rf: error: %s\n", msg);
	return 1;
}

static void usage(FILE *fp)
{
	fputs("usage: sealtrain-rf --data FILE.csv [--label NAME] [--trees N] [--max-depth N]\n"
	      "         [--bins N] [--max-features sqrt|log2|all|N|FRACTION] [--min-samples-leaf N]\n"
	      "         [--min-samples-split N] [--seed N] [--test-size F | --test-data FILE]\n"
	      "         [--out DIR] [--device auto|cuda|cpu] [--threads N] [--skip-bad-rows]\n"
	      "         [--max-memory BYTES]\n"
	      "       sealtrain-rf predict --model DIR --data FILE.csv [--label NAME] [--out FILE]\n"
	      "See sealtrain-rf(1).\n", fp);
}

static int bad_value(const char *opt, const char *v, const char *want)
{
	char msg[RF_ERRLEN];
	snprintf(msg, sizeof(msg), "--%s: expected %s, got \"%s\"", opt, want, v);
	rf_fail(msg);
	return 2;
}

static int parse_u(const char *opt, const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (!*v || *end || errno || *v == '-' || x < lo || x > hi) {
		char want[96];
		snprintf(want, sizeof(want), "an integer from %llu to %llu", (unsigned long long)lo,
			 (unsigned long long)hi);
		return bad_value(opt, v, want);
	}
	*out = x;
	return 0;
}

static int set_option(struct rf_opts *o, const char *name, const char *v)
{
	uint64_t x = 0;
	int rc = 0;
	if (!strcmp(name, "data"))
		o->data = v;
	else if (!strcmp(name, "label"))
		o->label = v;
	else if (!strcmp(name, "out"))
		o->out = v;
	else if (!strcmp(name, "device")) {
		if (strcmp(v, "auto") && strcmp(v, "cuda") && strcmp(v, "cpu"))
			return bad_value(name, v, "auto, cuda or cpu");
		o->device = v;
	} else if (!strcmp(name, "test-data"))
		o->test_data = v;
	else if (!strcmp(name, "max-features"))
		o->max_features = v;
	else if (!strcmp(name, "model"))
		o->model = v;
	else if (!strcmp(name, "trees")) {
		if (!(rc = parse_u(name, v, 1, 100000, &x)))
			o->trees = (uint32_t)x;
	} else if (!strcmp(name, "max-depth")) {
		if (!(rc = parse_u(name, v, 0, 65535, &x)))
			o->max_depth = (uint32_t)x;
	} else if (!strcmp(name, "bins")) {
		if (!(rc = parse_u(name, v, 2, RF_MAX_BINS, &x)))
			o->bins = (uint32_t)x;
	} else if (!strcmp(name, "min-samples-leaf")) {
		if (!(rc = parse_u(name, v, 1, UINT32_MAX / 4, &x)))
			o->min_leaf = (uint32_t)x;
	} else if (!strcmp(name, "min-samples-split")) {
		if (!(rc = parse_u(name, v, 2, UINT32_MAX / 2, &x)))
			o->min_split = (uint32_t)x;
	} else if (!strcmp(name, "seed")) {
		rc = parse_u(name, v, 0, UINT64_MAX, &o->seed);
	} else if (!strcmp(name, "threads")) {
		if (!(rc = parse_u(name, v, 1, 1024, &x)))
			o->threads = (unsigned)x;
	} else if (!strcmp(name, "max-memory")) {
		rc = parse_u(name, v, 1, UINT64_MAX, &o->max_memory);
	} else if (!strcmp(name, "test-size")) {
		char *end;
		double d = strtod(v, &end);
		if (!*v || *end || !(d > 0 && d < 1))
			return bad_value(name, v, "a fraction between 0 and 1");
		o->test_size = d;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", 1, 0, 0 }, { "label", 1, 0, 0 }, { "trees", 1, 0, 0 }, { "max-depth", 1, 0, 0 },
		{ "bins", 1, 0, 0 }, { "max-features", 1, 0, 0 }, { "min-samples-leaf", 1, 0, 0 },
		{ "min-samples-split", 1, 0, 0 }, { "seed", 1, 0, 0 }, { "test-size", 1, 0, 0 },
		{ "test-data", 1, 0, 0 }, { "out", 1, 0, 0 }, { "device", 1, 0, 0 },
		{ "threads", 1, 0, 0 }, { "skip-bad-rows", 0, 0, 's' }, { "max-memory", 1, 0, 0 },
		{ "model", 1, 0, 0 }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct rf_opts o = { .label = "label", .device = "auto", .max_features = "sqrt", .trees = 100,
			     .bins = 128, .min_leaf = 1, .min_split = 2, .seed = 42, .test_size = 0.2,
			     .threads = rf_ncpu() };
	int predict = argc > 1 && !strcmp(argv[1], "predict");
	if (predict) {
		argv++;
		argc--;
	}
	opterr = 0;
	for (;;) {
		int idx = -1, c = getopt_long(argc, argv, "h", opts, &idx);
		if (c == -1)
			break;
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 's') {
			o.skip_bad = 1;
			continue;
		}
		if (c == '?' || c == ':') {
			char msg[RF_ERRLEN];
			snprintf(msg, sizeof(msg), "unknown option or missing value: %s", argv[optind - 1]);
			rf_fail(msg);
			usage(stderr);
			return 2;
		}
		int rc = set_option(&o, opts[idx].name, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		char msg[RF_ERRLEN];
		snprintf(msg, sizeof(msg), "unexpected argument: %s", argv[optind]);
		rf_fail(msg);
		usage(stderr);
		return 2;
	}
	if (!o.data || (predict && !o.model)) {
		rf_fail(predict ? "predict needs --model DIR and --data FILE" : "--data FILE is required");
		usage(stderr);
		return 2;
	}
	return predict ? rf_cmd_predict(&o) : rf_cmd_train(&o);
}
