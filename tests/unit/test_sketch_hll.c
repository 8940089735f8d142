/* test_sketch_hll.c -- HyperLogLog against an exact distinct count. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "sketch/hll.h"
#include "profile/profile.h"
#include "sketch/sketch_io.h"
#include "core/hash.h"
#include "tests/reference/rng.h"
#include "tests/reference/exact_set.h"
#include "test_sketch_util.h"
#include "test_sketch_hll_v1.h"

/* ---- slow references ------------------------------------------------------
 * main's HLL before the packing (commit 4d283d1), kept verbatim in spirit:
 * one byte per register, ranks over the 56 bits after the index up to 57,
 * Ertl's estimator with q = 56.  The new sketch must give the same
 * estimates (bit for bit while no register reaches 31) and the clamped
 * registers. */

#define REF_Q (64 - HU_HLL_P)

static int deser(void *obj, const void *buf, size_t len);

static uint64_t ref_remix(uint64_t hash)
{
    return hu_hash_mix(hash ^ HU_HLL_SEED);
}

static unsigned ref_rank(uint64_t x)
{
    uint64_t w = x << HU_HLL_P;
    unsigned r = w ? (unsigned)__builtin_clzll(w) + 1 : REF_Q + 1;
    return r > REF_Q + 1 ? REF_Q + 1 : r;
}

static void ref_reg_add(uint8_t *reg, uint64_t hash)
{
    uint64_t x = ref_remix(hash);
    unsigned r = ref_rank(x);
    if (r > reg[x >> REF_Q])
        reg[x >> REF_Q] = (uint8_t)r;
}

static double ref_sigma(double x)
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

static double ref_tau(double x)
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

/* Ertl's estimator for registers of a q-bit tail (values 0..q+1). */
static double ref_count_q(const uint8_t *reg, int q)
{
    uint32_t c[REF_Q + 2] = { 0 };
    for (uint32_t i = 0; i < HU_HLL_M; i++)
        c[reg[i]]++;
    const double m = (double)HU_HLL_M;
    double z = m * ref_tau(1.0 - (double)c[q + 1] / m);
    for (int k = q; k >= 1; k--) {
        z += (double)c[k];
        z *= 0.5;
    }
    z += m * ref_sigma((double)c[0] / m);
    return 0.5 / log(2.0) * m * m / z;
}

static double ref_main_count(const uint8_t *reg)
{
    return ref_count_q(reg, REF_Q);
}

/* A version-2 dense blob of the given registers (<= 31), packed 5 bits
 * each LSB first as docs/formats/profile.md describes, loaded. */
static void ref_load_regs(struct hu_hll *h, const uint8_t *reg)
{
    uint8_t buf[HU_HLL_SERIALIZED_MAX];
    memset(buf, 0, sizeof buf);
    for (uint32_t i = 0; i < HU_HLL_M; i++)
        for (unsigned b = 0; b < 5; b++)
            if (reg[i] >> b & 1)
                buf[16 + (5 * i + b) / 8] |= (uint8_t)(1u << ((5 * i + b) % 8));
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 1, HU_HLL_REG_BYTES);
    assert_int_equal(hu_hll_deserialize_safe(h, buf, sizeof buf), (int)sizeof buf);
    for (uint32_t i = 0; i < HU_HLL_M; i++)
        assert_int_equal(hu_hll_register(h, i), reg[i]);
}

/* Inverse of hu_hash_mix (SplitMix64's finalizer is a bijection), so tests
 * can pick the remixed value an item will have: hash = ref_unremix(x). */
static uint64_t ref_inv_mul(uint64_t a)
{
    uint64_t x = a;                         /* Newton: 5 steps give 64 bits */
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

static uint64_t ref_unxorshift(uint64_t y, int s)
{
    uint64_t x = y;
    for (int i = 0; i < 64 / s + 1; i++)
        x = y ^ (x >> s);
    return x;
}

static uint64_t ref_unremix(uint64_t x)
{
    x = ref_unxorshift(x, 31);
    x *= ref_inv_mul(UINT64_C(0x94d049bb133111eb));
    x = ref_unxorshift(x, 27);
    x *= ref_inv_mul(UINT64_C(0xbf58476d1ce4e5b9));
    x = ref_unxorshift(x, 30);
    x -= UINT64_C(0x9e3779b97f4a7c15);
    return x ^ HU_HLL_SEED;
}

static void unremix_inverts_remix(void **state)
{
    (void)state;
    struct ref_rng r = { 77 };
    for (int i = 0; i < 1000; i++) {
        uint64_t x = ref_rng_next(&r);
        assert_true(ref_remix(ref_unremix(x)) == x);
    }
}

/* Main's version-1 blob of a set of items (the reference writer). */
static size_t ref_v1_blob(uint8_t *buf, const uint64_t *items, unsigned n)
{
    uint64_t xs[HU_HLL_SPARSE_MAX];
    unsigned nx = 0;
    uint8_t reg[HU_HLL_M] = { 0 };
    int dense = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t x = ref_remix(items[i]);
        ref_reg_add(reg, items[i]);
        if (dense)
            continue;
        unsigned j = 0;
        while (j < nx && xs[j] < x)
            j++;
        if (j < nx && xs[j] == x)
            continue;
        if (nx == HU_HLL_SPARSE_MAX) {
            dense = 1;
            continue;
        }
        memmove(&xs[j + 1], &xs[j], (nx - j) * sizeof xs[0]);
        xs[j] = x;
        nx++;
    }
    uint32_t pl;
    if (dense) {
        memcpy(buf + 16, reg, HU_HLL_M);
        pl = HU_HLL_M;
    } else {
        for (unsigned j = 0; j < nx; j++)
            hu__put_u64(buf + 16 + 8 * j, xs[j]);
        pl = 8 * nx;
    }
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, dense ? 1 : 0, pl);
    return 16 + pl;
}

