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
 * Shingles: for Latin, Greek, Cyrillic... words, the unigram (vocabulary
 * overlap survives reordering and paraphrase) and the bigram (order); for
 * CJK, where a character is roughly a morpheme and there are no spaces,
 * character bigrams only (single characters are too common to say much).
 * Slot tokens (<num>, <name>...) are ordinary words, so two prompts of one
 * template get the same signature.
 *
 * Measured (tests/unit/test_text.c): paraphrases of one instruction are
 * 6-20 bits apart, unrelated prompts 24-40.  Cost: one pass over the text
 * plus 64 adds per shingle, about 150-300 MB/s (bench/bench_features.c).
 */
#include "features/simhash.h"
#include "features/text.h"
#include "core/hash.h"

static inline void add(int32_t v[64], uint64_t h)
{
    for (int b = 0; b < 64; b++)
        v[b] += (int32_t)((h >> b) & 1) * 2 - 1;
}

uint64_t hu_text_simhash(const char *norm, size_t len)
{
    int32_t v[64] = { 0 };
    size_t pos = 0, start = 0, n = 0;
    uint64_t prev = 0;
    int cjk = 0, have_prev = 0;

    if (norm == NULL)
        return 0;
    while (hu__next_token(norm, len, &pos, &start, &cjk)) {
        uint64_t h = hu_hash(norm + start, pos - start);
        if (!cjk) {
            add(v, h);
            n++;
        }
        if (have_prev) {
            add(v, hu_hash_combine(prev, h));
            n++;
        }
        prev = h;
        have_prev = 1;
    }
    if (n == 0 && have_prev) {   /* one lone CJK character */
        add(v, prev);
        n++;
    }
    if (n == 0)
        return 0;
    uint64_t sig = 0;
    for (int b = 0; b < 64; b++)
        if (v[b] > 0)
            sig |= UINT64_C(1) << b;
    return sig;
}
