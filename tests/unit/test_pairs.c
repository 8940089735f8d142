/* test_pairs.c -- candidate pairs: all pairs in small groups, bounded
 * rings in hubs, nothing from over-popular keys, noisy-OR strength. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "link/pairs.h"
#include "link/uf.h"

static struct hu_pairs_config cfg(void)
{
    struct hu_pairs_config c = { .pair_cap = 8, .hub_max = 1000 };
    for (int k = 0; k < HU_LINK_KIND_COUNT; k++) {
        c.base_weight[k] = 0.5f;
        c.rarity_free[k] = 4;
    }
    return c;
}

static const struct hu_pair *find(const struct hu_pairs *p, uint32_t a, uint32_t b)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->pairs[i].a == a && p->pairs[i].b == b)
            return &p->pairs[i];
    return NULL;
}

static void small_group_makes_all_pairs(void **state)
{
    (void)state;
    struct hu_pairs_config c = cfg();
    struct hu_posting ps[] = {
        { 7, 3, 0, HU_LINK_PAYMENT }, { 7, 1, 0, HU_LINK_PAYMENT }, { 7, 2, 0, HU_LINK_PAYMENT },
        { 7, 1, 0, HU_LINK_PAYMENT },                       /* duplicate posting */
        { 9, 1, 0, HU_LINK_IP }, { 9, 2, 0, HU_LINK_IP },
        { 5, 4, 0, HU_LINK_IP },                            /* alone: no pair */
    };
    struct hu_pairs p;
    assert_int_equal(hu_pairs_build(&p, &c, ps, sizeof ps / sizeof ps[0]), HU_OK);
    assert_int_equal(p.n, 3);
    const struct hu_pair *pr = find(&p, 1, 2);
    assert_non_null(pr);
    assert_int_equal(pr->kinds, (1u << HU_LINK_PAYMENT) | (1u << HU_LINK_IP));
    /* noisy-OR of two 0.5 weights */
    assert_float_equal(hu_pair_strength(pr), 0.75, 0.01);
    assert_non_null(find(&p, 1, 3));
    assert_non_null(find(&p, 2, 3));
    assert_float_equal(hu_pair_strength(find(&p, 2, 3)), 0.5, 0.01);
    hu_pairs_fini(&p);
}

static void hub_is_linear_and_connected(void **state)
{
    (void)state;
    struct hu_pairs_config c = cfg();
    enum { M = 500 };
    struct hu_posting *ps = hu_calloc(M, sizeof *ps);
    for (uint32_t i = 0; i < M; i++)
        ps[i] = (struct hu_posting){ 42, i, i % 2 ? 11 : 22, HU_LINK_PREFIX };
    struct hu_pairs p;
    assert_int_equal(hu_pairs_build(&p, &c, ps, M), HU_OK);
    assert_true(p.n <= 2 * M);               /* not M*(M-1)/2 */
    assert_int_equal(p.hub_groups, 1);
    /* connected within each sub-group, never across */
    struct hu_uf uf;
    assert_int_equal(hu_uf_init(&uf, M), HU_OK);
    for (size_t i = 0; i < p.n; i++) {
        assert_int_equal(p.pairs[i].a % 2, p.pairs[i].b % 2);
        hu_uf_union(&uf, p.pairs[i].a, p.pairs[i].b);
    }
    assert_int_equal(hu_uf_set_size(&uf, 0), M / 2);
    assert_int_equal(hu_uf_set_size(&uf, 1), M / 2);
    /* rarity: a 500-account prefix weighs much less than a 2-account one */
    assert_true(hu_pair_strength(&p.pairs[0]) < 0.5f * 0.25f);
    hu_uf_fini(&uf);
    hu_pairs_fini(&p);
    hu_free(ps);
}

static void over_popular_keys_are_ignored(void **state)
{
    (void)state;
    struct hu_pairs_config c = cfg();
    c.hub_max = 100;
    enum { M = 101 };
    struct hu_posting ps[M];
    for (uint32_t i = 0; i < M; i++)
        ps[i] = (struct hu_posting){ 1, i, 0, HU_LINK_USER_AGENT };
    struct hu_pairs p;
    assert_int_equal(hu_pairs_build(&p, &c, ps, M), HU_OK);
    assert_int_equal(p.n, 0);
    assert_int_equal(p.ignored_per_kind[HU_LINK_USER_AGENT], 1);
    hu_pairs_fini(&p);
}

