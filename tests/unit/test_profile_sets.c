/* test_profile_sets.c -- the bounded sets of a profile in their two forms:
 * the inline pool (at most HU_PROFILE_SET_POOL items in all) and the side
 * block set_big.  Reference: HU_PSET_COUNT plain struct hu_kmv fed the
 * same items; every answer must be exactly the reference's, in either
 * form, across the promotion boundary, after merges, after a round trip
 * through the serialized bytes, and when the allocation of set_big fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profile/profile.h"
#include "profile/profile_table.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "tests/reference/rng.h"
#include "profile_v2_main_blob.h"

#define T0 INT64_C(1770732202000)

struct ref {
    struct hu_kmv set[HU_PSET_COUNT];
};

static void ref_init(struct ref *r)
{
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        hu_kmv_init(&r->set[s]);
}

static unsigned ref_total(const struct ref *r)
{
    unsigned n = 0;
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        n += r->set[s].n;
    return n;
}

/* One request whose only set items are items[] (0 = none); features and
 * event agree with what observe_request reads for each set. */
struct req {
    struct hu_event ev;
    struct hu_req_features f;
    char key[24];
};

static void make_req(struct req *q, int64_t ts, const uint64_t items[HU_PSET_COUNT])
{
    memset(q, 0, sizeof *q);
    q->ev.kind = HU_EV_REQUEST;
    q->ev.ts_ms = ts;
    q->ev.thinking = -1;
    q->ev.thinking_budget = q->ev.max_tokens = q->ev.input_tokens = q->ev.output_tokens =
        q->ev.status = HU_EV_ABSENT;
    q->f.ip_hash = items[HU_PSET_IP];
    q->f.prefix_hash = items[HU_PSET_PREFIX];
    q->f.asn = items[HU_PSET_ASN];
    q->f.client_fp_hash = items[HU_PSET_CLIENT_FP];
    q->f.headers_fp_hash = items[HU_PSET_HEADERS_FP];
    q->f.ua_hash = items[HU_PSET_UA];
    q->f.ua_family_hash = items[HU_PSET_UA_FAMILY];
    q->f.payment_hash = items[HU_PSET_PAYMENT];
    q->f.system_hash = items[HU_PSET_SYSTEM];
    q->f.tools_hash = items[HU_PSET_TOOLS];
    if (items[HU_PSET_API_KEY]) {
        /* the api key set takes hu_hash of the key id string */
        int n = snprintf(q->key, sizeof q->key, "k%llu", (unsigned long long)items[HU_PSET_API_KEY]);
        q->ev.api_key_id = (struct hu_span){ q->key, (size_t)n };
    }
}

static uint64_t ref_item(const struct req *q, unsigned s)
{
    if (s == HU_PSET_API_KEY)
        return q->ev.api_key_id.len ? hu_hash(q->ev.api_key_id.ptr, q->ev.api_key_id.len) : 0;
    const uint64_t v[HU_PSET_COUNT] = {
        [HU_PSET_IP] = q->f.ip_hash, [HU_PSET_PREFIX] = q->f.prefix_hash, [HU_PSET_ASN] = q->f.asn,
        [HU_PSET_CLIENT_FP] = q->f.client_fp_hash, [HU_PSET_HEADERS_FP] = q->f.headers_fp_hash,
        [HU_PSET_UA] = q->f.ua_hash, [HU_PSET_UA_FAMILY] = q->f.ua_family_hash,
        [HU_PSET_PAYMENT] = q->f.payment_hash, [HU_PSET_SYSTEM] = q->f.system_hash,
        [HU_PSET_TOOLS] = q->f.tools_hash,
    };
    return v[s];
}

static void ref_add(struct ref *r, const struct req *q)
{
    for (unsigned s = 0; s < HU_PSET_COUNT; s++) {
        uint64_t x = ref_item(q, s);
        if (x)
            hu_kmv_add(&r->set[s], x);
    }
}

/* Random items: set s draws from a universe of width[s] values, so some
 * sets stay tiny and others get sampled. */
