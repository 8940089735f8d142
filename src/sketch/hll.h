/*
 * hll.h -- HyperLogLog distinct counter over 64-bit hashes.
 *
 * How many distinct prompt templates has an account used?  struct hu_hll
 * answers in a fixed 168 bytes whatever the answer: exactly while it has
 * seen at most HU_HLL_SPARSE_MAX (32) distinct hashes (up to a collision of
 * their top 40 bits, probability < n^2/2^41 = 5e-10 at n = 32), then within
 * a relative standard error of 1.04/sqrt(2^HU_HLL_P) = 6.5 % (p = 8).
 * Registers are 5 bits (ranks clamped at 31), which changes no estimate
 * below ~2^38 distinct items (hll.c says why).
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
 *     u.sparse holds n_sparse 40-bit keys (5 bytes each, little-endian: the
 *     top 40 bits of the remixed hash) strictly ascending, every byte after
 *     them 0;
 *   dense mode (dense == 1): n_sparse == 0 and u.reg holds m registers of
 *     HU_HLL_REG_BITS bits packed LSB first (register i is bits 5i..5i+4),
 *     each a rank clamped to HU_HLL_RMAX; the spare byte u.reg[160] is 0.
 *   pad_ is 0 in both modes, so equal sketches are equal bytes. */
struct hu_hll {
    uint16_t n_sparse;
    uint8_t  dense;
    uint8_t  pad_[4];
    union {
        uint8_t sparse[HU_HLL_SPARSE_MAX * HU_HLL_SPARSE_BYTES];
        /* + 1: a register is read as a 16-bit window at byte 5i/8, and the
         * window of register 255 ends one byte past the 160 packed bytes */
        uint8_t reg[HU_HLL_REG_BYTES + 1];
    } u;
};

/* 7 + 161 = 168 bytes, alignment 2: an array of them has no holes. */
_Static_assert(sizeof(struct hu_hll) == 168, "struct hu_hll must stay 168 bytes");

/* Serialized format version.  2: packed 5-bit registers / 40-bit sparse
 * keys.  Version 1 blobs (main before the shrink: one byte per register up
 * to 57, 64-bit sparse hashes) still load, mapped down (see
 * hu_hll_deserialize_safe); they are never written. */
#define HU_HLL_VERSION          2
#define HU_HLL_VERSION_V1       1
/* Largest serialized size this code writes (header + packed registers). */
#define HU_HLL_SERIALIZED_MAX   (16u + HU_HLL_REG_BYTES)
/* Largest serialized size it reads (a version-1 dense blob). */
#define HU_HLL_SERIALIZED_MAX_V1 (16u + HU_HLL_M)

/* Empty sketch in caller memory.  O(m). */
void hu_hll_init(struct hu_hll *h);

/* Add one hashed item.  Returns 1 if the sketch changed, 0 if not (also
 * when the item's top 40 remixed bits equal a held key's while sparse).
 * O(log 32) plus a memmove of <= 160 bytes while sparse; O(1) once dense.
 * Never allocates. */
int hu_hll_add(struct hu_hll *h, uint64_t hash);

/* Estimated number of distinct items added.  Exact (an integer) while
 * sparse; otherwise Ertl's improved estimator (2017), which needs no
 * empirical bias tables; with 5-bit registers it reads 31 as ">= 31" and
 * stays unbiased to ~2^38 items (measured +0.6 % at 2^38 on simulated
 * registers), equal to the 1-byte sketch's estimate bit for bit while no
 * register exceeds 30.  O(m), no allocation. */
double hu_hll_count(const struct hu_hll *h);

/* 1 while the count is exact (sparse mode). */
int hu_hll_is_exact(const struct hu_hll *h);

/* Register i (0 <= i < HU_HLL_M, else 0) as the dense sketch holds it or as
 * densifying the sparse keys would set it: 0..HU_HLL_RMAX.  For tests and
 * tools (O(1) dense, O(n_sparse) sparse). */
unsigned hu_hll_register(const struct hu_hll *h, uint32_t i);

/* dst := dst U src.  Exactly equal to having added src's items to dst:
 * merge(observe(A), observe(B)) == observe(A then B), bit for bit (the
 * clamp at 31 commutes with max).  O(m), no allocation. */
void hu_hll_merge(struct hu_hll *dst, const struct hu_hll *src);

/* ---- serialization (docs/formats/profile.md) ---------------------------- */

/* Bytes hu_hll_serialize() will write: 16 + 5 n while sparse, 16 + 160
 * dense (version 2, docs/formats/profile.md). */
size_t hu_hll_serialized_size(const struct hu_hll *h);
/* Write the sketch to buf (hu_hll_serialized_size() bytes, at most
 * HU_HLL_SERIALIZED_MAX).  Returns the bytes written.  Never fails. */
size_t hu_hll_serialize(const struct hu_hll *h, void *buf);
/* Read a sketch from untrusted bytes: never reads past len, checks magic,
 * version, precision, length, checksum, then hu_hll_validate().  Version 2
 * (what hu_hll_serialize writes) loads exactly: re-serializing gives the
 * same bytes.  Version 1 (main's former format) is checked as strictly as
 * before (registers <= 64-p+1, hashes strictly ascending) and then mapped
 * down deterministically: registers clamped to 31, each 64-bit hash cut to
 * its top 40 bits, equal keys merged (the exact count then drops by one
 * per collision) -- exactly the sketch this code builds from the same
 * items.  Returns the bytes consumed (> 0) or HU_ECORRUPT / HU_EVERSION /
 * HU_EINVAL; on failure *h is left empty.  O(len). */
int hu_hll_deserialize_safe(struct hu_hll *h, const void *buf, size_t len);
/* NULL if the invariants above hold, else a static reason string. */
const char *hu_hll_validate(const struct hu_hll *h);

#endif
