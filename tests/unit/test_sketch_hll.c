/* test_sketch_hll.c -- HyperLogLog against an exact distinct count. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "sketch/hll.h"
#include "sketch/sketch_io.h"
#include "core/hash.h"
#include "tests/reference/rng.h"
#include "tests/reference/exact_set.h"
#include "test_sketch_util.h"

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
 * validate: the checksum is not the only line of defence. */
static void structural_corruption_rejected(void **state)
{
    (void)state;
    struct hu_hll g;
    uint8_t buf[HU_HLL_SERIALIZED_MAX];
    /* dense register above 64-p+1 */
    memset(buf + 16, 3, HU_HLL_M);
    buf[16 + 9] = 64 - HU_HLL_P + 2;
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 1, HU_HLL_M);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, sizeof buf), HU_ECORRUPT);
    buf[16 + 9] = 64 - HU_HLL_P + 1;
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 1, HU_HLL_M);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, sizeof buf), (int)sizeof buf);
    /* sparse hashes out of order or duplicated */
    hu__put_u64(buf + 16, 10);
    hu__put_u64(buf + 24, 10);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_ECORRUPT);
    hu__put_u64(buf + 24, 11);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), 32);
    assert_true(hu_hll_count(&g) == 2.0);
    /* unknown mode flag, odd sparse length, other version, other precision */
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 2, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_ECORRUPT);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P, 0, 12);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 28), HU_ECORRUPT);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION + 1, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_EVERSION);
    hu__sketch_hdr_put(buf, "HUhl", HU_HLL_VERSION, HU_HLL_P + 1, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_ECORRUPT);
    hu__sketch_hdr_put(buf, "HUmh", HU_HLL_VERSION, HU_HLL_P, 0, 16);
    assert_int_equal(hu_hll_deserialize_safe(&g, buf, 32), HU_ECORRUPT);
    /* validate on in-memory structs */
    struct hu_hll h;
    hu_hll_init(&h);
    h.n_sparse = HU_HLL_SPARSE_MAX + 1;
    assert_non_null(hu_hll_validate(&h));
    hu_hll_init(&h);
    h.dense = 2;
    assert_non_null(hu_hll_validate(&h));
    hu_hll_init(&h);
    h.u.sparse[3] = 1;
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
