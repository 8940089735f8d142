/*
 * lang.h -- coarse language of a prompt: en, zh, es or other.
 *
 * Script counts decide CJK (Han without kana -> zh; kana or Hangul ->
 * other); among Latin texts a handful of stop words decide English,
 * Spanish or other (French, German, Portuguese, Italian... all "other").
 * Good enough for per-language pattern statistics and profile shares, not
 * a language identifier.
 */
#ifndef HU_FEATURES_LANG_H
#define HU_FEATURES_LANG_H

#include <stddef.h>

/* enum hu_lang (features.h) of normalised text; HU_LANG_NONE when len is 0,
 * HU_LANG_OTHER when there are no letters.  O(len), no allocation. */
int hu_lang_guess(const char *norm, size_t len);
/* The same over the tokens of norm (text.h, hu__tokenize), without
 * walking them again. */
struct hu__token;
int hu__lang_guess_tokens(const char *norm, size_t len, const struct hu__token *toks, size_t n);

#endif
