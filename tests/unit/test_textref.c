/*
 * test_textref.c -- the text features against their slow reference.
 *
 * tests/unit/text_ref.h holds text.c, simhash.c and lang.c as they were
 * before the fast paths (table-driven classes, byte-lane SimHash counters,
 * fused scans...).  Every public function of those files must give exactly
 * what its reference gives, byte for byte and bit for bit, on:
 *
 *   - the real prompts corpus (../shared/data/prompts, every .jsonl, many
 *     languages; skipped when absent, the other inputs still run);
 *   - generated prose like bench_json's (the benchmark's input);
 *   - random sequences of pieces that exercise every mask (quotes, fences,
 *     URLs, e-mail, hex, numbers in several scripts, names, CJK numerals);
 *   - random bytes, and random "almost UTF-8": truncated, overlong,
 *     surrogate, out-of-range and stray continuation sequences;
 *   - small output capacities (where the normaliser cuts its output).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>
#include "features/lang.h"
#include "features/simhash.h"
#include "features/text.h"
#include "core/hash.h"
#include "text_ref.h"
#include "corpus_text.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

#define CAP HU_TEXT_OUT_CAP(1u << 16)
#define MAXTOK 8192
static char out_a[CAP], out_b[CAP], scan_a[CAP], scan_b[CAP];
static struct hu__token tok_a[MAXTOK], tok_b[MAXTOK];
static uint64_t n_checked;

/* First difference of two buffers, for the failure message. */
static void same_bytes(const char *what, const char *a, size_t la, const char *b, size_t lb)
{
    if (la == lb && memcmp(a, b, la) == 0)
        return;
    size_t i = 0;
    while (i < la && i < lb && a[i] == b[i])
        i++;
    print_error("%s differs: lengths %zu vs %zu, first difference at byte %zu\n", what, la, lb, i);
    fail();
}

/* The hashing, counting tokeniser (hu__tokenize_hashed: the independent
 * walk that check_normalise_tokens compares the normaliser's counts with)
 * and the consumers of its output against the separate reference
 * functions, under the default seed and `seed`, with room for every token
 * and with fewer entries than tokens (SIZE_MAX, as the reference).  nb: the reference's token count (or
 * SIZE_MAX). */
static uint64_t hs_a[MAXTOK];
static void check_fused_cap(const char *t, size_t n, uint64_t seed, size_t nb, size_t cap)
{
    struct hu__lang_counts lc = { 0 };
    size_t na = hu__tokenize_hashed(t, n, seed, tok_a, hs_a, cap, &lc);
    size_t want = ref_tokenize(t, n, tok_b, cap);
    assert_int_equal(na, want);
    if (na != SIZE_MAX) {
        assert_memory_equal(tok_a, tok_b, na * sizeof tok_a[0]);
        for (size_t k = 0; k < na; k++)
            assert_int_equal(hs_a[k], hu_hash_seeded(t + tok_a[k].start, tok_a[k].end - tok_a[k].start, seed));
        /* the counts give the guess of the reference */
        lc.latin += hu__lang_ascii_letters(t, n);
        assert_int_equal(hu__lang_guess_counts(t, n, tok_a, na, &lc), ref_lang_guess(t, n));
        assert_int_equal(hu__simhash_hashes(hs_a, tok_a, na), ref_text_simhash_seeded(t, n, seed));
    }
    (void)nb;
}

static uint64_t n_fused;
static void check_fused(const char *t, size_t n, uint64_t seed, size_t nb)
{
    check_fused_cap(t, n, HU_HASH_SEED, nb, MAXTOK);
    check_fused_cap(t, n, seed, nb, MAXTOK);
    if (nb != SIZE_MAX && nb > 0)       /* too little scratch: the fallback */
        check_fused_cap(t, n, seed, nb, rnd() % nb);
    n_fused++;
}