static size_t unhex(uint8_t *out, const char *hex)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        assert_int_equal(sscanf(hex, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* Estimates equal main's for every cardinality from 0 to 10^6 (every step
 * to 2,000, then every 499th), and the registers are main's clamped. */
static void estimates_equal_main(void **state)
{
    (void)state;
    for (unsigned seed = 0; seed < 2; seed++) {
        struct hu_hll h;
        hu_hll_init(&h);
        uint8_t reg[HU_HLL_M] = { 0 };
        unsigned checked = 0, clamped = 0;
        for (unsigned n = 0; n <= 1000000; n++) {
            if (n <= 2000 || n % 499 == 0 || n == 1000000) {
                double want = n <= HU_HLL_SPARSE_MAX ? (double)n : ref_main_count(reg);
                double got = hu_hll_count(&h);
                unsigned top = 0;
                for (uint32_t i = 0; i < HU_HLL_M; i++)
                    top = reg[i] > top ? reg[i] : top;
                if (top < HU_HLL_RMAX)
                    assert_true(got == want);         /* bit for bit */
                else {
                    assert_true(fabs(got - want) <= 1e-6 * want);
                    clamped++;
                }
                if (n > HU_HLL_SPARSE_MAX && (n % 4999 == 0 || n < 40))
                    for (uint32_t i = 0; i < HU_HLL_M; i++)
                        assert_int_equal(hu_hll_register(&h, i),
                                         reg[i] < HU_HLL_RMAX ? reg[i] : HU_HLL_RMAX);
                checked++;
            }
            uint64_t item = hu_hash_mix((uint64_t)(seed + 1) << 40 | n);
            hu_hll_add(&h, item);
            ref_reg_add(reg, item);
        }
        printf("# hll vs main: %u cardinalities compared, %u with a register >= 31\n",
               checked, clamped);
        assert_true(checked > 4000);
    }
}

/* The clamped estimator is exactly Ertl's for a 30-bit tail (c[31] the
 * censored ">= 31" bucket), and main's whenever no register is >= 31:
 * random register arrays of every shape, compared bit for bit. */
static void estimator_is_ertl_q30(void **state)
{
    (void)state;
    struct ref_rng r = { 31337 };
    for (int t = 0; t < 3000; t++) {
        uint8_t reg[HU_HLL_M];
        unsigned lo = (unsigned)ref_rng_below(&r, 32), span = 1 + (unsigned)ref_rng_below(&r, 8);
        for (uint32_t i = 0; i < HU_HLL_M; i++) {
            unsigned v = lo + (unsigned)ref_rng_below(&r, span);
            reg[i] = (uint8_t)(v < HU_HLL_RMAX ? v : HU_HLL_RMAX);
        }
        struct hu_hll h;
        ref_load_regs(&h, reg);
        double got = hu_hll_count(&h);
        double want = ref_count_q(reg, HU_HLL_RMAX - 1);
        assert_true(got == want || (isinf(got) && isinf(want)));
        unsigned top = 0;
        for (uint32_t i = 0; i < HU_HLL_M; i++)
            top = reg[i] > top ? reg[i] : top;
        if (top < HU_HLL_RMAX)
            assert_true(got == ref_main_count(reg));
    }
}

/* Far beyond any account: the clamped sketch of n items, n up to 2^38,
 * simulated register by register (P(register <= k) = (1 - 2^-k)^(n/m) for
 * k <= 30, else 31), still estimates n without bias: the censored bucket
 * is what keeps it so.  Prints the measured bias for the essay. */
static void clamped_estimates_stay_unbiased(void **state)
{
    (void)state;
    const int lg[] = { 20, 30, 34, 36, 38 };
    const double se = 1.04 / sqrt((double)HU_HLL_M);
    for (int t = 0; t < 5; t++) {
        double n = ldexp(1.0, lg[t]), per = n / HU_HLL_M, sum = 0, sumsq = 0;
        struct ref_rng r = { 555 + (uint64_t)t };
        const int runs = 200;
        for (int run = 0; run < runs; run++) {
            uint8_t reg[HU_HLL_M];
            for (uint32_t i = 0; i < HU_HLL_M; i++) {
                double u = ((double)(ref_rng_next(&r) >> 11) + 0.5) * ldexp(1.0, -53);
                unsigned k = 0;
                while (k < HU_HLL_RMAX - 1 && exp(per * log1p(-ldexp(1.0, -(int)k))) < u)
                    k++;                                 /* smallest k with CDF(k) >= u */
                if (k == HU_HLL_RMAX - 1 && exp(per * log1p(-ldexp(1.0, -(int)k))) < u)
                    k = HU_HLL_RMAX;
                reg[i] = (uint8_t)k;
            }
            struct hu_hll h;
            ref_load_regs(&h, reg);
            double rel = hu_hll_count(&h) / n - 1.0;
            sum += rel;
            sumsq += rel * rel;
        }
        double mean = sum / runs, rmse = sqrt(sumsq / runs);
        printf("# hll clamped at n = 2^%d: mean %.4f rmse %.4f\n", lg[t], mean, rmse);
        assert_true(fabs(mean) < 3 * se / sqrt((double)runs) + 0.01);
        assert_true(rmse < 1.3 * se);
    }
}

/* Hostile version-1 payloads in a valid envelope (random bytes, small
 * values, main's blob with flipped bits): whatever loads is valid, and
 * what this code then writes (version 2) reloads to the same bytes. */
static void version1_hostile_blobs(void **state)
{
    (void)state;
    struct ref_rng r = { 0x7e51 };
    uint8_t model[HU_HLL_SERIALIZED_MAX_V1];
    size_t model_len = unhex(model, v1_dense5000) - 16;
    uint8_t sparse_model[HU_HLL_SERIALIZED_MAX_V1];
    size_t sparse_len = unhex(sparse_model, v1_sparse32) - 16;
    unsigned accepted = 0;
    for (unsigned it = 0; it < 20000; it++) {
        int shape = (int)ref_rng_below(&r, 4);
        uint8_t flags = (uint8_t)ref_rng_below(&r, 3);
        size_t pl = (size_t)ref_rng_below(&r, HU_HLL_M + 2);
        if (ref_rng_below(&r, 2))
            pl = flags == 1 ? HU_HLL_M : 8 * ref_rng_below(&r, HU_HLL_SPARSE_MAX + 2);
        uint8_t *b = malloc(16 + pl + 1);
        for (size_t i = 0; i < pl; i++) {
            if (shape == 0)
                b[16 + i] = (uint8_t)ref_rng_next(&r);
            else if (shape == 1)
                b[16 + i] = (uint8_t)ref_rng_below(&r, 60);
            else if (shape == 2)
                b[16 + i] = i < model_len ? model[16 + i] : 0;
            else
                b[16 + i] = i < sparse_len ? sparse_model[16 + i] : 0xff;
        }
        if (shape >= 2 && pl)
            b[16 + ref_rng_below(&r, pl)] ^= (uint8_t)(1u << ref_rng_below(&r, 8));
        hu__sketch_hdr_put(b, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, flags, (uint32_t)pl);
        struct hu_hll g, g2;
        int rc = hu_hll_deserialize_safe(&g, b, 16 + pl);
        if (rc >= 0) {
            accepted++;
            assert_int_equal(rc, (int)(16 + pl));
            assert_null(hu_hll_validate(&g));
            uint8_t out[HU_HLL_SERIALIZED_MAX], out2[HU_HLL_SERIALIZED_MAX];
            size_t n = hu_hll_serialize(&g, out);
            assert_int_equal(hu_hll_deserialize_safe(&g2, out, n), (int)n);
            assert_memory_equal(&g2, &g, sizeof g);
            assert_int_equal(hu_hll_serialize(&g2, out2), n);
            assert_memory_equal(out, out2, n);
        } else {
            assert_int_equal(rc, HU_ECORRUPT);
            struct hu_hll empty;
            hu_hll_init(&empty);
            assert_memory_equal(&g, &empty, sizeof g);
        }
        free(b);
    }
    printf("# hll v1: %u of 20000 sealed random version-1 blobs accepted\n", accepted);
    assert_true(accepted > 100);
}

/* A stored profile whose HLL main wrote as version 1 loads, and writes
 * back exactly what this code writes for the same profile (the HLL part
 * in version 2). */
static void profile_with_v1_hll_loads(void **state)
{
    (void)state;
    const unsigned ns[] = { 0, 10, 32, 500 };
    for (unsigned t = 0; t < 4; t++) {
        struct hu_profile *p = malloc(sizeof *p), *q = malloc(sizeof *q);
        uint8_t *blob = malloc(HU_PROFILE_SERIALIZED_MAX), *old = malloc(HU_PROFILE_SERIALIZED_MAX);
        uint8_t *again = malloc(HU_PROFILE_SERIALIZED_MAX);
        static uint64_t items[500];
        hu_profile_init(p, 42 + t);
        for (unsigned i = 0; i < ns[t]; i++) {
            items[i] = hu_hash_mix(i * 3 + t);
            hu_hll_add(&p->templates, items[i]);
        }
        size_t len = hu_profile_serialize(p, blob, HU_PROFILE_SERIALIZED_MAX);
        assert_true(len > 0);
        /* find the HLL sub-blob and splice main's version-1 bytes in */
        size_t at = 16;
        while (at + 4 <= len && memcmp(blob + at, "HUhl", 4) != 0)
            at++;
        assert_true(at + 16 <= len);
        size_t sub = 16 + hu__get_u32(blob + at + 8);
        assert_int_equal(blob[at + 4], HU_HLL_VERSION);
        uint8_t v1[HU_HLL_SERIALIZED_MAX_V1];
        size_t v1len = ref_v1_blob(v1, items, ns[t]);
        memcpy(old, blob, at);
        memcpy(old + at, v1, v1len);
        memcpy(old + at + v1len, blob + at + sub, len - at - sub);
        size_t oldlen = len - sub + v1len;
        hu__sketch_hdr_put(old, "HUpf", blob[4], blob[5], blob[6], (uint32_t)(oldlen - 16));
        assert_int_equal(hu_profile_deserialize_safe(q, old, oldlen), (int)oldlen);
        assert_memory_equal(&q->templates, &p->templates, sizeof p->templates);
        assert_int_equal(hu_profile_serialize(q, again, HU_PROFILE_SERIALIZED_MAX), len);
        assert_memory_equal(again, blob, len);
        free(p);
        free(q);
        free(blob);
        free(old);
        free(again);
    }
}

/* Ranks at and beyond the clamp: 30, 31, 32 and the all-zero tail (57)
 * land as 30, 31, 31, 31, in the last register too; estimates stay within
 * 1e-6 of main's; merge of clamped sketches equals sequential adds. */
static void saturation_and_last_register(void **state)
{
    (void)state;
    const unsigned ranks[] = { 1, 29, 30, 31, 32, 40, 56, 57 };
    for (unsigned t = 0; t < 8; t++)
        for (uint32_t idx = 250; idx < HU_HLL_M; idx++) {
            uint64_t x = (uint64_t)idx << REF_Q;
            if (ranks[t] <= REF_Q)
                x |= UINT64_C(1) << (REF_Q - ranks[t]);
            assert_int_equal(ref_rank(x), ranks[t]);
            uint64_t item = ref_unremix(x);
            /* dense */
            struct hu_hll h;
            hu_hll_init(&h);
            uint8_t reg[HU_HLL_M] = { 0 };
            for (uint64_t i = 0; i < 100; i++) {   /* densify with other items */
                hu_hll_add(&h, hu_hash_mix(i + 7));
                ref_reg_add(reg, hu_hash_mix(i + 7));
            }
            assert_false(hu_hll_is_exact(&h));
            hu_hll_add(&h, item);
            ref_reg_add(reg, item);
            unsigned want = ranks[t] < HU_HLL_RMAX ? ranks[t] : HU_HLL_RMAX;
            if (reg[idx] == ranks[t])
                assert_int_equal(hu_hll_register(&h, idx), want);
            for (uint32_t i = 0; i < HU_HLL_M; i++)
                assert_int_equal(hu_hll_register(&h, i),
                                 reg[i] < HU_HLL_RMAX ? reg[i] : HU_HLL_RMAX);
            assert_null(hu_hll_validate(&h));
            assert_true(fabs(hu_hll_count(&h) - ref_main_count(reg)) <=
                        1e-6 * ref_main_count(reg));
            /* sparse: the key decides the same clamped rank */
            struct hu_hll s;
            hu_hll_init(&s);
            hu_hll_add(&s, item);
            assert_int_equal(hu_hll_register(&s, idx), want);
            /* merge(sparse item, dense others) == sequential */
            struct hu_hll a, seq;
            hu_hll_init(&a);
            hu_hll_init(&seq);
            for (uint64_t i = 0; i < 100; i++) {
                hu_hll_add(&a, hu_hash_mix(i + 7));
                hu_hll_add(&seq, hu_hash_mix(i + 7));
            }
            hu_hll_add(&seq, item);
            hu_hll_merge(&a, &s);
            assert_memory_equal(&a, &seq, sizeof a);
            hu_hll_merge(&s, &a);                  /* dense into sparse */
            assert_memory_equal(&s, &seq, sizeof a);
            assert_int_equal(seq.u.reg[HU_HLL_REG_BYTES], 0);
        }
    /* every register saturated: main and this sketch both say infinity */
    uint8_t reg[HU_HLL_M];
    memset(reg, REF_Q + 1, sizeof reg);
    uint8_t buf[HU_HLL_SERIALIZED_MAX_V1];
    memcpy(buf + 16, reg, HU_HLL_M);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 1, HU_HLL_M);
    struct hu_hll g;
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, sizeof buf), (int)sizeof buf);
    assert_true(hu_hll_count(&g) == ref_main_count(reg));
    for (uint32_t i = 0; i < HU_HLL_M; i++)
        assert_int_equal(hu_hll_register(&g, i), HU_HLL_RMAX);
}