static void random_items(struct ref_rng *g, const unsigned width[HU_PSET_COUNT],
                         uint64_t items[HU_PSET_COUNT])
{
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        items[s] = width[s] && ref_rng_below(g, 3) ? 1000u * (s + 1) + ref_rng_below(g, width[s]) + 1
                                                   : 0;
    items[HU_PSET_ASN] &= 0xffffffffu;
}

static void random_width(struct ref_rng *g, unsigned width[HU_PSET_COUNT])
{
    static const unsigned w[] = { 0, 1, 2, 3, 6, 9, 20, 200 };
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        width[s] = w[ref_rng_below(g, sizeof w / sizeof w[0])];
}

static void same_kmv(const struct hu_kmv *a, const struct hu_kmv *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->sampled, b->sampled);
    for (unsigned i = 0; i < HU_KMV_K; i++)
        assert_int_equal(a->h[i], b->h[i]);
}

/* p's sets are exactly r's, and p is in the form the item count says. */
static void check_sets(const struct hu_profile *p, const struct ref *r)
{
    struct hu_kmv k;
    for (unsigned s = 0; s < HU_PSET_COUNT; s++) {
        same_kmv(hu_profile_set(p, (enum hu_pset)s, &k), &r->set[s]);
        assert_true(hu_profile_set_count(p, (enum hu_pset)s) == hu_kmv_count(&r->set[s]));
    }
    assert_int_equal(hu_profile_sets_big(p), ref_total(r) > HU_PROFILE_SET_POOL);
    assert_int_equal(hu_profile_side_bytes(p) > 0, hu_profile_sets_big(p));
    assert_null(hu_profile_validate(p));
}

static size_t ser(const struct hu_profile *p, uint8_t *buf)
{
    size_t n = hu_profile_serialize(p, buf, HU_PROFILE_SERIALIZED_MAX);
    assert_true(n > 0);
    return n;
}

/* ---- the pool answers exactly as 11 struct hu_kmv, across promotion ---- */

static void pool_equals_sketches(void **state)
{
    (void)state;
    struct ref_rng g = { 11 };
    unsigned promoted = 0, stayed = 0;
    for (int round = 0; round < 300; round++) {
        unsigned width[HU_PSET_COUNT];
        random_width(&g, width);
        struct hu_profile p;
        struct ref r;
        hu_profile_init(&p, 5);
        ref_init(&r);
        unsigned n = 1 + (unsigned)ref_rng_below(&g, 120);
        for (unsigned i = 0; i < n; i++) {
            uint64_t items[HU_PSET_COUNT];
            random_items(&g, width, items);
            struct req q;
            make_req(&q, T0 + (int64_t)i * 1000, items);
            assert_int_equal(hu_profile_observe_request(&p, &q.ev, &q.f), HU_OK);
            ref_add(&r, &q);
            check_sets(&p, &r);
        }
        if (hu_profile_sets_big(&p))
            promoted++;
        else
            stayed++;
        hu_profile_fini(&p);
    }
    printf("# %u profiles promoted, %u stayed in the pool\n", promoted, stayed);
    assert_true(promoted > 30 && stayed > 30);   /* both sides of the boundary seen */
}

/* An account event feeds the payment set (and may promote). */
static void account_event_feeds_payment(void **state)
{
    (void)state;
    struct hu_profile p;
    struct ref r;
    hu_profile_init(&p, 6);
    ref_init(&r);
    uint64_t items[HU_PSET_COUNT] = { 0 };
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        if (s != HU_PSET_PAYMENT && s != HU_PSET_API_KEY)
            items[s] = 77 + s;
    for (unsigned i = 0; i < 4; i++) {       /* 4 x 9 sets: 36 items, past the pool */
        for (unsigned s = 0; s < HU_PSET_COUNT; s++)
            if (items[s])
                items[s] += 1000;
        struct req q;
        make_req(&q, T0 + i, items);
        assert_int_equal(hu_profile_observe_request(&p, &q.ev, &q.f), HU_OK);
        ref_add(&r, &q);
    }
    struct hu_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = HU_EV_ACCOUNT;
    ev.ts_ms = T0;
    ev.payment_fp = (struct hu_span){ "pm_1", 4 };
    assert_int_equal(hu_profile_observe_account(&p, &ev, NULL), HU_OK);
    hu_kmv_add(&r.set[HU_PSET_PAYMENT], hu_hash("pm_1", 4));
    check_sets(&p, &r);
    assert_true(hu_profile_sets_big(&p));
    hu_profile_fini(&p);
    hu_profile_fini(&p);     /* twice is harmless */
}

