/* test_entity_dict.c -- the hash -> value dictionary for indicators. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "profile/entity_dict.h"

static void put_get_many(void **state)
{
    (void)state;
    struct hu_entity_dict *d;
    assert_int_equal(hu_dict_create(&d), HU_OK);
    char v[32];
    for (uint64_t i = 0; i < 20000; i++) {
        int n = snprintf(v, sizeof v, "10.0.%u.%u", (unsigned)(i >> 8), (unsigned)(i & 255));
        assert_int_equal(hu_dict_put(d, HU_DICT_IP, i * 7919, v, (size_t)n), HU_OK);
    }
    assert_int_equal(hu_dict_count(d), 20000);
    assert_string_equal(hu_dict_get(d, HU_DICT_IP, 5 * 7919), "10.0.0.5");
    /* same hash, other kind: not found */
    assert_null(hu_dict_get(d, HU_DICT_PAYMENT, 5 * 7919));
    /* first value wins */
    assert_int_equal(hu_dict_put(d, HU_DICT_IP, 5 * 7919, "other", 5), HU_OK);
    assert_string_equal(hu_dict_get(d, HU_DICT_IP, 5 * 7919), "10.0.0.5");
    /* long values are truncated to 255 bytes */
    char big[600];
    memset(big, 'x', sizeof big);
    assert_int_equal(hu_dict_put(d, HU_DICT_USER_AGENT, 1, big, sizeof big), HU_OK);
    assert_int_equal(strlen(hu_dict_get(d, HU_DICT_USER_AGENT, 1)), 255);
    hu_dict_destroy(d);
    hu_dict_destroy(NULL);
}

static void allocation_failure_drops_not_crashes(void **state)
{
    (void)state;
    struct hu_entity_dict *d;
    assert_int_equal(hu_dict_create(&d), HU_OK);
    hu_alloc_fail_after(0);
    int failed = 0;
    for (uint64_t i = 0; i < 5000; i++)
        failed += hu_dict_put(d, HU_DICT_IP, i + 1, "v", 1) != HU_OK;
    hu_alloc_fail_after(-1);
    assert_true(failed > 0);
    assert_true(hu_dict_dropped(d) == (uint64_t)failed);
    /* every value that went in can be read back */
    for (uint64_t i = 0; i < 5000; i++) {
        const char *s = hu_dict_get(d, HU_DICT_IP, i + 1);
        if (s) assert_string_equal(s, "v");
    }
    hu_dict_destroy(d);
}

/* Two dictionaries that saw overlapping values merge into what one
 * dictionary seeing everything holds (observer threads, observer.h). */
static void merge_equals_one_dictionary(void **state)
{
    (void)state;
    struct hu_entity_dict *a, *b, *one;
    assert_int_equal(hu_dict_create(&a), HU_OK);
    assert_int_equal(hu_dict_create(&b), HU_OK);
    assert_int_equal(hu_dict_create(&one), HU_OK);
    char v[32];
    for (uint64_t i = 1; i <= 5000; i++) {
        enum hu_dict_kind k = (enum hu_dict_kind)(i % HU_DICT_KIND_COUNT);
        int n = snprintf(v, sizeof v, "value-%llu", (unsigned long long)i);
        assert_int_equal(hu_dict_put(i % 3 ? a : b, k, i * 7919, v, (size_t)n), HU_OK);
        if (i % 5 == 0)      /* also seen by the other thread */
            assert_int_equal(hu_dict_put(i % 3 ? b : a, k, i * 7919, v, (size_t)n), HU_OK);
        assert_int_equal(hu_dict_put(one, k, i * 7919, v, (size_t)n), HU_OK);
    }
    assert_int_equal(hu_dict_merge(a, b), HU_OK);
    assert_int_equal(hu_dict_count(a), hu_dict_count(one));
    for (uint64_t i = 1; i <= 5000; i++) {
        enum hu_dict_kind k = (enum hu_dict_kind)(i % HU_DICT_KIND_COUNT);
        const char *x = hu_dict_get(a, k, i * 7919), *y = hu_dict_get(one, k, i * 7919);
        assert_non_null(x);
        assert_string_equal(x, y);
        /* another kind with the same hash is a different entry */
        assert_null(hu_dict_get(a, (enum hu_dict_kind)((i + 1) % HU_DICT_KIND_COUNT), i * 7919));
    }
    hu_dict_destroy(a);
    hu_dict_destroy(b);
    hu_dict_destroy(one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_many),
        cmocka_unit_test(allocation_failure_drops_not_crashes),
        cmocka_unit_test(merge_equals_one_dictionary),
    };
    return cmocka_run_group_tests_name("entity_dict", tests, NULL, NULL);
}
