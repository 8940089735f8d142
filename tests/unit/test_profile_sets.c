/* test_profile_sets.c -- the bounded sets of a profile in their shared
 * inline pool (HU_PROFILE_SET_POOL items for all 11 sets).
 *
 * Two references:
 *  - plain: 11 independent struct hu_kmv, what main kept.  While they hold
 *    at most HU_PROFILE_SET_POOL items together the pool must answer
 *    exactly as they do (so outputs stay byte-identical);
 *  - exact: per set every distinct item ever added (unbounded, slow) and
 *    the set's sample size k (HU_KMV_K until the overflow rule shrinks
 *    it).  A set must always be the k smallest-rank items of everything
 *    added to it, sampled iff it holds fewer than were added, and the
 *    overflow victim must be the first set in the documented order
 *    (api_key, system, tools, ua_family, ua, headers_fp, client_fp, asn,
 *    payment, prefix, ip) holding more than HU_PROFILE_SET_FLOOR items.
 *    This reference knows nothing of the pool's layout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profile/profile.h"
#include "sketch/sketch_io.h"
#include "core/hash.h"
#include "tests/reference/rng.h"
#include "profile_v2_main_blob.h"

#define T0 INT64_C(1770732202000)
#define POOL HU_PROFILE_SET_POOL
#define MAXALL 4096

/* ---- the exact reference ------------------------------------------------ */

struct eset {
    uint64_t all[MAXALL];   /* distinct items added, rank ascending */
    unsigned n_all;
    unsigned k;             /* sample size: HU_KMV_K, or less once reduced */
};
struct eref {
    struct eset s[HU_PSET_COUNT];
};

static void eref_init(struct eref *r)
{
    memset(r, 0, sizeof *r);
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        r->s[s].k = HU_KMV_K;
}

static unsigned eheld(const struct eset *e)
{
    return e->n_all < e->k ? e->n_all : e->k;
}

static unsigned etotal(const struct eref *r)
{
    unsigned t = 0;
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        t += eheld(&r->s[s]);
    return t;
}

static void eset_insert(struct eset *e, uint64_t x)
{
    uint64_t rx = hu_kmv_rank(x);
    unsigned i = 0;
    while (i < e->n_all && hu_kmv_rank(e->all[i]) < rx)
        i++;
    if (i < e->n_all && e->all[i] == x)
        return;
    assert_true(e->n_all < MAXALL);
    memmove(&e->all[i + 1], &e->all[i], (e->n_all - i) * sizeof(uint64_t));
    e->all[i] = x;
    e->n_all++;
}

static const unsigned victim_order[HU_PSET_COUNT] = {
    HU_PSET_API_KEY, HU_PSET_SYSTEM, HU_PSET_TOOLS, HU_PSET_UA_FAMILY, HU_PSET_UA,
    HU_PSET_HEADERS_FP, HU_PSET_CLIENT_FP, HU_PSET_ASN, HU_PSET_PAYMENT, HU_PSET_PREFIX, HU_PSET_IP,
};

static unsigned victim_of(const unsigned n[HU_PSET_COUNT])
{
    for (unsigned i = 0; i < HU_PSET_COUNT; i++)
        if (n[victim_order[i]] > HU_PROFILE_SET_FLOOR)
            return victim_order[i];
    fail();
    return 0;
}

/* While the pool is over: the victim shrinks its k to one below what it
 * holds. */
static void ereduce(struct eref *r)
{
    while (etotal(r) > POOL) {
        unsigned n[HU_PSET_COUNT];
        for (unsigned s = 0; s < HU_PSET_COUNT; s++)
            n[s] = eheld(&r->s[s]);
        unsigned v = victim_of(n);
        r->s[v].k = n[v] - 1;
        assert_true(r->s[v].k >= HU_PROFILE_SET_FLOOR);
    }
}

static void eref_add(struct eref *r, unsigned s, uint64_t x)
{
    eset_insert(&r->s[s], x);
    ereduce(r);
}

/* Merge: per set the union with k = min(k_a, k_b); then reduce. */
static void eref_merge(struct eref *d, const struct eref *src)
{
    for (unsigned s = 0; s < HU_PSET_COUNT; s++) {
        for (unsigned i = 0; i < src->s[s].n_all; i++)
            eset_insert(&d->s[s], src->s[s].all[i]);
        if (src->s[s].k < d->s[s].k)
            d->s[s].k = src->s[s].k;
    }
    ereduce(d);
}

