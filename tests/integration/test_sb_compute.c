/* Compute Engine against the real sandbox: reservations, templates, instances,
 * operations, validation, requestId replay, capacity and Flex-start queueing. */
#include "tests/integration/test_sb_compute_util.h"

#include <pthread.h>

#include "common/timeutil.h"

#define TDX_PROPS \
	"\"machineType\":\"a3-highgpu-1g\"," \
	"\"guestAccelerators\":[{\"acceleratorType\":\"nvidia-h100-80gb\",\"acceleratorCount\":1}]," \
	"\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"TDX\"}," \
	"\"shieldedInstanceConfig\":{\"enableSecureBoot\":true,\"enableVtpm\":true," \
	"\"enableIntegrityMonitoring\":true}," \
	"\"disks\":[{\"boot\":true,\"interface\":\"NVME\"}]"

static const char *const fast[] = {"--time-scale", "20", NULL};
static const char *const one_gpu[] = {"--time-scale", "20", "--gpus-per-zone", "1", NULL};

static int setup(void **state)
{
	*state = sbt_new(fast);
	return 0;
}

static int setup_one_gpu(void **state)
{
	*state = sbt_new(one_gpu);
	return 0;
}

static void no_error(const json_t *op)
{
	if (stj_get(op, "error"))
		fprintf(stderr, "operation failed: %s\n", stj_str(op, "error.errors.0.message"));
	assert_null(stj_get(op, "error"));
	assert_string_equal(stj_str(op, "status"), "DONE");
}

static void op_error(const json_t *op, const char *code, const char *needle)
{
	assert_string_equal(stj_str(op, "status"), "DONE");
	assert_non_null(stj_get(op, "error"));
	assert_string_equal(stj_str(op, "error.errors.0.code"), code);
	if (needle)
		assert_non_null(strstr(stj_str(op, "error.errors.0.message"), needle));
	assert_non_null(stj_get(op, "httpErrorStatusCode"));
}

static void t_reservations(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	json_t *op;

	op = ct_op(sb, "POST", CZ "/reservations", "{\"name\":\"res-a\",\"specificReservationRequired\""
		   ":true,\"specificReservation\":{\"count\":\"1\",\"instanceProperties\":{"
		   "\"machineType\":\"a3-highgpu-1g\"}}}");
	no_error(op);
	assert_string_equal(stj_str(op, "operationType"), "insert");
	json_decref(op);
	sbt_call(sb, "GET", CZ "/reservations/res-a", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "kind"), "compute#reservation");
	assert_string_equal(sbt_str(&r, "specificReservation.count"), "1");
	assert_string_equal(sbt_str(&r, "specificReservation.inUseCount"), "0");
	assert_string_equal(sbt_str(&r, "status"), "READY");
	assert_true(stj_bool(r.json, "specificReservationRequired", false));
	assert_null(stj_get(r.json, "_sb"));
	st_http_free(&r);
	/* Same name again: 409 in the compute envelope (errors[] too). */
	sbt_call(sb, "POST", CZ "/reservations", "{\"name\":\"res-a\",\"specificReservation\":"
		 "{\"count\":\"1\",\"instanceProperties\":{\"machineType\":\"a3-highgpu-1g\"}}}", 409, &r);
	ct_error(&r, 409, "ALREADY_EXISTS", "res-a");
	assert_string_equal(sbt_str(&r, "error.errors.0.reason"), "alreadyExists");
	st_http_free(&r);
	sbt_call(sb, "GET", CZ "/reservations", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "kind"), "compute#reservationList");
	assert_int_equal(json_array_size(stj_get(r.json, "items")), 1);
	st_http_free(&r);
	/* Resize to 2 is fine (2 GPUs in the zone), to 3 exceeds the zone. */
	op = ct_op(sb, "POST", CZ "/reservations/res-a/resize", "{\"specificSkuCount\":\"2\"}");
	no_error(op);
	json_decref(op);
	op = ct_op(sb, "POST", CZ "/reservations/res-a/resize", "{\"specificSkuCount\":\"3\"}");
	op_error(op, "ZONE_RESOURCE_POOL_EXHAUSTED", "does not have enough resources");
	json_decref(op);
	sbt_call(sb, "POST", CZ "/reservations/res-a/resize", "{\"specificSkuCount\":\"0\"}", 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "specificSkuCount");
	st_http_free(&r);
	ct_until(sb, CZ "/reservations/res-a", "specificReservation.count", "2", 0);
	op = ct_op(sb, "DELETE", CZ "/reservations/res-a", NULL);
	no_error(op);
	json_decref(op);
	sbt_call(sb, "GET", CZ "/reservations/res-a", NULL, 404, &r);
	ct_error(&r, 404, "NOT_FOUND", "res-a");
	st_http_free(&r);
	sbt_call(sb, "DELETE", CZ "/reservations/res-a", NULL, 404, &r);
	st_http_free(&r);
	/* Bad bodies. */
	sbt_call(sb, "POST", CZ "/reservations", "{\"name\":\"Bad_Name\"}", 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "resource.name");
	st_http_free(&r);
	sbt_call(sb, "POST", CZ "/reservations", "{\"name\":\"r1\",\"specificReservation\":{}}", 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "count");
	st_http_free(&r);
	sbt_call(sb, "POST", CZ "/reservations", "{not json", 400, &r);
	st_http_free(&r);
}

