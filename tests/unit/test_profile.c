/* test_profile.c -- per-account profiles and the profile table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "profile/profile.h"
#include "profile/profile_table.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "tests/reference/rng.h"
#include "tests/reference/exact_set.h"
#include "test_sketch_util.h"

#define T0 INT64_C(1770732202000)   /* 2026-02-10T14:03:22Z, a Tuesday */
#define HOUR_MS INT64_C(3600000)

static struct hu_span sp(const char *s)
{
    return (struct hu_span){ s, s ? strlen(s) : 0 };
}

static void ev_request(struct hu_event *ev, int64_t ts)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = HU_EV_REQUEST;
    ev->ts_ms = ts;
    ev->account_id = sp("acct-1");
    ev->thinking = -1;
    ev->thinking_budget = HU_EV_ABSENT;
    ev->max_tokens = ev->input_tokens = ev->output_tokens = ev->status = HU_EV_ABSENT;
}

/* A random but plausible request: a few templates, IPs, models. */
static void random_request(struct ref_rng *r, int64_t ts, struct hu_event *ev,
                           struct hu_req_features *f, unsigned n_models)
{
    static const char *const models[] = { "m-a", "m-b", "m-c", "m-d", "m-e", "m-f" };
    ev_request(ev, ts);
    memset(f, 0, sizeof *f);
    ev->thinking = (int)ref_rng_below(r, 3) - 1;
    if (ev->thinking == 1)
        ev->thinking_budget = (int64_t)ref_rng_below(r, 10000);
    ev->max_tokens = ref_rng_below(r, 4) ? (int64_t)ref_rng_below(r, 8192) + 1 : HU_EV_ABSENT;
    ev->input_tokens = (int64_t)ref_rng_below(r, 5000);
    ev->output_tokens = (int64_t)ref_rng_below(r, 5000);
    const int64_t statuses[] = { 200, 200, 200, 429, 400, 500, HU_EV_ABSENT };
    ev->status = statuses[ref_rng_below(r, 7)];
    ev->tools_total = (uint32_t)ref_rng_below(r, 3);
    ev->n_image_blocks = (uint32_t)(ref_rng_below(r, 10) == 0);
    if (ref_rng_below(r, 2))
        ev->org_id = sp(ref_rng_below(r, 2) ? "org-x" : "org-y");
    if (ref_rng_below(r, 2))
        ev->api_key_id = sp(ref_rng_below(r, 2) ? "key-1" : "key-2");
    ev->model = sp(models[ref_rng_below(r, n_models)]);
    f->template_hash = hu_hash_mix(ref_rng_below(r, 12) + 1);
    f->system_hash = hu_hash_mix(ref_rng_below(r, 2) + 100);
    f->tools_hash = ev->tools_total ? hu_hash_mix(200 + ev->tools_total) : 0;
    f->prompt_chars = (uint32_t)ref_rng_below(r, 4000);
    f->lang = (uint8_t)ref_rng_below(r, 5);
    for (unsigned t = 0; t < HU_TARGET_COUNT; t++)
        f->target[t] = (float)ref_rng_unit(r);
    f->ip_hash = hu_hash_mix(300 + ref_rng_below(r, 20));
    f->prefix_hash = hu_hash_mix(400 + ref_rng_below(r, 3));
    f->asn = (uint32_t)(64500 + ref_rng_below(r, 2));
    f->net_class = (uint8_t)ref_rng_below(r, 6);
    f->ua_hash = hu_hash_mix(500 + ref_rng_below(r, 2));
    f->ua_family_hash = hu_hash_mix(600);
    f->client_fp_hash = hu_hash_mix(700 + ref_rng_below(r, 2));
    f->headers_fp_hash = hu_hash_mix(800);
    f->payment_hash = ref_rng_below(r, 5) ? 0 : hu_hash_mix(900);
}

static void ev_account(struct hu_event *ev, int64_t ts)
{
    ev_request(ev, ts);
    ev->kind = HU_EV_ACCOUNT;
    ev->thinking = -1;
}

static size_t ser(const struct hu_profile *p, uint8_t *buf)
{
    size_t n = hu_profile_serialize(p, buf, HU_PROFILE_SERIALIZED_MAX);
    assert_true(n > 0);
    return n;
}

/* ---- basic observation --------------------------------------------------- */

