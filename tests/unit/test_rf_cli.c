/* sealtrain-rf as a user runs it: train, the three output files, progress lines, predict,
 * and the one-line errors for bad input, a damaged model and a missing GPU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/sttest.h"
#include "trainer/cuda.h"
#include "trainer/rng.h"
#include "trainer/sha256.h"

static char *dir, bin[4096];
static char out[1 << 16], errout[1 << 16];

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *fp = fopen(path, "rb");
	size_t n = fp ? fread(buf, 1, cap - 1, fp) : 0;
	buf[n] = '\0';
	if (fp)
		fclose(fp);
}

/* Runs sealtrain-rf with args (a shell word list); returns its exit status. */
static int rf(const char *args)
{
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >stdout.txt 2>stderr.txt", dir, bin, args);
	int st = system(cmd);
	char p[4200];
	snprintf(p, sizeof(p), "%s/stdout.txt", dir);
	slurp(p, out, sizeof(out));
	snprintf(p, sizeof(p), "%s/stderr.txt", dir);
	slurp(p, errout, sizeof(errout));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_data(const char *name, uint32_t rows, uint64_t seed)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	struct rf_rng r;
	rf_rng_init(&r, seed, 3, 3);
	fprintf(fp, "x0,x1,x2,label\n");
	for (uint32_t i = 0; i < rows; i++) {
		uint32_t a = rf_rng_below(&r, 40), b = rf_rng_below(&r, 40), c = rf_rng_below(&r, 40);
		fprintf(fp, "%u,%u.5,%u,%d\n", a, b, c, b < 20 ? 3 : 7);
	}
	fclose(fp);
}

static void test_train_and_predict(void **state)
{
	write_data("sep.csv", 1500, 1);
	assert_int_equal(rf("--data sep.csv --trees 10 --device cpu --out model"), 0);
	assert_non_null(strstr(out, "Model accuracy: 1.0000\n"));
	assert_non_null(strstr(out, "sealtrain-rf: {\"event\":\"start\",\"rows\":1500,\"features\":3,\"classes\":2,"
				    "\"train_rows\":1200,\"test_rows\":300,\"trees\":10,\"device\":\"cpu\""));
	assert_non_null(strstr(out, "sealtrain-rf: {\"event\":\"tree\",\"done\":1,\"total\":10}\n"));
	assert_non_null(strstr(out, "sealtrain-rf: {\"event\":\"tree\",\"done\":10,\"total\":10}\n"));
	assert_non_null(strstr(out, "sealtrain-rf: {\"event\":\"done\",\"accuracy\":1.000000,"));
	/* model.json carries model.rf's digest and the data's. */
	char path[4200], json[1 << 16], hex[65], want[100];
	snprintf(path, sizeof(path), "%s/model/model.json", dir);
	slurp(path, json, sizeof(json));
	static char rfbuf[1 << 20];
	snprintf(path, sizeof(path), "%s/model/model.rf", dir);
	FILE *fp = fopen(path, "rb");
	size_t n = fread(rfbuf, 1, sizeof(rfbuf), fp);
	fclose(fp);
	rf_sha256_hex(rfbuf, n, hex);
	snprintf(want, sizeof(want), "\"model_rf_sha256\": \"%s\"", hex);
	assert_non_null(strstr(json, want));
	assert_non_null(strstr(out, hex));
	assert_non_null(strstr(json, "\"features\": [\"x0\", \"x1\", \"x2\"]"));
	assert_non_null(strstr(json, "\"classes\": [3, 7]"));
	assert_non_null(strstr(json, "\"data_sha256\": \""));
	assert_non_null(strstr(json, "\"bin_edges\": ["));
	snprintf(path, sizeof(path), "%s/model/metrics.json", dir);
	slurp(path, json, sizeof(json));
	assert_non_null(strstr(json, "\"accuracy\": 1.000000"));
	assert_non_null(strstr(json, "\"confusion_matrix\": [["));
	assert_non_null(strstr(json, "\"device\": \"cpu\""));
	/* Predict on fresh rows of the same rule. */
	write_data("new.csv", 400, 2);
	assert_int_equal(rf("predict --model model --data new.csv --out pred.csv"), 0);
	assert_non_null(strstr(out, "Model accuracy: 1.0000\n"));
	snprintf(path, sizeof(path), "%s/pred.csv", dir);
	slurp(path, json, sizeof(json));
	assert_int_equal(strncmp(json, "prediction\n", 11), 0);
	assert_true(strstr(json, "\n3\n") && strstr(json, "\n7\n"));
	/* A damaged model is refused in one line. */
	snprintf(path, sizeof(path), "%s/model/model.rf", dir);
	assert_int_equal(truncate(path, (off_t)n - 100), 0);
	assert_int_equal(rf("predict --model model --data new.csv --out pred.csv"), 1);
	assert_non_null(strstr(errout, "sealtrain-rf: error: model/model.rf: truncated"));
	assert_non_null(strstr(out, "{\"event\":\"error\",\"message\":\"model/model.rf: truncated"));
}

