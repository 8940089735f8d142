/* test_sketch_ss.c -- space-saving against exact per-key counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "sketch/spacesaving.h"
#include "sketch/sketch_io.h"
#include "core/hash.h"
#include "tests/reference/rng.h"
#include "tests/reference/exact_topk.h"
#include "test_sketch_util.h"

/* Skewed keys: a few heavy ones, a long tail. */
static uint64_t skewed_key(struct ref_rng *r, unsigned universe)
{
    double u = ref_rng_unit(r);
    return hu_hash_mix((uint64_t)(u * u * u * u * universe));
}

/* Check every stated guarantee; heavy_div is k for sequential summaries,
 * k/2 after merges (threshold N/k weakens to 2N/k). */
static void check_guarantees(const struct hu_ss *ss, const struct ref_set *ex, uint64_t n,
                             unsigned heavy_div)
{
    assert_null(hu_ss_validate(ss));
    assert_int_equal(ss->total, n);
    uint32_t minc = hu_ss_min_count(ss);
    for (uint32_t i = 0; i < ss->n; i++) {
        uint64_t truth = ref_set_count_of(ex, ss->e[i].key);
        assert_true(ss->e[i].count - ss->e[i].err <= truth);
        assert_true(truth <= ss->e[i].count);
    }
    for (size_t i = 0; i < ex->cap; i++) {
        if (!ex->cnt[i])
            continue;
        if (!hu_ss_get(ss, ex->key[i], NULL, NULL)) {
            assert_true(ex->cnt[i] <= minc);
            assert_false(ex->cnt[i] * heavy_div > n);
        }
    }
}

static void sequential_guarantees(void **state)
{
    (void)state;
    for (unsigned seed = 0; seed < 100; seed++) {
        struct ref_rng r = { 500 + seed };
        struct hu_ss ss;
        hu_ss_init(&ss);
        struct ref_set ex;
        ref_set_init(&ex);
        unsigned len = 1 + (unsigned)ref_rng_below(&r, 3000);
        unsigned universe = 1 + (unsigned)ref_rng_below(&r, 400);
        uint64_t n = 0;
        for (unsigned i = 0; i < len; i++) {
            uint64_t k = skewed_key(&r, universe);
            uint32_t w = 1 + (uint32_t)ref_rng_below(&r, seed % 3 == 0 ? 5 : 1);
            hu_ss_update(&ss, k, w);
            ref_set_add_n(&ex, k, w);
            n += w;
        }
        check_guarantees(&ss, &ex, n, HU_SS_K);
        if (ss.n == HU_SS_K)
            assert_true((uint64_t)hu_ss_min_count(&ss) * HU_SS_K <= n);
        /* the exact top-1 is reported first when it is clearly ahead */
        struct hu_ss_entry top[HU_SS_K];
        size_t nt = hu_ss_top(&ss, top, HU_SS_K);
        assert_int_equal(nt, ss.n);
        for (size_t i = 1; i < nt; i++)
            assert_true(top[i - 1].count >= top[i].count);
        uint64_t first = ref_topk_kth(&ex, 1), second = ref_topk_kth(&ex, 2);
        if (first > second + hu_ss_min_count(&ss))
            assert_int_equal(ref_set_count_of(&ex, top[0].key), first);
        ref_set_fini(&ex);
    }
}

static void merge_tree_guarantees(void **state)
{
    (void)state;
    for (unsigned seed = 0; seed < 60; seed++) {
        struct ref_rng r = { 9000 + seed };
        enum { PARTS = 6 };
        struct hu_ss part[PARTS];
        for (unsigned p = 0; p < PARTS; p++)
            hu_ss_init(&part[p]);
        struct ref_set ex;
        ref_set_init(&ex);
        unsigned universe = 2 + (unsigned)ref_rng_below(&r, 300);
        uint64_t n = 0;
        for (unsigned i = 0; i < 4000; i++) {
            /* parts see different skews so their heavy keys differ */
            unsigned p = (unsigned)ref_rng_below(&r, PARTS);
            uint64_t k = skewed_key(&r, universe) + (ref_rng_below(&r, 3) == 0 ? p : 0);
            hu_ss_update(&part[p], k, 1);
            ref_set_add(&ex, k);
            n++;
        }
        /* merge in a seed-dependent tree: ((0+1)+(2+3))+(4+5) or a chain */
        if (seed % 2) {
            hu_ss_merge(&part[0], &part[1]);
            hu_ss_merge(&part[2], &part[3]);
            hu_ss_merge(&part[4], &part[5]);
            hu_ss_merge(&part[0], &part[2]);
            hu_ss_merge(&part[0], &part[4]);
        } else {
            for (unsigned p = PARTS - 1; p > 0; p--)
                hu_ss_merge(&part[p - 1], &part[p]);
        }
        check_guarantees(&part[0], &ex, n, HU_SS_K / 2);
        ref_set_fini(&ex);
    }
}

