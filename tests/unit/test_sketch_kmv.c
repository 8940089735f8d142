/* test_sketch_kmv.c -- bounded sets against an exact hash set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "sketch/kmv.h"
#include "sketch/sketch_io.h"
#include "core/hash.h"
#include "tests/reference/rng.h"
#include "tests/reference/exact_set.h"
#include "test_sketch_util.h"

static void exact_while_small(void **state)
{
    (void)state;
    struct hu_kmv a, b;
    hu_kmv_init(&a);
    hu_kmv_init(&b);
    assert_true(hu_kmv_count(&a) == 0.0);
    assert_true(hu_kmv_jaccard(&a, &b) == 0.0);
    for (uint64_t i = 0; i < HU_KMV_K; i++) {
        assert_int_equal(hu_kmv_add(&a, i * 3), 1);
        assert_int_equal(hu_kmv_add(&a, i * 3), 0);
        if (i < 4)
            hu_kmv_add(&b, i * 3);
    }
    hu_kmv_add(&b, 1);
    assert_true(hu_kmv_is_exact(&a));
    assert_true(hu_kmv_count(&a) == HU_KMV_K);
    assert_int_equal(hu_kmv_contains(&a, 6), HU_KMV_YES);
    assert_int_equal(hu_kmv_contains(&a, 7), HU_KMV_NO);
    /* |A n B| = 4, |A u B| = 9 */
    assert_true(fabs(hu_kmv_jaccard(&a, &b) - 4.0 / 9.0) < 1e-12);
    assert_null(hu_kmv_validate(&a));
    hu_kmv_add(&a, 1000);
    assert_false(hu_kmv_is_exact(&a));
    assert_int_equal(a.n, HU_KMV_K);
    assert_null(hu_kmv_validate(&a));
}

/* Membership answers are never wrong, only sometimes unknown. */
static void membership_sound(void **state)
{
    (void)state;
    for (unsigned seed = 0; seed < 50; seed++) {
        struct ref_rng r = { 70 + seed };
        struct hu_kmv s;
        hu_kmv_init(&s);
        struct ref_set ex;
        ref_set_init(&ex);
        unsigned n = (unsigned)ref_rng_below(&r, 200);
        for (unsigned i = 0; i < n; i++) {
            uint64_t x = ref_rng_below(&r, 300);
            hu_kmv_add(&s, x);
            ref_set_add(&ex, x);
        }
        unsigned unknown = 0;
        for (uint64_t x = 0; x < 300; x++) {
            int m = hu_kmv_contains(&s, x);
            if (m == HU_KMV_YES)
                assert_true(ref_set_has(&ex, x));
            else if (m == HU_KMV_NO)
                assert_false(ref_set_has(&ex, x));
            else
                unknown++;
        }
        if (ex.n <= HU_KMV_K) {
            assert_int_equal(unknown, 0);
            assert_true(hu_kmv_count(&s) == (double)ex.n);
        }
        ref_set_fini(&ex);
    }
}

static void count_within_stated_bound(void **state)
{
    (void)state;
    const unsigned sizes[] = { 50, 1000, 20000 };
    const double se = 1.0 / sqrt((double)HU_KMV_K - 2.0);
    for (unsigned s = 0; s < 3; s++) {
        double sum = 0, sumsq = 0;
        const unsigned seeds = 1000;
        for (unsigned seed = 0; seed < seeds; seed++) {
            struct ref_rng r = { 31337 + seed * 101 + s };
            struct hu_kmv k;
            hu_kmv_init(&k);
            for (unsigned i = 0; i < sizes[s]; i++)
                hu_kmv_add(&k, ref_rng_next(&r));
            double rel = (hu_kmv_count(&k) - sizes[s]) / sizes[s];
            sum += rel;
            sumsq += rel * rel;
        }
        double mean = sum / seeds, rmse = sqrt(sumsq / seeds);
        printf("# kmv n=%u: mean %.4f rmse %.4f (1/sqrt(k-2) %.4f)\n", sizes[s], mean, rmse, se);
        assert_true(fabs(mean) < 0.06);
        assert_true(rmse < 1.3 * se);   /* heavy-tailed: sample RMSE is noisy */
    }
}

static void jaccard_estimate(void **state)
{
    (void)state;
    /* Exact on small sets; unbiased-ish on large ones with planted J. */
    struct ref_rng r = { 5150 };
    double sum = 0;
    const unsigned trials = 400;
    for (unsigned t = 0; t < trials; t++) {
        struct hu_kmv a, b;
        hu_kmv_init(&a);
        hu_kmv_init(&b);
        for (unsigned i = 0; i < 300; i++) {          /* J = 100/300 */
            uint64_t x = ref_rng_next(&r);
            if (i < 200)
                hu_kmv_add(&a, x);
            if (i < 100 || i >= 200)
                hu_kmv_add(&b, x);
        }
        sum += hu_kmv_jaccard(&a, &b);
    }
    printf("# kmv jaccard at J=0.333: mean estimate %.4f\n", sum / trials);
    assert_true(fabs(sum / trials - 1.0 / 3.0) < 0.05);
}

