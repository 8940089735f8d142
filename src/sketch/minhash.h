/*
 * minhash.h -- k-slot MinHash signatures and LSH banding.
 *
 * A struct hu_minhash summarises a set of 64-bit item hashes (an account's
 * prompt templates, or its active 10-minute time slots) in HU_MINHASH_K
 * 24-bit values of 3 bytes each, 192 bytes.  The fraction of equal
 * slots between two signatures estimates the Jaccard similarity
 * |A n B| / |A u B| of the sets with standard error sqrt(J(1-J)/k) <= 6.25 %
 * (k = 64) and a small upward bias from 24-bit ties: at most
 * (1-J) max(|A|,|B|) / 2^25, i.e. 0.03 % at 10^4 items, 0.3 % at 10^5
 * (derived and measured in minhash.c).
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

/* Slot i is the 24-bit value lo[i] | mid[i] << 8 | hi[i] << 16: the three
 * bytes of every slot live in three byte planes, so the hot loops run over
 * plain byte arrays (vectorized, no unaligned or strided access); read a
 * slot with hu_minhash_slot(), never by hand.  Invariant: either every slot
 * is HU_MINHASH_EMPTY (the empty set) or none is (an item fills every slot
 * with a value < HU_MINHASH_EMPTY). */
struct hu_minhash {
    uint8_t lo[HU_MINHASH_K];
    uint8_t mid[HU_MINHASH_K];
    uint8_t hi[HU_MINHASH_K];
};
_Static_assert(sizeof(struct hu_minhash) == 3 * HU_MINHASH_K, "packed, no padding");
_Static_assert(HU_MINHASH_K != 64 || sizeof(struct hu_minhash) == 192, "192 B at k = 64");

#define HU_MINHASH_EMPTY        UINT32_C(0xffffff)     /* 2^24 - 1 */
/* 2 = 24-bit values (three byte planes); 1 = 32-bit values, still read (as
 * v >> 8, see hu_minhash_deserialize_safe). */
#define HU_MINHASH_VERSION      2
#define HU_MINHASH_VERSION_V1   1
/* Largest serialized size (v2); an empty signature takes just the 16-byte
 * header. */
#define HU_MINHASH_SERIALIZED_MAX (16u + 3u * HU_MINHASH_K)
/* Largest v1 blob deserialize_safe accepts (16 + 4 k). */
#define HU_MINHASH_SERIALIZED_MAX_V1 (16u + 4u * HU_MINHASH_K)

/* Value of slot i < HU_MINHASH_K, in [0, HU_MINHASH_EMPTY].  O(1). */
static inline uint32_t hu_minhash_slot(const struct hu_minhash *mh, unsigned i)
{
    return (uint32_t)mh->lo[i] | (uint32_t)mh->mid[i] << 8 | (uint32_t)mh->hi[i] << 16;
}

/* Empty signature.  O(k). */
void hu_minhash_init(struct hu_minhash *mh);
/* 1 if no item was ever added. O(1) (looks at slot 0). */
int hu_minhash_is_empty(const struct hu_minhash *mh);

/* Add one hashed item.  Idempotent; returns 1 if a slot changed.  O(k):
 * one mix plus k multiply-add-shift hashes (~46 ns at k = 64). */
int hu_minhash_update(struct hu_minhash *mh, uint64_t item_hash);

/* dst := signature of (dst's set U src's set): slotwise minimum, exactly
 * what adding src's items to dst would give.  O(k). */
void hu_minhash_merge(struct hu_minhash *dst, const struct hu_minhash *src);

/* Estimated Jaccard similarity in [0, 1]; 0 when either set is empty.
 * O(k). */
double hu_minhash_jaccard(const struct hu_minhash *a, const struct hu_minhash *b);

/* Key of band `band` made of `rows` consecutive slots: equal signatures in
 * that band give equal keys (different bands never collide by design, the
 * band index is hashed in).  Requires (band+1)*rows <= k, else returns 0.
 * O(rows): three chained XXH3 calls over the band's rows in the low, middle
 * and high byte planes.  Keys live in memory only (linkage postings); they
 * changed with the 24-bit layout. */
uint64_t hu_minhash_band_key(const struct hu_minhash *mh, unsigned band, unsigned rows);
/* All `bands` keys into out[bands].  HU_OK, or HU_EINVAL if bands*rows > k
 * or rows == 0.  An empty signature yields keys too (callers skip empties). */
HU_MUST_CHECK int hu_minhash_bands(const struct hu_minhash *mh, unsigned bands, unsigned rows,
                                   uint64_t *out);
/* Probability that two sets of Jaccard j share at least one band key:
 * 1 - (1 - j^rows)^bands. */
double hu_minhash_lsh_prob(double j, unsigned bands, unsigned rows);

/* ---- serialization ------------------------------------------------------ */

/* 16 bytes when empty, else 16 + 3 k (version 2: the three byte planes,
 * docs/formats/profile.md). */
size_t hu_minhash_serialized_size(const struct hu_minhash *mh);
/* Writes hu_minhash_serialized_size() bytes (<= HU_MINHASH_SERIALIZED_MAX),
 * always version 2; returns that size.  Never fails. */
size_t hu_minhash_serialize(const struct hu_minhash *mh, void *buf);
/* Bytes consumed (> 0), or HU_ECORRUPT / HU_EVERSION / HU_EINVAL; never
 * reads past len; on failure *mh is empty.  Reads version 2 (the bytes
 * serialize() writes: re-serializing gives them back byte for byte) and
 * version 1 (16 + 4 k, 32-bit values written before the 24-bit layout):
 * each v1 value v maps to v >> 8, folded to 2^24-2 if that is
 * HU_MINHASH_EMPTY, which is exactly the signature the current code
 * computes from the same items; re-serialized, such a blob comes out as
 * version 2.  Inconsistent payloads (partly empty, all-empty long form,
 * wrong length for the version) are HU_ECORRUPT.  O(k). */
int hu_minhash_deserialize_safe(struct hu_minhash *mh, const void *buf, size_t len);
/* NULL if the invariant holds, else a static reason. */
const char *hu_minhash_validate(const struct hu_minhash *mh);

#endif
