#include "trainer/model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "trainer/sha256.h"
#include "trainer/util.h"

/* Layout, little-endian:
 *   0  "SEALTRF\0"            8  u32 version       12 u32 nfeat      16 u32 nclass
 *   20 u32 ntrees             24 u64 nnodes        32 u32 names_bytes 36 u32 zero
 *   40 i64 classes[nclass], u32 tree_nodes[ntrees], names (NUL-terminated, names_bytes),
 *   then nnodes nodes of 16 bytes (a, b, thr, c as u32), then u32 CRC-32C of all before. */
#define HDR 40

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

void rf_model_encode(const struct rf_forest *f, const struct rf_model_meta *m, uint8_t **buf,
		     uint64_t *len)
{
	uint64_t names = 0;
	for (uint32_t i = 0; i < f->nfeat; i++)
		names += strlen(m->names[i]) + 1;
	uint64_t n = HDR + 8ull * f->nclass + 4ull * f->ntrees + names + 16 * f->nnodes + 4;
	uint8_t *b = rf_xmalloc(n), *p = b;
	memcpy(p, RF_MODEL_MAGIC, 8);
	put32(p + 8, RF_MODEL_VERSION);
	put32(p + 12, f->nfeat);
	put32(p + 16, f->nclass);
	put32(p + 20, f->ntrees);
	put64(p + 24, f->nnodes);
	put32(p + 32, (uint32_t)names);
	put32(p + 36, 0);
	p += HDR;
	for (uint32_t c = 0; c < f->nclass; c++, p += 8)
		put64(p, (uint64_t)m->classes[c]);
	for (uint32_t t = 0; t < f->ntrees; t++, p += 4)
		put32(p, f->trees[t].n);
	for (uint32_t i = 0; i < f->nfeat; i++) {
		size_t l = strlen(m->names[i]) + 1;
		memcpy(p, m->names[i], l);
		p += l;
	}
	for (uint32_t t = 0; t < f->ntrees; t++)
		for (uint32_t i = 0; i < f->trees[t].n; i++, p += 16) {
			const struct rf_node *nd = &f->trees[t].nodes[i];
			uint32_t thr;
			memcpy(&thr, &nd->thr, 4);
			put32(p, nd->a);
			put32(p + 4, nd->b);
			put32(p + 8, thr);
			put32(p + 12, nd->c);
		}
	put32(p, rf_crc32c(0, b, n - 4));
	*buf = b;
	*len = n;
}

/* Checks that every node points inside its own tree, forward only: prediction then always
 * ends at a leaf, whatever the file held. */
static int check_tree(const struct rf_node *nd, uint32_t n, uint32_t t, const struct rf_forest *f,
		      const char *what, char *err)
{
	for (uint32_t i = 0; i < n; i++) {
		if (nd[i].a & RF_LEAF) {
			if ((nd[i].a & ~RF_LEAF) >= f->nclass)
				return rf_err(err, "%s: tree %u node %u: class %u out of range", what, t, i,
					      nd[i].a & ~RF_LEAF);
			continue;
		}
		if (nd[i].a >= f->nfeat)
			return rf_err(err, "%s: tree %u node %u: feature %u out of range", what, t, i, nd[i].a);
		if (nd[i].b <= i || nd[i].b >= n - 1)
			return rf_err(err, "%s: tree %u node %u: child index %u out of range", what, t, i,
				      nd[i].b);
		if (isnan(nd[i].thr))
			return rf_err(err, "%s: tree %u node %u: threshold is not a number", what, t, i);
	}
	return 0;
}

static int decode_body(const uint8_t *b, uint64_t len, const char *what, struct rf_forest *f,
		       struct rf_model_meta *m, char *err)
{
	const uint8_t *p = b + HDR;
	uint32_t names_bytes = get32(b + 32);
	m->classes = rf_xcalloc(f->nclass, sizeof(int64_t));
	for (uint32_t c = 0; c < f->nclass; c++, p += 8)
		m->classes[c] = (int64_t)get64(p);
	f->trees = rf_xcalloc(f->ntrees, sizeof(struct rf_tree));
	uint64_t sum = 0;
	for (uint32_t t = 0; t < f->ntrees; t++, p += 4) {
		f->trees[t].n = get32(p);
		if (!f->trees[t].n)
			return rf_err(err, "%s: tree %u is empty", what, t);
		sum += f->trees[t].n;
	}
	if (sum != f->nnodes)
		return rf_err(err, "%s: tree sizes add up to %llu nodes, header says %llu", what,
			      (unsigned long long)sum, (unsigned long long)f->nnodes);
	m->names = rf_xcalloc(f->nfeat, sizeof(char *));
	const uint8_t *ne = p + names_bytes;
	for (uint32_t i = 0; i < f->nfeat; i++) {
		const uint8_t *z = p < ne ? memchr(p, 0, (size_t)(ne - p)) : NULL;
		if (!z)
			return rf_err(err, "%s: feature name table is malformed", what);
		m->names[i] = rf_xstrdup((const char *)p);
		p = z + 1;
	}
	if (p != ne)
		return rf_err(err, "%s: feature name table is malformed", what);
	struct rf_node *nodes = rf_xmalloc(f->nnodes * sizeof(struct rf_node) + 1);
	f->blob = nodes;
	for (uint64_t i = 0; i < f->nnodes; i++, p += 16) {
		uint32_t thr = get32(p + 8);
		nodes[i].a = get32(p);
		nodes[i].b = get32(p + 4);
		memcpy(&nodes[i].thr, &thr, 4);
		nodes[i].c = get32(p + 12);
	}
	for (uint32_t t = 0; t < f->ntrees; t++) {
		f->trees[t].nodes = nodes;
		if (check_tree(nodes, f->trees[t].n, t, f, what, err))
			return -1;
		nodes += f->trees[t].n;
	}
	(void)len;
	return 0;
}