static void merge_equals_sequential(void **state)
{
    (void)state;
    struct ref_rng r = { 8080 };
    for (unsigned t = 0; t < 200; t++) {
        struct hu_kmv a, b, seq;
        hu_kmv_init(&a);
        hu_kmv_init(&b);
        hu_kmv_init(&seq);
        unsigned na = (unsigned)ref_rng_below(&r, 20), nb = (unsigned)ref_rng_below(&r, 20);
        uint64_t pool = 1 + ref_rng_below(&r, 30);
        for (unsigned i = 0; i < na + nb; i++) {
            uint64_t x = ref_rng_below(&r, pool);
            hu_kmv_add(i < na ? &a : &b, x);
            hu_kmv_add(&seq, x);
        }
        hu_kmv_merge(&a, &b);
        assert_memory_equal(&a, &seq, sizeof a);
        assert_null(hu_kmv_validate(&a));
    }
}


/* ---- reduced samples (k' < k) against an exact, rank-sorted list ------- */

static unsigned sorted_distinct(struct ref_rng *r, uint64_t *out, unsigned n, uint64_t width)
{
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t x = 1 + ref_rng_below(r, width), rx = hu_kmv_rank(x);
        unsigned j = 0;
        while (j < m && hu_kmv_rank(out[j]) < rx)
            j++;
        if (j < m && out[j] == x)
            continue;
        memmove(&out[j + 1], &out[j], (m - j) * sizeof *out);
        out[j] = x;
        m++;
    }
    return m;
}

/* The sketch a set of m distinct rank-sorted items gives at size k: all
 * of them if m <= k and not reduced, else the bottom k, sampled. */
static void bottom(struct hu_kmv *s, const uint64_t *all, unsigned m, unsigned k, int reduced)
{
    hu_kmv_init(s);
    unsigned n = m < k ? m : k;
    memcpy(s->h, all, n * sizeof *all);
    s->n = (uint8_t)n;
    s->sampled = (uint8_t)(m > n || (reduced && m > 0) ? 1 : 0);
}

static void reduced_samples(void **state)
{
    (void)state;
    struct ref_rng r = { 9090 };
    unsigned checked = 0;
    for (unsigned t = 0; t < 3000; t++) {
        uint64_t xa[64], xb[64], xu[128], add[16];
        uint64_t width = 4 + ref_rng_below(&r, 60);
        unsigned ma = sorted_distinct(&r, xa, 1 + (unsigned)ref_rng_below(&r, 40), width);
        unsigned mb = sorted_distinct(&r, xb, (unsigned)ref_rng_below(&r, 40), width);
        unsigned ka = 1 + (unsigned)ref_rng_below(&r, HU_KMV_K - 1);      /* 1..7: reduced */
        unsigned kb = ref_rng_below(&r, 2) ? HU_KMV_K : 1 + (unsigned)ref_rng_below(&r, HU_KMV_K);
        if (ma <= ka)
            continue;            /* a reduced sample has seen more than it holds */
        struct hu_kmv a, b, m, w;
        bottom(&a, xa, ma, ka, 1);
        bottom(&b, xb, mb, kb, kb < HU_KMV_K && mb > kb);
        assert_null(hu_kmv_validate(&a));
        assert_null(hu_kmv_validate(&b));
        /* count: (k'-1) / U_(k'), at least k' + 1 */
        double u = (double)hu_kmv_rank(xa[ka - 1]) / 18446744073709551616.0;
        double want = (double)(ka - 1) / u;
        if (want < ka + 1.0)
            want = ka + 1.0;
        assert_true(hu_kmv_count(&a) == want);
        /* membership: never wrong; certain below the largest rank */
        for (uint64_t x = 1; x <= width; x++) {
            int in = 0;
            for (unsigned i = 0; i < ma; i++)
                in |= xa[i] == x;
            int c = hu_kmv_contains(&a, x);
            assert_true(in ? c != HU_KMV_NO : c != HU_KMV_YES);
            if (hu_kmv_rank(x) <= hu_kmv_rank(xa[ka - 1]))
                assert_int_equal(c, in ? HU_KMV_YES : HU_KMV_NO);
        }
        /* union, exactly */
        unsigned mu = 0;
        {
            unsigned i = 0, j = 0;
            while (i < ma || j < mb) {
                if (i < ma && j < mb && xa[i] == xb[j]) { xu[mu++] = xa[i]; i++; j++; }
                else if (j >= mb || (i < ma && hu_kmv_rank(xa[i]) < hu_kmv_rank(xb[j]))) xu[mu++] = xa[i++];
                else xu[mu++] = xb[j++];
            }
        }
        unsigned kbe = b.sampled ? b.n : HU_KMV_K;   /* b's k: 8 unless it is a sample */
        unsigned kk = ka < kbe ? ka : kbe;
        /* merge = the union's bottom-min(k), sampled */
        m = a;
        hu_kmv_merge(&m, &b);
        bottom(&w, xu, mu, kk, 1);
        assert_memory_equal(&m, &w, sizeof m);
        assert_null(hu_kmv_validate(&m));
        /* Jaccard: |A n B| / kk over the union's bottom-kk */
        unsigned both = 0;
        for (unsigned i = 0; i < kk && i < mu; i++) {
            int ia = 0, ib = 0;
            for (unsigned x = 0; x < ma; x++) ia |= xa[x] == xu[i];
            for (unsigned x = 0; x < mb; x++) ib |= xb[x] == xu[i];
            both += (unsigned)(ia && ib);
        }
        unsigned taken = kk < mu ? kk : mu;
        assert_true(hu_kmv_jaccard(&a, &b) == (double)both / (double)taken);
        assert_true(hu_kmv_jaccard(&b, &a) == (double)both / (double)taken);
        /* add keeps the size: the bottom-ka of everything added */
        unsigned na = sorted_distinct(&r, add, 1 + (unsigned)ref_rng_below(&r, 10), width + 20);
        struct hu_kmv s = a;
        uint64_t all[80];
        memcpy(all, xa, ma * sizeof *xa);
        unsigned mall = ma;
        for (unsigned i = 0; i < na; i++) {
            hu_kmv_add(&s, add[i]);
            unsigned j = 0;
            while (j < mall && hu_kmv_rank(all[j]) < hu_kmv_rank(add[i]))
                j++;
            if (!(j < mall && all[j] == add[i])) {
                memmove(&all[j + 1], &all[j], (mall - j) * sizeof *all);
                all[j] = add[i];
                mall++;
            }
        }
        bottom(&w, all, mall, ka, 1);
        assert_memory_equal(&s, &w, sizeof s);
        /* serialization: version 2, round trip */
        uint8_t buf[HU_KMV_SERIALIZED_MAX];
        size_t n = hu_kmv_serialize(&a, buf);
        assert_int_equal(buf[4], HU_KMV_VERSION_REDUCED);
        struct hu_kmv back;
        assert_int_equal(hu_kmv_deserialize_safe(&back, buf, n), (int)n);
        assert_memory_equal(&back, &a, sizeof a);
        checked++;
    }
    printf("# %u reduced samples checked\n", checked);
    assert_true(checked > 1000);
}