static void check_exact(const struct hu_profile *p, const struct eref *r)
{
    struct hu_kmv k;
    for (unsigned s = 0; s < HU_PSET_COUNT; s++) {
        const struct eset *e = &r->s[s];
        unsigned n = eheld(e);
        hu_profile_set(p, (enum hu_pset)s, &k);
        assert_int_equal(k.n, n);
        assert_int_equal(k.sampled, e->n_all > n);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(k.h[i], e->all[i]);
        for (unsigned i = n; i < HU_KMV_K; i++)
            assert_int_equal(k.h[i], 0);
        /* the estimate: exact, or (n-1) 2^64 / rank(largest), >= n + 1 */
        double want = n;
        if (e->n_all > n) {
            double u = (double)hu_kmv_rank(e->all[n - 1]) / 18446744073709551616.0;
            want = (double)(n - 1) / u;
            if (want < n + 1.0)
                want = n + 1.0;
        }
        assert_true(hu_profile_set_count(p, (enum hu_pset)s) == want);
        /* membership is never wrong */
        for (unsigned i = 0; i < e->n_all; i++)
            assert_int_not_equal(hu_kmv_contains(&k, e->all[i]), HU_KMV_NO);
    }
    assert_int_equal(hu_profile_set_used(p), etotal(r));
    assert_true(hu_profile_set_used(p) <= POOL);
    assert_null(hu_profile_validate(p));
}

/* ---- the plain reference: 11 struct hu_kmv, main's sets ---------------- */

struct pref {
    struct hu_kmv set[HU_PSET_COUNT];
};

static void pref_init(struct pref *r)
{
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        hu_kmv_init(&r->set[s]);
}

static unsigned pref_total(const struct pref *r)
{
    unsigned n = 0;
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        n += r->set[s].n;
    return n;
}

static void check_plain(const struct hu_profile *p, const struct pref *r)
{
    struct hu_kmv k;
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        assert_memory_equal(hu_profile_set(p, (enum hu_pset)s, &k), &r->set[s], sizeof k);
}

/* ---- streams ------------------------------------------------------------ */

/* One request whose set items are items[] (0 = none), as observe reads
 * them; the api key set takes hu_hash of the key id string. */
struct req {
    struct hu_event ev;
    struct hu_req_features f;
    char key[24];
    uint64_t key_hash;
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
        int n = snprintf(q->key, sizeof q->key, "k%llu", (unsigned long long)items[HU_PSET_API_KEY]);
        q->ev.api_key_id = (struct hu_span){ q->key, (size_t)n };
        q->key_hash = hu_hash(q->key, (size_t)n);
    }
}

/* The items the request adds, in the order observe adds them (api key
 * first, then the feature sets in enum order). */
static unsigned req_items(const struct req *q, unsigned set[HU_PSET_COUNT], uint64_t item[HU_PSET_COUNT])
{
    unsigned n = 0;
    if (q->key_hash) {
        set[n] = HU_PSET_API_KEY;
        item[n++] = q->key_hash;
    }
    const uint64_t v[HU_PSET_COUNT] = {
        [HU_PSET_IP] = q->f.ip_hash, [HU_PSET_PREFIX] = q->f.prefix_hash, [HU_PSET_ASN] = q->f.asn,
        [HU_PSET_CLIENT_FP] = q->f.client_fp_hash, [HU_PSET_HEADERS_FP] = q->f.headers_fp_hash,
        [HU_PSET_UA] = q->f.ua_hash, [HU_PSET_UA_FAMILY] = q->f.ua_family_hash,
        [HU_PSET_PAYMENT] = q->f.payment_hash, [HU_PSET_SYSTEM] = q->f.system_hash,
        [HU_PSET_TOOLS] = q->f.tools_hash,
    };
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        if (v[s]) {
            set[n] = s;
            item[n++] = v[s];
        }
    return n;
}

static void random_width(struct ref_rng *g, unsigned width[HU_PSET_COUNT])
{
    static const unsigned w[] = { 0, 1, 2, 3, 6, 9, 20, 200 };
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        width[s] = w[ref_rng_below(g, sizeof w / sizeof w[0])];
}