static void t_request_id_replay(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r1, r2;
	const char *body = "{\"name\":\"res-rid\",\"specificReservation\":{\"count\":\"1\","
			   "\"instanceProperties\":{\"machineType\":\"e2-small\"}}}";

	sbt_call(sb, "POST", CZ "/reservations?requestId=6f1c8a8e-2f6b-4d3e-9a55-0d6a1f2b3c4d", body,
		 200, &r1);
	sbt_call(sb, "POST", CZ "/reservations?requestId=6f1c8a8e-2f6b-4d3e-9a55-0d6a1f2b3c4d", body,
		 200, &r2);
	/* Same operation back, no 409: the retry was recognised. */
	assert_string_equal(sbt_str(&r1, "name"), sbt_str(&r2, "name"));
	assert_null(stj_get(r2.json, "error"));
	st_http_free(&r1);
	st_http_free(&r2);
	sbt_call(sb, "GET", CZ "/reservations", NULL, 200, &r1);
	assert_int_equal(json_array_size(stj_get(r1.json, "items")), 1);
	st_http_free(&r1);
	/* Without the id, the duplicate is refused. */
	sbt_call(sb, "POST", CZ "/reservations", body, 409, &r1);
	st_http_free(&r1);
	sbt_call(sb, "POST", CZ "/reservations?requestId=00000000-0000-0000-0000-000000000000", body,
		 400, &r1);
	ct_error(&r1, 400, "INVALID_ARGUMENT", "requestId");
	st_http_free(&r1);
	sbt_call(sb, "POST", CZ "/reservations?requestId=nope", body, 400, &r1);
	st_http_free(&r1);
	/* Instance insert with a repeated requestId makes one instance. */
	sbt_call(sb, "POST", CZ "/instances?requestId=0b7e3a5c-1d2e-4f60-8a9b-c0d1e2f3a4b5",
		 "{\"name\":\"vm-rid\",\"machineType\":\"e2-small\"}", 200, &r1);
	sbt_call(sb, "POST", CZ "/instances?requestId=0b7e3a5c-1d2e-4f60-8a9b-c0d1e2f3a4b5",
		 "{\"name\":\"vm-rid\",\"machineType\":\"e2-small\"}", 200, &r2);
	assert_string_equal(sbt_str(&r1, "name"), sbt_str(&r2, "name"));
	st_http_free(&r1);
	st_http_free(&r2);
	sbt_call(sb, "GET", CZ "/instances", NULL, 200, &r1);
	assert_int_equal(json_array_size(stj_get(r1.json, "items")), 1);
	st_http_free(&r1);
	json_decref(ct_op(sb, "DELETE", CZ "/instances/vm-rid", NULL));
	json_decref(ct_op(sb, "DELETE", CZ "/reservations/res-rid", NULL));
}

