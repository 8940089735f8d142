/*
 * kmv.h -- a bounded set of 64-bit hashes: exact while small, then a
 * bottom-k sample (KMV, "k minimum values").
 *
 * Which IPs, prefixes, ASNs, fingerprints has an account used?  struct
 * hu_kmv holds up to HU_KMV_K (8) of the item hashes themselves, 72 bytes:
 *   - while at most k distinct items were added it IS the set: counts,
 *     membership and Jaccard are exact;
 *   - beyond that it keeps the k items of smallest rank (rank = a seeded
 *     remix of the hash) and estimates the distinct count as (k-1)/U_(k),
 *     relative standard error ~ 1/sqrt(k-2) (41 % at k = 8; Bar-Yossef et
 *     al. 2002, Beyer et al. 2007).
 * Because every set ranks items the same way, two large sets sharing an
 * item both keep it if its rank is small: samples are coordinated, which
 * is what lets linkage find shared IPs between two proxy-rotating accounts.
 *
 * Caller memory, no pointers, memcpy-able.  Stored items are the original
 * hashes (linkage joins on them), ordered by rank.
 *
 * Reduced samples.  A sampled set may hold n < k items: a bottom-n sample
 * (a profile's shared set pool makes them, see profile.h).  Every function
 * below treats it as a KMV sketch with k' = n: add accepts only an item
 * ranking below the largest held, count is (n-1) 2^64 / rank(h[n-1]),
 * merge and Jaccard use the smaller of the two k.  With k' = k nothing
 * differs from a plain KMV.
 */
#ifndef HU_SKETCH_KMV_H
#define HU_SKETCH_KMV_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"
#include "sketch/params.h"

/* Invariants (hu_kmv_validate): n <= k; sampled implies n >= 1 (n == k,
 * or n < k for a reduced bottom-n sample, see below);
 * rank(h[0]) < rank(h[1]) < ... < rank(h[n-1]); h[n..k) are 0. */
struct hu_kmv {
    uint8_t  n;          /* items held */
    uint8_t  sampled;    /* 1 once more than k distinct items were added,
                          * or once the set was reduced to a bottom-n
                          * sample (n < k: a profile's set pool was full) */
    uint8_t  pad_[6];
    uint64_t h[HU_KMV_K];
};

#define HU_KMV_VERSION          1
#define HU_KMV_VERSION_REDUCED  2   /* same layout; sampled with n < k */
#define HU_KMV_SERIALIZED_MAX   (16u + 8u * HU_KMV_K)

/* Membership answers. */
#define HU_KMV_NO       0
#define HU_KMV_YES      1
#define HU_KMV_UNKNOWN  (-1)

void hu_kmv_init(struct hu_kmv *s);

/* The rank every set orders items by (seeded splitmix64 remix; a bijection,
 * so distinct items never tie). */
uint64_t hu_kmv_rank(uint64_t item);

/* Where item goes in h[0..n), items in ascending rank (a set's held
 * items): returns 1 if item is there already, else 0 with *pos = the index
 * it would take (n if it ranks after all of them).  O(n).  Shared by
 * hu_kmv_add and the profile's set pool. */
int hu_kmv_locate(const uint64_t *h, unsigned n, uint64_t item, unsigned *pos);

/* Add one item.  Returns 1 if the held items changed.  O(k).  A sampled
 * set keeps its size (n): a new item of smaller rank replaces the largest. */
int hu_kmv_add(struct hu_kmv *s, uint64_t item);

/* Distinct items added: exact (n) unless sampled, then (n-1) 2^64 /
 * rank(h[n-1]) (n = k unless reduced), at least n + 1.  O(1). */
double hu_kmv_count(const struct hu_kmv *s);
int hu_kmv_is_exact(const struct hu_kmv *s);

/* HU_KMV_YES if item was added; HU_KMV_NO if it certainly was not (exact
 * set, or a rank below the sample's largest); HU_KMV_UNKNOWN otherwise.
 * O(k). */
int hu_kmv_contains(const struct hu_kmv *s, uint64_t item);

/* Jaccard similarity of the two sets: exact when neither is sampled;
 * otherwise the bottom-k estimator over the union of the samples, k the
 * smaller of the two (n if sampled, else HU_KMV_K).  0 when both are
 * empty.  O(k). */
double hu_kmv_jaccard(const struct hu_kmv *a, const struct hu_kmv *b);

/* dst := dst U src: the union's bottom-min(k_dst, k_src), sampled if
 * either was or the union holds more than HU_KMV_K.  Bit-exact with adding
 * src's items to dst when neither is a reduced sample.  O(k). */
void hu_kmv_merge(struct hu_kmv *dst, const struct hu_kmv *src);

/* ---- serialization ------------------------------------------------------ */

/* Version 1 for every set except a reduced sample (version 2, same
 * layout); deserialize accepts both and checks each version's rule. */
size_t hu_kmv_serialized_size(const struct hu_kmv *s);   /* 16 + 8 n */
size_t hu_kmv_serialize(const struct hu_kmv *s, void *buf);
/* Bytes consumed (> 0) or HU_ECORRUPT / HU_EVERSION / HU_EINVAL; never
 * reads past len; on failure *s is empty. */
int hu_kmv_deserialize_safe(struct hu_kmv *s, const void *buf, size_t len);
const char *hu_kmv_validate(const struct hu_kmv *s);

#endif
