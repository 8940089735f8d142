/*
 * test_profile_bound.c -- the profile table's cardinality bound: eviction
 * of the least valuable accounts, pinning, index consistency after
 * backward-shift deletions, bounded id memory, allocation failures.
 *
 * The table is compared step by step with a slow reference: an array in
 * recency order (oldest first) applying the documented rule literally --
 * a new account at a full table walks at most HU_EVICT_SCAN accounts from
 * the oldest, takes the first unpinned one with <= HU_EVICT_MAX_REQ
 * requests, and sends every account it passes over to the newest end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/limits.h"
#include "profile/profile_table.h"
#include "tests/reference/rng.h"

/* ---- slow reference -------------------------------------------------------- */

struct ref_acct {
    char id[32];
    uint64_t n_req;
    int pinned;
};

struct ref_table {
    struct ref_acct *a;     /* recency order: a[0] oldest */
    size_t n, max;
    uint64_t evicted, refused;
};

static long ref_find(const struct ref_table *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->a[i].id, id))
            return (long)i;
    return -1;
}

static void ref_to_end(struct ref_table *r, size_t i)
{
    struct ref_acct x = r->a[i];
    memmove(&r->a[i], &r->a[i + 1], (r->n - i - 1) * sizeof x);
    r->a[r->n - 1] = x;
}

/* Returns the account's index (now the newest), or -1 when refused. */
static long ref_get(struct ref_table *r, const char *id)
{
    long i = ref_find(r, id);
    if (i >= 0) {
        ref_to_end(r, (size_t)i);
        return (long)r->n - 1;
    }
    if (r->n >= r->max) {
        size_t v = 0;
        while (v < r->n && (r->a[v].pinned || r->a[v].n_req > HU_EVICT_MAX_REQ))
            v++;
        if (v == r->n) {
            r->refused++;
            return -1;
        }
        memmove(&r->a[v], &r->a[v + 1], (r->n - v - 1) * sizeof r->a[0]);
        r->n--;
        r->evicted++;
    }
    memset(&r->a[r->n], 0, sizeof r->a[0]);
    snprintf(r->a[r->n].id, sizeof r->a[0].id, "%s", id);
    return (long)r->n++;
}

/* ---- tests ---------------------------------------------------------------- */

/* Random traffic against the reference: the same accounts held, the same
 * counters, every held account findable with its own request count. */
static void matches_reference(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        size_t max = round == 0 ? 50 : round == 1 ? 200 : 1000;
        struct ref_table ref = { calloc(max + 1, sizeof(struct ref_acct)), 0, max, 0, 0 };
        struct hu_profile_table *t;
        assert_int_equal(hu_profile_table_create(0, &t), HU_OK);
        hu_profile_table_set_max(t, max);
        struct ref_rng rng = { 1234 + (uint64_t)round };
        size_t universe = max * 4;
        for (int step = 0; step < 40000; step++) {
            char id[32];
            /* a heavy core of max/2 ids and a long tail of one-offs */
            uint64_t k = ref_rng_below(&rng, 3) ? ref_rng_below(&rng, max / 2) : ref_rng_below(&rng, universe);
            snprintf(id, sizeof id, "acct-%llu", (unsigned long long)k);
            long ri = ref_get(&ref, id);
            /* record(): the held account's number; victim(): the record a
             * get() of a new account takes (the cluster worker's hooks) */
            size_t rec = hu_profile_table_record(t, id, strlen(id)), vic = SIZE_MAX;
            char vid[32] = "";
            if (rec != SIZE_MAX) {
                size_t l;
                assert_string_equal(hu_profile_table_id(t, rec, &l), id);
            } else {
                vic = hu_profile_table_victim(t);
                size_t l;
                if (vic != SIZE_MAX)
                    snprintf(vid, sizeof vid, "%s", hu_profile_table_id(t, vic, &l));
            }
            struct hu_profile *p = NULL;
            int created = 0;
            int rc = hu_profile_table_get(t, id, strlen(id), &p, &created);
            if (ri < 0) {
                assert_int_equal(rc, HU_EFULL);
                assert_int_equal(vic, SIZE_MAX);
                continue;
            }
            assert_int_equal(rc, HU_OK);
            if (vic != SIZE_MAX) {
                assert_int_equal(hu_profile_table_record(t, id, strlen(id)), vic);
                assert_int_equal(hu_profile_table_record(t, vid, strlen(vid)), SIZE_MAX);
            } else if (rec == SIZE_MAX) {
                assert_int_equal(hu_profile_table_record(t, id, strlen(id)), hu_profile_table_count(t) - 1);
            }
            p->n_req++;
            ref.a[ri].n_req++;
            if (ref_rng_below(&rng, 200) == 0) {
                int on = (int)ref_rng_below(&rng, 2);
                assert_int_equal(hu_profile_table_pin(t, id, strlen(id), on), HU_OK);
                ref.a[ri].pinned = on;   /* ri is already the newest: pin's touch moves nothing */
            }
        }
        assert_int_equal(hu_profile_table_count(t), ref.n);
        assert_true(hu_profile_table_count(t) <= max);
        assert_int_equal(hu_profile_table_evicted(t), ref.evicted);
        assert_int_equal(hu_profile_table_refused(t), ref.refused);
        assert_true(ref.evicted > 0);
        for (size_t i = 0; i < ref.n; i++) {
            struct hu_profile *p = hu_profile_table_find(t, ref.a[i].id, strlen(ref.a[i].id));
            assert_non_null(p);
            assert_int_equal(p->n_req, ref.a[i].n_req);
        }
        /* and nothing else: ids iterate to exactly the reference set */
        for (size_t i = 0; i < hu_profile_table_count(t); i++) {
            size_t len;
            const char *id = hu_profile_table_id(t, i, &len);
            assert_int_equal(strlen(id), len);
            long ri = ref_find(&ref, id);
            assert_true(ri >= 0);
            assert_int_equal(hu_profile_table_pinned(t, i), ref.a[ri].pinned);
            assert_int_equal(hu_profile_table_at(t, i)->account_hash, hu_hash(id, len));
        }
        hu_profile_table_destroy(t);
        free(ref.a);
    }
}

