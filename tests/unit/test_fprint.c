/* test_fprint.c -- fingerprint library: keyed tokens, file format (round
 * trip, every corruption refused), the per-request llr against a slow
 * reference, CUSUM binding and its bound, calibration, merge and prune. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "fprint/fprint.h"
#include "fprint/params.h"

static void uniform_dist(struct hu_fp_dist *d)
{
    for (int h = 0; h < 24; h++) d->hour[h] = 1.0f / 24;
    for (int k = 0; k < HU_FP_NCAT; k++) d->target[k] = 1.0f / HU_FP_NCAT;
    d->thinking = 0.2f;
    d->plen_mu = 100;
    d->plen_sd = 50;
    for (int t = 0; t < HU_FP_TOK_COUNT; t++) d->present[t] = 0.3f;
}

/* A library of n_entries campaigns; campaign i uses system value 1000+i
 * (pc 0.9, unseen in the background) and the common client value 7 (pc
 * 0.5, background 0.25), works 01-08 UTC and extracts reasoning. */
static void make_lib(struct hu_fp_lib *lib, const struct hu_fp_key *key, size_t n_entries)
{
    hu_fp_lib_init(lib);
    lib->key_id = hu_fp_key_id(key);
    lib->created_ms = 1768780800000LL;
    uniform_dist(&lib->bg);
    lib->bg_accounts = 1000;
    lib->bg_requests = 100000;
    for (size_t i = 0; i < n_entries; i++) {
        struct hu_fp_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.id, sizeof e.id, "C-%012zx", i + 1);
        e.first_seen_ms = lib->created_ms - 86400000LL * 5;
        e.last_seen_ms = e.confirmed_ms = lib->created_ms;
        e.members = 10;
        e.requests = 1000;
        e.score = 0.9f;
        e.action = HU_ACTION_BLOCK;
        for (int h = 0; h < 24; h++) e.d.hour[h] = h >= 1 && h <= 8 ? 0.12f : 0.04f / 16 * 1.0f;
        double s = 0;
        for (int h = 0; h < 24; h++) s += e.d.hour[h];
        for (int h = 0; h < 24; h++) e.d.hour[h] = (float)(e.d.hour[h] / s);
        for (int k = 0; k < HU_FP_NCAT; k++) e.d.target[k] = 0.02f;
        e.d.target[HU_TARGET_COT] = 1 - 0.02f * (HU_FP_NCAT - 1);
        e.d.thinking = 0.9f;
        e.d.plen_mu = 300;
        e.d.plen_sd = 40;
        for (int t = 0; t < HU_FP_TOK_COUNT; t++) e.d.present[t] = 0.95f;
        struct hu_fp_token t[2];
        memset(t, 0, sizeof t);
        t[0].key = hu_fp_token(key, HU_FP_TOK_SYSTEM, 1000 + i);
        t[0].type = HU_FP_TOK_SYSTEM;
        t[0].pc = 0.9f;
        t[0].pb = 0;
        t[1].key = hu_fp_token(key, HU_FP_TOK_CLIENT_FP, 7);
        t[1].type = HU_FP_TOK_CLIENT_FP;
        t[1].pc = 0.5f;
        t[1].pb = 0.25f;
        assert_int_equal(hu_fp_lib_add(lib, &e, t, 2), HU_OK);
    }
    assert_int_equal(hu_fp_lib_finish(lib), HU_OK);
    assert_null(hu_fp_lib_validate(lib));
}

static void campaign_req(struct hu_fp_req *r, const struct hu_fp_key *key, size_t entry, int64_t ts)
{
    memset(r, 0, sizeof *r);
    r->ts_ms = ts;
    r->tok[HU_FP_TOK_SYSTEM] = hu_fp_token(key, HU_FP_TOK_SYSTEM, 1000 + entry);
    r->tok[HU_FP_TOK_CLIENT_FP] = hu_fp_token(key, HU_FP_TOK_CLIENT_FP, 7);
    r->cat[HU_TARGET_COT] = 1;
    r->thinking = 1;
    r->hour = 3;
    r->prompt_chars = 310;
}

