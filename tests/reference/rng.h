/*
 * rng.h -- deterministic test randomness (splitmix64).  Tests never use
 * rand(): the same seed gives the same run on every machine.
 */
#ifndef HU_REF_RNG_H
#define HU_REF_RNG_H

#include <stdint.h>

struct ref_rng { uint64_t s; };

static inline uint64_t ref_rng_next(struct ref_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (modulo bias is irrelevant for tests). */
static inline uint64_t ref_rng_below(struct ref_rng *r, uint64_t n)
{
    return ref_rng_next(r) % n;
}

static inline double ref_rng_unit(struct ref_rng *r)
{
    return (double)(ref_rng_next(r) >> 11) / 9007199254740992.0;
}

#endif
