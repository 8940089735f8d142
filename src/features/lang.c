/*
 * lang.c -- coarse language guess (see lang.h).
 *
 * Decision, in order:
 *   1. Han characters >= 30% of letters and kana < 10% of Han -> zh;
 *      otherwise Han/kana/Hangul majority -> other (Japanese, Korean).
 *   2. Non-Latin letters (Cyrillic, Greek, Arabic...) the majority -> other.
 *   3. Latin: count stop words of English, Spanish, French, German,
 *      Portuguese over the first 256 tokens; ñ ¿ ¡ count for Spanish.  The
 *      language with most hits wins if it has at least one; ties and
 *      no hits: ASCII-only text is en, anything else other.
 * Short prompts ("hola", "ok") are the weak spot; nothing downstream relies
 * on the language of a single request.
 *
 * Cost: one pass over the text, eight ASCII bytes per step (letters counted
 * with carry-free byte arithmetic), code points decoded only for non-ASCII
 * bytes; one masked load and one table probe per stop-word candidate.
 * 21.1k -> 8.5k instructions on a 653-byte prose prompt (bench_json;
 * tests/unit/test_textref.c holds it to the former code).  On the
 * per-prompt path the walk is gone: the normaliser counts the code points
 * and the ASCII letters outside slot tokens as it writes the template
 * (struct hu__lang_counts and tb->letters, text.h), and what is left here
 * is the stop words of the first 256 tokens, added in one register.
 *
 * The stop-word probe is branch-free (lang.h): a constant table of 256
 * slots with every word at its home slot, the token's first bytes masked
 * to its length without a branch, a mask instead of a select on the
 * match (the compiler had turned "key == v ? inc : 0" into a branch, and
 * whether a token is a stop word is a coin toss: on real prompts that
 * branch and the memchr pass for slot letters were most of the stage).
 * Measured by me (bench_json stages,real, minimum of 3 runs, three runs
 * each of main's binary and this one, alternated, the machine shared):
 * the language stage 0.77-0.78 -> 0.27-0.28 us per real-prompt line
 * (1.5 KB) and 0.32-0.33 -> 0.20 us on the word salad.  Counting the
 * stop words inside the normaliser instead, as each token closes, was
 * tried and cost it more than it saved (~45 instructions per token on the
 * token state in memory, and 8-byte loads of bytes still in the store
 * buffer).
 */
#include <string.h>

#include "features/lang.h"
#include "features/features.h"
#include "features/text.h"

enum { L_EN, L_ES, L_FR, L_DE, L_PT, L_N };

_Static_assert(HU__STOP_FIELD * L_N <= 64, "one field per language in a uint64");
_Static_assert((1u << HU__STOP_FIELD) > 256, "a field counts 256 tokens");

/* Words that are frequent in one language and rare in the others ("de",
 * "en", "a" are shared and left out), packed as hu__stop_pack packs a
 * token: W3('t','h','e') is "the", '\xC3','\xB3' is "ó" in UTF-8.  Each
 * word sits in its home slot HU__STOP_SLOT(key) (lang.h): two words in one
 * slot would override an initializer, which -Wextra reports
 * (-Woverride-init), and tests/unit/test_textref.c checks every word and
 * every slot against the reference's list of words. */
