/*
 * minhash.h -- k-slot MinHash signatures and LSH banding.
 *
 * A struct hu_minhash summarises a set of 64-bit item hashes (an account's
 * prompt templates, or its active 10-minute time slots) in HU_MINHASH_K
 * 32-bit values, 256 bytes.  The fraction of equal slots between two
 * signatures estimates the Jaccard similarity |A n B| / |A u B| of the
 * sets, unbiased, with standard error sqrt(J(1-J)/k) <= 6.25 % (k = 64).
 * Banding the signature (b bands of r rows, b*r <= k) gives bucket keys
 * such that two sets collide in at least one band with probability
 * 1-(1-J^r)^b: the prefilter of linkage (STYLE.md 21).
 *
 * Caller memory, no pointers inside, copy with memcpy.  Not thread-safe;
 * merge() combines partial signatures exactly.
 */
#ifndef HU_SKETCH_MINHASH_H
#define HU_SKETCH_MINHASH_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"
#include "sketch/params.h"

/* Invariant: either every slot is HU_MINHASH_EMPTY (the empty set) or none
 * is (an item fills every slot with a value < HU_MINHASH_EMPTY). */
struct hu_minhash {
    uint32_t v[HU_MINHASH_K];
};

#define HU_MINHASH_EMPTY        UINT32_MAX
#define HU_MINHASH_VERSION      1
/* Largest serialized size; an empty signature takes just the 16-byte header. */
#define HU_MINHASH_SERIALIZED_MAX (16u + 4u * HU_MINHASH_K)

/* Empty signature.  O(k). */
void hu_minhash_init(struct hu_minhash *mh);
/* 1 if no item was ever added. O(1) (looks at slot 0). */
int hu_minhash_is_empty(const struct hu_minhash *mh);

/* Add one hashed item.  Idempotent; returns 1 if a slot changed.  O(k):
 * one mix plus k multiply-add-shift hashes (~30 ns at k = 64). */
int hu_minhash_update(struct hu_minhash *mh, uint64_t item_hash);

/* dst := signature of (dst's set U src's set): slotwise minimum, exactly
 * what adding src's items to dst would give.  O(k). */
void hu_minhash_merge(struct hu_minhash *dst, const struct hu_minhash *src);

/* Estimated Jaccard similarity in [0, 1]; 0 when either set is empty.
 * O(k). */
double hu_minhash_jaccard(const struct hu_minhash *a, const struct hu_minhash *b);

/* Key of band `band` made of `rows` consecutive slots: equal signatures in
 * that band give equal keys (different bands never collide by design, the
 * band index is hashed in).  Requires (band+1)*rows <= k.  O(rows). */
uint64_t hu_minhash_band_key(const struct hu_minhash *mh, unsigned band, unsigned rows);
/* All `bands` keys into out[bands].  HU_OK, or HU_EINVAL if bands*rows > k
 * or rows == 0.  An empty signature yields keys too (callers skip empties). */
HU_MUST_CHECK int hu_minhash_bands(const struct hu_minhash *mh, unsigned bands, unsigned rows,
                                   uint64_t *out);
/* Probability that two sets of Jaccard j share at least one band key:
 * 1 - (1 - j^rows)^bands. */
double hu_minhash_lsh_prob(double j, unsigned bands, unsigned rows);

/* ---- serialization ------------------------------------------------------ */

/* 16 bytes when empty, else 16 + 4 k. */
size_t hu_minhash_serialized_size(const struct hu_minhash *mh);
/* Writes hu_minhash_serialized_size() bytes (<= HU_MINHASH_SERIALIZED_MAX);
 * returns that size. */
size_t hu_minhash_serialize(const struct hu_minhash *mh, void *buf);
/* Bytes consumed (> 0), or HU_ECORRUPT / HU_EVERSION / HU_EINVAL; never
 * reads past len; on failure *mh is empty. */
int hu_minhash_deserialize_safe(struct hu_minhash *mh, const void *buf, size_t len);
/* NULL if the invariant holds, else a static reason. */
const char *hu_minhash_validate(const struct hu_minhash *mh);

#endif