static void benign_req(struct hu_fp_req *r, const struct hu_fp_key *key, uint64_t i, int64_t ts)
{
    memset(r, 0, sizeof *r);
    r->ts_ms = ts;
    r->tok[HU_FP_TOK_SYSTEM] = hu_fp_token(key, HU_FP_TOK_SYSTEM, 5000 + i % 50);
    r->tok[HU_FP_TOK_CLIENT_FP] = hu_fp_token(key, HU_FP_TOK_CLIENT_FP, i % 3 ? 7 : 8);
    r->cat[HU_TARGET_COUNT] = 1;
    r->thinking = 0;
    r->hour = (uint8_t)(9 + i % 12);
    r->prompt_chars = (uint32_t)(40 + i % 100);
}

static void keyed_tokens_depend_on_key_and_type(void **state)
{
    (void)state;
    struct hu_fp_key a, b;
    hu_fp_key_default(&a);
    b = a;
    b.k[0] ^= 1;
    assert_int_equal(hu_fp_token(&a, HU_FP_TOK_SYSTEM, 42), hu_fp_token(&a, HU_FP_TOK_SYSTEM, 42));
    assert_int_not_equal(hu_fp_token(&a, HU_FP_TOK_SYSTEM, 42), hu_fp_token(&b, HU_FP_TOK_SYSTEM, 42));
    assert_int_not_equal(hu_fp_token(&a, HU_FP_TOK_SYSTEM, 42), hu_fp_token(&a, HU_FP_TOK_TOOLS, 42));
    assert_int_not_equal(hu_fp_token(&a, HU_FP_TOK_SYSTEM, 42), 42);
    assert_int_not_equal(hu_fp_key_id(&a), hu_fp_key_id(&b));
}

/* Slow reference of the llr: the formula of fprint.c's essay, written out. */
static double ref_llr(const struct hu_fp_lib *lib, size_t ei, const struct hu_fp_req *r)
{
    const struct hu_fp_entry *e = &lib->e[ei];
    double tot = 0, client = 0, wording = -1e9;
    int nc = 0, sel = 0;
    for (int t = 0; t < HU_FP_TOK_COUNT; t++) {
        if (!r->tok[t]) continue;
        double mc = 0, mb = 0, l = 0;
        int hit = 0, any = 0;
        for (uint32_t k = 0; k < e->n_tok; k++) {
            const struct hu_fp_token *tk = &lib->tok[e->tok_off + k];
            if (tk->type != t) continue;
            any = 1;
            mc += tk->pc;
            mb += tk->pb;
            if (tk->key == r->tok[t]) {
                hit = 1;
                sel |= tk->pb < HU_FP_CAND_MAX_PB;
                l = log(fmax(tk->pc, HU_FP_PC_FLOOR) / fmax(tk->pb, HU_FP_PB_FLOOR));
                l = fmin(fmax(l, HU_FP_HIT_MIN), HU_FP_HIT_MAX);
            }
        }
        if (!any) continue;
        if (!hit) {
            l = log(fmax(1 - mc, HU_FP_OTHER_FLOOR) / fmax(1 - mb, HU_FP_OTHER_FLOOR));
            l = fmin(fmax(l, HU_FP_MISS_MIN), HU_FP_MISS_MAX);
        }
        if (t == HU_FP_TOK_CLIENT_FP || t == HU_FP_TOK_HEADERS_FP || t == HU_FP_TOK_UA) { client += l; nc++; }
        else if (t == HU_FP_TOK_TEMPLATE || t == HU_FP_TOK_HEAD || t == HU_FP_TOK_TAIL) wording = fmax(wording, l);
        else tot += l;
    }
    if (nc) tot += client / nc;
    for (int t = HU_FP_TOK_SYSTEM; t <= HU_FP_TOK_TOOLS; t++) {
        int any = 0;
        for (uint32_t k = 0; k < e->n_tok; k++) any |= lib->tok[e->tok_off + k].type == t;
        if (!any) continue;
        double pc = r->tok[t] ? e->d.present[t] : 1 - e->d.present[t];
        double pb = r->tok[t] ? lib->bg.present[t] : 1 - lib->bg.present[t];
        tot += fmin(fmax(log(pc / pb), HU_FP_PRESENT_MIN), HU_FP_PRESENT_MAX);
    }
    if (wording > -1e9) tot += wording;
    tot += fmin(fmax(log(e->d.hour[r->hour] / lib->bg.hour[r->hour]), -HU_FP_HOUR_MAX), HU_FP_HOUR_MAX);
    double pc = 0, pb = 0;
    for (int k = 0; k < HU_FP_NCAT; k++) { pc += r->cat[k] * e->d.target[k]; pb += r->cat[k] * lib->bg.target[k]; }
    tot += fmin(fmax(log(pc / pb), -HU_FP_TARGET_MAX), HU_FP_TARGET_MAX);
    if (r->thinking >= 0) {
        double tc = r->thinking ? e->d.thinking : 1 - e->d.thinking, tb = r->thinking ? lib->bg.thinking : 1 - lib->bg.thinking;
        tot += fmin(fmax(log(tc / tb), -HU_FP_THINK_MAX), HU_FP_THINK_MAX);
    }
    if (r->prompt_chars) {
        double x = r->prompt_chars;
        double zc = (x - e->d.plen_mu) / e->d.plen_sd, zb = (x - lib->bg.plen_mu) / lib->bg.plen_sd;
        double l = -0.5 * zc * zc - log(e->d.plen_sd) + 0.5 * zb * zb + log(lib->bg.plen_sd);
        tot += fmin(fmax(l, -HU_FP_PLEN_MAX), HU_FP_PLEN_MAX);
    }
    if (!sel && tot > 0) tot = 0;
    return fmin(fmax(tot, HU_FP_REQ_MIN), HU_FP_REQ_MAX);
}

