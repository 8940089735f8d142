/*
 * hash.h -- the one hash function of huella: XXH3, seeded, inlined.
 *
 * XXH3_64bits is 2-9 ns for 8-64 byte keys and ~13 GB/s on 1 KB here
 * (shared/docs/DEPENDENCIES.md section 2); inlining it (XXH_INLINE_ALL) is
 * 1.1-2.6x faster than calling libxxhash.so on short keys.  Every hash in
 * huella is seeded with a fixed seed (STYLE.md 22): the same input gives the
 * same sketches, clusters and reports on every machine.  Sketches that need
 * independent hash functions derive them with hu_hash_mix() instead of
 * rehashing the bytes.
 */
#ifndef HU_CORE_HASH_H
#define HU_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Default seed of every content hash.  Changing it changes every sketch and
 * every fingerprint library: bump the library format version with it. */
#define HU_HASH_SEED UINT64_C(0x6875656c6c613236) /* "huella26" */

static inline uint64_t hu_hash(const void *p, size_t len)
{
    return XXH3_64bits_withSeed(p, len, HU_HASH_SEED);
}

static inline uint64_t hu_hash_seeded(const void *p, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(p, len, seed);
}

/* A strong 64-bit mixer (splitmix64 finaliser): derives the i-th
 * independent hash of an already hashed value. */
static inline uint64_t hu_hash_mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Combine two hashes, order-sensitive. */
static inline uint64_t hu_hash_combine(uint64_t a, uint64_t b)
{
    return hu_hash_mix(a ^ (b + UINT64_C(0x9e3779b97f4a7c15) + (a << 6) + (a >> 2)));
}

#endif
