/* Storage transfers under concurrency, against the real sandbox: client threads
 * upload (media and resumable), download (whole, ranged, by generation), overwrite
 * and delete a few object names while the bucket's lifecycle rule purges old
 * generations. Every body that comes back must be exactly the bytes of some upload
 * (found by the MD5 in X-Goog-Hash), and no call may answer 5xx except the 503 that
 * tells a client its resumable session is busy. Bounded by a short deadline and a
 * cap on iterations; nothing asserts how long anything took. */
#include "tests/integration/test_sb_kms_util.h"

#include <pthread.h>
#include <stdatomic.h>

#define BKT "bkt-stress"
#define NNAMES 3
#define RUN_MS 3000
#define MAX_ITERS 400
#define UNIT 262144u
#define BIG ((17u << 20) + 4321u) /* above the 16 MiB answered from memory: streamed */

/* ------------------------------------------------------------ what was written */

typedef struct payload {
	unsigned seed;
	size_t len;
	char md5[32];
} payload;

typedef struct gen_seen {
	int name;
	char gen[32];
} gen_seen;

typedef struct world {
	st_sandbox *sb;
	int64_t deadline;
	pthread_mutex_t mu;
	payload *pl;
	size_t npl, capl;
	gen_seen gens[256];
	size_t ngens;
	char session[512]; /* the resumable session being written, "" when none */
	atomic_int errors;
	atomic_int reads_whole, reads_ranged, reads_streamed, writes, resumables, busy503;
	atomic_uint next_seed;
} world;

static void bad(world *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&w->mu);
	fputs("stress: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&w->mu);
	va_end(ap);
	atomic_fetch_add(&w->errors, 1);
}

static bool running(const world *w, int iter)
{
	return iter < MAX_ITERS && st_mono_ms() < w->deadline && atomic_load(&w->errors) == 0;
}

/* Registers the bytes about to be sent, so a reader can recognise them. */
static unsigned char *new_payload(world *w, size_t len, char md5_out[32])
{
	unsigned seed = atomic_fetch_add(&w->next_seed, 1);
	unsigned char *d = kt_bytes(len, seed);
	char crc[9], *md5 = NULL;
	kt_hashes(d, len, crc, &md5);
	pthread_mutex_lock(&w->mu);
	if (w->npl == w->capl) {
		w->capl = w->capl ? 2 * w->capl : 64;
		w->pl = st_xrealloc(w->pl, w->capl * sizeof *w->pl);
	}
	payload *p = &w->pl[w->npl++];
	p->seed = seed;
	p->len = len;
	st_strlcpy(p->md5, md5, sizeof p->md5);
	pthread_mutex_unlock(&w->mu);
	st_strlcpy(md5_out, md5, 32);
	free(md5);
	return d;
}

static bool find_payload(world *w, const char *md5, payload *out)
{
	bool found = false;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->npl && !found; i++)
		if (!strcmp(w->pl[i].md5, md5)) {
			*out = w->pl[i];
			found = true;
		}
	pthread_mutex_unlock(&w->mu);
	return found;
}

static void note_generation(world *w, int name, const char *gen)
{
	pthread_mutex_lock(&w->mu);
	gen_seen *g = &w->gens[w->ngens++ % (sizeof w->gens / sizeof *w->gens)];
	g->name = name;
	st_strlcpy(g->gen, gen, sizeof g->gen);
	pthread_mutex_unlock(&w->mu);
}

static bool pick_generation(world *w, unsigned *rnd, int *name, char gen[32])
{
	bool ok = false;
	pthread_mutex_lock(&w->mu);
	size_t n = w->ngens < 256 ? w->ngens : 256;
	if (n) {
		gen_seen *g = &w->gens[rand_r(rnd) % n];
		*name = g->name;
		st_strlcpy(gen, g->gen, 32);
		ok = true;
	}
	pthread_mutex_unlock(&w->mu);
	return ok;
}

/* A 5xx other than the busy-session 503 is always wrong. */
static bool status_ok(world *w, const char *what, const st_http_resp *r)
{
	if (r->status < 500)
		return true;
	if (r->status == 503 && r->body && strstr(r->body, "still being processed")) {
		atomic_fetch_add(&w->busy503, 1);
		return true;
	}
	bad(w, "%s: HTTP %ld: %.300s", what, r->status, r->body ? r->body : "");
	return false;
}

/* ------------------------------------------------------------ uploads */