/* Tokens, SimHash, head/tail and language of t[0..n) against the reference. */
static void check_tokens(const char *t, size_t n)
{
    size_t na = hu__tokenize(t, n, tok_a, MAXTOK), nb = ref_tokenize(t, n, tok_b, MAXTOK);
    assert_int_equal(na, nb);
    if (na != SIZE_MAX)
        assert_memory_equal(tok_a, tok_b, na * sizeof tok_a[0]);
    /* the iterator, token by token */
    size_t pa = 0, pb = 0, sa = 0, sb = 0;
    int ca = 0, cb = 0, ra, rb;
    do {
        ra = hu__next_token(t, n, &pa, &sa, &ca);
        rb = ref_next_token(t, n, &pb, &sb, &cb);
        assert_int_equal(ra, rb);
        assert_int_equal(pa, pb);
        if (ra) {
            assert_int_equal(sa, sb);
            assert_int_equal(ca, cb);
        }
    } while (ra);
    uint64_t seed = ((uint64_t)rnd() << 32) | rnd();
    assert_int_equal(hu_text_simhash(t, n), ref_text_simhash(t, n));
    assert_int_equal(hu_text_simhash_seeded(t, n, seed), ref_text_simhash_seeded(t, n, seed));
    uint64_t h1, t1, h2, t2;
    hu_text_head_tail(t, n, &h1, &t1);
    ref_text_head_tail(t, n, &h2, &t2);
    assert_int_equal(h1, h2);
    assert_int_equal(t1, t2);
    assert_int_equal(hu_lang_guess(t, n), ref_lang_guess(t, n));
    if (na != SIZE_MAX) {
        assert_int_equal(hu__simhash_tokens(t, tok_a, na), ref_simhash_tokens(t, tok_b, nb));
        assert_int_equal(hu__simhash_tokens_seeded(t, tok_a, na, seed),
                         ref_simhash_tokens_seeded(t, tok_b, nb, seed));
        hu__head_tail_tokens(t, tok_a, na, &h1, &t1);
        ref_head_tail_tokens(t, tok_b, nb, &h2, &t2);
        assert_int_equal(h1, h2);
        assert_int_equal(t1, t2);
        assert_int_equal(hu__lang_guess_tokens(t, n, tok_a, na), ref_lang_guess_tokens(t, n, tok_b, nb));
    }
    check_fused(t, n, seed, nb);
}

/* hu__text_normalise_tokens (the template tokenised while written) and
 * hu__text_feats_tokbuf against the reference normaliser, tokeniser and
 * token consumers, with output caps cap/scap and tcap tokens of scratch. */
static uint64_t n_tokbuf;

/* hashed: with SimHash's token hashes (tb.hs), else without (the
 * observer's path: tz_word_n stores the token entries branch-free). */
static void check_normalise_tokens_h(const char *p, size_t len, size_t cap, size_t scap, size_t tcap,
                                     uint64_t seed, int hashed)
{
    struct hu__tokbuf tb = { .toks = tok_a, .hs = hashed ? hs_a : NULL, .cap = tcap, .seed = seed };
    size_t sa = 0, sb = 0;
    memset(&tb.lc, 0x5A, sizeof tb.lc);           /* the normaliser must reset it */
    tb.n = 77;
    tb.overflow = 3;
    tb.letters = 99;
    tb.lt_pend = 5;
    size_t la = hu__text_normalise_tokens(p, len, out_a, cap, scan_a, scap, &sa, &tb);
    size_t lb = ref_text_normalise(p, len, out_b, cap, scan_b, scap, &sb);
    same_bytes("template (tokenised)", out_a, la, out_b, lb);
    same_bytes("scan text (tokenised)", scan_a, sa, scan_b, sb);
    size_t nb = ref_tokenize(out_b, lb, tok_b, tcap);
    if (nb == SIZE_MAX) {
        assert_true(tb.overflow);
        assert_int_equal(tb.n, tcap);
        nb = tcap;
    } else {
        assert_false(tb.overflow);
        assert_int_equal(tb.n, nb);
        /* the code point counts are those of the post-pass */
        struct hu__lang_counts lc = { 0 };
        static struct hu__token tk[MAXTOK];
        static uint64_t hk[MAXTOK];
        assert_int_equal(hu__tokenize_hashed(out_b, lb, seed, tk, hk, MAXTOK, &lc), nb);
        assert_memory_equal(&lc, &tb.lc, sizeof lc);
        /* what the language guess reads: the ASCII letters outside slot
         * tokens (settled as the template is written) */
        assert_int_equal(tb.letters, hu__lang_ascii_letters(out_b, lb));
    }
    assert_memory_equal(tok_a, tok_b, nb * sizeof tok_a[0]);
    if (hashed)
        for (size_t k = 0; k < nb; k++)
            assert_int_equal(hs_a[k], hu_hash_seeded(out_b + tok_b[k].start, tok_b[k].end - tok_b[k].start, seed));
    struct hu__text_feats f;
    memset(&f, 0xA5, sizeof f);
    hu__text_feats_tokbuf(out_a, la, &tb, &f);
    uint64_t h, tl;
    ref_text_head_tail(out_b, lb, &h, &tl);
    assert_int_equal(f.simhash, hashed ? ref_text_simhash_seeded(out_b, lb, seed) : 0);
    assert_int_equal(f.head, h);
    assert_int_equal(f.tail, tl);
    assert_int_equal(f.lang, ref_lang_guess(out_b, lb));
    n_tokbuf++;
}

