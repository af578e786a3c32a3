/* Compute validation rules: confidential types per machine family, the one valid
 * GPU Confidential VM shape, scheduling constraints, names and request ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/compute_validate.h"

static int check(const char *json, char *err, size_t errlen)
{
	json_error_t je;
	json_t *v = json_loads(json, 0, &je);
	int rc;

	assert_non_null(v);
	err[0] = '\0';
	rc = cv_check_instance(v, err, errlen);
	json_decref(v);
	return rc;
}

static void gpu_cvm_valid(void **state)
{
	char err[512];

	assert_int_equal(check("{\"machineType\":\"zones/us-central1-a/machineTypes/a3-highgpu-1g\","
			       "\"guestAccelerators\":[{\"acceleratorType\":\"nvidia-h100-80gb\","
			       "\"acceleratorCount\":1}],"
			       "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"TDX\"},"
			       "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}",
			       err, sizeof(err)), 0);
	/* The A3 shape implies its GPU, so accelerators may be left out. */
	assert_int_equal(check("{\"machineType\":\"a3-highgpu-1g\","
			       "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"TDX\"},"
			       "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}",
			       err, sizeof(err)), 0);
}

static void recipe_a100_snp_refused(void **state)
{
	char err[512];

	assert_int_equal(check("{\"machineType\":\"a2-highgpu-1g\","
			       "\"guestAccelerators\":[{\"acceleratorType\":\"nvidia-tesla-a100\","
			       "\"acceleratorCount\":1}],"
			       "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"SEV_SNP\"},"
			       "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}",
			       err, sizeof(err)), -1);
	assert_non_null(strstr(err, "SEV_SNP"));
	assert_non_null(strstr(err, "a2-highgpu-1g"));
	assert_non_null(strstr(err, "a3-highgpu-1g"));
}