static void random_items(struct ref_rng *g, const unsigned width[HU_PSET_COUNT],
                         uint64_t items[HU_PSET_COUNT])
{
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        items[s] = width[s] && ref_rng_below(g, 3) ? 1000u * (s + 1) + ref_rng_below(g, width[s]) + 1
                                                   : 0;
}

/* Observe one random request into p and both references. */
static void feed_one(struct ref_rng *g, const unsigned width[HU_PSET_COUNT], int64_t ts,
                     struct hu_profile *p, struct eref *er, struct pref *pr)
{
    uint64_t items[HU_PSET_COUNT];
    random_items(g, width, items);
    struct req q;
    make_req(&q, ts, items);
    hu_profile_observe_request(p, &q.ev, &q.f);
    unsigned set[HU_PSET_COUNT];
    uint64_t item[HU_PSET_COUNT];
    unsigned n = req_items(&q, set, item);
    for (unsigned i = 0; i < n; i++) {
        if (er)
            eref_add(er, set[i], item[i]);
        if (pr)
            hu_kmv_add(&pr->set[set[i]], item[i]);
    }
}

static size_t ser(const struct hu_profile *p, uint8_t *buf)
{
    size_t n = hu_profile_serialize(p, buf, HU_PROFILE_SERIALIZED_MAX);
    assert_true(n > 0);
    return n;
}

/* ---- tests -------------------------------------------------------------- */

/* Every add, against both references: exact bottom-k samples always, and
 * main's 11 sketches exactly while they fit in the pool. */
static void pool_matches_references(void **state)
{
    (void)state;
    struct ref_rng g = { 11 };
    struct eref *er = malloc(sizeof *er);
    assert_non_null(er);
    unsigned overflowed = 0, fitted = 0, plain_checks = 0;
    for (int round = 0; round < 300; round++) {
        unsigned width[HU_PSET_COUNT];
        random_width(&g, width);
        struct hu_profile p;
        struct pref pr;
        hu_profile_init(&p, 5);
        eref_init(er);
        pref_init(&pr);
        unsigned n = 1 + (unsigned)ref_rng_below(&g, 120);
        for (unsigned i = 0; i < n; i++) {
            feed_one(&g, width, T0 + (int64_t)i * 1000, &p, er, &pr);
            check_exact(&p, er);
            if (pref_total(&pr) <= POOL) {
                check_plain(&p, &pr);
                plain_checks++;
            }
        }
        if (pref_total(&pr) > POOL)
            overflowed++;
        else
            fitted++;
    }
    printf("# %u streams overflowed the pool, %u fitted; %u plain checks\n", overflowed, fitted,
           plain_checks);
    assert_true(overflowed > 30 && fitted > 30);
    free(er);
}

/* The edges by hand: full pool, the 35th item, the victim order, a set
 * that is its own victim, a reduced set. */
