/* Small helpers of the trainer: allocation that never returns NULL, error text. */
#ifndef RF_UTIL_H
#define RF_UTIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void *rf_xmalloc(size_t n);
void *rf_xcalloc(size_t n, size_t size);
void *rf_xrealloc(void *p, size_t n);
char *rf_xstrdup(const char *s);
/* Formats into err (RF_ERRLEN bytes) and returns -1, so callers can `return rf_err(...)`. */
int rf_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Seconds on a monotonic clock. */
double rf_now(void);
/* Online CPUs, at least 1. */
unsigned rf_ncpu(void);


/* Runs fn(arg, lo, hi) over [0, n) split into up to `threads` contiguous pieces. */
void rf_parallel(uint64_t n, unsigned threads, void (*fn)(void *arg, uint64_t lo, uint64_t hi), void *arg);

#ifdef __cplusplus
}
#endif
#endif
