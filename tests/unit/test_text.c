/* test_text.c -- normalisation, template key, SimHash, language. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "features/text.h"
#include "features/simhash.h"
#include "features/lang.h"
#include "features/features.h"
#include "core/alloc.h"
#include "core/hash.h"

/* ---- helpers --------------------------------------------------------------- */

static char outbuf[1 << 16], scanbuf[1 << 16];

/* Template text of s, NUL-terminated, in a static buffer. */
static const char *tpl(const char *s)
{
    size_t n = hu_text_template(s, strlen(s), outbuf, sizeof outbuf - 1);
    outbuf[n] = 0;
    return outbuf;
}

/* Scan text (names unmasked). */
static const char *scan(const char *s)
{
    size_t sl = 0;
    hu_text_normalise(s, strlen(s), outbuf, sizeof outbuf - 1, scanbuf, sizeof scanbuf - 1, &sl);
    scanbuf[sl] = 0;
    return scanbuf;
}

static uint64_t th(const char *s)
{
    size_t n = hu_text_template(s, strlen(s), outbuf, sizeof outbuf);
    return hu_hash(outbuf, n);
}

static int valid_utf8(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t adv;
        uint32_t cp = hu__utf8_decode(p + i, n - i, &adv);
        if (cp == 0xFFFD && !(n - i >= 3 && p[i] == 0xEF && p[i + 1] == 0xBF && p[i + 2] == 0xBD))
            return 0;
        i += adv;
    }
    return 1;
}

/* ---- masking of each kind -------------------------------------------------- */

static void masks_each_kind_en(void **state)
{
    (void)state;
    assert_string_equal(tpl("I have 3 apples and 1,234.56 dollars."),
                        "i have <num> apples and <num> dollars.");
    assert_string_equal(tpl("Numbers: 1 234 567, 1.234.567,89, 0.5, 12_000"),
                        "numbers: <num>, <num>, <num>, <num>");
    assert_string_equal(tpl("say \"hello there\" and 'bye now' please"), "say <str> and <str> please");
    assert_string_equal(tpl("it's John's book, don't"), "it's <name> book, don't");
    assert_string_equal(tpl("curly “quoted” and ‘single’ and «guillemets» and „German“"),
                        "curly <str> and <str> and <str> and <str>");
    assert_string_equal(tpl("run `make test` then\n```c\nint x = 1;\n```\ndone"),
                        "run <code> then <code> done");
    assert_string_equal(tpl("see https://example.com/a?b=1. or www.test.org, ok"),
                        "see <url>. or <url>, ok");
    assert_string_equal(tpl("mail john.doe+x@mail.example.co.uk now"), "mail <email> now");
    assert_string_equal(tpl("sha 3f2a9c1e77b0 and 123e4567-e89b-12d3-a456-426614174000 and 0xDEADBEEF"),
                        "sha <hex> and <hex> and <hex>");
    assert_string_equal(tpl("key sk-abc123def456ghi789jkl0 here"), "key <hex> here");
    assert_string_equal(tpl("Ask Mary Jane Watson about it"), "ask <name> about it");
    /* sentence starts are not names; single capitals are not names */
    assert_string_equal(tpl("Hello world. The end! I agree"), "hello world. the end! i agree");
    assert_string_equal(tpl("  lots \t of\n\n  space\u00a0here\u3000too  "), "lots of space here too");
    assert_string_equal(tpl("zero\u200bwidth\ufeff joiners"), "zerowidth joiners");
}

static void masks_each_kind_zh(void **state)
{
    (void)state;
    /* fullwidth digits, CJK numerals before a measure word, runs of numerals */
    assert_string_equal(tpl("小明有三个苹果，小红有１２个。"), "小明有<num>个苹果,小红有<num>个。");
    assert_string_equal(tpl("一百二十三加四十五等于多少"), "<num>加<num>等于多少");
    /* "一步一步" is a phrase, not a quantity */
    assert_string_equal(tpl("请一步一步地思考"), "请一步一步地思考");
    assert_string_equal(tpl("请翻译「你好世界」和“再见”"), "请翻译<str>和<str>");
    assert_string_equal(tpl("访问 https://例子.中国/路径 或 写信到 a@b.cn"), "访问 <url> 或 写信到 <email>");
    assert_string_equal(tpl("代码：`print(1)` 完成"), "代码:<code> 完成");
}

