/* Unit tests: Range header handling for object media (sandbox/storage_range.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sandbox/storage_range.h"

static void check(const char *h, uint64_t size, int want, uint64_t off, uint64_t len)
{
	uint64_t o = 12345, l = 12345;
	assert_int_equal(sb_range_parse(h, size, &o, &l), want);
	if (want == SB_RANGE_PARTIAL) {
		assert_int_equal(o, off);
		assert_int_equal(l, len);
	}
}

static void closed_open_and_suffix(void **st)
{
	check("bytes=0-9", 100, SB_RANGE_PARTIAL, 0, 10);
	check("bytes=10-", 100, SB_RANGE_PARTIAL, 10, 90);
	check("bytes=-5", 100, SB_RANGE_PARTIAL, 95, 5);
	check("bytes=-500", 100, SB_RANGE_PARTIAL, 0, 100);
	check("bytes=90-1000", 100, SB_RANGE_PARTIAL, 90, 10);
	check("BYTES=99-99", 100, SB_RANGE_PARTIAL, 99, 1);
}

static void unsatisfiable(void **st)
{
	check("bytes=100-", 100, SB_RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=100-200", 100, SB_RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=-0", 100, SB_RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=0-", 0, SB_RANGE_UNSATISFIABLE, 0, 0);
}

static void ignored_forms(void **st)
{
	check(NULL, 100, SB_RANGE_FULL, 0, 0);
	check("", 100, SB_RANGE_FULL, 0, 0);
	check("items=0-1", 100, SB_RANGE_FULL, 0, 0);
	check("bytes=5-1", 100, SB_RANGE_FULL, 0, 0);
	check("bytes=0-1,5-6", 100, SB_RANGE_FULL, 0, 0);
	check("bytes=a-b", 100, SB_RANGE_FULL, 0, 0);
	check("bytes=1-2x", 100, SB_RANGE_FULL, 0, 0);
	check("bytes=--1", 100, SB_RANGE_FULL, 0, 0);
	check("bytes=99999999999999999999999-", 100, SB_RANGE_FULL, 0, 0);
	check("bytes=-1-2", 100, SB_RANGE_FULL, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(closed_open_and_suffix),
		cmocka_unit_test(unsatisfiable),
		cmocka_unit_test(ignored_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
