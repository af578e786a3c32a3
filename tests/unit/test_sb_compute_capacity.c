/* GPU capacity model: shapes, the seeded tenant schedule, free capacity, preemption. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/capacity.h"

static void shapes(void **state)
{
	char gpu[64], err[256];
	json_error_t je;
	json_t *a100 = json_loads("[{\"acceleratorType\":\"zones/z/acceleratorTypes/nvidia-tesla-a100\","
				  "\"acceleratorCount\":2}]", 0, &je);
	json_t *mixed = json_loads("[{\"acceleratorType\":\"nvidia-l4\",\"acceleratorCount\":1},"
				   "{\"acceleratorType\":\"nvidia-tesla-t4\",\"acceleratorCount\":1}]",
				   0, &je);
	json_t *zero = json_loads("[{\"acceleratorType\":\"nvidia-l4\",\"acceleratorCount\":0}]", 0, &je);

	assert_int_equal(cap_shape_gpus("zones/z/machineTypes/a3-highgpu-1g", NULL, gpu, sizeof(gpu),
					err, sizeof(err)), 1);
	assert_string_equal(gpu, "nvidia-h100-80gb");
	assert_int_equal(cap_shape_gpus("a2-highgpu-2g", a100, gpu, sizeof(gpu), err, sizeof(err)), 2);
	assert_string_equal(gpu, "nvidia-tesla-a100");
	assert_int_equal(cap_shape_gpus("n1-standard-8", a100, gpu, sizeof(gpu), err, sizeof(err)), 2);
	assert_int_equal(cap_shape_gpus("e2-small", NULL, gpu, sizeof(gpu), err, sizeof(err)), 0);
	assert_string_equal(gpu, "");
	assert_int_equal(cap_shape_gpus("n1-standard-8", mixed, gpu, sizeof(gpu), err, sizeof(err)), -1);
	assert_int_equal(cap_shape_gpus("n1-standard-8", zero, gpu, sizeof(gpu), err, sizeof(err)), -1);
	assert_int_equal(cap_shape_gpus("a3-highgpu-xg", NULL, gpu, sizeof(gpu), err, sizeof(err)), -1);
	assert_string_equal(cap_basename("a/b/c"), "c");
	assert_string_equal(cap_basename("c"), "c");
	json_decref(a100);
	json_decref(mixed);
	json_decref(zero);
}

static void tenants(void **state)
{
	int seen[3] = {0, 0, 0}, v, i;

	/* Same inputs, same answer; constant within a slot; stays in range and moves. */
	assert_int_equal(cap_tenant_gpus(42, "us-central1-a", 10000, 2, 60),
			 cap_tenant_gpus(42, "us-central1-a", 10000, 2, 60));
	assert_int_equal(cap_tenant_gpus(42, "us-central1-a", 60000, 2, 60),
			 cap_tenant_gpus(42, "us-central1-a", 119999, 2, 60));
	for (i = 0; i < 300; i++) {
		v = cap_tenant_gpus(7, "z", (int64_t)i * 60000, 2, 60);
		assert_in_range(v, 0, 2);
		seen[v]++;
	}
	assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
	assert_int_equal(cap_tenant_gpus(7, "z", 1000, 0, 60), 0);
}

static void free_and_preempt(void **state)
{
	assert_int_equal(cap_free(2, 1, 0, 0), 1);
	assert_int_equal(cap_free(2, 1, 1, 1), 0);
	assert_int_equal(cap_free(2, 0, 0, 0), 2);
	assert_false(cap_preempt_now(0, 100, 0.0));
	assert_true(cap_preempt_now(3600, 1000, 0.5));  /* one per second, over a second */
	assert_false(cap_preempt_now(1, 100, 0.5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shapes),
		cmocka_unit_test(tenants),
		cmocka_unit_test(free_and_preempt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
