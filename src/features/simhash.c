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
 * prompts at least 22 (typically ~32).  Cost: one pass over the text,
 * one XXH3 per token and 8 table loads + 8 adds per shingle (byte-lane
 * counters, below): 0.8 us for a 650-byte prose prompt of ~100 tokens,
 * from 3.3 us with one 32-bit counter per bit (bench_json "stages").
 */
#include "features/simhash.h"
#include "features/text.h"
#include "core/hash.h"

/* Unigrams count twice as much as bigrams.  Measured on the paraphrase set
 * of tests/unit/test_text.c: weight 1 gave max paraphrase distance 17 vs
 * min unrelated 20; weight 2 gives 15 vs 22; unigrams only 15 vs 18. */
#define UNIGRAM_WEIGHT 2

/* Byte-lane counters.  lanes[x] holds bit j of byte x in its byte j, so
 * adding lanes[byte k of h] to acc[k] adds bit 8k+j of h to byte lane j of
 * acc[k]: 8 table loads and 8 64-bit adds count all 64 bits of a shingle
 * hash (the 64 separate 32-bit counters it replaces took 64 read-modify-
 * writes, 3.3 us of a 1 KB line's 17).  A lane holds at most 255, so the
 * lanes are spilled into the exact 32-bit counters before the weight
 * added since the last spill could pass it; the counts, and therefore the
 * signatures, are exactly those of one counter per bit. */
#define LANE1(x, j) ((uint64_t)(((x) >> (j)) & 1) << (8 * (j)))
#define LANE(x) (LANE1(x, 0) | LANE1(x, 1) | LANE1(x, 2) | LANE1(x, 3) | LANE1(x, 4) | LANE1(x, 5) | \
                 LANE1(x, 6) | LANE1(x, 7))
#define LANE4(x) LANE(x), LANE((x) + 1), LANE((x) + 2), LANE((x) + 3)
#define LANE16(x) LANE4(x), LANE4((x) + 4), LANE4((x) + 8), LANE4((x) + 12)
#define LANE64(x) LANE16(x), LANE16((x) + 16), LANE16((x) + 32), LANE16((x) + 48)
static const uint64_t lanes[256] = { LANE64(0), LANE64(64), LANE64(128), LANE64(192) };

_Static_assert(UNIGRAM_WEIGHT == 2, "sh_token doubles a unigram's lanes with a shift");

/* Largest weight one token adds (a unigram and a bigram). */
#define TOKEN_WEIGHT_MAX (UNIGRAM_WEIGHT + 1)

uint64_t hu_text_simhash(const char *norm, size_t len)
{
    return hu_text_simhash_seeded(norm, len, HU_HASH_SEED);
}

/* The weighted bit counts of one signature being built: every non-CJK
 * token as a unigram (UNIGRAM_WEIGHT) and every adjacent pair as a bigram
 * (weight 1); a text of one CJK character counts that character once.
 * Count of bit b = v[b] + byte lane b%8 of acc[b/8]. */
struct sh_acc {
    uint64_t acc[8];                /* byte lanes, at most 255 each */
    int32_t v[64];                  /* spilled counts */
    int32_t pending;                /* weight added to acc since the last spill */
    int32_t total;                  /* sum of weights */
    size_t n;
    uint64_t prev;
    int have_prev;
};

static void sh_spill(struct sh_acc *a)
{
    for (int k = 0; k < 8; k++) {
        uint64_t x = a->acc[k];
        for (int j = 0; j < 8; j++)
            a->v[8 * k + j] += (int32_t)((x >> (8 * j)) & 0xFF);
        a->acc[k] = 0;
    }
    a->pending = 0;
}

/* Lanes += w * bits of h (w <= TOKEN_WEIGHT_MAX, room checked by the caller). */
static inline void sh_add(struct sh_acc *a, uint64_t h, uint64_t w)
{
    for (int k = 0; k < 8; k++)
        a->acc[k] += lanes[(h >> (8 * k)) & 0xFF] * w;
    a->pending += (int32_t)w;
}

/* One token: its unigram (weight UNIGRAM_WEIGHT = 2, unless CJK) and its
 * bigram with the previous token (weight 1, if any), added to the lanes in
 * one unrolled pass with masks instead of branches and multiplies. */
static inline void sh_token(struct sh_acc *a, uint64_t h, int cjk)
{
    if (a->pending > 255 - TOKEN_WEIGHT_MAX)
        sh_spill(a);
    uint64_t mu = cjk ? 0 : ~UINT64_C(0), mb = a->have_prev ? ~UINT64_C(0) : 0;
    uint64_t c = a->have_prev ? hu_hash_combine(a->prev, h) : 0;
    int32_t w = (cjk ? 0 : UNIGRAM_WEIGHT) + (a->have_prev ? 1 : 0);
#define SH_LANE(k) \
    a->acc[k] += ((lanes[(h >> (8 * (k))) & 0xFF] << 1) & mu) + (lanes[(c >> (8 * (k))) & 0xFF] & mb)
    SH_LANE(0); SH_LANE(1); SH_LANE(2); SH_LANE(3);
    SH_LANE(4); SH_LANE(5); SH_LANE(6); SH_LANE(7);
#undef SH_LANE
    a->pending += w;
    a->total += w;
    a->n += (size_t)!cjk + (size_t)a->have_prev;
    a->prev = h;
    a->have_prev = 1;
}

static uint64_t sh_finish(struct sh_acc *a)
{
    if (a->n == 0 && a->have_prev) {   /* one lone CJK character */
        sh_add(a, a->prev, 1);
        a->total += 1;
        a->n++;
    }
    if (a->n == 0)
        return 0;
    sh_spill(a);
    uint64_t sig = 0;
    for (int b = 0; b < 64; b++)
        if (2 * a->v[b] > a->total)     /* more weight on 1 than on 0 */
            sig |= UINT64_C(1) << b;
    return sig;
}

uint64_t hu_text_simhash_seeded(const char *norm, size_t len, uint64_t seed)
{
    struct sh_acc a = { { 0 }, { 0 }, 0, 0, 0, 0, 0 };
    size_t pos = 0, start = 0;
    int cjk = 0;

    if (norm == NULL)
        return 0;
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
    struct sh_acc a = { { 0 }, { 0 }, 0, 0, 0, 0, 0 };

    if (norm == NULL)
        return 0;
    for (size_t k = 0; k < n_tok; k++)
        sh_token(&a, hu_hash_seeded(norm + toks[k].start, toks[k].end - toks[k].start, seed), toks[k].cjk);
    return sh_finish(&a);
}
