/*
 * test_fastpaths.c -- every shortcut of the per-event path gives what the
 * slow path gives (docs/performance.md):
 *   - one tokenisation shared by SimHash, head/tail keys and the language
 *     guess == each walking the text itself;
 *   - the one-pass tool-name word matcher == one strstr per word;
 *   - the exact-duplicate caches of a feature worker (prompt, system
 *     prompt, user agent, tool list) == a fresh worker for every event,
 *     on a stream with repeats, near-repeats and hash-slot conflicts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "features/features.h"
#include "features/lang.h"
#include "features/simhash.h"
#include "features/targets.h"
#include "features/text.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static const char *const pieces[] = {
    "Explain", "step by step", "the reasoning", "behind", "this answer", "\"42\"", "'x'", "3.14",
    "1,024", "Grade", "the response", "against", "the rubric", ".", "!", "?", ":", ";", ",", " ",
    "  ", "\n", "por favor", "explica", "¿Cómo?", "señor", "解释", "一步一步", "思考", "。", "カタカナ",
    "한국어", "Привет", "```python\nprint(1)\n```", "`code`", "https://example.com/a?b=c",
    "user@example.org", "0xdeadbeef", "550e8400-e29b-41d4-a716-446655440000", "<num>", "O'Brien",
    "don't", "Ünïcödé", "\xff\xfe", "Tool", "bash", "the", "and", "de", "la", "que", "el",
};
#define N_PIECES (sizeof pieces / sizeof pieces[0])

static size_t random_text(char *buf, size_t cap)
{
    size_t n = 0, k = 1 + rnd() % 60;
    for (size_t i = 0; i < k; i++) {
        const char *p = pieces[rnd() % N_PIECES];
        size_t l = strlen(p);
        if (n + l + 1 >= cap)
            break;
        memcpy(buf + n, p, l);
        n += l;
        if (rnd() % 3)
            buf[n++] = ' ';
    }
    buf[n] = 0;
    return n;
}

static void tokens_match_walks(void **state)
{
    (void)state;
    static char text[8192], norm[HU_TEXT_OUT_CAP(8192)];
    static struct hu__token toks[4096];
    for (int it = 0; it < 3000; it++) {
        size_t len = random_text(text, sizeof text);
        size_t nl = hu_text_template(text, len, norm, sizeof norm);
        size_t n = hu__tokenize(norm, nl, toks, 4096);
        assert_true(n != SIZE_MAX);
        assert_int_equal(hu__simhash_tokens(norm, toks, n), hu_text_simhash(norm, nl));
        uint64_t h1, t1, h2, t2;
        hu_text_head_tail(norm, nl, &h1, &t1);
        hu__head_tail_tokens(norm, toks, n, &h2, &t2);
        assert_int_equal(h1, h2);
        assert_int_equal(t1, t2);
        assert_int_equal(hu__lang_guess_tokens(norm, nl, toks, n), hu_lang_guess(norm, nl));
        /* raw (unnormalised) bytes too: the functions must agree on any input */
        n = hu__tokenize(text, len, toks, 4096);
        assert_true(n != SIZE_MAX);
        assert_int_equal(hu__simhash_tokens(text, toks, n), hu_text_simhash(text, len));
        if (n > 2)
            assert_int_equal(hu__tokenize(text, len, toks, n - 1), SIZE_MAX);
    }
    assert_int_equal(hu__tokenize("", 0, toks, 4), 0);
}

