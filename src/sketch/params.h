/*
 * params.h -- every tuning constant of the sketch library, with its reason.
 *
 * Sketches are stored in SQLite and shipped in fingerprint libraries, so
 * changing any value here changes the serialized format: bump the version
 * byte of the sketch concerned (HU_*_VERSION) together with it.  Profile
 * level constants (what each account keeps) live in profile/params.h.
 * Numbers quoted below come from `build/release/bench/bench_sketch` and from
 * tests/unit/test_sketch_*.c (see docs/internals/sketch.md).
 */
#ifndef HU_SKETCH_PARAMS_H
#define HU_SKETCH_PARAMS_H

#include <stdint.h>

/* ---- HyperLogLog --------------------------------------------------------- */

/* Precision: m = 2^p registers.  p = 8 gives a standard error of
 * 1.04/sqrt(256) = 6.5 %: enough to tell an account that cycles through
 * 10,000 prompt templates from one that reuses 12, and small enough for a
 * million profiles in RAM (160 MB for the registers).  p = 10 would cost
 * 640 B per account for 3.3 %, which no signal needs. */
#define HU_HLL_P            8
#define HU_HLL_M            (1u << HU_HLL_P)

/* Register width: 5 bits, so a rank is clamped at 2^5 - 1 = 31.  A rank
 * reaches 32 only for an item whose 64-p = 56 bits after the index start
 * with 31 zeros (probability 2^-31 per item), so the clamp changes nothing
 * until ~2^38 distinct items; hll.c shows the estimator treats the top
 * register value as ">= 31" and is unchanged below that.  256 x 5 bits =
 * 160 bytes instead of 256. */
#define HU_HLL_REG_BITS     5u
#define HU_HLL_RMAX         ((1u << HU_HLL_REG_BITS) - 1u)
#define HU_HLL_REG_BYTES    (HU_HLL_M * HU_HLL_REG_BITS / 8u)

/* Sparse (exact) mode: up to this many distinct keys are kept verbatim in
 * the bytes the registers will later use (32 x 5 = 160), so the count is
 * exact for the common account that sees few templates and the struct
 * never changes size.  A key is the top 40 bits of the remixed hash: the p
 * = 8 index bits and the next 32, which fix the clamped rank exactly (rank
 * <= 31 needs 30 bits).  The 33rd distinct key converts to registers. */
#define HU_HLL_SPARSE_BYTES 5u
#define HU_HLL_SPARSE_MAX   (HU_HLL_REG_BYTES / HU_HLL_SPARSE_BYTES)

/* Remix seed: input hashes are remixed before use so that the HLL is
 * independent of the other sketches fed the same hashes (KMV, MinHash). */
#define HU_HLL_SEED         UINT64_C(0x4c4c48616c6c6575)

/* ---- MinHash ------------------------------------------------------------- */

/* Slots.  Standard error of the Jaccard estimate is sqrt(J(1-J)/k) <= 1/(2
 * sqrt(k)) = 6.25 % at k = 64; 24-bit values (3 bytes) make a signature 192
 * bytes (32-bit values, 256 bytes, until HU_MINHASH_VERSION 2), at the cost
 * of a tie bias <= (1-J) n / 2^25 (0.03 % at n = 10^4 items, minhash.c).  64
 * splits into LSH bands of 16x4, 32x2, 8x8 or 21x3 for candidate generation. */
#define HU_MINHASH_K        64u
#define HU_MINHASH_SEED     UINT64_C(0x6d696e6861736831)

/* ---- space-saving -------------------------------------------------------- */

/* Counters.  Any key with more than N/k of the N updates is guaranteed to be
 * held, with count - err <= true <= count.  8 catches every template above
 * 12.5 % of an account's traffic: campaigns reuse a handful of templates. */
#define HU_SS_K             8u

/* ---- KMV / bottom-k set -------------------------------------------------- */

/* Items held.  Exact while an account has <= 8 distinct values (most honest
 * accounts: one or two IPs, one client); beyond it a bottom-k sample whose
 * distinct estimate has relative standard error ~ 1/sqrt(k-2) = 41 %: crude,
 * but the signals only ask "few or many" (a rotating proxy gives thousands).
 * Keep equal to HU_PROFILE_SET_K in core/limits.h. */
#define HU_KMV_K            8u
#define HU_KMV_SEED         UINT64_C(0x6b6d7673616d706c)

#endif
