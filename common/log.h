/* Diagnostics log. Never pass a token or key here: callers redact first
 * (st_log_redact masks bearer tokens and private-key blocks as a last guard). */
#ifndef ST_LOG_H
#define ST_LOG_H

#include <stdio.h>

enum st_log_level { ST_LOG_DEBUG, ST_LOG_INFO, ST_LOG_WARN, ST_LOG_ERROR };

/* NULL path: stderr. Returns -1 (errno set) if the file cannot be opened. */
int st_log_open(const char *path, enum st_log_level min);
void st_log_close(void);
void st_log(enum st_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Rewrites s in place: "Bearer XXXX" and "access_token":"XXXX" values and PEM
 * private-key bodies become "[redacted]"-style masks of the same length or less. */
void st_log_redact(char *s);

#define ST_DEBUG(...) st_log(ST_LOG_DEBUG, __VA_ARGS__)
#define ST_INFO(...) st_log(ST_LOG_INFO, __VA_ARGS__)
#define ST_WARN(...) st_log(ST_LOG_WARN, __VA_ARGS__)
#define ST_ERROR(...) st_log(ST_LOG_ERROR, __VA_ARGS__)

#endif