/* 10x the bound in one-request accounts: the bound holds, the pinned and
 * the heavy accounts survive, and a newcomer is refused once only pinned
 * and heavy accounts are left. */
static void flood_cannot_evict_pinned_or_heavy(void **state)
{
    (void)state;
    struct hu_profile_table *t;
    assert_int_equal(hu_profile_table_create(0, &t), HU_OK);
    hu_profile_table_set_max(t, 100);
    char id[32];
    struct hu_profile *p;
    /* 10 campaign accounts with one request each, pinned; 10 heavy accounts */
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, i < 10 ? "campaign-%d" : "heavy-%d", i);
        assert_int_equal(hu_profile_table_get(t, id, strlen(id), &p, NULL), HU_OK);
        p->n_req = i < 10 ? 1 : 50;
        if (i < 10)
            assert_int_equal(hu_profile_table_pin(t, id, strlen(id), 1), HU_OK);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "flood-%d", i);
        assert_int_equal(hu_profile_table_get(t, id, strlen(id), &p, NULL), HU_OK);
        p->n_req = 1;
    }
    assert_int_equal(hu_profile_table_count(t), 100);
    assert_int_equal(hu_profile_table_evicted(t), 920);
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, i < 10 ? "campaign-%d" : "heavy-%d", i);
        assert_non_null(hu_profile_table_find(t, id, strlen(id)));
    }
    /* not-yet-seen accounts cannot be pinned; unknown ids say so */
    assert_int_equal(hu_profile_table_pin(t, "nobody", 6, 1), HU_ENOENT);
    assert_int_equal(hu_profile_table_pin(t, "", 0, 1), HU_EINVAL);
    /* make every account heavy: newcomers are refused, nobody is evicted */
    for (size_t i = 0; i < hu_profile_table_count(t); i++)
        hu_profile_table_at(t, i)->n_req = 3;
    uint64_t ev = hu_profile_table_evicted(t);
    assert_int_equal(hu_profile_table_get(t, "late", 4, &p, NULL), HU_EFULL);
    assert_int_equal(hu_profile_table_evicted(t), ev);
    assert_int_equal(hu_profile_table_refused(t), 1);
    assert_null(hu_profile_table_find(t, "late", 4));
    hu_profile_table_destroy(t);
}

/* Growing id lengths (the victim's bytes never fit): the arena is rebuilt,
 * so memory stays bounded however many accounts pass through. */
static void id_memory_is_bounded(void **state)
{
    (void)state;
    struct hu_profile_table *t;
    assert_int_equal(hu_profile_table_create(0, &t), HU_OK);
    hu_profile_table_set_max(t, 1000);
    char id[HU_MAX_ID_BYTES + 1];
    struct hu_profile *p;
    size_t mem_at_full = 0, mem_max = 0;
    for (int i = 0; i < 200000; i++) {
        int len = snprintf(id, sizeof id, "%0*d", 8 + (i % 400), i);
        assert_int_equal(hu_profile_table_get(t, id, (size_t)len, &p, NULL), HU_OK);
        if (i == 5000)
            mem_at_full = hu_profile_table_memory(t);
        if (i > 5000 && hu_profile_table_memory(t) > mem_max)
            mem_max = hu_profile_table_memory(t);
    }
    assert_int_equal(hu_profile_table_count(t), 1000);
    /* ids average ~200 bytes: live ~200 KB; allow the 2x rebuild slack */
    printf("# table memory at full %zu, max later %zu\n", mem_at_full, mem_max);
    assert_true(mem_max < mem_at_full + (1000u * (HU_MAX_ID_BYTES + 1) * 2 + (256u << 10)));
    /* the last 1000 ids are all held (one request each: pure LRU) */
    for (int i = 199000; i < 200000; i++) {
        int len = snprintf(id, sizeof id, "%0*d", 8 + (i % 400), i);
        assert_non_null(hu_profile_table_find(t, id, (size_t)len));
    }
    hu_profile_table_destroy(t);
}

/* Allocation failures while filling a bounded table: HU_ENOMEM, nothing
 * half-done (every account reported held can be found). */
static void alloc_failure_is_clean(void **state)
{
    (void)state;
    for (long n = 0; n < 60; n++) {
        struct hu_profile_table *t;
        if (hu_profile_table_create(0, &t) != HU_OK)
            continue;
        hu_profile_table_set_max(t, 300);
        hu_alloc_fail_after(n);
        char id[32];
        int held = 0;
        for (int i = 0; i < 2000; i++) {
            struct hu_profile *p;
            snprintf(id, sizeof id, "a-%d-%d", i, i * 7);
            int rc = hu_profile_table_get(t, id, strlen(id), &p, NULL);
            assert_true(rc == HU_OK || rc == HU_ENOMEM);
            if (rc == HU_OK) {
                assert_non_null(hu_profile_table_find(t, id, strlen(id)));
                held++;
            }
        }
        hu_alloc_fail_after(-1);
        assert_true(hu_profile_table_count(t) <= 300);
        hu_profile_table_destroy(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_reference),
        cmocka_unit_test(flood_cannot_evict_pinned_or_heavy),
        cmocka_unit_test(id_memory_is_bounded),
        cmocka_unit_test(alloc_failure_is_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
