/* test_core.c -- buffers, arenas, allocation hooks, status table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/hash.h"
#include "huella/hu_status.h"

static void buf_cap_leaves_buffer_empty(void **state)
{
    (void)state;
    struct hu_buf b;
    hu_buf_init(&b, 8);
    assert_int_equal(hu_buf_adds(&b, "abcd"), HU_OK);
    assert_int_equal(hu_buf_adds(&b, "efgh"), HU_OK);
    assert_int_equal(b.len, 8);
    assert_int_equal(hu_buf_adds(&b, "i"), HU_ETOOBIG);
    assert_int_equal(b.len, 0);             /* never half-filled */
    assert_int_equal(hu_buf_printf(&b, "%d-%s", 42, "x"), HU_OK);
    assert_string_equal(b.ptr, "42-x");
    hu_buf_fini(&b);
}

static void buf_printf_long(void **state)
{
    (void)state;
    struct hu_buf b;
    hu_buf_init(&b, 1 << 20);
    char big[1000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(hu_buf_printf(&b, "<%s>", big), HU_OK);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.ptr[0], '<');
    assert_int_equal(b.ptr[1000], '>');
    hu_buf_fini(&b);
}

static void buf_json_escapes(void **state)
{
    (void)state;
    struct hu_buf b;
    hu_buf_init(&b, 1024);
    const char in[] = "a\"b\\c\n\x01\xff\xc3\xa9";
    assert_int_equal(hu_buf_add_json_str(&b, in, sizeof in - 1), HU_OK);
    assert_string_equal(b.ptr, "a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD\xc3\xa9");
    hu_buf_fini(&b);
}

static void arena_alignment_and_reset(void **state)
{
    (void)state;
    struct hu_arena a;
    hu_arena_init(&a, 128);
    char *p = hu_arena_alloc(&a, 3);
    char *q = hu_arena_alloc(&a, 1000);   /* bigger than a block */
    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal((uintptr_t)q % 16, 0);
    memset(q, 1, 1000);
    assert_string_equal(hu_arena_strndup(&a, "hello!", 5), "hello");
    hu_arena_reset(&a);
    assert_int_equal(a.used_total, 0);
    assert_non_null(hu_arena_alloc(&a, 64));
    hu_arena_fini(&a);
}

static void alloc_fail_injection(void **state)
{
    (void)state;
    hu_alloc_fail_after(1);
    void *ok = hu_malloc(10);
    void *bad = hu_malloc(10);
    hu_alloc_fail_after(-1);
    assert_non_null(ok);
    assert_null(bad);
    hu_free(ok);
    /* hu_grow leaves the array untouched when it fails */
    int *arr = NULL;
    size_t cap = 0;
    assert_int_equal(hu_grow((void **)&arr, &cap, 3, sizeof *arr, 2), HU_OK);
    assert_true(cap >= 3);
    hu_alloc_fail_after(0);
    int *before = arr;
    assert_int_equal(hu_grow((void **)&arr, &cap, 100, sizeof *arr, 2), HU_ENOMEM);
    hu_alloc_fail_after(-1);
    assert_ptr_equal(arr, before);
    hu_free(arr);
}

static void status_table(void **state)
{
    (void)state;
    assert_string_equal(hu_status_name(HU_OK), "OK");
    assert_string_equal(hu_status_name(HU_ENOMEM), "ENOMEM");
    assert_string_equal(hu_status_str(HU_EPARSE), "malformed input");
    assert_string_equal(hu_status_name(12345), "UNKNOWN");
}

static void hash_is_seeded_and_stable(void **state)
{
    (void)state;
    assert_true(hu_hash("abc", 3) == hu_hash("abc", 3));
    assert_true(hu_hash("abc", 3) != hu_hash_seeded("abc", 3, 1));
    assert_true(hu_hash_mix(1) != hu_hash_mix(2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_cap_leaves_buffer_empty),
        cmocka_unit_test(buf_printf_long),
        cmocka_unit_test(buf_json_escapes),
        cmocka_unit_test(arena_alignment_and_reset),
        cmocka_unit_test(alloc_fail_injection),
        cmocka_unit_test(status_table),
        cmocka_unit_test(hash_is_seeded_and_stable),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