/* While sparse, two items whose remixed hashes share their top 40 bits are
 * one key: the second add changes nothing and the count stays; items that
 * differ in bit 39 of the key (the last kept bit) are two. */
static void sparse_key_collisions(void **state)
{
    (void)state;
    struct ref_rng r = { 4242 };
    for (int t = 0; t < 200; t++) {
        uint64_t x = ref_rng_next(&r);
        uint64_t same = x ^ (ref_rng_next(&r) & ((UINT64_C(1) << 24) - 1));
        uint64_t other = x ^ (UINT64_C(1) << 24);
        struct hu_hll h;
        hu_hll_init(&h);
        assert_int_equal(hu_hll_add(&h, ref_unremix(x)), 1);
        assert_int_equal(hu_hll_add(&h, ref_unremix(same)), 0);
        assert_true(hu_hll_count(&h) == 1.0);
        assert_int_equal(hu_hll_add(&h, ref_unremix(other)), 1);
        assert_true(hu_hll_count(&h) == 2.0);
        assert_null(hu_hll_validate(&h));
    }
    /* full sparse: 32 keys in register 255, all at the top of the key range */
    struct hu_hll h;
    hu_hll_init(&h);
    for (uint64_t k = 0; k < HU_HLL_SPARSE_MAX; k++)
        hu_hll_add(&h, ref_unremix(~(k << 24)));
    assert_true(hu_hll_is_exact(&h));
    assert_true(hu_hll_count(&h) == (double)HU_HLL_SPARSE_MAX);
    assert_null(hu_hll_validate(&h));
    assert_int_equal(hu_hll_register(&h, HU_HLL_M - 1), 1);
    uint8_t buf[HU_HLL_SERIALIZED_MAX];
    size_t len = hu_hll_serialize(&h, buf);
    assert_int_equal(len, HU_HLL_SERIALIZED_MAX);
    struct hu_hll g;
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, len), (int)len);
    assert_memory_equal(&g, &h, sizeof h);
    hu_hll_add(&h, ref_unremix(0));                /* the 33rd: register 0 */
    assert_false(hu_hll_is_exact(&h));
    assert_int_equal(hu_hll_register(&h, HU_HLL_M - 1), 1);
    assert_int_equal(hu_hll_register(&h, 0), HU_HLL_RMAX);
    assert_int_equal(h.u.reg[HU_HLL_REG_BYTES], 0);
}

