/*
 * lang.h -- coarse language of a prompt: en, zh, es or other.
 *
 * Script counts decide CJK (Han without kana -> zh; kana or Hangul ->
 * other); among Latin texts a handful of stop words decide English,
 * Spanish or other (French, German, Portuguese, Italian... all "other").
 * Good enough for per-language pattern statistics and profile shares, not
 * a language identifier.  The per-prompt path gives the guess counts made
 * while normalising (hu__lang_guess_counts) instead of a walk of its own.
 */
#ifndef HU_FEATURES_LANG_H
#define HU_FEATURES_LANG_H

#include <stddef.h>
#include <stdint.h>

#include "features/text.h"

/* enum hu_lang (features.h) of normalised text; HU_LANG_NONE when len is 0,
 * HU_LANG_OTHER when there are no letters.  O(len), no allocation. */
int hu_lang_guess(const char *norm, size_t len);
/* The same over the tokens of norm (text.h, hu__tokenize), without
 * walking them again. */
struct hu__token;
int hu__lang_guess_tokens(const char *norm, size_t len, const struct hu__token *toks, size_t n);

/* What the guess counts in its walk over the text (struct
 * hu__lang_counts, text.h: letters by script, the Spanish score of
 * n-tilde and the inverted marks) can be gathered by another walk instead:
 * the normaliser's (hu__text_normalise_tokens) or the fused tokeniser's
 * (hu__tokenize_hashed).  hu__lang_count_cp adds one decoded code point
 * >= 0x80 exactly as the guess's walk counts it (ASCII letters are
 * counted by the caller). */
static inline void hu__lang_count_cp(struct hu__lang_counts *c, uint32_t cp);
/* hu__lang_guess_tokens given the counts of norm (the same value). */
int hu__lang_guess_counts(const char *norm, size_t len, const struct hu__token *toks, size_t n,
                          const struct hu__lang_counts *c);
/* ASCII letters of norm[0..len) that the guess counts: every [A-Za-z]
 * byte except those of slot tokens ("<" 1-6 of [a-z] ">").  O(len), eight
 * bytes a step. */
size_t hu__lang_ascii_letters(const char *norm, size_t len);

/* The stop-word lookup of the guess (lang.c; here for
 * tests/unit/test_textref.c, which holds the table to the reference's
 * list).  A token of n bytes is packed into a uint64 (its first
 * min(n, 8) bytes, little-endian, zero above: hu__stop_pack);
 * hu__stop_inc of that value is 1 << (HU__STOP_FIELD * language) for a
 * stop word and 0 otherwise, so that the stop words of up to 4095 tokens
 * add up in one uint64, a field per language (en, es, fr, de, pt).  Every
 * stop word has at most 5 bytes and a token never holds a NUL, so a
 * longer token, packed from its first 8 bytes, matches nothing: no test
 * of the length.  The table is a constant: 256 slots, each word at its
 * home slot under the multiplier (a collision is a compile-time warning,
 * an error with WERROR=1), the key in the low 56 bits and the field's
 * shift in the top byte, 0 in an empty slot (so v must not be 0: no
 * token packs to 0).  One multiply, one load and one compare per token,
 * no branch. */
#define HU__STOP_FIELD 12               /* bits per count: up to 4095 >= 256 tokens */
#define HU__STOP_SLOTS 256
#define HU__STOP_MUL   UINT64_C(0x0c5a6b0c1542af29)
#define HU__STOP_SLOT(v) ((unsigned)(((uint64_t)(v) * HU__STOP_MUL) >> 56))
#define HU__STOP_KEY   UINT64_C(0x00FFFFFFFFFFFFFF)
extern const uint64_t hu__stop_tab[HU__STOP_SLOTS];

static inline uint64_t hu__stop_inc(uint64_t v)
{
    uint64_t e = hu__stop_tab[HU__STOP_SLOT(v)];
    /* a mask, not a select: whether a token is a stop word is a coin
     * toss for the branch predictor */
    return (UINT64_C(1) << (e >> 56)) & (UINT64_C(0) - (uint64_t)((e & HU__STOP_KEY) == v));
}

/* The mask of the first n bytes of a uint64 (all 8 from n = 8 on),
 * without a branch on n. */
static inline uint64_t hu__stop_mask(size_t n)
{
    return ((UINT64_C(1) << ((8 * n) & 63)) - 1) | (UINT64_C(0) - (uint64_t)(n > 7));
}

/* The first min(n, 8) bytes of p, little-endian, zero above (n == 0: 0). */
static inline uint64_t hu__stop_pack(const char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return v;
}

static inline void hu__lang_count_cp(struct hu__lang_counts *c, uint32_t cp)
{
    /* below U+1100 nothing is Han, kana or Hangul (text.c's classes) */
    if (cp >= 0x1100 && hu__is_han(cp))
        c->han++;
    else if (cp >= 0x3040 && cp <= 0x30FF)
        c->kana++;
    else if (cp >= 0x1100 && hu__is_cjk(cp))
        c->hangul++;
    else if (cp == 0xF1 || cp == 0xBF || cp == 0xA1)
        c->es += 2, c->latin++, c->nonascii_latin++;
    else if (hu__is_letter(cp)) {
        if (cp <= 0x24F || (cp >= 0x1E00 && cp <= 0x1EFF))
            c->latin++, c->nonascii_latin++;
        else
            c->other++;
    }
}

#endif
