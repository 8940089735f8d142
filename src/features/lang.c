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
 * and ASCII letters as it writes the template (struct hu__lang_counts,
 * text.h), slot letters are found by memchr for '<', and the stop words
 * of the tokens are added in one register: 8.5k -> 3.3k instructions.
 */
#include <pthread.h>
#include <string.h>

#include "features/lang.h"
#include "features/features.h"
#include "features/text.h"

enum { L_EN, L_ES, L_FR, L_DE, L_PT, L_N };

struct stopword {
    const char *w;
    unsigned char lang;
};

/* Words that are frequent in one language and rare in the others ("de",
 * "en", "a" are shared and left out). */
static const struct stopword stops[] = {
    { "the", L_EN }, { "and", L_EN }, { "of", L_EN }, { "to", L_EN }, { "is", L_EN },
    { "you", L_EN }, { "that", L_EN }, { "it", L_EN }, { "for", L_EN }, { "what", L_EN },
    { "how", L_EN }, { "with", L_EN }, { "this", L_EN }, { "are", L_EN }, { "i", L_EN },
    { "your", L_EN }, { "can", L_EN }, { "be", L_EN }, { "an", L_EN }, { "in", L_EN },
    { "el", L_ES }, { "la", L_ES }, { "que", L_ES }, { "y", L_ES }, { "los", L_ES },
    { "las", L_ES }, { "por", L_ES }, { "para", L_ES }, { "una", L_ES }, { "es", L_ES },
    { "del", L_ES }, { "con", L_ES }, { "cómo", L_ES }, { "qué", L_ES }, { "al", L_ES },
    { "se", L_ES }, { "lo", L_ES }, { "su", L_ES }, { "paso", L_ES }, { "cuál", L_ES },
    { "le", L_FR }, { "les", L_FR }, { "des", L_FR }, { "est", L_FR }, { "et", L_FR },
    { "une", L_FR }, { "vous", L_FR }, { "pas", L_FR }, { "du", L_FR }, { "je", L_FR },
    { "der", L_DE }, { "die", L_DE }, { "und", L_DE }, { "ist", L_DE }, { "nicht", L_DE },
    { "ich", L_DE }, { "sie", L_DE }, { "das", L_DE }, { "ein", L_DE }, { "mit", L_DE },
    { "não", L_PT }, { "você", L_PT }, { "os", L_PT }, { "uma", L_PT }, { "é", L_PT },
    { "do", L_PT }, { "da", L_PT }, { "em", L_PT }, { "como", L_PT },
};

/* Stop words packed into a uint64 (up to 8 bytes, little-endian, zero
 * padded) in an open-addressing table of STOP_SLOTS keys, a sixteenth
 * full, so that a token nearly always resolves at its first slot: one
 * 8-byte load, a mask, a multiply and one compare, without a branch on
 * the outcome (a binary search of the sorted words, ~7 unpredictable
 * compares, was a fifth of the language guess).  No stop word is longer
 * than 5 bytes and a token never holds a NUL (hu__next_token), so a
 * longer token, packed from its first 8 bytes, matches no key: the old
 * rule "tokens over 8 bytes are skipped" needs no branch either. */
#define N_STOPS (sizeof stops / sizeof stops[0])
#define STOP_SLOTS 1024u                /* power of two, >= 16 * N_STOPS */
static uint64_t stop_key[STOP_SLOTS];   /* 0: empty */
static unsigned char stop_lang_of[STOP_SLOTS];   /* L_N in empty slots */
/* 1 << (STOP_FIELD * language) for a stop word's slot, 0 elsewhere: the
 * counts of the first 256 tokens are added in one register, a field per
 * language, instead of incrementing score[] in memory (a chain of
 * store-to-load forwards on the same word, one per token). */
#define STOP_FIELD 12                   /* bits per count: up to 4095 > 256 tokens */
static uint64_t stop_inc[STOP_SLOTS];
/* The longest probe sequence of a key (1: every key at its home slot).
 * Linear probing keeps a key within stop_probe slots of its home with
 * no empty slot between, and keys are distinct, so the lookup can test
 * those slots unconditionally instead of stopping at a match or an empty
 * slot (whether a token is a stop word is a coin toss for the branch
 * predictor). */
static unsigned stop_probe = 1;
static pthread_once_t packed_once = PTHREAD_ONCE_INIT;

static uint64_t pack(const char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return v;
}

/* pack() of norm[start .. start + n), with one load when 8 bytes are
 * readable inside norm[0..len). */