static void small_streams_exact(void **state)
{
    (void)state;
    struct hu_ss a, b;
    hu_ss_init(&a);
    hu_ss_init(&b);
    assert_int_equal(hu_ss_min_count(&a), 0);
    for (uint64_t i = 0; i < HU_SS_K; i++)
        for (uint64_t j = 0; j <= i; j++)
            hu_ss_update(&a, i + 100, 1);
    hu_ss_update(&a, 5, 0);                /* weight 0 is ignored */
    assert_int_equal(a.n, HU_SS_K);
    uint32_t c, e;
    for (uint64_t i = 0; i < HU_SS_K; i++) {
        assert_true(hu_ss_get(&a, i + 100, &c, &e));
        assert_int_equal(c, i + 1);
        assert_int_equal(e, 0);
    }
    /* a new key takes the smallest counter (key 100, count 1) */
    assert_int_equal(hu_ss_update(&a, 7, 1), 0);
    assert_false(hu_ss_get(&a, 100, NULL, NULL));
    assert_true(hu_ss_get(&a, 7, &c, &e));
    assert_int_equal(c, 2);
    assert_int_equal(e, 1);
    /* merging with an empty summary changes only the order */
    struct hu_ss m = a;
    hu_ss_merge(&m, &b);
    assert_int_equal(m.total, a.total);
    for (uint32_t i = 0; i < a.n; i++) {
        assert_true(hu_ss_get(&m, a.e[i].key, &c, &e));
        assert_int_equal(c, a.e[i].count);
        assert_int_equal(e, a.e[i].err);
    }
    /* saturation */
    hu_ss_init(&b);
    hu_ss_update(&b, 1, UINT32_MAX);
    hu_ss_update(&b, 1, 5);
    assert_true(hu_ss_get(&b, 1, &c, NULL));
    assert_int_equal(c, UINT32_MAX);
}

static int deser(void *obj, const void *buf, size_t len)
{
    return hu_ss_deserialize_safe(obj, buf, len);
}

static void serialization(void **state)
{
    (void)state;
    struct hu_ss a, g;
    hu_ss_init(&a);
    uint8_t buf[HU_SS_SERIALIZED_MAX];
    for (unsigned step = 0; step < 3; step++) {
        size_t len = hu_ss_serialize(&a, buf);
        assert_int_equal(len, hu_ss_serialized_size(&a));
        assert_int_equal(hu_ss_deserialize_safe(&g, buf, len), (int)len);
        assert_memory_equal(&a, &g, sizeof a);
        assert_int_equal(test_damage_accepted(buf, len, deser, &g, 1), 0);
        struct ref_rng r = { step };
        for (unsigned i = 0; i < 30 * step + 3; i++)
            hu_ss_update(&a, skewed_key(&r, 50), 1);
    }
    /* duplicate keys / err > count / count > total with a valid checksum */
    uint8_t *p = buf + 16;
    hu__put_u64(p, 10);
    hu__put_u32(p + 8, 2);
    hu__put_u64(p + 12, 1); hu__put_u32(p + 20, 3); hu__put_u32(p + 24, 0);
    hu__put_u64(p + 28, 1); hu__put_u32(p + 36, 3); hu__put_u32(p + 40, 0);
    hu__sketch_hdr_put(buf, "HUss", HU_SS_VERSION, HU_SS_K, 0, 44);
    assert_int_equal(hu_ss_deserialize_safe(&g, buf, 60), HU_ECORRUPT);
    hu__put_u64(p + 28, 2);
    hu__sketch_hdr_put(buf, "HUss", HU_SS_VERSION, HU_SS_K, 0, 44);
    assert_int_equal(hu_ss_deserialize_safe(&g, buf, 60), 60);
    hu__put_u32(p + 40, 4);
    hu__sketch_hdr_put(buf, "HUss", HU_SS_VERSION, HU_SS_K, 0, 44);
    assert_int_equal(hu_ss_deserialize_safe(&g, buf, 60), HU_ECORRUPT);
    hu__put_u32(p + 40, 0);
    hu__put_u32(p + 36, 11);
    hu__sketch_hdr_put(buf, "HUss", HU_SS_VERSION, HU_SS_K, 0, 44);
    assert_int_equal(hu_ss_deserialize_safe(&g, buf, 60), HU_ECORRUPT);
    hu__put_u32(p + 8, 3);                 /* n disagrees with the length */
    hu__sketch_hdr_put(buf, "HUss", HU_SS_VERSION, HU_SS_K, 0, 44);
    assert_int_equal(hu_ss_deserialize_safe(&g, buf, 60), HU_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sequential_guarantees),
        cmocka_unit_test(merge_tree_guarantees),
        cmocka_unit_test(small_streams_exact),
        cmocka_unit_test(serialization),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
