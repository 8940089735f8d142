/*
 * textfeat.c -- every token feature of a prompt from the tokens its
 * normaliser found (text.h, hu__text_feats_tokbuf).
 *
 * The per-prompt path used to walk the normalised text four times after
 * normalising it: the tokeniser, SimHash (hashing each token again), the
 * head/tail keys and the language guess (a walk of its own counting
 * letters by script, then the first 256 tokens for stop words).  Now
 * hu__text_normalise_tokens tokenises the template as it writes it,
 * hashes each token as it closes (unless no SimHash is wanted) and counts
 * what the language guess counts; here SimHash is fed those hashes
 * (hu__simhash_hashes), and the head/tail keys and the stop words read the
 * tokens.  Every result is the value of the separate function, bit for
 * bit: SimHash signatures and head/tail keys are persisted and compared
 * across versions.  tests/unit/test_textref.c holds this to the frozen
 * reference on the prompts corpus and on hostile text (invalid UTF-8, long
 * tokens, more tokens than scratch, every cut).
 */
#include "features/text.h"
#include "features/lang.h"
#include "features/simhash.h"

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
    lc.latin += tb->letters;                    /* hu__lang_ascii_letters */
    out->lang = hu__lang_guess_counts(norm, len, tb->toks, tb->n, &lc);
}
