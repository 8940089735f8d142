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
 * one XXH3 per token and ~25 register operations per token to count its
 * shingles' bits (bit-sliced counters, below).  On the per-prompt path the
 * tokens and their hashes come from the normaliser (hu__simhash_hashes):
 * tokens enter four low planes in groups of five and the groups one
 * ripple add, and a signature without a spill is read off the planes by
 * a bit-sliced compare: 15.5k -> 6.0k instructions per bench line
 * (docs/performance.md), signatures bit for bit the same (test_textref).
 */
#include "features/simhash.h"
#include "features/text.h"
#include "core/hash.h"

/* Unigrams count twice as much as bigrams.  Measured on the paraphrase set
 * of tests/unit/test_text.c: weight 1 gave max paraphrase distance 17 vs
 * min unrelated 20; weight 2 gives 15 vs 22; unigrams only 15 vs 18. */
#define UNIGRAM_WEIGHT 2

/* Bit-sliced counters.  The 64 counts being built are kept "vertically":
 * bit b of plane[k] is bit k of the count of hash bit b, so adding one
 * shingle hash to all 64 counts is a ripple-carry add of a 64-bit mask
 * across the planes (two operations per plane, no table, no branch), and a
 * token's unigram (weight 2: the mask enters at plane 1) and bigram
 * (weight 1: plane 0) go in together through one full adder.  Nine planes
 * count to 511; before the weight added since the last spill could pass
 * that, the planes are spilled into exact 32-bit counts (lanes[x] below
 * holds bit j of byte x in its byte j, so a plane's byte is unpacked into
 * eight byte lanes by one load).  The counts, and so the signatures, are
 * exactly those of one counter per bit.  Measured on bench prose (~110
 * tokens): 64 separate 32-bit counters took 3.3 us of a 1 KB line's 17;
 * byte-lane counters 1.2 us; these ~0.6 us (bench_json "stages"). */
#define SH_PLANES 9
#define SH_COUNT_MAX ((1 << SH_PLANES) - 1)
#define LANE1(x, j) ((uint64_t)(((x) >> (j)) & 1) << (8 * (j)))
#define LANE(x) (LANE1(x, 0) | LANE1(x, 1) | LANE1(x, 2) | LANE1(x, 3) | LANE1(x, 4) | LANE1(x, 5) | \
                 LANE1(x, 6) | LANE1(x, 7))
#define LANE4(x) LANE(x), LANE((x) + 1), LANE((x) + 2), LANE((x) + 3)
#define LANE16(x) LANE4(x), LANE4((x) + 4), LANE4((x) + 8), LANE4((x) + 12)
#define LANE64(x) LANE16(x), LANE16((x) + 16), LANE16((x) + 32), LANE16((x) + 48)
static const uint64_t lanes[256] = { LANE64(0), LANE64(64), LANE64(128), LANE64(192) };

_Static_assert(UNIGRAM_WEIGHT == 2, "sh_token adds a unigram at plane 1 (weight 2)");

/* Largest weight one token adds (a unigram and a bigram). */
#define TOKEN_WEIGHT_MAX (UNIGRAM_WEIGHT + 1)

uint64_t hu_text_simhash(const char *norm, size_t len)
{
    return hu_text_simhash_seeded(norm, len, HU_HASH_SEED);
}

/* The weighted bit counts of one signature being built: every non-CJK
 * token as a unigram (UNIGRAM_WEIGHT) and every adjacent pair as a bigram
 * (weight 1); a text of one CJK character counts that character once.
 * Count of bit b = v[b] + the number whose bit k is bit b of plane[k]. */
struct sh_acc {
    uint64_t plane[SH_PLANES];
    int32_t v[64];                  /* spilled counts */
    int32_t pending;                /* weight added to the planes since the last spill */
    int32_t total;                  /* sum of weights */
    size_t n;
    uint64_t prev;
    int have_prev;
    int spilled;                    /* v[] holds counts */
};

static void sh_spill(struct sh_acc *a)
{
    for (int j = 0; j < 8; j++) {               /* bits 8j .. 8j+7 */
        uint64_t lo = 0;                        /* planes 0..7: byte t = low 8 bits of count 8j+t */
        for (int k = 0; k < 8; k++)
            lo += lanes[(a->plane[k] >> (8 * j)) & 0xFF] << k;
        uint64_t hi = lanes[(a->plane[8] >> (8 * j)) & 0xFF];
        for (int t = 0; t < 8; t++)
            a->v[8 * j + t] += (int32_t)(((lo >> (8 * t)) & 0xFF) + (((hi >> (8 * t)) & 1) << 8));
    }
    for (int k = 0; k < SH_PLANES; k++)
        a->plane[k] = 0;
    a->pending = 0;
    a->spilled = 1;
}

