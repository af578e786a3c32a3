/* sealtrain-rf CSV reader: good files, the quirks real files have, and every bad-row error
 * with its exact file:line:column message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/sttest.h"
#include "trainer/csv.h"
#include "trainer/rng.h"
#include "trainer/sha256.h"

static char *dir;

static char *write_csv(const char *name, const char *text)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	st_test_write_file(path, text);
	return path;
}

static struct rf_csv_opts opts(void)
{
	struct rf_csv_opts o = { .label = "label", .threads = 2 };
	return o;
}

/* Loads text as x.csv, expects failure, and checks the message (after the directory). */
/* Both ways of getting at the bytes: mapped, and read into an exact-size buffer (where
 * the sanitizers see any read past the end). */
static void expect_error(const char *text, const char *want)
{
	struct rf_csv c;
	char err[RF_ERRLEN];
	struct rf_csv_opts o = opts();
	char *p = write_csv("x.csv", text);
	for (o.no_mmap = 0; o.no_mmap < 2; o.no_mmap++) {
		assert_int_equal(rf_csv_load(p, &o, &c, err), -1);
		const char *msg = strstr(err, "x.csv");
		assert_non_null(msg);
		if (strcmp(msg, want))
			fail_msg("got  \"%s\"\nwant \"%s\"", msg, want);
	}
}

static void test_good_file(void **state)
{
	struct rf_csv c;
	char err[RF_ERRLEN];
	struct rf_csv_opts o = opts();
	char *p = st_test_srcpath("tests/fixtures/rf/good.csv");
	assert_int_equal(rf_csv_load(p, &o, &c, err), 0);
	free(p);
	assert_int_equal(c.nrows, 3);
	assert_int_equal(c.nfeat, 3);
	assert_string_equal(c.names[0], "a");
	assert_string_equal(c.names[2], "c");
	assert_true(c.has_label);
	/* Column-major. */
	assert_true(c.x[0] == 0.5f && c.x[1] == 1.5f && c.x[2] == 2.5f);
	assert_true(c.x[3] == 1.0f && c.x[4] == -2.0f && c.x[5] == 3.25f);
	assert_true(c.x[7] == 300.0f && c.x[8] == -4.0f);
	assert_true(c.label[0] == 0 && c.label[1] == 1 && c.label[2] == 2);
	/* The digest is of the file's bytes, as sha256sum gives it. */
	uint8_t d[32];
	char hex[65], want[65];
	rf_csv_sha256(&c, d);
	rf_hex(d, 32, hex);
	const char text[] = "a,b,c,label\n0.5,1,2,0\n1.5,-2,3e2,1\n2.5,3.25,-4,2\n";
	rf_sha256_hex(text, sizeof(text) - 1, want);
	assert_string_equal(hex, want);
	rf_csv_free(&c);
}

static void test_quirks(void **state)
{
	struct rf_csv c;
	char err[RF_ERRLEN];
	struct rf_csv_opts o = opts();
	char *p = st_test_srcpath("tests/fixtures/rf/quirks.csv");
	int rc = rf_csv_load(p, &o, &c, err);
	free(p);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(c.nrows, 2);
	assert_int_equal(c.nfeat, 2);
	assert_string_equal(c.names[0], "a");
	assert_string_equal(c.names[1], "b, with comma");
	assert_true(c.x[0] == 1.5f && c.x[1] == 3.0f && c.x[2] == 2.0f && c.x[3] == 4.0f);
	assert_true(c.label[0] == 0 && c.label[1] == 1);
	rf_csv_free(&c);
}

static void test_label_anywhere_and_want(void **state)
{
	struct rf_csv c;
	char err[RF_ERRLEN];
	struct rf_csv_opts o = opts();
	const char *want[] = { "z", "x" };
	char *p = write_csv("w.csv", "x,y,z\n1,2,3\n4,5,6\n");
	o.want = want;
	o.nwant = 2;
	o.label_optional = 1;
	assert_int_equal(rf_csv_load(p, &o, &c, err), 0);
	assert_false(c.has_label);
	assert_int_equal(c.nfeat, 2);
	assert_true(c.x[0] == 3 && c.x[1] == 6 && c.x[2] == 1 && c.x[3] == 4);
	rf_csv_free(&c);
	o.label = "y";
	o.label_optional = 0;
	o.want = NULL;
	o.nwant = 0;
	assert_int_equal(rf_csv_load(p, &o, &c, err), 0);
	assert_int_equal(c.nfeat, 2);
	assert_true(c.label[1] == 5);
	rf_csv_free(&c);
	const char *missing[] = { "q" };
	o.want = missing;
	o.nwant = 1;
	assert_int_equal(rf_csv_load(p, &o, &c, err), -1);
	assert_non_null(strstr(err, "w.csv:1: no feature column named \"q\""));
}

