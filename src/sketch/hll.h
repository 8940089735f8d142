/*
 * hll.h -- HyperLogLog distinct counter over 64-bit hashes.
 *
 * How many distinct prompt templates has an account used?  struct hu_hll
 * answers in a fixed 264 bytes whatever the answer: exactly while it has
 * seen at most HU_HLL_SPARSE_MAX (32) distinct hashes, then within a
 * relative standard error of 1.04/sqrt(2^HU_HLL_P) = 6.5 % (p = 8).
 * The algorithm and its measured errors are in hll.c and
 * docs/internals/sketch.md; the byte layout in docs/formats/profile.md.
 *
 * Inputs are hashes already (hu_hash of the item): the sketch remixes them
 * with its own seed, so feeding the same hashes to other sketches is fine.
 * Memory is the caller's (init/fini-free: the struct owns no pointers and
 * may be copied with memcpy).  Not thread-safe; merge() is how threads
 * combine their partial sketches.
 */
#ifndef HU_SKETCH_HLL_H
#define HU_SKETCH_HLL_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"
#include "sketch/params.h"

/* Invariants (checked by hu_hll_validate):
 *   sparse mode (dense == 0): n_sparse <= HU_HLL_SPARSE_MAX and
 *     u.sparse[0..n_sparse) strictly ascending (remixed hashes), the rest 0;
 *   dense mode (dense == 1): n_sparse == 0 and every register <= 64-p+1. */
struct hu_hll {
    uint16_t n_sparse;
    uint8_t  dense;
    uint8_t  pad_[5];
    union {
        uint64_t sparse[HU_HLL_SPARSE_MAX];
        uint8_t  reg[HU_HLL_M];
    } u;
};

#define HU_HLL_VERSION          1
/* Largest serialized size (header + dense registers). */
#define HU_HLL_SERIALIZED_MAX   (16u + HU_HLL_M)

/* Empty sketch in caller memory.  O(m). */
void hu_hll_init(struct hu_hll *h);

/* Add one hashed item.  Returns 1 if the sketch changed, 0 if not.
 * O(log 32) plus a memmove of <= 256 bytes while sparse; O(1) once dense. */
int hu_hll_add(struct hu_hll *h, uint64_t hash);

/* Estimated number of distinct items added.  Exact (an integer) while
 * sparse; otherwise Ertl's improved estimator (2017), which is unbiased
 * from 0 to 2^50 without empirical bias tables.  O(m). */
double hu_hll_count(const struct hu_hll *h);

/* 1 while the count is exact (sparse mode). */
int hu_hll_is_exact(const struct hu_hll *h);

/* dst := dst U src.  Exactly equal to having added src's items to dst:
 * merge(observe(A), observe(B)) == observe(A then B), bit for bit.  O(m). */
void hu_hll_merge(struct hu_hll *dst, const struct hu_hll *src);

/* ---- serialization (docs/formats/profile.md) ---------------------------- */

/* Bytes hu_hll_serialize() will write: 16 + 8 n while sparse, 16 + m dense. */
size_t hu_hll_serialized_size(const struct hu_hll *h);
/* Write the sketch to buf (hu_hll_serialized_size() bytes, at most
 * HU_HLL_SERIALIZED_MAX).  Returns the bytes written.  Never fails. */
size_t hu_hll_serialize(const struct hu_hll *h, void *buf);
/* Read a sketch from untrusted bytes: never reads past len, checks magic,
 * version, precision, length, checksum, then hu_hll_validate().  Returns
 * the bytes consumed (> 0) or HU_ECORRUPT / HU_EVERSION / HU_EINVAL; on
 * failure *h is left empty. */
int hu_hll_deserialize_safe(struct hu_hll *h, const void *buf, size_t len);
/* NULL if the invariants above hold, else a static reason string. */
const char *hu_hll_validate(const struct hu_hll *h);

#endif
