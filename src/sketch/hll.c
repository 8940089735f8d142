/*
 * hll.c -- HyperLogLog with 5-bit registers and an exact sparse start.
 *
 * What.  A HyperLogLog (Flajolet, Fusy, Gandouet, Meunier 2007) keeps
 * m = 2^p registers.  An item's remixed 64-bit hash picks a register with
 * its top p bits and offers the rank of the remaining q = 64-p bits (the
 * 1-based position of their first 1 bit, q+1 if they are all zero); the
 * register keeps the maximum.  From the histogram of register values the
 * number of distinct items is estimated with Ertl's "improved raw
 * estimator" (O. Ertl, "New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017), the one Redis uses since 5.0: it needs no
 * empirical bias table and no switch to linear counting, and stays
 * unbiased from tiny to huge cardinalities.
 *
 * Why 5-bit registers.  At p = 8 a one-byte register (ranks up to 57)
 * wastes 3 bits: a rank reaches 32 only for an item whose q = 56 bits
 * start with 31 zeros, probability 2^-31 per item, so until ~2^38 distinct
 * items (2^8 registers x 2^30 items each before a register is likely to
 * see one) no register holds more than 31.  Ranks are therefore clamped
 * to 31 and packed 5 bits each: 256 x 5 bits = 160 bytes.  The clamp
 * keeps merge exact: clamp(max(a, b)) = max(clamp a, clamp b) because
 * min(., 31) is monotone, so the registers of merge(A, B) are those of
 * adding A's then B's items, bit for bit, as before.
 *
 * The estimator and the clamp.  Ertl's estimator reads the histogram
 * c[0..q+1] where the top bucket c[q+1] counts registers known only to be
 * ">= q+1" (the hash ran out of bits) and corrects for it with tau().  A
 * clamped register is exactly such a censored one, so with registers
 * capped at 31 we run the same estimator with q' = 30: c[31] is the
 * ">= 31" bucket.  Whenever no register is >= 31 (every realistic
 * account: below ~2^38 items) main's 1-byte estimator and this one perform
 * the same floating operations on the same numbers: tau(1) = 0 and the 26
 * extra halvings of a zero sum stay zero, so the estimates are equal to
 * the last bit; test_sketch_hll checks that against main's code for every
 * cardinality step to 10^6.  Above, the clamped register is still handled
 * as the censored value it is, and the estimate moves by ~1e-9 relative.
 *
 * Why the sparse start, and why 40 bits.  Most accounts use a handful of
 * prompt templates.  The 160 register bytes can instead hold 32 exact keys
 * of 40 bits (5 bytes), sorted; the count is then exact, and the 33rd
 * distinct key turns them into registers.  A key is the top 40 bits of the
 * remixed hash: the 8 index bits and the next 32, which determine the
 * clamped rank exactly (rank <= 31 is decided by the first 30 bits, rank
 * 31 means "30 zeros").  Densifying therefore gives exactly the registers
 * that dense adds of the same items would have, so merge() stays bit-exact
 * with sequential adds in every mode mix.  The price: two distinct items
 * whose remixed hashes share their top 40 bits count once while sparse;
 * for n <= 32 items the probability is at most n^2/2^41 (4.7e-10 at 32),
 * a millionth of the HLL's own error once dense.  The struct never changes
 * size (profiles are fixed-size, pointer-free pool records).
 *
 * Layout (struct hu_hll, 168 bytes):
 *
 *   0         2       3         7                                 167 168
 *   +---------+-------+---------+----------------------------------+---+
 *   |n_sparse | dense | pad (0) | 32 x 5-byte LE keys, ascending   | 0 |
 *   |  u16    |  u8   |  4      | OR 256 x 5-bit registers packed  |   |
 *   +---------+-------+---------+----------------------------------+---+
 *
 * The last byte is spare and always 0: register i is read and written as
 * a 16-bit window at byte 5i/8, and register 255's window (byte 159) ends
 * one byte past the packed array.
 *
 * Serialized (version 2, docs/formats/profile.md): the 16-byte envelope,
 * then the 160 packed register bytes (dense) or the 5 n key bytes
 * (sparse), verbatim, so re-serializing a loaded blob gives the same
 * bytes.  Version 1 blobs (main before the shrink: 256 one-byte registers
 * or 8-byte hashes) load through a deterministic map-down: registers
 * clamped, hashes cut to 40-bit keys and deduplicated (the count drops by
 * one per collision, probability as above) -- the sketch this code would
 * have built from the same items.  They are never written again.
 *
 * Error.  Relative standard error 1.04/sqrt(m) = 6.5 % at p = 8.
 * test_sketch_hll measures it against an exact hash set over 30-200 seeds
 * at about 100, 1,000, 10,000 and 100,000 distinct items: RMSE 4.9, 6.1,
 * 5.8 and 6.4 %, mean bias within +-1.8 %, and 1 run in 530 beyond three
 * standard errors (docs/internals/sketch.md); unchanged by the packing.
 *
 * Cost (bench_sketch's three hll rows, main's 264-byte code and this one
 * built side by side and run interleaved, best of 3, three rounds, on the
 * shared 2-core AMD EPYC VM): sparse add 3.7-4.1 -> 4.6-4.7 ns (the keys
 * are 5 bytes: one unaligned 8-byte window per probe keeps it close),
 * dense add 2.7-2.8 -> 3.0-3.1 ns (a 16-bit read-modify-write instead of
 * a byte), count 205-210 -> 146-153 ns (8 registers per 5-byte load, a
 * 32-bucket histogram instead of 58).  sizeof 264 -> 168 bytes; struct
 * hu_profile 96 bytes smaller (2,712 -> 2,616 on its own; 1,936 with the
 * set pool and 24-bit MinHash, docs/internals/profile.md).
 */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "sketch/hll.h"