/* ---- merge: small+small, small+big, big+small, big+big == the union ---- */

static void merge_equals_union(void **state)
{
    (void)state;
    struct ref_rng g = { 12 };
    unsigned seen[2][2] = { { 0 } };
    for (int round = 0; round < 400; round++) {
        unsigned width[HU_PSET_COUNT];
        random_width(&g, width);
        struct hu_profile a, b, all;
        struct ref ra;
        hu_profile_init(&a, 9);
        hu_profile_init(&b, 9);
        hu_profile_init(&all, 9);
        ref_init(&ra);
        unsigned na = (unsigned)ref_rng_below(&g, 60), nb = (unsigned)ref_rng_below(&g, 60);
        for (unsigned i = 0; i < na + nb; i++) {
            uint64_t items[HU_PSET_COUNT];
            random_items(&g, width, items);
            struct req q;
            make_req(&q, T0 + (int64_t)i * 1000, items);
            assert_int_equal(hu_profile_observe_request(i < na ? &a : &b, &q.ev, &q.f), HU_OK);
            assert_int_equal(hu_profile_observe_request(&all, &q.ev, &q.f), HU_OK);
            ref_add(&ra, &q);
        }
        seen[hu_profile_sets_big(&a)][hu_profile_sets_big(&b)]++;
        assert_int_equal(hu_profile_merge(&a, &b), HU_OK);
        check_sets(&a, &ra);
        check_sets(&all, &ra);
        uint8_t x[HU_PROFILE_SERIALIZED_MAX], y[HU_PROFILE_SERIALIZED_MAX];
        size_t nx = ser(&a, x), ny = ser(&all, y);
        assert_int_equal(nx, ny);
        assert_memory_equal(x, y, nx);
        hu_profile_fini(&a);
        hu_profile_fini(&b);
        hu_profile_fini(&all);
    }
    printf("# merges small+small %u, small+big %u, big+small %u, big+big %u\n", seen[0][0],
           seen[0][1], seen[1][0], seen[1][1]);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            assert_true(seen[i][j] > 10);
}

/* ---- serialization: same bytes in either form; round trip ------------- */

static void serialization_round_trip(void **state)
{
    (void)state;
    struct ref_rng g = { 13 };
    for (int round = 0; round < 200; round++) {
        unsigned width[HU_PSET_COUNT];
        random_width(&g, width);
        struct hu_profile p, q, c;
        struct ref r;
        hu_profile_init(&p, 3);
        ref_init(&r);
        unsigned n = (unsigned)ref_rng_below(&g, 80);
        for (unsigned i = 0; i < n; i++) {
            uint64_t items[HU_PSET_COUNT];
            random_items(&g, width, items);
            struct req rq;
            make_req(&rq, T0 + (int64_t)i * 1000, items);
            assert_int_equal(hu_profile_observe_request(&p, &rq.ev, &rq.f), HU_OK);
            ref_add(&r, &rq);
        }
        uint8_t x[HU_PROFILE_SERIALIZED_MAX], y[HU_PROFILE_SERIALIZED_MAX];
        size_t nx = ser(&p, x);
        assert_int_equal(hu_profile_deserialize_safe(&q, x, nx), (int)nx);
        check_sets(&q, &r);
        size_t ny = ser(&q, y);
        assert_int_equal(nx, ny);
        assert_memory_equal(x, y, nx);
        /* a copy is independent: finishing the original leaves it intact */
        assert_int_equal(hu_profile_copy(&c, &q), HU_OK);
        hu_profile_fini(&q);
        check_sets(&c, &r);
        ny = ser(&c, y);
        assert_memory_equal(x, y, nx);
        /* move: the source no longer owns anything */
        hu_profile_move(&q, &c);
        assert_false(hu_profile_sets_big(&c));
        check_sets(&q, &r);
        hu_profile_fini(&c);      /* frees nothing of q's */
        check_sets(&q, &r);
        hu_profile_fini(&q);
        hu_profile_fini(&p);
    }
}

