/*
 * test_targets_equiv.c -- hu_targets_scan against the phrase table as it was
 * compiled before the speed work (tests/unit/targets_ref.h: every row with
 * CASELESS | UTF8 | SINGLEMATCH).
 *
 * For every input, the scan text (hu_text_normalise) is scanned by both;
 * they must report the same rows in the same order and the same per-target
 * sums, bit for bit.  Inputs:
 *
 *   - the real prompts corpus (../shared/data/prompts, every .jsonl; skipped
 *     with a message when absent, the generated inputs still run);
 *   - for every row, random strings generated from its own regex, alone,
 *     inside random context, and with their letters mutated into every case
 *     form Hyperscan's caseless UTF-8 matching folds (ASCII, Latin-1, Latin
 *     Extended-A, Greek and Cyrillic capitals, U+212A KELVIN SIGN for k,
 *     U+017F LONG S for s, U+1E9E for sharp s, fullwidth letters); every row
 *     must be hit by its own samples;
 *   - random salads of the table's words and bench_json's words with the
 *     same mutations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <hs.h>
#include <cmocka.h>

#include "features/targets.h"
#include "features/text.h"
#include "core/alloc.h"
#include "targets_ref_scan.h"
#include "corpus_text.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static struct hu_targets *db;
static struct hu_targets_scratch *scr;

#define TEXT_CAP (1 << 16)
static char tplb[HU_TEXT_OUT_CAP(TEXT_CAP)], scanb[HU_TEXT_OUT_CAP(TEXT_CAP)];
static uint64_t n_checked, n_hits, n_reordered;
static unsigned char row_hit[512];      /* rows the reference reported at least once */

static int setup(void **state)
{
    (void)state;
    char err[256];
    if (hu_targets_create(&db, err, sizeof err) != HU_OK || hu_targets_scratch_create(db, &scr) != HU_OK) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return ref_open();
}

static int teardown(void **state)
{
    (void)state;
    ref_close();
    hu_targets_scratch_destroy(scr);
    hu_targets_destroy(db);
    scr = NULL, db = NULL;
    return 0;
}

/* ---- one comparison ---------------------------------------------------------- */

/* Scan text s[0..n) with both; everything must agree (the order of rows
 * that end at one offset is counted, not required). */
static void check_scan(const char *s, size_t n)
{
    struct ref_ctx r;
    n_reordered += !ref_check(db, scr, s, n, 0, &r);
    n_checked++;
    n_hits += r.n;
    for (size_t i = 0; i < r.n; i++)
        row_hit[r.hits[i]] = 1;
}

/* Raw text: normalise, then compare on the scan text. */
static void check_raw(const char *p, size_t n)
{
    size_t sl = 0;
    hu_text_normalise(p, n, tplb, sizeof tplb, scanb, sizeof scanb, &sl);
    check_scan(scanb, sl);
}

/* ---- UTF-8 and case mutations ------------------------------------------------ */

/* Another case form of cp that Hyperscan's caseless matching would take
 * for it (or cp itself). */
static uint32_t other_case(uint32_t cp)
{
    switch (rnd() % 4) {
    case 0:
        return cp;
    case 1:
        if (cp == 'k')
            return 0x212A;                            /* KELVIN SIGN */
        if (cp == 's')
            return 0x17F;                             /* LONG S */
        if (cp == 0xDF)
            return 0x1E9E;                            /* CAPITAL SHARP S */
        if (cp >= 'a' && cp <= 'z')
            return cp - 'a' + 0xFF21;                 /* fullwidth capital */
        break;
    default:
        break;
    }
    if (cp >= 'a' && cp <= 'z')
        return cp - 32;
    if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
        return cp - 32;
    if (cp >= 0x101 && cp <= 0x17F && (cp & 1))
        return cp - 1;
    if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2)
        return cp - 32;
    if (cp >= 0x430 && cp <= 0x44F)
        return cp - 32;
    if (cp >= 0x450 && cp <= 0x45F)
        return cp - 80;
    return cp;
}

/* Copy p[0..n) into o with each letter, with probability 1/2, replaced by
 * another case form.  Returns the bytes written (o holds 4 * n). */
