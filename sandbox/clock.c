/* Sandbox time and randomness. Time starts at the wall clock (or where the last run
 * stopped, if that is later) and runs at --time-scale; it is saved every second so a
 * restart never moves it backwards. Randomness is splitmix64 from --seed. */
#include "sandbox/server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/codec.h"
#include "common/timeutil.h"

void sb_clock_init(sb_server *s)
{
	int64_t start = st_wall_ms();
	char *saved = sb_meta_get(s, "clock_ms");
	if (saved) {
		int64_t prev = strtoll(saved, NULL, 10);
		if (prev > start)
			start = prev;
		free(saved);
	}
	s->clock_base_ms = start;
	s->clock_mono0 = st_mono_ms();
	if (!s->opt.have_seed)
		st_random_bytes(&s->opt.seed, sizeof s->opt.seed);
	s->rng.s = s->opt.seed;
}

int64_t sb_now_ms(sb_server *s)
{
	int64_t real = st_mono_ms() - s->clock_mono0;
	return s->clock_base_ms + (int64_t)((double)real * s->opt.time_scale);
}

void sb_clock_persist(sb_server *s)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRId64, sb_now_ms(s));
	sb_meta_put(s, "clock_ms", buf);
}

void sb_now_rfc3339(sb_server *s, char *buf, size_t size)
{
	int64_t ms = sb_now_ms(s);
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	/* Google prints nanoseconds; ours are whole milliseconds padded out. */
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d000000Z", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

uint64_t sb_rng_next(sb_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double sb_rng_unit(sb_rng *r)
{
	return (double)(sb_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double sb_random(sb_server *s)
{
	return sb_rng_unit(&s->rng);
}