#define B_(c, i) ((uint64_t)(unsigned char)(c) << (8 * (i)))
#define W1(a) B_(a, 0)
#define W2(a, b) (W1(a) | B_(b, 1))
#define W3(a, b, c) (W2(a, b) | B_(c, 2))
#define W4(a, b, c, d) (W3(a, b, c) | B_(d, 3))
#define W5(a, b, c, d, e) (W4(a, b, c, d) | B_(e, 4))
#define SW(lang, key) [HU__STOP_SLOT(key)] = (key) | ((uint64_t)(HU__STOP_FIELD * (lang)) << 56)
const uint64_t hu__stop_tab[HU__STOP_SLOTS] = {
    SW(L_EN, W3('t', 'h', 'e')), SW(L_EN, W3('a', 'n', 'd')), SW(L_EN, W2('o', 'f')),
    SW(L_EN, W2('t', 'o')), SW(L_EN, W2('i', 's')), SW(L_EN, W3('y', 'o', 'u')),
    SW(L_EN, W4('t', 'h', 'a', 't')), SW(L_EN, W2('i', 't')), SW(L_EN, W3('f', 'o', 'r')),
    SW(L_EN, W4('w', 'h', 'a', 't')), SW(L_EN, W3('h', 'o', 'w')), SW(L_EN, W4('w', 'i', 't', 'h')),
    SW(L_EN, W4('t', 'h', 'i', 's')), SW(L_EN, W3('a', 'r', 'e')), SW(L_EN, W1('i')),
    SW(L_EN, W4('y', 'o', 'u', 'r')), SW(L_EN, W3('c', 'a', 'n')), SW(L_EN, W2('b', 'e')),
    SW(L_EN, W2('a', 'n')), SW(L_EN, W2('i', 'n')),
    SW(L_ES, W2('e', 'l')), SW(L_ES, W2('l', 'a')), SW(L_ES, W3('q', 'u', 'e')),
    SW(L_ES, W1('y')), SW(L_ES, W3('l', 'o', 's')), SW(L_ES, W3('l', 'a', 's')),
    SW(L_ES, W3('p', 'o', 'r')), SW(L_ES, W4('p', 'a', 'r', 'a')), SW(L_ES, W3('u', 'n', 'a')),
    SW(L_ES, W2('e', 's')), SW(L_ES, W3('d', 'e', 'l')), SW(L_ES, W3('c', 'o', 'n')),
    SW(L_ES, W5('c', '\xC3', '\xB3', 'm', 'o')), SW(L_ES, W4('q', 'u', '\xC3', '\xA9')),
    SW(L_ES, W2('a', 'l')), SW(L_ES, W2('s', 'e')), SW(L_ES, W2('l', 'o')), SW(L_ES, W2('s', 'u')),
    SW(L_ES, W4('p', 'a', 's', 'o')), SW(L_ES, W5('c', 'u', '\xC3', '\xA1', 'l')),
    SW(L_FR, W2('l', 'e')), SW(L_FR, W3('l', 'e', 's')), SW(L_FR, W3('d', 'e', 's')),
    SW(L_FR, W3('e', 's', 't')), SW(L_FR, W2('e', 't')), SW(L_FR, W3('u', 'n', 'e')),
    SW(L_FR, W4('v', 'o', 'u', 's')), SW(L_FR, W3('p', 'a', 's')), SW(L_FR, W2('d', 'u')),
    SW(L_FR, W2('j', 'e')),
    SW(L_DE, W3('d', 'e', 'r')), SW(L_DE, W3('d', 'i', 'e')), SW(L_DE, W3('u', 'n', 'd')),
    SW(L_DE, W3('i', 's', 't')), SW(L_DE, W5('n', 'i', 'c', 'h', 't')), SW(L_DE, W3('i', 'c', 'h')),
    SW(L_DE, W3('s', 'i', 'e')), SW(L_DE, W3('d', 'a', 's')), SW(L_DE, W3('e', 'i', 'n')),
    SW(L_DE, W3('m', 'i', 't')),
    SW(L_PT, W4('n', '\xC3', '\xA3', 'o')), SW(L_PT, W5('v', 'o', 'c', '\xC3', '\xAA')),
    SW(L_PT, W2('o', 's')), SW(L_PT, W3('u', 'm', 'a')), SW(L_PT, W2('\xC3', '\xA9')),
    SW(L_PT, W2('d', 'o')), SW(L_PT, W2('d', 'a')), SW(L_PT, W2('e', 'm')),
    SW(L_PT, W4('c', 'o', 'm', 'o')),
};

/* hu__stop_pack of norm[start .. start + n), with one load when 8 bytes
 * are readable inside norm[0..len). */
static inline uint64_t pack_at(const char *norm, size_t len, size_t start, size_t n)
{
    if (len - start < 8)
        return hu__stop_pack(norm + start, n);
    uint64_t v;
    memcpy(&v, norm + start, 8);
    /* little-endian: the first n bytes; the mask without a branch on the
     * token's length (shorter or longer than 8 bytes: a coin toss) */
    return v & hu__stop_mask(n);
}

/* Letters among 8 ASCII bytes (x has no byte >= 0x80): (c | 0x20) in
 * 'a'..'z', counted with carry-free byte adds. */