static void t_templates_and_validation(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	json_t *op;

	/* The recipe's shape is refused with the reason. */
	sbt_call(sb, "POST", CG "/instanceTemplates", "{\"name\":\"recipe\",\"properties\":{"
		 "\"machineType\":\"a2-highgpu-1g\",\"guestAccelerators\":[{\"acceleratorType\":"
		 "\"nvidia-tesla-a100\",\"acceleratorCount\":1}],\"confidentialInstanceConfig\":"
		 "{\"confidentialInstanceType\":\"SEV_SNP\"},\"scheduling\":{\"onHostMaintenance\":"
		 "\"TERMINATE\"}}}", 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "a3-highgpu-1g");
	assert_non_null(strstr(sbt_str(&r, "error.message"), "SEV_SNP"));
	st_http_free(&r);
	sbt_call(sb, "POST", CZ "/instances", "{\"name\":\"snp\",\"machineType\":\"c3-standard-4\","
		 "\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"SEV_SNP\"},"
		 "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}", 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "c3-standard-4");
	st_http_free(&r);
	op = ct_op(sb, "POST", CG "/instanceTemplates", "{\"name\":\"tmpl-tdx\",\"properties\":{"
		   TDX_PROPS ",\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}}");
	no_error(op);
	assert_non_null(strstr(stj_str(op, "selfLink"), "/global/operations/"));
	json_decref(op);
	sbt_call(sb, "GET", CG "/instanceTemplates/tmpl-tdx", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "kind"), "compute#instanceTemplate");
	assert_string_equal(sbt_str(&r, "properties.confidentialInstanceConfig.confidentialInstanceType"),
			    "TDX");
	st_http_free(&r);
	sbt_call(sb, "POST", CG "/instanceTemplates", "{\"name\":\"tmpl-tdx\",\"properties\":{"
		 "\"machineType\":\"e2-small\"}}", 409, &r);
	st_http_free(&r);
	/* Instance from the missing template. */
	sbt_call(sb, "POST", CZ "/instances?sourceInstanceTemplate=global/instanceTemplates/nope",
		 "{\"name\":\"x\"}", 404, &r);
	st_http_free(&r);
	op = ct_op(sb, "DELETE", CG "/instanceTemplates/tmpl-tdx", NULL);
	no_error(op);
	json_decref(op);
	sbt_call(sb, "GET", CG "/instanceTemplates/tmpl-tdx", NULL, 404, &r);
	st_http_free(&r);
	sbt_call(sb, "GET", CG "/operations/operation-nope", NULL, 404, &r);
	st_http_free(&r);
}