static void observe_basics(void **state)
{
    (void)state;
    struct hu_profile p;
    hu_profile_init(&p, 42);
    assert_null(hu_profile_validate(&p));
    struct hu_event ev;
    struct hu_req_features f;
    memset(&f, 0, sizeof f);
    ev_request(&ev, T0);
    ev.thinking = 1;
    ev.thinking_budget = 2048;
    ev.status = 429;
    ev.max_tokens = 1000;
    ev.input_tokens = 10;
    ev.output_tokens = 200;
    f.template_hash = 7;
    f.target[HU_TARGET_COT] = 1.0f;
    f.target[HU_TARGET_CODING] = 0.5f;
    f.ip_hash = 99;
    f.lang = HU_LANG_ZH;
    hu_profile_observe_request(&p, &ev, &f);
    ev.thinking = 0;
    ev.status = 200;
    ev.ts_ms = T0 + 60000;
    f.target[HU_TARGET_COT] = 0.0f;
    hu_profile_observe_request(&p, &ev, &f);
    assert_null(hu_profile_validate(&p));
    assert_int_equal(p.n_req, 2);
    assert_int_equal(p.hour[14], 2);
    assert_int_equal(p.dow[1], 2);                   /* Tuesday */
    assert_int_equal(p.n_thinking, 1);
    assert_int_equal(p.thinking_budget_sum, 2048);
    assert_int_equal(p.n_429, 1);
    assert_int_equal(p.n_4xx, 1);
    assert_true(hu_profile_error_share(&p) == 0.5);
    assert_true(hu_profile_thinking_share(&p) == 0.5);
    assert_int_equal(p.input_tokens, 20);
    assert_int_equal(p.output_tokens, 400);
    assert_int_equal(p.max_tokens_max, 1000);
    assert_true(fabs(hu_profile_target_share(&p, HU_TARGET_COT) - 0.5) < 1e-4);
    assert_true(fabs(hu_profile_target_share(&p, HU_TARGET_CODING) - 0.5) < 1e-4);
    assert_true(hu_profile_template_distinct(&p) == 1.0);
    assert_true(hu_profile_top_template_share(&p) == 1.0);
    assert_true(hu_profile_set_count(&p, HU_PSET_IP) == 1.0);
    assert_int_equal(p.lang[HU_LANG_ZH], 2);
    assert_int_equal(p.n_gaps, 1);
    assert_int_equal(p.first_ts, T0);
    assert_int_equal(p.last_ts, T0 + 60000);
    assert_true(hu_profile_hour_entropy(&p) == 0.0);
    assert_true(hu_profile_output_input_ratio(&p) == 20.0);
    assert_true(hu_profile_max_tokens_mean(&p) == 1000.0);
    assert_true(hu_profile_prompt_chars_mean(&p) == 0.0);   /* prompt_chars 0, but a template */
    uint32_t local[24];
    hu_profile_hours_local(&p, 8 * 60, local);       /* UTC+8: 22 h local */
    assert_int_equal(local[22], 2);
    hu_profile_hours_local(&p, -5 * 60, local);      /* UTC-5: 9 h local */
    assert_int_equal(local[9], 2);
    /* negative timestamps (before 1970) still land in a valid hour */
    ev.ts_ms = -1;
    hu_profile_observe_request(&p, &ev, NULL);
    assert_int_equal(p.hour[23], 1);
    assert_int_equal(p.dow[2], 1);                   /* 1969-12-31 was a Wednesday */
    assert_int_equal(p.n_late, 1);
    assert_null(hu_profile_validate(&p));
}

/* Hostile timestamps: no overflow (the sanitizer pass traps signed
 * overflow), a valid profile, and a clean round trip. */
static void extreme_timestamps(void **state)
{
    (void)state;
    const int64_t ts[] = { INT64_MAX, INT64_MIN, 0, INT64_MIN + 1, INT64_MAX - 1, -1 };
    struct hu_profile p, q, g;
    hu_profile_init(&p, 1);
    hu_profile_init(&q, 1);
    struct hu_event ev;
    for (unsigned i = 0; i < 6; i++) {
        ev_request(&ev, ts[i]);
        ev.model = sp("m");
        hu_profile_observe_request(i < 3 ? &p : &q, &ev, NULL);
        assert_null(hu_profile_validate(i < 3 ? &p : &q));
    }
    assert_int_equal(hu_profile_merge(&p, &q), HU_OK);
    assert_null(hu_profile_validate(&p));
    assert_int_equal(p.n_req, 6);
    double b, a;
    int rc = hu_profile_model_pivot(&p, hu_hash("m", 1), INT64_MIN, 24, &b, &a);
    assert_true(rc == HU_OK || rc == HU_EINVAL);
    rc = hu_profile_model_pivot(&p, hu_hash("m", 1), INT64_MAX, UINT32_MAX, &b, &a);
    assert_int_equal(rc, HU_EINVAL);
    uint8_t buf[HU_PROFILE_SERIALIZED_MAX];
    size_t n = ser(&p, buf);
    assert_int_equal(hu_profile_deserialize_safe(&g, buf, n), (int)n);
}