static unsigned ascii_letters8(uint64_t x)
{
    const uint64_t ones = UINT64_C(0x0101010101010101);
    uint64_t l = x | (0x20 * ones);
    uint64_t ge_a = l + (0x80 - 'a') * ones;        /* bit 7 set: l >= 'a' */
    uint64_t gt_z = l + (0x80 - 'z' - 1) * ones;    /* bit 7 set: l > 'z' */
    uint64_t m = (ge_a & ~gt_z & (0x80 * ones)) >> 7;   /* 0 or 1 per byte */
    return (unsigned)((m * ones) >> 56);                /* sum of the bytes */
}

/* The decision from the counts and the stop words of the first 256
 * tokens (hu__stop_inc added up). */
static int decide(const struct hu__lang_counts *c, uint64_t stops)
{
    unsigned score[L_N];
    size_t han = c->han, kana = c->kana, hangul = c->hangul, latin = c->latin, other = c->other;

    size_t cjk = han + kana + hangul;
    /* A Latin character is worth about a fifth of a CJK one in content. */
    size_t latin_w = latin / 5;
    if (cjk > 0 && cjk >= latin_w && cjk >= other) {
        if (han * 10 >= (han + kana + hangul) * 3 && kana * 10 < han && hangul * 10 < han)
            return HU_LANG_ZH;
        return HU_LANG_OTHER;
    }
    if (other > latin)
        return HU_LANG_OTHER;
    if (latin == 0)
        return HU_LANG_OTHER;

    for (int l = 0; l < L_N; l++)
        score[l] = (unsigned)(stops >> (HU__STOP_FIELD * l)) & ((1u << HU__STOP_FIELD) - 1);
    score[L_ES] += (unsigned)c->es;
    int best = -1;
    unsigned bs = 0;
    int tie = 0;
    for (int l = 0; l < L_N; l++) {
        if (score[l] > bs) {
            bs = score[l];
            best = l;
            tie = 0;
        } else if (score[l] == bs && bs > 0) {
            tie = 1;
        }
    }
    if (best < 0 || tie)
        return c->nonascii_latin == 0 ? HU_LANG_EN : HU_LANG_OTHER;
    if (best == L_EN)
        return HU_LANG_EN;
    if (best == L_ES)
        return HU_LANG_ES;
    return HU_LANG_OTHER;
}

/* The stop words of the first 256 tokens: toks[0..n) or, toks == NULL,
 * the tokens walked here. */
static uint64_t stop_words(const char *norm, size_t len, const struct hu__token *toks, size_t n_toks)
{
    uint64_t acc = 0;
    if (toks != NULL) {
        size_t m = n_toks < 256 ? n_toks : 256, k = 0;
        /* tokens with 8 bytes readable from their start: one load each
         * (tokens come in order: only the last few are not) */
        for (; k < m && toks[k].start + (size_t)8 <= len; k++) {
            uint64_t v;
            memcpy(&v, norm + toks[k].start, 8);
            acc += hu__stop_inc(v & hu__stop_mask(toks[k].end - toks[k].start));
        }
        for (; k < m; k++)
            acc += hu__stop_inc(hu__stop_pack(norm + toks[k].start, toks[k].end - toks[k].start));
    } else {
        size_t pos = 0, start = 0, ntok = 0;
        int cjkflag = 0;
        while (ntok < 256 && hu__next_token(norm, len, &pos, &start, &cjkflag)) {
            ntok++;
            acc += hu__stop_inc(pack_at(norm, len, start, pos - start));
        }
    }
    return acc;
}

/* Does the decision read the stop words (a Latin text)? */
static int needs_stops(const struct hu__lang_counts *c)
{
    size_t cjk = c->han + c->kana + c->hangul;
    if (cjk > 0 && cjk >= c->latin / 5 && cjk >= c->other)
        return 0;
    return c->other <= c->latin && c->latin != 0;
}

