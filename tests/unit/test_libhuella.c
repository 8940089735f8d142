/* test_libhuella.c -- the public API of include/huella/huella.h (linked
 * statically here; tests/cli/test_install.sh links the installed .so):
 * argument checks, outcomes, ownership, threads sharing one featurizer,
 * allocation failures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "huella/huella.h"
#include "core/alloc.h"
#include "features/featurized.h"

static const char KEY[] = "libhuella-test-key-0123456789";

static struct hu_featurizer *make(void)
{
    struct hu_featurizer_options o = HU_FEATURIZER_OPTIONS_INIT;
    o.key = KEY;
    o.key_len = sizeof KEY - 1;
    struct hu_featurizer *fz = NULL;
    char err[256];
    assert_int_equal(hu_featurizer_create(&o, &fz, err, sizeof err), HU_OK);
    return fz;
}

static void options_are_checked(void **state)
{
    (void)state;
    struct hu_featurizer *fz = (struct hu_featurizer *)1;
    char err[256];
    struct hu_featurizer_options o = HU_FEATURIZER_OPTIONS_INIT;
    assert_int_equal(hu_abi_version(), HU_ABI_VERSION);
    assert_non_null(hu_version());
    assert_int_equal(hu_featurizer_create(NULL, &fz, err, sizeof err), HU_EINVAL);
    assert_null(fz);
    assert_int_equal(hu_featurizer_create(&o, NULL, err, sizeof err), HU_EINVAL);
    assert_int_equal(hu_featurizer_create(&o, &fz, err, sizeof err), HU_EINVAL);    /* no key, not unkeyed */
    assert_non_null(strstr(err, "unkeyed"));
    o.key = KEY;
    o.key_len = sizeof KEY - 1;
    o.unkeyed = 1;
    assert_int_equal(hu_featurizer_create(&o, &fz, err, sizeof err), HU_EINVAL);    /* both */
    o.unkeyed = 0;
    o.key_len = 5;
    assert_int_equal(hu_featurizer_create(&o, &fz, err, sizeof err), HU_EINVAL);    /* too short */
    assert_non_null(strstr(err, "16 to 4096"));
    o.key_len = sizeof KEY - 1;
    o.struct_size = 4;
    assert_int_equal(hu_featurizer_create(&o, &fz, err, sizeof err), HU_EINVAL);
    o.struct_size = sizeof o;
    o.key_file = "/nonexistent/huella.key";
    assert_int_equal(hu_featurizer_create(&o, &fz, err, sizeof err), HU_ENOENT);
    assert_null(fz);
    /* unkeyed on request */
    struct hu_featurizer_options u = HU_FEATURIZER_OPTIONS_INIT;
    u.unkeyed = 1;
    assert_int_equal(hu_featurizer_create(&u, &fz, err, sizeof err), HU_OK);
    assert_int_equal(hu_featurizer_key_id(fz), 0);
    hu_featurizer_destroy(fz);
    fz = make();
    struct hu_fkey k;
    assert_int_equal(hu_fkey_derive(KEY, sizeof KEY - 1, &k), HU_OK);
    assert_int_equal(hu_featurizer_key_id(fz), k.id);
    hu_featurizer_destroy(fz);
    hu_featurizer_destroy(NULL);
    hu_fz_session_destroy(NULL);
    assert_int_equal(hu_fz_session_create(NULL, NULL), HU_EINVAL);
}

static void outcomes(void **state)
{
    (void)state;
    struct hu_featurizer *fz = make();
    struct hu_fz_session *s;
    assert_int_equal(hu_fz_session_create(fz, &s), HU_OK);
    const char *out, *obj;
    size_t n, on;
    const char *l1 = "{\"ts\":1770000000,\"account_id\":\"a\",\"prompt\":\"Think step by step: 2+2?\"}\n";
    assert_int_equal(hu_fz_session_line(s, l1, strlen(l1), &out, &n), HU_LINE_FEATURIZED);
    assert_int_equal(strlen(out), n);
    assert_null(strstr(out, "step"));
    assert_null(hu_fz_session_reject_reason(s));
    assert_int_equal(hu_fz_session_features(s, &obj, &on), HU_OK);
    assert_int_equal(strlen(obj), on);
    assert_non_null(strstr(out, obj));
    char again[2048];
    snprintf(again, sizeof again, "%s", out);
    assert_int_equal(hu_fz_session_line(s, again, strlen(again), &out, &n), HU_LINE_KEPT);
    assert_string_equal(out, again);
    const char *l2 = "{\"ts\":1770000000,\"account_id\":\"a\",\"model\":\"m\"}";
    assert_int_equal(hu_fz_session_line(s, l2, strlen(l2), &out, &n), HU_LINE_NO_TEXT);
    assert_string_equal(out, l2);
    assert_int_equal(hu_fz_session_features(s, &obj, &on), HU_ENOENT);
    const char *l3 = "{\"account_id\":\"a\",\"prompt\":\"secret\"}";
    assert_int_equal(hu_fz_session_line(s, l3, strlen(l3), &out, &n), HU_EPARSE);
    assert_null(out);
    assert_string_equal(hu_fz_session_reject_reason(s), "missing_ts");
    assert_int_equal(hu_fz_session_line(s, "nope", 4, &out, &n), HU_EPARSE);
    assert_string_equal(hu_fz_session_reject_reason(s), "not_json");
    assert_int_equal(hu_fz_session_line(s, NULL, 0, &out, &n), HU_EINVAL);
    assert_int_equal(hu_fz_session_line(s, l1, strlen(l1), NULL, &n), HU_EINVAL);
    hu_fz_session_destroy(s);
    hu_featurizer_destroy(fz);
}