static void masks_each_kind_es(void **state)
{
    (void)state;
    assert_string_equal(tpl("¿Cuánto es 3,5 más 2.000? Pregúntale a María López."),
                        "¿cuánto es <num> más <num>? pregúntale a <name>.");
    assert_string_equal(tpl("Traduce «buenos días» y \"adiós\" al inglés"),
                        "traduce <str> y <str> al inglés");
    assert_string_equal(tpl("Ver https://ejemplo.es y escribir a ana@ejemplo.es"),
                        "ver <url> y escribir a <email>");
    assert_string_equal(tpl("Corrige `x = 1` y la clave 3f2a9c1e77b0, después ```\nfoo()\n``` fin"),
                        "corrige <code> y la clave <hex>, después <code> fin");
    assert_string_equal(tpl("小明的邮箱 ab12cd34ef56 是十六进制"), "小明的邮箱 <hex> 是<num>进制");
}

static void digits_of_other_scripts(void **state)
{
    (void)state;
    assert_string_equal(tpl("x ١٢٣ y ९९ z ۴۵"), "x <num> y <num> z <num>");
}

/* ---- case folding ------------------------------------------------------- */

static void folds_latin_greek_cyrillic(void **state)
{
    (void)state;
    assert_string_equal(scan("ÀÉÎÕÜ ÑÇ ÆØÅ ẞ"), "àéîõü ñç æøå ẞ");
    assert_string_equal(scan("ŁÓDŹ ŚWIĘTO ČEŠKÁ ŐRÜLT İSTANBUL Ÿ"), "łódź święto češká őrült istanbul ÿ");
    assert_string_equal(scan("ΣΟΦΙΑ Άλφα ΏΡΑ λόγος"), "σοφια άλφα ώρα λόγοσ");
    assert_string_equal(scan("ПРИВЕТ Мир ЁЛКА ЇЖАК Ѣ"), "привет мир ёлка їжак ѣ");
    assert_string_equal(scan("ＡＢＣ ｘｙｚ！"), "abc xyz!");
    /* Cyrillic and Greek capitals are folded, never masked as names */
    assert_string_equal(tpl("скажи Привет Миру"), "скажи привет миру");
    /* accented Latin capitals mid-sentence are names */
    assert_string_equal(tpl("hola Ángel Ñúñez"), "hola <name>");
}

/* ---- template-key equivalence --------------------------------------------- */

struct eqclass {
    const char *members[5];
};

static const struct eqclass classes[] = {
    { { "Solve: 12 + 7 = ?", "Solve: 1,024 + 3.5 = ?", "Solve:   99 +  0 = ?", "SOLVE: 7 + 7 = ?", NULL } },
    { { "Grade the answer \"Paris is the capital\" on a scale of 1 to 10.",
        "Grade the answer \"The moon is cheese\" on a scale of 0 to 5.",
        "Grade the answer “It depends” on a scale of 1 to 100.", NULL } },
    { { "Dear Alice Smith, your order 12345 ships to bob@example.com.",
        "Dear Bob, your order 9 ships to carol.x@mail.org.",
        "Dear José María Aznar, your order 77 ships to z@z.io.", NULL } },
    { { "Fix this code: ```python\nprint(1)\n``` and explain", "Fix this code: ```js\nconsole.log(2)\n``` and explain",
        "Fix this code: `x=1` and explain", NULL } },
    { { "小明有三个苹果,吃了两个,还剩几个?", "小明有５个苹果，吃了２个，还剩几个？", "小明有十二个苹果,吃了七个,还剩几个?", NULL } },
    { { "Explica paso a paso: si Juan tiene 3 manzanas y regala 1, ¿cuántas quedan?",
        "Explica paso a paso: si Pedro tiene 10 manzanas y regala 4, ¿cuántas quedan?", NULL } },
    { { "visit https://a.com/x and http://b.org now", "visit www.c.net and https://d.io/y?z=1 now", NULL } },
};