static void llr_matches_reference(void **state)
{
    (void)state;
    struct hu_fp_key key;
    hu_fp_key_default(&key);
    struct hu_fp_lib lib;
    make_lib(&lib, &key, 5);
    struct hu_fp_req r;
    struct hu_fp_llr l;
    for (uint64_t i = 0; i < 200; i++) {
        if (i % 2) campaign_req(&r, &key, i % 5, lib.created_ms);
        else benign_req(&r, &key, i, lib.created_ms);
        if (i % 7 == 0) r.thinking = -1;
        if (i % 11 == 0) r.prompt_chars = 0;
        for (size_t e = 0; e < lib.n; e++) {
            hu_fp_llr(&lib, e, &r, &l);
            assert_true(fabs(l.total - ref_llr(&lib, e, &r)) < 1e-4);
        }
    }
    /* a campaign's own request is evidence for it, and against the others */
    campaign_req(&r, &key, 2, lib.created_ms);
    hu_fp_llr(&lib, 2, &r, &l);
    assert_true(l.total > 5);
    assert_int_equal(l.hit[HU_FP_TOK_SYSTEM], 1);
    hu_fp_llr(&lib, 3, &r, &l);
    assert_int_equal(l.hit[HU_FP_TOK_SYSTEM], 0);
    assert_true(l.tok[HU_FP_TOK_SYSTEM] < 0);
    hu_fp_lib_fini(&lib);
}