static size_t mutate(const char *p, size_t n, char *o)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t adv = 1;
        uint32_t cp = hu__utf8_decode((const unsigned char *)p + i, n - i, &adv);
        if (cp == 0xFFFD && adv == 1 && (unsigned char)p[i] >= 0x80) {
            o[k++] = p[i++];
            continue;
        }
        k += corpus_put_cp(o + k, (rnd() & 1) ? other_case(cp) : cp);
        i += adv;
    }
    return k;
}

/* ---- strings from a row's regex ---------------------------------------------- */

/* The subset of the syntax the table uses: literals (UTF-8), groups,
 * alternation, classes with ranges, \w \S \s \d \b and escaped
 * punctuation, '.', and the quantifiers ? * + {m,n}. */
struct gen {
    const char *re;
    char *out;
    size_t n, cap;
};

static void g_put(struct gen *g, const char *s, size_t n)
{
    if (g->n + n <= g->cap) {
        memcpy(g->out + g->n, s, n);
        g->n += n;
    }
}

static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
}

static size_t skip_atom(const char *re, size_t i);

/* End of the group or branch list starting at i (at the ')' or NUL). */
static size_t group_end(const char *re, size_t i)
{
    while (re[i] && re[i] != ')')
        i = re[i] == '|' ? i + 1 : skip_atom(re, i);
    return i;
}

static size_t skip_atom(const char *re, size_t i)
{
    if (re[i] == '\\')
        return i + 2;
    if (re[i] == '(')
        return group_end(re, i + 1) + 1;
    if (re[i] == '[') {
        i++;
        while (re[i] && re[i] != ']')
            i += re[i] == '\\' ? 2 : utf8_len((unsigned char)re[i]);
        return i + 1;
    }
    return i + utf8_len((unsigned char)re[i]);
}

static void gen_alt(struct gen *g, size_t i, size_t end);

static void gen_atom(struct gen *g, size_t i, size_t e)
{
    const char *re = g->re;
    char c = re[i];
    if (c == '(') {
        gen_alt(g, i + 1, e - 1);
    } else if (c == '[') {
        /* members between i+1 and e-1: pick one (a range: a random value in it) */
        size_t mem[64], nm = 0;
        for (size_t j = i + 1; j < e - 1 && nm < 64;) {
            mem[nm++] = j;
            j += re[j] == '\\' ? 2 : utf8_len((unsigned char)re[j]);
        }
        size_t j = mem[rnd() % nm];
        size_t l = re[j] == '\\' ? 2 : utf8_len((unsigned char)re[j]);
        if (j + l < e - 2 && re[j + l] == '-' && re[j] != '\\') {
            char v = (char)(re[j] + (char)(rnd() % (unsigned)(re[j + l + 1] - re[j] + 1)));
            g_put(g, &v, 1);
        } else if (re[j] == '-' && j > i + 1 && j + 1 < e - 1) {
            g_put(g, re + j + 1, 1);
        } else {
            g_put(g, re[j] == '\\' ? re + j + 1 : re + j, re[j] == '\\' ? 1 : l);
        }
    } else if (c == '\\') {
        static const char wchars[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
        char d = re[i + 1], v;
        switch (d) {
        case 'w': v = wchars[rnd() % (sizeof wchars - 1)]; g_put(g, &v, 1); break;
        case 'S': v = (char)('a' + rnd() % 26); g_put(g, &v, 1); break;
        case 's': g_put(g, " ", 1); break;
        case 'd': v = (char)('0' + rnd() % 10); g_put(g, &v, 1); break;
        case 'b': break;
        default: g_put(g, &d, 1); break;
        }
    } else if (c == '.') {
        char v = (rnd() & 1) ? ' ' : (char)('a' + rnd() % 26);
        g_put(g, &v, 1);
    } else {
        g_put(g, re + i, e - i);
    }
}

static void gen_seq(struct gen *g, size_t i, size_t end)
{
    const char *re = g->re;
    while (i < end) {
        size_t e = skip_atom(re, i), q = e;
        unsigned lo = 1, hi = 1;
        if (re[q] == '?') {
            lo = 0, hi = 1, q++;
        } else if (re[q] == '*') {
            lo = 0, hi = 2, q++;
        } else if (re[q] == '+') {
            lo = 1, hi = 3, q++;
        } else if (re[q] == '{') {
            lo = (unsigned)strtoul(re + q + 1, NULL, 10);
            const char *comma = strchr(re + q, ',');
            hi = comma ? (unsigned)strtoul(comma + 1, NULL, 10) : lo;
            if (hi > lo + 3)
                hi = lo + 3;
            q = (size_t)(strchr(re + q, '}') - re) + 1;
        }
        unsigned reps = lo + rnd() % (hi - lo + 1);
        for (unsigned r = 0; r < reps; r++)
            gen_atom(g, i, e);
        i = q;
    }
}

/* re[i..end) is a list of branches: generate one of them. */
static void gen_alt(struct gen *g, size_t i, size_t end)
{
    size_t starts[256], ns = 0;
    starts[ns++] = i;
    for (size_t j = i; j < end;) {
        if (g->re[j] == '|') {
            if (ns < 256)
                starts[ns++] = j + 1;
            j++;
        } else {
            j = skip_atom(g->re, j);
        }
    }
    size_t b = rnd() % ns;
    size_t e = b + 1 < ns ? starts[b + 1] - 1 : end;
    gen_seq(g, starts[b], e);
}

static size_t gen_row(size_t row, char *out, size_t cap)
{
    struct gen g = { ref_table[row].re, out, 0, cap };
    gen_alt(&g, 0, strlen(g.re));
    return g.n;
}

/* ---- tests --------------------------------------------------------------------- */

static void table_is_the_frozen_copy(void **state)
{
    (void)state;
    size_t n = 0;
    const struct hu_target_pattern *t = hu_targets_table(&n);
    assert_int_equal(n, REF_ROWS);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].re, ref_table[i].re) != 0 || t[i].target != ref_table[i].target ||
            t[i].weight != ref_table[i].weight) {
            print_error("row %zu differs from tests/unit/targets_ref.h: update the frozen copy "
                        "if the change is intended\n", i);
            fail();
        }
    }
}

