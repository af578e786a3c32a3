/* Chunked AES-256-GCM files for object data (layout in cmek.h). Objects can be up
 * to 5 GiB, so both directions work chunk by chunk with one cipher context and a
 * fixed buffer; a ranged read decrypts only the chunks it touches. */
#include "sandbox/cmek.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/codec.h"
#include "common/str.h"
#include "sandbox/cmek_hasher.h"

static const char magic[8] = "SBCMEK1";

typedef struct chunker {
	EVP_CIPHER_CTX *x;
	unsigned char hdr[SB_CMEK_HDR_LEN];
	int enc;
} chunker;

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static int chunker_init(chunker *k, const unsigned char *dek, int enc)
{
	k->enc = enc;
	k->x = EVP_CIPHER_CTX_new();
	if (!k->x || EVP_CipherInit_ex(k->x, EVP_aes_256_gcm(), NULL, dek, NULL, enc) != 1)
		return -1;
	return 0;
}

/* One chunk: in and out may alias; tag is produced (enc) or verified. Binding the
 * index and the last flag into the AAD stops reordering and truncation. */
static int chunk_run(chunker *k, uint64_t idx, int last, const unsigned char *in, size_t len,
		     unsigned char *out, unsigned char *tag)
{
	unsigned char iv[SB_CMEK_IV_LEN], aad[SB_CMEK_HDR_LEN + 9];
	memcpy(iv, k->hdr + 12, 4);
	put_be64(iv + 4, idx);
	memcpy(aad, k->hdr, SB_CMEK_HDR_LEN);
	put_be64(aad + SB_CMEK_HDR_LEN, idx);
	aad[SB_CMEK_HDR_LEN + 8] = (unsigned char)last;
	int n = 0;
	if (EVP_CipherInit_ex(k->x, NULL, NULL, NULL, iv, k->enc) != 1 ||
	    EVP_CipherUpdate(k->x, NULL, &n, aad, sizeof aad) != 1)
		return -1;
	if (len && EVP_CipherUpdate(k->x, out, &n, in, (int)len) != 1)
		return -1;
	if (!k->enc && EVP_CIPHER_CTX_ctrl(k->x, EVP_CTRL_GCM_SET_TAG, SB_CMEK_TAG_LEN, tag) != 1)
		return -1;
	int fin = 0;
	if (EVP_CipherFinal_ex(k->x, out + (len ? n : 0), &fin) != 1)
		return -1;
	if (k->enc && EVP_CIPHER_CTX_ctrl(k->x, EVP_CTRL_GCM_GET_TAG, SB_CMEK_TAG_LEN, tag) != 1)
		return -1;
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w, n -= (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes at off; -1 on error or early end of file. */
static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	unsigned char *c = p;
	while (n) {
		ssize_t r = pread(fd, c, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r, n -= (size_t)r, off += (uint64_t)r;
	}
	return 0;
}

typedef struct enc_job {
	chunker k;
	int in, out;
	sb_hasher *md5;
	uint32_t crc;
	unsigned char *pbuf[2]; /* plaintext, alternating while the hasher reads one */
	unsigned char *obuf;    /* SB_CMEK_CHUNK + tag of ciphertext */
} enc_job;

/* While the hasher thread takes MD5 of chunk i, this thread computes its CRC32C,
 * encrypts it and reads chunk i+1 into the other buffer. */
static int enc_chunks(enc_job *j, uint64_t offset, uint64_t len, const char **what)
{
	uint64_t idx = 0, done = 0;
	for (;;) {
		size_t n = len - done >= SB_CMEK_CHUNK ? SB_CMEK_CHUNK : (size_t)(len - done);
		int last = n < SB_CMEK_CHUNK;
		unsigned char *p = j->pbuf[idx & 1];
		if (n && pread_all(j->in, p, n, offset + done) != 0)
			return *what = "read", -1;
		sb_hasher_feed(j->md5, p, n);
		j->crc = st_crc32c(j->crc, p, n);
		if (chunk_run(&j->k, idx, last, p, n, j->obuf, j->obuf + n) != 0)
			return *what = "encrypt", -1;
		if (write_all(j->out, j->obuf, n + SB_CMEK_TAG_LEN) != 0)
			return *what = "write", -1;
		done += n, idx++;
		if (last)
			return 0;
	}
}

static int enc_header(enc_job *j)
{
	memcpy(j->k.hdr, magic, 8);
	put_be32(j->k.hdr + 8, SB_CMEK_CHUNK);
	if (st_random_bytes(j->k.hdr + 12, 4) != 0)
		return -1;
	return write_all(j->out, j->k.hdr, SB_CMEK_HDR_LEN);
}

int sb_cmek_encrypt_file(const unsigned char *dek, const char *src, uint64_t offset,
			 uint64_t len, const char *dst, sb_cmek_digest *dig, char *err,
			 size_t errlen)
{
	enc_job j = {.in = open(src, O_RDONLY | O_CLOEXEC), .out = -1};
	const char *what = "open";
	int rc = -1;
	if (j.in < 0)
		goto out;
	j.out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	for (int i = 0; i < 2; i++)
		j.pbuf[i] = st_xmalloc(SB_CMEK_CHUNK);
	j.obuf = st_xmalloc(SB_CMEK_CHUNK + SB_CMEK_TAG_LEN);
	what = "set up the cipher for";
	if (j.out < 0 || !(j.md5 = sb_hasher_start()) || chunker_init(&j.k, dek, 1) != 0 ||
	    enc_header(&j) != 0)
		goto out;
	if (enc_chunks(&j, offset, len, &what) != 0)
		goto out;
	what = "hash";
	int hrc = sb_hasher_finish(j.md5, dig ? dig->md5 : NULL);
	j.md5 = NULL;
	if (hrc != 0)
		goto out;
	what = "sync";
	if (fsync(j.out) != 0)
		goto out;
	if (dig) {
		dig->size = len;
		dig->crc32c = j.crc;
	}
	rc = 0;
out:
	if (rc != 0)
		snprintf(err, errlen, "cannot %s object data (%s -> %s): %s", what, src, dst,
			 errno ? strerror(errno) : "cipher failure");
	if (j.md5)
		sb_hasher_finish(j.md5, NULL);
	if (j.in >= 0)
		close(j.in);
	if (j.out >= 0 && close(j.out) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write object data %s: %s", dst, strerror(errno));
		rc = -1;
	}
	if (rc != 0 && j.out >= 0)
		unlink(dst);
	EVP_CIPHER_CTX_free(j.k.x);
	free(j.pbuf[0]);
	free(j.pbuf[1]);
	free(j.obuf);
	return rc;
}

int64_t sb_cmek_plain_size(uint64_t file_size)
{
	const uint64_t unit = SB_CMEK_CHUNK + SB_CMEK_TAG_LEN;
	if (file_size < SB_CMEK_HDR_LEN + SB_CMEK_TAG_LEN)
		return -1;
	uint64_t body = file_size - SB_CMEK_HDR_LEN;
	uint64_t full = body / unit, rem = body % unit;
	if (rem < SB_CMEK_TAG_LEN)
		return -1;
	return (int64_t)(full * SB_CMEK_CHUNK + (rem - SB_CMEK_TAG_LEN));
}

typedef struct dec_job {
	chunker k;
	int in, out;
	uint64_t plain;
	unsigned char *buf, *mem;
	size_t mem_len;
} dec_job;

/* Reads and authenticates chunk idx into j->buf; its plaintext length in *n. */
static int dec_load(dec_job *j, uint64_t idx, size_t *n)
{
	uint64_t last_idx = j->plain / SB_CMEK_CHUNK;
	*n = idx == last_idx ? (size_t)(j->plain - idx * SB_CMEK_CHUNK) : SB_CMEK_CHUNK;
	uint64_t at = SB_CMEK_HDR_LEN + idx * (SB_CMEK_CHUNK + SB_CMEK_TAG_LEN);
	if (pread_all(j->in, j->buf, *n + SB_CMEK_TAG_LEN, at) != 0 ||
	    chunk_run(&j->k, idx, idx == last_idx, j->buf, *n, j->buf, j->buf + *n) != 0)
		return -1;
	return 0;
}

/* Decrypts chunk idx and emits the part of it inside [lo, hi). */
static int dec_chunk(dec_job *j, uint64_t idx, uint64_t lo, uint64_t hi)
{
	uint64_t start = idx * SB_CMEK_CHUNK;
	size_t n;
	if (dec_load(j, idx, &n) != 0)
		return -1;
	uint64_t a = lo > start ? lo - start : 0;
	uint64_t b = hi < start + n ? hi - start : n;
	if (a >= b)
		return 0;
	if (j->mem) {
		memcpy(j->mem + j->mem_len, j->buf + a, (size_t)(b - a));
		j->mem_len += (size_t)(b - a);
		return 0;
	}
	return write_all(j->out, j->buf + a, (size_t)(b - a));
}

/* Reads the header of the file open as j->in. */
static int dec_start(dec_job *j, const unsigned char *dek)
{
	off_t size = lseek(j->in, 0, SEEK_END);
	int64_t plain = size < 0 ? -1 : sb_cmek_plain_size((uint64_t)size);
	if (plain < 0 || pread_all(j->in, j->k.hdr, SB_CMEK_HDR_LEN, 0) != 0 ||
	    memcmp(j->k.hdr, magic, 8) != 0 || j->k.hdr[8] != 0 || j->k.hdr[9] != 1 ||
	    j->k.hdr[10] != 0 || j->k.hdr[11] != 0) {
		errno = EBADMSG;
		return -1;
	}
	j->plain = (uint64_t)plain;
	return chunker_init(&j->k, dek, 0);
}

static int dec_open(dec_job *j, const unsigned char *dek, const char *src)
{
	j->in = open(src, O_RDONLY | O_CLOEXEC);
	return j->in < 0 ? -1 : dec_start(j, dek);
}

/* Takes ownership of in (-1: opening failed, errno says why). */
static int decrypt_range(int in, const unsigned char *dek, const char *src, uint64_t offset,
			 uint64_t len, const char *dst, unsigned char **mem, char *err,
			 size_t errlen)
{
	dec_job j = {.in = in, .out = -1};
	int rc = -1;
	if (in < 0)
		goto out;
	errno = 0;
	if (dec_start(&j, dek) != 0)
		goto out;
	if (offset > j.plain || len > j.plain - offset) {
		errno = ERANGE;
		goto out;
	}
	j.buf = st_xmalloc(SB_CMEK_CHUNK + SB_CMEK_TAG_LEN);
	if (dst) {
		j.out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (j.out < 0)
			goto out;
	} else {
		j.mem = st_xmalloc(len + 1);
	}
	uint64_t first = offset / SB_CMEK_CHUNK;
	uint64_t last = len ? (offset + len - 1) / SB_CMEK_CHUNK : first;
	for (uint64_t i = first; i <= last; i++) {
		if (dec_chunk(&j, i, offset, offset + len) != 0) {
			if (!errno)
				errno = EBADMSG;
			goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0)
		snprintf(err, errlen, "cannot decrypt object data %s: %s", src,
			 errno == EBADMSG ? "damaged or wrong key" : strerror(errno));
	if (j.in >= 0)
		close(j.in);
	if (j.out >= 0 && close(j.out) != 0)
		rc = -1;
	if (rc != 0 && dst && j.out >= 0)
		unlink(dst);
	if (rc == 0 && mem) {
		j.mem[j.mem_len] = 0;
		*mem = j.mem;
	} else {
		free(j.mem);
	}
	EVP_CIPHER_CTX_free(j.k.x);
	free(j.buf);
	return rc;
}

int sb_cmek_decrypt_range(const unsigned char *dek, const char *src, uint64_t offset,
			  uint64_t len, const char *dst, unsigned char **mem, char *err,
			  size_t errlen)
{
	return decrypt_range(open(src, O_RDONLY | O_CLOEXEC), dek, src, offset, len, dst, mem,
			     err, errlen);
}

int sb_cmek_decrypt_range_fd(const unsigned char *dek, int src_fd, const char *src,
			     uint64_t offset, uint64_t len, const char *dst, unsigned char **mem,
			     char *err, size_t errlen)
{
	return decrypt_range(src_fd < 0 ? -1 : fcntl(src_fd, F_DUPFD_CLOEXEC, 0), dek, src,
			     offset, len, dst, mem, err, errlen);
}

/* ------------------------------------------------------------ streaming reads */

struct sb_cmek_reader {
	dec_job j;
	uint64_t pos, end;     /* plaintext offsets: next byte to give, end of range */
	uint64_t loaded;       /* index of the chunk in j.buf, UINT64_MAX: none */
	size_t loaded_len;
};

static void reader_error(char *err, size_t errlen, const char *src)
{
	snprintf(err, errlen, "cannot decrypt object data %s: %s", src,
		 errno == EBADMSG || !errno ? "damaged or wrong key" : strerror(errno));
}

sb_cmek_reader *sb_cmek_reader_open(const unsigned char *dek, int fd, const char *src,
				    uint64_t offset, uint64_t len, char *err, size_t errlen)
{
	sb_cmek_reader *r = st_xcalloc(1, sizeof *r);
	r->j.in = fd;
	r->j.out = -1;
	r->loaded = UINT64_MAX;
	errno = 0;
	if (fd < 0 || dec_start(&r->j, dek) != 0) {
		reader_error(err, errlen, src);
		sb_cmek_reader_close(r);
		return NULL;
	}
	if (offset > r->j.plain || len > r->j.plain - offset) {
		snprintf(err, errlen, "cannot decrypt object data %s: range past its end", src);
		sb_cmek_reader_close(r);
		return NULL;
	}
	r->pos = offset;
	r->end = offset + len;
	r->j.buf = st_xmalloc(SB_CMEK_CHUNK + SB_CMEK_TAG_LEN);
	return r;
}

long sb_cmek_reader_read(sb_cmek_reader *r, unsigned char *buf, size_t max, const char *src,
			 char *err, size_t errlen)
{
	size_t given = 0;
	while (given < max && r->pos < r->end) {
		uint64_t idx = r->pos / SB_CMEK_CHUNK;
		errno = 0;
		if (idx != r->loaded && dec_load(&r->j, idx, &r->loaded_len) != 0) {
			r->loaded = UINT64_MAX;
			reader_error(err, errlen, src);
			return -1;
		}
		r->loaded = idx;
		size_t at = (size_t)(r->pos - idx * SB_CMEK_CHUNK);
		size_t n = r->loaded_len - at;
		if (n > max - given)
			n = max - given;
		if ((uint64_t)n > r->end - r->pos)
			n = (size_t)(r->end - r->pos);
		memcpy(buf + given, r->j.buf + at, n);
		given += n;
		r->pos += n;
	}
	return (long)given;
}

void sb_cmek_reader_close(sb_cmek_reader *r)
{
	if (!r)
		return;
	if (r->j.in >= 0)
		close(r->j.in);
	EVP_CIPHER_CTX_free(r->j.k.x);
	if (r->j.buf)
		OPENSSL_cleanse(r->j.buf, SB_CMEK_CHUNK + SB_CMEK_TAG_LEN);
	free(r->j.buf);
	free(r);
}

/* ------------------------------------------------------------ files grown in steps */

/* Opens dst for appending at plaintext offset at: a fresh file with a new header when
 * at is 0, else the existing header is loaded and anything past at is cut off (what
 * a rolled-back request may have left). */
static int append_open(enc_job *j, const char *dst, uint64_t at)
{
	if (at == 0) {
		j->out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		return j->out < 0 ? -1 : enc_header(j);
	}
	j->out = open(dst, O_RDWR | O_CLOEXEC);
	if (j->out < 0 || pread_all(j->out, j->k.hdr, SB_CMEK_HDR_LEN, 0) != 0 ||
	    memcmp(j->k.hdr, magic, 8) != 0)
		return -1;
	off_t keep = (off_t)(SB_CMEK_HDR_LEN + at / SB_CMEK_CHUNK * (SB_CMEK_CHUNK + SB_CMEK_TAG_LEN));
	if (ftruncate(j->out, keep) != 0 || lseek(j->out, keep, SEEK_SET) != keep)
		return -1;
	return 0;
}

/* Like enc_chunks, numbering from first; the last chunk is written only when final. */
static int append_chunks(enc_job *j, uint64_t first, uint64_t offset, uint64_t len, int final)
{
	uint64_t idx = first, done = 0;
	while (done < len || final) {
		size_t n = len - done >= SB_CMEK_CHUNK ? SB_CMEK_CHUNK : (size_t)(len - done);
		int last = n < SB_CMEK_CHUNK;
		if (n && pread_all(j->in, j->obuf, n, offset + done) != 0)
			return -1;
		if (chunk_run(&j->k, idx, last, j->obuf, n, j->obuf, j->obuf + n) != 0 ||
		    write_all(j->out, j->obuf, n + SB_CMEK_TAG_LEN) != 0)
			return -1;
		done += n, idx++;
		if (last)
			break;
	}
	return 0;
}

int sb_cmek_append(const unsigned char *dek, const char *dst, uint64_t at, const char *src,
		   uint64_t offset, uint64_t len, int final, char *err, size_t errlen)
{
	enc_job j = {.in = open(src, O_RDONLY | O_CLOEXEC), .out = -1};
	int rc = -1;
	errno = 0;
	if (at % SB_CMEK_CHUNK || (!final && len % SB_CMEK_CHUNK)) {
		snprintf(err, errlen, "appending to %s: %llu + %llu bytes are not whole %u-byte chunks",
			 dst, (unsigned long long)at, (unsigned long long)len, SB_CMEK_CHUNK);
		if (j.in >= 0)
			close(j.in);
		return -1;
	}
	j.obuf = st_xmalloc(SB_CMEK_CHUNK + SB_CMEK_TAG_LEN);
	if (j.in >= 0 && chunker_init(&j.k, dek, 1) == 0 && append_open(&j, dst, at) == 0 &&
	    append_chunks(&j, at / SB_CMEK_CHUNK, offset, len, final) == 0 && fsync(j.out) == 0)
		rc = 0;
	if (rc != 0)
		snprintf(err, errlen, "cannot append to %s from %s: %s", dst, src,
			 errno ? strerror(errno) : "cipher failure or damaged file");
	if (j.in >= 0)
		close(j.in);
	if (j.out >= 0 && close(j.out) != 0)
		rc = -1;
	EVP_CIPHER_CTX_free(j.k.x);
	free(j.obuf);
	return rc;
}

int sb_cmek_digest_file(const unsigned char *dek, const char *path, sb_cmek_digest *dig,
			char *err, size_t errlen)
{
	dec_job j = {.in = -1, .out = -1};
	EVP_MD_CTX *md5 = EVP_MD_CTX_new();
	uint32_t crc = 0;
	int rc = -1;
	errno = 0;
	if (!md5 || EVP_DigestInit_ex(md5, EVP_md5(), NULL) != 1 || dec_open(&j, dek, path) != 0)
		goto out;
	j.buf = st_xmalloc(SB_CMEK_CHUNK + SB_CMEK_TAG_LEN);
	for (uint64_t i = 0; i <= j.plain / SB_CMEK_CHUNK; i++) {
		uint64_t start = i * SB_CMEK_CHUNK;
		size_t n = i == j.plain / SB_CMEK_CHUNK ? (size_t)(j.plain - start) : SB_CMEK_CHUNK;
		uint64_t at = SB_CMEK_HDR_LEN + i * (SB_CMEK_CHUNK + SB_CMEK_TAG_LEN);
		if (pread_all(j.in, j.buf, n + SB_CMEK_TAG_LEN, at) != 0 ||
		    chunk_run(&j.k, i, i == j.plain / SB_CMEK_CHUNK, j.buf, n, j.buf, j.buf + n) != 0)
			goto out;
		crc = st_crc32c(crc, j.buf, n);
		EVP_DigestUpdate(md5, j.buf, n);
	}
	unsigned int ml = 0;
	EVP_DigestFinal_ex(md5, dig->md5, &ml);
	dig->crc32c = crc;
	dig->size = j.plain;
	rc = 0;
out:
	if (rc != 0)
		snprintf(err, errlen, "cannot read back %s: %s", path,
			 errno && errno != EBADMSG ? strerror(errno) : "damaged or wrong key");
	if (j.in >= 0)
		close(j.in);
	EVP_CIPHER_CTX_free(j.k.x);
	EVP_MD_CTX_free(md5);
	free(j.buf);
	return rc;
}