static void check_normalise_tokens(const char *p, size_t len, size_t cap, size_t scap, size_t tcap,
                                   uint64_t seed)
{
    check_normalise_tokens_h(p, len, cap, scap, tcap, seed, 1);
    check_normalise_tokens_h(p, len, cap, scap, tcap, seed, 0);
}

/* Everything on one input text; the token consumers also on the raw text
 * when raw_tokens (they must agree on any bytes, not only on normalised
 * text). */
static void check_text_opt(const char *p, size_t len, int raw_tokens)
{
    size_t sa = 0, sb = 0;
    assert_int_equal(hu_text_chars(p, len), ref_text_chars(p, len));
    size_t la = hu_text_normalise(p, len, out_a, CAP, scan_a, CAP, &sa);
    size_t lb = ref_text_normalise(p, len, out_b, CAP, scan_b, CAP, &sb);
    same_bytes("template", out_a, la, out_b, lb);
    same_bytes("scan text", scan_a, sa, scan_b, sb);
    la = hu_text_template(p, len, out_a, CAP);
    lb = ref_text_template(p, len, out_b, CAP);
    same_bytes("template alone", out_a, la, out_b, lb);
    /* a small capacity cuts both outputs at the same place */
    size_t cap = 1 + rnd() % (len + 8), scap = 1 + rnd() % (len + 8);
    la = hu_text_normalise(p, len, out_a, cap, scan_a, scap, &sa);
    lb = ref_text_normalise(p, len, out_b, cap, scan_b, scap, &sb);
    same_bytes("cut template", out_a, la, out_b, lb);
    same_bytes("cut scan text", scan_a, sa, scan_b, sb);
    /* tokenised while normalising: whole, cut, and with little scratch */
    uint64_t seed = rnd() % 2 ? HU_HASH_SEED : ((uint64_t)rnd() << 32) | rnd();
    check_normalise_tokens(p, len, CAP, CAP, MAXTOK, seed);
    check_normalise_tokens(p, len, cap, scap, MAXTOK, seed);
    check_normalise_tokens(p, len, CAP, CAP, rnd() % 64, seed);
    /* token consumers, on the normalised text and on the raw text */
    lb = ref_text_normalise(p, len, out_b, CAP, NULL, 0, NULL);
    check_tokens(out_b, lb);
    if (raw_tokens)
        check_tokens(p, len);
    n_checked++;
}

static void check_text(const char *p, size_t len)
{
    check_text_opt(p, len, 1);
}

/* ---- inputs ------------------------------------------------------------------ */

static void corpus_one(void *ctx, const char *text, size_t n, size_t index)
{
    (void)ctx;
    check_text_opt(text, n, index % 8 == 0);
}

static void corpus_matches_reference(void **state)
{
    (void)state;
    static char text[1 << 16];
    size_t files = 0;
    long texts = corpus_each("../shared/data/prompts", text, sizeof text, &files, corpus_one, NULL);
    if (texts < 0)
        skip();
    print_message("prompts corpus: %zu files, %ld texts\n", files, texts);
    assert_true(texts > 1000);
}

/* bench_json's prose: words of several scripts, JSON escapes decoded. */
static void bench_prose_matches_reference(void **state)
{
    (void)state;
    static const char *const words[] = {
        "explain", "the", "reasoning", "step", "by", "step", "for", "this", "answer", "grade",
        "rubric", "function", "return", "value", "code", "python", "tool", "call", "result",
        "caf\xc3\xa9", "na\xc3\xafve", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
        "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "\"quoted\"", "line\nbreak", "tab\there",
        "\xf0\x9f\x98\x80", "data", "analysis",
    };
    static char text[4096];
    for (int r = 0; r < 3000; r++) {
        size_t n = 0, target = 150 + rnd() % 1000;
        while (n < target) {
            const char *w = words[rnd() % (sizeof words / sizeof words[0])];
            size_t l = strlen(w);
            memcpy(text + n, w, l);
            n += l;
            text[n++] = ' ';
        }
        check_text(text, n);
    }
}

