/* Counter-based randomness: every draw is a pure function of (seed, stream, counter),
 * so trees come out the same whatever thread or device builds them. */
#ifndef RF_RNG_H
#define RF_RNG_H

#include <stdint.h>

static inline uint64_t rf_mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct rf_rng {
	uint64_t s;
};

static inline void rf_rng_init(struct rf_rng *r, uint64_t seed, uint64_t stream, uint64_t sub)
{
	r->s = rf_mix64(rf_mix64(rf_mix64(seed) ^ stream) ^ sub);
}

static inline uint64_t rf_rng_next(struct rf_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return rf_mix64(r->s);
}

/* Uniform-enough integer in [0, n): the multiply-high bias is below 2^-32 for our n. */
static inline uint32_t rf_rng_below(struct rf_rng *r, uint32_t n)
{
	return (uint32_t)(((rf_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

#endif
