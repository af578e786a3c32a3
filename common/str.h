/* Small string helpers shared by every part of sealtrain. */
#ifndef ST_STR_H
#define ST_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Growable byte buffer; always NUL-terminated when p != NULL. */
typedef struct st_buf {
	char *p;
	size_t len;
	size_t cap;
} st_buf;

/* Out-of-memory is not recoverable for a console; these abort with a message. */
void *st_xmalloc(size_t n);
void *st_xcalloc(size_t n, size_t size);
void *st_xrealloc(void *p, size_t n);
char *st_xstrdup(const char *s);
char *st_xstrndup(const char *s, size_t n);
char *st_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *st_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

void st_buf_init(st_buf *b);
void st_buf_free(st_buf *b);
void st_buf_reset(st_buf *b);
void st_buf_append(st_buf *b, const void *data, size_t n);
void st_buf_puts(st_buf *b, const char *s);
void st_buf_printf(st_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (never NULL) and leaves b empty. */
char *st_buf_steal(st_buf *b);

bool st_starts_with(const char *s, const char *prefix);
bool st_ends_with(const char *s, const char *suffix);
/* Copies at most size-1 bytes, always terminates; returns strlen(src). */
size_t st_strlcpy(char *dst, const char *src, size_t size);
/* Trims ASCII whitespace in place; returns s advanced past leading space. */
char *st_trim(char *s);
/* Edit distance, used to suggest the closest known name; capped at 255. */
unsigned st_levenshtein(const char *a, const char *b);
/* True when [s, s+n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool st_utf8_valid(const char *s, size_t n);
/* Copies s into dst (size bytes) with control characters and invalid UTF-8 replaced
 * by '?', so that hostile text from the network cannot drive the terminal. */
void st_sanitize_text(char *dst, size_t size, const char *s);
/* Percent-encodes every byte outside RFC 3986's unreserved set. */
char *st_url_escape(const char *s);

#endif