static void cusum_binds_campaign_not_benign(void **state)
{
    (void)state;
    struct hu_fp_key key;
    hu_fp_key_default(&key);
    struct hu_fp_lib lib;
    make_lib(&lib, &key, 50);
    struct hu_fp_online on;
    assert_int_equal(hu_fp_online_init(&on, &lib, &key), HU_OK);
    struct hu_fp_req r;
    /* 100 benign accounts x 200 requests: never bound */
    for (uint64_t a = 0; a < 100; a++)
        for (uint64_t i = 0; i < 200; i++) {
            benign_req(&r, &key, a * 7 + i, lib.created_ms + (int64_t)i * 60000);
            assert_int_equal(hu_fp_online_observe(&on, 0x1000 + a, &r), HU_OK);
        }
    for (uint64_t a = 0; a < 100; a++)
        assert_int_equal(hu_fp_online_get(&on, 0x1000 + a)->bound_at, 0);
    /* a campaign account: bound to its entry within threshold / min llr requests */
    for (uint64_t i = 0; i < 20; i++) {
        campaign_req(&r, &key, 17, lib.created_ms + (int64_t)i * 60000);
        assert_int_equal(hu_fp_online_observe(&on, 0x99, &r), HU_OK);
    }
    const struct hu_fp_account *st = hu_fp_online_get(&on, 0x99);
    assert_non_null(st);
    assert_int_equal(st->n_req, 20);
    assert_true(st->bound_at >= 2 && st->bound_at <= 4);
    assert_int_equal(st->bound.entry, 18);
    assert_true(st->bound.s >= lib.threshold);
    assert_int_equal(st->bound.hit[HU_FP_TOK_SYSTEM], st->bound.seen[HU_FP_TOK_SYSTEM]);
    /* a bound result names the campaign and its features, and is flagged */
    struct hu_account_result ar;
    memset(&ar, 0, sizeof ar);
    ar.action = ar.would = HU_ACTION_ALLOW;
    hu_fp_bind_result(&lib, st, &ar, 0);
    assert_int_equal(ar.action, HU_ACTION_BLOCK);
    assert_true(ar.score >= 0.9 - 1e-6);
    assert_string_equal(ar.reasons[0].code, "known_campaign=C-000000000012;sprt_llr");
    int has_system = 0;
    for (unsigned k = 0; k < ar.n_reasons; k++)
        has_system |= !strcmp(ar.reasons[k].code, "fp_system") && ar.reasons[k].value == 1.0;
    assert_true(has_system);
    /* shadow mode: would only */
    memset(&ar, 0, sizeof ar);
    hu_fp_bind_result(&lib, st, &ar, 1);
    assert_int_equal(ar.action, HU_ACTION_ALLOW);
    assert_int_equal(ar.would, HU_ACTION_BLOCK);
    hu_fp_online_fini(&on);
    hu_fp_lib_fini(&lib);
}

/* The matcher's states survive a save and load (the service's
 * checkpoint): a bound account stays bound, and goes on exactly as the
 * uninterrupted matcher; damaged bytes are refused whole, another
 * library's states are EVERSION. */
