/* Benchmark: latency of small calls (a KMS encrypt and a Storage object metadata get,
 * taken in turn) while another client moves 64 MiB objects through Cloud Storage.
 * Three phases: nothing else running, 64 MiB CMEK uploads back to back, 64 MiB CMEK
 * downloads back to back. Prints p50, p99 and the maximum per phase. Only small
 * calls made while a transfer was in flight count in the busy phases. */
#include "bench/bench_sandbox_util.h"

#include <pthread.h>
#include <time.h>

#define BIG (64u << 20)
#define TRANSFERS 4
#define IDLE_MS 2000
#define MAX_SAMPLES 200000

typedef struct bench {
	const st_sandbox *sb;
	volatile int busy;  /* a transfer is in flight */
	volatile int stop;
	unsigned char *data;
	double *lat_ms;
	size_t n;
} bench;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* TRANSFERS 64 MiB uploads or downloads back to back on one handle, with busy set
 * while each is in flight; then tells the small-call loop to stop. */
static void transfers(bench *b, bool upload)
{
	struct curl_slist *hdrs;
	size_t got = 0;
	long code = 0;
	CURL *h = bs_handle(&hdrs, "application/octet-stream");
	char *url = upload ? st_xasprintf("%s/upload/storage/v1/b/bench-bkt/o?uploadType=media&name=up",
					  b->sb->url)
			   : st_xasprintf("%s/download/storage/v1/b/bench-bkt/o/big?alt=media",
					  b->sb->url);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
	if (upload) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)b->data);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)BIG);
	}
	for (int i = 0; i < TRANSFERS; i++) {
		got = 0;
		b->busy = 1;
		if (curl_easy_perform(h) != CURLE_OK ||
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200 ||
		    (!upload && got != BIG))
			bs_die(upload ? "a 64 MiB upload failed" : "a 64 MiB download failed");
		b->busy = 0;
	}
	b->stop = 1;
	free(url);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
}

static void *uploader(void *arg)
{
	transfers(arg, true);
	return NULL;
}

static void *downloader(void *arg)
{
	transfers(arg, false);
	return NULL;
}

/* Small calls until stop (or for IDLE_MS when there is no transfer thread). */
static void small_calls(bench *b, bool idle)
{
	struct curl_slist *hk, *hs;
	size_t got = 0;
	long code = 0;
	CURL *kms = bs_handle(&hk, "application/json");
	CURL *gcs = bs_handle(&hs, "application/json");
	char *ku = st_xasprintf("%s/v1/" BS_KEY ":encrypt", b->sb->url);
	char *gu = st_xasprintf("%s/storage/v1/b/bench-bkt/o/big", b->sb->url);
	curl_easy_setopt(kms, CURLOPT_URL, ku);
	curl_easy_setopt(kms, CURLOPT_POSTFIELDS, "{\"plaintext\":\"aGVsbG8gd29ybGQ=\"}");
	curl_easy_setopt(kms, CURLOPT_WRITEDATA, &got);
	curl_easy_setopt(gcs, CURLOPT_URL, gu);
	curl_easy_setopt(gcs, CURLOPT_WRITEDATA, &got);
	double until = now_ms() + IDLE_MS;
	b->n = 0;
	for (size_t i = 0; idle ? now_ms() < until : !b->stop; i++) {
		CURL *h = i % 2 ? gcs : kms;
		int was_busy = b->busy;
		double t0 = now_ms();
		if (curl_easy_perform(h) != CURLE_OK ||
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200)
			bs_die("a small call failed");
		double dt = now_ms() - t0;
		if ((idle || (was_busy && b->busy)) && b->n < MAX_SAMPLES)
			b->lat_ms[b->n++] = dt;
	}
	free(ku);
	free(gu);
	curl_easy_cleanup(kms);
	curl_easy_cleanup(gcs);
	curl_slist_free_all(hk);
	curl_slist_free_all(hs);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *phase, bench *b)
{
	if (!b->n) {
		printf("%-34s no small call finished during a transfer\n", phase);
		return;
	}
	qsort(b->lat_ms, b->n, sizeof *b->lat_ms, cmp_double);
	printf("%-34s %6zu calls  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", phase, b->n,
	       b->lat_ms[b->n / 2], b->lat_ms[b->n * 99 / 100], b->lat_ms[b->n - 1]);
}

static void phase(bench *b, const char *name, void *(*fn)(void *))
{
	pthread_t th;
	b->stop = 0;
	b->busy = 0;
	if (fn)
		pthread_create(&th, NULL, fn, b);
	small_calls(b, fn == NULL);
	if (fn)
		pthread_join(th, NULL);
	report(name, b);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	st_sandbox sb;
	bs_setup(&sb);
	json_decref(bs_ok(&sb, "POST", "/storage/v1/b?project=p1",
			  "{\"name\":\"bench-bkt\",\"location\":\"us-central1\",\"encryption\":"
			  "{\"defaultKmsKeyName\":\"" BS_KEY "\"}}"));
	bench b = {.sb = &sb, .data = st_xmalloc(BIG), .lat_ms = st_xcalloc(MAX_SAMPLES, sizeof(double))};
	for (size_t i = 0; i < BIG; i++)
		b.data[i] = (unsigned char)(i * 2654435761u >> 24);
	st_http_resp r;
	if (st_http(&sb, "POST", "/upload/storage/v1/b/bench-bkt/o?uploadType=media&name=big",
		    (const char *)b.data, BIG, "application/octet-stream", NULL, NULL, &r) != 0 ||
	    r.status != 200)
		bs_die("cannot upload the 64 MiB object");
	st_http_free(&r);
	printf("small calls (KMS encrypt / object get, alternating), one client:\n");
	phase(&b, "  idle", NULL);
	phase(&b, "  during 64 MiB CMEK uploads", uploader);
	phase(&b, "  during 64 MiB CMEK downloads", downloader);
	free(b.data);
	free(b.lat_ms);
	st_sandbox_stop(&sb, 15, false);
	curl_global_cleanup();
	return 0;
}