static void check_written(world *w, const char *what, const st_http_resp *r, int name,
			  const char *md5)
{
	const char *got = sbt_str(r, "md5Hash"), *gen = sbt_str(r, "generation");
	if (!got || strcmp(got, md5) || !gen) {
		bad(w, "%s: answered md5Hash %s, sent %s", what, got ? got : "(none)", md5);
		return;
	}
	note_generation(w, name, gen);
	atomic_fetch_add(&w->writes, 1);
}

static void media_upload(world *w, int name, size_t len)
{
	char md5[32], what[64];
	unsigned char *d = new_payload(w, len, md5);
	char *p = st_xasprintf("/upload/storage/v1/b/" BKT "/o?uploadType=media&name=s%d", name);
	st_http_resp r;
	snprintf(what, sizeof what, "upload s%d (%zu bytes)", name, len);
	if (st_http(w->sb, "POST", p, (const char *)d, len, "application/octet-stream", NULL, NULL,
		    &r) != 0)
		bad(w, "%s: no answer", what);
	else if (status_ok(w, what, &r) && r.status == 200)
		check_written(w, what, &r, name, md5);
	else if (r.status != 503)
		bad(w, "%s: HTTP %ld: %.300s", what, r.status, r.body ? r.body : "");
	st_http_free(&r);
	free(p);
	free(d);
}

static void *uploader(void *arg)
{
	world *w = arg;
	unsigned rnd = atomic_fetch_add(&w->next_seed, 1) * 7919u;
	int bigs = 0;
	for (int i = 0; running(w, i); i++) {
		size_t len = (size_t)(rand_r(&rnd) % (600u * 1024u));
		if (i % 25 == 3 && bigs < 2) {
			len = BIG;
			bigs++;
		}
		media_upload(w, rand_r(&rnd) % NNAMES, len);
	}
	return NULL;
}

static void set_session(world *w, const char *loc)
{
	pthread_mutex_lock(&w->mu);
	st_strlcpy(w->session, loc, sizeof w->session);
	pthread_mutex_unlock(&w->mu);
}

/* One chunk; retried while the session is busy. Returns the final status. */
static long put_chunk(world *w, const char *loc, const unsigned char *d, size_t off, size_t n,
		      const char *total, st_http_resp *r)
{
	char *cr = n ? st_xasprintf("Content-Range: bytes %zu-%zu/%s", off, off + n - 1, total)
		     : st_xasprintf("Content-Range: bytes */%s", total);
	const char *h[] = {cr, NULL};
	long st = 0;
	for (int tries = 0; tries < 200; tries++) {
		memset(r, 0, sizeof *r);
		if (st_http(w->sb, "PUT", loc, (const char *)d + off, n, "application/octet-stream",
			    NULL, h, r) != 0) {
			bad(w, "resumable chunk at %zu: no answer", off);
			break;
		}
		st = r->status;
		if (!status_ok(w, "resumable chunk", r) || st != 503)
			break;
		st_http_free(r);
		usleep(2000);
	}
	free(cr);
	return st;
}

static void resumable_upload(world *w, int name, size_t len)
{
	char md5[32], loc[512], tot[32];
	unsigned char *d = new_payload(w, len, md5);
	char *p = st_xasprintf("/upload/storage/v1/b/" BKT "/o?uploadType=resumable&name=s%d", name);
	st_http_resp r = {0};
	if (st_http(w->sb, "POST", p, "{}", 2, "application/json", NULL, NULL, &r) != 0 ||
	    r.status != 200 || !st_http_header(&r, "Location", loc, sizeof loc)) {
		bad(w, "resumable start: HTTP %ld", r.status);
		goto out;
	}
	st_http_free(&r);
	set_session(w, loc);
	snprintf(tot, sizeof tot, "%zu", len);
	size_t off = 0;
	while (off < len) {
		size_t n = len - off > 2 * UNIT ? 2 * UNIT : len - off;
		bool last = off + n == len;
		long st = put_chunk(w, loc, d, off, n, last ? tot : "*", &r);
		if (st == 404) /* cancelled by the other thread */
			break;
		if (st == 200 && last) {
			check_written(w, "resumable upload", &r, name, md5);
			atomic_fetch_add(&w->resumables, 1);
		} else if (st != 308 || last) {
			if (!atomic_load(&w->errors))
				bad(w, "resumable chunk at %zu of %zu: HTTP %ld: %.300s", off, len, st,
				    r.body ? r.body : "");
			break;
		}
		st_http_free(&r);
		off += n;
	}
	set_session(w, "");
out:
	st_http_free(&r);
	free(p);
	free(d);
}

