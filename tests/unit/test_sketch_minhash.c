/* test_sketch_minhash.c -- MinHash and LSH banding against exact Jaccard. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "sketch/minhash.h"
#include "sketch/sketch_io.h"
#include "core/hash.h"
#include "tests/reference/rng.h"
#include "tests/reference/exact_set.h"
#include "test_sketch_util.h"

/* Two sets with a planted overlap: shared items plus items of each side. */
static void make_pair(struct ref_rng *r, unsigned shared, unsigned only_a, unsigned only_b,
                      struct hu_minhash *a, struct hu_minhash *b, struct ref_set *ea,
                      struct ref_set *eb)
{
    for (unsigned i = 0; i < shared + only_a + only_b; i++) {
        uint64_t x = ref_rng_next(r);
        if (i < shared + only_a) {
            hu_minhash_update(a, x);
            ref_set_add(ea, x);
        }
        if (i < shared || i >= shared + only_a) {
            hu_minhash_update(b, x);
            ref_set_add(eb, x);
        }
    }
}

static void jaccard_within_stated_bound(void **state)
{
    (void)state;
    struct ref_rng r = { 42 };
    const unsigned pairs = 300;
    unsigned beyond = 0;
    double sum_err = 0, sum_sq = 0;
    for (unsigned t = 0; t < pairs; t++) {
        struct hu_minhash a, b;
        hu_minhash_init(&a);
        hu_minhash_init(&b);
        struct ref_set ea, eb;
        ref_set_init(&ea);
        ref_set_init(&eb);
        unsigned shared = (unsigned)ref_rng_below(&r, 200);
        unsigned oa = (unsigned)ref_rng_below(&r, 200), ob = (unsigned)ref_rng_below(&r, 200);
        if (shared + oa == 0) oa = 1;
        if (shared + ob == 0) ob = 1;
        make_pair(&r, shared, oa, ob, &a, &b, &ea, &eb);
        double j = ref_set_jaccard(&ea, &eb);
        double est = hu_minhash_jaccard(&a, &b);
        double bound = 3 * sqrt(j * (1 - j) / HU_MINHASH_K) + 1.0 / HU_MINHASH_K;
        if (fabs(est - j) > bound)
            beyond++;
        sum_err += est - j;
        sum_sq += (est - j) * (est - j);
        ref_set_fini(&ea);
        ref_set_fini(&eb);
    }
    printf("# minhash: %u pairs, bias %.4f rmse %.4f, beyond 3se+1/k: %u\n", pairs,
           sum_err / pairs, sqrt(sum_sq / pairs), beyond);
    assert_true(beyond <= pairs / 100 + 1);
    assert_true(fabs(sum_err / pairs) < 0.01);
}

static void exact_cases(void **state)
{
    (void)state;
    struct hu_minhash a, b, e;
    hu_minhash_init(&a);
    hu_minhash_init(&b);
    hu_minhash_init(&e);
    assert_true(hu_minhash_is_empty(&a));
    assert_true(hu_minhash_jaccard(&a, &b) == 0.0);
    for (uint64_t i = 0; i < 50; i++) {
        hu_minhash_update(&a, hu_hash_mix(i));
        hu_minhash_update(&b, hu_hash_mix(49 - i));   /* same set, other order */
    }
    assert_false(hu_minhash_is_empty(&a));
    assert_true(hu_minhash_jaccard(&a, &b) == 1.0);
    assert_true(hu_minhash_jaccard(&a, &e) == 0.0);
    assert_int_equal(hu_minhash_update(&a, hu_hash_mix(7)), 0);   /* idempotent */
    assert_null(hu_minhash_validate(&a));
    /* disjoint sets: almost no equal slots */
    struct hu_minhash c;
    hu_minhash_init(&c);
    for (uint64_t i = 1000; i < 1050; i++)
        hu_minhash_update(&c, hu_hash_mix(i));
    assert_true(hu_minhash_jaccard(&a, &c) <= 2.0 / HU_MINHASH_K);
}

static void merge_equals_sequential(void **state)
{
    (void)state;
    struct ref_rng r = { 9 };
    for (unsigned t = 0; t < 50; t++) {
        struct hu_minhash a, b, seq;
        hu_minhash_init(&a);
        hu_minhash_init(&b);
        hu_minhash_init(&seq);
        unsigned na = (unsigned)ref_rng_below(&r, 30), nb = (unsigned)ref_rng_below(&r, 30);
        for (unsigned i = 0; i < na + nb; i++) {
            uint64_t x = ref_rng_below(&r, 40);
            hu_minhash_update(i < na ? &a : &b, x);
            hu_minhash_update(&seq, x);
        }
        hu_minhash_merge(&a, &b);
        assert_memory_equal(&a, &seq, sizeof a);
    }
}

