/* Compute list methods against the real sandbox: filter, orderBy and paging
 * together, operations lists, and the 400s for what the sandbox does not accept. */
#include "tests/integration/test_sb_compute_util.h"

static const char *const fast[] = {"--time-scale", "20", NULL};

static int setup(void **state)
{
	*state = sbt_new(fast);
	return 0;
}

/* GET base?filter=F&maxResults=M&orderBy=O&pageToken=T; NULL leaves one out. */
static void list(const st_sandbox *sb, const char *base, const char *filter, int max,
		 const char *order, const char *token, long want, st_http_resp *r)
{
	st_buf b;
	char sep = '?';

	st_buf_init(&b);
	st_buf_puts(&b, base);
	const char *names[] = {"filter", "orderBy", "pageToken"};
	const char *vals[] = {filter, order, token};
	for (size_t i = 0; i < 3; i++) {
		if (!vals[i])
			continue;
		char *e = st_url_escape(vals[i]);
		st_buf_printf(&b, "%c%s=%s", sep, names[i], e);
		free(e);
		sep = '&';
	}
	if (max)
		st_buf_printf(&b, "%cmaxResults=%d", sep, max);
	char *path = st_buf_steal(&b);
	sbt_call(sb, "GET", path, NULL, want, r);
	free(path);
}

/* Every page of a listing joined as "name,name,..."; asserts each page holds at
 * most max items and that only the last one lacks a nextPageToken. */
static char *all_pages(const st_sandbox *sb, const char *base, const char *filter, int max,
		       const char *order)
{
	st_buf b;
	char *token = NULL;
	int pages = 0;

	st_buf_init(&b);
	st_buf_puts(&b, "");
	do {
		st_http_resp r;
		json_t *it;
		size_t i;

		list(sb, base, filter, max, order, token, 200, &r);
		free(token);
		token = sbt_str(&r, "nextPageToken") ? st_xstrdup(sbt_str(&r, "nextPageToken"))
						     : NULL;
		assert_true(json_array_size(stj_get(r.json, "items")) <= (size_t)max);
		if (token) /* a page that promises more is never empty */
			assert_true(json_array_size(stj_get(r.json, "items")) > 0);
		json_array_foreach(stj_get(r.json, "items"), i, it)
			st_buf_printf(&b, "%s%s", b.len ? "," : "", stj_str(it, "name"));
		st_http_free(&r);
		assert_true(++pages < 50);
	} while (token);
	return st_buf_steal(&b);
}

static void make_templates(const st_sandbox *sb)
{
	static const char *const names[] = {"tb-2", "ta-3", "ta-1", "tb-1", "ta-4", "ta-2", "tc"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const char *env = i % 2 ? "prod" : "dev";
		char *body = st_xasprintf("{\"name\":\"%s\",\"properties\":{\"machineType\":"
					  "\"e2-small\",\"labels\":{\"env\":\"%s\"},\"scheduling\":"
					  "{\"automaticRestart\":%s}}}",
					  names[i], env, i == 6 ? "false" : "true");
		json_t *op = ct_op(sb, "POST", CG "/instanceTemplates", body);
		assert_null(stj_get(op, "error"));
		json_decref(op);
		free(body);
	}
}

static void check_pages(const st_sandbox *sb, const char *filter, int max, const char *want)
{
	char *got = all_pages(sb, CG "/instanceTemplates", filter, max, NULL);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "filter %s max %d: got %s, want %s\n", filter, max, got, want);
	assert_string_equal(got, want);
	free(got);
}

static void t_filter_with_paging(void **state)
{
	st_sandbox *sb = *state;

	make_templates(sb);
	check_pages(sb, NULL, 3, "ta-1,ta-2,ta-3,ta-4,tb-1,tb-2,tc");
	check_pages(sb, "name eq ta-.*", 1, "ta-1,ta-2,ta-3,ta-4");
	check_pages(sb, "name eq ta-.*", 2, "ta-1,ta-2,ta-3,ta-4");
	check_pages(sb, "name eq ta-.*", 3, "ta-1,ta-2,ta-3,ta-4");
	check_pages(sb, "name ne ta-.*", 2, "tb-1,tb-2,tc");
	/* make_templates gives env=prod to ta-3, tb-1 and ta-2. */
	check_pages(sb, "properties.labels.env = prod", 1, "ta-2,ta-3,tb-1");
	check_pages(sb, "properties.labels.env = prod OR name = tc", 2, "ta-2,ta-3,tb-1,tc");
	check_pages(sb, "(properties.labels.env = dev) (name:ta*)", 2, "ta-1,ta-4");
	check_pages(sb, "properties.scheduling.automaticRestart = false", 2, "tc");
	check_pages(sb, "name:b-", 1, "tb-1,tb-2");
	check_pages(sb, "properties.labels.owner:*", 2, "");
	check_pages(sb, "name = nothing-like-this", 5, "");
}