static inline uint64_t pack_at(const char *norm, size_t len, size_t start, size_t n)
{
    if (len - start < 8)
        return pack(norm + start, n);
    uint64_t v;
    memcpy(&v, norm + start, 8);
    if (n == 0)
        return 0;
    /* little-endian: the first n bytes; the mask without a branch on the
     * token's length (shorter or longer than 8 bytes: a coin toss) */
    size_t m = n < 8 ? n : 8;
    return v & (~UINT64_C(0) >> (8 * (8 - m)));
}

static unsigned stop_slot(uint64_t v)
{
    /* an odd multiplier under which the stop words of stops[] all land
     * in distinct home slots (stop_probe 1: one compare per token); any
     * other list still works, with longer probes */
    return (unsigned)((v * UINT64_C(0xaa80754d1a1a8d4f)) >> 54) & (STOP_SLOTS - 1);
}

static void packed_init(void)
{
    memset(stop_lang_of, L_N, sizeof stop_lang_of);
    for (size_t i = 0; i < N_STOPS; i++) {
        uint64_t v = pack(stops[i].w, strlen(stops[i].w));
        unsigned k = stop_slot(v);
        unsigned d = 1;
        while (stop_key[k] != 0 && stop_key[k] != v) {
            k = (k + 1) & (STOP_SLOTS - 1);
            d++;
        }
        if (stop_key[k] == 0) {         /* a repeated word keeps its first language */
            if (d > stop_probe)
                stop_probe = d;
            stop_key[k] = v;
            stop_lang_of[k] = stops[i].lang;
            stop_inc[k] = UINT64_C(1) << (STOP_FIELD * stops[i].lang);
        }
    }
}

_Static_assert(STOP_FIELD * L_N <= 64, "one field per language in a uint64");

/* The stop_inc of the stop word (if any) packed in v. */
static inline uint64_t stop_inc_of(uint64_t v)
{
    unsigned k = stop_slot(v);
    if (stop_probe == 1)                            /* the same every call */
        return stop_key[k] == v ? stop_inc[k] : 0;
    uint64_t inc = 0;
    for (unsigned d = 0; d < stop_probe; d++) {     /* the same count every call */
        unsigned kd = (k + d) & (STOP_SLOTS - 1);
        inc |= stop_key[kd] == v ? stop_inc[kd] : 0;  /* an empty slot holds 0 */
    }
    return inc;
}

/* Count the stop word (if any) packed in v: score[L_N] takes the misses. */
static inline void stop_count(uint64_t v, unsigned score[L_N + 1])
{
    unsigned k = stop_slot(v);
    while (stop_key[k] != v && stop_key[k] != 0)
        k = (k + 1) & (STOP_SLOTS - 1);
    score[stop_lang_of[k]]++;          /* an empty slot holds L_N */
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

/* The decision from the counts: toks == NULL walks the tokens here for
 * the stop words, else the first n of hu__tokenize. */
static int decide(const char *norm, size_t len, const struct hu__token *toks, size_t n_toks,
                  const struct hu__lang_counts *c)
{
    unsigned score[L_N + 1] = { 0 };    /* [L_N]: tokens that are no stop word */
    size_t han = c->han, kana = c->kana, hangul = c->hangul, latin = c->latin, other = c->other;

    score[L_ES] = (unsigned)c->es;
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

    pthread_once(&packed_once, packed_init);
    if (toks != NULL) {
        uint64_t acc = 0;
        for (size_t k = 0; k < n_toks && k < 256; k++)
            acc += stop_inc_of(pack_at(norm, len, toks[k].start, toks[k].end - toks[k].start));
        for (int l = 0; l < L_N; l++)
            score[l] += (unsigned)(acc >> (STOP_FIELD * l)) & ((1u << STOP_FIELD) - 1);
    } else {
        size_t pos = 0, start = 0, ntok = 0;
        int cjkflag = 0;
        while (ntok < 256 && hu__next_token(norm, len, &pos, &start, &cjkflag)) {
            ntok++;
            stop_count(pack_at(norm, len, start, pos - start), score);
        }
    }
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
    return decide(norm, len, toks, n_toks, &c);
}

int hu__lang_guess_counts(const char *norm, size_t len, const struct hu__token *toks, size_t n,
                          const struct hu__lang_counts *c)
{
    if (norm == NULL || len == 0)
        return HU_LANG_NONE;
    return decide(norm, len, toks, n, c);
}

size_t hu__lang_slot_letters(const char *norm, size_t len)
{
    const unsigned char *u = (const unsigned char *)norm;
    size_t n = 0;
    for (const char *q = memchr(norm, '<', len); q != NULL;
         q = memchr(q + 1, '<', len - (size_t)(q + 1 - norm))) {
        size_t a = (size_t)(q - norm) + 1, j = a;
        while (j < len && j < a + 6 && u[j] >= 'a' && u[j] <= 'z')
            j++;
        if (j < len && u[j] == '>' && j > a)
            n += j - a;
    }
    return n;
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
