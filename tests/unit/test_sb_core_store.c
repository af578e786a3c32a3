/* The document store on a real SQLite file, without the HTTP server: insert/put/get/
 * delete, prefix listing and paging, counters, page tokens, blobs, reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomicfile.h"
#include "common/json.h"
#include "sandbox/server.h"
#include "tests/support/sttest.h"

typedef struct fixture {
	sb_server *s;
	char *dir;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	f->dir = st_test_tmpdir("store");
	f->s = calloc(1, sizeof *f->s);
	f->s->state_dir = f->dir;
	f->s->blob_dir = st_xasprintf("%s/blobs", f->dir);
	mkdir(f->s->blob_dir, 0700);
	if (sb_store_open(f->s) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	sb_store_close(f->s);
	st_test_rmtree(f->dir);
	free(f->s->blob_dir);
	free(f->s);
	free(f->dir);
	free(f);
	return 0;
}

static json_t *doc(const char *name)
{
	return json_pack("{s:s}", "name", name);
}

static void put(sb_server *s, const char *kind, const char *name)
{
	json_t *d = doc(name);
	assert_int_equal(sb_put(s, kind, name, d), 0);
	json_decref(d);
}

static void t_crud(void **state)
{
	sb_server *s = ((fixture *)*state)->s;
	json_t *d = doc("a/1");
	assert_int_equal(sb_insert(s, "k", "a/1", d), 0);
	assert_int_equal(sb_insert(s, "k", "a/1", d), 1); /* exists: nothing stored */
	assert_int_equal(sb_insert(s, "other", "a/1", d), 0); /* kinds are separate */
	json_decref(d);
	json_t *got = sb_get(s, "k", "a/1");
	assert_string_equal(json_string_value(json_object_get(got, "name")), "a/1");
	json_decref(got);
	json_t *v2 = json_pack("{s:i}", "v", 2);
	assert_int_equal(sb_put(s, "k", "a/1", v2), 0);
	json_decref(v2);
	got = sb_get(s, "k", "a/1");
	assert_int_equal(json_integer_value(json_object_get(got, "v")), 2);
	json_decref(got);
	assert_int_equal(sb_del(s, "k", "a/1"), 0);
	assert_int_equal(sb_del(s, "k", "a/1"), 1);
	assert_null(sb_get(s, "k", "a/1"));
	(void)state;
}

static void t_prefix_and_pages(void **state)
{
	sb_server *s = ((fixture *)*state)->s;
	const char *names[] = {"p/x/1", "p/x/2", "p/x/3", "p/x\xc3\xa9/4", "p/y/1", "p/x", "q/x/1"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		put(s, "pg", names[i]);
	json_t *all = sb_list(s, "pg", "p/x/");
	assert_int_equal(json_array_size(all), 3);
	json_decref(all);
	all = sb_list(s, "pg", "p/x");
	assert_int_equal(json_array_size(all), 5); /* p/x, p/x/1-3, p/xé/4 */
	json_decref(all);
	char *next = NULL;
	json_t *p1 = sb_list_page(s, "pg", "p/x/", "", 2, &next);
	assert_int_equal(json_array_size(p1), 2);
	assert_string_equal(next, "p/x/2");
	char *after = next;
	json_t *p2 = sb_list_page(s, "pg", "p/x/", after, 2, &next);
	free(after);
	assert_int_equal(json_array_size(p2), 1);
	assert_null(next); /* the last page says so */
	assert_string_equal(json_string_value(json_object_get(json_array_get(p2, 0), "name")),
			    "p/x/3");
	json_decref(p1);
	json_decref(p2);
	/* Exactly a full last page: no next token either. */
	p1 = sb_list_page(s, "pg", "p/x/", "", 3, &next);
	assert_int_equal(json_array_size(p1), 3);
	assert_null(next);
	json_decref(p1);
	(void)state;
}

static void t_tokens_counters(void **state)
{
	sb_server *s = ((fixture *)*state)->s;
	char *t = sb_page_token_encode("projects/p/x/\xc3\xa9");
	char *back = sb_page_token_decode(t);
	assert_string_equal(back, "projects/p/x/\xc3\xa9");
	free(back);
	free(t);
	assert_null(sb_page_token_decode("!!!"));
	char *bad = st_xstrdup("_w");
	assert_null(sb_page_token_decode(bad)); /* decodes to invalid UTF-8 */
	free(bad);
	assert_int_equal(sb_next_id(s, "c1"), 1);
	assert_int_equal(sb_next_id(s, "c1"), 2);
	assert_int_equal(sb_next_id(s, "c2"), 1);
	(void)state;
}

static void t_blobs_and_reset(void **state)
{
	fixture *f = *state;
	sb_server *s = f->s;
	assert_int_equal(sb_blob_put(s, "../../etc/passwd", "abc", 3), 0);
	char *path = sb_blob_path(s, "../../etc/passwd");
	assert_true(strncmp(path, s->blob_dir, strlen(s->blob_dir)) == 0);
	assert_null(strstr(path + strlen(s->blob_dir), ".."));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	size_t n = 0;
	unsigned char *data = sb_blob_get(s, "../../etc/passwd", &n);
	assert_int_equal(n, 3);
	assert_memory_equal(data, "abc", 3);
	free(data);
	char *src = st_xasprintf("%s/spooled", f->dir);
	st_test_write_file(src, "spool");
	assert_int_equal(sb_blob_put_file(s, "moved", src), 0);
	assert_int_not_equal(stat(src, &st), 0);
	data = sb_blob_get(s, "moved", &n);
	assert_int_equal(n, 5);
	free(data);
	free(src);
	put(s, "k", "survivor");
	sb_meta_put(s, "clock_ms", "123");
	assert_int_equal(sb_store_reset(s), 0);
	assert_null(sb_get(s, "k", "survivor"));
	assert_int_not_equal(stat(path, &st), 0);
	char *clock = sb_meta_get(s, "clock_ms");
	assert_string_equal(clock, "123"); /* time survives a reset */
	free(clock);
	free(path);
	assert_int_equal(sb_blob_del(s, "never-there"), 0);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_crud),
		cmocka_unit_test(t_prefix_and_pages),
		cmocka_unit_test(t_tokens_counters),
		cmocka_unit_test(t_blobs_and_reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