/* Newest first, and paging keeps that order across pages. */
static void t_order_by_creation(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	json_t *it;
	size_t i;

	make_templates(sb);
	list(sb, CG "/instanceTemplates", NULL, 0, "creationTimestamp desc", NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "items")), 7);
	st_buf one;
	st_buf_init(&one);
	st_buf_puts(&one, "");
	const char *prev = NULL;
	json_array_foreach(stj_get(r.json, "items"), i, it) {
		const char *ts = stj_str(it, "creationTimestamp");
		assert_non_null(ts);
		if (prev)
			assert_true(strcmp(prev, ts) >= 0);
		prev = ts;
		st_buf_printf(&one, "%s%s", one.len ? "," : "", stj_str(it, "name"));
	}
	/* Created last, so listed first. */
	assert_string_equal(stj_str(r.json, "items.0.name"), "tc");
	st_http_free(&r);
	char *paged = all_pages(sb, CG "/instanceTemplates", NULL, 2, "creationTimestamp desc");
	assert_string_equal(paged, one.p);
	free(paged);
	paged = all_pages(sb, CG "/instanceTemplates", "name eq t[ab]-.*", 3,
			  "creationTimestamp desc");
	assert_string_equal(paged, "ta-2,ta-4,tb-1,ta-1,ta-3,tb-2");
	free(paged);
	st_buf_free(&one);
	/* Global operations: filtered on their own fields, newest first by insertTime. */
	paged = all_pages(sb, CG "/operations", "operationType = insert", 4,
			  "creationTimestamp desc");
	assert_int_equal(strlen(paged) > 0, 1);
	size_t commas = 0;
	for (const char *p = paged; *p; p++)
		commas += *p == ',';
	assert_int_equal(commas, 6);
	free(paged);
	list(sb, CG "/operations", "operationType = delete", 0, NULL, NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "items")), 0);
	assert_string_equal(sbt_str(&r, "kind"), "compute#operationList");
	st_http_free(&r);
}

static void t_zone_lists(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;

	json_decref(ct_op(sb, "POST", CZ "/reservations", "{\"name\":\"res-a\","
			  "\"specificReservationRequired\":true,\"specificReservation\":{\"count\":\"1\","
			  "\"instanceProperties\":{\"machineType\":\"a3-highgpu-1g\"}}}"));
	json_decref(ct_op(sb, "POST", CZ "/reservations", "{\"name\":\"res-b\","
			  "\"specificReservation\":{\"count\":\"1\","
			  "\"instanceProperties\":{\"machineType\":\"a3-highgpu-1g\"}}}"));
	list(sb, CZ "/reservations", "specificReservationRequired = true", 0, NULL, NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "items")), 1);
	assert_string_equal(sbt_str(&r, "items.0.name"), "res-a");
	st_http_free(&r);
	list(sb, CZ "/reservations", "specificReservation.count > 0", 1, NULL, NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "items")), 1);
	assert_non_null(sbt_str(&r, "nextPageToken"));
	st_http_free(&r);
	list(sb, CZ "/operations", "targetLink:res-b", 0, NULL, NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "items")), 1);
	assert_string_equal(sbt_str(&r, "items.0.operationType"), "insert");
	st_http_free(&r);
	list(sb, CZ "/instances", "status = RUNNING", 0, NULL, NULL, 200, &r);
	assert_int_equal(json_array_size(stj_get(r.json, "items")), 0);
	assert_string_equal(sbt_str(&r, "kind"), "compute#instanceList");
	st_http_free(&r);
}