static void bands(void **state)
{
    (void)state;
    struct hu_minhash a, b;
    hu_minhash_init(&a);
    hu_minhash_init(&b);
    for (uint64_t i = 0; i < 20; i++) {
        hu_minhash_update(&a, i);
        hu_minhash_update(&b, i);
    }
    uint64_t ka[16], kb[16];
    assert_int_equal(hu_minhash_bands(&a, 16, 4, ka), HU_OK);
    assert_int_equal(hu_minhash_bands(&b, 16, 4, kb), HU_OK);
    assert_memory_equal(ka, kb, sizeof ka);
    for (unsigned i = 1; i < 16; i++)
        assert_true(ka[i] != ka[0]);           /* band index is in the key */
    assert_int_equal(hu_minhash_bands(&a, 17, 4, ka), HU_EINVAL);
    assert_int_equal(hu_minhash_bands(&a, 1, 0, ka), HU_EINVAL);
    /* a band key equals iff its rows are equal */
    b.v[5] ^= 1;
    assert_int_equal(hu_minhash_bands(&b, 16, 4, kb), HU_OK);
    assert_true(ka[1] != kb[1]);
    for (unsigned i = 0; i < 16; i++)
        if (i != 1)
            assert_true(ka[i] == kb[i]);
    /* collision rate follows 1-(1-J^r)^b: measured over random pairs */
    struct ref_rng r = { 77 };
    unsigned hits = 0, trials = 400;
    double expect = 0;
    for (unsigned t = 0; t < trials; t++) {
        struct hu_minhash x, y;
        hu_minhash_init(&x);
        hu_minhash_init(&y);
        struct ref_set ex, ey;
        ref_set_init(&ex);
        ref_set_init(&ey);
        make_pair(&r, 60, 40, 40, &x, &y, &ex, &ey);   /* J = 60/140 */
        double j = ref_set_jaccard(&ex, &ey);
        expect += hu_minhash_lsh_prob(j, 8, 4);
        uint64_t kx[8], ky[8];
        assert_int_equal(hu_minhash_bands(&x, 8, 4, kx), HU_OK);
        assert_int_equal(hu_minhash_bands(&y, 8, 4, ky), HU_OK);
        int hit = 0;
        for (unsigned i = 0; i < 8; i++)
            hit |= kx[i] == ky[i];
        hits += (unsigned)hit;
        ref_set_fini(&ex);
        ref_set_fini(&ey);
    }
    double p = expect / trials, obs = (double)hits / trials;
    printf("# lsh 8x4 at J=0.43: expected %.3f observed %.3f\n", p, obs);
    assert_true(fabs(obs - p) < 4 * sqrt(p * (1 - p) / trials) + 0.02);
}

static int deser(void *obj, const void *buf, size_t len)
{
    return hu_minhash_deserialize_safe(obj, buf, len);
}

static void serialization(void **state)
{
    (void)state;
    struct hu_minhash a, g;
    hu_minhash_init(&a);
    uint8_t buf[HU_MINHASH_SERIALIZED_MAX];
    assert_int_equal(hu_minhash_serialize(&a, buf), 16);
    assert_int_equal(hu_minhash_serialized_size(&a), 16);
    assert_int_equal(hu_minhash_deserialize_safe(&g, buf, sizeof buf), 16);
    assert_true(hu_minhash_is_empty(&g));
    assert_int_equal(test_damage_accepted(buf, 16, deser, &g, 1), 0);
    for (uint64_t i = 0; i < 10; i++)
        hu_minhash_update(&a, i);
    assert_int_equal(hu_minhash_serialize(&a, buf), HU_MINHASH_SERIALIZED_MAX);
    assert_int_equal(hu_minhash_deserialize_safe(&g, buf, sizeof buf), (int)sizeof buf);
    assert_memory_equal(&a, &g, sizeof a);
    assert_int_equal(test_damage_accepted(buf, sizeof buf, deser, &g, 1), 0);
    /* partly empty signature with a valid checksum */
    hu__put_u32(buf + 16 + 8, HU_MINHASH_EMPTY);
    hu__sketch_hdr_put(buf, "HUmh", HU_MINHASH_VERSION, HU_MINHASH_K, 0, 4 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, buf, sizeof buf), HU_ECORRUPT);
    assert_true(hu_minhash_is_empty(&g));
    hu__sketch_hdr_put(buf, "HUmh", HU_MINHASH_VERSION, HU_MINHASH_K, 1, 4 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, buf, sizeof buf), HU_ECORRUPT);
    /* all-empty values in the long form: not canonical, rejected */
    memset(buf + 16, 0xff, 4 * HU_MINHASH_K);
    hu__sketch_hdr_put(buf, "HUmh", HU_MINHASH_VERSION, HU_MINHASH_K, 0, 4 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, buf, sizeof buf), HU_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jaccard_within_stated_bound),
        cmocka_unit_test(exact_cases),
        cmocka_unit_test(merge_equals_sequential),
        cmocka_unit_test(bands),
        cmocka_unit_test(serialization),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
