/* The router's pattern language, matched against raw paths without a server. */
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

static const sb_route routes[] = {
	{"GET", "/v1/projects/{project}/services/{service}", h, NULL, NULL, 0},
	{"POST", "/v1/projects/{project}/services:batchEnable", h, NULL, NULL, 0},
	{"POST", "/v1/{key}:encrypt", h, NULL, NULL, 0},
	{"GET", "/storage/v1/b/{bucket}/o/{object*}", h, NULL, NULL, 0},
	{"GET", "/v1/operations/{op**}", h, NULL, NULL, 0},
	{"DELETE", "/v1/projects/{project}/services/{service}", h, NULL, NULL, 0},
};

static const sb_service svc = {"test.googleapis.com", routes, sizeof routes / sizeof *routes,
			       NULL, NULL, NULL};
static const sb_service *const list[] = {&svc};

static sb_server *server(void)
{
	sb_server *s = calloc(1, sizeof *s);
	s->services = list;
	s->nservices = 1;
	assert_int_equal(sb_router_build(s), 0);
	return s;
}

/* Routes method+uri; returns the match code and leaves the call in *out. */
static int route(sb_server *s, const char *method, const char *uri, sb_call **out)
{
	sb_call *c = sb_call_new(s, uri);
	c->method = st_xstrdup(method);
	*out = c;
	return sb_route_match(s, c);
}

static void t_vars_and_literals(void **state)
{
	sb_server *s = server();
	sb_call *c;
	assert_int_equal(route(s, "GET", "/v1/projects/p1/services/iam.googleapis.com", &c),
			 SB_ROUTE_OK);
	assert_string_equal(sb_var(c, "project"), "p1");
	assert_string_equal(sb_var(c, "service"), "iam.googleapis.com");
	assert_ptr_equal(c->route->r, &routes[0]);
	sb_call_free(c);
	assert_int_equal(route(s, "POST", "/v1/projects/p%2D1/services:batchEnable", &c),
			 SB_ROUTE_OK);
	assert_string_equal(sb_var(c, "project"), "p-1");
	sb_call_free(c);
	/* Same path, other method: the DELETE route, listed later, wins. */
	assert_int_equal(route(s, "DELETE", "/v1/projects/p1/services/x", &c), SB_ROUTE_OK);
	assert_ptr_equal(c->route->r, &routes[5]);
	sb_call_free(c);
	sb_router_free(s);
	free(s);
	(void)state;
}

static void t_verbs_star_rest(void **state)
{
	sb_server *s = server();
	sb_call *c;
	assert_int_equal(route(s, "POST", "/v1/my%20key:encrypt", &c), SB_ROUTE_OK);
	assert_string_equal(sb_var(c, "key"), "my key");
	sb_call_free(c);
	assert_int_equal(route(s, "POST", "/v1/key:decrypt", &c), SB_ROUTE_NONE);
	sb_call_free(c);
	assert_int_equal(route(s, "POST", "/v1/:encrypt", &c), SB_ROUTE_NONE);
	sb_call_free(c);
	/* An object name with an encoded slash is one segment, decoded. */
	assert_int_equal(route(s, "GET", "/storage/v1/b/bkt/o/dir%2Fa%20b.csv", &c), SB_ROUTE_OK);
	assert_string_equal(sb_var(c, "object"), "dir/a b.csv");
	sb_call_free(c);
	assert_int_equal(route(s, "GET", "/storage/v1/b/bkt/o/dir/a.csv", &c), SB_ROUTE_NONE);
	sb_call_free(c);
	assert_int_equal(route(s, "GET", "/v1/operations/acf.p2-1/x%3Ay", &c), SB_ROUTE_OK);
	assert_string_equal(sb_var(c, "op"), "acf.p2-1/x:y");
	sb_call_free(c);
	assert_int_equal(route(s, "GET", "/v1/operations/", &c), SB_ROUTE_NONE);
	sb_call_free(c);
	sb_router_free(s);
	free(s);
	(void)state;
}

static void t_rejections(void **state)
{
	sb_server *s = server();
	sb_call *c;
	/* {name} may not hide a slash or a colon; unknown method on a known path is 405. */
	assert_int_equal(route(s, "GET", "/v1/projects/a%2Fb/services/x", &c), SB_ROUTE_NONE);
	sb_call_free(c);
	assert_int_equal(route(s, "GET", "/v1/projects/a:b/services/x", &c), SB_ROUTE_NONE);
	sb_call_free(c);
	assert_int_equal(route(s, "PUT", "/v1/projects/p/services/x", &c), SB_ROUTE_METHOD);
	sb_call_free(c);
	assert_int_equal(route(s, "GET", "/v1/projects/p/services/x/extra", &c), SB_ROUTE_NONE);
	sb_call_free(c);
	/* Dot segments and malformed escapes. */
	assert_int_equal(route(s, "GET", "/v1/projects/../services/x", &c), SB_ROUTE_BAD);
	assert_int_equal(c->status, 400);
	sb_call_free(c);
	assert_int_equal(route(s, "GET", "/v1/projects/%zz/services/x", &c), SB_ROUTE_NONE);
	sb_call_free(c);
	assert_int_equal(route(s, "GET", "/v1/projects/%00/services/x", &c), SB_ROUTE_NONE);
	sb_call_free(c);
	assert_int_equal(route(s, "GET", "/v1/projects/%ff/services/x", &c), SB_ROUTE_NONE);
	sb_call_free(c);
	sb_router_free(s);
	free(s);
	(void)state;
}

static void t_query(void **state)
{
	sb_server *s = server();
	sb_call *c = sb_call_new(s, "/x?a=1&b=two+words&a=%32&empty=&flag");
	assert_int_equal(sb_call_parse_query(c), 0);
	assert_string_equal(sb_query(c, "a"), "1");
	assert_string_equal(sb_query(c, "b"), "two words");
	assert_string_equal(sb_query(c, "empty"), "");
	assert_string_equal(sb_query(c, "flag"), "");
	assert_null(sb_query(c, "none"));
	size_t n = 0;
	const char *const *all = sb_query_all(c, "a", &n);
	assert_int_equal(n, 2);
	assert_string_equal(all[1], "2");
	assert_string_equal(sb_path(c), "/x");
	sb_call_free(c);
	c = sb_call_new(s, "/x?a=%G1");
	assert_int_equal(sb_call_parse_query(c), -1);
	assert_int_equal(c->status, 400);
	sb_call_free(c);
	sb_router_free(s);
	free(s);
	(void)state;
}

static void t_bad_patterns_refused(void **state)
{
	static const sb_route bad[] = {{"GET", "v1/no-leading-slash", h, NULL, NULL, 0}};
	static const sb_service bsvc = {"bad", bad, 1, NULL, NULL, NULL};
	static const sb_service *const blist[] = {&bsvc};
	sb_server *s = calloc(1, sizeof *s);
	s->services = blist;
	s->nservices = 1;
	assert_int_equal(sb_router_build(s), -1);
	sb_router_free(s);
	free(s);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_vars_and_literals),
		cmocka_unit_test(t_verbs_star_rest),
		cmocka_unit_test(t_rejections),
		cmocka_unit_test(t_query),
		cmocka_unit_test(t_bad_patterns_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
