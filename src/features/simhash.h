/*
 * simhash.h -- 64-bit SimHash of normalised prompt text (Charikar 2002).
 *
 * Near-duplicate prompts (a paraphrased template, the same question with a
 * word changed) get signatures a few bits apart; unrelated prompts differ
 * in about 32 of 64 bits.  Linkage bands these signatures for LSH.
 */
#ifndef HU_FEATURES_SIMHASH_H
#define HU_FEATURES_SIMHASH_H

#include <stddef.h>
#include <stdint.h>

/* SimHash over the shingles of normalised text (hu_text_template output):
 * word unigrams and word bigrams; CJK characters contribute character
 * bigrams.  0 for text without tokens.  O(len + 64 * shingles), no
 * allocation. */
uint64_t hu_text_simhash(const char *norm, size_t len);

/* hu_text_simhash over the tokens of norm (text.h, hu__tokenize): the
 * same signature, without walking the text again. */
struct hu__token;
uint64_t hu__simhash_tokens(const char *norm, const struct hu__token *toks, size_t n);
/* The same with shingles hashed under `seed` instead of HU_HASH_SEED: a
 * deployment's secret seed (featurized.h) gives signatures that keep their
 * locality but cannot be recomputed from a candidate text without it.
 * hu_text_simhash(n, l) == hu_text_simhash_seeded(n, l, HU_HASH_SEED). */
uint64_t hu_text_simhash_seeded(const char *norm, size_t len, uint64_t seed);
/* hu_text_simhash_seeded over the tokens of norm: the same signature
 * without tokenising again (the keyed path of features.c, on the request
 * path of the featurizer). */
uint64_t hu__simhash_tokens_seeded(const char *norm, const struct hu__token *toks, size_t n,
                                   uint64_t seed);

/* The signature from the tokens' hashes, hs[i] = hu_hash_seeded of token
 * i under the signature's seed (hu__tokenize_hashed makes both): the
 * same as hu__simhash_tokens_seeded without hashing again.  O(n). */
uint64_t hu__simhash_hashes(const uint64_t *hs, const struct hu__token *toks, size_t n);

/* Hamming distance of two signatures, 0..64. */
static inline int hu_text_simhash_dist(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}

#endif
