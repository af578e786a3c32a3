/* Clocks, RFC 3339 timestamps and durations ("30d", "12h", "2592000s"). */
#ifndef ST_TIMEUTIL_H
#define ST_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds, for timers and deadlines. */
int64_t st_mono_ms(void);
/* Wall-clock milliseconds since the Unix epoch. */
int64_t st_wall_ms(void);
/* "2026-11-25T19:57:09.123Z" (millisecond precision, always UTC). */
void st_rfc3339_format(int64_t unix_ms, char *buf, size_t size);
/* Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)"; 0 on success. */
int st_rfc3339_parse(const char *s, int64_t *unix_ms);
/* Parses a positive duration: an integer followed by s, m, h or d, or Google's
 * decimal-seconds form "1.5s". Stores whole seconds (fractions rounded down).
 * Returns 0, or -1 when malformed or over 100 years. */
int st_duration_parse(const char *s, int64_t *seconds);
/* Google's wire form: "2592000s". */
void st_duration_format(int64_t seconds, char *buf, size_t size);

#endif