static void t_instance_lifecycle(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	json_t *op;
	char *body, *serial;

	json_decref(ct_op(sb, "POST", CZ "/reservations", "{\"name\":\"res-vm\","
			  "\"specificReservationRequired\":true,\"specificReservation\":{\"count\":\"1\","
			  "\"instanceProperties\":{\"machineType\":\"a3-highgpu-1g\"}}}"));
	json_decref(ct_op(sb, "POST", CG "/instanceTemplates", "{\"name\":\"tmpl-vm\",\"properties\":{"
			  TDX_PROPS ",\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\","
			  "\"automaticRestart\":false},\"reservationAffinity\":{"
			  "\"consumeReservationType\":\"SPECIFIC_RESERVATION\",\"key\":"
			  "\"compute.googleapis.com/reservation-name\",\"values\":[\"res-vm\"]}}}"));
	op = ct_op(sb, "POST", CZ "/instances?sourceInstanceTemplate=global/instanceTemplates/tmpl-vm",
		   "{\"name\":\"vm1\"}");
	no_error(op);
	json_decref(op);
	sbt_call(sb, "GET", CZ "/instances/vm1", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "status"), "RUNNING");
	assert_string_equal(sbt_str(&r, "confidentialInstanceConfig.confidentialInstanceType"), "TDX");
	assert_non_null(strstr(sbt_str(&r, "machineType"), "/zones/us-central1-a/machineTypes/a3-highgpu-1g"));
	assert_non_null(strstr(sbt_str(&r, "guestAccelerators.0.acceleratorType"), "nvidia-h100-80gb"));
	assert_non_null(sbt_str(&r, "metadata.fingerprint"));
	assert_null(stj_get(r.json, "_sb"));
	/* A stale fingerprint is refused with 412; the current one works. */
	st_http_free(&r);
	sbt_call(sb, "POST", CZ "/instances/vm1/setMetadata",
		 "{\"fingerprint\":\"c3RhbGU=\",\"items\":[{\"key\":\"a\",\"value\":\"b\"}]}", 412, &r);
	ct_error(&r, 412, "FAILED_PRECONDITION", "fingerprint");
	assert_string_equal(sbt_str(&r, "error.errors.0.reason"), "conditionNotMet");
	st_http_free(&r);
	sbt_call(sb, "GET", CZ "/instances/vm1", NULL, 200, &r);
	body = st_xasprintf("{\"fingerprint\":\"%s\",\"items\":[{\"key\":\"a\",\"value\":\"b\"}]}",
			    sbt_str(&r, "metadata.fingerprint"));
	st_http_free(&r);
	op = ct_op(sb, "POST", CZ "/instances/vm1/setMetadata", body);
	no_error(op);
	json_decref(op);
	/* The same (now stale) fingerprint a second time. */
	sbt_call(sb, "POST", CZ "/instances/vm1/setMetadata", body, 412, &r);
	st_http_free(&r);
	free(body);
	sbt_call(sb, "POST", CZ "/instances/vm1/setMetadata", "{\"items\":[]}", 412, &r);
	st_http_free(&r);
	ct_until(sb, CZ "/instances/vm1", "metadata.items.0.value", "b", 0);
	ct_until(sb, CZ "/reservations/res-vm", "specificReservation.inUseCount", "1", 0);
	serial = ct_serial(sb, "vm1");
	assert_non_null(strstr(serial, "Memory Encryption Features active: Intel TDX"));
	assert_non_null(strstr(serial, "NVIDIA H100 80GB HBM3"));
	free(serial);
	sbt_call(sb, "GET", CZ "/instances/vm1/serialPort?port=9", NULL, 400, &r);
	st_http_free(&r);
	sbt_call(sb, "GET", CZ "/instances/vm1/serialPort?start=100000000", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "contents"), "");
	st_http_free(&r);
	sbt_call(sb, "GET", CZ "/instances/vm1/getShieldedInstanceIdentity", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "kind"), "compute#shieldedInstanceIdentity");
	assert_non_null(strstr(sbt_str(&r, "signingKey.ekPub"), "BEGIN PUBLIC KEY"));
	st_http_free(&r);
	/* Stop, start, reset. */
	op = ct_op(sb, "POST", CZ "/instances/vm1/stop", NULL);
	no_error(op);
	json_decref(op);
	ct_until(sb, CZ "/instances/vm1", "status", "TERMINATED", 0);
	ct_until(sb, CZ "/reservations/res-vm", "specificReservation.inUseCount", "0", 0);
	sbt_call(sb, "POST", CZ "/instances/vm1/reset", NULL, 400, &r);
	st_http_free(&r);
	op = ct_op(sb, "POST", CZ "/instances/vm1/start", NULL);
	no_error(op);
	json_decref(op);
	ct_until(sb, CZ "/instances/vm1", "status", "RUNNING", 0);
	op = ct_op(sb, "POST", CZ "/instances/vm1/reset", NULL);
	no_error(op);
	json_decref(op);
	ct_serial_until(sb, "vm1", "simulated boot 3", 0);
	/* A reservation in use cannot be deleted. */
	op = ct_op(sb, "DELETE", CZ "/reservations/res-vm", NULL);
	op_error(op, "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE", "in use");
	json_decref(op);
	op = ct_op(sb, "DELETE", CZ "/instances/vm1", NULL);
	no_error(op);
	json_decref(op);
	sbt_call(sb, "GET", CZ "/instances/vm1", NULL, 404, &r);
	st_http_free(&r);
	json_decref(ct_op(sb, "DELETE", CZ "/reservations/res-vm", NULL));
	json_decref(ct_op(sb, "DELETE", CG "/instanceTemplates/tmpl-vm", NULL));
	sbt_call(sb, "GET", CZ "/instances/nope/serialPort", NULL, 404, &r);
	st_http_free(&r);
	sbt_call(sb, "POST", CZ "/instances/nope/stop", NULL, 404, &r);
	st_http_free(&r);
}