/* toks == NULL: walk the tokens here; else the first n of hu__tokenize. */
static int guess(const char *norm, size_t len, const struct hu__token *toks, size_t n_toks)
{
    const unsigned char *u = (const unsigned char *)norm;
    struct hu__lang_counts c = { 0 };

    if (norm == NULL || len == 0)
        return HU_LANG_NONE;
    for (size_t i = 0; i < len;) {
        /* eight bytes at a time: the ASCII bytes before the first byte
         * that needs the code point path below (>= 0x80, or '<' that may
         * open a slot token) only count letters */
        if (len - i >= 8) {
            uint64_t x;
            memcpy(&x, u + i, 8);
            const uint64_t ones = UINT64_C(0x0101010101010101), m7 = 0x7F * ones;
            uint64_t t = (x & m7) ^ ('<' * ones);
            uint64_t stop = (x | ~((t + m7) | t)) & (0x80 * ones);   /* exact per byte */
            if (stop == 0) {
                c.latin += ascii_letters8(x);
                i += 8;
                continue;
            }
            unsigned k = (unsigned)__builtin_ctzll(stop) >> 3;     /* bytes before it */
            if (k > 0) {
                c.latin += ascii_letters8(x & ((UINT64_C(1) << (8 * k)) - 1));
                i += k;
            }
        }
        size_t adv = 1;
        uint32_t cp = u[i] < 0x80 ? u[i] : hu__utf8_decode(u + i, len - i, &adv);
        i += adv;
        if (cp == '<') {           /* slot tokens ("<num>") are not text */
            size_t j = i;
            while (j < len && j < i + 6 && u[j] >= 'a' && u[j] <= 'z')
                j++;
            if (j < len && u[j] == '>' && j > i) {
                i = j + 1;
                continue;
            }
        }
        if (cp < 0x80) {
            if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
                c.latin++;
            continue;
        }
        hu__lang_count_cp(&c, cp);
    }
    return decide(&c, needs_stops(&c) ? stop_words(norm, len, toks, n_toks) : 0);
}

int hu__lang_guess_counts(const char *norm, size_t len, const struct hu__token *toks, size_t n,
                          const struct hu__lang_counts *c)
{
    if (norm == NULL || len == 0)
        return HU_LANG_NONE;
    return decide(c, needs_stops(c) ? stop_words(norm, len, toks, n) : 0);
}

size_t hu__lang_ascii_letters(const char *norm, size_t len)
{
    const unsigned char *u = (const unsigned char *)norm;
    const uint64_t ones = UINT64_C(0x0101010101010101), m7 = 0x7F * ones, h = 0x80 * ones;
    size_t n = 0, i = 0;
    /* every [A-Za-z] byte: ASCII bytes are never inside a multi-byte
     * sequence, so the guess's walk meets each as itself */
    for (; len - i >= 8; i += 8) {
        uint64_t x;
        memcpy(&x, u + i, 8);
        uint64_t l = (x & m7) | (0x20 * ones);
        uint64_t letter = (l + (0x80 - 'a') * ones) & ~(l + (0x80 - 'z' - 1) * ones) & ~x & h;
        n += (size_t)(((letter >> 7) * ones) >> 56);
        uint64_t t = (x & m7) ^ ('<' * ones);
        uint64_t lt = ~((t + m7) | t) & ~x & h;               /* '<' bytes */
        while (lt != 0) {
            /* a slot token's letters are skipped by the guess: each '<' is
             * examined alone (a slot holds only [a-z] and its '>') */
            size_t a = i + ((size_t)__builtin_ctzll(lt) >> 3) + 1, j = a;
            lt &= lt - 1;
            while (j < len && j < a + 6 && u[j] >= 'a' && u[j] <= 'z')
                j++;
            if (j < len && u[j] == '>' && j > a)
                n -= j - a;
        }
    }
    for (; i < len; i++) {
        if ((u[i] | 0x20) >= 'a' && (u[i] | 0x20) <= 'z' && u[i] < 0x80)
            n++;
        if (u[i] == '<') {
            size_t a = i + 1, j = a;
            while (j < len && j < a + 6 && u[j] >= 'a' && u[j] <= 'z')
                j++;
            if (j < len && u[j] == '>' && j > a)
                n -= j - a;
        }
    }
    return n;
}

int hu_lang_guess(const char *norm, size_t len)
{
    return guess(norm, len, NULL, 0);
}

int hu__lang_guess_tokens(const char *norm, size_t len, const struct hu__token *toks, size_t n)
{
    return guess(norm, len, toks, n);
}