/* Blobs written by main load, and give the sketch this code builds from
 * the same items, byte for byte; they then re-serialize as version 2. */
static void version1_blobs_load(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        unsigned n;
        double main_count;
    } fx[] = {
        { v1_sparse5, 5, 5 },
        { v1_sparse32, 32, 32 },
        { v1_dense100, 100, 105.53422672065976 },
        { v1_dense5000, 5000, 5757.3421913160173 },
    };
    for (unsigned t = 0; t < 4; t++) {
        uint8_t blob[HU_HLL_SERIALIZED_MAX_V1];
        size_t len = unhex(blob, fx[t].hex);
        struct hu_hll g, want;
        assert_int_equal(hu_hll_deserialize_safe(&g, blob, len), (int)len);
        hu_hll_init(&want);
        for (unsigned i = 0; i < fx[t].n; i++)
            hu_hll_add(&want, hu_hash_mix(i + 1));
        assert_memory_equal(&g, &want, sizeof g);
        assert_true(hu_hll_count(&g) == fx[t].main_count);   /* main's own estimate */
        assert_int_equal(test_damage_accepted(blob, len, deser, &g, 1), 0);
        /* the reference writer produces the same bytes as main did */
        uint64_t items[5000];
        for (unsigned i = 0; i < fx[t].n; i++)
            items[i] = hu_hash_mix(i + 1);
        uint8_t ref[HU_HLL_SERIALIZED_MAX_V1];
        assert_int_equal(ref_v1_blob(ref, items, fx[t].n), len);
        assert_memory_equal(ref, blob, len);
    }
    /* many sizes through the reference writer */
    const unsigned ns[] = { 0, 1, 2, 31, 32, 33, 34, 300, 20000 };
    static uint64_t items[20000];
    for (unsigned t = 0; t < 9; t++) {
        struct ref_rng r = { 900 + t };
        for (unsigned i = 0; i < ns[t]; i++)
            items[i] = ref_rng_below(&r, 2 * ns[t] + 1);    /* with repeats */
        uint8_t blob[HU_HLL_SERIALIZED_MAX_V1];
        size_t len = ref_v1_blob(blob, items, ns[t]);
        struct hu_hll g, want;
        assert_int_equal(hu_hll_deserialize_safe(&g, blob, len), (int)len);
        hu_hll_init(&want);
        for (unsigned i = 0; i < ns[t]; i++)
            hu_hll_add(&want, items[i]);
        assert_memory_equal(&g, &want, sizeof g);
        uint8_t out[HU_HLL_SERIALIZED_MAX], out2[HU_HLL_SERIALIZED_MAX];
        size_t n1 = hu_hll_serialize(&g, out);
        assert_int_equal(out[4], HU_HLL_VERSION);
        struct hu_hll g2;
        assert_int_equal(hu_hll_deserialize_safe(&g2, out, n1), (int)n1);
        assert_int_equal(hu_hll_serialize(&g2, out2), n1);
        assert_memory_equal(out, out2, n1);
    }
    /* a v1 sparse blob whose 32 hashes collapse to 3 keys */
    uint8_t blob[16 + 8 * HU_HLL_SPARSE_MAX];
    for (unsigned i = 0; i < HU_HLL_SPARSE_MAX; i++)
        hu__put_u64(blob + 16 + 8 * i, (UINT64_C(0xabcdef) + i / 11) << 24 | (i % 11) * 7);
    hu__sketch_hdr_put(blob, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 0, 8 * HU_HLL_SPARSE_MAX);
    struct hu_hll g;
    assert_int_equal(hu_hll_deserialize_safe(&g, blob, sizeof blob), (int)sizeof blob);
    assert_true(hu_hll_count(&g) == 3.0);
    assert_null(hu_hll_validate(&g));
}

