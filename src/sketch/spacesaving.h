/*
 * spacesaving.h -- the k heaviest 64-bit keys of a stream (space-saving).
 *
 * Which prompt templates make up most of an account's traffic?  struct
 * hu_ss keeps HU_SS_K (8) counters, 144 bytes, and guarantees for every
 * tracked key: count - err <= true count <= count; for every key it does
 * not track: true count <= hu_ss_min_count().  With sequential updates any
 * key with more than N/k of the N updates is tracked (Metwally, Agrawal,
 * El Abbadi 2005).  Design notes in spacesaving.c.
 *
 * Caller memory, no pointers, memcpy-able.  Counts saturate at 2^32-1.
 */
#ifndef HU_SKETCH_SPACESAVING_H
#define HU_SKETCH_SPACESAVING_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"
#include "sketch/params.h"

struct hu_ss_entry {
    uint64_t key;
    uint32_t count;   /* upper bound of the key's true count */
    uint32_t err;     /* count - err is a lower bound; err <= count */
};

/* Invariants (hu_ss_validate): n <= HU_SS_K; keys of e[0..n) distinct;
 * 1 <= count, err <= count, count <= total for each; e[n..k) zero. */
struct hu_ss {
    uint64_t total;                  /* sum of all weights (saturating) */
    uint32_t n;                      /* entries in use */
    uint32_t pad_;
    struct hu_ss_entry e[HU_SS_K];
};

#define HU_SS_VERSION           1
#define HU_SS_SERIALIZED_MAX    (16u + 12u + 16u * HU_SS_K)

void hu_ss_init(struct hu_ss *ss);

/* Count `w` (>= 1; 0 is ignored) occurrences of key.  When the key is new
 * and all k counters are used, the smallest counter (ties: lowest slot) is
 * handed to it with err = that count.  Returns 1 if the key was already
 * tracked, 0 if not.  O(k). */
int hu_ss_update(struct hu_ss *ss, uint64_t key, uint32_t w);

/* 1 and the bounds if key is tracked, else 0 (then its true count is
 * <= hu_ss_min_count()).  count/err may be NULL.  O(k). */
int hu_ss_get(const struct hu_ss *ss, uint64_t key, uint32_t *count, uint32_t *err);

/* Upper bound on the true count of any untracked key: 0 while fewer than k
 * keys were seen, else the smallest count.  O(k). */
uint32_t hu_ss_min_count(const struct hu_ss *ss);

/* Copy the tracked entries into out[cap] ordered by count descending, then
 * err ascending, then key ascending; returns how many were written.
 * O(k log k). */
size_t hu_ss_top(const struct hu_ss *ss, struct hu_ss_entry *out, size_t cap);

/* dst := summary of both streams (Agarwal et al., "Mergeable summaries",
 * 2012): a key missing from a full side is charged that side's minimum
 * (as count and as err), then the k largest are kept.  The bounds
 * count - err <= true <= count and "untracked => true <= min_count" hold
 * after any sequence of merges; the heavy-hitter threshold weakens from
 * N/k to 2N/k at worst.  Merging with an empty summary is an exact copy;
 * otherwise result entries are in hu_ss_top() order.  O(k^2). */
void hu_ss_merge(struct hu_ss *dst, const struct hu_ss *src);

/* ---- serialization ------------------------------------------------------ */

size_t hu_ss_serialized_size(const struct hu_ss *ss);     /* 28 + 16 n */
size_t hu_ss_serialize(const struct hu_ss *ss, void *buf);
/* Bytes consumed (> 0) or HU_ECORRUPT / HU_EVERSION / HU_EINVAL; never
 * reads past len; on failure *ss is empty. */
int hu_ss_deserialize_safe(struct hu_ss *ss, const void *buf, size_t len);
const char *hu_ss_validate(const struct hu_ss *ss);

#endif