static void *resumer(void *arg)
{
	world *w = arg;
	unsigned rnd = atomic_fetch_add(&w->next_seed, 1) * 104729u;
	for (int i = 0; running(w, i); i++)
		resumable_upload(w, rand_r(&rnd) % NNAMES, UNIT * (1 + rand_r(&rnd) % 5) +
				 (size_t)(rand_r(&rnd) % 5000u));
	return NULL;
}

/* Status queries and the odd cancel on whatever session is being written. */
static void *poker(void *arg)
{
	world *w = arg;
	unsigned rnd = 31337;
	for (int i = 0; running(w, i); i++) {
		char loc[512];
		pthread_mutex_lock(&w->mu);
		st_strlcpy(loc, w->session, sizeof loc);
		pthread_mutex_unlock(&w->mu);
		if (!loc[0]) {
			usleep(1000);
			continue;
		}
		st_http_resp r;
		bool cancel = rand_r(&rnd) % 12 == 0;
		const char *h[] = {"Content-Range: bytes */*", NULL};
		int rc = cancel ? st_http(w->sb, "DELETE", loc, NULL, 0, NULL, NULL, NULL, &r)
				: st_http(w->sb, "PUT", loc, "", 0, "application/octet-stream", NULL,
					  h, &r);
		if (rc != 0)
			bad(w, "session %s: no answer", cancel ? "cancel" : "status query");
		else if (status_ok(w, cancel ? "cancel" : "status query", &r) && r.status != 503 &&
			 r.status != (cancel ? 204 : 308) && r.status != 404 && r.status != 200)
			bad(w, "session %s: HTTP %ld: %.300s", cancel ? "cancel" : "status query",
			    r.status, r.body ? r.body : "");
		st_http_free(&r);
		usleep(500);
	}
	return NULL;
}

/* ------------------------------------------------------------ downloads */

/* The md5= part of X-Goog-Hash. */
static bool hash_md5(const st_http_resp *r, char md5[32])
{
	char h[160];
	const char *v = st_http_header(r, "X-Goog-Hash", h, sizeof h);
	const char *m = v ? strstr(v, "md5=") : NULL;
	if (!m)
		return false;
	st_strlcpy(md5, m + 4, 32);
	md5[strcspn(md5, ",")] = '\0';
	return true;
}

/* The body must be bytes [first, first+len) of the payload X-Goog-Hash names. */
static void check_body(world *w, const char *what, const st_http_resp *r, size_t first)
{
	char md5[32];
	payload p;
	if (!hash_md5(r, md5) || !find_payload(w, md5, &p)) {
		bad(w, "%s: X-Goog-Hash names no payload that was written", what);
		return;
	}
	if (first + r->len > p.len) {
		bad(w, "%s: %zu bytes at %zu, but the object has %zu", what, r->len, first, p.len);
		return;
	}
	unsigned char *want = kt_bytes(p.len, p.seed);
	if (memcmp(want + first, r->body, r->len) != 0)
		bad(w, "%s: bytes differ from what was written (seed %u)", what, p.seed);
	free(want);
}

static void download(world *w, unsigned *rnd)
{
	int name = rand_r(rnd) % NNAMES;
	char gen[32] = "", range[64] = "", what[128];
	if (rand_r(rnd) % 4 == 0)
		pick_generation(w, rnd, &name, gen);
	size_t first = 0;
	if (rand_r(rnd) % 2) {
		first = (size_t)(rand_r(rnd) % (700u * 1024u));
		snprintf(range, sizeof range, "Range: bytes=%zu-%zu", first,
			 first + (size_t)(rand_r(rnd) % (300u * 1024u)));
	}
	const char *h[] = {range, NULL};
	char *p = st_xasprintf("/storage/v1/b/" BKT "/o/s%d?alt=media%s%s", name,
			       gen[0] ? "&generation=" : "", gen);
	snprintf(what, sizeof what, "GET s%d%s%s %s", name, gen[0] ? " generation " : "", gen,
		 range);
	st_http_resp r;
	if (st_http(w->sb, "GET", p, NULL, 0, NULL, NULL, range[0] ? h : NULL, &r) != 0) {
		bad(w, "%s: no answer", what);
	} else if (!status_ok(w, what, &r)) {
		/* reported */
	} else if (r.status == 200) {
		check_body(w, what, &r, 0);
		atomic_fetch_add(r.len > (16u << 20) ? &w->reads_streamed : &w->reads_whole, 1);
	} else if (r.status == 206) {
		char cr[96];
		unsigned long long a = 0;
		if (!st_http_header(&r, "Content-Range", cr, sizeof cr) ||
		    sscanf(cr, "bytes %llu-", &a) != 1 || a != first)
			bad(w, "%s: 206 with Content-Range %s", what, cr);
		else
			check_body(w, what, &r, first);
		atomic_fetch_add(&w->reads_ranged, 1);
	} else if (r.status != 404 && r.status != 416) {
		bad(w, "%s: HTTP %ld: %.300s", what, r.status, r.body ? r.body : "");
	}
	st_http_free(&r);
	free(p);
}