static void interarrival(void **state)
{
    (void)state;
    struct hu_profile bot, human;
    hu_profile_init(&bot, 1);
    hu_profile_init(&human, 2);
    struct hu_event ev;
    struct ref_rng r = { 3 };
    int64_t t = T0;
    for (int i = 0; i < 500; i++) {              /* a timer: every 30 s +- 50 ms */
        ev_request(&ev, t + (int64_t)ref_rng_below(&r, 100));
        hu_profile_observe_request(&bot, &ev, NULL);
        t += 30000;
    }
    t = T0;
    for (int i = 0; i < 500; i++) {              /* exponential gaps, mean 60 s */
        ev_request(&ev, t);
        hu_profile_observe_request(&human, &ev, NULL);
        t += (int64_t)(-log(1.0 - ref_rng_unit(&r)) * 60000.0);
    }
    double cb = hu_profile_interarrival_cv(&bot), ch = hu_profile_interarrival_cv(&human);
    printf("# cv bot %.4f human %.4f; log-gap std bot %.3f human %.3f\n", cb, ch,
           hu_profile_log_gap_std(&bot), hu_profile_log_gap_std(&human));
    assert_true(cb >= 0 && cb < 0.01);
    /* prompt length moments: lengths 100 and 300 -> mean 200, std 100 */
    struct hu_profile pl;
    hu_profile_init(&pl, 9);
    struct hu_req_features f;
    memset(&f, 0, sizeof f);
    f.prompt_chars = 100;
    hu_profile_observe_request(&pl, &ev, &f);
    f.prompt_chars = 300;
    hu_profile_observe_request(&pl, &ev, &f);
    assert_true(hu_profile_prompt_chars_mean(&pl) == 200.0);
    assert_true(fabs(hu_profile_prompt_chars_std(&pl) - 100.0) < 1e-9);
    assert_true(ch > 0.7 && ch < 1.3);              /* exponential: cv = 1 */
    assert_true(hu_profile_log_gap_std(&bot) < 0.05);
    assert_true(fabs(hu_profile_log_gap_mean(&bot) - log2(30001.0)) < 0.1);
    /* bursts, session breaks, late events */
    struct hu_profile p;
    hu_profile_init(&p, 3);
    const int64_t ts[] = { 0, 200, 400, 5000, 4000, 5000 + 3600000, 5000 + 3600500 };
    for (unsigned i = 0; i < 7; i++) {
        ev_request(&ev, T0 + ts[i]);
        hu_profile_observe_request(&p, &ev, NULL);
    }
    assert_int_equal(p.n_late, 1);       /* 4000 after 5000 */
    assert_int_equal(p.n_breaks, 1);     /* the hour */
    assert_int_equal(p.n_gaps, 4);       /* 200, 200, 4600, 500 */
    assert_int_equal(p.n_burst_gaps, 3);
    assert_true(hu_profile_interarrival_cv(&human) > 0);
    struct hu_profile e;
    hu_profile_init(&e, 4);
    assert_true(hu_profile_interarrival_cv(&e) == -1.0);
    assert_true(hu_profile_burst_share(&e) == 0.0);
}

static void account_facts(void **state)
{
    (void)state;
    struct hu_profile p;
    hu_profile_init(&p, 5);
    struct hu_event ev;
    ev_account(&ev, T0 + 1000);
    ev.account_type = sp("Education");
    ev.verification = sp("email");
    ev.email_domain = sp("Uni.EDU");
    ev.country = sp("cn");
    ev.payment_fp = sp("card-1");
    ev.org_id = sp("org-1");
    struct hu_req_features f;
    memset(&f, 0, sizeof f);
    f.ip_hash = 11;
    f.prefix_hash = 12;
    hu_profile_observe_account(&p, &ev, &f);
    assert_int_equal(p.facts.type, HU_ACCT_EDUCATION);
    assert_string_equal(hu_account_type_name(p.facts.type), "education");
    assert_int_equal(p.facts.verification, HU_VERIF_EMAIL);
    assert_int_equal(p.facts.email_domain_hash, hu_hash("uni.edu", 7));
    assert_memory_equal(p.facts.country, "CN", 2);
    assert_int_equal(p.facts.payment_hash, hu_hash("card-1", 6));
    assert_int_equal(hu_kmv_contains(hu_profile_set(&p, HU_PSET_PAYMENT, &(struct hu_kmv){ 0 }), hu_hash("card-1", 6)), HU_KMV_YES);
    assert_int_equal(p.facts.signup_ts, T0 + 1000);
    assert_int_equal(p.facts.signup_prefix_hash, 12);
    /* a later change: verification only; an earlier event moves signup */
    ev_account(&ev, T0 + 5000);
    ev.verification = sp("phone");
    ev.account_type = sp("pirate");
    hu_profile_observe_account(&p, &ev, NULL);
    assert_int_equal(p.facts.verification, HU_VERIF_PHONE);
    assert_int_equal(p.facts.type, HU_ACCT_OTHER);
    assert_memory_equal(p.facts.country, "CN", 2);
    assert_int_equal(p.facts.signup_prefix_hash, 12);
    ev_account(&ev, T0 - 5000);
    hu_profile_observe_account(&p, &ev, NULL);
    assert_int_equal(p.facts.signup_ts, T0 - 5000);
    assert_int_equal(p.facts.signup_prefix_hash, 0);   /* no features: unknown */
    assert_int_equal(p.facts.n_events, 3);
    assert_null(hu_profile_validate(&p));
}