static void template_equivalence_classes(void **state)
{
    (void)state;
    uint64_t rep[sizeof classes / sizeof classes[0]];
    size_t nc = sizeof classes / sizeof classes[0];
    for (size_t c = 0; c < nc; c++) {
        uint64_t h0 = th(classes[c].members[0]);
        for (size_t m = 1; m < 5 && classes[c].members[m]; m++) {
            uint64_t h = th(classes[c].members[m]);
            if (h != h0)
                fail_msg("class %zu member %zu: '%s' vs '%s'", c, m, tpl(classes[c].members[m]),
                         (th(classes[c].members[0]), outbuf));
        }
        rep[c] = h0;
    }
    for (size_t a = 0; a < nc; a++)
        for (size_t b = a + 1; b < nc; b++)
            assert_true(rep[a] != rep[b]);
}

static void template_non_equivalence(void **state)
{
    (void)state;
    /* paraphrases and different instructions get different keys */
    const char *pairs[][2] = {
        { "Explain step by step how you arrived at the answer.", "Explain, step by step, how you got to the answer." },
        { "Grade the essay below.", "Score the essay below." },
        { "Write a function that adds 2 numbers", "Write a function that multiplies 2 numbers" },
        { "请一步一步地思考", "请逐步思考" },
        { "hola amigo", "hola amiga" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        assert_true(th(pairs[i][0]) != th(pairs[i][1]));
}

/* Reference for head/tail: all tokens in arrays, sentences found by
 * looking at the gap text (ASCII only). */
static int is_tokc(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '<' || c == '>';
}

static int gap_end(const char *p, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (strchr(".!?:;", p[i]))
            return 1;
    return 0;
}

static void ref_head_tail(const char *norm, uint64_t *head, uint64_t *tail)
{
    size_t st[512], en[512], n = 0, len = strlen(norm);
    for (size_t i = 0; i < len && n < 512;) {
        if (!is_tokc(norm[i])) {
            i++;
            continue;
        }
        st[n] = i;
        while (i < len && is_tokc(norm[i]))
            i++;
        en[n++] = i;
    }
    *head = *tail = 0;
    if (n == 0)
        return;
    size_t h = 1;             /* tokens in the head */
    while (h < n && h < HU_TEXT_HT_MAX && !(h >= HU_TEXT_HT_MIN && gap_end(norm, en[h - 1], st[h])))
        h++;
    size_t t = 1;             /* tokens in the tail */
    while (t < n && t < HU_TEXT_HT_MAX &&
           !(t >= HU_TEXT_HT_MIN && gap_end(norm, en[n - t - 1], st[n - t])))
        t++;
    *head = hu_hash(norm + st[0], en[h - 1] - st[0]);
    *tail = hu_hash(norm + st[n - t], en[n - 1] - st[n - t]);
}

static void head_tail_keys(void **state)
{
    (void)state;
    const char *texts[] = {
        "a", "a b c", "one, two; three four five six seven eight nine ten eleven twelve thirteen",
        "x y z x y z x y z x y z x y z x y z x y z x y z x y z (end)", "", " ;; ",
        "q: a. b. c d e f. g h i j k l m n o p q r s t u v w x y z a b c d e f. end one two three.",
        "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j",
        "hi. a b c d: e f g h i. j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    {
        uint64_t h, t, rh, rt;
        hu_text_head_tail(texts[i], strlen(texts[i]), &h, &t);
        ref_head_tail(texts[i], &rh, &rt);
        assert_int_equal(h, rh);
        assert_int_equal(t, rt);
    }
    /* unquoted variable content in the middle: tail (instruction last) or
     * head (instruction first) stays, the template key does not */
    const char *a = "Question: a farmer has some cows and sells a few at the market on monday. "
                    "Imagine and articulate the internal reasoning behind a completed response.";
    const char *b = "Question: why is the sky blue during the day but red at sunset for most people? "
                    "Imagine and articulate the internal reasoning behind a completed response.";
    uint64_t ha, ta, hb, tb;
    size_t n = hu_text_template(a, strlen(a), outbuf, sizeof outbuf);
    hu_text_head_tail(outbuf, n, &ha, &ta);
    n = hu_text_template(b, strlen(b), outbuf, sizeof outbuf);
    hu_text_head_tail(outbuf, n, &hb, &tb);
    assert_true(th(a) != th(b));
    assert_true(ha != hb);
    assert_int_equal(ta, tb);
}

/* ---- robustness ------------------------------------------------------------ */

static void invalid_bytes_and_bounds(void **state)
{
    (void)state;
    /* every input read from an exact-size heap block: ASan catches overreads */
    uint64_t rng = 42;
    static const unsigned char alphabet[] = "aZ9 .,'\"`@:/-_<>\xe2\x80\x9c\xe2\x80\x9d\xc3\xa9\xe4\xb8\x80\xff\xc0\x80\n";
    for (int iter = 0; iter < 3000; iter++) {
        rng = hu_hash_mix(rng);
        size_t n = (size_t)(rng % 96);
        unsigned char *in = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            rng = hu_hash_mix(rng);
            in[i] = (rng >> 60) < 3 ? (unsigned char)(rng >> 8) : alphabet[(rng >> 16) % (sizeof alphabet - 1)];
        }
        char out[HU_TEXT_OUT_CAP(96)], sc[HU_TEXT_OUT_CAP(96)];
        size_t sl = 0;
        size_t cap = (iter % 7 == 0) ? (size_t)(rng % 16) : sizeof out;
        size_t m = hu_text_normalise((const char *)in, n, out, cap, sc, sizeof sc, &sl);
        assert_true(m <= cap);
        assert_true(sl <= sizeof sc);
        assert_true(valid_utf8((const unsigned char *)out, m));
        assert_true(valid_utf8((const unsigned char *)sc, sl));
        (void)hu_text_simhash(out, m);
        (void)hu_lang_guess(out, m);
        free(in);
    }
    assert_int_equal(hu_text_template(NULL, 5, outbuf, 10), 0);
    assert_int_equal(hu_text_template("abc", 3, NULL, 0), 0);
}

static void unmatched_openers_are_literal(void **state)
{
    (void)state;
    size_t n = 20000;
    char *in = malloc(n);
    for (size_t i = 0; i < n; i += 2) {
        in[i] = (i / 2) % 3 == 0 ? '\'' : (i / 2) % 3 == 1 ? '`' : '"';
        in[i + 1] = 'a';
    }
    /* only the '"' are balanced: 3334 of them pair up into strings */
    char *out = malloc(HU_TEXT_OUT_CAP(n));
    size_t m = hu_text_template(in, n, out, HU_TEXT_OUT_CAP(n));
    assert_true(m > 0 && m < HU_TEXT_OUT_CAP(n));
    free(in);
    free(out);
    assert_string_equal(tpl("«open only and \"open too"), "«open only and \"open too");
    assert_string_equal(tpl("'quote never closed, don't"), "'quote never closed, don't");
}

/* Inputs that would make a naive scanner quadratic ("a.a.a..." rescanning
 * the rest of the run from every word, unmatched quotes searched again
 * from every opener).  No timing here: a regression shows as this test
 * taking seconds instead of milliseconds (64 KiB quadratic is ~1e9 steps
 * per case); bench/bench_features.c has the speed numbers. */
static void adversarial_inputs_are_linear(void **state)
{
    (void)state;
    static const char *const units[] = {
        "a.", "'a", "1.", "www.", "``", "«a", "\"a", "Jo ", "a@", "x-1", "\xe2\x80\x9c" "a",
        "\xe4\xb8\x80", "http://a", "0x", "-a1b2c3d4",
    };
    size_t n = 64 << 10;
    char *in = malloc(n);
    char *out = malloc(HU_TEXT_OUT_CAP(n)), *sc = malloc(HU_TEXT_OUT_CAP(n));
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t l = strlen(units[u]);
        for (size_t i = 0; i < n; i++)
            in[i] = units[u][i % l];
        size_t sl = 0;
        size_t m = hu_text_normalise(in, n, out, HU_TEXT_OUT_CAP(n), sc, HU_TEXT_OUT_CAP(n), &sl);
        assert_true(m > 0);
        assert_true(valid_utf8((const unsigned char *)out, m));
        (void)hu_text_simhash(out, m);
    }
    free(in);
    free(out);
    free(sc);
}

