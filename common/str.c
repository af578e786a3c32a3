#include "common/str.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "sealtrain: out of memory allocating %zu bytes\n", n);
	abort();
}

void *st_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *st_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *st_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *st_xstrdup(const char *s)
{
	return st_xstrndup(s, strlen(s));
}

char *st_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = st_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *st_xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	char *p = st_xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *st_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = st_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void st_buf_init(st_buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void st_buf_free(st_buf *b)
{
	free(b->p);
	st_buf_init(b);
}

void st_buf_reset(st_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static void buf_reserve(st_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		oom(SIZE_MAX);
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->p = st_xrealloc(b->p, cap);
	b->cap = cap;
}

void st_buf_append(st_buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void st_buf_puts(st_buf *b, const char *s)
{
	st_buf_append(b, s, strlen(s));
}

void st_buf_printf(st_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = st_xvasprintf(fmt, ap);
	va_end(ap);
	st_buf_puts(b, s);
	free(s);
}

char *st_buf_steal(st_buf *b)
{
	if (!b->p)
		buf_reserve(b, 0), b->p[0] = '\0';
	char *p = b->p;
	st_buf_init(b);
	return p;
}

bool st_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool st_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

size_t st_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

char *st_trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

unsigned st_levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 255;
	unsigned row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned best = diag + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb] > 255 ? 255 : row[lb];
}

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is malformed. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned min;
	if ((c & 0xE0) == 0xC0)
		len = 2, min = 0x80, c &= 0x1F;
	else if ((c & 0xF0) == 0xE0)
		len = 3, min = 0x800, c &= 0x0F;
	else if ((c & 0xF8) == 0xF0)
		len = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	return len;
}

bool st_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	while (n) {
		size_t k = utf8_seq(p, n);
		if (!k)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

/* U+2028/U+2029 break lines in some readers, and the bidirectional embeddings, overrides
 * and isolates (U+202A..U+202E, U+2066..U+2069) reorder what follows them on screen: either
 * can make a shown value read as something it is not. */
static bool is_layout_control(const unsigned char *p)
{
	if (p[0] != 0xE2)
		return false;
	if (p[1] == 0x80)
		return p[2] >= 0xA8 && p[2] <= 0xAE;
	return p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9;
}

void st_sanitize_text(char *dst, size_t size, const char *s)
{
	if (!size)
		return;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;
	while (n && o + 1 < size) {
		size_t k = utf8_seq(p, n);
		if (k == 0 || (k == 1 && (p[0] < 0x20 || p[0] == 0x7F))) {
			dst[o++] = '?';
			k = k ? k : 1;
		} else if (k == 2 && p[0] == 0xC2 && p[1] < 0xA0) {
			dst[o++] = '?'; /* C1 controls */
		} else if (k == 3 && is_layout_control(p)) {
			dst[o++] = '?';
		} else {
			if (o + k >= size)
				break;
			memcpy(dst + o, p, k);
			o += k;
		}
		p += k;
		n -= k;
	}
	dst[o] = '\0';
}

char *st_url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	st_buf b;
	st_buf_init(&b);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		/* ASCII ranges, not isalnum(): a console that set a single-byte locale
		 * would otherwise leave bytes such as 0xE9 unescaped. */
		bool unreserved = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
				  (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
		if (unreserved) {
			st_buf_append(&b, p, 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			st_buf_append(&b, e, 3);
		}
	}
	return st_buf_steal(&b);
}