static const char *const pieces[] = {
    "Explain", "step by step", "the reasoning", "behind", "this answer", "\"42\"", "'x'", "3.14",
    "1,024", "1 234 567", "12_000", "Grade", "the response", "against", "the rubric", ".", "!", "?",
    ":", ";", ",", " ", "  ", "\n", "\t", "\r\n", "por favor", "explica", "\xc2\xbf" "C\xc3\xb3mo?",
    "se\xc3\xb1or", "\xe8\xa7\xa3\xe9\x87\x8a", "\xe4\xb8\x80\xe6\xad\xa5\xe4\xb8\x80\xe6\xad\xa5",
    "\xe6\x80\x9d\xe8\x80\x83", "\xe3\x80\x82", "\xe4\xb8\x89\xe4\xb8\xaa", "\xe4\xb8\x89\xe5\x8d\x81",
    "\xe4\xb8\x83", "\xe3\x82\xab\xe3\x82\xbf\xe3\x82\xab\xe3\x83\x8a", "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4",
    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "\xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1",
    "\xce\x86\xce\x88\xce\xa3", "\xc4\xb0stanbul", "\xc5\xb8", "\xc5\xbf", "\xd4\xb1\xd5\xa2",
    "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9",
    "\xd9\xa1\xd9\xa2\xd9\xab\xd9\xa3", "\xdb\xb1\xdb\xb2", "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\x82",
    "\xe0\xa5\xa7\xe0\xa5\xa8", "\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1", "\xe1\x83\x90\xe1\x83\x91",
    "\xef\xbc\xa1\xef\xbd\x82\xef\xbc\x91\xef\xbc\x92", "\xef\xbc\x8c", "\xef\xbc\x8e", "\xef\xbd\xa1",
    "\xe2\x80\xa6", "\xe2\x80\x8b", "\xef\xbb\xbf", "\xc2\xad", "\xc2\xa0", "\xe3\x80\x80",
    "\xe2\x80\xaf", "\xe2\x80\x89", "e\xcc\x81", "```python\nprint(1)\n```", "```", "`code`", "`",
    "``", "https://example.com/a?b=c", "HTTP://X.ORG/p).", "www.example.org,", "ftp://f.io/x\xe3\x80\x82",
    "user@example.org", "a@b", "@", "0xdeadbeef", "0x1", "deadbeef01", "abcdefab-abcd-abcd-abcd-abcdefabcdef",
    "550e8400-e29b-41d4-a716-446655440000", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "a.b.c.d.e",
    "<num>", "<", ">", "<str>", "<x", "O'Brien", "don't", "l'homme", "'", "'tis", "\xe2\x80\x99",
    "\xe2\x80\x9cquoted\xe2\x80\x9d", "\xe2\x80\x9c", "\xe2\x80\x9d", "\xe2\x80\x9e" "an" "\xe2\x80\x9c",
    "\xe2\x80\x98s\xe2\x80\x99", "\xc2\xab" "x" "\xc2\xbb", "\xc2\xab", "\xe3\x80\x8cq\xe3\x80\x8d",
    "\xe3\x80\x8ex\xe3\x80\x8f", "\xef\xbc\x82y\xef\xbc\x82", "\"", "\"\"", "\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9",
    "\xff\xfe", "\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf0\x9f\x98",
    "\xe2\x82", "\xc3", "Tool", "bash", "the", "and", "de", "la", "que", "el", "John Smith", "Mary",
    "A", "I", "USA", "McDonald", "Jos\xc3\xa9", "\xc3\x89mile", "_", "__init__", "x_1", "-", "--",
    "+1", "%", "#", "$5", "100%", "3rd", "v2.0.1", "2026-01-12", "12:30", "a1b2c3d4e5f6g7h8",
    "\xf0\xa0\x80\x80", "\xe3\x80\x87", "\xe9\x9b\xb6", "\xe5\x85\xa9", "\xe8\x90\xac",
};
#define N_PIECES (sizeof pieces / sizeof pieces[0])

static void random_pieces_match_reference(void **state)
{
    (void)state;
    static char text[1 << 14];
    for (int r = 0; r < 8000; r++) {
        size_t n = 0, k = 1 + rnd() % (r % 10 == 0 ? 400 : 40);
        for (size_t i = 0; i < k; i++) {
            const char *p = pieces[rnd() % N_PIECES];
            size_t l = strlen(p);
            if (n + l + 1 >= sizeof text)
                break;
            memcpy(text + n, p, l);
            n += l;
            if (rnd() % 3)
                text[n++] = ' ';
        }
        check_text(text, n);
    }
}