static void families(void **state)
{
	char err[512];

	/* SEV_SNP: N2D only, with the Milan platform. */
	assert_int_equal(check("{\"machineType\":\"n2d-standard-4\",\"minCpuPlatform\":\"AMD Milan\","
			       "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"SEV_SNP\"},"
			       "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}", err, sizeof(err)), 0);
	assert_int_equal(check("{\"machineType\":\"n2d-standard-4\","
			       "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"SEV_SNP\"},"
			       "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "AMD Milan"));
	assert_int_equal(check("{\"machineType\":\"c3-standard-4\","
			       "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"SEV\"},"
			       "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "c3-standard-4"));
	assert_int_equal(check("{\"machineType\":\"c3-standard-4\","
			       "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"TDX\"},"
			       "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}", err, sizeof(err)), 0);
	/* Legacy switch means SEV. */
	assert_int_equal(check("{\"machineType\":\"n2d-standard-2\","
			       "\"confidentialInstanceConfig\":{\"enableConfidentialCompute\":true},"
			       "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}", err, sizeof(err)), 0);
	/* Confidential without TERMINATE. */
	assert_int_equal(check("{\"machineType\":\"c3-standard-4\","
			       "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"TDX\"}}",
			       err, sizeof(err)), -1);
	assert_non_null(strstr(err, "TERMINATE"));
	/* SCSI disk on a Confidential VM. */
	assert_int_equal(check("{\"machineType\":\"c3-standard-4\",\"disks\":[{\"interface\":\"SCSI\"}],"
			       "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"TDX\"},"
			       "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NVMe"));
}

static void scheduling_rules(void **state)
{
	char err[512];

	assert_int_equal(check("{\"machineType\":\"e2-small\",\"scheduling\":"
			       "{\"provisioningModel\":\"BOGUS\"}}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "provisioningModel"));
	assert_int_equal(check("{\"machineType\":\"a3-highgpu-1g\"}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "live migration"));
	assert_int_equal(check("{\"machineType\":\"a3-highgpu-1g\",\"scheduling\":"
			       "{\"onHostMaintenance\":\"TERMINATE\",\"provisioningModel\":\"FLEX_START\"}}",
			       err, sizeof(err)), -1);
	assert_non_null(strstr(err, "maxRunDuration"));
	assert_int_equal(check("{\"machineType\":\"a3-highgpu-1g\",\"scheduling\":"
			       "{\"onHostMaintenance\":\"TERMINATE\",\"provisioningModel\":\"FLEX_START\","
			       "\"maxRunDuration\":{\"seconds\":\"700000\"}}}", err, sizeof(err)), -1);
	assert_int_equal(check("{\"machineType\":\"a3-highgpu-1g\",\"scheduling\":"
			       "{\"onHostMaintenance\":\"TERMINATE\",\"provisioningModel\":\"FLEX_START\","
			       "\"maxRunDuration\":{\"seconds\":\"3600\"},"
			       "\"instanceTerminationAction\":\"DELETE\"}}", err, sizeof(err)), 0);
	assert_int_equal(check("{\"machineType\":\"a3-highgpu-1g\",\"scheduling\":"
			       "{\"onHostMaintenance\":\"TERMINATE\",\"provisioningModel\":\"FLEX_START\","
			       "\"maxRunDuration\":{\"seconds\":\"3600\"}},\"reservationAffinity\":"
			       "{\"consumeReservationType\":\"SPECIFIC_RESERVATION\",\"values\":[\"r\"]}}",
			       err, sizeof(err)), -1);
	/* Explicit accelerators that contradict the A3 shape. */
	assert_int_equal(check("{\"machineType\":\"a3-highgpu-1g\",\"guestAccelerators\":"
			       "[{\"acceleratorType\":\"nvidia-tesla-a100\",\"acceleratorCount\":1}],"
			       "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}", err, sizeof(err)), -1);
	assert_int_equal(check("{}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "machineType"));
	assert_int_equal(check("[]", err, sizeof(err)), -1);
}

static void reservation_rules(void **state)
{
	char err[512];
	json_error_t je;
	json_t *ok = json_loads("{\"name\":\"cgpu-res\",\"specificReservation\":{\"count\":\"1\","
				"\"instanceProperties\":{\"machineType\":\"a3-highgpu-1g\"}}}", 0, &je);
	json_t *bad = json_loads("{\"name\":\"Bad_Name\",\"specificReservation\":{\"count\":\"1\"}}",
				 0, &je);
	json_t *nocount = json_loads("{\"name\":\"r\",\"specificReservation\":{\"count\":\"0\","
				     "\"instanceProperties\":{\"machineType\":\"a3-highgpu-1g\"}}}", 0, &je);

	assert_int_equal(cv_check_reservation(ok, err, sizeof(err)), 0);
	assert_int_equal(cv_check_reservation(bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "resource.name"));
	assert_int_equal(cv_check_reservation(nocount, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "count"));
	json_decref(ok);
	json_decref(bad);
	json_decref(nocount);
}

static void names_and_ids(void **state)
{
	assert_true(cv_name_ok("cgpu-vm"));
	assert_true(cv_name_ok("a"));
	assert_false(cv_name_ok("1abc"));
	assert_false(cv_name_ok("abc-"));
	assert_false(cv_name_ok("ABC"));
	assert_false(cv_name_ok(""));
	assert_true(cv_request_id_ok("123e4567-e89b-42d3-a456-426614174000"));
	assert_false(cv_request_id_ok("00000000-0000-0000-0000-000000000000"));
	assert_false(cv_request_id_ok("123e4567e89b42d3a456426614174000"));
	assert_false(cv_request_id_ok("123e4567-e89b-42d3-a456-42661417400g"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gpu_cvm_valid),
		cmocka_unit_test(recipe_a100_snp_refused),
		cmocka_unit_test(families),
		cmocka_unit_test(scheduling_rules),
		cmocka_unit_test(reservation_rules),
		cmocka_unit_test(names_and_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