static const char *const salad_words[] = {
    /* bench_json's words */
    "explain", "the", "reasoning", "step", "by", "step", "for", "this", "answer", "grade",
    "rubric", "function", "return", "value", "code", "python", "tool", "call", "result",
    "caf\xc3\xa9", "na\xc3\xafve", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
    "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "\"quoted\"", "line\nbreak", "tab\there",
    "\xf0\x9f\x98\x80", "data", "analysis",
    /* other pieces */
    "42", "3.14", "(", ")", "()", "{", ",", ".", ":", "-", "[[", "]]", "<", ">", "'", "Action:", "Observation:",
    "K\xc3\xb6nig", "\xe2\x84\xaa", "\xc5\xbf", "\xe1\xba\x9e", "\xef\xbc\xa1", "\xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1",
};

/* The words of the table: runs of letters, digits, '_' and non-ASCII. */
static size_t table_words(const char **w, size_t *wl, size_t cap)
{
    size_t n = 0;
    for (size_t r = 0; r < REF_ROWS; r++) {
        const char *p = ref_table[r].re;
        for (size_t i = 0; p[i] && n < cap;) {
            size_t j = i;
            while (p[j] && (((unsigned char)p[j] >= 0x80) || (p[j] >= 'a' && p[j] <= 'z') ||
                            (p[j] >= '0' && p[j] <= '9') || p[j] == '_' || p[j] == '\''))
                j++;
            if (j > i && !(i > 0 && p[i - 1] == '\\')) {
                w[n] = p + i;
                wl[n++] = j - i;
            }
            i = j > i ? j : i + 1;
        }
    }
    return n;
}

static void rows_on_their_own_samples(void **state)
{
    (void)state;
    static char s[4096], m[4 * 4096 + 64], ctx[8192];
    memset(row_hit, 0, sizeof row_hit);
    for (size_t row = 0; row < REF_ROWS; row++) {
        for (int k = 0; k < 60; k++) {
            size_t n = gen_row(row, s, sizeof s);
            check_scan(s, n);                 /* as scan text */
            check_raw(s, n);                  /* through the normaliser */
            size_t mn = mutate(s, n, m);
            check_raw(m, mn);
            /* inside context: another row's sample and a bench word */
            size_t c = 0;
            const char *w = salad_words[rnd() % (sizeof salad_words / sizeof salad_words[0])];
            memcpy(ctx + c, w, strlen(w));
            c += strlen(w);
            ctx[c++] = ' ';
            c += gen_row(rnd() % REF_ROWS, ctx + c, 2000);
            ctx[c++] = ' ';
            memcpy(ctx + c, m, mn);
            c += mn;
            ctx[c++] = (rnd() & 1) ? ' ' : '.';
            check_raw(ctx, c);
        }
    }
    size_t covered = 0;
    for (size_t row = 0; row < REF_ROWS; row++) {
        if (row_hit[row])
            covered++;
        else
            print_message("row %zu not hit by its samples\n", row);
    }
    print_message("row samples: %llu scans, %zu of %zu rows hit\n", (unsigned long long)n_checked, covered,
                  (size_t)REF_ROWS);
    assert_int_equal(covered, REF_ROWS);
}