static void test_bad_rows(void **state)
{
	expect_error("a,b,label\n1,2,0\n1,2,3,0\n", "x.csv:3: expected 3 columns, found 4");
	expect_error("a,b,label\n1,2\n", "x.csv:2: expected 3 columns, found 2");
	expect_error("a,b,label\n1,abc,0\n", "x.csv:2:3: column \"b\": value \"abc\" is not a number");
	expect_error("a,b,label\n1,0x10,0\n", "x.csv:2:3: column \"b\": value \"0x10\" is not a number");
	expect_error("a,b,label\n1,2,0\n\nNaN,2,1\n",
		     "x.csv:4:1: column \"a\": value \"NaN\" is not a finite number (NaN, infinity or out of range)");
	expect_error("a,b,label\n1,-inf,0\n",
		     "x.csv:2:3: column \"b\": value \"-inf\" is not a finite number (NaN, infinity or out of range)");
	expect_error("a,b,label\n1,1e999,0\n",
		     "x.csv:2:3: column \"b\": value \"1e999\" is not a finite number (NaN, infinity or out of range)");
	expect_error("a,b,label\n1,1e39,0\n",
		     "x.csv:2:3: column \"b\": value \"1e39\" is not a finite number (NaN, infinity or out of range)");
	expect_error("a,b,label\n1,2,\n", "x.csv:2:5: column \"label\": missing label");
	expect_error("a,b,label\n1,,0\n", "x.csv:2:3: column \"b\": empty value");
	expect_error("a,b,label\n1,2,0.5\n", "x.csv:2:5: column \"label\": value \"0.5\" is not an integer label");
	expect_error("a,b,label\n1,\"2,0\n", "x.csv:2:3: column \"b\": unterminated quoted field");
	expect_error("a,b,label\n1,\"2\"x,0\n", "x.csv:2:3: column \"b\": text after a closing quote");
	expect_error("a,b,target\n1,2,0\n", "x.csv:1: no column named \"label\" for the label");
	expect_error("a,a,label\n1,2,0\n", "x.csv:1:3: header: duplicate column name \"a\"");
	expect_error("a,,label\n1,2,0\n", "x.csv:1:3: header: empty column name");
	expect_error("label\n1\n", "x.csv:1: no feature columns besides the label");
	expect_error("a,b,label\n", "x.csv: no data rows");
	/* Found by tests/fuzz/fuzz_csv: a header ending the file used to read past it. */
	expect_error("a,b,label", "x.csv: no data rows");
	expect_error("\n\n", "x.csv: no header row");
	expect_error("", "x.csv: empty file");
	/* A newline inside a quoted header name still counts as a line. */
	expect_error("\"a\nb\",label\n1,0\nz,1\n", "x.csv:4:1: column \"a\nb\": value \"z\" is not a number");
}

static void test_skip_bad_rows(void **state)
{
	struct rf_csv c;
	char err[RF_ERRLEN];
	struct rf_csv_opts o = opts();
	o.skip_bad_rows = 1;
	char *p = write_csv("s.csv", "a,b,label\n1,2,0\nbad,2,1\n3,4,1\n5,6\n7,8,0\n");
	assert_int_equal(rf_csv_load(p, &o, &c, err), 0);
	assert_int_equal(c.nrows, 3);
	assert_int_equal(c.skipped, 2);
	assert_non_null(strstr(c.first_skip, "s.csv:3:1: column \"a\": value \"bad\" is not a number"));
	assert_true(c.x[0] == 1 && c.x[1] == 3 && c.x[2] == 7);
	assert_true(c.x[3] == 2 && c.x[4] == 4 && c.x[5] == 8);
	assert_true(c.label[0] == 0 && c.label[1] == 1 && c.label[2] == 0);
	rf_csv_free(&c);
}

static void test_many_rows_threads(void **state)
{
	/* Enough rows for several parsing threads; the first bad row (lowest line) wins. */
	size_t cap = 64 * 20000 + 64, n = 0;
	char *text = malloc(cap);
	n += (size_t)sprintf(text + n, "a,b,label\n");
	for (int i = 0; i < 20000; i++)
		n += (size_t)sprintf(text + n, "%d.5,%d,%d\n", i, -i, i % 3);
	char *p = write_csv("m.csv", text);
	struct rf_csv c;
	char err[RF_ERRLEN];
	struct rf_csv_opts o = opts();
	o.threads = 4;
	assert_int_equal(rf_csv_load(p, &o, &c, err), 0);
	assert_int_equal(c.nrows, 20000);
	assert_true(c.x[12345] == 12345.5f && c.x[20000 + 19999] == -19999.0f);
	assert_true(c.label[19999] == 19999 % 3);
	rf_csv_free(&c);
	memcpy(strstr(text, "\n15000.5,") + 1, "1500x", 5);
	memcpy(strstr(text, "\n17000.5,") + 1, "1700y", 5);
	p = write_csv("m.csv", text);
	assert_int_equal(rf_csv_load(p, &o, &c, err), -1);
	assert_non_null(strstr(err, "m.csv:15002:1: column \"a\": value \"1500x.5\" is not a number"));
	free(text);
}