static float half_for_odd(void *ctx, enum hu_link_kind k, uint32_t a, uint32_t b)
{
    (void)ctx; (void)k;
    return ((a + b) % 2) ? 0.0f : 1.0f;
}

static void similarity_kinds_are_confirmed(void **state)
{
    (void)state;
    struct hu_pairs_config c = cfg();
    c.similarity_kinds = 1u << HU_LINK_TEMPLATES;
    c.sim = half_for_odd;
    struct hu_posting ps[] = {
        { 3, 0, 0, HU_LINK_TEMPLATES }, { 3, 1, 0, HU_LINK_TEMPLATES }, { 3, 2, 0, HU_LINK_TEMPLATES },
    };
    struct hu_pairs p;
    assert_int_equal(hu_pairs_build(&p, &c, ps, 3), HU_OK);
    assert_int_equal(p.n, 1);                 /* only (0,2): sum even */
    assert_non_null(find(&p, 0, 2));
    hu_pairs_fini(&p);
}

static void allocation_failure_is_clean(void **state)
{
    (void)state;
    struct hu_pairs_config c = cfg();
    struct hu_posting ps[6];
    for (uint32_t i = 0; i < 6; i++)
        ps[i] = (struct hu_posting){ 1, i, 0, HU_LINK_IP };
    for (long n = 0; n < 4; n++) {
        struct hu_pairs p;
        hu_alloc_fail_after(n);
        int rc = hu_pairs_build(&p, &c, ps, 6);
        hu_alloc_fail_after(-1);
        if (rc == HU_OK) { assert_int_equal(p.n, 15); hu_pairs_fini(&p); }
        else assert_int_equal(rc, HU_ENOMEM);
    }
}

/* The build in bounded steps gives exactly the one-call build, for every
 * budget, including budgets smaller than one group. */
static void steps_equal_one_build(void **state)
{
    (void)state;
    struct hu_pairs_config c = cfg();
    enum { NP = 3000 };
    struct hu_posting *ps = malloc(NP * sizeof *ps), *qs = malloc(NP * sizeof *qs);
    assert_non_null(ps);
    assert_non_null(qs);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < NP; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        /* keys of every popularity: small groups, hubs (> pair_cap) */
        ps[i].key = i < 600 ? 1 + x % 3 : 10 + x % 400;
        ps[i].account = (uint32_t)(x >> 20) % 700;
        ps[i].sub = (uint32_t)(x >> 40) % 5;
        ps[i].kind = (uint8_t)((x >> 50) % HU_LINK_KIND_COUNT);
    }
    memcpy(qs, ps, NP * sizeof *ps);
    struct hu_pairs one;
    assert_int_equal(hu_pairs_build(&one, &c, ps, NP), HU_OK);
    assert_true(one.n > 1000);
    assert_true(one.hub_groups > 0);
    /* sorted by (a, b), each pair once: what campaigns rely on */
    for (size_t i = 1; i < one.n; i++)
        assert_true(one.pairs[i - 1].a < one.pairs[i].a ||
                    (one.pairs[i - 1].a == one.pairs[i].a && one.pairs[i - 1].b < one.pairs[i].b));
    const uint64_t budgets[] = { 1, 7, 100, 5000 };
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
        struct hu_posting *rs = malloc(NP * sizeof *rs);
        assert_non_null(rs);
        memcpy(rs, qs, NP * sizeof *qs);
        struct hu_pairs p;
        assert_int_equal(hu_pairs_begin(&p, &c, rs, NP), HU_OK);
        int done = 0;
        size_t steps = 0;
        while (!done) {
            assert_int_equal(hu_pairs_step(&p, budgets[b], &done), HU_OK);
            steps++;
        }
        hu_pairs_end(&p);
        if (budgets[b] == 1)
            assert_true(steps > 100);   /* it did stop between groups */
        assert_int_equal(p.n, one.n);
        assert_int_equal(p.groups, one.groups);
        assert_memory_equal(p.pairs, one.pairs, one.n * sizeof *one.pairs);
        hu_pairs_fini(&p);
        free(rs);
    }
    hu_pairs_fini(&one);
    free(ps);
    free(qs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_group_makes_all_pairs),
        cmocka_unit_test(hub_is_linear_and_connected),
        cmocka_unit_test(over_popular_keys_are_ignored),
        cmocka_unit_test(similarity_kinds_are_confirmed),
        cmocka_unit_test(allocation_failure_is_clean),
        cmocka_unit_test(steps_equal_one_build),
    };
    return cmocka_run_group_tests_name("pairs", tests, NULL, NULL);
}