#include "sketch/sketch_io.h"
#include "core/hash.h"

#define HLL_Q      (64 - HU_HLL_P)        /* bits left after the register index */
#define HLL_Q_V1   (HLL_Q + 1)            /* version-1 register ceiling (57) */
#define HLL_QC     ((int)HU_HLL_RMAX - 1) /* q' of the clamped estimator (30) */
#define HLL_KEY_SHIFT (64 - 8 * HU_HLL_SPARSE_BYTES)   /* 24: hash -> 40-bit key */

_Static_assert(HU_HLL_SPARSE_BYTES * HU_HLL_SPARSE_MAX == HU_HLL_REG_BYTES,
               "sparse keys must fill exactly the register bytes");
_Static_assert(HU_HLL_M * HU_HLL_REG_BITS == 8 * HU_HLL_REG_BYTES, "registers must pack exactly");
_Static_assert(HU_HLL_P == 8, "the 40-bit key and the 5-bit groups assume p = 8");
_Static_assert(HLL_KEY_SHIFT + HU_HLL_P + HLL_QC <= 64, "a key must decide every clamped rank");
_Static_assert(HU_HLL_RMAX <= HLL_Q_V1, "clamp must not exceed the true ceiling");

static inline uint64_t hll_remix(uint64_t hash)
{
    return hu_hash_mix(hash ^ HU_HLL_SEED);
}

/* Clamped rank and index of a remixed value (or of key << 24: the low 24
 * bits never matter, see the essay). */
static inline unsigned hll_rank(uint64_t x)
{
    uint64_t w = x << HU_HLL_P;
    unsigned rho = w ? (unsigned)__builtin_clzll(w) + 1u : (unsigned)HLL_Q_V1;
    return rho < HU_HLL_RMAX ? rho : HU_HLL_RMAX;
}

static inline uint32_t hll_index(uint64_t x)
{
    return (uint32_t)(x >> HLL_Q);
}

/* ---- packed registers: a 16-bit window at byte 5i/8 (spare byte budgeted) */

static inline unsigned reg_get(const uint8_t *reg, uint32_t i)
{
    uint32_t b = i * HU_HLL_REG_BITS;
    const uint8_t *q = reg + (b >> 3);
    uint32_t w = (uint32_t)q[0] | (uint32_t)q[1] << 8;
    return (w >> (b & 7)) & HU_HLL_RMAX;
}

static inline void reg_put(uint8_t *reg, uint32_t i, unsigned v)
{
    uint32_t b = i * HU_HLL_REG_BITS, s = b & 7;
    uint8_t *q = reg + (b >> 3);
    uint32_t w = (uint32_t)q[0] | (uint32_t)q[1] << 8;
    w = (w & ~((uint32_t)HU_HLL_RMAX << s)) | ((uint32_t)v << s);
    q[0] = (uint8_t)w;
    q[1] = (uint8_t)(w >> 8);
}

