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
/* The letters of the slot tokens of norm[0..len): hu__lang_ascii_letters
 * is every [A-Za-z] byte minus these.  O(len) by memchr for '<'. */
size_t hu__lang_slot_letters(const char *norm, size_t len);

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