static void t_bad_parameters(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;

	list(sb, CZ "/instances", "name = (a", 0, NULL, NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "position 8");
	assert_non_null(strstr(sbt_str(&r, "error.message"), "'filter'"));
	assert_string_equal(sbt_str(&r, "error.errors.0.reason"), "invalid");
	st_http_free(&r);
	list(sb, CG "/instanceTemplates", "name eq a status = RUNNING", 0, NULL, NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "position 18");
	st_http_free(&r);
	list(sb, CZ "/operations", "NOT status = DONE", 0, NULL, NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "position 1");
	st_http_free(&r);
	list(sb, CZ "/reservations", "name eq a++", 0, NULL, NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "repetition");
	st_http_free(&r);
	list(sb, CZ "/instances", NULL, 0, "creationTimestamp", NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "orderBy");
	st_http_free(&r);
	list(sb, CG "/operations", NULL, 0, "status desc", NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "orderBy");
	st_http_free(&r);
	list(sb, CZ "/instances", NULL, 0, NULL, "%%%not-base64", 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "pageToken");
	st_http_free(&r);
	/* a page token of the name order handed to the timestamp order */
	json_decref(ct_op(sb, "POST", CG "/instanceTemplates", "{\"name\":\"t1\",\"properties\":"
			  "{\"machineType\":\"e2-small\"}}"));
	json_decref(ct_op(sb, "POST", CG "/instanceTemplates", "{\"name\":\"t2\",\"properties\":"
			  "{\"machineType\":\"e2-small\"}}"));
	list(sb, CG "/instanceTemplates", NULL, 1, NULL, NULL, 200, &r);
	char *tok = st_xstrdup(sbt_str(&r, "nextPageToken"));
	st_http_free(&r);
	list(sb, CG "/instanceTemplates", NULL, 1, "creationTimestamp desc", tok, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "pageToken");
	st_http_free(&r);
	list(sb, CG "/instanceTemplates", NULL, 1, NULL, tok, 200, &r);
	assert_string_equal(sbt_str(&r, "items.0.name"), "t2");
	st_http_free(&r);
	free(tok);
	sbt_call(sb, "GET", CZ "/instances?maxResults=501", NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "maxResults");
	st_http_free(&r);
	sbt_call(sb, "GET", CZ "/instances?maxResults=", NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "maxResults");
	st_http_free(&r);
	/* An empty filter lists everything. */
	list(sb, CZ "/instances", "  ", 0, NULL, NULL, 200, &r);
	st_http_free(&r);
}

/* Zones and machine types: where a GPU shape can be had, before any insert. */
static void t_catalog(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	char *got;

	list(sb, "/compute/v1/projects/p1/zones", NULL, 0, NULL, NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "kind"), "compute#zoneList");
	assert_int_equal(json_array_size(stj_get(r.json, "items")), 6);
	assert_string_equal(sbt_str(&r, "items.0.kind"), "compute#zone");
	assert_string_equal(sbt_str(&r, "items.0.status"), "UP");
	assert_true(st_ends_with(sbt_str(&r, "items.0.region"), "/projects/p1/regions/asia-east1"));
	st_http_free(&r);
	got = all_pages(sb, "/compute/v1/projects/p1/zones", "name eq us-.*", 2, NULL);
	assert_string_equal(got, "us-central1-a,us-central1-b,us-east1-d");
	free(got);
	sbt_call(sb, "GET", CZ, NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "name"), "us-central1-a");
	assert_string_equal(sbt_str(&r, "availableCpuPlatforms.0"), "Intel Sapphire Rapids");
	assert_true(st_ends_with(sbt_str(&r, "selfLink"), "/compute/v1/projects/p1/zones/us-central1-a"));
	st_http_free(&r);
	sbt_call(sb, "GET", "/compute/v1/projects/p1/zones/mars-1a", NULL, 404, &r);
	ct_error(&r, 404, "NOT_FOUND", "projects/p1/zones/mars-1a");
	st_http_free(&r);

	got = all_pages(sb, CZ "/machineTypes", "accelerators.guestAcceleratorType = nvidia-h100-80gb",
			1, NULL);
	assert_string_equal(got, "a3-highgpu-1g,a3-highgpu-8g");
	free(got);
	got = all_pages(sb, "/compute/v1/projects/p1/zones/asia-east1-c/machineTypes",
			"accelerators.guestAcceleratorType = nvidia-h100-80gb", 5, NULL);
	assert_string_equal(got, "");
	free(got);
	got = all_pages(sb, CZ "/machineTypes", "guestCpus > 100", 5, NULL);
	assert_string_equal(got, "a3-highgpu-8g");
	free(got);
	sbt_call(sb, "GET", CZ "/machineTypes/a3-highgpu-1g", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "kind"), "compute#machineType");
	assert_int_equal(json_integer_value(stj_get(r.json, "guestCpus")), 26);
	assert_string_equal(sbt_str(&r, "accelerators.0.guestAcceleratorType"), "nvidia-h100-80gb");
	assert_int_equal(json_integer_value(stj_get(r.json, "accelerators.0.guestAcceleratorCount")), 1);
	assert_string_equal(sbt_str(&r, "zone"), "us-central1-a");
	st_http_free(&r);
	sbt_call(sb, "GET", "/compute/v1/projects/p1/zones/asia-east1-c/machineTypes/a3-highgpu-1g",
		 NULL, 404, &r);
	ct_error(&r, 404, "NOT_FOUND", "machineTypes/a3-highgpu-1g");
	st_http_free(&r);
	sbt_call(sb, "GET", "/compute/v1/projects/p1/zones/mars-1a/machineTypes", NULL, 404, &r);
	st_http_free(&r);
	list(sb, CZ "/machineTypes", "guestCpus >", 0, NULL, NULL, 400, &r);
	ct_error(&r, 400, "INVALID_ARGUMENT", "position 12");
	st_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_filter_with_paging, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_order_by_creation, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_zone_lists, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_bad_parameters, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_catalog, setup, sbt_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