static void output_cut_keeps_whole_tokens(void **state)
{
    (void)state;
    char small[8];
    size_t m = hu_text_template("ab 12345 cd", 11, small, sizeof small);
    assert_int_equal(m, 8);                      /* "ab <num>" */
    assert_memory_equal(small, "ab <num>", 8);
    m = hu_text_template("ééééé", 10, small, 5); /* 2-byte chars: 2 fit in 5 */
    assert_int_equal(m, 4);
}

static void char_count(void **state)
{
    (void)state;
    assert_int_equal(hu_text_chars("héllo 世界", strlen("héllo 世界")), 8);
    assert_int_equal(hu_text_chars("", 0), 0);
}

/* ---- SimHash --------------------------------------------------------------- */

/* Reference for ASCII text: split on anything that is not [a-z0-9_<>],
 * hash unigrams and bigrams, count bits the slow way. */
static uint64_t ref_simhash(const char *norm)
{
    char words[256][64];
    size_t nw = 0;
    const char *p = norm;
    while (*p && nw < 256) {
        while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '<' || *p == '>'))
            p++;
        size_t n = 0;
        while (*p && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '<' || *p == '>'))
            words[nw][n++] = *p++;
        if (n) {
            words[nw][n] = 0;
            nw++;
        }
    }
    long v[64] = { 0 };
    uint64_t prev = 0;
    for (size_t i = 0; i < nw; i++) {
        uint64_t h = hu_hash(words[i], strlen(words[i]));
        uint64_t feats[2] = { h, i ? hu_hash_combine(prev, h) : 0 };
        long weight[2] = { 2, 1 };                 /* unigram, bigram */
        for (int f = 0; f < (i ? 2 : 1); f++)
            for (int b = 0; b < 64; b++)
                v[b] += ((feats[f] >> b) & 1) ? weight[f] : -weight[f];
        prev = h;
    }
    uint64_t s = 0;
    for (int b = 0; b < 64; b++)
        if (v[b] > 0)
            s |= UINT64_C(1) << b;
    return s;
}

