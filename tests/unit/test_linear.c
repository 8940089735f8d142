/*
 * test_linear.c -- the linear model's scorers against a plain loop.
 *
 * hu_linear_score and hu_linear_score_tokens add the weight rows in
 * four-lane vectors (linear.c, "scoring"), the second from tokens the
 * normaliser found.  The reference below is the scorer as it was before:
 * scalar sums, one n-gram at a time, unigram then bigram, over
 * hu__next_token.  Every score must be the same float bit for bit,
 * on the prompts corpus (each text normalised with the tokens the
 * observer's path finds), on texts of every token count around the block
 * size, and on hostile bytes.  The model's weights are random (every
 * bucket distinct, signs mixed), so an n-gram added twice, skipped or out
 * of order changes a sum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "features/linear.h"
#include "features/text.h"
#include "core/hash.h"
#include "corpus_text.h"

#define NT HU_TARGET_COUNT

/* ---- the reference: the scorer before blocks ---------------------------- */

static void ref_score(const struct hu_linear_model *m, const char *norm, size_t len, float out[NT])
{
    float z[NT] = { 0 };
    size_t n = 0, pos = 0, st = 0;
    int cjk = 0, havep = 0;
    uint64_t prev = 0;
    while (hu__next_token(norm, len, &pos, &st, &cjk)) {
        uint64_t h = hu_hash(norm + st, pos - st);
        uint32_t b = (uint32_t)(hu_hash_mix(h) >> (64 - m->log2_buckets));
        for (int t = 0; t < NT; t++)
            z[t] += m->w[(size_t)b * NT + t];
        n++;
        if (havep) {
            b = (uint32_t)(hu_hash_mix(hu_hash_combine(prev, h)) >> (64 - m->log2_buckets));
            for (int t = 0; t < NT; t++)
                z[t] += m->w[(size_t)b * NT + t];
            n++;
        }
        prev = h;
        havep = 1;
    }
    float s = n ? 1.0f / sqrtf((float)n) : 0.f;
    for (int t = 0; t < NT; t++) {
        float v = m->bias[t] + z[t] * s;
        out[t] = v > 30.f ? 1.f : v < -30.f ? 0.f : 1.f / (1.f + expf(-v));
    }
}

/* ---- fixtures --------------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A model of 2^log2 buckets with weights uniform in (-0.05, 0.05): sums
 * of hundreds of them stay away from the sigmoid's flat ends, where two
 * different sums could give the same score. */
static struct hu_linear_model *random_model(uint32_t log2)
{
    struct hu_linear_model *m = NULL;
    assert_int_equal(hu_linear_create(log2, &m), HU_OK);
    size_t nw = (size_t)NT << log2;
    for (size_t i = 0; i < nw; i++)
        m->w[i] = (float)((double)(next_u64() >> 11) / 9007199254740992.0 - 0.5) * 0.1f;
    for (int t = 0; t < NT; t++)
        m->bias[t] = (float)t * 0.25f - 0.75f;
    return m;
}

static struct hu_linear_model *model;
static char tpl[1 << 18], scan[1 << 18];
static struct hu__token toks[4096];
static size_t n_checked, n_tokens_max, n_overflow;

/* Normalise raw text as the observer does (tokens found while the template
 * is written), then check both scorers against the reference. */
static void check_raw(const char *raw, size_t len)
{
    struct hu__tokbuf tb = { .toks = toks, .hs = NULL, .cap = sizeof toks / sizeof toks[0],
                             .seed = HU_HASH_SEED };
    size_t sl = 0;
    size_t tl = hu__text_normalise_tokens(raw, len, tpl, sizeof tpl, scan, sizeof scan, &sl, &tb);
    float want[NT], got[NT];
    ref_score(model, tpl, tl, want);
    hu_linear_score(model, tpl, tl, got);
    assert_memory_equal(got, want, sizeof want);
    if (tb.overflow) {
        n_overflow++;
    } else {
        hu_linear_score_tokens(model, tpl, tb.toks, tb.n, got);
        assert_memory_equal(got, want, sizeof want);
        if (tb.n > n_tokens_max)
            n_tokens_max = tb.n;
    }
    n_checked++;
}

