/* common/ring: the log tail keeps the newest lines and counts what it dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/ring.h"

static void t_fill_and_wrap(void **state)
{
	(void)state;
	st_ring *r = st_ring_new(3);
	assert_int_equal(st_ring_capacity(r), 3);
	assert_int_equal(st_ring_count(r), 0);
	assert_null(st_ring_get(r, 0));
	st_ring_push(r, "a");
	st_ring_push(r, "b");
	assert_int_equal(st_ring_count(r), 2);
	assert_string_equal(st_ring_get(r, 0), "a");
	assert_string_equal(st_ring_get(r, 1), "b");
	assert_null(st_ring_get(r, 2));
	char line[16];
	for (int i = 0; i < 10; i++) {
		snprintf(line, sizeof line, "line %d", i);
		st_ring_push(r, line);
	}
	/* Oldest first, only the newest three kept. */
	assert_int_equal(st_ring_count(r), 3);
	assert_string_equal(st_ring_get(r, 0), "line 7");
	assert_string_equal(st_ring_get(r, 1), "line 8");
	assert_string_equal(st_ring_get(r, 2), "line 9");
	assert_null(st_ring_get(r, 3));
	assert_null(st_ring_get(r, SIZE_MAX));
	assert_int_equal(st_ring_total(r), 12);
	st_ring_free(r);
}

static void t_copies_lines(void **state)
{
	(void)state;
	st_ring *r = st_ring_new(2);
	char buf[8] = "first";
	st_ring_push(r, buf);
	strcpy(buf, "changed");
	assert_string_equal(st_ring_get(r, 0), "first");
	st_ring_push(r, "");
	assert_string_equal(st_ring_get(r, 1), "");
	st_ring_free(r);
}

static void t_clear_and_zero(void **state)
{
	(void)state;
	st_ring *r = st_ring_new(0); /* a zero capacity still keeps the newest line */
	assert_int_equal(st_ring_capacity(r), 1);
	st_ring_push(r, "x");
	st_ring_push(r, "y");
	assert_int_equal(st_ring_count(r), 1);
	assert_string_equal(st_ring_get(r, 0), "y");
	st_ring_clear(r);
	assert_int_equal(st_ring_count(r), 0);
	assert_null(st_ring_get(r, 0));
	assert_int_equal(st_ring_total(r), 2); /* the reader's count of missed lines survives */
	st_ring_push(r, "z");
	assert_string_equal(st_ring_get(r, 0), "z");
	st_ring_free(r);
	st_ring_free(NULL);
}

/* Memory stays flat however many lines pass through (checked by ASan for leaks). */
static void t_many(void **state)
{
	(void)state;
	st_ring *r = st_ring_new(1000);
	char line[32];
	for (int i = 0; i < 100000; i++) {
		snprintf(line, sizeof line, "%d", i);
		st_ring_push(r, line);
	}
	assert_int_equal(st_ring_count(r), 1000);
	assert_string_equal(st_ring_get(r, 0), "99000");
	assert_string_equal(st_ring_get(r, 999), "99999");
	st_ring_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_fill_and_wrap),
		cmocka_unit_test(t_copies_lines),
		cmocka_unit_test(t_clear_and_zero),
		cmocka_unit_test(t_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