/* ---- models ---------------------------------------------------------------- */

static void model_pivot(void **state)
{
    (void)state;
    struct hu_profile p;
    hu_profile_init(&p, 6);
    struct hu_event ev;
    /* release on a 6-hour bucket boundary: the shares are then exact */
    const int64_t release = T0 - T0 % (6 * HOUR_MS) + 48 * HOUR_MS;
    /* two days on m-old, then half the traffic moves to m-new */
    for (int64_t t = T0; t < T0 + 72 * HOUR_MS; t += 60000) {
        ev_request(&ev, t);
        ev.model = sp(t >= release && (t / 60000) % 2 ? "m-new" : "m-old");
        hu_profile_observe_request(&p, &ev, NULL);
    }
    uint64_t mnew = hu_hash("m-new", 5), mold = hu_hash("m-old", 5);
    const struct hu_profile_model *m = hu_profile_model_find(&p, mnew);
    assert_non_null(m);
    assert_true(m->first_ts >= release && m->first_ts < release + 120000);
    double before, after;
    assert_int_equal(hu_profile_model_pivot(&p, mnew, release, 24, &before, &after), HU_OK);
    printf("# pivot: before %.3f after %.3f\n", before, after);
    assert_true(before == 0.0);
    assert_true(fabs(after - 0.5) < 0.02);
    /* mid-bucket, the release bucket mixes in pre-release traffic */
    assert_int_equal(hu_profile_model_pivot(&p, mnew, release + 2 * HOUR_MS, 24, &before,
                                            &after), HU_OK);
    assert_true(before == 0.0 && after > 0.35 && after < 0.55);
    assert_int_equal(hu_profile_model_pivot(&p, mold, release, 24, &before, &after), HU_OK);
    assert_true(before == 1.0);
    assert_int_equal(hu_profile_model_pivot(&p, hu_hash("nope", 4), release, 24, &before,
                                            &after), HU_ENOENT);
    /* a window reaching before the 4-day ring */
    assert_int_equal(hu_profile_model_pivot(&p, mnew, T0 - 48 * HOUR_MS, 24, &before, &after),
                     HU_EINVAL);
    assert_int_equal(hu_profile_model_pivot(&p, mnew, release, 0, &before, &after), HU_EINVAL);
    assert_null(hu_profile_validate(&p));
    /* six models through four slots: the newest is always kept */
    struct hu_profile q;
    hu_profile_init(&q, 7);
    const char *names[] = { "a", "a", "a", "b", "b", "c", "d", "e", "f" };
    for (unsigned i = 0; i < 9; i++) {
        ev_request(&ev, T0 + i);
        ev.model = sp(names[i]);
        hu_profile_observe_request(&q, &ev, NULL);
    }
    assert_non_null(hu_profile_model_find(&q, hu_hash("f", 1)));
    assert_non_null(hu_profile_model_find(&q, hu_hash("a", 1)));
    assert_non_null(hu_profile_model_find(&q, hu_hash("b", 1)));
    assert_int_equal(q.n_model_evictions, 2);
    assert_null(hu_profile_validate(&q));
}

/* ---- bounded memory ------------------------------------------------------- */