static void sparse_is_exact(void **state)
{
    (void)state;
    struct hu_hll h;
    hu_hll_init(&h);
    assert_true(hu_hll_count(&h) == 0.0);
    struct ref_rng r = { 1 };
    uint64_t items[HU_HLL_SPARSE_MAX];
    for (unsigned i = 0; i < HU_HLL_SPARSE_MAX; i++)
        items[i] = ref_rng_next(&r);
    for (unsigned rep = 0; rep < 3; rep++)
        for (unsigned i = 0; i < HU_HLL_SPARSE_MAX; i++) {
            hu_hll_add(&h, items[i]);
            if (rep == 0)
                assert_true(hu_hll_count(&h) == (double)(i + 1));
        }
    assert_true(hu_hll_is_exact(&h));
    assert_true(hu_hll_count(&h) == (double)HU_HLL_SPARSE_MAX);
    assert_null(hu_hll_validate(&h));
    /* the 33rd distinct item converts to registers */
    assert_int_equal(hu_hll_add(&h, ref_rng_next(&r)), 1);
    assert_false(hu_hll_is_exact(&h));
    assert_null(hu_hll_validate(&h));
    double c = hu_hll_count(&h);
    assert_true(c > 33 * 0.8 && c < 33 * 1.2);
}

/* Relative error over many seeds stays within the stated 1.04/sqrt(m). */
static void error_within_stated_bound(void **state)
{
    (void)state;
    const double se = 1.04 / sqrt((double)HU_HLL_M);
    const unsigned sizes[] = { 100, 1000, 10000, 100000 };
    const unsigned seeds[] = { 200, 200, 100, 30 };
    for (unsigned s = 0; s < 4; s++) {
        double sum = 0, sumsq = 0;
        unsigned beyond = 0;
        for (unsigned seed = 0; seed < seeds[s]; seed++) {
            struct ref_rng r = { 1000 + seed * 7919 + s };
            struct hu_hll h;
            hu_hll_init(&h);
            struct ref_set ex;
            ref_set_init(&ex);
            /* duplicates too: 1.5 n adds drawn from a pool of n distinct */
            uint64_t base = ref_rng_next(&r);
            for (unsigned i = 0; i < sizes[s] * 3 / 2; i++) {
                uint64_t item = hu_hash_mix(base + ref_rng_below(&r, sizes[s]));
                hu_hll_add(&h, item);
                ref_set_add(&ex, item);
            }
            double truth = (double)ex.n;
            double rel = (hu_hll_count(&h) - truth) / truth;
            sum += rel;
            sumsq += rel * rel;
            if (fabs(rel) > 3 * se)
                beyond++;
            ref_set_fini(&ex);
        }
        double mean = sum / seeds[s], rmse = sqrt(sumsq / seeds[s]);
        printf("# hll n~%u: mean %.4f rmse %.4f (se %.4f) beyond-3se %u/%u\n", sizes[s], mean,
               rmse, se, beyond, seeds[s]);
        assert_true(fabs(mean) < 3 * se / sqrt((double)seeds[s]) + 0.005);  /* bias */
        assert_true(rmse < 1.15 * se);
        assert_true(beyond <= seeds[s] / 50 + 1);
    }
}

