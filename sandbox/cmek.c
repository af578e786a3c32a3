/* One-shot AES-256-GCM and the master key file (see cmek.h). */
#include "sandbox/cmek.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "common/str.h"

/* Runs one GCM pass; enc selects direction. tag is written (enc) or checked. */
static int gcm_run(int enc, const unsigned char *key, const unsigned char *iv, const void *aad,
		   size_t aad_len, const unsigned char *in, size_t len, unsigned char *out,
		   unsigned char *tag)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int ok = x && EVP_CipherInit_ex(x, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1;
	int n = 0;
	if (ok && aad && aad_len)
		ok = EVP_CipherUpdate(x, NULL, &n, aad, (int)aad_len) == 1;
	if (ok && len)
		ok = EVP_CipherUpdate(x, out, &n, in, (int)len) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, SB_CMEK_TAG_LEN, tag) == 1;
	if (ok)
		ok = EVP_CipherFinal_ex(x, out + n, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, SB_CMEK_TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

unsigned char *sb_cmek_seal(const unsigned char *key, const void *aad, size_t aad_len,
			    const void *pt, size_t pt_len, size_t *out_len)
{
	if (pt_len > (size_t)1 << 30)
		return NULL;
	unsigned char *out = st_xmalloc(pt_len + SB_CMEK_OVERHEAD);
	if (st_random_bytes(out, SB_CMEK_IV_LEN) != 0 ||
	    gcm_run(1, key, out, aad, aad_len, pt, pt_len, out + SB_CMEK_IV_LEN,
		    out + SB_CMEK_IV_LEN + pt_len) != 0) {
		free(out);
		return NULL;
	}
	*out_len = pt_len + SB_CMEK_OVERHEAD;
	return out;
}

unsigned char *sb_cmek_open(const unsigned char *key, const void *aad, size_t aad_len,
			    const void *in, size_t in_len, size_t *out_len)
{
	if (in_len < SB_CMEK_OVERHEAD || in_len > ((size_t)1 << 30) + SB_CMEK_OVERHEAD)
		return NULL;
	const unsigned char *p = in;
	size_t n = in_len - SB_CMEK_OVERHEAD;
	unsigned char tag[SB_CMEK_TAG_LEN];
	memcpy(tag, p + SB_CMEK_IV_LEN + n, sizeof tag);
	unsigned char *out = st_xmalloc(n + 1);
	if (gcm_run(0, key, p, aad, aad_len, p + SB_CMEK_IV_LEN, n, out, tag) != 0) {
		OPENSSL_cleanse(out, n + 1);
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

static int master_create(const char *path, unsigned char *key, char *err, size_t errlen)
{
	if (st_random_bytes(key, SB_CMEK_KEY_LEN) != 0) {
		snprintf(err, errlen, "%s: no randomness available for the master key", path);
		return -1;
	}
	return st_atomic_write(path, key, SB_CMEK_KEY_LEN, 0600, err, errlen);
}

int sb_cmek_master_load(const char *state_dir, unsigned char key[SB_CMEK_KEY_LEN], char *err,
			size_t errlen)
{
	char *path = st_xasprintf("%s/master.key", state_dir);
	struct stat st;
	int rc = -1;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			rc = master_create(path, key, err, errlen);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %03o lets others read the master key; expected 0600",
			 path, (unsigned)(st.st_mode & 0777));
	} else if (st.st_size != SB_CMEK_KEY_LEN) {
		snprintf(err, errlen, "%s: %lld bytes, expected %d (damaged master key)", path,
			 (long long)st.st_size, SB_CMEK_KEY_LEN);
	} else {
		size_t n = 0;
		char *data = st_read_file(path, SB_CMEK_KEY_LEN, &n, err, errlen);
		if (data && n == SB_CMEK_KEY_LEN) {
			memcpy(key, data, SB_CMEK_KEY_LEN);
			rc = 0;
		} else if (data) {
			snprintf(err, errlen, "%s: short read", path);
		}
		if (data) {
			OPENSSL_cleanse(data, n);
			free(data);
		}
	}
	free(path);
	return rc;
}
