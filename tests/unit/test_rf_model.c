/* sealtrain-rf model file and checksums: SHA-256 and CRC-32C against published vectors,
 * model round trip, and truncated, corrupted and unwritable model files. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/sttest.h"
#include "trainer/model.h"
#include "trainer/rng.h"
#include "trainer/sha256.h"

static void sha256_vectors(void)
{
	char hex[65];
	rf_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	rf_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	rf_sha256_hex(m, strlen(m), hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* One million 'a', fed in uneven pieces. */
	char *a = malloc(1000000);
	memset(a, 'a', 1000000);
	struct rf_sha256 s;
	uint8_t d[32];
	rf_sha256_init(&s);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 997 + 1)
		rf_sha256_update(&s, a + off, off + step > 1000000 ? 1000000 - off : step);
	rf_sha256_final(&s, d);
	rf_hex(d, 32, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

/* Both the CPU's SHA instructions (where it has them) and the portable rounds. */
static void test_sha256_vectors(void **state)
{
	rf_sha256_use_accel(1);
	sha256_vectors();
	rf_sha256_use_accel(0);
	assert_int_equal(rf_sha256_accel(), 0);
	sha256_vectors();
	rf_sha256_use_accel(1);
}

static void test_crc32c(void **state)
{
	assert_int_equal(rf_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(rf_crc32c(rf_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
	assert_int_equal(rf_crc32c(0, "", 0), 0);
}

/* A small forest built by hand: tree 0 splits feature 1 at 0.5, tree 1 is one leaf. */
static struct rf_node t0[3] = {
	{ 1, 1, 0.5f, 0 },
	{ RF_LEAF | 0, 3, 1.0f, 1 << 16 },
	{ RF_LEAF | 2, 4, 0.75f, 1 << 16 },
};
static struct rf_node t1[1] = { { RF_LEAF | 1, 7, 0.6f, 0 } };
static char name0[] = "first", name1[] = "se\"cond";
static char *names[2] = { name0, name1 };
static int64_t classes[3] = { -1, 4, 9 };

static void sample(struct rf_forest *f, struct rf_tree *trees, struct rf_model_meta *m)
{
	trees[0] = (struct rf_tree){ t0, 3, 2 };
	trees[1] = (struct rf_tree){ t1, 1, 1 };
	*f = (struct rf_forest){ .ntrees = 2, .nfeat = 2, .nclass = 3, .trees = trees, .nnodes = 4 };
	*m = (struct rf_model_meta){ names, classes };
}

static void test_round_trip(void **state)
{
	struct rf_forest f, g;
	struct rf_tree trees[2];
	struct rf_model_meta m, gm;
	sample(&f, trees, &m);
	uint8_t *buf;
	uint64_t len;
	char err[RF_ERRLEN];
	rf_model_encode(&f, &m, &buf, &len);
	assert_int_equal(len, 40 + 3 * 8 + 2 * 4 + strlen("first") + 1 + strlen("se\"cond") + 1 + 4 * 16 + 4);
	assert_int_equal(rf_model_decode(buf, len, "mem", &g, &gm, err), 0);
	assert_int_equal(g.ntrees, 2);
	assert_int_equal(g.nnodes, 4);
	assert_memory_equal(g.trees[0].nodes, t0, sizeof(t0));
	assert_memory_equal(g.trees[1].nodes, t1, sizeof(t1));
	assert_string_equal(gm.names[1], "se\"cond");
	assert_true(gm.classes[0] == -1 && gm.classes[2] == 9);
	uint32_t votes[3];
	float lo[2] = { 0, 0.25f }, hi[2] = { 0, 0.75f };
	/* Votes: tree 0 says class 0 or 2, tree 1 always 1; ties go to the lower class. */
	assert_int_equal(rf_predict_row(&g, lo, votes), 0);
	assert_int_equal(rf_predict_row(&g, hi, votes), 1);
	rf_model_meta_free(&gm, g.nfeat);
	rf_forest_free(&g);
	free(buf);
}

static void expect_decode_error(const uint8_t *buf, uint64_t len, const char *want)
{
	struct rf_forest g;
	struct rf_model_meta gm;
	char err[RF_ERRLEN];
	assert_int_equal(rf_model_decode(buf, len, "m.rf", &g, &gm, err), -1);
	if (!strstr(err, want))
		fail_msg("got \"%s\", want \"%s\"", err, want);
}

static void test_truncated_and_corrupted(void **state)
{
	struct rf_forest f;
	struct rf_tree trees[2];
	struct rf_model_meta m;
	sample(&f, trees, &m);
	uint8_t *buf;
	uint64_t len;
	rf_model_encode(&f, &m, &buf, &len);
	expect_decode_error(buf, 0, "m.rf: not a sealtrain-rf model file");
	expect_decode_error(buf, 20, "m.rf: truncated (20 bytes, header alone needs 44)");
	for (uint64_t n = 44; n < len; n++)
		expect_decode_error(buf, n, "m.rf: truncated");
	uint8_t *big = calloc(1, len + 3);
	memcpy(big, buf, len);
	expect_decode_error(big, len + 3, "has trailing bytes");
	/* Any flipped bit is caught by the checksum. */
	for (uint64_t i = 40; i < len; i++) {
		memcpy(big, buf, len);
		big[i] ^= 0x10;
		expect_decode_error(big, len, "m.rf: checksum mismatch: the file is corrupted");
	}
	memcpy(big, buf, len);
	big[8] = 2;
	expect_decode_error(big, len, "m.rf: model format version 2, this trainer reads 1");
	memcpy(big, buf, len);
	big[16] = 0;
	expect_decode_error(big, len, "impossible counts");
	free(big);
	free(buf);
}

/* A structurally bad forest with a valid checksum: the validator, not the CRC, refuses it. */
static void test_bad_structure(void **state)
{
	struct rf_forest f;
	struct rf_tree trees[2];
	struct rf_model_meta m;
	sample(&f, trees, &m);
	struct rf_node saved = t0[0];
	uint8_t *buf;
	uint64_t len;
	t0[0].b = 2;
	rf_model_encode(&f, &m, &buf, &len);
	expect_decode_error(buf, len, "m.rf: tree 0 node 0: child index 2 out of range");
	free(buf);
	t0[0] = saved;
	t0[0].b = 0;
	rf_model_encode(&f, &m, &buf, &len);
	expect_decode_error(buf, len, "m.rf: tree 0 node 0: child index 0 out of range");
	free(buf);
	t0[0] = saved;
	t0[0].a = 7;
	rf_model_encode(&f, &m, &buf, &len);
	expect_decode_error(buf, len, "m.rf: tree 0 node 0: feature 7 out of range");
	free(buf);
	t0[0] = saved;
	t1[0].a = RF_LEAF | 3;
	rf_model_encode(&f, &m, &buf, &len);
	expect_decode_error(buf, len, "m.rf: tree 1 node 0: class 3 out of range");
	free(buf);
	t1[0].a = RF_LEAF | 1;
}

/* Forests with random node words and a valid checksum: each is refused by the validator or,
 * when accepted, predicts without walking out of its trees. */
static void test_random_structure(void **state)
{
	struct rf_rng r;
	rf_rng_init(&r, 5, 5, 5);
	int accepted = 0;
	for (int i = 0; i < 2000; i++) {
		struct rf_node nodes[7];
		for (int k = 0; k < 7; k++) {
			uint32_t pick = rf_rng_below(&r, 3);
			nodes[k].a = pick == 0 ? RF_LEAF | rf_rng_below(&r, 4) : rf_rng_below(&r, 3);
			nodes[k].b = rf_rng_below(&r, 9);
			nodes[k].thr = (float)rf_rng_below(&r, 100) / 50.0f;
			nodes[k].c = 0;
		}
		struct rf_tree trees[1] = { { nodes, 1 + rf_rng_below(&r, 7), 1 } };
		struct rf_forest f = { .ntrees = 1, .nfeat = 2, .nclass = 3, .trees = trees, .nnodes = trees[0].n };
		struct rf_model_meta m = { names, classes };
		uint8_t *buf;
		uint64_t len;
		rf_model_encode(&f, &m, &buf, &len);
		struct rf_forest g;
		struct rf_model_meta gm;
		char err[RF_ERRLEN];
		if (rf_model_decode(buf, len, "r.rf", &g, &gm, err) == 0) {
			uint32_t votes[3];
			float x[2] = { 0.5f, 1.5f };
			assert_true(rf_predict_row(&g, x, votes) < 3);
			accepted++;
			rf_model_meta_free(&gm, g.nfeat);
			rf_forest_free(&g);
		} else {
			assert_non_null(strstr(err, "r.rf: tree 0 node "));
		}
		free(buf);
	}
	assert_true(accepted > 0 && accepted < 2000);
}

static void test_write_read_file(void **state)
{
	char *dir = st_test_tmpdir("rfmodel");
	char path[4096], hex[65], again[65], err[RF_ERRLEN];
	struct rf_forest f, g;
	struct rf_tree trees[2];
	struct rf_model_meta m, gm;
	uint64_t bytes;
	sample(&f, trees, &m);
	snprintf(path, sizeof(path), "%s/model.rf", dir);
	assert_int_equal(rf_model_write(path, &f, &m, hex, &bytes, err), 0);
	FILE *fp = fopen(path, "rb");
	uint8_t buf[512];
	size_t n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_int_equal(n, bytes);
	rf_sha256_hex(buf, n, again);
	assert_string_equal(hex, again);
	assert_int_equal(rf_model_read(path, &g, &gm, err), 0);
	rf_model_meta_free(&gm, g.nfeat);
	rf_forest_free(&g);
	/* Truncated on disk. */
	assert_int_equal(truncate(path, (off_t)bytes - 5), 0);
	assert_int_equal(rf_model_read(path, &g, &gm, err), -1);
	assert_non_null(strstr(err, "model.rf: truncated"));
	snprintf(path, sizeof(path), "%s/missing/model.rf", dir);
	assert_int_equal(rf_model_write(path, &f, &m, hex, &bytes, err), -1);
	assert_non_null(strstr(err, "missing/model.rf.tmp: cannot create"));
	st_test_rmtree(dir);
	free(dir);
}

/* A full disk, as a file size limit: the write fails with a message and leaves no file. */
static void test_disk_full(void **state)
{
	char *dir = st_test_tmpdir("rffull");
	char path[4096];
	snprintf(path, sizeof(path), "%s/model.rf", dir);
	pid_t pid = fork();
	if (pid == 0) {
		struct rf_forest f;
		struct rf_tree trees[2];
		struct rf_model_meta m;
		char hex[65], err[RF_ERRLEN];
		uint64_t bytes;
		struct rlimit rl = { 50, 50 };
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		sample(&f, trees, &m);
		int rc = rf_model_write(path, &f, &m, hex, &bytes, err);
		_exit(rc == -1 && strstr(err, "model.rf.tmp: write failed: File too large") ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(access(path, F_OK), -1);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);
	st_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_and_corrupted),
		cmocka_unit_test(test_bad_structure),
		cmocka_unit_test(test_random_structure),
		cmocka_unit_test(test_write_read_file),
		cmocka_unit_test(test_disk_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