/* 8 registers = 40 bits = 5 bytes: group g is bytes 5g..5g+4. */
static inline uint64_t load40(const uint8_t *q)
{
    return (uint64_t)q[0] | (uint64_t)q[1] << 8 | (uint64_t)q[2] << 16 |
           (uint64_t)q[3] << 24 | (uint64_t)q[4] << 32;
}

static inline void store40(uint8_t *q, uint64_t v)
{
    for (int k = 0; k < 5; k++)
        q[k] = (uint8_t)(v >> (8 * k));
}

/* Raise register idx(x) to rank(x); 1 if it changed. */
static inline int hll_set_reg(uint8_t *reg, uint64_t x)
{
    uint32_t idx = hll_index(x);
    unsigned rho = hll_rank(x);
    if (rho <= reg_get(reg, idx))
        return 0;
    reg_put(reg, idx, rho);
    return 1;
}

void hu_hll_init(struct hu_hll *h)
{
    memset(h, 0, sizeof *h);
}

/* Turn the sparse keys into registers (in place, via a copy). */
static void hll_densify(struct hu_hll *h)
{
    uint8_t tmp[HU_HLL_REG_BYTES];
    uint16_t n = h->n_sparse;
    memcpy(tmp, h->u.sparse, sizeof tmp);
    memset(h->u.reg, 0, sizeof h->u.reg);
    for (uint16_t i = 0; i < n; i++)
        hll_set_reg(h->u.reg, load40(tmp + HU_HLL_SPARSE_BYTES * i) << HLL_KEY_SHIFT);
    h->n_sparse = 0;
    h->dense = 1;
}

/* Sparse key i.  On little-endian hosts one unaligned 8-byte load of the
 * struct bytes 4 + 5i .. 11 + 5i (the key is the top 5 of them; for i = 0
 * the low 3 come from pad_, for i = 31 the load ends at byte 167, inside
 * the 168): the binary search then costs what main's 64-bit one did. */
static inline uint64_t hll_key_at(const struct hu_hll *h, uint32_t i)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, (const uint8_t *)h + offsetof(struct hu_hll, u) - 3 + HU_HLL_SPARSE_BYTES * i,
           sizeof w);
    return w >> HLL_KEY_SHIFT;
#else
    return load40(h->u.sparse + HU_HLL_SPARSE_BYTES * i);
#endif
}

_Static_assert(offsetof(struct hu_hll, u) >= 3 &&
               offsetof(struct hu_hll, u) - 3 + HU_HLL_SPARSE_BYTES * (HU_HLL_SPARSE_MAX - 1) + 8 <=
                   sizeof(struct hu_hll),
               "the 8-byte key window must stay inside the struct");