static void overflow_edges(void **state)
{
    (void)state;
    struct hu_profile p;
    hu_profile_init(&p, 1);
    /* ip, prefix, asn, client_fp get 8 items each, headers_fp two: 34 */
    static const enum hu_pset eight[] = { HU_PSET_IP, HU_PSET_PREFIX, HU_PSET_ASN, HU_PSET_CLIENT_FP };
    uint64_t x = 1;
    for (unsigned s = 0; s < 4; s++)
        for (unsigned i = 0; i < 8; i++)
            assert_int_equal(hu_profile_set_add(&p, eight[s], x++), 1);
    assert_int_equal(hu_profile_set_add(&p, HU_PSET_HEADERS_FP, 100), 1);
    assert_int_equal(hu_profile_set_add(&p, HU_PSET_HEADERS_FP, 101), 1);
    assert_int_equal(hu_profile_set_used(&p), POOL);
    assert_int_equal(p.set_sampled, 0);
    assert_int_equal(hu_profile_set_add(&p, HU_PSET_HEADERS_FP, 101), 0);   /* duplicate */
    assert_int_equal(hu_profile_set_add(&p, (enum hu_pset)HU_PSET_COUNT, 5), 0);
    /* the 35th: the first set in the order above the floor of 3 is
     * client_fp (headers_fp would hold 3): it gives up its largest rank */
    struct hu_kmv before, k;
    hu_profile_set(&p, HU_PSET_CLIENT_FP, &before);
    assert_int_equal(hu_profile_set_add(&p, HU_PSET_HEADERS_FP, 102), 1);
    assert_int_equal(hu_profile_set_used(&p), POOL);
    hu_profile_set(&p, HU_PSET_CLIENT_FP, &k);
    assert_int_equal(k.n, 7);
    assert_int_equal(k.sampled, 1);
    assert_memory_equal(k.h, before.h, 7 * sizeof(uint64_t));
    assert_int_equal(k.h[7], 0);
    assert_int_equal(hu_profile_set(&p, HU_PSET_HEADERS_FP, &k)->n, 3);
    assert_int_equal(hu_profile_set(&p, HU_PSET_IP, &k)->sampled, 0);
    assert_int_equal(hu_profile_set(&p, HU_PSET_ASN, &k)->sampled, 0);
    /* the next headers_fp item would make it 4 > 3, and headers_fp comes
     * before client_fp: it is its own victim and keeps its 3 smallest */
    uint64_t h4[4];
    hu_profile_set(&p, HU_PSET_HEADERS_FP, &before);
    memcpy(h4, before.h, 3 * sizeof(uint64_t));
    h4[3] = 103;
    for (unsigned i = 3; i > 0 && hu_kmv_rank(h4[i]) < hu_kmv_rank(h4[i - 1]); i--) {
        uint64_t t = h4[i]; h4[i] = h4[i - 1]; h4[i - 1] = t;
    }
    assert_int_equal(hu_profile_set_add(&p, HU_PSET_HEADERS_FP, 103), h4[3] != 103);
    hu_profile_set(&p, HU_PSET_HEADERS_FP, &k);
    assert_int_equal(k.n, 3);
    assert_int_equal(k.sampled, 1);
    assert_memory_equal(k.h, h4, 3 * sizeof(uint64_t));
    assert_int_equal(hu_profile_set(&p, HU_PSET_CLIENT_FP, &k)->n, 7);
    assert_int_equal(hu_profile_set_used(&p), POOL);
    assert_null(hu_profile_validate(&p));
    /* a reduced set keeps its size: an item above its largest rank is
     * refused, one below replaces the largest */
    struct hu_kmv cf;
    hu_profile_set(&p, HU_PSET_CLIENT_FP, &cf);
    uint64_t lo = 0, hi = 0;
    for (uint64_t y = 1000; !lo || !hi; y++) {
        if (hu_kmv_rank(y) < hu_kmv_rank(cf.h[0]) && !lo)
            lo = y;
        if (hu_kmv_rank(y) > hu_kmv_rank(cf.h[6]) && !hi)
            hi = y;
    }
    assert_int_equal(hu_profile_set_add(&p, HU_PSET_CLIENT_FP, hi), 0);
    assert_int_equal(hu_profile_set_add(&p, HU_PSET_CLIENT_FP, lo), 1);
    hu_profile_set(&p, HU_PSET_CLIENT_FP, &k);
    assert_int_equal(k.n, 7);
    assert_int_equal(k.h[0], lo);
    assert_memory_equal(&k.h[1], &cf.h[0], 6 * sizeof(uint64_t));
    assert_int_equal(hu_profile_set_used(&p), POOL);
    /* ip, last in the order, is untouched through all of this */
    assert_int_equal(hu_profile_set(&p, HU_PSET_IP, &k)->n, 8);
    assert_int_equal(k.sampled, 0);
    /* the set being added to is itself the victim: with the new item the
     * largest it is refused (but the set becomes a sample) */
    struct hu_profile q;
    hu_profile_init(&q, 2);
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        for (unsigned i = 0; i < 3; i++)
            assert_int_equal(hu_profile_set_add(&q, (enum hu_pset)s, 500 + 10 * s + i), 1);
    assert_int_equal(hu_profile_set_add(&q, HU_PSET_TOOLS, 1), 1);        /* 34 */
    hu_profile_set(&q, HU_PSET_TOOLS, &before);
    uint64_t big = 0;
    for (uint64_t y = 2000; !big; y++)
        if (hu_kmv_rank(y) > hu_kmv_rank(before.h[3]))
            big = y;
    assert_int_equal(hu_profile_set_add(&q, HU_PSET_TOOLS, big), 0);      /* tools: 5 > 4 */
    hu_profile_set(&q, HU_PSET_TOOLS, &k);
    assert_int_equal(k.n, 4);
    assert_int_equal(k.sampled, 1);
    assert_memory_equal(k.h, before.h, sizeof k.h);
    assert_null(hu_profile_validate(&q));
    /* API key and payment through observe_account share the pool too */
    struct hu_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = HU_EV_ACCOUNT;
    ev.ts_ms = T0;
    ev.payment_fp = (struct hu_span){ "pm_1", 4 };
    hu_profile_observe_account(&q, &ev, NULL);
    assert_int_equal(hu_kmv_contains(hu_profile_set(&q, HU_PSET_PAYMENT, &k), hu_hash("pm_1", 4)),
                     HU_KMV_YES);
    assert_int_equal(hu_profile_set_used(&q), POOL);
    assert_null(hu_profile_validate(&q));
}

