/* Benchmark: small Cloud KMS encrypt calls per second from 8 concurrent clients, each
 * on its own keep-alive connection. Every call goes through auth, routing, the IAM
 * check, one SQLite transaction, the key unwrap and AES-256-GCM. */
#include "bench/bench_sandbox_util.h"

#include <pthread.h>

#define CLIENTS 8
#define SECONDS 5

typedef struct client {
	const st_sandbox *sb;
	int64_t until;
	long ok, failed;
} client;

static void *worker(void *arg)
{
	client *cl = arg;
	struct curl_slist *hdrs;
	CURL *h = bs_handle(&hdrs, "application/json");
	char *url = st_xasprintf("%s/v1/" BS_KEY ":encrypt", cl->sb->url);
	const char *body = "{\"plaintext\":\"c21hbGwgc2VjcmV0IHBheWxvYWQgMzIgYnl0ZXMhIQ==\"}";
	size_t got = 0;
	long code = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
	while (st_mono_ms() < cl->until) {
		if (curl_easy_perform(h) == CURLE_OK &&
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200)
			cl->ok++;
		else
			cl->failed++;
	}
	free(url);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return NULL;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	st_sandbox sb;
	bs_setup(&sb);
	client cl[CLIENTS];
	pthread_t th[CLIENTS];
	int64_t start = st_mono_ms();
	for (int i = 0; i < CLIENTS; i++) {
		cl[i] = (client){.sb = &sb, .until = start + SECONDS * 1000};
		pthread_create(&th[i], NULL, worker, &cl[i]);
	}
	long ok = 0, failed = 0;
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(th[i], NULL);
		ok += cl[i].ok;
		failed += cl[i].failed;
	}
	double secs = (double)(st_mono_ms() - start) / 1000;
	printf("kms encrypt, %d clients, %d s: %.0f requests/s (%ld ok, %ld failed)\n", CLIENTS,
	       SECONDS, (double)ok / secs, ok, failed);
	st_sandbox_stop(&sb, 15, false);
	curl_global_cleanup();
	return failed ? 1 : 0;
}