/* Binary search over the keys: index of key or of the first > key. */
static uint32_t hll_lower_bound(const struct hu_hll *h, uint32_t n, uint64_t key)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (hll_key_at(h, mid) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Add a 40-bit key (the top 40 bits of a remixed hash). */
static int hll_add_key(struct hu_hll *h, uint64_t key)
{
    if (h->dense)
        return hll_set_reg(h->u.reg, key << HLL_KEY_SHIFT);
    uint32_t n = h->n_sparse;
    uint32_t i = hll_lower_bound(h, n, key);
    if (i < n && hll_key_at(h, i) == key)
        return 0;
    if (n == HU_HLL_SPARSE_MAX) {
        hll_densify(h);
        hll_set_reg(h->u.reg, key << HLL_KEY_SHIFT);
        return 1;
    }
    uint8_t *at = h->u.sparse + HU_HLL_SPARSE_BYTES * i;
    memmove(at + HU_HLL_SPARSE_BYTES, at, (n - i) * HU_HLL_SPARSE_BYTES);
    store40(at, key);
    h->n_sparse = (uint16_t)(n + 1);
    return 1;
}

int hu_hll_add(struct hu_hll *h, uint64_t hash)
{
    uint64_t x = hll_remix(hash);
    if (h->dense)                  /* the hot path: no key round trip */
        return hll_set_reg(h->u.reg, x);
    return hll_add_key(h, x >> HLL_KEY_SHIFT);
}

int hu_hll_is_exact(const struct hu_hll *h)
{
    return !h->dense;
}

unsigned hu_hll_register(const struct hu_hll *h, uint32_t i)
{
    if (i >= HU_HLL_M)
        return 0;
    if (h->dense)
        return reg_get(h->u.reg, i);
    unsigned r = 0;
    for (uint16_t k = 0; k < h->n_sparse && k < HU_HLL_SPARSE_MAX; k++) {
        uint64_t x = load40(h->u.sparse + HU_HLL_SPARSE_BYTES * k) << HLL_KEY_SHIFT;
        if (hll_index(x) == i && hll_rank(x) > r)
            r = hll_rank(x);
    }
    return r;
}

/* Ertl 2017, algorithm 6: sigma() and tau() corrections. */
static double hll_sigma(double x)
{
    if (x == 1.0)
        return INFINITY;
    double y = 1.0, z = x, zp;
    do {
        x *= x;
        zp = z;
        z += x * y;
        y += y;
    } while (zp != z);
    return z;
}

static double hll_tau(double x)
{
    if (x == 0.0 || x == 1.0)
        return 0.0;
    double y = 1.0, z = 1.0 - x, zp;
    do {
        x = sqrt(x);
        zp = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (zp != z);
    return z / 3.0;
}

double hu_hll_count(const struct hu_hll *h)
{
    if (!h->dense)
        return (double)h->n_sparse;
    uint32_t c[HU_HLL_RMAX + 1] = { 0 };
    for (uint32_t g = 0; g < HU_HLL_M / 8; g++) {
        uint64_t v = load40(h->u.reg + 5 * g);
        for (int k = 0; k < 8; k++, v >>= HU_HLL_REG_BITS)
            c[v & HU_HLL_RMAX]++;
    }
    /* c[31] is the ">= 31" bucket: Ertl's estimator with q' = 30 */
    const double m = (double)HU_HLL_M;
    double z = m * hll_tau(1.0 - (double)c[HU_HLL_RMAX] / m);
    for (int k = HLL_QC; k >= 1; k--) {
        z += (double)c[k];
        z *= 0.5;
    }
    z += m * hll_sigma((double)c[0] / m);
    const double alpha_inf = 0.5 / log(2.0);
    return alpha_inf * m * m / z;
}

void hu_hll_merge(struct hu_hll *dst, const struct hu_hll *src)
{
    if (!src->dense) {
        for (uint16_t i = 0; i < src->n_sparse && i < HU_HLL_SPARSE_MAX; i++)
            hll_add_key(dst, load40(src->u.sparse + HU_HLL_SPARSE_BYTES * i));
        return;
    }
    if (!dst->dense)
        hll_densify(dst);
    for (uint32_t g = 0; g < HU_HLL_M / 8; g++) {
        uint64_t a = load40(dst->u.reg + 5 * g), b = load40(src->u.reg + 5 * g), r = 0;
        for (unsigned k = 0; k < 8; k++) {
            unsigned s = k * HU_HLL_REG_BITS;
            uint64_t ra = (a >> s) & HU_HLL_RMAX, rb = (b >> s) & HU_HLL_RMAX;
            r |= (ra > rb ? ra : rb) << s;
        }
        store40(dst->u.reg + 5 * g, r);
    }
}

/* ---- serialization ------------------------------------------------------ */

size_t hu_hll_serialized_size(const struct hu_hll *h)
{
    return HU__SKETCH_HDR + (h->dense ? HU_HLL_REG_BYTES
                                      : (size_t)HU_HLL_SPARSE_BYTES * h->n_sparse);
}

size_t hu_hll_serialize(const struct hu_hll *h, void *buf)
{
    uint8_t *p = (uint8_t *)buf + HU__SKETCH_HDR;
    uint32_t pl = h->dense ? HU_HLL_REG_BYTES : HU_HLL_SPARSE_BYTES * (uint32_t)h->n_sparse;
    memcpy(p, h->dense ? h->u.reg : h->u.sparse, pl);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, h->dense ? 1 : 0, pl);
    return HU__SKETCH_HDR + pl;
}

const char *hu_hll_validate(const struct hu_hll *h)
{
    if (!h)
        return "null sketch";
    if (h->dense > 1)
        return "bad mode byte";
    for (size_t i = 0; i < sizeof h->pad_; i++)
        if (h->pad_[i] != 0)
            return "nonzero padding";
    if (h->u.reg[HU_HLL_REG_BYTES] != 0)
        return "nonzero spare byte";
    if (h->dense) {
        /* every 5-bit value is a legal clamped rank */
        if (h->n_sparse != 0)
            return "dense sketch with sparse count";
        return NULL;
    }
    if (h->n_sparse > HU_HLL_SPARSE_MAX)
        return "too many sparse keys";
    for (uint32_t i = 1; i < h->n_sparse; i++)
        if (load40(h->u.sparse + HU_HLL_SPARSE_BYTES * (i - 1)) >=
            load40(h->u.sparse + HU_HLL_SPARSE_BYTES * i))
            return "sparse keys not strictly ascending";
    for (uint32_t i = HU_HLL_SPARSE_BYTES * h->n_sparse; i < HU_HLL_REG_BYTES; i++)
        if (h->u.sparse[i] != 0)
            return "nonzero bytes after the sparse keys";
    return NULL;
}

/* Version 1 payload (main before the shrink), mapped down; see the header. */
static int hll_load_v1(struct hu_hll *h, const uint8_t *p, uint8_t flags, uint32_t pl)
{
    if (flags == 1) {
        if (pl != HU_HLL_M)
            return HU_ECORRUPT;
        for (uint32_t i = 0; i < HU_HLL_M; i++) {
            if (p[i] > HLL_Q_V1)
                return HU_ECORRUPT;
            reg_put(h->u.reg, i, p[i] < HU_HLL_RMAX ? p[i] : HU_HLL_RMAX);
        }
        h->dense = 1;
        return HU_OK;
    }
    if (flags != 0 || pl % 8 != 0 || pl / 8 > HU_HLL_SPARSE_MAX)
        return HU_ECORRUPT;
    uint64_t prev = 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < pl / 8; i++) {
        uint64_t x = hu__get_u64(p + 8u * i);
        if (i > 0 && x <= prev)
            return HU_ECORRUPT;            /* as strict as version 1 was */
        prev = x;
        uint64_t key = x >> HLL_KEY_SHIFT;
        /* ascending hashes give non-descending keys: a repeat is adjacent */
        if (n > 0 && load40(h->u.sparse + HU_HLL_SPARSE_BYTES * (n - 1)) == key)
            continue;
        store40(h->u.sparse + HU_HLL_SPARSE_BYTES * n, key);
        n++;
    }
    h->n_sparse = (uint16_t)n;
    return HU_OK;
}