/* ---- threads: one featurizer, a session each, same bytes as one thread --- */

#define N_LINES 300
#define N_THREADS 4
static char lines[N_LINES][512];
static char expect[N_LINES][1024];
static struct hu_featurizer *shared;

static void *worker(void *arg)
{
    long id = (long)arg;
    struct hu_fz_session *s;
    if (hu_fz_session_create(shared, &s) != HU_OK)
        return (void *)1;
    long bad = 0;
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < N_LINES; i++) {
            int j = (int)((i + id * 37) % N_LINES);
            const char *out;
            size_t n;
            if (hu_fz_session_line(s, lines[j], strlen(lines[j]), &out, &n) <= 0 || strcmp(out, expect[j]))
                bad++;
        }
    hu_fz_session_destroy(s);
    return (void *)bad;
}

static void threads_share_a_featurizer(void **state)
{
    (void)state;
    static const char *const p[] = { "Grade this answer from 1 to 10", "Explain your reasoning step by step",
                                      "Click the Submit button", "Write a Python function to sort",
                                      "请一步一步地思考", "¿Cuál es la capital de Francia?" };
    for (int i = 0; i < N_LINES; i++)
        snprintf(lines[i], sizeof lines[i],
                 "{\"ts\":%d,\"account_id\":\"acct%d\",\"system\":\"sys %d\",\"prompt\":\"%s, item %d.\"}",
                 1770000000 + i, i % 17, i % 3, p[i % 6], i);
    shared = make();
    struct hu_fz_session *s;
    assert_int_equal(hu_fz_session_create(shared, &s), HU_OK);
    for (int i = 0; i < N_LINES; i++) {
        const char *out;
        size_t n;
        assert_int_equal(hu_fz_session_line(s, lines[i], strlen(lines[i]), &out, &n), HU_LINE_FEATURIZED);
        assert_true(n < sizeof expect[i]);
        memcpy(expect[i], out, n + 1);
    }
    hu_fz_session_destroy(s);
    pthread_t t[N_THREADS];
    for (long i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)i), 0);
    for (int i = 0; i < N_THREADS; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        assert_int_equal((long)bad, 0);
    }
    hu_featurizer_destroy(shared);
}

static void allocation_failures_are_clean(void **state)
{
    (void)state;
    int ok = 0;
    for (long n = 0; n < 4000 && !ok; n++) {
        struct hu_featurizer_options o = HU_FEATURIZER_OPTIONS_INIT;
        o.key = KEY;
        o.key_len = sizeof KEY - 1;
        struct hu_featurizer *fz = NULL;
        struct hu_fz_session *s = NULL;
        hu_alloc_fail_after(n);
        int rc = hu_featurizer_create(&o, &fz, NULL, 0);
        if (rc == HU_OK)
            rc = hu_fz_session_create(fz, &s);
        const char *out = NULL;
        size_t len;
        if (rc == HU_OK) {
            const char *l = "{\"ts\":1,\"account_id\":\"a\",\"prompt\":\"hello there\"}";
            rc = hu_fz_session_line(s, l, strlen(l), &out, &len);
        }
        hu_alloc_fail_after(-1);
        if (rc > 0)
            ok = 1;
        else
            assert_true(rc == HU_ENOMEM || rc == HU_EINTERNAL || rc == HU_EPARSE);
        hu_fz_session_destroy(s);
        hu_featurizer_destroy(fz);
    }
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_are_checked),
        cmocka_unit_test(outcomes),
        cmocka_unit_test(threads_share_a_featurizer),
        cmocka_unit_test(allocation_failures_are_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