int rf_model_decode(const uint8_t *b, uint64_t len, const char *what, struct rf_forest *f,
		    struct rf_model_meta *m, char *err)
{
	memset(f, 0, sizeof(*f));
	memset(m, 0, sizeof(*m));
	if (len < 8 || memcmp(b, RF_MODEL_MAGIC, 8))
		return rf_err(err, "%s: not a sealtrain-rf model file", what);
	if (len < HDR + 4)
		return rf_err(err, "%s: truncated (%llu bytes, header alone needs %d)", what,
			      (unsigned long long)len, HDR + 4);
	if (get32(b + 8) != RF_MODEL_VERSION)
		return rf_err(err, "%s: model format version %u, this trainer reads %d", what, get32(b + 8),
			      RF_MODEL_VERSION);
	f->nfeat = get32(b + 12);
	f->nclass = get32(b + 16);
	f->ntrees = get32(b + 20);
	f->nnodes = get64(b + 24);
	uint64_t names = get32(b + 32);
	if (!f->nfeat || f->nfeat > 65535 || !f->nclass || f->nclass > RF_MAX_CLASSES || !f->ntrees ||
	    f->nnodes > (1ull << 40)) {
		memset(f, 0, sizeof(*f));
		return rf_err(err, "%s: header holds impossible counts (corrupted file)", what);
	}
	uint64_t want = HDR + 8ull * f->nclass + 4ull * f->ntrees + names + 16 * f->nnodes + 4;
	uint32_t nf = f->nfeat;
	if (len != want) {
		memset(f, 0, sizeof(*f));
		return rf_err(err, "%s: %s (%llu bytes, the header describes %llu)", what,
			      len < want ? "truncated" : "has trailing bytes", (unsigned long long)len,
			      (unsigned long long)want);
	}
	if (rf_crc32c(0, b, len - 4) != get32(b + len - 4)) {
		memset(f, 0, sizeof(*f));
		return rf_err(err, "%s: checksum mismatch: the file is corrupted", what);
	}
	if (decode_body(b, len, what, f, m, err)) {
		rf_model_meta_free(m, nf);
		rf_forest_free(f);
		return -1;
	}
	return 0;
}

int rf_model_write(const char *path, const struct rf_forest *f, const struct rf_model_meta *m,
		   char sha256_hex[65], uint64_t *bytes, char *err)
{
	uint8_t *buf;
	uint64_t len;
	rf_model_encode(f, m, &buf, &len);
	rf_sha256_hex(buf, len, sha256_hex);
	*bytes = len;
	size_t pl = strlen(path);
	char *tmp = rf_xmalloc(pl + 8);
	memcpy(tmp, path, pl);
	memcpy(tmp + pl, ".tmp", 5);
	FILE *fp = fopen(tmp, "wb");
	int rc = 0;
	if (!fp) {
		rc = rf_err(err, "%s: cannot create: %s", tmp, strerror(errno));
	} else {
		size_t w = fwrite(buf, 1, len, fp);
		int e1 = w != len ? errno : 0;
		if (fclose(fp) && !e1)
			e1 = errno ? errno : EIO;
		if (w != len || e1) {
			rc = rf_err(err, "%s: write failed: %s", tmp, strerror(e1 ? e1 : EIO));
			remove(tmp);
		} else if (rename(tmp, path)) {
			rc = rf_err(err, "%s: cannot rename into place: %s", path, strerror(errno));
			remove(tmp);
		}
	}
	free(tmp);
	free(buf);
	return rc;
}

int rf_model_read(const char *path, struct rf_forest *f, struct rf_model_meta *m, char *err)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return rf_err(err, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return rf_err(err, "%s: not a regular file", path);
	}
	uint64_t len = (uint64_t)st.st_size;
	uint8_t *buf = malloc(len + 1);
	if (!buf) {
		fclose(fp);
		return rf_err(err, "%s: out of memory reading %llu bytes", path, (unsigned long long)len);
	}
	size_t got = fread(buf, 1, len, fp);
	fclose(fp);
	int rc = got != len ? rf_err(err, "%s: read failed", path)
			    : rf_model_decode(buf, len, path, f, m, err);
	free(buf);
	return rc;
}

void rf_model_meta_free(struct rf_model_meta *m, uint32_t nfeat)
{
	if (m->names)
		for (uint32_t i = 0; i < nfeat; i++)
			free(m->names[i]);
	free(m->names);
	free(m->classes);
	memset(m, 0, sizeof(*m));
}