/* merge == sequential adds, byte for byte, when nothing overflows; the
 * exact reference's merge always. */
static void merge_cases(void **state)
{
    (void)state;
    struct ref_rng g = { 12 };
    struct eref *ea = malloc(sizeof *ea), *eb = malloc(sizeof *eb);
    assert_non_null(ea);
    assert_non_null(eb);
    unsigned identical = 0, overflowed = 0;
    for (int round = 0; round < 400; round++) {
        unsigned width[HU_PSET_COUNT];
        random_width(&g, width);
        struct hu_profile a, b, all;
        struct pref pall;
        hu_profile_init(&a, 9);
        hu_profile_init(&b, 9);
        hu_profile_init(&all, 9);
        eref_init(ea);
        eref_init(eb);
        pref_init(&pall);
        unsigned na = (unsigned)ref_rng_below(&g, 25), nb = (unsigned)ref_rng_below(&g, 25);
        for (unsigned i = 0; i < na + nb; i++) {
            struct ref_rng g2 = g;   /* the same request into both */
            feed_one(&g, width, T0 + (int64_t)i * 1000, i < na ? &a : &b, i < na ? ea : eb, NULL);
            feed_one(&g2, width, T0 + (int64_t)i * 1000, &all, NULL, &pall);
        }
        assert_int_equal(hu_profile_merge(&a, &b), HU_OK);
        eref_merge(ea, eb);
        check_exact(&a, ea);
        if (pref_total(&pall) <= POOL) {
            /* no overflow anywhere: exactly main's sets, and the same bytes */
            check_plain(&a, &pall);
            check_plain(&all, &pall);
            uint8_t x[HU_PROFILE_SERIALIZED_MAX], y[HU_PROFILE_SERIALIZED_MAX];
            size_t nx = ser(&a, x), ny = ser(&all, y);
            assert_int_equal(nx, ny);
            assert_memory_equal(x, y, nx);
            identical++;
        } else {
            overflowed++;
        }
    }
    printf("# merges: %u without overflow (bytes equal), %u with\n", identical, overflowed);
    assert_true(identical > 50 && overflowed > 50);
    free(ea);
    free(eb);
}

/* Round trip: what this code writes loads back and re-serializes byte for
 * byte, reduced sets (kmv version 2) included. */
static void serialization_round_trip(void **state)
{
    (void)state;
    struct ref_rng g = { 13 };
    unsigned reduced = 0;
    for (int round = 0; round < 200; round++) {
        unsigned width[HU_PSET_COUNT];
        random_width(&g, width);
        struct hu_profile p, q;
        hu_profile_init(&p, 3);
        unsigned n = (unsigned)ref_rng_below(&g, 80);
        for (unsigned i = 0; i < n; i++)
            feed_one(&g, width, T0 + (int64_t)i * 1000, &p, NULL, NULL);
        uint8_t x[HU_PROFILE_SERIALIZED_MAX], y[HU_PROFILE_SERIALIZED_MAX];
        size_t nx = ser(&p, x);
        assert_int_equal(hu_profile_deserialize_safe(&q, x, nx), (int)nx);
        assert_memory_equal(q.set_pool, p.set_pool, sizeof p.set_pool);
        assert_memory_equal(q.set_n, p.set_n, sizeof p.set_n);
        assert_int_equal(q.set_sampled, p.set_sampled);
        assert_int_equal(q.set_used, p.set_used);
        size_t ny = ser(&q, y);
        assert_int_equal(nx, ny);
        assert_memory_equal(x, y, nx);
        struct hu_kmv k;
        for (unsigned s = 0; s < HU_PSET_COUNT; s++)
            reduced += hu_profile_set(&p, (enum hu_pset)s, &k)->sampled && k.n < HU_KMV_K;
    }
    printf("# %u reduced sets round-tripped\n", reduced);
    assert_true(reduced > 20);
}