static void bounded_memory(void **state)
{
    (void)state;
    struct hu_profile *p = malloc(sizeof *p);
    hu_profile_init(p, 8);
    struct hu_event ev;
    struct hu_req_features f;
    memset(&f, 0, sizeof f);
    uint64_t allocs = hu_alloc_count();
    size_t max_ser = 0;
    uint8_t *buf = malloc(HU_PROFILE_SERIALIZED_MAX);
    const unsigned N = 1000000;
    for (unsigned i = 0; i < N; i++) {
        ev_request(&ev, T0 + (int64_t)i * 250);          /* ~2.9 days */
        ev.model = sp(i % 3 ? "m1" : "m2");
        f.template_hash = hu_hash_mix(i);                  /* all distinct */
        f.ip_hash = hu_hash_mix((uint64_t)i << 20);        /* all distinct */
        f.prefix_hash = hu_hash_mix(i / 256);
        f.asn = i % 5000 + 1;
        hu_profile_observe_request(p, &ev, &f);
        if (i % 100000 == 0) {
            size_t n = hu_profile_serialize(p, buf, HU_PROFILE_SERIALIZED_MAX);
            assert_true(n > 0);
            if (n > max_ser)
                max_ser = n;
        }
    }
    assert_int_equal(hu_alloc_count(), allocs);     /* observe never allocates */
    size_t n = ser(p, buf);
    if (n > max_ser)
        max_ser = n;
    printf("# profile: sizeof %zu bytes, serialized <= %zu bytes after %u requests\n",
           sizeof *p, max_ser, N);
    assert_true(sizeof *p <= 3072);
    assert_true(max_ser <= HU_PROFILE_SERIALIZED_MAX);
    assert_int_equal(p->n_req, N);
    double d = hu_profile_template_distinct(p);
    assert_true(fabs(d - N) / N < 3 * 1.04 / sqrt((double)HU_HLL_M));
    assert_int_equal(hu_profile_set(p, HU_PSET_IP, &(struct hu_kmv){ 0 })->n, HU_KMV_K);
    assert_true(hu_profile_set_count(p, HU_PSET_IP) > 1000);
    assert_null(hu_profile_validate(p));
    struct hu_profile g;
    assert_int_equal(hu_profile_deserialize_safe(&g, buf, n), (int)n);
    uint8_t *buf2 = malloc(HU_PROFILE_SERIALIZED_MAX);
    assert_int_equal(ser(&g, buf2), n);
    assert_memory_equal(buf, buf2, n);
    free(buf2);
    free(buf);
    free(p);
}

/* ---- merge equivalence ---------------------------------------------------- */

struct stream_item {
    int account;                 /* 1: account event */
    struct hu_event ev;
    struct hu_req_features f;
};

/* A stream of `n` events for one account: time order with up to 3 minutes
 * of disorder, the first `split` of them all before the rest. */
static void make_stream(struct ref_rng *r, struct stream_item *s, unsigned n, unsigned split,
                        unsigned n_models)
{
    int64_t t = T0;
    for (unsigned i = 0; i < n; i++) {
        t += (int64_t)ref_rng_below(r, 20 * 60000);
        if (i == split)
            t += 4 * 60000;                        /* seam: later than any jitter */
        int64_t jitter = (int64_t)ref_rng_below(r, 3 * 60000);
        int64_t ts = t - jitter;                    /* B's all after A's latest */
        s[i].account = ref_rng_below(r, 25) == 0;
        random_request(r, ts, &s[i].ev, &s[i].f, n_models);
        if (s[i].account) {
            ev_account(&s[i].ev, ts);
            s[i].ev.account_type = sp(ref_rng_below(r, 2) ? "startup" : "research");
            if (ref_rng_below(r, 2))
                s[i].ev.verification = sp("id");
            s[i].ev.payment_fp = sp(ref_rng_below(r, 2) ? "pay-1" : "pay-2");
            s[i].ev.country = sp(ref_rng_below(r, 2) ? "US" : "SG");
        }
    }
}

static void feed(struct hu_profile *p, const struct stream_item *s, unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i++) {
        if (s[i].account)
            hu_profile_observe_account(p, &s[i].ev, &s[i].f);
        else
            hu_profile_observe_request(p, &s[i].ev, &s[i].f);
    }
}

static void merge_equals_sequential(void **state)
{
    (void)state;
    enum { N = 600 };
    struct stream_item *s = malloc(N * sizeof *s);
    uint8_t *b1 = malloc(HU_PROFILE_SERIALIZED_MAX), *b2 = malloc(HU_PROFILE_SERIALIZED_MAX);
    for (unsigned seed = 0; seed < 40; seed++) {
        struct ref_rng r = { 1234 + seed };
        unsigned n = 1 + (unsigned)ref_rng_below(&r, N);
        unsigned split = (unsigned)ref_rng_below(&r, n + 1);
        make_stream(&r, s, n, split, 4);
        struct hu_profile seq, a, b;
        hu_profile_init(&seq, 77);
        hu_profile_init(&a, 77);
        hu_profile_init(&b, 77);
        feed(&seq, s, 0, n);
        feed(&a, s, 0, split);
        feed(&b, s, split, n);
        assert_int_equal(hu_profile_merge(&a, &b), HU_OK);
        assert_null(hu_profile_validate(&a));
        /* space-saving is the one sketch whose merge is not exact: hold it to
         * its bounds, then compare everything else byte for byte */
        for (uint32_t i = 0; i < a.top_templates.n; i++) {
            uint32_t c, e;
            const struct hu_ss_entry *x = &a.top_templates.e[i];
            if (hu_ss_get(&seq.top_templates, x->key, &c, &e))
                assert_true(x->count - x->err <= c && c - e <= x->count);
        }
        assert_int_equal(a.top_templates.total, seq.top_templates.total);
        a.top_templates = seq.top_templates;
        size_t n1 = ser(&a, b1), n2 = ser(&seq, b2);
        assert_int_equal(n1, n2);
        assert_memory_equal(b1, b2, n1);
        /* merging into an empty profile is a copy */
        struct hu_profile e;
        hu_profile_init(&e, 77);
        assert_int_equal(hu_profile_merge(&e, &seq), HU_OK);
        assert_int_equal(ser(&e, b1), n2);
        assert_memory_equal(b1, b2, n2);
    }
    struct hu_profile x, y;
    hu_profile_init(&x, 1);
    hu_profile_init(&y, 2);
    assert_int_equal(hu_profile_merge(&x, &y), HU_EINVAL);
    free(s);
    free(b1);
    free(b2);
}