/* The stream that made profile_v2_main_blob.h with main's library. */
static void main_stream(struct hu_profile *p)
{
    hu_profile_init(p, 4242);
    for (unsigned i = 0; i < 40; i++) {
        struct hu_event ev;
        struct hu_req_features f;
        memset(&ev, 0, sizeof ev);
        memset(&f, 0, sizeof f);
        ev.kind = HU_EV_REQUEST;
        ev.ts_ms = T0 + (int64_t)i * 61000;
        ev.thinking = -1;
        ev.thinking_budget = ev.max_tokens = ev.input_tokens = ev.output_tokens = ev.status =
            HU_EV_ABSENT;
        f.template_hash = hu_hash_mix(i % 7 + 1);
        f.ip_hash = hu_hash_mix(100 + i);
        f.prefix_hash = hu_hash_mix(200 + i / 2);
        f.asn = 64500 + i % 3;
        f.client_fp_hash = hu_hash_mix(300 + i % 5);
        f.headers_fp_hash = hu_hash_mix(400 + i % 4);
        f.ua_hash = hu_hash_mix(500 + i % 6);
        f.ua_family_hash = hu_hash_mix(600 + i % 2);
        f.system_hash = hu_hash_mix(700 + i % 3);
        f.tools_hash = hu_hash_mix(800 + i % 2);
        f.payment_hash = i % 4 ? 0 : hu_hash_mix(900 + i);
        assert_int_equal(hu_profile_observe_request(p, &ev, &f), HU_OK);
    }
}

/* The serialized format (version 2) did not change with the pool: bytes
 * written by main before it load, and the same stream writes the same
 * bytes; an unknown version is refused (HU_EVERSION), never guessed. */
static void format_unchanged(void **state)
{
    (void)state;
    struct hu_profile p, q;
    main_stream(&p);
    assert_true(hu_profile_sets_big(&p));          /* 49 set items */
    uint8_t x[HU_PROFILE_SERIALIZED_MAX];
    size_t n = ser(&p, x);
    assert_int_equal(n, sizeof main_blob);
    assert_memory_equal(x, main_blob, n);
    assert_int_equal(hu_profile_deserialize_safe(&q, main_blob, sizeof main_blob),
                     (int)sizeof main_blob);
    assert_true(hu_profile_sets_big(&q));
    assert_int_equal(ser(&q, x), n);
    assert_memory_equal(x, main_blob, n);
    struct hu_kmv kp, kq;
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        same_kmv(hu_profile_set(&p, (enum hu_pset)s, &kp), hu_profile_set(&q, (enum hu_pset)s, &kq));
    hu_profile_fini(&q);
    memcpy(x, main_blob, n);
    x[4] = 1;
    assert_int_equal(hu_profile_deserialize_safe(&q, x, n), HU_EVERSION);
    x[4] = 3;
    assert_int_equal(hu_profile_deserialize_safe(&q, x, n), HU_EVERSION);
    hu_profile_fini(&p);
}

/* ---- allocation failure at promotion ---------------------------------- */

