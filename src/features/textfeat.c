/*
 * textfeat.c -- every token feature of a prompt from one walk (text.h,
 * hu__text_feats).
 *
 * The per-prompt path used to walk the normalised text four times after
 * normalising it: the tokeniser, SimHash (hashing each token again), the
 * head/tail keys and the language guess (a walk of its own counting
 * letters by script, then the first 256 tokens for stop words).  Here the
 * tokeniser hashes each token as it ends and counts the code points the
 * language guess counts (hu__tokenize_hashed); SimHash is fed the hashes
 * (hu__simhash_hashes), the head/tail keys and the stop words read the
 * tokens, and the ASCII letters are counted eight bytes a step
 * (hu__lang_ascii_letters).  Every result is the value of the separate
 * function, bit for bit: SimHash signatures and head/tail keys are
 * persisted and compared across versions.  tests/unit/test_textref.c
 * holds this to the frozen reference on the prompts corpus and on hostile
 * text (invalid UTF-8, long tokens, more tokens than cap, every cut).
 */
#include "features/text.h"
#include "features/lang.h"
#include "features/simhash.h"

void hu__text_feats(const char *norm, size_t len, uint64_t seed, struct hu__token *toks, uint64_t *hs,
                    size_t cap, struct hu__text_feats *out)
{
    struct hu__lang_counts lc = { 0 };
    size_t n;

    if (norm == NULL) {                /* what each function gives for NULL */
        out->simhash = out->head = out->tail = 0;
        out->lang = hu_lang_guess(NULL, 0);
        return;
    }
    n = hu__tokenize_hashed(norm, len, seed, toks, hs, cap, &lc);

    if (n == SIZE_MAX) {               /* more tokens than scratch: the separate walks */
        out->simhash = hu_text_simhash_seeded(norm, len, seed);
        hu_text_head_tail(norm, len, &out->head, &out->tail);
        out->lang = hu_lang_guess(norm, len);
        return;
    }
    out->simhash = hu__simhash_hashes(hs, toks, n);
    hu__head_tail_tokens(norm, toks, n, &out->head, &out->tail);
    lc.latin += hu__lang_ascii_letters(norm, len);
    out->lang = hu__lang_guess_counts(norm, len, toks, n, &lc);
}

void hu__text_feats_tokbuf(const char *norm, size_t len, const struct hu__tokbuf *tb,
                           struct hu__text_feats *out)
{
    if (norm == NULL || tb->overflow) {   /* more tokens than scratch: the separate walks */
        out->simhash = tb->hs ? hu_text_simhash_seeded(norm, len, tb->seed) : 0;
        hu_text_head_tail(norm, len, &out->head, &out->tail);
        out->lang = hu_lang_guess(norm, len);
        return;
    }
    struct hu__lang_counts lc = tb->lc;
    out->simhash = tb->hs ? hu__simhash_hashes(tb->hs, tb->toks, tb->n) : 0;
    hu__head_tail_tokens(norm, tb->toks, tb->n, &out->head, &out->tail);
    lc.latin += tb->letters - hu__lang_slot_letters(norm, len);   /* hu__lang_ascii_letters */
    out->lang = hu__lang_guess_counts(norm, len, tb->toks, tb->n, &lc);
}
