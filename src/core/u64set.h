/*
 * u64set.h -- a set of 64-bit keys (usually hu_hash() values).
 *
 * Open addressing with linear probing over a power-of-two table, grown x2
 * at 1/2 load: ~2-4 probes per lookup, 16-32 bytes per key.  The key 0
 * marks an empty slot, so 0 itself is kept in a flag beside the table.
 * Used for exact distinct counts (accounts in `huella stats`) and as the
 * slow exact reference that sketches are tested against.  Caller-owned
 * struct (init/fini); not thread-safe.
 */
#ifndef HU_CORE_U64SET_H
#define HU_CORE_U64SET_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

struct hu_u64set {
    uint64_t *slots;    /* cap entries, 0 = empty; NULL until the first add */
    size_t cap;         /* power of two, or 0 */
    size_t n;           /* keys stored in slots (without the zero key) */
    int has_zero;
};

void hu_u64set_init(struct hu_u64set *s);
void hu_u64set_fini(struct hu_u64set *s);
/* 1 if key was added, 0 if it was there, HU_ENOMEM (set unchanged).
 * O(1) expected, O(n) when the table grows. */
HU_MUST_CHECK int hu_u64set_add(struct hu_u64set *s, uint64_t key);
/* 1 if key is in the set. */
int hu_u64set_has(const struct hu_u64set *s, uint64_t key);
/* Distinct keys stored. */
size_t hu_u64set_count(const struct hu_u64set *s);

#endif