/* Outside the exact conditions (overlapping times, > 4 models) merge still
 * gives a valid profile with exact counters. */
static void merge_inexact_cases_stay_valid(void **state)
{
    (void)state;
    enum { N = 400 };
    struct stream_item *s = malloc(N * sizeof *s);
    for (unsigned seed = 0; seed < 30; seed++) {
        struct ref_rng r = { 777 + seed };
        make_stream(&r, s, N, 0, 6);
        struct hu_profile seq, a, b;
        hu_profile_init(&seq, 5);
        hu_profile_init(&a, 5);
        hu_profile_init(&b, 5);
        feed(&seq, s, 0, N);
        for (unsigned i = 0; i < N; i++)            /* interleaved halves */
            feed(i % 2 ? &b : &a, s, i, i + 1);
        assert_int_equal(hu_profile_merge(&a, &b), HU_OK);
        assert_null(hu_profile_validate(&a));
        assert_int_equal(a.n_req, seq.n_req);
        assert_int_equal(a.input_tokens, seq.input_tokens);
        assert_memory_equal(a.hour, seq.hour, sizeof a.hour);
        assert_memory_equal(&a.templates, &seq.templates, sizeof a.templates);
        assert_memory_equal(&a.template_mh, &seq.template_mh, sizeof a.template_mh);
        assert_memory_equal(&a.slot_mh, &seq.slot_mh, sizeof a.slot_mh);
        for (unsigned ps = 0; ps < HU_PSET_COUNT; ps++) {
            struct hu_kmv ka, ks;
            assert_memory_equal(hu_profile_set(&a, (enum hu_pset)ps, &ka),
                                hu_profile_set(&seq, (enum hu_pset)ps, &ks), sizeof ka);
        }
        assert_int_equal(a.set_used, seq.set_used);
        assert_memory_equal(a.set_pool, seq.set_pool, sizeof a.set_pool);
        assert_int_equal(a.first_ts, seq.first_ts);
        assert_int_equal(a.last_ts, seq.last_ts);
    }
    free(s);
}

static void determinism(void **state)
{
    (void)state;
    enum { N = 300 };
    struct stream_item *s = malloc(N * sizeof *s);
    struct ref_rng r = { 99 };
    make_stream(&r, s, N, 0, 3);
    struct hu_profile a, b;
    hu_profile_init(&a, 1);
    hu_profile_init(&b, 1);
    feed(&a, s, 0, N);
    feed(&b, s, 0, N);
    uint8_t b1[HU_PROFILE_SERIALIZED_MAX], b2[HU_PROFILE_SERIALIZED_MAX];
    size_t n1 = ser(&a, b1);
    assert_int_equal(ser(&b, b2), n1);
    assert_memory_equal(b1, b2, n1);
    /* a fixed stream has a fixed fingerprint: catches accidental format or
     * hashing changes (update deliberately with HU_PROFILE_VERSION) */
    printf("# profile bytes %zu digest %016llx\n", n1, (unsigned long long)hu_hash(b1, n1));
    free(s);
}

/* ---- serialization ---------------------------------------------------------- */

static int deser(void *obj, const void *buf, size_t len)
{
    return hu_profile_deserialize_safe(obj, buf, len);
}

static void serialization_damage(void **state)
{
    (void)state;
    enum { N = 200 };
    struct stream_item *s = malloc(N * sizeof *s);
    struct ref_rng r = { 4242 };
    make_stream(&r, s, N, 0, 4);
    struct hu_profile p, g;
    hu_profile_init(&p, 3);
    uint8_t buf[HU_PROFILE_SERIALIZED_MAX];
    size_t n = ser(&p, buf);
    assert_int_equal(hu_profile_deserialize_safe(&g, buf, n), (int)n);
    assert_int_equal(test_damage_accepted(buf, n, deser, &g, 1), 0);
    feed(&p, s, 0, N);
    n = ser(&p, buf);
    assert_int_equal(n, hu_profile_serialized_size(&p));
    assert_int_equal(hu_profile_serialize(&p, buf, n - 1), 0);   /* too small */
    assert_int_equal(hu_profile_deserialize_safe(&g, buf, n), (int)n);
    uint8_t buf2[HU_PROFILE_SERIALIZED_MAX];
    assert_int_equal(ser(&g, buf2), n);
    assert_memory_equal(buf, buf2, n);
    assert_int_equal(test_damage_accepted(buf, n, deser, &g, 1), 0);
    assert_int_equal(hu_profile_deserialize_safe(NULL, buf, n), HU_EINVAL);
    free(s);
}