static void t_reservation_affinity_errors(void **state)
{
	st_sandbox *sb = *state;
	json_t *op;

	/* Missing reservation: the operation ends DONE with an error, not an HTTP error. */
	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"vm-miss\"," TDX_PROPS ","
		   "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"},\"reservationAffinity\":{"
		   "\"consumeReservationType\":\"SPECIFIC_RESERVATION\",\"values\":[\"ghost\"]}}");
	op_error(op, "RESOURCE_NOT_FOUND", "ghost");
	json_decref(op);
	/* Full reservation: one slot, two VMs. */
	json_decref(ct_op(sb, "POST", CZ "/reservations", "{\"name\":\"res-one\","
			  "\"specificReservation\":{\"count\":\"1\",\"instanceProperties\":{"
			  "\"machineType\":\"a3-highgpu-1g\"}}}"));
	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"vm-a\"," TDX_PROPS ","
		   "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"},\"reservationAffinity\":{"
		   "\"consumeReservationType\":\"SPECIFIC_RESERVATION\",\"values\":[\"res-one\"]}}");
	no_error(op);
	json_decref(op);
	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"vm-b\"," TDX_PROPS ","
		   "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"},\"reservationAffinity\":{"
		   "\"consumeReservationType\":\"SPECIFIC_RESERVATION\",\"values\":[\"res-one\"]}}");
	op_error(op, "RESERVATION_CAPACITY_EXCEEDED", "res-one");
	json_decref(op);
	json_decref(ct_op(sb, "DELETE", CZ "/instances/vm-a", NULL));
	json_decref(ct_op(sb, "DELETE", CZ "/reservations/res-one", NULL));
}

struct waiter {
	st_sandbox *sb;
	char *url;
	long status;
	json_t *op;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	st_http_resp r;

	if (st_http_json(w->sb, "POST", w->url, NULL, &r) == 0) {
		w->status = r.status;
		w->op = json_incref(r.json);
		st_http_free(&r);
	}
	return NULL;
}

static void t_capacity_and_flex_start(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	json_t *op;

	/* One GPU in the zone: an on-demand VM takes it. */
	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"od-1\"," TDX_PROPS ","
		   "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}");
	no_error(op);
	json_decref(op);
	/* A second on-demand request fails the way Google's does. */
	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"od-2\"," TDX_PROPS ","
		   "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}");
	op_error(op, "ZONE_RESOURCE_POOL_EXHAUSTED", "does not have enough resources");
	json_decref(op);
	sbt_call(sb, "GET", CZ "/instances/od-2", NULL, 404, &r);
	st_http_free(&r);
	/* A Flex-start request queues: its insert operation stays RUNNING and says so. */
	sbt_call(sb, "POST", CZ "/instances", "{\"name\":\"flex-1\"," TDX_PROPS ","
		 "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\",\"provisioningModel\":\"FLEX_START\","
		 "\"maxRunDuration\":{\"seconds\":\"600\"},\"instanceTerminationAction\":\"DELETE\"}}",
		 200, &r);
	assert_string_equal(sbt_str(&r, "status"), "RUNNING");
	assert_non_null(strstr(sbt_str(&r, "statusMessage"), "Queued"));
	{
		json_t *flex_op = json_incref(r.json);
		st_http_resp w;
		char *url = st_xasprintf("%s", stj_str(flex_op, "selfLink"));

		pthread_t th;
		struct waiter wt = {.sb = sb, .url = st_xasprintf("%s/wait", url)};

		st_http_free(&r);
		ct_sleep_ms(1500); /* 30 sandbox seconds: still no capacity */
		sbt_call(sb, "GET", url, NULL, 200, &w);
		assert_string_equal(sbt_str(&w, "status"), "RUNNING");
		st_http_free(&w);
		ct_until(sb, CZ "/instances/flex-1", "status", "PROVISIONING", 0);
		/* wait returns by its deadline, not done (X-Server-Timeout: 1 second). */
		{
			const char *hdr[] = {"X-Server-Timeout: 1", NULL};
			int64_t t0 = st_mono_ms();

			assert_int_equal(st_http(sb, "POST", wt.url, NULL, 0, NULL, NULL, hdr, &w), 0);
			assert_int_equal(w.status, 200);
			assert_string_equal(sbt_str(&w, "status"), "RUNNING");
			assert_true(st_mono_ms() - t0 >= 900 && st_mono_ms() - t0 < 5000);
			st_http_free(&w);
		}
		/* A client blocks in operations.wait; the server lock is free meanwhile, so
		 * the delete below goes through and frees the capacity the waiter needs. */
		assert_int_equal(pthread_create(&th, NULL, wait_thread, &wt), 0);
		ct_sleep_ms(300);
		json_decref(ct_op(sb, "DELETE", CZ "/instances/od-1", NULL));
		pthread_join(th, NULL);
		assert_int_equal(wt.status, 200);
		assert_string_equal(stj_str(wt.op, "status"), "DONE");
		no_error(wt.op);
		json_decref(wt.op);
		free(wt.url);
		ct_until(sb, CZ "/instances/flex-1", "status", "RUNNING", 2000);
		/* maxRunDuration (600 sandbox s = 30 s real at x20) is too long to wait for
		 * here; the scheduling fields are kept as sent. */
		ct_until(sb, CZ "/instances/flex-1", "scheduling.instanceTerminationAction", "DELETE", 0);
		json_decref(flex_op);
		free(url);
	}
	json_decref(ct_op(sb, "DELETE", CZ "/instances/flex-1", NULL));
	/* A reservation bigger than the zone. */
	op = ct_op(sb, "POST", CZ "/reservations", "{\"name\":\"too-big\",\"specificReservation\":"
		   "{\"count\":\"2\",\"instanceProperties\":{\"machineType\":\"a3-highgpu-1g\"}}}");
	op_error(op, "ZONE_RESOURCE_POOL_EXHAUSTED", NULL);
	json_decref(op);
}

