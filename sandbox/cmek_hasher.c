/* MD5 on a helper thread (see cmek_hasher.h). */
#include "sandbox/cmek_hasher.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "common/str.h"

struct sb_hasher {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	EVP_MD_CTX *md;
	const void *p;
	size_t n;
	int pending, end, failed;
};

static void *hasher_main(void *arg)
{
	sb_hasher *h = arg;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (!h->pending && !h->end)
			pthread_cond_wait(&h->cv, &h->mu);
		if (!h->pending)
			break;
		const void *p = h->p;
		size_t n = h->n;
		pthread_mutex_unlock(&h->mu);
		int ok = n == 0 || EVP_DigestUpdate(h->md, p, n) == 1;
		pthread_mutex_lock(&h->mu);
		h->failed |= !ok;
		h->pending = 0;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

sb_hasher *sb_hasher_start(void)
{
	sb_hasher *h = st_xcalloc(1, sizeof *h);
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, EVP_md5(), NULL) != 1)
		goto fail;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	if (pthread_create(&h->th, NULL, hasher_main, h) == 0)
		return h;
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
fail:
	EVP_MD_CTX_free(h->md);
	free(h);
	return NULL;
}

/* Called with the mutex held. */
static void wait_idle(sb_hasher *h)
{
	while (h->pending)
		pthread_cond_wait(&h->cv, &h->mu);
}

void sb_hasher_feed(sb_hasher *h, const void *p, size_t n)
{
	pthread_mutex_lock(&h->mu);
	wait_idle(h);
	h->p = p;
	h->n = n;
	h->pending = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

int sb_hasher_finish(sb_hasher *h, unsigned char md5[16])
{
	pthread_mutex_lock(&h->mu);
	wait_idle(h);
	h->end = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->th, NULL);
	unsigned int len = 0;
	unsigned char tmp[EVP_MAX_MD_SIZE];
	int rc = !h->failed && EVP_DigestFinal_ex(h->md, tmp, &len) == 1 && len == 16 ? 0 : -1;
	if (rc == 0 && md5)
		for (int i = 0; i < 16; i++)
			md5[i] = tmp[i];
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	EVP_MD_CTX_free(h->md);
	free(h);
	return rc;
}
