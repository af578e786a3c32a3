/* Benchmark: CMEK object upload and download through the sandbox (HTTP, spooling,
 * AES-256-GCM with CRC32C and MD5, key unwrap) for 1 MiB and 64 MiB objects, set
 * against openssl's single-core AES-256-GCM speed on the same machine. */
#include "bench/bench_sandbox_util.h"

#include <unistd.h>

/* openssl speed -evp aes-256-gcm on 64 KiB blocks, in MB/s; 0 when unavailable. */
static double openssl_gcm_mbs(void)
{
	FILE *p = popen("openssl speed -evp aes-256-gcm -bytes 65536 -seconds 2 2>/dev/null", "r");
	char line[256];
	double kbs = 0;
	while (p && fgets(line, sizeof line, p)) {
		if (st_starts_with(line, "AES-256-GCM") || st_starts_with(line, "aes-256-gcm"))
			kbs = strtod(line + 11, NULL);
	}
	if (p)
		pclose(p);
	return kbs * 1000 / 1e6;
}

typedef struct run {
	double up_s, down_s;
} run;

static void one_round(const st_sandbox *sb, CURL *h, const unsigned char *data, size_t len,
		      run *acc)
{
	char *up = st_xasprintf("%s/upload/storage/v1/b/bench-cmek/o?uploadType=media&name=obj-%zu",
				sb->url, len);
	char *down = st_xasprintf("%s/storage/v1/b/bench-cmek/o/obj-%zu?alt=media", sb->url, len);
	size_t got = 0;
	long code = 0;
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
	curl_easy_setopt(h, CURLOPT_URL, up);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	int64_t t0 = st_mono_ms();
	if (curl_easy_perform(h) != CURLE_OK ||
	    (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code), code != 200))
		bs_die("upload failed");
	int64_t t1 = st_mono_ms();
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_URL, down);
	got = 0;
	if (curl_easy_perform(h) != CURLE_OK || got != len)
		bs_die("download failed");
	int64_t t2 = st_mono_ms();
	acc->up_s += (double)(t1 - t0) / 1000;
	acc->down_s += (double)(t2 - t1) / 1000;
	free(up);
	free(down);
}

static void measure(const st_sandbox *sb, size_t len, int rounds, double gcm)
{
	unsigned char *data = st_xmalloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 11));
	struct curl_slist *hdrs;
	CURL *h = bs_handle(&hdrs, "application/octet-stream");
	run acc = {0};
	one_round(sb, h, data, len, &acc); /* warm-up */
	acc = (run){0};
	for (int i = 0; i < rounds; i++)
		one_round(sb, h, data, len, &acc);
	double mb = (double)len * rounds / 1e6;
	double up = mb / acc.up_s, down = mb / acc.down_s;
	printf("cmek %5.1f MiB x %2d: upload %7.1f MB/s (%.3f of openssl), download %7.1f MB/s "
	       "(%.3f of openssl)\n", (double)len / (1 << 20), rounds, up, gcm > 0 ? up / gcm : 0,
	       down, gcm > 0 ? down / gcm : 0);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(data);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	st_sandbox sb;
	bs_setup(&sb);
	json_decref(bs_ok(&sb, "POST", "/storage/v1/b?project=p1",
			  "{\"name\":\"bench-cmek\",\"location\":\"us-central1\","
			  "\"encryption\":{\"defaultKmsKeyName\":\"" BS_KEY "\"}}"));
	double gcm = openssl_gcm_mbs();
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	printf("openssl speed -evp aes-256-gcm (64 KiB blocks, one core): %.1f MB/s; %ld cores\n",
	       gcm, cores);
	measure(&sb, 1u << 20, 20, gcm);
	measure(&sb, 64u << 20, 3, gcm);
	st_sandbox_stop(&sb, 15, false);
	curl_global_cleanup();
	return 0;
}