static void t_flex_max_run_duration(void **state)
{
	st_sandbox *sb = *state;
	json_t *op;
	st_http_resp r;

	/* 30 sandbox seconds at x20: the VM is deleted 1.5 s after it runs. */
	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"flex-short\"," TDX_PROPS ","
		   "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\",\"provisioningModel\":"
		   "\"FLEX_START\",\"maxRunDuration\":{\"seconds\":\"30\"},"
		   "\"instanceTerminationAction\":\"DELETE\"}}");
	no_error(op);
	json_decref(op);
	for (int i = 0; i < 100; i++) {
		st_http_json(sb, "GET", CZ "/instances/flex-short", NULL, &r);
		long st = r.status;

		st_http_free(&r);
		if (st == 404)
			return;
		ct_sleep_ms(100);
	}
	fail_msg("flex-short was not deleted at maxRunDuration");
}

static void t_wait_returns_by_deadline(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;

	/* Waiting on a queued operation returns (not DONE) rather than hanging forever:
	 * checked indirectly above; here the unknown-operation path. */
	sbt_call(sb, "POST", CZ "/operations/operation-missing/wait", NULL, 404, &r);
	ct_error(&r, 404, "NOT_FOUND", "operation-missing");
	st_http_free(&r);
	sbt_call(sb, "GET", CZ "/instances?maxResults=9999", NULL, 400, &r);
	st_http_free(&r);
	sbt_call(sb, "GET", CZ "/instances?pageToken=%25%25", NULL, 400, &r);
	st_http_free(&r);
}

static const char *const preempting[] = {"--time-scale", "20", "--preempt-rate", "360000", NULL};
static const char *const tenants[] = {"--time-scale", "20", "--seed", "7", "--tenant-gpus", "2",
				      "--tenant-slot", "10", NULL};

static int setup_preempt(void **state)
{
	*state = sbt_new(preempting);
	return 0;
}

static int setup_tenants(void **state)
{
	*state = sbt_new(tenants);
	return 0;
}

static void t_spot_preemption(void **state)
{
	st_sandbox *sb = *state;
	json_t *op;
	char *serial;
	st_http_resp r;

	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"spot-1\",\"machineType\":\"e2-small\","
		   "\"scheduling\":{\"provisioningModel\":\"SPOT\",\"instanceTerminationAction\":"
		   "\"STOP\"}}");
	no_error(op);
	json_decref(op);
	ct_until(sb, CZ "/instances/spot-1", "status", "TERMINATED", 3000);
	serial = ct_serial(sb, "spot-1");
	assert_non_null(strstr(serial, "Instance was preempted."));
	free(serial);
	sbt_call(sb, "POST", "/v2/entries:list", "{\"resourceNames\":[\"projects/p1\"],\"filter\":"
		 "\"protoPayload.methodName=\\\"compute.instances.preempted\\\"\"}", 200, &r);
	assert_non_null(strstr(r.body, "spot-1"));
	st_http_free(&r);
	/* STANDARD VMs are never preempted. */
	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"std-1\",\"machineType\":\"e2-small\"}");
	no_error(op);
	json_decref(op);
	ct_sleep_ms(500);
	ct_until(sb, CZ "/instances/std-1", "status", "RUNNING", 0);
}