static void fill(struct hu_hll *h, struct ref_rng *r, unsigned n, unsigned pool)
{
    for (unsigned i = 0; i < n; i++)
        hu_hll_add(h, hu_hash_mix(ref_rng_below(r, pool)));
}

/* merge(A, B) is bit-identical to adding A's then B's items. */
static void merge_equals_sequential(void **state)
{
    (void)state;
    const unsigned na[] = { 0, 5, 20, 30, 100, 5000 };
    for (unsigned x = 0; x < 6; x++)
        for (unsigned y = 0; y < 6; y++) {
            struct hu_hll a, b, seq;
            hu_hll_init(&a);
            hu_hll_init(&b);
            hu_hll_init(&seq);
            struct ref_rng r1 = { 11 + x }, r2 = { 97 + y };
            fill(&a, &r1, na[x], 4 * na[x] + 1);
            fill(&b, &r2, na[y], 4 * na[y] + 1);
            struct ref_rng s1 = { 11 + x }, s2 = { 97 + y };
            fill(&seq, &s1, na[x], 4 * na[x] + 1);
            fill(&seq, &s2, na[y], 4 * na[y] + 1);
            hu_hll_merge(&a, &b);
            assert_memory_equal(&a, &seq, sizeof a);
            assert_null(hu_hll_validate(&a));
        }
}

