/* Regex guards for the sandbox filters.
 *
 * glibc's regcomp expands repetition eagerly: "k+++++..." or nested counted
 * repetitions make it allocate without bound (found by fuzz_sb_filter). Google
 * evaluates its filters with RE2, which refuses repetition of a repetition and
 * counts over 1000, so refusing the same shapes here loses nothing real. */
#include "sandbox/safe_regex.h"

#include <stdbool.h>
#include <string.h>

/* Reads "{n}", "{n,}" or "{n,m}" at p; stores the larger bound and returns the
 * length consumed, or 0 when p does not start a valid counted repetition. */
static size_t re_counted(const char *p, unsigned long *bound)
{
	const char *q = p + 1;
	unsigned long n = 0, m = 0;
	bool have_m = false;
	if (*q < '0' || *q > '9')
		return 0;
	for (; *q >= '0' && *q <= '9'; q++) /* saturate: any count past the cap is refused */
		n = n > SB_RE_MAX_REPEAT ? n : n * 10 + (unsigned long)(*q - '0');
	if (*q == ',') {
		q++;
		for (; *q >= '0' && *q <= '9'; q++) {
			m = m > SB_RE_MAX_REPEAT ? m : m * 10 + (unsigned long)(*q - '0');
			have_m = true;
		}
	}
	if (*q != '}')
		return 0;
	*bound = have_m && m > n ? m : n;
	return (size_t)(q - p) + 1;
}

const char *sb_re_refusal(const char *re)
{
	if (strlen(re) > SB_RE_MAX_LEN)
		return "regular expression longer than 1024 characters";
	unsigned long weight = 1;
	bool after_repeat = false;
	for (const char *p = re; *p;) {
		size_t len = 1;
		bool repeat = false;
		unsigned long bound = 0;
		if (*p == '\\' && p[1]) {
			len = 2;
		} else if (*p == '*' || *p == '+' || *p == '?') {
			repeat = true;
		} else if (*p == '{' && (len = re_counted(p, &bound)) > 0) {
			repeat = true;
			if (bound > SB_RE_MAX_REPEAT || (bound && weight > SB_RE_MAX_REPEAT / bound))
				return "repetition count over 1000 in regular expression";
			weight *= bound ? bound : 1;
		} else {
			len = 1; /* a '{' that starts no count is a literal */
		}
		if (repeat && after_repeat)
			return "repetition of a repetition in regular expression";
		after_repeat = repeat;
		p += len;
	}
	return NULL;
}