/* Other tenants take and release GPUs on their seeded schedule; Flex-start requests
 * still all get to run as the tenants come and go. */
static void t_tenants_move_the_queue(void **state)
{
	st_sandbox *sb = *state;
	const char *names[] = {"ft-1", "ft-2"};
	char *body, *path;
	int i;

	for (i = 0; i < 2; i++) {
		st_http_resp r;

		body = st_xasprintf("{\"name\":\"%s\"," TDX_PROPS ",\"scheduling\":{"
				    "\"onHostMaintenance\":\"TERMINATE\",\"provisioningModel\":"
				    "\"FLEX_START\",\"maxRunDuration\":{\"seconds\":\"86400\"}}}",
				    names[i]);
		sbt_call(sb, "POST", CZ "/instances", body, 200, &r);
		st_http_free(&r);
		free(body);
	}
	for (i = 0; i < 2; i++) {
		path = st_xasprintf(CZ "/instances/%s", names[i]);
		ct_until(sb, path, "status", "RUNNING", 20000);
		free(path);
	}
}

/* Hostile or malformed bodies get clean 400s, and the sandbox keeps serving. */
static void t_hostile_bodies(void **state)
{
	st_sandbox *sb = *state;
	static const char *const bodies[] = {
		"{\"name\":\"h1\",\"machineType\":7}",
		"{\"name\":\"h2\",\"machineType\":\"e2-small\",\"metadata\":\"x\"}",
		"{\"name\":\"h3\",\"machineType\":\"e2-small\",\"metadata\":{\"items\":[1,2]}}",
		"{\"name\":\"h4\",\"machineType\":\"e2-small\",\"metadata\":{\"items\":"
		"[{\"key\":\"../../etc\",\"value\":\"x\"}]}}",
		"{\"name\":\"h5\",\"machineType\":\"n1-standard-1\",\"guestAccelerators\":[\"x\"]}",
		"{\"name\":\"h6\",\"machineType\":\"e2-small\",\"reservationAffinity\":"
		"{\"consumeReservationType\":\"SPECIFIC_RESERVATION\",\"values\":[7]}}",
		"{\"name\":\"h7\",\"machineType\":\"e2-small\",\"scheduling\":"
		"{\"provisioningModel\":\"FLEX_START\",\"maxRunDuration\":\"x\"}}",
		"{\"name\":\"h8\",\"machineType\":\"e2-small\",\"confidentialInstanceConfig\":"
		"{\"confidentialInstanceType\":[]}}",
		"{\"name\":[],\"machineType\":\"e2-small\"}",
		"[]",
		"\"str\"",
	};
	st_http_resp r;
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		sbt_call(sb, "POST", CZ "/instances", bodies[i], 400, &r);
		assert_non_null(sbt_str(&r, "error.message"));
		st_http_free(&r);
	}
	sbt_call(sb, "POST", CG "/instanceTemplates", "{\"name\":\"t\",\"properties\":5}", 400, &r);
	st_http_free(&r);
	sbt_call(sb, "POST", CZ "/reservations", "{\"name\":\"r\",\"specificReservation\":{\"count\":"
		 "\"1\",\"instanceProperties\":{\"machineType\":\"e2-small\"},"
		 "\"sourceInstanceTemplate\":\"x\"}}", 400, &r);
	st_http_free(&r);
	sbt_call(sb, "POST", CZ "/instances", "{\"name\":\"ok\",\"machineType\":\"e2-small\"}", 200, &r);
	st_http_free(&r);
	sbt_call(sb, "GET", CZ "/instances", NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "items")), 1);
	st_http_free(&r);
}

