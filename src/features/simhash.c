/*
 * simhash.c -- 64-bit SimHash over word shingles (see simhash.h).
 *
 * Each shingle is hashed (XXH3, fixed seed); each of the 64 counters goes
 * up by one where the shingle's hash has a 1 bit and down where it has a 0;
 * the signature keeps the sign of each counter.  Two texts sharing a
 * fraction s of their shingles agree on a bit with probability about
 * 1 - acos(s)/pi, so unrelated texts sit near 32 bits apart and
 * near-duplicates near 0.
 *
 * Shingles: for Latin, Greek, Cyrillic... words, the unigram with weight 2
 * (vocabulary overlap survives reordering and paraphrase) and the bigram
 * with weight 1 (order); for
 * CJK, where a character is roughly a morpheme and there are no spaces,
 * character bigrams only (single characters are too common to say much).
 * Slot tokens (<num>, <name>...) are ordinary words, so two prompts of one
 * template get the same signature.
 *
 * Measured (tests/unit/test_text.c, 5 paraphrase pairs in en/zh/es against
 * 5 unrelated prompts): paraphrases are at most 15 bits apart, unrelated
 * prompts at least 22 (typically ~32).  Cost: one pass over the text
 * plus 64 adds per shingle, about 150-300 MB/s (bench/bench_features.c).
 */
#include <pthread.h>

#include "features/simhash.h"
#include "features/text.h"
#include "core/hash.h"

/* Unigrams count twice as much as bigrams.  Measured on the paraphrase set
 * of tests/unit/test_text.c: weight 1 gave max paraphrase distance 17 vs
 * min unrelated 20; weight 2 gives 15 vs 22; unigrams only 15 vs 18. */
#define UNIGRAM_WEIGHT 2

/* bits[x][j] = bit j of byte x: adding the 8 rows picked by the 8 bytes
 * of a hash counts its set bits per position with 8 vector adds instead of
 * 64 shifts (3x faster here). */
static int32_t bits[256][8];
static pthread_once_t bits_once = PTHREAD_ONCE_INIT;

static void bits_init(void)
{
    for (int x = 0; x < 256; x++)
        for (int j = 0; j < 8; j++)
            bits[x][j] = (x >> j) & 1;
}

/* cnt[b] += w * bit b of h */
static inline void add(int32_t cnt[64], uint64_t h, int32_t w)
{
    for (int k = 0; k < 8; k++) {
        const int32_t *row = bits[(h >> (8 * k)) & 0xFF];
        int32_t *c = cnt + 8 * k;
        for (int j = 0; j < 8; j++)
            c[j] += row[j] * w;
    }
}

uint64_t hu_text_simhash(const char *norm, size_t len)
{
    return hu_text_simhash_seeded(norm, len, HU_HASH_SEED);
}

/* The weighted bit counts of one signature being built: every non-CJK
 * token as a unigram (UNIGRAM_WEIGHT) and every adjacent pair as a bigram
 * (weight 1); a text of one CJK character counts that character once. */
struct sh_acc {
    int32_t v[64];                  /* weighted count of 1 bits per position */
    int32_t total;                  /* sum of weights */
    size_t n;
    uint64_t prev;
    int have_prev;
};

static void sh_token(struct sh_acc *a, uint64_t h, int cjk)
{
    if (!cjk) {
        add(a->v, h, UNIGRAM_WEIGHT);
        a->total += UNIGRAM_WEIGHT;
        a->n++;
    }
    if (a->have_prev) {
        add(a->v, hu_hash_combine(a->prev, h), 1);
        a->total += 1;
        a->n++;
    }
    a->prev = h;
    a->have_prev = 1;
}

static uint64_t sh_finish(struct sh_acc *a)
{
    if (a->n == 0 && a->have_prev) {   /* one lone CJK character */
        add(a->v, a->prev, 1);
        a->total += 1;
        a->n++;
    }
    if (a->n == 0)
        return 0;
    uint64_t sig = 0;
    for (int b = 0; b < 64; b++)
        if (2 * a->v[b] > a->total)     /* more weight on 1 than on 0 */
            sig |= UINT64_C(1) << b;
    return sig;
}

uint64_t hu_text_simhash_seeded(const char *norm, size_t len, uint64_t seed)
{
    struct sh_acc a = { { 0 }, 0, 0, 0, 0 };
    size_t pos = 0, start = 0;
    int cjk = 0;

    if (norm == NULL)
        return 0;
    pthread_once(&bits_once, bits_init);
    while (hu__next_token(norm, len, &pos, &start, &cjk))
        sh_token(&a, hu_hash_seeded(norm + start, pos - start, seed), cjk);
    return sh_finish(&a);
}

uint64_t hu__simhash_tokens(const char *norm, const struct hu__token *toks, size_t n_tok)
{
    return hu__simhash_tokens_seeded(norm, toks, n_tok, HU_HASH_SEED);
}

uint64_t hu__simhash_tokens_seeded(const char *norm, const struct hu__token *toks, size_t n_tok,
                                   uint64_t seed)
{
    struct sh_acc a = { { 0 }, 0, 0, 0, 0 };

    if (norm == NULL)
        return 0;
    pthread_once(&bits_once, bits_init);
    for (size_t k = 0; k < n_tok; k++)
        sh_token(&a, hu_hash_seeded(norm + toks[k].start, toks[k].end - toks[k].start, seed), toks[k].cjk);
    return sh_finish(&a);
}