static void online_save_load(void **state)
{
    (void)state;
    struct hu_fp_key key;
    hu_fp_key_default(&key);
    struct hu_fp_lib lib, other;
    make_lib(&lib, &key, 20);
    make_lib(&other, &key, 21);
    struct hu_fp_online on, back;
    assert_int_equal(hu_fp_online_init(&on, &lib, &key), HU_OK);
    struct hu_fp_req r;
    for (uint64_t i = 0; i < 10; i++) {
        campaign_req(&r, &key, 5, lib.created_ms + (int64_t)i * 60000);
        assert_int_equal(hu_fp_online_observe(&on, 0x77, &r), HU_OK);
        benign_req(&r, &key, i, lib.created_ms + (int64_t)i * 60000);
        assert_int_equal(hu_fp_online_observe(&on, 0x78, &r), HU_OK);
    }
    assert_true(hu_fp_online_get(&on, 0x77)->bound_at > 0);
    size_t need = hu_fp_online_save(&on, NULL, 0);
    assert_true(need > 2 * sizeof(struct hu_fp_account));
    unsigned char *buf = malloc(need);
    assert_non_null(buf);
    assert_int_equal(hu_fp_online_save(&on, buf, need), need);
    assert_int_equal(hu_fp_online_init(&back, &lib, &key), HU_OK);
    assert_int_equal(hu_fp_online_load(&back, buf, need), HU_OK);
    assert_int_equal(back.n, 2);
    assert_memory_equal(hu_fp_online_get(&back, 0x77), hu_fp_online_get(&on, 0x77), sizeof(struct hu_fp_account));
    /* both go on alike */
    for (uint64_t i = 10; i < 15; i++) {
        benign_req(&r, &key, i, lib.created_ms + (int64_t)i * 60000);
        assert_int_equal(hu_fp_online_observe(&on, 0x78, &r), HU_OK);
        assert_int_equal(hu_fp_online_observe(&back, 0x78, &r), HU_OK);
    }
    assert_memory_equal(hu_fp_online_get(&back, 0x78), hu_fp_online_get(&on, 0x78), sizeof(struct hu_fp_account));
    hu_fp_online_fini(&back);
    /* a loaded matcher refuses a second load; a short or long length, a
     * bad magic, an entry past the library: refused, nothing loaded */
    assert_int_equal(hu_fp_online_init(&back, &lib, &key), HU_OK);
    assert_int_equal(hu_fp_online_load(&back, buf, need - 1), HU_ECORRUPT);
    assert_int_equal(hu_fp_online_load(&back, buf, 8), HU_ECORRUPT);
    buf[0] ^= 1;
    assert_int_equal(hu_fp_online_load(&back, buf, need), HU_ECORRUPT);
    buf[0] ^= 1;
    struct hu_fp_account bad;
    size_t off = need - sizeof bad;   /* the last account */
    memcpy(&bad, buf + off, sizeof bad);
    bad.c[0].entry = (uint32_t)lib.n + 1;
    memcpy(buf + off, &bad, sizeof bad);
    assert_int_equal(hu_fp_online_load(&back, buf, need), HU_ECORRUPT);
    assert_int_equal(back.n, 0);
    assert_null(hu_fp_online_get(&back, 0x77));
    hu_fp_online_fini(&back);
    /* another library: EVERSION */
    assert_int_equal(hu_fp_online_init(&back, &other, &key), HU_OK);
    assert_int_equal(hu_fp_online_load(&back, buf, need), HU_EVERSION);
    assert_int_equal(back.n, 0);
    hu_fp_online_fini(&back);
    free(buf);
    hu_fp_online_fini(&on);
    hu_fp_lib_fini(&lib);
    hu_fp_lib_fini(&other);
}

/* Wald's lower boundary: a candidate an account keeps contradicting is
 * rejected for good, so a long honest account cannot drift over the bound
 * by chance later on. */
static void sprt_rejects_for_good(void **state)
{
    (void)state;
    struct hu_fp_key key;
    hu_fp_key_default(&key);
    struct hu_fp_lib lib;
    make_lib(&lib, &key, 4);
    struct hu_fp_online on;
    assert_int_equal(hu_fp_online_init(&on, &lib, &key), HU_OK);
    struct hu_fp_req r;
    campaign_req(&r, &key, 2, lib.created_ms);
    assert_int_equal(hu_fp_online_observe(&on, 7, &r), HU_OK);
    const struct hu_fp_account *st = hu_fp_online_get(&on, 7);
    assert_int_equal(st->c[0].entry + st->c[1].entry + st->c[2].entry + st->c[3].entry, 3);
    assert_int_equal(st->bound_at, 0);
    for (uint64_t i = 0; i < 50; i++) {
        benign_req(&r, &key, i, lib.created_ms);
        assert_int_equal(hu_fp_online_observe(&on, 7, &r), HU_OK);
    }
    st = hu_fp_online_get(&on, 7);
    assert_int_equal(st->n_rejected, 1);
    assert_int_equal(st->rejected[0], 3);
    for (int k = 0; k < HU_FP_CANDIDATES; k++)
        assert_int_equal(st->c[k].entry, 0);
    /* the campaign's requests no longer propose it */
    for (int i = 0; i < 20; i++) {
        campaign_req(&r, &key, 2, lib.created_ms);
        assert_int_equal(hu_fp_online_observe(&on, 7, &r), HU_OK);
    }
    assert_int_equal(hu_fp_online_get(&on, 7)->bound_at, 0);
    hu_fp_online_fini(&on);
    hu_fp_lib_fini(&lib);
}