int hu_hll_deserialize_safe(struct hu_hll *h, const void *buf, size_t len)
{
    if (!h)
        return HU_EINVAL;
    hu_hll_init(h);
    const uint8_t *b = (const uint8_t *)buf;
    int v1 = b && len >= HU__SKETCH_HDR && b[4] == HU_HLL_VERSION_V1;
    uint8_t flags;
    uint32_t pl;
    int rc = hu__sketch_hdr_get(b, len, "HUhl", v1 ? HU_HLL_VERSION_V1 : HU_HLL_VERSION,
                                HU_HLL_P, &flags, &pl, 0, v1 ? HU_HLL_M : HU_HLL_REG_BYTES);
    if (rc != HU_OK)
        return rc;
    const uint8_t *p = b + HU__SKETCH_HDR;
    if (v1) {
        rc = hll_load_v1(h, p, flags, pl);
    } else if (flags == 1) {
        rc = pl == HU_HLL_REG_BYTES ? HU_OK : HU_ECORRUPT;
        if (rc == HU_OK) {
            h->dense = 1;
            memcpy(h->u.reg, p, HU_HLL_REG_BYTES);
        }
    } else if (flags == 0) {
        rc = pl % HU_HLL_SPARSE_BYTES == 0 && pl / HU_HLL_SPARSE_BYTES <= HU_HLL_SPARSE_MAX
                 ? HU_OK : HU_ECORRUPT;
        if (rc == HU_OK) {
            h->n_sparse = (uint16_t)(pl / HU_HLL_SPARSE_BYTES);
            memcpy(h->u.sparse, p, pl);
        }
    } else {
        rc = HU_ECORRUPT;
    }
    if (rc != HU_OK || hu_hll_validate(h)) {
        hu_hll_init(h);
        return HU_ECORRUPT;
    }
    return (int)(HU__SKETCH_HDR + pl);
}