static void promotion_alloc_failure(void **state)
{
    (void)state;
    struct ref_rng g = { 14 };
    unsigned width[HU_PSET_COUNT];
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        width[s] = 50;
    struct hu_profile p;
    struct ref r;
    hu_profile_init(&p, 8);
    ref_init(&r);
    unsigned failed = 0;
    for (unsigned i = 0; i < 60; i++) {
        uint64_t items[HU_PSET_COUNT];
        random_items(&g, width, items);
        struct req q;
        make_req(&q, T0 + (int64_t)i * 1000, items);
        uint8_t before[HU_PROFILE_SERIALIZED_MAX], after[HU_PROFILE_SERIALIZED_MAX];
        size_t nb = ser(&p, before);
        int was_big = hu_profile_sets_big(&p);
        hu_alloc_fail_after(0);                      /* the next allocation fails */
        int rc = hu_profile_observe_request(&p, &q.ev, &q.f);
        hu_alloc_fail_after(-1);
        if (rc == HU_ENOMEM) {
            /* only the promotion allocates; p is exactly as before */
            assert_false(was_big);
            failed++;
            size_t na = ser(&p, after);
            assert_int_equal(na, nb);
            assert_memory_equal(before, after, na);
            assert_int_equal(hu_profile_observe_request(&p, &q.ev, &q.f), HU_OK);
        } else {
            assert_int_equal(rc, HU_OK);
        }
        ref_add(&r, &q);
        check_sets(&p, &r);
    }
    assert_int_equal(failed, 1);                     /* promotion happens once */
    assert_true(hu_profile_sets_big(&p));

    /* merge into a pool-form profile that must promote: dst unchanged */
    struct hu_profile d;
    hu_profile_init(&d, 8);
    uint8_t before[HU_PROFILE_SERIALIZED_MAX], after[HU_PROFILE_SERIALIZED_MAX];
    size_t nb = ser(&d, before);
    hu_alloc_fail_after(0);
    assert_int_equal(hu_profile_merge(&d, &p), HU_ENOMEM);
    hu_alloc_fail_after(-1);
    assert_int_equal(ser(&d, after), nb);
    assert_memory_equal(before, after, nb);
    assert_int_equal(hu_profile_merge(&d, &p), HU_OK);
    check_sets(&d, &r);

    /* deserialize and copy of a big profile: clean HU_ENOMEM */
    size_t n = ser(&p, before);
    struct hu_profile q;
    hu_alloc_fail_after(0);
    assert_int_equal(hu_profile_deserialize_safe(&q, before, n), HU_ENOMEM);
    assert_int_equal(hu_profile_copy(&q, &p), HU_ENOMEM);
    hu_alloc_fail_after(-1);
    assert_false(hu_profile_sets_big(&q));
    assert_int_equal(q.account_hash, p.account_hash);
    hu_profile_fini(&q);
    hu_profile_fini(&d);
    hu_profile_fini(&p);
}

/* Fail every allocation from the n-th on while a table fills: no crash,
 * no leak (ASan), and an account whose request failed is still there with
 * everything it had; the failure is reported to the caller. */
static void table_fail_nth(void **state)
{
    (void)state;
    for (long nth = 0; nth < 60; nth++) {
        struct hu_profile_table *t = NULL;
        if (hu_profile_table_create(0, &t) != HU_OK)
            continue;
        struct ref_rng g = { 15 };
        unsigned width[HU_PSET_COUNT];
        for (unsigned s = 0; s < HU_PSET_COUNT; s++)
            width[s] = 30;
        hu_alloc_fail_after(nth);
        unsigned ok = 0, lost = 0;
        for (unsigned i = 0; i < 120; i++) {
            char id[16];
            int len = snprintf(id, sizeof id, "a%u", i % 6);
            struct hu_profile *p;
            if (hu_profile_table_get(t, id, (size_t)len, &p, NULL) != HU_OK) {
                lost++;
                continue;
            }
            uint64_t n_before = p->n_req;
            uint64_t items[HU_PSET_COUNT];
            random_items(&g, width, items);
            struct req q;
            make_req(&q, T0 + (int64_t)i * 1000, items);
            int rc = hu_profile_observe_request(p, &q.ev, &q.f);
            if (rc == HU_OK) {
                ok++;
                assert_int_equal(p->n_req, n_before + 1);
            } else {
                assert_int_equal(rc, HU_ENOMEM);
                assert_int_equal(p->n_req, n_before);    /* not folded, not lost silently */
                lost++;
            }
            assert_null(hu_profile_validate(p));
        }
        hu_alloc_fail_after(-1);
        assert_int_equal(ok + lost, 120);
        size_t mem = hu_profile_table_memory(t);
        size_t side = 0;
        for (size_t i = 0; i < hu_profile_table_count(t); i++)
            side += hu_profile_side_bytes(hu_profile_table_at(t, i));
        assert_true(mem >= side);
        hu_profile_table_destroy(t);
    }
}