/* Where a file cannot be mapped it is read: same rows, same errors. */
static void test_read_fallback(void **state)
{
	struct rf_csv c;
	char err[RF_ERRLEN];
	struct rf_csv_opts o = opts();
	o.no_mmap = 1;
	char *p = st_test_srcpath("tests/fixtures/rf/quirks.csv");
	assert_int_equal(rf_csv_load(p, &o, &c, err), 0);
	free(p);
	assert_int_equal(c.nrows, 2);
	assert_true(c.x[0] == 1.5f && c.x[3] == 4.0f);
	rf_csv_free(&c);
	p = write_csv("r.csv", "a,b,label\n1,2,0\n1,zz,1\n");
	assert_int_equal(rf_csv_load(p, &o, &c, err), -1);
	assert_non_null(strstr(err, "r.csv:3:3: column \"b\": value \"zz\" is not a number"));
	o.max_memory = 10;
	assert_int_equal(rf_csv_load(p, &o, &c, err), -1);
	assert_non_null(strstr(err, "r.csv: too large for memory: needs more than 0 MiB"));
}

static void test_memory_refusal(void **state)
{
	struct rf_csv c;
	char err[RF_ERRLEN];
	struct rf_csv_opts o = opts();
	o.max_memory = 100;
	char *p = write_csv("big.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,0\n");
	assert_int_equal(rf_csv_load(p, &o, &c, err), -1);
	assert_non_null(strstr(err, "big.csv: too large for memory: needs about"));
	assert_non_null(strstr(err, "MiB available"));
}

static void test_not_a_file(void **state)
{
	struct rf_csv c;
	char err[RF_ERRLEN];
	struct rf_csv_opts o = opts();
	assert_int_equal(rf_csv_load(dir, &o, &c, err), -1);
	assert_non_null(strstr(err, ": not a regular file"));
	char missing[4096];
	snprintf(missing, sizeof(missing), "%s/nope.csv", dir);
	assert_int_equal(rf_csv_load(missing, &o, &c, err), -1);
	assert_non_null(strstr(err, "nope.csv: cannot open: No such file or directory"));
}

/* Random bytes drawn from CSV's alphabet: every file either loads or fails with a message
 * naming it, and nothing reads outside the buffer (run under the sanitizers). */
static void test_random_garbage(void **state)
{
	static const char alpha[] = "0123456789.,,,\"\"\n\n\r -+eEnaNilbx\xef\xbb\xbf";
	struct rf_rng r;
	rf_rng_init(&r, 99, 1, 1);
	char text[300], err[RF_ERRLEN];
	int loaded = 0;
	for (int i = 0; i < 400; i++) {
		size_t n = rf_rng_below(&r, sizeof(text) - 1);
		size_t k = 0;
		if (i % 2)
			k = (size_t)sprintf(text, "a,b,label\n");
		for (; k < n; k++)
			text[k] = alpha[rf_rng_below(&r, sizeof(alpha) - 1)];
		text[k] = '\0';
		char *p = write_csv("g.csv", text);
		struct rf_csv_opts o = opts();
		o.no_mmap = i % 3 == 0;
		o.skip_bad_rows = i % 4 == 0;
		struct rf_csv c;
		if (rf_csv_load(p, &o, &c, err) == 0) {
			loaded++;
			rf_csv_free(&c);
		} else {
			assert_non_null(strstr(err, "g.csv"));
		}
	}
	assert_true(loaded < 400);
}

static void test_parse_number(void **state)
{
	double v;
	const char *ok[] = { "0", "-0.25", " 3 ", "1.5e-3", "+7", ".5", "5.", "1E2",
			     "0.12345678901234567890123", "123456789012345678901234" };
	const double want[] = { 0, -0.25, 3, 1.5e-3, 7, 0.5, 5, 100, 0.12345678901234567890123,
				123456789012345678901234.0 };
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		assert_int_equal(rf_parse_number(ok[i], ok[i] + strlen(ok[i]), &v), 0);
		assert_true(v == want[i]);
	}
	const char *bad[] = { "", " ", "-", "e5", "1e", "1.2.3", "0x1p3", "1,5", "--1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(rf_parse_number(bad[i], bad[i] + strlen(bad[i]), &v), -1);
	const char *inf[] = { "nan", "-Infinity", "inf", "1e400", "-3.5e38" };
	for (size_t i = 0; i < sizeof(inf) / sizeof(*inf); i++)
		assert_int_equal(rf_parse_number(inf[i], inf[i] + strlen(inf[i]), &v), -2);
}

int main(void)
{
	dir = st_test_tmpdir("rfcsv");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_quirks),
		cmocka_unit_test(test_label_anywhere_and_want),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_skip_bad_rows),
		cmocka_unit_test(test_many_rows_threads),
		cmocka_unit_test(test_read_fallback),
		cmocka_unit_test(test_memory_refusal),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_random_garbage),
		cmocka_unit_test(test_parse_number),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	st_test_rmtree(dir);
	free(dir);
	return rc;
}