/* The stream that made main_blob (profile_v2_main_blob.h) with main. */
static void main_stream(struct hu_profile *p, struct pref *pr)
{
    hu_profile_init(p, 4242);
    pref_init(pr);
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
        hu_profile_observe_request(p, &ev, &f);
        const uint64_t it[HU_PSET_COUNT] = {
            f.ip_hash, f.prefix_hash, f.asn, f.client_fp_hash, f.headers_fp_hash, f.ua_hash,
            f.ua_family_hash, f.payment_hash, f.system_hash, f.tools_hash, 0,
        };
        for (unsigned s = 0; s < HU_PSET_COUNT; s++)
            if (it[s])
                hu_kmv_add(&pr->set[s], it[s]);
    }
}

/* The streams that made main_blob_sent / main_blob_plain. */
static void small_stream(struct hu_profile *p, int sentences)
{
    hu_profile_init(p, 4343);
    for (unsigned i = 0; i < 30; i++) {
        struct hu_event ev;
        struct hu_req_features f;
        memset(&ev, 0, sizeof ev);
        memset(&f, 0, sizeof f);
        ev.kind = HU_EV_REQUEST;
        ev.ts_ms = T0 + (int64_t)i * 47000;
        ev.thinking = -1;
        ev.thinking_budget = ev.max_tokens = ev.input_tokens = ev.output_tokens = ev.status =
            HU_EV_ABSENT;
        f.template_hash = hu_hash_mix(i % 5 + 1);
        if (sentences) {
            f.head_hash = hu_hash_mix(1000 + i % 3);
            f.tail_hash = hu_hash_mix(2000 + i);
        }
        f.ip_hash = hu_hash_mix(100 + i);
        f.prefix_hash = hu_hash_mix(200 + i / 10);
        f.asn = 64500 + i % 2;
        f.ua_hash = hu_hash_mix(500 + i % 3);
        f.payment_hash = i % 10 ? 0 : hu_hash_mix(900 + i);
        hu_profile_observe_request(p, &ev, &f);
    }
}

/* Bytes a profile written by main (version-1 HLL and MinHash) loses when
 * written again: the HLL's 1-byte registers or 8-byte sparse hashes become
 * 5-bit registers or 5-byte keys, each non-empty MinHash 4-byte slots
 * 3-byte ones (docs/formats/profile.md). */
static size_t v1_shrink(const struct hu_profile *p)
{
    size_t d = p->templates.dense ? HU_HLL_M - HU_HLL_REG_BYTES
                                  : (size_t)(8 - HU_HLL_SPARSE_BYTES) * p->templates.n_sparse;
    d += hu_minhash_is_empty(&p->template_mh) ? 0 : HU_MINHASH_K;
    d += hu_minhash_is_empty(&p->slot_mh) ? 0 : HU_MINHASH_K;
    return d;
}

/* Blobs main wrote load.  Within the pool they re-serialize byte for byte
 * and equal what this code builds from the same stream; probation tags
 * keep their low 16 bits and still match the same sentences. */