/* Random bytes weighted towards what the scanners branch on. */
static void random_bytes_match_reference(void **state)
{
    (void)state;
    static const char special[] = " \n\t'\"`<>@._%+-0123456789aAzZxX:;.!?,()[]{}/\\";
    static const unsigned char lead[] = { 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xCE, 0xD0, 0xDF, 0xE0,
                                          0xE2, 0xE3, 0xE4, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF };
    static char text[1024];
    for (int r = 0; r < 6000; r++) {
        size_t n = rnd() % sizeof text;
        int mode = r % 4;
        for (size_t i = 0; i < n; i++) {
            uint32_t x = rnd();
            if (mode == 0)
                text[i] = (char)x;                                  /* any byte */
            else if (mode == 1 || x % 4 != 0)
                text[i] = special[(x >> 8) % (sizeof special - 1)];
            else if (x % 16 == 4)
                text[i] = (char)lead[(x >> 8) % sizeof lead];
            else
                text[i] = (char)(0x80 | ((x >> 8) & 0x3F));         /* continuation */
        }
        check_text(text, n);
    }
}

/* Random code points from every range the classes and folding look at,
 * encoded correctly (mode 0) or with random damage (mode 1). */
static void random_code_points_match_reference(void **state)
{
    (void)state;
    static const uint32_t ranges[][2] = {
        { 0x20, 0x7E }, { 0x80, 0x24F }, { 0x250, 0x36F }, { 0x370, 0x52F }, { 0x530, 0x6FF },
        { 0x900, 0x97F }, { 0xE00, 0xE7F }, { 0x10A0, 0x11FF }, { 0x1680, 0x1680 }, { 0x1AB0, 0x1EFF },
        { 0x2000, 0x206F }, { 0x20D0, 0x20FF }, { 0x3000, 0x31FF }, { 0x3400, 0x4DBF }, { 0x4E00, 0x9FFF },
        { 0xAC00, 0xD7AF }, { 0xD800, 0xDFFF }, { 0xF900, 0xFAFF }, { 0xFE00, 0xFFFF },
        { 0x10000, 0x1FFFF }, { 0x20000, 0x2FA1F }, { 0x10FFF0, 0x10FFFF },
    };
    static char text[4096];
    for (int r = 0; r < 6000; r++) {
        size_t n = 0, k = rnd() % 400;
        for (size_t i = 0; i < k; i++) {
            const uint32_t *g = ranges[rnd() % (sizeof ranges / sizeof ranges[0])];
            uint32_t cp = g[0] + rnd() % (g[1] - g[0] + 1);
            if (rnd() % 4 == 0)
                cp = (uint32_t)" '\"`<>.@0a"[rnd() % 10];
            char b[4];
            size_t l;
            if (cp < 0x80) {
                b[0] = (char)cp;
                l = 1;
            } else if (cp < 0x800) {
                b[0] = (char)(0xC0 | (cp >> 6));
                b[1] = (char)(0x80 | (cp & 0x3F));
                l = 2;
            } else if (cp < 0x10000) {
                b[0] = (char)(0xE0 | (cp >> 12));
                b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                b[2] = (char)(0x80 | (cp & 0x3F));
                l = 3;
            } else {
                b[0] = (char)(0xF0 | (cp >> 18));
                b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                b[3] = (char)(0x80 | (cp & 0x3F));
                l = 4;
            }
            if (r % 2 == 1 && rnd() % 8 == 0)
                l = 1 + rnd() % l;                                   /* truncated */
            if (n + l > sizeof text)
                break;
            memcpy(text + n, b, l);
            n += l;
        }
        check_text(text, n);
    }
}

/* The decoder on every 1- and 2-byte sequence and on random longer ones. */
static void decoder_matches_reference(void **state)
{
    (void)state;
    unsigned char b[4];
    for (unsigned x = 0; x < 65536; x++) {
        b[0] = (unsigned char)(x >> 8);
        b[1] = (unsigned char)x;
        for (size_t len = 1; len <= 2; len++) {
            size_t aa, ab;
            assert_int_equal(hu__utf8_decode(b, len, &aa), ref_utf8_decode(b, len, &ab));
            assert_int_equal(aa, ab);
        }
    }
    for (int r = 0; r < 1000000; r++) {
        uint32_t x = rnd(), y = rnd();
        b[0] = (unsigned char)(0xC0 | x);
        b[1] = (unsigned char)(x >> 8);
        b[2] = (unsigned char)(x >> 16);
        b[3] = (unsigned char)(y);
        if (y & 0x100)
            b[1] = (unsigned char)(0x80 | (b[1] & 0x3F));
        if (y & 0x200)
            b[2] = (unsigned char)(0x80 | (b[2] & 0x3F));
        if (y & 0x400)
            b[3] = (unsigned char)(0x80 | (b[3] & 0x3F));
        size_t len = 1 + (y >> 12) % 4, aa, ab;
        assert_int_equal(hu__utf8_decode(b, len, &aa), ref_utf8_decode(b, len, &ab));
        assert_int_equal(aa, ab);
    }
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        assert_int_equal(hu__is_han(cp), ref_is_han(cp));
        assert_int_equal(hu__is_cjk(cp), ref_is_cjk(cp));
        assert_int_equal(hu__is_letter(cp), ref_is_letter(cp));
    }
}