static void validate_catches(void **state)
{
    (void)state;
    struct hu_profile p, q;
    hu_profile_init(&p, 3);
    struct hu_event ev;
    ev_request(&ev, T0);
    ev.model = sp("m");
    hu_profile_observe_request(&p, &ev, NULL);
    assert_null(hu_profile_validate(&p));
    q = p; q.n_thinking = 2;            assert_non_null(hu_profile_validate(&q));
    q = p; q.hour[3]++;                 assert_non_null(hu_profile_validate(&q));
    q = p; q.first_ts = T0 + 1;         assert_non_null(hu_profile_validate(&q));
    q = p; q.model[1] = q.model[0];     assert_non_null(hu_profile_validate(&q));
    q = p; q.model[0].n = 5;            assert_non_null(hu_profile_validate(&q));
    q = p; q.facts.type = 9;            assert_non_null(hu_profile_validate(&q));
    q = p; q.set_n[2] = 99;             assert_non_null(hu_profile_validate(&q));
    q = p; q.set_n[2] = 9;              assert_non_null(hu_profile_validate(&q));
    q = p; q.set_pool[HU_PROFILE_SET_POOL - 1] = 5; assert_non_null(hu_profile_validate(&q));
    q = p; q.set_sampled = 1u << 12;    assert_non_null(hu_profile_validate(&q));
    q = p; q.set_used = 1;              assert_non_null(hu_profile_validate(&q));
    q = p; q.sent_probation_pos = 16;   assert_non_null(hu_profile_validate(&q));
    q = p; q.n_burst_gaps = 1;          assert_non_null(hu_profile_validate(&q));
    /* an invalid profile serializes, but does not load */
    q = p; q.n_4xx = 1;
    uint8_t buf[HU_PROFILE_SERIALIZED_MAX];
    size_t n = ser(&q, buf);
    struct hu_profile g;
    assert_int_equal(hu_profile_deserialize_safe(&g, buf, n), HU_ECORRUPT);
}

/* ---- table -------------------------------------------------------------------- */

static void table_growth_and_order(void **state)
{
    (void)state;
    struct hu_profile_table *t = NULL;
    assert_int_equal(hu_profile_table_create(0, &t), HU_OK);
    const unsigned N = 100000;
    char id[32];
    struct hu_event ev;
    for (unsigned i = 0; i < N; i++) {
        int len = snprintf(id, sizeof id, "acct-%u", (i * 7919u) % N);
        struct hu_profile *p;
        int created;
        assert_int_equal(hu_profile_table_get(t, id, (size_t)len, &p, &created), HU_OK);
        assert_int_equal(created, 1);
        ev_request(&ev, T0 + i);
        hu_profile_observe_request(p, &ev, NULL);
    }
    assert_int_equal(hu_profile_table_count(t), N);
    /* second pass: found, not created; pointers stable */
    for (unsigned i = 0; i < N; i += 7) {
        int len = snprintf(id, sizeof id, "acct-%u", (i * 7919u) % N);
        struct hu_profile *p;
        int created;
        assert_int_equal(hu_profile_table_get(t, id, (size_t)len, &p, &created), HU_OK);
        assert_int_equal(created, 0);
        assert_ptr_equal(p, hu_profile_table_at(t, i));
        assert_ptr_equal(p, hu_profile_table_find(t, id, (size_t)len));
        assert_int_equal(p->n_req, 1);
        assert_int_equal(p->account_hash, hu_hash(id, (size_t)len));
    }
    /* iteration is first-seen order */
    for (unsigned i = 0; i < N; i += 997) {
        size_t len;
        const char *s = hu_profile_table_id(t, i, &len);
        snprintf(id, sizeof id, "acct-%u", (i * 7919u) % N);
        assert_string_equal(s, id);
        assert_int_equal(hu_profile_table_at(t, i)->first_ts, T0 + i);
    }
    assert_null(hu_profile_table_at(t, N));
    assert_null(hu_profile_table_find(t, "nobody", 6));
    size_t mem = hu_profile_table_memory(t);
    printf("# table: %u accounts, %zu bytes, %.0f bytes/account (sizeof profile %zu)\n", N, mem,
           (double)mem / N, sizeof(struct hu_profile));
    assert_true(mem >= N * sizeof(struct hu_profile));
    assert_true(mem < N * (sizeof(struct hu_profile) + 128));
    struct hu_profile *p;
    assert_int_equal(hu_profile_table_get(t, "", 0, &p, NULL), HU_EINVAL);
    char big[HU_MAX_ID_BYTES + 1];
    memset(big, 'x', sizeof big);
    assert_int_equal(hu_profile_table_get(t, big, sizeof big, &p, NULL), HU_EINVAL);
    hu_profile_table_destroy(t);
    hu_profile_table_destroy(NULL);
}