/* the reference: one lowered copy of the first 127 bytes, one strstr per word */
static const char *const ref_computer[] = {
    "computer", "screenshot", "mouse", "click", "browser", "navigate", "screen", "keyboard",
    "playwright", "puppeteer", "desktop", NULL
};
static const char *const ref_coding[] = {
    "bash", "shell", "terminal", "str_replace", "editor", "edit_file", "write_file", "read_file",
    "apply_patch", "run_test", "execute", "python", "code_interpreter", "git", "grep", NULL
};
static int ref_has(const struct hu_span *s, const char *const *words)
{
    char low[128];
    size_t n = s->len < sizeof low - 1 ? s->len : sizeof low - 1;
    if (s->ptr == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s->ptr[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    low[n] = 0;
    for (size_t k = 0; words[k]; k++)
        if (strstr(low, words[k]) != NULL)
            return 1;
    return 0;
}

static void tool_words_match_strstr(void **state)
{
    (void)state;
    static const char *const parts[] = { "Bash", "SHELL", "mouse_", "x", "str_", "replace", "git", "gi",
                                          "Browser", "navi", "gate", "\0", "run_tes", "t", "Code_Interpreter",
                                          "keyboard", "pup", "peteer", "é", "_", "-", "grep" };
    static struct hu_event ev;
    static char names[16][200];
    for (int it = 0; it < 20000; it++) {
        memset(&ev, 0, sizeof ev);
        ev.n_tools = rnd() % 4;
        int ref = 0;
        for (uint32_t t = 0; t < ev.n_tools; t++) {
            size_t n = 0;
            int k = (int)(rnd() % 8);
            if (rnd() % 10 == 0)
                k = 40;                              /* past the 127-byte window */
            for (int i = 0; i < k; i++) {
                const char *p = parts[rnd() % (sizeof parts / sizeof parts[0])];
                size_t l = *p ? strlen(p) : 1;
                if (n + l >= sizeof names[t])
                    break;
                memcpy(names[t] + n, p, l);
                n += l;
            }
            ev.tools[t] = (struct hu_span){ rnd() % 20 ? names[t] : NULL, n };
            ref |= ref_has(&ev.tools[t], ref_computer) ? 1 : 0;
            ref |= ref_has(&ev.tools[t], ref_coding) ? 2 : 0;
        }
        assert_int_equal(hu_targets_tool_kinds(&ev), (unsigned)ref);
    }
}

static struct hu_span S(const char *s)
{
    return (struct hu_span){ s, s ? strlen(s) : 0 };
}

static void caches_match_fresh_workers(void **state)
{
    (void)state;
    char err[256];
    struct hu_features *fx = NULL;
    struct hu_fx_worker *cached = NULL;
    assert_int_equal(hu_features_create(NULL, &fx, err, sizeof err), HU_OK);
    assert_int_equal(hu_fx_worker_create(fx, &cached), HU_OK);
    /* a small pool of texts, so that repeats, slot conflicts (1,024 prompt
     * slots, 64 system slots) and near-duplicates (one byte apart) all occur */
    enum { POOL = 300 };
    static char prompts[POOL][2200], systems[8][400], uas[6][80], tools[5][40];
    for (int i = 0; i < POOL; i++) {
        size_t n = random_text(prompts[i], sizeof prompts[i] - 1);
        if (i % 7 == 1 && i > 0) {                   /* near-duplicate of the previous one */
            memcpy(prompts[i], prompts[i - 1], sizeof prompts[i]);
            n = strlen(prompts[i]);
            if (n)
                prompts[i][n - 1] ^= 1;
        }
        if (i % 50 == 3) {                            /* longer than the cached size */
            memset(prompts[i], 'a', 2100);
            prompts[i][2100] = 0;
        }
    }
    for (int i = 0; i < 8; i++)
        random_text(systems[i], sizeof systems[i]);
    for (int i = 0; i < 6; i++)
        snprintf(uas[i], sizeof uas[i], "client-%c/%d.%d (x)", 'a' + i % 3, i, i * 7);
    static const char *const tool_names[] = { "bash", "read_file", "Screenshot", "search", "calc" };
    for (int i = 0; i < 5; i++)
        snprintf(tools[i], sizeof tools[i], "%s", tool_names[i]);
    static struct hu_event ev;
    for (int it = 0; it < 4000; it++) {
        memset(&ev, 0, sizeof ev);
        ev.kind = HU_EV_REQUEST;
        ev.thinking = -1;
        ev.account_id = S("a");
        ev.prompt = S(prompts[rnd() % POOL]);
        if (rnd() % 4)
            ev.system = S(systems[rnd() % 8]);
        if (rnd() % 5)
            ev.user_agent = S(uas[rnd() % 6]);
        ev.n_tools = rnd() % 4;
        for (uint32_t t = 0; t < ev.n_tools; t++)
            ev.tools[t] = S(tools[rnd() % 5]);
        ev.tools_total = ev.n_tools;
        struct hu_req_features a, b;
        hu_features_extract(cached, &ev, &a);
        struct hu_fx_worker *fresh = NULL;
        assert_int_equal(hu_fx_worker_create(fx, &fresh), HU_OK);
        hu_features_extract(fresh, &ev, &b);
        hu_fx_worker_destroy(fresh);
        assert_memory_equal(&a, &b, sizeof a);
    }
    hu_fx_worker_destroy(cached);
    hu_features_destroy(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens_match_walks),
        cmocka_unit_test(tool_words_match_strstr),
        cmocka_unit_test(caches_match_fresh_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