static void age_decay_slows_binding(void **state)
{
    (void)state;
    struct hu_fp_key key;
    hu_fp_key_default(&key);
    struct hu_fp_lib lib;
    make_lib(&lib, &key, 3);
    assert_true(fabs(hu_fp_age_weight(&lib, 0, lib.created_ms) - 1) < 1e-9);
    double w = hu_fp_age_weight(&lib, 0, lib.created_ms + (int64_t)(30 * 86400000.0));
    assert_true(fabs(w - 0.5) < 1e-6);
    assert_true(hu_fp_age_weight(&lib, 0, lib.created_ms + 86400000LL * 3650) >= HU_FP_AGE_FLOOR);
    struct hu_fp_online on;
    uint32_t at[2];
    for (int old = 0; old < 2; old++) {
        assert_int_equal(hu_fp_online_init(&on, &lib, &key), HU_OK);
        struct hu_fp_req r;
        for (int i = 0; i < 40; i++) {
            campaign_req(&r, &key, 1, lib.created_ms + (old ? 86400000LL * 90 : 0) + i);
            assert_int_equal(hu_fp_online_observe(&on, 5, &r), HU_OK);
        }
        at[old] = hu_fp_online_get(&on, 5)->bound_at;
        hu_fp_online_fini(&on);
    }
    assert_true(at[0] > 0 && at[1] > at[0]);
    hu_fp_lib_fini(&lib);
}

static void file_round_trip_and_corruption(void **state)
{
    (void)state;
    struct hu_fp_key key;
    hu_fp_key_default(&key);
    struct hu_fp_lib lib, back;
    make_lib(&lib, &key, 7);
    lib.threshold = 12.5f;
    uint8_t *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0;
    assert_int_equal(hu_fp_lib_serialize(&lib, &buf, &len), HU_OK);
    const char *why = NULL;
    assert_int_equal(hu_fp_lib_deserialize_safe(&back, buf, len, &why), HU_OK);
    assert_int_equal(back.n, 7);
    assert_int_equal(back.n_tok, 14);
    assert_true(back.threshold == 12.5f);
    assert_string_equal(back.e[3].id, lib.e[3].id);
    assert_int_equal(hu_fp_lib_serialize(&back, &buf2, &len2), HU_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);     /* byte-identical round trip */
    hu_free(buf2);
    hu_fp_lib_fini(&back);
    /* every truncation is refused */
    for (size_t cut = 0; cut < len; cut += 1 + cut / 8) {
        assert_int_not_equal(hu_fp_lib_deserialize_safe(&back, buf, cut, &why), HU_OK);
        assert_non_null(why);
        assert_int_equal(back.n, 0);
    }
    /* every single flipped bit is refused (checksum or validation) */
    for (size_t i = 0; i < len; i += 3) {
        buf[i] ^= 0x10;
        assert_int_not_equal(hu_fp_lib_deserialize_safe(&back, buf, len, &why), HU_OK);
        buf[i] ^= 0x10;
    }
    /* version */
    buf[4] = 9;
    assert_int_equal(hu_fp_lib_deserialize_safe(&back, buf, len, &why), HU_EVERSION);
    buf[4] = 1;
    assert_int_equal(hu_fp_lib_deserialize_safe(&back, buf, len, &why), HU_OK);
    hu_fp_lib_fini(&back);
    hu_free(buf);
    /* invalid values with a correct checksum are refused by validation */
    lib.tok[0].pc = 2.0f;
    assert_non_null(hu_fp_lib_validate(&lib));
    assert_int_equal(hu_fp_lib_serialize(&lib, &buf, &len), HU_OK);
    assert_int_equal(hu_fp_lib_deserialize_safe(&back, buf, len, &why), HU_ECORRUPT);
    assert_non_null(why);
    hu_free(buf);
    lib.tok[0].pc = 0.9f;
    strcpy(lib.e[1].id, "C-bad;id");
    assert_non_null(hu_fp_lib_validate(&lib));
    assert_int_equal(hu_fp_lib_deserialize_safe(&back, NULL, 0, &why), HU_ECORRUPT);
    hu_fp_lib_fini(&lib);
}