/* A queued Flex-start request survives a restart, in the queue, and then runs. */
static void t_queue_survives_restart(void **state)
{
	st_sandbox *sb = *state;
	char *dir = st_xstrdup(sb->state);
	st_http_resp r;
	json_t *op;

	op = ct_op(sb, "POST", CZ "/instances", "{\"name\":\"od-r\"," TDX_PROPS ","
		   "\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}");
	no_error(op);
	json_decref(op);
	sbt_call(sb, "POST", CZ "/instances", "{\"name\":\"flex-r\"," TDX_PROPS ",\"scheduling\":"
		 "{\"onHostMaintenance\":\"TERMINATE\",\"provisioningModel\":\"FLEX_START\","
		 "\"maxRunDuration\":{\"seconds\":\"3600\"}}}", 200, &r);
	st_http_free(&r);
	st_sandbox_stop(sb, 15, true);
	free(sb->state);
	free(sb->log);
	assert_int_equal(st_sandbox_start(sb, dir, one_gpu), 0);
	sb->own_state = true;
	ct_until(sb, CZ "/instances/od-r", "status", "RUNNING", 0);
	ct_sleep_ms(500);
	ct_until(sb, CZ "/instances/flex-r", "statusMessage",
		 "Waiting for GPU capacity (FLEX_START request queued).", 0);
	json_decref(ct_op(sb, "DELETE", CZ "/instances/od-r", NULL));
	ct_until(sb, CZ "/instances/flex-r", "status", "RUNNING", 3000);
	free(dir);
}

/* Stopping a VM that is still provisioning ends its insert operation too. */
static void t_stop_while_provisioning(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	json_t *ins, *op;

	sbt_call(sb, "POST", CZ "/instances", "{\"name\":\"early\",\"machineType\":\"e2-small\"}",
		 200, &r);
	ins = json_incref(r.json);
	st_http_free(&r);
	op = ct_op(sb, "POST", CZ "/instances/early/stop", NULL);
	no_error(op);
	json_decref(op);
	ct_until(sb, CZ "/instances/early", "status", "TERMINATED", 0);
	ct_until(sb, stj_str(ins, "selfLink"), "status", "DONE", 2000);
	json_decref(ins);
}

/* A reservation shaped by a template; an open reservation consumed by a VM that asks
 * for ANY_RESERVATION (Google's default). */
static void t_template_reservation_and_any(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	json_t *op;

	json_decref(ct_op(sb, "POST", CG "/instanceTemplates", "{\"name\":\"shape\",\"properties\":{"
			  TDX_PROPS ",\"scheduling\":{\"onHostMaintenance\":\"TERMINATE\"}}}"));
	sbt_call(sb, "POST", CZ "/reservations", "{\"name\":\"r-t\",\"specificReservation\":{"
		 "\"count\":\"1\",\"sourceInstanceTemplate\":\"global/instanceTemplates/nope\"}}",
		 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "sourceInstanceTemplate");
	st_http_free(&r);
	op = ct_op(sb, "POST", CZ "/reservations", "{\"name\":\"r-t\",\"specificReservation\":{"
		   "\"count\":\"1\",\"sourceInstanceTemplate\":\"global/instanceTemplates/shape\"}}");
	no_error(op);
	json_decref(op);
	/* One GPU of the two is reserved; a VM with default affinity lands in it. */
	op = ct_op(sb, "POST", CZ "/instances?sourceInstanceTemplate=global/instanceTemplates/shape",
		   "{\"name\":\"any-1\"}");
	no_error(op);
	json_decref(op);
	ct_until(sb, CZ "/reservations/r-t", "specificReservation.inUseCount", "1", 0);
	/* The next one is on demand (the one free GPU); a third finds nothing. */
	op = ct_op(sb, "POST", CZ "/instances?sourceInstanceTemplate=global/instanceTemplates/shape",
		   "{\"name\":\"any-2\"}");
	no_error(op);
	json_decref(op);
	ct_until(sb, CZ "/reservations/r-t", "specificReservation.inUseCount", "1", 0);
	op = ct_op(sb, "POST", CZ "/instances?sourceInstanceTemplate=global/instanceTemplates/shape",
		   "{\"name\":\"any-3\"}");
	op_error(op, "ZONE_RESOURCE_POOL_EXHAUSTED", NULL);
	json_decref(op);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_reservations, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_request_id_replay, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_templates_and_validation, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_instance_lifecycle, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_reservation_affinity_errors, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_capacity_and_flex_start, setup_one_gpu, sbt_free),
		cmocka_unit_test_setup_teardown(t_flex_max_run_duration, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_wait_returns_by_deadline, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_hostile_bodies, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_template_reservation_and_any, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_stop_while_provisioning, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_queue_survives_restart, setup_one_gpu, sbt_free),
		cmocka_unit_test_setup_teardown(t_spot_preemption, setup_preempt, sbt_free),
		cmocka_unit_test_setup_teardown(t_tenants_move_the_queue, setup_tenants, sbt_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