static int deser(void *obj, const void *buf, size_t len)
{
    return hu_hll_deserialize_safe(obj, buf, len);
}

static void serialization_roundtrip_and_damage(void **state)
{
    (void)state;
    const unsigned ns[] = { 0, 1, 7, 32, 33, 3000 };
    for (unsigned t = 0; t < 6; t++) {
        struct hu_hll h, g;
        hu_hll_init(&h);
        struct ref_rng r = { 5 + t };
        fill(&h, &r, ns[t], 1u << 30);
        uint8_t buf[HU_HLL_SERIALIZED_MAX + 8];
        size_t len = hu_hll_serialize(&h, buf);
        assert_int_equal(len, hu_hll_serialized_size(&h));
        assert_true(len <= HU_HLL_SERIALIZED_MAX);
        assert_int_equal(hu_hll_deserialize_safe(&g, buf, len), (int)len);
        assert_memory_equal(&g, &h, sizeof h);
        /* trailing bytes are not consumed */
        assert_int_equal(hu_hll_deserialize_safe(&g, buf, len + 8), (int)len);
        assert_int_equal(test_damage_accepted(buf, len, deser, &g, 1), 0);
    }
    assert_int_equal(hu_hll_deserialize_safe(NULL, "x", 1), HU_EINVAL);
}

/* Payloads that pass the checksum but break an invariant are rejected by
 * validate: the checksum is not the only line of defence.  The first block
 * speaks version 1 (main's former format, still loaded), the second the
 * version 2 this code writes. */