static uint64_t sh(const char *s)
{
    size_t n = hu_text_template(s, strlen(s), outbuf, sizeof outbuf);
    return hu_text_simhash(outbuf, n);
}

static void simhash_matches_reference(void **state)
{
    (void)state;
    const char *texts[] = {
        "explain step by step how you arrived at the answer",
        "grade the following answer on a scale of 1 to 10 according to the rubric",
        "write a python function that reverses a linked list, with tests",
        "a", "hello, world! (again) -- twice; and 3 numbers 4 5",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t n = hu_text_template(texts[i], strlen(texts[i]), outbuf, sizeof outbuf);
        outbuf[n] = 0;
        assert_int_equal(hu_text_simhash(outbuf, n), ref_simhash(outbuf));
    }
    assert_int_equal(hu_text_simhash("", 0), 0);
    assert_int_equal(hu_text_simhash(" ,.; ", 5), 0);
    assert_int_equal(hu_text_simhash_dist(0, ~UINT64_C(0)), 64);
}

static void simhash_paraphrase_vs_unrelated(void **state)
{
    (void)state;
    const char *para[][2] = {
        { "Imagine and articulate the internal reasoning behind a completed response and write it out step by step.",
          "Imagine and articulate the hidden reasoning behind this completed response, then write it out step by step." },
        { "Grade the following answer on a scale of 1-10 according to the rubric below and justify the grade.",
          "Please grade the following answer on a scale from 1 to 10 according to the rubric below, and justify your grade." },
        { "Write a Python function that checks whether a string is a palindrome, ignoring case and punctuation.",
          "Write a Python function which checks if a string is a palindrome, ignoring punctuation and case." },
        { "请一步一步地解释你是如何得出这个答案的，并写出完整的推理过程。",
          "请逐步解释你是如何得出这个答案的，并且写出完整的推理过程。" },
        { "Explica paso a paso cómo llegaste a la respuesta y escribe todo tu razonamiento.",
          "Explica paso a paso cómo llegaste a esta respuesta y escribe tu razonamiento completo." },
    };
    const char *unrelated[] = {
        "What is the weather like in Madrid in April, and what should I pack for a week?",
        "Translate the following sentence into French: the cat sleeps on the warm windowsill.",
        "List three healthy breakfast ideas that take less than ten minutes to prepare.",
        "帮我写一封请假邮件，明天家里有事需要请一天假。",
        "¿Cuál es la capital de Australia y cuántos habitantes tiene?",
    };
    int max_para = 0, min_unrel = 64;
    for (size_t i = 0; i < 5; i++) {
        int d = hu_text_simhash_dist(sh(para[i][0]), sh(para[i][1]));
        if (d > max_para)
            max_para = d;
        for (size_t j = 0; j < 5; j++) {
            int u = hu_text_simhash_dist(sh(para[i][0]), sh(unrelated[j]));
            if (u < min_unrel)
                min_unrel = u;
        }
        /* different templates, close signatures */
        assert_true(th(para[i][0]) != th(para[i][1]));
    }
    print_message("simhash: max paraphrase distance %d, min unrelated %d\n", max_para, min_unrel);
    assert_true(max_para <= 16);
    assert_true(min_unrel >= 20);
    assert_true(max_para < min_unrel);
    /* template variants: identical signature */
    assert_int_equal(sh("Solve: 12 + 7 = ? Then ask Alice Smith"), sh("Solve: 3 + 4 = ? Then ask Bob"));
}

