/*
 * text.h -- Unicode-aware normalisation and the template key of a prompt.
 *
 * The template key is the prompt with its variable parts masked, so that
 * prompts generated from one template ("Solve: {a} + {b}", "Grade the answer
 * '{x}' from 1 to 10") give one key whatever was filled in.  One pass over
 * the UTF-8 code points writes the normalised, masked text:
 *
 *   - numbers (1, 3.14, 1,234,567, 1 234, fullwidth １２, Arabic-Indic,
 *     Devanagari digits; runs of CJK numerals)          -> <num>
 *   - quoted strings "..." '...' “...” ‘...’ «...» „...“ 「...」 『...』 -> <str>
 *   - fenced ``` blocks and inline `code`                -> <code>
 *   - URLs (scheme:// or www.)                           -> <url>
 *   - e-mail addresses                                   -> <email>
 *   - hex, uuid and hash/key-like tokens                 -> <hex>
 *   - names: a capitalised Latin word (2+ letters) that does not start a
 *     sentence; consecutive names merge ("John Smith" -> <name>) -> <name>
 *   - whitespace (incl. NBSP, ideographic space, newlines) collapses to one
 *     space; zero-width characters are dropped;
 *   - case folds for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic;
 *     fullwidth ASCII forms (U+FF01..FF5E) become ASCII;
 *   - CJK, kana and Hangul are kept character by character.
 *
 * The name heuristic is documented in docs/internals/features.md: it misses
 * a name that starts a sentence ("Mary has 3 apples" keeps "mary") and
 * masks capitalised common nouns (German) and Title Case headings; both
 * errors are consistent, so two prompts of one template still agree.
 *
 * Invalid UTF-8 cannot reach here (ingest validates) but is tolerated: each
 * bad byte reads as U+FFFD.  Nothing is read past `len`; the work is linear
 * in `len` (every look-ahead for a closing quote or backtick is memoised, so
 * a thousand unmatched quotes cost one scan, not a thousand).
 */
#ifndef HU_FEATURES_TEXT_H
#define HU_FEATURES_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Output bytes always sufficient for an input of `len` bytes: a 1-byte
 * input unit becomes at most a 5-byte slot ("1+1+" -> "<num>+<num>+").
 * Smaller buffers are allowed; the output is then cut at a code point. */
#define HU_TEXT_OUT_CAP(len) ((len) * 5u + 16u)

/* Normalise and mask p[0..len) into out[0..cap).  Returns the bytes
 * written (no NUL is added; out may be NULL only when cap is 0).  Never
 * fails, allocates nothing.  O(len). */
size_t hu_text_template(const char *p, size_t len, char *out, size_t cap);

/* The same pass writing two outputs: the template key into out (as
 * hu_text_template) and, if scan != NULL, the "scan text" into scan: every
 * mask applied except names, which stay as folded words (phrase patterns
 * and Title Case instructions need them).  *scan_len gets its length.
 * Each output is cut independently at its cap. */
size_t hu_text_normalise(const char *p, size_t len, char *out, size_t cap,
                         char *scan, size_t scap, size_t *scan_len);

/* Head and tail keys of normalised text: hashes of its first and of its
 * last sentence, each over whole tokens and the punctuation between them.
 * A "sentence" ends at . ! ? : ; or 。 but is extended until it holds at
 * least HU_TEXT_HT_MIN tokens and cut at HU_TEXT_HT_MAX.  They catch
 * templates whose variable part is not quoted ("Question: ... Imagine and
 * articulate the internal reasoning behind a completed response."): the
 * instruction at either end keeps its hash while the middle changes.
 * Both 0 when the text has no token.  O(len), no allocation. */
#define HU_TEXT_HT_MIN 4
#define HU_TEXT_HT_MAX 24
void hu_text_head_tail(const char *norm, size_t len, uint64_t *head, uint64_t *tail);

/* Code points in p[0..len): bytes that are not UTF-8 continuation bytes
 * (exact for valid UTF-8; a stray continuation byte is not counted).
 * O(len). */
size_t hu_text_chars(const char *p, size_t len);

/* Decode one code point at p[0..len), len >= 1: returns it and stores its
 * byte length in *adv (>= 1).  Invalid or truncated sequences, overlongs
 * and surrogates yield U+FFFD with *adv = 1. */
uint32_t hu__utf8_decode(const unsigned char *p, size_t len, size_t *adv);

/* Script classes used by the shingler and the language guesser. */
int hu__is_cjk(uint32_t cp);       /* Han, kana, Hangul, CJK compat */
int hu__is_han(uint32_t cp);
int hu__is_letter(uint32_t cp);    /* alphabetic (any script we know), not CJK */