static void word_salads(void **state)
{
    (void)state;
    static const char *w[8192];
    static size_t wl[8192];
    static char t[8192], m[4 * 8192 + 64];
    size_t nw = table_words(w, wl, 8192);
    size_t ns = sizeof salad_words / sizeof salad_words[0];
    assert_true(nw > 500);
    for (int r = 0; r < 20000; r++) {
        size_t n = 0, target = 20 + rnd() % 600;
        while (n < target) {
            const char *p;
            size_t l;
            if (rnd() % 3 == 0) {
                p = salad_words[rnd() % ns];
                l = strlen(p);
            } else {
                size_t k = rnd() % nw;
                p = w[k];
                l = wl[k];
            }
            memcpy(t + n, p, l);
            n += l;
            t[n++] = (rnd() % 8) ? ' ' : (rnd() & 1) ? '-' : ',';
        }
        check_raw(t, n);
        check_raw(m, mutate(t, n, m));
    }
    print_message("salads: %llu scans in all, %llu reference hits, %llu in another order\n",
                  (unsigned long long)n_checked, (unsigned long long)n_hits, (unsigned long long)n_reordered);
}

static void corpus_one(void *ctx, const char *text, size_t n, size_t index)
{
    static char m[4 * TEXT_CAP + 64];
    (void)ctx;
    check_raw(text, n);
    if (index % 4 == 0)
        check_raw(m, mutate(text, n, m));
}

static void corpus_matches_reference(void **state)
{
    (void)state;
    const char *dir = "../shared/data/prompts";
    static char text[TEXT_CAP];
    size_t files = 0;
    uint64_t hits0 = n_hits;
    long texts = corpus_each(dir, text, sizeof text, &files, corpus_one, NULL);
    if (texts < 0) {
        print_message("%s absent: corpus comparison skipped\n", dir);
        skip();
    }
    print_message("prompts corpus: %zu files, %ld texts, %llu reference hits\n", files, texts,
                  (unsigned long long)(n_hits - hits0));
    assert_true(texts > 1000);
}

/* Every allocation of the compile and of a scratch failed in turn: ENOMEM
 * and nothing leaked (LSan in the sanitizer build), then success.  Runs
 * while no reference to the shared database is alive. */
static void allocation_failures(void **state)
{
    (void)state;
    long n;
    for (n = 0; n < 10000; n++) {
        struct hu_targets *t = NULL;
        struct hu_targets_scratch *s = NULL;
        hu_alloc_fail_after(n);
        int rc = hu_targets_create(&t, NULL, 0);
        if (rc == HU_OK) {
            rc = hu_targets_scratch_create(t, &s);
            hu_alloc_fail_after(-1);
            if (rc == HU_OK) {
                float sum[HU_TARGET_COUNT] = { 0 };
                assert_int_equal(hu_targets_scan(t, s, "return f(x) refactor", 20, sum, NULL, 0), 2);
                hu_targets_scratch_destroy(s);
                hu_targets_destroy(t);
                break;
            }
            assert_int_equal(rc, HU_ENOMEM);
            hu_targets_destroy(t);
            continue;
        }
        hu_alloc_fail_after(-1);
        assert_int_equal(rc, HU_ENOMEM);
        assert_null(t);
    }
    print_message("allocation failures: success after %ld failed allocations\n", n);
    assert_true(n > 0 && n < 10000);
}

int main(void)
{
    /* allocation_failures first, while no database is alive; the others
     * each compile their own (setup per test) */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocation_failures),
        cmocka_unit_test_setup_teardown(table_is_the_frozen_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(rows_on_their_own_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(word_salads, setup, teardown),
        cmocka_unit_test_setup_teardown(corpus_matches_reference, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
