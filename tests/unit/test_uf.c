/* test_uf.c -- union-find against the O(n^2) reference, and canonical
 * names that do not depend on the order of unions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "link/uf.h"
#include "../reference/components.h"

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
    return *s;
}

static void matches_reference_on_random_graphs(void **state)
{
    (void)state;
    enum { N = 300, M = 250 };
    static uint32_t edges[M][2];
    uint32_t label[N];
    uint64_t s = 99;
    for (int round = 0; round < 20; round++) {
        for (int e = 0; e < M; e++) {
            edges[e][0] = (uint32_t)(rng(&s) % N);
            edges[e][1] = (uint32_t)(rng(&s) % N);
        }
        ref_components(N, (const uint32_t (*)[2])edges, M, label);
        struct hu_uf uf;
        assert_int_equal(hu_uf_init(&uf, N), 0);
        for (int e = M - 1; e >= 0; e--)      /* reverse order on purpose */
            hu_uf_union(&uf, edges[e][0], edges[e][1]);
        for (uint32_t i = 0; i < N; i++)
            assert_int_equal(hu_uf_canonical(&uf, i), label[i]);
        hu_uf_fini(&uf);
    }
}

static void union_reports_new_joins_only(void **state)
{
    (void)state;
    struct hu_uf uf;
    assert_int_equal(hu_uf_init(&uf, 4), 0);
    assert_int_equal(hu_uf_union(&uf, 3, 2), 1);
    assert_int_equal(hu_uf_union(&uf, 2, 3), 0);
    assert_int_equal(hu_uf_union(&uf, 1, 3), 1);
    assert_int_equal(hu_uf_set_size(&uf, 2), 3);
    assert_int_equal(hu_uf_canonical(&uf, 3), 1);
    assert_int_equal(hu_uf_canonical(&uf, 0), 0);
    hu_uf_fini(&uf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_reference_on_random_graphs),
        cmocka_unit_test(union_reports_new_joins_only),
    };
    return cmocka_run_group_tests_name("uf", tests, NULL, NULL);
}
