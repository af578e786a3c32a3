/* Streaming multipart/related parser (see storage_multipart.h). */
#include "sandbox/storage_multipart.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/str.h"

#define MP_BLOCK (1u << 20)
#define MP_HEADERS_MAX 8192u

char *sb_multipart_boundary(const char *ct)
{
	const char *p = ct ? strcasestr(ct, "boundary=") : NULL;
	if (!p)
		return NULL;
	p += strlen("boundary=");
	size_t n;
	if (*p == '"') {
		p++;
		const char *q = strchr(p, '"');
		if (!q)
			return NULL;
		n = (size_t)(q - p);
	} else {
		n = strcspn(p, "; \t");
	}
	if (n == 0 || n > 70)
		return NULL;
	return st_xstrndup(p, n);
}

/* Offset of the first needle at or after from, or -1. Reads in blocks that overlap
 * by the needle length so a match across a block edge is still seen. */
static int64_t find_in_file(int fd, uint64_t from, uint64_t size, const char *needle,
			    size_t nlen, unsigned char *buf)
{
	while (from < size && size - from >= nlen) {
		size_t want = size - from > MP_BLOCK ? MP_BLOCK : (size_t)(size - from);
		ssize_t r = pread(fd, buf, want, (off_t)from);
		if (r <= 0)
			return -1;
		unsigned char *hit = memmem(buf, (size_t)r, needle, nlen);
		if (hit)
			return (int64_t)(from + (uint64_t)(hit - buf));
		if ((size_t)r < nlen)
			return -1;
		from += (uint64_t)r - nlen + 1;
	}
	return -1;
}

static char *header_value(const char *hdrs, const char *name)
{
	size_t nl = strlen(name);
	for (const char *l = hdrs; l && *l; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL) {
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1;
			v += strspn(v, " \t");
			return st_xstrndup(v, strcspn(v, "\r\n"));
		}
	}
	return NULL;
}

typedef struct mp_ctx {
	int fd;
	uint64_t size;
	char *delim; /* "\r\n--BOUNDARY" */
	size_t dlen;
	unsigned char *buf;
	char *err;
	size_t errlen;
} mp_ctx;

/* Reads the part headers at *at; moves *at to the first body byte. */
static int read_part_headers(mp_ctx *m, uint64_t *at, sb_mp_part *part)
{
	size_t want = m->size - *at > MP_HEADERS_MAX ? MP_HEADERS_MAX : (size_t)(m->size - *at);
	char *h = st_xmalloc(want + 1);
	ssize_t r = pread(m->fd, h, want, (off_t)*at);
	h[r > 0 ? r : 0] = '\0';
	char *end = r >= 2 && h[0] == '\r' && h[1] == '\n' ? h : strstr(h, "\r\n\r\n");
	if (!end) {
		snprintf(m->err, m->errlen, "multipart body: part headers at byte %llu do not end "
			 "(truncated body?)", (unsigned long long)*at);
		free(h);
		return -1;
	}
	end[0] = '\0';
	part->content_type = header_value(h, "Content-Type");
	*at += (uint64_t)(end - h) + (end == h ? 2 : 4);
	free(h);
	return 0;
}

/* What follows a delimiter candidate at at (just past it): optional blanks, then
 * "--" (closing) or CRLF (another part). 1 = a real delimiter, 0 = just data. */
static int classify_delim(mp_ctx *m, uint64_t at, int *closing, uint64_t *next)
{
	char t[66];
	size_t want = m->size - at > sizeof t ? sizeof t : (size_t)(m->size - at);
	ssize_t r = pread(m->fd, t, want, (off_t)at);
	size_t i = 0;
	while (r > 0 && i < (size_t)r && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (r > 0 && i + 1 < (size_t)r && t[i] == '-' && t[i + 1] == '-') {
		*closing = 1;
		*next = at + i + 2;
		return 1;
	}
	if (r > 0 && i + 1 < (size_t)r && t[i] == '\r' && t[i + 1] == '\n') {
		*closing = 0;
		*next = at + i + 2;
		return 1;
	}
	return 0;
}

/* Next real delimiter at or after from: its offset, *closing, and in *next the first
 * byte of what follows its line. -1 when there is none (truncated body). */
static int64_t next_delim(mp_ctx *m, uint64_t from, int *closing, uint64_t *next)
{
	for (;;) {
		int64_t p = find_in_file(m->fd, from, m->size, m->delim, m->dlen, m->buf);
		if (p < 0)
			return -1;
		if (classify_delim(m, (uint64_t)p + m->dlen, closing, next))
			return p;
		from = (uint64_t)p + 1;
	}
}

static int first_delim(mp_ctx *m, uint64_t *at, int *closing)
{
	/* The opening delimiter may sit at the very start (no leading CRLF). */
	const char *d = m->delim + 2;
	size_t n = m->dlen - 2;
	char head[80];
	if (m->size >= n && pread(m->fd, head, n, 0) == (ssize_t)n && memcmp(head, d, n) == 0 &&
	    classify_delim(m, n, closing, at))
		return 0;
	if (next_delim(m, 0, closing, at) < 0) {
		snprintf(m->err, m->errlen, "multipart body: the boundary from Content-Type never "
			 "appears");
		return -1;
	}
	return 0;
}

static int parse_parts(mp_ctx *m, sb_multipart *out)
{
	uint64_t at;
	int closing = 0;
	if (first_delim(m, &at, &closing) != 0)
		return -1;
	while (!closing) {
		if (out->nparts == SB_MP_MAX_PARTS) {
			snprintf(m->err, m->errlen, "multipart body: more than %d parts",
				 SB_MP_MAX_PARTS);
			return -1;
		}
		sb_mp_part *p = &out->parts[out->nparts++];
		if (read_part_headers(m, &at, p) != 0)
			return -1;
		int64_t end = next_delim(m, at, &closing, &p->len);
		if (end < 0) {
			snprintf(m->err, m->errlen, "multipart body: part %zu has no closing boundary "
				 "(truncated body)", out->nparts);
			return -1;
		}
		uint64_t next = p->len;
		p->off = at;
		p->len = (uint64_t)end - at;
		at = next;
	}
	if (out->nparts != SB_MP_MAX_PARTS) {
		snprintf(m->err, m->errlen, "multipart body: %zu part(s), expected metadata and media",
			 out->nparts);
		return -1;
	}
	return 0;
}

int sb_multipart_parse(const char *path, uint64_t size, const char *content_type,
		       sb_multipart *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	char *b = sb_multipart_boundary(content_type);
	if (!b) {
		snprintf(err, errlen, "multipart upload: Content-Type '%.60s' has no usable boundary",
			 content_type ? content_type : "");
		return -1;
	}
	mp_ctx m = {.fd = open(path, O_RDONLY | O_CLOEXEC), .size = size, .err = err,
		    .errlen = errlen};
	m.delim = st_xasprintf("\r\n--%s", b);
	m.dlen = strlen(m.delim);
	free(b);
	int rc = -1;
	if (m.fd < 0) {
		snprintf(err, errlen, "multipart upload: cannot open spooled body %s: %s", path,
			 strerror(errno));
	} else {
		m.buf = st_xmalloc(MP_BLOCK);
		rc = parse_parts(&m, out);
		close(m.fd);
	}
	if (rc != 0)
		sb_multipart_free(out);
	free(m.buf);
	free(m.delim);
	return rc;
}

void sb_multipart_free(sb_multipart *m)
{
	for (size_t i = 0; i < SB_MP_MAX_PARTS; i++) {
		free(m->parts[i].content_type);
		m->parts[i].content_type = NULL;
	}
	m->nparts = 0;
}
