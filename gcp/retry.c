/* When and how long to wait before sending a request again. */
#include "gcp/internal.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/str.h"

bool gcp_retryable_http(long http)
{
	return http == 429 || http == 500 || http == 502 || http == 503 || http == 504;
}

/* Retry-After is either delta-seconds or an HTTP date; -1 when it is neither. */
int64_t gcp_retry_after_ms(const char *v, int64_t now_wall_ms)
{
	if (!v)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v >= '0' && *v <= '9') {
		char *end;
		unsigned long long s = strtoull(v, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (*end || s > 86400ULL)
			return -1;
		return (int64_t)s * 1000;
	}
	time_t t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	int64_t d = (int64_t)t * 1000 - now_wall_ms;
	return d < 0 ? 0 : d;
}

/* "Full jitter": a uniform pick in [0, min(cap, base * 2^attempt)], so that many
 * clients backing off from the same outage do not come back in lockstep. */
int64_t gcp_backoff_ms(int attempt, int64_t base, int64_t cap)
{
	int64_t ceil_ms = base;
	for (int i = 0; i < attempt && ceil_ms < cap; i++)
		ceil_ms *= 2;
	if (ceil_ms > cap)
		ceil_ms = cap;
	uint32_t r = 0;
	if (st_random_bytes(&r, sizeof r) != 0)
		r = (uint32_t)rand();
	return ceil_ms <= 0 ? 0 : (int64_t)(r % (uint64_t)(ceil_ms + 1));
}