static void main_blobs_load(void **state)
{
    (void)state;
    struct hu_profile p, q;
    uint8_t x[HU_PROFILE_SERIALIZED_MAX];

    /* no sentences: the same profile as this code builds, written in the
     * current formats (main's blob holds version-1 HLL and MinHash: each
     * is shorter now by exactly its packing, v1_shrink) */
    uint8_t y0[HU_PROFILE_SERIALIZED_MAX];
    assert_int_equal(hu_profile_deserialize_safe(&q, main_blob_plain, sizeof main_blob_plain),
                     (int)sizeof main_blob_plain);
    size_t n0 = ser(&q, x);
    assert_int_equal(n0, sizeof main_blob_plain - v1_shrink(&q));
    small_stream(&p, 0);
    assert_int_equal(ser(&p, y0), n0);
    assert_memory_equal(x, y0, n0);
    assert_int_equal(hu_profile_set_used(&p), 19);
    assert_int_equal(p.set_sampled, 1u << HU_PSET_IP);

    /* sentences on probation: main's 32-bit tags load as this code's */
    assert_int_equal(hu_profile_deserialize_safe(&q, main_blob_sent, sizeof main_blob_sent),
                     (int)sizeof main_blob_sent);
    small_stream(&p, 1);
    unsigned used = 0;
    for (unsigned i = 0; i < HU_PROFILE_PROBATION; i++)
        used += p.sent_probation[i] != 0;
    assert_true(used > 8);
    assert_memory_equal(q.sent_probation, p.sent_probation, sizeof p.sent_probation);
    assert_int_equal(q.sent_probation_pos, p.sent_probation_pos);
    uint8_t y[HU_PROFILE_SERIALIZED_MAX];
    size_t n = ser(&q, x);
    assert_int_equal(n, sizeof main_blob_sent - v1_shrink(&q));
    assert_int_equal(ser(&p, y), n);
    assert_memory_equal(x, y, n);
    assert_false(memcmp(x, main_blob_sent, n) == 0);   /* the tags' high halves are gone */
    /* a loaded tag still admits its sentence on the second sighting */
    uint32_t c, e;
    assert_false(hu_ss_get(&q.top_sentences, hu_hash_combine(hu_hash_mix(2000 + 29), UINT64_C(0x5441494c)), &c, &e));
    struct hu_event ev;
    struct hu_req_features f;
    memset(&ev, 0, sizeof ev);
    memset(&f, 0, sizeof f);
    ev.kind = HU_EV_REQUEST;
    ev.ts_ms = T0 + 30 * 47000;
    ev.thinking = -1;
    ev.thinking_budget = ev.max_tokens = ev.input_tokens = ev.output_tokens = ev.status = HU_EV_ABSENT;
    f.template_hash = hu_hash_mix(1);
    f.tail_hash = hu_hash_mix(2000 + 29);
    hu_profile_observe_request(&q, &ev, &f);
    assert_true(hu_ss_get(&q.top_sentences, hu_hash_combine(hu_hash_mix(2000 + 29), UINT64_C(0x5441494c)), &c, &e));
    assert_int_equal(c, 2);

    /* 49 set items, past the pool: loaded by the overflow rule, the same
     * every time, and from then on stable */
    struct pref pr;
    main_stream(&p, &pr);
    assert_int_equal(pref_total(&pr), 49);
    assert_int_equal(hu_profile_deserialize_safe(&q, main_blob, sizeof main_blob), (int)sizeof main_blob);
    struct hu_kmv want[HU_PSET_COUNT];
    memcpy(want, pr.set, sizeof want);
    unsigned total = 49;
    while (total > POOL) {
        unsigned cnt[HU_PSET_COUNT];
        for (unsigned s = 0; s < HU_PSET_COUNT; s++)
            cnt[s] = want[s].n;
        unsigned v = victim_of(cnt);
        want[v].h[--want[v].n] = 0;
        want[v].sampled = 1;
        total--;
    }
    struct hu_kmv k;
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        assert_memory_equal(hu_profile_set(&q, (enum hu_pset)s, &k), &want[s], sizeof k);
    assert_int_equal(hu_profile_set_used(&q), POOL);
    n = ser(&q, x);
    assert_true(n < sizeof main_blob);
    struct hu_profile r;
    assert_int_equal(hu_profile_deserialize_safe(&r, x, n), (int)n);
    assert_int_equal(ser(&r, y), n);
    assert_memory_equal(x, y, n);
    /* every other field came through unchanged */
    assert_int_equal(q.n_req, p.n_req);
    assert_memory_equal(&q.templates, &p.templates, sizeof p.templates);
    assert_memory_equal(&q.template_mh, &p.template_mh, sizeof p.template_mh);
}

static size_t reseal_kmv(uint8_t *b, uint8_t version)
{
    b[4] = version;
    uint32_t pl = hu__get_u32(b + 8);
    hu__put_u32(b + 12, hu__sketch_check(b, pl));
    return HU__SKETCH_HDR + pl;
}

/* Hostile blobs: each version's rule for reduced samples, and records
 * whose pool bookkeeping or probation position is off. */
