/*
 * u64map.h -- a counting map from 64-bit keys (hashes) to 32-bit counts.
 *
 * Open addressing, linear probing, load <= 1/2, doubled when full.  Key 0
 * is stored as 1 (keys are hashes: a collision of 2^-64).  Counts saturate
 * at UINT32_MAX.  Caller-owned struct; not thread-safe.
 */
#ifndef HU_CORE_U64MAP_H
#define HU_CORE_U64MAP_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

struct hu_u64map {
    uint64_t *keys;     /* 0 = empty */
    uint32_t *vals;
    size_t n, cap;      /* cap: power of two */
};

/* Empty map sized for about `expect` keys.  HU_OK or HU_ENOMEM. */
HU_MUST_CHECK int hu_u64map_init(struct hu_u64map *m, size_t expect);
void hu_u64map_fini(struct hu_u64map *m);
/* Add `by` to key's count (creating it at 0).  HU_OK or HU_ENOMEM (the map
 * is unchanged).  O(1) expected. */
HU_MUST_CHECK int hu_u64map_add(struct hu_u64map *m, uint64_t key, uint32_t by);
/* Count of key, 0 if absent.  O(1) expected. */
uint32_t hu_u64map_get(const struct hu_u64map *m, uint64_t key);

#endif