/* Counts += x0 (weight 1) + 2 * x1, bit by bit; room checked by the caller. */
static inline void sh_add2(struct sh_acc *a, uint64_t x0, uint64_t x1)
{
    uint64_t p = a->plane[0];
    a->plane[0] = p ^ x0;
    uint64_t c = p & x0;                        /* carry into plane 1 */
    p = a->plane[1];
    uint64_t t = p ^ x1;
    a->plane[1] = t ^ c;
    c = (p & x1) | (t & c);
    for (int k = 2; k < SH_PLANES; k++) {
        p = a->plane[k];
        a->plane[k] = p ^ c;
        c &= p;
    }
}

/* Tokens per group of the low planes: SH_GROUP * TOKEN_WEIGHT_MAX <= 15. */
#define SH_GROUP 5
_Static_assert(SH_GROUP * TOKEN_WEIGHT_MAX <= 15, "four low planes count to 15");

/* Feed n token hashes (token i is one CJK character when toks[i].cjk, or
 * cj[i] when toks is NULL): each token's unigram and its bigram with the
 * previous token.  The planes live in registers for the loop, which runs
 * in stretches short enough that no count can pass SH_COUNT_MAX (each
 * token adds at most TOKEN_WEIGHT_MAX), so no test per token; between
 * stretches the planes are spilled when full.  The spill points differ
 * from one spill check per token, but spills are exact, so the counts are
 * the same.  Token weights are summed per stretch: every token adds
 * UNIGRAM_WEIGHT unless CJK, and 1 for its bigram unless it is the very
 * first. */
static inline void sh_feed(struct sh_acc *a, const uint64_t *hs, const struct hu__token *toks,
                           const unsigned char *cj, size_t n)
{
    _Static_assert(SH_PLANES == 9, "sh_feed's adder is unrolled over nine planes");
    size_t i = 0;
    if (n == 0)
        return;
    if (!a->have_prev) {                /* the first token: no bigram */
        int c = toks ? (int)toks[0].cjk : cj[0];
        if (!c) {
            if (a->pending > SH_COUNT_MAX - TOKEN_WEIGHT_MAX)
                sh_spill(a);
            sh_add2(a, 0, hs[0]);
            a->pending += UNIGRAM_WEIGHT;
            a->total += UNIGRAM_WEIGHT;
            a->n++;
        }
        a->prev = hs[0];
        a->have_prev = 1;
        i = 1;
    }
    uint64_t p0 = a->plane[0], p1 = a->plane[1], p2 = a->plane[2], p3 = a->plane[3], p4 = a->plane[4],
             p5 = a->plane[5], p6 = a->plane[6], p7 = a->plane[7], p8 = a->plane[8];
    uint64_t prev = a->prev;
    while (i < n) {
        size_t room = (size_t)(SH_COUNT_MAX - a->pending) / TOKEN_WEIGHT_MAX;
        if (room == 0) {
            a->plane[0] = p0, a->plane[1] = p1, a->plane[2] = p2, a->plane[3] = p3, a->plane[4] = p4;
            a->plane[5] = p5, a->plane[6] = p6, a->plane[7] = p7, a->plane[8] = p8;
            sh_spill(a);
            p0 = p1 = p2 = p3 = p4 = p5 = p6 = p7 = p8 = 0;
            continue;
        }
        size_t e = n - i < room ? n : i + room, k = e - i, uni = 0;
        while (i < e) {
            /* up to SH_GROUP tokens into four low planes (their counts
             * stay <= 15: no carry leaves plane 3), then the low planes
             * into the nine in one ripple add: ~10 operations a token and
             * ~32 a group instead of ~28 a token */
            size_t g = e - i < SH_GROUP ? e : i + SH_GROUP;
            uint64_t l0 = 0, l1 = 0, l2 = 0, l3 = 0;
            for (; i < g; i++) {
                uint64_t h = hs[i];
                uint64_t keep = (uint64_t)(toks ? toks[i].cjk : cj[i]) - 1;   /* 0 for CJK, else all ones */
                uint64_t x1 = h & keep;                     /* weight 2: plane 1 */
                uint64_t x0 = hu_hash_combine(prev, h);     /* weight 1: plane 0 */
                uni += (size_t)(keep & 1);
                uint64_t c = l0 & x0, t = l1 ^ x1;
                l0 ^= x0;
                uint64_t c2 = (l1 & x1) | (t & c);          /* full adder at plane 1 */
                l1 = t ^ c;
                l3 ^= l2 & c2;
                l2 ^= c2;
                prev = h;
            }
            uint64_t c = p0 & l0, t;
            p0 ^= l0;
#define SH_FULL(p, l) do { t = (p) ^ (l); uint64_t c_ = ((p) & (l)) | (t & c); (p) = t ^ c; c = c_; } while (0)
#define SH_HALF(p) do { uint64_t q_ = (p); (p) = q_ ^ c; c &= q_; } while (0)
            SH_FULL(p1, l1); SH_FULL(p2, l2); SH_FULL(p3, l3);
            SH_HALF(p4); SH_HALF(p5); SH_HALF(p6); SH_HALF(p7); SH_HALF(p8);
#undef SH_HALF
#undef SH_FULL
        }
        int32_t w = (int32_t)(UNIGRAM_WEIGHT * uni + k);   /* k bigrams */
        a->pending += w;
        a->total += w;
        a->n += uni + k;
    }
    a->plane[0] = p0, a->plane[1] = p1, a->plane[2] = p2, a->plane[3] = p3, a->plane[4] = p4;
    a->plane[5] = p5, a->plane[6] = p6, a->plane[7] = p7, a->plane[8] = p8;
    a->prev = prev;
}