/* Token iterator over NORMALISED text (the output of hu_text_template):
 * a token is a run of letters, digits, '_' and slot tokens ("<num>"), or one
 * CJK character (*cjk = 1).  Punctuation and spaces separate tokens.  On
 * return 1, the token is norm[*start .. *pos); 0 at the end.  Start with
 * *pos = 0.  O(token length) per call. */
int hu__next_token(const char *norm, size_t len, size_t *pos, size_t *start, int *cjk);

/* The same tokens, all at once, for the callers that each walk them
 * (SimHash, head/tail keys, language guess): one pass instead of three.
 * Fills toks[0..n) and returns n, or SIZE_MAX if there are more than cap
 * tokens (then the callers fall back to their own walks).  O(len). */
struct hu__token {
    uint32_t start, end;           /* norm[start .. end) */
    uint32_t cjk;                  /* 1: one CJK character */
};
size_t hu__tokenize(const char *norm, size_t len, struct hu__token *toks, size_t cap);

/* What the language guess counts of a text (lang.h): letters by script,
 * and the Spanish score of n-tilde and the inverted marks. */
struct hu__lang_counts {
    size_t han, kana, hangul, latin, other, nonascii_latin, es;
};

/* hu__tokenize (same tokens, same return) that also stores in hs[i] the
 * hash of token i under seed (hu_hash_seeded: SimHash's shingle hash) and
 * adds to *lc what the language guess counts of every code point >= 0x80
 * (lang.h; its ASCII letters are hu__lang_ascii_letters).  *lc is only
 * meaningful when the return is not SIZE_MAX.  hs or lc NULL: that part
 * is skipped (hu__tokenize is this with both NULL).  O(len). */
size_t hu__tokenize_hashed(const char *norm, size_t len, uint64_t seed, struct hu__token *toks,
                           uint64_t *hs, size_t cap, struct hu__lang_counts *lc);

/* The tokens of the template, found while the normaliser writes it
 * (hu__text_normalise_tokens): the caller sets toks, hs, cap and seed;
 * the normaliser sets the rest.  Exactly what hu__tokenize_hashed(out,
 * template length, seed, toks, hs, cap, &lc) gives on the finished
 * template, except that with more than cap tokens `overflow` is set
 * instead of returning SIZE_MAX (the first cap tokens are kept). */
struct hu__tokbuf {
    struct hu__token *toks;        /* cap entries, caller's */
    uint64_t *hs;                  /* cap entries: hu_hash_seeded(token, seed);
                                    * NULL: tokens are not hashed and
                                    * hu__text_feats_tokbuf's simhash is 0 */
    size_t cap;
    uint64_t seed;
    size_t n;                      /* tokens in toks (<= cap) */
    int overflow;                  /* there were more than cap */
    struct hu__lang_counts lc;     /* code points >= 0x80 (hu__tokenize_hashed) */
    size_t letters;                /* [A-Za-z] bytes of the template outside slot
                                    * tokens: hu__lang_ascii_letters (lang.h) */
    /* the scanner's state over the template written so far */
    size_t pos;                    /* bytes of the template classified */
    size_t start;                  /* start of the open token */
    int in_tok;                    /* a token is open */
    size_t lt_pend;                /* 0, or the byte after a '<' whose slot
                                    * token is not settled yet */
};

/* hu_text_normalise that also tokenises the template as it writes it
 * (tb != NULL; tb == NULL is hu_text_normalise).  The template and scan
 * text are those of hu_text_normalise, byte for byte.  Without overflow,
 * tb->lc and tb->letters are the counts the language guess needs
 * (hu__lang_guess_counts).  O(len). */
size_t hu__text_normalise_tokens(const char *p, size_t len, char *out, size_t cap,
                                 char *scan, size_t scap, size_t *scan_len, struct hu__tokbuf *tb);

/* Every token feature of one normalised prompt: exactly the values of the
 * separate functions named (tests/unit/test_textref.c). */
struct hu__text_feats {
    uint64_t simhash;              /* hu_text_simhash_seeded(norm, len, seed); 0 without tb->hs */
    uint64_t head, tail;           /* hu_text_head_tail */
    int lang;                      /* hu_lang_guess */
};

/* The token features of the template norm[0..len) that
 * hu__text_normalise_tokens wrote with tb, from the tokens already found
 * (with tb->overflow, the separate walks, so the values never depend on
 * tb->cap).  O(tokens), or O(len) on overflow. */
void hu__text_feats_tokbuf(const char *norm, size_t len, const struct hu__tokbuf *tb,
                           struct hu__text_feats *out);

/* hu_text_head_tail over the tokens of norm (hu__tokenize): same keys. */
void hu__head_tail_tokens(const char *norm, const struct hu__token *toks, size_t n,
                          uint64_t *head, uint64_t *tail);

#endif