/* The table frees side blocks on eviction and on drain, and counts them. */
static void table_side_blocks(void **state)
{
    (void)state;
    struct hu_profile_table *t;
    assert_int_equal(hu_profile_table_create(0, &t), HU_OK);
    struct ref_rng g = { 16 };
    unsigned width[HU_PSET_COUNT];
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        width[s] = 40;
    struct hu_profile *p;
    assert_int_equal(hu_profile_table_get(t, "heavy", 5, &p, NULL), HU_OK);
    size_t m0 = hu_profile_table_memory(t);
    for (unsigned i = 0; i < 40 && !hu_profile_sets_big(p); i++) {
        uint64_t items[HU_PSET_COUNT];
        random_items(&g, width, items);
        struct req q;
        make_req(&q, T0 + i, items);
        assert_int_equal(hu_profile_observe_request(p, &q.ev, &q.f), HU_OK);
    }
    assert_true(hu_profile_sets_big(p));
    assert_int_equal(hu_profile_table_memory(t), m0 + hu_profile_side_bytes(p));

    /* a bounded table evicts a light account holding a side block (only
     * merges can make one: two requests carry at most 22 set items, so
     * the record is given one by hand) and frees the block (ASan) */
    struct hu_profile_table *b;
    assert_int_equal(hu_profile_table_create(0, &b), HU_OK);
    hu_profile_table_set_max(b, 1);
    struct hu_profile *x;
    assert_int_equal(hu_profile_table_get(b, "one", 3, &x, NULL), HU_OK);
    uint64_t h = x->account_hash;
    assert_int_equal(hu_profile_copy(x, p), HU_OK);
    x->account_hash = h;
    x->n_req = 1;              /* evictable */
    assert_true(hu_profile_sets_big(x));
    assert_int_equal(hu_profile_table_get(b, "two", 3, &x, NULL), HU_OK);   /* evicts "one" */
    assert_int_equal(hu_profile_table_evicted(b), 1);
    assert_false(hu_profile_sets_big(x));
    hu_profile_table_destroy(b);
    uint64_t items[HU_PSET_COUNT];

    /* drain frees the side blocks of drained pages (ASan: no leak, no
     * use after free when destroy runs afterwards) */
    for (unsigned i = 0; i < 600; i++) {
        char id[16];
        int len = snprintf(id, sizeof id, "d%u", i);
        assert_int_equal(hu_profile_table_get(t, id, (size_t)len, &p, NULL), HU_OK);
        if (i % 50 == 0) {
            for (unsigned k = 0; k < 40; k++) {
                random_items(&g, width, items);
                struct req q;
                make_req(&q, T0 + k, items);
                assert_int_equal(hu_profile_observe_request(p, &q.ev, &q.f), HU_OK);
            }
            assert_true(hu_profile_sets_big(p));
        }
    }
    hu_profile_table_drain_to(t, 300);
    hu_profile_table_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_equals_sketches),
        cmocka_unit_test(account_event_feeds_payment),
        cmocka_unit_test(merge_equals_union),
        cmocka_unit_test(serialization_round_trip),
        cmocka_unit_test(format_unchanged),
        cmocka_unit_test(promotion_alloc_failure),
        cmocka_unit_test(table_fail_nth),
        cmocka_unit_test(table_side_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
