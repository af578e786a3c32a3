/* The error envelope, built without a server: google.rpc.Status with ErrorInfo, and
 * the errors[] list on SB_LEGACY_ERRORS routes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/server.h"

static void h(sb_server *s, sb_call *c)
{
	(void)s, (void)c;
}

static const sb_route legacy = {"GET", "/storage/v1/b/{b}", h, "storage.googleapis.com", NULL,
				SB_LEGACY_ERRORS};
static const sb_route modern = {"GET", "/v1/x", h, "cloudkms.googleapis.com", NULL, 0};

static json_t *reply(sb_call *c)
{
	assert_true(c->replied);
	json_t *j = json_loadb(c->reply_data, c->reply_len, 0, NULL);
	assert_non_null(j);
	return j;
}

static sb_call *call_on(const sb_route *r, sb_croute *cr)
{
	sb_call *c = sb_call_new(NULL, "/x");
	cr->r = r;
	c->route = cr;
	return c;
}

static void t_modern(void **state)
{
	sb_croute cr = {0};
	sb_call *c = call_on(&modern, &cr);
	sb_reply_error(c, 409, "ALREADY_EXISTS", "RESOURCE_EXISTS", "ring %s exists", "r1");
	json_t *j = reply(c);
	json_t *e = json_object_get(j, "error");
	assert_int_equal(json_integer_value(json_object_get(e, "code")), 409);
	assert_string_equal(json_string_value(json_object_get(e, "status")), "ALREADY_EXISTS");
	assert_string_equal(json_string_value(json_object_get(e, "message")), "ring r1 exists");
	json_t *d = json_array_get(json_object_get(e, "details"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "@type")),
			    "type.googleapis.com/google.rpc.ErrorInfo");
	assert_string_equal(json_string_value(json_object_get(d, "domain")), "cloudkms.googleapis.com");
	assert_null(json_object_get(e, "errors"));
	assert_int_equal(c->status, 409);
	json_decref(j);
	sb_call_free(c);
	(void)state;
}

static void t_legacy(void **state)
{
	sb_croute cr = {0};
	sb_call *c = call_on(&legacy, &cr);
	sb_reply_not_found(c, "Bucket b");
	json_t *j = reply(c);
	json_t *err0 = json_array_get(json_object_get(json_object_get(j, "error"), "errors"), 0);
	assert_string_equal(json_string_value(json_object_get(err0, "reason")), "notFound");
	assert_string_equal(json_string_value(json_object_get(err0, "domain")), "global");
	assert_string_equal(json_string_value(json_object_get(err0, "message")), "Bucket b not found.");
	json_decref(j);
	sb_call_free(c);
	/* Without a reason the legacy one follows the status. */
	c = call_on(&legacy, &cr);
	sb_reply_error(c, 412, "FAILED_PRECONDITION", NULL, "generation mismatch");
	j = reply(c);
	err0 = json_array_get(json_object_get(json_object_get(j, "error"), "errors"), 0);
	assert_string_equal(json_string_value(json_object_get(err0, "reason")), "conditionNotMet");
	json_decref(j);
	sb_call_free(c);
	(void)state;
}

static void t_field_violation(void **state)
{
	sb_croute cr = {0};
	sb_call *c = call_on(&modern, &cr);
	sb_reply_invalid(c, "policy.bindings[2].role: '%s' is not a valid role name", "x");
	json_t *j = reply(c);
	json_t *d = json_array_get(json_object_get(json_object_get(j, "error"), "details"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "@type")),
			    "type.googleapis.com/google.rpc.BadRequest");
	json_t *v = json_array_get(json_object_get(d, "fieldViolations"), 0);
	assert_string_equal(json_string_value(json_object_get(v, "field")), "policy.bindings[2].role");
	assert_string_equal(json_string_value(json_object_get(v, "description")),
			    "'x' is not a valid role name");
	json_decref(j);
	sb_call_free(c);
	/* A message that names no field gets no violation. */
	c = call_on(&modern, &cr);
	sb_reply_invalid(c, "Invalid JSON payload received. line 1");
	j = reply(c);
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "error"), "details")), 0);
	json_decref(j);
	sb_call_free(c);
	(void)state;
}

static void t_hostile_message_stays_json(void **state)
{
	sb_croute cr = {0};
	sb_call *c = call_on(&modern, &cr);
	sb_reply_invalid(c, "name '%s' is bad", "a\xff\xfe\n\x01z");
	json_t *j = reply(c);
	const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
	assert_non_null(m);
	assert_null(strchr(m, '\n'));
	json_decref(j);
	sb_call_free(c);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_modern),
		cmocka_unit_test(t_legacy),
		cmocka_unit_test(t_field_violation),
		cmocka_unit_test(t_hostile_message_stays_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