static void calibrate_uses_benign_quantile(void **state)
{
    (void)state;
    struct hu_fp_key key;
    hu_fp_key_default(&key);
    struct hu_fp_lib lib;
    make_lib(&lib, &key, 2);
    struct hu_fp_online on;
    assert_int_equal(hu_fp_online_init(&on, &lib, &key), HU_OK);
    on.threshold = INFINITY;
    uint64_t benign[2000];
    struct hu_fp_req r;
    for (uint64_t a = 0; a < 2000; a++) {
        benign[a] = 0x5000 + a;
        for (int i = 0; i < 5; i++) {
            benign_req(&r, &key, a + (uint64_t)i, lib.created_ms);
            assert_int_equal(hu_fp_online_observe(&on, benign[a], &r), HU_OK);
        }
    }
    /* one contaminating campaign account among the "benign" ones */
    for (int i = 0; i < 30; i++) {
        campaign_req(&r, &key, 0, lib.created_ms);
        assert_int_equal(hu_fp_online_observe(&on, benign[0], &r), HU_OK);
    }
    assert_true(hu_fp_online_get(&on, benign[0])->s_max > 100);
    double th = hu_fp_lib_calibrate(&lib, &on, benign, 2000);
    assert_true(th >= log(1 / HU_FP_ALPHA) - 1e-6);
    assert_true(th < 50);   /* the contaminated maximum does not set it */
    hu_fp_online_fini(&on);
    hu_fp_lib_fini(&lib);
}

static void merge_and_prune(void **state)
{
    (void)state;
    struct hu_fp_key key, other;
    hu_fp_key_default(&key);
    other = key;
    other.k[3] ^= 0x40;
    struct hu_fp_lib a, b, c, d;
    make_lib(&a, &key, 4);
    make_lib(&b, &key, 6);   /* ids 1..4 shared with a, 5..6 new */
    b.e[0].confirmed_ms += 86400000LL * 10;
    b.e[0].last_seen_ms = b.e[0].confirmed_ms;
    assert_int_equal(hu_fp_lib_merge(&a, &b), HU_OK);
    assert_int_equal(hu_fp_lib_finish(&a), HU_OK);
    assert_null(hu_fp_lib_validate(&a));
    assert_int_equal(a.n, 6);
    assert_int_equal(a.e[0].members, 20);
    assert_int_equal(a.e[0].requests, 2000);
    assert_int_equal(a.e[0].confirmed_ms, b.e[0].confirmed_ms);
    assert_int_equal(a.e[0].n_tok, 2);
    assert_true(fabs(a.tok[a.e[0].tok_off].pc - b.tok[b.e[0].tok_off].pc) < 1e-6);
    make_lib(&c, &other, 2);
    assert_int_equal(hu_fp_lib_merge(&a, &c), HU_EINVAL);   /* another key */
    /* prune: only the entry confirmed 10 days later survives a 5-day cutoff */
    size_t dropped = hu_fp_lib_prune(&a, a.created_ms + 86400000LL * 5);
    assert_int_equal(dropped, 5);
    assert_int_equal(a.n, 1);
    assert_int_equal(hu_fp_lib_finish(&a), HU_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(hu_fp_lib_serialize(&a, &buf, &len), HU_OK);
    assert_int_equal(hu_fp_lib_deserialize_safe(&d, buf, len, NULL), HU_OK);
    assert_int_equal(d.n, 1);
    hu_free(buf);
    hu_fp_lib_fini(&a);
    hu_fp_lib_fini(&b);
    hu_fp_lib_fini(&c);
    hu_fp_lib_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyed_tokens_depend_on_key_and_type),
        cmocka_unit_test(llr_matches_reference),
        cmocka_unit_test(cusum_binds_campaign_not_benign),
        cmocka_unit_test(online_save_load),
        cmocka_unit_test(sprt_rejects_for_good),
        cmocka_unit_test(age_decay_slows_binding),
        cmocka_unit_test(file_round_trip_and_corruption),
        cmocka_unit_test(calibrate_uses_benign_quantile),
        cmocka_unit_test(merge_and_prune),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