/* Hostile text for the fused paths: huge tokens, more tokens than any
 * scratch (4096+), long CJK and emoji runs, mixed scripts, damaged UTF-8;
 * a short prefix of each also cut at every output capacity and every
 * token capacity. */
static void hostile_fused_match_reference(void **state)
{
    (void)state;
    static char text[1 << 16];
    static const char *const units[] = {
        "a", "Ab", " ", "x ", "\xe6\x97\xa5", "\xe3\x81\x82", "\xed\x95\x9c", "\xf0\x9f\x98\x80",
        "\xd0\x9f\xd1\x80", "\xc3\xa9", "e\xcc\x81", "1", "<", ">", "<num>", ".", "\xe3\x80\x82", "\x80",
        "\xc3", "\xe6\x97", "\xf0\x9f\x98", "\xff", "'", "\"", "`", "_", "-", "@", "0x", "\n", "\xc2\xa0",
        "\xe2\x80\x8b", "\xce\xa3", "\xd8\xa7", "\xc3\xb1", "\xc2\xbf", "John ", "The ", "el ", "la ",
    };
    const size_t n_units = sizeof units / sizeof units[0];
    for (int r = 0; r < 120; r++) {
        size_t n = 0, target = r % 3 == 0 ? sizeof text - 8 : 1 + rnd() % 20000;
        int shape = r % 6;
        while (n < target) {
            const char *w;
            if (shape == 0)
                w = "a";                                        /* one huge token */
            else if (shape == 1)
                w = rnd() % 2 ? "a " : "\xe6\x97\xa5";             /* thousands of tokens */
            else if (shape == 2)
                w = rnd() % 2 ? "\xf0\x9f\x98\x80" : "\xe3\x81\x82";  /* emoji and kana */
            else
                w = units[rnd() % n_units];
            size_t l = strlen(w);
            if (n + l > target)
                break;
            memcpy(text + n, w, l);
            n += l;
        }
        uint64_t seed = ((uint64_t)rnd() << 32) | rnd();
        check_text(text, n);
        check_normalise_tokens(text, n, CAP, CAP, MAXTOK, seed);
        check_normalise_tokens(text, n, CAP, CAP, 4096, seed);
        check_fused(text, n, seed, ref_tokenize(text, n, tok_b, MAXTOK));
        /* every capacity, on a prefix */
        size_t m = n < 96 ? n : 96;
        size_t full = ref_text_normalise(text, m, out_b, CAP, NULL, 0, NULL);
        for (size_t cap = 0; cap <= full + 1; cap++)
            check_normalise_tokens(text, m, cap, (cap * 7) % (full + 2), MAXTOK, seed);
        size_t nt = ref_tokenize(out_b, full, tok_b, MAXTOK);
        for (size_t tcap = 0; tcap <= nt + 1; tcap++)
            check_normalise_tokens(text, m, CAP, CAP, tcap, seed);
    }
}

/* Hostile text for the fast paths of real prompts: ASCII punctuation
 * and controls, digits (numbers with separators, and the atoms a digit
 * can start: uuid, 0x-hex, e-mail, keys), whitespace other than ' ',
 * '_' '<' '>' next to words, words of every length up to past 16 letters
 * (the 16-byte copy), stop words and their longer look-alikes (the
 * language lookup), invalid UTF-8 next to each.  Every text is also cut
 * at every length (truncation inside a construct, at the buffer end) and
 * the prefix at every output and token capacity. */