static int deser(void *obj, const void *buf, size_t len)
{
    return hu_kmv_deserialize_safe(obj, buf, len);
}

static void serialization(void **state)
{
    (void)state;
    struct hu_kmv a, g;
    hu_kmv_init(&a);
    uint8_t buf[HU_KMV_SERIALIZED_MAX];
    for (unsigned step = 0; step < 4; step++) {
        size_t len = hu_kmv_serialize(&a, buf);
        assert_int_equal(len, hu_kmv_serialized_size(&a));
        assert_int_equal(hu_kmv_deserialize_safe(&g, buf, len), (int)len);
        assert_memory_equal(&a, &g, sizeof a);
        assert_int_equal(test_damage_accepted(buf, len, deser, &g, 1), 0);
        for (unsigned i = 0; i < 4; i++)
            hu_kmv_add(&a, hu_hash_mix(step * 10 + i));
    }
    /* wrong rank order, sampled-but-not-full, with valid checksums */
    uint64_t x = 1, y = 2;
    if (hu_kmv_rank(x) < hu_kmv_rank(y)) { uint64_t t = x; x = y; y = t; }
    hu__put_u64(buf + 16, x);
    hu__put_u64(buf + 24, y);
    hu__sketch_hdr_put(buf, "HUkv", HU_KMV_VERSION, HU_KMV_K, 0, 16);
    assert_int_equal(hu_kmv_deserialize_safe(&g, buf, 32), HU_ECORRUPT);
    hu__put_u64(buf + 16, y);
    hu__put_u64(buf + 24, x);
    hu__sketch_hdr_put(buf, "HUkv", HU_KMV_VERSION, HU_KMV_K, 0, 16);
    assert_int_equal(hu_kmv_deserialize_safe(&g, buf, 32), 32);
    hu__sketch_hdr_put(buf, "HUkv", HU_KMV_VERSION, HU_KMV_K, 1, 16);
    assert_int_equal(hu_kmv_deserialize_safe(&g, buf, 32), HU_ECORRUPT);
    hu__sketch_hdr_put(buf, "HUkv", HU_KMV_VERSION, HU_KMV_K, 0, 12);
    assert_int_equal(hu_kmv_deserialize_safe(&g, buf, 28), HU_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_while_small),
        cmocka_unit_test(membership_sound),
        cmocka_unit_test(count_within_stated_bound),
        cmocka_unit_test(jaccard_estimate),
        cmocka_unit_test(merge_equals_sequential),
        cmocka_unit_test(reduced_samples),
        cmocka_unit_test(serialization),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
