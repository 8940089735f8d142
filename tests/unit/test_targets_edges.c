/*
 * test_targets_edges.c -- the two hand-made parts of hu_targets_scan held to
 * the frozen reference table (tests/unit/targets_ref.h, every row compiled
 * with CASELESS | UTF8 | SINGLEMATCH), at their edges:
 *
 *   - boundary literals ("\b(python|...|c\+\+|c#|node\.js)\b", "\brepo\b",
 *     "\bgui\b", "\bocr\b"): Hyperscan reports every occurrence of the bare
 *     literal and the callback checks \b.  Every literal (and its U+212A
 *     spelling of 'k') between every pair of neighbours: each printable
 *     ASCII byte but A-Z (scan text is lower case: targets.h), tab, newline, multi-byte code points (U+212A, U+017F,
 *     e-acute, a Han character, a fullwidth letter, an emoji) and the
 *     start/end of the text;
 *   - the branches that need a '(' ("assert \w+\(", "return \w+\(",
 *     "def \w+\(", "function \w+\(", "\w+\(\) *\{"), matched by hand after
 *     a memchr: short random strings of their pieces, so that near misses
 *     (no word before '(', two spaces, an upper-case or non-ASCII byte, a
 *     '(' at either end, several candidates of which a later one ends
 *     first) are frequent;
 *   - both mixed with other rows of the same targets, for the order in
 *     which sums are added.
 *
 * Same rows, and per-target sums equal bit for bit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hs.h>
#include <cmocka.h>

#include "features/targets.h"
#include "core/alloc.h"
#include "targets_ref_scan.h"

static struct hu_targets *db;
static struct hu_targets_scratch *scr;
static uint64_t n_checked, n_hits;

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    if (hu_targets_create(&db, err, sizeof err) != HU_OK || hu_targets_scratch_create(db, &scr) != HU_OK)
        return -1;
    return ref_open();
}

static int teardown(void **state)
{
    (void)state;
    ref_close();
    hu_targets_scratch_destroy(scr);
    hu_targets_destroy(db);
    return 0;
}

/* s[0..n) (valid UTF-8) through both: the same rows, the same sums. */
static void check(const char *s, size_t n)
{
    struct ref_ctx r;
    (void)ref_check(db, scr, s, n, 1, &r);
    n_checked++;
    n_hits += r.n;
}

/* ---- boundary literals ----------------------------------------------------- */

static const char *const blits[] = {
    "python", "javascript", "typescript", "java", "rust", "golang", "c++", "c#", "kotlin",
    "\xe2\x84\xaaotlin", "swift", "ruby", "php", "sql", "bash", "haskell", "has\xe2\x84\xaa" "ell", "scala",
    "react", "django", "flask", "flas\xe2\x84\xaa", "node.js", "repo", "gui", "ocr",
    /* near misses */
    "c+", "nodexjs", "c", "javas", "repos",
};

static size_t neighbours(const char **nb, size_t *nl, char *ascii)
{
    static const char *const multi[] = {
        "\xe2\x84\xaa", "\xc5\xbf", "\xc3\xa9", "\xe4\xb8\xad", "\xef\xbc\xa1", "\xf0\x9f\x98\x80",
    };
    size_t n = 0;
    nb[n] = "", nl[n++] = 0;                              /* start or end of the text */
    for (int c = 0x20; c < 0x7f; c++) {
        if (c >= 'A' && c <= 'Z')
            continue;                                     /* not in scan text */
        ascii[c] = (char)c;
        nb[n] = ascii + c, nl[n++] = 1;
    }
    ascii['\t'] = '\t', nb[n] = ascii + '\t', nl[n++] = 1;
    ascii['\n'] = '\n', nb[n] = ascii + '\n', nl[n++] = 1;
    for (size_t k = 0; k < sizeof multi / sizeof multi[0]; k++)
        nb[n] = multi[k], nl[n++] = strlen(multi[k]);
    return n;
}

static void boundary_literals_between_every_pair_of_neighbours(void **state)
{
    (void)state;
    static const char *nb[160];
    static size_t nl[160];
    static char ascii[128];
    size_t nn = neighbours(nb, nl, ascii);
    char t[64];
    uint64_t h0 = n_hits;
    for (size_t w = 0; w < sizeof blits / sizeof blits[0]; w++) {
        size_t wl = strlen(blits[w]);
        for (size_t a = 0; a < nn; a++) {
            for (size_t b = 0; b < nn; b++) {
                size_t n = 0;
                memcpy(t + n, nb[a], nl[a]), n += nl[a];
                memcpy(t + n, blits[w], wl), n += wl;
                memcpy(t + n, nb[b], nl[b]), n += nl[b];
                check(t, n);
            }
        }
    }
    print_message("boundary literals: %llu texts, %llu reference hits\n", (unsigned long long)n_checked,
                  (unsigned long long)(n_hits - h0));
    assert_true(n_hits - h0 > 10000);                     /* most pairs match, some do not */
}