static void hostile_fast_paths_match_reference(void **state)
{
    (void)state;
    static char text[1 << 14];
    static const char *const units[] = {
        ".", ",", ", ", ". ", "...", "-", "--", "*", "**", "#", "(", ")", "[", "]", "{", "}", "|", "=",
        "+", "/", "\\", "$", "%", "&", "^", "~", "!", "?", ":", ";", "\x01", "\x1f", "\x7f", "_", "<", ">",
        "\t", "\r", "\n", "\v", "\f", "\n\n", " ", "  ", "0", "1", "42", "2024", "3.14", "1,000", "1.5.",
        "1 234", "1 2345", "12_3", "1'000", "7.", "9-", "0x", "0x1f", "0X1F2E", "0xg", "1e10",
        "12345678-1234-1234-1234-123456789012", "a1b2c3d4e5", "deadbeef12", "1@a.b", "1@", "@1.2",
        "AKIA1234567890ABCD", "12ab34cd56ef78", "1\xc2\xa0" "000", "1\xe2\x80\xaf" "000", "\xd9\xa3",
        "\xef\xbc\x91", "1\xef\xbc\x8c" "2", "a", "A", "ab", "Ab", "word", "Words", "abcdefgh", "abcdefghi",
        "abcdefghijklmnop", "abcdefghijklmnopq", "Abcdefghijklmnopqrstu", "the", "there", "and", "andrew", "de",
        "la", "que", "el", "los", "der", "und", "le", "et", "n\xc3\xa3o", "\xc3\xa9", "caf\xc3\xa9", "don't",
        "'", "\"", "`", "http://x.y", "www.a", "how", "what", "ftp", "hello@x.io", "\x80", "\xc3", "\xe2\x80",
        "\xff", "\xe6\x97\xa5", "\xe4\xb8\x80", "\xe2\x80\x99", "\xe2\x80\x94", "\xc2\xa0",
        /* slot tokens the writer did not write (the language guess skips
         * their letters): literal and fullwidth '<' '>', fullwidth letters
         * (folded to ASCII, a word in two writes) */
        "<abc>", "<a>", "<>", "<abcdef>", "<abcdefg>", "<num", "<<", "<ab<cd>", "< ab>", "<A>", "<ab_>",
        "\xef\xbc\x9c", "\xef\xbc\x9e", "\xef\xbc\x9cnum\xef\xbc\x9e", "\xef\xbd\x81", "th\xef\xbd\x85",
        "I", "c\xc3\xb3mo", "qu\xc3\xa9", "voc\xc3\xaa", "cu\xc3\xa1l", "nicht", "paso", "Para", "Qu\xc3\xa9",
    };
    const size_t n_units = sizeof units / sizeof units[0];
    for (int r = 0; r < 400; r++) {
        size_t n = 0, target = r % 20 == 0 ? sizeof text - 64 : 1 + rnd() % (r % 2 ? 64 : 1500);
        while (n < target) {
            const char *w = units[rnd() % n_units];
            size_t l = strlen(w);
            if (n + l > target)
                break;
            memcpy(text + n, w, l);
            n += l;
            if (rnd() % 3 == 0 && n < target)
                text[n++] = ' ';
        }
        uint64_t seed = ((uint64_t)rnd() << 32) | rnd();
        check_text(text, n);
        check_normalise_tokens(text, n, CAP, CAP, MAXTOK, seed);
        check_fused(text, n, seed, ref_tokenize(text, n, tok_b, MAXTOK));
        size_t m = n < 64 ? n : 64;
        for (size_t k = 0; k <= m; k++)             /* every cut of the input */
            check_normalise_tokens(text, k, CAP, CAP, MAXTOK, seed);
        size_t full = ref_text_normalise(text, m, out_b, CAP, NULL, 0, NULL);
        for (size_t cap = 0; cap <= full + 1; cap++) {
            check_normalise_tokens(text, m, cap, (cap * 7) % (full + 2), MAXTOK, seed);
            check_normalise_tokens(text, m, cap, CAP, MAXTOK, seed);
        }
        size_t nt = ref_tokenize(out_b, full, tok_b, MAXTOK);
        for (size_t tcap = 0; tcap <= nt + 1; tcap++)
            check_normalise_tokens(text, m, CAP, CAP, tcap, seed);
    }
}

/* Names (capitalised words after the first of a sentence): the template
 * masks them, the scan text keeps them as words, so the normaliser notes
 * each name while the scan text is not written and writes it from the
 * notes at the end (or when the notes run out, after 64 names).  Runs of
 * names that merge into one "<name>", names from each of the writers
 * (ASCII, non-ASCII letters, apostrophes), next to numbers (which merge
 * too), slots, punctuation and line breaks, up to hundreds per text. */