static void structural_corruption_rejected(void **state)
{
    (void)state;
    struct hu_hll g;
    uint8_t buf[HU_HLL_SERIALIZED_MAX_V1];
    /* v1: dense register above 64-p+1 */
    memset(buf + 16, 3, HU_HLL_M);
    buf[16 + 9] = 64 - HU_HLL_P + 2;
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 1, HU_HLL_M);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, sizeof buf), HU_ECORRUPT);
    buf[16 + 9] = 64 - HU_HLL_P + 1;
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 1, HU_HLL_M);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, sizeof buf), (int)sizeof buf);
    assert_int_equal(hu_hll_register(&g, 9), HU_HLL_RMAX);   /* 57 clamped to 31 */
    assert_int_equal(hu_hll_register(&g, 8), 3);
    /* v1: sparse hashes out of order or duplicated */
    hu__put_u64(buf + 16, 10);
    hu__put_u64(buf + 24, 10);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_ECORRUPT);
    hu__put_u64(buf + 16, 11);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_ECORRUPT);   /* 11 > 10 */
    /* v1: two hashes with different top 40 bits stay two keys */
    hu__put_u64(buf + 16, UINT64_C(10) << 24);
    hu__put_u64(buf + 24, UINT64_C(11) << 24);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), 32);
    assert_true(hu_hll_count(&g) == 2.0);
    /* v1: 10 and 11 share their top 40 bits (all zero): one key, count 1
     * (the documented map-down; main counted 2) */
    hu__put_u64(buf + 16, 10);
    hu__put_u64(buf + 24, 11);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), 32);
    assert_true(hu_hll_count(&g) == 1.0);
    assert_null(hu_hll_validate(&g));
    /* unknown mode flag, odd sparse length, other version, other precision */
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 2, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_ECORRUPT);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 0, 12);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 28), HU_ECORRUPT);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION + 1, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_EVERSION);
    hu__sketch_hdr_put(buf, "HUhl", 0, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_EVERSION);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P + 1, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_ECORRUPT);
    hu__sketch_hdr_put(buf, "HUmh", HU_HLL_VERSION_V1, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_ECORRUPT);
    /* v1 dense with a version-2 length, v1 sparse of 33 hashes */
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION_V1, HU_HLL_P, 1, HU_HLL_REG_BYTES);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, sizeof buf), HU_ECORRUPT);

    /* v2: 40-bit keys out of order, duplicated, then in order */
    memset(buf, 0, sizeof buf);
    buf[16] = 10;
    buf[21] = 10;
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 0, 10);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 26), HU_ECORRUPT);
    buf[16 + 4] = 1;                        /* key 0 = 2^32 + 10 > key 1 = 10 */
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 0, 10);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 26), HU_ECORRUPT);
    buf[21 + 4] = 2;                        /* key 1 = 2^33 + 10 */
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 0, 10);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 26), 26);
    assert_true(hu_hll_count(&g) == 2.0);
    /* v2: a length that is not whole keys, 33 keys, a dense length != 160,
     * a v1-sized dense payload, an unknown mode */
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 0, 8);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 24), HU_ECORRUPT);
    for (unsigned i = 0; i < 33; i++) {
        memset(buf + 16 + 5 * i, 0, 5);
        buf[16 + 5 * i + 4] = (uint8_t)i;   /* ascending */
    }
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 0, 165);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 16 + 165), HU_ECORRUPT);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 0, 160);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 16 + 160), 176);
    assert_true(hu_hll_count(&g) == 32.0);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 1, 155);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 16 + 155), HU_ECORRUPT);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 1, HU_HLL_M);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, sizeof buf), HU_ECORRUPT);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 2, 160);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 16 + 160), HU_ECORRUPT);
    /* v2 dense: every 160-byte payload is legal (all-ones = all 31) */
    memset(buf + 16, 0xff, HU_HLL_REG_BYTES);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 1, HU_HLL_REG_BYTES);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 16 + HU_HLL_REG_BYTES), 176);
    for (uint32_t i = 0; i < HU_HLL_M; i++)
        assert_int_equal(hu_hll_register(&g, i), HU_HLL_RMAX);
    assert_int_equal(g.u.reg[HU_HLL_REG_BYTES], 0);

    /* validate on in-memory structs */
    struct hu_hll h;
    hu_hll_init(&h);
    h.n_sparse = HU_HLL_SPARSE_MAX + 1;
    assert_non_null(hu_hll_validate(&h));
    hu_hll_init(&h);
    h.dense = 2;
    assert_non_null(hu_hll_validate(&h));
    hu_hll_init(&h);
    h.u.sparse[3 * HU_HLL_SPARSE_BYTES] = 1;    /* a byte of key 3 with n = 0 */
    assert_non_null(hu_hll_validate(&h));
    hu_hll_init(&h);
    h.pad_[2] = 1;
    assert_non_null(hu_hll_validate(&h));
    hu_hll_init(&h);
    h.dense = 1;
    assert_null(hu_hll_validate(&h));
    h.u.reg[HU_HLL_REG_BYTES] = 1;              /* the spare byte */
    assert_non_null(hu_hll_validate(&h));
    h.u.reg[HU_HLL_REG_BYTES] = 0;
    h.n_sparse = 1;
    assert_non_null(hu_hll_validate(&h));
}

/* Property: count is monotone under adds and merge is commutative. */
static void properties(void **state)
{
    (void)state;
    for (unsigned seed = 0; seed < 20; seed++) {
        struct ref_rng r = { 300 + seed };
        struct hu_hll a, b, ab, ba;
        hu_hll_init(&a);
        hu_hll_init(&b);
        unsigned n = (unsigned)ref_rng_below(&r, 2000);
        double prev = 0;
        for (unsigned i = 0; i < n; i++) {
            hu_hll_add(&a, ref_rng_next(&r));
            double c = hu_hll_count(&a);
            assert_true(c >= prev - 1e-9 || !hu_hll_is_exact(&a));
            prev = c;
        }
        fill(&b, &r, (unsigned)ref_rng_below(&r, 100), 1u << 20);
        ab = a;
        hu_hll_merge(&ab, &b);
        ba = b;
        hu_hll_merge(&ba, &a);
        assert_memory_equal(&ab, &ba, sizeof ab);
        struct hu_hll aa = a;
        hu_hll_merge(&aa, &a);            /* idempotent */
        assert_memory_equal(&aa, &a, sizeof a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sparse_is_exact),
        cmocka_unit_test(error_within_stated_bound),
        cmocka_unit_test(merge_equals_sequential),
        cmocka_unit_test(serialization_roundtrip_and_damage),
        cmocka_unit_test(structural_corruption_rejected),
        cmocka_unit_test(properties),
        cmocka_unit_test(unremix_inverts_remix),
        cmocka_unit_test(estimates_equal_main),
        cmocka_unit_test(estimator_is_ertl_q30),
        cmocka_unit_test(clamped_estimates_stay_unbiased),
        cmocka_unit_test(saturation_and_last_register),
        cmocka_unit_test(sparse_key_collisions),
        cmocka_unit_test(version1_blobs_load),
        cmocka_unit_test(version1_hostile_blobs),
        cmocka_unit_test(profile_with_v1_hll_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
