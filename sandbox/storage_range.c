/* Range header parsing (see storage_range.h). */
#include "sandbox/storage_range.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Strict unsigned decimal; *end gets the first byte after the digits. */
static bool parse_u64(const char *s, uint64_t *v, const char **end)
{
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *e;
	unsigned long long x = strtoull(s, &e, 10);
	if (errno)
		return false;
	*v = x;
	*end = e;
	return true;
}

enum sb_range_result sb_range_parse(const char *h, uint64_t size, uint64_t *off,
				    uint64_t *len)
{
	if (!h || strncasecmp(h, "bytes=", 6) != 0 || strchr(h, ','))
		return SB_RANGE_FULL;
	const char *p = h + 6, *e;
	p += strspn(p, " ");
	uint64_t a, b;
	if (*p == '-') {
		/* suffix form: the last b bytes */
		if (!parse_u64(p + 1, &b, &e) || e[strspn(e, " ")] != '\0')
			return SB_RANGE_FULL;
		if (b == 0 || size == 0)
			return SB_RANGE_UNSATISFIABLE;
		*len = b < size ? b : size;
		*off = size - *len;
		return SB_RANGE_PARTIAL;
	}
	if (!parse_u64(p, &a, &e) || *e != '-')
		return SB_RANGE_FULL;
	p = e + 1;
	if (*p == '\0') {
		b = UINT64_MAX;
	} else if (!parse_u64(p, &b, &e) || e[strspn(e, " ")] != '\0' || b < a) {
		return SB_RANGE_FULL;
	}
	if (a >= size)
		return SB_RANGE_UNSATISFIABLE;
	if (b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return SB_RANGE_PARTIAL;
}