/* Failing each allocation in turn leaves the table consistent. */
static void table_alloc_failures(void **state)
{
    (void)state;
    struct hu_profile_table *t = NULL;
    assert_int_equal(hu_profile_table_create(0, &t), HU_OK);
    char id[32];
    unsigned made = 0, failures = 0;
    for (unsigned i = 0; i < 3000; i++) {
        int len = snprintf(id, sizeof id, "a%u", made);
        struct hu_profile *p;
        hu_alloc_fail_after((long)(i % 4));
        int rc = hu_profile_table_get(t, id, (size_t)len, &p, NULL);
        hu_alloc_fail_after(-1);
        if (rc == HU_OK) {
            made++;
        } else {
            assert_int_equal(rc, HU_ENOMEM);
            failures++;
        }
        assert_int_equal(hu_profile_table_count(t), made);
    }
    for (unsigned i = 0; i < made; i++) {
        int len = snprintf(id, sizeof id, "a%u", i);
        assert_ptr_equal(hu_profile_table_find(t, id, (size_t)len), hu_profile_table_at(t, i));
    }
    assert_true(failures > 0);
    hu_profile_table_destroy(t);
    for (long k = 0; k < 3; k++) {
        hu_alloc_fail_after(k);
        int rc = hu_profile_table_create(10, &t);
        hu_alloc_fail_after(-1);
        if (rc == HU_OK)
            hu_profile_table_destroy(t);
        else
            assert_null(t);
    }
}

/* Sharding accounts across two tables and merging gives the same profiles
 * as one table (accounts never straddle shards, so profiles are copied). */
static void table_shard_merge(void **state)
{
    (void)state;
    struct hu_profile_table *one, *sh[2], *merged;
    assert_int_equal(hu_profile_table_create(0, &one), HU_OK);
    assert_int_equal(hu_profile_table_create(0, &sh[0]), HU_OK);
    assert_int_equal(hu_profile_table_create(0, &sh[1]), HU_OK);
    assert_int_equal(hu_profile_table_create(0, &merged), HU_OK);
    struct ref_rng r = { 5 };
    char id[32];
    for (unsigned i = 0; i < 5000; i++) {
        int len = snprintf(id, sizeof id, "u%u", (unsigned)ref_rng_below(&r, 300));
        struct hu_event ev;
        struct hu_req_features f;
        random_request(&r, T0 + i * 1000, &ev, &f, 3);
        struct hu_profile *a, *b;
        assert_int_equal(hu_profile_table_get(one, id, (size_t)len, &a, NULL), HU_OK);
        unsigned which = (unsigned)(hu_hash(id, (size_t)len) & 1);
        assert_int_equal(hu_profile_table_get(sh[which], id, (size_t)len, &b, NULL), HU_OK);
        hu_profile_observe_request(a, &ev, &f);
        hu_profile_observe_request(b, &ev, &f);
    }
    assert_int_equal(hu_profile_table_merge(merged, sh[0]), HU_OK);
    assert_int_equal(hu_profile_table_merge(merged, sh[1]), HU_OK);
    assert_int_equal(hu_profile_table_count(merged), hu_profile_table_count(one));
    uint8_t b1[HU_PROFILE_SERIALIZED_MAX], b2[HU_PROFILE_SERIALIZED_MAX];
    for (size_t i = 0; i < hu_profile_table_count(one); i++) {
        size_t len;
        const char *s = hu_profile_table_id(one, i, &len);
        struct hu_profile *m = hu_profile_table_find(merged, s, len);
        assert_non_null(m);
        size_t n1 = ser(hu_profile_table_at(one, i), b1);
        assert_int_equal(ser(m, b2), n1);
        assert_memory_equal(b1, b2, n1);
    }
    hu_profile_table_destroy(one);
    hu_profile_table_destroy(sh[0]);
    hu_profile_table_destroy(sh[1]);
    hu_profile_table_destroy(merged);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(observe_basics),
        cmocka_unit_test(extreme_timestamps),
        cmocka_unit_test(interarrival),
        cmocka_unit_test(account_facts),
        cmocka_unit_test(model_pivot),
        cmocka_unit_test(bounded_memory),
        cmocka_unit_test(merge_equals_sequential),
        cmocka_unit_test(merge_inexact_cases_stay_valid),
        cmocka_unit_test(determinism),
        cmocka_unit_test(serialization_damage),
        cmocka_unit_test(validate_catches),
        cmocka_unit_test(table_growth_and_order),
        cmocka_unit_test(table_alloc_failures),
        cmocka_unit_test(table_shard_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