static void names_match_reference(void **state)
{
    (void)state;
    static char text[1 << 14];
    static const char *const units[] = {
        "John", "Smith", "Mary", "Ab", "A", "I", "The", "THE", "McDonald", "Jos\xc3\xa9", "\xc3\x89mile",
        "\xc3\x98resund", "Garc\xc3\xad" "a", "O'Brien", "D\xe2\x80\x99" "Arcy", "L'Homme", "Stra\xc3\x9f" "e",
        "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0", "Caf\xc3\xa9s", "Na\xc3\xafve", "word", "and", "12", "3.5",
        "1 234", " ", " ", " ", "  ", "\n", ".", ",", ":", "(", ")", "-", "\"q\"", "`c`", "http://a.b", "a@b.cd",
        "\xe6\x97\xa5", "\xef\xbc\xa1" "bc", "\xe2\x80\x8b", "<", ">", "_",
    };
    const size_t n_units = sizeof units / sizeof units[0];
    for (int r = 0; r < 300; r++) {
        size_t n = 0, target = 1 + rnd() % (r % 3 == 0 ? 12000 : 400);
        text[n++] = 'x';                /* not a sentence start: names from the first word */
        while (n < target) {
            const char *w = units[rnd() % n_units];
            size_t l = strlen(w);
            if (n + l + 1 > target)
                break;
            memcpy(text + n, w, l);
            n += l;
            if (rnd() % 4 != 0)
                text[n++] = ' ';
        }
        check_text(text, n);
    }
}

/* The stop-word table of lang.c (a constant: each word at its home slot)
 * holds exactly the reference's words, each with its language, and every
 * other packed value misses: the reference's words, their prefixes,
 * extensions and one-byte changes, and random values. */
static void stop_table_matches_reference(void **state)
{
    (void)state;
    size_t filled = 0;
    pthread_once(&packed_once, packed_init);    /* the reference's sorted words */
    for (size_t k = 0; k < HU__STOP_SLOTS; k++)
        filled += hu__stop_tab[k] != 0;
    assert_int_equal(filled, N_STOPS);
    for (size_t i = 0; i < N_STOPS; i++) {
        char w[16];
        size_t n = strlen(stops[i].w);
        memcpy(w, stops[i].w, n + 1);
        uint64_t v = hu__stop_pack(w, n);
        assert_int_equal(hu__stop_tab[HU__STOP_SLOT(v)] & HU__STOP_KEY, v);
        assert_int_equal(hu__stop_inc(v), UINT64_C(1) << (HU__STOP_FIELD * stops[i].lang));
        for (size_t m = 1; m <= 8; m++) {           /* prefixes, extensions, changes */
            char x[16] = { 0 };
            memcpy(x, w, n);
            for (size_t k = n; k < m; k++)
                x[k] = (char)('a' + (int)(rnd() % 26));
            int l = stop_lang(x, m);
            uint64_t want = l >= 0 ? UINT64_C(1) << (HU__STOP_FIELD * l) : 0;
            assert_int_equal(hu__stop_inc(hu__stop_pack(x, m)), want);
            x[rnd() % m] ^= (char)(1 + rnd() % 255);
            if (memchr(x, 0, m) == NULL) {
                l = stop_lang(x, m);
                want = l >= 0 ? UINT64_C(1) << (HU__STOP_FIELD * l) : 0;
                assert_int_equal(hu__stop_inc(hu__stop_pack(x, m)), want);
            }
        }
    }
    for (int r = 0; r < 1000000; r++) {
        char x[8];
        size_t m = 1 + rnd() % 8;
        for (size_t k = 0; k < m; k++)
            x[k] = (char)(1 + rnd() % 255);
        int l = stop_lang(x, m);
        uint64_t want = l >= 0 ? UINT64_C(1) << (HU__STOP_FIELD * l) : 0;
        assert_int_equal(hu__stop_inc(hu__stop_pack(x, m)), want);
    }
}

static int report(void **state)
{
    (void)state;
    print_message("texts checked against the reference: %llu\n", (unsigned long long)n_checked);
    print_message("fused token walks checked: %llu; tokenised normalisations: %llu\n",
                  (unsigned long long)n_fused, (unsigned long long)n_tokbuf);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoder_matches_reference),
        cmocka_unit_test(stop_table_matches_reference),
        cmocka_unit_test(bench_prose_matches_reference),
        cmocka_unit_test(random_pieces_match_reference),
        cmocka_unit_test(random_bytes_match_reference),
        cmocka_unit_test(random_code_points_match_reference),
        cmocka_unit_test(corpus_matches_reference),
        cmocka_unit_test(hostile_fused_match_reference),
        cmocka_unit_test(hostile_fast_paths_match_reference),
        cmocka_unit_test(names_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, report);
}