/* ---- '(' branches and mixes ------------------------------------------------ */

static const char *const pieces[] = {
    "return", "assert", "def", "function", "functions", "retur", "ef", " ", " ", " ", "  ", "(",
    "(", "()", ")", "{", " {", "x", "f", "_", "9", "ab", "\xc3\xa9", "\xe2\x84\xaa", "\xc5\xbf", ".",
    "\t", "\n", "#include", "std::", "import", "from",
    /* boundary literals and rows of the same targets (coding, computer use, vision) */
    "python", "c++", "c#", "node.js", "repo", "gui", "ocr", "pull request", "codebase", "refactor",
    "desktop", "handwriting", "code review", "unit test", "<code>", "mouse", "cursor", "screenshot",
    "computer use", "web agent", "transcribe the image", "this image", "the code",
};

static void paren_branches_and_mixes_match_the_reference(void **state)
{
    (void)state;
    char t[512];
    size_t np = sizeof pieces / sizeof pieces[0];
    uint64_t h0 = n_hits, c0 = n_checked;
    for (int r = 0; r < 200000; r++) {
        size_t n = 0, k = 1 + rnd() % 12;
        for (size_t i = 0; i < k; i++) {
            const char *p = pieces[rnd() % np];
            size_t l = strlen(p);
            memcpy(t + n, p, l);
            n += l;
        }
        check(t, n);
    }
    print_message("'(' branches and mixes: %llu texts, %llu reference hits\n",
                  (unsigned long long)(n_checked - c0), (unsigned long long)(n_hits - h0));
    assert_true(n_hits - h0 > 50000);
}

/* The two rows matched backwards from their last word: their words,
 * near misses and separators, so that every optional part, the chunk
 * count limits and the "s?\\b" after the last word come and go. */
static const char *const hand_pieces[] = {
    "write", "create", "implement", "generate", "build", "code", "rewrite", "coder", "me", "a", "an", "the",
    "some", "two", "three", "thefoo", "anx", "function", "functions", "functionsx", "class", "classes",
    "unit test", "unit tests", "unit testss", "sql query", "cli tool", "regex", "x", "foo", "s", "_", "9",
    "call", "invoke", "invo\xe2\x84\xaa" "e", "use", "user", "this", "these", "one of the", "any of the",
    "tool", "tools", "toolx", "show", "write down", "write out", "include", "give", "present", "all", "of",
    "all of", "your", "reasoning", "reasoningx", "chain of thought", "chain-of-thought", "chain of-thought",
    "chain", "thought process", "thought", "reveal", "print", "expose", "me", "scratchpad", "inner monologue",
    "reasoning trace", "thinking process", "complete", "\xc3\xa9", "\xc2\xa0", "\xe2\x84\xaa",
};
static const char *const hand_seps[] = { " ", " ", " ", " ", "", "  ", "\t", "\n", "-", ".", "\xc2\xa0" };

static void hand_rows_match_the_reference(void **state)
{
    (void)state;
    char t[512];
    size_t np = sizeof hand_pieces / sizeof hand_pieces[0], ns = sizeof hand_seps / sizeof hand_seps[0];
    uint64_t h0 = n_hits, c0 = n_checked;
    for (int r = 0; r < 300000; r++) {
        size_t n = 0, k = 1 + rnd() % 10;
        for (size_t i = 0; i < k; i++) {
            const char *p = hand_pieces[rnd() % np], *q = hand_seps[rnd() % ns];
            size_t l = strlen(p), m = strlen(q);
            memcpy(t + n, p, l);
            n += l;
            memcpy(t + n, q, m);
            n += m;
        }
        check(t, n);
    }
    print_message("rows matched backwards: %llu texts, %llu reference hits\n",
                  (unsigned long long)(n_checked - c0), (unsigned long long)(n_hits - h0));
    assert_true(n_hits - h0 > 50000);
}

/* The same rows from their grammar: each slot one of its options (""
 * drops it), slots joined by a separator, mostly a space. */