/* ---- language -------------------------------------------------------------- */

static int lang_of(const char *s)
{
    size_t n = hu_text_template(s, strlen(s), outbuf, sizeof outbuf);
    return hu_lang_guess(outbuf, n);
}

static void language_guess(void **state)
{
    (void)state;
    assert_int_equal(lang_of("What is the capital of France and why is it famous?"), HU_LANG_EN);
    assert_int_equal(lang_of("请一步一步地解释你的推理过程"), HU_LANG_ZH);
    assert_int_equal(lang_of("¿Cuál es la capital de Francia y por qué es famosa?"), HU_LANG_ES);
    assert_int_equal(lang_of("Explica paso a paso cómo se resuelve la ecuación"), HU_LANG_ES);
    assert_int_equal(lang_of("Quelle est la capitale de la France? Je ne sais pas."), HU_LANG_OTHER);
    assert_int_equal(lang_of("Was ist die Hauptstadt von Deutschland und warum ist sie nicht Bonn?"), HU_LANG_OTHER);
    assert_int_equal(lang_of("Какая столица у Франции?"), HU_LANG_OTHER);
    assert_int_equal(lang_of("日本の首都はどこですか?"), HU_LANG_OTHER);
    assert_int_equal(lang_of("한국의 수도는 어디입니까?"), HU_LANG_OTHER);
    assert_int_equal(lang_of("用Python写一个快速排序函数"), HU_LANG_ZH);
    assert_int_equal(hu_lang_guess("", 0), HU_LANG_NONE);
    assert_int_equal(lang_of("12 + 7 = ?"), HU_LANG_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(masks_each_kind_en),
        cmocka_unit_test(masks_each_kind_zh),
        cmocka_unit_test(masks_each_kind_es),
        cmocka_unit_test(digits_of_other_scripts),
        cmocka_unit_test(folds_latin_greek_cyrillic),
        cmocka_unit_test(template_equivalence_classes),
        cmocka_unit_test(template_non_equivalence),
        cmocka_unit_test(head_tail_keys),
        cmocka_unit_test(invalid_bytes_and_bounds),
        cmocka_unit_test(unmatched_openers_are_literal),
        cmocka_unit_test(adversarial_inputs_are_linear),
        cmocka_unit_test(output_cut_keeps_whole_tokens),
        cmocka_unit_test(char_count),
        cmocka_unit_test(simhash_matches_reference),
        cmocka_unit_test(simhash_paraphrase_vs_unrelated),
        cmocka_unit_test(language_guess),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
