/*
 * sim_rng.h -- the simulator's random numbers: splitmix64 for seeding and
 * stateless per-item draws, xoshiro256** for streams of draws.
 *
 * Every random choice of the simulator comes from a generator seeded by a
 * hash of (run seed, what is being drawn): the stream, the time slice, the
 * account.  Nothing depends on the order in which the simulator happens to
 * visit things, so the same --seed gives the same bytes even if the slice
 * size changes with the scale, and an account's attributes can be derived
 * again at any time instead of being stored (flat memory).
 */
#ifndef HU_SIM_RNG_H
#define HU_SIM_RNG_H

#include <math.h>
#include <stdint.h>

struct sim_rng {
    uint64_t s[4];
};

static inline uint64_t sim_mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Order-sensitive combination of two keys. */
static inline uint64_t sim_key(uint64_t a, uint64_t b)
{
    return sim_mix(a ^ sim_mix(b + UINT64_C(0x632be59bd9b4e019)));
}

static inline void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        x += UINT64_C(0x9e3779b97f4a7c15);
        uint64_t z = x;
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        r->s[i] = z ^ (z >> 31);
    }
}

static inline uint64_t sim_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t sim_next(struct sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = sim_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sim_rotl(s[3], 45);
    return out;
}

/* Uniform in [0, 1). */
static inline double sim_u01(struct sim_rng *r)
{
    return (double)(sim_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n); n > 0.  Lemire's multiply, bias < n/2^64. */
static inline uint32_t sim_below(struct sim_rng *r, uint32_t n)
{
    return (uint32_t)(((sim_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline int64_t sim_range(struct sim_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(sim_u01(r) * (double)(hi - lo + 1));
}

static inline int sim_chance(struct sim_rng *r, double p)
{
    return sim_u01(r) < p;
}

/* Uniform in [0,1) from a key, without a generator. */
static inline double sim_hu01(uint64_t key)
{
    return (double)(sim_mix(key) >> 11) * 0x1.0p-53;
}

static inline uint32_t sim_hbelow(uint64_t key, uint32_t n)
{
    return (uint32_t)(((sim_mix(key) >> 32) * (uint64_t)n) >> 32);
}

/* Poisson(lambda): inversion for small means, a rounded normal above 40
 * (relative error of the variance < 2% there; counts are what we check). */
static inline uint32_t sim_poisson(struct sim_rng *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda < 40) {
        double l = exp(-lambda), p = 1.0;
        uint32_t k = 0;
        do {
            k++;
            p *= sim_u01(r);
        } while (p > l && k < 1000);
        return k - 1;
    }
    double u1 = sim_u01(r), u2 = sim_u01(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    double v = lambda + z * sqrt(lambda) + 0.5;
    return v < 0 ? 0 : (uint32_t)v;
}

/* Geometric number of items >= 1 with the given mean (>= 1). */
static inline uint32_t sim_geom(struct sim_rng *r, double mean, uint32_t max)
{
    if (mean <= 1.0)
        return 1;
    double p = 1.0 / mean;
    uint32_t k = 1;
    while (k < max && !sim_chance(r, p))
        k++;
    return k;
}

#endif