static const char *const g_wc[][8] = {
    { "", "re", "x" }, { "write", "create", "implement", "generate", "build", "code", "coder" },
    { "", "me", "mee" }, { "", "a", "an", "the", "some", "two", "three", "thex" },
    { "", "x", "x y", "x y z", "x y z w", "thefoo", "a b" },
    { "function", "class", "unit test", "sql query", "cli tool", "regex", "tool" }, { "", "s", "x", "s_" },
};
static const char *const g_ct[][8] = {
    { "", "re", "x" }, { "call", "invoke", "invo\xe2\x84\xaa" "e", "use", "cal" },
    { "the", "a", "this", "these", "one of the", "any of the", "", "an" },
    { "", "x", "x y", "x y z", "thefoo" }, { "tool", "tools", "function", "functions", "toolx" }, { "", "s", "x" },
};
static const char *const g_sr[][8] = {
    { "", "re", "x" }, { "show", "write down", "write out", "include", "give", "present", "shows" },
    { "", "all", "all of", "of", "alls" }, { "your", "the", "", "yours" }, { "", "x", "x y", "thefoo" },
    { "reasoning", "chain of thought", "chain-of-thought", "chain of-thought", "thought process", "chain" },
    { "", "s", "x", "-" },
};

static const char *const g_st[][8] = {
    { "", "re", "x" }, { "show", "reveal", "write out", "output", "display", "give me", "print", "expose" },
    { "", "me", "mes" }, { "your", "the", "all", "full", "complete", "entire", "detailed", "" },
    { "", "x", "x y", "x y z" },
    { "chain of thought", "reasoning trace", "reasoning steps", "thought process", "inner monologue",
      "scratchpad", "thinking process", "thin\xe2\x84\xaaing process" },
    { "", "s", "x", "-" },
};

static size_t gen_grammar(const char *const (*g)[8], size_t slots, char *t)
{
    size_t n = 0, ns = sizeof hand_seps / sizeof hand_seps[0];
    for (size_t i = 0; i < slots; i++) {
        size_t no = 0;
        while (no < 8 && g[i][no] != NULL)
            no++;
        const char *p = g[i][rnd() % no];
        size_t l = strlen(p);
        memcpy(t + n, p, l);
        n += l;
        if (l > 0 && i + 2 < slots) {               /* no separator before the "s?" slot */
            const char *q = (rnd() % 4) ? " " : hand_seps[rnd() % ns];
            memcpy(t + n, q, strlen(q));
            n += strlen(q);
        }
    }
    return n;
}

static void hand_rows_from_their_grammar(void **state)
{
    (void)state;
    char t[512];
    uint64_t h0 = n_hits, c0 = n_checked;
    for (int r = 0; r < 100000; r++) {
        check(t, gen_grammar(g_wc, sizeof g_wc / sizeof g_wc[0], t));
        check(t, gen_grammar(g_ct, sizeof g_ct / sizeof g_ct[0], t));
        check(t, gen_grammar(g_sr, sizeof g_sr / sizeof g_sr[0], t));
        check(t, gen_grammar(g_st, sizeof g_st / sizeof g_st[0], t));
    }
    print_message("rows matched backwards, from their grammar: %llu texts, %llu reference hits\n",
                  (unsigned long long)(n_checked - c0), (unsigned long long)(n_hits - h0));
    assert_true(n_hits - h0 > 50000);
}

/* Explicit cases, with what the regexes say. */
static void paren_branches_by_hand(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t rows;                /* rows the reference reports (checked there too) */
    } cases[] = {
        { "return f(", 1 },         /* "return \w+\(" */
        { "xreturn f(", 1 },        /* no \b before the keyword */
        { "return  f(", 0 },        /* two spaces */
        { "return (", 0 },          /* no word */
        { "return f (", 0 },
        { "return \xc3\xa9(", 0 },  /* \w is ASCII */
        { "return a\xc3\xa9(", 0 },
        { "return \xc3\xa9" "a(", 0 },
        { "return f_9(", 1 },
        { "(return f(", 1 },
        { "f() {", 1 },             /* "\w+\(\) *\{" */
        { "f(){", 1 },
        { "f()   {", 1 },
        { "f()\t{", 0 },
        { "() {", 0 },
        { "f()", 0 },
        { "f() ", 0 },
        { "(", 0 },
        { "f(", 0 },
        { "def f() {", 1 },         /* one row, two branches: counted once */
        { "function f(x) {} return g(", 2 },
        { "console.log(f())", 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float sum[HU_TARGET_COUNT] = { 0 };
        size_t n = strlen(cases[i].text);
        size_t got = hu_targets_scan(db, scr, cases[i].text, n, sum, NULL, 0);
        if (got != cases[i].rows)
            print_error("case %zu: %zu rows, expected %zu\n", i, got, cases[i].rows);
        assert_int_equal(got, cases[i].rows);
        check(cases[i].text, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paren_branches_by_hand),
        cmocka_unit_test(boundary_literals_between_every_pair_of_neighbours),
        cmocka_unit_test(paren_branches_and_mixes_match_the_reference),
        cmocka_unit_test(hand_rows_match_the_reference),
        cmocka_unit_test(hand_rows_from_their_grammar),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
