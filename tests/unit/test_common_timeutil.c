/* common/timeutil: RFC 3339 both ways, durations both ways, clocks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/timeutil.h"

static void t_rfc3339_format(void **state)
{
	(void)state;
	char b[40];
	st_rfc3339_format(0, b, sizeof b);
	assert_string_equal(b, "1970-01-01T00:00:00.000Z");
	st_rfc3339_format(1795636629123LL, b, sizeof b);
	assert_string_equal(b, "2026-11-25T19:57:09.123Z");
	st_rfc3339_format(-1, b, sizeof b); /* before the epoch: the millisecond borrows a second */
	assert_string_equal(b, "1969-12-31T23:59:59.999Z");
}

static void t_rfc3339_parse(void **state)
{
	(void)state;
	int64_t ms = 0;
	assert_int_equal(st_rfc3339_parse("2026-11-25T19:57:09.123Z", &ms), 0);
	assert_int_equal(ms, 1795636629123LL);
	assert_int_equal(st_rfc3339_parse("2026-11-25T19:57:09Z", &ms), 0);
	assert_int_equal(ms, 1795636629000LL);
	assert_int_equal(st_rfc3339_parse("2026-11-25T20:57:09.123456789+01:00", &ms), 0);
	assert_int_equal(ms, 1795636629123LL);
	assert_int_equal(st_rfc3339_parse("2026-11-25t14:57:09-05:00", &ms), 0);
	assert_int_equal(ms, 1795636629000LL);
	assert_int_equal(st_rfc3339_parse("2024-02-29T00:00:00Z", &ms), 0); /* leap day */
	char b[40];
	st_rfc3339_format(ms, b, sizeof b);
	assert_string_equal(b, "2024-02-29T00:00:00.000Z");

	const char *bad[] = {
		"", "2026-11-25", "2026-11-25T19:57:09", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
		"2026-11-32T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
		"2026-11-25T24:00:00Z", "2026-11-25T19:60:00Z", "2026-11-25T19:57:09.Z", "2026-11-25T19:57:09Zjunk",
		"2026-11-25T19:57:09+0100", "2026-11-25T19:57:09+25:00", "26-11-25T19:57:09Z", "2026/11/25T19:57:09Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ms = 42;
		if (st_rfc3339_parse(bad[i], &ms) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(ms, 42);
	}
}

static void t_duration(void **state)
{
	(void)state;
	const struct {
		const char *s;
		int64_t secs;
	} good[] = {
		{"30d", 2592000}, {"12h", 43200}, {"2592000s", 2592000}, {"90m", 5400},
		{"1.5s", 1},      {"0s", 0},      {"36500d", 36500LL * 86400},
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		int64_t s = -1;
		assert_int_equal(st_duration_parse(good[i].s, &s), 0);
		assert_int_equal(s, good[i].secs);
	}
	const char *bad[] = {"", "30", "d", "-5s", " 5s", "5 s", "5sec", "1.5h", "1.s", "5S",
			     "36501d", "99999999999999999999s", "3.", NULL};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int64_t s = 7;
		if (st_duration_parse(bad[i], &s) != -1)
			fail_msg("accepted \"%s\"", bad[i] ? bad[i] : "(null)");
		assert_int_equal(s, 7);
	}
	char b[32];
	st_duration_format(2592000, b, sizeof b);
	assert_string_equal(b, "2592000s");
}

static void t_clocks(void **state)
{
	(void)state;
	int64_t a = st_mono_ms(), b = st_mono_ms();
	assert_true(b >= a);
	/* After 2020 and before 2200: a sane wall clock in milliseconds. */
	int64_t w = st_wall_ms();
	assert_true(w > 1577836800000LL && w < 7258118400000LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_rfc3339_format),
		cmocka_unit_test(t_rfc3339_parse),
		cmocka_unit_test(t_duration),
		cmocka_unit_test(t_clocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