static void test_bad_input(void **state)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/bad.csv", dir);
	st_test_write_file(path, "a,b,label\n1,2,0\n3,x,1\n");
	assert_int_equal(rf("--data bad.csv --device cpu"), 1);
	assert_string_equal(errout, "sealtrain-rf: error: bad.csv:3:3: column \"b\": value \"x\" is not a number\n");
	write_data("skip.csv", 300, 5);
	FILE *fp = fopen(path, "w");
	fprintf(fp, "x0,x1,x2,label\n1,2,3,4,5\n");
	fclose(fp);
	snprintf(path, sizeof(path), "cat '%s/skip.csv' | tail -n +2 >> '%s/bad.csv'", dir, dir);
	assert_int_equal(system(path), 0);
	assert_int_equal(rf("--data bad.csv --device cpu --trees 3 --skip-bad-rows --out o2"), 0);
	assert_non_null(strstr(out, "sealtrain-rf: {\"event\":\"skipped\",\"rows\":1}"));
	assert_non_null(strstr(errout, "skipped 1 bad rows (first: bad.csv:2: expected 4 columns, found 5)"));
	assert_int_equal(rf("--data skip.csv --max-memory 1000"), 1);
	assert_non_null(strstr(errout, "skip.csv: too large for memory"));
	assert_int_equal(rf("--data nothere.csv"), 1);
	assert_non_null(strstr(errout, "nothere.csv: cannot open"));
}

static void test_usage_errors(void **state)
{
	assert_int_equal(rf("--data skip.csv --trees 0"), 2);
	assert_non_null(strstr(errout, "--trees: expected an integer from 1 to 100000, got \"0\""));
	assert_int_equal(rf("--data skip.csv --device tpu"), 2);
	assert_non_null(strstr(errout, "--device: expected auto, cuda or cpu, got \"tpu\""));
	assert_int_equal(rf("--data skip.csv --test-size 1.5"), 2);
	assert_int_equal(rf("--data skip.csv --bogus"), 2);
	assert_int_equal(rf(""), 2);
	assert_non_null(strstr(errout, "--data FILE is required"));
	assert_int_equal(rf("--data skip.csv --max-features none --device cpu"), 1);
	assert_non_null(strstr(errout, "--max-features: expected sqrt, log2, all"));
	assert_int_equal(rf("--help"), 0);
	assert_non_null(strstr(out, "usage: sealtrain-rf"));
}

static void file_sha(const char *path, char hex[65])
{
	static char buf[1 << 22];
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	size_t n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	rf_sha256_hex(buf, n, hex);
}

/* A run killed mid-training leaves the previous model of its output directory intact and
 * no partial file behind: outputs are only ever renamed into place, complete. */
static void test_killed_run(void **state)
{
	char path[4200], before[65], after[65];
	write_data("long.csv", 20000, 11);
	assert_int_equal(rf("--data long.csv --trees 2 --device cpu --out keep"), 0);
	snprintf(path, sizeof(path), "%s/keep/model.rf", dir);
	file_sha(path, before);
	pid_t pid = fork();
	if (pid == 0) {
		if (chdir(dir) || !freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(bin, bin, "--data", "long.csv", "--trees", "100000", "--device", "cpu", "--out", "keep",
		      (char *)NULL);
		_exit(127);
	}
	/* Let it parse and start growing trees, then kill it. */
	usleep(300 * 1000);
	kill(pid, SIGKILL);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	file_sha(path, after);
	assert_string_equal(before, after);
	snprintf(path, sizeof(path), "%s/keep/model.rf.tmp", dir);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_cuda_without_gpu(void **state)
{
	char why[RF_ERRLEN];
	if (rf_cuda_available(why))
		skip();
	write_data("gpu.csv", 200, 9);
	assert_int_equal(rf("--data gpu.csv --device cuda"), 1);
	assert_non_null(strstr(errout, "sealtrain-rf: error: --device cuda: no usable GPU: "));
	/* auto falls back to the CPU. */
	assert_int_equal(rf("--data gpu.csv --trees 2 --out o3"), 0);
	assert_non_null(strstr(out, "\"device\":\"cpu\""));
}

int main(void)
{
	const char *top = getenv("ST_TOP_BUILDDIR");
	snprintf(bin, sizeof(bin), "%s/sealtrain-rf", top ? top : ".");
	dir = st_test_tmpdir("rfcli");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_train_and_predict),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_killed_run),
		cmocka_unit_test(test_cuda_without_gpu),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	st_test_rmtree(dir);
	free(dir);
	return rc;
}