static void *downloader(void *arg)
{
	world *w = arg;
	unsigned rnd = atomic_fetch_add(&w->next_seed, 1) * 65537u;
	for (int i = 0; running(w, i); i++)
		download(w, &rnd);
	return NULL;
}

/* Deletes the live object or one generation now and then. */
static void *deleter(void *arg)
{
	world *w = arg;
	unsigned rnd = 4242;
	for (int i = 0; running(w, i); i++) {
		int name = rand_r(&rnd) % NNAMES;
		char gen[32] = "";
		if (rand_r(&rnd) % 2)
			pick_generation(w, &rnd, &name, gen);
		char *p = st_xasprintf("/storage/v1/b/" BKT "/o/s%d%s%s", name,
				       gen[0] ? "?generation=" : "", gen);
		st_http_resp r;
		if (st_http(w->sb, "DELETE", p, NULL, 0, NULL, NULL, NULL, &r) != 0)
			bad(w, "DELETE %s: no answer", p);
		else if (status_ok(w, "DELETE", &r) && r.status != 204 && r.status != 404)
			bad(w, "DELETE %s: HTTP %ld: %.300s", p, r.status, r.body ? r.body : "");
		st_http_free(&r);
		free(p);
		usleep(20000);
	}
	return NULL;
}

/* ------------------------------------------------------------ the test */

static int setup(void **st)
{
	st_sandbox *sb = sbt_new(NULL);
	kt_do(sb, "POST", "/storage/v1/b?project=p1",
	      "{\"name\":\"" BKT "\",\"location\":\"us-central1\",\"versioning\":{\"enabled\":true},"
	      "\"lifecycle\":{\"rule\":[{\"action\":{\"type\":\"Delete\"},"
	      "\"condition\":{\"numNewerVersions\":2}}]}}", 200);
	*st = sb;
	return 0;
}

static void concurrent_transfers(void **st)
{
	world w = {.sb = *st, .next_seed = 1000};
	void *(*fn[])(void *) = {uploader, uploader, resumer, poker, downloader, downloader,
				 downloader, deleter};
	pthread_t t[sizeof fn / sizeof *fn];
	pthread_mutex_init(&w.mu, NULL);
	/* every name exists before the readers start */
	for (int i = 0; i < NNAMES; i++)
		media_upload(&w, i, 1000 + (size_t)i);
	assert_int_equal(atomic_load(&w.errors), 0);
	w.deadline = st_mono_ms() + RUN_MS;
	for (size_t i = 0; i < sizeof fn / sizeof *fn; i++)
		assert_int_equal(pthread_create(&t[i], NULL, fn[i], &w), 0);
	for (size_t i = 0; i < sizeof fn / sizeof *fn; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr, "stress: %d writes (%d resumable), reads: %d whole, %d ranged, "
		"%d streamed; %d busy 503s\n", atomic_load(&w.writes), atomic_load(&w.resumables),
		atomic_load(&w.reads_whole), atomic_load(&w.reads_ranged),
		atomic_load(&w.reads_streamed), atomic_load(&w.busy503));
	assert_int_equal(atomic_load(&w.errors), 0);
	assert_true(atomic_load(&w.writes) > NNAMES);
	assert_true(atomic_load(&w.reads_whole) + atomic_load(&w.reads_streamed) > 0);
	assert_true(atomic_load(&w.reads_ranged) > 0);

	/* Quiet again: the live objects read back as written, and no scratch file of an
	 * upload (finished, refused or cut short) is left behind. */
	unsigned rnd = 1;
	for (int i = 0; i < 20; i++)
		download(&w, &rnd);
	assert_int_equal(atomic_load(&w.errors), 0);
	char *tmp = st_xasprintf("%s/gcs-tmp", w.sb->state);
	assert_int_equal(st_test_count_entries(tmp, ""), 0);
	free(tmp);
	free(w.pl);
	pthread_mutex_destroy(&w.mu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(concurrent_transfers, setup, sbt_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