/* Tokens are hashed in blocks of SH_BLOCK, then fed. */
#define SH_BLOCK 64

/* The signature: bit b set when more weight fell on 1 than on 0, i.e.
 * 2 * count_b > total, i.e. count_b > floor(total / 2).  Until the first
 * spill the counts are the planes alone and total <= SH_COUNT_MAX, so
 * that comparison is made on the planes directly, all 64 bits at once
 * from the top plane down (three operations a plane instead of unpacking
 * 64 counts). */
static uint64_t sh_finish(struct sh_acc *a)
{
    if (a->n == 0 && a->have_prev) {   /* one lone CJK character */
        sh_add2(a, a->prev, 0);
        a->total += 1;
        a->n++;
    }
    if (a->n == 0)
        return 0;
    if (!a->spilled) {
        uint32_t k = (uint32_t)a->total / 2;
        uint64_t gt = 0, eq = ~UINT64_C(0);
        for (int j = SH_PLANES - 1; j >= 0; j--) {
            uint64_t p = a->plane[j];
            if ((k >> j) & 1) {
                eq &= p;
            } else {
                gt |= eq & p;
                eq &= ~p;
            }
        }
        return gt;
    }
    sh_spill(a);
    uint64_t sig = 0;
    for (int b = 0; b < 64; b++)
        if (2 * a->v[b] > a->total)     /* more weight on 1 than on 0 */
            sig |= UINT64_C(1) << b;
    return sig;
}

uint64_t hu_text_simhash_seeded(const char *norm, size_t len, uint64_t seed)
{
    struct sh_acc a = { { 0 }, { 0 }, 0, 0, 0, 0, 0, 0 };
    uint64_t hs[SH_BLOCK];
    unsigned char cj[SH_BLOCK];
    size_t pos = 0, start = 0, m = 0;
    int cjk = 0;

    if (norm == NULL)
        return 0;
    while (hu__next_token(norm, len, &pos, &start, &cjk)) {
        hs[m] = hu_hash_seeded(norm + start, pos - start, seed);
        cj[m++] = (unsigned char)cjk;
        if (m == SH_BLOCK) {
            sh_feed(&a, hs, NULL, cj, m);
            m = 0;
        }
    }
    sh_feed(&a, hs, NULL, cj, m);
    return sh_finish(&a);
}

uint64_t hu__simhash_tokens(const char *norm, const struct hu__token *toks, size_t n_tok)
{
    return hu__simhash_tokens_seeded(norm, toks, n_tok, HU_HASH_SEED);
}

uint64_t hu__simhash_tokens_seeded(const char *norm, const struct hu__token *toks, size_t n_tok,
                                   uint64_t seed)
{
    struct sh_acc a = { { 0 }, { 0 }, 0, 0, 0, 0, 0, 0 };
    uint64_t hs[SH_BLOCK];

    if (norm == NULL)
        return 0;
    for (size_t k = 0; k < n_tok; k += SH_BLOCK) {
        size_t m = n_tok - k < SH_BLOCK ? n_tok - k : SH_BLOCK;
        for (size_t i = 0; i < m; i++) {
            const struct hu__token *t = &toks[k + i];
            hs[i] = hu_hash_seeded(norm + t->start, t->end - t->start, seed);
        }
        sh_feed(&a, hs, toks + k, NULL, m);
    }
    return sh_finish(&a);
}

uint64_t hu__simhash_hashes(const uint64_t *hs, const struct hu__token *toks, size_t n_tok)
{
    struct sh_acc a = { { 0 }, { 0 }, 0, 0, 0, 0, 0, 0 };
    sh_feed(&a, hs, toks, NULL, n_tok);
    return sh_finish(&a);
}