/* ---- tests -------------------------------------------------------------- */

static void null_and_empty(void **state)
{
    (void)state;
    float out[NT];
    memset(out, 0xFF, sizeof out);
    hu_linear_score(NULL, "abc", 3, out);
    for (int t = 0; t < NT; t++)
        assert_true(out[t] == 0.f);
    memset(out, 0xFF, sizeof out);
    hu_linear_score_tokens(NULL, "abc", NULL, 0, out);
    for (int t = 0; t < NT; t++)
        assert_true(out[t] == 0.f);
    /* no n-grams: the bias alone */
    float want[NT];
    ref_score(model, "", 0, want);
    hu_linear_score(model, "", 0, out);
    assert_memory_equal(out, want, sizeof want);
    hu_linear_score_tokens(model, "", toks, 0, out);
    assert_memory_equal(out, want, sizeof want);
    for (int t = 0; t < NT; t++)
        assert_true(fabsf(out[t] - 1.f / (1.f + expf(-model->bias[t]))) < 1e-6f);
}

/* 0 to 200 words: every count around the block size (32 tokens) and its
 * multiples, with words from a small vocabulary so bigrams repeat. */
static void every_token_count(void **state)
{
    (void)state;
    static const char *const vocab[] = { "write", "the", "function", "reasoning", "step", "grade",
                                         "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "tool", "x_1" };
    char raw[4096] = { 0 };
    for (size_t words = 0; words <= 200; words++) {
        size_t n = 0;
        for (size_t i = 0; i < words; i++)
            n += (size_t)snprintf(raw + n, sizeof raw - n, "%s%s", i ? " " : "",
                                  vocab[next_u64() % (sizeof vocab / sizeof vocab[0])]);
        check_raw(raw, n);
    }
    assert_true(n_tokens_max >= 200);   /* the CJK word is two tokens */
}

/* Random bytes, and random pieces of markup that the normaliser masks. */
static void hostile_bytes(void **state)
{
    (void)state;
    static const char *const pieces[] = { " ", "<", ">", "<num>", "\"q\"", "`c`", "\xff", "\xe4\xb8",
                                          "http://x.y/z", "a@b.cd", "42", "\xf0\x9f\x98\x80", "\n",
                                          "WORD", "_", "\xcc\x81" };
    char raw[2048];
    for (int k = 0; k < 3000; k++) {
        size_t n = 0, len = next_u64() % 400;
        while (n < len) {
            if (next_u64() & 1) {
                raw[n++] = (char)(next_u64() & 0xFF);
            } else {
                const char *p = pieces[next_u64() % (sizeof pieces / sizeof pieces[0])];
                size_t l = strlen(p);
                if (n + l > sizeof raw)
                    break;
                memcpy(raw + n, p, l);
                n += l;
            }
        }
        check_raw(raw, n);
    }
}

static void corpus_one(void *ctx, const char *text, size_t n, size_t index)
{
    (void)ctx;
    (void)index;
    check_raw(text, n);
}

static void corpus_matches_reference(void **state)
{
    (void)state;
    static char text[1 << 16];
    size_t files = 0, before = n_checked;
    long texts = corpus_each("../shared/data/prompts", text, sizeof text, &files, corpus_one, NULL);
    if (texts < 0)
        skip();
    print_message("prompts corpus: %zu files, %ld texts, %zu scored, longest %zu tokens, %zu overflows\n",
                  files, texts, n_checked - before, n_tokens_max, n_overflow);
    assert_true(texts > 1000);
    assert_int_equal(n_checked - before, (size_t)texts);
}

static int setup(void **state)
{
    (void)state;
    model = random_model(16);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hu_linear_destroy(model);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(null_and_empty),
        cmocka_unit_test(every_token_count),
        cmocka_unit_test(hostile_bytes),
        cmocka_unit_test(corpus_matches_reference),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