static void hostile_blobs(void **state)
{
    (void)state;
    struct hu_kmv k, r;
    uint8_t b[HU_KMV_SERIALIZED_MAX];
    hu_kmv_init(&k);
    for (uint64_t i = 1; i <= 3; i++)
        hu_kmv_add(&k, i);
    k.sampled = 1;                                     /* a bottom-3 sample */
    size_t n = hu_kmv_serialize(&k, b);
    assert_int_equal(b[4], HU_KMV_VERSION_REDUCED);
    assert_int_equal(hu_kmv_deserialize_safe(&r, b, n), (int)n);
    assert_memory_equal(&r, &k, sizeof k);
    reseal_kmv(b, HU_KMV_VERSION);                     /* v1 says sampled => full */
    assert_int_equal(hu_kmv_deserialize_safe(&r, b, n), HU_ECORRUPT);
    reseal_kmv(b, 3);
    assert_int_equal(hu_kmv_deserialize_safe(&r, b, n), HU_EVERSION);
    /* v2 for anything but a reduced sample is refused */
    k.sampled = 0;
    n = hu_kmv_serialize(&k, b);
    assert_int_equal(b[4], HU_KMV_VERSION);
    reseal_kmv(b, HU_KMV_VERSION_REDUCED);
    assert_int_equal(hu_kmv_deserialize_safe(&r, b, n), HU_ECORRUPT);
    for (uint64_t i = 4; i <= 20; i++)
        hu_kmv_add(&k, i);                             /* full and sampled */
    n = hu_kmv_serialize(&k, b);
    assert_int_equal(b[4], HU_KMV_VERSION);
    reseal_kmv(b, HU_KMV_VERSION_REDUCED);
    assert_int_equal(hu_kmv_deserialize_safe(&r, b, n), HU_ECORRUPT);

    /* a profile whose probation position is out of range does not load */
    struct hu_profile p, q;
    small_stream(&p, 1);
    uint8_t x[HU_PROFILE_SERIALIZED_MAX];
    p.sent_probation_pos = 16;
    assert_non_null(hu_profile_validate(&p));
    n = ser(&p, x);
    assert_int_equal(hu_profile_deserialize_safe(&q, x, n), HU_ECORRUPT);
    p.sent_probation_pos = 3;
    n = ser(&p, x);
    assert_int_equal(hu_profile_deserialize_safe(&q, x, n), (int)n);
    /* pool bookkeeping */
    struct hu_profile t;
    t = p; t.set_used++;                    assert_non_null(hu_profile_validate(&t));
    t = p; t.set_n[HU_PSET_TOOLS] = 1;      assert_non_null(hu_profile_validate(&t));
    t = p; t.set_pool[POOL - 1] = 7;        assert_non_null(hu_profile_validate(&t));
    t = p; t.set_sampled |= 1u << HU_PSET_TOOLS;   /* sampled and empty */
    assert_non_null(hu_profile_validate(&t));
    t = p; { uint64_t s0 = t.set_pool[0]; t.set_pool[0] = t.set_pool[1]; t.set_pool[1] = s0; }
    assert_non_null(hu_profile_validate(&t));
}

/* struct layout: pointer-free, no holes between the fields this change
 * arranged, and the size the docs quote. */
static void layout(void **state)
{
    (void)state;
    assert_int_equal(offsetof(struct hu_profile, n_model_evictions),
                     offsetof(struct hu_profile, n_breaks) + 4);
    assert_int_equal(offsetof(struct hu_profile, gap_sum),
                     offsetof(struct hu_profile, n_model_evictions) + 4);
    assert_int_equal(offsetof(struct hu_profile, set_n), offsetof(struct hu_profile, slot_mh) +
                                                             sizeof(struct hu_minhash));
    assert_int_equal(offsetof(struct hu_profile, set_pool),
                     offsetof(struct hu_profile, sent_probation) + 2 * HU_PROFILE_PROBATION);
    assert_int_equal(offsetof(struct hu_profile, ring_total) + 2 * HU_PROFILE_RING,
                     offsetof(struct hu_profile, model));
    printf("# sizeof(struct hu_profile) = %zu\n", sizeof(struct hu_profile));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_matches_references),
        cmocka_unit_test(overflow_edges),
        cmocka_unit_test(merge_cases),
        cmocka_unit_test(serialization_round_trip),
        cmocka_unit_test(main_blobs_load),
        cmocka_unit_test(hostile_blobs),
        cmocka_unit_test(layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
